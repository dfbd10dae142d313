"""One canonical layout for policy YAML, comments kept (``warrantykit fmt``).

:func:`format_text` rewrites a policy (or an include fragment, or any YAML
mapping) in the project's layout:

* a ``# yaml-language-server: $schema=...`` line (and every other comment
  before the first key) stays at the top;
* top-level keys in the order of the :class:`~warrantykit.policies.models.PolicyDocument`
  fields (by their YAML names); keys of every mapping whose model is known in
  that model's field order. Rules (terms, exclusions, remedies, schedule,
  metrics, warranties, severity rules, pause reasons) start with ``id`` (or
  ``level``), ``clause``, ``text``, then ``kind``, then the fields of that kind,
  then the common ones. Keys the models do not know stay in their slot: fmt
  never validates and never drops anything. Maps of names (``calendars``,
  ``seasons``, cost tables, ``hours``) keep the author's order;
* 2-space indentation; a block sequence is indented under its key
  (``key:`` / ``  - item``); a mapping inside a sequence item starts on the
  dash line (``- id: x``);
* one blank line before every top-level section except the identity block
  (``$schema`` ... ``currency``), no other blank lines outside block scalars;
  no trailing whitespace; one final newline;
* a flow collection (``{...}``, ``[...]``) stays on one line when that line fits
  in :data:`WIDTH` columns (East Asian wide characters count 2; a trailing
  comment does not count), otherwise it is written as a block, and its items
  are judged again at their new place; block collections stay block;
* strings are quoted only when needed: a quoted string loses its quotes only
  if, written plainly, every YAML reader (YAML 1.1 as the loader reads it, and
  YAML 1.2) reads the same string and it does not look like a number, a time,
  a date or a boolean (``"2.10"``, ``"09:00-17:00"``, ``"11-15"``, ``"yes"`` keep
  their quotes); plain scalars, block scalars (``|``, ``>``) and their line
  breaks are kept as written;
* comments are kept: a comment on its own line belongs to the entry below it
  (or, when it is indented deeper than that entry, or separated from it by a
  blank line while touching the entry above, to the entry above) and moves
  with it; an end-of-line comment belongs to the entry on its line. End-of-line
  comments of consecutive lines at one indentation are aligned two columns
  after the longest of those lines;
* anchors and aliases are kept; when reordering puts an alias before its
  anchor, the anchor moves to the first place the value is written.

Safety: the result is parsed again with
:func:`~warrantykit.policies.yamlsafe.read_yaml`; unless it gives exactly the
data of the input and keeps every comment, :class:`~warrantykit.errors.PolicyError`
is raised (code ``fmt-unsafe``) and nothing should be written. Input the strict
reader rejects is refused with the reader's problems. Formatting is idempotent.

ruamel.yaml's round-trip parser supplies the events (with positions, styles,
anchors and tags); the layout is written here, because ruamel's emitter
re-wraps long scalars and moves comments with the wrong key when keys are
reordered.
"""

from __future__ import annotations

import re
import types
import typing
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Union

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml import events as rev
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver

from warrantykit.errors import PolicyError, Problem
from warrantykit.policies.models import (
    BusinessCalendarSpec,
    PauseReason,
    PolicyDocument,
    Rule,
    SeasonSpec,
    SeverityRule,
    Warranty,
)
from warrantykit.policies.yamlsafe import read_yaml

__all__ = ["WIDTH", "comment_lines", "display_width", "format_text", "plain_ok"]

WIDTH = 100
"""Columns a flow collection's line may take before it is written as a block."""
INDENT = 2

HEADER_KEYS = (
    "$schema",
    "id",
    "version",
    "title",
    "source",
    "effective",
    "timezone",
    "extends",
    "include",
    "currency",
)
"""Top-level keys written together, without blank lines, at the top."""

_STR_TAG = "tag:yaml.org,2002:str"
_LOOKS_SCALAR = re.compile(r"[-+.]?\d[\d\s:._\-+/,eE]*")
_SCALAR_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "=", "<<"}
)
_BLOCK_HEADER = re.compile(r"^([|>][0-9+-]*)([ \t]+#.*)?[ \t]*$")
_PROPS = re.compile(r"(?:[&!][^\s]*\s+)*")
_SCHEMA_COMMENT = re.compile(r"^#\s*yaml-language-server:")


