"""Load a policy file: strict YAML, ``extends``/``include``, validation, references.

:func:`load_document` returns a validated :class:`PolicyDocument` and a
:class:`Locations` table that tells, for any field path of the merged document,
which file, line and column it came from. Every problem found is reported in
one :class:`~warrantykit.errors.PolicyError`, located as
``policies/hvac.yaml:42:7: terms[2].length: unknown unit 'monthes' (did you mean 'months'?)``.

Reuse rules
-----------
``include: [shared/cn-calendars.inc.yaml]`` merges the ``calendars`` and
``seasons`` of fragment files (which may contain nothing else); a name defined
twice is an error.

``extends: templates/company.yaml`` starts from another policy. The child's
top-level fields replace the parent's, except:

* ``calendars``, ``seasons`` and ``costs`` merge by name (the child's entry wins);
* the rule lists ``warranties``, ``terms``, ``exclusions``, ``remedies`` and
  ``schedule`` merge by ``id``. A child rule whose id the parent already has
  must say ``override: true`` (it replaces the parent's rule) or
  ``remove: true`` (it deletes it); silently shadowing a rule is an error.

Paths are relative to the file that names them. Cycles are errors.

Problems are collected, not stopped at: a rejected YAML scalar, a shadowed
rule or a missing fragment is reported together with what validation finds in
the rest of the document. Cross-references are checked in the same run: when
some rules fail validation they are set aside (a whole term, exclusion, remedy,
schedule rule, SLA metric..., a calendar or season by name, or a top-level
field) and the rest is checked, treating the ids and names the set-aside parts
define as existing, so that no follow-on error is reported for them. After a
problem with ``extends``/``include`` or a duplicate key, parts of the document
may be missing altogether, and references are checked only once those are
fixed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from warrantykit.errors import PolicyError, Problem
from warrantykit.policies.models import FieldProblem, PolicyDocument
from warrantykit.policies.references import check_references
from warrantykit.policies.yamlsafe import Located, Path, format_path, read_yaml_partial

__all__ = ["Locations", "LoadedDocument", "load_document", "RULE_LISTS"]

RULE_LISTS = ("warranties", "terms", "exclusions", "remedies", "schedule")
NAMED_MAPS = ("calendars", "seasons")
MAX_CHAIN = 16
FRAGMENT_KEYS = frozenset({"calendars", "seasons", "include"})


@dataclass(frozen=True, slots=True)
class Origin:
    file: str | None
    line: int
    column: int


@dataclass
class Locations:
    """Field path of the merged document -> where it was written."""

    values: dict[Path, Origin] = field(default_factory=dict)
    keys: dict[Path, Origin] = field(default_factory=dict)
    default_file: str | None = None

    def locate(self, path: Path, *, key: bool = False) -> Origin | None:
        probe = tuple(path)
        while True:
            if key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return None
            probe = probe[:-1]

    def problem(self, path: Path, message: str, *, code: str, key: bool = False) -> Problem:
        origin = self.locate(path, key=key)
        return Problem(
            message=message,
            path=format_path(path),
            file=origin.file if origin else self.default_file,
            line=origin.line if origin else None,
            column=origin.column if origin else None,
            code=code,
        )

    def shifted(self, old: Path, new: Path) -> Locations:
        """Positions under ``old`` re-rooted under ``new`` (for merged list items)."""
        out = Locations(default_file=self.default_file)
        n = len(old)
        for table, target in ((self.values, out.values), (self.keys, out.keys)):
            for path, origin in table.items():
                if path[:n] == old:
                    target[new + path[n:]] = origin
        return out

    def update(self, other: Locations) -> None:
        self.values.update(other.values)
        self.keys.update(other.keys)


@dataclass(frozen=True)
class LoadedDocument:
    """A validated policy document with its source locations and content hash."""

    document: PolicyDocument
    locations: Locations
    content_hash: str
    files: tuple[str, ...]


def _from_source(file: str | None, positions: Mapping[Path, Located], keys: Mapping[Path, Located]) -> Locations:
    loc = Locations(default_file=file)
    loc.values = {p: Origin(file, v.line, v.column) for p, v in positions.items()}
    loc.keys = {p: Origin(file, v.line, v.column) for p, v in keys.items()}
    return loc


@dataclass
class _Raw:
    data: dict[str, Any]
    loc: Locations
    files: list[str]
    texts: list[bytes]


class _Unreadable(Exception):
    """A file named by a policy cannot be opened (reported where it is named)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _read_bytes(path: FsPath) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _Unreadable("not-found", "not found") from None
    except IsADirectoryError:
        raise _Unreadable("io", "is a folder, not a file") from None
    except OSError as exc:
        raise _Unreadable("io", exc.strerror or type(exc).__name__) from None
    except ValueError as exc:  # e.g. a NUL character in the name
        raise _Unreadable("io", str(exc)) from None


