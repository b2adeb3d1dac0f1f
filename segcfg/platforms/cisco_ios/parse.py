"""Cisco IOS / IOS-XE running configuration -> rule IR (NX-OS ``ip access-list`` too).

Read: named ACLs (``ip access-list extended|standard NAME``, NX-OS ``ip access-list NAME``,
``ipv6 access-list NAME``) with optional sequence numbers and remarks; numbered ACLs
(``access-list 1-99|1300-1999`` standard, ``100-199|2000-2699`` extended); ``object-group
network`` and ``object-group service`` (nested with ``group-object``); and the bindings
``ip access-group NAME in|out`` / ``ipv6 traffic-filter NAME in|out`` under ``interface X``.
Everything else on a router (routing, zone-based firewall policy maps, ...) is skipped; the ACLs
a zone-based policy references are still parsed as (unbound) filters.

Each ACL becomes a :class:`~segcfg.parsed.Filter` with an implicit deny. An entry that cannot be
represented exactly (DSCP, fragments, time ranges, reflexive ACLs, TCP flags, ICMP codes,
non-contiguous wildcards, undefined object groups, ...) is left out of its filter and recorded as
:class:`~segcfg.parsed.Unsupported`, so the validator reports it as not checked rather than
guessing.

The first half of this module is the ACL machinery shared with the ASA parser (ports, ICMP
names, addresses, object-group resolution, entries -> rules).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Literal, NamedTuple, TypeVar

from segcfg.gcpause import without_gc
from segcfg.ir import ANY_ZONE, DECOY, DEFAULT_DENY, REMOTE_ACCESS, SCAN_SWEEP, PortRange, Rule
from segcfg.parsed import Binding, Direction, Filter, ParsedConfig, ParsedRule, Unsupported

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address
Action = Literal["permit", "deny"]
T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Shared Cisco ACL machinery (also used by segcfg.platforms.cisco_asa.parse)
# ---------------------------------------------------------------------------------------------

LOG_TAGS = (SCAN_SWEEP, DECOY, REMOTE_ACCESS, DEFAULT_DENY)
LOG = "LOG"  # Rule.log of a logged entry whose remarks carry no tag of ours

# Port names as IOS, NX-OS and ASA print and accept them.
TCP_PORTS = {
    "aol": 5190, "bgp": 179, "chargen": 19, "cifs": 3020, "citrix-ica": 1494, "cmd": 514,
    "ctiqbe": 2748, "daytime": 13, "discard": 9, "domain": 53, "drip": 3949, "echo": 7,
    "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70, "h323": 1720,
    "hostname": 101, "http": 80, "https": 443, "ident": 113, "imap4": 143, "irc": 194,
    "kerberos": 88, "klogin": 543, "kshell": 544, "ldap": 389, "ldaps": 636, "login": 513,
    "lotusnotes": 1352, "lpd": 515, "msrpc": 135, "netbios-ssn": 139, "nfs": 2049,
    "nntp": 119, "onep-plain": 15001, "onep-tls": 15002, "pcanywhere-data": 5631,
    "pim-auto-rp": 496, "pop2": 109, "pop3": 110, "pptp": 1723, "rsh": 514, "rtsp": 554,
    "sip": 5060, "smtp": 25, "sqlnet": 1521, "ssh": 22, "sunrpc": 111, "tacacs": 49,
    "talk": 517, "telnet": 23, "time": 37, "uucp": 540, "whois": 43, "www": 80,
}  # fmt: skip
UDP_PORTS = {
    "biff": 512, "bootpc": 68, "bootps": 67, "cifs": 3020, "discard": 9, "dnsix": 195,
    "domain": 53, "echo": 7, "http": 80, "isakmp": 500, "kerberos": 88, "mobile-ip": 434,
    "nameserver": 42, "netbios-dgm": 138, "netbios-ns": 137, "netbios-ss": 139, "nfs": 2049,
    "non500-isakmp": 4500, "ntp": 123, "pcanywhere-status": 5632, "pim-auto-rp": 496,
    "radius": 1645, "radius-acct": 1646, "rip": 520, "secureid-udp": 5510, "sip": 5060,
    "snmp": 161, "snmptrap": 162, "sunrpc": 111, "syslog": 514, "tacacs": 49, "talk": 517,
    "tftp": 69, "time": 37, "vxlan": 4789, "who": 513, "www": 80, "xdmcp": 177,
}  # fmt: skip

# ICMP message names that stand for a whole type (any code).
ICMP_TYPES = {
    "echo-reply": 0, "unreachable": 3, "source-quench": 4, "redirect": 5,
    "alternate-address": 6, "echo": 8, "router-advertisement": 9, "router-solicitation": 10,
    "time-exceeded": 11, "parameter-problem": 12, "timestamp-request": 13,
    "timestamp-reply": 14, "information-request": 15, "information-reply": 16,
    "mask-request": 17, "mask-reply": 18, "traceroute": 30, "conversion-error": 31,
    "mobile-redirect": 32,
}  # fmt: skip
ICMP6_TYPES = {
    "unreachable": 1, "destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3,
    "parameter-problem": 4, "echo-request": 128, "echo": 128, "echo-reply": 129,
    "mld-query": 130, "membership-query": 130, "mld-report": 131, "membership-report": 131,
    "mld-reduction": 132, "membership-reduction": 132, "router-solicitation": 133,
    "router-advertisement": 134, "nd-ns": 135, "neighbor-solicitation": 135, "nd-na": 136,
    "neighbor-advertisement": 136, "redirect": 137, "router-renumbering": 138,
}  # fmt: skip
# IOS/NX-OS names that stand for one type *and* code: the IR has no ICMP code.
ICMP_CODED = frozenset({
    "administratively-prohibited", "dod-host-prohibited", "dod-net-prohibited",
    "general-parameter-problem", "host-isolated", "host-precedence-unreachable", "host-redirect",
    "host-tos-redirect", "host-tos-unreachable", "host-unknown", "host-unreachable",
    "net-redirect", "net-tos-redirect", "net-tos-unreachable", "net-unreachable",
    "network-unknown", "no-room-for-option", "option-missing", "packet-too-big",
    "port-unreachable", "precedence-unreachable", "protocol-unreachable", "reassembly-timeout",
    "source-route-failed", "ttl-exceeded",
})  # fmt: skip

# Protocol keywords -> IR protocol (None = every protocol; numbers as decimal text).
PROTOCOL_NUMBERS = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 58: "icmpv6"}
COMMON_PROTOCOLS: dict[str, str | None] = {
    "ip": None, "tcp": "tcp", "udp": "udp", "icmp": "icmp", "esp": "esp", "gre": "gre",
    "ahp": "51", "ah": "51", "eigrp": "88", "ospf": "89", "igmp": "2", "igrp": "9",
    "pim": "103", "ipinip": "4", "nos": "94", "pcp": "108", "sctp": "132",
}  # fmt: skip
PORTED = ("tcp", "udp")
PORT_OPS = ("eq", "neq", "lt", "gt", "range")
MAX_PORT = 65535

# Options that change what an entry matches in ways the IR cannot express.
UNREPRESENTABLE_OPTIONS = {
    "dscp": "DSCP match",
    "precedence": "IP precedence match",
    "tos": "ToS match",
    "fragments": "fragment match",
    "time-range": "time-based entry",
    "reflect": "reflexive ACL",
    "evaluate": "reflexive ACL",
    "dynamic": "dynamic (lock-and-key) entry",
    "ttl": "TTL match",
    "option": "IP options match",
    "match-all": "TCP flags match",
    "match-any": "TCP flags match",
    "ack": "TCP flags match",
    "fin": "TCP flags match",
    "psh": "TCP flags match",
    "rst": "TCP flags match",
    "syn": "TCP flags match",
    "urg": "TCP flags match",
    "packet-length": "packet length match",
    "tcp-flags-mask": "TCP flags match",
    "tcp-option-length": "TCP option length match",
    "http-method": "HTTP method match",
    "nve": "VXLAN VNI match",
    "flow-label": "IPv6 flow label match",
    "routing": "IPv6 routing header match",
    "hbh": "IPv6 hop-by-hop header match",
    "dest-option": "IPv6 destination options match",
    "mobility": "IPv6 mobility header match",
    "undetermined-transport": "IPv6 undetermined transport match",
    "addrgroup": "NX-OS address group",
    "portgroup": "NX-OS port group",
    "user": "identity-based match",
    "user-group": "identity-based match",
    "object-group-user": "identity-based match",
    "security-group": "TrustSec match",
    "object-group-security": "TrustSec match",
}


class NotRepresentable(Exception):
    """An entry the rule IR cannot hold exactly; the message is the reason."""


class MatchesNothing(Exception):
    """An entry that matches no packet (``lt 0``, IPv4 source with IPv6 destination, ...):
    leaving it out of the filter is exact."""


class Cursor:
    """Tokens of one entry, consumed left to right."""

    __slots__ = ("pos", "tokens")

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)
        self.pos = 0

    def peek(self, ahead: int = 0) -> str | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> str:
        i = self.pos
        if i >= len(self.tokens):
            raise NotRepresentable("entry ends early")
        self.pos = i + 1
        return self.tokens[i]

    def done(self) -> bool:
        return self.pos >= len(self.tokens)


def rest_of(text: str, skip: int) -> str:
    """``text`` without its first ``skip`` whitespace-separated words."""
    parts = text.split(None, skip)
    return parts[skip].strip() if len(parts) > skip else ""


# -- ports -------------------------------------------------------------------------------------


def port_value(token: str, protocol: str) -> int | None:
    """A port number or name for ``protocol`` (tcp, udp or tcp-udp); None if not a port."""
    if token.isdigit():
        value = int(token)
        return value if value <= MAX_PORT else None
    if protocol == "tcp":
        return TCP_PORTS.get(token)
    if protocol == "udp":
        return UDP_PORTS.get(token)
    return TCP_PORTS.get(token, UDP_PORTS.get(token))


def _need_port(token: str, protocol: str) -> int:
    value = port_value(token, protocol)
    if value is None:
        raise NotRepresentable(f"unknown {protocol} port {token!r}")
    return value


def normalize_ports(ranges: Sequence[PortRange]) -> tuple[PortRange, ...]:
    """Sorted, merged ranges; the full range becomes () (any port)."""
    merged: list[PortRange] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return () if merged == [(0, MAX_PORT)] else tuple(merged)


def _complement(values: Sequence[int]) -> list[PortRange]:
    out: list[PortRange] = []
    lo = 0
    for v in sorted(set(values)):
        if v > lo:
            out.append((lo, v - 1))
        lo = v + 1
    if lo <= MAX_PORT:
        out.append((lo, MAX_PORT))
    return out


def port_op(op: str, cur: Cursor, protocol: str) -> tuple[PortRange, ...]:
    """The ports of ``eq|neq|lt|gt|range`` (the operator already taken); ``eq``/``neq`` take
    one or more ports. Raises MatchesNothing for an empty set."""
    if op == "range":
        a, b = _need_port(cur.take(), protocol), _need_port(cur.take(), protocol)
        ranges = [(min(a, b), max(a, b))]
    elif op == "lt":
        p = _need_port(cur.take(), protocol)
        ranges = [(0, p - 1)] if p > 0 else []
    elif op == "gt":
        p = _need_port(cur.take(), protocol)
        ranges = [(p + 1, MAX_PORT)] if p < MAX_PORT else []
    else:
        values = [_need_port(cur.take(), protocol)]
        while (nxt := cur.peek()) is not None and port_value(nxt, protocol) is not None:
            values.append(_need_port(cur.take(), protocol))
        if op == "eq" and len(values) == 1:
            return ((values[0], values[0]),)
        ranges = [(v, v) for v in values] if op == "eq" else _complement(values)
    if not ranges:
        raise MatchesNothing
    return normalize_ports(ranges)


def take_ports(cur: Cursor, protocol: str) -> tuple[PortRange, ...] | None:
    """A port operator at the cursor, or None (no operator: any port)."""
    op = cur.peek()
    if op not in PORT_OPS:
        return None
    cur.take()
    return port_op(op, cur, protocol)


def icmp_type_of(token: str, v6: bool) -> int | None:
    """An ICMP type number or whole-type name; None if the token is not one."""
    if token.isdigit():
        value = int(token)
        if value > 255:
            raise NotRepresentable(f"ICMP type {token} out of range")
        return value
    if token in ICMP_CODED and not (v6 and token in ICMP6_TYPES):
        raise NotRepresentable(f"ICMP message {token!r} names a type and code (no codes in IR)")
    return (ICMP6_TYPES if v6 else ICMP_TYPES).get(token)


def take_icmp(cur: Cursor, v6: bool) -> int | None:
    """An optional ICMP type (number or name) at the cursor; a code after it is refused."""
    tok = cur.peek()
    if tok is None:
        return None
    value = icmp_type_of(tok, v6)
    if value is None:
        return None
    cur.take()
    if (code := cur.peek()) is not None and code.isdigit():
        raise NotRepresentable(f"ICMP code {code} (the IR matches whole ICMP types)")
    return value


# -- addresses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Addr:
    """One address operand: ``nets`` None means any address of ``families``."""

    nets: tuple[IPNet, ...] | None
    families: frozenset[int]
    label: str = "any"  # what the configuration wrote: an object-group name, a CIDR


ANY = Addr(None, frozenset({4, 6}))
ANY4 = Addr(None, frozenset({4}), "any4")
ANY6 = Addr(None, frozenset({6}), "any6")


def addr_of(nets: Sequence[IPNet], label: str | None = None) -> Addr:
    text = label if label is not None else " ".join(map(str, nets))
    return Addr(tuple(nets), frozenset(n.version for n in nets), text)


@lru_cache(maxsize=65536)
def single_addr(net: IPNet) -> Addr:
    """The operand of one literal network (cached: configurations repeat addresses)."""
    return Addr((net,), frozenset({net.version}), str(net))


@lru_cache(maxsize=65536)
def host_addr(token: str) -> Addr:
    """The operand ``host A`` (cached by text: hashing address objects is slow)."""
    return single_addr(host_net(token))


@lru_cache(maxsize=65536)
def wildcard_addr(address: str, wildcard: str) -> Addr:
    """The operand ``A WILDCARD`` (cached by text)."""
    return single_addr(masked_net(address, wildcard, wildcard=True))


@lru_cache(maxsize=65536)
def ip_of(token: str) -> IPAddr:
    try:
        return ipaddress.ip_address(token)
    except ValueError:
        raise NotRepresentable(f"{token!r} is not an IP address") from None


@lru_cache(maxsize=65536)
def host_net(token: str) -> IPNet:
    return ipaddress.ip_network(ip_of(token))


@lru_cache(maxsize=65536)
def prefix_net(token: str) -> IPNet:
    """``A/len`` (host bits are masked, as the devices do)."""
    try:
        return ipaddress.ip_network(token, strict=False)
    except ValueError:
        raise NotRepresentable(f"{token!r} is not a network") from None


def _prefix_len_of_mask(mask: int) -> int | None:
    """Length of a contiguous netmask (as an int), or None."""
    inverted = ~mask & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - inverted.bit_length()


@lru_cache(maxsize=65536)
def masked_net(address: str, mask: str, wildcard: bool) -> IPNet:
    """``A MASK`` (netmask) or ``A WILDCARD`` (IOS); non-contiguous masks are refused."""
    addr, m = ip_of(address), ip_of(mask)
    if addr.version != 4 or m.version != 4:
        raise NotRepresentable(f"{address} {mask}: mask form is IPv4 only")
    bits = int(m) ^ 0xFFFFFFFF if wildcard else int(m)
    length = _prefix_len_of_mask(bits)
    if length is None:
        kind = "wildcard" if wildcard else "netmask"
        raise NotRepresentable(f"non-contiguous {kind} {mask} (not one network)")
    return ipaddress.ip_network((int(addr) & bits, length))


def range_nets(first: str, last: str) -> tuple[IPNet, ...]:
    a, b = ip_of(first), ip_of(last)
    if a.version != b.version or int(a) > int(b):
        raise NotRepresentable(f"bad address range {first} {last}")
    return tuple(ipaddress.summarize_address_range(a, b))


@lru_cache(maxsize=65536)
def is_ip(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True


# -- object groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A member that names another object or group (``group-object X``)."""

    key: str


