"""Golden files: every platform renders the golden sites exactly as committed.

Cases are folders discovered automatically: ``tests/golden/<platform>/<case>/`` holds the
expected output of site ``tests/golden/sites/<case>`` (or the example hospital for case
``hospital``) compiled with ``--platform <platform>``. On a mismatch the actual text is written
next to the expected file as ``<name>.actual``; set SEGCFG_UPDATE_GOLDEN=1 to rewrite them.
"""

from __future__ import annotations

import os

import pytest

from segcfg.compile import compile_site
from segcfg.load import load_site
from segcfg.platforms import PLATFORMS, capabilities
from segcfg.render import render_ruleset

from .conftest import EXAMPLE, ROOT, TODAY

GOLDEN = ROOT / "tests" / "golden"
CASES = {"hospital": EXAMPLE, **{p.name: p for p in sorted((GOLDEN / "sites").iterdir())}}


def rendered(case: str, platform: str) -> dict[str, str]:
    loaded = load_site(CASES[case])
    ext = capabilities(platform).extension
    if case == "hospital":  # the example keeps its own platforms (real interface names)
        rulesets = [rs for rs in compile_site(loaded, TODAY) if rs.platform == platform]
    else:
        rulesets = compile_site(loaded, TODAY, platform)
    return {f"{rs.enforcement_point}.{ext}": render_ruleset(rs) for rs in rulesets}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_golden(platform: str, case: str) -> None:
    folder = GOLDEN / platform / case
    actual = rendered(case, platform)
    if os.environ.get("SEGCFG_UPDATE_GOLDEN"):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in actual.items():
            (folder / name).write_text(text)
    expected = (
        {p.name: p.read_text() for p in sorted(folder.glob("*")) if p.suffix != ".actual"}
        if folder.is_dir()
        else {}
    )
    mismatched = []
    for name, text in actual.items():
        if expected.get(name) != text:
            (folder / f"{name}.actual").parent.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.actual").write_text(text)
            mismatched.append(name)
        else:
            (folder / f"{name}.actual").unlink(missing_ok=True)
    assert not mismatched, f"golden mismatch in {folder}: {mismatched} (see *.actual)"
    assert sorted(expected) == sorted(actual), "golden files without output, or missing ones"


def test_every_golden_folder_is_a_case() -> None:
    for platform_dir in GOLDEN.iterdir():
        if platform_dir.name == "sites":
            continue
        assert platform_dir.name in PLATFORMS
        for case_dir in platform_dir.iterdir():
            assert case_dir.name in CASES, case_dir
