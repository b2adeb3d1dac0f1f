"""The engine's fast paths give exactly what the straightforward constructions give.

Each fast path (chunked cubes, bottom-up rule sets, first match over runs of disjoint rules,
merged products of the intent) is compared, as a BDD in the same manager, with a plain
construction written out here.
"""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segcfg.ir import Rule
from segcfg.packetspace import PROTOCOLS, PacketSpace, Set, _pairwise_disjoint
from segcfg.resolve import Endpoint
from segcfg.validate import _merge_products, _wanted

V4 = int(ipaddress.IPv4Address("198.18.0.0"))
V6 = int(ipaddress.IPv6Address("2001:db8::"))


# -- straightforward constructions -------------------------------------------------------------


def plain_bits(ps: PacketSpace, prefix: str, width: int, value: int, length: int) -> Set:
    bits = format(value, f"0{width}b")[:length]
    return ps.bdd.cube({f"{prefix}{i}": b == "1" for i, b in enumerate(bits)})


def plain_nets(ps: PacketSpace, field: str, nets: tuple[Any, ...]) -> Set:
    out = ps.false
    for n in nets:
        if n.version == ps.family:
            out |= plain_bits(ps, field, ps.abits, int(n.network_address), n.prefixlen)
    return out


def plain_ports(ps: PacketSpace, field: str, ranges: tuple[tuple[int, int], ...]) -> Set:
    if not ranges:
        return ps.true
    out = ps.false
    for lo, hi in ranges:
        for p in range(lo, hi + 1):
            out |= plain_bits(ps, field, 16, p, 16)
    return out


def plain_rule(ps: PacketSpace, rule: Rule) -> Set:
    """The rule's set, top-down from whole cubes (the construction before the fast paths)."""
    if rule.family is not None and rule.family != ps.family:
        return ps.false
    out = ps.true
    if rule.protocol is not None:
        number = PROTOCOLS.get(rule.protocol)
        if number is None:
            try:
                number = int(rule.protocol)
            except ValueError:
                return ps.false
        if rule.protocol == "icmp" and ps.family == 6:
            number = PROTOCOLS["icmpv6"]
        if rule.protocol == "icmpv6" and ps.family == 4:
            number = PROTOCOLS["icmp"]
        out &= plain_bits(ps, "p", 8, number, 8)
    if rule.sources:
        out &= plain_nets(ps, "s", rule.sources)
    if rule.destinations:
        out &= plain_nets(ps, "d", rule.destinations)
    if rule.protocol in ("tcp", "udp"):
        out &= plain_ports(ps, "sp", rule.src_ports) & plain_ports(ps, "dp", rule.dst_ports)
    if rule.icmp_type is not None:
        out &= plain_bits(ps, "it", 8, rule.icmp_type, 8)
    if rule.established:
        out &= ps.bdd.var("est") & plain_bits(ps, "p", 8, PROTOCOLS["tcp"], 8)
    return out


def plain_first_match(
    ps: PacketSpace, rules: list[Rule], default_permit: bool
) -> tuple[Set, list[int], Set]:
    permitted = seen = ps.false
    shadowed = []
    for i, r in enumerate(rules):
        match = plain_rule(ps, r)
        fresh = match & ~seen
        if fresh != match and (fresh & ps.valid) == ps.false and (match & ps.valid) != ps.false:
            shadowed.append(i)
        if r.action == "permit":
            permitted |= fresh
        seen |= match
    if default_permit:
        permitted |= ~seen
    return permitted & ps.valid, shadowed, seen


# -- strategies ----------------------------------------------------------------------------------


def nets(draw: st.DrawFn, family: int | None) -> tuple[Any, ...]:
    out: list[Any] = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 1, 2, 3]))):
        fam = family or draw(st.sampled_from([4, 6]))
        width = 32 if fam == 4 else 128
        plen = draw(st.integers(width - 4, width))
        base = (V4 if fam == 4 else V6) + draw(st.integers(0, 15))
        addr = base >> (width - plen) << (width - plen)
        net = (ipaddress.IPv4Network if fam == 4 else ipaddress.IPv6Network)((addr, plen))
        out.append(net)
    return tuple(out)


