"""Validation findings as text, JSON, SARIF 2.1.0 and JUnit XML."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from segcfg import __version__
from segcfg.validate import Finding, ValidationReport

FORMATS = ("text", "json", "sarif", "junit")
_SARIF_LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}


def finding_dict(f: Finding) -> dict[str, Any]:
    w = f.witness
    return {
        "check": f.check,
        "status": f.status,
        "severity": f.severity,
        "message": f.message,
        "from_zone": f.from_zone,
        "to_zone": f.to_zone,
        "witness": None
        if w is None
        else {
            "src": w.src,
            "dst": w.dst,
            "protocol": w.protocol_name,
            "sport": w.sport,
            "dport": w.dport,
            "icmp_type": w.icmp_type,
            "service": w.service(),
        },
        "line": f.line,
        "line_text": f.line_text,
        "hicp": f.hicp,
        "requirement": f.requirement,
    }


def render_text(reports: Sequence[ValidationReport], show_complies: bool = False) -> str:
    lines: list[str] = []
    for rep in reports:
        lines.append(f"== {rep.enforcement_point} ({rep.platform}) {rep.path}")
        for f in rep.findings:
            if f.status == "complies" and not show_complies:
                continue
            where = f" [{f.from_zone} -> {f.to_zone}]" if f.from_zone else ""
            decided = ""
            if f.line is not None:
                decided = f"\n      line {f.line}" + (f": {f.line_text}" if f.line_text else "")
            req = f"\n      required by {f.requirement}" if f.requirement else ""
            hicp = f" (HICP {f.hicp})" if f.hicp and f.status != "complies" else ""
            lines.append(
                f"  {f.status.upper():<11} {f.severity:<8} {f.check}{where}: "
                f"{f.message}{hicp}{decided}{req}"
            )
        v, n = len(rep.violations), len(rep.not_checked)
        by_check: dict[str, int] = {}
        for f in rep.violations:
            by_check[f.check] = by_check.get(f.check, 0) + 1
        # With thousands of findings (one bad line shadows a whole ACL), the count per check
        # says at a glance what kind of damage it is.
        kinds = " (" + ", ".join(f"{c} {k}" for k, c in by_check.items()) + ")" if by_check else ""
        lines.append(
            f"  {v} violation(s){kinds}, {n} not checked, "
            f"{sum(1 for f in rep.findings if f.status == 'complies')} check(s) comply"
        )
    return "\n".join(lines) + "\n"


def render_json(reports: Sequence[ValidationReport]) -> str:
    doc = [
        {
            "site": r.site,
            "enforcement_point": r.enforcement_point,
            "platform": r.platform,
            "path": r.path,
            "violations": len(r.violations),
            "not_checked": len(r.not_checked),
            "findings": [finding_dict(f) for f in r.findings],
        }
        for r in reports
    ]
    return json.dumps(doc, indent=2) + "\n"


def render_sarif(reports: Sequence[ValidationReport]) -> str:
    results = []
    checks: set[str] = set()
    for rep in reports:
        for f in rep.findings:
            if f.status == "complies":
                continue
            checks.add(f.check)
            loc: dict[str, Any] = {"artifactLocation": {"uri": rep.path}}
            if f.line:
                loc["region"] = {"startLine": f.line}
            results.append(
                {
                    "ruleId": f.check,
                    "level": _SARIF_LEVEL[f.severity] if f.status == "violates" else "note",
                    "message": {"text": f"{rep.enforcement_point}: {f.message}"},
                    "locations": [{"physicalLocation": loc}],
                    "properties": {"status": f.status, "severity": f.severity},
                }
            )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "segcfg",
                        "version": __version__,
                        "rules": [{"id": c} for c in sorted(checks)],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def render_junit(reports: Sequence[ValidationReport]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for rep in reports:
        failures = len(rep.violations)
        skipped = len(rep.not_checked)
        out.append(
            f"  <testsuite name={quoteattr(rep.enforcement_point)} "
            f'tests="{len(rep.findings)}" failures="{failures}" skipped="{skipped}">'
        )
        for i, f in enumerate(rep.findings):
            name = quoteattr(f"{f.check} {f.from_zone or ''}->{f.to_zone or ''} #{i}")
            out.append(f"    <testcase classname={quoteattr(rep.enforcement_point)} name={name}>")
            if f.status == "violates":
                out.append(
                    f"      <failure message={quoteattr(f.message)} "
                    f"type={quoteattr(f.severity)}>{escape(f.line_text or '')}</failure>"
                )
            elif f.status == "not checked":
                out.append(f"      <skipped message={quoteattr(f.message)}/>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def render(reports: Sequence[ValidationReport], fmt: str, show_complies: bool = False) -> str:
    if fmt == "json":
        return render_json(reports)
    if fmt == "sarif":
        return render_sarif(reports)
    if fmt == "junit":
        return render_junit(reports)
    return render_text(reports, show_complies)
