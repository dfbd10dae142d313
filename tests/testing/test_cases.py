"""The case-file machinery: loading, partial matching, diffs, located errors, coverage,
the ``warrantykit test`` command (text, json, junit) and the pytest plugin."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from warrantykit.cli import main
from warrantykit.errors import PolicyError
from warrantykit.testing.cases import (
    CaseRunner,
    coverage,
    find_case_files,
    load_case_file,
    policy_rules,
    sibling_policy,
)

pytest_plugins = ["pytester"]

POLICY = """\
id: mini
version: 1.0.0
title: Mini policy for the case-file tests
source: {name: test}
timezone: Asia/Shanghai
currency: CNY
cause_codes: [misuse]
terms:
  - id: warranty
    clause: "1"
    anchor: purchase
    length: 1 year
    options: [repair, replace]
exclusions:
  - id: misuse
    clause: "2"
    when: {fact: claim.cause_codes, contains: misuse}
costs:
  covered:
    parts: {payer: vendor, clause: "3"}
  excluded:
    parts: {payer: customer, basis: at_cost, clause: "4"}
  expired:
    parts: {payer: customer, basis: cap, cap: "100.00 CNY", clause: "5"}
sla:
  severities: [{id: high}, {id: low}]
  severity_rules:
    - {level: high, clause: "6", when: {fact: ticket.system_paralysed, eq: true}}
  default_severity: low
  metrics:
    - id: response
      clause: "7"
      kind: response
      stops: responded
      targets:
        - {severity: high, within: 1 hour}
        - {severity: low, within: 4 hours}
schedule:
  - id: yearly
    clause: "8"
    kind: inspection
    anchor: purchase
    every: 6 months
    until_term: warranty
"""

HEADER = """\
defaults:
  claim:
    asset: {dates: {purchase: 2024-03-01}}
    cause_codes: []
cases:
"""


def write(
    folder: Path, cases: str, *, name: str = "mini", policy: str = POLICY, header: str = HEADER
) -> Path:
    """Write ``<name>.yaml`` and ``<name>.cases.yaml`` (``header`` + the indented cases)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(policy, encoding="utf-8")
    path = folder / f"{name}.cases.yaml"
    path.write_text(header + textwrap.indent(textwrap.dedent(cases), "  "), encoding="utf-8")
    return path


def run(path: Path) -> tuple[CaseRunner, list[Any]]:
    runner = CaseRunner()
    return runner, runner.run_file(load_case_file(path))


COVERED = """\
- name: covered on the last day
  clause: "1"
  as_of: 2025-03-10
  claim: {failure_date: 2025-03-01, prices: {parts: "80.00 CNY"}}
  expect:
    status: covered
    term: warranty
    remedy: {option: replace, options: [replace, repair]}
    terms: {warranty: {start: 2024-03-01, end: 2025-03-01, inside: true}}
    costs: {parts: {payer: vendor, amount: "80 CNY", rule: costs.covered.parts}}
    reasons: [warranty, costs.covered.parts]
"""


# ---------------------------------------------------------------- loading and matching


def test_a_passing_case_and_its_location(tmp_path: Path) -> None:
    path = write(tmp_path, COVERED)
    case_file = load_case_file(path)
    (case,) = case_file.cases
    assert case.line == 6 and case.kind == "claim" and case.clause == "1"
    assert case_file.policy_path == tmp_path / "mini.yaml" == sibling_policy(path)
    _, (result,) = run(path)
    assert result.outcome == "passed", result.diff()
    assert result.ok and not result.mismatches


