"""Creating backends and monitors from several threads at once, on a fresh interpreter
(so the lazy durable host and the first rulesets are created under contention)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("durable.engine", reason="durable-rules is not installed (the 'durable' extra)")

from durable_helpers import ROOT

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    from datetime import date, datetime, timedelta, timezone

    import warrantykit
    from warrantykit.engine.durable import DurableBackend
    from warrantykit.engine.monitor import TicketMonitor

    POLICY = sys.argv[1]
    CLAIM = {
        "asset": {"category": "his_software", "dates": {"acceptance": "2024-03-01"}},
        "failure_date": "2024-09-01",
        "evidence": {"licensed_copy": True, "paid_up": True},
    }
    OPENED = datetime(2024, 9, 27, 15, 0, tzinfo=timezone(timedelta(hours=8)))
    N = 8
    barrier = threading.Barrier(N)
    results, errors = {}, []

    def work(i):
        try:
            policy = warrantykit.load_policy(POLICY)  # a new policy object: its own rulesets
            barrier.wait()
            backend = DurableBackend(policy)
            alerts = []
            monitor = TicketMonitor(policy, lambda d, a: alerts.append(a), clock=lambda: OPENED)
            got = backend.evaluate(CLAIM, as_of=date(2024, 9, 2)).to_json()
            want = policy.evaluate(CLAIM, as_of=date(2024, 9, 2)).to_json()
            key = monitor.open({"id": f"T{i}", "opened_at": OPENED.isoformat(), "channel": "phone"})
            results[i] = {
                "same": got == want,
                "claims": backend.rules.name,
                "tickets": monitor.name,
                "timer": key in monitor.timers,
            }
        except BaseException as exc:
            errors.append(f"{i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    print(json.dumps({"results": results, "errors": errors}))
    """
)


def test_eight_threads_create_backends_and_monitors_at_once() -> None:
    policy = ROOT / "policies" / "hospital-his-software-12-months.yaml"
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(policy)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, f"exit {run.returncode}\\n{run.stderr[-3000:]}"
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    results = out["results"]
    assert len(results) == 8
    assert all(r["same"] for r in results.values())
    assert all(r["timer"] for r in results.values())
    names = [r["claims"] for r in results.values()] + [r["tickets"] for r in results.values()]
    assert len(set(names)) == 16, names
