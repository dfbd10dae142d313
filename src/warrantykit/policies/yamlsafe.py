"""Strict, located YAML reading for policy files.

PyYAML's safe loader is the parser; this module builds the Python values
itself so it can refuse everything that silently changes meaning and remember
where every value came from:

* duplicate keys in a mapping;
* YAML 1.1 implicit booleans other than ``true``/``false`` (``yes``, ``no``,
  ``on``, ``off``, ``y``, ``n``): quote them if a string is meant;
* octal-looking integers (``0755``, ``0o17``) and base-60 numbers (``1:30`` is
  the integer 90 in YAML 1.1): quote them;
* naive timestamps (a date with a time but no UTC offset);
* alias expansion beyond :data:`MAX_ALIASES` uses or :data:`MAX_NODES` values
  in total (the "billion laughs" attack);
* nesting deeper than :data:`MAX_DEPTH`, files larger than :data:`MAX_BYTES`;
* tags other than the standard scalar ones (``!!python/object`` and friends
  never reach a constructor);
* scalars YAML would resolve to something impossible (``2024-13-01``) or
  non-finite (``.inf``, ``.nan``, ``1e400``).

Mapping keys are names: a plain key is always taken as its text (``no:`` is the
key ``"no"``, ``1:`` the key ``"1"``), so keys never change meaning.

All problems found in a document are collected and raised together as one
:class:`~warrantykit.errors.PolicyError`. :func:`read_yaml_partial` returns
them with the data instead when the rest of the document is still usable (a
rejected scalar becomes ``None``, a duplicate key is skipped), so a caller can
report them together with problems found later.

The result is plain data (``dict``, ``list``, ``str``, ``int``, ``float``,
``bool``, ``None``, ``date``, aware ``datetime``) plus a :class:`SourceMap`
from field paths to ``(line, column)``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from warrantykit.errors import PolicyError, Problem

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Located",
    "Path",
    "SourceMap",
    "FATAL_CODES",
    "format_path",
    "read_yaml",
    "read_yaml_partial",
]

MAX_BYTES = 1_048_576
"""Largest policy file accepted (1 MiB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""
MAX_ALIASES = 100
"""Most alias (``*name``) uses accepted in one document."""
MAX_NODES = 200_000
"""Most values constructed from one document, counting alias expansion."""

Path = tuple[str | int, ...]

FATAL_CODES = frozenset(
    {
        "size-limit",
        "depth-limit",
        "alias-limit",
        "alias-recursive",
        "encoding",
        "yaml-syntax",
        "empty",
        "multiple-documents",
    }
)
"""Problem codes after which a document cannot be read at all (always raised)."""

_TRUE_FALSE = {"true", "false", "True", "False", "TRUE", "FALSE"}
_OCTALISH = re.compile(r"^[-+]?0[0-7_]+$|^[-+]?0o[0-7_]+$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_TAG_STR = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def format_path(path: Path) -> str:
    """Render a field path the way error messages show it: ``terms[2].length``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class Located:
    line: int
    column: int


@dataclass
class SourceMap:
    """Where each value of a document came from (1-based line and column)."""

    file: str | None
    positions: dict[Path, Located] = field(default_factory=dict)
    key_positions: dict[Path, Located] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[Path, Located | None]:
        """The position of ``path``, or of its closest ancestor that has one.

        With ``key=True`` the position of the mapping key is preferred (an
        unknown key is reported where the key is written).
        """
        probe = tuple(path)
        while True:
            if key and probe in self.key_positions:
                return probe, self.key_positions[probe]
            if probe in self.positions:
                return probe, self.positions[probe]
            if not probe:
                return probe, None
            probe = probe[:-1]

    def problem(self, path: Path, message: str, *, code: str, key: bool = False) -> Problem:
        _, loc = self.locate(path, key=key)
        return Problem(
            message=message,
            path=format_path(path),
            file=self.file,
            line=loc.line if loc else None,
            column=loc.column if loc else None,
            code=code,
        )


class _Builder:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.aliases = 0
        self.nodes = 0
        self._seen: set[int] = set()
        self._open: set[int] = set()  # collections being built (ancestors of the current node)
        self.aborted = False

    def fail(self, node: Node, path: Path, message: str, code: str) -> None:
        self.problems.append(
            Problem(
                message=message,
                path=format_path(path),
                file=self.source.file,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                code=code,
            )
        )

    def build(self, node: Node, path: Path, depth: int) -> Any:
        if self.aborted:
            return None
        self.nodes += 1
        if id(node) in self._open:
            self.fail(
                node,
                path,
                "an alias refers to a value that contains it (a recursive structure)",
                "alias-recursive",
            )
            self.aborted = True
            return None
        if id(node) in self._seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES or self.nodes > MAX_NODES:
                self.fail(
                    node,
                    path,
                    f"too many alias expansions (limit {MAX_ALIASES} aliases, "
                    f"{MAX_NODES} values); refusing to expand further",
                    "alias-limit",
                )
                self.aborted = True
                return None
        if self.nodes > MAX_NODES:
            self.fail(node, path, f"document has more than {MAX_NODES} values", "size-limit")
            self.aborted = True
            return None
        if depth > MAX_DEPTH:
            self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels", "depth-limit")
            self.aborted = True
            return None
        self.source.positions.setdefault(
            path, Located(node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if node.tag not in _ALLOWED_TAGS:
            self.fail(node, path, f"YAML tag {node.tag!r} is not allowed in a policy", "yaml-tag")
            return None
        if isinstance(node, MappingNode | SequenceNode):
            self._seen.add(id(node))
            self._open.add(id(node))
            try:
                if isinstance(node, MappingNode):
                    return self._mapping(node, path, depth)
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            finally:
                self._open.discard(id(node))
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, path, "merge keys ('<<') are not supported", "yaml-merge")
                continue
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, path, "mapping keys must be plain strings", "yaml-key")
                continue
            if key_node.tag not in _ALLOWED_TAGS:
                self.fail(
                    key_node,
                    path,
                    f"YAML tag {key_node.tag!r} is not allowed in a policy",
                    "yaml-tag",
                )
                continue
            # keys are names: always their text, so `no:` or `1:` never change meaning
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                first = self.source.key_positions.get(child)
                where = f" (first defined on line {first.line})" if first else ""
                self.fail(key_node, child, f"duplicate key {key!r}{where}", "duplicate-key")
                continue
            self.source.key_positions[child] = Located(
                key_node.start_mark.line + 1, key_node.start_mark.column + 1
            )
            out[key] = self.build(value_node, child, depth + 1)
        return out

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        value: str = node.value
        tag = node.tag
        if node.style is not None or tag == _TAG_STR:
            return value
        if tag == "tag:yaml.org,2002:bool":
            if value not in _TRUE_FALSE:
                self.fail(
                    node,
                    path,
                    f"{value!r} is a YAML 1.1 boolean; write true or false, "
                    f"or quote it if the text {value!r} is meant",
                    "yaml-boolean",
                )
                return None
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            if _SEXAGESIMAL.match(value):
                self.fail(
                    node,
                    path,
                    f"{value!r} is a base-60 number in YAML 1.1 (not a time); quote it",
                    "yaml-sexagesimal",
                )
                return None
            if _OCTALISH.match(value):
                self.fail(
                    node,
                    path,
                    f"{value!r} looks octal and would change value; quote it or drop the leading 0",
                    "yaml-octal",
                )
                return None
            return self._construct(node, path, "number")
        if tag == "tag:yaml.org,2002:float":
            if _SEXAGESIMAL.match(value):
                self.fail(
                    node,
                    path,
                    f"{value!r} is a base-60 number in YAML 1.1; quote it",
                    "yaml-sexagesimal",
                )
                return None
            number = self._construct(node, path, "number")
            if isinstance(number, float) and not math.isfinite(number):
                self.fail(
                    node,
                    path,
                    f"{value!r} is not a finite number; quote it if the text is meant",
                    "yaml-nonfinite",
                )
                return None
            return number
        if tag == "tag:yaml.org,2002:timestamp":
            result = self._construct(node, path, "date or time")
            if isinstance(result, dt.datetime) and result.tzinfo is None:
                self.fail(
                    node,
                    path,
                    f"naive datetime {value!r}: add a UTC offset (e.g. +08:00) or Z",
                    "naive-datetime",
                )
                return None
            return result
        return self._construct(node, path, "value")

    def _construct(self, node: ScalarNode, path: Path, what: str) -> Any:
        try:
            return _construct(node)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.fail(
                node,
                path,
                f"{node.value!r} is not a valid {what} ({reason}); quote it if the text is meant",
                "yaml-scalar",
            )
            return None


_CONSTRUCTOR = yaml.SafeLoader("")


def _construct(node: ScalarNode) -> Any:
    return _CONSTRUCTOR.construct_object(node, deep=True)


class _DepthError(Exception):
    def __init__(self, mark: yaml.Mark, path: Path) -> None:
        super().__init__()
        self.mark = mark
        self.path = path


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit while composing.

    PyYAML composes nodes recursively; without a limit ``[[[[...]]]]`` a few
    thousand levels deep exhausts the Python stack (``RecursionError``).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._stack: list[str | int | None] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if parent is None:
            part: str | int | None = None  # the document root
        elif isinstance(index, int):
            part = index
        elif isinstance(index, ScalarNode):
            part = str(index.value)
        else:
            part = "?"  # a mapping key, or a complex key's value
        depth = len(self._stack)  # ancestors of the node about to be composed
        if depth > MAX_DEPTH:
            path = tuple(p for p in (*self._stack[1:], part) if p is not None)
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _DepthError(event.start_mark, path)
        self._stack.append(part)
        try:
            return super().compose_node(parent, index)
        finally:
            self._stack.pop()


def _line_column(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def _compose(text: str, source: SourceMap) -> Iterator[Node]:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line: int | None = None
        column: int | None = None
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        if isinstance(exc.position, int):
            line, column = _line_column(text, exc.position)
        raise PolicyError(
            Problem(
                message=f"character {char!r} is not allowed in YAML ({exc.reason})",
                file=source.file,
                line=line,
                column=column,
                code="yaml-syntax",
            )
        ) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    except _DepthError as exc:
        raise PolicyError(
            Problem(
                message=f"nesting deeper than {MAX_DEPTH} levels",
                path=format_path(exc.path),
                file=source.file,
                line=exc.mark.line + 1,
                column=exc.mark.column + 1,
                code="depth-limit",
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PolicyError(
            Problem(
                message=f"YAML syntax error: {exc.problem or exc.context}",
                file=source.file,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                code="yaml-syntax",
            )
        ) from None
    except yaml.YAMLError as exc:  # reader errors (bad characters) have no mark
        raise PolicyError(
            Problem(message=f"YAML error: {exc}", file=source.file, code="yaml-syntax")
        ) from None
    finally:
        loader.dispose()


def read_yaml(text: str | bytes, *, file: str | None = None) -> tuple[Any, SourceMap]:
    """Parse one YAML document strictly; return its plain data and source map.

    Raises :class:`PolicyError` listing every problem found.
    """
    data, source, problems = read_yaml_partial(text, file=file)
    if problems:
        raise PolicyError(problems)
    return data, source


def read_yaml_partial(
    text: str | bytes, *, file: str | None = None
) -> tuple[Any, SourceMap, list[Problem]]:
    """Like :func:`read_yaml`, but return problems that leave the document usable.

    A rejected scalar (``yes``, ``0755``, a naive datetime, a forbidden tag)
    is returned as ``None`` and a duplicate or merge key is skipped; the
    problems come back as the third item. Problems that make the document
    unreadable (:data:`FATAL_CODES`: syntax errors, limits, several documents)
    are raised as :class:`PolicyError`.
    """
    source = SourceMap(file=file)
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > MAX_BYTES:
        raise PolicyError(
            Problem(
                message=f"file is {size} bytes; the limit is {MAX_BYTES}",
                file=file,
                code="size-limit",
            )
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(
                Problem(message=f"not UTF-8: {exc}", file=file, code="encoding")
            ) from None
    nodes = list(_compose(text, source))
    if not nodes:
        raise PolicyError(Problem(message="the document is empty", file=file, code="empty"))
    if len(nodes) > 1:
        second = nodes[1]
        raise PolicyError(
            Problem(
                message="one policy per file: found a second YAML document",
                file=file,
                line=second.start_mark.line + 1,
                column=second.start_mark.column + 1,
                code="multiple-documents",
            )
        )
    builder = _Builder(source)
    data = builder.build(nodes[0], (), 0)
    if builder.aborted:
        raise PolicyError([p for p in builder.problems if p.code in FATAL_CODES] or builder.problems)
    return data, source, builder.problems
