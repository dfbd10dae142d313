"""The policy strategies: valid facts for every shipped policy, and boundaries hit often.

Example counts come from the Hypothesis profile (tests/conftest.py); the sweeps over
every shipped policy lower them (``_fewer``) to keep the suite fast.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from warrantykit import load_policy
from warrantykit.cli.common import is_policy_file
from warrantykit.engine.compiled import Policy
from warrantykit.errors import FactsError, WarrantykitError
from warrantykit.facts import Asset, Claim, Ticket, parse_facts
from warrantykit.testing import strategies as wst

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SHIPPED = sorted(p for p in POLICIES.rglob("*.yaml") if is_policy_file(p))
IDS = [str(p.relative_to(POLICIES)) for p in SHIPPED]
_LOADED: dict[Path, Policy] = {}


def load(path: Path) -> Policy:
    if path not in _LOADED:
        _LOADED[path] = load_policy(path)
    return _LOADED[path]


def _fewer(n: int) -> settings:
    """The profile's settings with at most ``n`` examples (never more than the profile)."""
    return settings(
        max_examples=min(settings().max_examples, n),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        deadline=None,
    )


def _evaluate_or_typed_error(evaluate: Callable[[], Any]) -> Any:
    """The decision; None for an engine error other than FactsError (not the strategy's
    fault: the properties report engine crashes); FactsError propagates (invalid facts)."""
    try:
        return evaluate()
    except FactsError:
        raise
    except (WarrantykitError, Exception):
        return None


# ---------------------------------------------------------------- valid facts


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_claims_are_valid_facts_for_every_shipped_policy(path: Path) -> None:
    policy = load(path)
    prof = wst.profile(policy)
    zone = ZoneInfo(policy.document.timezone)
    categories = set(prof.categories)
    components = set(prof.components)

    @_fewer(25)
    @given(wst.claim_examples(policy))
    def check(example: wst.ClaimExample) -> None:
        claim = example.claim
        # the facts round-trip through the fact model
        again = parse_facts(Claim, claim.model_dump(mode="json"), name="claim")
        assert again == claim
        if policy.document.cause_codes is not None:
            assert set(claim.cause_codes) <= set(policy.document.cause_codes)
        assert claim.asset.category is None or claim.asset.category in categories
        assert claim.component is None or claim.component in components
        assert set(claim.asset.components) <= components
        if claim.failure_date is not None:
            assert example.as_of >= claim.failure_date
        for repair in claim.repairs:
            assert repair.returned is None or repair.handed_over <= repair.returned
            assert repair.handed_over <= example.as_of
        if claim.reported_at is not None:
            assert claim.reported_at.utcoffset() == claim.reported_at.astimezone(zone).utcoffset()
            if claim.resolved_at is not None:
                assert claim.resolved_at >= claim.reported_at
        for price in claim.prices.values():
            assert price.amount > 0
        _evaluate_or_typed_error(lambda: policy.evaluate(claim, as_of=example.as_of))

    check()


SLA_POLICIES = [p for p in SHIPPED if load(p).document.sla is not None]


@pytest.mark.parametrize("path", SLA_POLICIES, ids=[str(p.relative_to(POLICIES)) for p in SLA_POLICIES])
def test_tickets_are_valid_facts_for_every_shipped_policy(path: Path) -> None:
    policy = load(path)
    sla = policy.document.sla
    assert sla is not None
    levels = {s.id for s in sla.severities}
    reasons = {r.id for r in sla.pause_reasons}

    @_fewer(25)
    @given(wst.ticket_examples(policy))
    def check(example: wst.TicketExample) -> None:
        ticket = example.ticket
        assert parse_facts(Ticket, ticket.model_dump(mode="json"), name="ticket") == ticket
        assert ticket.channel is None or ticket.channel in sla.channels
        assert ticket.region is None or ticket.region in sla.regions
        assert ticket.severity is None or ticket.severity in levels
        previous = ticket.opened_at
        paused = False
        for event in ticket.events:
            assert event.at >= previous
            previous = event.at
            if event.type == "paused":
                assert not paused and event.reason in reasons
                paused = True
            elif event.type == "resumed":
                assert paused
                paused = False
            elif event.type == "severity_changed":
                assert event.severity in levels
            elif event.type == "escalated":
                assert event.to in sla.channels
        assert example.as_of.tzinfo is not None
        # the engine validates the ticket against the policy: a FactsError fails here
        _evaluate_or_typed_error(lambda: policy.evaluate_ticket(ticket, as_of=example.as_of))

    check()


