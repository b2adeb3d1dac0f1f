"""Stateless firewall filters (``firewall family inet|inet6 filter``), prefix lists, and their
interface bindings, read from the configuration tree.

A term's ``from`` conditions are ANDed, the values of one condition ORed; ``address``,
``prefix-list`` and ``port`` (either side) split a term into several rules of the same action.
A term without ``then`` action, or with only action modifiers (``count``, ``log``, ...), accepts
(Junos: nonterminating actions carry an implicit accept); ``next term`` makes a term
non-terminal, so it yields no rule. ``filter X`` inside a term is inlined. Every filter ends
with Junos' implicit discard.

When a term holds a condition the rule IR cannot express (``packet-length``, ``icmp-code``,
``fragment-offset``, ``dscp``, ...), the parser errs toward what the device might permit: an
accepting term is read without that condition (it may accept more than the device), a
discarding term is left out (its packets go on to later terms). Either way the line is reported
as unsupported, so the validator marks it not checked.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from segcfg.ir import ANY_ZONE, Action, PortRange
from segcfg.model.site import IPNetwork
from segcfg.parsed import Binding, Direction, Filter, ParsedRule
from segcfg.platforms.junos_srx._addr import AddrSet, LongestMatch, parse_prefix
from segcfg.platforms.junos_srx._common import (
    Match,
    Notes,
    build_rules,
    complement_ranges,
    icmp_types,
    intersect_ranges,
    label,
    log_tag,
    merge_ranges,
    number_rules,
    port_range,
    protocol_name,
)
from segcfg.platforms.junos_srx._tables import EXTENSION_HEADERS
from segcfg.platforms.junos_srx._tree import Node, flatten

FAMILIES = {"inet": 4, "inet6": 6}
_EXCEPT = frozenset({"except"})
_SRC = ("source-address", "ip-source-address")
_DST = ("destination-address", "ip-destination-address")
_EITHER = ("address", "ip-address")
_PREFIX_LISTS = {
    "source-prefix-list": "src",
    "destination-prefix-list": "dst",
    "prefix-list": "either",
}
_PROTOCOL = ("protocol", "next-header", "payload-protocol", "ip-protocol")
_PORTS = {"source-port": "src", "destination-port": "dst", "port": "either"}
_FORWARD = frozenset(
    {
        "routing-instance",
        "next-ip",
        "next-ip6",
        "next-interface",
        "logical-system",
        "topology",
        "decapsulate",
        "encapsulate",
        "next-hop-group",
    }
)
_MODIFIERS = frozenset(
    {
        "count",
        "log",
        "syslog",
        "policer",
        "three-color-policer",
        "hierarchical-policer",
        "sample",
        "port-mirror",
        "port-mirror-instance",
        "forwarding-class",
        "loss-priority",
        "dscp",
        "traffic-class",
        "packet-mode",
        "service-accounting",
        "service-filter-hit",
        "prefix-action",
        "analyzer",
        "virtual-channel",
        "dont-fragment",
        "load-balance-group",
        "monitoring-instance",
        "ipsec-sa",
    }
)
_FROM_FLAGS = frozenset(
    {"tcp-established", "tcp-initial", "is-fragment", "first-fragment", "last-fragment"}
)
_THEN_FLAGS = frozenset({"accept", "discard", "log", "syslog", "sample", "packet-mode"})
_THEN_KEYWORDS = _MODIFIERS | _FORWARD | {"accept", "discard", "reject", "next"}
_FILTER_OPTIONS = frozenset(
    {
        "interface-specific",
        "physical-interface-filter",
        "enhanced-mode",
        "instance-shared",
        "accounting-profile",
        "fast-lookup-filter",
        "promote",
        "filter-specific",
        "interface-shared",
        "apply-groups",
        "apply-groups-except",
    }
)


@dataclass
class _Cond:
    """The ``from`` conditions of one term, folded."""

    src: AddrSet
    dst: AddrSet
    either: list[AddrSet]
    protocols: list[str] | None = None
    src_ports: tuple[PortRange, ...] = ()
    dst_ports: tuple[PortRange, ...] = ()
    either_ports: list[tuple[PortRange, ...]] | None = None
    icmp: set[int] | None = None
    established: bool = False
    never: bool = False  # the conditions contradict each other: nothing matches
    # (condition, what, protocols it implies) of ports, ICMP types and tcp-established
    needs: list[tuple[Node, str, tuple[str, ...]]] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)  # protocols kept without those conditions


class FilterReader:
    """Filters, prefix lists and interface bindings of one configuration tree."""

    def __init__(self, root: Node, notes: Notes) -> None:
        self.root = root
        self.notes = notes
        self.defs: dict[tuple[int, str], Node] = {}
        self.keys: dict[tuple[int, str], str] = {}
        self._prefix_lists: dict[str, list[IPNetwork] | None] = {}
        self._discover()

    # -- definitions -----------------------------------------------------------------------

    def _discover(self) -> None:
        found: list[tuple[int, Node]] = []
        fw = self.root.get("firewall")
        if fw is None:
            return
        found.extend((4, f) for f in fw.values("filter"))
        for fam_node in fw.values("family"):
            for f in fam_node.values("filter"):
                if fam_node.name in FAMILIES:
                    found.append((FAMILIES[fam_node.name], f))
                else:
                    self.notes.at(
                        f,
                        f"family {fam_node.name} filter {f.name}: only inet and inet6 filters are "
                        "modelled; not checked",
                    )
        found.sort(key=lambda item: item[1].line)
        inet_names = {f.name for fam, f in found if fam == 4}
        for fam, f in found:
            if (fam, f.name) in self.defs:
                self.notes.at(
                    f,
                    f"filter {f.name} is defined twice (firewall filter and firewall family "
                    "inet filter); only this definition is read",
                )
            self.defs[(fam, f.name)] = f
            self.keys[(fam, f.name)] = (
                f.name if fam == 4 or f.name not in inet_names else f"inet6:{f.name}"
            )

    def prefix_list(self, name: str) -> list[IPNetwork] | None:
        """The prefixes of ``policy-options prefix-list NAME`` (``apply-path`` evaluated against
        this configuration); None when undefined or not understood."""
        if name in self._prefix_lists:
            return self._prefix_lists[name]
        self._prefix_lists[name] = None  # guards against self-reference
        node = self.root.get("policy-options", "prefix-list", name)
        result: list[IPNetwork] | None = None
        if node is not None:
            result = []
            for v in node.kids():
                if v.name == "apply-path":
                    for pattern in v.kids():
                        result.extend(self._apply_path(pattern.name))
                    continue
                if v.name in ("description", "apply-groups"):
                    continue
                net = parse_prefix(v.name)
                if net is None:
                    result = None
                    break
                result.append(net)
        self._prefix_lists[name] = result
        return result

    def _apply_path(self, pattern: str) -> list[IPNetwork]:
        parts = pattern.split()
        nodes = [self.root]
        for part in parts:
            glob = part[1:-1] if part.startswith("<") and part.endswith(">") else None
            nxt: list[Node] = []
            for n in nodes:
                for c in n.kids():
                    if (glob is not None and fnmatch.fnmatchcase(c.name, glob)) or c.name == part:
                        nxt.append(c)
            nodes = nxt
        nets = [parse_prefix(n.name) for n in nodes]
        return [n for n in nets if n is not None]

    # -- filters ---------------------------------------------------------------------------

    def filters(self) -> dict[str, Filter]:
        out: dict[str, Filter] = {}
        for (fam, name), node in self.defs.items():
            key = self.keys[(fam, name)]
            for opt in node.kids():
                if opt.name != "term" and opt.name not in _FILTER_OPTIONS:
                    self.notes.at(opt, f"filter {name}: {opt.name!r} is not modelled")
            rules = self.filter_rules(fam, name, ())
            out[key] = Filter(key, "firewall-filter", tuple(rules), node.line, "deny")
        return out

    def filter_rules(self, fam: int, name: str, trail: tuple[str, ...]) -> list[ParsedRule]:
        node = self.defs[(fam, name)]
        key = self.keys[(fam, name)]
        rules: list[ParsedRule] = []
        for term in node.values("term"):
            got = self._term(fam, key, term, (*trail, name))
            rules.extend(number_rules(got, f"{key}:{term.name}"))
        return rules

    def _term(self, fam: int, key: str, term: Node, trail: tuple[str, ...]) -> list[ParsedRule]:
        nested = term.last("filter")
        if nested is not None:
            if (fam, nested.name) not in self.defs:
                self.notes.at(nested, f"filter {nested.name} is not defined: not checked")
                return []
            if nested.name in trail:
                self.notes.at(nested, f"filter {nested.name} references itself: not checked")
                return []
            return self.filter_rules(fam, nested.name, trail)
        dropped: list[tuple[Node, str]] = []
        frm = flatten(term.get("from"), keep=_EXCEPT, flags=_FROM_FLAGS)
        cond = self._conditions(fam, frm, dropped)
        decided = self._action(term)
        if decided is None:
            return []  # `next term`: not terminal
        action, log = decided
        self._settle_protocols(fam, term, cond, action)
        for node, why in dropped:
            if action == "deny":
                self.notes.at(
                    node,
                    f"term {term.name}: {why}; this discarding term is left out (its packets "
                    "are judged by the terms after it)",
                )
            else:
                self.notes.at(
                    node,
                    f"term {term.name}: {why}; this accepting term is read without it (it "
                    "may accept more than the device does)",
                )
        if cond.never or (dropped and action == "deny"):
            return []
        return self._rules(fam, key, term, frm, cond, action, log)

    def _rules(
        self,
        fam: int,
        key: str,
        term: Node,
        frm: Node | None,
        cond: _Cond,
        action: Action,
        log: bool,
    ) -> list[ParsedRule]:
        addr_alts: list[tuple[AddrSet, AddrSet]] = [(cond.src, cond.dst)]
        for e in cond.either:  # `address`, `prefix-list`: the source or the destination
            addr_alts = [(s.intersection(e), d) for s, d in addr_alts] + [
                (s, d.intersection(e)) for s, d in addr_alts
            ]
        alts = [(s, d, cond.src_ports, cond.dst_ports) for s, d in addr_alts]
        for ep in cond.either_ports or []:  # `port`: the source or the destination port
            nxt: list[tuple[AddrSet, AddrSet, tuple[PortRange, ...], tuple[PortRange, ...]]] = []
            for s, d, sp, dp in alts:
                on_src, on_dst = intersect_ranges(sp, ep), intersect_ranges(dp, ep)
                if on_src is not None:
                    nxt.append((s, d, on_src, dp))
                if on_dst is not None:
                    nxt.append((s, d, sp, on_dst))
            alts = nxt
        matches: list[Match] = []
        for s, d, sp, dp in alts:
            for proto in cond.protocols if cond.protocols is not None else [None]:
                types: list[int | None] = [None]
                if cond.icmp is not None and proto in ("icmp", "icmpv6"):
                    types = [*sorted(cond.icmp)]
                ported = proto in ("tcp", "udp")
                established = cond.established and proto == "tcp"
                for t in types:
                    matches.append(
                        Match(
                            s, d, proto, sp if ported else (), dp if ported else (), t, established
                        )
                    )
        for s, d in addr_alts:
            matches.extend(Match(s, d, proto) for proto in cond.loose)
        src_label = label(_values(frm, "source-address", "source-prefix-list", "address"))
        dst_label = label(_values(frm, "destination-address", "destination-prefix-list"))
        out: list[ParsedRule] = []
        for match in matches:
            out.extend(
                build_rules(
                    match,
                    name=f"{key}:{term.name}",
                    action=action,
                    from_zone=ANY_ZONE,
                    to_zone=ANY_ZONE,
                    family=fam,
                    line=term.line,
                    text=self.notes.tree.text(term.line),
                    log=log_tag(term.name) if log else None,
                    src_label=src_label,
                    dst_label=dst_label,
                )
            )
        return out

    def _addresses(self, cond: Node, fam: int, dropped: list[tuple[Node, str]]) -> AddrSet | None:
        lm = LongestMatch()
        for v in cond.kids():
            if cond.name in _PREFIX_LISTS:
                nets = self.prefix_list(v.name)
                if nets is None:
                    dropped.append((v, f"prefix-list {v.name} is not defined or not understood"))
                    return None
            else:
                net = parse_prefix(v.name)
                if net is None:
                    dropped.append((v, f"{v.name!r} is not an IP prefix"))
                    return None
                nets = [net]
            for net in nets:
                lm.add(net, v.get("except") is not None)
        return lm.result().intersection(AddrSet.everything((fam,)))

    def _conditions(self, fam: int, frm: Node | None, dropped: list[tuple[Node, str]]) -> _Cond:
        every = AddrSet.everything((fam,))
        c = _Cond(every, every, [])
        if frm is None:
            return c
        for cond in frm.kids():
            name = cond.name
            if name in _SRC or name in _DST or name in _EITHER or name in _PREFIX_LISTS:
                got = self._addresses(cond, fam, dropped)
                if got is None:
                    continue
                side = _PREFIX_LISTS.get(name)
                if name in _SRC or side == "src":
                    c.src = c.src.intersection(got)
                elif name in _DST or side == "dst":
                    c.dst = c.dst.intersection(got)
                else:
                    c.either.append(got)
            elif name in _PROTOCOL:
                protos = self._protocols(cond, fam, dropped)
                if protos is not None:
                    c.protocols = (
                        protos if c.protocols is None else [p for p in c.protocols if p in protos]
                    )
            elif name in _PORTS or (name.endswith("-except") and name[:-7] in _PORTS):
                self._ports(cond, c, dropped)
            elif name in ("icmp-type", "icmp-type-except", "icmp6-type", "icmp6-type-except"):
                types: set[int] = set()
                for v in cond.kids():
                    got_types = icmp_types(v.name, fam)
                    if got_types is None:
                        dropped.append((v, f"unknown ICMP type {v.name!r}"))
                        break
                    types.update(got_types)
                else:
                    if name.endswith("-except"):
                        types = set(range(256)) - types
                    c.icmp = types if c.icmp is None else c.icmp & types
                    c.needs.append((cond, name, ("icmp" if fam == 4 else "icmpv6",)))
            elif name == "tcp-established":
                c.established = True
                c.needs.append((cond, name, ("tcp",)))
            else:
                dropped.append((cond, f"match condition {name!r} is not modelled"))
        return c

    def _protocols(self, cond: Node, fam: int, dropped: list[tuple[Node, str]]) -> list[str] | None:
        protos: list[str] = []
        for v in cond.kids():
            p = protocol_name(v.name)
            if p is None or (fam == 6 and v.name in EXTENSION_HEADERS):
                dropped.append((v, f"protocol {v.name!r} is not modelled"))
                return None
            protos.append(p)
        return protos

    def _ports(self, cond: Node, c: _Cond, dropped: list[tuple[Node, str]]) -> None:
        ranges: list[PortRange] = []
        for v in cond.kids():
            r = port_range(v.name)
            if r is None:
                dropped.append((v, f"{v.name!r} is not a port or port range"))
                return
            ranges.append(r)
        c.needs.append((cond, cond.name, ("tcp", "udp")))
        name = cond.name
        if name.endswith("-except"):
            comp = complement_ranges(ranges)
            if comp is None:
                c.never = True
                return
            base = name[:-7]
            wanted = [("src", comp), ("dst", comp)] if base == "port" else [(_PORTS[base], comp)]
        else:
            wanted = [(_PORTS[name], merge_ranges(ranges))]
        for side, rs in wanted:
            if side == "either":
                c.either_ports = [*(c.either_ports or []), rs]
                continue
            current = c.src_ports if side == "src" else c.dst_ports
            got = intersect_ranges(current, rs)
            if got is None:
                c.never = True
            elif side == "src":
                c.src_ports = got
            else:
                c.dst_ports = got

    def _settle_protocols(self, fam: int, term: Node, c: _Cond, action: Action) -> None:
        """Ports, ICMP types and tcp-established need their protocol: Junos does not check it
        (it reads the bytes where the field would be), the IR does; say so when they differ.
        Other protocols listed with such a condition are kept without it in an accepting term
        and left out of a discarding one."""
        for node, what, allowed in c.needs:
            if c.protocols is None:
                c.protocols = list(allowed)
                self.notes.at(
                    node,
                    f"term {term.name}: {what} without 'protocol {' or '.join(allowed)}': Junos "
                    f"reads those bytes in any protocol; modelled for {', '.join(allowed)} only",
                )
                continue
            other = [p for p in c.protocols if p not in allowed]
            if other and action == "permit":
                c.loose.extend(p for p in other if p not in c.loose)
                self.notes.at(
                    node,
                    f"term {term.name}: {what} with protocol {', '.join(other)} is not modelled; "
                    f"read as accepting every {', '.join(other)} packet of the term (it may "
                    "accept more than the device does)",
                )
            elif other:
                self.notes.at(
                    node,
                    f"term {term.name}: {what} with protocol {', '.join(other)} is not modelled; "
                    f"those protocols are left out of this discarding term",
                )
            c.protocols = [p for p in c.protocols if p in allowed]
        if c.protocols == [] and not c.loose:
            c.never = True

    def _action(self, term: Node) -> tuple[Action, bool] | None:
        """(action, logs) of a term; None for a non-terminal term (``next term``)."""
        then = flatten(term.get("then"), flags=_THEN_FLAGS, keywords=_THEN_KEYWORDS)
        if then is None:
            return "permit", False
        kids = then.kids()
        if any(k.name == "next" and k.get("term") is not None for k in kids):
            return None
        terminating = [k for k in kids if k.name in ("accept", "discard", "reject", *_FORWARD)]
        action: Action = "permit"
        if terminating:
            last = max(terminating, key=lambda k: k.seq)
            action = "deny" if last.name in ("discard", "reject") else "permit"
            if last.name in _FORWARD:
                self.notes.at(
                    last,
                    f"term {term.name}: then {last.name}: the packet is passed on (forwarded "
                    "elsewhere); modelled as accept",
                )
        for k in kids:
            known = k.name in _MODIFIERS or k.name in _FORWARD
            if not known and k.name not in ("accept", "discard", "reject"):
                self.notes.at(k, f"term {term.name}: action {k.name!r} is not modelled")
        logs = any(k.name in ("log", "syslog") for k in kids)
        return action, logs

    # -- bindings --------------------------------------------------------------------------

    def key_for(self, fam: int, name: str) -> str | None:
        return self.keys.get((fam, name))

    def bindings(self) -> list[Binding]:
        out: list[Binding] = []
        for ifnode in self.root.values("interfaces"):
            if ifnode.name == "interface-range":
                for rng in ifnode.kids():
                    if any(p[-1] == "filter" for p, _ in rng.walk()):
                        self.notes.at(rng, "filters bound through an interface-range: not checked")
                continue
            for unit in ifnode.values("unit"):
                for fam in unit.values("family"):
                    filt = flatten(fam.get("filter"))
                    if filt is None:
                        continue
                    if fam.name not in FAMILIES:
                        self.notes.at(
                            filt, f"family {fam.name} filter on {ifnode.name}: not modelled"
                        )
                        continue
                    iface = f"{ifnode.name}.{unit.name}"
                    directions: tuple[tuple[Direction, str, str], ...] = (
                        ("in", "input", "input-list"),
                        ("out", "output", "output-list"),
                    )
                    for direction, single, many in directions:
                        out.extend(
                            self._bind(FAMILIES[fam.name], filt, iface, direction, single, many)
                        )
        fwd = self.root.get("forwarding-options")
        if fwd is not None:
            for path, node in fwd.walk():
                if path[-1] == "filter" and node.kids():
                    self.notes.at(node, "forwarding-table filter: not checked")
        return out

    def _bind(
        self, fam: int, filt: Node, iface: str, direction: Direction, single: str, many: str
    ) -> list[Binding]:
        one, lst = filt.get(single), filt.get(many)
        # Junos keeps one of `input` and `input-list`: the one set last.
        if one is not None and (lst is None or one.seq >= lst.seq):
            last = filt.last(single)
            values = [last] if last is not None else []
        elif lst is not None:
            values = lst.kids()
        else:
            return []
        out: list[Binding] = []
        for v in values:
            key = self.key_for(fam, v.name)
            if key is None:
                self.notes.at(
                    v,
                    f"filter {v.name} ({'inet' if fam == 4 else 'inet6'}) is not defined: the "
                    f"{direction}put of {iface} is not checked",
                )
                key = v.name
            out.append(Binding(key, iface, direction, v.line))
        return out


def _values(frm: Node | None, *names: str) -> list[str]:
    if frm is None:
        return []
    out: list[str] = []
    for name in names:
        for v in frm.values(name):
            out.append(v.name + (" except" if v.get("except") is not None else ""))
    return out
