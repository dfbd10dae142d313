"""``warrantykit test PATH...``: run policy case files (``*.cases.yaml``).

PATH may be case files, policy files (their sibling case file runs), folders
(searched recursively) or globs. Each case evaluates its facts under its
policy and compares the keys its ``expect`` names (the format is described in
:mod:`warrantykit.testing.cases`). A failing case prints expected against
actual per key, the decision's reasons trace and the case's ``file:line``.

Coverage by rule: after the run a table lists, per policy, how many of its
terms, exclusions, remedy rules, cost-table lines, SLA metrics and targets,
severity rules and schedule rules some case exercised (its id appears in the
reasons of a case's decision), and names the rules none did. Policies found
in a folder argument without any case file are listed with nothing
exercised. ``--min-coverage N`` fails when any policy's coverage is below N %.

``--format text`` (default) is for people, ``json`` for tools, ``junit`` is
JUnit XML for CI test reports (one ``testcase`` per case, with ``file`` and
``line``; an xfailed case is ``skipped``).

Exit codes: 0 every case passed (xfailed cases included) and coverage is
reached; 1 a case failed or errored, an xfail case passed, a case file is
invalid, no case was found, or coverage is below ``--min-coverage``; 2 usage
errors (no such file or folder).
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warrantykit.cli.common import expand_paths, print_problems, problem_json
from warrantykit.errors import PolicyError, Problem
from warrantykit.testing.cases import (
    CaseFile,
    CaseResult,
    CaseRunner,
    PolicyCoverage,
    coverage,
    display_path,
    find_case_files,
    load_case_file,
    sibling_policy,
)

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "test",
        help="run policy case files (*.cases.yaml): expected vs actual, coverage by rule",
        description="Run the cases of *.cases.yaml files against their policies.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="case files, policies, folders or globs")
    p.add_argument("--format", choices=("text", "json", "junit"), default="text")
    p.add_argument(
        "--min-coverage",
        type=float,
        metavar="N",
        help="fail when a policy's rule coverage is below N percent",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list every case, not only failures")
    p.add_argument("-k", dest="keyword", metavar="TEXT", help="only cases whose name contains TEXT")
    p.set_defaults(handler=run)


def _policies_in(paths: Sequence[str]) -> list[Path]:
    """Policy files under the folder arguments (to report those without case files)."""
    out: list[Path] = []
    for item in paths:
        if Path(item).is_dir():
            try:
                out.extend(expand_paths([item]))
            except FileNotFoundError:  # pragma: no cover - checked before
                pass
    return out


def run(args: argparse.Namespace) -> int:
    try:
        files = find_case_files(args.paths)
    except FileNotFoundError as exc:
        print(f"warrantykit test: no such file or folder: {exc.args[0]}", file=sys.stderr)
        return 2
    runner = CaseRunner()
    loaded: list[CaseFile] = []
    bad: list[tuple[Path, list[Problem]]] = []
    for path in files:
        try:
            loaded.append(load_case_file(path))
        except PolicyError as exc:
            bad.append((path, list(exc.problems)))
    results: list[tuple[CaseFile, list[CaseResult]]] = []
    for case_file in loaded:
        cases = [
            c for c in case_file.cases if not args.keyword or args.keyword in c.name
        ]
        results.append((case_file, [runner.run(c) for c in cases]))
    tested = {cf.policy_path.resolve() for cf in loaded}
    tested |= {sibling_policy(f).resolve() for f in files}
    untested = [p for p in _policies_in(args.paths) if p.resolve() not in tested]
    cov = coverage(runner, untested)
    low = (
        [c for c in cov if c.percent + 1e-9 < args.min_coverage]
        if args.min_coverage is not None
        else []
    )
    all_results = [r for _, rs in results for r in rs]
    failed = [r for r in all_results if not r.ok]
    if args.format == "json":
        _print_json(results, bad, cov, args.min_coverage, low)
    elif args.format == "junit":
        _print_junit(results, bad, cov)
    else:
        _print_text(results, bad, cov, args.verbose, args.min_coverage, low)
    if not files:
        print("warrantykit test: no case files (*.cases.yaml) found", file=sys.stderr)
        return 1
    if args.format != "text" and low:
        for c in low:
            print(
                f"warrantykit test: coverage of {c.policy_id} is {c.percent:.1f} %, "
                f"below --min-coverage {args.min_coverage:g}",
                file=sys.stderr,
            )
    return 1 if failed or bad or low else 0


def _summary(results: Sequence[CaseResult]) -> dict[str, int]:
    out = {"passed": 0, "failed": 0, "error": 0, "xfailed": 0, "xpassed": 0}
    for r in results:
        out[r.outcome] += 1
    return out


def _summary_text(counts: dict[str, int]) -> str:
    parts = [f"{n} {k}" for k, n in counts.items() if n]
    return ", ".join(parts) if parts else "no cases"


_MARK = {"passed": "ok", "failed": "FAIL", "error": "ERROR", "xfailed": "xfail", "xpassed": "XPASS"}


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _print_text(
    results: list[tuple[CaseFile, list[CaseResult]]],
    bad: list[tuple[Path, list[Problem]]],
    cov: list[PolicyCoverage],
    verbose: bool,
    min_coverage: float | None,
    low: list[PolicyCoverage],
) -> None:
    for path, problems in bad:
        print(f"INVALID  {display_path(path)}")
        print_problems(problems, "text")
    for case_file, rs in results:
        counts = _summary(rs)
        ok = all(r.ok for r in rs)
        print(f"{'PASS' if ok else 'FAIL'}  {case_file.file}  ({_summary_text(counts)})")
        for r in rs:
            if verbose or not r.ok or r.outcome == "xfailed":
                mark = _MARK[r.outcome]
                extra = f"  ({r.case.xfail})" if r.outcome == "xfailed" else ""
                print(f"  {mark:<5} :{r.case.line}  {r.case.name}{extra}")
            if not r.ok:
                print(_indent(r.diff()))
                print()
    if cov:
        print()
        print("Coverage by rule (a rule is exercised when its id is in a case's reasons):")
        width = max(len(c.policy_id) for c in cov)
        print(f"  {'policy':<{width}}  cases  rules  covered       %")
        for c in cov:
            print(
                f"  {c.policy_id:<{width}}  {c.cases:>5}  {c.total:>5}  {c.covered:>7}  {c.percent:>6.1f}"
            )
        total = sum(c.total for c in cov)
        covered = sum(c.covered for c in cov)
        percent = 100.0 if not total else 100.0 * covered / total
        print(
            f"  {'TOTAL':<{width}}  {sum(c.cases for c in cov):>5}  {total:>5}  {covered:>7}  {percent:>6.1f}"
        )
        for c in cov:
            if c.uncovered:
                print(f"  not exercised in {c.policy_id} ({c.file}):")
                for item in c.uncovered:
                    print(f"    {item.key}  ({item.kind}, {item.source})")
    all_results = [r for _, rs in results for r in rs]
    print()
    line = _summary_text(_summary(all_results))
    if bad:
        line += f"; {len(bad)} invalid case file(s)"
    print(line)
    for c in low:
        print(
            f"coverage of {c.policy_id} is {c.percent:.1f} %, below --min-coverage {min_coverage:g}"
        )


def _print_json(
    results: list[tuple[CaseFile, list[CaseResult]]],
    bad: list[tuple[Path, list[Problem]]],
    cov: list[PolicyCoverage],
    min_coverage: float | None,
    low: list[PolicyCoverage],
) -> None:
    all_results = [r for _, rs in results for r in rs]
    body = {
        "passed": not bad and not low and all(r.ok for r in all_results),
        "summary": _summary(all_results),
        "invalid": [
            {"file": display_path(path), "problems": [problem_json(p) for p in problems]}
            for path, problems in bad
        ],
        "cases": [r.to_json() for r in all_results],
        "coverage": {
            "min_coverage": min_coverage,
            "below": [c.policy_id for c in low],
            "policies": [c.to_json() for c in cov],
        },
    }
    json.dump(body, sys.stdout, indent=2, ensure_ascii=False)
    print()


def _print_junit(
    results: list[tuple[CaseFile, list[CaseResult]]],
    bad: list[tuple[Path, list[Problem]]],
    cov: list[PolicyCoverage],
) -> None:
    root = ET.Element("testsuites", name="warrantykit test")
    by_file = {c.file: c for c in cov}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case_file, rs in results:
        counts = _summary(rs)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=case_file.file,
            tests=str(len(rs)),
            failures=str(counts["failed"] + counts["xpassed"]),
            errors=str(counts["error"]),
            skipped=str(counts["xfailed"]),
            file=case_file.file,
        )
        policy_cov = by_file.get(display_path(case_file.policy_path))
        if policy_cov is not None:
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="policy", value=policy_cov.policy_id)
            ET.SubElement(props, "property", name="coverage", value=f"{policy_cov.percent:.1f}")
        totals["tests"] += len(rs)
        totals["failures"] += counts["failed"] + counts["xpassed"]
        totals["errors"] += counts["error"]
        totals["skipped"] += counts["xfailed"]
        for r in rs:
            case = r.case
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=(r.policy_id or Path(case.file).name).replace(".", "_"),
                name=case.name,
                file=case.file,
                line=str(case.line),
            )
            if r.outcome == "failed":
                first = r.mismatches[0].key if r.mismatches else "mismatch"
                ET.SubElement(tc, "failure", message=f"{first} differs", type="mismatch").text = (
                    r.diff()
                )
            elif r.outcome == "xpassed":
                ET.SubElement(
                    tc, "failure", message=f"passed but marked xfail: {case.xfail}", type="xpass"
                ).text = r.diff()
            elif r.outcome == "error":
                ET.SubElement(tc, "error", message=(r.error or "error").splitlines()[0]).text = (
                    r.diff()
                )
            elif r.outcome == "xfailed":
                ET.SubElement(tc, "skipped", message=f"xfail: {case.xfail}")
    for path, problems in bad:
        name = display_path(path)
        suite = ET.SubElement(
            root, "testsuite", name=name, tests="1", failures="0", errors="1", skipped="0", file=name
        )
        tc = ET.SubElement(suite, "testcase", classname="case_file", name="load", file=name)
        problem = problems[0]
        ET.SubElement(tc, "error", message=problem.message, type="invalid-case-file").text = "\n".join(
            str(p) for p in problems
        )
        if problem.line is not None:
            tc.set("line", str(problem.line))
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    sys.stdout.write(ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")
