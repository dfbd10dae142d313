"""Cost responsibility: who pays each cost line of a claim, at what price (DOMAIN C1-C8).

Which rule sets a line (:func:`assign_costs`)
    * **covered** (C1, C8): among the terms covering the failure (their own
      ``costs`` tables) and the ``cost_cover`` terms whose window contains the
      failure (P12, P13), the rule most favourable to the customer for that
      line; else ``costs.covered``; else the vendor pays (C1, default).
    * **excluded** (C2, C7): the first matched exclusion whose own table
      names the line; else ``costs.excluded``; else the customer pays at cost
      (C2, default) -- an excluded claim is never free by default.
    * **expired** (C3-C6): the most favourable among the ``paid_service``,
      ``maintenance`` and ``cost_cover`` terms whose window contains the
      failure; else ``costs.expired``; else the customer pays at cost (C3).
    * after the warranty, an ``abnormal_life`` remedy (R10) makes every line
      free.

Which lines
    Every line named by a table that could apply in that situation, plus every
    line the claim gives a price for, in :class:`~warrantykit.facts.CostLine` order.

Amounts (:func:`split_line`)
    Only when ``claim.prices`` has the line. The price is quantized half-even
    to the cent first; every share is quantized; the last share is the
    remainder, so the shares of a line always sum to its price and each share
    has exactly one payer. ``vendor_share`` gives the vendor-side payer that
    percent and the customer the rest at ``basis``. For the customer's part:
    ``at_cost``, ``list_price``, ``market_price`` -- the price given;
    ``contract_price_cap`` -- at most ``claim.asset.contract_unit_prices``
    of the claimed component (or of the line) (C4); ``percent_of_price`` --
    at most ``percent`` of the asset/software/line price (P12, C6);
    ``discount`` -- ``percent`` off (C7); ``cap`` -- at most ``cap``;
    ``by_agreement`` -- charged, but no amount is computed. What
    the customer does not pay of a price above a cap or under a discount is
    the vendor's ``remainder``.

Most favourable (P10, "the most favourable covers")
    With a price: the lower customer amount. Without: the lower customer
    percentage, then the basis rank free < discount < cap <
    contract_price_cap < percent_of_price < at_cost < market_price <
    list_price < by_agreement. Ties keep the first candidate (document order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, Final

from warrantykit.engine.decision import CostEntry, fast_money, make_cost_entry
from warrantykit.engine.reasons import Reason
from warrantykit.errors import EvaluationError
from warrantykit.facts import Claim, CostLine
from warrantykit.money import Money
from warrantykit.policies.models import CostRule

if TYPE_CHECKING:
    from warrantykit.engine.compiled import Policy

__all__ = [
    "BASIS_RANK",
    "assign_costs",
    "CostSource",
    "LinePlan",
    "line_costs",
    "DEFAULT_RULES",
    "customer_amount",
    "most_favourable",
    "split_line",
]

_CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)
_LINE_ORDER: Final = {line: i for i, line in enumerate(CostLine)}
_LINE_TEXT: Final = {line: line.value for line in CostLine}

BASIS_RANK: Final[dict[str, int]] = {
    "free": 0,
    "discount": 1,
    "cap": 2,
    "contract_price_cap": 3,
    "percent_of_price": 4,
    "at_cost": 5,
    "market_price": 6,
    "list_price": 7,
    "by_agreement": 8,
}

DEFAULT_RULES: Final[dict[str, CostRule]] = {
    "covered": CostRule(payer="vendor"),
    "excluded": CostRule(payer="customer", basis="at_cost"),
    "expired": CostRule(payer="customer", basis="at_cost"),
}
"""What applies to a line no table names: C1 (covered), C2 (excluded), C3 (expired)."""

_DEFAULT_CLAUSE: Final[dict[str, str]] = {
    "covered": "DOMAIN C1",
    "excluded": "DOMAIN C2",
    "expired": "DOMAIN C3",
}


@dataclass(frozen=True, slots=True)
class CostSource:
    """A cost rule for one line and where it comes from (rule id, clause, ``file:line``)."""

    line: CostLine
    rule: CostRule
    rule_id: str
    clause: str
    source: str


def _q(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


_money = fast_money
_new = object.__new__
_set = object.__setattr__


def _whole(price: Money) -> Money:
    """``price`` quantized to the cent (the same object when it already is)."""
    amount = price.amount
    if str(amount)[-3:-2] == ".":  # written with two decimals: exponent -2
        return price
    return _money(amount.quantize(_CENT, ROUND_HALF_EVEN), price.currency)


def _same_currency(what: str, money: Money, currency: str) -> Decimal:
    if money.currency != currency:
        raise EvaluationError(f"{what} is in {money.currency}, the line price in {currency}")
    return money.amount


def _customer_charge(
    rule: CostRule, line: CostLine, rest: Decimal, currency: str, claim: Claim
) -> tuple[Decimal, str | None]:
    """What the customer pays of ``rest`` under ``rule.basis`` (before the remainder)."""
    basis = rule.basis
    if basis in ("at_cost", "list_price", "market_price", "free"):
        return rest, None
    if basis == "contract_price_cap":
        prices = claim.asset.contract_unit_prices
        key = claim.component if claim.component in prices else line.value
        unit = prices.get(key) if key is not None else None
        if unit is None:
            return rest, "no contract unit price given; not capped"
        cap = _same_currency(f"contract unit price of {key}", unit, currency)
        return min(rest, _q(cap)), f"capped at the contract unit price of {key} ({unit})"
    if basis == "percent_of_price" or (basis == "cap" and rule.cap is None):
        # "15% of the software price" (percent_of_price) and "at most 15% of it" (cap
        # given as percent + of) charge the same amount: the smaller of the line's price
        # and the share.
        return _percent_of(rule, rest, currency, claim)
    if basis == "discount":
        assert rule.percent is not None  # models.CostRule: discount needs percent
        return _q(rest * (_HUNDRED - rule.percent) / _HUNDRED), f"{rule.percent}% off"
    # cap given as an amount
    assert rule.cap is not None  # models.CostRule: cap needs cap, or percent + of
    return min(rest, _q(_same_currency("cap", rule.cap, currency))), f"at most {rule.cap}"


def _percent_of(
    rule: CostRule, rest: Decimal, currency: str, claim: Claim
) -> tuple[Decimal, str | None]:
    """``rule.percent`` of ``rule.of`` (the line, the asset or the software price), at most ``rest``."""
    assert rule.percent is not None and rule.of is not None  # models.CostRule validates both
    if rule.of == "line_price":
        base: Money | None = _money(rest, currency)
    elif rule.of == "software_price":
        base = claim.asset.software_price
    else:
        base = claim.asset.price
    if base is None:
        return rest, f"{rule.of} unknown; not capped"
    share = _q(_same_currency(str(rule.of), base, currency) * rule.percent / _HUNDRED)
    prefix = "at most " if rule.basis == "cap" else ""
    return min(rest, share), f"{prefix}{rule.percent}% of the {str(rule.of).replace('_', ' ')}"


def split_line(
    line: CostLine,
    chosen: CostSource,
    price: Money | None,
    claim: Claim | None,
    situation: str,
) -> list[CostEntry]:
    """The entries (one per payer share) for ``line`` under ``chosen``."""
    rule = chosen.rule
    clause = rule.clause or chosen.clause
    if rule.payer != "customer" and rule.vendor_share is None:
        # a vendor-side payer pays the whole line (the common covered case)
        whole = None if price is None else _whole(price)
        return [
            make_cost_entry(
                _LINE_TEXT[line], rule.payer, "free", chosen.rule_id, clause, situation, None, None, whole, None
            )
        ]
    common: dict[str, Any] = {"line": _LINE_TEXT[line], "rule": chosen.rule_id, "clause": clause, "situation": situation}
    side = rule.payer if rule.payer != "customer" else "vendor"
    customer_basis = rule.basis if rule.basis != "free" else "at_cost"
    cap = rule.cap
    if price is None:
        out: list[CostEntry] = []
        if rule.vendor_share is not None:
            out.append(_share(rule, side, common))
            if rule.vendor_share >= _HUNDRED:
                return out
        out.append(_charge(rule, customer_basis, common, note=rule.text))
        return out
    currency = price.currency
    total = _q(price.amount)
    vendor = Decimal(0)
    entries: list[CostEntry] = []
    if rule.vendor_share is not None:
        vendor = _q(total * rule.vendor_share / _HUNDRED)
    rest = total - vendor
    if customer_basis == "by_agreement":
        # charged at a price the letter leaves to be agreed: no amount is computed
        if rule.vendor_share is not None:
            entries.append(_share(rule, side, common, _money(vendor, currency)))
        if rest > 0 or rule.vendor_share is None:
            entries.append(
                CostEntry(
                    payer="customer",
                    basis=customer_basis,
                    note="price to be agreed; no amount computed",
                    **common,
                )
            )
        return entries
    if rest > 0:
        assert claim is not None, "a priced line needs the claim"
        charge, note = _customer_charge(rule, line, rest, currency, claim)
    else:
        charge, note = Decimal(0), None
    remainder = rest - charge
    if not remainder and rule.vendor_share is None:
        # the customer pays the whole line
        return [
            make_cost_entry(
                _LINE_TEXT[line], "customer", customer_basis, chosen.rule_id, clause, situation,
                rule.percent, cap, _whole(price), note,
            )
        ]
    if rule.vendor_share is not None:
        entries.append(
            _share(
                rule,
                side,
                common,
                _money(vendor + remainder, currency),
                "plus the part above the customer's charge" if remainder else None,
            )
        )
    if rest > 0 or rule.vendor_share is None:
        entries.append(_charge(rule, customer_basis, common, _money(charge, currency), note))
    if remainder and rule.vendor_share is None:
        entries.append(
            CostEntry(
                payer=side,
                basis="remainder",
                amount=_money(remainder, currency),
                note="the part of the price the customer does not pay",
                **common,
            )
        )
    return entries


def _share(
    rule: CostRule,
    payer: str,
    common: dict[str, Any],
    amount: Money | None = None,
    note: str | None = None,
) -> CostEntry:
    """The vendor-side payer's ``vendor_share`` entry of a line."""
    return CostEntry(
        payer=payer, basis="vendor_share", percent=rule.vendor_share, amount=amount, note=note, **common
    )


