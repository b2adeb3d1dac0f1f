"""SRX security zones, address books, applications and security policies.

Each ``from-zone A to-zone B`` context becomes a filter ``A>B`` of kind ``policies`` (policies in
configured order, first match), bound to the zone pair; global policies become the filter
``global`` bound with no zone pair and evaluated after the zone-pair policies; both filters end
with the ``default-policy`` (``deny-all`` unless configured). A policy with several applications
becomes several rules (one per protocol and source-port set, destination ports merged), each
split by address family when its addresses are not "any".

As for filters, a policy the rule IR cannot express exactly errs toward what the device might
permit: a permitting policy is read without the condition it cannot express (an address defined
by DNS name counts as any address), a denying policy is left out; the line is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from segcfg.ir import ANY_ZONE, Action, PortRange
from segcfg.model.site import IPNetwork
from segcfg.parsed import Binding, Filter, ParsedRule
from segcfg.platforms.junos_srx._addr import AddrSet, parse_prefix
from segcfg.platforms.junos_srx._common import (
    Match,
    Notes,
    build_rules,
    icmp_types,
    label,
    log_tag,
    merge_ranges,
    number_rules,
    port_range,
    protocol_name,
)
from segcfg.platforms.junos_srx._tables import (
    ALG_APPS,
    ALG_PROTOCOLS,
    JUNOS_DEFAULT_APPS,
    AppTerm,
)
from segcfg.platforms.junos_srx._tree import Node, flatten

GLOBAL = "global"
_ANY = {
    "any": AddrSet.everything(),
    "any-ipv4": AddrSet.everything((4,)),
    "any-ipv6": AddrSet.everything((6,)),
}
_APP_IGNORED = frozenset(
    {
        "description",
        "inactivity-timeout",
        "ttl-threshold",
        "application-protocol",
        "alg",
        "do-not-translate-A-query-to-AAAA-query",
        "do-not-translate-AAAA-query-to-A-query",
        "learn-sip-register",
        "sip-call-hold-timeout",
        "apply-groups",
    }
)
_MATCH_FLAGS = frozenset({"source-address-excluded", "destination-address-excluded"})
_PERMIT = frozenset({"permit"})
_THEN_FLAGS = frozenset({"deny", "reject", "count"})
_THEN_KEYWORDS = frozenset({"permit", "deny", "reject", "count", "log"})
_POLICY_IGNORED = frozenset({"description", "match", "then", "apply-groups", "policy-rematch"})


@dataclass
class _Resolved:
    """An address or application reference resolved, with what could not be."""

    problems: list[tuple[Node, str]] = field(default_factory=list)
    alg: list[tuple[Node, str]] = field(default_factory=list)


class PolicyReader:
    def __init__(self, root: Node, notes: Notes) -> None:
        self.root = root
        self.notes = notes
        sec = root.get("security")
        self.sec = sec if sec is not None else Node("security", 0)

    # -- zones and address books -----------------------------------------------------------

    def zones(self) -> dict[str, tuple[str, ...]]:
        return {
            z.name: tuple(i.name for i in z.values("interfaces"))
            for z in self.sec.values("zones", "security-zone")
        }

    def _books(self, zone: str | None) -> list[Node]:
        """Address books searched for a name used in a policy of ``zone`` (None: global)."""
        books: list[Node] = []
        if zone is not None:
            own = self.sec.get("zones", "security-zone", zone, "address-book")
            if own is not None:
                books.append(own)
            for book in self.sec.values("address-book"):
                if book.name != "global" and book.get("attach", "zone", zone) is not None:
                    books.append(book)
        glob = self.sec.get("address-book", "global")
        if glob is not None:
            books.append(glob)
        return books

    def _address(
        self, name: str, books: list[Node], where: Node, res: _Resolved, trail: tuple[str, ...]
    ) -> AddrSet | None:
        if name in _ANY:
            return _ANY[name]
        for book in books:
            entry = book.get("address", name)
            if entry is not None:
                return self._address_entry(entry, res)
            aset = flatten(book.get("address-set", name))
            if aset is not None:
                if name in trail:
                    res.problems.append((aset, f"address-set {name} contains itself"))
                    return None
                out = AddrSet()
                for member in aset.values("address"):
                    got = self._address(member.name, [book], member, res, (*trail, name))
                    if got is None:
                        return None
                    out = out.union(got)
                for member in aset.values("address-set"):
                    got = self._address(member.name, [book], member, res, (*trail, name))
                    if got is None:
                        return None
                    out = out.union(got)
                return out
        res.problems.append((where, f"address {name} is not defined"))
        return None

    def _address_entry(self, entry: Node, res: _Resolved) -> AddrSet | None:
        nets: list[IPNetwork] = []
        for v in entry.kids():
            if v.name == "description":
                continue
            if v.name == "range-address":
                for lo in v.kids():
                    hi = lo.last("to")
                    a, b = parse_prefix(lo.name), parse_prefix(hi.name) if hi else None
                    if a is None or b is None or a.version != b.version:
                        res.problems.append((v, "range-address not understood"))
                        return None
                    lo_i, hi_i = int(a.network_address), int(b.network_address)
                    if lo_i > hi_i:
                        res.problems.append((v, "range-address runs backwards"))
                        return None
                    top = AddrSet.everything((a.version,))
                    iv = ((lo_i, hi_i),)
                    nets_set = AddrSet(iv, ()) if a.version == 4 else AddrSet((), iv)
                    nets.extend(nets_set.intersection(top).networks(a.version))
                continue
            if v.name == "wildcard-address":
                got = [_wildcard(w.name) for w in v.kids()]
                if not got or any(g is None for g in got):
                    res.problems.append((v, "a wildcard-address with a non-contiguous mask"))
                    return None
                nets.extend(g for g in got if g is not None)
                continue
            if v.name == "dns-name":
                res.problems.append((v, f"address {entry.name} is a DNS name"))
                return None
            net = parse_prefix(v.name)
            if net is None:
                res.problems.append((v, f"address {entry.name}: {v.name!r} is not understood"))
                return None
            nets.append(net)
        if not nets:
            res.problems.append((entry, f"address {entry.name} has no address"))
            return None
        return AddrSet.of(nets)

    # -- applications ----------------------------------------------------------------------

    def _application(
        self, name: str, where: Node, res: _Resolved, trail: tuple[str, ...]
    ) -> list[AppTerm] | None:
        if name == "any":
            return [AppTerm(None)]
        apps = self.root.get("applications")
        custom = apps.get("application", name) if apps is not None else None
        if custom is not None:
            return self._custom_application(custom, res)
        aset = flatten(apps.get("application-set", name)) if apps is not None else None
        if aset is not None:
            if name in trail:
                res.problems.append((aset, f"application-set {name} contains itself"))
                return None
            out: list[AppTerm] = []
            for member in aset.kids():
                if member.name not in ("application", "application-set"):
                    continue
                for ref in member.kids():
                    got = self._application(ref.name, ref, res, (*trail, name))
                    if got is None:
                        return None
                    out.extend(got)
            return out
        if name in JUNOS_DEFAULT_APPS:
            if name in ALG_APPS:
                res.alg.append((where, name))
            return list(JUNOS_DEFAULT_APPS[name])
        if name.startswith("junos-"):
            res.problems.append((where, f"predefined application {name} is not known here"))
        else:
            res.problems.append((where, f"application {name} is not defined"))
        return None

    def _custom_application(self, app: Node, res: _Resolved) -> list[AppTerm] | None:
        flat = flatten(app, opaque=frozenset({"term"})) or app
        terms = [flatten(t) or t for t in flat.values("term")]
        out: list[AppTerm] = []
        for t in terms or [flat]:
            got = self._app_term(app, t, res)
            if got is None:
                return None
            out.append(got)
        return out

    def _app_term(self, app: Node, t: Node, res: _Resolved) -> AppTerm | None:
        for alg in (*t.values("application-protocol"), *t.values("alg")):
            if alg.name in ALG_PROTOCOLS:
                res.alg.append((alg, f"{app.name} ({alg.name})"))
        for k in t.kids():
            known = ("protocol", "destination-port", "source-port", "icmp-type", "icmp6-type")
            if k.name not in known and k.name not in _APP_IGNORED and k.name != "term":
                res.problems.append((k, f"application {app.name}: {k.name!r} is not modelled"))
                return None
        proto_node = t.last("protocol")
        if proto_node is None:
            res.problems.append((t, f"application {app.name} has no protocol"))
            return None
        proto = protocol_name(proto_node.name)
        if proto is None:
            res.problems.append((proto_node, f"protocol {proto_node.name!r} is not understood"))
            return None
        sports: tuple[PortRange, ...] = ()
        dports: tuple[PortRange, ...] = ()
        for which in ("source-port", "destination-port"):
            v = t.last(which)
            if v is None:
                continue
            r = port_range(v.name)
            if r is None:
                res.problems.append((v, f"{v.name!r} is not a port or port range"))
                return None
            if which == "source-port":
                sports = merge_ranges([r])
            else:
                dports = merge_ranges([r])
        icmp: int | None = None
        v = t.last("icmp-type") or t.last("icmp6-type")
        if v is not None:
            types = icmp_types(v.name, 6 if proto == "icmpv6" else 4)
            if types is None or len(types) != 1:
                res.problems.append((v, f"ICMP type {v.name!r} is not understood"))
                return None
            icmp = types[0]
        ported = proto in ("tcp", "udp")
        return AppTerm(proto, sports if ported else (), dports if ported else (), icmp)

    # -- policies --------------------------------------------------------------------------

    def default_action(self) -> Action:
        last = self.sec.last("policies", "default-policy")
        return "permit" if last is not None and last.name == "permit-all" else "deny"

    def has_policies(self) -> bool:
        return self.sec.get("policies") is not None or self.sec.get("zones") is not None

    def filters(self) -> tuple[dict[str, Filter], list[Binding]]:
        default = self.default_action()
        pairs: list[tuple[str, str, Node]] = []
        for fz in self.sec.values("policies", "from-zone"):
            for tz in fz.values("to-zone"):
                pairs.append((fz.name, tz.name, tz))
        pairs.sort(key=lambda p: p[2].line)
        filters: dict[str, Filter] = {}
        bindings: list[Binding] = []
        for a, b, node in pairs:
            name = f"{a}>{b}"
            rules: list[ParsedRule] = []
            for pol in node.values("policy"):
                rules.extend(self._policy(name, pol, a, b))
            filters[name] = Filter(name, "policies", tuple(rules), node.line, default)
            bindings.append(Binding(name, "*", "in", node.line, from_zone=a, to_zone=b))
        glob = self.sec.get("policies", "global")
        if glob is not None:
            rules = []
            for pol in glob.values("policy"):
                rules.extend(self._policy(GLOBAL, pol, None, None))
            filters[GLOBAL] = Filter(GLOBAL, "policies", tuple(rules), glob.line, default)
            bindings.append(Binding(GLOBAL, "*", "in", glob.line))
        return filters, bindings

    def _policy(
        self, fname: str, pol: Node, from_zone: str | None, to_zone: str | None
    ) -> list[ParsedRule]:
        res = _Resolved()
        match = flatten(pol.get("match"), flags=_MATCH_FLAGS) or Node("match", pol.line)
        then = flatten(
            pol.get("then"), opaque=_PERMIT, flags=_THEN_FLAGS, keywords=_THEN_KEYWORDS
        ) or Node("then", pol.line)
        for k in pol.kids():
            if k.name == "scheduler-name":
                res.problems.append((k, "the policy applies only on a schedule"))
            elif k.name not in _POLICY_IGNORED:
                res.problems.append((k, f"{k.name!r} is not modelled"))
        decided = [k for k in then.kids() if k.name in ("permit", "deny", "reject")]
        if not decided:
            self.notes.at(pol, f"policy {pol.name} has no permit, deny or reject: not checked")
            return []
        verb = max(decided, key=lambda k: k.seq)
        action: Action = "permit" if verb.name == "permit" else "deny"
        for k in verb.kids():
            if k.name == "firewall-authentication":
                res.problems.append((k, f"then {verb.name} {k.name}: not modelled"))
        log = then.get("log") is not None and bool(then.values("log"))

        srcs = self._side(match, "source-address", from_zone, res)
        dsts = self._side(match, "destination-address", to_zone, res)
        apps: list[AppTerm] = []
        app_nodes = match.values("application")
        if not app_nodes:
            res.problems.append((match, "no match application (Junos requires one)"))
            apps = [AppTerm(None)]
        for ref in app_nodes:
            got = self._application(ref.name, ref, res, ())
            if got is None:
                apps = [AppTerm(None)]  # widened; only kept for a permit
                break
            apps.extend(got)
        for k in match.kids():
            if k.name in ("dynamic-application", "dynamic-applications"):
                if any(v.name not in ("any", "none") for v in k.kids()):
                    res.problems.append((k, "dynamic applications are not modelled"))
            elif k.name not in (
                "source-address",
                "destination-address",
                "application",
                "from-zone",
                "to-zone",
                "source-address-excluded",
                "destination-address-excluded",
            ):
                res.problems.append((k, f"match {k.name} is not modelled"))

        for node, why in res.problems:
            if action == "deny":
                self.notes.at(
                    node,
                    f"policy {pol.name}: {why}; this denying policy is left out (its traffic "
                    "is judged by the policies after it)",
                )
            else:
                self.notes.at(
                    node,
                    f"policy {pol.name}: {why}; this permitting policy is read without that "
                    "condition (it may permit more than the device does)",
                )
        if res.problems and action == "deny":
            return []
        if action == "permit":
            for node, alg in res.alg:
                self.notes.at(
                    node,
                    f"policy {pol.name}: application {alg} has an application-layer gateway; "
                    "the related connections it opens are not modelled",
                )

        if from_zone is None:
            froms = [v.name for v in match.values("from-zone")] or [ANY_ZONE]
            tos = [v.name for v in match.values("to-zone")] or [ANY_ZONE]
        else:
            froms, tos = [from_zone], [to_zone or ANY_ZONE]
        froms = [ANY_ZONE if z == "any" else z for z in froms]
        tos = [ANY_ZONE if z == "any" else z for z in tos]
        desc = pol.last("description")
        src_label = label(v.name for v in match.values("source-address"))
        dst_label = label(v.name for v in match.values("destination-address"))
        text = self.notes.tree.text(pol.line)
        out: list[ParsedRule] = []
        for fz in froms:
            for tz in tos:
                for app in _merge_apps(apps):
                    m = Match(srcs, dsts, app.protocol, app.src_ports, app.dst_ports, app.icmp_type)
                    out.extend(
                        build_rules(
                            m,
                            name=f"{fname}:{pol.name}",
                            action=action,
                            from_zone=fz,
                            to_zone=tz,
                            family=None,
                            line=pol.line,
                            text=text,
                            log=log_tag(pol.name) if log else None,
                            remarks=(desc.name,) if desc is not None else (),
                            src_label=src_label,
                            dst_label=dst_label,
                        )
                    )
        return number_rules(out, f"{fname}:{pol.name}")

    def _side(self, match: Node, which: str, zone: str | None, res: _Resolved) -> AddrSet:
        refs = match.values(which)
        if not refs:
            res.problems.append((match, f"no match {which} (Junos requires one)"))
            return AddrSet.everything()
        books = self._books(zone)
        out = AddrSet()
        for ref in refs:
            got = self._address(ref.name, books, ref, res, ())
            if got is None:
                return AddrSet.everything()  # widened; only kept for a permit
            out = out.union(got)
        if match.get(f"{which}-excluded") is not None:
            out = out.complement()
        return out


def _wildcard(text: str) -> IPNetwork | None:
    """``10.0.0.0/255.255.0.0`` with a contiguous mask -> a prefix; None otherwise."""
    _, slash, mask = text.partition("/")
    return parse_prefix(text) if slash and "." in mask else None


def _merge_apps(apps: list[AppTerm]) -> list[AppTerm]:
    """Application terms of one protocol, source ports and ICMP type merged into one (their
    destination ports united), in first-appearance order; exact duplicates dropped."""
    groups: dict[tuple[str | None, tuple[PortRange, ...], int | None], list[AppTerm]] = {}
    for a in apps:
        groups.setdefault((a.protocol, a.src_ports, a.icmp_type), []).append(a)
    out: list[AppTerm] = []
    for (proto, sports, icmp), members in groups.items():
        if any(not m.dst_ports for m in members):
            dports: tuple[PortRange, ...] = ()
        else:
            dports = merge_ranges(r for m in members for r in m.dst_ports)
        out.append(AppTerm(proto, sports, dports, icmp))
    return out
