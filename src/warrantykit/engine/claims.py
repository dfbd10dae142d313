"""Claim decisions: eligibility, remedy, costs and dates for one warranty claim.

Entry points: :func:`evaluate` and :func:`evaluate_many` (exposed as
:meth:`Policy.evaluate <warrantykit.engine.compiled.Policy.evaluate>` and
:meth:`Policy.evaluate_many <warrantykit.engine.compiled.Policy.evaluate_many>`).

Evaluation order (``docs/decisions.md`` says the same with examples):

1. Validate the input: ``as_of`` is a ``date``; the claim is parsed with
   :func:`~warrantykit.facts.parse_facts`; cause codes must be in the policy's
   ``cause_codes`` (``FactsError`` naming ``claim.cause_codes[i]``).
2. Per warranty (several only with ``warranty_choice: customer_choice``, P10;
   terms without ``warranty`` belong to every one), evaluate every term's
   window (:mod:`warrantykit.engine.terms`) and its ``covers`` selector.
3. Status. A ``warranty``/``exchange`` term that applies and contains the
   failure *covers* it; the most favourable covering term decides (best
   options, then latest end). If one covers, every exclusion is evaluated:
   a match makes the claim ``excluded``; an exclusion left unknown (with none
   matching) makes it ``undetermined``; otherwise ``covered``. If none covers
   and none could: ``not_applicable`` when no term applies to the claimed
   component/unit or the failure precedes every window, else ``expired``. If
   coverage itself is unknown (a missing anchor date, meter reading, failure
   date): ``undetermined`` with the missing fact paths.
4. Remedy (:mod:`warrantykit.engine.remedies`): covered -> remedy rules by
   precedence, else the covering term's options (R1); excluded ->
   ``paid_repair`` (``advice_only`` for an advice-only exclusion, X11);
   expired -> ``abnormal_life`` rules (R10), else ``paid_repair``.
5. Loaner obligations (covered claims only).
6. Costs (:mod:`warrantykit.engine.costs`).
7. With several warranties: the most favourable outcome is the decision
   (status, then remedy, then lower customer cost); the others are
   ``alternatives``.

Performance (``docs/performance.md``): everything that depends on the policy
alone is compiled once into a :class:`ClaimPlan`; date arithmetic, selected
terms and cost lines are memoised in bounded memos; terms that count the same
way from the same anchor share one window per claim; and a decision records
its reasons as a trace whose sentences (and the term windows) are written the
first time ``decision.reasons`` / ``decision.terms`` is read.

The durable-rules backend (:mod:`warrantykit.engine.durable`) does the rule
matching its own way and decides everything else with this module's steps:
:func:`group_status` (steps 2-3, given the selected terms and a judge of the
exclusions), :func:`finish_group` (steps 4-6, given a :data:`Verdict` on the
remedy rules and a judge of the loaner rules' ``when``) and
:func:`assemble_decision` (step 7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from warrantykit.engine.conditions import (
    CompiledCondition,
    Truth,
    Unknown,
    all_of,
    condition_for,
)
from warrantykit.engine.costs import DEFAULT_RULES, CostSource, LinePlan, assign_costs, line_costs
from warrantykit.engine.decision import (
    OPTION_RANK,
    STATUS_RANK,
    ClaimDecision,
    CostEntry,
    ExclusionMatch,
    Loaner,
    MeterStatus,
    Outcome,
    PolicyRef,
    Remedy,
    TermWindow,
    make_decision,
    make_outcome,
    make_remedy,
    make_term_window,
)
from warrantykit.engine.reasons import Reason
from warrantykit.engine.remedies import (
    RemedyPlan,
    RemedyState,
    Why,
    best_option,
    compile_remedies,
    depreciation,
    loaner,
    render_why,
    run_rule,
)
from warrantykit.engine.terms import (
    MEMO_SIZE,
    SERVICE_KINDS,
    ClaimFacts,
    TermEval,
    TermPlan,
    business_calendar,
    compile_terms,
)
from warrantykit.errors import FactsError, Problem
from warrantykit.facts import Claim, CostLine, parse_facts
from warrantykit.policies.models import CostRule, CostTable, Exclusion, RemedyOption

if TYPE_CHECKING:
    from warrantykit.engine.compiled import Policy

__all__ = ["ClaimPlan", "compile_claims", "evaluate", "evaluate_many"]

_DEFAULT_OPTIONS: Final[dict[str, tuple[str, ...]]] = {
    "warranty": ("repair",),
    "exchange": ("exchange", "repair"),
}
_OUTCOME_SEVERITY: Final[dict[str, int]] = {"paid_service": 0, "advice_only": 1, "no_service": 2}
_EXPIRED_SERVICE_KINDS: Final = SERVICE_KINDS | {"cost_cover"}
_new: Final = object.__new__
_set: Final = object.__setattr__
_tuple_new: Final = tuple.__new__
_MEMO_LIMIT: Final = MEMO_SIZE

Selected = tuple[tuple[TermPlan, Truth], ...]
"""The terms whose selector does not reject the claim, with the selector's answer."""

# A decision's reasons are recorded as a *trace*: each item is a finished
# Reason, or a tuple ``(function, *arguments)`` that writes it.  The trace is
# turned into Reason records the first time ``decision.reasons`` is read, so
# a batch that only needs statuses, remedies and costs never formats a
# sentence (docs/performance.md).
Trace = list[Any]


def _materialize(trace: Trace, fd: date | None) -> tuple[Reason, ...]:
    out = []
    fd_text = fd.isoformat() if fd is not None else ""
    for item in trace:
        kind = item.__class__
        if kind is Reason:
            out.append(item)
        elif kind is TermEval:  # a term window's reason
            out.append(_term_reason(item, fd, fd_text))
        else:
            out.append(item[0](*item[1:]))
    return tuple(out)