@st.composite
def rules(draw: st.DrawFn, action: str | None = None) -> Rule:
    family = draw(st.sampled_from([4, 4, 4, 6, None]))
    proto = draw(st.sampled_from([None, "tcp", "tcp", "udp", "icmp", "icmpv6", "47", "bogus"]))
    ported = proto in ("tcp", "udp")

    def ports() -> tuple[tuple[int, int], ...]:
        if not ported or draw(st.booleans()):
            return ()
        lo = draw(st.integers(0, 6))
        return ((lo, draw(st.integers(lo, 7))),)

    return Rule(
        name="r",
        action=action or draw(st.sampled_from(["permit", "deny"])),  # type: ignore[arg-type]
        section="t",
        from_zone="*",
        to_zone="*",
        family=family,
        protocol=proto,
        sources=nets(draw, family),
        destinations=nets(draw, family),
        src_ports=ports(),
        dst_ports=ports(),
        icmp_type=draw(st.sampled_from([None, 0, 8])) if proto in ("icmp", "icmpv6") else None,
        established=proto == "tcp" and draw(st.booleans()),
    )


@st.composite
def rule_lists(draw: st.DrawFn) -> list[Rule]:
    """Runs of one action, long enough for the fast paths (a run > the stretch size)."""
    out: list[Rule] = []
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["permit", "deny"]))
        out += draw(st.lists(rules(action), min_size=1, max_size=24))
    return out


@st.composite
def pooled_rule_lists(draw: st.DrawFn) -> list[Rule]:
    """Rules drawn from a few sources, destinations and services, so that rules share parts
    (and merge into products) and overlap often."""
    family = 4
    pool_s = [nets(draw, family) for _ in range(3)]
    pool_d = [nets(draw, family) for _ in range(4)]
    services = [("tcp", ((443, 443),)), ("tcp", ()), ("udp", ((1, 3),)), (None, ())]
    out: list[Rule] = []
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["permit", "deny"]))
        for _ in range(draw(st.integers(1, 20))):
            proto, dports = draw(st.sampled_from(services))
            out.append(
                Rule(
                    name="r",
                    action=action,  # type: ignore[arg-type]
                    section="t",
                    from_zone="*",
                    to_zone="*",
                    family=family,
                    protocol=proto,
                    sources=draw(st.sampled_from(pool_s)),
                    destinations=draw(st.sampled_from(pool_d)),
                    dst_ports=dports,
                )
            )
    return out


# -- tests ---------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([4, 6]),
    st.sampled_from(["p", "s", "d", "sp", "dp", "it"]),
    st.data(),
)
def test_chunked_cubes_equal_whole_cubes(family: int, prefix: str, data: st.DataObject) -> None:
    ps = PacketSpace(family)
    width = {"p": 8, "it": 8, "sp": 16, "dp": 16}.get(prefix, ps.abits)
    value = data.draw(st.integers(0, 2**width - 1))
    length = data.draw(st.integers(0, width))
    assert ps._bits_equal(prefix, width, value, length) == plain_bits(
        ps, prefix, width, value, length
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(rules(), min_size=1, max_size=8), st.sampled_from([4, 6]))
def test_rule_sets_equal_plain_construction(rule_list: list[Rule], family: int) -> None:
    ps = PacketSpace(family)
    for r in rule_list:
        assert ps.rule(r) == plain_rule(ps, r), r


@pytest.mark.parametrize("stretch", [0, 1, 3, 8])
@settings(max_examples=60, deadline=None)
@given(
    st.one_of(rule_lists(), pooled_rule_lists()),
    st.booleans(),
    st.sampled_from([4, 4, 6]),
)
def test_first_match_rules_equals_definition(
    stretch: int, rule_list: list[Rule], default_permit: bool, family: int
) -> None:
    ps = PacketSpace(family)
    ps._STRETCH = stretch
    permitted, shadowed, seen = ps.first_match_rules(rule_list, default_permit)
    want = plain_first_match(ps, rule_list, default_permit)
    assert shadowed == want[1]
    assert permitted == want[0]
    assert seen == want[2]
    # ... and the definition over the engine's own rule sets agrees too.
    detail = ps.first_match_detail(
        [(ps.rule(r), r.action == "permit") for r in rule_list], default_permit
    )
    assert (detail[0], detail[1], detail[2]) == (permitted, shadowed, seen)


def _tcp(name: str, action: str, **fields: Any) -> Rule:
    """An unscoped IPv4 TCP rule."""
    return Rule(
        name=name,
        action=action,  # type: ignore[arg-type]
        section="t",
        from_zone="*",
        to_zone="*",
        family=4,
        protocol="tcp",
        **fields,
    )


