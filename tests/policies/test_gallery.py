"""The bad-policy gallery: one nearly valid policy per kind of error.

Each file in ``tests/policies/bad/`` has exactly one defect (named in its first
line); this module pins, for each, every problem the loader reports: file,
line, column, field path, code and message. Files under ``bad/support/`` are
the templates and fragments the reuse cases point at.

Messages read ``file:line:col: path: message``, e.g.
``unknown-unit.yaml:11:13: terms[0].length: unknown unit 'monthes' (did you mean 'months'?)``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from warrantykit.engine.compiled import load_policy
from warrantykit.errors import PolicyError, Problem
from warrantykit.policies.loader import load_document
from warrantykit.policies.yamlsafe import MAX_BYTES, MAX_DEPTH, read_yaml

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
GOOD = HERE / "good"

Expected = tuple[str, int | None, int | None, str, str, str]
"""(file, line, column, path, code, message)."""

_BOOL = "'{0}' is a YAML 1.1 boolean; write true or false, or quote it if the text '{0}' is meant"
_ANCHOR_EVENTS = (
    "'purchase', 'invoice', 'delivery', 'receipt', 'installation', 'commissioning', "
    "'acceptance', 'completion', 'handover', 'operation_start', 'production', "
    "'replacement' or 'discontinuation'"
)
_REMEDY_KINDS = (
    "'purchase_window', 'repeated_repairs', 'unrepaired', 'loaner', 'out_of_box', 'abnormal_life'"
)
_OPERATORS = "eq, ne, in, not_in, gt, ge, lt, le, contains, contains_any, contains_all, exists"
# a claim both rules match (from warrantykit.policies.lint): day 1 after purchase
_BOTH_MATCH = (
    '; e.g. both match the claim {"asset": {"dates": {"purchase": "2024-01-01"}}, '
    '"failure_date": "2024-01-02"}'
)

CASES: dict[str, list[Expected]] = {
    # ------------------------------------------------------------ YAML level
    "duplicate-key.yaml": [
        ("duplicate-key.yaml", 12, 1, "title", "duplicate-key",
         "duplicate key 'title' (first defined on line 4)"),
    ],
    "yaml11-booleans.yaml": [
        ("yaml11-booleans.yaml", 13, 27, "counting.restart_on_replacement", "yaml-boolean",
         _BOOL.format("yes")),
        ("yaml11-booleans.yaml", 14, 47, "counting.roll_forward.coverage_window", "yaml-boolean",
         _BOOL.format("no")),
        ("yaml11-booleans.yaml", 20, 64, "exclusions[0].when.any[0].exists", "yaml-boolean",
         _BOOL.format("on")),
        ("yaml11-booleans.yaml", 21, 60, "exclusions[0].when.any[1].eq", "yaml-boolean",
         _BOOL.format("off")),
    ],
    "octal-number.yaml": [
        ("octal-number.yaml", 9, 13, "terms[0].clause", "yaml-octal",
         "'012' looks octal and would change value; quote it or drop the leading 0"),
    ],
    "base60-number.yaml": [
        ("base60-number.yaml", 9, 13, "terms[0].clause", "yaml-sexagesimal",
         "'5:2' is a base-60 number in YAML 1.1 (not a time); quote it"),
    ],
    "alias-bomb.yaml": [
        # the path is where the 101st expansion happens; line and column are
        # those of the anchored value being expanded (&l0)
        ("alias-bomb.yaml", 8, 7, "source.parties[2][8][1]", "alias-limit",
         "too many alias expansions (limit 100 aliases, 200000 values); refusing to expand further"),
    ],
    "nesting-too-deep.yaml": [
        ("nesting-too-deep.yaml", 7, 75, "source.parties" + "[0]" * (MAX_DEPTH - 1), "depth-limit",
         f"nesting deeper than {MAX_DEPTH} levels"),
    ],
    "naive-datetime.yaml": [
        ("naive-datetime.yaml", 5, 35, "source.date", "naive-datetime",
         "naive datetime '2024-05-01T09:00:00': add a UTC offset (e.g. +08:00) or Z"),
    ],
    "impossible-date.yaml": [
        ("impossible-date.yaml", 5, 35, "source.date", "yaml-scalar",
         "'2024-02-30' is not a valid date or time (day is out of range for month); "
         "quote it if the text is meant"),
    ],
    "multiple-documents.yaml": [
        ("multiple-documents.yaml", 13, 1, "", "multiple-documents",
         "one policy per file: found a second YAML document"),
    ],
    "python-tag.yaml": [
        ("python-tag.yaml", 12, 8, "notes", "yaml-tag",
         "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a policy"),
    ],
    "merge-key.yaml": [
        ("merge-key.yaml", 9, 5, "terms[1]", "yaml-merge", "merge keys ('<<') are not supported"),
    ],
    # ------------------------------------------------------------ fields
    "unknown-key.yaml": [
        ("unknown-key.yaml", 11, 5, "terms[0].lenght", "unknown-key",
         "unknown key 'lenght' (did you mean 'length'?)"),
    ],
    "unknown-remedy-key.yaml": [
        ("unknown-remedy-key.yaml", 18, 5, "remedies[0].precedance", "unknown-key",
         "unknown key 'precedance' (did you mean 'precedence'?)"),
    ],
    "missing-remedy-kind.yaml": [
        ("missing-remedy-kind.yaml", 13, 5, "remedies[0]", "missing",
         f"missing 'kind'; kinds are {_REMEDY_KINDS}"),
    ],
    "unknown-timezone.yaml": [
        ("unknown-timezone.yaml", 6, 11, "timezone", "unknown-timezone",
         "unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)"),
    ],
    "timezone-folder.yaml": [
        ("timezone-folder.yaml", 6, 11, "timezone", "unknown-timezone",
         "unknown time zone 'Asia' (did you mean 'Asia/Oral'?)"),
    ],
    "unknown-unit.yaml": [
        ("unknown-unit.yaml", 11, 13, "terms[0].length", "unknown-unit",
         "unknown unit 'monthes' (did you mean 'months'?)"),
    ],
    "negative-period.yaml": [
        ("negative-period.yaml", 11, 13, "terms[0].length", "negative",
         "negative duration '-3 months': a period cannot be negative"),
    ],
    "unknown-anchor-event.yaml": [
        ("unknown-anchor-event.yaml", 10, 13, "terms[0].anchor", "unknown-value",
         f"unknown value 'acceptence' (did you mean 'acceptance'?); expected {_ANCHOR_EVENTS}"),
    ],
    "non-semver-version.yaml": [
        ("non-semver-version.yaml", 3, 10, "version", "invalid",
         "version 'v1.0' is not a semantic version such as 1.0.0"),
    ],
    "unquoted-version.yaml": [
        ("unquoted-version.yaml", 3, 10, "version", "type",
         "expected text, found the number 1.0; put it in quotes"),
    ],
    "two-operators.yaml": [
        ("two-operators.yaml", 15, 11, "exclusions[0].when", "invalid",
         f"a leaf needs exactly one operator of {_OPERATORS}; found eq, contains"),
    ],
    "empty-condition.yaml": [
        ("empty-condition.yaml", 15, 11, "exclusions[0].when", "invalid",
         "empty condition: give all, any, not, or a fact with one operator"),
    ],
    "invalid-interval.yaml": [
        ("invalid-interval.yaml", 15, 32, "calendars.office.hours.mon-fri[1]", "invalid",
         "'25:00-26:00' is not a valid time interval"),
    ],
    "season-month-day.yaml": [
        ("season-month-day.yaml", 13, 20, "seasons.heating.start", "invalid",
         "'02-30' is not a valid month-day"),
    ],
    "starts-after-with-anchor.yaml": [
        ("starts-after-with-anchor.yaml", 15, 5, "terms[1].anchor", "invalid",
         "a term with starts_after takes its start from that term; remove 'anchor'"),
    ],
    "missing-term-start.yaml": [
        ("missing-term-start.yaml", 8, 5, "terms[0].anchor", "missing",
         "missing 'anchor', the date the period counts from "
         "(or 'starts_after' to start when another term ends)"),
    ],
    "customer-free-cost.yaml": [
        ("customer-free-cost.yaml", 14, 12, "costs.expired.parts", "invalid",
         "a customer-paid line needs a price basis (at_cost, list_price, ...)"),
    ],
    "three-problems.yaml": [
        ("three-problems.yaml", 7, 1, "curency", "unknown-key",
         "unknown key 'curency' (did you mean 'currency'?)"),
        ("three-problems.yaml", 12, 13, "terms[0].length", "unknown-unit",
         "unknown unit 'monthes' (did you mean 'months'?)"),
        ("three-problems.yaml", 13, 36, "counting.restart_on_replacement", "yaml-boolean",
         _BOOL.format("yes")),
    ],
    # ------------------------------------------------------------ references
    # reported in the same run as field problems elsewhere in the file ...
    "field-and-reference-problems.yaml": [
        ("field-and-reference-problems.yaml", 11, 13, "terms[0].length", "unknown-unit",
         "unknown unit 'monthes' (did you mean 'months'?)"),
        ("field-and-reference-problems.yaml", 19, 18, "exclusions[0].when.fact", "unknown-fact",
         "no fact 'claim.cause_code' (did you mean 'claim.cause_codes'?)"),
    ],
    # ... but naming a rule or calendar that failed validation is not a second problem
    "invalid-rules-referenced.yaml": [
        ("invalid-rules-referenced.yaml", 11, 13, "terms[0].length", "unknown-unit",
         "unknown unit 'monthes' (did you mean 'months'?)"),
        ("invalid-rules-referenced.yaml", 27, 32, "calendars.office.hours.mon-fri[1]", "invalid",
         "'25:00-26:00' is not a valid time interval"),
        ("invalid-rules-referenced.yaml", 39, 34, "sla.metrics[0].targets[0].within", "unknown-unit",
         "unknown unit 'minutez' (did you mean 'minutes'?)"),
    ],
    "unknown-calendar.yaml": [
        ("unknown-calendar.yaml", 13, 52, "counting.roll_forward.calendar", "unknown-calendar",
         "unknown calendar 'cn-statutory' (did you mean 'cn-statutry'?); known: 7x24, cn-statutry"),
    ],
    "unknown-season.yaml": [
        ("unknown-season.yaml", 11, 34, "terms[0].length.season", "unknown-season",
         "unknown season 'heating' (did you mean 'beijing-heating'?); known: beijing-heating"),
    ],
    "unknown-term.yaml": [
        ("unknown-term.yaml", 16, 13, "exclusions[0].terms[0]", "unknown-term",
         "unknown term 'mian' (did you mean 'main'?); known: main"),
    ],
    "unknown-warranty.yaml": [
        ("unknown-warranty.yaml", 12, 15, "terms[0].warranty", "unknown-warranty",
         "unknown warranty 'vendor'; known: manufacturer"),
    ],
    "unknown-severity.yaml": [
        ("unknown-severity.yaml", 22, 22, "sla.metrics[0].targets[1].severity[0]", "unknown-severity",
         "unknown severity 'p3'; known: p1, p2"),
    ],
    "unknown-channel.yaml": [
        ("unknown-channel.yaml", 16, 17, "sla.escalation[0].channel", "unknown-channel",
         "unknown channel 'on-site' (did you mean 'on_site'?); known: on_site, phone, remote"),
    ],
    "unknown-escalation-calendar.yaml": [
        ("unknown-escalation-calendar.yaml", 16, 52, "sla.escalation[1].calendar", "unknown-calendar",
         "unknown calendar 'office-hours'; known: 7x24"),
    ],
    "unknown-region.yaml": [
        ("unknown-region.yaml", 22, 34, "sla.metrics[0].targets[1].region[0]", "unknown-region",
         "unknown region 'east'; known: north, south"),
    ],
    "unknown-metric.yaml": [
        ("unknown-metric.yaml", 16, 48, "sla.pause_reasons[0].stops[0]", "unknown-metric",
         "unknown metric 'responce' (did you mean 'response'?); known: response"),
    ],
    "unknown-fact.yaml": [
        ("unknown-fact.yaml", 15, 18, "exclusions[0].when.fact", "unknown-fact",
         "no fact 'claim.cause_code' (did you mean 'claim.cause_codes'?)"),
    ],
    "unknown-cause-code.yaml": [
        ("unknown-cause-code.yaml", 16, 66, "exclusions[0].when.contains_any[1]", "unknown-cause-code",
         "cause code 'force_majuere' is not in the policy's cause_codes "
         "(did you mean 'force_majeure'?)"),
    ],
    "ambiguous-precedence.yaml": [
        ("ambiguous-precedence.yaml", 18, 5, "remedies[1].precedence", "ambiguous-precedence",
         "remedy rules 'refund' and 'exchange' can both match and have no declared precedence; "
         f"give each a different 'precedence' (higher wins){_BOTH_MATCH}"),
    ],
    "same-precedence.yaml": [
        ("same-precedence.yaml", 23, 17, "remedies[1].precedence", "ambiguous-precedence",
         "remedy rules 'refund' and 'exchange' can both match and share precedence 10; "
         f"make them different{_BOTH_MATCH}"),
    ],
    # ------------------------------------------------------------ extends / include
    "extends-cycle.yaml": [
        # reported where the cycle closes: in the template, not in this file
        ("support/extends-back.yaml", 7, 10, "extends", "cycle",
         "extends cycle: extends-cycle.yaml -> support/extends-back.yaml -> extends-cycle.yaml"),
    ],
    "template-not-found.yaml": [
        ("template-not-found.yaml", 7, 10, "extends", "not-found",
         "template not found: support/no-such-template.yaml"),
    ],
    "include-cycle.yaml": [
        ("support/cycle-b.inc.yaml", 3, 11, "include[0]", "cycle",
         "include cycle: include-cycle.yaml -> support/cycle-a.inc.yaml -> "
         "support/cycle-b.inc.yaml -> support/cycle-a.inc.yaml"),
    ],
    "include-forbidden-keys.yaml": [
        ("support/with-terms.inc.yaml", 3, 1, "terms", "unknown-key",
         "an included file may only define calendars and seasons, not 'terms'"),
    ],
    "shadowed-rule.yaml": [
        ("shadowed-rule.yaml", 9, 9, "terms[0].id", "shadowed-rule",
         "'main' is already defined by the template; "
         "add 'override: true' to replace it or 'remove: true' to delete it"),
    ],
    "unknown-override.yaml": [
        ("unknown-override.yaml", 9, 9, "exclusions[0].id", "unknown-override",
         "'abuze' is not in the template, so it cannot be overridden or removed"),
    ],
}


def _problems(name: str) -> tuple[Problem, ...]:
    with pytest.raises(PolicyError) as info:
        load_policy(name)
    return info.value.problems


def _as_tuples(problems: tuple[Problem, ...]) -> list[Expected]:
    return [(p.file or "", p.line, p.column, p.path, p.code, p.message) for p in problems]


@pytest.fixture(autouse=True)
def _in_gallery(monkeypatch: pytest.MonkeyPatch) -> None:
    # file names in problems are shown relative to the working directory
    monkeypatch.chdir(BAD)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gallery_file(name: str) -> None:
    assert _as_tuples(_problems(name)) == CASES[name]


def test_every_gallery_file_has_a_case() -> None:
    files = {p.name for p in BAD.glob("*.yaml")}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gallery_file_names_its_defect(name: str) -> None:
    assert (BAD / name).read_text(encoding="utf-8").startswith("# Defect: ")


def test_message_format_is_file_line_column_path_message() -> None:
    (problem,) = _problems("unknown-unit.yaml")
    assert str(problem) == (
        "unknown-unit.yaml:11:13: terms[0].length: unknown unit 'monthes' (did you mean 'months'?)"
    )
    with pytest.raises(PolicyError) as info:
        load_policy("unknown-unit.yaml")
    assert str(info.value) == str(problem)


def test_every_problem_of_a_file_is_reported_together() -> None:
    problems = _problems("three-problems.yaml")
    assert len(problems) == 3
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


def test_alias_bomb_fails_fast() -> None:
    started = time.perf_counter()
    (problem,) = _problems("alias-bomb.yaml")
    assert problem.code == "alias-limit"
    assert time.perf_counter() - started < 1.0


def test_file_too_large(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text((BAD.parent / "good" / "disjoint-purchase-windows.yaml").read_text(encoding="utf-8")
                   + "notes: '" + "x" * MAX_BYTES + "'\n", encoding="utf-8")
    size = big.stat().st_size
    with pytest.raises(PolicyError) as info:
        load_policy(big, file="big.yaml")
    assert _as_tuples(info.value.problems) == [
        ("big.yaml", None, None, "", "size-limit", f"file is {size} bytes; the limit is {MAX_BYTES}")
    ]


def test_disjoint_purchase_windows_need_no_precedence() -> None:
    # refund on days 1-7 and exchange on days 8-15 never both match
    policy = load_policy(GOOD / "disjoint-purchase-windows.yaml")
    assert [r.precedence for r in policy.document.remedies] == [None, None]


# ------------------------------------------------------------------ regressions
# Inputs that used to escape as exceptions other than PolicyError.

VALID = (GOOD / "disjoint-purchase-windows.yaml").read_text(encoding="utf-8")


def _text_problems(text: str | bytes, **kwargs: object) -> list[Expected]:
    with pytest.raises(PolicyError) as info:
        load_document(text, file="p.yaml", **kwargs)  # type: ignore[arg-type]
    return _as_tuples(info.value.problems)


def test_very_deep_nesting_is_a_problem_not_a_recursion_error() -> None:
    problems = _text_problems("notes: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problems == [
        # notes is at depth 1, so its 64th nested list is the first node too deep
        ("p.yaml", 1, 8 + MAX_DEPTH, "notes" + "[0]" * MAX_DEPTH, "depth-limit",
         f"nesting deeper than {MAX_DEPTH} levels"),
    ]


def test_disallowed_character() -> None:
    assert _text_problems("id: a\x00b\n") == [
        ("p.yaml", 1, 6, "", "yaml-syntax",
         "character '\\x00' is not allowed in YAML (special characters are not allowed)"),
    ]


def test_text_that_is_not_unicode() -> None:
    assert _text_problems("id: \ud800\n")[0][4] == "encoding"
    assert _text_problems(b"id: \xff\n")[0][4] == "encoding"


@pytest.mark.parametrize(
    ("scalar", "code", "message"),
    [
        ("0x_", "yaml-scalar",
         "'0x_' is not a valid number (invalid literal for int() with base 16: ''); "
         "quote it if the text is meant"),
        ("2024-13-01", "yaml-scalar",
         "'2024-13-01' is not a valid date or time (month must be in 1..12); "
         "quote it if the text is meant"),
        (".inf", "yaml-nonfinite", "'.inf' is not a finite number; quote it if the text is meant"),
        (".NaN", "yaml-nonfinite", "'.NaN' is not a finite number; quote it if the text is meant"),
    ],
)
def test_scalars_yaml_cannot_construct(scalar: str, code: str, message: str) -> None:
    assert _text_problems(VALID + f"notes: {scalar}\n")[0][3:] == ("notes", code, message)


def test_tagged_mapping_key() -> None:
    assert _text_problems(VALID + "!!python/name:os.system x: 1\n")[0][3:] == (
        "", "yaml-tag", "YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed in a policy"
    )


def test_recursive_alias() -> None:
    assert _text_problems(VALID + "notes: &a [*a]\n")[0][3:] == (
        "notes[0]", "alias-recursive",
        "an alias refers to a value that contains it (a recursive structure)",
    )


def test_keys_are_names_never_booleans_or_numbers() -> None:
    data, _ = read_yaml("no: 1\n0755: 2\n1:30: 3\n~: 4\n")
    assert data == {"no": 1, "0755": 2, "1:30": 3, "~": 4}


def test_union_errors_are_one_problem() -> None:
    text = VALID.replace(
        "remedies:",
        "exclusions:\n  - {id: old, clause: '5', when: {fact: claim.meters.km, gt: lots}}\nremedies:",
    )
    assert _text_problems(text) == [
        ("p.yaml", 13, 62, "exclusions[0].when.gt", "type",
         "expected one of: integer, decimal, date or datetime; found 'lots'"),
    ]


def test_misspelt_required_key_is_one_problem() -> None:
    # not also "missing required field 'title'"
    assert _text_problems(VALID.replace("title:", "titel:")) == [
        ("p.yaml", 4, 1, "titel", "unknown-key", "unknown key 'titel' (did you mean 'title'?)"),
    ]


def test_rejected_scalar_is_not_reported_twice() -> None:
    # 'yes' becomes None; validation must not add "expected a whole number" for it
    text = VALID.replace("length: 36 months", "length: {seasons: yes, season: x}", 1)
    assert [p[4] for p in _text_problems(text)] == ["yaml-boolean"]


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("include: [1]\n", ("include[0]", "type", "include is a list of file paths")),
        ("include: other.inc.yaml\n", ("include", "type", "include is a list of file paths")),
    ],
)
def test_malformed_include_in_a_fragment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fragment: str, expected: tuple[str, str, str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "frag.inc.yaml").write_text(fragment, encoding="utf-8")
    text = VALID.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ninclude: [frag.inc.yaml]")
    assert [p[3:] for p in _text_problems(text, base_dir=tmp_path)] == [expected]
    assert _text_problems(text, base_dir=tmp_path)[0][0] == "frag.inc.yaml"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ('"bad\\0name.yaml"', "cannot read template (embedded null byte): bad\x00name.yaml"),
        (".", "cannot read template (is a folder, not a file): ."),
    ],
)
def test_unreadable_template_is_reported_at_extends(tmp_path: Path, target: str, message: str) -> None:
    text = VALID.replace("timezone: Asia/Shanghai", f"timezone: Asia/Shanghai\nextends: {target}")
    assert _text_problems(text, base_dir=tmp_path) == [("p.yaml", 7, 10, "extends", "io", message)]


# ------------------------------------------------------------------ references next to field problems
# Cross-references are checked in the same run as the fields: the rules that fail
# validation are set aside, and what they define still counts as defined.

HEAD = "\n".join(VALID.splitlines()[:6]) + "\n"  # id .. timezone


def test_reader_problem_and_unknown_reference_together() -> None:
    text = VALID.replace("remedies:", "counting: {restart_on_replacement: yes}\nremedies:").replace(
        "window: {within: 7 days}", "window: {within: 7 days}\n    terms: [mian]"
    )
    assert _text_problems(text) == [
        ("p.yaml", 12, 36, "counting.restart_on_replacement", "yaml-boolean", _BOOL.format("yes")),
        ("p.yaml", 19, 13, "remedies[0].terms[0]", "unknown-term",
         "unknown term 'mian' (did you mean 'main'?); known: main"),
    ]


def test_required_top_level_field_and_unknown_reference_together() -> None:
    text = VALID.replace("Asia/Shanghai", "Asia/Shangai").replace(
        "window: {within: 7 days}", "window: {within: 7 days}\n    terms: [mian]"
    )
    assert _text_problems(text) == [
        ("p.yaml", 6, 11, "timezone", "unknown-timezone",
         "unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)"),
        ("p.yaml", 18, 13, "remedies[0].terms[0]", "unknown-term",
         "unknown term 'mian' (did you mean 'main'?); known: main"),
    ]


def test_paths_after_a_set_aside_rule_are_those_of_the_file() -> None:
    # terms[0] is set aside; the duplicate id is still reported at terms[2], naming terms.1
    text = HEAD + """\
