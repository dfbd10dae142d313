"""The documented SLA semantics (docs/sla.md), one rule per test, on small inline policies."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from warrantykit.engine.sla import JSON_SCHEMA_ID, METRIC_STATES, TICKET_STATUSES
from warrantykit.facts import Ticket, parse_facts

from .helpers import at, ev, evaluate, policy_with, ticket

BODY = """
sla:
  clause: T
  severities: [{id: high}, {id: medium}, {id: low}]
  severity_rules:
    - {level: medium, clause: T.2, when: {fact: ticket.performance_degraded, eq: true}}
    - {level: high, clause: T.1, when: {fact: ticket.system_paralysed, eq: true}}
  default_severity: low
  on_severity_change: {mode}
  channels: [phone, remote, on_site]
  regions: [north, south]
  pause_reasons:
    - {id: customer, clause: T.P1}
    - {id: travel, clause: T.P2, stops: [arrival]}
  metrics:
    - id: response
      clause: T.R
      kind: response
      stops: responded
      targets:
        - {severity: high, within: 10 minutes}
        - {severity: medium, within: 30 minutes}
        - {severity: low, within: 60 minutes}
        - {severity: high, channel: phone, within: 5 minutes, clause: T.R.phone}
      at_risk_percent: [50, 75]
    - id: arrival
      clause: T.A
      kind: arrival
      starts: escalated:on_site
      stops: arrived
      targets: [{region: north, within: 2 hours}, {region: south, within: 4 hours}]
    - id: resolution
      clause: T.S
      kind: resolution
      stops: resolved
      targets: [{within: 8 hours}]
    - id: phone-fix
      clause: T.F
      kind: resolution
      stops: resolved
      ends_on: [escalated:remote]
      targets: [{channel: phone, within: 1 hour}]
    - id: loaner
      clause: T.L
      kind: loaner
      stops: resolved
      obligation: true
      targets: [{severity: high, within: 24 hours}]
