"""Schedule rules limited to some products with ``covers`` (e.g. wooden furniture only)."""

from __future__ import annotations

from datetime import date

import pytest

from warrantykit.errors import FactsError, PolicyError

from .helpers import dues, policy_with, rule

WAXING = rule(
    "every: 6 months\ncovers: {categories: [wooden]}", rule_id="waxing", kind="maintenance"
)
CLEANING = rule("every: 1 years", rule_id="cleaning", kind="maintenance")


def asset(**extra: object) -> dict[str, object]:
    return {"dates": {"acceptance": "2025-01-10"}, **extra}


def test_rule_applies_only_to_selected_categories() -> None:
    policy = policy_with(WAXING + CLEANING)
    start, end = date(2025, 1, 1), date(2026, 12, 31)
    wooden = policy.schedule(asset(category="wooden"), start=start, end=end)
    leather = policy.schedule(asset(category="leather"), start=start, end=end)
    # 6 months anchored on 2025-01-10: 07-10, 2026-01-10, 2026-07-10
    assert dues(wooden, "waxing") == [date(2025, 7, 10), date(2026, 1, 10), date(2026, 7, 10)]
    assert dues(leather, "waxing") == []
    assert dues(leather, "cleaning") == dues(wooden, "cleaning") == [date(2026, 1, 10)]


def test_unknown_category_is_a_missing_fact() -> None:
    policy = policy_with(WAXING)
    with pytest.raises(FactsError) as err:
        policy.schedule(asset(), start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert err.value.first.path == "asset.category"


def test_condition_selector_reads_asset_facts() -> None:
    policy = policy_with(
        rule(
            "every: 3 months\ncovers: {when: {fact: asset.attributes.outdoor, eq: true}}",
            rule_id="outdoor-check",
        )
    )
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    outdoor = policy.schedule(asset(attributes={"outdoor": True}), start=start, end=end)
    indoor = policy.schedule(asset(attributes={"outdoor": False}), start=start, end=end)
    assert dues(outdoor) == [date(2025, 4, 10), date(2025, 7, 10), date(2025, 10, 10)]
    assert dues(indoor) == []


def test_selector_on_claim_facts_is_a_check_error() -> None:
    with pytest.raises(PolicyError) as err:
        policy_with(
            rule("every: 3 months\ncovers: {when: {fact: claim.component, eq: x}}", rule_id="c")
        )
    assert err.value.first.path == "schedule[0].covers.when.fact"
    assert "asset.*" in err.value.first.message