# ---------------------------------------------------------------- compiled plan


@dataclass(frozen=True, slots=True)
class ExclusionPlan:
    id: str
    clause: str
    text: str | None
    outcome: str
    still_provided: tuple[str, ...]
    when: CompiledCondition
    terms: frozenset[str] | None
    costs: tuple[CostSource, ...]
    source: str
    match: ExclusionMatch
    """What a decision lists when the exclusion matches (shared, immutable)."""
    reason: Reason
    """Why, when it matches (the same for every claim)."""


def _located(policy: Policy, path: tuple[str | int, ...], fallback: str) -> str:
    origin = policy.locations.locate(path)
    if origin is None or origin.file is None:
        return fallback
    return f"{origin.file}:{origin.line}"


def _table(
    policy: Policy,
    table: CostTable,
    *,
    rule_id: Any,
    clause: str,
    path: tuple[str | int, ...],
    fallback: str,
) -> tuple[CostSource, ...]:
    out = []
    for line, rule in table.items():
        out.append(
            CostSource(
                line=line,
                rule=rule,
                rule_id=rule_id(line) if callable(rule_id) else rule_id,
                clause=rule.clause or clause,
                source=_located(policy, (*path, line.value), fallback),
            )
        )
    return tuple(out)


class ClaimPlan:
    """Everything the claim evaluation needs from one policy, built once.

    Besides the compiled terms, exclusions, remedy rules and cost tables it
    keeps bounded memos of what depends on the policy and a few facts only:
    the terms a (category, model, component) selects, remedies and reasons
    that do not depend on the claim's dates, and cost lines per price.
    """

    def __init__(self, policy: Policy) -> None:
        doc = policy.document
        self.policy = policy
        self.zone = ZoneInfo(doc.timezone)
        self.ref = PolicyRef(
            id=doc.id,
            version=doc.version,
            content_hash=policy.content_hash,
            file=policy.files[0] if policy.files else None,
        )
        self.cause_codes: frozenset[str] | None = (
            frozenset(doc.cause_codes) if doc.cause_codes is not None else None
        )
        terms, by_id = compile_terms(policy)
        self.terms: tuple[TermPlan, ...] = terms
        self.by_id = by_id
        if doc.warranty_choice == "customer_choice" and len(doc.warranties) >= 2:
            self.groups: tuple[tuple[str | None, tuple[TermPlan, ...]], ...] = tuple(
                (w.id, tuple(t for t in terms if t.warranty in (w.id, None)))
                for w in doc.warranties
            )
        else:
            self.groups = ((None, terms),)
        self.single = len(self.groups) == 1
        # selectors without a `when` depend on category, model and component only
        self.static = tuple(all(t.selector_static for t in group) for _, group in self.groups)
        self.selected: tuple[dict[tuple[Any, ...], Selected], ...] = tuple({} for _ in self.groups)
        self.exclusions = tuple(self._exclusion(i, e) for i, e in enumerate(doc.exclusions))
        self.remedies = compile_remedies(policy)
        self.abnormal_rules = tuple(r for r in self.remedies.rules if r.kind == "abnormal_life")
        self.loaner_rules = self.remedies.loaners
        self.term_costs: dict[str, tuple[CostSource, ...]] = {
            t.id: _table(
                policy,
                t.costs,
                rule_id=t.id,
                clause=t.clause,
                path=("terms", t.index, "costs"),
                fallback=t.source,
            )
            for t in terms
        }
        self.tables: dict[str, dict[CostLine, CostSource]] = {}
        for situation in ("covered", "excluded", "expired"):
            table: CostTable = getattr(doc.costs, situation)
            sources = _table(
                policy,
                table,
                rule_id=lambda line, s=situation: f"costs.{s}.{line.value}",
                clause=f"costs.{situation}",
                path=("costs", situation),
                fallback=str(policy.source_of("costs")),
            )
            self.tables[situation] = {s.line: s for s in sources}
        self.counting = doc.counting
        self.cost_cache: dict[Any, Any] = {}
        self.memo: dict[Any, Any] = {}
        self.warranty_names = {w.id: (w.name or w.id) for w in doc.warranties}
        self.terms_source = self.ref.file or "-"
        self.exclusions_source = str(policy.source_of("exclusions"))
        self.remedies_source = str(policy.source_of("remedies"))

    def _exclusion(self, index: int, exclusion: Exclusion) -> ExclusionPlan:
        policy = self.policy
        source = str(policy.source_of(exclusion.id))
        return ExclusionPlan(
            id=exclusion.id,
            clause=exclusion.clause,
            text=exclusion.text,
            outcome=exclusion.outcome,
            still_provided=exclusion.still_provided,
            when=condition_for(policy, exclusion.when),
            terms=frozenset(exclusion.terms) if exclusion.terms is not None else None,
            costs=_table(
                policy,
                exclusion.costs,
                rule_id=exclusion.id,
                clause=exclusion.clause,
                path=("exclusions", index, "costs"),
                fallback=source,
            ),
            source=source,
            match=ExclusionMatch(
                id=exclusion.id,
                clause=exclusion.clause,
                outcome=exclusion.outcome,
                still_provided=exclusion.still_provided,
            ),
            reason=Reason(
                exclusion.id,
                exclusion.clause,
                f"exclusion {exclusion.id} applies: {exclusion.text or exclusion.id}"
                + (" (service may be refused)" if exclusion.outcome == "no_service" else ""),
                source,
            ),
        )

    def select(self, group: int, facts: ClaimFacts) -> Selected:
        """The group's terms that may apply to the claim, in document order."""
        term_plans = self.groups[group][1]
        if not self.static[group]:
            return tuple(
                (t, applies) for t in term_plans if (applies := t.selector(facts)) is not False
            )
        asset = facts.asset
        key = (asset.category, asset.model, facts.claim.component)
        memo = self.selected[group]
        hit = memo.get(key)
        if hit is None:
            hit = tuple(
                (t, applies) for t in term_plans if (applies := t.selector(facts)) is not False
            )
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[key] = hit
        return hit

    def remember(self, key: Any, build: Callable[[], Any]) -> Any:
        """A value that depends on ``key`` only (a remedy, a reason), built once."""
        hit = self.memo.get(key)
        if hit is None:
            hit = build()
            if len(self.memo) >= _MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = hit
        return hit

    def check_cause_codes(self, claim: Claim) -> None:
        allowed = self.cause_codes
        if allowed is None:
            return
        bad = [
            Problem(
                message=f"unknown cause code {code!r}; the policy allows "
                + ", ".join(sorted(allowed)),
                path=f"claim.cause_codes[{i}]",
                code="unknown-cause-code",
            )
            for i, code in enumerate(claim.cause_codes)
            if code not in allowed
        ]
        if bad:
            raise FactsError(bad)


