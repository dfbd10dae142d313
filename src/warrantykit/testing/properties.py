"""Ready-made invariants of a policy's decisions, for Hypothesis tests.

Each ``check_*`` function takes the policy and one example from
:mod:`warrantykit.testing.strategies` and raises :class:`PropertyFailure` (an
:class:`AssertionError`) with a message saying what broke; use them inside
``@given`` tests::

    from hypothesis import given
    from warrantykit.testing import properties as wpr, strategies as wst

    @given(wst.claim_examples(policy))
    def test_claims_replay(example):
        wpr.check_replays(policy, example)

or run every property of a policy at once with :func:`check_all` (raises) or
:func:`run_properties` (returns a :class:`PropertyResult` per property, with the
shrunk counterexample as a paste-ready case-file snippet).  The ``assert_*``
functions check one decision you already have.

The properties
==============

========================================  ==========================================
``claim deterministic``                   evaluating twice (and once more on a copy of
                                          the policy with cold caches) gives the same
                                          JSON; the same for tickets and schedules
``claim replays``                         ``to_json()`` is JSON; re-evaluating the
                                          recorded facts at the recorded ``as_of``
                                          gives the same JSON; ``from_json`` gives it
                                          back (tickets: the recorded ticket)
``claim coverage-does-not-return``        for failure dates moving forward with every
                                          other fact fixed, a term's ``inside`` never
                                          turns true again once it turned false after
                                          being true
``claim one-payer-per-share``             every cost entry has one known payer, a line
                                          has one entry per payer, and with the line's
                                          price known the amounts add up to it
``claim excluded-is-never-free``          an ``excluded`` outcome charges the customer
                                          something (an entry paid by the customer,
                                          amount unknown or positive) unless a matched
                                          exclusion says ``advice_only`` or
                                          ``no_service``
``ticket deadlines-open-after-start``     no due instant is before its clock's start,
                                          and none lies in closed time of the metric's
                                          calendar (open, or exactly a closing time)
``schedule obligations-inside-horizon``   every obligation is due inside the horizon
                                          and inside its own window
``schedule unique-obligation-ids``        no two obligations share an id
``* decides-without-crash``               the engine decides, or raises a typed
                                          :class:`~warrantykit.errors.WarrantykitError`;
                                          never another exception
========================================  ==========================================

An :class:`~warrantykit.errors.EvaluationError` (valid facts the policy cannot
combine) is not a violation: the example has no decision to check.  A
:class:`~warrantykit.errors.FactsError` is not caught: it means the example's
facts are invalid, a bug of the strategy that produced them.
"""

from __future__ import annotations

import dataclasses
import json
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final, Literal

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from warrantykit.engine.compiled import Policy
from warrantykit.engine.decision import ClaimDecision, Outcome
from warrantykit.engine.obligations import Schedule
from warrantykit.engine.sla import TicketDecision
from warrantykit.errors import FactsError, WarrantykitError
from warrantykit.facts import Claim, Ticket, parse_facts
from warrantykit.testing.snippets import case_snippet
from warrantykit.testing.strategies import (
    ClaimExample,
    Example,
    ScheduleExample,
    TicketExample,
    claim_examples,
    schedule_examples,
    ticket_examples,
)

__all__ = [
    "PAYERS",
    "PROPERTIES",
    "Property",
    "PropertyFailure",
    "PropertyResult",
    "assert_deadlines_open_after_start",
    "assert_excluded_is_never_free",
    "assert_obligations_inside_horizon",
    "assert_one_payer_per_share",
    "assert_unique_obligation_ids",
    "check_all",
    "check_coverage_does_not_return",
    "check_deadlines_open_after_start",
    "check_decides",
    "check_deterministic",
    "check_excluded_is_never_free",
    "check_obligations_inside_horizon",
    "check_one_payer_per_share",
    "check_replays",
    "check_unique_obligation_ids",
    "properties_for",
    "run_properties",
]

Kind = Literal["claim", "ticket", "schedule"]

PAYERS: Final = frozenset(
    {"vendor", "customer", "manufacturer", "seller", "repairer", "responsible_party"}
)
"""Every payer a cost entry may name (``docs/decisions.md``, CostEntry)."""

_CENT: Final = Decimal("0.01")
_ONE_DAY: Final = timedelta(days=1)


