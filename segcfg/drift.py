"""Drift: check configurations pulled from the enforcement points, record them, and say what
would bring each drifted device back to the compiled intent.

Pulling is the collector's job (:mod:`segcfg.collect`, the only NAPALM/Nornir importer); this
module only needs the texts (or the per-device errors) it returns.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from segcfg.compile import compile_site
from segcfg.errors import SegcfgError
from segcfg.history import DeviceResult
from segcfg.intent import Intent
from segcfg.lint import lint_site
from segcfg.load import LoadedSite
from segcfg.platforms.parsers import parser_for
from segcfg.render import render_ruleset
from segcfg.validate import validate_running

# A device that answers a command with an error prints one of these instead of a config.
_ERROR_TEXT = re.compile(
    r"^\s*(% ?(Invalid input|Incomplete command|Ambiguous command|Unknown command|"
    r"Authorization failed|Bad )|error: |syntax error|unknown command)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Pulled:
    """What the collector got from one enforcement point."""

    device: str
    platform: str
    config: str | None
    error: str | None = None


def config_error(text: str) -> str | None:
    """Why a pulled text is not a configuration, or None."""
    stripped = text.strip()
    if not stripped:
        return "the device returned an empty configuration"
    match = _ERROR_TEXT.search(stripped[:2000])
    if match and len(stripped.splitlines()) < 20:
        return f"the device returned an error instead of a configuration: {match.group().strip()}"
    return None


def check_pulled(
    intent: Intent, loaded: LoadedSite, pulled: Iterable[Pulled]
) -> list[DeviceResult]:
    """Parse and validate each pulled configuration; failures are per device."""
    eps = {ep.name: ep for ep in loaded.site.enforcement_points}
    out: list[DeviceResult] = []
    for p in pulled:
        if p.config is None:
            out.append(DeviceResult(p.device, p.platform, None, None, p.error or "not pulled"))
            continue
        problem = config_error(p.config)
        if problem is not None:
            out.append(DeviceResult(p.device, p.platform, None, p.config, problem))
            continue
        try:
            parsed = parser_for(p.platform)(p.config, f"{p.device} (running)")
        except (SegcfgError, KeyError) as exc:
            out.append(DeviceResult(p.device, p.platform, None, p.config, f"cannot parse: {exc}"))
            continue
        report = validate_running(intent, eps[p.device], parsed)
        out.append(DeviceResult(p.device, p.platform, report, p.config))
    return out


def site_metrics(loaded: LoadedSite, today: date, results: list[DeviceResult]) -> dict[str, int]:
    """The HICP metrics of this run: lint's, plus unmitigated critical findings."""
    metrics = dict(lint_site(loaded, today).metrics)
    metrics["critical_findings"] = sum(
        1 for r in results if r.report for f in r.report.violations if f.severity == "critical"
    )
    metrics["devices_not_checked"] = sum(1 for r in results if r.report is None)
    return metrics


def remediation(loaded: LoadedSite, today: date, result: DeviceResult) -> str:
    """A reviewable patch from the running configuration to the compiled one (segcfg never
    pushes: a person applies it, ideally as a configuration replace of segcfg's part)."""
    (rs,) = compile_site(loaded, today, result.platform, only={result.device})
    intended = render_ruleset(rs)
    running = result.config_text or ""
    return "".join(
        difflib.unified_diff(
            running.splitlines(keepends=True),
            intended.splitlines(keepends=True),
            fromfile=f"{result.device} (running)",
            tofile=f"{result.device} (compiled intent)",
        )
    )
