"""Term windows: when does a term start and end for one claim, and is the failure inside?

Each :class:`~warrantykit.policies.models.Term` is compiled once per policy into
a :class:`TermPlan` (anchor resolver, length evaluator, counting options,
selector, cost table); :meth:`TermPlan.evaluate` computes its window for one
claim. The rules, with their ids in ``DOMAIN.md`` / ``STATUTES.md``:

Anchor (P1, P4, CN-GEN-02, CN-BLD-03, CN-AUTO-02, CN-MP-01)
    ``event`` reads ``claim.asset.dates.<event>``; ``later_of``/``earlier_of``
    need every listed date (the later of a known and an unknown date is
    unknown); ``offset`` is added (days/weeks exactly, months/years with
    month-end clipping, DT-03); ``fallback`` is used when the primary anchor
    is unknown. A date that stays unknown makes the term *undetermined*,
    naming ``claim.asset.dates.<event>``.

Start and end (DT-02, DT-03, DT-06, CONV-01, DT-11)
    The window runs from the anchor day (a failure on the anchor day itself
    is inside) to the last day of the period, both included. The last day is
    :func:`~warrantykit.engine.periods.period_last_day` with the term's
    ``start_day`` (default ``excluded``: "36 months from 15 Jan 2024" ends on
    15 Jan 2027) and ``month_end`` (``clip`` or an ``EvaluationError``).

``starts_after`` (P9)
    The window begins on the day after the other term's final end (after its
    extension and roll-forward) and its length is counted from the start of
    that day (DT-11 §187(2): "1 year starting 16 Jan 2027" ends 15 Jan 2028).
    A term after a lifetime term never starts. Such a term has no anchor.

Lengths
    durations; ``seasons`` (CONV-06 via :class:`SeasonCalendar`: complete
    seasons starting on/after the anchor, or the running one with
    ``count_in_progress``); ``lifetime`` (no end); ``meter`` (inside while
    ``claim.meters.<meter>`` <= limit, DT-16); ``first_of`` (inside while all
    run; end = earliest date), ``last_of`` (inside while any runs; end =
    latest date, none if one of them is unbounded); ``fact`` (an integer read
    from the facts, in ``unit``).

Extension (P7, CN-GEN-02, CONV-03, CONV-04)
    With ``extend_by``, the days of every repair handed over inside the
    window (``repair_days``: ``returned - handed_over``, an open repair counts
    up to ``as_of``; ``waiting_for_parts_days``: the record's own count) are
    summed and added once to the end. A repair handed over during the
    extension extends it further (the sum is taken to its fixed point). For a
    term that covers named components only repairs of those components (or
    of the whole unit, ``component`` absent) count. Repairs handed over after
    ``as_of`` are ignored.

``restart_on_replacement`` (CN-GEN-12, CN-AUTO-19)
    ``claim.asset.dates.replacement``, when known and later than the anchor,
    becomes the anchor.

Roll-forward (P8, DT-04, DT-08, DT-12, CONV-07)
    The end of the *coverage window* rolls off a holiday only when the
    counting's ``roll_forward.coverage_window`` is true (P8 says so
    explicitly); by default it does not (DT-12). Both modes use the named
    business calendar; a rolled day outside the calendar's trusted years
    adds a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from warrantykit.engine.conditions import (
    Env,
    Truth,
    Unknown,
    all_of,
    any_of,
    compile_fact,
    condition_for,
    reported_path,
)
from warrantykit.engine.periods import add_months, days_out_of_service, period_last_day
from warrantykit.engine.seasons import SeasonCalendar
from warrantykit.errors import EvaluationError
from warrantykit.facts import AssetDates, Claim
from warrantykit.policies.durations import Duration, Unit
from warrantykit.policies.models import (
    Anchor,
    Counting,
    Length,
    RollForward,
    Selector,
    Term,
    parse_month_day,
)

if TYPE_CHECKING:
    from warrantykit.engine.calendar import BusinessCalendar
    from warrantykit.engine.compiled import Policy

__all__ = [
    "COVERAGE_KINDS",
    "MEMO_SIZE",
    "AnchorFn",
    "SERVICE_KINDS",
    "ClaimFacts",
    "MeterReading",
    "TermEval",
    "TermPlan",
    "business_calendar",
    "compile_anchor",
    "compile_terms",
    "roll_day",
    "season_calendars",
]

COVERAGE_KINDS: Final = frozenset({"warranty", "exchange"})
"""Term kinds under which a failure is *covered* (R1, P5)."""

SERVICE_KINDS: Final = frozenset({"maintenance", "paid_service"})
"""Term kinds that give (usually paid) service after the warranty (P9, P14)."""

_ONE_DAY: Final = timedelta(days=1)
MEMO_SIZE: Final = 4096
"""Entries of each bounded memo of the claim engine (period ends and holiday
roll-forwards per term, rule windows per anchor day, ...): memory stays flat."""
_MEMO_LIMIT: Final = MEMO_SIZE

_FAILURE_UNKNOWN: Final = Unknown(("claim.failure_date",))

AnchorFn = Callable[[AssetDates], tuple[date | None, tuple[str, ...], str]]


# ---------------------------------------------------------------- calendars


def season_calendars(policy: Policy) -> dict[str, SeasonCalendar]:
    """The policy's season windows as :class:`SeasonCalendar` objects (built once)."""

    def build(p: Policy) -> dict[str, SeasonCalendar]:
        out: dict[str, SeasonCalendar] = {}
        for name, spec in p.document.seasons.items():
            out[name] = SeasonCalendar(
                name=name,
                start=parse_month_day(spec.start),
                end=parse_month_day(spec.end),
                adjustments={a.season_starting: (a.start, a.end) for a in spec.adjustments},
            )
        return out

    result: dict[str, SeasonCalendar] = policy.compiled("engine.seasons", build)
    return result


