"""The examples run: a streamed JSONL/CSV batch and the WSGI handler (in-process)."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FACTS = EXAMPLES / "facts"
HVAC = ROOT / "policies" / "hvac-project-36-months.yaml"
AS_OF = date(2026, 6, 1)


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hvac() -> Policy:
    return load_policy(HVAC)


# ---------------------------------------------------------------- batch_claims


def batch(policy: Policy, name: str) -> tuple[Any, list[dict[str, Any]]]:
    out = io.StringIO()
    summary = example("batch_claims").run(policy, FACTS / name, out, as_of=AS_OF)
    return summary, [json.loads(line) for line in out.getvalue().splitlines()]


def test_batch_of_jsonl_claims(hvac: Policy) -> None:
    summary, decisions = batch(hvac, "claims.jsonl")
    assert summary.read == 14 and summary.decided == 12 == len(decisions)
    # typed errors with their line numbers; the batch went on after them
    assert [(e.line, e.kind) for e in summary.errors] == [(10, "FactsError"), (11, "FactsError")]
    assert "claim.failure_date" in summary.errors[0].paths
    assert summary.errors[1].paths == ("claim.cause_codes[0]",)
    assert [d["claim"]["id"] for d in decisions] == [
        f"HV-{n:03d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14)
    ]
    by_id = {d["claim"]["id"]: d for d in decisions}
    assert by_id["HV-007"]["status"] == "undetermined" and by_id["HV-007"]["missing"] == ["claim.failure_date"]
    assert by_id["HV-008"]["missing"] == ["claim.asset.dates.acceptance"]
    assert by_id["HV-003"]["status"] == "excluded"  # unstable voltage (五.2)
    # the summary is what the decisions say
    assert dict(summary.by_status) == {
        s: sum(1 for d in decisions if d["status"] == s) for s in {d["status"] for d in decisions}
    }
    charged = sum(
        (Decimal(c["amount"].split()[0]) for d in decisions for c in d["costs"] if c["payer"] == "customer" and c["amount"]),
        Decimal(0),
    )
    assert summary.customer_charges == {"CNY": charged} and charged > 0
    assert "customer charges: " + str(charged) + " CNY" in "\n".join(summary.lines())


def test_batch_of_csv_claims_matches_jsonl(hvac: Policy) -> None:
    from_jsonl, jsonl = batch(hvac, "claims.jsonl")
    from_csv, csv = batch(hvac, "claims.csv")
    assert csv == jsonl
    assert from_csv.by_status == from_jsonl.by_status
    assert from_csv.customer_charges == from_jsonl.customer_charges
    # CSV line numbers count the header
    assert [e.line for e in from_csv.errors] == [11, 12]


def test_batch_decisions_equal_single_evaluations(hvac: Policy) -> None:
    _, decisions = batch(hvac, "claims.jsonl")
    lines = [json.loads(line) for line in (FACTS / "claims.jsonl").read_text(encoding="utf-8").splitlines()]
    valid = [c for c in lines if c["id"] not in ("HV-010", "HV-011")]
    assert decisions == [hvac.evaluate(c, as_of=AS_OF).to_json() for c in valid]


def test_batch_cli_writes_jsonl_and_fails_on_rejected_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "decisions.jsonl"
    code = example("batch_claims").main([str(HVAC), str(FACTS / "claims.jsonl"), "--as-of", "2026-06-01", "--out", str(out)])
    assert code == 1  # two lines rejected
    assert len(out.read_text(encoding="utf-8").splitlines()) == 12
    err = capsys.readouterr().err
    assert "14 claims read, 12 decided, 2 rejected" in err and "line 11: FactsError" in err


def test_csv_headers_are_fact_paths() -> None:
    batch_claims = example("batch_claims")
    assert batch_claims._split("repairs[0].handed_over") == ["repairs", 0, "handed_over"]
    assert batch_claims._is_list("cause_codes") and batch_claims._is_list("asset.components")
    assert batch_claims._is_list("repairs[1].parts_replaced")
    assert not batch_claims._is_list("asset.dates.acceptance") and not batch_claims._is_list("attributes.x")
    data: dict[str, Any] = {}
    batch_claims._put(data, ["repairs", 1, "fixed"], "true")
    assert data == {"repairs": [None, {"fixed": "true"}]}


# ---------------------------------------------------------------- web_handler


def call(app: Any, method: str, path: str, body: bytes = b"", query: str = "") -> tuple[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append(status)
        assert ("Content-Type", "application/json; charset=utf-8") in headers

    data = b"".join(app(environ, start_response))
    return seen[0], json.loads(data)


@pytest.fixture(scope="module")
def app(hvac: Policy) -> Any:
    return example("web_handler").make_app({hvac.id: hvac})


CLAIM = (FACTS / "hvac-heating-claim.json").read_bytes()


def test_web_200_with_the_decision(app: Any, hvac: Policy) -> None:
    status, body = call(app, "POST", f"/claims/{hvac.id}/evaluate", CLAIM, "as_of=2025-06-01")
    assert status.startswith("200")
    assert body["schema"] == "warrantykit.claim-decision/1" and body["status"] == "covered"
    assert body == hvac.evaluate(CLAIM, as_of=date(2025, 6, 1)).to_json()


def test_web_404_unknown_policy_or_path(app: Any) -> None:
    status, body = call(app, "POST", "/claims/no-such-policy/evaluate", CLAIM, "as_of=2025-06-01")
    assert status.startswith("404") and "no-such-policy" in body["error"]
    assert call(app, "POST", "/tickets/x", CLAIM)[0].startswith("404")


def test_web_422_names_the_fields(app: Any, hvac: Policy) -> None:
    bad = json.loads(CLAIM)
    bad["repairs"][0]["returned"] = "2025-02-01"  # before it was handed over
    bad["cause_codes"] = ["aliens"]
    status, body = call(app, "POST", f"/claims/{hvac.id}/evaluate", json.dumps(bad).encode(), "as_of=2025-06-01")
    assert status.startswith("422") and body["error"] == "invalid facts"
    assert [p["path"] for p in body["problems"]] == ["claim.repairs[0]"]
    status, body = call(app, "POST", f"/claims/{hvac.id}/evaluate", b"{not json", "as_of=2025-06-01")
    assert status.startswith("422") and body["problems"][0]["path"].startswith("claim")
    status, body = call(app, "POST", f"/claims/{hvac.id}/evaluate", CLAIM, "as_of=June")
    assert status.startswith("422") and body["problems"][0]["path"] == "as_of"
    assert call(app, "POST", f"/claims/{hvac.id}/evaluate", CLAIM)[0].startswith("422")


def test_web_405_for_other_methods(app: Any, hvac: Policy) -> None:
    assert call(app, "GET", f"/claims/{hvac.id}/evaluate", query="as_of=2025-06-01")[0].startswith("405")


def test_web_policies_are_shared_between_threads(app: Any, hvac: Policy) -> None:
    claims = [json.loads(line) for line in (FACTS / "claims.jsonl").read_text(encoding="utf-8").splitlines()]
    claims = [c for c in claims if c["id"] not in ("HV-010", "HV-011")] * 6

    def post(claim: dict[str, Any]) -> tuple[str, Any]:
        return call(app, "POST", f"/claims/{hvac.id}/evaluate", json.dumps(claim).encode(), "as_of=2026-06-01")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, claims))
    assert all(status.startswith("200") for status, _ in answers)
    assert [body for _, body in answers] == [hvac.evaluate(c, as_of=AS_OF).to_json() for c in claims]
