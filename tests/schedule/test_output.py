"""Renderings of a schedule: JSON, iCalendar (parsed back with icalendar), text, and the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from warrantykit.cli import main
from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.engine.obligations import JSON_SCHEMA_ID, Schedule

from .helpers import POLICIES, D, asset

HVAC = POLICIES / "hvac-project-36-months.yaml"


@pytest.fixture(scope="module")
def hvac() -> Policy:
    return load_policy(HVAC)


@pytest.fixture(scope="module")
def schedule(hvac: Policy) -> Schedule:
    return hvac.schedule(
        asset(acceptance="2025-03-01"),
        start=D(2025, 1, 1),
        end=D(2026, 12, 31),
        performed=[
            {"obligation": "pre-start-check", "on": "2025-04-30"},
            {"obligation": "season-inspection", "on": "2025-05-20", "note": "late"},
        ],
        as_of=D(2025, 8, 1),
    )


def events(data: bytes) -> list[Any]:
    cal = Calendar.from_ical(data)
    return list(cal.walk("VEVENT"))


def test_ical_round_trip(schedule: Schedule) -> None:
    data = schedule.to_ical()
    cal = Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//warrantykit//schedule//EN"
    evs = events(data)
    assert len(evs) == len(schedule.obligations) == 12
    for ev, ob in zip(evs, schedule.obligations, strict=True):
        assert str(ev["UID"]) == f"{ob.id}/hvac-project-36-months/unit-1"
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert type(start) is date and type(end) is date  # all-day
        assert start == ob.window.earliest
        assert end == ob.window.latest + timedelta(days=1)  # DTEND is exclusive
        assert str(ev["SUMMARY"]) == f"{ob.kind}: {ob.rule}"
        assert f"Clause {ob.clause}" in str(ev["DESCRIPTION"])
        assert str(ev["X-WARRANTYKIT-STATUS"]) == ob.status.value
    by_uid = {str(ev["UID"]): ev for ev in evs}
    pre = by_uid["pre-start-check@2025-05-08/hvac-project-36-months/unit-1"]
    assert pre.decoded("DTSTART") == D(2025, 4, 24)
    assert pre.decoded("DTEND") == D(2025, 5, 9)
    assert str(pre["STATUS"]) == "CONFIRMED"
    missed = by_uid["cooling-start-maintenance@2025-05-15/hvac-project-36-months/unit-1"]
    assert str(missed["STATUS"]) == "CANCELLED"
    upcoming = by_uid["heating-start-maintenance@2026-11-15/hvac-project-36-months/unit-1"]
    assert str(upcoming["STATUS"]) == "TENTATIVE"


def test_ical_uids_are_stable_across_horizons(hvac: Policy) -> None:
    unit = asset(acceptance="2025-03-01")
    whole = hvac.schedule(unit, start=D(2025, 1, 1), end=D(2026, 12, 31), as_of=D(2025, 1, 1))
    part = hvac.schedule(unit, start=D(2026, 1, 1), end=D(2026, 12, 31), as_of=D(2025, 1, 1))
    uids = {str(e["UID"]) for e in events(whole.to_ical())}
    assert {str(e["UID"]) for e in events(part.to_ical())} < uids
    assert (
        whole.to_ical()
        == hvac.schedule(
            unit, start=D(2025, 1, 1), end=D(2026, 12, 31), as_of=D(2025, 1, 1)
        ).to_ical()
    )  # no clock: byte-identical


def test_ical_without_asset_id(hvac: Policy) -> None:
    s = hvac.schedule(
        {"dates": {"acceptance": "2025-03-01"}}, start=D(2025, 5, 1), end=D(2025, 5, 31)
    )
    uids = [str(e["UID"]) for e in events(s.to_ical())]
    assert uids[0] == "pre-start-check@2025-05-08/hvac-project-36-months"


def test_json_shape(schedule: Schedule, hvac: Policy) -> None:
    data = json.loads(json.dumps(schedule.to_json()))
    assert data["schema"] == JSON_SCHEMA_ID
    assert data["policy"] == {
        "id": "hvac-project-36-months",
        "version": "1.0.0",
        "content_hash": hvac.content_hash,
    }
    assert data["asset"] == {"id": "unit-1"}
    assert data["horizon"] == {"start": "2025-01-01", "end": "2026-12-31"}
    assert data["as_of"] == "2025-08-01"
    assert data["counts"]["done_on_time"] == 1
    first = data["obligations"][0]
    assert set(first) == {
        "id", "rule", "clause", "kind", "text", "due", "moved_from", "window", "season",
        "status", "performed", "reasons",
    }  # fmt: skip
    assert first["id"] == "pre-start-check@2025-05-08"
    assert first["window"] == {"earliest": "2025-04-24", "latest": "2025-05-08"}
    assert first["performed"] == {"obligation": "pre-start-check", "on": "2025-04-30", "note": None}
    assert set(first["reasons"][0]) == {"rule", "clause", "text", "source"}
    assert data["unmatched"] == []


def test_explain_text(schedule: Schedule) -> None:
    text = schedule.explain()
    assert "Schedule of hvac-project-36-months 1.0.0" in text
    assert "statuses as of 2025-08-01" in text
    assert "pre-start-check@2025-05-08" in text
    assert "done_late" in text


# ---------------------------------------------------------------- CLI


@pytest.fixture()
def asset_file(tmp_path: Path) -> Path:
    path = tmp_path / "asset.json"
    path.write_text(json.dumps(asset(acceptance="2025-03-01")), encoding="utf-8")
    return path


def test_cli_ics(asset_file: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code = main(
        [
            "schedule",
            str(HVAC),
            str(asset_file),
            "--from",
            "2025-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "ics",
        ]
    )
    assert code == 0
    out = capsysbinary.readouterr().out
    assert len(events(out)) == 12


def test_cli_json_with_performed_yaml(
    asset_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "done.yaml"
    log.write_text(
        "performed:\n  - {obligation: season-inspection, on: 2025-05-15}\n", encoding="utf-8"
    )
    code = main(
        [
            "schedule", str(HVAC), str(asset_file), "--from", "2025-05-01", "--to", "2025-05-31",
            "--as-of", "2025-06-01", "--performed", str(log), "--format", "json",
        ]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert {o["id"]: o["status"] for o in data["obligations"]} == {
        "pre-start-check@2025-05-08": "missed",
        "cooling-start-maintenance@2025-05-15": "missed",
        "season-inspection@2025-05-15": "done_on_time",
    }


def test_cli_text_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("asset:\n  dates: {acceptance: 2025-03-01}\n"))
    assert main(["schedule", str(HVAC), "-", "--from", "2025-05-01", "--to", "2025-05-31"]) == 0
    assert "3 obligation(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2025-02-01", "--to", "2025-01-01"], "end: the horizon ends"),
        (
            ["--from", "2025-01-01", "--to", "2025-12-31", "--performed", "PERF"],
            "performed[0].obligation",
        ),
    ],
)
def test_cli_errors_exit_1_without_traceback(
    asset_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    perf = tmp_path / "perf.json"
    perf.write_text('[{"obligation": "nope", "on": "2025-01-01"}]', encoding="utf-8")
    args = [str(perf) if a == "PERF" else a for a in extra]
    assert main(["schedule", str(HVAC), str(asset_file), *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_missing_anchor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("dates: {completion: 2025-01-01}\n", encoding="utf-8")
    assert (
        main(["schedule", str(HVAC), str(path), "--from", "2025-01-01", "--to", "2025-12-31"]) == 1
    )
    assert "asset.dates.acceptance" in capsys.readouterr().err


def test_cli_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "schedule",
                str(tmp_path / "nope.yaml"),
                "-",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "schedule",
                str(HVAC),
                str(tmp_path / "nope.json"),
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("warrantykit schedule:") == 2


def test_cli_bad_date_is_a_usage_error(asset_file: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["schedule", str(HVAC), str(asset_file), "--from", "2025-13-01", "--to", "2025-12-31"])
    assert exc.value.code == 2
