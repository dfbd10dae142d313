#!/usr/bin/env python3
"""Business-time arithmetic: ``BusinessCalendar.add`` against pandas' ``CustomBusinessHour``.

Measured in one run, ratios against the baselines of the same run (docs/performance.md):

1. ``add`` vs pandas ``Timestamp + CustomBusinessHour(n)`` on the same inputs (a Mon-Fri
   09:00-17:00 calendar with China's 2024 public holidays as a holiday list; whole-hour
   durations, because ``CustomBusinessHour`` counts whole hours).  Every result is compared:
   equal, or equal under the documented closing-time convention (pandas reports the next
   opening where warrantykit reports the closing instant of the same business moment).
   Target: >= 20x faster, no other difference.
2. ``add`` throughput on a 5x8 calendar with a year of holidays (the CN calendar of the
   ``holidays`` package, make-up working days included), minute-resolution durations.
   Target: >= 300,000 adds/s.
3. A 400-hour duration costs at most 1.5x a 1-hour one.

Each figure is the median of ``--runs`` runs (default 7); compared figures are measured
round-robin so that they see the same machine load.  Prints a table; exits 1 when a
target is missed or a result differs.  Needs the ``bench`` extra (pandas):
``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import holidays

from warrantykit.engine.calendar import BusinessCalendar

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
TARGET_RATIO = 20.0
TARGET_ADDS = 300_000.0
TARGET_LONG = 1.5


def _interleaved(fns: list[Callable[[], int]], runs: int) -> list[float]:
    """Median operations per second of each ``fn`` (which returns how many it did).

    The functions run round-robin, ``runs`` rounds, so that compared figures see the
    same machine load (the ratios are what the targets judge)."""
    rates: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            n = fn()
            rates[i].append(n / (time.perf_counter() - t0))
    return [statistics.median(r) for r in rates]


def _inputs(n: int, seed: int, hours: tuple[int, int]) -> list[tuple[datetime, int]]:
    rng = random.Random(seed)
    base = datetime(2024, 1, 1)
    return [
        (base + timedelta(minutes=rng.randrange(0, 360 * 24 * 60)), rng.randrange(*hours))
        for _ in range(n)
    ]


def compare_with_pandas(n: int, runs: int) -> tuple[float, float, int, int, int]:
    """(our adds/s, pandas adds/s, exact matches, convention matches, differences)."""
    import pandas as pd

    days = sorted(holidays.country_holidays("CN", years=2024))
    cal = BusinessCalendar(
        name="cn-holiday-list-5x8",
        timezone=ZONE,
        weekly={d: [(clock(9), clock(17))] for d in range(5)},
        extra_holidays=days,
    )
    offsets = {
        h: pd.offsets.CustomBusinessHour(
            n=h, start="09:00", end="17:00", holidays=days, weekmask="Mon Tue Wed Thu Fri"
        )
        for h in range(1, 80)
    }
    cases = _inputs(n, seed=1, hours=(1, 80))
    ours_in = [(s.replace(tzinfo=TZ), timedelta(hours=h)) for s, h in cases]
    pandas_in = [(pd.Timestamp(s), offsets[h]) for s, h in cases]
    add = cal.add

    def run_ours() -> int:
        for s, d in ours_in:
            add(s, d)
        return len(ours_in)

    def run_pandas() -> int:
        for s, off in pandas_in:
            s + off
        return len(pandas_in)

    run_ours()  # warm the holiday tables
    ours, theirs = _interleaved([run_ours, run_pandas], runs)
    exact = convention = differ = 0
    for (s, d), (ps, off) in zip(ours_in, pandas_in, strict=True):
        mine = add(s, d)
        other = (ps + off).to_pydatetime().replace(tzinfo=TZ)
        if mine == other:
            exact += 1
        elif cal.between(mine, other) == timedelta(0) and cal.next_opening(mine) == other:
            convention += 1  # closing time (ours) vs next opening (pandas), same moment
        else:
            differ += 1
            if differ <= 5:
                print(f"DIFFERENT: {s} + {d}: warrantykit {mine}, pandas {other}")
    return ours, theirs, exact, convention, differ


def throughput(n: int, runs: int) -> tuple[float, float, float]:
    """(adds/s with minute durations, adds/s for 1 hour, adds/s for 400 hours) on CN 5x8."""
    cal = BusinessCalendar.preset(
        "5x8", name="cn-5x8", timezone=ZONE, country="CN", trusted_years=(2020, 2026)
    )
    rng = random.Random(2)
    base = datetime(2024, 1, 1, tzinfo=TZ)
    starts = [base + timedelta(minutes=rng.randrange(0, 360 * 24 * 60)) for _ in range(n)]
    mixed = [timedelta(minutes=rng.randrange(1, 600)) for _ in range(n)]
    add = cal.add

    def run(durations: list[timedelta]) -> Callable[[], int]:
        def go() -> int:
            for s, d in zip(starts, durations, strict=True):
                add(s, d)
            return n

        return go

    one = [timedelta(hours=1)] * n
    long = [timedelta(hours=400)] * n
    for durations in (mixed, one, long):
        run(durations)()  # warm the tables (400 h reaches into 2025)
    a, b, c = _interleaved([run(mixed), run(one), run(long)], runs)
    return a, b, c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--n", type=int, default=20_000, help="operations per run")
    args = parser.parse_args(argv)
    print(
        f"# {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()} ({platform.processor() or platform.platform()}); "
        f"median of {args.runs} runs, {args.n} operations each"
    )
    ours, theirs, exact, convention, differ = compare_with_pandas(args.n, args.runs)
    mixed, one, long = throughput(args.n, args.runs)
    ratio = ours / theirs
    long_cost = one / long
    rows = [
        ("add, CN holiday list, whole hours", f"{ours:,.0f} /s", "", ""),
        ("pandas CustomBusinessHour, same inputs", f"{theirs:,.0f} /s", "", ""),
        ("speed-up vs pandas", f"{ratio:.1f}x", f">= {TARGET_RATIO:.0f}x", ratio >= TARGET_RATIO),
        (
            "results: equal / closing-time convention / different",
            f"{exact} / {convention} / {differ}",
            "0 different",
            differ == 0,
        ),
        (
            "add, CN 5x8 (holidays, make-up days)",
            f"{mixed:,.0f} /s",
            f">= {TARGET_ADDS:,.0f}/s",
            mixed >= TARGET_ADDS,
        ),
        ("add 1 hour", f"{one:,.0f} /s", "", ""),
        ("add 400 hours", f"{long:,.0f} /s", "", ""),
        (
            "cost 400 h / cost 1 h",
            f"{long_cost:.2f}x",
            f"<= {TARGET_LONG}x",
            long_cost <= TARGET_LONG,
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>22}  {'target':>14}  ok")
    failed = False
    for name, value, target, ok in rows:
        mark = "" if ok == "" else ("yes" if ok else "NO")
        failed |= ok is False
        print(f"{name:<{width}}  {value:>22}  {target:>14}  {mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