def compile_claims(policy: Policy) -> ClaimPlan:
    """The policy's claim plan (built once, then shared read-only)."""
    plan: ClaimPlan = policy.compiled("engine.claims", ClaimPlan)
    return plan


# ---------------------------------------------------------------- entry points


def check_as_of(as_of: object) -> date:
    """``as_of``, checked to be a calendar date (``FactsError`` on ``as_of`` otherwise)."""
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise FactsError(
            Problem(
                message="as_of must be a calendar date (datetime.date, YYYY-MM-DD), got "
                + (type(as_of).__name__ if as_of is not None else "None"),
                path="as_of",
                code="type",
            )
        )
    return as_of


def parse_claim(claim: Claim | Mapping[str, Any] | str | bytes) -> Claim:
    """The claim as a validated :class:`Claim` (``FactsError`` naming what is wrong)."""
    if isinstance(claim, Claim):
        return claim
    if claim is None:
        raise FactsError(Problem("a claim is required", path="claim", code="missing"))
    return parse_facts(Claim, claim, name="claim")


def claim_facts(plan: ClaimPlan, claim: Claim, day: date) -> ClaimFacts:
    """What a claim is decided on, once its cause codes are checked against the policy's."""
    if plan.cause_codes is not None and claim.cause_codes:
        plan.check_cause_codes(claim)
    return ClaimFacts(claim, day)


def evaluate(
    policy: Policy, claim: Claim | Mapping[str, Any] | str | bytes, *, as_of: date
) -> ClaimDecision:
    """Decide ``claim`` under ``policy`` as of ``as_of`` (see the module docstring)."""
    day = check_as_of(as_of)
    return _decide(compile_claims(policy), claim, day)


def evaluate_many(
    policy: Policy, claims: Iterable[Claim | Mapping[str, Any] | str | bytes], *, as_of: date
) -> Iterator[ClaimDecision]:
    """Lazily decide each claim; ``as_of`` is checked at once, each claim when it is reached.

    Nothing is kept between claims but the policy's bounded memos, so memory
    stays flat whatever the number of claims.
    """
    day = check_as_of(as_of)
    return _decide_all(compile_claims(policy), claims, day)


def _decide_all(
    plan: ClaimPlan, claims: Iterable[Claim | Mapping[str, Any] | str | bytes], day: date
) -> Iterator[ClaimDecision]:
    for claim in claims:
        yield _decide(plan, claim, day)


class _Lazy(tuple[list[TermEval], Trace, date | None]):
    """What a decision needs to write its term windows and reasons when they are read:
    ``(applicable term windows, trace, failure date)``, built in one step."""

    __slots__ = ()

    def terms(self) -> tuple[TermWindow, ...]:
        return tuple([_window(e) for e in self[0]])

    def reasons(self) -> tuple[Reason, ...]:
        return _materialize(self[1], self[2])


def _decide(
    plan: ClaimPlan, claim: Claim | Mapping[str, Any] | str | bytes, day: date
) -> ClaimDecision:
    facts = claim_facts(plan, claim if isinstance(claim, Claim) else parse_claim(claim), day)
    if plan.single:
        found = group_status(plan, facts, plan.select(0, facts))
        return assemble_decision(plan, facts, (finish_group(plan, facts, None, found),))
    return assemble_decision(
        plan,
        facts,
        [
            finish_group(plan, facts, warranty, group_status(plan, facts, plan.select(i, facts)))
            for i, (warranty, _) in enumerate(plan.groups)
        ],
    )


