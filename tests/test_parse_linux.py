"""Parsers of running nftables and iptables rule sets (segcfg.platforms.{nftables,iptables}.parse).

1. The shared corpus (aerleon's nftables sample output) parses, with concrete checks.
2. Round trip: our own generated files parse back into filters that decide every sampled new
   connection exactly as the compiled rule set does (``segcfg.evaluate.decide``).
3. The real tools: ``nft -j list ruleset`` (JSON), ``nft list ruleset`` and ``iptables-save``,
   run on our files loaded inside a private network namespace (never the host's rule set),
   parse to the same rules as the files.
4. Each syntax feature, and what is reported as unsupported.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from segcfg.compile import compile_site
from segcfg.errors import InputError
from segcfg.evaluate import Packet, decide, rule_matches
from segcfg.ir import Rule, RuleSet
from segcfg.load import LoadedSite, load_site
from segcfg.model.site import IPNetwork
from segcfg.parsed import Filter, ParsedConfig
from segcfg.platforms.iptables.parse import parse as parse_ipt
from segcfg.platforms.nftables.parse import parse as parse_nft
from segcfg.platforms.parsers import parser_for
from segcfg.render import render_ruleset
from segcfg.resolve import Resolver

from .conftest import EXAMPLE, ROOT, TODAY

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GOLDEN = ROOT / "tests" / "golden"
GENERATED = ROOT / "generated" / "example-general"
MINIMAL = GOLDEN / "sites" / "minimal"

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


# ---------------------------------------------------------------------------------------------
# Helpers: evaluate a parsed config, sample packets of a compiled rule set.


def parsed_decision(pc: ParsedConfig, pkt: Packet) -> str:
    """First match in every bound filter (a packet must pass all of them); ``pkt`` carries
    interface names in ``from_zone``/``to_zone``."""
    if pc.stateful and pkt.established:
        return "permit"
    assert pc.bindings, "no filter is bound to the forward path"
    for binding in pc.bindings:
        if filter_decision(pc.filters[binding.filter], pkt) == "deny":
            return "deny"
    return "permit"


def filter_decision(f: Filter, pkt: Packet) -> str:
    for pr in f.rules:
        if rule_matches(pr.rule, pkt):
            return pr.rule.action
    return f.default


def core(rule: Rule) -> Rule:
    """A rule without what depends on where it was written (remarks name lines)."""
    return replace(rule, remarks=())


def forward(pc: ParsedConfig) -> Filter:
    assert len(pc.bindings) == 1
    return pc.filters[pc.bindings[0].filter]


# (source, destination) address picks: first (0), last (1) or random (2) of a network
CORNERS = ((0, 0), (1, 1), (0, 1), (1, 0), (2, 2), (2, 2))


class Sampler:
    """Packets between the zones behind one enforcement point: inside each compiled rule's
    match, and random ones among site addresses and ports."""

    COMMON_PORTS = (20, 21, 22, 23, 53, 80, 104, 123, 161, 443, 2575, 3389, 5900, 8443, 11112)

    def __init__(self, loaded: LoadedSite, rs: RuleSet, families: tuple[int, ...]) -> None:
        self.rs = rs
        self.families = families
        resolver = Resolver(loaded)
        self.zones = sorted({b.zone for b in rs.interfaces})
        self.nets: dict[str, tuple[IPNetwork, ...]] = {
            z: resolver.zone_endpoint(resolver.zones[z]).networks for z in self.zones
        }
        ports = {p for r in rs.rules for lo, hi in r.dst_ports + r.src_ports for p in (lo, hi)}
        self.ports = sorted(
            {
                *self.COMMON_PORTS,
                *ports,
                *(p + 1 for p in ports if p < 65535),
                *(p - 1 for p in ports),
            }
        )
        self.rule_nets = [n for r in rs.rules for n in (*r.sources, *r.destinations)]

    @staticmethod
    def address_in(rng: random.Random, nets: list[IPNetwork], corner: int | None = None) -> IPAddr:
        """An address of one of ``nets``: its first (``corner`` 0), last (1) or a random one."""
        net = rng.choice(nets)
        offsets = [0, net.num_addresses - 1, rng.randrange(net.num_addresses)]
        return net.network_address + (rng.choice(offsets) if corner is None else offsets[corner])

    def zone_of(self, addr: IPAddr) -> str | None:
        best: tuple[int, str] | None = None
        for z, nets in self.nets.items():
            for n in nets:
                if addr in n and (best is None or n.prefixlen > best[0]):
                    best = (n.prefixlen, z)
        return best[1] if best else None

    def _end(
        self,
        rng: random.Random,
        zone: str,
        net: IPNetwork | None,
        family: int,
        corner: int | None = None,
    ) -> tuple[str, IPAddr] | None:
        """A packet end: in ``net`` if given (its zone found when ``zone`` is any), else
        anywhere in the zone."""
        if net is not None:
            addr = self.address_in(rng, [net], corner)
            if zone == "*":
                found = self.zone_of(addr)
                zone = found if found is not None else rng.choice(self.zones)
            return zone, addr
        if zone == "*":
            zone = rng.choice(self.zones)
        candidates = [n for n in self.nets[zone] if n.version == family]
        if not candidates:
            return None
        return zone, self.address_in(rng, candidates)

    def _packet(
        self,
        rng: random.Random,
        src: tuple[str, IPAddr],
        dst: tuple[str, IPAddr],
        protocol: str | None,
        ports: tuple[tuple[int, int] | None, tuple[int, int] | None],
        icmp_type: int | None,
        i: int,
    ) -> Packet:
        icmp = "icmp" if src[1].version == 4 else "icmpv6"
        protocol = protocol or rng.choice(["tcp", "udp", icmp])

        def port(r: tuple[int, int] | None, default: int) -> int:
            if r is None:
                return default
            return [r[0], r[1], rng.randint(*r)][i % 3]

        if icmp_type is None:
            icmp_type = rng.choice([0, 3, 8, 128, 129])
        return Packet(
            from_zone=src[0],
            to_zone=dst[0],
            protocol=protocol,
            src=src[1],
            dst=dst[1],
            sport=port(ports[0], rng.randrange(1024, 65536)),
            dport=port(ports[1], rng.choice(self.ports)),
            icmp_type=icmp_type if protocol in ("icmp", "icmpv6") else None,
        )

    def _rule_packets(self, rng: random.Random, rule: Rule, per_rule: int) -> list[Packet]:
        """Packets inside the rule's match: every source network, destination network and
        port range of the rule is used, with the first and last addresses of the networks
        and the ends of the port ranges."""
        out: list[Packet] = []
        for family in (f for f in self.families if rule.family in (None, f)):
            srcs: list[IPNetwork | None] = [n for n in rule.sources if n.version == family]
            dsts: list[IPNetwork | None] = [n for n in rule.destinations if n.version == family]
            if (rule.sources and not srcs) or (rule.destinations and not dsts):
                continue
            srcs, dsts = srcs or [None], dsts or [None]
            sports: list[tuple[int, int] | None] = [*rule.src_ports] or [None]
            dports: list[tuple[int, int] | None] = [*rule.dst_ports] or [None]
            count = max(len(srcs), len(dsts), len(sports), len(dports))
            for i in range(max(len(CORNERS) * count, per_rule)):
                corners = CORNERS[(i // count) % len(CORNERS)]
                src = self._end(rng, rule.from_zone, srcs[i % len(srcs)], family, corners[0])
                dst = self._end(rng, rule.to_zone, dsts[i % len(dsts)], family, corners[1])
                if src is None or dst is None or src[0] == dst[0]:
                    continue
                ports = (sports[i % len(sports)], dports[i % len(dports)])
                out.append(
                    self._packet(rng, src, dst, rule.protocol, ports, rule.icmp_type, i // count)
                )
        return out + self._just_outside(out[: len(out) // len(CORNERS) + 1], rule)

    @staticmethod
    def _just_outside(inside: list[Packet], rule: Rule) -> list[Packet]:
        """Each packet moved just outside one bound of the rule: a port one below or above a
        range, an address one before or after a network."""
        out: list[Packet] = []
        for pkt in inside:
            for attr, ranges in (("sport", rule.src_ports), ("dport", rule.dst_ports)):
                for lo, hi in ranges:
                    out.extend(
                        replace(pkt, **{attr: p}) for p in (lo - 1, hi + 1) if 0 <= p < 65536
                    )
            for attr, nets in (("src", rule.sources), ("dst", rule.destinations)):
                for net in nets:
                    if net.version != pkt.src.version or net.prefixlen == 0:
                        continue
                    first, last = int(net.network_address), int(net.broadcast_address)
                    top = 2**32 if net.version == 4 else 2**128
                    for a in (first - 1, last + 1):
                        if 0 <= a < top:
                            addr = (
                                ipaddress.ip_address(a)
                                if net.version == 4
                                else ipaddress.IPv6Address(a)
                            )
                            out.append(replace(pkt, **{attr: addr}))
        return out

    def packets(self, seed: int, per_rule: int = 6, random_count: int = 400) -> list[Packet]:
        rng = random.Random(seed)
        out: list[Packet] = []
        for rule in self.rs.rules:
            out.extend(self._rule_packets(rng, rule, per_rule))
        for i in range(random_count):
            family = rng.choice(self.families)
            nets = [n for n in self.rule_nets if n.version == family]
            ends = [
                self._end(rng, "*", rng.choice(nets), family)
                if nets and rng.random() < 0.5
                else self._end(rng, rng.choice(self.zones), None, family)
                for _side in range(2)
            ]
            src, dst = ends
            if src is None or dst is None or src[0] == dst[0]:
                continue
            out.append(self._packet(rng, src, dst, None, (None, None), None, i))
        return out

    def on_interfaces(self, pkt: Packet) -> Packet:
        iif, oif = self.rs.zone_interface(pkt.from_zone), self.rs.zone_interface(pkt.to_zone)
        assert iif is not None and oif is not None
        return replace(pkt, from_zone=iif, to_zone=oif)


def assert_same_decisions(
    loaded: LoadedSite, rs: RuleSet, pc: ParsedConfig, families: tuple[int, ...], seed: int
) -> int:
    sampler = Sampler(loaded, rs, families)
    packets = sampler.packets(seed)
    mismatches = []
    outcomes = set()
    for pkt in packets:
        expected = decide(rs, pkt)[0]
        outcomes.add(expected)
        actual = parsed_decision(pc, sampler.on_interfaces(pkt))
        if expected != actual:
            mismatches.append((pkt, expected, actual))
    assert not mismatches, f"{len(mismatches)} of {len(packets)} differ: {mismatches[:5]}"
    assert outcomes == {"permit", "deny"}  # the samples exercise both outcomes
    return len(packets)


def compiled(site: Path, name: str, platform: str | None) -> tuple[LoadedSite, RuleSet]:
    loaded = load_site(site)
    (rs,) = compile_site(loaded, TODAY, platform, only=[name])
    return loaded, rs


# ---------------------------------------------------------------------------------------------
# 1. The corpus.


@pytest.fixture(scope="module")
def corpus() -> Path:
    folder = CORPUS / "nftables"
    if not folder.is_dir():
        pytest.fail(f"shared corpus missing: {folder} (clone the repository next to shared/)")
    return folder


def test_corpus_every_file_parses(corpus: Path) -> None:
    files = sorted(corpus.iterdir())
    assert files
    for path in files:
        pc = parse_nft(path.read_text(), str(path))
        assert pc.filters, path
        assert all(f.kind == "chain" for f in pc.filters.values())


def test_corpus_aerleon_sample(corpus: Path) -> None:
    path = corpus / "aerleon_sample_nftables.nft.ref"
    pc = parse_nft(path.read_text(), str(path))
    assert pc.platform == "nftables"
    assert list(pc.filters) == [
        "inet filtering_policies root0",
        "inet filtering_policies root3",
        "ip filtering_policies root1",
        "ip filtering_policies root2",
        "ip filtering_policies root6",
        "ip6 filtering_policies root4",
        "ip6 filtering_policies root5",
    ]
    assert pc.bindings == ()  # input and output hooks only: nothing on the forward path
    assert pc.stateful  # every base chain accepts established,related first
    assert pc.unsupported == ()
    assert pc.filters["ip filtering_policies root2"].default == "permit"
    assert pc.filters["ip filtering_policies root1"].default == "deny"

    # root3: "jump default-deny" drops everything first; the later terms are shadowed.
    root3 = pc.filters["inet filtering_policies root3"]
    assert root3.line == 25
    first = root3.rules[0]
    assert (first.line, first.text) == (29, "jump default-deny")
    assert first.rule.name == "default-deny:11"
    assert (first.rule.action, first.rule.protocol, first.rule.family) == ("deny", None, None)
    tuple_term = root3.rules[1].rule
    assert tuple_term.name == "full-tuple-term:14"
    assert tuple_term.action == "permit"
    assert tuple_term.family == 4 and tuple_term.protocol == "tcp"
    assert [str(n) for n in tuple_term.sources] == ["200.1.1.1/32", "200.1.1.2/32"]
    assert [str(n) for n in tuple_term.destinations] == ["8.8.4.4/32", "8.8.8.8/32"]
    assert tuple_term.src_ports == ((53, 53),) and tuple_term.dst_ports == ((53, 53),)
    v6 = [r.rule for r in root3.rules if r.rule.family == 6]
    assert len(v6) == 1 and v6[0].action == "deny"
    assert ipaddress.ip_network("4000::/2") in v6[0].sources  # 4000::-ffff:...: exact CIDRs
    assert [str(n) for n in v6[0].sources] == [  # 24 elements, exactly these addresses
        "::/3",
        "2001:db8::/32",
        "3ffe::/16",
        "4000::/2",
        "8000::/1",
    ]

    # root6 (ip table): IPv6 never traverses it; then the inlined terms.
    root6 = [r.rule for r in pc.filters["ip filtering_policies root6"].rules]
    assert (root6[0].family, root6[0].action, root6[0].protocol) == (6, "permit", None)
    icmp = root6[1]
    assert (icmp.protocol, icmp.family, [str(n) for n in icmp.sources]) == (
        "icmp",
        4,
        ["200.1.1.3/32"],
    )
    assert [(r.protocol, r.icmp_type) for r in root6[2:4]] == [("icmp", 0), ("icmp", 8)]
    rdp = next(r for r in root6 if r.log is not None)
    assert rdp.log == "test-src-rdp" and rdp.src_ports == ((3389, 3389),)
    high = [r for r in root6 if r.dst_ports == ((1024, 65535),)]
    assert [r.protocol for r in high] == ["tcp", "udp"]
    assert all(r.family == 4 for r in root6[1:])

    # root1: the chain allow-anything is declared twice; nft appends, so do we.
    root1 = pc.filters["ip filtering_policies root1"].rules
    assert [r.rule.name for r in root1] == ["root1:39", "allow-anything:37", "allow-anything:46"]


# ---------------------------------------------------------------------------------------------
# 2. Round trip of our own output.

ROUND_TRIPS = [
    # (site, enforcement point, platform override, file, families compared)
    (MINIMAL, "fw-1", "nftables", GOLDEN / "nftables" / "minimal" / "fw-1.nft", (4, 6)),
    (MINIMAL, "fw-1", "iptables", GOLDEN / "iptables" / "minimal" / "fw-1.rules", (4,)),
    (EXAMPLE, "lab-nft", None, GENERATED / "lab-nft.nft", (4, 6)),
    # IPv4 only: the iptables output leaves the IPv6 rules of the rule set out (it says so)
    (EXAMPLE, "edge-ipt", None, GENERATED / "edge-ipt.rules", (4,)),
]


@pytest.mark.parametrize(
    ("site", "ep", "platform", "path", "families"),
    ROUND_TRIPS,
    ids=[f"{p.parent.name}/{p.name}" for *_, p, _ in ROUND_TRIPS],
)
def test_round_trip(
    site: Path, ep: str, platform: str | None, path: Path, families: tuple[int, ...]
) -> None:
    loaded, rs = compiled(site, ep, platform)
    pc = parser_for(rs.platform)(path.read_text(), str(path))
    assert pc.unsupported == ()
    assert pc.stateful == rs.stateful
    fwd = forward(pc)
    assert fwd.default == "deny"
    names = {r.name for r in rs.rules if r.family is None or r.family in families}
    assert names <= {pr.rule.name for pr in fwd.rules}
    assert_same_decisions(loaded, rs, pc, families, seed=11)


def test_round_trip_ipv6_through_nftables() -> None:
    """edge-ipt rendered for nftables keeps its IPv6 rules: they parse back exactly too."""
    loaded, rs = compiled(EXAMPLE, "edge-ipt", "nftables")
    assert any(r.family == 6 for r in rs.rules)
    pc = parse_nft(render_ruleset(rs), "edge-ipt.nft")
    assert pc.unsupported == ()
    assert any(pr.rule.family == 6 for pr in forward(pc).rules)
    count = assert_same_decisions(loaded, rs, pc, (4, 6), seed=12)
    assert count > 200


@pytest.mark.parametrize(
    ("site", "ep", "platform", "path", "families"),
    ROUND_TRIPS,
    ids=[f"{p.parent.name}/{p.name}" for *_, p, _ in ROUND_TRIPS],
)
def test_round_trip_rules_match_the_compiled_ones(
    site: Path, ep: str, platform: str | None, path: Path, families: tuple[int, ...]
) -> None:
    """Beyond decisions: each compiled rule comes back field for field, as one parsed rule
    (nftables) or one per source x destination network (iptables), log tag included."""
    _, rs = compiled(site, ep, platform)
    pc = parser_for(rs.platform)(path.read_text(), str(path))
    back: dict[str, list[Rule]] = {}
    for pr in forward(pc).rules:
        back.setdefault(pr.rule.name, []).append(pr.rule)
    iface = {b.zone: b.interface for b in rs.interfaces}
    for r in rs.rules:
        if r.family is not None and r.family not in families:
            assert r.name not in back
            continue
        parsed = back.pop(r.name)
        for p in parsed:
            assert (p.from_zone, p.to_zone) == (
                iface.get(r.from_zone, "*"),
                iface.get(r.to_zone, "*"),
            )
            assert (p.action, p.protocol, p.src_ports, p.dst_ports, p.icmp_type, p.log) == (
                r.action,
                r.protocol,
                r.src_ports,
                r.dst_ports,
                r.icmp_type,
                r.log,
            )
        pairs = {
            (s, d) for p in parsed for s in p.sources or [None] for d in p.destinations or [None]
        }
        assert pairs == {(s, d) for s in r.sources or [None] for d in r.destinations or [None]}
    assert back == {}


# ---------------------------------------------------------------------------------------------
# 3. Through the real tools, in a private network namespace (never the host's rule set).


def _in_private_netns(script: str, path: Path) -> str:
    if os.geteuid() != 0:
        pytest.fail("needs root for a private network namespace; it never passes without it")
    for tool in ("unshare", "nft", "iptables-restore", "iptables-save"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found")
    out = subprocess.run(
        ["unshare", "--net", "sh", "-c", script, "sh", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


NFT_FILES = [
    (MINIMAL, "fw-1", "nftables", GOLDEN / "nftables" / "minimal" / "fw-1.nft"),
    (EXAMPLE, "lab-nft", None, GENERATED / "lab-nft.nft"),
]
IPT_FILES = [
    (MINIMAL, "fw-1", "iptables", GOLDEN / "iptables" / "minimal" / "fw-1.rules"),
    (EXAMPLE, "edge-ipt", None, GENERATED / "edge-ipt.rules"),
]


@pytest.mark.netns
@pytest.mark.parametrize(
    ("site", "ep", "platform", "path"), NFT_FILES, ids=[p.name for *_, p in NFT_FILES]
)
def test_nft_json_and_listing_equal_file(
    site: Path, ep: str, platform: str | None, path: Path
) -> None:
    out = _in_private_netns('nft -f "$1" && nft -j list ruleset', path)
    assert json.loads(out)["nftables"]
    from_json = parse_nft(out, "ruleset.json")
    from_text = parse_nft(path.read_text(), str(path))
    assert from_json.unsupported == ()
    assert from_json.stateful == from_text.stateful
    assert list(from_json.filters) == list(from_text.filters)
    assert [core(r.rule) for r in forward(from_json).rules] == [
        core(r.rule) for r in forward(from_text).rules
    ]
    # JSON lines are pseudo lines: the index of the object in the nftables array
    first = forward(from_json).rules[0]
    assert isinstance(json.loads(out)["nftables"][first.line - 1]["rule"], dict)
    assert "comment" in first.text
    loaded, rs = compiled(site, ep, platform)
    assert_same_decisions(loaded, rs, from_json, (4, 6), seed=13)
    # and nft's own text listing (with handles as comments)
    listed = parse_nft(_in_private_netns('nft -f "$1" && nft -a list ruleset', path), "list")
    assert listed.unsupported == () and listed.stateful
    assert [core(r.rule) for r in forward(listed).rules] == [
        core(r.rule) for r in forward(from_text).rules
    ]


@pytest.mark.netns
@pytest.mark.parametrize(
    ("site", "ep", "platform", "path"), IPT_FILES, ids=[p.name for *_, p in IPT_FILES]
)
def test_iptables_save_equals_file(site: Path, ep: str, platform: str | None, path: Path) -> None:
    out = _in_private_netns('iptables-restore < "$1" && iptables-save', path)
    assert "-m tcp" in out or "-m udp" in out  # iptables-save rewrote the options
    saved = parse_ipt(out, "iptables-save")
    original = parse_ipt(path.read_text(), str(path))
    assert saved.unsupported == ()
    assert saved.stateful and original.stateful
    assert [core(r.rule) for r in forward(saved).rules] == [
        core(r.rule) for r in forward(original).rules
    ]
    loaded, rs = compiled(site, ep, platform)
    assert_same_decisions(loaded, rs, saved, (4,), seed=14)


@pytest.mark.netns
def test_corpus_json_equals_text(corpus: Path, tmp_path: Path) -> None:
    """The aerleon sample through nft itself (nft refuses its repeated chain comments, which
    carry no rules, so those lines are left out of what is loaded)."""
    text = (corpus / "aerleon_sample_nftables.nft.ref").read_text()
    kept: list[str] = []
    commented = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("chain "):
            commented = False
        elif stripped.startswith("comment "):
            if commented:
                continue
            commented = True
        kept.append(line)
    loadable = tmp_path / "corpus.nft"
    loadable.write_text("\n".join(kept) + "\n")
    out = _in_private_netns('nft -f "$1" && nft -j list ruleset', loadable)
    from_json = parse_nft(out, "corpus.json")
    from_text = parse_nft(text, "corpus.nft")
    assert list(from_json.filters) == list(from_text.filters)
    for name, f in from_text.filters.items():
        assert [replace(core(r.rule), name="") for r in from_json.filters[name].rules] == [
            replace(core(r.rule), name="") for r in f.rules
        ], name


# ---------------------------------------------------------------------------------------------
# 4. Syntax features, nftables.


def nft(body: str, *, policy: str = "drop", family: str = "inet", extra: str = "") -> ParsedConfig:
    text = (
        f"table {family} t {{\n{extra}"
        f"    chain fwd {{\n        type filter hook forward priority filter; policy {policy};\n"
        f"{body}\n    }}\n}}\n"
    )
    return parse_nft(text, "t.nft")


def rules_of(pc: ParsedConfig) -> list[Rule]:
    return [r.rule for r in forward(pc).rules]


def test_nft_generated_file_commands() -> None:
    text = """#!/usr/sbin/nft -f
