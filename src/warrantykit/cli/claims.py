"""``warrantykit evaluate|explain|replay``: decide warranty claims from the command line.

* ``evaluate POLICY FACTS --as-of DATE [--format text|json]`` -- decide the
  claim in FACTS (a ``.json``/``.yaml`` file or ``-`` for stdin; a list of
  claims gives a list of decisions). ``text`` prints the explanation,
  ``json`` the decision document of ``docs/decisions.md``.
* ``explain POLICY FACTS --as-of DATE`` -- the explanation (same as
  ``evaluate --format text``).
* ``replay DECISION.json`` -- re-evaluate a recorded decision (or a list of
  them) from its recorded facts and ``as_of`` against the policy at its
  recorded path. Exit 1, printing the differences, when the policy's content
  hash or any part of the result differs.

Exit codes: 0 success, 1 invalid input (policy, facts, decision) or a replay
difference, 2 usage errors. Errors are printed on stderr without tracebacks.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from warrantykit.cli.common import read_data
from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.errors import PolicyError, WarrantykitError

__all__ = ["diff_json", "register"]


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: Any) -> None:
    for name, helptext in (
        ("evaluate", "decide warranty claims (status, remedy, costs, reasons)"),
        ("explain", "explain the decision on warranty claims in plain text"),
    ):
        p: argparse.ArgumentParser = sub.add_parser(name, help=helptext)
        p.add_argument("policy", metavar="POLICY", help="policy file (.yaml)")
        p.add_argument("facts", metavar="FACTS", help="claim facts (.json, .yaml, or - for stdin)")
        p.add_argument("--as-of", required=True, type=_as_of, metavar="DATE", help="YYYY-MM-DD")
        if name == "evaluate":
            p.add_argument("--format", choices=("text", "json"), default="text")
        p.set_defaults(handler=run_evaluate, command_name=name)
    r: argparse.ArgumentParser = sub.add_parser(
        "replay", help="re-evaluate a recorded decision; exit 1 if anything differs"
    )
    r.add_argument("decision", metavar="DECISION", help="decision JSON written by 'evaluate --format json'")
    r.set_defaults(handler=run_replay)


def _fail(command: str, exc: BaseException) -> int:
    if isinstance(exc, PolicyError | WarrantykitError):
        print(f"warrantykit {command}: {exc}", file=sys.stderr)
    else:  # pragma: no cover - defensive
        print(f"warrantykit {command}: {exc}", file=sys.stderr)
    return 1


def run_evaluate(args: argparse.Namespace) -> int:
    command = args.command_name
    fmt = getattr(args, "format", "text")
    try:
        policy = load_policy(args.policy)
        data = read_data(args.facts)
        if isinstance(data, list):
            decisions = list(policy.evaluate_many(data, as_of=args.as_of))
        else:
            decisions = [policy.evaluate(data, as_of=args.as_of)]
    except WarrantykitError as exc:
        return _fail(command, exc)
    if fmt == "json":
        body: Any = [d.to_json() for d in decisions]
        if not isinstance(data, list):
            body = body[0]
        json.dump(body, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print("\n\n".join(d.explain() for d in decisions))
    return 0


def diff_json(old: Any, new: Any, path: str = "") -> list[str]:
    """Paths where two JSON values differ, as ``path: old -> new`` lines."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(f"{sub}: {json.dumps(old[key], ensure_ascii=False)} -> (absent)")
            elif key not in old:
                out.append(f"{sub}: (absent) -> {json.dumps(new[key], ensure_ascii=False)}")
            else:
                out.extend(diff_json(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(diff_json(a, b, f"{path}[{i}]"))
        return out
    if old != new:
        return [
            f"{path or '(root)'}: {json.dumps(old, ensure_ascii=False)} -> "
            f"{json.dumps(new, ensure_ascii=False)}"
        ]
    return []


def _policy_for(recorded: dict[str, Any], decision_file: str, cache: dict[str, Policy]) -> Policy:
    ref = recorded.get("policy") or {}
    file = ref.get("file")
    if not file:
        raise PolicyError("the decision does not record its policy file")
    candidates = [Path(file)]
    if decision_file != "-":
        candidates.append(Path(decision_file).resolve().parent / file)
    path = next((c for c in candidates if c.exists()), candidates[0])
    key = str(path)
    if key not in cache:
        # keep the recorded name, so reason sources (file:line) compare equal
        cache[key] = load_policy(path, file=str(file))
    return cache[key]


def run_replay(args: argparse.Namespace) -> int:
    from warrantykit.engine.decision import ClaimDecision

    try:
        data = read_data(args.decision)
        items = data if isinstance(data, list) else [data]
        policies: dict[str, Policy] = {}
        differences: list[str] = []
        for index, recorded in enumerate(items):
            prefix = f"[{index}] " if isinstance(data, list) else ""
            decision = ClaimDecision.from_json(recorded)
            policy = _policy_for(recorded, args.decision, policies)
            if policy.content_hash != decision.policy.content_hash:
                differences.append(
                    f"{prefix}policy.content_hash: {decision.policy.content_hash} -> "
                    f"{policy.content_hash} (the policy changed since the decision)"
                )
            fresh = policy.evaluate(decision.claim, as_of=decision.as_of)
            differences.extend(
                prefix + line
                for line in diff_json(recorded, fresh.to_json())
                if not line.startswith("policy.content_hash")
            )
    except WarrantykitError as exc:
        return _fail("replay", exc)
    if differences:
        print(f"replay differs ({len(differences)} difference(s)):")
        for line in differences:
            print(f"  {line}")
        return 1
    print(f"replay ok: {len(items)} decision(s) reproduced")
    return 0
