"""Money: a Decimal amount with an ISO 4217 currency. Never a float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_serializer, model_validator

__all__ = ["Money"]

_TEXT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Z]{3})\s*$")


class Money(BaseModel):
    """An amount of one currency. Written ``"1299.00 CNY"`` or ``{amount, currency}``.

    Floats are rejected (``12.1`` would already be inexact); write the amount as a
    string or an integer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Decimal
    currency: str

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _TEXT.match(value)
            if not match:
                raise ValueError(f"cannot read {value!r} as money; write e.g. '1299.00 CNY'")
            return {"amount": match.group(1), "currency": match.group(2)}
        if isinstance(value, dict) and isinstance(value.get("amount"), float):
            raise ValueError("write money amounts as strings ('12.10'), never as floats")
        return value

    @field_validator("currency")
    @classmethod
    def _iso(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(f"currency must be an ISO 4217 code such as CNY, got {value!r}")
        return value

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        try:
            if not value.is_finite():
                raise ValueError("amount must be finite")
        except InvalidOperation:  # pragma: no cover - Decimal already parsed
            raise ValueError("amount must be a number") from None
        return value

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def scaled(self, factor: Decimal) -> Money:
        """This amount times ``factor``, rounded half-even to the cent."""
        value = (self.amount * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        return Money(amount=value, currency=self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot subtract {other.currency} from {self.currency}")
        return Money(amount=self.amount - other.amount, currency=self.currency)
