"""The README's main job: evaluate a real claim against a shipped policy.

Run with ``python3 tasks.py demo``. The HVAC project letter (seed 000 篇一)
promises 36 months from commissioning acceptance, and 3 heating seasons for
the heating system; this claim is a heating failure in May 2025 on a system
accepted in January 2024.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import warrantykit

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    policy = warrantykit.load_policy(ROOT / "policies" / "hvac-project-36-months.yaml")
    claim = json.loads((ROOT / "examples" / "facts" / "hvac-heating-claim.json").read_text())
    decision = policy.evaluate(claim, as_of=date(2025, 6, 1))
    print(decision.explain())


if __name__ == "__main__":
    main()