def business_calendar(policy: Policy, name: str) -> BusinessCalendar:
    """The named business calendar of ``policy`` (``7x24`` is implicit), built once."""
    from warrantykit.engine.calendar import BusinessCalendar

    cache: dict[str, BusinessCalendar] = policy.compiled("engine.calendars", lambda _p: {})
    found = cache.get(name)
    if found is not None:
        return found
    doc = policy.document
    spec = doc.calendars.get(name)
    if spec is None:
        if name != "7x24":
            raise EvaluationError(f"unknown business calendar {name!r}")
        built = BusinessCalendar.preset("7x24", name="7x24", timezone=doc.timezone)
    else:
        built = BusinessCalendar(
            name=name,
            timezone=spec.timezone or doc.timezone,
            weekly=spec.weekly(),
            country=spec.holidays.country if spec.holidays else None,
            subdivision=spec.holidays.subdivision if spec.holidays else None,
            extra_holidays=spec.extra_holidays,
            extra_working_days=spec.extra_working_days,
            trusted_years=spec.trusted_years,
        )
    return cache.setdefault(name, built)


ROLL_MEMO_SIZE: Final = 16_384
"""Days remembered per roll-forward calendar and mode, and per duration (start days to
last days): 45 years of distinct dates each, about 3 MiB at most."""


def _roll_memo(policy: Policy, roll: RollForward) -> Callable[[date], tuple[date, str | None]]:
    """``day -> (rolled day, warning or None)`` for ``roll``, memoised once per policy,
    calendar and mode (a lazily filled table of the calendar's rest days)."""
    memos: dict[tuple[str, str | None], Callable[[date], tuple[date, str | None]]] = policy.compiled(
        "engine.roll-memos", lambda _p: {}
    )
    key = (roll.mode, roll.calendar)
    found = memos.get(key)
    if found is None:

        def rolled(day: date) -> tuple[date, str | None]:
            warnings: list[str] = []
            return roll_day(policy, roll, day, warnings), warnings[0] if warnings else None

        found = memos.setdefault(key, lru_cache(maxsize=ROLL_MEMO_SIZE)(rolled))
    return found


def _end_memo(
    policy: Policy, duration: tuple[int, str], start_day: str, month_end: str
) -> Callable[[date], date]:
    """``start -> last day`` of a duration, memoised once per policy and way of counting."""
    memos: dict[tuple[Any, ...], Callable[[date], date]] = policy.compiled(
        "engine.end-memos", lambda _p: {}
    )
    key = (duration, start_day, month_end)
    found = memos.get(key)
    if found is None:
        amount, unit = duration

        def last_day(start: date) -> date:
            return period_last_day(start, amount, unit, start_day=start_day, month_end=month_end)  # type: ignore[arg-type]

        found = memos.setdefault(key, lru_cache(maxsize=ROLL_MEMO_SIZE)(last_day))
    return found


def roll_day(
    policy: Policy, roll: RollForward, day: date, warnings: list[str] | None
) -> date:
    """``day`` rolled off a holiday per ``roll`` (DT-04 / DT-08); warns on untrusted data."""
    if roll.mode == "none" or roll.calendar is None:
        return day
    calendar = business_calendar(policy, roll.calendar)
    rolled = calendar.roll_forward(day, roll.mode)
    if warnings is not None:
        for probe in (day, rolled):
            if not calendar.is_trusted(probe):
                message = (
                    f"holiday data of calendar '{roll.calendar}' is not trusted for "
                    f"{probe.year} (roll-forward of {day.isoformat()})"
                )
                if message not in warnings:
                    warnings.append(message)
                break
    return rolled


# ---------------------------------------------------------------- per-claim facts


class ClaimFacts:
    """What every evaluation step of one claim reads (plain attributes, no pydantic calls)."""

    failure_unknown: Final = _FAILURE_UNKNOWN
    """The unknown answer of a failure-date test when the date is missing."""

    __slots__ = (
        "as_of",
        "asset",
        "claim",
        "dates",
        "env",
        "failure_date",
        "terms",
        "warnings",
        "windows",
    )

    def __init__(self, claim: Claim, as_of: date) -> None:
        self.claim = claim
        self.asset = claim.asset
        self.dates = claim.asset.dates
        self.env: Env = {"claim": claim, "asset": claim.asset}
        self.as_of = as_of
        self.failure_date = claim.failure_date
        self.terms: dict[str, TermEval] = {}
        self.warnings: list[str] = []
        self.windows: dict[int, Any] = {}
        """Windows computed for this claim, by :attr:`TermPlan.window_id` (terms that
        count the same way from the same anchor share one)."""


