"""Bad input: every broken site, profile or inventory is refused by the real CLI.

Each case writes a minimal site directory into ``tmp_path`` (its own ``profiles/`` folder, never
the bundled library), runs ``python -m segcfg lint site`` as a subprocess from ``tmp_path`` and
checks the contract of README.md: every problem printed on stderr as
``path:line:col: error: message [code]``, exit code 2, no traceback, nothing written.

Line and column numbers are 1-based and point at the offending key or value. Cases marked
``xfail(strict=True)`` document bugs found in segcfg; they start passing (and so fail the suite)
once the bug is fixed, and the mark must then be removed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = "site/site.yaml"
PROFILE = "site/profiles/infusion-pump.yaml"
INVENTORY = "site/inventory.csv"

DIAG_RE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+) \[(?P<code>[a-z0-9_-]+)\]$"
)

# A valid site: every case below breaks it (or its profile) in one place. Line numbers:
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
#  1 site            8 zone srv        15 host pump-srv   23 device pump-01   28 core-fw
#  2 profile_dirs    9  kind           16  address        24  class           31 eth1 (flow)
#  3 zones          10  networks       17  zone           25  address         34 policy
#  4 zone clin      11 zone mgmt       18  roles          26  zone            35 management_sources
#  5  kind          14 hosts           19 host jump-01    27 enforcement_points
#  6  vlan                                                                   36 remote_access_ports
#  7  networks
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

CSV_HEADER = "name,class,address,zone\n"
WITH_INVENTORY = BASE_SITE.replace(
    "profile_dirs: [profiles]\n", "profile_dirs: [profiles]\ninventory: [inventory.csv]\n"
)  # fmt: skip  (inventory is line 3, everything below +1)


def sub(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced (fails loudly if not exactly one)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def site(text: str = BASE_SITE) -> dict[str, object]:
    return {SITE: text, PROFILE: BASE_PROFILE}


def profile(text: str) -> dict[str, object]:
    return {SITE: BASE_SITE, PROFILE: text}


def inventory(csv_text: str) -> dict[str, object]:
    return {SITE: WITH_INVENTORY, PROFILE: BASE_PROFILE, INVENTORY: csv_text}


# ---------------------------------------------------------------------------------------------
# Running the CLI


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    before: dict[str, tuple[int, int]] = field(default_factory=dict)
    after: dict[str, tuple[int, int]] = field(default_factory=dict)

    def diagnostics(self) -> list[re.Match[str]]:
        return [m for line in self.stderr.splitlines() if (m := DIAG_RE.match(line))]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its size and modification time."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath, name)
            st = p.lstat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def write_files(root: Path, files: dict[str, object]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            assert isinstance(content, str)
            path.write_bytes(content.encode("utf-8"))
    (root / "site").mkdir(exist_ok=True)


def run_cli(tmp_path: Path, *args: str) -> Run:
    """``python -m segcfg ARGS`` from ``tmp_path``, with the working tree's segcfg."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["COLUMNS"] = "200"
    before = _snapshot(tmp_path)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "segcfg", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.monotonic() - start
    return Run(proc.returncode, proc.stdout, proc.stderr, seconds, before, _snapshot(tmp_path))


def lint(tmp_path: Path, files: dict[str, object], *extra: str) -> Run:
    write_files(tmp_path, files)
    return run_cli(tmp_path, "lint", *extra, "site")


def assert_refused(run: Run, path: str, line: int, col: int, code: str) -> None:
    """Exit 2, no traceback, nothing written, only diagnostics on stderr, the expected one
    among them."""
    detail = f"exit {run.returncode}\n--- stderr\n{run.stderr}--- stdout\n{run.stdout}"
    assert "Traceback" not in run.stderr, detail
    assert "internal error" not in run.stderr, detail
    assert run.returncode == 2, detail
    assert run.after == run.before, "files were written or changed:\n" + detail
    lines = run.stderr.splitlines()
    assert lines, detail
    bad = [ln for ln in lines if not DIAG_RE.match(ln)]
    assert not bad, f"not in path:line:col: error: message [code] form: {bad}\n{detail}"
    want = (path, str(line), str(col), code)
    got = [(m["path"], m["line"], m["col"], m["code"]) for m in run.diagnostics()]
    assert want in got, f"expected {path}:{line}:{col} [{code}], got {got}\n{detail}"


# ---------------------------------------------------------------------------------------------
# Generated inputs


def _fifty_megabytes(path: Path) -> None:
    """A 50 MB, otherwise valid YAML site: a very long list of host names."""
    with path.open("wb") as fh:
        fh.write(b"site: t\nprofile_dirs: [profiles]\nzones:\n")
        chunk = b"  - {name: z, kind: guest, networks: [10.9.0.0/16]}\n" * 20_000
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(chunk)


