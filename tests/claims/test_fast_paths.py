"""The claim engine's fast paths give exactly what the plain paths give.

* decisions are built with their term windows and reasons written on first
  read: they compare, hash, copy, pickle, replace and render like decisions
  built field by field;
* the claim recorded in ``to_json()`` is written without pydantic's per-call
  default factories: it must equal ``model_dump(mode="json",
  exclude_defaults=True)`` for any claim;
* memoised date arithmetic and cost lines do not leak between claims.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warrantykit import load_policy
from warrantykit.engine.decision import ClaimDecision, claim_json
from warrantykit.facts import Claim, parse_facts

from .helpers import POLICIES, claim

AS_OF = date(2026, 3, 31)


def tender() -> Any:
    return load_policy(POLICIES / "pc-network-tender-5-3-15-years.yaml")


FACTS: list[dict[str, Any]] = [
    claim(
        "2025-12-30",
        dates={"acceptance": "2021-01-20", "invoice": "2021-01-10"},
        asset={"category": "pc", "price": "5000 CNY"},
        fault_kind="performance",
        reported_at="2025-12-30T10:00:00+08:00",
        attributes={"hardware_fault": True, "sanbao_listed_fault": True},
        repairs=[{"handed_over": "2023-03-01", "returned": "2023-03-10", "waiting_for_parts_days": 2}],
        prices={"parts": "300 CNY", "call_out": "80.125 CNY", "transport": "12.5 CNY"},
    ),
    claim("2024-01-05", dates={"acceptance": "2024-01-03", "invoice": "2024-01-01"}, asset={"category": "laptop"}, fault_kind="performance", attributes={"sanbao_listed_fault": True}, customer_choice="refund"),
    claim("2031-06-01", dates={"acceptance": "2015-06-01"}, asset={"category": "network_cable"}, fault_kind="data", prices={"parts": "99 CNY", "labour": "7 CNY", "call_out": "1.005 CNY"}),
    claim(None, dates={"acceptance": "2015-06-01"}, asset={"category": "switch"}),
    claim("2020-01-01", dates={}, asset={"category": "printer"}, fault_kind="other"),
]


def test_lazy_decisions_equal_decisions_built_field_by_field() -> None:
    policy = tender()
    for facts in FACTS:
        lazy = policy.evaluate(facts, as_of=AS_OF)
        eager = ClaimDecision(**{f.name: getattr(lazy, f.name) for f in dataclasses.fields(lazy)})
        fresh = policy.evaluate(facts, as_of=AS_OF)
        assert fresh == eager and eager == fresh
        assert repr(policy.evaluate(facts, as_of=AS_OF)) == repr(eager)
        assert policy.evaluate(facts, as_of=AS_OF).to_json() == eager.to_json()
        assert policy.evaluate(facts, as_of=AS_OF).explain() == eager.explain()
        assert ClaimDecision.from_json(fresh.to_json()) == fresh


def test_lazy_decisions_copy_pickle_and_replace() -> None:
    policy = tender()
    decision = policy.evaluate(FACTS[0], as_of=AS_OF)
    back = pickle.loads(pickle.dumps(policy.evaluate(FACTS[0], as_of=AS_OF)))
    assert back == decision and "_lazy" not in vars(back)
    assert copy.deepcopy(policy.evaluate(FACTS[0], as_of=AS_OF)) == decision
    changed = dataclasses.replace(policy.evaluate(FACTS[0], as_of=AS_OF), status="expired")
    assert changed.reasons == decision.reasons and changed.terms == decision.terms
    assert ClaimDecision.terms == () and ClaimDecision.reasons == ()  # class defaults unchanged


def test_reasons_do_not_depend_on_reading_order() -> None:
    policy = tender()
    a = policy.evaluate(FACTS[0], as_of=AS_OF)
    b = policy.evaluate(FACTS[0], as_of=AS_OF)
    assert [r.text for r in a.reasons] == [r.text for r in b.reasons]
    assert a.terms == b.terms


def test_customer_total_sums_in_one_step() -> None:
    decision = tender().evaluate(FACTS[2], as_of=AS_OF)
    total = decision.customer_total()
    assert decision.status == "expired"
    # parts 99.00 at market price + call-out 1.005 -> 1.00 (half-even) at list price; labour is free
    assert total is not None and total.amount == Decimal("100.00") and total.currency == "CNY"


# ---------------------------------------------------------------- the claim as JSON

dates = st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2060, 12, 31)).map(date.isoformat))
money = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False).map(lambda d: f"{d} CNY")
flags = st.one_of(st.none(), st.booleans())


@st.composite
def claims(draw: st.DrawFn) -> dict[str, Any]:
    events = ("purchase", "invoice", "delivery", "acceptance", "replacement")
    data: dict[str, Any] = {
        "asset": {
            "dates": {e: d for e in events if (d := draw(dates)) is not None},
            "category": draw(st.one_of(st.none(), st.sampled_from(["pc", "laptop"]))),
            "components": draw(st.lists(st.sampled_from(["a", "b"]), max_size=2)),
            "meters": draw(st.dictionaries(st.sampled_from(["km", "h"]), st.decimals(0, 10**6, places=2).map(str))),
            "price": draw(st.one_of(st.none(), money)),
            "contract_unit_prices": draw(st.dictionaries(st.sampled_from(["fan", "psu"]), money, max_size=2)),
        },
        "failure_date": draw(dates),
        "fault_kind": draw(st.sampled_from([None, "performance", "data"])),
        "cause_codes": draw(st.lists(st.sampled_from(["x", "y"]), max_size=2)),
        "evidence": {
            "warranty_card": {"present": draw(flags), "altered": draw(flags)},
            "invoice_present": draw(flags),
        },
        "repairs": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"handed_over": st.just("2024-01-01"), "fixed": flags, "waiting_for_parts_days": st.integers(0, 3)}
                ),
                max_size=2,
            )
        ),
        "prices": draw(st.dictionaries(st.sampled_from(["parts", "labour", "travel"]), money)),
        "attributes": draw(
            st.dictionaries(st.sampled_from(["n", "f", "s", "l"]), st.one_of(st.integers(), st.floats(), st.text(max_size=3), st.lists(st.booleans(), max_size=2)), max_size=3)
        ),
    }
    if draw(st.booleans()):
        offset = draw(st.sampled_from(["+08:00", "Z", "+00:00", "-05:30", ".123400+01:00"]))
        data["reported_at"] = f"2024-06-01T10:00:00{offset}"
    return data


@given(claims())
def test_claim_json_is_pydantics_json(data: dict[str, Any]) -> None:
    model = parse_facts(Claim, data, name="claim")
    assert claim_json(model) == model.model_dump(mode="json", exclude_defaults=True)


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic warns about the constructed value
def test_claim_json_of_the_fixtures() -> None:
    for facts in FACTS:
        model = parse_facts(Claim, facts, name="claim")
        assert claim_json(model) == model.model_dump(mode="json", exclude_defaults=True)
    constructed = Claim.model_construct(asset=parse_facts(Claim, FACTS[0]).asset, failure_date="not a date")
    assert claim_json(constructed) == constructed.model_dump(mode="json", exclude_defaults=True)
