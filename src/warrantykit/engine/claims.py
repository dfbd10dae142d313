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
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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
    any_of,
    condition_for,
)
from warrantykit.engine.costs import DEFAULT_RULES, CostSource, assign_costs
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
    make_term_window,
)
from warrantykit.engine.reasons import Reason
from warrantykit.engine.remedies import (
    RemedyPlan,
    RemedyState,
    best_option,
    compile_remedies,
    depreciation,
    loaner,
    run_rule,
)
from warrantykit.engine.terms import (
    COVERAGE_KINDS,
    SERVICE_KINDS,
    ClaimFacts,
    TermEval,
    TermPlan,
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
    """Everything the claim evaluation needs from one policy, built once."""

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
        self.exclusions = tuple(self._exclusion(i, e) for i, e in enumerate(doc.exclusions))
        self.remedies = compile_remedies(policy)
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
        self.warranty_names = {w.id: (w.name or w.id) for w in doc.warranties}

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
        )

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


def _check_as_of(as_of: object) -> date:
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


def _parse(claim: Claim | Mapping[str, Any] | str | bytes) -> Claim:
    if isinstance(claim, Claim):
        return claim
    if claim is None:
        raise FactsError(Problem("a claim is required", path="claim", code="missing"))
    return parse_facts(Claim, claim, name="claim")


def evaluate(
    policy: Policy, claim: Claim | Mapping[str, Any] | str | bytes, *, as_of: date
) -> ClaimDecision:
    """Decide ``claim`` under ``policy`` as of ``as_of`` (see the module docstring)."""
    day = _check_as_of(as_of)
    plan = compile_claims(policy)
    facts_model = _parse(claim)
    plan.check_cause_codes(facts_model)
    facts = ClaimFacts(facts_model, day)
    outcomes = [_evaluate_group(plan, facts, warranty, terms) for warranty, terms in plan.groups]
    others: tuple[Outcome, ...] = ()
    if len(outcomes) == 1:
        best = outcomes[0]
    else:
        order = sorted(range(len(outcomes)), key=lambda i: _favour(outcomes[i]), reverse=True)
        best = outcomes[order[0]]
        others = tuple(outcomes[i] for i in order[1:])
        choice = Reason(
            rule=best.warranty or "warranty_choice",
            clause="P10",
            text=(
                f"the customer may choose the more favourable warranty: "
                f"'{best.warranty}' ({best.status}"
                + (f", {best.remedy.option}" if best.remedy else "")
                + ") is given; "
                + "; ".join(
                    f"'{o.warranty}' would be {o.status}"
                    + (f" with {o.remedy.option}" if o.remedy else "")
                    for o in others
                )
            ),
            source=str(policy.source_of("warranty_choice")),
        )
        best = replace(best, reasons=(*best.reasons, choice))
        for other in others:
            if other.status == "undetermined":
                facts.warnings.append(
                    f"the outcome under warranty '{other.warranty}' is undetermined "
                    f"(missing {', '.join(other.missing)})"
                )
    warnings = best.warnings
    if facts.warnings:
        warnings = tuple(dict.fromkeys(warnings + tuple(facts.warnings)))
    return make_decision(
        plan.ref,
        day,
        facts_model,
        best.status,
        best.warranty,
        best.missing,
        best.term,
        best.terms,
        best.exclusions,
        best.remedy,
        best.loaners,
        best.costs,
        others,
        warnings,
        best.reasons,
    )


def evaluate_many(
    policy: Policy, claims: Iterable[Claim | Mapping[str, Any] | str | bytes], *, as_of: date
) -> Iterator[ClaimDecision]:
    """Lazily decide each claim; ``as_of`` is checked at once, each claim when it is reached."""
    day = _check_as_of(as_of)
    compile_claims(policy)
    return (evaluate(policy, claim, as_of=day) for claim in claims)


def _favour(outcome: Outcome) -> tuple[int, int, Decimal, int]:
    remedy_rank = OPTION_RANK.get(outcome.remedy.option, 0) if outcome.remedy else 0
    total = outcome.customer_total()
    customer_lines = sum(1 for c in outcome.costs if c.payer == "customer")
    cost_key = -(total.amount if total is not None else Decimal(0))
    return STATUS_RANK[outcome.status], remedy_rank, cost_key, -customer_lines


