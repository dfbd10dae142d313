"""Hypothesis strategies for valid policies, as the plain data a YAML file holds.

:func:`policy_dicts` draws ``PolicyDocument``-shaped dicts that pass every
check of the loader, references included: ids are unique across all rule
lists, every calendar, season, term, warranty, severity, channel, region and
metric named exists, conditions name real facts (and declared cause codes),
and remedy rules carry distinct precedences. Values use the forms people
write -- ``"36 months"``, ``{months: 36}``, ``anchor: acceptance``,
``"customer at_cost"``, ``covers: all`` -- so a round trip through
:func:`~warrantykit.policies.dump.dump_policy` has normalising to do.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from warrantykit.policies.models import AnchorEvent

__all__ = ["conditions", "policy_dicts", "texts"]

Draw = Any  # the `draw` callable of st.composite

EVENTS = [e.value for e in AnchorEvent]
TIMEZONES = ["Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
TRICKY = ["yes", "no", "on", "off", "0755", "1:30", "2024-01-01", "~", "null", "<<", "=", "- x",
          "a: b", "#", "'", '"', "&a", "*a", "!!str", "%", "@", "`", "true", "1e3", ".inf", ""]
CODES = ["improper_use", "water_damage", "force_majeure", "unstable_voltage", "accident",
         "user_rewired", "lightning"]
CATEGORIES = ["colour_tv", "fridge", "server", "aircon", "laptop"]
COMPONENTS = ["compressor", "panel", "board", "psu", "fan", "display"]
COST_LINES = ["parts", "labour", "call_out", "travel", "transport", "software_upgrade"]
REMEDY_OPTIONS = ["refund", "exchange", "replace", "repair", "paid_repair", "advice_only",
                  "price_reduction", "new_product"]
TICKET_STOPS = ["responded", "feedback", "solution", "arrived", "resolved", "parts_replaced",
                "report_delivered", "loaner_provided"]

dates = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))


T = TypeVar("T")


def pick(draw: Draw, items: Sequence[T]) -> T:
    """One of ``items`` (cheaper than building ``sampled_from`` for a list made per example)."""
    return items[draw(st.integers(0, len(items) - 1))]


@functools.cache
def texts(min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    """Free text: anything Unicode (no surrogates), and strings YAML likes to reinterpret."""
    free = st.text(st.characters(codec="utf-8"), min_size=min_size, max_size=max_size)
    return st.one_of(free, st.sampled_from([t for t in TRICKY if len(t) >= min_size]))


ids = st.from_regex(r"\A[a-z0-9][a-z0-9_.-]{0,10}\Z")
words = st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z")
decimal_text = st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 999), st.integers(0, 99))


def some(draw: Draw, items: Sequence[T], min_size: int = 1, max_size: int = 3) -> list[T]:
    """A list of ``items`` (repeats allowed), drawn by index."""
    picks = draw(st.lists(st.integers(0, len(items) - 1), min_size=min_size, max_size=max_size))
    return [items[i] for i in picks]


def _unique(draw: Draw, strategy: st.SearchStrategy[str], n_min: int, n_max: int) -> list[str]:
    return draw(st.lists(strategy, min_size=n_min, max_size=n_max, unique=True))


# ---------------------------------------------------------------- durations, anchors, lengths


@functools.cache
def durations(units: tuple[str, ...], max_amount: int = 120) -> st.SearchStrategy[Any]:
    spelled = {
        "days": ["days", "day", "d"],
        "weeks": ["weeks", "week"],
        "months": ["months", "month"],
        "years": ["years", "year"],
        "minutes": ["minutes", "min", "mins"],
        "hours": ["hours", "hour", "h"],
        "working_days": ["working_days", "working days", "business days"],
    }

    @st.composite
    def build(draw: Draw) -> Any:
        unit = draw(st.sampled_from(units))
        amount = draw(st.integers(0, max_amount))
        form = draw(st.integers(0, 2))
        if form == 0:
            return f"{amount} {draw(st.sampled_from(spelled[unit]))}"
        if form == 1:
            return {unit: amount}
        return {"amount": amount, "unit": unit}

    return build()


calendar_durations = durations(("days", "weeks", "months", "years"))
day_durations = durations(("days",), 60)


@st.composite
def anchors(draw: Draw, allow_fallback: bool = True) -> Any:
    form = draw(st.integers(0, 4 if allow_fallback else 3))
    if form == 0:
        return draw(st.sampled_from(EVENTS))
    if form == 1:
        return {"event": draw(st.sampled_from(EVENTS)), "offset": draw(day_durations)}
    if form == 2:
        return {"later_of": draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3))}
    if form == 3:
        return {"earlier_of": draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3))}
    return {"event": draw(st.sampled_from(EVENTS)), "fallback": draw(anchors(allow_fallback=False))}


@st.composite
def lengths(draw: Draw, seasons: list[str], nested: bool = True) -> Any:
    forms = ["duration", "lifetime", "meter", "fact"]
    if seasons:
        forms.append("seasons")
    if nested:
        forms += ["first_of", "last_of"]
    form = draw(st.sampled_from(forms))
    if form == "duration":
        duration = draw(calendar_durations)
        return duration if isinstance(duration, str) else {"duration": duration}
    if form == "lifetime":
        return draw(st.sampled_from(["lifetime", {"lifetime": True}]))
    if form == "meter":
        return {"meter": draw(st.sampled_from(["km", "hours", "copies"])),
                "limit": draw(st.one_of(st.integers(1, 10**6), decimal_text.filter(lambda t: float(t) > 0)))}
    if form == "fact":
        return {"fact": "asset.attributes.design_life_years", "unit": draw(st.sampled_from(["years", "months"]))}
    if form == "seasons":
        out: dict[str, Any] = {"seasons": draw(st.integers(1, 5)), "season": pick(draw, seasons)}
        if draw(st.booleans()):
            out["count_in_progress"] = True
        return out
    items = draw(st.lists(lengths(seasons, nested=False), min_size=2, max_size=3))
    return {form: items}


# ---------------------------------------------------------------- conditions


@st.composite
def _claim_leaf(draw: Draw) -> dict[str, Any]:
    kind = draw(st.integers(0, 7))
    if kind == 0:
        op = draw(st.sampled_from(["contains", "contains_any", "contains_all"]))
        if op == "contains":
            return {"fact": "claim.cause_codes", op: draw(st.sampled_from(CODES))}
        return {"fact": "claim.cause_codes", op: draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3))}
    if kind == 1:
        fact = draw(st.sampled_from(["claim.evidence.warranty_card.present", "claim.out_of_box",
                                     "claim.quality_defect", "claim.evidence.paid_up"]))
        op = draw(st.sampled_from(["eq", "ne", "exists"]))
        return {"fact": fact, op: draw(st.booleans())}
    if kind == 2:
        op = draw(st.sampled_from(["in", "not_in"]))
        return {"fact": "claim.fault_kind", op: draw(st.lists(st.sampled_from(
            ["quality", "performance", "cosmetic", "software", "data", "other"]), min_size=1, max_size=3))}
    if kind == 3:
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
        if op in ("in", "not_in"):
            return {"fact": "asset.category", op: draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3))}
        return {"fact": "asset.category", op: draw(st.one_of(st.sampled_from(CATEGORIES), texts()))}
    if kind == 4:
        op = draw(st.sampled_from(["gt", "ge", "lt", "le"]))
        return {"fact": "claim.meters.km", op: draw(st.one_of(st.integers(0, 10**6), decimal_text))}
    if kind == 5:
        op = draw(st.sampled_from(["gt", "ge", "lt", "le", "eq"]))
        return {"fact": "asset.dates.purchase", op: draw(dates)}
    if kind == 6:
        # a null operand: the operator is known only from the key that was written
        return {"fact": "claim.attributes.site_kind", draw(st.sampled_from(["eq", "ne"])): None}
    op = draw(st.sampled_from(["eq", "ne", "contains"]))
    return {"fact": "claim.attributes.note", op: draw(st.one_of(texts(), st.integers(-5, 5), st.booleans()))}


@st.composite
def _ticket_leaf(draw: Draw) -> dict[str, Any]:
    if draw(st.booleans()):
        fact = draw(st.sampled_from(["ticket.system_paralysed", "ticket.business_interrupted",
                                     "ticket.hardware_fault"]))
        return {"fact": fact, "eq": draw(st.booleans())}
    fact = draw(st.sampled_from(["ticket.outage_minutes", "ticket.users_affected"]))
    return {"fact": fact, draw(st.sampled_from(["gt", "ge", "lt", "le"])): draw(st.integers(0, 10_000))}


def conditions(leaf: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Condition trees of all/any/not over ``leaf``."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, inner),
        ),
        max_leaves=5,
    )


CLAIM_CONDITIONS = conditions(_claim_leaf())
TICKET_CONDITIONS = conditions(_ticket_leaf())

# ---------------------------------------------------------------- costs


@st.composite
def cost_rules(draw: Draw) -> Any:
    form = draw(st.integers(0, 7))
    extra: dict[str, Any] = {}
    if draw(st.booleans()):
        extra["clause"] = draw(texts(1, 8))
    if form == 0:
        return draw(st.sampled_from(["vendor", "manufacturer", "seller"]))
    if form == 1:
        return f"customer {draw(st.sampled_from(['at_cost', 'list_price', 'market_price', 'contract_price_cap']))}"
    if form == 2:
        return {"payer": draw(st.sampled_from(["vendor", "repairer", "responsible_party"])), **extra}
    if form == 3:
        return {"payer": "customer", "basis": draw(st.sampled_from(["at_cost", "list_price"])), **extra}
    if form == 4:
        return {"payer": "customer", "basis": "percent_of_price",
                "percent": draw(st.one_of(st.integers(0, 100), decimal_text.filter(lambda t: float(t) <= 100))),
                "of": draw(st.sampled_from(["asset_price", "software_price", "line_price"])), **extra}
    if form == 5:
        return {"payer": "customer", "basis": "discount", "percent": draw(st.integers(0, 100)), **extra}
    if form == 6:
        amount = f"{draw(st.integers(0, 99999))}.{draw(st.integers(0, 99)):02d}"
        return {"payer": "customer", "basis": "cap", "cap": f"{amount} {draw(st.sampled_from(['CNY', 'EUR']))}", **extra}
    return {"payer": "vendor", "basis": "at_cost", "vendor_share": draw(st.integers(0, 100)), **extra}


def cost_tables() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(COST_LINES), cost_rules(), max_size=3)


# ---------------------------------------------------------------- calendars, seasons

_DAYS_IN = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


@st.composite
def month_days(draw: Draw) -> str:
    month = draw(st.integers(1, 12))
    return f"{month:02d}-{draw(st.integers(1, _DAYS_IN[month])):02d}"


@st.composite
def intervals(draw: Draw) -> str:
    if draw(st.integers(0, 5)) == 0:
        return "00:00-24:00"
    start = draw(st.integers(0, 23 * 60))
    end = draw(st.integers(0, 23 * 60 + 59).filter(lambda e: e != start))
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


@st.composite
def calendar_specs(draw: Draw) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["timezone"] = draw(st.sampled_from(TIMEZONES))
    if draw(st.booleans()):
        out["preset"] = draw(st.sampled_from(["7x24", "5x8", "7x8"]))
    else:
        layout = draw(st.sampled_from([["mon-fri"], ["mon-fri", "sat"], ["daily"], ["mon,wed", "fri-sun"]]))
        out["hours"] = {days: draw(st.lists(intervals(), min_size=1, max_size=2)) for days in layout}
    if draw(st.booleans()):
        out["holidays"] = {"country": draw(st.sampled_from(["CN", "DE", "US"]))}
    if draw(st.booleans()):
        out["extra_holidays"] = draw(st.lists(dates, max_size=3))
    if draw(st.booleans()):
        first = draw(st.integers(2000, 2030))
        out["trusted_years"] = [first, first + draw(st.integers(0, 10))]
    if draw(st.booleans()):
        out["text"] = draw(texts())
    return out


@st.composite
def season_specs(draw: Draw) -> dict[str, Any]:
    out: dict[str, Any] = {"start": draw(month_days()), "end": draw(month_days())}
    if draw(st.booleans()):
        out["adjustments"] = [{"season_starting": draw(st.integers(2000, 2040)), "end": draw(dates),
                               "source": draw(texts())}]
    if draw(st.booleans()):
        out["text"] = draw(texts())
    return out


# ---------------------------------------------------------------- the policy


@st.composite
def policy_dicts(draw: Draw) -> dict[str, Any]:
    """A valid policy document as plain data (ready for ``yaml.safe_dump``)."""
    # every rule id in the document is unique: a drawn stem and a running number
    stems = draw(st.lists(st.sampled_from(["main", "x", "a.b", "r_1", "9-lives", "term"]), min_size=1, max_size=3))
    pool = (f"{stems[i % len(stems)]}-{i}" for i in range(1000))
    calendars = {name: draw(calendar_specs()) for name in _unique(draw, ids, 0, 3)}
    seasons = {name: draw(season_specs()) for name in _unique(draw, ids, 0, 3)}
    calendar_names = ["7x24", *calendars]
    declare_codes = draw(st.booleans())
    claim_conditions = CLAIM_CONDITIONS

    policy: dict[str, Any] = {}
    if draw(st.booleans()):
        policy["$schema"] = "../schema/policy.schema.json"
    policy["id"] = draw(ids)
    major, minor, patch = (draw(st.integers(0, 20)) for _ in range(3))
    policy["version"] = f"{major}.{minor}.{patch}" + draw(st.sampled_from(["", "-rc.1", "+build.7"]))
    policy["title"] = draw(texts(0, 40))
    source: dict[str, Any] = {"name": draw(texts(0, 30))}
    if draw(st.booleans()):
        source["date"] = draw(dates)
        source["parties"] = draw(st.lists(texts(), max_size=2))
        source["url"] = "https://example.com/letter"
    policy["source"] = source
    if draw(st.booleans()):
        start = draw(dates)
        policy["effective"] = {"from": start, "until": start + dt.timedelta(days=draw(st.integers(0, 3000)))}
    policy["timezone"] = draw(st.sampled_from(TIMEZONES))
    if draw(st.booleans()):
        policy["currency"] = "CNY"
    if draw(st.booleans()):
        counting: dict[str, Any] = {
            "start_day": draw(st.sampled_from(["excluded", "included"])),
            "month_end": draw(st.sampled_from(["clip", "error"])),
            "extend_by": draw(st.lists(st.sampled_from(["repair_days", "waiting_for_parts_days"]), max_size=2)),
            "restart_on_replacement": draw(st.booleans()),
        }
        if draw(st.booleans()):
            counting["roll_forward"] = {"mode": draw(st.sampled_from(["day_after_holiday", "next_working_day"])),
                                        "calendar": pick(draw, calendar_names),
                                        "coverage_window": draw(st.booleans())}
        policy["counting"] = counting
    if declare_codes:
        policy["cause_codes"] = CODES  # conditions draw their codes from this list

    warranties = [
        {"id": next(pool), "provider": draw(st.sampled_from(["vendor", "manufacturer", "statute", "seller"]))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if warranties:
        policy["warranties"] = warranties
        # customer_choice needs two warranties to choose between (a check error otherwise)
        choices = ["customer_choice", "all_apply"] if len(warranties) >= 2 else ["all_apply"]
        policy["warranty_choice"] = draw(st.sampled_from(choices))

    # terms
    terms: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        term: dict[str, Any] = {"id": next(pool), "clause": draw(texts(1, 10))}
        if draw(st.booleans()):
            term["text"] = draw(texts())
        kind = draw(st.sampled_from(["warranty", "exchange", "maintenance", "paid_service", "parts_supply",
                                     "cost_cover"]))
        if kind != "warranty" or draw(st.booleans()):
            term["kind"] = kind
        if warranties and draw(st.booleans()):
            term["warranty"] = pick(draw, warranties)["id"]
        cover = draw(st.integers(0, 4))
        if cover == 1:
            term["covers"] = "all"
        elif cover == 2:
            term["covers"] = {"categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2))}
        elif cover == 3:
            term["covers"] = {"components": draw(st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=2)),
                              "exclude_components": draw(st.lists(st.sampled_from(COMPONENTS), max_size=2))}
        elif cover == 4:
            term["covers"] = {"when": draw(claim_conditions)}
        if terms and draw(st.integers(0, 3)) == 0:
            term["starts_after"] = pick(draw, terms)["id"]  # only earlier terms: no cycles
        else:
            term["anchor"] = draw(anchors())  # a term starts at an anchor or after another term
        term["length"] = draw(lengths(list(seasons)))
        if draw(st.booleans()):
            term["counting"] = {"start_day": draw(st.sampled_from(["excluded", "included"]))}
        costs = draw(cost_tables())
        if kind == "cost_cover" and not costs:
            costs = {"parts": "vendor"}
        if costs:
            term["costs"] = costs
        if draw(st.booleans()):
            term["options"] = draw(st.lists(st.sampled_from(REMEDY_OPTIONS), min_size=1, max_size=3))
        terms.append(term)
    policy["terms"] = terms
    term_ids = [t["id"] for t in terms]

    # exclusions
    exclusions = []
    for _ in range(draw(st.integers(0, 3))):
        exc: dict[str, Any] = {"id": next(pool), "clause": draw(texts(1, 10)), "when": draw(claim_conditions)}
        if draw(st.booleans()):
            exc["outcome"] = draw(st.sampled_from(["paid_service", "advice_only", "no_service"]))
            exc["still_provided"] = draw(st.lists(words, max_size=2))
        if draw(st.booleans()):
            exc["costs"] = draw(cost_tables())
        if draw(st.booleans()):
            exc["terms"] = some(draw, term_ids, 1, 2)
        exclusions.append(exc)
    if exclusions:
        policy["exclusions"] = exclusions

    # remedies: distinct precedences, so no two can be ambiguous (loaners take none: they
    # are an obligation beside the remedy, not a competing one)
    n_remedies = draw(st.integers(0, 4))
    precedences = draw(st.lists(st.integers(-100, 100), min_size=n_remedies, max_size=n_remedies, unique=True))
    remedies = []
    for precedence in precedences:
        rem: dict[str, Any] = {"id": next(pool), "clause": draw(texts(1, 10))}
        kind = draw(st.sampled_from(["purchase_window", "repeated_repairs", "unrepaired", "loaner",
                                     "out_of_box", "abnormal_life"]))
        if kind != "loaner":
            rem["precedence"] = precedence
        rem["kind"] = kind
        if kind != "loaner" or draw(st.booleans()):
            rem["options"] = draw(st.lists(st.sampled_from(REMEDY_OPTIONS), min_size=1, max_size=3))
        if kind == "purchase_window":
            within = draw(st.integers(1, 30))
            window: dict[str, Any] = {"within": f"{within} days"}
            if draw(st.booleans()):
                window["after"] = f"{draw(st.integers(0, within - 1))} days"
            if draw(st.booleans()):
                window["anchor"] = draw(anchors(allow_fallback=False))
            rem["window"] = window
        elif kind == "repeated_repairs":
            rem["count"] = draw(st.integers(1, 5))
            rem["comparison"] = draw(st.sampled_from(["at_least", "more_than"]))
            rem["same"] = draw(st.sampled_from(["fault", "component", "fault_and_component", "any"]))
            if draw(st.booleans()):
                rem["within"] = draw(calendar_durations)
                rem["anchor"] = draw(anchors())
        elif kind == "unrepaired":
            rem[draw(st.sampled_from(["more_than", "at_least"]))] = draw(day_durations)
            rem["cause"] = draw(st.sampled_from(["parts_unavailable", "repairer", "any"]))
            if draw(st.booleans()):
                rem["borne_by"] = draw(st.sampled_from(["vendor", "seller", "repairer", "manufacturer"]))
        elif kind == "loaner":
            rem["after"] = draw(durations(("hours", "days"), 96))
            if draw(st.booleans()):
                rem["calendar"] = pick(draw, calendar_names)
            rem["provides"] = draw(st.sampled_from(["loaner", "backup_unit", "spare_part_on_site"]))
        elif kind == "out_of_box":
            if draw(st.booleans()):
                rem["within"] = draw(day_durations)
        if draw(st.booleans()):
            rem["when"] = draw(claim_conditions)
        if draw(st.booleans()):
            rem["terms"] = some(draw, term_ids, 1, 2)
        if kind != "loaner" and draw(st.booleans()):
            rem["replacement"] = draw(st.sampled_from(["same_model", "no_lower_performance"]))
            rem["depreciation"] = {"daily_rate_percent": {draw(st.sampled_from(CATEGORIES)): draw(decimal_text.filter(lambda t: 0 < float(t) <= 100))}}
        if draw(st.booleans()):
            rem["compensation"] = True
        remedies.append(rem)
    if remedies:
        policy["remedies"] = remedies

    if draw(st.booleans()):
        policy["costs"] = {situation: draw(cost_tables()) for situation in
                           draw(st.lists(st.sampled_from(["covered", "excluded", "expired"]), unique=True))}

    # service levels
    if draw(st.booleans()):
        levels = _unique(draw, ids, 1, 3)
        channels = _unique(draw, words, 1, 3) if draw(st.booleans()) else ["phone", "remote", "on_site"]
        regions = _unique(draw, words, 0, 2)
        metric_ids = [next(pool) for _ in range(draw(st.integers(1, 3)))]
        sla: dict[str, Any] = {"severities": [{"id": lvl, "name": draw(texts())} for lvl in levels]}
        if draw(st.booleans()):
            sla["severity_rules"] = [
                {"level": pick(draw, levels), "clause": draw(texts(0, 8)),
                 "when": draw(TICKET_CONDITIONS)}
                for _ in range(draw(st.integers(1, 2)))
            ]
        if draw(st.booleans()):
            sla["default_severity"] = pick(draw, levels)
        sla["on_severity_change"] = draw(st.sampled_from(["from_open", "from_change"]))
        sla["channels"] = channels
        if regions:
            sla["regions"] = regions
        if draw(st.booleans()):
            sla["pause_reasons"] = [{"id": draw(words), "clause": draw(texts(0, 8)),
                                     "stops": "all" if draw(st.booleans()) else some(draw, metric_ids)}]
        if draw(st.booleans()):
            sla["escalation"] = [{"channel": pick(draw, channels),
                                  "after": draw(durations(("hours",), 72))}]
        metrics = []
        for mid in metric_ids:
            targets = []
            for _ in range(draw(st.integers(1, 2))):
                target: dict[str, Any] = {"within": draw(durations(("minutes", "hours", "days", "working_days"), 480))}
                if draw(st.booleans()):
                    target["severity"] = pick(draw, levels) if draw(st.booleans()) else some(draw, levels)
                if draw(st.booleans()):
                    target["channel"] = [pick(draw, channels)]
                if regions and draw(st.booleans()):
                    target["region"] = pick(draw, regions)
                targets.append(target)
            metric: dict[str, Any] = {
                "id": mid, "clause": draw(texts(1, 8)),
                "kind": draw(st.sampled_from(["response", "arrival", "resolution", "report", "loaner"])),
                "starts": draw(st.sampled_from(["opened", "resolved", *(f"escalated:{c}" for c in channels)])),
                "stops": draw(st.sampled_from(TICKET_STOPS)),
                "calendar": pick(draw, calendar_names),
                "targets": targets,
            }
            if draw(st.booleans()):
                metric["at_risk_percent"] = draw(st.lists(st.one_of(st.integers(1, 99), st.just("87.5")),
                                                          min_size=1, max_size=2))
            if draw(st.booleans()):
                metric["obligation"] = True
            metrics.append(metric)
        sla["metrics"] = metrics
        policy["sla"] = sla

    if calendars:
        policy["calendars"] = calendars
    if seasons:
        policy["seasons"] = seasons

    # schedule
    schedule = []
    for _ in range(draw(st.integers(0, 3))):
        rule: dict[str, Any] = {
            "id": next(pool), "clause": draw(texts(1, 8)),
            "kind": draw(st.sampled_from(["inspection", "maintenance", "visit", "report", "training"])),
            "anchor": draw(anchors()),
        }
        forms = ["every", "times_per_year", "phases", "once"] + (["season_at", "season_every"] if seasons else [])
        form = draw(st.sampled_from(forms))
        if form == "every":
            rule["every"] = draw(durations(("weeks", "months"), 12))
        elif form == "times_per_year":
            rule["times_per_year"] = draw(st.integers(1, 12))
        elif form == "phases":
            rule["phases"] = [{"every": "2 weeks", "for": draw(durations(("months",), 6))}, {"every": "1 months"}]
        elif form == "once":
            rule["once"] = True
            rule["within"] = draw(calendar_durations)
        elif form == "season_at":
            rule["season"] = pick(draw, list(seasons))
            rule["at"] = draw(st.sampled_from(["start", "end"]))
            if draw(st.booleans()):
                rule["offset"] = draw(day_durations)
                rule["before"] = draw(st.booleans())
        else:
            rule["season"] = pick(draw, list(seasons))
            rule["every"] = draw(durations(("months", "weeks"), 4))
        if draw(st.booleans()):
            rule["until_term"] = pick(draw, term_ids)
        elif draw(st.booleans()):
            rule["until"] = draw(calendar_durations)
        if draw(st.booleans()):
            rule["window_before"] = draw(day_durations)
            rule["window_after"] = draw(day_durations)
        if draw(st.booleans()):
            rule["holidays"] = draw(st.sampled_from(["next_working_day", "previous_working_day"]))
            rule["calendar"] = pick(draw, calendar_names)
        schedule.append(rule)
    if schedule:
        policy["schedule"] = schedule
    if draw(st.booleans()):
        policy["notes"] = draw(texts(0, 60))
    return policy
