"""Cost responsibility (C1-C8): payer, basis and Decimal amounts per cost line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from warrantykit.errors import EvaluationError

from .helpers import claim, decide, payers, policy

BASE = """
terms:
  - id: w
    clause: W
    anchor: purchase
    length: 1 year
costs:
  covered:
    parts: {{payer: vendor, clause: C1}}
    labour: {{payer: vendor, clause: C1}}
  expired:
    {expired}
"""


def expired(rule: str) -> str:
    return BASE.format(expired=f"parts: {rule}")


OUT = "2025-06-01"  # after the 1-year term from 2024-01-01


def test_c1_covered_vendor_pays_everything() -> None:
    d = decide(policy(expired("customer at_cost")), claim("2024-06-01", prices={"parts": "1200.00 CNY", "labour": "300 CNY"}))
    assert payers(d, "parts") == [("vendor", "1200.00 CNY")]
    assert payers(d, "labour") == [("vendor", "300.00 CNY")]  # quantized to the cent
    assert all(c.situation == "covered" and c.clause == "C1" for c in d.costs)
    assert d.customer_total() is None


def test_amounts_only_with_prices() -> None:
    d = decide(policy(expired("customer at_cost")), claim("2024-06-01"))
    assert [(c.line, c.payer, c.amount) for c in d.costs] == [("parts", "vendor", None), ("labour", "vendor", None)]


def test_c3_expired_parts_at_cost() -> None:
    d = decide(policy(expired("customer at_cost")), claim(OUT, prices={"parts": "99.99 CNY"}))
    assert d.status == "expired"
    assert [(c.payer, c.basis, str(c.amount)) for c in d.costs if c.line == "parts"] == [("customer", "at_cost", "99.99 CNY")]


def test_c4_contract_price_cap() -> None:
    """C4: parts at no more than the contract unit price; the excess is not charged."""
    p = policy(expired("{payer: customer, basis: contract_price_cap}"))
    facts = claim(OUT, component="compressor", asset={"contract_unit_prices": {"compressor": "1000.00 CNY"}}, prices={"parts": "1200.00 CNY"})
    assert payers(decide(p, facts), "parts") == [("customer", "1000.00 CNY"), ("vendor", "200.00 CNY")]
    cheaper = claim(OUT, component="compressor", asset={"contract_unit_prices": {"compressor": "1000.00 CNY"}}, prices={"parts": "800.00 CNY"})
    assert payers(decide(p, cheaper), "parts") == [("customer", "800.00 CNY")]
    unknown = decide(p, claim(OUT, component="compressor", prices={"parts": "1200.00 CNY"}))
    parts = [c for c in unknown.costs if c.line == "parts"]
    assert payers(unknown, "parts") == [("customer", "1200.00 CNY")]
    assert parts[0].note is not None and "not capped" in parts[0].note


def test_c6_percent_of_software_price() -> None:
    """P12/C6: an upgrade costs at most 15 % of the software price (2000.00 -> 300.00)."""
    p = policy(
        BASE.format(expired="software_upgrade: {payer: customer, basis: percent_of_price, percent: 15, of: software_price}")
    )
    d = decide(p, claim(OUT, asset={"software_price": "2000.00 CNY"}, prices={"software_upgrade": "1000.00 CNY"}))
    assert payers(d, "software_upgrade") == [("customer", "300.00 CNY"), ("vendor", "700.00 CNY")]


def test_c7_discount() -> None:
    p = policy(expired("{payer: customer, basis: discount, percent: 10}"))
    assert payers(decide(p, claim(OUT, prices={"parts": "1234.56 CNY"})), "parts") == [
        ("customer", "1111.10 CNY"),  # 1234.56 x 0.9 = 1111.104 -> 1111.10
        ("vendor", "123.46 CNY"),
    ]


def test_cap_basis() -> None:
    p = policy(expired("{payer: customer, basis: cap, cap: 500.00 CNY}"))
    assert payers(decide(p, claim(OUT, prices={"parts": "800.00 CNY"})), "parts") == [("customer", "500.00 CNY"), ("vendor", "300.00 CNY")]


def test_cap_in_another_currency_is_an_error() -> None:
    p = policy(expired("{payer: customer, basis: cap, cap: 500.00 USD}"))
    with pytest.raises(EvaluationError, match="USD"):
        decide(p, claim(OUT, prices={"parts": "800.00 CNY"}))


def test_vendor_share_splits_a_line() -> None:
    """SYS-SF-03: labour 60 % covered -> vendor 60 %, customer 40 % at list price."""
    p = policy(BASE.format(expired="labour: {payer: customer, basis: list_price, vendor_share: 60}"))
    d = decide(p, claim(OUT, prices={"labour": "250.00 CNY"}))
    assert [(c.payer, c.basis, c.percent, str(c.amount)) for c in d.costs if c.line == "labour"] == [
        ("vendor", "vendor_share", Decimal(60), "150.00 CNY"),
        ("customer", "list_price", None, "100.00 CNY"),
    ]
    # without a price there are still two shares, with percentages
    no_price = decide(p, claim(OUT))
    assert [(c.payer, c.amount) for c in no_price.costs if c.line == "labour"] == [("vendor", None), ("customer", None)]


def test_half_even_rounding_keeps_the_sum() -> None:
    p = policy(BASE.format(expired="labour: {payer: customer, basis: at_cost, vendor_share: 50}"))
    assert payers(decide(p, claim(OUT, prices={"labour": "0.05 CNY"})), "labour") == [("vendor", "0.02 CNY"), ("customer", "0.03 CNY")]


def test_by_agreement_has_no_amount() -> None:
    p = policy(expired("{payer: customer, basis: by_agreement}"))
    assert payers(decide(p, claim(OUT, prices={"parts": "10.00 CNY"})), "parts") == [("customer", None)]


def test_priced_line_without_a_rule_uses_the_default() -> None:
    d = decide(policy(expired("customer at_cost")), claim(OUT, prices={"travel": "80 CNY"}))
    assert [(c.payer, c.basis, c.rule, str(c.amount)) for c in d.costs if c.line == "travel"] == [
        ("customer", "at_cost", "default.expired", "80.00 CNY")
    ]


LAYERED = """
terms:
  - id: repair-3y
    clause: C8a
    anchor: purchase
    length: 3 years
    costs:
      parts: vendor
      labour: vendor
  - id: no-charge-5y
    clause: C8b
    kind: cost_cover
    anchor: purchase
    length: 5 years
    costs:
      call_out: vendor
      travel: vendor
  - id: half
    clause: H
    anchor: purchase
    length: 3 years
    covers: {components: [screen]}
    costs:
      parts: {payer: customer, basis: at_cost, vendor_share: 50}
