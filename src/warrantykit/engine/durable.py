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
  the P10 choice are put together by the pure engine's own code
  (:mod:`warrantykit.engine.claims`: :func:`~warrantykit.engine.claims.group_status`,
  :func:`~warrantykit.engine.claims.finish_group`,
  :func:`~warrantykit.engine.claims.assemble_decision`), handed durable's answers:
  the term selectors' and the exclusion and loaner ``when`` answers, and the
  precedence round's :data:`~warrantykit.engine.claims.Verdict`. Every rule of
  the assembly and every reason text is written once, there.
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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from warrantykit.engine.claims import (
    ClaimPlan,
    GroupStatus,
    Verdict,
    assemble_decision,
    check_as_of,
    claim_facts,
    compile_claims,
    finish_group,
    group_status,
    parse_claim,
    remedy_state,
)
from warrantykit.engine.conditions import (
    CLAIM_ALIASES,
    Truth,
    Unknown,
    all_of,
    coerce_date,
    comparable,
    compile_fact,
    reported_path,
)
from warrantykit.engine.decision import ClaimDecision
from warrantykit.engine.remedies import RemedyPlan, RemedyState, Why
from warrantykit.engine.terms import TermPlan
from warrantykit.errors import UnsupportedByBackend
from warrantykit.facts import Claim

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
        shown = reported_path(path, CLAIM_ALIASES)
        get = compile_fact(path)

        if op == "exists" or (op in ("eq", "ne") and operand is None):
            # eq: null / ne: null -- the same as exists false / true

            def known(env: Mapping[str, Any]) -> Any:
                return ABSENT if get(env) is None else 1

            name = self._field(known)
            present = bool(operand) if op == "exists" else op == "ne"
            yes, no = _present(name), _absent(name)
            return (yes, no) if present else (no, yes)

        if op in ("eq", "ne", "in", "not_in"):
            options = (operand,) if op in ("eq", "ne") else tuple(operand or ())
            dated = any(isinstance(o, date) for o in options)
            tokens = [_token(o, shown, op) for o in options if o is not None]
            # ``in`` with a null option never matches a known value: None is not a token

            def equal(env: Mapping[str, Any]) -> Any:
                value = get(env)
                if value is None:
                    return ABSENT
                if dated:
                    value = coerce_date(value)
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
                    value = coerce_date(value)
                if not comparable(value, operand):
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
        day = check_as_of(as_of)
        facts = parse_claim(claim)
        with self.rules.lock:
            return _Decider(self.rules, facts, day).decide()

    def evaluate_many(
        self, claims: Iterable[Claim | Mapping[str, Any] | str | bytes], *, as_of: date
    ) -> Iterator[ClaimDecision]:
        """Lazily decide each claim (``as_of`` is checked at once)."""
        day = check_as_of(as_of)
        for claim in claims:
            yield self.evaluate(claim, as_of=day)


# ---------------------------------------------------------------- one claim


def _disagree(what: str, pure: object) -> UnsupportedByBackend:
    return UnsupportedByBackend(
        BACKEND,
        f"{what}: durable-rules found it unknown, the pure evaluator answered {pure!r}",
    )


class _Group:
    """One warranty group: its status and what the precedence round needs and found."""

    def __init__(self, index: int, warranty: str | None) -> None:
        self.index = index
        self.warranty = warranty
        self.status: GroupStatus | None = None
        self.state: RemedyState | None = None
        self.family = ""  # "r": remedy rules (covered); "x": abnormal-life rules (expired)
        self.found: dict[Any, Any] = {}
        """What the precedence round found for this group."""
        self.checks: list[tuple[Truth, Truth | None, Why, date | None, BaseException | None]] = []


class _Decider:
    def __init__(self, rules: ClaimRules, claim: Claim, day: date) -> None:
        self.rules = rules
        self.plan = rules.plan
        self.facts = claim_facts(self.plan, claim, day)
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
        """Both rounds of matching; everything else as the pure engine does it."""
        plan = self.plan
        facts = self.facts
        self._conditions()
        groups = [_Group(i, warranty) for i, (warranty, _) in enumerate(plan.groups)]
        for group in groups:
            self._status(group)
        self._precedence(groups)
        results = []
        for g in groups:
            assert g.status is not None
            verdict = self._verdict(g) if g.family else None
            results.append(finish_group(plan, facts, g.warranty, g.status, g.state, verdict, self.when))
        return assemble_decision(plan, facts, results)

    def _status(self, g: _Group) -> None:
        plan = self.plan
        selected = tuple(
            (t, applies) for t in plan.groups[g.index][1] if (applies := self.applies(t)) is not False
        )
        g.status = group_status(plan, self.facts, selected, self.exclusion)
        status, _, applicable, covering, _, _, _ = g.status
        if status == "covered":
            g.family = "r"
            g.state = remedy_state(plan, covering, applicable)
        elif status == "expired" and plan.abnormal_rules:
            g.family = "x"
            g.state = remedy_state(plan, (), applicable)
        if g.family:
            self._triggers(g)

    # ------------------------------------------------------------ round 2: precedence

    def _slots(self, g: _Group) -> list[_Slot]:
        """The group's rules in the precedence round: remedy rules or abnormal-life rules."""
        return self.rules.slots[g.index][0 if g.family == "r" else 1]

    def _triggers(self, g: _Group) -> None:
        """Each rule's terms gate, ``when`` and trigger (date arithmetic, in Python)."""
        state = g.state
        assert state is not None
        for slot in self._slots(g):
            rule = slot.plan
            gate = rule.gate(self.facts, state, self.when)
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
            for slot, (gate, result, _, _, error) in zip(self._slots(g), g.checks, strict=True):
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

    def _verdict(self, g: _Group) -> Verdict:
        """The winning rule and the pending rules before it; raises a trigger's error
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
        slots = self._slots(g)
        pending = [
            (slots[k].plan, self._unknown(g, k))
            for k in range(limit)
            if found.get((family, g.index, "pending", k))
        ]
        if winner is None:
            return None, "", None, pending
        _, _, why, window_end, _ = g.checks[winner]
        return slots[winner].plan, why, window_end, pending

    def _unknown(self, g: _Group, k: int) -> Unknown:
        gate, result, _, _, _ = g.checks[k]
        assert result is not None
        combined = result if gate is True else all_of((gate, result))
        if not isinstance(combined, Unknown):
            rule = self._slots(g)[k].plan
            raise _disagree(f"remedy rule {rule.id}", combined)
        return combined


class _Undecided:
    """Round 1 answered neither true nor false."""

    def __repr__(self) -> str:
        return "undecided"


_UNDECIDED: Final[Any] = _Undecided()