# ---------------------------------------------------------------- one warranty


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


def _term_text(e: TermEval, fd: date | None) -> str:
    plan = e.plan
    head = f"{plan.kind} term {plan.id} ({plan.length_text})"
    if e.never_starts:
        return f"{head} never starts: {e.anchor}"
    if e.start is None:
        return f"{head}: start unknown (missing {', '.join(e.missing)})"
    if e.lifetime:
        span = f"from {e.start.isoformat()}, no end (lifetime)"
    elif e.end is None:
        span = f"from {e.start.isoformat()}, end by meter" if e.end_known else (
            f"from {e.start.isoformat()}, end unknown (missing {', '.join(e.missing)})"
        )
    else:
        span = f"{e.start.isoformat()} to {e.end.isoformat()}"
        extras = []
        if e.extension_days:
            extras.append(
                f"{e.original_end.isoformat() if e.original_end else '?'} + "
                f"{e.extension_days} repair/waiting days"
            )
        if e.rolled_from is not None:
            extras.append(f"rolled forward from {e.rolled_from.isoformat()} off a holiday")
        if extras:
            span += " (" + "; ".join(extras) + ")"
    text = f"{head} counted from {e.anchor}: {span}"
    for m in e.meters:
        reading = "unknown" if m.reading is None else str(m.reading)
        text += f"; {m.meter} {reading} of limit {m.limit}"
    if not e.in_effect:
        text += "; starts outside the policy's effective window"
    if fd is not None:
        if e.inside is True:
            text += f"; failure {fd.isoformat()} is inside"
        elif e.inside is False:
            text += f"; failure {fd.isoformat()} is " + (
                "before it starts" if e.before_start else "outside"
            )
    return text


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