@dataclass(frozen=True)
class Bad:
    """A member the IR cannot hold; using the group makes the entry unsupported."""

    reason: str


class GroupTable(Generic[T]):
    """Named groups of members of one kind, resolved recursively at use.

    Keys name the group as written in a configuration (``object-group NAME``,
    ``object NAME``), so error messages read naturally: "undefined object-group X".
    """

    def __init__(self) -> None:
        self.members: dict[str, list[T | Ref | Bad]] = {}
        self._resolved: dict[str, tuple[T, ...]] = {}  # filled after the first pass only

    def define(self, key: str) -> list[T | Ref | Bad]:
        return self.members.setdefault(key, [])

    def __contains__(self, key: object) -> bool:
        return key in self.members

    def resolve(self, key: str, stack: tuple[str, ...] = ()) -> tuple[T, ...]:
        if key in self._resolved:
            return self._resolved[key]
        if key not in self.members:
            raise NotRepresentable(f"undefined {key}")
        if key in stack:
            raise NotRepresentable(f"{key} contains itself")
        out: list[T] = []
        for m in self.members[key]:
            if isinstance(m, Ref):
                out.extend(self.resolve(m.key, (*stack, key)))
            elif isinstance(m, Bad):
                raise NotRepresentable(f"{key}: {m.reason}")
            else:
                out.append(m)
        self._resolved[key] = tuple(out)
        return self._resolved[key]


