"""``segcfg prove``: the generated Linux rule sets judged by the kernel with real packets."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from segcfg.cli.app import Today, _parse_date, app
from segcfg.load import load_site
from segcfg.prove.run import LINUX_PLATFORMS, Round, prove_site


def _text(rounds: list[Round], all_probes: bool) -> str:
    lines = []
    for rnd in rounds:
        head = f"== {rnd.enforcement_point} ({rnd.platform}, {rnd.source})"
        if rnd.not_checked:
            lines.append(f"{head}: NOT CHECKED: {rnd.not_checked}")
            continue
        bad = rnd.mismatches
        lines.append(f"{head}: {len(rnd.probes) - len(bad)}/{len(rnd.probes)} probes as expected")
        for p in rnd.probes:
            if p.ok and not all_probes:
                continue
            mark = "ok  " if p.ok else "FAIL"
            lines.append(
                f"  {mark} {p.category:<9} {p.src.name} {p.src.ip} -> {p.dst.name} {p.dst.ip} "
                f"{p.service():<9} expected {p.expected:<7} observed {p.observed}"
                + (f"  [{p.note}]" if p.note else "")
            )
    ok = sum(len(r.probes) - len(r.mismatches) for r in rounds)
    total = sum(len(r.probes) for r in rounds)
    skipped = sum(1 for r in rounds if r.not_checked)
    lines.append(
        f"{ok}/{total} probes as expected in {len(rounds)} round(s)"
        + (f", {skipped} round(s) not checked" if skipped else "")
    )
    return "\n".join(lines) + "\n"


def _json(rounds: list[Round]) -> str:
    doc = [
        {
            "enforcement_point": r.enforcement_point,
            "platform": r.platform,
            "source": r.source,
            "not_checked": r.not_checked or None,
            "probes": [
                {
                    "category": p.category,
                    "src": p.src.name,
                    "src_ip": str(p.src.ip),
                    "dst": p.dst.name,
                    "dst_ip": str(p.dst.ip),
                    "service": p.service(),
                    "expected": p.expected,
                    "observed": p.observed,
                    "ok": p.ok,
                    "requirement": p.note,
                }
                for p in r.probes
            ],
        }
        for r in rounds
    ]
    return json.dumps(doc, indent=2) + "\n"


@app.command()
def prove(
    site_dir: Annotated[Path, typer.Argument(help="Site directory (holding site.yaml).")],
    firewall: Annotated[
        list[str] | None,
        typer.Option(
            "--firewall",
            help="Enforcement point to prove (repeatable); default: every nftables "
            "and iptables point.",
        ),
    ] = None,
    ruleset: Annotated[
        Path | None,
        typer.Option(
            "--ruleset",
            help="Prove this rule-set file instead of the compiled one (one "
            "--firewall, with --platform).",
        ),
    ] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Platform of --ruleset: nftables or iptables.")
    ] = None,
    samples: Annotated[int, typer.Option(help="Random flows to sample per point.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the random sample.")] = 1,
    all_probes: Annotated[
        bool, typer.Option("--all", help="List every probe, not only failures.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    today: Today = None,
) -> None:
    """Load the nftables and iptables rule sets into a router network namespace and send real
    TCP, UDP and ICMP probes: required flows must pass, guarantee witnesses must be blocked.

    Needs root. Namespaces are named segcfg-<run id>-*, addressed from 198.18.0.0/15, and
    removed afterwards. Exit 0 every probe as expected, 1 a mismatch or a round not checked,
    2 bad input or a test bed that could not be built.
    """
    rulesets = None
    if ruleset is not None:
        if not firewall or len(firewall) != 1 or platform not in LINUX_PLATFORMS:
            raise typer.BadParameter(
                "--ruleset needs one --firewall and --platform nftables|iptables"
            )
        rulesets = {(firewall[0], platform): ruleset.read_text()}
    loaded = load_site(site_dir)
    start = time.monotonic()
    rounds = prove_site(
        loaded,
        _parse_date(today),
        firewall,
        rulesets,
        samples,
        seed,
        progress=lambda m: typer.echo(m, err=True),
    )
    sys.stdout.write(_json(rounds) if fmt == "json" else _text(rounds, all_probes))
    typer.echo(f"proved in {time.monotonic() - start:.1f} s", err=True)
    failed = any(r.mismatches or r.not_checked for r in rounds) or not rounds
    raise typer.Exit(1 if failed else 0)