def _fail(message: str, *, line: int | None = None, column: int | None = None) -> PolicyError:
    return PolicyError(Problem(message=message, line=line, column=column, code="fmt-unsafe"))


# ---------------------------------------------------------------- the tree


@dataclass(eq=False)
class _Node:
    kind: str  # "map", "seq", "scalar", "alias"
    line: int  # 0-based
    col: int
    start: int  # index of the value itself (after anchor and tag)
    end: int
    end_line: int = 0
    end_col: int = 0  # column just after the node (flow collections)
    anchor: str | None = None
    tag: str = ""  # source text of an explicit tag
    flow: bool = False
    force_block: bool = False
    entries: list[_Entry] = field(default_factory=list)
    style: str | None = None  # scalar: None (plain), '"', "'", "|", ">"
    value: str = ""  # scalar: the parsed text
    lines: list[str] = field(default_factory=list)  # scalar: its source lines
    header: str = ""  # block scalar: "|", ">-", "|2" ...
    target: _Node | None = None  # alias: the anchored node
    schema: Any = None
    parent: _Entry | None = None


@dataclass(eq=False)
class _Entry:
    key: _Node | None  # None: a sequence item
    value: _Node
    line: int
    col: int
    owner: _Node
    leading: list[str] = field(default_factory=list)
    eol: list[str] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)

    @property
    def end_line(self) -> int:
        return max(self.line, self.value.end_line)

    @property
    def name(self) -> str | None:
        return self.key.value if self.key is not None else None


@dataclass
class _Comment:
    line: int
    col: int
    text: str
    own_line: bool


