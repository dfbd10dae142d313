"""Scheduled obligations: dated work that is owed without a ticket (DOMAIN M1-M9, P11, S15).

:func:`build_schedule` (reached as :meth:`Policy.schedule
<warrantykit.engine.compiled.Policy.schedule>`) turns the ``schedule:`` rules
of a policy and an asset's anchor dates into the dated
:class:`~warrantykit.engine.obligations.Obligation` records of a horizon and
judges each against a log of performed work.  ``docs/schedules.md`` documents
the same rules with YAML examples.

Recurrence forms (one function each; all yield :class:`Occurrence` records in
increasing due-date order, lazily, so open-ended rules are cut by the caller):

* :func:`every_occurrences` -- ``every: N days|weeks|months|years`` (M4, M7, M8):
  occurrence ``k = 1, 2, ...`` is due on ``anchor + k*N``.  Days and weeks
  come from :func:`dateutil.rrule.rrule`; months and years are anchored on
  the anchor (``add_months(anchor, k*N)``), never iterated, so a rule
  anchored on 31 January is due on 29 Feb, 31 Mar, 30 Apr, 31 May ...
* :func:`times_per_year_occurrences` -- ``times_per_year: N`` (M6, M8): every
  year counted from the anchor is split into ``N`` equal parts (by months
  when ``12 % N == 0``, else by days); one obligation per part, window =
  the part, due = its last day.  Year and part boundaries are period last
  days (:func:`~warrantykit.engine.periods.period_last_day`) with the
  policy's ``counting`` rules, so with ``start_day: excluded`` the first
  part of ``times_per_year: 2`` runs from the day after the anchor to
  ``anchor + 6 months``.
* :func:`season_edge_occurrences` -- ``season`` + ``at: start|end`` (M2, M3):
  one obligation per season, due on its first (``start``) or last (``end``)
  day, moved by ``offset`` after it, or before it with ``before: true``
  (pre-start check 7 days before the cooling season).
* :func:`season_every_occurrences` -- ``season`` + ``every`` (M1): in each
  season, dates ``season start (+ offset) + k*every`` for ``k = 0, 1, ...``
  that lie inside the season (both ends included).
* :func:`phased_occurrences` -- ``phases`` (M5): each phase repeats its
  ``every`` from the phase start (``k >= 1``) up to and including the phase
  end; the next phase starts at that end.  Offsets are kept as
  ``(months, days)`` from the anchor, so every date is
  ``add_months(anchor, months) + days`` -- anchored, never iterated.
* :func:`once_occurrence` -- ``once`` + ``within`` (M6 warranty card, M9
  records kept 5 years, P11 parts available 3 years after discontinuation):
  one obligation due on the last day of ``within`` counted from the anchor;
  its window is the whole period ``anchor .. due`` (for ``record_retention``
  and ``parts_availability`` that is the retention/availability period).

Rules common to every form:

* Only occurrences due on or after the anchor are generated (a season that
  started before the anchor contributes its later dates only).
* ``within`` on a recurring rule means "the first within" (M6): the first
  occurrence is due no later than the last day of ``within`` (its due date
  and window end are capped there).
* ``until`` (a duration from the anchor, counted like a period) and
  ``until_term`` (the last day of that term for this asset) bound every
  form: an occurrence whose due date (before any holiday move) is after the
  bound is not generated.  With both, the earlier bound wins.
* ``window_before`` / ``window_after`` widen the window
  (``earliest - window_before .. latest + window_after``); without them a
  point occurrence has the one-day window ``due .. due``.
* ``holidays: next_working_day`` moves a due date that is not a working day
  of ``calendar`` forward to the first working day after it;
  ``previous_working_day`` moves it back to the last working day before it.
  The whole window moves by the same number of days.  Two occurrences of
  one rule that land on the same day are merged into one obligation (window
  = the union).
* Obligation ids are ``<rule id>@<due date ISO>`` (after the holiday move).

Status at ``as_of`` (default: the horizon ``end``; no clock is read):
``done_on_time`` / ``done_late`` when a performed entry satisfied the
obligation (see :func:`match_performed`; entries dated after ``as_of`` are
not used), else ``missed`` (window closed before ``as_of``), ``due`` (window
open at ``as_of``) or ``upcoming`` (window opens after ``as_of``).

Horizon: an obligation is in the schedule when its due date lies in
``start .. end`` (both included).  Matching is computed over every
occurrence from the anchor, so the status of an obligation does not depend
on the horizon: ``schedule(a, c)`` equals ``schedule(a, b)`` followed by
``schedule(b + 1 day, c)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any, Literal

from dateutil.rrule import DAILY, WEEKLY, rrule

from warrantykit.engine.calendar import BusinessCalendar
from warrantykit.engine.compiled import Policy
from warrantykit.engine.conditions import Truth, Unknown, all_of, condition_for
from warrantykit.engine.obligations import (
    Obligation,
    ObligationStatus,
    Schedule,
    UnmatchedWork,
    Window,
)
from warrantykit.engine.periods import MonthEnd, StartDay, add_months, period_last_day
from warrantykit.engine.periods import Unit as PeriodUnit
from warrantykit.engine.reasons import Reason, reason
from warrantykit.engine.seasons import SeasonCalendar
from warrantykit.engine.terms import ClaimFacts, compile_anchor, compile_terms, season_calendars
from warrantykit.engine.terms import business_calendar as terms_business_calendar
from warrantykit.errors import CalendarError, EvaluationError, FactsError, Problem
from warrantykit.facts import Asset, AssetDates, Claim, PerformedWork, parse_facts
from warrantykit.policies.durations import Duration, Unit
from warrantykit.policies.models import Anchor, Phase, ScheduleRule, Selector

__all__ = [
    "Obligation",
    "ObligationStatus",
    "Occurrence",
    "Schedule",
    "UnmatchedWork",
    "Window",
    "build_schedule",
    "business_calendar",
    "every_occurrences",
    "match_performed",
    "once_occurrence",
    "phased_occurrences",
    "resolve_anchor",
    "season_calendar",
    "season_edge_occurrences",
    "season_every_occurrences",
    "times_per_year_occurrences",
]

_ONE_DAY = timedelta(days=1)
_PERIOD_UNITS: Mapping[Unit, PeriodUnit] = {
    Unit.DAYS: "days",
    Unit.WEEKS: "weeks",
    Unit.MONTHS: "months",
    Unit.YEARS: "years",
}

HolidayMode = Literal["none", "next_working_day", "previous_working_day"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One nominal occurrence of a recurrence: before ``within`` capping,
    widening and holiday moves.  ``note`` says how it was derived."""

    due: date
    earliest: date
    latest: date
    note: str
    season: str | None = None