def assemble_decision(
    plan: ClaimPlan, facts: ClaimFacts, results: Sequence[GroupResult]
) -> ClaimDecision:
    """The decision from each warranty group's outcome (one per group of ``plan``, in order).

    One group: its outcome, its term windows and reasons written when first read.
    Several (P10): the most favourable outcome, the others as ``alternatives``.
    """
    day = facts.as_of
    if plan.single:
        (warranty, status, missing, term, applicable, exclusions, remedy, loaners, costs, warnings, trace) = (
            results[0]
        )
        if facts.warnings:
            # the claim's own warnings are unique already (each is added once)
            warnings = (
                tuple(dict.fromkeys(warnings + tuple(facts.warnings)))
                if warnings
                else tuple(facts.warnings)
            )
        decision = _new(ClaimDecision)
        _set(
            decision,
            "__dict__",
            {
                "policy": plan.ref,
                "as_of": day,
                "claim": facts.claim,
                "status": status,
                "warranty": warranty,
                "missing": missing,
                "term": term,
                "exclusions": exclusions,
                "remedy": remedy,
                "loaners": loaners,
                "costs": costs,
                "alternatives": (),
                "warnings": warnings,
                # terms and reasons are written from these when first read
                "_lazy": _tuple_new(_Lazy, (applicable, trace, facts.failure_date)),
            },
        )
        return decision  # see decision._Deferred
    outcomes = [_outcome(result, facts.failure_date) for result in results]
    order = sorted(range(len(outcomes)), key=lambda i: _favour(outcomes[i]), reverse=True)
    chosen = outcomes[order[0]]
    others = tuple(outcomes[i] for i in order[1:])
    choice = Reason(
        rule=chosen.warranty or "warranty_choice",
        clause="P10",
        text=(
            f"the customer may choose the more favourable warranty: "
            f"'{chosen.warranty}' ({chosen.status}"
            + (f", {chosen.remedy.option}" if chosen.remedy else "")
            + ") is given; "
            + "; ".join(
                f"'{o.warranty}' would be {o.status}"
                + (f" with {o.remedy.option}" if o.remedy else "")
                for o in others
            )
        ),
        source=str(plan.policy.source_of("warranty_choice")),
    )
    chosen = replace(chosen, reasons=(*chosen.reasons, choice))
    for other in others:
        if other.status == "undetermined":
            facts.warnings.append(
                f"the outcome under warranty '{other.warranty}' is undetermined "
                f"(missing {', '.join(other.missing)})"
            )
    warnings = chosen.warnings
    if facts.warnings:
        warnings = tuple(dict.fromkeys(warnings + tuple(facts.warnings)))
    return make_decision(
        plan.ref,
        day,
        facts.claim,
        chosen.status,
        chosen.warranty,
        chosen.missing,
        chosen.term,
        chosen.terms,
        chosen.exclusions,
        chosen.remedy,
        chosen.loaners,
        chosen.costs,
        others,
        warnings,
        chosen.reasons,
    )


def _favour(outcome: Outcome) -> tuple[int, int, Decimal, int]:
    """How favourable an outcome is to the customer (P10): status, then remedy, then
    lower customer cost, then fewer lines the customer pays."""
    remedy_rank = OPTION_RANK.get(outcome.remedy.option, 0) if outcome.remedy else 0
    total = outcome.customer_total()
    customer_lines = sum(1 for c in outcome.costs if c.payer == "customer")
    cost_key = -(total.amount if total is not None else Decimal(0))
    return STATUS_RANK[outcome.status], remedy_rank, cost_key, -customer_lines


# ---------------------------------------------------------------- rendering


def _window(e: TermEval) -> TermWindow:
    inside = e.inside if isinstance(e.inside, bool) else None
    applies = e.applies if isinstance(e.applies, bool) else None
    missing: tuple[str, ...] = e.missing
    if isinstance(e.applies, Unknown):
        missing = tuple(dict.fromkeys(missing + e.applies.missing))
    plan = e.plan
    meters = tuple(MeterStatus(m.meter, m.limit, m.reading, m.within) for m in e.meters) if e.meters else ()
    return make_term_window(
        plan.id,
        plan.kind,
        plan.warranty,
        plan.clause,
        plan.length_text,
        e.anchor,
        e.start,
        e.original_end,
        e.extension_days,
        e.end,
        e.rolled_from,
        e.lifetime,
        applies,
        inside,
        e.in_effect,
        meters,
        missing,
    )


def _term_text(e: TermEval, fd: date | None, fd_text: str = "") -> str:
    """The reason of a term window (``fd_text``: the failure date written out, if known)."""
    head = e.plan.reason_head
    start = e.start
    if e.never_starts:
        return f"{head} never starts: {e.anchor}"
    if start is None:
        return f"{head}: start unknown (missing {', '.join(e.missing)})"
    begin = start.isoformat()
    src = e.anchor_src
    if isinstance(src, str):
        anchor = src
    else:  # (label, day): usually the start itself
        anchor = f"{src[0]} {begin if src[1] == start else src[1].isoformat()}"
    end = e.end
    if e.lifetime:
        span = f"from {begin}, no end (lifetime)"
    elif end is None:
        span = f"from {begin}, end by meter" if e.end_known else (
            f"from {begin}, end unknown (missing {', '.join(e.missing)})"
        )
    elif e.extension_days or e.rolled_from is not None:
        extras = []
        if e.extension_days:
            extras.append(
                f"{e.original_end.isoformat() if e.original_end else '?'} + "
                f"{e.extension_days} repair/waiting days"
            )
        if e.rolled_from is not None:
            extras.append(f"rolled forward from {e.rolled_from.isoformat()} off a holiday")
        span = f"{begin} to {end.isoformat()} (" + "; ".join(extras) + ")"
    else:
        span = f"{begin} to {end.isoformat()}"
    tail = ""
    if e.meters:
        for m in e.meters:
            reading = "unknown" if m.reading is None else str(m.reading)
            tail += f"; {m.meter} {reading} of limit {m.limit}"
    if not e.in_effect:
        tail += "; starts outside the policy's effective window"
    if fd is not None:
        inside = e.inside
        if inside is True or inside is False:
            when = fd_text or fd.isoformat()
            if inside is True:
                tail += f"; failure {when} is inside"
            else:
                tail += f"; failure {when} is " + ("before it starts" if e.before_start else "outside")
    return f"{head} counted from {anchor}: {span}{tail}"


def _term_reason(e: TermEval, fd: date | None, fd_text: str = "") -> Reason:
    plan = e.plan
    return Reason(plan.id, plan.clause, _term_text(e, fd, fd_text), plan.source)


def _inside_reason(deciding: TermEval) -> Reason:
    plan = deciding.plan
    return Reason(
        plan.id,
        plan.clause,
        f"the failure is inside the {plan.kind} term {plan.id}"
        + (f" (until {deciding.end.isoformat()})" if deciding.end else ""),
        plan.source,
    )


