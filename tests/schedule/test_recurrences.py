"""Every recurrence form of a schedule rule, with hand-computed dates (M1-M9, P11)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import islice

import pytest

from warrantykit.engine.schedule import (
    every_occurrences,
    once_occurrence,
    phased_occurrences,
    season_edge_occurrences,
    season_every_occurrences,
    times_per_year_occurrences,
)
from warrantykit.engine.seasons import SeasonCalendar
from warrantykit.errors import EvaluationError, PolicyError
from warrantykit.policies.durations import Duration
from warrantykit.policies.models import Phase

from .helpers import D, asset, dues, policy_with, rule, windows

COOLING = SeasonCalendar(name="cooling", start=(5, 15), end=(9, 15))
HEATING = SeasonCalendar(
    name="heating", start=(11, 15), end=(3, 15), adjustments={2021: (None, D(2022, 3, 22))}
)


def dur(text: str) -> Duration:
    return Duration.model_validate(text)


def first(n: int, it: object) -> list[date]:
    return [o.due for o in islice(it, n)]  # type: ignore[call-overload]


# ---------------------------------------------------------------- every (M4, M7, M8)


def test_every_months_is_anchored_not_iterated() -> None:
    """DT-13: occurrence k = add_months(anchor, k*N); 31 Jan stays the 31st where it exists."""
    got = first(13, every_occurrences(D(2024, 1, 31), dur("1 months")))
    assert got == [
        D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31), D(2024, 6, 30),
        D(2024, 7, 31), D(2024, 8, 31), D(2024, 9, 30), D(2024, 10, 31), D(2024, 11, 30),
        D(2024, 12, 31), D(2025, 1, 31), D(2025, 2, 28),
    ]  # fmt: skip


def test_every_quarter_m4() -> None:
    assert first(4, every_occurrences(D(2025, 3, 1), dur("3 months"))) == [
        D(2025, 6, 1), D(2025, 9, 1), D(2025, 12, 1), D(2026, 3, 1),
    ]  # fmt: skip


def test_every_days_and_weeks_use_rrule() -> None:
    assert first(3, every_occurrences(D(2025, 1, 1), dur("10 days"))) == [
        D(2025, 1, 11), D(2025, 1, 21), D(2025, 1, 31),
    ]  # fmt: skip
    assert first(3, every_occurrences(D(2025, 1, 1), dur("2 weeks"))) == [
        D(2025, 1, 15), D(2025, 1, 29), D(2025, 2, 12),
    ]  # fmt: skip


def test_every_year_from_29_february() -> None:
    assert first(4, every_occurrences(D(2024, 2, 29), dur("1 years"))) == [
        D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29),
    ]  # fmt: skip


def test_every_zero_is_rejected() -> None:
    with pytest.raises(EvaluationError):
        next(every_occurrences(D(2025, 1, 1), dur("0 days")))


def test_every_through_a_policy_point_window() -> None:
    policy = policy_with(rule("every: 1 months"))
    s = policy.schedule(asset(acceptance="2024-01-31"), start=D(2024, 1, 1), end=D(2024, 5, 31))
    assert dues(s) == [D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31)]
    assert windows(s)[0] == (D(2024, 2, 29), D(2024, 2, 29))
    assert [o.id for o in s.obligations][:2] == ["r@2024-02-29", "r@2024-03-31"]


# ---------------------------------------------------------------- times_per_year (M6, M8)


def test_times_per_year_two_by_months() -> None:
    """Two equal parts of each year from 1 Mar 2025 (start day excluded): due at 6 and 12 months."""
    parts = list(islice(times_per_year_occurrences(D(2025, 3, 1), 2), 4))
    assert [(o.earliest, o.latest, o.due) for o in parts] == [
        (D(2025, 3, 2), D(2025, 9, 1), D(2025, 9, 1)),
        (D(2025, 9, 2), D(2026, 3, 1), D(2026, 3, 1)),
        (D(2026, 3, 2), D(2026, 9, 1), D(2026, 9, 1)),
        (D(2026, 9, 2), D(2027, 3, 1), D(2027, 3, 1)),
    ]


def test_times_per_year_start_day_included() -> None:
    parts = list(islice(times_per_year_occurrences(D(2025, 3, 1), 2, start_day="included"), 2))
    assert [(o.earliest, o.latest) for o in parts] == [
        (D(2025, 3, 1), D(2025, 8, 31)),
        (D(2025, 9, 1), D(2026, 2, 28)),
    ]


def test_times_per_year_twelve_from_month_end() -> None:
    parts = list(islice(times_per_year_occurrences(D(2024, 1, 31), 12), 3))
    assert [(o.earliest, o.latest) for o in parts] == [
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 3, 1), D(2024, 3, 31)),
        (D(2024, 4, 1), D(2024, 4, 30)),
    ]


def test_times_per_year_five_by_days() -> None:
    """12 % 5 != 0: year 2025-01-02..2026-01-01 (365 days) split at floor(365*j/5)."""
    parts = list(islice(times_per_year_occurrences(D(2025, 1, 1), 5), 6))
    assert [(o.earliest, o.latest) for o in parts] == [
        (D(2025, 1, 2), D(2025, 3, 15)),
        (D(2025, 3, 16), D(2025, 5, 27)),
        (D(2025, 5, 28), D(2025, 8, 8)),
        (D(2025, 8, 9), D(2025, 10, 20)),
        (D(2025, 10, 21), D(2026, 1, 1)),
        (D(2026, 1, 2), D(2026, 3, 15)),
    ]


def test_m6_twice_a_year_first_within_six_months() -> None:
    """M6: times_per_year 2 + within 6 months -- the first part ends exactly at 6 months."""
    policy = policy_with(
        rule(
            "times_per_year: 2\nwithin: 6 months\nuntil_term: warranty",
            kind="visit",
            anchor="handover",
        )
    )
    s = policy.schedule(
        asset(handover="2025-03-01", acceptance="2025-03-01"),
        start=D(2025, 1, 1),
        end=D(2030, 1, 1),
    )
    assert windows(s) == [
        (D(2025, 3, 2), D(2025, 9, 1)),
        (D(2025, 9, 2), D(2026, 3, 1)),
        (D(2026, 3, 2), D(2026, 9, 1)),
        (D(2026, 9, 2), D(2027, 3, 1)),
    ]  # the warranty (2 years from acceptance) ends 2027-03-01


def test_first_within_caps_the_first_obligation() -> None:
    """``within`` on a recurring rule caps the first due date (and window end)."""
    policy = policy_with(rule("times_per_year: 1\nwithin: 6 months"))
    s = policy.schedule(asset(acceptance="2025-03-01"), start=D(2025, 1, 1), end=D(2027, 3, 1))
    assert windows(s) == [
        (D(2025, 3, 2), D(2025, 9, 1)),
        (D(2026, 3, 2), D(2027, 3, 1)),
    ]


# ---------------------------------------------------------------- seasons (M1, M2, M3)


def test_season_start_m2() -> None:
    got = first(3, season_edge_occurrences(D(2025, 3, 1), COOLING, at="start"))
    assert got == [D(2025, 5, 15), D(2026, 5, 15), D(2027, 5, 15)]


def test_season_start_skips_seasons_before_the_anchor() -> None:
    got = first(2, season_edge_occurrences(D(2025, 6, 1), COOLING, at="start"))
    assert got == [D(2026, 5, 15), D(2027, 5, 15)]
    # heating starting 2024-11-15 began before a 2025-01-10 anchor
    assert first(1, season_edge_occurrences(D(2025, 1, 10), HEATING, at="start")) == [
        D(2025, 11, 15)
    ]


def test_pre_start_and_pre_shutdown_checks_m3() -> None:
    pre_start = season_edge_occurrences(
        D(2025, 3, 1), COOLING, at="start", offset=dur("7 days"), before=True
    )
    assert first(2, pre_start) == [D(2025, 5, 8), D(2026, 5, 8)]
    pre_shutdown = season_edge_occurrences(
        D(2025, 3, 1), COOLING, at="end", offset=dur("3 days"), before=True
    )
    assert first(2, pre_shutdown) == [D(2025, 9, 12), D(2026, 9, 12)]
    after_start = season_edge_occurrences(D(2025, 3, 1), HEATING, at="start", offset=dur("5 days"))
    assert first(1, after_start) == [D(2025, 11, 20)]


def test_season_end_uses_adjustments() -> None:
    """Beijing 2021/22 heating ended on 22 March (adjusted)."""
    got = first(2, season_edge_occurrences(D(2021, 6, 1), HEATING, at="end"))
    assert got == [D(2022, 3, 22), D(2023, 3, 15)]


def test_season_every_m1() -> None:
    """M1: every 2 months during the cooling season, from its start, inside it (ends included)."""
    got = first(6, season_every_occurrences(D(2025, 3, 1), COOLING, dur("2 months")))
    assert got == [
        D(2025, 5, 15), D(2025, 7, 15), D(2025, 9, 15),
        D(2026, 5, 15), D(2026, 7, 15), D(2026, 9, 15),
    ]  # fmt: skip
    occurrences = list(islice(season_every_occurrences(D(2025, 3, 1), COOLING, dur("2 months")), 4))
    assert [o.season for o in occurrences] == ["2025", "2025", "2025", "2026"]


def test_season_every_across_new_year_in_progress() -> None:
    """A heating season running at the anchor contributes its remaining dates."""
    got = first(8, season_every_occurrences(D(2025, 1, 1), HEATING, dur("1 months")))
    assert got == [
        D(2025, 1, 15), D(2025, 2, 15), D(2025, 3, 15),
        D(2025, 11, 15), D(2025, 12, 15), D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15),
    ]  # fmt: skip


def test_season_every_with_offset() -> None:
    got = first(
        3, season_every_occurrences(D(2025, 1, 1), COOLING, dur("6 weeks"), offset=dur("1 weeks"))
    )
    # first = 22 May; +6 weeks = 3 Jul, 14 Aug; 25 Sep is after the 15 Sep end
    assert got == [D(2025, 5, 22), D(2025, 7, 3), D(2025, 8, 14)]


# ---------------------------------------------------------------- phases (M5)


def test_phases_m5_every_two_weeks_then_monthly() -> None:
    phases = (
        Phase.model_validate({"every": "2 weeks", "for": "3 months"}),
        Phase.model_validate({"every": "1 months"}),
    )
    got = first(9, phased_occurrences(D(2025, 1, 31), phases))
    assert got == [
        D(2025, 2, 14), D(2025, 2, 28), D(2025, 3, 14), D(2025, 3, 28), D(2025, 4, 11),
        D(2025, 4, 25),  # phase 1 ends 2025-04-30
        D(2025, 5, 31), D(2025, 6, 30), D(2025, 7, 31),  # anchored: 31 Jan + 4, 5, 6 months
    ]  # fmt: skip


def test_phase_boundary_occurrence_belongs_to_earlier_phase() -> None:
    phases = (
        Phase.model_validate({"every": "2 weeks", "for": "4 weeks"}),
        Phase.model_validate({"every": "1 weeks", "for": "2 weeks"}),
    )
    got = [o.due for o in phased_occurrences(D(2025, 1, 1), phases)]
    assert got == [D(2025, 1, 15), D(2025, 1, 29), D(2025, 2, 5), D(2025, 2, 12)]


def test_phases_through_a_policy() -> None:
    policy = policy_with(
        rule(
            """
            phases:
              - {every: 2 weeks, for: 3 months}
              - {every: 1 months}
            until: 6 months
            """,
            kind="maintenance",
            anchor="operation_start",
        )
    )
    s = policy.schedule(asset(operation_start="2025-01-31"), start=D(2025, 1, 1), end=D(2026, 1, 1))
    assert dues(s) == [
        D(2025, 2, 14),
        D(2025, 2, 28),
        D(2025, 3, 14),
        D(2025, 3, 28),
        D(2025, 4, 11),
        D(2025, 4, 25),
        D(2025, 5, 31),
        D(2025, 6, 30),
        D(2025, 7, 31),
    ]  # fmt: skip  -- until 6 months = 2025-07-31


def test_open_phase_must_be_last() -> None:
    # caught by `warrantykit check`, before any schedule is computed
    with pytest.raises(PolicyError) as err:
        policy_with(rule("phases:\n  - {every: 1 weeks}\n  - {every: 1 months}"))
    assert err.value.first.path == "schedule[0]"
    assert "only the last phase may be open-ended" in err.value.first.message


# ---------------------------------------------------------------- once (M6 card, M9, P11)


def test_once_warranty_card_m6() -> None:
    (occ,) = once_occurrence(D(2025, 1, 31), dur("1 months"))
    assert (occ.earliest, occ.due) == (D(2025, 1, 31), D(2025, 2, 28))


def test_once_record_retention_m9_window_is_the_retention_period() -> None:
    policy = policy_with(
        rule(
            "once: true\nwithin: 5 years",
            kind="record_retention",
            anchor="{event: handover, offset: 2 years}",
        )
    )
    s = policy.schedule(asset(handover="2025-03-01"), start=D(2025, 1, 1), end=D(2035, 1, 1))
    (ob,) = s.obligations
    assert ob.id == "r@2032-03-01"
    assert (ob.window.earliest, ob.window.latest, ob.due) == (
        D(2027, 3, 1),
        D(2032, 3, 1),
        D(2032, 3, 1),
    )
    assert ob.kind == "record_retention"


def test_once_spare_parts_p11() -> None:
    policy = policy_with(
        rule("once: true\nwithin: 3 years", kind="parts_availability", anchor="discontinuation")
    )
    s = policy.schedule(asset(discontinuation="2025-06-30"), start=D(2025, 1, 1), end=D(2030, 1, 1))
    assert windows(s) == [(D(2025, 6, 30), D(2028, 6, 30))]
    # only the horizon containing the due date shows it
    early = policy.schedule(
        asset(discontinuation="2025-06-30"), start=D(2025, 1, 1), end=D(2026, 1, 1)
    )
    assert early.obligations == ()
    assert early.unmatched == ()


def test_once_within_working_days_s15() -> None:
    """S15-style: within 3 working days on the Chinese calendar (CONV-08)."""
    policy = policy_with(
        rule("once: true\nwithin: 3 working_days\ncalendar: cn-statutory", kind="report")
    )
    s = policy.schedule(asset(acceptance="2025-09-30"), start=D(2025, 9, 1), end=D(2025, 12, 31))
    # working days after 30 Sep 2025: 9, 10, 11 (make-up Saturday) October
    assert dues(s) == [D(2025, 10, 11)]


# ---------------------------------------------------------------- bounds and windows


def test_until_bounds_every_form() -> None:
    policy = policy_with(rule("every: 1 months\nuntil: 3 months"))
    s = policy.schedule(asset(acceptance="2025-01-15"), start=D(2025, 1, 1), end=D(2026, 1, 1))
    assert dues(s) == [D(2025, 2, 15), D(2025, 3, 15), D(2025, 4, 15)]


def test_until_term_seasons() -> None:
    """until_term of a 2-heating-season term (CONV-06): ends 2027-03-15 from 2025-03-01."""
    policy = policy_with(rule("season: beijing-heating\nat: start\nuntil_term: heating-seasons"))
    s = policy.schedule(asset(acceptance="2025-03-01"), start=D(2025, 1, 1), end=D(2030, 1, 1))
    assert dues(s) == [D(2025, 11, 15), D(2026, 11, 15)]


def test_until_and_until_term_earlier_wins() -> None:
    policy = policy_with(rule("every: 6 months\nuntil: 1 years\nuntil_term: warranty"))
    s = policy.schedule(asset(acceptance="2025-03-01"), start=D(2025, 1, 1), end=D(2030, 1, 1))
    assert dues(s) == [D(2025, 9, 1), D(2026, 3, 1)]


def test_lifetime_term_does_not_bound() -> None:
    policy = policy_with(rule("every: 1 years\nuntil_term: forever"))
    s = policy.schedule(asset(acceptance="2025-03-01"), start=D(2040, 1, 1), end=D(2041, 12, 31))
    assert dues(s) == [D(2040, 3, 1), D(2041, 3, 1)]


def test_window_before_and_after_widen_the_window() -> None:
    policy = policy_with(rule("every: 1 months\nwindow_before: 5 days\nwindow_after: 1 weeks"))
    s = policy.schedule(asset(acceptance="2025-01-31"), start=D(2025, 1, 1), end=D(2025, 3, 31))
    assert windows(s) == [
        (D(2025, 2, 23), D(2025, 3, 7)),
        (D(2025, 3, 26), D(2025, 4, 7)),
    ]
    assert dues(s) == [D(2025, 2, 28), D(2025, 3, 31)]


# ---------------------------------------------------------------- holidays


def test_next_working_day_moves_due_and_window() -> None:
    """1 Oct 2025 (National Day, holidays 1-8 Oct) moves forward to Thu 9 Oct."""
    policy = policy_with(
        rule(
            "every: 1 months\nwindow_after: 2 days\nholidays: next_working_day\ncalendar: cn-statutory"
        )
    )
    s = policy.schedule(asset(acceptance="2025-09-01"), start=D(2025, 9, 1), end=D(2025, 12, 31))
    obs = s.obligations
    assert [o.id for o in obs] == ["r@2025-10-09", "r@2025-11-03", "r@2025-12-01"]
    assert obs[0].moved_from == D(2025, 10, 1)
    assert (obs[0].window.earliest, obs[0].window.latest) == (D(2025, 10, 9), D(2025, 10, 11))
    assert obs[1].moved_from == D(2025, 11, 1)  # a Saturday
    assert obs[2].moved_from is None  # a Monday
    assert any("moved forward" in r.text for r in obs[0].reasons)


def test_previous_working_day_moves_back() -> None:
    policy = policy_with(
        rule("every: 1 months\nholidays: previous_working_day\ncalendar: cn-statutory")
    )
    s = policy.schedule(asset(acceptance="2025-09-01"), start=D(2025, 9, 1), end=D(2025, 11, 30))
    assert dues(s) == [D(2025, 9, 30), D(2025, 10, 31)]
    assert s.obligations[0].moved_from == D(2025, 10, 1)


def test_date_moved_back_into_the_horizon_is_included() -> None:
    """1 Oct 2025 moves back to 30 Sep: a horizon ending 30 Sep must show it."""
    policy = policy_with(
        rule("every: 1 months\nholidays: previous_working_day\ncalendar: cn-statutory")
    )
    s = policy.schedule(asset(acceptance="2025-09-01"), start=D(2025, 9, 1), end=D(2025, 9, 30))
    assert [o.id for o in s.obligations] == ["r@2025-09-30"]


def test_holiday_moves_merge_occurrences_on_the_same_day() -> None:
    policy = policy_with(rule("every: 1 days\nholidays: next_working_day\ncalendar: cn-statutory"))
    s = policy.schedule(asset(acceptance="2025-09-30"), start=D(2025, 9, 1), end=D(2025, 10, 12))
    assert dues(s) == [D(2025, 10, 9), D(2025, 10, 10), D(2025, 10, 11)]
    merged = s.obligations[0]
    # 1 Oct moved to 9 Oct first; 2-8 Oct (moved) and 9 Oct itself were merged into it
    assert sum("merged" in r.text for r in merged.reasons) == 8


def test_untrusted_holiday_year_warns() -> None:
    policy = policy_with(rule("every: 1 years\nholidays: next_working_day\ncalendar: cn-statutory"))
    s = policy.schedule(asset(acceptance="2026-06-01"), start=D(2027, 1, 1), end=D(2027, 12, 31))
    (ob,) = s.obligations
    assert any("not trusted" in r.text for r in ob.reasons)


# ---------------------------------------------------------------- rule problems


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("every: 2 hours", "'every' of a schedule rule is counted in days or longer units"),
        ("every: 1 months\noffset: 2 days", "'offset' and 'before' shift a season edge"),
        (
            "season: beijing-cooling\nevery: 1 months\nbefore: true",
            "'offset' and 'before' shift a season edge",
        ),
    ],
)
def test_rules_check_rejects(body: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        policy_with(rule(body))
    assert err.value.first.path.startswith("schedule[0]")
    assert message in err.value.first.message
    assert err.value.first.file == "schedule-test.yaml"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("every: 0 months", "schedule[0].every"),
        ("once: true\nwithin: 2 working_days", "schedule[0].within"),
    ],
)
def test_rules_the_engine_cannot_evaluate(body: str, path: str) -> None:
    policy = policy_with(rule(body))
    with pytest.raises(EvaluationError) as err:
        policy.schedule(asset(acceptance="2025-01-01"), start=D(2025, 1, 1), end=D(2025, 12, 31))
    assert err.value.first.path == path
    assert err.value.first.file == "schedule-test.yaml"


def test_every_generator_is_lazy_and_endless() -> None:
    it = every_occurrences(D(2025, 1, 1), dur("1 days"))
    assert first(1000, it)[-1] == D(2025, 1, 1) + timedelta(days=1000)
