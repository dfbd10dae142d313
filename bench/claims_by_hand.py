"""The PC and network tender policy written by hand, as a baseline for the engine.

``decide_by_hand(claim, as_of)`` is what a competent developer would write for
``policies/pc-network-tender-5-3-15-years.yaml`` without the engine: the same
answers and the same reasons (rule id, clause and text, word for word) as
``Policy.evaluate``, with every rule of the letter spelled out in Python:

* the warranty and free on-site periods per product (5 / 3 / 15 years from
  acceptance), extended by repair and parts-waiting days to a fixed point (P7)
  and rolled off statutory rest days (P8), with a warning when the holiday
  data is outside its trusted years; the lifetime paid service (五.13, 五.16);
* status: covered / excluded (data faults, 五.11) / expired / not applicable /
  undetermined, with the missing facts, in Kleene three-valued logic;
* the 三包 remedies (7-day refund, days 8-15 exchange, two repairs within a
  year, packaging damage out of the box) by precedence, with the unknown
  outranking rules that leave the remedy open;
* who pays each cost line and how much (prices quantized half-even to the
  cent), for covered, excluded and expired claims.

It starts from a validated :class:`warrantykit.facts.Claim` (like the engine's
hot path) and returns a small frozen record. It is deliberately *not* a toy:
it formats every reason text eagerly, as hand-written code would, and it does
all the date and cost arithmetic the engine does for this policy.

Shortcuts a developer would take because they know this one policy (and that
the engine takes by compiling the policy): selectors are a dict lookup by
category; the two terms of a product share one window computation.

The loaner rule ``backup-unit`` (五.7: a backup unit when a hardware fault is not
fixed within 24 hours "within the service period") is owed on a covered claim
while the product's free on-site ``cost_cover`` term runs on the failure date
(its ``terms:`` gate, docs/policy-language.md) and ``hardware_fault`` is true;
its ``due`` instant is ``reported_at`` + 24 business hours on the station's
7 x 8 calendar (09:00-17:00 every day, holidays included), written here as
that calendar's arithmetic for this one case.

Holiday data: the statutory rest days of mainland China (public holidays, and
weekends that are not make-up working days) are loaded once into a set of day
numbers from the same source the engine uses (the ``holidays`` package via
:class:`~warrantykit.engine.calendar.BusinessCalendar`), as any hand-written
code needs a holiday table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from warrantykit.engine.calendar import BusinessCalendar
from warrantykit.facts import Claim

__all__ = ["HandCost", "HandDecision", "HandLoaner", "HandRemedy", "HandWindow", "decide_by_hand"]

Reason = tuple[str, str, str]  # (rule id, clause, text)
Truth = bool | tuple[str, ...]  # True, False, or the missing fact paths (unknown)


@dataclass(frozen=True, slots=True)
class HandWindow:
    id: str
    start: date | None
    original_end: date | None
    extension_days: int
    end: date | None
    rolled_from: date | None
    lifetime: bool
    applies: bool | None
    inside: bool | None
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HandRemedy:
    option: str
    options: tuple[str, ...]
    rule: str
    clause: str
    replacement: str | None = None
    compensation: bool = False
    window_end: date | None = None
    service_may_be_refused: bool = False


@dataclass(frozen=True, slots=True)
class HandCost:
    line: str
    payer: str
    basis: str
    amount: Decimal | None
    currency: str | None
    rule: str
    clause: str
    note: str | None


@dataclass(frozen=True, slots=True)
class HandLoaner:
    rule: str
    provides: str
    calendar: str
    due: datetime | None
    state: str
    overdue: bool | None
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HandDecision:
    status: str
    term: str | None
    missing: tuple[str, ...]
    terms: tuple[HandWindow, ...]
    exclusions: tuple[str, ...]
    remedy: HandRemedy | None
    loaners: tuple[HandLoaner, ...]
    costs: tuple[HandCost, ...]
    warnings: tuple[str, ...]
    reasons: tuple[Reason, ...]


# ---------------------------------------------------------------- constants

_ACCEPTANCE = "claim.asset.dates.acceptance"
_INVOICE = ("claim.asset.dates.invoice",)
_FAILURE = ("claim.failure_date",)
_CATEGORY = ("claim.asset.category",)
_FAULT_KIND = ("claim.fault_kind",)
_LISTED = ("claim.attributes.sanbao_listed_fault",)
_RECORDS = ("claim.evidence.repair_records_present",)
_OUT_OF_BOX = ("claim.out_of_box",)

# (id, kind, years) of the terms with a duration, in document order (五.4)
_TERMS = (
    ("pc-warranty", "warranty", 5),
    ("pc-on-site", "cost_cover", 5),
    ("laptop-switch-warranty", "warranty", 3),
    ("laptop-switch-on-site", "cost_cover", 3),
    ("cable-warranty", "warranty", 15),
    ("cable-on-site", "cost_cover", 5),
)
_BY_CATEGORY = {"pc": (0, 1), "laptop": (2, 3), "switch": (2, 3), "network_cable": (4, 5)}
_ALL_TERMS = (0, 1, 2, 3, 4, 5)
_SERVICES = (("post-warranty-service", "五.13"), ("lifetime-technical-support", "五.16"))

_DATA_TEXT = "我方不负责提供数据备份及恢复服务,也不承担相应的法律责任"
_RANK = {
    "refund": 8,
    "new_product": 7,
    "exchange": 6,
    "replace": 5,
    "price_reduction": 4,
    "repair": 3,
}
_LINES = ("parts", "labour", "call_out", "travel", "transport", "software_upgrade")
_CENT = Decimal("0.01")
_TRUSTED = (2020, 2026)

# cost tables: line -> (payer, basis, rule id, clause, note without a price)
Row = tuple[str, str, str, str, str | None]


def _covered_table(on_site: str | None) -> dict[str, Row]:
    table: dict[str, Row] = {
        "parts": ("vendor", "free", "costs.covered.parts", "五.4", None),
        "labour": ("vendor", "free", "costs.covered.labour", "五.4", None),
    }
    if on_site is not None:
        table["call_out"] = ("vendor", "free", on_site, "五.4", None)
        table["travel"] = ("vendor", "free", on_site, "五.4", None)
    else:  # no free on-site service running: the 上门服务费 of 五.13
        table["call_out"] = ("customer", "list_price", "costs.covered.call_out", "五.13", None)
        table["travel"] = ("vendor", "free", "costs.covered.travel", "五.13", None)
    return table


_COVERED = {
    term: _covered_table(term)
    for term in (None, "pc-on-site", "laptop-switch-on-site", "cable-on-site")
}
_EXPIRED: dict[str, Row] = {
    "parts": (
        "customer",
        "market_price",
        "post-warranty-service",
        "五.13",
        "承诺材料费按当时市场实际成本收取",
    ),
    "labour": ("vendor", "free", "post-warranty-service", "五.13", None),
    "call_out": (
        "customer",
        "list_price",
        "post-warranty-service",
        "五.13",
        "需要收取材料费用和上门服务费",
    ),
    "travel": ("vendor", "free", "post-warranty-service", "五.13", None),
}
_DEFAULT: dict[str, Row] = {
    "covered": ("vendor", "free", "default.covered", "DOMAIN C1", None),
    "excluded": ("customer", "at_cost", "default.excluded", "DOMAIN C2", None),
    "expired": ("customer", "at_cost", "default.expired", "DOMAIN C3", None),
}
_EMPTY: dict[str, Row] = {}


def _rest_days(first: int = 1995, last: int = 2075) -> frozenset[int]:
    """Day numbers of the statutory rest days of mainland China, ``first``..``last``."""
    calendar = BusinessCalendar.preset(
        "5x8", name="cn-statutory", timezone="Asia/Shanghai", country="CN"
    )
    rest = set()
    for o in range(date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal() + 1):
        day = date.fromordinal(o)
        if calendar.roll_forward(day, "day_after_holiday") != day:
            rest.add(o)
    return frozenset(rest)


_REST = _rest_days()


# ---------------------------------------------------------------- small helpers


def _add_years(day: date, years: int) -> date:
    """``day`` + ``years`` (29 February clips to the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a if a == b else tuple(dict.fromkeys(a + b))


def _and(a: Truth, b: Truth) -> Truth:
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    return _merge(a, b)  # type: ignore[arg-type]


def _is(value: Any, wanted: Any, path: tuple[str, ...]) -> Truth:
    return path if value is None else value == wanted


def _roll(day: date, warnings: list[str]) -> date:
    """P8: a last day on a statutory rest day moves to the day after the rest days."""
    o = day.toordinal()
    end = o
    while end in _REST:
        end += 1
    rolled = day if end == o else date.fromordinal(end)
    for probe in (day, rolled):
        if not _TRUSTED[0] <= probe.year <= _TRUSTED[1]:
            message = (
                f"holiday data of calendar 'cn-statutory' is not trusted for {probe.year} "
                f"(roll-forward of {day.isoformat()})"
            )
            if message not in warnings:
                warnings.append(message)
            break
    return rolled


def _extension(claim: Claim, start: date, original_end: date, as_of: date) -> int:
    """P7: repair and parts-waiting days of repairs handed over in the window, to a fixed point."""
    spans = []
    for r in claim.repairs:
        handed = r.handed_over
        if handed < start or handed > as_of:
            continue
        returned = r.returned
        if returned is None or returned > as_of:
            returned = as_of
        spans.append((handed, (returned - handed).days + r.waiting_for_parts_days))
    extension = 0
    while spans:
        limit = original_end + timedelta(days=extension)
        total = sum(days for handed, days in spans if handed <= limit)
        if total == extension:
            break
        extension = total
    return extension


def _best(options: tuple[str, ...], choice: str | None) -> str:
    if choice in options:
        return choice  # type: ignore[return-value]
    return max(options, key=_RANK.__getitem__)


def _costs(
    table: dict[str, Row], default: Row, situation: str, claim: Claim, reasons: list[Reason]
) -> tuple[HandCost, ...]:
    prices = claim.prices
    lines: Any = table
    if prices:
        lines = [line for line in _LINES if line in table or line in prices]
    out = []
    for line in lines:
        payer, basis, rule, clause, note = table.get(line) or default
        price = prices.get(line) if prices else None  # type: ignore[call-overload]
        words = basis.replace("_", " ")
        if price is None:
            out.append(HandCost(line, payer, basis, None, None, rule, clause, note))
            reasons.append((rule, clause, f"{line}: {payer} pays ({words})"))
        else:
            amount = price.amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)
            out.append(HandCost(line, payer, basis, amount, price.currency, rule, clause, None))
            reasons.append(
                (rule, clause, f"{line}: {payer} pays {amount} {price.currency} ({words})")
            )
    return tuple(out)