def _evaluate_group(
    plan: ClaimPlan, facts: ClaimFacts, warranty: str | None, term_plans: tuple[TermPlan, ...]
) -> Outcome:
    reasons: list[Reason] = []
    warnings: list[str] = []
    fd = facts.failure_date
    applicable: list[TermEval] = []
    coverage: list[TermEval] = []
    truths: list[Truth] = []
    for t in term_plans:
        applies = t.selector(facts)
        if applies is False:
            continue
        e = t.evaluate(facts, applies)
        applicable.append(e)
        reasons.append(Reason(t.id, t.clause, _term_text(e, fd), t.source))
        if t.kind in COVERAGE_KINDS:
            coverage.append(e)
            truths.append(e.covers_failure)
    windows = tuple(_window(e) for e in applicable)
    covered = any_of(truths)
    covering = [e for e, truth in zip(coverage, truths, strict=True) if truth is True]
    status: str
    missing: tuple[str, ...] = ()
    matches: list[ExclusionPlan] = []
    deciding: TermEval | None = None
    remedy: Remedy | None = None
    loaners: tuple[Loaner, ...] = ()
    costs: tuple[CostEntry, ...] = ()
    claim = facts.claim

    if covered is True:
        deciding = _deciding_term(covering)
        covering_ids = {e.id for e in covering}
        unknown: Unknown | None = None
        for ex in plan.exclusions:
            if ex.terms is not None and not covering_ids <= ex.terms:
                continue
            result = ex.when(facts.env)
            if result is True:
                matches.append(ex)
            elif result is not False:
                assert isinstance(result, Unknown)
                unknown = result if unknown is None else unknown.merge(result)
        reasons.append(
            _reason(
                deciding.plan.id,
                deciding.plan.clause,
                f"the failure is inside the {deciding.plan.kind} term {deciding.plan.id}"
                + (f" (until {deciding.end.isoformat()})" if deciding.end else ""),
                deciding.plan.source,
            )
        )
        if matches:
            status = "excluded"
        elif unknown is not None:
            status = "undetermined"
            missing = unknown.missing
            reasons.append(
                _reason(
                    "exclusions",
                    "-",
                    "an exclusion may apply; missing " + ", ".join(missing),
                    str(plan.policy.source_of("exclusions")),
                )
            )
        else:
            status = "covered"
    elif covered is False:
        candidates = [
            e for e in coverage if e.in_effect and not e.never_starts and e.applies is not False
        ]
        subject = f"component {claim.component}" if claim.component else "the unit"
        if not candidates:
            status = "not_applicable"
            reasons.append(
                _reason(
                    "terms",
                    "-",
                    f"no warranty term of this policy covers {subject}",
                    plan.ref.file or "-",
                )
            )
        elif all(e.before_start for e in candidates):
            status = "not_applicable"
            first = min(candidates, key=lambda e: e.start or date.max)
            reasons.append(
                _reason(
                    first.plan.id,
                    first.plan.clause,
                    f"the failure precedes the warranty (starts {first.start.isoformat() if first.start else '?'})",
                    first.plan.source,
                )
            )
        else:
            status = "expired"
            deciding = max(candidates, key=lambda e: (_end_key(e), -e.plan.index))
            reasons.append(
                _reason(
                    deciding.plan.id,
                    deciding.plan.clause,
                    f"the warranty has ended for {subject}: "
                    + (
                        f"last covered day {deciding.end.isoformat()}"
                        if deciding.end is not None
                        else "a usage limit was exceeded"
                    )
                    + (f", failure on {fd.isoformat()}" if fd else ""),
                    deciding.plan.source,
                )
            )
        # X12: an exclusion may let the vendor refuse service even out of warranty
        for ex in plan.exclusions:
            if ex.outcome == "no_service" and ex.when(facts.env) is True:
                matches.append(ex)
    else:
        status = "undetermined"
        assert isinstance(covered, Unknown)
        missing = covered.missing
        reasons.append(
            _reason(
                "terms",
                "-",
                "whether a term covers the failure is unknown; missing " + ", ".join(missing),
                plan.ref.file or "-",
            )
        )

    exclusions = tuple(
        ExclusionMatch(id=ex.id, clause=ex.clause, outcome=ex.outcome, still_provided=ex.still_provided)
        for ex in matches
    )
    for ex in matches:
        refused = " (service may be refused)" if ex.outcome == "no_service" else ""
        reasons.append(
            _reason(
                ex.id,
                ex.clause,
                f"exclusion {ex.id} applies: {ex.text or ex.id}{refused}",
                ex.source,
            )
        )

    state = RemedyState(
        policy=plan.policy,
        covering=tuple(covering),
        applicable=tuple(applicable),
        zone=plan.zone,
        counting_roll=plan.counting.roll_forward,
        start_day=plan.counting.start_day,
        month_end=plan.counting.month_end,
    )
    service_refusable = any(ex.outcome == "no_service" for ex in matches)

    if status == "covered":
        assert deciding is not None
        remedy, extra_missing = _covered_remedy(plan, facts, state, deciding, reasons)
        if extra_missing:
            status, missing, remedy = "undetermined", extra_missing, None
        else:
            loaners = _loaners(plan, facts, state, reasons, warnings)
            costs = _covered_costs(plan, facts, covering, applicable, reasons)
    elif status == "excluded":
        worst = max(matches, key=lambda ex: _OUTCOME_SEVERITY.get(ex.outcome, 0))
        option = "advice_only" if worst.outcome == "advice_only" else "paid_repair"
        remedy = Remedy(
            option=option,
            options=(option,),
            rule=worst.id,
            clause=worst.clause,
            service_may_be_refused=service_refusable,
        )
        reasons.append(
            _reason(
                worst.id,
                worst.clause,
                f"remedy: {option.replace('_', ' ')}"
                + (
                    "; still provided: " + ", ".join(dict.fromkeys(s for ex in matches for s in ex.still_provided))
                    if any(ex.still_provided for ex in matches)
                    else ""
                )
                + ("; the vendor may refuse service" if service_refusable else ""),
                worst.source,
            )
        )
        costs = _excluded_costs(plan, facts, matches, reasons)
    elif status == "expired":
        remedy, costs, extra_missing = _expired(
            plan, facts, state, applicable, deciding, service_refusable, reasons
        )
        if extra_missing:
            status, missing, remedy, costs = "undetermined", extra_missing, None, ()

    return make_outcome(
        warranty if warranty is not None else (deciding.plan.warranty if deciding else None),
        status,
        missing,
        deciding.plan.id if deciding is not None and status != "undetermined" else None,
        windows,
        exclusions,
        remedy,
        loaners,
        costs,
        tuple(warnings),
        tuple(reasons),
    )