# ---------------------------------------------------------------- anchors


def _shift(duration: Duration, month_end: Literal["clip", "error"]) -> Callable[[date], date]:
    unit = duration.unit
    amount = duration.amount
    if unit in (Unit.DAYS, Unit.WEEKS):
        delta = timedelta(days=amount * (7 if unit is Unit.WEEKS else 1))
        return lambda d: d + delta
    if unit in (Unit.MONTHS, Unit.YEARS):
        months = amount * (12 if unit is Unit.YEARS else 1)
        return lambda d: add_months(d, months, month_end=month_end)
    raise EvaluationError(f"an anchor offset of {duration} cannot shift a date")


def compile_anchor(anchor: Anchor, *, month_end: Literal["clip", "error"] = "clip") -> AnchorFn:
    """A resolver ``asset.dates -> (date | None, missing paths, description)``."""
    if anchor.event is not None:
        events: tuple[str, ...] = (anchor.event.value,)
        pick: Callable[[list[date]], date] = min
        label = anchor.event.value
    elif anchor.later_of is not None:
        events = tuple(e.value for e in anchor.later_of)
        pick = max
        label = "later of " + " and ".join(events)
    else:
        events = tuple(e.value for e in anchor.earlier_of or ())
        pick = min
        label = "earlier of " + " and ".join(events)
    paths = tuple(f"claim.asset.dates.{e}" for e in events)
    shift = _shift(anchor.offset, month_end) if anchor.offset is not None else None
    offset_text = f" + {anchor.offset}" if anchor.offset is not None else ""
    fallback = compile_anchor(anchor.fallback, month_end=month_end) if anchor.fallback else None

    if len(events) == 1 and shift is None and fallback is None:
        (event,) = events
        unknown_text = f"{label} (unknown)"

        def resolve_one(dates: AssetDates) -> tuple[date | None, tuple[str, ...], str]:
            value: date | None = getattr(dates, event)
            if value is None:
                return None, paths, unknown_text
            return value, (), f"{label} {value.isoformat()}"

        return resolve_one

    def resolve(dates: AssetDates) -> tuple[date | None, tuple[str, ...], str]:
        values: list[date] = []
        missing: tuple[str, ...] = ()
        for event, path in zip(events, paths, strict=True):
            value = getattr(dates, event)
            if value is None:
                missing += (path,)
            else:
                values.append(value)
        if missing:
            if fallback is not None:
                day, more, text = fallback(dates)
                if day is not None:
                    return day, (), f"{text} (fallback: {', '.join(missing)} unknown)"
                return None, tuple(dict.fromkeys(missing + more)), f"{label} (unknown)"
            return None, missing, f"{label} (unknown)"
        day = pick(values)
        if len(events) == 1:
            text = f"{label} {day.isoformat()}"
        else:
            shown = ", ".join(f"{e} {v.isoformat()}" for e, v in zip(events, values, strict=True))
            text = f"{label} ({shown})"
        if shift is not None:
            day = shift(day)
            text += f"{offset_text} = {day.isoformat()}"
        return day, (), text

    return resolve


# ---------------------------------------------------------------- lengths


@dataclass(frozen=True, slots=True)
class MeterReading:
    """A usage-meter limit of a term and the claim's reading (DT-16)."""

    meter: str
    limit: Decimal
    reading: Decimal | None
    within: bool | None


# A length evaluated for one claim is a small tree of tuples:
#   ("d", last_day)                 a date bound
#   ("l",)                          lifetime: no end
#   ("m", MeterReading, Truth)      a meter bound
#   ("x", Unknown)                  a length that could not be read (fact missing)
#   ("f", children) / ("L", children)   first_of / last_of
Node = tuple[Any, ...]
LengthFn = Callable[[date, str, ClaimFacts], Node]


