"""The core never needs durable-rules: with every ``durable*`` import blocked, warrantykit
imports (all of its modules), loads a shipped policy and decides a claim and a ticket."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    from datetime import date, datetime

    class BlockDurable:
        \"\"\"A meta path finder that refuses durable-rules, as if the extra were not installed.\"\"\"

        def find_spec(self, name, path=None, target=None):
            if name == "durable" or name.startswith(("durable.", "durable_rules")):
                raise ImportError(f"{name} is blocked: the durable extra is not installed")
            return None

    sys.meta_path.insert(0, BlockDurable())

    import warrantykit

    for info in pkgutil.walk_packages(warrantykit.__path__, "warrantykit."):
        if not info.name.endswith(".__main__"):
            importlib.import_module(info.name)
    assert not [m for m in sys.modules if m == "durable" or m.startswith(("durable.", "durable_rules"))]

    policy = warrantykit.load_policy(sys.argv[1])
    claim = {
        "asset": {"category": "his_software", "dates": {"acceptance": "2024-03-01"}},
        "failure_date": "2024-09-01",
        "evidence": {"licensed_copy": True, "paid_up": True},
    }
    decision = policy.evaluate(claim, as_of=date(2024, 9, 2))
    assert decision.status == "covered", decision.status
    ticket = policy.evaluate_ticket(
        {"opened_at": "2024-09-27T15:00:00+08:00", "channel": "phone", "region": "city",
         "severity": "complex"},
        as_of=datetime.fromisoformat("2024-10-08T10:00:00+08:00"),
    )
    assert ticket.metric("complex-solution").due == datetime.fromisoformat("2024-10-08T17:00:00+08:00")
    print("ok", decision.status, ticket.status)
    """
)


def test_warrantykit_works_without_durable_rules() -> None:
    policy = ROOT / "policies" / "hospital-his-software-12-months.yaml"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(policy)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok covered "), result.stdout
