"""P10: two warranties side by side; the customer may choose the more favourable one."""

from __future__ import annotations

from .helpers import claim, decide, policy

TWO = """
warranty_choice: {choice}
warranties:
  - {{id: vendor, provider: vendor, name: vendor warranty}}
  - {{id: ibm, provider: manufacturer, name: IBM 3 years 7x24}}
terms:
  - id: vendor-2y
    clause: V
    warranty: vendor
    anchor: acceptance
    length: 2 years
    options: [exchange, repair]
    costs:
      labour: vendor
  - id: ibm-3y
    clause: M
    warranty: ibm
    anchor: acceptance
    length: 3 years
    costs:
      labour: {{payer: customer, basis: list_price, vendor_share: 50}}
  - id: parts-supply
    clause: S
    kind: parts_supply
    anchor: acceptance
    length: 5 years
costs:
  covered:
    parts: vendor
"""


def two(choice: str = "customer_choice") -> str:
    return TWO.format(choice=choice)


def test_the_more_favourable_status_is_given() -> None:
    """Year 2.5: the vendor warranty has ended, IBM's still runs -> covered under IBM."""
    d = decide(policy(two()), claim("2026-07-15", dates={"acceptance": "2024-01-15"}), as_of="2026-08-01")
    assert d.status == "covered" and d.warranty == "ibm"
    assert [t.id for t in d.terms] == ["ibm-3y", "parts-supply"]
    assert len(d.alternatives) == 1
    alt = d.alternatives[0]
    assert (alt.warranty, alt.status) == ("vendor", "expired")
    assert alt.reasons, "the alternative carries its own reasons"
    assert any(r.clause == "P10" for r in d.reasons)


def test_then_the_better_remedy() -> None:
    """Year 1: both cover; the vendor's exchange beats IBM's repair."""
    d = decide(policy(two()), claim("2024-06-01", dates={"acceptance": "2024-01-15"}))
    assert d.warranty == "vendor" and d.remedy is not None and d.remedy.option == "exchange"
    assert d.alternatives[0].warranty == "ibm"
    assert d.alternatives[0].remedy is not None and d.alternatives[0].remedy.option == "repair"


def test_then_the_lower_customer_cost() -> None:
    p = policy(two().replace("options: [exchange, repair]", "options: [repair]"))
    d = decide(p, claim("2024-06-01", dates={"acceptance": "2024-01-15"}, prices={"labour": "200.00 CNY"}))
    assert d.warranty == "vendor"
    assert d.customer_total() is None  # the vendor pays everything
    alt_total = d.alternatives[0].customer_total()
    assert alt_total is not None and str(alt_total.amount) == "100.00"


def test_all_apply_evaluates_the_terms_together() -> None:
    d = decide(policy(two("all_apply")), claim("2026-07-15", dates={"acceptance": "2024-01-15"}), as_of="2026-08-01")
    assert d.status == "covered" and d.alternatives == ()
    assert d.term == "ibm-3y" and d.warranty == "ibm"
    assert [t.id for t in d.terms] == ["vendor-2y", "ibm-3y", "parts-supply"]
