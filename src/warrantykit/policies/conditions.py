"""Structured conditions on facts: fields, comparison operators, all/any/not.

A condition is YAML data, never code::

    when:
      any:
        - {fact: claim.cause_codes, contains: improper_use}
        - {fact: claim.evidence.warranty_card.present, eq: false}
        - not: {fact: claim.evidence.opened_by, in: [vendor, authorised_repairer, nobody]}

A leaf names one fact path and exactly one operator. The set of operators is
closed; nothing is evaluated with ``eval``/``exec``. Comparisons against a fact
that is unknown (``None``) make the condition *undetermined*: the engine reports
the missing fact instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warrantykit.policies.yamlsafe import Path

__all__ = ["LEAF_OPERATORS", "Condition", "Scalar", "leaf_values", "walk"]

Scalar = str | bool | int | Decimal | date | None

LEAF_OPERATORS: tuple[str, ...] = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "ge",
    "lt",
    "le",
    "contains",
    "contains_any",
    "contains_all",
    "exists",
)


class Condition(BaseModel):
    """One node of a condition tree: ``all``/``any``/``not`` or a leaf on ``fact``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all_: tuple[Condition, ...] | None = Field(None, alias="all", description="Every one holds.")
    any_: tuple[Condition, ...] | None = Field(None, alias="any", description="At least one holds.")
    not_: Condition | None = Field(None, alias="not", description="The condition does not hold.")
    fact: str | None = Field(
        None,
        description="Fact path such as claim.cause_codes or ticket.outage_minutes.",
        pattern=r"^(claim|asset|ticket)(\.[A-Za-z_][A-Za-z0-9_]*)+$",
    )
    eq: Scalar = None
    ne: Scalar = None
    in_: tuple[Scalar, ...] | None = Field(None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    gt: int | Decimal | date | None = None
    ge: int | Decimal | date | None = None
    lt: int | Decimal | date | None = None
    le: int | Decimal | date | None = None
    contains: Scalar = None
    contains_any: tuple[Scalar, ...] | None = None
    contains_all: tuple[Scalar, ...] | None = None
    exists: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _reject_floats(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                items = item if isinstance(item, list | tuple) else [item]
                for one in items:
                    if isinstance(one, float):
                        raise ValueError(
                            f"'{key}' holds the float {one!r}; write exact numbers "
                            f"(integers, or quoted decimals)"
                        )
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        branches = [n for n in ("all", "any", "not") if self._branch(n) is not None]
        ops = self.operators()
        if self.fact is None:
            if ops:
                raise ValueError(f"operator {ops[0]!r} needs a 'fact' to compare")
            if len(branches) != 1:
                raise ValueError(
                    "a condition is exactly one of: all, any, not, or a fact with one operator"
                    if branches
                    else "empty condition: give all, any, not, or a fact with one operator"
                )
            for name in ("all", "any"):
                items = self._branch(name)
                if isinstance(items, tuple) and not items:
                    raise ValueError(f"'{name}' needs at least one condition")
        else:
            if branches:
                raise ValueError(f"a leaf with 'fact' cannot also have '{branches[0]}'")
            if len(ops) != 1:
                raise ValueError(
                    f"a leaf needs exactly one operator of {', '.join(LEAF_OPERATORS)}"
                    + (f"; found {', '.join(ops)}" if ops else "")
                )
        return self

    def __eq__(self, other: object) -> bool:
        # Which operator a leaf has is recorded by which fields were given, not by
        # their values (``eq: null`` and ``ne: null`` hold the same values), so
        # equality compares the operators too.
        if not isinstance(other, Condition):
            return NotImplemented
        return super().__eq__(other) and self.operators() == other.operators()

    def __hash__(self) -> int:
        return hash((*self.__dict__.values(), *self.operators()))

    def _branch(self, name: str) -> object:
        return {"all": self.all_, "any": self.any_, "not": self.not_}[name]

    def operators(self) -> list[str]:
        """The leaf operators set on this node (in declaration order)."""
        found: list[str] = []
        for op in LEAF_OPERATORS:
            attr = {"in": "in_"}.get(op, op)
            if attr in self.model_fields_set or op in self.model_fields_set:
                found.append(op)
        return found

    @property
    def operator(self) -> str:
        """The single operator of a leaf."""
        ops = self.operators()
        if len(ops) != 1:
            raise ValueError("not a leaf")
        return ops[0]

    def operand(self) -> Any:
        op = self.operator
        return getattr(self, {"in": "in_"}.get(op, op))

    def facts(self) -> list[str]:
        """Every fact path this condition reads, in order, without duplicates."""
        out: list[str] = []
        for node, _ in walk(self):
            if node.fact is not None and node.fact not in out:
                out.append(node.fact)
        return out

    def describe(self) -> str:
        """A short human reading: ``claim.cause_codes contains 'improper_use'``."""
        if self.all_ is not None:
            return "(" + " and ".join(c.describe() for c in self.all_) + ")"
        if self.any_ is not None:
            return "(" + " or ".join(c.describe() for c in self.any_) + ")"
        if self.not_ is not None:
            return "not " + self.not_.describe()
        words = {
            "eq": "=",
            "ne": "!=",
            "in": "in",
            "not_in": "not in",
            "gt": ">",
            "ge": ">=",
            "lt": "<",
            "le": "<=",
            "contains": "contains",
            "contains_any": "contains any of",
            "contains_all": "contains all of",
            "exists": "exists" if self.exists else "is missing",
        }
        op = self.operator
        if op == "exists":
            return f"{self.fact} {words[op]}"
        operand = self.operand()
        shown = list(operand) if isinstance(operand, tuple) else operand
        return f"{self.fact} {words[op]} {shown!r}"


Condition.model_rebuild()


def walk(cond: Condition, path: Path = ()) -> Iterator[tuple[Condition, Path]]:
    """Every node of ``cond`` (itself first, then ``all``, ``any``, ``not``), with its
    field path below ``path`` (``(*path, "any", 1, "not")``)."""
    yield cond, path
    for name, items in (("all", cond.all_), ("any", cond.any_)):
        for i, child in enumerate(items or ()):
            yield from walk(child, (*path, name, i))
    if cond.not_ is not None:
        yield from walk(cond.not_, (*path, "not"))


def leaf_values(leaf: Condition) -> set[Any] | None:
    """The only values an ``eq``/``in`` leaf lets its fact have; None for other operators."""
    op = leaf.operator
    if op == "eq":
        return {leaf.eq}
    if op == "in":
        return set(leaf.in_ or ())
    return None
