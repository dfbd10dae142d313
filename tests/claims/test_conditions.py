"""engine.conditions: three-valued evaluation of policy conditions, compiled once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warrantykit.engine.conditions import (
    Unknown,
    all_of,
    any_of,
    claim_env,
    compile_condition,
    condition_for,
    evaluate,
    not_of,
)
from warrantykit.errors import EvaluationError
from warrantykit.facts import Claim, parse_facts
from warrantykit.policies.conditions import Condition

from .helpers import claim, policy


def cond(data: Any) -> Condition:
    return Condition.model_validate(data)


def facts(**fields: Any) -> Claim:
    return parse_facts(Claim, claim(**fields), name="claim")


def test_contains_on_cause_codes() -> None:
    c = cond({"fact": "claim.cause_codes", "contains": "improper_use"})
    assert evaluate(c, facts(cause_codes=["improper_use"])) is True
    # an empty list is a known value: it contains nothing (not unknown)
    assert evaluate(c, facts()) is False


def test_contains_any_and_all() -> None:
    any_c = cond({"fact": "claim.cause_codes", "contains_any": ["a", "b"]})
    all_c = cond({"fact": "claim.cause_codes", "contains_all": ["a", "b"]})
    f = facts(cause_codes=["b", "z"])
    assert evaluate(any_c, f) is True
    assert evaluate(all_c, f) is False
    assert evaluate(all_c, facts(cause_codes=["a", "b"])) is True


def test_missing_fact_is_unknown_with_the_claim_path() -> None:
    c = cond({"fact": "claim.evidence.warranty_card.present", "eq": False})
    result = evaluate(c, facts(evidence={}))
    assert isinstance(result, Unknown)
    assert result.missing == ("claim.evidence.warranty_card.present",)


def test_asset_paths_are_reported_under_claim_asset() -> None:
    c = cond({"fact": "asset.category", "in": ["colour_tv"]})
    result = evaluate(c, facts())
    assert result == Unknown(("claim.asset.category",))
    assert evaluate(c, facts(asset={"category": "colour_tv"})) is True


def test_exists_always_decides() -> None:
    c = cond({"fact": "claim.fault_code", "exists": True})
    assert evaluate(c, facts()) is False
    assert evaluate(c, facts(fault_code="E1")) is True
    assert evaluate(cond({"fact": "claim.fault_code", "exists": False}), facts()) is True


def test_kleene_all_any_not() -> None:
    unknown = {"fact": "claim.fault_code", "eq": "E1"}  # fault_code absent -> unknown
    false = {"fact": "claim.cause_codes", "contains": "x"}
    true = {"fact": "claim.cause_codes", "contains": "y"}
    f = facts(cause_codes=["y"])
    assert evaluate(cond({"all": [unknown, false]}), f) is False
    assert isinstance(evaluate(cond({"all": [unknown, true]}), f), Unknown)
    assert evaluate(cond({"any": [unknown, true]}), f) is True
    assert isinstance(evaluate(cond({"any": [unknown, false]}), f), Unknown)
    assert isinstance(evaluate(cond({"not": unknown}), f), Unknown)
    assert evaluate(cond({"not": false}), f) is True


def test_unknown_merges_paths_in_order() -> None:
    c = cond(
        {
            "all": [
                {"fact": "claim.fault_code", "eq": "E1"},
                {"fact": "claim.component", "eq": "x"},
                {"fact": "claim.fault_code", "ne": "E2"},
            ]
        }
    )
    result = evaluate(c, facts())
    assert isinstance(result, Unknown)
    assert result.missing == ("claim.fault_code", "claim.component")


def test_orderings_on_numbers_and_dates() -> None:
    assert evaluate(cond({"fact": "claim.meters.km", "le": 50000}), facts(meters={"km": "50000"})) is True
    assert evaluate(cond({"fact": "claim.meters.km", "lt": 50000}), facts(meters={"km": "50000"})) is False
    assert evaluate(cond({"fact": "claim.failure_date", "ge": date(2024, 6, 1)}), facts()) is True
    # an ISO date string in the open attributes compares as a date
    f = facts(attributes={"installed": "2024-02-01"})
    assert evaluate(cond({"fact": "claim.attributes.installed", "lt": date(2024, 3, 1)}), f) is True


def test_mismatched_types_are_an_error_not_false() -> None:
    c = cond({"fact": "claim.attributes.size", "gt": 5})
    with pytest.raises(EvaluationError, match=r"claim.attributes.size"):
        evaluate(c, facts(attributes={"size": "large"}))


def test_nested_attributes_and_missing_keys() -> None:
    c = cond({"fact": "claim.attributes.site.floor", "eq": 3})
    assert evaluate(c, facts(attributes={"site": {"floor": 3}})) is True
    assert evaluate(c, facts(attributes={"site": {}})) == Unknown(("claim.attributes.site.floor",))


def test_eq_null_means_absent() -> None:
    c = cond({"fact": "claim.fault_code", "eq": None})
    assert evaluate(c, facts()) is True
    assert evaluate(c, facts(fault_code="E")) is False


def test_unknown_has_no_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(Unknown(("x",)))


def test_condition_for_compiles_once_per_policy() -> None:
    p = policy(
        """
        exclusions:
          - id: x1
            clause: "1"
            when: {fact: claim.cause_codes, contains: improper_use}
        """
    )
    c = p.document.exclusions[0].when
    first = condition_for(p, c)
    assert condition_for(p, c) is first
    assert first(claim_env(facts(cause_codes=["improper_use"]))) is True


truths = st.sampled_from([True, False, Unknown(("a",)), Unknown(("b",))])


@given(st.lists(truths, max_size=5))
def test_kleene_laws(values: list[Any]) -> None:
    """De Morgan holds for the three-valued operators, and definite answers are sound."""
    conj, disj = all_of(values), any_of(values)
    negated = [not_of(v) for v in values]
    assert not_of(conj) is any_of(negated) or (
        isinstance(not_of(conj), Unknown) and isinstance(any_of(negated), Unknown)
    )
    if False in values:
        assert conj is False
    if True in values:
        assert disj is True
    if all(v is True for v in values):
        assert conj is True


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True))
def test_compiled_contains_matches_python(codes: list[str]) -> None:
    f = facts(cause_codes=codes)
    env = claim_env(f)
    assert compile_condition(cond({"fact": "claim.cause_codes", "contains_any": ["a", "b"]}))(
        env
    ) is bool({"a", "b"} & set(codes))
    assert compile_condition(cond({"fact": "claim.cause_codes", "contains": "c"}))(env) is (
        "c" in codes
    )


def test_decimal_and_int_equality() -> None:
    c = cond({"fact": "claim.meters.km", "in": [100, 200]})
    assert evaluate(c, facts(meters={"km": Decimal("100")})) is True