def _charge(
    rule: CostRule,
    basis: str,
    common: dict[str, Any],
    amount: Money | None = None,
    note: str | None = None,
) -> CostEntry:
    """The customer's entry of a line charged at ``basis`` (with the rule's percent and cap)."""
    return CostEntry(
        payer="customer", basis=basis, percent=rule.percent, cap=rule.cap, amount=amount, note=note, **common
    )


def customer_amount(
    line: CostLine, source: CostSource, price: Money | None, claim: Claim | None
) -> Decimal | None:
    """The customer's amount for ``line`` under ``source``.

    ``None`` without a price; infinite when the customer pays an amount that
    cannot be computed (``by_agreement``).
    """
    if price is None:
        return None
    total = Decimal(0)
    for entry in split_line(line, source, price, claim, "compare"):
        if entry.payer == "customer":
            if entry.amount is None:
                return Decimal("Infinity")
            total += entry.amount.amount
    return total


def _static_key(rule: CostRule) -> tuple[Decimal, int]:
    if rule.payer != "customer" and rule.vendor_share is None:
        return Decimal(0), 0
    share = _HUNDRED - (rule.vendor_share or Decimal(0))
    return share, BASIS_RANK.get(rule.basis, 9)


def most_favourable(
    line: CostLine, candidates: list[CostSource], price: Money | None, claim: Claim | None
) -> CostSource:
    """The candidate cheapest for the customer (first one on ties)."""
    if len(candidates) == 1:
        return candidates[0]
    if price is not None:
        return min(
            candidates,
            key=lambda c: (
                customer_amount(line, c, price, claim) or Decimal(0),
                _static_key(c.rule),
            ),
        )
    return min(candidates, key=lambda c: _static_key(c.rule))


