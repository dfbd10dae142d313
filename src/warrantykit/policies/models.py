"""The policy language, version 1: one YAML document per policy.

Every model here is a pydantic v2 model with ``extra="forbid"`` (unknown keys
are errors) and ``frozen=True`` (a loaded policy never changes). The JSON
Schema committed in ``schema/policy.schema.json`` is generated from these
models. ``docs/policy-language.md`` documents every field with examples and
shows, for each term of ``DOMAIN.md``, the YAML that says it.

Structure of a policy::

    id, version, title, source, effective, timezone      identity
    extends, include                                     reuse
    counting                                             period rules (defaults)
    warranties, terms                                    what is covered, for how long
    exclusions                                           what is not, and what still applies
    remedies                                             what the customer gets
    costs                                                who pays which cost line
    sla                                                  service-level clocks on tickets
    calendars, seasons                                   business calendars and season windows
    schedule                                             obligations without a ticket
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from warrantykit.facts import CostLine
from warrantykit.money import Money
from warrantykit.policies.conditions import Condition
from warrantykit.policies.durations import Duration, Unit

__all__ = [
    "AnchorEvent",
    "Anchor",
    "BusinessCalendarSpec",
    "Counting",
    "CostRule",
    "CostTables",
    "Effective",
    "Exclusion",
    "FieldProblem",
    "Length",
    "Metric",
    "PolicyDocument",
    "RemedyOption",
    "RemedyRule",
    "RollForward",
    "ScheduleRule",
    "SeasonSpec",
    "Selector",
    "Severity",
    "SeverityRule",
    "SlaSpec",
    "Source",
    "Target",
    "Term",
    "Warranty",
]

def _exact(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(
            f"{value!r} is a float; write exact numbers as integers or quoted decimals ('0.1')"
        )
    return value


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact)]

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, description="lower-case id: letters, digits, - _ .")]
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
PERCENT = Annotated[ExactDecimal, Field(ge=0, le=100)]


class FieldProblem(ValueError):
    """A model validator's complaint about one field of the model (``field``).

    The loader reports it at that field (its key's line when written), with
    ``code``, instead of at the whole mapping.
    """

    def __init__(self, field: str, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class Model(BaseModel):
    """Base: unknown keys are errors, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as 'Asia'
        import difflib

        close = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown time zone '{value}'{hint}") from None
    return value


def _clause_text(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, int | float):
        raise ValueError(
            f"clause {value!r} was read as a number; quote it (clause: \"{value}\") so that "
            f"e.g. 2.10 is not read as 2.1"
        )
    return value


class Rule(Model):
    """Fields shared by every rule: a stable id and the clause it encodes."""

    id: Id
    clause: str = Field(
        min_length=1,
        description="Clause of the signed document this rule encodes, e.g. '四.2' or 'Art. 11'.",
    )
    text: str | None = Field(None, description="The clause's own words (verbatim where possible).")

    @field_validator("clause", mode="before")
    @classmethod
    def _clause(cls, value: Any) -> Any:
        return _clause_text(value)


# ---------------------------------------------------------------- identity


class Source(Model):
    """The commitment letter or statute a policy encodes."""

    name: str
    document: str | None = Field(None, description="File or section, e.g. 'seeds/000 篇二'.")
    date_: dt.date | None = Field(None, alias="date", description="Date of the document.")
    parties: tuple[str, ...] = ()
    url: str | None = None
    note: str | None = None


class Effective(Model):
    """The window in which the policy applies (by the claim's anchor date)."""

    from_: date | None = Field(None, alias="from")
    until: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError(f"until ({self.until}) is before from ({self.from_})")
        return self


# ---------------------------------------------------------------- periods


class AnchorEvent(StrEnum):
    """Events an asset's periods can be counted from (fields of ``asset.dates``)."""

    PURCHASE = "purchase"
    INVOICE = "invoice"
    DELIVERY = "delivery"
    RECEIPT = "receipt"
    INSTALLATION = "installation"
    COMMISSIONING = "commissioning"
    ACCEPTANCE = "acceptance"
    COMPLETION = "completion"
    HANDOVER = "handover"
    OPERATION_START = "operation_start"
    PRODUCTION = "production"
    REPLACEMENT = "replacement"
    DISCONTINUATION = "discontinuation"


class Anchor(Model):
    """The date a period counts from.

    Written as an event name (``acceptance``) or a mapping::

        anchor: {event: production, offset: 90 days}          # CN-MP-01
        anchor: {later_of: [invoice, delivery]}                # CN-AUTO-02
        anchor: {event: invoice, fallback: {event: production, offset: 90 days}}
    """

    event: AnchorEvent | None = None
    offset: Duration | None = Field(None, description="Added to the event date.")
    later_of: tuple[AnchorEvent, ...] | None = None
    earlier_of: tuple[AnchorEvent, ...] | None = None
    fallback: Anchor | None = Field(None, description="Used when the event date is unknown.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"event": value}
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Anchor:
        forms = [n for n in ("event", "later_of", "earlier_of") if getattr(self, n) is not None]
        if len(forms) != 1:
            raise ValueError("an anchor is exactly one of: event, later_of, earlier_of")
        if self.offset is not None and self.offset.unit in (
            Unit.WORKING_DAYS,
            Unit.MINUTES,
            Unit.HOURS,
        ):
            raise ValueError("an anchor offset is counted in days, weeks, months or years")
        return self

    def events(self) -> tuple[AnchorEvent, ...]:
        """Events this anchor may read, fallback included."""
        own: tuple[AnchorEvent, ...] = (
            (self.event,) if self.event else (self.later_of or ()) + (self.earlier_of or ())
        )
        return own + (self.fallback.events() if self.fallback else ())


class Length(Model):
    """How long a period lasts.

    * ``"36 months"``, ``"2 years"``, ``"90 days"`` -- a calendar duration;
    * ``lifetime`` -- never ends;
    * ``{seasons: 3, season: beijing-heating}`` -- N seasons (CONV-06);
    * ``{meter: km, limit: 50000}`` -- until a usage meter reaches a limit;
    * ``{first_of: [...]}`` / ``{last_of: [...]}`` -- whichever ends first / last (DT-16);
    * ``{fact: asset.attributes.design_life_years, unit: years}`` -- a length
      taken from the facts (CN-BLD-02 "the design service life").
    """

    duration: Duration | None = None
    lifetime: bool = False
    seasons: int | None = Field(None, ge=1)
    season: str | None = Field(None, description="Name of a season calendar in `seasons`.")
    count_in_progress: bool = Field(
        False, description="Count a season already running at the anchor (CONV-06 flag)."
    )
    meter: str | None = None
    limit: ExactDecimal | None = Field(None, gt=0)
    first_of: tuple[Length, ...] | None = None
    last_of: tuple[Length, ...] | None = None
    fact: str | None = Field(None, pattern=r"^(claim|asset)(\.[A-Za-z_][A-Za-z0-9_]*)+$")
    unit: Unit | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip() == "lifetime":
                return {"lifetime": True}
            return {"duration": value}
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Length:
        forms = []
        if self.duration is not None:
            forms.append("duration")
        if self.lifetime:
            forms.append("lifetime")
        if self.seasons is not None or self.season is not None:
            forms.append("seasons")
            if self.seasons is None or self.season is None:
                raise ValueError("a season length needs both 'seasons' (a count) and 'season'")
        if self.meter is not None or self.limit is not None:
            forms.append("meter")
            if self.meter is None or self.limit is None:
                raise ValueError("a meter length needs both 'meter' and 'limit'")
        if self.first_of is not None:
            forms.append("first_of")
        if self.last_of is not None:
            forms.append("last_of")
        if self.fact is not None:
            forms.append("fact")
            if self.unit is None:
                raise ValueError("a length taken from a fact needs a 'unit'")
        if len(forms) != 1:
            raise ValueError(
                "a length is exactly one of: a duration ('36 months'), lifetime, "
                "seasons, meter, first_of, last_of, fact"
                + (f"; found {', '.join(forms)}" if forms else "")
            )
        for name in ("first_of", "last_of"):
            items = getattr(self, name)
            if items is not None and len(items) < 2:
                raise ValueError(f"'{name}' needs at least two lengths")
        if self.duration is not None and self.duration.unit in (Unit.MINUTES, Unit.HOURS):
            raise ValueError("a coverage period is counted in days, weeks, months or years")
        if self.duration is not None and self.duration.unit is Unit.WORKING_DAYS:
            raise ValueError("a coverage period cannot be counted in working days")
        if self.unit is not None and self.unit in (Unit.MINUTES, Unit.HOURS, Unit.WORKING_DAYS):
            raise ValueError("a length taken from a fact is in days, weeks, months or years")
        if self.unit is not None and self.fact is None:
            raise ValueError("'unit' goes with 'fact'")
        return self

    def describe(self) -> str:
        if self.duration is not None:
            return str(self.duration)
        if self.lifetime:
            return "lifetime"
        if self.seasons is not None:
            return f"{self.seasons} seasons of {self.season}"
        if self.meter is not None:
            return f"{self.limit} {self.meter}"
        if self.first_of is not None:
            return " or ".join(x.describe() for x in self.first_of) + ", whichever first"
        if self.last_of is not None:
            return " or ".join(x.describe() for x in self.last_of) + ", whichever last"
        return f"{self.fact} {self.unit}"


class RollForward(Model):
    """Roll a deadline that ends on a holiday forward (DT-04, DT-08, CONV-07)."""

    mode: Literal["none", "day_after_holiday", "next_working_day"] = "none"
    calendar: str | None = Field(None, description="Business calendar that says what a holiday is.")
    coverage_window: bool = Field(
        False,
        description="Also roll the end of the coverage window (P8). By default only action "
        "deadlines roll; the window in which a failure must occur does not (DT-12).",
    )

    @model_validator(mode="after")
    def _needs_calendar(self) -> RollForward:
        if self.mode != "none" and self.calendar is None:
            raise ValueError(f"roll-forward mode '{self.mode}' needs a 'calendar'")
        return self


class Counting(Model):
    """How periods are counted. Policy-wide defaults; a term may override any field."""

    start_day: Literal["excluded", "included"] = Field(
        "excluded",
        description="Whether the anchor day counts (excluded: PRC Civil Code art. 201, CONV-01).",
    )
    month_end: Literal["clip", "error"] = Field(
        "clip", description="31 Jan + 1 month: clip to 28/29 Feb (DT-03), or report an error."
    )
    extend_by: tuple[Literal["repair_days", "waiting_for_parts_days"], ...] = Field(
        (), description="Time that extends the period (P7, CN-GEN-02), summed and added once."
    )
    restart_on_replacement: bool = Field(
        False, description="A replacement restarts the period (CN-GEN-12, CN-AUTO-19)."
    )
    roll_forward: RollForward = Field(default_factory=RollForward)


class CountingOverride(Model):
    """Per-term overrides of :class:`Counting` (unset fields inherit the policy's)."""

    start_day: Literal["excluded", "included"] | None = None
    month_end: Literal["clip", "error"] | None = None
    extend_by: tuple[Literal["repair_days", "waiting_for_parts_days"], ...] | None = None
    restart_on_replacement: bool | None = None
    roll_forward: RollForward | None = None


class Selector(Model):
    """What a term covers: everything, or products/components matching all given lists."""

    all_: bool = Field(False, alias="all")
    categories: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    components: tuple[str, ...] | None = None
    exclude_components: tuple[str, ...] | None = None
    when: Condition | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "all":
            return {"all": True}
        return value

    @model_validator(mode="after")
    def _something(self) -> Selector:
        narrowed = any(
            x is not None for x in (self.categories, self.models, self.components, self.when)
        )
        if self.all_ and narrowed:
            raise ValueError(
                "'all' can only be combined with exclude_components "
                "(everything except some components)"
            )
        if not self.all_ and not narrowed and self.exclude_components is None:
            raise ValueError(
                "say 'all', or give categories, models, components, exclude_components or when"
            )
        return self


class Warranty(Model):
    """A warranty given by one provider; a policy can carry several (P10)."""

    id: Id
    provider: Literal["vendor", "manufacturer", "statute", "seller", "contractor", "insurer"]
    name: str | None = None
    clause: str | None = None
    text: str | None = None


class CostRule(Model):
    """Who pays one cost line and at what price basis.

    ``payer: vendor`` means free for the customer (``basis`` is then ``free``).
    For a customer-paid line the basis says the price: ``at_cost``,
    ``contract_price_cap`` (at most the contract unit price, C4), ``list_price``,
    ``market_price`` (C5), ``percent_of_price`` (e.g. 15 % of the software price,
    P12/C6), ``discount`` (``percent`` off the list price, C7), ``cap`` (the line
    price, but at most ``cap`` or at most ``percent`` of ``of``: "不超过15%"), or ``by_agreement`` (charged, at a price the letter leaves to be
    agreed: no amount is ever computed). ``vendor_share`` splits a line (the vendor pays that percent,
    the customer the rest at ``basis``).
    """

    payer: Literal[
        "vendor", "customer", "manufacturer", "seller", "repairer", "responsible_party"
    ]
    basis: Literal[
        "free",
        "at_cost",
        "contract_price_cap",
        "list_price",
        "market_price",
        "percent_of_price",
        "discount",
        "cap",
        "by_agreement",
    ] = "free"
    percent: PERCENT | None = None
    of: Literal["asset_price", "software_price", "line_price"] | None = Field(
        None, description="What a percent_of_price is a percentage of."
    )
    cap: Money | None = None
    vendor_share: PERCENT | None = None
    clause: str | None = None
    text: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # "vendor" -> {payer: vendor}; "customer at_cost" -> {payer: customer, basis: at_cost}
        if isinstance(value, str):
            parts = value.split()
            if len(parts) == 1:
                return {"payer": parts[0]}
            if len(parts) == 2:
                return {"payer": parts[0], "basis": parts[1]}
            raise ValueError(f"cannot read {value!r}; write e.g. 'vendor' or 'customer at_cost'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CostRule:
        free_payers = {"vendor", "manufacturer", "seller", "repairer", "responsible_party"}
        if self.payer in free_payers and self.basis != "free" and self.vendor_share is None:
            raise ValueError(
                f"payer '{self.payer}' pays the whole line; its basis must be 'free' "
                f"(use payer: customer for a charged line)"
            )
        if self.payer == "customer" and self.basis == "free":
            raise ValueError("a customer-paid line needs a price basis (at_cost, list_price, ...)")
        if self.vendor_share is not None and self.basis == "free":
            raise ValueError(
                "with vendor_share the customer pays the rest: give that rest's price basis "
                "(e.g. basis: at_cost)"
            )
        if self.basis in ("percent_of_price", "discount") and self.percent is None:
            raise ValueError(f"basis '{self.basis}' needs 'percent'")
        if self.basis == "percent_of_price" and self.of is None:
            raise ValueError("basis 'percent_of_price' needs 'of'")
        if self.basis == "cap":
            by_amount = self.cap is not None
            by_percent = self.percent is not None and self.of is not None
            if by_amount == by_percent:
                raise ValueError(
                    "basis 'cap' needs either 'cap' (an amount) or 'percent' with 'of' "
                    "(at most that share of a price, e.g. upgrades <= 15 % of the software price)"
                )
        if self.percent is not None and self.basis not in ("percent_of_price", "discount", "cap"):
            raise ValueError(f"'percent' does not apply to basis '{self.basis}'")
        return self


CostTable = dict[CostLine, CostRule]


class CostTables(Model):
    """Who pays each cost line in each situation (DOMAIN C1–C8).

    ``covered``: a warranty term covers the failure; ``excluded``: an exclusion
    applies inside the period (C2, C7); ``expired``: no term covers it any more
    (C3–C6). A term or an exclusion may carry its own table, which then wins
    for the lines it names.
    """

    covered: CostTable = Field(default_factory=dict)
    excluded: CostTable = Field(default_factory=dict)
    expired: CostTable = Field(default_factory=dict)


class Term(Rule):
    """A coverage period: what is covered, from which anchor, for how long.

    ``kind`` says what the term grants while it runs:

    * ``warranty`` -- quality defects are repaired free (R1); the claim is *covered*;
    * ``exchange`` -- a defective product is exchanged (P5 "1 year exchange");
    * ``maintenance`` -- maintenance service, usually paid (P9 quality-maintenance period);
    * ``paid_service`` -- service is available, at the term's costs (lifetime service, P14);
    * ``cost_cover`` -- only changes who pays the lines in ``costs`` (P12, P13);
    * ``parts_supply`` -- spare parts stay available (P11).
    """

    kind: Literal[
        "warranty", "exchange", "maintenance", "paid_service", "cost_cover", "parts_supply"
    ] = "warranty"
    warranty: Id | None = Field(None, description="Id of the warranty this term belongs to.")
    covers: Selector = Field(default_factory=lambda: Selector.model_validate("all"))
    anchor: Anchor | None = Field(
        None, description="The date the period counts from; required unless starts_after is given."
    )
    starts_after: Id | None = Field(
        None, description="Start the day after another term ends (P9), instead of at an anchor."
    )
    length: Length
    counting: CountingOverride = Field(default_factory=CountingOverride)
    costs: CostTable = Field(default_factory=dict)
    options: tuple[RemedyOption, ...] = Field(
        (), description="Remedies this term grants for a covered failure (default: repair)."
    )

    model_config = ConfigDict(
        # exactly one start: an anchor date, or the end of another term
        json_schema_extra={"oneOf": [{"required": ["anchor"]}, {"required": ["starts_after"]}]}
    )

    @model_validator(mode="after")
    def _one_start(self) -> Term:
        if self.starts_after is not None and self.anchor is not None:
            raise FieldProblem(
                "anchor", "a term with starts_after takes its start from that term; remove 'anchor'"
            )
        if self.starts_after is None and self.anchor is None:
            raise FieldProblem(
                "anchor",
                "missing 'anchor', the date the period counts from "
                "(or 'starts_after' to start when another term ends)",
                code="missing",
            )
        return self

    @model_validator(mode="after")
    def _costs_fit(self) -> Term:
        if self.kind == "cost_cover" and not self.costs:
            raise ValueError("a cost_cover term needs 'costs'")
        return self


# ---------------------------------------------------------------- exclusions


class Exclusion(Rule):
    """A failure the warranty does not cover; it is still serviced, usually paid (X1–X13)."""

    when: Condition
    outcome: Literal["paid_service", "advice_only", "no_service"] = Field(
        "paid_service",
        description="paid_service (default: excluded failures are still repaired, paid); "
        "advice_only (X11); no_service (X12: the vendor may stop all service).",
    )
    still_provided: tuple[str, ...] = Field(
        (), description="Services still provided free, e.g. data_repair (X11)."
    )
    costs: CostTable = Field(default_factory=dict)
    terms: tuple[Id, ...] | None = Field(None, description="Only for these terms (default: all).")


# ---------------------------------------------------------------- remedies


class RemedyOption(StrEnum):
    REFUND = "refund"
    EXCHANGE = "exchange"
    REPLACE = "replace"
    REPAIR = "repair"
    PAID_REPAIR = "paid_repair"
    ADVICE_ONLY = "advice_only"
    PRICE_REDUCTION = "price_reduction"
    NEW_PRODUCT = "new_product"


class Depreciation(Model):
    """Depreciation charged when the customer refuses an available exchange (CN-GEN-10/11)."""

    daily_rate_percent: dict[str, Annotated[ExactDecimal, Field(gt=0, le=100)]] = Field(
        min_length=1,
        description="Daily rate in percent per product category, e.g. {colour_tv: '0.1'}.",
    )
    days: Literal["invoice_to_return_minus_repairs"] = "invoice_to_return_minus_repairs"


class Window(Model):
    """Days after an anchor: ``after`` (exclusive) up to ``within`` (inclusive, DT-06)."""

    anchor: Anchor = Field(default_factory=lambda: Anchor.model_validate("purchase"))
    after: Duration | None = Field(None, description="Exclusive lower bound ('day 8 onward' = after 7 days).")
    within: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        for d in (self.after, self.within):
            if d is not None and (not d.is_calendar or d.unit is Unit.WORKING_DAYS):
                raise ValueError("a remedy window is counted in days, weeks, months or years")
        if self.after and self.after.unit == self.within.unit and self.after.amount >= self.within.amount:
            raise ValueError(f"'after' ({self.after}) must be shorter than 'within' ({self.within})")
        return self


class RemedyBase(Rule):
    when: Condition | None = Field(None, description="Further condition on the claim facts.")
    options: tuple[RemedyOption, ...] = Field(min_length=1)
    precedence: int | None = Field(
        None,
        description="Higher wins when two remedy rules both match. Two rules that can both "
        "match must have different precedences (checked).",
    )
    replacement: Literal["same_model", "same_brand_model", "no_lower_performance", "new_product"] | None = None
    depreciation: Depreciation | None = None
    compensation: bool = Field(False, description="Losses are compensated too (R10, R11).")
    chosen_by: Literal["customer", "vendor"] = Field(
        "customer", description="Who chooses among the options (CN-GEN-04: the consumer)."
    )
    terms: tuple[Id, ...] | None = Field(None, description="Only while one of these terms applies.")


class PurchaseWindowRemedy(RemedyBase):
    """Refund/exchange/repair choices in the first days after purchase (R3, R4, CN-GEN-04/05)."""

    kind: Literal["purchase_window"]
    window: Window


class RepeatedRepairsRemedy(RemedyBase):
    """Replacement after N failed repairs of the same fault (R2, R5, R6, CN-GEN-06)."""

    kind: Literal["repeated_repairs"]
    count: int = Field(ge=1, description="How many repairs.")
    comparison: Literal["at_least", "more_than"] = Field(
        "at_least", description="'N repairs' = at_least; '超过 N 次' = more_than (DT-06)."
    )
    same: Literal["fault", "component", "fault_and_component", "any"] = "fault"
    consecutive: bool = Field(False, description="Count only an unbroken run of repairs.")
    still_failing: bool = Field(True, description="The fault persists after the last repair.")
    within: Duration | None = Field(None, description="Repairs inside this period from `anchor`.")
    anchor: Anchor | None = None
    components: tuple[str, ...] | None = Field(None, description="Only these components (main parts).")


class UnrepairedRemedy(RemedyBase):
    """Replacement when the unit stays unrepaired too long (R6, CN-GEN-07/08)."""

    kind: Literal["unrepaired"]
    more_than: Duration | None = None
    at_least: Duration | None = None
    counted_from: Literal["report", "handed_over"] = "report"
    cause: Literal["parts_unavailable", "repairer", "any"] = "any"
    borne_by: Literal["vendor", "seller", "repairer", "manufacturer"] | None = None
    within: Duration | None = Field(None, description="Only while the failure is this young.")
    anchor: Anchor | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> UnrepairedRemedy:
        if (self.more_than is None) == (self.at_least is None):
            raise ValueError("give exactly one of 'more_than' or 'at_least'")
        return self


class LoanerRemedy(RemedyBase):
    """A loaner, backup unit or spare part after N hours unresolved (R7, R8, CN-AUTO-06)."""

    kind: Literal["loaner"]
    after: Duration = Field(description="Unresolved for longer than this since the report.")
    calendar: str | None = Field(None, description="Business calendar the hours run on (default 7x24).")
    provides: Literal["loaner", "backup_unit", "spare_part_on_site", "transport_compensation"] = "loaner"
    deliver_within: Duration | None = Field(None, description="e.g. spare part on site within 4 hours (R8).")
    options: tuple[RemedyOption, ...] = (RemedyOption.REPAIR,)

    @model_validator(mode="after")
    def _loaner_fields(self) -> LoanerRemedy:
        for name in ("after", "deliver_within"):
            d = getattr(self, name)
            if d is not None and d.unit not in (Unit.MINUTES, Unit.HOURS, Unit.DAYS):
                raise ValueError(f"'{name}' of a loaner rule is counted in minutes, hours or days")
        for name in ("precedence", "replacement", "depreciation"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"'{name}' does not apply to a loaner rule: loaners are an extra "
                    f"obligation beside the remedy, not a competing remedy"
                )
        return self


class OutOfBoxRemedy(RemedyBase):
    """Defect found when the box is opened (R9)."""

    kind: Literal["out_of_box"]
    within: Duration | None = Field(None, description="Reported within this long of delivery.")
    anchor: Anchor | None = None


class AbnormalLifeRemedy(RemedyBase):
    """A part failing far earlier than its normal life, after the warranty (R10)."""

    kind: Literal["abnormal_life"]
    requires_certification: bool = True
    after_warranty_only: bool = True


RemedyRule = Annotated[
    PurchaseWindowRemedy
    | RepeatedRepairsRemedy
    | UnrepairedRemedy
    | LoanerRemedy
    | OutOfBoxRemedy
    | AbnormalLifeRemedy,
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- calendars and seasons

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_interval(text: str) -> tuple[time, time]:
    """``"09:00-17:00"`` -> (09:00, 17:00); ``"22:00-06:00"`` crosses midnight; 24:00 allowed as an end."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"cannot read {text!r} as a working interval; write e.g. '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text!r} is not a valid time interval")
    if (h1, m1) == (h2 % 24, m2) and h2 != 24:
        raise ValueError(f"{text!r} is empty; use '00:00-24:00' for a whole day")
    end = time(0, 0) if h2 == 24 else time(h2, m2)
    return time(h1, m1), end


def parse_weekdays(text: str) -> tuple[int, ...]:
    """``"mon-fri"`` -> (0..4); ``"sat"`` -> (5,); ``"mon,wed"``; ``"daily"`` -> all."""
    key = text.strip().lower()
    if key in ("daily", "every_day", "mon-sun"):
        return tuple(range(7))
    out: list[int] = []
    for part in key.split(","):
        part = part.strip()
        if "-" in part:
            a, b = (p.strip() for p in part.split("-", 1))
            if a not in _WEEKDAYS or b not in _WEEKDAYS:
                raise ValueError(f"unknown weekday range {part!r}; use mon..sun")
            i, j = _WEEKDAYS.index(a), _WEEKDAYS.index(b)
            if j < i:
                raise ValueError(f"weekday range {part!r} runs backwards")
            out.extend(range(i, j + 1))
        elif part in _WEEKDAYS:
            out.append(_WEEKDAYS.index(part))
        else:
            raise ValueError(f"unknown weekday {part!r}; use mon, tue, ... sun, or ranges mon-fri")
    return tuple(sorted(set(out)))


class HolidaySource(Model):
    """Public holidays from the ``holidays`` package."""

    country: str = Field(min_length=2, max_length=3, description="ISO country code, e.g. CN, US, DE.")
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known(self) -> HolidaySource:
        import holidays

        supported = holidays.list_supported_countries()
        if self.country not in supported:
            import difflib

            close = difflib.get_close_matches(self.country.upper(), list(supported), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"no holiday data for country '{self.country}'{hint}")
        subdivisions = supported[self.country]
        if self.subdivision is not None and self.subdivision not in subdivisions:
            raise ValueError(
                f"unknown subdivision '{self.subdivision}' of {self.country}; "
                f"known: {', '.join(subdivisions[:20])}{' ...' if len(subdivisions) > 20 else ''}"
            )
        return self


class BusinessCalendarSpec(Model):
    """A named business calendar: zone, working hours, holidays (S12, DT-09).

    ``preset`` gives the working hours: ``7x24`` (always open), ``5x8``
    (Mon–Fri 09:00–17:00 on working days) or ``7x8`` (every day 09:00–17:00);
    ``hours`` lists them explicitly instead, per weekday range::

        hours:
          mon-fri: ["08:30-12:00", "13:30-17:30"]
          sat: ["09:00-12:00"]
    """

    timezone: str | None = Field(None, description="IANA zone; default: the policy's timezone.")
    preset: Literal["7x24", "5x8", "7x8"] | None = None
    hours: dict[str, tuple[str, ...]] | None = None
    holidays: HolidaySource | None = Field(None, description="Public holidays; none if absent.")
    extra_holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    trusted_years: tuple[int, int] | None = Field(
        None, description="[first, last] year whose holiday data is trusted; later deadlines warn."
    )
    text: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]] | None:
        if value is None:
            return None
        seen: set[int] = set()
        for days, intervals in value.items():
            numbers = parse_weekdays(days)
            overlap = seen.intersection(numbers)
            if overlap:
                raise ValueError(f"weekday {_WEEKDAYS[min(overlap)]} is given twice")
            seen.update(numbers)
            for interval in intervals:
                parse_interval(interval)
        return value

    @model_validator(mode="after")
    def _one_hours(self) -> BusinessCalendarSpec:
        if (self.preset is None) == (self.hours is None):
            raise ValueError("give exactly one of 'preset' or 'hours'")
        if self.trusted_years and self.trusted_years[1] < self.trusted_years[0]:
            raise ValueError("trusted_years must be [first, last]")
        return self

    def weekly(self) -> dict[int, tuple[tuple[time, time], ...]]:
        """Working intervals per weekday (0 = Monday)."""
        if self.hours is None:
            preset = {
                "7x24": (range(7), ("00:00-24:00",)),
                "5x8": (range(5), ("09:00-17:00",)),
                "7x8": (range(7), ("09:00-17:00",)),
            }[self.preset or "7x24"]
            days, intervals = preset
            return {d: tuple(parse_interval(i) for i in intervals) for d in days}
        out: dict[int, tuple[tuple[time, time], ...]] = {}
        for names, listed in self.hours.items():
            for d in parse_weekdays(names):
                out[d] = tuple(parse_interval(i) for i in listed)
        return out


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def parse_month_day(text: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text.strip())
    if not match:
        raise ValueError(f"cannot read {text!r} as a month-day; write e.g. '11-15'")
    month, day = int(match.group(1)), int(match.group(2))
    limits = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
    if month not in limits or not 1 <= day <= limits[month]:
        raise ValueError(f"{text!r} is not a valid month-day")
    return month, day


class SeasonAdjustment(Model):
    """A one-off change of one season's dates (Beijing 2021/22 heating ended 22 March)."""

    season_starting: int = Field(description="Year in which the adjusted season starts.")
    start: date | None = None
    end: date | None = None
    source: str | None = None


class SeasonSpec(Model):
    """A yearly window, inclusive on both ends, that may cross New Year (CN-BLD-11)."""

    start: str = Field(description="Month-day the season starts, e.g. '11-15'.")
    end: str = Field(description="Month-day the season ends (inclusive), e.g. '03-15'.")
    adjustments: tuple[SeasonAdjustment, ...] = ()
    source: str | None = None
    text: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _md(cls, value: str) -> str:
        parse_month_day(value)
        return value


# ---------------------------------------------------------------- SLA


class Severity(Model):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="e.g. 1, A, critical")]
    name: str | None = None
    text: str | None = None


class SeverityRule(Model):
    """Severity classification from ticket facts (S1). The most severe matching level wins."""

    level: str
    clause: str
    when: Condition
    text: str | None = None

    @field_validator("clause", mode="before")
    @classmethod
    def _clause(cls, value: Any) -> Any:
        return _clause_text(value)


class Target(Model):
    """One target of a metric, for a severity × channel × region cell."""

    severity: tuple[str, ...] | None = Field(None, description="Levels (default: all).")
    channel: tuple[str, ...] | None = Field(None, description="Channels (default: all).")
    region: tuple[str, ...] | None = Field(None, description="Regions (default: all).")
    within: Duration
    clause: str | None = None
    text: str | None = None

    @field_validator("severity", "channel", "region", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, str | int):
            return (str(value),)
        if isinstance(value, list | tuple):
            return tuple(str(v) for v in value)
        return value


class Metric(Rule):
    """An SLA clock: from a start event to a stop event, within a target (S2–S11, S15, R7)."""

    kind: Literal[
        "response",
        "feedback",
        "solution",
        "arrival",
        "resolution",
        "parts_replacement",
        "report",
        "loaner",
    ]
    starts: str = Field(
        "opened",
        description="Event that starts the clock: opened, or escalated:<channel> (S14), "
        "or another event type such as resolved (report after the fix).",
    )
    stops: str = Field(description="Event type that stops the clock, e.g. responded, arrived.")
    ends_on: tuple[str, ...] = Field(
        (),
        description="Events that end this clock without meeting or breaching it, e.g. "
        "escalated:remote for a phone-resolution target (S14).",
    )
    calendar: str = Field("7x24", description="Business calendar the clock runs on (S12).")
    targets: tuple[Target, ...] = Field(min_length=1)
    at_risk_percent: tuple[Annotated[ExactDecimal, Field(gt=0, lt=100)], ...] = Field(
        (), description="Warn when this share of the target is used, e.g. [75]."
    )
    obligation: bool = Field(
        False,
        description="The metric is an obligation that falls due if the stop event has not "
        "happened (loaner after 48 h, R7), rather than a target to meet.",
    )


class PauseReason(Model):
    """A reason a clock pauses (S13), and which metrics it stops."""

    id: Id
    clause: str
    stops: tuple[str, ...] | Literal["all"] = "all"
    text: str | None = None

    @field_validator("clause", mode="before")
    @classmethod
    def _clause(cls, value: Any) -> Any:
        return _clause_text(value)


class EscalationStep(Model):
    """One step of the escalation path (S14)."""

    channel: str
    after: Duration | None = Field(None, description="Escalate when unresolved this long in the previous step.")
    calendar: str = Field("7x24", description="Business calendar the 'after' timer runs on (S12).")
    clause: str | None = None
    text: str | None = None

    @field_validator("clause", mode="before")
    @classmethod
    def _clause(cls, value: Any) -> Any:
        return _clause_text(value)


class SlaSpec(Model):
    """Service-level commitments on tickets (S1–S15).

    ``severities`` are listed most severe first; when several
    ``severity_rules`` match a ticket, the most severe level wins.
    """

    clause: str | None = None
    severities: tuple[Severity, ...] = Field(min_length=1)
    severity_rules: tuple[SeverityRule, ...] = ()
    default_severity: str | None = None
    on_severity_change: Literal["from_open", "from_change"] = "from_open"
    channels: tuple[str, ...] = ("phone", "remote", "on_site")
    regions: tuple[str, ...] = ()
    pause_reasons: tuple[PauseReason, ...] = ()
    escalation: tuple[EscalationStep, ...] = ()
    metrics: tuple[Metric, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SlaSpec:
        for label, ids in (
            ("severity", [s.id for s in self.severities]),
            ("pause reason", [r.id for r in self.pause_reasons]),
            ("channel", list(self.channels)),
            ("region", list(self.regions)),
        ):
            seen: set[str] = set()
            for one in ids:
                if one in seen:
                    raise ValueError(f"{label} '{one}' is listed twice")
                seen.add(one)
        return self


# ---------------------------------------------------------------- schedule


class Phase(Model):
    """One phase of a phased recurrence (M5: every 2 weeks for 3 months, then monthly)."""

    every: Duration
    for_: Duration | None = Field(None, alias="for", description="Length of the phase; open-ended if absent.")


class ScheduleRule(Rule):
    """An obligation without a ticket (M1–M9, P11, S15).

    Exactly one recurrence form:

    * ``every: 3 months`` from the anchor (M4, M7, M8);
    * ``times_per_year: 2`` (one in each equal part of every year from the anchor; M6, M8);
    * ``season`` + ``at: start|end`` (M2, M3) or ``season`` + ``every`` (M1: every 2 months in season);
    * ``phases`` (M5);
    * ``once`` -- a single deadline ``within`` a duration of the anchor (M6 card, M9 records, P11).
    """

    kind: Literal[
        "inspection",
        "maintenance",
        "visit",
        "phone_visit",
        "report",
        "training",
        "document",
        "record_retention",
        "parts_availability",
        "announcement",
    ]
    anchor: Anchor
    every: Duration | None = None
    times_per_year: int | None = Field(None, ge=1, le=366)
    season: str | None = None
    at: Literal["start", "end"] | None = None
    offset: Duration | None = Field(None, description="Shift from the season edge (negative not allowed; use before).")
    before: bool = Field(False, description="The offset is before the season edge (pre-start check).")
    phases: tuple[Phase, ...] | None = None
    once: bool = False
    within: Duration | None = Field(None, description="once: due within this long of the anchor; "
                                    "also 'first within' for recurring rules (M6).")
    until: Duration | None = Field(None, description="Obligation ends this long after the anchor.")
    until_term: Id | None = Field(None, description="Obligation ends with this term.")
    window_before: Duration | None = Field(None, description="May be done this early.")
    window_after: Duration | None = Field(None, description="May be done this late (grace).")
    holidays: Literal["none", "next_working_day", "previous_working_day"] = "none"
    calendar: str | None = None
    covers: Selector | None = Field(
        None, description="Only for assets matching this selector (e.g. wooden furniture)."
    )

    @model_validator(mode="after")
    def _one_form(self) -> ScheduleRule:
        forms = []
        if self.once:
            forms.append("once")
        if self.phases is not None:
            forms.append("phases")
        if self.times_per_year is not None:
            forms.append("times_per_year")
        if self.season is not None:
            forms.append("season")
        elif self.every is not None:
            forms.append("every")
        if len(forms) != 1:
            raise ValueError(
                "a schedule rule has exactly one recurrence: every, times_per_year, season "
                "(with at or every), phases, or once"
                + (f"; found {', '.join(forms)}" if forms else "")
            )
        if self.season is not None and (self.at is None) == (self.every is None):
            raise ValueError("a season recurrence needs exactly one of 'at' or 'every'")
        if self.at is not None and self.season is None:
            raise ValueError("'at' needs a 'season'")
        if self.once and self.within is None:
            raise ValueError("a one-off obligation needs 'within'")
        if self.holidays != "none" and self.calendar is None:
            raise ValueError("moving obligations off holidays needs a 'calendar'")
        clock = (Unit.MINUTES, Unit.HOURS)
        for name in ("every", "offset", "within", "until", "window_before", "window_after"):
            d = getattr(self, name)
            if d is not None and d.unit in clock:
                raise ValueError(f"'{name}' of a schedule rule is counted in days or longer units")
        if (self.offset is not None or self.before) and self.at is None:
            raise ValueError("'offset' and 'before' shift a season edge: they need 'season' and 'at'")
        for i, phase in enumerate(self.phases or ()):
            if phase.every.unit in clock or phase.every.unit is Unit.WORKING_DAYS:
                raise ValueError(f"phase {i}: 'every' is counted in days, weeks, months or years")
            if phase.for_ is None and i != len(self.phases or ()) - 1:
                raise ValueError(f"phase {i} has no 'for': only the last phase may be open-ended")
        if self.season is not None and self.every is not None and self.every.unit is Unit.WORKING_DAYS:
            raise ValueError("'every' within a season cannot be counted in working days")
        return self


# ---------------------------------------------------------------- the document


class PolicyDocument(Model):
    """A whole policy file (after ``extends``/``include`` are resolved)."""

    schema_: str | None = Field(None, alias="$schema", description="Optional JSON Schema hint.")
    id: Id
    version: str = Field(description="Semantic version of this policy, e.g. 1.2.0.")
    title: str
    source: Source
    effective: Effective = Field(default_factory=Effective)
    timezone: str = Field(description="Default IANA time zone, e.g. Asia/Shanghai.")
    extends: str | None = Field(None, description="Path of a template policy this one builds on.")
    include: tuple[str, ...] = Field((), description="Files with shared calendars and seasons.")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    counting: Counting = Field(default_factory=Counting)
    cause_codes: tuple[str, ...] | None = Field(
        None, description="Closed list of cause codes; claims with others are rejected."
    )
    warranties: tuple[Warranty, ...] = ()
    warranty_choice: Literal["customer_choice", "all_apply"] = Field(
        "all_apply",
        description="customer_choice: the customer may take the more favourable warranty (P10).",
    )
    terms: tuple[Term, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    remedies: tuple[RemedyRule, ...] = ()
    costs: CostTables = Field(default_factory=CostTables)
    sla: SlaSpec | None = None
    calendars: dict[str, BusinessCalendarSpec] = Field(default_factory=dict)
    seasons: dict[str, SeasonSpec] = Field(default_factory=dict)
    schedule: tuple[ScheduleRule, ...] = ()
    notes: str | None = None

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER.match(value):
            raise ValueError(f"version {value!r} is not a semantic version such as 1.0.0")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("calendars", "seasons")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not re.match(ID_PATTERN, name):
                raise ValueError(f"name {name!r} must be a lower-case id (letters, digits, - _ .)")
        return value


Anchor.model_rebuild()
Length.model_rebuild()
Term.model_rebuild()
PolicyDocument.model_rebuild()
