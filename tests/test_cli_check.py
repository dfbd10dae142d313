"""``warrantykit check`` and ``warrantykit schema``, run in-process (plus one subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from warrantykit.cli import main
from warrantykit.schema import policy_schema

GALLERY = Path(__file__).resolve().parent / "policies"
VALID = (GALLERY / "good" / "disjoint-purchase-windows.yaml").read_text(encoding="utf-8")
INVALID = (GALLERY / "bad" / "unknown-unit.yaml").read_text(encoding="utf-8")
UNIT_PROBLEM = "terms[0].length: unknown unit 'monthes' (did you mean 'months'?)"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """good.yaml (includes shared/cal.inc.yaml), bad.yaml, a case file and a fragment."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cal.inc.yaml").write_text("calendars:\n  office: {preset: 5x8}\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text(
        VALID.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ninclude: [shared/cal.inc.yaml]"),
        encoding="utf-8",
    )
    (tmp_path / "bad.yaml").write_text(INVALID, encoding="utf-8")
    (tmp_path / "good.cases.yaml").write_text("cases: [not a policy]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_valid_policy_exits_0(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "good.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["ok  good.yaml  (gallery 1.0.0)", "1 of 1 policies valid"]


def test_invalid_policy_exits_1(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "good.yaml", "bad.yaml"]) == 1
    out = capsys.readouterr().out
    assert f"bad.yaml:11:13: {UNIT_PROBLEM}" in out.splitlines()
    assert out.splitlines()[-1] == "1 of 2 policies valid"


def test_missing_path_exits_2(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "good.yaml", "nope.yaml"]) == 2
    assert "no such file or folder: nope.yaml" in capsys.readouterr().err


def test_glob_matching_nothing_exits_2(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "nothing/*.yaml"]) == 2
    assert "nothing/*.yaml" in capsys.readouterr().err


def test_no_paths_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2


def test_folder_skips_case_files_and_fragments(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "."]) == 1
    out = capsys.readouterr().out
    assert "ok  good.yaml  (gallery 1.0.0)" in out
    assert "cases" not in out and "inc.yaml" not in out
    assert out.splitlines()[-1] == "1 of 2 policies valid"
    (tree / "bad.yaml").unlink()
    assert main(["check", str(tree)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 of 1 policies valid"


def test_glob(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "b*.yaml"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "0 of 1 policies valid"
    assert main(["check", "g*d.yaml"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 of 1 policies valid"


def test_glob_skips_case_files_and_fragments(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "bad.yaml").unlink()
    assert main(["check", "**/*.yaml"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 of 1 policies valid"


def test_json_format(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", "good.yaml", "bad.yaml"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    good, bad = report["files"]
    assert good["file"] == "good.yaml" and good["valid"] is True and good["problems"] == []
    assert (good["id"], good["version"], good["terms"], good["remedies"]) == ("gallery", "1.0.0", 1, 2)
    assert good["content_hash"].startswith("sha256:")
    assert bad["valid"] is False
    assert bad["problems"] == [
        {
            "file": "bad.yaml",
            "line": 11,
            "column": 13,
            "path": "terms[0].length",
            "code": "unknown-unit",
            "message": "unknown unit 'monthes' (did you mean 'months'?)",
        }
    ]
    assert main(["check", "--format", "json", "good.yaml"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True


def test_github_format(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "github", "good.yaml", "bad.yaml"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"::error file=bad.yaml,line=11,col=13,title=unknown-unit::{UNIT_PROBLEM}",
    ]


def test_github_format_escapes_percent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pct.yaml").write_text(VALID + "discount%: 10\n", encoding="utf-8")
    assert main(["check", "--format", "github", "pct.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "::error file=pct.yaml,line=23,col=1,title=unknown-key::discount%25: unknown key 'discount%25'",
    ]


def test_schema_prints_the_policy_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == policy_schema()
    assert printed["title"] == "warrantykit policy"


def test_schema_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--facts"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {"claim", "asset", "ticket"} <= set(printed["properties"])
    assert "Claim" in printed["$defs"]


def test_module_help_in_a_subprocess() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warrantykit.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: warrantykit" in result.stdout
    assert "check" in result.stdout and "schema" in result.stdout