# -- services and entries ----------------------------------------------------------------------


@dataclass(frozen=True)
class Svc:
    """What an entry matches above the addresses: a protocol, ports, an ICMP type."""

    protocol: str | None
    src_ports: tuple[PortRange, ...] = ()
    dst_ports: tuple[PortRange, ...] = ()
    icmp_type: int | None = None


def merge_services(svcs: Sequence[Svc]) -> tuple[Svc, ...]:
    """Union of services with the same protocol, source ports and ICMP type (exact: an entry
    matches the union of its services)."""
    grouped: dict[tuple[str | None, tuple[PortRange, ...], int | None], list[Svc]] = {}
    for s in svcs:
        grouped.setdefault((s.protocol, s.src_ports, s.icmp_type), []).append(s)
    out: list[Svc] = []
    for (proto, sports, icmp), group in grouped.items():
        if any(not s.dst_ports for s in group):
            out.append(Svc(proto, sports, (), icmp))
            continue
        dports = normalize_ports([p for s in group for p in s.dst_ports])
        out.append(Svc(proto, sports, dports, icmp))
    return tuple(out)


@dataclass(frozen=True)
class Entry:
    """One permit/deny entry, before it becomes IR rules."""

    action: Action
    services: tuple[Svc, ...]
    src: Addr
    dst: Addr
    log: bool = False
    established: bool = False


