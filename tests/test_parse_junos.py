"""The Junos parser: every corpus file, a round trip through segcfg's own SRX output (the parsed
policies decide every sampled packet as the compiled rule IR does), and each syntax feature in
both the ``set`` and the curly-brace format."""

from __future__ import annotations

import ipaddress
import random
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from segcfg.compile import compile_site
from segcfg.evaluate import IPAddr, Packet, decide, rule_matches
from segcfg.ir import ANY_ZONE, Rule, RuleSet
from segcfg.load import load_site
from segcfg.model.site import IPNetwork
from segcfg.parsed import ParsedConfig
from segcfg.platforms.junos_srx.parse import parse
from segcfg.platforms.parsers import parser_for
from segcfg.render import render_ruleset
from segcfg.resolve import Resolver

from .conftest import EXAMPLE, ROOT, TODAY

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
JUNOS = CORPUS / "juniper_junos"
MINIMAL = ROOT / "tests" / "golden" / "sites" / "minimal"


def parse_text(text: str) -> ParsedConfig:
    return parse(textwrap.dedent(text), "test.conf")


def rules(pc: ParsedConfig, name: str) -> list[Rule]:
    return [pr.rule for pr in pc.filters[name].rules]


def net(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def reasons(pc: ParsedConfig) -> str:
    return "\n".join(f"{u.line}: {u.reason}" for u in pc.unsupported)


def pkt(
    src: str,
    dst: str,
    protocol: str = "tcp",
    dport: int = 0,
    *,
    sport: int = 40000,
    icmp_type: int | None = None,
    established: bool = False,
    zones: tuple[str, str] = (ANY_ZONE, ANY_ZONE),
) -> Packet:
    return Packet(
        zones[0],
        zones[1],
        protocol,
        ipaddress.ip_address(src),
        ipaddress.ip_address(dst),
        sport,
        dport,
        icmp_type,
        established,
    )


def filter_decides(pc: ParsedConfig, name: str, p: Packet) -> str:
    """First match in one filter (a packet matching none gets the filter's default)."""
    flt = pc.filters[name]
    for pr in flt.rules:
        if rule_matches(pr.rule, p):
            return pr.rule.action
    return flt.default


def srx_decide(pc: ParsedConfig, p: Packet) -> tuple[str, Rule | None]:
    """SRX semantics on security zones: replies of sessions first, then the policies of the
    zone pair (first match), then the global policies, then the default policy."""
    if pc.stateful and p.established:
        return "permit", None
    pair = [b for b in pc.bindings if (b.from_zone, b.to_zone) == (p.from_zone, p.to_zone)]
    glob = [b for b in pc.bindings if b.interface == "*" and b.from_zone is None]
    default = "deny"
    for b in [*pair, *glob]:
        flt = pc.filters[b.filter]
        default = flt.default
        for pr in flt.rules:
            if rule_matches(pr.rule, p):
                return pr.rule.action, pr.rule
    return default, None


# -- the corpus ------------------------------------------------------------------------------


def test_corpus_is_present() -> None:
    assert JUNOS.is_dir(), f"the shared corpus is missing: {JUNOS} (clone it next to the repo)"
    assert len(list(JUNOS.iterdir())) >= 7


def _corpus_files() -> list[Path]:
    return sorted(JUNOS.iterdir()) if JUNOS.is_dir() else []


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_corpus_file_parses(path: Path) -> None:
    text = path.read_text()
    pc = parser_for("junos-srx")(text, str(path))
    assert pc.platform == "junos-srx" and pc.path == str(path)
    nlines = len(text.splitlines())
    for u in pc.unsupported:
        assert 1 <= u.line <= nlines and u.text == text.splitlines()[u.line - 1].strip()
    for flt in pc.filters.values():
        names = [pr.rule.name for pr in flt.rules]
        assert len(names) == len(set(names)), f"{flt.name}: rule names repeat"
        for pr in flt.rules:
            assert pr.rule.section == "parsed" and 1 <= pr.line <= nlines
    reported = {u.line for u in pc.unsupported}
    for b in pc.bindings:
        assert b.filter in pc.filters or b.line in reported


def _corpus(name: str) -> ParsedConfig:
    path = JUNOS / name
    return parse(path.read_text(), str(path))


def test_corpus_batfish_firewall_filters_bindings() -> None:
    pc = _corpus("batfish_testconfigs_firewall-filters.set")
    assert list(pc.filters) == [
        "FILTER1",
        "FILTER2",
        "FILTER_UNUSED",
        "PARSING",
        "FILTER6_1",
        "FILTER6_2",
        "FILTER",
    ]
    bound = [(b.filter, b.interface, b.direction) for b in pc.bindings]
    assert bound == [
        ("FILTER1", "xe-0/0/0.0", "in"),
        ("FILTER2", "xe-0/0/1.0", "in"),
        ("FILTER2", "xe-0/0/1.0", "out"),
        ("FILTER_UNDEF", "xe-0/0/2.0", "out"),
        # input-list and output-list: one binding per filter, in list order
        ("FILTER1", "xe-0/0/3.0", "in"),
        ("FILTER2", "xe-0/0/3.0", "in"),
        ("FILTER2", "xe-0/0/3.0", "out"),
        ("FILTER1", "xe-0/0/3.0", "out"),
        ("FILTER6_1", "xe-0/0/4.0", "in"),
        ("FILTER6_1", "xe-0/0/5.0", "in"),
        ("FILTER6_2", "xe-0/0/5.0", "in"),
        ("FILTER6_2", "xe-0/0/5.0", "out"),
        ("FILTER6_1", "xe-0/0/5.0", "out"),
        ("FILTER6_2", "xe-0/0/6.0", "in"),  # input-list then input: input wins
        ("FILTER6_2", "xe-0/0/7.0", "in"),  # input then input-list: the list wins
        ("FILTER1", "xe-0/0/8.0", "in"),
        ("FILTER6_1", "xe-0/0/8.0", "in"),
    ]
    # The UNUSED filter is parsed but bound nowhere; the UNDEFINED one is bound but not defined.
    assert "FILTER_UNUSED" in pc.filters
    assert not any(b.filter == "FILTER_UNUSED" for b in pc.bindings)
    assert "FILTER_UNDEF" not in pc.filters
    (undef,) = [u for u in pc.unsupported if "FILTER_UNDEF" in u.reason]
    assert undef.line == 17 and undef.text.endswith("filter output FILTER_UNDEF")
    (f1,) = rules(pc, "FILTER1")
    assert (f1.action, f1.family, f1.sources) == ("permit", 4, (net("1.2.3.6/32"),))
    (f2,) = rules(pc, "FILTER2")
    assert f2.action == "deny" and set(f2.sources) == {net("1.2.3.5/32"), net("1.2.3.6/32")}
    assert pc.filters["FILTER2"].default == "deny"
    # icmp-type 0, 10-20 except 11 and 13-14: one rule per type
    types = [r.icmp_type for r in rules(pc, "PARSING") if r.name.startswith("PARSING:ICMP_TYPE")]
    assert types == [0, 10, 12, 15, 16, 17, 18, 19, 20]
    assert [(r.family, r.protocol) for r in rules(pc, "FILTER6_1")] == [(6, "tcp")]
    assert [(r.family, r.protocol) for r in rules(pc, "FILTER6_2")] == [(6, "udp")]
    text = reasons(pc)
    for cond in ("fragment-offset", "icmp-code", "packet-length", "interface-set"):
        assert f"'{cond}' is not modelled" in text
    assert "decapsulate" in text and not pc.zones and not pc.stateful


def test_corpus_batfish_unit_tests() -> None:
    pc = _corpus("batfish_unit-tests_juniper_firewall.set")
    assert set(pc.filters) == {"blah", "blah6", "ip_options"}  # ethernet-switching: not modelled
    assert [u.line for u in pc.unsupported if "ethernet-switching" in u.reason] == [4, 50]
    by_name = {r.name: r for r in rules(pc, "blah")}
    # a term named like a keyword, and a quoted term name with a space
    assert by_name["blah:prefix-list:1"].sources == (net("1.2.3.4/32"),)
    assert by_name["blah:some term:1"].sources == (net("1.2.3.4/32"),)
    assert [(r.protocol, r.icmp_type) for r in rules(pc, "blah6")] == [
        ("icmpv6", 2),  # packet-too-big
        ("icmpv6", 135),  # neighbor-solicit
        ("icmpv6", 136),  # neighbor-advertisement
    ]
    assert [(b.filter, b.interface, b.direction) for b in pc.bindings] == [("blah6", "lo0.0", "in")]
    text = reasons(pc)
    assert "then routing-instance" in text and "then next-ip" in text
    assert "'ip-options' is not modelled" in text


def test_corpus_aerleon_loopback_curly() -> None:
    pc = _corpus("aerleon_sample_juniper_loopback.jcl.ref")
    assert list(pc.filters) == ["LOOPBACK"] and not pc.bindings
    by_term = {r.name.split(":")[1]: r for r in rules(pc, "LOOPBACK")}
    bgp = by_term["accept-bgp-replies"]
    assert (bgp.protocol, bgp.src_ports, bgp.established) == ("tcp", ((179, 179),), True)
    ike = by_term["accept-ike"]
    assert (ike.protocol, ike.src_ports, ike.dst_ports) == ("udp", ((500, 500),), ((500, 500),))
    assert by_term["accept-ipsec"].protocol == "esp"
    snmp = by_term["accept-snmp-requests"]
    rfc1918 = (net("10.0.0.0/8"), net("172.16.0.0/12"), net("192.168.0.0/16"))
    assert snmp.sources == rfc1918 and snmp.destinations == rfc1918
    assert snmp.dst_ports == ((161, 161),) and snmp.action == "permit"
    imap = by_term["reject-imap-requests"]  # reject tcp-reset
    assert imap.action == "deny" and imap.destinations == (net("200.1.1.4/31"),)
    assert by_term["discard-default"].action == "deny"
    # `then { count; policer; sample; next term; }`: not terminal, no rule
    assert "ratelimit-large-dns" not in by_term
    # `packet-length` in a discarding term: left out and reported
    assert "reject-large-dns" not in by_term
    # 0.0.0.0/0 with 200.1.1.3/32 except, protocol [ tcp udp ]: two rules, exact sources
    frags = [r for r in rules(pc, "LOOPBACK") if ":allow-dns-fragments:" in r.name]
    assert [r.protocol for r in frags] == ["tcp", "udp"]
    for host, inside in (("200.1.1.3", False), ("200.1.1.2", True), ("8.8.8.8", True)):
        assert any(ipaddress.ip_address(host) in n for n in frags[0].sources) is inside
    text = reasons(pc)
    assert "prefix-list configured-neighbors-only" in text  # undefined prefix list
    assert "'is-fragment' is not modelled" in text
    assert "filter my-next-filter is not defined" in text


def test_corpus_aerleon_multitarget_curly() -> None:
    pc = _corpus("aerleon_sample_multitarget.jcl.ref")
    assert list(pc.filters) == ["edge-inbound", "edge-outbound"]
    inbound = rules(pc, "edge-inbound")
    assert [r.name for r in inbound][:2] == [
        "edge-inbound:deny-from-bogons:1",
        "edge-inbound:deny-from-reserved:1",
    ]
    mail = next(r for r in inbound if ":permit-mail-services:" in r.name)
    assert mail.dst_ports == ((25, 25), (465, 465), (587, 587), (995, 995))
    est = next(r for r in inbound if ":permit-tcp-established:" in r.name)
    assert est.established and est.protocol == "tcp"
    out = rules(pc, "edge-outbound")
    assert [r.action for r in out] == ["deny", "permit"] and out[-1].sources == ()
    assert not pc.unsupported
    p = pkt("192.0.2.1", "200.1.1.4", "tcp", 25)
    assert filter_decides(pc, "edge-inbound", p) == "deny"  # 192.0.2.0/24 is a bogon
    assert filter_decides(pc, "edge-inbound", pkt("8.8.8.8", "200.1.1.4", "tcp", 25)) == "permit"
    assert filter_decides(pc, "edge-inbound", pkt("8.8.8.8", "200.1.1.4", "tcp", 80)) == "deny"


@pytest.mark.parametrize(
    "name", ["hier_config_junos_generated.set", "hier_config_junos_remediation.set"]
)
def test_corpus_hier_config_lan_filter(name: str) -> None:
    pc = _corpus(name)
    assert list(pc.filters) == ["LAN-FILTER"]
    first, last = rules(pc, "LAN-FILTER")
    assert (first.name, first.action, first.sources) == (
        "LAN-FILTER:10:1",
        "permit",
        (net("10.0.0.0/16"),),
    )
    assert (last.name, last.action, last.sources) == ("LAN-FILTER:20:1", "deny", ())
    assert [(b.filter, b.interface, b.direction) for b in pc.bindings] == [
        ("LAN-FILTER", "ge-0/0/1.0", "in")
    ]
    assert not pc.unsupported


def test_corpus_hier_config_running_has_no_filter() -> None:
    pc = _corpus("hier_config_junos_running.set")
    assert pc.filters == {} and pc.bindings == () and pc.unsupported == ()


# -- round trip through segcfg's own SRX output ----------------------------------------------


class _Zones:
    """The site zone of an address: the most specific zone network holding it; the internet
    zone (every address outside the site's zones) when none does."""

    def __init__(self, site_dir: Path) -> None:
        resolver = Resolver(load_site(site_dir))
        self.networks: dict[str, tuple[IPNetwork, ...]] = {}
        self.internet: str | None = None
        inside: list[tuple[IPNetwork, str]] = []
        for z in resolver.loaded.site.zones:
            self.networks[z.name] = resolver.zone_endpoint(z).networks
            if z.networks:
                inside.extend((n, z.name) for n in z.networks)
            else:
                self.internet = z.name
        self._inside = sorted(inside, key=lambda item: -item[0].prefixlen)

    def of(self, addr: IPAddr) -> str | None:
        for n, zone in self._inside:
            if n.version == addr.version and addr in n:
                return zone
        return self.internet


def _addresses_in(n: IPNetwork, rng: random.Random, k: int = 3) -> list[IPAddr]:
    lo, hi = int(n.network_address), int(n.broadcast_address)
    picks = {lo, hi, *(rng.randint(lo, hi) for _ in range(k))}
    make = ipaddress.IPv4Address if n.version == 4 else ipaddress.IPv6Address
    return [make(v) for v in sorted(picks)]


def _ports_in(
    ranges: tuple[tuple[int, int], ...], pool: list[int], rng: random.Random
) -> list[int]:
    if not ranges:
        return [rng.choice(pool), rng.randint(1, 65535)]
    out: list[int] = []
    for lo, hi in ranges:
        out.extend({lo, hi, rng.randint(lo, hi)})
    return out


def _packets(rs: RuleSet, site: _Zones, seed: int) -> list[Packet]:
    """Packets inside every compiled rule's match (from each zone it covers), then random ones
    among the site's zones, addresses and ports. Every address lies in the zone the packet
    comes from or goes to, as on the wire."""
    rng = random.Random(seed)
    zones = sorted({b.zone for b in rs.interfaces})
    pool = sorted(
        {p for r in rs.rules for lo, hi in r.dst_ports for p in (lo, hi, lo - 1, hi + 1)}
        - {-1, 65536}
    ) or [443]
    named: dict[str | None, list[IPAddr]] = {}  # addresses of what the rules name, per zone
    for n in {n for r in rs.rules for n in (*r.sources, *r.destinations) if n.num_addresses <= 256}:
        for a in _addresses_in(n, rng, 1):
            named.setdefault(site.of(a), []).append(a)
    out: list[Packet] = []

    def pick(nets: tuple[IPNetwork, ...], zone: str) -> list[IPAddr]:
        got: list[IPAddr] = []
        for n in nets or site.networks[zone]:
            got.extend(a for a in _addresses_in(n, rng, 2) if site.of(a) == zone)
        return got

    def add(r: Rule | None, fz: str, tz: str) -> None:
        srcs = pick(r.sources if r else (), fz)
        dsts = pick(r.destinations if r else (), tz)
        if r is None:  # also the hosts the rules name, when they sit in these zones
            srcs += named.get(fz, [])
            dsts += named.get(tz, [])
        pairs = [(s, d) for s in srcs for d in dsts if s.version == d.version]
        for s, d in rng.sample(pairs, min(len(pairs), 12)):
            if r is not None and r.family not in (None, s.version):
                continue
            icmp = "icmp" if s.version == 4 else "icmpv6"
            proto = r.protocol if r and r.protocol else rng.choice(["tcp", "udp", icmp, "esp"])
            if proto in ("tcp", "udp"):
                for dport in _ports_in(r.dst_ports if r else (), pool, rng):
                    sport = rng.choice([40000, 123, 53, 1024, 5060])
                    if r and r.src_ports:
                        sport = _ports_in(r.src_ports, pool, rng)[0]
                    out.append(Packet(fz, tz, proto, s, d, sport, dport))
            elif proto in ("icmp", "icmpv6"):
                types = [r.icmp_type] if r and r.icmp_type is not None else [0, 3, 8, 128]
                out.extend(Packet(fz, tz, proto, s, d, icmp_type=t) for t in types)
            else:
                out.append(Packet(fz, tz, proto, s, d))

    for r in rs.rules:
        froms = [r.from_zone] if r.from_zone != ANY_ZONE else zones
        tos = [r.to_zone] if r.to_zone != ANY_ZONE else zones
        for fz in froms:
            for tz in tos:
                if fz != tz:
                    add(r, fz, tz)
    for _ in range(300):
        fz, tz = rng.sample(zones, 2)
        add(None, fz, tz)
    return out


def _round_trip(rs: RuleSet, text: str, site: _Zones) -> int:
    pc = parse(text, f"{rs.enforcement_point}.junos")
    assert pc.stateful and not pc.unsupported, reasons(pc)
    srx_zone = {i: z for z, ifaces in pc.zones.items() for i in ifaces}
    packets = _packets(rs, site, seed=11)
    assert len(packets) > 500
    mismatches = []
    # a few replies of established sessions too: both stateful, both accept them first
    packets += [replace(p, established=True) for p in packets[:: len(packets) // 20]]
    for p in packets:
        want_action, want_rule = decide(rs, p)
        on_srx = replace(
            p,
            from_zone=srx_zone[str(rs.zone_interface(p.from_zone))],
            to_zone=srx_zone[str(rs.zone_interface(p.to_zone))],
        )
        got_action, got_rule = srx_decide(pc, on_srx)
        want_log = want_rule.log if want_rule else None
        got_log = got_rule.log if got_rule else None
        if (want_action, want_log) != (got_action, got_log):
            mismatches.append((p, want_action, want_rule, got_action, got_rule))
    assert not mismatches, mismatches[:3]
    return len(packets)


def test_round_trip_minimal_golden() -> None:
    (rs,) = compile_site(load_site(MINIMAL), TODAY, "junos-srx")
    golden = (ROOT / "tests" / "golden" / "junos-srx" / "minimal" / "fw-1.junos").read_text()
    assert render_ruleset(rs) == golden
    _round_trip(rs, golden, _Zones(MINIMAL))
    pc = parse(golden, "fw-1.junos")
    assert pc.zones["if-if-edge"] == ("if-edge",)  # one SRX zone for two site zones
    (scan,) = rules(pc, "scan>dc")
    assert (scan.name, scan.action, scan.log) == (
        "scan>dc:R00002-SCAN-SWEEP:1",
        "deny",
        "SCAN-SWEEP",
    )
    assert scan.sources == (net("198.18.90.0/28"),) and scan.remarks
    glob = rules(pc, "global")
    assert [r.log for r in glob] == ["REMOTE-ACCESS", "REMOTE-ACCESS", "DEFAULT-DENY"]
    assert glob[0].dst_ports == ((20, 23), (3389, 3389), (5900, 5903), (5938, 5938))
    assert (glob[0].from_zone, glob[0].to_zone) == (ANY_ZONE, "clin-pumps")
    assert glob[-1].family is None and glob[-1].protocol is None


def test_round_trip_example_hospital() -> None:
    (rs,) = [
        r for r in compile_site(load_site(EXAMPLE), TODAY) if r.enforcement_point == "imaging-srx"
    ]
    text = (ROOT / "generated" / "example-general" / "imaging-srx.junos").read_text()
    assert render_ruleset(rs) == text
    assert _round_trip(rs, text, _Zones(EXAMPLE)) > 2000


def test_round_trip_ipv6(tmp_path: Path) -> None:
    data = {
        "site": "v6",
        "profile_dirs": [],
        "zones": [
            {"name": "clin", "kind": "clinical", "networks": ["198.18.10.0/24", "2001:db8:a::/64"]},
            {"name": "dc", "kind": "clinical_servers", "networks": ["198.18.100.0/24"]},
            {"name": "corp", "kind": "corporate", "networks": ["2001:db8:c::/64"]},
        ],
        "enforcement_points": [
            {
                "name": "fw",
                "platform": "junos-srx",
                "interfaces": [
                    {"name": "a", "zone": "clin"},
                    {"name": "b", "zone": "dc"},
                    {"name": "c", "zone": "corp"},
                ],
            }
        ],
    }
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(data))
    (rs,) = compile_site(load_site(tmp_path), TODAY)
    _round_trip(rs, render_ruleset(rs), _Zones(tmp_path))


def test_round_trip_notices_a_changed_policy() -> None:
    (rs,) = compile_site(load_site(MINIMAL), TODAY, "junos-srx")
    text = render_ruleset(rs)
    for old, new in (
        ("then permit", "then deny"),
        ("destination-port 123", "destination-port 124"),
    ):
        with pytest.raises(AssertionError):
            _round_trip(rs, text.replace(old, new, 1), _Zones(MINIMAL))


# -- syntax features, in both formats ----------------------------------------------------


FILTERS_SET = """\
    # a comment
    set firewall family inet filter IN term allow-web from source-address 10.1.0.0/16
    set firewall family inet filter IN term allow-web from source-address 10.1.5.0/24 except
    set firewall family inet filter IN term allow-web from destination-prefix-list SERVERS
    set firewall family inet filter IN term allow-web from protocol tcp
    set firewall family inet filter IN term allow-web from destination-port [ http https 8443-8444 ]
    set firewall family inet filter IN term allow-web then count web
    set firewall family inet filter IN term allow-web then accept
    set firewall family inet filter IN term ping from protocol icmp
    set firewall family inet filter IN term ping from icmp-type echo-request
    set firewall family inet filter IN term ping then accept
    set firewall family inet filter IN term count-only from protocol udp
    set firewall family inet filter IN term count-only from port domain
    set firewall family inet filter IN term count-only then count dns
    set firewall family inet filter IN term skip from protocol gre
    set firewall family inet filter IN term skip then count gre
    set firewall family inet filter IN term skip then next term
    set firewall family inet filter IN term no-then from source-address 192.0.2.0/24
    set firewall family inet filter IN term last then syslog
    set firewall family inet filter IN term last then reject tcp-reset
    set firewall family inet filter OUT term all then accept
    set firewall family inet6 filter IN6 term t from next-header icmp6
    set firewall family inet6 filter IN6 term t from source-address 2001:db8::/32
    set firewall family inet6 filter IN6 term t then accept
    set policy-options prefix-list SERVERS 10.2.0.10/32
    set policy-options prefix-list SERVERS 10.2.0.11
    set interfaces ge-0/0/0 description "uplink; { not a block } # not a comment"
    set interfaces ge-0/0/0 unit 0 family inet filter input IN
    set interfaces ge-0/0/0 unit 0 family inet filter output-list [ OUT IN ]
    set interfaces ge-0/0/0 unit 0 family inet6 filter input IN6
"""

FILTERS_CURLY = """\
    ## Last commit: 2026-11-28 10:00:00 UTC by admin
    version 21.4R3;
    interfaces {
        ge-0/0/0 {
            description "uplink; { not a block } # not a comment";
            unit 0 {
                family inet {
                    filter {
                        input IN;
                        output-list [ OUT IN ];
                    }
                }
                family inet6 {
                    filter {
                        input IN6;
                    }
                }
            }
        }
    }
    policy-options {
        prefix-list SERVERS {
            10.2.0.10/32;
            10.2.0.11;
        }
    }
    firewall {
        family inet {
            /* a comment
               over two lines */
            filter IN {
                term allow-web {
                    from {
                        source-address {
                            10.1.0.0/16;
                            10.1.5.0/24 except;
                        }
                        destination-prefix-list {
                            SERVERS;
                        }
                        protocol tcp;
                        destination-port [ http https 8443-8444 ];
                    }
                    then {
                        count web;
                        accept;
                    }
                }
                term ping {
                    from {
                        protocol icmp;
                        icmp-type echo-request;
                    }
                    then accept;
                }
                term count-only {
                    from {
                        protocol udp;
                        port domain;
                    }
                    then count dns;
                }
                term skip {
                    from {
                        protocol gre;
                    }
                    then {
                        count gre;
                        next term;
                    }
                }
                term no-then {
                    from {
                        source-address 192.0.2.0/24;
                    }
                }
                term last {
                    then {
                        syslog;
                        reject tcp-reset;
                    }
                }
            }
            filter OUT {
                term all {
                    then accept;
                }
            }
        }
        family inet6 {
            filter IN6 {
                term t {
                    from {
                        next-header icmp6;
                        source-address {
                            2001:db8::/32;
                        }
                    }
                    then accept;
                }
            }
        }
    }
"""


def _meaning(pc: ParsedConfig) -> tuple[object, ...]:
    """What a parse means, without line numbers."""
    filters = {
        name: (f.kind, f.default, tuple(pr.rule for pr in f.rules))
        for name, f in pc.filters.items()
    }
    bindings = tuple(replace(b, line=0) for b in pc.bindings)
    notes = tuple(sorted(u.reason for u in pc.unsupported))
    return filters, bindings, pc.zones, notes, pc.stateful


@pytest.mark.parametrize("text", [FILTERS_SET, FILTERS_CURLY], ids=["set", "curly"])
def test_firewall_filters(text: str) -> None:
    pc = parse_text(text)
    assert not pc.unsupported, reasons(pc)
    assert list(pc.filters) == ["IN", "OUT", "IN6"]
    web, ping, dns_src, dns_dst, no_then, last = rules(pc, "IN")
    assert web.name == "IN:allow-web:1" and web.action == "permit" and web.protocol == "tcp"
    assert web.dst_ports == ((80, 80), (443, 443), (8443, 8444))
    assert web.destinations == (net("10.2.0.10/31"),)
    src = [ipaddress.ip_address(a) for a in ("10.1.4.255", "10.1.5.0", "10.1.5.255", "10.1.6.0")]
    assert [any(a in n for n in web.sources) for a in src] == [True, False, False, True]
    assert (ping.protocol, ping.icmp_type, ping.family) == ("icmp", 8, 4)
    # `then count` only: implicit accept; `port`: either side, so two rules
    assert (dns_src.action, dns_src.src_ports, dns_src.dst_ports) == ("permit", ((53, 53),), ())
    assert (dns_dst.action, dns_dst.src_ports, dns_dst.dst_ports) == ("permit", (), ((53, 53),))
    # `next term`: no rule; no `then`: accept
    assert not any(":skip:" in r.name for r in rules(pc, "IN"))
    assert (no_then.name, no_then.action) == ("IN:no-then:1", "permit")
    assert (last.action, last.log, last.sources, last.protocol) == ("deny", "LOG", (), None)
    (v6,) = rules(pc, "IN6")
    assert (v6.family, v6.protocol, v6.sources) == (6, "icmpv6", (net("2001:db8::/32"),))
    assert [(b.filter, b.interface, b.direction) for b in pc.bindings] == [
        ("IN", "ge-0/0/0.0", "in"),
        ("OUT", "ge-0/0/0.0", "out"),
        ("IN", "ge-0/0/0.0", "out"),
        ("IN6", "ge-0/0/0.0", "in"),
    ]
    assert all(f.default == "deny" for f in pc.filters.values())
    assert filter_decides(pc, "IN", pkt("10.1.1.1", "10.2.0.11", "tcp", 443)) == "permit"
    assert filter_decides(pc, "IN", pkt("10.1.5.1", "10.2.0.11", "tcp", 443)) == "deny"
    assert filter_decides(pc, "IN", pkt("10.9.9.9", "10.2.0.12", "gre")) == "deny"


def test_firewall_filters_same_in_both_formats() -> None:
    set_pc, curly_pc = parse_text(FILTERS_SET), parse_text(FILTERS_CURLY)
    assert _meaning(set_pc) == _meaning(curly_pc)
    # lines point at the statements that created each term
    web_set = set_pc.filters["IN"].rules[0]
    web_curly = curly_pc.filters["IN"].rules[0]
    assert (web_set.line, web_set.text) == (2, FILTERS_SET.splitlines()[1].strip())
    assert web_curly.text == "term allow-web {"
    assert FILTERS_CURLY.splitlines()[web_curly.line - 1].strip() == "term allow-web {"


SRX_SET = """\
    set security zones security-zone trust interfaces ge-0/0/1.0
    set security zones security-zone trust interfaces ge-0/0/2.0 host-inbound-traffic system-services ping
    set security zones security-zone untrust interfaces ge-0/0/0.0
    set security zones security-zone dmz address-book address web 192.0.2.80/32
    set security zones security-zone dmz interfaces ge-0/0/3.0
    set security address-book global address lan 10.0.0.0/16
    set security address-book global address lan6 2001:db8:1::/48
    set security address-book global address range range-address 10.9.0.1 to 10.9.0.6
    set security address-book global address-set inside address lan
    set security address-book global address-set inside address lan6
    set security address-book global address-set all-inside address-set inside
    set security address-book global address-set all-inside address range
    set applications application web-alt protocol tcp
    set applications application web-alt destination-port 8080-8081
    set applications application multi term a protocol tcp destination-port 5000
    set applications application multi term b protocol udp source-port 1024-65535 destination-port 5001
    set applications application-set web application junos-http
    set applications application-set web application web-alt
    set applications application-set web-all application-set web
    set applications application-set web-all application junos-https
    set security policies from-zone trust to-zone dmz policy to-web description "web; \\"servers\\" {dmz} # no comment"
    set security policies from-zone trust to-zone dmz policy to-web match source-address all-inside
    set security policies from-zone trust to-zone dmz policy to-web match destination-address web
    set security policies from-zone trust to-zone dmz policy to-web match application [ web-all multi ]
    set security policies from-zone trust to-zone dmz policy to-web then permit
    set security policies from-zone trust to-zone dmz policy to-web then log session-close
    set security policies from-zone untrust to-zone dmz policy R00001-SCAN-SWEEP match source-address any-ipv4
    set security policies from-zone untrust to-zone dmz policy R00001-SCAN-SWEEP match destination-address any
    set security policies from-zone untrust to-zone dmz policy R00001-SCAN-SWEEP match application any
    set security policies from-zone untrust to-zone dmz policy R00001-SCAN-SWEEP then reject
    set security policies from-zone untrust to-zone dmz policy R00001-SCAN-SWEEP then log session-init
    set security policies from-zone untrust to-zone dmz policy web-in match source-address any
    set security policies from-zone untrust to-zone dmz policy web-in match destination-address web
    set security policies from-zone untrust to-zone dmz policy web-in match application junos-https
    set security policies from-zone untrust to-zone dmz policy web-in then permit
    set security policies global policy g1 match source-address any
    set security policies global policy g1 match destination-address any
    set security policies global policy g1 match application junos-ping
    set security policies global policy g1 match from-zone trust
    set security policies global policy g1 then permit
    set security policies default-policy permit-all
"""  # noqa: E501

SRX_CURLY = """\
    security {
        address-book {
            global {
                address lan 10.0.0.0/16;
                address lan6 2001:db8:1::/48;
                address range {
                    range-address 10.9.0.1 {
                        to {
                            10.9.0.6;
                        }
                    }
                }
                address-set inside {
                    address lan;
                    address lan6;
                }
                address-set all-inside {
                    address-set inside;
                    address range;
                }
            }
        }
        policies {
            from-zone trust to-zone dmz {
                policy to-web {
                    description "web; \\"servers\\" {dmz} # no comment";
                    match {
                        source-address all-inside;
                        destination-address web;
                        application [ web-all multi ];
                    }
                    then {
                        permit;
                        log {
                            session-close;
                        }
                    }
                }
            }
            from-zone untrust to-zone dmz {
                policy R00001-SCAN-SWEEP {
                    match {
                        source-address any-ipv4;
                        destination-address any;
                        application any;
                    }
                    then {
                        reject;
                        log {
                            session-init;
                        }
                    }
                }
                policy web-in {
                    match {
                        source-address any;
                        destination-address web;
                        application junos-https;
                    }
                    then {
                        permit;
                    }
                }
            }
            global {
                policy g1 {
                    match {
                        source-address any;
                        destination-address any;
                        application junos-ping;
                        from-zone trust;
                    }
                    then {
                        permit;
                    }
                }
            }
            default-policy {
                permit-all;
            }
        }
        zones {
            security-zone trust {
                interfaces {
                    ge-0/0/1.0;
                    ge-0/0/2.0 {
                        host-inbound-traffic {
                            system-services {
                                ping;
                            }
                        }
                    }
                }
            }
            security-zone untrust {
                interfaces {
                    ge-0/0/0.0;
                }
            }
            security-zone dmz {
                address-book {
                    address web 192.0.2.80/32;
                }
                interfaces {
                    ge-0/0/3.0;
                }
            }
        }
    }
    applications {
        application web-alt {
            protocol tcp;
            destination-port 8080-8081;
        }
        application multi {
            term a protocol tcp destination-port 5000;
            term b protocol udp source-port 1024-65535 destination-port 5001;
        }
        application-set web {
            application junos-http;
            application web-alt;
        }
        application-set web-all {
            application-set web;
            application junos-https;
        }
    }
"""


@pytest.mark.parametrize("text", [SRX_SET, SRX_CURLY], ids=["set", "curly"])
def test_security_policies(text: str) -> None:
    pc = parse_text(text)
    assert not pc.unsupported, reasons(pc)
    assert pc.stateful
    assert pc.zones == {
        "trust": ("ge-0/0/1.0", "ge-0/0/2.0"),
        "untrust": ("ge-0/0/0.0",),
        "dmz": ("ge-0/0/3.0",),
    }
    assert list(pc.filters) == ["trust>dmz", "untrust>dmz", "global"]
    assert all(f.kind == "policies" and f.default == "permit" for f in pc.filters.values())
    assert [(b.filter, b.interface, b.from_zone, b.to_zone) for b in pc.bindings] == [
        ("trust>dmz", "*", "trust", "dmz"),
        ("untrust>dmz", "*", "untrust", "dmz"),
        ("global", "*", None, None),
    ]
    # one rule per protocol and source-port set; web is IPv4 only, so lan6 drops out
    tcp, udp = rules(pc, "trust>dmz")
    assert (tcp.name, udp.name) == ("trust>dmz:to-web:1", "trust>dmz:to-web:2")
    assert tcp.dst_ports == ((80, 80), (443, 443), (5000, 5000), (8080, 8081))
    assert (udp.protocol, udp.src_ports, udp.dst_ports) == (
        "udp",
        ((1024, 65535),),
        ((5001, 5001),),
    )
    for r in (tcp, udp):
        assert (r.from_zone, r.to_zone, r.family, r.log) == ("trust", "dmz", 4, "LOG")
        assert r.destinations == (net("192.0.2.80/32"),)
        # lan, and range-address 10.9.0.1 to 10.9.0.6 as exact CIDR blocks
        assert r.sources == tuple(
            net(n)
            for n in ("10.0.0.0/16", "10.9.0.1/32", "10.9.0.2/31", "10.9.0.4/31", "10.9.0.6/32")
        )
        assert r.remarks == ('web; "servers" {dmz} # no comment',)
        assert r.src_label == "all-inside" and r.dst_label == "web"
    scan, web_in = rules(pc, "untrust>dmz")
    assert (scan.action, scan.family, scan.log, scan.sources) == ("deny", 4, "SCAN-SWEEP", ())
    assert (web_in.protocol, web_in.dst_ports, web_in.family) == ("tcp", ((443, 443),), 4)
    (g1,) = rules(pc, "global")
    assert (g1.from_zone, g1.to_zone, g1.protocol, g1.icmp_type) == ("trust", ANY_ZONE, "icmp", 8)
    z = ("untrust", "dmz")
    assert srx_decide(pc, pkt("203.0.113.9", "192.0.2.80", "tcp", 443, zones=z))[0] == "deny"
    assert srx_decide(pc, pkt("2001:db8::9", "2001:db8:1::1", "tcp", 22, zones=z))[0] == "permit"


def test_security_policies_same_in_both_formats() -> None:
    assert _meaning(parse_text(SRX_SET)) == _meaning(parse_text(SRX_CURLY))


def test_policy_with_mixed_families_splits_by_family() -> None:
    pc = parse_text("""\
        set security address-book global address a4 10.0.0.0/8
        set security address-book global address a6 2001:db8::/32
        set security address-book global address-set both address a4
        set security address-book global address-set both address a6
        set security policies from-zone x to-zone y policy p match source-address both
        set security policies from-zone x to-zone y policy p match destination-address any
        set security policies from-zone x to-zone y policy p match application [ junos-ssh junos-icmp-all ]
        set security policies from-zone x to-zone y policy p then permit
        set security policies from-zone x to-zone y policy q match source-address any
        set security policies from-zone x to-zone y policy q match destination-address any
        set security policies from-zone x to-zone y policy q match application any
        set security policies from-zone x to-zone y policy q then deny
    """)  # noqa: E501
    got = [(r.name, r.family, r.protocol, r.sources) for r in rules(pc, "x>y")]
    assert got == [
        ("x>y:p:1", 4, "tcp", (net("10.0.0.0/8"),)),
        ("x>y:p:2", 6, "tcp", (net("2001:db8::/32"),)),
        ("x>y:p:3", 4, "icmp", (net("10.0.0.0/8"),)),  # ICMP (v4) has no IPv6 rule
        ("x>y:q:1", None, None, ()),  # addresses any: one rule for both families
    ]
    assert pc.filters["x>y"].default == "deny"  # no default-policy: deny-all


def test_zone_address_books_and_exclusion() -> None:
    pc = parse_text("""\
        set security zones security-zone a address-book address h 10.1.1.1/32
        set security zones security-zone b address-book address h 10.2.2.2/32
        set security address-book global address h 10.3.3.3/32
        set security address-book book1 address srv 10.4.0.0/24
        set security address-book book1 attach zone b
        set security policies from-zone a to-zone b policy p match source-address h
        set security policies from-zone a to-zone b policy p match destination-address [ h srv ]
        set security policies from-zone a to-zone b policy p match destination-address-excluded
        set security policies from-zone a to-zone b policy p match application any
        set security policies from-zone a to-zone b policy p then permit
    """)
    assert not pc.unsupported, reasons(pc)
    (r,) = rules(pc, "a>b")
    assert r.sources == (net("10.1.1.1/32"),)  # the from-zone's book first
    z = ("a", "b")
    decide_ = [
        srx_decide(pc, pkt("10.1.1.1", dst, zones=z))[0]
        for dst in ("10.2.2.2", "10.4.0.9", "10.3.3.3", "8.8.8.8")
    ]
    assert decide_ == ["deny", "deny", "permit", "permit"]  # everything but b's h and srv


DELETE_SET = """\
    set firewall filter F term a from source-address 10.0.0.1/32
    set firewall filter F term a then accept
    set firewall filter F term b from source-address 10.0.0.2/32
    set firewall filter F term b from source-address 10.0.0.3/32
    set firewall filter F term b then accept
    set interfaces ge-0/0/0 unit 0 family inet filter input F
    set interfaces ge-0/0/1 unit 0 family inet filter input F
    delete firewall filter F term a
    delete firewall filter F term b from source-address 10.0.0.3/32
    delete interfaces ge-0/0/0 unit 0 family inet filter
"""

DELETE_CURLY = """\
    firewall {
        filter F {
            term a {
                from {
                    source-address 10.0.0.1/32;
                }
                then accept;
            }
            term b {
                from {
                    source-address {
                        10.0.0.2/32;
                        10.0.0.3/32;
                    }
                }
                then accept;
            }
        }
    }
    interfaces {
        ge-0/0/0 {
            unit 0 {
                family inet {
                    filter {
                        input F;
                    }
                }
            }
        }
        ge-0/0/1 unit 0 family inet filter input F;
    }
    firewall {
        filter F {
            delete: term a;
            term b {
                from {
                    source-address {
                        delete: 10.0.0.3/32;
                    }
                }
            }
        }
    }
    interfaces {
        ge-0/0/0 {
            unit 0 {
                family inet {
                    delete: filter {
                        input F;
                    }
                }
            }
        }
    }
"""


@pytest.mark.parametrize("text", [DELETE_SET, DELETE_CURLY], ids=["set", "curly"])
def test_delete(text: str) -> None:
    pc = parse_text(text)
    assert not pc.unsupported, reasons(pc)
    (b,) = rules(pc, "F")
    assert (b.name, b.sources) == ("F:b:1", (net("10.0.0.2/32"),))
    assert [(x.filter, x.interface) for x in pc.bindings] == [("F", "ge-0/0/1.0")]


INACTIVE_SET = """\
    set firewall filter F term a from source-address 10.0.0.1/32
    set firewall filter F term a then accept
    set firewall filter F term b from source-address 10.0.0.2/32
    set firewall filter F term b from source-address 10.0.0.3/32
    set firewall filter F term b then accept
    set security policies from-zone x to-zone y policy p match source-address any
    set security policies from-zone x to-zone y policy p match destination-address any
    set security policies from-zone x to-zone y policy p match application any
    set security policies from-zone x to-zone y policy p then permit
    set system syslog file messages any any
    deactivate firewall filter F term a
    deactivate firewall filter F term b from source-address 10.0.0.3/32
    deactivate security policies from-zone x to-zone y policy p
    deactivate system syslog
"""

INACTIVE_CURLY = """\
    system {
        inactive: syslog {
            file messages {
                any any;
            }
        }
    }
    firewall {
        filter F {
            inactive: term a {
                from {
                    source-address 10.0.0.1/32;
                }
                then accept;
            }
            term b {
                from {
                    source-address {
                        10.0.0.2/32;
                        inactive: 10.0.0.3/32;
                    }
                }
                then accept;
            }
        }
    }
    security {
        policies {
            from-zone x to-zone y {
                inactive: policy p {
                    match {
                        source-address any;
                        destination-address any;
                        application any;
                    }
                    then {
                        permit;
                    }
                }
            }
        }
    }
"""


@pytest.mark.parametrize("text", [INACTIVE_SET, INACTIVE_CURLY], ids=["set", "curly"])
def test_inactive(text: str) -> None:
    pc = parse_text(text)
    (b,) = rules(pc, "F")
    assert (b.name, b.sources) == ("F:b:1", (net("10.0.0.2/32"),))
    assert rules(pc, "x>y") == []
    notes = [u for u in pc.unsupported if u.reason.startswith("inactive:")]
    assert len(notes) == 3 and len(pc.unsupported) == 3  # the syslog is no concern of ours
    assert "firewall filter F term a" in notes[0].reason or "term a" in notes[0].text


def test_activate_again() -> None:
    pc = parse_text("""\
        set firewall filter F term a then accept
        deactivate firewall filter F term a
        activate firewall filter F term a
    """)
    assert [r.name for r in rules(pc, "F")] == ["F:a:1"] and not pc.unsupported


def test_replace_and_comments_curly() -> None:
    pc = parse_text("""\
        firewall {
            filter F {
                term old {
                    then accept;
                }
            }
        }
        # a later load replaces the whole filter
        firewall {
            /* replace: is honoured */
            replace: filter F {
                term new {
                    then discard;  # a trailing comment
                }
            }
        }
    """)
    assert [(r.name, r.action) for r in rules(pc, "F")] == [("F:new:1", "deny")]
    assert pc.filters["F"].rules[0].line == 12


def test_insert_rename_and_last_value_wins() -> None:
    pc = parse_text("""\
        set security policies from-zone a to-zone b policy p1 match source-address any
        set security policies from-zone a to-zone b policy p1 match destination-address any
        set security policies from-zone a to-zone b policy p1 match application junos-ssh
        set security policies from-zone a to-zone b policy p1 then permit
        set security policies from-zone a to-zone b policy p2 match source-address any
        set security policies from-zone a to-zone b policy p2 match destination-address any
        set security policies from-zone a to-zone b policy p2 match application any
        set security policies from-zone a to-zone b policy p2 then permit
        set security policies from-zone a to-zone b policy p2 then deny
        insert security policies from-zone a to-zone b policy p2 before policy p1
        set firewall filter F term x then accept
        rename firewall filter F term x to term y
        set interfaces ge-0/0/0 unit 0 family inet filter input F
        set interfaces ge-0/0/0 unit 0 family inet filter input G
    """)
    assert [(r.name, r.action) for r in rules(pc, "a>b")] == [
        ("a>b:p2:1", "deny"),  # `then deny` set last replaces `then permit`
        ("a>b:p1:1", "permit"),
    ]
    assert [r.name for r in rules(pc, "F")] == ["F:y:1"]
    assert [b.filter for b in pc.bindings if b.interface == "ge-0/0/0.0"] == ["G"]
    assert "filter G (inet) is not defined" in reasons(pc)


def test_noise_lines_are_ignored() -> None:
    pc = parse_text("""\
        admin@srx> show configuration | display set
        {primary:node0}
        [edit]
        set firewall filter F term a then accept
        {primary:node0}
    """)
    assert [r.name for r in rules(pc, "F")] == ["F:a:1"] and not pc.unsupported


def test_junos_default_applications() -> None:
    pc = parse_text("""\
        set security policies from-zone a to-zone b policy p match source-address any
        set security policies from-zone a to-zone b policy p match destination-address any
        set security policies from-zone a to-zone b policy p match application junos-http
        set security policies from-zone a to-zone b policy p match application junos-https
        set security policies from-zone a to-zone b policy p match application junos-dns-udp
        set security policies from-zone a to-zone b policy p match application junos-ntp
        set security policies from-zone a to-zone b policy p match application junos-ping
        set security policies from-zone a to-zone b policy p then permit
    """)
    assert not pc.unsupported, reasons(pc)
    got = [(r.protocol, r.dst_ports, r.icmp_type, r.family) for r in rules(pc, "a>b")]
    assert got == [
        ("tcp", ((80, 80), (443, 443)), None, None),
        ("udp", ((53, 53), (123, 123)), None, None),
        ("icmp", (), 8, 4),
    ]


def test_unknown_application_permit_widens_and_deny_is_left_out() -> None:
    pc = parse_text("""\
        set security policies from-zone a to-zone b policy d match source-address any
        set security policies from-zone a to-zone b policy d match destination-address any
        set security policies from-zone a to-zone b policy d match application junos-rdp
        set security policies from-zone a to-zone b policy d then deny
        set security policies from-zone a to-zone b policy p match source-address any
        set security policies from-zone a to-zone b policy p match destination-address any
        set security policies from-zone a to-zone b policy p match application junos-made-up
        set security policies from-zone a to-zone b policy p then permit
        set security policies from-zone a to-zone b policy n match source-address nowhere
        set security policies from-zone a to-zone b policy n match destination-address any
        set security policies from-zone a to-zone b policy n match application junos-ftp
        set security policies from-zone a to-zone b policy n then permit
    """)
    assert [(r.name, r.action, r.protocol) for r in rules(pc, "a>b")] == [
        ("a>b:p:1", "permit", None),  # read as any application
        ("a>b:n:1", "permit", "tcp"),  # read as any source address
    ]
    text = reasons(pc)
    assert "predefined application junos-rdp is not known" in text and "left out" in text
    assert "predefined application junos-made-up is not known" in text
    assert "address nowhere is not defined" in text
    assert "application-layer gateway" in text  # junos-ftp opens data connections
    assert {u.line for u in pc.unsupported} == {3, 7, 9, 11}


def test_unmodelled_conditions_err_toward_permit() -> None:
    pc = parse_text("""\
        set firewall filter F term frag from is-fragment
        set firewall filter F term frag then discard
        set firewall filter F term len from packet-length 0-100
        set firewall filter F term len from protocol udp
        set firewall filter F term len then accept
        set firewall filter F term est from tcp-established
        set firewall filter F term est then accept
        set firewall filter F term dns from destination-port 53
        set firewall filter F term dns then accept
    """)
    got = [(r.name, r.action, r.protocol, r.established, r.dst_ports) for r in rules(pc, "F")]
    assert got == [
        # `frag` (discard) is left out; `len` (accept) is read without packet-length
        ("F:len:1", "permit", "udp", False, ()),
        ("F:est:1", "permit", "tcp", True, ()),
        ("F:dns:1", "permit", "tcp", False, ((53, 53),)),
        ("F:dns:2", "permit", "udp", False, ((53, 53),)),
    ]
    lines = sorted(u.line for u in pc.unsupported)
    assert lines == [1, 3, 6, 8]


def test_address_and_either_port_and_except_ports() -> None:
    pc = parse_text("""\
        set firewall filter F term t from address 10.0.0.0/8
        set firewall filter F term t from protocol tcp
        set firewall filter F term t from destination-port-except 0-1023
        set firewall filter F term t then accept
    """)
    a, b = rules(pc, "F")
    assert (a.sources, a.destinations) == ((net("10.0.0.0/8"),), ())
    assert (b.sources, b.destinations) == ((), (net("10.0.0.0/8"),))
    assert a.dst_ports == b.dst_ports == ((1024, 65535),)
    assert filter_decides(pc, "F", pkt("8.8.8.8", "10.1.1.1", "tcp", 2000)) == "permit"
    assert filter_decides(pc, "F", pkt("8.8.8.8", "10.1.1.1", "tcp", 22)) == "deny"
    assert filter_decides(pc, "F", pkt("8.8.8.8", "9.9.9.9", "tcp", 2000)) == "deny"


def test_prefix_list_apply_path_and_nested_filter() -> None:
    pc = parse_text("""\
        set protocols bgp group ext neighbor 192.0.2.1 peer-as 65001
        set protocols bgp group ext neighbor 192.0.2.9 peer-as 65002
        set policy-options prefix-list bgp-peers apply-path "protocols bgp group <*> neighbor <*>"
        set firewall filter COMMON term bgp from source-prefix-list bgp-peers
        set firewall filter COMMON term bgp from protocol tcp
        set firewall filter COMMON term bgp from destination-port bgp
        set firewall filter COMMON term bgp then accept
        set firewall filter LO term common filter COMMON
        set firewall filter LO term rest then discard
    """)
    assert not pc.unsupported, reasons(pc)
    (bgp,) = rules(pc, "COMMON")
    assert bgp.sources == (net("192.0.2.1/32"), net("192.0.2.9/32"))
    assert [(r.name, r.action) for r in rules(pc, "LO")] == [
        ("LO:common:1", "permit"),
        ("LO:rest:1", "deny"),
    ]


def test_inet6_filter_named_like_an_inet_filter() -> None:
    pc = parse_text("""\
        set firewall family inet filter F term a then accept
        set firewall family inet6 filter F term a then discard
        set interfaces ge-0/0/0 unit 0 family inet filter input F
        set interfaces ge-0/0/0 unit 0 family inet6 filter input F
    """)
    assert list(pc.filters) == ["F", "inet6:F"]
    assert [b.filter for b in pc.bindings] == ["F", "inet6:F"]
    assert rules(pc, "inet6:F")[0].family == 6


def test_groups_and_logical_systems_are_reported() -> None:
    pc = parse_text("""\
        set groups G firewall filter F term a then accept
        set apply-groups G
        set groups UNUSED firewall filter X term a then accept
        set logical-systems LS1 firewall filter F term a then accept
        set logical-systems LS1 system host-name ls1
    """)
    assert pc.filters == {}
    assert [u.line for u in pc.unsupported] == [1, 4]
    assert "apply-groups" in pc.unsupported[0].reason
    assert "logical-systems LS1" in pc.unsupported[1].reason


def test_syntax_problems_are_reported_not_raised() -> None:
    pc = parse_text("""\
        firewall {
            filter F {
                term a {
                    then accept;
                }
        }
        set firewall filter G term a then accept
        garbage line without end
    """)
    assert "F" in pc.filters
    assert any(u.reason.startswith("syntax:") for u in pc.unsupported)


def test_never_raises_on_damaged_configurations() -> None:
    texts = [p.read_text() for p in _corpus_files()]
    texts.append((ROOT / "tests" / "golden" / "junos-srx" / "minimal" / "fw-1.junos").read_text())
    texts += [textwrap.dedent(t) for t in (FILTERS_CURLY, SRX_CURLY, SRX_SET, DELETE_CURLY)]
    rng = random.Random(5)
    junk = ["{", "}", ";", "[", "]", '"', "/*", "*/", "#", "except", "inactive:", "replace:"]
    junk += ["delete", "delete:", "insert", "before", "rename", "to", "deactivate", "term"]
    junk += ["from", "then", "filter", "0-", "999999", "::", "1.2.3.4/33", "junos-x", "<*>"]
    for _ in range(300):
        lines = rng.choice(texts).splitlines()
        for _ in range(rng.randint(1, 8)):
            k = rng.randrange(len(lines))
            how = rng.randrange(5)
            words = lines[k].split()
            if how == 0:
                del lines[k]
            elif how == 1:
                lines.insert(k, lines[rng.randrange(len(lines))])
            elif how == 2 and words:
                words[rng.randrange(len(words))] = rng.choice(junk)
                lines[k] = " ".join(words)
            elif how == 3:
                lines[k] = lines[k][: rng.randrange(len(lines[k]) + 1)]
            else:
                words.insert(rng.randrange(len(words) + 1), rng.choice(junk))
                lines[k] = " ".join(words)
            if not lines:
                break
        pc = parse("\n".join(lines), "damaged.conf")
        assert isinstance(pc, ParsedConfig)


def test_several_statements_on_one_line() -> None:
    pc = parse_text("""\
        set firewall filter F term t from protocol tcp destination-port 22 source-address 10.0.0.0/8
        set firewall filter F term t then accept
        set interfaces ge-0/0/0 unit 0 family inet filter input F output F
        set security policies global policy g match source-address any destination-address any
        set security policies global policy g match application junos-ssh from-zone [ a b ]
        set security policies global policy g match to-zone any
        set security policies global policy g then deny log session-init
    """)
    assert not pc.unsupported, reasons(pc)
    (t,) = rules(pc, "F")
    assert (t.protocol, t.dst_ports, t.sources) == ("tcp", ((22, 22),), (net("10.0.0.0/8"),))
    assert [b.direction for b in pc.bindings if b.filter == "F"] == ["in", "out"]
    got = [(r.name, r.from_zone, r.to_zone, r.action, r.log) for r in rules(pc, "global")]
    assert got == [
        ("global:g:1", "a", ANY_ZONE, "deny", "LOG"),
        ("global:g:2", "b", ANY_ZONE, "deny", "LOG"),
    ]