def test_only_the_keys_given_are_compared(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: status only
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {status: expired}
        - name: a partial term window
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {terms: {warranty: {inside: false}}, exclusions: []}
        """,
    )
    _, results = run(path)
    assert [r.outcome for r in results] == ["passed", "passed"]


def test_values_compare_by_value(tmp_path: Path) -> None:
    """Money with fewer decimals, an instant in another offset, a decimal as a number."""
    path = write(
        tmp_path,
        """\
        - name: ticket
          as_of: 2025-01-06T03:00:00Z
          ticket:
            opened_at: 2025-01-06T09:00:00+08:00
            system_paralysed: true
            events: [{type: responded, at: 2025-01-06T09:30:00+08:00}]
          expect:
            severity: high
            metrics:
              response: {state: met, due: 2025-01-06T02:00:00+00:00, target_seconds: 3600}
        - name: expired part above the cap
          as_of: 2025-06-10
          claim: {failure_date: 2025-06-01, prices: {parts: "250.00 CNY"}}
          expect:
            costs:
              parts:
                - {payer: vendor, basis: remainder, amount: 150 CNY}
                - {payer: customer, basis: cap, amount: "100.0 CNY"}
            customer_total: 100 CNY
        """,
    )
    _, results = run(path)
    assert [r.outcome for r in results] == ["passed", "passed"], [r.diff() for r in results]


def test_cost_forms_and_absent_terms(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: payer text, null line, absent term
          as_of: 2025-03-10
          claim: {failure_date: 2024-06-01}
          expect:
            costs: {parts: vendor, labour: null}
            terms: {other: null}
            loaners: {nothing: null}
        """,
    )
    _, (result,) = run(path)
    assert result.outcome == "passed", result.diff()


def test_a_failing_case_shows_expected_actual_reasons_and_location(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: wrong on purpose
          clause: "1"
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect:
            status: covered
            costs: {parts: vendor}
            reasons: [misuse]
        """,
    )
    _, (result,) = run(path)
    assert result.outcome == "failed" and not result.ok
    keys = {m.key: m for m in result.mismatches}
    assert keys["status"].expected == "covered" and keys["status"].actual == "expired"
    assert keys["status"].line == 11
    assert keys["costs.parts"].actual == "customer"
    assert "costs.expired.parts" in (keys["costs.parts"].note or "")
    assert keys["reasons"].note == "not in the reasons: [misuse]"
    text = result.diff()
    assert f"{result.case.file}:6: wrong on purpose  [1]" in text
    assert "status  (line 11)\n    expected: covered\n    actual:   expired" in text
    assert "reasons:" in text and "warranty term warranty" in text
    assert "(warranty @ " in text and "mini.yaml:" in text


def test_mismatches_inside_nested_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: nested
          as_of: 2025-03-10
          claim: {failure_date: 2024-06-01}
          expect:
            terms: {warranty: {end: 2025-03-02}, ghost: {inside: true}}
            options: [repair]
        """,
    )
    _, (result,) = run(path)
    keys = {m.key: m for m in result.mismatches}
    assert keys["terms.warranty.end"].actual == "2025-03-01"
    assert keys["terms.ghost"].note == "no term 'ghost' in the result"
    assert "missing" not in (keys["options"].note or "")
    assert keys["options"].note == "unexpected [replace]"


def test_schedule_and_ticket_cases(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: half-yearly until the warranty ends
          asset: {dates: {purchase: 2024-03-01}}
          horizon: {from: 2024-01-01, to: 2026-12-31}
          as_of: 2024-10-01
          performed: [{obligation: yearly, on: 2024-09-01}]
          expect:
            count: 2
            ids: [yearly@2025-03-01, yearly@2024-09-01]
            counts: {done_on_time: 1, upcoming: 1}
            obligations:
              - {id: yearly@2024-09-01, status: done_on_time, performed: {on: 2024-09-01}}
            unmatched: []
            reasons: [yearly]
        - name: obligations by id
          asset: {dates: {purchase: 2024-03-01}}
          horizon: {from: 2024-01-01, to: 2026-12-31}
          expect:
            obligations: {yearly@2025-03-01: missed, yearly@2025-09-01: null}
        - name: default severity and its target
          as_of: 2025-01-06T12:00:00+08:00
          ticket: {opened_at: 2025-01-06T09:00:00+08:00, system_paralysed: false}
          expect:
            status: on_track
            severity: {level: low, source: default}
            metrics: {response: running, nothing: null}
            not_applicable: []
            warnings: []
        """,
    )
    _, results = run(path)
    assert [r.outcome for r in results] == ["passed"] * 3, [r.diff() for r in results]
    assert any("yearly@2024-09-01" in line for line in results[0].trace)


def test_xfail_cases(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: known bug
          xfail: the engine gets this wrong
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {status: covered}
        - name: fixed bug
          xfail: was wrong once
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {status: expired}
        """,
    )
    _, (known, fixed) = run(path)
    assert known.outcome == "xfailed" and known.ok
    assert fixed.outcome == "xpassed" and not fixed.ok
    assert "remove the 'xfail' line" in fixed.diff()


