"""Helpers for the SLA tests: shipped and inline policies, instants, events."""

from __future__ import annotations

import textwrap
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.engine.sla import MetricStatus, TicketDecision

POLICIES = Path(__file__).resolve().parents[2] / "policies"

HEADER = """\
id: sla-test
version: 1.0.0
title: SLA test policy
source: {name: test}
timezone: Asia/Shanghai
include: [shared/cn-calendars.inc.yaml]
"""


@lru_cache(maxsize=64)
def shipped(name: str) -> Policy:
    """A shipped policy by file stem, loaded once."""
    return load_policy(POLICIES / f"{name}.yaml")


@lru_cache(maxsize=64)
def policy_with(body: str) -> Policy:
    """A test policy: :data:`HEADER` plus ``body`` (top-level YAML sections)."""
    text = HEADER + textwrap.dedent(body).strip("\n") + "\n"
    return load_policy(text, base_dir=POLICIES, file="sla-test.yaml")


def at(text: str) -> datetime:
    """An aware instant; a bare local time ``2024-09-27 15:00`` is read in UTC+08:00."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = datetime.fromisoformat(text + "+08:00")
    return value


def ev(kind: str, when: str, **extra: Any) -> dict[str, Any]:
    """One ticket event as plain data (``ev("paused", "2024-09-27 16:00", reason="travel")``)."""
    return {"type": kind, "at": at(when).isoformat(), **extra}


def ticket(opened: str, *events: dict[str, Any], **facts: Any) -> dict[str, Any]:
    return {"opened_at": at(opened).isoformat(), "events": list(events), **facts}


def evaluate(policy: Policy, data: dict[str, Any], as_of: str) -> TicketDecision:
    return policy.evaluate_ticket(data, as_of=at(as_of))


def metric(decision: TicketDecision, metric_id: str) -> MetricStatus:
    return decision.metric(metric_id)
