"""Case-file snippets: an example and its observed decision as a ``*.cases.yaml`` case.

:func:`case_snippet` renders one example (claim, ticket or schedule facts with
``as_of``) as a case ready to paste under ``cases:`` of the policy's case file
(the format of :mod:`warrantykit.testing.cases`), with an ``expect`` block
holding the decision *as observed*: a counterexample found by
``warrantykit properties`` becomes a regression case once ``expect`` is
corrected to what the clause promises. A comment above the case says which
property failed and why.

:func:`expect_of` builds that ``expect`` mapping from a decision's JSON and
:func:`to_yaml` writes plain data as YAML that the strict case-file reader
(:func:`warrantykit.policies.yamlsafe.read_yaml`) reads back unchanged.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from warrantykit.testing.strategies import ClaimExample, Example, ScheduleExample, TicketExample

__all__ = ["case_snippet", "case_data", "expect_of", "to_yaml"]

_WIDTH: Final = 96
_PLAIN: Final = re.compile(r"^[A-Za-z_\u0080-\uffff][A-Za-z0-9_.\-/ ()\u0080-\uffff]*$")
_ISO: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z))?$"
)
_MONEY: Final = re.compile(r"^-?\d+(\.\d+)? [A-Z]{3}$")
_RESERVED: Final = frozenset(
    {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}
)


# ---------------------------------------------------------------- YAML


def _is_instant(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return json.dumps(str(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if _MONEY.match(text) or (_ISO.match(text) and _is_instant(text)):
        return text
    if (
        _PLAIN.match(text)
        and text.lower() not in _RESERVED
        and text == text.strip()
        and ": " not in text
        and " #" not in text
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _key(key: Any) -> str:
    text = str(key)
    if re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.@\-]*$", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            head = f"{pad}{_key(k)}:"
            flow = _flow(v)
            if not isinstance(v, Mapping | list | tuple) or not v or len(head) + 1 + len(flow) <= _WIDTH:
                lines.append(f"{head} {flow}")
            else:
                lines.append(head)
                lines.extend(_block(v, indent + 2))
        return lines
    if isinstance(value, list | tuple):
        for item in value:
            flow = _flow(item)
            if not isinstance(item, Mapping | list | tuple) or len(pad) + 2 + len(flow) <= _WIDTH:
                lines.append(f"{pad}- {flow}")
            else:
                inner = _block(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
        return lines
    return [f"{pad}{_scalar(value)}"]


def to_yaml(value: Any, *, indent: int = 0) -> str:
    """``value`` (plain data: mappings, lists, text, numbers, dates, instants) as YAML.

    Mappings and lists are written in block style, short ones in flow style.
    ISO dates, instants with an offset and money (``1200.00 CNY``) are written
    plainly, as case files write them (a date then reads back as a date, which
    the fact models and the case comparison accept for the text); any other text
    that YAML would read as something else (``yes``, ``1.0``, ``a: b``) is quoted.
    """
    return "\n".join(_block(value, indent)) + "\n"


# ---------------------------------------------------------------- expectations


def _claim_expect(out: Mapping[str, Any]) -> dict[str, Any]:
    expect: dict[str, Any] = {"status": out["status"]}
    if out.get("warranty") is not None:
        expect["warranty"] = out["warranty"]
    if out.get("term") is not None:
        expect["term"] = out["term"]
    if out.get("missing"):
        expect["missing"] = list(out["missing"])
    remedy = out.get("remedy")
    if remedy is None:
        expect["remedy"] = None
    else:
        expect["remedy"] = {"option": remedy["option"], "rule": remedy["rule"]}
        expect["options"] = list(remedy["options"])
    terms: dict[str, Any] = {}
    for t in out.get("terms", ()):
        terms[t["id"]] = {"start": t["start"], "end": t["end"], "inside": t["inside"]}
    if terms:
        expect["terms"] = terms
    expect["exclusions"] = [e["id"] for e in out.get("exclusions", ())]
    loaners = {x["rule"]: {"state": x["state"], "due": x["due"]} for x in out.get("loaners", ())}
    if loaners:
        expect["loaners"] = loaners
    costs: dict[str, Any] = {}
    for c in out.get("costs", ()):
        entry = {"payer": c["payer"], "basis": c["basis"]}
        if c.get("amount") is not None:
            entry["amount"] = c["amount"]
        costs.setdefault(c["line"], []).append(entry)
    if costs:
        expect["costs"] = {
            line: (
                entries[0]["payer"]
                if len(entries) == 1 and set(entries[0]) == {"payer", "basis"}
                else entries[0]
                if len(entries) == 1
                else entries
            )
            for line, entries in costs.items()
        }
    alternatives = [
        {"warranty": a.get("warranty"), "status": a["status"]} for a in out.get("alternatives", ())
    ]
    if alternatives:
        expect["alternatives"] = alternatives
    return expect


def _ticket_expect(out: Mapping[str, Any]) -> dict[str, Any]:
    expect: dict[str, Any] = {"status": out["status"], "severity": out["severity"]["level"]}
    metrics: dict[str, Any] = {}
    for m in out.get("metrics", ()):
        item: dict[str, Any] = {"state": m["state"]}
        if m.get("due") is not None:
            item["due"] = m["due"]
        metrics[m["id"]] = item
    if metrics:
        expect["metrics"] = metrics
    expect["not_applicable"] = [n["id"] for n in out.get("not_applicable", ())]
    return expect


def _schedule_expect(out: Mapping[str, Any]) -> dict[str, Any]:
    obligations = list(out.get("obligations", ()))
    expect: dict[str, Any] = {"count": len(obligations)}
    counts = {k: v for k, v in out.get("counts", {}).items() if v}
    if counts:
        expect["counts"] = counts
    if obligations and len(obligations) <= 40:
        expect["obligations"] = {o["id"]: o["status"] for o in obligations}
    return expect


def expect_of(kind: str, decision_json: Mapping[str, Any]) -> dict[str, Any]:
    """The ``expect`` block of a case of ``kind`` (claim, ticket, schedule) holding the
    main parts of an observed decision (its ``to_json()``)."""
    if kind == "claim":
        return _claim_expect(decision_json)
    if kind == "ticket":
        return _ticket_expect(decision_json)
    return _schedule_expect(decision_json)


# ---------------------------------------------------------------- cases


def _kind(example: Example) -> str:
    if isinstance(example, ClaimExample):
        return "claim"
    if isinstance(example, TicketExample):
        return "ticket"
    return "schedule"


def _label(example: Example) -> str:
    """What tells this example apart in a case name: the failure date, the opening
    instant or the horizon."""
    if isinstance(example, ClaimExample):
        failure = example.claim.failure_date
        return f"failure {failure.isoformat()}" if failure else "no failure date"
    if isinstance(example, TicketExample):
        return f"opened {example.ticket.opened_at.isoformat()}"
    return f"horizon {example.start.isoformat()}..{example.end.isoformat()}"


def case_data(
    example: Example,
    *,
    name: str,
    decision_json: Mapping[str, Any] | None,
    note: str | None = None,
    xfail: str | None = None,
) -> dict[str, Any]:
    """One case (as plain data) for ``example``; ``expect`` from ``decision_json``
    (``None``: no decision was made, ``expect`` only asks for an empty reason list)."""
    case: dict[str, Any] = {"name": name}
    if note:
        case["note"] = note
    if xfail:
        case["xfail"] = xfail
    kind = _kind(example)
    if isinstance(example, ClaimExample):
        case["as_of"] = example.as_of
        case["claim"] = example.claim.model_dump(mode="json", exclude_defaults=True)
    elif isinstance(example, TicketExample):
        case["as_of"] = example.as_of
        case["ticket"] = example.ticket.model_dump(mode="json", exclude_defaults=True)
    else:
        assert isinstance(example, ScheduleExample)
        case["asset"] = example.asset.model_dump(mode="json", exclude_defaults=True)
        case["horizon"] = {"from": example.start, "to": example.end}
        if example.performed:
            case["performed"] = [
                w.model_dump(mode="json", exclude_defaults=True) for w in example.performed
            ]
        if example.as_of is not None:
            case["as_of"] = example.as_of
    if decision_json is None:
        case["expect"] = {"reasons": []}
    else:
        case["expect"] = expect_of(kind, decision_json)
    return case


def case_snippet(
    examples: Sequence[tuple[Example, Mapping[str, Any] | None]],
    *,
    title: str,
    comment: str,
    indent: int = 2,
) -> str:
    """Cases for ``examples`` (each with its observed decision JSON, or ``None`` when
    the engine raised), ready to paste under ``cases:``, below a ``#`` comment.

    Each case is named ``<title>`` (numbered when there are several) and its
    ``expect`` holds the observed decision; correct it to what the clause promises.
    """
    lines = [
        f"{' ' * indent}# {part}".rstrip()
        for line in comment.strip().splitlines()
        for part in (textwrap.wrap(line, _WIDTH - indent - 2, break_on_hyphens=False) or [""])
    ]
    if any(decision is None for _, decision in examples):
        advice = (
            "the engine raised on these facts: the case is marked xfail and expects nothing "
            "yet; write under expect what the clause promises, and drop xfail once it passes."
        )
    else:
        advice = (
            "expect holds the decision as observed: correct it to what the clause promises, "
            "or mark the case xfail with the reason."
        )
    lines.extend(
        f"{' ' * indent}# {part}" for part in textwrap.wrap(advice, _WIDTH - indent - 2)
    )
    for i, (example, decision) in enumerate(examples):
        name = f"{title}, {_label(example)}"
        if len(examples) > 1:
            name += f" ({i + 1} of {len(examples)})"
        xfail = None
        if decision is None:
            xfail = "the engine raised an error on these facts (see the comment above)"
        data = case_data(example, name=name, decision_json=decision, xfail=xfail)
        lines.extend(_block([data], indent))
    return "\n".join(lines) + "\n"
