"""Platforms: each a folder with its capabilities (data), later its running-config parser.

Behaviour lives once (compiler, renderer); a platform is mostly data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    name: str
    extension: str
    stateful: bool
    object_groups: bool
    ipv6: bool
    name_max: int
    log: bool
    remark_max: int
    comment: str  # how a comment line starts in the rendered file
    iface_re: str = r"^[A-Za-z0-9][A-Za-z0-9._/:-]{0,62}$"  # interface names it accepts
    not_ident: str = r"[^A-Za-z0-9._-]"  # characters its object names cannot hold
    reserved_names: frozenset[str] = frozenset()  # object names with a meaning of their own


# Linux interface names: IFNAMSIZ 16 with the NUL, so 15 characters; nft and iptables refuse
# longer ones when the file is loaded. Linux itself also refuses '/' and ':' in a name; they
# are let through (a rule on such a name matches no packet, so it fails closed) so that a site
# written for another platform renders with --platform nftables/iptables, for migrations.
LINUX_IFNAME = r"^[A-Za-z0-9][A-Za-z0-9._/:-]{0,14}$"

ASA_NAMEIF = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$"  # nameif: no '/' or ':', 48 characters

PLATFORMS: dict[str, Capabilities] = {
    "cisco-ios": Capabilities(
        "cisco-ios",
        "ios",
        stateful=False,
        object_groups=True,
        ipv6=False,
        name_max=64,
        log=True,
        remark_max=100,
        comment="!",
    ),
    "cisco-asa": Capabilities(
        "cisco-asa",
        "asa",
        stateful=True,
        object_groups=True,
        ipv6=True,
        name_max=64,
        log=True,
        remark_max=100,
        comment=":",
        iface_re=ASA_NAMEIF,
    ),
    "junos-srx": Capabilities(
        "junos-srx",
        "junos",
        stateful=True,
        object_groups=True,
        ipv6=True,
        name_max=63,
        log=True,
        remark_max=900,
        comment="#",
        reserved_names=frozenset({"any", "any-ipv4", "any-ipv6"}),  # address-book keywords
    ),
    "nftables": Capabilities(
        "nftables",
        "nft",
        stateful=True,
        object_groups=True,
        ipv6=True,
        name_max=63,
        log=True,
        remark_max=128,
        comment="#",
        iface_re=LINUX_IFNAME,
        not_ident=r"[^A-Za-z0-9_]",  # set names: no '-' or '.' unquoted
    ),
    "iptables": Capabilities(
        "iptables",
        "rules",
        stateful=True,
        object_groups=False,
        ipv6=False,
        name_max=28,
        log=True,
        remark_max=200,
        comment="#",
        iface_re=LINUX_IFNAME,
    ),
}


def capabilities(platform: str) -> Capabilities:
    return PLATFORMS[platform]
