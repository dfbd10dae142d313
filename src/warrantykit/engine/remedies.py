"""Remedy rules: what the customer gets for a covered failure (DOMAIN R1-R11).

Every rule kind of the policy language has one function here, named after it
(:func:`purchase_window`, :func:`repeated_repairs`, :func:`unrepaired`,
:func:`out_of_box`, :func:`abnormal_life`, :func:`loaner`), plus
:func:`depreciation` (CN-GEN-10/11). Each kind function answers, for one
claim, whether the rule's own trigger holds -- ``True``, ``False`` or
:class:`~warrantykit.engine.conditions.Unknown` with the missing fact paths --
and a sentence saying why. The common gates (``when``, ``terms``) are applied
by :func:`choose_remedy`.

Selection (:func:`choose_remedy`)
    The matching rule with the highest ``precedence`` wins (no precedence
    counts as 0; between equal precedences the earlier rule in the document
    wins -- the loader rejects overlaps it can detect). A rule whose trigger
    is unknown makes the decision undetermined only when it outranks the
    winner and would give different options. Without a matching rule the
    covering term's ``options`` apply, else repair (R1; ``exchange`` terms
    default to exchange or repair, P5).

The owed option
    The customer's ``customer_choice`` when it is one of the options, else the
    most favourable option (refund > new_product > exchange > replace >
    price_reduction > repair).

Windows are action deadlines (DT-12)
    A purchase window's last day (and the last day of its ``after`` bound)
    rolls off a holiday when the policy's ``counting.roll_forward`` has a mode,
    whatever its ``coverage_window`` flag says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from warrantykit.engine.conditions import Truth, Unknown, all_of, condition_for
from warrantykit.engine.decision import OPTION_RANK, DepreciationCharge, Loaner
from warrantykit.engine.periods import days_out_of_service, period_last_day
from warrantykit.engine.terms import (
    MEMO_SIZE,
    ClaimFacts,
    TermEval,
    business_calendar,
    compile_anchor,
    roll_day,
)
from warrantykit.errors import EvaluationError
from warrantykit.facts import AssetDates, RepairRecord
from warrantykit.money import Money
from warrantykit.policies.conditions import Condition
from warrantykit.policies.durations import Duration, Unit
from warrantykit.policies.models import (
    AbnormalLifeRemedy,
    Anchor,
    Depreciation,
    LoanerRemedy,
    OutOfBoxRemedy,
    PurchaseWindowRemedy,
    RemedyRule,
    RepeatedRepairsRemedy,
    RollForward,
    UnrepairedRemedy,
)

if TYPE_CHECKING:
    from warrantykit.engine.compiled import Policy

__all__ = [
    "RemedyCheck",
    "RemedyPlan",
    "RemedyPlans",
    "RemedyState",
    "abnormal_life",
    "best_option",
    "compile_remedies",
    "depreciation",
    "loaner",
    "out_of_box",
    "purchase_window",
    "render_why",
    "repeated_repairs",
    "unrepaired",
]

_CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)

RemedyCheck = tuple[Truth, str]
"""(trigger holds?, why) -- the answer of one rule-kind function."""

Why = str | Callable[[], str]
"""Why a trigger holds or not: a sentence, or a function writing it (called only when shown)."""

Desc = str | tuple[str, date]
"""How an anchor was found: a text, or ``(label, day)`` written ``label YYYY-MM-DD`` on demand."""


def render_why(why: Why) -> str:
    """The sentence of a :data:`Why`."""
    return why if isinstance(why, str) else why()


def _desc(desc: Desc) -> str:
    if isinstance(desc, str):
        return desc
    return f"{desc[0]} {desc[1].isoformat()}"


@dataclass(slots=True)
class RemedyState:
    """What the remedy functions know besides the facts."""

    policy: Policy
    covering: tuple[TermEval, ...]
    """Terms covering the failure (empty once the warranty has ended)."""
    applicable: tuple[TermEval, ...]
    """Every term whose selector matches the claim."""
    zone: ZoneInfo
    counting_roll: RollForward
    start_day: str
    month_end: Any
    window_end: date | None = None

    def in_force(self, kind: str) -> tuple[TermEval, ...]:
        """The terms a remedy rule's ``terms:`` gate looks at ("only while one of these
        terms applies", models.RemedyBase.terms).

        For ``abnormal_life`` (after the warranty) every term whose selector matches;
        otherwise the warranty terms covering the failure plus the ``cost_cover`` terms
        (free on-site service, ...) that run on the failure date, so that "a backup unit
        within the service period" can name the on-site term.
        """
        if kind == "abnormal_life":
            return self.applicable
        extra = tuple(
            e for e in self.applicable if e.plan.kind == "cost_cover" and e.covers_failure is True
        )
        return self.covering + extra if extra else self.covering

    def terms_hold(self, kind: str, terms: frozenset[str] | tuple[str, ...]) -> bool:
        """Whether one of ``terms`` is in force for a rule of ``kind`` (:meth:`in_force`)."""
        return any(t.plan.id in terms for t in self.in_force(kind))

    def default_anchor(self) -> tuple[date | None, tuple[str, ...], str]:
        """Start of the covering (else first applicable) term, for rules without an anchor."""
        day, missing, desc = self._default_anchor()
        return day, missing, _desc(desc)

    def _default_anchor(self) -> tuple[date | None, tuple[str, ...], Desc]:
        for group in (self.covering, self.applicable):
            for term in group:
                if term.start is not None:
                    return term.start, (), (f"start of term {term.id}", term.start)
        missing: tuple[str, ...] = ()
        for term in self.applicable:
            missing += term.missing
        return None, missing or ("claim.asset.dates",), ""


# ---------------------------------------------------------------- helpers


def _local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _last_day(
    state: RemedyState, start: date, duration: Duration, *, roll: bool
) -> date:
    """Last day of ``duration`` counted from ``start`` (DT-02/03); rolled when asked."""
    unit = duration.unit
    if unit is Unit.WORKING_DAYS:
        calendar_name = state.counting_roll.calendar
        if calendar_name is None:
            raise EvaluationError(
                f"'{duration}' needs a business calendar; set counting.roll_forward.calendar"
            )
        day = business_calendar(state.policy, calendar_name).add_working_days(start, duration.amount)
    elif unit in (Unit.MINUTES, Unit.HOURS):
        raise EvaluationError(f"a remedy window of {duration} is not counted in days")
    else:
        day = period_last_day(
            start,
            duration.amount,
            unit.value,  # type: ignore[arg-type]
            start_day=state.start_day,  # type: ignore[arg-type]
            month_end=state.month_end,
        )
    if roll and state.counting_roll.mode != "none":
        day = roll_day(state.policy, state.counting_roll, day, None)
    return day


AnchorDescFn = Callable[[AssetDates], tuple[date | None, tuple[str, ...], Desc]]


def _lazy_anchor(anchor: Anchor, month_end: Any) -> AnchorDescFn:
    """``anchor`` compiled; a plain event is described only when the text is shown."""
    if anchor.event is not None and anchor.offset is None and anchor.fallback is None:
        event = anchor.event.value
        paths = (f"claim.asset.dates.{event}",)
        unknown = f"{event} (unknown)"

        def resolve_event(dates: AssetDates) -> tuple[date | None, tuple[str, ...], Desc]:
            value: date | None = getattr(dates, event)
            if value is None:
                return None, paths, unknown
            return value, (), (event, value)

        return resolve_event
    full = compile_anchor(anchor, month_end=month_end)

    def resolve(dates: AssetDates) -> tuple[date | None, tuple[str, ...], Desc]:
        return full(dates)

    return resolve


_DELIVERY: Final = Anchor.model_validate("delivery")


def best_option(options: tuple[str, ...]) -> str:
    """The most favourable option to the customer (see :data:`OPTION_RANK`)."""
    return max(options, key=lambda o: OPTION_RANK.get(o, 0))


# ---------------------------------------------------------------- rule kinds
#
# Each public kind function answers with a sentence; the engine calls the
# ``_kind`` twin through the rule's compiled plan, which answers with a
# :data:`Why` so that sentences nobody reads are never written.


def purchase_window(rule: PurchaseWindowRemedy, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """R3/R4, CN-GEN-04/05: a failure in the first days after purchase.

    Day ``k`` is the k-th day after the anchor (the anchor day itself is day
    0, DT-02). "Within 7 days" includes day 7 (DT-06); ``after: 7 days``
    excludes it, so ``{after: 7 days, within: 15 days}`` is days 8..15. The
    last days are counted with :func:`period_last_day` (months clip, DT-03)
    and rolled off holidays when the policy sets a roll-forward mode (an
    action deadline, DT-12).
    """
    result, why = _purchase_window(_plan_of(state.policy, rule), facts, state)
    return result, render_why(why)


def _purchase_window(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> tuple[Truth, Why]:
    window = plan.rule.window
    assert plan.anchor_fn is not None
    anchor, missing, desc = plan.anchor_fn(facts.dates)
    fd = facts.failure_date
    if anchor is None:
        return Unknown(missing), "purchase-window anchor unknown"
    if fd is None:
        return facts.failure_unknown, "failure date unknown"
    within = plan.within_days
    if within is not None:  # a window in days, not rolled: the arithmetic is the day number
        try:
            last = anchor + within
        except OverflowError:
            last = plan.last_day(state, anchor, window.within, True)  # raises the EvaluationError
    else:
        last = plan.last_day(state, anchor, window.within, True)
    state.window_end = last
    if fd < anchor:
        return False, lambda: f"failure {fd.isoformat()} is before {_desc(desc)}"
    if fd > last:
        return False, lambda: (
            f"failure {fd.isoformat()} is after the window ending {last.isoformat()} "
            f"({window.within} from {_desc(desc)})"
        )
    if window.after is not None:
        after = plan.after_days
        lower = anchor + after if after is not None else plan.last_day(state, anchor, window.after, True)
        if fd <= lower:
            return False, lambda: (
                f"failure {fd.isoformat()} is not after {window.after} from {_desc(desc)} "
                f"(day {lower.isoformat()})"
            )

    def held() -> str:
        if window.after is not None:
            span = f"after {window.after} and within {window.within}"
        else:
            span = f"within {window.within}"
        return (
            f"failure {fd.isoformat()} is day {(fd - anchor).days} after {_desc(desc)}, {span} "
            f"(window ends {last.isoformat()})"
        )

    return True, held


def _fault_match(rule: RepeatedRepairsRemedy, facts: ClaimFacts, i: int, record: RepairRecord) -> Truth:
    claim = facts.claim
    checks: list[Truth] = []
    if rule.same in ("fault", "fault_and_component"):
        checks.append(_same(i, "fault_code", record.fault_code, claim.fault_code))
    if rule.same in ("component", "fault_and_component"):
        checks.append(_same(i, "component", record.component, claim.component))
    return all_of(checks)


def _same(i: int, field: str, recorded: str | None, claimed: str | None) -> Truth:
    """Whether repair record ``i`` has the claim's ``field``; unknown while either is missing."""
    if recorded is None:
        return Unknown((f"claim.repairs[{i}].{field}",))
    if claimed is None:
        return Unknown((f"claim.{field}",))
    return recorded == claimed