SCHEDULE_POLICIES = [p for p in SHIPPED if load(p).document.schedule]


@pytest.mark.parametrize(
    "path", SCHEDULE_POLICIES, ids=[str(p.relative_to(POLICIES)) for p in SCHEDULE_POLICIES]
)
def test_assets_are_valid_for_every_shipped_schedule(path: Path) -> None:
    policy = load(path)
    rules = {r.id for r in policy.document.schedule}

    @_fewer(25)
    @given(wst.schedule_examples(policy))
    def check(example: wst.ScheduleExample) -> None:
        assert parse_facts(Asset, example.asset.model_dump(mode="json"), name="asset") == example.asset
        assert example.start <= example.end
        assert {w.obligation for w in example.performed} <= rules
        # every anchor date and asset fact the schedule needs is there: no FactsError
        _evaluate_or_typed_error(lambda: example.evaluate(policy))

    check()


def test_ticket_examples_need_an_sla() -> None:
    policy = load(POLICIES / "cn" / "three-guarantees-general.yaml")
    with pytest.raises(ValueError, match="no 'sla:' section"):
        wst.ticket_examples(policy)


def test_strategies_show_the_policy_id_not_the_document() -> None:
    policy = load(POLICIES / "hvac-project-36-months.yaml")
    assert "hvac-project-36-months" in repr(wst.claim_examples(policy))
    assert len(repr(wst.claim_examples(policy))) < 200


# ---------------------------------------------------------------- weighted


@given(wst.weighted((0, st.just("never")), (3, st.just("a")), (1, st.just("b"))))
def test_weighted_skips_zero_weights(value: str) -> None:
    assert value in ("a", "b")


def test_weighted_needs_a_positive_weight() -> None:
    with pytest.raises(ValueError, match="positive weight"):
        wst.weighted((0, st.just(1)))


# ---------------------------------------------------------------- boundaries


def _share(policy: Policy, strategy: Any, hit: Callable[[Any], bool]) -> float:
    """Share of seeded examples for which ``hit`` holds.

    Each Hypothesis example is a list of 30 independent draws (so the estimate does not
    depend on how Hypothesis mutates one example into the next), at most 4 examples,
    duplicates counted once (the first example is Hypothesis' simplest: 30 equal ones).
    """
    seen: dict[str, Any] = {}

    @seed(20240229)
    @_fewer(4)
    @given(st.lists(strategy, min_size=30, max_size=30))
    def collect(examples: list[Any]) -> None:
        for example in examples:
            seen.setdefault(repr(example), example)

    collect()
    hits = [hit(example) for example in seen.values()]
    assert len(hits) >= 30, f"only {len(hits)} distinct examples"
    return sum(hits) / len(hits)


def _near_a_term_end(policy: Policy) -> Callable[[wst.ClaimExample], bool]:
    def hit(example: wst.ClaimExample) -> bool:
        failure = example.claim.failure_date
        if failure is None:
            return False
        decision = _evaluate_or_typed_error(lambda: policy.evaluate(example.claim, as_of=example.as_of))
        if decision is None:
            return False
        return any(t.end is not None and abs((failure - t.end).days) <= 1 for t in decision.terms)

    return hit


@pytest.mark.parametrize(
    "name",
    [
        "hvac-project-36-months.yaml",
        "pc-network-tender-5-3-15-years.yaml",
        "furniture-layered-lifetime.yaml",
        "cn/construction-minimum.yaml",
    ],
)
def test_many_failures_fall_within_a_day_of_a_term_end(name: str) -> None:
    policy = load(POLICIES / name)
    share = _share(policy, wst.claim_examples(policy), _near_a_term_end(policy))
    assert share >= 0.15, f"only {share:.0%} of the claims fail within a day of a term end"


def test_random_failure_dates_still_appear() -> None:
    policy = load(POLICIES / "hvac-project-36-months.yaml")
    share = _share(policy, wst.claim_examples(policy), _near_a_term_end(policy))
    assert share <= 0.9


def test_purchase_window_edges_day_7_8_15_16() -> None:
    policy = load(POLICIES / "cn" / "three-guarantees-general.yaml")

    def hit(example: wst.ClaimExample) -> bool:
        purchase = example.claim.asset.dates.purchase
        failure = example.claim.failure_date
        return (
            purchase is not None and failure is not None and (failure - purchase).days in (7, 8, 15, 16)
        )

    share = _share(policy, wst.claim_examples(policy), hit)
    assert share >= 0.05, f"only {share:.0%} of the claims fail on day 7, 8, 15 or 16"


