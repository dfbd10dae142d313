"""``warrantykit sla POLICY TICKET --as-of INSTANT [--format text|json]``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from warrantykit.cli import main

from .helpers import POLICIES

POLICY = str(POLICIES / "hospital-his-software-12-months.yaml")

TICKET_YAML = """\
ticket:
  id: H-1
  opened_at: 2024-09-27T15:00:00+08:00
  channel: phone
  region: city
  severity: complex
  events:
    - {type: escalated, to: on_site, at: 2024-09-27T16:00:00+08:00}
    - {type: arrived, at: 2024-09-27T17:30:00+08:00}
"""


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TICKET_YAML, encoding="utf-8")
    assert main(["sla", POLICY, str(path), "--as-of", "2024-10-08T10:00:00+08:00"]) == 0
    out = capsys.readouterr().out
    assert "Ticket H-1 under hospital-his-software-12-months 1.0.0" in out
    assert "complex-solution" in out and "due 2024-10-08T17:00:00+08:00" in out
    assert "on-site-arrival [三.3] arrival: met" in out


def test_json_output_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {
        "opened_at": "2024-09-27T15:00:00+08:00",
        "channel": "phone",
        "events": [{"type": "feedback", "at": "2024-09-27T15:30:00+08:00"}],
    }
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(data)))
    assert main(["sla", POLICY, "-", "--as-of", "2024-09-27T07:45:00Z", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "warrantykit.ticket-decision/1"
    assert out["as_of"] == "2024-09-27T07:45:00+00:00"
    feedback = next(m for m in out["metrics"] if m["id"] == "phone-feedback")
    assert feedback["state"] == "met" and feedback["due"] == "2024-09-27T16:00:00+08:00"


def test_bad_ticket_exits_1_with_the_field_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "opened_at": "2024-09-27T15:00:00+08:00",
                "events": [
                    {"type": "feedback", "at": "2024-09-27T15:30:00+08:00"},
                    {"type": "resolved", "at": "2024-09-27T15:20:00+08:00"},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert main(["sla", POLICY, str(path), "--as-of", "2024-10-08T10:00:00+08:00"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        "warrantykit sla: ticket.events[1].at: events are not in chronological order"
        in captured.err
    )
    assert "Traceback" not in captured.err


def test_naive_as_of_exits_1_and_bad_syntax_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TICKET_YAML, encoding="utf-8")
    assert main(["sla", POLICY, str(path), "--as-of", "2024-10-08T10:00:00"]) == 1
    assert "as_of: naive datetime" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["sla", POLICY, str(path), "--as-of", "tomorrow"])
    assert info.value.code == 2


def test_missing_files_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["sla", POLICY, str(tmp_path / "none.json"), "--as-of", "2024-10-08T10:00:00Z"]) == 1
    )
    assert "cannot read" in capsys.readouterr().err
    path = tmp_path / "t.yaml"
    path.write_text(TICKET_YAML, encoding="utf-8")
    assert (
        main(["sla", str(tmp_path / "none.yaml"), str(path), "--as-of", "2024-10-08T10:00:00Z"])
        == 1
    )
    assert capsys.readouterr().err.startswith("warrantykit sla: ")