# ---------------------------------------------------------------- arithmetic


def _shift(
    day: date,
    duration: Duration,
    times: int = 1,
    *,
    month_end: MonthEnd = "clip",
    calendar: BusinessCalendar | None = None,
) -> date:
    """``day`` moved by ``times`` × ``duration`` (anchored month arithmetic, DT-13)."""
    n = duration.amount * times
    unit = duration.unit
    if unit is Unit.DAYS:
        return day + timedelta(days=n)
    if unit is Unit.WEEKS:
        return day + timedelta(weeks=n)
    if unit is Unit.MONTHS:
        return add_months(day, n, month_end=month_end)
    if unit is Unit.YEARS:
        return add_months(day, 12 * n, month_end=month_end)
    if unit is Unit.WORKING_DAYS:
        if calendar is None:
            raise EvaluationError(f"'{duration}' needs a business calendar")
        return calendar.add_working_days(day, n)
    raise EvaluationError(
        f"'{duration}' is clock time; schedules count days, weeks, months or years"
    )


def _last_day(
    anchor: date,
    duration: Duration,
    *,
    start_day: StartDay,
    month_end: MonthEnd,
    calendar: BusinessCalendar | None = None,
) -> date:
    """Last day of a period of ``duration`` from ``anchor`` (CONV-01; working days: CONV-08)."""
    if duration.unit is Unit.WORKING_DAYS:
        return _shift(anchor, duration, calendar=calendar)
    unit = _PERIOD_UNITS.get(duration.unit)
    if unit is None:
        raise EvaluationError(
            f"'{duration}' is clock time; schedules count days, weeks, months or years"
        )
    return period_last_day(anchor, duration.amount, unit, start_day=start_day, month_end=month_end)


def _months_days(duration: Duration) -> tuple[int, int]:
    """A calendar duration as a ``(months, days)`` offset."""
    if duration.unit is Unit.DAYS:
        return 0, duration.amount
    if duration.unit is Unit.WEEKS:
        return 0, 7 * duration.amount
    if duration.unit is Unit.MONTHS:
        return duration.amount, 0
    if duration.unit is Unit.YEARS:
        return 12 * duration.amount, 0
    raise EvaluationError(f"'{duration}': phases count days, weeks, months or years")


def _at(anchor: date, months: int, days: int, month_end: MonthEnd) -> date:
    return add_months(anchor, months, month_end=month_end) + timedelta(days=days)


def _max_days(duration: Duration | None) -> int:
    """Upper bound of a duration in days (for the generation horizon)."""
    if duration is None:
        return 0
    per = {
        Unit.DAYS: 1,
        Unit.WEEKS: 7,
        Unit.MONTHS: 31,
        Unit.YEARS: 366,
        Unit.WORKING_DAYS: 3,
    }.get(duration.unit, 1)
    return duration.amount * per + 60


def _positive(duration: Duration, what: str) -> None:
    if duration.amount < 1:
        raise EvaluationError(f"{what} '{duration}' must be at least 1")


# ---------------------------------------------------------------- recurrences


