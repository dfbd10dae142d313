"""Hypothesis properties of the claim arithmetic: term ends, extensions, remedy
boundaries and cost shares. Example counts come from the profiles in tests/conftest.py."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.engine.costs import CostSource, split_line
from warrantykit.engine.periods import period_last_day
from warrantykit.facts import Claim, CostLine, parse_facts
from warrantykit.money import Money
from warrantykit.policies.models import CostRule

from .helpers import POLICIES, claim, policy, term

anchors = st.dates(date(2000, 1, 1), date(2080, 12, 31))


@cache
def months_policy(n: int, start_day: str = "excluded") -> Policy:
    return policy(
        f"""
        counting: {{start_day: {start_day}, extend_by: [repair_days]}}
        terms:
          - id: w
            clause: W
            anchor: acceptance
            length: {n} months
        """
    )


def decide_on(p: Policy, failure: date, anchor: date, **more: Any) -> Any:
    facts = claim(failure.isoformat(), dates={"acceptance": anchor.isoformat()}, **more)
    return p.evaluate(facts, as_of=failure + timedelta(days=1))


@given(anchors, st.integers(1, 120))
def test_term_end_is_the_corresponding_day_clipped(anchor: date, n: int) -> None:
    """DT-02/DT-03/DT-13: N months from D end on D + N months (clipped), not iterated."""
    p = months_policy(n)
    end = anchor + relativedelta(months=n)  # dateutil clips to the month end too
    d = decide_on(p, end, anchor)
    assert term(d, "w").end == end == period_last_day(anchor, n, "months")
    assert d.status == "covered"
    assert decide_on(p, end + timedelta(days=1), anchor).status == "expired"


@given(anchors, st.integers(1, 120))
def test_start_day_included_is_one_day_shorter_unless_clipped(anchor: date, n: int) -> None:
    excluded = term(decide_on(months_policy(n), anchor, anchor), "w").end
    included = term(decide_on(months_policy(n, "included"), anchor, anchor), "w").end
    assert included in (excluded - timedelta(days=1), excluded)
    if (anchor + relativedelta(months=n)).day == anchor.day:
        assert included == excluded - timedelta(days=1)


repair_spans = st.lists(
    st.tuples(st.integers(0, 300), st.integers(0, 30)), min_size=0, max_size=5
)


def repairs_from(anchor: date, spans: list[tuple[int, int]]) -> list[dict[str, Any]]:
    return [
        {
            "handed_over": (anchor + timedelta(days=offset)).isoformat(),
            "returned": (anchor + timedelta(days=offset + days)).isoformat(),
            "fixed": True,
        }
        for offset, days in spans
    ]


@given(anchors, repair_spans, repair_spans)
def test_extension_is_the_sum_added_once_and_additive(
    anchor: date, first: list[tuple[int, int]], second: list[tuple[int, int]]
) -> None:
    """CONV-03/CONV-04: every repair inside a 12-month window adds its days out of service."""
    p = months_policy(12)
    original = period_last_day(anchor, 12, "months")

    def extension(spans: list[tuple[int, int]]) -> tuple[int, date]:
        # as_of late enough to cover every return
        d = p.evaluate(
            claim(anchor.isoformat(), dates={"acceptance": anchor.isoformat()}, repairs=repairs_from(anchor, spans)),
            as_of=anchor + timedelta(days=400),
        )
        w = term(d, "w")
        return w.extension_days, w.end

    ext_a, end_a = extension(first)
    ext_b, _ = extension(second)
    ext_ab, end_ab = extension(first + second)
    assert ext_a == sum(days for _, days in first)
    assert end_a == original + timedelta(days=ext_a)
    assert ext_ab == ext_a + ext_b
    assert end_ab == original + timedelta(days=ext_ab)


@cache
def window_policy(after: int, within: int) -> Policy:
    return policy(
        f"""
        terms:
          - id: w
            clause: W
            anchor: purchase
            length: 1 year
        remedies:
          - id: first
            clause: R3
            kind: purchase_window
            window: {{within: {after} days}}
            options: [refund]
            precedence: 2
          - id: second
            clause: R4
            kind: purchase_window
            window: {{after: {after} days, within: {within} days}}
            options: [exchange]
            precedence: 1
        """
    )


@given(st.dates(date(2000, 1, 1), date(2090, 1, 1)), st.integers(1, 20), st.integers(1, 20))
def test_remedy_windows_day_n_vs_n_plus_one(purchase: date, n: int, extra: int) -> None:
    """DT-06: 'within N days' includes day N; 'after N days' starts on day N + 1."""
    p = window_policy(n, n + extra)

    def rule_on(day: int) -> str | None:
        facts = claim((purchase + timedelta(days=day)).isoformat(), dates={"purchase": purchase.isoformat()})
        d = p.evaluate(facts, as_of=purchase + timedelta(days=day + 1))
        return d.remedy.rule if d.remedy else None

    assert rule_on(n) == "first"
    assert rule_on(n + 1) == "second"
    assert rule_on(n + extra) == "second"
    assert rule_on(n + extra + 1) == "w"


@cache
def unrepaired_policy() -> Policy:
    return policy(
        """
        terms:
          - id: w
            clause: W
            anchor: purchase
            length: 1 year
        remedies:
          - id: r6
            clause: R6
            kind: unrepaired
            more_than: 30 days
            counted_from: handed_over
            options: [replace]
        """
    )


@given(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
def test_more_than_30_days_is_strict(handed: date) -> None:
    facts = claim(handed.isoformat(), dates={"purchase": handed.isoformat()}, repairs=[{"handed_over": handed.isoformat()}])
    p = unrepaired_policy()
    day30 = p.evaluate(facts, as_of=handed + timedelta(days=30))
    day31 = p.evaluate(facts, as_of=handed + timedelta(days=31))
    assert day30.remedy is not None and day30.remedy.option == "repair"
    assert day31.remedy is not None and day31.remedy.option == "replace"


# ---------------------------------------------------------------- cost shares

cents = st.integers(0, 10**8).map(lambda c: Decimal(c).scaleb(-2))
percents = st.integers(0, 10000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def cost_rules(draw: st.DrawFn) -> CostRule:
    payer = draw(st.sampled_from(["vendor", "customer", "manufacturer"]))
    share = draw(st.one_of(st.none(), percents))
    if payer != "customer" and share is None:
        return CostRule(payer=payer)
    basis = draw(st.sampled_from(["at_cost", "list_price", "market_price", "contract_price_cap", "percent_of_price", "discount", "cap"]))
    data: dict[str, Any] = {"payer": payer, "basis": basis, "vendor_share": share}
    if basis in ("percent_of_price", "discount"):
        data["percent"] = draw(percents)
    if basis == "percent_of_price":
        data["of"] = draw(st.sampled_from(["asset_price", "software_price", "line_price"]))
    if basis == "cap":
        data["cap"] = {"amount": str(draw(cents)), "currency": "CNY"}
    return CostRule.model_validate(data)


def priced_claim(asset_price: Decimal, software: Decimal, unit: Decimal) -> Claim:
    return parse_facts(
        Claim,
        claim(
            component="compressor",
            asset={
                "price": f"{asset_price} CNY",
                "software_price": f"{software} CNY",
                "contract_unit_prices": {"compressor": f"{unit} CNY"},
            },
        ),
        name="claim",
    )


@given(cost_rules(), cents, cents, cents, cents, st.sampled_from(list(CostLine)))
def test_shares_sum_to_the_line_price_with_one_payer_each(
    rule: CostRule, price: Decimal, asset_price: Decimal, software: Decimal, unit: Decimal, line: CostLine
) -> None:
    source = CostSource(line=line, rule=rule, rule_id="r", clause="c", source="s")
    facts = priced_claim(asset_price, software, unit)
    entries = split_line(line, source, Money(amount=price, currency="CNY"), facts, "expired")
    assert entries
    assert sum((e.amount.amount for e in entries if e.amount is not None), Decimal(0)) == price
    for e in entries:
        assert isinstance(e.payer, str) and e.payer
        assert e.amount is not None and e.amount.amount >= 0
        assert e.amount.amount == e.amount.amount.quantize(Decimal("0.01"))
        assert not isinstance(e.amount.amount, float)
    assert len({e.payer for e in entries}) == len(entries), "one entry per payer share"


@cache
def hvac() -> Policy:
    return load_policy(POLICIES / "hvac-project-36-months.yaml")


@given(
    st.sampled_from(["improper_use", "unstable_voltage", "harsh_environment", "user_rewired", "accident"]),
    st.dictionaries(st.sampled_from(["parts", "labour", "call_out", "travel"]), st.integers(1, 10**7).map(lambda c: Decimal(c).scaleb(-2)), min_size=1),
)
def test_an_excluded_claim_is_never_free(code: str, prices: dict[str, Decimal]) -> None:
    facts = claim("2025-05-20", dates={"acceptance": "2024-01-15"}, cause_codes=[code], prices={k: f"{v} CNY" for k, v in prices.items()})
    d = hvac().evaluate(facts, as_of=date(2025, 6, 1))
    assert d.status == "excluded"
    total = d.customer_total()
    assert total is not None and total.amount == sum(prices.values())
    assert all(c.payer == "customer" for c in d.costs)
