"""The nftables ruleset as both readers (text and JSON) produce it: tables, chains, sets, and
rules as lists of statements. The meaning of the statements is worked out in ``parse.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from segcfg.parsed import Unsupported


@dataclass(frozen=True)
class Prefix:
    addr: str
    length: int


@dataclass(frozen=True)
class Range:
    lo: Value
    hi: Value


@dataclass(frozen=True)
class SetRef:
    name: str


@dataclass(frozen=True)
class SetLit:
    items: tuple[Value, ...]


Value = str | int | Prefix | Range | SetRef | SetLit


@dataclass(frozen=True)
class Match:
    left: tuple[str, ...]  # ("meta", "iifname"), ("payload", "ip", "saddr"), ("ct", "state")
    op: str  # "==", "!=", "in", "<", ">", "<=", ">="
    right: Value


@dataclass(frozen=True)
class Log:
    prefix: str | None


@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class Counter:
    pass


@dataclass(frozen=True)
class Verdict:
    kind: str  # accept, drop, reject, jump, goto, return, continue
    target: str | None = None


@dataclass(frozen=True)
class CtVmap:
    """``ct state vmap { invalid : drop, established : accept, ... }``: one verdict per state."""

    pairs: tuple[tuple[str, Verdict], ...]


@dataclass(frozen=True)
class Other:
    """A statement the parser does not model; the whole rule becomes unsupported."""

    reason: str


Stmt = Match | Log | Comment | Counter | Verdict | CtVmap | Other


@dataclass
class NftRule:
    line: int
    text: str
    stmts: list[Stmt]
    comment: str | None = None  # JSON keeps the comment beside the statements


@dataclass
class NftChain:
    name: str
    line: int
    type: str | None = None
    hook: str | None = None
    policy: str | None = None
    rules: list[NftRule] = field(default_factory=list)


@dataclass
class NftSet:
    name: str
    line: int
    type: str | None = None
    elements: list[Value] = field(default_factory=list)
    error: str | None = None  # why rules using it are unsupported (a map, concatenations, ...)


@dataclass
class NftTable:
    family: str
    name: str
    line: int
    chains: dict[str, NftChain] = field(default_factory=dict)
    sets: dict[str, NftSet] = field(default_factory=dict)
    dormant: bool = False

    def chain(self, name: str, line: int) -> NftChain:
        if name not in self.chains:
            self.chains[name] = NftChain(name, line)
        return self.chains[name]

    def set(self, name: str, line: int) -> NftSet:
        if name not in self.sets:
            self.sets[name] = NftSet(name, line)
        return self.sets[name]


@dataclass
class NftRuleset:
    tables: dict[tuple[str, str], NftTable] = field(default_factory=dict)
    unsupported: list[Unsupported] = field(default_factory=list)

    def table(self, family: str, name: str, line: int) -> NftTable:
        key = (family, name)
        if key not in self.tables:
            self.tables[key] = NftTable(family, name, line)
        return self.tables[key]


# ---------------------------------------------------------------------------------------------
# Rendering statements back to nft syntax (JSON input has no text of its own).

_QUOTED_KEYS = {"iifname", "oifname", "iif", "oif"}


def render_value(v: Value, quoted: bool = False) -> str:
    if isinstance(v, Prefix):
        return f"{v.addr}/{v.length}"
    if isinstance(v, Range):
        return f"{render_value(v.lo)}-{render_value(v.hi)}"
    if isinstance(v, SetRef):
        return f"@{v.name}"
    if isinstance(v, SetLit):
        return "{ " + ", ".join(render_value(i, quoted) for i in v.items) + " }"
    if quoted and isinstance(v, str):
        return f'"{v}"'
    return str(v)


def render_left(left: tuple[str, ...]) -> str:
    if left[0] == "meta":
        return left[1] if left[1] in _QUOTED_KEYS else f"meta {left[1]}"
    if left[0] == "payload":
        return " ".join(left[1:])
    return " ".join(left)


def render_stmt(s: Stmt) -> str:
    if isinstance(s, Match):
        op = "" if s.op in ("==", "in") else f"{s.op} "
        quoted = s.left[0] == "meta" and s.left[1] in _QUOTED_KEYS
        value = s.right
        if s.left == ("ct", "state") and isinstance(value, SetLit):
            return f"ct state {op}" + ",".join(render_value(i) for i in value.items)
        return f"{render_left(s.left)} {op}{render_value(value, quoted)}"
    if isinstance(s, Log):
        return "log" if s.prefix is None else f'log prefix "{s.prefix}"'
    if isinstance(s, Comment):
        return f'comment "{s.text}"'
    if isinstance(s, Counter):
        return "counter"
    if isinstance(s, Verdict):
        return s.kind if s.target is None else f"{s.kind} {s.target}"
    if isinstance(s, CtVmap):
        pairs = ", ".join(f"{k} : {render_stmt(v)}" for k, v in s.pairs)
        return f"ct state vmap {{ {pairs} }}"
    return f"<{s.reason}>"


def render_rule(stmts: list[Stmt], comment: str | None) -> str:
    text = " ".join(render_stmt(s) for s in stmts)
    if comment is not None:
        text += f' comment "{comment}"'
    return text