# ---------------------------------------------------------------- reading


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.spans: list[tuple[int, int]] = []
        self.header_comments: list[_Comment] = []
        self.anchors: dict[str, _Node] = {}
        self.explicit_start = False

    def read(self) -> _Node:
        try:
            events = list(YAML(typ="rt", pure=True).parse(self.text))
        except RuamelError as exc:
            raise _fail(f"cannot parse: {exc}") from None
        it: Iterator[Any] = iter(events)
        root: _Node | None = None
        for event in it:
            if isinstance(event, rev.DocumentStartEvent):
                self.explicit_start = bool(getattr(event, "explicit", False))
                if getattr(event, "version", None) or getattr(event, "tags", None):
                    raise _fail("fmt does not format documents with %YAML or %TAG directives")
            elif isinstance(event, rev.NodeEvent):
                if root is not None:
                    raise _fail("one document per file")
                root = self.node(event, it)
        if root is None:
            raise _fail("the document is empty")
        return root

    def _props(self, event: Any) -> tuple[int, str]:
        """Index where the value starts (after anchor and tag) and the tag's source text."""
        start = event.start_mark.index
        match = _PROPS.match(self.text, start)
        tag = ""
        if match and match.end() > start:
            for prop in match.group(0).split():
                if prop.startswith("!"):
                    tag = prop
            return match.end(), tag
        return start, tag

    def node(self, event: Any, it: Iterator[Any]) -> _Node:
        if isinstance(event, rev.AliasEvent):
            name = str(event.anchor)
            if name not in self.anchors:
                raise _fail(f"unknown alias *{name}", line=event.start_mark.line + 1)
            self.spans.append((event.start_mark.index, event.end_mark.index))
            return _Node(
                "alias",
                event.start_mark.line,
                event.start_mark.column,
                event.start_mark.index,
                event.end_mark.index,
                end_line=event.end_mark.line,
                anchor=name,
                target=self.anchors[name],
            )
        start, tag = self._props(event)
        line, col = _line_col(self.text, start)
        anchor = str(event.anchor) if event.anchor else None
        if isinstance(event, rev.ScalarEvent):
            node = self.scalar(event, start, line, col)
        elif isinstance(event, rev.MappingStartEvent | rev.SequenceStartEvent):
            is_map = isinstance(event, rev.MappingStartEvent)
            node = _Node("map" if is_map else "seq", line, col, start, start, flow=bool(event.flow_style))
            self.collection(node, it)
        else:  # pragma: no cover - the parser gives nothing else here
            raise _fail(f"unexpected YAML event {type(event).__name__}")
        node.tag = tag
        if anchor is not None:
            if anchor in self.anchors:
                raise _fail(f"anchor &{anchor} is defined twice", line=line + 1)
            node.anchor = anchor
            self.anchors[anchor] = node
        return node

    def scalar(self, event: Any, start: int, line: int, col: int) -> _Node:
        end = event.end_mark.index
        style = event.style if event.style in ('"', "'", "|", ">") else None
        node = _Node("scalar", line, col, start, end, style=style, value=str(event.value))
        self.spans.append((event.start_mark.index, end))
        if style in ("|", ">"):
            first_end = self.text.find("\n", start)
            first_end = len(self.text) if first_end < 0 else first_end
            match = _BLOCK_HEADER.match(self.text[start:first_end])
            if match is None:
                raise _fail("cannot read a block scalar header", line=line + 1, column=col + 1)
            node.header = match.group(1)
            if match.group(2):
                hash_at = start + match.group(2).index("#")
                hline, hcol = _line_col(self.text, hash_at)
                self.header_comments.append(
                    _Comment(hline, hcol, self.text[hash_at:first_end].rstrip(), own_line=False)
                )
            self.spans[-1] = (first_end, end)
            last = event.end_mark.line if event.end_mark.column > 0 else event.end_mark.line - 1
            content = self.lines[line + 1 : last + 1]
            if "+" not in node.header:
                while content and not content[-1].strip():
                    content.pop()
            node.lines = content
            node.end_line = line + len(content)
        elif end == start:
            node.end_line = line
        else:
            node.lines = self.text[start:end].split("\n")
            node.end_line = event.end_mark.line
        return node

    def collection(self, node: _Node, it: Iterator[Any]) -> None:
        end_types = (rev.MappingEndEvent, rev.SequenceEndEvent)
        for event in it:
            if isinstance(event, end_types):
                node.end = event.end_mark.index
                break
            if node.kind == "map":
                key = self.node(event, it)
                if key.kind != "scalar" or key.style in ("|", ">"):
                    raise _fail(
                        "fmt only formats mappings whose keys are plain or quoted names",
                        line=key.line + 1,
                        column=key.col + 1,
                    )
                value = self.node(next(it), it)
                if value.kind == "scalar" and value.end == value.start and not value.anchor and not value.tag:
                    value.line = value.end_line = key.end_line
                entry = _Entry(key, value, key.line, key.col, node)
            else:
                value = self.node(event, it)
                line, col = value.line, value.col
                if not node.flow:
                    line, col = self._dash(node.col, value), node.col
                entry = _Entry(None, value, line, col, node)
            value.parent = entry
            node.entries.append(entry)
        if node.flow:
            node.end_line, last_col = _line_col(self.text, max(node.end - 1, node.start))
            node.end_col = last_col + 1
        elif node.entries:
            node.end_line = max(e.end_line for e in node.entries)
        else:
            node.end_line = node.line

    def _dash(self, col: int, value: _Node) -> int:
        """Line of the ``-`` that starts a block sequence item."""
        line = value.line
        while line >= 0:
            text = self.lines[line]
            if len(text) > col and text[col] == "-":
                at = sum(len(x) + 1 for x in self.lines[:line]) + col
                if at < value.start or value.kind == "alias":
                    return line
            line -= 1
        return value.line

    def comments(self) -> list[_Comment]:
        """Every comment: a ``#`` outside scalars, at a line start or after a blank."""
        mask = bytearray(len(self.text) + 1)
        for a, b in self.spans:
            mask[a:b] = b"\x01" * (b - a)
        found: list[_Comment] = list(self.header_comments)
        at = 0
        for number, text in enumerate(self.lines):
            pos = text.find("#")
            while pos >= 0:
                if not mask[at + pos] and (pos == 0 or text[pos - 1] in " \t"):
                    found.append(
                        _Comment(number, pos, text[pos:].rstrip(), own_line=not text[:pos].strip())
                    )
                    break
                pos = text.find("#", pos + 1)
            at += len(text) + 1
        found.sort(key=lambda c: (c.line, c.col))
        return found


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)


def comment_lines(text: str) -> Counter[str]:
    """The multiset of comments in a YAML text (each from ``#`` to the end of its line)."""
    reader = _Reader(text)
    reader.read()
    return Counter(c.text for c in reader.comments())