def _ended_reason(deciding: TermEval, component: str | None, fd: date | None) -> Reason:
    plan = deciding.plan
    subject = f"component {component}" if component else "the unit"
    return Reason(
        plan.id,
        plan.clause,
        f"the warranty has ended for {subject}: "
        + (
            f"last covered day {deciding.end.isoformat()}"
            if deciding.end is not None
            else "a usage limit was exceeded"
        )
        + (f", failure on {fd.isoformat()}" if fd else ""),
        plan.source,
    )


def _missing_reason(rule: str, what: str, missing: tuple[str, ...], source: str) -> Reason:
    return Reason(rule, "-", f"{what}; missing " + ", ".join(missing), source)


def _no_term_reason(component: str | None, source: str) -> Reason:
    subject = f"component {component}" if component else "the unit"
    return Reason("terms", "-", f"no warranty term of this policy covers {subject}", source)


def _precedes_reason(first: TermEval) -> Reason:
    plan = first.plan
    return Reason(
        plan.id,
        plan.clause,
        f"the failure precedes the warranty (starts {first.start.isoformat() if first.start else '?'})",
        plan.source,
    )


def _excluded_remedy(matches: list[ExclusionPlan], refusable: bool) -> tuple[Remedy, Reason]:
    """X11/X12: paid repair, or advice only, under the most severe matched exclusion."""
    worst = max(matches, key=lambda ex: _OUTCOME_SEVERITY.get(ex.outcome, 0))
    option = "advice_only" if worst.outcome == "advice_only" else "paid_repair"
    remedy = make_remedy(option, (option,), worst.id, worst.clause, service_may_be_refused=refusable)
    reason = _reason(
        worst.id,
        worst.clause,
        f"remedy: {option.replace('_', ' ')}"
        + (
            "; still provided: " + ", ".join(dict.fromkeys(s for ex in matches for s in ex.still_provided))
            if any(ex.still_provided for ex in matches)
            else ""
        )
        + ("; the vendor may refuse service" if refusable else ""),
        worst.source,
    )
    return remedy, reason


def _reason(rule: str, clause: str, text: str, source: str) -> Reason:
    return Reason(rule=rule, clause=clause, text=text, source=source)


def _term_options(e: TermEval) -> tuple[str, ...]:
    return _plan_options(e.plan)


@lru_cache(maxsize=4096)
def _plan_options(plan: TermPlan) -> tuple[str, ...]:
    options = tuple(o.value for o in plan.options)
    return options or _DEFAULT_OPTIONS.get(plan.kind, ("repair",))


def _end_key(e: TermEval) -> date:
    return e.end if e.end is not None else date.max


def ended_term(candidates: list[TermEval]) -> TermEval:
    """The term an ``expired`` decision names (docs/decisions.md): the latest-ending
    of the terms that had started by the failure date.

    A term still to come (a maintenance period starting after acceptance, say) has not
    ended and is not named, even when it ends later than the one that has run out.
    ``candidates`` holds at least one term that is not :attr:`TermEval.before_start`.
    """
    started = [e for e in candidates if not e.before_start]
    if len(started) == 1:
        return started[0]
    return max(started, key=lambda e: (_end_key(e), -e.plan.index))


def _deciding_term(covering: list[TermEval]) -> TermEval:
    if len(covering) == 1:
        return covering[0]
    return max(
        covering,
        key=lambda e: (
            OPTION_RANK.get(best_option(_term_options(e)), 0),
            _end_key(e),
            -e.plan.index,
        ),
    )


# ---------------------------------------------------------------- one warranty


GroupResult = tuple[
    str | None,  # warranty
    str,  # status
    tuple[str, ...],  # missing
    str | None,  # term
    list[TermEval],  # applicable
    tuple[ExclusionMatch, ...],
    Remedy | None,
    tuple[Loaner, ...],
    tuple[CostEntry, ...],
    tuple[str, ...],  # warnings
    Trace,
]
"""One warranty's outcome, its reasons still a trace."""

GroupStatus = tuple[
    str,  # status: covered, excluded, expired, not_applicable or undetermined
    tuple[str, ...],  # missing
    list[TermEval],  # applicable: the terms whose selector does not reject the claim
    list[TermEval],  # covering: the coverage terms that cover the failure
    TermEval | None,  # deciding: the term the status names
    list[ExclusionPlan],  # matches: the exclusions that apply
    Trace,
]
"""One warranty's status, before its remedy, loaners and costs."""

Verdict = tuple[
    RemedyPlan | None,  # the winning rule
    Why,  # why it wins
    date | None,  # the window end it found
    list[tuple[RemedyPlan, Unknown]],  # the rules before it whose answer is unknown
]
"""Which of a list of remedy rules (by precedence) applies."""


def _outcome(result: GroupResult, failure_date: date | None) -> Outcome:
    warranty, status, missing, term, applicable, exclusions, remedy, loaners, costs, warnings, trace = result
    return make_outcome(
        warranty,
        status,
        missing,
        term,
        tuple(_window(e) for e in applicable),
        exclusions,
        remedy,
        loaners,
        costs,
        warnings,
        _materialize(trace, failure_date),
    )