"""

FROM_OPEN = policy_with(BODY.replace("{mode}", "from_open"))
FROM_CHANGE = policy_with(BODY.replace("{mode}", "from_change"))
OPENED = "2024-06-03 10:00"  # opened (Monday), 7x24 in UTC+08:00


def test_given_severity_wins_over_rules() -> None:
    d = evaluate(
        FROM_OPEN, ticket(OPENED, severity="low", system_paralysed=True), "2024-06-03 10:01"
    )
    assert (d.severity.level, d.severity.source) == ("low", "given")
    assert d.metric("response").due == at("2024-06-03 11:00")


def test_most_severe_matching_rule_wins_whatever_the_rule_order() -> None:
    """Severities are listed most severe first; the rules list medium before high."""
    t = ticket(OPENED, system_paralysed=True, performance_degraded=True)
    d = evaluate(FROM_OPEN, t, "2024-06-03 10:01")
    assert (d.severity.level, d.severity.clause, d.severity.rule) == ("high", "T.1", 1)
    assert d.reasons[0].clause == "T.1"


def test_undecided_rule_warns_and_default_applies() -> None:
    d = evaluate(FROM_OPEN, ticket(OPENED, performance_degraded=False), "2024-06-03 10:01")
    assert (d.severity.level, d.severity.source) == ("low", "default")
    assert any("ticket.system_paralysed" in w for w in d.warnings)
    # a less severe match with a more severe rule undecided: the match is used, with a warning
    d = evaluate(FROM_OPEN, ticket(OPENED, performance_degraded=True), "2024-06-03 10:01")
    assert d.severity.level == "medium"
    assert any("high" in w and "ticket.system_paralysed" in w for w in d.warnings)


def test_most_specific_target_wins() -> None:
    """{severity: high, channel: phone} (two dimensions) beats {severity: high} (one)."""
    phone = ticket(OPENED, system_paralysed=True, channel="phone")
    r = evaluate(FROM_OPEN, phone, "2024-06-03 10:01").metric("response")
    assert r.due == at("2024-06-03 10:05") and r.target_clause == "T.R.phone"
    remote = ticket(OPENED, system_paralysed=True, channel="remote")
    r = evaluate(FROM_OPEN, remote, "2024-06-03 10:01").metric("response")
    assert r.due == at("2024-06-03 10:10") and r.target_clause == "T.R"


def test_equally_specific_targets_warn_and_use_the_first() -> None:
    p = policy_with(
        """
        sla:
          severities: [{id: high}]
          default_severity: high
          metrics:
            - id: response
              clause: X
              kind: response
              stops: responded
              targets:
                - {severity: high, within: 10 minutes}
                - {channel: phone, within: 20 minutes}
        """
    )
    r = evaluate(p, ticket(OPENED, channel="phone"), "2024-06-03 10:01").metric("response")
    assert r.target == "10 minutes"
    assert any("equally specific" in w for w in r.warnings)


def test_missing_dimension_makes_a_running_metric_undetermined() -> None:
    """The arrival targets name regions; a ticket without a region cannot pick one."""
    t = ticket(OPENED, ev("escalated", "2024-06-03 10:30", to="on_site"))
    d = evaluate(FROM_OPEN, t, "2024-06-03 11:00")
    a = d.metric("arrival")
    assert a.state == "undetermined" and a.missing == ("ticket.region",)
    assert d.status == "undetermined"
    t = ticket(OPENED, ev("escalated", "2024-06-03 10:30", to="on_site"), region="south")
    a = evaluate(FROM_OPEN, t, "2024-06-03 11:00").metric("arrival")
    assert a.state == "running" and a.due == at("2024-06-03 14:30")


def test_no_matching_target_means_not_applicable() -> None:
    d = evaluate(FROM_OPEN, ticket(OPENED, channel="remote"), "2024-06-03 10:01")
    assert {n.id for n in d.not_applicable} == {"phone-fix", "loaner"}
    with pytest.raises(KeyError):
        d.metric("loaner")


# ---------------------------------------------------------------- pauses (S13)


def test_pause_reason_stops_only_the_listed_metrics() -> None:
    """`travel` stops `arrival` only; `customer` (stops: all) stops every clock."""
    t = ticket(
        OPENED,
        ev("escalated", "2024-06-03 10:00", to="on_site"),
        ev("paused", "2024-06-03 10:30", reason="travel"),
        ev("resumed", "2024-06-03 11:00", reason="travel"),
        ev("paused", "2024-06-03 11:10", reason="customer"),
        ev("resumed", "2024-06-03 11:20"),
        region="north",
    )
    d = evaluate(FROM_OPEN, t, "2024-06-03 12:00")
    arrival, resolution = d.metric("arrival"), d.metric("resolution")
    assert arrival.paused == timedelta(minutes=40)
    assert arrival.due == at("2024-06-03 12:40")
    assert resolution.paused == timedelta(minutes=10)
    assert resolution.due == at("2024-06-03 18:10")
    assert [p.reason for p in arrival.pauses] == ["travel", "customer"]
    reason_rules = {r.rule for r in d.reasons}
    assert {"sla.pause_reasons.travel", "sla.pause_reasons.customer"} <= reason_rules


def test_open_pause_at_as_of_reports_paused_with_a_projected_due() -> None:
    t = ticket(OPENED, ev("paused", "2024-06-03 11:00", reason="customer"))
    r = evaluate(FROM_OPEN, t, "2024-06-03 12:00").metric("resolution")
    assert r.state == "paused"
    assert r.elapsed == timedelta(hours=1)
    assert r.remaining == timedelta(hours=7)
    # as if resumed at as_of: 10:00 + 8 h + 1 h paused
    assert r.due == at("2024-06-03 19:00")
    assert r.pauses[0].end is None


def test_pause_after_the_deadline_does_not_extend_it() -> None:
    t = ticket(
        OPENED,
        ev("paused", "2024-06-03 19:00", reason="customer"),
        ev("resumed", "2024-06-03 20:00"),
    )
    r = evaluate(FROM_OPEN, t, "2024-06-03 21:00").metric("resolution")
    assert r.due == at("2024-06-03 18:00")
    assert r.state == "breached" and r.breached_at == at("2024-06-03 18:00")
    assert [p.counted for p in r.pauses] == [False]


def test_pause_before_an_escalation_is_clipped_to_the_clock_start() -> None:
    t = ticket(
        OPENED,
        ev("paused", "2024-06-03 10:10", reason="travel"),
        ev("escalated", "2024-06-03 10:20", to="on_site"),
        ev("resumed", "2024-06-03 10:50"),
        region="north",
    )
    a = evaluate(FROM_OPEN, t, "2024-06-03 11:00").metric("arrival")
    assert a.paused == timedelta(minutes=30)
    assert a.due == at("2024-06-03 12:50")


def test_stop_while_paused_counts_the_pause_up_to_the_stop() -> None:
    t = ticket(
        OPENED,
        ev("paused", "2024-06-03 17:00", reason="customer"),
        ev("resolved", "2024-06-03 19:00"),
    )
    r = evaluate(FROM_OPEN, t, "2024-06-03 21:00").metric("resolution")
    assert r.state == "met"
    assert r.paused == timedelta(hours=2)
    assert r.elapsed == timedelta(hours=7)


# ---------------------------------------------------------------- start, stop, end


def test_stop_event_before_the_start_does_not_count() -> None:
    """`arrived` logged before the escalation does not stop the arrival clock."""
    t = ticket(
        OPENED,
        ev("arrived", "2024-06-03 10:05"),
        ev("escalated", "2024-06-03 10:10", to="on_site"),
        region="north",
    )
    a = evaluate(FROM_OPEN, t, "2024-06-03 11:00").metric("arrival")
    assert a.state == "running" and a.stopped_at is None


def test_ends_on_event_ends_without_verdict_unless_already_breached() -> None:
    t = ticket(OPENED, ev("escalated", "2024-06-03 10:30", to="remote"), channel="phone")
    f = evaluate(FROM_OPEN, t, "2024-06-03 12:00").metric("phone-fix")
    assert f.state == "ended" and f.ended_at == at("2024-06-03 10:30")
    assert f.elapsed == timedelta(minutes=30)
    late = ticket(OPENED, ev("escalated", "2024-06-03 11:30", to="remote"), channel="phone")
    f = evaluate(FROM_OPEN, late, "2024-06-03 12:00").metric("phone-fix")
    assert f.state == "breached" and f.breached_at == at("2024-06-03 11:00")


def test_reopened_restarts_resolution_clocks() -> None:
    """`reopened` starts a new cycle (full target) of every clock stopped by `resolved`;
    other clocks (response) are not affected."""
    t = ticket(
        OPENED,
        ev("responded", "2024-06-03 10:20"),
        ev("resolved", "2024-06-03 15:00"),
        ev("reopened", "2024-06-04 09:00"),
    )
    d = evaluate(FROM_OPEN, t, "2024-06-04 10:00")
    r = d.metric("resolution")
    assert r.state == "running"
    assert r.start == at("2024-06-04 09:00") and r.start_event == 2
    assert r.restarted_by == "reopened"
    assert r.due == at("2024-06-04 17:00")
    assert [(c.state, c.due) for c in r.cycles] == [("met", at("2024-06-03 18:00"))]
    assert d.metric("response").state == "met" and d.metric("response").cycles == ()


def test_events_after_as_of_are_not_used() -> None:
    t = ticket(OPENED, ev("responded", "2024-06-03 10:30"))
    r = evaluate(FROM_OPEN, t, "2024-06-03 10:20").metric("response")
    assert r.state == "running" and r.stopped_at is None


def test_met_iff_stop_at_or_before_due() -> None:
    on_time = ticket(OPENED, ev("responded", "2024-06-03 11:00"))
    assert evaluate(FROM_OPEN, on_time, "2024-06-04 00:00").metric("response").state == "met"
    late = ticket(OPENED, ev("responded", "2024-06-03 11:00:01"))
    r = evaluate(FROM_OPEN, late, "2024-06-04 00:00").metric("response")
    assert r.state == "breached" and r.breached_at == at("2024-06-03 11:00")


# ---------------------------------------------------------------- at risk, obligations


def test_at_risk_thresholds() -> None:
    d = evaluate(FROM_OPEN, ticket(OPENED, channel="remote"), "2024-06-03 10:40")
    r = d.metric("response")  # low: 60 minutes
    assert [(a.percent, a.at, a.reached) for a in r.at_risk] == [
        (50, at("2024-06-03 10:30"), True),
        (75, at("2024-06-03 10:45"), False),
    ]
    assert r.at_risk_now == (50,)
    assert d.status == "at_risk"


def test_loaner_obligation_due_and_fulfilled() -> None:
    t = ticket(OPENED, system_paralysed=True)
    lo = evaluate(FROM_OPEN, t, "2024-06-04 11:00").metric("loaner")
    assert lo.obligation and lo.state == "due" and lo.due == at("2024-06-04 10:00")
    d = evaluate(FROM_OPEN, t, "2024-06-04 11:00")
    assert d.status == "breached"  # the resolution clock is breached too
    t = ticket(OPENED, ev("resolved", "2024-06-03 16:00"), system_paralysed=True)
    d = evaluate(FROM_OPEN, t, "2024-06-04 11:00")
    assert d.metric("loaner").state == "not_due"
    t = ticket(
        OPENED,
        ev("responded", "2024-06-03 10:01"),
        ev("paused", "2024-06-03 10:30", reason="travel"),
        ev("resumed", "2024-06-04 10:30", reason="travel"),
        system_paralysed=True,
        severity="high",
    )
    d = evaluate(FROM_OPEN, t, "2024-06-04 11:00")
    assert d.metric("resolution").state == "breached"


# ---------------------------------------------------------------- severity changes


def test_from_open_recomputes_from_the_open_instant() -> None:
    """low (60 min) changed to high (10 min) at 10:05: the response clock runs 10 minutes
    from opening, so it is breached at 10:10."""
    t = ticket(
        OPENED, ev("severity_changed", "2024-06-03 10:05", severity="high"), channel="remote"
    )
    d = evaluate(FROM_OPEN, t, "2024-06-03 10:20")
    r = d.metric("response")
    assert d.severity.level == "high" and d.severity.source == "changed"
    assert d.severity.initial == "low"
    assert r.start == at(OPENED) and r.due == at("2024-06-03 10:10") and r.state == "breached"
    assert d.on_severity_change == "from_open"


def test_from_open_keeps_the_verdict_of_a_clock_stopped_before_the_change() -> None:
    t = ticket(
        OPENED,
        ev("responded", "2024-06-03 10:40"),
        ev("severity_changed", "2024-06-03 10:50", severity="high"),
        channel="remote",
    )
    r = evaluate(FROM_OPEN, t, "2024-06-03 11:00").metric("response")
    assert r.state == "met" and r.severity == "low"


def test_from_change_starts_the_new_target_at_the_change() -> None:
    t = ticket(
        OPENED, ev("severity_changed", "2024-06-03 10:30", severity="high"), channel="remote"
    )
    d = evaluate(FROM_CHANGE, t, "2024-06-03 10:35")
    r = d.metric("response")
    assert r.start == at("2024-06-03 10:30") and r.start_event == 0
    assert r.restarted_by == "severity_changed"
    assert r.due == at("2024-06-03 10:40") and r.state == "running"
    assert d.on_severity_change == "from_change"


def test_from_change_a_breach_before_the_change_stands() -> None:
    """high (10 min) is breached at 10:10; a downgrade at 10:20 does not undo it."""
    t = ticket(
        OPENED,
        ev("severity_changed", "2024-06-03 10:20", severity="low"),
        channel="remote",
        severity="high",
    )
    r = evaluate(FROM_CHANGE, t, "2024-06-03 10:30").metric("response")
    assert r.state == "breached" and r.breached_at == at("2024-06-03 10:10")


def test_late_classification_by_a_severity_change() -> None:
    p = policy_with(
        """
        sla:
          severities: [{id: a}, {id: b}]
          severity_rules:
            - {level: a, clause: S.1, when: {fact: ticket.system_paralysed, eq: true}}
          metrics:
            - id: response
              clause: S
              kind: response
              stops: responded
              targets: [{severity: a, within: 10 minutes}, {severity: b, within: 30 minutes}]
        """
    )
    t = ticket(OPENED)
    d = evaluate(p, t, "2024-06-03 10:05")
    assert d.severity.level is None and d.severity.missing == ("ticket.system_paralysed",)
    assert d.metric("response").state == "undetermined"
    t = ticket(OPENED, ev("severity_changed", "2024-06-03 10:02", severity="b"))
    d = evaluate(p, t, "2024-06-03 10:05")
    assert d.metric("response").due == at("2024-06-03 10:30")


# ---------------------------------------------------------------- inputs and renderings


def test_accepts_a_ticket_model_json_text_and_a_mapping() -> None:
    data = ticket(OPENED, ev("responded", "2024-06-03 10:20"))
    model = parse_facts(Ticket, data, name="ticket")
    a = evaluate(FROM_OPEN, data, "2024-06-03 11:00")
    b = FROM_OPEN.evaluate_ticket(model, as_of=at("2024-06-03 11:00"))
    c = FROM_OPEN.evaluate_ticket(json.dumps(data), as_of=at("2024-06-03 11:00"))
    assert a.to_json() == b.to_json() == c.to_json()


def test_json_shape() -> None:
    t = ticket(
        OPENED,
        ev("escalated", "2024-06-03 10:00", to="on_site"),
        ev("paused", "2024-06-03 10:30", reason="travel"),
        ev("resumed", "2024-06-03 11:00"),
        id="T-1",
        region="north",
        channel="phone",
        system_paralysed=True,
    )
    d = evaluate(FROM_OPEN, t, "2024-06-03 11:30")
    out = json.loads(json.dumps(d.to_json()))
    assert out["schema"] == JSON_SCHEMA_ID
    assert set(out) == {
        "schema", "policy", "as_of", "ticket", "status", "severity", "on_severity_change",
        "channel", "region", "timezone", "counts", "metrics", "not_applicable", "escalations",
        "warnings", "reasons",
    }  # fmt: skip
    assert out["timezone"] == "Asia/Shanghai" and out["escalations"] == []
    assert out["policy"]["id"] == "sla-test" and out["policy"]["content_hash"].startswith("sha256:")
    assert out["as_of"] == "2024-06-03T11:30:00+08:00"
    assert out["status"] in TICKET_STATUSES
    assert out["ticket"]["id"] == "T-1"
    arrival = next(m for m in out["metrics"] if m["id"] == "arrival")
    assert arrival["due"] == "2024-06-03T12:30:00+08:00"
    assert arrival["paused_seconds"] == 1800
    assert arrival["target_seconds"] == 7200
    assert arrival["elapsed_seconds"] == 3600
    assert arrival["pauses"][0] == {
        "reason": "travel",
        "start": "2024-06-03T10:30:00+08:00",
        "end": "2024-06-03T11:00:00+08:00",
        "event": 1,
        "business_seconds": 1800,
        "counted": True,
    }
    for m in out["metrics"]:
        assert m["state"] in METRIC_STATES
    assert all({"rule", "clause", "text", "source"} == set(r) for r in out["reasons"])
    assert any(
        r["rule"] == "arrival" and r["source"].startswith("sla-test.yaml:") for r in out["reasons"]
    )


def test_explain_mentions_status_severity_and_every_metric() -> None:
    t = ticket(OPENED, ev("responded", "2024-06-03 10:20"), id="T-9", channel="phone")
    text = evaluate(FROM_OPEN, t, "2024-06-03 11:00").explain()
    assert text.startswith("Ticket T-9 under sla-test 1.0.0")
    for word in ("Status:", "Severity: low", "response", "resolution", "Reasons:", "[T.R]"):
        assert word in text


def test_result_objects_carry_exactly_their_fields_and_are_immutable() -> None:
    """The engine builds results without calling ``__init__`` (for speed): every dataclass
    field must be present, nothing else, and the objects stay frozen."""
    import dataclasses

    t = ticket(
        OPENED,
        ev("paused", "2024-06-03 10:30", reason="customer"),
        ev("resumed", "2024-06-03 11:00"),
        ev("resolved", "2024-06-03 12:00"),
        ev("reopened", "2024-06-03 13:00"),
        system_paralysed=True,
        channel="phone",
    )
    d = evaluate(FROM_OPEN, t, "2024-06-03 13:30")
    objects: list[object] = [d, d.severity, *d.metrics, *d.not_applicable]
    for m in d.metrics:
        objects += [*m.pauses, *m.at_risk, *m.cycles]
    kinds = {type(o).__name__ for o in objects}
    assert {
        "TicketDecision",
        "SeverityDecision",
        "MetricStatus",
        "PauseSpan",
        "AtRisk",
        "Cycle",
    } <= kinds
    for obj in objects:
        names = {f.name for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
        for name in names:
            getattr(obj, name)
        if hasattr(obj, "__dict__"):
            assert set(vars(obj)) - {"reasons"} == names, type(obj).__name__
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, next(iter(names)), None)
    # equal to the same object built through __init__
    m = d.metric("response")
    rebuilt = type(m)(**{f.name: getattr(m, f.name) for f in dataclasses.fields(m)})
    assert rebuilt == m


def test_reopen_restarts_a_loaner_obligation_and_names_its_cycles() -> None:
    t = ticket(
        OPENED,
        ev("resolved", "2024-06-03 12:00"),
        ev("reopened", "2024-06-05 09:00"),
        system_paralysed=True,
    )
    lo = evaluate(FROM_OPEN, t, "2024-06-06 10:00").metric("loaner")
    assert [c.state for c in lo.cycles] == ["not_due"]
    assert lo.start == at("2024-06-05 09:00") and lo.due == at("2024-06-06 09:00")
    assert lo.state == "due" and lo.restarted_by == "reopened"
