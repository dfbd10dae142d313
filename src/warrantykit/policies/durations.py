"""Durations as policies write them: ``"36 months"``, ``"2 hours"``, ``"3 working days"``.

A duration is a whole number of one unit. Units are deliberately few and
explicit: calendar units (``days``, ``weeks``, ``months``, ``years``), clock
units (``minutes``, ``hours``) and ``working_days`` (counted on a named
business calendar, strictly after the start day: CONV-08). Misspelt units are
rejected with a suggestion; nothing is guessed.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

__all__ = ["Duration", "Unit", "parse_duration"]


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working_days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


_ALIASES: dict[str, Unit] = {
    "minute": Unit.MINUTES,
    "minutes": Unit.MINUTES,
    "min": Unit.MINUTES,
    "mins": Unit.MINUTES,
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "h": Unit.HOURS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "d": Unit.DAYS,
    "working_day": Unit.WORKING_DAYS,
    "working_days": Unit.WORKING_DAYS,
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "business_days": Unit.WORKING_DAYS,
    "business days": Unit.WORKING_DAYS,
    "business day": Unit.WORKING_DAYS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
    "year": Unit.YEARS,
    "years": Unit.YEARS,
}

_PATTERN = re.compile(r"^\s*(-?\d+)\s*([A-Za-z_ ]+?)\s*$")


def _unit(text: str) -> Unit:
    key = text.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, list(_ALIASES), n=1, cutoff=0.6)
    if close:
        raise ValueError(
            f"unknown unit '{text.strip()}' (did you mean '{_ALIASES[close[0]].value}'?)"
        )
    raise ValueError(
        f"unknown unit '{text.strip()}'; units are " + ", ".join(u.value for u in Unit)
    )


def _amount(value: Any, written: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"negative duration {written!r}: a period cannot be negative")
    return value


def parse_duration(value: Any) -> dict[str, Any]:
    """Turn ``"36 months"`` or ``{"months": 36}`` into ``{"amount": 36, "unit": "months"}``."""
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if not match:
            raise ValueError(
                f"cannot read {value!r} as a duration; write a whole number and a unit, "
                f"e.g. '36 months' or '2 hours'"
            )
        return {"amount": _amount(int(match.group(1)), value), "unit": _unit(match.group(2))}
    if isinstance(value, dict) and len(value) == 1 and "amount" not in value:
        ((unit, amount),) = value.items()
        return {"amount": _amount(amount, value), "unit": _unit(str(unit))}
    if isinstance(value, dict):
        _amount(value.get("amount"), value)
        if "unit" in value and isinstance(value["unit"], str):
            return {**value, "unit": _unit(value["unit"])}
        return value
    if isinstance(value, Duration):
        return {"amount": value.amount, "unit": value.unit}
    raise ValueError(f"expected a duration such as '36 months', got {value!r}")


class Duration(BaseModel):
    """A whole number of one unit. Written ``"36 months"`` in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0, description="How many units (negative periods are rejected).")
    unit: Unit

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return parse_duration(value)

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"

    @property
    def is_calendar(self) -> bool:
        """Counted in dates (days, weeks, months, years, working days), not clock time."""
        return self.unit not in (Unit.MINUTES, Unit.HOURS)

    def as_timedelta(self) -> timedelta:
        """Clock durations (minutes, hours, days, weeks) as a :class:`timedelta`.

        Months, years and working days have no fixed length and raise ``ValueError``.
        """
        if self.unit is Unit.MINUTES:
            return timedelta(minutes=self.amount)
        if self.unit is Unit.HOURS:
            return timedelta(hours=self.amount)
        if self.unit is Unit.DAYS:
            return timedelta(days=self.amount)
        if self.unit is Unit.WEEKS:
            return timedelta(weeks=self.amount)
        raise ValueError(f"{self} has no fixed length")