DEEP = 10_000
DEEP_SITE = "site: t\nzones: " + "[" * DEEP + "]" * DEEP + "\n"

# Billion laughs: 9 levels of 9 aliases each, about 10**9 nodes if expanded.
BOMB_SITE = (
    'site: t\nlol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + ("".join(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10)))
)

BINARY = b"site: t\n\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"

MULTI_ERRORS_SITE = sub(
    sub(
        sub(
            sub(BASE_SITE, "    kind: clinical\n", "    kind: clinicl\n"),
            "    address: 10.0.2.10\n",
            "    address: 10.0.2.300\n",
        ),
        "tcp/3389]",
        "tcp/99999]",
    ),
    "    platform: nftables\n",
    "    platform: nftables\n    colour: red\n",
)
MULTI_ERRORS_PROFILE = sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[tcp/0]\n    why: status")
MULTI_ERRORS = [
    (SITE, 5, 11, "bad-value"),  # kind: clinicl
    (SITE, 16, 14, "bad-address"),  # 10.0.2.300
    (SITE, 30, 5, "unknown-key"),  # colour
    (SITE, 37, 33, "bad-port"),  # tcp/99999
    (PROFILE, 6, 16, "bad-port"),  # tcp/0
]


# ---------------------------------------------------------------------------------------------
# The cases: id, files, (path, line, col, code) of the expected diagnostic, and optional marks.


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, object]
    path: str
    line: int
    col: int
    code: str
    bug: str | None = None

    def param(self) -> object:
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {self.bug}")] if self.bug else []
        return pytest.param(self, id=self.id, marks=marks)


