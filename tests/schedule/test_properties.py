"""Hypothesis properties of schedules.

* every obligation is due inside the horizon, its window contains its due date, ids are
  ``<rule>@<due>`` and unique, the list is sorted; season-every dates lie inside their season;
* counts match the rule over whole periods (``every 3 months`` over k years gives 4k, ...);
* statuses agree with windows, ``as_of`` and the performed entries;
* splitting the horizon changes nothing: with the split rule "an obligation belongs to the
  part containing its due date", ``schedule(a, c)`` equals ``schedule(a, b)`` followed by
  ``schedule(b + 1 day, c)`` (obligations, statuses and unmatched work), for the same
  ``as_of`` and performed log.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from warrantykit.engine.compiled import Policy
from warrantykit.engine.obligations import ObligationStatus as St
from warrantykit.engine.obligations import Schedule
from warrantykit.engine.periods import add_months, period_last_day
from warrantykit.engine.schedule import season_calendar

from .helpers import D, policy_with, rule

DAY = timedelta(days=1)
anchors = st.dates(min_value=D(2019, 1, 1), max_value=D(2026, 12, 31))


@st.composite
def recurrences(draw: st.DrawFn) -> str:
    """The recurrence keys of one rule, in every form."""
    form = draw(st.sampled_from(["every", "times", "season_at", "season_every", "phases", "once"]))
    if form == "every":
        unit = draw(st.sampled_from(["days", "weeks", "months", "years"]))
        top = {"days": 40, "weeks": 8, "months": 12, "years": 2}[unit]
        return f"every: {draw(st.integers(1, top))} {unit}"
    if form == "times":
        return f"times_per_year: {draw(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 12]))}"
    season = draw(st.sampled_from(["beijing-cooling", "beijing-heating"]))
    if form == "season_at":
        body = f"season: {season}\nat: {draw(st.sampled_from(['start', 'end']))}"
        offset = draw(st.integers(0, 20))
        if offset:
            body += f"\noffset: {offset} days\nbefore: {draw(st.booleans())}".lower()
        return body
    if form == "season_every":
        every = draw(st.sampled_from(["1 months", "2 months", "3 weeks", "6 weeks"]))
        return f"season: {season}\nevery: {every}"
    if form == "phases":
        weeks = draw(st.integers(1, 3))
        months = draw(st.integers(1, 4))
        then = draw(st.integers(1, 2))
        return f"phases:\n  - {{every: {weeks} weeks, for: {months} months}}\n  - {{every: {then} months}}"
    return f"once: true\nwithin: {draw(st.integers(1, 24))} months"


@st.composite
def rules(draw: st.DrawFn, *, holidays: bool = True) -> str:
    body = draw(recurrences())
    if draw(st.booleans()):
        body += f"\nwindow_before: {draw(st.integers(0, 20))} days"
    if draw(st.booleans()):
        body += f"\nwindow_after: {draw(st.integers(0, 20))} days"
    bound = draw(
        st.sampled_from(["", "until: 18 months", "until_term: warranty", "until_term: forever"])
    )
    if bound:
        body += "\n" + bound
    if holidays and draw(st.booleans()):
        mode = draw(st.sampled_from(["next_working_day", "previous_working_day"]))
        body += f"\nholidays: {mode}\ncalendar: cn-statutory"
    return body


def check_shape(s: Schedule) -> None:
    ids = [o.id for o in s.obligations]
    assert len(ids) == len(set(ids)), "duplicate obligation ids"
    keys = [(o.due, o.rule) for o in s.obligations]
    assert keys == sorted(keys)
    for o in s.obligations:
        assert s.start <= o.due <= s.end
        assert o.window.earliest <= o.due <= o.window.latest
        assert o.id == f"{o.rule}@{o.due.isoformat()}"


def check_statuses(s: Schedule) -> None:
    for o in s.obligations:
        work = o.performed
        if o.status is St.DONE_ON_TIME:
            assert work is not None and o.window.contains(work.on) and work.on <= s.as_of
        elif o.status is St.DONE_LATE:
            assert work is not None and o.window.latest < work.on <= s.as_of
        else:
            assert work is None
            if o.status is St.MISSED:
                assert o.window.latest < s.as_of
            elif o.status is St.DUE:
                assert o.window.contains(s.as_of)
            else:
                assert s.as_of < o.window.earliest


# ---------------------------------------------------------------- shape


@given(body=rules(), anchor=anchors, offset=st.integers(-400, 400), days=st.integers(0, 1500))
def test_obligations_lie_in_the_horizon(body: str, anchor: date, offset: int, days: int) -> None:
    policy = policy_with(rule(body))
    start = anchor + timedelta(days=offset)
    end = start + timedelta(days=days)
    s = policy.schedule({"dates": {"acceptance": anchor.isoformat()}}, start=start, end=end)
    check_shape(s)
    check_statuses(s)
    doc_rule = policy.document.schedule[0]
    if doc_rule.holidays == "none":
        for o in s.obligations:
            assert o.due >= anchor
            assert o.moved_from is None
    if doc_rule.until is not None and doc_rule.holidays == "none":
        assert all(o.due <= add_months(anchor, 18) for o in s.obligations)
    if doc_rule.season is not None and doc_rule.every is not None and doc_rule.holidays == "none":
        seasons = season_calendar(policy, doc_rule.season)
        for o in s.obligations:
            season = seasons.season_containing(o.due)
            assert season is not None, f"{o.due} is outside every {doc_rule.season} season"
            assert season.label == o.season


# ---------------------------------------------------------------- counts


@given(anchor=anchors, n=st.sampled_from([1, 2, 3, 4, 6, 12]), years=st.integers(1, 4))
def test_every_n_months_over_whole_years(anchor: date, n: int, years: int) -> None:
    """``every N months`` (N divides 12) over k whole years from the anchor: 12k/N obligations."""
    policy = policy_with(rule(f"every: {n} months"))
    end = add_months(anchor, 12 * years)
    s = policy.schedule({"dates": {"acceptance": anchor.isoformat()}}, start=anchor + DAY, end=end)
    assert len(s.obligations) == 12 * years // n
    assert s.obligations[-1].due == end


@given(
    anchor=anchors,
    n=st.integers(1, 30),
    unit=st.sampled_from(["days", "weeks"]),
    days=st.integers(1, 800),
)
def test_every_days_and_weeks_count(anchor: date, n: int, unit: str, days: int) -> None:
    policy = policy_with(rule(f"every: {n} {unit}"))
    s = policy.schedule(
        {"dates": {"acceptance": anchor.isoformat()}},
        start=anchor + DAY,
        end=anchor + timedelta(days=days),
    )
    step = n if unit == "days" else 7 * n
    assert len(s.obligations) == days // step
    assert all((o.due - anchor).days % step == 0 for o in s.obligations)


@given(anchor=anchors, n=st.sampled_from([1, 2, 3, 4, 5, 6, 7, 12, 52]), years=st.integers(1, 3))
def test_times_per_year_tiles_whole_years(anchor: date, n: int, years: int) -> None:
    """N parts per year over k years: N*k obligations whose windows tile the years exactly."""
    policy = policy_with(rule(f"times_per_year: {n}"))
    end = period_last_day(anchor, years, "years")
    s = policy.schedule({"dates": {"acceptance": anchor.isoformat()}}, start=anchor + DAY, end=end)
    assert len(s.obligations) == n * years
    assert s.obligations[0].window.earliest == anchor + DAY
    assert s.obligations[-1].window.latest == end
    for a, b in zip(s.obligations, s.obligations[1:], strict=False):
        assert b.window.earliest == a.window.latest + DAY
        assert a.due == a.window.latest


@given(first_year=st.integers(2019, 2027), years=st.integers(1, 4))
def test_m1_three_inspections_per_cooling_season(first_year: int, years: int) -> None:
    """M1 on a 15 May - 15 Sep season, every 2 months: 15 May, 15 Jul, 15 Sep each year."""
    policy = policy_with(rule("season: beijing-cooling\nevery: 2 months"))
    s = policy.schedule(
        {"dates": {"acceptance": f"{first_year - 1}-12-31"}},
        start=D(first_year, 1, 1),
        end=D(first_year + years - 1, 12, 31),
    )
    assert len(s.obligations) == 3 * years
    assert {(o.due.month, o.due.day) for o in s.obligations} == {(5, 15), (7, 15), (9, 15)}


# ---------------------------------------------------------------- split


@st.composite
def split_case(draw: st.DrawFn) -> dict[str, Any]:
    bodies = draw(st.lists(rules(), min_size=1, max_size=3))
    text = "".join(rule(body, rule_id=f"r{i}") for i, body in enumerate(bodies))
    anchor = draw(anchors)
    a = anchor + timedelta(days=draw(st.integers(-200, 600)))
    c = a + timedelta(days=draw(st.integers(1, 1200)))
    b = a + timedelta(days=draw(st.integers(0, (c - a).days - 1)))
    performed = draw(
        st.lists(
            st.builds(
                lambda i, d: {"obligation": f"r{i % len(bodies)}", "on": d.isoformat()},
                st.integers(0, 2),
                st.dates(
                    min_value=min(anchor, a) - timedelta(days=30), max_value=c + timedelta(days=90)
                ),
            ),
            max_size=12,
        )
    )
    as_of = draw(st.dates(min_value=a - timedelta(days=100), max_value=c + timedelta(days=400)))
    return {
        "rules": text,
        "anchor": anchor,
        "a": a,
        "b": b,
        "c": c,
        "performed": performed,
        "as_of": as_of,
    }


@given(case=split_case())
def test_splitting_the_horizon_changes_nothing(case: dict[str, Any]) -> None:
    policy: Policy = policy_with(case["rules"])
    unit = {"id": "u", "dates": {"acceptance": case["anchor"].isoformat()}}

    def run(start: date, end: date) -> Schedule:
        return policy.schedule(
            unit, start=start, end=end, performed=case["performed"], as_of=case["as_of"]
        )

    whole = run(case["a"], case["c"])
    left = run(case["a"], case["b"])
    right = run(case["b"] + DAY, case["c"])
    assert whole.obligations == left.obligations + right.obligations
    assert whole.unmatched == left.unmatched == right.unmatched
    for s in (whole, left, right):
        check_shape(s)
        check_statuses(s)
    # every performed entry is used at most once
    used = [o.performed for o in whole.obligations if o.performed is not None]
    assert len(used) + len(whole.unmatched) <= len(case["performed"])


def test_split_at_every_day_around_national_day() -> None:
    """Exhaustive: holiday moves in both directions and merges, split at every day of
    Sep-Oct 2025 (National Day 1-8 Oct, make-up days 28 Sep and 11 Oct)."""
    text = (
        rule("every: 1 days\nholidays: previous_working_day\ncalendar: cn-statutory", "daily")
        + rule("every: 1 months\nholidays: previous_working_day\ncalendar: cn-statutory", "monthly")
        + rule(
            "every: 1 weeks\nwindow_after: 3 days\nholidays: next_working_day\ncalendar: cn-statutory",
            "weekly",
        )
    )
    policy = policy_with(text)
    unit = {"dates": {"acceptance": "2025-08-29"}}
    performed = [
        {"obligation": "weekly", "on": "2025-10-10"},
        {"obligation": "daily", "on": "2025-10-09"},
        {"obligation": "monthly", "on": "2025-10-01"},
    ]
    a, c = D(2025, 9, 1), D(2025, 10, 31)
    whole = policy.schedule(unit, start=a, end=c, performed=performed, as_of=D(2025, 10, 20))
    check_shape(whole)
    check_statuses(whole)
    b = a
    while b < c:
        left = policy.schedule(unit, start=a, end=b, performed=performed, as_of=D(2025, 10, 20))
        right = policy.schedule(
            unit, start=b + DAY, end=c, performed=performed, as_of=D(2025, 10, 20)
        )
        assert whole.obligations == left.obligations + right.obligations, b
        b += DAY
