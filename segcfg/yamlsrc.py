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


_ScalarEvent = yaml.ScalarEvent
_MappingStartEvent = yaml.MappingStartEvent
_MappingEndEvent = yaml.MappingEndEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_SequenceEndEvent = yaml.SequenceEndEvent
_AliasEvent = yaml.AliasEvent
_DocumentStartEvent = yaml.DocumentStartEvent
_StreamEndEvent = yaml.StreamEndEvent
_SCALARS: dict[tuple[Any, Any, str], Any] = {}
_SCALAR_CACHE_SIZE = 65536
_MISS = object()


def _scalar(event: Any, path: str, mark: tuple[int, int]) -> Any:
    """The Python value of a scalar event (cached by tag, implicitness and text: every value
    a scalar can construct to here is immutable)."""
    key = (event.tag, event.implicit, event.value)
    hit = _SCALARS.get(key, _MISS)
    if hit is not _MISS:
        return hit
    if event.tag in (None, "!"):
        implicit = event.implicit if event.tag is None else (False, False)
        tag = _resolver.resolve(yaml.ScalarNode, event.value, implicit)  # type: ignore[no-untyped-call]
    else:
        tag = event.tag
    if tag not in _ALLOWED_TAGS:
        raise _err(path, *mark, f"unsupported YAML tag {tag!r}", "yaml-tag")
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        value = _constructor.yaml_constructors[tag](_constructor, node)
    except (ValueError, yaml.YAMLError) as exc:
        raise _err(path, *mark, f"invalid {tag.rsplit(':', 1)[-1]}: {exc}", "yaml") from exc
    if len(_SCALARS) >= _SCALAR_CACHE_SIZE:
        _SCALARS.clear()
    _SCALARS[key] = value
    return value


class _Frame:
    """An open mapping or sequence."""

    __slots__ = ("anchor", "container", "has_key", "is_map", "key", "path", "start_count")

    def __init__(
        self, container: dict[Any, Any] | list[Any], path: PathKey, anchor: str | None, start: int
    ) -> None:
        self.container = container
        self.is_map = isinstance(container, dict)
        self.path = path
        self.anchor = anchor
        self.start_count = start
        self.key: Any = None
        self.has_key = False

    def child_path(self) -> PathKey:
        if self.is_map:
            return (*self.path, self.key)
        return (*self.path, len(self.container))

    def put(self, value: Any) -> None:
        if self.is_map:
            self.container[self.key] = value
            self.has_key = False
        else:
            self.container.append(value)  # type: ignore[union-attr]


def _place(doc: SourceDoc, parent: _Frame | None, value: Any, mark: tuple[int, int]) -> None:
    """Put a value (not a mapping key) into its parent, or make it the document."""
    if parent is None:
        doc.positions[()] = mark
        doc.data = value
        return
    doc.positions[parent.child_path()] = mark
    parent.put(value)


def parse_yaml_text(text: str, path: str) -> SourceDoc:
    """Parse one YAML document from ``text``; ``path`` is used in diagnostics only."""
    doc = SourceDoc(path=path, data=None)
    positions = doc.positions
    key_positions = doc.key_positions
    scalars_get = _SCALARS.get
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    count = 0
    documents = 0
    loader = _Loader(text)
    get_event = loader.get_event
    try:
        while True:
            event = get_event()
            if event is None:
                break
            cls = type(event)
            if cls is _ScalarEvent:
                sm = event.start_mark
                mark = (sm.line + 1, sm.column + 1)
                count += 1
                if count > MAX_NODES:
                    raise _err(
                        path, *mark, f"document has more than {MAX_NODES} nodes", "yaml-too-large"
                    )
                value = scalars_get((event.tag, event.implicit, event.value), _MISS)
                if value is _MISS:
                    value = _scalar(event, path, mark)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
                if not stack:
                    _place(doc, None, value, mark)
                    continue
                # _Frame.child_path and _Frame.put, inlined: this runs for every scalar.
                parent = stack[-1]
                if parent.is_map:
                    if not parent.has_key:
                        if not isinstance(value, (str, int)):
                            raise _err(
                                path, *mark, "mapping keys must be plain scalars", "yaml-key"
                            )
                        if value in parent.container:
                            raise _err(path, *mark, f"duplicate key {value!r}", "duplicate-key")
                        parent.key, parent.has_key = value, True
                        key_positions[(*parent.path, value)] = mark
                        continue
                    positions[(*parent.path, parent.key)] = mark
                    parent.container[parent.key] = value
                    parent.has_key = False
                else:
                    seq = parent.container
                    positions[(*parent.path, len(seq))] = mark
                    seq.append(value)  # type: ignore[union-attr]
                continue
            if cls is _MappingEndEvent or cls is _SequenceEndEvent:
                frame = stack.pop()
                if frame.anchor is not None:
                    anchors[frame.anchor] = (frame.container, count - frame.start_count)
                if stack:
                    stack[-1].put(frame.container)
                else:
                    doc.data = frame.container
                continue
            if cls is _MappingStartEvent or cls is _SequenceStartEvent:
                mark = _mark(event.start_mark)
                count += 1
                if count > MAX_NODES:
                    raise _err(
                        path, *mark, f"document has more than {MAX_NODES} nodes", "yaml-too-large"
                    )
                is_map = cls is _MappingStartEvent
                parent_frame = stack[-1] if stack else None
                if parent_frame is not None and parent_frame.is_map and not parent_frame.has_key:
                    raise _err(path, *mark, "mapping keys must be plain scalars", "yaml-key")
                tag = event.tag
                if tag not in (None, "!", _MAP_TAG if is_map else _SEQ_TAG):
                    raise _err(path, *mark, f"unsupported YAML tag {tag!r}", "yaml-tag")
                if len(stack) >= MAX_DEPTH:
                    raise _err(
                        path, *mark, f"nesting deeper than {MAX_DEPTH} levels", "yaml-too-deep"
                    )
                child = parent_frame.child_path() if parent_frame is not None else ()
                positions[child] = mark
                container: dict[Any, Any] | list[Any] = {} if is_map else []
                stack.append(_Frame(container, child, event.anchor, count))
                continue
            if cls is _AliasEvent:
                mark = _mark(event.start_mark)
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
                holder = stack[-1] if stack else None
                if holder is not None and holder.is_map and not holder.has_key:
                    raise _err(path, *mark, "an alias cannot be a mapping key here", "yaml-key")
                _place(doc, holder, value, mark)
                continue
            if cls is _DocumentStartEvent:
                documents += 1
                if documents > 1:
                    line, col = _mark(event.start_mark)
                    raise _err(path, line, col, "more than one YAML document", "yaml-multidoc")
                continue
            if cls is _StreamEndEvent:
                break
            # StreamStart, DocumentEnd: nothing to do.
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
    positions.setdefault((), (1, 1))
    return doc


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