def _compile_length(
    length: Length,
    *,
    month_end: Literal["clip", "error"],
    seasons: dict[str, SeasonCalendar],
) -> LengthFn:
    if length.duration is not None:
        amount = length.duration.amount
        unit: Any = length.duration.unit.value
        memo: dict[tuple[date, str], Node] = {}

        def duration_end(start: date, start_day: str, facts: ClaimFacts) -> Node:
            key = (start, start_day)
            hit = memo.get(key)
            if hit is None:
                hit = (
                    "d",
                    period_last_day(start, amount, unit, start_day=start_day, month_end=month_end),  # type: ignore[arg-type]
                )
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[key] = hit
            return hit

        return duration_end

    if length.lifetime:
        lifetime: Node = ("l",)
        return lambda start, start_day, facts: lifetime

    if length.seasons is not None:
        calendar = seasons[length.season or ""]
        n = length.seasons
        in_progress = length.count_in_progress
        season_memo: dict[date, Node] = {}

        def season_end(start: date, start_day: str, facts: ClaimFacts) -> Node:
            hit = season_memo.get(start)
            if hit is None:
                hit = ("d", calendar.nth_season_end(start, n, count_in_progress=in_progress))
                if len(season_memo) >= _MEMO_LIMIT:
                    season_memo.clear()
                season_memo[start] = hit
            return hit

        return season_end

    if length.meter is not None:
        meter = length.meter
        limit = length.limit if length.limit is not None else Decimal(0)
        unknown = Unknown((f"claim.meters.{meter}",))
        no_reading = ("m", MeterReading(meter, limit, None, None), unknown)

        def meter_bound(start: date, start_day: str, facts: ClaimFacts) -> Node:
            reading = facts.claim.meters.get(meter)
            if reading is None:
                return no_reading
            ok = reading <= limit
            return ("m", MeterReading(meter, limit, reading, ok), ok)

        return meter_bound

    if length.first_of is not None or length.last_of is not None:
        tag = "f" if length.first_of is not None else "L"
        parts = tuple(
            _compile_length(x, month_end=month_end, seasons=seasons)
            for x in (length.first_of or length.last_of or ())
        )

        def combined(start: date, start_day: str, facts: ClaimFacts) -> Node:
            return (tag, tuple(part(start, start_day, facts) for part in parts))

        return combined

    # a length read from the facts (CN-BLD-02 "design service life")
    path = length.fact or ""
    shown = reported_path(path, {"asset": "claim.asset"})
    get = compile_fact(path)
    fact_unit: Any = (length.unit or Unit.YEARS).value
    if fact_unit not in ("days", "weeks", "months", "years"):
        raise EvaluationError(f"a length read from {path} must be in days, weeks, months or years")
    missing_fact: Node = ("x", Unknown((shown,)))

    def fact_length(start: date, start_day: str, facts: ClaimFacts) -> Node:
        value = get(facts.env)
        if value is None:
            return missing_fact
        amount = _whole_number(value, shown)
        return (
            "d",
            period_last_day(start, amount, fact_unit, start_day=start_day, month_end=month_end),  # type: ignore[arg-type]
        )

    return fact_length


