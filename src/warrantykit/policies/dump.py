"""Write a policy document back as YAML text.

:func:`dump_policy` is the inverse of :func:`~warrantykit.policies.loader.load_document`
for a resolved document: loading its output gives an equal
:class:`~warrantykit.policies.models.PolicyDocument`. The text is canonical:

* keys in the order the models declare their fields, written with the
  language's names (``in``, ``not``, ``from``, ``for``, ``all``, ``$schema``);
* fields equal to their default are left out;
* durations as ``"36 months"``, money as ``"12.00 CNY"``, dates as ISO dates;
* the short forms where they say the same thing: ``anchor: acceptance``,
  ``length: 36 months``, ``length: lifetime``, ``covers: all``;
* decimals as quoted strings (never floats).

Only :func:`yaml.safe_dump` is used, so the output never carries Python tags.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import yaml
from pydantic import BaseModel

from warrantykit.money import Money
from warrantykit.policies.conditions import Condition
from warrantykit.policies.durations import Duration
from warrantykit.policies.models import Anchor, Length, PolicyDocument, Selector

__all__ = ["dump_policy", "policy_data"]


def dump_policy(document: PolicyDocument) -> str:
    """The policy as canonical YAML text (one document, UTF-8 safe)."""
    return yaml.safe_dump(
        policy_data(document),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def policy_data(document: PolicyDocument) -> dict[str, Any]:
    """The policy as plain YAML-ready data (what :func:`dump_policy` writes)."""
    data = _value(document)
    assert isinstance(data, dict)
    return data


def _value(value: Any) -> Any:
    if isinstance(value, Duration | Money):
        return str(value)
    if isinstance(value, Anchor) and _only(value, "event"):
        return _value(value.event)
    if isinstance(value, Length):
        if _only(value, "duration"):
            return str(value.duration)
        if _only(value, "lifetime"):
            return "lifetime"
    if isinstance(value, Selector) and _only(value, "all_"):
        return "all"
    if isinstance(value, BaseModel):
        return _model(value)
    if isinstance(value, Enum):
        return _value(value.value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # YAML writes it as an ISO date and reads it back as a date
    if isinstance(value, tuple | list):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {str(_value(k)): _value(v) for k, v in value.items()}
    raise TypeError(f"cannot write {type(value).__name__} to a policy")


def _model(model: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    operators = set(model.operators()) if isinstance(model, Condition) else set()
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = info.alias or name
        # a leaf's operator is kept even when its operand is the default (`eq: null`)
        if key not in operators and _is_default(model, name, value):
            continue
        out[key] = _value(value)
    return out


def _is_default(model: BaseModel, name: str, value: Any) -> bool:
    info = type(model).model_fields[name]
    if info.is_required():
        return False
    default = info.get_default(call_default_factory=True)
    return bool(default == value and type(default) is type(value))


def _only(model: BaseModel, name: str) -> bool:
    """``name`` is the one field that differs from its default."""
    return all(
        (field == name) != _is_default(model, field, getattr(model, field))
        for field in type(model).model_fields
    )
