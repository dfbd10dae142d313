"""``warrantykit fmt``: the canonical layout of policy YAML.

Properties on every shipped policy (and on layout variants of them made by
Hypothesis): formatting keeps the data and every comment, is idempotent, and a
re-indented or reordered policy formats back to the same text. Plus the
quoting, width, comment and anchor rules on small documents, and the CLI.
"""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from warrantykit.cli import main
from warrantykit.errors import PolicyError
from warrantykit.policies.fmt import WIDTH, display_width, format_text
from warrantykit.policies.yamlsafe import read_yaml

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
SHIPPED = sorted(p for p in POLICIES.rglob("*.yaml") if not p.name.endswith(".cases.yaml"))
"""Shipped policies and include fragments (case files are tests' data, checked separately)."""
CASE_FILES = sorted(POLICIES.rglob("*.cases.yaml"))
IDS = [str(p.relative_to(POLICIES)) for p in SHIPPED]
TEXTS = {p: p.read_text(encoding="utf-8") for p in SHIPPED}
RULE_LISTS = ("warranties", "terms", "exclusions", "remedies", "schedule")


def data(text: str) -> object:
    return read_yaml(text)[0]


def comments(text: str) -> Counter[str]:
    """Comments found independently of fmt: ``#`` outside PyYAML's tokens."""
    mask = bytearray(len(text) + 1)
    for token in yaml.scan(text):
        if isinstance(token, yaml.ScalarToken | yaml.AnchorToken | yaml.AliasToken | yaml.TagToken):
            a, b = token.start_mark.index, token.end_mark.index
            if isinstance(token, yaml.ScalarToken) and token.style in ("|", ">"):
                a = text.find("\n", a)  # a comment may follow a block scalar's header
            mask[a:b] = b"\x01" * (b - a)
    found: Counter[str] = Counter()
    at = 0
    for line in text.split("\n"):
        pos = line.find("#")
        while pos >= 0:
            if not mask[at + pos] and (pos == 0 or line[pos - 1] in " \t"):
                found[line[pos:].rstrip()] += 1
                break
            pos = line.find("#", pos + 1)
        at += len(line) + 1
    return found


