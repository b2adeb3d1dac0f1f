"""Bad input: every broken site, profile or inventory is refused by the real CLI.

Each case writes a minimal site directory into ``tmp_path`` (with its own ``profiles/`` folder,
never the bundled library), runs ``python -m segcfg lint site`` as a subprocess from ``tmp_path``
and checks the contract of README.md: every problem printed on stderr as
``path:line:col: error: message [code]``, exit code 2, no traceback, nothing written.

Lines and columns are 1-based (in characters) and point at the offending key or value. Cases
marked ``xfail(strict=True)`` document bugs found in segcfg: once a bug is fixed its case passes,
the strict xfail fails the suite, and the mark must be removed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = "site/site.yaml"
PROFILE = "site/profiles/infusion-pump.yaml"
INVENTORY = "site/inventory.csv"

DIAG_RE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+) \[(?P<code>[a-z0-9_-]+)\]$"
)

# A valid site; every case breaks it (or its profile, or its inventory) in one place.
BASE_SITE = """\
site: t
profile_dirs: [profiles]
zones:
  - name: clin
    kind: clinical
    vlan: 110
    networks: [10.0.1.0/24]
  - name: srv
    kind: clinical_servers
    networks: [10.0.2.0/24]
  - name: mgmt
    kind: management
    networks: [10.0.3.0/24]
hosts:
  - name: pump-srv
    address: 10.0.2.10
    zone: srv
    roles: [pump-server]
  - name: jump-01
    address: 10.0.3.10
    zone: mgmt
devices:
  - name: pump-01
    class: infusion-pump
    address: 10.0.1.11
    zone: clin
enforcement_points:
  - name: core-fw
    platform: nftables
    interfaces:
      - {name: eth1, zone: clin}
      - {name: eth2, zone: srv}
      - {name: eth3, zone: mgmt}
policy:
  management_sources: [host:jump-01]
  remote_access_ports: [tcp/22, tcp/3389]
"""
# Lines: 1 site, 2 profile_dirs, 4-7 zone clin (5 kind, 6 vlan, 7 networks), 8-10 zone srv,
# 11-13 zone mgmt, 15-18 host pump-srv (16 address, 17 zone, 18 roles), 19-21 host jump-01,
# 23-26 device pump-01, 28 core-fw (29 platform, 31-33 interfaces), 34 policy,
# 35 management_sources, 36 remote_access_ports.
BASE_LINES = BASE_SITE.count("\n")

BASE_PROFILE = """\
class: infusion-pump
manufacturer: vendor-b
communications:
  - initiator: device
    peer: role:pump-server
    services: [tcp/443]
    why: status and alarms
    source: typical
management:
  - services: [tcp/443]
    why: configuration
    source: typical
"""

EXCEPTION = """\
  exceptions:
    - id: LAB-01
      owner: lab-it
      ticket: CHG-1042
      expires: 2030-01-01
      reason: vendor cloud
      from: [class:infusion-pump]
      to: [internet, bogus]
      services: [tcp/443]
"""  # appended to BASE_SITE: "to:" is line BASE_LINES + 8

CSV_HEADER = "name,class,address,zone\n"
CSV_ROW = "pump-02,infusion-pump,10.0.1.12,clin\n"


def sub(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced (fails loudly unless exactly one)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


# site.yaml with "inventory: [inventory.csv]" as line 3 (every later line moves down by one).
INVENTORY_SITE = sub(BASE_SITE, "profiles]\n", "profiles]\ninventory: [inventory.csv]\n")


def site(text: str | bytes = BASE_SITE) -> dict[str, Any]:
    return {SITE: text, PROFILE: BASE_PROFILE}


def profile(text: str) -> dict[str, Any]:
    return {SITE: BASE_SITE, PROFILE: text}


def inventory(csv_text: str) -> dict[str, Any]:
    return {SITE: INVENTORY_SITE, PROFILE: BASE_PROFILE, INVENTORY: csv_text}


# ---------------------------------------------------------------------------------------------
# Running the CLI


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    before: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]

    @property
    def detail(self) -> str:
        return f"exit {self.returncode}\n--- stderr\n{self.stderr}--- stdout\n{self.stdout}"

    def diagnostics(self) -> list[tuple[str, int, int, str]]:
        found = (DIAG_RE.match(line) for line in self.stderr.splitlines())
        return [(m["path"], int(m["line"]), int(m["col"]), m["code"]) for m in found if m]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its size and modification time."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            st = path.lstat()
            out[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def write_files(root: Path, files: dict[str, Any]) -> None:
    (root / "site").mkdir(exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def run_cli(tmp_path: Path, *args: str) -> Run:
    """``python -m segcfg ARGS`` from ``tmp_path``, importing this working tree's segcfg."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "200"
    before = snapshot(tmp_path)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    seconds = time.monotonic() - start
    return Run(proc.returncode, proc.stdout, proc.stderr, seconds, before, snapshot(tmp_path))


