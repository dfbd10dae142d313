"""Hypothesis strategies that generate valid facts for one policy, biased toward its boundaries.

Use them to property-test a policy's contract terms::

    from hypothesis import given
    from warrantykit import load_policy
    from warrantykit.testing import strategies as wst

    policy = load_policy("policies/hvac-project-36-months.yaml")

    @given(wst.claim_examples(policy))
    def test_a_covered_claim_is_free(example):
        decision = policy.evaluate(example.claim, as_of=example.as_of)
        if decision.status == "covered":
            assert decision.customer_total() is None

Strategies
==========

* :func:`claims` / :func:`claim_examples` -- a :class:`~warrantykit.facts.Claim`
  (with an ``as_of`` date in :class:`ClaimExample`);
* :func:`tickets` / :func:`ticket_examples` -- a :class:`~warrantykit.facts.Ticket`
  (with an aware ``as_of`` instant in :class:`TicketExample`); the policy needs an
  ``sla:`` section (``ValueError`` otherwise);
* :func:`assets` / :func:`schedule_examples` -- an :class:`~warrantykit.facts.Asset`
  carrying every date and fact the policy's ``schedule:`` needs (with a horizon, a
  performed log and ``as_of`` in :class:`ScheduleExample`).

Valid facts
===========

Everything generated parses with the fact models and names only what the policy
declares: its categories, models, components, cause codes (the closed list when
the policy has one), SLA severities, channels, regions and pause reasons, the
anchor events its terms, remedies and schedule rules read, and the fact paths
and values its conditions compare. Dates are consistent: the asset's events
follow its life (production, purchase, invoice, delivery, ... handover), a
repair is handed over before it is returned, the failure is mostly after the
anchor (not always: failures before the start are boundaries too),
``reported_at`` / ``resolved_at`` are aware instants in the policy's time zone
with ``resolved_at >= reported_at``, ``as_of`` is on or after the failure and
every hand-over, and a ticket's event log is chronological, starts at
``opened_at``, pairs each ``resumed`` with a ``paused`` and reopens only a
resolved ticket. The engine may still answer ``undetermined`` (a fact left
unknown on purpose) or raise :class:`~warrantykit.errors.EvaluationError` for a
combination the policy cannot decide; it never has to raise
:class:`~warrantykit.errors.FactsError`.

Boundaries
==========

Values come from the policy, computed the way the engine documents them
(``docs/decisions.md``, ``docs/sla.md``, ``docs/schedules.md``), and each is drawn
with :func:`weighted` choices, so boundaries are common but arbitrary values
still appear (and examples shrink toward the first, simplest choice):

* every term's last day -1 / 0 / +1 (``period_last_day``: start day excluded,
  month-end clip, or the term's own counting; ``starts_after`` chains; seasons;
  fact lengths), its first day -1 / 0 / +1, the end after repair-day
  extension and after a holiday roll-forward;
* anchors on month ends, 29 February, holidays and make-up working days of the
  policy's calendars, season edges, the policy's ``effective`` edges, and
  anchors chosen so that a term ends on a holiday;
* season starts and ends -1 / 0 / +1;
* purchase windows: day ``after`` and ``after + 1``, day ``within`` and
  ``within + 1`` (7/8 and 15/16 for the CN three guarantees), rolled ends;
* ``repeated_repairs``: N - 1, N and N + 1 repairs of the same fault/component
  inside the rule's window (N + 1 is the threshold of ``more_than``);
* ``unrepaired``: a repair open for the bound -1 / 0 / +1 days;
* loaners and SLA targets: the deadline -1 minute / exactly / +1 minute
  (business time on the rule's calendar), zero targets, working-day closes;
* instants at the opening and closing times of every calendar +-1 minute,
  midnights, and around the daylight-saving changes of every zone with DST.

:func:`profile` exposes what was read from the policy (:class:`PolicyProfile`).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar, get_args, get_origin
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from warrantykit.engine.calendar import BusinessCalendar
from warrantykit.engine.compiled import Policy
from warrantykit.engine.periods import add_months, period_last_day
from warrantykit.engine.seasons import SeasonCalendar
from warrantykit.errors import WarrantykitError
from warrantykit.facts import (
    Asset,
    AssetDates,
    Claim,
    CostLine,
    PerformedWork,
    Ticket,
    TicketEventType,
    parse_facts,
)
from warrantykit.policies.conditions import Condition
from warrantykit.policies.durations import Duration, Unit
from warrantykit.policies.models import (
    Anchor,
    Length,
    LoanerRemedy,
    Metric,
    OutOfBoxRemedy,
    PurchaseWindowRemedy,
    RepeatedRepairsRemedy,
    Selector,
    Term,
    UnrepairedRemedy,
)

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "ClaimExample",
    "Example",
    "FactChoices",
    "PolicyProfile",
    "ScheduleExample",
    "TermInfo",
    "TicketExample",
    "assets",
    "claim_examples",
    "claims",
    "profile",
    "schedule_examples",
    "ticket_examples",
    "tickets",
    "weighted",
]

T = TypeVar("T")

FIRST_DAY: Final = date(2018, 1, 1)
"""Earliest anchor date generated at random (boundaries may lie before it)."""
LAST_DAY: Final = date(2029, 12, 31)
"""Latest anchor date generated at random."""

_ONE_DAY: Final = timedelta(days=1)
_ONE_MINUTE: Final = timedelta(minutes=1)
_SCAN_YEARS: Final = (2017, 2032)
"""Years scanned for holidays, make-up days and clock changes."""

_LIFE_ORDER: Final = (
    "purchase",
    "invoice",
    "delivery",
    "receipt",
    "installation",
    "commissioning",
    "acceptance",
    "completion",
    "handover",
    "operation_start",
)
"""Asset events in the order they happen in a unit's life (production comes first,
replacement and discontinuation are drawn on their own)."""


# ---------------------------------------------------------------- examples


@dataclass(frozen=True)
class ClaimExample:
    """A claim and the date to decide it at: ``policy.evaluate(claim, as_of=as_of)``."""

    claim: Claim
    as_of: date

    def evaluate(self, policy: Policy) -> Any:
        """The :class:`~warrantykit.engine.decision.ClaimDecision` of this example."""
        return policy.evaluate(self.claim, as_of=self.as_of)


@dataclass(frozen=True)
class TicketExample:
    """A ticket and the instant to judge it at: ``policy.evaluate_ticket(ticket, as_of=as_of)``."""

    ticket: Ticket
    as_of: datetime

    def evaluate(self, policy: Policy) -> Any:
        """The :class:`~warrantykit.engine.sla.TicketDecision` of this example."""
        return policy.evaluate_ticket(self.ticket, as_of=self.as_of)


@dataclass(frozen=True)
class ScheduleExample:
    """An asset, a horizon, a performed log and ``as_of`` for ``policy.schedule(...)``."""

    asset: Asset
    start: date
    end: date
    performed: tuple[PerformedWork, ...] = ()
    as_of: date | None = None

    def evaluate(self, policy: Policy) -> Any:
        """The :class:`~warrantykit.engine.obligations.Schedule` of this example."""
        return policy.schedule(
            self.asset, start=self.start, end=self.end, performed=self.performed, as_of=self.as_of
        )


Example = ClaimExample | TicketExample | ScheduleExample
"""Any of the three kinds of example."""


class _Ref:
    """A policy handed to a strategy: shows as ``Policy('<id>')`` in Hypothesis output
    instead of the whole document."""

    __slots__ = ("policy",)

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def __repr__(self) -> str:
        return f"Policy({self.policy.id!r})"


# ---------------------------------------------------------------- weighted choices


def weighted(*options: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """One of ``options`` (``(weight, strategy)`` pairs) chosen with integer weights.

    Unlike :func:`hypothesis.strategies.one_of` the weights are explicit, so a
    boundary can be made common without making arbitrary values rare; examples
    shrink toward the first option. Options of weight 0 are left out.
    """
    kept = [(w, s) for w, s in options if w > 0]
    if not kept:
        raise ValueError("weighted() needs at least one option with a positive weight")
    if len(kept) == 1:
        return kept[0][1]
    total = sum(w for w, _ in kept)
    bounds: list[int] = []
    acc = 0
    for w, _ in kept:
        acc += w
        bounds.append(acc)

    def pick(i: int) -> st.SearchStrategy[T]:
        for bound, (_, strategy) in zip(bounds, kept, strict=True):
            if i < bound:
                return strategy
        return kept[-1][1]  # pragma: no cover - i < total

    return st.integers(0, total - 1).flatmap(pick)


def _choice(draw: st.DrawFn, options: Sequence[tuple[int, T]]) -> T:
    """One value of ``options`` (``(weight, value)``), shrinking toward the first."""
    kept = [(w, v) for w, v in options if w > 0]
    total = sum(w for w, _ in kept)
    i = draw(st.integers(0, total - 1))
    for w, v in kept:
        if i < w:
            return v
        i -= w
    return kept[-1][1]  # pragma: no cover


def _flag(draw: st.DrawFn, false_weight: int, true_weight: int) -> bool:
    """``True`` with weight ``true_weight`` against ``false_weight``; shrinks toward ``False``."""
    return _choice(draw, [(false_weight, False), (true_weight, True)])


def _one_of_values(draw: st.DrawFn, values: Sequence[T]) -> T:
    return draw(st.sampled_from(list(values)))


# ---------------------------------------------------------------- the policy profile


@dataclass(frozen=True)
class FactChoices:
    """Candidate values of one condition fact path, with weights (``None`` = left unknown)."""

    path: str
    values: tuple[tuple[int, Any], ...]
    is_list: bool = False
    """The conditions test membership (``contains``...): the fact is a list of the values."""


@dataclass(frozen=True)
class TermInfo:
    """A term with the counting rules that apply to it (the policy's, overridden by the term's)."""

    term: Term
    start_day: str
    month_end: str
    extend: bool
    extend_by: tuple[str, ...]
    restart: bool
    roll_mode: str
    roll_calendar: str | None
    roll_coverage: bool


@dataclass
class PolicyProfile:
    """What the strategies read from a policy (built once per policy, see :func:`profile`)."""

    policy: Policy
    zone: ZoneInfo
    currency: str
    events: tuple[str, ...]
    """Asset events any term, remedy or schedule rule reads (fallbacks included)."""
    schedule_events: tuple[str, ...]
    """Asset events a schedule needs: its rules' anchors and those of ``until_term`` terms."""
    schedule_attributes: tuple[str, ...]
    """Asset attribute paths the lengths of ``until_term`` terms read."""
    schedule_facts: tuple[str, ...]
    """Asset fact paths the ``covers`` selectors of schedule rules read (they must be known)."""
    categories: tuple[str, ...]
    models: tuple[str, ...]
    brands: tuple[str, ...]
    components: tuple[str, ...]
    cause_codes: tuple[str, ...]
    fault_codes: tuple[str, ...]
    facts: dict[str, FactChoices]
    """Condition fact paths (other than the ones above) and their candidate values."""
    fact_lengths: dict[str, tuple[int, ...]]
    """``length: {fact: ...}`` paths and candidate amounts."""
    meters: dict[str, tuple[Decimal, ...]]
    """Meter names of meter lengths and their limits."""
    cost_lines: tuple[str, ...]
    terms: tuple[TermInfo, ...]
    seasons: dict[str, SeasonCalendar]
    calendars: dict[str, BusinessCalendar]
    holidays: tuple[date, ...]
    makeup_days: tuple[date, ...]
    special_days: tuple[date, ...]
    """Holidays, make-up working days and the days next to them (sorted)."""
    clock_changes: tuple[datetime, ...]
    """Daylight-saving changes (UTC instants) of every zone the policy uses."""
    interval_edges: tuple[time, ...]
    """Opening and closing times of every calendar, +-1 minute."""
    purchase_windows: tuple[PurchaseWindowRemedy, ...]
    repeated: tuple[RepeatedRepairsRemedy, ...]
    unrepaired: tuple[UnrepairedRemedy, ...]
    loaners: tuple[LoanerRemedy, ...]
    out_of_box: tuple[OutOfBoxRemedy, ...]
    remedy_options: tuple[str, ...]
    roll_mode: str
    roll_calendar: str | None
    effective_edges: tuple[date, ...]
    uses_abnormal_life: bool
    uses_depreciation: bool
    uses_contract_prices: bool
    schedule_rules: tuple[str, ...]
    ticket_facts: dict[str, FactChoices] = field(default_factory=dict)


