"""Pure date arithmetic for coverage periods.

Every function here is a pure function of its arguments: no clock, no time
zone, no holiday calendar.  Holiday roll-forward (DT-04, DT-07, DT-08,
DT-10, DT-11 §193) applies only to *action deadlines* (DT-12, CONV-07) and
lives with the business calendars, not here.

Rules encoded (ids from ``STATUTES.md``):

* DT-01 -- Gregorian calendar (``datetime.date``), units days/weeks/months/years.
* DT-02 / CONV-01 / DT-10 Art. 3(1) -- ``start_day="excluded"`` (the default):
  the day of the triggering event does not count; "N units from D" ends on
  D + N units.
* DT-11 (BGB §187(2)/§188(2)) -- ``start_day="included"``: the period begins at
  the start of D and ends on the day *before* the corresponding day.
* DT-03 / DT-10 Art. 3(2)(c) / DT-11 §188(3) -- month and year periods end on
  the same day number in the target month, or on the last day of that month
  when the day number does not exist there (``month_end="clip"``).  A policy
  may instead ask for an :class:`~warrantykit.errors.EvaluationError`
  (``month_end="error"``, DT-05: the parties may agree otherwise).
* DT-13 -- month arithmetic is anchored on the original date, never iterated.
* DT-14 -- N days and N years are different units; 365 days is not a year
  when a 29 February lies inside the span.
* DT-06 / CONV-02 -- "within N" includes N (:func:`within`, :func:`at_most`,
  :func:`at_least`); "more than N" / "less than N" exclude it
  (:func:`more_than`, :func:`less_than`).
* CONV-03 -- days out of service = returned - handed over (start day excluded).
* DT-15 / CN-AUTO-14 -- hours of repair: each full 24 h is a day and any
  remainder is one more day.
* CONV-04 -- extension by excluded days: new end = end + sum, applied once.

Only ``datetime.date`` values are accepted; a ``datetime`` (which is a
subclass of ``date``) is rejected rather than silently truncated, because
which calendar day an instant falls on depends on a time zone that this
module does not know.

All errors are :class:`~warrantykit.errors.EvaluationError` (valid policy and
facts that cannot be combined, e.g. a month end the policy asked to reject, a
result outside years 1..9999, a negative length).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Final, Literal, TypeAlias

from warrantykit.errors import EvaluationError

__all__ = [
    "PERIOD_CACHE_SIZE",
    "MonthEnd",
    "StartDay",
    "Unit",
    "add_months",
    "add_years",
    "at_least",
    "at_most",
    "days_from_hours",
    "days_in_month",
    "days_out_of_service",
    "extend",
    "less_than",
    "more_than",
    "period_last_day",
    "within",
]

MonthEnd: TypeAlias = Literal["clip", "error"]
"""What to do when the corresponding day does not exist in the target month."""

StartDay: TypeAlias = Literal["excluded", "included"]
"""Whether the start date itself is the first day of the period."""

Unit: TypeAlias = Literal["days", "weeks", "months", "years"]
"""Units a coverage period can be expressed in."""

Number: TypeAlias = int | float | Decimal

PERIOD_CACHE_SIZE: Final = 65_536
"""Bound of the memo behind :func:`period_last_day` (least recently used entries go)."""

_UNITS: Final = frozenset({"days", "weeks", "months", "years"})
_START_DAYS: Final = frozenset({"excluded", "included"})
_MONTH_ENDS: Final = frozenset({"clip", "error"})
_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_ONE_DAY: Final = timedelta(days=1)


# ---------------------------------------------------------------- validation


def _check_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise EvaluationError(
            f"{what} must be a calendar date (datetime.date), got {type(value).__name__}"
        )
    return value


def _check_int(value: object, what: str) -> int:
    if not isinstance(value, int):
        raise EvaluationError(f"{what} must be a whole number, got {value!r}")
    return value


def _check_month_end(month_end: object) -> None:
    if month_end not in _MONTH_ENDS:
        raise EvaluationError(f"month_end must be 'clip' or 'error', got {month_end!r}")


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    """Number of days in ``month`` of ``year`` (Gregorian, DT-01)."""
    if month == 2 and _is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _target_month(day: date, months: int) -> tuple[int, int, int]:
    """(year, month, days in that month) of the month ``months`` after ``day``'s."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise EvaluationError(
            f"{day.isoformat()} shifted by {months} month(s) leaves the supported "
            "calendar (years 1-9999)"
        )
    return year, month0 + 1, days_in_month(year, month0 + 1)


