"""Validate a running configuration exactly against the intent, zone pair by zone pair.

For each pair of zones on different interfaces of the enforcement point, the set of new
connections the running configuration permits (parsed into the rule IR, first-match, bindings
applied) is compared with the set the intent allows, as exact packet sets. Differences become
findings with a concrete witness packet and the configuration line that decides it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from segcfg.gcpause import without_gc
from segcfg.intent import CLINICAL_KINDS, UNTRUSTED_KINDS, Flow, Intent, decoy_endpoints
from segcfg.ir import ANY_ZONE, Rule, RuleSet
from segcfg.model.common import icmp_in_family
from segcfg.model.site import EnforcementPoint, ZoneKind
from segcfg.packetspace import PacketSpace, Set, Witness
from segcfg.parsed import Binding, Filter, ParsedConfig, ParsedRule
from segcfg.resolve import Endpoint

Status = Literal["complies", "violates", "not checked"]
Severity = Literal["critical", "high", "medium", "low", "info"]
ACL_PLATFORMS = ("cisco-ios", "cisco-asa")


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    severity: Severity
    message: str
    witness: Witness | None = None
    from_zone: str | None = None
    to_zone: str | None = None
    line: int | None = None
    line_text: str | None = None
    hicp: str | None = None
    requirement: str | None = None


@dataclass
class ValidationReport:
    site: str
    enforcement_point: str
    platform: str
    path: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "violates"]

    @property
    def not_checked(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "not checked"]


GUARANTEE_CHECKS: dict[str, tuple[Severity, str]] = {
    "scanner-to-clinical": ("critical", "9.L.A"),
    "vendor-cross-manufacturer": ("critical", "9.M.E"),
    "untrusted-to-clinical": ("critical", "9.M.E"),
    "decoy-reachable": ("critical", "9.L.B"),
    "remote-access-port": ("critical", "9.L.B"),
    "required-flow-blocked": ("high", "9.M.E"),
    "beyond-intent": ("medium", "9.M.E"),
}


class _Evaluator:
    """First-match sets of one parsed configuration, per family and interface pair."""

    def __init__(self, parsed: ParsedConfig, ps: PacketSpace) -> None:
        self.parsed = parsed
        self.ps = ps
        self._match: dict[int, tuple[ParsedRule, Set]] = {}
        self._first: dict[tuple[str, tuple[int, ...], bool], tuple[Set, list[int], Set]] = {}
        self._pairs: dict[tuple[str, str], Set] = {}

    def match(self, pr: ParsedRule) -> Set:
        """The packets ``pr`` matches, cached per parsed rule: by identity, since one line can
        give several rules of one name (an nftables protocol set, an ICMP type set)."""
        hit = self._match.get(id(pr))
        if hit is None or hit[0] is not pr:
            hit = self._match[id(pr)] = (pr, self.ps.rule(pr.rule))
        return hit[1]

    def ordered(self, in_if: str, out_if: str) -> list[tuple[Filter, list[ParsedRule], bool]]:
        """The filters a packet from ``in_if`` to ``out_if`` meets, each with its applicable
        rules and default; a packet must be permitted by every one."""
        p = self.parsed
        out: list[tuple[Filter, list[ParsedRule], bool]] = []
        if p.zones:  # Junos SRX zone-based policies
            src_z = next((z for z, ifs in p.zones.items() if in_if in ifs), None)
            dst_z = next((z for z, ifs in p.zones.items() if out_if in ifs), None)
            rules: list[ParsedRule] = []
            default = False
            for b in p.bindings:
                f = p.filters.get(b.filter)
                if f is None or f.kind != "policies":
                    continue
                default = f.default == "permit"
                if b.from_zone is not None and (b.from_zone, b.to_zone) != (src_z, dst_z):
                    continue
                rules += [
                    r
                    for r in f.rules
                    if r.rule.from_zone in (ANY_ZONE, src_z) and r.rule.to_zone in (ANY_ZONE, dst_z)
                ]
            pseudo = Filter(
                f"{src_z}>{dst_z}", "policies", tuple(rules), 0, "permit" if default else "deny"
            )
            out.append((pseudo, rules, default))
        for b in p.bindings:
            f = p.filters.get(b.filter)
            if f is None or f.kind == "policies":
                continue
            if b.interface == ANY_ZONE and b.direction == "in":
                rules = [
                    r
                    for r in f.rules
                    if r.rule.from_zone in (ANY_ZONE, in_if)
                    and r.rule.to_zone in (ANY_ZONE, out_if)
                ]
            elif (b.interface == in_if and b.direction == "in") or (
                b.interface == out_if and b.direction == "out"
            ):
                rules = list(f.rules)
            else:
                continue
            out.append((f, rules, f.default == "permit"))
        return out

    def permitted(self, in_if: str, out_if: str) -> Set:
        """Packets permitted from ``in_if`` to ``out_if`` (cached per filter and rule list)."""
        pair = self._pairs.get((in_if, out_if))
        if pair is None:
            pair = self._pairs[(in_if, out_if)] = self._permitted(in_if, out_if)
        return pair

    def _permitted(self, in_if: str, out_if: str) -> Set:
        ps = self.ps
        result = ps.valid
        for f, rules, default in self.ordered(in_if, out_if):
            result &= self.first(f.name, rules, default)[0]
        return result

    def first(
        self, name: str, rules: list[ParsedRule], default: bool
    ) -> tuple[Set, list[int], Set]:
        """First-match detail of a rule list (cached)."""
        key = (name, tuple(map(id, rules)), default)
        if key not in self._first:
            self._first[key] = self.ps.first_match_rules(
                [r.rule for r in rules], default, lambda i: self.match(rules[i])
            )
        return self._first[key]

    def deciding(self, in_if: str, out_if: str, w: Witness) -> ParsedRule | None:
        """The line that decides a concrete packet: the first denying one, else the last
        permitting one met."""
        last_permit: ParsedRule | None = None
        for _, rules, _default in self.ordered(in_if, out_if):
            hit = next((r for r in rules if self.ps.contains(self.match(r), w)), None)
            if hit is None:
                continue
            if hit.rule.action == "deny":
                return hit
            last_permit = hit
        return last_permit


def ruleset_as_parsed(rs: RuleSet) -> ParsedConfig:
    """The compiled rule set as if parsed back exactly (one forward filter matching on
    interfaces): the reference a running configuration is held to, and a self-check."""
    iface = {b.zone: b.interface for b in rs.interfaces}
    rules = []
    for i, rule in enumerate(rs.rules, start=1):
        rules.append(
            ParsedRule(
                replace(
                    rule,
                    from_zone=iface.get(rule.from_zone, ANY_ZONE),
                    to_zone=iface.get(rule.to_zone, ANY_ZONE),
                ),
                i,
                rule.name,
            )
        )
    forward = Filter("compiled", "chain", tuple(rules), 1, "deny")
    return ParsedConfig(
        rs.platform,
        f"<compiled {rs.enforcement_point}>",
        {"compiled": forward},
        (Binding("compiled", ANY_ZONE, "in", 1),),
        stateful=rs.stateful,
    )


@without_gc
def validate_running(
    intent: Intent, ep: EnforcementPoint, parsed: ParsedConfig
) -> ValidationReport:
    """Every check of one enforcement point's running configuration against the intent."""
    r = intent.resolver
    site = r.loaded.site
    report = ValidationReport(site.site, ep.name, parsed.platform, parsed.path)
    add = report.findings.append
    iface_of = {z: f.name for f in ep.interfaces for z in f.zones()}
    mgmt = r.resolve_all(site.policy.management_sources)
    scanners = r.resolve_all(site.policy.scanner_sources)  # besides every scanner zone
    decoys = decoy_endpoints(r)
    violated: set[str] = set()

    for u in parsed.unsupported:
        add(
            Finding(
                "not-checked",
                "not checked",
                "info",
                f"not understood: {u.reason}",
                line=u.line,
                line_text=u.text,
            )
        )

    flows_by_pair: dict[tuple[str, str], list[Flow]] = {}
    for f in intent.flows:
        flows_by_pair.setdefault((f.src.zone, f.dst.zone), []).append(f)
    # The families this point answers for: those of the zones it guards (zones it only
    # reaches are guarded, per family, by another point), and those its rules speak of.
    guarded = {f.zone for f in ep.interfaces if f.zone}
    families: set[int] = {
        int(n.version)
        for z in guarded
        if r.zone_kind(z) is not ZoneKind.INTERNET
        for n in r.zones[z].networks
    }
    for filt in parsed.filters.values():
        families.update(pr.rule.family for pr in filt.rules if pr.rule.family is not None)
    for family in sorted(families - set(parsed.families)):
        add(
            Finding(
                "not-checked",
                "not checked",
                "info",
                f"IPv{family} traffic of this enforcement point is not covered by "
                f"{parsed.path} (an iptables-save file covers one address family)",
            )
        )
    for family in sorted(families & set(parsed.families)):
        ps = PacketSpace(family)
        ev = _Evaluator(parsed, ps)

        def nets_of(zone: str, ps: PacketSpace = ps) -> Set:
            if r.zone_kind(zone) is ZoneKind.INTERNET:
                return ps.networks("s", r.internet_networks), ps.networks("d", r.internet_networks)
            return ps.networks("s", r.zones[zone].networks), ps.networks(
                "d", r.zones[zone].networks
            )

        zone_sets = {z: nets_of(z) for z in iface_of}
        dst_of = {e: ps.networks("d", e.networks) for e in decoys}
        mgmt_src = ps.networks("s", [n for e in mgmt for n in e.networks])
        scan_src = ps.networks("s", [n for e in scanners for n in e.networks])
        ra = ps.false
        for svc in site.policy.remote_access_ports:
            ra |= ps.service(svc.protocol, svc.low, svc.high)
        # Replies a stateless filter must not let through: toward a remote-access port of a
        # clinical zone (the compiler puts its reply entries after those denies).
        no_reply = ra & ps.networks(
            "d", [n for z in site.zones if z.kind is ZoneKind.CLINICAL for n in z.networks]
        )

        # Nothing reaches a decoy (guarantee 6): a flow toward a whole zone does not cover the
        # decoys in it, which the compiler denies first.
        to_decoys = ps.networks("d", [n for e in decoys for n in e.networks])

        def wanted_from(
            forward: list[Flow],
            backward: list[Flow],
            ps: PacketSpace = ps,
            no_reply: Set = no_reply,
            to_decoys: Set = to_decoys,
        ) -> Set:
            """What the intent allows for these flows (new connections; on stateless filters
            also the replies of the ``backward`` flows, which they must let through)."""
            if parsed.stateful or not backward:
                return _wanted(ps, forward, []) & ~to_decoys
            both = _wanted(ps, forward, []) | (_wanted(ps, [], backward) & ~no_reply)
            return both & ~to_decoys

        def wanted_between(a: str, b: str) -> Set:
            return wanted_from(flows_by_pair.get((a, b), []), flows_by_pair.get((b, a), []))

        # Interface pairs first: when the whole pair agrees with the intent (the usual case),
        # none of its zone pairs needs a look of its own. A source zone behind one interface
        # and a destination zone behind another always form a pair that crosses this point.
        by_ifaces: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for a in sorted(iface_of):
            for b in sorted(iface_of):
                if iface_of[a] != iface_of[b]:
                    by_ifaces.setdefault((iface_of[a], iface_of[b]), []).append((a, b))
        flows_by_ifaces: dict[tuple[str, str], list[Flow]] = {}
        for (a, b), fl in flows_by_pair.items():
            if a in iface_of and b in iface_of and iface_of[a] != iface_of[b]:
                flows_by_ifaces.setdefault((iface_of[a], iface_of[b]), []).extend(fl)
        src_behind: dict[str, Set] = {}
        dst_behind: dict[str, Set] = {}
        for z, i in iface_of.items():
            src_behind[i] = src_behind.get(i, ps.false) | zone_sets[z][0]
            dst_behind[i] = dst_behind.get(i, ps.false) | zone_sets[z][1]
        zone_pairs: list[tuple[str, str]] = []
        for (in_if, out_if), pairs in sorted(by_ifaces.items()):
            region_if = ps.new & src_behind[in_if] & dst_behind[out_if]
            wanted_if = region_if & wanted_from(
                flows_by_ifaces.get((in_if, out_if), []),
                flows_by_ifaces.get((out_if, in_if), []),
            )
            allowed_if = ev.permitted(in_if, out_if) & region_if
            if allowed_if != wanted_if:
                zone_pairs += pairs
        for a, b in zone_pairs:
            src_a, _ = zone_sets[a]
            _, dst_b = zone_sets[b]
            region = ps.new & src_a & dst_b
            if ps.is_empty(region):
                continue
            allowed = ev.permitted(iface_of[a], iface_of[b]) & region
            flows_ab = flows_by_pair.get((a, b), [])
            wanted = wanted_between(a, b) & region
            extra = allowed & ~wanted
            missing = wanted & ~allowed

            def report_set(
                check: str,
                u: Set,
                msg: str,
                ps: PacketSpace = ps,
                ev: _Evaluator = ev,
                a: str = a,
                b: str = b,
                flows_ab: list[Flow] = flows_ab,
            ) -> None:
                w = ps.witness(u)
                if w is None:
                    return
                sev, hicp = GUARANTEE_CHECKS[check]
                line = ev.deciding(iface_of[a], iface_of[b], w)
                req = None
                if check == "required-flow-blocked":
                    req = next(
                        (f.provenance.requirement for f in flows_ab if _flow_has(ps, f, w)),
                        None,
                    )
                violated.add(check)
                add(
                    Finding(
                        check,
                        "violates",
                        sev,
                        f"{msg}: {w}",
                        w,
                        a,
                        b,
                        line.line if line else None,
                        line.text if line else None,
                        hicp,
                        req,
                    )
                )

            if not ps.is_empty(extra):
                ka, kb = r.zone_kind(a), r.zone_kind(b)
                rest = extra
                if ka is ZoneKind.SCANNER and kb in CLINICAL_KINDS:
                    report_set(
                        "scanner-to-clinical",
                        rest,
                        f"scanner zone {a} reaches {kb.value} zone {b}",
                    )
                    rest = ps.false
                elif kb in CLINICAL_KINDS:  # policy.scanner_sources in a zone of another kind
                    hit = rest & scan_src
                    report_set(
                        "scanner-to-clinical",
                        hit,
                        f"a scanner source in {a} reaches {kb.value} zone {b}",
                    )
                    rest &= ~hit
                if ka is ZoneKind.VENDOR_REMOTE:
                    maker = r.zones[a].manufacturer
                    own = ps.networks(
                        "d",
                        [
                            n
                            for e in r.loaded.site.devices
                            for n in r.device_endpoint(e.name).networks
                            if r.device_endpoint(e.name).manufacturer == maker
                        ],
                    )
                    cross = rest & ~own
                    report_set(
                        "vendor-cross-manufacturer",
                        cross,
                        f"vendor pool {a} ({maker}) reaches beyond its own devices in {b}",
                    )
                    rest &= ~cross
                if ka in UNTRUSTED_KINDS and kb is ZoneKind.CLINICAL:
                    report_set(
                        "untrusted-to-clinical",
                        rest,
                        f"{ka.value} zone {a} reaches clinical zone {b}",
                    )
                    rest = ps.false
                for dec, dset in dst_of.items():
                    hit = rest & dset
                    report_set("decoy-reachable", hit, f"decoy {dec.name} is reachable")
                    rest &= ~hit
                if kb is ZoneKind.CLINICAL:
                    hit = rest & ra & ~mgmt_src
                    report_set(
                        "remote-access-port",
                        hit,
                        f"remote-access port toward clinical zone {b} from a non-management source",
                    )
                    rest &= ~hit
                report_set("beyond-intent", rest, f"{a} -> {b} permits more than the intent")
            if not ps.is_empty(missing):
                report_set(
                    "required-flow-blocked", missing, f"a required flow {a} -> {b} is blocked"
                )
        if family == 4:
            report.findings.extend(_filter_hygiene(parsed, ev))

    for check, (_, hicp) in GUARANTEE_CHECKS.items():
        if check not in violated:
            add(Finding(check, "complies", "info", "no packet found", hicp=hicp))
    report.findings.sort(key=_finding_order)
    return report


