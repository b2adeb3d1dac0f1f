"""ICMP services across address families (found in review).

A profile's ``icmp/8`` on an IPv6 device compiled to "ICMPv6 type 8" (no such message; ping6
blocked) and ``icmpv6/128`` between IPv4 hosts to "ICMP type 128"; the validator mapped only one
direction, so segcfg's own output was reported; check-flow took ``icmp/0`` for an echo request.
Now every type stays every type, echo request and reply become their counterparts, and any
other type applies in its own family only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from segcfg.compile import compile_site
from segcfg.intent import build_intent
from segcfg.load import load_site
from segcfg.model.common import icmp_in_family
from segcfg.platforms.parsers import parser_for
from segcfg.render import render_ruleset
from segcfg.validate import validate_running

from .conftest import TODAY

SERVICES = ["icmp/8", "icmp/13", "icmpv6/129", "tcp/443"]


def _site(tmp_path: Path, platform: str, services: list[str] = SERVICES) -> Path:
    (tmp_path / "profiles").mkdir()
    for cls in ("mon", "mon6"):
        data = {
            "class": cls,
            "manufacturer": "vendor-b",
            "communications": [
                {
                    "initiator": "device",
                    "peer": "role:srv",
                    "services": services,
                    "why": "test",
                    "source": "typical",
                }
            ],
        }
        (tmp_path / "profiles" / f"{cls}.yaml").write_text(yaml.safe_dump(data))
    site = {
        "site": "icmp",
        "profile_dirs": ["profiles"],
        "zones": [
            {"name": "clin", "kind": "clinical", "networks": ["198.18.10.0/24", "2001:db8:a::/64"]},
            {
                "name": "dc",
                "kind": "clinical_servers",
                "networks": ["198.18.100.0/24", "2001:db8:d::/64"],
            },
        ],
        "hosts": [
            {"name": "srv-4", "address": "198.18.100.10", "zone": "dc", "roles": ["srv"]},
            {"name": "srv-6", "address": "2001:db8:d::10", "zone": "dc", "roles": ["srv"]},
        ],
        "devices": [
            {"name": "d4", "class": "mon", "address": "198.18.10.11", "zone": "clin"},
            {"name": "d6", "class": "mon6", "address": "2001:db8:a::11", "zone": "clin"},
        ],
        "enforcement_points": [
            {
                "name": "fw",
                "platform": platform,
                "interfaces": [{"name": "eth1", "zone": "clin"}, {"name": "eth2", "zone": "dc"}],
            }
        ],
    }
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
    return tmp_path


def test_icmp_in_family() -> None:
    assert icmp_in_family("icmp", 8, 8, 6) == ("icmpv6", 128, 128)
    assert icmp_in_family("icmpv6", 129, 129, 4) == ("icmp", 0, 0)
    assert icmp_in_family("icmp", 0, 255, 6) == ("icmpv6", 0, 255)
    assert icmp_in_family("icmp", 13, 13, 6) is None
    assert icmp_in_family("icmpv6", 135, 135, 4) is None
    assert icmp_in_family("icmpv6", 135, 135, 6) == ("icmpv6", 135, 135)


@pytest.mark.parametrize("platform", ["nftables", "junos-srx", "cisco-asa"])
def test_icmp_types_as_each_family_carries_them(tmp_path: Path, platform: str) -> None:
    loaded = load_site(_site(tmp_path, platform))
    (rs,) = compile_site(loaded, TODAY)
    icmp = {
        (r.family, r.protocol, r.icmp_type)
        for r in rs.rules
        if r.section == "permit" and r.protocol in ("icmp", "icmpv6")
    }
    assert icmp == {
        (4, "icmp", 8),
        (4, "icmp", 13),
        (4, "icmp", 0),  # icmpv6/129 (echo reply) between IPv4 hosts
        (6, "icmpv6", 128),  # icmp/8 on the IPv6 device: echo request, not type 8
        (6, "icmpv6", 129),
    }
    parsed = parser_for(platform)(render_ruleset(rs), "fw")
    report = validate_running(
        build_intent(loaded, TODAY), loaded.site.enforcement_points[0], parsed
    )
    assert not report.violations, report.violations[:3]


def test_check_flow_asks_for_the_type_it_is_given(tmp_path: Path) -> None:
    site = _site(tmp_path, "nftables", ["icmp/8"])

    def check(src: str, dst: str, service: str) -> int:
        proc = subprocess.run(
            [sys.executable, "-m", "segcfg", "check-flow", str(site), src, dst, service],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert "Traceback" not in proc.stderr
        return proc.returncode

    assert check("d4", "srv-4", "icmp") == 0  # 'icmp' alone asks for an echo request
    assert check("d4", "srv-4", "icmp/8") == 0
    assert check("d4", "srv-4", "icmp/0") == 1  # an echo reply: was taken for type 8
    assert check("d4", "srv-4", "icmpv6/128") == 0  # ICMPv6 echo, carried in IPv4 as 8
    assert check("d6", "srv-6", "icmp") == 0  # carried in IPv6 as 128
    assert check("d6", "srv-6", "icmp/13") == 2  # no ICMPv6 equivalent: bad input
