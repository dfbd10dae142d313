"""Tests of warrantykit.engine.periods: every rule cites its STATUTES.md id."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from warrantykit.engine import periods
from warrantykit.engine.periods import (
    add_months,
    add_years,
    at_least,
    at_most,
    days_from_hours,
    days_in_month,
    days_out_of_service,
    extend,
    less_than,
    more_than,
    period_last_day,
    within,
)
from warrantykit.errors import EvaluationError

D = date

# ------------------------------------------------------------------ strategies

MIN_DAY = D(1900, 1, 1)
MAX_DAY = D(2199, 12, 31)


@st.composite
def month_end_dates(draw: st.DrawFn) -> date:
    """Dates in the last four days of a month (28th..31st), incl. 29 February."""
    year = draw(st.integers(MIN_DAY.year, MAX_DAY.year))
    month = draw(st.integers(1, 12))
    last = days_in_month(year, month)
    return D(year, month, draw(st.integers(last - 3, last)))


dates = st.one_of(st.dates(MIN_DAY, MAX_DAY), month_end_dates())
leap_days = (
    st.integers(1900, 2199).filter(lambda y: days_in_month(y, 2) == 29).map(lambda y: D(y, 2, 29))
)
month_counts = st.integers(-1200, 1200)
amounts = st.integers(0, 1200)
units = st.sampled_from(["days", "weeks", "months", "years"])


def month_index(day: date) -> int:
    return day.year * 12 + day.month


# ------------------------------------------------------------- add_months/years


def test_dt13_jan31_plus_one_month_clips_to_february_end() -> None:
    """DT-03/DT-13: 31 Jan + 1 month = 29 Feb (leap) / 28 Feb (common)."""
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)


def test_dt13_jan31_plus_two_months_is_anchored_not_iterated() -> None:
    """DT-13: 31 Jan + 2 months = 31 Mar, not (28 Feb + 1 month =) 28 Mar."""
    assert add_months(D(2023, 1, 31), 2) == D(2023, 3, 31)
    assert add_months(D(2024, 1, 31), 2) == D(2024, 3, 31)
    assert add_months(add_months(D(2023, 1, 31), 1), 1) == D(2023, 3, 28)


def test_dt03_negative_months_clip_too() -> None:
    """DT-03: going back also lands on the month end when the day is missing."""
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
    assert add_months(D(2024, 3, 31), -13) == D(2023, 2, 28)
    assert add_months(D(2024, 1, 15), -1) == D(2023, 12, 15)
    assert add_months(D(2024, 5, 17), 0) == D(2024, 5, 17)


def test_dt05_month_end_error_names_the_date() -> None:
    """DT-05: a policy may refuse month-end clipping; the error names the date."""
    with pytest.raises(EvaluationError, match="2024-01-31") as caught:
        add_months(D(2024, 1, 31), 1, month_end="error")
    assert "2024-02" in str(caught.value)
    # no clipping needed -> no error
    assert add_months(D(2024, 1, 31), 2, month_end="error") == D(2024, 3, 31)
    assert add_months(D(2024, 1, 29), 1, month_end="error") == D(2024, 2, 29)


def test_dt03_feb29_anniversaries() -> None:
    """DT-03: 29 Feb + 1 year = 28 Feb; + 4 years = 29 Feb."""
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2024, 2, 29), -1) == D(2023, 2, 28)
    # 2100 is not a leap year (Gregorian, DT-01)
    assert add_years(D(2096, 2, 29), 4) == D(2100, 2, 28)


def test_dt05_feb29_anniversary_error_mode() -> None:
    """DT-05: month_end='error' rejects 29 Feb + 1 year but not + 4 years."""
    with pytest.raises(EvaluationError, match="2024-02-29"):
        add_years(D(2024, 2, 29), 1, month_end="error")
    assert add_years(D(2024, 2, 29), 4, month_end="error") == D(2028, 2, 29)


def test_add_months_rejects_bad_input() -> None:
    with pytest.raises(EvaluationError, match="datetime"):
        add_months(datetime(2024, 1, 31, 12, 0), 1)
    with pytest.raises(EvaluationError, match="month_end"):
        add_months(D(2024, 1, 31), 1, month_end="roll")  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="years 1-9999"):
        add_months(D(9999, 12, 1), 1)
    with pytest.raises(EvaluationError, match="years 1-9999"):
        add_years(D(1, 6, 1), -1)


# ------------------------------------------------------------- period_last_day


def test_conv01_start_day_excluded() -> None:
    """CONV-01/DT-02/DT-03: last day = start + N units."""
    assert period_last_day(D(2024, 1, 15), 36, "months") == D(2027, 1, 15)
    assert period_last_day(D(2024, 3, 1), 7, "days") == D(2024, 3, 8)
    assert period_last_day(D(2024, 3, 1), 2, "weeks") == D(2024, 3, 15)
    assert period_last_day(D(2024, 6, 30), 2, "years") == D(2026, 6, 30)
    assert period_last_day(D(2024, 1, 31), 1, "months") == D(2024, 2, 29)
    assert period_last_day(D(2024, 2, 29), 1, "years") == D(2025, 2, 28)


def test_dt11_start_day_included() -> None:
    """DT-11 (BGB §187(2)/§188(2)): ends on the day before the corresponding day."""
    assert period_last_day(D(2024, 1, 15), 36, "months", start_day="included") == D(2027, 1, 14)
    assert period_last_day(D(2024, 3, 1), 7, "days", start_day="included") == D(2024, 3, 7)
    assert period_last_day(D(2024, 3, 1), 2, "weeks", start_day="included") == D(2024, 3, 14)
    assert period_last_day(D(2024, 3, 1), 1, "months", start_day="included") == D(2024, 3, 31)
    assert period_last_day(D(2024, 3, 1), 1, "years", start_day="included") == D(2025, 2, 28)
    assert period_last_day(D(2023, 3, 1), 1, "years", start_day="included") == D(2024, 2, 29)


def test_dt11_start_day_included_month_end_cases() -> None:
    """DT-11 §188(3): a missing corresponding day gives the month end in both modes."""
    # "31 April" is missing; the day before it (30 April) exists.
    assert period_last_day(D(2024, 3, 31), 1, "months", start_day="included") == D(2024, 4, 30)
    assert period_last_day(D(2024, 3, 31), 1, "months") == D(2024, 4, 30)
    # Even "30 February" is missing -> last day of February.
    assert period_last_day(D(2024, 1, 31), 1, "months", start_day="included") == D(2024, 2, 29)
    assert period_last_day(D(2023, 1, 30), 1, "months", start_day="included") == D(2023, 2, 28)
    # "29 February 2025" is missing; the day before (28 Feb) exists.
    assert period_last_day(D(2024, 2, 29), 1, "years", start_day="included") == D(2025, 2, 28)


def test_dt05_period_month_end_error_mode() -> None:
    """DT-05: month_end='error' raises only where the decisive day is missing."""
    with pytest.raises(EvaluationError, match="2024-01-30"):
        period_last_day(D(2024, 1, 30), 1, "months", month_end="error")
    with pytest.raises(EvaluationError, match="2024-02-29"):
        period_last_day(D(2024, 2, 29), 1, "years", month_end="error")
    with pytest.raises(EvaluationError, match="2023-01-30"):
        period_last_day(D(2023, 1, 30), 1, "months", start_day="included", month_end="error")
    # included: the decisive day (day before the corresponding one) exists
    assert period_last_day(
        D(2024, 1, 30), 1, "months", start_day="included", month_end="error"
    ) == D(2024, 2, 29)
    assert period_last_day(
        D(2024, 3, 31), 1, "months", start_day="included", month_end="error"
    ) == D(2024, 4, 30)
    assert period_last_day(
        D(2024, 2, 29), 1, "years", start_day="included", month_end="error"
    ) == D(2025, 2, 28)


def test_dt14_365_days_is_not_one_year_across_feb29() -> None:
    """DT-14: 365 days and 1 year differ when 29 Feb is inside the span."""
    assert period_last_day(D(2023, 6, 1), 365, "days") == D(2024, 5, 31)
    assert period_last_day(D(2023, 6, 1), 1, "years") == D(2024, 6, 1)
    # no 29 Feb in the span -> equal
    assert period_last_day(D(2022, 6, 1), 365, "days") == D(2023, 6, 1)
    assert period_last_day(D(2022, 6, 1), 1, "years") == D(2023, 6, 1)


def test_period_amount_zero_and_negative() -> None:
    """amount 0: excluded -> start; included -> start - 1 (empty). Negative -> error."""
    start = D(2024, 3, 1)
    for unit in ("days", "weeks", "months", "years"):
        assert period_last_day(start, 0, unit) == start
        last = period_last_day(start, 0, unit, start_day="included")
        assert last == D(2024, 2, 29)
        assert not within(start, start, last)
    with pytest.raises(EvaluationError, match="negative"):
        period_last_day(start, -1, "days")


def test_period_rejects_bad_options() -> None:
    with pytest.raises(EvaluationError, match="unit"):
        period_last_day(D(2024, 3, 1), 1, "fortnights")  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="start_day"):
        period_last_day(D(2024, 3, 1), 1, "days", start_day="both")  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="month_end"):
        period_last_day(D(2024, 3, 1), 1, "days", month_end="roll")  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="whole number"):
        period_last_day(D(2024, 3, 1), 1.5, "days")  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="datetime"):
        period_last_day(datetime(2024, 3, 1, 8, 0), 1, "days")
    with pytest.raises(EvaluationError, match="years 1-9999"):
        period_last_day(D(9999, 12, 30), 5, "days")
    with pytest.raises(EvaluationError, match="years 1-9999"):
        period_last_day(D(1, 1, 1), 0, "months", start_day="included")


def test_period_last_day_is_memoised_and_bounded() -> None:
    """The fast path is a bounded LRU memo; errors are not cached."""
    cached = periods._last_day_cached
    assert cached.cache_parameters()["maxsize"] == periods.PERIOD_CACHE_SIZE
    start = D(1987, 7, 3)
    before = cached.cache_info().hits
    first = period_last_day(start, 17, "months", start_day="included")
    second = period_last_day(start, 17, "months", start_day="included")
    assert first == second == D(1988, 12, 2)
    assert cached.cache_info().hits >= before + 1
    for _ in range(2):
        with pytest.raises(EvaluationError):
            period_last_day(start, -17, "months")


# ------------------------------------------------------------ out of service


def test_conv03_days_out_of_service() -> None:
    """CONV-03: returned - handed over, start day excluded."""
    assert days_out_of_service(D(2024, 3, 1), D(2024, 3, 6)) == 5
    assert days_out_of_service(D(2024, 3, 1), D(2024, 3, 1)) == 0
    assert days_out_of_service(D(2024, 2, 28), D(2024, 3, 1)) == 2
    with pytest.raises(EvaluationError, match="before"):
        days_out_of_service(D(2024, 3, 6), D(2024, 3, 1))


def test_dt15_cn_auto14_hours_round_up_to_days() -> None:
    """DT-15/CN-AUTO-14: each full 24 h = 1 day, any remainder = 1 more day."""
    assert days_from_hours(24) == 1
    assert days_from_hours(25) == 2
    assert days_from_hours(1) == 1
    assert days_from_hours(0) == 0
    assert days_from_hours(48) == 2
    assert days_from_hours(0.5) == 1
    assert days_from_hours(Decimal("23.5")) == 1
    assert days_from_hours(Decimal("48.0001")) == 3
    # the float just above 24 is more than 24 hours
    assert days_from_hours(math.nextafter(24.0, 100.0)) == 2


def test_dt15_cn_auto14_cumulative_is_sum_of_rounded_repairs() -> None:
    """CN-AUTO-14: round each repair, then sum (3 x 25 h = 6 days, not 4)."""
    assert sum(days_from_hours(h) for h in (25, 25, 25)) == 6
    assert more_than(sum(days_from_hours(h) for h in [24] * 31), 30)  # CN-AUTO-12


def test_days_from_hours_rejects_bad_values() -> None:
    for bad in (-1, -0.1, float("nan"), float("inf"), Decimal("NaN"), Decimal("-2")):
        with pytest.raises(EvaluationError):
            days_from_hours(bad)
    with pytest.raises(EvaluationError):
        days_from_hours("24")  # type: ignore[arg-type]


# ----------------------------------------------------------------- extension


def test_conv04_extension_sums_then_adds_once() -> None:
    """CONV-04: new end = end + total excluded days."""
    assert extend(D(2025, 1, 15), [5, 12]) == D(2025, 2, 1)
    assert extend(D(2025, 1, 15), []) == D(2025, 1, 15)
    assert extend(D(2024, 2, 28), iter([1])) == D(2024, 2, 29)
    with pytest.raises(EvaluationError, match=r"excluded_days\[1\]"):
        extend(D(2025, 1, 15), [5, -1])


def test_conv03_conv04_repairs_extend_a_warranty() -> None:
    """CONV-01 + CONV-03 + CONV-04: 1 year from 2024-01-15, two repairs."""
    end = period_last_day(D(2024, 1, 15), 1, "years")
    repairs = [(D(2024, 3, 1), D(2024, 3, 6)), (D(2024, 8, 10), D(2024, 8, 22))]
    new_end = extend(end, (days_out_of_service(a, b) for a, b in repairs))
    assert new_end == D(2025, 2, 1)


# --------------------------------------------------------------- comparisons


def test_dt06_within_includes_both_boundaries() -> None:
    """DT-06: '7日内' includes day 7; the start day is included too."""
    start = D(2024, 3, 1)
    last = period_last_day(start, 7, "days")
    assert within(D(2024, 3, 8), start, last)
    assert within(start, start, last)
    assert not within(D(2024, 3, 9), start, last)
    assert not within(D(2024, 2, 29), start, last)


def test_conv02_dt06_strict_and_inclusive_comparisons() -> None:
    """CONV-02/DT-06: '超过 N' is > N, '以上' is >= N, '不满' is < N, '以下' is <= N."""
    assert not more_than(30, 30)
    assert more_than(31, 30)
    assert at_least(30, 30)
    assert not at_least(29, 30)
    assert less_than(29, 30)
    assert not less_than(30, 30)
    assert at_most(30, 30)
    assert not at_most(Decimal("30.5"), 30)
    assert more_than(30.5, Decimal(30))


# ------------------------------------------------------------------ properties


@given(dates, month_counts)
def test_prop_dt13_add_months_equals_clipped_target(day: date, months: int) -> None:
    """DT-03/DT-13: the day number is min(day, days in target month)."""
    target = add_months(day, months)
    expected = day + relativedelta(months=months)  # anchored, clipping oracle
    assert target == expected
    assert target.day == min(day.day, days_in_month(target.year, target.month))


@given(dates, month_counts)
def test_prop_dt13_month_difference_is_exact(day: date, months: int) -> None:
    """DT-13: the result is exactly `months` calendar months away."""
    assert month_index(add_months(day, months)) - month_index(day) == months


@given(dates, st.integers(-600, 600), st.integers(-600, 600))
def test_prop_dt13_anchored_not_iterated(day: date, a: int, b: int) -> None:
    """DT-13: iterating never gains days; it equals the anchored result when no clip happens."""
    anchored = add_months(day, a + b)
    iterated = add_months(add_months(day, a), b)
    assert month_index(iterated) == month_index(anchored)
    assert iterated <= anchored
    if day.day <= 28:
        assert iterated == anchored


@given(dates, month_counts, month_counts)
def test_prop_add_months_monotonic_in_months(day: date, m1: int, m2: int) -> None:
    low, high = sorted((m1, m2))
    assert add_months(day, low) <= add_months(day, high)


@given(dates, dates, month_counts)
def test_prop_add_months_monotonic_in_day(d1: date, d2: date, months: int) -> None:
    low, high = sorted((d1, d2))
    assert add_months(low, months) <= add_months(high, months)


@given(dates, month_counts)
def test_prop_dt05_error_mode_agrees_or_raises(day: date, months: int) -> None:
    """DT-05: 'error' gives the same date unless the day is missing, then raises."""
    clipped = add_months(day, months)
    if clipped.day == day.day:
        assert add_months(day, months, month_end="error") == clipped
    else:
        with pytest.raises(EvaluationError):
            add_months(day, months, month_end="error")


@given(dates, st.integers(-150, 150))
def test_prop_add_years_is_twelve_months(day: date, years: int) -> None:
    """DT-03: a year is 12 anchored months; only 29 Feb ever clips."""
    result = add_years(day, years)
    assert result == add_months(day, 12 * years)
    assert (result.month, result.day) == (day.month, day.day) or (
        (day.month, day.day) == (2, 29) and (result.month, result.day) == (2, 28)
    )


@given(leap_days, st.integers(-50, 50))
def test_prop_dt03_feb29_anniversary(day: date, years: int) -> None:
    """DT-03: 29 Feb + n years is 29 Feb in leap years and 28 Feb otherwise."""
    result = add_years(day, years)
    assert result.year == day.year + years
    assert result.day == days_in_month(result.year, 2)


@given(dates, amounts, units)
def test_prop_conv01_excluded_is_start_plus_units(day: date, amount: int, unit: str) -> None:
    """CONV-01/DT-02: excluded last day = start + N units (oracle: relativedelta)."""
    step = {
        "days": relativedelta(days=amount),
        "weeks": relativedelta(weeks=amount),
        "months": relativedelta(months=amount),
        "years": relativedelta(years=amount),
    }[unit]
    assert period_last_day(day, amount, unit) == day + step  # type: ignore[arg-type]


@given(dates, amounts, units)
def test_prop_dt11_included_is_one_day_earlier(day: date, amount: int, unit: str) -> None:
    """DT-11 vs DT-02: excluded - included = 1 day, except a clipped month end (both = month end)."""
    excluded = period_last_day(day, amount, unit)  # type: ignore[arg-type]
    included = period_last_day(day, amount, unit, start_day="included")  # type: ignore[arg-type]
    clipped = unit in ("months", "years") and excluded.day != day.day
    if clipped:
        assert included == excluded
        assert excluded.day == days_in_month(excluded.year, excluded.month)
    else:
        assert excluded - included == timedelta(days=1)


@given(dates, amounts, amounts, units, st.sampled_from(["excluded", "included"]))
def test_prop_period_monotonic_in_amount(
    day: date, a1: int, a2: int, unit: str, start_day: str
) -> None:
    low, high = sorted((a1, a2))
    first = period_last_day(day, low, unit, start_day=start_day)  # type: ignore[arg-type]
    second = period_last_day(day, high, unit, start_day=start_day)  # type: ignore[arg-type]
    assert first <= second


@given(dates, dates, amounts, units, st.sampled_from(["excluded", "included"]))
def test_prop_period_monotonic_in_start(
    d1: date, d2: date, amount: int, unit: str, start_day: str
) -> None:
    low, high = sorted((d1, d2))
    first = period_last_day(low, amount, unit, start_day=start_day)  # type: ignore[arg-type]
    second = period_last_day(high, amount, unit, start_day=start_day)  # type: ignore[arg-type]
    assert first <= second


@given(dates, st.integers(0, 3000))
def test_prop_dt14_days_are_plain_day_counts(day: date, amount: int) -> None:
    """DT-14: day periods ignore months and leap days entirely."""
    assert (period_last_day(day, amount, "days") - day).days == amount
    assert period_last_day(day, amount, "weeks") == period_last_day(day, 7 * amount, "days")


@given(dates, st.integers(1, 50))
def test_prop_dt14_years_vs_365_days(day: date, years: int) -> None:
    """DT-14: N years = 365*N days + the number of 29 Febs in (start, end]."""
    end = period_last_day(day, years, "years")
    leap_days_in_span = sum(
        1
        for y in range(day.year, end.year + 1)
        if days_in_month(y, 2) == 29 and day < D(y, 2, 29) <= end
    )
    assert (end - day).days == 365 * years + leap_days_in_span


@given(dates, dates)
def test_prop_conv03_out_of_service_round_trips(d1: date, d2: date) -> None:
    """CONV-03: handed_over + days_out_of_service = returned."""
    handed_over, returned = sorted((d1, d2))
    days = days_out_of_service(handed_over, returned)
    assert days >= 0
    assert handed_over + timedelta(days=days) == returned


hours = st.one_of(
    st.integers(0, 10_000),
    st.floats(0, 10_000, allow_nan=False, allow_infinity=False),
    st.decimals(0, 10_000, allow_nan=False, allow_infinity=False),
)


@given(hours)
def test_prop_dt15_hours_to_days_is_exact_ceiling(value: float | Decimal) -> None:
    """DT-15/CN-AUTO-14: the fewest whole days that hold the hours."""
    days = days_from_hours(value)
    exact = Fraction(value)
    assert days * 24 >= exact
    assert (days - 1) * 24 < exact or days == 0


@given(st.integers(0, 500), st.integers(1, 23))
def test_prop_dt15_any_remainder_is_one_more_day(full_days: int, extra_hours: int) -> None:
    assert days_from_hours(24 * full_days) == full_days
    assert days_from_hours(24 * full_days + extra_hours) == full_days + 1


day_lists = st.lists(st.integers(0, 400), max_size=8)


@given(dates, day_lists, day_lists)
def test_prop_conv04_extend_is_additive(day: date, first: list[int], second: list[int]) -> None:
    """CONV-04: extending twice = extending once by everything = end + sum."""
    once = extend(day, first + second)
    assert extend(extend(day, first), second) == once
    assert once == day + timedelta(days=sum(first) + sum(second))
    assert extend(day, first) >= day


@given(dates, dates, dates)
def test_prop_dt06_within_is_inclusive_interval(day: date, d1: date, d2: date) -> None:
    start, last = sorted((d1, d2))
    assert within(day, start, last) == (start <= day <= last)
    assert within(start, start, last)
    assert within(last, start, last)


@given(dates, st.integers(1, 400), units)
def test_prop_conv01_last_day_is_within_and_next_is_not(day: date, amount: int, unit: str) -> None:
    """CONV-01/DT-06: the last day is covered, the day after it is not."""
    for start_day in ("excluded", "included"):
        last = period_last_day(day, amount, unit, start_day=start_day)  # type: ignore[arg-type]
        assert within(last, day, last)
        assert not within(last + timedelta(days=1), day, last)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_prop_conv02_comparisons_partition(value: int, n: int) -> None:
    """CONV-02/DT-06: exactly one of <, == , > holds, and the words map to them."""
    assert more_than(value, n) == (not at_most(value, n))
    assert less_than(value, n) == (not at_least(value, n))
    assert at_least(value, n) and at_most(value, n) or value != n


def test_relativedelta_oracle_is_anchored() -> None:
    """Guard for the oracle used above: relativedelta clips from the anchor too."""
    assert D(2023, 1, 31) + relativedelta(months=2) == D(2023, 3, 31)
    assert D(2024, 2, 29) + relativedelta(years=1) == D(2025, 2, 28)