class PropertyFailure(AssertionError):
    """A property does not hold: ``property`` names it, ``detail`` says why.

    ``witnesses`` are the examples that show the failure best (for
    ``coverage-does-not-return``: the claim on the day coverage ended and the one
    on the day it came back); empty means the example checked.
    """

    def __init__(self, prop: str, detail: str, witnesses: Sequence[Example] = ()) -> None:
        super().__init__(f"{prop}: {detail}")
        self.property = prop
        self.detail = detail
        self.witnesses = tuple(witnesses)


# ---------------------------------------------------------------- evaluating


@dataclass(frozen=True)
class _Result:
    decision: Any | None
    error: BaseException | None

    def signature(self) -> Any:
        if self.error is not None:
            return ("error", type(self.error).__name__, str(self.error))
        return ("json", _json_of(self.decision))


def _json_of(decision: Any) -> Any:
    data = decision.to_json()
    return json.loads(json.dumps(data, ensure_ascii=False, sort_keys=False))


def _kind(example: Example) -> Kind:
    if isinstance(example, ClaimExample):
        return "claim"
    if isinstance(example, TicketExample):
        return "ticket"
    return "schedule"


def _run(policy: Policy, example: Example) -> _Result:
    """Evaluate ``example``; a FactsError propagates, any other exception is returned."""
    try:
        return _Result(example.evaluate(policy), None)
    except FactsError:
        raise
    except Exception as exc:
        return _Result(None, exc)


def _cold(policy: Policy) -> Policy:
    """A copy of ``policy`` with empty compiled caches (everything is built again)."""
    return dataclasses.replace(policy, _cache={})


def _crash_text(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" at {last.filename.rsplit('/src/', 1)[-1]}:{last.lineno} in {last.name}"
    message = str(exc)
    return f"{type(exc).__name__}{': ' + message if message else ''}{where}"


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two JSON values differ (at most a few), e.g. ``costs[0].payer: "a" -> "b"``."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in list(dict.fromkeys([*a, *b])):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                out.append(f"{sub}: {'missing' if key not in a else json.dumps(a[key], ensure_ascii=False)}"
                           f" -> {'missing' if key not in b else json.dumps(b[key], ensure_ascii=False)}")
            else:
                out.extend(_diff(a[key], b[key], sub))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out.extend(_diff(x, y, f"{path}[{i}]"))
        return out
    if a != b:
        return [
            f"{path or '(whole)'}: {json.dumps(a, ensure_ascii=False, default=str)[:200]} -> "
            f"{json.dumps(b, ensure_ascii=False, default=str)[:200]}"
        ]
    return []


def _differences(a: Any, b: Any) -> str:
    if a[0] != b[0] or a[0] == "error":
        return f"{_show_signature(a)} -> {_show_signature(b)}"
    lines = _diff(a[1], b[1])
    shown = "; ".join(lines[:5])
    return shown + (f"; ... ({len(lines)} differences)" if len(lines) > 5 else "")


def _show_signature(sig: Any) -> str:
    if sig[0] == "error":
        return f"{sig[1]}: {sig[2]}"
    return f"a decision (status {sig[1].get('status')!r})"


# ---------------------------------------------------------------- the checks


def check_decides(policy: Policy, example: Example) -> None:
    """The engine decides ``example`` or raises a :class:`WarrantykitError`; never
    another exception (an ``AssertionError``, ``KeyError``... is an engine crash)."""
    result = _run(policy, example)
    if result.error is not None and not isinstance(result.error, WarrantykitError):
        raise PropertyFailure(
            "decides-without-crash",
            f"the engine crashed instead of deciding the {_kind(example)}: {_crash_text(result.error)}",
        )


def check_deterministic(policy: Policy, example: Example) -> None:
    """Evaluating ``example`` twice, and once more on a copy of the policy whose caches
    are cold, gives the same JSON (or the same error)."""
    first = _run(policy, example).signature()
    again = _run(policy, example).signature()
    if first != again:
        raise PropertyFailure(
            "deterministic",
            f"evaluating the same {_kind(example)} twice gave different results: "
            f"{_differences(first, again)}",
        )
    cold = _run(_cold(policy), example).signature()
    if first != cold:
        raise PropertyFailure(
            "deterministic",
            f"the {_kind(example)} decided by a copy of the policy with cold caches differs "
            f"from the one decided after other examples (cache state leaks into decisions): "
            f"{_differences(first, cold)}",
        )


