"""Cross-reference checks added after the first gallery: ends_on events, customer_choice."""

from __future__ import annotations

import pytest

from warrantykit import load_policy
from warrantykit.errors import PolicyError

HEAD = """\
id: refs
version: 1.0.0
title: refs
source: {name: test}
timezone: Asia/Shanghai
"""

SLA = HEAD + """\
sla:
  severities: [{id: "1"}]
  default_severity: "1"
  metrics:
    - id: phone-fix
      clause: "3.1"
      kind: resolution
      stops: resolved
      ends_on: [%s]
      targets: [{within: 8 hours}]
"""


def test_ends_on_accepts_events_and_escalations() -> None:
    policy = load_policy(SLA % "escalated:remote, arrived", file="refs.yaml")
    assert policy.document.sla is not None
    assert policy.document.sla.metrics[0].ends_on == ("escalated:remote", "arrived")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("escalated:carrier-pigeon", "unknown channel 'carrier-pigeon'"),
        ("resolvd", "unknown event 'resolvd' (did you mean 'resolved'?)"),
    ],
)
def test_ends_on_unknown_names_are_errors(value: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy(SLA % value, file="refs.yaml")
    problem = err.value.first
    assert problem.path == "sla.metrics[0].ends_on[0]"
    assert problem.message.startswith(message)
    assert (problem.file, problem.line) == ("refs.yaml", 14)


def test_customer_choice_needs_two_warranties() -> None:
    text = HEAD + """\
warranty_choice: customer_choice
warranties: [{id: vendor, provider: vendor}]
terms: [{id: t, clause: "1", anchor: purchase, length: 1 year, warranty: vendor}]
"""
    with pytest.raises(PolicyError) as err:
        load_policy(text, file="refs.yaml")
    assert err.value.first.path == "warranty_choice"
    assert err.value.first.code == "choice-without-alternatives"
    assert err.value.first.line == 6
