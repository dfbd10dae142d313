"""JSON Schemas generated from the models (committed under ``schema/``)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from warrantykit.facts import Asset, Claim, PerformedWork, Ticket
from warrantykit.policies.models import PolicyDocument

__all__ = ["facts_schema", "policy_schema"]

SCHEMA_ID = "https://warrantykit.dev/schema/policy.schema.json"


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy document (for editors and CI)."""
    schema = PolicyDocument.model_json_schema(by_alias=True, mode="validation")
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