# ---------------------------------------------------------------- comments


@dataclass
class _Document:
    root: _Node
    head: list[list[str]] = field(default_factory=list)  # comment groups before the root
    head_gap: bool = False  # a blank line between the head comments and the root
    tail: list[str] = field(default_factory=list)
    explicit_start: bool = False


def _entries_in_order(node: _Node) -> Iterator[_Entry]:
    for entry in node.entries:
        yield entry
        if entry.value.kind in ("map", "seq"):
            yield from _entries_in_order(entry.value)


def _force_block_up(entry: _Entry) -> None:
    """A comment inside a flow collection: that collection (and flows around it) become blocks."""
    owner: _Node | None = entry.owner
    while owner is not None:
        if owner.flow:
            owner.force_block = True
        owner = owner.parent.owner if owner.parent is not None else None


def _attach(doc: _Document, comments: list[_Comment], lines: list[str]) -> None:
    root = doc.root
    ordered = list(_entries_in_order(root)) if root.kind in ("map", "seq") else []

    def blank(n: int) -> bool:
        return 0 <= n < len(lines) and not lines[n].strip()

    # end-of-line comments
    for c in (c for c in comments if not c.own_line):
        target = _line_owner(root, c)
        if target is None:
            doc.tail.append(c.text)
        else:
            target.eol.append(c.text)
            if target.owner.flow:
                _force_block_up(target)
    # own-line comments, in groups of consecutive lines at one column
    own = [c for c in comments if c.own_line]
    groups: list[list[_Comment]] = []
    for c in own:
        if groups and groups[-1][-1].line == c.line - 1 and groups[-1][-1].col == c.col:
            groups[-1].append(c)
        else:
            groups.append([c])
    first_line = min((e.line for e in ordered), default=root.line)
    for group in groups:
        top, bottom, col = group[0].line, group[-1].line, group[0].col
        texts = [c.text for c in group]
        if top < first_line or (root.kind not in ("map", "seq")):
            if top < first_line:
                doc.head.append(texts)
                doc.head_gap = blank(first_line - 1) and first_line - 1 > bottom
            else:
                doc.tail.extend(texts)
            continue
        below = next((e for e in ordered if (e.line, e.col) > (bottom, col)), None)
        detached = blank(bottom + 1) and not blank(top - 1)
        if below is not None and col <= below.col and not detached:
            below.leading.extend(texts)
            if below.owner.flow:
                _force_block_up(below)
            continue
        above = _open_entry(root, top, col)
        if above is None:
            if below is not None:
                below.leading.extend(texts)
            else:
                doc.tail.extend(texts)
            continue
        above.trailing.extend(texts)
        if above.owner.flow:
            _force_block_up(above)


def _line_owner(node: _Node, c: _Comment) -> _Entry | None:
    """The deepest entry whose line the end-of-line comment ``c`` ends."""
    target: _Entry | None = None
    while node.kind in ("map", "seq"):
        if node.flow and target is not None and _after_node(node, c):
            break
        candidates = [e for e in node.entries if (e.line, e.col) <= (c.line, c.col)]
        if not candidates:
            break
        entry = candidates[-1]
        if entry.end_line < c.line:
            break
        target = entry
        node = entry.value
    return target


def _after_node(node: _Node, c: _Comment) -> bool:
    """The comment comes after the closing bracket of the flow collection ``node``."""
    return c.line > node.end_line or (c.line == node.end_line and c.col >= node.end - _line_start(node))


def _line_start(node: _Node) -> int:
    """Index of the first character of the line ``node`` ends on (set by the reader)."""
    return node.end - node.end_col


def _open_entry(root: _Node, line: int, col: int) -> _Entry | None:
    """The deepest entry started above ``line`` whose column is at most ``col``."""
    best: _Entry | None = None
    node = root
    while node.kind in ("map", "seq"):
        before = [e for e in node.entries if e.line < line]
        if not before:
            break
        entry = before[-1]
        if entry.col <= col:
            best = entry
        node = entry.value
    return best


# ---------------------------------------------------------------- key order


Schema = Any
"""A model class, ("list", Schema), ("dict", Schema), ("union", (models...)), ("any", (Schema...)) or None."""

