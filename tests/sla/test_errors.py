"""Bad input -> typed errors naming the field (``ticket.events[3].at``), never a traceback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from warrantykit.errors import EvaluationError, FactsError

from .helpers import POLICIES, at, ev, evaluate, policy_with, shipped, ticket
from .test_semantics import BODY

P = policy_with(BODY.replace("{mode}", "from_open"))
OPENED = "2024-06-03 10:00"


def _problems(data: dict[str, Any], as_of: str = "2024-06-04 10:00") -> list[tuple[str, str]]:
    with pytest.raises(FactsError) as info:
        evaluate(P, data, as_of)
    return [(p.path, p.code) for p in info.value.problems]


def test_events_out_of_chronological_order() -> None:
    t = ticket(
        OPENED,
        ev("responded", "2024-06-03 10:05"),
        ev("escalated", "2024-06-03 10:10", to="on_site"),
        ev("arrived", "2024-06-03 11:00"),
        ev("resolved", "2024-06-03 10:30"),
    )
    with pytest.raises(FactsError) as info:
        evaluate(P, t, "2024-06-04 10:00")
    (problem,) = info.value.problems
    assert problem.path == "ticket.events[3].at"
    assert problem.code == "out-of-order"
    assert "ticket.events[2]" in problem.message
    assert str(problem).startswith("ticket.events[3].at: ")


def test_event_before_opened_at() -> None:
    t = ticket(OPENED, ev("responded", "2024-06-03 09:59"))
    assert _problems(t) == [("ticket.events[0].at", "before-opened")]


def test_resume_without_pause() -> None:
    t = ticket(OPENED, ev("resumed", "2024-06-03 10:05"))
    assert _problems(t) == [("ticket.events[0]", "resume-without-pause")]


def test_pause_while_paused() -> None:
    t = ticket(
        OPENED,
        ev("paused", "2024-06-03 10:05", reason="customer"),
        ev("paused", "2024-06-03 10:06", reason="travel"),
    )
    assert _problems(t) == [("ticket.events[1]", "pause-while-paused")]


def test_resume_with_another_reason() -> None:
    t = ticket(
        OPENED,
        ev("paused", "2024-06-03 10:05", reason="customer"),
        ev("resumed", "2024-06-03 10:06", reason="travel"),
    )
    assert _problems(t) == [("ticket.events[1].reason", "resume-mismatch")]


def test_unknown_and_missing_pause_reason() -> None:
    t = ticket(OPENED, ev("paused", "2024-06-03 10:05", reason="lunch"))
    assert _problems(t) == [("ticket.events[0].reason", "unknown-pause-reason")]
    t = ticket(OPENED, ev("paused", "2024-06-03 10:05"))
    assert _problems(t) == [("ticket.events[0].reason", "missing-reason")]


def test_pause_on_a_policy_without_pause_reasons() -> None:
    p = shipped("hvac-project-36-months")
    t = ticket(OPENED, ev("paused", "2024-06-03 10:05", reason="travel"))
    with pytest.raises(FactsError) as info:
        evaluate(p, t, "2024-06-04 10:00")
    assert info.value.first.path == "ticket.events[0].reason"
    assert "declares none" in info.value.first.message


def test_unknown_region_channel_severity() -> None:
    assert _problems(ticket(OPENED, region="east")) == [("ticket.region", "unknown-region")]
    assert _problems(ticket(OPENED, channel="pigeon")) == [("ticket.channel", "unknown-channel")]
    assert _problems(ticket(OPENED, severity="urgent")) == [("ticket.severity", "unknown-severity")]


def test_region_is_free_when_the_policy_declares_none() -> None:
    d = evaluate(
        shipped("hvac-project-36-months"), ticket(OPENED, region="anywhere"), "2024-06-03 10:01"
    )
    assert d.region == "anywhere"


def test_escalation_and_severity_change_are_checked_against_the_policy() -> None:
    assert _problems(ticket(OPENED, ev("escalated", "2024-06-03 10:05", to="moon"))) == [
        ("ticket.events[0].to", "unknown-channel")
    ]
    assert _problems(ticket(OPENED, ev("escalated", "2024-06-03 10:05"))) == [
        ("ticket.events[0].to", "missing-to")
    ]
    assert _problems(ticket(OPENED, ev("severity_changed", "2024-06-03 10:05", severity="x"))) == [
        ("ticket.events[0].severity", "unknown-severity")
    ]
    assert _problems(ticket(OPENED, ev("severity_changed", "2024-06-03 10:05"))) == [
        ("ticket.events[0].severity", "missing-severity")
    ]


def test_reopened_without_resolved() -> None:
    assert _problems(ticket(OPENED, ev("reopened", "2024-06-03 10:05"))) == [
        ("ticket.events[0]", "reopen-unresolved")
    ]


def test_every_problem_is_reported_at_once() -> None:
    t = ticket(
        OPENED,
        ev("resumed", "2024-06-03 10:05"),
        ev("responded", "2024-06-03 10:01"),
        region="east",
    )
    assert _problems(t) == [
        ("ticket.region", "unknown-region"),
        ("ticket.events[0]", "resume-without-pause"),
        ("ticket.events[1].at", "out-of-order"),
    ]


def test_naive_datetimes_name_the_field() -> None:
    t = ticket(OPENED, {"type": "responded", "at": "2024-06-03T10:05:00"})
    with pytest.raises(FactsError) as info:
        evaluate(P, t, "2024-06-04 10:00")
    (problem,) = info.value.problems
    assert problem.path == "ticket.events[0].at"
    assert "naive datetime" in problem.message
    with pytest.raises(FactsError) as info:
        evaluate(P, {"opened_at": "2024-06-03T10:00:00"}, "2024-06-04 10:00")
    assert info.value.first.path == "ticket.opened_at"


def test_naive_or_missing_as_of() -> None:
    with pytest.raises(FactsError) as info:
        P.evaluate_ticket(ticket(OPENED), as_of=datetime(2024, 6, 4, 10, 0))
    assert (info.value.first.path, info.value.first.code) == ("as_of", "naive-datetime")
    with pytest.raises(FactsError) as info:
        P.evaluate_ticket(ticket(OPENED), as_of=date(2024, 6, 4))  # type: ignore[arg-type]
    assert info.value.first.path == "as_of"


def test_invalid_ticket_data() -> None:
    with pytest.raises(FactsError) as info:
        evaluate(
            P,
            {
                "opened_at": at(OPENED).isoformat(),
                "events": [{"type": "teleported", "at": at(OPENED).isoformat()}],
            },
            OPENED,
        )
    assert info.value.first.path == "ticket.events[0].type"
    with pytest.raises(FactsError) as info:
        P.evaluate_ticket("{not json", as_of=at(OPENED))
    with pytest.raises(FactsError) as info:
        evaluate(P, {"events": []}, OPENED)
    assert info.value.first.path == "ticket.opened_at"


def test_policy_without_sla() -> None:
    from warrantykit.engine.compiled import load_policy

    policy = load_policy(POLICIES / "desktop-pc-5-years-onsite.yaml")
    with pytest.raises(EvaluationError) as info:
        evaluate(policy, ticket(OPENED), OPENED)
    assert "no 'sla' section" in str(info.value)
