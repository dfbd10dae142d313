"""Every schedule rule of policies/hvac-project-36-months.yaml, with hand-computed dates.

Acceptance 2025-03-01; the ``project`` term (36 months, start day excluded)
ends 2028-03-01 and bounds every rule (until_term).  Seasons: cooling
15 May - 15 Sep, heating 15 Nov - 15 Mar (shared/cn-calendars.inc.yaml).
"""

from __future__ import annotations

from datetime import date

import pytest

from warrantykit.engine.compiled import Policy, load_policy

from .helpers import POLICIES, D, asset, dues, windows

ACCEPTED = asset(acceptance="2025-03-01")


@pytest.fixture(scope="module")
def hvac() -> Policy:
    return load_policy(POLICIES / "hvac-project-36-months.yaml")


def test_season_inspection_m1(hvac: Policy) -> None:
    """六.1 every 2 months in the cooling season: 15 May, 15 Jul, 15 Sep of 2025-2027."""
    s = hvac.schedule(ACCEPTED, start=D(2025, 1, 1), end=D(2030, 12, 31))
    assert dues(s, "season-inspection") == [
        D(2025, 5, 15),
        D(2025, 7, 15),
        D(2025, 9, 15),
        D(2026, 5, 15),
        D(2026, 7, 15),
        D(2026, 9, 15),
        D(2027, 5, 15),
        D(2027, 7, 15),
        D(2027, 9, 15),
    ]  # fmt: skip  -- the 2028 season starts after the project term ends (2028-03-01)


def test_cooling_and_heating_start_maintenance_m2(hvac: Policy) -> None:
    """六.2 two free maintenances a year: at the first cooling start and the first heating start."""
    s = hvac.schedule(ACCEPTED, start=D(2025, 1, 1), end=D(2030, 12, 31))
    assert dues(s, "cooling-start-maintenance") == [D(2025, 5, 15), D(2026, 5, 15), D(2027, 5, 15)]
    # the heating season 2024/25 started before acceptance; 2028/29 after the term
    assert dues(s, "heating-start-maintenance") == [
        D(2025, 11, 15),
        D(2026, 11, 15),
        D(2027, 11, 15),
    ]


def test_pre_start_check_m3(hvac: Policy) -> None:
    """九.1.1 pre-start check 7 days before the cooling season, may be done 14 days earlier."""
    s = hvac.schedule(ACCEPTED, start=D(2025, 1, 1), end=D(2030, 12, 31))
    assert windows(s, "pre-start-check") == [
        (D(2025, 4, 24), D(2025, 5, 8)),
        (D(2026, 4, 24), D(2026, 5, 8)),
        (D(2027, 4, 24), D(2027, 5, 8)),
    ]
    assert dues(s, "pre-start-check") == [D(2025, 5, 8), D(2026, 5, 8), D(2027, 5, 8)]


def test_two_year_horizon_in_order(hvac: Policy) -> None:
    s = hvac.schedule(ACCEPTED, start=D(2025, 1, 1), end=D(2026, 12, 31))
    assert [o.id for o in s.obligations] == [
        "pre-start-check@2025-05-08",
        "cooling-start-maintenance@2025-05-15",
        "season-inspection@2025-05-15",
        "season-inspection@2025-07-15",
        "season-inspection@2025-09-15",
        "heating-start-maintenance@2025-11-15",
        "pre-start-check@2026-05-08",
        "cooling-start-maintenance@2026-05-15",
        "season-inspection@2026-05-15",
        "season-inspection@2026-07-15",
        "season-inspection@2026-09-15",
        "heating-start-maintenance@2026-11-15",
    ]
    ob = s.by_id("season-inspection@2025-07-15")
    assert (ob.clause, ob.kind, ob.season) == ("六.1", "inspection", "2025")
    assert ob.text is not None and "巡检" in ob.text
    assert ob.reasons[0].source.startswith(str(POLICIES / "hvac-project-36-months.yaml") + ":") or (
        "hvac-project-36-months.yaml:" in ob.reasons[0].source
    )
    assert any("ends with term 'project' on 2028-03-01" in r.text for r in ob.reasons)


def test_acceptance_in_the_cooling_season(hvac: Policy) -> None:
    """Accepted 2025-06-01 (cooling season running): only its later inspections; the term
    then ends 2028-06-01, so the 2028 cooling start, pre-start check and the first 2028
    inspection are still owed."""
    s = hvac.schedule(asset(acceptance="2025-06-01"), start=D(2025, 1, 1), end=D(2030, 12, 31))
    assert dues(s, "season-inspection")[:2] == [D(2025, 7, 15), D(2025, 9, 15)]
    assert dues(s, "season-inspection")[-2:] == [D(2027, 9, 15), D(2028, 5, 15)]
    assert dues(s, "cooling-start-maintenance") == [D(2026, 5, 15), D(2027, 5, 15), D(2028, 5, 15)]
    assert dues(s, "pre-start-check") == [D(2026, 5, 8), D(2027, 5, 8), D(2028, 5, 8)]


def test_nothing_after_the_project_term(hvac: Policy) -> None:
    s = hvac.schedule(ACCEPTED, start=D(2028, 3, 2), end=D(2031, 12, 31))
    assert s.obligations == ()


def test_missing_acceptance_names_the_field(hvac: Policy) -> None:
    from warrantykit.errors import FactsError

    with pytest.raises(FactsError) as err:
        hvac.schedule(asset(completion="2025-03-01"), start=D(2025, 1, 1), end=D(2025, 12, 31))
    assert [p.path for p in err.value.problems] == ["asset.dates.acceptance"]
    assert "season-inspection" in err.value.first.message


def test_date_objects_only(hvac: Policy) -> None:
    assert isinstance(hvac.schedule(ACCEPTED, start=D(2025, 1, 1), end=D(2025, 1, 2)).start, date)