# ---------------------------------------------------------------- remedies


def _same_result(plan_a: RemedyPlan, options: tuple[str, ...]) -> bool:
    return set(o.value for o in plan_a.rule.options) == set(options)


def _covered_remedy(
    plan: ClaimPlan,
    facts: ClaimFacts,
    state: RemedyState,
    deciding: TermEval,
    reasons: list[Reason],
) -> tuple[Remedy | None, tuple[str, ...]]:
    winner: RemedyPlan | None = None
    winner_text = ""
    window_end: date | None = None
    pending: list[tuple[RemedyPlan, Unknown]] = []
    for rule in plan.remedies.rules:
        result, text = run_rule(rule, facts, state)
        if result is True:
            winner, winner_text, window_end = rule, text, state.window_end
            break
        if isinstance(result, Unknown):
            pending.append((rule, result))
    claim = facts.claim
    if winner is not None:
        options = tuple(o.value for o in winner.rule.options)
    else:
        options = _term_options(deciding)
    blockers = [u for r, u in pending if not _same_result(r, options)]
    if blockers:
        merged = blockers[0]
        for u in blockers[1:]:
            merged = merged.merge(u)
        reasons.append(
            _reason(
                "remedies",
                "-",
                "a remedy rule may apply; missing " + ", ".join(merged.missing),
                str(plan.policy.source_of("remedies")),
            )
        )
        return None, merged.missing
    choice = claim.customer_choice
    if winner is None:
        option = choice if choice in options else best_option(options)
        remedy = Remedy(
            option=option,
            options=options,
            rule=deciding.plan.id,
            clause=deciding.plan.clause,
        )
        reasons.append(
            _reason(
                deciding.plan.id,
                deciding.plan.clause,
                f"remedy: {option} (options: {', '.join(options)}"
                + ("; R1 free repair" if options == ("repair",) else "")
                + ")"
                + (f"; the customer chose {choice}" if choice in options else ""),
                deciding.plan.source,
            )
        )
        return remedy, ()
    chosen_rule = winner.rule
    dep = None
    option = choice if choice in options else best_option(options)
    note = ""
    if chosen_rule.depreciation is not None and choice == RemedyOption.REFUND.value:
        available = claim.same_model_available
        if available is None:
            reasons.append(
                _reason(winner.id, winner.clause, "the customer asks for a return; whether the same model is available is unknown", winner.source)
            )
            return None, ("claim.same_model_available",)
        if available:
            dep, dep_missing = depreciation(chosen_rule.depreciation, facts)
            if dep is None:
                reasons.append(
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
    remedy = Remedy(
        option=option,
        options=options,
        rule=winner.id,
        clause=winner.clause,
        replacement=getattr(chosen_rule, "replacement", None),
        compensation=chosen_rule.compensation,
        borne_by=getattr(chosen_rule, "borne_by", None),
        window_end=window_end,
        depreciation=dep,
    )
    reasons.append(
        _reason(
            winner.id,
            winner.clause,
            f"{winner.kind.replace('_', ' ')}: {winner_text}; remedy {option} (options: {', '.join(options)})"
            + (f"; replacement: {remedy.replacement.replace('_', ' ')}" if remedy.replacement else "")
            + ("; losses compensated" if remedy.compensation else "")
            + (f"; borne by the {remedy.borne_by}" if remedy.borne_by else "")
            + note,
            winner.source,
        )
    )
    return remedy, ()


def _loaners(
    plan: ClaimPlan,
    facts: ClaimFacts,
    state: RemedyState,
    reasons: list[Reason],
    warnings: list[str],
) -> tuple[Loaner, ...]:
    out: list[Loaner] = []
    for rule in plan.remedies.loaners:
        gate = rule.gate(facts, state)
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
            from warrantykit.engine.terms import business_calendar

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
        reasons.append(_reason(rule.id, rule.clause, text, rule.source))
    return tuple(out)


def _expired(
    plan: ClaimPlan,
    facts: ClaimFacts,
    state: RemedyState,
    applicable: list[TermEval],
    deciding: TermEval | None,
    refused: bool,
    reasons: list[Reason],
) -> tuple[Remedy | None, tuple[CostEntry, ...], tuple[str, ...]]:
    pending: list[Unknown] = []
    for rule in plan.remedies.rules:
        if rule.kind != "abnormal_life":
            continue
        result, text = run_rule(rule, facts, state)
        if isinstance(result, Unknown):
            pending.append(result)
            continue
        if result is not True:
            continue
        options = tuple(o.value for o in rule.rule.options)
        choice = facts.claim.customer_choice
        option = choice if choice in options else best_option(options)
        remedy = Remedy(
            option=option,
            options=options,
            rule=rule.id,
            clause=rule.clause,
            replacement=getattr(rule.rule, "replacement", None),
            compensation=rule.rule.compensation,
        )
        reasons.append(
            _reason(
                rule.id,
                rule.clause,
                f"{text}: {option} free of charge" + ("; losses compensated" if remedy.compensation else ""),
                rule.source,
            )
        )
        free = CostRule(payer="vendor", clause=rule.clause)
        lines = set(plan.tables["covered"]) | set(plan.tables["expired"]) | set(facts.claim.prices)
        table = [CostSource(line=line, rule=free, rule_id=rule.id, clause=rule.clause, source=rule.source) for line in lines]
        costs = assign_costs(
            plan.policy, facts.claim, "abnormal_life", [table], {}, free, reasons
        )
        return remedy, costs, ()
    if pending:
        merged = pending[0]
        for u in pending[1:]:
            merged = merged.merge(u)
        return None, (), merged.missing
    services = [
        e
        for e in applicable
        if e.plan.kind in SERVICE_KINDS | {"cost_cover"} and e.covers_failure is True
    ]
    service = next((e for e in services if e.plan.kind in SERVICE_KINDS), None)
    source = service or deciding
    remedy = Remedy(
        option="paid_repair",
        options=("paid_repair",),
        rule=source.plan.id if source else "expired",
        clause=source.plan.clause if source else "-",
        service_may_be_refused=refused,
    )
    reasons.append(
        _reason(
            remedy.rule,
            remedy.clause,
            "remedy: paid repair"
            + (f" under the {service.plan.kind.replace('_', ' ')} term {service.plan.id}" if service else " (out of warranty)")
            + ("; the vendor may refuse service" if refused else ""),
            source.plan.source if source else plan.ref.file or "-",
        )
    )
    layers = [list(plan.term_costs[e.id]) for e in services]
    costs = assign_costs(
        plan.policy,
        facts.claim,
        "expired",
        layers,
        plan.tables["expired"],
        DEFAULT_RULES["expired"],
        reasons,
        cache=plan.cost_cache,
        cache_key=tuple(e.id for e in services),
    )
    return remedy, costs, ()


# ---------------------------------------------------------------- costs


def _covered_costs(
    plan: ClaimPlan,
    facts: ClaimFacts,
    covering: list[TermEval],
    applicable: list[TermEval],
    reasons: list[Reason],
) -> tuple[CostEntry, ...]:
    chosen = covering + [
        e for e in applicable if e.plan.kind == "cost_cover" and e.covers_failure is True
    ]
    key = tuple(e.id for e in chosen)

    def layers() -> list[list[CostSource]]:
        return [list(plan.term_costs[e.id]) for e in chosen]

    return assign_costs(
        plan.policy,
        facts.claim,
        "covered",
        layers,
        plan.tables["covered"],
        DEFAULT_RULES["covered"],
        reasons,
        cache=plan.cost_cache,
        cache_key=key,
    )


def _excluded_costs(
    plan: ClaimPlan, facts: ClaimFacts, matches: list[ExclusionPlan], reasons: list[Reason]
) -> tuple[CostEntry, ...]:
    layers = [list(ex.costs) for ex in matches]
    return assign_costs(
        plan.policy,
        facts.claim,
        "excluded",
        layers,
        plan.tables["excluded"],
        DEFAULT_RULES["excluded"],
        reasons,
        first_wins=True,
        cache=plan.cost_cache,
        cache_key=tuple(ex.id for ex in matches),
    )

