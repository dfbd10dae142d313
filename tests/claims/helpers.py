"""Builders shared by the claim-decision tests: inline policies and claim facts."""

from __future__ import annotations

import copy
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.engine.decision import ClaimDecision

POLICIES = Path(__file__).resolve().parents[2] / "policies"

HEAD = """\
id: test-policy
version: 1.0.0
title: inline test policy
source: {name: test}
timezone: Asia/Shanghai
currency: CNY
"""

CN_CALENDAR = """\
calendars:
  cn:
    preset: 5x8
    holidays: {country: CN}
    trusted_years: [2020, 2026]
"""

GOOD_EVIDENCE: dict[str, Any] = {
    "warranty_card": {"present": True, "matches_unit": True, "altered": False},
    "invoice_present": True,
    "repair_records_present": True,
    "opened_by": "nobody",
    "modified_by": "nobody",
    "paid_up": True,
    "licensed_copy": True,
}


def policy(body: str, *, calendar: bool = False) -> Policy:
    """A policy from the common head plus ``body`` (dedented YAML)."""
    text = HEAD + (CN_CALENDAR if calendar else "") + textwrap.dedent(body)
    return load_policy(text)


def claim(
    failure: str | None = "2024-06-01",
    *,
    dates: dict[str, str] | None = None,
    asset: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Claim facts as plain data: good evidence, the given dates, anything else in ``fields``."""
    data: dict[str, Any] = {
        "id": "C-1",
        "asset": {"dates": dict(dates or {"purchase": "2024-01-01"})},
        "evidence": copy.deepcopy(GOOD_EVIDENCE if evidence is None else evidence),
    }
    if failure is not None:
        data["failure_date"] = failure
    if asset:
        data["asset"].update(asset)
    data.update(fields)
    return data


def decide(p: Policy, facts: dict[str, Any], as_of: str = "2025-06-01") -> ClaimDecision:
    return p.evaluate(facts, as_of=date.fromisoformat(as_of))


def term(decision: ClaimDecision, term_id: str) -> Any:
    for t in decision.terms:
        if t.id == term_id:
            return t
    raise AssertionError(f"term {term_id} not in the decision: {[t.id for t in decision.terms]}")


def payers(decision: ClaimDecision, line: str) -> list[tuple[str, str | None]]:
    """[(payer, amount text)] of one cost line."""
    return [
        (c.payer, None if c.amount is None else f"{c.amount.amount} {c.amount.currency}")
        for c in decision.costs
        if c.line == line
    ]
