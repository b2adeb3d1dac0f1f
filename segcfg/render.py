"""Render rule IR with the Jinja2 templates of each platform (``templates/<platform>/``).

The environment is strict (undefined variables are errors) and deterministic (no timestamps,
stable ordering). A user override directory is searched before the bundled templates. Text that
reaches a configuration goes through :func:`safe_comment`, so a remark can never start a line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import jinja2

from segcfg.errors import CapabilityError, Diagnostic, Location, Severity
from segcfg.ir import PortRange, RuleSet
from segcfg.model.site import IPNetwork
from segcfg.platforms import Capabilities, capabilities
from segcfg.resources import bundled_dir

GENERATOR = "segcfg"
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/()\[\],+=-]")


def safe_comment(text: str, limit: int = 100) -> str:
    """Printable, quote-free, single-line text of at most ``limit`` characters."""
    clean = _UNSAFE.sub("_", text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def safe_ident(text: str, limit: int = 63) -> str:
    """An identifier: letters, digits, ``-``, ``_``, ``.`` (already true of every model name)."""
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", text)
    return clean[:limit]


def wildcard(net: IPNetwork) -> str:
    """Cisco wildcard form: ``host A``, ``any`` or ``A W``."""
    if net.prefixlen == net.max_prefixlen:
        return f"host {net.network_address}"
    if net.prefixlen == 0:
        return "any"
    return f"{net.network_address} {net.hostmask}"


def netmask(net: IPNetwork) -> str:
    return f"{net.network_address} {net.netmask}"


@dataclass
class ObjectTable:
    """Named address sets for platforms with object groups: one name per distinct content."""

    max_len: int
    prefix: str = ""
    by_content: dict[tuple[IPNetwork, ...], str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def name_for(self, label: str, networks: Sequence[IPNetwork]) -> str:
        key = tuple(networks)
        if key in self.by_content:
            return self.by_content[key]
        base = safe_ident(self.prefix + label, self.max_len)
        name, n = base, 2
        while name in self.names:
            suffix = f"-{n}"
            name = base[: self.max_len - len(suffix)] + suffix
            n += 1
        self.names.add(name)
        self.by_content[key] = name
        return name

    def items(self) -> list[tuple[str, tuple[IPNetwork, ...]]]:
        return sorted((name, nets) for nets, name in self.by_content.items())


def port_text(ranges: Iterable[PortRange], sep: str = "-") -> list[str]:
    return [str(lo) if lo == hi else f"{lo}{sep}{hi}" for lo, hi in ranges]


def _refuse(message: str) -> NoReturn:
    """Templates call ``{{ raise("...") }}`` for IR a platform cannot express exactly."""
    raise CapabilityError(
        Diagnostic(Location("<template>"), Severity.ERROR, message, "capability-template")
    )


def template_environment(platform: str, override: Path | None = None) -> jinja2.Environment:
    dirs = []
    if override is not None:
        dirs.append(str(override / platform))
    dirs.append(str(bundled_dir("templates") / platform))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(dirs),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        comment=safe_comment,
        ident=safe_ident,
        wildcard=wildcard,
        netmask=netmask,
        ports=port_text,
    )
    env.globals.update({"ip_network": ipaddress.ip_network, "raise": _refuse})
    return env


def render_ruleset(ruleset: RuleSet, override: Path | None = None) -> str:
    """The configuration text of one enforcement point."""
    caps: Capabilities = capabilities(ruleset.platform)
    env = template_environment(ruleset.platform, override)
    template = env.get_template("ruleset.j2")
    objects = ObjectTable(max_len=caps.name_max)
    text = template.render(
        rs=ruleset,
        rules=ruleset.rules,
        caps=caps,
        objects=objects,
        generator=GENERATOR,
    )
    if "\r" in text:
        raise ValueError("rendered text contains a carriage return")
    return text
