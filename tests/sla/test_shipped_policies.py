"""Every SLA term of every shipped policy evaluates, with hand-computed due instants.

One test (or a few) per seed letter's policy; each comment cites the clause and
shows the arithmetic.  Instants are Asia/Shanghai (UTC+08:00) unless written
otherwise.  ``test_every_sla_policy_has_a_hand_computed_test`` keeps the list
complete when a policy with an ``sla:`` section is added.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from warrantykit.cli.common import expand_paths
from warrantykit.engine.compiled import load_policy

from .helpers import POLICIES, at, ev, evaluate, metric, shipped, ticket

HAND_COMPUTED: set[str] = set()
F = TypeVar("F", bound=Callable[[], None])


def covers(*names: str) -> Callable[[F], F]:
    """Register the shipped policies a test hand-computes."""
    HAND_COMPUTED.update(names)

    def mark(fn: F) -> F:
        return fn

    return mark


def _sla_policies() -> list[Path]:
    return [p for p in expand_paths([str(POLICIES)]) if load_policy(p).document.sla is not None]


SLA_POLICIES = _sla_policies()


# ---------------------------------------------------------------- every term evaluates


def _cases() -> list[tuple[str, str, int]]:
    out = []
    for path in SLA_POLICIES:
        doc = load_policy(path).document
        assert doc.sla is not None
        for m in doc.sla.metrics:
            for j in range(len(m.targets)):
                out.append((path.stem, m.id, j))
    return out


@pytest.mark.parametrize(("name", "metric_id", "index"), _cases())
def test_every_target_of_every_metric_evaluates(name: str, metric_id: str, index: int) -> None:
    """A ticket made to hit one target: it starts, stops in time (met) and is breached when
    it never stops; the due instant is after (or, for a zero target, at) the start."""
    policy = shipped(name)
    sla = policy.document.sla
    assert sla is not None
    m = next(x for x in sla.metrics if x.id == metric_id)
    target = m.targets[index]
    facts: dict[str, object] = {
        "severity": (target.severity or (sla.severities[0].id,))[0],
        "channel": (target.channel or sla.channels[:1] or (None,))[0],
    }
    if target.region:
        facts["region"] = target.region[0]
    elif sla.regions:
        facts["region"] = sla.regions[0]
    opened = "2024-06-03 10:00"  # Monday, an ordinary working day in China
    events = []
    if m.starts.startswith("escalated:"):
        events.append(ev("escalated", "2024-06-03 10:05", to=m.starts.split(":", 1)[1]))
    elif m.starts != "opened":
        events.append(ev(m.starts, "2024-06-03 10:05"))
    running = evaluate(policy, ticket(opened, *events, **facts), "2024-06-03 10:06")
    status = metric(running, metric_id)
    assert status.target == str(target.within)
    assert status.start is not None and status.due is not None
    assert status.due >= status.start
    if target.within.amount:
        assert status.due > status.start
        assert status.state in ("running", "paused")
    stop_at = status.due.astimezone(at("2024-06-03 10:00").tzinfo)
    stopped = ticket(opened, *events, ev(m.stops, stop_at.isoformat()), **facts)
    done = metric(evaluate(policy, stopped, (stop_at + timedelta(days=30)).isoformat()), metric_id)
    assert done.state == ("not_due" if m.obligation else "met")
    late = metric(evaluate(policy, ticket(opened, *events, **facts), "2025-06-03 10:00"), metric_id)
    assert late.state == ("due" if m.obligation else "breached")
    assert late.breached_at == status.due


def test_every_sla_policy_has_a_hand_computed_test() -> None:
    assert {p.stem for p in SLA_POLICIES} == HAND_COMPUTED


# ---------------------------------------------------------------- S1, S2, S15


@covers("it-support-severity-levels")
def test_it_support_levels_and_response_times() -> None:
    """S1 levels from facts; S2: A/B (level1/level2) 10 minutes, C (level3) 30 minutes,
    on the 7x24 duty phone (Second.1)."""
    p = shipped("it-support-severity-levels")
    cases = [
        ({"system_paralysed": True}, "level1", "2024-06-03 22:10"),
        (
            {"business_interrupted": True, "outage_minutes": 11, "critical_data_lost": False},
            "level1",
            "2024-06-03 22:10",
        ),
        ({"performance_degraded": True}, "level2", "2024-06-03 22:10"),
        (
            {
                "system_paralysed": False,
                "business_interrupted": False,
                "critical_data_lost": False,
                "performance_degraded": False,
                "risk_of_paralysis": False,
                "function_affected": True,
                "critical_business_affected": False,
            },
            "level3",
            "2024-06-03 22:30",
        ),
    ]
    for facts, level, due in cases:
        d = evaluate(p, ticket("2024-06-03 22:00", channel="phone", **facts), "2024-06-03 22:05")
        assert d.severity.level == level, facts
        assert d.severity.source == "rule"
        r = d.metric("phone-response")
        assert r.due == at(due), facts
        assert r.state == "running"
        assert r.target_clause == "Second.1"


@covers()
def test_it_support_unclassifiable_failure_is_undetermined() -> None:
    """No default severity: a ticket without facts is undetermined and names what is missing."""
    p = shipped("it-support-severity-levels")
    d = evaluate(p, ticket("2024-06-03 22:00", channel="phone"), "2024-06-03 22:05")
    assert d.status == "undetermined"
    assert d.severity.level is None
    assert "ticket.system_paralysed" in d.severity.missing
    assert "ticket.request_kind" in d.severity.missing
    r = d.metric("phone-response")
    assert r.state == "undetermined"
    assert "ticket.system_paralysed" in r.missing


@covers()
def test_it_support_inspection_report_three_working_days_after_resolved() -> None:
    """S15 (Second.4): report within 3 working days after the inspection is completed
    (= resolved), on cn-statutory.  Resolved Fri 27 Sep 2024 -> Sun 29 Sep (make-up day) 1,
    Mon 30 Sep 2, 1-7 Oct off, Tue 8 Oct 3 -> due Tue 8 Oct 17:00."""
    p = shipped("it-support-severity-levels")
    t = ticket(
        "2024-09-27 09:00",
        ev("resolved", "2024-09-27 16:00"),
        request_kind="inspection",
        channel="on_site",
    )
    d = evaluate(p, t, "2024-10-08 12:00")
    assert d.severity.level == "planned"
    r = d.metric("inspection-report")
    assert r.start == at("2024-09-27 16:00")
    assert r.due == at("2024-10-08 17:00")
    assert r.state == "running"
    # 1 h on Fri + 8 h Sun + 8 h Mon + 8 h Tue (to close of business) = 25 business hours
    assert r.target_time == timedelta(hours=25)
    delivered = ticket(
        "2024-09-27 09:00",
        ev("resolved", "2024-09-27 16:00"),
        ev("report_delivered", "2024-10-08 17:00"),
        request_kind="inspection",
        channel="on_site",
    )
    assert evaluate(p, delivered, "2024-10-09 09:00").metric("inspection-report").state == "met"
    # the report clock is pending until the inspection is completed
    pending = evaluate(p, ticket("2024-09-27 09:00", request_kind="inspection"), "2024-09-27 12:00")
    assert pending.metric("inspection-report").state == "pending"


# ---------------------------------------------------------------- S3


@covers("hvac-project-36-months")
def test_hvac_dispatch_reply_and_arrival() -> None:
    """S3 (二): the service desk assigns and replies within 10 minutes; on site within 2 h."""
    p = shipped("hvac-project-36-months")
    t = ticket(
        "2024-06-03 10:00",
        ev("responded", "2024-06-03 10:08"),
        ev("arrived", "2024-06-03 12:05"),
    )
    d = evaluate(p, t, "2024-06-03 13:00")
    reply, onsite = d.metric("dispatch-reply"), d.metric("on-site")
    assert reply.due == at("2024-06-03 10:10") and reply.state == "met"
    assert onsite.due == at("2024-06-03 12:00") and onsite.state == "breached"
    assert onsite.breached_at == at("2024-06-03 12:00")
    assert d.status == "breached"


# ---------------------------------------------------------------- S4, S5, S14


@covers("hospital-his-software-12-months")
def test_hospital_phone_feedback_resolution_and_complex_solution() -> None:
    """S4 (三.1): general problems: feedback within 1 h, resolved within 8 h (7x24); complex
    problems: a solution within 3 working days (cn-statutory)."""
    p = shipped("hospital-his-software-12-months")
    general = ticket("2024-05-06 15:00", ev("feedback", "2024-05-06 15:40"), channel="phone")
    d = evaluate(p, general, "2024-05-06 18:00")
    assert d.severity.level == "general" and d.severity.source == "default"
    assert d.metric("phone-feedback").due == at("2024-05-06 16:00")
    assert d.metric("phone-feedback").state == "met"
    assert d.metric("phone-resolution").due == at("2024-05-06 23:00")
    assert [n.id for n in d.not_applicable] == ["complex-solution"]
    # the arrival clock waits for an escalation; its target needs the ticket's region
    arrival = d.metric("on-site-arrival")
    assert arrival.state == "pending" and arrival.missing == ("ticket.region",)
    # complex, opened Mon 6 May 2024 15:00: 3 working days after 6 May -> Thu 9 May 17:00
    complex_ = ticket("2024-05-06 15:00", channel="phone", severity="complex")
    c = evaluate(p, complex_, "2024-05-07 09:00").metric("complex-solution")
    assert c.due == at("2024-05-09 17:00")
    # 2 h on Mon + 3 x 8 h = 26 business hours
    assert c.target_time == timedelta(hours=26)


@covers()
def test_hospital_on_site_arrival_by_region_from_escalation() -> None:
    """S5 (三.3) counted from the decision to go on site (S14): city 2 h, surroundings 12 h,
    other provinces 48 h."""
    p = shipped("hospital-his-software-12-months")
    for region, due in (
        ("city", "2024-05-06 18:00"),
        ("surroundings", "2024-05-07 04:00"),
        ("other_province", "2024-05-08 16:00"),
    ):
        t = ticket(
            "2024-05-06 15:00",
            ev("escalated", "2024-05-06 15:30", to="remote"),
            ev("escalated", "2024-05-06 16:00", to="on_site"),
            channel="phone",
            region=region,
        )
        r = evaluate(p, t, "2024-05-06 17:00").metric("on-site-arrival")
        assert r.start == at("2024-05-06 16:00")
        assert r.start_event == 1
        assert r.due == at(due), region
    # before the escalation the arrival clock is pending (S14: it does not apply yet)
    t = ticket("2024-05-06 15:00", channel="phone", region="city")
    assert evaluate(p, t, "2024-05-06 17:00").metric("on-site-arrival").state == "pending"


# ---------------------------------------------------------------- S6


@covers("equipment-supply-three-repairs")
def test_equipment_supply_response_arrival_and_guidance() -> None:
    """S6 (六.3): respond within 2 h, on site within 12 h; on-site guidance within 24 h."""
    p = shipped("equipment-supply-three-repairs")
    d = evaluate(p, ticket("2024-06-03 10:00"), "2024-06-03 11:00")
    assert d.severity.level == "repair"
    assert d.metric("response").due == at("2024-06-03 12:00")
    assert d.metric("on-site-repair").due == at("2024-06-03 22:00")
    g = evaluate(p, ticket("2024-06-03 10:00", request_kind="on_site_guidance"), "2024-06-03 11:00")
    assert g.severity.level == "guidance"
    assert g.metric("on-site-guidance").due == at("2024-06-04 10:00")
    assert {n.id for n in g.not_applicable} == {"response", "on-site-repair"}


# ---------------------------------------------------------------- S7, R7


@covers("lighting-project-1-year")
def test_lighting_response_arrival_completion_and_loaner_obligation() -> None:
    """S7 (2.3): respond within 1 h, on site within 48 h, done within 48 h, on the 7x24
    hotline calendar; R7: main equipment not fixed in 48 h -> a free loaner falls due."""
    p = shipped("lighting-project-1-year")
    t = ticket(
        "2024-03-01 08:00",
        ev("responded", "2024-03-01 08:30"),
        ev("arrived", "2024-03-02 20:00"),
        main_equipment=True,
    )
    d = evaluate(p, t, "2024-03-03 09:00")
    assert d.severity.level == "main_equipment"
    assert d.metric("response").due == at("2024-03-01 09:00")
    assert d.metric("on-site").due == at("2024-03-03 08:00")
    assert d.metric("on-site").state == "met"
    assert d.metric("completion").state == "breached"
    loaner = d.metric("loaner-due")
    assert loaner.obligation
    assert loaner.due == at("2024-03-03 08:00")
    assert loaner.state == "due"
    provided = ticket(
        "2024-03-01 08:00",
        ev("loaner_provided", "2024-03-03 10:00"),
        main_equipment=True,
    )
    lp = evaluate(p, provided, "2024-03-03 11:00").metric("loaner-due")
    assert lp.state == "fulfilled" and lp.fulfilled_at == at("2024-03-03 10:00")
    fixed = ticket("2024-03-01 08:00", ev("resolved", "2024-03-02 23:00"), main_equipment=True)
    assert evaluate(p, fixed, "2024-03-04 09:00").metric("loaner-due").state == "not_due"
    other = evaluate(p, ticket("2024-03-01 08:00", main_equipment=False), "2024-03-01 09:00")
    assert [n.id for n in other.not_applicable] == ["loaner-due"]


# ---------------------------------------------------------------- S8


@covers("ibm-server-storage-3-years")
def test_ibm_levels_response_arrival_resolution() -> None:
    """S1 (三.1-三.3) critical / important / normal; S8: respond within 2 h, on site and
    resolved within 8 h (faults only)."""
    p = shipped("ibm-server-storage-3-years")
    crit = ticket("2024-06-03 23:00", function_affected=True, business_interrupted=True)
    d = evaluate(p, crit, "2024-06-04 00:00")
    assert d.severity.level == "critical" and d.severity.clause == "三.1"
    assert d.metric("response").due == at("2024-06-04 01:00")
    assert d.metric("on-site").due == at("2024-06-04 07:00")
    assert d.metric("resolution").due == at("2024-06-04 07:00")
    normal = evaluate(p, ticket("2024-06-03 23:00", function_affected=False), "2024-06-04 00:00")
    assert normal.severity.level == "normal"
    assert normal.metric("response").due == at("2024-06-04 01:00")
    assert {n.id for n in normal.not_applicable} == {"on-site", "resolution"}


# ---------------------------------------------------------------- S9, S13, S14


@covers("software-3dma-1-year")
def test_software_escalation_remote_and_on_site_with_pause() -> None:
    """S4 phone 1 h / 8 h (六.2); S9 remote: immediate feedback ("即时" = 0 minutes) and 12 h
    from the escalation (六.1); on site 6~8 h from the decision (六.3): 8 h breach deadline,
    6 h at-risk warning (75 %); S13: a special-circumstances pause stops the on-site clock."""
    p = shipped("software-3dma-1-year")
    t = ticket(
        "2024-05-06 09:00",
        ev("feedback", "2024-05-06 09:30"),
        ev("escalated", "2024-05-06 10:00", to="remote"),
        ev("feedback", "2024-05-06 10:00"),
        ev("escalated", "2024-05-06 11:00", to="on_site"),
        ev("paused", "2024-05-06 12:00", reason="special-circumstances"),
        ev("resumed", "2024-05-06 14:00"),
        channel="phone",
    )
    d = evaluate(p, t, "2024-05-06 20:00")
    assert d.metric("phone-feedback").state == "met"
    assert d.metric("phone-resolution").due == at("2024-05-06 17:00")
    # S14: the escalation to remote at 10:00 ends the phone clock (ends_on) before its due time
    assert d.metric("phone-resolution").state == "ended"
    rf = d.metric("remote-feedback")
    assert rf.due == at("2024-05-06 10:00") and rf.state == "met"
    assert d.metric("remote-resolution").due == at("2024-05-06 22:00")
    onsite = d.metric("on-site-arrival")
    # 11:00 + 8 h + 2 h paused = 21:00; 75 % (6 h) at 11:00 + 6 h + 2 h = 19:00
    assert onsite.due == at("2024-05-06 21:00")
    assert onsite.paused == timedelta(hours=2)
    assert onsite.state == "running"
    assert onsite.elapsed == timedelta(hours=7)
    assert onsite.remaining == timedelta(hours=1)
    assert onsite.percent_used == 87.5
    assert [(a.percent, a.at, a.reached) for a in onsite.at_risk] == [
        (75, at("2024-05-06 19:00"), True)
    ]
    # the pause does not stop the other clocks (its reason lists on-site-arrival only)
    assert d.metric("remote-resolution").paused == timedelta(0)
    assert "remote-resolution-direct" in {n.id for n in d.not_applicable}
    # nothing breached; the on-site clock passed its 75 % warning
    assert d.status == "at_risk"


# ---------------------------------------------------------------- S10


@covers("egov-network-lifetime-service")
def test_egov_response_arrival_and_parts_in_two_days() -> None:
    """S10: respond within 30 minutes, on site within 2 h, parts replaced within 2 days (一.4),
    24-hour emergency service (7x24)."""
    p = shipped("egov-network-lifetime-service")
    d = evaluate(p, ticket("2024-12-31 23:50"), "2025-01-01 00:10")
    assert d.metric("response").due == at("2025-01-01 00:20")
    assert d.metric("on-site").due == at("2025-01-01 01:50")
    assert d.metric("parts-repair-replacement").due == at("2025-01-02 23:50")


# ---------------------------------------------------------------- S11, S12 (7x8)


@covers("pc-network-tender-5-3-15-years")
def test_pc_tender_zero_hour_response_on_seven_by_eight_hours() -> None:
    """S11 (五.6/五.7): respond "within 0 hours", on site within 30 minutes, fixed within 24 h;
    S12 (五.8): 7 days x 8 hours (09:00-17:00), holidays included.  Opened on National Day
    (Tue 1 Oct 2024) at 20:00, out of hours: the response is due at the next opening."""
    p = shipped("pc-network-tender-5-3-15-years")
    t = ticket("2024-10-01 20:00", hardware_fault=True)
    d = evaluate(p, t, "2024-10-02 08:00")
    assert d.metric("response").due == at("2024-10-02 09:00")
    assert d.metric("on-site").due == at("2024-10-02 09:30")
    # 24 business hours = 2, 3 and 4 October 09:00-17:00
    assert d.metric("fix").due == at("2024-10-04 17:00")
    assert d.metric("backup-unit-due").due == at("2024-10-04 17:00")
    # in hours, "0 hours" is the report instant itself
    t2 = ticket("2024-10-01 16:50", ev("responded", "2024-10-01 16:50"), hardware_fault=True)
    d2 = evaluate(p, t2, "2024-10-01 16:55")
    assert d2.metric("response").due == at("2024-10-01 16:50")
    assert d2.metric("response").state == "met"
    # on site: 10 minutes on 1 Oct, 20 on 2 Oct
    assert d2.metric("on-site").due == at("2024-10-02 09:20")
    assert d2.metric("on-site").percent_used == pytest.approx(100 * 5 / 30, abs=0.01)
    other = evaluate(p, ticket("2024-10-01 16:50", hardware_fault=False), "2024-10-01 16:55")
    assert len(other.not_applicable) == 4


# ---------------------------------------------------------------- S12 (5x8), S13


@covers("qa-period-service-plan-template")
def test_qa_template_five_by_eight_with_travel_pause() -> None:
    """S12: service hours 5x8 on Chinese working days (EXAMPLE values); S13 (三(四) 注):
    travel time is excluded.  General fault, opened Fri 27 Sep 2024 15:00: 8 business hours
    = Fri 15-17 (2 h) + Sun 29 Sep, a make-up working day, 09-15 (6 h).  A travel pause
    Fri 16:00 - Sun 10:00 covers 1 h on Friday and 1 h on Sunday: due Sun 17:00."""
    p = shipped("qa-period-service-plan-template")
    facts = {"request_kind": "fault", "system_paralysed": False, "business_interrupted": False}
    d = evaluate(p, ticket("2024-09-27 15:00", **facts), "2024-09-27 16:00")
    assert d.severity.level == "general"
    assert d.metric("general-fault-solution").due == at("2024-09-29 15:00")
    paused = ticket(
        "2024-09-27 15:00",
        ev("paused", "2024-09-27 16:00", reason="travel"),
        ev("resumed", "2024-09-29 10:00", reason="travel"),
        **facts,
    )
    r = evaluate(p, paused, "2024-09-29 12:00").metric("general-fault-solution")
    assert r.paused == timedelta(hours=2)
    assert r.due == at("2024-09-29 17:00")
    assert r.elapsed == timedelta(hours=3)  # Fri 15-16, Sun 10-12
    assert r.state == "running"
    major = {"request_kind": "fault", "system_paralysed": True}
    m = evaluate(p, ticket("2024-09-27 16:30", **major), "2024-09-27 16:40")
    # 1 h: 30 minutes on Friday, 30 on Sunday (make-up day)
    assert m.metric("major-fault-response").due == at("2024-09-29 09:30")
    c = evaluate(p, ticket("2024-09-30 16:00", request_kind="consultation"), "2024-09-30 16:10")
    # 2 h: 1 h on Mon 30 Sep, National Day 1-7 Oct closed, 1 h on Tue 8 Oct
    assert c.metric("consultation-response").due == at("2024-10-08 10:00")


# ---------------------------------------------------------------- small letters


@covers("construction-project-2-years")
def test_construction_arrival_two_hours_and_emergency() -> None:
    """一: on site within 2 h of the repair notice; an emergency repair is bounded by the same 2 h."""
    p = shipped("construction-project-2-years")
    d = evaluate(p, ticket("2024-06-03 10:00"), "2024-06-03 10:30")
    assert d.severity.level == "repair"
    assert d.metric("on-site").due == at("2024-06-03 12:00")
    assert any("default severity repair" in w for w in d.warnings)
    e = evaluate(p, ticket("2024-06-03 10:00", request_kind="emergency_repair"), "2024-06-03 10:30")
    assert e.severity.level == "emergency" and e.metric("on-site").due == at("2024-06-03 12:00")


@covers("equipment-supplier-backup-unit")
def test_backup_unit_supplier_response() -> None:
    """intro: 2 h response (7x24); at 75 % (1 h 30) the clock is at risk."""
    p = shipped("equipment-supplier-backup-unit")
    d = evaluate(p, ticket("2024-06-03 10:00", channel="phone"), "2024-06-03 11:40")
    r = d.metric("response")
    assert r.due == at("2024-06-03 12:00")
    assert r.at_risk[0].at == at("2024-06-03 11:30") and r.at_risk[0].reached
    assert d.status == "at_risk"


@covers("furniture-layered-lifetime")
def test_furniture_on_site_in_twenty_minutes() -> None:
    """十: on site within 20 minutes of the after-sales call (24 h hotline)."""
    p = shipped("furniture-layered-lifetime")
    d = evaluate(
        p, ticket("2024-06-03 23:50", ev("arrived", "2024-06-04 00:09")), "2024-06-04 01:00"
    )
    assert d.metric("on-site").due == at("2024-06-04 00:10")
    assert d.metric("on-site").state == "met"


@covers("office-furniture-3-years")
def test_office_furniture_on_site_in_two_hours_by_fax() -> None:
    """4: on site within 2 h of the phone call or fax, in and out of province."""
    p = shipped("office-furniture-3-years")
    t = ticket("2024-06-03 10:00", channel="fax", region="other_province")
    assert evaluate(p, t, "2024-06-03 10:30").metric("on-site").due == at("2024-06-03 12:00")
