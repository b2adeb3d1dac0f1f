"""Safe YAML reading that remembers where every value came from.

PyYAML's own loaders forget positions, silently keep the last of two duplicate keys, recurse on
deep nesting and expand alias bombs. This reader builds plain Python data from the event stream
(libyaml when present) without recursion, records the line and column of every value and key,
and refuses duplicate keys, non-scalar keys, unsupported tags, deep nesting, oversized files and
alias expansion beyond a budget — each as a diagnostic naming file:line:col.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from segcfg.errors import Diagnostic, InputError, Location, Severity

PathKey = tuple[str | int, ...]

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


@dataclass
class SourceDoc:
    """Data read from one file, with the 1-based (line, col) of each value and mapping key."""

    path: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: PathKey, *, key: bool = False) -> Location:
        """The location of the value at ``loc``, or of its nearest enclosing value."""
        loc = tuple(loc)
        if key and loc in self.key_positions:
            line, col = self.key_positions[loc]
            return Location(self.path, line, col)
        while loc:
            if loc in self.positions:
                line, col = self.positions[loc]
                return Location(self.path, line, col)
            loc = loc[:-1]
        line, col = self.positions.get((), (1, 1))
        return Location(self.path, line, col)


def _err(path: str, line: int, col: int, message: str, code: str) -> InputError:
    return InputError(Diagnostic(Location(path, line, col), Severity.ERROR, message, code))


def _mark(mark: Any) -> tuple[int, int]:
    return (int(mark.line) + 1, int(mark.column) + 1)


def _scalar(event: Any, path: str) -> Any:
    line, col = _mark(event.start_mark)
    if event.tag in (None, "!"):
        implicit = event.implicit if event.tag is None else (False, False)
        tag = _resolver.resolve(yaml.ScalarNode, event.value, implicit)  # type: ignore[no-untyped-call]
    else:
        tag = event.tag
    if tag not in _ALLOWED_TAGS:
        raise _err(path, line, col, f"unsupported YAML tag {tag!r}", "yaml-tag")
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return _constructor.yaml_constructors[tag](_constructor, node)
    except (ValueError, yaml.YAMLError) as exc:
        raise _err(path, line, col, f"invalid {tag.rsplit(':', 1)[-1]}: {exc}", "yaml") from exc


@dataclass
class _Frame:
    container: dict[Any, Any] | list[Any]
    path: PathKey
    anchor: str | None
    start_count: int
    key: Any = None
    key_mark: tuple[int, int] | None = None
    has_key: bool = False


def parse_yaml_text(text: str, path: str) -> SourceDoc:
    """Parse one YAML document from ``text``; ``path`` is used in diagnostics only."""
    doc = SourceDoc(path=path, data=None)
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    count = 0
    documents = 0
    root_set = False
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    line, col = _mark(event.start_mark)
                    raise _err(path, line, col, "more than one YAML document", "yaml-multidoc")
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent)):
                continue
            if isinstance(event, yaml.DocumentEndEvent):
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame = stack.pop()
                if frame.anchor is not None:
                    anchors[frame.anchor] = (frame.container, count - frame.start_count)
                _place(doc, stack, frame.container, None)
                continue
            mark = _mark(event.start_mark)
            # A value (or a key) starts here.
            parent = stack[-1] if stack else None
            awaiting_key = (
                parent is not None and isinstance(parent.container, dict) and not parent.has_key
            )
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise _err(path, *mark, f"unknown alias *{event.anchor}", "yaml")
                value, size = anchors[event.anchor]
                count += size
                if count > MAX_NODES:
                    raise _err(
                        path,
                        *mark,
                        f"document expands beyond {MAX_NODES} nodes (alias bomb?)",
                        "yaml-too-large",
                    )
                if awaiting_key:
                    raise _err(path, *mark, "an alias cannot be a mapping key here", "yaml-key")
                _record(doc, stack, mark)
                _place(doc, stack, value, mark)
                continue
            count += 1
            if count > MAX_NODES:
                raise _err(
                    path, *mark, f"document has more than {MAX_NODES} nodes", "yaml-too-large"
                )
            if isinstance(event, yaml.ScalarEvent):
                value = _scalar(event, path)
                if awaiting_key:
                    assert parent is not None
                    if not isinstance(value, (str, int)):
                        raise _err(path, *mark, "mapping keys must be plain scalars", "yaml-key")
                    keys = parent.container
                    if value in keys:
                        raise _err(path, *mark, f"duplicate key {value!r}", "duplicate-key")
                    parent.key, parent.key_mark, parent.has_key = value, mark, True
                    doc.key_positions[(*parent.path, value)] = mark
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1)
                    continue
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
                _record(doc, stack, mark)
                _place(doc, stack, value, mark)
                root_set = root_set or not stack
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if awaiting_key:
                    raise _err(path, *mark, "mapping keys must be plain scalars", "yaml-key")
                tag = event.tag
                want = _MAP_TAG if isinstance(event, yaml.MappingStartEvent) else _SEQ_TAG
                if tag not in (None, "!", want):
                    raise _err(path, *mark, f"unsupported YAML tag {tag!r}", "yaml-tag")
                if len(stack) >= MAX_DEPTH:
                    raise _err(
                        path, *mark, f"nesting deeper than {MAX_DEPTH} levels", "yaml-too-deep"
                    )
                child_path = _child_path(stack)
                _record(doc, stack, mark)
                container: dict[Any, Any] | list[Any] = (
                    {} if isinstance(event, yaml.MappingStartEvent) else []
                )
                stack.append(_Frame(container, child_path, event.anchor, count))
                continue
    except yaml.MarkedYAMLError as exc:
        mark_obj = exc.problem_mark or exc.context_mark
        line, col = _mark(mark_obj) if mark_obj is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise _err(path, line, col, f"YAML syntax error: {problem}", "yaml-syntax") from exc
    except yaml.YAMLError as exc:
        raise _err(path, 1, 1, f"YAML error: {exc}", "yaml-syntax") from exc
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    doc.positions.setdefault((), (1, 1))
    return doc


def _child_path(stack: list[_Frame]) -> PathKey:
    if not stack:
        return ()
    parent = stack[-1]
    if isinstance(parent.container, dict):
        return (*parent.path, parent.key)
    return (*parent.path, len(parent.container))


def _record(doc: SourceDoc, stack: list[_Frame], mark: tuple[int, int]) -> None:
    doc.positions[_child_path(stack)] = mark


def _place(doc: SourceDoc, stack: list[_Frame], value: Any, mark: tuple[int, int] | None) -> None:
    if not stack:
        doc.data = value
        return
    parent = stack[-1]
    if isinstance(parent.container, dict):
        parent.container[parent.key] = value
        parent.has_key = False
    else:
        parent.container.append(value)


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 text file within the size limit; errors name the file and position."""
    shown = display or str(path)
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise _err(shown, 0, 0, f"cannot read file: {exc.strerror}", "io") from exc
    if size > MAX_FILE_BYTES:
        raise _err(
            shown,
            1,
            1,
            f"file is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit",
            "file-too-large",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _err(shown, 0, 0, f"cannot read file: {exc.strerror}", "io") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before[before.rfind(b"\n") + 1 :]
        col = len(line_start.decode("utf-8", errors="replace")) + 1  # characters, not bytes
        raise _err(shown, line, col, "file is not valid UTF-8 text", "encoding") from exc
    if "\x00" in text:
        before_t = text[: text.index("\x00")]
        line = before_t.count("\n") + 1
        col = len(before_t) - (before_t.rfind("\n") + 1) + 1
        raise _err(shown, line, col, "file contains a NUL byte (binary data?)", "encoding")
    return text


def load_yaml_file(path: Path, display: str | None = None) -> SourceDoc:
    """Read and parse one YAML file. An empty document is an error."""
    shown = display or str(path)
    doc = parse_yaml_text(read_text(path, shown), shown)
    if doc.data is None:
        raise _err(shown, 1, 1, "file is empty (expected a mapping)", "empty-file")
    return doc
