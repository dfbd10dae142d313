"""``warrantykit check PATH...``: validate policies for CI.

Exit 0 when every policy is valid, 1 when any is invalid, 2 on usage errors
(no such file). ``--format github`` prints ``::error file=…,line=…::``
annotations for GitHub Actions.

``--strict`` also runs the static analysis of :mod:`warrantykit.policies.lint`
(codes ``WK1nn``); its findings are then errors. Text output ends each finding
with its code (``[WK103]``); json and github output carry it as ``code`` /
``title``. A finding is suppressed by a ``# warrantykit: ignore WK103`` comment
on its line or on the line of an entry that contains it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from warrantykit.cli.common import expand_paths, print_problems, problem_json
from warrantykit.engine.compiled import load_policy
from warrantykit.errors import PolicyError, Problem
from warrantykit.policies.lint import CODES, lint


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "check", help="validate policy files (exit 1 if any is invalid)"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    p.add_argument("--format", choices=("text", "json", "github"), default="text")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also run the lint checks (WK101-WK106) and treat their findings as errors; "
        "'# warrantykit: ignore WKnnn' on a rule's line suppresses one",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = list(expand_paths(args.paths))
    except FileNotFoundError as exc:
        print(f"warrantykit check: no such file or folder: {exc.args[0]}", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []
    failed = 0
    for path in files:
        problems: list[Problem] = []
        summary: dict[str, Any] = {"file": str(path)}
        try:
            policy = load_policy(path)
            doc = policy.document
            summary.update(
                id=doc.id,
                version=doc.version,
                content_hash=policy.content_hash,
                terms=len(doc.terms),
                exclusions=len(doc.exclusions),
                remedies=len(doc.remedies),
                metrics=len(doc.sla.metrics) if doc.sla else 0,
                schedule=len(doc.schedule),
            )
            if args.strict:
                problems = lint(doc, policy.locations)
                if problems:
                    failed += 1
        except PolicyError as exc:
            problems = list(exc.problems)
            failed += 1
        summary["valid"] = not problems
        summary["problems"] = [problem_json(p) for p in problems]
        results.append(summary)
        if args.format == "json":
            continue
        if problems and args.format == "text":
            for p in problems:
                print(f"{p}  [{p.code}]" if p.code in CODES else str(p))
        elif problems:
            print_problems(problems, args.format)
        elif args.format == "text":
            print(f"ok  {path}  ({summary['id']} {summary['version']})")
    if args.format == "json":
        json.dump({"valid": failed == 0, "files": results}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif args.format == "text":
        print(f"{len(files) - failed} of {len(files)} policies valid")
    return 1 if failed else 0
