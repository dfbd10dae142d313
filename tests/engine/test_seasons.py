"""Tests of warrantykit.engine.seasons: heating/cooling seasons (CN-BLD-*, CONV-06)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import islice

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from warrantykit.engine.seasons import Season, SeasonCalendar
from warrantykit.errors import CalendarError

D = date

# CN-BLD-11 calendars
BEIJING = SeasonCalendar(name="Beijing heating", start=(11, 15), end=(3, 15))
BEIJING_ADJUSTED = SeasonCalendar(
    name="Beijing heating",
    start=(11, 15),
    end=(3, 15),
    adjustments={2021: (None, D(2022, 3, 22))},
)
QINGDAO = SeasonCalendar(name="Qingdao heating", start=(11, 16), end=(4, 5))
COOLING = SeasonCalendar(name="cooling", start=(6, 1), end=(9, 30))


# ------------------------------------------------------------- season data


def test_cn_bld11_beijing_season_of_year() -> None:
    """CN-BLD-11: Beijing 15 Nov - 15 Mar, identified by its starting year."""
    season = BEIJING.season_of_year(2023)
    assert season == Season(D(2023, 11, 15), D(2024, 3, 15), "2023/24")
    assert season.label == "2023/24"
    assert season.days == 16 + 31 + 31 + 29 + 15
    assert BEIJING.crosses_new_year


def test_season_label_and_validation() -> None:
    assert COOLING.season_of_year(2024) == Season(D(2024, 6, 1), D(2024, 9, 30), "2024")
    assert Season(D(2099, 11, 15), D(2100, 3, 15)).label == "2099/00"
    with pytest.raises(CalendarError):
        Season(D(2024, 3, 15), D(2024, 3, 14))


def test_cn_bld11_beijing_season_containing() -> None:
    """CN-BLD-11: first and last day are inside the season."""
    s2324 = BEIJING.season_of_year(2023)
    assert BEIJING.season_containing(D(2023, 11, 15)) == s2324
    assert BEIJING.season_containing(D(2024, 1, 1)) == s2324
    assert BEIJING.season_containing(D(2024, 3, 15)) == s2324
    assert BEIJING.season_containing(D(2024, 3, 16)) is None
    assert BEIJING.season_containing(D(2023, 11, 14)) is None
    assert BEIJING.season_containing(D(2023, 7, 1)) is None


# ------------------------------------------------------------------ CONV-06


def test_conv06_beijing_three_seasons_from_summer_acceptance() -> None:
    """CONV-06, CN-BLD-02/03: accepted 2023-06-01, 3 seasons = 2023/24, 24/25, 25/26."""
    anchor = D(2023, 6, 1)
    seasons = list(islice(BEIJING.seasons_from(anchor), 3))
    assert [s.label for s in seasons] == ["2023/24", "2024/25", "2025/26"]
    assert BEIJING.nth_season_end(anchor, 3) == D(2026, 3, 15)
    # nothing is running in June: the flag changes nothing
    assert BEIJING.nth_season_end(anchor, 3, count_in_progress=True) == D(2026, 3, 15)


def test_conv06_beijing_three_seasons_from_winter_acceptance() -> None:
    """CONV-06: accepted 2023-12-01, during 2023/24."""
    anchor = D(2023, 12, 1)
    # complete seasons only: 2024/25, 2025/26, 2026/27
    assert [s.label for s in islice(BEIJING.seasons_from(anchor), 3)] == [
        "2024/25",
        "2025/26",
        "2026/27",
    ]
    assert BEIJING.nth_season_end(anchor, 3) == D(2027, 3, 15)
    # count_season_in_progress: 2023/24, 2024/25, 2025/26
    in_progress = list(islice(BEIJING.seasons_from(anchor, count_in_progress=True), 3))
    assert [s.label for s in in_progress] == ["2023/24", "2024/25", "2025/26"]
    assert BEIJING.nth_season_end(anchor, 3, count_in_progress=True) == D(2026, 3, 15)


def test_conv06_anchor_on_first_day_counts_as_on() -> None:
    """CONV-06: a season starting on the anchor day itself is complete."""
    anchor = D(2024, 11, 15)
    assert BEIJING.nth_season_end(anchor, 1) == D(2025, 3, 15)
    assert BEIJING.nth_season_end(anchor, 1, count_in_progress=True) == D(2025, 3, 15)
    # the day after: 2024/25 is in progress
    assert BEIJING.nth_season_end(anchor + timedelta(days=1), 1) == D(2026, 3, 15)
    assert BEIJING.nth_season_end(anchor + timedelta(days=1), 1, count_in_progress=True) == D(
        2025, 3, 15
    )


def test_conv06_anchor_on_last_day_is_in_progress() -> None:
    """CONV-06: the last day of a season is still inside it."""
    anchor = D(2024, 3, 15)
    assert BEIJING.nth_season_end(anchor, 1, count_in_progress=True) == D(2024, 3, 15)
    assert BEIJING.nth_season_end(anchor, 1) == D(2025, 3, 15)


def test_cn_bld07_qingdao_two_seasons() -> None:
    """CN-BLD-07: Qingdao 16 Nov - 5 Apr, warranty of 2 heating seasons."""
    assert QINGDAO.season_of_year(2024) == Season(D(2024, 11, 16), D(2025, 4, 5))
    # accepted 2024-04-01, while 2023/24 is still heating
    assert QINGDAO.nth_season_end(D(2024, 4, 1), 2) == D(2026, 4, 5)
    assert QINGDAO.nth_season_end(D(2024, 4, 1), 2, count_in_progress=True) == D(2025, 4, 5)
    # accepted on the first heating day
    assert QINGDAO.nth_season_end(D(2024, 11, 16), 2) == D(2026, 4, 5)
    assert QINGDAO.nth_season_end(D(2024, 11, 17), 2) == D(2027, 4, 5)
    # boundaries
    assert QINGDAO.season_containing(D(2024, 4, 5)) == QINGDAO.season_of_year(2023)
    assert QINGDAO.season_containing(D(2024, 4, 6)) is None
    assert QINGDAO.season_containing(D(2024, 11, 16)) == QINGDAO.season_of_year(2024)


def test_cn_bld11_beijing_2021_adjustment() -> None:
    """CN-BLD-11: Beijing 2021/22 ended on 22 March instead of 15 March."""
    season = BEIJING_ADJUSTED.season_of_year(2021)
    assert season == Season(D(2021, 11, 15), D(2022, 3, 22), "2021/22")
    assert BEIJING_ADJUSTED.season_containing(D(2022, 3, 20)) == season
    assert BEIJING.season_containing(D(2022, 3, 20)) is None
    assert BEIJING_ADJUSTED.season_containing(D(2022, 3, 23)) is None
    # other years are untouched
    assert BEIJING_ADJUSTED.season_of_year(2022) == BEIJING.season_of_year(2022)
    # a warranty of 1 season from a summer 2021 acceptance ends on the adjusted day
    assert BEIJING_ADJUSTED.nth_season_end(D(2021, 6, 1), 1) == D(2022, 3, 22)
    assert BEIJING_ADJUSTED.nth_season_end(D(2021, 6, 1), 2) == D(2023, 3, 15)
    # accepted 2022-03-18: in progress only because of the adjustment
    assert BEIJING_ADJUSTED.nth_season_end(D(2022, 3, 18), 1, count_in_progress=True) == D(
        2022, 3, 22
    )
    assert BEIJING.nth_season_end(D(2022, 3, 18), 1, count_in_progress=True) == D(2023, 3, 15)


def test_adjusted_start() -> None:
    """An earlier start (cold autumn) moves the first day of that season only."""
    cal = SeasonCalendar(
        name="Heze heating",
        start=(11, 15),
        end=(3, 15),
        adjustments={2022: (D(2022, 11, 8), None)},
    )
    assert cal.season_of_year(2022) == Season(D(2022, 11, 8), D(2023, 3, 15))
    assert cal.nth_season_end(D(2022, 11, 10), 1, count_in_progress=True) == D(2023, 3, 15)
    assert cal.nth_season_end(D(2022, 11, 10), 1) == D(2024, 3, 15)


def test_feb29_window_clips_in_common_years() -> None:
    """29 Feb as a window end (or start) means 28 Feb in common years."""
    cal = SeasonCalendar(name="winter", start=(12, 1), end=(2, 29))
    assert cal.season_of_year(2022).end == D(2023, 2, 28)
    assert cal.season_of_year(2023).end == D(2024, 2, 29)
    starts_29 = SeasonCalendar(name="odd", start=(2, 29), end=(6, 30))
    assert starts_29.season_of_year(2023).start == D(2023, 2, 28)
    assert starts_29.season_of_year(2024).start == D(2024, 2, 29)


def test_seasons_between() -> None:
    """Seasons overlapping a span, partial ones included (schedule engine)."""
    span = BEIJING.seasons_between(D(2024, 3, 15), D(2025, 11, 15))
    assert [s.label for s in span] == ["2023/24", "2024/25", "2025/26"]
    assert BEIJING.seasons_between(D(2024, 3, 16), D(2024, 11, 14)) == []
    assert COOLING.seasons_between(D(2024, 1, 1), D(2024, 12, 31)) == [COOLING.season_of_year(2024)]
    with pytest.raises(CalendarError):
        BEIJING.seasons_between(D(2024, 3, 16), D(2024, 3, 15))


# --------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ((13, 1), (3, 15)),
        ((0, 1), (3, 15)),
        ((2, 30), (3, 15)),
        ((11, 15), (4, 31)),
        ((11, 0), (3, 15)),
        ((11,), (3, 15)),
        ((11, 15.0), (3, 15)),
        ("11-15", (3, 15)),
    ],
)
def test_invalid_month_or_day(start: object, end: object) -> None:
    with pytest.raises(CalendarError):
        SeasonCalendar(name="x", start=start, end=end)  # type: ignore[arg-type]


def test_window_longer_than_a_year() -> None:
    """29 Feb .. 28 Feb would start on 28 Feb in a common year and overlap the next season."""
    with pytest.raises(CalendarError, match="longer than a year"):
        SeasonCalendar(name="x", start=(2, 29), end=(2, 28))
    # a window covering the whole year is fine: seasons touch but never overlap
    whole = SeasonCalendar(name="all year", start=(3, 1), end=(2, 29))
    assert whole.season_of_year(2023) == Season(D(2023, 3, 1), D(2024, 2, 29))
    assert whole.season_of_year(2024).start == D(2024, 3, 1)


def test_nth_season_requires_n_at_least_one() -> None:
    for n in (0, -1):
        with pytest.raises(CalendarError):
            BEIJING.nth_season_end(D(2024, 1, 1), n)
    with pytest.raises(CalendarError):
        BEIJING.nth_season_end(D(2024, 1, 1), True)


@pytest.mark.parametrize(
    "adjustments",
    [
        {2021: (D(2022, 1, 5), None)},  # start not in the key year
        {2021: (None, D(2021, 11, 1))},  # ends before it starts
        {2021: (None, D(2022, 11, 15))},  # runs into the next season
        {2022: (D(2022, 3, 10), None)},  # starts inside the previous season
        {2021: (datetime(2021, 11, 1), None)},  # not a calendar date
        {2021: (None,)},  # not a pair
        {0: (None, None)},  # no such year
    ],
)
def test_invalid_adjustments(adjustments: object) -> None:
    with pytest.raises(CalendarError):
        SeasonCalendar(
            name="x",
            start=(11, 15),
            end=(3, 15),
            adjustments=adjustments,  # type: ignore[arg-type]
        )


def test_calendar_errors_for_bad_dates_and_years() -> None:
    with pytest.raises(CalendarError):
        BEIJING.season_of_year(9999)  # would end in year 10000
    assert COOLING.season_of_year(9999).end == D(9999, 9, 30)
    with pytest.raises(CalendarError):
        BEIJING.season_containing(datetime(2024, 1, 1, 12, 0))
    with pytest.raises(CalendarError):
        BEIJING.seasons_from(datetime(2024, 1, 1, 12, 0))  # raised on the call, not lazily
    assert list(BEIJING.seasons_from(D(9998, 3, 1))) == [BEIJING.season_of_year(9998)]
    with pytest.raises(CalendarError):
        BEIJING.nth_season_end(D(9998, 12, 1), 2)
    with pytest.raises(CalendarError):
        SeasonCalendar(name="", start=(11, 15), end=(3, 15))
    assert BEIJING.season_containing(D(1, 1, 1)) is None


def test_calendar_equality_and_repr() -> None:
    again = SeasonCalendar(
        name="Beijing heating",
        start=(11, 15),
        end=(3, 15),
        adjustments={2021: (None, D(2022, 3, 22))},
    )
    assert again == BEIJING_ADJUSTED
    assert hash(again) == hash(BEIJING_ADJUSTED)
    assert again != BEIJING
    assert "Beijing heating" in repr(again)
    with pytest.raises(TypeError):
        again.adjustments[2022] = (None, None)  # type: ignore[index]


# --------------------------------------------------------------- properties


@st.composite
def month_days(draw: st.DrawFn) -> tuple[int, int]:
    month = draw(st.integers(1, 12))
    longest = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    # bias towards month ends and 29 February
    day = draw(st.one_of(st.integers(1, longest), st.integers(max(1, longest - 2), longest)))
    return month, day


@st.composite
def calendars(draw: st.DrawFn) -> SeasonCalendar:
    start = draw(month_days())
    end = draw(month_days())
    assume((start, end) != ((2, 29), (2, 28)))
    return SeasonCalendar(name="generated", start=start, end=end)


any_calendar = st.one_of(
    st.sampled_from([BEIJING, BEIJING_ADJUSTED, QINGDAO, COOLING]), calendars()
)
years = st.integers(1990, 2060)
days = st.dates(D(1990, 1, 1), D(2060, 12, 31))


@given(any_calendar, years)
def test_prop_seasons_start_before_end_and_increase(cal: SeasonCalendar, year: int) -> None:
    """Every season's start <= end; consecutive seasons are disjoint and increasing."""
    this = cal.season_of_year(year)
    following = cal.season_of_year(year + 1)
    assert this.start <= this.end
    assert this.end < following.start
    assert this.start.year == year
    assert this.days <= 366


