"""A live ticket monitor on durable-rules: call back when an SLA deadline or warning is reached.

Needs the optional extra (``pip install 'warrantykit[durable]'``)::

    monitor = TicketMonitor(policy, on_alert)            # on_alert(decision, alert)
    key = monitor.open({"opened_at": "...", "channel": "phone", "severity": "complex"})
    monitor.event(key, "responded")                      # at = the monitor's clock
    monitor.event(key, "paused", reason="customer")
    monitor.event(key, {"type": "resumed", "reason": "customer", "at": "2024-10-08T09:00:00+08:00"})
    monitor.poll()                                       # fire expired timers (call it regularly)

Design
======

* **Deadlines come from the pure engine.** Every time something happens to a
  ticket the monitor evaluates it with ``policy.evaluate_ticket(ticket,
  as_of=clock())`` (business calendars, pauses, severity changes, reopening:
  ``docs/sla.md``). Each running clock has *alarms*: its due instant
  (``deadline``) and, unless ``warnings=False``, each ``at_risk_percent``
  threshold (``warning``). Paused clocks have none until they resume.
* **durable-rules holds the per-ticket control flow.** Each monitor owns one
  ruleset; each ticket is a durable session (``sid`` = the ticket key). A
  ticket event is posted to it; its rule's action records the event,
  re-evaluates, calls back for every alarm that is now reached and not yet
  reported, then cancels the ticket's timer and starts a new one for the
  next alarm. A timer's expiry (durable's ``timeout``) runs the same check.
* **The callback** receives the pure engine's :class:`TicketDecision` at the
  clock's instant and an :class:`Alert` (ticket key, metric, ``deadline`` or
  ``warning``, threshold, the alarm's instant). Each alarm is reported once
  per clock cycle (a reopened or restarted clock reports again), in the order
  the alarms were due; an alarm whose callback raised is reported again at the
  next event or check. A clock already past an alarm when the monitor sees it
  reports at once; a warning is not reported once its clock is past the
  deadline (the deadline is).
* **Time is injectable.** durable's timers are wall-clock, whole seconds and
  dispatched by background threads. This monitor's host has no background
  threads: :meth:`poll` dispatches the expired durable timers on the caller's
  thread (run it every second or so, e.g. from a scheduler), and the
  decision is always taken at ``clock()`` (default: ``datetime.now(UTC)``),
  not at the timer's wall-clock second. A timer that fires early (it is
  rounded up to whole seconds, from the wall clock's whole second) finds
  nothing reached and schedules itself again. Tests inject a clock and call
  :meth:`check` -- a synthetic timeout that runs the timer's rule -- instead
  of sleeping; :attr:`timers` shows what is scheduled.
* **Errors reach the caller.** An exception in an action (an invalid event,
  the callback raising) is kept by the action and re-raised by the call that
  posted the message (:meth:`open`, :meth:`event`, :meth:`check`,
  :meth:`poll`); an invalid event is not recorded.
* **Events.** An event's ``at`` defaults to the clock; an event stamped
  later than the clock is validated at once and counts once the clock reaches
  it (the pure engine ignores events after ``as_of``).
* **Threads and memory.** Creating monitors is safe from several threads (the
  ruleset is created under :mod:`warrantykit.engine.durable`'s module lock);
  each monitor handles one call at a time (its own lock). durable cannot
  remove a ruleset: each monitor's stays until the process ends, so create one
  monitor per policy and keep it; :meth:`close` forgets a ticket.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from warrantykit.engine.durable import BACKEND, durable_host, new_ruleset
from warrantykit.errors import EvaluationError, FactsError, Problem
from warrantykit.facts import Ticket, TicketEvent, parse_facts

if TYPE_CHECKING:
    from warrantykit.engine.compiled import Policy
    from warrantykit.engine.sla import MetricStatus, TicketDecision

__all__ = ["Alert", "Callback", "Clock", "TicketMonitor"]

Clock = Callable[[], datetime]
"""Returns the current instant (an aware ``datetime``)."""

_TIMER: Final = "deadline"


@dataclass(frozen=True, slots=True)
class Alert:
    """An alarm of one metric of one ticket that has been reached."""

    ticket: str
    """The ticket's key in the monitor (``ticket.id``, or the key :meth:`TicketMonitor.open` gave)."""
    metric: str
    kind: str
    """``deadline`` (the due instant) or ``warning`` (an at-risk threshold)."""
    percent: Decimal | None
    """The threshold of a warning (``None`` for a deadline)."""
    at: datetime
    """When the alarm was due (the metric's due instant or the threshold instant)."""
    now: datetime
    """The clock when it was reported."""