costs:
  covered:
    call_out: customer list_price
  expired:
    parts: customer at_cost
    labour: customer list_price
    call_out: customer list_price
"""


def test_c8_layered_cost_cover() -> None:
    """C8: within 3 years parts and labour free; within 5 years no call-out or travel charge."""
    p = policy(LAYERED)
    inside = decide(p, claim("2025-06-01", dates={"purchase": "2024-01-01"}))
    assert [(c.line, c.payer, c.rule) for c in inside.costs] == [
        ("parts", "vendor", "repair-3y"),
        ("labour", "vendor", "repair-3y"),
        ("call_out", "vendor", "no-charge-5y"),
        ("travel", "vendor", "no-charge-5y"),
    ]
    year4 = decide(p, claim("2028-01-05", dates={"purchase": "2024-01-01"}), as_of="2028-02-01")
    assert year4.status == "expired"
    assert [(c.line, c.payer, c.rule) for c in year4.costs] == [
        ("parts", "customer", "costs.expired.parts"),
        ("labour", "customer", "costs.expired.labour"),
        ("call_out", "vendor", "no-charge-5y"),
        ("travel", "vendor", "no-charge-5y"),
    ]


def test_most_favourable_term_table_per_line() -> None:
    """Two covering terms name 'parts': the free one wins over a 50 % share."""
    d = decide(policy(LAYERED), claim("2025-06-01", dates={"purchase": "2024-01-01"}, component="screen", prices={"parts": "100.00 CNY"}))
    assert [(c.payer, c.rule, str(c.amount)) for c in d.costs if c.line == "parts"] == [("vendor", "repair-3y", "100.00 CNY")]


def test_cost_reasons_cite_the_clause_and_payer() -> None:
    d = decide(policy(expired("customer at_cost")), claim(OUT, prices={"parts": "10.00 CNY"}))
    parts_reason = [r for r in d.reasons if r.text.startswith("parts:")]
    assert len(parts_reason) == 1
    assert parts_reason[0].rule == "costs.expired.parts"
    assert "customer pays 10.00 CNY" in parts_reason[0].text
    assert parts_reason[0].source == "<policy>:18"  # the line of the table entry
