"""Seeded generator of realistic warranty claims for the PC and network tender policy.

The PC and network tender policy (``policies/pc-network-tender-5-3-15-years.yaml``, as
snapshotted in ``bench/data/``) covers PCs (5 years), laptops and
switches (3 years) and network cable (15 years) from the user's acceptance, with
free on-site periods, a lifetime paid service, a no-service exclusion for data
faults and the national 三包 remedies (7-day refund window, days 8-15 exchange,
two repairs within a year, packaging damage out of the box).

The claims are plain JSON-like dicts (what a service desk would post), chosen to
hit the rules' edges often:

* failure dates on and around every boundary: invoice + 0..17 days (the 7/8 and
  15/16 day edges), acceptance + 3/5/15 years +- a few days (term ends, which the
  repair days extend and holidays roll), the day before acceptance;
* repair histories: open and returned repairs, waiting-for-parts days, same and
  other fault codes, fixed / unfixed / unknown (extension by repair days, the
  two-repairs rule);
* missing facts (category, acceptance, invoice, failure date, fault kind, listed
  fault, repair records) that leave a decision undetermined;
* data faults (the no-service exclusion, also after the warranty), packaging
  damage, customer choices, and prices with 0, 1, 2 and 3 decimals on every cost
  line (quantized half-even to the cent).

``generate_claims(n, seed)`` is deterministic: the same ``n`` and ``seed`` give
the same claims on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

__all__ = ["AS_OF", "POLICY_FILE", "generate_claims"]

AS_OF = date(2026, 3, 31)
"""The evaluation date of every generated claim (``evaluate_many(..., as_of=AS_OF)``)."""

POLICY_FILE = "bench/data/pc-network-tender-5-3-15-years.yaml"
"""A snapshot of policies/pc-network-tender-5-3-15-years.yaml, the version encoded by hand."""

_CATEGORIES = (
    ("pc", 38),
    ("laptop", 18),
    ("switch", 12),
    ("network_cable", 14),
    ("printer", 6),  # no warranty term: not_applicable (paid service only)
    (None, 2),  # category unknown: terms undetermined
)
_YEARS = {"pc": (5,), "laptop": (3,), "switch": (3,), "network_cable": (5, 15), "printer": (1,)}
_FAULT_KINDS = (
    ("performance", 50),
    ("other", 14),
    ("cosmetic", 8),
    ("software", 6),
    ("data", 6),
    (None, 16),
)
_COMPONENTS = ("motherboard", "hdd", "psu", "display", "port", "fan")
_FAULT_CODES = ("F01", "F02", "F03", "F04", "F05")
_CHOICES = ("refund", "exchange", "repair", "replace")
_LINES = ("parts", "labour", "call_out", "travel", "transport", "software_upgrade")
_LINE_ODDS = (0.6, 0.5, 0.35, 0.25, 0.1, 0.05)
_ACCEPTANCE_LAG = (0, 0, 0, 1, 1, 2, 3, 5, 8, 12, 20)  # days from invoice to acceptance
_CST = timezone(timedelta(hours=8))
_FIRST = date(2008, 1, 1).toordinal()
_LAST = date(2026, 2, 28).toordinal()


def _weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    total = sum(w for _, w in table)
    pick = rng.randrange(total)
    for value, weight in table:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("unreachable")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _price(rng: random.Random) -> str:
    cents = rng.randrange(0, 500_000)
    style = rng.random()
    if style < 0.4:
        return f"{cents // 100} CNY"  # whole yuan: quantized to .00
    if style < 0.55:
        return f"{cents // 10 / 10:.1f} CNY"
    if style < 0.9:
        return f"{cents // 100}.{cents % 100:02d} CNY"
    return f"{cents // 100}.{cents % 100:02d}{rng.randrange(10)} CNY"  # 3 decimals: half-even


def _failure(rng: random.Random, category: str | None, acceptance: date, invoice: date) -> date:
    roll = rng.random()
    if roll < 0.18:
        day = invoice + timedelta(days=rng.randint(-1, 17))  # the 7/8 and 15/16 day edges
    elif roll < 0.45:
        years = rng.choice(_YEARS.get(category or "pc", (5,)))
        day = _add_years(acceptance, years) + timedelta(days=rng.randint(-4, 25))
    elif roll < 0.47:
        day = acceptance - timedelta(days=rng.randint(1, 40))
    else:
        span = max(1, (AS_OF - acceptance).days)
        day = acceptance + timedelta(days=rng.randrange(span))
    if day > AS_OF:
        day = AS_OF - timedelta(days=rng.randrange(60))
    return day


def _repairs(
    rng: random.Random, acceptance: date, failure: date, fault: str | None
) -> list[dict[str, Any]]:
    count = _weighted(rng, ((0, 52), (1, 24), (2, 14), (3, 8), (4, 2)))
    if not count:
        return []
    first = acceptance.toordinal() - 10
    last = max(first + 1, min(failure, AS_OF).toordinal())
    out = []
    for _ in range(count):
        handed = date.fromordinal(rng.randrange(first, last + 1))
        record: dict[str, Any] = {"handed_over": handed.isoformat()}
        if rng.random() < 0.9:
            record["returned"] = (handed + timedelta(days=rng.randint(0, 25))).isoformat()
        if rng.random() < 0.3:
            record["waiting_for_parts_days"] = rng.randint(1, 6)
        code = rng.random()
        if code < 0.6 and fault is not None:
            record["fault_code"] = fault
        elif code < 0.9:
            record["fault_code"] = rng.choice(_FAULT_CODES)
        fixed = rng.random()
        if fixed < 0.45:
            record["fixed"] = False
        elif fixed < 0.85:
            record["fixed"] = True
        if rng.random() < 0.3:
            record["component"] = rng.choice(_COMPONENTS)
        out.append(record)
    return out


def claim_at(rng: random.Random, number: int) -> dict[str, Any]:
    """One claim drawn from ``rng``."""
    category = _weighted(rng, _CATEGORIES)
    acceptance = date.fromordinal(rng.randrange(_FIRST, _LAST))
    invoice = acceptance - timedelta(days=rng.choice(_ACCEPTANCE_LAG))
    delivery = invoice - timedelta(days=rng.randint(0, 6))
    dates: dict[str, str] = {"delivery": delivery.isoformat()}
    if rng.random() > 0.02:
        dates["acceptance"] = acceptance.isoformat()
    if rng.random() > 0.04:
        dates["invoice"] = invoice.isoformat()
    asset: dict[str, Any] = {"id": f"A-{number:07d}", "dates": dates}
    if category is not None:
        asset["category"] = category
    if rng.random() < 0.5:
        asset["price"] = f"{rng.randrange(800, 20_000)} CNY"
    claim: dict[str, Any] = {"id": f"C-{number:07d}", "asset": asset}
    failure = _failure(rng, category, acceptance, invoice)
    if rng.random() > 0.03:
        claim["failure_date"] = failure.isoformat()
    if rng.random() < 0.8:
        reported = datetime.combine(failure, time(rng.randrange(24), rng.randrange(60)), _CST)
        claim["reported_at"] = reported.isoformat()
        if rng.random() < 0.4:
            claim["resolved_at"] = (
                reported + timedelta(minutes=rng.randrange(15, 6000))
            ).isoformat()
    kind = _weighted(rng, _FAULT_KINDS)
    if kind is not None:
        claim["fault_kind"] = kind
    fault = rng.choice(_FAULT_CODES) if rng.random() < 0.8 else None
    if fault is not None:
        claim["fault_code"] = fault
    if rng.random() < 0.3:
        claim["component"] = rng.choice(_COMPONENTS)
    attributes: dict[str, Any] = {}
    listed = rng.random()
    if listed < 0.7:
        attributes["sanbao_listed_fault"] = True
    elif listed < 0.9:
        attributes["sanbao_listed_fault"] = False
    if rng.random() < 0.7:
        attributes["hardware_fault"] = rng.random() < 0.8
    if attributes:
        claim["attributes"] = attributes
    evidence: dict[str, Any] = {}
    records = rng.random()
    if records < 0.7:
        evidence["repair_records_present"] = True
    elif records < 0.8:
        evidence["repair_records_present"] = False
    if rng.random() < 0.5:
        evidence["warranty_card"] = {"present": True, "matches_unit": True}
    if evidence:
        claim["evidence"] = evidence
    if rng.random() < 0.06:
        claim["cause_codes"] = ["poor_packaging"]
        box = rng.random()
        if box < 0.6:
            claim["out_of_box"] = True
        elif box < 0.8:
            claim["out_of_box"] = False
    elif rng.random() < 0.05:
        claim["out_of_box"] = rng.random() < 0.5
    if rng.random() < 0.3:
        claim["customer_choice"] = rng.choice(_CHOICES)
    repairs = _repairs(rng, acceptance, failure, fault)
    if repairs:
        claim["repairs"] = repairs
    prices = {
        line: _price(rng)
        for line, odds in zip(_LINES, _LINE_ODDS, strict=True)
        if rng.random() < odds
    }
    if prices:
        claim["prices"] = prices
    return claim


def generate_claims(n: int, seed: int = 20260331) -> Iterator[dict[str, Any]]:
    """``n`` claims, lazily and reproducibly (the same ``n`` and ``seed``, the same claims)."""
    rng = random.Random(seed)
    for number in range(n):
        yield claim_at(rng, number)
