"""Escalation steps and their ``after:`` timers (S14; docs/sla.md "Escalation").

A step's timer counts ``after`` on the step's calendar from the moment the ticket
entered the step before it (``opened_at`` for the step the ticket starts in, else the
first ``escalated`` event to that channel). The decision reports each step: ``start``,
``skipped``, ``pending``, ``overdue``, ``escalated``, ``late`` or ``not_needed``.
"""

from __future__ import annotations

from typing import Any

import pytest

from warrantykit.engine.sla import ESCALATION_STATES, EscalationStatus, TicketDecision
from warrantykit.errors import EvaluationError, PolicyError

from .helpers import at, ev, evaluate, policy_with, shipped, ticket

TIMED = policy_with(
    """
    sla:
      clause: S
      severities: [{id: any}]
      default_severity: any
      escalation:
        - {channel: phone}
        - {channel: remote, after: 2 hours, clause: E.1, text: remote after 2 hours on the phone}
        - {channel: on_site, after: 4 hours, calendar: cn-office-5x8, clause: E.2}
      metrics:
        - {id: response, clause: M.1, kind: response, stops: responded, targets: [{within: 1 hour}]}
    """
)

# Friday 7 June 2024, 16:00; Monday 10 June is the Dragon Boat Festival (a CN holiday).
OPENED = "2024-06-07 16:00"


def steps(d: TicketDecision) -> dict[str, EscalationStatus]:
    return {e.channel: e for e in d.escalations}


def states(d: TicketDecision) -> list[str]:
    return [e.state for e in d.escalations]


def phone_ticket(*events: dict[str, Any], channel: str = "phone") -> dict[str, Any]:
    return ticket(OPENED, *events, channel=channel)


def test_the_first_timer_counts_from_the_opening_on_its_calendar() -> None:
    d = evaluate(TIMED, phone_ticket(), "2024-06-07 17:00")
    remote = steps(d)["remote"]
    assert remote.timer_start == at(OPENED)
    assert remote.due == at("2024-06-07 18:00")  # 2 hours on 7x24
    assert (remote.after, remote.calendar, remote.previous) == ("2 hours", "7x24", "phone")
    assert states(d) == ["start", "pending", "pending"]
    # the on-site timer has not started: the ticket never reached remote service
    on_site = steps(d)["on_site"]
    assert on_site.timer_start is None and on_site.due is None


def test_a_timer_that_runs_out_without_an_escalation_is_overdue() -> None:
    d = evaluate(TIMED, phone_ticket(), "2024-06-07 18:00")
    assert steps(d)["remote"].state == "pending"  # due at 18:00, inclusive
    d = evaluate(TIMED, phone_ticket(), "2024-06-07 18:01")
    assert states(d) == ["start", "overdue", "pending"]


def test_the_next_timer_counts_from_the_escalation_on_business_hours_and_holidays() -> None:
    t = phone_ticket(ev("escalated", "2024-06-07 17:30", to="remote"))
    d = evaluate(TIMED, t, "2024-06-11 12:00")
    remote, on_site = steps(d)["remote"], steps(d)["on_site"]
    assert remote.state == "escalated"
    assert remote.start == at("2024-06-07 17:30") and remote.start_event == 0
    # 4 office hours from Friday 17:30 (closed): not Monday 10 June, a holiday
    assert on_site.timer_start == at("2024-06-07 17:30")
    assert on_site.calendar == "cn-office-5x8"
    assert on_site.due == at("2024-06-11 13:00")
    assert on_site.state == "pending"
    assert evaluate(TIMED, t, "2024-06-11 13:01").escalations[2].state == "overdue"


@pytest.mark.parametrize(
    ("when", "state"),
    [("2024-06-07 17:59", "escalated"), ("2024-06-07 18:00", "escalated"),
     ("2024-06-07 18:01", "late")],
)
def test_an_escalation_after_its_due_instant_is_late(when: str, state: str) -> None:
    d = evaluate(TIMED, phone_ticket(ev("escalated", when, to="remote")), "2024-06-08 09:00")
    assert steps(d)["remote"].state == state


def test_resolved_before_the_timer_runs_out_needs_no_escalation() -> None:
    t = phone_ticket(ev("resolved", "2024-06-07 17:45"))
    d = evaluate(TIMED, t, "2024-06-12 09:00")
    remote = steps(d)["remote"]
    assert remote.state == "not_needed" and remote.resolved_at == at("2024-06-07 17:45")
    assert steps(d)["on_site"].state == "not_needed"


def test_resolved_after_the_timer_ran_out_leaves_it_overdue() -> None:
    t = phone_ticket(ev("resolved", "2024-06-07 19:00"))
    remote = steps(evaluate(TIMED, t, "2024-06-12 09:00"))["remote"]
    assert remote.state == "overdue" and remote.resolved_at == at("2024-06-07 19:00")


