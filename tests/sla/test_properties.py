"""Properties of SLA clocks on random tickets (5x8 with China's holidays, working days, 7x24).

* no due instant is before its start;
* a due instant is never in closed time: with a positive target it is an open instant or
  exactly a closing time (the calendar's closing-time convention);
* due = add(start, target + counted pause time) (docs/sla.md);
* adding a pause never makes a deadline earlier;
* met <=> stop <= due;
* elapsed + remaining = target while a clock runs (or is paused).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from warrantykit.engine.sla import TicketDecision
from warrantykit.engine.terms import business_calendar

from .helpers import policy_with

POLICY = policy_with(
    """
    sla:
      severities: [{id: any}]
      default_severity: any
      pause_reasons:
        - {id: customer, clause: P.1}
        - {id: travel, clause: P.2, stops: [arrival]}
      metrics:
        - id: response
          clause: M.1
          kind: response
          stops: responded
          calendar: cn-office-5x8
          targets: [{within: 2 hours}]
          at_risk_percent: [75]
        - id: arrival
          clause: M.2
          kind: arrival
          stops: arrived
          calendar: cn-office-5x8
          targets: [{within: 13 hours}]
        - id: solution
          clause: M.3
          kind: solution
          stops: solution
          calendar: cn-statutory
          targets: [{within: 3 working days}]
        - id: hotline
          clause: M.4
          kind: resolution
          stops: resolved
          targets: [{within: 30 hours}]
          at_risk_percent: [50, 90]
    """
)
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 1, 1, tzinfo=TZ)
ONE_US = timedelta(microseconds=1)


@st.composite
def tickets(draw: st.DrawFn) -> tuple[dict[str, Any], list[int], datetime]:
    """(ticket data, indexes of pause events, as_of)."""
    opened = START + timedelta(minutes=draw(st.integers(0, 360 * 24 * 60)))
    cuts = sorted(draw(st.lists(st.integers(0, 20 * 24 * 60), min_size=0, max_size=6, unique=True)))
    events: list[dict[str, Any]] = []
    kinds = ("responded", "arrived", "solution", "resolved")
    stops = draw(
        st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 20 * 24 * 60)), max_size=4)
    )
    timeline: list[tuple[int, int, dict[str, Any]]] = []
    for n in range(0, len(cuts) - 1, 2):
        reason = draw(st.sampled_from(("customer", "travel")))
        timeline.append((cuts[n], 0, {"type": "paused", "reason": reason}))
        timeline.append((cuts[n + 1], 1, {"type": "resumed"}))
    if len(cuts) % 2:
        reason = draw(st.sampled_from(("customer", "travel")))
        timeline.append((cuts[-1], 0, {"type": "paused", "reason": reason}))
    for kind, minute in stops:
        timeline.append((minute, 2, {"type": kind}))
    timeline.sort(key=lambda x: (x[0], x[1]))
    pause_idx: list[int] = []
    for i, (minute, _order, event) in enumerate(timeline):
        events.append({**event, "at": (opened + timedelta(minutes=minute)).isoformat()})
        if event["type"] == "paused":
            pause_idx.append(i)
    as_of = opened + timedelta(minutes=draw(st.integers(0, 25 * 24 * 60)))
    return {"opened_at": opened.isoformat(), "events": events}, pause_idx, as_of


def _drop_pause(data: dict[str, Any], index: int) -> dict[str, Any]:
    """The ticket without the pause at ``index`` (and its resume)."""
    events = list(data["events"])
    del events[index]
    for j in range(index, len(events)):
        if events[j]["type"] == "resumed":
            del events[j]
            break
        if events[j]["type"] == "paused":
            break
    return {**data, "events": events}


def _evaluate(data: dict[str, Any], as_of: datetime) -> TicketDecision:
    return POLICY.evaluate_ticket(data, as_of=as_of)


@given(tickets())
def test_due_is_after_start_and_never_in_closed_time(case: Any) -> None:
    data, _pauses, as_of = case
    for m in _evaluate(data, as_of).metrics:
        assert m.start is not None and m.due is not None and m.target_time is not None
        assert m.due >= m.start
        cal = business_calendar(POLICY, m.calendar)
        assert m.target_time > timedelta(0)
        # open just before the due instant: the due is open time or exactly a closing time
        assert cal.is_open(m.due - ONE_US), (m.id, m.due)


@given(tickets())
def test_due_is_start_plus_target_plus_counted_pauses(case: Any) -> None:
    data, _pauses, as_of = case
    for m in _evaluate(data, as_of).metrics:
        assert m.start is not None and m.target_time is not None
        cal = business_calendar(POLICY, m.calendar)
        counted = sum((p.business_time for p in m.pauses if p.counted), timedelta(0))
        assert m.due == cal.add(m.start, m.target_time + counted), m.id


@given(tickets(), st.data())
def test_adding_a_pause_never_makes_a_deadline_earlier(case: Any, data: st.DataObject) -> None:
    ticket, pauses, as_of = case
    if not pauses:
        return
    index = data.draw(st.sampled_from(pauses))
    with_pause = {m.id: m.due for m in _evaluate(ticket, as_of).metrics}
    without = {m.id: m.due for m in _evaluate(_drop_pause(ticket, index), as_of).metrics}
    for metric_id, due in without.items():
        assert due is not None and with_pause[metric_id] is not None
        assert with_pause[metric_id] >= due, metric_id


@given(tickets())
def test_met_iff_stop_at_or_before_due(case: Any) -> None:
    data, _pauses, as_of = case
    for m in _evaluate(data, as_of).metrics:
        assert m.due is not None
        if m.stopped_at is not None:
            assert (m.state == "met") == (m.stopped_at <= m.due)
            assert m.state in ("met", "breached")
        elif m.state == "breached":
            assert as_of > m.due and m.breached_at == m.due
        else:
            assert m.state in ("running", "paused")
            assert as_of <= m.due


@given(tickets())
def test_elapsed_plus_remaining_is_the_target_while_running(case: Any) -> None:
    data, _pauses, as_of = case
    for m in _evaluate(data, as_of).metrics:
        if m.state in ("running", "paused"):
            assert m.elapsed is not None and m.remaining is not None
            assert m.elapsed + m.remaining == m.target_time, m.id
            assert m.elapsed >= timedelta(0)


@given(st.integers(0, 30 * 24 * 60), st.integers(0, 40 * 24 * 60))
def test_trusted_years_warning_agrees_with_the_calendar(opened_minute: int, later: int) -> None:
    """The per-policy trust window gives the same answer as ``untrusted_between``
    (cn-office-5x8 and cn-statutory trust 2020-2026; tickets opened around New Year 2027)."""
    opened = datetime(2026, 12, 1, tzinfo=TZ) + timedelta(minutes=opened_minute)
    data = {"opened_at": opened.isoformat(), "events": []}
    for m in _evaluate(data, opened + timedelta(minutes=later)).metrics:
        assert m.start is not None and m.due is not None
        cal = business_calendar(POLICY, m.calendar)
        warned = any("not trusted" in w for w in m.warnings)
        assert warned == cal.untrusted_between(m.start, m.due), (m.id, m.start, m.due)