# ---------------------------------------------------------------- the decision


def decide_by_hand(claim: Claim, as_of: date) -> HandDecision:
    """The decision on ``claim`` under the PC and network tender policy as of ``as_of``."""
    for i, code in enumerate(claim.cause_codes):
        if code != "poor_packaging":
            raise ValueError(f"claim.cause_codes[{i}]: unknown cause code {code!r}")
    fd = claim.failure_date
    fd_text = fd.isoformat() if fd is not None else ""
    asset = claim.asset
    category = asset.category
    acc = asset.dates.acceptance
    acc_text = acc.isoformat() if acc is not None else ""
    warnings: list[str] = []
    reasons: list[Reason] = []
    windows: list[HandWindow] = []

    # ---- term windows (五.4): one computation per period length
    if category is None:
        picks: tuple[int, ...] = _ALL_TERMS
        applies: Truth = _CATEGORY
    else:
        picks = _BY_CATEGORY.get(category, ())
        applies = True
    by_years: dict[int, tuple[date, int, date, date | None, Truth, bool]] = {}
    coverage: list[
        tuple[int, HandWindow, Truth, bool]
    ] = []  # warranty terms: window, covers, before start
    on_site: str | None = None
    for index in picks:
        term_id, kind, years = _TERMS[index]
        head = f"{kind} term {term_id} ({years} years)"
        if acc is None:
            inside: Truth = (_ACCEPTANCE,)
            window = HandWindow(
                term_id,
                None,
                None,
                0,
                None,
                None,
                False,
                True if applies is True else None,
                None,
                inside if applies is True else _merge(inside, applies),  # type: ignore[arg-type]
            )
            reasons.append((term_id, "五.4", f"{head}: start unknown (missing {_ACCEPTANCE})"))
            before = False
        else:
            hit = by_years.get(years)
            if hit is None:
                original = _add_years(acc, years)
                extension = _extension(claim, acc, original, as_of) if claim.repairs else 0
                unrolled = original + timedelta(days=extension) if extension else original
                end = _roll(unrolled, warnings)
                rolled_from = unrolled if end != unrolled else None
                if fd is None:
                    inside, before = _FAILURE, False
                else:
                    before = fd < acc
                    inside = not before and fd <= end
                hit = by_years[years] = (original, extension, end, rolled_from, inside, before)
            original, extension, end, rolled_from, inside, before = hit
            missing = inside if inside is not True and inside is not False else ()
            if applies is not True:
                missing = _merge(missing, applies)  # type: ignore[arg-type]
            window = HandWindow(
                term_id,
                acc,
                original,
                extension,
                end,
                rolled_from,
                False,
                True if applies is True else None,
                inside if isinstance(inside, bool) else None,
                missing,  # type: ignore[arg-type]
            )
            span = f"{acc_text} to {end.isoformat()}"
            if extension and rolled_from is not None:
                span += (
                    f" ({original.isoformat()} + {extension} repair/waiting days; "
                    f"rolled forward from {rolled_from.isoformat()} off a holiday)"
                )
            elif extension:
                span += f" ({original.isoformat()} + {extension} repair/waiting days)"
            elif rolled_from is not None:
                span += f" (rolled forward from {rolled_from.isoformat()} off a holiday)"
            text = f"{head} counted from acceptance {acc_text}: {span}"
            if inside is True:
                text += f"; failure {fd_text} is inside"
            elif inside is False:
                text += f"; failure {fd_text} is " + ("before it starts" if before else "outside")
            reasons.append((term_id, "五.4", text))
        windows.append(window)
        covers = _and(applies, inside)
        if kind == "warranty":
            coverage.append((index, window, covers, before))
        elif covers is True:
            on_site = term_id

    # ---- the lifetime paid service (五.13, 五.16): applies to everything
    if acc is None:
        service_inside: Truth = (_ACCEPTANCE,)
        service_before = False
    elif fd is None:
        service_inside, service_before = _FAILURE, False
    else:
        service_before = fd < acc
        service_inside = not service_before
    for term_id, clause in _SERVICES:
        head = f"paid_service term {term_id} (lifetime)"
        if acc is None:
            windows.append(
                HandWindow(term_id, None, None, 0, None, None, False, True, None, (_ACCEPTANCE,))
            )
            reasons.append((term_id, clause, f"{head}: start unknown (missing {_ACCEPTANCE})"))
            continue
        windows.append(
            HandWindow(
                term_id,
                acc,
                None,
                0,
                None,
                None,
                True,
                True,
                service_inside if isinstance(service_inside, bool) else None,
                service_inside if isinstance(service_inside, tuple) else (),
            )
        )
        text = f"{head} counted from acceptance {acc_text}: from {acc_text}, no end (lifetime)"
        if service_inside is True:
            text += f"; failure {fd_text} is inside"
        elif service_inside is False:
            text += f"; failure {fd_text} is before it starts"
        reasons.append((term_id, clause, text))

    # ---- status
    covered: Truth = False
    for _, _, covers, _ in coverage:
        if covers is True:
            covered = True
            break
        if covers is not False:
            covered = covers if covered is False else _merge(covered, covers)  # type: ignore[arg-type]
    fault_kind = claim.fault_kind
    data_fault: Truth = _is(fault_kind, "data", _FAULT_KIND)
    status: str
    missing: tuple[str, ...] = ()
    deciding: HandWindow | None = None
    excluded = False
    if covered is True:
        deciding = next(w for _, w, covers, _ in coverage if covers is True)
        assert deciding.end is not None
        reasons.append(
            (
                deciding.id,
                "五.4",
                f"the failure is inside the warranty term {deciding.id} (until {deciding.end.isoformat()})",
            )
        )
        if data_fault is True:
            status, excluded = "excluded", True
        elif data_fault is False:
            status = "covered"
        else:
            status, missing = "undetermined", _FAULT_KIND
            reasons.append(("exclusions", "-", "an exclusion may apply; missing claim.fault_kind"))
    elif covered is False:
        subject = f"component {claim.component}" if claim.component else "the unit"
        if not coverage:
            status = "not_applicable"
            reasons.append(("terms", "-", f"no warranty term of this policy covers {subject}"))
        elif all(before for _, _, _, before in coverage):
            status = "not_applicable"
            first = coverage[0][1]
            reasons.append(
                (first.id, "五.4", f"the failure precedes the warranty (starts {acc_text})")
            )
        else:
            status = "expired"
            deciding = max(coverage, key=lambda c: (c[1].end, -c[0]))[1]
            assert deciding.end is not None
            reasons.append(
                (
                    deciding.id,
                    "五.4",
                    f"the warranty has ended for {subject}: last covered day "
                    f"{deciding.end.isoformat()}, failure on {fd_text}",
                )
            )
        excluded = data_fault is True  # 五.11 no service, also after the warranty
    else:
        status, missing = "undetermined", covered
        reasons.append(
            (
                "terms",
                "-",
                "whether a term covers the failure is unknown; missing " + ", ".join(missing),
            )
        )
    if excluded:
        reasons.append(
            (
                "data-backup-recovery",
                "五.11",
                f"exclusion data-backup-recovery applies: {_DATA_TEXT} (service may be refused)",
            )
        )

    # ---- remedy and costs
    remedy: HandRemedy | None = None
    loaners: tuple[HandLoaner, ...] = ()
    costs: tuple[HandCost, ...] = ()
    choice = claim.customer_choice
    if status == "covered":
        assert deciding is not None
        remedy, missing = _covered_remedy(claim, as_of, deciding, choice, reasons)
        if remedy is None:
            status = "undetermined"
        else:
            if on_site is not None:  # 五.7 "within the service period": the on-site term runs
                loaners = _backup_unit(claim, as_of, reasons)
            costs = _costs(_COVERED[on_site], _DEFAULT["covered"], "covered", claim, reasons)
    elif status == "excluded":
        remedy = HandRemedy(
            "paid_repair",
            ("paid_repair",),
            "data-backup-recovery",
            "五.11",
            service_may_be_refused=True,
        )
        reasons.append(
            ("data-backup-recovery", "五.11", "remedy: paid repair; the vendor may refuse service")
        )
        costs = _costs(_EMPTY, _DEFAULT["excluded"], "excluded", claim, reasons)
    elif status == "expired":
        remedy = HandRemedy(
            "paid_repair",
            ("paid_repair",),
            "post-warranty-service",
            "五.13",
            service_may_be_refused=excluded,
        )
        reasons.append(
            (
                "post-warranty-service",
                "五.13",
                "remedy: paid repair under the paid service term post-warranty-service"
                + ("; the vendor may refuse service" if excluded else ""),
            )
        )
        costs = _costs(_EXPIRED, _DEFAULT["expired"], "expired", claim, reasons)

    return HandDecision(
        status=status,
        term=deciding.id if deciding is not None and status != "undetermined" else None,
        missing=missing,
        terms=tuple(windows),
        exclusions=("data-backup-recovery",) if excluded else (),
        remedy=remedy,
        loaners=loaners,
        costs=costs,
        warnings=tuple(warnings),
        reasons=tuple(reasons),
    )


