"""Real packets through the kernel: the generated nftables and iptables rule sets of the example
hospital, loaded into a router network namespace, judged probe by probe (needs root)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from segcfg.load import LoadedSite
from segcfg.prove.run import Round, prove_site

from .conftest import EXAMPLE, ROOT, TODAY

pytestmark = pytest.mark.netns
GENERATED = ROOT / "generated" / "example-general"


@pytest.fixture(autouse=True)
def _root_required() -> None:
    if os.geteuid() != 0:
        pytest.fail("the namespace test bed needs root; it never passes silently without it")


def _our_namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in out.stdout.splitlines() if line.startswith("segcfg-")}


def test_generated_files_pass_every_probe(example_site: LoadedSite) -> None:
    before = _our_namespaces()
    rulesets = {
        ("lab-nft", "nftables"): (GENERATED / "lab-nft.nft").read_text(),
        ("edge-ipt", "iptables"): (GENERATED / "edge-ipt.rules").read_text(),
    }
    rounds = prove_site(example_site, TODAY, ["lab-nft", "edge-ipt"], rulesets, samples=40)
    assert [(r.enforcement_point, r.platform) for r in rounds] == [
        ("lab-nft", "nftables"),
        ("edge-ipt", "iptables"),
    ]
    for rnd in rounds:
        assert not rnd.not_checked
        bad = [
            (p.src.name, p.dst.name, p.service(), p.expected, p.observed) for p in rnd.mismatches
        ]
        assert not bad, f"{rnd.enforcement_point}/{rnd.platform}: {bad[:10]}"
        cats = {p.category for p in rnd.probes}
        assert cats == {"required", "guarantee", "sample", "reverse"}
        assert all(p.expected == "pass" for p in rnd.probes if p.category == "required")
        assert all(p.expected == "blocked" for p in rnd.probes if p.category == "guarantee")
    lab = rounds[0]
    assert any(p.expected == "pass" and p.proto == "udp" for p in lab.probes)
    assert any(p.expected == "pass" and p.proto == "icmp" for p in lab.probes)
    edge = rounds[1]
    notes = {p.note for p in edge.probes if p.category == "guarantee"}
    assert any("scanner" in n for n in notes)
    assert any("another manufacturer" in n for n in notes)
    assert any("decoy" in n for n in notes)
    assert _our_namespaces() == before, "namespaces left behind"


def test_compiled_cross_platform_rounds(example_site: LoadedSite) -> None:
    """The same points rendered for the other Linux platform pass as well."""
    rounds = prove_site(example_site, TODAY, ["lab-nft"], samples=20)
    assert [r.platform for r in rounds] == ["nftables", "iptables"]
    for rnd in rounds:
        assert rnd.probes and not rnd.mismatches and not rnd.not_checked


def _round(rounds: list[Round]) -> Round:
    (rnd,) = rounds
    return rnd


def test_without_the_established_rule_required_flows_fail(example_site: LoadedSite) -> None:
    text = (GENERATED / "lab-nft.nft").read_text()
    broken = (
        "\n".join(line for line in text.splitlines() if "ct state established,related" not in line)
        + "\n"
    )
    assert broken != text
    rnd = _round(
        prove_site(example_site, TODAY, ["lab-nft"], {("lab-nft", "nftables"): broken}, samples=10)
    )
    failed = {(p.src.name, p.dst.name, p.service()) for p in rnd.mismatches}
    # The analyzer's HL7 results to the LIS no longer complete their handshake.
    assert ("lab-chem-01", "lis-01", "tcp/2575") in failed
    assert all(
        p.category in ("required", "sample") and p.observed in ("blocked", "one-way")
        for p in rnd.mismatches
    )
    # UDP requests still arrive, their replies do not: reported as one-way.
    assert any(p.proto == "udp" and p.observed == "one-way" for p in rnd.mismatches)
    # Guarantees still hold: nothing was opened.
    assert not [p for p in rnd.mismatches if p.expected == "blocked"]


def test_accept_all_breaks_the_guarantees(example_site: LoadedSite) -> None:
    text = (GENERATED / "edge-ipt.rules").read_text()
    broken = re.sub(
        r"(-A FORWARD -m conntrack --ctstate INVALID[^\n]*\n)",
        r"\1-A FORWARD -j ACCEPT\n",
        text,
        count=1,
    )
    assert broken != text
    rnd = _round(
        prove_site(
            example_site, TODAY, ["edge-ipt"], {("edge-ipt", "iptables"): broken}, samples=10
        )
    )
    opened = [p for p in rnd.mismatches if p.expected == "blocked"]
    assert opened and all(p.observed == "pass" for p in opened)
    scanner = [p for p in opened if "scanner" in p.note]
    assert scanner, "the scanner-to-clinical witness must be named"
    assert scanner[0].src.zone == "vuln-scan"
    assert not [p for p in rnd.mismatches if p.expected == "pass"]


def test_cli_report_and_exit_codes(tmp_path: Path) -> None:
    text = (GENERATED / "lab-nft.nft").read_text()
    broken = tmp_path / "broken.nft"
    broken.write_text(text.replace("ct state established,related counter accept", "counter"))
    cmd = [
        sys.executable,
        "-m",
        "segcfg",
        "prove",
        str(EXAMPLE),
        "--firewall",
        "lab-nft",
        "--samples",
        "5",
    ]
    bad = subprocess.run(
        [*cmd, "--ruleset", str(broken), "--platform", "nftables"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1, bad.stderr
    assert re.search(
        r"FAIL required +lab-\S+ 198\.18\.40\.\d+ -> lis-01 198\.18\.100\.\d+ "
        r"tcp/2575 +expected pass +observed blocked",
        bad.stdout,
    )
    good = subprocess.run(
        [
            *cmd,
            "--ruleset",
            str(GENERATED / "lab-nft.nft"),
            "--platform",
            "nftables",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stdout[-2000:] + good.stderr
    assert '"observed": "pass"' in good.stdout


def test_interrupt_removes_every_namespace() -> None:
    before = _our_namespaces()
    proc = subprocess.Popen(
        [sys.executable, "-m", "segcfg", "prove", str(EXAMPLE), "--firewall", "edge-ipt"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (_our_namespaces() - before):
        time.sleep(0.1)
    assert _our_namespaces() - before, "the test bed never came up"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) != 0
    assert _our_namespaces() == before


def test_fails_loudly_when_the_test_bed_cannot_be_built(tmp_path: Path) -> None:
    # A PATH without nft: the proof must refuse, not pass.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("ip", "iptables-restore", "ping"):
        path = subprocess.run(
            ["which", tool], capture_output=True, text=True, check=True
        ).stdout.strip()
        (bindir / tool).symlink_to(path)
    env = {**os.environ, "PATH": str(bindir)}
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", "prove", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert proc.returncode == 2
    assert "nft is not installed" in proc.stderr and "Traceback" not in proc.stderr
