"""What the nftables and iptables parsers share: match conditions, chain walking, IR rules.

Both parsers turn each rule of a chain into an :class:`Item` (a :class:`Cond`, the conntrack
states it matches, and its effect), then a :class:`ChainWalker` flattens every base chain into
first-match IR rules, following ``jump``/``goto`` to user chains and ``return`` exactly, or
reporting what it cannot express as :class:`~segcfg.parsed.Unsupported`.

Only decisions on the *first packet of a new connection* are modelled (that is what the IR
and ``segcfg.evaluate`` decide). Hence:

- a match on conntrack states that include ``new`` is true for such packets and is dropped;
- rules matching only ``invalid``/``untracked`` packets that drop them, or any rule matching
  only non-new packets without a verdict, cannot change the decision and are ignored;
- an accept of ``established``/``related`` packets that no rule able to deny precedes in a base
  chain (and that matches everything else the chain sees) makes the chain *stateful*: replies of
  allowed connections pass; anywhere else it is reported as unsupported.

(Private to ``segcfg.platforms.nftables`` and ``segcfg.platforms.iptables``.)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from segcfg.intervals import Interval, intersect_intervals, merge_intervals
from segcfg.ir import ANY_ZONE, Action, PortRange, Rule
from segcfg.model.site import IPNetwork
from segcfg.parsed import Binding, Filter, ParsedConfig, ParsedRule, Unsupported

Effect = Literal["accept", "drop", "jump", "goto", "return", "none"]

MAX_DEPTH = 16  # nested jumps followed before giving up (nft itself refuses loops)
PORTED = frozenset({"tcp", "udp"})
# Transport protocols whose header starts with 16-bit source and destination ports (nft `th`).
TH_PROTOCOLS = frozenset({"tcp", "udp", "udplite", "sctp", "dccp"})
CT_STATES = frozenset({"new", "established", "related", "invalid", "untracked"})
REPLY_STATES = frozenset({"established", "related"})

PROTOCOL_NUMBERS: dict[int, str] = {
    1: "icmp",
    2: "igmp",
    4: "ipip",
    6: "tcp",
    17: "udp",
    33: "dccp",
    41: "ipv6",
    47: "gre",
    50: "esp",
    51: "ah",
    58: "icmpv6",
    89: "ospf",
    103: "pim",
    112: "vrrp",
    132: "sctp",
    136: "udplite",
}
_PROTOCOL_NAMES = {name: name for name in PROTOCOL_NUMBERS.values()} | {
    "ipv6-icmp": "icmpv6",
    "icmp6": "icmpv6",
    "ipencap": "ipip",
    "ospfigp": "ospf",
}

ICMP_TYPES: dict[str, int] = {
    "echo-reply": 0,
    "destination-unreachable": 3,
    "source-quench": 4,
    "redirect": 5,
    "echo-request": 8,
    "router-advertisement": 9,
    "router-solicitation": 10,
    "time-exceeded": 11,
    "parameter-problem": 12,
    "timestamp-request": 13,
    "timestamp-reply": 14,
    "info-request": 15,
    "info-reply": 16,
    "address-mask-request": 17,
    "address-mask-reply": 18,
    # iptables spellings
    "ping": 8,
    "pong": 0,
    "timestamp": 13,
    "address-mask": 17,
}
ICMPV6_TYPES: dict[str, int] = {
    "destination-unreachable": 1,
    "packet-too-big": 2,
    "time-exceeded": 3,
    "parameter-problem": 4,
    "echo-request": 128,
    "echo-reply": 129,
    "mld-listener-query": 130,
    "mld-listener-report": 131,
    "mld-listener-done": 132,
    "mld-listener-reduction": 132,
    "nd-router-solicit": 133,
    "nd-router-advert": 134,
    "nd-neighbor-solicit": 135,
    "nd-neighbor-advert": 136,
    "nd-redirect": 137,
    "router-renumbering": 138,
    "ind-neighbor-solicit": 141,
    "ind-neighbor-advert": 142,
    "mld2-listener-report": 143,
    # iptables spellings
    "ping": 128,
    "pong": 129,
    "router-solicitation": 133,
    "router-advertisement": 134,
    "neighbour-solicitation": 135,
    "neighbor-solicitation": 135,
    "neighbour-advertisement": 136,
    "neighbor-advertisement": 136,
    "redirect": 137,
}

# Service names as nft and iptables print them (from the usual /etc/services); a fixed table so
# that parsing does not depend on the machine it runs on. Unknown names are unsupported.
SERVICES: dict[str, int] = {
    "ftp-data": 20,
    "ftp": 21,
    "ssh": 22,
    "telnet": 23,
    "smtp": 25,
    "domain": 53,
    "bootps": 67,
    "bootpc": 68,
    "tftp": 69,
    "http": 80,
    "www": 80,
    "kerberos": 88,
    "pop3": 110,
    "sunrpc": 111,
    "ntp": 123,
    "netbios-ns": 137,
    "netbios-dgm": 138,
    "netbios-ssn": 139,
    "imap": 143,
    "imap2": 143,
    "snmp": 161,
    "snmp-trap": 162,
    "bgp": 179,
    "ldap": 389,
    "https": 443,
    "microsoft-ds": 445,
    "syslog": 514,
    "submission": 587,
    "ldaps": 636,
    "imaps": 993,
    "pop3s": 995,
    "ms-sql-s": 1433,
    "openvpn": 1194,
    "radius": 1812,
    "nfs": 2049,
    "mysql": 3306,
    "ms-wbt-server": 3389,
    "postgresql": 5432,
    "x11": 6000,
    "syslog-tls": 6514,
    "http-alt": 8080,
    "webcache": 8080,
}

_R_NUMBER = re.compile(r"^(R\d+)(?:\s|$)")


def protocol_name(word: str | int) -> str | None:
    """The IR name of a protocol written as a name or number; None when unknown."""
    text = str(word).strip().lower()
    if text.isdigit():
        number = int(text)
        if number > 255:
            return None
        return PROTOCOL_NUMBERS.get(number, str(number))
    return _PROTOCOL_NAMES.get(text)


def port_number(word: str | int) -> int | None:
    """A port written as a number or a known service name; None when not one."""
    if isinstance(word, int):
        return word if 0 <= word <= 65535 else None
    text = word.strip().lower()
    if text.isdigit():
        value = int(text)
        return value if value <= 65535 else None
    return SERVICES.get(text)


def icmp_type_number(word: str | int, protocol: str) -> int | None:
    """An ICMP (``protocol`` "icmp") or ICMPv6 type written as a number or name."""
    if isinstance(word, int):
        return word if 0 <= word <= 255 else None
    text = word.strip().lower()
    if text.isdigit():
        value = int(text)
        return value if value <= 255 else None
    table = ICMPV6_TYPES if protocol == "icmpv6" else ICMP_TYPES
    return table.get(text)


# ---------------------------------------------------------------------------------------------
# Address and port sets, kept exact and normalised (minimal sorted CIDRs, merged sorted ranges).


def cidrs(version: int, lo: int, hi: int) -> list[IPNetwork]:
    """The minimal CIDRs covering exactly the addresses ``lo..hi`` (integers)."""
    if version == 4:
        return list(
            ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
        )
    return list(
        ipaddress.summarize_address_range(ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi))
    )


def normalize_networks(nets: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """The same addresses as minimal CIDRs, IPv4 first, in address order."""
    by_version: dict[int, list[Interval]] = {4: [], 6: []}
    for n in nets:
        by_version[n.version].append((int(n.network_address), int(n.broadcast_address)))
    out: list[IPNetwork] = []
    for version in (4, 6):
        for lo, hi in merge_intervals(by_version[version]):
            out.extend(cidrs(version, lo, hi))
    return tuple(out)


def _and_networks(a: tuple[IPNetwork, ...], b: tuple[IPNetwork, ...]) -> tuple[IPNetwork, ...]:
    out: list[IPNetwork] = []
    for version in (4, 6):
        ia = [(int(n.network_address), int(n.broadcast_address)) for n in a if n.version == version]
        ib = [(int(n.network_address), int(n.broadcast_address)) for n in b if n.version == version]
        for lo, hi in intersect_intervals(ia, ib):
            out.extend(cidrs(version, lo, hi))
    return tuple(out)


def normalize_ports(ranges: Iterable[PortRange]) -> tuple[PortRange, ...]:
    return tuple(merge_intervals(ranges))


def _and_opt_set(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _and_opt_ints(a: frozenset[int] | None, b: frozenset[int] | None) -> frozenset[int] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _and_opt_nets(
    a: tuple[IPNetwork, ...] | None, b: tuple[IPNetwork, ...] | None
) -> tuple[IPNetwork, ...] | None:
    if a is None:
        return None if b is None else normalize_networks(b)
    if b is None:
        return normalize_networks(a)
    return _and_networks(a, b)


def _and_opt_ports(
    a: tuple[PortRange, ...] | None, b: tuple[PortRange, ...] | None
) -> tuple[PortRange, ...] | None:
    if a is None:
        return None if b is None else normalize_ports(b)
    if b is None:
        return normalize_ports(a)
    return tuple(intersect_intervals(a, b))


@dataclass(frozen=True)
class Cond:
    """A conjunction of matches; ``None`` in a field means "any", an empty set matches nothing.

    Conditions are closed under ``&`` (exact intersection), which is what lets a jump's match be
    ANDed into the rules of the chain it jumps to. ``&`` returns None when nothing can match.
    """

    iif: frozenset[str] | None = None
    oif: frozenset[str] | None = None
    families: frozenset[int] | None = None
    protocols: frozenset[str] | None = None
    sources: tuple[IPNetwork, ...] | None = None
    destinations: tuple[IPNetwork, ...] | None = None
    src_ports: tuple[PortRange, ...] | None = None
    dst_ports: tuple[PortRange, ...] | None = None
    icmp_types: frozenset[int] | None = None

    def __and__(self, other: Cond) -> Cond | None:
        families = _and_opt_ints(self.families, other.families)
        sources = _and_opt_nets(self.sources, other.sources)
        destinations = _and_opt_nets(self.destinations, other.destinations)
        for nets in (sources, destinations):
            if nets is not None:
                versions = frozenset(n.version for n in nets)
                families = versions if families is None else families & versions
        if families is not None:
            if sources is not None:
                sources = tuple(n for n in sources if n.version in families)
            if destinations is not None:
                destinations = tuple(n for n in destinations if n.version in families)
            if families == frozenset({4, 6}):
                families = None
        out = Cond(
            iif=_and_opt_set(self.iif, other.iif),
            oif=_and_opt_set(self.oif, other.oif),
            families=families,
            protocols=_and_opt_set(self.protocols, other.protocols),
            sources=sources,
            destinations=destinations,
            src_ports=_and_opt_ports(self.src_ports, other.src_ports),
            dst_ports=_and_opt_ports(self.dst_ports, other.dst_ports),
            icmp_types=_and_opt_ints(self.icmp_types, other.icmp_types),
        )
        fields = (
            out.iif,
            out.oif,
            out.families,
            out.protocols,
            out.sources,
            out.destinations,
            out.src_ports,
            out.dst_ports,
            out.icmp_types,
        )
        if any(f is not None and len(f) == 0 for f in fields):
            return None
        return out


ANY = Cond()


def cond(**kw: object) -> Cond | None:
    """A normalised condition from raw fields (None when it can match nothing)."""
    return ANY & Cond(**kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Item:
    """One rule of a chain as the walker sees it."""

    chain: str
    line: int
    text: str
    cond: Cond = ANY
    ct: frozenset[str] | None = None  # conntrack states matched; None = no ct match
    effect: Effect = "none"
    target: str | None = None  # jump/goto target chain
    log: str | None = None  # log prefix, stripped ("" when logging without a prefix)
    comment: str | None = None
    unsupported: str | None = None  # the reason; the item is reported and skipped
    never: bool = False  # its matches contradict each other: it matches no packet


# ---------------------------------------------------------------------------------------------
# From conditions to IR rules.


def expand(
    c: Cond, *, name: str, action: Action, log: str | None, remarks: tuple[str, ...]
) -> list[Rule] | str:
    """IR rules matching exactly the packets of ``c`` (several when ``c`` holds sets of
    interfaces, protocols or ICMP types), or the reason it cannot be expressed."""
    if (c.src_ports is not None or c.dst_ports is not None) and (
        c.protocols is None or not c.protocols <= PORTED
    ):
        others = sorted((c.protocols or TH_PROTOCOLS) - PORTED)
        return f"port match that also applies to {', '.join(others)} (only TCP/UDP ports)"
    if c.icmp_types is not None and (c.protocols is None or not c.protocols <= {"icmp", "icmpv6"}):
        return "ICMP type match on a non-ICMP protocol"
    if c.families is None:
        versions = sorted({n.version for n in (*(c.sources or ()), *(c.destinations or ()))})
        family_list: list[int | None] = [*versions] if versions else [None]
    else:
        family_list = [*sorted(c.families)]  # one element: {4, 6} is normalised to None
    out: list[Rule] = []
    for iif in sorted(c.iif) if c.iif is not None else [ANY_ZONE]:
        for oif in sorted(c.oif) if c.oif is not None else [ANY_ZONE]:
            for family in family_list:
                srcs = tuple(n for n in c.sources or () if family is None or n.version == family)
                dsts = tuple(
                    n for n in c.destinations or () if family is None or n.version == family
                )
                if (c.sources is not None and not srcs) or (
                    c.destinations is not None and not dsts
                ):
                    continue
                protocols: list[str | None] = (
                    [*sorted(c.protocols)] if c.protocols is not None else [None]
                )
                for protocol in protocols:
                    types: list[int | None] = (
                        [*sorted(c.icmp_types)] if c.icmp_types is not None else [None]
                    )
                    for icmp_type in types:
                        out.append(
                            Rule(
                                name=name,
                                action=action,
                                section="parsed",
                                from_zone=iif,
                                to_zone=oif,
                                family=family,
                                protocol=protocol,
                                sources=srcs,
                                destinations=dsts,
                                src_ports=c.src_ports or (),
                                dst_ports=c.dst_ports or (),
                                icmp_type=icmp_type,
                                log=log,
                                remarks=remarks,
                            )
                        )
    return out


def rule_name(comments: Iterable[str], fallback: str) -> str:
    """Our ``R00012`` rule number from the first comment that starts with one, else
    ``fallback`` (``chain:line``)."""
    for text in comments:
        m = _R_NUMBER.match(text.strip())
        if m:
            return m.group(1)
    return fallback


Mode = Literal["policy", "continue"]


@dataclass
class ChainWalker:
    """Flattens one base chain into first-match IR rules.

    ``entry`` is what every packet of the chain matches (its table's family); ``policy`` is the
    chain's default. Rules of jumped-to chains are inlined at the jump with the jump's match
    ANDed in; their :class:`ParsedRule` line and text are those of the base-chain rule the
    packet came through, the inlined rule's own place is the last remark.
    """

    chains: Mapping[str, Sequence[Item]]
    entry: Cond
    policy: Action
    rules: list[ParsedRule] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    stateful: bool = False
    _may_deny: bool = False  # a rule that may deny (or is not understood) was seen
    _pending_log: tuple[Cond, str] | None = None
    _base: str = ""

    def run(self, base: str) -> None:
        self._base = base
        self._walk(base, self.entry, "policy", ())

    def _unsupported(self, item: Item, reason: str) -> None:
        self._may_deny = True
        u = Unsupported(item.line, item.text, reason)
        if u not in self.unsupported:
            self.unsupported.append(u)

    def _emit(
        self, item: Item, c: Cond, action: Action, log: str | None, via: tuple[Item, ...]
    ) -> None:
        self._may_deny = self._may_deny or action == "deny"
        comments = [x.comment for x in (item, *reversed(via)) if x.comment]
        name = rule_name(comments, f"{item.chain}:{item.line}")
        remarks = tuple(comments)
        if via:
            remarks += (f"{item.chain}:{item.line}: {item.text}",)
        rules = expand(c, name=name, action=action, log=log, remarks=remarks)
        if isinstance(rules, str):
            self._unsupported(item, rules)
            return
        line, text = (via[0].line, via[0].text) if via else (item.line, item.text)
        self.rules.extend(ParsedRule(r, line, text) for r in rules)

    def _walk(self, chain: str, prefix: Cond, mode: Mode, via: tuple[Item, ...]) -> bool:
        """Walk ``chain`` for packets matching ``prefix``. True when every such packet got a
        verdict (none can come back to the caller)."""
        items = self.chains[chain]
        decided = False
        for index, item in enumerate(items):
            if item.unsupported is not None:
                self._unsupported(item, item.unsupported)
                self._pending_log = None
                continue
            if item.never:
                continue
            c = prefix & item.cond
            if c is None:
                continue
            whole = c == prefix  # the item applies to every packet that reaches it
            if item.ct is not None and item.ct - CT_STATES:
                unknown = ", ".join(sorted(item.ct - CT_STATES))
                self._unsupported(item, f"conntrack state {unknown}")
                continue
            if item.ct is not None and "new" not in item.ct:
                self._not_new(item, c)
                continue
            pending, self._pending_log = self._pending_log, None
            if item.effect == "none":
                if item.log is not None:
                    self._pending_log = (c, item.log)
                continue
            if item.effect in ("accept", "drop"):
                log = item.log
                if log is None and pending is not None and pending[0] == c:
                    log = pending[1]
                action: Action = "permit" if item.effect == "accept" else "deny"
                self._emit(item, c, action, log, via)
                decided = decided or whole
                continue
            target = item.target or ""
            if item.effect in ("jump", "goto"):
                if target not in self.chains:
                    self._unsupported(item, f"{item.effect} to unknown chain {target!r}")
                    continue
                stack = (self._base, *(v.target for v in via))
                if len(via) >= MAX_DEPTH or target in stack:
                    self._unsupported(item, f"{item.effect} loop or nesting too deep at {target}")
                    continue
                path = (*via, item)
                if item.effect == "jump":
                    sub = self._walk(target, c, "continue", path)
                    decided = decided or (sub and whole)
                    continue
                sub = self._walk(target, c, mode, path)
                if sub:
                    decided = decided or whole
                elif mode == "policy":  # falling off a goto'd chain: the base chain's policy
                    self._emit(item, c, self.policy, None, via)
                    decided = decided or whole
                elif whole:  # back to our caller: the rest of this chain is skipped
                    return decided
                else:
                    self._unsupported(
                        item,
                        "conditional goto inside a jumped-to chain whose packets may return",
                    )
                continue
            if item.effect == "return":
                if mode == "policy":
                    self._emit(item, c, self.policy, None, via)
                    if whole:
                        return True
                elif whole:
                    return decided
                elif any(x.effect != "none" or x.unsupported for x in items[index + 1 :]):
                    self._unsupported(
                        item,
                        "conditional return inside a jumped-to chain followed by other rules "
                        "(not expressible as first-match rules)",
                    )
        return decided

    def _not_new(self, item: Item, c: Cond) -> None:
        """An item matching only packets that are not new connections."""
        states = item.ct or frozenset()
        if item.effect in ("none", "return"):
            return
        if item.effect == "drop" and not states & REPLY_STATES:
            return  # invalid/untracked packets are not part of a new connection's decision
        if item.effect == "accept" and states <= REPLY_STATES:
            if c == self.entry and not self._may_deny:
                self.stateful = self.stateful or "established" in states
                return
            self._unsupported(
                item,
                "accepts packets of established connections only after rules that may deny "
                "them, or only some of them (replies are modelled only when accepted first)",
            )
            return
        if item.effect == "drop":
            self._unsupported(item, "drops packets of established connections")
            return
        self._unsupported(
            item,
            f"{item.effect} for packets in conntrack state {', '.join(sorted(states))} "
            "(only new connections and a leading accept of replies are modelled)",
        )


def forward_config(
    platform: str,
    path: str,
    filters: dict[str, Filter],
    bindings: Sequence[Binding],
    unsupported: Sequence[Unsupported],
    stateful: Mapping[str, bool],
    families: tuple[int, ...] = (4, 6),
) -> ParsedConfig:
    """The parsed configuration of a Linux ruleset (nftables, iptables): stateful when every
    filter traffic meets (the bound ones; all of them when none is bound) keeps state."""
    considered = [b.filter for b in bindings] or list(filters)
    return ParsedConfig(
        platform=platform,
        path=path,
        filters=filters,
        bindings=tuple(bindings),
        unsupported=tuple(sorted(unsupported, key=lambda u: u.line)),
        stateful=bool(considered) and all(stateful[f] for f in considered),
        families=families,
    )
