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
    AnchorFn,
    ClaimFacts,
    TermEval,
    business_calendar,
    compile_anchor,
    roll_day,
)
from warrantykit.errors import EvaluationError
from warrantykit.facts import RepairRecord
from warrantykit.money import Money
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
    "repeated_repairs",
    "unrepaired",
]

_CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)

RemedyCheck = tuple[Truth, str]
"""(trigger holds?, why) -- the answer of one rule-kind function."""


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

    def default_anchor(self) -> tuple[date | None, tuple[str, ...], str]:
        """Start of the covering (else first applicable) term, for rules without an anchor."""
        for group in (self.covering, self.applicable):
            for term in group:
                if term.start is not None:
                    return term.start, (), f"start of term {term.id} {term.start.isoformat()}"
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


def _anchor_of(
    state: RemedyState, facts: ClaimFacts, anchor: Anchor | None
) -> tuple[date | None, tuple[str, ...], str]:
    if anchor is None:
        return state.default_anchor()
    return _anchor_fn(state, anchor)(facts.dates)


_DELIVERY: Final = Anchor.model_validate("delivery")


def _anchor_fn(state: RemedyState, anchor: Anchor) -> AnchorFn:
    """``anchor`` compiled once per policy (keyed by the rule's own anchor object)."""
    memo: dict[int, tuple[Anchor, AnchorFn]] = state.policy.compiled(
        "engine.remedy-anchors", lambda _p: {}
    )
    hit = memo.get(id(anchor))
    if hit is not None and hit[0] is anchor:
        return hit[1]
    fn = compile_anchor(anchor, month_end=state.month_end)
    memo[id(anchor)] = (anchor, fn)
    return fn


def best_option(options: tuple[str, ...]) -> str:
    """The most favourable option to the customer (see :data:`OPTION_RANK`)."""
    return max(options, key=lambda o: OPTION_RANK.get(o, 0))


# ---------------------------------------------------------------- rule kinds


