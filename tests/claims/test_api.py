"""Policy.evaluate / evaluate_many: inputs, typed errors, laziness, JSON round trips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from warrantykit import load_policy
from warrantykit.engine.decision import JSON_SCHEMA_ID, ClaimDecision
from warrantykit.errors import FactsError, WarrantykitError
from warrantykit.facts import Claim, parse_facts

from .helpers import POLICIES, claim, decide, policy
from .test_choice import two
from .test_remedies import DEPRECIATION, LOANER, dep_claim

SIMPLE = """
cause_codes: [improper_use]
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
exclusions:
  - id: x1
    clause: X1
    when: {fact: claim.cause_codes, contains: improper_use}
costs:
  covered: {parts: vendor}
  excluded: {parts: customer at_cost}
"""


@pytest.mark.parametrize("bad", [datetime(2025, 1, 1, 12, 0), None, "2025-01-01"])
def test_as_of_must_be_a_date(bad: Any) -> None:
    with pytest.raises(FactsError) as info:
        policy(SIMPLE).evaluate(claim(), as_of=bad)
    assert info.value.first.path == "as_of"


def test_claim_as_model_dict_or_json_text() -> None:
    p = policy(SIMPLE)
    data = claim()
    model = parse_facts(Claim, data, name="claim")
    a = p.evaluate(model, as_of=date(2024, 7, 1))
    b = p.evaluate(data, as_of=date(2024, 7, 1))
    c = p.evaluate(json.dumps(data), as_of=date(2024, 7, 1))
    assert a == b == c and a.status == "covered"


def test_invalid_facts_name_the_field_path() -> None:
    bad = claim(repairs=[{"handed_over": "2024-03-05", "returned": "2024-03-01"}])
    with pytest.raises(FactsError) as info:
        policy(SIMPLE).evaluate(bad, as_of=date(2024, 7, 1))
    assert info.value.first.path == "claim.repairs[0]"


def test_naive_report_time_is_rejected() -> None:
    with pytest.raises(FactsError) as info:
        policy(SIMPLE).evaluate(claim(reported_at="2024-06-01T10:00:00"), as_of=date(2024, 7, 1))
    assert info.value.first.path == "claim.reported_at"


def test_unknown_cause_code() -> None:
    with pytest.raises(FactsError) as info:
        policy(SIMPLE).evaluate(claim(cause_codes=["improper_use", "aliens"]), as_of=date(2024, 7, 1))
    assert [p.path for p in info.value.problems] == ["claim.cause_codes[1]"]
    assert isinstance(info.value, WarrantykitError)


def test_evaluate_many_is_lazy() -> None:
    p = policy(SIMPLE)
    seen: list[int] = []

    def claims() -> Iterator[dict[str, Any]]:
        for i in range(3):
            seen.append(i)
            yield claim() if i != 1 else {"asset": "not an asset"}

    results = p.evaluate_many(claims(), as_of=date(2024, 7, 1))
    assert seen == []
    first = next(results)
    assert first.status == "covered" and seen == [0]
    with pytest.raises(FactsError):
        next(results)


def test_evaluate_many_checks_as_of_at_once() -> None:
    with pytest.raises(FactsError):
        policy(SIMPLE).evaluate_many([], as_of=None)  # type: ignore[arg-type]


def scenarios() -> list[ClaimDecision]:
    hvac = load_policy(POLICIES / "hvac-project-36-months.yaml")
    return [
        decide(policy(SIMPLE), claim(cause_codes=["improper_use"], prices={"parts": "12.345 CNY"})),
        decide(policy(SIMPLE), claim(evidence={}, prices={"labour": "1 CNY"})),
        decide(policy(two()), claim("2026-07-15", dates={"acceptance": "2024-01-15"}, prices={"labour": "10 CNY"}), as_of="2026-08-01"),
        decide(policy(DEPRECIATION), dep_claim(same_model_available=True)),
        decide(policy(LOANER, calendar=True), claim("2024-06-07", reported_at="2024-06-07T10:00:00+08:00"), as_of="2024-06-20"),
        decide(hvac, claim("2025-05-20", dates={"acceptance": "2024-01-15"}, component="heating_system", meters={"h": "12.5"})),
        decide(hvac, claim(None, dates={"acceptance": "2024-01-15"})),
    ]


def _no_floats(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for v in value.values():
            _no_floats(v)
    elif isinstance(value, list):
        for v in value:
            _no_floats(v)


def test_json_round_trip_and_shape() -> None:
    for decision in scenarios():
        data = decision.to_json()
        text = json.dumps(data, ensure_ascii=False)
        _no_floats(json.loads(text))
        assert data["schema"] == JSON_SCHEMA_ID
        assert set(data["policy"]) == {"id", "version", "content_hash", "file"}
        assert data["as_of"] == decision.as_of.isoformat()
        back = ClaimDecision.from_json(json.loads(text))
        assert back == decision
        assert back.to_json() == data


def test_json_top_level_keys_are_stable() -> None:
    data = scenarios()[0].to_json()
    assert list(data) == [
        "schema",
        "policy",
        "as_of",
        "claim",
        "warranty",
        "status",
        "missing",
        "term",
        "terms",
        "exclusions",
        "remedy",
        "loaners",
        "costs",
        "warnings",
        "reasons",
        "alternatives",
    ]


def test_money_is_decimal_text_in_json() -> None:
    data = scenarios()[0].to_json()
    parts = [c for c in data["costs"] if c["line"] == "parts"]
    assert parts[0]["amount"] == "12.34 CNY"  # 12.345 half-even to the cent
    decision = ClaimDecision.from_json(data)
    amount = decision.costs[0].amount
    assert amount is not None and amount.amount == Decimal("12.34")


def test_from_json_rejects_other_documents() -> None:
    with pytest.raises(FactsError):
        ClaimDecision.from_json({"schema": "something-else"})
    with pytest.raises(FactsError):
        ClaimDecision.from_json({"schema": JSON_SCHEMA_ID, "policy": {}})


def test_reasons_are_ordered_and_located() -> None:
    d = decide(policy(SIMPLE), claim(cause_codes=["improper_use"]))
    rules = [r.rule for r in d.reasons]
    # the term window, the covering term, the exclusion, its remedy, the cost line
    assert rules == ["w", "w", "x1", "x1", "costs.excluded.parts"]
    assert all(r.source.startswith("<policy>:") for r in d.reasons)
