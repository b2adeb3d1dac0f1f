"""The history of checks in SQLite (standard library): runs, devices, findings, metrics.

One database per site by default (``SITE_DIR/segcfg-history.sqlite3``). Each run records, per
enforcement point, whether it could be checked, the hash of the configuration that was checked
(never the configuration itself, never credentials), and the findings; and the site's HICP
metrics, so they can be trended.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from segcfg import __version__
from segcfg.validate import ValidationReport

DEFAULT_DB = "segcfg-history.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    site TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    device TEXT NOT NULL,
    platform TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('complies', 'violates', 'not checked')),
    config_sha256 TEXT,
    error TEXT,
    PRIMARY KEY (run_id, device)
);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    device TEXT NOT NULL,
    check_name TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    line INTEGER
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id, device);
"""


@dataclass(frozen=True)
class DeviceResult:
    """What one enforcement point gave in a run: a report, or why it could not be checked."""

    device: str
    platform: str
    report: ValidationReport | None
    config_text: str | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        if self.report is None:
            return "not checked"
        if self.report.violations:
            return "violates"
        return "not checked" if self.report.not_checked else "complies"


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(SCHEMA)
        yield db


def record_run(
    path: Path,
    site: str,
    results: list[DeviceResult],
    metrics: Mapping[str, int],
    now: datetime | None = None,
) -> int:
    """Store one run; returns its id. The whole run is one transaction."""
    started = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    with connect(path) as db, db:
        cur = db.execute(
            "INSERT INTO runs (started_at, site, tool_version) VALUES (?, ?, ?)",
            (started, site, __version__),
        )
        run_id = int(cur.lastrowid or 0)
        for r in results:
            digest = hashlib.sha256(r.config_text.encode()).hexdigest() if r.config_text else None
            db.execute(
                "INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, r.device, r.platform, r.status, digest, r.error),
            )
            if r.report is not None:
                db.executemany(
                    "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (run_id, r.device, f.check, f.status, f.severity, f.message, f.line)
                        for f in r.report.findings
                        if f.status != "complies"
                    ],
                )
        db.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?)",
            [(run_id, k, int(v)) for k, v in sorted(metrics.items())],
        )
    return run_id


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    started_at: str
    devices: dict[str, str]  # device -> status
    critical: dict[str, int]  # device -> unmitigated critical findings
    metrics: dict[str, int]


def read_history(path: Path, site: str | None = None, limit: int = 50) -> list[RunSummary]:
    """The latest runs, oldest first."""
    if not path.exists():
        return []
    with connect(path) as db:
        query = "SELECT id, started_at FROM runs"
        args: tuple[object, ...] = ()
        if site is not None:
            query += " WHERE site = ?"
            args = (site,)
        rows = db.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        out = []
        for run_id, started in reversed(rows):
            devices = dict(
                db.execute("SELECT device, status FROM devices WHERE run_id = ?", (run_id,))
            )
            critical = {d: 0 for d in devices}
            for device, n in db.execute(
                "SELECT device, COUNT(*) FROM findings WHERE run_id = ? AND severity = "
                "'critical' AND status = 'violates' GROUP BY device",
                (run_id,),
            ):
                critical[device] = int(n)
            metrics = dict(
                db.execute("SELECT name, value FROM metrics WHERE run_id = ?", (run_id,))
            )
            out.append(RunSummary(int(run_id), str(started), devices, critical, metrics))
        return out


def default_db(site_dir: Path) -> Path:
    return (site_dir if site_dir.is_dir() else site_dir.parent) / DEFAULT_DB
