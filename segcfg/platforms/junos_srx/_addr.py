"""Exact sets of IP addresses (per family, as sorted disjoint integer intervals).

Used for what Junos matches by longest prefix (``10.0.0.0/8; 10.1.0.0/16 except;``), for
excluded addresses, and for the intersection of several address conditions of one term.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from segcfg.intervals import Interval, intersect_intervals, merge_intervals
from segcfg.model.site import IPNetwork

_TOP = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


def _complement(a: list[Interval], top: int) -> list[Interval]:
    out: list[Interval] = []
    nxt = 0
    for lo, hi in a:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= top:
        out.append((nxt, top))
    return out


@dataclass(frozen=True)
class AddrSet:
    """A set of IPv4 and IPv6 addresses."""

    v4: tuple[Interval, ...] = ()
    v6: tuple[Interval, ...] = ()

    @staticmethod
    def of(networks: list[IPNetwork] | tuple[IPNetwork, ...]) -> AddrSet:
        ivs = {
            fam: [
                (int(n.network_address), int(n.broadcast_address))
                for n in networks
                if n.version == fam
            ]
            for fam in (4, 6)
        }
        return AddrSet(tuple(merge_intervals(ivs[4])), tuple(merge_intervals(ivs[6])))

    @staticmethod
    def everything(families: tuple[int, ...] = (4, 6)) -> AddrSet:
        return AddrSet(
            ((0, _TOP[4]),) if 4 in families else (), ((0, _TOP[6]),) if 6 in families else ()
        )

    def family(self, fam: int) -> tuple[Interval, ...]:
        return self.v4 if fam == 4 else self.v6

    def families(self) -> tuple[int, ...]:
        return tuple(f for f in (4, 6) if self.family(f))

    def union(self, other: AddrSet) -> AddrSet:
        return AddrSet(
            tuple(merge_intervals([*self.v4, *other.v4])),
            tuple(merge_intervals([*self.v6, *other.v6])),
        )

    def intersection(self, other: AddrSet) -> AddrSet:
        return AddrSet(
            tuple(intersect_intervals(list(self.v4), list(other.v4))),
            tuple(intersect_intervals(list(self.v6), list(other.v6))),
        )

    def complement(self) -> AddrSet:
        return AddrSet(
            tuple(_complement(list(self.v4), _TOP[4])), tuple(_complement(list(self.v6), _TOP[6]))
        )

    def difference(self, other: AddrSet) -> AddrSet:
        return self.intersection(other.complement())

    def is_all(self, fam: int) -> bool:
        return self.family(fam) == ((0, _TOP[fam]),)

    def networks(self, fam: int) -> tuple[IPNetwork, ...]:
        """The fewest CIDR blocks covering exactly this set's addresses of one family."""
        out: list[IPNetwork] = []
        make = ipaddress.IPv4Address if fam == 4 else ipaddress.IPv6Address
        for lo, hi in self.family(fam):
            out.extend(ipaddress.summarize_address_range(make(lo), make(hi)))
        return tuple(out)


@dataclass
class LongestMatch:
    """A Junos address list: the longest listed prefix containing an address decides, and an
    ``except`` entry excludes."""

    entries: list[tuple[IPNetwork, bool]] = field(default_factory=list)  # (prefix, is_except)

    def add(self, net: IPNetwork, is_except: bool) -> None:
        self.entries.append((net, is_except))

    def result(self) -> AddrSet:
        out = AddrSet()
        ordered = sorted(self.entries, key=lambda e: (e[0].prefixlen, e[1]))
        for net, is_except in ordered:
            one = AddrSet.of([net])
            out = out.difference(one) if is_except else out.union(one)
        return out


def parse_prefix(text: str) -> IPNetwork | None:
    """``10.0.0.0/8``, ``10.1.2.3`` (a host), ``2001:db8::/32``; None when it is not one.
    Host bits are cleared, as Junos does."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