def _plus_days(day: date, days: int, what: str) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise EvaluationError(
            f"{what}: {day.isoformat()} shifted by {days} day(s) leaves the supported "
            "calendar (years 1-9999)"
        ) from None


def _missing_day(start: date, months: int, what: str, year: int, month: int, day: int) -> str:
    return (
        f"{start.isoformat()} + {what}: day {day} does not exist in {year:04d}-{month:02d} "
        "and the policy asks for an error at month ends (month_end='error')"
    )


def _describe(months: int) -> str:
    if months % 12 == 0:
        return f"{months // 12} year(s)"
    return f"{months} month(s)"


# ---------------------------------------------------------- month arithmetic


def _shift(day: date, months: int, month_end: MonthEnd) -> date:
    year, month, last = _target_month(day, months)
    if day.day <= last:
        return date(year, month, day.day)
    if month_end == "error":
        raise EvaluationError(_missing_day(day, months, _describe(months), year, month, day.day))
    return date(year, month, last)


def add_months(day: date, months: int, *, month_end: MonthEnd = "clip") -> date:
    """``day`` moved by ``months`` calendar months, anchored on ``day`` (DT-03, DT-13).

    The result is in the month ``months`` after ``day``'s month and has
    ``day``'s day number; when that day does not exist there:

    * ``month_end="clip"`` (default, DT-03 / DT-10 / BGB §188(3)): the last day
      of the target month -- 2024-01-31 + 1 month = 2024-02-29,
      2023-01-31 + 1 month = 2023-02-28;
    * ``month_end="error"``: :class:`EvaluationError` naming ``day``.

    The shift is always computed from ``day`` itself, never step by step:
    2024-01-31 + 2 months = 2024-03-31, whereas (2024-01-31 + 1) + 1 would be
    2024-03-29.  Consequently ``add_months(add_months(d, a), b)`` can be
    *earlier* than ``add_months(d, a + b)`` (never later).

    Negative ``months`` move backwards with the same clipping
    (2024-03-31 - 1 month = 2024-02-29).  ``months == 0`` returns ``day``.
    A result outside years 1..9999 raises :class:`EvaluationError`.
    """
    _check_date(day, "day")
    _check_int(months, "months")
    _check_month_end(month_end)
    return _shift(day, months, month_end)


def add_years(day: date, years: int, *, month_end: MonthEnd = "clip") -> date:
    """``day`` moved by ``years`` calendar years: ``add_months(day, 12 * years)``.

    The only day that can be missing is 29 February: 2024-02-29 + 1 year is
    2025-02-28 with ``month_end="clip"`` and an :class:`EvaluationError` with
    ``month_end="error"``; 2024-02-29 + 4 years = 2028-02-29 in both modes.
    Negative ``years`` are allowed.
    """
    _check_date(day, "day")
    _check_int(years, "years")
    _check_month_end(month_end)
    return _shift(day, 12 * years, month_end)


# ----------------------------------------------------------- period last day