def top_keys(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^([^\s#-][^:]*):", text, re.M)]


# ---------------------------------------------------------------- shipped policies


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_shipped_policy_is_formatted(path: Path) -> None:
    """`warrantykit fmt --check policies/` passes: every shipped file is canonical."""
    assert format_text(TEXTS[path]) == TEXTS[path]


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_shipped_policy_formatting_keeps_data_comments_and_is_idempotent(path: Path) -> None:
    text = TEXTS[path]
    once = format_text(text)
    assert data(once) == data(text)
    assert comments(once) == comments(text)
    assert format_text(once) == once


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.name for p in CASE_FILES])
def test_case_files_format_safely(path: Path) -> None:
    """Case files keep their key order; data and comments survive; idempotent."""
    text = path.read_text(encoding="utf-8")
    once = format_text(text, reorder=False)
    assert data(once) == data(text)
    assert comments(once) == comments(text)
    assert format_text(once, reorder=False) == once


def test_shipped_policies_have_comments_and_gaps() -> None:
    """The comment check is not vacuous: the shipped policies carry their GAP notes."""
    found = Counter[str]()
    for text in TEXTS.values():
        found += comments(text)
    assert sum(found.values()) > 400
    assert sum(n for c, n in found.items() if c.startswith("# GAP:")) > 40


def test_layout_rules_hold_on_shipped_policies() -> None:
    """No trailing whitespace, one final newline, flow lines within WIDTH columns."""
    for path, text in TEXTS.items():
        assert text.endswith("\n") and not text.endswith("\n\n"), path
        for line in text.split("\n"):
            assert line == line.rstrip(), (path, line)
            code = line.split("  #", 1)[0].rstrip()
            if code.endswith(("}", "]")) and ("{" in code or "[" in code):
                assert display_width(code) <= WIDTH, (path, line)


# ---------------------------------------------------------------- layout variants
# Variants are made from the canonical text, so that the comment placement fmt
# reads back is the one it wrote: top-level sections and the keys of rule items
# are shuffled (a rule's id stays first; a unit ending in trailing comments stays
# last), the indentation is scaled, and blank lines are doubled.

BLOCK_HEADER = re.compile(r"^(\s*(?:- )?)([^\s#][^:]*):\s[|>][0-9+-]*\s*(#.*)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_scalar_lines(lines: list[str]) -> dict[int, int]:
    """Block-scalar content line -> column of the key that owns it."""
    inside: dict[int, int] = {}
    i = 0
    while i < len(lines):
        match = BLOCK_HEADER.match(lines[i])
        if match is None:
            i += 1
            continue
        key_col = len(match.group(1))
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > key_col):
            inside[j] = key_col
            j += 1
        i = j
    return inside


def _units(lines: list[str], indent: int) -> list[list[str]]:
    """Split the lines of a block mapping at ``indent`` into key units (leading comments first)."""
    units: list[list[str]] = []
    pending: list[str] = []
    for line in lines:
        at_level = _indent(line) == indent and line.strip() != ""
        if at_level and line.lstrip().startswith("#"):
            pending.append(line)
        elif at_level:
            units.append(pending + [line])
            pending = []
        else:
            units[-1].append(line)
    if pending:
        units[-1].extend(pending)
    return units


def _shuffle_item(item: list[str], rng: random.Random) -> list[str]:
    """Shuffle the keys of one rule item ``- id: ...`` (its leading comments stay above it)."""
    at = next(i for i, line in enumerate(item) if line.lstrip().startswith("- "))
    lead, body = item[:at], item[at:]
    dash = _indent(body[0])
    tail: list[str] = []
    while body and body[-1].lstrip().startswith("#") and _indent(body[-1]) <= dash:
        tail.insert(0, body.pop())  # comments trailing the whole item
    first = " " * dash + "  " + body[0].lstrip()[2:]
    units = _units([first, *body[1:]], dash + 2)
    head, rest = units[0], units[1:]
    last = [rest.pop()] if rest and rest[-1][-1].lstrip().startswith("#") else []
    rng.shuffle(rest)
    out = [line for unit in [head, *rest, *last] for line in unit]
    out[0] = " " * dash + "- " + out[0].lstrip()
    return lead + out + tail


def _shuffle_rule_list(section: list[str], rng: random.Random) -> list[str]:
    key_at = next(i for i, line in enumerate(section) if line and not line.startswith("#"))
    items: list[list[str]] = []
    pending: list[str] = []
    for line in section[key_at + 1 :]:
        if line.startswith("  - "):
            items.append(pending + [line])
            pending = []
        elif line.startswith("  #"):
            pending.append(line)
        else:
            if pending:  # comments between keys of the previous item at dash level
                items[-1].extend(pending)
                pending = []
            items[-1].append(line)
    if pending:
        items[-1].extend(pending)
    return section[: key_at + 1] + [line for item in items for line in _shuffle_item(item, rng)]


def variant(canonical: str, rng: random.Random, scale: int, blanks: int) -> str:
    """A messier layout of a canonical policy with the same meaning and comment placement."""
    lines = canonical.rstrip("\n").split("\n")
    sections: list[list[str]] = [[]]
    for i, line in enumerate(lines):
        if not line and i + 1 < len(lines) and lines[i + 1][:1] not in ("", " "):
            sections.append([])
        else:
            sections[-1].append(line)
    header, body = sections[0], sections[1:]
    for k, section in enumerate(body):
        name = next(ln for ln in section if ln and not ln.startswith("#")).split(":", 1)[0]
        if name in RULE_LISTS and not section[-1].endswith("[]"):
            body[k] = _shuffle_rule_list(section, rng)
    # sections with anchors or aliases keep their relative order (an alias needs its anchor first)
    tied = [k for k, section in enumerate(body) if re.search(r"[&*][a-z]", "\n".join(section))]
    order = list(range(len(body)))
    rng.shuffle(order)
    slots = iter(tied)
    order = [next(slots) if k in tied else k for k in order]
    body = [body[k] for k in order]
    out = header + [ln for section in body for ln in [""] * blanks + section]
    if scale == 1:
        return "\n".join(out) + "\n"
    inside = _block_scalar_lines(out)
    scaled: list[str] = []
    for i, line in enumerate(out):
        if i in inside:  # shift block content with its key, keeping its own indentation
            scaled.append(" " * (inside[i] * (scale - 1)) + line if line.strip() else line)
            continue
        indent = _indent(line)
        bare = line[indent:]
        if bare.startswith("- "):
            bare = "-" + " " * (2 * scale - 1) + bare[2:]
        scaled.append(" " * (indent * scale) + bare)
    return "\n".join(scaled) + "\n"


# each example formats a whole policy: a share of the profile's examples keeps the suite fast
_EXAMPLES = settings.default.max_examples


@settings(max_examples=max(10, _EXAMPLES // 2))
@given(
    index=st.integers(0, len(SHIPPED) - 1),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1, 2, 3]),
    blanks=st.sampled_from([1, 2]),
)
def test_reordered_and_reindented_policy_formats_back(index: int, seed: int, scale: int, blanks: int) -> None:
    path = SHIPPED[index]
    canonical = TEXTS[path]
    text = variant(canonical, random.Random(seed), scale, blanks)
    assert data(text) == data(canonical)  # the variant means the same
    assert comments(text) == comments(canonical)
    assert format_text(text) == canonical


def _ruamel_variant(text: str, seed: int, mapping: int, sequence: int, offset: int) -> str:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    doc = rt.load(text)
    rng = random.Random(seed)

    def shuffle(node: object) -> None:
        keys = list(node.keys())  # type: ignore[attr-defined]
        rng.shuffle(keys)
        for k in keys:
            node.move_to_end(k)  # type: ignore[attr-defined]

    for name in RULE_LISTS:
        for item in doc.get(name) or ():
            if hasattr(item, "move_to_end"):
                shuffle(item)
    out = io.StringIO()
    rt.dump(doc, out)
    return out.getvalue()


@settings(max_examples=max(8, _EXAMPLES // 4))
@given(
    index=st.integers(0, len(SHIPPED) - 1),
    seed=st.integers(0, 2**32 - 1),
    indents=st.sampled_from([(2, 2, 0), (4, 4, 2), (4, 2, 0), (3, 5, 2)]),
)
def test_ruamel_rewritten_policy_formats_safely(index: int, seed: int, indents: tuple[int, int, int]) -> None:
    """ruamel's own dump (other indentation, shuffled rule keys): same data, comments, canonical order."""
    path = SHIPPED[index]
    try:
        text = _ruamel_variant(TEXTS[path], seed, *indents)
    except Exception:  # ruamel cannot always re-emit what it read (aliases with comments)
        return
    try:
        assert data(text) == data(TEXTS[path])
    except PolicyError:
        return  # ruamel wrote something the strict reader rejects: not fmt's input
    once = format_text(text)
    assert data(once) == data(text)
    assert comments(once) == comments(text)
    assert format_text(once) == once
    assert top_keys(once) == top_keys(TEXTS[path])


# ---------------------------------------------------------------- small documents

HEAD = "# yaml-language-server: $schema=../schema/policy.schema.json\n"


@pytest.mark.parametrize(
    "value",
    ['"2.10"', '"09:00-17:00"', '"11-15"', '"yes"', "'no'", '"on"', '"1.0"', '"0755"', '"1e5"',
     '"null"', '"~"', '"true"', '"12"', '"2024-01-01"', '"1:30"', '"a: b"', '"# x"', '"- x"',
     '" padded"', '"x:"', '"*star"', '"&amp"', '"@at"', '"`tick"', '"%pct"', '"line\\nbreak"', '""'],
)
def test_quotes_are_kept_where_a_reader_would_misread(value: str) -> None:
    text = f"id: x\ntitle: {value}\n"
    assert format_text(text) == text


@pytest.mark.parametrize(
    ("written", "plain"),
    [('"plain words"', "plain words"), ("'四.1)'", "四.1)"), ('"36 months"', "36 months"),
     ('"2 years"', "2 years"), ('"mon-fri"', "mon-fri"), ('"a:b"', "a:b")],
)
def test_needless_quotes_are_dropped(written: str, plain: str) -> None:
    assert format_text(f"text: {written}\n") == f"text: {plain}\n"


def test_quotes_in_flow_keep_commas_and_colons_safe() -> None:
    text = 'parties: ["a, b", "c:d", "e"]\n'
    assert format_text(text) == 'parties: ["a, b", "c:d", e]\n'


def test_clause_numbers_stay_strings() -> None:
    text = 'id: x\nterms:\n  - id: t\n    clause: "2.10"\n    anchor: acceptance\n    length: 1 year\n'
    out = format_text(text)
    assert '"2.10"' in out and data(out) == data(text)


def test_top_level_order_and_blank_lines() -> None:
    text = (
        "terms: []\ntimezone: Asia/Shanghai\ncurrency: CNY\ninclude: [a.inc.yaml]\n"
        "title: T\nversion: 1.0.0\nid: x\nnotes: n\nsource: {name: s}\n"
    )
    assert format_text(text) == (
        "id: x\nversion: 1.0.0\ntitle: T\nsource: {name: s}\ntimezone: Asia/Shanghai\n"
        "include: [a.inc.yaml]\ncurrency: CNY\n\nterms: []\n\nnotes: n\n"
    )


def test_rule_keys_in_model_order_unknown_keys_stay_put() -> None:
    text = (
        "remedies:\n"
        "  - precedence: 2\n"
        "    kind: purchase_window\n"
        "    custom: kept here\n"
        "    options: [refund]\n"
        "    window: {within: 7 days}\n"
        "    clause: '3'\n"
        "    id: r\n"
    )
    assert format_text(text) == (
        "remedies:\n"
        "  - id: r\n"
        "    clause: '3'\n"
        "    custom: kept here\n"
        "    kind: purchase_window\n"
        "    window: {within: 7 days}\n"
        "    options: [refund]\n"
        "    precedence: 2\n"
    )


def test_schema_line_first_and_comments_move_with_their_key() -> None:
    text = (
        HEAD
        + "version: 1.0.0  # bump on change\n"
        "# the id\n"
        "id: x\n"
        "terms:\n"
        "  - length: 1 year\n"
        "    # why acceptance\n"
        "    anchor: acceptance\n"
        "    id: t    # term id\n"
        "    clause: '1'\n"
        "    # trailing note on clause\n"
        "sla: null\n"
    )
    assert format_text(text) == (
        HEAD
        + "# the id\n"
        "id: x\n"
        "version: 1.0.0  # bump on change\n"
        "\n"
        "terms:\n"
        "  - id: t  # term id\n"
        "    clause: '1'\n"
        "    # trailing note on clause\n"
        "    # why acceptance\n"
        "    anchor: acceptance\n"
        "    length: 1 year\n"
        "\n"
        "sla: null\n"
    )


def test_end_of_line_comments_are_aligned() -> None:
    text = "cause_codes:\n  - a    # first\n  - longer_code # second\n"
    assert format_text(text) == "cause_codes:\n  - a            # first\n  - longer_code  # second\n"


def test_long_flow_becomes_block_short_stays_flow() -> None:
    long_text = "x" * 80
    text = f"costs:\n  covered:\n    parts: {{payer: vendor, clause: '1', text: {long_text}}}\n    labour: {{payer: vendor}}\n"
    out = format_text(text)
    assert out == (
        "costs:\n  covered:\n    parts:\n      payer: vendor\n      clause: '1'\n"
        f"      text: {long_text}\n    labour: {{payer: vendor}}\n"
    )


def test_wide_characters_count_double() -> None:
    text = "source:\n  parties: [" + ", ".join(["供应商售后服务中心"] * 5) + "]\n"
    assert len(text.split("\n")[1]) <= WIDTH < display_width(text.split("\n")[1])
    assert format_text(text).count("\n    - ") == 5


def test_flow_with_a_comment_inside_becomes_block() -> None:
    text = "covers: {components: [a, b],  # the pipes\n         models: [m]}\n"
    out = format_text(text)
    assert out == "covers:\n  components: [a, b]  # the pipes\n  models: [m]\n"


def test_block_scalars_are_reindented_and_kept() -> None:
    text = "notes: >-\n      folded text\n      over lines\nsource:\n    name: s\n    note: |\n        keep\n          indented\n"
    out = format_text(text)
    assert out == (
        "source:\n  name: s\n  note: |\n    keep\n      indented\n\nnotes: >-\n  folded text\n  over lines\n"
    )
    assert data(out) == data(text)


def test_sequences_are_indented_under_their_key() -> None:
    text = "cause_codes:\n- a\n- b\nterms:\n-   id: t\n    clause: '1'\n"
    assert format_text(text) == "cause_codes:\n  - a\n  - b\n\nterms:\n  - id: t\n    clause: '1'\n"


def test_anchor_moves_to_the_first_place_it_is_written() -> None:
    text = "costs: &c {covered: {parts: {payer: vendor}}}\nterms:\n  - id: t\n    costs: *c\n"
    out = format_text(text)
    assert out.index("&c") < out.index("*c")
    assert data(out) == data(text)


def test_case_files_keep_their_key_order() -> None:
    text = "when: 2024-01-01\nclaim: {failure_date: 2024-01-02}\n"
    assert format_text(text, reorder=False) == "when: 2024-01-01\n\nclaim: {failure_date: 2024-01-02}\n"


def test_input_the_strict_reader_rejects_is_refused() -> None:
    with pytest.raises(PolicyError) as info:
        format_text("id: x\nflag: yes\n")
    assert info.value.first.code == "yaml-boolean"


# ---------------------------------------------------------------- CLI


def _tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    messy = tmp_path / "messy.yaml"
    messy.write_text("version: 1.0.0\nid: x  # keep me\n", encoding="utf-8")
    clean = tmp_path / "clean.yaml"
    clean.write_text("id: y\nversion: 1.0.0\n", encoding="utf-8")
    frag = tmp_path / "shared" / "x.inc.yaml"
    frag.parent.mkdir()
    frag.write_text("seasons:\n    s: {start: '01-01', end: '02-01'}\n", encoding="utf-8")
    return messy, clean, frag


def test_cli_check_lists_files_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy, clean, frag = _tree(tmp_path)
    before = messy.read_text(encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"would reformat {messy}" in out and f"would reformat {frag}" in out
    assert str(clean) not in out
    assert messy.read_text(encoding="utf-8") == before


def test_cli_diff_prints_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy, _, _ = _tree(tmp_path)
    before = messy.read_text(encoding="utf-8")
    assert main(["fmt", "--diff", str(messy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"--- {messy} (original)\n+++ {messy} (formatted)\n")
    assert "+id: x  # keep me\n version: 1.0.0\n-id: x  # keep me\n" in out
    assert messy.read_text(encoding="utf-8") == before
    assert main(["fmt", "--check", "--diff", str(messy)]) == 1


def test_cli_rewrites_in_place_then_check_passes(tmp_path: Path) -> None:
    messy, _, frag = _tree(tmp_path)
    assert main(["fmt", str(tmp_path / "*.yaml"), str(frag)]) == 0
    assert messy.read_text(encoding="utf-8") == "id: x  # keep me\nversion: 1.0.0\n"
    assert frag.read_text(encoding="utf-8") == "seasons:\n  s: {start: '01-01', end: '02-01'}\n"
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_cli_leaves_unreadable_files_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nflag: yes\n", encoding="utf-8")
    assert main(["fmt", str(bad)]) == 1
    assert "yes" in capsys.readouterr().out
    assert bad.read_text(encoding="utf-8") == "id: x\nflag: yes\n"


def test_cli_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["fmt", str(tmp_path / "nope.yaml")]) == 2


def test_cli_formats_case_files_without_reordering(tmp_path: Path) -> None:
    case = tmp_path / "x.cases.yaml"
    case.write_text("policy: p.yaml\ncases:\n- name: c\n  as_of: 2024-01-01\n", encoding="utf-8")
    assert main(["fmt", str(tmp_path)]) == 0
    assert case.read_text(encoding="utf-8") == (
        "policy: p.yaml\n\ncases:\n  - name: c\n    as_of: 2024-01-01\n"
    )