_RULE_LIKE: tuple[type[BaseModel], ...] = (
    Rule,
    Warranty,
    SeverityRule,
    PauseReason,
    BusinessCalendarSpec,
    SeasonSpec,
)
"""Models whose identifying fields (id/level, clause, text) come first."""
_HOIST = ("id", "level", "clause", "text")


def _schema_of(annotation: Any) -> Schema:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _schema_of(args[0])
    if origin is Union or origin is types.UnionType:
        subs = [s for s in (_schema_of(a) for a in args) if s is not None]
        if not subs:
            return None
        if len(subs) == 1:
            return subs[0]
        if all(isinstance(s, type) for s in subs):
            return ("union", tuple(subs))
        return ("any", tuple(subs))
    if origin in (tuple, list) and args:
        item = _schema_of(args[0])
        return ("list", item) if item is not None else None
    if origin is dict and len(args) == 2:
        value = _schema_of(args[1])
        return ("dict", value) if value is not None else None
    return None


def _field_schema(model: type[BaseModel], key: str) -> Schema:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return _schema_of(info.annotation)
    return None


def _kind_of(node: _Node) -> str | None:
    for entry in node.entries:
        if entry.name == "kind" and entry.value.kind == "scalar":
            return entry.value.value
    return None


def _resolve(schema: Schema, node: _Node) -> Schema:
    """The schema that applies to ``node`` (picks a union member by shape or ``kind``)."""
    if schema is None:
        return None
    if isinstance(schema, tuple) and schema[0] == "any":
        for sub in schema[1]:
            shaped = "seq" if isinstance(sub, tuple) and sub[0] == "list" else "map"
            if shaped == node.kind:
                return _resolve(sub, node)
        return None
    if isinstance(schema, tuple) and schema[0] == "union":
        if node.kind != "map":
            return None
        kind = _kind_of(node)
        for model in schema[1]:
            info = model.model_fields.get("kind")
            if info is not None and kind in typing.get_args(info.annotation):
                return model
        return None
    if isinstance(schema, type):
        return schema if node.kind == "map" else None
    if schema[0] == "list":
        return schema if node.kind == "seq" else None
    if schema[0] == "dict":
        return schema if node.kind == "map" else None
    return None


def _assign_schemas(node: _Node, schema: Schema, seen: set[int]) -> None:
    if id(node) in seen or node.kind not in ("map", "seq"):
        return
    seen.add(id(node))
    node.schema = _resolve(schema, node)
    for entry in node.entries:
        child: Schema = None
        if isinstance(node.schema, type) and entry.key is not None:
            child = _field_schema(node.schema, entry.key.value)
        elif isinstance(node.schema, tuple):
            child = node.schema[1]
        value = entry.value.target if entry.value.kind == "alias" else entry.value
        if value is not None:
            _assign_schemas(value, child, seen)


_ORDER_CACHE: dict[type[BaseModel], dict[str, int]] = {}


def _key_rank(model: type[BaseModel]) -> dict[str, int]:
    cached = _ORDER_CACHE.get(model)
    if cached is not None:
        return cached
    names = [(info.alias or name, name) for name, info in model.model_fields.items()]
    order: list[str] = []
    if issubclass(model, _RULE_LIKE):
        aliases = [alias for alias, _ in names]
        order += [k for k in _HOIST if k in aliases]
        if "kind" in aliases:
            order.append("kind")
        inherited = {n for base in model.__mro__[1:] for n in getattr(base, "model_fields", {})}
        own = set(model.__dict__.get("__annotations__", {})) - inherited
        order += [alias for alias, name in names if name in own and alias not in order]
    order += [alias for alias, _ in names if alias not in order]
    rank = {key: i for i, key in enumerate(order)}
    _ORDER_CACHE[model] = rank
    return rank


def _ordered(node: _Node) -> list[_Entry]:
    if node.kind != "map" or not isinstance(node.schema, type):
        return list(node.entries)
    rank = _key_rank(node.schema)
    known = [e for e in node.entries if e.name in rank]
    known.sort(key=lambda e: rank[e.name or ""])
    it = iter(known)
    return [next(it) if e.name in rank else e for e in node.entries]


# ---------------------------------------------------------------- scalars


