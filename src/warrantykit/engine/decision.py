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
from types import UnionType
from typing import Annotated, Any, Final, Literal, Protocol, TypeVar, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel
from pydantic_core import to_jsonable_python

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
    "claim_json",
    "fast_maker",
    "fast_money",
    "make_remedy",
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
        start, original_end, end, rolled_from = self.start, self.original_end, self.end, self.rolled_from
        return {
            "id": self.id,
            "kind": self.kind,
            "warranty": self.warranty,
            "clause": self.clause,
            "length": self.length,
            "anchor": self.anchor,
            "start": None if start is None else start.isoformat(),
            "original_end": None if original_end is None else original_end.isoformat(),
            "extension_days": self.extension_days,
            "end": None if end is None else end.isoformat(),
            "rolled_from": None if rolled_from is None else rolled_from.isoformat(),
            "lifetime": self.lifetime,
            "applies": self.applies,
            "inside": self.inside,
            "in_effect": self.in_effect,
            "meters": [m.to_json() for m in self.meters] if self.meters else [],
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
        percent, cap, amount = self.percent, self.cap, self.amount
        return {
            "line": self.line,
            "payer": self.payer,
            "basis": self.basis,
            "percent": None if percent is None else str(percent),
            "cap": None if cap is None else f"{cap.amount} {cap.currency}",
            "amount": None if amount is None else f"{amount.amount} {amount.currency}",
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


def _terms_json(terms: tuple[TermWindow, ...]) -> list[dict[str, Any]]:
    """``[t.to_json() for t in terms]``, inlined."""
    return [
        {
            "id": t.id,
            "kind": t.kind,
            "warranty": t.warranty,
            "clause": t.clause,
            "length": t.length,
            "anchor": t.anchor,
            "start": None if (d := t.start) is None else d.isoformat(),
            "original_end": None if (d := t.original_end) is None else d.isoformat(),
            "extension_days": t.extension_days,
            "end": None if (d := t.end) is None else d.isoformat(),
            "rolled_from": None if (d := t.rolled_from) is None else d.isoformat(),
            "lifetime": t.lifetime,
            "applies": t.applies,
            "inside": t.inside,
            "in_effect": t.in_effect,
            "meters": [m.to_json() for m in t.meters] if t.meters else [],
            "missing": list(t.missing),
        }
        for t in terms
    ]


def _costs_json(costs: tuple[CostEntry, ...]) -> list[dict[str, Any]]:
    """``[c.to_json() for c in costs]``, inlined."""
    return [
        {
            "line": c.line,
            "payer": c.payer,
            "basis": c.basis,
            "percent": None if (n := c.percent) is None else str(n),
            "cap": None if (m := c.cap) is None else f"{m.amount} {m.currency}",
            "amount": None if (m := c.amount) is None else f"{m.amount} {m.currency}",
            "rule": c.rule,
            "clause": c.clause,
            "situation": c.situation,
            "note": c.note,
        }
        for c in costs
    ]


def _customer_total(costs: tuple[CostEntry, ...]) -> Money | None:
    first: Money | None = None
    total = Decimal(0)
    for entry in costs:
        amount = entry.amount
        if amount is not None and entry.payer == "customer":
            if first is None:
                first = amount
            elif amount.currency != first.currency:
                raise ValueError(f"cannot add {amount.currency} to {first.currency}")
            total += amount.amount
    if first is None:
        return None
    return first if total == first.amount else fast_money(total, first.currency)


def fast_money(amount: Decimal, currency: str) -> Money:
    """``Money.model_construct(amount=amount, currency=currency)`` without its field loop
    (for amounts the engine computed from valid money)."""
    money = object.__new__(Money)
    object.__setattr__(money, "__dict__", {"amount": amount, "currency": currency})
    object.__setattr__(money, "__pydantic_fields_set__", {"amount", "currency"})
    object.__setattr__(money, "__pydantic_extra__", None)
    object.__setattr__(money, "__pydantic_private__", None)
    return money


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

    def __getstate__(self) -> dict[str, Any]:
        # every field written out (a lazily built decision keeps its trace otherwise)
        return {f.name: getattr(self, f.name) for f in fields(self)}

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
        """The stable JSON shape documented in ``docs/decisions.md``.

        The parts are written inline (the same dicts as their own ``to_json``)."""
        remedy = self.remedy
        return {
            "schema": JSON_SCHEMA_ID,
            "policy": self.policy.to_json(),
            "as_of": self.as_of.isoformat(),
            "claim": claim_json(self.claim),
            "warranty": self.warranty,
            "status": self.status,
            "missing": list(self.missing),
            "term": self.term,
            "terms": _terms_json(self.terms),
            "exclusions": [e.to_json() for e in self.exclusions],
            "remedy": None if remedy is None else remedy.to_json(),
            "loaners": [x.to_json() for x in self.loaners],
            "costs": _costs_json(self.costs),
            "warnings": list(self.warnings),
            "reasons": [
                {"rule": r.rule, "clause": r.clause, "text": r.text, "source": r.source}
                for r in self.reasons
            ],
            "alternatives": [a.to_json() for a in self.alternatives],
        }

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


def make_term_window(
    id: str,
    kind: str,
    warranty: str | None,
    clause: str,
    length: str,
    anchor: str,
    start: date | None,
    original_end: date | None,
    extension_days: int,
    end: date | None,
    rolled_from: date | None,
    lifetime: bool,
    applies: bool | None,
    inside: bool | None,
    in_effect: bool,
    meters: tuple[MeterStatus, ...],
    missing: tuple[str, ...],
) -> TermWindow:
    """``TermWindow(...)`` with every field given positionally, in one step."""
    obj = object.__new__(TermWindow)
    object.__setattr__(
        obj,
        "__dict__",
        {
            "id": id,
            "kind": kind,
            "warranty": warranty,
            "clause": clause,
            "length": length,
            "anchor": anchor,
            "start": start,
            "original_end": original_end,
            "extension_days": extension_days,
            "end": end,
            "rolled_from": rolled_from,
            "lifetime": lifetime,
            "applies": applies,
            "inside": inside,
            "in_effect": in_effect,
            "meters": meters,
            "missing": missing,
        },
    )
    return obj


def make_cost_entry(
    line: str,
    payer: str,
    basis: str,
    rule: str,
    clause: str,
    situation: str,
    percent: Decimal | None,
    cap: Money | None,
    amount: Money | None,
    note: str | None,
) -> CostEntry:
    """``CostEntry(...)`` with every field given positionally, in one step."""
    obj = object.__new__(CostEntry)
    object.__setattr__(
        obj,
        "__dict__",
        {
            "line": line,
            "payer": payer,
            "basis": basis,
            "rule": rule,
            "clause": clause,
            "situation": situation,
            "percent": percent,
            "cap": cap,
            "amount": amount,
            "note": note,
        },
    )
    return obj


make_outcome: Final = fast_maker(Outcome)


def make_remedy(
    option: str,
    options: tuple[str, ...],
    rule: str,
    clause: str,
    replacement: str | None = None,
    compensation: bool = False,
    borne_by: str | None = None,
    window_end: date | None = None,
    depreciation: DepreciationCharge | None = None,
    service_may_be_refused: bool = False,
) -> Remedy:
    """``Remedy(...)`` in one step (a frozen dataclass sets each field separately)."""
    obj = object.__new__(Remedy)
    object.__setattr__(
        obj,
        "__dict__",
        {
            "option": option,
            "options": options,
            "rule": rule,
            "clause": clause,
            "replacement": replacement,
            "compensation": compensation,
            "borne_by": borne_by,
            "window_end": window_end,
            "depreciation": depreciation,
            "service_may_be_refused": service_may_be_refused,
        },
    )
    return obj
make_decision: Final = fast_maker(ClaimDecision)


# ---------------------------------------------------------------- lazily written fields


class LazyParts(Protocol):
    """What the engine leaves in a decision to write its term windows and reasons later."""

    def terms(self) -> tuple[TermWindow, ...]: ...

    def reasons(self) -> tuple[Reason, ...]: ...


class _Deferred:
    """A field of :class:`ClaimDecision` written the first time it is read.

    The engine (:mod:`warrantykit.engine.claims`) builds a decision by filling
    its ``__dict__`` with every field but ``terms`` and ``reasons``, plus a
    ``_lazy`` entry (:class:`LazyParts`) that can write those two.  This
    non-data descriptor writes them on first read; afterwards the value sits in
    the instance's ``__dict__`` like any other field and the descriptor is no
    longer asked.  Equality, ``repr``, ``dataclasses.replace``, pickling (see
    ``__getstate__``) and JSON all read fields through their attributes, so such
    a decision is indistinguishable from one built by ``ClaimDecision(...)``,
    which sets every field and never uses the descriptor.
    """

    __slots__ = ("default", "name")

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.default
        d = obj.__dict__
        lazy: LazyParts | None = d.get("_lazy")
        value = self.default if lazy is None else getattr(lazy, self.name)()
        return d.setdefault(self.name, value)


for _name in ("terms", "reasons"):
    setattr(ClaimDecision, _name, _Deferred(_name, ()))

# ---------------------------------------------------------------- the claim as JSON
#
# ``ClaimDecision.to_json`` records the claim as pydantic writes it with
# ``model_dump(mode="json", exclude_defaults=True)``.  Pydantic builds every
# default (``default_factory`` models and dicts) again on each call to compare
# with it; this writer compares with defaults built once, visits only the
# fields the claim was given and writes the common field types directly.  Any
# value of an unexpected type raises ``_Other`` and the whole claim goes to
# pydantic, so the output is always pydantic's.


def _any(value: Any) -> Any:
    """A value of any type, as pydantic writes it into JSON (inf and NaN as null)."""
    return to_jsonable_python(value, inf_nan_mode="null")


class _Other(Exception):
    """A value this writer does not know: let pydantic write the claim."""


def _plain(value: Any) -> Any:
    if value.__class__ in _PLAIN:
        return value
    raise _Other


def _iso_date(value: Any) -> Any:
    if value.__class__ is date:
        return value.isoformat()
    raise _Other


def _iso_instant(value: Any) -> Any:
    if value.__class__ is datetime:
        offset = value.utcoffset()
        if offset is not None and not offset.microseconds and not offset.seconds % 60:
            text: str = value.isoformat()
            return text if offset else text[:-6] + "Z"
    raise _Other


def _money_text(value: Any) -> Any:
    if value.__class__ is Money:
        return f"{value.amount} {value.currency}"
    raise _Other


def _money_map(value: Any) -> Any:
    out = {}
    for key, money in value.items():
        if money.__class__ is not Money or not isinstance(key, str):
            raise _Other
        out[str(key)] = f"{money.amount} {money.currency}"
    return out


def _decimal_map(value: Any) -> Any:
    out = {}
    for key, number in value.items():
        if number.__class__ is not Decimal or key.__class__ is not str:
            raise _Other
        out[key] = str(number)
    return out


def _texts(value: Any) -> Any:
    if value.__class__ is tuple and all(v.__class__ is str for v in value):
        return list(value)
    raise _Other


_PLAIN: Final = frozenset({str, bool, int})


def _converter(annotation: Any) -> tuple[str, Any]:
    """How to write a field: ("model", cls), ("models", cls) or ("value", converter)."""
    from warrantykit.facts import FactsModel

    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
    else:
        options = [annotation]
    if len(options) != 1:
        return "value", _any
    (kind,) = options
    if get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    origin, args = get_origin(kind), get_args(kind)
    if isinstance(kind, type) and issubclass(kind, FactsModel):
        return "model", kind
    if origin is tuple and args and isinstance(args[0], type) and issubclass(args[0], FactsModel):
        return "models", args[0]
    if origin is tuple and args == (str, ...):
        return "value", _texts
    if origin is dict and len(args) == 2:
        value_kind = args[1]
        if get_origin(value_kind) is Annotated:
            value_kind = get_args(value_kind)[0]
        if value_kind is Money:
            return "value", _money_map
        if value_kind is Decimal and args[0] is str:
            return "value", _decimal_map
    if kind is datetime or kind is AwareDatetime:
        return "value", _iso_instant
    if kind is date:
        return "value", _iso_date
    if kind is Money:
        return "value", _money_text
    if kind in (str, bool, int) or origin is Literal:
        return "value", _plain
    return "value", _any


_Spec = dict[str, tuple[Any, str, Any]]
_JSON_SPECS: dict[type, _Spec] = {}
_REQUIRED: Final = object()


def _json_spec(cls: type[BaseModel]) -> _Spec:
    spec: _Spec = {}
    for name, info in cls.model_fields.items():
        default = _REQUIRED if info.is_required() else info.get_default(call_default_factory=True)
        how, what = _converter(info.annotation)
        if how == "model" and default is not _REQUIRED and default != what():
            how, what = "value", _any  # a non-empty default: compare as a value
        spec[name] = (default, how, what)
    _JSON_SPECS[cls] = spec
    return spec


def _model_json(model: BaseModel) -> dict[str, Any]:
    spec = _JSON_SPECS.get(model.__class__) or _json_spec(model.__class__)
    given = model.__pydantic_fields_set__
    out: dict[str, Any] = {}
    # a model's __dict__ holds its fields in declaration order, pydantic's output order
    for name, value in model.__dict__.items():
        if name not in given:
            continue  # never set: the default
        default, how, what = spec[name]
        if default is None:
            if value is not None:
                out[name] = what(value) if how == "value" else _model_json(value)
        elif how == "model":
            written = _model_json(value)
            if written or default is _REQUIRED:
                out[name] = written  # an empty model equals its (empty) default
        elif value != default:
            out[name] = [_model_json(v) for v in value] if how == "models" else what(value)
    return out


def claim_json(claim: Claim) -> dict[str, Any]:
    """``claim.model_dump(mode="json", exclude_defaults=True)``, written faster (see above)."""
    if claim.__class__ is Claim:
        try:
            return _model_json(claim)
        except (_Other, KeyError):  # KeyError: a __dict__ key that is not a field
            pass
    return claim.model_dump(mode="json", exclude_defaults=True)
