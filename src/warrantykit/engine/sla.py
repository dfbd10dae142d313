"""SLA clocks on service tickets: severity, deadlines, pauses, met / breached / at risk.

:func:`evaluate_ticket` (``Policy.evaluate_ticket``) is a pure function of the
policy, the ticket with its event log and ``as_of``: nothing reads a clock.
``docs/sla.md`` documents every rule below with examples and the JSON shape.

Severity (S1)
    ``ticket.severity`` when given; else the most severe level (severities
    are listed most severe first) whose ``severity_rules`` condition holds on
    the ticket facts (three-valued, :mod:`warrantykit.engine.conditions`);
    else ``default_severity``; else the severity is *undetermined* and names
    the missing facts.  A rule left undecided by a missing fact counts as not
    matching, with a warning naming the fact.  ``severity_changed`` events
    change it: ``on_severity_change: from_open`` (default) applies the
    severity in force when a clock stops (or at ``as_of`` while it runs) to
    the whole clock, counted from its own start; ``from_change`` restarts a
    running clock at the change with the new target (a breach that happened
    before the change stands).

Targets
    The most specific target matching (severity, channel, region) wins: a
    target listing a value beats one leaving that dimension open.  The channel
    is ``ticket.channel``, except for a clock started by ``escalated:<c>`` whose
    channel is ``c``.  Two equally specific matches use the first listed and
    warn (a check-time problem).  A target naming a dimension the ticket
    lacks is undecided (the metric is ``undetermined``, naming the fact);
    no matching target at all: the metric does not apply.

Clocks
    Start: ``opened`` = ``ticket.opened_at``; ``escalated:<c>`` = the first
    escalation to channel ``c`` (S14; *pending* until it happens); another
    event type = its first occurrence.  Stop: the first ``stops`` event
    logged after the start.  End: the first ``ends_on`` event after the start
    and before the stop ends the clock without a verdict (``ended``) unless
    the deadline had already passed.  ``reopened`` starts a new cycle of every
    clock stopped by ``resolved`` at the reopen instant with the full target;
    earlier cycles are kept in ``cycles``.

Business time (S12)
    Minutes, hours, days and weeks are business time on the metric's calendar
    (:meth:`BusinessCalendar.add`; ``days`` are 24-hour units of business
    time).  ``N working days`` count working days strictly after the start's
    local day (CONV-08) and end at the close of business of the N-th working
    day.  Due = ``add(start, target + paused business time)``; pauses (S13)
    are the ``paused``/``resumed`` spans whose reason stops the metric,
    counted only when they begin before the clock has used its target.

Verdicts
    ``met`` <=> stop <= due; ``breached`` when the stop (or ``as_of``) is
    later than due (breach instant = due); ``running`` / ``paused`` before;
    ``pending`` before the start event.  Obligation metrics (R7 loaner) report
    ``not_due`` (stopped in time), ``due`` (the obligation fell due) and
    ``fulfilled`` (its delivery event, e.g. ``loaner_provided``, happened).

Escalation (S14)
    ``decision.escalations`` reports each step of ``sla.escalation``: the ticket
    starts at the step of ``ticket.channel`` (else the first) and enters a later
    step at the first ``escalated`` event to its channel.  A step's ``after``
    timer counts on the step's ``calendar`` from the moment the ticket entered
    the step before it; states ``start``, ``skipped``, ``pending``, ``overdue``,
    ``escalated``, ``late``, ``not_needed`` (:data:`ESCALATION_STATES`).  Pauses
    stop metrics, not escalation timers.

Events later than ``as_of`` are validated but not used.
:meth:`TicketDecision.from_json` reads :meth:`TicketDecision.to_json` back.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, TypeVar
from zoneinfo import ZoneInfo

from warrantykit.engine.calendar import (
    _OFFSET_US,
    FIXED_OFFSET_TYPES,
    Ruler,
    from_utc_micros,
    offset_micros,
    utc_micros,
)
from warrantykit.engine.conditions import Unknown, condition_for
from warrantykit.engine.decision import PolicyRef
from warrantykit.engine.reasons import Reason
from warrantykit.errors import EvaluationError, FactsError, Problem
from warrantykit.facts import Ticket, TicketEventType, parse_facts
from warrantykit.policies.durations import Unit

if TYPE_CHECKING:
    from warrantykit.engine.calendar import BusinessCalendar, WorkingInterval
    from warrantykit.engine.compiled import Policy
    from warrantykit.policies.models import Metric, SlaSpec

__all__ = [
    "JSON_SCHEMA_ID",
    "METRIC_STATES",
    "TICKET_STATUSES",
    "ESCALATION_STATES",
    "AtRisk",
    "Cycle",
    "EscalationStatus",
    "MetricStatus",
    "NotApplicable",
    "PauseSpan",
    "SeverityDecision",
    "TicketDecision",
    "compile_sla",
    "evaluate_ticket",
]

JSON_SCHEMA_ID: Final = "warrantykit.ticket-decision/1"
"""Value of the ``schema`` key of :meth:`TicketDecision.to_json`; bumped on a breaking change."""

METRIC_STATES: Final = (
    "pending",
    "running",
    "paused",
    "met",
    "breached",
    "ended",
    "not_due",
    "due",
    "fulfilled",
    "undetermined",
)
"""Every value of :attr:`MetricStatus.state` (the last four: obligations and missing facts)."""

ESCALATION_STATES: Final = (
    "start",
    "skipped",
    "pending",
    "overdue",
    "escalated",
    "late",
    "not_needed",
)
"""Every value of :attr:`EscalationStatus.state` (``docs/sla.md``, S14)."""

TICKET_STATUSES: Final = ("breached", "obligation_due", "undetermined", "at_risk", "on_track")
"""Every value of :attr:`TicketDecision.status`, in order of precedence."""

FULFILLED_BY: Final[Mapping[str, str]] = {
    "loaner": "loaner_provided",
    "parts_replacement": "parts_replaced",
    "report": "report_delivered",
}
"""Event that fulfils an obligation metric of each kind."""

_ZERO: Final = timedelta(0)
_ONE_US: Final = timedelta(microseconds=1)
_MEMO_LIMIT: Final = 4096

_T = TypeVar("_T")
_object_new = object.__new__


def _make(cls: type[_T], values: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` from its field values.

    The hot path of :func:`evaluate_ticket` builds thousands of result objects per
    second; a frozen dataclass ``__init__`` sets each field through
    ``object.__setattr__`` (about 0.2 us a field).  Filling the instance dictionary
    in one call gives the same immutable object (``values`` must name every field).
    """
    obj = _object_new(cls)
    obj.__dict__.update(values)
    return obj


_PAUSED = TicketEventType.PAUSED
_RESUMED = TicketEventType.RESUMED
_ESCALATED = TicketEventType.ESCALATED
_SEVERITY_CHANGED = TicketEventType.SEVERITY_CHANGED
_REOPENED = TicketEventType.REOPENED
_RESOLVED = TicketEventType.RESOLVED
_CHECKED = frozenset(
    k.value for k in (_PAUSED, _RESUMED, _ESCALATED, _SEVERITY_CHANGED, _REOPENED)
)


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """A pause that stopped a clock (S13), clipped to the clock."""

    reason: str
    start: datetime
    end: datetime | None
    """``None``: still paused at ``as_of``."""
    event: int
    """Index of the ``paused`` event in ``ticket.events``."""
    business_time: timedelta
    """Business time of the span on the metric's calendar (up to ``as_of`` when open)."""
    counted: bool
    """The span began before the clock used its target, so it moved the deadline."""


@dataclass(frozen=True, slots=True)
class AtRisk:
    """An at-risk threshold of a metric (``at_risk_percent``)."""

    percent: Decimal
    at: datetime | None
    """When the clock reaches the threshold (as if no further pause happens)."""
    reached: bool


@dataclass(frozen=True, slots=True)
class Cycle:
    """An earlier cycle of a clock that a ``reopened`` event restarted."""

    start: datetime
    due: datetime | None
    stopped_at: datetime | None
    state: str
    breached_at: datetime | None


