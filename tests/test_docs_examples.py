"""``docs/policy-language.md`` cannot silently fall behind the policy language.

* Every fenced block of the document is one of three kinds:

  - ```` ```yaml policy ```` -- a complete policy; it must load with
    :func:`warrantykit.load_policy` (``extends``/``include`` paths are relative to
    ``policies/``, as if the example were saved there);
  - ```` ```yaml fragment:<section> ```` -- one or more top-level sections of a
    policy, ``<section>`` among them; it is wrapped into a minimal policy (see
    :func:`wrap_fragment`) and must load too;
  - plain ```` ```yaml ```` -- an illustration of a mistake; it must say so with
    an ``# error`` comment and is not loaded.

* A block whose first line is ``# from policies/<file>.yaml`` quotes a shipped
  policy: each of its YAML lines must be a line of that file (a line ending in
  ``# adapted`` is exempt and must say in the prose what changed).
* Every DOMAIN id P1..M9 is a heading; every field of every model reachable from
  :class:`~warrantykit.policies.models.PolicyDocument` (by its YAML name, i.e.
  its alias) and every value of every closed list (``Literal``/``Enum``) appears
  in the document in backticks.
"""

from __future__ import annotations

import enum
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

import warrantykit
from warrantykit.errors import PolicyError
from warrantykit.policies.models import PolicyDocument

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "policy-language.md"
POLICIES = ROOT / "policies"
SHARED = "shared/cn-calendars.inc.yaml"


# ---------------------------------------------------------------- reading the document


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    info: str
    body: str

    @property
    def kind(self) -> str:
        if self.info == "yaml policy":
            return "policy"
        if self.info.startswith("yaml fragment:"):
            return "fragment"
        if self.info == "yaml":
            return "illustration"
        return "unknown"

    @property
    def section(self) -> str:
        return self.info.removeprefix("yaml fragment:").strip()

    @property
    def name(self) -> str:
        return f"L{self.line}-{self.kind}" + (f"-{self.section}" if self.kind == "fragment" else "")


def read_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            info = line[3:].strip()
            start = i
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise AssertionError(f"docs/policy-language.md:{start + 1}: unclosed code fence")
            blocks.append(Block(start + 1, info, "\n".join(body) + "\n"))
        i += 1
    return blocks


TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = read_blocks(TEXT)
POLICY_BLOCKS = [b for b in BLOCKS if b.kind == "policy"]
FRAGMENT_BLOCKS = [b for b in BLOCKS if b.kind == "fragment"]
ILLUSTRATIONS = [b for b in BLOCKS if b.kind == "illustration"]
QUOTE = re.compile(r"^# from (policies/\S+\.yaml)")
QUOTES = [b for b in BLOCKS if QUOTE.match(b.body)]


# ---------------------------------------------------------------- the fragment wrapper

HEADER: dict[str, str] = {
    "id": "id: docs-fragment",
    "version": "version: 1.0.0",
    "title": "title: Minimal policy around a fragment of docs/policy-language.md",
    "source": "source: {name: docs/policy-language.md}",
    "timezone": "timezone: Asia/Shanghai",
    "currency": "currency: CNY",
}
SECTIONS = frozenset(f.alias or name for name, f in PolicyDocument.model_fields.items())


def _shared_names() -> set[str]:
    data = yaml.safe_load((POLICIES / SHARED).read_text(encoding="utf-8"))
    return set(data.get("calendars", {})) | set(data.get("seasons", {}))