class Item(NamedTuple):
    """One line of an ACL: an entry, a remark, or a line known to be unrepresentable."""

    line: int
    text: str
    tokens: tuple[str, ...] = ()  # from the action on
    remark: str | None = None
    standard: bool = False
    problem: str | None = None


@dataclass
class RawAcl:
    """An ACL as collected in the first pass: lines in order, not yet interpreted."""

    name: str
    line: int
    v6: bool = False
    items: list[Item] = field(default_factory=list)


_TAG_PATTERNS = tuple((tag, re.compile(rf"(^|\s){re.escape(tag)}(\s|$)")) for tag in LOG_TAGS)


def log_value(logged: bool, remarks: Sequence[str]) -> str | None:
    """Rule.log of an entry: the tag of its remarks (segcfg output), else "LOG"."""
    if not logged:
        return None
    return _logged_tag(tuple(remarks))


@lru_cache(maxsize=4096)
def _logged_tag(remarks: tuple[str, ...]) -> str:
    for text in remarks:
        for tag, pattern in _TAG_PATTERNS:
            if pattern.search(text):
                return tag
    return LOG


V4_ONLY = frozenset({4})
V6_ONLY = frozenset({6})
V4V6 = frozenset({4, 6})


def _protocol_families(protocol: str | None) -> frozenset[int]:
    if protocol == "icmp":
        return V4_ONLY
    if protocol == "icmpv6":
        return V6_ONLY
    return V4V6


def _nets_of_family(addr: Addr, family: int) -> tuple[IPNet, ...] | None:
    """The networks of one family (None: any; () : none of that family)."""
    if addr.nets is None or len(addr.families) == 1:
        return addr.nets if family in addr.families or addr.nets is None else ()
    return tuple(n for n in addr.nets if n.version == family)