@dataclass(frozen=True, slots=True)
class MetricStatus:
    """One SLA metric of the ticket at ``as_of``."""

    id: str
    kind: str
    clause: str
    text: str | None
    calendar: str
    obligation: bool
    state: str
    """One of :data:`METRIC_STATES`."""
    starts: str
    """The start event as written (``opened``, ``escalated:on_site``, ``resolved``)."""
    severity: str | None
    """The severity whose target applies."""
    target: str | None
    """The target as written (``10 minutes``, ``3 working days``)."""
    target_clause: str | None
    target_time: timedelta | None
    """The target as business time on the calendar (working days: up to the due close)."""
    start: datetime | None
    start_event: int | None
    """Index of the start event in ``ticket.events`` (``None``: ``opened_at``)."""
    restarted_by: str | None
    """``reopened`` or ``severity_changed`` when the current clock was restarted."""
    due: datetime | None
    stopped_at: datetime | None
    stop_event: int | None
    ended_at: datetime | None
    breached_at: datetime | None
    fulfilled_at: datetime | None
    elapsed: timedelta | None
    """Business time used at the stop / end, or at ``as_of`` (pauses excluded)."""
    remaining: timedelta | None
    paused: timedelta
    pauses: tuple[PauseSpan, ...]
    percent_used: float | None
    at_risk: tuple[AtRisk, ...]
    cycles: tuple[Cycle, ...]
    missing: tuple[str, ...]
    warnings: tuple[str, ...]
    source: str
    zone: ZoneInfo = field(repr=False, compare=False)

    @property
    def at_risk_now(self) -> tuple[Decimal, ...]:
        """Thresholds reached by a clock that is still running or paused."""
        if self.state not in ("running", "paused"):
            return ()
        return tuple(a.percent for a in self.at_risk if a.reached)

    def to_json(self) -> dict[str, Any]:
        z = self.zone
        return {
            "id": self.id,
            "kind": self.kind,
            "clause": self.clause,
            "text": self.text,
            "calendar": self.calendar,
            "timezone": self.zone.key,
            "obligation": self.obligation,
            "state": self.state,
            "starts": self.starts,
            "severity": self.severity,
            "target": self.target,
            "target_clause": self.target_clause,
            "target_seconds": _secs(self.target_time),
            "start": _iso(self.start, z),
            "start_event": self.start_event,
            "restarted_by": self.restarted_by,
            "due": _iso(self.due, z),
            "stopped_at": _iso(self.stopped_at, z),
            "stop_event": self.stop_event,
            "ended_at": _iso(self.ended_at, z),
            "breached_at": _iso(self.breached_at, z),
            "fulfilled_at": _iso(self.fulfilled_at, z),
            "elapsed_seconds": _secs(self.elapsed),
            "remaining_seconds": _secs(self.remaining),
            "paused_seconds": _secs(self.paused),
            "percent_used": self.percent_used,
            "pauses": [
                {
                    "reason": p.reason,
                    "start": _iso(p.start, z),
                    "end": _iso(p.end, z),
                    "event": p.event,
                    "business_seconds": _secs(p.business_time),
                    "counted": p.counted,
                }
                for p in self.pauses
            ],
            "at_risk": [
                {"percent": str(a.percent), "at": _iso(a.at, z), "reached": a.reached}
                for a in self.at_risk
            ],
            "cycles": [
                {
                    "start": _iso(c.start, z),
                    "due": _iso(c.due, z),
                    "stopped_at": _iso(c.stopped_at, z),
                    "state": c.state,
                    "breached_at": _iso(c.breached_at, z),
                }
                for c in self.cycles
            ],
            "missing": list(self.missing),
            "warnings": list(self.warnings),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A metric without a target for this ticket."""

    id: str
    clause: str
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "clause": self.clause, "why": self.why}


@dataclass(frozen=True, slots=True)
class SeverityDecision:
    """The ticket's severity and how it was found (S1)."""

    level: str | None
    """Severity in force at ``as_of``; ``None`` when undetermined."""
    source: str
    """``given``, ``rule``, ``default``, ``changed`` or ``undetermined``."""
    initial: str | None
    """Severity at opening (before any ``severity_changed`` event)."""
    initial_source: str
    rule: int | None
    """Index of the matching ``severity_rules`` entry (source ``rule``)."""
    clause: str | None
    missing: tuple[str, ...]
    changes: tuple[tuple[int, datetime, str], ...]
    """``(event index, instant, new level)`` of the ``severity_changed`` events used."""

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "level": self.level,
            "source": self.source,
            "initial": self.initial,
            "initial_source": self.initial_source,
            "rule": self.rule,
            "clause": self.clause,
            "missing": list(self.missing),
            "changes": [
                {"event": i, "at": _iso(at, zone), "level": lvl} for i, at, lvl in self.changes
            ],
        }


@dataclass(frozen=True, slots=True)
class EscalationStatus:
    """One step of the policy's escalation path (S14) at ``as_of``."""

    level: int
    """Position of the step in ``sla.escalation`` (0 = the first step)."""
    channel: str
    clause: str
    text: str | None
    state: str
    """One of :data:`ESCALATION_STATES`."""
    previous: str | None
    """Channel of the step before (whose start starts this step's timer)."""
    after: str | None
    """The timer as written (``2 hours``); ``None``: escalated when decided, no timer."""
    calendar: str | None
    """Calendar the timer runs on (``None`` without a timer)."""
    start: datetime | None
    """When the ticket entered this step (``opened_at`` for the step it starts in, else
    the first ``escalated`` event to this channel)."""
    start_event: int | None
    """Index of that ``escalated`` event (``None``: ``opened_at`` or not yet)."""
    timer_start: datetime | None
    """When the previous step began: the timer counts from here."""
    due: datetime | None
    """``timer_start`` + ``after`` on ``calendar``."""
    resolved_at: datetime | None
    """The first ``resolved`` event after ``timer_start`` (when it made the step unneeded
    or came after the timer ran out)."""
    warnings: tuple[str, ...]
    source: str
    zone: ZoneInfo = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        z = self.zone
        return {
            "level": self.level,
            "channel": self.channel,
            "clause": self.clause,
            "text": self.text,
            "state": self.state,
            "previous": self.previous,
            "after": self.after,
            "calendar": self.calendar,
            "timezone": z.key,
            "start": _iso(self.start, z),
            "start_event": self.start_event,
            "timer_start": _iso(self.timer_start, z),
            "due": _iso(self.due, z),
            "resolved_at": _iso(self.resolved_at, z),
            "warnings": list(self.warnings),
            "source": self.source,
        }


