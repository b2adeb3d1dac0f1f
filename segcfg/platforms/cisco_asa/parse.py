"""Cisco ASA (8.3+/9.x) running configuration -> rule IR.

Read: ``access-list NAME [line N] extended|standard permit|deny ...`` and ``remark`` lines;
network objects and groups (``object network``: host/subnet/range; ``object-group network``:
``network-object host A``, ``A MASK``, ``A/len``, ``object X``, nested ``group-object``);
service objects and groups (``object service``, ``object-group service NAME`` with
``service-object``, ``object-group service NAME tcp|udp|tcp-udp`` with ``port-object``),
``object-group protocol`` and ``object-group icmp-type``; ``name A NAME`` aliases; and the
bindings ``access-group NAME in|out interface NAMEIF`` and ``access-group NAME global``
(interface "*").

Each ACL becomes a filter with an implicit deny; the ASA is stateful (replies of permitted
connections pass before any ACL). ``any`` matches IPv4 and IPv6 (rule family None), ``any4``
and ``any6`` one family; an entry whose objects mix families becomes one rule per family.
Inactive entries match nothing and are left out. Entries the IR cannot hold exactly
(``interface`` addresses, identity/TrustSec matches, time ranges, FQDN objects, ICMP codes,
undefined objects) are left out and recorded as unsupported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from segcfg.ir import PortRange
from segcfg.parsed import Binding, Direction, ParsedConfig
from segcfg.platforms.cisco_ios.parse import (
    ANY,
    ANY4,
    ANY6,
    COMMON_PROTOCOLS,
    MAX_PORT,
    PORT_OPS,
    PORTED,
    UNREPRESENTABLE_OPTIONS,
    Action,
    Addr,
    Bad,
    Cursor,
    Entry,
    GroupTable,
    IPNet,
    Item,
    Line,
    MatchesNothing,
    NotRepresentable,
    RawAcl,
    Ref,
    Svc,
    addr_of,
    assemble,
    config_lines,
    host_net,
    icmp_type_of,
    is_ip,
    masked_net,
    merge_services,
    normalize_ports,
    port_op,
    prefix_net,
    protocol_of,
    range_nets,
    rest_of,
    service_spec,
    single_addr,
    take_icmp,
)

M = TypeVar("M")

ASA_PROTOCOLS: dict[str, str | None] = {
    **COMMON_PROTOCOLS,
    "icmp6": "icmpv6",
    "ipsec": "esp",
    "pptp": "gre",
    "snp": "109",
}
V4V6 = frozenset({4, 6})
LOG_LEVELS = frozenset(
    {
        "alerts",
        "critical",
        "debugging",
        "emergencies",
        "errors",
        "informational",
        "notifications",
        "warnings",
    }
)
GLOBAL_ACL_SETTINGS = frozenset({"alert-interval", "deny-flow-max"})


@dataclass
class _AsaConfig:
    acls: dict[str, RawAcl] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # ``name A NAME``: NAME -> A
    nets: GroupTable[IPNet] = field(default_factory=GroupTable)  # objects and groups
    svcs: GroupTable[Svc] = field(default_factory=GroupTable)
    ports: GroupTable[PortRange] = field(default_factory=GroupTable)
    protocols: GroupTable[str] = field(default_factory=GroupTable)
    icmp_types: GroupTable[int] = field(default_factory=GroupTable)
    group_kind: dict[str, str] = field(default_factory=dict)  # object-group NAME -> kind
    bindings: list[Binding] = field(default_factory=list)

    def address(self, token: str) -> str:
        """An address, or the address a ``name`` stands for."""
        return self.names.get(token, token)


# -- first pass --------------------------------------------------------------------------------


class _AsaReader:
    def __init__(self) -> None:
        self.cfg = _AsaConfig()
        self.mode: Callable[[Line], None] | None = None

    def read(self, text: str) -> _AsaConfig:
        for line in config_lines(text, delimited_banners=False):
            if line.text.startswith(("!", ":")):
                continue
            if line.indented:
                if self.mode is not None:
                    self.mode(line)
                continue
            self.mode = None
            self._top(line)
        return self.cfg

    def _top(self, line: Line) -> None:
        t = line.tokens
        if t[0] == "access-list" and len(t) >= 3:
            self._access_list(line, t[1], 2)
        elif t[:2] == ("ipv6", "access-list") and len(t) >= 4:
            self._access_list(line, t[2], 3)  # pre-9.0 IPv6 ACLs: same entry syntax
        elif t[0] == "access-group" and len(t) >= 3:
            self._access_group(line)
        elif t[:3] == ("clear", "configure", "access-list") and len(t) == 4:
            self.cfg.acls.pop(t[3], None)
        elif t[0] == "name" and len(t) >= 3 and is_ip(t[1]):
            self.cfg.names[t[2]] = t[1]
        elif t[0] == "object" and len(t) >= 3:
            self._object(t[1], t[2])
        elif t[0] == "object-group" and len(t) >= 3:
            self._object_group(t)

    def _access_list(self, line: Line, name: str, at: int) -> None:
        t = line.tokens
        if name in GLOBAL_ACL_SETTINGS:
            return
        acl = self.cfg.acls.setdefault(name, RawAcl(name, line.number))
        position = None
        if t[at : at + 1] == ("line",) and len(t) > at + 1 and t[at + 1].isdigit():
            position, at = int(t[at + 1]), at + 2
        item = _acl_item(line, t, at)
        if item is None:
            return
        if position is None:
            acl.items.append(item)
        else:
            acl.items.insert(max(position - 1, 0), item)

    def _access_group(self, line: Line) -> None:
        t = line.tokens
        name = t[1]
        if t[2] == "global":
            self.cfg.bindings.append(Binding(name, "*", "in", line.number))
            return
        if len(t) < 5 or t[2] not in ("in", "out") or t[3] != "interface":
            return
        if "control-plane" in t[5:]:
            return  # to-the-box traffic, not traffic through the firewall
        direction: Direction = "in" if t[2] == "in" else "out"
        self.cfg.bindings.append(Binding(name, t[4], direction, line.number))

    def _object(self, kind: str, name: str) -> None:
        key = f"object {name}"
        if kind == "network":
            net_members = self.cfg.nets.define(key)
            self.mode = lambda ln: _network_object_member(ln, net_members, self.cfg)
        elif kind == "service":
            svc_members = self.cfg.svcs.define(key)
            self.mode = lambda ln: _service_object_member(ln, svc_members)

    def _object_group(self, t: tuple[str, ...]) -> None:
        kind, name = t[1], t[2]
        key = f"object-group {name}"
        cfg = self.cfg
        if kind == "network":
            cfg.group_kind[name] = "network"
            nets = cfg.nets.define(key)
            self.mode = lambda ln: _network_group_member(ln, nets, cfg)
        elif kind == "service" and len(t) >= 4 and t[3] in ("tcp", "udp", "tcp-udp"):
            cfg.group_kind[name] = "port"
            ports = cfg.ports.define(key)
            self.mode = lambda ln: _port_group_member(ln, ports, t[3])
        elif kind == "service":
            cfg.group_kind[name] = "service"
            svcs = cfg.svcs.define(key)
            self.mode = lambda ln: _service_group_member(ln, svcs)
        elif kind == "protocol":
            cfg.group_kind[name] = "protocol"
            protos = cfg.protocols.define(key)
            self.mode = lambda ln: _simple_member(ln, protos, "protocol-object", str)
        elif kind == "icmp-type":
            cfg.group_kind[name] = "icmp-type"
            types = cfg.icmp_types.define(key)
            self.mode = lambda ln: _simple_member(ln, types, "icmp-object", _icmp_number)
        else:
            cfg.group_kind[name] = kind  # user, security, network-service: not modelled


def _acl_item(line: Line, t: tuple[str, ...], at: int) -> Item | None:
    """One ``access-list`` line from its keyword after the name (and ``line N``)."""
    word = t[at] if len(t) > at else ""
    if word == "remark":
        return Item(line.number, line.text, remark=rest_of(line.text, at + 1))
    if word in ("extended", "standard") and len(t) > at + 1:
        return Item(line.number, line.text, t[at + 1 :], standard=word == "standard")
    if word in ("permit", "deny"):
        return Item(line.number, line.text, t[at:])  # legacy form without "extended"
    if word == "rename":
        return None
    return Item(line.number, line.text, problem=f"{word or 'empty'} access-list not modelled")


def _icmp_number(token: str) -> int:
    """An ``icmp-object`` (IPv4 ICMP types)."""
    value = icmp_type_of(token, v6=False)
    if value is None:
        raise NotRepresentable(f"unknown ICMP type {token!r}")
    return value


def _network_object_member(line: Line, members: list[IPNet | Ref | Bad], cfg: _AsaConfig) -> None:
    """``object network``: ``host A``, ``subnet A MASK``, ``subnet A/len``, ``range A B``,
    ``fqdn NAME`` (an object holds one value: the last one counts)."""
    t = line.tokens
    if t[0] in ("description", "nat"):
        return
    members.clear()
    try:
        if t[0] == "host" and len(t) == 2:
            members.append(_host(cfg, t[1]))
        elif t[0] == "subnet" and len(t) == 3:
            members.append(masked_net(cfg.address(t[1]), t[2], wildcard=False))
        elif t[0] == "subnet" and len(t) == 2:
            members.append(prefix_net(t[1]))
        elif t[0] == "range" and len(t) == 3:
            members.extend(range_nets(cfg.address(t[1]), cfg.address(t[2])))
        elif t[0] == "fqdn":
            members.append(Bad("FQDN object (resolved by DNS on the device)"))
        else:
            members.append(Bad(f"unsupported object line {line.text!r}"))
    except NotRepresentable as exc:
        members.append(Bad(str(exc)))


def _host(cfg: _AsaConfig, token: str) -> IPNet:
    return host_net(cfg.address(token))


def _network_group_member(line: Line, members: list[IPNet | Ref | Bad], cfg: _AsaConfig) -> None:
    """``object-group network``: ``network-object host A|A MASK|A/len|object X``,
    ``group-object X``."""
    t = line.tokens
    if t[0] == "description":
        return
    try:
        if t[0] == "group-object" and len(t) == 2:
            members.append(Ref(f"object-group {t[1]}"))
        elif t[0] != "network-object" or len(t) < 2:
            members.append(Bad(f"unsupported group line {line.text!r}"))
        elif t[1] == "object" and len(t) == 3:
            members.append(Ref(f"object {t[2]}"))
        elif t[1] == "host" and len(t) == 3:
            members.append(_host(cfg, t[2]))
        elif len(t) == 3:
            members.append(masked_net(cfg.address(t[1]), t[2], wildcard=False))
        elif len(t) == 2:
            members.append(prefix_net(t[1]))
        else:
            members.append(Bad(f"unsupported group line {line.text!r}"))
    except NotRepresentable as exc:
        members.append(Bad(str(exc)))


def _services(cur: Cursor, protocol: str) -> list[Svc]:
    """A service after its protocol word, IPv6 ICMP spelled ``icmp6``."""
    if protocol == "icmp6":
        return service_spec(cur, "icmp", v6=True)
    if protocol not in ("tcp", "udp", "tcp-udp", "icmp") and protocol in ASA_PROTOCOLS:
        if not cur.done():
            raise NotRepresentable(f"unsupported service words after {protocol}")
        return [Svc(ASA_PROTOCOLS[protocol])]
    return service_spec(cur, protocol)


def _service_object_member(line: Line, members: list[Svc | Ref | Bad]) -> None:
    """``object service``: ``service PROTO [source OP P] [destination OP P]``."""
    t = line.tokens
    if t[0] == "description":
        return
    members.clear()
    if t[0] != "service" or len(t) < 2:
        members.append(Bad(f"unsupported object line {line.text!r}"))
        return
    _add_services(members, Cursor(t[2:]), t[1])


def _add_services(members: list[Svc | Ref | Bad], cur: Cursor, protocol: str) -> None:
    try:
        members.extend(_services(cur, protocol))
    except NotRepresentable as exc:
        members.append(Bad(str(exc)))
    except MatchesNothing:
        pass  # a service no packet has


def _service_group_member(line: Line, members: list[Svc | Ref | Bad]) -> None:
    """``object-group service NAME``: ``service-object PROTO ...``, ``service-object object X``,
    ``group-object X``."""
    t = line.tokens
    if t[0] == "description":
        return
    if t[0] == "group-object" and len(t) == 2:
        members.append(Ref(f"object-group {t[1]}"))
    elif t[0] == "service-object" and len(t) == 3 and t[1] == "object":
        members.append(Ref(f"object {t[2]}"))
    elif t[0] == "service-object" and len(t) >= 2:
        _add_services(members, Cursor(t[2:]), t[1])
    else:
        members.append(Bad(f"unsupported group line {line.text!r}"))


def _port_group_member(line: Line, members: list[PortRange | Ref | Bad], proto: str) -> None:
    """``object-group service NAME tcp|udp|tcp-udp``: ``port-object eq|range ...``."""
    t = line.tokens
    if t[0] == "description":
        return
    if t[0] == "group-object" and len(t) == 2:
        members.append(Ref(f"object-group {t[1]}"))
        return
    if t[0] != "port-object" or len(t) < 3 or t[1] not in PORT_OPS:
        members.append(Bad(f"unsupported group line {line.text!r}"))
        return
    try:
        ranges = port_op(t[1], Cursor(t[2:]), proto)
        members.extend(ranges or [(0, MAX_PORT)])
    except NotRepresentable as exc:
        members.append(Bad(str(exc)))
    except MatchesNothing:
        pass


def _simple_member(
    line: Line, members: list[M | Ref | Bad], word: str, convert: Callable[[str], M]
) -> None:
    """``protocol-object P`` / ``icmp-object T`` and ``group-object X``."""
    t = line.tokens
    if t[0] == "description":
        return
    if t[0] == "group-object" and len(t) == 2:
        members.append(Ref(f"object-group {t[1]}"))
    elif t[0] == word and len(t) == 2:
        try:
            members.append(convert(t[1]))
        except NotRepresentable as exc:
            members.append(Bad(str(exc)))
    else:
        members.append(Bad(f"unsupported group line {line.text!r}"))


# -- second pass: entries ----------------------------------------------------------------------


class _AsaEntries:
    """ASA entries -> :class:`Entry` (None for inactive ones)."""

    def __init__(self, cfg: _AsaConfig) -> None:
        self.cfg = cfg
        self.named: dict[str, Addr] = {}  # objects and groups, resolved once

    def parse(self, item: Item) -> Entry | None:
        cur = Cursor(item.tokens)
        action: Action = "permit" if cur.take() == "permit" else "deny"
        if item.standard:
            dst = self._address(cur)
            log, inactive = self._options(cur)
            return None if inactive else Entry(action, (Svc(None),), ANY, dst, log)
        protocols, services = self._protocol(cur)
        src = self._address(cur)
        if services is None:
            sports = self._ports(cur, protocols)
            dst = self._address(cur)
            dports = self._ports(cur, protocols)
            icmps = self._icmp(cur, protocols)
            services = tuple(Svc(p, sports, dports, i) for p in protocols for i in icmps)
        else:
            dst = self._address(cur)
        log, inactive = self._options(cur)
        return None if inactive else Entry(action, services, src, dst, log)

    def _protocol(self, cur: Cursor) -> tuple[list[str | None], tuple[Svc, ...] | None]:
        """Protocols (ports may follow the addresses) or complete services (objects)."""
        tok = cur.take()
        if tok == "object-group":
            name = cur.take()
            kind = self.cfg.group_kind.get(name)
            if kind == "protocol":
                found = self.cfg.protocols.resolve(f"object-group {name}")
                return list(dict.fromkeys(protocol_of(p, ASA_PROTOCOLS) for p in found)), None
            if kind == "service":
                return [], merge_services(self.cfg.svcs.resolve(f"object-group {name}"))
            raise _misuse("object-group", name, kind, "protocol")
        if tok == "object":
            key = f"object {cur.take()}"
            if key in self.cfg.nets:
                raise NotRepresentable(f"network {key} used as a service")
            return [], merge_services(self.cfg.svcs.resolve(key))
        return [protocol_of(tok, ASA_PROTOCOLS)], None

    def _ports(self, cur: Cursor, protocols: Sequence[str | None]) -> tuple[PortRange, ...]:
        """Optional ports (operator or port group) for the protocols of an entry."""
        tok, nxt = cur.peek(), cur.peek(1)
        is_group = tok == "object-group" and self.cfg.group_kind.get(nxt or "") == "port"
        if tok not in PORT_OPS and not is_group:
            return ()
        if not protocols or any(p not in PORTED for p in protocols):
            raise NotRepresentable("ports on an entry that is not only TCP/UDP")
        cur.take()
        if is_group:
            return normalize_ports(self.cfg.ports.resolve(f"object-group {cur.take()}"))
        proto = protocols[0] if len(protocols) == 1 and protocols[0] else "tcp-udp"
        return port_op(tok or "", cur, proto)

    def _icmp(self, cur: Cursor, protocols: Sequence[str | None]) -> tuple[int | None, ...]:
        """ICMP types of an ICMP entry: one type, an icmp-type group, or any (None)."""
        if len(protocols) != 1 or protocols[0] not in ("icmp", "icmpv6"):
            return (None,)
        if cur.peek() == "object-group" and cur.peek(1) is not None:
            name = cur.peek(1) or ""
            if self.cfg.group_kind.get(name) == "icmp-type":
                cur.pos += 2  # object-group NAME
                return tuple(dict.fromkeys(self.cfg.icmp_types.resolve(f"object-group {name}")))
        return (take_icmp(cur, protocols[0] == "icmpv6"),)

    def _address(self, cur: Cursor) -> Addr:
        tok = cur.take()
        fixed = {"any": ANY, "any4": ANY4, "any6": ANY6}
        if tok in fixed:
            return fixed[tok]
        if tok == "host":
            return single_addr(_host(self.cfg, cur.take()))
        if tok == "object":
            name = cur.take()
            if f"object {name}" in self.cfg.svcs:
                raise NotRepresentable(f"service object {name} used as an address")
            return self._named(f"object {name}", name)
        if tok == "object-group":
            name = cur.take()
            if self.cfg.group_kind.get(name) != "network":
                raise _misuse("object-group", name, self.cfg.group_kind.get(name), "address")
            return self._named(f"object-group {name}", name)
        if tok == "interface":
            raise NotRepresentable(f"interface address (interface {cur.peek()})")
        if tok in UNREPRESENTABLE_OPTIONS:
            raise NotRepresentable(f"{UNREPRESENTABLE_OPTIONS[tok]} ({tok})")
        if "/" in tok:
            return single_addr(prefix_net(tok))
        mask = cur.peek()
        if mask is None or not is_ip(mask):
            raise NotRepresentable(f"address {tok} without mask")
        cur.take()
        return single_addr(masked_net(self.cfg.address(tok), mask, wildcard=False))

    def _named(self, key: str, name: str) -> Addr:
        if key not in self.named:
            self.named[key] = addr_of(self.cfg.nets.resolve(key), name)
        return self.named[key]

    def _options(self, cur: Cursor) -> tuple[bool, bool]:
        """(logged, inactive) from the words after the addresses and services."""
        log = inactive = False
        while not cur.done():
            tok = cur.take()
            if tok == "log":
                log = self._log_level(cur)
            elif tok == "inactive":
                inactive = True
            elif tok in UNREPRESENTABLE_OPTIONS:
                raise NotRepresentable(f"{UNREPRESENTABLE_OPTIONS[tok]} ({tok})")
            else:
                raise NotRepresentable(f"unknown keyword {tok!r}")
        return log, inactive

    @staticmethod
    def _log_level(cur: Cursor) -> bool:
        """``log [LEVEL|default|disable] [interval N]`` (the ``log`` taken); logged?"""
        nxt = cur.peek()
        logged = True
        if nxt == "disable":
            logged = False
            cur.take()
        elif nxt is not None and (nxt == "default" or nxt.isdigit() or nxt in LOG_LEVELS):
            cur.take()
        if cur.peek() == "interval":
            cur.pos += 2  # interval N
        return logged


def _misuse(word: str, name: str, kind: str | None, role: str) -> NotRepresentable:
    if kind is None:
        return NotRepresentable(f"undefined {word} {name}")
    return NotRepresentable(f"{word} {name} ({kind}) used as {role}")


def parse(text: str, path: str) -> ParsedConfig:
    """Parse an ASA running configuration into filters and bindings (stateful)."""
    cfg = _AsaReader().read(text)
    entries = _AsaEntries(cfg)
    return assemble(
        "cisco-asa", path, cfg.acls, cfg.bindings, lambda _raw: (entries.parse, V4V6), True
    )