def entry_rules(
    entry: Entry, acl: str, line: int, remarks: tuple[str, ...], families: frozenset[int]
) -> list[Rule]:
    """IR rules of one entry: one per service and address family that can match."""
    shapes: list[tuple[Svc, int | None, tuple[IPNet, ...], tuple[IPNet, ...]]] = []
    src, dst = entry.src, entry.dst
    both = src.families & dst.families & families
    for svc in entry.services:
        fams = both & _protocol_families(svc.protocol)
        if src.nets is None and dst.nets is None and fams == V4V6:
            shapes.append((svc, None, (), ()))
            continue
        for fam in sorted(fams):
            srcs, dsts = _nets_of_family(src, fam), _nets_of_family(dst, fam)
            if srcs == () or dsts == ():
                continue  # no address of this family on one side: matches nothing
            shapes.append((svc, fam, srcs or (), dsts or ()))
    log = log_value(entry.log, remarks)
    if len(shapes) == 1:
        return [_rule(f"{acl}:{line}", entry, *shapes[0], log, remarks)]
    names = [f"{acl}:{line}.{i}" for i in range(1, len(shapes) + 1)]
    return [_rule(n, entry, *shape, log, remarks) for n, shape in zip(names, shapes, strict=True)]


def _rule(
    name: str,
    entry: Entry,
    svc: Svc,
    family: int | None,
    srcs: tuple[IPNet, ...],
    dsts: tuple[IPNet, ...],
    log: str | None,
    remarks: tuple[str, ...],
) -> Rule:
    ported = svc.protocol in PORTED
    return Rule(
        name=name,
        action=entry.action,
        section="parsed",
        from_zone=ANY_ZONE,
        to_zone=ANY_ZONE,
        family=family,
        protocol=svc.protocol,
        sources=srcs,
        destinations=dsts,
        src_ports=svc.src_ports if ported else (),
        dst_ports=svc.dst_ports if ported else (),
        icmp_type=svc.icmp_type,
        established=entry.established,
        log=log,
        remarks=remarks,
        src_label=entry.src.label,
        dst_label=entry.dst.label,
    )


EntryParser = Callable[[Item], Entry | None]


def build_filter(
    raw: RawAcl, parse_entry: EntryParser, families: frozenset[int]
) -> tuple[Filter, list[Unsupported]]:
    """The filter of one collected ACL, and its lines that could not be represented.

    Remarks describe the entries after them until the next remark; a rule's ``remarks`` are
    that block. An entry ``parse_entry`` returns None for (inactive) is left out exactly.
    """
    rules: list[ParsedRule] = []
    unsupported: list[Unsupported] = []
    block: list[str] = []
    remarks: tuple[str, ...] | None = ()  # ``block`` as a tuple; None: not made yet
    after_entry = True
    for item in raw.items:
        if item.remark is not None:
            if after_entry:
                block, after_entry = [], False
            block.append(item.remark)
            remarks = None
            continue
        after_entry = True
        if item.problem is not None:
            unsupported.append(Unsupported(item.line, item.text, item.problem))
            continue
        if remarks is None:
            remarks = tuple(block)
        try:
            entry = parse_entry(item)
            if entry is None:
                continue
            found = entry_rules(entry, raw.name, item.line, remarks, families)
        except NotRepresentable as exc:
            unsupported.append(Unsupported(item.line, item.text, str(exc)))
            continue
        except MatchesNothing:
            continue
        rules += [ParsedRule(r, item.line, item.text) for r in found]
    return Filter(raw.name, "acl", tuple(rules), raw.line, "deny"), unsupported


# -- configuration lines -----------------------------------------------------------------------


class Line(NamedTuple):
    number: int  # 1-based
    text: str  # stripped
    tokens: tuple[str, ...]
    indented: bool


def config_lines(text: str, delimited_banners: bool = True) -> Iterator[Line]:
    """Non-empty lines with their 1-based numbers (only ``\\n`` ends a line, as in editors).

    With ``delimited_banners`` (IOS, NX-OS) the body of ``banner motd ^C ... ^C`` is skipped;
    ASA banners are one ``banner motd TEXT`` line each and need no skipping.
    """
    lines = text.split("\n")
    n = len(lines)
    i = 0
    while i < n:
        raw = lines[i]
        i += 1
        stripped = raw.strip()
        if not stripped:
            continue
        tokens = tuple(stripped.split())
        indented = raw[0] in " \t"
        if delimited_banners and not indented and tokens[0] == "banner" and len(tokens) >= 3:
            i = _skip_banner(lines, i, stripped, tokens)
            continue
        yield Line(i, stripped, tokens, indented)


def _skip_banner(lines: list[str], i: int, first: str, tokens: tuple[str, ...]) -> int:
    """Index of the line after a banner body that starts on ``first``."""
    opener = tokens[2]
    delim = "^C" if opener.startswith("^C") else opener[0]
    body = first.split(None, 2)[2][len(delim) :]
    if delim in body:
        return i
    while i < len(lines):
        i += 1
        if delim in lines[i - 1]:
            break
    return i


# ---------------------------------------------------------------------------------------------
# IOS
# ---------------------------------------------------------------------------------------------

