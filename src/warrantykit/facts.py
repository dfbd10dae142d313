"""Facts: what the engine is told about an asset, a warranty claim or a service ticket.

These are the boundary models. They accept plain dicts and JSON, validate
strictly (unknown fields, naive datetimes, impossible orders are errors) and
become plain immutable data inside the engine. Use :func:`parse_facts` to get a
:class:`~warrantykit.errors.FactsError` naming the field path instead of a
pydantic ``ValidationError``.

Every field a policy condition may name (``claim.cause_codes``,
``asset.category``, ``ticket.outage_minutes``, ``claim.attributes.anything``)
is a field of these models; ``warrantykit check`` rejects conditions on any
other path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from warrantykit.errors import FactsError, Problem
from warrantykit.money import Money

__all__ = [
    "Asset",
    "AssetDates",
    "Claim",
    "CostLine",
    "Evidence",
    "FactsModel",
    "PerformedWork",
    "RepairRecord",
    "Ticket",
    "TicketEvent",
    "TicketEventType",
    "WarrantyCard",
    "parse_facts",
]


class FactsModel(BaseModel):
    """Base of all fact models: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


Party = Literal[
    "vendor", "manufacturer", "authorised_repairer", "customer", "third_party", "nobody"
]


class CostLine(StrEnum):
    """The cost lines a policy assigns a payer to (DOMAIN C1–C8)."""

    PARTS = "parts"
    LABOUR = "labour"
    CALL_OUT = "call_out"
    TRAVEL = "travel"
    TRANSPORT = "transport"
    SOFTWARE_UPGRADE = "software_upgrade"


def _nonnegative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("meter readings cannot be negative")
    return value


Meter = Annotated[Decimal, AfterValidator(_nonnegative)]


class AssetDates(FactsModel):
    """Dated events in an asset's life; terms count their periods from one of them."""

    purchase: date | None = Field(None, description="Sale date (CN-GEN-04 '售出').")
    invoice: date | None = Field(None, description="Invoice date (CN-GEN-02).")
    delivery: date | None = None
    receipt: date | None = Field(None, description="Date the customer signed for the goods.")
    installation: date | None = None
    commissioning: date | None = Field(None, description="Commissioning / 调试.")
    acceptance: date | None = Field(None, description="Acceptance / 验收 (CN-BLD-03).")
    completion: date | None = Field(None, description="Project completion / 竣工.")
    handover: date | None = None
    operation_start: date | None = Field(None, description="Formal start of operation.")
    production: date | None = Field(None, description="Manufacturing date (CN-MP-01).")
    replacement: date | None = Field(
        None, description="Date the unit was last replaced under warranty (restarts periods)."
    )
    discontinuation: date | None = Field(None, description="Date the model was discontinued (P11).")


class Asset(FactsModel):
    """The product, installation or project a claim or schedule is about."""

    id: str | None = None
    serial: str | None = None
    brand: str | None = None
    model: str | None = None
    category: str | None = Field(None, description="Product category, e.g. 'colour_tv'.")
    components: tuple[str, ...] = ()
    price: Money | None = Field(None, description="Invoice price of the unit.")
    software_price: Money | None = None
    contract_unit_prices: dict[str, Money] = Field(
        default_factory=dict, description="Contract unit price per part (C4 cap)."
    )
    dates: AssetDates = Field(default_factory=AssetDates)
    meters: dict[str, Meter] = Field(
        default_factory=dict, description="Current usage readings, e.g. {'km': 12000}."
    )
    region: str | None = None
    site: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class WarrantyCard(FactsModel):
    """The warranty certificate (保修凭证 / 三包凭证), X4 and CN-GEN-14."""

    present: bool | None = None
    matches_unit: bool | None = Field(
        None, description="Name, model and serial on the card match the unit."
    )
    altered: bool | None = None


class Evidence(FactsModel):
    """What the customer can show and what was done to the unit."""

    invoice_present: bool | None = None
    warranty_card: WarrantyCard = Field(default_factory=WarrantyCard)
    opened_by: Party | None = Field(None, description="Who opened or disassembled the unit.")
    modified_by: Party | None = Field(None, description="Who modified wiring, parts or software.")
    repair_records_present: bool | None = None
    licensed_copy: bool | None = Field(None, description="Software is a licensed copy (X12).")
    paid_up: bool | None = Field(None, description="The customer has paid what is due (X12).")


class RepairRecord(FactsModel):
    """One earlier repair of the unit (for R2/R5/R6 and period extension P7)."""

    fault_code: str | None = None
    component: str | None = None
    handed_over: date = Field(description="Date the unit was handed over for repair.")
    returned: date | None = Field(None, description="Date returned; None while still in repair.")
    waiting_for_parts_days: int = Field(0, ge=0)
    fixed: bool | None = Field(None, description="The fault was gone after this repair.")
    authorised_repairer: bool = True
    delay_caused_by: Literal["repairer", "parts_supply", "customer", "force_majeure"] | None = None
    parts_replaced: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> RepairRecord:
        if self.returned is not None and self.returned < self.handed_over:
            raise ValueError(
                f"returned ({self.returned}) is before handed_over ({self.handed_over})"
            )
        return self


