"""Static analysis of a valid policy, beyond validity (``warrantykit check --strict``).

:func:`lint` returns located :class:`~warrantykit.errors.Problem` records with
stable codes. Each message starts with the finding's name:

``WK101 overlap``
    Remedy rules that can both match without a declared precedence are an
    error of the loader (code ``ambiguous-precedence``), not a lint finding.
    :func:`example_claim` builds a concrete claim that both rules match; the
    loader's message shows it ("e.g. both match the claim {...}").
``WK102 shadowed``
    A rule that can never decide anything: a remedy rule whose trigger and
    condition imply those of a higher-precedence rule of the same kind (which
    then always wins); a severity rule whose condition implies that of a rule
    for a more severe level (the most severe level wins); an SLA target that is
    never the most specific match of any severity x channel x region cell; an
    exclusion with the same condition and terms as an earlier one; a term
    identical (but for id, clause and text) to an earlier one.
``WK103 gap``
    A severity x channel x region cell for which a metric has no target (only
    over the dimensions the metric's targets name); a component named by an
    exclusion or a remedy that no term covers.
``WK104 inconsistent-targets``
    For one severity x channel x region cell, a resolution or arrival target
    shorter than the response target of the same clock start and calendar.
``WK105 unknown-fact``
    Stays a loader error (code ``unknown-fact``).
``WK106 unused``
    A calendar, season or warranty nothing refers to; a pause reason that
    stops no metric; a severity that no severity rule gives and that is not
    the default (only when the policy classifies with severity rules); a
    region no target names; a channel (declared explicitly) that no target,
    escalation step or clock start names. Terms are always used (a term is
    coverage). Only names defined in the policy's own file are reported: a
    calendar or season from an include fragment or a template is not unused
    because one policy leaves it alone.

Suppressing a finding
    A comment ``# warrantykit: ignore WK103`` (several codes: ``ignore WK103,
    WK106``) on the line of the finding, or on the line of any enclosing
    entry (the ``- id:`` line of the rule, the ``targets:`` key, the metric's
    line...), suppresses those codes there. Say why in a ``# GAP:`` comment
    next to it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from warrantykit.errors import Problem
from warrantykit.facts import Asset, Claim
from warrantykit.policies.conditions import Condition, leaf_values, walk
from warrantykit.policies.durations import Duration, Unit
from warrantykit.policies.models import (
    AbnormalLifeRemedy,
    Anchor,
    LoanerRemedy,
    Metric,
    OutOfBoxRemedy,
    PolicyDocument,
    PurchaseWindowRemedy,
    RepeatedRepairsRemedy,
    Target,
    UnrepairedRemedy,
)
from warrantykit.policies.yamlsafe import Path

if TYPE_CHECKING:
    from warrantykit.policies.loader import Locations

__all__ = ["CODES", "day_bounds", "example_claim", "implies", "lint"]

CODES: dict[str, str] = {
    "WK101": "overlap",
    "WK102": "shadowed",
    "WK103": "gap",
    "WK104": "inconsistent-targets",
    "WK105": "unknown-fact",
    "WK106": "unused",
}
"""Stable lint codes and their names."""

_IGNORE = re.compile(r"#.*?\bwarrantykit:\s*ignore\s+((?:WK\d{3}[\s,]*)+)", re.IGNORECASE)

Found = tuple[Path, str, str]
"""(path, code, message without the name)."""


# ---------------------------------------------------------------- implication


def _leaf_implies(x: Condition, y: Condition) -> bool:
    """Leaf ``x`` implies leaf ``y`` (conservative: False when unsure)."""
    if x.fact != y.fact:
        return False
    if x == y:
        return True
    ox, oy = x.operator, y.operator
    vx, vy = leaf_values(x), leaf_values(y)
    if vx is not None and vy is not None:
        return vx <= vy
    if vx is not None and oy == "ne":
        return y.ne not in vx
    if vx is not None and oy == "not_in":
        return not (vx & set(y.not_in or ()))
    if vx is not None and oy == "exists":
        return y.exists is True and None not in vx
    contained: set[Any] | None = None
    if ox == "contains":
        contained = {x.contains}
    elif ox == "contains_all":
        contained = set(x.contains_all or ())
    if contained is not None:
        if oy == "contains":
            return y.contains in contained
        if oy == "contains_any":
            return bool(contained & set(y.contains_any or ()))
        if oy == "contains_all":
            return set(y.contains_all or ()) <= contained
    if ox == "contains_any" and oy == "contains_any":
        return set(x.contains_any or ()) <= set(y.contains_any or ())
    bounds = {"gt", "ge", "lt", "le"}
    if ox in bounds and oy in bounds:
        a, b = x.operand(), y.operand()
        if type(a) is not type(b) and not (isinstance(a, int | Decimal) and isinstance(b, int | Decimal)):
            return False
        if ox in ("gt", "ge") and oy in ("gt", "ge"):
            return bool(a > b or (a == b and (ox == oy or ox == "gt")))
        if ox in ("lt", "le") and oy in ("lt", "le"):
            return bool(a < b or (a == b and (ox == oy or ox == "lt")))
    return False


def implies(x: Condition | None, y: Condition | None) -> bool:
    """Whenever ``x`` holds, ``y`` holds (None = always true). Conservative."""
    if y is None:
        return True
    if x is None:
        return False
    if x == y:
        return True
    if y.all_ is not None:
        return all(implies(x, c) for c in y.all_)
    if x.any_ is not None:
        return all(implies(c, y) for c in x.any_)
    if y.any_ is not None and any(implies(x, c) for c in y.any_):
        return True
    if x.all_ is not None:
        return any(implies(c, y) for c in x.all_)
    if x.fact is not None and y.fact is not None:
        return _leaf_implies(x, y)
    return False


# ---------------------------------------------------------------- durations


def day_bounds(d: Duration | None) -> tuple[int, int] | None:
    """(min, max) days a calendar duration can span (None = 0 days); None if it is
    not counted in days, weeks, months or years."""
    if d is None:
        return (0, 0)
    per = {Unit.DAYS: (1, 1), Unit.WEEKS: (7, 7), Unit.MONTHS: (28, 31), Unit.YEARS: (365, 366)}
    if d.unit not in per:
        return None
    lo, hi = per[d.unit]
    return (d.amount * lo, d.amount * hi)


def _not_longer(a: Duration | None, b: Duration | None) -> bool:
    """``a`` is never longer than ``b`` (None = 0)."""
    if a is None:
        return True
    if b is None:
        return False
    if a.unit == b.unit:
        return a.amount <= b.amount
    da, db = day_bounds(a), day_bounds(b)
    return da is not None and db is not None and da[1] <= db[0]


def _shorter(a: Duration, b: Duration) -> bool:
    """``a`` is certainly shorter than ``b`` (both SLA target durations)."""
    if a.unit == b.unit:
        return a.amount < b.amount
    if Unit.WORKING_DAYS in (a.unit, b.unit):
        return False
    return a.as_timedelta() < b.as_timedelta()


# ---------------------------------------------------------------- remedies


def _prec(rule: Any) -> int:
    return rule.precedence if rule.precedence is not None else 0


def _trigger_implies(b: Any, a: Any) -> bool:
    """Whenever remedy ``b``'s own trigger holds, ``a``'s holds (same kind)."""
    if type(a) is not type(b):
        return False
    if isinstance(b, PurchaseWindowRemedy):
        wa, wb = a.window, b.window
        return (
            wa.anchor == wb.anchor
            and _not_longer(wa.after, wb.after)
            and _not_longer(wb.within, wa.within)
        )
    if isinstance(b, RepeatedRepairsRemedy):
        need_a = a.count + (1 if a.comparison == "more_than" else 0)
        need_b = b.count + (1 if b.comparison == "more_than" else 0)
        same_kind = (a.same, a.consecutive, a.within, a.anchor) == (
            b.same,
            b.consecutive,
            b.within,
            b.anchor,
        )
        comps = a.components is None or (
            b.components is not None and set(b.components) <= set(a.components)
        )
        return same_kind and comps and need_a <= need_b and (b.still_failing or not a.still_failing)
    if isinstance(b, UnrepairedRemedy):
        if (a.counted_from, a.within, a.anchor) != (b.counted_from, b.within, b.anchor):
            return False
        if a.cause not in ("any", b.cause):
            return False
        la = a.more_than or a.at_least
        lb = b.more_than or b.at_least
        if la is None or lb is None or la.unit != lb.unit:
            return False
        strict_a, strict_b = a.more_than is not None, b.more_than is not None
        return bool(la.amount + strict_a <= lb.amount + strict_b)
    if isinstance(b, OutOfBoxRemedy):
        return a.anchor == b.anchor and (
            a.within is None or (b.within is not None and _not_longer(b.within, a.within))
        )
    if isinstance(b, AbnormalLifeRemedy):
        return (not a.requires_certification or b.requires_certification) and (
            not a.after_warranty_only or b.after_warranty_only
        )
    return False


def _terms_within(b: Any, a: Any) -> bool:
    return a.terms is None or (b.terms is not None and set(b.terms) <= set(a.terms))


# ---------------------------------------------------------------- example claims

BASE_DATE = dt.date(2024, 1, 1)
"""The anchor date of every example claim."""


class _NoExample(Exception):
    """The constraints cannot be met by the simple construction."""


@dataclass
class _Facts:
    """Constraints on fact paths, collected from conditions and remedy triggers."""

    equal: dict[str, set[Any] | None] = field(default_factory=dict)  # None: unconstrained
    excluded: dict[str, set[Any]] = field(default_factory=dict)
    contains: dict[str, list[Any]] = field(default_factory=dict)
    lacks: dict[str, set[Any]] = field(default_factory=dict)
    lower: dict[str, tuple[Any, bool]] = field(default_factory=dict)  # value, strict
    upper: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    present: dict[str, bool] = field(default_factory=dict)

    def copy(self) -> _Facts:
        return _Facts(
            {k: (set(v) if v is not None else None) for k, v in self.equal.items()},
            {k: set(v) for k, v in self.excluded.items()},
            {k: list(v) for k, v in self.contains.items()},
            {k: set(v) for k, v in self.lacks.items()},
            dict(self.lower),
            dict(self.upper),
            dict(self.present),
        )

    def allow(self, path: str, values: Iterable[Any]) -> None:
        wanted = set(values)
        current = self.equal.get(path)
        self.equal[path] = wanted if current is None else current & wanted
        if not self.equal[path]:
            raise _NoExample(path)

    def leaf(self, cond: Condition, negate: bool) -> None:
        path = cond.fact
        assert path is not None
        op = cond.operator
        operand = cond.operand()
        if negate:
            op = {
                "eq": "ne",
                "ne": "eq",
                "in": "not_in",
                "not_in": "in",
                "contains": "lacks",
                "exists": "exists",
                "gt": "le",
                "ge": "lt",
                "lt": "ge",
                "le": "gt",
            }.get(op, "")
            if cond.operator == "exists":
                operand = not operand
            if not op:
                raise _NoExample(path)
        if op == "eq":
            self.allow(path, [operand])
        elif op == "in":
            self.allow(path, operand)
        elif op == "ne":
            self.excluded.setdefault(path, set()).add(operand)
        elif op == "not_in":
            self.excluded.setdefault(path, set()).update(operand)
        elif op == "contains":
            self.contains.setdefault(path, []).append(operand)
        elif op == "contains_all":
            self.contains.setdefault(path, []).extend(operand)
        elif op == "contains_any":
            have = self.contains.get(path, [])
            if not any(v in have for v in operand):
                lacking = self.lacks.get(path, set())
                pick = next((v for v in operand if v not in lacking), None)
                if pick is None:
                    raise _NoExample(path)
                self.contains.setdefault(path, []).append(pick)
        elif op == "lacks":
            self.lacks.setdefault(path, set()).add(operand)
        elif op == "exists":
            if self.present.get(path, operand) != operand:
                raise _NoExample(path)
            self.present[path] = bool(operand)
        elif op in ("gt", "ge"):
            self.lower[path] = (operand, op == "gt")
        elif op in ("lt", "le"):
            self.upper[path] = (operand, op == "lt")

    def condition(self, cond: Condition, negate: bool = False) -> None:
        if cond.fact is not None:
            self.leaf(cond, negate)
        elif cond.not_ is not None:
            self.condition(cond.not_, not negate)
        else:
            items = cond.all_ if cond.all_ is not None else cond.any_
            conjunction = (cond.all_ is not None) != negate
            if conjunction:
                for child in items or ():
                    self.condition(child, negate)
                return
            for child in items or ():  # a disjunction: the first branch that fits
                trial = self.copy()
                try:
                    trial.condition(child, negate)
                except _NoExample:
                    continue
                self.__dict__.update(trial.__dict__)
                return
            raise _NoExample("any")


def _annotation(path: str) -> Any:
    """The type of the fact at ``path`` (``Any`` inside open mappings)."""
    parts = path.split(".")
    model: type[BaseModel] = Claim if parts[0] == "claim" else Asset
    annotation: Any = model
    for name in parts[1:]:
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return Any
        info = annotation.model_fields.get(name)
        if info is None:
            return Any
        annotation = info.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
    return annotation


def _pick(path: str, facts: _Facts) -> Any:
    """A value for ``path`` meeting every constraint, or raise :class:`_NoExample`."""
    excluded = facts.excluded.get(path, set())
    lower, upper = facts.lower.get(path), facts.upper.get(path)

    def fits(value: Any) -> bool:
        if value in excluded or value is None:
            return False
        try:
            if lower is not None and (value < lower[0] or (lower[1] and value == lower[0])):
                return False
            if upper is not None and (value > upper[0] or (upper[1] and value == upper[0])):
                return False
        except TypeError:
            return False
        return True

    allowed = facts.equal.get(path)
    if allowed is not None:
        for value in sorted(allowed, key=repr):
            if fits(value):
                return value
        raise _NoExample(path)
    annotation = _annotation(path)
    candidates: list[Any] = []
    for bound in (lower, upper):
        if bound is not None:
            value, strict = bound
            step: Any = dt.timedelta(days=1) if isinstance(value, dt.date) else 1
            if bound is lower:
                candidates.append(value + step if strict else value)
            else:
                candidates.append(value - step if strict else value)
    if annotation is bool or annotation is Any:
        candidates += [True, False]
    literals = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
    candidates += list(literals)
    if annotation is dt.date:
        candidates.append(BASE_DATE)
    if annotation in (int, Decimal):
        candidates += [1, 0]
    candidates += ["example", "other"]
    for value in candidates:
        if fits(value):
            return value
    raise _NoExample(path)


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = doc if parts[0] == "claim" else doc.setdefault("asset", {})
    for name in parts[1:-1]:
        node = node.setdefault(name, {})
    node[parts[-1]] = value


def _iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _build_claim(rules: tuple[Any, ...]) -> dict[str, Any]:
    facts = _Facts()
    for rule in rules:
        if rule.when is not None:
            facts.condition(rule.when)
    claim: dict[str, Any] = {"asset": {}}
    # windows: failure day k after the anchor inside every purchase window
    lo, hi = 0, 10**6
    for rule in rules:
        window: tuple[Anchor | None, Duration | None, Duration] | None = None
        if isinstance(rule, PurchaseWindowRemedy):
            window = (rule.window.anchor, rule.window.after, rule.window.within)
        elif isinstance(rule, OutOfBoxRemedy):
            window = (rule.anchor, None, rule.within) if rule.within is not None else None
            if rule.within is not None and rule.anchor is None:
                window = (None, None, rule.within)
            facts.allow("claim.out_of_box", [True])
        elif isinstance(rule, RepeatedRepairsRemedy | UnrepairedRemedy) and rule.within is not None:
            if rule.anchor is None:
                raise _NoExample("anchor")  # counted from the covering term: depends on terms
            window = (rule.anchor, None, rule.within)
        elif isinstance(rule, AbnormalLifeRemedy):
            if rule.after_warranty_only:
                raise _NoExample("after warranty")  # depends on the terms
            if rule.requires_certification:
                facts.allow("claim.abnormal_life_certified", [True])
        if window is None:
            continue
        anchor, after, within = window
        events = anchor.events() if anchor is not None else ("delivery",)
        if anchor is not None and anchor.offset is not None:
            raise _NoExample("offset")
        for event in events:
            _set(claim, f"asset.dates.{event}", BASE_DATE)
        after_days, within_days = day_bounds(after), day_bounds(within)
        if after_days is None or within_days is None:
            raise _NoExample("window")
        lo = max(lo, after_days[1] + 1)
        hi = min(hi, within_days[0])
    if lo > hi:
        raise _NoExample("windows")
    failure = BASE_DATE + dt.timedelta(days=lo if hi < 10**6 else max(lo, 30))
    reported = dt.datetime.combine(failure, dt.time(9), tzinfo=dt.UTC)
    claim["failure_date"] = failure
    for rule in rules:
        if isinstance(rule, RepeatedRepairsRemedy):
            if "claim.fault_code" not in facts.equal:
                facts.allow("claim.fault_code", ["F1"])
            n = rule.count + (1 if rule.comparison == "more_than" else 0)
            if rule.components is not None:
                facts.allow("claim.component", rule.components)
            fault = _pick("claim.fault_code", facts)
            by_component = rule.same in ("component", "fault_and_component") or rule.components
            component = _pick("claim.component", facts) if by_component else None
            repairs = []
            for i in range(n):
                handed = failure - dt.timedelta(days=2 * (n - i))
                record: dict[str, Any] = {
                    "fault_code": fault,
                    "handed_over": handed,
                    "returned": handed + dt.timedelta(days=1),
                    "fixed": False,
                }
                if component is not None:
                    record["component"] = component
                repairs.append(record)
            claim["repairs"] = repairs
        elif isinstance(rule, UnrepairedRemedy):
            limit = rule.more_than or rule.at_least
            assert limit is not None
            if limit.unit is Unit.WORKING_DAYS or "repairs" in claim:
                raise _NoExample("unrepaired")
            days = day_bounds(limit)
            span = (
                dt.timedelta(days=days[1] + 1) if days is not None else limit.as_timedelta() + dt.timedelta(days=1)
            )
            record = {"handed_over": failure, "returned": failure + span + dt.timedelta(days=1)}
            if rule.cause != "any":
                record["delay_caused_by"] = "parts_supply" if rule.cause == "parts_unavailable" else "repairer"
            claim["repairs"] = [record]
            claim["reported_at"] = reported
            claim["resolved_at"] = reported + span
    # every constrained fact gets a value
    paths = set(facts.equal) | set(facts.excluded) | set(facts.lower) | set(facts.upper)
    for path, present in facts.present.items():
        if present:
            paths.add(path)
        elif path in paths or path in facts.contains:
            raise _NoExample(path)
    for path in sorted(paths):
        _set(claim, path, _pick(path, facts))
    for path, items in facts.contains.items():
        if set(items) & facts.lacks.get(path, set()):
            raise _NoExample(path)
        _set(claim, path, list(dict.fromkeys(items)))
    return claim


def example_claim(rule_a: Any, rule_b: Any) -> dict[str, Any] | None:
    """A minimal claim (JSON-ready) that both remedy rules match, or None.

    Conditions are met fact by fact (the first workable branch of each
    ``any``); purchase-window, out-of-box, repeated-repair and unrepaired
    triggers get dates, repair records and report times inside every window,
    counted from :data:`BASE_DATE`. The claim is checked: it must be valid
    facts and satisfy both ``when`` conditions. Rules gated by the terms that
    cover the claim (``terms``, ``after_warranty_only``, a ``within`` counted
    from the covering term) are met only as far as the claim alone can say;
    None when no simple example exists.
    """
    from warrantykit.engine.conditions import evaluate

    rules = (rule_a, rule_b)
    try:
        built = _build_claim(rules)
    except _NoExample:
        return None
    try:
        claim = Claim.model_validate(built)
    except ValidationError:
        return None
    for rule in rules:
        if rule.when is not None and evaluate(rule.when, claim) is not True:
            return None
    out = _iso(built)
    if out.get("asset") == {}:
        del out["asset"]
    return typing.cast(dict[str, Any], out)


def describe_claim(claim: Mapping[str, Any]) -> str:
    """The example claim as compact JSON for a message."""
    return json.dumps(claim, ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------- the checks


def _cells(doc: PolicyDocument) -> list[tuple[str, str, str | None]]:
    assert doc.sla is not None
    severities = [s.id for s in doc.sla.severities]
    regions: list[str | None] = list(doc.sla.regions) or [None]
    return list(itertools.product(severities, doc.sla.channels, regions))


def _matches(target: Target, cell: tuple[str, str, str | None]) -> bool:
    sev, ch, rg = cell
    return (
        (target.severity is None or sev in target.severity)
        and (target.channel is None or ch in target.channel)
        and (target.region is None or (rg is not None and rg in target.region))
    )


def _specificity(target: Target) -> int:
    return sum(x is not None for x in (target.severity, target.channel, target.region))


def _chosen(metric: Metric, cell: tuple[str, str, str | None]) -> int | None:
    """Index of the target the engine uses for ``cell`` (most specific, first on ties)."""
    best: int | None = None
    for i, target in enumerate(metric.targets):
        if _matches(target, cell) and (
            best is None or _specificity(target) > _specificity(metric.targets[best])
        ):
            best = i
    return best


def _cell_text(cell: tuple[str, str, str | None], *metrics: Metric) -> str:
    """The cell, named by the dimensions the metrics' targets use."""
    sev, ch, rg = cell
    targets = [t for m in metrics for t in m.targets]
    parts = []
    if any(t.severity is not None for t in targets):
        parts.append(f"severity {sev}")
    if any(t.channel is not None for t in targets):
        parts.append(f"channel {ch}")
    if any(t.region is not None for t in targets):
        parts.append(f"region {rg}")
    return ", ".join(parts)


