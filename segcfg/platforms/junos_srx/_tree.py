"""Junos configuration text (``set`` commands or the curly-brace hierarchy) into one tree.

Both formats become the same statement paths: ``firewall { family inet { filter F { term T {
then accept; } } } }`` and ``set firewall family inet filter F term T then accept`` both set the
path ``firewall family inet filter F term T then accept``. Statements are applied in order to a
tree of :class:`Node`: ``set`` creates the nodes of a path, ``delete`` removes a subtree,
``deactivate``/``inactive:`` mark a node inactive (``activate`` clears it), ``insert`` and
``rename`` move and rename list entries, ``replace:`` clears a subtree before filling it again.
Children keep their creation order (the order of terms and policies); every node also records
the last statement that set it, so that a single-valued leaf set twice (``filter input A`` then
``filter input B``) is read as its last value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

VERBS = frozenset(
    {"set", "delete", "deactivate", "activate", "insert", "rename", "annotate", "protect"}
    | {"unprotect", "copy"}
)
# Curly-format statement prefixes.
PREFIXES = frozenset({"inactive:", "replace:", "delete:", "protect:", "active:", "unprotect:"})

# Lines that are not configuration: editor context, chassis member banners, CLI prompts.
_NOISE = re.compile(r"^\s*(\[edit(\s[^\]]*)?\]|\{[\w:.\-]+\}|\S+@\S+[>#%].*)\s*$")


@dataclass
class Node:
    """One element of the configuration: a keyword, a name or a value."""

    name: str
    line: int  # 1-based line of the statement that created it
    seq: int = 0  # order of the last statement that set it
    children: dict[str, Node] = field(default_factory=dict)
    inactive: bool = False
    inactive_line: int = 0  # the `deactivate`/`inactive:` line

    def kids(self) -> list[Node]:
        """Active children in configuration order."""
        return [c for c in self.children.values() if not c.inactive]

    def get(self, *path: str) -> Node | None:
        """The active node at ``path`` below this one."""
        node: Node | None = self
        for part in path:
            if node is None:
                return None
            nxt = node.children.get(part)
            node = nxt if nxt is not None and not nxt.inactive else None
        return node

    def values(self, *path: str) -> list[Node]:
        """Active children of the node at ``path`` (the values of a list leaf)."""
        node = self.get(*path)
        return node.kids() if node is not None else []

    def last(self, *path: str) -> Node | None:
        """The most recently set active child of the node at ``path`` (a single-valued leaf)."""
        kids = self.values(*path)
        return max(kids, key=lambda c: c.seq) if kids else None

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node]]:
        """Every node below this one (active or not) with its path, depth first."""
        for child in self.children.values():
            sub = (*path, child.name)
            yield sub, child
            yield from child.walk(sub)


@dataclass
class Problem:
    """A line the tree builder could not apply (a syntax it does not know)."""

    line: int
    reason: str


@dataclass
class Tree:
    root: Node
    lines: list[str]
    problems: list[Problem]

    def text(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].strip()
        return ""


@dataclass(frozen=True)
class _Tok:
    kind: str  # "word", "{", "}", ";", "[", "]", "nl"
    value: str
    line: int
    quoted: bool = False


def _tokens(text: str) -> Iterator[_Tok]:
    lines = text.splitlines()
    cleaned = "\n".join("" if _NOISE.match(ln) else ln for ln in lines)
    i, n, line = 0, len(cleaned), 1
    while i < n:
        c = cleaned[i]
        if c == "\n":
            yield _Tok("nl", "", line)
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "#":
            while i < n and cleaned[i] != "\n":
                i += 1
        elif cleaned.startswith("/*", i):
            end = cleaned.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += cleaned.count("\n", i, end)
            i = end
        elif c in "{};[]":
            yield _Tok(c, c, line)
            i += 1
        elif c == '"':
            start_line = line
            buf: list[str] = []
            i += 1
            while i < n and cleaned[i] != '"':
                if cleaned[i] == "\\" and i + 1 < n:
                    i += 1
                if cleaned[i] == "\n":
                    line += 1
                buf.append(cleaned[i])
                i += 1
            i += 1  # closing quote (or end of text)
            yield _Tok("word", "".join(buf), start_line, quoted=True)
        else:
            start = i
            while i < n and cleaned[i] not in ' \t\r\f\v\n{};[]"':
                i += 1
            yield _Tok("word", cleaned[start:i], line)
    yield _Tok("nl", "", line)


Item = str | list[str]


def _is_verb(items: list[Item]) -> bool:
    return bool(items) and isinstance(items[0], str) and items[0] in VERBS


def _expand(items: list[Item]) -> list[list[str]]:
    """``protocol [ tcp udp ]`` -> ``protocol tcp`` and ``protocol udp``."""
    out: list[list[str]] = [[]]
    for it in items:
        if isinstance(it, str):
            out = [[*p, it] for p in out]
        elif it:
            out = [[*p, v] for p in out for v in it]
    return out


class _Builder:
    def __init__(self, text: str) -> None:
        self.root = Node("", 0)
        self.lines = text.splitlines()
        self.problems: list[Problem] = []
        self.seq = 0

    # -- tree operations -------------------------------------------------------------------

    def node(self, path: list[str]) -> Node | None:
        node = self.root
        for part in path:
            nxt = node.children.get(part)
            if nxt is None:
                return None
            node = nxt
        return node

    def set(self, path: list[str], line: int) -> Node:
        self.seq += 1
        node = self.root
        for part in path:
            nxt = node.children.get(part)
            if nxt is None:
                nxt = Node(part, line)
                node.children[part] = nxt
            nxt.seq = self.seq
            node = nxt
        return node

    def delete(self, path: list[str]) -> None:
        parent = self.node(path[:-1]) if path else None
        if parent is not None:
            parent.children.pop(path[-1], None)
        elif not path:
            self.root.children.clear()

    def deactivate(self, path: list[str], line: int, active: bool = False) -> None:
        node = self.node(path)
        if node is None:
            self.problems.append(Problem(line, "nothing to (de)activate at this path"))
            return
        node.inactive = not active
        node.inactive_line = 0 if active else line

    def insert(self, words: list[str], line: int) -> None:
        # insert <path ... key name> before|after <key> <name>
        where = next((k for k, w in enumerate(words) if w in ("before", "after")), -1)
        if where < 1 or where + 1 >= len(words):
            self.problems.append(Problem(line, "insert: expected '... before|after <name>'"))
            return
        path, ref = words[:where], words[-1]
        parent = self.node(path[:-1])
        if parent is None or path[-1] not in parent.children or ref not in parent.children:
            self.problems.append(Problem(line, "insert: no such element"))
            return
        moving = parent.children.pop(path[-1])
        items = list(parent.children.items())
        at = next(k for k, (name, _) in enumerate(items) if name == ref)
        at += 1 if words[where] == "after" else 0
        items.insert(at, (moving.name, moving))
        parent.children = dict(items)

    def rename(self, words: list[str], line: int) -> None:
        # rename <path ... key name> to <key> <new-name>
        if "to" not in words or words.index("to") < 1 or words[-1] == "to":
            self.problems.append(Problem(line, "rename: expected '... to <new-name>'"))
            return
        path, new = words[: words.index("to")], words[-1]
        parent = self.node(path[:-1])
        if parent is None or path[-1] not in parent.children or new in parent.children:
            self.problems.append(Problem(line, "rename: no such element, or the name is taken"))
            return
        items = [
            (new if name == path[-1] else name, node) for name, node in parent.children.items()
        ]
        parent.children = dict(items)
        parent.children[new].name = new

    # -- the two formats -------------------------------------------------------------------

    def command(self, items: list[Item], line: int) -> None:
        """One ``set``-format command line."""
        verb = items[0]
        assert isinstance(verb, str)
        for words in _expand(items[1:]):
            if verb == "set":
                if words:
                    self.set(words, line)
            elif verb == "delete":
                self.delete(words)
            elif verb in ("deactivate", "activate"):
                self.deactivate(words, line, active=verb == "activate")
            elif verb == "insert":
                self.insert(words, line)
            elif verb == "rename":
                self.rename(words, line)
            elif verb == "copy":
                self.problems.append(Problem(line, "copy is not applied"))
            # annotate, protect, unprotect: no effect on what the configuration does

    def statement(
        self, stack: list[list[str]], items: list[Item], line: int, block: bool
    ) -> list[str]:
        """One curly-format statement (``...;`` or a block header ``... {``); returns the path
        the block opens (or the statement's path)."""
        prefixes: list[str] = []
        while items and isinstance(items[0], str) and items[0] in PREFIXES:
            prefixes.append(items.pop(0))  # type: ignore[arg-type]
        base = [w for frame in stack for w in frame]
        paths = _expand(items) if items else [[]]
        for words in paths:
            path = base + words
            if "delete:" in prefixes:
                self.delete(path)
                continue
            if "replace:" in prefixes:
                self.delete(path)
            if path:
                self.set(path, line)
            if "inactive:" in prefixes and path:
                self.deactivate(path, line)
        if block and "delete:" in prefixes:
            return ["\0deleted"]  # a frame whose contents are ignored
        return paths[0] if block else []

    def build(self, text: str) -> Tree:
        stack: list[list[str]] = []
        items: list[Item] = []
        cur_list: list[str] | None = None
        first_line = 0
        line_start = True
        for tok in _tokens(text):
            if tok.kind == "nl":
                if not stack and _is_verb(items) and cur_list is None:
                    self.command(items, first_line)
                    items = []
                line_start = True
                continue
            top = line_start and not stack and cur_list is None and tok.kind == "word"
            if top and items and _is_verb([tok.value]):
                # a top-level line that was neither a command nor a complete statement
                self.problems.append(Problem(first_line, "not a statement: ignored"))
                items = []
            line_start = False
            if not items and cur_list is None:
                first_line = tok.line
            if not stack and cur_list is None and tok.kind in "{};" and _is_verb(items):
                items.append(tok.value)  # a set command is one line: braces are words there
                continue
            if tok.kind == "word":
                if cur_list is not None:
                    cur_list.append(tok.value)
                else:
                    items.append(tok.value)
            elif tok.kind == "[":
                cur_list = []
            elif tok.kind == "]":
                if cur_list is not None:
                    items.append(cur_list)
                cur_list = None
            elif tok.kind == ";":
                cur_list = None
                if items and not (stack and stack[-1] == ["\0deleted"]):
                    if not stack and _is_verb(items):
                        self.command(items, first_line)
                    else:
                        self.statement(stack, items, first_line, block=False)
                items = []
            elif tok.kind == "{":
                cur_list = None
                if stack and stack[-1] == ["\0deleted"]:
                    stack.append(["\0deleted"])
                else:
                    header = self.statement(stack, items, first_line, block=True)
                    stack.append(header)
                items = []
            elif tok.kind == "}":
                cur_list = None
                if items:
                    self.problems.append(Problem(first_line, "statement without ';' before '}'"))
                    items = []
                if stack:
                    stack.pop()
                else:
                    self.problems.append(Problem(tok.line, "unbalanced '}'"))
        if stack:
            self.problems.append(Problem(len(self.lines), "unclosed '{' at the end of the text"))
        if items:
            self.problems.append(Problem(first_line, "incomplete statement at the end"))
        return Tree(self.root, self.lines, self.problems)


def build_tree(text: str) -> Tree:
    """The configuration tree of a Junos configuration in either format."""
    return _Builder(text).build(text)


def flatten(
    node: Node | None,
    *,
    keep: frozenset[str] = frozenset(),
    opaque: frozenset[str] = frozenset(),
    flags: frozenset[str] = frozenset(),
    keywords: frozenset[str] = frozenset(),
) -> Node | None:
    """``node`` with its statements on one level, as Junos means them.

    One line may hold several statements of one level (``term t1 protocol tcp destination-port
    80``, ``match source-address any destination-address any``, ``then deny log
    session-init``): the tree nests each under the word before it. This lifts them back to the
    level of ``node``: the children of a value (except the modifiers in ``keep``, such as
    ``10.0.0.0/8 except``), the children of a statement without a value (``flags``: ``deny``,
    ``tcp-established``), and any child named like one of this level's ``keywords``. The values
    of ``opaque`` statements are containers (``term NAME { ... }``) and stay as they are.
    Inactive nodes are dropped. Returns a copy; the tree is not changed.
    """
    if node is None:
        return None
    out = Node(node.name, node.line, node.seq)

    def lift(src: Node) -> None:
        for kw in src.kids():
            dst = out.children.get(kw.name)
            if dst is None:
                dst = out.children[kw.name] = Node(kw.name, kw.line, kw.seq)
            dst.seq = max(dst.seq, kw.seq)
            for v in kw.kids():
                if kw.name in flags or v.name in keywords:
                    holder = Node(kw.name, kw.line, kw.seq)
                    holder.children = {v.name: v}
                    lift(holder)
                    continue
                if kw.name in opaque:
                    dst.children[v.name] = v
                    continue
                copy = Node(v.name, v.line, v.seq)
                copy.children = {c.name: c for c in v.kids() if c.name in keep}
                old = dst.children.get(v.name)
                if old is not None:
                    copy.children = {**old.children, **copy.children}
                    copy.seq = max(copy.seq, old.seq)
                dst.children[v.name] = copy
                rest = Node(v.name, v.line, v.seq)
                rest.children = {c.name: c for c in v.kids() if c.name not in keep}
                lift(rest)

    lift(node)
    return out
