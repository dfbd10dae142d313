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
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from warrantykit.errors import PolicyError, Problem
from warrantykit.policies.models import PolicyDocument
from warrantykit.policies.references import check_references
from warrantykit.policies.yamlsafe import Located, Path, format_path, read_yaml

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


def _read(path: FsPath, display: str, problems: list[Problem]) -> tuple[Any, Locations, bytes] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(message=f"file not found: {display}", file=display, code="not-found"))
        return None
    except OSError as exc:
        problems.append(Problem(message=f"cannot read: {exc.strerror}", file=display, code="io"))
        return None
    try:
        data, source = read_yaml(raw, file=display)
    except PolicyError as exc:
        problems.extend(exc.problems)
        return None
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
        includes = data.get("include", [])
        if includes and not (isinstance(includes, list) and all(isinstance(i, str) for i in includes)):
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
        target = (base / parent_name).resolve()
        if target in chain:
            cycle = " -> ".join(_display(p) for p in (*chain, target))
            self.problems.append(loc.problem(("extends",), f"extends cycle: {cycle}", code="cycle"))
            return None
        if len(chain) > MAX_CHAIN:
            self.problems.append(loc.problem(("extends",), "extends chain too long", code="cycle"))
            return None
        read = _read(target, _display(target), self.problems)
        if read is None:
            if self.problems and self.problems[-1].code == "not-found":
                self.problems[-1] = loc.problem(
                    ("extends",), f"template not found: {parent_name}", code="not-found"
                )
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
        name: str,
        at: Path,
    ) -> None:
        target = (base / name).resolve()
        if target in chain:
            cycle = " -> ".join(_display(p) for p in (*chain, target))
            self.problems.append(loc.problem(at, f"include cycle: {cycle}", code="cycle"))
            return
        before = len(self.problems)
        read = _read(target, _display(target), self.problems)
        if read is None:
            if len(self.problems) > before and self.problems[-1].code == "not-found":
                self.problems[-1] = loc.problem(at, f"included file not found: {name}", code="not-found")
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
        for index, nested in enumerate(fdata.get("include", []) or []):
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


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that owns the field at ``loc`` (best effort, for suggestions)."""
    import types
    import typing

    current: Any = PolicyDocument
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            if info is None:
                for name, f in current.model_fields.items():
                    if f.alias == part:
                        info = current.model_fields[name]
                        break
            if info is None:
                # a discriminated union tag: find the member whose kind matches
                return None
            current = info.annotation
        args = _unwrap(current)
        candidates = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(candidates) == 1:
            current = candidates[0]
        elif candidates:
            tagged = [c for c in candidates if "kind" in c.model_fields]
            match = [
                c for c in tagged
                if typing.get_args(c.model_fields["kind"].annotation) == (part,)
            ]
            current = match[0] if match else candidates[0]
        _ = types
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> list[Any]:
    import typing

    stack = [annotation]
    out: list[Any] = []
    while stack:
        item = stack.pop()
        args = typing.get_args(item)
        if args:
            stack.extend(args)
        else:
            out.append(item)
    return out


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _validation_problems(exc: ValidationError, data: Any, loc: Locations) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors():
        raw_loc = tuple(err["loc"])
        path = _data_path(data, raw_loc)
        kind = str(err["type"])
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if msg.startswith("Assertion failed, "):
            msg = msg[len("Assertion failed, "):]
        code = "invalid"
        key = False
        if kind == "extra_forbidden":
            name = str(path[-1])
            model = _model_at(raw_loc)
            names = _field_names(model) if model else []
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            msg = f"unknown key '{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")
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
        elif kind == "literal_error" or kind == "enum":
            value = _value_at(data, path)
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
        elif kind in ("greater_than_equal", "greater_than") and "0" in msg:
            code = "negative"
        elif "unknown unit" in msg:
            code = "unknown-unit"
        elif "unknown time zone" in msg:
            code = "unknown-timezone"
        if kind in ("model_type", "model_attributes_type") and isinstance(_value_at(data, path), dict):
            continue
        marker = (format_path(path), msg)
        if marker in seen:
            continue
        seen.add(marker)
        problems.append(loc.problem(path, msg, code=code, key=key))
    return problems


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
        read = _read(path, display, problems)
        if read is None:
            raise PolicyError(problems)
        data, loc, text = read
        base = path.resolve().parent
        chain: tuple[FsPath, ...] = (path.resolve(),)
        files = [display]
    else:
        display = file or "<policy>"
        text = source.encode("utf-8") if isinstance(source, str) else source
        try:
            data, smap = read_yaml(text, file=display)
        except PolicyError:
            raise
        loc = _from_source(display, smap.positions, smap.key_positions)
        base = FsPath(base_dir) if base_dir is not None else FsPath.cwd()
        chain = ()
        files = [display]
    texts = [text]
    raw = resolver.resolve(data, loc, base, chain, files, texts)
    problems.extend(resolver.problems)
    if raw is None or problems:
        raise PolicyError(problems or [Problem("invalid policy", file=display)])
    raw.data.pop("include", None)
    raw.data.pop("extends", None)
    try:
        document = PolicyDocument.model_validate(raw.data)
    except ValidationError as exc:
        raise PolicyError(_validation_problems(exc, raw.data, raw.loc)) from None
    ref_problems = [
        raw.loc.problem(path, message, code=code) for path, message, code in check_references(document)
    ]
    if ref_problems:
        raise PolicyError(ref_problems)
    digest = hashlib.sha256()
    for blob in raw.texts:
        digest.update(hashlib.sha256(blob).digest())
    return LoadedDocument(
        document=document,
        locations=raw.loc,
        content_hash="sha256:" + digest.hexdigest(),
        files=tuple(raw.files),
    )
