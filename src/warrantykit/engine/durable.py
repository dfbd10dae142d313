"""An optional claim backend on the durable-rules engine (``pip install 'warrantykit[durable]'``).

:class:`DurableBackend` decides claims with the same API as the pure engine,
``backend.evaluate(claim, as_of=...) -> ClaimDecision``, and returns the same
decision for everything it supports (``tests/durable/test_differential.py``
checks that on generated claims for every shipped policy). ``docs/durable.md``
says when to use it (rarely) and what it costs.

Who decides what
================

* **Python, with the pure engine's public functions** -- all date arithmetic:
  term windows (:meth:`TermPlan.evaluate`), whether the failure is inside,
  remedy triggers (purchase windows, repair counts, unrepaired spans, out of
  box, abnormal life: :attr:`RemedyPlan.check`), loaner deadlines
  (:func:`~warrantykit.engine.remedies.loaner`), depreciation and costs
  (:func:`~warrantykit.engine.costs.assign_costs`).
* **durable-rules** -- the rule matching, on single messages (conjunctions
  ``$and``/``$or`` on one message; never a ``when_all`` join across messages):

  1. *conditions* (one message per claim): the truth of every term selector
     (categories, models, components, ``when``), every exclusion ``when`` and
     every remedy / loaner ``when``, three-valued: each condition compiles to
     a *true* rule and a *false* rule (Kleene logic pushed to the leaves,
     ``not`` swaps them); neither firing means *unknown* (a fact is missing).
  2. *precedence* (one more message per claim, only when a remedy is chosen):
     for each remedy rule in precedence order the message carries its terms
     gate, its ``when`` answer and its precomputed trigger; rule ``k`` *wins*
     when it holds and no earlier rule holds (one rule with ``k`` negated
     predecessors, so at most one fires), others report *pending* (unknown)
     or *error* (the trigger raised; re-raised only if the pure engine would
     have reached it).
* **Assembly** -- status, deciding term, remedy, loaners, costs, reasons and
  the P10 choice are put together with the pure engine's builders
  (:class:`ClaimDecision`, :class:`Outcome`, :class:`Remedy`,
  :func:`make_term_window`, :func:`assign_costs`) in the order
  ``docs/decisions.md`` documents; the reason texts mirror
  :mod:`warrantykit.engine.claims` (the differential test catches any drift).
  For an *unknown* answer the missing fact paths are read from the pure
  evaluator, and it must agree that the answer is unknown.

Unsupported (:class:`~warrantykit.errors.UnsupportedByBackend`, naming the feature)
====================================================================================

Raised per claim, for facts a rule cannot compare faithfully on durable's JSON
values: ``contains`` on text (a substring test) or on a fact that is neither a
list nor a mapping, ``eq``/``in`` on a list or mapping fact, ordered
comparisons of numbers with more than 15
significant digits (durable compares doubles) and ordered comparisons of
values of different types (the pure engine raises ``EvaluationError`` when it
reaches them). Raised when the backend is created: an operator this module
does not know. Raised on first use when durable-rules is not installed or
cannot load (it builds on CPython 3.11 and 3.12 and fails at import on 3.13).

durable-rules' limits and what this module does about them
==========================================================

* Named rulesets cannot be redefined or removed: every compiled policy gets a
  fresh name (``warrantykit-claims-<content hash>-<n>``), built once per
  policy and shared by every backend of that policy; the process keeps it.
* ``durable.lang``'s lazy global host races when first used from several
  threads, and its rule decorators use global stacks: this module defines
  rulesets as plain data on its own host, created under a module lock
  (:data:`_LOCK`), which also guards ruleset creation.
* The host's background threads dispatch actions and timers on their own: our
  host has none (:class:`_QuietHost`), so every action runs inside the
  ``assert_fact`` call that caused it, on the caller's thread, one claim at a
  time per ruleset (a lock per ruleset).
* Exceptions raised in actions are swallowed into the session state: every
  action here catches its exception and the call re-raises it after
  ``assert_fact`` returns.
* A posted *event* is consumed by the first rule that matches it: the
  messages here are *facts* (every matching rule fires once) and are
  retracted after the call; each carries a sequence number, since asserting
  the same content twice is rejected.
* A rule whose only condition is a negation also matches the session state
  document and loops forever: every rule here starts with a positive test of
  the message kind (``wk``).
* ``id`` is the message identity (a second message with the same ``id`` is
  rejected), and joins across messages can crash the interpreter (SIGSEGV):
  no message here has an ``id`` field (fields are ``a0``, ``a1``, ...) and no
  rule joins two messages.
* A crash of the C extension kills the process: run it in a worker process
  where that matters (the differential test does, ``tests/durable/worker.py``).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from warrantykit.engine.claims import ClaimPlan, compile_claims, ended_term
from warrantykit.engine.conditions import CLAIM_ALIASES, Truth, Unknown, all_of, compile_fact
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
    Remedy,
    TermWindow,
    make_term_window,
)
from warrantykit.engine.reasons import Reason
from warrantykit.engine.remedies import (
    RemedyPlan,
    RemedyState,
    Why,
    best_option,
    depreciation,
    loaner,
    render_why,
)
from warrantykit.engine.terms import (
    SERVICE_KINDS,
    ClaimFacts,
    TermEval,
    TermPlan,
    business_calendar,
)
from warrantykit.errors import FactsError, Problem, UnsupportedByBackend
from warrantykit.facts import Claim, parse_facts
from warrantykit.policies.models import CostRule, RemedyOption

if TYPE_CHECKING:
    from warrantykit.engine.compiled import Policy
    from warrantykit.policies.conditions import Condition
    from warrantykit.policies.models import Selector

__all__ = [
    "BACKEND",
    "ClaimRules",
    "DurableBackend",
    "claim_rules",
    "durable_engine",
    "durable_host",
    "new_ruleset",
]

BACKEND: Final = "durable-rules"
"""The ``backend`` of every :class:`UnsupportedByBackend` raised here."""

# ---------------------------------------------------------------- the durable host

_LOCK: Final = threading.RLock()
"""Guards the lazy host, ruleset names and ruleset creation."""
_host: Any = None
_names: Final = itertools.count(1)


def durable_engine() -> Any:
    """``durable.engine``, imported on first use.

    Raises :class:`UnsupportedByBackend` when durable-rules is not installed or
    its C extension cannot load (CPython 3.13 fails at import).
    """
    try:
        from durable import engine
    except ImportError as exc:  # not installed, or the C extension does not load
        raise UnsupportedByBackend(
            BACKEND,
            f"this interpreter: durable-rules cannot be imported ({exc}); install the "
            "extra with pip install 'warrantykit[durable]' on CPython 3.11 or 3.12",
        ) from exc
    return engine


def durable_host() -> Any:
    """The module's durable host (created once, under :data:`_LOCK`).

    Unlike ``durable.lang``'s global host it runs no background threads: actions
    run inside the call that posted their message, timers only when dispatched.
    """
    global _host
    with _LOCK:
        if _host is None:
            engine = durable_engine()

            class _QuietHost(engine.Host):  # type: ignore[misc,name-defined]
                """A host without the background dispatch threads: actions run in the call
                that caused them, timers only when dispatched explicitly."""

                def _run(self) -> None:
                    return None

            _host = _QuietHost()
        return _host


def new_ruleset(prefix: str, content_hash: str, rules: dict[str, Any]) -> tuple[str, Any]:
    """Register ``rules`` under a fresh name; returns ``(name, durable Ruleset)``.

    Names are never reused (durable cannot redefine or remove a ruleset).
    """
    digest = content_hash.split(":")[-1][:12]
    with _LOCK:
        host = durable_host()
        name = f"warrantykit-{prefix}-{digest}-{next(_names)}"
        host.register_rulesets({name: rules})
        return name, host.get_ruleset(name)


# ---------------------------------------------------------------- expressions
#
# durable conditions on one message ``m``: {"field": value} (equality),
# {"$neq"|"$gt"|"$gte"|"$lt"|"$lte": {"field": value}}, {"$ex"|"$nex": {"field": 1}},
# {"$iany"|"$iall": {"field": <item test on "$i">}}, {"$and"|"$or": [...]}.
# A test on an absent field is false (also "$neq"), so "present" is explicit.

Expr = dict[str, Any]
_TRUE: Final[Expr] = {"$ex": {"wk": 1}}
_FALSE: Final[Expr] = {"$nex": {"wk": 1}}
_SENTINEL: Final = "#"
"""First item of every list field: durable's ``$iall`` is false on an empty list."""