_PY_RESOLVER: Any = yaml.resolver.Resolver()  # PyYAML's stubs leave resolve() untyped
_RUAMEL_RESOLVER = VersionedResolver()


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide and full-width count 2)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def plain_ok(value: str, *, flow: bool) -> bool:
    """``value`` can be written without quotes and is read back as the same string."""
    if not value or value != value.strip() or not value.isprintable():
        return False
    if value[0] in "-?:,[]{}#&*!|>'\"%@`":
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if flow and any(ch in value for ch in ",[]{}:#"):
        return False
    if _LOOKS_SCALAR.fullmatch(value) or value.lower() in _SCALAR_WORDS:
        return False
    if _PY_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG:
        return False
    return str(_RUAMEL_RESOLVER.resolve(RuamelScalarNode, value, (True, False))) == _STR_TAG


def _scalar_text(node: _Node, *, flow: bool) -> str:
    """A one-line flow scalar as written (quotes dropped where they are not needed)."""
    if node.style in ('"', "'") and not node.tag and plain_ok(node.value, flow=flow):
        return node.value
    text = node.lines[0] if node.lines else ""
    return f"{node.tag} {text}" if node.tag and text else (node.tag or text)


def _multiline(node: _Node) -> bool:
    return node.kind == "scalar" and (node.style in ("|", ">") or len(node.lines) > 1)


# ---------------------------------------------------------------- writing


@dataclass
class _Line:
    content: str
    comment: str | None = None
    verbatim: bool = False  # block scalar content: never touched
    pad: int = 2