CASES = [
    # --- unknown and missing keys
    Case(
        "unknown-key-top-level",
        site(sub(BASE_SITE, "site: t\n", "site: t\ncolour: red\n")),
        SITE,
        2,
        1,
        "unknown-key",
    ),
    Case(
        "unknown-key-top-level-capitalised",
        site(sub(BASE_SITE, "zones:\n", "Zones:\n")),
        SITE,
        3,
        1,
        "unknown-key",
        bug="an unknown key starting with a capital letter is dropped from the pydantic location: "
        "reported as \"unknown key '?'\" at 1:1 instead of 'Zones' at 3:1",
    ),
    Case(
        "unknown-key-in-zone",
        site(sub(BASE_SITE, "    kind: clinical\n", "    kind: clinical\n    colour: red\n")),
        SITE,
        6,
        5,
        "unknown-key",
    ),
    Case(
        "unknown-key-in-host",
        site(sub(BASE_SITE, "    zone: srv\n", "    zone: srv\n    rack: 4\n")),
        SITE,
        18,
        5,
        "unknown-key",
    ),
    Case(
        "unknown-key-in-profile-communication",
        profile(sub(BASE_PROFILE, "    why: status", "    port: 443\n    why: status")),
        PROFILE,
        7,
        5,
        "unknown-key",
    ),
    Case(
        "missing-required-key-host-address",
        site(sub(BASE_SITE, "    address: 10.0.2.10\n", "")),
        SITE,
        15,
        5,
        "missing-key",
    ),
    Case(
        "missing-required-key-site",
        site(sub(BASE_SITE, "site: t\n", "")),
        SITE,
        1,
        1,
        "missing-key",
    ),
    # --- networks and addresses
    Case(
        "bad-cidr-prefix",
        site(sub(BASE_SITE, "10.0.1.0/24", "10.0.1.0/33")),
        SITE,
        7,
        16,
        "bad-network",
    ),
    Case(
        "network-host-bits-set",
        site(sub(BASE_SITE, "10.0.1.0/24", "10.0.1.5/24")),
        SITE,
        7,
        16,
        "bad-network",
    ),
    Case(
        "ipv6-bad-network",
        site(sub(BASE_SITE, "[10.0.2.0/24]", "[10.0.2.0/24, '2001:db8:::/64']")),
        SITE,
        10,
        29,
        "bad-network",
    ),
    Case(
        "bad-address",
        site(sub(BASE_SITE, "10.0.2.10\n", "10.0.2.300\n")),
        SITE,
        16,
        14,
        "bad-address",
    ),
    # --- services
    Case(
        "port-out-of-range",
        site(sub(BASE_SITE, "[tcp/22, tcp/3389]", "[tcp/22, tcp/70000]")),
        SITE,
        36,
        33,
        "bad-port",
    ),
    Case(
        "port-zero",
        profile(sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[tcp/0]\n    why: status")),
        PROFILE,
        6,
        16,
        "bad-port",
    ),
    Case(
        "port-range-reversed",
        site(sub(BASE_SITE, "[tcp/22, tcp/3389]", "[tcp/22, tcp/5903-5900]")),
        SITE,
        36,
        33,
        "bad-port",
    ),
    Case(
        "unknown-protocol",
        profile(sub(BASE_PROFILE, "[tcp/443]\n    why: status", "[sctp/443]\n    why: status")),
        PROFILE,
        6,
        16,
        "bad-service",
    ),
    Case(
        "vlan-out-of-range",
        site(sub(BASE_SITE, "vlan: 110", "vlan: 5000")),
        SITE,
        6,
        11,
        "bad-vlan",
    ),
    # --- wrong types
    Case(
        "string-where-list-expected",
        site(sub(BASE_SITE, "roles: [pump-server]", "roles: pump-server")),
        SITE,
        18,
        12,
        "wrong-type",
    ),
    Case(
        "list-where-mapping-expected",
        site(
            sub(
                BASE_SITE,
                "policy:\n  management_sources: [host:jump-01]\n",
                "policy:\n  - management_sources\n",
            )
        ),
        SITE,
        35,
        3,
        "wrong-type",
    ),
    Case(
        "int-as-name",
        site(sub(BASE_SITE, "site: t\n", "site: 42\n")),
        SITE,
        1,
        7,
        "wrong-type",
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
        ),  # fmt: skip
        SITE,
        11,
        11,
        "duplicate-name",
    ),
    Case(
        "duplicate-host-and-device-name",
        site(sub(BASE_SITE, "  - name: pump-01\n", "  - name: pump-srv\n")),
        SITE,
        23,
        11,
        "duplicate-name",
    ),
    Case(
        "duplicate-yaml-key",
        site(sub(BASE_SITE, "    kind: clinical\n", "    kind: clinical\n    kind: corporate\n")),
        SITE,
        6,
        5,
        "duplicate-key",
    ),
    # --- dangling references
    Case(
        "dangling-zone-on-host",
        site(sub(BASE_SITE, "    zone: srv\n", "    zone: srvv\n")),
        SITE,
        17,
        11,
        "dangling-reference",
    ),
    Case(
        "dangling-zone-on-device",
        site(sub(BASE_SITE, "    zone: clin\n", "    zone: nosuch\n")),
        SITE,
        26,
        11,
        "dangling-reference",
    ),
    Case(
        "dangling-zone-on-interface",
        site(sub(BASE_SITE, "{name: eth2, zone: srv}", "{name: eth2, zone: nosuch}")),
        SITE,
        32,
        26,
        "dangling-reference",
    ),
    Case(
        "dangling-policy-host-reference",
        site(sub(BASE_SITE, "[host:jump-01]", "[host:jump-01, host:nosuch]")),
        SITE,
        35,
        38,
        "dangling-reference",
    ),
    Case(
        "dangling-policy-role-reference",
        site(BASE_SITE + "  decoys: [role:nosuch]\n"),
        SITE,
        37,
        12,
        "dangling-reference",
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
        ),  # fmt: skip
        SITE,
        35,
        25,
        "group-cycle",
    ),
    # --- unsafe names and texts
    Case(
        "unsafe-name-with-space",
        site(sub(BASE_SITE, "  - name: jump-01\n", "  - name: jump 01\n")),
        SITE,
        19,
        11,
        "unsafe-name",
    ),
    Case(
        "unsafe-name-with-newline",
        site(sub(BASE_SITE, "  - name: pump-01\n", '  - name: "pump\\n01"\n')),
        SITE,
        23,
        11,
        "unsafe-name",
    ),
    Case(
        "unsafe-text-with-double-quote",
        site(sub(BASE_SITE, "    vlan: 110\n", "    vlan: 110\n    description: 'say \"hi\"'\n")),
        SITE,
        7,
        18,
        "unsafe-text",
    ),
    # --- profiles
    Case(
        "profile-peer-site-specific",
        profile(sub(BASE_PROFILE, "peer: role:pump-server", "peer: host:x")),
        PROFILE,
        5,
        11,
        "bad-reference",
    ),
    Case(
        "profile-file-name-not-class",
        {SITE: BASE_SITE, "site/profiles/pump.yaml": BASE_PROFILE},
        "site/profiles/pump.yaml",
        1,
        8,
        "profile-filename",
    ),
    # --- semantic schema rules
    Case(
        "vendor-remote-zone-without-manufacturer",
        site(
            sub(
                BASE_SITE,
                "hosts:\n",
                "  - {name: vb, kind: vendor_remote, networks: [10.0.9.0/24]}\nhosts:\n",
            )
        ),  # fmt: skip
        SITE,
        14,
        5,
        "zone-kind",
    ),
    Case(
        "napalm-password-in-optional-args",
        site(
            sub(
                BASE_SITE,
                "    platform: nftables\n",
                "    platform: nftables\n    napalm: "
                "{driver: ios, host: fw1, optional_args: {transport: ssh, password: x}}\n",
            )
        ),  # fmt: skip
        SITE,
        30,
        70,
        "secret-in-site",
        bug="secret-in-site points at the optional_args mapping (30:44), not at its "
        "'password' key (30:70)",
    ),
    # --- YAML syntax and encoding
    Case(
        "yaml-syntax-error",
        site(sub(BASE_SITE, "    kind: clinical\n", "    kind: clinical]\n")),
        SITE,
        5,
        19,
        "yaml-syntax",
    ),
    Case(
        "tab-indentation",
        site(sub(BASE_SITE, "    kind: clinical\n", "\tkind: clinical\n")),
        SITE,
        5,
        1,
        "yaml-syntax",
    ),
    Case("binary-garbage-with-nul", site(BINARY), SITE, 2, 8, "encoding"),  # type: ignore[arg-type]
    Case(
        "invalid-utf8",
        {SITE: b"site: t\ndescription: caf\xe9\n", PROFILE: BASE_PROFILE},
        SITE,
        2,
        17,
        "encoding",
    ),
    Case("empty-file", site(""), SITE, 1, 1, "empty-file"),
    Case("only-a-comment", site("# nothing here yet\n"), SITE, 1, 1, "empty-file"),
    Case("file-of-50-mb", {SITE: _fifty_megabytes}, SITE, 1, 1, "file-too-large"),
    Case("nesting-10000-deep", site(DEEP_SITE), SITE, 2, 71, "yaml-too-deep"),
    Case("alias-bomb", site(BOMB_SITE), SITE, 0, 0, "yaml-too-large"),  # position set below
    Case(
        "multiple-yaml-documents",
        site(BASE_SITE + "---\nsite: u\n"),
        SITE,
        BASE_LINES + 1,
        1,
        "yaml-multidoc",
    ),
    Case(
        "unsupported-tag",
        site(sub(BASE_SITE, "site: t\n", "site: !!python/object/apply:os.system [true]\n")),
        SITE,
        1,
        7,
        "yaml-tag",
    ),
    # --- inventory CSV (site.yaml gains "inventory: [inventory.csv]" as line 3)
    Case(
        "csv-unknown-column",
        inventory("name,class,address,zone,colour\npump-02,infusion-pump,10.0.1.12,clin,red\n"),
        INVENTORY,
        1,
        25,
        "unknown-key",
    ),
    Case(
        "csv-missing-required-column",
        inventory("name,class,address\npump-02,infusion-pump,10.0.1.12\n"),
        INVENTORY,
        1,
        1,
        "missing-key",
    ),
    Case(
        "csv-bad-address-row-3",
        inventory(
            CSV_HEADER
            + "pump-02,infusion-pump,10.0.1.12,clin\n"
            + "pump-03,infusion-pump,10.0.1.300,clin\n"
        ),
        INVENTORY,
        3,
        23,
        "bad-address",
    ),
    Case(
        "csv-wrong-field-count",
        inventory(CSV_HEADER + "pump-02,infusion-pump,10.0.1.12\n"),
        INVENTORY,
        2,
        1,
        "csv-syntax",
    ),
    Case(
        "csv-dangling-zone",
        inventory(CSV_HEADER + "pump-02,infusion-pump,10.0.1.12,nosuch\n"),
        INVENTORY,
        2,
        33,
        "dangling-reference",
        bug="a dangling zone in an inventory row is reported at column 1, not at the zone field",
    ),
    # --- missing files
    Case(
        "nonexistent-inventory-file",
        {
            SITE: sub(WITH_INVENTORY, "[inventory.csv]", "[inventory.csv, missing.csv]"),
            PROFILE: BASE_PROFILE,
            INVENTORY: CSV_HEADER,
        },  # fmt: skip
        SITE,
        3,
        28,
        "io",
    ),
    Case(
        "nonexistent-profile-dir",
        site(sub(BASE_SITE, "[profiles]", "[profiles, nosuch]")),
        SITE,
        2,
        27,
        "io",
        bug="a profile_dirs entry that does not exist is reported as 'site/nosuch: error: ...' "
        "with no line:col, instead of at the entry in site.yaml",
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_bad_input_is_refused(tmp_path: Path, case: Case) -> None:
    run = lint(tmp_path, case.files)
    assert_refused(run, case.path, case.line, case.col, case.code)
