"""``segcfg diff``: a semantic diff of two versions of the policy, ready for a pull request."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from segcfg.cli.app import Today, _parse_date, app
from segcfg.cli.validate_cmd import parse_running
from segcfg.diff import FlowChange, RunningChange, SiteDiff, diff_running, diff_sites
from segcfg.errors import SegcfgError
from segcfg.load import load_site

DIFF_FORMATS = ("text", "json", "markdown")


def _git_checkout(site_dir: Path, rev: str, into: Path) -> tuple[Path, Path]:
    """The site directory and the profile library as they were at ``rev``."""
    top = subprocess.run(
        ["git", "-C", str(site_dir), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    if top.returncode != 0:
        raise SegcfgError(f"{site_dir} is not inside a git repository")
    root = Path(top.stdout.strip())
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", rev], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SegcfgError(f"git archive {rev}: {archive.stderr.decode().strip()}")
    tar_path = into / "old.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into / "old", filter="data")
    rel = site_dir.resolve().relative_to(root.resolve())
    return into / "old" / rel, into / "old" / "device_profiles"


def _text(d: SiteDiff) -> str:
    lines = []
    for c in d.changes:
        flag = f" GUARANTEE {','.join(c.guarantees)}" if c.guarantees else ""
        lines.append(
            f"{'+' if c.change == 'added' else '-'} {c.src_zone} -> {c.dst_zone} "
            f"[{c.device_class}] {c.service()}: {len(c.endpoints)} flow(s), "
            f"{c.requirement} ({c.source}){flag}"
        )
        for s, t in c.endpoints[:5]:
            lines.append(f"    {s} -> {t}")
        if len(c.endpoints) > 5:
            lines.append(f"    ... and {len(c.endpoints) - 5} more")
    lines += [f"note: {n}" for n in d.notes]
    added = sum(1 for c in d.changes if c.change == "added")
    lines.append(
        f"{added} group(s) newly allowed, {len(d.changes) - added} no longer allowed, "
        f"{sum(1 for c in d.changes if c.guarantees)} touching a guarantee"
    )
    for name, text in d.file_diffs.items():
        lines.append(f"\n{text.rstrip()}" if text else f"\n{name}: changed")
    return "\n".join(lines) + "\n"


def _md_row(c: FlowChange) -> str:
    ends = ", ".join(f"`{s}` → `{t}`" for s, t in c.endpoints[:3])
    if len(c.endpoints) > 3:
        ends += f" (+{len(c.endpoints) - 3})"
    return (
        f"| {c.src_zone} → {c.dst_zone} | {c.device_class} | `{c.service()}` | {ends} | "
        f"{c.requirement} (`{c.source}`) |"
    )


def _markdown(d: SiteDiff) -> str:
    added = [c for c in d.changes if c.change == "added"]
    removed = [c for c in d.changes if c.change == "removed"]
    touching = [c for c in d.changes if c.guarantees]
    out = [
        "## segcfg: segmentation change review",
        "",
        "| | groups | flows |",
        "|---|---:|---:|",
        f"| newly allowed | {len(added)} | {sum(len(c.endpoints) for c in added)} |",
        f"| no longer allowed | {len(removed)} | {sum(len(c.endpoints) for c in removed)} |",
        f"| **breaking a guarantee** | {len(touching)} | "
        f"{sum(len(c.endpoints) for c in touching)} |",
        "",
    ]
    head = "| zone pair | class | service | flows | requirement |\n|---|---|---|---|---|"
    if touching:
        out += ["### Guarantee changes (review first)", ""]
        for c in touching:
            out.append(
                f"- **{', '.join(c.guarantees)}**: {c.src_zone} → {c.dst_zone} "
                f"`{c.service()}` by {c.requirement} (`{c.source}`)"
            )
        out.append("")
    for title, group in (("Newly allowed", added), ("No longer allowed", removed)):
        if group:
            out += [f"### {title}", "", head, *(_md_row(c) for c in group), ""]
    if not d.changes:
        out += ["No allowed flow changed.", ""]
    for n in d.notes:
        out += [f"> {n}", ""]
    for name, text in d.file_diffs.items():
        out += [
            f"<details><summary>Generated configuration: <code>{name}</code></summary>",
            "",
            "```diff",
            text.rstrip(),
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(out) + "\n"


def _running_text(changes: list[RunningChange]) -> str:
    lines = []
    for c in changes:
        ports = ", ".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in c.ports)
        svc = f"{c.protocol}/{ports}" if ports else c.protocol
        lines.append(
            f"{'+' if c.change == 'added' else '-'} {c.in_interface} -> "
            f"{c.out_interface} {svc}  e.g. {c.witness}"
        )
        lines.append(f"    before: {c.before_line or 'no line (default)'}")
        lines.append(f"    after:  {c.after_line or 'no line (default)'}")
    lines.append(
        f"{sum(c.change == 'added' for c in changes)} newly allowed, "
        f"{sum(c.change == 'removed' for c in changes)} no longer allowed"
    )
    return "\n".join(lines) + "\n"


@app.command()
def diff(
    old: Annotated[
        Path,
        typer.Argument(
            help="Old site directory (or, with --running, the config before the change)."
        ),
    ],
    new: Annotated[
        Path | None, typer.Argument(help="New site directory (or the config after).")
    ] = None,
    git_base: Annotated[
        str | None,
        typer.Option("--git-base", help="Compare OLD as it is now with OLD at this git revision."),
    ] = None,
    running: Annotated[
        bool, typer.Option("--running", help="OLD and NEW are two running configs of one device.")
    ] = False,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Platform of the running configs.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or markdown.")] = "text",
    today: Today = None,
) -> None:
    """What can now talk to what, that could not before (and the reverse), by flow.

    Exit 0 no allowed flow changed, 1 some did (so CI can require a review), 2 error.
    """
    if fmt not in DIFF_FORMATS:
        raise typer.BadParameter(f"{fmt!r}: choose one of {', '.join(DIFF_FORMATS)}")
    if running:
        if new is None or platform is None:
            raise typer.BadParameter("--running needs BEFORE, AFTER and --platform")
        changes = diff_running(parse_running(old, platform), parse_running(new, platform))
        if fmt == "json":
            sys.stdout.write(json.dumps([asdict(c) for c in changes], indent=2, default=str) + "\n")
        else:
            sys.stdout.write(_running_text(changes))
        raise typer.Exit(1 if changes else 0)
    when = _parse_date(today)
    with tempfile.TemporaryDirectory(prefix="segcfg-diff-") as tmp:
        if git_base is not None:
            old_dir, old_lib = _git_checkout(old, git_base, Path(tmp))
            before = load_site(old_dir, builtin=old_lib if old_lib.is_dir() else None)
            after = load_site(new or old)
        else:
            if new is None:
                raise typer.BadParameter("give OLD and NEW site directories, or --git-base")
            before, after = load_site(old), load_site(new)
        result = diff_sites(before, after, when)
    if fmt == "json":
        doc = {
            "changes": [asdict(c) for c in result.changes],
            "notes": result.notes,
            "file_diffs": result.file_diffs,
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(_markdown(result))
    else:
        sys.stdout.write(_text(result))
    raise typer.Exit(1 if result.changed else 0)