def every_occurrences(
    anchor: date,
    every: Duration,
    *,
    month_end: MonthEnd = "clip",
    calendar: BusinessCalendar | None = None,
) -> Iterator[Occurrence]:
    """``every: N unit`` from the anchor (M4 quarterly / monthly, M7, M8).

    Occurrence ``k >= 1`` is due on ``anchor + k*N``: days and weeks through
    :func:`dateutil.rrule.rrule` (``DAILY``/``WEEKLY`` with ``interval=N``),
    months and years as ``add_months(anchor, k*N)`` (anchored, DT-13), working
    days as the ``k*N``-th working day of ``calendar`` after the anchor.
    Endless: the caller stops it.
    """
    _positive(every, "every")
    unit = every.unit
    if unit in (Unit.DAYS, Unit.WEEKS):
        dtstart = datetime.combine(anchor, time(0))
        rule = (
            rrule(DAILY, interval=every.amount, dtstart=dtstart)
            if unit is Unit.DAYS
            else rrule(WEEKLY, interval=every.amount, dtstart=dtstart)
        )
        for k, moment in enumerate(rule):
            if k == 0:
                continue  # the anchor itself
            day = moment.date()
            yield Occurrence(
                day, day, day, f"occurrence {k}: {k * every.amount} {unit.value} after the anchor"
            )
        return
    for k in count(1):
        day = _shift(anchor, every, k, month_end=month_end, calendar=calendar)
        yield Occurrence(
            day, day, day, f"occurrence {k}: {k * every.amount} {unit.value} after the anchor"
        )


