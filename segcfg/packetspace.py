"""Exact sets of packets as binary decision diagrams (``dd`` with CUDD).

A packet is (protocol, source address, destination address, source port, destination port,
ICMP type, established). Addresses are 32 bits (IPv4) or 128 bits (IPv6): one
:class:`PacketSpace` per family. Only *canonical* packets exist: ports are 0 unless the
protocol is TCP or UDP, the ICMP type is 0 unless it is ICMP; this makes "any port" of a
non-ported protocol one packet, so set differences give meaningful witnesses.

Filters are compared exactly, without sampling: first-match semantics are built with
:meth:`PacketSpace.first_match`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dd.cudd import BDD

from segcfg.ir import PortRange, Rule

PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "icmpv6": 58}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOLS.items()}
Set = Any  # a dd.cudd.Function

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Witness:
    """One concrete packet of a set, for findings."""

    family: int
    protocol: int
    src: str
    dst: str
    sport: int
    dport: int
    icmp_type: int
    established: bool

    @property
    def protocol_name(self) -> str:
        return PROTOCOL_NAMES.get(self.protocol, str(self.protocol))

    def service(self) -> str:
        name = self.protocol_name
        if name in ("tcp", "udp"):
            return f"{name}/{self.dport}"
        if name in ("icmp", "icmpv6"):
            return f"{name} type {self.icmp_type}"
        return name

    def __str__(self) -> str:
        return f"{self.src} -> {self.dst} {self.service()}"


class PacketSpace:
    """A BDD manager for one address family, and the sets built in it."""

    def __init__(self, family: int = 4) -> None:
        self.family = family
        self.abits = 32 if family == 4 else 128
        self.bdd = BDD()
        names: list[str] = []
        names += [f"p{i}" for i in range(8)]
        names += [f"s{i}" for i in range(self.abits)]
        names += [f"d{i}" for i in range(self.abits)]
        names += [f"sp{i}" for i in range(16)]
        names += [f"dp{i}" for i in range(16)]
        names += [f"it{i}" for i in range(8)]
        names.append("est")
        self.bdd.declare(*names)
        # The variable order above (protocol, source, destination, ports) keeps prefix and
        # range sets linear; CUDD's dynamic reordering only costs time here.
        self.bdd.configure(reordering=False)
        self._cache: dict[tuple[object, ...], Set] = {}
        self._field_names: dict[str, list[str]] = {}
        self.names = names
        self.true: Set = self.bdd.true
        self.false: Set = self.bdd.false
        ported = self.protocol(PROTOCOLS["tcp"]) | self.protocol(PROTOCOLS["udp"])
        icmp = self.protocol(PROTOCOLS["icmp" if family == 4 else "icmpv6"])
        zero_ports = self._bits_equal("sp", 16, 0) & self._bits_equal("dp", 16, 0)
        zero_icmp = self._bits_equal("it", 8, 0)
        self.valid: Set = (
            (ported & zero_icmp) | (icmp & zero_ports) | (~ported & ~icmp & zero_ports & zero_icmp)
        )
        self.new: Set = self.valid & ~self.bdd.var("est")

    # -- building blocks --------------------------------------------------------------------
    def _bits_equal(self, prefix: str, width: int, value: int, length: int | None = None) -> Set:
        """The top ``length`` bits (MSB first) of field ``prefix`` equal those of value."""
        length = width if length is None else length
        if length == 0:
            return self.true
        names = self._field_names.get(prefix)
        if names is None:
            names = self._field_names[prefix] = [f"{prefix}{i}" for i in range(width)]
        bits = format(value, f"0{width}b")[:length]
        return self.bdd.cube(dict(zip(names, (b == "1" for b in bits), strict=False)))

    def protocol(self, number: int) -> Set:
        key = ("p", number)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._bits_equal("p", 8, number)
        return cached

    def network(self, field: str, net: IPNet) -> Set:
        if net.version != self.family:
            return self.false
        key = (field, net)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._bits_equal(field, self.abits, int(net.network_address), net.prefixlen)
            self._cache[key] = cached
        return cached

    def networks(self, field: str, nets: Iterable[IPNet]) -> Set:
        out = self.false
        for n in nets:
            out = out | self.network(field, n)
        return out

    def endpoints(self, field: str, endpoints: Iterable[Any]) -> Set:
        """The addresses of resolved endpoints (cached per endpoint: they are few and reused
        by many flows)."""
        out = self.false
        for e in endpoints:
            key = (field, e.kind, e.name)
            cached = self._cache.get(key)
            if cached is None:
                cached = self._cache[key] = self.networks(field, e.networks)
            out |= cached
        return out

    def port_range(self, field: str, lo: int, hi: int) -> Set:
        """Ports lo..hi as a union of aligned blocks."""
        key = (field, lo, hi)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        self._cache[key] = out = self._port_range(field, lo, hi)
        return out

    def _port_range(self, field: str, lo: int, hi: int) -> Set:
        out = self.false
        while lo <= hi:
            size = 1
            while lo % (size * 2) == 0 and lo + size * 2 - 1 <= hi and size < 65536:
                size *= 2
            prefix = 16 - (size.bit_length() - 1)
            out = out | self._bits_equal(field, 16, lo, prefix)
            lo += size
        return out

    def ports(self, field: str, ranges: Sequence[PortRange]) -> Set:
        if not ranges:
            return self.true
        out = self.false
        for lo, hi in ranges:
            out = out | self.port_range(field, lo, hi)
        return out

    # -- rules ------------------------------------------------------------------------------
    def rule(self, rule: Rule) -> Set:
        """The packets a rule matches (zones are not part of the packet: callers restrict).

        Not restricted to canonical packets: callers AND with :attr:`valid` once."""
        if rule.family is not None and rule.family != self.family:
            return self.false
        out = self.true
        if rule.protocol is not None:
            number = PROTOCOLS.get(rule.protocol)
            if number is None:
                try:
                    number = int(rule.protocol)
                except ValueError:
                    return self.false
            if rule.protocol == "icmp" and self.family == 6:
                number = PROTOCOLS["icmpv6"]
            if rule.protocol == "icmpv6" and self.family == 4:
                number = PROTOCOLS["icmp"]
            out &= self.protocol(number)
        if rule.sources:
            out &= self.networks("s", rule.sources)
        if rule.destinations:
            out &= self.networks("d", rule.destinations)
        if rule.protocol in ("tcp", "udp"):
            out &= self.ports("sp", rule.src_ports) & self.ports("dp", rule.dst_ports)
        if rule.icmp_type is not None:
            out &= self._bits_equal("it", 8, rule.icmp_type)
        if rule.established:
            out &= self.bdd.var("est") & self.protocol(PROTOCOLS["tcp"])
        return out

    def service(self, protocol: str, low: int, high: int) -> Set:
        number = PROTOCOLS[protocol]
        if protocol == "icmp" and self.family == 6:
            number = PROTOCOLS["icmpv6"]
        out = self.valid & self.protocol(number)
        if protocol in ("tcp", "udp"):
            out &= self.port_range("dp", low, high)
        elif protocol in ("icmp", "icmpv6") and (low, high) != (0, 255):
            out &= self._bits_equal("it", 8, low)
        return out

    def first_match(self, matches: Sequence[tuple[Set, bool]], default_permit: bool) -> Set:
        """Packets permitted by an ordered list of (match, permits?) and a default."""
        return self.first_match_detail(matches, default_permit)[0]

    def first_match_detail(
        self, matches: Sequence[tuple[Set, bool]], default_permit: bool
    ) -> tuple[Set, list[int], Set]:
        """(permitted, indexes of entries that never match first, packets some entry
        matches) of an ordered list of (match, permits?) and a default."""
        permitted = self.false
        seen = self.false
        shadowed: list[int] = []
        for i, (match, permit) in enumerate(matches):
            fresh = match & ~seen
            if (
                fresh != match  # only an entry overlapping earlier ones can be shadowed
                and (fresh & self.valid) == self.false
                and (match & self.valid) != self.false
            ):
                shadowed.append(i)
            if permit:
                permitted |= fresh
            seen |= match
        if default_permit:
            permitted |= ~seen
        return permitted & self.valid, shadowed, seen

    # -- projections ------------------------------------------------------------------------
    def project(self, u: Set, keep_prefixes: tuple[str, ...]) -> Set:
        """``u`` with every variable not starting with one of ``keep_prefixes`` quantified."""
        drop = [n for n in self.names if not n.startswith(keep_prefixes)]
        return self.bdd.exist(drop, u)

    def dport_ranges(self, u: Set) -> list[tuple[int, int]]:
        """The destination ports of ``u`` as sorted, merged ranges (exact)."""
        proj = self.project(u, ("dp",))
        out: list[tuple[int, int]] = []

        def walk(lo: int, size: int) -> None:
            block = self._bits_equal("dp", 16, lo, 16 - (size.bit_length() - 1))
            hit = proj & block
            if hit == self.false:
                return
            if hit == block:
                if out and out[-1][1] + 1 == lo:
                    out[-1] = (out[-1][0], lo + size - 1)
                else:
                    out.append((lo, lo + size - 1))
                return
            walk(lo, size // 2)
            walk(lo + size // 2, size // 2)

        walk(0, 65536)
        return out

    def protocols(self, u: Set) -> list[int]:
        proj = self.project(u, ("p",))
        return [n for n in range(256) if (proj & self.protocol(n)) != self.false]

    # -- questions --------------------------------------------------------------------------
    def is_empty(self, u: Set) -> bool:
        return bool(u == self.false)

    def subset(self, u: Set, v: Set) -> bool:
        return bool((u & ~v) == self.false)

    def count(self, u: Set) -> int:
        return int(self.bdd.count(u, nvars=len(self.names)))

    def witness(self, u: Set) -> Witness | None:
        """A concrete packet of ``u``, preferring low ports and addresses for readability."""
        if u == self.false:
            return None
        bits = self.bdd.pick(u, care_vars=self.names)
        assert bits is not None

        def field(prefix: str, width: int) -> int:
            value = 0
            for i in range(width):
                value = (value << 1) | int(bool(bits.get(f"{prefix}{i}", False)))
            return value

        addr = ipaddress.IPv4Address if self.family == 4 else ipaddress.IPv6Address
        return Witness(
            family=self.family,
            protocol=field("p", 8),
            src=str(addr(field("s", self.abits))),
            dst=str(addr(field("d", self.abits))),
            sport=field("sp", 16),
            dport=field("dp", 16),
            icmp_type=field("it", 8),
            established=bool(bits.get("est", False)),
        )

    def contains(self, u: Set, w: Witness) -> bool:
        """Whether the concrete packet ``w`` is in ``u`` (for tests and brute force)."""
        values: dict[str, bool] = {}

        def put(prefix: str, width: int, value: int) -> None:
            for i in range(width):
                values[f"{prefix}{i}"] = bool((value >> (width - 1 - i)) & 1)

        put("p", 8, w.protocol)
        put("s", self.abits, int(ipaddress.ip_address(w.src)))
        put("d", self.abits, int(ipaddress.ip_address(w.dst)))
        put("sp", 16, w.sport)
        put("dp", 16, w.dport)
        put("it", 8, w.icmp_type)
        values["est"] = w.established
        return bool(self.bdd.let(values, u) == self.true)
