"""``warrantykit check --strict``: the lint codes WK101-WK106, one small policy each.

Every case pins the findings exactly: (line, column, field path, code, message).
Plus: suppression comments, include-provided names, the CLI formats, the
example claims of overlapping remedies, and the shipped policies (which pass).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warrantykit.cli import main
from warrantykit.engine.compiled import load_policy
from warrantykit.errors import PolicyError
from warrantykit.facts import Claim
from warrantykit.policies.lint import example_claim, implies, lint
from warrantykit.policies.loader import load_document
from warrantykit.policies.models import PolicyDocument

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"

HEAD = """\
id: lint
version: 1.0.0
title: Lint case
source: {name: Test letter}
timezone: Asia/Shanghai
"""
"""Five lines; the body of each case starts on line 6."""

Finding = tuple[int | None, int | None, str, str, str]


def findings(body: str, **kwargs: object) -> list[Finding]:
    text = HEAD + body
    loaded = load_document(text, file="p.yaml")
    return [
        (p.line, p.column, p.path, p.code, p.message)
        for p in lint(loaded.document, loaded.locations, sources={"p.yaml": text})
    ]


SLA = """\
sla:
  severities: [{id: high}, {id: low}]
  channels: [phone, on_site]
  metrics:
"""

# ------------------------------------------------------------------ WK101


def test_wk101_overlap_error_shows_a_claim_both_rules_match() -> None:
    body = """\
remedies:
  - id: refund
    clause: "1"
    kind: purchase_window
    options: [refund]
    window: {within: 7 days}
    when: {fact: claim.cause_codes, contains: dead_on_arrival}
  - id: exchange
    clause: "2"
    kind: purchase_window
    options: [exchange]
    window: {after: 3 days, within: 15 days}
    when: {fact: asset.category, in: [tv, radio]}
"""
    with pytest.raises(PolicyError) as info:
        load_document(HEAD + body, file="p.yaml")
    problem = info.value.first
    assert (problem.line, problem.path, problem.code) == (13, "remedies[1].precedence", "ambiguous-precedence")
    assert problem.message == (
        "remedy rules 'refund' and 'exchange' can both match and have no declared precedence; "
        "give each a different 'precedence' (higher wins); e.g. both match the claim "
        '{"asset": {"category": "radio", "dates": {"purchase": "2024-01-01"}}, '
        '"cause_codes": ["dead_on_arrival"], "failure_date": "2024-01-05"}'
    )


def test_example_claim_is_valid_and_meets_every_trigger() -> None:
    doc = PolicyDocument.model_validate(
        {
            "id": "x",
            "version": "1.0.0",
            "title": "t",
            "source": {"name": "s"},
            "timezone": "Asia/Shanghai",
            "remedies": [
                {"id": "a", "clause": "1", "kind": "repeated_repairs", "count": 2,
                 "comparison": "more_than", "options": ["replace"],
                 "when": {"not": {"fact": "claim.consumable", "eq": True}}},
                {"id": "b", "clause": "2", "kind": "out_of_box", "within": "15 days",
                 "options": ["exchange"],
                 "when": {"any": [{"fact": "claim.quality_defect", "eq": True},
                                  {"fact": "claim.fault_kind", "eq": "quality"}]}},
                {"id": "c", "clause": "3", "kind": "abnormal_life", "options": ["replace"]},
            ],
        }
    )
    a, b, c = doc.remedies
    claim = example_claim(a, b)
    assert claim is not None
    parsed = Claim.model_validate(claim)
    assert parsed.out_of_box is True and parsed.quality_defect is True
    assert parsed.consumable is False
    assert len(parsed.repairs) == 3 and {r.fault_code for r in parsed.repairs} == {parsed.fault_code}
    assert parsed.failure_date is not None and parsed.asset.dates.delivery is not None
    assert (parsed.failure_date - parsed.asset.dates.delivery).days <= 15
    # after_warranty_only depends on the terms: no example from the rules alone
    assert example_claim(a, c) is None


def test_contradictory_conditions_give_no_example() -> None:
    doc = PolicyDocument.model_validate(
        {
            "id": "x", "version": "1.0.0", "title": "t", "source": {"name": "s"},
            "timezone": "Asia/Shanghai",
            "remedies": [
                {"id": "a", "clause": "1", "kind": "out_of_box", "options": ["refund"],
                 "when": {"fact": "claim.component", "eq": "screen"}, "precedence": 1},
                {"id": "b", "clause": "2", "kind": "out_of_box", "options": ["repair"],
                 "when": {"fact": "claim.component", "ne": "screen"}, "precedence": 2},
            ],
        }
    )
    assert example_claim(*doc.remedies) is None


# ------------------------------------------------------------------ WK102


def test_wk102_remedy_shadowed_by_a_higher_precedence_rule() -> None:
    body = """\
