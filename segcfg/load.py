"""Load a site directory (site.yaml, inventory CSVs, device profiles) into the model.

Nothing is accepted silently: schema errors, unknown keys, duplicate names and dangling
references are all collected, each with ``path:line:col``, and raised together as one
:class:`~segcfg.errors.InputError`.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from segcfg.errors import Diagnostic, InputError, Location, Severity
from segcfg.gcpause import without_gc
from segcfg.model.common import Ref
from segcfg.model.profile import DeviceProfile
from segcfg.model.site import Device, Site, ZoneKind
from segcfg.resources import bundled_dir
from segcfg.yamlsrc import PathKey, SourceDoc, load_yaml_file, read_text

SITE_FILES = ("site.yaml", "site.yml")
BUILTIN = "@builtin"
_OUR_CODES_HINT = "-"  # our own codes contain a dash; pydantic's use underscores


@dataclass(frozen=True)
class LoadedProfile:
    profile: DeviceProfile
    doc: SourceDoc

    @property
    def path(self) -> str:
        return self.doc.path

    def where(self, *loc: str | int) -> Location:
        return self.doc.locate(tuple(loc))


@dataclass(frozen=True)
class LoadedSite:
    """A validated site with its profiles and the origin of every element, for diagnostics."""

    site: Site
    site_dir: Path
    doc: SourceDoc
    profiles: Mapping[str, LoadedProfile]
    device_origins: Mapping[str, Location] = field(default_factory=dict)

    def where(self, *loc: str | int) -> Location:
        return self.doc.locate(tuple(loc))

    def device_where(self, name: str) -> Location:
        return self.device_origins.get(name, Location(self.doc.path))


def display_path(path: Path) -> str:
    """Paths in diagnostics: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _all_field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for arg in _walk_types(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _all_field_names(arg, seen)
    return names


def _walk_types(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _walk_types(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None:
        yield from _walk_types(origin)


_KNOWN_KEYS = sorted(_all_field_names(Site) | _all_field_names(DeviceProfile))


def format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple[Any, ...], doc: SourceDoc | None = None) -> PathKey:
    """Drop pydantic's union-member and validator tags from an error location.

    With the document at hand a part is kept when the data really has it (so a key such as
    ``Zones`` survives); otherwise tags are recognised by their form (``IPv4Network``,
    ``function-before[...]``).
    """
    out: list[str | int] = []
    for i, p in enumerate(loc):
        if isinstance(p, int):
            out.append(p)
            continue
        if doc is not None:
            here = (*out, p)
            if here in doc.positions or here in doc.key_positions or i == len(loc) - 1:
                out.append(p)
            continue
        if "[" not in p and not p[:1].isupper():
            out.append(p)
    return tuple(out)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for arg in _walk_types(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _keys_at(model: type[BaseModel], loc: PathKey) -> list[str]:
    """The keys allowed at ``loc`` below ``model`` (all known keys when it cannot tell)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        current = _model_of(info.annotation) if info is not None else None
    if current is None:
        return _KNOWN_KEYS
    return [f.alias or n for n, f in current.model_fields.items()]


def validation_diagnostics(
    exc: ValidationError, doc: SourceDoc, prefix: PathKey = (), model: type[BaseModel] | None = None
) -> list[Diagnostic]:
    """Map every pydantic error back to the YAML node it came from."""
    out: list[Diagnostic] = []
    errors = exc.errors(include_url=False)
    locs = [prefix + _clean_loc(tuple(e["loc"]), doc) for e in errors]
    for err, loc in zip(errors, locs, strict=True):
        kind = str(err["type"])
        if kind == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue  # "no items left" only because the items themselves failed
        where = format_loc(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            allowed = _keys_at(model, loc[len(prefix) : -1]) if model else _KNOWN_KEYS
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            msg = f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            if len(loc) > 1:
                msg = f"{format_loc(loc[:-1])}: {msg}"
            location, code = doc.locate(loc, key=True), "unknown-key"
        elif kind == "missing":
            parent = format_loc(loc[:-1]) or "top level"
            msg = f"{parent}: missing required key {loc[-1]!r}"
            location, code = doc.locate(loc[:-1]), "missing-key"
        else:
            text = str(err["msg"]).removeprefix("Value error, ")
            if kind == "enum":
                text += f" (got {_short(err.get('input'))})"
                code = "bad-value"
            elif kind.endswith("_type") or kind.endswith("_parsing"):
                text += f" (got {type(err.get('input')).__name__}: {_short(err.get('input'))})"
                code = "wrong-type"
            elif kind == "literal_error":
                text += f" (got {_short(err.get('input'))})"
                code = "bad-value"
            else:
                code = kind if _OUR_CODES_HINT in kind else "schema"
            if loc and loc[-1] == "[key]":  # an error in a mapping key: point at the key
                loc = loc[:-1]
                where = format_loc(loc)
                location = doc.locate(loc, key=True)
            else:
                location = doc.locate(loc)
            msg = f"{where}: {text}" if where else text
        out.append(Diagnostic(location, Severity.ERROR, msg, code))
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------------------------
# Inventory CSV


INVENTORY_COLUMNS = ("name", "class", "address", "zone", "model", "serial", "location")
INVENTORY_REQUIRED = ("name", "class", "address", "zone")


def _field_positions(record: str) -> list[tuple[int, int]]:
    """(line offset, 1-based column) where each field of a CSV record starts; a record may
    span lines inside quotes."""
    if '"' not in record:  # no quotes: one line, every comma separates (most inventories)
        out, col = [(0, 1)], 1
        for text in record.split(",")[:-1]:
            col += len(text) + 1
            out.append((0, col))
        return out
    out, quoted, line, col = [(0, 1)], False, 0, 1
    for ch in record:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append((line, col + 1))
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    return out


def _field_starts(line: str) -> list[int]:
    """1-based column where each CSV field of a physical line starts."""
    starts, quoted, i = [1], False, 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append(i + 2)
        i += 1
    return starts


def load_inventory_csv(path: Path) -> tuple[list[Device], dict[str, Location], list[Diagnostic]]:
    """Devices from a CMDB / medical-device inventory export (one device per row)."""
    shown = display_path(path)
    text = read_text(path, shown)
    lines = text.splitlines()
    diags: list[Diagnostic] = []
    devices: list[Device] = []
    origins: dict[str, Location] = {}
    if not text.strip():
        return (
            [],
            {},
            [
                Diagnostic(
                    Location(shown, 1, 1),
                    Severity.ERROR,
                    "inventory file is empty (expected a header row)",
                    "empty-file",
                )
            ],
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return (
            [],
            {},
            [Diagnostic(Location(shown, 1, 1), Severity.ERROR, f"CSV error: {exc}", "csv-syntax")],
        )
    starts = _field_starts(lines[0]) if lines else [1]
    for idx, col_name in enumerate(header):
        col = starts[idx] if idx < len(starts) else 1
        if col_name not in INVENTORY_COLUMNS:
            hint = difflib.get_close_matches(col_name, INVENTORY_COLUMNS, n=1)
            diags.append(
                Diagnostic(
                    Location(shown, 1, col),
                    Severity.ERROR,
                    f"unknown inventory column {col_name!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                    + f"; columns are {', '.join(INVENTORY_COLUMNS)}",
                    "unknown-key",
                )
            )
        elif header.count(col_name) > 1 and header.index(col_name) != idx:
            diags.append(
                Diagnostic(
                    Location(shown, 1, col),
                    Severity.ERROR,
                    f"duplicate inventory column {col_name!r}",
                    "duplicate-key",
                )
            )
    for need in INVENTORY_REQUIRED:
        if need not in header:
            diags.append(
                Diagnostic(
                    Location(shown, 1, 1),
                    Severity.ERROR,
                    f"inventory header lacks the {need!r} column",
                    "missing-key",
                )
            )
    if diags:
        return [], {}, diags
    prev_end = reader.line_num
    try:
        for row in reader:
            end = reader.line_num
            line_no, prev_end = prev_end + 1, end  # the record's first line
            if not row or all(not c.strip() for c in row):
                continue
            positions = _field_positions("\n".join(lines[line_no - 1 : end]))

            def at(
                idx: int, line_no: int = line_no, positions: list[tuple[int, int]] = positions
            ) -> Location:
                dl, col = positions[idx] if idx < len(positions) else (0, 1)
                return Location(shown, line_no + dl, col)

            if len(row) != len(header):
                diags.append(
                    Diagnostic(
                        Location(shown, line_no, 1),
                        Severity.ERROR,
                        f"row has {len(row)} fields, the header has {len(header)}",
                        "csv-syntax",
                    )
                )
                continue
            record = {k: v.strip() for k, v in zip(header, row, strict=True) if v.strip() != ""}
            try:
                device = Device.model_validate(record)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    loc = _clean_loc(tuple(err["loc"]))
                    column = str(loc[0]) if loc else "name"
                    idx = header.index(column) if column in header else 0
                    if err["type"] == "missing":
                        msg = f"column {column!r} is empty"
                        code = "missing-key"
                    else:
                        msg = f"{column}: " + str(err["msg"]).removeprefix("Value error, ")
                        code = str(err["type"]) if "-" in str(err["type"]) else "schema"
                    diags.append(Diagnostic(at(idx), Severity.ERROR, msg, code))
                continue
            devices.append(device)
            origins.setdefault(device.name, at(header.index("name")))
            origins.setdefault(f"{device.name}:zone", at(header.index("zone")))
    except csv.Error as exc:
        diags.append(
            Diagnostic(
                Location(shown, reader.line_num, 1),
                Severity.ERROR,
                f"CSV error: {exc}",
                "csv-syntax",
            )
        )
    return devices, origins, diags


# --------------------------------------------------------------------------------------------
# Profiles


def profile_directories(
    site_dir: Path, entries: Iterable[str], builtin: Path | None = None
) -> list[Path]:
    builtin = builtin or bundled_dir("device_profiles")
    dirs: list[Path] = []
    for entry in entries:
        dirs.append(builtin if entry == BUILTIN else site_dir / entry)
    local = site_dir / "device_profiles"
    if local.is_dir() and local not in dirs:
        dirs.append(local)
    return dirs


def load_profiles(
    dirs: Iterable[Path], declared_at: Mapping[Path, Location] | None = None
) -> tuple[dict[str, LoadedProfile], list[Diagnostic]]:
    """Every ``*.yaml``/``*.yml`` of each directory; a later directory overrides a class of an
    earlier one (a site's own profiles override the bundled library). ``declared_at`` says
    where each directory was named, for diagnostics."""
    profiles: dict[str, LoadedProfile] = {}
    diags: list[Diagnostic] = []
    for directory in dirs:
        shown_dir = display_path(directory)
        if not directory.is_dir():
            diags.append(
                Diagnostic(
                    (declared_at or {}).get(directory, Location(shown_dir)),
                    Severity.ERROR,
                    f"profile directory {shown_dir} does not exist",
                    "io",
                )
            )
            continue
        seen_here: dict[str, str] = {}
        files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
        for path in files:
            # display_path(path), without a relpath per file
            shown = path.name if shown_dir == "." else os.path.join(shown_dir, path.name)
            try:
                doc = load_yaml_file(path, shown)
            except InputError as exc:
                diags.extend(exc.diagnostics)
                continue
            if not isinstance(doc.data, dict):
                diags.append(
                    Diagnostic(
                        doc.locate(()), Severity.ERROR, "a profile must be a mapping", "wrong-type"
                    )
                )
                continue
            try:
                profile = DeviceProfile.model_validate(doc.data)
            except ValidationError as exc:
                diags.extend(validation_diagnostics(exc, doc, model=DeviceProfile))
                continue
            cls = profile.class_
            if path.stem != cls:
                diags.append(
                    Diagnostic(
                        doc.locate(("class",)),
                        Severity.ERROR,
                        f"profile of class {cls!r} must be in {cls}.yaml",
                        "profile-filename",
                    )
                )
                continue
            if cls in seen_here:
                diags.append(
                    Diagnostic(
                        doc.locate(("class",)),
                        Severity.ERROR,
                        f"class {cls!r} is also defined in {seen_here[cls]}",
                        "duplicate-name",
                    )
                )
                continue
            seen_here[cls] = shown
            profiles[cls] = LoadedProfile(profile, doc)
    return profiles, diags


# --------------------------------------------------------------------------------------------
# Site


def find_site_file(site_dir: Path) -> Path:
    if site_dir.is_file():
        return site_dir
    for name in SITE_FILES:
        candidate = site_dir / name
        if candidate.is_file():
            return candidate
    raise InputError(
        Diagnostic(
            Location(display_path(site_dir)), Severity.ERROR, "no site.yaml in this directory", "io"
        )
    )


@without_gc
def load_site(site_dir: Path | str, builtin: Path | None = None) -> LoadedSite:
    """Load and check a site directory; raises :class:`InputError` with every problem found.

    ``builtin`` replaces the bundled profile library (a site checked out at another revision
    uses the library of that revision)."""
    site_dir = Path(site_dir)
    site_file = find_site_file(site_dir)
    site_dir = site_file.parent
    doc = load_yaml_file(site_file, display_path(site_file))
    diags: list[Diagnostic] = []
    raw = doc.data
    if not isinstance(raw, dict):
        raise InputError(
            Diagnostic(
                doc.locate(()), Severity.ERROR, "a site file must be a mapping", "wrong-type"
            )
        )
    site: Site | None
    try:
        site = Site.model_validate(raw)
    except ValidationError as exc:
        diags.extend(validation_diagnostics(exc, doc, model=Site))
        site = None

    raw_dirs = raw.get("profile_dirs", [BUILTIN])
    if not (isinstance(raw_dirs, list) and all(isinstance(d, str) for d in raw_dirs)):
        raw_dirs = [BUILTIN]
    dirs = profile_directories(site_dir, raw_dirs, builtin)
    declared = {
        ((builtin or bundled_dir("device_profiles")) if e == BUILTIN else site_dir / e): doc.locate(
            ("profile_dirs", i)
        )
        for i, e in enumerate(raw_dirs)
    }
    profiles, profile_diags = load_profiles(dirs, declared)
    diags.extend(profile_diags)

    origins: dict[str, Location] = {}
    if site is not None:
        for i, device in enumerate(site.devices):
            origins.setdefault(device.name, doc.locate(("devices", i)))
        extra: list[Device] = []
        for i, rel in enumerate(site.inventory):
            path = site_dir / rel
            if not path.is_file():
                diags.append(
                    Diagnostic(
                        doc.locate(("inventory", i)),
                        Severity.ERROR,
                        f"inventory file {rel!r} does not exist",
                        "io",
                    )
                )
                continue
            try:
                devices, dev_origins, csv_diags = load_inventory_csv(path)
            except InputError as exc:
                diags.extend(exc.diagnostics)
                continue
            diags.extend(csv_diags)
            extra.extend(devices)
            for name, loc in dev_origins.items():
                origins.setdefault(name, loc)
        if extra:
            site = site.model_copy(update={"devices": (*site.devices, *extra)})
        loaded = LoadedSite(site, site_dir, doc, profiles, origins)
        diags.extend(check_site_structure(loaded, extra))
    if diags:
        raise InputError(diags)
    assert site is not None
    return LoadedSite(site, site_dir, doc, profiles, origins)


def check_site_structure(loaded: LoadedSite, csv_devices: list[Device]) -> list[Diagnostic]:
    """Duplicate names and dangling references: the site cannot be used until they are fixed."""
    site = loaded.site
    diags: list[Diagnostic] = []

    def dup(kind: str, items: Iterable[tuple[str, Location]]) -> None:
        first: dict[str, Location] = {}
        for name, where in items:
            if name in first:
                diags.append(
                    Diagnostic(
                        where,
                        Severity.ERROR,
                        f"duplicate {kind} name {name!r} (first at {first[name]})",
                        "duplicate-name",
                    )
                )
            else:
                first[name] = where

    dup("zone", ((z.name, loaded.where("zones", i, "name")) for i, z in enumerate(site.zones)))
    dup(
        "host or device",
        [
            *((h.name, loaded.where("hosts", i, "name")) for i, h in enumerate(site.hosts)),
            *((d.name, _dev_loc(loaded, i, d, csv_devices)) for i, d in enumerate(site.devices)),
        ],
    )
    dup("group", ((g.name, loaded.where("groups", i, "name")) for i, g in enumerate(site.groups)))
    dup(
        "enforcement point",
        (
            (e.name, loaded.where("enforcement_points", i, "name"))
            for i, e in enumerate(site.enforcement_points)
        ),
    )
    dup(
        "exception",
        (
            (x.id, loaded.where("policy", "exceptions", i, "id"))
            for i, x in enumerate(site.policy.exceptions)
        ),
    )
    for i, ep in enumerate(site.enforcement_points):
        dup(
            f"interface of {ep.name}",
            (
                (f.name, loaded.where("enforcement_points", i, "interfaces", j, "name"))
                for j, f in enumerate(ep.interfaces)
            ),
        )

    zones = {z.name for z in site.zones}
    hosts = {h.name for h in site.hosts}
    devices = {d.name for d in site.devices}
    groups = {g.name: g for g in site.groups}
    roles = {r for h in site.hosts for r in h.roles}
    classes = set(loaded.profiles) | {d.class_ for d in site.devices}
    kinds = {k.value for k in ZoneKind}
    known = {
        "zone": zones,
        "host": hosts,
        "device": devices,
        "group": set(groups),
        "role": roles,
        "class": classes,
        "zone-kind": kinds,
    }

    def need_zone(name: str, where: Location) -> None:
        if name not in zones:
            hint = difflib.get_close_matches(name, sorted(zones), n=1)
            diags.append(
                Diagnostic(
                    where,
                    Severity.ERROR,
                    f"unknown zone {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                    "dangling-reference",
                )
            )

    def attach(ep_name: str, behind: dict[str, str], z: str, iface: str, where: Location) -> None:
        """Zone ``z`` is behind interface ``iface`` (``behind``: zone -> interface so far)."""
        need_zone(z, where)
        if behind.setdefault(z, iface) != iface:
            diags.append(
                Diagnostic(
                    where,
                    Severity.ERROR,
                    f"zone {z} is behind interface {behind[z]} of {ep_name} already; "
                    "a zone sits behind one interface of an enforcement point",
                    "zone-on-two-interfaces",
                )
            )

    for i, h in enumerate(site.hosts):
        need_zone(h.zone, loaded.where("hosts", i, "zone"))
    for i, d in enumerate(site.devices):
        need_zone(d.zone, _dev_loc(loaded, i, d, csv_devices, "zone"))
    for i, ep in enumerate(site.enforcement_points):
        # A zone sits behind one interface of a point: the rules of a zone pair are bound to
        # the interfaces, and with two the compiler, templates and validator could each pick
        # a different one (found in review).
        behind: dict[str, str] = {}
        for j, f in enumerate(ep.interfaces):
            at = ("enforcement_points", i, "interfaces", j)
            if f.zone is not None:
                attach(ep.name, behind, f.zone, f.name, loaded.where(*at, "zone"))
            for k, z in enumerate(f.reaches):
                attach(ep.name, behind, z, f.name, loaded.where(*at, "reaches", k))

    def need_ref(ref: Ref, where: Location) -> None:
        if ref.name not in known[ref.kind]:
            pool = sorted(known[ref.kind])
            hint = difflib.get_close_matches(ref.name, pool, n=1)
            what = "no host has role" if ref.kind == "role" else f"unknown {ref.kind}"
            diags.append(
                Diagnostic(
                    where,
                    Severity.ERROR,
                    f"{ref}: {what} {ref.name!r}"
                    + (f" (did you mean {ref.kind}:{hint[0]}?)" if hint else ""),
                    "dangling-reference",
                )
            )

    for i, g in enumerate(site.groups):
        for j, m in enumerate(g.members):
            need_ref(m, loaded.where("groups", i, "members", j))
    pol = site.policy
    for key in ("management_sources", "scanner_sources", "scan_allowed", "decoys"):
        for j, ref in enumerate(getattr(pol, key)):
            need_ref(ref, loaded.where("policy", key, j))
    if pol.remote_access_gateway is not None:
        where = loaded.where("policy", "remote_access_gateway")
        if pol.remote_access_gateway.kind != "host":
            diags.append(
                Diagnostic(
                    where,
                    Severity.ERROR,
                    "remote_access_gateway must be a host: reference",
                    "bad-reference",
                )
            )
        else:
            need_ref(pol.remote_access_gateway, where)
    for i, x in enumerate(pol.exceptions):
        for j, ref in enumerate(x.from_):
            need_ref(ref, loaded.where("policy", "exceptions", i, "from", j))
        for j, to in enumerate(x.to):
            if isinstance(to, Ref):
                need_ref(to, loaded.where("policy", "exceptions", i, "to", j))

    # Group nesting must be acyclic.
    def visit(name: str, trail: tuple[str, ...]) -> None:
        for member in groups[name].members:
            if member.kind != "group" or member.name not in groups:
                continue
            if member.name in trail:
                idx = next(i for i, g in enumerate(site.groups) if g.name == name)
                diags.append(
                    Diagnostic(
                        loaded.where("groups", idx, "members"),
                        Severity.ERROR,
                        "group nesting loops: " + " -> ".join((*trail, member.name)),
                        "group-cycle",
                    )
                )
                return
            visit(member.name, (*trail, member.name))

    for name in groups:
        visit(name, (name,))
    return _dedupe(diags)


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[Location, str]] = set()
    out = []
    for d in diags:
        if (d.location, d.message) not in seen:
            seen.add((d.location, d.message))
            out.append(d)
    return out


def _dev_loc(
    loaded: LoadedSite, i: int, device: Device, csv_devices: list[Device], key: str = "name"
) -> Location:
    n_yaml = len(loaded.site.devices) - len(csv_devices)
    if i < n_yaml:
        return loaded.where("devices", i, key)
    if key != "name" and f"{device.name}:{key}" in loaded.device_origins:
        return loaded.device_origins[f"{device.name}:{key}"]
    return loaded.device_where(device.name)