IOS_V6_PROTOCOLS: dict[str, str | None] = {
    **COMMON_PROTOCOLS,
    "ipv6": None,
    "icmp": "icmpv6",
}
_NOT_ACL_NAMES = frozenset({
    "extended", "standard", "logging", "log-update", "resequence", "role-based", "persistent",
    "counters", "match-local-traffic",
})  # fmt: skip
_IGNORED_ACL_LINES = frozenset({"statistics", "ignore", "exit"})
_OPTION_WORDS = frozenset({"log", "log-input", "established", "sequence", *UNREPRESENTABLE_OPTIONS})
_ENTRY_STARTS = frozenset({"permit", "deny", "remark", "evaluate", "dynamic", "sequence"})


def numbered_kind(number: str) -> str | None:
    """ "standard" / "extended" for an IPv4 numbered ACL, None for other numbers."""
    if not number.isdigit():
        return None
    n = int(number)
    if 1 <= n <= 99 or 1300 <= n <= 1999:
        return "standard"
    if 100 <= n <= 199 or 2000 <= n <= 2699:
        return "extended"
    return None


@dataclass
class _IosConfig:
    acls: dict[str, RawAcl] = field(default_factory=dict)
    standard: set[str] = field(default_factory=set)
    nets: GroupTable[IPNet] = field(default_factory=GroupTable)
    svcs: GroupTable[Svc] = field(default_factory=GroupTable)
    bindings: list[Binding] = field(default_factory=list)

    def acl(self, name: str, line: int, v6: bool = False) -> RawAcl:
        if name not in self.acls:
            self.acls[name] = RawAcl(name, line, v6)
        return self.acls[name]

    def drop(self, name: str) -> None:
        self.acls.pop(name, None)
        self.standard.discard(name)


def _strip_sequence(tokens: tuple[str, ...]) -> tuple[str, ...]:
    if tokens and tokens[0].isdigit():
        return tokens[1:]
    if len(tokens) > 1 and tokens[0] == "sequence" and tokens[1].isdigit():
        return tokens[2:]
    return tokens


def _acl_item(line: Line, tokens: tuple[str, ...], standard: bool) -> Item | None:
    """An ACL line from the action on (sequence number already removed)."""
    if not tokens:
        return Item(line.number, line.text, problem="sequence number without entry")
    head = tokens[0]
    if head == "remark":
        idx = line.tokens.index("remark")
        return Item(line.number, line.text, remark=rest_of(line.text, idx + 1))
    if head in ("permit", "deny"):
        return Item(line.number, line.text, tokens, standard=standard)
    if head in _IGNORED_ACL_LINES:
        return None
    if head == "no":
        return Item(line.number, line.text, problem="entry removal (a change script)")
    reason = UNREPRESENTABLE_OPTIONS.get(head, f"unknown ACL line {head!r}")
    return Item(line.number, line.text, problem=reason)


class _IosReader:
    """First pass: collect ACL lines, object groups and bindings."""

    def __init__(self) -> None:
        self.cfg = _IosConfig()
        self.mode: Callable[[Line], None] | None = None  # handler of the open block's lines
        self.in_acl = False

    def read(self, text: str) -> _IosConfig:
        for line in config_lines(text):
            if line.text.startswith("!"):
                if not line.indented:
                    self.mode, self.in_acl = None, False
                continue
            if line.indented or self._continues_acl(line):
                if self.mode is not None:
                    self.mode(line)
                continue
            self.mode, self.in_acl = None, False
            self._top(line)
        return self.cfg

    def _continues_acl(self, line: Line) -> bool:
        """Unindented entries typed in ACL mode (``permit ...`` cannot be a global command)."""
        head = line.tokens[0]
        return self.in_acl and (head in _ENTRY_STARTS or head.isdigit())

    def _top(self, line: Line) -> None:
        t = line.tokens
        if t[0] == "no":
            self._no(t[1:])
        elif t[:2] == ("ip", "access-list"):
            self._named_acl(line, t, v6=False)
        elif t[:2] == ("ipv6", "access-list") and len(t) == 3:
            self._open_acl(line, t[2], v6=True, standard=False)
        elif t[0] == "access-list" and len(t) >= 3:
            self._numbered(line)
        elif t[:2] == ("object-group", "network") and len(t) >= 3:
            members = self.cfg.nets.define(f"object-group {t[2]}")
            self.mode = lambda ln: _net_member(ln, members)
        elif t[:2] == ("object-group", "service") and len(t) >= 3:
            svc_members = self.cfg.svcs.define(f"object-group {t[2]}")
            self.mode = lambda ln: _svc_member(ln, svc_members)
        elif t[0] == "interface" and len(t) >= 2:
            name = rest_of(line.text, 1)
            self.mode = lambda ln: self._interface(ln, name)

    def _no(self, t: tuple[str, ...]) -> None:
        if t[:2] in (("ip", "access-list"), ("ipv6", "access-list")) and len(t) >= 3:
            self.cfg.drop(t[-1])
        elif t[:1] == ("access-list",) and len(t) == 2:
            self.cfg.drop(t[1])

    def _named_acl(self, line: Line, t: tuple[str, ...], v6: bool) -> None:
        if len(t) == 4 and t[2] in ("extended", "standard"):
            self._open_acl(line, t[3], v6, standard=t[2] == "standard")
        elif len(t) == 3 and t[2] not in _NOT_ACL_NAMES:
            self._open_acl(line, t[2], v6, standard=False)  # NX-OS

    def _open_acl(self, line: Line, name: str, v6: bool, standard: bool) -> None:
        acl = self.cfg.acl(name, line.number, v6)
        if standard:
            self.cfg.standard.add(name)

        def member(ln: Line) -> None:
            item = _acl_item(ln, _strip_sequence(ln.tokens), name in self.cfg.standard)
            if item is not None:
                acl.items.append(item)

        self.mode, self.in_acl = member, True

    def _numbered(self, line: Line) -> None:
        number = line.tokens[1]
        kind = numbered_kind(number)
        if kind is None:
            return  # MAC, protocol-type and other non-IP numbered lists
        acl = self.cfg.acl(number, line.number)
        if kind == "standard":
            self.cfg.standard.add(number)
        item = _acl_item(line, line.tokens[2:], kind == "standard")
        if item is not None:
            acl.items.append(item)

    def _interface(self, line: Line, name: str) -> None:
        t = line.tokens
        if t[:2] in (("ip", "access-group"), ("ipv6", "traffic-filter")) or t[:3] in (
            ("ip", "port", "access-group"),
            ("ipv6", "port", "traffic-filter"),
        ):
            args = t[3:] if t[1] == "port" else t[2:]
            if not args:
                return
            direction: Direction = "in" if args[1:2] == ("in",) else "out"
            self.cfg.bindings.append(Binding(args[0], name, direction, line.number))


