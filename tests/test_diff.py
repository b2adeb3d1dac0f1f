"""`segcfg diff`: flow-level change review of two policy versions and of two device configs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from segcfg.diff import diff_sites
from segcfg.load import load_site

from .conftest import EXAMPLE, ROOT, TODAY


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical copies of the example, each with its own copy of the profile library."""
    old = tmp_path / "old"
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(ROOT / "device_profiles", old / "device_profiles")
    text = (
        (old / "site.yaml")
        .read_text()
        .replace("profile_dirs: ['@builtin']", "profile_dirs: [device_profiles]")
    )
    (old / "site.yaml").write_text(text)
    new = tmp_path / "new"
    shutil.copytree(old, new)
    return old, new


def _edit_profile(site: Path, cls: str, edit: dict[str, object]) -> None:
    path = site / "device_profiles" / f"{cls}.yaml"
    data = yaml.safe_load(path.read_text())
    data["communications"].append(edit)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _diff(old: Path, new: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segcfg", "diff", str(old), str(new), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def test_one_added_requirement_shows_exactly_that_flow(versions: tuple[Path, Path]) -> None:
    old, new = versions
    _edit_profile(
        new,
        "lab-analyzer",
        {
            "initiator": "device",
            "peer": "role:lis",
            "services": ["tcp/8443"],
            "why": "QC upload",
            "source": "typical",
        },
    )
    result = diff_sites(load_site(old), load_site(new), TODAY)
    (change,) = result.changes
    assert change.change == "added" and change.protocol == "tcp"
    assert change.ports == ((8443, 8443),)
    assert change.requirement == "lab-analyzer communications[3]"
    assert change.src_zone == "clin-lab" and change.dst_zone == "dc-clinical"
    assert len(change.endpoints) == sum(
        1 for d in load_site(new).site.devices if d.class_ == "lab-analyzer"
    )
    assert not change.guarantees
    proc = _diff(old, new)
    assert proc.returncode == 1
    assert "tcp/8443" in proc.stdout


def test_widening_a_port_range_shows_exactly_the_added_ports(versions: tuple[Path, Path]) -> None:
    old, new = versions
    path = new / "device_profiles" / "lab-analyzer.yaml"
    text = path.read_text()
    assert "services: [tcp/2575]" in text
    path.write_text(text.replace("services: [tcp/2575]", "services: [tcp/2570-2580]", 1))
    (change,) = diff_sites(load_site(old), load_site(new), TODAY).changes
    assert change.change == "added"
    assert change.ports == ((2570, 2574), (2576, 2580))


def test_renaming_and_reordering_changes_no_flow(versions: tuple[Path, Path]) -> None:
    old, new = versions
    data = yaml.safe_load((new / "site.yaml").read_text())
    data["zones"].reverse()
    data["hosts"].reverse()
    for h in data["hosts"]:
        if h["name"] == "lis-01":
            h["name"] = "lis-primary"
    (new / "site.yaml").write_text(yaml.safe_dump(data))
    result = diff_sites(load_site(old), load_site(new), TODAY)
    assert result.changes == []
    proc = _diff(old, new, "--format", "json")
    assert proc.returncode == 0, proc.stdout[-1000:]
    assert json.loads(proc.stdout)["changes"] == []


def test_a_scanner_path_is_flagged_as_a_guarantee_change(versions: tuple[Path, Path]) -> None:
    old, new = versions
    _edit_profile(
        new,
        "infusion-pump",
        {
            "initiator": "peer",
            "peer": "zone-kind:scanner",
            "services": ["tcp/443"],
            "why": "scan",
            "source": "typical",
        },
    )
    result = diff_sites(load_site(old), load_site(new), TODAY)
    assert result.changes[0].guarantees == ("scanner-to-clinical",)
    assert result.changes[0].src_zone == "vuln-scan"
    assert any("does not compile" in n for n in result.notes)
    proc = _diff(old, new, "--format", "markdown")
    assert proc.returncode == 1
    md = proc.stdout
    assert md.index("Guarantee changes") < md.index("Newly allowed")
    assert "**scanner-to-clinical**" in md


def test_git_base(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "examples" / "hospital")
    shutil.copytree(ROOT / "device_profiles", repo / "device_profiles")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    path = repo / "device_profiles" / "lab-analyzer.yaml"
    path.write_text(
        path.read_text().replace("services: [tcp/2575]", "services: [tcp/2575-2576]", 1)
    )
    site = repo / "examples" / "hospital"
    # The bundled library of the working tree is the package's; point the site at the repo's.
    text = (
        (site / "site.yaml")
        .read_text()
        .replace("profile_dirs: ['@builtin']", "profile_dirs: [../../device_profiles]")
    )
    (site / "site.yaml").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", "diff", str(site), "--git-base", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "tcp/2576" in proc.stdout and "lab-analyzer communications[0]" in proc.stdout


def test_running_configs(tmp_path: Path) -> None:
    before = ROOT / "generated" / "example-general" / "lab-nft.nft"
    lines = before.read_text().splitlines()
    after = tmp_path / "after.nft"
    after.write_text("\n".join(ln for ln in lines if "tcp dport 2575" not in ln) + "\n")
    cmd = [
        sys.executable,
        "-m",
        "segcfg",
        "diff",
        "--running",
        str(before),
        "--platform",
        "nftables",
    ]
    same = subprocess.run(
        [*cmd[:5], str(before), str(before), *cmd[6:]], capture_output=True, text=True, check=False
    )
    assert same.returncode == 0, same.stdout + same.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "segcfg",
            "diff",
            "--running",
            str(before),
            str(after),
            "--platform",
            "nftables",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "- eth1 -> eth2 tcp/2575" in proc.stdout
    assert "after:  line" in proc.stdout and "DEFAULT-DENY" in proc.stdout
