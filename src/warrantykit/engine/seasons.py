"""Season calendars: heating (采暖期) and cooling seasons as yearly date windows.

A warranty of "2 heating seasons" (CN-BLD-02 item 3, CN-BLD-07..10) is not a
number of months: it ends at the end of the second season of the local
calendar (CN-BLD-11 lists the windows, e.g. Beijing 15 Nov - 15 Mar, Qingdao
16 Nov - 5 Apr).  :class:`SeasonCalendar` holds one such window plus
per-season adjustments decided by the government (Beijing 2021/22 ended on
22 March instead of 15 March).

Conventions (documented here because no source fixes them):

* Seasons are whole calendar days; both the first and the last day belong to
  the season.  Windows given with a time of day (Weifang 14 Nov 12:00 -
  15 Mar 12:00) are configured by their dates.
* Every season is identified by the year in which it **starts**; the season
  starting in 2024 of a window that crosses New Year is labelled ``2024/25``,
  one that does not cross it ``2024``.
* A window whose end (month, day) is before its start (month, day) crosses
  New Year.  A window with equal start and end is a one-day season.
* 29 February as a window start or end means 28 February in common years.
* CONV-06: "N seasons from date S" counts N **complete** seasons that start on
  or after S (S being the first day counts as "on"); the warranty ends on the
  last day of the N-th.  With ``count_in_progress=True`` a season already
  running at S (S between its first and last day, both included) is the
  first one counted.

All errors are :class:`~warrantykit.errors.CalendarError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Final

from warrantykit.errors import CalendarError

__all__ = ["Season", "SeasonCalendar"]

_DAYS_IN_LEAP_YEAR_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MIN_YEAR: Final = 1
_MAX_YEAR: Final = 9999


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _check_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise CalendarError(
            f"{what} must be a calendar date (datetime.date), got {type(value).__name__}"
        )
    return value


def _on(year: int, month_day: tuple[int, int]) -> date:
    """``month_day`` in ``year``; 29 February becomes 28 February in common years."""
    month, day = month_day
    if month == 2 and day == 29 and not _is_leap(year):
        day = 28
    return date(year, month, day)


def _label(start: date, end: date) -> str:
    if start.year == end.year:
        return f"{start.year:04d}"
    return f"{start.year:04d}/{end.year % 100:02d}"


@dataclass(frozen=True, slots=True)
class Season:
    """One season: ``start`` and ``end`` are both part of it (inclusive).

    ``label`` defaults to ``"2024/25"`` for a season crossing New Year and
    ``"2024"`` otherwise.  ``end`` before ``start`` raises :class:`CalendarError`.
    """

    start: date
    end: date
    label: str = ""

    def __post_init__(self) -> None:
        _check_date(self.start, "season start")
        _check_date(self.end, "season end")
        if self.end < self.start:
            raise CalendarError(
                f"a season cannot end ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )
        if not self.label:
            object.__setattr__(self, "label", _label(self.start, self.end))

    def contains(self, day: date) -> bool:
        """Whether ``start <= day <= end``."""
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        """Number of days in the season, both ends included."""
        return (self.end - self.start).days + 1


def _month_day(value: object, what: str) -> tuple[int, int]:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        raise CalendarError(f"season {what} must be a (month, day) pair, got {value!r}")
    month, day = value
    if not 1 <= month <= 12:
        raise CalendarError(f"season {what} {value!r}: month {month} is not 1-12")
    if not 1 <= day <= _DAYS_IN_LEAP_YEAR_MONTH[month - 1]:
        raise CalendarError(f"season {what} {value!r}: month {month} has no day {day}")
    return month, day


class SeasonCalendar:
    """A yearly season window ``start .. end`` (inclusive) with per-season adjustments.

    ``start`` and ``end`` are ``(month, day)`` pairs; the window may cross New
    Year (heating in Beijing: ``start=(11, 15), end=(3, 15)``).

    ``adjustments`` maps the year in which a season **starts** to an override
    of that season's actual ``(start, end)`` dates; ``None`` keeps the window
    date (Beijing 2021/22 ended on 22 March: ``{2021: (None, date(2022, 3, 22))}``).
    An adjusted start must lie in the key year, and an adjusted season must
    not end before it starts nor touch its neighbours, so that seasons always
    stay disjoint and increasing.

    Raises :class:`CalendarError` for an invalid month or day, for a window
    longer than a year (only possible as ``(2, 29) .. (2, 28)``, which in a
    common starting year would begin on 28 February and overlap the next
    season), and for invalid adjustments.

    Calendars compare equal (and hash equal) when name, window and adjustments
    are equal.
    """

    __slots__ = ("_adjustments", "_crosses", "_end", "_name", "_start")

    def __init__(
        self,
        *,
        name: str,
        start: tuple[int, int],
        end: tuple[int, int],
        adjustments: Mapping[int, tuple[date | None, date | None]] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise CalendarError(f"a season calendar needs a non-empty name, got {name!r}")
        self._name = name
        self._start = _month_day(start, "start")
        self._end = _month_day(end, "end")
        self._crosses = self._end < self._start
        self._adjustments: Mapping[int, tuple[date | None, date | None]] = MappingProxyType({})
        # One full leap cycle (2000 is leap, 2001-2003 are not) shows every
        # clipping pattern of 29 February.
        for year in range(2000, 2004):
            this, following = self._base(year), self._base(year + 1)
            if following.start <= this.end:
                raise CalendarError(
                    f"season calendar {name!r}: window {self._start} .. {self._end} is longer "
                    f"than a year (season {this.label} {this.start.isoformat()} .. "
                    f"{this.end.isoformat()} overlaps the next one)"
                )
        self._adjustments = MappingProxyType(self._check_adjustments(adjustments or {}))

    # ------------------------------------------------------------ properties

    @property
    def name(self) -> str:
        """Name of the calendar (e.g. ``"Beijing heating"``)."""
        return self._name

    @property
    def start(self) -> tuple[int, int]:
        """Yearly first day as ``(month, day)``."""
        return self._start

    @property
    def end(self) -> tuple[int, int]:
        """Yearly last day as ``(month, day)``."""
        return self._end

    @property
    def crosses_new_year(self) -> bool:
        """Whether a season ends in the year after it starts."""
        return self._crosses

    @property
    def adjustments(self) -> Mapping[int, tuple[date | None, date | None]]:
        """Read-only view of the adjustments, keyed by starting year."""
        return self._adjustments

    def __repr__(self) -> str:
        adjustments = dict(sorted(self._adjustments.items()))
        return (
            f"SeasonCalendar(name={self._name!r}, start={self._start!r}, end={self._end!r}, "
            f"adjustments={adjustments!r})"
        )

    def _key(self) -> tuple[object, ...]:
        return (
            self._name,
            self._start,
            self._end,
            tuple(sorted(self._adjustments.items())),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SeasonCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    # -------------------------------------------------------------- internals

    def _year_ok(self, year: int) -> bool:
        return _MIN_YEAR <= year <= _MAX_YEAR - (1 if self._crosses else 0)

    def _require_year(self, year: int) -> None:
        if not isinstance(year, int):
            raise CalendarError(f"a season year must be an int, got {year!r}")
        if not self._year_ok(year):
            raise CalendarError(
                f"season calendar {self._name!r}: no season starting in {year} can be "
                "represented (years 1-9999)"
            )

    def _base(self, year: int) -> Season:
        end_year = year + 1 if self._crosses else year
        return Season(_on(year, self._start), _on(end_year, self._end))

    def _check_adjustments(
        self, adjustments: Mapping[int, tuple[date | None, date | None]]
    ) -> dict[int, tuple[date | None, date | None]]:
        checked: dict[int, tuple[date | None, date | None]] = {}
        where = f"season calendar {self._name!r}"
        for year, override in adjustments.items():
            if not isinstance(year, int) or isinstance(year, bool) or not self._year_ok(year):
                raise CalendarError(f"{where}: adjustment key {year!r} is not a valid year")
            if not isinstance(override, tuple) or len(override) != 2:
                raise CalendarError(
                    f"{where}: adjustment for {year} must be a (start, end) pair, got {override!r}"
                )
            new_start, new_end = override
            if new_start is not None:
                _check_date(new_start, f"adjusted start of the season starting in {year}")
                if new_start.year != year:
                    raise CalendarError(
                        f"{where}: adjustments are keyed by the year the season starts in, but "
                        f"the adjusted start {new_start.isoformat()} is not in {year}"
                    )
            if new_end is not None:
                _check_date(new_end, f"adjusted end of the season starting in {year}")
            checked[year] = (new_start, new_end)

        # Apply them all, then check each adjusted season and its neighbours
        # (which may be adjusted too): the whole sequence stays increasing.
        self._adjustments = MappingProxyType(checked)
        for year in sorted(checked):
            season_start, season_end = self._bounds(year)
            if season_end < season_start:
                raise CalendarError(
                    f"{where}: adjusted season starting in {year} would end "
                    f"({season_end.isoformat()}) before it starts ({season_start.isoformat()})"
                )
            for neighbour in (year - 1, year + 1):
                if not self._year_ok(neighbour):
                    continue
                first, second = sorted((year, neighbour))
                if self._bounds(second)[0] <= self._bounds(first)[1]:
                    raise CalendarError(
                        f"{where}: adjusted season starting in {year} overlaps the season "
                        f"starting in {neighbour}"
                    )
        return checked

    def _bounds(self, year: int) -> tuple[date, date]:
        """(start, end) of the season starting in ``year``, adjustments applied."""
        end_year = year + 1 if self._crosses else year
        override = self._adjustments.get(year)
        if override is None:
            return _on(year, self._start), _on(end_year, self._end)
        new_start, new_end = override
        return (
            new_start if new_start is not None else _on(year, self._start),
            new_end if new_end is not None else _on(end_year, self._end),
        )

    def _first_year(self, anchor: date, count_in_progress: bool) -> int:
        """Starting year of the first season counted from ``anchor`` (CONV-06)."""
        _check_date(anchor, "anchor")
        previous = anchor.year - 1
        if count_in_progress and self._year_ok(previous):
            start, end = self._bounds(previous)
            if start <= anchor <= end:
                return previous
        year = anchor.year
        if not self._year_ok(year):
            return year  # callers find it out of range
        start, end = self._bounds(year)
        if anchor <= start or (count_in_progress and anchor <= end):
            return year
        return year + 1

    # ------------------------------------------------------------- queries

    def season_of_year(self, year: int) -> Season:
        """The season that starts in ``year`` (adjustments applied).

        Raises :class:`CalendarError` when that season is not representable
        (start before year 1 or end after year 9999).
        """
        self._require_year(year)
        return Season(*self._bounds(year))

    def season_containing(self, day: date) -> Season | None:
        """The season ``day`` falls in (first and last day included), or ``None``.

        Only the seasons starting in ``day.year`` and ``day.year - 1`` can
        contain ``day``: adjusted starts stay in their key year and every
        season ends before the next one starts.
        """
        _check_date(day, "day")
        for year in (day.year, day.year - 1):
            if self._year_ok(year):
                start, end = self._bounds(year)
                if start <= day <= end:
                    return Season(start, end)
        return None

    def seasons_from(self, anchor: date, *, count_in_progress: bool = False) -> Iterator[Season]:
        """Seasons counted from ``anchor`` (CONV-06), in order, without end.

        By default the complete seasons starting on or after ``anchor`` (a
        season starting on ``anchor`` itself counts).  With
        ``count_in_progress=True`` a season already running on ``anchor``
        (``start < anchor <= end``) comes first.  The iterator stops at the
        last season representable before year 9999.
        """
        first = self._first_year(anchor, count_in_progress)  # validates now, not lazily
        return self._seasons_from_year(first)

    def _seasons_from_year(self, year: int) -> Iterator[Season]:
        while self._year_ok(year):
            yield Season(*self._bounds(year))
            year += 1

    def nth_season_end(self, anchor: date, n: int, *, count_in_progress: bool = False) -> date:
        """Last day of a warranty of ``n`` seasons from ``anchor`` (CONV-06).

        That is the ``end`` of the ``n``-th season of :meth:`seasons_from`.
        Computed directly (one season per starting year), not by iterating.
        ``n < 1`` raises :class:`CalendarError`.

        Beijing (15 Nov - 15 Mar), 3 seasons: from 2023-06-01 -> 2026-03-15;
        from 2023-12-01 -> 2027-03-15, or 2026-03-15 with
        ``count_in_progress=True``.
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise CalendarError(f"the number of seasons must be a whole number >= 1, got {n!r}")
        year = self._first_year(anchor, count_in_progress) + n - 1
        if not self._year_ok(year):
            raise CalendarError(
                f"season calendar {self._name!r}: {n} season(s) from {anchor.isoformat()} "
                "end after year 9999"
            )
        return self._bounds(year)[1]

    def seasons_between(self, start: date, end: date) -> list[Season]:
        """Seasons overlapping ``start .. end`` (both included), in order.

        A season counts if it shares at least one day with the span, so the
        first and last may be partial.  ``end`` before ``start`` raises
        :class:`CalendarError`.
        """
        _check_date(start, "start")
        _check_date(end, "end")
        if end < start:
            raise CalendarError(
                f"span end {end.isoformat()} is before its start {start.isoformat()}"
            )
        found: list[Season] = []
        for year in range(start.year - 1, end.year + 1):
            if not self._year_ok(year):
                continue
            season_start, season_end = self._bounds(year)
            if season_start <= end and season_end >= start:
                found.append(Season(season_start, season_end))
        return found
