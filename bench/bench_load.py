"""Benchmark: load (and lint) a large synthetic site.

    python bench/bench_load.py [--devices 5000] [--profiles 200] [--repeat 5] [--keep DIR]

Generates, in a temporary directory, one site with DEVICES device instances and PROFILES
device-class profiles (each with a few communications, management and vendor support), twice:
once with the devices inline in ``site.yaml`` and once as an inventory CSV. Then times
``load_site`` and ``lint_site`` on each (best and median of REPEAT runs) and prints a table.

Target: loading 5,000 devices and 200 profiles takes under 1 second (best of the runs). The exit
code is 0 when every load row meets the target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from segcfg.lint import lint_site
from segcfg.load import load_site

TARGET_SECONDS = 1.0
TODAY = date(2026, 11, 28)
MANUFACTURERS = 10
SERVER_ROLES = 20
DEVICES_PER_ZONE = 250  # each clinical zone is a /22 (1,022 addresses)


@dataclass(frozen=True)
class Row:
    case: str
    devices: int
    profiles: int
    best: float
    median: float
    target: float | None = None

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "PASS" if self.best < self.target else "FAIL"


# --------------------------------------------------------------------------------------------
# The synthetic site


def _zone_count(devices: int) -> int:
    return max(1, -(-devices // DEVICES_PER_ZONE))


def _clinical_net(i: int) -> ipaddress.IPv4Network:
    # 10.100.0.0/22, 10.100.4.0/22, ...: 64 zones per /16, enough for 16,000 devices per /16.
    base = int(ipaddress.IPv4Address("10.100.0.0")) + i * 1024
    return ipaddress.IPv4Network((base, 22))


def _device_address(zone: int, k: int) -> ipaddress.IPv4Address:
    return _clinical_net(zone).network_address + 10 + k


def profile_yaml(i: int) -> str:
    """One device-class profile with three communications, management and vendor support."""
    cls = f"cls-{i:04d}"
    maker = f"mfr-{i % MANUFACTURERS:02d}"
    role_a = f"svc-{i % SERVER_ROLES:02d}"
    role_b = f"svc-{(i + 7) % SERVER_ROLES:02d}"
    return (
        f"class: {cls}\n"
        f"manufacturer: {maker}\n"
        f"models: [M-{i}, M-{i}W]\n"
        "medical_device: true\n"
        f"description: synthetic device class {i} for the load benchmark\n"
        "communications:\n"
        "  - initiator: device\n"
        f"    peer: role:{role_a}\n"
        "    services: [tcp/443]\n"
        "    why: status and alarms over TLS\n"
        "    source: synthetic\n"
        "  - initiator: peer\n"
        f"    peer: role:{role_b}\n"
        "    services: [tcp/8443, tcp/2762]\n"
        "    why: orders pushed to the device\n"
        "    source: synthetic\n"
        "  - initiator: device\n"
        "    peer: role:ntp\n"
        "    services: [udp/123]\n"
        "    why: clock\n"
        "    source: RFC 5905\n"
        "management:\n"
        "  - from: management\n"
        "    services: [tcp/443, icmp]\n"
        "    why: biomed web page\n"
        "    source: synthetic\n"
        "vendor_support:\n"
        "  services: [tcp/443]\n"
        "  why: manufacturer field service through the MFA gateway\n"
        "  source: synthetic\n"
    )


def device_rows(devices: int, profiles: int) -> list[tuple[str, str, str, str]]:
    """(name, class, address, zone) for every device, spread over the clinical zones."""
    rows = []
    for n in range(devices):
        zone, k = divmod(n, DEVICES_PER_ZONE)
        rows.append(
            (
                f"dev-{n:05d}",
                f"cls-{n % profiles:04d}",
                str(_device_address(zone, k)),
                f"clin-{zone:03d}",
            )
        )
    return rows


def site_yaml(devices: int, profiles: int, inline: bool) -> str:
    zones = _zone_count(devices)
    out = [
        "site: bench",
        "profile_dirs: [profiles]",
        *([] if inline else ["inventory: [inventory.csv]"]),
        "zones:",
    ]
    out += [
        f"  - {{name: clin-{z:03d}, kind: clinical, vlan: {100 + z}, "
        f"networks: [{_clinical_net(z)}]}}"
        for z in range(zones)
    ]
    out += [
        "  - {name: dc-clinical, kind: clinical_servers, networks: [10.20.0.0/24]}",
        "  - {name: mgmt, kind: management, networks: [10.20.1.0/24]}",
        "  - {name: ra, kind: remote_access, networks: [10.20.2.0/28]}",
        "  - {name: corp, kind: corporate, networks: [10.30.0.0/16]}",
        "  - {name: inet, kind: internet}",
    ]
    out += [
        f"  - {{name: vendor-{m:02d}, kind: vendor_remote, manufacturer: mfr-{m:02d}, "
        f"networks: [10.20.{10 + m}.0/27]}}"
        for m in range(MANUFACTURERS)
    ]
    out.append("hosts:")
    out += [
        f"  - {{name: srv-{r:02d}, address: 10.20.0.{10 + r}, zone: dc-clinical, "
        f"roles: [svc-{r:02d}]}}"
        for r in range(SERVER_ROLES)
    ]
    out += [
        "  - {name: ntp-1, address: 10.20.0.200, zone: dc-clinical, roles: [ntp]}",
        "  - {name: jump-01, address: 10.20.1.10, zone: mgmt}",
        "  - {name: ra-gw, address: 10.20.2.2, zone: ra}",
        "  - {name: decoy-1, address: 10.100.0.5, zone: clin-000, roles: [decoy]}",
    ]
    if inline:
        out.append("devices:")
        out += [
            f"  - {{name: {name}, class: {cls}, address: {addr}, zone: {zone}}}"
            for name, cls, addr, zone in device_rows(devices, profiles)
        ]
    out += ["enforcement_points:", "  - name: core-fw", "    platform: nftables", "    interfaces:"]
    out += [f"      - {{name: clin{z}, zone: clin-{z:03d}}}" for z in range(zones)]
    out += [
        "      - {name: dc, zone: dc-clinical}",
        "policy:",
        "  management_sources: [host:jump-01]",
        "  remote_access_gateway: host:ra-gw",
    ]
    return "\n".join(out) + "\n"


def write_site(root: Path, devices: int, profiles: int, inline: bool) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(site_yaml(devices, profiles, inline), encoding="utf-8")
    pdir = root / "profiles"
    pdir.mkdir(exist_ok=True)
    for i in range(profiles):
        (pdir / f"cls-{i:04d}.yaml").write_text(profile_yaml(i), encoding="utf-8")
    if not inline:
        lines = ["name,class,address,zone,model,serial,location"]
        lines += [
            f"{name},{cls},{addr},{zone},M-1,SN{n:06d},ward {n % 40}"
            for n, (name, cls, addr, zone) in enumerate(device_rows(devices, profiles))
        ]
        (root / "inventory.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


# --------------------------------------------------------------------------------------------
# Timing


def time_runs(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best and median wall-clock seconds of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def run(devices: int, profiles: int, repeat: int, keep: Path | None) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="segcfg-bench-") as tmp:
        base = keep if keep is not None else Path(tmp)
        for case, inline in (("inline", True), ("csv", False)):
            site_dir = write_site(base / case, devices, profiles, inline)
            loaded = load_site(site_dir)
            assert len(loaded.site.devices) == devices, len(loaded.site.devices)
            assert len(loaded.profiles) == profiles, len(loaded.profiles)
            report = lint_site(loaded, TODAY)
            if report.errors:
                for d in report.diagnostics[:10]:
                    print(d.format(), file=sys.stderr)
                raise SystemExit(f"the synthetic {case} site has lint errors")
            best, median = time_runs(partial(load_site, site_dir), repeat)
            rows.append(Row(f"load_site ({case})", devices, profiles, best, median, TARGET_SECONDS))
            best, median = time_runs(partial(lint_site, loaded, TODAY), repeat)
            rows.append(Row(f"lint_site ({case})", devices, profiles, best, median))
    return rows


def format_table(rows: list[Row]) -> str:
    header = ("case", "devices", "profiles", "best s", "median s", "target")
    body = [
        (
            r.case,
            f"{r.devices:,}",
            f"{r.profiles:,}",
            f"{r.best:.3f}",
            f"{r.median:.3f}",
            f"< {r.target:g} s {r.verdict}" if r.target is not None else "",
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
    right = (False, True, True, True, True, False)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(b) for b in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (default 5)")
    parser.add_argument("--keep", type=Path, help="write the synthetic sites here and keep them")
    args = parser.parse_args(argv)
    rows = run(args.devices, args.profiles, args.repeat, args.keep)
    print(format_table(rows))
    loads = [r for r in rows if r.target is not None]
    ok = all(r.verdict == "PASS" for r in loads)
    print(
        f"\n{'PASS' if ok else 'FAIL'}: load_site of {args.devices:,} devices + "
        f"{args.profiles:,} profiles, best of {args.repeat}, target < {TARGET_SECONDS:g} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
