"""Render rule IR with the Jinja2 templates of each platform (``templates/<platform>/``).

The environment is strict (undefined variables are errors) and deterministic (no timestamps,
stable ordering). A user override directory is searched before the bundled templates. Text that
reaches a configuration goes through :func:`safe_comment`, so a remark can never start a line.

A template sees ``rs``, ``rules``, ``caps``, ``objects`` (an :class:`ObjectTable`) and
``generator``; the globals ``raise`` (refuse: :class:`CapabilityError`), ``ip_network`` and
``enumerate``; and the filters ``comment``, ``ident``, ``wildcard``, ``netmask``, ``cidr``,
``ports``, ``name_for`` (``objects | name_for(label, nets)``), ``wraplines``, ``select_in`` and
``versions`` besides Jinja's own. The helpers behind the filters remember what they work out
(per network, per port list, per remark), and one environment is made per platform and override
directory, once per process: a template is compiled once and recompiled when its file changes.
In a template's loop over rules, filters and inline expressions are much cheaper than macro or
method calls, which the bundled templates therefore keep out of those loops.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import ipaddress
import os
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TypeVar

import jinja2
import jinja2.bccache
import jinja2.filters

from segcfg import __version__
from segcfg.errors import CapabilityError, Diagnostic, Location, Severity
from segcfg.ir import PortRange, RuleSet
from segcfg.model.site import IPNetwork
from segcfg.platforms import Capabilities, capabilities
from segcfg.resources import bundled_dir

GENERATOR = "segcfg"
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/()\[\],+=-]")
_NOT_IDENT = re.compile(r"[^A-Za-z0-9._-]")
# What a name of the IR may be when a template writes it as it is (interface, zone, site and
# enforcement point names): model names, interface names, ``*`` (any zone).
_RAW_NAME = re.compile(r"[A-Za-z0-9*][A-Za-z0-9._/:*-]{0,62}")
_T = TypeVar("_T")
_CACHE = 1 << 14  # entries of each memoised text helper (networks, port lists, wrapped remarks)


def safe_comment(text: str, limit: int = 100) -> str:
    """Printable, quote-free, single-line text of at most ``limit`` characters."""
    clean = _UNSAFE.sub("_", text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def safe_ident(text: str, limit: int = 63, not_ident: re.Pattern[str] = _NOT_IDENT) -> str:
    """An identifier: letters, digits, ``-``, ``_``, ``.`` (already true of every model name),
    or fewer where a platform's ``not_ident`` says so; every other character becomes ``_``."""
    clean = not_ident.sub("_", text)
    return clean[:limit]


def _per_network(text: Callable[[IPNetwork], str]) -> Callable[[IPNetwork], str]:
    """``text``, worked out once per network: looked up by object first (a rule set shares its
    network objects, and hashing a network is slow), then by value (the next compile of the same
    site makes equal ones)."""
    by_value = functools.lru_cache(maxsize=_CACHE)(text)
    by_object: dict[int, tuple[IPNetwork, str]] = {}  # id -> (the network, kept alive; text)

    @functools.wraps(text)
    def remembered(net: IPNetwork) -> str:
        hit = by_object.get(id(net))
        if hit is not None and hit[0] is net:
            return hit[1]
        value = by_value(net)
        if len(by_object) >= _CACHE:
            by_object.clear()
        by_object[id(net)] = (net, value)
        return value

    return remembered


@_per_network
def wildcard(net: IPNetwork) -> str:
    """Cisco wildcard form: ``host A``, ``any`` or ``A W``."""
    if net.prefixlen == net.max_prefixlen:
        return f"host {net.network_address}"
    if net.prefixlen == 0:
        return "any"
    return f"{net.network_address} {net.hostmask}"


@_per_network
def cidr(net: IPNetwork) -> str:
    """``A/L``: the network as ``{{ net }}`` prints it."""
    return str(net)


@_per_network
def netmask(net: IPNetwork) -> str:
    return f"{net.network_address} {net.netmask}"