@lru_cache(maxsize=PERIOD_CACHE_SIZE, typed=True)
def _last_day_cached(start: date, amount: int, unit: str, start_day: str, month_end: str) -> date:
    """Uncached logic of :func:`period_last_day` behind a bounded LRU memo.

    ``typed=True`` keeps ``1`` and ``True`` (or a ``date`` and an equal
    subclass instance) apart so validation never depends on what was cached
    first.  Raised errors are not cached.
    """
    _check_date(start, "start")
    _check_int(amount, "amount")
    if amount < 0:
        raise EvaluationError(f"a period length cannot be negative, got {amount} {unit}")
    if unit not in _UNITS:
        raise EvaluationError(
            f"unknown period unit {unit!r} (expected days, weeks, months or years)"
        )
    if start_day not in _START_DAYS:
        raise EvaluationError(f"start_day must be 'excluded' or 'included', got {start_day!r}")
    _check_month_end(month_end)
    included = start_day == "included"

    if unit == "days" or unit == "weeks":
        days = amount if unit == "days" else 7 * amount
        what = f"{amount} {unit}"
        return _plus_days(start, days - 1 if included else days, what)

    months = amount if unit == "months" else 12 * amount
    what = f"{amount} {unit}"
    year, month, last = _target_month(start, months)
    if not included:
        # DT-02/DT-03: the corresponding day, or the month end.
        if start.day <= last:
            return date(year, month, start.day)
        if month_end == "error":
            raise EvaluationError(_missing_day(start, months, what, year, month, start.day))
        return date(year, month, last)

    # BGB §188(2) second case: the day *before* the corresponding day.
    if start.day == 1:
        # The corresponding day (the 1st) always exists; the day before it is
        # the last day of the previous month.
        return _plus_days(date(year, month, 1), -1, what)
    decisive = start.day - 1
    if decisive <= last:
        # Either the corresponding day exists (result = its previous day), or
        # only the corresponding day is missing (31 March -> "31 April"), whose
        # previous day, 30 April, is the month end: nothing is ambiguous.
        return date(year, month, decisive)
    # Even the day before the corresponding day is missing (31 January ->
    # "30 February"): §188(3) -> the last day of that month.
    if month_end == "error":
        raise EvaluationError(_missing_day(start, months, what, year, month, decisive))
    return date(year, month, last)


def period_last_day(
    start: date,
    amount: int,
    unit: Unit,
    *,
    start_day: StartDay = "excluded",
    month_end: MonthEnd = "clip",
) -> date:
    """Last day (inclusive) of a period of ``amount`` ``unit`` from ``start``.

    ``start_day="excluded"`` (default; PRC Civil Code art. 201-203 = DT-02/03,
    CONV-01, EU Reg. 1182/71 Art. 3, BGB §187(1)): the start day is the day of
    the triggering event and does not count, so the last day is
    ``start + amount unit``:

    * 36 months from 2024-01-15 -> 2027-01-15; 7 days from 2024-03-01 -> 2024-03-08;
    * a missing corresponding day is clipped to the month end
      (1 month from 2024-01-31 -> 2024-02-29) or, with ``month_end="error"``,
      raises :class:`EvaluationError`.

    ``start_day="included"`` (BGB §187(2)/§188(2), DT-11): the period begins at
    the beginning of ``start``.  Day/week periods end on
    ``start + amount unit - 1 day``; month/year periods end on the day before
    the corresponding day (1 month from 2024-03-01 -> 2024-03-31; 36 months
    from 2024-01-15 -> 2027-01-14).  Documented month-end cases (§188(3)):

    * if the corresponding day does not exist but the day before it does, that
      day -- the month end -- is the last day: 1 month from 2024-03-31 ->
      2024-04-30; 1 year from 2024-02-29 -> 2025-02-28.  This is not
      ambiguous, so ``month_end="error"`` does not raise here;
    * if even the day before is missing (1 month from 2024-01-31: "30 Feb"),
      the month end is the last day (2024-02-29), or ``month_end="error"``
      raises.

    Hence ``excluded - included`` is exactly one day, except when the
    ``excluded`` result was clipped to a month end: then both modes give that
    month end (the BGB rule, not "clipped result minus one day").

    ``amount == 0``: ``excluded`` gives ``start`` itself (the event day is the
    last day of a zero-length window, consistent with DT-06 "within 0 days");
    ``included`` gives ``start - 1 day``, i.e. an empty period (no day ``d``
    satisfies ``within(d, start, last)``).  A negative ``amount``, an unknown
    ``unit`` or option, or a result outside years 1..9999 raise
    :class:`EvaluationError`.

    Results are memoised in a bounded LRU cache (:data:`PERIOD_CACHE_SIZE`
    entries) keyed on all arguments; the function is pure, so this is
    transparent.
    """
    return _last_day_cached(start, amount, unit, start_day, month_end)