def _and(parts: list[Expr]) -> Expr:
    if any(p is _FALSE for p in parts):
        return _FALSE
    parts = [p for p in parts if p is not _TRUE]
    if not parts:
        return _TRUE
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _or(parts: list[Expr]) -> Expr:
    if any(p is _TRUE for p in parts):
        return _TRUE
    parts = [p for p in parts if p is not _FALSE]
    if not parts:
        return _FALSE
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _present(name: str) -> Expr:
    return {"$ex": {name: 1}}


def _absent(name: str) -> Expr:
    return {"$nex": {name: 1}}


# ---------------------------------------------------------------- fact values


class _Absent:
    """The fact is unknown: its field is left out of the message."""


ABSENT: Final = _Absent()


def _decimal_text(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _token(value: Any, path: str, op: str) -> str:
    """A string equal to another token exactly when the values are ``==`` in Python."""
    if isinstance(value, bool):
        return "n:1" if value else "n:0"
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UnsupportedByBackend(BACKEND, f"'{op}' on {path}: a {value} number")
        return "n:" + _decimal_text(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnsupportedByBackend(BACKEND, f"'{op}' on {path}: a {value} number")
        return "n:" + _decimal_text(Decimal(value))
    if isinstance(value, str):
        return f"s:{value}"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return "tn:" + value.isoformat()
        return "t:" + value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return "d:" + value.isoformat()
    raise UnsupportedByBackend(
        BACKEND, f"'{op}' on {path}: comparing a {type(value).__name__} value"
    )


def _coerce_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


_DIGITS: Final = 15


def _number(value: Any, path: str, op: str) -> float | int:
    """A number durable compares exactly as Python does (dates as day ordinals)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.toordinal()
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) < 10**_DIGITS:
            return value
    elif isinstance(value, Decimal | float):
        exact = Decimal(value)
        if exact.is_finite() and len(exact.as_tuple().digits) <= _DIGITS and abs(exact.adjusted()) < 300:
            return float(exact)
    raise UnsupportedByBackend(
        BACKEND,
        f"'{op}' on {path}: the value {value!r} has more than {_DIGITS} significant digits "
        "(durable-rules compares doubles)",
    )


def _comparable(value: Any, operand: Any) -> bool:
    def is_number(v: Any) -> bool:
        return isinstance(v, int | Decimal | float) and not isinstance(v, bool)

    if isinstance(operand, date) and not isinstance(operand, datetime):
        return isinstance(value, date) and not isinstance(value, datetime)
    return is_number(value) and is_number(operand)


FieldFn = Callable[[Mapping[str, Any]], Any]
"""Reads one message field from the claim's environment (``ABSENT`` when unknown)."""


_ORDER_OPS: Final = {
    "gt": ("$gt", "$lte"),
    "ge": ("$gte", "$lt"),
    "lt": ("$lt", "$gte"),
    "le": ("$lte", "$gt"),
}


class _Compiler:
    """Turns conditions into durable (true, false) expression pairs and message fields."""

    def __init__(self) -> None:
        self.fields: list[tuple[str, FieldFn]] = []

    def _field(self, read: FieldFn) -> str:
        name = f"a{len(self.fields)}"
        self.fields.append((name, read))
        return name

    def condition(self, cond: Condition) -> tuple[Expr, Expr]:
        """``(holds, fails)``: durable expressions; neither true means unknown."""
        if cond.fact is not None:
            return self.leaf(cond.fact, cond.operator, cond.operand())
        if cond.not_ is not None:
            holds, fails = self.condition(cond.not_)
            return fails, holds
        children = [self.condition(c) for c in (cond.all_ or cond.any_ or ())]
        if cond.all_ is not None:
            return _and([h for h, _ in children]), _or([f for _, f in children])
        return _or([h for h, _ in children]), _and([f for _, f in children])

    def leaf(self, path: str, op: str, operand: Any) -> tuple[Expr, Expr]:
        root, _, rest = path.partition(".")
        shown = f"{CLAIM_ALIASES[root]}.{rest}" if root in CLAIM_ALIASES else path
        get = compile_fact(path)

        if op == "exists":

            def known(env: Mapping[str, Any]) -> Any:
                return ABSENT if get(env) is None else 1

            name = self._field(known)
            yes, no = _present(name), _absent(name)
            return (yes, no) if bool(operand) else (no, yes)

        if op in ("eq", "ne", "in", "not_in"):
            if op in ("eq", "ne") and operand is None:
                # eq: null / ne: null -- the same as exists false / true
                def seen(env: Mapping[str, Any]) -> Any:
                    return ABSENT if get(env) is None else 1

                name = self._field(seen)
                yes, no = _absent(name), _present(name)
                return (yes, no) if op == "eq" else (no, yes)
            options = (operand,) if op in ("eq", "ne") else tuple(operand or ())
            dated = any(isinstance(o, date) for o in options)
            tokens = [_token(o, shown, op) for o in options if o is not None]
            # ``in`` with a null option never matches a known value: None is not a token

            def equal(env: Mapping[str, Any]) -> Any:
                value = get(env)
                if value is None:
                    return ABSENT
                if dated:
                    value = _coerce_date(value)
                return _token(value, shown, op)

            name = self._field(equal)
            holds = _or([{name: t} for t in tokens])
            fails = _and([_present(name)] + [{"$neq": {name: t}} for t in tokens])
            return (holds, fails) if op in ("eq", "in") else (fails, holds)

        if op in _ORDER_OPS:
            bound = _number(operand, shown, op)

            def ordered(env: Mapping[str, Any]) -> Any:
                value = get(env)
                if value is None:
                    return ABSENT
                if isinstance(operand, date):
                    value = _coerce_date(value)
                if not _comparable(value, operand):
                    raise UnsupportedByBackend(
                        BACKEND,
                        f"'{op}' on {shown}: comparing {type(value).__name__} {value!r} with "
                        f"{type(operand).__name__} {operand!r} (the pure engine raises "
                        "EvaluationError when it reaches it)",
                    )
                return _number(value, shown, op)

            name = self._field(ordered)
            yes_op, no_op = _ORDER_OPS[op]
            return {yes_op: {name: bound}}, _and([_present(name), {no_op: {name: bound}}])

        if op in ("contains", "contains_any", "contains_all"):
            wanted = tuple(operand) if isinstance(operand, tuple) else (operand,)
            tokens = [_token(w, shown, op) for w in wanted]

            def items(env: Mapping[str, Any]) -> Any:
                value = get(env)
                if value is None:
                    return ABSENT
                if isinstance(value, str):
                    raise UnsupportedByBackend(
                        BACKEND, f"'{op}' on the text of {shown} (a substring test)"
                    )
                if isinstance(value, Mapping):
                    members: Iterable[Any] = value.keys()
                elif isinstance(value, tuple | list | set | frozenset):
                    members = value
                else:
                    raise UnsupportedByBackend(
                        BACKEND,
                        f"'{op}' on {shown}: a {type(value).__name__} is not a list or mapping",
                    )
                return [_SENTINEL] + [_token(v, shown, op) for v in members]

            name = self._field(items)

            def has(t: str) -> Expr:
                return {"$iany": {name: {"$i": t}}}

            def lacks(ts: list[str]) -> Expr:
                tests: list[Expr] = [{"$neq": {"$i": t}} for t in ts]
                return {"$iall": {name: tests[0] if len(tests) == 1 else {"$and": tests}}}

            if op == "contains_all":
                holds = _and([_present(name)] + [has(t) for t in tokens])
                fails = _and([_present(name), _or([lacks([t]) for t in tokens])])
                return holds, fails
            # "contains" with several values behaves as contains_any (as in the pure engine)
            if not tokens:
                return _FALSE, _present(name)
            if len(tokens) == 1:
                holds = has(tokens[0])
            else:
                holds = {"$iany": {name: {"$or": [{"$i": t} for t in tokens]}}}
            return holds, _and([_present(name), lacks(tokens)])

        raise UnsupportedByBackend(BACKEND, f"the condition operator {op!r} (on {path})")

    def selector(self, selector: Selector) -> tuple[Expr, Expr]:
        """A term's ``covers`` selector, as :mod:`warrantykit.engine.terms` reads it."""
        if selector.all_ and selector.exclude_components is None:
            return _TRUE, _FALSE
        checks: list[tuple[Expr, Expr]] = []
        if selector.categories is not None:
            checks.append(self.leaf("asset.category", "in", tuple(selector.categories)))
        if selector.models is not None:
            checks.append(self.leaf("asset.model", "in", tuple(selector.models)))
        if selector.components is not None:
            # a claim without a component is about the whole unit: not matched (never unknown)
            holds, fails = self.leaf("claim.component", "in", tuple(selector.components))
            name = self.fields[-1][0]
            checks.append((holds, _or([_absent(name), fails])))
        if selector.exclude_components is not None:
            holds, fails = self.leaf("claim.component", "in", tuple(selector.exclude_components))
            name = self.fields[-1][0]
            checks.append((_or([_absent(name), fails]), holds))
        if selector.when is not None:
            checks.append(self.condition(selector.when))
        return _and([h for h, _ in checks]), _or([f for _, f in checks])


# ---------------------------------------------------------------- compiled rules

Key = tuple[str, str]
"""A condition evaluated in round 1: ``("term", id)``, ``("exclusion", id)``, ``("rule", id)``."""

_STATES: Final = ("T", "F", "U")


@dataclass(frozen=True, slots=True)
class _Slot:
    """One remedy rule in the precedence round: message field prefix and rule."""

    prefix: str
    plan: RemedyPlan


class _Call:
    """The answers collected by the actions for one message."""

    __slots__ = ("error", "found")

    def __init__(self) -> None:
        self.found: dict[Any, Any] = {}
        self.error: BaseException | None = None


class ClaimRules:
    """A policy's claim rules compiled into one durable ruleset (built once per policy)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.plan: ClaimPlan = compile_claims(policy)
        plan = self.plan
        self.calls: dict[int, _Call] = {}
        self.sequence = itertools.count(1)
        self.lock = threading.RLock()
        """One claim at a time per ruleset (held by the backend around a whole decision)."""
        self.cost_cache: dict[Any, Any] = {}
        """Cost line plans and priced lines (``assign_costs``'s memo), this backend's own."""
        compiler = _Compiler()
        conditions: list[tuple[Key, Expr, Expr]] = []
        for t in plan.terms:
            holds, fails = compiler.selector(t.term.covers)
            conditions.append((("term", t.id), holds, fails))
        for ex in self._exclusions():
            holds, fails = compiler.condition(ex[1])
            conditions.append((("exclusion", ex[0]), holds, fails))
        for rule in self._rules():
            if rule.rule.when is not None:
                holds, fails = compiler.condition(rule.rule.when)
                conditions.append((("rule", rule.id), holds, fails))
        self.fields = tuple(compiler.fields)
        self.keys: tuple[Key, ...] = tuple(k for k, _, _ in conditions)
        rules: dict[str, Any] = {}
        for i, (key, holds, fails) in enumerate(conditions):
            for answer, expr in ((True, holds), (False, fails)):
                if expr is _FALSE:
                    continue  # never fires
                rules[f"c{i}.{'T' if answer else 'F'}"] = {
                    "all": [{"m": _and([{"wk": "q1"}, expr])}],
                    "run": self._action(("c", key), answer),
                }
        # every message is handled by some rule (durable raises on a message no rule matches)
        for kind in ("q1", "q2"):
            rules[f"seen.{kind}"] = {"all": [{"m": {"wk": kind}}], "run": self._action(("seen", kind), True)}
        # precedence: per warranty group, the remedy rules (covered) and abnormal-life rules
        self.slots: list[tuple[list[_Slot], list[_Slot]]] = []
        for g in range(len(plan.groups)):
            remedy_slots = [_Slot(f"r{g}_{k}", r) for k, r in enumerate(plan.remedies.rules)]
            abnormal_slots = [_Slot(f"x{g}_{k}", r) for k, r in enumerate(plan.abnormal_rules)]
            for family, slots in (("r", remedy_slots), ("x", abnormal_slots)):
                for k, slot in enumerate(slots):
                    p = slot.prefix
                    before = [_not_holds(s.prefix) for s in slots[:k]]
                    head: list[Expr] = [{"wk": "q2"}]
                    rules[f"{p}.win"] = {
                        "all": [{"m": _and(head + [_holds(p)] + before)}],
                        "run": self._action((family, g, "win"), k),
                    }
                    rules[f"{p}.pending"] = {
                        "all": [{"m": _and(head + [_pending(p)])}],
                        "run": self._action((family, g, "pending", k), True),
                    }
                    rules[f"{p}.error"] = {
                        "all": [{"m": _and(head + [{f"{p}g": 1}, {"$neq": {f"{p}w": "F"}}, {f"{p}t": "E"}])}],
                        "run": self._action((family, g, "error", k), True),
                    }
            self.slots.append((remedy_slots, abnormal_slots))
        self.name, self.ruleset = new_ruleset("claims", policy.content_hash, rules)
        self.host = durable_host()

    def _exclusions(self) -> list[tuple[str, Condition]]:
        doc = self.policy.document
        return [(e.id, e.when) for e in doc.exclusions]

    def _rules(self) -> list[RemedyPlan]:
        plans = self.plan.remedies
        return list(plans.rules) + list(plans.loaners)

    def _action(self, key: Any, value: Any) -> Callable[[Any], None]:
        """A durable action recording ``value`` under ``key`` for the message's call.

        durable-rules swallows an exception raised in an action into the session
        state; this one keeps it on the call, and :meth:`run` re-raises it.
        """
        calls = self.calls

        def act(c: Any) -> None:
            call = calls.get(c.m.n)
            if call is None:  # pragma: no cover - a message of a finished call
                return
            try:
                self.record(call.found, key, value)
            except BaseException as exc:  # re-raised by run()
                if call.error is None:
                    call.error = exc

        return act

    @staticmethod
    def record(found: dict[Any, Any], key: Any, value: Any) -> None:
        """What an action does: note one answer (a seam for tests)."""
        found[key] = value

    def run(self, message: dict[str, Any]) -> dict[Any, Any]:
        """Assert ``message`` as a fact, collect what the actions found, retract it.

        An exception raised in an action is re-raised here.
        """
        with self.lock:
            n = next(self.sequence)
            call = _Call()
            self.calls[n] = call
            fact = {"sid": "claims", "n": n, **message}
            try:
                self.host.assert_fact(self.name, fact)
                self.host.retract_fact(self.name, fact)
            finally:
                del self.calls[n]
        if call.error is not None:
            raise call.error
        return call.found


def _holds(p: str) -> Expr:
    return {"$and": [{f"{p}g": 1}, {f"{p}w": "T"}, {f"{p}t": "T"}]}


def _not_holds(p: str) -> Expr:
    return {"$or": [{"$neq": {f"{p}g": 1}}, {"$neq": {f"{p}w": "T"}}, {"$neq": {f"{p}t": "T"}}]}


def _pending(p: str) -> Expr:
    """The gate is open or unknown, the trigger holds or is unknown, not both known true."""
    return {
        "$and": [
            {f"{p}g": 1},
            {
                "$or": [
                    {"$and": [{f"{p}w": "U"}, {"$or": [{f"{p}t": "T"}, {f"{p}t": "U"}]}]},
                    {"$and": [{f"{p}w": "T"}, {f"{p}t": "U"}]},
                ]
            },
        ]
    }


def claim_rules(policy: Policy) -> ClaimRules:
    """The policy's compiled durable rules (built once per policy, under the module lock)."""
    with _LOCK:
        rules: ClaimRules = policy.compiled("engine.durable.claims", ClaimRules)
        return rules


# ---------------------------------------------------------------- the backend


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


class DurableBackend:
    """Claim decisions with the rule matching done by durable-rules (see the module docstring).

    ``DurableBackend(policy).evaluate(claim, as_of=day)`` returns the
    :class:`ClaimDecision` that ``policy.evaluate(claim, as_of=day)`` returns,
    or raises :class:`UnsupportedByBackend` naming what it cannot compare.
    Creating backends is safe from several threads; backends of one policy
    share one ruleset, and decide one claim at a time (a lock per ruleset).
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.rules = claim_rules(policy)

    def evaluate(
        self, claim: Claim | Mapping[str, Any] | str | bytes, *, as_of: date
    ) -> ClaimDecision:
        """Decide ``claim`` as of ``as_of`` (same inputs and errors as ``Policy.evaluate``)."""
        day = _check_as_of(as_of)
        facts = _parse(claim)
        with self.rules.lock:
            return _Decider(self.rules, facts, day).decide()

    def evaluate_many(
        self, claims: Iterable[Claim | Mapping[str, Any] | str | bytes], *, as_of: date
    ) -> Iterator[ClaimDecision]:
        """Lazily decide each claim (``as_of`` is checked at once)."""
        day = _check_as_of(as_of)
        for claim in claims:
            yield self.evaluate(claim, as_of=day)


# ---------------------------------------------------------------- one claim

_DEFAULT_OPTIONS: Final[dict[str, tuple[str, ...]]] = {
    "warranty": ("repair",),
    "exchange": ("exchange", "repair"),
}
_OUTCOME_SEVERITY: Final[dict[str, int]] = {"paid_service": 0, "advice_only": 1, "no_service": 2}
_EXPIRED_SERVICE_KINDS: Final = SERVICE_KINDS | {"cost_cover"}


def _disagree(what: str, pure: object) -> UnsupportedByBackend:
    return UnsupportedByBackend(
        BACKEND,
        f"{what}: durable-rules found it unknown, the pure evaluator answered {pure!r}",
    )


class _Group:
    """One warranty group's evaluation (everything ``_evaluate_group`` keeps)."""

    def __init__(self, index: int, warranty: str | None) -> None:
        self.index = index
        self.warranty = warranty
        self.trace: list[Any] = []
        self.warnings: list[str] = []
        self.applicable: list[TermEval] = []
        self.covering: list[TermEval] = []
        self.status = ""
        self.missing: tuple[str, ...] = ()
        self.deciding: TermEval | None = None
        self.matches: list[Any] = []
        self.exclusions: tuple[ExclusionMatch, ...] = ()
        self.refusable = False
        self.remedy: Remedy | None = None
        self.loaners: tuple[Loaner, ...] = ()
        self.costs: tuple[CostEntry, ...] = ()
        self.state: RemedyState | None = None
        self.family = ""  # "r": remedy rules (covered); "x": abnormal-life rules (expired)
        self.found: dict[Any, Any] = {}
        """What the precedence round found for this group."""
        self.checks: list[tuple[Truth, Truth | None, Why, date | None, BaseException | None]] = []


class _Decider:
    def __init__(self, rules: ClaimRules, claim: Claim, day: date) -> None:
        self.rules = rules
        self.plan = rules.plan
        self.claim = claim
        self.day = day
        if self.plan.cause_codes is not None and claim.cause_codes:
            self.plan.check_cause_codes(claim)
        self.facts = ClaimFacts(claim, day)
        self.answers: dict[Key, Truth] = {}

    # ------------------------------------------------------------ round 1: conditions

    def _conditions(self) -> None:
        env = self.facts.env
        message: dict[str, Any] = {"wk": "q1"}
        for name, read in self.rules.fields:
            value = read(env)
            if value is not ABSENT:
                message[name] = value
        found = self.rules.run(message)
        for key in self.rules.keys:
            answer = found.get(("c", key))
            self.answers[key] = answer if answer is not None else _UNDECIDED

    def truth(self, key: Key, pure: Callable[[], Truth]) -> Truth:
        """The answer to condition ``key``; an unknown one carries the pure evaluator's paths."""
        answer = self.answers[key]
        if answer is not _UNDECIDED:
            return answer
        result = pure()
        if not isinstance(result, Unknown):
            raise _disagree(f"{key[0]} {key[1]}", result)
        self.answers[key] = result
        return result

    def applies(self, t: TermPlan) -> Truth:
        return self.truth(("term", t.id), lambda: t.selector(self.facts))

    def exclusion(self, ex: Any) -> Truth:
        return self.truth(("exclusion", ex.id), lambda: ex.when(self.facts.env))

    def when(self, rule: RemedyPlan) -> Truth:
        if rule.when is None:
            return True
        when = rule.when
        return self.truth(("rule", rule.id), lambda: when(self.facts.env))

    # ------------------------------------------------------------ the claim

    def decide(self) -> ClaimDecision:
        plan = self.plan
        facts = self.facts
        self._conditions()
        groups = [_Group(i, warranty) for i, (warranty, _) in enumerate(plan.groups)]
        for group in groups:
            self._status(group)
        self._precedence(groups)
        for group in groups:
            self._finish(group)
        fd = facts.failure_date
        if plan.single:
            best = groups[0]
            warnings = tuple(best.warnings)
            if facts.warnings:
                warnings = (
                    tuple(dict.fromkeys(warnings + tuple(facts.warnings)))
                    if warnings
                    else tuple(facts.warnings)
                )
            return ClaimDecision(
                policy=plan.ref,
                as_of=self.day,
                claim=self.claim,
                status=best.status,  # type: ignore[arg-type]
                warranty=self._warranty(best),
                missing=best.missing,
                term=self._term(best),
                terms=tuple(_window(e) for e in best.applicable),
                exclusions=best.exclusions,
                remedy=best.remedy,
                loaners=best.loaners,
                costs=best.costs,
                warnings=warnings,
                reasons=_materialize(best.trace, fd),
            )
        outcomes = [self._outcome(g) for g in groups]
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
        return ClaimDecision(
            policy=plan.ref,
            as_of=self.day,
            claim=self.claim,
            status=chosen.status,
            warranty=chosen.warranty,
            missing=chosen.missing,
            term=chosen.term,
            terms=chosen.terms,
            exclusions=chosen.exclusions,
            remedy=chosen.remedy,
            loaners=chosen.loaners,
            costs=chosen.costs,
            alternatives=others,
            warnings=warnings,
            reasons=chosen.reasons,
        )

    def _warranty(self, g: _Group) -> str | None:
        if g.warranty is not None:
            return g.warranty
        return g.deciding.plan.warranty if g.deciding is not None else None

    def _term(self, g: _Group) -> str | None:
        return g.deciding.plan.id if g.deciding is not None and g.status != "undetermined" else None

    def _outcome(self, g: _Group) -> Outcome:
        return Outcome(
            warranty=self._warranty(g),
            status=g.status,  # type: ignore[arg-type]
            missing=g.missing,
            term=self._term(g),
            terms=tuple(_window(e) for e in g.applicable),
            exclusions=g.exclusions,
            remedy=g.remedy,
            loaners=g.loaners,
            costs=g.costs,
            warnings=tuple(g.warnings),
            reasons=_materialize(g.trace, self.facts.failure_date),
        )

    # ------------------------------------------------------------ status (per group)

    def _status(self, g: _Group) -> None:
        plan = self.plan
        facts = self.facts
        trace = g.trace
        fd = facts.failure_date
        coverage: list[TermEval] = []
        open_: Unknown | None = None
        for t in plan.groups[g.index][1]:
            applies = self.applies(t)
            if applies is False:
                continue
            e = t.evaluate(facts, applies)
            g.applicable.append(e)
            trace.append(e)
            if t.coverage_kind:
                coverage.append(e)
                covers = e.covers_failure
                if covers is True:
                    g.covering.append(e)
                elif covers is not False:
                    assert isinstance(covers, Unknown)
                    open_ = covers if open_ is None else open_.merge(covers)
        covered: Truth = True if g.covering else (False if open_ is None else open_)
        claim = facts.claim
        if covered is True:
            g.deciding = _deciding_term(g.covering)
            covering_ids = {e.plan.id for e in g.covering}
            unknown: Unknown | None = None
            for ex in plan.exclusions:
                if ex.terms is not None and not covering_ids <= ex.terms:
                    continue
                result = self.exclusion(ex)
                if result is True:
                    g.matches.append(ex)
                elif result is not False:
                    assert isinstance(result, Unknown)
                    unknown = result if unknown is None else unknown.merge(result)
            trace.append(_inside_reason(g.deciding))
            if g.matches:
                g.status = "excluded"
            elif unknown is not None:
                g.status = "undetermined"
                g.missing = unknown.missing
                trace.append(
                    Reason(
                        "exclusions",
                        "-",
                        "an exclusion may apply; missing " + ", ".join(g.missing),
                        plan.exclusions_source,
                    )
                )
            else:
                g.status = "covered"
                g.family = "r"
                g.state = self._state(g.covering, g.applicable)
        elif covered is False:
            candidates = [
                e for e in coverage if e.in_effect and not e.never_starts and e.applies is not False
            ]
            if not candidates:
                g.status = "not_applicable"
                subject = f"component {claim.component}" if claim.component else "the unit"
                trace.append(
                    Reason("terms", "-", f"no warranty term of this policy covers {subject}", plan.terms_source)
                )
            elif all(e.before_start for e in candidates):
                g.status = "not_applicable"
                first = min(candidates, key=lambda e: e.start or date.max)
                trace.append(
                    Reason(
                        first.plan.id,
                        first.plan.clause,
                        "the failure precedes the warranty (starts "
                        f"{first.start.isoformat() if first.start else '?'})",
                        first.plan.source,
                    )
                )
            else:
                g.status = "expired"
                g.deciding = ended_term(candidates)
                trace.append(_ended_reason(g.deciding, claim.component, fd))
                if plan.abnormal_rules:
                    g.family = "x"
                    g.state = self._state((), g.applicable)
            # X12: an exclusion may let the vendor refuse service even out of warranty
            for ex in plan.exclusions:
                if ex.outcome == "no_service" and self.exclusion(ex) is True:
                    g.matches.append(ex)
        else:
            g.status = "undetermined"
            assert isinstance(covered, Unknown)
            g.missing = covered.missing
            trace.append(
                Reason(
                    "terms",
                    "-",
                    "whether a term covers the failure is unknown; missing " + ", ".join(g.missing),
                    plan.terms_source,
                )
            )
        if g.matches:
            g.exclusions = tuple(ex.match for ex in g.matches)
            for ex in g.matches:
                refused = " (service may be refused)" if ex.outcome == "no_service" else ""
                trace.append(
                    Reason(ex.id, ex.clause, f"exclusion {ex.id} applies: {ex.text or ex.id}{refused}", ex.source)
                )
            g.refusable = any(ex.outcome == "no_service" for ex in g.matches)
        if g.family:
            self._triggers(g)

    def _state(self, covering: Iterable[TermEval], applicable: list[TermEval]) -> RemedyState:
        plan = self.plan
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

    # ------------------------------------------------------------ round 2: precedence

    def _triggers(self, g: _Group) -> None:
        """Each rule's terms gate, ``when`` and trigger (date arithmetic, in Python)."""
        state = g.state
        assert state is not None
        slots = self.rules.slots[g.index][0 if g.family == "r" else 1]
        for slot in slots:
            rule = slot.plan
            gate: Truth = True if rule.terms is None else state.terms_hold(rule.kind, rule.terms)
            if gate is True:
                gate = self.when(rule)
            if gate is False:
                g.checks.append((False, None, "gate", None, None))
                continue
            assert rule.check is not None
            state.window_end = None
            try:
                result, why = rule.check(rule, self.facts, state)
            except Exception as exc:  # re-raised if the pure engine would reach this rule
                g.checks.append((gate, None, "", None, exc))
                continue
            g.checks.append((gate, result, why, state.window_end, None))

    def _precedence(self, groups: list[_Group]) -> None:
        message: dict[str, Any] = {"wk": "q2"}
        for g in groups:
            if not g.family:
                continue
            slots = self.rules.slots[g.index][0 if g.family == "r" else 1]
            for slot, (gate, result, _, _, error) in zip(slots, g.checks, strict=True):
                p = slot.prefix
                message[f"{p}g"] = 0 if gate is False else 1
                message[f"{p}w"] = "F" if gate is False else ("T" if gate is True else "U")
                if error is not None:
                    code = "E"
                elif result is None:
                    code = "-"
                else:
                    code = "T" if result is True else ("F" if result is False else "U")
                message[f"{p}t"] = code
        if len(message) == 1:
            return
        found = self.rules.run(message)
        for g in groups:
            if g.family:
                g.found = found

    # ------------------------------------------------------------ remedy, loaners, costs

    def _finish(self, g: _Group) -> None:
        if g.status == "covered":
            assert g.deciding is not None and g.state is not None
            remedy, extra = self._covered_remedy(g)
            if extra:
                g.status, g.missing, g.remedy = "undetermined", extra, None
            else:
                g.remedy = remedy
                if self.plan.remedies.loaners:
                    g.loaners = self._loaners(g)
                g.costs = self._covered_costs(g)
        elif g.status == "excluded":
            self._excluded(g)
        elif g.status == "expired":
            remedy, costs, extra = self._expired(g)
            if extra:
                g.status, g.missing, g.remedy, g.costs = "undetermined", extra, None, ()
            else:
                g.remedy, g.costs = remedy, costs

    def _verdict(self, g: _Group) -> tuple[int | None, list[int]]:
        """(winning rule index, pending rule indexes before it); raises a trigger's error
        when the pure engine would have reached that rule."""
        found = g.found
        family = g.family
        winner: int | None = found.get((family, g.index, "win"))
        limit = winner if winner is not None else len(g.checks)
        for k in range(limit):
            if found.get((family, g.index, "error", k)):
                error = g.checks[k][4]
                assert error is not None
                raise error
        pending = [k for k in range(limit) if found.get((family, g.index, "pending", k))]
        return winner, pending

    def _unknown(self, g: _Group, k: int) -> Unknown:
        gate, result, _, _, _ = g.checks[k]
        assert result is not None
        combined = result if gate is True else all_of((gate, result))
        if not isinstance(combined, Unknown):
            rule = self.rules.slots[g.index][0 if g.family == "r" else 1][k].plan
            raise _disagree(f"remedy rule {rule.id}", combined)
        return combined

    def _covered_remedy(self, g: _Group) -> tuple[Remedy | None, tuple[str, ...]]:
        plan = self.plan
        trace = g.trace
        deciding = g.deciding
        assert deciding is not None
        slots = self.rules.slots[g.index][0]
        k, pending_idx = self._verdict(g)
        winner = slots[k].plan if k is not None else None
        winner_why: Why = g.checks[k][2] if k is not None else ""
        window_end = g.checks[k][3] if k is not None else None
        claim = self.facts.claim
        options = winner.options if winner is not None else _plan_options(deciding.plan)
        if pending_idx:
            wanted = frozenset(options)
            blockers = [self._unknown(g, j) for j in pending_idx if slots[j].plan.option_set != wanted]
            if blockers:
                merged = blockers[0]
                for u in blockers[1:]:
                    merged = merged.merge(u)
                trace.append(
                    Reason(
                        "remedies",
                        "-",
                        "a remedy rule may apply; missing " + ", ".join(merged.missing),
                        plan.remedies_source,
                    )
                )
                return None, merged.missing
        choice = claim.customer_choice
        if winner is None:
            remedy, reason = _default_remedy(deciding, choice)
            trace.append(reason)
            return remedy, ()
        chosen_rule = winner.rule
        dep = None
        option = choice if choice is not None and choice in options else best_option(options)
        note = ""
        if chosen_rule.depreciation is not None and choice == RemedyOption.REFUND.value:
            available = claim.same_model_available
            if available is None:
                trace.append(
                    Reason(
                        winner.id,
                        winner.clause,
                        "the customer asks for a return; whether the same model is available is unknown",
                        winner.source,
                    )
                )
                return None, ("claim.same_model_available",)
            if available:
                dep, dep_missing = depreciation(chosen_rule.depreciation, self.facts)
                if dep is None:
                    trace.append(
                        Reason(
                            winner.id,
                            winner.clause,
                            "depreciation cannot be computed; missing " + ", ".join(dep_missing),
                            winner.source,
                        )
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
        rule = winner.rule
        remedy = Remedy(
            option=option,
            options=options,
            rule=winner.id,
            clause=winner.clause,
            replacement=getattr(rule, "replacement", None),
            compensation=rule.compensation,
            borne_by=getattr(rule, "borne_by", None),
            window_end=window_end,
            depreciation=dep,
        )
        trace.append(_winner_reason(winner, winner_why, remedy, note))
        return remedy, ()

    def _loaners(self, g: _Group) -> tuple[Loaner, ...]:
        plan = self.plan
        facts = self.facts
        state = g.state
        assert state is not None
        out: list[Loaner] = []
        for rule in plan.remedies.loaners:
            if rule.terms is not None and not state.terms_hold(rule.kind, rule.terms):
                continue
            gate = self.when(rule)
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
                    g.warnings.append(
                        f"holiday data of calendar '{item.calendar}' is not trusted for the loaner "
                        f"deadline {item.due.isoformat()}"
                    )
            what = lr.provides.replace("_", " ")
            if item.due is None:
                text = f"{what} after {lr.after} unresolved: report time unknown"
            else:
                reported = facts.claim.reported_at.isoformat() if facts.claim.reported_at else "?"
                text = (
                    f"{what} due if unresolved by {item.due.isoformat()} "
                    f"(reported {reported} + {lr.after} on {item.calendar}): {item.state}"
                )
                if item.deliver_by is not None:
                    text += f"; deliver by {item.deliver_by.isoformat()}"
            g.trace.append(Reason(rule.id, rule.clause, text, rule.source))
        return tuple(out)

    def _excluded(self, g: _Group) -> None:
        matches = g.matches
        worst = max(matches, key=lambda ex: _OUTCOME_SEVERITY.get(ex.outcome, 0))
        option = "advice_only" if worst.outcome == "advice_only" else "paid_repair"
        g.remedy = Remedy(
            option=option,
            options=(option,),
            rule=worst.id,
            clause=worst.clause,
            service_may_be_refused=g.refusable,
        )
        still = list(dict.fromkeys(s for ex in matches for s in ex.still_provided))
        g.trace.append(
            Reason(
                worst.id,
                worst.clause,
                f"remedy: {option.replace('_', ' ')}"
                + ("; still provided: " + ", ".join(still) if still else "")
                + ("; the vendor may refuse service" if g.refusable else ""),
                worst.source,
            )
        )
        plan = self.plan
        g.costs = assign_costs(
            plan.policy,
            self.facts.claim,
            "excluded",
            lambda: [list(ex.costs) for ex in matches],
            plan.tables["excluded"],
            DEFAULT_RULES["excluded"],
            g.trace,
            first_wins=True,
            cache=self.rules.cost_cache,
            cache_key=tuple(ex.id for ex in matches),
        )

    def _expired(self, g: _Group) -> tuple[Remedy | None, tuple[CostEntry, ...], tuple[str, ...]]:
        plan = self.plan
        facts = self.facts
        trace = g.trace
        if g.family:
            k, pending_idx = self._verdict(g)
            if k is not None:
                rule = self.rules.slots[g.index][1][k].plan
                why = g.checks[k][2]
                options = rule.options
                choice = facts.claim.customer_choice
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
                    Reason(
                        rule.id,
                        rule.clause,
                        f"{render_why(why)}: {option} free of charge"
                        + ("; losses compensated" if remedy.compensation else ""),
                        rule.source,
                    )
                )
                free = CostRule(payer="vendor", clause=rule.clause)
                named = set(plan.tables["covered"]) | set(plan.tables["expired"]) | set(facts.claim.prices)
                table = [
                    CostSource(line=line, rule=free, rule_id=rule.id, clause=rule.clause, source=rule.source)
                    for line in named
                ]
                costs = assign_costs(plan.policy, facts.claim, "abnormal_life", [table], {}, free, trace)
                return remedy, costs, ()
            if pending_idx:
                merged = self._unknown(g, pending_idx[0])
                for j in pending_idx[1:]:
                    merged = merged.merge(self._unknown(g, j))
                return None, (), merged.missing
        services = [
            e for e in g.applicable if e.plan.kind in _EXPIRED_SERVICE_KINDS and e.covers_failure is True
        ]
        service = next((e for e in services if e.plan.kind in SERVICE_KINDS), None)
        source = service or g.deciding
        source_plan = source.plan if source is not None else None
        service_plan = service.plan if service is not None else None
        remedy = Remedy(
            option="paid_repair",
            options=("paid_repair",),
            rule=source_plan.id if source_plan else "expired",
            clause=source_plan.clause if source_plan else "-",
            service_may_be_refused=g.refusable,
        )
        trace.append(
            Reason(
                remedy.rule,
                remedy.clause,
                "remedy: paid repair"
                + (
                    f" under the {service_plan.kind.replace('_', ' ')} term {service_plan.id}"
                    if service_plan
                    else " (out of warranty)"
                )
                + ("; the vendor may refuse service" if g.refusable else ""),
                source_plan.source if source_plan else plan.terms_source,
            )
        )
        costs = assign_costs(
            plan.policy,
            facts.claim,
            "expired",
            lambda: [list(plan.term_costs[e.plan.id]) for e in services],
            plan.tables["expired"],
            DEFAULT_RULES["expired"],
            trace,
            cache=self.rules.cost_cache,
            cache_key=tuple(e.plan.id for e in services),
        )
        return remedy, costs, ()

    def _covered_costs(self, g: _Group) -> tuple[CostEntry, ...]:
        plan = self.plan
        chosen = g.covering + [
            e for e in g.applicable if e.plan.kind == "cost_cover" and e.covers_failure is True
        ]
        return assign_costs(
            plan.policy,
            self.facts.claim,
            "covered",
            lambda: [list(plan.term_costs[e.plan.id]) for e in chosen],
            plan.tables["covered"],
            DEFAULT_RULES["covered"],
            g.trace,
            cache=self.rules.cost_cache,
            cache_key=tuple(e.plan.id for e in chosen),
        )


class _Undecided:
    """Round 1 answered neither true nor false."""

    def __repr__(self) -> str:
        return "undecided"


_UNDECIDED: Final[Any] = _Undecided()


# ---------------------------------------------------------------- texts (as in engine.claims)


def _materialize(trace: list[Any], fd: date | None) -> tuple[Reason, ...]:
    out: list[Reason] = []
    for item in trace:
        if isinstance(item, Reason):
            out.append(item)
        elif isinstance(item, TermEval):
            out.append(Reason(item.plan.id, item.plan.clause, _term_text(item, fd), item.plan.source))
        else:  # (function, *arguments) recorded by assign_costs
            out.append(item[0](*item[1:]))
    return tuple(out)


def _window(e: TermEval) -> TermWindow:
    inside = e.inside if isinstance(e.inside, bool) else None
    applies = e.applies if isinstance(e.applies, bool) else None
    missing: tuple[str, ...] = e.missing
    if isinstance(e.applies, Unknown):
        missing = tuple(dict.fromkeys(missing + e.applies.missing))
    plan = e.plan
    meters = tuple(MeterStatus(m.meter, m.limit, m.reading, m.within) for m in e.meters)
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
    head = e.plan.reason_head
    start = e.start
    if e.never_starts:
        return f"{head} never starts: {e.anchor}"
    if start is None:
        return f"{head}: start unknown (missing {', '.join(e.missing)})"
    begin = start.isoformat()
    end = e.end
    if e.lifetime:
        span = f"from {begin}, no end (lifetime)"
    elif end is None:
        span = (
            f"from {begin}, end by meter"
            if e.end_known
            else f"from {begin}, end unknown (missing {', '.join(e.missing)})"
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
    for m in e.meters:
        reading = "unknown" if m.reading is None else str(m.reading)
        tail += f"; {m.meter} {reading} of limit {m.limit}"
    if not e.in_effect:
        tail += "; starts outside the policy's effective window"
    if fd is not None:
        if e.inside is True:
            tail += f"; failure {fd.isoformat()} is inside"
        elif e.inside is False:
            tail += f"; failure {fd.isoformat()} is " + ("before it starts" if e.before_start else "outside")
    return f"{head} counted from {e.anchor}: {span}{tail}"


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


def _plan_options(plan: TermPlan) -> tuple[str, ...]:
    options = tuple(o.value for o in plan.options)
    return options or _DEFAULT_OPTIONS.get(plan.kind, ("repair",))


def _default_remedy(deciding: TermEval, choice: str | None) -> tuple[Remedy, Reason]:
    term = deciding.plan
    options = _plan_options(term)
    chose = choice in options
    option = choice if chose and choice is not None else best_option(options)
    remedy = Remedy(option=option, options=options, rule=term.id, clause=term.clause)
    reason = Reason(
        term.id,
        term.clause,
        f"remedy: {option} (options: {', '.join(options)}"
        + ("; R1 free repair" if options == ("repair",) else "")
        + ")"
        + (f"; the customer chose {choice}" if chose else ""),
        term.source,
    )
    return remedy, reason


def _end_key(e: TermEval) -> date:
    return e.end if e.end is not None else date.max


def _deciding_term(covering: list[TermEval]) -> TermEval:
    if len(covering) == 1:
        return covering[0]
    return max(
        covering,
        key=lambda e: (
            OPTION_RANK.get(best_option(_plan_options(e.plan)), 0),
            _end_key(e),
            -e.plan.index,
        ),
    )


def _favour(outcome: Outcome) -> tuple[int, int, Decimal, int]:
    remedy_rank = OPTION_RANK.get(outcome.remedy.option, 0) if outcome.remedy else 0
    total = outcome.customer_total()
    customer_lines = sum(1 for c in outcome.costs if c.payer == "customer")
    cost_key = -(total.amount if total is not None else Decimal(0))
    return STATUS_RANK[outcome.status], remedy_rank, cost_key, -customer_lines
