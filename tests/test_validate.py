"""The validator on the compiled rule sets themselves and on tampered copies (engine level;
the per-platform parsers have their own round-trip tests)."""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import replace
from pathlib import Path

from segcfg.compile import compile_site
from segcfg.intent import build_intent
from segcfg.ir import ANY_ZONE, Rule
from segcfg.load import LoadedSite, load_site
from segcfg.parsed import ParsedConfig, ParsedRule
from segcfg.validate import ruleset_as_parsed, validate_running

from .conftest import EXAMPLE, TODAY


def _setup(site: LoadedSite, name: str) -> tuple[object, object, ParsedConfig]:
    intent = build_intent(site, TODAY)
    (rs,) = compile_site(site, TODAY, only={name})
    ep = next(e for e in site.site.enforcement_points if e.name == name)
    return intent, ep, ruleset_as_parsed(rs)


def _with_rules(parsed: ParsedConfig, rules: list[ParsedRule]) -> ParsedConfig:
    f = parsed.filters["compiled"]
    return replace(parsed, filters={"compiled": replace(f, rules=tuple(rules))})


def test_every_compiled_rule_set_complies(example_site: LoadedSite) -> None:
    intent = build_intent(example_site, TODAY)
    for rs in compile_site(example_site, TODAY):
        ep = next(e for e in example_site.site.enforcement_points if e.name == rs.enforcement_point)
        report = validate_running(intent, ep, ruleset_as_parsed(rs))
        assert not report.violations, (rs.enforcement_point, report.violations[:3])
        assert {f.check for f in report.findings if f.status == "complies"} >= {
            "scanner-to-clinical",
            "required-flow-blocked",
            "beyond-intent",
        }


def test_permit_any_on_top_is_found_with_its_witness(example_site: LoadedSite) -> None:
    intent, ep, parsed = _setup(example_site, "lab-nft")
    rules = list(parsed.filters["compiled"].rules)
    any_rule = Rule(
        name="tamper", action="permit", section="parsed", from_zone=ANY_ZONE, to_zone=ANY_ZONE
    )
    tampered = _with_rules(parsed, [ParsedRule(any_rule, 99, "accept"), *rules])
    report = validate_running(intent, ep, tampered)  # type: ignore[arg-type]
    scan = [f for f in report.violations if f.check == "scanner-to-clinical"]
    assert scan and scan[0].severity == "critical"
    w = scan[0].witness
    assert w is not None
    assert ipaddress.ip_address(w.src) in ipaddress.ip_network("198.18.90.0/28")
    assert scan[0].line == 99 and scan[0].line_text == "accept"
    checks = {f.check for f in report.violations}
    assert {"remote-access-port", "beyond-intent"} <= checks
    assert any(f.check == "shadowed" for f in report.violations)


def test_deleted_required_line_is_found(example_site: LoadedSite) -> None:
    intent, ep, parsed = _setup(example_site, "lab-nft")
    rules = [
        r
        for r in parsed.filters["compiled"].rules
        if not (r.rule.section == "permit" and r.rule.dst_ports == ((2575, 2575),))
    ]
    assert len(rules) < len(parsed.filters["compiled"].rules)
    report = validate_running(intent, ep, _with_rules(parsed, rules))  # type: ignore[arg-type]
    blocked = [f for f in report.violations if f.check == "required-flow-blocked"]
    assert len(blocked) == 1 and blocked[0].severity == "high"
    w = blocked[0].witness
    assert w is not None and w.dport == 2575 and w.protocol_name == "tcp"
    assert blocked[0].requirement == "lab-analyzer communications[0]"
    assert {f.check for f in report.violations} == {"required-flow-blocked"}


