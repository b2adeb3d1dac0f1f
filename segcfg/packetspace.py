"""Exact sets of packets as binary decision diagrams (``dd`` with CUDD).

A packet is (protocol, source address, destination address, source port, destination port,
ICMP type, established). Addresses are 32 bits (IPv4) or 128 bits (IPv6): one
:class:`PacketSpace` per family. Only *canonical* packets exist: ports are 0 unless the
protocol is TCP or UDP, the ICMP type is 0 unless it is ICMP; this makes "any port" of a
non-ported protocol one packet, so set differences give meaningful witnesses.

Filters are compared exactly, without sampling: first-match semantics are built with
:meth:`PacketSpace.first_match` (the definition, entry by entry) or, from rules and much faster
on large filters, :meth:`PacketSpace.first_match_rules`, which takes runs of pairwise disjoint
rules as a few large products instead of one set per rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from segcfg.ir import PortRange, Rule
from segcfg.model.common import icmp_in_family

PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "icmpv6": 58}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOLS.items()}
Set = Any  # a dd.cudd.Function

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
Spans = frozenset[tuple[int, int]] | None  # address prefixes as (first, last); None: any
_NONE: frozenset[tuple[int, int]] = frozenset()


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


class _Run:
    """A run of rules of one action being taken (:meth:`PacketSpace.first_match_rules`)."""

    __slots__ = ("budget", "covers", "free_d", "free_s", "run", "seen")

    def __init__(self, seen: Set, run: Set, budget: int) -> None:
        self.seen = seen  # what the rules before the run match
        self.run = run  # what the run's rules taken so far match
        # Rules that failed attempts at the fast path may still take: once spent, the rest
        # of the run is taken rule by rule (bounds the cost of runs full of overlaps).
        self.budget = budget
        self.free_s = True  # ``run`` does not depend on the source address
        self.free_d = True  # ... nor on the destination address
        self.covers: dict[str, Set] = {}  # universal projections of ``seen``

    def add(self, u: Set, rules: Sequence[Rule]) -> None:
        self.run |= u
        self.free_s = self.free_s and all(not r.sources for r in rules)
        self.free_d = self.free_d and all(not r.destinations for r in rules)


class PacketSpace:
    """A BDD manager for one address family, and the sets built in it."""

    def __init__(self, family: int = 4) -> None:
        self.family = family
        self.abits = 32 if family == 4 else 128
        # Imported here: dd pulls in networkx (~0.15 s), which commands that never build a
        # packet set (compile, lint, schema) should not pay for at start-up.
        from dd.cudd import BDD

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
        self._chunks: dict[tuple[str, int, int, int], Set] = {}
        self._plans: dict[tuple[str, int, int], list[tuple[int, int, int]]] = {}
        self._shapes: dict[tuple[object, ...], tuple[Set, Set] | None] = {}
        self._spans: dict[int, tuple[IPNet, tuple[int, int] | None]] = {}
        self._span_sets: dict[int, tuple[tuple[IPNet, ...], Spans]] = {}
        self._tries: dict[tuple[str, int, frozenset[tuple[int, int]]], Set] = {}
        self._unions: dict[tuple[str, frozenset[tuple[int, int]]], Set] = {}
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
        """The top ``length`` bits (MSB first) of field ``prefix`` equal those of value.

        Built from cached cubes of 8-bit chunks, ANDed bottom-up (each AND then only adds the
        nodes of the chunk above): far cheaper than one ``cube`` over every variable."""
        length = width if length is None else length
        plan = self._plans.get((prefix, width, length))
        if plan is None:
            plan = self._plans[(prefix, width, length)] = [
                (start, min(8, length - start), width - start - min(8, length - start))
                for start in reversed(range(0, length, 8))
            ]
        chunks = self._chunks
        out = self.true
        for start, n, shift in plan:
            bits = (value >> shift) & ((1 << n) - 1)
            cube = chunks.get((prefix, start, n, bits))
            if cube is None:
                cube = self._cube(prefix, width, start, n, bits)
            out = cube & out
        return out

    def _cube(self, prefix: str, width: int, start: int, n: int, bits: int) -> Set:
        """The cube: bits ``start .. start+n-1`` of field ``prefix`` equal ``bits`` (cached)."""
        key = (prefix, start, n, bits)
        cube = self._chunks.get(key)
        if cube is None:
            names = self._field_names.get(prefix)
            if names is None:
                names = self._field_names[prefix] = [f"{prefix}{i}" for i in range(width)]
            values = {names[start + i]: bool((bits >> (n - 1 - i)) & 1) for i in range(n)}
            cube = self._chunks[key] = self.bdd.cube(values)
        return cube

    def protocol(self, number: int) -> Set:
        key = ("p", number)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._bits_equal("p", 8, number)
        return cached

    def networks(self, field: str, nets: Iterable[IPNet]) -> Set:
        spans = frozenset(span for n in nets if (span := self._span(n)) is not None)
        return self._addresses(field, spans)

    def endpoints(self, field: str, endpoints: Iterable[Any]) -> Set:
        """The addresses of resolved endpoints."""
        spans = frozenset(
            span for e in endpoints for n in e.networks if (span := self._span(n)) is not None
        )
        return self._addresses(field, spans)

    def _addresses(self, field: str, spans: frozenset[tuple[int, int]]) -> Set:
        """The union of the address prefixes with these (first, last) addresses (cached).

        Built as a trie of 8-bit chunks (one AND per distinct path of chunks, not one cube
        and one OR per prefix), whose sub-tries are shared: the host parts of many devices
        repeat under many networks."""
        key = (field, spans)
        cached = self._unions.get(key)
        if cached is None:
            abits = self.abits
            prefixes = frozenset(
                (first, abits - (last - first).bit_length()) for first, last in spans
            )
            cached = self._unions[key] = self._trie(field, 0, prefixes)
        return cached

    def _trie(self, field: str, start: int, prefixes: frozenset[tuple[int, int]]) -> Set:
        """The union of prefixes (value, length) that agree on their bits before ``start``,
        of which ``value`` keeps the bits from ``start`` on."""
        key = (field, start, prefixes)
        cached = self._tries.get(key)
        if cached is not None:
            return cached
        below = self.abits - start  # bits from ``start`` on
        if len(prefixes) == 1:  # one path of chunks, built bottom-up
            ((value, length),) = prefixes
            out = self.true
            for pos in reversed(range(start, length, 8)):
                n = min(8, length - pos)
                bits = (value >> (self.abits - pos - n)) & ((1 << n) - 1)
                out = self._cube(field, self.abits, pos, n, bits) & out
            self._tries[key] = out
            return out
        out = self.false
        deeper: dict[int, set[tuple[int, int]]] = {}
        mask = (1 << (below - 8)) - 1
        for value, length in prefixes:  # ``value`` has no bits before ``start``
            rest = length - start
            if rest > 8:
                deeper.setdefault(value >> (below - 8), set()).add((value & mask, length))
            elif rest > 0:
                out |= self._cube(field, self.abits, start, rest, value >> (below - rest))
            else:
                out = self.true
                break
        else:
            for bits, sub in deeper.items():
                tail = self._trie(field, start + 8, frozenset(sub))
                out |= self._cube(field, self.abits, start, 8, bits) & tail
        self._tries[key] = out
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
        shape = self._shape(rule)
        if shape is None:
            return self.false
        top, below = shape
        # Bottom-up in the variable order: each AND then only adds the nodes of the part
        # above (top-down, every AND would copy all the parts built so far).
        dsts = self._spans_of(rule.destinations)
        if dsts is not None:
            below = self._addresses("d", dsts) & below
        srcs = self._spans_of(rule.sources)
        if srcs is not None:
            below = self._addresses("s", srcs) & below
        return top & below

    def _shape(self, rule: Rule) -> tuple[Set, Set] | None:
        """What a rule matches besides its addresses, as (the protocol part, the ports, ICMP
        type and established part): ``rule(r) == top & sources & destinations & below``.
        None if the rule matches nothing in this family."""
        if rule.family is not None and rule.family != self.family:
            return None
        ported = rule.protocol in ("tcp", "udp")
        key = (
            rule.protocol,
            rule.src_ports if ported else None,
            rule.dst_ports if ported else None,
            rule.icmp_type,
            rule.established,
        )
        if key in self._shapes:
            return self._shapes[key]
        number = PROTOCOLS.get(rule.protocol or "")
        if rule.protocol is not None and number is None:
            try:
                number = int(rule.protocol)
            except ValueError:
                self._shapes[key] = None
                return None
        if rule.protocol == "icmp" and self.family == 6:
            number = PROTOCOLS["icmpv6"]
        if rule.protocol == "icmpv6" and self.family == 4:
            number = PROTOCOLS["icmp"]
        below = self.true
        if rule.established:
            below = self.bdd.var("est")
        if rule.icmp_type is not None:
            below = self._bits_equal("it", 8, rule.icmp_type) & below
        if ported:
            below = self.ports("dp", rule.dst_ports) & below
            below = self.ports("sp", rule.src_ports) & below
        top = self.true if number is None else self.protocol(number)
        if rule.established:
            top &= self.protocol(PROTOCOLS["tcp"])
        shape = self._shapes[key] = (top, below)
        return shape

    def service(self, protocol: str, low: int, high: int) -> Set:
        """The packets of a service in this address family (ICMP as the family carries it:
        :func:`icmp_in_family`; nothing when the type has no equivalent here)."""
        carried = icmp_in_family(protocol, low, high, self.family)
        if carried is None:
            return self.false
        protocol, low, high = carried
        number = PROTOCOLS[protocol]
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
        matches) of an ordered list of (match, permits?) and a default.

        The definition, entry by entry; :meth:`first_match_rules` computes the same from
        rules, faster."""
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

    def first_match_rules(
        self,
        rules: Sequence[Rule],
        default_permit: bool,
        match: Callable[[int], Set] | None = None,
    ) -> tuple[Set, list[int], Set]:
        """:meth:`first_match_detail` of rules (each permits or denies by its action), mostly
        without building a set per rule.

        A run of consecutive rules of one action that are pairwise disjoint, and disjoint from
        what the rules before them matched, has no shadowed rule and adds its union, which
        :meth:`_disjoint_union` builds from a few large products. A run not shown pairwise
        disjoint is halved, down to short stretches taken rule by rule. ``match(i)`` is the
        set of ``rules[i]`` (default :meth:`rule`), so a caller can share its cache."""
        get = match if match is not None else (lambda k: self.rule(rules[k]))
        permitted = self.false
        seen = self.false
        shadowed: list[int] = []
        n = len(rules)
        i = 0
        while i < n:
            permit = rules[i].action == "permit"
            j = i + 1
            while j < n and (rules[j].action == "permit") == permit:
                j += 1
            st = _Run(seen, self.false, 2 * (j - i))
            self._run(rules, i, j, st, get, shadowed)
            if permit:
                run = st.run
                permitted = seen | run if permitted == seen else permitted | (run & ~seen)
            seen |= st.run
            i = j
        if default_permit:
            permitted |= ~seen
        return permitted & self.valid, shadowed, seen

    _STRETCH = 8  # a run this short is taken rule by rule

    def _run(
        self,
        rules: Sequence[Rule],
        lo: int,
        hi: int,
        st: _Run,
        get: Callable[[int], Set],
        shadowed: list[int],
    ) -> None:
        """Add rules lo..hi-1 of a run to ``st``, recording the shadowed ones."""
        false = self.false
        if hi - lo > self._STRETCH and st.budget >= hi - lo:
            union = self._disjoint_union(rules[lo:hi])
            if union is None:  # not shown pairwise disjoint: halve
                st.budget -= hi - lo
                mid = (lo + hi) // 2
                self._run(rules, lo, mid, st, get, shadowed)
                self._run(rules, mid, hi, st, get, shadowed)
                return
            if (union & st.run) != false or (st.seen != false and (union & st.seen) != false):
                # Pairwise disjoint: a rule can only be shadowed by the rules before these.
                for k in range(lo, hi):
                    if self._shadowed(rules[k], get(k), st):
                        shadowed.append(k)
            st.add(union, rules[lo:hi])
            return
        for k in range(lo, hi):
            match = get(k)
            if self._shadowed(rules[k], match, st):
                shadowed.append(k)
            st.add(match, rules[k : k + 1])

    def _shadowed(self, rule: Rule, match: Set, st: _Run) -> bool:
        """Whether ``match`` (of ``rule``) has a packet, and all of them are in what the rules
        before it match (``st.seen | st.run``): as :meth:`first_match_detail` decides it.

        When neither the rule nor ``st.run`` depends on a field (an ``any`` source), neither
        does what the rule leaves after ``st.run``, and that is in ``st.seen`` iff it is in
        the universal projection of ``st.seen`` on the field: small, where ``st.seen`` (a
        large union) is not."""
        false = self.false
        left = match if st.run == false else match & ~st.run
        seen = st.seen
        if seen != false and left != false:
            for name, free in (
                ("s", st.free_s and not rule.sources),
                ("d", st.free_d and not rule.destinations),
            ):
                if free:
                    cover = st.covers.get(name)
                    if cover is None:
                        names = [f"{name}{i}" for i in range(self.abits)]
                        cover = st.covers[name] = self.bdd.forall(names, seen)
                    seen = cover
                    break
            left &= ~seen
        if left == match:
            return False  # it overlaps nothing before it
        return bool((left & self.valid) == false and (match & self.valid) != false)

    def _span(self, net: IPNet) -> tuple[int, int] | None:
        """First and last address of a network of this family as integers (None: another
        family). Cached by identity (parsers share network objects), holding the network so
        that its id stays its own."""
        entry = self._spans.get(id(net))
        if entry is None or entry[0] is not net:
            if net.version != self.family:
                span = None
            else:
                first = int(net.network_address)
                span = (first, first | ((1 << (self.abits - net.prefixlen)) - 1))
            entry = self._spans[id(net)] = (net, span)
        return entry[1]

    def _spans_of(self, nets: tuple[IPNet, ...]) -> Spans:
        """The (first, last) addresses of the networks of this family; None for "any" (no
        networks at all), and empty when none is of this family (the rule matches nothing).
        Cached by identity, as :meth:`_span`."""
        entry = self._span_sets.get(id(nets))
        if entry is None or entry[0] is not nets:
            out: Spans = None
            if nets:
                out = frozenset(span for n in nets if (span := self._span(n)) is not None)
            entry = self._span_sets[id(nets)] = (nets, out)
        return entry[1]

    def _disjoint_union(self, rules: Sequence[Rule]) -> Set | None:
        """The union of rules shown to be pairwise disjoint, else None.

        Rules of one shape (:meth:`_shape`) and the same destinations merge their sources
        (S1 x D | S2 x D == (S1 | S2) x D) when the sources are pairwise disjoint; the
        products of one shape and the same sources then merge their destinations when those
        are pairwise disjoint; the products are checked pairwise disjoint as sets."""
        by_dst: dict[tuple[int, Spans], tuple[tuple[Set, Set], Spans, list[Spans]]] = {}
        for r in rules:
            shape = self._shape(r)
            if shape is None:
                continue  # matches nothing
            srcs = self._spans_of(r.sources)
            dsts = self._spans_of(r.destinations)
            if srcs == _NONE or dsts == _NONE:
                continue  # no address of this family on one side: matches nothing
            key = (id(shape), dsts)
            group = by_dst.get(key)
            if group is None:
                group = by_dst[key] = (shape, dsts, [])
            group[2].append(srcs)
        by_src: dict[tuple[int, Spans], tuple[tuple[Set, Set], Spans, list[Spans]]] = {}
        for shape, dsts, sources in by_dst.values():
            if not _pairwise_disjoint(sources):
                return None
            srcs = sources[0] if len(sources) == 1 else _merged(sources)
            key = (id(shape), srcs)
            group = by_src.get(key)
            if group is None:
                group = by_src[key] = (shape, srcs, [])
            group[2].append(dsts)
        false = self.false
        union = false
        for (top, below), srcs, destinations in by_src.values():
            if not _pairwise_disjoint(destinations):
                return None
            dsts = destinations[0] if len(destinations) == 1 else _merged(destinations)
            part = below
            if dsts is not None:
                part = self._addresses("d", dsts) & part
            if srcs is not None:
                part = self._addresses("s", srcs) & part
            part = top & part
            if (part & union) != false:
                return None
            union |= part
        return union

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

    def count(self, u: Set) -> int:
        return int(self.bdd.count(u, nvars=len(self.names)))

    def witness(self, u: Set) -> Witness | None:
        """A concrete packet of ``u``, preferring low ports and addresses for readability."""
        if u == self.false:
            return None
        bits = self._first_cube(u)

        def field(prefix: str, width: int) -> int:
            value = 0
            for i in range(width):
                value = (value << 1) | int(bits.get(f"{prefix}{i}", False))
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

    def _first_cube(self, u: Set) -> dict[str, bool]:
        """The variables set along the first path of ``u`` to true, taking the low (0) branch
        whenever it is not false: CUDD's first cube, which ``bdd.pick`` enumerates from, found
        without enumerating every variable (unset variables are 0: the smallest packet of
        that cube)."""
        bits: dict[str, bool] = {}
        node = u
        true, false = self.true, self.false
        while node != true:
            # dd gives the children of the regular node: a complemented edge negates both.
            low, high = node.low, node.high
            if node.negated:
                low, high = ~low, ~high
            if low != false:
                bits[node.var] = False
                node = low
            else:
                bits[node.var] = True
                node = high
        return bits

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


def _merged(parts: Sequence[Spans]) -> Spans:
    """The union of address parts (None: any address)."""
    out: set[tuple[int, int]] = set()
    for p in parts:
        if p is None:
            return None
        out |= p
    return frozenset(out)


def _pairwise_disjoint(parts: Sequence[Spans]) -> bool:
    """Whether no address is in two of ``parts`` (each the spans of one operand; None: any
    address). A sweep over the spans sorted by first address: a span that starts before the
    furthest end seen so far of another part overlaps that part."""
    if len(parts) < 2:
        return True
    spans: list[tuple[int, int, int]] = []
    for owner, p in enumerate(parts):
        if p is None:
            return False
        spans.extend((first, last, owner) for first, last in p)
    spans.sort()
    end = -1
    end_owner = -1
    for first, last, owner in spans:
        if first <= end and owner != end_owner:
            return False
        if last > end:
            end, end_owner = last, owner
    return True