@dataclass
class ObjectTable:
    """Named address sets for platforms with object groups: one name per distinct content."""

    max_len: int
    prefix: str = ""
    # Characters a name may not hold on this platform (each becomes "_"), and names the
    # platform gives a meaning of its own (Junos: "any"). Names are told apart after both.
    not_ident: re.Pattern[str] = _NOT_IDENT
    reserved: frozenset[str] = frozenset()
    by_content: dict[tuple[IPNetwork, ...], str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def name_for(self, label: str, networks: Sequence[IPNetwork]) -> str:
        key = tuple(networks)
        known = self.by_content.get(key)
        if known is not None:
            return known
        base = safe_ident(self.prefix + label, self.max_len, self.not_ident)
        sep = "-" if self.not_ident.match("-") is None else "_"
        name, n = base, 2
        while name in self.names or name in self.reserved:
            suffix = f"{sep}{n}"
            name = base[: self.max_len - len(suffix)] + suffix
            n += 1
        self.names.add(name)
        self.by_content[key] = name
        return name

    def items(self) -> list[tuple[str, tuple[IPNetwork, ...]]]:
        return sorted((name, nets) for nets, name in self.by_content.items())


def name_for(table: ObjectTable, label: str, networks: Sequence[IPNetwork]) -> str:
    """``objects | name_for(label, nets)``: ``objects.name_for(label, nets)`` as a filter, which
    Jinja calls without the overhead of a method call from a template."""
    return table.name_for(label, networks)


def port_text(ranges: Iterable[PortRange], sep: str = "-") -> list[str]:
    key = ranges if isinstance(ranges, tuple) else tuple(ranges)
    try:
        return list(_port_text(key, sep))
    except TypeError:  # unhashable ranges (lists), from a user's template
        return [str(lo) if lo == hi else f"{lo}{sep}{hi}" for lo, hi in key]


@functools.lru_cache(maxsize=_CACHE)
def _port_text(ranges: tuple[PortRange, ...], sep: str) -> tuple[str, ...]:
    return tuple(str(lo) if lo == hi else f"{lo}{sep}{hi}" for lo, hi in ranges)


def wrap_lines(text: str, width: int) -> list[str]:
    """The lines of ``text`` wrapped to ``width``, blank ones left out: exactly the chunks of
    ``(text | wordwrap(width, wrapstring="\\n")).split("\\n")`` for which ``chunk | trim`` is
    true, and fast for the usual remark, one printable-ASCII line that fits (which textwrap
    returns right-stripped)."""
    if width > 0 and len(text) <= width and text.isascii() and text.isprintable():
        line = text.rstrip(" ")
        return [line] if line.strip() else []
    return list(_wordwrap(text, width))


_PLAIN = jinja2.Environment()  # do_wordwrap reads only its newline_sequence, unused here


@functools.lru_cache(maxsize=_CACHE)
def _wordwrap(text: str, width: int) -> tuple[str, ...]:
    wrapped = jinja2.filters.do_wordwrap(_PLAIN, text, width, wrapstring="\n")
    return tuple(line for line in wrapped.split("\n") if line.strip())


def select_in(items: Iterable[_T], attribute: str, values: Collection[object]) -> list[_T]:
    """The objects whose ``attribute`` is one of ``values``, in order: what
    ``items | selectattr(attribute, "in", values) | list`` gives for objects (such as rules),
    without Jinja's calls per item."""
    try:
        wanted = frozenset(values)
    except TypeError:  # unhashable values: compare one by one
        return [x for x in items if getattr(x, attribute) in values]
    return [x for x in items if getattr(x, attribute) in wanted]


def versions(networks: Iterable[IPNetwork]) -> list[int]:
    """The address families of the networks, each once, in order of first appearance:
    ``networks | map(attribute="version") | unique | list``."""
    seen: list[int] = []
    for n in networks:
        if n.version not in seen:
            seen.append(n.version)
    return seen


def _refuse(message: str) -> NoReturn:
    """Templates call ``{{ raise("...") }}`` for IR a platform cannot express exactly."""
    raise CapabilityError(
        Diagnostic(Location("<template>"), Severity.ERROR, message, "capability-template")
    )


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache in its default place (a directory of the user's own in the temp
    directory, which Jinja checks is private), best effort: an entry that cannot be read or
    written is skipped and the template compiled as usual. Entries are named by segcfg's
    version, the template's path and the environment's settings, and carry the template's
    checksum and the bytecode format of Jinja and Python: a changed template, or a segcfg that
    renders differently, is never served stale bytecode."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{_CACHE_SALT}|{name}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # any unreadable entry, e.g. a truncated pickle: compile afresh
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


_ENV_OPTIONS = {
    "autoescape": False,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
}
_CACHE_SALT = f"segcfg {__version__} {sorted(_ENV_OPTIONS.items())}"


@functools.lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiling the five bundled templates costs about 0.3 s, most of a small site's
    ``segcfg compile``; the cache keeps that to the first run. SEGCFG_TEMPLATE_CACHE=off turns
    it off."""
    if os.environ.get("SEGCFG_TEMPLATE_CACHE", "").lower() in ("off", "0", "no"):
        return None
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):  # no usable private cache directory: compile every time
        return None


def template_environment(platform: str, override: Path | None = None) -> jinja2.Environment:
    """A new environment for ``platform``'s templates; the override directory first."""
    dirs = []
    if override is not None:
        dirs.append(str(override / platform))
    dirs.append(str(bundled_dir("templates") / platform))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(dirs),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
        **_ENV_OPTIONS,  # type: ignore[arg-type]
    )
    env.filters.update(
        comment=safe_comment,
        ident=safe_ident,
        wildcard=wildcard,
        netmask=netmask,
        cidr=cidr,
        name_for=name_for,
        ports=port_text,
        wraplines=wrap_lines,
        select_in=select_in,
        versions=versions,
    )
    # Jinja dispatches ``join`` to an async variant when the environment is async; this one is
    # not, so the filter is its synchronous function itself: the same result, without the
    # dispatch on every call.
    join = env.filters["join"]
    sync_join = getattr(join, "__wrapped__", join)
    if callable(sync_join) and not inspect.iscoroutinefunction(sync_join):
        env.filters["join"] = sync_join
    env.globals.update(
        {
            "enumerate": enumerate,
            "ip_network": ipaddress.ip_network,
            "raise": _refuse,
        }
    )
    return env


