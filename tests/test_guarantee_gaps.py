"""Ways around the guarantees of DESIGN.md found in review, each now closed.

Every case edits a copy of the example site and shows that compile refuses it, or that the
compiled rules keep the guarantee.
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest

from segcfg.compile import compile_site
from segcfg.errors import SegcfgError
from segcfg.evaluate import Packet, decide
from segcfg.load import LoadedSite, load_site

from .conftest import EXAMPLE, TODAY


def edited(tmp_path: Path, *changes: tuple[str, str]) -> LoadedSite:
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    text = (site / "site.yaml").read_text()
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (site / "site.yaml").write_text(text)
    return load_site(site)


def refused(loaded: LoadedSite) -> set[str]:
    with pytest.raises(SegcfgError) as err:
        compile_site(loaded, TODAY)
    return {d.code for d in err.value.diagnostics}


@pytest.mark.parametrize("ports", ["[]", "[tcp/5938]"])
def test_remote_access_ports_add_to_the_defaults(tmp_path: Path, ports: str) -> None:
    """Guarantee 7: a site's list could drop the defaults, and with them every REMOTE-ACCESS
    deny and the check that refuses telnet from a corporate desktop to a pump."""
    policy = "  decoys: [host:decoy-inf]\n"
    loaded = edited(tmp_path, (policy, policy + f"  remote_access_ports: {ports}\n"))
    ra = {str(s) for s in loaded.site.policy.remote_access_ports}
    assert {"tcp/20-21", "tcp/22", "tcp/23", "tcp/3389", "udp/3389", "tcp/5938"} <= ra
    for rs in compile_site(loaded, TODAY):
        denied = {
            p for r in rs.rules if r.section == "remote-access" for p in r.dst_ports if p[0] <= 23
        }
        if any(r.section == "remote-access" for r in rs.rules):
            assert (20, 23) in denied or {(20, 21), (22, 22), (23, 23)} <= denied


def test_a_device_never_talks_to_another_vendors_pool(tmp_path: Path) -> None:
    """Guarantee 3: an exception from lab analyzers to another manufacturer's pool let that
    pool send to the analyzers (IOS reply entries)."""
    exception = """    - id: LAB-SYSLOG
      owner: lab-it
      ticket: CHG-7
      expires: 2027-06-30
      reason: test
      from: [class:lab-analyzer]
      to: [zone:imaging-co-pool]
      services: [udp/514]
"""
    loaded = edited(tmp_path, ("  exceptions:\n", "  exceptions:\n" + exception))
    assert "vendor-cross-manufacturer" in refused(loaded)


def test_naming_one_scanner_host_keeps_its_zone_in_scan_sweep(tmp_path: Path) -> None:
    """SCAN-SWEEP denies (and logs) every scanner zone, not only the sources named."""
    loaded = edited(
        tmp_path, ("scanner_sources: [zone:vuln-scan]", "scanner_sources: [host:vscan-01]")
    )
    other = ipaddress.ip_address("198.18.90.6")  # in vuln-scan, not vscan-01
    pump = ipaddress.ip_address("198.18.10.11")
    (rs,) = compile_site(loaded, TODAY, only={"core-asa"})
    verdict, rule = decide(rs, Packet("vuln-scan", "clin-infusion", "tcp", other, pump, dport=443))
    assert verdict == "deny" and rule is not None and rule.log == "SCAN-SWEEP"


def test_an_ipv4_only_point_may_not_reach_unguarded_ipv6(tmp_path: Path) -> None:
    """An iptables point reaching a dual-stack clinical zone that no IPv6-capable point
    guards left its IPv6 DECOY and REMOTE-ACCESS denies out without a word."""
    loaded = edited(tmp_path, ("      - {name: infusion, zone: clin-infusion}\n", ""))
    codes = refused(loaded)
    assert "capability-ipv6" in codes