flush ruleset
table ip old { chain c { type filter hook forward priority 0; drop } }
flush ruleset
table inet t {}
delete table inet t
table inet t {
    chain forward {
        type filter hook forward priority filter; policy drop;
        tcp dport 22 accept # ssh
    }
}
"""
    pc = parse_nft(text, "f.nft")
    assert list(pc.filters) == ["inet t forward"]
    assert pc.bindings[0].filter == "inet t forward" and pc.bindings[0].line == 8
    (rule,) = rules_of(pc)
    assert (rule.name, rule.protocol, rule.dst_ports, rule.family) == (
        "forward:10",
        "tcp",
        ((22, 22),),
        None,
    )
    assert forward(pc).rules[0].text == "tcp dport 22 accept # ssh"


def test_nft_policies_and_hooks() -> None:
    assert forward(nft("", policy="accept")).default == "permit"
    text = """table inet t {
  chain f { type filter hook forward priority 0; }
  chain i { type filter hook input priority 0; policy drop; }
  chain o { type filter hook output priority 0; policy accept; }
  chain n { type nat hook postrouting priority 100; masquerade }
}"""
    pc = parse_nft(text, "t.nft")
    assert pc.filters["inet t f"].default == "permit"  # no policy: accept
    assert [b.filter for b in pc.bindings] == ["inet t f"]
    assert pc.filters["inet t i"].default == "deny"
    assert "inet t n" not in pc.filters
    assert pc.unsupported == ()  # masquerade in a nat chain decides nothing


def test_nft_command_forms_and_defines() -> None:
    text = """define MGMT = { 10.0.0.1, 10.0.0.2 }
