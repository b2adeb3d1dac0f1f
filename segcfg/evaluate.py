"""A first-match evaluator of the rule IR for single packets (tests, check-flow).

Slow and obvious on purpose: the packet-space engine is checked against it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from segcfg.ir import ANY_ZONE, Rule, RuleSet

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Packet:
    from_zone: str
    to_zone: str
    protocol: str
    src: IPAddr
    dst: IPAddr
    sport: int = 40000
    dport: int = 0
    icmp_type: int | None = None
    established: bool = False  # a TCP segment of an existing connection (ACK set)


def _in_ranges(port: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return not ranges or any(lo <= port <= hi for lo, hi in ranges)


def rule_matches(rule: Rule, pkt: Packet, zone_of_interface: dict[str, str] | None = None) -> bool:
    if rule.from_zone != ANY_ZONE and rule.from_zone != pkt.from_zone:
        return False
    if rule.to_zone != ANY_ZONE and rule.to_zone != pkt.to_zone:
        return False
    if rule.family is not None and rule.family != pkt.src.version:
        return False
    if rule.protocol is not None and rule.protocol != pkt.protocol:
        return False
    if rule.sources and not any(pkt.src in n for n in rule.sources):
        return False
    if rule.destinations and not any(pkt.dst in n for n in rule.destinations):
        return False
    ported = rule.protocol in ("tcp", "udp")
    if ported and not (
        _in_ranges(pkt.sport, rule.src_ports) and _in_ranges(pkt.dport, rule.dst_ports)
    ):
        return False
    if rule.icmp_type is not None and rule.icmp_type != pkt.icmp_type:
        return False
    return not (rule.established and not (pkt.protocol == "tcp" and pkt.established))


def decide(ruleset: RuleSet, pkt: Packet) -> tuple[str, Rule | None]:
    """(action, deciding rule) for a packet entering from one zone toward another.

    Stateful platforms accept packets of established connections before any rule.
    """
    if ruleset.stateful and pkt.established:
        return "permit", None
    for rule in ruleset.rules:
        if rule_matches(rule, pkt):
            return rule.action, rule
    return "deny", None
