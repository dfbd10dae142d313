"""The durable-rules backend against the pure engine, on generated claims for every shipped policy.

For each policy, Hypothesis draws claims with ``warrantykit.testing.strategies.claim_examples``
(valid facts biased toward the policy's boundaries); the pure engine decides them here, the
durable backend in a worker process (``worker.py``: a crash of the C extension fails the test
with a message). The decisions must be identical -- ``to_json()`` equal, or the same exception
type and message -- except where the backend raises ``UnsupportedByBackend`` for a documented
feature (``helpers.UNSUPPORTED_FEATURES``; none occurs on the shipped policies today).
The claims of every shipped case file are compared too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("durable.engine", reason="durable-rules is not installed (the 'durable' extra)")

from durable_helpers import ROOT, SHIPPED, UNSUPPORTED_FEATURES, Worker, differences
from hypothesis import event, given
from hypothesis import strategies as st

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.facts import Claim
from warrantykit.testing import strategies as wst
from warrantykit.testing.cases import load_case_file


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


@cache
def shipped(path: str) -> Policy:
    return load_policy(path)


def pure_answer(policy: Policy, claim: Claim, as_of: date) -> dict[str, Any]:
    try:
        decision = policy.evaluate(claim, as_of=as_of)
    except Exception as exc:
        return {"error": {"type": type(exc).__name__, "message": str(exc)}}
    return {"decision": decision.to_json()}


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """Errors compare by type and message; an ``assert`` failing inside the engine by type only
    (pytest rewrites the asserts of this process, not the worker's)."""
    error = answer.get("error")
    if error is not None and error["type"] == "AssertionError":
        return {"error": {"type": "AssertionError"}}
    return answer


def compare(worker: Worker, path: str, claim: Claim, as_of: date, *, note: bool = True) -> None:
    expected = pure_answer(shipped(path), claim, as_of)
    got = worker.ask({"policy": path, "claim": claim.model_dump(mode="json"), "as_of": as_of.isoformat()})
    if "unsupported" in got:
        feature = got["unsupported"]
        assert any(f in feature for f in UNSUPPORTED_FEATURES), (
            f"undocumented unsupported feature: {feature}"
        )
        if note:
            event(f"unsupported: {feature}")
        return
    if note:
        event(next(iter(expected)) if "error" in expected else expected["decision"]["status"])
    expected, got = _comparable(expected), _comparable(got)
    assert got == expected, "durable-rules and the pure engine differ:\n" + "\n".join(
        differences(expected, got)
    )


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT / "policies"))


@pytest.mark.parametrize("path", [str(p) for p in SHIPPED], ids=[_id(p) for p in SHIPPED])
@given(data=st.data())
def test_durable_backend_decides_like_the_pure_engine(worker: Worker, path: str, data: st.DataObject) -> None:
    example = data.draw(wst.claim_examples(shipped(path)), label="example")
    compare(worker, path, example.claim, example.as_of)


CASE_FILES = tuple(p for p in sorted((ROOT / "policies").rglob("*.cases.yaml")))


@pytest.mark.parametrize("case_path", CASE_FILES, ids=[_id(p) for p in CASE_FILES])
def test_durable_backend_on_the_shipped_cases(worker: Worker, case_path: Path) -> None:
    cases = load_case_file(case_path)
    path = str(cases.policy_path)
    compared = 0
    for case in cases.cases:
        if isinstance(case.facts, Claim) and isinstance(case.as_of, date):
            compare(worker, path, case.facts, case.as_of, note=False)
            compared += 1
    if not compared:
        pytest.skip("no claim cases")