def _whole_number(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise EvaluationError(f"{path}: expected a whole number of units, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise EvaluationError(f"{path}: expected a whole number of units, got {value!r}")
    if number < 0:
        raise EvaluationError(f"{path}: a length cannot be negative ({number})")
    return number


def _fold(
    node: Node, f: Callable[[date], date], fd: date | None, fd_unknown: Unknown
) -> tuple[date | None, bool, Truth]:
    """(end after ``f``, whether the end is known, failure inside by length)."""
    tag = node[0]
    if tag == "d":
        end = f(node[1])
        return end, True, (fd_unknown if fd is None else fd <= end)
    if tag == "l":
        return None, True, True
    if tag == "m":
        return None, True, node[2]
    if tag == "x":
        return None, False, node[1]
    children = [_fold(child, f, fd, fd_unknown) for child in node[1]]
    if tag == "f":
        inside = all_of([c[2] for c in children])
        if not all(c[1] for c in children):
            return None, False, inside
        ends = [c[0] for c in children if c[0] is not None]
        return (min(ends) if ends else None), True, inside
    inside = any_of([c[2] for c in children])
    if any(c[1] and c[0] is None for c in children):
        return None, True, inside
    if not all(c[1] for c in children):
        return None, False, inside
    return max(c[0] for c in children if c[0] is not None), True, inside


def _meters(node: Node, out: list[MeterReading]) -> None:
    tag = node[0]
    if tag == "m":
        out.append(node[1])
    elif tag in ("f", "L"):
        for child in node[1]:
            _meters(child, out)


def _identity(day: date) -> date:
    return day


# ---------------------------------------------------------------- selectors

SelectorFn = Callable[[ClaimFacts], Truth]


def _compile_selector(policy: Policy, selector: Selector) -> tuple[SelectorFn, str]:
    """``(facts -> applies?, description)``.

    A claim without ``component`` is about the whole unit: component lists do
    not match it (``exclude_components`` does not exclude it). An unknown
    ``asset.category``/``asset.model`` leaves the term undetermined.
    """
    if selector.all_ and selector.exclude_components is None:
        return (lambda facts: True), "everything"
    checks: list[SelectorFn] = []
    words: list[str] = []
    if selector.categories is not None:
        categories = frozenset(selector.categories)
        unknown_category = Unknown(("claim.asset.category",))

        def by_category(facts: ClaimFacts) -> Truth:
            value = facts.asset.category
            return unknown_category if value is None else value in categories

        checks.append(by_category)
        words.append("categories " + ", ".join(selector.categories))
    if selector.models is not None:
        models = frozenset(selector.models)
        unknown_model = Unknown(("claim.asset.model",))

        def by_model(facts: ClaimFacts) -> Truth:
            value = facts.asset.model
            return unknown_model if value is None else value in models

        checks.append(by_model)
        words.append("models " + ", ".join(selector.models))
    if selector.components is not None:
        components = frozenset(selector.components)

        def by_component(facts: ClaimFacts) -> Truth:
            return facts.claim.component in components

        checks.append(by_component)
        words.append("components " + ", ".join(selector.components))
    if selector.exclude_components is not None:
        excluded = frozenset(selector.exclude_components)

        def not_component(facts: ClaimFacts) -> Truth:
            return facts.claim.component not in excluded

        checks.append(not_component)
        words.append("except " + ", ".join(selector.exclude_components))
    if selector.when is not None:
        cond = condition_for(policy, selector.when)

        def by_condition(facts: ClaimFacts) -> Truth:
            return cond(facts.env)

        checks.append(by_condition)
        words.append("when " + selector.when.describe())
    if len(checks) == 1:
        return checks[0], "; ".join(words)
    all_checks = tuple(checks)

    def every(facts: ClaimFacts) -> Truth:
        return all_of([check(facts) for check in all_checks])

    return every, "; ".join(words)


# ---------------------------------------------------------------- plans and results


class TermEval(NamedTuple):
    """One term's window for one claim (internal, immutable; rendered as ``TermWindow``).

    A named tuple: built in one step per term and claim, read by attribute.
    ``anchor_src`` is the description of the start, or ``(label, day)`` to be
    written out only when :attr:`anchor` is read.
    """

    plan: TermPlan
    applies: Truth
    start: date | None
    original_end: date | None
    extension_days: int
    end: date | None
    end_known: bool
    rolled_from: date | None
    lifetime: bool
    never_starts: bool
    inside: Truth
    before_start: bool
    meters: tuple[MeterReading, ...]
    missing: tuple[str, ...]
    anchor_src: str | tuple[str, date]
    in_effect: bool

    @property
    def id(self) -> str:
        return self.plan.id

    @property
    def anchor(self) -> str:
        """How the start was found, e.g. ``acceptance 2024-01-15``."""
        src = self.anchor_src
        if isinstance(src, str):
            return src
        label, day = src
        return f"{label} {day.isoformat()}"

    @property
    def covers_failure(self) -> Truth:
        """Applies to the claim and the failure is inside its window."""
        if not self.in_effect:
            return False
        if self.applies is True:
            return self.inside
        return all_of((self.applies, self.inside))


_Rolled = tuple[date, str | None]



class TermPlan:
    """A term compiled for evaluation (built once per policy)."""

    __slots__ = (
        "anchor",
        "anchor_attr",
        "anchor_event",
        "anchor_label",
        "anchor_unknown",
        "anchor_unknown_text",
        "clause",
        "components",
        "costs",
        "coverage_kind",
        "describe",
        "direct",
        "duration",
        "effective_from",
        "effective_until",
        "extend_by",
        "fast",
        "id",
        "index",
        "kind",
        "length",
        "length_text",
        "month_end",
        "options",
        "policy",
        "reason_head",
        "restart",
        "roll",
        "selector",
        "selector_static",
        "selector_text",
        "source",
        "start_day",
        "starts_after",
        "term",
        "text",
        "warranty",
        "window_id",
        "_ends",
        "_rolls",
    )

    def __init__(self, policy: Policy, term: Term, index: int) -> None:
        doc = policy.document
        base: Counting = doc.counting
        over = term.counting
        self.policy = policy
        self.term = term
        self.index = index
        self.id = term.id
        self.kind = term.kind
        self.coverage_kind = term.kind in COVERAGE_KINDS
        self.warranty = term.warranty
        self.clause = term.clause
        self.text = term.text
        self.source = str(policy.source_of(term.id))
        self.start_day: str = over.start_day or base.start_day
        self.month_end: Literal["clip", "error"] = over.month_end or base.month_end
        self.extend_by: tuple[str, ...] = (
            over.extend_by if over.extend_by is not None else base.extend_by
        )
        self.restart: bool = (
            over.restart_on_replacement
            if over.restart_on_replacement is not None
            else base.restart_on_replacement
        )
        roll = over.roll_forward if over.roll_forward is not None else base.roll_forward
        self.roll: RollForward | None = (
            roll if roll.mode != "none" and roll.coverage_window else None
        )
        # a term that starts_after another has no anchor (the other term's end is its start)
        anchor = term.anchor
        self.anchor: AnchorFn | None = (
            compile_anchor(anchor, month_end=self.month_end) if anchor is not None else None
        )
        self.anchor_event = anchor
        # a plain event anchor ("acceptance") is read directly and described lazily
        self.anchor_attr: str | None = (
            anchor.event.value
            if anchor is not None
            and anchor.event is not None
            and anchor.offset is None
            and anchor.fallback is None
            else None
        )
        self.anchor_label = self.anchor_attr or ""
        self.anchor_unknown = Unknown((f"claim.asset.dates.{self.anchor_attr}",))
        self.anchor_unknown_text = f"{self.anchor_label} (unknown)"
        self.starts_after = term.starts_after
        self.length = _compile_length(
            term.length, month_end=self.month_end, seasons=season_calendars(policy)
        )
        # a plain duration ("5 years") is computed here, memoised per start day
        self.duration: tuple[int, str] | None = (
            (term.length.duration.amount, term.length.duration.unit.value)
            if term.length.duration is not None
            and term.length.duration.unit.value in ("days", "weeks", "months", "years")
            else None
        )
        # 1: a plain event anchor and a duration; 2: ... and lifetime; 0: anything else
        plain = self.anchor_attr is not None and self.starts_after is None
        self.fast = (
            1 if plain and self.duration is not None
            else 2 if plain and term.length.lifetime and term.length.duration is None
            else 0
        )  # fmt: skip
        # bounded LRU memos of the date arithmetic of this term (pure functions of the day);
        # roll-forwards are shared by the terms that roll on the same calendar and mode
        self._ends: Callable[[date], date] = (
            _end_memo(policy, self.duration, self.start_day, self.month_end)
            if self.duration is not None
            else self._compute_end
        )
        self._rolls: Callable[[date], _Rolled] = (
            _roll_memo(policy, self.roll) if self.roll is not None else self._compute_roll
        )
        self.window_id = -1
        # the evaluation without the per-claim memo of `evaluate` (same result)
        self.direct: Callable[[ClaimFacts, Truth], TermEval] = (
            self._evaluate_duration if self.fast == 1
            else self._evaluate_lifetime if self.fast == 2
            else self.evaluate
        )  # fmt: skip
        self.length_text = term.length.describe()
        self.reason_head = f"{self.kind} term {self.id} ({self.length_text})"
        self.selector, self.selector_text = _compile_selector(policy, term.covers)
        self.selector_static = term.covers.when is None
        self.components: frozenset[str] | None = (
            frozenset(term.covers.components) if term.covers.components is not None else None
        )
        self.costs = term.costs
        self.options = term.options
        self.describe = f"{self.id} [{self.clause}]"
        self.effective_from = doc.effective.from_
        self.effective_until = doc.effective.until

    def window_key(self) -> tuple[Any, ...]:
        """Everything the window of a fast-path term depends on besides the claim:
        terms with equal keys have equal windows for every claim."""
        if not self.fast:
            return ("term", self.id)
        roll = self.roll
        return (
            self.fast,
            self.anchor_attr,
            self.duration,
            self.start_day,
            self.month_end,
            self.extend_by,
            self.restart,
            None if roll is None else (roll.mode, roll.calendar),
            self.components,
            self.effective_from,
            self.effective_until,
        )

    # -------------------------------------------------------------- evaluation

    def evaluate(self, facts: ClaimFacts, applies: Truth | None = None) -> TermEval:
        """This term's window for the claim (memoised in ``facts.terms``).

        ``applies`` is the selector's answer when the caller already has it.
        """
        hit = facts.terms.get(self.id)
        if hit is not None:
            return hit
        if applies is None:
            applies = self.selector(facts)
        fast = self.fast
        if fast == 1:
            result = self._evaluate_duration(facts, applies)
        elif fast == 2:
            result = self._evaluate_lifetime(facts, applies)
        else:
            result = self._evaluate(facts, applies)
        facts.terms[self.id] = result
        return result

    def _unknown(
        self, applies: Truth, missing: tuple[str, ...], anchor: str = ""
    ) -> TermEval:
        return TermEval(
            self, applies, None, None, 0, None, False, None, False, False,
            Unknown(missing), False, (), missing, anchor, True,
        )  # fmt: skip

    def _in_effect(self, start: date) -> bool:
        return not (
            (self.effective_from is not None and start < self.effective_from)
            or (self.effective_until is not None and start > self.effective_until)
        )

    def _compute_end(self, start: date) -> date:
        """Last day of the duration from ``start`` (memoised by :attr:`_ends`)."""
        assert self.duration is not None
        amount, unit = self.duration
        return period_last_day(
            start, amount, unit, start_day=self.start_day, month_end=self.month_end  # type: ignore[arg-type]
        )

    def _compute_roll(self, day: date) -> _Rolled:
        """``day`` rolled off a holiday and the warning it needs."""
        assert self.roll is not None
        warnings: list[str] = []
        return roll_day(self.policy, self.roll, day, warnings), warnings[0] if warnings else None

    def _start_unknown(self, applies: Truth, anchor: str | tuple[str, date]) -> TermEval:
        """The evaluation of a fast-path term whose anchor date is missing."""
        unknown = self.anchor_unknown
        return tuple.__new__(TermEval, (
            self, applies, None, None, 0, None, False, None, False, False,
            unknown, False, (), unknown.missing, anchor, True,
        ))  # fmt: skip

    def _evaluate_duration(self, facts: ClaimFacts, applies: Truth) -> TermEval:
        """The common case: a plain event anchor and a duration (extension and roll allowed)."""
        window = facts.windows.get(self.window_id)
        if window is None:
            window = facts.windows[self.window_id] = self._duration_window(facts)
        start, original_end, extension, end, rolled_from, anchor, in_effect = window
        if start is None:
            return self._start_unknown(applies, anchor)
        fd = facts.failure_date
        if fd is None:
            unknown = facts.failure_unknown
            return tuple.__new__(TermEval, (
                self, applies, start, original_end, extension, end, True, rolled_from, False, False,
                unknown, False, (), unknown.missing, anchor, in_effect,
            ))  # fmt: skip
        before_start = fd < start
        return tuple.__new__(TermEval, (
            self, applies, start, original_end, extension, end, True, rolled_from, False, False,
            not before_start and fd <= end, before_start, (), (), anchor, in_effect,
        ))  # fmt: skip

    def _start(self, facts: ClaimFacts) -> tuple[date | None, str | tuple[str, date], bool]:
        """(start, how it was found, in the effective window) from a plain event anchor."""
        day: date | None = getattr(facts.dates, self.anchor_attr)  # type: ignore[arg-type]
        if day is None:
            return None, self.anchor_unknown_text, True
        anchor: str | tuple[str, date] = (self.anchor_label, day)
        if self.restart:
            replaced = facts.dates.replacement
            if replaced is not None and replaced > day:
                anchor = f"{self.anchor_label} {day.isoformat()}; restarted on replacement {replaced.isoformat()}"
                day = replaced
        in_effect = True
        if self.effective_from is not None or self.effective_until is not None:
            in_effect = self._in_effect(day)
        return day, anchor, in_effect

    def _duration_window(self, facts: ClaimFacts) -> tuple[Any, ...]:
        start: date | None = getattr(facts.dates, self.anchor_attr)  # type: ignore[arg-type]
        if start is None:
            return None, None, 0, None, None, self.anchor_unknown_text, True
        anchor: str | tuple[str, date] = (self.anchor_label, start)
        if self.restart or self.effective_from is not None or self.effective_until is not None:
            start, anchor, in_effect = self._start(facts)
            assert start is not None
        else:
            in_effect = True
        original_end = self._ends(start)
        extension = 0
        if self.extend_by and facts.claim.repairs:
            extension = self._extension(facts, start, original_end)
        end = original_end + timedelta(days=extension) if extension else original_end
        rolled_from: date | None = None
        if self.roll is not None:
            rolled, warning = self._rolls(end)
            if warning is not None and warning not in facts.warnings:
                facts.warnings.append(warning)
            if rolled != end:
                rolled_from, end = end, rolled
        return start, original_end, extension, end, rolled_from, anchor, in_effect

    def _evaluate_lifetime(self, facts: ClaimFacts, applies: Truth) -> TermEval:
        """A plain event anchor and no end (``length: lifetime``)."""
        window = facts.windows.get(self.window_id)
        if window is None:
            start = getattr(facts.dates, self.anchor_attr)  # type: ignore[arg-type]
            anchor: str | tuple[str, date] = (
                self.anchor_unknown_text if start is None else (self.anchor_label, start)
            )
            in_effect = True
            if start is not None and (
                self.restart or self.effective_from is not None or self.effective_until is not None
            ):
                start, anchor, in_effect = self._start(facts)
            extension = 0
            if start is not None and self.extend_by and facts.claim.repairs:
                extension = self._extension(facts, start, None)
            window = facts.windows[self.window_id] = (start, anchor, in_effect, extension)
        start, anchor, in_effect, extension = window
        if start is None:
            return self._start_unknown(applies, anchor)
        fd = facts.failure_date
        if fd is None:
            unknown = facts.failure_unknown
            return tuple.__new__(TermEval, (
                self, applies, start, None, extension, None, True, None, True, False,
                unknown, False, (), unknown.missing, anchor, in_effect,
            ))  # fmt: skip
        before_start = fd < start
        return tuple.__new__(TermEval, (
            self, applies, start, None, extension, None, True, None, True, False,
            not before_start, before_start, (), (), anchor, in_effect,
        ))  # fmt: skip

    def _evaluate(self, facts: ClaimFacts, applies: Truth) -> TermEval:
        fd = facts.failure_date
        if self.starts_after is not None:
            previous = self.policy_term(self.starts_after).evaluate(facts)
            if previous.never_starts or (previous.end is None and previous.lifetime):
                return TermEval(
                    self, applies, None, None, 0, None, True, None, False, True,
                    False, True, (), (), f"after {previous.id}, which never ends", True,
                )  # fmt: skip
            if not previous.end_known:
                return self._unknown(applies, previous.missing, f"after {previous.id}")
            if previous.end is None:
                raise EvaluationError(
                    f"term '{self.id}' starts after '{previous.id}', whose end is not a date "
                    f"(a meter bound); give '{self.id}' an anchor instead of starts_after"
                )
            start = previous.end + _ONE_DAY
            count_from, start_day = start, "included"
            anchor_text = f"the day after {previous.id} ends ({previous.end.isoformat()})"
        elif self.anchor is not None:
            day, missing, anchor_text = self.anchor(facts.dates)
            if day is None:
                return self._unknown(applies, missing, anchor_text)
            if self.restart:
                replaced = facts.dates.replacement
                if replaced is not None and replaced > day:
                    day = replaced
                    anchor_text += f"; restarted on replacement {replaced.isoformat()}"
            start = count_from = day
            start_day = self.start_day
        else:  # a validated Term has one of the two (models.Term._one_start)
            raise EvaluationError(f"term '{self.id}' has neither an anchor nor starts_after")

        in_effect = self._in_effect(start)

        node = self.length(count_from, start_day, facts)
        roll = self.roll
        if node[0] == "d" and roll is None and not (self.extend_by and facts.claim.repairs):
            # one date bound, nothing to extend or roll
            end = node[1]
            if fd is None:
                return TermEval(
                    self, applies, start, end, 0, end, True, None, False, False,
                    facts.failure_unknown, False, (), facts.failure_unknown.missing,
                    anchor_text, in_effect,
                )  # fmt: skip
            before_start = fd < start
            return TermEval(
                self, applies, start, end, 0, end, True, None, False, False,
                not before_start and fd <= end, before_start, (), (), anchor_text, in_effect,
            )  # fmt: skip
        original_end, end_known, _ = _fold(node, _identity, None, facts.failure_unknown)
        extension = 0
        if self.extend_by and end_known:
            extension = self._extension(facts, start, original_end)
        rolled_from: date | None = None
        if extension == 0 and roll is None:
            end, end_known, inside_length = _fold(node, _identity, fd, facts.failure_unknown)
        else:
            delta = timedelta(days=extension)
            if roll is None:

                def final(day: date) -> date:
                    return day + delta

            else:
                policy = self.policy
                warnings = facts.warnings
                active_roll = roll

                def final(day: date) -> date:
                    return roll_day(policy, active_roll, day + delta, warnings)

            end, end_known, inside_length = _fold(node, final, fd, facts.failure_unknown)
            if roll is not None and end is not None and original_end is not None:
                unrolled = original_end + delta
                if unrolled != end:
                    rolled_from = unrolled
        meters: list[MeterReading] = []
        _meters(node, meters)
        if fd is None:
            after_start: Truth = facts.failure_unknown
            before_start = False
        else:
            before_start = fd < start
            after_start = not before_start
        inside = all_of((after_start, inside_length))
        missing = inside.missing if isinstance(inside, Unknown) else ()
        return TermEval(
            self, applies, start, original_end, extension, end, end_known, rolled_from,
            end is None and end_known and not meters, False, inside, before_start,
            tuple(meters), missing, anchor_text, in_effect,
        )  # fmt: skip

    def policy_term(self, term_id: str) -> TermPlan:
        plans: dict[str, TermPlan] = compile_terms(self.policy)[1]
        return plans[term_id]

    def _extension(self, facts: ClaimFacts, start: date, original_end: date | None) -> int:
        """Repair and waiting days to add (CONV-04), summed to a fixed point."""
        repairs = facts.claim.repairs
        if not repairs:
            return 0
        as_of = facts.as_of
        repair_days = "repair_days" in self.extend_by
        waiting_days = "waiting_for_parts_days" in self.extend_by
        components = self.components
        spans: list[tuple[date, int]] = []
        for record in repairs:
            handed = record.handed_over
            if handed < start or handed > as_of:
                continue
            if components is not None and record.component is not None:
                if record.component not in components:
                    continue
            days = 0
            if repair_days:  # CONV-03: returned - handed over, an open repair up to as_of
                returned = record.returned
                if returned is None or returned > as_of:
                    returned = as_of
                days = (returned - handed).days
                if days < 0:
                    days_out_of_service(handed, returned)  # raises the EvaluationError
            if waiting_days:
                days += record.waiting_for_parts_days
            spans.append((handed, days))
        if not spans:
            return 0
        if original_end is None:
            return sum(days for _, days in spans)
        extension = 0
        while True:
            limit = original_end + timedelta(days=extension)
            total = 0
            for handed, days in spans:
                if handed <= limit:
                    total += days
            if total == extension:
                return extension
            extension = total


def compile_terms(policy: Policy) -> tuple[tuple[TermPlan, ...], dict[str, TermPlan]]:
    """Every term of ``policy`` compiled, in document order, and by id (built once)."""

    def build(p: Policy) -> tuple[tuple[TermPlan, ...], dict[str, TermPlan]]:
        plans = tuple(TermPlan(p, term, i) for i, term in enumerate(p.document.terms))
        ids: dict[tuple[Any, ...], int] = {}
        for plan in plans:
            plan.window_id = ids.setdefault(plan.window_key(), len(ids))
        return plans, {plan.id: plan for plan in plans}

    result: tuple[tuple[TermPlan, ...], dict[str, TermPlan]] = policy.compiled(
        "engine.terms", build
    )
    return result