@given(any_calendar, days)
def test_prop_season_containing_contains_the_day(cal: SeasonCalendar, day: date) -> None:
    """season_containing(d) contains d; None means no nearby season does."""
    found = cal.season_containing(day)
    nearby = [cal.season_of_year(y) for y in range(day.year - 2, day.year + 2)]
    holders = [s for s in nearby if s.contains(day)]
    if found is None:
        assert holders == []
    else:
        assert found.contains(day)
        assert holders == [found]


@given(any_calendar, days, st.integers(1, 6), st.booleans())
def test_prop_conv06_nth_season_end_strictly_increasing(
    cal: SeasonCalendar, anchor: date, n: int, in_progress: bool
) -> None:
    """CONV-06: more seasons always end later."""
    first = cal.nth_season_end(anchor, n, count_in_progress=in_progress)
    second = cal.nth_season_end(anchor, n + 1, count_in_progress=in_progress)
    assert first < second


@given(any_calendar, days, st.integers(1, 5), st.booleans())
def test_prop_conv06_nth_season_end_matches_seasons_from(
    cal: SeasonCalendar, anchor: date, n: int, in_progress: bool
) -> None:
    """CONV-06: the N-th season of seasons_from ends on nth_season_end."""
    seasons = list(islice(cal.seasons_from(anchor, count_in_progress=in_progress), n))
    assert len(seasons) == n
    assert seasons[-1].end == cal.nth_season_end(anchor, n, count_in_progress=in_progress)
    for before, after in zip(seasons, seasons[1:], strict=False):
        assert before.end < after.start


@given(any_calendar, days)
def test_prop_conv06_first_counted_season(cal: SeasonCalendar, anchor: date) -> None:
    """CONV-06: complete seasons start on/after the anchor and none is skipped;
    with count_in_progress a season running at the anchor comes first."""
    first = next(cal.seasons_from(anchor))
    assert first.start >= anchor
    previous = cal.season_of_year(first.start.year - 1)
    assert previous.start < anchor  # the one before is not complete from the anchor
    running = cal.season_containing(anchor)
    first_in_progress = next(cal.seasons_from(anchor, count_in_progress=True))
    if running is None or running.start == anchor:
        assert first_in_progress == first
    else:
        assert first_in_progress == running
        assert first_in_progress.start < anchor <= first_in_progress.end


@given(any_calendar, days, st.integers(0, 1500))
def test_prop_seasons_between_is_exactly_the_overlapping_ones(
    cal: SeasonCalendar, start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    found = cal.seasons_between(start, end)
    brute = [
        s
        for s in (cal.season_of_year(y) for y in range(start.year - 2, end.year + 2))
        if s.start <= end and s.end >= start
    ]
    assert found == brute
    assert all(a.end < b.start for a, b in zip(found, found[1:], strict=False))
