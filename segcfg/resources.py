"""Where the bundled device-profile library and templates live, in a checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """``device_profiles`` or ``templates``: package data in a wheel, the top-level folder in a
    source checkout or editable install."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