class _Writer:
    def __init__(self) -> None:
        self.out: list[_Line] = []
        self.defined: set[str] = set()

    def add(self, content: str, comment: list[str] | str | None = None) -> None:
        if isinstance(comment, list):
            if len(comment) > 1:
                raise _fail(f"two comments would end one line: {' / '.join(comment)}")
            comment = comment[0] if comment else None
        self.out.append(_Line(content.rstrip(), comment))

    def comments(self, texts: list[str], indent: int) -> None:
        for text in texts:
            self.out.append(_Line(" " * indent + text))

    def blank(self) -> None:
        """One separating empty line (none after a kept ``|+`` block scalar's own empty lines)."""
        if self.out and self.out[-1].content:
            self.out.append(_Line(""))

    # -- values ------------------------------------------------------------

    def _deref(self, node: _Node) -> tuple[_Node, str]:
        """The node to write here and its property prefix (``&a`` / ``*a``)."""
        if node.kind == "alias":
            assert node.target is not None and node.anchor is not None
            if node.anchor in self.defined:
                return node, f"*{node.anchor}"
            node = node.target
        if node.anchor is not None:
            if node.anchor in self.defined:
                return _Node("alias", node.line, node.col, 0, 0, anchor=node.anchor), f"*{node.anchor}"
            return node, f"&{node.anchor}"
        return node, ""

    def inline(self, node: _Node, defined: set[str], *, flow: bool) -> str | None:
        """``node`` on one line, or None if it cannot be."""
        if node.kind == "alias":
            assert node.anchor is not None and node.target is not None
            if node.anchor in defined:
                return f"*{node.anchor}"
            node = node.target
        prefix = ""
        if node.anchor is not None:
            if node.anchor in defined:
                return f"*{node.anchor}"
            defined.add(node.anchor)
            prefix = f"&{node.anchor} "
        if node.tag and node.kind != "scalar":
            prefix += node.tag + " "
        if node.kind == "scalar":
            if _multiline(node):
                return None
            return " ".join(x for x in (prefix.strip(), _scalar_text(node, flow=flow)) if x)
        if not node.flow or node.force_block:
            return None
        parts: list[str] = []
        for entry in _ordered(node):
            value = self.inline(entry.value, defined, flow=True)
            if value is None:
                return None
            if entry.key is None:
                parts.append(value)
            else:
                key = _scalar_text(entry.key, flow=True)
                parts.append(f"{key}: {value}" if value else key)
        body = ", ".join(parts)
        return prefix + ("{" + body + "}" if node.kind == "map" else "[" + body + "]")

    def value(self, head: str, node: _Node, indent: int, eol: list[str]) -> None:
        """Write ``node`` after ``head`` (``  key:`` or ``  -``); block content at ``indent``."""
        node, props = self._deref(node)
        if node.kind == "alias":
            self.add(f"{head} {props}", eol)
            return
        if node.kind == "scalar":
            self.scalar(head, node, props, indent, eol)
            return
        if node.flow and not node.force_block:
            trial = set(self.defined)
            text = self.inline(node, trial, flow=False)
            if text is not None and (not node.entries or display_width(f"{head} {text}") <= WIDTH):
                self.defined = trial
                self.add(f"{head} {text}", eol)
                return
        if props:
            self.defined.add(props[1:])
        tag = f" {node.tag}" if node.tag else ""
        head_line = f"{head} {props}{tag}".rstrip() if (props or tag) else head
        if node.kind == "map":
            if head.endswith("-") and not props and not tag and not eol:
                self.block_map(node, indent, first_prefix=head + " ")
            else:
                self.add(head_line, eol)
                self.block_map(node, indent)
        else:
            if head.endswith("-") and not props and not tag and not eol:
                self.block_seq(node, indent, first_prefix=head + " ")
            else:
                self.add(head_line, eol)
                self.block_seq(node, indent)

    def scalar(self, head: str, node: _Node, props: str, indent: int, eol: list[str]) -> None:
        lead = " ".join(x for x in (props, node.tag) if x)
        if node.style in ("|", ">"):
            self._block_scalar(head, node, lead, indent, eol)
            return
        if len(node.lines) > 1:
            self.add(" ".join(x for x in (head, lead, node.lines[0]) if x))
            for text in node.lines[1:-1]:
                self.add(" " * indent + text.strip() if text.strip() else "")
            self.add(" " * indent + node.lines[-1].strip(), eol)
            return
        # a one-line scalar: _scalar_text already carries an explicit tag
        self.add(" ".join(x for x in (head, props, _scalar_text(node, flow=False)) if x), eol)

    def _block_scalar(self, head: str, node: _Node, lead: str, indent: int, eol: list[str]) -> None:
        self.add(" ".join(x for x in (head, lead, node.header) if x), eol)
        digits = [ch for ch in node.header if ch.isdigit()]
        content = node.lines
        parent_old = node.parent.col if node.parent is not None else 0
        if digits:  # content sits <digit> columns right of its entry
            shift = (indent - INDENT) - parent_old
        else:
            widths = [len(x) - len(x.lstrip(" ")) for x in content if x.strip()]
            shift = (indent - min(widths)) if widths else 0
        for text in content:
            if not text.strip():
                self.out.append(_Line("", verbatim=True))
            elif shift >= 0:
                self.out.append(_Line(" " * shift + text, verbatim=True))
            else:
                if text[: -shift].strip():
                    raise _fail("cannot re-indent a block scalar", line=node.line + 1)
                self.out.append(_Line(text[-shift:], verbatim=True))

    def map_entry(self, entry: _Entry, indent: int, first_prefix: str | None = None) -> None:
        assert entry.key is not None
        key = entry.key.lines[0] if entry.key.lines else ""
        if entry.key.style in ('"', "'") and plain_ok(entry.key.value, flow=False):
            key = entry.key.value
        head = (first_prefix if first_prefix is not None else " " * indent) + key + ":"
        self.value(head, entry.value, indent + INDENT, entry.eol)

    def seq_item(self, entry: _Entry, indent: int, first_prefix: str | None = None) -> None:
        head = (first_prefix if first_prefix is not None else " " * indent) + "-"
        self.value(head, entry.value, indent + INDENT, entry.eol)

    def block_map(self, node: _Node, indent: int, first_prefix: str | None = None) -> None:
        for i, entry in enumerate(_ordered(node)):
            prefix = first_prefix if i == 0 else None
            if prefix is not None:
                # comments above the first key of a "- key:" item go above the dash
                self.comments(entry.leading, indent - INDENT)
            else:
                self.comments(entry.leading, indent)
            self.map_entry(entry, indent, prefix)
            self.comments(entry.trailing, indent)

    def block_seq(self, node: _Node, indent: int, first_prefix: str | None = None) -> None:
        for i, entry in enumerate(node.entries):
            prefix = first_prefix if i == 0 else None
            self.comments(entry.leading, indent - INDENT if prefix is not None else indent)
            self.seq_item(entry, indent, prefix)
            self.comments(entry.trailing, indent)

    def document(self, doc: _Document) -> None:
        head = [list(g) for g in doc.head]
        flat = [t for g in head for t in g]
        schema_line = next((t for t in flat if _SCHEMA_COMMENT.match(t)), None)
        if schema_line is not None and flat[0] != schema_line:
            for g in head:
                if schema_line in g:
                    g.remove(schema_line)
            head = [[schema_line]] + [g for g in head if g]
        for i, group in enumerate(head):
            if i:
                self.blank()
            self.comments(group, 0)
        if head and doc.head_gap:
            self.blank()
        if doc.explicit_start:
            self.add("---")
        root = doc.root
        if root.kind == "map" and not (root.flow and not root.force_block and not root.entries):
            if root.flow and not root.force_block:
                text = self.inline(root, set(self.defined), flow=False)
                if text is not None and display_width(text) <= WIDTH:
                    self.add(text)
                    self.comments(doc.tail, 0)
                    return
            for i, entry in enumerate(_ordered(root)):
                if i and entry.name not in HEADER_KEYS:
                    self.blank()
                self.comments(entry.leading, 0)
                self.map_entry(entry, 0)
                self.comments(entry.trailing, 0)
        elif root.kind == "seq" and not (root.flow and not root.force_block):
            for entry in root.entries:
                self.comments(entry.leading, 0)
                self.seq_item(entry, 0)
                self.comments(entry.trailing, 0)
        else:
            trial = set(self.defined)
            text = self.inline(root, trial, flow=False)
            if text is None:
                raise _fail("fmt formats a mapping, a sequence or a one-line value")
            self.add(text)
        self.comments(doc.tail, 0)

    def text(self) -> str:
        lines = list(self.out)
        _align(lines)
        while lines and not lines[-1].content and not lines[-1].verbatim:
            lines.pop()
        rendered = []
        for line in lines:
            if line.comment is None:
                rendered.append(line.content if line.verbatim else line.content.rstrip())
            else:
                rendered.append(f"{line.content}{' ' * line.pad}{line.comment}".rstrip())
        return "\n".join(rendered) + "\n"