@dataclass(frozen=True, eq=False)
class TicketDecision:
    """The SLA status of one ticket at ``as_of`` (see ``docs/sla.md``)."""

    policy: PolicyRef
    as_of: datetime
    ticket: Ticket
    status: str
    """One of :data:`TICKET_STATUSES`."""
    severity: SeverityDecision
    on_severity_change: str
    channel: str | None
    region: str | None
    metrics: tuple[MetricStatus, ...]
    not_applicable: tuple[NotApplicable, ...]
    warnings: tuple[str, ...]
    zone: ZoneInfo = field(repr=False)
    _reason_data: tuple[tuple[str, str, str, str], ...] = field(repr=False, default=())
    escalations: tuple[EscalationStatus, ...] = ()
    """Each step of the escalation path (S14), when the policy declares one."""

    def _key(self) -> tuple[object, ...]:
        return (
            self.policy,
            self.as_of,
            self.ticket,
            self.status,
            self.severity,
            self.on_severity_change,
            self.channel,
            self.region,
            self.metrics,
            self.not_applicable,
            self.warnings,
            self._reason_data,
            self.escalations,
        )

    def __eq__(self, other: object) -> bool:
        """Equal decisions: every field but the rendering zone (instants compare as instants)."""
        if not isinstance(other, TicketDecision):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.policy, self.as_of, self.status))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TicketDecision:
        """Rebuild a decision from :meth:`to_json` output (the ticket is re-validated):
        ``TicketDecision.from_json(d.to_json()) == d``.

        :raises FactsError: a malformed document; the problem's ``path`` is the JSON path
            (``metrics[1].due``) and its code ``malformed-decision`` (ticket facts: the
            ticket's own paths, ``ticket.events[0].at``).
        """
        return _decision_from_json(data)

    def metric(self, metric_id: str) -> MetricStatus:
        """The status of metric ``metric_id`` (``KeyError`` when it does not apply)."""
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise KeyError(metric_id)

    @cached_property
    def reasons(self) -> tuple[Reason, ...]:
        """Reason records citing the clauses that decided the severity and each clock."""
        out = [Reason(rule=r, clause=c, text=t, source=s) for r, c, t, s in self._reason_data]
        for m in self.metrics:
            out.append(
                Reason(
                    rule=m.id,
                    clause=m.target_clause or m.clause,
                    text=_metric_sentence(m),
                    source=m.source,
                )
            )
        for e in self.escalations:
            out.append(
                Reason(
                    rule=f"sla.escalation[{e.level}]",
                    clause=e.clause,
                    text=_escalation_sentence(e),
                    source=e.source,
                )
            )
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape ``warrantykit.ticket-decision/1`` (``docs/sla.md``)."""
        z = self.zone
        counts: dict[str, int] = {}
        for m in self.metrics:
            counts[m.state] = counts.get(m.state, 0) + 1
        return {
            "schema": JSON_SCHEMA_ID,
            "policy": self.policy.to_json(),
            "as_of": self.as_of.isoformat(),
            "ticket": self.ticket.model_dump(mode="json", exclude_defaults=True),
            "status": self.status,
            "severity": self.severity.to_json(z),
            "on_severity_change": self.on_severity_change,
            "channel": self.channel,
            "region": self.region,
            "timezone": z.key,
            "counts": dict(sorted(counts.items())),
            "metrics": [m.to_json() for m in self.metrics],
            "not_applicable": [n.to_json() for n in self.not_applicable],
            "escalations": [e.to_json() for e in self.escalations],
            "warnings": list(self.warnings),
            "reasons": [r.to_json() for r in self.reasons],
        }

    def explain(self) -> str:
        """Plain text for a person: status, severity, each clock, warnings, reasons."""
        z = self.zone
        who = f"Ticket {self.ticket.id}" if self.ticket.id else "Ticket"
        lines = [
            f"{who} under {self.policy.id} {self.policy.version} as of {_iso(self.as_of, z)}",
            f"Status: {self.status}",
        ]
        sev = self.severity
        if sev.level is None:
            missing = f" (missing: {', '.join(sev.missing)})" if sev.missing else ""
            lines.append(f"Severity: undetermined{missing}")
        else:
            how = sev.source + (f" [{sev.clause}]" if sev.clause else "")
            lines.append(
                f"Severity: {sev.level} ({how}; on severity change: {self.on_severity_change})"
            )
        lines.append(f"Channel: {self.channel or '-'}; region: {self.region or '-'}")
        lines.append("Metrics:")
        for m in self.metrics:
            lines.append(f"  {m.id} [{m.target_clause or m.clause}] {m.kind}: {m.state}")
            lines.append(f"    {_metric_sentence(m)}")
            for w in m.warnings:
                lines.append(f"    warning: {w}")
        if not self.metrics:
            lines.append("  (none)")
        for n in self.not_applicable:
            lines.append(f"Not applicable: {n.id} [{n.clause}] ({n.why})")
        if self.escalations:
            lines.append("Escalation:")
            for e in self.escalations:
                lines.append(f"  {e.level} {e.channel} [{e.clause}]: {e.state}")
                lines.append(f"    {_escalation_sentence(e)}")
                for w in e.warnings:
                    lines.append(f"    warning: {w}")
        for w in self.warnings:
            lines.append(f"Warning: {w}")
        lines.append("Reasons:")
        for r in self.reasons:
            lines.append(f"  {r}")
        return "\n".join(lines) + "\n"


def _iso(value: datetime | None, zone: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(zone).isoformat()


def _secs(value: timedelta | None) -> int | float | None:
    if value is None:
        return None
    us = value // _ONE_US
    if us % 1_000_000 == 0:
        return us // 1_000_000
    return us / 1_000_000


def _fmt_td(value: timedelta) -> str:
    us = value // _ONE_US
    sign = "-" if us < 0 else ""
    us = abs(us)
    minutes, rest = divmod(us, 60_000_000)
    hours, minutes = divmod(minutes, 60)
    seconds = rest / 1_000_000
    out = f"{hours}h{minutes:02d}m"
    if seconds:
        out += f"{seconds:02.0f}s"
    return sign + out


def _metric_sentence(m: MetricStatus) -> str:
    z = m.zone
    if m.state == "undetermined" and m.start is None:
        return f"undetermined: missing {', '.join(m.missing)}"
    if m.start is None:
        return f"{m.target or '?'} on {m.calendar}; waiting for {m.starts}"
    parts = [f"{m.target} on {m.calendar} from {m.starts} at {_iso(m.start, z)}"]
    if m.restarted_by:
        parts.append(f"(restarted by {m.restarted_by})")
    if m.due is not None:
        parts.append(f"due {_iso(m.due, z)}")
    if m.paused:
        parts.append(f"paused {_fmt_td(m.paused)}")
    if m.stopped_at is not None:
        parts.append(f"stopped {_iso(m.stopped_at, z)}")
    if m.ended_at is not None:
        parts.append(f"ended {_iso(m.ended_at, z)}")
    if m.breached_at is not None:
        parts.append(f"breached at {_iso(m.breached_at, z)}")
    if m.fulfilled_at is not None:
        parts.append(f"fulfilled {_iso(m.fulfilled_at, z)}")
    if m.elapsed is not None:
        used = f"used {_fmt_td(m.elapsed)}"
        if m.percent_used is not None:
            used += f" ({m.percent_used:.1f} %)"
        parts.append(used)
    if m.remaining is not None and m.state in ("running", "paused"):
        parts.append(f"remaining {_fmt_td(m.remaining)}")
    reached = m.at_risk_now
    if reached:
        parts.append("at risk (" + ", ".join(f"{p} %" for p in reached) + ")")
    if m.missing:
        parts.append(f"missing {', '.join(m.missing)}")
    return "; ".join(parts)


def _escalation_sentence(e: EscalationStatus) -> str:
    z = e.zone
    parts = [f"step {e.level} ({e.channel})"]
    if e.state == "start":
        parts.append(f"the ticket starts in this step at {_iso(e.start, z)}")
        return "; ".join(parts)
    if e.state == "skipped":
        parts.append("skipped: the ticket started at, or was escalated to, a later step")
        return "; ".join(parts)
    if e.after is None:
        parts.append("no time limit: escalated when decided")
    elif e.timer_start is None:
        parts.append(f"{e.after} on {e.calendar} once {e.previous} starts")
    else:
        parts.append(
            f"{e.after} on {e.calendar} from {e.previous} at {_iso(e.timer_start, z)}, "
            f"due {_iso(e.due, z)}"
        )
    if e.start is not None:
        parts.append(f"escalated {_iso(e.start, z)}")
    if e.resolved_at is not None:
        parts.append(f"resolved {_iso(e.resolved_at, z)}")
    parts.append(e.state.replace("_", " "))
    return "; ".join(parts)


def _escalation_from_json(data: object, path: str) -> EscalationStatus:
    j = _Json(data, path)
    level = j.opt_int("level")
    if level is None:
        raise _malformed(f"{path}.level", "expected a step index, got null")
    return EscalationStatus(
        level=level,
        channel=j.text("channel"),
        clause=j.text("clause"),
        text=j.opt_text("text"),
        state=j.one_of("state", ESCALATION_STATES),
        previous=j.opt_text("previous"),
        after=j.opt_text("after"),
        calendar=j.opt_text("calendar"),
        start=j.opt_instant("start"),
        start_event=j.opt_int("start_event"),
        timer_start=j.opt_instant("timer_start"),
        due=j.opt_instant("due"),
        resolved_at=j.opt_instant("resolved_at"),
        warnings=j.texts("warnings"),
        source=j.text("source"),
        zone=j.zone("timezone", ZoneInfo("UTC")),
    )


# ---------------------------------------------------------------- from JSON


class _Json:
    """Typed reads from a decision document; every failure names its JSON path."""

    __slots__ = ("data", "path")

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise _malformed(path, f"expected an object, got {_kind(data)}")
        self.data: dict[str, Any] = data
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str, default: object = ...) -> object:
        if key not in self.data:
            if default is ...:
                raise _malformed(self._at(key), "missing")
            return default
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise _malformed(self._at(key), f"expected a string, got {_kind(value)}")
        return value

    def opt_text(self, key: str, default: object = ...) -> str | None:
        value = self.raw(key, default)
        if value is None or isinstance(value, str):
            return value
        raise _malformed(self._at(key), f"expected a string or null, got {_kind(value)}")

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise _malformed(self._at(key), f"expected true or false, got {_kind(value)}")
        return value

    def opt_int(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise _malformed(self._at(key), f"expected an integer or null, got {_kind(value)}")

    def opt_number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _malformed(self._at(key), f"expected a number or null, got {_kind(value)}")

    def instant(self, key: str) -> datetime:
        value = self.opt_instant(key)
        if value is None:
            raise _malformed(self._at(key), "expected an ISO 8601 instant, got null")
        return value

    def opt_instant(self, key: str) -> datetime | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                if parsed.tzinfo is not None and parsed.utcoffset() is not None:
                    return parsed
        raise _malformed(
            self._at(key), f"expected an ISO 8601 instant with a UTC offset, got {value!r}"
        )

    def seconds(self, key: str) -> timedelta:
        value = self.opt_seconds(key)
        if value is None:
            raise _malformed(self._at(key), "expected a number of seconds, got null")
        return value

    def opt_seconds(self, key: str) -> timedelta | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return timedelta(seconds=value)
        if isinstance(value, float) and value == value and abs(value) < 1e15:
            # the shortest repr of a float is exact to the microsecond
            return _ONE_US * int(Decimal(repr(value)).scaleb(6).to_integral_value())
        raise _malformed(self._at(key), f"expected a number of seconds, got {_kind(value)}")

    def decimal(self, key: str) -> Decimal:
        value = self.raw(key)
        if isinstance(value, str):
            try:
                out = Decimal(value)
            except ArithmeticError:
                pass
            else:
                if out.is_finite():
                    return out
        raise _malformed(self._at(key), f"expected a decimal number as a string, got {value!r}")

    def zone(self, key: str, default: ZoneInfo) -> ZoneInfo:
        value = self.raw(key, None)
        if value is None:
            return default
        if isinstance(value, str):
            try:
                return ZoneInfo(value)
            except (ValueError, OSError, KeyError):
                pass
        raise _malformed(self._at(key), f"expected an IANA time-zone key, got {value!r}")

    def items(self, key: str) -> list[tuple[str, object]]:
        """``(path, item)`` of each element of the list under ``key``."""
        value = self.raw(key)
        if not isinstance(value, list):
            raise _malformed(self._at(key), f"expected a list, got {_kind(value)}")
        return [(f"{self._at(key)}[{i}]", item) for i, item in enumerate(value)]

    def texts(self, key: str) -> tuple[str, ...]:
        out: list[str] = []
        for path, item in self.items(key):
            if not isinstance(item, str):
                raise _malformed(path, f"expected a string, got {_kind(item)}")
            out.append(item)
        return tuple(out)

    def one_of(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise _malformed(self._at(key), f"expected one of {', '.join(allowed)}, got {value!r}")
        return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _malformed(path: str, message: str) -> FactsError:
    return FactsError(
        Problem(message=f"malformed ticket decision: {message}", path=path, code="malformed-decision")
    )


def _metric_from_json(data: object, path: str, zone: ZoneInfo) -> MetricStatus:
    j = _Json(data, path)
    mzone = j.zone("timezone", zone)
    pauses = []
    for p_path, item in j.items("pauses"):
        p = _Json(item, p_path)
        event = p.opt_int("event")
        if event is None:
            raise _malformed(f"{p_path}.event", "expected an event index, got null")
        pauses.append(
            PauseSpan(
                reason=p.text("reason"),
                start=p.instant("start"),
                end=p.opt_instant("end"),
                event=event,
                business_time=p.seconds("business_seconds"),
                counted=p.flag("counted"),
            )
        )
    marks = []
    for a_path, item in j.items("at_risk"):
        a = _Json(item, a_path)
        marks.append(AtRisk(percent=a.decimal("percent"), at=a.opt_instant("at"), reached=a.flag("reached")))
    cycles = []
    for c_path, item in j.items("cycles"):
        c = _Json(item, c_path)
        cycles.append(
            Cycle(
                start=c.instant("start"),
                due=c.opt_instant("due"),
                stopped_at=c.opt_instant("stopped_at"),
                state=c.text("state"),
                breached_at=c.opt_instant("breached_at"),
            )
        )
    return MetricStatus(
        id=j.text("id"),
        kind=j.text("kind"),
        clause=j.text("clause"),
        text=j.opt_text("text", None),
        calendar=j.text("calendar"),
        obligation=j.flag("obligation"),
        state=j.one_of("state", METRIC_STATES),
        starts=j.text("starts"),
        severity=j.opt_text("severity"),
        target=j.opt_text("target"),
        target_clause=j.opt_text("target_clause"),
        target_time=j.opt_seconds("target_seconds"),
        start=j.opt_instant("start"),
        start_event=j.opt_int("start_event"),
        restarted_by=j.opt_text("restarted_by"),
        due=j.opt_instant("due"),
        stopped_at=j.opt_instant("stopped_at"),
        stop_event=j.opt_int("stop_event"),
        ended_at=j.opt_instant("ended_at"),
        breached_at=j.opt_instant("breached_at"),
        fulfilled_at=j.opt_instant("fulfilled_at"),
        elapsed=j.opt_seconds("elapsed_seconds"),
        remaining=j.opt_seconds("remaining_seconds"),
        paused=j.seconds("paused_seconds"),
        pauses=tuple(pauses),
        percent_used=j.opt_number("percent_used"),
        at_risk=tuple(marks),
        cycles=tuple(cycles),
        missing=j.texts("missing"),
        warnings=j.texts("warnings"),
        source=j.text("source"),
        zone=mzone,
    )


def _severity_from_json(data: object, path: str) -> SeverityDecision:
    j = _Json(data, path)
    changes = []
    for c_path, item in j.items("changes"):
        c = _Json(item, c_path)
        event = c.opt_int("event")
        if event is None:
            raise _malformed(f"{c_path}.event", "expected an event index, got null")
        changes.append((event, c.instant("at"), c.text("level")))
    return SeverityDecision(
        level=j.opt_text("level"),
        source=j.text("source"),
        initial=j.opt_text("initial"),
        initial_source=j.text("initial_source"),
        rule=j.opt_int("rule"),
        clause=j.opt_text("clause"),
        missing=j.texts("missing"),
        changes=tuple(changes),
    )


def _decision_from_json(data: object) -> TicketDecision:
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    if not isinstance(data, dict):
        raise _malformed("", f"a ticket decision is a JSON object, got {_kind(data)}")
    j = _Json(data, "")
    schema = j.raw("schema", None)
    if schema != JSON_SCHEMA_ID:
        raise _malformed("schema", f"expected {JSON_SCHEMA_ID!r}, got {schema!r}")
    p = _Json(j.raw("policy"), "policy")
    policy = PolicyRef(
        id=p.text("id"),
        version=p.text("version"),
        content_hash=p.text("content_hash"),
        file=p.opt_text("file", None),
    )
    as_of = j.instant("as_of")
    zone = j.zone("timezone", ZoneInfo("UTC"))
    facts = parse_facts(Ticket, j.raw("ticket"), name="ticket")
    metrics = tuple(_metric_from_json(item, m_path, zone) for m_path, item in j.items("metrics"))
    not_applicable = []
    for n_path, item in j.items("not_applicable"):
        n = _Json(item, n_path)
        not_applicable.append(NotApplicable(id=n.text("id"), clause=n.text("clause"), why=n.text("why")))
    escalations = tuple(
        _escalation_from_json(item, e_path) for e_path, item in j.items("escalations")
    ) if "escalations" in data else ()
    reasons = j.items("reasons")
    own = len(reasons) - len(metrics) - len(escalations)
    if own < 0:
        raise _malformed("reasons", "fewer reasons than metrics and escalation steps")
    reason_data = []
    for r_path, item in reasons[:own]:
        r = _Json(item, r_path)
        reason_data.append((r.text("rule"), r.text("clause"), r.text("text"), r.text("source")))
    decision = TicketDecision(
        policy=policy,
        as_of=as_of,
        ticket=facts,
        status=j.one_of("status", TICKET_STATUSES),
        severity=_severity_from_json(j.raw("severity"), "severity"),
        on_severity_change=j.one_of("on_severity_change", ("from_open", "from_change")),
        channel=j.opt_text("channel"),
        region=j.opt_text("region"),
        metrics=metrics,
        not_applicable=tuple(not_applicable),
        warnings=j.texts("warnings"),
        zone=zone,
        _reason_data=tuple(reason_data),
        escalations=escalations,
    )
    return decision


# ---------------------------------------------------------------- compiled plan


@dataclass(frozen=True, slots=True)
class _TargetPlan:
    index: int
    severity: frozenset[str] | None
    channel: frozenset[str] | None
    region: frozenset[str] | None
    specificity: int
    written: str
    delta: int | None
    """Microseconds of business time (minutes, hours, days, weeks)."""
    time: timedelta | None
    """``delta`` as a timedelta."""
    working_days: int | None
    clause: str | None


@dataclass(frozen=True, slots=True)
class _CalInfo:
    name: str
    cal: BusinessCalendar
    tz: ZoneInfo
    standard: tuple[WorkingInterval, ...]
    trust_limited: bool
    trust_window: tuple[int, int] | None
    """Instants (:func:`utc_micros`) [1 Jan of the first, 1 Jan after the last trusted
    year) in the calendar's zone, when ``trusted_years`` is given: a span inside it is
    trusted."""
    continuous: bool
    ruler: Ruler
    """Business positions on ``cal`` (shared by every ticket; see :class:`Ruler`)."""


_Choice = tuple[_TargetPlan | None, tuple[str, ...], str | None]
"""(target or None, missing fact paths, tie warning)."""


def _ratio(percent: Decimal) -> tuple[int, int]:
    num, den = percent.as_integer_ratio()
    return num, den * 100


class _MetricPlan:
    __slots__ = (
        "at_risk",
        "cal",
        "channel",
        "clause",
        "ends_on",
        "fulfil",
        "id",
        "kind",
        "memo",
        "obligation",
        "restarts",
        "source",
        "start_key",
        "starts",
        "stops",
        "targets",
        "text",
        "uses_channel",
        "uses_region",
        "uses_severity",
    )

    def __init__(self, metric: Metric, cal: _CalInfo, source: str) -> None:
        self.id = metric.id
        self.kind = metric.kind
        self.clause = metric.clause
        self.text = metric.text
        self.starts = metric.starts
        self.start_key: str | None = None if metric.starts == "opened" else metric.starts
        # a clock started by an escalation to channel c is judged by c's targets
        self.channel: str | None = (
            metric.starts.split(":", 1)[1] if metric.starts.startswith("escalated:") else None
        )
        self.stops = metric.stops
        self.ends_on = tuple(metric.ends_on)
        self.cal = cal
        self.obligation = metric.obligation
        self.fulfil = FULFILLED_BY.get(metric.kind) if metric.obligation else None
        self.restarts = metric.stops == "resolved"
        self.source = source
        # (percent, numerator, denominator): the share of a target as an exact fraction
        self.at_risk = tuple((pct, *_ratio(pct)) for pct in sorted(metric.at_risk_percent))
        targets: list[_TargetPlan] = []
        for i, t in enumerate(metric.targets):
            sev = frozenset(t.severity) if t.severity is not None else None
            ch = frozenset(t.channel) if t.channel is not None else None
            rg = frozenset(t.region) if t.region is not None else None
            wd = t.within.amount if t.within.unit is Unit.WORKING_DAYS else None
            delta = None if wd is not None else t.within.as_timedelta() // _ONE_US
            targets.append(
                _TargetPlan(
                    index=i,
                    severity=sev,
                    channel=ch,
                    region=rg,
                    specificity=(sev is not None) + (ch is not None) + (rg is not None),
                    written=str(t.within),
                    delta=delta,
                    time=None if delta is None else _ONE_US * delta,
                    working_days=wd,
                    clause=t.clause,
                )
            )
        self.targets = tuple(targets)
        self.uses_severity = any(t.severity is not None for t in targets)
        self.uses_channel = any(t.channel is not None for t in targets)
        self.uses_region = any(t.region is not None for t in targets)
        self.memo: dict[tuple[str | None, str | None, str | None], _Choice] = {}

    def choose(
        self,
        severity: str | None,
        sev_missing: tuple[str, ...],
        channel: str | None,
        region: str | None,
    ) -> _Choice:
        """The most specific target for (severity, channel, region), memoised."""
        key = (
            severity if self.uses_severity else None,
            channel if self.uses_channel else None,
            region if self.uses_region else None,
        )
        cacheable = severity is not None or not self.uses_severity
        if cacheable:
            hit = self.memo.get(key)
            if hit is not None:
                return hit
        best: _TargetPlan | None = None
        tie: _TargetPlan | None = None
        unknown: list[str] = []
        unknown_spec = -1
        for t in self.targets:
            missing: list[str] = []
            ok = True
            for wanted, value, path in (
                (t.severity, severity, None),
                (t.channel, channel, "ticket.channel"),
                (t.region, region, "ticket.region"),
            ):
                if wanted is None:
                    continue
                if value is None:
                    if path is None:
                        missing.extend(sev_missing or ("ticket.severity",))
                    else:
                        missing.append(path)
                elif value not in wanted:
                    ok = False
                    break
            if not ok:
                continue
            if missing:
                unknown.extend(missing)
                unknown_spec = max(unknown_spec, t.specificity)
                continue
            if best is None or t.specificity > best.specificity:
                best, tie = t, None
            elif t.specificity == best.specificity and tie is None:
                tie = t
        if unknown and (best is None or unknown_spec >= best.specificity):
            result: _Choice = (None, tuple(dict.fromkeys(unknown)), None)
        else:
            warning = None
            if best is not None and tie is not None:
                warning = (
                    f"targets {best.index} and {tie.index} of metric '{self.id}' both match "
                    f"equally specifically; the first is used (fix the policy)"
                )
            result = (best, (), warning)
        if cacheable:
            if len(self.memo) >= _MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = result
        return result


@dataclass(frozen=True, slots=True)
class _Rule:
    index: int
    level: str
    clause: str
    test: Callable[[Mapping[str, Any]], Any]
    source: str


@dataclass(frozen=True, slots=True)
class _SlaPlan:
    spec: SlaSpec
    ref: PolicyRef
    zone: ZoneInfo
    levels: tuple[str, ...]
    level_set: frozenset[str]
    rules: tuple[_Rule, ...]
    default: str | None
    on_change: str
    channels: frozenset[str]
    regions: frozenset[str]
    pause_ids: frozenset[str]
    metrics: tuple[_MetricPlan, ...]
    stopped_by: dict[str, frozenset[str] | None]
    """Pause reason -> metric ids it stops (``None``: all)."""
    default_source: str
    sla_source: str
    given_reason: dict[str, tuple[str, str, str, str]]
    rule_reason: dict[int, tuple[str, str, str, str]]
    default_reason: tuple[str, str, str, str] | None
    pause_reason: dict[str, tuple[str, str, str, str]]
    escalation: tuple[_EscPlan, ...] = ()


@dataclass(frozen=True, slots=True)
class _EscPlan:
    """One compiled step of the escalation path."""

    level: int
    channel: str
    key: str
    """``escalated:<channel>``: the ``occ`` key of the events entering the step."""
    previous: str | None
    clause: str
    text: str | None
    after: str | None
    delta: int | None
    """Microseconds of business time (minutes, hours, days, weeks)."""
    working_days: int | None
    cal: _CalInfo | None
    source: str


def _standard_day(cal: BusinessCalendar) -> tuple[WorkingInterval, ...]:
    """The calendar's standard working day (docs/calendars.md): the most common
    non-empty weekday pattern, ties going to the earliest weekday."""
    counts: dict[tuple[WorkingInterval, ...], int] = {}
    for w in range(7):
        ivs = cal.weekly.get(w, ())
        if ivs:
            counts[ivs] = counts.get(ivs, 0) + 1
    best = max(counts.values())
    for w in range(7):
        ivs = cal.weekly.get(w, ())
        if ivs and counts[ivs] == best:
            return ivs
    return ()  # pragma: no cover - a calendar always has working time


def _trust_window(cal: BusinessCalendar) -> tuple[int, int] | None:
    if cal.trusted_years is None:
        return None
    first, last = cal.trusted_years
    lo = datetime(first, 1, 1, tzinfo=cal.tz)
    hi = datetime(last + 1, 1, 1, tzinfo=cal.tz) if last < 9999 else datetime.max.replace(tzinfo=UTC)
    return utc_micros(lo), utc_micros(hi)


def _locate(policy: Policy, path: tuple[str | int, ...]) -> str:
    origin = policy.locations.locate(path)
    if origin is None:
        return str(policy.source_of(""))
    return f"{origin.file}:{origin.line}" if origin.line is not None else str(origin.file)


def compile_sla(policy: Policy) -> _SlaPlan:
    """The policy's ``sla:`` compiled once (memoised on the policy)."""
    plan: _SlaPlan = policy.compiled("engine.sla", _build)
    return plan