# ---------------------------------------------------------------- 三包 remedies (五.2, 三)

_SANBAO_7 = ("refund", "exchange", "repair")
_SANBAO_15 = ("exchange", "repair")
_REPLACE = ("replace", "repair")


def _purchase_window(
    invoice: date | None, fd: date | None, within: int, after: int
) -> tuple[Truth, str, date | None]:
    """三包 windows from the invoice date: day k = invoice + k days, 'within' inclusive."""
    if invoice is None:
        return _INVOICE, "", None
    if fd is None:
        return _FAILURE, "", None
    last = invoice + timedelta(days=within)
    if fd < invoice or fd > last or (after and fd <= invoice + timedelta(days=after)):
        return False, "", last
    span = f"after {after} days and within {within} days" if after else f"within {within} days"
    return (
        True,
        f"failure {fd.isoformat()} is day {(fd - invoice).days} after invoice {invoice.isoformat()}, "
        f"{span} (window ends {last.isoformat()})",
        last,
    )


def _two_repairs(
    claim: Claim, as_of: date, invoice: date | None, fd: date | None
) -> tuple[Truth, str]:
    """五.2.3): two repairs of the same fault within a year of the invoice, still failing."""
    if fd is None:
        return _FAILURE, ""
    if invoice is None:
        return _INVOICE, ""
    upper = _add_years(invoice, 1)
    if not invoice <= fd <= upper:
        return False, ""
    last_day = min(fd, as_of, upper)
    records = sorted(
        ((i, r) for i, r in enumerate(claim.repairs) if invoice <= r.handed_over <= last_day),
        key=lambda item: item[1].handed_over,
    )
    fault = claim.fault_code
    low = high = 0
    missing: list[str] = []
    counted = None
    for i, r in records:
        if r.fault_code is None:
            missing.append(f"claim.repairs[{i}].fault_code")
            high += 1
        elif fault is None:
            missing.append("claim.fault_code")
            high += 1
        elif r.fault_code == fault:
            low += 1
            high += 1
            counted = (i, r)
    if high < 2:
        return False, ""
    if low < 2:
        return tuple(dict.fromkeys(missing)), ""
    assert counted is not None
    i, last = counted
    # durations print as "<amount> <unit>" everywhere in the engine's texts: "1 years"
    text = f"{low} repairs of the same fault within 1 years from invoice {invoice.isoformat()} (at least 2)"
    if last.fixed is False or (last.returned is not None and fd >= last.returned):
        return True, text + f"; still failing after the repair of {last.handed_over.isoformat()}"
    if last.fixed is None:
        return (f"claim.repairs[{i}].fixed",), ""
    return False, ""