remedies:
  - id: exchange-15
    clause: "1"
    kind: purchase_window
    options: [exchange]
    window: {within: 15 days}
    precedence: 20
  - id: refund-7
    clause: "2"
    kind: purchase_window
    options: [refund]
    window: {within: 7 days}
    when: {fact: claim.quality_defect, eq: true}
    precedence: 10
"""
    assert findings(body) == [
        (13, 5, "remedies[1].id", "WK102",
         "shadowed: remedy 'refund-7' never applies: whenever it matches, 'exchange-15' matches "
         "too and wins (precedence 20 > 10)"),
    ]


def test_wk102_severity_rule_that_never_decides() -> None:
    body = SLA + """\
    - {id: r, clause: "1", kind: response, stops: responded, targets: [{within: 1 hour}]}
  severity_rules:
    - {level: high, clause: "1", when: {fact: ticket.system_paralysed, eq: true}}
    - level: low
      clause: "2"
      when:
        all:
          - {fact: ticket.system_paralysed, eq: true}
          - {fact: ticket.users_affected, lt: 5}
  default_severity: low
"""
    assert findings(body) == [
        (15, 7, "sla.severity_rules[1].when", "WK102",
         "shadowed: severity rule for 'low' never decides: whenever it matches, the rule at "
         "severity_rules[0] matches too and gives the more severe level 'high'"),
    ]


def test_wk102_duplicate_exclusion_term_and_target() -> None:
    body = """\
terms:
  - {id: a, clause: "1", anchor: purchase, length: 1 year}
  - {id: b, clause: "2", text: same again, anchor: purchase, length: 1 year}
exclusions:
  - {id: x, clause: "3", when: {fact: claim.cause_codes, contains: water}}
  - {id: y, clause: "4", when: {fact: claim.cause_codes, contains: water}}
sla:
  severities: [{id: s}]
  metrics:
    - id: r
      clause: "5"
      kind: response
      stops: responded
      targets: [{severity: s, within: 1 hour}, {severity: s, within: 2 hours}]
"""
    assert findings(body) == [
        (8, 6, "terms[1].id", "WK102",
         "shadowed: term 'b' is identical to term 'a' (but for id, clause and text)"),
        (11, 26, "exclusions[1].when", "WK102",
         "shadowed: exclusion 'y' has the same condition and terms as 'x'"),
        (19, 48, "sla.metrics[0].targets[1]", "WK102",
         "shadowed: target 1 of metric 'r' is never used: it names the same cells as target 0"),
    ]


# ------------------------------------------------------------------ WK103


def test_wk103_severity_and_channel_cells_without_a_target() -> None:
    body = SLA + """\
    - id: r
      clause: "1"
      kind: response
      stops: responded
      targets:
        - {severity: high, within: 1 hour}
        - {severity: low, channel: phone, within: 4 hours}
  default_severity: low
"""
    assert findings(body) == [
        (8, 21, "sla.channels[1]", "WK106",
         "unused: channel 'on_site' is named by no target, escalation step or clock start"),
        (14, 7, "sla.metrics[0].targets", "WK103",
         "gap: metric 'r' has no target for severity low, channel on_site"),
    ]


def test_wk103_region_without_a_target() -> None:
    body = """\
sla:
  severities: [{id: s}]
  regions: [city, province]
  metrics:
    - id: arrive
      clause: "1"
      kind: arrival
      stops: arrived
      targets: [{region: city, within: 2 hours}]
"""
    assert findings(body) == [
        (8, 19, "sla.regions[1]", "WK106", "unused: region 'province' is named by no target"),
        (14, 7, "sla.metrics[0].targets", "WK103",
         "gap: metric 'arrive' has no target for region province"),
    ]


def test_wk103_component_no_term_covers() -> None:
    body = """\