def test_first_match_rules_disjoint_run_and_projection() -> None:
    """A long run of disjoint permits, then denies open in the source that overlap it
    (checked against the projection of what the permits match) and a catch-all."""
    ps = PacketSpace(4)
    ps._STRETCH = 2
    net = ipaddress.IPv4Network
    permits = [
        _tcp(
            f"p{i}",
            "permit",
            sources=(net((V4 + 2 * i, 31)),),
            destinations=(net((V4 + 64, 32)),),
            dst_ports=((443, 443),),
        )
        for i in range(20)
    ]
    denies = [
        _tcp(f"d{i}", "deny", destinations=(net((V4 + 64, 32)),), dst_ports=((port, port),))
        for i, port in enumerate([22, 443, 80, 443])
    ]
    catch_all = Rule(
        name="any", action="deny", section="t", from_zone="*", to_zone="*", protocol=None
    )
    rule_list = [*permits, *denies, catch_all]
    got = ps.first_match_rules(rule_list, False)
    want = plain_first_match(ps, rule_list, False)
    assert got[1] == want[1] == [23]  # the second "deny tcp any host eq 443"
    assert got[0] == want[0] and got[2] == want[2]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.tuples(st.integers(0, 40), st.integers(0, 8)), min_size=1, max_size=3),
        ),
        max_size=5,
    )
)
def test_pairwise_disjoint_equals_brute_force(raw: list[list[tuple[int, int]] | None]) -> None:
    parts: list[frozenset[tuple[int, int]] | None] = [
        None if p is None else frozenset((a, a + n) for a, n in p) for p in raw
    ]

    def addrs(p: frozenset[tuple[int, int]] | None) -> set[int]:
        return set(range(0, 60)) if p is None else {a for lo, hi in p for a in range(lo, hi + 1)}

    want = all(
        not (addrs(parts[i]) & addrs(parts[j]))
        for i in range(len(parts))
        for j in range(i + 1, len(parts))
    )
    assert _pairwise_disjoint(parts) == want


def endpoint(kind: str, i: int, family: int) -> Endpoint:
    nets: list[Any] = [ipaddress.IPv4Network((V4 + 2 * i, 31))]
    if family == 6 or i % 5 == 0:
        nets.append(ipaddress.IPv6Network((V6 + 4 * i, 126)))
    return Endpoint(kind, f"{kind}{i}", "z", tuple(nets))


SERVICES = [("tcp", 443, 443), ("udp", 123, 123), ("udp", 1000, 1100), ("icmp", 8, 8)]
SERVICES += [("icmp", 0, 255), ("icmp", 3, 3), ("tcp", 20, 21)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.sampled_from(SERVICES)), max_size=30
    ),
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.sampled_from(SERVICES)), max_size=10
    ),
    st.sampled_from([4, 6]),
)
def test_wanted_equals_union_of_flows(
    forward: list[tuple[int, int, tuple[str, int, int]]],
    backward: list[tuple[int, int, tuple[str, int, int]]],
    family: int,
) -> None:
    ps = PacketSpace(family)

    def flows(raw: list[tuple[int, int, tuple[str, int, int]]]) -> list[Any]:
        return [
            SimpleNamespace(
                src=endpoint("device", a, family),
                dst=endpoint("host", b, family),
                service=SimpleNamespace(protocol=p, low=lo, high=hi),
            )
            for a, b, (p, lo, hi) in raw
        ]

    fwd, back = flows(forward), flows(backward)
    want = ps.false
    for f in fwd:
        svc = f.service
        want |= (
            plain_nets(ps, "s", f.src.networks)
            & plain_nets(ps, "d", f.dst.networks)
            & ps.service(svc.protocol, svc.low, svc.high)
        )
    for f in back:
        svc = f.service
        reply = plain_nets(ps, "s", f.dst.networks) & plain_nets(ps, "d", f.src.networks)
        if svc.protocol == "udp":
            want |= reply & ps.protocol(17) & ps.port_range("sp", svc.low, svc.high)
        elif svc.protocol == "icmp" and (svc.low == svc.high == 8 or svc.low != svc.high):
            want |= reply & ps.service("icmp", 0, 0)  # echo replies, nothing more
    assert _wanted(ps, fwd, back) == want
    # The merged products cover exactly the flows' (source, destination) pairs.
    pairs = {((f.src.kind, f.src.name), (f.dst.kind, f.dst.name)) for f in fwd}
    merged = _merge_products([(f.src, f.dst) for f in fwd])
    covered = [
        ((s.kind, s.name), (d.kind, d.name)) for srcs, dsts in merged for s in srcs for d in dsts
    ]
    assert len(covered) == len(set(covered))
    assert set(covered) == pairs