def check_replays(policy: Policy, example: Example) -> None:
    """``to_json()`` is JSON, re-evaluating its recorded facts at its recorded ``as_of``
    gives the same JSON, and ``ClaimDecision.from_json`` gives the decision back."""
    result = _run(policy, example)
    if result.decision is None or isinstance(example, ScheduleExample):
        return
    name = "replays"
    try:
        text = json.dumps(result.decision.to_json(), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise PropertyFailure(name, f"to_json() is not JSON: {exc}") from None
    data = json.loads(text)
    replayed: Any
    try:
        if isinstance(example, ClaimExample):
            claim = parse_facts(Claim, data["claim"], name="claim")
            as_of_day = date.fromisoformat(data["as_of"])
            replayed = policy.evaluate(claim, as_of=as_of_day)
        else:
            ticket = parse_facts(Ticket, data["ticket"], name="ticket")
            as_of_instant = datetime.fromisoformat(data["as_of"])
            replayed = policy.evaluate_ticket(ticket, as_of=as_of_instant)
    except FactsError as exc:
        raise PropertyFailure(
            name, f"the recorded facts of the decision are no longer valid facts: {exc}"
        ) from None
    except Exception as exc:
        raise PropertyFailure(
            name, f"re-evaluating the recorded facts raised {_crash_text(exc)}"
        ) from None
    again = _json_of(replayed)
    if again != data:
        raise PropertyFailure(
            name,
            "re-evaluating the facts and as_of recorded in to_json() gives another decision: "
            + "; ".join(_diff(data, again)[:5]),
        )
    if isinstance(example, ClaimExample):
        try:
            rebuilt = ClaimDecision.from_json(data).to_json()
        except WarrantykitError as exc:
            raise PropertyFailure(name, f"ClaimDecision.from_json rejects to_json(): {exc}") from None
        rebuilt = json.loads(json.dumps(rebuilt, ensure_ascii=False))
        if rebuilt != data:
            raise PropertyFailure(
                name,
                "ClaimDecision.from_json(d.to_json()).to_json() differs from d.to_json(): "
                + "; ".join(_diff(data, rebuilt)[:5]),
            )


def check_coverage_does_not_return(policy: Policy, example: Example) -> None:
    """Within one term, coverage does not come back once it has ended: for failure dates
    moving forward with every other fact (and ``as_of``) fixed, no term is inside, then
    outside, then inside again.

    The dates tried are the example's failure date and, for every term window of its
    decision, its first and last days and their neighbours."""
    if not isinstance(example, ClaimExample) or example.claim.failure_date is None:
        return
    base = _run(policy, example)
    if base.decision is None:
        return
    probes: set[date] = {example.claim.failure_date}
    for term in base.decision.terms:
        for day in (term.start, term.original_end, term.end, term.rolled_from):
            if day is None:
                continue
            for k in (-1, 0, 1, 2):
                try:
                    probes.add(day + timedelta(days=k))
                except OverflowError:
                    pass
    failure = example.claim.failure_date
    for k in (-400, -30, 30, 400):
        try:
            probes.add(failure + timedelta(days=k))
        except OverflowError:
            pass
    days = sorted(probes)
    as_of = max(example.as_of, days[-1])
    data = example.claim.model_dump(mode="python", exclude_defaults=True)
    seen: dict[str, list[tuple[date, bool]]] = {}
    claims: dict[date, ClaimExample] = {}
    for day in days:
        probe = ClaimExample(claim=parse_facts(Claim, {**data, "failure_date": day}, name="claim"), as_of=as_of)
        claims[day] = probe
        result = _run(policy, probe)
        if result.decision is None:
            continue
        for term in result.decision.terms:
            if term.inside is not None:
                seen.setdefault(term.id, []).append((day, term.inside))
    for term_id, marks in seen.items():
        covered_on: date | None = None
        ended_on: date | None = None
        for day, inside in marks:
            if inside and ended_on is None:
                covered_on = day
            elif not inside and covered_on is not None and ended_on is None:
                ended_on = day
            elif inside and ended_on is not None and covered_on is not None:
                raise PropertyFailure(
                    "coverage-does-not-return",
                    f"term {term_id!r} covers a failure on {covered_on}, not one on {ended_on}, "
                    f"but again one on {day} (everything else fixed, as_of {as_of})",
                    (claims[ended_on], claims[day]),
                )


def _outcomes(decision: ClaimDecision) -> Iterable[tuple[str, Outcome]]:
    yield "", decision.outcome()
    for i, alt in enumerate(decision.alternatives):
        yield f"alternatives[{i}] (warranty {alt.warranty}): ", alt


def assert_one_payer_per_share(decision: ClaimDecision) -> None:
    """Every cost entry names one known payer, each line has at most one entry per payer,
    and the amounts of a line with a known price add up to that price."""
    prices = decision.claim.prices
    for where, outcome in _outcomes(decision):
        by_line: dict[str, list[Any]] = {}
        for entry in outcome.costs:
            if not entry.payer or entry.payer not in PAYERS:
                raise PropertyFailure(
                    "one-payer-per-share",
                    f"{where}cost line {entry.line} has an entry with payer {entry.payer!r} "
                    f"(expected one of {', '.join(sorted(PAYERS))})",
                )
            by_line.setdefault(entry.line, []).append(entry)
        for line, entries in by_line.items():
            payers = [e.payer for e in entries]
            twice = sorted({p for p in payers if payers.count(p) > 1})
            if twice:
                raise PropertyFailure(
                    "one-payer-per-share",
                    f"{where}cost line {line} has {len(entries)} entries and payer "
                    f"{', '.join(twice)} appears more than once (one entry per payer and share): "
                    + ", ".join(f"{e.payer} {e.basis} {e.amount}" for e in entries),
                )
            price = next((m for key, m in prices.items() if str(key) == line), None)
            amounts = [e.amount for e in entries]
            if price is None or any(a is None for a in amounts):
                continue
            total = sum((a.amount for a in amounts if a is not None), Decimal(0))
            expected = price.amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)
            if total != expected:
                raise PropertyFailure(
                    "one-payer-per-share",
                    f"{where}the shares of cost line {line} add up to {total}, not to its price "
                    f"{price}: " + ", ".join(f"{e.payer} {e.basis} {e.amount}" for e in entries),
                )


