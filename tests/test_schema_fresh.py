"""The committed JSON Schema matches the models, and shipped policies point at it.

If the first test fails, regenerate the schema::

    warrantykit schema > schema/policy.schema.json
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from warrantykit.cli.common import is_policy_file
from warrantykit.schema import policy_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "policy.schema.json"
SHIPPED = sorted(p for p in (ROOT / "policies").rglob("*") if p.is_file() and is_policy_file(p))
HEADER = "# yaml-language-server: $schema="


def test_committed_schema_is_fresh() -> None:
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == policy_schema(), (
        "schema/policy.schema.json is out of date; run: "
        "warrantykit schema > schema/policy.schema.json"
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_policy_names_the_committed_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(HEADER), f"{path.name}: first line must be '{HEADER}<relative path>'"
    target = first[len(HEADER):].strip()
    assert target.endswith("policy.schema.json")
    assert (path.parent / target).resolve() == SCHEMA.resolve()


def _json_ready(value: Any) -> Any:
    """YAML data as JSON sees it (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_policy_validates_against_the_json_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = _json_ready(yaml.safe_load(path.read_text(encoding="utf-8")))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_there_are_shipped_policies() -> None:
    assert SHIPPED
