"""Claim decisions behind a small web service, with the standard library only (WSGI).

    python examples/web_handler.py --port 8080              # every shipped policy
    curl -X POST 'http://localhost:8080/claims/hvac-project-36-months/evaluate?as_of=2025-06-01' \\
         -H 'Content-Type: application/json' --data @examples/facts/hvac-heating-claim.json

``POST /claims/<policy-id>/evaluate?as_of=YYYY-MM-DD`` with one claim as JSON:

* ``200`` -- the decision, ``decision.to_json()`` (``warrantykit.claim-decision/1``);
* ``422`` -- the claim (or ``as_of``) is invalid, or the engine cannot combine the
  policy and the facts: ``{"error": ..., "problems": [{"path", "message", "code"}]}``,
  each problem naming the field (``claim.repairs[0].returned``, ``as_of``);
* ``404`` -- unknown policy id (or another path); ``405`` -- another method.

Policies are loaded once, when :func:`make_app` builds the application, and
shared by every request: a :class:`~warrantykit.Policy` is immutable and safe to
use from several threads at once (its memos are bounded and thread-safe), so the
threaded server below needs no lock.  Nothing reads the clock: ``as_of`` is
required.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer, make_server

import warrantykit
from warrantykit.errors import EvaluationError, FactsError, Problem

__all__ = ["load_policies", "make_app", "main"]

ROOT = Path(__file__).resolve().parent.parent
MAX_BODY = 1 << 20  # a claim is a few kilobytes

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_STATUS = {
    200: "200 OK",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Content Too Large",
    422: "422 Unprocessable Content",
}


def load_policies(paths: Iterable[Path]) -> dict[str, warrantykit.Policy]:
    """The policies of ``paths`` by id (each loaded and compiled once)."""
    policies: dict[str, warrantykit.Policy] = {}
    for path in paths:
        policy = warrantykit.load_policy(path)
        policies[policy.id] = policy
    return policies


def _shipped() -> list[Path]:
    return sorted(
        p
        for p in (ROOT / "policies").rglob("*.yaml")
        if "shared" not in p.parts and not p.name.endswith((".inc.yaml", ".cases.yaml"))
    )


def _problems(problems: Iterable[Problem]) -> list[dict[str, str]]:
    return [{"path": p.path, "message": p.message, "code": p.code} for p in problems]


def make_app(policies: Mapping[str, warrantykit.Policy]) -> App:
    """The WSGI application deciding claims under ``policies`` (by id)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def reply(status: int, body: Any) -> list[bytes]:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            start_response(
                _STATUS[status],
                [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))],
            )
            return [data]

        parts = environ.get("PATH_INFO", "").strip("/").split("/")
        if len(parts) != 3 or parts[0] != "claims" or parts[2] != "evaluate":
            return reply(404, {"error": "not found; POST /claims/<policy-id>/evaluate?as_of=YYYY-MM-DD"})
        if environ.get("REQUEST_METHOD") != "POST":
            return reply(405, {"error": "use POST"})
        policy = policies.get(parts[1])
        if policy is None:
            return reply(404, {"error": f"unknown policy {parts[1]!r}", "policies": sorted(policies)})

        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            as_of = date.fromisoformat(query.get("as_of", [""])[0])
        except ValueError:
            problem = Problem("as_of must be a date, YYYY-MM-DD", path="as_of", code="type")
            return reply(422, {"error": "invalid facts", "problems": _problems([problem])})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return reply(413, {"error": f"a claim is at most {MAX_BODY} bytes"})
        body = environ["wsgi.input"].read(length) if length > 0 else b""

        try:
            # the engine validates the JSON text itself: problems name the claim's fields
            decision = policy.evaluate(body or b"null", as_of=as_of)
        except FactsError as exc:
            return reply(422, {"error": "invalid facts", "problems": _problems(exc.problems)})
        except EvaluationError as exc:
            return reply(422, {"error": "cannot evaluate", "problems": _problems(exc.problems)})
        return reply(200, decision.to_json())

    return app


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request; the policies are shared read-only."""

    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve claim decisions over HTTP (WSGI).")
    parser.add_argument("policies", nargs="*", type=Path, help="policy files (default: every shipped policy)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    policies = load_policies(args.policies or _shipped())
    server = make_server(args.host, args.port, make_app(policies), server_class=ThreadingWSGIServer)
    print(f"serving {len(policies)} policies on http://{args.host}:{args.port}/claims/<policy-id>/evaluate", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