def assign_costs(
    policy: Policy,
    claim: Claim,
    situation: str,
    layers: list[list[CostSource]] | Callable[[], list[list[CostSource]]],
    default_table: dict[CostLine, CostSource],
    default_rule: CostRule,
    reasons: list[Any],
    *,
    first_wins: bool = False,
    cache: dict[Any, Any] | None = None,
    cache_key: Any = None,
) -> tuple[CostEntry, ...]:
    """Cost entries for every line (see the module docstring).

    ``layers`` are the candidate tables (each a list of sources, one per
    line it names, in the order of its owner; or a function building them,
    called only when ``cache`` has nothing for ``cache_key``); for a line, the candidates
    are all layers' entries for it (``first_wins``: the first one only),
    else ``default_table``, else ``default_rule`` (rule id ``default.<situation>``).

    With a ``cache`` (the claim plan's), the line plan of ``(situation,
    cache_key)`` is built once, and a priced line whose rules never read the
    claim is split once per price.
    """
    key = (situation, cache_key)
    plan: LinePlan | None = cache.get(key) if cache is not None and cache_key is not None else None
    if plan is None:
        if callable(layers):
            layers = layers()
        plan = LinePlan(situation, layers, default_table, default_rule, first_wins)
        if cache is not None and cache_key is not None:
            cache[key] = plan
    return line_costs(plan, claim, reasons, cache)


