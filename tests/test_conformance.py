"""The conformance suite every platform runs: determinism, provenance, safety, fail-closed
capabilities, and the platform's own syntax checker where one runs here."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from segcfg.compile import compile_site
from segcfg.errors import CapabilityError, SegcfgError
from segcfg.load import load_site
from segcfg.platforms import PLATFORMS
from segcfg.render import render_ruleset, safe_comment

from .conftest import EXAMPLE, ROOT, TODAY

ALL = sorted(PLATFORMS)


MINIMAL = ROOT / "tests" / "golden" / "sites" / "minimal"
_SITE_LINE = re.compile(r"\S*site\.yaml:\d+")


def render_all(site_dir: Path, platform: str) -> dict[str, str]:
    """The site compiled for ``platform``: the example hospital keeps its own platform per
    enforcement point (its interface names are real ones), other sites are re-targeted."""
    loaded = load_site(site_dir)
    if site_dir == EXAMPLE:
        return {
            rs.enforcement_point: render_ruleset(rs)
            for rs in compile_site(loaded, TODAY)
            if rs.platform == platform
        }
    return {
        rs.enforcement_point: render_ruleset(rs) for rs in compile_site(loaded, TODAY, platform)
    }


@pytest.mark.parametrize("platform", ALL)
def test_deterministic_and_independent_of_input_order(platform: str, tmp_path: Path) -> None:
    first = render_all(EXAMPLE, platform)
    assert first and first == render_all(EXAMPLE, platform)
    # Shuffle every list of the site file and copy the inventory: output must not change.
    data = yaml.safe_load((EXAMPLE / "site.yaml").read_text())
    rng = random.Random(7)
    for key in ("zones", "hosts", "devices", "enforcement_points"):
        rng.shuffle(data[key])
    data["profile_dirs"] = [str(ROOT / "device_profiles")]
    lines = (EXAMPLE / "inventory.csv").read_text().splitlines()
    body = lines[1:]
    rng.shuffle(body)
    (tmp_path / "inventory.csv").write_text("\n".join([lines[0], *body]) + "\n")
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(data))
    shuffled = {
        rs.enforcement_point: render_ruleset(rs)
        for rs in compile_site(load_site(tmp_path), TODAY)
        if rs.platform == platform
    }
    # Only the provenance of site-file lines may move (the shuffled file has other lines).
    assert {k: _SITE_LINE.sub("site", v) for k, v in shuffled.items()} == {
        k: _SITE_LINE.sub("site", v) for k, v in first.items()
    }


@pytest.mark.parametrize("platform", ALL)
def test_every_rule_is_rendered_with_its_provenance(platform: str) -> None:
    loaded = load_site(EXAMPLE)
    for rs in [
        *compile_site(loaded, TODAY, platform=None),
        *compile_site(load_site(MINIMAL), TODAY, platform),
    ]:
        if rs.platform != platform:
            continue
        text = render_ruleset(rs)
        assert "\r" not in text and "\t" not in text
        for line in text.splitlines():
            assert line.isprintable(), line
        for rule in rs.rules:
            assert rule.name in text, f"{rs.enforcement_point}: {rule.name} not rendered"
        for rule in rs.rules:
            if rule.section == "permit":
                assert rule.remarks and "HICP" in rule.remarks[0]
        for tag in ("DEFAULT-DENY",):
            assert tag in text


def test_comments_cannot_inject_lines() -> None:
    nasty = 'ok"\n permit ip any any\r\n; } chain x {'
    clean = safe_comment(nasty, 200)
    assert "\n" not in clean and '"' not in clean and ";" not in clean and "{" not in clean


def _ipv6_site(tmp_path: Path, platform: str) -> Path:
    data = {
        "site": "v6",
        "profile_dirs": [],
        "zones": [
            {"name": "clin", "kind": "clinical", "networks": ["198.18.10.0/24", "2001:db8:a::/64"]},
            {"name": "dc", "kind": "clinical_servers", "networks": ["198.18.100.0/24"]},
            {"name": "corp", "kind": "corporate", "networks": ["2001:db8:c::/64"]},
        ],
        "enforcement_points": [
            {
                "name": "fw",
                "platform": platform,
                "interfaces": [
                    {"name": "a", "zone": "clin"},
                    {"name": "b", "zone": "dc"},
                    {"name": "c", "zone": "corp"},
                ],
            }
        ],
    }
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


@pytest.mark.parametrize("platform", ALL)
def test_capabilities_fail_closed(platform: str, tmp_path: Path) -> None:
    loaded = load_site(_ipv6_site(tmp_path, platform))
    if PLATFORMS[platform].ipv6:
        (rs,) = compile_site(loaded, TODAY, platform)
        assert any(r.family == 6 for r in rs.rules)
        render_ruleset(rs)
    else:
        with pytest.raises(CapabilityError) as err:
            compile_site(loaded, TODAY, platform)
        codes = {d.code for d in err.value.diagnostics}
        assert codes == {"capability-ipv6"}
        # Every problem is listed: both IPv6 zones guarded here.
        assert len(err.value.diagnostics) == 2


def test_unsafe_profile_is_refused(tmp_path: Path) -> None:
    site = load_site(EXAMPLE).site
    data = yaml.safe_load((EXAMPLE / "site.yaml").read_text())
    data["profile_dirs"] = ["profiles"]
    data["inventory"] = []
    (tmp_path / "profiles").mkdir()
    for p in (ROOT / "device_profiles").glob("*.yaml"):
        shutil.copy(p, tmp_path / "profiles" / p.name)
    pump = yaml.safe_load((tmp_path / "profiles" / "infusion-pump.yaml").read_text())
    pump["communications"].append(
        {
            "initiator": "peer",
            "peer": "zone-kind:scanner",
            "services": ["tcp/443"],
            "why": "x",
            "source": "typical",
        }
    )
    (tmp_path / "profiles" / "infusion-pump.yaml").write_text(yaml.safe_dump(pump))
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(data))
    assert site.devices
    with pytest.raises(SegcfgError) as err:
        compile_site(load_site(tmp_path), TODAY)
    assert "scanner-to-clinical" in {d.code for d in err.value.diagnostics}
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", "compile", str(tmp_path), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "scanner-to-clinical" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists(), "nothing may be written when the compiler refuses"


def _unshare() -> list[str]:
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is required to syntax-check in a private namespace")
    return ["unshare", "--net"]


@pytest.mark.parametrize("case", ["example", "minimal"])
def test_nftables_output_passes_nft_check(case: str, tmp_path: Path) -> None:
    nft = shutil.which("nft")
    if nft is None:
        pytest.fail("nft is not installed (.ci/run installs the nftables package)")
    site = EXAMPLE if case == "example" else MINIMAL
    for name, text in render_all(site, "nftables").items():
        path = tmp_path / f"{name}.nft"
        path.write_text(text)
        proc = subprocess.run(
            [*_unshare(), nft, "-c", "-f", str(path)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"{name}: {proc.stderr}"


@pytest.mark.parametrize("case", ["example", "minimal"])
def test_iptables_output_passes_iptables_restore_test(case: str, tmp_path: Path) -> None:
    tool = shutil.which("iptables-restore")
    if tool is None:
        pytest.fail("iptables-restore is not installed (.ci/run installs the iptables package)")
    site = EXAMPLE if case == "example" else MINIMAL
    for name, text in render_all(site, "iptables").items():
        path = tmp_path / f"{name}.rules"
        path.write_text(text)
        with path.open() as fh:
            proc = subprocess.run(
                [*_unshare(), tool, "--test"], stdin=fh, capture_output=True, text=True, check=False
            )
        assert proc.returncode == 0, f"{name}: {proc.stderr}"


def test_compile_check_and_atomic_output(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    run = [sys.executable, "-m", "segcfg", "compile", str(EXAMPLE), "--out", str(out)]
    assert subprocess.run([*run, "--check"], capture_output=True, check=False).returncode == 1
    assert not out.exists()
    assert subprocess.run(run, capture_output=True, check=False).returncode == 0
    files = sorted((out / "example-general").iterdir())
    assert len(files) == len(load_site(EXAMPLE).site.enforcement_points)
    assert subprocess.run([*run, "--check"], capture_output=True, check=False).returncode == 0
    files[0].write_text(files[0].read_text() + "# drift\n")
    assert subprocess.run([*run, "--check"], capture_output=True, check=False).returncode == 1


def test_committed_generated_output_is_current() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", "compile", "examples/hospital", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("platform", ["nftables", "iptables"])
def test_linux_interface_names_longer_than_ifnamsiz_fail_closed(
    platform: str, tmp_path: Path
) -> None:
    """nft and iptables-restore refuse interface names over 15 characters when the file is
    loaded; the compiler refuses them first, listing every one, and writes nothing."""
    out = tmp_path / "out"
    command = ["compile", str(EXAMPLE), "--platform", platform, "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", *command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    named = re.findall(r"interface name '([^']+)' is not valid on " + platform, proc.stderr)
    site = load_site(EXAMPLE).site
    too_long = {i.name for ep in site.enforcement_points for i in ep.interfaces if len(i.name) > 15}
    assert too_long and set(named) == too_long
    assert "Traceback" not in proc.stderr and not out.exists()
