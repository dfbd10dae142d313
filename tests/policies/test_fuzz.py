"""Mutation fuzzing: broken policies fail with PolicyError, never anything else.

Hypothesis takes the shipped policy files and damages them the way editing
does -- lines deleted, duplicated or replaced, characters swapped, YAML
scalars dropped in, the file cut short -- and also feeds random bytes and
YAML-ish text. Loading must either succeed (and then survive a dump round
trip) or raise :class:`PolicyError` whose every problem names a file and says
something.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warrantykit.cli.common import is_policy_file
from warrantykit.engine.compiled import load_policy
from warrantykit.errors import PolicyError
from warrantykit.policies.dump import dump_policy
from warrantykit.policies.loader import load_document

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in (ROOT / "policies").rglob("*") if p.is_file() and is_policy_file(p))

SCALARS = [
    "yes", "no", "on", "off", "0755", "0o17", "1:30", "190:20:30.15", "~", "null", "[]", "{}", "''",
    "&a x", "*a", "*undefined", "!!python/object:os.system {}", "!!binary aGk=", "!custom x",
    "2024-01-01", "2024-02-30", "2024-01-01T09:00:00", "2024-01-01T09:00:00+08:00", "-1", "-3 months",
    "1.5", ".inf", ".nan", "0x_", "0b2", "1e400", "'", '"', "- x", "? x", "<<: {}", "<<: *a", ": :",
    "---", "...", "%YAML 1.1", "\t", "|", ">", "@", "`", "#", "=", "36 monthes", "lifetime", "all",
    "{fact: claim.x, eq: 1}", "{fact: claim.cause_codes, contains: nope}", "\x00", "\ud7ff", "\u2028",
    "extends: .", "include: [.]", "include: [1]", "[" * 80, "{a: " * 70,
]


@st.composite
def mutants(draw: Any, text: str) -> str:
    """``text`` with one to four edits."""
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "replace", "swap", "insert", "truncate"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "replace":
            lines[i] = lines[draw(st.integers(0, len(lines) - 1))]
        elif op == "swap" and len(lines[i]) >= 2:
            j = draw(st.integers(0, len(lines[i]) - 2))
            line = lines[i]
            lines[i] = line[:j] + line[j + 1] + line[j] + line[j + 2:]
        elif op == "insert":
            line = lines[i]
            j = draw(st.integers(0, len(line)))
            scalar = draw(st.one_of(st.sampled_from(SCALARS), st.text(max_size=8)))
            lines[i] = line[:j] + scalar + line[j:]
        elif op == "truncate":
            joined = "".join(lines)
            lines = [joined[: draw(st.integers(0, len(joined)))]]
    return "".join(lines)


def _fails_cleanly(source: str | bytes, **kwargs: Any) -> None:
    try:
        policy = load_policy(source, file="fuzzed.yaml", **kwargs)
    except PolicyError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file, problem
            assert problem.message.strip(), problem
            assert str(problem).startswith(problem.file)
        return
    # it loaded: then it also survives a round trip
    again = load_document(dump_policy(policy.document), file="dumped.yaml").document
    assert again == policy.document


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_shipped_policies_fail_cleanly(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SHIPPED), label="policy")
    text = path.read_text(encoding="utf-8")
    mutated = data.draw(mutants(text), label="mutated")
    _fails_cleanly(mutated, base_dir=path.parent)


@given(st.binary(max_size=300))
def test_random_bytes_fail_cleanly(blob: bytes) -> None:
    _fails_cleanly(blob)


YAMLISH = st.text(st.sampled_from(list("ab01:-[]{}&*!|>'\"#\n \t.,?~@%<=\x00é")), max_size=80)


@given(YAMLISH)
def test_random_yaml_ish_text_fails_cleanly(text: str) -> None:
    _fails_cleanly(text + "\n")  # a newline keeps it from being read as a file name


def test_there_are_shipped_policies_to_mutate() -> None:
    assert SHIPPED
