"""Status of obligations at ``as_of`` and the matching of performed work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from warrantykit.engine.obligations import ObligationStatus as St
from warrantykit.engine.obligations import Window
from warrantykit.engine.schedule import match_performed
from warrantykit.errors import EvaluationError, FactsError
from warrantykit.facts import Asset, PerformedWork

from .helpers import D, asset, policy_with, rule

# every 1 month from 2025-01-31 with a 5-day grace: due 28 Feb, 31 Mar, 30 Apr, 31 May
MONTHLY = policy_with(rule("every: 1 months\nwindow_after: 5 days", rule_id="monthly"))
UNIT = asset(acceptance="2025-01-31")


def statuses(s: object) -> dict[str, str]:
    return {o.id: o.status.value for o in s.obligations}  # type: ignore[attr-defined]


def test_every_status() -> None:
    performed = [
        {"obligation": "monthly", "on": "2025-03-02"},  # in the 28 Feb window (grace to 5 Mar)
        {"obligation": "monthly", "on": "2025-04-20"},  # after the 31 Mar window: late
    ]
    s = MONTHLY.schedule(
        UNIT, start=D(2025, 1, 1), end=D(2025, 7, 31), performed=performed, as_of=D(2025, 6, 2)
    )
    assert statuses(s) == {
        "monthly@2025-02-28": "done_on_time",
        "monthly@2025-03-31": "done_late",
        "monthly@2025-04-30": "missed",
        "monthly@2025-05-31": "due",  # window 31 May .. 5 Jun is open on 2 Jun
        "monthly@2025-06-30": "upcoming",
        "monthly@2025-07-31": "upcoming",
    }
    feb = s.by_id("monthly@2025-02-28")
    assert feb.performed == PerformedWork(obligation="monthly", on=D(2025, 3, 2))
    assert "inside the window" in feb.reasons[-1].text
    mar = s.by_id("monthly@2025-03-31")
    assert "15 day(s) after the window closed on 2025-04-05" in mar.reasons[-1].text
    assert s.counts() == {"done_on_time": 1, "done_late": 1, "missed": 1, "due": 1, "upcoming": 2}
    assert [o.id for o in s.with_status("upcoming")] == ["monthly@2025-06-30", "monthly@2025-07-31"]


def test_as_of_defaults_to_the_horizon_end() -> None:
    s = MONTHLY.schedule(UNIT, start=D(2025, 1, 1), end=D(2025, 4, 2))
    assert s.as_of == D(2025, 4, 2)
    assert statuses(s) == {
        "monthly@2025-02-28": "missed",
        "monthly@2025-03-31": "due",
    }


def test_due_on_the_window_edges() -> None:
    for day, status in [
        (D(2025, 2, 27), St.UPCOMING),
        (D(2025, 2, 28), St.DUE),
        (D(2025, 3, 5), St.DUE),
        (D(2025, 3, 6), St.MISSED),
    ]:
        s = MONTHLY.schedule(UNIT, start=D(2025, 2, 1), end=D(2025, 2, 28), as_of=day)
        assert s.obligations[0].status is status, day


def test_work_after_as_of_is_not_used() -> None:
    s = MONTHLY.schedule(
        UNIT,
        start=D(2025, 2, 1),
        end=D(2025, 2, 28),
        performed=[PerformedWork(obligation="monthly", on=D(2025, 3, 1))],
        as_of=D(2025, 2, 28),
    )
    assert s.obligations[0].status is St.DUE
    (u,) = s.unmatched
    assert (u.index, u.work.on) == (0, D(2025, 3, 1))
    assert "after as_of" in u.reason


def test_earliest_open_window_wins_then_nearest_earlier() -> None:
    """Two entries in one window: the second goes to the next open window, else late to the
    nearest earlier unsatisfied occurrence."""
    policy = policy_with(
        rule("every: 1 months\nwindow_before: 20 days\nwindow_after: 20 days", rule_id="m")
    )
    # due 2025-02-01, 03-01, 04-01, ... windows overlap: 12 Feb is in Feb's and Mar's windows
    s = policy.schedule(
        asset(acceptance="2025-01-01"),
        start=D(2025, 1, 1),
        end=D(2025, 4, 30),
        performed=[
            {"obligation": "m", "on": "2025-02-12"},
            {"obligation": "m", "on": "2025-02-13"},
            {"obligation": "m", "on": "2025-02-14"},
        ],
        as_of=D(2025, 4, 30),
    )
    assert statuses(s) == {
        "m@2025-02-01": "done_on_time",
        "m@2025-03-01": "done_on_time",
        "m@2025-04-01": "missed",
    }
    assert s.by_id("m@2025-02-01").performed.on == D(2025, 2, 12)  # type: ignore[union-attr]
    assert s.by_id("m@2025-03-01").performed.on == D(2025, 2, 13)  # type: ignore[union-attr]
    (u,) = s.unmatched  # 14 Feb: nothing open or earlier is left
    assert u.index == 2


def test_late_work_goes_to_the_nearest_earlier_occurrence() -> None:
    s = MONTHLY.schedule(
        UNIT,
        start=D(2025, 1, 1),
        end=D(2025, 5, 31),
        performed=[{"obligation": "monthly", "on": "2025-05-10"}],
        as_of=D(2025, 5, 10),
    )
    assert statuses(s) == {
        "monthly@2025-02-28": "missed",
        "monthly@2025-03-31": "missed",
        "monthly@2025-04-30": "done_late",
        "monthly@2025-05-31": "upcoming",
    }


def test_work_before_any_window_is_unmatched() -> None:
    s = MONTHLY.schedule(
        UNIT,
        start=D(2025, 1, 1),
        end=D(2025, 3, 31),
        performed=[{"obligation": "monthly", "on": "2025-02-01", "note": "too early"}],
        as_of=D(2025, 4, 30),
    )
    assert s.unmatched[0].work.note == "too early"
    assert all(o.status is St.MISSED for o in s.obligations)


def test_matching_sees_occurrences_outside_the_horizon() -> None:
    """Work done late for a February visit counts there, even when the horizon starts later."""
    performed = [{"obligation": "monthly", "on": "2025-03-20"}]
    s = MONTHLY.schedule(UNIT, start=D(2025, 3, 1), end=D(2025, 4, 30), performed=performed)
    assert statuses(s) == {"monthly@2025-03-31": "missed", "monthly@2025-04-30": "due"}
    assert s.unmatched == ()


def test_match_performed_directly() -> None:
    w = [Window(D(2025, 1, 1), D(2025, 1, 10)), Window(D(2025, 2, 1), D(2025, 2, 10))]
    work = [
        (0, PerformedWork(obligation="x", on=D(2025, 2, 5))),
        (1, PerformedWork(obligation="x", on=D(2025, 2, 6))),
    ]
    taken, left = match_performed(w, work)
    assert taken == {1: (0, work[0][1], True), 0: (1, work[1][1], False)}
    assert left == []


# ---------------------------------------------------------------- bad input


def test_unknown_obligation_names_the_entry() -> None:
    with pytest.raises(FactsError) as err:
        MONTHLY.schedule(
            UNIT,
            start=D(2025, 1, 1),
            end=D(2025, 3, 1),
            performed=[
                {"obligation": "monthly", "on": "2025-02-28"},
                {"obligation": "montly", "on": "2025-02-28"},
            ],
        )
    assert err.value.first.path == "performed[1].obligation"
    assert "did you mean 'monthly'" in err.value.first.message


def test_invalid_performed_entry() -> None:
    with pytest.raises(FactsError) as err:
        MONTHLY.schedule(
            UNIT,
            start=D(2025, 1, 1),
            end=D(2025, 3, 1),
            performed=[{"obligation": "monthly", "on": "soon"}],
        )
    assert err.value.first.path == "performed[0].on"


def test_horizon_end_before_start() -> None:
    with pytest.raises(EvaluationError) as err:
        MONTHLY.schedule(UNIT, start=D(2025, 3, 1), end=D(2025, 2, 28))
    assert err.value.first.path == "end"


@pytest.mark.parametrize("field", ["start", "end", "as_of"])
def test_datetimes_are_rejected(field: str) -> None:
    args: dict[str, Any] = {"start": D(2025, 1, 1), "end": D(2025, 3, 1), "as_of": D(2025, 3, 1)}
    args[field] = datetime(2025, 2, 1, tzinfo=UTC)
    with pytest.raises(EvaluationError) as err:
        MONTHLY.schedule(UNIT, **args)
    assert err.value.first.path == field


def test_missing_anchor_names_the_asset_field() -> None:
    with pytest.raises(FactsError) as err:
        MONTHLY.schedule(asset(), start=D(2025, 1, 1), end=D(2025, 3, 1))
    assert err.value.first.path == "asset.dates.acceptance"


def test_fallback_anchor() -> None:
    policy = policy_with(
        rule(
            "every: 1 years",
            anchor="{event: acceptance, fallback: {event: completion, offset: 1 months}}",
        )
    )
    s = policy.schedule(asset(completion="2025-01-31"), start=D(2025, 1, 1), end=D(2026, 12, 31))
    assert [o.due for o in s.obligations] == [D(2026, 2, 28)]
    with pytest.raises(FactsError) as err:
        policy.schedule(asset(), start=D(2025, 1, 1), end=D(2026, 12, 31))
    assert [p.path for p in err.value.problems] == [
        "asset.dates.acceptance",
        "asset.dates.completion",
    ]


def test_until_term_anchor_missing() -> None:
    policy = policy_with(rule("every: 1 years\nuntil_term: warranty", anchor="completion"))
    with pytest.raises(FactsError) as err:
        policy.schedule(asset(completion="2025-01-01"), start=D(2025, 1, 1), end=D(2026, 12, 31))
    assert err.value.first.path == "asset.dates.acceptance"


def test_invalid_asset_facts() -> None:
    with pytest.raises(FactsError) as err:
        MONTHLY.schedule(
            {"dates": {"acceptance": "2025-02-30"}}, start=D(2025, 1, 1), end=D(2025, 3, 1)
        )
    assert err.value.first.path == "asset.dates.acceptance"


def test_asset_model_accepted() -> None:
    s = MONTHLY.schedule(Asset.model_validate(UNIT), start=D(2025, 1, 1), end=D(2025, 3, 1))
    assert s.asset_id == "unit-1"