def _net_member(line: Line, members: list[IPNet | Ref | Bad]) -> None:
    """A line of ``object-group network`` (IOS: ``host A``, ``A MASK``, ``A/len``,
    ``range A B``, ``any``, ``group-object X``)."""
    t = line.tokens
    try:
        if t[0] == "description":
            return
        if t[0] == "group-object" and len(t) == 2:
            members.append(Ref(f"object-group {t[1]}"))
        elif t[0] == "host" and len(t) == 2:
            members.append(host_net(t[1]))
        elif t[0] == "any" and len(t) == 1:
            members.append(ipaddress.ip_network("0.0.0.0/0"))
        elif t[0] == "range" and len(t) == 3:
            members.extend(range_nets(t[1], t[2]))
        elif len(t) == 2 and is_ip(t[0]):
            members.append(masked_net(t[0], t[1], wildcard=False))
        elif len(t) == 1 and "/" in t[0]:
            members.append(prefix_net(t[0]))
        else:
            members.append(Bad(f"unsupported member {line.text!r}"))
    except NotRepresentable as exc:
        members.append(Bad(str(exc)))


def service_spec(cur: Cursor, protocol: str, v6: bool = False) -> list[Svc]:
    """``PROTO [source OP P] [[destination] OP P]`` / ``icmp [TYPE]`` after the protocol word
    (``tcp-udp`` gives two services)."""
    if protocol == "tcp-udp":
        start = cur.pos
        out: list[Svc] = []
        for proto in PORTED:
            cur.pos = start
            out += service_spec(cur, proto, v6)
        return out
    mapped = protocol_of(protocol, IOS_V6_PROTOCOLS if v6 else COMMON_PROTOCOLS)
    src: tuple[PortRange, ...] = ()
    dst: tuple[PortRange, ...] = ()
    icmp: int | None = None
    while not cur.done():
        tok = cur.take()
        if mapped in PORTED and tok in ("source", "destination"):
            ranges = port_op(cur.take(), cur, mapped)
            src, dst = (ranges, dst) if tok == "source" else (src, ranges)
        elif mapped in PORTED and tok in PORT_OPS:
            dst = port_op(tok, cur, mapped)
        elif mapped in ("icmp", "icmpv6") and icmp is None:
            icmp = icmp_type_of(tok, mapped == "icmpv6")
            if icmp is None:
                raise NotRepresentable(f"unknown ICMP type {tok!r}")
            if (code := cur.peek()) is not None and code.isdigit():
                raise NotRepresentable(f"ICMP code {code} (the IR matches whole ICMP types)")
        else:
            raise NotRepresentable(f"unsupported service word {tok!r}")
    return [Svc(mapped, src, dst, icmp)]


def _svc_member(line: Line, members: list[Svc | Ref | Bad]) -> None:
    """A line of IOS ``object-group service``: ``tcp eq 80``, ``udp source eq 53``,
    ``tcp-udp range 1 2``, ``icmp echo``, ``esp``, ``group-object X``."""
    t = line.tokens
    if t[0] == "description":
        return
    if t[0] == "group-object" and len(t) == 2:
        members.append(Ref(f"object-group {t[1]}"))
        return
    try:
        members.extend(service_spec(Cursor(t[1:]), t[0]))
    except NotRepresentable as exc:
        members.append(Bad(str(exc)))
    except MatchesNothing:
        pass


def protocol_of(token: str, table: dict[str, str | None]) -> str | None:
    """IR protocol of a keyword or number."""
    if token in table:
        return table[token]
    if token.isdigit() and int(token) <= 255:
        return PROTOCOL_NUMBERS.get(int(token), token)
    raise NotRepresentable(f"unknown protocol {token!r}")


@lru_cache(maxsize=512)
def _bare_service(protocol: str | None) -> Svc:
    """The service of a protocol word alone (shared: services are immutable)."""
    return Svc(protocol)