def test_reorder_that_shadows_a_deny(example_site: LoadedSite) -> None:
    intent, ep, parsed = _setup(example_site, "lab-nft")
    rules = list(parsed.filters["compiled"].rules)
    ra = [r for r in rules if r.rule.section == "remote-access"]
    default = [r for r in rules if r.rule.section == "default-deny"]
    reordered = [r for r in rules if r not in ra] + ra
    report = validate_running(intent, ep, _with_rules(parsed, reordered))  # type: ignore[arg-type]
    shadowed = [f for f in report.violations if f.check == "shadowed"]
    assert {f.line for f in shadowed} == {r.line for r in ra}
    assert all(str(default[0].line) in f.message for f in shadowed)
    # Decisions did not change: nothing else is reported.
    assert {f.check for f in report.violations} == {"shadowed"}


def test_a_family_the_config_does_not_cover_is_not_checked(example_site: LoadedSite) -> None:
    """core-asa guards clin-infusion, which has an IPv6 network: a configuration that speaks
    for IPv4 only (as an iptables-save file does) leaves IPv6 not checked, never passing."""
    intent, ep, parsed = _setup(example_site, "core-asa")
    report = validate_running(intent, ep, replace(parsed, families=(4,)))  # type: ignore[arg-type]
    nc = [f for f in report.not_checked if "IPv6" in f.message]
    assert len(nc) == 1
    assert not report.violations


def test_rules_of_one_line_keep_their_own_packet_sets() -> None:
    """One nftables line with a protocol set gives a tcp and a udp rule of the same name and
    line; the evaluator must not take the second for the first (it once cached by name and
    line, and said udp/3389 was denied)."""
    from segcfg.packetspace import PacketSpace
    from segcfg.validate import _Evaluator

    from .test_parse_linux import forward, nft

    pc = nft("        meta l4proto { tcp, udp } th dport 3389 accept")
    rules = list(forward(pc).rules)
    assert [r.rule.protocol for r in rules] == ["tcp", "udp"]
    assert len({(r.rule.name, r.line) for r in rules}) == 1
    ps = PacketSpace(4)
    ev = _Evaluator(pc, ps)
    assert [ev.match(r) for r in rules] == [ps.rule(r.rule) for r in rules]
    permitted = ev.first("fwd", rules, False)[0]
    for proto in ("tcp", "udp"):
        assert not ps.is_empty(permitted & ps.service(proto, 3389, 3389)), proto
    assert ps.is_empty(permitted & ps.service("tcp", 3390, 3390))


def test_a_scanner_source_outside_a_scanner_zone_is_checked_as_a_scanner(
    tmp_path: Path,
) -> None:
    """policy.scanner_sources may name a host in a zone of another kind (found in review: the
    validator compared zone names with the sources' names, so a permit from such a scanner to
    a clinical zone was only 'beyond intent' and scanner-to-clinical said it complied)."""
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    text = (site / "site.yaml").read_text()
    old = "scanner_sources: [zone:vuln-scan]"
    assert text.count(old) == 1
    (site / "site.yaml").write_text(
        text.replace(old, "scanner_sources: [zone:vuln-scan, host:dns-02]")
    )
    loaded = load_site(site)
    intent, ep, parsed = _setup(loaded, "core-asa")
    report = validate_running(intent, ep, parsed)  # type: ignore[arg-type]
    assert not report.violations
    rules = list(parsed.filters["compiled"].rules)
    from_dns = Rule(
        name="tamper",
        action="permit",
        section="parsed",
        from_zone="itsrv",  # parsed rules name interfaces
        to_zone="infusion",
        family=4,
        sources=(ipaddress.ip_network("198.18.101.31/32"),),
        destinations=(ipaddress.ip_network("198.18.10.0/24"),),
    )
    tampered = _with_rules(parsed, [ParsedRule(from_dns, 7, "permit ip host dns-02 ..."), *rules])
    report = validate_running(intent, ep, tampered)  # type: ignore[arg-type]
    scan = [f for f in report.violations if f.check == "scanner-to-clinical"]
    assert scan and scan[0].severity == "critical" and scan[0].line == 7
    assert scan[0].witness is not None and scan[0].witness.src == "198.18.101.31"
