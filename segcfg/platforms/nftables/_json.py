"""Reader of ``nft -j list ruleset`` (libnftables JSON, schema version 1).

JSON has no lines: every object is placed at a *pseudo line*, its 1-based index in the
``nftables`` array (the ``metainfo`` object is 1), and a rule's text is rebuilt in nft syntax
from its statements. The list output (``table``, ``chain``, ``set``, ``rule``, ``element``
objects) is read, and the command forms of ``nft -j -f`` input (``add``/``create``/``insert``,
``delete table|chain|set``, ``flush ruleset|table|chain|set``).
"""

from __future__ import annotations

import json
from typing import Any

from segcfg.errors import InputError, error_at
from segcfg.parsed import Unsupported

from ._model import (
    Comment,
    Counter,
    CtVmap,
    Log,
    Match,
    NftRule,
    NftRuleset,
    NftSet,
    Other,
    Prefix,
    Range,
    SetLit,
    SetRef,
    Stmt,
    Value,
    Verdict,
    render_rule,
)


class _Bad(Exception):
    pass


def _value(j: Any) -> Value:
    if isinstance(j, bool):
        raise _Bad(f"value {j!r}")
    if isinstance(j, str):
        return SetRef(j[1:]) if j.startswith("@") else j
    if isinstance(j, int):
        return j
    if isinstance(j, list):
        return SetLit(tuple(_value(x) for x in j))
    if isinstance(j, dict) and len(j) == 1:
        key, body = next(iter(j.items()))
        if key == "set" and isinstance(body, list):
            return SetLit(tuple(_value(x) for x in body))
        if key == "set":
            return SetLit((_value(body),))
        if key == "prefix" and isinstance(body, dict):
            return Prefix(str(body["addr"]), int(body["len"]))
        if key == "range" and isinstance(body, list) and len(body) == 2:
            return Range(_value(body[0]), _value(body[1]))
        if key == "elem" and isinstance(body, dict) and "val" in body:
            return _value(body["val"])
        raise _Bad(f"{key} expression")
    raise _Bad(f"value {json.dumps(j)}")


def _left(j: Any) -> tuple[str, ...]:
    if isinstance(j, dict) and len(j) == 1:
        key, body = next(iter(j.items()))
        if key == "meta" and isinstance(body, dict) and set(body) == {"key"}:
            return ("meta", str(body["key"]))
        if key == "payload" and isinstance(body, dict) and {"protocol", "field"} <= set(body):
            return ("payload", str(body["protocol"]), str(body["field"]))
        if key == "ct" and isinstance(body, dict) and set(body) == {"key"}:
            return ("ct", str(body["key"]))
        raise _Bad(f"match on {key} {json.dumps(body)}")
    raise _Bad(f"match on {json.dumps(j)}")


def _stmt(j: Any) -> Stmt:
    if not isinstance(j, dict) or len(j) != 1:
        return Other(f"statement {json.dumps(j)}")
    key, body = next(iter(j.items()))
    try:
        if key == "match" and isinstance(body, dict):
            return Match(_left(body.get("left")), str(body.get("op", "==")), _value(body["right"]))
    except (_Bad, KeyError, TypeError, ValueError) as e:
        return Other(str(e))
    if key == "counter":
        return Counter()
    if key == "log":
        prefix = body.get("prefix") if isinstance(body, dict) else None
        return Log(str(prefix) if prefix is not None else None)
    if key in ("accept", "drop", "continue", "return", "reject"):
        return Verdict(key)
    if key in ("jump", "goto") and isinstance(body, dict) and "target" in body:
        return Verdict(key, str(body["target"]))
    if key == "comment":
        return Comment(str(body))
    if key == "vmap" and isinstance(body, dict) and body.get("key") == {"ct": {"key": "state"}}:
        return _ct_vmap(body.get("data"))
    return Other(f"{key} statement")


def _ct_vmap(data: Any) -> Stmt:
    entries = data.get("set") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return Other("ct state vmap of a named map")
    pairs: list[tuple[str, Verdict]] = []
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            return Other("ct state vmap entry")
        verdict = _stmt(entry[1])
        if not isinstance(verdict, Verdict):
            return Other("ct state vmap entry")
        pairs.append((entry[0], verdict))
    return CtVmap(tuple(pairs))