_EndpointKey = tuple[str, str]
_Products = dict[tuple[str, int, int], list[tuple[Endpoint, Endpoint]]]


def _wanted(ps: PacketSpace, forward: list[Flow], backward: list[Flow]) -> Set:
    """What the intent allows for the ``forward`` flows (new connections), and the replies of
    the ``backward`` flows a stateless filter must let through (UDP from the service port,
    ICMP echo replies).

    The union of one (source x destination x service) product per flow, built with few BDD
    operations: the flows are grouped by service and merged into large products
    (:func:`_merge_products`), then each service is ANDed once with the union of its products.
    Exact: the products' union is unchanged by the merging, and ``(A & T) | (B & T)`` is
    ``(A | B) & T``."""
    fwd: _Products = {}
    for f in forward:
        svc = f.service
        fwd.setdefault((svc.protocol, svc.low, svc.high), []).append((f.src, f.dst))
    back: _Products = {}
    for f in backward:
        svc = f.service
        # The reply of a flow goes from its destination to its source.
        if svc.protocol == "udp":
            back.setdefault((svc.protocol, svc.low, svc.high), []).append((f.dst, f.src))
        elif svc.protocol in ("icmp", "icmpv6"):
            carried = icmp_in_family(svc.protocol, svc.low, svc.high, ps.family)
            # echo requests, or every type: the reply is an echo reply, nothing more
            if carried is not None and (carried[1] != carried[2] or carried[1] in (8, 128)):
                back.setdefault(("icmp", 0, 0), []).append((f.dst, f.src))
    wanted = ps.false
    for (protocol, low, high), pairs in fwd.items():
        wanted |= _products_set(ps, pairs) & ps.service(protocol, low, high)
    for (protocol, low, high), pairs in back.items():
        if protocol == "udp":
            reply = ps.protocol(17) & ps.port_range("sp", low, high)
        else:
            reply = ps.service("icmp", 0, 0)  # an echo reply in this family
        wanted |= _products_set(ps, pairs) & reply
    return wanted