def lint(tmp_path: Path, files: dict[str, Any]) -> Run:
    write_files(tmp_path, files)
    return run_cli(tmp_path, "lint", "site")


def assert_refused(run: Run) -> None:
    """Exit 2, no traceback, nothing written, and stderr holds nothing but diagnostics."""
    assert "Traceback" not in run.stderr, run.detail
    assert "internal error" not in run.stderr, run.detail
    assert run.returncode == 2, run.detail
    assert run.after == run.before, "files were written or changed\n" + run.detail
    lines = run.stderr.splitlines()
    assert lines, run.detail
    bad = [line for line in lines if not DIAG_RE.match(line)]
    assert not bad, f"not in 'path:line:col: error: message [code]' form: {bad}\n{run.detail}"


# ---------------------------------------------------------------------------------------------
# Generated inputs


def fifty_megabytes(path: Path) -> None:
    """A 50 MB site.yaml that is valid YAML: a very long list of zones."""
    chunk = b"  - {name: z, kind: guest, networks: [10.9.0.0/16]}\n" * 20_000
    with path.open("wb") as fh:
        fh.write(b"site: t\nprofile_dirs: [profiles]\nzones:\n")
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(chunk)


DEEP = 10_000
DEEP_SITE = "site: t\nzones: " + "[" * DEEP + "]" * DEEP + "\n"

# Billion laughs: 9 levels of 9 aliases each, about 10**9 nodes once expanded. The budget of
# 1,000,000 nodes is crossed at the first alias of lol6 (line 8, column 12).
BOMB_SITE = "site: t\nlol0: &l0 [" + ", ".join(['"lol"'] * 9) + "]\n"
BOMB_SITE += "".join(
    f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10)
)

# The start of an ELF executable: valid UTF-8, with a NUL as its 8th byte on line 2.
BINARY = b"site: t\n\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"


# ---------------------------------------------------------------------------------------------
# The cases: files to write, and (path, line, col, code) of the diagnostic that must appear.


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, Any]
    at: tuple[str, int, int, str]
    bug: str | None = None
    max_seconds: float = 30.0

    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {self.bug}")] if self.bug else []
        return pytest.param(self, id=self.id, marks=marks)