define SSH = 22
add table inet t
add chain inet t fwd { type filter hook forward priority 0 ; policy drop ; }
add rule inet t fwd ip saddr $MGMT tcp dport $SSH accept
insert rule inet t fwd ip saddr 10.9.9.9 drop
"""
    pc = parse_nft(text, "t.nft")
    rules = rules_of(pc)
    assert [r.action for r in rules] == ["deny", "permit"]
    assert [str(n) for n in rules[1].sources] == ["10.0.0.1/32", "10.0.0.2/32"]
    assert rules[1].dst_ports == ((22, 22),)


def test_nft_named_sets_and_ranges() -> None:
    extra = """    set blocked {
        type ipv4_addr
        flags interval
        elements = { 10.0.0.1-10.0.0.6,
                     192.168.0.0/16 }
    }
    set ifs { type ifname; elements = { "eth1", "eth2" } }
"""
    pc = nft("iifname @ifs ip saddr @blocked drop", extra=extra)
    rules = rules_of(pc)
    assert [r.from_zone for r in rules] == ["eth1", "eth2"]
    assert [str(n) for n in rules[0].sources] == [
        "10.0.0.1/32",
        "10.0.0.2/31",
        "10.0.0.4/31",
        "10.0.0.6/32",
        "192.168.0.0/16",
    ]
    assert rules[0].family == 4


def test_nft_interfaces_protocols_ports() -> None:
    pc = nft(
        """        iifname { "a", "b" } oifname "c" meta l4proto { tcp, udp } th dport 53 accept
        ip6 daddr 2001:db8::/64 udp sport 1-1023 udp dport { 123, 160-162 } accept
        tcp dport < 1024 drop
        ip protocol gre accept
        meta l4proto 50 accept"""
    )
    rules = rules_of(pc)
    dns = rules[:4]
    assert [(r.from_zone, r.to_zone, r.protocol) for r in dns] == [
        ("a", "c", "tcp"),
        ("a", "c", "udp"),
        ("b", "c", "tcp"),
        ("b", "c", "udp"),
    ]
    assert all(r.dst_ports == ((53, 53),) and r.family is None for r in dns)
    ntp = rules[4]
    assert (ntp.family, ntp.from_zone, ntp.src_ports, ntp.dst_ports) == (
        6,
        "*",
        ((1, 1023),),
        ((123, 123), (160, 162)),
    )
    assert rules[5].dst_ports == ((0, 1023),) and rules[5].action == "deny"
    assert (rules[6].protocol, rules[6].family) == ("gre", 4)
    assert rules[7].protocol == "esp"


def test_nft_icmp() -> None:
    rules = rules_of(
        nft(
            """        icmp type echo-request accept
        meta l4proto icmp icmp type 8 accept
        icmpv6 type { echo-request, nd-neighbor-solicit } accept
        meta l4proto ipv6-icmp accept"""
        )
    )
    assert [(r.protocol, r.icmp_type) for r in rules] == [
        ("icmp", 8),
        ("icmp", 8),
        ("icmpv6", 128),
        ("icmpv6", 135),
        ("icmpv6", None),
    ]


def test_nft_conntrack() -> None:
    pc = nft(
        """        ct state invalid drop
        ct state established,related counter accept
        ct state new tcp dport 22 accept"""
    )
    assert pc.stateful
    (rule,) = rules_of(pc)
    assert rule.dst_ports == ((22, 22),) and rule.action == "permit"
    after_permit = nft(
        """        iif lo accept
        ct state established accept"""
    )
    assert after_permit.stateful  # a permit before it takes no reply away
    late = nft(
        """        tcp dport 22 drop
        ct state { established, related } accept"""
    )
    assert not late.stateful
    assert late.unsupported[0].line == 5
    assert "established" in late.unsupported[0].reason
    partial = nft("        iifname eth0 ct state established accept")
    assert not partial.stateful and len(partial.unsupported) == 1
    vmap = nft(
        """        ct state vmap { invalid : drop, established : accept, related : accept }
        ct state vmap { new : jump x }"""
    )
    assert vmap.stateful
    assert [u.reason for u in vmap.unsupported] == ["jump to unknown chain 'x'"]


def test_nft_log_comment_verdicts() -> None:
    rules = rules_of(
        nft(
            """        ip saddr 10.0.0.0/8 log prefix "SCAN-SWEEP " drop comment "R00042 scan"
        tcp dport 23 reject with tcp reset comment "no telnet"
        log prefix "X " udp dport 9 accept
        log accept"""
        )
    )
    assert [(r.name, r.action, r.log) for r in rules] == [
        ("R00042", "deny", "SCAN-SWEEP"),
        ("fwd:5", "deny", None),
        ("fwd:6", "permit", "X"),
        ("fwd:7", "permit", ""),
    ]
    assert rules[0].remarks == ("R00042 scan",)
    assert rules[1].remarks == ("no telnet",)


def test_nft_jump_goto_return() -> None:
    text = """table inet t {
    chain mgmt {
        ip saddr 10.0.0.10 accept
        tcp dport 22 drop
    }
    chain web {
        tcp dport 443 accept
        return
        tcp dport 80 accept
    }
    chain scan {
        log prefix "SCAN "
        drop
    }
    chain fwd {
        type filter hook forward priority 0; policy drop;
        iifname "m" jump mgmt
        udp dport 53 jump mgmt
        ip saddr 10.9.0.0/16 goto scan
        jump web
        ip daddr 10.8.0.0/16 return
        goto web
    }
}"""
    pc = parse_nft(text, "t.nft")
    assert pc.unsupported == ()
    rules = forward(pc).rules
    got = [
        (pr.line, pr.rule.from_zone, pr.rule.protocol, pr.rule.dst_ports, pr.rule.action)
        for pr in rules
    ]
    assert got == [
        (17, "m", None, (), "permit"),  # iifname m AND ip saddr 10.0.0.10
        (17, "m", "tcp", ((22, 22),), "deny"),
        (18, "*", "udp", ((53, 53),), "permit"),  # udp dport 53 AND ip saddr 10.0.0.10
        # udp dport 53 AND tcp dport 22: nothing
        (19, "*", None, (), "deny"),  # goto scan: log then drop, one logged deny
        (20, "*", "tcp", ((443, 443),), "permit"),  # jump web; return ends it
        (21, "*", None, (), "deny"),  # return from the base chain: its policy
        (22, "*", "tcp", ((443, 443),), "permit"),  # goto web
        (22, "*", None, (), "deny"),  # return from a goto'd chain: the base policy
    ]
    assert [str(n) for n in rules[0].rule.sources] == ["10.0.0.10/32"]
    assert rules[3].rule.log == "SCAN"
    assert rules[4].rule.remarks == ("web:7: tcp dport 443 accept",)
    assert rules[4].rule.name == "web:7"


def test_nft_unsupported() -> None:
    pc = nft(
        """        ip saddr != 10.0.0.0/8 drop
        iifname "eth*" accept
        tcp dport 22 limit rate 10/second accept
        th dport 53 accept
        meta mark 0x1 accept
        ip saddr . tcp dport { 10.0.0.1 . 22 } accept
        ip saddr @missing accept
        tcp flags syn drop
        ip saddr 10.0.0.1 accept"""
    )
    reasons = {u.line: u.reason for u in pc.unsupported}
    assert set(reasons) == set(range(4, 12))
    assert "negated" in reasons[4]
    assert "wildcard" in reasons[5]
    assert "limit" in reasons[6]
    assert "sctp" in reasons[7]  # th also matches SCTP, DCCP, UDP-Lite
    assert "mark" in reasons[8]
    assert "concatenation" in reasons[9] or "'.'" in reasons[9]
    assert "missing" in reasons[10]
    assert "tcp flags" in reasons[11]
    assert pc.unsupported[0].text == "ip saddr != 10.0.0.0/8 drop"
    (rule,) = rules_of(pc)
    assert rule.name == "fwd:12"


def test_nft_conditional_return_in_jumped_chain_is_unsupported() -> None:
    text = """table ip t {
    chain sub {
        tcp dport 22 return
        drop
    }
    chain fwd {
        type filter hook forward priority 0; policy accept;
        jump sub
    }
}"""
    pc = parse_nft(text, "t.nft")
    assert [(u.line, u.text) for u in pc.unsupported] == [(3, "tcp dport 22 return")]


def test_nft_other_families_and_dormant() -> None:
    text = """table bridge b { chain f { type filter hook forward priority 0; drop } }
