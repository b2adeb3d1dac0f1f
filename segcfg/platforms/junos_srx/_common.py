"""What the filter and the security-policy readers share: notes, match specs, rule building."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from segcfg.ir import DECOY, DEFAULT_DENY, REMOTE_ACCESS, SCAN_SWEEP, Action, PortRange, Rule
from segcfg.parsed import ParsedRule, Unsupported
from segcfg.platforms.junos_srx._addr import AddrSet
from segcfg.platforms.junos_srx._tables import (
    ICMP6_TYPES,
    ICMP_TYPES,
    PORTS,
    PROTOCOL_NUMBERS,
    PROTOCOLS,
)
from segcfg.platforms.junos_srx._tree import Node, Tree

SECTION = "parsed"
LOG = "LOG"
# Log tags of segcfg's own output, recognised in policy and term names (R00001-SCAN-SWEEP).
_TAGS = (REMOTE_ACCESS, DEFAULT_DENY, SCAN_SWEEP, DECOY)
_ALL_PORTS: PortRange = (0, 65535)


@dataclass
class Notes:
    """Collects what could not be represented exactly."""

    tree: Tree
    items: list[Unsupported] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.items.append(Unsupported(line, self.tree.text(line), reason))

    def at(self, node: Node, reason: str) -> None:
        self.add(node.line, reason)


def log_tag(name: str) -> str:
    """The SIEM tag of a logging rule: the tag in a name segcfg generated (``R00001-SCAN-SWEEP``,
    ``R00003-DECOY-2``), else ``LOG``."""
    tags = "|".join(re.escape(t) for t in _TAGS)
    found = re.fullmatch(rf"R\d+-({tags})(-\d+)?", name)
    return found.group(1) if found else LOG


def protocol_name(text: str) -> str | None:
    """A Junos protocol name or number -> the IR's name; None when it is neither."""
    low = text.lower()
    if low in PROTOCOLS:
        return PROTOCOLS[low]
    if low.isdigit() and int(low) <= 255:
        return PROTOCOL_NUMBERS.get(int(low), low)
    return None


def _port(text: str) -> int | None:
    if text.isdigit():
        value = int(text)
        return value if value <= 65535 else None
    return PORTS.get(text.lower())


def port_range(text: str) -> PortRange | None:
    """``443``, ``1024-65535``, ``ssh`` -> an inclusive range; None when it is not one."""
    lo_text, dash, hi_text = text.partition("-")
    if dash and lo_text.isdigit():
        lo, hi = _port(lo_text), _port(hi_text)
    else:
        lo = hi = _port(text)
    if lo is None or hi is None or lo > hi:
        return None
    return (lo, hi)


def icmp_types(text: str, family: int) -> list[int] | None:
    """``8``, ``echo-request``, ``10-20`` -> ICMP (or ICMPv6) types; None when unknown."""
    names = ICMP_TYPES if family == 4 else ICMP6_TYPES
    if text.lower() in names:
        return [names[text.lower()]]
    lo_text, dash, hi_text = text.partition("-")
    if dash and lo_text.isdigit() and hi_text.isdigit():
        lo, hi = int(lo_text), int(hi_text)
    elif text.isdigit():
        lo = hi = int(text)
    else:
        return None
    if lo > hi or hi > 255:
        return None
    return list(range(lo, hi + 1))


def merge_ranges(ranges: Iterable[PortRange]) -> tuple[PortRange, ...]:
    """Sorted, merged ranges; the whole port space is written as no restriction."""
    out: list[PortRange] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return () if out == [_ALL_PORTS] else tuple(out)


def complement_ranges(ranges: Iterable[PortRange]) -> tuple[PortRange, ...] | None:
    """The ports not in ``ranges``; None when that is no port at all."""
    out: list[PortRange] = []
    nxt = 0
    for lo, hi in merge_ranges(ranges) or (_ALL_PORTS,):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 65535:
        out.append((nxt, 65535))
    return merge_ranges(out) if out else None


def intersect_ranges(
    a: tuple[PortRange, ...], b: tuple[PortRange, ...]
) -> tuple[PortRange, ...] | None:
    """Intersection of two range lists where ``()`` means every port; None when no port is in
    both."""
    if not a:
        return b
    if not b:
        return a
    out = [
        (max(lo1, lo2), min(hi1, hi2))
        for lo1, hi1 in a
        for lo2, hi2 in b
        if max(lo1, lo2) <= min(hi1, hi2)
    ]
    return merge_ranges(out) if out else None


@dataclass(frozen=True)
class Match:
    """What one rule matches, before splitting by address family."""

    src: AddrSet
    dst: AddrSet
    protocol: str | None = None
    src_ports: tuple[PortRange, ...] = ()
    dst_ports: tuple[PortRange, ...] = ()
    icmp_type: int | None = None
    established: bool = False


def build_rules(
    match: Match,
    *,
    name: str,
    action: Action,
    from_zone: str,
    to_zone: str,
    family: int | None,
    line: int,
    text: str,
    log: str | None,
    remarks: tuple[str, ...] = (),
    src_label: str = "any",
    dst_label: str = "any",
) -> list[ParsedRule]:
    """The IR rules of one match: one per address family it covers (``family`` fixes it), or a
    single family-less rule when neither side nor the protocol restricts the family. ``name``
    gets ``:k`` appended by the caller's counter, so it is left as given here."""
    fams: tuple[int, ...] = (4, 6) if family is None else (family,)
    if match.protocol == "icmp":
        fams = tuple(f for f in fams if f == 4)
    elif match.protocol == "icmpv6":
        fams = tuple(f for f in fams if f == 6)
    fams = tuple(f for f in fams if match.src.family(f) and match.dst.family(f))
    anyaddr = all(match.src.is_all(f) and match.dst.is_all(f) for f in (4, 6))
    per_family: list[int | None] = list(fams)
    if family is None and fams == (4, 6) and anyaddr:
        per_family = [None]
    out: list[ParsedRule] = []
    for fam in per_family:
        srcs = () if fam is None or match.src.is_all(fam) else match.src.networks(fam)
        dsts = () if fam is None or match.dst.is_all(fam) else match.dst.networks(fam)
        rule = Rule(
            name=name,
            action=action,
            section=SECTION,
            from_zone=from_zone,
            to_zone=to_zone,
            family=fam,
            protocol=match.protocol,
            sources=srcs,
            destinations=dsts,
            src_ports=match.src_ports,
            dst_ports=match.dst_ports,
            icmp_type=match.icmp_type,
            established=match.established,
            log=log,
            remarks=remarks,
            src_label=src_label,
            dst_label=dst_label,
        )
        out.append(ParsedRule(rule, line, text))
    return out


def number_rules(rules: list[ParsedRule], prefix: str, start: int = 1) -> list[ParsedRule]:
    """Name each rule ``{prefix}:{k}``."""
    return [
        ParsedRule(replace(pr.rule, name=f"{prefix}:{k}"), pr.line, pr.text)
        for k, pr in enumerate(rules, start)
    ]


def label(values: Iterable[str], limit: int = 200) -> str:
    text = ",".join(values) or "any"
    return text if len(text) <= limit else text[: limit - 3] + "..."
