"""Writing outputs atomically: every file of a batch appears, or none changes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from segcfg.errors import Diagnostic, Location, OutputError, Severity


def write_files_atomically(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary sibling first, then rename them all into place.

    If anything fails before the renames, nothing is changed and the temporaries are removed.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in sorted(files.items()):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            staged.append((Path(tmp_name), path))
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise OutputError(
            Diagnostic(
                Location(str(exc.filename or "?")),
                Severity.ERROR,
                f"cannot write output: {exc.strerror}",
                "io",
            )
        ) from exc
    for tmp, path in staged:
        os.replace(tmp, path)