table netdev n { chain i { type filter hook ingress device eth0 priority 0; drop } }
table inet d { flags dormant
    chain f { type filter hook forward priority 0; policy drop; } }
table ip t { chain f { type filter hook forward priority 0; policy drop; tcp dport 22 accept } }
"""
    pc = parse_nft(text, "t.nft")
    assert list(pc.filters) == ["ip t f"]
    assert [u.line for u in pc.unsupported] == [1, 2]
    rules = rules_of(pc)
    assert (rules[0].family, rules[0].action) == (6, "permit")
    assert (rules[1].family, rules[1].protocol) == (4, "tcp")


def test_nft_prerouting_drop_is_unsupported() -> None:
    text = """table inet t { chain pre { type filter hook prerouting priority -150;
    ip saddr 10.0.0.0/8 drop
} }"""
    pc = parse_nft(text, "t.nft")
    assert pc.filters == {} and [u.line for u in pc.unsupported] == [2]


def test_nft_json_features_and_pseudo_lines() -> None:
    doc = {
        "nftables": [
            {"metainfo": {"json_schema_version": 1}},
            {"table": {"family": "inet", "name": "t", "handle": 1}},
            {
                "set": {
                    "family": "inet",
                    "table": "t",
                    "name": "s",
                    "type": "ipv4_addr",
                    "flags": ["interval"],
                    "elem": [
                        {"range": ["10.0.0.1", "10.0.0.2"]},
                        {"prefix": {"addr": "10.1.0.0", "len": 16}},
                    ],
                }
            },
            {
                "chain": {
                    "family": "inet",
                    "table": "t",
                    "name": "f",
                    "type": "filter",
                    "hook": "forward",
                    "prio": 0,
                    "policy": "drop",
                }
            },
            {
                "rule": {
                    "family": "inet",
                    "table": "t",
                    "chain": "f",
                    "expr": [
                        {
                            "match": {
                                "op": "==",
                                "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                                "right": "@s",
                            }
                        },
                        {
                            "match": {
                                "op": "==",
                                "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                                "right": {"set": [22, {"range": [80, 81]}]},
                            }
                        },
                        {"counter": {"packets": 0, "bytes": 0}},
                        {"log": {"prefix": "ADM "}},
                        {"accept": None},
                    ],
                    "comment": "R00007 admin",
                }
            },
            {
                "rule": {
                    "family": "inet",
                    "table": "t",
                    "chain": "f",
                    "expr": [
                        {
                            "match": {
                                "op": "!=",
                                "left": {"meta": {"key": "iifname"}},
                                "right": "lo",
                            }
                        },
                        {"drop": None},
                    ],
                }
            },
        ]
    }
    pc = parse_nft(json.dumps(doc, indent=2), "r.json")
    (pr,) = forward(pc).rules
    assert pr.line == 5  # the fifth object of the array
    assert pr.rule.name == "R00007" and pr.rule.log == "ADM"
    assert [str(n) for n in pr.rule.sources] == ["10.0.0.1/32", "10.0.0.2/32", "10.1.0.0/16"]
    assert pr.rule.dst_ports == ((22, 22), (80, 81))
    assert pr.text.startswith("ip saddr @s tcp dport { 22, 80-81 }")
    (u,) = pc.unsupported
    assert u.line == 6 and u.text == 'iifname != "lo" drop' and "negated" in u.reason
    assert forward(pc).line == 4


def test_nft_json_ct_vmap() -> None:
    vmap = {
        "vmap": {
            "key": {"ct": {"key": "state"}},
            "data": {
                "set": [["invalid", {"drop": None}], ["established", {"accept": None}]],
            },
        }
    }
    doc = {
        "nftables": [
            {"table": {"family": "ip", "name": "t"}},
            {
                "chain": {
                    "family": "ip",
                    "table": "t",
                    "name": "f",
                    "type": "filter",
                    "hook": "forward",
                    "policy": "accept",
                }
            },
            {"rule": {"family": "ip", "table": "t", "chain": "f", "expr": [vmap]}},
        ]
    }
    pc = parse_nft(json.dumps(doc), "r.json")
    assert pc.stateful and pc.unsupported == ()
    assert forward(pc).default == "permit"


def test_nft_bad_input() -> None:
    with pytest.raises(InputError, match=r"t\.nft:2"):
        parse_nft('table inet t {\n  chain c { comment "open\n}\n', "t.nft")
    with pytest.raises(InputError, match="invalid JSON"):
        parse_nft('{"nftables": [', "r.json")
    with pytest.raises(InputError, match="nftables"):
        parse_nft('{"other": 1}', "r.json")
    with pytest.raises(InputError):
        parse_nft("table inet t {\n chain c {\n", "t.nft")


# ---------------------------------------------------------------------------------------------
# 4. Syntax features, iptables.


def ipt(rules: str, *, forward_policy: str = "DROP", chains: str = "") -> ParsedConfig:
    text = (
        "*filter\n:INPUT ACCEPT [0:0]\n"
        f":FORWARD {forward_policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n{chains}{rules}\nCOMMIT\n"
    )
    return parse_ipt(text, "t.rules")


def test_ipt_filters_policies_tables() -> None:
    pc = parse_ipt(
        """# Generated by iptables-save