def _products_set(ps: PacketSpace, pairs: list[tuple[Endpoint, Endpoint]]) -> Set:
    """The (source address, destination address) pairs of (source, destination) endpoint
    pairs, as a set."""
    out = ps.false
    for srcs, dsts in _merge_products(pairs):
        out |= ps.endpoints("s", srcs) & ps.endpoints("d", dsts)
    return out


def _merge_products(
    pairs: Iterable[tuple[Endpoint, Endpoint]],
) -> list[tuple[list[Endpoint], list[Endpoint]]]:
    """(sources, destinations) products whose union is exactly the given pairs': pairs with
    the same destination merge their sources (S1 x D | S2 x D == (S1 | S2) x D), then
    products with the same sources merge their destinations. Endpoints are identified by
    (kind, name), as the packet space caches them."""
    by_dst: dict[_EndpointKey, tuple[dict[_EndpointKey, Endpoint], Endpoint]] = {}
    for src, dst in pairs:
        entry = by_dst.get((dst.kind, dst.name))
        if entry is None:
            entry = by_dst[(dst.kind, dst.name)] = ({}, dst)
        entry[0][(src.kind, src.name)] = src
    by_src: dict[frozenset[_EndpointKey], tuple[list[Endpoint], list[Endpoint]]] = {}
    for srcs, dst in by_dst.values():
        key = frozenset(srcs)
        group = by_src.get(key)
        if group is None:
            group = by_src[key] = ([srcs[k] for k in sorted(srcs)], [])
        group[1].append(dst)
    return list(by_src.values())


