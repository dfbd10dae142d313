"""``warrantykit sla POLICY TICKET --as-of INSTANT``: SLA clocks of one service ticket.

Prints the ticket's severity and, for every metric of the policy's ``sla:``
section, its deadline on the metric's business calendar, pauses and state
(met / breached / running / paused / pending ...) at ``--as-of``, as text or
JSON (``warrantykit.ticket-decision/1``, documented in ``docs/sla.md``).

``TICKET`` is a ``.json``/``.yaml`` file or ``-`` (stdin, JSON or YAML) holding
a ticket (``{"opened_at": ..., "events": [...]}``) or a mapping with a single
``ticket`` key.  ``--as-of`` is an ISO 8601 instant with a UTC offset
(``2024-10-08T10:00:00+08:00``); ``Z`` is accepted for UTC.

Exit 0 on success, 1 when the policy or the ticket is invalid (the problems go
to stderr, each naming the field, e.g. ``ticket.events[3].at``), 2 on usage
errors (an unreadable ``--as-of``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warrantykit.cli.common import read_data
from warrantykit.engine.compiled import load_policy
from warrantykit.errors import FactsError, Problem, WarrantykitError

__all__ = ["register", "run"]


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 instant (e.g. 2024-10-08T10:00:00+08:00): {text!r}"
        ) from None


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sla",
        help="SLA clocks of a service ticket: deadlines, pauses, met / breached / at risk",
        description="Evaluate a service ticket against a policy's SLA at an instant.",
    )
    p.add_argument("policy", metavar="POLICY", help="policy file")
    p.add_argument("ticket", metavar="TICKET", help="ticket facts: .json, .yaml or - for stdin")
    p.add_argument(
        "--as-of",
        dest="as_of",
        type=_instant,
        required=True,
        metavar="INSTANT",
        help="judge the clocks at this instant (ISO 8601 with a UTC offset)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=run)


def _unwrap(data: Any, label: str) -> Any:
    if isinstance(data, Mapping) and set(data) == {"ticket"}:
        return data["ticket"]
    if data is None:
        raise FactsError(Problem(f"{label} is empty", path="ticket", file=label))
    return data


def run(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.policy)
        ticket = _unwrap(read_data(args.ticket), args.ticket)
        decision = policy.evaluate_ticket(ticket, as_of=args.as_of)
    except WarrantykitError as exc:
        problems: tuple[Problem, ...] = getattr(exc, "problems", ())
        if problems:
            for problem in problems:
                print(f"warrantykit sla: {problem}", file=sys.stderr)
        else:
            print(f"warrantykit sla: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        json.dump(decision.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        sys.stdout.write(decision.explain())
    return 0