*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [5:300]
:OUTPUT ACCEPT [0:0]
[3:180] -A FORWARD -s 10.0.0.0/8,192.168.1.1 -p tcp --dport 22 -j DROP
COMMIT
""",
        "t.rules",
    )
    assert list(pc.filters) == ["INPUT", "FORWARD", "OUTPUT"]
    assert pc.filters["INPUT"].default == "deny"
    assert pc.filters["FORWARD"].default == "permit" and pc.filters["FORWARD"].line == 8
    assert [b.filter for b in pc.bindings] == ["FORWARD"]
    assert pc.unsupported == ()
    (rule,) = rules_of(pc)
    assert [str(n) for n in rule.sources] == ["10.0.0.0/8", "192.168.1.1/32"]
    assert (rule.name, rule.family, rule.protocol, rule.dst_ports) == (
        "FORWARD:10",
        4,
        "tcp",
        ((22, 22),),
    )


def test_ipt_matches() -> None:
    pc = ipt(
        """-A FORWARD -i eth1 -o eth2 -p tcp -m multiport --dports 20:23,3389,5900: -j ACCEPT
-A FORWARD -p udp -m udp --sport :1023 --dport 123 -j ACCEPT
-A FORWARD -p tcp -m multiport --ports 8080 -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type echo-request -j ACCEPT
-A FORWARD -p icmp --icmp-type any -j ACCEPT
-A FORWARD -p 47 -j ACCEPT
-A FORWARD -i + -m iprange --dst-range 10.0.0.1-10.0.0.3 -j ACCEPT
-A FORWARD -m comment --comment "R00031 HICP 9.M.E" -j REJECT --reject-with icmp-port-unreachable"""
    )
    assert pc.unsupported == ()
    r = rules_of(pc)
    assert (r[0].from_zone, r[0].to_zone, r[0].dst_ports) == (
        "eth1",
        "eth2",
        ((20, 23), (3389, 3389), (5900, 65535)),
    )
    assert (r[1].src_ports, r[1].dst_ports, r[1].protocol) == (((0, 1023),), ((123, 123),), "udp")
    assert (r[2].src_ports, r[2].dst_ports) == (((8080, 8080),), ())
    assert (r[3].src_ports, r[3].dst_ports) == ((), ((8080, 8080),))
    assert (r[4].protocol, r[4].icmp_type) == ("icmp", 8)
    assert (r[5].protocol, r[5].icmp_type) == ("icmp", None)
    assert r[6].protocol == "gre"
    assert r[7].from_zone == "*"
    assert [str(n) for n in r[7].destinations] == ["10.0.0.1/32", "10.0.0.2/31"]
    assert (r[8].name, r[8].action, r[8].remarks) == ("R00031", "deny", ("R00031 HICP 9.M.E",))


def test_ipt_icmp_type_255_is_any_type() -> None:
    """xt_icmp reads --icmp-type 255 as every type (iptables-save prints it back as 'any'):
    found in review, where a rule written with 255 was taken for one type."""
    pc = ipt("-A FORWARD -p icmp -m icmp --icmp-type 255 -j ACCEPT")
    (rule,) = rules_of(pc)
    assert (rule.protocol, rule.icmp_type) == ("icmp", None)
    # ip6tables' icmp6 match has no such wildcard: 255 is type 255 there.
    pc6 = ipt("-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 255 -j ACCEPT")
    rules6 = rules_of(pc6)
    assert [(r.protocol, r.icmp_type) for r in rules6] == [("icmpv6", 255)], pc6.unsupported


def test_ipt_conntrack() -> None:
    pc = ipt(
        """-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate NEW -p tcp --dport 443 -j ACCEPT"""
    )
    assert pc.stateful and pc.unsupported == ()
    (rule,) = rules_of(pc)
    assert rule.dst_ports == ((443, 443),)
    late = ipt(
        """-A FORWARD -p tcp --dport 443 -j REJECT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT"""
    )
    assert not late.stateful and [u.line for u in late.unsupported] == [6]


def test_ipt_user_chains_log_and_return() -> None:
    pc = ipt(
        """-A SEGCFG-SCAN-SWEEP -j LOG --log-prefix "SCAN-SWEEP " --log-level 4