def test_a_ticket_opened_further_along_the_path_skips_the_earlier_steps() -> None:
    d = evaluate(TIMED, phone_ticket(channel="remote"), "2024-06-07 17:00")
    assert states(d) == ["skipped", "start", "pending"]
    on_site = steps(d)["on_site"]
    assert on_site.timer_start == at(OPENED)
    assert on_site.due == at("2024-06-11 12:00")  # 1 h on Friday, 3 h on Tuesday


def test_jumping_a_step_skips_it_and_starts_no_timer_for_the_next() -> None:
    t = phone_ticket(ev("escalated", "2024-06-07 17:00", to="on_site"))
    d = evaluate(TIMED, t, "2024-06-07 19:00")
    assert states(d) == ["start", "skipped", "escalated"]
    assert steps(d)["on_site"].due is None


def test_events_after_as_of_are_not_used() -> None:
    t = phone_ticket(ev("escalated", "2024-06-07 17:30", to="remote"))
    assert states(evaluate(TIMED, t, "2024-06-07 17:00")) == ["start", "pending", "pending"]


def test_working_day_timers_end_at_the_close_of_the_nth_working_day() -> None:
    p = policy_with(
        """
        sla:
          severities: [{id: any}]
          default_severity: any
          escalation:
            - {channel: remote}
            - {channel: on_site, after: 1 working_days, calendar: cn-statutory, clause: E}
          metrics:
            - {id: response, clause: M, kind: response, stops: responded,
               targets: [{within: 1 hour}]}
        """
    )
    # Monday 30 September 2024: the next working day is Tuesday 8 October (National Day)
    d = evaluate(p, ticket("2024-09-30 10:00", channel="remote"), "2024-10-08 16:00")
    on_site = steps(d)["on_site"]
    assert on_site.due == at("2024-10-08 17:00")
    assert on_site.state == "pending" and on_site.warnings == ()


def test_a_deadline_beyond_the_trusted_holiday_data_warns() -> None:
    t = ticket("2026-12-31 16:00", ev("escalated", "2026-12-31 16:30", to="remote"), channel="phone")
    on_site = steps(evaluate(TIMED, t, "2026-12-31 17:00"))["on_site"]
    assert on_site.due is not None and on_site.due.year == 2027
    assert any("not trusted (trusted 2020-2026)" in w for w in on_site.warnings)


def test_reasons_cite_each_steps_clause_and_source() -> None:
    d = evaluate(TIMED, phone_ticket(ev("escalated", "2024-06-07 17:30", to="remote")), "2024-06-08 09:00")
    by_rule = {r.rule: r for r in d.reasons}
    assert by_rule["sla.escalation[0]"].clause == "S"  # no clause of its own: the sla's
    assert by_rule["sla.escalation[1]"].clause == "E.1"
    assert by_rule["sla.escalation[2]"].clause == "E.2"
    text = by_rule["sla.escalation[1]"].text
    assert "2 hours on 7x24 from phone at 2024-06-07T16:00:00+08:00" in text
    assert "due 2024-06-07T18:00:00+08:00" in text and text.endswith("escalated")
    lines = [int(by_rule[f"sla.escalation[{k}]"].source.rsplit(":", 1)[1]) for k in range(3)]
    assert by_rule["sla.escalation[2]"].source.startswith("sla-test.yaml:")
    assert lines[0] < lines[1] < lines[2]  # each step's own line
    assert steps(d)["remote"].text == "remote after 2 hours on the phone"
    assert "Escalation:" in d.explain()


def test_the_json_shape_of_a_step() -> None:
    d = evaluate(TIMED, phone_ticket(ev("escalated", "2024-06-07 17:30", to="remote")), "2024-06-08 09:00")
    out = d.to_json()["escalations"][2]
    assert out == {
        "level": 2,
        "channel": "on_site",
        "clause": "E.2",
        "text": None,
        "state": "pending",
        "previous": "remote",
        "after": "4 hours",
        "calendar": "cn-office-5x8",
        "timezone": "Asia/Shanghai",
        "start": None,
        "start_event": None,
        "timer_start": "2024-06-07T17:30:00+08:00",
        "due": "2024-06-11T13:00:00+08:00",
        "resolved_at": None,
        "warnings": [],
        "source": out["source"],
    }
    assert set(ESCALATION_STATES) >= {e["state"] for e in d.to_json()["escalations"]}


def test_a_timer_in_months_is_an_evaluation_error() -> None:
    p = policy_with(
        """
        sla:
          severities: [{id: any}]
          default_severity: any
          escalation: [{channel: phone}, {channel: on_site, after: 1 month}]
          metrics:
            - {id: response, clause: M, kind: response, stops: responded,
               targets: [{within: 1 hour}]}
        """
    )
    with pytest.raises(EvaluationError) as info:
        evaluate(p, ticket(OPENED), "2024-06-07 17:00")
    assert info.value.first.path == "sla.escalation[1].after"


def test_a_policy_without_escalation_reports_none() -> None:
    p = policy_with(
        """
        sla:
          severities: [{id: any}]
          default_severity: any
          metrics:
            - {id: response, clause: M, kind: response, stops: responded,
               targets: [{within: 1 hour}]}
        """
    )
    d = evaluate(p, ticket(OPENED), "2024-06-07 17:00")
    assert d.escalations == () and d.to_json()["escalations"] == []