def test_an_engine_error_is_the_case_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: cause code outside the policy's list
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02, cause_codes: [lightning]}
          expect: {status: excluded}
        """,
    )
    _, (result,) = run(path)
    assert result.outcome == "error" and result.error is not None
    assert "FactsError" in result.error and "lightning" in result.error


# ---------------------------------------------------------------- bad case files


def problems(tmp_path: Path, cases: str, **kw: Any) -> list[str]:
    path = write(tmp_path, cases, **kw)
    with pytest.raises(PolicyError) as info:
        load_case_file(path)
    return [str(p) for p in info.value.problems]


def test_unknown_expect_key_with_did_you_mean(tmp_path: Path) -> None:
    (msg,) = problems(
        tmp_path,
        """\
        - name: typo
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {stauts: covered}
        """,
    )
    assert msg.startswith(load_path(tmp_path) + ":9:")
    assert "cases[0].expect.stauts" in msg
    assert "unknown expect key 'stauts'; did you mean 'status'?" in msg


def test_nested_unknown_keys_and_values(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        - name: nested typos
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect:
            status: coverd
            terms: {warranty: {ends: 2025-03-01}}
            costs: {part: vendor, labour: vendr}
            remedy: {option: refnd}
        """,
    )
    text = "\n".join(found)
    assert "'coverd' is not one of" in text and "did you mean 'covered'?" in text
    assert "unknown key 'ends'; did you mean 'end'?" in text
    assert "unknown cost line 'part'; did you mean 'parts'?" in text
    assert "did you mean 'vendor'?" in text
    assert "did you mean 'refund'?" in text
    assert len(found) == 5


def test_case_structure_errors_are_located(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        - name: two kinds of facts
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          asset: {dates: {purchase: 2024-03-01}}
          expect: {status: covered}
        - name: metrics on a claim
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {metrics: {response: met}}
        - name: no expect
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
        - name: ticket with a date
          as_of: 2025-03-10
          ticket: {opened_at: 2025-01-06T09:00:00+08:00}
          expect: {status: on_track}
        - name: bad facts
          as_of: 2025-03-10
          claim:
            failure_date: 2025-03-02
            repairs: [{handed_over: 2025-01-05, returned: 2025-01-02}]
          expect: {status: covered}
        - nam: typo in a case key
          expect: {status: covered}
        """,
    )
    text = "\n".join(found)
    assert ":6:5: cases[0]: a case needs exactly one of 'claim', 'ticket' or 'asset'" in text
    assert "'metrics' is expected of a ticket case, not of a claim case" in text
    assert "cases[2].expect: 'expect' is required" in text
    assert "'as_of' of a ticket case is an instant with a UTC offset" in text
    assert ":26:" in text and "claim.repairs[0]: returned (2025-01-02) is before handed_over" in text
    assert "unknown key 'nam'; did you mean 'name'?" in text


def test_facts_from_defaults_are_located_in_defaults(tmp_path: Path) -> None:
    header = HEADER.replace("asset: {dates: {purchase: 2024-03-01}}", "asset: {price: 12.5}")
    (msg,) = problems(
        tmp_path,
        """\
        - name: the default is bad
          as_of: 2025-03-10
          claim: {failure_date: 2025-03-02}
          expect: {status: covered}
        """,
        header=header,
    )
    assert ":3:" in msg and "defaults.claim.asset.price" in msg and "claim.asset.price" in msg


def test_yaml_and_file_level_errors(tmp_path: Path) -> None:
    found = problems(tmp_path, "- name: [unclosed\n")
    assert "YAML syntax error" in found[0]
    (tmp_path / "empty.cases.yaml").write_text("cases: []\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="cases: List should have at least 1 item"):
        load_case_file(tmp_path / "empty.cases.yaml")
    lonely = tmp_path / "lonely.cases.yaml"
    lonely.write_text(
        "policy: nowhere.yaml\ncases: [{name: x, asset: {}, horizon: {from: 2024-01-01, to: 2024-01-02},"
        " expect: {count: 0}}]\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match=r"lonely.cases.yaml:1:9: policy: policy file not found"):
        load_case_file(lonely)


def test_duplicate_case_names(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        - {name: same, as_of: 2025-03-10, claim: {failure_date: 2025-03-02}, expect: {status: expired}}
        - {name: same, as_of: 2025-03-10, claim: {failure_date: 2025-03-02}, expect: {status: expired}}
        """,
    )
    assert found == [
        f"{load_path(tmp_path)}:7:12: cases[1].name: duplicate case name 'same' (first on line 6)"
    ]


