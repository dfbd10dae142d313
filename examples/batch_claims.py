"""Decide a batch of warranty claims from a JSONL or CSV file, streaming.

    python examples/batch_claims.py policies/hvac-project-36-months.yaml \\
        examples/facts/claims.csv --as-of 2026-06-01 --out decisions.jsonl

* **Input.** ``.jsonl``: one claim (a JSON object) per line, blank lines
  skipped.  ``.csv``: a header of fact paths, one claim per row::

      id,asset.category,asset.dates.acceptance,failure_date,component,cause_codes,prices.parts
      HV-001,central_ac,2024-01-15,2025-12-10,heating_system,,1200.00 CNY

  A header is a dot path into the claim (``asset.dates.acceptance``,
  ``evidence.warranty_card.present``, ``attributes.any_name``); ``name[i]``
  indexes a list (``repairs[0].handed_over``).  Empty cells are left out.
  List fields (``cause_codes``, ``asset.components``, ...) are ``;``-separated.
  ``true``/``false`` cells under ``attributes`` become booleans (typed fields
  are converted by validation).
* **Output.** One decision per line (``decision.to_json()``, the documented
  ``warrantykit.claim-decision/1`` shape) to ``--out`` (default stdout), written
  as each claim is decided: memory stays constant whatever the file size.
* **Errors.** A line that cannot be read or decided (bad JSON, a
  :class:`~warrantykit.errors.FactsError` naming the field, an
  :class:`~warrantykit.errors.EvaluationError`) is reported with its line
  number on stderr and in the summary; the batch goes on.
* **Summary** (stderr): claims read, decided and rejected, counts by status,
  and the customer's charges per currency.  Exit status 1 when a line was
  rejected.

The policy is loaded once; :meth:`Policy.evaluate` is called per claim so that
one bad line does not end the stream (``evaluate_many`` stops at the first
error it raises).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import typing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

import warrantykit
from warrantykit.errors import EvaluationError, FactsError
from warrantykit.facts import Claim

__all__ = ["LineError", "Summary", "main", "read_claims", "run"]


@dataclass(frozen=True)
class LineError:
    """One input line that was not decided."""

    line: int
    kind: str
    """``FactsError``, ``EvaluationError`` or ``invalid JSON``."""
    message: str
    paths: tuple[str, ...] = ()
    """Field paths of the problems (``claim.failure_date``)."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.message}"


@dataclass
class Summary:
    """What a batch did."""

    read: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    customer_charges: dict[str, Decimal] = field(default_factory=dict)
    """Total the customers pay, per currency (known amounts only)."""
    errors: list[LineError] = field(default_factory=list)

    @property
    def decided(self) -> int:
        return sum(self.by_status.values())

    def lines(self) -> list[str]:
        out = [f"{self.read} claims read, {self.decided} decided, {len(self.errors)} rejected"]
        if self.by_status:
            out.append("  " + ", ".join(f"{status} {n}" for status, n in sorted(self.by_status.items())))
        for currency, amount in sorted(self.customer_charges.items()):
            out.append(f"  customer charges: {amount} {currency}")
        out += [f"  {error}" for error in self.errors]
        return out


# ---------------------------------------------------------------- reading


def read_claims(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, claim data)`` of every record of a ``.jsonl`` or ``.csv`` file, lazily.

    A line that is not valid JSON gives a :class:`LineError` instead of data.
    """
    if path.suffix.lower() == ".csv":
        yield from _read_csv(path)
    else:
        yield from _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, LineError(number, "invalid JSON", exc.msg)


def _read_csv(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            data: dict[str, Any] = {}
            for header, cell in row.items():
                if header is None or cell is None or not cell.strip():
                    continue
                _put(data, _split(header.strip()), _value(header.strip(), cell.strip()))
            yield reader.line_num, data


def _split(path: str) -> list[str | int]:
    """``repairs[0].handed_over`` -> ``["repairs", 0, "handed_over"]``."""
    out: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        out.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            out.append(int(index))
            rest = rest.removeprefix("[")
    return out


def _put(data: dict[str, Any], path: list[str | int], value: Any) -> None:
    node: Any = data
    for key, following in zip(path, path[1:], strict=False):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append(None)
            if node[key] is None:
                node[key] = empty
            node = node[key]
        else:
            node = node.setdefault(key, empty)
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _value(header: str, cell: str) -> Any:
    if _is_list(header):
        return [item.strip() for item in cell.split(";") if item.strip()]
    if header.startswith(("attributes.", "asset.attributes.")) and cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    return cell


def _is_list(header: str) -> bool:
    """Whether the claim field at ``header`` is a list (``tuple[str, ...]``)."""
    model: Any = Claim
    annotation: Any = None
    for part in _split(header):
        if isinstance(part, int):
            args = typing.get_args(annotation)
            model = args[0] if args else None
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return False
        info = model.model_fields.get(part)
        if info is None:
            return False
        annotation = info.annotation
        model = next(
            (a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)),
            None,
        )
    return typing.get_origin(annotation) is tuple and typing.get_args(annotation)[:1] == (str,)


# ---------------------------------------------------------------- the batch


def run(policy: warrantykit.Policy, facts: Path, out: TextIO, *, as_of: date) -> Summary:
    """Decide every claim of ``facts``, writing one decision per line to ``out``."""
    summary = Summary()
    charges = summary.customer_charges
    for number, data in read_claims(facts):
        summary.read += 1
        if isinstance(data, LineError):
            summary.errors.append(data)
            continue
        try:
            decision = policy.evaluate(data, as_of=as_of)
        except (FactsError, EvaluationError) as exc:
            summary.errors.append(
                LineError(
                    number,
                    type(exc).__name__,
                    "; ".join(str(p) for p in exc.problems),
                    tuple(p.path for p in exc.problems if p.path),
                )
            )
            continue
        out.write(json.dumps(decision.to_json(), ensure_ascii=False))
        out.write("\n")
        summary.by_status[decision.status] += 1
        for entry in decision.costs:
            if entry.payer == "customer" and entry.amount is not None:
                money = entry.amount
                charges[money.currency] = charges.get(money.currency, Decimal(0)) + money.amount
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Decide a JSONL or CSV batch of claims.")
    parser.add_argument("policy", type=Path)
    parser.add_argument("facts", type=Path, help=".jsonl or .csv")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True, help="evaluation date, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, help="decisions as JSONL (default stdout)")
    args = parser.parse_args(argv)
    policy = warrantykit.load_policy(args.policy)
    if args.out is None:
        summary = run(policy, args.facts, sys.stdout, as_of=args.as_of)
    else:
        with args.out.open("w", encoding="utf-8") as out:
            summary = run(policy, args.facts, out, as_of=args.as_of)
    print("\n".join(summary.lines()), file=sys.stderr)
    return 1 if summary.errors else 0


if __name__ == "__main__":
    sys.exit(main())
