"""Stateless ACLs (cisco-ios) let replies through for TCP (established) and UDP (exact source
ports) and echo replies for ICMP, and nothing more (issue 3).

Found in review: every other protocol got a full reverse permit, so an ESP exception toward the
internet compiled to "permit esp <internet> <device>", which segcfg's own validator reported as a
critical untrusted-to-clinical violation; an untyped ICMP permit got every ICMP type back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from segcfg.compile import compile_site
from segcfg.intent import build_intent
from segcfg.load import load_site
from segcfg.platforms.parsers import parser_for
from segcfg.render import render_ruleset
from segcfg.validate import validate_running

from .conftest import TODAY

SERVICES = ["tcp/443", "udp/500", "esp", "gre", "icmp", "icmp/8", "icmp/13"]


def _site(tmp_path: Path) -> Path:
    (tmp_path / "profiles").mkdir()
    profile = {
        "class": "pump",
        "manufacturer": "vendor-b",
        "communications": [
            {
                "initiator": "device",
                "peer": "role:srv",
                "services": SERVICES,
                "why": "test",
                "source": "typical",
            }
        ],
        "management": [{"services": ["icmp"], "why": "ping", "source": "typical"}],
    }
    (tmp_path / "profiles" / "pump.yaml").write_text(yaml.safe_dump(profile))
    site = {
        "site": "replies",
        "profile_dirs": ["profiles"],
        "zones": [
            {"name": "clin", "kind": "clinical", "networks": ["198.18.10.0/24"]},
            {"name": "dc", "kind": "clinical_servers", "networks": ["198.18.100.0/24"]},
            {"name": "mgmt", "kind": "management", "networks": ["198.18.210.0/24"]},
        ],
        "hosts": [
            {"name": "srv-1", "address": "198.18.100.10", "zone": "dc", "roles": ["srv"]},
            {"name": "jump", "address": "198.18.210.10", "zone": "mgmt"},
        ],
        "devices": [
            {"name": "d1", "class": "pump", "address": "198.18.10.11", "zone": "clin"},
        ],
        "enforcement_points": [
            {
                "name": "sw",
                "platform": "cisco-ios",
                "interfaces": [
                    {"name": "Vlan10", "zone": "clin"},
                    {"name": "Vlan100", "zone": "dc"},
                    {"name": "Vlan210", "zone": "mgmt"},
                ],
            }
        ],
        "policy": {"management_sources": ["host:jump"]},
    }
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
    return tmp_path


def test_replies_are_tcp_established_udp_source_ports_and_echo_replies(tmp_path: Path) -> None:
    loaded = load_site(_site(tmp_path))
    (rs,) = compile_site(loaded, TODAY)
    replies = [r for r in rs.rules if r.section == "reply"]
    permits = [r for r in rs.rules if r.section == "permit"]
    assert {p.protocol for p in permits} >= {"tcp", "udp", "esp", "gre", "icmp"}
    assert {(r.protocol, r.icmp_type) for r in replies} == {
        ("tcp", None),
        ("udp", None),
        ("icmp", 0),
    }
    for r in replies:
        if r.protocol == "tcp":
            assert r.established and r.src_ports == ((443, 443),)
        elif r.protocol == "udp":
            assert not r.established and r.src_ports == ((500, 500),)
    # The rendered ACLs, parsed back, comply with the intent.
    text = render_ruleset(rs)
    parsed = parser_for("cisco-ios")(text, "sw.ios")
    ep = loaded.site.enforcement_points[0]
    report = validate_running(build_intent(loaded, TODAY), ep, parsed)
    assert not report.violations, report.violations[:3]
    assert not report.not_checked, report.not_checked[:3]


def _reciprocal_site(tmp_path: Path, platform: str) -> Path:
    """A monitor and its central station, each profile naming the other (found in review: the
    same packets were permitted twice, and validate reported segcfg's own output as shadowed)."""
    (tmp_path / "profiles").mkdir()

    def comm(initiator: str, peer: str, services: list[str]) -> dict[str, object]:
        return {
            "initiator": initiator,
            "peer": peer,
            "services": services,
            "why": "test",
            "source": "typical",
        }

    profiles = {
        "mon": [comm("device", "class:cst", ["tcp/8443", "icmp/8"])],
        "cst": [comm("peer", "class:mon", ["tcp/8443"]), comm("device", "class:mon", ["icmp/0"])],
    }
    for cls, comms in profiles.items():
        data = {"class": cls, "manufacturer": "vendor-b", "communications": comms}
        (tmp_path / "profiles" / f"{cls}.yaml").write_text(yaml.safe_dump(data))
    site = {
        "site": "reciprocal",
        "profile_dirs": ["profiles"],
        "zones": [
            {"name": "mon", "kind": "clinical", "networks": ["198.18.20.0/24"]},
            {"name": "cst", "kind": "clinical", "networks": ["198.18.21.0/24"]},
        ],
        "devices": [
            {"name": "m1", "class": "mon", "address": "198.18.20.11", "zone": "mon"},
            {"name": "c1", "class": "cst", "address": "198.18.21.10", "zone": "cst"},
        ],
        "enforcement_points": [
            {
                "name": "fw",
                "platform": platform,
                "interfaces": [
                    {"name": "Vlan20", "zone": "mon"},
                    {"name": "Vlan21", "zone": "cst"},
                ],
            }
        ],
    }
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
    return tmp_path


@pytest.mark.parametrize("platform", ["cisco-ios", "nftables"])
def test_requirements_asking_for_the_same_packets_give_one_rule(
    tmp_path: Path, platform: str
) -> None:
    loaded = load_site(_reciprocal_site(tmp_path, platform))
    (rs,) = compile_site(loaded, TODAY)
    tcp = [r for r in rs.rules if r.protocol == "tcp" and r.section == "permit"]
    assert len(tcp) == 1
    assert [m.split(" (")[0] for m in tcp[0].remarks] == [
        "cst communications[0]",
        "mon communications[0]",
    ]
    echo_replies = [r for r in rs.rules if r.protocol == "icmp" and r.icmp_type == 0]
    assert len(echo_replies) == 1  # cst's own icmp/0 permit, which is also mon's echo reply
    text = render_ruleset(rs)
    parsed = parser_for(platform)(text, "fw")
    report = validate_running(
        build_intent(loaded, TODAY), loaded.site.enforcement_points[0], parsed
    )
    assert not report.violations, report.violations[:3]


@pytest.mark.parametrize("platform", ["cisco-ios", "nftables"])
def test_an_icmp_type_under_an_earlier_all_icmp_permit_is_not_repeated(
    tmp_path: Path, platform: str
) -> None:
    """Found in review: 'icmp' then 'icmp/8' between the same devices, or IOS echo-reply
    entries after a reverse all-ICMP permit, were lines that could never match, and validate
    reported segcfg's own output as shadowed."""
    site = _reciprocal_site(tmp_path, platform)
    for cls, other in (("mon", "cst"), ("cst", "mon")):
        path = site / "profiles" / f"{cls}.yaml"
        data = yaml.safe_load(path.read_text())
        data["communications"] = [
            {"initiator": "device", "peer": f"class:{other}", "services": [svc], "why": "t",
             "source": "typical"}
            for svc in ("icmp", "icmp/8")
        ]  # fmt: skip
        path.write_text(yaml.safe_dump(data))
    loaded = load_site(site)
    (rs,) = compile_site(loaded, TODAY)
    icmp = [r for r in rs.rules if r.protocol == "icmp"]
    assert {(r.from_zone, r.to_zone, r.icmp_type) for r in icmp} == {
        ("mon", "cst", None),
        ("cst", "mon", None),
    }
    assert len(icmp) == 2
    parsed = parser_for(platform)(render_ruleset(rs), "fw")
    report = validate_running(
        build_intent(loaded, TODAY), loaded.site.enforcement_points[0], parsed
    )
    assert not report.violations, report.violations[:3]
