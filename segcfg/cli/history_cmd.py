"""``segcfg history``: findings and the HICP metrics over time."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from segcfg.cli.app import app
from segcfg.history import default_db, read_history
from segcfg.load import find_site_file

TRENDED = (
    ("medical_devices_not_segmented", "not segmented"),
    ("devices_without_profile", "no profile"),
    ("critical_findings", "critical"),
    ("devices_not_checked", "not checked"),
)


@app.command()
def history(
    site_dir: Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")],
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", help="History database (default: segcfg-history.sqlite3 in the site)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many runs, the latest.")] = 50,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Runs of `segcfg drift` over time: per firewall status and unmitigated critical findings,
    and the HICP metrics (medical devices not segmented, devices without a profile)."""
    path = db or default_db(find_site_file(site_dir).parent)
    runs = read_history(path, None, limit)
    if fmt == "json":
        sys.stdout.write(json.dumps([asdict(r) for r in runs], indent=2) + "\n")
        return
    if not runs:
        typer.echo(f"no runs recorded in {path}")
        return
    devices = sorted({d for r in runs for d in r.devices})
    head = f"{'run':>4}  {'when':<25}" + "".join(f" {label:>13}" for _, label in TRENDED)
    typer.echo(head + "".join(f"  {d}" for d in devices))
    for r in runs:
        cells = "".join(f" {r.metrics.get(k, 0):>13}" for k, _ in TRENDED)
        per = "".join(
            f"  {d}={r.devices.get(d, '-')}"
            + (f"({r.critical.get(d, 0)} critical)" if r.critical.get(d) else "")
            for d in devices
        )
        typer.echo(f"{r.run_id:>4}  {r.started_at:<25}{cells}{per}")