def _target(base: FsPath, name: str) -> FsPath:
    try:
        return (base / name).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise _Unreadable("io", str(exc) or type(exc).__name__) from None


def _read(path: FsPath, display: str, problems: list[Problem]) -> tuple[Any, Locations, bytes] | None:
    """Read one YAML file; ``None`` (with the problems added) if it cannot be parsed.

    Raises :class:`_Unreadable` if the file cannot be opened. Problems that
    leave the document usable are added to ``problems`` and the data returned.
    """
    raw = _read_bytes(path)
    try:
        data, source, found = read_yaml_partial(raw, file=display)
    except PolicyError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(found)
    return data, _from_source(display, source.positions, source.key_positions), raw


def _display(path: FsPath) -> str:
    try:
        return str(path.resolve().relative_to(FsPath.cwd()))
    except ValueError:
        return str(path)


class _Resolver:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def resolve(
        self,
        data: Any,
        loc: Locations,
        base: FsPath,
        chain: tuple[FsPath, ...],
        files: list[str],
        texts: list[bytes],
    ) -> _Raw | None:
        if not isinstance(data, dict):
            self.problems.append(
                loc.problem((), "a policy is a YAML mapping of fields", code="type")
            )
            return None
        data = dict(data)
        # includes first: they only contribute calendars and seasons
        includes = data.get("include") or []
        if not isinstance(includes, list):
            self.problems.append(loc.problem(("include",), "include is a list of file paths", code="type"))
            includes = []
        for index, name in enumerate(includes):
            self._include(data, loc, base, chain, files, texts, name, ("include", index))
        parent_name = data.get("extends")
        if parent_name is None:
            return _Raw(data, loc, files, texts)
        if not isinstance(parent_name, str):
            self.problems.append(loc.problem(("extends",), "extends is a file path", code="type"))
            return None
        try:
            target = _target(base, parent_name)
            if target in chain:
                cycle = " -> ".join(_display(p) for p in (*chain, target))
                self.problems.append(loc.problem(("extends",), f"extends cycle: {cycle}", code="cycle"))
                return None
            if len(chain) > MAX_CHAIN:
                self.problems.append(
                    loc.problem(("extends",), f"extends chain longer than {MAX_CHAIN} files", code="cycle")
                )
                return None
            read = _read(target, _display(target), self.problems)
        except _Unreadable as exc:
            what = "template not found" if exc.code == "not-found" else f"cannot read template ({exc.reason})"
            self.problems.append(loc.problem(("extends",), f"{what}: {parent_name}", code=exc.code))
            return None
        if read is None:
            return None
        pdata, ploc, ptext = read
        files.append(_display(target))
        texts.append(ptext)
        parent = self.resolve(pdata, ploc, target.parent, (*chain, target), files, texts)
        if parent is None:
            return None
        return self._merge(parent, _Raw(data, loc, files, texts))

    def _include(
        self,
        data: dict[str, Any],
        loc: Locations,
        base: FsPath,
        chain: tuple[FsPath, ...],
        files: list[str],
        texts: list[bytes],
        name: object,
        at: Path,
    ) -> None:
        if not isinstance(name, str):
            self.problems.append(loc.problem(at, "include is a list of file paths", code="type"))
            return
        try:
            target = _target(base, name)
            if target in chain:
                cycle = " -> ".join(_display(p) for p in (*chain, target))
                self.problems.append(loc.problem(at, f"include cycle: {cycle}", code="cycle"))
                return
            read = _read(target, _display(target), self.problems)
        except _Unreadable as exc:
            what = "included file not found" if exc.code == "not-found" else f"cannot read included file ({exc.reason})"
            self.problems.append(loc.problem(at, f"{what}: {name}", code=exc.code))
            return
        if read is None:
            return
        fdata, floc, ftext = read
        files.append(_display(target))
        texts.append(ftext)
        if not isinstance(fdata, dict):
            self.problems.append(floc.problem((), "an included file is a mapping", code="type"))
            return
        extra = sorted(set(fdata) - FRAGMENT_KEYS)
        if extra:
            self.problems.append(
                floc.problem(
                    (extra[0],),
                    f"an included file may only define calendars and seasons, not '{extra[0]}'",
                    code="unknown-key",
                    key=True,
                )
            )
            return
        nested_names = fdata.get("include") or []
        if not isinstance(nested_names, list):
            self.problems.append(floc.problem(("include",), "include is a list of file paths", code="type"))
            nested_names = []
        for index, nested in enumerate(nested_names):
            self._include(fdata, floc, target.parent, (*chain, target), files, texts, nested, ("include", index))
        for section in NAMED_MAPS:
            entries = fdata.get(section)
            if entries is None:
                continue
            if not isinstance(entries, dict):
                self.problems.append(floc.problem((section,), f"{section} is a mapping", code="type"))
                continue
            merged = dict(data.get(section) or {})
            for key, value in entries.items():
                if key in merged:
                    self.problems.append(
                        floc.problem(
                            (section, key),
                            f"{section[:-1]} '{key}' is defined twice (here and in the including file)",
                            code="duplicate-name",
                            key=True,
                        )
                    )
                    continue
                merged[key] = value
                loc.update(floc.shifted((section, key), (section, key)))
            data[section] = merged

    def _merge(self, parent: _Raw, child: _Raw) -> _Raw:
        data = dict(parent.data)
        loc = Locations(default_file=child.loc.default_file)
        # start from the parent's locations for the keys we keep
        for key, value in child.data.items():
            if key in RULE_LISTS and isinstance(value, list) and isinstance(data.get(key), list):
                data[key], sub = self._merge_rules(key, parent, child)
                loc.update(sub)
            elif key in (*NAMED_MAPS, "costs") and isinstance(value, dict) and isinstance(data.get(key), dict):
                merged = dict(data[key])
                loc.update(parent.loc.shifted((key,), (key,)))
                for name, entry in value.items():
                    merged[name] = entry
                    # drop the parent's positions for a replaced entry
                    for table in (loc.values, loc.keys):
                        for p in [p for p in table if p[:2] == (key, name)]:
                            del table[p]
                    loc.update(child.loc.shifted((key, name), (key, name)))
                data[key] = merged
            else:
                data[key] = value
                loc.update(child.loc.shifted((key,), (key,)))
        for key in data:
            if key not in child.data:
                loc.update(parent.loc.shifted((key,), (key,)))
        loc.values.setdefault((), child.loc.values.get((), Origin(child.loc.default_file, 1, 1)))
        data.pop("extends", None)
        return _Raw(data, loc, child.files, child.texts)

    def _merge_rules(self, key: str, parent: _Raw, child: _Raw) -> tuple[list[Any], Locations]:
        out: list[Any] = []
        loc = Locations()
        origins: list[tuple[Locations, Path]] = []
        index_of: dict[Any, int] = {}
        for i, item in enumerate(parent.data[key]):
            index_of[item.get("id") if isinstance(item, dict) else None] = len(out)
            out.append(item)
            origins.append((parent.loc, (key, i)))
        for i, item in enumerate(child.data[key]):
            if not isinstance(item, dict):
                out.append(item)
                origins.append((child.loc, (key, i)))
                continue
            item = dict(item)
            override = item.pop("override", None)
            remove = item.pop("remove", None)
            rid = item.get("id")
            if rid in index_of and index_of[rid] is not None:
                at = index_of[rid]
                if remove is True:
                    out[at] = None
                elif override is True:
                    out[at] = item
                    origins[at] = (child.loc, (key, i))
                else:
                    self.problems.append(
                        child.loc.problem(
                            (key, i, "id"),
                            f"'{rid}' is already defined by the template; "
                            f"add 'override: true' to replace it or 'remove: true' to delete it",
                            code="shadowed-rule",
                        )
                    )
                continue
            if (override is not None or remove is not None) and rid is None:
                self.problems.append(
                    child.loc.problem(
                        (key, i),
                        "'override' and 'remove' need the 'id' of the template's rule",
                        code="unknown-override",
                    )
                )
                continue
            if override is not None or remove is not None:
                self.problems.append(
                    child.loc.problem(
                        (key, i, "id"),
                        f"'{rid}' is not in the template, so it cannot be overridden or removed",
                        code="unknown-override",
                    )
                )
                continue
            index_of[rid] = len(out)
            out.append(item)
            origins.append((child.loc, (key, i)))
        final: list[Any] = []
        for item, (src, old) in zip(out, origins, strict=True):
            if item is None:
                continue
            loc.update(src.shifted(old, (key, len(final))))
            final.append(item)
        loc.values.setdefault((key,), child.loc.values.get((key,), Origin(None, 1, 1)))
        return final, loc


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Map a pydantic error location onto the data path (drop union tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                out.append(part)
                node = node[part]
                continue
            if isinstance(part, str) and node.get("kind") == part:
                continue  # discriminated-union tag
            if part == "in_" and "in" in node:
                out.append("in")
                node = node["in"]
                continue
            out.append(part)
            node = None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif node is None:
            out.append(part)
        else:
            # inside a scalar written as shorthand ("36 months", "acceptance"):
            # the scalar itself is the place to point at
            break
    return tuple(out)


def _annotation_models(annotation: Any) -> list[type[BaseModel]]:
    """Model classes inside an annotation (through Optional, tuples, dicts, unions)."""
    out: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop(0)
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item not in out:
                out.append(item)
            continue
        stack.extend(typing.get_args(item))
    return out


def _is_mapping(annotation: Any) -> bool:
    """Whether values of this field are reached through a mapping key (calendars, costs)."""
    stack = [annotation]
    while stack:
        item = stack.pop()
        origin = typing.get_origin(item)
        if origin is dict:
            return True
        if origin in (tuple, list):
            continue
        stack.extend(typing.get_args(item))
    return False


def _field(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields.get(name)
    if info is not None:
        return info
    for candidate in model.model_fields.values():
        if candidate.alias == name:
            return candidate
    return None


def _kind_tags(model: type[BaseModel]) -> tuple[Any, ...]:
    info = model.model_fields.get("kind")
    return typing.get_args(info.annotation) if info is not None else ()


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that owns the last part of a pydantic error location (for suggestions)."""
    candidates: list[type[BaseModel]] = [PolicyDocument]
    key_next = False
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if key_next:  # a name in a mapping: calendars.<name>, costs.covered.<line>
            key_next = False
            continue
        if len(candidates) > 1:  # a discriminated union: the tag picks the member
            tagged = [c for c in candidates if part in _kind_tags(c)]
            if tagged:
                candidates = tagged
                continue
        owner = next((c for c in candidates if _field(c, part) is not None), None)
        if owner is None:
            continue  # a union member's name, such as 'function-after[...]'
        annotation = _field(owner, part).annotation
        candidates = _annotation_models(annotation)
        if not candidates:
            return None
        key_next = _is_mapping(annotation)
    return candidates[0] if len(candidates) == 1 else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _describe(value: Any) -> str:
    """How a wrongly typed value is shown in a message."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, dt.datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


_EXPECTED = {
    "string_type": "text",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping of fields",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD) without a time",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
}

_UNION_MEMBER = re.compile(
    r"^(?:int|str|bool|float|decimal|date|datetime|none|bytes|function-.*|.*\[.*\])$"
)
_SHOULD_BE = re.compile(r"^Input should be (?:a valid )?(.+?)(?:, .*)?$")
_SUBJECT = re.compile(
    r"^(?:'([^']*)'|cannot read '([^']*)'|unknown weekday(?: range)? '([^']*)'"
    r"|weekday range '([^']*)'|weekday ([a-z]+) is given twice)"
)


def _type_message(kind: str, value: Any) -> str | None:
    expected = _EXPECTED.get(kind)
    if expected is None:
        return None
    message = f"expected {expected}, found {_describe(value)}"
    if kind == "string_type" and isinstance(value, int | float | dt.date):
        message += "; put it in quotes"
    return message


def _refine(data: Any, path: Path, message: str) -> tuple[Path, bool]:
    """Point a message about one quoted value at that value (``hours.mon-fri[1]``).

    Validators of a whole mapping (calendar hours, say) report on the mapping;
    when the message starts with the offending value and it occurs exactly once
    below, the problem is located there instead. Returns ``(path, is_key)``.
    """
    match = _SUBJECT.match(message)
    if not match:
        return path, False
    subject = next(g for g in match.groups() if g is not None)
    hits: list[tuple[Path, bool]] = []

    def walk(node: Any, at: Path) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == subject:
                    hits.append(((*at, k), True))
                walk(v, (*at, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*at, i))
        elif node == subject and at != path:
            hits.append((at, False))

    walk(_value_at(data, path), path)
    return hits[0] if len(hits) == 1 else (path, False)


@dataclass
class _Found:
    path: Path
    message: str
    code: str
    key: bool = False
    suggestion: str | None = None


def _collapse(errors: list[ErrorDetails], data: Any) -> list[tuple[ErrorDetails, Path, str | None]]:
    """Merge the errors of one value against each member of a union into one.

    ``gt: abc`` fails as an integer, as a decimal and as a date; one problem
    (``expected one of: integer, decimal, date or datetime; found 'abc'``) says it.
    """
    out: list[tuple[ErrorDetails, Path, str | None]] = []
    groups: dict[Path, list[ErrorDetails]] = {}
    order: list[Path | None] = []
    for err in errors:
        raw = tuple(err["loc"])
        path = _data_path(data, raw)
        member = raw[len(path)] if len(raw) > len(path) else None
        if isinstance(member, str) and _UNION_MEMBER.match(member):
            if path not in groups:
                groups[path] = []
                order.append(path)
            groups[path].append(err)
        else:
            order.append(None)
            out.append((err, path, None))
    merged: list[tuple[ErrorDetails, Path, str | None]] = []
    plain = iter(out)
    for key in order:
        if key is None:
            merged.append(next(plain))
            continue
        group = groups[key]
        if len(group) == 1:
            merged.append((group[0], key, None))
            continue
        options: list[str] = []
        for err in group:
            msg = str(err["msg"])
            m = _SHOULD_BE.match(msg)
            option = m.group(1) if m else msg
            option = {"tuple": "a list", "list": "a list", "dictionary": "a mapping"}.get(option, option)
            if option not in options:
                options.append(option)
        message = f"expected one of: {', '.join(options)}; found {_describe(_value_at(data, key))}"
        merged.append((group[0], key, message))
    return merged


def _validation_problems(exc: ValidationError, data: Any, loc: Locations) -> list[Problem]:
    found: list[_Found] = []
    seen: set[tuple[str, str]] = set()
    errors = _collapse(exc.errors(), data)
    failed = [path for _, path, _ in errors]
    for err, path, collapsed in errors:
        raw_loc = tuple(err["loc"])
        kind = str(err["type"])
        if kind == "too_short" and any(len(f) > len(path) and f[: len(path)] == path for f in failed):
            continue  # a list whose items failed is not also too short
        msg = collapsed or str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        code = "invalid"
        key = False
        suggestion: str | None = None
        value = _value_at(data, path)
        raised = err.get("ctx", {}).get("error") if kind == "value_error" else None
        if isinstance(raised, FieldProblem):
            # a model validator naming one of its fields: point at that field
            path = (*path, raised.field)
            code = raised.code
            key = isinstance(value, dict) and raised.field in value
        elif collapsed is not None:
            code = "type"
        elif kind == "extra_forbidden":
            name = str(path[-1])
            model = _model_at(raw_loc)
            names = _field_names(model) if model else []
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            suggestion = close[0] if close else None
            msg = f"unknown key '{name}'" + (f" (did you mean '{suggestion}'?)" if suggestion else "")
            code = "unknown-key"
            key = True
        elif kind == "missing":
            msg = f"missing required field '{path[-1]}'"
            code = "missing"
        elif kind == "union_tag_invalid":
            ctx = err.get("ctx", {})
            tag = ctx.get("tag")
            expected = ctx.get("expected_tags", "")
            close = difflib.get_close_matches(str(tag), [t.strip(" '") for t in str(expected).split(",")], n=1)
            msg = f"unknown kind '{tag}'" + (f" (did you mean '{close[0]}'?)" if close else "") + f"; kinds are {expected}"
            path = (*path, "kind")
            code = "unknown-kind"
        elif kind == "union_tag_not_found":
            members = ", ".join(
                f"'{tag}'" for member in _annotation_models(_remedy_union()) for tag in _kind_tags(member)
            )
            msg = f"missing 'kind'; kinds are {members}"
            code = "missing"
        elif kind == "literal_error" or kind == "enum":
            expected = str(err.get("ctx", {}).get("expected", ""))
            options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
            close = difflib.get_close_matches(str(value), options, n=1)
            msg = (
                f"unknown value '{value}'"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f"; expected {expected}"
            )
            code = "unknown-value"
        elif kind == "timezone_aware":
            msg = "naive datetime: add a UTC offset"
            code = "naive-datetime"
        elif kind in ("model_type", "model_attributes_type") and isinstance(value, dict):
            continue
        elif (typed := _type_message(kind, value)) is not None:
            msg = typed
            code = "type"
        elif kind in ("greater_than_equal", "greater_than") and "0" in msg:
            code = "negative"
        elif msg.startswith("negative duration"):
            code = "negative"
        elif "unknown unit" in msg:
            code = "unknown-unit"
        elif "unknown time zone" in msg:
            code = "unknown-timezone"
        if kind == "value_error" and not isinstance(raised, FieldProblem):
            path, key = _refine(data, path, msg)
        marker = (format_path(path), msg)
        if marker in seen:
            continue
        seen.add(marker)
        found.append(_Found(path, msg, code, key, suggestion))
    # 'titel: x' is one mistake, not two: drop "missing 'title'" next to it
    suggested = {(*f.path[:-1], f.suggestion) for f in found if f.suggestion is not None}
    return [
        loc.problem(f.path, f.message, code=f.code, key=f.key)
        for f in found
        if not (f.code == "missing" and f.path in suggested)
    ]


def _remedy_union() -> Any:
    return PolicyDocument.model_fields["remedies"].annotation


def _value_at(data: Any, path: Path) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict | list):
            return None
        else:
            return node  # a shorthand scalar
    return node


def _within(path: str, other: str) -> bool:
    """``path`` is ``other`` or lies below it (``a.b[1]`` is within ``a.b``)."""
    return path == other or path.startswith((other + ".", other + "["))


_READER_CODES = frozenset({"duplicate-key", "naive-datetime"})


def _echoes(problem: Problem, earlier: list[Problem]) -> bool:
    """A validation problem caused by a value already reported (and dropped) by the reader."""
    for p in earlier:
        if p.file != problem.file or not (p.code.startswith("yaml-") or p.code in _READER_CODES):
            continue
        if (p.line, p.column) == (problem.line, problem.column) and p.line is not None:
            return True
        if p.path and problem.path and (_within(problem.path, p.path) or _within(p.path, problem.path)):
            return True
    return False


# ------------------------------------------------------------ references of a partly valid document

_ENTITY_LISTS: dict[Path, str | None] = {
    ("warranties",): "warranty",
    ("terms",): "term",
    ("exclusions",): None,
    ("remedies",): None,
    ("schedule",): None,
    ("sla", "severities"): "severity",
    ("sla", "severity_rules"): None,
    ("sla", "pause_reasons"): None,
    ("sla", "escalation"): None,
    ("sla", "metrics"): "metric",
}
"""Lists whose items are set aside one by one, and the kind of name an item's ``id`` defines."""

_NAMED_ENTRIES: dict[Path, str] = {("calendars",): "calendar", ("seasons",): "season"}
"""Mappings whose entries are set aside one by one (the key is the name)."""

_SECTION_KINDS: dict[str, tuple[str, ...]] = {
    "warranties": ("warranty",),
    "terms": ("term",),
    "calendars": ("calendar",),
    "seasons": ("season",),
    "sla": ("severity", "channel", "region", "metric", "event"),
}
"""Kinds of names a whole top-level field defines (when it is set aside as a whole)."""

_PLACEHOLDERS: dict[str, Any] = {
    "id": "set-aside",
    "version": "0.0.0",
    "title": "",
    "source": {"name": ""},
    "timezone": "UTC",
}
"""Stand-ins for required top-level fields that failed (no reference reads them)."""

_SALVAGE_ROUNDS = 4


def _reader_only(problems: list[Problem]) -> bool:
    """Problems of the YAML reader that only blank out values (a rejected scalar
    becomes None): the names the document defines are all still there."""
    return all(p.code.startswith("yaml-") or p.code == "naive-datetime" for p in problems)


def _set_aside_unit(path: Path) -> Path | None:
    """The smallest part of the document to set aside for an error at ``path``."""
    for n in (2, 3):
        if len(path) >= n:
            head, part = path[: n - 1], path[n - 1]
            if (head in _ENTITY_LISTS and isinstance(part, int)) or (
                head in _NAMED_ENTRIES and isinstance(part, str)
            ):
                return path[:n]
    return path[:1] or None


def _without(node: Any, at: Path, aside: set[Path], kept: dict[Path, list[int]]) -> Any:
    """``node`` (at ``at``) without the parts in ``aside``; ``kept`` records, for each
    list that lost items, the original index of every item left."""
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if (*at, key) in aside:
                if not at and key in _PLACEHOLDERS:
                    out[key] = _PLACEHOLDERS[key]
                continue
            out[key] = _without(value, (*at, key), aside, kept)
        if not at:
            for key in _PLACEHOLDERS:
                if (key,) in aside:
                    out[key] = _PLACEHOLDERS[key]
        return out
    if isinstance(node, list):
        indices = [i for i in range(len(node)) if (*at, i) not in aside]
        if len(indices) != len(node):
            kept[at] = indices
        return [_without(node[i], (*at, i), aside, kept) for i in indices]
    return node


def _written(path: Path, kept: dict[Path, list[int]]) -> Path:
    """A path of the document without the set-aside parts, as a path of the written one."""
    out: list[str | int] = list(path)
    for k, part in enumerate(path):
        indices = kept.get(tuple(out[:k]))
        if isinstance(part, int) and indices is not None and 0 <= part < len(indices):
            out[k] = indices[part]
    return tuple(out)


@dataclass
class _SetAside:
    """What is left of a document once the parts that failed validation are set aside."""

    document: PolicyDocument
    kept: dict[Path, list[int]]
    known: dict[str, set[str]]
    unknowable: set[str]  # kinds of names a set-aside part defined that cannot be listed

    def where(self, path: Path) -> Path:
        return _written(path, self.kept)

    def references(self, loc: Locations) -> list[Problem]:
        """The cross-reference problems of what is left, minus those the set-aside parts may cause."""
        silent = {f"unknown-{kind}" for kind in self.unknowable}
        if "warranty" in self.unknowable:
            silent.add("choice-without-alternatives")
        return [
            loc.problem(path, message, code=code)
            for path, message, code in check_references(self.document, known=self.known, where=self.where)
            if code not in silent
        ]


def _set_aside(data: dict[str, Any], exc: ValidationError) -> _SetAside | None:
    """Set aside the parts of ``data`` that fail validation, until the rest validates.

    None when an error cannot be confined to a part (or no progress is made).
    """
    aside: set[Path] = set()
    errors = exc.errors()
    current: Any = data  # what was validated last, and how its list indices map back
    kept: dict[Path, list[int]] = {}
    for _ in range(_SALVAGE_ROUNDS):
        units: set[Path] = set()
        for err in errors:
            unit = _set_aside_unit(_written(_data_path(current, tuple(err["loc"])), kept))
            if unit is None:
                return None
            units.add(unit)
        if units <= aside:
            return None
        aside |= units
        kept = {}
        current = _without(data, (), aside, kept)
        try:
            document = PolicyDocument.model_validate(current)
        except ValidationError as again:
            errors = again.errors()
            continue
        known: dict[str, set[str]] = {}
        unknowable: set[str] = set()
        for unit in aside:
            head = unit[:-1]
            if head in _NAMED_ENTRIES:
                known.setdefault(_NAMED_ENTRIES[head], set()).add(str(unit[-1]))
            elif head in _ENTITY_LISTS:
                kind = _ENTITY_LISTS[head]
                if kind is not None:
                    item = _value_at(data, unit)
                    rid = item.get("id") if isinstance(item, dict) else None
                    if isinstance(rid, str):
                        known.setdefault(kind, set()).add(rid)
                    else:
                        unknowable.add(kind)
            elif len(unit) == 1:
                unknowable.update(_SECTION_KINDS.get(str(unit[0]), ()))
        return _SetAside(document, kept, known, unknowable)
    return None


def _ordered(problems: list[Problem], files: list[str] | tuple[str, ...]) -> list[Problem]:
    """Problems in reading order: by file (the policy first), then line and column."""
    rank = {name: i for i, name in enumerate(files)}
    return sorted(
        problems,
        key=lambda p: (rank.get(p.file or "", len(rank)), p.line or 0, p.column or 0),
    )


def load_document(
    source: str | FsPath | bytes,
    *,
    file: str | None = None,
    base_dir: str | FsPath | None = None,
) -> LoadedDocument:
    """Read, resolve and validate one policy.

    ``source`` is a path, or the YAML text itself (``str``/``bytes`` containing a
    newline or not naming an existing file). ``base_dir`` resolves ``extends``
    and ``include`` of text input (default: the current directory).
    """
    problems: list[Problem] = []
    resolver = _Resolver()
    if isinstance(source, FsPath) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith((".yaml", ".yml"))
    ):
        path = FsPath(source)
        display = file or _display(path)
        try:
            read = _read(path, display, problems)
        except _Unreadable as exc:
            message = f"file not found: {display}" if exc.code == "not-found" else f"cannot read: {exc.reason}"
            raise PolicyError(Problem(message=message, file=display, code=exc.code)) from None
        if read is None:
            raise PolicyError(problems)
        data, loc, text = read
        base = path.resolve().parent
        chain: tuple[FsPath, ...] = (path.resolve(),)
        files = [display]
    else:
        display = file or "<policy>"
        try:
            text = source.encode("utf-8") if isinstance(source, str) else source
        except UnicodeEncodeError as exc:
            raise PolicyError(
                Problem(message=f"not valid Unicode text: {exc.reason}", file=display, code="encoding")
            ) from None
        data, smap, found = read_yaml_partial(text, file=display)
        problems.extend(found)
        loc = _from_source(display, smap.positions, smap.key_positions)
        base = FsPath(base_dir) if base_dir is not None else FsPath.cwd()
        chain = ()
        files = [display]
    texts = [text]
    raw = resolver.resolve(data, loc, base, chain, files, texts)
    problems.extend(resolver.problems)
    if raw is None:
        raise PolicyError(_ordered(problems or [Problem("invalid policy", file=display)], files))
    raw.data.pop("include", None)
    raw.data.pop("extends", None)
    # references are checked unless whole parts of the document may be missing
    complete = _reader_only(problems)
    try:
        document = PolicyDocument.model_validate(raw.data)
    except ValidationError as exc:
        found_now = _validation_problems(exc, raw.data, raw.loc)
        problems.extend(p for p in found_now if not _echoes(p, problems))
        rest = _set_aside(raw.data, exc) if complete else None
        if rest is not None:
            problems.extend(rest.references(raw.loc))
        raise PolicyError(_ordered(problems, raw.files)) from None
    if complete:
        problems.extend(
            raw.loc.problem(path, message, code=code) for path, message, code in check_references(document)
        )
    if problems:
        raise PolicyError(_ordered(problems, raw.files))
    digest = hashlib.sha256()
    for blob in raw.texts:
        digest.update(hashlib.sha256(blob).digest())
    return LoadedDocument(
        document=document,
        locations=raw.loc,
        content_hash="sha256:" + digest.hexdigest(),
        files=tuple(raw.files),
    )
