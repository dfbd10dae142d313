"""The result of :meth:`Policy.evaluate <warrantykit.engine.compiled.Policy.evaluate>`.

Plain frozen data: a :class:`ClaimDecision` holds the status of a warranty
claim, the windows of every term that applies to it, the matched exclusions,
the remedy owed, loaner obligations, who pays each cost line, the outcome
under another warranty the customer could choose, warnings, and the ordered
:class:`~warrantykit.engine.reasons.Reason` records that produced all of it.

Renderings (shape documented field by field in ``docs/decisions.md``):

* :meth:`ClaimDecision.to_json` -- a JSON-ready dict, stable shape
  ``warrantykit.claim-decision/1``, including the policy identity, ``as_of``
  and the claim facts so the decision can be replayed;
* :meth:`ClaimDecision.from_json` -- the inverse (``from_json(d.to_json()) == d``);
* :meth:`ClaimDecision.explain` -- plain text for people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Literal, TypeVar

from warrantykit.engine.reasons import Reason
from warrantykit.errors import FactsError, Problem
from warrantykit.facts import Claim, parse_facts
from warrantykit.money import Money

__all__ = [
    "JSON_SCHEMA_ID",
    "OPTION_RANK",
    "STATUSES",
    "STATUS_RANK",
    "ClaimDecision",
    "CostEntry",
    "DepreciationCharge",
    "ExclusionMatch",
    "Loaner",
    "MeterStatus",
    "Outcome",
    "PolicyRef",
    "Remedy",
    "Status",
    "TermWindow",
    "fast_maker",
]

T = TypeVar("T")

JSON_SCHEMA_ID: Final = "warrantykit.claim-decision/1"
"""Value of the ``schema`` key of :meth:`ClaimDecision.to_json`; bumped on a breaking change."""

Status = Literal["covered", "excluded", "expired", "not_applicable", "undetermined"]
STATUSES: Final[tuple[str, ...]] = (
    "covered",
    "excluded",
    "expired",
    "not_applicable",
    "undetermined",
)

STATUS_RANK: Final[dict[str, int]] = {
    "covered": 4,
    "excluded": 3,
    "expired": 2,
    "not_applicable": 1,
    "undetermined": 0,
}
"""How favourable a status is to the customer (P10: covered > excluded > expired)."""

OPTION_RANK: Final[dict[str, int]] = {
    "refund": 8,
    "new_product": 7,
    "exchange": 6,
    "replace": 5,
    "price_reduction": 4,
    "repair": 3,
    "paid_repair": 2,
    "advice_only": 1,
}
"""How favourable a remedy option is (refund > exchange > replace > repair > paid_repair > advice_only)."""


# ---------------------------------------------------------------- helpers


def _d(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _pd(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _pdt(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _pdec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _money(value: Money | None) -> str | None:
    return None if value is None else f"{value.amount} {value.currency}"


def _pmoney(value: Any) -> Money | None:
    return None if value is None else Money.model_validate(value)


def fast_maker(cls: type[T]) -> Callable[..., T]:
    """A constructor taking every field positionally, in declaration order, for a frozen
    dataclass *without* slots: it fills the instance ``__dict__`` in one step instead of
    one ``object.__setattr__`` per field (the engine builds many of these per claim).
    The result is indistinguishable from one built by ``cls(...)``."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__
    width = len(names)

    def make(*values: Any) -> T:
        if len(values) != width:
            raise TypeError(f"{cls.__name__} needs {width} values, got {len(values)}")
        obj = new(cls)
        obj.__dict__.update(zip(names, values, strict=True))
        return obj

    return make


# ---------------------------------------------------------------- parts


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """The policy a decision was made under: identity, content hash, main file."""

    id: str
    version: str
    content_hash: str
    file: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
            "file": self.file,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolicyRef:
        return cls(
            id=str(data["id"]),
            version=str(data["version"]),
            content_hash=str(data["content_hash"]),
            file=data.get("file"),
        )