def _covered_remedy(
    claim: Claim, as_of: date, deciding: HandWindow, choice: str | None, reasons: list[Reason]
) -> tuple[HandRemedy | None, tuple[str, ...]]:
    fd = claim.failure_date
    invoice = claim.asset.dates.invoice
    listed = _and(
        _is(claim.fault_kind, "performance", _FAULT_KIND),
        _is(claim.attributes.get("sanbao_listed_fault"), True, _LISTED),
    )
    pending: list[tuple[frozenset[str], tuple[str, ...]]] = []

    def undecided(options: tuple[str, ...], gate: Truth, result: Truth) -> None:
        pending.append((frozenset(options), _and(gate, result)))  # type: ignore[arg-type]

    # 五.2.1) days 0-7: refund, exchange or repair (precedence 40)
    if listed is not False:
        result, text, last = _purchase_window(invoice, fd, 7, 0)
        if result is True and listed is True:
            return _won(
                "sanbao-7-days",
                "五.2.1)",
                "purchase window",
                text,
                _SANBAO_7,
                choice,
                reasons,
                last,
                "no_lower_performance",
            )
        if result is not False:
            undecided(_SANBAO_7, listed, result)
    # 三 packaging damage found out of the box (precedence 30)
    if "poor_packaging" in claim.cause_codes:
        box = claim.out_of_box
        if box is True:
            return _won(
                "packaging-damage",
                "三",
                "out of box",
                "defect found when the box was opened",
                _REPLACE,
                choice,
                reasons,
                None,
                None,
                compensation=True,
                pending=pending,
            )
        if box is None:
            undecided(_REPLACE, True, _OUT_OF_BOX)
    # 五.2.2) days 8-15: exchange or repair (precedence 20)
    if listed is not False:
        result, text, last = _purchase_window(invoice, fd, 15, 7)
        if result is True and listed is True:
            return _won(
                "sanbao-8-15-days",
                "五.2.2)",
                "purchase window",
                text,
                _SANBAO_15,
                choice,
                reasons,
                last,
                "no_lower_performance",
                pending=pending,
            )
        if result is not False:
            undecided(_SANBAO_15, listed, result)
    # 五.2.3) two repairs within a year (precedence 10)
    gate = (
        _and(listed, _is(claim.evidence.repair_records_present, True, _RECORDS))
        if listed is not False
        else False
    )
    if gate is not False:
        result, text = _two_repairs(claim, as_of, invoice, fd)
        if result is True and gate is True:
            return _won(
                "sanbao-two-repairs",
                "五.2.3)",
                "repeated repairs",
                text,
                _REPLACE,
                choice,
                reasons,
                None,
                "no_lower_performance",
                pending=pending,
            )
        if result is not False:
            undecided(_REPLACE, gate, result)
    # R1: free repair under the warranty term, unless an undecided rule could give more
    if pending:
        return _blocked(pending, frozenset(("repair",)), reasons)
    option = "repair"
    reasons.append(
        (
            deciding.id,
            "五.4",
            "remedy: repair (options: repair; R1 free repair)"
            + ("; the customer chose repair" if choice == "repair" else ""),
        )
    )
    return HandRemedy(option, ("repair",), deciding.id, "五.4"), ()