def _build(policy: Policy) -> _SlaPlan:
    from warrantykit.engine.terms import business_calendar

    doc = policy.document
    spec = doc.sla
    if spec is None:
        raise EvaluationError(
            Problem(
                f"policy '{doc.id}' has no 'sla' section: it sets no ticket deadlines",
                code="no-sla",
            )
        )
    cals: dict[str, _CalInfo] = {}

    def cal_info(name: str) -> _CalInfo:
        info = cals.get(name)
        if info is None:
            cal = business_calendar(policy, name)
            info = cals[name] = _CalInfo(
                name=name,
                cal=cal,
                tz=cal.tz,
                standard=_standard_day(cal),
                trust_limited=cal.trusted_years is not None or cal.country is not None,
                trust_window=_trust_window(cal),
                continuous=cal.continuous,
                ruler=Ruler(cal),
            )
        return info

    metrics: list[_MetricPlan] = []
    for i, m in enumerate(spec.metrics):
        metrics.append(_MetricPlan(m, cal_info(m.calendar), _locate(policy, ("sla", "metrics", i))))
    steps: list[_EscPlan] = []
    for i, step in enumerate(spec.escalation):
        after = step.after
        delta = working_days = None
        if after is not None:
            if after.unit is Unit.WORKING_DAYS:
                working_days = after.amount
            elif after.unit in (Unit.MONTHS, Unit.YEARS):
                raise EvaluationError(
                    Problem(
                        f"escalation step {i} ({step.channel}): 'after: {after}' has no fixed "
                        "length in business time; use minutes, hours, days, weeks or working days",
                        path=f"sla.escalation[{i}].after",
                        code="escalation-timer",
                    )
                )
            else:
                delta = after.as_timedelta() // _ONE_US
        steps.append(
            _EscPlan(
                level=i,
                channel=step.channel,
                key=f"escalated:{step.channel}",
                previous=spec.escalation[i - 1].channel if i else None,
                clause=step.clause or spec.clause or "-",
                text=step.text,
                after=None if after is None else str(after),
                delta=delta,
                working_days=working_days,
                cal=None if after is None else _step_calendar(cal_info, step.calendar, i),
                source=_locate(policy, ("sla", "escalation", i)),
            )
        )
    rank = {s.id: i for i, s in enumerate(spec.severities)}
    rules = sorted(
        (
            _Rule(
                index=i,
                level=r.level,
                clause=r.clause,
                test=condition_for(policy, r.when, aliases={}),
                source=_locate(policy, ("sla", "severity_rules", i)),
            )
            for i, r in enumerate(spec.severity_rules)
        ),
        key=lambda r: (rank.get(r.level, len(rank)), r.index),
    )
    stopped_by: dict[str, frozenset[str] | None] = {}
    for p in spec.pause_reasons:
        stopped_by[p.id] = None if p.stops == "all" else frozenset(p.stops)
    sla_source = _locate(policy, ("sla",))
    default_source = _locate(policy, ("sla", "default_severity"))
    pause_reason = {
        p.id: (
            f"sla.pause_reasons.{p.id}",
            p.clause,
            f"pause reason {p.id} stops "
            + ("every clock" if p.stops == "all" else ", ".join(sorted(p.stops))),
            _locate(policy, ("sla", "pause_reasons", i)),
        )
        for i, p in enumerate(spec.pause_reasons)
    }
    return _SlaPlan(
        spec=spec,
        ref=PolicyRef(
            id=doc.id,
            version=doc.version,
            content_hash=policy.content_hash,
            file=policy.files[0] if policy.files else None,
        ),
        zone=ZoneInfo(doc.timezone),
        levels=tuple(s.id for s in spec.severities),
        level_set=frozenset(rank),
        rules=tuple(rules),
        default=spec.default_severity,
        on_change=spec.on_severity_change,
        channels=frozenset(spec.channels),
        regions=frozenset(spec.regions),
        pause_ids=frozenset(stopped_by),
        metrics=tuple(metrics),
        stopped_by=stopped_by,
        default_source=default_source,
        sla_source=sla_source,
        given_reason={
            sev.id: ("ticket.severity", "-", f"severity {sev.id}: given on the ticket", sla_source)
            for sev in spec.severities
        },
        rule_reason={
            r.index: (
                f"sla.severity_rules[{r.index}]",
                r.clause,
                f"severity {r.level}: its severity rule holds on the ticket facts",
                r.source,
            )
            for r in rules
        },
        default_reason=None
        if spec.default_severity is None
        else (
            "sla.default_severity",
            spec.clause or "-",
            f"severity {spec.default_severity}: no severity rule matches, "
            "the policy's default applies",
            default_source,
        ),
        pause_reason=pause_reason,
        escalation=tuple(steps),
    )


