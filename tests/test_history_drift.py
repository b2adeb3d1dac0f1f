"""History in SQLite and the drift pipeline on pulled texts (the SSH path has its own tests)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from segcfg.drift import Pulled, check_pulled, config_error, remediation, site_metrics
from segcfg.history import read_history, record_run
from segcfg.intent import build_intent
from segcfg.load import LoadedSite

from .conftest import ROOT, TODAY

GENERATED = ROOT / "generated" / "example-general"


def _pulled(text_nft: str, text_ipt: str) -> list[Pulled]:
    return [
        Pulled("lab-nft", "nftables", text_nft),
        Pulled("edge-ipt", "iptables", text_ipt),
        Pulled("dist-ios", "cisco-ios", None, "TCP connection to 127.0.0.1:2222 refused"),
        Pulled("core-asa", "cisco-asa", "% Invalid input detected at '^' marker.\n"),
    ]


def test_error_texts_are_not_configurations() -> None:
    assert config_error("% Invalid input detected at '^' marker.\n")
    assert config_error("   \n\n")
    assert config_error("error: syntax error, expecting <command>\n")
    assert config_error((GENERATED / "dist-ios.ios").read_text()) is None


def test_check_pulled_reports_each_device(example_site: LoadedSite) -> None:
    intent = build_intent(example_site, TODAY)
    nft = (GENERATED / "lab-nft.nft").read_text()
    tampered = nft.replace(
        "ct state invalid counter drop", "accept\n        ct state invalid counter drop", 1
    )
    results = {
        r.device: r
        for r in check_pulled(
            intent, example_site, _pulled(tampered, (GENERATED / "edge-ipt.rules").read_text())
        )
    }
    assert results["lab-nft"].status == "violates"
    assert results["edge-ipt"].status == "complies"
    assert results["dist-ios"].status == "not checked"
    assert "refused" in (results["dist-ios"].error or "")
    assert results["core-asa"].status == "not checked"
    assert "Invalid input" in (results["core-asa"].error or "")


def test_history_over_several_runs(example_site: LoadedSite, tmp_path: Path) -> None:
    intent = build_intent(example_site, TODAY)
    db = tmp_path / "h.sqlite3"
    nft = (GENERATED / "lab-nft.nft").read_text()
    ipt = (GENERATED / "edge-ipt.rules").read_text()
    tampered = nft.replace(
        "ct state invalid counter drop", "accept\n        ct state invalid counter drop", 1
    )
    for day, text in ((1, nft), (2, tampered), (3, nft)):
        results = check_pulled(intent, example_site, _pulled(text, ipt))
        record_run(
            db,
            example_site.site.site,
            results,
            site_metrics(example_site, TODAY, results),
            now=datetime(2026, 11, day, tzinfo=UTC),
        )
    runs = read_history(db, example_site.site.site)
    assert [r.started_at[:10] for r in runs] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert [r.devices["lab-nft"] for r in runs] == ["complies", "violates", "complies"]
    assert [r.critical["lab-nft"] for r in runs][1] > 0
    assert runs[0].critical["lab-nft"] == 0
    assert all(r.metrics["medical_devices_not_segmented"] == 0 for r in runs)
    assert all(r.metrics["devices_not_checked"] == 2 for r in runs)
    # Hashes, never configuration texts or credentials, are stored.
    with sqlite3.connect(db) as con:
        hashes = {
            h for (h,) in con.execute("SELECT config_sha256 FROM devices WHERE device = 'lab-nft'")
        }
        assert len(hashes) == 2 and all(h and len(h) == 64 for h in hashes)
        dump = "\n".join(con.iterdump())
    assert "ct state" not in dump


def test_remediation_is_a_patch_back_to_the_intent(example_site: LoadedSite) -> None:
    intent = build_intent(example_site, TODAY)
    nft = (GENERATED / "lab-nft.nft").read_text()
    drifted = nft.replace("tcp dport 2575", "tcp dport 2576", 1)
    (result,) = check_pulled(intent, example_site, [Pulled("lab-nft", "nftables", drifted)])
    assert result.status == "violates"
    patch = remediation(example_site, TODAY, result)
    assert "-" in patch and "tcp dport 2576" in patch and "+" in patch
    assert any(ln.startswith("+") and "tcp dport 2575" in ln for ln in patch.splitlines())