def check_one_payer_per_share(policy: Policy, example: Example) -> None:
    """:func:`assert_one_payer_per_share` on the decision of a claim example."""
    if not isinstance(example, ClaimExample):
        return
    result = _run(policy, example)
    if isinstance(result.decision, ClaimDecision):
        assert_one_payer_per_share(result.decision)


def assert_excluded_is_never_free(decision: ClaimDecision) -> None:
    """An ``excluded`` outcome charges the customer something: a cost entry paid by the
    customer whose amount is unknown or positive -- unless a matched exclusion has the
    outcome ``advice_only`` or ``no_service`` (or the remedy is advice only)."""
    for where, outcome in _outcomes(decision):
        if outcome.status != "excluded":
            continue
        if any(x.outcome in ("advice_only", "no_service") for x in outcome.exclusions):
            continue
        if outcome.remedy is not None and outcome.remedy.option == "advice_only":
            continue
        charged = [
            c
            for c in outcome.costs
            if c.payer == "customer" and (c.amount is None or c.amount.amount > 0)
        ]
        if not charged:
            lines = ", ".join(f"{c.line}: {c.payer} ({c.rule})" for c in outcome.costs) or "none"
            matched = ", ".join(f"{x.id} ({x.outcome})" for x in outcome.exclusions) or "none"
            raise PropertyFailure(
                "excluded-is-never-free",
                f"{where}the claim is excluded (exclusions: {matched}) but the customer pays "
                f"nothing; cost lines: {lines}",
            )


def check_excluded_is_never_free(policy: Policy, example: Example) -> None:
    """:func:`assert_excluded_is_never_free` on the decision of a claim example."""
    if not isinstance(example, ClaimExample):
        return
    result = _run(policy, example)
    if isinstance(result.decision, ClaimDecision):
        assert_excluded_is_never_free(result.decision)


_ONE_US: Final = timedelta(microseconds=1)


def assert_deadlines_open_after_start(policy: Policy, decision: TicketDecision) -> None:
    """No metric (or earlier cycle) is due before its start, and no due instant lies in
    closed time of the metric's calendar: it is open, or exactly a closing time."""
    from warrantykit.engine.terms import business_calendar

    name = "deadlines-open-after-start"
    for m in decision.metrics:
        spans = [(m.start, m.due, "")] + [
            (c.start, c.due, f" (cycle {i + 1})") for i, c in enumerate(m.cycles)
        ]
        for start, due, which in spans:
            if start is None or due is None:
                continue
            if due < start:
                raise PropertyFailure(
                    name,
                    f"metric {m.id}{which} is due {due.isoformat()}, before its start "
                    f"{start.isoformat()}",
                )
            cal = business_calendar(policy, m.calendar)
            if not (cal.is_open(due) or cal.is_open(due - _ONE_US)):
                local = due.astimezone(cal.tz)
                raise PropertyFailure(
                    name,
                    f"metric {m.id}{which} is due {local.isoformat()} ({local:%A}), in closed time "
                    f"of calendar {m.calendar} (neither open nor a closing time); started "
                    f"{start.astimezone(cal.tz).isoformat()}, target {m.target}",
                )


