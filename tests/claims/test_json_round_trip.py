"""A decision's JSON: documented key order, round trips, and the writers behind it.

* ``ClaimDecision.from_json(to_json(d)) == d`` (through JSON text) for claims
  drawn by ``warrantykit.testing.strategies`` under several shipped policies,
  and every part (term window, exclusion, remedy, loaner, cost entry, outcome)
  round-trips on its own;
* every part writes the keys ``docs/decisions.md`` lists, in that order;
* the cached date and instant writers give exactly ``isoformat()``;
* ``Reason``'s hand-written constructor behaves like the dataclass one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.engine.decision import (
    JSON_SCHEMA_ID,
    ClaimDecision,
    CostEntry,
    DepreciationCharge,
    ExclusionMatch,
    Loaner,
    MeterStatus,
    Outcome,
    PolicyRef,
    Remedy,
    TermWindow,
    day_text,
    instant_text,
)
from warrantykit.engine.reasons import Reason
from warrantykit.errors import FactsError
from warrantykit.facts import Claim, parse_facts
from warrantykit.money import Money
from warrantykit.testing.strategies import claim_examples

from .helpers import POLICIES

# several shipped policies: layered terms and loaners (tender), several warranties
# and P10 alternatives (IBM), backup units (equipment supplier), purchase windows and
# exclusions (three guarantees), exclusions and seasons (HVAC)
ROUND_TRIP_POLICIES = (
    "pc-network-tender-5-3-15-years.yaml",
    "ibm-server-storage-3-years.yaml",
    "equipment-supplier-backup-unit.yaml",
    "cn/three-guarantees-general.yaml",
    "hvac-project-36-months.yaml",
)

_LOADED: dict[str, Policy] = {}


def shipped(name: str) -> Policy:
    if name not in _LOADED:
        _LOADED[name] = load_policy(POLICIES / name)
    return _LOADED[name]


def _parts(d: ClaimDecision | Outcome) -> list[Any]:
    parts: list[Any] = [*d.terms, *d.exclusions, *d.loaners, *d.costs, *d.reasons]
    if d.remedy is not None:
        parts.append(d.remedy)
    return parts


@pytest.mark.parametrize("name", ROUND_TRIP_POLICIES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decisions_round_trip_through_json_text(name: str, data: st.DataObject) -> None:
    policy = shipped(name)
    example = data.draw(claim_examples(policy))
    decision = policy.evaluate(example.claim, as_of=example.as_of)
    written = decision.to_json()
    text = json.dumps(written, ensure_ascii=False)
    back = ClaimDecision.from_json(json.loads(text))
    assert back == decision
    assert back.to_json() == written
    assert json.dumps(back.to_json(), ensure_ascii=False) == text  # same keys, same order
    assert back.explain() == decision.explain()
    for part in _parts(decision):
        assert type(part).from_json(json.loads(json.dumps(part.to_json()))) == part
    for alternative in decision.alternatives:
        assert Outcome.from_json(json.loads(json.dumps(alternative.to_json()))) == alternative


def test_the_alternatives_policy_gives_alternatives() -> None:
    """The IBM policy above exercises the ``alternatives`` list (P10)."""
    policy = shipped("ibm-server-storage-3-years.yaml")
    decision = policy.evaluate({"asset": {"id": "A-1"}, "failure_date": "2017-05-14"}, as_of=date(2017, 5, 14))
    assert [a.warranty for a in decision.alternatives] == ["ibm"]
    assert ClaimDecision.from_json(json.loads(json.dumps(decision.to_json()))) == decision


# ---------------------------------------------------------------- the documented keys

DOCUMENTED_KEYS: dict[type, list[str]] = {
    PolicyRef: ["id", "version", "content_hash", "file"],
    TermWindow: [
        "id", "kind", "warranty", "clause", "length", "anchor", "start", "original_end",
        "extension_days", "end", "rolled_from", "lifetime", "applies", "inside", "in_effect",
        "meters", "missing",
    ],
    MeterStatus: ["meter", "limit", "reading", "within"],
    ExclusionMatch: ["id", "clause", "outcome", "still_provided"],
    Remedy: [
        "option", "options", "rule", "clause", "replacement", "compensation", "borne_by",
        "window_end", "depreciation", "service_may_be_refused",
    ],
    DepreciationCharge: ["days", "daily_rate_percent", "amount", "refund"],
    Loaner: ["rule", "clause", "provides", "calendar", "due", "deliver_by", "state", "overdue", "missing"],
    CostEntry: [
        "line", "payer", "basis", "percent", "cap", "amount", "rule", "clause", "situation", "note",
    ],
    Reason: ["rule", "clause", "text", "source"],
    Outcome: [
        "warranty", "status", "missing", "term", "terms", "exclusions", "remedy", "loaners",
        "costs", "warnings", "reasons",
    ],
}

CNY = "CNY"
SHANGHAI = timezone(timedelta(hours=8))
METER = MeterStatus("h", Decimal("2000"), Decimal("12.5"), True)
WINDOW = TermWindow(
    "w", "warranty", "w", "4.1", "24 months", "acceptance 2024-01-15", date(2024, 1, 15),
    date(2026, 1, 15), 3, date(2026, 1, 19), date(2026, 1, 18), False, True, None, True,
    (METER,), ("claim.meters.h",),
)
DEPRECIATION = DepreciationCharge(20, Decimal("0.1"), Money(amount=Decimal("20.00"), currency=CNY), None)
REMEDY = Remedy(
    "refund", ("refund", "exchange"), "r7", "5", "same_model", True, "repairer", date(2024, 1, 22),
    DEPRECIATION, True,
)
LOANER = Loaner(
    "backup", "6", "backup_unit", "cn", datetime(2024, 6, 8, 10, tzinfo=SHANGHAI),
    datetime(2024, 6, 9, 0, 0, 0, 500, tzinfo=UTC), "owed", True, (),
)
COST = CostEntry(
    "parts", "customer", "percent", "costs.excluded.parts", "7", "excluded", Decimal("50"),
    Money(amount=Decimal("100"), currency=CNY), Money(amount=Decimal("12.34"), currency=CNY), "capped",
)
OUTCOME = Outcome(
    "w", "covered", (), "w", (WINDOW,), (ExclusionMatch("x", "8", "paid_service", ("data_repair",)),),
    REMEDY, (LOANER,), (COST,), ("holiday data",), (Reason("w", "4.1", "text", "p.yaml:3"),),
)


@pytest.mark.parametrize("part", [WINDOW, METER, DEPRECIATION, REMEDY, LOANER, COST, OUTCOME])
def test_every_part_writes_the_documented_keys_and_reads_them_back(part: Any) -> None:
    written = part.to_json()
    assert list(written) == DOCUMENTED_KEYS[type(part)]
    assert json.loads(json.dumps(written)) == written  # JSON types only
    assert type(part).from_json(json.loads(json.dumps(written))) == part


def test_values_are_written_as_documented() -> None:
    window = WINDOW.to_json()
    assert window["start"] == "2024-01-15" and window["rolled_from"] == "2026-01-18"
    assert window["meters"] == [{"meter": "h", "limit": "2000", "reading": "12.5", "within": True}]
    assert window["missing"] == ["claim.meters.h"]
    assert REMEDY.to_json()["depreciation"] == {
        "days": 20, "daily_rate_percent": "0.1", "amount": "20.00 CNY", "refund": None,
    }
    loaner = LOANER.to_json()
    assert loaner["due"] == "2024-06-08T10:00:00+08:00"
    assert loaner["deliver_by"] == "2024-06-09T00:00:00.000500+00:00"
    cost = COST.to_json()
    assert (cost["percent"], cost["cap"], cost["amount"]) == ("50", "100 CNY", "12.34 CNY")
    outcome = OUTCOME.to_json()
    assert outcome["exclusions"] == [
        {"id": "x", "clause": "8", "outcome": "paid_service", "still_provided": ["data_repair"]}
    ]
    assert outcome["reasons"] == [{"rule": "w", "clause": "4.1", "text": "text", "source": "p.yaml:3"}]


def test_a_decision_writes_the_documented_top_level_keys() -> None:
    decision = shipped("pc-network-tender-5-3-15-years.yaml").evaluate(
        {"asset": {"category": "pc", "dates": {"acceptance": "2024-01-15"}}, "failure_date": "2025-02-01"},
        as_of=date(2025, 3, 1),
    )
    written = decision.to_json()
    assert list(written) == ["schema", "policy", "as_of", "claim", *DOCUMENTED_KEYS[Outcome], "alternatives"]
    assert written["schema"] == JSON_SCHEMA_ID and written["as_of"] == "2025-03-01"
    assert list(written["policy"]) == DOCUMENTED_KEYS[PolicyRef]


def test_missing_optional_keys_read_as_defaults() -> None:
    minimal = {k: v for k, v in WINDOW.to_json().items() if k not in ("in_effect", "meters", "missing", "warranty")}
    window = TermWindow.from_json(minimal)
    assert window.in_effect is True and window.meters == () and window.missing == () and window.warranty is None
    remedy = Remedy.from_json({"option": "repair", "options": ["repair"], "rule": "r", "clause": "c"})
    assert remedy == Remedy("repair", ("repair",), "r", "c")
    with pytest.raises(KeyError):
        Remedy.from_json({"option": "repair", "rule": "r", "clause": "c"})  # options is required


def test_malformed_parts_are_facts_errors() -> None:
    claim = parse_facts(Claim, {"asset": {"category": "pc"}, "failure_date": "2025-02-01"})
    decision = ClaimDecision.from_outcome(
        policy=PolicyRef("p", "1.0.0", "sha256:0"), as_of=date(2025, 3, 1), claim=claim, outcome=OUTCOME
    )
    base = decision.to_json()
    assert ClaimDecision.from_json(json.loads(json.dumps(base))) == decision
    for broken in (
        {**base, "status": "maybe"},
        {**base, "costs": [{**base["costs"][0], "amount": "ten CNY"}]},
        {**base, "terms": [{**base["terms"][0], "start": "2024-13-01"}]},
        {**base, "terms": [{**base["terms"][0], "meters": [{"meter": "h", "limit": None}]}]},
        {**base, "terms": [{**base["terms"][0], "meters": [{"meter": "h", "limit": "lots"}]}]},
    ):
        with pytest.raises(FactsError):
            ClaimDecision.from_json(broken)


# ---------------------------------------------------------------- the cached writers

offsets = st.one_of(
    st.none(),
    st.timezones(),
    st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m))),
    st.integers(-86399, 86399).map(lambda s: timezone(timedelta(seconds=s))),
)


@given(st.datetimes(timezones=offsets, allow_imaginary=True))
def test_instant_text_is_isoformat(value: datetime) -> None:
    assert instant_text(value) == value.isoformat()
    assert instant_text(value) == value.isoformat()  # from the caches the second time


@given(st.dates())
def test_day_text_is_isoformat(value: date) -> None:
    assert day_text(value) == value.isoformat() == day_text(value)


def test_day_text_leaves_datetimes_alone() -> None:
    day = date(2024, 1, 2)
    assert day_text(day) == "2024-01-02"
    assert day_text(datetime(2024, 1, 2, 3, tzinfo=SHANGHAI)) == "2024-01-02T03:00:00+08:00"


# ---------------------------------------------------------------- Reason


def test_reason_constructor_is_the_dataclass_one() -> None:
    r = Reason("rule", "4.1", "text", "p.yaml:3")
    assert r == Reason(rule="rule", clause="4.1", text="text", source="p.yaml:3")
    assert hash(r) == hash(Reason("rule", "4.1", "text", "p.yaml:3"))
    assert repr(r) == "Reason(rule='rule', clause='4.1', text='text', source='p.yaml:3')"
    assert pickle.loads(pickle.dumps(r)) == r and copy.deepcopy(r) == r
    assert dataclasses.replace(r, text="other").text == "other"
    assert dataclasses.astuple(r) == ("rule", "4.1", "text", "p.yaml:3")
    assert not hasattr(r, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.text = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Reason("rule", "4.1", "text")  # type: ignore[call-arg]


def test_reason_json_is_the_field_table_one() -> None:
    # decisions write reasons with Reason's own to_json: it must be what the field
    # table of json_codec gives (every field, in order, as is) and read back the same
    from warrantykit.engine import decision

    r = Reason("rule", "4.1", "text", "p.yaml:3")
    names = [f.name for f in dataclasses.fields(Reason)]
    assert [f.name for f in decision._CODEC_FIELDS[Reason]] == names
    assert list(r.to_json().items()) == [(name, getattr(r, name)) for name in names]
    assert decision._WRITERS[Reason](r) == r.to_json()
    assert decision._READERS[Reason](r.to_json()) == r == Reason.from_json(r.to_json())


# ---------------------------------------------------------------- no generated code


def test_the_json_writers_are_not_generated_source() -> None:
    # project rule: nothing is evaluated with eval/exec (docs: standards)
    import inspect
    import re

    from warrantykit.engine import decision

    source = inspect.getsource(decision)
    assert not re.search(r"\b(exec|eval|compile)\(", source)
    assert all(not w.__code__.co_filename.startswith("<") for w in decision._WRITERS.values() if hasattr(w, "__code__"))
