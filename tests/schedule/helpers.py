"""Helpers for the schedule tests: small policies built from YAML snippets."""

from __future__ import annotations

import textwrap
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.engine.obligations import Schedule

POLICIES = Path(__file__).resolve().parents[2] / "policies"

HEADER = """\
id: schedule-test
version: 1.0.0
title: schedule test policy
source: {name: test}
timezone: Asia/Shanghai
include: [shared/cn-calendars.inc.yaml]
terms:
  - id: warranty
    clause: T1
    anchor: acceptance
    length: 2 years
  - id: forever
    clause: T2
    kind: paid_service
    anchor: acceptance
    length: lifetime
  - id: heating-seasons
    clause: T3
    anchor: acceptance
    length: {seasons: 2, season: beijing-heating}
"""


@lru_cache(maxsize=256)
def policy_with(rules: str) -> Policy:
    """A policy whose ``schedule:`` is ``rules`` (a YAML list, indented freely)."""
    text = HEADER + "schedule:\n" + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ")
    return load_policy(text + "\n", base_dir=POLICIES, file="schedule-test.yaml")


def rule(
    body: str, rule_id: str = "r", kind: str = "inspection", anchor: str = "acceptance"
) -> str:
    """One schedule rule as YAML (``body`` holds the recurrence keys)."""
    head = f"- id: {rule_id}\n  clause: S1\n  kind: {kind}\n  anchor: {anchor}\n"
    return head + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"


def dues(schedule: Schedule, rule_id: str | None = None) -> list[date]:
    return [o.due for o in schedule.obligations if rule_id is None or o.rule == rule_id]


def windows(schedule: Schedule, rule_id: str | None = None) -> list[tuple[date, date]]:
    return [
        (o.window.earliest, o.window.latest)
        for o in schedule.obligations
        if rule_id is None or o.rule == rule_id
    ]


def asset(**dates: str) -> dict[str, Any]:
    return {"id": "unit-1", "dates": dict(dates)}


D = date
