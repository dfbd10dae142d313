"""A deliberately naive business calendar used as a test oracle.

It steps through local wall-clock minutes one at a time and decides for each
minute whether it is open, straight from the calendar's definition:

* a day's own intervals are its weekday's intervals, or -- for a make-up or
  extra working day whose weekday has none -- the standard working day (the
  most common non-empty weekday pattern, earliest weekday on ties); a holiday
  (public or extra, unless an extra working day) has none;
* an interval belongs to the day it starts on and may run past midnight;
* a wall minute is open if any interval of that day or of the day before
  covers it.

Instants are mapped to wall minutes through UTC (so a nonexistent local
input means the instant its UTC offset gives); in the second pass
of a repeated hour the wall clock is read as the end of the repeated range.
Wall results that do not exist (spring-forward gap) become the first
existing wall minute after the gap.  Only minute-aligned inputs are supported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


class OracleCalendar:
    """Minute-stepping reference implementation (slow, obviously correct)."""

    def __init__(
        self,
        *,
        timezone: str,
        weekly: Mapping[int, Sequence[tuple[time, time]]],
        holidays: Iterable[date] = (),
        makeup_days: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self.holidays = set(holidays)
        self.makeup = set(makeup_days)
        self.extra_working = set(extra_working_days)
        self.weekly: dict[int, list[tuple[int, int]]] = {}
        for w in range(7):
            spans = []
            for start, end in weekly.get(w, ()):
                s = start.hour * 60 + start.minute
                e = 1440 if end == time.max else end.hour * 60 + end.minute
                if e <= s:
                    e += 1440
                spans.append((s, e))
            self.weekly[w] = sorted(set(spans))
        patterns = [tuple(self.weekly[w]) for w in range(7) if self.weekly[w]]
        best = max(patterns.count(p) for p in patterns)
        self.standard = next(list(p) for p in patterns if patterns.count(p) == best)
        self._minutes: dict[date, bytearray] = {}

    # -- days ------------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays and day not in self.extra_working

    def own_intervals(self, day: date) -> list[tuple[int, int]]:
        if self.is_holiday(day):
            return []
        if self.weekly[day.weekday()]:
            return self.weekly[day.weekday()]
        if day in self.makeup or day in self.extra_working:
            return self.standard
        return []

    def is_working_day(self, day: date) -> bool:
        return bool(self.own_intervals(day))

    def open_minutes(self, day: date) -> bytearray:
        """1 for every open wall minute of ``day``."""
        cached = self._minutes.get(day)
        if cached is None:
            cached = bytearray(1440)
            for s, e in self.own_intervals(day - timedelta(days=1)):
                for m in range(max(s, 1440), e):
                    cached[m - 1440] = 1
            for s, e in self.own_intervals(day):
                for m in range(s, min(e, 1440)):
                    cached[m] = 1
            self._minutes[day] = cached
        return cached

    def open_at(self, t: int) -> bool:
        """Is wall minute ``t`` (ordinal * 1440 + minute of day) open?"""
        return bool(self.open_minutes(date.fromordinal(t // 1440))[t % 1440])

    # -- instants --------------------------------------------------------------

    def _exists(self, wall: datetime) -> bool:
        aware = wall.replace(tzinfo=self.tz)
        return aware.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) == wall

    def _ambiguous(self, wall: datetime) -> bool:
        aware = wall.replace(tzinfo=self.tz)
        return aware.utcoffset() != aware.replace(fold=1).utcoffset()

    def wall(self, instant: datetime) -> int:
        """The wall minute business time reads at ``instant`` (minute-aligned)."""
        local = instant.astimezone(UTC).astimezone(self.tz)  # a real instant, even
        wall = local.replace(tzinfo=None, fold=0)  # for a nonexistent local input
        if local.fold == 1 and self._ambiguous(wall):
            while self._ambiguous(wall):
                wall += MINUTE
        assert wall.second == 0 and wall.microsecond == 0, "oracle needs whole minutes"
        return wall.toordinal() * 1440 + wall.hour * 60 + wall.minute

    def aware(self, t: int) -> datetime:
        """Wall minute ``t`` as an instant (first occurrence; gaps move forward)."""
        wall = datetime.combine(date.fromordinal(t // 1440), time(0)) + MINUTE * (t % 1440)
        while not self._exists(wall):
            wall += MINUTE
        return wall.replace(tzinfo=self.tz)

    def is_open(self, instant: datetime) -> bool:
        return self.open_at(self.wall(instant))

    def add(self, instant: datetime, minutes: int) -> datetime:
        t = self.wall(instant)
        if minutes == 0:
            if self.open_at(t) or self.open_at(t - 1):
                return instant.astimezone(self.tz)
            while not self.open_at(t):
                t += 1
            return self.aware(t)
        counted = 0
        while counted < minutes:
            counted += self.open_at(t)
            t += 1
        return self.aware(t)

    def next_opening(self, instant: datetime) -> datetime:
        t = self.wall(instant)
        if self.open_at(t):
            return instant.astimezone(self.tz)
        while not self.open_at(t):
            t += 1
        return self.aware(t)

    def between(self, start: datetime, end: datetime) -> int:
        """Open minutes in ``[start, end)`` (negative when reversed)."""
        a, b = self.wall(start), self.wall(end)
        if b < a:
            return -sum(self.open_at(t) for t in range(b, a))
        return sum(self.open_at(t) for t in range(a, b))

    # -- working days ----------------------------------------------------------

    def add_working_days(self, day: date, n: int) -> date:
        if n == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        step = timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day
