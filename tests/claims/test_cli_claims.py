"""warrantykit evaluate / explain / replay."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from warrantykit.cli import main

from .helpers import POLICIES, claim

HVAC = str(POLICIES / "hvac-project-36-months.yaml")


def facts_file(tmp_path: Path, data: Any, name: str = "claim.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def hvac_claim(**more: Any) -> dict[str, Any]:
    return claim(
        "2025-05-20",
        dates={"acceptance": "2024-01-15"},
        component="heating_system",
        prices={"parts": "1200.00 CNY"},
        **more,
    )


def test_evaluate_text_is_the_explanation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", HVAC, facts_file(tmp_path, hvac_claim()), "--as-of", "2025-06-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Status: COVERED" in out and "parts: vendor pays 1200.00 CNY" in out and "Why:" in out


def test_explain_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", HVAC, facts_file(tmp_path, hvac_claim()), "--as-of", "2025-06-01"])
    assert code == 0 and "heating-system [四.1)]" in capsys.readouterr().out


def test_evaluate_json_and_yaml_facts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_facts = tmp_path / "claim.yaml"
    import yaml

    yaml_facts.write_text(yaml.safe_dump(hvac_claim()), encoding="utf-8")
    assert main(["evaluate", HVAC, str(yaml_facts), "--as-of", "2025-06-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "covered" and data["policy"]["id"] == "hvac-project-36-months"


def test_evaluate_a_list_of_claims(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = facts_file(tmp_path, [hvac_claim(), hvac_claim(cause_codes=["accident"])])
    assert main(["evaluate", HVAC, path, "--as-of", "2025-06-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["status"] for d in data] == ["covered", "excluded"]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(hvac_claim())))
    assert main(["evaluate", HVAC, "-", "--as-of", "2025-06-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "covered"


def test_typed_errors_exit_1_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = facts_file(tmp_path, hvac_claim(cause_codes=["lightning"]))
    assert main(["evaluate", HVAC, path, "--as-of", "2025-06-01"]) == 1
    err = capsys.readouterr().err
    assert "claim.cause_codes[0]" in err and "Traceback" not in err
    assert main(["evaluate", str(tmp_path / "missing.yaml"), path, "--as-of", "2025-06-01"]) == 1
    assert main(["evaluate", HVAC, str(tmp_path / "nothing.json"), "--as-of", "2025-06-01"]) == 1


def test_bad_as_of_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", HVAC, facts_file(tmp_path, hvac_claim()), "--as-of", "June"])
    assert info.value.code == 2


def record(tmp_path: Path, policy: str, capsys: pytest.CaptureFixture[str], data: Any | None = None) -> Path:
    path = facts_file(tmp_path, data if data is not None else hvac_claim())
    assert main(["evaluate", policy, path, "--as-of", "2025-06-01", "--format", "json"]) == 0
    out = tmp_path / "decision.json"
    out.write_text(capsys.readouterr().out, encoding="utf-8")
    return out


def test_replay_reproduces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decision = record(tmp_path, HVAC, capsys)
    assert main(["replay", str(decision)]) == 0
    assert "replay ok" in capsys.readouterr().out


def test_replay_reports_a_changed_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decision = record(tmp_path, HVAC, capsys)
    data = json.loads(decision.read_text(encoding="utf-8"))
    data["status"] = "expired"
    decision.write_text(json.dumps(data), encoding="utf-8")
    assert main(["replay", str(decision)]) == 1
    assert 'status: "expired" -> "covered"' in capsys.readouterr().out


def test_replay_reports_a_changed_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES / "shared", folder / "shared")
    copy = folder / "hvac.yaml"
    shutil.copy(HVAC, copy)
    decision = record(tmp_path, str(copy), capsys)
    # the recorded claim is a heating-system failure: shorten that term
    text = copy.read_text(encoding="utf-8").replace(
        "{seasons: 3, season: beijing-heating}", "{seasons: 1, season: beijing-heating}"
    )
    copy.write_text(text, encoding="utf-8")
    assert main(["replay", str(decision)]) == 1
    out = capsys.readouterr().out
    assert "policy.content_hash" in out and "(the policy changed since the decision)" in out
    assert "terms[0].end" in out


def test_replay_of_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decision = record(tmp_path, HVAC, capsys, [hvac_claim(), hvac_claim(failure_date="2030-01-01")])
    assert main(["replay", str(decision)]) == 0
    assert "2 decision(s)" in capsys.readouterr().out


def test_replay_of_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = facts_file(tmp_path, {"schema": "nope"})
    assert main(["replay", path]) == 1
    assert "not a claim decision" in capsys.readouterr().err


def test_the_documented_example(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parent / "data" / "hvac-heating-claim.json"
    assert main(["evaluate", HVAC, str(example), "--as-of", "2025-06-01"]) == 0
    out = capsys.readouterr().out
    assert "Claim HVAC-2025-0042" in out and "Deciding term: heating-system" in out
