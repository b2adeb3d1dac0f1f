"""`segcfg drift` over real SSH: NAPALM's ios driver, through Nornir, against simulated devices
(fakenos) on loopback: a compliant device, a tampered one, one that refuses the login, a port
where nothing listens, and one that answers `% Invalid input`."""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakenos
import pytest
import yaml

from .conftest import EXAMPLE, ROOT

# fakenos's server threads raise when a client hangs up mid-handshake (the refused login): its
# noise, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
GENERATED = ROOT / "generated" / "example-general"
USER, PASSWORD = "netops", "s3cret-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _host(port: int, output: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "username": USER,
        "password": password,
        "port": port,
        "platform": "cisco_ios",
        "nos": {
            "plugin": "cisco_ios",
            "configuration": {
                "commands": {"show running-config": {"output": output, "prompt": "{base_prompt}#"}}
            },
        },
    }


@pytest.fixture(scope="module")
def devices() -> Iterator[dict[str, int]]:
    logging.getLogger("fakenos").setLevel(logging.CRITICAL)
    good = (GENERATED / "dist-ios.ios").read_text()
    tampered = good.replace(" remark R00001", " permit ip any any\n remark R00001", 1)
    assert tampered != good
    ports = {name: _free_port() for name in ("good", "tampered", "refuses", "invalid", "none")}
    hosts = {
        "good": _host(ports["good"], good),
        "tampered": _host(ports["tampered"], tampered),
        "refuses": _host(ports["refuses"], good, password="another-password"),
        "invalid": _host(ports["invalid"], "% Invalid input detected at '^' marker.\n"),
    }
    net = fakenos.FakeNOS(inventory={"hosts": hosts})
    net.start()
    try:
        deadline = time.monotonic() + 20
        # start() returns before the sockets listen.
        while not all(_listening(ports[n]) for n in hosts):
            assert time.monotonic() < deadline, "fakenos did not start listening"
            time.sleep(0.05)
        yield ports
    finally:
        net.stop()


def _site(tmp_path: Path, ports: dict[str, int], cases: list[str]) -> Path:
    """The example hospital with one IOS enforcement point per case, each reaching its own
    simulated device on loopback."""
    data = yaml.safe_load((EXAMPLE / "site.yaml").read_text())
    data["profile_dirs"] = [str(ROOT / "device_profiles")]
    data["inventory"] = [str(EXAMPLE / "inventory.csv")]
    dist = next(ep for ep in data["enforcement_points"] if ep["name"] == "dist-ios")
    eps = [ep for ep in data["enforcement_points"] if ep["name"] != "dist-ios"]
    for case in cases:
        eps.append(
            {
                **dist,
                "name": f"dist-{case}",
                "napalm": {"driver": "ios", "host": "127.0.0.1", "port": ports[case]},
            }
        )
    data["enforcement_points"] = eps
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text(yaml.safe_dump(data))
    return site