@dataclass(frozen=True, slots=True)
class MeterStatus:
    """A usage limit of a term (``{meter: km, limit: 60000}``) against the claim's reading."""

    meter: str
    limit: Decimal
    reading: Decimal | None
    within: bool | None
    """``reading <= limit``; ``None`` when the reading is unknown."""

    def to_json(self) -> dict[str, Any]:
        return {
            "meter": self.meter,
            "limit": _dec(self.limit),
            "reading": _dec(self.reading),
            "within": self.within,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MeterStatus:
        limit = _pdec(data["limit"])
        assert limit is not None
        return cls(
            meter=str(data["meter"]),
            limit=limit,
            reading=_pdec(data.get("reading")),
            within=data.get("within"),
        )


@dataclass(frozen=True)
class TermWindow:
    """The window of one term that applies to the claimed component or unit."""

    id: str
    kind: str
    warranty: str | None
    clause: str
    length: str
    """The length as written (``36 months``, ``3 seasons of beijing-heating``)."""
    anchor: str
    """How the start was found, e.g. ``acceptance 2024-01-15``."""
    start: date | None
    """First day of the window (the anchor day, or the day after a preceding term)."""
    original_end: date | None
    """Last day before extension and roll-forward (``None``: lifetime, meter-only or unknown)."""
    extension_days: int
    """Repair/waiting days added (P7, CONV-04)."""
    end: date | None
    """Last day after extension and roll-forward; ``None`` for lifetime (or unknown)."""
    rolled_from: date | None
    """The extended end before a holiday roll-forward moved it (P8), else ``None``."""
    lifetime: bool
    applies: bool | None
    """The term's ``covers`` selector matches the claim (``None``: unknown)."""
    inside: bool | None
    """The failure date is inside the window and within every meter limit (``None``: unknown)."""
    in_effect: bool
    """The term's start lies inside the policy's ``effective`` window."""
    meters: tuple[MeterStatus, ...] = ()
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "warranty": self.warranty,
            "clause": self.clause,
            "length": self.length,
            "anchor": self.anchor,
            "start": _d(self.start),
            "original_end": _d(self.original_end),
            "extension_days": self.extension_days,
            "end": _d(self.end),
            "rolled_from": _d(self.rolled_from),
            "lifetime": self.lifetime,
            "applies": self.applies,
            "inside": self.inside,
            "in_effect": self.in_effect,
            "meters": [m.to_json() for m in self.meters],
            "missing": list(self.missing),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TermWindow:
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            warranty=data.get("warranty"),
            clause=str(data["clause"]),
            length=str(data["length"]),
            anchor=str(data["anchor"]),
            start=_pd(data.get("start")),
            original_end=_pd(data.get("original_end")),
            extension_days=int(data["extension_days"]),
            end=_pd(data.get("end")),
            rolled_from=_pd(data.get("rolled_from")),
            lifetime=bool(data["lifetime"]),
            applies=data.get("applies"),
            inside=data.get("inside"),
            in_effect=bool(data.get("in_effect", True)),
            meters=tuple(MeterStatus.from_json(m) for m in data.get("meters", ())),
            missing=tuple(data.get("missing", ())),
        )


@dataclass(frozen=True, slots=True)
class ExclusionMatch:
    """An exclusion whose condition holds for the claim (X1-X13)."""

    id: str
    clause: str
    outcome: str
    """paid_service, advice_only or no_service."""
    still_provided: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clause": self.clause,
            "outcome": self.outcome,
            "still_provided": list(self.still_provided),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExclusionMatch:
        return cls(
            id=str(data["id"]),
            clause=str(data["clause"]),
            outcome=str(data["outcome"]),
            still_provided=tuple(data.get("still_provided", ())),
        )