def load_path(tmp_path: Path) -> str:
    from warrantykit.testing.cases import display_path

    return display_path(tmp_path / "mini.cases.yaml")


# ---------------------------------------------------------------- coverage


def test_policy_rules_and_coverage(tmp_path: Path) -> None:
    path = write(tmp_path, COVERED)
    runner, _ = run(path)
    policy = runner.policy(tmp_path / "mini.yaml")
    keys = [r.key for r in policy_rules(policy)]
    assert keys == [
        "terms.warranty",
        "exclusions.misuse",
        "costs.covered.parts",
        "costs.excluded.parts",
        "costs.expired.parts",
        "sla.severity_rules[0]",
        "sla.metrics.response",
        "sla.metrics.response.targets[0]",
        "sla.metrics.response.targets[1]",
        "schedule.yearly",
    ]
    (cov,) = coverage(runner)
    assert cov.policy_id == "mini" and cov.cases == 1 and cov.total == 10
    assert cov.exercised == {"terms.warranty", "costs.covered.parts"}
    assert round(cov.percent, 1) == 20.0
    assert "exclusions.misuse" in {r.key for r in cov.uncovered}


def test_targets_are_exercised_by_the_clock_that_used_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: high
          as_of: 2025-01-06T09:10:00+08:00
          ticket: {opened_at: 2025-01-06T09:00:00+08:00, system_paralysed: true}
          expect: {severity: high}
        """,
    )
    runner, (result,) = run(path)
    assert result.exercised == {
        "sla.severity_rules[0]",
        "sla.metrics.response",
        "sla.metrics.response.targets[0]",
    }


# ---------------------------------------------------------------- the command


def test_command_passes_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, COVERED)
    assert main(["test", str(good)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "1 passed" in out and "Coverage by rule" in out
    assert "not exercised in mini" in out and "exclusions.misuse" in out
    bad = write(
        tmp_path / "other",
        "- {name: fails, as_of: 2025-03-10, claim: {failure_date: 2025-03-02}, expect: {status: covered}}\n",
    )
    assert main(["test", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "expected: covered" in out and "1 failed" in out


def test_command_min_coverage_and_keyword(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, COVERED)
    assert main(["test", str(path), "--min-coverage", "20"]) == 0
    assert main(["test", str(path), "--min-coverage", "21"]) == 1
    assert "below --min-coverage 21" in capsys.readouterr().out
    assert main(["test", str(path), "-k", "nothing matches"]) == 0
    assert "no cases" in capsys.readouterr().out


def test_command_finds_case_files_and_untested_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, COVERED)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "untested.yaml").write_text(POLICY.replace("id: mini", "id: untested"))
    assert find_case_files([str(tmp_path)]) == [tmp_path / "mini.cases.yaml"]
    assert find_case_files([str(tmp_path / "mini.yaml")]) == [tmp_path / "mini.cases.yaml"]
    assert main(["test", str(tmp_path), "--min-coverage", "10"]) == 1
    out = capsys.readouterr().out
    assert "untested" in out and "coverage of untested is 0.0 %" in out
    assert main(["test", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_command_reports_invalid_case_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "- {name: x, as_of: 2025-03-10, claim: {}, expect: {stauts: 1}}\n")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out and "did you mean 'status'?" in out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        COVERED
        + "- {name: fails, as_of: 2025-03-10, claim: {failure_date: 2025-03-02}, expect: {status: covered}}\n",
    )
    assert main(["test", str(path), "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["passed"] is False
    assert body["summary"] == {"passed": 1, "failed": 1, "error": 0, "xfailed": 0, "xpassed": 0}
    failed = body["cases"][1]
    assert failed["outcome"] == "failed" and failed["line"] == 17
    assert failed["mismatches"][0] == {
        "key": "status", "line": 17, "expected": "covered", "actual": "expired", "note": None,
    }  # fmt: skip
    (cov,) = body["coverage"]["policies"]
    assert cov["policy"] == "mini" and cov["covered"] == 3 and cov["rules"] == 10
    assert {"rule": "exclusions.misuse", "kind": "exclusion"}.items() <= cov["uncovered"][0].items()


def test_junit_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        COVERED
        + "- {name: fails, as_of: 2025-03-10, claim: {failure_date: 2025-03-02}, expect: {status: covered}}\n"
        + "- {name: known, xfail: a bug, as_of: 2025-03-10, claim: {failure_date: 2025-03-02},"
        + " expect: {status: covered}}\n",
    )
    assert main(["test", str(path), "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    (suite,) = root.findall("testsuite")
    assert suite.get("file", "").endswith("mini.cases.yaml")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"policy": "mini", "coverage": "30.0"}
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["covered on the last day", "fails", "known"]
    assert [c.get("line") for c in cases] == ["6", "17", "18"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "status differs"
    assert "expected: covered" in (failure.text or "")
    skipped = cases[2].find("skipped")
    assert skipped is not None and skipped.get("message") == "xfail: a bug"


# ---------------------------------------------------------------- the pytest plugin


def test_plugin_collects_one_item_per_case(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        COVERED
        + "- {name: fails, as_of: 2025-03-10, claim: {failure_date: 2025-03-02}, expect: {status: covered}}\n"
        + "- {name: known, xfail: a bug, as_of: 2025-03-10, claim: {failure_date: 2025-03-02},"
        + " expect: {status: covered}}\n"
        + "- {name: fixed, xfail: a bug, as_of: 2025-03-10, claim: {failure_date: 2025-03-02},"
        + " expect: {status: expired}}\n",
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*mini.cases.yaml::covered on the last day PASSED*",
            "*mini.cases.yaml::fails FAILED*",
            "*mini.cases.yaml::known XFAIL*",
            "*mini.cases.yaml::fixed FAILED*",
            "*mini.cases.yaml:17: fails*",
            "*status  (line 17)*",
            "*expected: covered*",
            "*actual:   expired*",
            "*XPASS(strict)*a bug*",
        ]
    )


def test_plugin_reports_invalid_case_files_as_collection_errors(pytester: pytest.Pytester) -> None:
    write(pytester.path, "- {name: x, as_of: 2025-03-10, claim: {}, expect: {stauts: 1}}\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*invalid case file*", "*mini.cases.yaml:6:*did you mean 'status'?*"])


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    write(pytester.path, COVERED)
    result = pytester.runpytest("-p", "no:warrantykit", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