def _flow_has(ps: PacketSpace, f: Flow, w: Witness) -> bool:
    u = (
        ps.networks("s", f.src.networks)
        & ps.networks("d", f.dst.networks)
        & ps.service(f.service.protocol, f.service.low, f.service.high)
    )
    return ps.contains(u, w)


_SEV_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_STATUS_ORDER = {"violates": 0, "not checked": 1, "complies": 2}


def _finding_order(f: Finding) -> tuple[int, int, str, str, str]:
    return (
        _STATUS_ORDER[f.status],
        _SEV_ORDER[f.severity],
        f.check,
        f.from_zone or "",
        f.to_zone or "",
    )


def _filter_hygiene(parsed: ParsedConfig, ev: _Evaluator) -> Iterable[Finding]:
    """Shadowed lines, unlogged default denies, bound-but-undefined and unbound filters."""
    ps = ev.ps
    bound = {b.filter for b in parsed.bindings}
    for b in parsed.bindings:
        if b.filter not in parsed.filters:
            yield Finding(
                "undefined-filter",
                "violates",
                "high",
                f"{b.filter} is bound to {b.interface} {b.direction} but not defined "
                "(traffic is not filtered as intended)",
                line=b.line,
            )
    for name, f in sorted(parsed.filters.items()):
        if name not in bound and f.kind in ("acl", "firewall-filter"):
            yield Finding(
                "unbound-filter",
                "violates",
                "low",
                f"{name} is defined but bound nowhere",
                line=f.line,
            )
        rules = list(f.rules)  # the same list the first-match sets use: shared cache
        unscoped = all(
            pr.rule.from_zone == ANY_ZONE and pr.rule.to_zone == ANY_ZONE for pr in rules
        )
        if unscoped:  # one pass, shared with the first-match sets
            _, shadowed_idx, covered = ev.first(name, rules, f.default == "permit")
            shadowed = [rules[i] for i in shadowed_idx]
        else:
            shadowed, covered = _scoped_shadows(ps, ev, rules)
        position = {id(q): k for k, q in enumerate(rules)}
        for pr in shadowed:
            m = ev.match(pr) & ps.valid
            # The earlier lines that take its packets, in order: each one that matches some
            # packet of it no line before took, until none is left (a permit-any at the top
            # is found at once, not after a look at every line in between).
            earlier: list[ParsedRule] = []
            left = m
            for q in rules[: position[id(pr)]]:
                if not _same_scope(q.rule, pr.rule):
                    continue
                qm = ev.match(q)
                if ps.is_empty(qm & left):
                    continue
                earlier.append(q)
                left &= ~qm
                if ps.is_empty(left):
                    break
            lines = ", ".join(str(q.line) for q in earlier)
            yield Finding(
                "shadowed",
                "violates",
                "medium" if pr.rule.action == "deny" else "low",
                f"line {pr.line} of {name} never matches: shadowed by line(s) {lines}",
                ps.witness(m),
                line=pr.line,
                line_text=pr.text,
            )
        if f.default == "deny" and f.kind != "policies":
            rest = ps.valid & ~covered
            if not ps.is_empty(rest):
                yield Finding(
                    "default-deny-not-logged",
                    "violates",
                    "medium",
                    f"{name} ends in an implicit deny that is not logged (HICP 9.L.B "
                    "asks the segment firewall to log to the SIEM)",
                    ps.witness(rest),
                    line=f.line,
                    hicp="9.L.B",
                )