def _blocked(
    pending: list[tuple[frozenset[str], tuple[str, ...]]],
    options: frozenset[str],
    reasons: list[Reason],
) -> tuple[None, tuple[str, ...]]:
    missing: tuple[str, ...] = ()
    for rule_options, paths in pending:
        if rule_options != options:
            missing = _merge(missing, paths) if missing else paths
    reasons.append(("remedies", "-", "a remedy rule may apply; missing " + ", ".join(missing)))
    return None, missing


def _won(
    rule: str,
    clause: str,
    kind: str,
    text: str,
    options: tuple[str, ...],
    choice: str | None,
    reasons: list[Reason],
    window_end: date | None,
    replacement: str | None,
    *,
    compensation: bool = False,
    pending: list[tuple[frozenset[str], tuple[str, ...]]] | None = None,
) -> tuple[HandRemedy | None, tuple[str, ...]]:
    if pending and any(rule_options != frozenset(options) for rule_options, _ in pending):
        return _blocked(pending, frozenset(options), reasons)
    option = _best(options, choice)
    reasons.append(
        (
            rule,
            clause,
            f"{kind}: {text}; remedy {option} (options: {', '.join(options)})"
            + (f"; replacement: {replacement.replace('_', ' ')}" if replacement else "")
            + ("; losses compensated" if compensation else ""),
        )
    )
    return HandRemedy(option, options, rule, clause, replacement, compensation, window_end), ()


