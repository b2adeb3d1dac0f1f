"""Typer application and the commands that belong to site input: lint and schema."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from segcfg.errors import SegcfgError
from segcfg.lint import lint_site
from segcfg.load import load_site
from segcfg.output import write_files_atomically
from segcfg.report.diagnostics import FORMATS, render
from segcfg.schema import schema_files


@dataclass
class _State:
    debug: bool = False


state = _State()

app = typer.Typer(
    name="segcfg",
    help="Medical-device segmentation (HICP Practice #9): lint profiles, compile firewall rule "
    "sets, validate running firewalls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    state.debug = debug


def today_utc() -> date:
    return datetime.now(UTC).date()


def _parse_date(value: str | None) -> date:
    if value is None:
        return today_utc()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: choose one of {', '.join(FORMATS)}")
    return fmt


SiteDir = Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")]
Format = Annotated[
    str, typer.Option("--format", "-f", help="text, json or sarif.", callback=_check_format)
]
Today = Annotated[
    str | None,
    typer.Option(
        "--today", help="Evaluate expiry as of this date (YYYY-MM-DD); default: today (UTC)."
    ),
]


@app.command()
def lint(site_dir: SiteDir, fmt: Format = "text", today: Today = None) -> None:
    """Check the site and its profiles: schema, references, guarantees, HICP hygiene.

    Exit 0 clean (warnings allowed), 1 error findings, 2 input that could not be loaded.
    """
    when = _parse_date(today)
    try:
        loaded = load_site(site_dir)
    except SegcfgError as exc:
        if fmt == "text":
            raise
        sys.stdout.write(render(exc.diagnostics, fmt, None, loaded=False))
        raise typer.Exit(2) from None
    report = lint_site(loaded, when)
    sys.stdout.write(render(report.diagnostics, fmt, report.metrics))
    raise typer.Exit(1 if report.errors else 0)


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write into.")] = Path(
        "generated/schema"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the files on disk differ; write nothing.")
    ] = False,
) -> None:
    """Write JSON Schema for site and profile files (site.schema.json, profile.schema.json)."""
    files = {out / name: data for name, data in schema_files().items()}
    if check:
        stale = [p for p, data in files.items() if not p.is_file() or p.read_bytes() != data]
        for p in stale:
            typer.echo(f"stale: {p}", err=True)
        raise typer.Exit(1 if stale else 0)
    write_files_atomically(files)
    for p in sorted(files):
        typer.echo(f"wrote {p}")