terms:
  - {id: pipes, clause: "1", covers: {components: [pipes]}, anchor: acceptance, length: 2 years}
exclusions:
  - id: pump-wear
    clause: "2"
    when: {fact: claim.component, in: [pipes, pump]}
remedies:
  - id: three-repairs
    clause: "3"
    kind: repeated_repairs
    count: 3
    components: [compressor]
    options: [replace]
"""
    assert findings(body) == [
        (11, 47, "exclusions[0].when.in[1]", "WK103",
         "gap: exclusion 'pump-wear' names component 'pump', which no term covers"),
        (17, 18, "remedies[0].components[0]", "WK103",
         "gap: remedy 'three-repairs' names component 'compressor', which no term covers"),
    ]


# ------------------------------------------------------------------ WK104


def test_wk104_resolution_and_arrival_before_response() -> None:
    body = """\
sla:
  severities: [{id: high}, {id: low}]
  metrics:
    - id: respond
      clause: "1"
      kind: response
      stops: responded
      targets: [{severity: high, within: 2 hours}, {severity: low, within: 4 hours}]
    - id: fix
      clause: "2"
      kind: resolution
      stops: resolved
      targets: [{severity: high, within: 1 hour}, {severity: low, within: 8 hours}]
    - id: arrive
      clause: "3"
      kind: arrival
      stops: arrived
      targets: [{within: 3 hours}]
"""
    assert findings(body) == [
        (18, 34, "sla.metrics[1].targets[0].within", "WK104",
         "inconsistent-targets: resolution target 1 hours of 'fix' is shorter than the response "
         "target 2 hours of 'respond' (severity high)"),
        (23, 18, "sla.metrics[2].targets[0].within", "WK104",
         "inconsistent-targets: arrival target 3 hours of 'arrive' is shorter than the response "
         "target 4 hours of 'respond' (severity low)"),
    ]


def test_wk104_ignores_clocks_with_other_starts() -> None:
    body = """\
sla:
  severities: [{id: s}]
  metrics:
    - {id: respond, clause: "1", kind: response, stops: responded, targets: [{within: 2 hours}]}
    - id: arrive
      clause: "2"
      kind: arrival
      starts: escalated:on_site
      stops: arrived
      targets: [{within: 1 hour}]
"""
    assert findings(body) == []


# ------------------------------------------------------------------ WK106


def test_wk106_unused_names() -> None:
    body = """\
warranties:
  - {id: vendor, provider: vendor}
calendars:
  office: {preset: 5x8}
seasons:
  winter: {start: "11-15", end: "03-15"}
sla:
  severities: [{id: high}, {id: low}, {id: never}]
  severity_rules:
    - {level: high, clause: "1", when: {fact: ticket.system_paralysed, eq: true}}
  default_severity: low
  channels: [phone, fax]
  regions: [north]
  pause_reasons:
    - {id: customer, clause: "2", stops: []}
  metrics:
    - {id: r, clause: "3", kind: response, stops: responded, targets: [{channel: phone, within: 1 hour}]}
"""
    got = findings(body)
    assert [(line, path, code) for line, _, path, code, _ in got] == [
        (7, "warranties[0].id", "WK106"),
        (9, "calendars.office", "WK106"),
        (11, "seasons.winter", "WK106"),
        (13, "sla.severities[2]", "WK106"),
        (17, "sla.channels[1]", "WK106"),
        (18, "sla.regions[0]", "WK106"),
        (20, "sla.pause_reasons[0].stops", "WK106"),
        (22, "sla.metrics[0].targets", "WK103"),
    ]
    messages = [m for *_, m in got]
    assert messages[:7] == [
        "unused: warranty 'vendor' is used by no term",
        "unused: calendar 'office' is never used",
        "unused: season 'winter' is never used",
        "unused: severity 'never' is given by no severity rule and is not the default",
        "unused: channel 'fax' is named by no target, escalation step or clock start",
        "unused: region 'north' is named by no target",
        "unused: pause reason 'customer' stops no metric",
    ]


def test_wk106_a_calendar_used_only_by_an_escalation_timer_is_used() -> None:
    body = """\
calendars:
  office: {preset: 5x8}