def group_status(
    plan: ClaimPlan,
    facts: ClaimFacts,
    selected: Selected,
    judge: Callable[[ExclusionPlan], Truth] | None = None,
) -> GroupStatus:
    """Steps 2-3 for one warranty: the ``selected`` terms' windows, the status, the
    deciding term and the matched exclusions, with their reasons.

    ``judge`` answers an exclusion's ``when`` (default: its compiled condition).
    """
    trace: Trace = []
    fd = facts.failure_date
    applicable: list[TermEval] = []
    coverage: list[TermEval] = []
    covering: list[TermEval] = []
    open_: Unknown | None = None  # Kleene OR of the coverage terms' answers
    for t, applies in selected:
        e = t.direct(facts, applies)
        applicable.append(e)
        trace.append(e)  # its reason is written from the window when read
        if t.coverage_kind:
            coverage.append(e)
            # e.covers_failure, inlined
            if not e.in_effect:
                covers: Truth = False
            elif applies is True:
                covers = e.inside
            else:
                covers = all_of((applies, e.inside))
            if covers is True:
                covering.append(e)
            elif covers is not False:
                assert isinstance(covers, Unknown)
                open_ = covers if open_ is None else open_.merge(covers)
    covered: Truth = True if covering else (False if open_ is None else open_)
    status: str
    missing: tuple[str, ...] = ()
    matches: list[ExclusionPlan] = []
    deciding: TermEval | None = None
    claim = facts.claim
    env = facts.env

    if covered is True:
        deciding = covering[0] if len(covering) == 1 else _deciding_term(covering)
        covering_ids: set[str] | None = None
        unknown: Unknown | None = None
        for ex in plan.exclusions:
            if ex.terms is not None:
                if covering_ids is None:
                    covering_ids = {e.plan.id for e in covering}
                if not covering_ids <= ex.terms:
                    continue
            result = ex.when(env) if judge is None else judge(ex)
            if result is True:
                matches.append(ex)
            elif result is not False:
                assert isinstance(result, Unknown)
                unknown = result if unknown is None else unknown.merge(result)
        trace.append((_inside_reason, deciding))
        if matches:
            status = "excluded"
        elif unknown is not None:
            status = "undetermined"
            missing = unknown.missing
            trace.append(
                (_missing_reason, "exclusions", "an exclusion may apply", missing, plan.exclusions_source)
            )
        else:
            status = "covered"
    elif covered is False:
        candidates = [
            e for e in coverage if e.in_effect and not e.never_starts and e.applies is not False
        ]
        if not candidates:
            status = "not_applicable"
            trace.append((_no_term_reason, claim.component, plan.terms_source))
        elif all(e.before_start for e in candidates):
            status = "not_applicable"
            first = min(candidates, key=lambda e: e.start or date.max)
            trace.append((_precedes_reason, first))
        else:
            status = "expired"
            deciding = ended_term(candidates)
            trace.append((_ended_reason, deciding, claim.component, fd))
        # X12: an exclusion may let the vendor refuse service even out of warranty
        for ex in plan.exclusions:
            if ex.outcome == "no_service" and (ex.when(env) if judge is None else judge(ex)) is True:
                matches.append(ex)
    else:
        status = "undetermined"
        assert isinstance(covered, Unknown)
        missing = covered.missing
        trace.append(
            (_missing_reason, "terms", "whether a term covers the failure is unknown", missing, plan.terms_source)
        )
    return status, missing, applicable, covering, deciding, matches, trace


def finish_group(
    plan: ClaimPlan,
    facts: ClaimFacts,
    warranty: str | None,
    found: GroupStatus,
    state: RemedyState | None = None,
    verdict: Verdict | None = None,
    when: Callable[[RemedyPlan], Truth] | None = None,
) -> GroupResult:
    """Steps 4-6 for one warranty with the status ``found``: remedy, loaners and costs.

    ``state``: the remedy state (built here when ``None``); ``verdict``: which
    remedy rule applies, covered (remedy rules) or expired (abnormal-life rules;
    default: :func:`run_rules`); ``when``: answers a loaner rule's ``when`` (default:
    its compiled condition).
    """
    status, missing, applicable, covering, deciding, matches, trace = found
    remedy: Remedy | None = None
    loaners: tuple[Loaner, ...] = ()
    costs: tuple[CostEntry, ...] = ()
    warnings: list[str] = []
    exclusions: tuple[ExclusionMatch, ...] = ()
    service_refusable = False
    if matches:
        exclusions = tuple([ex.match for ex in matches])
        trace.extend([ex.reason for ex in matches])
        service_refusable = any(ex.outcome == "no_service" for ex in matches)

    if status == "covered":
        assert deciding is not None
        if state is None:
            state = remedy_state(plan, covering, applicable)
        if verdict is None:
            verdict = run_rules(plan.remedies.rules, facts, state)
        remedy, extra_missing = _covered_remedy(plan, facts, deciding, verdict, trace)
        if extra_missing:
            status, missing, remedy = "undetermined", extra_missing, None
        else:
            if plan.loaner_rules:
                loaners = _loaners(plan, facts, state, trace, warnings, when)
            # the covering terms' tables and those of the cost_cover terms that run (P12, P13)
            running = [
                e
                for e in applicable
                if e.plan.kind == "cost_cover" and e.inside is True and e.applies is True and e.in_effect
            ]  # e.covers_failure is True
            costs = _term_costs(plan, facts, "covered", covering + running, trace)
    elif status == "excluded":
        remedy, reason = plan.remember(
            ("excluded", *[ex.id for ex in matches]),
            lambda: _excluded_remedy(matches, service_refusable),
        )
        trace.append(reason)
        costs = _excluded_costs(plan, facts, matches, trace)
    elif status == "expired":
        if verdict is None and plan.abnormal_rules:
            if state is None:
                state = remedy_state(plan, (), applicable)
            verdict = run_rules(plan.abnormal_rules, facts, state)
        remedy, costs, extra_missing = _expired(
            plan, facts, verdict, applicable, deciding, service_refusable, trace
        )
        if extra_missing:
            status, missing, remedy, costs = "undetermined", extra_missing, None, ()

    return (
        warranty if warranty is not None else (deciding.plan.warranty if deciding else None),
        status,
        missing,
        deciding.plan.id if deciding is not None and status != "undetermined" else None,
        applicable,
        exclusions,
        remedy,
        loaners,
        costs,
        tuple(warnings) if warnings else (),
        trace,
    )


def remedy_state(
    plan: ClaimPlan, covering: Iterable[TermEval], applicable: list[TermEval]
) -> RemedyState:
    """What the remedy rules of one warranty read besides the facts."""
    counting = plan.counting
    return RemedyState(
        plan.policy,
        tuple(covering),
        tuple(applicable),
        plan.zone,
        counting.roll_forward,
        counting.start_day,
        counting.month_end,
    )