def _condition_leaves(cond: Condition | None, path: Path) -> Iterator[tuple[Condition, Path]]:
    """The leaves (``fact`` + operator) of ``cond`` with their field paths."""
    if cond is not None:
        yield from ((node, at) for node, at in walk(cond, path) if node.fact is not None)


class _Linter:
    def __init__(self, doc: PolicyDocument, own: typing.Callable[[Path], bool]) -> None:
        self.doc = doc
        self.own = own
        self.found: list[Found] = []

    def add(self, path: Path, code: str, message: str) -> None:
        self.found.append((path, code, message))

    def run(self) -> list[Found]:
        self.shadowed_remedies()
        self.shadowed_severity_rules()
        self.duplicates()
        self.sla_cells()
        self.components()
        self.unused()
        return self.found

    # -- WK102 -----------------------------------------------------------------

    def shadowed_remedies(self) -> None:
        rules = [(i, r) for i, r in enumerate(self.doc.remedies) if not isinstance(r, LoanerRemedy)]
        for j, b in rules:
            for i, a in rules:
                if i == j or _prec(a) <= _prec(b):
                    continue
                if _trigger_implies(b, a) and implies(b.when, a.when) and _terms_within(b, a):
                    self.add(
                        ("remedies", j, "id"),
                        "WK102",
                        f"remedy '{b.id}' never applies: whenever it matches, '{a.id}' matches "
                        f"too and wins (precedence {_prec(a)} > {_prec(b)})",
                    )
                    break

    def shadowed_severity_rules(self) -> None:
        sla = self.doc.sla
        if sla is None:
            return
        rank = {s.id: k for k, s in enumerate(sla.severities)}
        rules = list(enumerate(sla.severity_rules))
        for j, b in rules:
            for i, a in rules:
                if i == j:
                    continue
                ra, rb = rank.get(a.level, 0), rank.get(b.level, 0)
                if not (ra < rb or (ra == rb and i < j)):
                    continue
                if implies(b.when, a.when):
                    why = (
                        f"gives the more severe level '{a.level}'"
                        if ra < rb
                        else f"gives the same level '{a.level}'"
                    )
                    self.add(
                        ("sla", "severity_rules", j, "when"),
                        "WK102",
                        f"severity rule for '{b.level}' never decides: whenever it matches, the "
                        f"rule at severity_rules[{i}] matches too and {why}",
                    )
                    break

    def duplicates(self) -> None:
        seen_ex: dict[tuple[Any, Any], str] = {}
        for i, exc in enumerate(self.doc.exclusions):
            key = (exc.when, exc.terms)
            if key in seen_ex:
                self.add(
                    ("exclusions", i, "when"),
                    "WK102",
                    f"exclusion '{exc.id}' has the same condition and terms as '{seen_ex[key]}'",
                )
            else:
                seen_ex[key] = exc.id
        seen_terms: dict[str, str] = {}
        for i, term in enumerate(self.doc.terms):
            body = json.dumps(
                term.model_dump(mode="json", exclude={"id", "clause", "text"}), sort_keys=True
            )
            if body in seen_terms:
                self.add(
                    ("terms", i, "id"),
                    "WK102",
                    f"term '{term.id}' is identical to term '{seen_terms[body]}' (but for id, "
                    f"clause and text)",
                )
            else:
                seen_terms[body] = term.id

    # -- WK102/103/104 on SLA cells ---------------------------------------------

    def sla_cells(self) -> None:
        sla = self.doc.sla
        if sla is None:
            return
        cells = _cells(self.doc)
        chosen: dict[str, dict[tuple[str, str, str | None], int | None]] = {}
        for m, metric in enumerate(sla.metrics):
            base: Path = ("sla", "metrics", m)
            picks = {cell: _chosen(metric, cell) for cell in cells}
            chosen[metric.id] = picks
            used = {i for i in picks.values() if i is not None}
            for t, target in enumerate(metric.targets):
                if t in used:
                    continue
                earlier = next(
                    (
                        k
                        for k, other in enumerate(metric.targets[:t])
                        if (other.severity, other.channel, other.region)
                        == (target.severity, target.channel, target.region)
                    ),
                    None,
                )
                why = (
                    f"it names the same cells as target {earlier}"
                    if earlier is not None
                    else "a more specific (or an earlier, equally specific) target wins in "
                    "every cell it matches"
                )
                self.add((*base, "targets", t), "WK102", f"target {t} of metric '{metric.id}' is never used: {why}")
            missing = sorted({_cell_text(c, metric) for c, i in picks.items() if i is None})
            if missing:
                shown = "; ".join(missing[:6]) + ("; ..." if len(missing) > 6 else "")
                self.add(
                    (*base, "targets"),
                    "WK103",
                    f"metric '{metric.id}' has no target for {shown}",
                )
        self.inconsistent(chosen, cells)

    def inconsistent(
        self,
        chosen: dict[str, dict[tuple[str, str, str | None], int | None]],
        cells: list[tuple[str, str, str | None]],
    ) -> None:
        sla = self.doc.sla
        assert sla is not None
        index = {m.id: k for k, m in enumerate(sla.metrics)}
        responses = [m for m in sla.metrics if m.kind == "response"]
        for later in sla.metrics:
            if later.kind not in ("resolution", "arrival"):
                continue
            for response in responses:
                if (response.starts, response.calendar) != (later.starts, later.calendar):
                    continue
                bad: dict[int, tuple[int, list[str]]] = {}
                for cell in cells:
                    t_late, t_resp = chosen[later.id][cell], chosen[response.id][cell]
                    if t_late is None or t_resp is None:
                        continue
                    a, b = later.targets[t_late].within, response.targets[t_resp].within
                    if _shorter(a, b):
                        where = _cell_text(cell, later, response) or "every ticket"
                        bad.setdefault(t_late, (t_resp, []))[1].append(where)
                for t_late, (t_resp, cells_text) in bad.items():
                    a, b = later.targets[t_late].within, response.targets[t_resp].within
                    shown = "; ".join(sorted(set(cells_text))[:4])
                    self.add(
                        ("sla", "metrics", index[later.id], "targets", t_late, "within"),
                        "WK104",
                        f"{later.kind} target {a} of '{later.id}' is shorter than the response "
                        f"target {b} of '{response.id}' ({shown})",
                    )

    # -- WK103 components --------------------------------------------------------

    def components(self) -> None:
        def covered(component: str) -> bool:
            for term in self.doc.terms:
                sel = term.covers
                if component in (sel.exclude_components or ()):
                    continue
                if sel.all_ or sel.components is None or component in sel.components:
                    return True
            return False

        mentions: list[tuple[str, Path, str]] = []
        for i, exc in enumerate(self.doc.exclusions):
            for leaf, path in _condition_leaves(exc.when, ("exclusions", i, "when")):
                mentions += self._component_values(leaf, path, f"exclusion '{exc.id}'")
        for i, rem in enumerate(self.doc.remedies):
            for leaf, path in _condition_leaves(rem.when, ("remedies", i, "when")):
                mentions += self._component_values(leaf, path, f"remedy '{rem.id}'")
            if isinstance(rem, RepeatedRepairsRemedy):
                for k, comp in enumerate(rem.components or ()):
                    mentions.append((comp, ("remedies", i, "components", k), f"remedy '{rem.id}'"))
        for component, path, who in mentions:
            if not covered(component):
                self.add(path, "WK103", f"{who} names component '{component}', which no term covers")

    @staticmethod
    def _component_values(leaf: Condition, path: Path, who: str) -> list[tuple[str, Path, str]]:
        if leaf.fact not in ("claim.component", "asset.components"):
            return []
        operand = leaf.operand()
        values = operand if isinstance(operand, tuple) else (operand,)
        op = leaf.operator
        if op not in ("eq", "in", "contains", "contains_any", "contains_all"):
            return []
        listed = isinstance(operand, tuple)
        return [
            (str(v), (*path, op, k) if listed else (*path, op), who)
            for k, v in enumerate(values)
            if isinstance(v, str)
        ]

    # -- WK106 -------------------------------------------------------------------

    def unused(self) -> None:
        doc = self.doc
        calendars: set[str] = set()
        seasons: set[str] = set()

        def roll(r: Any) -> None:
            if r is not None and r.calendar is not None:
                calendars.add(r.calendar)

        roll(doc.counting.roll_forward)
        for term in doc.terms:
            roll(term.counting.roll_forward)
            stack = [term.length]
            while stack:
                length = stack.pop()
                if length.season:
                    seasons.add(length.season)
                stack.extend(length.first_of or ())
                stack.extend(length.last_of or ())
        for rem in doc.remedies:
            if isinstance(rem, LoanerRemedy) and rem.calendar:
                calendars.add(rem.calendar)
        for rule in doc.schedule:
            if rule.calendar:
                calendars.add(rule.calendar)
            if rule.season:
                seasons.add(rule.season)
        if doc.sla is not None:
            calendars.update(m.calendar for m in doc.sla.metrics)
            calendars.update(step.calendar for step in doc.sla.escalation)
        for name in doc.calendars:
            if name not in calendars and self.own(("calendars", name)):
                self.add(("calendars", name), "WK106", f"calendar '{name}' is never used")
        for name in doc.seasons:
            if name not in seasons and self.own(("seasons", name)):
                self.add(("seasons", name), "WK106", f"season '{name}' is never used")
        warranties = {t.warranty for t in doc.terms}
        for i, w in enumerate(doc.warranties):
            if w.id not in warranties and self.own(("warranties", i)):
                self.add(("warranties", i, "id"), "WK106", f"warranty '{w.id}' is used by no term")
        sla = doc.sla
        if sla is None:
            return
        for i, reason in enumerate(sla.pause_reasons):
            if reason.stops != "all" and not reason.stops:
                self.add(("sla", "pause_reasons", i, "stops"), "WK106", f"pause reason '{reason.id}' stops no metric")
        if sla.severity_rules:
            given = {r.level for r in sla.severity_rules} | {sla.default_severity}
            for i, sev in enumerate(sla.severities):
                if sev.id not in given:
                    self.add(
                        ("sla", "severities", i),
                        "WK106",
                        f"severity '{sev.id}' is given by no severity rule and is not the default",
                    )
        targets = [t for m in sla.metrics for t in m.targets]
        named_regions = {r for t in targets for r in (t.region or ())}
        for i, region in enumerate(sla.regions):
            if region not in named_regions:
                self.add(("sla", "regions", i), "WK106", f"region '{region}' is named by no target")
        if "channels" in sla.model_fields_set and any(t.channel is not None for t in targets):
            named = {c for t in targets for c in (t.channel or ())}
            named |= {s.channel for s in sla.escalation}
            for m in sla.metrics:
                for event in (m.starts, *m.ends_on):
                    if event.startswith("escalated:"):
                        named.add(event.split(":", 1)[1])
            for i, channel in enumerate(sla.channels):
                if channel not in named:
                    self.add(
                        ("sla", "channels", i),
                        "WK106",
                        f"channel '{channel}' is named by no target, escalation step or clock start",
                    )


