"""Property tests of the pump-service contract, with warrantykit's strategies and properties."""

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given

from warrantykit import load_policy
from warrantykit.testing import properties as wpr
from warrantykit.testing import strategies as wst

POLICY = load_policy(Path(__file__).parent.parent / "policies" / "pump-service.yaml")
AS_OF = date(2031, 1, 1)  # one decision date for every generated claim


# ---------------------------------------------------------------- ready invariants


@given(wst.claim_examples(POLICY))
def test_claim_invariants(example):
    wpr.check_deterministic(POLICY, example)
    wpr.check_replays(POLICY, example)
    wpr.check_coverage_does_not_return(POLICY, example)
    wpr.check_one_payer_per_share(POLICY, example)
    wpr.check_excluded_is_never_free(POLICY, example)


@given(wst.ticket_examples(POLICY))
def test_ticket_deadlines_are_in_service_hours(example):
    wpr.check_deadlines_open_after_start(POLICY, example)


@given(wst.schedule_examples(POLICY))
def test_inspections_are_inside_the_horizon(example):
    wpr.check_obligations_inside_horizon(POLICY, example)
    wpr.check_unique_obligation_ids(POLICY, example)


# ---------------------------------------------------------------- our own contract terms


@given(wst.claims(POLICY))
def test_a_covered_failure_costs_the_customer_nothing(claim):
    decision = POLICY.evaluate(claim, as_of=AS_OF)
    wpr.assert_one_payer_per_share(decision)  # a ready check on a decision we already have
    if decision.status == "covered":
        assert all(c.payer == "vendor" for c in decision.costs)
        assert decision.customer_total() is None


@given(wst.claims(POLICY))
def test_the_seal_is_never_covered_by_the_pump_term(claim):
    decision = POLICY.evaluate(claim, as_of=AS_OF)
    if claim.component == "mechanical_seal":
        assert decision.term in (None, "seal")


@given(wst.tickets(POLICY))
def test_an_outage_is_never_answered_later_than_another_fault(ticket):
    opened = {"events": (), "severity": None}
    outage = ticket.model_copy(update={**opened, "business_interrupted": True})
    other = ticket.model_copy(update={**opened, "business_interrupted": False})
    as_of = ticket.opened_at + timedelta(minutes=1)
    due_outage = POLICY.evaluate_ticket(outage, as_of=as_of).metric("response").due
    due_other = POLICY.evaluate_ticket(other, as_of=as_of).metric("response").due
    assert due_outage <= due_other


@given(wst.assets(POLICY))
def test_at_most_eight_inspections(asset):
    schedule = POLICY.schedule(asset, start=date(2015, 1, 1), end=date(2035, 12, 31))
    assert len(schedule.obligations) <= 8  # every 3 months for 24 months
