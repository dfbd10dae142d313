"""Business calendars: working hours, public holidays and business-time arithmetic.

A :class:`BusinessCalendar` is an IANA time zone, a weekly pattern of working
intervals, optionally the public holidays of a country (and subdivision) from
the ``holidays`` package -- including China's make-up working days (调休) --
plus extra holidays, extra working days and the range of years whose holiday
data is trusted.  ``docs/calendars.md`` describes the same rules with examples.

Conventions
===========

Working intervals
    Local wall-clock times with minute resolution, several per weekday
    (0 = Monday).  An interval whose end is at or before its start crosses
    midnight: ``(22:00, 06:00)`` runs from 22:00 to 06:00 the next morning,
    ``(09:00, 00:00)`` ends at midnight (24:00) and ``(00:00, 00:00)`` is the
    whole day.  ``datetime.time`` cannot say 24:00: write 00:00 (or
    ``time.max``) as the end.  An interval *belongs to the day it starts on*:
    a night shift that starts on a holiday is closed, one that starts the
    evening before a holiday runs to its end.  Overlapping or touching
    intervals are merged.

Working days, holidays, make-up days
    A day is a *holiday* when the country's public holidays (``holidays``
    package, default category, observed days included) or ``extra_holidays``
    list it, and ``extra_working_days`` does not.  A day is a *working day*
    when it is not a holiday and it has working intervals: its weekday's
    intervals, or -- for a make-up working day (``weekend_workdays`` of the
    package, e.g. China's Sunday 29 Sep 2024) or an extra working day whose
    weekday has none -- the calendar's *standard working day* (the most
    common non-empty weekday pattern, ties going to the earliest weekday).
    Any other day is a *rest day*.

Wall time
    Business time is counted in local wall-clock time, so daylight-saving
    changes never move a deadline: Fri 2024-03-08 16:30 EST plus one
    business hour on a Mon-Fri 09:00-17:00 calendar is Mon 2024-03-11
    09:30 EDT.  An interval that contains a clock change counts wall-clock
    minutes, each once: 00:00-06:00 counts 6 hours on both DST nights
    although 5 or 7 real hours pass.  Reading the wall clock of an instant:
    an aware datetime whose local time does not exist is the instant its
    UTC offset gives (as ``astimezone`` reads it); in the *second* pass of a
    repeated hour the wall clock stands still at the end of the repeated
    range (01:30 EST on 2024-11-03 reads 02:00), because those wall minutes
    were already counted in the first pass.  Writing a result: a wall time
    in a repeated range is its first occurrence (``fold=0``); a wall time
    that does not exist (inside a spring-forward gap) becomes the first
    instant after the gap, the moment of the clock change (02:30 on
    2024-03-10 in New York becomes 03:00 EDT).  Both directions are
    monotonic, so ``add`` is monotonic in real time and ``between`` never
    has the wrong sign; ``between(a, add(a, d)) == d`` except for results
    moved out of a gap, where it adds the open wall minutes skipped.

Continuous calendars
    A calendar open 7x24 with no holidays (no country, no extra holidays) is
    *continuous*: there is nothing to count in wall time, so ``add`` and
    ``between`` measure real elapsed time instead (a 2-hour response starting
    01:30 on a DST night ends 2 real hours later).  A 7x24 calendar *with*
    holidays is counted in wall time like any other calendar.

Closing time
    A deadline that ends exactly at closing time is reported as the closing
    time (17:00), not as the next opening.  For ``d > 0`` the result of
    ``add(a, d)`` lies in ``(interval start, interval end]``.  For ``d == 0``
    the result is ``a`` itself when ``a`` is open or exactly a closing
    instant, else ``next_opening(a)``.  Intervals are half-open:
    ``is_open`` is true at 09:00 and false at 17:00.

Working-day counting (CONV-08)
    "N working days from D" counts working days strictly after D:
    ``add_working_days(D, n)`` is the n-th working day after D.  ``n == 0``
    rolls D forward to a working day (D itself when it is one) and ``n < 0``
    counts backwards (the \\|n\\|-th working day strictly before D).

Holiday roll-forward
    ``roll_forward(day, "next_working_day")`` (DT-08, DT-10, DT-11): the first
    working day of this calendar on or after ``day``.  ``roll_forward(day,
    "day_after_holiday")`` (DT-04, DT-07; PRC Civil Code art. 203): counted on
    the statutory rest days (public holidays, and weekends that are not make-up
    working days) whatever the service hours -- a deadline on such a day moves
    to the day after the run of rest days containing it.  The two agree on a
    Monday-to-Friday calendar and differ when service hours include weekends.

Trusted years
    ``trusted_years=(first, last)`` says which years' holiday data to trust.
    Without it every year is trusted when there is no country, and with a
    country the years the ``holidays`` package supports for it are trusted
    (China publishes its schedule one year at a time: pass
    ``trusted_years``).  ``untrusted_between`` tells callers when to warn.

Errors
    Every method taking a ``datetime`` raises :class:`CalendarError` for a
    naive one; ``add`` raises it for a negative duration; the constructor
    raises it for an unknown time zone, country or subdivision, malformed
    intervals and a calendar with no working time at all; results beyond
    year 9999 raise it too.  Outputs are aware datetimes in the calendar's
    zone.

Performance
    Open-time profiles per (kind of the day before, kind of the day,
    weekday) and the weekly business time are precomputed.  Day data --
    holidays read lazily from the package per year (shared by calendars of
    the same country), make-up and extra days -- lives in immutable
    snapshots covering a window of years, replaced under a lock when an
    operation leaves the window.  A snapshot holds sorted tables of the
    "abnormal" days (holidays, make-up days and the day after each) with the
    business time and working-day count before each, so a day's cumulative
    business time and its inverse cost one bisection plus arithmetic over the
    whole weeks in between: ``add`` and ``between`` cost the same for one hour
    and for a year.  A zone's clock changes are found once per process
    (sampling the UTC offset every 6 hours and bisecting to the second).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warrantykit.errors import CalendarError

__all__ = ["BusinessCalendar", "PresetName", "RollMode", "Ruler", "WorkingInterval", "from_utc_micros", "utc_micros"]

PresetName = Literal["7x24", "5x8", "7x8"]
"""Names accepted by :meth:`BusinessCalendar.preset`."""

RollMode = Literal["next_working_day", "day_after_holiday"]
"""Modes accepted by :meth:`BusinessCalendar.roll_forward`."""

_MINUTE = 60_000_000  # microseconds
_DAY = 86_400_000_000
_MINUTES_PER_DAY = 1440
_UTC = UTC
_MAX_ORD = date.max.toordinal()
_MAX_YEAR = date.max.year
_BUCKET_SHIFT = 9  # time-zone gap cache granularity: 512 days

# Day kinds: what a day contributes to the open time.
_CLOSED = 0  # a holiday on a weekday that has working intervals
_WEEKLY = 1  # its weekday's intervals (possibly none): the normal case
_STANDARD = 2  # the standard working day (make-up / extra working day)
_NORMAL_PROFILE = (_WEEKLY * 3 + _WEEKLY) * 7  # + weekday
_ONE_US = timedelta(microseconds=1)

_Segments = tuple[tuple[int, int], ...]
# wall ranges [start, end) in absolute wall microseconds (ordinal * _DAY +
# microsecond of day) that are nonexistent (is_gap) or repeated
_Irregular = tuple[tuple[int, int, bool], ...]
# (business time before the day, the day's open segments, its clock changes or None)
_DayEntry = tuple[int, _Segments, _Irregular | None]


# ---------------------------------------------------------------------------
# Working intervals
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """One working interval of a weekday, in local wall-clock minutes.

    ``start`` is in ``0..1439`` and ``end`` in ``0..1440`` minutes since
    midnight.  ``end <= start`` means the interval crosses midnight and ends
    at ``end`` on the next day (``end == start``: 24 hours); ``end == 1440``
    and ``end == 0`` both mean midnight at the end of the day.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        for label, value, high in (("start", self.start, 1439), ("end", self.end, 1440)):
            if type(value) is not int or not 0 <= value <= high:
                raise CalendarError(
                    f"working interval {label} must be a whole number of minutes in "
                    f"0..{high}, got {value!r}"
                )

    @classmethod
    def from_times(cls, start: time, end: time) -> WorkingInterval:
        """Build an interval from wall-clock times (minute resolution).

        ``end`` 00:00 (or ``time.max``) means midnight at the end of the day.
        """
        return cls(_minute_of(start, "start", is_end=False), _minute_of(end, "end", is_end=True))

    @property
    def crosses_midnight(self) -> bool:
        """True when the interval ends on the next day (``end <= start``)."""
        return self.end <= self.start

    @property
    def end_offset(self) -> int:
        """Minutes from the start of the interval's day to its end (up to 2879)."""
        return self.end if self.end > self.start else self.end + _MINUTES_PER_DAY

    @property
    def minutes(self) -> int:
        """Length of the interval in minutes (1..1440)."""
        return self.end_offset - self.start

    def __str__(self) -> str:
        def fmt(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        return f"{fmt(self.start)}-{fmt(self.end)}"


def _minute_of(value: object, label: str, *, is_end: bool) -> int:
    if not isinstance(value, time):
        raise CalendarError(
            f"working interval {label} must be a datetime.time, got {type(value).__name__}"
        )
    if value.tzinfo is not None:
        raise CalendarError(f"working interval {label} must be a naive local time, got {value}")
    if is_end and value == time.max:
        return _MINUTES_PER_DAY
    if value.second or value.microsecond:
        raise CalendarError(
            f"working interval {label} {value} is not a whole minute "
            "(intervals have minute resolution)"
        )
    return value.hour * 60 + value.minute


# ---------------------------------------------------------------------------
# Time-zone gaps (nonexistent wall times), cached per zone
# ---------------------------------------------------------------------------


class _GapSnapshot:
    """Immutable view of the clock changes found so far for one zone."""

    __slots__ = ("buckets", "days")

    def __init__(self, buckets: frozenset[int], days: dict[int, _Irregular]) -> None:
        self.buckets = buckets
        # wall day ordinal -> irregular wall ranges touching that day
        self.days = days


class _ZoneGaps:
    """Lazily discovered nonexistent and repeated wall-time ranges of one zone."""

    __slots__ = ("lock", "snap", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.lock = threading.Lock()
        self.snap = _GapSnapshot(frozenset(), {})

    def ensure(self, o: int) -> _GapSnapshot:
        """Snapshot that covers wall day ``o`` (computing its bucket if needed)."""
        bucket = o >> _BUCKET_SHIFT
        with self.lock:
            snap = self.snap
            if bucket in snap.buckets:
                return snap
            first = max(1, bucket << _BUCKET_SHIFT)
            last = min(_MAX_ORD, ((bucket + 1) << _BUCKET_SHIFT) - 1)
            days = dict(snap.days)
            for gap in _find_irregular(self.tz, first, last):
                for d in range(gap[0] // _DAY, (gap[1] - 1) // _DAY + 1):
                    known = days.get(d, ())
                    if gap not in known:
                        days[d] = (*known, gap)
            snap = _GapSnapshot(snap.buckets | {bucket}, days)
            self.snap = snap
            return snap


_ORIGIN = datetime(1, 1, 1, tzinfo=_UTC)  # ordinal 1, 00:00 UTC
_ZONE_GAPS: dict[str, _ZoneGaps] = {}
_ZONE_GAPS_LOCK = threading.Lock()


def _zone_gaps(tz: ZoneInfo) -> _ZoneGaps:
    with _ZONE_GAPS_LOCK:
        gaps = _ZONE_GAPS.get(tz.key)
        if gaps is None:
            gaps = _ZONE_GAPS[tz.key] = _ZoneGaps(tz)
        return gaps


def _find_irregular(tz: ZoneInfo, first: int, last: int) -> list[tuple[int, int, bool]]:
    """Clock changes of ``tz`` near wall days ``first..last``.

    Samples the UTC offset every 6 hours, then bisects each change to the
    second.  Returns ``(start, end, is_gap)``: ``[start, end)`` in absolute
    wall microseconds is nonexistent (``is_gap``) or repeated.
    """
    step = 6 * 3600
    # seconds since ordinal 0, 00:00 UTC (so wall seconds / 86400 = ordinal)
    lo = max(2, first - 2) * 86400
    hi = min(_MAX_ORD - 1, last + 2) * 86400

    def offset(s: int) -> int:
        off = (_ORIGIN + timedelta(seconds=s - 86400)).astimezone(tz).utcoffset()
        return 0 if off is None else int(off.total_seconds())

    gaps: list[tuple[int, int, bool]] = []
    prev_s, prev_off = lo, offset(lo)
    s = lo
    while s < hi:
        s = min(s + step, hi)
        off = offset(s)
        if off != prev_off:
            a, b = prev_s, s
            while b - a > 1:
                mid = (a + b) // 2
                if offset(mid) == prev_off:
                    a = mid
                else:
                    b = mid
            after = offset(b)
            if after > prev_off:  # clocks jump forward: a gap
                gaps.append(((b + prev_off) * 1_000_000, (b + after) * 1_000_000, True))
            else:  # clocks fall back: a repeated range
                gaps.append(((b + after) * 1_000_000, (b + prev_off) * 1_000_000, False))
        prev_s, prev_off = s, off
    return gaps


# ---------------------------------------------------------------------------
# Holiday data from the ``holidays`` package, cached per country and year
# ---------------------------------------------------------------------------

_YearData = tuple[frozenset[int], frozenset[int]]  # (holidays, make-up working days)
_HOLIDAY_YEARS: dict[tuple[str, str | None], dict[int, _YearData]] = {}
_HOLIDAY_LOCK = threading.Lock()


def _holiday_years(
    country: str, subdivision: str | None, first: int, last: int
) -> dict[int, _YearData]:
    """Holiday and make-up day ordinals of years ``first..last`` (shared cache).

    Each year is read from the package together with its neighbours, because
    a year's observed days and make-up days may be generated by the year
    before or after (e.g. a 1 January observed on 31 December)."""
    with _HOLIDAY_LOCK:
        cache = _HOLIDAY_YEARS.setdefault((country, subdivision), {})
        missing = [y for y in range(first, last + 1) if y not in cache]
        if missing:
            import holidays as holidays_pkg

            years = range(max(1, missing[0] - 1), min(_MAX_YEAR, missing[-1] + 1) + 1)
            data = holidays_pkg.country_holidays(country, subdiv=subdivision, years=years)
            found: dict[int, tuple[set[int], set[int]]] = {y: (set(), set()) for y in missing}
            for d in data:
                slot = found.get(d.year)
                if slot is not None:
                    slot[0].add(d.toordinal())
            for d in getattr(data, "weekend_workdays", ()):
                slot = found.get(d.year)
                if slot is not None:
                    slot[1].add(d.toordinal())
            for y, (h, m) in found.items():
                cache[y] = (frozenset(h), frozenset(m))
        return {y: cache[y] for y in range(first, last + 1)}


# ---------------------------------------------------------------------------
# Cumulative indexes over days
# ---------------------------------------------------------------------------


def _cum_at(
    pts: list[int],
    cum: list[int],
    wts: list[int],
    pre: tuple[tuple[int, ...], ...],
    per: int,
    o: int,
) -> int:
    """Cumulative weight of the days before day ``o`` (``lo <= o <= hi + 1``)."""
    i = bisect_right(pts, o) - 1
    p = pts[i]
    if p == o:
        return cum[i]
    base = p + 1
    q, m = divmod(o - base, 7)
    return cum[i] + wts[i] + q * per + pre[(base + 6) % 7][m]


def _locate(
    pts: list[int],
    cum: list[int],
    wts: list[int],
    pre: tuple[tuple[int, ...], ...],
    per: int,
    v: int,
    closing: bool,
) -> tuple[int, int, int] | None:
    """The day where cumulative weight ``v`` falls.

    ``closing``: the day ``o`` with ``C(o) < v <= C(o) + w(o)``; otherwise
    the day with ``C(o) <= v < C(o) + w(o)``.  Returns ``(day, v - C(day),
    index of the day in pts or -1 for a normal day)``, or ``None`` when the
    day lies outside the table.
    """
    if closing:
        i = bisect_left(cum, v) - 1
    else:
        i = bisect_right(cum, v) - 1
    if i < 0 or i >= len(pts) - 1:
        return None
    start = cum[i] + wts[i]
    if (v <= start) if closing else (v < start):
        return pts[i], v - cum[i], i
    r = v - start
    base = pts[i] + 1
    row = pre[(base + 6) % 7]
    if closing:
        q = (r - 1) // per
        r -= q * per
        j = bisect_left(row, r) - 1
    else:
        q = r // per
        r -= q * per
        j = bisect_right(row, r) - 1
    return base + 7 * q + j, r - row[j], -1


class _Table:
    """Immutable snapshot of the calendar's day data for days ``lo..hi``."""

    __slots__ = (
        "bcum",
        "bprof",
        "bpts",
        "bw",
        "days",
        "hi",
        "holidays",
        "kinds",
        "lo",
        "wcum",
        "wpts",
        "ww",
        "years",
    )

    def __init__(self) -> None:
        self.lo = 1
        self.hi = 0  # empty until built
        self.years = (0, -1)
        self.kinds: dict[int, int] = {}
        self.holidays: frozenset[int] = frozenset()
        self.bpts: list[int] = []
        self.bcum: list[int] = []
        self.bw: list[int] = []
        self.bprof: list[int] = []
        self.wpts: list[int] = []
        self.wcum: list[int] = []
        self.ww: list[int] = []
        # day ordinal -> _DayEntry, filled lazily (bounded by the table's range)
        self.days: dict[int, _DayEntry] = {}


class _Cache:
    """Mutable lazily-loaded state behind an immutable calendar."""

    __slots__ = ("lock", "table")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.table = _Table()


# ---------------------------------------------------------------------------
# The calendar
# ---------------------------------------------------------------------------

_WeeklyInput = Mapping[int, Sequence[tuple[time, time] | WorkingInterval]]


class BusinessCalendar:
    """A named business calendar: time zone, weekly working hours and holidays.

    Immutable and safe to share between threads (holiday data is loaded
    lazily under a lock).  See the module docstring for every convention.

    :param name: name of the calendar (non-empty).
    :param timezone: IANA time-zone key, e.g. ``"Asia/Shanghai"``.
    :param weekly: weekday (0 = Monday .. 6 = Sunday) -> working intervals
        as ``(start, end)`` local times (or :class:`WorkingInterval`); end
        00:00 means 24:00, ``end <= start`` crosses midnight.  Missing
        weekdays have no working time.
    :param country: ISO 3166 code whose public holidays (and make-up working
        days) close the calendar, or ``None`` for none.
    :param subdivision: state/province code within ``country``.
    :param extra_holidays: further closed days.
    :param extra_working_days: days that are working days whatever the
        holiday data says (they win over holidays).
    :param trusted_years: ``(first, last)`` years of trusted holiday data.
    :raises CalendarError: unknown zone, country or subdivision; malformed
        intervals; no working time at all.
    """

    __slots__ = (
        "_bper",
        "_bpre",
        "_cache",
        "_continuous",
        "_country_range",
        "_extra_hol",
        "_extra_work",
        "_gaps",
        "_has_weekly",
        "_key",
        "_psegs",
        "_ptot",
        "_trusted",
        "_wper",
        "_wpre",
        "country",
        "extra_holidays",
        "extra_working_days",
        "name",
        "subdivision",
        "timezone",
        "trusted_years",
        "tz",
        "weekly",
    )

    name: str
    """Name of the calendar."""
    timezone: str
    """IANA key of the calendar's time zone."""
    tz: ZoneInfo
    """The calendar's time zone."""
    weekly: Mapping[int, tuple[WorkingInterval, ...]]
    """Weekday (0 = Monday) -> its working intervals, sorted by start."""
    country: str | None
    """Country whose public holidays apply, or ``None``."""
    subdivision: str | None
    """Subdivision of :attr:`country`, or ``None``."""
    extra_holidays: frozenset[date]
    """Extra closed days."""
    extra_working_days: frozenset[date]
    """Extra working days (they win over holidays)."""
    trusted_years: tuple[int, int] | None
    """Years of trusted holiday data as given (see :meth:`is_trusted`)."""

    _bper: int
    _bpre: tuple[tuple[int, ...], ...]
    _cache: _Cache
    _continuous: bool
    _country_range: tuple[int, int] | None
    _extra_hol: frozenset[int]
    _extra_work: frozenset[int]
    _gaps: _ZoneGaps
    _has_weekly: tuple[bool, ...]
    _key: tuple[object, ...]
    _psegs: tuple[tuple[tuple[int, int], ...], ...]
    _ptot: tuple[int, ...]
    _trusted: tuple[int, int] | None
    _wper: int
    _wpre: tuple[tuple[int, ...], ...]

    def __init__(
        self,
        *,
        name: str,
        timezone: str,
        weekly: _WeeklyInput,
        country: str | None = None,
        subdivision: str | None = None,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        trusted_years: tuple[int, int] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise CalendarError(f"a business calendar needs a non-empty name, got {name!r}")
        tz = _load_zone(timezone)
        week = _normalize_weekly(name, weekly)
        extra_hol = _date_set(name, "extra_holidays", extra_holidays)
        extra_work = _date_set(name, "extra_working_days", extra_working_days)
        trusted = _check_trusted(name, trusted_years)
        country_range = _check_country(name, country, subdivision)

        setattr_ = object.__setattr__
        setattr_(self, "name", name)
        setattr_(self, "timezone", timezone)
        setattr_(self, "tz", tz)
        setattr_(self, "weekly", MappingProxyType(week))
        setattr_(self, "country", country)
        setattr_(self, "subdivision", subdivision)
        setattr_(self, "extra_holidays", extra_hol)
        setattr_(self, "extra_working_days", extra_work)
        setattr_(self, "trusted_years", trusted)
        setattr_(self, "_country_range", country_range)
        setattr_(self, "_extra_hol", frozenset(d.toordinal() for d in extra_hol))
        setattr_(self, "_extra_work", frozenset(d.toordinal() for d in extra_work))
        if trusted is None and country_range is not None:
            trusted = country_range
        setattr_(self, "_trusted", trusted)
        setattr_(
            self,
            "_key",
            (
                name,
                timezone,
                tuple(week[w] for w in range(7)),
                country,
                subdivision,
                extra_hol,
                extra_work,
                self.trusted_years,
            ),
        )

        # Per-weekday contributions in microseconds from the start of the day.
        contrib = [
            _merge([(iv.start * _MINUTE, iv.end_offset * _MINUTE) for iv in week[w]])
            for w in range(7)
        ]
        has_weekly = tuple(bool(c) for c in contrib)
        if not any(has_weekly):
            raise CalendarError(
                f"calendar {name!r} has no working time at all: give at least one "
                "working interval in 'weekly'"
            )
        standard = _standard_day(week, contrib)
        psegs: list[tuple[tuple[int, int], ...]] = []
        for kind_prev in (_CLOSED, _WEEKLY, _STANDARD):
            for kind_cur in (_CLOSED, _WEEKLY, _STANDARD):
                for w in range(7):
                    prev = _contrib_of(kind_prev, (w + 6) % 7, contrib, standard)
                    cur = _contrib_of(kind_cur, w, contrib, standard)
                    spill = [(max(s - _DAY, 0), e - _DAY) for s, e in prev if e > _DAY]
                    own = [(s, min(e, _DAY)) for s, e in cur if s < _DAY]
                    psegs.append(tuple(_merge(spill + own)))
        ptot = tuple(sum(e - s for s, e in segs) for segs in psegs)
        normal = [ptot[_NORMAL_PROFILE + w] for w in range(7)]
        setattr_(self, "_psegs", tuple(psegs))
        setattr_(self, "_ptot", ptot)
        setattr_(self, "_has_weekly", has_weekly)
        setattr_(self, "_bpre", _week_prefix(normal))
        setattr_(self, "_bper", sum(normal))
        working = [1 if h else 0 for h in has_weekly]
        setattr_(self, "_wpre", _week_prefix(working))
        setattr_(self, "_wper", sum(working))
        continuous = (
            country is None
            and not (self._extra_hol - self._extra_work)
            and all(psegs[_NORMAL_PROFILE + w] == ((0, _DAY),) for w in range(7))
        )
        setattr_(self, "_continuous", continuous)
        setattr_(self, "_gaps", _zone_gaps(tz))
        setattr_(self, "_cache", _Cache())

    # -- construction helpers ------------------------------------------------

    @classmethod
    def preset(
        cls,
        preset: PresetName,
        *,
        name: str,
        timezone: str,
        country: str | None = None,
        subdivision: str | None = None,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        trusted_years: tuple[int, int] | None = None,
    ) -> BusinessCalendar:
        """A calendar from a named weekly pattern.

        * ``"5x8"``: Monday-Friday 09:00-17:00 on working days.
        * ``"7x8"``: every day 09:00-17:00 ("7 days x 8 hours, holidays
          included"): holidays close it only when a country (or extra
          holidays) is given, so leave ``country`` out for a service that
          works through public holidays.
        * ``"7x24"``: always open; with a country its holidays close it
          (whole days), without one it is *continuous* (real elapsed time).

        Other keyword arguments are those of the constructor.
        """
        patterns: dict[str, tuple[time, time]] = {
            "7x24": (time(0), time(0)),
            "5x8": (time(9), time(17)),
            "7x8": (time(9), time(17)),
        }
        if preset not in patterns:
            raise CalendarError(
                f"unknown calendar preset {preset!r}; expected one of {sorted(patterns)}"
            )
        days = range(5) if preset == "5x8" else range(7)
        return cls(
            name=name,
            timezone=timezone,
            weekly={w: [patterns[preset]] for w in days},
            country=country,
            subdivision=subdivision,
            extra_holidays=extra_holidays,
            extra_working_days=extra_working_days,
            trusted_years=trusted_years,
        )

    # -- value semantics -----------------------------------------------------

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(f"BusinessCalendar is immutable (cannot set {key!r})")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"BusinessCalendar is immutable (cannot delete {key!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        extra = f", country={self.country!r}" if self.country else ""
        if self.subdivision:
            extra += f", subdivision={self.subdivision!r}"
        return f"BusinessCalendar(name={self.name!r}, timezone={self.timezone!r}{extra})"

    def __copy__(self) -> BusinessCalendar:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> BusinessCalendar:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._config(),))

    def _config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timezone": self.timezone,
            "weekly": {w: tuple(ivs) for w, ivs in self.weekly.items()},
            "country": self.country,
            "subdivision": self.subdivision,
            "extra_holidays": tuple(sorted(self.extra_holidays)),
            "extra_working_days": tuple(sorted(self.extra_working_days)),
            "trusted_years": self.trusted_years,
        }

    @property
    def continuous(self) -> bool:
        """True for a 7x24 calendar without holidays: business time is real time."""
        return self._continuous

    @property
    def weekly_business_time(self) -> timedelta:
        """Business time in an ordinary week without holidays (wall clock)."""
        return timedelta(microseconds=self._bper)

    # -- instants ------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """True when ``instant`` lies inside working time (intervals are half-open)."""
        if instant.tzinfo is None:
            raise _naive("is_open", instant)
        if self._continuous:
            return True
        _, _, x, _, entry = self._wall(instant)
        for s, e in entry[1]:
            if s <= x < e:
                return True
        return False

    def next_opening(self, instant: datetime) -> datetime:
        """The first open instant at or after ``instant`` (``instant`` itself if open)."""
        if instant.tzinfo is None:
            raise _naive("next_opening", instant)
        if self._continuous:
            return instant.astimezone(self.tz)
        local, o, x, tbl, entry = self._wall(instant)
        for s, e in entry[1]:
            if s <= x < e:
                return instant.astimezone(self.tz)
        o2, x2 = self._advance(tbl, o, x, 0, closing=False)
        return self._output(local, o, x, o2, x2)

    def _locate(self, tbl: _Table, i: int, v: int) -> tuple[int, int]:
        """(day number, minute of that day) of business position ``v`` of table ``tbl``,
        where ``tbl.bcum[i] <= v`` is its last indexed break: days between breaks are
        normal weeks, skipped arithmetically."""
        psegs = self._psegs
        start = tbl.bcum[i] + tbl.bw[i]
        if v <= start:
            day = tbl.bpts[i]
            rem = v - tbl.bcum[i]
            segs = psegs[tbl.bprof[i]]
        else:
            rem = v - start
            per = self._bper
            base = tbl.bpts[i] + 1
            row = self._bpre[(base + 6) % 7]
            q = (rem - 1) // per
            rem -= q * per
            j = bisect_left(row, rem) - 1
            day = base + 7 * q + j
            rem -= row[j]
            segs = psegs[_NORMAL_PROFILE + (day + 6) % 7]
        for s, e in segs:
            if rem <= e - s:
                return day, s + rem
            rem -= e - s
        raise AssertionError("business-time index out of step with day profiles")  # pragma: no cover

    def add(self, instant: datetime, duration: timedelta) -> datetime:
        """``instant`` plus ``duration`` of business time.

        A deadline ending exactly at closing time is the closing time; for a
        zero duration the result is ``instant`` when it is open or exactly a
        closing instant, else :meth:`next_opening`.

        :raises CalendarError: naive ``instant``, negative ``duration``.
        """
        if instant.tzinfo is None:
            raise _naive("add", instant)
        r = _DURATIONS.get(duration)
        if r is None:
            r = _duration_us(duration)
        if r <= 0:
            if r < 0:
                raise CalendarError(
                    f"calendar {self.name!r}: cannot add a negative duration ({duration})"
                )
            if self._continuous:
                return instant.astimezone(self.tz)
            return self._add_zero(instant)
        if self._continuous:
            try:
                return (instant.astimezone(_UTC) + duration).astimezone(self.tz)
            except OverflowError:
                raise _out_of_range(self.name) from None
        # The hot path, inlined: _wall, _advance and _output in one.
        local = instant.astimezone(self.tz)
        o = local.toordinal()
        tbl = self._cache.table
        entry = tbl.days.get(o)
        if entry is None or entry[2] is not None:
            local, o, _, tbl, entry = self._wall(local)
        v, segs, _ = entry
        x = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 + local.microsecond
        for s, e in segs:
            if s >= x:
                break
            v += (e if e < x else x) - s
        v += r
        cum = tbl.bcum
        i = bisect_left(cum, v) - 1
        if i >= len(cum) - 1:
            return self._output(local, o, x, *self._advance(tbl, o, x, r, closing=True))
        day, x2 = self._locate(tbl, i, v)
        out = tbl.days.get(day)
        if out is None:
            out = self._entry(tbl, day)
        if out[2] is not None or x2 == _DAY:
            return self._output(local, o, x, day, x2)
        return local + _ONE_US * ((day - o) * _DAY + x2 - x)

    def _add_zero(self, instant: datetime) -> datetime:
        """``add`` with a zero duration."""
        local, o, x, tbl, entry = self._wall(instant)
        for s, e in entry[1]:
            if s <= x <= e:  # open, or exactly a closing instant
                return instant.astimezone(self.tz)
        if x == 0 and o - 1 >= tbl.lo:
            for _, e in self._entry(tbl, o - 1)[1]:
                if e == _DAY:
                    return instant.astimezone(self.tz)
        o2, x2 = self._advance(tbl, o, x, 0, closing=False)
        return self._output(local, o, x, o2, x2)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; negative when ``end`` is before ``start``.

        Wall-clock calendars compare the two instants by local wall time.
        """
        if start.tzinfo is None:
            raise _naive("between", start)
        if end.tzinfo is None:
            raise _naive("between", end)
        if self._continuous:
            return end.astimezone(_UTC) - start.astimezone(_UTC)
        _, o1, x1, _, _ = self._wall(start)
        _, o2, x2, _, _ = self._wall(end)
        tbl = self._table_for(min(o1, o2), max(o1, o2))
        return _ONE_US * (self._position(tbl, o2, x2) - self._position(tbl, o1, x1))

    # -- days ----------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """True for a public holiday (package or ``extra_holidays``) that is not
        an extra working day."""
        o = _ordinal(day, "is_holiday")
        return o in self._table_for(o, o).holidays

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` has working intervals of its own and is not a holiday
        (weekly pattern, or a make-up / extra working day)."""
        o = _ordinal(day, "is_working_day")
        return self._working(self._table_for(o, o), o)

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly after ``day`` (CONV-08).

        ``n == 0`` rolls ``day`` forward to a working day (``day`` itself when
        it is one); ``n < 0`` gives the ``|n|``-th working day strictly before
        ``day``.
        """
        o = _ordinal(day, "add_working_days")
        if type(n) is not int:
            raise CalendarError(f"add_working_days needs an integer count, got {n!r}")
        tbl = self._table_for(o, o)
        while True:
            if n > 0:
                v = self._wcum(tbl, o + 1) + n
            else:
                v = self._wcum(tbl, o) + n
            found = _locate(tbl.wpts, tbl.wcum, tbl.ww, self._wpre, self._wper, v, n > 0)
            if found is not None:
                return _date_of(found[0], self.name)
            tbl = self._extend(tbl, forward=n >= 0, amount=abs(n) * 7 // max(self._wper, 1))

    def roll_forward(self, day: date, mode: RollMode) -> date:
        """Move a deadline that ends on a non-working day.

        ``"next_working_day"`` (DT-08, DT-10, DT-11): the first working day of
        *this calendar* on or after ``day`` -- its service hours decide, so a
        calendar open on Saturdays keeps a Saturday deadline.

        ``"day_after_holiday"`` (PRC Civil Code art. 203, DT-04/DT-07): works on
        the *statutory rest days* whatever the service hours: public holidays,
        and Saturdays and Sundays that are not make-up or extra working days.
        When ``day`` is such a rest day, the deadline becomes the day after the
        run of consecutive rest days containing it (China's holiday blocks
        include their adjacent weekends: Qingming 2024, off Thu 4 - Sat 6 April,
        rolls to Sunday 7 April, a make-up working day). Otherwise ``day``.

        The two coincide on a Monday-to-Friday calendar; they differ on a
        calendar whose service hours include weekends or that has company
        closures in ``extra_holidays``-free weekdays without hours.
        """
        o = _ordinal(day, "roll_forward")
        if mode == "next_working_day":
            return self.add_working_days(day, 0)
        if mode != "day_after_holiday":
            raise CalendarError(
                f"unknown roll-forward mode {mode!r}; expected 'next_working_day' "
                "or 'day_after_holiday'"
            )
        while self._statutory_rest(o):
            o += 1
        return _date_of(o, self.name)

    def _statutory_rest(self, o: int) -> bool:
        """A public holiday, or a weekend day that is not a make-up/extra working day."""
        tbl = self._table_for(o, o)
        if o in tbl.holidays:
            return True
        if (o + 6) % 7 < 5:  # Monday..Friday
            return False
        if o in self._extra_work:
            return False
        year = date.fromordinal(o).year
        _, makeup = self._load_years(year, year)
        return o not in makeup

    # -- trusted data ----------------------------------------------------------

    def is_trusted(self, day: date) -> bool:
        """True when ``day`` lies in the years whose holiday data is trusted.

        ``trusted_years`` when given; otherwise every year without a country,
        and the years the ``holidays`` package supports with one.
        """
        _ordinal(day, "is_trusted")
        trusted = self._trusted
        return trusted is None or trusted[0] <= day.year <= trusted[1]

    def untrusted_between(self, start: datetime, end: datetime) -> bool:
        """True if any local day in the span ``[start, end)`` (either order) is not
        trusted; callers then add a warning to their result.  The day of
        ``start`` is always checked."""
        if start.tzinfo is None:
            raise _naive("untrusted_between", start)
        if end.tzinfo is None:
            raise _naive("untrusted_between", end)
        a = start.astimezone(self.tz)
        b = end.astimezone(self.tz)
        if b.astimezone(_UTC) < a.astimezone(_UTC):
            a, b = b, a
        first = a.date()
        last = b.date()
        if last > first and b.time() == time(0):
            last = date.fromordinal(last.toordinal() - 1)
        trusted = self._trusted
        if trusted is None:
            return False
        return first.year < trusted[0] or last.year > trusted[1]

    # -- internals -----------------------------------------------------------

    def _wall(self, instant: datetime) -> tuple[datetime, int, int, _Table, _DayEntry]:
        """``instant`` as a wall position: a local datetime (``fold=0``) showing
        the wall time business time sees, its day ordinal and microsecond of
        day, a table covering the day and the day's entry.

        A nonexistent local time is normalized; an instant in the second pass
        of a repeated hour reads the end of the repeated hour."""
        tz = self.tz
        local = instant.astimezone(tz)
        o = local.toordinal()
        tbl = self._table_for(o, o)
        entry = self._entry(tbl, o)
        if entry[2] is not None:  # a day with a clock change
            local = local.astimezone(_UTC).astimezone(tz)
            x = self._micro(local)
            at = local.toordinal() * _DAY + x
            if local.fold:
                irregular = self._irregular(local.toordinal()) or ()
                for start, end, is_gap in irregular:
                    if not is_gap and start <= at < end:
                        local = local.replace(fold=0) + _ONE_US * (end - at)
                        break
            if local.toordinal() != o:
                o = local.toordinal()
                tbl = self._table_for(o, o)
                entry = self._entry(tbl, o)
        return local, o, self._micro(local), tbl, entry

    @staticmethod
    def _micro(local: datetime) -> int:
        return (
            local.hour * 3600 + local.minute * 60 + local.second
        ) * 1_000_000 + local.microsecond

    def _irregular(self, o: int) -> _Irregular | None:
        gsnap = self._gaps.snap
        if (o >> _BUCKET_SHIFT) not in gsnap.buckets:
            gsnap = self._gaps.ensure(o)
        return gsnap.days.get(o)

    def _entry(self, tbl: _Table, o: int) -> _DayEntry:
        """Cached ``(business time before day o, day profile, gaps of day o)``;
        ``tbl`` must cover ``o``."""
        entry = tbl.days.get(o)
        if entry is None:
            kinds = tbl.kinds
            segs = self._psegs[(kinds.get(o - 1, 1) * 3 + kinds.get(o, 1)) * 7 + (o + 6) % 7]
            entry = (
                _cum_at(tbl.bpts, tbl.bcum, tbl.bw, self._bpre, self._bper, o),
                segs,
                self._irregular(o),
            )
            tbl.days[o] = entry
        return entry

    def _output(self, local: datetime, o: int, x: int, o2: int, x2: int) -> datetime:
        """The aware datetime at wall position ``(o2, x2)``, built from ``local``
        at ``(o, x)``; a nonexistent wall time becomes the end of its gap."""
        if x2 == _DAY:
            o2 += 1
            x2 = 0
        if o2 > _MAX_ORD:
            raise _out_of_range(self.name)
        irregular = self._irregular(o2)
        if irregular is not None:
            at = o2 * _DAY + x2
            for start, end, is_gap in irregular:
                if is_gap and start <= at < end:
                    o2, x2 = divmod(end, _DAY)
                    break
        try:
            return local + _ONE_US * ((o2 - o) * _DAY + x2 - x)
        except OverflowError:
            raise _out_of_range(self.name) from None

    def _position(self, tbl: _Table, o: int, x: int) -> int:
        """Cumulative business microseconds from the table origin to ``(o, x)``."""
        v, segs, _ = self._entry(tbl, o)
        for s, e in segs:
            if s >= x:
                break
            v += (e if e < x else x) - s
        return v

    def _advance(self, tbl: _Table, o: int, x: int, r: int, *, closing: bool) -> tuple[int, int]:
        """Wall position ``r`` business microseconds after ``(o, x)``.

        ``closing``: the result lies in ``(start, end]`` of an interval (used
        with ``r > 0``); otherwise in ``[start, end)`` (next opening)."""
        while True:
            v = self._position(tbl, o, x) + r
            found = _locate(tbl.bpts, tbl.bcum, tbl.bw, self._bpre, self._bper, v, closing)
            if found is not None:
                break
            tbl = self._extend(tbl, forward=True, amount=r * 7 // self._bper)
        day, rem, idx = found
        segs = self._psegs[tbl.bprof[idx] if idx >= 0 else _NORMAL_PROFILE + (day + 6) % 7]
        for s, e in segs:
            length = e - s
            if rem < length or (closing and rem == length):
                return day, s + rem
            rem -= length
        raise AssertionError("business-time index out of step with day profiles")

    def _wcum(self, tbl: _Table, o: int) -> int:
        return _cum_at(tbl.wpts, tbl.wcum, tbl.ww, self._wpre, self._wper, o)

    def _working(self, tbl: _Table, o: int) -> bool:
        kind = tbl.kinds.get(o)
        if kind is None:
            return o not in tbl.holidays and self._has_weekly[(o + 6) % 7]
        return kind == _STANDARD

    def _table_for(self, first: int, last: int) -> _Table:
        """A table whose range covers days ``first..last``."""
        tbl = self._cache.table
        if tbl.lo <= first and last <= tbl.hi:
            return tbl
        return self._grow(first, last)

    def _extend(self, tbl: _Table, *, forward: bool, amount: int) -> _Table:
        """A table reaching about ``amount`` days (at least two years) beyond ``tbl``."""
        amount = max(amount, 730)
        if forward:
            if tbl.hi >= _MAX_ORD:
                raise _out_of_range(self.name)
            return self._grow(tbl.hi, min(_MAX_ORD, tbl.hi + amount))
        if tbl.lo <= 1:
            raise _out_of_range(self.name)
        return self._grow(max(1, tbl.lo - amount), tbl.lo)

    def _grow(self, first: int, last: int) -> _Table:
        if first < 1 or last > _MAX_ORD:
            raise _out_of_range(self.name)
        cache = self._cache
        with cache.lock:
            tbl = cache.table
            if tbl.lo <= first and last <= tbl.hi:
                return tbl
            # a year of margin on each side of what was asked for
            y_first = max(1, date.fromordinal(first).year - 1)
            y_last = min(_MAX_YEAR, date.fromordinal(last).year + 1)
            if tbl.hi >= tbl.lo:
                y_first = min(y_first, tbl.years[0])
                y_last = max(y_last, tbl.years[1])
            lo = date(y_first, 1, 1).toordinal()
            hi = date(y_last, 12, 31).toordinal()
            tbl = self._build_table(lo, hi, (y_first, y_last))
            cache.table = tbl
            return tbl

    def _load_years(self, first: int, last: int) -> tuple[set[int], set[int]]:
        """Package holidays and make-up working days of years ``first..last``."""
        hol: set[int] = set()
        makeup: set[int] = set()
        if self.country is None or self._country_range is None:
            return hol, makeup
        lo_year, hi_year = self._country_range
        for h, m in _holiday_years(
            self.country, self.subdivision, max(first, lo_year), min(last, hi_year)
        ).values():
            hol |= h
            makeup |= m
        return hol, makeup

    def _build_table(self, lo: int, hi: int, years: tuple[int, int]) -> _Table:
        """Build the day tables for days ``lo..hi`` (kinds known from ``lo - 1``)."""
        pkg_hol, makeup = self._load_years(max(1, years[0] - 1), years[1])
        extra_hol = self._extra_hol
        extra_work = self._extra_work
        has_weekly = self._has_weekly
        kinds: dict[int, int] = {}
        hols: set[int] = set()
        for d in pkg_hol | makeup | extra_hol | extra_work:
            if not lo - 1 <= d <= hi:
                continue
            w = (d + 6) % 7
            if (d in pkg_hol or d in extra_hol) and d not in extra_work:
                hols.add(d)
                if has_weekly[w]:
                    kinds[d] = _CLOSED
            elif (d in makeup or d in extra_work) and not has_weekly[w]:
                kinds[d] = _STANDARD
        ptot = self._ptot
        bpre, bper = self._bpre, self._bper
        wpre, wper = self._wpre, self._wper

        def run(pre: tuple[tuple[int, ...], ...], per: int, start: int, n: int) -> int:
            q, m = divmod(n, 7)
            return q * per + pre[(start + 6) % 7][m]

        tbl = _Table()
        tbl.lo, tbl.hi, tbl.years = lo, hi, years
        tbl.kinds = kinds
        tbl.holidays = frozenset(hols)
        exceptional = sorted(kinds)
        abnormal = sorted(
            {d for d in exceptional if lo <= d <= hi}
            | {d + 1 for d in exceptional if lo <= d + 1 <= hi}
        )
        bpts, bcum, bw, bprof = [lo - 1], [0], [0], [0]
        c, nxt = 0, lo
        for a in abnormal:
            c += run(bpre, bper, nxt, a - nxt)
            pi = (kinds.get(a - 1, 1) * 3 + kinds.get(a, 1)) * 7 + (a + 6) % 7
            bpts.append(a)
            bcum.append(c)
            bw.append(ptot[pi])
            bprof.append(pi)
            c += ptot[pi]
            nxt = a + 1
        c += run(bpre, bper, nxt, hi + 1 - nxt)
        bpts.append(hi + 1)
        bcum.append(c)
        bw.append(0)
        bprof.append(0)
        tbl.bpts, tbl.bcum, tbl.bw, tbl.bprof = bpts, bcum, bw, bprof

        wpts, wcum, ww = [lo - 1], [0], [0]
        c, nxt = 0, lo
        for a in exceptional:
            if not lo <= a <= hi:
                continue
            c += run(wpre, wper, nxt, a - nxt)
            weight = 1 if kinds[a] == _STANDARD else 0
            wpts.append(a)
            wcum.append(c)
            ww.append(weight)
            c += weight
            nxt = a + 1
        c += run(wpre, wper, nxt, hi + 1 - nxt)
        wpts.append(hi + 1)
        wcum.append(c)
        ww.append(0)
        tbl.wpts, tbl.wcum, tbl.ww = wpts, wcum, ww
        return tbl


# ---------------------------------------------------------------------------
# Rulers: business positions of many instants on one calendar
# ---------------------------------------------------------------------------


_DURATIONS: dict[timedelta, int] = {}
"""Durations seen by :meth:`BusinessCalendar.add`, in microseconds: a program adds few
distinct durations (its SLA targets), and ``td // timedelta(microseconds=1)`` costs as
much as the rest of an add's arithmetic."""


def _duration_us(duration: timedelta) -> int:
    r = duration // _ONE_US
    if len(_DURATIONS) >= 4096:
        _DURATIONS.clear()
    _DURATIONS[duration] = r
    return r


_RULER_LOCK = threading.Lock()
_OFFSET_MEMO = 65_536  # UTC days (180 years) of offsets per ruler
_UNKNOWN: Any = object()
_MICROS_ORIGIN = datetime(1, 1, 1, tzinfo=_UTC)  # utc_micros == _DAY


def _fixed_offset_types() -> frozenset[type]:
    """tzinfo classes whose ``utcoffset(None)`` is their one fixed offset."""
    found: set[type] = {timezone}
    try:
        from pydantic_core import TzInfo
    except ImportError:  # pragma: no cover - pydantic is a dependency
        pass
    else:
        found.add(TzInfo)
    return frozenset(found)


FIXED_OFFSET_TYPES: frozenset[type] = _fixed_offset_types()
"""Fixed-offset tzinfo classes (``datetime.timezone``, pydantic's ``TzInfo``): asking
one for its offset without a datetime is four times cheaper than ``dt.utcoffset()``."""

_OFFSET_US: dict[timedelta, int] = {}


def offset_micros(off: timedelta) -> int:
    """``off`` in microseconds (memoised: a program sees few distinct UTC offsets)."""
    found = _OFFSET_US.get(off)
    if found is None:
        if len(_OFFSET_US) >= 4096:
            _OFFSET_US.clear()
        found = _OFFSET_US[off] = off // _ONE_US
    return found


def utc_micros(instant: datetime) -> int:
    """Microseconds of the aware ``instant`` on the UTC wall clock, counted so that
    ``utc_micros(x) // 86_400_000_000`` is the UTC day's ordinal (``date.toordinal``)."""
    tz = instant.tzinfo
    off = tz.utcoffset(None) if type(tz) in FIXED_OFFSET_TYPES else instant.utcoffset()  # type: ignore[union-attr]
    if off is None:
        raise _naive("utc_micros", instant)
    return (
        (instant.toordinal() * 86_400 + instant.hour * 3600 + instant.minute * 60 + instant.second)
        * 1_000_000
        + instant.microsecond
        - offset_micros(off)
    )


def from_utc_micros(us: int) -> datetime:
    """The UTC datetime of :func:`utc_micros` ``us``."""
    try:
        return _MICROS_ORIGIN + _ONE_US * (us - _DAY)
    except OverflowError:
        raise CalendarError("instant outside the supported years 1-9999") from None


class Ruler:
    """Business-time positions on one calendar, for callers that convert many instants
    and add to them (the SLA engine): ``pos(b) - pos(a) == between(a, b)`` and, for
    ``d > 0``, ``at(pos(a) + d) == add(a, d)`` (microseconds).

    Positions count from a fixed anchor (midnight of the local day of the first
    instant converted) and stay valid when the calendar's day table grows: the
    ruler keeps ``(table, business time before the anchor in it)`` as one pair that
    it swaps atomically, so a ruler can be shared between threads.  Each
    conversion is the first half (``pos``) or the second half (``at``) of
    :meth:`BusinessCalendar.add`, with the same per-day entries.
    """

    __slots__ = ("_anchor", "_cal", "_offsets", "_ref", "_state", "_wall_offsets")

    def __init__(self, cal: BusinessCalendar) -> None:
        self._cal = cal
        self._anchor = 0
        self._ref: datetime | None = None
        self._state: tuple[_Table, int] | None = None
        # UTC day ordinal -> the zone's UTC offset (microseconds) through that whole day,
        # or None when it changes during the day
        self._offsets: dict[int, int | None] = {}
        # local day ordinal (without clock changes) -> its UTC offset in microseconds
        self._wall_offsets: dict[int, int] = {}

    @property
    def calendar(self) -> BusinessCalendar:
        return self._cal

    def _init(self, o: int) -> tuple[_Table, int]:
        cal = self._cal
        with _RULER_LOCK:  # one anchor, whichever thread comes first
            if self._state is None:
                tbl = cal._table_for(o, o)
                self._anchor = o
                self._ref = datetime.combine(date.fromordinal(o), time(0), tzinfo=cal.tz)
                self._state = (tbl, cal._entry(tbl, o)[0])
            return self._state

    def _retable(self, tbl: _Table) -> tuple[_Table, int]:
        """Measure on ``tbl`` (a newer table: it covers every older one's days)."""
        state = (tbl, self._cal._entry(tbl, self._anchor)[0])
        self._state = state
        return state

    def pos(self, instant: datetime) -> int:
        """Business microseconds from the anchor to ``instant`` (negative before it)."""
        state = self._state
        cal = self._cal
        local = instant.astimezone(cal.tz)
        o = local.toordinal()
        if state is None:
            state = self._init(o)
        tbl, shift = state
        entry = tbl.days.get(o)
        if entry is None or entry[2] is not None:
            if instant.tzinfo is None:
                raise _naive("pos", instant)
            local, o, _, tbl2, entry = cal._wall(local)
            if tbl2 is not tbl:
                tbl, shift = self._retable(tbl2)
        v = entry[0]
        x = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 + local.microsecond
        for s, e in entry[1]:
            if s >= x:
                break
            v += (e if e < x else x) - s
        return v - shift

    def pos_us(self, us: int) -> int:
        """:meth:`pos` of the instant ``us`` (:func:`utc_micros`), without a datetime: the
        zone's offset is looked up once per UTC day."""
        d = us // _DAY
        offsets = self._offsets
        off = offsets.get(d, _UNKNOWN)
        if off is _UNKNOWN:
            off = self._offset_of(d)
        state = self._state
        if off is None or state is None:
            return self.pos(from_utc_micros(us))
        tbl, shift = state
        w = us + off
        o = w // _DAY
        entry = tbl.days.get(o)
        if entry is None or entry[2] is not None:
            return self.pos(from_utc_micros(us))
        x = w - o * _DAY
        v = entry[0]
        for s, e in entry[1]:
            if s >= x:
                break
            v += (e if e < x else x) - s
        return v - shift

    def _offset_of(self, d: int) -> int | None:
        tz = self._cal.tz
        if not 1 <= d < _MAX_ORD:
            return None
        first = datetime.combine(date.fromordinal(d), time(0), tzinfo=_UTC).astimezone(tz)
        last = datetime.combine(date.fromordinal(d), time.max, tzinfo=_UTC).astimezone(tz)
        a, b = first.utcoffset(), last.utcoffset()
        off = a // _ONE_US if a is not None and a == b else None
        offsets = self._offsets
        if len(offsets) >= _OFFSET_MEMO:
            offsets.clear()
        offsets[d] = off
        return off

    def at(self, v: int) -> datetime:
        """The instant business position ``v`` is reached, as :meth:`BusinessCalendar.add`
        reports it (closing time rather than next opening; a wall time inside a clock
        change gap moves to its end); in the calendar's zone.  ``v`` must lie after a
        position obtained from :meth:`pos`."""
        return self.at_us(v)[0]

    def at_us(self, v: int) -> tuple[datetime, int]:
        """:meth:`at` and the same instant as :func:`utc_micros`."""
        state = self._state
        if state is None:
            raise CalendarError("Ruler.at needs a position from Ruler.pos first")
        cal = self._cal
        while True:
            tbl, shift = state
            w = v + shift
            cum = tbl.bcum
            i = bisect_left(cum, w) - 1
            if 0 <= i < len(cum) - 1:
                break
            gap = w - cum[-1] if i >= 0 else -w
            grown = cal._extend(tbl, forward=i >= 0, amount=gap * 7 // cal._bper + 7)
            state = self._retable(grown)
        day, x2 = cal._locate(tbl, i, w)
        ref = self._ref
        assert ref is not None
        out = tbl.days.get(day)
        if out is None:
            out = cal._entry(tbl, day)
        if out[2] is not None or x2 == _DAY:
            result = cal._output(ref, self._anchor, 0, day, x2)
            return result, utc_micros(result)
        try:
            result = ref + _ONE_US * ((day - self._anchor) * _DAY + x2)
        except OverflowError:
            raise _out_of_range(cal.name) from None
        # a day without clock changes has one UTC offset
        off = self._wall_offsets.get(day)
        if off is None:
            found = result.utcoffset()
            assert found is not None
            off = found // _ONE_US
            if len(self._wall_offsets) >= _OFFSET_MEMO:
                self._wall_offsets.clear()
            self._wall_offsets[day] = off
        return result, day * _DAY + x2 - off


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _rebuild(config: dict[str, Any]) -> BusinessCalendar:
    return BusinessCalendar(**config)


def _naive(method: str, value: object) -> CalendarError:
    return CalendarError(f"{method} needs an aware datetime (with tzinfo), got naive {value!r}")


def _out_of_range(name: str) -> CalendarError:
    return CalendarError(f"calendar {name!r}: result is outside the supported years 1-9999")


def _ordinal(day: object, method: str) -> int:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise CalendarError(f"{method} needs a datetime.date, got {type(day).__name__}")
    return day.toordinal()


def _date_of(o: int, name: str) -> date:
    if not 1 <= o <= _MAX_ORD:
        raise _out_of_range(name)
    return date.fromordinal(o)


def _load_zone(key: object) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise CalendarError(f"time zone must be a non-empty IANA key, got {key!r}")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CalendarError(f"unknown time zone {key!r} (expected an IANA key)") from exc


def _normalize_weekly(name: str, weekly: object) -> dict[int, tuple[WorkingInterval, ...]]:
    if not isinstance(weekly, Mapping):
        raise CalendarError(f"calendar {name!r}: weekly must map weekdays 0-6 to working intervals")
    week: dict[int, tuple[WorkingInterval, ...]] = {w: () for w in range(7)}
    for key, items in cast(Mapping[object, object], weekly).items():
        if type(key) is not int or not 0 <= key <= 6:
            raise CalendarError(
                f"calendar {name!r}: weekday keys must be 0 (Monday) .. 6 (Sunday), got {key!r}"
            )
        if isinstance(items, str | bytes) or not isinstance(items, Iterable):
            raise CalendarError(
                f"calendar {name!r}: weekday {key} needs a sequence of (start, end) pairs"
            )
        intervals: set[WorkingInterval] = set()
        for item in items:
            if isinstance(item, WorkingInterval):
                intervals.add(item)
                continue
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise CalendarError(
                    f"calendar {name!r}: weekday {key}: an interval must be a "
                    f"(start, end) pair of datetime.time, got {item!r}"
                )
            intervals.add(WorkingInterval.from_times(item[0], item[1]))
        week[key] = tuple(sorted(intervals, key=lambda iv: (iv.start, iv.end_offset)))
    return week


def _date_set(name: str, label: str, values: Iterable[date]) -> frozenset[date]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise CalendarError(f"calendar {name!r}: {label} must be an iterable of dates")
    out: set[date] = set()
    for value in values:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise CalendarError(
                f"calendar {name!r}: {label} must hold datetime.date values, got {value!r}"
            )
        out.add(value)
    return frozenset(out)


def _check_trusted(name: str, trusted: object) -> tuple[int, int] | None:
    if trusted is None:
        return None
    if (
        not isinstance(trusted, tuple | list)
        or len(trusted) != 2
        or not all(type(y) is int for y in trusted)
    ):
        raise CalendarError(
            f"calendar {name!r}: trusted_years must be a (first, last) pair of years, "
            f"got {trusted!r}"
        )
    first, last = cast(Sequence[int], trusted)
    if not 1 <= first <= last <= _MAX_YEAR:
        raise CalendarError(
            f"calendar {name!r}: trusted_years must satisfy 1 <= first <= last <= 9999, "
            f"got {trusted!r}"
        )
    return first, last


def _check_country(
    name: str, country: str | None, subdivision: str | None
) -> tuple[int, int] | None:
    """Validate the country/subdivision; return the years the package supports."""
    if country is None:
        if subdivision is not None:
            raise CalendarError(
                f"calendar {name!r}: subdivision {subdivision!r} given without a country"
            )
        return None
    if not isinstance(country, str) or not country:
        raise CalendarError(f"calendar {name!r}: country must be an ISO 3166 code, got {country!r}")
    if subdivision is not None and (not isinstance(subdivision, str) or not subdivision):
        raise CalendarError(
            f"calendar {name!r}: subdivision must be a non-empty code, got {subdivision!r}"
        )
    import holidays as holidays_pkg

    try:
        probe = holidays_pkg.country_holidays(country, subdiv=subdivision, years=())
    except NotImplementedError as exc:
        raise CalendarError(f"calendar {name!r}: {exc}") from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise CalendarError(
            f"calendar {name!r}: unknown country {country!r} / subdivision {subdivision!r}: {exc}"
        ) from exc
    first = int(getattr(probe, "start_year", 1))
    last = int(getattr(probe, "end_year", _MAX_YEAR))
    return max(1, first), min(_MAX_YEAR, last)


def _merge(segments: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping or touching ``[start, end)`` segments."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(segments):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _standard_day(
    week: dict[int, tuple[WorkingInterval, ...]], contrib: list[list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """Intervals of a make-up working day: the most common non-empty weekday
    pattern, ties going to the earliest weekday."""
    counts: dict[tuple[WorkingInterval, ...], int] = {}
    for w in range(7):
        if week[w]:
            counts[week[w]] = counts.get(week[w], 0) + 1
    best = max(counts.values())
    for w in range(7):
        if week[w] and counts[week[w]] == best:
            return contrib[w]
    raise AssertionError("no working weekday")  # pragma: no cover - validated before


def _contrib_of(
    kind: int, weekday: int, contrib: list[list[tuple[int, int]]], standard: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    if kind == _CLOSED:
        return []
    if kind == _STANDARD:
        return standard
    return contrib[weekday]


def _week_prefix(values: list[int]) -> tuple[tuple[int, ...], ...]:
    """For each starting weekday, cumulative sums over the next 0..7 days."""
    rows: list[tuple[int, ...]] = []
    for w in range(7):
        row = [0]
        for k in range(7):
            row.append(row[-1] + values[(w + k) % 7])
        rows.append(tuple(row))
    return tuple(rows)