# ---------------------------------------------------------------- entry point


def _ignored(text: str) -> set[str]:
    match = _IGNORE.search(text)
    if match is None:
        return set()
    return {code.upper() for code in re.findall(r"WK\d{3}", match.group(1), re.IGNORECASE)}


class _Sources:
    """Source lines by file, read on demand (or given)."""

    def __init__(self, given: Mapping[str, str] | None) -> None:
        self.lines: dict[str, list[str]] = {
            name: text.splitlines() for name, text in (given or {}).items()
        }

    def line(self, file: str | None, number: int | None) -> str:
        if file is None or number is None:
            return ""
        if file not in self.lines:
            try:
                self.lines[file] = FsPath(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self.lines[file] = []
        lines = self.lines[file]
        return lines[number - 1] if 0 < number <= len(lines) else ""


def lint(
    document: PolicyDocument,
    locations: Locations,
    *,
    sources: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every lint finding of a loaded policy, located, minus suppressed ones.

    ``sources`` maps file names (as ``locations`` names them) to their text,
    for the ``# warrantykit: ignore WKnnn`` comments; files not given are read
    from disk.
    """
    own_file = locations.default_file

    def own(path: Path) -> bool:
        origin = locations.locate(path, key=True)
        return origin is None or origin.file == own_file

    texts = _Sources(sources)
    out: list[Problem] = []
    for path, code, message in _Linter(document, own).run():
        problem = locations.problem(path, f"{CODES[code]}: {message}", code=code, key=True)
        lines = {(problem.file, problem.line)}
        for k in range(len(path), 0, -1):
            # the line of each enclosing entry: a mapping key's line, a list item's first line
            # (a block mapping's own position is its first key's, so values are not used)
            prefix = path[:k]
            table = locations.keys if isinstance(prefix[-1], str) else locations.values
            origin = table.get(prefix)
            if origin is not None:
                lines.add((origin.file, origin.line))
        if any(code in _ignored(texts.line(file, line)) for file, line in lines):
            continue
        out.append(problem)
    out.sort(key=lambda p: (p.file or "", p.line or 0, p.column or 0, p.code))
    return out