class Claim(FactsModel):
    """A warranty claim: a failure of an asset reported on a date."""

    id: str | None = None
    asset: Asset
    failure_date: date | None = Field(None, description="When the failure occurred.")
    reported_at: AwareDatetime | None = Field(None, description="When the failure was reported.")
    resolved_at: AwareDatetime | None = None
    component: str | None = None
    fault_code: str | None = None
    fault_kind: Literal["quality", "performance", "cosmetic", "software", "data", "other"] | None = (
        None
    )
    quality_defect: bool | None = Field(
        None, description="A quality (non-human-caused) defect, X13."
    )
    out_of_box: bool | None = Field(None, description="Found when the box was opened (R9).")
    consumable: bool | None = Field(None, description="The failed part is a consumable (X9).")
    cause_codes: tuple[str, ...] = ()
    environment: str | None = None
    abnormal_life_certified: bool | None = Field(
        None, description="An authority certified abnormally short part life (R10)."
    )
    same_model_available: bool | None = None
    customer_choice: str | None = Field(None, description="The remedy the customer chose, if any.")
    return_date: date | None = Field(None, description="Date of return, for depreciation (CN-GEN-10).")
    meters: dict[str, Meter] = Field(default_factory=dict, description="Readings at failure.")
    evidence: Evidence = Field(default_factory=Evidence)
    repairs: tuple[RepairRecord, ...] = ()
    prices: dict[CostLine, Money] = Field(
        default_factory=dict, description="Known prices per cost line, to compute amounts."
    )
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Claim:
        if self.reported_at and self.resolved_at and self.resolved_at < self.reported_at:
            raise ValueError("resolved_at is before reported_at")
        return self


class TicketEventType(StrEnum):
    RESPONDED = "responded"
    FEEDBACK = "feedback"
    SOLUTION = "solution"
    ESCALATED = "escalated"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    PARTS_REPLACED = "parts_replaced"
    REPORT_DELIVERED = "report_delivered"
    LOANER_PROVIDED = "loaner_provided"
    PAUSED = "paused"
    RESUMED = "resumed"
    SEVERITY_CHANGED = "severity_changed"
    REOPENED = "reopened"


class TicketEvent(FactsModel):
    """One entry of a ticket's event log."""

    type: TicketEventType
    at: AwareDatetime
    reason: str | None = Field(None, description="Pause reason (paused/resumed).")
    to: str | None = Field(None, description="Escalation target channel (escalated).")
    severity: str | None = Field(None, description="New severity (severity_changed).")
    note: str | None = None


class Ticket(FactsModel):
    """A service ticket and its event log (SLA clocks, S1–S15)."""

    id: str | None = None
    opened_at: AwareDatetime
    channel: str | None = Field(None, description="phone, remote, on_site, ...")
    region: str | None = None
    site: str | None = None
    severity: str | None = Field(None, description="Given severity; else classified from facts.")
    system_paralysed: bool | None = None
    business_interrupted: bool | None = None
    outage_minutes: Decimal | None = Field(None, ge=0)
    critical_data_lost: bool | None = None
    performance_degraded: bool | None = None
    risk_of_paralysis: bool | None = None
    function_affected: bool | None = None
    critical_business_affected: bool | None = None
    users_affected: int | None = Field(None, ge=0)
    hardware_fault: bool | None = None
    main_equipment: bool | None = None
    request_kind: str | None = Field(None, description="e.g. fault, parameter_change, new_function")
    events: tuple[TicketEvent, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)


class PerformedWork(FactsModel):
    """A piece of scheduled work that was done (for schedule status)."""

    obligation: str = Field(description="Id of the schedule rule it fulfils.")
    on: date
    note: str | None = None


M = TypeVar("M", bound=BaseModel)


def _loc_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err.get("type") == "timezone_aware":
        msg = "naive datetime: give a UTC offset (e.g. 2024-05-01T09:00:00+08:00)"
    return msg


def problems_from_validation(exc: ValidationError, prefix: str) -> list[Problem]:
    """Translate a pydantic error into located problems with field paths."""
    return [
        Problem(
            message=_message(err),
            path=_loc_path(prefix, tuple(err["loc"])),
            code=str(err.get("type", "invalid")),
        )
        for err in exc.errors()
    ]


def parse_facts(model: type[M], data: Any, *, name: str | None = None) -> M:
    """Validate ``data`` (a dict, a model instance, or JSON text) as ``model``.

    Raises :class:`FactsError` whose problems name the field path, e.g.
    ``claim.repairs[1]: returned (2024-01-02) is before handed_over (2024-01-05)``.
    """
    prefix = name if name is not None else model.__name__.lower()
    if isinstance(data, model):
        return data
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        raise FactsError(problems_from_validation(exc, prefix)) from None
