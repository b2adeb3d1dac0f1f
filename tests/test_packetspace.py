"""The packet-space engine against brute force on a small address and port space."""

from __future__ import annotations

import ipaddress
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from segcfg.evaluate import Packet
from segcfg.ir import Rule
from segcfg.packetspace import PROTOCOLS, PacketSpace, Witness

ADDRS = [ipaddress.IPv4Address("198.18.0.0") + i for i in range(8)]
PORTS = list(range(1, 9))
PROTOS = ["tcp", "udp", "icmp"]


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    def nets() -> tuple[ipaddress.IPv4Network, ...]:
        out = []
        for _ in range(draw(st.integers(0, 2))):
            plen = draw(st.integers(29, 32))
            base = int(ADDRS[0]) + draw(st.integers(0, 7))
            out.append(ipaddress.IPv4Network((base >> (32 - plen) << (32 - plen), plen)))
        return tuple(out)

    proto = draw(st.sampled_from([None, *PROTOS]))
    ports: tuple[tuple[int, int], ...] = ()
    icmp = None
    if proto in ("tcp", "udp") and draw(st.booleans()):
        lo = draw(st.integers(1, 8))
        ports = ((lo, draw(st.integers(lo, 8))),)
    if proto == "icmp" and draw(st.booleans()):
        icmp = draw(st.integers(0, 3))
    return Rule(
        name="r",
        action=draw(st.sampled_from(["permit", "deny"])),
        section="t",
        from_zone="*",
        to_zone="*",
        family=4,
        protocol=proto,
        sources=nets(),
        destinations=nets(),
        dst_ports=ports,
        icmp_type=icmp,
    )


def brute_matches(rule: Rule, pkt: Packet) -> bool:
    from segcfg.evaluate import rule_matches

    return rule_matches(rule, pkt)


@settings(max_examples=150, deadline=None)
@given(st.lists(rules(), min_size=0, max_size=6), st.booleans())
def test_first_match_equals_brute_force(rule_list: list[Rule], default_permit: bool) -> None:
    ps = PacketSpace(4)
    permitted = ps.first_match(
        [(ps.rule(r), r.action == "permit") for r in rule_list], default_permit
    )
    for src, dst, proto in itertools.product(ADDRS[:4], ADDRS, PROTOS):
        ports = PORTS if proto in ("tcp", "udp") else [0]
        for port in ports:
            icmp = port % 4 if proto == "icmp" else None
            pkt = Packet(
                "*",
                "*",
                proto,
                src,
                dst,
                sport=0 if proto == "icmp" else 1000,
                dport=port,
                icmp_type=icmp,
            )
            hit = next((r for r in rule_list if brute_matches(r, pkt)), None)
            want = (hit.action == "permit") if hit else default_permit
            w = Witness(
                4,
                PROTOCOLS[proto],
                str(src),
                str(dst),
                pkt.sport if port else 0,
                port,
                icmp or 0,
                False,
            )
            got = ps.contains(permitted, w)
            assert got == want, (pkt, hit)


def test_witness_is_a_member_and_sets_are_exact() -> None:
    ps = PacketSpace(4)
    r = Rule(
        name="r",
        action="permit",
        section="t",
        from_zone="*",
        to_zone="*",
        family=4,
        protocol="tcp",
        sources=(ipaddress.ip_network("198.18.1.0/24"),),
        dst_ports=((20, 23),),
    )
    u = ps.rule(r) & ps.new
    w = ps.witness(u)
    assert w is not None and ps.contains(u, w)
    assert ipaddress.ip_address(w.src) in ipaddress.ip_network("198.18.1.0/24")
    assert 20 <= w.dport <= 23 and w.protocol == 6
    # 256 sources x 2^32 destinations x 2^16 source ports x 4 destination ports.
    assert ps.count(u) == 256 * 2**32 * 2**16 * 4
    assert ps.is_empty(u & ~ps.rule(r))
    assert ps.witness(ps.false) is None


def test_port_ranges_are_exact() -> None:
    ps = PacketSpace(4)
    for lo, hi in [(0, 0), (1, 1), (20, 23), (1024, 65535), (3, 65534), (0, 65535)]:
        u = ps.port_range("dp", lo, hi)
        assert ps.count(u) == (hi - lo + 1) * 2 ** (len(ps.names) - 16)


def test_ipv6_space() -> None:
    ps = PacketSpace(6)
    r = Rule(
        name="r",
        action="permit",
        section="t",
        from_zone="*",
        to_zone="*",
        family=6,
        protocol="icmp",
        destinations=(ipaddress.ip_network("2001:db8::/64"),),
    )
    w = ps.witness(ps.rule(r) & ps.new)
    assert w is not None and w.protocol == PROTOCOLS["icmpv6"]
    assert ipaddress.ip_address(w.dst) in ipaddress.ip_network("2001:db8::/64")
    v4 = Rule(name="r", action="permit", section="t", from_zone="*", to_zone="*", family=4)
    assert ps.is_empty(ps.rule(v4))