def _step_calendar(cal_info: Callable[[str], _CalInfo], name: str, i: int) -> _CalInfo:
    """The calendar of escalation step ``i``'s timer (an unknown name is located)."""
    try:
        return cal_info(name)
    except EvaluationError:
        raise EvaluationError(
            Problem(
                f"unknown business calendar {name!r} for the timer of escalation step {i}",
                path=f"sla.escalation[{i}].calendar",
                code="unknown-calendar",
            )
        ) from None


# ---------------------------------------------------------------- per ticket


class _Pause:
    __slots__ = ("end", "end_idx", "end_us", "idx", "reason", "start", "start_us")

    def __init__(self, idx: int, start: datetime, start_us: int, reason: str) -> None:
        self.idx = idx
        self.start = start
        self.start_us = start_us
        self.reason = reason
        self.end: datetime | None = None
        self.end_us = 0
        self.end_idx: int | None = None


class _Ctx:
    """What every clock of one ticket reads.

    Instants are kept twice: as given (``opened``, ``as_of``, ``ats``: what the results
    report) and as integer microseconds on the UTC clock (``*_us``, ``us``;
    :func:`~warrantykit.engine.calendar.utc_micros`), which every comparison and every
    continuous clock uses: integer arithmetic is an order of magnitude cheaper than
    arithmetic on aware datetimes with different tzinfo objects."""

    __slots__ = (
        "as_of",
        "as_of_us",
        "ats",
        "cut",
        "occ",
        "opened",
        "opened_us",
        "pauses",
        "positions",
        "reopens",
        "sev_changes",
        "us",
    )

    def __init__(self, opened: datetime, opened_us: int, as_of: datetime, as_of_us: int) -> None:
        self.opened = opened
        self.opened_us = opened_us
        self.as_of = as_of
        self.as_of_us = as_of_us
        self.ats: list[datetime] = []
        self.us: list[int] = []
        self.cut = 0
        self.occ: dict[str, list[int]] = {}
        self.pauses: list[_Pause] = []
        self.reopens: list[int] = []
        self.sev_changes: list[tuple[int, datetime, str]] = []
        self.positions: dict[str, int] = {}

    def first_after(self, key: str, k: int) -> int | None:
        found = self.occ.get(key)
        if not found:
            return None
        j = bisect_right(found, k)
        return found[j] if j < len(found) else None

    def pos_opened(self, info: _CalInfo) -> int:
        """Business position of ``opened`` on a wall-clock calendar (:class:`Ruler`; once
        per ticket and calendar: most clocks start there).  Only differences of
        positions mean something (``between``); a continuous calendar's position of an
        instant is the instant (microseconds) itself."""
        value = self.positions.get(info.name)
        if value is None:
            value = self.positions[info.name] = info.ruler.pos_us(self.opened_us)
        return value


def _problem(path: str, message: str, code: str) -> Problem:
    return Problem(message=message, path=path, code=code)