# ------------------------------------------------------- out of service, hours


def days_out_of_service(handed_over: date, returned: date) -> int:
    """Calendar days a product was out of service for one repair (CONV-03).

    ``returned - handed_over`` in days: the hand-over day is not counted (like
    DT-02), the return day is.  Handed over 2024-03-01 and returned 2024-03-06
    -> 5 days; returned the same day -> 0.  (California §1795.6 counts the
    return day *and* the hand-over day; such a policy adds 1.)

    ``returned`` before ``handed_over`` raises :class:`EvaluationError`.
    """
    _check_date(handed_over, "handed_over")
    _check_date(returned, "returned")
    if returned < handed_over:
        raise EvaluationError(
            f"returned {returned.isoformat()} is before handed over {handed_over.isoformat()}"
        )
    return (returned - handed_over).days


def days_from_hours(hours: float | Decimal) -> int:
    """Repair days from repair hours (DT-15, CN-AUTO-14): ``ceil(hours / 24)``.

    Each full 24 hours is one day and any remainder, however small, is one
    more day: 24 h -> 1, 25 h -> 2, 1 h -> 1, 0 h -> 0.  The division is exact
    (the value is converted to a fraction first), so ``24.000000000000004``
    (the float just above 24) is 2 days, not 1.  Apply it **per repair**, then
    sum the days (CN-AUTO-14 "cumulative repair time").

    Negative, NaN or infinite hours raise :class:`EvaluationError`.
    """
    if isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise EvaluationError(f"hours must be a number, got {hours!r}")
    try:
        exact = Fraction(hours)
    except (ValueError, OverflowError):
        raise EvaluationError(f"hours must be a finite number, got {hours!r}") from None
    if exact < 0:
        raise EvaluationError(f"hours cannot be negative, got {hours!r}")
    return -(-exact // 24)


# ------------------------------------------------------------------ extension


def extend(last_day: date, excluded_days: Iterable[int]) -> date:
    """``last_day`` pushed back by the total of ``excluded_days`` (CONV-04).

    The days (e.g. :func:`days_out_of_service` of each repair) are summed
    first and the total is added once: extend(2025-01-15, [5, 12]) =
    2025-02-01.  Because plain day counts are added, the result is additive:
    ``extend(extend(d, a), b) == extend(d, [*a, *b])``.  An empty iterable
    returns ``last_day``.

    A negative item (or a non-integer one) raises :class:`EvaluationError`.
    """
    _check_date(last_day, "last_day")
    total = 0
    for index, days in enumerate(excluded_days):
        _check_int(days, f"excluded_days[{index}]")
        if days < 0:
            raise EvaluationError(
                f"excluded_days[{index}] is negative ({days}); an extension cannot shorten a period"
            )
        total += days
    return _plus_days(last_day, total, "extension")


# ---------------------------------------------------------------- comparisons


def within(day: date, start: date, last_day: date) -> bool:
    """Whether ``start <= day <= last_day`` -- both boundaries included (DT-06).

    "以内 / within N" includes N: with ``last_day = period_last_day(...)`` a
    failure on the last day itself is covered.  If ``last_day < start`` (an
    empty period, see :func:`period_last_day` with ``amount=0``) no day is
    within.
    """
    _check_date(day, "day")
    _check_date(start, "start")
    _check_date(last_day, "last_day")
    return start <= day <= last_day


def more_than(value: Number, n: Number) -> bool:
    """More than (超过) N: ``value > n``, N excluded (DT-06, CONV-02)."""
    return value > n


def at_least(value: Number, n: Number) -> bool:
    """At least N (N or more, 以上):  ``value >= n``, N included (DT-06, CONV-02)."""
    return value >= n


def less_than(value: Number, n: Number) -> bool:
    """Less than (不满) N: ``value < n``, N excluded (DT-06)."""
    return value < n


def at_most(value: Number, n: Number) -> bool:
    """At most N (N or less, 以下, 以内):  ``value <= n``, N included (DT-06)."""
    return value <= n
