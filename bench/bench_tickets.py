#!/usr/bin/env python3
"""Whole-ticket SLA evaluation throughput: ``Policy.evaluate_ticket`` on parsed tickets.

A policy with 3 metrics (response 2 h, arrival 8 h, resolution 24 h, each with a 75 %
at-risk threshold) and 2 pause reasons; every ticket has 2 pauses (one stopping only the
arrival clock, one stopping every clock), a response, an arrival and no resolution yet,
and is judged 2 days after opening.  Measured on two calendars:

* ``7x24`` -- the implicit round-the-clock calendar (real time);
* ``cn-office-5x8`` -- Mon-Fri 09:00-17:00 on Chinese working days (holidays and make-up
  days of the ``holidays`` package).

Tickets are parsed once beforehand (``parse_facts``), so pydantic is not in the measured
path; "parse + evaluate" adds validation of the JSON text, and "evaluate + to_json" the
rendering.  Target: >= 50,000 evaluated tickets/s.  Each figure is the median of
``--runs`` runs.  Prints a table; exits 1 when the target is missed.

``--profile CALENDAR`` prints instead where the time of "evaluate" goes on that
calendar: cProfile's top functions by own time (inflated by the profiler's per-call
cost, so read the shares, not the absolute times).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.facts import Ticket, parse_facts

POLICIES = Path(__file__).resolve().parent.parent / "policies"
TZ = ZoneInfo("Asia/Shanghai")
TARGET = 50_000.0

POLICY = """\
id: bench-tickets
version: 1.0.0
title: ticket benchmark
source: {{name: bench}}
timezone: Asia/Shanghai
include: [shared/cn-calendars.inc.yaml]
sla:
  severities: [{{id: high}}, {{id: low}}]
  default_severity: low
  pause_reasons:
    - {{id: customer, clause: P.1}}
    - {{id: travel, clause: P.2, stops: [arrival]}}
  metrics:
    - {{id: response, clause: M.1, kind: response, stops: responded, calendar: {cal},
       targets: [{{within: 2 hours}}], at_risk_percent: [75]}}
    - {{id: arrival, clause: M.2, kind: arrival, stops: arrived, calendar: {cal},
       targets: [{{within: 8 hours}}], at_risk_percent: [75]}}
    - {{id: resolution, clause: M.3, kind: resolution, stops: resolved, calendar: {cal},
       targets: [{{within: 24 hours}}], at_risk_percent: [75]}}
"""


def policy_for(calendar: str) -> Policy:
    return load_policy(POLICY.format(cal=calendar), base_dir=POLICIES, file="bench.yaml")


def tickets(n: int, seed: int = 7) -> list[tuple[str, Ticket, datetime]]:
    """(JSON text, parsed ticket, as_of) for ``n`` tickets opened during 2024."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        opened = datetime(2024, 1, 2, tzinfo=TZ) + timedelta(
            minutes=rng.randrange(0, 360 * 24 * 60)
        )

        def at(minutes: int, opened: datetime = opened) -> str:
            return (opened + timedelta(minutes=minutes)).isoformat()

        data = {
            "id": f"T-{i}",
            "opened_at": opened.isoformat(),
            "channel": "phone",
            "events": [
                {"type": "responded", "at": at(30)},
                {"type": "paused", "reason": "travel", "at": at(60)},
                {"type": "resumed", "at": at(120)},
                {"type": "arrived", "at": at(300)},
                {"type": "paused", "reason": "customer", "at": at(400)},
                {"type": "resumed", "at": at(900)},
            ],
        }
        text = json.dumps(data)
        out.append((text, parse_facts(Ticket, text, name="ticket"), opened + timedelta(days=2)))
    return out


def _interleaved(fns: list[Callable[[], int]], runs: int) -> list[float]:
    """Median operations per second of each ``fn``, run round-robin for ``runs`` rounds."""
    rates: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            n = fn()
            rates[i].append(n / (time.perf_counter() - t0))
    return [statistics.median(r) for r in rates]


def measure(calendar: str, n: int, runs: int) -> dict[str, float]:
    policy = policy_for(calendar)
    cases = tickets(n)
    evaluate = policy.evaluate_ticket

    def run_evaluate() -> int:
        for _text, ticket, as_of in cases:
            evaluate(ticket, as_of=as_of)
        return n

    def run_parse() -> int:
        for text, _ticket, as_of in cases:
            evaluate(text, as_of=as_of)
        return n

    def run_json() -> int:
        for _text, ticket, as_of in cases:
            evaluate(ticket, as_of=as_of).to_json()
        return n

    run_evaluate()  # warm calendars and per-policy plans
    names = ("evaluate", "parse + evaluate", "evaluate + to_json")
    return dict(zip(names, _interleaved([run_evaluate, run_parse, run_json], runs), strict=True))


def profile(calendar: str, n: int) -> None:
    import cProfile
    import pstats

    policy = policy_for(calendar)
    cases = tickets(n)
    evaluate = policy.evaluate_ticket
    for _text, ticket, as_of in cases:
        evaluate(ticket, as_of=as_of)
    profiler = cProfile.Profile()
    profiler.enable()
    for _text, ticket, as_of in cases:
        evaluate(ticket, as_of=as_of)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--n", type=int, default=2_000, help="tickets per run")
    parser.add_argument(
        "--profile", metavar="CALENDAR", choices=("7x24", "cn-office-5x8"), help="profile instead"
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, args.n)
        return 0
    print(
        f"# {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}; median of {args.runs} runs, {args.n} tickets each "
        f"(3 metrics, 2 pauses)"
    )
    print(f"{'calendar':<15} {'measure':<20} {'tickets/s':>12} {'us/ticket':>10}  target")
    failed = False
    for calendar in ("7x24", "cn-office-5x8"):
        for name, rate in measure(calendar, args.n, args.runs).items():
            target = ""
            if name == "evaluate":
                ok = rate >= TARGET
                failed |= not ok
                target = f">= {TARGET:,.0f}/s {'yes' if ok else 'NO'}"
            print(f"{calendar:<15} {name:<20} {rate:>12,.0f} {1e6 / rate:>10.1f}  {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
