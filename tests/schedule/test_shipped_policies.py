"""Every schedule rule of every shipped policy yields obligations in 3 years after its anchor,
and each obligation appears in the iCalendar output."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from warrantykit.cli.common import expand_paths
from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.errors import WarrantykitError
from warrantykit.facts import AssetDates
from warrantykit.policies.models import Length

from .helpers import POLICIES, D

ANCHOR = D(2025, 3, 1)
# every anchor event known: the same date for all of them
ALL_DATES = {name: ANCHOR.isoformat() for name in AssetDates.model_fields}


def _shipped() -> list[tuple[Path, str]]:
    """(policy file, schedule rule id) pairs; a policy that does not load is one case with
    rule id ``"<load>"`` so that it fails in the test, not at collection."""
    found: list[tuple[Path, str]] = []
    for path in expand_paths([str(POLICIES)]):
        try:
            policy = load_policy(path)
        except WarrantykitError:
            found.append((path, "<load>"))
            continue
        found.extend((path, r.id) for r in policy.document.schedule)
    return found


def _asset_for(policy: Policy) -> dict[str, Any]:
    """Every anchor date on ANCHOR, and 3 for every whole-number asset attribute a term
    length reads (e.g. ``asset.attributes.free_maintenance_years``)."""
    attributes: dict[str, Any] = {}

    def visit(length: Length) -> None:
        if length.fact and length.fact.startswith("asset.attributes."):
            attributes[length.fact.removeprefix("asset.attributes.")] = 3
        for part in (length.first_of or ()) + (length.last_of or ()):
            visit(part)

    for term in policy.document.terms:
        visit(term.length)
    return {"id": "a", "dates": ALL_DATES, "attributes": attributes}


SHIPPED = _shipped()


def test_hvac_is_among_them() -> None:
    assert any(p.name == "hvac-project-36-months.yaml" for p, _ in SHIPPED)


@pytest.mark.parametrize(("path", "rule_id"), SHIPPED, ids=[f"{p.stem}:{r}" for p, r in SHIPPED])
def test_rule_produces_obligations_in_three_years(path: Path, rule_id: str) -> None:
    policy: Policy = load_policy(path)  # a policy that does not load fails here
    rule = next(r for r in policy.document.schedule if r.id == rule_id)
    end = ANCHOR + timedelta(days=3 * 366)
    if rule.kind in ("record_retention", "parts_availability"):
        end = ANCHOR + timedelta(days=12 * 366)  # retention/availability periods end later
    s = policy.schedule(_asset_for(policy), start=ANCHOR, end=end)
    mine = [o for o in s.obligations if o.rule == rule_id]
    assert mine, f"{rule_id} produced nothing between {ANCHOR} and {end}"
    assert all(ANCHOR <= o.due <= end for o in mine)
    uids = {str(e["UID"]) for e in Calendar.from_ical(s.to_ical()).walk("VEVENT")}
    for ob in mine:
        assert s.uid(ob) in uids
