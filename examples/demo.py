"""The README's main job: load a shipped policy and show what it says.

Run with ``python3 tasks.py demo``. (Once claim evaluation lands, this also
evaluates a real claim against the policy and prints the explained decision.)
"""

from __future__ import annotations

from pathlib import Path

import warrantykit

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    policy = warrantykit.load_policy(ROOT / "policies" / "hvac-project-36-months.yaml")
    doc = policy.document
    print(f"{doc.title}\n  id {doc.id} {doc.version}  {policy.content_hash[:23]}…")
    print(f"  source: {doc.source.name}")
    for term in doc.terms:
        print(f"  term {term.id:<26} [{term.clause}] {term.kind}: {term.length.describe()} from {term.anchor.events()[0].value}")
    for exc in doc.exclusions:
        print(f"  exclusion {exc.id:<21} [{exc.clause}] -> {exc.outcome}")
    if doc.sla:
        for metric in doc.sla.metrics:
            targets = ", ".join(str(t.within) for t in metric.targets)
            print(f"  sla {metric.id:<27} [{metric.clause}] {metric.kind} within {targets}")
    for rule in doc.schedule:
        print(f"  schedule {rule.id:<22} [{rule.clause}] {rule.kind}")


if __name__ == "__main__":
    main()
