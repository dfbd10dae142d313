"""Reasons: the trace of every rule that decided something.

Every decision (claim, ticket, schedule) carries an ordered tuple of
:class:`Reason` records: which rule, which clause of the signed document, a
plain-language sentence, and where the rule is written (``file:line``). They
are plain frozen data, cheap to build, and render the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from warrantykit.engine.compiled import Policy

__all__ = ["Reason", "reason"]


@dataclass(frozen=True, slots=True, init=False)
class Reason:
    """One rule's contribution to a decision.

    A decision has about ten of these; the constructor sets the four slots
    through their descriptors, which is twice as fast as the ``object.__setattr__``
    calls of a frozen dataclass's generated ``__init__`` (same signature, same
    result: equality, hashing, ``repr``, pickling and ``replace`` are the
    dataclass's own)."""

    rule: str
    """Id of the rule (term, exclusion, remedy, cost table, metric, schedule item)."""
    clause: str
    """Clause of the signed document, e.g. '四.1)' or 'Art. 11'."""
    text: str
    """What the rule decided, in plain language."""
    source: str
    """Where the rule is written: 'policies/x.yaml:42'."""

    def __init__(self, rule: str, clause: str, text: str, source: str) -> None:
        _set_rule(self, rule)
        _set_clause(self, clause)
        _set_text(self, text)
        _set_source(self, source)

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


_set_rule: Final[Callable[[Reason, str], None]] = vars(Reason)["rule"].__set__
_set_clause: Final[Callable[[Reason, str], None]] = vars(Reason)["clause"].__set__
_set_text: Final[Callable[[Reason, str], None]] = vars(Reason)["text"].__set__
_set_source: Final[Callable[[Reason, str], None]] = vars(Reason)["source"].__set__


def reason(policy: Policy, rule_id: str, clause: str | None, text: str) -> Reason:
    """Build a reason for ``rule_id``, locating it in the policy's files."""
    return Reason(
        rule=rule_id,
        clause=clause or "-",
        text=text,
        source=str(policy.source_of(rule_id)),
    )
