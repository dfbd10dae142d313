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

Events later than ``as_of`` are validated but not used.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, TypeVar
from zoneinfo import ZoneInfo

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
    "AtRisk",
    "Cycle",
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
_CHECKED = frozenset({_PAUSED, _RESUMED, _ESCALATED, _SEVERITY_CHANGED, _REOPENED})


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
            "calendar": self.calendar,
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


@dataclass(frozen=True)
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
            "counts": dict(sorted(counts.items())),
            "metrics": [m.to_json() for m in self.metrics],
            "not_applicable": [n.to_json() for n in self.not_applicable],
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
    working_days: int | None
    clause: str | None


@dataclass(frozen=True, slots=True)
class _CalInfo:
    name: str
    cal: BusinessCalendar
    tz: ZoneInfo
    standard: tuple[WorkingInterval, ...]
    trust_limited: bool
    trust_window: tuple[datetime, datetime] | None
    """UTC instants [1 Jan of the first, 1 Jan after the last trusted year) in the
    calendar's zone, when ``trusted_years`` is given: a span inside it is trusted."""
    continuous: bool


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
            targets.append(
                _TargetPlan(
                    index=i,
                    severity=sev,
                    channel=ch,
                    region=rg,
                    specificity=(sev is not None) + (ch is not None) + (rg is not None),
                    written=str(t.within),
                    delta=None if wd is not None else t.within.as_timedelta() // _ONE_US,
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


def _trust_window(cal: BusinessCalendar) -> tuple[datetime, datetime] | None:
    if cal.trusted_years is None:
        return None
    first, last = cal.trusted_years
    lo = datetime(first, 1, 1, tzinfo=cal.tz).astimezone(UTC)
    hi = (
        datetime(last + 1, 1, 1, tzinfo=cal.tz).astimezone(UTC)
        if last < 9999
        else datetime.max.replace(tzinfo=UTC)
    )
    return lo, hi


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
    metrics: list[_MetricPlan] = []
    for i, m in enumerate(spec.metrics):
        info = cals.get(m.calendar)
        if info is None:
            cal = business_calendar(policy, m.calendar)
            info = cals[m.calendar] = _CalInfo(
                name=m.calendar,
                cal=cal,
                tz=cal.tz,
                standard=_standard_day(cal),
                trust_limited=cal.trusted_years is not None or cal.country is not None,
                trust_window=_trust_window(cal),
                continuous=cal.continuous,
            )
        metrics.append(_MetricPlan(m, info, _locate(policy, ("sla", "metrics", i))))
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
    )


# ---------------------------------------------------------------- per ticket


class _Pause:
    __slots__ = ("end", "end_idx", "idx", "reason", "start")

    def __init__(self, idx: int, start: datetime, reason: str) -> None:
        self.idx = idx
        self.start = start
        self.reason = reason
        self.end: datetime | None = None
        self.end_idx: int | None = None


class _Ctx:
    """What every clock of one ticket reads.  Every instant is normalised to UTC once:
    comparing datetimes that share one tzinfo is an order of magnitude cheaper than
    comparing ones with different (e.g. pydantic's per-value) tzinfo objects."""

    __slots__ = (
        "as_of",
        "ats",
        "cut",
        "occ",
        "opened",
        "pauses",
        "positions",
        "reopens",
        "sev_changes",
    )

    def __init__(self, opened: datetime, as_of: datetime) -> None:
        self.opened = opened
        self.as_of = as_of
        self.ats: list[datetime] = []
        self.cut = 0
        self.occ: dict[str, list[int]] = {}
        self.pauses: list[_Pause] = []
        self.reopens: list[int] = []
        self.sev_changes: list[tuple[int, datetime, str]] = []
        self.positions: dict[str, dict[datetime, int]] = {}

    def first_after(self, key: str, k: int) -> int | None:
        found = self.occ.get(key)
        if not found:
            return None
        j = bisect_right(found, k)
        return found[j] if j < len(found) else None

    def pos(self, info: _CalInfo, at: datetime) -> int:
        """Business microseconds from ``opened`` to ``at`` on the calendar (cached per ticket).

        A continuous calendar (7x24 without holidays) counts real time, exactly as
        :meth:`BusinessCalendar.between` does for it."""
        if info.continuous:
            return (at - self.opened) // _ONE_US
        if at is self.opened:
            return 0
        table = self.positions.get(info.name)
        if table is None:
            table = self.positions[info.name] = {}
        value = table.get(at)
        if value is None:
            value = table[at] = info.cal.between(self.opened, at) // _ONE_US
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
    opened = ctx.opened
    as_of = ctx.as_of
    prev = opened
    prev_idx = -1
    open_pause: _Pause | None = None
    resolved = False
    ats = ctx.ats
    occ = ctx.occ
    cut = 0
    events = ticket.events
    for i, e in enumerate(events):
        at = e.at.astimezone(UTC)
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
        known = at <= as_of
        if known:
            cut = i + 1
            ats.append(at)
            occ.setdefault(kind, []).append(i)  # a StrEnum member is its own str key
        base = f"ticket.events[{i}]" if kind in _CHECKED else ""
        if kind is _PAUSED:
            reason = e.reason
            if reason is None:
                problems.append(
                    _problem(f"{base}.reason", "a pause needs a reason (S13)", "missing-reason")
                )
            elif reason not in plan.pause_ids:
                declared = ", ".join(sorted(plan.pause_ids)) or "none"
                problems.append(
                    _problem(
                        f"{base}.reason",
                        f"unknown pause reason {reason!r}; the policy declares {declared}",
                        "unknown-pause-reason",
                    )
                )
            if open_pause is not None:
                problems.append(
                    _problem(
                        base,
                        f"paused while already paused (since ticket.events[{open_pause.idx}])",
                        "pause-while-paused",
                    )
                )
            else:
                open_pause = _Pause(i, at, reason or "")
                if known:
                    ctx.pauses.append(open_pause)
        elif kind is _RESUMED:
            if open_pause is None:
                problems.append(
                    _problem(base, "resumed without a pause in progress", "resume-without-pause")
                )
            else:
                if e.reason is not None and e.reason != open_pause.reason:
                    problems.append(
                        _problem(
                            f"{base}.reason",
                            f"resumes reason {e.reason!r} but the pause in progress "
                            f"(ticket.events[{open_pause.idx}]) has reason "
                            f"{open_pause.reason!r}",
                            "resume-mismatch",
                        )
                    )
                if known:
                    open_pause.end = at
                    open_pause.end_idx = i
                open_pause = None
        elif kind is _ESCALATED:
            if e.to is None:
                problems.append(
                    _problem(f"{base}.to", "an escalation needs 'to' (a channel)", "missing-to")
                )
            elif e.to not in plan.channels:
                problems.append(
                    _problem(
                        f"{base}.to",
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
                        f"{base}.severity",
                        "a severity change needs 'severity'",
                        "missing-severity",
                    )
                )
            elif e.severity not in plan.level_set:
                problems.append(
                    _problem(
                        f"{base}.severity",
                        f"unknown severity {e.severity!r}; the policy declares "
                        f"{', '.join(plan.levels)}",
                        "unknown-severity",
                    )
                )
            elif known:
                ctx.sev_changes.append((i, at, e.severity))
        elif kind is _REOPENED:
            if not resolved:
                problems.append(
                    _problem(base, "reopened, but the ticket is not resolved", "reopen-unresolved")
                )
            resolved = False
            if known:
                ctx.reopens.append(i)
        elif kind is _RESOLVED:
            resolved = True
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
    missing = tuple(dict.fromkeys(undecided))
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


def _as_of(value: object) -> datetime:
    if not isinstance(value, datetime):
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
    return value


def evaluate_ticket(
    policy: Policy, ticket: Ticket | Mapping[str, Any] | str | bytes, *, as_of: datetime
) -> TicketDecision:
    """The SLA status of ``ticket`` under ``policy`` at ``as_of`` (see the module docstring).

    :raises FactsError: invalid ticket data, naive datetimes, unknown severity,
        channel, region or pause reason, an event log out of order or with a
        resume without a pause, a pause while paused, events before opening.
    """
    when = _as_of(as_of)
    plan = compile_sla(policy)
    facts = ticket if isinstance(ticket, Ticket) else parse_facts(Ticket, ticket, name="ticket")
    ctx = _Ctx(facts.opened_at.astimezone(UTC), when.astimezone(UTC))
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
    severity = _make(
        SeverityDecision,
        {
            "level": current,
            "source": "changed" if changes else source,
            "initial": initial,
            "initial_source": source,
            "rule": rule_idx,
            "clause": clause,
            "missing": sev_missing if current is None else (),
            "changes": tuple(changes),
        },
    )
    metrics: list[MetricStatus] = []
    not_applicable: list[NotApplicable] = []
    for mp in plan.metrics:
        result = _evaluate_metric(plan, mp, facts, ctx, initial, sev_missing)
        if isinstance(result, NotApplicable):
            not_applicable.append(result)
        else:
            metrics.append(result)
    if ctx.pauses:
        seen: set[str] = set()
        for pause in ctx.pauses:
            if pause.reason not in seen:
                seen.add(pause.reason)
                reason_data.append(plan.pause_reason[pause.reason])
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
        },
    )