sla:
  severities: [{id: s}]
  escalation:
    - {channel: phone}
    - {channel: on_site, after: 4 hours, calendar: office}
  metrics:
    - {id: r, clause: "1", kind: response, stops: responded, targets: [{within: 1 hour}]}
"""
    assert [f for f in findings(body) if f[3] == "WK106"] == []


def test_wk106_names_from_an_include_are_not_reported(tmp_path: Path) -> None:
    (tmp_path / "shared.inc.yaml").write_text(
        "calendars:\n  office: {preset: 5x8}\nseasons:\n  winter: {start: '11-15', end: '03-15'}\n",
        encoding="utf-8",
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(HEAD + "include: [shared.inc.yaml]\ncalendars:\n  own: {preset: 7x8}\n", encoding="utf-8")
    loaded = load_document(policy)
    assert [(p.path, p.code) for p in lint(loaded.document, loaded.locations)] == [
        ("calendars.own", "WK106"),
    ]


# ------------------------------------------------------------------ suppression


def test_ignore_comment_on_the_rule_line_suppresses_that_code_only() -> None:
    body = """\
calendars:
  office: {preset: 5x8}  # warrantykit: ignore WK106
  other: {preset: 5x8}  # warrantykit: ignore WK103
seasons:  # warrantykit: ignore WK102, WK106
  winter: {start: "11-15", end: "03-15"}
"""
    assert findings(body) == [
        (8, 3, "calendars.other", "WK106", "unused: calendar 'other' is never used"),
    ]


def test_ignore_comment_on_an_enclosing_rule_line() -> None:
    body = SLA + """\
    - id: r  # GAP: the letter gives low no time. warrantykit: ignore WK103
      clause: "1"
      kind: response
      stops: responded
      targets: [{severity: high, within: 1 hour}]
  default_severity: low
"""
    assert findings(body) == []


def test_implication_is_conservative() -> None:
    from warrantykit.policies.conditions import Condition

    def c(data: object) -> Condition:
        return Condition.model_validate(data)

    leaf = c({"fact": "claim.cause_codes", "contains": "water"})
    either = c({"fact": "claim.cause_codes", "contains_any": ["water", "fire"]})
    both = c({"all": [leaf, {"fact": "asset.category", "eq": "tv"}]})
    assert implies(leaf, either) and not implies(either, leaf)
    assert implies(both, leaf) and not implies(leaf, both)
    assert implies(c({"fact": "ticket.users_affected", "gt": 10}), c({"fact": "ticket.users_affected", "ge": 5}))
    assert not implies(c({"fact": "ticket.users_affected", "gt": 1}), c({"fact": "ticket.users_affected", "ge": 5}))
    assert implies(None, None) and implies(leaf, None) and not implies(None, leaf)


# ------------------------------------------------------------------ CLI


LINTY = HEAD + "calendars:\n  office: {preset: 5x8}\n"


def test_check_runs_lint_only_with_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(LINTY, encoding="utf-8")
    assert main(["check", str(policy)]) == 0
    capsys.readouterr()
    assert main(["check", "--strict", str(policy)]) == 1
    out = capsys.readouterr().out
    assert f"{policy}:7:3: calendars.office: unused: calendar 'office' is never used  [WK106]" in out
    assert out.rstrip().endswith("0 of 1 policies valid")


def test_check_strict_json_and_github(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(LINTY, encoding="utf-8")
    assert main(["check", "--strict", "--format", "json", str(policy)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    [problem] = report["files"][0]["problems"]
    assert (problem["code"], problem["line"], problem["path"]) == ("WK106", 7, "calendars.office")
    assert main(["check", "--strict", "--format", "github", str(policy)]) == 1
    assert "::error file=" in (out := capsys.readouterr().out) and "title=WK106" in out


# ------------------------------------------------------------------ shipped policies


SHIPPED = sorted(
    p for p in POLICIES.rglob("*.yaml") if not p.name.endswith((".inc.yaml", ".cases.yaml"))
)


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(POLICIES)) for p in SHIPPED])
def test_shipped_policy_passes_strict(path: Path) -> None:
    policy = load_policy(path)
    assert lint(policy.document, policy.locations) == []


def test_check_strict_passes_on_the_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--strict", str(POLICIES)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"{len(SHIPPED)} of {len(SHIPPED)} policies valid")