-A SEGCFG-SCAN-SWEEP -j DROP
-A WEB -p tcp --dport 443 -j ACCEPT
-A WEB -j RETURN
-A WEB -p tcp --dport 80 -j ACCEPT
-A FORWARD -s 10.90.0.0/28 -m comment --comment "R00001 scanners" -j SEGCFG-SCAN-SWEEP
-A FORWARD -i eth1 -j WEB
-A FORWARD -p udp --dport 514 -j LOG --log-prefix "SYSLOG "
-A FORWARD -p udp --dport 514 -j ACCEPT
-A FORWARD -g WEB""",
        chains=":SEGCFG-SCAN-SWEEP - [0:0]\n:WEB - [0:0]\n",
    )
    assert pc.unsupported == ()
    rules = forward(pc).rules
    scan = rules[0]
    assert (scan.line, scan.rule.name, scan.rule.action, scan.rule.log) == (
        12,
        "R00001",
        "deny",
        "SCAN-SWEEP",
    )
    assert scan.rule.remarks == (
        "R00001 scanners",
        "SEGCFG-SCAN-SWEEP:8: -A SEGCFG-SCAN-SWEEP -j DROP",
    )
    web = rules[1].rule
    assert (web.from_zone, web.dst_ports, web.action) == ("eth1", ((443, 443),), "permit")
    syslog = rules[2].rule
    assert (syslog.action, syslog.log, syslog.dst_ports) == ("permit", "SYSLOG", ((514, 514),))
    assert [(pr.line, pr.rule.action, pr.rule.dst_ports) for pr in rules[3:]] == [
        (16, "permit", ((443, 443),)),
        (16, "deny", ()),  # RETURN from a goto'd chain: the FORWARD policy
    ]


def test_ipt_unsupported() -> None:
    pc = ipt(
        """-A FORWARD ! -s 10.0.0.0/8 -j DROP
