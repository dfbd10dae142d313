"""``dump_policy``: canonical YAML whose reading gives back the same document."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from warrantykit.cli.common import is_policy_file
from warrantykit.policies.dump import dump_policy
from warrantykit.policies.loader import load_document
from warrantykit.policies.models import PolicyDocument

from .strategies import policy_dicts

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in (ROOT / "policies").rglob("*") if p.is_file() and is_policy_file(p))


def _load(text: str, name: str) -> PolicyDocument:
    return load_document(text, file=name).document


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(policy_dicts())
def test_load_dump_load_is_the_identity(data: dict[str, object]) -> None:
    first = _load(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "generated.yaml")
    dumped = dump_policy(first)
    second = _load(dumped, "dumped.yaml")
    assert second == first
    assert dump_policy(second) == dumped  # canonical: a fixed point after one dump


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_policies_round_trip(path: Path) -> None:
    document = load_document(path).document
    assert _load(dump_policy(document), path.name) == document


POLICY = """\
$schema: ../schema/policy.schema.json
id: round-trip
version: 1.2.0
title: Round trip
source: {name: Letter, date: 2024-05-01}
effective: {from: 2024-01-01}
timezone: Asia/Shanghai
terms:
  - id: main
    clause: "1"
    covers: all
    anchor: acceptance
    length: {duration: {months: 36}}
  - id: later
    clause: "2"
    covers: {all: true, exclude_components: [fan]}
    anchor: {event: invoice, offset: 1 week}
    length: lifetime
exclusions:
  - id: x
    clause: "5"
    when:
      all:
        - not: {fact: claim.evidence.opened_by, in: [vendor, nobody]}
        - {fact: claim.attributes.site, eq: null}
costs:
  expired:
    parts: {payer: customer, basis: cap, cap: 12.00 CNY}
    labour: customer at_cost
schedule:
  - id: visits
    clause: "6"
    kind: visit
    anchor: acceptance
    phases: [{every: 2 weeks, for: 3 months}, {every: 1 month}]
"""


def test_dump_is_canonical_yaml() -> None:
    text = dump_policy(_load(POLICY, "p.yaml"))
    assert text.startswith("$schema: ../schema/policy.schema.json\nid: round-trip\nversion: 1.2.0\n")
    for fragment in (
        "effective:\n  from: 2024-01-01\n",  # aliases and ISO dates
        "  date: 2024-05-01\n",
        "  length: 36 months\n",  # durations as text
        "  anchor: acceptance\n",  # short forms where they say the same
        "  length: lifetime\n",
        "  covers:\n    all: true\n    exclude_components:\n    - fan\n",
        "    - not:\n        fact: claim.evidence.opened_by\n        in:\n",
        "      eq: null\n",  # the operator is kept although its operand is the default
        "      cap: 12.00 CNY\n",  # money as text, cents kept
        "      basis: at_cost\n",
        "  - every: 2 weeks\n    for: 3 months\n",
        "  - every: 1 months\n",
    ):
        assert fragment in text, fragment
    assert "covers: all" not in text  # the default selector is left out
    assert "counting" not in text  # defaults are left out
    assert "!!" not in text  # safe_dump: no Python tags
    # the order of keys is the order of the model's fields
    assert text.index("\nid:") < text.index("\nversion:") < text.index("\ntitle:") < text.index("\nterms:")
    term = text[text.index("- id: main"):text.index("- id: later")]
    assert [line.split(":")[0].strip() for line in term.splitlines()] == ["- id", "clause", "anchor", "length"]