def times_per_year_occurrences(
    anchor: date,
    times: int,
    *,
    start_day: StartDay = "excluded",
    month_end: MonthEnd = "clip",
) -> Iterator[Occurrence]:
    """``times_per_year: N`` (M6 "at least twice a year", M8 "training twice a year").

    Year ``y`` (``y = 1, 2, ...``) counted from the anchor ends on
    ``period_last_day(anchor, y years)`` and starts the day after year
    ``y - 1`` ended (year 1 starts the day after the anchor with
    ``start_day="excluded"``, on the anchor with ``"included"``).  When
    ``12 % N == 0`` part ``j`` of year ``y`` ends on
    ``period_last_day(anchor, 12*(y-1) + (j+1)*12/N months)``; otherwise the
    year's ``L`` days are split as ``floor(L*j/N) .. floor(L*(j+1)/N) - 1``
    (a part shorter than a day, possible only for N = 366 in a common year,
    is dropped).  One occurrence per part: window = the part, due = its last
    day.  Endless: the caller stops it.
    """
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= 366:
        raise EvaluationError(f"times_per_year must be 1..366, got {times!r}")
    first = anchor if start_day == "included" else anchor + _ONE_DAY
    for year in count(1):
        year_last = period_last_day(anchor, year, "years", start_day=start_day, month_end=month_end)
        if 12 % times == 0:
            step = 12 // times
            part_first = first
            for j in range(times):
                months = 12 * (year - 1) + step * (j + 1)
                last = period_last_day(
                    anchor, months, "months", start_day=start_day, month_end=month_end
                )
                yield Occurrence(
                    last,
                    part_first,
                    last,
                    f"part {j + 1} of {times} of year {year} from the anchor",
                )
                part_first = last + _ONE_DAY
        else:
            length = (year_last - first).days + 1
            for j in range(times):
                a = first + timedelta(days=length * j // times)
                b = first + timedelta(days=length * (j + 1) // times - 1)
                if b < a:
                    continue
                yield Occurrence(b, a, b, f"part {j + 1} of {times} of year {year} from the anchor")
        first = year_last + _ONE_DAY


def _seasons(calendar: SeasonCalendar, anchor: date) -> Iterator[tuple[date, date, str]]:
    """(start, end, label) of every season that can hold a date on or after ``anchor``."""
    for year in count(anchor.year - 1):
        try:
            season = calendar.season_of_year(year)
        except CalendarError:
            if year < anchor.year:
                continue
            return
        yield season.start, season.end, season.label


def season_edge_occurrences(
    anchor: date,
    seasons: SeasonCalendar,
    *,
    at: Literal["start", "end"],
    offset: Duration | None = None,
    before: bool = False,
    month_end: MonthEnd = "clip",
    calendar: BusinessCalendar | None = None,
) -> Iterator[Occurrence]:
    """One obligation per season at its start or end (M2, M3).

    M2 "at the first cooling start and the first heating start": ``at: start``
    on each season calendar.  M3 "pre-start and pre-shutdown checks":
    ``at: start`` / ``at: end`` with ``before: true`` and an ``offset``.  The
    due date is the season's first (``start``) or last (``end``) day, plus
    ``offset`` (or minus it with ``before``).  Seasons are taken in order;
    dates before the anchor are skipped.  Endless: the caller stops it.
    """
    for first, last, label in _seasons(seasons, anchor):
        edge = first if at == "start" else last
        due = edge
        if offset is not None:
            due = _shift(edge, offset, -1 if before else 1, month_end=month_end, calendar=calendar)
        if due < anchor:
            continue
        where = "before" if before else "after"
        shift = f"{offset} {where} " if offset is not None and offset.amount else ""
        note = f"{shift}the {at} of season {label} ({first.isoformat()}..{last.isoformat()})"
        yield Occurrence(due, due, due, note, season=label)


def season_every_occurrences(
    anchor: date,
    seasons: SeasonCalendar,
    every: Duration,
    *,
    offset: Duration | None = None,
    month_end: MonthEnd = "clip",
) -> Iterator[Occurrence]:
    """``every`` N units during each season (M1: every 2 months in the air-conditioning season).

    In each season the dates are ``first + k*every`` for ``k = 0, 1, ...``
    where ``first`` is the season start (plus ``offset``), computed from
    ``first`` itself (anchored, DT-13), and only those inside the season
    (both ends included) count.  Cooling season 15 May .. 15 Sep, every 2
    months: 15 May, 15 Jul, 15 Sep.  Dates before the anchor are skipped.
    Endless: the caller stops it.
    """
    _positive(every, "every")
    for first_day, last_day, label in _seasons(seasons, anchor):
        first = first_day if offset is None else _shift(first_day, offset, month_end=month_end)
        for k in count(0):
            day = _shift(first, every, k, month_end=month_end)
            if day > last_day:
                break
            if day < anchor:
                continue
            note = (
                f"visit {k + 1} of season {label} ({first_day.isoformat()}..{last_day.isoformat()}),"
                f" every {every}"
            )
            yield Occurrence(day, day, day, note, season=label)


def phased_occurrences(
    anchor: date, phases: Sequence[Phase], *, month_end: MonthEnd = "clip"
) -> Iterator[Occurrence]:
    """Phased recurrence (M5: every 2 weeks for the first 3 months, then monthly).

    Phase ``i`` starts where phase ``i - 1`` ended (phase 1 at the anchor)
    and has occurrences at ``phase start + k*every`` for ``k >= 1`` up to and
    including the phase end (``phase start + for``); an occurrence exactly on
    the boundary belongs to the earlier phase.  A phase without ``for`` runs
    on without end and must be the last.  Every date is
    ``add_months(anchor, months) + days`` with ``(months, days)`` the summed
    offsets, so month steps stay anchored on the anchor (DT-13).
    """
    base_m, base_d = 0, 0
    for index, phase in enumerate(phases):
        _positive(phase.every, f"phases[{index}].every")
        em, ed = _months_days(phase.every)
        end: date | None = None
        end_m, end_d = base_m, base_d
        if phase.for_ is not None:
            fm, fd = _months_days(phase.for_)
            end_m, end_d = base_m + fm, base_d + fd
            end = _at(anchor, end_m, end_d, month_end)
        elif index != len(phases) - 1:
            raise EvaluationError(f"phases[{index}] has no 'for' but is not the last phase")
        for k in count(1):
            day = _at(anchor, base_m + k * em, base_d + k * ed, month_end)
            if end is not None and day > end:
                break
            note = f"phase {index + 1} (every {phase.every}), occurrence {k}"
            yield Occurrence(day, day, day, note)
        if end is None:
            return
        base_m, base_d = end_m, end_d


def once_occurrence(
    anchor: date,
    within: Duration,
    *,
    start_day: StartDay = "excluded",
    month_end: MonthEnd = "clip",
    calendar: BusinessCalendar | None = None,
) -> Iterator[Occurrence]:
    """A single obligation ``within`` a duration of the anchor.

    M6 "warranty card issued within 1 month of completion", M9 "service
    records kept for 5 years" (``kind: record_retention``), P11 "spare parts
    available for 3 years after discontinuation" (``kind:
    parts_availability``).  Due on the last day of the period (CONV-01,
    ``period_last_day`` with the policy's counting; working days CONV-08);
    window = ``anchor .. due``, i.e. the whole retention or availability
    period for those kinds.
    """
    due = _last_day(anchor, within, start_day=start_day, month_end=month_end, calendar=calendar)
    yield Occurrence(due, min(anchor, due), due, f"once, within {within} of the anchor")


# ---------------------------------------------------------------- policy parts


def season_calendar(policy: Policy, name: str) -> SeasonCalendar:
    """The policy's season window ``name`` (shared per-policy memo of :mod:`.terms`)."""
    return season_calendars(policy)[name]


def business_calendar(policy: Policy, name: str) -> BusinessCalendar:
    """The policy's business calendar ``name`` (shared per-policy memo of :mod:`.terms`)."""
    return terms_business_calendar(policy, name)


def resolve_anchor(
    anchor: Anchor, dates: AssetDates, *, month_end: MonthEnd = "clip"
) -> tuple[date | None, tuple[str, ...], str]:
    """The anchor date for ``dates``: ``(date or None, missing paths, description)``.

    The same rules as term windows (:func:`warrantykit.engine.terms.compile_anchor`):
    ``later_of`` / ``earlier_of`` need every listed date, ``offset`` is added,
    ``fallback`` is tried when the own form is unknown.  Missing paths are
    ``asset.dates.<event>``.
    """
    day, missing, text = compile_anchor(anchor, month_end=month_end)(dates)
    return day, tuple(m.removeprefix("claim.") for m in missing), text


def _term_bound(policy: Policy, asset: Asset, term_id: str, as_of: date) -> tuple[date | None, str]:
    """Last day of term ``term_id`` for ``asset`` (``None``: it never ends) and a description.

    The only place the schedule reads term windows: it asks
    :mod:`warrantykit.engine.terms` for the term evaluated on a claim that
    carries the asset alone (no failure, no repairs), so the window is the
    same one a claim would see before any extension.  A term that never
    starts (after a lifetime term) gives ``date.min``: no obligation.
    """
    plan = compile_terms(policy)[1][term_id]
    result = plan.evaluate(ClaimFacts(Claim(asset=asset), as_of))
    if result.never_starts:
        return date.min, f"never runs: term '{term_id}' never starts"
    if not result.end_known:
        # a claim without a failure date: only the asset's facts can be missing here
        missing = [m.removeprefix("claim.") for m in result.missing if m != "claim.failure_date"]
        on_asset = [m for m in missing if m.startswith("asset.")]
        if on_asset:
            who = f"term '{term_id}' (until_term of the schedule)"
            raise FactsError([_missing_problem(m, who) for m in on_asset])
        raise EvaluationError(
            Problem(
                f"term '{term_id}' ends on a date that depends on claim facts "
                f"({', '.join(missing)}); it cannot bound a schedule",
                path=f"terms[{plan.index}].length",
                code="unsupported-bound",
            )
        )
    if result.end is None:
        if result.meters:
            raise EvaluationError(
                Problem(
                    f"term '{term_id}' ends at a meter reading, not a date; "
                    "it cannot bound a schedule",
                    path=f"terms[{plan.index}].length",
                    code="unsupported-bound",
                )
            )
        return None, ""
    return result.end, f"ends with term '{term_id}' on {result.end.isoformat()}"


def _missing_problem(path: str, who: str, verb: str = "counts") -> Problem:
    """A fact the asset lacks: ``asset.dates.<event>`` (an anchor) or another asset field."""
    if path.startswith("asset.dates."):
        what = f"{verb} from {path.removeprefix('asset.dates.')}"
        code = "missing-anchor"
    else:
        what = "needs " + path if verb == "counts" else "need " + path
        code = "missing-fact"
    return Problem(f"{who} {what}, which the asset does not give", path=path, code=code)


# ---------------------------------------------------------------- validation


def _rule_problems(policy: Policy, index: int, rule: ScheduleRule) -> list[Problem]:
    """What the engine cannot evaluate in a (schema-valid) schedule rule."""
    src = policy.source_of(rule.id)
    base = f"schedule[{index}]"
    found: list[Problem] = []

    def add(path: str, message: str, code: str = "unsupported") -> None:
        found.append(
            Problem(message, path=f"{base}.{path}", file=src.file, line=src.line, code=code)
        )

    def unit_ok(path: str, d: Duration | None, *, working: bool) -> None:
        if d is None:
            return
        if d.unit in (Unit.MINUTES, Unit.HOURS):
            add(path, f"'{d}': schedules count days, weeks, months or years", "bad-unit")
        elif d.unit is Unit.WORKING_DAYS and not working:
            add(path, f"'{d}': working days are not supported here", "bad-unit")
        elif d.unit is Unit.WORKING_DAYS and rule.calendar is None:
            add(path, f"'{d}' needs a business calendar ('calendar')", "bad-unit")

    unit_ok("every", rule.every, working=rule.season is None)
    if rule.every is not None and rule.every.amount < 1:
        add("every", f"every '{rule.every}' must be at least 1", "zero")
    for name in ("within", "until", "window_before", "window_after", "offset"):
        unit_ok(name, getattr(rule, name), working=True)
    if rule.offset is not None and rule.season is None:
        add("offset", "'offset' applies to season rules only")
    if rule.before and rule.season is None:
        add("before", "'before' applies to season rules only")
    if rule.before and rule.season is not None and rule.every is not None:
        add("before", "'before' applies to 'at: start|end', not to a season 'every'")
    for j, phase in enumerate(rule.phases or ()):
        unit_ok(f"phases[{j}].every", phase.every, working=False)
        unit_ok(f"phases[{j}].for", phase.for_, working=False)
        if phase.every.amount < 1:
            add(f"phases[{j}].every", f"every '{phase.every}' must be at least 1", "zero")
        if phase.for_ is None and j != len(rule.phases or ()) - 1:
            add(f"phases[{j}].for", "only the last phase may be open-ended (no 'for')")
    return found


# ---------------------------------------------------------------- assembly


@dataclass
class _Pending:
    """An obligation before its status is known."""

    rule: ScheduleRule
    due: date
    window: Window
    moved_from: date | None
    season: str | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.rule.id}@{self.due.isoformat()}"


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    rule: ScheduleRule
    anchor: date
    anchor_text: str
    bound: date | None
    bound_text: str | None


def _check_day(value: object, path: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise EvaluationError(
            Problem(
                f"must be a calendar date (datetime.date), got {type(value).__name__}",
                path=path,
                code="type",
            )
        )
    return value


def _parse_performed(
    policy: Policy, performed: Iterable[PerformedWork | Mapping[str, Any]]
) -> list[tuple[int, PerformedWork]]:
    rule_ids = [r.id for r in policy.document.schedule]
    problems: list[Problem] = []
    out: list[tuple[int, PerformedWork]] = []
    if isinstance(performed, str | bytes | Mapping):
        raise FactsError(
            Problem("performed must be a list of entries", path="performed", code="type")
        )
    for i, item in enumerate(performed):
        try:
            work = parse_facts(PerformedWork, item, name=f"performed[{i}]")
        except FactsError as exc:
            problems.extend(exc.problems)
            continue
        if work.obligation not in rule_ids:
            close = difflib.get_close_matches(work.obligation, rule_ids, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = ", ".join(rule_ids) if rule_ids else "none"
            problems.append(
                Problem(
                    f"unknown obligation '{work.obligation}'{hint}; the policy's schedule rules "
                    f"are: {known}",
                    path=f"performed[{i}].obligation",
                    code="unknown-obligation",
                )
            )
            continue
        out.append((i, work))
    if problems:
        raise FactsError(problems)
    return out


def _asset_selected(policy: Policy, selector: Selector, asset: Asset) -> Truth:
    """Does a schedule rule's ``covers`` select this asset?

    Schedules have no claimed component: ``components`` match when the asset
    has one of them, ``exclude_components`` never deselect a whole asset, and
    ``when`` reads ``asset.*`` facts. An unknown category or model is missing.
    """
    if selector.all_:
        return True
    results: list[Truth] = []
    if selector.categories is not None:
        results.append(
            Unknown(("asset.category",))
            if asset.category is None
            else asset.category in selector.categories
        )
    if selector.models is not None:
        results.append(
            Unknown(("asset.model",)) if asset.model is None else asset.model in selector.models
        )
    if selector.components is not None:
        results.append(bool(set(asset.components) & set(selector.components)))
    if selector.when is not None:
        results.append(condition_for(policy, selector.when, aliases={})({"asset": asset}))
    return all_of(results)


def _plans(policy: Policy, asset: Asset, as_of: date) -> list[_Plan]:
    doc = policy.document
    month_end = doc.counting.month_end
    start_day = doc.counting.start_day
    invalid: list[Problem] = []
    missing: dict[str, list[str]] = {}  # asset.dates.<event> -> ids of the rules that need it
    plans: list[_Plan] = []
    for i, rule in enumerate(doc.schedule):
        invalid.extend(_rule_problems(policy, i, rule))
        if rule.covers is not None:
            applies = _asset_selected(policy, rule.covers, asset)
            if isinstance(applies, Unknown):
                for path in applies.missing:
                    missing.setdefault(path, []).append(rule.id)
                continue
            if not applies:
                continue  # the rule is for other products (e.g. leather, not wooden furniture)
        anchor, absent, text = resolve_anchor(rule.anchor, asset.dates, month_end=month_end)
        if anchor is None:
            for path in absent:
                missing.setdefault(path, []).append(rule.id)
            continue
        plans.append(_Plan(i, rule, anchor, f"counted from {text}", None, None))
    if invalid:
        raise EvaluationError(invalid)
    if missing:
        problems: list[Problem] = []
        for path, ids in missing.items():
            names = ", ".join(f"'{r}'" for r in ids)
            who = f"schedule rules {names}" if len(ids) > 1 else f"schedule rule {names}"
            problems.append(_missing_problem(path, who, "count" if len(ids) > 1 else "counts"))
        raise FactsError(problems)
    out: list[_Plan] = []
    for plan in plans:
        rule = plan.rule
        cal = business_calendar(policy, rule.calendar) if rule.calendar else None
        bounds: list[tuple[date, str]] = []
        if rule.until is not None:
            last = _last_day(
                plan.anchor, rule.until, start_day=start_day, month_end=month_end, calendar=cal
            )
            bounds.append((last, f"ends {rule.until} after the anchor, on {last.isoformat()}"))
        if rule.until_term is not None:
            term_last, text = _term_bound(policy, asset, rule.until_term, as_of)
            if term_last is not None:
                bounds.append((term_last, text))
        bound = min(bounds) if bounds else None
        out.append(
            _Plan(
                plan.index,
                rule,
                plan.anchor,
                plan.anchor_text,
                bound[0] if bound else None,
                bound[1] if bound else None,
            )
        )
    return out


def _recurrence(policy: Policy, plan: _Plan) -> Iterator[Occurrence]:
    """The nominal occurrences of one rule, by form."""
    rule = plan.rule
    doc = policy.document
    month_end = doc.counting.month_end
    start_day = doc.counting.start_day
    cal = business_calendar(policy, rule.calendar) if rule.calendar else None
    if rule.once:
        assert rule.within is not None  # validated by the model
        return once_occurrence(
            plan.anchor, rule.within, start_day=start_day, month_end=month_end, calendar=cal
        )
    if rule.phases is not None:
        return phased_occurrences(plan.anchor, rule.phases, month_end=month_end)
    if rule.times_per_year is not None:
        return times_per_year_occurrences(
            plan.anchor, rule.times_per_year, start_day=start_day, month_end=month_end
        )
    if rule.season is not None:
        seasons = season_calendar(policy, rule.season)
        if rule.at is not None:
            return season_edge_occurrences(
                plan.anchor,
                seasons,
                at=rule.at,
                offset=rule.offset,
                before=rule.before,
                month_end=month_end,
                calendar=cal,
            )
        assert rule.every is not None  # validated by the model
        return season_every_occurrences(
            plan.anchor, seasons, rule.every, offset=rule.offset, month_end=month_end
        )
    assert rule.every is not None  # validated by the model
    return every_occurrences(plan.anchor, rule.every, month_end=month_end, calendar=cal)


def _describe(rule: ScheduleRule) -> str:
    if rule.once:
        return f"once, within {rule.within}"
    if rule.phases is not None:
        parts = [
            f"every {p.every}" + (f" for {p.for_}" if p.for_ is not None else "")
            for p in rule.phases
        ]
        return ", then ".join(parts)
    if rule.times_per_year is not None:
        return f"{rule.times_per_year} times a year"
    if rule.season is not None and rule.at is not None:
        return f"at the {rule.at} of each {rule.season} season"
    if rule.season is not None:
        return f"every {rule.every} during each {rule.season} season"
    return f"every {rule.every}"


def _roll(cal: BusinessCalendar, day: date, mode: HolidayMode) -> date:
    if mode == "next_working_day":
        return cal.roll_forward(day, "next_working_day")
    # the last working day on or before ``day``
    return cal.add_working_days(day + _ONE_DAY, -1)


def _pending(policy: Policy, plan: _Plan, limit: date) -> list[_Pending]:
    """Occurrences of one rule due (after holiday moves) up to ``limit``, within the
    rule's bound, widened and moved; merged when two land on the same day."""
    rule = plan.rule
    doc = policy.document
    month_end = doc.counting.month_end
    cal = business_calendar(policy, rule.calendar) if rule.calendar else None
    cap: date | None = None
    if rule.within is not None and not rule.once:
        cap = _last_day(
            plan.anchor,
            rule.within,
            start_day=doc.counting.start_day,
            month_end=month_end,
            calendar=cal,
        )
    describe = _describe(rule)
    by_id: dict[str, _Pending] = {}
    for n, occ in enumerate(_recurrence(policy, plan)):
        notes = [occ.note]
        if n == 0 and cap is not None and occ.due > cap:
            occ = Occurrence(cap, min(occ.earliest, cap), cap, occ.note, occ.season)
            notes.append(
                f"the first no later than {rule.within} after the anchor ({cap.isoformat()})"
            )
        if plan.bound is not None and occ.due > plan.bound:
            break
        # Nominal dates increase and holiday moves are monotone, so the moved due dates
        # never decrease: stop at the first one after ``limit`` (a date moved *back*
        # into the horizon by previous_working_day is still generated).
        moved_due = occ.due
        if rule.holidays != "none" and cal is not None:
            moved_due = _roll(cal, occ.due, rule.holidays)
        if not rule.once and moved_due > limit:
            break
        earliest, latest = occ.earliest, occ.latest
        if rule.window_before is not None:
            earliest = _shift(earliest, rule.window_before, -1, month_end=month_end, calendar=cal)
            notes.append(f"may be done up to {rule.window_before} early")
        if rule.window_after is not None:
            latest = _shift(latest, rule.window_after, 1, month_end=month_end, calendar=cal)
            notes.append(f"may be done up to {rule.window_after} late")
        reasons = [
            reason(
                policy,
                rule.id,
                rule.clause,
                f"{rule.kind} {describe}, {plan.anchor_text}: {'; '.join(notes)}; "
                f"due {occ.due.isoformat()}",
            )
        ]
        if plan.bound_text is not None:
            reasons.append(
                reason(policy, rule.id, rule.clause, f"the obligation {plan.bound_text}")
            )
        due = occ.due
        moved_from: date | None = None
        if rule.holidays != "none" and cal is not None:
            moved = moved_due
            if not cal.is_trusted(due):
                reasons.append(
                    reason(
                        policy,
                        rule.id,
                        rule.clause,
                        f"warning: holiday data of calendar '{cal.name}' is not trusted for "
                        f"{due.year}; the due date may move differently",
                    )
                )
            if moved != due:
                delta = moved - due
                earliest, latest = earliest + delta, latest + delta
                direction = "forward" if delta.days > 0 else "back"
                reasons.append(
                    reason(
                        policy,
                        rule.id,
                        rule.clause,
                        f"{due.isoformat()} is not a working day of calendar '{cal.name}': "
                        f"moved {direction} to {moved.isoformat()} ({rule.holidays}), "
                        "with its window",
                    )
                )
                moved_from, due = due, moved
        item = _Pending(rule, due, Window(earliest, latest), moved_from, occ.season, reasons)
        same = by_id.get(item.id)
        if same is None:
            by_id[item.id] = item
            continue
        same.window = Window(
            min(same.window.earliest, item.window.earliest),
            max(same.window.latest, item.window.latest),
        )
        same.reasons.append(
            reason(
                policy,
                rule.id,
                rule.clause,
                f"merged with another occurrence moved to the same day ({occ.note})",
            )
        )
    return sorted(by_id.values(), key=lambda p: p.due)


def match_performed(
    windows: Sequence[Window],
    entries: Sequence[tuple[int, PerformedWork]],
) -> tuple[dict[int, tuple[int, PerformedWork, bool]], list[tuple[int, PerformedWork]]]:
    """Assign performed entries of one rule to its occurrences.

    ``windows`` are the occurrence windows in due-date order; ``entries``
    are ``(input index, work)``.  Entries are taken in date order (ties by
    input index).  Each entry satisfies the earliest unsatisfied occurrence
    whose window contains its date (on time); failing that, the nearest
    earlier unsatisfied occurrence -- the one with the latest due date among
    those whose window closed before the entry's date (late); failing that
    it satisfies nothing (done before any open window, or nothing left to
    satisfy).

    Returns ``{occurrence position: (input index, work, on_time)}`` and the
    unmatched entries.
    """
    taken: dict[int, tuple[int, PerformedWork, bool]] = {}
    unmatched: list[tuple[int, PerformedWork]] = []
    for index, work in sorted(entries, key=lambda e: (e[1].on, e[0])):
        choice: int | None = None
        on_time = False
        for pos, window in enumerate(windows):
            if pos not in taken and window.contains(work.on):
                choice, on_time = pos, True
                break
        if choice is None:
            for pos in range(len(windows) - 1, -1, -1):
                if pos not in taken and windows[pos].latest < work.on:
                    choice = pos
                    break
        if choice is None:
            unmatched.append((index, work))
        else:
            taken[choice] = (index, work, on_time)
    return taken, unmatched


def _status_reason(
    ob_window: Window, as_of: date, match: tuple[int, PerformedWork, bool] | None
) -> tuple[ObligationStatus, str]:
    if match is not None:
        index, work, on_time = match
        if on_time:
            return (
                ObligationStatus.DONE_ON_TIME,
                f"done on {work.on.isoformat()} (performed[{index}]), inside the window {ob_window}",
            )
        late = (work.on - ob_window.latest).days
        return (
            ObligationStatus.DONE_LATE,
            f"done on {work.on.isoformat()} (performed[{index}]), {late} day(s) after the "
            f"window closed on {ob_window.latest.isoformat()}",
        )
    if ob_window.latest < as_of:
        return (
            ObligationStatus.MISSED,
            f"not done: the window closed on {ob_window.latest.isoformat()}, before "
            f"{as_of.isoformat()}",
        )
    if ob_window.earliest <= as_of:
        return (
            ObligationStatus.DUE,
            f"not done yet: the window {ob_window} is open on {as_of.isoformat()}",
        )
    return (
        ObligationStatus.UPCOMING,
        f"the window opens on {ob_window.earliest.isoformat()}, after {as_of.isoformat()}",
    )


def build_schedule(
    policy: Policy,
    asset: Asset | Mapping[str, Any] | str | bytes,
    *,
    start: date,
    end: date,
    performed: Iterable[PerformedWork | Mapping[str, Any]] = (),
    as_of: date | None = None,
) -> Schedule:
    """Dated obligations of ``policy`` for ``asset`` due in ``start .. end`` (both included).

    ``asset`` is an :class:`~warrantykit.facts.Asset` or its dict/JSON form.
    ``performed`` lists :class:`~warrantykit.facts.PerformedWork` entries (or
    dicts); statuses are judged at ``as_of``, which defaults to ``end``.

    Raises :class:`EvaluationError` for a horizon whose ``end`` is before its
    ``start`` (path ``end``), for a ``datetime`` instead of a date (path
    ``start``/``end``/``as_of``) and for rules the engine cannot evaluate
    (path ``schedule[i]....``); :class:`FactsError` for invalid facts, an
    anchor date the asset lacks (path ``asset.dates.<event>``) or a
    performed entry naming an unknown rule (path ``performed[i].obligation``).
    """
    _check_day(start, "start")
    _check_day(end, "end")
    if as_of is not None:
        _check_day(as_of, "as_of")
    if end < start:
        raise EvaluationError(
            Problem(
                f"the horizon ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                path="end",
                code="horizon",
            )
        )
    judged = as_of if as_of is not None else end
    facts = parse_facts(Asset, asset, name="asset")
    works = _parse_performed(policy, performed)
    usable = [(i, w) for i, w in works if w.on <= judged]
    ignored = [(i, w) for i, w in works if w.on > judged]

    obligations: list[Obligation] = []
    unmatched: list[UnmatchedWork] = [
        UnmatchedWork(i, w, f"dated after as_of {judged.isoformat()}; not used") for i, w in ignored
    ]
    for plan in _plans(policy, facts, judged):
        rule = plan.rule
        entries = [(i, w) for i, w in usable if w.obligation == rule.id]
        limit = end
        if entries:
            # Occurrences whose window opens by the last entry must exist for
            # matching, whatever the horizon (so statuses do not depend on it).
            latest_work = max(w.on for _, w in entries)
            reach = latest_work + timedelta(days=_max_days(rule.window_before) + 366 + 60)
            limit = max(limit, reach)
        pending = _pending(policy, plan, limit)
        matches, left = match_performed([p.window for p in pending], entries)
        for i, w in left:
            unmatched.append(
                UnmatchedWork(
                    i,
                    w,
                    f"satisfies no occurrence of '{rule.id}': done before any open window, or "
                    "every earlier occurrence is already satisfied",
                )
            )
        for pos, item in enumerate(pending):
            if not start <= item.due <= end:
                continue
            match = matches.get(pos)
            status, why = _status_reason(item.window, judged, match)
            reasons = (*item.reasons, reason(policy, rule.id, rule.clause, why))
            obligations.append(
                Obligation(
                    id=item.id,
                    rule=rule.id,
                    clause=rule.clause,
                    kind=rule.kind,
                    text=rule.text,
                    window=item.window,
                    due=item.due,
                    status=status,
                    performed=match[1] if match else None,
                    moved_from=item.moved_from,
                    season=item.season,
                    reasons=reasons,
                )
            )
    obligations.sort(key=lambda o: (o.due, o.rule))
    unmatched.sort(key=lambda u: u.index)
    return Schedule(
        policy_id=policy.id,
        policy_version=policy.version,
        content_hash=policy.content_hash,
        asset_id=facts.id,
        start=start,
        end=end,
        as_of=judged,
        obligations=tuple(obligations),
        unmatched=tuple(unmatched),
    )