class _IosEntries:
    """Second pass: IOS entries -> :class:`Entry`."""

    def __init__(self, cfg: _IosConfig, v6: bool) -> None:
        self.cfg = cfg
        self.v6 = v6
        self.groups: dict[str, Addr] = {}

    def parse(self, item: Item) -> Entry:
        cur = Cursor(item.tokens)
        action: Action = "permit" if cur.take() == "permit" else "deny"
        if item.standard:
            return self._standard(action, cur)
        services, single = self._protocol(cur)
        ported = single.protocol if single and single.protocol in PORTED else None
        src = self._address(cur)
        sports = take_ports(cur, ported) if ported else None
        dst = self._address(cur)
        dports = take_ports(cur, ported) if ported else None
        if single is not None:
            icmp = None
            if single.protocol in ("icmp", "icmpv6"):
                icmp = take_icmp(cur, single.protocol == "icmpv6")
            services = (Svc(single.protocol, sports or (), dports or (), icmp),)
        log, established = self._options(cur, services)
        return Entry(action, services, src, dst, log, established)

    def _standard(self, action: Action, cur: Cursor) -> Entry:
        tok = cur.take()
        if tok == "any":
            src = ANY
        elif tok == "host":
            src = host_addr(cur.take())
        else:
            nxt = cur.peek()
            if nxt is not None and is_ip(nxt):
                src = wildcard_addr(tok, cur.take())
            else:
                src = host_addr(tok)
        log, _ = self._options(cur, (Svc(None),))
        return Entry(action, (Svc(None),), src, ANY, log)

    def _protocol(self, cur: Cursor) -> tuple[tuple[Svc, ...], Svc | None]:
        """Services of a service object-group, or (…, the single protocol's service)."""
        tok = cur.take()
        if tok == "object-group":
            name = cur.take()
            services = merge_services(self.cfg.svcs.resolve(f"object-group {name}"))
            if self.v6 and any(s.protocol == "icmp" for s in services):
                raise NotRepresentable(f"IPv4 ICMP of object-group {name} in an IPv6 ACL")
            return services, None
        table = IOS_V6_PROTOCOLS if self.v6 else COMMON_PROTOCOLS
        svc = _bare_service(protocol_of(tok, table))
        return (svc,), svc

    def _address(self, cur: Cursor) -> Addr:
        tok = cur.take()
        if tok == "any":
            return ANY
        if tok == "host":
            return host_addr(cur.take())
        if tok == "object-group":
            name = cur.take()
            if name not in self.groups:
                self.groups[name] = addr_of(self.cfg.nets.resolve(f"object-group {name}"), name)
            return self.groups[name]
        if tok in UNREPRESENTABLE_OPTIONS:
            raise NotRepresentable(f"{UNREPRESENTABLE_OPTIONS[tok]} ({tok})")
        if "/" in tok:
            return single_addr(prefix_net(tok))
        nxt = cur.peek()
        if nxt is None or not is_ip(nxt):
            raise NotRepresentable(f"address {tok} without wildcard or prefix length")
        return wildcard_addr(tok, cur.take())

    def _options(self, cur: Cursor, services: tuple[Svc, ...]) -> tuple[bool, bool]:
        log = established = False
        while not cur.done():
            tok = cur.take()
            if tok in ("log", "log-input"):
                log = True
                nxt = cur.peek()
                if nxt is not None and nxt not in _OPTION_WORDS:
                    cur.take()  # log cookie
            elif tok == "established":
                if any(s.protocol != "tcp" for s in services):
                    raise NotRepresentable("established on a non-TCP entry")
                established = True
            elif tok == "sequence":
                cur.take()
            elif tok in UNREPRESENTABLE_OPTIONS:
                raise NotRepresentable(f"{UNREPRESENTABLE_OPTIONS[tok]} ({tok})")
            else:
                raise NotRepresentable(f"unknown keyword {tok!r}")
        return log, established


def assemble(
    platform: str,
    path: str,
    acls: dict[str, RawAcl],
    bindings: Sequence[Binding],
    parser_of: Callable[[RawAcl], tuple[EntryParser, frozenset[int]]],
    stateful: bool,
) -> ParsedConfig:
    """The parsed configuration of collected ACLs and bindings (IOS and ASA): each ACL's
    filter, built with the entry parser and families ``parser_of`` gives for it, and every
    line that could not be represented, in line order."""
    filters: dict[str, Filter] = {}
    unsupported: list[Unsupported] = []
    for name, raw in acls.items():
        parse_entry, families = parser_of(raw)
        filt, problems = build_filter(raw, parse_entry, families)
        filters[name] = filt
        unsupported += problems
    return ParsedConfig(
        platform=platform,
        path=path,
        filters=filters,
        bindings=tuple(bindings),
        unsupported=tuple(sorted(unsupported, key=lambda u: u.line)),
        stateful=stateful,
    )


@without_gc
def parse(text: str, path: str) -> ParsedConfig:
    """Parse an IOS/IOS-XE (or NX-OS) running configuration into filters and bindings."""
    cfg = _IosReader().read(text)

    def parser_of(raw: RawAcl) -> tuple[EntryParser, frozenset[int]]:
        return _IosEntries(cfg, raw.v6).parse, V6_ONLY if raw.v6 else V4V6

    return assemble("cisco-ios", path, cfg.acls, cfg.bindings, parser_of, stateful=False)
