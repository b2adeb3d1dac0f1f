"""``segcfg compile``: render every enforcement point of a site into generated/<site>/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from segcfg.cli.app import Today, _parse_date, app
from segcfg.compile import compile_site
from segcfg.load import load_site
from segcfg.output import write_files_atomically
from segcfg.platforms import PLATFORMS, capabilities
from segcfg.render import render_ruleset


def _check_platform(value: str | None) -> str | None:
    if value is not None and value not in PLATFORMS:
        raise typer.BadParameter(f"{value!r}: choose one of {', '.join(sorted(PLATFORMS))}")
    return value


def compiled_files(
    site_dir: Path, out: Path, platform: str | None, templates: Path | None, today_text: str | None
) -> tuple[Path, dict[Path, bytes]]:
    loaded = load_site(site_dir)
    rulesets = compile_site(loaded, _parse_date(today_text), platform)
    target = out / loaded.site.site
    files: dict[Path, bytes] = {}
    for rs in rulesets:
        ext = capabilities(rs.platform).extension
        files[target / f"{rs.enforcement_point}.{ext}"] = render_ruleset(rs, templates).encode()
    return target, files


_EXTENSIONS = {c.extension for c in PLATFORMS.values()}


@app.command("compile")
def compile_cmd(
    site_dir: Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output root.")] = Path("generated"),
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            "-p",
            help="Render every enforcement point for this platform.",
            callback=_check_platform,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the files on disk differ; write nothing.")
    ] = False,
    templates: Annotated[
        Path | None,
        typer.Option("--templates", help="Directory of template overrides (<platform>/*.j2)."),
    ] = None,
    today: Today = None,
) -> None:
    """Compile the site into rule sets: generated/<site>/<enforcement-point>.<ext>.

    Output is byte-identical across runs. Exit 0 written (or current with --check), 1 stale
    with --check, 2 bad input or a site a platform cannot express.
    """
    target, files = compiled_files(site_dir, out, platform, templates, today)
    extra = sorted(
        p
        for p in (target.iterdir() if target.is_dir() else [])
        if p.suffix.lstrip(".") in _EXTENSIONS and p not in files
    )
    if check:
        stale = [
            p for p, data in sorted(files.items()) if not p.is_file() or p.read_bytes() != data
        ]
        for p in stale:
            typer.echo(f"stale: {p}", err=True)
        for p in extra:
            typer.echo(f"not produced any more: {p}", err=True)
        if stale or extra:
            raise typer.Exit(1)
        typer.echo(f"{len(files)} file(s) current in {target}")
        return
    write_files_atomically(files)
    for p in extra:
        p.unlink()
    for p in sorted(files):
        typer.echo(f"wrote {p}")
