"""Reasons: the trace of every rule that decided something.

Every decision (claim, ticket, schedule) carries an ordered tuple of
:class:`Reason` records: which rule, which clause of the signed document, a
plain-language sentence, and where the rule is written (``file:line``). They
are plain frozen data, cheap to build, and render the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from warrantykit.engine.compiled import Policy

__all__ = ["Reason", "reason"]


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's contribution to a decision."""

    rule: str
    """Id of the rule (term, exclusion, remedy, cost table, metric, schedule item)."""
    clause: str
    """Clause of the signed document, e.g. '四.1)' or 'Art. 11'."""
    text: str
    """What the rule decided, in plain language."""
    source: str
    """Where the rule is written: 'policies/x.yaml:42'."""

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "clause": self.clause, "text": self.text, "source": self.source}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        return cls(
            rule=str(data["rule"]),
            clause=str(data["clause"]),
            text=str(data["text"]),
            source=str(data["source"]),
        )

    def __str__(self) -> str:
        return f"[{self.clause}] {self.text}  ({self.rule} @ {self.source})"


def reason(policy: Policy, rule_id: str, clause: str | None, text: str) -> Reason:
    """Build a reason for ``rule_id``, locating it in the policy's files."""
    return Reason(
        rule=rule_id,
        clause=clause or "-",
        text=text,
        source=str(policy.source_of(rule_id)),
    )