def repeated_repairs(
    rule: RepeatedRepairsRemedy, facts: ClaimFacts, state: RemedyState
) -> RemedyCheck:
    """R2, R5, R6, CN-GEN-06, CN-AUTO-09..12: replacement after N repairs of the same fault.

    Counted: repair records handed over on or before the failure date (and on
    or before ``as_of``) that match the claim by ``same`` (fault code,
    component, both, or any repair). With ``within``, only repairs handed over
    inside ``within`` of ``anchor`` (default: start of the covering term)
    count and the failure must lie inside it too. ``consecutive``: only the
    unbroken run of unfixed (``fixed: false``) repairs of that fault ending
    with the most recent one counts; a fixed repair of the fault breaks it.
    ``comparison``: ``at_least`` (N repairs) or ``more_than`` (超过 N, strict,
    DT-06). ``still_failing``: the most recent counted repair left the fault
    (``fixed: false``) or the failure is on/after its return.
    Unknown fault codes or ``fixed`` flags make the answer unknown only when
    they could change the count across the threshold.
    """
    result, why = _repeated_repairs(_plan_of(state.policy, rule), facts, state)
    return result, render_why(why)


def _anchor_of(plan: RemedyPlan, state: RemedyState, facts: ClaimFacts) -> tuple[date | None, tuple[str, ...], Desc]:
    if plan.anchor_fn is None:
        return state._default_anchor()
    return plan.anchor_fn(facts.dates)


