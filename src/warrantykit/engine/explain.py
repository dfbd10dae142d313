"""Plain-text rendering of a :class:`~warrantykit.engine.decision.ClaimDecision` for people."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def _window(t: TermWindow) -> str:
    if t.start is None:
        span = "start unknown"
    elif t.lifetime:
        span = f"{t.start} - (lifetime)"
    elif t.end is None:
        span = f"{t.start} - (by meter)" if not t.missing else f"{t.start} - (end unknown)"
    else:
        span = f"{t.start} - {t.end}"
    extra = []
    if t.extension_days:
        extra.append(f"+{t.extension_days} days from {t.original_end}")
    if t.rolled_from is not None:
        extra.append(f"rolled from {t.rolled_from}")
    for m in t.meters:
        reading = "?" if m.reading is None else str(m.reading)
        extra.append(f"{m.meter} {reading}/{m.limit}")
    inside = _INSIDE[t.inside]
    if t.applies is None:
        inside += "; applies: unknown"
    if not t.in_effect:
        inside += "; outside the policy's effective window"
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"  - {t.id} [{t.clause}] {t.kind}, {t.length} from {t.anchor}: {span}{tail} -> {inside}"


def _cost(c: CostEntry) -> str:
    what = c.basis.replace("_", " ")
    if c.percent is not None:
        what += f" {c.percent}%"
    if c.cap is not None:
        what += f", cap {c.cap.amount} {c.cap.currency}"
    amount = f" {c.amount.amount} {c.amount.currency}" if c.amount is not None else ""
    note = f"; {c.note}" if c.note else ""
    return f"  - {c.line}: {c.payer} pays{amount} ({what}) [{c.clause}] <- {c.rule}{note}"


def _outcome_lines(o: Outcome | ClaimDecision, indent: str = "") -> list[str]:
    lines = [f"{indent}Status: {_STATUS_WORDS.get(o.status, o.status)}"]
    if o.warranty:
        lines.append(f"{indent}Warranty: {o.warranty}")
    if o.term:
        lines.append(f"{indent}Deciding term: {o.term}")
    if o.missing:
        lines.append(f"{indent}Missing facts: {', '.join(o.missing)}")
    if o.remedy is not None:
        r = o.remedy
        head = f"{indent}Remedy: {r.option} (options: {', '.join(r.options)}) [{r.clause}] <- {r.rule}"
        lines.append(head)
        if r.replacement:
            lines.append(f"{indent}  replacement: {r.replacement.replace('_', ' ')}")
        if r.window_end:
            lines.append(f"{indent}  window ends: {r.window_end}")
        if r.borne_by:
            lines.append(f"{indent}  borne by: {r.borne_by}")
        if r.compensation:
            lines.append(f"{indent}  losses are compensated")
        if r.depreciation is not None:
            d = r.depreciation
            lines.append(
                f"{indent}  depreciation: {d.amount} ({d.days} days x {d.daily_rate_percent}%/day); "
                f"refund {d.refund}"
            )
        if r.service_may_be_refused:
            lines.append(f"{indent}  the vendor may refuse service")
    return lines


def render(decision: ClaimDecision) -> str:
    """The decision as text: header, status, terms, exclusions, remedy, loaners, costs, reasons."""
    claim = decision.claim
    p = decision.policy
    out = [
        f"Claim {claim.id or '(no id)'} under policy {p.id} {p.version} ({p.content_hash[:19]}...)",
        f"As of {decision.as_of}; failure on {claim.failure_date or 'unknown date'}"
        + (f"; component {claim.component}" if claim.component else ""),
        "",
    ]
    out += _outcome_lines(decision)
    if decision.terms:
        out += ["", "Terms:"]
        out += [_window(t) for t in decision.terms]
    if decision.exclusions:
        out += ["", "Exclusions matched:"]
        for e in decision.exclusions:
            still = f"; still provided: {', '.join(e.still_provided)}" if e.still_provided else ""
            out.append(f"  - {e.id} [{e.clause}] -> {e.outcome.replace('_', ' ')}{still}")
    if decision.loaners:
        out += ["", "Loaner obligations:"]
        for x in decision.loaners:
            due = x.due.isoformat() if x.due else "unknown"
            out.append(
                f"  - {x.provides.replace('_', ' ')} [{x.clause}] due {due} on {x.calendar}: "
                f"{x.state}" + (" (overdue)" if x.overdue else "")
            )
    if decision.costs:
        out += ["", "Costs:"]
        out += [_cost(c) for c in decision.costs]
        total = decision.customer_total()
        if total is not None:
            out.append(f"  customer total: {total.amount} {total.currency}")
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
