"""The address model every guarantee stands on: each address belongs to exactly one zone,
and a decoy's address to the decoy alone.

The guarantees are checked on zones (a scanner zone never reaches a clinical zone, a vendor pool
only its manufacturer's devices), and the compiled rules match addresses. Both agree only if no
two zones share an address and every host and device sits inside the networks of the zone it is
declared in. A host declared in ``it-servers`` with an address of the scanner subnet would
otherwise be granted, as an IT server, what no scanner may have. ``lint`` reports these errors,
and ``compile`` refuses a site that has any.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from segcfg.errors import Diagnostic, Location, Severity
from segcfg.intent import decoy_endpoints
from segcfg.load import LoadedSite
from segcfg.model.site import ZoneKind
from segcfg.resolve import Resolver


def addressing_errors(loaded: LoadedSite) -> list[Diagnostic]:
    """Overlapping zone networks, hosts or devices outside the zone they are declared in (for
    the internet zone, which has no networks: inside another zone's networks), and a decoy's
    address declared again for something else (its DECOY deny would block what that needs)."""
    site = loaded.site
    out: list[Diagnostic] = []
    nets = [(n, zi, ni) for zi, z in enumerate(site.zones) for ni, n in enumerate(z.networks)]
    nets.sort(key=lambda t: (t[0].version, int(t[0].network_address), -t[0].prefixlen))
    for a in range(len(nets)):
        na, za, _ = nets[a]
        for b in range(a + 1, len(nets)):
            nb, zb, ib = nets[b]
            if nb.version != na.version or int(nb.network_address) > int(na.broadcast_address):
                break
            out.append(
                Diagnostic(
                    loaded.where("zones", zb, "networks", ib),
                    Severity.ERROR,
                    f"network {nb} of zone {site.zones[zb].name} overlaps {na} of zone "
                    f"{site.zones[za].name}",
                    "overlapping-zones",
                )
            )

    # Per zone: (version, first, last) of each network, compared as integers.
    spans: dict[str, list[tuple[int, int, int]]] = {
        z.name: [(n.version, int(n.network_address), int(n.broadcast_address)) for n in z.networks]
        for z in site.zones
    }
    zone_by_name = {z.name: z for z in site.zones}

    def holds(zone: str, addr: IPv4Address | IPv6Address) -> bool:
        version, value = addr.version, int(addr)
        return any(v == version and lo <= value <= hi for v, lo, hi in spans[zone])

    members: list[tuple[str, str, IPv4Address | IPv6Address, str, Location]] = [
        ("host", h.name, h.address, h.zone, loaded.where("hosts", i, "address"))
        for i, h in enumerate(site.hosts)
    ]
    members += [
        ("device", d.name, d.address, d.zone, loaded.device_where(d.name)) for d in site.devices
    ]
    owner: dict[IPv4Address | IPv6Address, tuple[str, str]] = {}
    shared: list[tuple[str, str, IPv4Address | IPv6Address, tuple[str, str], Location]] = []
    for kind, name, addr, zone, where in members:
        z = zone_by_name.get(zone)
        if z is None:
            pass  # a dangling zone reference is an error of its own (check_site_structure)
        elif z.kind is ZoneKind.INTERNET:
            holder = next((o.name for o in site.zones if holds(o.name, addr)), None)
            if holder is not None:
                out.append(
                    Diagnostic(
                        where,
                        Severity.ERROR,
                        f"{kind} {name} ({addr}) is declared in zone {zone} ({z.kind.value}) "
                        f"but its address is in zone {holder}",
                        "outside-zone",
                    )
                )
        elif not holds(zone, addr):
            out.append(
                Diagnostic(
                    where,
                    Severity.ERROR,
                    f"{kind} {name} ({addr}) is outside its zone {zone}",
                    "outside-zone",
                )
            )
        first = owner.setdefault(addr, (kind, name))
        if first != (kind, name):
            shared.append((kind, name, addr, first, where))
    if shared:
        # Two names for one address are harmless (a device also listed as a host), except
        # when one is a decoy: its DECOY deny would block what the other needs.
        decoys = {(e.kind, e.name) for e in decoy_endpoints(Resolver(loaded))}
        for kind, name, addr, first, where in shared:
            if (kind, name) in decoys or first in decoys:
                out.append(
                    Diagnostic(
                        where,
                        Severity.ERROR,
                        f"{kind} {name} has the address {addr} of {first[0]} {first[1]}; a "
                        "decoy shares its address with nothing",
                        "duplicate-address",
                    )
                )
    return out