def line_costs(
    plan: LinePlan, claim: Claim, reasons: list[Any], cache: dict[Any, Any] | None
) -> tuple[CostEntry, ...]:
    """The entries of every line of ``plan`` for ``claim`` (see :func:`assign_costs`)."""
    situation = plan.situation
    prices = claim.prices
    if not prices:
        # without prices a line's entries never depend on the claim
        reasons.extend(plan.fixed_reasons)
        return plan.fixed_entries
    base = plan.base_lines
    if plan.base_set.issuperset(prices):
        lines: tuple[CostLine, ...] | list[CostLine] = base
    else:
        lines = sorted(plan.base_set.union(prices), key=_LINE_ORDER.__getitem__)
    entries: list[CostEntry] = []
    fixed = plan.fixed
    for line in lines:
        price = prices.get(line)
        if price is None:
            produced_t, reason_t = fixed[line]
            entries.extend(produced_t)
            reasons.append(reason_t)
            continue
        whole = plan.whole.get(line)
        if whole is not None:
            # one rule, one payer for the whole line: the entry is the template and the
            # price to the cent (make_cost_entry and _whole, inlined)
            fields, source = whole
            amount = price.amount
            if str(amount)[-3:-2] != ".":
                price = _money(amount.quantize(_CENT, ROUND_HALF_EVEN), price.currency)
            values = fields.copy()
            values["amount"] = price
            entry = _new(CostEntry)
            _set(entry, "__dict__", values)
            entries.append(entry)
            reasons.append((_line_reason, source, line, (entry,)))
            continue
        memo_key: tuple[Any, ...] | None = None
        if cache is not None and plan.claim_free(line):
            # the entries depend on the rules and the price only: memoise them
            memo_key = (plan, line, price.amount, price.currency)
            hit = cache.get(memo_key)
            if hit is not None:
                entries.extend(hit[0])
                reasons.append(hit[1])
                continue
        candidates = plan.candidates(line)
        chosen = most_favourable(line, candidates, price, claim)
        produced = split_line(line, chosen, price, claim, situation)
        reason = _line_reason(chosen, line, produced)
        entries.extend(produced)
        reasons.append(reason)
        if memo_key is not None and cache is not None:
            if len(cache) > _PRICED_MEMO_LIMIT:
                _trim(cache)
            cache[memo_key] = (tuple(produced), reason)
    return tuple(entries)


_PRICED_MEMO_LIMIT: Final = 2048


def _trim(cache: dict[Any, Any]) -> None:
    """Drop the memoised priced lines (the per-situation line plans stay).

    ``list(cache)`` copies the keys in one step, so another thread adding a
    line meanwhile cannot break the iteration."""
    for key in list(cache):
        if isinstance(key, tuple) and key and isinstance(key[0], LinePlan):
            cache.pop(key, None)


def _claim_free(rule: CostRule) -> bool:
    """True when a rule's entries never read the claim (only the rule and the price)."""
    if rule.basis == "contract_price_cap":
        return False
    return not (rule.basis == "percent_of_price" and rule.of != "line_price")


def _default_source(line: CostLine, situation: str, rule: CostRule) -> CostSource:
    return CostSource(
        line=line,
        rule=rule,
        rule_id=f"default.{situation}",
        clause=_DEFAULT_CLAUSE.get(situation, "-"),
        source="warrantykit default",
    )


def _line_reason(
    chosen: CostSource, line: CostLine, produced: list[CostEntry] | tuple[CostEntry, ...]
) -> Reason:
    return Reason(
        rule=chosen.rule_id,
        clause=chosen.rule.clause or chosen.clause,
        text=f"{_LINE_TEXT[line]}: " + _describe(produced),
        source=chosen.source,
    )


def _economics(rule: CostRule) -> tuple[Any, ...]:
    """What decides a rule's entries and amounts (not its clause or text)."""
    return (rule.payer, rule.basis, rule.percent, rule.of, rule.cap, rule.vendor_share)


_Template = tuple[str, str, str, str, str, str, Decimal | None, Money | None]
"""The fields of a :class:`CostEntry` before its amount and note."""


