"""Claim decisions: the engine against the same policy written by hand.

Run from the repository root::

    .venv/bin/python bench/bench_claims.py                 # 200,000 claims, 10 blocks
    .venv/bin/python bench/bench_claims.py --claims 40000  # a quicker look

Policy: the PC and network tender, ``policies/pc-network-tender-5-3-15-years.yaml``
as of commit 9ca2823, kept in ``bench/data/`` so that later edits of the shipped
file cannot make it disagree with its hand-written twin -- layered terms
(warranty, free on-site ``cost_cover`` and lifetime ``paid_service`` terms per
product), repair-day extension and holiday roll-forward, a no-service exclusion,
four remedy rules (two purchase windows, repeated repairs, out-of-box) and cost
tables for covered, excluded and expired claims.  The same policy by hand is
``bench/claims_by_hand.py``; the seeded claims come from
``bench/claims_generator.py``.

Method.  The claims are generated (seeded), validated into ``Claim`` objects a
block at a time (not timed), and cut into runs of ``--chunk`` claims; the
block's own data is frozen out of the garbage collector's way (``gc.freeze()``)
and a collection runs before every timed run (not timed).
Contenders decide the claims streaming (nothing is kept):

* ``by hand``          -- ``decide_by_hand(claim, as_of)`` on validated ``Claim`` objects;
* ``engine``           -- ``policy.evaluate_many(claims, as_of=...)`` on the same objects
  (reasons recorded; their texts are formatted when first read);
* ``engine, texts read`` -- the same, then every reason's text is read (for information);
* ``engine from dicts`` -- ``evaluate_many`` on the plain dicts (validation included);
* ``engine + JSON + explain`` -- ``evaluate``, then ``to_json()`` and ``explain()``.

Every ratio compares two contenders run back to back on the same run of claims,
the order alternating from run to run -- ``by hand`` against each engine
variant, and ``engine`` against ``engine + JSON + explain`` -- so that the
load of a shared machine hits both sides alike and no contender always follows
an allocation-heavy one.  The table shows the median time per claim of each
contender and the median (and geometric mean) of each ratio over all runs.  Every claim's engine decision is then compared (not timed) with the
hand-written one: status, deciding term, missing facts, every term window
(start, ends, extension, roll-forward, inside), exclusions, remedy (option,
options, rule, window end), loaners (rule, due instant, state, overdue, missing
facts), every cost entry (line, payer, basis, amount, rule,
note), warnings, and every reason's rule id, clause and text.  Decisions from
dicts are compared with those from objects.

Targets (exit status 1 when one is missed or any result differs):

* engine throughput >= 1.0 x by hand;
* engine from dicts >= 0.3 x by hand (end to end, validation included);
* engine + ``to_json()`` + ``explain()`` <= 2.0 x the engine alone.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

import pydantic
from claims_by_hand import HandDecision, decide_by_hand
from claims_generator import AS_OF, POLICY_FILE, generate_claims

import warrantykit
from warrantykit.engine.decision import ClaimDecision
from warrantykit.facts import Claim, parse_facts

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- comparison


def engine_view(d: ClaimDecision) -> tuple[Any, ...]:
    remedy = d.remedy
    return (
        d.status,
        d.term,
        d.missing,
        tuple(
            (t.id, t.start, t.original_end, t.extension_days, t.end, t.rolled_from, t.lifetime, t.applies, t.inside, t.missing)
            for t in d.terms
        ),
        tuple(e.id for e in d.exclusions),
        None
        if remedy is None
        else (
            remedy.option, remedy.options, remedy.rule, remedy.clause, remedy.replacement,
            remedy.compensation, remedy.window_end, remedy.service_may_be_refused,
        ),
        tuple((x.rule, x.provides, x.calendar, x.due, x.state, x.overdue, x.missing) for x in d.loaners),
        tuple(
            (
                c.line, c.payer, c.basis,
                None if c.amount is None else c.amount.amount,
                None if c.amount is None else c.amount.currency,
                c.rule, c.clause, c.note,
            )
            for c in d.costs
        ),
        d.warnings,
        tuple((r.rule, r.clause, r.text) for r in d.reasons),
    )


def hand_view(h: HandDecision) -> tuple[Any, ...]:
    remedy = h.remedy
    return (
        h.status,
        h.term,
        h.missing,
        tuple(
            (t.id, t.start, t.original_end, t.extension_days, t.end, t.rolled_from, t.lifetime, t.applies, t.inside, t.missing)
            for t in h.terms
        ),
        h.exclusions,
        None
        if remedy is None
        else (
            remedy.option, remedy.options, remedy.rule, remedy.clause, remedy.replacement,
            remedy.compensation, remedy.window_end, remedy.service_may_be_refused,
        ),
        tuple((x.rule, x.provides, x.calendar, x.due, x.state, x.overdue, x.missing) for x in h.loaners),
        tuple((c.line, c.payer, c.basis, c.amount, c.currency, c.rule, c.clause, c.note) for c in h.costs),
        h.warnings,
        h.reasons,
    )


_PARTS = ("status", "term", "missing", "terms", "exclusions", "remedy", "loaners", "costs", "warnings", "reasons")


def _explain_difference(number: int, a: tuple[Any, ...], b: tuple[Any, ...], what: str) -> None:
    print(f"  claim #{number}: {what} differ", file=sys.stderr)
    for name, x, y in zip(_PARTS, a, b, strict=True):
        if x != y:
            print(f"    {name}:\n      engine: {x!r}\n      other:  {y!r}", file=sys.stderr)


# ---------------------------------------------------------------- timing


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{load}; Python {platform.python_version()} "
        f"({platform.python_implementation()}), pydantic {pydantic.VERSION}, {platform.system()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=200_000, help="claims in total (default 200000)")
    parser.add_argument("--block", type=int, default=20_000, help="claims generated and checked at a time")
    parser.add_argument("--chunk", type=int, default=1_000, help="claims per timed run (default 1000)")
    parser.add_argument("--seed", type=int, default=20260331)
    args = parser.parse_args(argv)
    if args.claims < args.block or args.block < args.chunk or args.chunk < 1:
        parser.error("expected --claims >= --block >= --chunk >= 1")

    policy = warrantykit.load_policy(ROOT / POLICY_FILE)
    print(f"Claims benchmark: {POLICY_FILE}, as of {AS_OF}, {args.claims} claims")
    print(f"Machine: {_machine()}")

    def engine(claims: list[Any]) -> None:
        _drain(policy.evaluate_many(claims, as_of=AS_OF))

    def engine_texts(claims: list[Claim]) -> None:
        _drain(r.text for d in policy.evaluate_many(claims, as_of=AS_OF) for r in d.reasons)

    def render(claims: list[Claim]) -> None:
        for d in policy.evaluate_many(claims, as_of=AS_OF):
            d.to_json()
            d.explain()

    def by_hand(claims: list[Claim]) -> None:
        _drain(decide_by_hand(c, AS_OF) for c in claims)

    contenders: dict[str, Callable[[list[Any], list[Any]], None]] = {
        "by hand": lambda claims, data: by_hand(claims),
        "engine": lambda claims, data: engine(claims),
        "engine, texts read": lambda claims, data: engine_texts(claims),
        "engine from dicts": lambda claims, data: engine(data),
        "engine + JSON + explain": lambda claims, data: render(claims),
    }
    # each ratio compares two contenders run back to back on the same claims, in
    # alternating order: (baseline, contender)
    pairs = (
        ("by hand", "engine"),
        ("by hand", "engine, texts read"),
        ("by hand", "engine from dicts"),
        ("engine", "engine + JSON + explain"),
    )
    names = list(contenders)
    seconds: dict[str, list[float]] = {name: [] for name in names}  # per run
    ratios: dict[str, list[float]] = {b: [] for _, b in pairs}  # per chunk: time(a) / time(b)
    statuses: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    differences = 0
    stream = generate_claims(args.claims, args.seed)
    number = 0
    chunk_number = 0
    gc.collect()
    for block in range(args.claims // args.block):
        data = list(islice(stream, args.block))
        claims = [parse_facts(Claim, d, name="claim") for d in data]
        if block == 0:  # warm-up: imports, compiled plans, first memo entries
            for run in contenders.values():
                run(claims[:1000], data[:1000])
        # the benchmark's own data is long-lived: keep it out of the collector's way
        gc.collect()
        gc.freeze()
        for start in range(0, len(claims), args.chunk):
            part, raw = claims[start : start + args.chunk], data[start : start + args.chunk]
            for a, b in pairs:
                spent = {}
                for name in (a, b) if chunk_number % 2 == 0 else (b, a):
                    gc.collect()  # no contender pays for the garbage of the one before
                    began = time.perf_counter()
                    contenders[name](part, raw)
                    spent[name] = time.perf_counter() - began
                    seconds[name].append(spent[name])
                ratios[b].append(spent[a] / spent[b])
            chunk_number += 1

        # the check (not timed): every result of the block, both ways
        for c, raw in zip(claims, data, strict=True):
            e = policy.evaluate(c, as_of=AS_OF)
            a = engine_view(e)
            b = hand_view(decide_by_hand(c, AS_OF))
            if a != b:
                differences += 1
                if differences <= 5:
                    _explain_difference(number, a, b, "engine and hand-written results")
            elif policy.evaluate(raw, as_of=AS_OF) != e:
                differences += 1
                if differences <= 5:
                    _explain_difference(
                        number, a, engine_view(policy.evaluate(raw, as_of=AS_OF)), "decisions from objects and from dicts"
                    )
            statuses[e.status] += 1
            if e.remedy is not None:
                rules[e.remedy.rule] += 1
            number += 1
        gc.unfreeze()
        print(
            f"  {number:>7} claims: "
            + ", ".join(f"{name} {statistics.median(seconds[name]) / args.chunk * 1e6:.1f}" for name in names)
            + " us/claim (medians so far)",
            flush=True,
        )

    print()
    print(f"Checked {number} claims: {differences} differences.")
    print("Statuses: " + ", ".join(f"{k} {v}" for k, v in statuses.most_common()))
    print("Remedies: " + ", ".join(f"{k} {v}" for k, v in rules.most_common()))
    print()
    chunks = len(ratios["engine"])
    print(f"Medians over {chunks} runs of {args.chunk} claims; each ratio from two contenders run back to back:")
    header = (
        f"{'contender':<26}{'us/claim':>10}{'claims/s':>11}  {'ratio (median)':<32}{'mean ratio':>11}"
        f"  {'target':<10}{'result':<6}"
    )
    print(header)
    print("-" * len(header))
    failed = differences > 0
    targets: dict[str, tuple[str, str, Callable[[float], bool]]] = {
        "engine": ("x by hand (throughput)", ">= 1.0", lambda r: r >= 1.0),
        "engine, texts read": ("x by hand (throughput)", "-", lambda r: True),
        "engine from dicts": ("x by hand (throughput)", ">= 0.3", lambda r: r >= 0.3),
        # time(render) / time(engine): the inverse of the pair's ratio
        "engine + JSON + explain": ("x engine (time)", "<= 2.0", lambda r: r <= 2.0),
    }
    for name in names:
        us = statistics.median(seconds[name]) / args.chunk * 1e6
        if name == "by hand":
            print(f"{name:<26}{us:>10.1f}{1e6 / us:>11,.0f}  {'baseline':<32}")
            continue
        what, goal, ok = targets[name]
        if name == "engine + JSON + explain":
            ratio = statistics.median(1 / r for r in ratios[name])
            mean = _pair_mean(ratios[name], inverse=True)
        else:
            ratio = statistics.median(ratios[name])
            mean = _pair_mean(ratios[name], inverse=False)
        verdict = ("PASS" if ok(ratio) else "FAIL") if goal != "-" else "info"
        failed |= verdict == "FAIL"
        print(
            f"{name:<26}{us:>10.1f}{1e6 / us:>11,.0f}  {f'{ratio:.2f} {what}':<32}{mean:>11.2f}"
            f"  {goal:<10}{verdict:<6}"
        )
    print(
        "(ratio: median of the per-run ratios; mean ratio: geometric mean of them; "
        "targets are judged on the median)"
    )
    if differences:
        print(f"FAIL: {differences} claims decided differently")
    return 1 if failed else 0


def _pair_mean(ratios: list[float], *, inverse: bool) -> float:
    mean = statistics.geometric_mean(ratios)
    return 1 / mean if inverse else mean


def _drain(items: Any) -> None:
    """Consume an iterator, keeping nothing (a streaming batch)."""
    deque(items, maxlen=0)


if __name__ == "__main__":
    sys.exit(main())