def _validate(plan: _SlaPlan, ticket: Ticket, ctx: _Ctx) -> None:
    """Check the ticket against the policy's lists and the event log's order; fill ``ctx``."""
    problems: list[Problem] = []
    if ticket.severity is not None and ticket.severity not in plan.level_set:
        problems.append(
            _problem(
                "ticket.severity",
                f"unknown severity {ticket.severity!r}; the policy declares "
                f"{', '.join(plan.levels)}",
                "unknown-severity",
            )
        )
    if ticket.channel is not None and ticket.channel not in plan.channels:
        problems.append(
            _problem(
                "ticket.channel",
                f"unknown channel {ticket.channel!r}; the policy declares "
                f"{', '.join(sorted(plan.channels))}",
                "unknown-channel",
            )
        )
    if ticket.region is not None and plan.regions and ticket.region not in plan.regions:
        problems.append(
            _problem(
                "ticket.region",
                f"unknown region {ticket.region!r}; the policy declares "
                f"{', '.join(sorted(plan.regions))}",
                "unknown-region",
            )
        )
    opened = ctx.opened_us
    as_of = ctx.as_of_us
    prev = opened
    prev_idx = -1
    open_pause: _Pause | None = None
    resolved = False
    ats = ctx.ats
    uss = ctx.us
    occ = ctx.occ
    cut = 0
    events = ticket.events
    fixed = FIXED_OFFSET_TYPES
    offsets = _OFFSET_US
    for i, e in enumerate(events):
        when = e.at  # AwareDatetime: utc_micros(when), inlined
        tz = when.tzinfo
        off = tz.utcoffset(None) if type(tz) in fixed else when.utcoffset()  # type: ignore[union-attr]
        offus = offsets.get(off)  # type: ignore[arg-type]
        if offus is None:
            offus = offset_micros(off)  # type: ignore[arg-type]
        at = (
            (when.toordinal() * 86_400 + when.hour * 3600 + when.minute * 60 + when.second)
            * 1_000_000
            + when.microsecond
            - offus
        )
        if at < prev:
            base = f"ticket.events[{i}]"
            if at < opened:
                problems.append(
                    _problem(
                        f"{base}.at",
                        f"{e.at.isoformat()} is before the ticket was opened "
                        f"({ticket.opened_at.isoformat()})",
                        "before-opened",
                    )
                )
            else:
                problems.append(
                    _problem(
                        f"{base}.at",
                        f"events are not in chronological order: {e.at.isoformat()} is "
                        f"before ticket.events[{prev_idx}] ({events[prev_idx].at.isoformat()})",
                        "out-of-order",
                    )
                )
        elif at > prev or prev_idx < 0:
            prev, prev_idx = at, i
        kind = e.type
        name: str = kind._value_  # the plain str: hashing an Enum member runs Python code
        known = at <= as_of
        if known:
            cut = i + 1
            ats.append(when)
            uss.append(at)
            found = occ.get(name)
            if found is None:
                occ[name] = [i]
            else:
                found.append(i)
        if name not in _CHECKED:
            if kind is _RESOLVED:
                resolved = True
            continue
        if kind is _PAUSED:
            reason = e.reason
            if reason is None:
                problems.append(
                    _problem(f"ticket.events[{i}].reason", "a pause needs a reason (S13)", "missing-reason")
                )
            elif reason not in plan.pause_ids:
                declared = ", ".join(sorted(plan.pause_ids)) or "none"
                problems.append(
                    _problem(
                        f"ticket.events[{i}].reason",
                        f"unknown pause reason {reason!r}; the policy declares {declared}",
                        "unknown-pause-reason",
                    )
                )
            if open_pause is not None:
                problems.append(
                    _problem(
                        f"ticket.events[{i}]",
                        f"paused while already paused (since ticket.events[{open_pause.idx}])",
                        "pause-while-paused",
                    )
                )
            else:
                open_pause = _Pause(i, when, at, reason or "")
                if known:
                    ctx.pauses.append(open_pause)
        elif kind is _RESUMED:
            if open_pause is None:
                problems.append(
                    _problem(f"ticket.events[{i}]", "resumed without a pause in progress", "resume-without-pause")
                )
            else:
                if e.reason is not None and e.reason != open_pause.reason:
                    problems.append(
                        _problem(
                            f"ticket.events[{i}].reason",
                            f"resumes reason {e.reason!r} but the pause in progress "
                            f"(ticket.events[{open_pause.idx}]) has reason "
                            f"{open_pause.reason!r}",
                            "resume-mismatch",
                        )
                    )
                if known:
                    open_pause.end = when
                    open_pause.end_us = at
                    open_pause.end_idx = i
                open_pause = None
        elif kind is _ESCALATED:
            if e.to is None:
                problems.append(
                    _problem(f"ticket.events[{i}].to", "an escalation needs 'to' (a channel)", "missing-to")
                )
            elif e.to not in plan.channels:
                problems.append(
                    _problem(
                        f"ticket.events[{i}].to",
                        f"unknown channel {e.to!r}; the policy declares "
                        f"{', '.join(sorted(plan.channels))}",
                        "unknown-channel",
                    )
                )
            elif known:
                occ.setdefault(f"escalated:{e.to}", []).append(i)
        elif kind is _SEVERITY_CHANGED:
            if e.severity is None:
                problems.append(
                    _problem(
                        f"ticket.events[{i}].severity",
                        "a severity change needs 'severity'",
                        "missing-severity",
                    )
                )
            elif e.severity not in plan.level_set:
                problems.append(
                    _problem(
                        f"ticket.events[{i}].severity",
                        f"unknown severity {e.severity!r}; the policy declares "
                        f"{', '.join(plan.levels)}",
                        "unknown-severity",
                    )
                )
            elif known:
                ctx.sev_changes.append((i, when, e.severity))
        elif kind is _REOPENED:
            if not resolved:
                problems.append(
                    _problem(f"ticket.events[{i}]", "reopened, but the ticket is not resolved", "reopen-unresolved")
                )
            resolved = False
            if known:
                ctx.reopens.append(i)
    if problems:
        raise FactsError(problems)
    ctx.cut = cut


def _severity(
    plan: _SlaPlan, ticket: Ticket, warnings: list[str]
) -> tuple[
    str | None, str, int | None, str | None, tuple[str, ...], tuple[str, str, str, str] | None
]:
    """(level, source, rule index, clause, missing, reason data) of the opening severity."""
    if ticket.severity is not None:
        return ticket.severity, "given", None, None, (), plan.given_reason[ticket.severity]
    env = {"ticket": ticket}
    undecided: list[str] = []
    undecided_levels: list[str] = []
    for rule in plan.rules:
        value = rule.test(env)
        if value is True:
            if undecided_levels:
                warnings.append(
                    f"severity rules for {', '.join(dict.fromkeys(undecided_levels))} are "
                    f"undecided (missing {', '.join(dict.fromkeys(undecided))}); "
                    f"{rule.level} matched"
                )
            return rule.level, "rule", rule.index, rule.clause, (), plan.rule_reason[rule.index]
        if isinstance(value, Unknown):
            undecided.extend(value.missing)
            undecided_levels.append(rule.level)
    missing = tuple(dict.fromkeys(undecided)) if undecided else ()
    if plan.default is not None:
        if missing:
            warnings.append(
                f"severity rules for {', '.join(dict.fromkeys(undecided_levels))} are "
                f"undecided (missing {', '.join(missing)}); the default severity "
                f"{plan.default} is used"
            )
        return plan.default, "default", None, plan.spec.clause, (), plan.default_reason
    if not missing:
        warnings.append("no severity rule matches the ticket and the policy has no default")
    return None, "undetermined", None, None, missing, None