Callback = Callable[["TicketDecision", Alert], None]


@dataclass(slots=True)
class _Watch:
    ticket: Ticket
    reported: set[tuple[Any, ...]] = field(default_factory=set)
    timer: tuple[datetime, int] | None = None
    decision: TicketDecision | None = None


def _now_utc() -> datetime:
    return datetime.now(UTC)


def _timeout_rule(name: str) -> dict[str, Any]:
    """durable's ``timeout(name)`` condition, as data."""
    return {
        "m$all": [
            {"base": {"$timerName": name}},
            {"timeout": {"$gte": {"$time": {"base": "$baseTime"}}}},
        ]
    }


class TicketMonitor:
    """Watch tickets and call ``callback(decision, alert)`` when a deadline or warning is reached."""

    def __init__(
        self,
        policy: Policy,
        callback: Callback,
        *,
        clock: Clock | None = None,
        warnings: bool = True,
    ) -> None:
        if policy.document.sla is None:
            raise EvaluationError(f"policy {policy.id} has no sla section to monitor")
        self.policy = policy
        self.callback = callback
        self.clock: Clock = clock or _now_utc
        self.warnings = warnings
        self._watches: dict[str, _Watch] = {}
        self._errors: list[BaseException] = []
        self._lock = threading.RLock()
        self._keys = itertools.count(1)
        rules = {
            "event": {"all": [{"m": {"wk": "event"}}], "run": self._guard(self._on_event)},
            "check": {"all": [{"m": {"wk": "check"}}], "run": self._guard(self._on_check)},
            "close": {"all": [{"m": {"wk": "close"}}], "run": self._guard(self._on_close)},
            "timer": {"all": [_timeout_rule(_TIMER)], "run": self._guard(self._on_check)},
        }
        self.name, self._ruleset = new_ruleset("tickets", policy.content_hash, rules)
        self._host = durable_host()

    # ------------------------------------------------------------ public

    @property
    def timers(self) -> dict[str, tuple[datetime, int]]:
        """Scheduled durable timers: ticket key -> (alarm instant, whole seconds requested)."""
        with self._lock:
            return {k: w.timer for k, w in self._watches.items() if w.timer is not None}

    @property
    def tickets(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._watches)

    def open(self, ticket: Ticket | Mapping[str, Any] | str | bytes) -> str:
        """Start watching ``ticket`` (its ``opened_at`` and any events so far); returns its key."""
        model = ticket if isinstance(ticket, Ticket) else parse_facts(Ticket, ticket, name="ticket")
        with self._lock:
            key = model.id or f"ticket-{next(self._keys)}"
            if key in self._watches:
                raise FactsError(Problem(f"ticket {key!r} is already watched", path="ticket.id"))
            self._staged = (key, model)
            self._post({"sid": key, "wk": "event", "type": "opened"})
            return key

    def event(
        self, key: str, event: TicketEvent | Mapping[str, Any] | str, **fields: Any
    ) -> TicketDecision:
        """Record an event of ticket ``key`` (a :class:`TicketEvent`, its data, or just its
        type with ``fields``; ``at`` defaults to the clock) and act on it.

        Returns the decision at the clock's instant. Raises ``FactsError`` for an event
        the ticket cannot take (it is not recorded).
        """
        with self._lock:
            watch = self._watch(key)
            if isinstance(event, TicketEvent):
                model = event
            else:
                data: dict[str, Any] = (
                    {"type": event, **fields} if isinstance(event, str) else {**event, **fields}
                )
                data.setdefault("at", self.clock())
                model = parse_facts(TicketEvent, data, name="event")
            self._staged = (key, watch.ticket.model_copy(update={"events": (*watch.ticket.events, model)}))
            self._post({"sid": key, "wk": "event", "type": model.type.value})
            decision = self._watches[key].decision
            assert decision is not None
            return decision

    def check(self, key: str | None = None) -> None:
        """A synthetic timeout: run the timer rule now for ticket ``key`` (all tickets when
        ``None``), at the clock's instant. Tests drive the monitor with it."""
        with self._lock:
            keys = [key] if key is not None else list(self._watches)
            for k in keys:
                self._watch(k)
                self._post({"sid": k, "wk": "check"})

    def poll(self) -> None:
        """Dispatch the durable timers that expired (wall clock) and run their rules here."""
        with self._lock:
            self._ruleset.dispatch_timers()
            for _ in range(4 * len(self._watches) + 4):
                before = self._dispatched
                self._ruleset.dispatch()
                if self._dispatched == before:
                    break
            self._raise()

    def decision(self, key: str) -> TicketDecision:
        """The ticket's decision at the clock's instant (pure engine)."""
        with self._lock:
            return self.policy.evaluate_ticket(self._watch(key).ticket, as_of=self.clock())

    def close(self, key: str) -> None:
        """Stop watching ticket ``key`` (cancels its timer)."""
        with self._lock:
            self._watch(key)
            self._post({"sid": key, "wk": "close"})

    # ------------------------------------------------------------ plumbing

    _staged: tuple[str, Ticket] | None = None
    _dispatched = 0

    def _watch(self, key: str) -> _Watch:
        watch = self._watches.get(key)
        if watch is None:
            raise FactsError(Problem(f"ticket {key!r} is not watched", path="ticket"))
        return watch

    def _post(self, message: dict[str, Any]) -> None:
        try:
            self._host.post(self.name, message)
        finally:
            self._staged = None
        self._raise()

    def _raise(self) -> None:
        if self._errors:
            error = self._errors[0]
            self._errors.clear()
            raise error

    def _guard(self, action: Callable[[Any], None]) -> Callable[[Any], None]:
        """durable swallows an action's exception into the session state: keep it instead."""

        def run(c: Any) -> None:
            self._dispatched += 1
            try:
                action(c)
            except BaseException as exc:  # re-raised by the call that posted the message
                self._errors.append(exc)

        return run

    def _on_event(self, c: Any) -> None:
        staged = self._staged
        key = str(c.s.sid)
        if staged is None or staged[0] != key:  # pragma: no cover - not posted by this monitor
            raise RuntimeError(f"{BACKEND}: unexpected event for ticket {key!r}")
        now = self.clock()
        # validate first: an event the pure engine rejects is not recorded
        decision = self.policy.evaluate_ticket(staged[1], as_of=now)
        watch = self._watches.get(key)
        if watch is None:
            watch = self._watches[key] = _Watch(staged[1])
        watch.ticket = staged[1]
        self._alarms(c, key, watch, decision, now)

    def _on_check(self, c: Any) -> None:
        key = str(c.s.sid)
        watch = self._watches.get(key)
        if watch is None:
            return  # a timer of a closed ticket
        now = self.clock()
        self._alarms(c, key, watch, self.policy.evaluate_ticket(watch.ticket, as_of=now), now)

    def _on_close(self, c: Any) -> None:
        key = str(c.s.sid)
        c.cancel_timer(_TIMER)
        self._watches.pop(key, None)

    def _alarms(
        self, c: Any, key: str, watch: _Watch, decision: TicketDecision, now: datetime
    ) -> None:
        """Report reached alarms, then (re)start the timer for the next one."""
        watch.decision = decision
        upcoming: list[datetime] = []
        due_now: list[tuple[datetime, int, tuple[Any, ...], Alert]] = []
        for metric in decision.metrics:
            for alarm_key, kind, percent, at, reached in self._metric_alarms(metric, now):
                if alarm_key in watch.reported:
                    continue
                if reached:
                    alert = Alert(ticket=key, metric=metric.id, kind=kind, percent=percent, at=at, now=now)
                    due_now.append((at, len(due_now), alarm_key, alert))
                else:
                    upcoming.append(at)
        c.cancel_timer(_TIMER)
        watch.timer = None
        if upcoming:
            due = min(upcoming)
            seconds = max(1, math.ceil((due - now).total_seconds()))
            c.start_timer(_TIMER, seconds)
            watch.timer = (due, seconds)
        for _, _, alarm_key, alert in sorted(due_now):  # in the order they were due
            self.callback(decision, alert)  # raising: reported again at the next check
            watch.reported.add(alarm_key)

    def _metric_alarms(
        self, m: MetricStatus, now: datetime
    ) -> list[tuple[tuple[Any, ...], str, Decimal | None, datetime, bool]]:
        """(report key, kind, percent, instant, reached) of one metric's alarms."""
        out: list[tuple[tuple[Any, ...], str, Decimal | None, datetime, bool]] = []
        cycle = (m.id, m.start, len(m.cycles))
        if m.due is not None and m.state in ("running", "breached", "due"):
            reached = m.state != "running" or m.due <= now
            out.append(((*cycle, "deadline"), "deadline", None, m.due, reached))
        if self.warnings and m.state == "running":
            for a in m.at_risk:
                if a.at is not None:
                    out.append(((*cycle, "warning", a.percent), "warning", a.percent, a.at, a.reached))
        return out
