"""Helpers shared by the sub-commands: input files, output formats."""

from __future__ import annotations

import glob
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from warrantykit.errors import FactsError, PolicyError, Problem
from warrantykit.policies.yamlsafe import read_yaml

__all__ = ["expand_paths", "read_data", "print_problems", "is_policy_file"]

SKIP_SUFFIXES = (".cases.yaml", ".cases.yml", ".inc.yaml", ".inc.yml")


def is_policy_file(path: Path) -> bool:
    """A ``.yaml``/``.yml`` file that is not a case file or an include fragment."""
    name = path.name
    return name.endswith((".yaml", ".yml")) and not name.endswith(SKIP_SUFFIXES)


def expand_paths(items: Iterable[str]) -> Iterator[Path]:
    """Files, folders (recursively) and globs -> policy files, sorted, without duplicates."""
    seen: set[Path] = set()
    for item in items:
        magic = glob.has_magic(item)
        matches = sorted(glob.glob(item, recursive=True)) if magic else [item]
        if not matches:
            raise FileNotFoundError(item)
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found = sorted(p for p in path.rglob("*") if p.is_file() and is_policy_file(p))
            elif path.exists():
                # a file named explicitly is taken as it is; one found by a glob
                # must look like a policy (not a case file or an include fragment)
                found = [path] if not magic or is_policy_file(path) else []
            else:
                raise FileNotFoundError(item)
            for f in found:
                if f not in seen:
                    seen.add(f)
                    yield f


def read_data(name: str) -> Any:
    """Facts from a .json/.yaml file or ``-`` (stdin, JSON or YAML)."""
    if name == "-":
        text = sys.stdin.read()
        label = "<stdin>"
    else:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise FactsError(Problem(message=f"cannot read: {exc.strerror}", file=name)) from None
        label = name
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FactsError(
                Problem(message=f"cannot parse JSON: {exc.msg}", file=label, line=exc.lineno, column=exc.colno)
            ) from None
    # YAML facts go through the same strict reader as policies: keys stay text
    # (an unquoted `on:` is not the boolean true), yes/no and naive datetimes are errors
    try:
        data, _ = read_yaml(text, file=label)
    except PolicyError as exc:
        raise FactsError(exc.problems) from None
    return data


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def print_problems(problems: Iterable[Problem], fmt: str) -> None:
    """Print problems as text lines, GitHub annotations (json is handled by callers)."""
    for p in problems:
        if fmt == "github":
            props = [f"file={p.file}"] if p.file else []
            if p.line is not None:
                props.append(f"line={p.line}")
            if p.column is not None:
                props.append(f"col={p.column}")
            props.append(f"title={p.code}")
            field = f"{p.path}: " if p.path else ""
            print(f"::error {','.join(props)}::{_escape(field + p.message)}")
        else:
            print(str(p))


def problem_json(p: Problem) -> dict[str, Any]:
    return {
        "file": p.file,
        "line": p.line,
        "column": p.column,
        "path": p.path,
        "code": p.code,
        "message": p.message,
    }
