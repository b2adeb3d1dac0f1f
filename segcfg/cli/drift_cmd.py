"""``segcfg drift``: pull what is really running, check it, and keep the record."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from segcfg.cli.app import Today, _parse_date, app, state
from segcfg.drift import check_pulled, remediation, site_metrics
from segcfg.history import default_db, record_run
from segcfg.intent import build_intent
from segcfg.load import load_site
from segcfg.report.findings import render


@app.command()
def drift(
    site_dir: Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")],
    firewall: Annotated[
        list[str] | None,
        typer.Option("--firewall", help="Enforcement point (repeatable); default: all."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Devices pulled at once (Nornir).")] = 4,
    timeout: Annotated[float, typer.Option(help="Seconds to connect and authenticate.")] = 10.0,
    credentials: Annotated[
        Path | None,
        typer.Option(
            "--credentials",
            help="YAML file outside the repository: default/devices "
            "username and password. Default: SEGCFG_USERNAME / SEGCFG_PASSWORD.",
        ),
    ] = None,
    nornir_config: Annotated[
        Path | None,
        typer.Option(
            "--nornir-config",
            help="Your own Nornir configuration file; its inventory hosts, named as the "
            "enforcement points, replace the site's napalm blocks.",
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", help="History database (default: segcfg-history.sqlite3 in the site)."
        ),
    ] = None,
    show_remediation: Annotated[
        bool,
        typer.Option(
            "--remediation", help="Print, per drifted device, a patch back to the intent."
        ),
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json, sarif or junit.")
    ] = "text",
    today: Today = None,
) -> None:
    """Pull each enforcement point's running configuration (NAPALM, a fleet through Nornir),
    validate it against the intent, and record the run in the history database.

    Exit 0 all comply, 1 violations, 3 some devices could not be checked, 2 bad input.
    """
    from segcfg.collect import load_credentials, pull_running

    if not state.debug:
        # Nornir, NAPALM, Netmiko and paramiko log each device's failure with a traceback;
        # segcfg reports it once per device in its own words instead.
        logging.getLogger().addHandler(logging.NullHandler())
        for name in ("nornir", "napalm", "netmiko", "paramiko", "ncclient"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

    when = _parse_date(today)
    loaded = load_site(site_dir)
    names = firewall or [ep.name for ep in loaded.site.enforcement_points]
    known = {ep.name for ep in loaded.site.enforcement_points}
    unknown = sorted(set(names) - known)
    if unknown:
        raise typer.BadParameter(f"no enforcement point {', '.join(unknown)}")
    creds = load_credentials(names, loaded.site_dir, credentials)
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=len(names) < 2) as bar:
        job = bar.add_task("pulling running configurations", total=len(names))
        pulled = pull_running(
            loaded,
            names,
            creds,
            workers,
            timeout,
            progress=lambda _name, _ok: bar.advance(job),
            nornir_config=nornir_config,
        )
    results = check_pulled(build_intent(loaded, when), loaded, pulled)
    run_id = record_run(
        db or default_db(loaded.site_dir),
        loaded.site.site,
        results,
        site_metrics(loaded, when, results),
    )
    reports = [r.report for r in results if r.report is not None]
    if fmt == "text":
        for r in results:
            extra = f": {r.error}" if r.error else ""
            if r.report is not None and r.report.violations:
                extra = f": {len(r.report.violations)} violation(s)"
            typer.echo(f"{r.device:<20} {r.platform:<10} {r.status.upper()}{extra}")
        typer.echo("")
    if reports:
        sys.stdout.write(render(reports, fmt))
    if show_remediation:
        for r in results:
            if r.status == "violates":
                typer.echo(f"\n# remediation for {r.device} (review, then apply as a replace)")
                sys.stdout.write(remediation(loaded, when, r))
    typer.echo(f"recorded as run {run_id}", err=True)
    if any(r.report is None for r in results):
        raise typer.Exit(3)
    raise typer.Exit(1 if any(r.status != "complies" for r in results) else 0)