CASES = [
    # --- unknown and missing keys
    Case(
        "unknown-key-top-level",
        site(sub(BASE_SITE, "site: t\n", "site: t\ncolour: red\n")),
        (SITE, 2, 1, "unknown-key"),
    ),
    Case(
        "unknown-key-top-level-capitalised",
        site(sub(BASE_SITE, "zones:\n", "Zones:\n")),
        (SITE, 3, 1, "unknown-key"),
    ),
    Case(
        "unknown-key-in-zone",
        site(sub(BASE_SITE, "    kind: clinical\n", "    kind: clinical\n    colour: red\n")),
        (SITE, 6, 5, "unknown-key"),
    ),
    Case(
        "unknown-key-in-host",
        site(sub(BASE_SITE, "    zone: srv\n", "    zone: srv\n    rack: 4\n")),
        (SITE, 18, 5, "unknown-key"),
    ),
    Case(
        "unknown-key-in-profile-communication",
        profile(sub(BASE_PROFILE, "    why: status", "    colour: red\n    why: status")),
        (PROFILE, 7, 5, "unknown-key"),
    ),
    Case(
        "missing-required-key-in-host",
        site(sub(BASE_SITE, "    address: 10.0.2.10\n", "")),
        (SITE, 15, 5, "missing-key"),
    ),
    Case(
        "missing-required-key-top-level",
        site(sub(BASE_SITE, "site: t\n", "")),
        (SITE, 1, 1, "missing-key"),
    ),
    # --- networks and addresses
    Case(
        "bad-cidr",
        site(sub(BASE_SITE, "10.0.1.0/24", "10.0.1.0/33")),
        (SITE, 7, 16, "bad-network"),
    ),
    Case(
        "network-with-host-bits-set",
        site(sub(BASE_SITE, "10.0.1.0/24", "10.0.1.5/24")),
        (SITE, 7, 16, "bad-network"),
    ),
    Case(
        "ipv6-bad-network",
        site(sub(BASE_SITE, "[10.0.2.0/24]", "[10.0.2.0/24, '2001:db8:::/64']")),
        (SITE, 10, 29, "bad-network"),
    ),
    Case(
        "bad-address",
        site(sub(BASE_SITE, "10.0.2.10\n", "10.0.2.300\n")),
        (SITE, 16, 14, "bad-address"),
    ),
    # --- services
    Case(
        "port-out-of-range",
        site(sub(BASE_SITE, "tcp/3389]", "tcp/70000]")),
        (SITE, 36, 33, "bad-port"),
    ),
    Case(
        "port-zero",
        profile(sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[tcp/0]\n    why: status")),
        (PROFILE, 6, 16, "bad-port"),
    ),
    Case(
        "port-range-reversed",
        site(sub(BASE_SITE, "tcp/3389]", "tcp/5903-5900]")),
        (SITE, 36, 33, "bad-port"),
    ),
    Case(
        "unknown-protocol",
        profile(sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[sctp/443]\n    why: status")),
        (PROFILE, 6, 16, "bad-service"),
    ),
    Case(
        "vlan-out-of-range",
        site(sub(BASE_SITE, "vlan: 110", "vlan: 5000")),
        (SITE, 6, 11, "bad-vlan"),
    ),
    # --- wrong types
    Case(
        "string-where-list-expected",
        site(sub(BASE_SITE, "roles: [pump-server]", "roles: pump-server")),
        (SITE, 18, 12, "wrong-type"),
    ),
    Case(
        "list-where-mapping-expected",
        site(BASE_SITE.split("policy:")[0] + "policy: [host:jump-01]\n"),
        (SITE, 34, 9, "wrong-type"),
    ),
    Case(
        "int-as-name",
        site(sub(BASE_SITE, "site: t\n", "site: 42\n")),
        (SITE, 1, 7, "wrong-type"),
    ),
    # --- duplicates
    Case(
        "duplicate-zone-name",
        site(
            sub(
                BASE_SITE,
                "  - name: mgmt\n",
                "  - name: clin\n    kind: clinical\n    networks: [10.0.4.0/24]\n  - name: mgmt\n",
            )
        ),
        (SITE, 11, 11, "duplicate-name"),
    ),
    Case(
        "duplicate-host-and-device-name",
        site(sub(BASE_SITE, "  - name: pump-01\n", "  - name: pump-srv\n")),
        (SITE, 23, 11, "duplicate-name"),
    ),
    Case(
        "duplicate-yaml-key",
        site(sub(BASE_SITE, "    kind: clinical\n", "    kind: clinical\n    kind: corporate\n")),
        (SITE, 6, 5, "duplicate-key"),
    ),
    # --- dangling references
    Case(
        "dangling-zone-on-host",
        site(sub(BASE_SITE, "    zone: srv\n", "    zone: srvv\n")),
        (SITE, 17, 11, "dangling-reference"),
    ),
    Case(
        "dangling-zone-on-device",
        site(sub(BASE_SITE, "    zone: clin\n", "    zone: nosuch\n")),
        (SITE, 26, 11, "dangling-reference"),
    ),
    Case(
        "dangling-zone-on-interface",
        site(sub(BASE_SITE, "{name: eth2, zone: srv}", "{name: eth2, zone: nosuch}")),
        (SITE, 32, 28, "dangling-reference"),
    ),
    Case(
        "dangling-policy-reference-host",
        site(sub(BASE_SITE, "[host:jump-01]", "[host:jump-01, host:nosuch]")),
        (SITE, 35, 38, "dangling-reference"),
    ),
    Case(
        "dangling-policy-reference-role",
        site(BASE_SITE + "  decoys: [role:nosuch]\n"),
        (SITE, 37, 12, "dangling-reference"),
    ),
    Case(
        "group-cycle",
        site(
            sub(
                BASE_SITE,
                "policy:\n",
                "groups:\n  - {name: a, members: [group:b]}\n"
                "  - {name: b, members: [group:a]}\npolicy:\n",
            )
        ),
        (SITE, 35, 24, "group-cycle"),
    ),
    # --- unsafe names and texts
    Case(
        "unsafe-name-with-space",
        site(sub(BASE_SITE, "  - name: jump-01\n", "  - name: jump 01\n")),
        (SITE, 19, 11, "unsafe-name"),
    ),
    Case(
        "unsafe-name-with-newline",
        site(sub(BASE_SITE, "  - name: pump-01\n", '  - name: "pump\\n01"\n')),
        (SITE, 23, 11, "unsafe-name"),
    ),
    # A final newline: Python's "$" matches before it, so re.match accepted these names and
    # the newline reached the configuration (ASA: "access-group ... in interface eth1" + "\n").
    Case(
        "unsafe-name-with-trailing-newline",
        site(sub(BASE_SITE, "  - name: pump-01\n", '  - name: "pump-01\\n"\n')),
        (SITE, 23, 11, "unsafe-name"),
    ),
    Case(
        "unsafe-interface-name-with-trailing-newline",
        site(sub(BASE_SITE, "{name: eth1, zone: clin}", '{name: "eth1\\n", zone: clin}')),
        (SITE, 31, 16, "unsafe-name"),
    ),
    Case(
        "reference-with-trailing-newline",
        site(sub(BASE_SITE, "[host:jump-01]", '["host:jump-01\\n"]')),
        (SITE, 35, 24, "bad-reference"),
    ),
    Case(
        "reference-mapping-with-unsafe-name",
        site(sub(BASE_SITE, "[host:jump-01]", '[{kind: host, name: "jump-01\\n"}]')),
        (SITE, 35, 43, "unsafe-name"),
    ),
    Case(
        "scoped-ipv6-network-with-a-line-in-its-scope",
        site(
            sub(
                BASE_SITE,
                "[10.0.1.0/24]",
                '[10.0.1.0/24, "2001:db8:1::%\\nextended permit ip any any\\n:/64"]',
            )
        ),
        (SITE, 7, 29, "bad-network"),
    ),
    Case(
        "scoped-ipv6-host-address",
        site(sub(BASE_SITE, "address: 10.0.2.10", "address: 'fe80::10%eth0'")),
        (SITE, 16, 14, "bad-address"),
    ),
    Case(
        "text-with-unicode-line-separator",
        site(sub(BASE_SITE, "    vlan: 110\n", '    vlan: 110\n    description: "a\\u2028b"\n')),
        (SITE, 7, 18, "unsafe-text"),
    ),
    Case(
        "unsafe-text-with-double-quote",
        site(sub(BASE_SITE, "    vlan: 110\n", "    vlan: 110\n    description: 'say \"hi\"'\n")),
        (SITE, 7, 18, "unsafe-text"),
    ),
    # --- profiles and semantic schema rules
    # A service written as a mapping skipped parse_service's checks: 3389-22 was an empty range
    # to the remote-access check and "range 3389 22" on the firewall.
    Case(
        "profile-service-mapping-with-reversed-range",
        profile(
            sub(
                BASE_PROFILE,
                "[tcp/443]\n    why: status",
                "[{protocol: tcp, low: 3389, high: 22}]\n    why: status",
            )
        ),
        (PROFILE, 6, 16, "bad-port"),
    ),
    Case(
        "profile-service-mapping-out-of-range",
        profile(
            sub(
                BASE_PROFILE,
                "[tcp/443]\n    why: status",
                "[{protocol: udp, low: 70000, high: 70000}]\n    why: status",
            )
        ),
        (PROFILE, 6, 16, "bad-port"),
    ),
    Case(
        "profile-service-mapping-port-as-text",
        profile(
            sub(
                BASE_PROFILE,
                "[tcp/443]\n    why: status",
                "[{protocol: tcp, low: '443', high: 443}]\n    why: status",
            )
        ),
        (PROFILE, 6, 37, "wrong-type"),
    ),
    Case(  # reserved, and iptables reads --icmp-type 255 as every type
        "profile-icmp-type-255",
        profile(sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[icmp/255]\n    why: status")),
        (PROFILE, 6, 16, "bad-service"),
    ),
    Case(
        "profile-service-with-non-ascii-digits",
        profile(sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[tcp/٤٤٣]\n    why: status")),
        (PROFILE, 6, 16, "bad-port"),
    ),
    # Compiler, templates and validator each picked one of the two interfaces (found in review).
    Case(
        "zone-behind-two-interfaces",
        site(
            sub(BASE_SITE, "{name: eth3, zone: mgmt}", "{name: eth3, zone: mgmt, reaches: [clin]}")
        ),
        (SITE, 33, 44, "zone-on-two-interfaces"),
    ),
    Case(
        "profile-peer-of-site-specific-kind",
        profile(sub(BASE_PROFILE, "peer: role:pump-server", "peer: host:x")),
        (PROFILE, 5, 11, "bad-reference"),
    ),
    Case(
        "profile-file-name-not-matching-class",
        {SITE: BASE_SITE, "site/profiles/pump.yaml": BASE_PROFILE},
        ("site/profiles/pump.yaml", 1, 8, "profile-filename"),
    ),
    Case(
        "vendor-remote-zone-without-manufacturer",
        site(
            sub(
                BASE_SITE,
                "hosts:\n",
                "  - {name: vb, kind: vendor_remote, networks: [10.0.9.0/24]}\nhosts:\n",
            )
        ),
        (SITE, 14, 5, "zone-kind"),
    ),
    Case(
        "napalm-password-in-optional-args",
        site(
            sub(
                BASE_SITE,
                "    platform: nftables\n",
                "    platform: nftables\n    napalm: {driver: ios, host: fw1, "
                "optional_args: {transport: ssh, password: x}}\n",
            )
        ),
        (SITE, 30, 70, "secret-in-site"),
    ),
    Case(
        "exception-to-bad-reference",
        site(BASE_SITE + EXCEPTION),
        (SITE, BASE_LINES + 8, 22, "bad-reference"),
    ),
    # --- YAML syntax, encoding and size limits
    Case(
        "yaml-syntax-error",
        site(sub(BASE_SITE, "    kind: clinical\n", "    kind: clinical: care\n")),
        (SITE, 5, 19, "yaml-syntax"),
    ),
    Case(
        "tab-indentation",
        site(sub(BASE_SITE, "    kind: clinical\n", "\tkind: clinical\n")),
        (SITE, 5, 1, "yaml-syntax"),
    ),
    Case("binary-garbage-with-nul", site(BINARY), (SITE, 2, 8, "encoding")),
    Case(
        "invalid-utf8",
        site(b"site: t\ndescription: caf\xe9\n"),
        (SITE, 2, 17, "encoding"),
    ),
    Case(
        "invalid-utf8-after-non-ascii",
        site("site: t\ndescription: café ".encode() + b"\xff\n"),
        (SITE, 2, 19, "encoding"),
    ),
    Case("empty-file", site(""), (SITE, 1, 1, "empty-file")),
    Case("only-a-comment", site("# nothing here yet\n"), (SITE, 1, 1, "empty-file")),
    Case(
        "file-of-50-mb",
        {SITE: fifty_megabytes, PROFILE: BASE_PROFILE},
        (SITE, 1, 1, "file-too-large"),
        max_seconds=10.0,
    ),
    Case("nesting-10000-levels", site(DEEP_SITE), (SITE, 2, 71, "yaml-too-deep")),
    Case("alias-bomb", site(BOMB_SITE), (SITE, 8, 12, "yaml-too-large")),
    Case(
        "multiple-yaml-documents",
        site(BASE_SITE + "---\nsite: u\n"),
        (SITE, BASE_LINES + 1, 1, "yaml-multidoc"),
    ),
    Case(
        "unsupported-tag",
        site(sub(BASE_SITE, "site: t\n", "site: !!python/object/apply:os.system [true]\n")),
        (SITE, 1, 7, "yaml-tag"),
    ),
    # --- inventory CSV (site.yaml gains "inventory: [inventory.csv]" as line 3)
    Case(
        "csv-unknown-column",
        inventory("name,class,address,zone,colour\npump-02,infusion-pump,10.0.1.12,clin,red\n"),
        (INVENTORY, 1, 25, "unknown-key"),
    ),
    Case(
        "csv-missing-required-column",
        inventory("name,class,address\npump-02,infusion-pump,10.0.1.12\n"),
        (INVENTORY, 1, 1, "missing-key"),
    ),
    Case(
        "csv-bad-address-in-row-3",
        inventory(CSV_HEADER + CSV_ROW + "pump-03,infusion-pump,10.0.1.300,clin\n"),
        (INVENTORY, 3, 23, "bad-address"),
    ),
    # ipaddress keeps any text after '%' (an IPv6 scope), a newline and a whole ACL line
    # included, and str() gives it back: it reached ASA, Junos and nftables lines.
    Case(
        "csv-scoped-ipv6-address",
        inventory(
            CSV_HEADER + CSV_ROW + '"pump-03","infusion-pump","2001:db8::10%x\n'
            'meta nfproto ipv6 accept #",clin\n'
        ),
        (INVENTORY, 3, 27, "bad-address"),
    ),
    Case(
        "csv-wrong-field-count",
        inventory(CSV_HEADER + CSV_ROW + "pump-03,infusion-pump,10.0.1.13\n"),
        (INVENTORY, 3, 1, "csv-syntax"),
    ),
    Case(
        "csv-dangling-zone",
        inventory(CSV_HEADER + CSV_ROW + "pump-03,infusion-pump,10.0.1.13,nosuch\n"),
        (INVENTORY, 3, 33, "dangling-reference"),
    ),
    Case(
        "csv-multi-line-record",
        inventory(
            "name,class,address,zone,location\n"
            'pump-02,infusion-pump,10.0.1.300,clin,"ward\n3"\n'
            "pump-03,infusion-pump,10.0.1.13,clin,ward 4\n"
        ),
        (INVENTORY, 2, 23, "bad-address"),
    ),
    # --- missing files
    Case(
        "nonexistent-inventory-file",
        {
            SITE: sub(INVENTORY_SITE, "[inventory.csv]", "[inventory.csv, missing.csv]"),
            PROFILE: BASE_PROFILE,
            INVENTORY: CSV_HEADER + CSV_ROW,
        },
        (SITE, 3, 28, "io"),
    ),
    Case(
        "nonexistent-profile-dir",
        site(sub(BASE_SITE, "[profiles]", "[profiles, nosuch]")),
        (SITE, 2, 26, "io"),
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_bad_input_is_refused(tmp_path: Path, case: Case) -> None:
    try:
        run = lint(tmp_path, case.files)
    finally:  # pytest keeps recent tmp_paths: do not leave 50 MB behind
        for big in tmp_path.rglob("*"):
            if big.is_file() and big.stat().st_size > 1_000_000:
                big.unlink()
    assert_refused(run)
    path, line, col, code = case.at
    got = run.diagnostics()
    assert (path, line, col, code) in got, (
        f"expected {path}:{line}:{col} [{code}], got {got}\n{run.detail}"
    )
    assert run.seconds < case.max_seconds, f"took {run.seconds:.1f} s"


# ---------------------------------------------------------------------------------------------
# The same sites without the break load (so each case above fails for its own reason only).


@pytest.mark.parametrize(
    "files",
    [site(), inventory(CSV_HEADER + CSV_ROW)],
    ids=["site", "site-with-inventory"],
)
def test_unbroken_inputs_load(tmp_path: Path, files: dict[str, Any]) -> None:
    run = lint(tmp_path, files)
    assert run.returncode in (0, 1), run.detail
    assert "Traceback" not in run.stderr, run.detail
    assert run.after == run.before, run.detail


def test_missing_site_yaml(tmp_path: Path) -> None:
    """No site.yaml: a file-level error. There is no line to point at, so the diagnostic names
    the directory alone (the one diagnostic without line:col)."""
    run = lint(tmp_path, {PROFILE: BASE_PROFILE})
    assert "Traceback" not in run.stderr, run.detail
    assert run.returncode == 2, run.detail
    assert run.after == run.before, run.detail
    assert run.stderr == "site: error: no site.yaml in this directory [io]\n", run.detail


# ---------------------------------------------------------------------------------------------
# All errors together; JSON output; --debug


MULTI_ERROR_SITE = sub(
    sub(
        sub(
            sub(BASE_SITE, "    kind: clinical\n", "    kind: clinicl\n"),
            "10.0.2.10\n",
            "10.0.2.300\n",
        ),
        "tcp/3389]",
        "tcp/99999]",
    ),
    "    platform: nftables\n",
    "    platform: nftables\n    colour: red\n",
)
MULTI_ERROR_PROFILE = sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[tcp/0]\n    why: status")
MULTI_ERRORS = [
    (PROFILE, 6, 16, "bad-port"),  # tcp/0
    (SITE, 5, 11, "bad-value"),  # kind: clinicl
    (SITE, 16, 14, "bad-address"),  # 10.0.2.300
    (SITE, 30, 5, "unknown-key"),  # colour (below platform, line 29)
    (SITE, 37, 33, "bad-port"),  # tcp/99999
]


def test_all_errors_reported_together(tmp_path: Path) -> None:
    run = lint(tmp_path, {SITE: MULTI_ERROR_SITE, PROFILE: MULTI_ERROR_PROFILE})
    assert_refused(run)
    assert run.diagnostics() == MULTI_ERRORS, run.detail
    assert len(run.stderr.splitlines()) == 5, run.detail


def test_json_format_on_bad_input(tmp_path: Path) -> None:
    write_files(tmp_path, {SITE: MULTI_ERROR_SITE, PROFILE: MULTI_ERROR_PROFILE})
    run = run_cli(tmp_path, "lint", "--format", "json", "site")
    assert run.returncode == 2, run.detail
    assert "Traceback" not in run.stderr, run.detail
    assert run.after == run.before, run.detail
    doc = json.loads(run.stdout)
    assert doc["loaded"] is False
    assert doc["errors"] == 5
    got = [(d["file"], d["line"], d["col"], d["code"]) for d in doc["diagnostics"]]
    assert got == MULTI_ERRORS
    assert all(d["severity"] == "error" and d["message"] for d in doc["diagnostics"])


def test_traceback_only_with_debug(tmp_path: Path) -> None:
    files = site(sub(BASE_SITE, "10.0.2.10\n", "10.0.2.300\n"))
    plain = lint(tmp_path, files)
    assert_refused(plain)
    assert (SITE, 16, 14, "bad-address") in plain.diagnostics()

    debug = run_cli(tmp_path, "--debug", "lint", "site")
    assert debug.returncode == 2, debug.detail
    assert "Traceback (most recent call last)" in debug.stderr, debug.detail
    assert "InputError" in debug.stderr, debug.detail
    assert f"{SITE}:16:14: error: " in debug.stderr, debug.detail
    assert debug.after == debug.before, debug.detail


def test_unknown_key_hint_is_not_the_key_itself(tmp_path: Path) -> None:
    run = lint(
        tmp_path, profile(sub(BASE_PROFILE, "    why: status", "    port: 443\n    why: status"))
    )
    assert_refused(run)
    assert (PROFILE, 7, 5, "unknown-key") in run.diagnostics()
    assert "did you mean 'port'" not in run.stderr, run.detail
