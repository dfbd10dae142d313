"""Exclusions (X1-X13): every one is evaluated; a match makes the claim excluded (paid)."""

from __future__ import annotations

from .helpers import claim, decide, payers, policy

POLICY = """
cause_codes: [improper_use, virus, operator_error, unpaid]
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
  - id: component
    clause: C
    covers: {components: [disk]}
    anchor: purchase
    length: 3 years
exclusions:
  - id: x1-improper-use
    clause: X1
    when: {fact: claim.cause_codes, contains: improper_use}
    costs:
      parts: {payer: customer, basis: discount, percent: 20}
  - id: x4-card
    clause: X4
    when:
      any:
        - {fact: claim.evidence.warranty_card.present, eq: false}
        - {fact: claim.evidence.warranty_card.altered, eq: true}
  - id: x11-virus
    clause: X11
    when: {fact: claim.cause_codes, contains: virus}
    outcome: advice_only
    still_provided: [data_repair]
  - id: x12-unpaid
    clause: X12
    when: {fact: claim.cause_codes, contains: unpaid}
    outcome: no_service
  - id: only-component
    clause: XC
    terms: [component]
    when: {fact: claim.consumable, eq: true}
costs:
  covered:
    parts: vendor
    labour: vendor
  excluded:
    parts: customer at_cost
    labour: customer list_price
"""


def test_x1_match_is_excluded_and_paid() -> None:
    d = decide(policy(POLICY), claim(cause_codes=["improper_use"], prices={"parts": "100.00 CNY", "labour": "50.00 CNY"}))
    assert d.status == "excluded"
    assert [e.id for e in d.exclusions] == ["x1-improper-use"]
    assert d.remedy is not None and (d.remedy.option, d.remedy.rule) == ("paid_repair", "x1-improper-use")
    # the exclusion's own table first (C7: 20 % off), then costs.excluded (C2)
    assert payers(d, "parts") == [("customer", "80.00 CNY"), ("vendor", "20.00 CNY")]
    assert payers(d, "labour") == [("customer", "50.00 CNY")]


def test_no_exclusion_is_covered() -> None:
    d = decide(policy(POLICY), claim())
    assert d.status == "covered" and d.exclusions == ()
    assert d.remedy is not None and d.remedy.option == "repair"


def test_every_exclusion_is_evaluated_and_reported() -> None:
    d = decide(policy(POLICY), claim(cause_codes=["improper_use", "virus"]))
    assert [e.id for e in d.exclusions] == ["x1-improper-use", "x11-virus"]
    # the most restrictive outcome sets the remedy: advice only (X11)
    assert d.remedy is not None and d.remedy.option == "advice_only"
    assert d.exclusions[1].still_provided == ("data_repair",)


def test_x12_no_service_may_refuse_but_still_paid_repair() -> None:
    d = decide(policy(POLICY), claim(cause_codes=["unpaid"]))
    assert d.status == "excluded"
    assert d.remedy is not None and d.remedy.option == "paid_repair"
    assert d.remedy.service_may_be_refused is True


def test_x12_applies_out_of_warranty_too() -> None:
    d = decide(policy(POLICY), claim("2026-01-01", cause_codes=["unpaid"]))
    assert d.status == "expired"
    assert d.remedy is not None and d.remedy.service_may_be_refused is True


def test_unknown_exclusion_fact_makes_it_undetermined() -> None:
    d = decide(policy(POLICY), claim(evidence={}))
    assert d.status == "undetermined"
    assert d.missing == (
        "claim.evidence.warranty_card.present",
        "claim.evidence.warranty_card.altered",
    )


def test_a_definite_match_wins_over_an_unknown_one() -> None:
    d = decide(policy(POLICY), claim(evidence={}, cause_codes=["improper_use"]))
    assert d.status == "excluded" and d.missing == ()


def test_exclusion_limited_to_terms() -> None:
    """An exclusion for the component term only does not exclude while the unit term covers."""
    p = policy(POLICY)
    inside_both = decide(p, claim("2024-06-01", component="disk", consumable=True))
    assert inside_both.status == "covered"
    only_component = decide(p, claim("2026-06-01", component="disk", consumable=True), as_of="2026-07-01")
    assert only_component.status == "excluded"
    assert [e.id for e in only_component.exclusions] == ["only-component"]


def test_excluded_costs_default_to_customer_at_cost() -> None:
    """C2: a line no excluded table names is still charged."""
    d = decide(policy(POLICY), claim(cause_codes=["improper_use"], prices={"travel": "30 CNY"}))
    assert [(c.payer, c.basis, c.rule) for c in d.costs if c.line == "travel"] == [
        ("customer", "at_cost", "default.excluded")
    ]
