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
  never reach a constructor).

All problems found in a document are collected and raised together as one
:class:`~warrantykit.errors.PolicyError`.

The result is plain data (``dict``, ``list``, ``str``, ``int``, ``float``,
``bool``, ``None``, ``date``, aware ``datetime``) plus a :class:`SourceMap`
from field paths to ``(line, column)``.
"""

from __future__ import annotations

import datetime as dt
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
    "format_path",
    "read_yaml",
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
        self._aborted = False

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
        if self._aborted:
            return None
        self.nodes += 1
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
                self._aborted = True
                return None
        if self.nodes > MAX_NODES:
            self.fail(node, path, f"document has more than {MAX_NODES} values", "size-limit")
            self._aborted = True
            return None
        if depth > MAX_DEPTH:
            self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels", "depth-limit")
            self._aborted = True
            return None
        self.source.positions.setdefault(
            path, Located(node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if node.tag not in _ALLOWED_TAGS:
            self.fail(node, path, f"YAML tag {node.tag!r} is not allowed in a policy", "yaml-tag")
            return None
        if isinstance(node, MappingNode):
            self._seen.add(id(node))
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            self._seen.add(id(node))
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
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
            key = self._scalar(key_node, path)
            if isinstance(key, bool | int | float | dt.date) or key is None:
                # keys are names; a number or date key would be a silent conversion
                key = str(key_node.value)
            key = str(key)
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
            return _construct(node)
        if tag == "tag:yaml.org,2002:float" and _SEXAGESIMAL.match(value):
            self.fail(
                node, path, f"{value!r} is a base-60 number in YAML 1.1; quote it", "yaml-sexagesimal"
            )
            return None
        if tag == "tag:yaml.org,2002:timestamp":
            result = _construct(node)
            if isinstance(result, dt.datetime) and result.tzinfo is None:
                self.fail(
                    node,
                    path,
                    f"naive datetime {value!r}: add a UTC offset (e.g. +08:00) or Z",
                    "naive-datetime",
                )
                return None
            return result
        return _construct(node)


_CONSTRUCTOR = yaml.SafeLoader("")


def _construct(node: ScalarNode) -> Any:
    return _CONSTRUCTOR.construct_object(node, deep=True)


def _compose(text: str, source: SourceMap) -> Iterator[Node]:
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
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
    if builder.problems:
        raise PolicyError(builder.problems)
    return data, source