class JsonReader:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(
                error_at(path, e.lineno, e.colno, f"invalid JSON: {e.msg}", "nft-json")
            ) from e
        items = data.get("nftables") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise InputError(
                error_at(path, 1, 1, 'not nft JSON: no "nftables" array at the top', "nft-json")
            )
        self.items: list[Any] = items
        self.rs = NftRuleset()

    def read(self) -> NftRuleset:
        for index, obj in enumerate(self.items, start=1):
            if not isinstance(obj, dict) or len(obj) != 1:
                continue
            key, body = next(iter(obj.items()))
            try:
                self._object(index, key, body)
            except (KeyError, TypeError, ValueError) as e:
                self.rs.unsupported.append(
                    Unsupported(index, json.dumps(obj)[:200], f"malformed {key} object: {e}")
                )
        return self.rs

    def _object(self, line: int, key: str, body: Any, verb: str = "add") -> None:
        if key == "metainfo":
            return
        if key in ("add", "create", "insert") and isinstance(body, dict) and len(body) == 1:
            inner_key, inner = next(iter(body.items()))
            self._object(line, inner_key, inner, key)
        elif key in ("delete", "destroy") and isinstance(body, dict) and len(body) == 1:
            what, obj = next(iter(body.items()))
            table = self.rs.tables.get((obj["family"], obj.get("table", obj.get("name"))))
            if what == "table":
                self.rs.tables.pop((obj["family"], obj["name"]), None)
            elif what in ("chain", "set", "map") and table is not None:
                (table.chains if what == "chain" else table.sets).pop(obj["name"], None)
        elif key == "flush" and isinstance(body, dict) and len(body) == 1:
            what, obj = next(iter(body.items()))
            if what == "ruleset":
                self.rs.tables.clear()
                return
            if what == "table":
                t = self.rs.tables.get((obj["family"], obj["name"]))
                for chain in t.chains.values() if t is not None else ():
                    chain.rules.clear()
                return
            t = self.rs.tables.get((obj["family"], obj["table"]))
            if t is not None and what == "chain" and obj["name"] in t.chains:
                t.chains[obj["name"]].rules.clear()
            elif t is not None and what in ("set", "map") and obj["name"] in t.sets:
                t.sets[obj["name"]].elements.clear()
        elif key == "table":
            table = self.rs.table(body["family"], body["name"], line)
            flags = body.get("flags", [])
            table.dormant = "dormant" in (flags if isinstance(flags, list) else [flags])
        elif key == "chain":
            table = self.rs.table(body["family"], body["table"], line)
            chain = table.chain(body["name"], line)
            if "hook" in body:
                chain.type = body.get("type", "filter")
                chain.hook = body["hook"]
                chain.policy = body.get("policy")
        elif key in ("set", "map"):
            table = self.rs.table(body["family"], body["table"], line)
            nset = table.set(body["name"], line)
            self._set(nset, body, key)
        elif key == "element":
            table = self.rs.table(body["family"], body["table"], line)
            self._set(table.set(body["name"], line), body, "set")
        elif key == "rule":
            table = self.rs.table(body["family"], body["table"], line)
            chain = table.chain(body["chain"], line)
            stmts = [_stmt(s) for s in body.get("expr", [])]
            comment = body.get("comment")
            comment = str(comment) if comment is not None else None
            rule = NftRule(line, render_rule(stmts, comment), stmts, comment)
            if verb == "insert":
                chain.rules.insert(0, rule)
            else:
                chain.rules.append(rule)
        else:
            self.rs.unsupported.append(
                Unsupported(line, json.dumps({key: body})[:200], f"{key} object is not modelled")
            )

    def _set(self, nset: NftSet, body: dict[str, Any], key: str) -> None:
        if key == "map":
            nset.error = f"map {nset.name} is not modelled"
        stype = body.get("type")
        if isinstance(stype, list):
            nset.error = f"set {nset.name} of concatenated type is not modelled"
        elif stype is not None:
            nset.type = str(stype)
        elems = body.get("elem", [])
        for e in elems if isinstance(elems, list) else [elems]:
            try:
                nset.elements.append(_value(e))
            except _Bad as err:
                nset.error = f"set {nset.name}: {err}"


def read_json(text: str, path: str) -> NftRuleset:
    return JsonReader(text, path).read()
