"""``warrantykit fmt [--check] [--diff] PATH...``: write policies in the canonical layout.

Rewrites each file in place (see :mod:`warrantykit.policies.fmt` for the
layout). Folders are searched recursively and globs expanded as for
``check``, but fmt takes every ``.yaml``/``.yml`` file: policies, include
fragments (``*.inc.yaml``) and case files (``*.cases.yaml``). Case files are
not policies, so their keys are never reordered; everything else about the
layout applies to them too.

* ``--check``: write nothing; list the files that would change and exit 1 if any would.
* ``--diff``: write nothing; print a unified diff of every change (with
  ``--check``, also exit 1 when there is one).

Exit codes: 0 done (or nothing to change), 1 a file would change under
``--check`` or could not be formatted (it is then left as it is), 2 a path
does not exist.
"""

from __future__ import annotations

import argparse
import difflib
import glob
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from warrantykit.cli.common import print_problems
from warrantykit.errors import PolicyError, Problem
from warrantykit.policies.fmt import format_text

__all__ = ["expand_yaml_paths", "register", "run"]

CASE_SUFFIXES = (".cases.yaml", ".cases.yml")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "fmt", help="write policy files in the canonical layout (comments kept)"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any file would change"
    )
    p.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    p.set_defaults(handler=run)


def expand_yaml_paths(items: Iterable[str]) -> Iterator[Path]:
    """Files, folders (recursively) and globs -> every YAML file, sorted, without duplicates."""
    seen: set[Path] = set()
    for item in items:
        matches = sorted(glob.glob(item, recursive=True)) if glob.has_magic(item) else [item]
        if not matches:
            raise FileNotFoundError(item)
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found = sorted(
                    p for p in path.rglob("*") if p.is_file() and p.name.endswith((".yaml", ".yml"))
                )
            elif path.exists():
                found = [path]
            else:
                raise FileNotFoundError(item)
            for f in found:
                if f not in seen:
                    seen.add(f)
                    yield f


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically, keeping its permissions."""
    mode = path.stat().st_mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    try:
        files = list(expand_yaml_paths(args.paths))
    except FileNotFoundError as exc:
        print(f"warrantykit fmt: no such file or folder: {exc.args[0]}", file=sys.stderr)
        return 2
    write = not (args.check or args.diff)
    changed: list[Path] = []
    failed = 0
    for path in files:
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print_problems([Problem(message=f"cannot read: {exc}", file=str(path), code="io")], "text")
            failed += 1
            continue
        try:
            formatted = format_text(original, reorder=not path.name.endswith(CASE_SUFFIXES))
        except PolicyError as exc:
            located = [
                Problem(p.message, p.path, p.file or str(path), p.line, p.column, p.code)
                for p in exc.problems
            ]
            print_problems(located, "text")
            failed += 1
            continue
        if formatted == original:
            continue
        changed.append(path)
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    original.splitlines(keepends=True),
                    formatted.splitlines(keepends=True),
                    fromfile=f"{path} (original)",
                    tofile=f"{path} (formatted)",
                )
            )
        elif args.check:
            print(f"would reformat {path}")
        if write:
            _write(path, formatted)
            print(f"reformatted {path}")
    verb = "reformatted" if write else "would be reformatted"
    summary = f"{len(changed)} of {len(files)} files {verb}"
    if failed:
        summary += f", {failed} could not be formatted"
    print(summary, file=sys.stderr)
    if failed:
        return 1
    return 1 if args.check and changed else 0
