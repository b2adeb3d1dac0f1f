"""What a parser of a running configuration produces: filters of IR rules with their lines,
where each filter is bound, and every line it could not understand.

Parsers are site-independent. In a parsed rule ``from_zone``/``to_zone`` name what the platform
matches on: ``ANY_ZONE`` for ACL entries (the binding says which interface), interface names for
nftables/iptables (``iifname``/``-i``), security-zone names for Junos SRX policies. The validator
maps them to the site's zones through the enforcement point's interfaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from segcfg.ir import Rule

Direction = Literal["in", "out"]


@dataclass(frozen=True)
class ParsedRule:
    rule: Rule  # rule.name: a stable id such as "ACL-IN:10" or "line 42"
    line: int  # 1-based line in the parsed file
    text: str  # the line as written (stripped)


@dataclass(frozen=True)
class Filter:
    """An ordered list of rules evaluated first-match: an ACL, a chain, a zone-pair policy
    list. ``default`` is what happens to a packet no rule matches."""

    name: str
    kind: str  # "acl", "chain", "policies", "firewall-filter"
    rules: tuple[ParsedRule, ...]
    line: int
    default: Literal["permit", "deny"] = "deny"


@dataclass(frozen=True)
class Binding:
    """Where a filter applies: an interface and direction (ACLs, Junos filters), the forward
    hook (nftables/iptables: interface "*"), or a zone pair (Junos SRX: interface "*",
    ``from_zone``/``to_zone`` set)."""

    filter: str
    interface: str
    direction: Direction
    line: int
    from_zone: str | None = None
    to_zone: str | None = None


@dataclass(frozen=True)
class Unsupported:
    """A line inside a filter that the parser does not understand: reported as not checked."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class ParsedConfig:
    platform: str
    path: str
    filters: dict[str, Filter]
    bindings: tuple[Binding, ...] = ()
    # security zone -> interfaces (Junos SRX); empty elsewhere
    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unsupported: tuple[Unsupported, ...] = ()
    # replies of established connections are accepted before any rule (stateful platforms:
    # ASA and SRX always; nftables/iptables when a ct/conntrack ESTABLISHED accept precedes)
    stateful: bool = False
    # address families the configuration speaks for (an iptables-save file covers one; the
    # other family is filtered, if at all, by another table the file does not show)
    families: tuple[int, ...] = (4, 6)
