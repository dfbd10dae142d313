"""Every shipped policy decides claims without errors; the CN three-guarantees rules end to end."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from warrantykit import load_policy
from warrantykit.cli.common import is_policy_file
from warrantykit.engine.decision import ClaimDecision

from .helpers import POLICIES, claim

SHIPPED = sorted(p for p in POLICIES.rglob("*.yaml") if is_policy_file(p))
EVENTS = (
    "purchase",
    "invoice",
    "delivery",
    "receipt",
    "installation",
    "commissioning",
    "acceptance",
    "completion",
    "handover",
    "operation_start",
)


def generic(failure: str, component: str | None) -> dict[str, Any]:
    return claim(
        failure,
        dates={e: "2024-03-01" for e in EVENTS},
        asset={"category": "colour_tv", "model": "M", "price": "3000.00 CNY", "software_price": "800.00 CNY"},
        component=component,
        fault_kind="performance",
        fault_code="F1",
        quality_defect=True,
        out_of_box=False,
        consumable=False,
        abnormal_life_certified=False,
        same_model_available=True,
        reported_at=f"{failure}T10:00:00+08:00",
        prices={"parts": "100.00 CNY", "labour": "50.00 CNY", "travel": "20.00 CNY"},
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(Path(p).relative_to(POLICIES)))
def test_shipped_policy_decides_and_round_trips(path: Path) -> None:
    policy = load_policy(path)
    for failure in ("2024-03-05", "2025-05-20", "2031-01-01"):
        for component in (None, "heating_system"):
            decision = policy.evaluate(generic(failure, component), as_of=date(2031, 2, 1))
            assert decision.status in ("covered", "excluded", "expired", "not_applicable", "undetermined")
            assert decision.reasons
            data = json.loads(json.dumps(decision.to_json()))
            assert ClaimDecision.from_json(data) == decision
            assert decision.explain()


@pytest.fixture(scope="module")
def sanbao() -> Any:
    return load_policy(POLICIES / "cn" / "three-guarantees-general.yaml")


def tv(failure: str, **more: Any) -> dict[str, Any]:
    return claim(
        failure,
        dates={"purchase": "2024-03-01", "invoice": "2024-03-01"},
        asset={"category": "colour_tv", "price": "3000.00 CNY"},
        fault_kind="performance",
        **more,
    )


@pytest.mark.parametrize(
    ("failure", "rule", "options"),
    [
        ("2024-03-08", "art9-seven-days", ("refund", "exchange", "repair")),  # CN-GEN-04, day 7
        ("2024-03-09", "art10-fifteen-days", ("exchange", "repair")),  # CN-GEN-05, day 8
        ("2024-03-16", "art10-fifteen-days", ("exchange", "repair")),  # day 15
        ("2024-03-17", "colour-tv-whole-unit", ("repair",)),  # day 16: free repair
    ],
)
def test_cn_gen_04_05_windows(sanbao: Any, failure: str, rule: str, options: tuple[str, ...]) -> None:
    d = sanbao.evaluate(tv(failure), as_of=date(2024, 4, 1))
    assert d.status == "covered"
    assert d.remedy is not None and (d.remedy.rule, d.remedy.options) == (rule, options)
    # CN-GEN-13: free repair, parts and labour by the repairer
    assert {(c.line, c.payer) for c in d.costs} >= {("parts", "repairer"), ("labour", "repairer")}


def test_cn_gen_06_two_repairs_then_return_with_depreciation(sanbao: Any) -> None:
    """Invoice 2024-03-01, two repairs (5 + 4 days), return 2024-06-09: 100 - 9 = 91 days
    used; 3000.00 x 0.1 % x 91 = 273.00 (CN-GEN-10/11)."""
    repairs = [
        {"handed_over": "2024-04-01", "returned": "2024-04-06", "fixed": False},
        {"handed_over": "2024-05-01", "returned": "2024-05-05", "fixed": False},
    ]
    facts = tv(
        "2024-06-01",
        repairs=repairs,
        customer_choice="refund",
        same_model_available=True,
        return_date="2024-06-09",
    )
    d = sanbao.evaluate(facts, as_of=date(2024, 6, 10))
    assert d.remedy is not None and d.remedy.rule == "art11-two-repairs"
    dep = d.remedy.depreciation
    assert dep is not None and (dep.days, str(dep.amount), str(dep.refund)) == (91, "273.00 CNY", "2727.00 CNY")
    # the two repairs (9 days) also extend the one-year period (CN-GEN-02)
    whole = next(t for t in d.terms if t.id == "colour-tv-whole-unit")
    assert (whole.original_end, whole.extension_days, whole.end) == (date(2025, 3, 1), 9, date(2025, 3, 10))