# ---------------------------------------------------------------- remedies


def run_rules(rules: tuple[RemedyPlan, ...], facts: ClaimFacts, state: RemedyState) -> Verdict:
    """The first of ``rules`` (in precedence order) that holds, and those before it left
    unknown."""
    pending: list[tuple[RemedyPlan, Unknown]] = []
    for rule in rules:
        result, why = run_rule(rule, facts, state)
        if result is True:
            return rule, why, state.window_end, pending
        if result is not False:
            assert isinstance(result, Unknown)
            pending.append((rule, result))
    return None, "", None, pending


def _merged(unknowns: list[Unknown]) -> Unknown:
    merged = unknowns[0]
    for u in unknowns[1:]:
        merged = merged.merge(u)
    return merged


def _winner_reason(winner: RemedyPlan, why: Why, remedy: Remedy, note: str) -> Reason:
    return Reason(
        winner.id,
        winner.clause,
        f"{winner.kind.replace('_', ' ')}: {render_why(why)}; remedy {remedy.option} "
        f"(options: {', '.join(remedy.options)})"
        + (f"; replacement: {remedy.replacement.replace('_', ' ')}" if remedy.replacement else "")
        + ("; losses compensated" if remedy.compensation else "")
        + (f"; borne by the {remedy.borne_by}" if remedy.borne_by else "")
        + note,
        winner.source,
    )


def _default_remedy(plan: ClaimPlan, deciding: TermEval, choice: str | None) -> tuple[Remedy, Reason]:
    """R1: the deciding term's options (a remedy and reason shared by every such claim)."""
    term = deciding.plan
    options = _plan_options(term)
    chose = choice in options

    def build() -> tuple[Remedy, Reason]:
        option = choice if chose and choice is not None else best_option(options)
        remedy = Remedy(option=option, options=options, rule=term.id, clause=term.clause)
        reason = _reason(
            term.id,
            term.clause,
            f"remedy: {option} (options: {', '.join(options)}"
            + ("; R1 free repair" if options == ("repair",) else "")
            + ")"
            + (f"; the customer chose {choice}" if chose else ""),
            term.source,
        )
        return remedy, reason

    built: tuple[Remedy, Reason] = plan.remember(("R1", term, choice if chose else None), build)
    return built


def _covered_remedy(
    plan: ClaimPlan,
    facts: ClaimFacts,
    deciding: TermEval,
    verdict: Verdict,
    trace: Trace,
) -> tuple[Remedy | None, tuple[str, ...]]:
    winner, winner_why, window_end, pending = verdict
    claim = facts.claim
    options = winner.options if winner is not None else _term_options(deciding)
    if pending:
        wanted = frozenset(options)
        blockers = [u for r, u in pending if r.option_set != wanted]
        if blockers:
            merged = _merged(blockers)
            trace.append(
                _reason(
                    "remedies",
                    "-",
                    "a remedy rule may apply; missing " + ", ".join(merged.missing),
                    plan.remedies_source,
                )
            )
            return None, merged.missing
    choice = claim.customer_choice
    if winner is None:
        remedy, reason = _default_remedy(plan, deciding, choice)
        trace.append(reason)
        return remedy, ()
    chosen_rule = winner.rule
    dep = None
    note = ""
    if chosen_rule.chosen_by == "vendor":
        # models.RemedyBase.chosen_by: the vendor picks among the options, so the
        # customer's choice does not bind; the decision names the most favourable one
        # as what may be owed and says who decides
        note = "; the vendor chooses among the options" + (
            f" (the customer's choice {choice} does not bind)" if choice is not None else ""
        )
        choice = None
    option = choice if choice is not None and choice in options else best_option(options)
    if chosen_rule.depreciation is not None and choice == RemedyOption.REFUND.value:
        available = claim.same_model_available
        if available is None:
            trace.append(
                _reason(winner.id, winner.clause, "the customer asks for a return; whether the same model is available is unknown", winner.source)
            )
            return None, ("claim.same_model_available",)
        if available:
            dep, dep_missing = depreciation(chosen_rule.depreciation, facts)
            if dep is None:
                trace.append(
                    _reason(winner.id, winner.clause, "depreciation cannot be computed; missing " + ", ".join(dep_missing), winner.source)
                )
                return None, dep_missing
            note = (
                f"; the customer refused an available exchange: return with depreciation "
                f"{dep.amount} ({dep.days} days x {dep.daily_rate_percent}%/day), refund {dep.refund} (CN-GEN-10/11)"
            )
        else:
            note = "; no same model available and the customer declines another: return without depreciation (CN-GEN-09)"
        option = "refund"
        if "refund" not in options:
            options = (*options, "refund")
    remedy = _rule_remedy(winner, option, options, window_end, dep)
    trace.append((_winner_reason, winner, winner_why, remedy, note))
    return remedy, ()


def _rule_remedy(
    winner: RemedyPlan, option: str, options: tuple[str, ...], window_end: date | None, dep: Any
) -> Remedy:
    rule = winner.rule
    return make_remedy(
        option,
        options,
        winner.id,
        winner.clause,
        getattr(rule, "replacement", None),
        rule.compensation,
        getattr(rule, "borne_by", None),
        window_end,
        dep,
    )


