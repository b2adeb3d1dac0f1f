"""Compile a site into an ordered rule IR per enforcement point.

Order within each enforcement point: scanners toward clinical zones denied and logged
(SCAN-SWEEP); anything toward decoys denied and logged (DECOY); the permits of the intent (and,
for stateless platforms, the exact replies they need); remote-access ports toward clinical zones
denied and logged (REMOTE-ACCESS); default deny, logged (DEFAULT-DENY).

The compiler refuses — with one error listing every problem — a site whose intent breaks a
guarantee, holds an expired exception, or needs what a platform cannot express.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

import netaddr

from segcfg.addressing import addressing_errors
from segcfg.errors import CapabilityError, Diagnostic, Location, SegcfgError, Severity
from segcfg.gateway import gateway_errors
from segcfg.gcpause import without_gc
from segcfg.intent import (
    CLINICAL_KINDS,
    Flow,
    Intent,
    build_intent,
    decoy_endpoints,
)
from segcfg.intervals import merge_intervals
from segcfg.ir import (
    ANY_ZONE,
    DECOY,
    DEFAULT_DENY,
    REMOTE_ACCESS,
    SCAN_SWEEP,
    InterfaceBinding,
    PortRange,
    Rule,
    RuleSet,
)
from segcfg.load import LoadedSite
from segcfg.model.common import icmp_in_family
from segcfg.model.site import EnforcementPoint, IPNetwork, ZoneKind
from segcfg.platforms import Capabilities, capabilities
from segcfg.resolve import Endpoint, Resolver


def _net_key(n: IPNetwork) -> tuple[int, int, int]:
    return (n.version, int(n.network_address), n.prefixlen)


def collapse(networks: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """The smallest list of CIDRs covering exactly the same addresses.

    Already-minimal inputs (no overlap, nothing adjacent) are returned sorted as they are;
    anything else goes through ``netaddr.cidr_merge``.
    """
    nets = sorted(set(networks), key=_net_key)
    if len(nets) <= 1:
        return tuple(nets)
    return _collapse_sorted(tuple(nets))


@lru_cache(maxsize=65536)
def _collapse_sorted(nets: tuple[IPNetwork, ...]) -> tuple[IPNetwork, ...]:
    prev_version, prev_end = -1, -2
    for n in nets:
        start = int(n.network_address)
        if n.version == prev_version and start <= prev_end + 1:
            break  # overlapping or adjacent: really merge
        prev_version, prev_end = n.version, int(n.broadcast_address)
    else:
        return nets
    merged = netaddr.cidr_merge([str(n) for n in nets])
    out = [ipaddress.ip_network(str(c)) for c in merged]
    return tuple(sorted(out, key=_net_key))


def merge_ports(ranges: Iterable[PortRange]) -> tuple[PortRange, ...]:
    """Sorted, non-overlapping, non-adjacent port ranges covering exactly the same ports."""
    return tuple(merge_intervals(ranges))


def label_for(endpoints: Sequence[Endpoint]) -> str:
    """A readable, stable name for a set of endpoints (used for object groups)."""
    kinds = {e.kind for e in endpoints}
    if len(endpoints) == 1:
        return endpoints[0].name
    if kinds == {"device"}:
        classes = sorted({e.device_class or "device" for e in endpoints})
        zones = sorted({e.zone for e in endpoints})
        if len(classes) == 1 and len(zones) == 1:
            return f"{classes[0]}.{zones[0]}"
    digest = hashlib.sha256(",".join(sorted(str(e) for e in endpoints)).encode()).hexdigest()
    return f"set-{digest[:10]}"


@dataclass(frozen=True)
class _Problem:
    where: Location
    message: str
    code: str


def _family_split(networks: Iterable[IPNetwork]) -> dict[int, tuple[IPNetwork, ...]]:
    by: dict[int, list[IPNetwork]] = defaultdict(list)
    for n in networks:
        by[n.version].append(n)
    return {fam: collapse(nets) for fam, nets in sorted(by.items())}


def _rule_name(number: int) -> str:
    return f"R{number:05d}"


def refuse_unsafe(intent: Intent) -> None:
    """Raise one error listing every guarantee violation and expired exception."""
    diags = [
        Diagnostic(
            v.flow.provenance.location,
            Severity.ERROR,
            f"{v.flow.provenance.requirement}: {v.message}; not compiled",
            v.code,
            v.hicp,
        )
        for v in intent.violations
    ]
    diags += [
        Diagnostic(
            where,
            Severity.ERROR,
            f"exception {xid} has expired; not compiled",
            "exception-expired",
            "9.M.E",
        )
        for where, xid in intent.expired
    ]
    if diags:
        unique = {(d.location, d.code, d.message): d for d in diags}
        raise SegcfgError(list(unique.values()))


@without_gc
def compile_site(
    loaded: LoadedSite,
    today: date,
    platform: str | None = None,
    only: Collection[str] | None = None,
) -> list[RuleSet]:
    """Rule sets for every enforcement point of the site, or those named in ``only``
    (``platform`` overrides each one's). A site whose address model is broken (overlapping
    zones, a host outside its zone) is refused: every guarantee is checked on zones; so is
    one with vendor pools but no MFA gateway in a remote-access zone."""
    broken = addressing_errors(loaded) + gateway_errors(loaded)
    if broken:
        raise SegcfgError(broken)
    intent = build_intent(loaded, today)
    refuse_unsafe(intent)
    problems: list[_Problem] = []
    out: list[RuleSet] = []

    # Zones an IPv6-capable point guards: an IPv4-only point may reach their IPv6 networks.
    # ``platform`` re-targets the points compiled here; the others keep their own platforms.
    def platform_of(ep: EnforcementPoint) -> str:
        return platform if platform and (only is None or ep.name in only) else ep.platform

    v6_guarded = {
        f.zone
        for ep in loaded.site.enforcement_points
        if capabilities(platform_of(ep)).ipv6
        for f in ep.interfaces
        if f.zone is not None
    }
    for i, ep in enumerate(loaded.site.enforcement_points):
        if only is not None and ep.name not in only:
            continue
        caps = capabilities(platform or ep.platform)
        ruleset, probs = compile_enforcement_point(loaded, intent, ep, i, caps, v6_guarded)
        problems.extend(probs)
        out.append(ruleset)
    if problems:
        unique = sorted({(p.where, p.message, p.code) for p in problems})
        raise CapabilityError([Diagnostic(w, Severity.ERROR, m, c) for w, m, c in unique])
    return sorted(out, key=lambda rs: rs.enforcement_point)


# What a rule matches: zones, family, protocol, sources, destinations, source and destination
# ports, ICMP type, established.
_Match = tuple[
    str,
    str,
    int | None,
    str | None,
    tuple[IPNetwork, ...],
    tuple[IPNetwork, ...],
    tuple[PortRange, ...],
    tuple[PortRange, ...],
    int | None,
    bool,
]


def _covering(at: dict[_Match, int], match: _Match) -> int | None:
    """Where the earlier rule that lets every packet of ``match`` through is: one with the same
    match, or for an ICMP type one of every ICMP type."""
    hit = at.get(match)
    if hit is None and match[8] is not None:
        hit = at.get((*match[:8], None, False))
    return hit


def _with_remark(rule: Rule, remark: str) -> Rule:
    """``rule`` also carrying the remark of a requirement it serves."""
    return rule if remark in rule.remarks else replace(rule, remarks=(*rule.remarks, remark))


def compile_enforcement_point(
    loaded: LoadedSite,
    intent: Intent,
    ep: EnforcementPoint,
    index: int,
    caps: Capabilities,
    v6_guarded: Collection[str] = (),
) -> tuple[RuleSet, list[_Problem]]:
    r: Resolver = intent.resolver
    attached = {z: f.name for f in ep.interfaces for z in f.zones()}
    guarded = {f.zone for f in ep.interfaces if f.zone}
    where = loaded.where("enforcement_points", index)
    problems: list[_Problem] = []
    zones_sorted = sorted(attached)
    decoys = decoy_endpoints(r)

    for iface in ep.interfaces:
        if not re.fullmatch(caps.iface_re, iface.name):
            problems.append(
                _Problem(
                    where,
                    f"{ep.name}: interface name {iface.name!r} is not valid on {caps.name}",
                    "capability-interface-name",
                )
            )
    if not caps.ipv6:
        for z in sorted(guarded):
            if any(n.version == 6 for n in r.zones[z].networks):
                problems.append(
                    _Problem(
                        where,
                        f"{ep.name} ({caps.name}) guards zone {z}, which has IPv6 networks; "
                        f"{caps.name} output has no IPv6 filtering here, so IPv6 would pass "
                        "unfiltered",
                        "capability-ipv6",
                    )
                )
        # A zone only reached from here must have its IPv6 guarded by another point (found in
        # review: the DECOY and REMOTE-ACCESS denies of an unguarded dual-stack clinical zone
        # were left out of an iptables file without a word).
        decoy_zones = {d.zone for d in decoys}
        for z in sorted(set(attached) - guarded - set(v6_guarded)):
            if r.zone_kind(z) not in CLINICAL_KINDS and z not in decoy_zones:
                continue  # no guarantee needs its IPv6 filtered here (a corporate zone)
            if any(n.version == 6 for n in r.zones[z].networks):
                problems.append(
                    _Problem(
                        where,
                        f"{ep.name} ({caps.name}) reaches zone {z}, which has IPv6 networks "
                        "that no IPv6-capable enforcement point guards; IPv6 toward it would "
                        "pass unfiltered",
                        "capability-ipv6",
                    )
                )

    # Flows this point enforces.
    crossing: list[Flow] = []
    for f in intent.flows:
        if f.src.zone == f.dst.zone:
            continue
        a, b = f.src.zone in guarded, f.dst.zone in guarded
        if f.src.zone in attached and f.dst.zone in attached:
            if attached[f.src.zone] != attached[f.dst.zone]:
                crossing.append(f)  # enters one interface, leaves by another
        elif a or b:
            missing = f.dst.zone if f.src.zone in attached else f.src.zone
            problems.append(
                _Problem(
                    where,
                    f"{ep.name} guards {f.src.zone if a else f.dst.zone} but no interface of it "
                    f"reaches zone {missing}, needed by {f.provenance.requirement}",
                    "missing-interface",
                )
            )

    rules: list[Rule] = []

    def add(rule_kw: dict[str, object]) -> None:
        rules.append(Rule(name=_rule_name(len(rules) + 1), **rule_kw))  # type: ignore[arg-type]

    clinical_zones = [z for z in zones_sorted if r.zone_kind(z) in CLINICAL_KINDS]
    # 1. SCAN-SWEEP
    scanner_refs = loaded.site.policy.scanner_sources
    # The named scanner sources and, always, every scanner zone (found in review: naming one
    # scanner host left the rest of its zone to the default deny, not logged as SCAN-SWEEP).
    scanners = tuple(
        dict.fromkeys((*r.resolve_all(scanner_refs), *r.zones_of_kind(ZoneKind.SCANNER)))
    )
    for sc in scanners:
        if sc.zone not in attached:
            continue
        for cz in clinical_zones:
            if attached[cz] == attached[sc.zone]:
                continue
            src_fam = _family_split(sc.networks)
            dst_fam = _family_split(r.zones[cz].networks)
            for fam in sorted(set(src_fam) & set(dst_fam)):
                add(
                    {
                        "action": "deny",
                        "section": "scan-sweep",
                        "from_zone": sc.zone,
                        "to_zone": cz,
                        "family": fam,
                        "sources": src_fam[fam],
                        "destinations": dst_fam[fam],
                        "log": SCAN_SWEEP,
                        "remarks": (
                            f"HICP 9.L.A: scanner {sc.name} never reaches clinical zone {cz}",
                        ),
                        "src_label": sc.name,
                        "dst_label": cz,
                    }
                )
    # 2. DECOY: from any interface.
    for dec in decoys:
        if dec.zone not in attached:
            continue
        for fam, nets in _family_split(dec.networks).items():
            add(
                {
                    "action": "deny",
                    "section": "decoy",
                    "from_zone": ANY_ZONE,
                    "to_zone": dec.zone,
                    "family": fam,
                    "destinations": nets,
                    "log": DECOY,
                    "remarks": (f"HICP 9.L.B: decoy {dec.name}, any contact is an incident",),
                    "dst_label": dec.name,
                }
            )
    # 3. Permits (and exact replies on stateless platforms).
    groups: dict[tuple[str, str, str, str, int], list[Flow]] = defaultdict(list)
    for f in crossing:
        src_fams, dst_fams = f.src.families, f.dst.families
        proto: str = f.service.protocol
        for fam in src_fams if src_fams == dst_fams else src_fams & dst_fams:
            carried = icmp_in_family(proto, f.service.low, f.service.high, fam)
            if carried is None:
                continue  # an ICMP type with no equivalent in this family
            groups[(f.src.zone, f.dst.zone, f.provenance.requirement, carried[0], fam)].append(f)
    permits: list[Rule] = []
    permit_at: dict[_Match, int] = {}  # a permit's match -> its index in permits
    # The same endpoint sets recur across requirements (a role's servers, a class's devices):
    # their collapsed networks and labels are computed once.
    sides: dict[tuple[tuple[tuple[str, str], ...], int], tuple[tuple[IPNetwork, ...], str]] = {}

    def side(
        endpoints: dict[tuple[str, str], Endpoint], fam: int
    ) -> tuple[tuple[IPNetwork, ...], str]:
        keys = tuple(sorted(endpoints))
        hit = sides.get((keys, fam))
        if hit is None:
            eps = [endpoints[k] for k in keys]
            nets = collapse(n for e in eps for n in e.networks if n.version == fam)
            hit = sides[(keys, fam)] = (nets, label_for(eps))
        return hit

    for key in sorted(groups):
        from_zone, to_zone, _, proto, fam = key
        flows = groups[key]
        src_nets, src_label = side({(f.src.kind, f.src.name): f.src for f in flows}, fam)
        dst_nets, dst_label = side({(f.dst.kind, f.dst.name): f.dst for f in flows}, fam)
        remarks = (flows[0].provenance.remark(),)

        variants: list[tuple[tuple[PortRange, ...], int | None]]
        if proto == "tcp" or proto == "udp":
            ports = {(f.service.low, f.service.high) for f in flows}
            variants = [(merge_ports(ports) if len(ports) > 1 else tuple(ports), None)]
        elif proto == "icmp" or proto == "icmpv6":
            types: set[int | None] = set()
            for f in flows:
                here = icmp_in_family(f.service.protocol, f.service.low, f.service.high, fam)
                types.add(here[1] if here is not None and here[1] == here[2] else None)
            # One rule per type when each flow names one, else one for every type.
            typed = sorted(t for t in types if t is not None)
            variants = [((), None)] if None in types else [((), t) for t in typed]
        else:
            variants = [((), None)]
        for dst_ports, icmp_type in variants:
            # Two requirements asking for the same packets (a monitor's profile and its
            # central station's, each naming the other), or for an ICMP type an earlier permit
            # of every type covers, give one rule with both remarks: a second rule could never
            # match and would read as a shadowed line.
            match: _Match = (
                from_zone,
                to_zone,
                fam,
                proto,
                src_nets,
                dst_nets,
                (),
                dst_ports,
                icmp_type,
                False,
            )
            same = _covering(permit_at, match)
            if same is not None:
                permits[same] = _with_remark(permits[same], remarks[0])
                continue
            permit_at[match] = len(permits)
            permits.append(
                Rule(
                    name=_rule_name(len(rules) + len(permits) + 1),
                    action="permit",
                    section="permit",
                    from_zone=from_zone,
                    to_zone=to_zone,
                    family=fam,
                    protocol=proto,
                    sources=src_nets,
                    destinations=dst_nets,
                    dst_ports=dst_ports,
                    icmp_type=icmp_type,
                    remarks=remarks,
                    src_label=src_label,
                    dst_label=dst_label,
                )
            )
    first_permit = len(rules)
    rules.extend(permits)
    # 4. REMOTE-ACCESS: from any interface toward each clinical zone.
    ra_ports = loaded.site.policy.remote_access_ports
    by_proto: dict[str, list[PortRange]] = defaultdict(list)
    for svc in ra_ports:
        by_proto[svc.protocol].append((svc.low, svc.high))
    for cz in clinical_zones:
        if r.zone_kind(cz) is not ZoneKind.CLINICAL:
            continue
        for fam, nets in _family_split(r.zones[cz].networks).items():
            for proto in sorted(by_proto):
                add(
                    {
                        "action": "deny",
                        "section": "remote-access",
                        "from_zone": ANY_ZONE,
                        "to_zone": cz,
                        "family": fam,
                        "protocol": proto,
                        "destinations": nets,
                        "dst_ports": merge_ports(by_proto[proto]),
                        "log": REMOTE_ACCESS,
                        "remarks": (
                            "HICP 9.L.B: remote-access ports toward a clinical zone "
                            "only from management sources",
                        ),
                        "dst_label": cz,
                    }
                )
    # Replies of the permits on stateless platforms, after the remote-access denies so that
    # no reply entry ("udp from port 443 to any port of the device") opens a remote-access
    # port toward a clinical zone; a reply to a device's own remote-access port is dropped.
    if not caps.stateful:
        reply_at: dict[_Match, int] = {}  # a reply's match -> its index in rules
        for p in permits:
            src_ports: tuple[PortRange, ...] = ()
            established = False
            reply_icmp: int | None = None
            if p.protocol == "tcp":
                src_ports, established = p.dst_ports, True
            elif p.protocol == "udp":
                src_ports = p.dst_ports
            elif p.protocol in ("icmp", "icmpv6"):
                # Only echo has a reply: to echo requests (or to every type), echo replies.
                if p.icmp_type not in (None, 8, 128):
                    continue
                reply_icmp = 0 if p.protocol == "icmp" else 129
            else:
                continue  # esp, gre: no reply to tell apart from a flow of its own
            reverse: _Match = (
                p.to_zone,
                p.from_zone,
                p.family,
                p.protocol,
                p.destinations,
                p.sources,
                src_ports,
                (),
                reply_icmp,
                established,
            )
            remark = "reply of " + p.remarks[0]
            at = _covering(permit_at, reverse)  # a permit already lets these packets through
            at = first_permit + at if at is not None else reply_at.get(reverse)
            if at is not None:
                rules[at] = _with_remark(rules[at], remark)
                continue
            reply_at[reverse] = len(rules)
            rules.append(
                Rule(
                    name=_rule_name(len(rules) + 1),
                    action="permit",
                    section="reply",
                    from_zone=p.to_zone,
                    to_zone=p.from_zone,
                    family=p.family,
                    protocol=p.protocol,
                    sources=p.destinations,
                    destinations=p.sources,
                    src_ports=src_ports,
                    icmp_type=reply_icmp,
                    established=established,
                    remarks=(remark,),
                    src_label=p.dst_label,
                    dst_label=p.src_label,
                )
            )
    # 5. Default deny, logged.
    add(
        {
            "action": "deny",
            "section": "default-deny",
            "from_zone": ANY_ZONE,
            "to_zone": ANY_ZONE,
            "log": DEFAULT_DENY,
            "remarks": ("default deny (HICP 9.M.E)",),
        }
    )
    ruleset = RuleSet(
        site=loaded.site.site,
        enforcement_point=ep.name,
        platform=caps.name,
        stateful=caps.stateful,
        interfaces=tuple(InterfaceBinding(f.name, z) for f in ep.interfaces for z in f.zones()),
        rules=tuple(rules),
    )
    return ruleset, problems