def _as_of(value: object) -> tuple[datetime, int]:
    """``as_of`` checked (an aware datetime) and as :func:`utc_micros`."""
    if isinstance(value, datetime):
        tz = value.tzinfo
        if type(tz) in FIXED_OFFSET_TYPES:
            return value, utc_micros(value)
    else:
        raise FactsError(
            _problem(
                "as_of",
                f"as_of must be an aware datetime, got {type(value).__name__} {value!r}",
                "not-a-datetime",
            )
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactsError(
            _problem(
                "as_of",
                f"naive datetime {value.isoformat()}: give a UTC offset "
                "(e.g. 2024-05-01T09:00:00+08:00)",
                "naive-datetime",
            )
        )
    return value, utc_micros(value)


def evaluate_ticket(
    policy: Policy, ticket: Ticket | Mapping[str, Any] | str | bytes, *, as_of: datetime
) -> TicketDecision:
    """The SLA status of ``ticket`` under ``policy`` at ``as_of`` (see the module docstring).

    :raises FactsError: invalid ticket data, naive datetimes, unknown severity,
        channel, region or pause reason, an event log out of order or with a
        resume without a pause, a pause while paused, events before opening.
    """
    when, when_us = _as_of(as_of)
    plan = compile_sla(policy)
    facts = ticket if isinstance(ticket, Ticket) else parse_facts(Ticket, ticket, name="ticket")
    opened = facts.opened_at
    ctx = _Ctx(opened, utc_micros(opened), when, when_us)
    _validate(plan, facts, ctx)
    warnings: list[str] = []
    level, source, rule_idx, clause, sev_missing, sev_reason = _severity(plan, facts, warnings)
    initial = level
    changes = ctx.sev_changes
    current = changes[-1][2] if changes else level
    reason_data: list[tuple[str, str, str, str]] = []
    if sev_reason is not None:
        reason_data.append(sev_reason)
    for idx, _at, new in changes:
        reason_data.append(
            (
                f"ticket.events[{idx}]",
                plan.spec.clause or "-",
                f"severity changed to {new} ({plan.on_change})",
                plan.sla_source,
            )
        )
    severity = _SeverityBuilder(
        current,
        "changed" if changes else source,
        initial,
        source,
        rule_idx,
        clause,
        sev_missing if current is None else (),
        tuple(changes),
    )
    severity.__class__ = SeverityDecision
    metrics: list[MetricStatus] = []
    not_applicable: list[NotApplicable] = []
    for mp in plan.metrics:
        result = _evaluate_metric(plan, mp, facts, ctx, initial, sev_missing)
        if isinstance(result, NotApplicable):
            not_applicable.append(result)
        else:
            metrics.append(result)
    if ctx.pauses:
        used = dict.fromkeys(pause.reason for pause in ctx.pauses)
        reason_data.extend(plan.pause_reason[reason] for reason in used)
    status = _status(metrics)
    return _make(
        TicketDecision,
        {
            "policy": plan.ref,
            "as_of": when,
            "ticket": facts,
            "status": status,
            "severity": severity,
            "on_severity_change": plan.on_change,
            "channel": facts.channel,
            "region": facts.region,
            "metrics": tuple(metrics),
            "not_applicable": tuple(not_applicable),
            "warnings": tuple(warnings),
            "zone": plan.zone,
            "_reason_data": tuple(reason_data),
            "escalations": _escalations(plan, facts, ctx) if plan.escalation else (),
        },
    )


def _escalations(plan: _SlaPlan, ticket: Ticket, ctx: _Ctx) -> tuple[EscalationStatus, ...]:
    """Each step of the escalation path at ``as_of`` (S14; docs/sla.md "Escalation")."""
    steps = plan.escalation
    entry = 0
    for step in steps:
        if step.channel == ticket.channel:
            entry = step.level
            break
    # when (and by which event) the ticket entered each step
    entered: list[tuple[datetime, int] | None] = []
    for step in steps:
        if step.level < entry:
            entered.append(None)
        elif step.level == entry:
            entered.append((ctx.opened, -1))
        else:
            found = ctx.first_after(step.key, -1)
            entered.append(None if found is None else (ctx.ats[found], found))
    out: list[EscalationStatus] = []
    zone = plan.zone
    for step in steps:
        k = step.level
        here = entered[k]
        timer_start: datetime | None = None
        timer_idx = -1
        due: datetime | None = None
        resolved_at: datetime | None = None
        warnings: tuple[str, ...] = ()
        if k < entry or (here is None and any(e is not None for e in entered[k + 1 :])):
            state = "skipped"
        elif k == entry:
            state = "start"
        else:
            before = entered[k - 1]
            if before is not None:
                timer_start, timer_idx = before
            r_idx = ctx.first_after(_RESOLVED, timer_idx)
            if r_idx is not None:
                resolved_at = ctx.ats[r_idx]
            info = step.cal
            if timer_start is not None and info is not None:
                due = _due_after(info, timer_start, step.delta, step.working_days)
                warning = _untrusted(info, timer_start, due)
                if warning is not None:
                    warnings = (warning,)
            if here is not None:
                state = "late" if due is not None and here[0] > due else "escalated"
            else:
                limit = ctx.as_of if resolved_at is None else resolved_at
                if due is not None and limit > due:
                    state = "overdue"
                elif resolved_at is not None:
                    state = "not_needed"
                else:
                    state = "pending"
        out.append(
            EscalationStatus(
                level=k,
                channel=step.channel,
                clause=step.clause,
                text=step.text,
                state=state,
                previous=step.previous,
                after=step.after,
                calendar=None if step.cal is None else step.cal.name,
                start=None if here is None else here[0],
                start_event=None if here is None or here[1] < 0 else here[1],
                timer_start=timer_start,
                due=due,
                resolved_at=resolved_at if state in ("not_needed", "overdue") else None,
                warnings=warnings,
                source=step.source,
                zone=zone if step.cal is None else step.cal.tz,
            )
        )
    return tuple(out)


def _due_after(
    info: _CalInfo, start: datetime, delta: int | None, working_days: int | None
) -> datetime:
    """``start`` plus a business duration (or N working days, to the close) on ``info``."""
    cal = info.cal
    if delta is None:
        day = start.astimezone(info.tz).date()
        due = _end_of_working_day(info, cal.add_working_days(day, working_days or 0))
        if due >= start:
            return due
        delta = 0  # 0 working days, started after the close of business
    if info.continuous:  # real time: add on the UTC clock (a zone's wall clock may jump)
        return from_utc_micros(utc_micros(start) + delta)
    return cal.add(start, _ONE_US * delta)


def _untrusted(info: _CalInfo, start: datetime, due: datetime) -> str | None:
    """The warning for a deadline computed beyond the calendar's trusted holiday data."""
    window = info.trust_window
    if window is not None:
        untrusted = utc_micros(start) < window[0] or utc_micros(due) > window[1]
    else:
        untrusted = info.trust_limited and info.cal.untrusted_between(start, due)
    return _untrusted_text(info, start, due) if untrusted else None


def _untrusted_text(info: _CalInfo, start: datetime, due: datetime) -> str:
    years = info.cal.trusted_years
    span = f" (trusted {years[0]}-{years[1]})" if years else ""
    return (
        f"holiday data of calendar '{info.name}' is not trusted{span} for every day from "
        f"{start.astimezone(info.tz).date()} to the deadline {due.astimezone(info.tz).date()}"
    )


def _status(metrics: list[MetricStatus]) -> str:
    """The ticket's status: the most urgent of :data:`TICKET_STATUSES` its metrics show."""
    due = undetermined = at_risk = False
    for m in metrics:
        state = m.state
        if state == "breached":
            return "breached"
        if state == "due":
            due = True
        elif state == "undetermined":
            undetermined = True
        elif not at_risk and (state == "running" or state == "paused"):
            at_risk = any(a.reached for a in m.at_risk)
    if due:
        return "obligation_due"
    if undetermined:
        return "undetermined"
    return "at_risk" if at_risk else "on_track"


# ---------------------------------------------------------------- one metric


def _severity_at(
    initial: str | None, changes: list[tuple[int, datetime, str]], k: int
) -> str | None:
    """Severity in force before event index ``k`` (the changes logged before it)."""
    level = initial
    for idx, _at, new in changes:
        if idx >= k:
            break
        level = new
    return level


_OBLIGATION_STATE: Final = {"met": "not_due", "breached": "due"}
"""How an obligation metric names the verdicts of its clock."""

_NoTarget = tuple[str | None, tuple[str, ...]]
"""(severity, missing fact paths): no target applies (missing empty) or it is undecided."""

_Clock = Any
"""A :class:`MetricStatus` under construction: an instance of :data:`_MetricBuilder`
(mutable, the same slots) until :func:`_evaluate_metric` makes it a ``MetricStatus``."""


def _twin(cls: type[Any]) -> type[Any]:
    """A mutable class with exactly the slots of the frozen slots dataclass ``cls`` and a
    positional ``__init__``.

    The hot path builds thousands of result objects per second; a frozen dataclass
    ``__init__`` sets each field through ``object.__setattr__`` (about 0.2 us a field).
    The twin is filled by plain slot stores, then its instance becomes a ``cls``
    (``obj.__class__ = cls``; the layouts are identical), which is frozen from then on.
    """
    names = [f.name for f in fields(cls)]
    twin = make_dataclass(
        f"_{cls.__name__}Builder",
        [(name, Any) for name in names],
        slots=True,
        eq=False,
        repr=False,
        match_args=False,
    )
    if getattr(twin, "__slots__", None) != getattr(cls, "__slots__", None):  # pragma: no cover
        raise AssertionError(f"{cls.__name__}: slots differ from its builder's")
    return twin


_MetricBuilder: Final = _twin(MetricStatus)
_PauseBuilder: Final = _twin(PauseSpan)
_AtRiskBuilder: Final = _twin(AtRisk)
_SeverityBuilder: Final = _twin(SeverityDecision)


def _evaluate_metric(
    plan: _SlaPlan,
    mp: _MetricPlan,
    ticket: Ticket,
    ctx: _Ctx,
    initial: str | None,
    sev_missing: tuple[str, ...],
) -> MetricStatus | NotApplicable:
    # start
    if mp.start_key is None:
        start: datetime | None = ctx.opened
        s_idx = -1
    else:
        found = ctx.first_after(mp.start_key, -1)
        start = None if found is None else ctx.ats[found]
        s_idx = -1 if found is None else found
    channel = ticket.channel if mp.channel is None else mp.channel
    region = ticket.region
    if start is None:
        changes = ctx.sev_changes
        level = changes[-1][2] if changes else initial
        target, missing, tie = mp.choose(level, sev_missing, channel, region)
        if target is None and not missing:
            return _not_applicable(mp, level, channel, region)
        return _without_clock(
            mp, "pending", level, target, None, -1, missing, (tie,) if tie else (), ()
        )
    if not ctx.sev_changes and not (mp.restarts and ctx.reopens) and not mp.ends_on:
        # the common case, _run inlined: one cycle, one severity, a stop event or none
        target, missing, tie = mp.choose(initial, sev_missing, channel, region)
        if target is None:
            if not missing:
                return _not_applicable(mp, initial, channel, region)
            return _without_clock(mp, "undetermined", initial, None, start, s_idx, missing, (), ())
        m = _clock(plan, mp, ctx, target, initial, s_idx, ctx.first_after(mp.stops, s_idx), None, tie)
        if mp.obligation:
            _obligation(mp, ctx, m, s_idx)
        m.__class__ = MetricStatus
        metric: MetricStatus = m
        return metric
    outcome = _run(plan, mp, ctx, s_idx, initial, sev_missing, channel, region)
    cycles: tuple[Cycle, ...] = ()
    if mp.restarts and ctx.reopens:
        # cycles: `reopened` restarts the clocks stopped by `resolved`
        done: list[Cycle] = []
        while True:
            nxt: int | None = None
            stop_idx = ctx.first_after(mp.stops, s_idx)
            if stop_idx is not None:
                for r in ctx.reopens:
                    if r > stop_idx:
                        nxt = r
                        break
            if nxt is None:
                break
            if isinstance(outcome, tuple):
                state = "undetermined" if outcome[1] else "not_applicable"
                done.append(Cycle(start, None, None, state, None))
            else:
                state = outcome.state
                if mp.obligation:
                    state = _OBLIGATION_STATE.get(state, state)
                done.append(
                    Cycle(outcome.start, outcome.due, outcome.stopped_at, state, outcome.breached_at)
                )
            start, s_idx = ctx.ats[nxt], nxt
            outcome = _run(plan, mp, ctx, s_idx, initial, sev_missing, channel, region)
            if not isinstance(outcome, tuple) and outcome.restarted_by is None:
                outcome.restarted_by = "reopened"
        cycles = tuple(done)
    if isinstance(outcome, tuple):
        level, missing = outcome
        if not missing:
            return _not_applicable(mp, level, channel, region)
        return _without_clock(mp, "undetermined", level, None, start, s_idx, missing, (), cycles)
    m = outcome
    m.cycles = cycles
    if mp.obligation:
        _obligation(mp, ctx, m, s_idx)
    m.__class__ = MetricStatus
    done_metric: MetricStatus = m
    return done_metric


def _obligation(mp: _MetricPlan, ctx: _Ctx, m: _Clock, s_idx: int) -> None:
    """Name an obligation's verdicts (``not_due`` / ``due``) and find its fulfilment."""
    state = m.state
    state = m.state = _OBLIGATION_STATE.get(state, state)
    if state == "due" and mp.fulfil is not None:
        f_idx = ctx.first_after(mp.fulfil, s_idx)
        if f_idx is not None:
            m.fulfilled_at = ctx.ats[f_idx]
            m.state = "fulfilled"


def _without_clock(
    mp: _MetricPlan,
    state: str,
    severity: str | None,
    target: _TargetPlan | None,
    start: datetime | None,
    start_idx: int,
    missing: tuple[str, ...],
    warnings: tuple[str, ...],
    cycles: tuple[Cycle, ...],
) -> MetricStatus:
    """A metric whose clock has not started (``pending``) or has no target (``undetermined``)."""
    m = _MetricBuilder(
        mp.id,
        mp.kind,
        mp.clause,
        mp.text,
        mp.cal.name,
        mp.obligation,
        state,
        mp.starts,
        severity,
        None if target is None else target.written,
        None if target is None else (target.clause or mp.clause),
        None,
        start,
        None if start_idx < 0 else start_idx,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        _ZERO,
        (),
        None,
        (),
        cycles,
        missing,
        warnings,
        mp.source,
        mp.cal.tz,
    )
    m.__class__ = MetricStatus
    metric: MetricStatus = m
    return metric


def _not_applicable(
    mp: _MetricPlan, level: str | None, channel: str | None, region: str | None
) -> NotApplicable:
    parts = []
    if mp.uses_severity:
        parts.append(f"severity {level}")
    if mp.uses_channel:
        parts.append(f"channel {channel}")
    if mp.uses_region:
        parts.append(f"region {region}")
    return NotApplicable(
        id=mp.id, clause=mp.clause, why="no target for " + (", ".join(parts) or "this ticket")
    )


def _run(
    plan: _SlaPlan,
    mp: _MetricPlan,
    ctx: _Ctx,
    s_idx: int,
    initial: str | None,
    sev_missing: tuple[str, ...],
    channel: str | None,
    region: str | None,
) -> _Clock | _NoTarget:
    """One cycle of a clock from event ``s_idx`` (-1: ``opened_at``), severity changes
    applied per ``on_severity_change``."""
    stop_idx = ctx.first_after(mp.stops, s_idx)
    end_idx: int | None = None
    if mp.ends_on:
        for key in mp.ends_on:
            e = ctx.first_after(key, s_idx)
            if e is not None and (end_idx is None or e < end_idx):
                end_idx = e
        if end_idx is not None and stop_idx is not None and stop_idx < end_idx:
            end_idx = None
    final_idx = stop_idx if end_idx is None else end_idx
    limit = ctx.cut if final_idx is None else final_idx
    changes = ctx.sev_changes
    if not changes or plan.on_change == "from_open":
        level = _severity_at(initial, changes, limit) if changes else initial
        target, missing, tie = mp.choose(level, sev_missing, channel, region)
        if target is None:
            return level, missing
        return _clock(plan, mp, ctx, target, level, s_idx, stop_idx, end_idx, tie)
    # from_change: one segment per severity change logged while the clock ran
    start = ctx.opened if s_idx < 0 else ctx.ats[s_idx]
    segments: list[tuple[datetime, int, str | None]] = [
        (start, s_idx, _severity_at(initial, changes, s_idx + 1))
    ]
    for idx, at, new in changes:
        if s_idx < idx < limit:
            segments.append((at, idx, new))
    result: _Clock | _NoTarget = (None, ())
    for n, (_seg_at, seg_idx, level) in enumerate(segments):
        target, missing, tie = mp.choose(level, sev_missing, channel, region)
        is_last = n == len(segments) - 1
        if target is None:
            result = (level, missing)
            continue
        clock = _clock(plan, mp, ctx, target, level, seg_idx, stop_idx, end_idx, tie)
        if n:
            clock.restarted_by = "severity_changed"
        result = clock
        if not is_last:
            next_at, next_idx, _next = segments[n + 1]
            if utc_micros(clock.due) < ctx.us[next_idx]:
                # breached before the change: the breach stands
                clock.state = "breached"
                clock.breached_at = clock.due
                clock.stopped_at = clock.ended_at = None
                clock.stop_event = None
                clock.warnings = (
                    *clock.warnings,
                    f"breached at {clock.due.isoformat()}, before the severity change at "
                    f"{next_at.isoformat()}",
                )
                return clock
    return result


def _end_of_working_day(info: _CalInfo, day: date) -> datetime:
    """Close of business of working day ``day`` (its intervals; a make-up day's standard day)."""
    tz = info.tz
    if info.continuous:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    ivs = info.cal.weekly.get(day.weekday()) or info.standard
    last = max(ivs, key=lambda iv: iv.end_offset)
    opening = datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=last.start)
    return info.cal.add(opening, timedelta(minutes=last.minutes))