@dataclass(frozen=True, slots=True)
class DepreciationCharge:
    """Depreciation on a return after refusing an available exchange (CN-GEN-10/11, CONV-05)."""

    days: int
    """Days used: return date - invoice date - repair and waiting days."""
    daily_rate_percent: Decimal
    amount: Money | None
    """price x rate x days, quantized half-even to the cent (at most the price)."""
    refund: Money | None
    """price - amount."""

    def to_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "daily_rate_percent": _dec(self.daily_rate_percent),
            "amount": _money(self.amount),
            "refund": _money(self.refund),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DepreciationCharge:
        rate = _pdec(data["daily_rate_percent"])
        assert rate is not None
        return cls(
            days=int(data["days"]),
            daily_rate_percent=rate,
            amount=_pmoney(data.get("amount")),
            refund=_pmoney(data.get("refund")),
        )


@dataclass(frozen=True)
class Remedy:
    """What the customer gets: the owed option, the options to choose among, and why."""

    option: str
    """The customer's valid choice, else the most favourable option."""
    options: tuple[str, ...]
    rule: str
    """Remedy rule, term or exclusion id that set it."""
    clause: str
    replacement: str | None = None
    compensation: bool = False
    borne_by: str | None = None
    """Who bears the remedy's cost when the rule says (CN-GEN-08: the repairer)."""
    window_end: date | None = None
    """Last day of a purchase window (after roll-forward), when one decided it."""
    depreciation: DepreciationCharge | None = None
    service_may_be_refused: bool = False
    """An exclusion with outcome ``no_service`` matched (X12)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "option": self.option,
            "options": list(self.options),
            "rule": self.rule,
            "clause": self.clause,
            "replacement": self.replacement,
            "compensation": self.compensation,
            "borne_by": self.borne_by,
            "window_end": _d(self.window_end),
            "depreciation": None if self.depreciation is None else self.depreciation.to_json(),
            "service_may_be_refused": self.service_may_be_refused,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Remedy:
        dep = data.get("depreciation")
        return cls(
            option=str(data["option"]),
            options=tuple(data["options"]),
            rule=str(data["rule"]),
            clause=str(data["clause"]),
            replacement=data.get("replacement"),
            compensation=bool(data.get("compensation", False)),
            borne_by=data.get("borne_by"),
            window_end=_pd(data.get("window_end")),
            depreciation=None if dep is None else DepreciationCharge.from_json(dep),
            service_may_be_refused=bool(data.get("service_may_be_refused", False)),
        )


@dataclass(frozen=True, slots=True)
class Loaner:
    """A loaner / backup unit / spare-part obligation (R7, R8, CN-AUTO-06).

    ``due`` = ``reported_at`` + ``after`` on the rule's business calendar.
    ``state``: ``not_owed`` (resolved by ``due``), ``owed`` (unresolved at
    ``due``: resolved later, or still open at the end of the ``as_of`` day in
    the policy's zone), ``pending`` (open, ``due`` after the end of the
    ``as_of`` day) or ``undetermined`` (``reported_at`` unknown).
    """

    rule: str
    clause: str
    provides: str
    calendar: str
    due: datetime | None
    deliver_by: datetime | None
    state: str
    overdue: bool | None
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "clause": self.clause,
            "provides": self.provides,
            "calendar": self.calendar,
            "due": _dt(self.due),
            "deliver_by": _dt(self.deliver_by),
            "state": self.state,
            "overdue": self.overdue,
            "missing": list(self.missing),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Loaner:
        return cls(
            rule=str(data["rule"]),
            clause=str(data["clause"]),
            provides=str(data["provides"]),
            calendar=str(data["calendar"]),
            due=_pdt(data.get("due")),
            deliver_by=_pdt(data.get("deliver_by")),
            state=str(data["state"]),
            overdue=data.get("overdue"),
            missing=tuple(data.get("missing", ())),
        )


@dataclass(frozen=True)
class CostEntry:
    """One payer's share of one cost line (C1-C8).

    A line split by ``vendor_share``, a cap or a discount gives one entry per
    payer; with a known line price the amounts of a line sum to that price
    (quantized to the cent). ``basis`` is the rule's basis for the customer's
    share, ``free`` for a line paid in full by a vendor-side payer,
    ``vendor_share`` for a percentage share and ``remainder`` for the part of
    a price above a cap/discount that the customer does not pay.
    """

    line: str
    payer: str
    basis: str
    rule: str
    clause: str
    situation: str
    """covered, excluded, expired, or the remedy rule that decided (abnormal_life)."""
    percent: Decimal | None = None
    cap: Money | None = None
    amount: Money | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "payer": self.payer,
            "basis": self.basis,
            "percent": _dec(self.percent),
            "cap": _money(self.cap),
            "amount": _money(self.amount),
            "rule": self.rule,
            "clause": self.clause,
            "situation": self.situation,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CostEntry:
        return cls(
            line=str(data["line"]),
            payer=str(data["payer"]),
            basis=str(data["basis"]),
            rule=str(data["rule"]),
            clause=str(data["clause"]),
            situation=str(data["situation"]),
            percent=_pdec(data.get("percent")),
            cap=_pmoney(data.get("cap")),
            amount=_pmoney(data.get("amount")),
            note=data.get("note"),
        )


@dataclass(frozen=True)
class Outcome:
    """The evaluation of a claim under one warranty (or under all terms together)."""

    warranty: str | None
    status: Status
    missing: tuple[str, ...] = ()
    term: str | None = None
    """The term that decided the status (the most favourable covering term)."""
    terms: tuple[TermWindow, ...] = ()
    exclusions: tuple[ExclusionMatch, ...] = ()
    remedy: Remedy | None = None
    loaners: tuple[Loaner, ...] = ()
    costs: tuple[CostEntry, ...] = ()
    warnings: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    def customer_total(self) -> Money | None:
        """Sum of the customer's known amounts (``None`` when no amount is known)."""
        return _customer_total(self.costs)

    def to_json(self) -> dict[str, Any]:
        return {
            "warranty": self.warranty,
            "status": self.status,
            "missing": list(self.missing),
            "term": self.term,
            "terms": [t.to_json() for t in self.terms],
            "exclusions": [e.to_json() for e in self.exclusions],
            "remedy": None if self.remedy is None else self.remedy.to_json(),
            "loaners": [x.to_json() for x in self.loaners],
            "costs": [c.to_json() for c in self.costs],
            "warnings": list(self.warnings),
            "reasons": [r.to_json() for r in self.reasons],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        status = str(data["status"])
        if status not in STATUSES:
            raise FactsError(Problem(f"unknown status {status!r}", path="status"))
        remedy = data.get("remedy")
        return cls(
            warranty=data.get("warranty"),
            status=status,  # type: ignore[arg-type]
            missing=tuple(data.get("missing", ())),
            term=data.get("term"),
            terms=tuple(TermWindow.from_json(t) for t in data.get("terms", ())),
            exclusions=tuple(ExclusionMatch.from_json(e) for e in data.get("exclusions", ())),
            remedy=None if remedy is None else Remedy.from_json(remedy),
            loaners=tuple(Loaner.from_json(x) for x in data.get("loaners", ())),
            costs=tuple(CostEntry.from_json(c) for c in data.get("costs", ())),
            warnings=tuple(data.get("warnings", ())),
            reasons=tuple(Reason.from_json(r) for r in data.get("reasons", ())),
        )


def _customer_total(costs: tuple[CostEntry, ...]) -> Money | None:
    total: Money | None = None
    for entry in costs:
        if entry.payer == "customer" and entry.amount is not None:
            total = entry.amount if total is None else total + entry.amount
    return total


_OUTCOME_FIELDS: Final = tuple(f.name for f in fields(Outcome))


@dataclass(frozen=True)
class ClaimDecision:
    """A decision on one warranty claim: what, why, and under which policy and date."""

    policy: PolicyRef
    as_of: date
    claim: Claim
    """The facts evaluated (validated); recorded so the decision can be replayed."""
    status: Status
    warranty: str | None = None
    """The warranty the outcome is under (the more favourable one, P10)."""
    missing: tuple[str, ...] = ()
    """Fact paths whose absence left the status undetermined."""
    term: str | None = None
    terms: tuple[TermWindow, ...] = ()
    exclusions: tuple[ExclusionMatch, ...] = ()
    remedy: Remedy | None = None
    loaners: tuple[Loaner, ...] = ()
    costs: tuple[CostEntry, ...] = ()
    alternatives: tuple[Outcome, ...] = ()
    """Outcomes under the other warranties the customer could choose (P10)."""
    warnings: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    # ------------------------------------------------------------ building

    @classmethod
    def from_outcome(
        cls,
        *,
        policy: PolicyRef,
        as_of: date,
        claim: Claim,
        outcome: Outcome,
        alternatives: tuple[Outcome, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> ClaimDecision:
        values = {name: getattr(outcome, name) for name in _OUTCOME_FIELDS}
        if warnings:
            values["warnings"] = tuple(dict.fromkeys(values["warnings"] + warnings))
        return cls(policy=policy, as_of=as_of, claim=claim, alternatives=alternatives, **values)

    def outcome(self) -> Outcome:
        """This decision's own outcome (without policy, facts and alternatives)."""
        return Outcome(**{name: getattr(self, name) for name in _OUTCOME_FIELDS})

    # ------------------------------------------------------------ queries

    @property
    def failure_date(self) -> date | None:
        return self.claim.failure_date

    def customer_total(self) -> Money | None:
        """Sum of the customer's known amounts (``None`` when no amount is known)."""
        return _customer_total(self.costs)

    def costs_for(self, line: str) -> tuple[CostEntry, ...]:
        return tuple(c for c in self.costs if c.line == line)

    # ------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in ``docs/decisions.md``."""
        body = self.outcome().to_json()
        out: dict[str, Any] = {
            "schema": JSON_SCHEMA_ID,
            "policy": self.policy.to_json(),
            "as_of": self.as_of.isoformat(),
            "claim": self.claim.model_dump(mode="json", exclude_defaults=True),
        }
        out.update(body)
        out["alternatives"] = [a.to_json() for a in self.alternatives]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimDecision:
        """Rebuild a decision from :meth:`to_json` output (facts are re-validated)."""
        if not isinstance(data, dict):
            raise FactsError(Problem("a decision is a JSON object", path=""))
        schema = data.get("schema")
        if schema != JSON_SCHEMA_ID:
            raise FactsError(
                Problem(f"not a claim decision (schema {schema!r}, expected {JSON_SCHEMA_ID!r})")
            )
        try:
            outcome = Outcome.from_json(data)
            policy = PolicyRef.from_json(data["policy"])
            as_of = date.fromisoformat(str(data["as_of"]))
            alternatives = tuple(Outcome.from_json(a) for a in data.get("alternatives", ()))
        except (KeyError, TypeError, ValueError) as exc:
            raise FactsError(Problem(f"malformed decision: {exc}", path="")) from None
        claim = parse_facts(Claim, data.get("claim"), name="claim")
        return cls.from_outcome(
            policy=policy, as_of=as_of, claim=claim, outcome=outcome, alternatives=alternatives
        )

    # ------------------------------------------------------------ text

    def explain(self) -> str:
        """A plain-text explanation for a person: status, dates, remedy, payer per line, why."""
        from warrantykit.engine.explain import render

        return render(self)


make_term_window: Final = fast_maker(TermWindow)
make_cost_entry: Final = fast_maker(CostEntry)
make_outcome: Final = fast_maker(Outcome)
make_decision: Final = fast_maker(ClaimDecision)