def check_deadlines_open_after_start(policy: Policy, example: Example) -> None:
    """:func:`assert_deadlines_open_after_start` on the decision of a ticket example."""
    if not isinstance(example, TicketExample):
        return
    result = _run(policy, example)
    if isinstance(result.decision, TicketDecision):
        assert_deadlines_open_after_start(policy, result.decision)


def assert_obligations_inside_horizon(schedule: Schedule) -> None:
    """Every obligation is due inside ``start .. end`` and inside its own window."""
    name = "obligations-inside-horizon"
    for ob in schedule.obligations:
        if not schedule.start <= ob.due <= schedule.end:
            raise PropertyFailure(
                name,
                f"obligation {ob.id} is due {ob.due}, outside the horizon "
                f"{schedule.start}..{schedule.end}",
            )
        if not ob.window.earliest <= ob.due <= ob.window.latest:
            raise PropertyFailure(
                name, f"obligation {ob.id} is due {ob.due}, outside its own window {ob.window}"
            )


def check_obligations_inside_horizon(policy: Policy, example: Example) -> None:
    """:func:`assert_obligations_inside_horizon` on the schedule of an example."""
    if not isinstance(example, ScheduleExample):
        return
    result = _run(policy, example)
    if isinstance(result.decision, Schedule):
        assert_obligations_inside_horizon(result.decision)


def assert_unique_obligation_ids(schedule: Schedule) -> None:
    """No two obligations of a schedule share an id."""
    seen: dict[str, int] = {}
    for i, ob in enumerate(schedule.obligations):
        if ob.id in seen:
            raise PropertyFailure(
                "unique-obligation-ids",
                f"obligations[{seen[ob.id]}] and obligations[{i}] both have the id {ob.id} "
                f"(windows {schedule.obligations[seen[ob.id]].window} and {ob.window})",
            )
        seen[ob.id] = i


def check_unique_obligation_ids(policy: Policy, example: Example) -> None:
    """:func:`assert_unique_obligation_ids` on the schedule of an example."""
    if not isinstance(example, ScheduleExample):
        return
    result = _run(policy, example)
    if isinstance(result.decision, Schedule):
        assert_unique_obligation_ids(result.decision)


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Property:
    """One invariant: ``check(policy, example)`` for examples of ``kind``."""

    name: str
    kind: Kind
    check: Callable[[Policy, Any], None]
    doc: str

    @property
    def label(self) -> str:
        """``<kind> <name>``, e.g. ``claim coverage-does-not-return``."""
        return f"{self.kind} {self.name}"