terms:
  - {id: broken, clause: "1", anchor: purchase, length: 3 monthes}
  - {id: twin, clause: "2", anchor: purchase, length: 1 year}
  - {id: twin, clause: "3", anchor: purchase, length: 2 years}
"""
    assert _text_problems(text) == [
        ("p.yaml", 8, 57, "terms[0].length", "unknown-unit", "unknown unit 'monthes' (did you mean 'months'?)"),
        ("p.yaml", 10, 10, "terms[2].id", "duplicate-id", "id 'twin' is already used by terms.1"),
    ]


def test_a_rule_without_its_id_hides_unknown_names_of_its_kind() -> None:
    # which term 'main' was meant to be cannot be known: no unknown-term guess
    text = VALID.replace("  - id: main\n    clause:", "  - clause:", 1).replace(
        "window: {within: 7 days}", "window: {within: 7 days}\n    terms: [main]"
    )
    assert [p[3:5] for p in _text_problems(text)] == [("terms[0].id", "missing")]


def test_set_aside_warranty_still_counts_for_customer_choice() -> None:
    text = VALID.replace("terms:", """\
warranty_choice: customer_choice
warranties:
  - {id: vendor, provider: vendor}
  - {id: maker, provider: makr}
terms:""")
    assert [p[3:5] for p in _text_problems(text)] == [("warranties[1].provider", "unknown-value")]


def test_references_wait_for_a_missing_include(tmp_path: Path) -> None:
    # the missing fragment may define the calendar: no unknown-calendar beside it
    text = VALID.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ninclude: [gone.inc.yaml]").replace(
        "remedies:", "counting:\n  roll_forward: {mode: next_working_day, calendar: office}\nremedies:"
    )
    assert [p[3:5] for p in _text_problems(text, base_dir=tmp_path)] == [("include[0]", "not-found")]


def test_a_list_whose_items_failed_is_not_also_too_short() -> None:
    text = HEAD + """\
sla:
  severities: [{id: p1}]
  metrics:
    - {id: response, clause: "6", kind: response, stops: responded, targets: [{within: 30 minutez}]}
"""
    assert [p[3:5] for p in _text_problems(text)] == [("sla.metrics[0].targets[0].within", "unknown-unit")]