def _status(metrics: list[MetricStatus]) -> str:
    states = {m.state for m in metrics}
    if "breached" in states:
        return "breached"
    if "due" in states:
        return "obligation_due"
    if "undetermined" in states:
        return "undetermined"
    for m in metrics:
        if m.at_risk_now:
            return "at_risk"
    return "on_track"


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


class _Clock:
    """One run of a clock from ``start`` with one target (mutable while it is built).

    Business times (``t``, ``elapsed``, ``remaining``, ``paused``) are integer microseconds."""

    __slots__ = (
        "at_risk",
        "breached_at",
        "due",
        "elapsed",
        "end_at",
        "level",
        "paused",
        "pauses",
        "percent",
        "remaining",
        "restarted_by",
        "start",
        "start_idx",
        "state",
        "stop_at",
        "stop_idx",
        "t",
        "target",
        "warnings",
    )

    def __init__(self, target: _TargetPlan, level: str | None, start: datetime, s_idx: int) -> None:
        self.target = target
        self.level = level
        self.start = start
        self.start_idx = s_idx
        self.restarted_by: str | None = None
        self.t = 0
        self.due: datetime | None = None
        self.stop_at: datetime | None = None
        self.stop_idx: int | None = None
        self.end_at: datetime | None = None
        self.breached_at: datetime | None = None
        self.state = "running"
        self.elapsed = 0
        self.remaining = 0
        self.paused = 0
        self.pauses: tuple[PauseSpan, ...] = ()
        self.percent: float | None = None
        self.at_risk: tuple[AtRisk, ...] = ()
        self.warnings: list[str] = []


