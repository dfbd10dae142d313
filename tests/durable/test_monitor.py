"""The live ticket monitor, driven by an injected clock and synthetic timeouts (no sleeping)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

import pytest

pytest.importorskip("durable.engine", reason="durable-rules is not installed (the 'durable' extra)")

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.engine.monitor import Alert, TicketMonitor
from warrantykit.engine.sla import TicketDecision
from warrantykit.errors import EvaluationError, FactsError

CN = timezone(timedelta(hours=8))
OPENED = datetime(2024, 9, 27, 15, 0, tzinfo=CN)  # a Friday

POLICY = """\
id: monitor-test
version: 1.0.0
title: monitor test policy
source: {name: test}
timezone: Asia/Shanghai
sla:
  clause: T
  severities: [{id: high}, {id: low}]
  default_severity: low
  channels: [phone]
  pause_reasons:
    - {id: customer, clause: T.P}
  metrics:
    - id: response
      clause: T.R
      kind: response
      stops: responded
      targets: [{severity: high, within: 10 minutes}, {severity: low, within: 1 hour}]
      at_risk_percent: [50, 75]
    - id: resolution
      clause: T.S
      kind: resolution
      stops: resolved
      targets: [{within: 8 hours}]
"""


@cache
def policy() -> Policy:
    return load_policy(POLICY)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[TicketDecision, Alert]] = []

    def __call__(self, decision: TicketDecision, alert: Alert) -> None:
        self.calls.append((decision, alert))

    def seen(self) -> list[tuple[str, str, Decimal | None]]:
        return [(a.metric, a.kind, a.percent) for _, a in self.calls]


def watch(**facts: object) -> tuple[TicketMonitor, Clock, Recorder, str]:
    clock, recorder = Clock(OPENED), Recorder()
    monitor = TicketMonitor(policy(), recorder, clock=clock)
    key = monitor.open({"id": "T-1", "opened_at": OPENED.isoformat(), "channel": "phone", **facts})
    return monitor, clock, recorder, key


def test_alarms_come_from_the_pure_engine_at_warning_and_deadline() -> None:
    monitor, clock, recorder, key = watch()
    # the next alarm is the 50 % warning of the 1 hour response, in whole seconds
    due, seconds = monitor.timers[key]
    assert due == OPENED + timedelta(minutes=30)
    assert seconds == 1800
    clock.advance(minutes=29, seconds=59)
    monitor.check()
    assert recorder.calls == []
    assert monitor.timers[key] == (OPENED + timedelta(minutes=30), 1)
    clock.advance(seconds=1)
    monitor.check()
    assert recorder.seen() == [("response", "warning", Decimal(50))]
    decision, alert = recorder.calls[0]
    assert isinstance(decision, TicketDecision)
    assert decision.status == "at_risk"
    assert decision.as_of == clock.now
    assert alert.ticket == key and alert.at == OPENED + timedelta(minutes=30) and alert.now == clock.now
    clock.advance(minutes=15)
    monitor.check()
    clock.advance(minutes=15)
    monitor.check()
    monitor.check()  # reported once
    assert recorder.seen() == [
        ("response", "warning", Decimal(50)),
        ("response", "warning", Decimal(75)),
        ("response", "deadline", None),
    ]
    decision, alert = recorder.calls[-1]
    assert decision.metric("response").state == "running"  # exactly at the due instant
    assert alert.at == OPENED + timedelta(hours=1)
    # next: the 8 hour resolution deadline
    assert monitor.timers[key] == (OPENED + timedelta(hours=8), 7 * 3600)


def test_an_event_stops_a_clock_and_cancels_its_alarms() -> None:
    monitor, clock, recorder, key = watch()
    clock.advance(minutes=20)
    decision = monitor.event(key, "responded")
    assert decision.metric("response").state == "met"
    assert monitor.timers[key] == (OPENED + timedelta(hours=8), int(7 * 3600 + 40 * 60))
    clock.advance(hours=2)
    monitor.check()
    assert recorder.calls == []
    monitor.event(key, "resolved")
    assert key not in monitor.timers  # nothing left to wait for
    clock.advance(hours=10)
    monitor.check()
    assert recorder.calls == []


def test_a_pause_moves_the_deadline() -> None:
    monitor, clock, recorder, key = watch(severity="high")
    clock.advance(minutes=2)
    monitor.event(key, "paused", reason="customer")
    # the paused response clock has no alarm; the 8 h resolution clock is paused too
    assert key not in monitor.timers
    clock.advance(hours=1)
    monitor.check()
    assert recorder.calls == []
    monitor.event(key, {"type": "resumed", "reason": "customer", "at": clock.now.isoformat()})
    # 2 of 10 minutes used: 50 % is at 3 more minutes
    assert monitor.timers[key] == (clock.now + timedelta(minutes=3), 180)
    clock.advance(minutes=8)
    monitor.check()
    assert recorder.seen() == [
        ("response", "warning", Decimal(50)),
        ("response", "warning", Decimal(75)),
        ("response", "deadline", None),
    ]
    assert recorder.calls[-1][0].metric("response").due == OPENED + timedelta(hours=1, minutes=10)


def test_a_late_event_reports_the_breach_at_once() -> None:
    monitor, clock, recorder, key = watch()
    clock.advance(hours=9)
    monitor.event(key, "responded")  # the monitor was never ticked: both deadlines passed
    assert ("response", "deadline", None) in recorder.seen()
    assert ("resolution", "deadline", None) in recorder.seen()
    assert all(d.status == "breached" for d, _ in recorder.calls)


def test_warnings_can_be_turned_off() -> None:
    clock, recorder = Clock(OPENED), Recorder()
    monitor = TicketMonitor(policy(), recorder, clock=clock, warnings=False)
    key = monitor.open({"opened_at": OPENED.isoformat(), "channel": "phone"})
    assert key == "ticket-1"
    assert monitor.timers[key] == (OPENED + timedelta(hours=1), 3600)


def test_an_invalid_event_is_an_error_and_not_recorded() -> None:
    monitor, clock, recorder, key = watch()
    with pytest.raises(FactsError, match="resumed"):
        monitor.event(key, "resumed", reason="customer")
    with pytest.raises(FactsError):
        monitor.event(key, "paused", reason="lunch")  # not a declared pause reason
    assert monitor.decision(key).ticket.events == ()
    monitor.event(key, "responded")
    assert len(monitor.decision(key).ticket.events) == 1
    with pytest.raises(FactsError, match="not watched"):
        monitor.event("nope", "responded")
    with pytest.raises(FactsError, match="already watched"):
        monitor.open({"id": key, "opened_at": OPENED.isoformat(), "channel": "phone"})


def test_an_exception_in_the_callback_reaches_the_caller() -> None:
    clock = Clock(OPENED)
    failing = {"on": True}

    def callback(decision: TicketDecision, alert: Alert) -> None:
        if failing["on"]:
            raise RuntimeError(f"pager down for {alert.metric}")

    monitor = TicketMonitor(policy(), callback, clock=clock)
    key = monitor.open({"opened_at": OPENED.isoformat(), "channel": "phone"})
    clock.advance(minutes=31)
    with pytest.raises(RuntimeError, match="pager down for response"):
        monitor.check(key)
    assert key in monitor.timers  # the next alarm is still scheduled
    failing["on"] = False
    seen: list[str] = []
    monitor.callback = lambda d, a: seen.append(f"{a.metric} {a.kind} {a.percent}")
    monitor.check(key)  # the alarm whose callback failed is reported again
    assert seen == ["response warning 50"]


def test_close_and_poll() -> None:
    monitor, clock, recorder, key = watch()
    monitor.poll()  # no durable timer has expired (they are whole wall-clock seconds away)
    assert recorder.calls == []
    monitor.close(key)
    assert monitor.tickets == () and monitor.timers == {}
    with pytest.raises(FactsError):
        monitor.check(key)


def test_a_policy_without_an_sla_cannot_be_monitored() -> None:
    no_sla = load_policy(POLICY.split("sla:")[0] + "terms:\n  - {id: w, clause: W, anchor: purchase, length: 1 year}\n")
    with pytest.raises(EvaluationError, match="no sla"):
        TicketMonitor(no_sla, Recorder())