def test_repeated_repairs_around_the_count() -> None:
    """equipment-supply-three-repairs: 3 consecutive repairs of one fault -> 2, 3, 4 repairs."""
    policy = load(POLICIES / "equipment-supply-three-repairs.yaml")

    def hit(example: wst.ClaimExample) -> bool:
        fault = example.claim.fault_code
        same = [r for r in example.claim.repairs if r.fault_code == fault]
        return len(same) in (2, 3, 4)

    share = _share(policy, wst.claim_examples(policy), hit)
    assert share >= 0.15, f"only {share:.0%} of the claims have 2-4 repairs of their fault"


def test_anchors_on_month_ends_and_29_february() -> None:
    policy = load(POLICIES / "hvac-project-36-months.yaml")

    def hit(example: wst.ClaimExample) -> bool:
        day = example.claim.asset.dates.acceptance
        return day is not None and day.day == calendar.monthrange(day.year, day.month)[1]

    assert _share(policy, wst.claim_examples(policy), hit) >= 0.1


def test_ends_rolled_off_holidays_are_generated() -> None:
    """pc-network-tender rolls the coverage end off statutory rest days (P8)."""
    policy = load(POLICIES / "pc-network-tender-5-3-15-years.yaml")

    def hit(example: wst.ClaimExample) -> bool:
        decision = _evaluate_or_typed_error(lambda: policy.evaluate(example.claim, as_of=example.as_of))
        return decision is not None and any(t.rolled_from is not None for t in decision.terms)

    assert _share(policy, wst.claim_examples(policy), hit) >= 0.05


def test_holidays_and_make_up_days_are_known_for_cn_calendars() -> None:
    prof = wst.profile(load(POLICIES / "hvac-project-36-months.yaml"))
    assert date(2024, 10, 1) in prof.holidays  # National Day
    assert date(2024, 9, 29) in prof.makeup_days  # Sunday make-up working day
    assert date(2024, 9, 30) in prof.special_days


def _near_a_due(policy: Policy) -> Callable[[wst.TicketExample], bool]:
    def hit(example: wst.TicketExample) -> bool:
        decision = _evaluate_or_typed_error(
            lambda: policy.evaluate_ticket(example.ticket, as_of=example.as_of)
        )
        if decision is None:
            return False
        instants = [e.at for e in example.ticket.events] + [example.as_of]
        return any(
            m.due is not None and any(abs((at - m.due).total_seconds()) <= 60 for at in instants)
            for m in decision.metrics
        )

    return hit


@pytest.mark.parametrize("name", ["hvac-project-36-months.yaml", "lighting-project-1-year.yaml"])
def test_ticket_events_at_sla_targets_plus_minus_a_minute(name: str) -> None:
    policy = load(POLICIES / name)
    share = _share(policy, wst.ticket_examples(policy), _near_a_due(policy))
    assert share >= 0.3, f"only {share:.0%} of the tickets have an event within a minute of a due"


DST_POLICY = """\
id: dst-desk
version: 1.0.0
title: A New York service desk (daylight-saving changes)
source: {name: test}
timezone: America/New_York
calendars:
  ny-office:
    preset: 5x8
    holidays: {country: US}
terms:
  - {id: warranty, clause: "1", anchor: purchase, length: 1 year}
sla:
  severities: [{id: any}]
  default_severity: any
  metrics:
    - id: response
      clause: "2"
      kind: response
      stops: responded
      calendar: ny-office
      targets: [{within: 2 hours}]
"""


def test_tickets_around_daylight_saving_changes() -> None:
    policy = load_policy(DST_POLICY)
    prof = wst.profile(policy)
    assert datetime(2024, 3, 10, 7, 0, tzinfo=ZoneInfo("UTC")) in prof.clock_changes
    assert datetime(2024, 11, 3, 6, 0, tzinfo=ZoneInfo("UTC")) in prof.clock_changes

    def hit(example: wst.TicketExample) -> bool:
        opened = example.ticket.opened_at
        return any(abs(opened - change) <= timedelta(hours=2) for change in prof.clock_changes)

    assert _share(policy, wst.ticket_examples(policy), hit) >= 0.1
