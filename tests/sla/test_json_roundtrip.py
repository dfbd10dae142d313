"""``TicketDecision.from_json`` is the inverse of ``to_json`` (docs/sla.md, JSON shape).

* every shipped policy with an SLA: decisions on generated tickets
  (``warrantykit.testing.strategies``) survive ``to_json`` -> JSON text -> ``from_json``
  equal, and render the same JSON again;
* a malformed document is a ``FactsError`` whose problem names the JSON path.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from warrantykit.engine.sla import TicketDecision
from warrantykit.errors import FactsError
from warrantykit.testing.strategies import TicketExample, ticket_examples

from .helpers import POLICIES, at, ev, evaluate, policy_with, shipped, ticket

WITH_SLA = sorted(
    p.stem
    for p in POLICIES.glob("*.yaml")
    if not p.name.endswith(".cases.yaml") and "\nsla:" in p.read_text(encoding="utf-8")
)

RICH = policy_with(
    """
    sla:
      clause: S
      severities: [{id: high}, {id: low}]
      default_severity: low
      on_severity_change: from_change
      pause_reasons:
        - {id: customer, clause: P.1}
        - {id: travel, clause: P.2, stops: [arrival]}
      escalation:
        - {channel: phone}
        - {channel: remote, after: 2 hours, clause: E.1}
        - {channel: on_site, after: 1 working_days, calendar: cn-office-5x8, clause: E.2}
      metrics:
        - id: response
          clause: M.1
          text: respond within the hour
          kind: response
          stops: responded
          calendar: cn-office-5x8
          targets: [{severity: high, within: 30 minutes}, {within: 1 hour}]
          at_risk_percent: [50, 75]
        - id: arrival
          clause: M.2
          kind: arrival
          starts: escalated:on_site
          stops: arrived
          targets: [{within: 8 hours}]
        - id: resolution
          clause: M.3
          kind: resolution
          stops: resolved
          calendar: cn-statutory
          targets: [{within: 3 working days}]
        - id: loaner
          clause: M.4
          kind: loaner
          stops: resolved
          obligation: true
          targets: [{within: 48 hours}]
    """
)


def _roundtrip(decision: TicketDecision) -> TicketDecision:
    text = json.dumps(decision.to_json(), ensure_ascii=False)
    back = TicketDecision.from_json(json.loads(text))
    return back


def _rich_decision() -> TicketDecision:
    """Every part of the shape: pauses, a severity change, an escalation, a reopened
    cycle, at-risk marks, an obligation, and deadlines beyond the trusted years."""
    data = ticket(
        "2026-12-30 15:00",
        ev("paused", "2026-12-30 15:10", reason="travel"),
        ev("resumed", "2026-12-30 15:40"),
        ev("severity_changed", "2026-12-30 15:50", severity="high"),
        ev("escalated", "2026-12-30 16:30", to="remote"),
        ev("resolved", "2026-12-31 10:00"),
        ev("reopened", "2027-01-01 10:00"),
        ev("paused", "2027-01-01 11:00", reason="customer"),
        id="T-7",
        channel="phone",
    )
    return evaluate(RICH, data, "2027-01-12 12:00")


def test_a_rich_decision_round_trips_equal() -> None:
    d = _rich_decision()
    # the example exercises every part of the shape
    assert d.severity.changes and d.escalations and d.not_applicable == ()
    assert any(m.pauses for m in d.metrics) and any(m.cycles for m in d.metrics)
    assert any(m.at_risk for m in d.metrics) and any(m.warnings for m in d.metrics)
    back = _roundtrip(d)
    assert back == d
    assert back.to_json() == d.to_json()
    assert back.explain() == d.explain()
    assert back.reasons == d.reasons
    # the rebuilt instants are the same instants, rendered in the same zones
    for mine, theirs in zip(d.metrics, back.metrics, strict=True):
        assert mine.due == theirs.due and mine.zone == theirs.zone and mine.text == theirs.text


def test_equality_sees_every_field() -> None:
    d = _rich_decision()
    other = evaluate(
        RICH,
        ticket("2026-12-30 15:00", ev("responded", "2026-12-30 15:20"), channel="phone"),
        "2027-01-12 12:00",
    )
    assert d != other
    assert d == _rich_decision() and hash(d) == hash(_rich_decision())
    later = evaluate(RICH, d.ticket.model_dump(mode="json"), "2027-01-12 12:01")
    assert later != d


def test_fractional_seconds_survive() -> None:
    data = ticket("2024-06-03T10:00:00.250001+08:00", ev("responded", "2024-06-03T10:00:30.5+08:00"))
    d = evaluate(RICH, data, "2024-06-03T10:10:00.000003+08:00")
    back = _roundtrip(d)
    assert back == d
    m = back.metric("response")
    assert m.elapsed == timedelta(seconds=30, microseconds=249999)
    assert m.to_json()["elapsed_seconds"] == 30.249999


@pytest.mark.parametrize("name", WITH_SLA)
def test_shipped_policy_decisions_round_trip(name: str) -> None:
    policy = shipped(name)

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ticket_examples(policy))
    def check(example: TicketExample) -> None:
        d = policy.evaluate_ticket(example.ticket, as_of=example.as_of)
        back = _roundtrip(d)
        assert back == d
        assert back.to_json() == d.to_json()

    check()


def test_the_shipped_policies_with_an_sla_are_all_checked() -> None:
    assert len(WITH_SLA) >= 14
    assert "hospital-his-software-12-months" in WITH_SLA


# ---------------------------------------------------------------- malformed documents


def _doc() -> dict[str, Any]:
    return _rich_decision().to_json()


def _problem(doc: object) -> tuple[str, str, str]:
    with pytest.raises(FactsError) as info:
        TicketDecision.from_json(doc)  # type: ignore[arg-type]
    p = info.value.first
    return p.path, p.code, p.message


def _broken(edit: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    edit(doc)
    return doc


def test_not_an_object_or_another_schema() -> None:
    assert _problem([1, 2])[:2] == ("", "malformed-decision")
    doc = _broken(lambda d: d.update(schema="warrantykit.claim-decision/1"))
    path, code, message = _problem(doc)
    assert (path, code) == ("schema", "malformed-decision")
    assert "warrantykit.ticket-decision/1" in message


@pytest.mark.parametrize(
    ("edit", "path", "fragment"),
    [
        (lambda d: d.pop("status"), "status", "missing"),
        (lambda d: d.update(status="fine"), "status", "expected one of"),
        (lambda d: d["policy"].pop("content_hash"), "policy.content_hash", "missing"),
        (lambda d: d.update(as_of="yesterday"), "as_of", "ISO 8601"),
        (lambda d: d.update(as_of="2024-10-09T12:00:00"), "as_of", "UTC offset"),
        (lambda d: d["metrics"][1].update(due=17), "metrics[1].due", "ISO 8601"),
        (lambda d: d["metrics"][0].update(elapsed_seconds="10"), "metrics[0].elapsed_seconds",
         "seconds"),
        (lambda d: d["metrics"][0].update(obligation="no"), "metrics[0].obligation", "true or false"),
        (lambda d: d["metrics"][0]["at_risk"][0].update(percent="x"),
         "metrics[0].at_risk[0].percent", "decimal"),
        (lambda d: d["metrics"][0].update(timezone="Mars/Base"), "metrics[0].timezone", "IANA"),
        (lambda d: d["metrics"][2]["cycles"][0].pop("state"), "metrics[2].cycles[0].state", "missing"),
        (lambda d: d["metrics"][0]["pauses"][0].update(event=None), "metrics[0].pauses[0].event",
         "event index"),
        (lambda d: d["metrics"].__setitem__(0, "response"), "metrics[0]", "expected an object"),
        (lambda d: d.update(metrics={}), "metrics", "expected a list"),
        (lambda d: d["severity"]["changes"][0].update(at=None), "severity.changes[0].at", "null"),
        (lambda d: d["escalations"][1].update(state="late-ish"), "escalations[1].state",
         "expected one of"),
        (lambda d: d["warnings"].append(3), "warnings[0]", "expected a string"),
        (lambda d: d.update(reasons=[]), "reasons", "fewer reasons"),
    ],
)
def test_a_malformed_document_names_the_json_path(edit: Any, path: str, fragment: str) -> None:
    got_path, code, message = _problem(_broken(edit))
    assert (got_path, code) == (path, "malformed-decision")
    assert fragment in message


def test_invalid_ticket_facts_name_the_ticket_path() -> None:
    doc = _broken(lambda d: d["ticket"]["events"][0].update(at="2024-09-27T15:10:00"))
    with pytest.raises(FactsError) as info:
        TicketDecision.from_json(doc)
    assert info.value.first.path == "ticket.events[0].at"


def test_documents_without_the_newer_keys_still_load() -> None:
    """``text``, ``timezone`` and ``escalations`` were added within schema version 1."""
    doc = _doc()
    doc.pop("timezone")
    doc.pop("escalations")
    doc["reasons"] = [r for r in doc["reasons"] if not r["rule"].startswith("sla.escalation")]
    for m in doc["metrics"]:
        m.pop("text")
        m.pop("timezone")
    back = TicketDecision.from_json(doc)
    assert back.escalations == ()
    assert [m.due for m in back.metrics] == [m.due for m in _rich_decision().metrics]


def test_cli_json_output_loads_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from warrantykit.cli import main

    path = tmp_path / "t.json"
    data = ticket(
        "2024-09-27 15:00",
        ev("escalated", "2024-09-27 16:00", to="on_site"),
        ev("arrived", "2024-09-27 17:30"),
        channel="phone",
        region="city",
        severity="complex",
    )
    path.write_text(json.dumps(data), encoding="utf-8")
    policy_file = str(POLICIES / "hospital-his-software-12-months.yaml")
    as_of = "2024-10-08T10:00:00+08:00"
    assert main(["sla", policy_file, str(path), "--as-of", as_of, "--format", "json"]) == 0
    back = TicketDecision.from_json(json.loads(capsys.readouterr().out))
    policy = shipped("hospital-his-software-12-months")
    assert back == policy.evaluate_ticket(data, as_of=at("2024-10-08 10:00"))
    assert [e.state for e in back.escalations] == ["start", "skipped", "escalated"]
