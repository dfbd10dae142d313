"""``warrantykit properties POLICY``: property-test a policy with generated facts.

Generates claims, tickets (when the policy has an ``sla:``) and schedules (when it
has a ``schedule:``) with :mod:`warrantykit.testing.strategies` -- valid facts for
this policy, biased toward its boundaries -- and checks the invariants of
:mod:`warrantykit.testing.properties` on each: determinism, replay, coverage that
does not come back, one payer per cost share, excluded claims never free, SLA
deadlines after their start and in open time, schedule obligations inside the
horizon with unique ids, and no engine crash.

A failing property is shrunk to a minimal counterexample, printed as a case
ready to paste under ``cases:`` of the policy's ``*.cases.yaml`` file: its
``expect`` holds the decision as observed, with a comment naming the property
and why it failed (correct ``expect`` to what the clause promises).

``--examples N`` (default 100) examples per property; ``--seed S`` makes the run
reproducible (without it a seed is chosen and printed); ``--property NAME``
(repeatable) runs only the named properties (``deterministic`` or
``claim deterministic``).

Exit 0 when every property holds, 1 when one fails or the policy is invalid, 2
on usage errors.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

from warrantykit.engine.compiled import load_policy
from warrantykit.errors import PolicyError

__all__ = ["register", "run"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "properties",
        help="property-test a policy with generated facts; print counterexamples as cases",
        description=(
            "Check a policy's invariants on generated claims, tickets and schedules; "
            "print each failure's shrunk counterexample as a case-file snippet."
        ),
    )
    p.add_argument("policy", metavar="POLICY", help="policy file")
    p.add_argument(
        "--examples",
        type=_positive,
        default=100,
        metavar="N",
        help="examples per property (default 100)",
    )
    p.add_argument("--seed", type=_seed, metavar="S", help="random seed (printed when not given)")
    p.add_argument(
        "--property",
        dest="only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this property (repeatable), e.g. deterministic or 'claim replays'",
    )
    p.set_defaults(handler=run)


def _case_file(policy_path: str) -> str:
    path = Path(policy_path)
    stem = path.name.rsplit(".", 1)[0]
    return str(path.with_name(f"{stem}.cases.yaml"))


def run(args: argparse.Namespace) -> int:
    try:
        from warrantykit.testing.properties import properties_for, run_properties
    except ImportError as exc:  # pragma: no cover - hypothesis is a test dependency
        print(
            f"warrantykit properties: needs Hypothesis (pip install 'warrantykit[testing]'): {exc}",
            file=sys.stderr,
        )
        return 1
    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        for problem in exc.problems:
            print(f"warrantykit properties: {problem}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"warrantykit properties: cannot read {args.policy}: {exc.strerror}", file=sys.stderr)
        return 1
    known = {p.name for p in properties_for(policy)} | {p.label for p in properties_for(policy)}
    unknown = [name for name in args.only if name not in known]
    if unknown:
        print(
            f"warrantykit properties: unknown property {unknown[0]!r} for this policy; "
            f"known: {', '.join(sorted(p.label for p in properties_for(policy)))}",
            file=sys.stderr,
        )
        return 2
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    started = time.perf_counter()
    results = run_properties(policy, examples=args.examples, seed=seed, only=args.only)
    elapsed = time.perf_counter() - started
    print(
        f"{policy.id} {policy.version}: {len(results)} properties, {args.examples} examples "
        f"each, seed {seed} ({elapsed:.1f}s)"
    )
    for r in results:
        mark = "ok" if r.passed else "FAILED"
        print(f"  {mark:<7} {r.prop.label}")
    failed = [r for r in results if r.failed]
    if not failed:
        print("All properties hold.")
        return 0
    print(f"{len(failed)} of {len(results)} properties failed.")
    target = _case_file(args.policy)
    for r in failed:
        print()
        print(f"{r.prop.label}: {r.message}")
        print(f"Counterexample, ready to paste under 'cases:' in {target}:")
        print()
        sys.stdout.write(r.snippet or "")
    print()
    print(f"Reproduce with: warrantykit properties {args.policy} --examples {args.examples} --seed {seed}")
    return 1
