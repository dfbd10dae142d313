"""Tests of warrantykit.engine.calendar: business calendars and business time."""

from __future__ import annotations

import copy
import pickle
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warrantykit.engine.calendar import (
    BusinessCalendar,
    Ruler,
    WorkingInterval,
    from_utc_micros,
    utc_micros,
)
from warrantykit.errors import CalendarError

from .calendar_oracle import OracleCalendar

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)

# The oracle steps minute by minute: fewer examples for those tests.
ORACLE = settings(
    max_examples=min(settings().max_examples, 60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same_instant(a: datetime, b: datetime) -> bool:
    """Equal as instants *and* as wall readings (aware == ignores fold with one tzinfo)."""
    return (a.astimezone(UTC), a.utcoffset()) == (b.astimezone(UTC), b.utcoffset())


def near_clock_change(instant: datetime, tz: ZoneInfo) -> bool:
    before = (instant - timedelta(hours=30)).astimezone(tz).utcoffset()
    after = (instant + timedelta(hours=30)).astimezone(tz).utcoffset()
    return before != after


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    return BusinessCalendar.preset(
        "5x8", name="cn", timezone="Asia/Shanghai", country="CN", trusted_years=(2020, 2025)
    )


@pytest.fixture(scope="module")
def ny() -> BusinessCalendar:
    return BusinessCalendar.preset("5x8", name="ny", timezone="America/New_York", country="US")


# ---------------------------------------------------------------------------
# Random calendars
# ---------------------------------------------------------------------------

# Zones and dates with clock changes (Shanghai observed DST 1986-1991).
ANCHORS: dict[str, list[date]] = {
    "America/New_York": [date(2024, 3, 10), date(2024, 11, 3)],
    "Asia/Shanghai": [date(1990, 4, 15), date(1990, 9, 16), date(2024, 10, 1)],
    "Australia/Lord_Howe": [date(2024, 4, 7), date(2024, 10, 6)],  # 30-minute DST
    "Europe/London": [date(2024, 3, 31), date(2024, 10, 27)],
    "UTC": [date(2024, 2, 29)],
}

# half-hour boundaries, biased towards the small hours where clocks change
half_hours = st.one_of(
    st.integers(0, 47).map(lambda k: time(k // 2, 30 * (k % 2))),
    st.integers(0, 8).map(lambda k: time(k // 2, 30 * (k % 2))),
)


@st.composite
def calendar_specs(draw: st.DrawFn) -> dict[str, object]:
    zone = draw(st.sampled_from(sorted(ANCHORS)))
    anchor = draw(st.sampled_from(ANCHORS[zone]))
    weekly = draw(
        st.dictionaries(
            st.integers(0, 6),
            st.lists(st.tuples(half_hours, half_hours), min_size=1, max_size=3),
            min_size=1,
            max_size=7,
        )
    )
    if draw(st.booleans()):
        # open across the clock change of the anchor night
        night = (time(draw(st.integers(0, 2))), time(draw(st.integers(3, 5))))
        weekly = {**weekly, anchor.weekday(): [*weekly.get(anchor.weekday(), []), night]}
    near = st.integers(-12, 12).map(lambda k: anchor + timedelta(days=k))
    return {
        "zone": zone,
        "anchor": anchor,
        "weekly": weekly,
        "extra_holidays": draw(st.lists(near, max_size=5)),
        "extra_working_days": draw(st.lists(near, max_size=2)),
    }


def build(spec: dict[str, object]) -> tuple[BusinessCalendar, OracleCalendar]:
    weekly = spec["weekly"]
    assert isinstance(weekly, dict)
    extra_hol = spec["extra_holidays"]
    extra_work = spec["extra_working_days"]
    assert isinstance(extra_hol, list) and isinstance(extra_work, list)
    cal = BusinessCalendar(
        name="random",
        timezone=str(spec["zone"]),
        weekly=weekly,
        extra_holidays=extra_hol,
        extra_working_days=extra_work,
    )
    oracle = OracleCalendar(
        timezone=str(spec["zone"]),
        weekly=weekly,
        holidays=extra_hol,
        extra_working_days=extra_work,
    )
    return cal, oracle


def instant_near(spec: dict[str, object], minutes: int, *, as_utc: bool) -> datetime:
    """An instant ``minutes`` after local midnight of the spec's anchor day."""
    tz = ZoneInfo(str(spec["zone"]))
    anchor = spec["anchor"]
    assert isinstance(anchor, date)
    midnight = datetime.combine(anchor, time(0), tz).astimezone(UTC)
    instant = midnight + timedelta(minutes=minutes)
    return instant if as_utc else instant.astimezone(tz)


def weekly_minutes(cal: BusinessCalendar) -> int:
    return cal.weekly_business_time // M


# minutes from local midnight of the anchor day (often the clock-change night)
offsets = st.one_of(st.integers(-4 * 1440, 4 * 1440), st.integers(-120, 300))


# ---------------------------------------------------------------------------
# Oracle agreement (minute resolution)
# ---------------------------------------------------------------------------


@ORACLE
@given(spec=calendar_specs(), start=offsets, as_utc=st.booleans(), data=st.data())
def test_add_matches_oracle(
    spec: dict[str, object], start: int, as_utc: bool, data: st.DataObject
) -> None:
    cal, oracle = build(spec)
    a = instant_near(spec, start, as_utc=as_utc)
    bound = min(3000, 2 * weekly_minutes(cal))
    minutes = data.draw(st.one_of(st.integers(0, min(bound, 240)), durations(bound)))
    got = cal.add(a, timedelta(minutes=minutes))
    want = oracle.add(a, minutes)
    assert same_instant(got, want), (got, want)
    assert got.tzinfo is cal.tz


@ORACLE
@given(spec=calendar_specs(), start=offsets, end=offsets)
def test_between_matches_oracle(spec: dict[str, object], start: int, end: int) -> None:
    cal, oracle = build(spec)
    a = instant_near(spec, start, as_utc=False)
    b = instant_near(spec, end, as_utc=True)
    assert cal.between(a, b) == timedelta(minutes=oracle.between(a, b))


@ORACLE
@given(spec=calendar_specs(), points=st.lists(offsets, min_size=1, max_size=20))
def test_is_open_and_next_opening_match_oracle(spec: dict[str, object], points: list[int]) -> None:
    cal, oracle = build(spec)
    for point in points:
        a = instant_near(spec, point, as_utc=point % 2 == 0)
        assert cal.is_open(a) == oracle.is_open(a), a
        assert same_instant(cal.next_opening(a), oracle.next_opening(a)), a


@ORACLE
@given(spec=calendar_specs(), shift=st.integers(-12, 12), n=st.integers(-8, 8))
def test_working_days_match_oracle(spec: dict[str, object], shift: int, n: int) -> None:
    cal, oracle = build(spec)
    anchor = spec["anchor"]
    assert isinstance(anchor, date)
    day = anchor + timedelta(days=shift)
    assert cal.add_working_days(day, n) == oracle.add_working_days(day, n)
    for k in range(-3, 4):
        d = day + timedelta(days=k)
        assert cal.is_working_day(d) == oracle.is_working_day(d)
        assert cal.is_holiday(d) == oracle.is_holiday(d)


@ORACLE
@given(start=st.integers(0, 60 * 1440), minutes=st.integers(0, 6000), which=st.booleans())
def test_china_2024_matches_oracle(
    cn: BusinessCalendar, start: int, minutes: int, which: bool
) -> None:
    table = holidays.country_holidays("CN", years=[2023, 2024, 2025])
    oracle = OracleCalendar(
        timezone="Asia/Shanghai",
        weekly={w: [(time(9), time(17))] for w in range(5)},
        holidays=list(table),
        makeup_days=table.weekend_workdays,
    )
    # Spring Festival or National Day 2024, both with make-up working weekends
    base = datetime(2024, 1, 25, tzinfo=SH) if which else datetime(2024, 9, 1, tzinfo=SH)
    a = base + timedelta(minutes=start)
    assert same_instant(cn.add(a, timedelta(minutes=minutes)), oracle.add(a, minutes))
    b = a + timedelta(minutes=minutes * 3)
    assert cn.between(a, b) == timedelta(minutes=oracle.between(a, b))


CLOCK_CHANGE_WEEKLIES = [
    {w: [(time(0), time(0))] for w in range(7)},  # 7x24, made wall-clock by a holiday
    {w: [(time(0), time(4))] for w in range(7)},
    {w: [(time(1), time(1, 30)), (time(2, 30), time(3))] for w in range(7)},
    {w: [(time(22), time(2, 30))] for w in range(7)},
]


@pytest.mark.parametrize("weekly", CLOCK_CHANGE_WEEKLIES)
@pytest.mark.parametrize(
    "zone, night", [(zone, night) for zone, nights in ANCHORS.items() for night in nights]
)
def test_clock_change_nights_match_oracle(
    zone: str, night: date, weekly: dict[int, list[tuple[time, time]]]
) -> None:
    """A grid over each clock-change night: starts every 20 minutes from 23:00
    to 04:00, durations up to 5 hours."""
    spec: dict[str, object] = {
        "zone": zone,
        "anchor": night,
        "weekly": weekly,
        "extra_holidays": [date(1980, 1, 1)],
        "extra_working_days": [],
    }
    cal, oracle = build(spec)
    assert not cal.continuous
    for start in range(-60, 241, 20):
        a = instant_near(spec, start, as_utc=False)
        assert cal.is_open(a) == oracle.is_open(a), a
        assert same_instant(cal.next_opening(a), oracle.next_opening(a)), a
        for minutes in (0, 10, 30, 45, 60, 70, 90, 120, 150, 180, 240, 300):
            got = cal.add(a, timedelta(minutes=minutes))
            assert same_instant(got, oracle.add(a, minutes)), (a, minutes, got)
            b = a + timedelta(minutes=minutes)
            assert cal.between(a, b) == timedelta(minutes=oracle.between(a, b)), (a, b)


# ---------------------------------------------------------------------------
# Properties (microsecond resolution)
# ---------------------------------------------------------------------------

micro_offsets = st.one_of(
    st.integers(-4 * 86_400_000_000, 4 * 86_400_000_000),
    st.integers(-7_200_000_000, 18_000_000_000),
)


def durations(bound: int) -> st.SearchStrategy[int]:
    """Microsecond durations up to ``bound``, often short (to end near the start)."""
    return st.one_of(st.integers(0, min(bound, 14_400_000_000)), st.integers(0, bound))


def micro_instant(spec: dict[str, object], micros: int) -> datetime:
    return instant_near(spec, 0, as_utc=True) + timedelta(microseconds=micros)


@FAST
@given(spec=calendar_specs(), start=micro_offsets, data=st.data())
def test_between_inverts_add(spec: dict[str, object], start: int, data: st.DataObject) -> None:
    cal, _ = build(spec)
    a = micro_instant(spec, start)
    bound = min(3 * 86_400_000_000, 2 * cal.weekly_business_time // US)
    d = timedelta(microseconds=data.draw(durations(bound), label="d"))
    result = cal.add(a, d)
    measured = cal.between(a, result)
    if measured != d:
        # only a result inside a spring-forward gap moves (to the clock change)
        assert near_clock_change(result, cal.tz)
        assert measured > d
    assert cal.between(result, a) == -measured


@FAST
@given(spec=calendar_specs(), a1=micro_offsets, a2=micro_offsets, data=st.data())
def test_add_is_monotonic(spec: dict[str, object], a1: int, a2: int, data: st.DataObject) -> None:
    cal, _ = build(spec)
    bound = min(3 * 86_400_000_000, 2 * cal.weekly_business_time // US)
    d1, d2 = sorted(data.draw(st.lists(durations(bound), min_size=2, max_size=2), label="d"))
    x, y = sorted((micro_instant(spec, a1), micro_instant(spec, a2)))
    for d in (d1, d2):
        assert cal.add(x, timedelta(microseconds=d)) <= cal.add(y, timedelta(microseconds=d))
    for a in (x, y):
        assert cal.add(a, timedelta(microseconds=d1)) <= cal.add(a, timedelta(microseconds=d2))
    assert cal.between(x, y) >= timedelta(0)


@FAST
@given(spec=calendar_specs(), start=micro_offsets, data=st.data())
def test_add_never_ends_in_closed_time(
    spec: dict[str, object], start: int, data: st.DataObject
) -> None:
    cal, _ = build(spec)
    a = micro_instant(spec, start)
    bound = min(3 * 86_400_000_000, 2 * cal.weekly_business_time // US)
    d = timedelta(microseconds=data.draw(durations(bound), label="d"))
    result = cal.add(a, d)
    assert result >= a
    if near_clock_change(result, cal.tz):
        return  # the oracle tests cover clock-change days exactly
    if d > timedelta(0):
        # closing-time convention: open just before the result (maybe closed at it)
        assert cal.is_open(result - US)
        assert cal.between(result - US, result) == US
    else:
        assert cal.is_open(result) or cal.is_open(result - US)


@FAST
@given(spec=calendar_specs(), shift=st.integers(-12, 12), n=st.integers(0, 20))
def test_working_day_results_are_working_days(spec: dict[str, object], shift: int, n: int) -> None:
    cal, _ = build(spec)
    anchor = spec["anchor"]
    assert isinstance(anchor, date)
    day = anchor + timedelta(days=shift)
    assert cal.is_working_day(cal.add_working_days(day, n))
    nwd = cal.roll_forward(day, "next_working_day")
    assert cal.is_working_day(nwd)
    assert not any(cal.is_working_day(d) for d in _days(day, nwd))


@FAST
@given(spec=calendar_specs(), shift=st.integers(-12, 12))
def test_day_after_holiday_properties(spec: dict[str, object], shift: int) -> None:
    cal, _ = build(spec)
    anchor = spec["anchor"]
    assert isinstance(anchor, date)
    day = anchor + timedelta(days=shift)
    result = cal.roll_forward(day, "day_after_holiday")

    def statutory_rest(d: date) -> bool:
        # a public holiday, or a weekend day the calendar does not make a working day
        # (these random calendars have no make-up days of their own)
        return cal.is_holiday(d) or (d.weekday() >= 5 and d not in cal.extra_working_days)

    if not statutory_rest(day):
        assert result == day
        return
    # every skipped day is a statutory rest day, the result is not, and the
    # result is the first such day (the day after the block)
    assert result > day
    assert all(statutory_rest(d) for d in _days(day, result))
    assert not statutory_rest(result)


def _days(first: date, stop: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((stop - first).days)]


# ---------------------------------------------------------------------------
# Concrete cases
# ---------------------------------------------------------------------------


def test_dst_weekend_keeps_wall_time(ny: BusinessCalendar) -> None:
    # Fri 16:30 EST + 1 business hour: 30 min on Friday, 30 min on Monday (EDT)
    a = datetime(2024, 3, 8, 16, 30, tzinfo=NY)
    result = ny.add(a, H)
    assert result.replace(tzinfo=None) == datetime(2024, 3, 11, 9, 30)
    assert result.utcoffset() == timedelta(hours=-4)
    assert ny.between(a, result) == H
    # the same from a UTC instant
    assert same_instant(ny.add(a.astimezone(UTC), H), result)


def test_closing_time_convention(ny: BusinessCalendar) -> None:
    fri = datetime(2024, 3, 8, 16, 30, tzinfo=NY)
    assert ny.add(fri, 30 * M) == datetime(2024, 3, 8, 17, 0, tzinfo=NY)
    assert ny.add(datetime(2024, 3, 8, 9, tzinfo=NY), 8 * H) == datetime(2024, 3, 8, 17, tzinfo=NY)
    assert not ny.is_open(datetime(2024, 3, 8, 17, tzinfo=NY))
    assert ny.is_open(datetime(2024, 3, 8, 9, tzinfo=NY))
    # zero durations: open or closing instant -> itself, else the next opening
    assert ny.add(fri, timedelta(0)) == fri
    closing = datetime(2024, 3, 8, 17, tzinfo=NY)
    assert ny.add(closing, timedelta(0)) == closing
    assert ny.add(datetime(2024, 3, 8, 18, tzinfo=NY), timedelta(0)) == datetime(
        2024, 3, 11, 9, tzinfo=NY
    )
    assert ny.next_opening(closing) == datetime(2024, 3, 11, 9, tzinfo=NY)
    assert ny.next_opening(fri) == fri


def test_us_holidays(ny: BusinessCalendar) -> None:
    assert ny.is_holiday(date(2024, 7, 4))
    assert not ny.is_working_day(date(2024, 7, 4))
    # Wed 3 Jul 16:00 + 2 h: 1 h on Wednesday, Thursday is Independence Day
    assert ny.add(datetime(2024, 7, 3, 16, tzinfo=NY), 2 * H) == datetime(2024, 7, 5, 10, tzinfo=NY)
    assert not ny.is_holiday(date(2024, 7, 6))  # a Saturday: rest day, no holiday
    assert not ny.is_working_day(date(2024, 7, 6))


def test_long_duration_skips_weeks(ny: BusinessCalendar) -> None:
    a = datetime(2024, 1, 2, 9, tzinfo=NY)
    result = ny.add(a, 400 * H)
    assert ny.between(a, result) == 400 * H
    # 400 h = 50 full working days from Tue 2 Jan: 21 in January (MLK Day,
    # 15 Jan, off), 20 in February (Presidents' Day, 19 Feb, off), then
    # 1, 4-8 and 11-13 March: the 50th ends Wed 13 Mar at closing time
    assert result == datetime(2024, 3, 13, 17, tzinfo=NY)
    years = ny.add(a, 8 * H * 260 * 3)  # about three years of business time
    assert ny.between(a, years) == 8 * H * 260 * 3


def test_china_national_day_working_days(cn: BusinessCalendar) -> None:
    # From Fri 27 Sep 2024, counting working days strictly after it:
    #   Sun 29 Sep (make-up) 1, Mon 30 Sep 2, 1-7 Oct National Day off,
    #   Tue 8 Oct 3, Wed 9 4, Thu 10 5, Fri 11 6, Sat 12 Oct (make-up) 7,
    #   Mon 14 8, Tue 15 9, Wed 16 Oct 10.
    assert cn.add_working_days(date(2024, 9, 27), 10) == date(2024, 10, 16)
    assert cn.add_working_days(date(2024, 10, 16), -10) == date(2024, 9, 27)
    assert cn.add_working_days(date(2024, 10, 3), 0) == date(2024, 10, 8)
    assert cn.add_working_days(date(2024, 9, 27), 0) == date(2024, 9, 27)
    assert cn.is_working_day(date(2024, 9, 29))  # Sunday make-up working day
    assert not cn.is_holiday(date(2024, 9, 29))
    assert cn.is_holiday(date(2024, 10, 3))
    assert not cn.is_holiday(date(2024, 10, 5))  # ordinary weekend inside the break
    assert not cn.is_working_day(date(2024, 10, 5))
    # business hours on the make-up Sunday are the standard 09:00-17:00
    assert cn.is_open(datetime(2024, 9, 29, 10, tzinfo=SH))
    assert cn.add(datetime(2024, 9, 27, 16, tzinfo=SH), 2 * H) == datetime(
        2024, 9, 29, 10, tzinfo=SH
    )
    assert cn.add(datetime(2024, 9, 30, 16, tzinfo=SH), 2 * H) == datetime(
        2024, 10, 8, 10, tzinfo=SH
    )


def test_china_roll_forward(cn: BusinessCalendar) -> None:
    national_day = date(2024, 10, 3)
    assert cn.roll_forward(national_day, "next_working_day") == date(2024, 10, 8)
    # 1-4 and 7 Oct are holidays, 5-6 Oct a weekend between them: one block
    assert cn.roll_forward(national_day, "day_after_holiday") == date(2024, 10, 8)
    assert cn.roll_forward(date(2024, 10, 5), "day_after_holiday") == date(2024, 10, 8)
    # Qingming 2024: 4-6 Apr off (the package lists 4-5 Apr; 6 Apr is a Saturday,
    # 7 Apr a make-up Sunday): the block includes the adjacent weekend day
    assert cn.roll_forward(date(2024, 4, 4), "day_after_holiday") == date(2024, 4, 7)
    assert cn.roll_forward(date(2024, 4, 5), "next_working_day") == date(2024, 4, 7)
    makeup_sunday = date(2024, 9, 29)
    assert cn.roll_forward(makeup_sunday, "next_working_day") == makeup_sunday
    assert cn.roll_forward(makeup_sunday, "day_after_holiday") == makeup_sunday


def test_day_after_holiday_ignores_weekend_service_hours() -> None:
    # DT-04 counts statutory rest days; DT-08 the calendar's own working days.
    # On a 7x8 service calendar a plain Saturday is a working day but still a
    # statutory rest day.
    cal = BusinessCalendar.preset("7x8", name="svc", timezone="Asia/Shanghai", country="CN")
    saturday = date(2024, 6, 8)  # followed by Sunday and the Dragon Boat holiday (Mon 10 Jun)
    assert cal.roll_forward(saturday, "next_working_day") == saturday
    assert cal.roll_forward(saturday, "day_after_holiday") == date(2024, 6, 11)
    # a make-up working Sunday is not a rest day in either mode
    assert cal.roll_forward(date(2024, 9, 29), "day_after_holiday") == date(2024, 9, 29)


def test_lone_friday_holiday_before_weekend() -> None:
    cal = BusinessCalendar.preset(
        "5x8", name="x", timezone="Europe/Berlin", extra_holidays=[date(2024, 6, 14)]
    )
    friday = date(2024, 6, 14)
    assert cal.roll_forward(friday, "next_working_day") == date(2024, 6, 17)  # Monday
    # statutory rest days: Friday holiday + the weekend form one block
    assert cal.roll_forward(friday, "day_after_holiday") == date(2024, 6, 17)
    # an ordinary rest day rolls to the day after its run of rest days
    assert cal.roll_forward(date(2024, 6, 15), "day_after_holiday") == date(2024, 6, 17)
    assert cal.roll_forward(date(2024, 6, 22), "day_after_holiday") == date(2024, 6, 24)
    # a rest run followed by a holiday continues past that holiday's block
    cal2 = BusinessCalendar.preset(
        "5x8", name="y", timezone="Europe/Berlin", extra_holidays=[date(2024, 6, 24)]
    )
    assert cal2.roll_forward(date(2024, 6, 22), "day_after_holiday") == date(2024, 6, 25)


def test_holiday_block_bridges_rest_days_between_holidays() -> None:
    cal = BusinessCalendar.preset(
        "5x8",
        name="x",
        timezone="UTC",
        extra_holidays=[date(2024, 6, 14), date(2024, 6, 17)],  # Fri and Mon
    )
    assert cal.roll_forward(date(2024, 6, 14), "day_after_holiday") == date(2024, 6, 18)
    assert cal.roll_forward(date(2024, 6, 14), "next_working_day") == date(2024, 6, 18)


def test_midnight_crossing_interval() -> None:
    nights = {w: [(time(22), time(6))] for w in range(5)}  # Mon-Fri nights
    cal = BusinessCalendar(
        name="nights", timezone="UTC", weekly=nights, extra_holidays=[date(2024, 6, 10)]
    )
    fri = datetime(2024, 6, 7, 23, tzinfo=UTC)
    assert cal.is_open(datetime(2024, 6, 8, 5, tzinfo=UTC))  # Saturday morning: Friday's shift
    # 7 h left in Friday's shift, Monday 10 Jun is a holiday (its shift is
    # closed until Tuesday 06:00), so the last hour is Tuesday 22:00-23:00
    assert cal.add(fri, 8 * H) == datetime(2024, 6, 11, 23, tzinfo=UTC)
    assert not cal.is_open(datetime(2024, 6, 11, 1, tzinfo=UTC))
    assert cal.add(fri, 7 * H) == datetime(2024, 6, 8, 6, tzinfo=UTC)  # closing time
    assert cal.between(fri, datetime(2024, 6, 12, 0, tzinfo=UTC)) == 9 * H
    assert cal.is_working_day(date(2024, 6, 7))
    assert not cal.is_working_day(date(2024, 6, 8))
    assert not cal.is_working_day(date(2024, 6, 10))
    # 24-hour intervals and 24:00 written as 00:00 or time.max
    full = BusinessCalendar(
        name="f", timezone="UTC", weekly={0: [(time(9), time(0))], 1: [(time(9), time.max)]}
    )
    assert full.weekly[0] == (WorkingInterval(540, 0),)
    assert full.weekly[1] == (WorkingInterval(540, 1440),)
    assert full.weekly_business_time == 30 * H


def test_7x24_continuous_measures_real_time() -> None:
    cal = BusinessCalendar.preset("7x24", name="x", timezone="America/New_York")
    assert cal.continuous
    a = datetime(2024, 3, 10, 1, 30, tzinfo=NY)  # spring-forward night
    result = cal.add(a, 2 * H)
    assert result.replace(tzinfo=None) == datetime(2024, 3, 10, 4, 30)  # 2 real hours
    assert result - a == 3 * H  # Python subtracts wall times when the tzinfo is shared
    assert result.astimezone(UTC) - a.astimezone(UTC) == 2 * H
    assert cal.between(a, result) == 2 * H
    assert cal.is_open(a)
    # fall-back night: the repeated hour counts
    b = datetime(2024, 11, 3, 0, 30, tzinfo=NY)
    assert cal.add(b, 2 * H).replace(tzinfo=None) == datetime(2024, 11, 3, 1, 30)
    assert cal.add(b, 2 * H).fold == 1
    # the same pattern with holidays counts wall time
    wall = BusinessCalendar.preset("7x24", name="w", timezone="America/New_York", country="US")
    assert not wall.continuous
    assert wall.add(a, 2 * H).replace(tzinfo=None) == datetime(2024, 3, 10, 3, 30)
    assert not wall.is_open(datetime(2024, 7, 4, 12, tzinfo=NY))


def test_clock_changes_in_wall_time() -> None:
    nights = {w: [(time(0), time(6))] for w in range(7)}
    cal = BusinessCalendar(name="n", timezone="America/New_York", weekly=nights)
    assert not cal.continuous
    spring = datetime(2024, 3, 10, 0, 0, tzinfo=NY)
    # 00:00-06:00 counts 6 wall hours although only 5 real hours pass
    assert cal.between(spring, datetime(2024, 3, 10, 6, tzinfo=NY)) == 6 * H
    # 2.5 wall hours land in the gap (02:30 does not exist): the clock change, 03:00 EDT
    result = cal.add(spring, timedelta(hours=2, minutes=30))
    assert result.replace(tzinfo=None) == datetime(2024, 3, 10, 3, 0)
    assert result.utcoffset() == timedelta(hours=-4)
    # a nonexistent input is normalized like astimezone does (02:30 EST = 03:30 EDT)
    ghost = datetime(2024, 3, 10, 2, 30, tzinfo=NY)
    assert cal.add(ghost, H).replace(tzinfo=None) == datetime(2024, 3, 10, 4, 30)
    fall = datetime(2024, 11, 3, 0, 0, tzinfo=NY)
    assert cal.between(fall, datetime(2024, 11, 3, 6, tzinfo=NY)) == 6 * H
    # a result in the repeated hour is its first occurrence
    first = cal.add(fall, timedelta(hours=1, minutes=30))
    assert first.replace(tzinfo=None) == datetime(2024, 11, 3, 1, 30) and first.fold == 0
    # during the second pass the wall clock stands still at the end of the repeated hour
    second = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NY)
    assert cal.between(fall, second) == 2 * H
    assert cal.add(second, 30 * M).replace(tzinfo=None) == datetime(2024, 11, 3, 2, 30)
    assert cal.between(first, second) == 30 * M


def test_untrusted_years(cn: BusinessCalendar) -> None:
    assert cn.is_trusted(date(2024, 10, 1))
    assert not cn.is_trusted(date(2026, 1, 1))
    assert not cn.is_trusted(date(2019, 12, 31))
    inside = datetime(2024, 1, 1, tzinfo=SH), datetime(2025, 12, 31, 23, tzinfo=SH)
    assert not cn.untrusted_between(*inside)
    assert not cn.untrusted_between(inside[1], inside[0])
    assert cn.untrusted_between(datetime(2025, 12, 30, tzinfo=SH), datetime(2026, 1, 2, tzinfo=SH))
    # [start, end) ends at midnight: the new year's day is not in the span
    assert not cn.untrusted_between(
        datetime(2025, 12, 30, tzinfo=SH), datetime(2026, 1, 1, tzinfo=SH)
    )
    assert cn.untrusted_between(
        datetime(2019, 12, 31, 23, tzinfo=SH), datetime(2020, 1, 2, tzinfo=SH)
    )
    # the calendar still works outside the trusted years
    assert cn.add_working_days(date(2029, 12, 31), 1) == date(2030, 1, 2)  # 1 Jan is off
    plain = BusinessCalendar.preset("5x8", name="p", timezone="UTC")
    assert plain.is_trusted(date(1, 1, 1))
    assert not plain.untrusted_between(
        datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
    )
    by_package = BusinessCalendar.preset("5x8", name="u", timezone="UTC", country="US")
    assert by_package.is_trusted(date(2024, 1, 1))
    assert not by_package.is_trusted(date(2200, 1, 1))
    limited = BusinessCalendar.preset("5x8", name="l", timezone="UTC", trusted_years=(2024, 2024))
    assert not limited.is_trusted(date(2025, 1, 1))


def test_7x8_and_extra_working_days() -> None:
    every_day = BusinessCalendar.preset("7x8", name="x", timezone="Asia/Shanghai")
    assert every_day.is_working_day(date(2024, 10, 1))  # no country: holidays stay open
    with_cn = BusinessCalendar.preset("7x8", name="y", timezone="Asia/Shanghai", country="CN")
    assert not with_cn.is_working_day(date(2024, 10, 1))
    assert with_cn.is_working_day(date(2024, 10, 5))  # weekend, but 7x8
    rescued = BusinessCalendar.preset(
        "5x8",
        name="z",
        timezone="Asia/Shanghai",
        country="CN",
        extra_working_days=[date(2024, 10, 2), date(2024, 10, 5)],
        extra_holidays=[date(2024, 10, 8)],
    )
    assert not rescued.is_holiday(date(2024, 10, 2))
    assert rescued.is_working_day(date(2024, 10, 2))
    assert rescued.is_working_day(date(2024, 10, 5))  # a Saturday made a working day
    assert rescued.is_holiday(date(2024, 10, 8))
    assert rescued.add_working_days(date(2024, 9, 30), 3) == date(2024, 10, 9)


def test_value_semantics() -> None:
    a = BusinessCalendar.preset("5x8", name="x", timezone="Asia/Shanghai", country="CN")
    b = BusinessCalendar.preset("5x8", name="x", timezone="Asia/Shanghai", country="CN")
    assert a == b and hash(a) == hash(b)
    assert a != BusinessCalendar.preset("7x8", name="x", timezone="Asia/Shanghai", country="CN")
    assert copy.deepcopy(a) is a
    clone = pickle.loads(pickle.dumps(a))
    assert clone == a and clone.add_working_days(date(2024, 9, 27), 10) == date(2024, 10, 16)
    with pytest.raises(AttributeError):
        a.name = "other"
    assert a.tz is ZoneInfo("Asia/Shanghai") and a.timezone == "Asia/Shanghai"
    assert "Asia/Shanghai" in repr(a)
    assert str(WorkingInterval(1320, 360)) == "22:00-06:00"
    assert WorkingInterval(1320, 360).crosses_midnight
    assert WorkingInterval(1320, 360).minutes == 480


def test_shared_between_threads() -> None:
    cal = BusinessCalendar.preset("5x8", name="t", timezone="America/New_York", country="US")
    starts = [datetime(1990 + k, 6, 1, 10, tzinfo=NY) for k in range(40)]
    expected = [
        BusinessCalendar.preset("5x8", name="t", timezone="America/New_York", country="US").add(
            s, 100 * H
        )
        for s in starts
    ]
    results: dict[int, list[datetime]] = {}

    def work(k: int) -> None:
        order = starts[k % 40 :] + starts[: k % 40]
        got = {s: cal.add(s, 100 * H) for s in order}
        results[k] = [got[s] for s in starts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

NINE_TO_FIVE = {0: [(time(9), time(17))]}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": "America"}, "unknown time zone"),
        ({"timezone": ""}, "time zone"),
        ({"country": "XX"}, "XX"),
        ({"country": "US", "subdivision": "ZZ"}, "ZZ"),
        ({"subdivision": "CA"}, "without a country"),
        ({"weekly": {}}, "no working time"),
        ({"weekly": {0: []}}, "no working time"),
        ({"weekly": {7: [(time(9), time(17))]}}, "weekday keys"),
        ({"weekly": {0: [(time(9, 0, 30), time(17))]}}, "whole minute"),
        ({"weekly": {0: [(time(9), time(17, tzinfo=UTC))]}}, "naive"),
        ({"weekly": {0: [("09:00", time(17))]}}, "datetime.time"),
        ({"weekly": {0: [(time(9),)]}}, "pair"),
        ({"weekly": [(time(9), time(17))]}, "weekly must map"),
        ({"trusted_years": (2025, 2020)}, "trusted_years"),
        ({"trusted_years": 2024}, "trusted_years"),
        ({"extra_holidays": [datetime(2024, 1, 1)]}, "extra_holidays"),
        ({"name": " "}, "name"),
    ],
)
def test_constructor_errors(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"name": "x", "timezone": "UTC", "weekly": NINE_TO_FIVE}
    args.update(kwargs)
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(**args)  # type: ignore[arg-type]


def test_interval_errors() -> None:
    with pytest.raises(CalendarError):
        WorkingInterval(1440, 0)
    with pytest.raises(CalendarError):
        WorkingInterval(0, 1441)
    with pytest.raises(CalendarError):
        WorkingInterval(-1, 10)


def test_method_errors(ny: BusinessCalendar) -> None:
    naive = datetime(2024, 3, 8, 12)
    aware = datetime(2024, 3, 8, 12, tzinfo=NY)
    for call in (
        lambda: ny.is_open(naive),
        lambda: ny.next_opening(naive),
        lambda: ny.add(naive, H),
        lambda: ny.between(naive, aware),
        lambda: ny.between(aware, naive),
        lambda: ny.untrusted_between(naive, aware),
        lambda: ny.untrusted_between(aware, naive),
        lambda: ny.add(aware, -H),
        lambda: ny.roll_forward(date(2024, 1, 1), "sideways"),  # type: ignore[arg-type]
        lambda: ny.add_working_days(naive, 1),
        lambda: ny.is_holiday(naive),
        lambda: ny.add_working_days(date(9999, 12, 30), 5),
        lambda: ny.add(datetime(9999, 12, 31, 16, tzinfo=NY), 2 * H),
    ):
        with pytest.raises(CalendarError):
            call()
    with pytest.raises(CalendarError, match="unknown calendar preset"):
        BusinessCalendar.preset("6x6", name="x", timezone="UTC")  # type: ignore[arg-type]
    continuous = BusinessCalendar.preset("7x24", name="c", timezone="UTC")
    with pytest.raises(CalendarError):
        continuous.add(naive, H)
    with pytest.raises(CalendarError):
        continuous.add(datetime(9999, 12, 31, 23, tzinfo=UTC), 2 * H)


# ---------------------------------------------------------------------------
# Rulers (business positions for the SLA engine) agree with add and between
# ---------------------------------------------------------------------------


@FAST
@given(
    spec=calendar_specs(),
    points=st.lists(micro_offsets, min_size=2, max_size=6),
    as_utc=st.booleans(),
    data=st.data(),
)
def test_ruler_positions_agree_with_between_and_add(
    spec: dict[str, object], points: list[int], as_utc: bool, data: st.DataObject
) -> None:
    cal, _ = build(spec)
    ruler = Ruler(cal)
    instants = [micro_instant(spec, p) for p in points]
    if not as_utc:
        instants = [i.astimezone(cal.tz) for i in instants]
    positions = [ruler.pos(i) for i in instants]
    assert positions == [ruler.pos_us(utc_micros(i)) for i in instants]
    first = instants[0]
    for instant, p in zip(instants, positions, strict=True):
        assert p - positions[0] == cal.between(first, instant) // US
    bound = min(3 * 86_400_000_000, 2 * cal.weekly_business_time // US)
    d = data.draw(durations(bound).filter(lambda n: n > 0), label="d")
    for instant, p in zip(instants, positions, strict=True):
        expected = cal.add(instant, timedelta(microseconds=d))
        got, got_us = ruler.at_us(p + d)
        assert same_instant(got, expected) and got.tzinfo is expected.tzinfo
        assert got_us == utc_micros(expected)
        assert ruler.at(p + d) == got


def test_ruler_survives_a_growing_table() -> None:
    """Positions taken before the calendar's day table grows stay valid after."""
    cal = BusinessCalendar.preset("5x8", name="grow", timezone="Asia/Shanghai", country="CN")
    ruler = Ruler(cal)
    a = datetime(2024, 9, 27, 15, tzinfo=SH)
    pa = ruler.pos(a)
    far = datetime(2031, 5, 6, 10, tzinfo=SH)  # beyond the table built for 2024
    pf = ruler.pos(far)
    assert pf - pa == cal.between(a, far) // US
    earlier = datetime(2016, 2, 1, 10, tzinfo=SH)  # grows the table backwards
    assert pa - ruler.pos(earlier) == cal.between(earlier, a) // US
    assert ruler.at(pa + 5 * 3_600_000_000) == cal.add(a, 5 * H)
    # an at() past the end of the table extends it
    assert ruler.at(pf + 2_000 * 3_600_000_000) == cal.add(far, 2_000 * H)


def test_utc_micros() -> None:
    a = datetime(2024, 3, 10, 1, 30, tzinfo=NY)
    assert utc_micros(a) == utc_micros(a.astimezone(UTC))
    assert utc_micros(a) // 86_400_000_000 == date(2024, 3, 10).toordinal()
    assert from_utc_micros(utc_micros(a)) == a
    assert utc_micros(datetime(1, 1, 1, tzinfo=UTC)) == 86_400_000_000
    with pytest.raises(CalendarError):
        utc_micros(datetime(2024, 1, 1))  # naive
