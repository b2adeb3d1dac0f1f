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
from segcfg.intent import build_intent
from segcfg.load import LoadedSite, load_site
from segcfg.validate import ruleset_as_parsed, validate_running

from .conftest import EXAMPLE, TODAY
from .test_stateless_replies import _site as _small_site


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
    with_denies = 0
    for rs in compile_site(loaded, TODAY):
        denied = {
            p for r in rs.rules if r.section == "remote-access" for p in r.dst_ports if p[0] <= 23
        }
        if any(r.section == "remote-access" for r in rs.rules):
            with_denies += 1
            assert (20, 23) in denied or {(20, 21), (22, 22), (23, 23)} <= denied
    assert with_denies, "no rule set has REMOTE-ACCESS denies to check"


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


# --- what the fixes above must not refuse, or report (found in a review of them) ----------


def test_a_decoy_in_a_maintenance_zone_is_denied_and_the_output_complies(tmp_path: Path) -> None:
    """Scanners reach the whole maintenance zone, but not a decoy in it: every point denies it
    first, and the validator and check-flow must expect that."""
    decoy = "  - {name: decoy-pm, address: 198.18.250.250, zone: pm-bench, roles: [decoy]}\n"
    loaded = edited(
        tmp_path,
        ("devices:\n", decoy + "\ndevices:\n"),
        ("decoys: [host:decoy-inf]", "decoys: [host:decoy-inf, host:decoy-pm]"),
    )
    intent = build_intent(loaded, TODAY)
    scanner, bench, dec = (ipaddress.ip_address(a) for a in SCAN_BENCH_DECOY)
    assert intent.permits("vuln-scan", "pm-bench", scanner, bench, "tcp", 22)
    assert not intent.permits("vuln-scan", "pm-bench", scanner, dec, "tcp", 22)
    for rs in compile_site(loaded, TODAY):
        ep = next(e for e in loaded.site.enforcement_points if e.name == rs.enforcement_point)
        report = validate_running(intent, ep, ruleset_as_parsed(rs))
        assert not report.violations, (rs.enforcement_point, report.violations[:2])


SCAN_BENCH_DECOY = ("198.18.90.5", "198.18.250.10", "198.18.250.250")


def test_two_names_for_one_address_compile_unless_one_is_a_decoy(tmp_path: Path) -> None:
    host = "  - {name: pump-0001-host, address: 198.18.10.11, zone: clin-infusion}\n"
    loaded = edited(tmp_path, ("devices:\n", host + "\ndevices:\n"))
    assert compile_site(loaded, TODAY)


def test_a_corporate_dual_stack_zone_may_be_reached_by_an_ipv4_only_point(
    tmp_path: Path,
) -> None:
    """Only zones a guarantee needs filtered (clinical, or holding a decoy) must have their
    IPv6 guarded somewhere; corporate users' IPv6 is not segcfg's to filter."""
    loaded = edited(
        tmp_path,
        ("networks: [198.19.0.0/17]", "networks: [198.19.0.0/17, '2001:db8:99::/48']"),
        (
            "      - {name: corp, zone: corp-users}\n",
            "      - {name: corp, reaches: [corp-users]}\n",
        ),
    )
    assert compile_site(loaded, TODAY)


def test_no_vendor_pools_no_gateway_check(tmp_path: Path) -> None:
    """The gateway guards vendor access; a site without vendor pools is not refused for where
    its gateway host sits."""
    site = _small_site(tmp_path)
    text = (site / "site.yaml").read_text()
    (site / "site.yaml").write_text(
        text.replace(
            "  management_sources:", "  remote_access_gateway: host:jump\n  management_sources:"
        )
    )
    loaded = load_site(site)
    assert loaded.site.policy.remote_access_gateway is not None
    assert compile_site(loaded, TODAY)
