"""``warrantykit schedule POLICY ASSET --from DATE --to DATE``: dated obligations.

Prints the obligations of the policy's ``schedule:`` rules for one asset due
in the horizon, with their status at ``--as-of`` (default: ``--to``) against
the ``--performed`` log, as text, JSON or an iCalendar file (RFC 5545).

``ASSET`` is a ``.json``/``.yaml`` file or ``-`` (stdin) holding an asset
(``{"id": ..., "dates": {"acceptance": "2025-03-01"}}``) or a mapping with a
single ``asset`` key.  ``--performed`` is a file holding a list of
``{obligation, on, note}`` entries or a mapping with a ``performed`` list
(an unquoted YAML ``on:`` key, which YAML 1.1 reads as ``true``, is accepted).

Exit 0 on success, 1 when the policy, the facts or the horizon are invalid
(the problems go to stderr), 2 on usage errors (bad date syntax).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import date
from typing import Any

from warrantykit.cli.common import read_data
from warrantykit.engine.compiled import load_policy
from warrantykit.errors import FactsError, Problem, WarrantykitError


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "schedule", help="list scheduled obligations (inspections, visits, reports) in a horizon"
    )
    p.add_argument("policy", metavar="POLICY", help="policy file")
    p.add_argument("asset", metavar="ASSET", help="asset facts: .json, .yaml or - for stdin")
    p.add_argument("--from", dest="start", type=_day, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=_day, required=True, metavar="DATE")
    p.add_argument(
        "--as-of",
        dest="as_of",
        type=_day,
        metavar="DATE",
        help="judge statuses here (default: --to)",
    )
    p.add_argument("--performed", metavar="FILE", help="log of performed work (.json/.yaml)")
    p.add_argument("--format", choices=("text", "json", "ics"), default="text")
    p.set_defaults(handler=run)


def _unwrap(data: Any, key: str, label: str) -> Any:
    if isinstance(data, Mapping) and set(data) == {key}:
        return data[key]
    if data is None:
        raise FactsError(Problem(f"{label} is empty", path=key, file=label))
    return data


def _yaml_on_key(entries: list[Any]) -> list[Any]:
    """Undo YAML 1.1's reading of an unquoted ``on:`` key as the boolean ``True``.

    :func:`~warrantykit.cli.common.read_data` uses PyYAML's safe loader, for
    which ``on: 2025-05-15`` is ``{True: date(2025, 5, 15)}``; the entry
    field is literally named ``on``, so such a key is put back.
    """
    fixed: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and True in entry and "on" not in entry:
            entry = {("on" if k is True else k): v for k, v in entry.items()}
        fixed.append(entry)
    return fixed


def run(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.policy)
        asset = _unwrap(read_data(args.asset), "asset", args.asset)
        performed: Any = ()
        if args.performed:
            performed = _unwrap(read_data(args.performed), "performed", args.performed)
            if not isinstance(performed, list):
                raise FactsError(
                    Problem(
                        "expected a list of performed entries",
                        path="performed",
                        file=args.performed,
                    )
                )
            performed = _yaml_on_key(performed)
        result = policy.schedule(
            asset, start=args.start, end=args.end, performed=performed, as_of=args.as_of
        )
    except WarrantykitError as exc:
        problems: tuple[Problem, ...] = getattr(exc, "problems", ())
        if problems:
            for problem in problems:
                print(f"warrantykit schedule: {problem}", file=sys.stderr)
        else:
            print(f"warrantykit schedule: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        json.dump(result.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif args.format == "ics":
        sys.stdout.flush()
        sys.stdout.buffer.write(result.to_ical())
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(result.explain())
    return 0
