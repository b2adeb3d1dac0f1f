"""Validation benchmark: a 50,000-line Cisco IOS configuration with more than 10,000 ACL
entries, parsed and fully validated by segcfg, against the time ciscoconfparse takes only to
parse it (in the same run).

    python bench/bench_validate.py                    # 1,000 classes, 50,000 lines
    python bench/bench_validate.py --classes 2000 --lines 100000

The configuration is segcfg's own compiled output for the synthetic hospital of
bench_compile.py (one IOS enforcement point, ~11,500 ACL entries), padded with ordinary device
configuration (interfaces, static routes, logging, SNMP, AAA, line settings) to the line count.
Each side runs in a fresh process so its peak memory (max RSS) is its own. ciscoconfparse lives
in the benchmark's own virtualenv (``bench/.venv-ccp``, made on first use with
``pip install ciscoconfparse``); it is GPL-licensed and never a dependency of segcfg.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import venv
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_compile  # noqa: E402

from segcfg.compile import compile_site  # noqa: E402
from segcfg.load import load_site  # noqa: E402
from segcfg.render import render_ruleset  # noqa: E402

TODAY = date(2026, 11, 28)

SEGCFG_RUN = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
from segcfg.load import load_site
from segcfg.intent import build_intent
from segcfg.platforms.parsers import parser_for
from segcfg.validate import validate_running
site, cfg = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
loaded = load_site(site)
t1 = time.perf_counter()
parsed = parser_for("cisco-ios")(cfg.read_text(), str(cfg))
t2 = time.perf_counter()
intent = build_intent(loaded, date(2026, 11, 28))
ep = loaded.site.enforcement_points[0]
report = validate_running(intent, ep, parsed)
t3 = time.perf_counter()
entries = sum(len(f.rules) for f in parsed.filters.values())
print(json.dumps({"load": t1 - t0, "parse": t2 - t1, "validate": t3 - t2, "entries": entries,
                  "violations": len(report.violations), "not_checked": len(report.not_checked),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CCP_RUN = r"""
import json, resource, sys, time
from ciscoconfparse import CiscoConfParse
lines = open(sys.argv[1]).read().splitlines()
t0 = time.perf_counter()
parse = CiscoConfParse(lines, syntax="ios")
t1 = time.perf_counter()
acl = parse.find_objects(r"^ip access-list extended")
print(json.dumps({"parse": t1 - t0, "acls": len(acl),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def filler(n: int) -> list[str]:
    out: list[str] = []
    i = 0
    while len(out) < n:
        out += [
            f"interface GigabitEthernet{1 + i // 48}/0/{i % 48 + 1}",
            f" description access port {i} (bench filler)",
            " switchport mode access",
            f" switchport access vlan {100 + i % 200}",
            " spanning-tree portfast",
            " no shutdown",
            "!",
            f"ip route 172.{16 + i % 16}.{i % 256}.0 255.255.255.0 198.19.254.{1 + i % 250}",
            f"snmp-server host 198.18.210.{10 + i % 200} version 3 priv monitor{i % 7}",
            f"logging host 198.18.101.{50 + i % 100}",
        ]
        i += 1
    return out[:n]


def ccp_python() -> Path:
    env_dir = HERE / ".venv-ccp"
    py = env_dir / "bin" / "python"
    if not py.exists():
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "ciscoconfparse"], check=True)
    return py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--lines", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process runs per tool (best)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = bench_compile.write_site(Path(tmp) / "site", args.classes)
        text = (site / "site.yaml").read_text().replace("platform: nftables", "platform: cisco-ios")
        (site / "site.yaml").write_text(text)
        (rs,) = compile_site(load_site(site), TODAY)
        config = render_ruleset(rs).splitlines()
        config = filler(max(0, args.lines - len(config))) + config
        cfg = Path(tmp) / "running.ios"
        cfg.write_text("\n".join(config) + "\n")
        entries = sum(1 for line in config if line.startswith((" permit", " deny")))
        segs, ccps = [], []
        for _ in range(args.repeat):  # interleaved, so load on the machine hits both alike
            out = subprocess.run(
                [sys.executable, "-c", SEGCFG_RUN, str(site), str(cfg)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            segs.append(json.loads(out))
            ccp_out = subprocess.run(
                [str(ccp_python()), "-c", CCP_RUN, str(cfg)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            # ciscoconfparse logs to stdout: the result is the last line.
            ccps.append(json.loads(ccp_out.strip().splitlines()[-1]))
        # A tampered copy: "permit ip any any" at the top of the first ACL, so every later
        # line of it is shadowed and every zone pair behind it permits beyond the intent.
        first_acl = next(i for i, x in enumerate(config) if x.startswith("ip access-list"))
        tampered = Path(tmp) / "tampered.ios"
        tampered.write_text(
            "\n".join([*config[: first_acl + 2], " permit ip any any", *config[first_acl + 2 :]])
            + "\n"
        )
        tamps = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", SEGCFG_RUN, str(site), str(tampered)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(args.repeat)
        ]
        seg = min(segs, key=lambda r: float(r["load"]) + float(r["parse"]) + float(r["validate"]))
        tamp = min(tamps, key=lambda r: float(r["load"]) + float(r["parse"]) + float(r["validate"]))
        ccp = min(ccps, key=lambda r: float(r["parse"]))
    total = seg["load"] + seg["parse"] + seg["validate"]
    print(
        f"config: {len(config)} lines, {entries} ACL entries; segcfg parsed {seg['entries']} "
        f"rules, {seg['violations']} violation(s), {seg['not_checked']} not checked"
    )
    print(f"best of {args.repeat} fresh-process runs each")
    print(f"{'tool':<40} {'seconds':>8} {'peak MB':>8}")
    print(f"{'segcfg site load (site + profile files)':<40} {seg['load']:>8.2f}")
    print(f"{'segcfg parse':<40} {seg['parse']:>8.2f}")
    print(f"{'segcfg validate (intent + engine)':<40} {seg['validate']:>8.2f}")
    print(f"{'segcfg whole: load + parse + validate':<40} {total:>8.2f} {seg['maxrss_mb']:>8.0f}")
    print(f"{'ciscoconfparse parse only':<40} {ccp['parse']:>8.2f} {ccp['maxrss_mb']:>8.0f}")
    tamp_total = tamp["load"] + tamp["parse"] + tamp["validate"]
    print(
        f"{'segcfg whole, tampered copy':<40} {tamp_total:>8.2f} {tamp['maxrss_mb']:>8.0f}"
        f"   ({tamp['violations']} violations found)"
    )
    ratio = ccp["parse"] / total if total else float("inf")
    without_load = ccp["parse"] / (seg["parse"] + seg["validate"])
    verdict = "PASS" if total < ccp["parse"] else "FAIL"
    print(
        f"{verdict}: segcfg's whole validation (site load included) {ratio:.1f}x faster than "
        f"ciscoconfparse's parse alone ({without_load:.1f}x without the site load)"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
