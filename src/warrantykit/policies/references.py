"""Cross-reference checks on a validated policy document.

Pydantic validates each field on its own; this module checks what needs the
whole document: ids are unique, every named calendar, season, term, warranty,
severity, channel, region and metric exists, conditions only name facts the
fact models have, and remedy rules that can both match declare a precedence.

:func:`check_references` returns ``(path, message, code)`` triples; the loader
turns them into located problems. It also checks what is left of a document
whose invalid rules the loader set aside: ``known`` then names what those rules
defined (so that referring to them is not an error), and ``where`` maps paths
back to the document as written.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from warrantykit.facts import Asset, Claim, Ticket
from warrantykit.policies.conditions import Condition, leaf_values, walk
from warrantykit.policies.durations import Unit
from warrantykit.policies.lint import day_bounds, describe_claim, example_claim
from warrantykit.policies.models import (
    Length,
    LoanerRemedy,
    PolicyDocument,
    PurchaseWindowRemedy,
    RollForward,
)
from warrantykit.policies.yamlsafe import Path

__all__ = ["IMPLICIT_CALENDARS", "check_references", "fact_path_exists", "remedies_may_overlap"]

IMPLICIT_CALENDARS = frozenset({"7x24"})
"""Calendar names every policy has without declaring them (always open, policy zone)."""

TICKET_EVENTS = frozenset(
    {
        "opened",
        "responded",
        "feedback",
        "solution",
        "arrived",
        "resolved",
        "parts_replaced",
        "report_delivered",
        "loaner_provided",
    }
)

Found = tuple[Path, str, str]

_ROOTS: dict[str, type[BaseModel]] = {"claim": Claim, "asset": Asset, "ticket": Ticket}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    stack = [annotation]
    out: list[type[BaseModel]] = []
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            out.append(item)
            continue
        stack.extend(typing.get_args(item))
    return out


def _is_open_mapping(annotation: Any) -> bool:
    stack = [annotation]
    while stack:
        item = stack.pop()
        if typing.get_origin(item) is dict or item is dict:
            return True
        stack.extend(typing.get_args(item))
    return False


def fact_path_exists(path: str, roots: Iterable[str]) -> str | None:
    """None if ``path`` names a fact; otherwise the reason it does not."""
    parts = path.split(".")
    if parts[0] not in roots:
        return f"conditions here read {' or '.join(f'{r}.*' for r in roots)} facts, not '{parts[0]}'"
    model: type[BaseModel] = _ROOTS[parts[0]]
    for i, name in enumerate(parts[1:], start=1):
        info = model.model_fields.get(name)
        if info is None:
            import difflib

            close = difflib.get_close_matches(name, list(model.model_fields), n=1)
            hint = f" (did you mean '{'.'.join(parts[:i] + [close[0]])}'?)" if close else ""
            return f"no fact '{'.'.join(parts[: i + 1])}'{hint}"
        if _is_open_mapping(info.annotation):
            return None  # attributes, meters, prices: any key below
        nested = _models_in(info.annotation)
        if i == len(parts) - 1:
            return None
        if len(nested) != 1:
            return f"'{'.'.join(parts[: i + 1])}' has no fields below it"
        model = nested[0]
    return None


def _lengths(length: Length, path: Path) -> Iterator[tuple[Length, Path]]:
    yield length, path
    for name in ("first_of", "last_of"):
        for i, child in enumerate(getattr(length, name) or ()):
            yield from _lengths(child, (*path, name, i))


def _leaves(cond: Condition | None) -> list[Condition]:
    """Leaves that must all hold (top-level conjunction), for disjointness tests."""
    if cond is None:
        return []
    if cond.fact is not None:
        return [cond]
    if cond.all_ is not None:
        out: list[Condition] = []
        for child in cond.all_:
            out.extend(_leaves(child))
        return out
    return []


def _disjoint_leaves(a: Condition, b: Condition) -> bool:
    if a.fact != b.fact:
        return False
    va, vb = leaf_values(a), leaf_values(b)
    if va is not None and vb is not None:
        return not (va & vb)
    if a.operator == "exists" and b.operator == "exists":
        return a.exists != b.exists
    for x, y in ((a, b), (b, a)):
        vx = leaf_values(x)
        if vx is not None and y.operator == "not_in" and vx <= set(y.not_in or ()):
            return True
        if vx is not None and y.operator == "ne" and vx == {y.ne}:
            return True
    return False


def remedies_may_overlap(a: Any, b: Any) -> bool:
    """Conservative: False only when the two remedy rules can never both match."""
    for x in _leaves(a.when):
        for y in _leaves(b.when):
            if _disjoint_leaves(x, y):
                return False
    if isinstance(a, PurchaseWindowRemedy) and isinstance(b, PurchaseWindowRemedy):
        if a.window.anchor == b.window.anchor:
            ra = (day_bounds(a.window.after), day_bounds(a.window.within))
            rb = (day_bounds(b.window.after), day_bounds(b.window.within))
            if None not in ra and None not in rb:
                (a_lo, _), (_, a_hi) = ra[0], ra[1]  # type: ignore[misc]
                (b_lo, _), (_, b_hi) = rb[0], rb[1]  # type: ignore[misc]
                # day k matches a window when after_days < k <= within_days
                if a_hi <= b_lo or b_hi <= a_lo:
                    return False
    if a.terms is not None and b.terms is not None and not set(a.terms) & set(b.terms):
        return True  # different terms may still run at the same time
    return True


def _overlap_example(a: Any, b: Any) -> str:
    """``; e.g. both match the claim {...}`` (lint WK101), or nothing."""
    claim = example_claim(a, b)
    return f"; e.g. both match the claim {describe_claim(claim)}" if claim is not None else ""


class _Checker:
    def __init__(
        self,
        doc: PolicyDocument,
        known: Mapping[str, Iterable[str]],
        where: Callable[[Path], Path],
    ) -> None:
        self.doc = doc
        self.found: list[Found] = []
        self.known = known
        self.where = where
        self.calendars = set(doc.calendars) | IMPLICIT_CALENDARS | self.also("calendar")
        self.seasons = set(doc.seasons) | self.also("season")
        self.term_ids = {t.id for t in doc.terms} | self.also("term")

    def also(self, kind: str) -> set[str]:
        """Names of ``kind`` defined by rules left out of the document."""
        return set(self.known.get(kind, ()))

    def add(self, path: Path, message: str, code: str) -> None:
        self.found.append((self.where(path), message, code))

    def name(self, kind: str, value: str | None, known: set[str], path: Path, code: str) -> None:
        if value is None or value in known:
            return
        import difflib

        close = difflib.get_close_matches(value, sorted(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        listed = ", ".join(sorted(known)) or "none defined"
        self.add(path, f"unknown {kind} '{value}'{hint}; known: {listed}", code)

    def run(self) -> list[Found]:
        self.unique_ids()
        self.terms()
        self.rolls()
        self.rules()
        self.remedy_precedence()
        self.sla()
        self.schedule()
        return self.found

    def unique_ids(self) -> None:
        seen: dict[str, Path] = {}
        for section in ("warranties", "terms", "exclusions", "remedies", "schedule"):
            for i, rule in enumerate(getattr(self.doc, section)):
                path = (section, i, "id")
                if rule.id in seen:
                    first = ".".join(str(p) for p in self.where(seen[rule.id])[:2])
                    self.add(path, f"id '{rule.id}' is already used by {first}", "duplicate-id")
                else:
                    seen[rule.id] = path
        if self.doc.sla:
            for i, metric in enumerate(self.doc.sla.metrics):
                mpath: Path = ("sla", "metrics", i, "id")
                if metric.id in seen:
                    self.add(mpath, f"id '{metric.id}' is already used", "duplicate-id")
                seen[metric.id] = mpath

    def roll(self, roll: RollForward | None, path: Path) -> None:
        if roll is not None:
            self.name("calendar", roll.calendar, self.calendars, (*path, "calendar"), "unknown-calendar")

    def rolls(self) -> None:
        self.roll(self.doc.counting.roll_forward, ("counting", "roll_forward"))

    def terms(self) -> None:
        warranties = {w.id for w in self.doc.warranties} | self.also("warranty")
        if self.doc.warranty_choice == "customer_choice" and len(warranties) < 2:
            self.add(
                ("warranty_choice",),
                "customer_choice needs at least two warranties to choose between",
                "choice-without-alternatives",
            )
        for i, term in enumerate(self.doc.terms):
            base: Path = ("terms", i)
            if term.warranty is not None:
                self.name("warranty", term.warranty, warranties, (*base, "warranty"), "unknown-warranty")
            for length, lpath in _lengths(term.length, (*base, "length")):
                if length.season is not None:
                    self.name("season", length.season, self.seasons, (*lpath, "season"), "unknown-season")
                if length.fact is not None:
                    self.fact(length.fact, ("claim", "asset"), (*lpath, "fact"))
            if term.starts_after is not None:
                if term.starts_after == term.id:
                    self.add((*base, "starts_after"), "a term cannot start after itself", "cycle")
                else:
                    self.name("term", term.starts_after, self.term_ids, (*base, "starts_after"), "unknown-term")
            self.roll(term.counting.roll_forward, (*base, "counting", "roll_forward"))
            if term.covers.when is not None:
                self.condition(term.covers.when, ("claim", "asset"), (*base, "covers", "when"))
        # starts_after cycles
        after = {t.id: t.starts_after for t in self.doc.terms}
        for i, term in enumerate(self.doc.terms):
            seen = {term.id}
            nxt = after.get(term.id)
            while nxt is not None and nxt in after:
                if nxt in seen:
                    self.add(("terms", i, "starts_after"), f"starts_after cycle through '{nxt}'", "cycle")
                    break
                seen.add(nxt)
                nxt = after[nxt]

    def fact(self, path_text: str, roots: tuple[str, ...], path: Path) -> None:
        reason = fact_path_exists(path_text, roots)
        if reason is not None:
            self.add(path, reason, "unknown-fact")

    def condition(self, cond: Condition, roots: tuple[str, ...], path: Path) -> None:
        codes = set(self.doc.cause_codes) if self.doc.cause_codes is not None else None
        for node, npath in walk(cond, path):
            if node.fact is None:
                continue
            self.fact(node.fact, roots, (*npath, "fact"))
            if codes is not None and node.fact == "claim.cause_codes":
                operand = node.operand()
                listed = isinstance(operand, tuple)
                values = operand if listed else (operand,)
                for k, value in enumerate(values):
                    if isinstance(value, str) and value not in codes:
                        import difflib

                        close = difflib.get_close_matches(value, sorted(codes), n=1)
                        hint = f" (did you mean '{close[0]}'?)" if close else ""
                        self.add(
                            (*npath, node.operator, k) if listed else (*npath, node.operator),
                            f"cause code '{value}' is not in the policy's cause_codes{hint}",
                            "unknown-cause-code",
                        )

    def rules(self) -> None:
        for i, exc in enumerate(self.doc.exclusions):
            self.condition(exc.when, ("claim", "asset"), ("exclusions", i, "when"))
            for j, tid in enumerate(exc.terms or ()):
                self.name("term", tid, self.term_ids, ("exclusions", i, "terms", j), "unknown-term")
        for i, rem in enumerate(self.doc.remedies):
            if rem.when is not None:
                self.condition(rem.when, ("claim", "asset"), ("remedies", i, "when"))
            for j, tid in enumerate(rem.terms or ()):
                self.name("term", tid, self.term_ids, ("remedies", i, "terms", j), "unknown-term")
            if isinstance(rem, LoanerRemedy):
                self.name("calendar", rem.calendar, self.calendars, ("remedies", i, "calendar"), "unknown-calendar")

    def remedy_precedence(self) -> None:
        rules = [(i, r) for i, r in enumerate(self.doc.remedies) if not isinstance(r, LoanerRemedy)]
        for x in range(len(rules)):
            for y in range(x + 1, len(rules)):
                i, a = rules[x]
                j, b = rules[y]
                if a.precedence is not None and b.precedence is not None and a.precedence != b.precedence:
                    continue
                if not remedies_may_overlap(a, b):
                    continue
                example = _overlap_example(a, b)
                if a.precedence is None or b.precedence is None:
                    self.add(
                        ("remedies", j, "precedence"),
                        f"remedy rules '{a.id}' and '{b.id}' can both match and have no declared "
                        f"precedence; give each a different 'precedence' (higher wins){example}",
                        "ambiguous-precedence",
                    )
                else:
                    self.add(
                        ("remedies", j, "precedence"),
                        f"remedy rules '{a.id}' and '{b.id}' can both match and share precedence "
                        f"{a.precedence}; make them different{example}",
                        "ambiguous-precedence",
                    )

    def sla(self) -> None:
        sla = self.doc.sla
        if sla is None:
            return
        levels = {s.id for s in sla.severities} | self.also("severity")
        channels = set(sla.channels)
        regions = set(sla.regions)
        metric_ids = {m.id for m in sla.metrics} | self.also("metric")
        for i, rule in enumerate(sla.severity_rules):
            self.name("severity", rule.level, levels, ("sla", "severity_rules", i, "level"), "unknown-severity")
            self.condition(rule.when, ("ticket",), ("sla", "severity_rules", i, "when"))
        self.name("severity", sla.default_severity, levels, ("sla", "default_severity"), "unknown-severity")
        for i, step in enumerate(sla.escalation):
            self.name("channel", step.channel, channels, ("sla", "escalation", i, "channel"), "unknown-channel")
            self.name("calendar", step.calendar, self.calendars, ("sla", "escalation", i, "calendar"), "unknown-calendar")
        for i, reason in enumerate(sla.pause_reasons):
            if reason.stops != "all":
                for j, mid in enumerate(reason.stops):
                    self.name("metric", mid, metric_ids, ("sla", "pause_reasons", i, "stops", j), "unknown-metric")
        for i, metric in enumerate(sla.metrics):
            base: Path = ("sla", "metrics", i)
            self.name("calendar", metric.calendar, self.calendars, (*base, "calendar"), "unknown-calendar")
            start = metric.starts
            if start.startswith("escalated:"):
                self.name("channel", start.split(":", 1)[1], channels, (*base, "starts"), "unknown-channel")
            else:
                self.name("event", start, set(TICKET_EVENTS), (*base, "starts"), "unknown-event")
            self.name("event", metric.stops, set(TICKET_EVENTS) - {"opened"}, (*base, "stops"), "unknown-event")
            for k, end in enumerate(metric.ends_on):
                epath = (*base, "ends_on", k)
                if end.startswith("escalated:"):
                    self.name("channel", end.split(":", 1)[1], channels, epath, "unknown-channel")
                else:
                    self.name("event", end, set(TICKET_EVENTS) - {"opened"}, epath, "unknown-event")
            for j, target in enumerate(metric.targets):
                tpath = (*base, "targets", j)
                for k, lvl in enumerate(target.severity or ()):
                    self.name("severity", lvl, levels, (*tpath, "severity", k), "unknown-severity")
                for k, ch in enumerate(target.channel or ()):
                    self.name("channel", ch, channels, (*tpath, "channel", k), "unknown-channel")
                for k, rg in enumerate(target.region or ()):
                    self.name("region", rg, regions, (*tpath, "region", k), "unknown-region")
                if target.within.unit in (Unit.MONTHS, Unit.YEARS):
                    self.add((*tpath, "within"), "an SLA target is counted in minutes, hours, days or working days", "bad-unit")
                elif target.within.unit is not Unit.WORKING_DAYS and target.within.as_timedelta() <= timedelta(0) and target.within.amount < 0:
                    self.add((*tpath, "within"), "negative target", "negative")

    def schedule(self) -> None:
        for i, rule in enumerate(self.doc.schedule):
            base: Path = ("schedule", i)
            if rule.covers is not None and rule.covers.when is not None:
                # a schedule has no claim: its selector reads asset facts only
                self.condition(rule.covers.when, ("asset",), (*base, "covers", "when"))
            self.name("season", rule.season, self.seasons, (*base, "season"), "unknown-season")
            self.name("calendar", rule.calendar, self.calendars, (*base, "calendar"), "unknown-calendar")
            self.name("term", rule.until_term, self.term_ids, (*base, "until_term"), "unknown-term")


def check_references(
    doc: PolicyDocument,
    *,
    known: Mapping[str, Iterable[str]] | None = None,
    where: Callable[[Path], Path] | None = None,
) -> list[Found]:
    """Every cross-reference problem in ``doc`` as ``(path, message, code)``.

    ``known`` adds names by kind (``"term"``, ``"warranty"``, ``"calendar"``,
    ``"season"``, ``"severity"``, ``"metric"``) that exist although ``doc`` lacks
    them; ``where`` maps each reported path (default: unchanged).
    """
    return _Checker(doc, known or {}, where or (lambda path: path)).run()
