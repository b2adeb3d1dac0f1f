"""The rule IR: ordered, platform-neutral rules per enforcement point.

Both the compiler and every parser of running configurations produce this representation, so
rule sets of any origin can be compared exactly. A rule matches one protocol (or every protocol),
one address family, sets of source and destination networks, and port ranges; rules are
evaluated first-match within their ``(from_zone, to_zone)`` pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from segcfg.model.site import IPNetwork

Action = Literal["permit", "deny"]
PortRange = tuple[int, int]

# Log tags the SIEM keys on (HICP 9.L.B plays).
SCAN_SWEEP = "SCAN-SWEEP"
DECOY = "DECOY"
REMOTE_ACCESS = "REMOTE-ACCESS"
DEFAULT_DENY = "DEFAULT-DENY"

ANY_ZONE = "*"  # from_zone/to_zone of a rule that applies whatever the interface


@dataclass(frozen=True)
class Rule:
    """One ordered rule. Empty ``sources``/``destinations``/ports mean "any"."""

    name: str
    action: Action
    section: str
    from_zone: str
    to_zone: str
    family: int | None = None  # 4, 6, or None (both: only for rules without addresses)
    protocol: str | None = None  # tcp, udp, icmp, icmpv6, esp, gre; None = any protocol
    sources: tuple[IPNetwork, ...] = ()
    destinations: tuple[IPNetwork, ...] = ()
    src_ports: tuple[PortRange, ...] = ()
    dst_ports: tuple[PortRange, ...] = ()
    icmp_type: int | None = None
    established: bool = False  # TCP replies only (ACK or RST set): stateless platforms
    log: str | None = None
    remarks: tuple[str, ...] = ()
    src_label: str = "any"
    dst_label: str = "any"


@dataclass(frozen=True)
class InterfaceBinding:
    interface: str
    zone: str


@dataclass(frozen=True)
class RuleSet:
    """The compiled rules of one enforcement point."""

    site: str
    enforcement_point: str
    platform: str
    stateful: bool
    interfaces: tuple[InterfaceBinding, ...]
    rules: tuple[Rule, ...] = field(default=())

    def zone_interface(self, zone: str) -> str | None:
        """The interface a zone sits behind; None for ``ANY_ZONE``."""
        if zone == ANY_ZONE:
            return None
        for b in self.interfaces:
            if b.zone == zone:
                return b.interface
        raise KeyError(zone)
