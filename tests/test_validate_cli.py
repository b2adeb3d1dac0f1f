"""`segcfg validate` on every generated file of the example (exit 0) and on tampered copies
(exit 1, naming the witness), through each platform's real parser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLE, ROOT

GENERATED = ROOT / "generated" / "example-general"
FILES = {
    "core-asa": ("core-asa.asa", "cisco-asa"),
    "dist-ios": ("dist-ios.ios", "cisco-ios"),
    "imaging-srx": ("imaging-srx.junos", "junos-srx"),
    "lab-nft": ("lab-nft.nft", "nftables"),
    "edge-ipt": ("edge-ipt.rules", "iptables"),
}


def _validate(ep: str, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "segcfg",
            "validate",
            str(EXAMPLE),
            "--firewall",
            ep,
            "--running",
            str(path),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("ep", sorted(FILES))
def test_generated_file_complies(ep: str) -> None:
    name, _ = FILES[ep]
    proc = _validate(ep, GENERATED / name, "--format", "json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    (report,) = json.loads(proc.stdout)
    assert report["violations"] == 0 and report["not_checked"] == 0
    assert any(
        f["status"] == "complies" and f["check"] == "scanner-to-clinical"
        for f in report["findings"]
    )


# A permit-any inserted where the first rule starts, per platform.
PERMIT_ANY = {
    "cisco-ios": (r"(ip access-list extended SEGCFG-Vlan150-IN\n)", r"\1 permit ip any any\n"),
    "cisco-asa": (
        r"(access-list (SEGCFG-scan-IN) )",
        r"access-list \2 extended permit ip any any\n\1",
    ),
    "junos-srx": (
        r"(set security policies from-zone vuln-scan )",
        "set security policies from-zone vuln-scan to-zone clin-ct policy TAMPER "
        "match source-address any destination-address any application any\n"
        "set security policies from-zone vuln-scan to-zone clin-ct policy TAMPER "
        r"then permit\n\1",
    ),
    "nftables": (r"(        ct state invalid counter drop[^\n]*\n)", r"\1        accept\n"),
    "iptables": (
        r"(-A FORWARD -m conntrack --ctstate INVALID[^\n]*\n)",
        r"\1-A FORWARD -j ACCEPT\n",
    ),
}


@pytest.mark.parametrize("ep", sorted(FILES))
def test_permit_any_on_top_is_a_critical_violation(ep: str, tmp_path: Path) -> None:
    name, platform = FILES[ep]
    text = (GENERATED / name).read_text()
    pattern, repl = PERMIT_ANY[platform]
    tampered, n = re.subn(pattern, repl, text, count=1)
    assert n == 1, f"tamper pattern not found in {name}"
    path = tmp_path / name
    path.write_text(tampered)
    proc = _validate(ep, path, "--format", "json")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    (report,) = json.loads(proc.stdout)
    crit = [
        f for f in report["findings"] if f["status"] == "violates" and f["severity"] == "critical"
    ]
    assert crit, "a permit-any must break a guarantee"
    assert all(f["witness"] and f["line"] for f in crit)


@pytest.mark.parametrize("ep", sorted(FILES))
def test_deleted_required_line_is_found(ep: str, tmp_path: Path) -> None:
    name, platform = FILES[ep]
    lines = (GENERATED / name).read_text().splitlines()
    # Delete every line of the first permit rule (its R-number) that is a permit.
    first = next(
        re.search(r"R\d{5}", ln).group()
        for ln in lines  # type: ignore[union-attr]
        if re.search(r"R\d{5}", ln) and re.search(r"communications|vendor_support|management", ln)
    )
    if platform == "junos-srx":
        kept = [ln for ln in lines if f"policy {first}" not in ln]
    elif platform in ("cisco-ios",):
        kept, skip = [], False
        for ln in lines:
            if ln.startswith(" remark "):
                skip = first in ln
            if skip and ln.startswith(" permit"):
                continue
            kept.append(ln)
    elif platform == "cisco-asa":
        kept, skip = [], False
        for ln in lines:
            if " remark " in ln:
                skip = first in ln
            if skip and " extended permit " in ln:
                continue
            kept.append(ln)
    else:
        kept = [ln for ln in lines if first not in ln]
    assert len(kept) < len(lines)
    path = tmp_path / name
    path.write_text("\n".join(kept) + "\n")
    proc = _validate(ep, path)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "required-flow-blocked" in proc.stdout
    assert re.search(r"required by \S+ (communications|management|vendor_support)", proc.stdout)


def test_check_flow_names_the_deciding_rule_and_line() -> None:
    base = [sys.executable, "-m", "segcfg", "check-flow", str(EXAMPLE)]
    ok = subprocess.run(
        [*base, "lab-chem-01", "lis-01", "tcp/2575"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "allowed by lab-analyzer communications[0]" in ok.stdout
    assert "lab-nft (compiled nftables): permit - R" in ok.stdout
    blocked = subprocess.run(
        [
            *base,
            "198.18.90.5",
            "lab-chem-01",
            "tcp/22",
            "--firewall",
            "lab-nft",
            "--running",
            str(GENERATED / "lab-nft.nft"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "intent: not allowed" in blocked.stdout
    assert re.search(r"lab-nft \(\S+lab-nft\.nft\): deny - line \d+: .*SCAN-SWEEP", blocked.stdout)