def profile(policy: Policy) -> PolicyProfile:
    """The :class:`PolicyProfile` of ``policy`` (built on first use, then shared)."""
    built: PolicyProfile = policy.compiled("warrantykit.testing.strategies", _build_profile)
    return built


def _walk(cond: Condition | None, gate: bool, out: dict[str, list[tuple[Any, bool, str]]]) -> None:
    """Collect ``(value, holds-is-wanted, operator)`` per fact path of a condition tree.

    ``gate`` says whether the condition holding makes a rule apply that a claim
    wants to reach (a selector, a remedy, a severity) or one that takes coverage
    away (an exclusion): under ``not`` it flips.
    """
    if cond is None:
        return
    for child in (cond.all_ or ()) + (cond.any_ or ()):
        _walk(child, gate, out)
    if cond.not_ is not None:
        _walk(cond.not_, not gate, out)
    if cond.fact is None:
        return
    op = cond.operator
    operand = cond.operand()
    values: list[Any]
    if op in ("in", "not_in", "contains_any", "contains_all"):
        values = list(operand or ())
    elif op in ("gt", "ge", "lt", "le"):
        values = _around(operand)
    elif op == "exists":
        values = []
    else:
        values = [operand]
    wanted = gate if op not in ("ne", "not_in") else not gate
    bucket = out.setdefault(cond.fact, [])
    for v in values:
        if v is not None:
            bucket.append((v, wanted, op))


def _around(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [value]
    if isinstance(value, int):
        return [max(value - 1, 0), value, value + 1]
    if isinstance(value, Decimal):
        return [max(value - 1, Decimal(0)), value, value + 1]
    if isinstance(value, date):
        return [value - _ONE_DAY, value, value + _ONE_DAY]
    return [value]


def _selectors(doc: Any) -> Iterable[Selector]:
    for term in doc.terms:
        yield term.covers
    for rule in doc.schedule:
        if rule.covers is not None:
            yield rule.covers


def _anchor_events(anchor: Anchor | None) -> list[str]:
    if anchor is None:
        return []
    return [e.value for e in anchor.events()]


def _field_type(model: type[BaseModel], parts: Sequence[str]) -> Any:
    """The annotation of the field at ``parts`` below ``model`` (``Any`` inside dicts)."""
    current: Any = model
    for i, part in enumerate(parts):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return Any
        info = current.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) is not None and len(args) == 1 and i < len(parts) - 1:
            annotation = args[0]
        if get_origin(annotation) is dict:
            return Any
        current = annotation
    return current


def _valid_for(annotation: Any, value: Any) -> bool:
    if annotation is Any:
        return True
    if annotation is None:
        return False
    try:
        TypeAdapter(annotation).validate_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def _literal_options(annotation: Any) -> list[Any]:
    """The values of a ``Literal[...]`` (or ``Literal[...] | None``) annotation, else []."""
    out: list[Any] = []
    for arg in get_args(annotation) or ():
        if get_origin(arg) is not None and str(get_origin(arg)).endswith("Literal"):
            out.extend(get_args(arg))
        elif isinstance(arg, str | bool):
            out.append(arg)
    return out