@pytest.mark.parametrize("field", ["sources", "destinations"])
def test_shadowed_by_earlier_rules_and_the_run_together(field: str) -> None:
    """A rule open in one field, covered partly by the rules before its run and partly by
    the earlier rules of its own run, which do depend on that field: the projection of what
    came before the run alone must not decide it."""
    ps = PacketSpace(4)
    a = ipaddress.IPv4Network((V4, 32))
    rest = list(ipaddress.IPv4Network("0.0.0.0/0").address_exclude(a))
    x = ipaddress.IPv4Network((V4 + 64, 32))
    other = "destinations" if field == "sources" else "sources"

    def rule(action: str, nets: tuple[Any, ...]) -> Rule:
        return _tcp("r", action, dst_ports=((443, 443),), **{field: nets, other: (x,)})

    rule_list = [rule("permit", (a,)), rule("deny", tuple(rest)), rule("deny", ())]
    for stretch in (0, 1, 8):
        ps._STRETCH = stretch
        got = ps.first_match_rules(rule_list, False)
        want = plain_first_match(ps, rule_list, False)
        assert got[1] == want[1] == [2]
        assert got[0] == want[0] and got[2] == want[2]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([4, 6]), st.data())
def test_prefix_union_equals_union_of_cubes(family: int, data: st.DataObject) -> None:
    ps = PacketSpace(family)
    width = ps.abits
    base = V4 if family == 4 else V6
    nets_: list[Any] = []
    for _ in range(data.draw(st.integers(0, 12))):
        plen = data.draw(st.sampled_from([0, 1, 7, 8, 9, 16, 23, 24, 25, width - 9, width - 1]))
        plen = data.draw(st.sampled_from([plen, width, width - 1, width - 2]))
        addr = base + data.draw(st.integers(0, 2**12))
        if data.draw(st.booleans()):
            addr ^= data.draw(st.integers(0, 2**width - 1)) >> data.draw(st.integers(0, width))
        addr = addr >> (width - plen) << (width - plen) if plen else 0
        nets_.append(
            (ipaddress.IPv4Network if family == 4 else ipaddress.IPv6Network)((addr, plen))
        )
    want = plain_nets(ps, "s", tuple(nets_))
    assert ps.endpoints("s", [SimpleNamespace(networks=tuple(nets_))]) == want
    assert ps.networks("s", nets_) == want
    # Twice: the second union comes from the shared sub-tries.
    assert ps.endpoints("s", [SimpleNamespace(networks=(n,)) for n in nets_]) == want


def test_sub_tries_are_shared_by_level() -> None:
    """The same host part at different depths of the trie names different sets."""
    ps = PacketSpace(4)
    for text in ["0.0.0.4/30", "10.0.0.4/30", "10.0.4.0/22", "0.4.0.0/14", "10.0.0.4/30"]:
        net = ipaddress.IPv4Network(text)
        assert ps.endpoints("d", [SimpleNamespace(networks=(net,))]) == plain_nets(ps, "d", (net,))


def plain_witness(ps: PacketSpace, u: Set) -> tuple[int, ...]:
    """The packet ``bdd.pick`` over every variable gives (the witness before the walk)."""
    bits = ps.bdd.pick(u, care_vars=ps.names)

    def field(prefix: str, width: int) -> int:
        value = 0
        for i in range(width):
            value = (value << 1) | int(bool(bits.get(f"{prefix}{i}", False)))
        return value

    return (
        field("p", 8),
        field("s", ps.abits),
        field("d", ps.abits),
        field("sp", 16),
        field("dp", 16),
        field("it", 8),
        int(bool(bits.get("est", False))),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(rules(), min_size=1, max_size=6),
    st.sampled_from([4, 6]),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_witness_is_the_packet_pick_gives(
    rule_list: list[Rule], family: int, ops: list[bool]
) -> None:
    """Sets with complemented edges included (differences, complements): the walk down the
    BDD finds the same packet as enumerating every variable, and the packet is in the set."""
    ps = PacketSpace(family)
    u = ps.false
    for r, negate in zip(rule_list, ops, strict=False):
        v = ps.rule(r) & ps.valid
        u = (u & ~v) if negate and u != ps.false else (u | v)
    if u == ps.false:
        assert ps.witness(u) is None
        return
    w = ps.witness(u)
    assert w is not None and ps.contains(u, w)
    addr = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    got = (
        w.protocol,
        int(addr(w.src)),
        int(addr(w.dst)),
        w.sport,
        w.dport,
        w.icmp_type,
        int(w.established),
    )
    assert got == plain_witness(ps, u)
    outside = ps.witness(ps.valid & ~u)  # a packet not in the set is not reported in it
    assert outside is None or not ps.contains(u, outside)