def purchase_window(rule: PurchaseWindowRemedy, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """R3/R4, CN-GEN-04/05: a failure in the first days after purchase.

    Day ``k`` is the k-th day after the anchor (the anchor day itself is day
    0, DT-02). "Within 7 days" includes day 7 (DT-06); ``after: 7 days``
    excludes it, so ``{after: 7 days, within: 15 days}`` is days 8..15. The
    last days are counted with :func:`period_last_day` (months clip, DT-03)
    and rolled off holidays when the policy sets a roll-forward mode (an
    action deadline, DT-12).
    """
    window = rule.window
    anchor, missing, text = _anchor_fn(state, window.anchor)(facts.dates)
    fd = facts.failure_date
    if anchor is None:
        return Unknown(missing), "purchase-window anchor unknown"
    if fd is None:
        return facts.failure_unknown, "failure date unknown"
    last = _last_day(state, anchor, window.within, roll=True)
    state.window_end = last
    if fd < anchor:
        return False, f"failure {fd.isoformat()} is before {text}"
    if fd > last:
        return False, f"failure {fd.isoformat()} is after the window ending {last.isoformat()} ({window.within} from {text})"
    if window.after is not None:
        lower = _last_day(state, anchor, window.after, roll=True)
        if fd <= lower:
            return False, (
                f"failure {fd.isoformat()} is not after {window.after} from {text} "
                f"(day {lower.isoformat()})"
            )
        span = f"after {window.after} and within {window.within}"
    else:
        span = f"within {window.within}"
    day_number = (fd - anchor).days
    return True, (
        f"failure {fd.isoformat()} is day {day_number} after {text}, {span} "
        f"(window ends {last.isoformat()})"
    )


def _fault_match(rule: RepeatedRepairsRemedy, facts: ClaimFacts, i: int, record: RepairRecord) -> Truth:
    claim = facts.claim
    checks: list[Truth] = []
    if rule.same in ("fault", "fault_and_component"):
        if record.fault_code is None:
            checks.append(Unknown((f"claim.repairs[{i}].fault_code",)))
        elif claim.fault_code is None:
            checks.append(Unknown(("claim.fault_code",)))
        else:
            checks.append(record.fault_code == claim.fault_code)
    if rule.same in ("component", "fault_and_component"):
        if record.component is None:
            checks.append(Unknown((f"claim.repairs[{i}].component",)))
        elif claim.component is None:
            checks.append(Unknown(("claim.component",)))
        else:
            checks.append(record.component == claim.component)
    return all_of(checks)


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
    span_text = ""
    if rule.within is not None:
        lower, missing, text = _anchor_of(state, facts, rule.anchor)
        if lower is None:
            return Unknown(missing), "repair-count anchor unknown"
        upper = _last_day(state, lower, rule.within, roll=False)
        if not lower <= fd <= upper:
            return False, f"failure {fd.isoformat()} is outside {rule.within} from {text}"
        span_text = f" within {rule.within} from {text}"
    records = sorted(
        (
            (i, r)
            for i, r in enumerate(claim.repairs)
            if r.handed_over <= fd
            and r.handed_over <= facts.as_of
            and (lower is None or r.handed_over >= lower)
            and (upper is None or r.handed_over <= upper)
        ),
        key=lambda item: item[1].handed_over,
    )
    matched: list[tuple[int, RepairRecord, Truth]] = [
        (i, r, True if rule.same == "any" else _fault_match(rule, facts, i, r)) for i, r in records
    ]
    missing_paths: list[str] = []
    if rule.consecutive:
        low = high = 0
        low_open = high_open = True
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
            if high_open and fixed is not True:
                high += 1
        _ = high_open
    else:
        low = sum(1 for _, _, m in matched if m is True)
        high = sum(1 for _, _, m in matched if m is not False)
        for _, _, m in matched:
            if isinstance(m, Unknown):
                missing_paths.extend(m.missing)
    more = rule.comparison == "more_than"

    def reaches(n: int) -> bool:
        return n > rule.count if more else n >= rule.count

    word = "more than" if more else "at least"
    kind = "consecutive unfixed repairs" if rule.consecutive else "repairs"
    if not reaches(high):
        return False, f"{low} {kind} of the same {rule.same}{span_text}; needs {word} {rule.count}"
    if not reaches(low):
        return Unknown(tuple(dict.fromkeys(missing_paths))), f"repair count unknown ({low}..{high})"
    text = f"{low} {kind} of the same {rule.same}{span_text} ({word} {rule.count})"
    if rule.still_failing:
        counted = [(i, r) for i, r, m in matched if m is True]
        i, last = counted[-1]
        if last.fixed is False or (last.returned is not None and fd >= last.returned):
            text += f"; still failing after the repair of {last.handed_over.isoformat()}"
        elif last.fixed is None:
            return Unknown((f"claim.repairs[{i}].fixed",)), "whether the last repair fixed it is unknown"
        else:
            return False, f"the repair of {last.handed_over.isoformat()} fixed the fault"
    return True, text


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
    claim = facts.claim
    zone = state.zone
    if rule.within is not None:
        fd = facts.failure_date
        if fd is None:
            return facts.failure_unknown, "failure date unknown"
        lower, missing, text = _anchor_of(state, facts, rule.anchor)
        if lower is None:
            return Unknown(missing), "anchor unknown"
        upper = _last_day(state, lower, rule.within, roll=False)
        if not lower <= fd <= upper:
            return False, f"failure {fd.isoformat()} is outside {rule.within} from {text}"
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
        last = _last_day(state, start_day, limit, roll=False)
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
    flag = facts.claim.out_of_box
    if flag is None:
        return Unknown(("claim.out_of_box",)), "out-of-box unknown"
    if flag is False:
        return False, "not an out-of-box defect"
    if rule.within is None:
        return True, "defect found when the box was opened"
    anchor, missing, text = _anchor_fn(state, rule.anchor or _DELIVERY)(facts.dates)
    if anchor is None:
        return Unknown(missing), "delivery date unknown"
    reported = facts.claim.reported_at
    day = _local_date(reported, state.zone) if reported is not None else facts.failure_date
    if day is None:
        return Unknown(("claim.reported_at",)), "report date unknown"
    last = _last_day(state, anchor, rule.within, roll=True)
    if day > last:
        return False, f"reported {day.isoformat()}, after {rule.within} from {text}"
    return True, f"defect found when the box was opened, reported {day.isoformat()} within {rule.within} from {text}"


def abnormal_life(rule: AbnormalLifeRemedy, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """R10: after the warranty, a part failing far earlier than its normal life.

    Only once no term covers the failure any more (``after_warranty_only``)
    and, with ``requires_certification``, when ``claim.abnormal_life_certified``
    is true (an authority certified it).
    """
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

KindFn = Callable[[Any, ClaimFacts, RemedyState], RemedyCheck]

_KINDS: Final[dict[str, KindFn]] = {
    "purchase_window": purchase_window,
    "repeated_repairs": repeated_repairs,
    "unrepaired": unrepaired,
    "out_of_box": out_of_box,
    "abnormal_life": abnormal_life,
}


class RemedyPlan:
    """One remedy rule compiled: its gates, its kind function and its source."""

    __slots__ = ("check", "clause", "id", "index", "kind", "precedence", "rule", "source", "terms", "when")

    def __init__(self, policy: Policy, rule: RemedyRule, index: int) -> None:
        self.rule = rule
        self.id = rule.id
        self.index = index
        self.kind = rule.kind
        self.clause = rule.clause
        self.precedence = rule.precedence if rule.precedence is not None else 0
        self.source = str(policy.source_of(rule.id))
        self.terms: frozenset[str] | None = frozenset(rule.terms) if rule.terms is not None else None
        self.when = condition_for(policy, rule.when) if rule.when is not None else None
        self.check: KindFn | None = _KINDS.get(rule.kind)

    def gate(self, facts: ClaimFacts, state: RemedyState) -> Truth:
        """The rule's ``terms`` and ``when`` gates."""
        if self.terms is not None:
            if self.kind == "abnormal_life":
                pool = state.applicable
            else:
                pool = state.covering
            if not any(t.id in self.terms for t in pool):
                return False
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


def run_rule(plan: RemedyPlan, facts: ClaimFacts, state: RemedyState) -> RemedyCheck:
    """Gates and kind trigger of one rule (Kleene AND)."""
    gate = plan.gate(facts, state)
    if gate is False:
        return False, "gate"
    assert plan.check is not None
    state.window_end = None
    result, text = plan.check(plan.rule, facts, state)
    if result is False:
        return False, text
    return all_of((gate, result)), text