def _fact_choices(
    path: str, observed: list[tuple[Any, bool, str]], annotation: Any
) -> FactChoices:
    weights: dict[Any, int] = {}
    bools = [v for v, _, _ in observed if isinstance(v, bool)]
    for value, wanted, _op in observed:
        if isinstance(value, bool):
            holds, fails = value, not value
            preferred, rare = (holds, fails) if wanted else (fails, holds)
            weights[preferred] = weights.get(preferred, 0) + 8
            weights[rare] = weights.get(rare, 0) + 1
        else:
            weights[value] = weights.get(value, 0) + (4 if wanted else 1)
    if not bools:
        for option in _literal_options(annotation):
            if option not in weights and not isinstance(option, bool):
                weights[option] = 2
    is_list = any(op.startswith("contains") for _, _, op in observed)
    if is_list:
        return FactChoices(path, ((1, None), *((1, v) for v in weights)), True)
    values = [(w, v) for v, w in weights.items() if _valid_for(annotation, v)]
    total = sum(w for w, _ in values)
    if bools:
        return FactChoices(path, ((1, None), *values))
    strings = [v for v, _ in weights.items() if isinstance(v, str)]
    excluding = any(not wanted for v, wanted, _ in observed if not isinstance(v, bool))
    if strings and _valid_for(annotation, "other") and "other" not in weights:
        # a value none of the conditions names: the fact is known and matches no rule
        other = max(2, total) if excluding else 2
        values.append((other, "other"))
        total += other
    return FactChoices(path, ((max(1, total // 4), None), *values))


def _calendar_days(cals: Mapping[str, BusinessCalendar]) -> tuple[list[date], list[date]]:
    holidays: set[date] = set()
    makeup: set[date] = set()
    for cal in cals.values():
        if cal.country is None and not cal.extra_holidays and not cal.extra_working_days:
            continue
        day = date(_SCAN_YEARS[0], 1, 1)
        last = date(_SCAN_YEARS[1], 12, 31)
        while day <= last:
            try:
                if cal.is_holiday(day):
                    holidays.add(day)
                elif not cal.weekly.get(day.weekday()) and cal.is_working_day(day):
                    makeup.add(day)
            except WarrantykitError:  # pragma: no cover - a year without holiday data
                pass
            day += _ONE_DAY
    return sorted(holidays), sorted(makeup)


def _clock_changes(zones: Iterable[ZoneInfo]) -> list[datetime]:
    out: set[datetime] = set()
    for zone in zones:
        start = datetime(_SCAN_YEARS[0], 1, 1, tzinfo=UTC)
        end = datetime(_SCAN_YEARS[1], 12, 31, tzinfo=UTC)
        step = timedelta(days=1)
        t = start
        prev = t.astimezone(zone).utcoffset()
        while t < end:
            nxt = t + step
            off = nxt.astimezone(zone).utcoffset()
            if off != prev:
                lo, hi = t, nxt
                while hi - lo > _ONE_MINUTE:
                    mid = lo + (hi - lo) / 2
                    if mid.astimezone(zone).utcoffset() == prev:
                        lo = mid
                    else:
                        hi = mid
                out.add(hi.replace(second=0, microsecond=0))
                prev = off
            t = nxt
    return sorted(out)


def _build_profile(policy: Policy) -> PolicyProfile:
    from warrantykit.engine.terms import business_calendar, season_calendars

    doc = policy.document
    zone = ZoneInfo(doc.timezone)
    currency = doc.currency or "CNY"

    observed: dict[str, list[tuple[Any, bool, str]]] = {}
    for term in doc.terms:
        _walk(term.covers.when, True, observed)
    for rule in doc.schedule:
        if rule.covers is not None:
            _walk(rule.covers.when, True, observed)
    for exclusion in doc.exclusions:
        _walk(exclusion.when, False, observed)
    for remedy in doc.remedies:
        _walk(remedy.when, True, observed)
    ticket_observed: dict[str, list[tuple[Any, bool, str]]] = {}
    if doc.sla is not None:
        for srule in doc.sla.severity_rules:
            _walk(srule.when, True, ticket_observed)

    def literal_strings(path: str) -> list[str]:
        return [v for v, _, _ in observed.pop(path, []) if isinstance(v, str)]

    categories: list[str] = []
    models: list[str] = []
    components: list[str] = []
    for sel in _selectors(doc):
        categories.extend(sel.categories or ())
        models.extend(sel.models or ())
        components.extend(sel.components or ())
        components.extend(sel.exclude_components or ())
    categories.extend(literal_strings("asset.category"))
    models.extend(literal_strings("asset.model"))
    brands = literal_strings("asset.brand")
    components.extend(literal_strings("claim.component"))
    components.extend(literal_strings("asset.components"))
    fault_codes = literal_strings("claim.fault_code") + ["F1", "F2"]
    cause_literals = literal_strings("claim.cause_codes")
    cause_codes = list(doc.cause_codes) if doc.cause_codes is not None else cause_literals

    purchase_windows: list[PurchaseWindowRemedy] = []
    repeated: list[RepeatedRepairsRemedy] = []
    unrepaired: list[UnrepairedRemedy] = []
    loaners: list[LoanerRemedy] = []
    out_of_box: list[OutOfBoxRemedy] = []
    options: list[str] = []
    events: list[str] = []
    uses_abnormal_life = False
    uses_depreciation = False
    for remedy in doc.remedies:
        options.extend(o.value for o in remedy.options)
        if remedy.depreciation is not None:
            uses_depreciation = True
            categories.extend(remedy.depreciation.daily_rate_percent)
        if isinstance(remedy, PurchaseWindowRemedy):
            purchase_windows.append(remedy)
            events.extend(_anchor_events(remedy.window.anchor))
        elif isinstance(remedy, RepeatedRepairsRemedy):
            repeated.append(remedy)
            components.extend(remedy.components or ())
            events.extend(_anchor_events(remedy.anchor))
        elif isinstance(remedy, UnrepairedRemedy):
            unrepaired.append(remedy)
            events.extend(_anchor_events(remedy.anchor))
        elif isinstance(remedy, LoanerRemedy):
            loaners.append(remedy)
        elif isinstance(remedy, OutOfBoxRemedy):
            out_of_box.append(remedy)
            events.extend(_anchor_events(remedy.anchor) or ["delivery"])
        else:
            uses_abnormal_life = True
    for term in doc.terms:
        options.extend(o.value for o in term.options)

    fact_lengths: dict[str, list[int]] = {}
    meters: dict[str, list[Decimal]] = {}

    def lengths(length: Length) -> None:
        if length.fact is not None:
            found = [int(v) for v, _, _ in observed.get(length.fact, []) if type(v) is int]
            fact_lengths.setdefault(length.fact, []).extend(found or [])
        if length.meter is not None and length.limit is not None:
            meters.setdefault(length.meter, []).append(length.limit)
        for inner in (length.first_of or ()) + (length.last_of or ()):
            lengths(inner)

    terms: list[TermInfo] = []
    counting = doc.counting
    for term in doc.terms:
        lengths(term.length)
        events.extend(_anchor_events(term.anchor))
        over = term.counting
        roll = over.roll_forward or counting.roll_forward
        restart = (
            over.restart_on_replacement
            if over.restart_on_replacement is not None
            else counting.restart_on_replacement
        )
        extend_by = over.extend_by if over.extend_by is not None else counting.extend_by
        terms.append(
            TermInfo(
                term=term,
                start_day=over.start_day or counting.start_day,
                month_end=over.month_end or counting.month_end,
                extend=bool(extend_by),
                extend_by=tuple(extend_by),
                restart=restart,
                roll_mode=roll.mode,
                roll_calendar=roll.calendar,
                roll_coverage=roll.coverage_window,
            )
        )
        if restart:
            events.append("replacement")
    for path in fact_lengths:
        observed.pop(path, None)
    fact_amounts = {
        path: tuple(sorted(set(found) | {1, 2, 3, 5})) for path, found in fact_lengths.items()
    }

    schedule_events: list[str] = []
    schedule_attributes: list[str] = []
    by_id = {t.id: t for t in doc.terms}

    def term_needs(term_id: str, seen: set[str]) -> None:
        term = by_id.get(term_id)
        if term is None or term_id in seen:
            return
        seen.add(term_id)
        schedule_events.extend(_anchor_events(term.anchor))
        if term.starts_after:
            term_needs(term.starts_after, seen)

        def walk_length(length: Length) -> None:
            if length.fact is not None and length.fact.startswith("asset.attributes."):
                schedule_attributes.append(length.fact)
            for inner in (length.first_of or ()) + (length.last_of or ()):
                walk_length(inner)

        walk_length(term.length)

    schedule_facts: list[str] = []
    for rule in doc.schedule:
        schedule_events.extend(_anchor_events(rule.anchor))
        if rule.until_term:
            term_needs(rule.until_term, set())
        if rule.covers is not None:
            if rule.covers.categories is not None:
                schedule_facts.append("asset.category")
            if rule.covers.models is not None:
                schedule_facts.append("asset.model")
            if rule.covers.when is not None:
                schedule_facts.extend(rule.covers.when.facts())
    events.extend(schedule_events)

    cost_lines: list[str] = []
    uses_contract_prices = False
    tables = [doc.costs.covered, doc.costs.excluded, doc.costs.expired]
    tables.extend(t.costs for t in doc.terms)
    tables.extend(x.costs for x in doc.exclusions)
    for table in tables:
        for line, cost_rule in table.items():
            cost_lines.append(line.value)
            if cost_rule.basis == "contract_price_cap":
                uses_contract_prices = True

    facts: dict[str, FactChoices] = {}
    for path, seen in observed.items():
        root, *rest = path.split(".")
        model: type[BaseModel] = Asset if root == "asset" else Claim
        annotation = _field_type(model, rest)
        if annotation is None:
            continue
        facts[path] = _fact_choices(path, seen, annotation)
    ticket_facts: dict[str, FactChoices] = {}
    for path, seen in ticket_observed.items():
        annotation = _field_type(Ticket, path.split(".")[1:])
        if annotation is None:
            continue
        ticket_facts[path] = _fact_choices(path, seen, annotation)

    cal_names = set(doc.calendars) | {"7x24"}
    calendars = {name: business_calendar(policy, name) for name in sorted(cal_names)}
    holidays, makeup = _calendar_days(calendars)
    special: set[date] = set()
    for day in holidays + makeup:
        special.update((day - _ONE_DAY, day, day + _ONE_DAY))
    zones = {zone} | {cal.tz for cal in calendars.values()}
    edges: set[time] = {time(0, 0), time(23, 59)}
    for cal in calendars.values():
        for intervals in cal.weekly.values():
            for iv in intervals:
                for minute in (iv.start, iv.end % 1440):
                    for delta in (-1, 0, 1):
                        m = (minute + delta) % 1440
                        edges.add(time(m // 60, m % 60))
    effective: list[date] = []
    for edge in (doc.effective.from_, doc.effective.until):
        if edge is not None:
            effective.extend((edge - _ONE_DAY, edge, edge + _ONE_DAY))

    def unique(items: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(items))

    return PolicyProfile(
        policy=policy,
        zone=zone,
        currency=currency,
        events=unique(events),
        schedule_events=unique(schedule_events),
        schedule_attributes=unique(schedule_attributes),
        schedule_facts=unique(schedule_facts),
        categories=unique(categories),
        models=unique(models),
        brands=unique(brands),
        components=unique(components),
        cause_codes=unique(cause_codes),
        fault_codes=unique(fault_codes),
        facts=facts,
        fact_lengths=fact_amounts,
        meters={m: tuple(sorted(set(v))) for m, v in meters.items()},
        cost_lines=unique(line for line in (c.value for c in CostLine) if line in cost_lines),
        terms=tuple(terms),
        seasons=dict(season_calendars(policy)),
        calendars=calendars,
        holidays=tuple(holidays),
        makeup_days=tuple(makeup),
        special_days=tuple(sorted(special)),
        clock_changes=tuple(_clock_changes(zones)),
        interval_edges=tuple(sorted(edges)),
        purchase_windows=tuple(purchase_windows),
        repeated=tuple(repeated),
        unrepaired=tuple(unrepaired),
        loaners=tuple(loaners),
        out_of_box=tuple(out_of_box),
        remedy_options=unique(options),
        roll_mode=counting.roll_forward.mode,
        roll_calendar=counting.roll_forward.calendar,
        effective_edges=tuple(effective),
        uses_abnormal_life=uses_abnormal_life,
        uses_depreciation=uses_depreciation,
        uses_contract_prices=uses_contract_prices,
        schedule_rules=tuple(r.id for r in doc.schedule),
        ticket_facts=ticket_facts,
    )


# ---------------------------------------------------------------- date arithmetic


def _shift(day: date, duration: Duration, *, sign: int = 1) -> date | None:
    """``day`` plus (or minus) a calendar duration; ``None`` outside years 1..9999."""
    try:
        if duration.unit in (Unit.DAYS, Unit.WORKING_DAYS):
            return day + sign * timedelta(days=duration.amount)
        if duration.unit is Unit.WEEKS:
            return day + sign * timedelta(weeks=duration.amount)
        if duration.unit is Unit.MONTHS:
            return add_months(day, sign * duration.amount)
        if duration.unit is Unit.YEARS:
            return add_months(day, sign * 12 * duration.amount)
        hours = duration.amount / 60 if duration.unit is Unit.MINUTES else duration.amount
        return day + sign * timedelta(days=-(-int(hours) // 24))
    except (OverflowError, WarrantykitError, ValueError):
        return None


def _last_day(start: date, amount: int, unit: str, start_day: str, month_end: str) -> date | None:
    if unit not in ("days", "weeks", "months", "years"):
        return None
    try:
        return period_last_day(
            start,
            amount,
            unit,  # type: ignore[arg-type]
            start_day=start_day,  # type: ignore[arg-type]
            month_end=month_end,  # type: ignore[arg-type]
        )
    except (WarrantykitError, OverflowError):
        return None


def _month_end(day: date) -> date:
    return date(day.year, day.month, _calendar.monthrange(day.year, day.month)[1])


def _resolve_anchor(anchor: Anchor, dates: AssetDates) -> date | None:
    def get(event: str) -> date | None:
        value: date | None = getattr(dates, event, None)
        return value

    found: date | None
    if anchor.event is not None:
        found = get(anchor.event.value)
    else:
        listed = [get(e.value) for e in (anchor.later_of or anchor.earlier_of or ())]
        if any(d is None for d in listed) or not listed:
            found = None
        else:
            known = [d for d in listed if d is not None]
            found = max(known) if anchor.later_of else min(known)
    if found is None:
        return _resolve_anchor(anchor.fallback, dates) if anchor.fallback is not None else None
    if anchor.offset is not None:
        found = _shift(found, anchor.offset)
    return found


def _length_end(
    prof: PolicyProfile,
    length: Length,
    start: date,
    start_day: str,
    month_end: str,
    attributes: Mapping[str, Any],
) -> date | None:
    if length.duration is not None:
        return _last_day(start, length.duration.amount, length.duration.unit.value, start_day, month_end)
    if length.seasons is not None and length.season is not None:
        cal = prof.seasons.get(length.season)
        if cal is None:
            return None
        try:
            return cal.nth_season_end(start, length.seasons, count_in_progress=length.count_in_progress)
        except WarrantykitError:
            return None
    if length.fact is not None and length.unit is not None:
        value = attributes.get(length.fact)
        if type(value) is not int:
            return None
        return _last_day(start, value, length.unit.value, start_day, month_end)
    parts = [
        _length_end(prof, inner, start, start_day, month_end, attributes)
        for inner in (length.first_of or length.last_of or ())
    ]
    known = [d for d in parts if d is not None]
    if not known:
        return None
    return min(known) if length.first_of else max(known)


def _term_windows(
    prof: PolicyProfile, dates: AssetDates, attributes: Mapping[str, Any]
) -> dict[str, tuple[TermInfo, date, date | None]]:
    """Term id -> (info, first day, last day) as ``docs/decisions.md`` computes them
    (before repair-day extension and roll-forward); terms without a known start are left out."""
    out: dict[str, tuple[TermInfo, date, date | None]] = {}
    infos = {info.term.id: info for info in prof.terms}

    def window(term_id: str, depth: int) -> tuple[TermInfo, date, date | None] | None:
        if term_id in out:
            return out[term_id]
        info = infos.get(term_id)
        if info is None or depth > len(infos):
            return None
        term = info.term
        start_day = info.start_day
        if term.starts_after is not None:
            before = window(term.starts_after, depth + 1)
            if before is None or before[2] is None:
                return None
            start = before[2] + _ONE_DAY
            start_day = "included"
        else:
            assert term.anchor is not None  # models.Term: an anchor unless starts_after
            anchor = _resolve_anchor(term.anchor, dates)
            if anchor is None:
                return None
            if info.restart and dates.replacement is not None and dates.replacement > anchor:
                anchor = dates.replacement
            start = anchor
        end = _length_end(prof, term.length, start, start_day, info.month_end, attributes)
        out[term_id] = (info, start, end)
        return out[term_id]

    for info in prof.terms:
        window(info.term.id, 0)
    return out


def _near(days: Iterable[date | None], spread: int = 1) -> set[date]:
    out: set[date] = set()
    for day in days:
        if day is None:
            continue
        for k in range(-spread, spread + 1):
            try:
                out.add(day + timedelta(days=k))
            except OverflowError:
                pass
    return out


def _season_edges(prof: PolicyProfile, first_year: int, last_year: int) -> set[date]:
    out: set[date] = set()
    for cal in prof.seasons.values():
        for year in range(first_year, last_year + 1):
            try:
                season = cal.season_of_year(year)
            except WarrantykitError:
                continue
            out |= _near((season.start, season.end))
    return out


def _rolled(prof: PolicyProfile, calendar: str | None, mode: str, day: date) -> date | None:
    if mode == "none" or calendar is None or calendar not in prof.calendars:
        return None
    try:
        return prof.calendars[calendar].roll_forward(day, mode)  # type: ignore[arg-type]
    except WarrantykitError:
        return None


@dataclass(frozen=True)
class _Edges:
    """A group of failure dates worth trying, and the term they are the edge of."""

    kind: str
    days: tuple[date, ...]
    term: TermInfo | None = None


_EDGE_WEIGHTS: Final = {
    "term-end": 12,
    "term-start": 2,
    "month-end": 1,
    "purchase-window": 5,
    "rule-window": 2,
    "season": 2,
    "holiday": 1,
    "leap-day": 1,
}
"""How often each kind of edge is aimed at (the groups of one kind share its weight)."""


def _claim_edges(
    prof: PolicyProfile,
    dates: AssetDates,
    attributes: Mapping[str, Any],
    base: date,
) -> list[_Edges]:
    """Failure dates worth trying for an asset, grouped: every term's last day (and
    its month end, its rolled end) +-1, its first day +-1, purchase-window and rule
    window edges +-1, season edges, holidays and leap days near the term ends."""
    groups: list[_Edges] = []

    def group(kind: str, days: Iterable[date | None], term: TermInfo | None = None) -> None:
        kept = tuple(
            sorted(d for d in set(days) if d is not None and date(1, 1, 2) <= d <= date(9999, 1, 1))
        )
        if kept:
            groups.append(_Edges(kind, kept, term))

    ends: list[date] = []
    for info, start, end in _term_windows(prof, dates, attributes).values():
        group("term-start", _near((start,)), info)
        if end is not None:
            ends.append(end)
            rolled = (
                _rolled(prof, info.roll_calendar, info.roll_mode, end) if info.roll_coverage else None
            )
            group("term-end", _near((end, rolled)), info)
            if _month_end(end) != end:
                group("month-end", _near((_month_end(end),)), info)
    for rule in prof.purchase_windows:
        anchor = _resolve_anchor(rule.window.anchor, dates)
        if anchor is None:
            continue
        for bound in (rule.window.after, rule.window.within):
            day = None if bound is None else _shift(anchor, bound)
            if day is not None:
                group(
                    "purchase-window",
                    _near((day, _rolled(prof, prof.roll_calendar, prof.roll_mode, day))),
                )
    windowed: list[RepeatedRepairsRemedy | UnrepairedRemedy | OutOfBoxRemedy] = [
        *prof.repeated,
        *prof.unrepaired,
        *prof.out_of_box,
    ]
    for anchor_rule in windowed:
        if anchor_rule.within is None:
            continue
        rule_anchor = anchor_rule.anchor
        anchor_day = (
            _resolve_anchor(rule_anchor, dates)
            if rule_anchor is not None
            else (dates.delivery if isinstance(anchor_rule, OutOfBoxRemedy) else None)
        )
        if anchor_day is not None:
            group("rule-window", _near((_shift(anchor_day, anchor_rule.within),)))
    first_year = base.year - 1
    last_year = max([base.year + 1, *(e.year + 1 for e in ends)])
    group("season", _season_edges(prof, first_year, min(last_year, first_year + 8)))
    special: set[date] = set()
    leap: set[date] = set()
    for end in ends:
        lo, hi = end - timedelta(days=12), end + timedelta(days=12)
        special.update(d for d in prof.special_days if lo <= d <= hi)
        for year in (end.year - 1, end.year, end.year + 1):
            if _calendar.isleap(year):
                leap |= _near((date(year, 2, 29),))
    group("holiday", special)
    group("leap-day", leap)
    if not groups:
        group("term-start", _near((base,)))
    return groups


# ---------------------------------------------------------------- small value strategies


def _day_between(lo: date, hi: date) -> st.SearchStrategy[date]:
    if hi < lo:
        lo, hi = hi, lo
    return st.dates(lo, hi)


def _money(prof: PolicyProfile) -> st.SearchStrategy[str]:
    return st.integers(1, 9_999_999).map(lambda cents: f"{Decimal(cents).scaleb(-2)} {prof.currency}")


def _anchor_base(draw: st.DrawFn, prof: PolicyProfile) -> date:
    """A base date for the asset's events: random, or a month end, 29 February, a
    holiday or make-up day, a season edge, an ``effective`` edge, or chosen so a
    term ends on a holiday."""
    options: list[tuple[int, str]] = [(3, "random"), (2, "month_end"), (1, "leap")]
    if prof.special_days:
        options.append((1, "special"))
    if prof.seasons:
        options.append((1, "season"))
    if prof.effective_edges:
        options.append((1, "effective"))
    ending = [
        info.term.length.duration
        for info in prof.terms
        if info.term.length.duration is not None and info.term.starts_after is None
    ]
    if ending and prof.holidays:
        options.append((2, "ends_on_holiday"))
    how = _choice(draw, options)
    if how == "month_end":
        year = draw(st.integers(FIRST_DAY.year, LAST_DAY.year))
        month = draw(st.integers(1, 12))
        return _month_end(date(year, month, 1))
    if how == "leap":
        return _one_of_values(
            draw, [date(y, 2, 29) for y in range(FIRST_DAY.year, LAST_DAY.year + 1) if _calendar.isleap(y)]
        )
    if how == "special":
        return _one_of_values(draw, prof.special_days)
    if how == "season":
        edges = sorted(_season_edges(prof, FIRST_DAY.year, LAST_DAY.year))
        if edges:
            return _one_of_values(draw, edges)
    if how == "effective":
        return _one_of_values(draw, prof.effective_edges)
    if how == "ends_on_holiday":
        duration = _one_of_values(draw, ending)
        holiday = _one_of_values(draw, prof.holidays)
        back = _shift(holiday, duration, sign=-1)
        if back is not None and FIRST_DAY.year - 20 <= back.year:
            return back
    return draw(_day_between(FIRST_DAY, LAST_DAY))


def _asset_dates(
    draw: st.DrawFn, prof: PolicyProfile, base: date, required: Sequence[str]
) -> dict[str, date]:
    """Dates of the events ``prof`` reads, in life order, the first of them on ``base``."""
    wanted = set(prof.events) | set(required)
    out: dict[str, date] = {}
    day = base
    first = True
    for event in _LIFE_ORDER:
        if event not in wanted:
            continue
        if not first:
            day = day + timedelta(days=_choice(draw, [(6, 0), (2, draw(st.integers(1, 45)))]))
        first = False
        if event in required or _flag(draw, 1, 12):
            out[event] = day
    if "production" in wanted:
        out["production"] = base - timedelta(days=_choice(draw, [(3, 0), (2, draw(st.integers(1, 400)))]))
    if "discontinuation" in wanted and (
        "discontinuation" in required or _flag(draw, 2, 1)
    ):
        out["discontinuation"] = base + timedelta(days=draw(st.integers(0, 2000)))
    if "replacement" in wanted and ("replacement" in required or _flag(draw, 4, 1)):
        out["replacement"] = base + timedelta(days=draw(st.integers(0, 900)))
    return out


def _fact_value(draw: st.DrawFn, choices: FactChoices, *, required: bool = False) -> Any:
    """A value for a condition fact: one of its candidates, a list of them for a
    membership test, or ``None`` (unknown) unless ``required``."""
    if choices.is_list:
        items = [v for _, v in choices.values if v is not None]
        if not required and _flag(draw, 6, 1):
            return None
        return draw(st.lists(st.sampled_from(items), max_size=min(3, len(items)), unique=True))
    options = [(w, v) for w, v in choices.values if v is not None or not required]
    return _choice(draw, options or list(choices.values))


def _set_path(data: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _asset_data(draw: st.DrawFn, prof: PolicyProfile, *, for_schedule: bool) -> dict[str, Any]:
    base = _anchor_base(draw, prof)
    required = prof.schedule_events if for_schedule else ()
    data: dict[str, Any] = {"id": "A-1"}
    needed = set(prof.schedule_facts) if for_schedule else set()
    category_options: list[tuple[int, str | None]] = [(9, c) for c in prof.categories]
    if not prof.categories or "asset.category" not in needed:
        category_options.append((1, None))
    data["category"] = _choice(draw, category_options)
    if prof.models:
        unknown = 0 if "asset.model" in needed else 1
        data["model"] = _choice(draw, [(unknown, None), *((3, m) for m in prof.models)])
    if prof.brands:
        data["brand"] = _choice(draw, [(1, None), *((3, b) for b in prof.brands)])
    if prof.components and _flag(draw, 3, 1):
        data["components"] = draw(st.lists(st.sampled_from(prof.components), max_size=3, unique=True))
    if _flag(draw, 1, 2):
        data["price"] = draw(_money(prof))
    if _flag(draw, 2, 1):
        data["software_price"] = draw(_money(prof))
    if prof.uses_contract_prices and _flag(draw, 1, 1):
        keys = list(prof.components) + list(prof.cost_lines)
        if keys:
            chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True))
            data["contract_unit_prices"] = {k: draw(_money(prof)) for k in chosen}
    data["dates"] = _asset_dates(draw, prof, base, required)
    attributes: dict[str, Any] = {}
    for path, amounts in prof.fact_lengths.items():
        if not path.startswith("asset.attributes."):
            continue
        must = for_schedule and path in prof.schedule_attributes
        value = _choice(draw, [(8, draw(st.sampled_from(amounts))), (0 if must else 1, None)])
        if value is not None:
            attributes[path.split(".", 2)[2]] = value
    for path, choices in prof.facts.items():
        if path.startswith("asset.attributes."):
            value = _fact_value(draw, choices, required=path in needed)
            if value is not None:
                attributes[path.split(".", 2)[2]] = value
        elif path.startswith("asset."):
            value = _fact_value(draw, choices, required=path in needed)
            if value is not None:
                _set_path(data, path.split(".")[1:], value)
    if attributes:
        data["attributes"] = attributes
    return data


def _local(prof: PolicyProfile, day: date, minute: int, fold: int = 0) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=prof.zone).replace(fold=fold)


def _instant_on(draw: st.DrawFn, prof: PolicyProfile, day: date) -> datetime:
    """An aware instant in the policy's zone on ``day``: at a calendar edge, midnight,
    a random minute, or near a daylight-saving change of that day."""
    options: list[tuple[int, str]] = [(3, "edge"), (3, "random")]
    changes = [c for c in prof.clock_changes if abs((c.date() - day).days) <= 1]
    if changes:
        options.append((4, "dst"))
    how = _choice(draw, options)
    if how == "dst":
        change = _one_of_values(draw, changes)
        return (change + timedelta(minutes=draw(st.integers(-90, 90)))).astimezone(prof.zone)
    if how == "edge":
        edge = _one_of_values(draw, prof.interval_edges)
        return _local(prof, day, edge.hour * 60 + edge.minute, draw(st.integers(0, 1)))
    return _local(prof, day, draw(st.integers(0, 1439)))


# ---------------------------------------------------------------- claims


def _repairs_for_rule(
    draw: st.DrawFn,
    prof: PolicyProfile,
    rule: RepeatedRepairsRemedy,
    failure: date,
    earliest: date,
    fault: str,
    component: str | None,
) -> list[dict[str, Any]]:
    """N - 1, N or N + 1 repairs of the same fault/component before ``failure``."""
    threshold = rule.count + (1 if rule.comparison == "more_than" else 0)
    count = max(0, _choice(draw, [(3, threshold), (2, threshold - 1), (2, threshold + 1)]))
    span = max((failure - earliest).days, 0)
    offsets = sorted(draw(st.lists(st.integers(0, span), min_size=count, max_size=count)))
    repairs: list[dict[str, Any]] = []
    for i, offset in enumerate(offsets):
        handed = earliest + timedelta(days=offset)
        room = (failure - handed).days
        if i + 1 < len(offsets):
            room = min(room, offsets[i + 1] - offset)
        returned = handed + timedelta(days=draw(st.integers(0, max(room, 0))))
        record: dict[str, Any] = {
            "handed_over": handed,
            "returned": returned,
            "fixed": _choice(draw, [(6, False), (1, True), (1, None)]),
        }
        same_fault = rule.same in ("fault", "fault_and_component") or (
            rule.same == "any" and _flag(draw, 1, 1)
        )
        if same_fault or _flag(draw, 1, 5):
            record["fault_code"] = fault
        else:
            record["fault_code"] = _one_of_values(draw, prof.fault_codes)
        if component is not None and (
            rule.same in ("component", "fault_and_component") or _flag(draw, 1, 3)
        ):
            record["component"] = component
        if _flag(draw, 4, 1):
            # waiting for parts inside the repair span (P7 counts a day once)
            record["waiting_for_parts_days"] = draw(st.integers(0, (returned - handed).days))
        repairs.append(record)
    return repairs


def _random_repairs(draw: st.DrawFn, prof: PolicyProfile, failure: date, earliest: date) -> list[dict[str, Any]]:
    count = _choice(draw, [(4, 0), (2, 1), (1, 2), (1, 3)])
    out: list[dict[str, Any]] = []
    for _ in range(count):
        handed = draw(_day_between(earliest, failure))
        span = draw(st.integers(0, 40))
        returned: date | None = handed + timedelta(days=span)
        if _flag(draw, 5, 1):
            returned = None
        record: dict[str, Any] = {"handed_over": handed, "returned": returned}
        record["fixed"] = _choice(draw, [(2, True), (2, False), (1, None)])
        record["fault_code"] = _one_of_values(draw, prof.fault_codes)
        if prof.components and _flag(draw, 1, 1):
            record["component"] = _one_of_values(draw, prof.components)
        if _flag(draw, 3, 1):
            record["waiting_for_parts_days"] = draw(st.integers(0, span))
        record["delay_caused_by"] = _choice(
            draw, [(4, None), (1, "repairer"), (1, "parts_supply"), (1, "customer"), (1, "force_majeure")]
        )
        out.append(record)
    return sorted(out, key=lambda r: r["handed_over"])


def _duration_days(duration: Duration) -> int:
    if duration.unit is Unit.MINUTES:
        return -(-duration.amount // 1440)
    if duration.unit is Unit.HOURS:
        return -(-duration.amount // 24)
    if duration.unit is Unit.WEEKS:
        return 7 * duration.amount
    if duration.unit is Unit.MONTHS:
        return 30 * duration.amount
    if duration.unit is Unit.YEARS:
        return 365 * duration.amount
    return duration.amount


def _loaner_due(prof: PolicyProfile, rule: LoanerRemedy, reported: datetime) -> datetime | None:
    cal = prof.calendars.get(rule.calendar or "7x24")
    if cal is None:
        return None
    try:
        return cal.add(reported, rule.after.as_timedelta())
    except (WarrantykitError, ValueError, OverflowError):
        return None


def _extended_ends(
    prof: PolicyProfile,
    dates: AssetDates,
    attributes: Mapping[str, Any],
    repairs: Sequence[Mapping[str, Any]],
    as_of: date,
) -> set[date]:
    """Term ends after repair-day extension (P7, CONV-03/04: the days of the repairs
    handed over inside the window, a repair handed over in the extension extending it
    further), +-1 day, for terms that extend. Generated waiting days never exceed the
    repair span, so with both units listed the span is what counts."""
    out: set[date] = set()
    for info, start, end in _term_windows(prof, dates, attributes).values():
        if not info.extend or end is None:
            continue
        components = set(info.term.covers.components or ())
        spans = "repair_days" in info.extend_by

        def days(record: Mapping[str, Any], spans: bool = spans) -> int:
            handed: date = record["handed_over"]
            returned: date = record.get("returned") or as_of
            if spans:
                return max((returned - handed).days, 0)
            return int(record.get("waiting_for_parts_days", 0))

        extension = 0
        for _ in range(len(repairs) + 1):  # the fixed point: at most one more repair per round
            last = end + timedelta(days=extension)
            found = sum(
                days(r)
                for r in repairs
                if start <= r["handed_over"] <= last
                and (not components or r.get("component") in components)
            )
            if found == extension:
                break
            extension = found
        if extension:
            out |= _near((end + timedelta(days=extension),))
    return out


def claim_examples(policy: Policy) -> st.SearchStrategy[ClaimExample]:
    """Valid :class:`ClaimExample` values for ``policy``, biased toward its boundaries
    (see the module docstring)."""
    return _claim_examples(_Ref(policy))


@st.composite
def _claim_examples(draw: st.DrawFn, ref: _Ref) -> ClaimExample:
    prof = profile(ref.policy)
    asset_data = _asset_data(draw, prof, for_schedule=False)
    dates = AssetDates.model_validate(asset_data["dates"])
    attributes = {f"asset.attributes.{k}": v for k, v in asset_data.get("attributes", {}).items()}
    known = [d for d in (getattr(dates, e) for e in AssetDates.model_fields) if d is not None]
    base = min(known) if known else draw(_day_between(FIRST_DAY, LAST_DAY))
    groups = _claim_edges(prof, dates, attributes, base)
    latest = max([base, *(d for g in groups for d in g.days)])

    # the failure: an edge of the policy (aiming the claim at that term), or any day
    focus: _Edges | None = None
    failure: date | None
    how = _choice(draw, [(8, "edge"), (3, "random"), (1, "none")])
    if how == "edge":
        kinds = sorted({g.kind for g in groups}, key=list(_EDGE_WEIGHTS).index)
        kind = _choice(draw, [(_EDGE_WEIGHTS[k], k) for k in kinds])
        focus = _one_of_values(draw, [g for g in groups if g.kind == kind])
        failure = _one_of_values(draw, focus.days)
    elif how == "random":
        failure = draw(_day_between(base - timedelta(days=90), latest + timedelta(days=400)))
    else:
        failure = None
    aimed = focus.term.term.covers if focus is not None and focus.term is not None else None
    if aimed is not None and aimed.categories and asset_data.get("category") not in aimed.categories:
        if _flag(draw, 1, 6):
            asset_data["category"] = _one_of_values(draw, aimed.categories)
    if aimed is not None and aimed.models and asset_data.get("model") not in aimed.models:
        if _flag(draw, 1, 6):
            asset_data["model"] = _one_of_values(draw, aimed.models)
    parse_facts(Asset, asset_data, name="claim.asset")  # fail early on an invalid asset
    data: dict[str, Any] = {"asset": asset_data}

    # facts named by the policy's conditions
    for path, choices in prof.facts.items():
        if path.startswith("claim."):
            value = _fact_value(draw, choices)
            if value is not None:
                _set_path(data, path.split(".")[1:], value)
    claim_attributes: dict[str, Any] = dict(data.get("attributes", {}))
    for path, amounts in prof.fact_lengths.items():
        if path.startswith("claim.attributes."):
            value = _choice(draw, [(6, draw(st.sampled_from(amounts))), (1, None)])
            if value is not None:
                claim_attributes[path.split(".", 2)[2]] = value
    if claim_attributes:
        data["attributes"] = claim_attributes

    component: str | None = None
    if aimed is not None and aimed.components:
        component = _choice(draw, [(6, _one_of_values(draw, aimed.components)), (1, None)])
    elif aimed is not None:
        component = _choice(draw, [(3, None), (1, _one_of_values(draw, prof.components or (None,)))])
    elif prof.components:
        component = _choice(draw, [(3, None), (5, _one_of_values(draw, prof.components))])
    fault = _one_of_values(draw, prof.fault_codes)
    if prof.cause_codes:
        size = _choice(draw, [(6, 0), (3, 1), (1, 2)])
        data["cause_codes"] = draw(
            st.lists(st.sampled_from(prof.cause_codes), min_size=min(size, len(prof.cause_codes)),
                     max_size=min(size, len(prof.cause_codes)), unique=True)
        )

    # repairs
    anchor_day = failure if failure is not None else base + timedelta(days=200)
    earliest = min(base, anchor_day)
    scenarios: list[tuple[int, str]] = [(4, "none"), (3, "random")]
    if prof.repeated:
        scenarios.append((4, "repeated"))
    if prof.unrepaired:
        scenarios.append((3, "unrepaired"))
    scenario = _choice(draw, scenarios)
    repairs: list[dict[str, Any]] = []
    reported: datetime | None = None
    unrepaired_as_of: list[date] = []
    if scenario == "repeated":
        rule = _one_of_values(draw, prof.repeated)
        if rule.components:
            component = _one_of_values(draw, rule.components)
        start = earliest
        if rule.anchor is not None:
            start = _resolve_anchor(rule.anchor, dates) or earliest
        start = min(start, anchor_day)
        repairs = _repairs_for_rule(draw, prof, rule, anchor_day, start, fault, component)
    elif scenario == "unrepaired":
        urule = _one_of_values(draw, prof.unrepaired)
        bound = urule.more_than or urule.at_least
        days = _duration_days(bound) if bound is not None else 30
        handed = anchor_day + timedelta(days=_choice(draw, [(3, 0), (1, draw(st.integers(1, 3)))]))
        reported = _instant_on(draw, prof, handed)
        close = handed + timedelta(days=days + _choice(draw, [(2, 0), (2, 1), (2, -1), (1, 5)]))
        returned = _choice(draw, [(3, None), (3, max(close, handed))])
        repairs = [
            {
                "handed_over": handed,
                "returned": returned,
                "fault_code": fault,
                "fixed": _choice(draw, [(1, None), (1, False), (1, True)]),
                "delay_caused_by": _choice(
                    draw,
                    [
                        (3, {"parts_unavailable": "parts_supply", "repairer": "repairer"}.get(urule.cause)),
                        (1, "customer"),
                        (1, None),
                        (1, "force_majeure"),
                    ],
                ),
                "waiting_for_parts_days": _choice(draw, [(3, 0), (1, min(days, 90))]),
            }
        ]
        if component is not None:
            repairs[0]["component"] = component
        if returned is None:
            unrepaired_as_of = [close, max(close - _ONE_DAY, handed), close + _ONE_DAY]
    elif scenario == "random":
        repairs = _random_repairs(draw, prof, anchor_day, earliest)
    if repairs:
        data["repairs"] = repairs
    if component is not None:
        data["component"] = component
    if repairs or len(prof.fault_codes) > 2:
        data["fault_code"] = fault

    # a failure on an extended end (P7 / CONV-04); open repairs are closed first so
    # that the extension does not depend on as_of
    aims_at_extension = focus is not None and focus.term is not None and focus.term.extend
    if aims_at_extension and scenario == "random":
        for record in repairs:
            if record.get("returned") is None:
                record["returned"] = record["handed_over"] + timedelta(days=draw(st.integers(0, 20)))
    provisional_as_of = max([anchor_day, *(r["handed_over"] for r in repairs)]) + timedelta(days=30)
    extended = sorted(_extended_ends(prof, dates, attributes, repairs, provisional_as_of))
    if (
        extended
        and failure is not None
        and scenario != "unrepaired"
        and (_flag(draw, 1, 3) if aims_at_extension else _flag(draw, 2, 1))
    ):
        moved = _one_of_values(draw, extended)
        if moved >= max([failure, *(r["handed_over"] for r in repairs)]):
            failure = moved
    if failure is not None:
        data["failure_date"] = failure

    # report and resolution instants
    if reported is None and failure is not None and _flag(draw, 1, 6):
        reported = _instant_on(draw, prof, failure + timedelta(days=_choice(draw, [(4, 0), (1, draw(st.integers(1, 5)))])))
    loaner_days: list[date] = []
    if reported is not None:
        data["reported_at"] = reported
        resolved: datetime | None = None
        dues = [d for d in (_loaner_due(prof, r, reported) for r in prof.loaners) if d is not None]
        options: list[tuple[int, str]] = [(3, "none"), (2, "random")]
        if dues:
            options.append((4, "due"))
        how = _choice(draw, options)
        if how == "due":
            due = _one_of_values(draw, dues)
            resolved = due + _ONE_MINUTE * _choice(draw, [(2, 0), (2, -1), (2, 1), (1, draw(st.integers(-600, 600)))])
            loaner_days = [due.astimezone(prof.zone).date()]
        elif how == "random":
            resolved = reported + timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
        if resolved is not None:
            data["resolved_at"] = max(resolved, reported).astimezone(prof.zone)
        for due in dues:
            loaner_days.append(due.astimezone(prof.zone).date())

    # facts other rules read
    if prof.out_of_box and "out_of_box" not in data:
        data["out_of_box"] = _choice(draw, [(2, True), (2, False), (1, None)])
    if prof.uses_abnormal_life and "abnormal_life_certified" not in data:
        data["abnormal_life_certified"] = _choice(draw, [(2, True), (2, False), (1, None)])
    if prof.remedy_options:
        if "customer_choice" not in data:
            choice = _choice(draw, [(3, None), *((1, o) for o in prof.remedy_options)])
            if choice is not None:
                data["customer_choice"] = choice
        if prof.uses_depreciation and "same_model_available" not in data:
            data["same_model_available"] = _choice(draw, [(2, True), (2, False), (1, None)])
        if prof.uses_depreciation and failure is not None and _flag(draw, 1, 1):
            data["return_date"] = failure + timedelta(days=draw(st.integers(0, 30)))
    if prof.meters:
        readings: dict[str, Decimal] = {}
        for meter, limits in prof.meters.items():
            limit = _one_of_values(draw, limits)
            reading = _choice(
                draw,
                [
                    (2, limit),
                    (2, limit + 1),
                    (2, max(limit - 1, Decimal(0))),
                    (2, Decimal(draw(st.integers(0, int(limit) * 2 + 1)))),
                    (1, None),
                ],
            )
            if reading is not None:
                readings[meter] = reading
        if readings:
            data["meters"] = readings
    if prof.cost_lines and _flag(draw, 1, 2):
        lines = draw(st.lists(st.sampled_from(prof.cost_lines), min_size=1, unique=True))
        data["prices"] = {line: draw(_money(prof)) for line in lines}

    claim = parse_facts(Claim, data, name="claim")

    # as_of: on or after the failure and every hand-over
    floor = max([anchor_day, *([failure] if failure else []), *(r["handed_over"] for r in repairs)])
    as_of_options: list[tuple[int, date]] = [
        (2, floor),
        (2, floor + _ONE_DAY),
        (3, floor + timedelta(days=draw(st.integers(0, 800)))),
    ]
    for day in loaner_days + unrepaired_as_of:
        as_of_options.append((1, max(day, floor)))
        as_of_options.append((1, max(day + _ONE_DAY, floor)))
    as_of = _choice(draw, as_of_options)
    return ClaimExample(claim=claim, as_of=as_of)


def claims(policy: Policy) -> st.SearchStrategy[Claim]:
    """Valid :class:`~warrantykit.facts.Claim` facts for ``policy`` (see :func:`claim_examples`)."""
    return claim_examples(policy).map(lambda example: example.claim)


# ---------------------------------------------------------------- tickets


@dataclass(frozen=True)
class _MetricPlan:
    metric: Metric
    durations: tuple[Duration, ...]
    start_kind: str | None
    """``None``: opened; ``escalated:<c>`` or an event type."""


def _metric_plans(prof: PolicyProfile) -> list[_MetricPlan]:
    sla = prof.policy.document.sla
    if sla is None:
        return []
    out: list[_MetricPlan] = []
    for metric in sla.metrics:
        durations = tuple(dict.fromkeys(t.within for t in metric.targets))
        out.append(
            _MetricPlan(metric, durations, None if metric.starts == "opened" else metric.starts)
        )
    return out


def _close_of(cal: BusinessCalendar, day: date) -> datetime:
    intervals = cal.weekly.get(day.weekday()) or max(cal.weekly.values(), key=len)
    minute = max(iv.end_offset for iv in intervals)
    return datetime.combine(day, time(0), tzinfo=cal.tz) + timedelta(minutes=minute)


def _due(prof: PolicyProfile, metric: Metric, start: datetime, within: Duration) -> datetime | None:
    cal = prof.calendars.get(metric.calendar)
    if cal is None:
        return None
    try:
        if within.unit is Unit.WORKING_DAYS:
            day = cal.add_working_days(start.astimezone(cal.tz).date(), within.amount)
            return _close_of(cal, day)
        return cal.add(start, within.as_timedelta())
    except (WarrantykitError, ValueError, OverflowError):
        return None


def _event_type(kind: str) -> tuple[str, str | None] | None:
    """``escalated:<c>`` -> (escalated, c); a known event type -> (type, None)."""
    if kind.startswith("escalated:"):
        return "escalated", kind.split(":", 1)[1]
    if kind in {t.value for t in TicketEventType}:
        return kind, None
    return None


def _sanitize(events: list[tuple[datetime, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Chronological, with pauses paired and reopenings only of a resolved ticket."""
    out: list[dict[str, Any]] = []
    paused: str | None = None
    resolved = False
    for at, _, event in sorted(events, key=lambda item: (item[0], item[1])):
        kind = event["type"]
        if kind == "paused":
            if paused is not None:
                continue
            paused = event["reason"]
        elif kind == "resumed":
            if paused is None:
                continue
            event = {**event, "reason": paused}
            paused = None
        elif kind == "reopened":
            if not resolved:
                continue
            resolved = False
        elif kind == "resolved":
            resolved = True
        out.append({**event, "at": at})
    return out


def _ticket_day(draw: st.DrawFn, prof: PolicyProfile) -> date:
    options: list[tuple[int, str]] = [(3, "random")]
    if prof.special_days:
        options.append((2, "special"))
    if prof.clock_changes:
        options.append((2, "dst"))
    how = _choice(draw, options)
    if how == "special":
        return _one_of_values(draw, prof.special_days)
    if how == "dst":
        return _one_of_values(draw, prof.clock_changes).astimezone(prof.zone).date()
    return draw(_day_between(date(2019, 1, 1), date(2029, 12, 31)))


def ticket_examples(policy: Policy) -> st.SearchStrategy[TicketExample]:
    """Valid :class:`TicketExample` values for ``policy``, biased toward its SLA targets
    +-1 minute (see the module docstring).

    :raises ValueError: the policy has no ``sla:`` section (it decides no tickets).
    """
    if policy.document.sla is None:
        raise ValueError(f"policy {policy.id!r} has no 'sla:' section: it decides no tickets")
    return _ticket_examples(_Ref(policy))


@st.composite
def _ticket_examples(draw: st.DrawFn, ref: _Ref) -> TicketExample:
    policy = ref.policy
    prof = profile(policy)
    sla = policy.document.sla
    assert sla is not None
    opened = _instant_on(draw, prof, _ticket_day(draw, prof))
    data: dict[str, Any] = {"id": "T-1", "opened_at": opened}
    data["channel"] = _choice(draw, [(1, None), *((4, c) for c in sla.channels)])
    if sla.regions:
        data["region"] = _choice(draw, [(1, None), *((4, r) for r in sla.regions)])
    levels = [s.id for s in sla.severities]
    data["severity"] = _choice(draw, [(3, None), *((1, lvl) for lvl in levels)])
    for path, choices in prof.ticket_facts.items():
        value = _fact_value(draw, choices)
        if value is not None:
            _set_path(data, path.split(".")[1:], value)

    plans = _metric_plans(prof)
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    seq = 0

    def add(at: datetime, event: dict[str, Any]) -> None:
        nonlocal seq
        events.append((max(at, opened).astimezone(prof.zone), seq, event))
        seq += 1

    def offset() -> timedelta:
        return timedelta(minutes=_choice(draw, [(3, draw(st.integers(0, 60 * 24 * 3))), (1, 0), (1, draw(st.integers(0, 60 * 24 * 20)))]))

    # events that start clocks, escalate, pause, change the severity
    starters = sorted({p.start_kind for p in plans if p.start_kind is not None})
    escalations = sorted({step.channel for step in sla.escalation} | set(sla.channels))
    for _ in range(_choice(draw, [(3, 0), (3, 1), (2, 2), (1, 3)])):
        kinds: list[tuple[int, str]] = [(3, k) for k in starters]
        kinds += [(1, f"escalated:{c}") for c in escalations]
        if len(levels) > 1:
            kinds.append((1, "severity_changed"))
        kinds.append((1, "resolved"))
        kind = _choice(draw, kinds)
        at = opened + offset()
        if kind == "severity_changed":
            add(at, {"type": "severity_changed", "severity": _one_of_values(draw, levels)})
            continue
        parsed = _event_type(kind)
        if parsed is None:
            continue
        etype, to = parsed
        add(at, {"type": etype, **({"to": to} if to else {})})
    if sla.pause_reasons:
        for _ in range(_choice(draw, [(3, 0), (2, 1), (1, 2)])):
            reason = _one_of_values(draw, [r.id for r in sla.pause_reasons])
            at = opened + offset()
            add(at, {"type": "paused", "reason": reason})
            if _flag(draw, 1, 4):
                add(at + timedelta(minutes=draw(st.integers(0, 60 * 30))), {"type": "resumed", "reason": reason})

    # stop events at the deadlines +-1 minute
    dues: list[datetime] = []
    for plan in plans:
        start = opened
        if plan.start_kind is not None:
            parsed = _event_type(plan.start_kind)
            found = [
                at
                for at, _, e in events
                if parsed is not None
                and e["type"] == parsed[0]
                and (parsed[1] is None or e.get("to") == parsed[1])
            ]
            if not found:
                continue
            start = min(found)
        for within in plan.durations:
            due = _due(prof, plan.metric, start, within)
            if due is not None:
                dues.append(due)
        if not plan.durations:
            continue
        within = _one_of_values(draw, plan.durations)
        due = _due(prof, plan.metric, start, within)
        how = _choice(draw, [(4, "due"), (2, "random"), (2, "none")])
        stop_kinds = [plan.metric.stops, *([v] if (v := _fulfils(plan.metric)) else [])]
        stop = _event_type(_one_of_values(draw, stop_kinds))
        if stop is None or how == "none":
            continue
        if how == "due" and due is not None:
            at = due + _ONE_MINUTE * _choice(draw, [(2, 0), (2, -1), (2, 1)])
        else:
            at = start + offset()
        add(max(at, start), {"type": stop[0], **({"to": stop[1]} if stop[1] else {})})
        for end_kind in plan.metric.ends_on:
            parsed_end = _event_type(end_kind)
            if parsed_end is not None and _flag(draw, 3, 1):
                add(start + offset(), {"type": parsed_end[0], **({"to": parsed_end[1]} if parsed_end[1] else {})})
    if any(e["type"] == "resolved" for _, _, e in events) and _flag(draw, 3, 1):
        last = max(at for at, _, e in events if e["type"] == "resolved")
        add(last + timedelta(minutes=draw(st.integers(0, 60 * 24 * 3))), {"type": "reopened"})
    timeline = _sanitize(events)
    if timeline:
        data["events"] = timeline
    ticket = parse_facts(Ticket, data, name="ticket")

    last = timeline[-1]["at"] if timeline else opened
    as_of_options: list[tuple[int, datetime]] = [
        (2, last + timedelta(minutes=draw(st.integers(0, 60 * 24 * 5)))),
        (1, last),
        (2, opened + timedelta(minutes=draw(st.integers(0, 60 * 24 * 10)))),
    ]
    for due in dues:
        as_of_options.append((1, due + _ONE_MINUTE * draw(st.sampled_from((0, -1, 1)))))
    as_of = _choice(draw, as_of_options)
    as_of = as_of.astimezone(_choice(draw, [(3, prof.zone), (1, UTC)]))
    return TicketExample(ticket=ticket, as_of=as_of)


def _fulfils(metric: Metric) -> str | None:
    if not metric.obligation:
        return None
    return {"loaner": "loaner_provided", "parts_replacement": "parts_replaced", "report": "report_delivered"}.get(
        metric.kind
    )


def tickets(policy: Policy) -> st.SearchStrategy[Ticket]:
    """Valid :class:`~warrantykit.facts.Ticket` facts for ``policy`` (see :func:`ticket_examples`)."""
    return ticket_examples(policy).map(lambda example: example.ticket)


# ---------------------------------------------------------------- assets and schedules


def assets(policy: Policy) -> st.SearchStrategy[Asset]:
    """Valid :class:`~warrantykit.facts.Asset` facts for ``policy``: every anchor date and
    asset fact its ``schedule:`` (and the terms bounding it) need, its categories and
    components, dates on the boundaries described in the module docstring."""
    return _assets(_Ref(policy))


@st.composite
def _assets(draw: st.DrawFn, ref: _Ref) -> Asset:
    prof = profile(ref.policy)
    return parse_facts(Asset, _asset_data(draw, prof, for_schedule=True), name="asset")


def _schedule_edges(prof: PolicyProfile, asset: Asset) -> list[date]:
    edges: set[date] = set()
    attributes = {f"asset.attributes.{k}": v for k, v in asset.attributes.items()}
    for _info, start, end in _term_windows(prof, asset.dates, attributes).values():
        edges |= _near((start, end))
    for rule in prof.policy.document.schedule:
        anchor = _resolve_anchor(rule.anchor, asset.dates)
        if anchor is None:
            continue
        edges |= _near((anchor,))
        step = rule.every or (rule.phases[0].every if rule.phases else None)
        if step is not None:
            for k in (1, 2, 3, 12):
                edges |= _near((_shift(anchor, Duration(amount=step.amount * k, unit=step.unit)),))
        if rule.within is not None:
            edges |= _near((_shift(anchor, rule.within),))
    known = [d for d in (getattr(asset.dates, e) for e in AssetDates.model_fields) if d is not None]
    if known:
        first = min(known).year
        edges |= _season_edges(prof, first - 1, first + 4)
    return sorted(d for d in edges if date(2, 1, 1) <= d <= date(9998, 1, 1))


def schedule_examples(policy: Policy) -> st.SearchStrategy[ScheduleExample]:
    """Valid :class:`ScheduleExample` values for ``policy``: an asset from :func:`assets`,
    a horizon of up to six years, a performed log naming the policy's schedule rules
    and an optional ``as_of``, dates biased toward anchors, recurrence dates, season
    edges and term ends +-1 day."""
    return _schedule_examples(_Ref(policy))


@st.composite
def _schedule_examples(draw: st.DrawFn, ref: _Ref) -> ScheduleExample:
    prof = profile(ref.policy)
    asset = draw(_assets(ref))
    edges = _schedule_edges(prof, asset)
    known = [d for d in (getattr(asset.dates, e) for e in AssetDates.model_fields) if d is not None]
    anchor = min(known) if known else draw(_day_between(FIRST_DAY, LAST_DAY))
    start = _choice(
        draw,
        [
            (3, anchor - timedelta(days=draw(st.integers(0, 400)))),
            (2, _one_of_values(draw, edges) if edges else anchor),
            (1, anchor + timedelta(days=draw(st.integers(0, 800)))),
        ],
    )
    later = [d for d in edges if d >= start]
    end = _choice(
        draw,
        [
            (3, start + timedelta(days=draw(st.integers(0, 6 * 366)))),
            (2, _one_of_values(draw, later) if later else start),
            (1, start),
        ],
    )
    performed: list[PerformedWork] = []
    if prof.schedule_rules:
        for _ in range(_choice(draw, [(3, 0), (2, 1), (2, 2), (1, 5)])):
            rule = _one_of_values(draw, prof.schedule_rules)
            near = [d for d in edges if start - timedelta(days=60) <= d <= end + timedelta(days=60)]
            on = _choice(
                draw,
                [
                    (3, _one_of_values(draw, near) if near else start),
                    (2, draw(_day_between(start - timedelta(days=60), end + timedelta(days=60)))),
                ],
            )
            performed.append(PerformedWork(obligation=rule, on=on))
    as_of = _choice(
        draw,
        [
            (1, None),
            (1, end),
            (2, draw(_day_between(start, end))),
            (1, _one_of_values(draw, [w.on for w in performed]) if performed else None),
        ],
    )
    return ScheduleExample(
        asset=asset, start=start, end=end, performed=tuple(sorted(performed, key=lambda w: w.on)), as_of=as_of
    )