_Span = tuple[_Pause, int, int, "datetime | None"]


def _pause_for(spans: list[_Span], s: int, goal: int) -> tuple[int, int]:
    """Pause time that moves the instant a clock at position ``s`` reaches ``goal`` business
    microseconds (only spans that begin before the clock used ``goal`` count), and how many
    spans count."""
    acc = 0
    counted = 0
    for _p, ps, pe, _e in spans:
        if ps - s - acc >= goal:
            break
        acc += pe - ps
        counted += 1
    return acc, counted


def _clock(
    plan: _SlaPlan,
    mp: _MetricPlan,
    ctx: _Ctx,
    target: _TargetPlan,
    level: str | None,
    s_idx: int,
    stop_idx: int | None,
    end_idx: int | None,
    tie: str | None,
) -> _Clock:
    """Deadline, pauses and verdict of the clock of ``mp`` from event ``s_idx`` (-1:
    ``opened_at``) with ``target``: a :data:`_Clock` (``MetricStatus`` fields, mutable).

    Instants are microseconds on the UTC clock (:class:`_Ctx`); positions are business
    microseconds on the metric's calendar: the instant itself on a continuous calendar,
    else :meth:`Ruler.pos_us` (``between(a, b) == pos(b) - pos(a)``, ``add(a, d) ==
    ruler.at(pos(a) + d)``)."""
    info = mp.cal
    continuous = info.continuous
    P = info.ruler.pos_us
    if s_idx < 0:
        start = ctx.opened
        start_us = ctx.opened_us
    else:
        start = ctx.ats[s_idx]
        start_us = ctx.us[s_idx]
    if continuous:
        s = start_us
    elif s_idx < 0:
        s = ctx.pos_opened(info)
    else:
        s = P(start_us)
    base_due: datetime | None = None
    t = target.delta
    if t is None:
        day = start.astimezone(info.tz).date()
        base_due = _end_of_working_day(
            info, info.cal.add_working_days(day, target.working_days or 0)
        )
        base_us = utc_micros(base_due)
        t = (base_us if continuous else P(base_us)) - s
        if t < 0:  # 0 working days, started after the close of business
            t = 0
            base_due = None
    final_idx = stop_idx if end_idx is None else end_idx
    final_at: datetime | None
    if final_idx is None:
        final_at = None
        final_us = limit_us = ctx.as_of_us
        limit_idx = ctx.cut
    else:
        final_at = ctx.ats[final_idx]
        final_us = limit_us = ctx.us[final_idx]
        limit_idx = final_idx
    limit = limit_us if continuous else P(limit_us)
    # pauses whose reason stops this metric, clipped to [start, limit]
    spans: list[_Span] = []
    if ctx.pauses:
        stopped_by = plan.stopped_by
        metric_id = mp.id
        for p in ctx.pauses:
            if p.idx >= limit_idx:
                break
            if p.end_idx is not None and p.end_idx <= s_idx:
                continue
            which = stopped_by.get(p.reason)
            if which is not None and metric_id not in which:
                continue
            if p.idx < s_idx or p.start_us <= start_us:
                ps = s
            else:
                ps = p.start_us if continuous else P(p.start_us)
            pe_at: datetime | None
            if p.end_idx is None or p.end_idx > limit_idx:
                pe_at = final_at  # still paused at the stop, or at as_of (None)
                pe = limit
            else:
                pe_at = p.end
                pe = p.end_us if continuous else P(p.end_us)
            spans.append((p, ps, pe if pe > ps else ps, pe_at))
    paused_all = 0
    pauses: tuple[PauseSpan, ...] = ()
    if spans:
        paused_for_due, counted = _pause_for(spans, s, t)
        built: list[PauseSpan] = []
        for n, (p, ps, pe, pe_at) in enumerate(spans):
            paused_all += pe - ps
            span = _PauseBuilder(
                p.reason,
                start if p.start_us < start_us else p.start,
                pe_at,
                p.idx,
                _ONE_US * (pe - ps),
                n < counted,
            )
            span.__class__ = PauseSpan
            built.append(span)
        pauses = tuple(built)
    else:
        paused_for_due = 0
    if continuous:
        due_us = start_us + t + paused_for_due
        due = from_utc_micros(due_us)
    else:
        if base_due is not None and not paused_for_due:
            due = base_due
            due_us = utc_micros(due)
        elif t + paused_for_due > 0:
            due, due_us = info.ruler.at_us(s + t + paused_for_due)
        else:
            due = info.cal.add(start, _ZERO)
            due_us = utc_micros(due)
    elapsed = limit - s - paused_all
    stopped_at = ended_at = breached_at = None
    stop_event: int | None = None
    if final_at is not None:
        if end_idx is not None:
            ended_at = final_at
            state = "ended" if final_us <= due_us else "breached"
        else:
            stopped_at = final_at
            stop_event = final_idx
            state = "met" if final_us <= due_us else "breached"
    elif ctx.as_of_us > due_us:
        state = "breached"
    elif spans and spans[-1][3] is None:
        state = "paused"
    else:
        state = "running"
    if state == "breached":
        breached_at = due
    marks: tuple[AtRisk, ...] = ()
    if mp.at_risk:
        made: list[AtRisk] = []
        running = state == "running" or state == "paused"
        for pct, num, den in mp.at_risk:
            goal = (t * num * 2 + den) // (den * 2)  # t x percent / 100, to the microsecond
            at: datetime | None = None
            if running:
                extra = _pause_for(spans, s, goal)[0] if spans else 0
                if continuous:
                    at = from_utc_micros(start_us + goal + extra)
                elif goal + extra > 0:
                    at = info.ruler.at(s + goal + extra)
                else:
                    at = info.cal.add(start, _ZERO)
            mark = _AtRiskBuilder(pct, at, elapsed >= goal)
            mark.__class__ = AtRisk
            made.append(mark)
        marks = tuple(made)
    warnings: tuple[str, ...] = () if tie is None else (tie,)
    window = info.trust_window
    if window is not None:
        untrusted = start_us < window[0] or due_us > window[1]
    else:
        untrusted = info.trust_limited and info.cal.untrusted_between(start, due)
    if untrusted:
        warnings = (*warnings, _untrusted_text(info, start, due))
    return _MetricBuilder(
        mp.id,
        mp.kind,
        mp.clause,
        mp.text,
        info.name,
        mp.obligation,
        state,
        mp.starts,
        level,
        target.written,
        target.clause or mp.clause,
        target.time if t == target.delta else _ONE_US * t,
        start,
        None if s_idx < 0 else s_idx,
        None,
        due,
        stopped_at,
        stop_event,
        ended_at,
        breached_at,
        None,
        _ONE_US * elapsed,
        _ONE_US * (t - elapsed) if t > elapsed else _ZERO,
        _ONE_US * paused_all if paused_all else _ZERO,
        pauses,
        ((elapsed * 20_000 // t + 1) >> 1) / 100 if t else None,  # half up, 2 decimals
        marks,
        (),
        (),
        warnings,
        mp.source,
        info.tz,
    )
