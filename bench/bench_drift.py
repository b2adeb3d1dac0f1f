"""Drift benchmark: 50 simulated Cisco IOS devices (fakenos, real SSH on loopback) pulled with
NAPALM through Nornir at 1, 4 and 16 workers; wall time and the share spent pulling vs
analysing (parse + validate).

    python bench/bench_drift.py                 # 50 devices, workers 1 4 16
    python bench/bench_drift.py --devices 20 --workers 1 8
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from fakenos import FakeNOS  # noqa: E402

from segcfg.collect import Credentials, pull_running  # noqa: E402
from segcfg.drift import check_pulled  # noqa: E402
from segcfg.intent import build_intent  # noqa: E402
from segcfg.load import load_site  # noqa: E402

EXAMPLE = ROOT / "examples" / "hospital"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    args = ap.parse_args(argv)
    for name in ("fakenos", "nornir", "napalm", "netmiko", "paramiko"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    config = (ROOT / "generated" / "example-general" / "dist-ios.ios").read_text()
    ports = [free_port() for _ in range(args.devices)]
    hosts = {
        f"d{i}": {
            "username": "bench",
            "password": "bench",
            "port": p,
            "platform": "cisco_ios",
            "nos": {
                "plugin": "cisco_ios",
                "configuration": {
                    "commands": {
                        "show running-config": {"output": config, "prompt": "{base_prompt}#"}
                    }
                },
            },
        }
        for i, p in enumerate(ports)
    }
    net = FakeNOS(inventory={"hosts": hosts})
    net.start()
    try:
        while not all(listening(p) for p in ports):
            time.sleep(0.05)
        with tempfile.TemporaryDirectory() as tmp:
            data = yaml.safe_load((EXAMPLE / "site.yaml").read_text())
            data["profile_dirs"] = [str(ROOT / "device_profiles")]
            data["inventory"] = [str(EXAMPLE / "inventory.csv")]
            dist = next(ep for ep in data["enforcement_points"] if ep["name"] == "dist-ios")
            data["enforcement_points"] = [
                {
                    **dist,
                    "name": f"dist-{i:02d}",
                    "napalm": {"driver": "ios", "host": "127.0.0.1", "port": p},
                }
                for i, p in enumerate(ports)
            ]
            site = Path(tmp) / "site"
            site.mkdir()
            (site / "site.yaml").write_text(yaml.safe_dump(data))
            loaded = load_site(site)
            intent = build_intent(loaded, date(2026, 11, 28))
            names = [ep.name for ep in loaded.site.enforcement_points]
            creds = {n: Credentials("bench", "bench") for n in names}
            print(
                f"{'workers':>7} {'devices':>7} {'ok':>4} {'wall s':>7} {'pull s':>7} "
                f"{'analyse s':>9} {'pull %':>6}"
            )
            for workers in args.workers:
                t0 = time.perf_counter()
                pulled = pull_running(loaded, names, creds, workers=workers, timeout=20)
                t1 = time.perf_counter()
                results = check_pulled(intent, loaded, pulled)
                t2 = time.perf_counter()
                ok = sum(1 for r in results if r.status == "complies")
                wall = t2 - t0
                print(
                    f"{workers:>7} {len(names):>7} {ok:>4} {wall:>7.1f} {t1 - t0:>7.1f} "
                    f"{t2 - t1:>9.1f} {100 * (t1 - t0) / wall:>5.0f}%",
                    flush=True,
                )
    finally:
        net.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