def _drift(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEGCFG_USERNAME": USER, "SEGCFG_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "segcfg", "drift", str(site), "--timeout", "5", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_compliant_device(devices: dict[str, int], tmp_path: Path) -> None:
    site = _site(tmp_path, devices, ["good"])
    proc = _drift(site, "--firewall", "dist-good")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dist-good" in proc.stdout and "COMPLIES" in proc.stdout
    assert PASSWORD not in proc.stdout + proc.stderr


def test_tampered_device_is_a_violation(devices: dict[str, int], tmp_path: Path) -> None:
    site = _site(tmp_path, devices, ["tampered"])
    proc = _drift(site, "--firewall", "dist-tampered", "--format", "json", "--remediation")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    start = proc.stdout.index("[")
    reports, end = json.JSONDecoder().raw_decode(proc.stdout[start:])
    crit = [f for f in reports[0]["findings"] if f["severity"] == "critical"]
    assert crit and crit[0]["line_text"] == "permit ip any any"
    assert "remediation for dist-tampered" in proc.stdout[start + end :]
    assert "-permit ip any any" in proc.stdout.replace("- permit", "-permit")


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("refuses", "authentication"),
        ("none", "refused"),
        ("invalid", "error instead of a configuration"),
    ],
)
def test_device_that_cannot_be_checked(
    devices: dict[str, int], tmp_path: Path, case: str, words: str
) -> None:
    site = _site(tmp_path, devices, [case])
    proc = _drift(site, "--firewall", f"dist-{case}")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(f"dist-{case}"))
    assert "NOT CHECKED" in line and words in line.lower(), line
    assert PASSWORD not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_fleet_goes_on_and_history_keeps_the_record(
    devices: dict[str, int], tmp_path: Path
) -> None:
    site = _site(tmp_path, devices, ["good", "tampered", "refuses", "none", "invalid"])
    names = ["dist-good", "dist-tampered", "dist-refuses", "dist-none", "dist-invalid"]
    args = [a for n in names for a in ("--firewall", n)]
    first = _drift(site, *args, "--workers", "4")
    assert first.returncode == 3, first.stdout + first.stderr
    status = {
        ln.split()[0]: ln.split()[2].rstrip(":")
        for ln in first.stdout.splitlines()
        if ln.startswith("dist-")
    }
    assert status == {
        "dist-good": "COMPLIES",
        "dist-tampered": "VIOLATES",
        "dist-refuses": "NOT",
        "dist-none": "NOT",
        "dist-invalid": "NOT",
    }
    second = _drift(site, "--firewall", "dist-good")
    assert second.returncode == 0
    db = site / "segcfg-history.sqlite3"
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone() == (2,)
        dump = "\n".join(con.iterdump())
    assert PASSWORD not in dump and USER not in dump
    hist = subprocess.run(
        [sys.executable, "-m", "segcfg", "history", str(site), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    runs = json.loads(hist.stdout)
    assert [r["devices"].get("dist-tampered") for r in runs] == ["violates", None]
    assert runs[0]["critical"]["dist-tampered"] > 0
    assert runs[0]["metrics"]["devices_not_checked"] == 3
    text = subprocess.run(
        [sys.executable, "-m", "segcfg", "history", str(site)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "not segmented" in text and "dist-tampered=violates" in text


def test_the_users_own_nornir_inventory(devices: dict[str, int], tmp_path: Path) -> None:
    """With --nornir-config the hosts (and their credentials) come from the user's Nornir
    inventory; a host missing there is reported for itself."""
    site = _site(tmp_path, devices, ["good", "tampered"])
    # The site's napalm blocks point nowhere useful: the Nornir inventory must be what is used.
    data = yaml.safe_load((site / "site.yaml").read_text())
    for ep in data["enforcement_points"]:
        if ep["name"].startswith("dist-"):
            ep["napalm"]["port"] = 1
    (site / "site.yaml").write_text(yaml.safe_dump(data))
    nornir_dir = tmp_path / "nornir"
    nornir_dir.mkdir()
    (nornir_dir / "hosts.yaml").write_text(
        yaml.safe_dump(
            {
                "dist-good": {
                    "hostname": "127.0.0.1",
                    "port": devices["good"],
                    "username": USER,
                    "password": PASSWORD,
                },
            }
        )
    )
    (nornir_dir / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "inventory": {
                    "plugin": "SimpleInventory",
                    "options": {"host_file": str(nornir_dir / "hosts.yaml")},
                },
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGCFG_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "segcfg",
            "drift",
            str(site),
            "--timeout",
            "5",
            "--nornir-config",
            str(nornir_dir / "config.yaml"),
            "--firewall",
            "dist-good",
            "--firewall",
            "dist-tampered",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = {ln.split()[0]: ln for ln in proc.stdout.splitlines() if ln.startswith("dist-")}
    assert "COMPLIES" in lines["dist-good"]
    assert "no host dist-tampered in the Nornir inventory" in lines["dist-tampered"]
    assert not (tmp_path / "nornir.log").exists()