def _whole_line(line: CostLine, source: CostSource, situation: str) -> _Template | None:
    """The entry of a priced line one payer pays in full, but its amount and note:
    what :func:`split_line` gives for such a rule, computed once."""
    rule = source.rule
    if rule.vendor_share is not None:
        return None
    clause = rule.clause or source.clause
    if rule.payer != "customer":
        return (_LINE_TEXT[line], rule.payer, "free", source.rule_id, clause, situation, None, None)
    if rule.basis in ("at_cost", "list_price", "market_price", "free"):
        basis = rule.basis if rule.basis != "free" else "at_cost"
        return (_LINE_TEXT[line], "customer", basis, source.rule_id, clause, situation, rule.percent, rule.cap)
    return None


class LinePlan:
    """Candidates per line, the lines named, and the entries of lines without a price.

    Depends only on the policy and the situation/terms, so it is memoised per
    claim plan: without a price, a line's entries never depend on the claim.
    """

    __slots__ = (
        "base_lines",
        "base_set",
        "by_line",
        "defaults",
        "fixed",
        "fixed_entries",
        "fixed_reasons",
        "free",
        "situation",
        "whole",
    )

    def __init__(
        self,
        situation: str,
        layers: list[list[CostSource]],
        default_table: dict[CostLine, CostSource],
        default_rule: CostRule,
        first_wins: bool,
    ) -> None:
        by_line: dict[CostLine, list[CostSource]] = {}
        for layer in layers:
            for src in layer:
                bucket = by_line.setdefault(src.line, [])
                if first_wins and bucket:
                    continue
                bucket.append(src)
        for line, src in default_table.items():
            by_line.setdefault(line, [src])
        for line, bucket in by_line.items():
            # a later candidate with the same terms as an earlier one can never be
            # strictly cheaper, and ties go to the first: drop it
            kept: list[CostSource] = []
            seen: list[tuple[Any, ...]] = []
            for src in bucket:
                terms = _economics(src.rule)
                if terms not in seen:
                    seen.append(terms)
                    kept.append(src)
            by_line[line] = kept
        self.situation = situation
        self.by_line = by_line
        self.defaults = {line: [_default_source(line, situation, default_rule)] for line in CostLine}
        self.base_lines = tuple(sorted(by_line, key=_LINE_ORDER.__getitem__))
        self.base_set = frozenset(self.base_lines)
        self.fixed: dict[CostLine, tuple[tuple[CostEntry, ...], Reason]] = {}
        entries: list[CostEntry] = []
        reasons: list[Reason] = []
        for line in self.base_lines:
            chosen = most_favourable(line, by_line[line], None, None)
            produced = split_line(line, chosen, None, None, situation)
            reason = _line_reason(chosen, line, produced)
            self.fixed[line] = (tuple(produced), reason)
            entries.extend(produced)
            reasons.append(reason)
        self.fixed_entries = tuple(entries)
        self.fixed_reasons = tuple(reasons)
        self.free = {
            line: all(_claim_free(c.rule) for c in self.candidates(line)) for line in CostLine
        }
        # a line one payer pays in full: its entry's fields but the amount, and its source
        self.whole: dict[CostLine, tuple[dict[str, Any], CostSource]] = {}
        for line in CostLine:
            found = self.candidates(line)
            if len(found) == 1:
                template = _whole_line(line, found[0], situation)
                if template is not None:
                    names = ("line", "payer", "basis", "rule", "clause", "situation", "percent", "cap")
                    fields = dict(zip(names, template, strict=True))
                    fields["amount"] = None
                    fields["note"] = None
                    self.whole[line] = (fields, found[0])

    def candidates(self, line: CostLine) -> list[CostSource]:
        found = self.by_line.get(line)
        return found if found is not None else self.defaults[line]

    def claim_free(self, line: CostLine) -> bool:
        """Whether no candidate rule of ``line`` reads the claim (only the price)."""
        return self.free[line]


def _describe(entries: list[CostEntry] | tuple[CostEntry, ...]) -> str:
    """``vendor pays 12.00 CNY (free)`` for each entry, joined."""
    parts = []
    for e in entries:
        what = e.basis.replace("_", " ")
        if e.percent is not None and e.basis in ("vendor_share", "discount", "percent_of_price"):
            what += f" {e.percent}%"
        if e.cap is not None:
            what += f" (cap {e.cap.amount} {e.cap.currency})"
        amount = f" {e.amount.amount} {e.amount.currency}" if e.amount is not None else ""
        parts.append(f"{e.payer} pays{amount} ({what})")
    return "; ".join(parts)
