"""The running-config parser of each platform (``segcfg/platforms/<name>/parse.py``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from segcfg.parsed import ParsedConfig

Parser = Callable[[str, str], ParsedConfig]

_MODULES = {
    "cisco-ios": "segcfg.platforms.cisco_ios.parse",
    "cisco-asa": "segcfg.platforms.cisco_asa.parse",
    "junos-srx": "segcfg.platforms.junos_srx.parse",
    "nftables": "segcfg.platforms.nftables.parse",
    "iptables": "segcfg.platforms.iptables.parse",
}


def parser_for(platform: str) -> Parser:
    """``parse(text, path) -> ParsedConfig`` of a platform."""
    module = importlib.import_module(_MODULES[platform])
    parse: Parser = module.parse
    return parse
