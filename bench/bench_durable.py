#!/usr/bin/env python3
"""The durable-rules claim backend against the pure engine, on the same claims in the same run.

Run from the repository root (needs the extra: ``pip install -e '.[durable]'``)::

    .venv/bin/python bench/bench_durable.py                 # 5,000 claims, 10 blocks
    .venv/bin/python bench/bench_durable.py --claims 1000   # a quicker look

Policy and claims: ``bench/claims_generator.py`` (the PC and network tender policy,
seeded claims that hit its boundaries often), parsed once into ``Claim`` objects.

Contenders, each over the same block of claims, in an order rotated from block to
block, right after a ``gc.collect()``:

* ``pure``                 -- ``policy.evaluate(claim, as_of=...)`` then ``to_json()``;
* ``durable``              -- ``DurableBackend(policy).evaluate(...)`` then ``to_json()``,
  in this process;
* ``durable, worker``      -- the same in a worker process (this script with
  ``--worker``), one JSON line per claim each way: the isolation the tests use, so
  that a crash of the C extension cannot take the caller down.

``to_json()`` is included so that both sides build every part of the decision (the
pure engine writes its reasons lazily; the backend eagerly). Each block gives one
time per contender and one ratio per pair (same claims, measured seconds apart);
the table shows the median over the blocks. Every claim's decisions are compared
(``to_json()`` equal); the exit status is 1 when one differs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from claims_generator import AS_OF, POLICY_FILE, generate_claims

import warrantykit
from warrantykit.facts import Claim, parse_facts

ROOT = Path(__file__).resolve().parents[1]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, {platform.system()}"


# ---------------------------------------------------------------- worker mode


def worker() -> int:
    """Claims (JSON lines) in, decisions (JSON lines) out."""
    from warrantykit.engine.durable import DurableBackend

    backend = DurableBackend(warrantykit.load_policy(ROOT / POLICY_FILE))
    for line in sys.stdin:
        request = json.loads(line)
        decision = backend.evaluate(request["claim"], as_of=date.fromisoformat(request["as_of"]))
        sys.stdout.write(json.dumps(decision.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


class Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=ROOT,
        )

    def ask(self, claim_json: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write('{"claim": ' + claim_json + f', "as_of": "{AS_OF.isoformat()}"}}\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the durable worker died (exit {self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


# ---------------------------------------------------------------- benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=5_000, help="claims in total (default 5000)")
    parser.add_argument("--blocks", type=int, default=10, help="blocks (medians are over these)")
    parser.add_argument("--seed", type=int, default=20260331)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker()
    if args.blocks < 1 or args.claims < args.blocks:
        parser.error("expected --claims >= --blocks >= 1")

    from warrantykit.engine.durable import DurableBackend

    policy = warrantykit.load_policy(ROOT / POLICY_FILE)
    backend = DurableBackend(policy)
    print(f"Durable-rules backend vs pure engine: {POLICY_FILE}, as of {AS_OF}, {args.claims} claims")
    print(f"Machine: {_machine()}")
    data = list(generate_claims(args.claims, args.seed))
    claims = [parse_facts(Claim, d, name="claim") for d in data]
    texts = [c.model_dump_json() for c in claims]
    size = args.claims // args.blocks
    blocks = [range(i * size, (i + 1) * size) for i in range(args.blocks)]
    proc = Worker()

    results: dict[str, list[Any]] = {"pure": [None] * len(claims), "durable": [None] * len(claims),
                                     "durable, worker": [None] * len(claims)}

    def pure(ix: range) -> None:
        out = results["pure"]
        for i in ix:
            out[i] = policy.evaluate(claims[i], as_of=AS_OF).to_json()

    def durable(ix: range) -> None:
        out = results["durable"]
        for i in ix:
            out[i] = backend.evaluate(claims[i], as_of=AS_OF).to_json()

    def durable_worker(ix: range) -> None:
        out = results["durable, worker"]
        for i in ix:
            out[i] = proc.ask(texts[i])

    contenders: list[tuple[str, Callable[[range], None]]] = [
        ("pure", pure),
        ("durable", durable),
        ("durable, worker", durable_worker),
    ]
    # warm up: compile the rules, fill the engines' memos, start the worker
    for _, run in contenders:
        run(range(min(50, len(claims))))
    seconds: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for b, ix in enumerate(blocks):
        order = contenders[b % len(contenders):] + contenders[: b % len(contenders)]
        for name, run in order:
            gc.collect()
            start = time.perf_counter()
            run(ix)
            seconds[name].append(time.perf_counter() - start)
    proc.close()

    def rate(name: str) -> float:
        return float(statistics.median([size / s for s in seconds[name]]))

    def ratio(name: str) -> float:
        pairs = zip(seconds[name], seconds["pure"], strict=True)
        return float(statistics.median([d / p for d, p in pairs]))

    print(f"\n{'contender':<18} {'claims/s':>10} {'ms/claim':>9} {'time vs pure':>13}")
    for name, _ in contenders:
        r = rate(name)
        print(f"{name:<18} {r:>10,.0f} {1000 / r:>9.3f} {ratio(name):>12.1f}x")
    statuses = Counter(d["status"] for d in results["pure"] if d is not None)
    print("\nStatuses: " + ", ".join(f"{k} {v}" for k, v in statuses.most_common()))
    used = size * args.blocks
    bad = 0
    for name in ("durable", "durable, worker"):
        differ = [i for i in range(used) if results[name][i] != results["pure"][i]]
        bad += len(differ)
        print(f"{name}: {used - len(differ)} of {used} decisions identical to the pure engine's")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