# ---------------------------------------------------------------- backup unit (五.7, 五.8)

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_OPENS, _CLOSES = time(9), time(17)
_HARDWARE = ("claim.attributes.hardware_fault",)
_BACKUP_CALENDAR = "cn-7x8-holidays-included"


def _backup_due(reported: datetime) -> datetime:
    """``reported`` + 24 business hours, open 09:00-17:00 every day (three full days).

    Counting starts at the first open moment: from an instant strictly inside
    opening hours the deadline is the same clock time three days later; from
    opening time (or before it) it is the closing time two days later (a deadline
    ending exactly at closing is the closing time); from closing time or later it
    is the closing time three days later."""
    local = reported.astimezone(_SHANGHAI)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    if clock <= _OPENS:
        return datetime.combine(day + timedelta(days=2), _CLOSES, tzinfo=_SHANGHAI)
    if clock >= _CLOSES:
        return datetime.combine(day + timedelta(days=3), _CLOSES, tzinfo=_SHANGHAI)
    return datetime.combine(day + timedelta(days=3), clock, tzinfo=_SHANGHAI)


def _backup_unit(claim: Claim, as_of: date, reasons: list[Reason]) -> tuple[HandLoaner, ...]:
    """The ``backup-unit`` loaner when ``hardware_fault`` is true (or unknown)."""
    hardware = claim.attributes.get("hardware_fault")
    if hardware is None:
        return (HandLoaner("backup-unit", "backup_unit", _BACKUP_CALENDAR, None, "undetermined", None, _HARDWARE),)
    if hardware is not True:
        return ()
    reported = claim.reported_at
    if reported is None:
        reasons.append(("backup-unit", "五.7", "backup unit after 24 hours unresolved: report time unknown"))
        return (
            HandLoaner(
                "backup-unit", "backup_unit", _BACKUP_CALENDAR, None, "undetermined", None, ("claim.reported_at",)
            ),
        )
    due = _backup_due(reported)
    end_of_as_of = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=_SHANGHAI)
    resolved = claim.resolved_at
    if resolved is not None and resolved <= end_of_as_of:
        owed = resolved > due
        state = "owed" if owed else "not_owed"
    else:  # unresolved, or resolved after as_of (not known yet)
        owed = end_of_as_of > due
        state = "owed" if owed else "pending"
    reasons.append(
        (
            "backup-unit",
            "五.7",
            f"backup unit due if unresolved by {due.isoformat()} "
            f"(reported {reported.isoformat()} + 24 hours on {_BACKUP_CALENDAR}): {state}",
        )
    )
    return (HandLoaner("backup-unit", "backup_unit", _BACKUP_CALENDAR, due, state, owed, ()),)
