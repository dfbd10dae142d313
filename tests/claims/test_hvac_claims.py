"""End to end: claims under policies/hvac-project-36-months.yaml (P1-P3, X1-X5, C2, C7).

Acceptance 2024-01-15. Hand-computed windows (start day excluded, DT-02/DT-03; seasons
CONV-06, Beijing heating 15 Nov - 15 Mar, cooling 15 May - 15 Sep):

* project, 36 months: 2024-01-15 .. 2027-01-15
* piping and installation, 3 years: 2024-01-15 .. 2027-01-15
* heating system, 3 heating seasons 2024/25, 2025/26, 2026/27: .. 2027-03-15
* cooling system, 3 cooling seasons 2024, 2025, 2026: .. 2026-09-15
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.errors import FactsError

from .helpers import POLICIES, claim, payers, term

ACCEPTED = {"acceptance": "2024-01-15"}
PRICES = {"parts": "1200.00 CNY", "labour": "300.00 CNY", "call_out": "100.00 CNY", "travel": "50.00 CNY"}


@pytest.fixture(scope="module")
def hvac() -> Policy:
    return load_policy(POLICIES / "hvac-project-36-months.yaml")


def decide(p: Policy, failure: str, as_of: str = "2027-06-01", **fields: Any) -> Any:
    return p.evaluate(claim(failure, dates=dict(ACCEPTED), **fields), as_of=date.fromisoformat(as_of))


def test_p1_project_36_months(hvac: Policy) -> None:
    d = decide(hvac, "2027-01-15")
    project = term(d, "project")
    assert (project.start, project.end) == (date(2024, 1, 15), date(2027, 1, 15))
    assert d.status == "covered" and d.term == "project"
    assert d.remedy is not None and (d.remedy.option, d.remedy.rule) == ("repair", "project")
    assert decide(hvac, "2027-01-16").status == "expired"


def test_p2_piping_three_years(hvac: Policy) -> None:
    # 四.1) 其中: piping has its own 3-year period instead of the project's 36 months
    d = decide(hvac, "2026-12-01", component="water_supply_drainage")
    assert [t.id for t in d.terms] == ["piping-and-installation", "spare-parts-supply"]
    assert term(d, "piping-and-installation").end == date(2027, 1, 15)
    assert decide(hvac, "2027-01-16", component="water_supply_drainage").status == "expired"


def test_p3_three_heating_seasons_outlast_the_project(hvac: Policy) -> None:
    d = decide(hvac, "2027-03-01", component="heating_system")
    # the heating system is counted in seasons only (其中), not by the 36 months
    assert "project" not in [t.id for t in d.terms]
    assert term(d, "heating-system").end == date(2027, 3, 15)
    assert d.status == "covered" and d.term == "heating-system"
    assert decide(hvac, "2027-03-16", component="heating_system").status == "expired"


def test_p3_cooling_seasons_end_before_the_36_months_and_are_not_extended(hvac: Policy) -> None:
    # 3 cooling seasons from 2024-01-15 end on 2026-09-15; the project's 36 months run
    # to 2027-01-15 but do not apply to the cooling system (四.1) 其中)
    d = decide(hvac, "2026-10-01", component="cooling_system")
    assert term(d, "cooling-system").end == date(2026, 9, 15)
    assert term(d, "cooling-system").inside is False
    assert d.status == "expired"
    assert decide(hvac, "2026-09-15", component="cooling_system").status == "covered"


def test_beijing_2021_22_heating_season_adjustment(hvac: Policy) -> None:
    """CN-BLD-11: the 2021/22 season ended on 22 March; 3 seasons from 2019-06-01 end then."""
    facts = claim("2022-03-20", dates={"acceptance": "2019-06-01"}, component="heating_system")
    d = hvac.evaluate(facts, as_of=date(2022, 4, 1))
    assert term(d, "heating-system").end == date(2022, 3, 22)
    assert term(d, "heating-system").inside is True and d.status == "covered"


def test_covered_costs_c1(hvac: Policy) -> None:
    d = decide(hvac, "2025-05-20", prices=PRICES)
    assert [(c.line, c.payer, str(c.amount), c.clause) for c in d.costs] == [
        ("parts", "vendor", "1200.00 CNY", "四.3)"),
        ("labour", "vendor", "300.00 CNY", "四.3)"),
        ("call_out", "vendor", "100.00 CNY", "二"),
        ("travel", "vendor", "50.00 CNY", "二"),
    ]


@pytest.mark.parametrize(
    ("codes", "exclusion", "clause"),
    [
        (["improper_use"], "improper-use", "五.1)"),  # X1
        (["unstable_voltage"], "unstable-voltage", "五.2)"),  # X2
        (["harsh_environment"], "abnormal-use", "五.3)"),  # X3
        (["user_rewired"], "abnormal-use", "五.3)"),
        (["user_replaced_parts"], "abnormal-use", "五.3)"),
        (["force_majeure"], "force-majeure", "五.5)"),  # X5
        (["natural_disaster"], "force-majeure", "五.5)"),
        (["accident"], "force-majeure", "五.5)"),
    ],
)
def test_exclusions_by_cause(hvac: Policy, codes: list[str], exclusion: str, clause: str) -> None:
    d = decide(hvac, "2025-05-20", cause_codes=codes, prices=PRICES)
    assert d.status == "excluded"
    assert [(e.id, e.clause) for e in d.exclusions] == [(exclusion, clause)]
    assert d.remedy is not None and d.remedy.option == "paid_repair"
    # 五 (C2, C7): the customer pays, parts at cost, labour and call-out at list price
    assert [(c.line, c.payer, c.basis) for c in d.costs] == [
        ("parts", "customer", "at_cost"),
        ("labour", "customer", "list_price"),
        ("call_out", "customer", "list_price"),
        ("travel", "customer", "at_cost"),
    ]
    assert str(d.customer_total()) == "1650.00 CNY"


@pytest.mark.parametrize(
    "card",
    [
        {"present": False, "matches_unit": True, "altered": False},
        {"present": True, "matches_unit": False, "altered": False},
        {"present": True, "matches_unit": True, "altered": True},
    ],
)
def test_x4_warranty_card(hvac: Policy, card: dict[str, bool]) -> None:
    d = decide(hvac, "2025-05-20", evidence={"warranty_card": card})
    assert d.status == "excluded" and [e.id for e in d.exclusions] == ["warranty-card"]


def test_unknown_card_is_undetermined(hvac: Policy) -> None:
    d = decide(hvac, "2025-05-20", evidence={})
    assert d.status == "undetermined"
    assert d.missing == (
        "claim.evidence.warranty_card.present",
        "claim.evidence.warranty_card.matches_unit",
        "claim.evidence.warranty_card.altered",
    )


def test_exclusion_after_the_warranty_is_just_expired(hvac: Policy) -> None:
    d = decide(hvac, "2027-02-01", cause_codes=["improper_use"], prices=PRICES)
    assert d.status == "expired" and d.exclusions == ()
    # 六 / 七: parts at list price, labour, call-out at list price, travel at cost
    assert payers(d, "parts") == [("customer", "1200.00 CNY")]
    assert [(c.line, c.basis, c.clause) for c in d.costs] == [
        ("parts", "list_price", "七"),
        ("labour", "list_price", "六.3"),
        ("call_out", "list_price", "六.3"),
        ("travel", "at_cost", "六.3"),
    ]


def test_unknown_cause_code_is_a_facts_error(hvac: Policy) -> None:
    with pytest.raises(FactsError) as info:
        decide(hvac, "2025-05-20", cause_codes=["accident", "lightning"])
    assert [p.path for p in info.value.problems] == ["claim.cause_codes[1]"]


def test_spare_parts_supply_is_reported_not_coverage(hvac: Policy) -> None:
    d = hvac.evaluate(
        claim("2028-06-01", dates={**ACCEPTED, "discontinuation": "2026-01-01"}),
        as_of=date(2028, 6, 2),
    )
    supply = term(d, "spare-parts-supply")
    assert (supply.kind, supply.end, supply.inside) == ("parts_supply", date(2029, 1, 1), True)
    assert d.status == "expired"


def test_explain_names_clauses_dates_and_payers(hvac: Policy) -> None:
    text = decide(hvac, "2027-03-01", component="heating_system", prices=PRICES).explain()
    for fragment in (
        "Status: COVERED",
        "heating-system [四.1)]",
        "2024-01-15 - 2027-03-15",
        "parts: vendor pays 1200.00 CNY",
        "[四.3)]",
        "hvac-project-36-months.yaml:",
    ):
        assert fragment in text, fragment
