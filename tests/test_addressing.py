"""Compile refuses a site whose address model is broken, or whose vendor access bypasses the
MFA gateway, as lint reports it.

Every guarantee is checked on zones and enforced on addresses; they agree only when each
address belongs to the zone it is declared in. These cases compiled before: a host declared as
an IT server with an address of the vulnerability-scanner subnet got the syslog permits toward
clinical zones that no scanner may have.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLE

SIEM = "{name: siem-01, address: 198.18.101.50, zone: it-servers, roles: [syslog]}"
CASES = {
    # it-servers host with an address of the scanner subnet (vuln-scan, 198.18.90.0/28)
    "host-outside-its-zone": (
        SIEM,
        SIEM.replace("198.18.101.50", "198.18.90.6"),
        "host siem-01 (198.18.90.6) is outside its zone it-servers",
    ),
    # the internet zone has no networks: a host there may not use another zone's address
    "internet-host-with-a-scanner-address": (
        SIEM,
        SIEM + "\n  - {name: ext-1, address: 198.18.90.7, zone: internet}",
        "host ext-1 (198.18.90.7) is declared in zone internet (internet) but its address is "
        "in zone vuln-scan",
    ),
    # a decoy on a device's address: its DECOY deny would block what the device needs
    "decoy-on-a-device-address": (
        "{name: decoy-inf, address: 198.18.10.250,",
        "{name: decoy-inf, address: 198.18.10.11,",
        "device pump-0001 has the address 198.18.10.11 of host decoy-inf; a decoy shares its "
        "address with nothing",
    ),
    # Guarantee 3 (found in review): vendor permits compiled without an MFA gateway, or with
    # a gateway outside a remote-access zone, or with a pool as a management source.
    "vendor-pools-without-a-gateway": (
        "  remote_access_gateway: host:ra-gw\n",
        "",
        "vendor pool vendor-b-pool exists but policy.remote_access_gateway (the MFA gateway) is "
        "not declared",
    ),
    "gateway-outside-a-remote-access-zone": (
        "remote_access_gateway: host:ra-gw",
        "remote_access_gateway: host:jump-01",
        "the MFA gateway host:jump-01 is jump-01 in zone management, not in a remote_access zone",
    ),
    "vendor-pool-as-a-management-source": (
        "management_sources: [host:jump-01]",
        "management_sources: [host:jump-01, zone:vendor-b-pool]",
        "management[0]: vendor pool vendor-b-pool would reach",
    ),
    "overlapping-zones": (
        "networks: [198.19.0.0/17]",
        "networks: [198.19.0.0/17, 198.18.90.0/29]",
        "network 198.18.90.0/28 of zone vuln-scan overlaps 198.18.90.0/29 of zone corp-users",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compile_refuses_what_lint_reports(case: str, tmp_path: Path) -> None:
    old, new, message = CASES[case]
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    text = (site / "site.yaml").read_text()
    assert text.count(old) == 1
    (site / "site.yaml").write_text(text.replace(old, new))
    out = tmp_path / "out"
    for command, code in ((["lint", str(site)], 1), (["compile", str(site), "--out", str(out)], 2)):
        proc = subprocess.run(
            [sys.executable, "-m", "segcfg", *command],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert proc.returncode == code, (command, proc.stdout, proc.stderr)
        found = re.findall(
            r"^\S+:\d+:\d+: error: (.+?)(?: \(HICP [0-9.A-Z]+\))? "
            r"\[(?:outside-zone|overlapping-zones|duplicate-address|no-mfa-gateway|"
            r"mfa-gateway-zone|vendor-undeclared-service)\]$",
            proc.stdout + proc.stderr,
            re.MULTILINE,
        )
        assert any(message in m for m in found), (command, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
    assert not out.exists(), "nothing may be written when the compiler refuses"
