"""Diagnostics (load and lint results) as text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from segcfg import __version__
from segcfg.errors import Diagnostic, Severity

FORMATS = ("text", "json", "sarif")
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {
        "file": d.location.file,
        "line": d.location.line,
        "col": d.location.col,
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
    }
    if d.hicp:
        out["hicp"] = d.hicp
    return out


def summary_line(diags: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diags if d.severity is Severity.WARNING)
    return f"{errors} error(s), {warnings} warning(s)"


def render_text(diags: Sequence[Diagnostic], metrics: Mapping[str, int] | None = None) -> str:
    lines = [d.format() for d in diags]
    if metrics:
        lines.append("metrics: " + ", ".join(f"{k}={v}" for k, v in metrics.items()))
    lines.append(summary_line(diags))
    return "\n".join(lines) + "\n"


def render_json(
    diags: Sequence[Diagnostic], metrics: Mapping[str, int] | None = None, ok: bool = True
) -> str:
    doc: dict[str, Any] = {
        "tool": "segcfg",
        "version": __version__,
        "loaded": ok,
        "diagnostics": [diagnostic_dict(d) for d in diags],
        "errors": sum(1 for d in diags if d.severity is Severity.ERROR),
        "warnings": sum(1 for d in diags if d.severity is Severity.WARNING),
    }
    if metrics is not None:
        doc["metrics"] = dict(metrics)
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def render_sarif(diags: Sequence[Diagnostic]) -> str:
    codes = sorted({d.code for d in diags})
    rules = [{"id": c, "name": c, "shortDescription": {"text": c}} for c in codes]
    results = []
    for d in diags:
        region: dict[str, int] = {}
        if d.location.line > 0:
            region = {"startLine": d.location.line, "startColumn": max(d.location.col, 1)}
        loc: dict[str, Any] = {"artifactLocation": {"uri": d.location.file}}
        if region:
            loc["region"] = region
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + (f" (HICP {d.hicp})" if d.hicp else "")},
            "locations": [{"physicalLocation": loc}],
        }
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "segcfg",
                        "version": __version__,
                        "informationUri": "https://github.com/segcfg/segcfg",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def render(
    diags: Sequence[Diagnostic],
    fmt: str,
    metrics: Mapping[str, int] | None = None,
    loaded: bool = True,
) -> str:
    if fmt == "json":
        return render_json(diags, metrics, loaded)
    if fmt == "sarif":
        return render_sarif(diags)
    return render_text(diags, metrics)