def _indent_of(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _align(lines: list[_Line]) -> None:
    """Align end-of-line comments of consecutive lines at one indentation."""
    i = 0
    while i < len(lines):
        if lines[i].comment is None:
            i += 1
            continue
        j = i
        indent = _indent_of(lines[i].content)
        while j + 1 < len(lines) and lines[j + 1].comment is not None and _indent_of(lines[j + 1].content) == indent:
            j += 1
        column = max(display_width(line.content) for line in lines[i : j + 1]) + 2
        for line in lines[i : j + 1]:
            line.pad = column - display_width(line.content)
        i = j + 1


# ---------------------------------------------------------------- entry point


def _render(text: str, *, reorder: bool) -> tuple[str, Counter[str]]:
    """The formatted text and the comments of the input."""
    reader = _Reader(text)
    root = reader.read()
    doc = _Document(root, explicit_start=reader.explicit_start)
    comments = reader.comments()
    _attach(doc, comments, reader.lines)
    if reorder:
        _assign_schemas(root, PolicyDocument, set())
    writer = _Writer()
    writer.document(doc)
    return writer.text(), Counter(c.text for c in comments)


def format_text(text: str, *, reorder: bool = True) -> str:
    """``text`` in the canonical layout (see the module docs).

    ``reorder=False`` keeps every key where it is (for files that are not
    policies, such as case files); everything else is the same. Raises
    :class:`~warrantykit.errors.PolicyError` when the strict reader rejects the
    input, or (code ``fmt-unsafe``) when the result would not read back as the
    same data with the same comments.
    """
    before, _ = read_yaml(text)
    out, comments = _render(text, reorder=reorder)
    try:
        after, _ = read_yaml(out)
    except PolicyError as exc:
        raise _fail(
            "formatting would make the file unreadable; left unchanged "
            f"(first problem: {exc.first}). Please report this."
        ) from None
    if after != before:
        raise _fail("formatting would change the data; left unchanged. Please report this.")
    if comment_lines(out) != comments:
        raise _fail("formatting would lose or change a comment; left unchanged. Please report this.")
    return out