def _loaners(
    plan: ClaimPlan,
    facts: ClaimFacts,
    state: RemedyState,
    trace: Trace,
    warnings: list[str],
    when: Callable[[RemedyPlan], Truth] | None,
) -> tuple[Loaner, ...]:
    out: list[Loaner] = []
    for rule in plan.loaner_rules:
        gate = rule.gate(facts, state, when)
        if gate is False:
            continue
        lr: Any = rule.rule
        if isinstance(gate, Unknown):
            out.append(
                Loaner(
                    rule=rule.id,
                    clause=rule.clause,
                    provides=lr.provides,
                    calendar=lr.calendar or "7x24",
                    due=None,
                    deliver_by=None,
                    state="undetermined",
                    overdue=None,
                    missing=gate.missing,
                )
            )
            continue
        item = loaner(lr, facts, state, plan.policy)
        out.append(item)
        if item.due is not None and facts.claim.reported_at is not None:
            calendar = business_calendar(plan.policy, item.calendar)
            if calendar.untrusted_between(facts.claim.reported_at, item.due):
                warnings.append(
                    f"holiday data of calendar '{item.calendar}' is not trusted for the loaner "
                    f"deadline {item.due.isoformat()}"
                )
        what = lr.provides.replace("_", " ")
        if item.due is None:
            text = f"{what} after {lr.after} unresolved: report time unknown"
        else:
            text = (
                f"{what} due if unresolved by {item.due.isoformat()} "
                f"(reported {facts.claim.reported_at.isoformat() if facts.claim.reported_at else '?'} + {lr.after} on {item.calendar}): {item.state}"
            )
            if item.deliver_by is not None:
                text += f"; deliver by {item.deliver_by.isoformat()}"
        trace.append(_reason(rule.id, rule.clause, text, rule.source))
    return tuple(out)


def _expired(
    plan: ClaimPlan,
    facts: ClaimFacts,
    verdict: Verdict | None,
    applicable: list[TermEval],
    deciding: TermEval | None,
    refused: bool,
    trace: Trace,
) -> tuple[Remedy | None, tuple[CostEntry, ...], tuple[str, ...]]:
    if verdict is not None:
        rule, why, _, pending = verdict
        if rule is not None:
            return (*_abnormal_life(plan, facts, rule, why, trace), ())
        if pending:
            return None, (), _merged([u for _, u in pending]).missing
    services = [
        e
        for e in applicable
        if e.plan.kind in _EXPIRED_SERVICE_KINDS
        and e.inside is True
        and e.applies is True
        and e.in_effect
    ]  # e.covers_failure is True
    service = next((e for e in services if e.plan.kind in SERVICE_KINDS), None)
    source = service or deciding
    source_plan = source.plan if source is not None else None
    service_plan = service.plan if service is not None else None

    def build() -> tuple[Remedy, Reason]:
        remedy = Remedy(
            option="paid_repair",
            options=("paid_repair",),
            rule=source_plan.id if source_plan else "expired",
            clause=source_plan.clause if source_plan else "-",
            service_may_be_refused=refused,
        )
        reason = _reason(
            remedy.rule,
            remedy.clause,
            "remedy: paid repair"
            + (
                f" under the {service_plan.kind.replace('_', ' ')} term {service_plan.id}"
                if service_plan
                else " (out of warranty)"
            )
            + ("; the vendor may refuse service" if refused else ""),
            source_plan.source if source_plan else plan.terms_source,
        )
        return remedy, reason

    remedy, reason = plan.remember(("paid", source_plan, service_plan, refused), build)
    trace.append(reason)
    return remedy, _term_costs(plan, facts, "expired", services, trace), ()


def _abnormal_life(
    plan: ClaimPlan, facts: ClaimFacts, rule: RemedyPlan, why: Why, trace: Trace
) -> tuple[Remedy, tuple[CostEntry, ...]]:
    """R10: an abnormal-life rule holds after the warranty: its remedy, every line free."""
    options = rule.options
    choice = facts.claim.customer_choice if rule.rule.chosen_by == "customer" else None
    option = choice if choice is not None and choice in options else best_option(options)
    remedy = Remedy(
        option=option,
        options=options,
        rule=rule.id,
        clause=rule.clause,
        replacement=getattr(rule.rule, "replacement", None),
        compensation=rule.rule.compensation,
    )
    trace.append(
        _reason(
            rule.id,
            rule.clause,
            f"{render_why(why)}: {option} free of charge" + ("; losses compensated" if remedy.compensation else ""),
            rule.source,
        )
    )
    free = CostRule(payer="vendor", clause=rule.clause)
    named = set(plan.tables["covered"]) | set(plan.tables["expired"]) | set(facts.claim.prices)
    table = [CostSource(line=line, rule=free, rule_id=rule.id, clause=rule.clause, source=rule.source) for line in named]
    costs = assign_costs(
        plan.policy, facts.claim, "abnormal_life", [table], {}, free, trace
    )
    return remedy, costs


# ---------------------------------------------------------------- costs


def _term_costs(
    plan: ClaimPlan, facts: ClaimFacts, situation: str, chosen: list[TermEval], trace: Trace
) -> tuple[CostEntry, ...]:
    """Covered or expired: the most favourable of the ``chosen`` terms' tables, then the
    policy's table of the situation, then its default."""
    key = (situation, tuple([e.plan for e in chosen]))
    lines: LinePlan | None = plan.cost_cache.get(key)
    if lines is None:
        lines = plan.cost_cache[key] = LinePlan(
            situation,
            [list(plan.term_costs[e.plan.id]) for e in chosen],
            plan.tables[situation],
            DEFAULT_RULES[situation],
            False,
        )
    return line_costs(lines, facts.claim, trace, plan.cost_cache)


def _excluded_costs(
    plan: ClaimPlan, facts: ClaimFacts, matches: list[ExclusionPlan], trace: Trace
) -> tuple[CostEntry, ...]:
    return assign_costs(
        plan.policy,
        facts.claim,
        "excluded",
        lambda: [list(ex.costs) for ex in matches],
        plan.tables["excluded"],
        DEFAULT_RULES["excluded"],
        trace,
        first_wins=True,
        cache=plan.cost_cache,
        cache_key=tuple([ex.id for ex in matches]),
    )
