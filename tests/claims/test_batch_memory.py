"""``Policy.evaluate_many`` is a stream: memory stays flat whatever the batch size.

Nothing is kept between claims but the policy's bounded memos (period ends,
holiday roll-forwards, selected terms, cost lines), so evaluating ten times as
many claims must not raise the peak of traced memory by anything like ten
times.  A generator feeds the claims (as a JSONL reader would) and each
decision is dropped once its status is read.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy

from .helpers import POLICIES

AS_OF = date(2026, 3, 31)
CATEGORIES = ("pc", "laptop", "switch", "network_cable", "printer")


def claims(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """``n`` varied claims as plain dicts, generated one at a time.

    Acceptance dates lie in one year, so the warm-up has seen most of the
    dates the memos key on; what could still grow is what a leak would keep.
    """
    rng = random.Random(seed)
    first = date(2019, 1, 1).toordinal()
    for i in range(n):
        acceptance = date.fromordinal(first + rng.randrange(365))
        failure = acceptance + timedelta(days=rng.randrange(2500))
        claim: dict[str, Any] = {
            "id": f"M-{i}",
            "asset": {
                "category": rng.choice(CATEGORIES),
                "dates": {
                    "acceptance": acceptance.isoformat(),
                    "invoice": (acceptance - timedelta(days=rng.randrange(5))).isoformat(),
                },
            },
            "failure_date": min(failure, AS_OF).isoformat(),
            "fault_kind": rng.choice(("performance", "other", "data")),
            "fault_code": "F1",
            "attributes": {"sanbao_listed_fault": rng.random() < 0.5},
            "evidence": {"repair_records_present": True},
        }
        if rng.random() < 0.4:
            handed = acceptance + timedelta(days=rng.randrange(400))
            claim["repairs"] = [
                {"handed_over": handed.isoformat(), "returned": (handed + timedelta(days=rng.randrange(20))).isoformat(), "fault_code": "F1"}
            ]
        if rng.random() < 0.6:
            claim["prices"] = {"parts": f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d} CNY", "labour": "120 CNY"}
        yield claim


def peak_of(policy: Policy, n: int, seed: int) -> int:
    """Peak of memory allocated while deciding ``n`` claims (bytes)."""
    gc.collect()
    tracemalloc.start()
    try:
        statuses = 0
        for decision in policy.evaluate_many(claims(n, seed), as_of=AS_OF):
            statuses += decision.status == "covered"
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_evaluate_many_keeps_memory_flat() -> None:
    policy = load_policy(POLICIES / "pc-network-tender-5-3-15-years.yaml")
    for _ in policy.evaluate_many(claims(3000, seed=1), as_of=AS_OF):
        pass  # warm-up: the memos reach their working size
    small = peak_of(policy, 2_000, seed=2)
    large = peak_of(policy, 20_000, seed=3)
    # Ten times the claims.  Keeping 2,000 decisions alone takes ~17 MiB, so a
    # batch that kept them would add well over 100 MiB here; what may still
    # grow is bounded caches (the engine's memos, pydantic's string cache).
    assert large - small < 4 * 2**20, (small, large)


def test_decisions_can_still_be_kept() -> None:
    """Laziness is the caller's choice: collected decisions stay complete and equal."""
    policy = load_policy(POLICIES / "pc-network-tender-5-3-15-years.yaml")
    kept = list(policy.evaluate_many(claims(50, seed=4), as_of=AS_OF))
    again = [policy.evaluate(c, as_of=AS_OF) for c in claims(50, seed=4)]
    assert kept == again
    assert all(d.reasons and d.terms for d in kept)
