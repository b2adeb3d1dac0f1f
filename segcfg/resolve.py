"""Resolve references (host:, group:, zone:, role:, class:, device:, zone-kind:) into endpoints.

An endpoint is one addressable thing — a host, a device, or a whole zone — with the zone it
sits in. The internet is the zone of kind ``internet``: every address outside the site's zones.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from segcfg.load import LoadedSite
from segcfg.model.common import Ref
from segcfg.model.site import IPNetwork, Zone, ZoneKind

ALL_V4 = ipaddress.ip_network("0.0.0.0/0")
ALL_V6 = ipaddress.ip_network("::/0")


@dataclass(frozen=True, order=True)
class Endpoint:
    """An addressable thing of the site."""

    kind: str  # "host" | "device" | "zone"
    name: str  # (kind, name) identifies an endpoint: the rest is what it resolved to
    zone: str = field(compare=False)
    networks: tuple[IPNetwork, ...] = field(compare=False)
    device_class: str | None = field(default=None, compare=False)
    manufacturer: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    @cached_property
    def families(self) -> frozenset[int]:
        return frozenset(n.version for n in self.networks)


class Resolver:
    """Resolves references of one loaded site; results are cached and deterministic."""

    def __init__(self, loaded: LoadedSite) -> None:
        self.loaded = loaded
        site = loaded.site
        self.zones: dict[str, Zone] = {z.name: z for z in site.zones}
        self.hosts = {h.name: h for h in site.hosts}
        self.devices = {d.name: d for d in site.devices}
        self.groups = {g.name: g for g in site.groups}
        self._host_eps: dict[str, Endpoint] = {}
        self._device_eps: dict[str, Endpoint] = {}
        self._zone_eps: dict[str, Endpoint] = {}

    @cached_property
    def internal_networks(self) -> tuple[IPNetwork, ...]:
        nets = [n for z in self.loaded.site.zones for n in z.networks]
        return tuple(sorted(set(nets), key=lambda n: (n.version, n.network_address, n.prefixlen)))

    @cached_property
    def internet_networks(self) -> tuple[IPNetwork, ...]:
        """Every address outside the site's zones (exact complement)."""
        out: list[IPNetwork] = []
        for everything in (ALL_V4, ALL_V6):
            pieces: list[IPNetwork] = [everything]
            for internal in self.internal_networks:
                if internal.version != everything.version:
                    continue
                nxt: list[IPNetwork] = []
                for piece in pieces:
                    if internal.subnet_of(piece):  # type: ignore[arg-type]
                        nxt.extend(piece.address_exclude(internal))  # type: ignore[arg-type]
                    elif piece.subnet_of(internal):  # type: ignore[arg-type]
                        continue
                    else:
                        nxt.append(piece)
                pieces = nxt
            out.extend(sorted(pieces, key=lambda n: (n.network_address, n.prefixlen)))
        return tuple(out)

    def zone_kind(self, zone: str) -> ZoneKind:
        return self.zones[zone].kind

    def zone_endpoint(self, zone: Zone) -> Endpoint:
        ours = self.zones.get(zone.name) is zone  # only the site's own zones are remembered
        cached = self._zone_eps.get(zone.name) if ours else None
        if cached is not None:
            return cached
        nets = self.internet_networks if zone.kind is ZoneKind.INTERNET else zone.networks
        ep = Endpoint("zone", zone.name, zone.name, tuple(nets))
        if ours:
            self._zone_eps[zone.name] = ep
        return ep

    def zones_of_kind(self, kind: ZoneKind) -> tuple[Endpoint, ...]:
        """The endpoints of every zone of a kind, in site order."""
        return tuple(self.zone_endpoint(z) for z in self.loaded.site.zones if z.kind is kind)

    @cached_property
    def vendor_pools(self) -> dict[str, tuple[Endpoint, ...]]:
        """The vendor-remote zones of each manufacturer, in site order."""
        out: dict[str, list[Endpoint]] = {}
        for z in self.loaded.site.zones:
            if z.kind is ZoneKind.VENDOR_REMOTE and z.manufacturer is not None:
                out.setdefault(z.manufacturer, []).append(self.zone_endpoint(z))
        return {m: tuple(eps) for m, eps in out.items()}

    def host_endpoint(self, name: str) -> Endpoint:
        cached = self._host_eps.get(name)
        if cached is not None:
            return cached
        h = self.hosts[name]
        ep = Endpoint("host", h.name, h.zone, (ipaddress.ip_network(h.address),))
        self._host_eps[name] = ep
        return ep

    def device_endpoint(self, name: str) -> Endpoint:
        cached = self._device_eps.get(name)
        if cached is not None:
            return cached
        d = self.devices[name]
        prof = self.loaded.profiles.get(d.class_)
        ep = Endpoint(
            "device",
            d.name,
            d.zone,
            (ipaddress.ip_network(d.address),),
            d.class_,
            prof.profile.manufacturer if prof else None,
        )
        self._device_eps[name] = ep
        return ep

    @cached_property
    def _by_role(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for h in self.loaded.site.hosts:
            for r in h.roles:
                out.setdefault(r, []).append(h.name)
        return out

    @cached_property
    def _by_class(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for d in self.loaded.site.devices:
            out.setdefault(d.class_, []).append(d.name)
        return out

    def devices_of_class(self, cls: str) -> list[Endpoint]:
        return [self.device_endpoint(n) for n in self._by_class.get(cls, [])]

    def resolve(self, ref: Ref, _trail: frozenset[str] = frozenset()) -> tuple[Endpoint, ...]:
        """Endpoints a reference stands for (empty when nothing matches), sorted, unique."""
        out: set[Endpoint] = set()
        if ref.kind == "host" and ref.name in self.hosts:
            out.add(self.host_endpoint(ref.name))
        elif ref.kind == "device" and ref.name in self.devices:
            out.add(self.device_endpoint(ref.name))
        elif ref.kind == "zone" and ref.name in self.zones:
            out.add(self.zone_endpoint(self.zones[ref.name]))
        elif ref.kind == "role":
            out.update(self.host_endpoint(n) for n in self._by_role.get(ref.name, []))
        elif ref.kind == "class":
            out.update(self.devices_of_class(ref.name))
        elif ref.kind == "zone-kind" and ref.name in ZoneKind.__members__.values():
            out.update(self.zones_of_kind(ZoneKind(ref.name)))
        elif ref.kind == "group" and ref.name in self.groups and ref.name not in _trail:
            for member in self.groups[ref.name].members:
                out.update(self.resolve(member, _trail | {ref.name}))
        return tuple(sorted(out))

    def resolve_all(self, refs: Iterable[Ref]) -> tuple[Endpoint, ...]:
        out: set[Endpoint] = set()
        for ref in refs:
            out.update(self.resolve(ref))
        return tuple(sorted(out))

    def covers(self, outer: Iterable[Endpoint], inner: Endpoint) -> bool:
        """True when every address of ``inner`` lies within the addresses of ``outer``."""
        outer_nets = [n for e in outer for n in e.networks]
        return all(
            any(n.version == o.version and n.subnet_of(o) for o in outer_nets)  # type: ignore[arg-type]
            for n in inner.networks
        )
