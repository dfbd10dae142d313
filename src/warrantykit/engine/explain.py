"""Plain-text rendering of a :class:`~warrantykit.engine.decision.ClaimDecision` for people.

Rendering is on the hot path of a service that answers with the explanation, so
the text is built with f-strings over plain strings: dates and instants come
from the cached writers of :mod:`~warrantykit.engine.decision` (``format(day,
"")`` costs twice an ``isoformat()``) and a decimal is written with ``!s``
(``str()`` is four times cheaper than ``format()``, and the same text).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from warrantykit.engine.decision import day_text, instant_text

if TYPE_CHECKING:
    from warrantykit.engine.decision import ClaimDecision, CostEntry, Outcome, TermWindow

__all__ = ["render"]

_STATUS_WORDS = {
    "covered": "COVERED",
    "excluded": "EXCLUDED (not covered; paid service)",
    "expired": "EXPIRED (out of warranty)",
    "not_applicable": "NOT APPLICABLE",
    "undetermined": "UNDETERMINED (facts missing)",
}


_INSIDE = {True: "failure inside", False: "failure outside", None: "unknown"}


def _day(value: Any) -> str:
    """``str(value)``: a plain date's text from the shared cache, anything else as is."""
    return day_text(value) if value.__class__ is date else str(value)


def _window(t: TermWindow) -> str:
    start = t.start
    if start is None:
        span = "start unknown"
    else:
        first = _day(start)
        if t.lifetime:
            span = f"{first} - (lifetime)"
        elif t.end is None:
            span = f"{first} - (by meter)" if not t.missing else f"{first} - (end unknown)"
        else:
            span = f"{first} - {_day(t.end)}"
    inside = _INSIDE[t.inside]
    if t.applies is None:
        inside += "; applies: unknown"
    if not t.in_effect:
        inside += "; outside the policy's effective window"
    head = f"  - {t.id} [{t.clause}] {t.kind}, {t.length} from {t.anchor}: {span}"
    if not t.extension_days and t.rolled_from is None and not t.meters:
        return f"{head} -> {inside}"
    extra = []
    if t.extension_days:
        extra.append(f"+{t.extension_days} days from {_day(t.original_end)}")
    if t.rolled_from is not None:
        extra.append(f"rolled from {_day(t.rolled_from)}")
    for m in t.meters:
        reading = "?" if m.reading is None else str(m.reading)
        extra.append(f"{m.meter} {reading}/{m.limit!s}")
    return f"{head} ({'; '.join(extra)}) -> {inside}"


def _cost(c: CostEntry) -> str:
    what = c.basis.replace("_", " ")
    if c.percent is not None:
        what += f" {c.percent!s}%"
    cap = c.cap
    if cap is not None:
        what += f", cap {cap.amount!s} {cap.currency}"
    amount = c.amount
    paid = "" if amount is None else f" {amount.amount!s} {amount.currency}"
    note = f"; {c.note}" if c.note else ""
    return f"  - {c.line}: {c.payer} pays{paid} ({what}) [{c.clause}] <- {c.rule}{note}"


def _outcome_lines(o: Outcome | ClaimDecision, indent: str = "") -> list[str]:
    lines = [f"{indent}Status: {_STATUS_WORDS.get(o.status, o.status)}"]
    if o.warranty:
        lines.append(f"{indent}Warranty: {o.warranty}")
    if o.term:
        lines.append(f"{indent}Deciding term: {o.term}")
    if o.missing:
        lines.append(f"{indent}Missing facts: {', '.join(o.missing)}")
    r = o.remedy
    if r is not None:
        options = ", ".join(r.options)
        lines.append(f"{indent}Remedy: {r.option} (options: {options}) [{r.clause}] <- {r.rule}")
        if r.replacement:
            lines.append(f"{indent}  replacement: {r.replacement.replace('_', ' ')}")
        if r.window_end:
            lines.append(f"{indent}  window ends: {_day(r.window_end)}")
        if r.borne_by:
            lines.append(f"{indent}  borne by: {r.borne_by}")
        if r.compensation:
            lines.append(f"{indent}  losses are compensated")
        d = r.depreciation
        if d is not None:
            lines.append(
                f"{indent}  depreciation: {d.amount!s} ({d.days} days x {d.daily_rate_percent!s}%/day); "
                f"refund {d.refund!s}"
            )
        if r.service_may_be_refused:
            lines.append(f"{indent}  the vendor may refuse service")
    return lines


def render(decision: ClaimDecision) -> str:
    """The decision as text: header, status, terms, exclusions, remedy, loaners, costs, reasons."""
    claim = decision.claim
    p = decision.policy
    failure = claim.failure_date
    component = claim.component
    out = [
        f"Claim {claim.id or '(no id)'} under policy {p.id} {p.version} ({p.content_hash[:19]}...)",
        f"As of {_day(decision.as_of)}; failure on {_day(failure) if failure else 'unknown date'}"
        + (f"; component {component}" if component else ""),
        "",
    ]
    out += _outcome_lines(decision)
    terms = decision.terms
    if terms:
        out += ["", "Terms:"]
        out += [_window(t) for t in terms]
    if decision.exclusions:
        out += ["", "Exclusions matched:"]
        for e in decision.exclusions:
            still = f"; still provided: {', '.join(e.still_provided)}" if e.still_provided else ""
            out.append(f"  - {e.id} [{e.clause}] -> {e.outcome.replace('_', ' ')}{still}")
    if decision.loaners:
        out += ["", "Loaner obligations:"]
        for x in decision.loaners:
            due = instant_text(x.due) if x.due else "unknown"
            out.append(
                f"  - {x.provides.replace('_', ' ')} [{x.clause}] due {due} on {x.calendar}: "
                f"{x.state}" + (" (overdue)" if x.overdue else "")
            )
    costs = decision.costs
    if costs:
        out += ["", "Costs:"]
        out += [_cost(c) for c in costs]
        total = decision.customer_total()
        if total is not None:
            out.append(f"  customer total: {total.amount!s} {total.currency}")
    for alt in decision.alternatives:
        out += ["", f"Alternative under warranty '{alt.warranty}':"]
        out += _outcome_lines(alt, "  ")
        out += ["  " + _cost(c).strip() for c in alt.costs]
    if decision.warnings:
        out += ["", "Warnings:"]
        out += [f"  - {w}" for w in decision.warnings]
    reasons = decision.reasons
    if reasons:
        out += ["", "Why:"]
        out += [
            f"  {i}. [{r.clause}] {r.text}  ({r.rule} @ {r.source})"
            for i, r in enumerate(reasons, 1)
        ]
    return "\n".join(out)