def _doc(fn: Callable[..., Any]) -> str:
    return (fn.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


PROPERTIES: Final[tuple[Property, ...]] = (
    Property("decides-without-crash", "claim", check_decides, _doc(check_decides)),
    Property("deterministic", "claim", check_deterministic, _doc(check_deterministic)),
    Property("replays", "claim", check_replays, _doc(check_replays)),
    Property(
        "coverage-does-not-return",
        "claim",
        check_coverage_does_not_return,
        _doc(check_coverage_does_not_return),
    ),
    Property("one-payer-per-share", "claim", check_one_payer_per_share, _doc(assert_one_payer_per_share)),
    Property(
        "excluded-is-never-free", "claim", check_excluded_is_never_free, _doc(assert_excluded_is_never_free)
    ),
    Property("decides-without-crash", "ticket", check_decides, _doc(check_decides)),
    Property("deterministic", "ticket", check_deterministic, _doc(check_deterministic)),
    Property("replays", "ticket", check_replays, _doc(check_replays)),
    Property(
        "deadlines-open-after-start",
        "ticket",
        check_deadlines_open_after_start,
        _doc(assert_deadlines_open_after_start),
    ),
    Property("decides-without-crash", "schedule", check_decides, _doc(check_decides)),
    Property("deterministic", "schedule", check_deterministic, _doc(check_deterministic)),
    Property(
        "obligations-inside-horizon",
        "schedule",
        check_obligations_inside_horizon,
        _doc(assert_obligations_inside_horizon),
    ),
    Property(
        "unique-obligation-ids",
        "schedule",
        check_unique_obligation_ids,
        _doc(assert_unique_obligation_ids),
    ),
)
"""Every property, claims first, then tickets, then schedules."""


def properties_for(policy: Policy) -> tuple[Property, ...]:
    """The properties that apply to ``policy``: ticket properties need an ``sla:``
    section, schedule properties a ``schedule:``."""
    doc = policy.document
    out = []
    for prop in PROPERTIES:
        if prop.kind == "ticket" and doc.sla is None:
            continue
        if prop.kind == "schedule" and not doc.schedule:
            continue
        out.append(prop)
    return tuple(out)


def _strategy(policy: Policy, kind: Kind) -> st.SearchStrategy[Any]:
    if kind == "claim":
        return claim_examples(policy)
    if kind == "ticket":
        return ticket_examples(policy)
    return schedule_examples(policy)


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of running one property on a policy."""

    prop: Property
    passed: bool
    message: str | None = None
    """Why it failed (the shrunk counterexample's failure)."""
    examples: tuple[Example, ...] = ()
    """The shrunk counterexample (and the witnesses the property named)."""
    snippet: str | None = None
    """The counterexample as cases ready to paste under ``cases:`` of the case file."""

    @property
    def failed(self) -> bool:
        return not self.passed


def _snippet(policy: Policy, prop: Property, message: str, examples: Sequence[Example], seed: int | None) -> str:
    pairs: list[tuple[Example, Mapping[str, Any] | None]] = []
    for ex in examples:
        result = _run(policy, ex)
        pairs.append((ex, None if result.decision is None else _json_of(result.decision)))
    how = "warrantykit properties" + (f" --seed {seed}" if seed is not None else "")
    comment = f"property '{prop.label}' failed ({how}):\n{message}"
    return case_snippet(pairs, title=f"{prop.label}: counterexample", comment=comment)


def _body(
    policy: Policy, prop: Property, failures: list[tuple[Example, AssertionError]]
) -> Callable[[Any], None]:
    def body(example: Any) -> None:
        try:
            prop.check(policy, example)
        except AssertionError as exc:
            failures.append((example, exc))
            raise

    return body


def run_properties(
    policy: Policy,
    *,
    examples: int = 100,
    seed: int | None = None,
    only: Iterable[str] = (),
    base_settings: settings | None = None,
) -> list[PropertyResult]:
    """Run every property of ``policy`` (:func:`properties_for`) on ``examples``
    generated examples each; ``only`` keeps the properties whose name or label is
    listed. ``seed`` makes the run reproducible (otherwise the current Hypothesis
    profile decides, e.g. ``derandomize`` under the ``ci`` profile).

    A failing property is shrunk to a minimal counterexample; its result holds the
    message, the example(s) and a case-file snippet.
    """
    wanted = set(only)
    parent = base_settings if base_settings is not None else settings()
    config = settings(
        parent,
        max_examples=examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
        derandomize=parent.derandomize and seed is None,
    )
    results: list[PropertyResult] = []
    for prop in properties_for(policy):
        if wanted and prop.name not in wanted and prop.label not in wanted:
            continue
        failures: list[tuple[Example, AssertionError]] = []
        test = config(given(_strategy(policy, prop.kind))(_body(policy, prop, failures)))
        if seed is not None:
            test = hypothesis_seed(seed)(test)
        try:
            test()
        except AssertionError:
            example, exc = failures[-1]
            witnesses = exc.witnesses if isinstance(exc, PropertyFailure) and exc.witnesses else (example,)
            message = exc.detail if isinstance(exc, PropertyFailure) else str(exc)
            results.append(
                PropertyResult(
                    prop=prop,
                    passed=False,
                    message=message,
                    examples=tuple(witnesses),
                    snippet=_snippet(policy, prop, message, witnesses, seed),
                )
            )
            continue
        results.append(PropertyResult(prop=prop, passed=True))
    return results


def check_all(policy: Policy, *, examples: int = 100, seed: int | None = None) -> list[PropertyResult]:
    """Run every property of ``policy`` (see :func:`run_properties`); raise
    :class:`AssertionError` listing each failure with its case-file snippet."""
    results = run_properties(policy, examples=examples, seed=seed)
    failed = [r for r in results if r.failed]
    if failed:
        parts = [f"{len(failed)} of {len(results)} properties of {policy.id} failed:"]
        for r in failed:
            parts.append(f"\n{r.prop.label}: {r.message}\n{r.snippet}")
        raise AssertionError("\n".join(parts))
    return results
