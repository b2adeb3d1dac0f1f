"""Cisco IOS (with NX-OS ``ip access-list``) and ASA running-config parsers.

1. Every file of the public corpus (``shared/corpus`` next to the repository) parses, with
   concrete expectations per file; a missing corpus or an unexpected file fails.
2. Round trip: our own rendered output parses back to ACLs that decide sampled packets exactly
   as the compiled IR does (``segcfg.evaluate.decide``), and each parsed line maps back to the
   compiled rule its remark names.
3. One focused test per syntax feature.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from segcfg.compile import compile_site
from segcfg.evaluate import Packet, decide, rule_matches
from segcfg.ir import ANY_ZONE, DECOY, DEFAULT_DENY, REMOTE_ACCESS, SCAN_SWEEP, Rule, RuleSet
from segcfg.load import LoadedSite, load_site
from segcfg.model.site import IPNetwork, ZoneKind
from segcfg.parsed import ParsedConfig, ParsedRule
from segcfg.platforms.cisco_asa.parse import parse as parse_asa
from segcfg.platforms.cisco_ios.parse import parse as parse_ios
from segcfg.platforms.parsers import parser_for
from segcfg.resolve import Resolver

from .conftest import EXAMPLE, ROOT, TODAY

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GOLDEN = ROOT / "tests" / "golden"
GENERATED = ROOT / "generated" / "example-general"

net = ipaddress.ip_network


def ios(text: str) -> ParsedConfig:
    return parse_ios(text, "test.ios")


def asa(text: str) -> ParsedConfig:
    return parse_asa(text, "test.asa")


def rules(pc: ParsedConfig, acl: str) -> list[Rule]:
    return [pr.rule for pr in pc.filters[acl].rules]


def only(pc: ParsedConfig, acl: str) -> Rule:
    (rule,) = rules(pc, acl)
    return rule


def reasons(pc: ParsedConfig) -> list[str]:
    return [u.reason for u in pc.unsupported]


# ---------------------------------------------------------------------------------------------
# 1. The corpus
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    platform: str
    filters: dict[str, int]  # filter -> number of rules
    bindings: tuple[tuple[str, str, str], ...] = ()  # (filter, interface, direction)
    unsupported: tuple[int, ...] = ()  # lines


def _check_aerleon_ios(pc: ParsedConfig) -> None:
    first = rules(pc, "edge-inbound")[0]
    assert (first.action, first.protocol, first.family) == ("deny", None, 4)
    assert first.sources == (net("0.0.0.0/8"),) and first.destinations == ()
    assert "deny-from-bogons" in first.remarks and first.log is None
    est = [r for r in rules(pc, "edge-inbound") if r.established]
    assert [r.destinations for r in est] == [(net(f"200.1.1.{i}/32"),) for i in range(1, 6)]
    assert all(r.protocol == "tcp" and r.remarks == ("permit-tcp-established",) for r in est)
    udp = [r for r in rules(pc, "edge-inbound") if r.protocol == "udp"]
    assert {r.src_ports for r in udp} == {((1024, 65535),)} and len(udp) == 5
    smtp = [r for r in rules(pc, "edge-inbound") if r.dst_ports == ((25, 25),)]
    assert len(smtp) == 2
    v6 = rules(pc, "ipv6-edge-inbound")
    assert all(r.family == 6 for r in v6)
    assert v6[5].sources == (net("::1/128"),)
    last = rules(pc, "ipv6-edge-outbound")[-1]
    assert (last.action, last.family, last.sources, last.destinations) == ("permit", 6, (), ())


def _check_lan_in(pc: ParsedConfig) -> None:
    first, second = rules(pc, "LAN-IN")
    assert first.sources == (net("10.0.0.0/16"),) and first.action == "permit"
    assert (second.action, second.family, second.protocol) == ("deny", None, None)


def _check_border(pc: ParsedConfig) -> None:
    second = rules(pc, "INSIDE_TO_AS3")[1]
    assert second.sources == (net("10.23.21.2/32"),)
    assert second.destinations == (net("10.23.21.3/32"),)
    assert rules(pc, "101")[0].destinations == (net("255.255.255.0/32"),)
    assert rules(pc, "OUTSIDE_TO_INSIDE")[0].sources == (net("2.0.0.0/8"),)


def _check_dist_snapshot(pc: ParsedConfig) -> None:
    added = rules(pc, "102")[0]  # the entry the snapshot added, before the old one
    assert (added.protocol, added.sources) == ("tcp", (net("2.128.0.0/32"),))


def _check_zbf(pc: ParsedConfig) -> None:
    assert all(len(f.rules) == 1 for f in pc.filters.values())
    syslog = only(pc, "acl-admin-z2-tcp-syslog")  # service group: cmd (514), 2020, 2021
    assert syslog.protocol == "tcp" and syslog.dst_ports == ((514, 514), (2020, 2021))
    assert syslog.sources == (net("101.164.100.0/23"),)  # host bits of the group masked
    assert syslog.destinations == (net("101.164.8.0/22"),)
    assert (syslog.src_label, syslog.dst_label) == ("admin", "z2")
    udp = only(pc, "acl-admin-z2-udp-syslog")
    assert udp.protocol == "udp" and udp.dst_ports == ((514, 514), (2022, 2022))
    dbs = only(pc, "acl-fw-fwvmem01-databases-tcp-databases")
    assert dbs.dst_ports == ((1521, 1522), (5510, 5515)) and len(dbs.destinations) == 3
    assert only(pc, "acl-fw-admin-to-fw2-admin").protocol is None
    assert only(pc, "acl-z2-puppet-udp-tftp").dst_ports == ((69, 69),)


def _check_nxos(candidate: str | None) -> Callable[[ParsedConfig], None]:
    def check(pc: ParsedConfig) -> None:
        acl = rules(pc, "acl_in")
        assert (acl[0].action, acl[0].protocol, acl[0].icmp_type) == ("deny", "icmp", 5)
        bgp = acl[3]
        assert bgp.dst_ports == ((179, 179),) and bgp.sources == (net("11.36.216.170/32"),)
        assert acl[-1].action == "deny" and acl[-1].protocol is None and acl[-1].family is None
        dns = [r for r in acl if r.dst_ports == ((53, 53),)]
        assert [r.action for r in dns] == ["deny", "permit"]
        assert "ttl-exceeded" in " ".join(reasons(pc))
        assert "without wildcard or prefix length" in " ".join(reasons(pc))
        web = [r for r in acl if r.dst_ports in (((80, 80),), ((8080, 8080),))]
        if candidate is None:
            assert web == []
        else:
            assert [r.destinations for r in web] == [(net(f"18.18.18.0/{candidate}"),)] * 2

    return check


def _check_aerleon_asa(pc: ParsedConfig) -> None:
    smtp = rules(pc, "asa_in")[20]
    assert smtp.dst_ports == ((25, 25),) and smtp.family == 4 and smtp.protocol == "tcp"
    assert smtp.remarks == ("permit-mail-services",)
    last = rules(pc, "asa_in")[-1]
    assert (last.action, last.family, last.protocol) == ("deny", None, None)
    udp = [r for r in rules(pc, "asa_in") if r.protocol == "udp"]
    assert {r.src_ports for r in udp} == {((1024, 65535),)}
    assert rules(pc, "asa_out")[-1].action == "permit"


def _check_asa_filters(pc: ParsedConfig) -> None:
    assert "FILTER_UNDEF" not in pc.filters  # bound, never defined: the validator's finding
    assert only(pc, "FILTER_IN").family is None
    assert only(pc, "FILTER_OUT5").dst_ports == ((123, 123),)


def _check_asa_acl(pc: ParsedConfig) -> None:
    tftp = only(pc, "outside_in")
    assert (tftp.family, tftp.protocol, tftp.dst_ports) == (4, "udp", ((69, 69),))
    std = only(pc, "Local_LAN_Access")
    assert std.sources == () and std.destinations == (net("0.0.0.0/32"),)
    assert pc.filters["outside"].rules == () and pc.filters["inline_specifiers"].rules == ()
    found = reasons(pc)
    assert found[0] == "undefined object-group drawbridge_hosts"
    assert found[1:] == [f"undefined object {u.text.split()[5]}" for u in pc.unsupported[1:]]


NXOS_ACL = {"acl_in": 103}
CORPUS_FILES: dict[str, tuple[Expect, Callable[[ParsedConfig], None] | None]] = {
    "cisco_ios/aerleon_sample_multitarget.acl.ref": (
        Expect(
            "cisco-ios",
            {
                "edge-inbound": 43,
                "ipv6-edge-inbound": 25,
                "edge-outbound": 15,
                "ipv6-edge-outbound": 24,
            },
        ),
        _check_aerleon_ios,
    ),
    "cisco_ios/hier_config_ios_generated.conf": (
        Expect("cisco-ios", {"LAN-IN": 2}, (("LAN-IN", "GigabitEthernet0/1", "in"),)),
        _check_lan_in,
    ),
    "cisco_ios/hier_config_ios_remediation.conf": (
        Expect("cisco-ios", {"LAN-IN": 2}, (("LAN-IN", "GigabitEthernet0/1", "in"),)),
        _check_lan_in,
    ),
    "cisco_ios/hier_config_ios_running.conf": (Expect("cisco-ios", {}), None),
    "cisco_ios/pybatfish_drift_reference_as2border2.cfg": (
        Expect(
            "cisco-ios",
            {"INSIDE_TO_AS3": 3, "OUTSIDE_TO_INSIDE": 2, "101": 2, "103": 2},
            (
                ("OUTSIDE_TO_INSIDE", "GigabitEthernet0/0", "in"),
                ("INSIDE_TO_AS3", "GigabitEthernet0/0", "out"),
            ),
        ),
        _check_border,
    ),
    "cisco_ios/pybatfish_drift_snapshot_as2border2.cfg": (  # access-groups commented out
        Expect("cisco-ios", {"INSIDE_TO_AS3": 3, "OUTSIDE_TO_INSIDE": 2, "101": 2, "103": 2}),
        _check_border,
    ),
    "cisco_ios/pybatfish_drift_reference_as2dist1.cfg": (
        Expect("cisco-ios", {"102": 1, "105": 4}),
        None,
    ),
    "cisco_ios/pybatfish_drift_snapshot_as2dist1.cfg": (
        Expect("cisco-ios", {"102": 2, "105": 4}),
        _check_dist_snapshot,
    ),
    "cisco_ios/pybatfish_example-filters_firewall.cfg": (
        Expect("cisco-ios", {}),  # 81 one-line ACLs: counted in _check_zbf
        _check_zbf,
    ),
    "cisco_nxos/pybatfish_example-filters_current_rtr-with-acl.cfg": (
        Expect("cisco-ios", NXOS_ACL, (("acl_in", "Ethernet1/1/1", "in"),), (50, 84)),
        _check_nxos(None),
    ),
    "cisco_nxos/pybatfish_example-filters_candidate1_rtr-with-acl.cfg": (
        Expect("cisco-ios", {"acl_in": 105}, (("acl_in", "Ethernet1/1/1", "in"),), (52, 86)),
        _check_nxos("26"),
    ),
    "cisco_nxos/pybatfish_example-filters_candidate2_rtr-with-acl.cfg": (
        Expect("cisco-ios", {"acl_in": 105}, (("acl_in", "Ethernet1/1/1", "in"),), (52, 86)),
        _check_nxos("27"),
    ),
    "cisco_asa/aerleon_sample_multitarget.asa.ref": (
        Expect("cisco-asa", {"asa_in": 43, "asa_out": 21}),
        _check_aerleon_asa,
    ),
    "cisco_asa/batfish_testconfigs_asa-filters.cfg": (
        Expect(
            "cisco-asa",
            {"FILTER_IN": 1, "FILTER_IN4": 1, "FILTER_OUT": 1, "FILTER_OUT5": 1},
            (
                ("FILTER_IN", "name1", "in"),
                ("FILTER_IN4", "name4", "in"),
                ("FILTER_OUT", "name1", "out"),
                ("FILTER_OUT5", "name5", "out"),
                ("FILTER_UNDEF", "name2", "out"),
            ),
        ),
        _check_asa_filters,
    ),
    "cisco_asa/batfish_unit-tests_asa_acl.cfg": (
        Expect(
            "cisco-asa",
            {"outside_in": 1, "Local_LAN_Access": 1, "outside": 0, "inline_specifiers": 0},
            (),
            (9, *range(12, 32)),
        ),
        _check_asa_acl,
    ),
}


def test_corpus_is_there_and_every_file_is_expected() -> None:
    assert CORPUS.is_dir(), f"corpus not found at {CORPUS} (clone the repo next to shared/)"
    present = {
        f"{d}/{p.name}"
        for d in ("cisco_ios", "cisco_nxos", "cisco_asa")
        for p in sorted((CORPUS / d).iterdir())
    }
    assert present == set(CORPUS_FILES)


@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_corpus_file(name: str) -> None:
    expect, check = CORPUS_FILES[name]
    path = CORPUS / name
    pc = parser_for(expect.platform)(path.read_text(), str(path))
    assert pc.platform == expect.platform and pc.path == str(path)
    assert pc.stateful is (expect.platform == "cisco-asa")
    if expect.filters or name.endswith("running.conf"):
        assert {n: len(f.rules) for n, f in pc.filters.items()} == expect.filters
    else:
        assert len(pc.filters) == 81
    assert tuple((b.filter, b.interface, b.direction) for b in pc.bindings) == expect.bindings
    assert tuple(u.line for u in pc.unsupported) == expect.unsupported
    for f in pc.filters.values():
        assert f.kind == "acl" and f.default == "deny"
        names = [pr.rule.name for pr in f.rules]
        assert len(names) == len(set(names))
        for pr in f.rules:
            assert pr.rule.name.startswith(f"{f.name}:{pr.line}")
            assert (pr.rule.from_zone, pr.rule.to_zone) == (ANY_ZONE, ANY_ZONE)
            assert pr.rule.section == "parsed"
    if check is not None:
        check(pc)


# ---------------------------------------------------------------------------------------------
# 2. Round trip of our own output
# ---------------------------------------------------------------------------------------------

MINIMAL = GOLDEN / "sites" / "minimal"
ROUND_TRIPS = {
    "ios-minimal": (GOLDEN / "cisco-ios" / "minimal" / "fw-1.ios", MINIMAL, "cisco-ios", "fw-1"),
    "asa-minimal": (GOLDEN / "cisco-asa" / "minimal" / "fw-1.asa", MINIMAL, "cisco-asa", "fw-1"),
    "ios-hospital": (GENERATED / "dist-ios.ios", EXAMPLE, "cisco-ios", "dist-ios"),
    "asa-hospital": (GENERATED / "core-asa.asa", EXAMPLE, "cisco-asa", "core-asa"),
}


@cache
def _site(site_dir: Path) -> LoadedSite:
    return load_site(site_dir)


@cache
def _case(case: str) -> tuple[RuleSet, ParsedConfig, LoadedSite]:
    path, site_dir, platform, ep = ROUND_TRIPS[case]
    loaded = _site(site_dir)
    override = platform if site_dir == MINIMAL else None
    (rs,) = [r for r in compile_site(loaded, TODAY, override) if r.enforcement_point == ep]
    assert rs.platform == platform
    return rs, parser_for(platform)(path.read_text(), str(path)), loaded


def _acl_of(pc: ParsedConfig, interface: str) -> list[ParsedRule]:
    (b,) = [b for b in pc.bindings if b.interface == interface and b.direction == "in"]
    return list(pc.filters[b.filter].rules)


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_round_trip_lines_map_to_compiled_rules(case: str) -> None:
    rs, pc, _ = _case(case)
    assert pc.unsupported == () and pc.stateful is rs.stateful
    compiled = {r.name: r for r in rs.rules}
    zones_of: dict[str, list[str]] = {}
    for b in rs.interfaces:
        zones_of.setdefault(b.interface, []).append(b.zone)
    assert sorted({b.interface for b in pc.bindings}) == sorted(zones_of)
    for iface, zones in zones_of.items():
        acl = _acl_of(pc, iface)
        seen: list[str] = []
        for pr in acl:
            ids = re.findall(r"\bR\d{5}\b", " ".join(pr.rule.remarks))
            assert ids, f"{pr.text}: no rule id in its remarks"
            want = compiled[ids[-1]]
            _assert_same_rule(pr.rule, want)
            if not seen or seen[-1] != want.name:
                seen.append(want.name)
        mine = [r.name for r in rs.rules if r.from_zone in (*zones, ANY_ZONE)]
        assert seen == mine, f"{iface}: compiled rules missing or out of order"


def _assert_same_rule(got: Rule, want: Rule) -> None:
    assert got.action == want.action, (got, want)
    assert got.protocol == want.protocol
    assert set(got.sources) == set(want.sources) and set(got.destinations) == set(want.destinations)
    assert got.icmp_type == want.icmp_type and got.established == want.established
    assert got.src_ports in ((), *((p,) for p in want.src_ports))
    assert got.dst_ports in ((), *((p,) for p in want.dst_ports))
    assert bool(got.src_ports) == bool(want.src_ports)
    assert bool(got.dst_ports) == bool(want.dst_ports)
    assert got.family in (want.family, None) or want.family is None
    if want.log in (SCAN_SWEEP, DECOY, REMOTE_ACCESS, DEFAULT_DENY):
        assert got.log == want.log
    elif want.action == "permit":
        assert got.log is None


class _Space:
    """Zones and interesting values of a site for sampling packets."""

    def __init__(self, rs: RuleSet, loaded: LoadedSite) -> None:
        resolver = Resolver(loaded)
        self.iface = {b.zone: b.interface for b in rs.interfaces}
        self.nets = {
            z.name: resolver.internet_networks if z.kind is ZoneKind.INTERNET else z.networks
            for z in loaded.site.zones
        }
        self.internet = next(
            (z.name for z in loaded.site.zones if z.kind is ZoneKind.INTERNET), None
        )
        self.zoned = [
            (n, z.name)
            for z in loaded.site.zones
            if z.kind is not ZoneKind.INTERNET
            for n in z.networks
        ]
        self.hosts = sorted(
            {n.network_address for r in rs.rules for n in (*r.sources, *r.destinations)}
            | {n.broadcast_address for r in rs.rules for n in (*r.sources, *r.destinations)},
            key=lambda a: (a.version, int(a)),
        )
        bounds = {p for r in rs.rules for lo, hi in (*r.src_ports, *r.dst_ports) for p in (lo, hi)}
        self.ports = sorted({q for p in bounds for q in (p - 1, p, p + 1) if 0 <= q <= 65535})
        self.ports += [0, 22, 443, 1024, 40000, 65535]

    def zone_of(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        inside = [(n.prefixlen, z) for n, z in self.zoned if addr in n]
        if inside:
            return max(inside)[1]
        return self.internet

    def packet(self, rng: random.Random, rule: Rule | None, established: bool) -> Packet | None:
        """A packet inside ``rule`` (or anywhere), zones taken from its addresses."""
        zones = sorted(self.iface)
        family = (rule.family if rule else None) or rng.choice((4, 6))
        src = self._address(rng, rule.sources if rule else (), rng.choice(zones), family)
        dst = self._address(rng, rule.destinations if rule else (), rng.choice(zones), family)
        if src is None or dst is None:
            return None
        zf, zt = self.zone_of(src), self.zone_of(dst)
        if zf not in self.iface or zt not in self.iface or self.iface[zf] == self.iface[zt]:
            return None
        proto = (rule.protocol if rule else None) or rng.choice(("tcp", "udp", "icmp", "esp"))
        if proto == "icmp" and family == 6:
            proto = "icmpv6"
        sport = self._port(rng, rule.src_ports if rule else ())
        dport = self._port(rng, rule.dst_ports if rule else ())
        icmp = None
        if proto in ("icmp", "icmpv6"):
            icmp = rule.icmp_type if rule and rule.icmp_type is not None else rng.choice((0, 8, 3))
        return Packet(zf, zt, proto, src, dst, sport, dport, icmp, proto == "tcp" and established)

    def _address(
        self, rng: random.Random, nets: tuple[IPNetwork, ...], zone: str, fam: int
    ) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        pool = [n for n in (nets or self.nets[zone]) if n.version == fam]
        if not pool:
            return None
        if not nets and rng.random() < 0.5:
            hosts = [h for h in self.hosts if h.version == fam and any(h in n for n in pool)]
            if hosts:
                return rng.choice(hosts)
        n = rng.choice(pool)
        return n.network_address + rng.randrange(n.num_addresses)

    def _port(self, rng: random.Random, ranges: tuple[tuple[int, int], ...]) -> int:
        if ranges:
            lo, hi = rng.choice(ranges)
            return rng.choice((lo, hi, rng.randint(lo, hi)))
        return rng.choice(self.ports) if rng.random() < 0.7 else rng.randint(0, 65535)


def parsed_decision(pc: ParsedConfig, in_if: str, out_if: str, pkt: Packet) -> str:
    """First match in every filter the packet meets (ingress, egress, global)."""
    if pc.stateful and pkt.established:
        return "permit"
    for b in pc.bindings:
        met = (b.interface == in_if and b.direction == "in") or (
            b.interface == out_if and b.direction == "out"
        )
        if not met and b.interface != ANY_ZONE:
            continue
        f = pc.filters[b.filter]
        hit = next((pr.rule for pr in f.rules if rule_matches(pr.rule, pkt)), None)
        if (hit.action if hit else f.default) == "deny":
            return "deny"
    return "permit"


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_round_trip_decides_like_the_compiled_ir(case: str) -> None:
    rs, pc, loaded = _case(case)
    space = _Space(rs, loaded)
    rng = random.Random(case)
    packets: list[Packet] = []
    for rule in rs.rules:
        for i in range(16):  # inside each rule, as a new connection and as a reply
            pkt = space.packet(rng, rule, established=i % 2 == 0)
            if pkt is not None:
                packets.append(pkt)
    for i in range(4000):
        pkt = space.packet(rng, None, established=i % 4 == 0)
        if pkt is not None:
            packets.append(pkt)
    outcomes = {"permit": 0, "deny": 0}
    for pkt in packets:
        if rs.stateful and pkt.established:
            continue  # ASA: replies pass by the connection table on both sides
        want, deciding = decide(rs, pkt)
        got = parsed_decision(pc, space.iface[pkt.from_zone], space.iface[pkt.to_zone], pkt)
        assert got == want, f"{pkt}: parsed {got}, compiled {want} by {deciding}"
        outcomes[want] += 1
    assert outcomes["permit"] >= 50 and outcomes["deny"] >= 500, outcomes
    if not rs.stateful:
        assert any(p.established for p in packets)


# ---------------------------------------------------------------------------------------------
# 3. Syntax features: IOS / NX-OS
# ---------------------------------------------------------------------------------------------


def test_registry_returns_these_parsers() -> None:
    assert parser_for("cisco-ios") is parse_ios and parser_for("cisco-asa") is parse_asa


def test_named_acl_sequence_numbers_remarks_and_log_tags() -> None:
    pc = ios(
        "ip access-list extended EDGE\n"
        " 10 remark R00001 SCAN-SWEEP scanners never reach clinical\n"
        " 20 deny ip 10.9.0.0 0.0.0.255 10.1.0.0 0.0.255.255 log\n"
        " 30 permit tcp host 10.1.1.1 eq www 10.2.0.0 0.0.0.255 established\n"
        " 40 remark plain words\n"
        " remark more words\n"
        " deny udp any any eq snmp log-input\n"
        " deny ip any any log MYCOOKIE\n"
    )
    scan, reply, snmp, last = rules(pc, "EDGE")
    assert scan.name == "EDGE:3" and scan.log == SCAN_SWEEP and scan.action == "deny"
    assert scan.sources == (net("10.9.0.0/24"),) and scan.destinations == (net("10.1.0.0/16"),)
    assert scan.remarks == ("R00001 SCAN-SWEEP scanners never reach clinical",)
    assert reply.remarks == scan.remarks and reply.log is None
    assert reply.src_ports == ((80, 80),) and reply.established and reply.protocol == "tcp"
    assert snmp.log == "LOG" and snmp.remarks == ("plain words", "more words")
    assert snmp.dst_ports == ((161, 161),) and snmp.family is None
    assert last.log == "LOG" and pc.unsupported == ()
    assert pc.filters["EDGE"].line == 1 and pc.filters["EDGE"].default == "deny"
    assert [pr.line for pr in pc.filters["EDGE"].rules] == [3, 4, 7, 8]


@pytest.mark.parametrize(
    ("proto", "name", "number"),
    [
        ("tcp", "www", 80),
        ("tcp", "ftp", 21),
        ("tcp", "ftp-data", 20),
        ("tcp", "telnet", 23),
        ("tcp", "smtp", 25),
        ("tcp", "domain", 53),
        ("tcp", "https", 443),
        ("tcp", "bgp", 179),
        ("tcp", "cmd", 514),
        ("udp", "ntp", 123),
        ("udp", "snmp", 161),
        ("udp", "syslog", 514),
        ("udp", "bootps", 67),
        ("udp", "tftp", 69),
        ("udp", "who", 513),
        ("udp", "domain", 53),
    ],
)
def test_named_ports(proto: str, name: str, number: int) -> None:
    pc = ios(f"access-list 101 permit {proto} any any eq {name}\n")
    assert only(pc, "101").dst_ports == ((number, number),)


def test_a_port_name_of_the_other_protocol_is_unsupported() -> None:
    pc = ios("access-list 101 permit udp any any eq telnet\n")
    assert rules(pc, "101") == [] and reasons(pc) == ["unknown udp port 'telnet'"]


@pytest.mark.parametrize(
    ("spec", "ports"),
    [
        ("eq 80", ((80, 80),)),
        ("eq www 443 22", ((22, 22), (80, 80), (443, 443))),
        ("neq 80", ((0, 79), (81, 65535))),
        ("neq 0", ((1, 65535),)),
        ("neq 22 23", ((0, 21), (24, 65535))),
        ("lt 1024", ((0, 1023),)),
        ("gt 1023", ((1024, 65535),)),
        ("range 5900 5903", ((5900, 5903),)),
        ("range ftp-data telnet", ((20, 23),)),
        ("range 0 65535", ()),
    ],
)
def test_port_operators(spec: str, ports: tuple[tuple[int, int], ...]) -> None:
    pc = ios(f"ip access-list extended A\n permit tcp any any {spec} log\n")
    rule = only(pc, "A")
    assert rule.dst_ports == ports and rule.log == "LOG"


@pytest.mark.parametrize("spec", ["lt 0", "gt 65535"])
def test_ports_matching_nothing_leave_no_rule_and_no_finding(spec: str) -> None:
    pc = ios(f"ip access-list extended A\n permit tcp any any {spec}\n deny ip any any\n")
    assert len(rules(pc, "A")) == 1 and pc.unsupported == ()


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("10.1.0.0 0.0.255.255", "10.1.0.0/16"),
        ("10.1.1.5 0.0.0.255", "10.1.1.0/24"),  # host bits are ignored, as IOS does
        ("10.1.1.5 0.0.0.0", "10.1.1.5/32"),
        ("0.0.0.0 255.255.255.255", "0.0.0.0/0"),
        ("host 10.1.1.7", "10.1.1.7/32"),
        ("10.2.0.0/15", "10.2.0.0/15"),  # NX-OS prefix form
    ],
)
def test_addresses(address: str, network: str) -> None:
    rule = only(ios(f"ip access-list extended A\n permit ip {address} any\n"), "A")
    assert rule.sources == (net(network),) and rule.family == 4


def test_non_contiguous_wildcard_is_unsupported_and_the_rest_kept() -> None:
    pc = ios("ip access-list extended A\n permit ip 10.0.0.0 0.0.255.0 any\n deny ip any any log\n")
    assert len(rules(pc, "A")) == 1
    (u,) = pc.unsupported
    assert u.line == 2 and u.text == "permit ip 10.0.0.0 0.0.255.0 any"
    assert u.reason == "non-contiguous wildcard 0.0.255.0 (not one network)"


def test_object_group_network_members_and_nesting() -> None:
    pc = ios(
        "object-group network INNER\n"
        " description pumps\n"
        " host 10.1.1.1\n"
        " 10.1.2.0 255.255.255.0\n"
        "object-group network OUTER\n"
        " group-object INNER\n"
        " 10.9.0.0/16\n"
        " range 10.3.0.1 10.3.0.2\n"
        "object-group network ALL\n"
        " any\n"
        "ip access-list extended A\n"
        " permit tcp object-group OUTER object-group INNER eq 443\n"
        " permit ip object-group ALL any\n"
    )
    both, everything = rules(pc, "A")
    assert set(both.sources) == {
        net("10.1.1.1/32"),
        net("10.1.2.0/24"),
        net("10.9.0.0/16"),
        net("10.3.0.1/32"),
        net("10.3.0.2/32"),
    }
    assert both.destinations == (net("10.1.1.1/32"), net("10.1.2.0/24"))
    assert (both.src_label, both.dst_label) == ("OUTER", "INNER")
    assert everything.sources == (net("0.0.0.0/0"),) and everything.family == 4


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ("", "undefined object-group G"),
        ("object-group network G\n group-object H\n", "undefined object-group H"),
        (
            "object-group network G\n group-object H\nobject-group network H\n group-object G\n",
            "object-group G contains itself",
        ),
        (
            "object-group network G\n 10.0.0.0 255.0.255.0\n",
            "object-group G: non-contiguous netmask 255.0.255.0 (not one network)",
        ),
    ],
)
def test_bad_object_groups_are_unsupported_never_raised(groups: str, reason: str) -> None:
    pc = ios(
        groups + "ip access-list extended A\n permit ip object-group G any\n deny ip any any\n"
    )
    assert reasons(pc) == [reason] and len(rules(pc, "A")) == 1


def test_object_group_service_expands_per_protocol() -> None:
    pc = ios(
        "object-group service WEB\n"
        " tcp eq www\n"
        " tcp eq 443\n"
        " tcp range 8000 8080\n"
        "object-group service MIXED\n"
        " group-object WEB\n"
        " udp source eq 53\n"
        " tcp-udp eq domain\n"
        " icmp echo\n"
        " esp\n"
        "ip access-list extended A\n"
        " permit object-group MIXED host 10.0.0.1 any\n"
    )
    got = {(r.protocol, r.src_ports, r.dst_ports, r.icmp_type) for r in rules(pc, "A")}
    assert got == {
        ("tcp", (), ((53, 53), (80, 80), (443, 443), (8000, 8080)), None),
        ("udp", ((53, 53),), (), None),
        ("udp", (), ((53, 53),), None),
        ("icmp", (), (), 8),
        ("esp", (), (), None),
    }
    names = [r.name for r in rules(pc, "A")]
    assert names == [f"A:12.{i}" for i in range(1, 6)]


@pytest.mark.parametrize(
    ("proto", "expected"),
    [
        ("ip", None),
        ("tcp", "tcp"),
        ("esp", "esp"),
        ("gre", "gre"),
        ("6", "tcp"),
        ("17", "udp"),
        ("89", "89"),
        ("ahp", "51"),
        ("ospf", "89"),
        ("pim", "103"),
    ],
)
def test_protocols(proto: str, expected: str | None) -> None:
    assert only(ios(f"access-list 150 permit {proto} any host 10.0.0.1\n"), "150").protocol == (
        expected
    )


@pytest.mark.parametrize(
    ("spec", "icmp_type"), [("", None), ("8", 8), ("echo", 8), ("echo-reply", 0), ("11", 11)]
)
def test_icmp_types(spec: str, icmp_type: int | None) -> None:
    rule = only(ios(f"ip access-list extended A\n permit icmp any any {spec} log\n"), "A")
    assert (rule.protocol, rule.icmp_type, rule.family, rule.log) == ("icmp", icmp_type, 4, "LOG")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("permit icmp any any 3 4", "ICMP code 4"),
        ("permit icmp any any port-unreachable", "names a type and code"),
        ("permit ip any any dscp ef", "DSCP match (dscp)"),
        ("permit ip any any precedence 5", "IP precedence match"),
        ("permit ip any any fragments", "fragment match"),
        ("permit tcp any any eq 22 time-range WORK", "time-based entry"),
        ("permit tcp any any reflect OUTBOUND", "reflexive ACL"),
        ("evaluate OUTBOUND", "reflexive ACL"),
        ("permit ip any any ttl eq 1", "TTL match"),
        ("permit tcp any any syn", "TCP flags match"),
        ("permit tcp any any match-all +syn", "TCP flags match"),
        ("permit udp any any established", "established on a non-TCP entry"),
        ("permit ip addrgroup X any", "NX-OS address group"),
        ("permit ip 10.0.0.1 any", "without wildcard or prefix length"),
        ("permit frobnicate any any", "unknown protocol 'frobnicate'"),
        ("permit ip any any wibble", "unknown keyword 'wibble'"),
        ("permit tcp any", "entry ends early"),
    ],
)
def test_unrepresentable_entries_are_unsupported(entry: str, reason: str) -> None:
    pc = ios(f"ip access-list extended A\n {entry}\n deny ip any any log\n")
    (u,) = pc.unsupported
    assert reason in u.reason and u.line == 2 and u.text == entry
    assert [r.action for r in rules(pc, "A")] == ["deny"]


def test_numbered_acls_extended_and_standard() -> None:
    pc = ios(
        "access-list 10 remark management stations\n"
        "access-list 10 permit 10.0.0.0 0.0.0.255\n"
        "access-list 10 permit 10.1.1.1\n"
        "access-list 10 permit host 10.1.1.2 log\n"
        "access-list 10 deny any log\n"
        "access-list 101 permit tcp 10.0.0.0 0.0.0.255 any eq 22\n"
        "access-list 1300 permit 192.168.0.0 0.0.255.255\n"
        "access-list 2000 deny udp any any range 1 10\n"
        "access-list 700 permit 0000.1111.2222 0000.0000.0000\n"
    )
    assert sorted(pc.filters) == ["10", "101", "1300", "2000"]
    std = rules(pc, "10")
    assert [r.sources for r in std] == [
        (net("10.0.0.0/24"),),
        (net("10.1.1.1/32"),),
        (net("10.1.1.2/32"),),
        (),
    ]
    assert all(r.destinations == () and r.protocol is None for r in std)
    assert std[0].remarks == ("management stations",) and std[2].log == "LOG"
    assert only(pc, "101").dst_ports == ((22, 22),)
    assert only(pc, "1300").sources == (net("192.168.0.0/16"),)
    assert only(pc, "2000").dst_ports == ((1, 10),) and pc.filters["10"].line == 1


def test_named_standard_acl() -> None:
    pc = ios("ip access-list standard MGMT\n permit host 10.0.0.5\n deny any log\n")
    permit, deny = rules(pc, "MGMT")
    assert permit.sources == (net("10.0.0.5/32"),) and permit.destinations == ()
    assert deny.log == "LOG"


def test_interface_bindings() -> None:
    pc = ios(
        "interface GigabitEthernet0/1\n"
        " description uplink\n"
        " ip address 10.0.0.1 255.255.255.0\n"
        " ip access-group IN-ACL in\n"
        " ip access-group 101 out\n"
        " ipv6 traffic-filter V6 in\n"
        " ! ip access-group COMMENTED in\n"
        "!\n"
        "interface Vlan10\n"
        " ip access-group MISSING in\n"
        "router ospf 1\n"
        " ip access-group NOT-AN-INTERFACE in\n"
    )
    assert [(b.filter, b.interface, b.direction, b.line) for b in pc.bindings] == [
        ("IN-ACL", "GigabitEthernet0/1", "in", 4),
        ("101", "GigabitEthernet0/1", "out", 5),
        ("V6", "GigabitEthernet0/1", "in", 6),
        ("MISSING", "Vlan10", "in", 10),
    ]
    assert pc.filters == {} and pc.stateful is False


def test_nxos_acl_without_extended() -> None:
    pc = ios(
        "ip access-list ACL1\n"
        "  statistics per-entry\n"
        "  10 permit tcp 10.0.0.0/8 192.168.1.1/32 eq 443\n"
        "  20 deny udp any any eq domain\n"
        "  fragments permit-all\n"
        "interface Ethernet1/1\n"
        "  ip port access-group ACL1 in\n"
    )
    tcp, udp = rules(pc, "ACL1")
    assert tcp.sources == (net("10.0.0.0/8"),) and tcp.destinations == (net("192.168.1.1/32"),)
    assert udp.dst_ports == ((53, 53),)
    assert reasons(pc) == ["fragment match"]
    assert [(b.filter, b.interface) for b in pc.bindings] == [("ACL1", "Ethernet1/1")]


def test_ipv6_acl() -> None:
    pc = ios(
        "ipv6 access-list V6\n"
        " permit tcp 2001:db8::/32 any eq 443 sequence 10\n"
        " sequence 20 permit icmp any any nd-na\n"
        " permit icmp any host 2001:db8::1 packet-too-big\n"
        " deny ipv6 any any log\n"
    )
    web, nd, ptb, deny = rules(pc, "V6")
    assert web.family == 6 and web.sources == (net("2001:db8::/32"),)
    assert web.dst_ports == ((443, 443),)
    assert (nd.protocol, nd.icmp_type, nd.family) == ("icmpv6", 136, 6)
    assert ptb.icmp_type == 2 and ptb.destinations == (net("2001:db8::1/128"),)
    assert (deny.family, deny.protocol, deny.log) == (6, None, "LOG")


def test_families() -> None:
    pc = ios(
        "ip access-list extended A\n"
        " permit ip any any\n"
        " permit tcp any any eq 22\n"
        " permit icmp any any\n"
        " permit ip host 10.0.0.1 any\n"
    )
    assert [r.family for r in rules(pc, "A")] == [None, None, 4, 4]


def test_other_config_banners_and_garbage_are_ignored() -> None:
    pc = ios(
        "hostname r1\n"
        "banner motd ^C\n"
        "access-list 5 permit any\n"
        "interface Gi0/0\n"
        " ip access-group 5 in\n"
        "^C\n"
        "router bgp 65000\n"
        " neighbor 10.0.0.2 remote-as 65001\n"
        "route-map RM permit 10\n"
        " match ip address 5\n"
        "zone-pair security a-b source a destination b\n"
        " service-policy type inspect P\n"
        "end\n"
    )
    assert pc.filters == {} and pc.bindings == () and pc.unsupported == ()
    junk = ios("\x00\x01 this is not a configuration {}\n\n\tpermit\n" + "ip access-list\n")
    assert junk.filters == {} and junk.unsupported == ()
    assert ios("").filters == {}


def test_unindented_entries_continue_the_acl_and_no_removes_it() -> None:
    pc = ios(
        "ip access-list extended OLD\n"
        " permit ip any any\n"
        "no ip access-list extended OLD\n"
        "ip access-list extended A\n"
        "permit tcp any any eq 22\n"
        "10 deny ip any any\n"
        "exit\n"
        "access-list 101 permit ip any any\n"
        "no access-list 101\n"
    )
    assert sorted(pc.filters) == ["A"] and len(rules(pc, "A")) == 2


def test_change_script_deletions_inside_an_acl_are_not_silently_ignored() -> None:
    pc = ios("ip access-list extended A\n 10 permit ip any any\n no 10\n")
    assert reasons(pc) == ["entry removal (a change script)"]


def test_line_numbers_count_only_newlines() -> None:
    pc = ios(
        "! a form feed \x0c inside a line\r\nip access-list extended A\r\n permit ip any any\r\n"
    )
    assert pc.filters["A"].line == 2 and pc.filters["A"].rules[0].line == 3


def test_ipv4_icmp_service_group_in_an_ipv6_acl_is_unsupported() -> None:
    pc = ios(
        "object-group service PING\n icmp echo\n"
        "ipv6 access-list V6\n permit object-group PING any any\n"
    )
    assert reasons(pc) == ["IPv4 ICMP of object-group PING in an IPv6 ACL"]


# ---------------------------------------------------------------------------------------------
# 3. Syntax features: ASA
# ---------------------------------------------------------------------------------------------

ASA_OBJECTS = (
    "name 10.9.9.9 jumphost\n"
    "object network PUMP-SRV\n"
    " host 10.1.100.10\n"
    "object network CLIN\n"
    " subnet 10.1.10.0 255.255.255.0\n"
    "object network CLIN6\n"
    " subnet 2001:db8:10::/64\n"
    "object network POOL\n"
    " range 10.1.200.1 10.1.200.2\n"
    "object network DNS-NAME\n"
    " fqdn v4 vendor.example.com\n"
    "object-group network SERVERS\n"
    " network-object object PUMP-SRV\n"
    " network-object host 10.1.100.20\n"
    " network-object 10.1.101.0 255.255.255.128\n"
    "object-group network MIXED\n"
    " description v4 and v6\n"
    " group-object SERVERS\n"
    " network-object 2001:db8:100::/64\n"
    " network-object host 2001:db8::1\n"
    "object service HTTPS\n"
    " service tcp destination eq https\n"
    "object service DNS-FROM\n"
    " service udp source eq domain destination range 1024 65535\n"
    "object-group service APP\n"
    " service-object object HTTPS\n"
    " service-object tcp destination range 8443 8444\n"
    " service-object udp eq ntp\n"
    " service-object icmp echo\n"
    " service-object esp\n"
    "object-group service WEB tcp\n"
    " port-object eq www\n"
    " port-object range 8000 8080\n"
    "object-group service WEB2 tcp\n"
    " group-object WEB\n"
    " port-object eq https\n"
    "object-group protocol TCPUDP\n"
    " protocol-object tcp\n"
    " protocol-object udp\n"
    "object-group icmp-type PINGS\n"
    " icmp-object echo\n"
    " icmp-object echo-reply\n"
)


def test_asa_objects_and_groups() -> None:
    pc = asa(
        ASA_OBJECTS
        + "access-list A extended permit tcp object CLIN object-group SERVERS eq 443\n"
        + "access-list A extended permit ip object POOL host jumphost\n"
        + "access-list A extended permit ip jumphost 255.255.255.255 any4\n"
    )
    servers, pool, named = rules(pc, "A")
    assert servers.sources == (net("10.1.10.0/24"),)
    assert set(servers.destinations) == {
        net("10.1.100.10/32"),
        net("10.1.100.20/32"),
        net("10.1.101.0/25"),
    }
    assert (servers.family, servers.dst_ports, servers.dst_label) == (4, ((443, 443),), "SERVERS")
    assert pool.sources == (net("10.1.200.1/32"), net("10.1.200.2/32"))
    assert pool.destinations == (net("10.9.9.9/32"),)
    assert named.sources == (net("10.9.9.9/32"),) and named.family == 4
    assert pc.stateful is True and pc.platform == "cisco-asa"


def test_asa_any_families_and_split_by_family() -> None:
    pc = asa(
        ASA_OBJECTS
        + "access-list A extended permit ip any any\n"
        + "access-list A extended permit ip any4 any\n"
        + "access-list A extended permit ip any any6\n"
        + "access-list A extended permit tcp object-group MIXED any eq 22\n"
        + "access-list A extended permit ip object CLIN object CLIN6\n"
        + "access-list A extended permit ip any4 any6\n"
        + "access-list A extended permit icmp6 any object CLIN6 echo-reply\n"
        + "access-list A extended permit ip 2001:db8:20::/48 host 2001:db8::2\n"
    )
    got = [(r.name, r.family, len(r.sources)) for r in rules(pc, "A")]
    assert got == [
        ("A:43", None, 0),
        ("A:44", 4, 0),
        ("A:45", 6, 0),
        ("A:46.1", 4, 3),
        ("A:46.2", 6, 2),
        ("A:49", 6, 0),
        ("A:50", 6, 1),
    ]  # lines 47-48 pair IPv4 with IPv6 only: they match nothing
    icmp6 = rules(pc, "A")[-2]
    assert (icmp6.protocol, icmp6.icmp_type) == ("icmpv6", 129)
    assert pc.unsupported == ()


def test_asa_services_ports_protocol_and_icmp_groups() -> None:
    pc = asa(
        ASA_OBJECTS
        + "access-list S extended permit object-group APP any object-group SERVERS\n"
        + "access-list S extended permit object DNS-FROM any any\n"
        + "access-list S extended permit tcp any object-group WEB2 any\n"
        + "access-list S extended permit tcp any any object-group WEB2\n"
        + "access-list S extended permit object-group TCPUDP any any eq domain\n"
        + "access-list S extended permit icmp any any object-group PINGS\n"
        + "access-list S extended deny udp any any neq 53 log\n"
    )
    by_line: dict[int, list[Rule]] = {}
    for pr in pc.filters["S"].rules:
        by_line.setdefault(pr.line, []).append(pr.rule)
    app = {(r.protocol, r.src_ports, r.dst_ports, r.icmp_type) for r in by_line[43]}
    assert app == {
        ("tcp", (), ((443, 443), (8443, 8444)), None),
        ("udp", (), ((123, 123),), None),
        ("icmp", (), (), 8),
        ("esp", (), (), None),
    }
    (dns,) = by_line[44]
    assert (dns.protocol, dns.src_ports, dns.dst_ports) == ("udp", ((53, 53),), ((1024, 65535),))
    web_ports = ((80, 80), (443, 443), (8000, 8080))
    assert by_line[45][0].src_ports == web_ports and by_line[46][0].dst_ports == web_ports
    assert [(r.protocol, r.dst_ports) for r in by_line[47]] == [
        ("tcp", ((53, 53),)),
        ("udp", ((53, 53),)),
    ]
    assert [r.icmp_type for r in by_line[48]] == [8, 0]
    (neq,) = by_line[49]
    assert neq.dst_ports == ((0, 52), (54, 65535)) and neq.log == "LOG"
    assert pc.unsupported == ()


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("permit ip object-group NOPE any", "undefined object-group NOPE"),
        ("permit ip any object NOPE", "undefined object NOPE"),
        ("permit object NOPE any any", "undefined object NOPE"),
        ("permit object-group NOPE any any", "undefined object-group NOPE"),
        ("permit ip object DNS-NAME any", "object DNS-NAME: FQDN object"),
        ("permit tcp any interface outside eq 22", "interface address (interface outside)"),
        ("permit ip any any time-range WORK", "time-based entry"),
        ("permit ip user LOCAL\\bob any any", "identity-based match"),
        ("permit ip object-group WEB any", "object-group WEB (port) used as address"),
        ("permit object CLIN any any", "network object CLIN used as a service"),
        ("permit icmp any any 3 4", "ICMP code 4"),
        ("permit ip 10.0.0.0 255.0.255.0 any", "non-contiguous netmask"),
        ("permit ip any any eq 80", "ports on an entry that is not only TCP/UDP"),
    ],
)
def test_asa_unsupported(entry: str, reason: str) -> None:
    pc = asa(
        ASA_OBJECTS + f"access-list A extended {entry}\naccess-list A extended deny ip any any\n"
    )
    (u,) = pc.unsupported
    assert reason in u.reason and u.text == f"access-list A extended {entry}"
    assert [r.action for r in rules(pc, "A")] == ["deny"]


def test_asa_log_options_inactive_standard_remarks() -> None:
    pc = asa(
        "access-list A remark R00003 DECOY decoy-1\n"
        "access-list A extended deny ip any host 10.1.1.250 log\n"
        "access-list A remark plain\n"
        "access-list A extended deny ip any any log 7 interval 300\n"
        "access-list A extended deny tcp any any log disable\n"
        "access-list A extended deny udp any any log informational\n"
        "access-list A extended permit ip any any inactive\n"
        "access-list A line 1 extended permit tcp any any eq 22\n"
        "access-list SPLIT standard permit 10.0.0.0 255.0.0.0\n"
        "access-list SPLIT standard deny any4\n"
        "access-list alert-interval 30\n"
        "access-list E ethertype permit bpdu\n"
    )
    first, decoy, any_log, disabled, info = rules(pc, "A")
    assert first.dst_ports == ((22, 22),) and first.remarks == ()
    assert decoy.log == DECOY and decoy.remarks == ("R00003 DECOY decoy-1",)
    assert any_log.log == "LOG" and disabled.log is None and info.log == "LOG"
    assert any_log.remarks == ("plain",)
    permit, deny = rules(pc, "SPLIT")
    assert permit.destinations == (net("10.0.0.0/8"),) and permit.sources == ()
    assert deny.family == 4 and deny.action == "deny"
    assert "alert-interval" not in pc.filters
    assert reasons(pc) == ["ethertype access-list not modelled"]


def test_asa_bindings() -> None:
    pc = asa(
        "interface GigabitEthernet0/1\n"
        " nameif inside\n"
        " security-level 100\n"
        "access-list IN extended permit ip any any\n"
        "access-group IN in interface inside\n"
        "access-group OUT out interface outside\n"
        "access-group GLOBAL global\n"
        "access-group MGMT in interface inside control-plane\n"
    )
    assert [(b.filter, b.interface, b.direction) for b in pc.bindings] == [
        ("IN", "inside", "in"),
        ("OUT", "outside", "out"),
        ("GLOBAL", "*", "in"),
    ]


def test_asa_clear_configure_and_garbage() -> None:
    pc = asa(
        "access-list X extended permit ip any any\n"
        "clear configure access-list X\n"
        ": Saved\n"
        "object-group user USERS\n"
        " user LOCAL\\bob\n"
        "access-list Y extended permit ip object-group USERS any\n"
        "this is not an ASA line\n"
    )
    assert sorted(pc.filters) == ["Y"]
    assert reasons(pc) == ["object-group USERS (user) used as address"]
    banner = asa(
        "banner motd Welcome, authorised users only\n"
        "access-list Z extended permit tcp any any eq www\n"
        "access-group Z in interface inside\n"
    )
    assert len(rules(banner, "Z")) == 1 and len(banner.bindings) == 1
    assert asa("\x00garbage\n{}\n").filters == {}


# ---------------------------------------------------------------------------------------------
# Robustness: mangled real lines never raise
# ---------------------------------------------------------------------------------------------


def test_mangled_configurations_never_raise() -> None:
    sources = [CORPUS / name for name in sorted(CORPUS_FILES)] + [
        p for p, *_ in ROUND_TRIPS.values()
    ]
    texts = [p.read_text() for p in sources]
    words = sorted({w for t in texts for w in t.split()})
    words += ["object-group", "object", "host", "eq", "range", "log", "interface", "65536", "/"]
    rng = random.Random(7)
    for _ in range(150):
        out = []
        for line in rng.choice(texts).split("\n")[:300]:
            toks = line.split(" ")
            roll = rng.random()
            if roll < 0.1:
                toks = toks[: rng.randint(0, len(toks))]
            elif roll < 0.2:
                rng.shuffle(toks)
            elif roll < 0.35:
                toks.insert(rng.randint(0, len(toks)), rng.choice(words))
            out.append(" ".join(toks))
        text = "\n".join(out)
        for parse in (parse_ios, parse_asa):
            parse(text, "mangled")  # must not raise