-A FORWARD -i eth+ -j ACCEPT
-A FORWARD -m set --match-set blocked src -j DROP
-A FORWARD -p tcp --dport 22 -m limit --limit 5/min -j ACCEPT
-A FORWARD -j MARK --set-mark 1
-A FORWARD -p icmp --icmp-type 3/4 -j ACCEPT
-A FORWARD -f -j DROP
-A FORWARD -j NOWHERE
-R FORWARD 1 -j ACCEPT
-A FORWARD -s 10.0.0.1 -j ACCEPT"""
    )
    reasons = {u.line: u.reason for u in pc.unsupported}
    assert set(reasons) == set(range(5, 14))
    assert "negated" in reasons[5]
    assert "wildcard" in reasons[6]
    assert "set" in reasons[7]
    assert "limit" in reasons[8]
    assert "MARK" in reasons[9]
    assert "code" in reasons[10]
    assert "-f" in reasons[11]
    assert "NOWHERE" in reasons[12]
    assert "-R" in reasons[13]
    texts = {u.line: u.text for u in pc.unsupported}
    assert texts[5] == "-A FORWARD ! -s 10.0.0.0/8 -j DROP"
    (rule,) = rules_of(pc)
    assert rule.name == "FORWARD:14"


def test_ipt_ip6tables_family() -> None:
    pc = parse_ipt(
        """# Generated by ip6tables-save v1.8.9
*filter
:FORWARD DROP [0:0]
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT
-A FORWARD -d 2001:db8::/64 -p tcp --dport 443 -j ACCEPT
COMMIT
""",
        "t6.rules",
    )
    rules = rules_of(pc)
    assert [(r.family, r.protocol, r.icmp_type) for r in rules] == [
        (6, "icmpv6", 128),
        (6, "tcp", None),
    ]
