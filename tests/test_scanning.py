"""Guarantee 2 of DESIGN.md: scanners never reach clinical zones; they reach maintenance zones.

The second half was missing (found in review): policy.scan_allowed was read and checked for
dangling references, but nothing compiled it, so the default deny blocked the scans the policy
allows on the preventative-maintenance network (HICP 9.L.A).
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest

from segcfg.compile import compile_site
from segcfg.errors import SegcfgError
from segcfg.evaluate import IPAddr, Packet, decide
from segcfg.intent import build_intent
from segcfg.load import LoadedSite, load_site

from .conftest import EXAMPLE, TODAY

SCANNER = "198.18.90.5"  # vscan-01 in vuln-scan
BENCH = "198.18.250.10"  # bench-ws-01 in pm-bench (scan_allowed)
PUMP = "198.18.10.11"  # pump-0001 in clin-infusion


def test_scanners_reach_the_maintenance_zones_on_every_port(example_site: LoadedSite) -> None:
    intent = build_intent(example_site, TODAY)
    scans = [f for f in intent.flows if f.provenance.purpose == "scanning"]
    assert {(f.src.zone, f.dst.zone) for f in scans} == {("vuln-scan", "pm-bench")}
    assert {str(f.service) for f in scans} == {"tcp/1-65535", "udp/1-65535", "icmp"}
    assert {f.provenance.hicp for f in scans} == {"9.L.A"}
    crossed = []
    for rs in compile_site(example_site, TODAY):
        zones = {b.zone for b in rs.interfaces}
        if not {"vuln-scan", "pm-bench"} <= zones:
            continue
        crossed.append(rs.enforcement_point)
        for proto, port in (("tcp", 22), ("tcp", 3389), ("udp", 161), ("tcp", 65535)):
            to_bench = Packet("vuln-scan", "pm-bench", proto, _ip(SCANNER), _ip(BENCH), dport=port)
            assert decide(rs, to_bench)[0] == "permit", (rs.enforcement_point, to_bench)
        if "clin-infusion" in zones:
            to_pump = Packet(
                "vuln-scan", "clin-infusion", "tcp", _ip(SCANNER), _ip(PUMP), dport=443
            )
            verdict, rule = decide(rs, to_pump)
            assert verdict == "deny" and rule is not None and rule.log == "SCAN-SWEEP"
    assert crossed, "no enforcement point between the scanner and the maintenance zone"


@pytest.mark.parametrize("target", ["zone:clin-infusion", "device:pump-0001", "zone:dc-clinical"])
def test_scan_allowed_toward_a_clinical_zone_is_refused(tmp_path: Path, target: str) -> None:
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    text = (site / "site.yaml").read_text()
    assert text.count("scan_allowed: [zone:pm-bench]") == 1
    (site / "site.yaml").write_text(
        text.replace("scan_allowed: [zone:pm-bench]", f"scan_allowed: [zone:pm-bench, {target}]")
    )
    with pytest.raises(SegcfgError) as err:
        compile_site(load_site(site), TODAY)
    assert "scanner-to-clinical" in {d.code for d in err.value.diagnostics}


def _ip(text: str) -> IPAddr:
    return ipaddress.ip_address(text)