def _repeated_repairs(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> tuple[Truth, Why]:
    rule: RepeatedRepairsRemedy = plan.rule
    claim = facts.claim
    fd = facts.failure_date
    if fd is None:
        return facts.failure_unknown, "failure date unknown"
    if rule.components is not None:
        if claim.component is None:
            return Unknown(("claim.component",)), "component unknown"
        if claim.component not in rule.components:
            return False, f"component {claim.component} is not one of {', '.join(rule.components)}"
    lower: date | None = None
    upper: date | None = None
    desc: Desc = ""
    if rule.within is not None:
        lower, missing, desc = _anchor_of(plan, state, facts)
        if lower is None:
            return Unknown(missing), "repair-count anchor unknown"
        upper = plan.last_day(state, lower, rule.within, False)
        if not lower <= fd <= upper:
            return False, lambda: f"failure {fd.isoformat()} is outside {rule.within} from {_desc(desc)}"
    as_of = facts.as_of
    records = sorted(
        (
            (i, r)
            for i, r in enumerate(claim.repairs)
            if r.handed_over <= fd
            and r.handed_over <= as_of
            and (lower is None or r.handed_over >= lower)
            and (upper is None or r.handed_over <= upper)
        ),
        key=lambda item: item[1].handed_over,
    )
    if not records:  # nothing to count (count >= 1)
        return False, lambda: _repairs_text(rule, 0, lower is not None, desc, met=False)
    matched: list[tuple[int, RepairRecord, Truth]] = [
        (i, r, True if rule.same == "any" else _fault_match(rule, facts, i, r)) for i, r in records
    ]
    missing_paths: list[str] = []
    if rule.consecutive:
        low = high = 0
        low_open = True
        for i, record, match in reversed(matched):
            if match is False:
                continue
            fixed = record.fixed
            if match is True and fixed is True:
                break
            if isinstance(match, Unknown):
                missing_paths.extend(match.missing)
            if fixed is None:
                missing_paths.append(f"claim.repairs[{i}].fixed")
            definite = match is True and fixed is False
            if low_open:
                if definite:
                    low += 1
                else:
                    low_open = False
            if fixed is not True:
                high += 1
    else:
        low = sum(1 for _, _, m in matched if m is True)
        high = sum(1 for _, _, m in matched if m is not False)
        for _, _, m in matched:
            if isinstance(m, Unknown):
                missing_paths.extend(m.missing)
    more = rule.comparison == "more_than"
    count = rule.count
    if not (high > count if more else high >= count):
        return False, lambda: _repairs_text(rule, low, lower is not None, desc, met=False)
    if not (low > count if more else low >= count):
        return Unknown(tuple(dict.fromkeys(missing_paths))), f"repair count unknown ({low}..{high})"
    if rule.still_failing:
        counted = [(i, r) for i, r, m in matched if m is True]
        i, last = counted[-1]
        if last.fixed is False or (last.returned is not None and fd >= last.returned):
            return True, lambda: (
                _repairs_text(rule, low, lower is not None, desc, met=True)
                + f"; still failing after the repair of {last.handed_over.isoformat()}"
            )
        if last.fixed is None:
            return Unknown((f"claim.repairs[{i}].fixed",)), "whether the last repair fixed it is unknown"
        return False, lambda: f"the repair of {last.handed_over.isoformat()} fixed the fault"
    return True, lambda: _repairs_text(rule, low, lower is not None, desc, met=True)


def _repairs_text(rule: RepeatedRepairsRemedy, low: int, within: bool, desc: Desc, *, met: bool) -> str:
    word = "more than" if rule.comparison == "more_than" else "at least"
    kind = "consecutive unfixed repairs" if rule.consecutive else "repairs"
    span = f" within {rule.within} from {_desc(desc)}" if within else ""
    if met:
        return f"{low} {kind} of the same {rule.same}{span} ({word} {rule.count})"
    return f"{low} {kind} of the same {rule.same}{span}; needs {word} {rule.count}"


def _latest_repair(facts: ClaimFacts) -> tuple[int, RepairRecord] | None:
    best: tuple[int, RepairRecord] | None = None
    for i, record in enumerate(facts.claim.repairs):
        if record.handed_over > facts.as_of:
            continue
        if best is None or record.handed_over >= best[1].handed_over:
            best = (i, record)
    return best


def unrepaired(rule: UnrepairedRemedy, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """R6, CN-GEN-07/08, US-CA-04: replacement when the unit stays unrepaired too long.

    The repair in question is the most recent repair record (handed over on or
    before ``as_of``); without one, a rule counted from the hand-over or with a
    ``cause`` does not hold (an empty repair list is a known fact). Time runs from the report (``claim.reported_at``, as a
    date in the policy's zone for day-based limits) or from that repair's
    hand-over, to its return / ``claim.resolved_at``, else to ``as_of``.
    ``more_than: 30 days`` is strict (day 31 and later, DT-06/CONV-02);
    ``at_least`` includes the limit. ``cause`` checks the repair's
    ``delay_caused_by`` (``parts_unavailable`` = ``parts_supply``,
    ``repairer``). With ``within``, the failure must lie within it of
    ``anchor`` (default: start of the covering term).
    """
    result, why = _unrepaired(_plan_of(state.policy, rule), facts, state)
    return result, render_why(why)


def _unrepaired(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> tuple[Truth, Why]:
    rule: UnrepairedRemedy = plan.rule
    claim = facts.claim
    zone = state.zone
    if rule.within is not None:
        fd = facts.failure_date
        if fd is None:
            return facts.failure_unknown, "failure date unknown"
        lower, missing, desc = _anchor_of(plan, state, facts)
        if lower is None:
            return Unknown(missing), "anchor unknown"
        upper = plan.last_day(state, lower, rule.within, False)
        if not lower <= fd <= upper:
            return False, lambda: f"failure {fd.isoformat()} is outside {rule.within} from {_desc(desc)}"
    latest = _latest_repair(facts)
    if latest is None and (rule.counted_from == "handed_over" or rule.cause != "any"):
        # an empty repair list is known: the unit was never handed over for repair
        return False, "no repair recorded"
    cause_ok: Truth = True
    if rule.cause != "any":
        wanted = "parts_supply" if rule.cause == "parts_unavailable" else "repairer"
        assert latest is not None
        if latest[1].delay_caused_by is None:
            cause_ok = Unknown((f"claim.repairs[{latest[0]}].delay_caused_by",))
        else:
            cause_ok = latest[1].delay_caused_by == wanted
        if cause_ok is False:
            assert latest is not None
            return False, f"the delay was caused by {latest[1].delay_caused_by}, not {wanted}"
    limit = rule.more_than if rule.more_than is not None else rule.at_least
    assert limit is not None
    strict = rule.more_than is not None
    end_of_as_of = _end_of_day(facts.as_of, zone)
    resolved = claim.resolved_at if claim.resolved_at is not None and claim.resolved_at <= end_of_as_of else None
    if rule.counted_from == "report":
        if claim.reported_at is None:
            return Unknown(("claim.reported_at",)), "report time unknown"
        start_instant: datetime | None = claim.reported_at
        start_day = _local_date(claim.reported_at, zone)
        end_instant = resolved if resolved is not None else end_of_as_of
        end_day = _local_date(resolved, zone) if resolved is not None else facts.as_of
        origin = f"the report on {start_day.isoformat()}"
    else:
        assert latest is not None
        record = latest[1]
        start_instant = None
        start_day = record.handed_over
        returned = record.returned if record.returned is not None and record.returned <= facts.as_of else None
        end_day = returned if returned is not None else facts.as_of
        end_instant = _end_of_day(end_day, zone) if returned is None else datetime.combine(end_day, time(0), tzinfo=zone)
        origin = f"hand-over on {start_day.isoformat()}"
    if limit.unit in (Unit.MINUTES, Unit.HOURS):
        begin = start_instant if start_instant is not None else datetime.combine(start_day, time(0), tzinfo=zone)
        elapsed = end_instant.astimezone(UTC) - begin.astimezone(UTC)
        hit = elapsed > limit.as_timedelta() if strict else elapsed >= limit.as_timedelta()
        measure = f"{elapsed} since {origin}"
    else:
        last = plan.last_day(state, start_day, limit, False)
        hit = end_day > last if strict else end_day >= last
        measure = f"{(end_day - start_day).days} days since {origin} (until {end_day.isoformat()})"
    word = "more than" if strict else "at least"
    if not hit:
        return False, f"{measure}; not {word} {limit}"
    if isinstance(cause_ok, Unknown):
        return cause_ok, "cause of the delay unknown"
    cause = "" if rule.cause == "any" else f", delay caused by {rule.cause.replace('_', ' ')}"
    return True, f"{measure}: {word} {limit}{cause}"


def out_of_box(rule: OutOfBoxRemedy, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """R9: a defect found when the box is opened (``claim.out_of_box``).

    With ``within``, the report (``claim.reported_at`` as a local date, else the
    failure date) must lie within it of ``anchor`` (default: delivery).
    """
    result, why = _out_of_box(_plan_of(state.policy, rule), facts, state)
    return result, render_why(why)


def _out_of_box(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> tuple[Truth, Why]:
    rule: OutOfBoxRemedy = plan.rule
    flag = facts.claim.out_of_box
    if flag is None:
        return Unknown(("claim.out_of_box",)), "out-of-box unknown"
    if flag is False:
        return False, "not an out-of-box defect"
    if rule.within is None:
        return True, "defect found when the box was opened"
    assert plan.anchor_fn is not None
    anchor, missing, desc = plan.anchor_fn(facts.dates)
    if anchor is None:
        return Unknown(missing), "delivery date unknown"
    reported = facts.claim.reported_at
    day = _local_date(reported, state.zone) if reported is not None else facts.failure_date
    if day is None:
        return Unknown(("claim.reported_at",)), "report date unknown"
    last = plan.last_day(state, anchor, rule.within, True)
    if day > last:
        return False, lambda: f"reported {day.isoformat()}, after {rule.within} from {_desc(desc)}"
    return True, lambda: (
        f"defect found when the box was opened, reported {day.isoformat()} "
        f"within {rule.within} from {_desc(desc)}"
    )


def abnormal_life(rule: AbnormalLifeRemedy, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """R10: after the warranty, a part failing far earlier than its normal life.

    Only once no term covers the failure any more (``after_warranty_only``)
    and, with ``requires_certification``, when ``claim.abnormal_life_certified``
    is true (an authority certified it).
    """
    result, why = _abnormal_life(_plan_of(state.policy, rule), facts, state)
    return result, render_why(why)


def _abnormal_life(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> tuple[Truth, Why]:
    rule: AbnormalLifeRemedy = plan.rule
    if rule.after_warranty_only and state.covering:
        return False, "the warranty still runs"
    if rule.requires_certification:
        certified = facts.claim.abnormal_life_certified
        if certified is None:
            return Unknown(("claim.abnormal_life_certified",)), "certification unknown"
        if certified is False:
            return False, "no certification of an abnormally short life"
        return True, "an authority certified an abnormally short life after the warranty ended"
    return True, "abnormally short life after the warranty ended"


def loaner(
    rule: LoanerRemedy, facts: ClaimFacts, state: RemedyState, source_policy: Policy
) -> Loaner:
    """R7, R8, CN-AUTO-06: a loaner (backup unit, spare part) when unresolved too long.

    ``due`` = ``claim.reported_at`` + ``after`` on the rule's calendar (default
    ``7x24``: real elapsed time); ``deliver_by`` = ``due`` + ``deliver_within``
    on the same calendar. The obligation is *owed* when the claim was still
    unresolved at ``due``: ``resolved_at`` after ``due``, or no resolution by
    the end of the ``as_of`` day in the policy's zone (``overdue``); *pending*
    when ``due`` lies after that; *not_owed* when resolved by ``due``.
    """
    calendar_name = rule.calendar or "7x24"
    base: dict[str, Any] = {
        "rule": rule.id,
        "clause": rule.clause,
        "provides": rule.provides,
        "calendar": calendar_name,
    }
    reported = facts.claim.reported_at
    if reported is None:
        return Loaner(
            **base,
            due=None,
            deliver_by=None,
            state="undetermined",
            overdue=None,
            missing=("claim.reported_at",),
        )
    calendar = business_calendar(source_policy, calendar_name)
    due = _add(calendar, reported, rule.after)
    deliver_by = _add(calendar, due, rule.deliver_within) if rule.deliver_within else None
    end_of_as_of = _end_of_day(facts.as_of, state.zone)
    resolved = facts.claim.resolved_at
    if resolved is not None and resolved > end_of_as_of:
        resolved = None  # not yet known on as_of
    if resolved is not None:
        owed = resolved > due
        status = "owed" if owed else "not_owed"
    else:
        owed = end_of_as_of > due
        status = "owed" if owed else "pending"
    return Loaner(**base, due=due, deliver_by=deliver_by, state=status, overdue=owed)


def _add(calendar: Any, instant: datetime, duration: Duration) -> datetime:
    if duration.unit in (Unit.MONTHS, Unit.YEARS, Unit.WORKING_DAYS):
        raise EvaluationError(f"a loaner delay of {duration} is not supported; use hours or days")
    delta = duration.as_timedelta()
    if calendar.continuous:
        result: datetime = (instant.astimezone(UTC) + delta).astimezone(calendar.tz)
        return result
    added: datetime = calendar.add(instant, delta)
    return added


def depreciation(
    spec: Depreciation, facts: ClaimFacts
) -> tuple[DepreciationCharge | None, tuple[str, ...]]:
    """CN-GEN-10/11, CONV-05: depreciation = price x daily rate x days used.

    Days used = ``claim.return_date`` - ``claim.asset.dates.invoice`` - the days
    out of service (CONV-03; an unreturned repair counts to the return date)
    and waiting-for-parts days of repairs handed over between the two, never
    below 0. The daily rate is the policy's rate for ``claim.asset.category``.
    The amount is quantized half-even to the cent and never exceeds the price.
    Returns the charge, or the missing fact paths.
    """
    claim = facts.claim
    asset = facts.asset
    missing: list[str] = []
    if asset.price is None:
        missing.append("claim.asset.price")
    if facts.dates.invoice is None:
        missing.append("claim.asset.dates.invoice")
    if claim.return_date is None:
        missing.append("claim.return_date")
    if asset.category is None:
        missing.append("claim.asset.category")
    if missing:
        return None, tuple(missing)
    assert asset.price is not None and facts.dates.invoice is not None
    assert claim.return_date is not None and asset.category is not None
    rate = spec.daily_rate_percent.get(asset.category)
    if rate is None:
        raise EvaluationError(
            f"no depreciation rate for category {asset.category!r}; the policy lists "
            + ", ".join(sorted(spec.daily_rate_percent))
        )
    invoice, returned = facts.dates.invoice, claim.return_date
    excluded = 0
    for record in claim.repairs:
        if not invoice <= record.handed_over <= returned:
            continue
        back = record.returned if record.returned is not None and record.returned <= returned else returned
        excluded += days_out_of_service(record.handed_over, back) + record.waiting_for_parts_days
    days = max(0, (returned - invoice).days - excluded)
    price = asset.price
    amount = (price.amount * rate / _HUNDRED * days).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    if amount > price.amount:
        amount = price.amount
    charge = Money.model_construct(amount=amount, currency=price.currency)
    refund = Money.model_construct(amount=price.amount - amount, currency=price.currency)
    return DepreciationCharge(days=days, daily_rate_percent=rate, amount=charge, refund=refund), ()


# ---------------------------------------------------------------- plans

KindFn = Callable[["RemedyPlan", ClaimFacts, RemedyState], tuple[Truth, Why]]

_KINDS: Final[dict[str, KindFn]] = {
    "purchase_window": _purchase_window,
    "repeated_repairs": _repeated_repairs,
    "unrepaired": _unrepaired,
    "out_of_box": _out_of_box,
    "abnormal_life": _abnormal_life,
}

_MEMO_LIMIT: Final = MEMO_SIZE


class RemedyPlan:
    """One remedy rule compiled: its gates, its kind function, its anchor and its source."""

    __slots__ = (
        "after_days",
        "anchor_fn",
        "check",
        "check_first",
        "clause",
        "id",
        "index",
        "kind",
        "option_set",
        "options",
        "precedence",
        "rule",
        "source",
        "terms",
        "when",
        "within_days",
        "_days",
    )

    def __init__(self, policy: Policy, rule: RemedyRule, index: int) -> None:
        self.rule: Any = rule
        self.id = rule.id
        self.index = index
        self.kind = rule.kind
        self.clause = rule.clause
        self.precedence = rule.precedence if rule.precedence is not None else 0
        self.source = str(policy.source_of(rule.id))
        self.terms: frozenset[str] | None = frozenset(rule.terms) if rule.terms is not None else None
        self.when = condition_for(policy, rule.when) if rule.when is not None else None
        self.check: KindFn | None = _KINDS.get(rule.kind)
        self.options = tuple(o.value for o in rule.options)
        self.option_set = frozenset(self.options)
        if isinstance(rule, PurchaseWindowRemedy):
            anchor: Anchor | None = rule.window.anchor
        elif isinstance(rule, OutOfBoxRemedy):
            anchor = rule.anchor or _DELIVERY
        else:
            anchor = getattr(rule, "anchor", None)
        month_end = policy.document.counting.month_end
        self.anchor_fn = _lazy_anchor(anchor, month_end) if anchor is not None else None
        self._days: dict[tuple[date, int, bool], date] = {}
        # days-only purchase windows without roll-forward: the last days are anchor + n
        # (DT-02: "within 7 days" of D ends on D + 7; D + 6 when the start day counts)
        self.within_days: timedelta | None = None
        self.after_days: timedelta | None = None
        counting = policy.document.counting
        if isinstance(rule, PurchaseWindowRemedy) and counting.roll_forward.mode == "none":
            self.within_days = _day_span(rule.window.within, counting.start_day)
            if rule.window.after is not None:
                self.after_days = _day_span(rule.window.after, counting.start_day)
                if self.after_days is None:
                    self.within_days = None
        # a purchase window in days is a cheap test: try it before the `when` gate
        self.check_first = (
            isinstance(rule, PurchaseWindowRemedy)
            and all(
                d.unit in (Unit.DAYS, Unit.WEEKS)
                for d in (rule.window.within, rule.window.after)
                if d is not None
            )
            and _never_raises(rule.when)
        )

    def last_day(self, state: RemedyState, start: date, duration: Duration, roll: bool) -> date:
        """:func:`_last_day` of one of this rule's durations, memoised per start day."""
        key = (start, id(duration), roll)
        day = self._days.get(key)
        if day is None:
            day = _last_day(state, start, duration, roll=roll)
            if len(self._days) >= _MEMO_LIMIT:
                self._days.clear()
            self._days[key] = day
        return day

    def gate(
        self,
        facts: ClaimFacts,
        state: RemedyState,
        when: Callable[[RemedyPlan], Truth] | None = None,
    ) -> Truth:
        """The rule's ``terms`` and ``when`` gates (``when``: answers the rule's ``when``
        instead of its compiled condition, asked only if the ``terms`` gate holds)."""
        if self.terms is not None and not state.terms_hold(self.kind, self.terms):
            return False
        if when is not None:
            return when(self)
        if self.when is None:
            return True
        return self.when(facts.env)


@dataclass(frozen=True, slots=True)
class RemedyPlans:
    rules: tuple[RemedyPlan, ...]
    """Non-loaner rules, by descending precedence then document order."""
    loaners: tuple[RemedyPlan, ...]


def compile_remedies(policy: Policy) -> RemedyPlans:
    """The policy's remedy rules compiled once."""

    def build(p: Policy) -> RemedyPlans:
        plans = [RemedyPlan(p, rule, i) for i, rule in enumerate(p.document.remedies)]
        rules = sorted(
            (x for x in plans if x.kind != "loaner"), key=lambda x: (-x.precedence, x.index)
        )
        return RemedyPlans(
            rules=tuple(rules), loaners=tuple(x for x in plans if x.kind == "loaner")
        )

    result: RemedyPlans = policy.compiled("engine.remedies", build)
    return result


def _plan_of(policy: Policy, rule: RemedyRule) -> RemedyPlan:
    """The compiled plan of ``rule`` (a rule of ``policy``, or compiled on the spot)."""
    plans = compile_remedies(policy)
    for plan in plans.rules + plans.loaners:
        if plan.rule is rule:
            return plan
    return RemedyPlan(policy, rule, -1)


def run_rule(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> tuple[Truth, Why]:
    """Gates and kind trigger of one rule (Kleene AND); the why is written on demand.

    A rule whose ``when`` cannot raise and whose trigger is a cheap date
    comparison (:attr:`RemedyPlan.check_first`) tests the trigger first: when it
    fails, the gate is not needed.  The answer is the same either way.
    """
    if plan.terms is not None and not state.terms_hold(plan.kind, plan.terms):
        return False, "gate"
    when = plan.when
    check = plan.check
    assert check is not None
    if plan.check_first:
        state.window_end = None
        try:
            result, why = check(plan, facts, state)
        except EvaluationError:
            # the gate first, as without the shortcut: a closed gate hides the error
            if when is not None and when(facts.env) is False:
                return False, "gate"
            raise
        if result is False:
            return False, why
        gate = True if when is None else when(facts.env)
        if gate is False:
            return False, "gate"
    else:
        gate = True if when is None else when(facts.env)
        if gate is False:
            return False, "gate"
        state.window_end = None
        result, why = check(plan, facts, state)
        if result is False:
            return False, why
    if gate is True:
        return result, why
    return all_of((gate, result)), why


_QUIET_OPERATORS: Final = frozenset({"eq", "ne", "in", "not_in", "exists"})


def _day_span(duration: Duration, start_day: str) -> timedelta | None:
    """The span from the anchor to the last day of ``duration`` when it is counted in days
    (what :func:`period_last_day` gives for days and weeks), else ``None``."""
    if duration.unit not in (Unit.DAYS, Unit.WEEKS):
        return None
    days = duration.amount * (7 if duration.unit is Unit.WEEKS else 1)
    return timedelta(days=days - 1 if start_day == "included" else days)


def _never_raises(cond: Condition | None) -> bool:
    """Whether evaluating ``cond`` can never raise (only equality and existence tests)."""
    if cond is None:
        return True
    if cond.fact is not None:
        return cond.operator in _QUIET_OPERATORS
    if cond.not_ is not None:
        return _never_raises(cond.not_)
    return all(_never_raises(c) for c in (cond.all_ or cond.any_ or ()))
