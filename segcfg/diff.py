"""Change review: what can now talk to what, that could not before — and the reverse.

Two versions of a site are compared as exact packet sets of their intents (new connections):
the flows newly allowed and no longer allowed, each with the requirement that causes it, the
guarantees it touches, and the exact ports. Two running configurations are compared the same
way, interface pair by interface pair.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from segcfg.compile import compile_site
from segcfg.errors import SegcfgError
from segcfg.intent import Flow, Intent, build_intent
from segcfg.load import LoadedSite
from segcfg.packetspace import PROTOCOL_NAMES, PacketSpace, Set, Witness
from segcfg.parsed import ParsedConfig
from segcfg.platforms import capabilities
from segcfg.render import render_ruleset
from segcfg.validate import _Evaluator


@dataclass
class FlowChange:
    change: str  # "added" | "removed"
    src_zone: str
    dst_zone: str
    device_class: str
    protocol: str
    ports: tuple[tuple[int, int], ...]  # exact destination ports (tcp/udp), else ()
    requirement: str
    source: str  # file:line of the requirement
    endpoints: list[tuple[str, str]] = field(default_factory=list)
    guarantees: tuple[str, ...] = ()  # codes of guarantees the added flows break

    def service(self) -> str:
        if not self.ports:
            return self.protocol
        return ", ".join(
            f"{self.protocol}/{lo}" if lo == hi else f"{self.protocol}/{lo}-{hi}"
            for lo, hi in self.ports
        )


@dataclass
class SiteDiff:
    changes: list[FlowChange]
    file_diffs: dict[str, str]
    notes: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _flow_set(ps: PacketSpace, f: Flow) -> Set:
    return (
        ps.networks("s", f.src.networks)
        & ps.networks("d", f.dst.networks)
        & ps.service(f.service.protocol, f.service.low, f.service.high)
        & ps.new
    )


def _class_of(f: Flow) -> str:
    return f.dst.device_class or f.src.device_class or "-"


def _changes(
    kind: str,
    flows: list[Flow],
    delta: Set,
    ps: PacketSpace,
    violations: dict[tuple[object, ...], tuple[str, ...]],
) -> list[FlowChange]:
    grouped: dict[tuple[object, ...], FlowChange] = {}
    for f in flows:
        d = _flow_set(ps, f) & delta
        if ps.is_empty(d):
            continue
        proto = f.service.protocol
        ports = tuple(ps.dport_ranges(d)) if proto in ("tcp", "udp") else ()
        loc = f.provenance.location
        key = (f.src.zone, f.dst.zone, _class_of(f), proto, ports, f.provenance.requirement)
        change = grouped.get(key)
        if change is None:
            change = grouped[key] = FlowChange(
                kind,
                f.src.zone,
                f.dst.zone,
                _class_of(f),
                proto,
                ports,
                f.provenance.requirement,
                f"{loc.file}:{loc.line}",
            )
        change.endpoints.append((f.src.name, f.dst.name))
        codes = violations.get(f.key, ())
        if codes:
            change.guarantees = tuple(sorted(set(change.guarantees) | set(codes)))
    return list(grouped.values())


def diff_intents(old: Intent, new: Intent) -> list[FlowChange]:
    """Flows newly allowed and no longer allowed, grouped by zone pair, class and service."""
    violations: dict[tuple[object, ...], tuple[str, ...]] = {}
    for v in new.violations:
        violations[v.flow.key] = (*violations.get(v.flow.key, ()), v.code)
    out: list[FlowChange] = []
    for family in (4, 6):
        ps = PacketSpace(family)
        old_flows = [f for f in old.flows if family in f.src.families & f.dst.families]
        new_flows = [f for f in new.flows if family in f.src.families & f.dst.families]
        o = ps.false
        for f in old_flows:
            o |= _flow_set(ps, f)
        n = ps.false
        for f in new_flows:
            n |= _flow_set(ps, f)
        out += _changes("added", new_flows, n & ~o, ps, violations)
        out += _changes("removed", old_flows, o & ~n, ps, {})
    out.sort(
        key=lambda c: (
            not c.guarantees,
            c.change,
            c.src_zone,
            c.dst_zone,
            c.device_class,
            c.protocol,
            c.ports,
            c.requirement,
        )
    )
    return out


def _rendered(loaded: LoadedSite, today: date) -> tuple[dict[str, str], str | None]:
    try:
        rulesets = compile_site(loaded, today)
    except SegcfgError as exc:
        return {}, "; ".join(d.format() for d in exc.diagnostics[:5])
    out = {}
    for rs in rulesets:
        ext = capabilities(rs.platform).extension
        out[f"{rs.enforcement_point}.{ext}"] = render_ruleset(rs)
    return out, None


def diff_sites(old: LoadedSite, new: LoadedSite, today: date) -> SiteDiff:
    changes = diff_intents(build_intent(old, today), build_intent(new, today))
    notes: list[str] = []
    old_files, old_err = _rendered(old, today)
    new_files, new_err = _rendered(new, today)
    if old_err:
        notes.append(f"the old version does not compile: {old_err}")
    if new_err:
        notes.append(f"the new version does not compile: {new_err}")
    file_diffs: dict[str, str] = {}
    if old_err or new_err:  # a side that does not compile has no files to compare
        return SiteDiff(changes, file_diffs, notes)
    for name in sorted(set(old_files) | set(new_files)):
        a, b = old_files.get(name, ""), new_files.get(name, "")
        if a != b:
            file_diffs[name] = "".join(
                difflib.unified_diff(
                    a.splitlines(keepends=True),
                    b.splitlines(keepends=True),
                    fromfile=f"a/{old.site.site}/{name}",
                    tofile=f"b/{new.site.site}/{name}",
                )
            )
    return SiteDiff(changes, file_diffs, notes)


# --- running configurations ------------------------------------------------------------------

OTHER = "(other)"


@dataclass
class RunningChange:
    change: str  # added | removed
    in_interface: str
    out_interface: str
    protocol: str
    ports: tuple[tuple[int, int], ...]
    witness: Witness
    before_line: str | None
    after_line: str | None


def _interfaces(cfg: ParsedConfig) -> set[str]:
    names = {b.interface for b in cfg.bindings if b.interface != "*"}
    for ifs in cfg.zones.values():
        names |= set(ifs)
    for f in cfg.filters.values():
        for r in f.rules:
            names |= {z for z in (r.rule.from_zone, r.rule.to_zone) if z != "*"}
    return names


def diff_running(before: ParsedConfig, after: ParsedConfig) -> list[RunningChange]:
    """Flow-level difference of two configurations of one device, per interface pair."""
    ifaces = sorted(_interfaces(before) | _interfaces(after) | {OTHER})
    out: list[RunningChange] = []
    for family in (4, 6):
        ps = PacketSpace(family)
        ev_b, ev_a = _Evaluator(before, ps), _Evaluator(after, ps)
        for i in ifaces:
            for o in ifaces:
                if i == o:
                    continue
                pb = ev_b.permitted(i, o) & ps.new
                pa = ev_a.permitted(i, o) & ps.new
                for kind, delta in (("added", pa & ~pb), ("removed", pb & ~pa)):
                    out += _running_changes(kind, i, o, delta, ps, ev_b, ev_a)
    return out


def _running_changes(
    kind: str, i: str, o: str, delta: Set, ps: PacketSpace, ev_b: _Evaluator, ev_a: _Evaluator
) -> Iterable[RunningChange]:
    for number in ps.protocols(delta) if not ps.is_empty(delta) else []:
        part = delta & ps.protocol(number)
        w = ps.witness(part)
        assert w is not None
        name = PROTOCOL_NAMES.get(number, str(number))
        ports = tuple(ps.dport_ranges(part)) if name in ("tcp", "udp") else ()
        lb, la = ev_b.deciding(i, o, w), ev_a.deciding(i, o, w)
        yield RunningChange(
            kind,
            i,
            o,
            name,
            ports,
            w,
            f"line {lb.line}: {lb.text}" if lb else None,
            f"line {la.line}: {la.text}" if la else None,
        )
