"""A worker process for the durable-rules backend: claims in, decisions out, as JSON lines.

Run as ``python tests/durable/worker.py``. Each line on stdin is::

    {"policy": "policies/x.yaml", "claim": {...claim facts...}, "as_of": "2025-06-01"}

and each line written to stdout answers one of them, in order::

    {"decision": {...ClaimDecision.to_json()...}}
    {"unsupported": "<feature>"}                       # UnsupportedByBackend
    {"error": {"type": "EvaluationError", "message": "..."}}

The durable-rules C extension runs in this process only, so a crash of it
(the interpreter dies) is seen by the test as a closed pipe and an exit code,
not as the end of the test session.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from warrantykit import load_policy
from warrantykit.engine.compiled import Policy
from warrantykit.engine.durable import DurableBackend
from warrantykit.errors import UnsupportedByBackend


def answer(backends: dict[str, DurableBackend], request: dict[str, Any]) -> dict[str, Any]:
    path = request["policy"]
    backend = backends.get(path)
    if backend is None:
        policy: Policy = load_policy(path)
        backend = backends[path] = DurableBackend(policy)
    try:
        decision = backend.evaluate(request["claim"], as_of=date.fromisoformat(request["as_of"]))
    except UnsupportedByBackend as exc:
        return {"unsupported": exc.feature}
    except Exception as exc:  # reported to the test, which compares it with the pure engine's
        return {"error": {"type": type(exc).__name__, "message": str(exc)}}
    return {"decision": decision.to_json()}


def main() -> int:
    backends: dict[str, DurableBackend] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        out = answer(backends, json.loads(line))
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
