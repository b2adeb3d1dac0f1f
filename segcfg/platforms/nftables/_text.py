"""Reader of the nftables text format: ``nft list ruleset`` output and ``nft -f`` input files.

Understood: ``table FAMILY NAME { ... }`` blocks (created or extended), ``chain`` and ``set``
blocks inside them, the command forms ``add|create table|chain|set|rule|element``, ``insert
rule`` (at the top of the chain), ``delete|destroy table|chain|set``, ``flush
ruleset|table|chain|set``, ``define NAME = value`` with ``$NAME``, ``#`` comments, ``\\`` line
continuations, and ``;`` or newlines between statements. ``include`` and anything unknown at the
top level is reported as unsupported; objects the parser does not need (maps, counters,
flowtables, ...) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from segcfg.errors import InputError, error_at
from segcfg.parsed import Unsupported

from ._model import (
    Comment,
    Counter,
    CtVmap,
    Log,
    Match,
    NftChain,
    NftRule,
    NftRuleset,
    NftSet,
    NftTable,
    Other,
    SetLit,
    SetRef,
    Stmt,
    Value,
    Verdict,
)

FAMILIES = frozenset({"ip", "ip6", "inet", "arp", "bridge", "netdev"})
OPS = {
    "==": "==",
    "eq": "==",
    "!=": "!=",
    "ne": "!=",
    "<": "<",
    "lt": "<",
    ">": ">",
    "gt": ">",
    "<=": "<=",
    "le": "<=",
    ">=": ">=",
    "ge": ">=",
}
META_KEYS = frozenset({"iifname", "oifname", "iif", "oif", "l4proto", "nfproto", "protocol"})
PAYLOAD_PROTOCOLS = frozenset(
    {
        "ip",
        "ip6",
        "tcp",
        "udp",
        "th",
        "icmp",
        "icmpv6",
        "sctp",
        "udplite",
        "dccp",
        "ah",
        "esp",
        "comp",
        "ether",
        "vlan",
        "arp",
        "igmp",
    }
)


@dataclass(frozen=True)
class Tok:
    kind: str  # "word", "str", "{", "}", ";", ",", "nl"
    value: str
    line: int


def tokenize(text: str, path: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n, line = 0, len(text), 1
    while i < n:
        ch = text[i]
        if ch == "\\" and text[i + 1 : i + 2] == "\n":
            i += 2
            line += 1
        elif ch == "\n":
            toks.append(Tok("nl", "\n", line))
            line += 1
            i += 1
        elif ch in " \t\r":
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch == '"':
            j = i + 1
            buf: list[str] = []
            while j < n and text[j] != '"':
                if text[j] == "\n":
                    raise InputError(error_at(path, line, 1, "unterminated string", "nft-syntax"))
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise InputError(error_at(path, line, 1, "unterminated string", "nft-syntax"))
            toks.append(Tok("str", "".join(buf), line))
            i = j + 1
        elif ch in "{};,":
            toks.append(Tok(ch, ch, line))
            i += 1
        else:
            j = i
            while j < n and text[j] not in ' \t\r\n{};,"#':
                j += 1
            toks.append(Tok("word", text[i:j], line))
            i = j
    return toks


def _expand_defines(toks: list[Tok]) -> list[Tok]:
    """Apply ``define``/``redefine``/``undefine`` in order and substitute ``$NAME``."""
    defs: dict[str, list[Tok]] = {}
    out: list[Tok] = []
    i = 0
    at_start = True
    while i < len(toks):
        t = toks[i]
        if at_start and t.kind == "word" and t.value in ("define", "redefine", "undefine"):
            j = i + 1
            name = toks[j].value if j < len(toks) else ""
            j += 1
            if t.value != "undefine" and j < len(toks) and toks[j].value == "=":
                j += 1
            value: list[Tok] = []
            depth = 0
            while j < len(toks) and not (depth == 0 and toks[j].kind in ("nl", ";")):
                depth += {"{": 1, "}": -1}.get(toks[j].kind, 0)
                value.append(toks[j])
                j += 1
            if t.value == "undefine":
                defs.pop(name, None)
            else:
                defs[name] = [_sub for v in value for _sub in _subst(v, defs)]
            i = j
            continue
        if t.kind == "word" and t.value.startswith("$"):
            out.extend(_subst(t, defs))  # an undefined one makes its rule unsupported
        else:
            out.append(t)
        at_start = t.kind in ("nl", ";", "{", "}")
        i += 1
    return out


def _subst(t: Tok, defs: dict[str, list[Tok]]) -> list[Tok]:
    if t.kind == "word" and t.value.startswith("$") and t.value[1:] in defs:
        return [Tok(d.kind, d.value, t.line) for d in defs[t.value[1:]]]
    return [t]


class TextReader:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.rs = NftRuleset()
        self.toks = _expand_defines(tokenize(text, path))
        self.pos = 0

    # -- token helpers ----------------------------------------------------------------------
    def _peek(self, k: int = 0) -> Tok | None:
        j = self.pos + k
        return self.toks[j] if j < len(self.toks) else None

    def _next(self) -> Tok:
        t = self._peek()
        if t is None:
            last = self.toks[-1].line if self.toks else 1
            raise InputError(error_at(self.path, last, 1, "unexpected end of input", "nft-syntax"))
        self.pos += 1
        return t

    def _word(self) -> str:
        t = self._next()
        if t.kind not in ("word", "str"):
            raise InputError(
                error_at(self.path, t.line, 1, f"expected a name, got {t.value!r}", "nft-syntax")
            )
        return t.value

    def _expect(self, kind: str) -> Tok:
        t = self._next()
        if t.kind != kind:
            raise InputError(
                error_at(self.path, t.line, 1, f"expected {kind!r}, got {t.value!r}", "nft-syntax")
            )
        return t

    def _statement(self, stop_at_brace: bool = False) -> list[Tok]:
        """Tokens up to the end of the statement (newline or ';' outside braces)."""
        out: list[Tok] = []
        depth = 0
        while True:
            t = self._peek()
            if t is None:
                if depth:
                    raise InputError(
                        error_at(self.path, out[0].line, 1, "unbalanced '{'", "nft-syntax")
                    )
                return out
            if depth == 0 and t.kind in ("nl", ";"):
                self.pos += 1
                return out
            if depth == 0 and t.kind == "}" and stop_at_brace:
                return out
            if t.kind == "{":
                depth += 1
            elif t.kind == "}":
                if depth == 0:
                    raise InputError(error_at(self.path, t.line, 1, "unbalanced '}'", "nft-syntax"))
                depth -= 1
            out.append(t)
            self.pos += 1

    def _skip_blank(self) -> None:
        while (t := self._peek()) is not None and t.kind in ("nl", ";"):
            self.pos += 1

    def _family_names(self, count: int) -> tuple[str, list[str]]:
        """``[family] name...``: the family defaults to ip."""
        first = self._peek()
        family = "ip"
        if (
            first is not None
            and first.kind == "word"
            and first.value in FAMILIES
            and (after := self._peek(1)) is not None
            and after.kind in ("word", "str")
        ):
            family = first.value
            self.pos += 1
        return family, [self._word() for _ in range(count)]

    def _text(self, first: int, last: int) -> str:
        return " ".join(ln.strip() for ln in self.lines[first - 1 : last]).strip()

    # -- grammar ------------------------------------------------------------------------------
    def read(self) -> NftRuleset:
        while True:
            self._skip_blank()
            t = self._peek()
            if t is None:
                return self.rs
            self._top(t)

    def _top(self, t: Tok) -> None:
        if t.kind != "word":
            self._unsupported_statement(t, f"unexpected {t.value!r}")
            return
        w = t.value
        if w == "table":
            self.pos += 1
            family, (name,) = self._family_names(1)
            table = self.rs.table(family, name, t.line)
            self._table_tail(table)
        elif w in ("add", "create", "insert"):
            self.pos += 1
            self._command(t, w)
        elif w in ("delete", "destroy"):
            self.pos += 1
            self._delete(t)
        elif w == "flush":
            self.pos += 1
            self._flush(t)
        elif w == "include":
            self._unsupported_statement(t, "include is not followed")
        elif w in ("list", "reset", "monitor", "describe", "export", "import"):
            self._statement()
        else:
            self._unsupported_statement(t, f"unknown statement {w!r}")

    def _unsupported_statement(self, t: Tok, reason: str) -> None:
        toks = self._statement()
        last = toks[-1].line if toks else t.line
        self.rs.unsupported.append(Unsupported(t.line, self._text(t.line, last), reason))

    def _table_tail(self, table: NftTable) -> None:
        t = self._peek()
        if t is not None and t.kind == "{":
            self._table_body(table)
        else:
            self._statement()

    def _command(self, t: Tok, verb: str) -> None:
        what = self._word()
        if what == "table":
            family, (name,) = self._family_names(1)
            self._table_tail(self.rs.table(family, name, t.line))
        elif what == "chain":
            family, (tname, cname) = self._family_names(2)
            chain = self.rs.table(family, tname, t.line).chain(cname, t.line)
            nt = self._peek()
            if nt is not None and nt.kind == "{":
                self._chain_body(chain)
            else:
                self._statement()
        elif what in ("set", "map"):
            family, (tname, sname) = self._family_names(2)
            nset = self.rs.table(family, tname, t.line).set(sname, t.line)
            if what == "map":
                nset.error = f"map {sname} is not modelled"
            nt = self._peek()
            if nt is not None and nt.kind == "{":
                self._set_body(nset)
            else:
                self._statement()
        elif what == "element":
            family, (tname, sname) = self._family_names(2)
            nset = self.rs.table(family, tname, t.line).set(sname, t.line)
            toks = self._statement()
            if toks and toks[0].kind == "{":
                self._elements(nset, toks[1:-1] if toks[-1].kind == "}" else toks[1:])
        elif what == "rule":
            family, (tname, cname) = self._family_names(2)
            chain = self.rs.table(family, tname, t.line).chain(cname, t.line)
            toks = self._statement()
            if toks and toks[0].value in ("position", "index", "handle"):
                last = toks[-1].line
                self.rs.unsupported.append(
                    Unsupported(
                        t.line,
                        self._text(t.line, last),
                        f"{verb} rule at a {toks[0].value} is not modelled",
                    )
                )
                return
            rule = self._rule(toks, t.line)
            if verb == "insert":
                chain.rules.insert(0, rule)
            else:
                chain.rules.append(rule)
        else:
            self._statement()

    def _delete(self, t: Tok) -> None:
        what = self._word()
        if what == "table":
            family, (name,) = self._family_names(1)
            self.rs.tables.pop((family, name), None)
            self._statement()
        elif what in ("chain", "set", "map"):
            family, (tname, oname) = self._family_names(2)
            table = self.rs.tables.get((family, tname))
            if table is not None:
                (table.chains if what == "chain" else table.sets).pop(oname, None)
            self._statement()
        else:
            self._unsupported_statement(t, f"delete {what} is not modelled")

    def _flush(self, t: Tok) -> None:
        what = self._word()
        if what == "ruleset":
            ft = self._peek()
            if ft is not None and ft.kind == "word" and ft.value in FAMILIES:
                for key in [k for k in self.rs.tables if k[0] == ft.value]:
                    del self.rs.tables[key]
            else:
                self.rs.tables.clear()
            self._statement()
        elif what == "table":
            family, (name,) = self._family_names(1)
            table = self.rs.tables.get((family, name))
            if table is not None:
                for chain in table.chains.values():
                    chain.rules.clear()
            self._statement()
        elif what in ("chain", "set", "map"):
            family, (tname, oname) = self._family_names(2)
            table = self.rs.tables.get((family, tname))
            if table is not None:
                if what == "chain" and oname in table.chains:
                    table.chains[oname].rules.clear()
                elif what != "chain" and oname in table.sets:
                    table.sets[oname].elements.clear()
            self._statement()
        else:
            self._unsupported_statement(t, f"flush {what} is not modelled")

    def _table_body(self, table: NftTable) -> None:
        self._expect("{")
        while True:
            self._skip_blank()
            t = self._next()
            if t.kind == "}":
                return
            if t.kind != "word":
                raise InputError(
                    error_at(self.path, t.line, 1, f"unexpected {t.value!r}", "nft-syntax")
                )
            if t.value == "chain":
                self._chain_body(table.chain(self._word(), t.line))
            elif t.value in ("set", "map"):
                nset = table.set(self._word(), t.line)
                if t.value == "map":
                    nset.error = f"map {nset.name} is not modelled"
                self._set_body(nset)
            elif t.value == "flags":
                flags = [x.value for x in self._statement(stop_at_brace=True)]
                table.dormant = "dormant" in flags
            else:  # comment, counters, quotas, flowtables, ct helpers, ...: not needed
                self._statement(stop_at_brace=True)

    def _block(self, what: str, line: int) -> Iterator[list[Tok]]:
        """The statements of a ``{ ... }`` block (of a chain or a set), up to its brace."""
        self._expect("{")
        while True:
            self._skip_blank()
            t = self._peek()
            if t is None:
                raise InputError(error_at(self.path, line, 1, f"unclosed {what}", "nft-syntax"))
            if t.kind == "}":
                self.pos += 1
                return
            toks = self._statement(stop_at_brace=True)
            if toks:
                yield toks

    def _chain_body(self, chain: NftChain) -> None:
        for toks in self._block("chain", chain.line):
            head = toks[0].value if toks[0].kind == "word" else ""
            if head == "type" and len(toks) >= 4:
                chain.type = toks[1].value
                words = [x.value for x in toks]
                if "hook" in words:
                    chain.hook = words[words.index("hook") + 1]
            elif head == "policy" and len(toks) >= 2:
                chain.policy = toks[1].value
            elif head in ("comment", "devices", "device"):
                continue  # a comment of the chain, or where a netdev chain is attached
            else:
                chain.rules.append(self._rule(toks, toks[0].line))

    def _set_body(self, nset: NftSet) -> None:
        for toks in self._block("set", nset.line):
            head = toks[0].value
            if head == "type":
                words = [x.value for x in toks[1:]]
                if "." in words or ":" in words:
                    nset.error = f"set {nset.name} of concatenated or mapped type is not modelled"
                nset.type = words[0] if words else None
            elif head == "typeof":
                words = [x.value for x in toks[1:]]
                if "." in words or ":" in words:
                    nset.error = f"set {nset.name} of concatenated or mapped type is not modelled"
                nset.type = " ".join(words)
            elif head == "elements":
                body = toks[1:]
                if body and body[0].value == "=":
                    body = body[1:]
                if body and body[0].kind == "{":
                    body = body[1:-1] if body[-1].kind == "}" else body[1:]
                self._elements(nset, body)

    def _elements(self, nset: NftSet, toks: list[Tok]) -> None:
        groups: list[list[Tok]] = [[]]
        depth = 0
        for t in toks:
            if t.kind == "nl":
                continue
            if t.kind == "," and depth == 0:
                groups.append([])
                continue
            depth += {"{": 1, "}": -1}.get(t.kind, 0)
            groups[-1].append(t)
        for g in groups:
            if not g:
                continue
            if any(x.value in (".", ":") for x in g if x.kind == "word"):
                nset.error = f"set {nset.name} with concatenated or mapped elements"
                continue
            if g[0].kind == "{":  # a $variable holding a set
                inner, _ = _value(g, 0)
                nset.elements.extend(_flatten(inner))
            else:
                nset.elements.append(_atom(g[0]))

    def _rule(self, toks: list[Tok], line: int) -> NftRule:
        last = max((t.line for t in toks), default=line)
        text = self._text(toks[0].line if toks else line, last)
        return NftRule(line=toks[0].line if toks else line, text=text, stmts=parse_stmts(toks))


def read_text(text: str, path: str) -> NftRuleset:
    return TextReader(text, path).read()


# ---------------------------------------------------------------------------------------------
# Rule statements.


def _atom(t: Tok) -> Value:
    if t.kind == "word" and t.value.startswith("@"):
        return SetRef(t.value[1:])
    return t.value


def _flatten(v: Value) -> list[Value]:
    if isinstance(v, SetLit):
        return [x for item in v.items for x in _flatten(item)]
    return [v]


def _value(toks: list[Tok], i: int) -> tuple[Value, int]:
    """One value at ``toks[i]``: a word, a string, ``@set`` or a ``{ ... }`` set literal."""
    t = toks[i]
    if t.kind != "{":
        return _atom(t), i + 1
    items: list[Value] = []
    i += 1
    while i < len(toks) and toks[i].kind != "}":
        if toks[i].kind in (",", "nl"):
            i += 1
            continue
        v, i = _value(toks, i)
        items.append(v)
        # element options (timeout, comment, counter) are not part of the value
        while i < len(toks) and toks[i].kind not in (",", "}", "nl"):
            i += 1
    return SetLit(tuple(items)), i + 1


def parse_stmts(toks: list[Tok]) -> list[Stmt]:
    toks = [t for t in toks if t.kind != "nl"]
    out: list[Stmt] = []
    i = 0
    n = len(toks)

    def word(k: int) -> str:
        return toks[k].value if k < n else ""

    while i < n:
        t = toks[i]
        if t.kind != "word":
            out.append(Other(f"unexpected {t.value!r}"))
            return out
        w = t.value
        if w == "counter":
            i += 1
            if word(i) == "packets":
                i += 4 if word(i + 2) == "bytes" else 2
            elif word(i) == "name":
                i += 2
            out.append(Counter())
        elif w == "log":
            i += 1
            prefix: str | None = None
            while word(i) in ("prefix", "level", "group", "snaplen", "queue-threshold", "flags"):
                if word(i) == "prefix":
                    prefix = word(i + 1)
                i += 2
                while word(i) == ",":
                    i += 2
            out.append(Log(prefix))
        elif w == "comment":
            out.append(Comment(word(i + 1)))
            i += 2
        elif w in ("accept", "drop", "continue", "return"):
            out.append(Verdict(w))
            i += 1
        elif w == "reject":
            i += 1
            if word(i) == "with":
                i += 1
                if word(i) == "tcp":
                    i += 2
                else:
                    i += 1
                    if word(i) == "type":
                        i += 1
                    i += 1
            out.append(Verdict("reject"))
        elif w in ("jump", "goto"):
            out.append(Verdict(w, word(i + 1)))
            i += 2
        elif w in ("iifname", "oifname", "iif", "oif") or (
            w == "meta" and word(i + 1) in META_KEYS
        ):
            if w == "meta":
                i += 1
            key = word(i)
            i += 1
            if word(i) == "set":
                out.append(Other(f"meta {key} set"))
                return out
            m, i = _match(("meta", key), toks, i)
            out.append(m)
            if isinstance(m, Other):
                return out
        elif w in PAYLOAD_PROTOCOLS and i + 1 < n:
            field = word(i + 1)
            m, i = _match(("payload", w, field), toks, i + 2)
            out.append(m)
            if isinstance(m, Other):
                return out
        elif w == "ct" and word(i + 1) == "state" and word(i + 2) == "vmap":
            vmap, i = _ct_vmap(toks, i + 3)
            out.append(vmap)
            if isinstance(vmap, Other):
                return out
        elif w == "ct" and i + 1 < n:
            key = word(i + 1)
            if word(i + 2) == "set" or key in ("original", "reply"):
                out.append(Other(f"ct {key} {word(i + 2)}".strip()))
                return out
            m, i = _match(("ct", key), toks, i + 2)
            out.append(m)
            if isinstance(m, Other):
                return out
        else:
            rest = " ".join(x.value for x in toks[i : i + 3])
            out.append(Other(f"statement {rest!r}"))
            return out
    return out


VERDICTS = frozenset({"accept", "drop", "reject", "return", "continue", "jump", "goto"})


def _ct_vmap(toks: list[Tok], i: int) -> tuple[Stmt, int]:
    """The ``{ state : verdict, ... }`` of a ``ct state vmap`` at ``toks[i]``."""
    if i >= len(toks) or toks[i].kind != "{":
        return Other("ct state vmap of a named map"), i
    pairs: list[tuple[str, Verdict]] = []
    group: list[str] = []
    i += 1
    while i < len(toks) and toks[i].kind != "}":
        if toks[i].kind == ",":
            i += 1
            continue
        group.extend(toks[i].value.replace(":", " : ").split())
        i += 1
        if i < len(toks) and toks[i].kind in (",", "}"):
            key, colon, *verdict = group
            group = []
            if colon != ":" or not verdict or verdict[0] not in VERDICTS:
                return Other("ct state vmap entry"), i
            pairs.append((key, Verdict(verdict[0], verdict[1] if len(verdict) > 1 else None)))
    return CtVmap(tuple(pairs)), i + 1


def _match(left: tuple[str, ...], toks: list[Tok], i: int) -> tuple[Stmt, int]:
    n = len(toks)
    op = "=="
    if i < n and toks[i].kind == "word" and toks[i].value in OPS:
        op = OPS[toks[i].value]
        i += 1
    if i >= n:
        return Other(f"{' '.join(left[1:])} without a value"), i
    if toks[i].value in ("vmap", "map"):
        return Other(f"{toks[i].value} lookup"), i
    if toks[i].kind == "word" and toks[i].value.startswith("$"):
        return Other(f"undefined variable {toks[i].value}"), i
    if toks[i].kind == "word" and toks[i].value in (".", "&", "|", "^", "<<", ">>"):
        return Other(f"expression with {toks[i].value!r}"), i
    value, i = _value(toks, i)
    items = [value]
    while i < n and toks[i].kind == ",":
        value, i = _value(toks, i + 1)
        items.append(value)
    if i < n and toks[i].kind == "word" and toks[i].value in (".", "&", "|", "^", "<<", ">>"):
        return Other(f"expression with {toks[i].value!r}"), i
    if len(items) > 1:
        value = SetLit(tuple(items))
    return Match(left, op, value), i
