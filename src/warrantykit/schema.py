"""JSON Schemas generated from the models (committed under ``schema/``)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from warrantykit.facts import Asset, Claim, PerformedWork, Ticket
from warrantykit.policies.models import PolicyDocument

__all__ = ["facts_schema", "policy_schema"]

SCHEMA_ID = "https://warrantykit.dev/schema/policy.schema.json"

# The models accept shorthand written forms ("36 months", "1299.00 CNY",
# "anchor: acceptance", "covers: all", "customer at_cost") through
# before-validators that pydantic cannot see; the schema lists them so that
# editors validate the policies people actually write.
_SHORTHANDS: dict[str, list[dict[str, Any]]] = {
    "Duration": [
        {
            "type": "string",
            "pattern": r"^\s*-?\d+\s*[A-Za-z_ ]+?\s*$",
            "description": "A whole number and a unit, e.g. '36 months', '2 hours'.",
        },
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": {"type": "integer"},
            "description": "{months: 36}",
        },
    ],
    "Money": [{"type": "string", "pattern": r"^\s*-?\d+(\.\d+)?\s*[A-Z]{3}\s*$"}],
    "Anchor": [{"$ref": "#/$defs/AnchorEvent"}],
    "Length": [{"type": "string", "description": "'36 months', '2 years' or 'lifetime'."}],
    "Selector": [{"const": "all"}],
    "CostRule": [{"type": "string", "description": "'vendor' or 'customer at_cost'."}],
}


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy document (for editors and CI)."""
    schema = PolicyDocument.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    for name, forms in _SHORTHANDS.items():
        if name in defs:
            obj = defs[name]
            meta = {k: obj.pop(k) for k in ("title", "description") if k in obj}
            defs[name] = {**meta, "anyOf": [*forms, obj]}
    target = defs.get("Target", {}).get("properties", {})
    for field in ("severity", "channel", "region"):
        if field in target and "anyOf" in target[field]:
            target[field]["anyOf"].insert(0, {"type": "string"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "warrantykit policy"
    return schema


def facts_schema() -> dict[str, Any]:
    """JSON Schemas of the fact models: claim, asset, ticket, performed work."""
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "warrantykit facts",
        "$defs": {},
        "properties": {},
    }
    for name, model in (("claim", Claim), ("asset", Asset), ("ticket", Ticket), ("performed", PerformedWork)):
        schema = TypeAdapter(model).json_schema(mode="validation")
        out["$defs"].update(schema.pop("$defs", {}))
        out["$defs"][model.__name__] = schema
        out["properties"][name] = {"$ref": f"#/$defs/{model.__name__}"}
    return out
