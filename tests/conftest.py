"""Shared fixtures: the example site, a fixed date, the repository root."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from segcfg.load import LoadedSite, load_site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hospital"
TODAY = date(2026, 11, 28)


@pytest.fixture(scope="session")
def example_site() -> LoadedSite:
    return load_site(EXAMPLE)