# ---------------------------------------------------------------- shipped policies

# Every shipped policy that declares an escalation path: none gives a time limit
# (the letters say "when the phone cannot solve it", not "after N hours").
SHIPPED = {
    "hospital-his-software-12-months": ["phone", "remote", "on_site"],
    "ibm-server-storage-3-years": ["phone", "remote", "on_site"],
    "it-support-severity-levels": ["phone", "on_site"],
    "qa-period-service-plan-template": ["remote", "on_site"],
    "software-3dma-1-year": ["phone", "remote", "on_site"],
}


def _shipped_ticket(name: str, *events: dict[str, Any], channel: str) -> dict[str, Any]:
    sla = shipped(name).document.sla
    assert sla is not None
    facts: dict[str, Any] = {"channel": channel, "severity": sla.severities[0].id}
    if sla.regions:
        facts["region"] = sla.regions[0]
    return ticket("2024-06-04 10:00", *events, **facts)


def test_the_table_lists_every_shipped_policy_with_an_escalation_path() -> None:
    from .test_json_roundtrip import WITH_SLA

    with_path = {n for n in WITH_SLA if shipped(n).document.sla.escalation}  # type: ignore[union-attr]
    assert with_path == set(SHIPPED)


@pytest.mark.parametrize(("name", "path"), sorted(SHIPPED.items()))
def test_shipped_escalation_steps_without_timers(name: str, path: list[str]) -> None:
    policy = shipped(name)
    sla = policy.document.sla
    assert sla is not None
    first, second = path[0], path[1]
    # opened in the first step, escalated to the second after an hour
    t = _shipped_ticket(name, ev("escalated", "2024-06-04 11:00", to=second), channel=first)
    d = policy.evaluate_ticket(t, as_of=at("2024-06-05 10:00"))
    assert [e.channel for e in d.escalations] == path
    assert [e.state for e in d.escalations] == ["start", "escalated"] + ["pending"] * (len(path) - 2)
    for e, step in zip(d.escalations, sla.escalation, strict=True):
        assert e.after is None and e.due is None and e.calendar is None
        assert e.text == step.text
        assert e.clause == (step.clause or sla.clause or "-")
    assert d.escalations[1].start == at("2024-06-04 11:00") and d.escalations[1].start_event == 0
    rules = {r.rule: r for r in d.reasons}
    for k in range(len(path)):
        assert rules[f"sla.escalation[{k}]"].source.startswith(f"policies/{name}.yaml:")
    assert "no time limit: escalated when decided" in rules["sla.escalation[1]"].text


@pytest.mark.parametrize(("name", "path"), sorted(SHIPPED.items()))
def test_shipped_resolution_in_the_first_step_needs_no_escalation(
    name: str, path: list[str]
) -> None:
    policy = shipped(name)
    t = _shipped_ticket(name, ev("resolved", "2024-06-04 12:00"), channel=path[0])
    d = policy.evaluate_ticket(t, as_of=at("2024-06-05 10:00"))
    assert [e.state for e in d.escalations] == ["start"] + ["not_needed"] * (len(path) - 1)


@pytest.mark.parametrize(("name", "path"), sorted(SHIPPED.items()))
def test_shipped_ticket_opened_on_site_skips_the_earlier_steps(name: str, path: list[str]) -> None:
    policy = shipped(name)
    d = policy.evaluate_ticket(_shipped_ticket(name, channel=path[-1]), as_of=at("2024-06-04 12:00"))
    assert [e.state for e in d.escalations] == ["skipped"] * (len(path) - 1) + ["start"]


def test_a_7x24_timer_counts_real_time_across_a_clock_change() -> None:
    p = policy_with(
        """
        sla:
          severities: [{id: any}]
          default_severity: any
          escalation: [{channel: phone}, {channel: on_site, after: 24 hours}]
          metrics:
            - {id: response, clause: M, kind: response, stops: responded,
               targets: [{within: 1 hour}]}
        """
    )
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    opened = datetime(2024, 3, 9, 12, 0, tzinfo=ny)  # DST starts on Sunday 10 March
    d = p.evaluate_ticket({"opened_at": opened, "channel": "phone"}, as_of=opened + timedelta(hours=1))
    due = steps(d)["on_site"].due
    assert due is not None and due - opened == timedelta(hours=24)  # as instants
    assert due == datetime(2024, 3, 10, 13, 0, tzinfo=ny)


def test_an_unknown_timer_calendar_is_located() -> None:
    """Found when the policy loads (references.py), not at the first ticket."""
    with pytest.raises(PolicyError) as info:
        policy_with(
            """
            sla:
              severities: [{id: any}]
              default_severity: any
              escalation: [{channel: phone}, {channel: on_site, after: 2 hours, calendar: nowhere}]
              metrics:
                - {id: response, clause: M, kind: response, stops: responded,
                   targets: [{within: 1 hour}]}
            """
        )
    assert (info.value.first.path, info.value.first.code) == (
        "sla.escalation[1].calendar",
        "unknown-calendar",
    )