def _referenced(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Term and warranty ids the fragment names (for stubs when it does not define them)."""
    terms: list[str] = []
    warranties: list[str] = []
    for section in ("exclusions", "remedies"):
        for rule in data.get(section) or ():
            if isinstance(rule, dict):
                terms.extend(t for t in rule.get("terms") or () if isinstance(t, str))
    for rule in data.get("schedule") or ():
        if isinstance(rule, dict) and isinstance(rule.get("until_term"), str):
            terms.append(rule["until_term"])
    for rule in data.get("terms") or ():
        if isinstance(rule, dict) and isinstance(rule.get("warranty"), str):
            warranties.append(rule["warranty"])
    return list(dict.fromkeys(terms)), list(dict.fromkeys(warranties))


def wrap_fragment(section: str, body: str) -> str:
    """A minimal policy around ``body`` (top-level sections, as written in a policy).

    The wrapper adds the identity fields the fragment does not give, includes the
    shared China calendars and seasons (``cn-statutory``, ``cn-office-5x8``,
    ``cn-7x8-holidays-included``, ``beijing-heating``, ``beijing-cooling``) unless
    the fragment defines one of those names or its own ``include``, and a stub
    term or warranty for every id the fragment refers to without defining it.
    """
    data = yaml.safe_load(body)
    assert isinstance(data, dict), "a fragment is a mapping of top-level sections"
    assert section in SECTIONS, f"'{section}' is not a top-level section of a policy"
    assert section in data, f"the fragment is labelled '{section}' but does not contain it"
    unknown = sorted(set(data) - SECTIONS)
    assert not unknown, f"not top-level sections of a policy: {unknown}"
    out = [text for key, text in HEADER.items() if key not in data]
    defined = set(data.get("calendars") or {}) | set(data.get("seasons") or {})
    if "include" not in data and not defined & _shared_names():
        out.append(f"include: [{SHARED}]")
    term_ids, warranty_ids = _referenced(data)
    if term_ids and "terms" not in data:
        out.append("terms:")
        out.extend(f"  - {{id: {t}, clause: stub, anchor: purchase, length: 1 year}}" for t in term_ids)
    if warranty_ids and "warranties" not in data:
        out.append("warranties:")
        out.extend(f"  - {{id: {w}, provider: vendor}}" for w in warranty_ids)
    return "\n".join(out) + "\n" + body


def _load(text: str, block: Block) -> None:
    try:
        warrantykit.load_policy(text, base_dir=POLICIES, file=f"policy-language.md@{block.line}")
    except PolicyError as exc:
        pytest.fail(f"docs/policy-language.md:{block.line}: example does not load:\n{exc}\n---\n{text}")


# ---------------------------------------------------------------- the examples


def test_document_has_examples_of_each_kind() -> None:
    assert len(POLICY_BLOCKS) >= 3
    assert len(FRAGMENT_BLOCKS) >= 80
    assert ILLUSTRATIONS


def test_every_block_is_of_a_known_kind() -> None:
    wrong = [f"line {b.line}: ```{b.info}" for b in BLOCKS if b.kind == "unknown"]
    assert not wrong, "use ```yaml policy, ```yaml fragment:<section> or plain ```yaml: " + ", ".join(wrong)


@pytest.mark.parametrize("block", POLICY_BLOCKS, ids=lambda b: b.name)
def test_policy_example_loads(block: Block) -> None:
    _load(block.body, block)


@pytest.mark.parametrize("block", FRAGMENT_BLOCKS, ids=lambda b: b.name)
def test_fragment_example_loads(block: Block) -> None:
    _load(wrap_fragment(block.section, block.body), block)


@pytest.mark.parametrize("block", ILLUSTRATIONS, ids=lambda b: b.name)
def test_plain_yaml_illustrates_an_error(block: Block) -> None:
    assert re.search(r"#\s*error\b", block.body), (
        f"docs/policy-language.md:{block.line}: a plain ```yaml block illustrates a mistake and "
        "says so in an '# error' comment; label valid examples 'yaml policy' or 'yaml fragment:<section>'"
    )


def _without_comment(line: str) -> str:
    return re.sub(r"\s+#.*$", "", line).strip()


@pytest.mark.parametrize("block", QUOTES, ids=lambda b: b.name)
def test_quote_matches_the_shipped_policy(block: Block) -> None:
    match = QUOTE.match(block.body)
    assert match is not None
    path = ROOT / match.group(1)
    assert path.is_file(), f"docs/policy-language.md:{block.line}: {match.group(1)} does not exist"
    shipped = path.read_text(encoding="utf-8").splitlines()
    exact = {line.strip() for line in shipped}
    loose = {_without_comment(line) for line in shipped}
    for offset, line in enumerate(block.body.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.endswith("# adapted"):
            continue
        assert stripped in exact or _without_comment(line) in loose, (
            f"docs/policy-language.md:{block.line + offset}: not a line of {match.group(1)}: {stripped!r}"
        )


# ---------------------------------------------------------------- coverage of the language

DOMAIN_IDS = (
    [f"P{i}" for i in range(1, 15)]
    + [f"X{i}" for i in range(1, 14)]
    + [f"R{i}" for i in range(1, 12)]
    + [f"C{i}" for i in range(1, 9)]
    + [f"S{i}" for i in range(1, 16)]
    + [f"M{i}" for i in range(1, 10)]
)
STATUTE_HEADINGS = ("CN-GEN", "CN-BLD", "CN-AUTO", "EU-02", "US-CA")


def test_domain_ids_are_all_counted() -> None:
    assert len(DOMAIN_IDS) == 70  # P1-P14, X1-X13, R1-R11, C1-C8, S1-S15, M1-M9


@pytest.mark.parametrize("term", DOMAIN_IDS)
def test_domain_term_has_a_heading(term: str) -> None:
    assert re.search(rf"^#{{2,6}} {term}\b", TEXT, re.M), f"no heading for DOMAIN {term}"


@pytest.mark.parametrize("rule", STATUTE_HEADINGS)
def test_statute_rule_has_a_heading(rule: str) -> None:
    assert re.search(rf"^#{{2,6}} {re.escape(rule)}\b", TEXT, re.M), f"no heading for {rule}"


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    stack: list[Any] = [PolicyDocument]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item not in seen:
                seen.append(item)
                stack.extend(f.annotation for f in item.model_fields.values())
            continue
        stack.extend(typing.get_args(item))
    return seen


def _closed_values(annotation: Any) -> set[str]:
    out: set[str] = set()
    stack = [annotation]
    while stack:
        item = stack.pop()
        if typing.get_origin(item) is typing.Literal:
            out.update(str(v) for v in typing.get_args(item))
            continue
        if isinstance(item, type) and issubclass(item, enum.Enum):
            out.update(str(m.value) for m in item)
            continue
        if isinstance(item, type) and issubclass(item, BaseModel):
            continue
        stack.extend(typing.get_args(item))
    return out


MODELS = _models()
FIELDS = sorted({f.alias or name for m in MODELS for name, f in m.model_fields.items()})
VALUES = sorted({v for m in MODELS for f in m.model_fields.values() for v in _closed_values(f.annotation)})


def test_models_are_walked() -> None:
    names = {m.__name__ for m in MODELS}
    assert {"Term", "Length", "Condition", "Duration", "Money", "LoanerRemedy", "Phase"} <= names


def test_every_field_is_documented() -> None:
    missing = [name for name in FIELDS if f"`{name}`" not in TEXT]
    assert not missing, f"fields not named (in backticks) in docs/policy-language.md: {missing}"


def test_every_closed_value_is_documented() -> None:
    missing = [value for value in VALUES if f"`{value}`" not in TEXT]
    assert not missing, f"values not named (in backticks) in docs/policy-language.md: {missing}"