@functools.lru_cache(maxsize=64)
def _environment(platform: str, override: Path | None, shadowed: bool) -> jinja2.Environment:
    # ``shadowed`` (the override holds its own ruleset.j2) is part of the key: a template
    # created in the override directory after a render is then found. Jinja reloads a
    # template whose file changed since it was compiled (auto_reload).
    return template_environment(platform, override)


def cached_environment(platform: str, override: Path | None = None) -> jinja2.Environment:
    """The environment of ``platform`` (and override directory), made once per process."""
    if override is None:
        return _environment(platform, None, False)
    where = override.resolve()
    return _environment(platform, where, (where / platform / "ruleset.j2").is_file())


def _refuse_unsafe_names(ruleset: RuleSet) -> None:
    """Defence in depth: the models refuse unsafe names where they are read, but a RuleSet can
    be built by any caller, and templates write these names as they are. A newline in one would
    end a configuration line early and start another."""
    names = {ruleset.site, ruleset.enforcement_point}
    for b in ruleset.interfaces:
        names.update((b.interface, b.zone))
    names.update(r.from_zone for r in ruleset.rules)
    names.update(r.to_zone for r in ruleset.rules)
    bad = sorted(n for n in names if not _RAW_NAME.fullmatch(n))
    if bad:
        raise ValueError(f"unsafe names in the rule set of {ruleset.enforcement_point!r}: {bad}")


def render_ruleset(ruleset: RuleSet, override: Path | None = None) -> str:
    """The configuration text of one enforcement point."""
    caps: Capabilities = capabilities(ruleset.platform)
    _refuse_unsafe_names(ruleset)
    template = cached_environment(ruleset.platform, override).get_template("ruleset.j2")
    objects = ObjectTable(
        max_len=caps.name_max,
        not_ident=re.compile(caps.not_ident),
        reserved=caps.reserved_names,
    )
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