def _scoped_shadows(
    ps: PacketSpace, ev: _Evaluator, rules: list[ParsedRule]
) -> tuple[list[ParsedRule], Set]:
    """Shadowed rules of a filter whose rules match on interfaces (nftables, iptables): a
    rule is only shadowed by earlier rules that apply to the same interfaces."""
    covers: dict[tuple[str, str], Set] = {}
    shadowed: list[ParsedRule] = []
    for pr in rules:
        m = ev.match(pr)
        if ps.is_empty(m & ps.valid):
            continue  # matches nothing here (e.g. the other address family)
        cover = ps.false
        for (fz, tz), c in covers.items():
            if fz in (ANY_ZONE, pr.rule.from_zone) and tz in (ANY_ZONE, pr.rule.to_zone):
                cover |= c
        scope = (pr.rule.from_zone, pr.rule.to_zone)
        covers[scope] = covers.get(scope, ps.false) | m
        if ps.is_empty(m & ~cover & ps.valid):
            shadowed.append(pr)
    covered = ps.false
    for c in covers.values():
        covered |= c
    return shadowed, covered


def _same_scope(a: Rule, b: Rule) -> bool:
    return a.from_zone in (ANY_ZONE, b.from_zone) and a.to_zone in (ANY_ZONE, b.to_zone)
