"""The compiled policy: what :func:`warrantykit.load_policy` returns.

A :class:`Policy` is built once from a validated document, is immutable and is
safe to share between threads. It knows where every rule was written (for the
``source file:line`` of each reason) and carries a content hash over every file
that went into it. Evaluation lives in the engine modules; the methods here are
thin entry points so the public surface stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from warrantykit.policies.loader import RULE_LISTS, LoadedDocument, Locations, load_document
from warrantykit.policies.models import PolicyDocument

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from warrantykit.engine.decision import ClaimDecision
    from warrantykit.engine.obligations import Schedule
    from warrantykit.engine.sla import TicketDecision
    from warrantykit.facts import Asset, Claim, PerformedWork, Ticket

__all__ = ["Policy", "RuleSource", "load_policy"]


@dataclass(frozen=True, slots=True)
class RuleSource:
    """Where a rule was written: ``file:line``."""

    file: str | None
    line: int | None

    def __str__(self) -> str:
        if self.file is None:
            return "<unknown>"
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, eq=False)
class Policy:
    """A loaded, validated, compiled policy. Create it with :func:`load_policy`."""

    document: PolicyDocument
    content_hash: str
    files: tuple[str, ...]
    locations: Locations = field(repr=False)
    _rule_sources: dict[str, RuleSource] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.document.id

    @property
    def version(self) -> str:
        return self.document.version

    @property
    def title(self) -> str:
        return self.document.title

    def source_of(self, rule_id: str) -> RuleSource:
        """Where the rule (term, exclusion, remedy, metric, schedule item) was written."""
        return self._rule_sources.get(rule_id, RuleSource(self.files[0] if self.files else None, None))

    def compiled(self, key: str, build: Any) -> Any:
        """Per-policy memo for engine modules (built once, then shared read-only)."""
        try:
            return self._cache[key]
        except KeyError:
            value = build(self)
            return self._cache.setdefault(key, value)

    def evaluate(
        self, claim: Claim | Mapping[str, Any] | str | bytes, *, as_of: date
    ) -> ClaimDecision:
        """Decide a warranty claim as of ``as_of`` (a ``date``): status, terms, remedy,
        costs, reasons.

        ``claim`` is a :class:`~warrantykit.facts.Claim` or plain data (validated;
        :class:`~warrantykit.errors.FactsError` names the field path). See
        :mod:`warrantykit.engine.claims` and ``docs/decisions.md``.
        """
        from warrantykit.engine.claims import evaluate

        return evaluate(self, claim, as_of=as_of)

    def evaluate_many(
        self, claims: Iterable[Claim | Mapping[str, Any] | str | bytes], *, as_of: date
    ) -> Iterator[ClaimDecision]:
        """Lazily decide each claim of ``claims`` as of ``as_of`` (see :meth:`evaluate`)."""
        from warrantykit.engine.claims import evaluate_many

        return evaluate_many(self, claims, as_of=as_of)

    def schedule(
        self,
        asset: Asset | Mapping[str, Any],
        *,
        start: date,
        end: date,
        performed: Iterable[PerformedWork | Mapping[str, Any]] = (),
        as_of: date | None = None,
    ) -> Schedule:
        """Dated obligations of the ``schedule:`` rules for ``asset`` due in ``start..end``.

        Statuses are judged at ``as_of`` (default: ``end``; no clock is read)
        against the ``performed`` log.  See :mod:`warrantykit.engine.schedule`
        and ``docs/schedules.md``.
        """
        from warrantykit.engine.schedule import build_schedule

        return build_schedule(self, asset, start=start, end=end, performed=performed, as_of=as_of)

    def evaluate_ticket(
        self, ticket: Ticket | Mapping[str, Any] | str | bytes, *, as_of: datetime
    ) -> TicketDecision:
        """SLA status of a service ticket at ``as_of`` (an aware ``datetime``): severity,
        every deadline on its business calendar, pauses, met / breached / at risk.

        See :mod:`warrantykit.engine.sla` and ``docs/sla.md``.
        """
        from warrantykit.engine.sla import evaluate_ticket

        return evaluate_ticket(self, ticket, as_of=as_of)


def _rule_sources(loaded: LoadedDocument) -> dict[str, RuleSource]:
    out: dict[str, RuleSource] = {}
    doc = loaded.document
    for section in RULE_LISTS:
        for i, rule in enumerate(getattr(doc, section)):
            origin = loaded.locations.locate((section, i))
            out[rule.id] = RuleSource(origin.file if origin else None, origin.line if origin else None)
    for situation in ("covered", "excluded", "expired"):
        for line in getattr(doc.costs, situation):
            origin = loaded.locations.locate(("costs", situation, line.value))
            out[f"costs.{situation}.{line.value}"] = RuleSource(
                origin.file if origin else None, origin.line if origin else None
            )
    if doc.sla is not None:
        for i, metric in enumerate(doc.sla.metrics):
            origin = loaded.locations.locate(("sla", "metrics", i))
            out[metric.id] = RuleSource(origin.file if origin else None, origin.line if origin else None)
    return out


def load_policy(
    source: str | FsPath | bytes, *, base_dir: str | FsPath | None = None, file: str | None = None
) -> Policy:
    """Load, validate and compile a policy from a path or from YAML text.

    Raises :class:`~warrantykit.errors.PolicyError` listing every problem with
    file, line, column and field path.
    """
    loaded = load_document(source, base_dir=base_dir, file=file)
    return Policy(
        document=loaded.document,
        content_hash=loaded.content_hash,
        files=loaded.files,
        locations=loaded.locations,
        _rule_sources=_rule_sources(loaded),
    )