_OBLIGATION_STATE: Final = {"met": "not_due", "breached": "due"}
"""How an obligation metric names the verdicts of its clock."""

_NoTarget = tuple[str | None, tuple[str, ...]]
"""(severity, missing fact paths): no target applies (missing empty) or it is undecided."""


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
        return _status_of(
            mp,
            state="pending",
            severity=level,
            target=target,
            start=None,
            start_idx=-1,
            clock=None,
            missing=missing,
            warnings=(tie,) if tie else (),
            cycles=(),
            fulfilled_at=None,
        )
    # cycles: `reopened` restarts the clocks stopped by `resolved`
    cycles: list[Cycle] = []
    reopened = False
    while True:
        outcome = _run(plan, mp, ctx, start, s_idx, initial, sev_missing, channel, region)
        nxt: int | None = None
        if mp.restarts and ctx.reopens:
            stop_idx = ctx.first_after(mp.stops, s_idx)
            if stop_idx is not None:
                for r in ctx.reopens:
                    if r > stop_idx:
                        nxt = r
                        break
        if nxt is None:
            break
        if isinstance(outcome, _Clock):
            state = outcome.state
            if mp.obligation:
                state = _OBLIGATION_STATE.get(state, state)
            cycles.append(
                Cycle(outcome.start, outcome.due, outcome.stop_at, state, outcome.breached_at)
            )
        else:
            state = "undetermined" if outcome[1] else "not_applicable"
            cycles.append(Cycle(start, None, None, state, None))
        start, s_idx = ctx.ats[nxt], nxt
        reopened = True
    if not isinstance(outcome, _Clock):
        level, missing = outcome
        if not missing:
            return _not_applicable(mp, level, channel, region)
        return _status_of(
            mp,
            state="undetermined",
            severity=level,
            target=None,
            start=start,
            start_idx=s_idx,
            clock=None,
            missing=missing,
            warnings=(),
            cycles=tuple(cycles),
            fulfilled_at=None,
        )
    clock = outcome
    if reopened and clock.restarted_by is None:
        clock.restarted_by = "reopened"
    fulfilled_at = None
    state = clock.state
    if mp.obligation:
        state = _OBLIGATION_STATE.get(state, state)
        if state == "due":
            if mp.fulfil is not None:
                f_idx = ctx.first_after(mp.fulfil, s_idx)
                if f_idx is not None:
                    fulfilled_at = ctx.ats[f_idx]
                    state = "fulfilled"
    return _status_of(
        mp,
        state=state,
        severity=clock.level,
        target=clock.target,
        start=clock.start,
        start_idx=clock.start_idx,
        clock=clock,
        missing=(),
        warnings=tuple(clock.warnings),
        cycles=tuple(cycles),
        fulfilled_at=fulfilled_at,
    )


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
    start: datetime,
    s_idx: int,
    initial: str | None,
    sev_missing: tuple[str, ...],
    channel: str | None,
    region: str | None,
) -> _Clock | _NoTarget:
    """One cycle of a clock from ``start``, severity changes applied per ``on_severity_change``."""
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
        clock = _clock(plan, mp, ctx, _Clock(target, level, start, s_idx), stop_idx, end_idx)
        if tie:
            clock.warnings.insert(0, tie)
        return clock
    # from_change: one segment per severity change logged while the clock ran
    segments: list[tuple[datetime, int, str | None]] = [
        (start, s_idx, _severity_at(initial, changes, s_idx + 1))
    ]
    for idx, at, new in changes:
        if s_idx < idx < limit:
            segments.append((at, idx, new))
    result: _Clock | _NoTarget = (None, ())
    for n, (seg_at, seg_idx, level) in enumerate(segments):
        target, missing, tie = mp.choose(level, sev_missing, channel, region)
        is_last = n == len(segments) - 1
        if target is None:
            result = (level, missing)
            continue
        clock = _clock(plan, mp, ctx, _Clock(target, level, seg_at, seg_idx), stop_idx, end_idx)
        if n:
            clock.restarted_by = "severity_changed"
        if tie:
            clock.warnings.insert(0, tie)
        result = clock
        if not is_last:
            next_at = segments[n + 1][0]
            assert clock.due is not None
            if clock.due < next_at:
                # breached before the change: the breach stands
                clock.state = "breached"
                clock.breached_at = clock.due
                clock.stop_at = clock.end_at = None
                clock.stop_idx = None
                clock.warnings.append(
                    f"breached at {clock.due.isoformat()}, before the severity change at "
                    f"{next_at.isoformat()}"
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
    clock: _Clock,
    stop_idx: int | None,
    end_idx: int | None,
) -> _Clock:
    """Deadline, pauses and verdict of ``clock`` (its target, level and start are set).

    Positions are business microseconds since the ticket was opened on the metric's
    calendar (:meth:`_Ctx.pos`); ``between(a, b) == pos(b) - pos(a)``."""
    info = mp.cal
    cal = info.cal
    continuous = info.continuous
    pos = ctx.pos
    start = clock.start
    s_idx = clock.start_idx
    target = clock.target
    s = pos(info, start)
    base_due: datetime | None = None
    if target.delta is not None:
        t = target.delta
    else:
        day = start.astimezone(info.tz).date()
        base_due = _end_of_working_day(info, cal.add_working_days(day, target.working_days or 0))
        t = pos(info, base_due.astimezone(UTC)) - s
        if t < 0:  # 0 working days, started after the close of business
            t = 0
            base_due = None
    final_idx = stop_idx if end_idx is None else end_idx
    final_at = None if final_idx is None else ctx.ats[final_idx]
    limit_at = ctx.as_of if final_at is None else final_at
    limit_idx = ctx.cut if final_idx is None else final_idx
    # pauses whose reason stops this metric, clipped to [start, limit]
    spans: list[_Span] = []
    if ctx.pauses:
        stopped_by = plan.stopped_by
        for p in ctx.pauses:
            if p.idx >= limit_idx:
                break
            if p.end_idx is not None and p.end_idx <= s_idx:
                continue
            which = stopped_by.get(p.reason)
            if which is not None and mp.id not in which:
                continue
            ps = s if p.idx < s_idx or p.start <= start else pos(info, p.start)
            pe_at: datetime | None
            if p.end_idx is None or p.end_idx > limit_idx:
                pe_at = final_at  # still paused at the stop, or at as_of (None)
                pe = pos(info, limit_at)
            else:
                pe_at = p.end
                assert pe_at is not None
                pe = pos(info, pe_at)
            spans.append((p, ps, pe if pe > ps else ps, pe_at))

    paused_for_due, counted = _pause_for(spans, s, t) if spans else (0, 0)
    if continuous:
        due = start + _ONE_US * (t + paused_for_due)
        due_utc = due
    else:
        if base_due is not None and not paused_for_due:
            due = base_due
        else:
            due = cal.add(start, _ONE_US * (t + paused_for_due))
        due_utc = due.astimezone(UTC)
    paused_all = 0
    if spans:
        pause_spans: list[PauseSpan] = []
        for n, (p, ps, pe, pe_at) in enumerate(spans):
            paused_all += pe - ps
            pause_spans.append(
                _make(
                    PauseSpan,
                    {
                        "reason": p.reason,
                        "start": start if p.start < start else p.start,
                        "end": pe_at,
                        "event": p.idx,
                        "business_time": _ONE_US * (pe - ps),
                        "counted": n < counted,
                    },
                )
            )
        clock.pauses = tuple(pause_spans)
    clock.t = t
    clock.due = due
    clock.paused = paused_all
    elapsed = pos(info, limit_at) - s - paused_all
    if final_at is not None:
        if end_idx is not None:
            clock.end_at = final_at
            state = "ended" if final_at <= due_utc else "breached"
        else:
            clock.stop_at = final_at
            clock.stop_idx = final_idx
            state = "met" if final_at <= due_utc else "breached"
    elif ctx.as_of > due_utc:
        state = "breached"
    elif spans and spans[-1][3] is None:
        state = "paused"
    else:
        state = "running"
    if state == "breached":
        clock.breached_at = due
    clock.state = state
    clock.elapsed = elapsed
    clock.remaining = t - elapsed if t > elapsed else 0
    # percent used, rounded half up to 2 decimals (integer arithmetic)
    clock.percent = ((elapsed * 20_000 // t + 1) >> 1) / 100 if t else None
    if mp.at_risk:
        marks: list[AtRisk] = []
        running = state == "running" or state == "paused"
        for pct, num, den in mp.at_risk:
            goal = (t * num * 2 + den) // (den * 2)  # t x percent / 100, to the microsecond
            at: datetime | None = None
            if running:
                extra = _pause_for(spans, s, goal)[0] if spans else 0
                if continuous:
                    at = start + _ONE_US * (goal + extra)
                else:
                    at = cal.add(start, _ONE_US * (goal + extra))
            marks.append(_make(AtRisk, {"percent": pct, "at": at, "reached": elapsed >= goal}))
        clock.at_risk = tuple(marks)
    window = info.trust_window
    if window is not None:
        untrusted = start < window[0] or due_utc > window[1]
    else:
        untrusted = info.trust_limited and cal.untrusted_between(start, due)
    if untrusted:
        years = cal.trusted_years
        span = f" (trusted {years[0]}-{years[1]})" if years else ""
        clock.warnings.append(
            f"holiday data of calendar '{info.name}' is not trusted{span} for every day from "
            f"{start.astimezone(info.tz).date()} to the deadline {due.astimezone(info.tz).date()}"
        )
    return clock


def _status_of(
    mp: _MetricPlan,
    *,
    state: str,
    severity: str | None,
    target: _TargetPlan | None,
    start: datetime | None,
    start_idx: int,
    clock: _Clock | None,
    missing: tuple[str, ...],
    warnings: tuple[str, ...],
    cycles: tuple[Cycle, ...],
    fulfilled_at: datetime | None,
) -> MetricStatus:
    if clock is None:
        return _make(
            MetricStatus,
            {
                "id": mp.id,
                "kind": mp.kind,
                "clause": mp.clause,
                "text": mp.text,
                "calendar": mp.cal.name,
                "obligation": mp.obligation,
                "state": state,
                "starts": mp.starts,
                "severity": severity,
                "target": None if target is None else target.written,
                "target_clause": None if target is None else (target.clause or mp.clause),
                "target_time": None,
                "start": start,
                "start_event": None if start_idx < 0 else start_idx,
                "restarted_by": None,
                "due": None,
                "stopped_at": None,
                "stop_event": None,
                "ended_at": None,
                "breached_at": None,
                "fulfilled_at": fulfilled_at,
                "elapsed": None,
                "remaining": None,
                "paused": _ZERO,
                "pauses": (),
                "percent_used": None,
                "at_risk": (),
                "cycles": cycles,
                "missing": missing,
                "warnings": warnings,
                "source": mp.source,
                "zone": mp.cal.tz,
            },
        )
    t = clock.target
    return _make(
        MetricStatus,
        {
            "id": mp.id,
            "kind": mp.kind,
            "clause": mp.clause,
            "text": mp.text,
            "calendar": mp.cal.name,
            "obligation": mp.obligation,
            "state": state,
            "starts": mp.starts,
            "severity": severity,
            "target": t.written,
            "target_clause": t.clause or mp.clause,
            "target_time": _ONE_US * clock.t,
            "start": start,
            "start_event": None if start_idx < 0 else start_idx,
            "restarted_by": clock.restarted_by,
            "due": clock.due,
            "stopped_at": clock.stop_at,
            "stop_event": clock.stop_idx,
            "ended_at": clock.end_at,
            "breached_at": clock.breached_at,
            "fulfilled_at": fulfilled_at,
            "elapsed": _ONE_US * clock.elapsed,
            "remaining": _ONE_US * clock.remaining,
            "paused": _ONE_US * clock.paused if clock.paused else _ZERO,
            "pauses": clock.pauses,
            "percent_used": clock.percent,
            "at_risk": clock.at_risk,
            "cycles": cycles,
            "missing": missing,
            "warnings": warnings,
            "source": mp.source,
            "zone": mp.cal.tz,
        },
    )
