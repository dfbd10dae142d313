"""Case files: named expectations about a policy's decisions, in YAML.

A case file sits beside the policy it tests and is named after it
(``hvac-project-36-months.cases.yaml`` tests ``hvac-project-36-months.yaml``).
It is meant to be read and written by the people who negotiated the contract:
each case says which clause it checks, what happened, and the part of the
decision that clause promises::

    policy: hvac-project-36-months.yaml   # optional; default: the sibling policy file
    defaults:                              # optional; merged into every case
      claim:
        asset: {dates: {acceptance: 2024-01-15}}
    cases:
      - name: heating failure in the third heating season is covered
        clause: 四.1)                       # the clause this case checks
        as_of: 2027-03-20
        claim: {failure_date: 2027-03-15, component: heating_system}
        expect:
          status: covered
          term: heating-system
          remedy: repair
          costs: {parts: vendor, labour: vendor}
          terms: {heating-system: {end: 2027-03-15}}
          reasons: [heating-system, costs.covered.parts]

A case has exactly one kind of facts:

* ``claim:`` (a :class:`~warrantykit.facts.Claim`) with ``as_of`` a date:
  ``policy.evaluate(claim, as_of=...)``;
* ``ticket:`` (a :class:`~warrantykit.facts.Ticket`) with ``as_of`` an instant
  with a UTC offset: ``policy.evaluate_ticket(ticket, as_of=...)``;
* ``asset:`` (an :class:`~warrantykit.facts.Asset`) with ``horizon: {from, to}``,
  an optional ``performed:`` log and an optional ``as_of`` date (default: the
  horizon's end): ``policy.schedule(asset, start=..., end=..., ...)``.

``defaults:`` may hold ``as_of``, ``claim``, ``ticket``, ``asset``,
``horizon`` and ``performed``; mappings are merged key by key (a case's value
wins), anything else is replaced. A case takes the defaults of its own kind of
facts only (a ticket case ignores ``defaults.claim``; ``horizon`` and
``performed`` go to asset cases). ``xfail: <reason>`` marks a case that is
known to fail (an engine bug being fixed): it then counts as expected to fail,
and *passing* is reported (``xpassed``) so the mark is removed once the bug is
fixed (strict, as in pytest); an engine error on an ``xfail`` case counts as
the expected failure. ``note:`` is free text.

**Only the keys given in** ``expect`` **are compared** (a partial match); inside
a mapping only the keys written are compared too. Unknown keys are errors with
a "did you mean". Dates, instants (compared as instants, whatever the offset),
numbers and money (``"1200 CNY"`` equals ``"1200.00 CNY"``) are compared by
value.

Claim expectations (``docs/decisions.md`` describes the decision):

=================  ==========================================================
``status``         covered, excluded, expired, not_applicable, undetermined
``warranty``       the warranty of the outcome
``term``           the deciding term
``missing``        fact paths (as a set)
``remedy``         the owed option (text), or a partial remedy mapping
                   (``{option, options, rule, window_end, depreciation: {...}}``)
``options``        the options the customer may choose among (as a set)
``terms``          ``{term id: partial window}``, e.g. ``{project: {end: 2027-01-15,
                   inside: true}}``; ``null`` = the term is not listed (its selector
                   does not match, or it belongs to another warranty's outcome)
``exclusions``     the matched exclusion ids (as a set; ``[]`` = none)
``loaners``        ``{rule id: partial loaner}`` (``null`` = no such obligation)
``costs``          ``{line: payer}``, ``{line: {payer, basis, amount, rule, ...}}``,
                   ``{line: [entry, entry]}`` for a split line (in any order), or
                   ``{line: null}`` (no entry for the line)
``customer_total`` the customer's known total (money text, or null)
``reasons``        rule ids that must appear in the decision's own reasons (quote
                   ids with brackets in a flow list: ``["sla.severity_rules[0]"]``)
``warnings``       text fragments each found in some warning (``[]`` = none)
``alternatives``   the outcomes under the other warranties, in order, each a
                   mapping of the keys above
=================  ==========================================================

Ticket expectations: ``status``, ``severity`` (the level, or a partial
severity mapping), ``channel``, ``region``, ``metrics`` (``{metric id: state}``
or ``{metric id: {state, due, target, ...}}``, ``null`` = the metric does not
apply), ``not_applicable`` (metric ids, as a set), ``reasons``, ``warnings``.

Schedule expectations: ``count`` (obligations in the horizon), ``counts``
(per status, partial), ``ids`` (exactly these obligation ids, as a set),
``obligations`` (a list of partial obligations each with its ``id``, or
``{obligation id: status}`` / ``{obligation id: {...}}``, ``null`` = not in
the horizon), ``unmatched`` (partial entries, in order), ``reasons``.

**Coverage.** :func:`policy_rules` lists the rules of a policy: terms,
exclusions, remedy rules, the lines of the cost tables
(``costs.<situation>.<line>``), SLA metrics, the targets of a metric that has
several, severity rules and schedule rules. A rule is *exercised* when its id
appears in the reasons of a case's decision or of its alternatives (a target:
when a clock used it). A rule no case can reach (a cost line every decision
takes from a term's table, say) shows up as never exercised.
"""

from __future__ import annotations

import difflib
import glob
import json
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.engine.decision import OPTION_RANK, STATUSES
from warrantykit.engine.reasons import Reason
from warrantykit.errors import FactsError, PolicyError, Problem, WarrantykitError
from warrantykit.facts import Asset, Claim, PerformedWork, Ticket, parse_facts
from warrantykit.policies.yamlsafe import SourceMap, read_yaml

__all__ = [
    "CASE_SUFFIXES",
    "Case",
    "CaseFile",
    "CaseResult",
    "CaseRunner",
    "Mismatch",
    "Outcome",
    "PolicyCoverage",
    "RuleItem",
    "coverage",
    "display_path",
    "find_case_files",
    "is_case_file",
    "load_case_file",
    "policy_rules",
    "sibling_policy",
]

CASE_SUFFIXES: Final = (".cases.yaml", ".cases.yml")

Kind = Literal["claim", "ticket", "schedule"]
Outcome = Literal["passed", "failed", "error", "xfailed", "xpassed"]
YamlPath = tuple[str | int, ...]


# ---------------------------------------------------------------- files


def is_case_file(path: Path) -> bool:
    """A ``*.cases.yaml`` / ``*.cases.yml`` file."""
    return path.name.endswith(CASE_SUFFIXES)


def sibling_policy(case_path: Path) -> Path:
    """The policy a case file tests by default: ``x.cases.yaml`` -> ``x.yaml`` (or ``x.yml``)."""
    name = case_path.name
    for suffix in CASE_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            yaml_file = case_path.with_name(stem + ".yaml")
            yml_file = case_path.with_name(stem + ".yml")
            return yml_file if not yaml_file.exists() and yml_file.exists() else yaml_file
    raise ValueError(f"not a case file: {case_path}")


def find_case_files(items: Iterable[str]) -> list[Path]:
    """Files, folders (recursively) and globs -> case files, sorted, without duplicates.

    A policy file given directly stands for its sibling case file, when there is
    one. Raises :class:`FileNotFoundError` naming an item that matches nothing.
    """
    seen: set[Path] = set()
    out: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(item, recursive=True)) if glob.has_magic(item) else [item]
        if not matches:
            raise FileNotFoundError(item)
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found = sorted(p for p in path.rglob("*") if p.is_file() and is_case_file(p))
            elif not path.exists():
                raise FileNotFoundError(item)
            elif is_case_file(path):
                found = [path]
            elif path.name.endswith((".yaml", ".yml")):
                stem = path.name.rsplit(".", 1)[0]
                found = [
                    c for s in CASE_SUFFIXES if (c := path.with_name(stem + s)).exists()
                ]
            else:
                found = []
            for f in found:
                key = f.resolve()
                if key not in seen:
                    seen.add(key)
                    out.append(f)
    return out


def display_path(path: Path | str) -> str:
    """``path`` relative to the current directory when it lies below it, else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- file models


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _HorizonSpec(_Spec):
    from_: date = Field(alias="from")
    to: date


class _DefaultsSpec(_Spec):
    as_of: Any = None
    claim: dict[str, Any] | None = None
    ticket: dict[str, Any] | None = None
    asset: dict[str, Any] | None = None
    horizon: dict[str, Any] | None = None
    performed: list[Any] | None = None


class _FileSpec(_Spec):
    policy: str | None = Field(None, min_length=1)
    defaults: _DefaultsSpec | None = None
    cases: list[Any] = Field(min_length=1)


class _CaseSpec(_Spec):
    name: str = Field(min_length=1)
    clause: str | None = None
    note: str | None = None
    as_of: Any = None
    claim: dict[str, Any] | None = None
    ticket: dict[str, Any] | None = None
    asset: dict[str, Any] | None = None
    horizon: _HorizonSpec | None = None
    performed: list[Any] | None = None
    expect: dict[str, Any]
    xfail: str | None = Field(None, min_length=1)


_CASE_KEYS: Final = tuple((f.alias or name) for name, f in _CaseSpec.model_fields.items())
_ALLOWED_KEYS: Final[dict[tuple[bool | str | int, ...], tuple[str, ...]]] = {
    (False,): ("policy", "defaults", "cases"),
    (False, "defaults"): tuple(_DefaultsSpec.model_fields),
    (True,): _CASE_KEYS,
    (True, "horizon"): ("from", "to"),
}
"""Known keys by (inside a case?, parent key...), for the "did you mean" of unknown keys."""


# ---------------------------------------------------------------- loaded cases


@dataclass(frozen=True, eq=False)
class Case:
    """One case of a case file, validated."""

    file: str
    """The case file as displayed (relative to the current directory when below it)."""
    line: int
    index: int
    name: str
    clause: str | None
    kind: Kind
    policy_path: Path
    facts: Claim | Ticket | Asset
    as_of: date | datetime | None
    expect: Mapping[str, Any]
    xfail: str | None = None
    start: date | None = None
    end: date | None = None
    performed: tuple[PerformedWork, ...] = ()
    note: str | None = None
    source: SourceMap | None = field(default=None, repr=False)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def line_of(self, *path: str | int) -> int | None:
        """Line of ``expect.<path>`` (or of its closest written ancestor) in the case file."""
        if self.source is None:
            return None
        _, loc = self.source.locate(("cases", self.index, "expect", *path), key=True)
        return loc.line if loc else None


@dataclass(frozen=True, eq=False)
class CaseFile:
    """A loaded case file: its cases and the policy they test."""

    path: Path
    file: str
    policy_path: Path
    cases: tuple[Case, ...]


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _known(choices: Iterable[str]) -> str:
    return ", ".join(sorted(choices))


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return over


_FACT_KEYS: Final = ("claim", "ticket", "asset")


def _defaults_for(defaults: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The defaults that apply to one case: those of its own kind of facts only.

    A case with ``ticket:`` takes neither ``defaults.claim`` nor ``defaults.asset``;
    ``horizon`` and ``performed`` go to schedule (``asset``) cases only. A case without
    facts of its own takes the defaults' facts when there is exactly one kind of them.
    """
    own = [k for k in _FACT_KEYS if k in entry]
    if not own:
        own = [k for k in _FACT_KEYS if k in defaults]
    out = {k: v for k, v in defaults.items() if k not in _FACT_KEYS or k in own[:1]}
    if own[:1] != ["asset"]:
        out.pop("horizon", None)
        out.pop("performed", None)
    return out


def _fact_path(text: str) -> tuple[str | int, ...]:
    """``claim.repairs[1].returned`` -> ``("repairs", 1, "returned")`` (without the root)."""
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(out[1:])


class _Loader:
    def __init__(self, path: Path, text: str | bytes | None = None) -> None:
        self.path = path
        self.file = display_path(path)
        self.text = text
        self.problems: list[Problem] = []
        self.source = SourceMap(file=self.file)

    def problem(self, path: YamlPath, message: str, code: str, *, key: bool = False) -> None:
        self.problems.append(self.source.problem(path, message, code=code, key=key))

    def pydantic(self, exc: ValidationError, prefix: YamlPath) -> None:
        for err in exc.errors():
            loc = tuple(err["loc"])
            path = (*prefix, *loc)
            if err["type"] == "extra_forbidden":
                key = str(loc[-1])
                allowed = _ALLOWED_KEYS.get((bool(prefix), *loc[:-1]), ())
                self.problem(
                    path,
                    f"unknown key {key!r}{_did_you_mean(key, allowed)} "
                    f"(known: {_known(allowed)})",
                    "unknown-key",
                    key=True,
                )
            elif err["type"] == "missing":
                self.problem(path, f"{loc[-1]!r} is required", "missing-key")
            else:
                self.problem(path, str(err["msg"]), "invalid")

    def load(self) -> CaseFile:
        raw = self.text if self.text is not None else self.path.read_bytes()
        data, self.source = read_yaml(raw, file=self.file)
        if not isinstance(data, dict):
            raise PolicyError(
                self.source.problem((), "a case file is a mapping with a 'cases' list", code="invalid")
            )
        try:
            spec = _FileSpec.model_validate(data)
        except ValidationError as exc:
            self.pydantic(exc, ())
            raise PolicyError(self.problems) from None
        if spec.policy is not None:
            policy_path = self.path.parent / spec.policy
        else:
            policy_path = sibling_policy(self.path)
        if not policy_path.exists():
            where = ("policy",) if spec.policy is not None else ()
            self.problem(where, f"policy file not found: {display_path(policy_path)}", "no-policy")
        defaults: dict[str, Any] = {}
        if spec.defaults is not None:
            defaults = {k: v for k, v in data["defaults"].items() if v is not None}
        cases: list[Case] = []
        names: dict[str, int] = {}
        for index, entry in enumerate(spec.cases):
            case = self.case(index, entry, defaults, policy_path)
            if case is None:
                continue
            if case.name in names:
                self.problem(
                    ("cases", index, "name"),
                    f"duplicate case name {case.name!r} (first on line {names[case.name]})",
                    "duplicate-case",
                )
            names.setdefault(case.name, case.line)
            cases.append(case)
        if self.problems:
            raise PolicyError(self.problems)
        return CaseFile(path=self.path, file=self.file, policy_path=policy_path, cases=tuple(cases))

    def case(
        self, index: int, entry: Any, defaults: dict[str, Any], policy_path: Path
    ) -> Case | None:
        prefix: YamlPath = ("cases", index)
        _, loc = self.source.locate(prefix)
        line = loc.line if loc else 0
        if not isinstance(entry, dict):
            self.problem(prefix, "a case is a mapping with 'name', facts and 'expect'", "invalid")
            return None
        merged = _merge(_defaults_for(defaults, entry), entry)
        before = len(self.problems)
        try:
            spec = _CaseSpec.model_validate(merged)
        except ValidationError as exc:
            self.pydantic(exc, prefix)
            return None
        kinds = [k for k in ("claim", "ticket", "asset") if getattr(spec, k) is not None]
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else "none"
            self.problem(
                prefix,
                f"a case needs exactly one of 'claim', 'ticket' or 'asset' (found {found})",
                "case-facts",
            )
            return None
        kind: Kind = "claim" if kinds[0] == "claim" else "ticket" if kinds[0] == "ticket" else "schedule"
        facts = self.facts(prefix, kinds[0], merged[kinds[0]])
        as_of = self.as_of(prefix, kind, spec.as_of)
        performed: tuple[PerformedWork, ...] = ()
        start = end = None
        if kind == "schedule":
            if spec.horizon is None:
                self.problem(prefix, "a schedule case needs 'horizon: {from: DATE, to: DATE}'", "missing-key")
            else:
                start, end = spec.horizon.from_, spec.horizon.to
            performed = self.performed(prefix, spec.performed or [])
        else:
            for key in ("horizon", "performed"):
                if getattr(spec, key) is not None:
                    self.problem((*prefix, key), f"'{key}' is only for schedule (asset) cases", "invalid", key=True)
        _check_expect(self, kind, spec.expect, (*prefix, "expect"))
        if len(self.problems) > before or facts is None:
            return None
        return Case(
            file=self.file,
            line=line,
            index=index,
            name=spec.name,
            clause=spec.clause,
            kind=kind,
            policy_path=policy_path,
            facts=facts,
            as_of=as_of,
            expect=spec.expect,
            xfail=spec.xfail,
            start=start,
            end=end,
            performed=performed,
            note=spec.note,
            source=self.source,
        )

    def facts(self, prefix: YamlPath, key: str, data: Any) -> Claim | Ticket | Asset | None:
        try:
            if key == "claim":
                return parse_facts(Claim, data, name=key)
            if key == "ticket":
                return parse_facts(Ticket, data, name=key)
            return parse_facts(Asset, data, name=key)
        except FactsError as exc:
            for p in exc.problems:
                self.problem(self.fact_location(prefix, key, p.path), f"{p.path}: {p.message}", "facts")
            return None

    def fact_location(self, prefix: YamlPath, key: str, fact_path: str) -> YamlPath:
        """Where a fact was written: in the case, or in ``defaults`` when it came from there."""
        rel = _fact_path(fact_path)
        in_case: YamlPath = (*prefix, key, *rel)
        in_defaults: YamlPath = ("defaults", key, *rel)
        found, _ = self.source.locate(in_case)
        found_default, _ = self.source.locate(in_defaults)
        if len(found_default) - 1 > len(found) - len(prefix):
            return in_defaults
        return in_case

    def as_of(self, prefix: YamlPath, kind: Kind, value: Any) -> date | datetime | None:
        path = (*prefix, "as_of")
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            except ValueError:
                self.problem(path, f"cannot read {value!r} as a date or an instant", "invalid")
                return None
        if kind == "claim":
            if value is None:
                self.problem(prefix, "a claim case needs 'as_of' (a date, YYYY-MM-DD)", "missing-key")
            elif isinstance(value, datetime) or not isinstance(value, date):
                self.problem(path, "'as_of' of a claim case is a date (YYYY-MM-DD)", "invalid")
                return None
            return value  # type: ignore[no-any-return]
        if kind == "ticket":
            if value is None:
                self.problem(
                    prefix,
                    "a ticket case needs 'as_of' (an instant with a UTC offset, "
                    "e.g. 2025-05-20T11:00:00+08:00)",
                    "missing-key",
                )
            elif not isinstance(value, datetime) or value.tzinfo is None:
                self.problem(
                    path,
                    "'as_of' of a ticket case is an instant with a UTC offset "
                    "(e.g. 2025-05-20T11:00:00+08:00)",
                    "invalid",
                )
                return None
            return value  # type: ignore[no-any-return]
        if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
            self.problem(path, "'as_of' of a schedule case is a date (YYYY-MM-DD)", "invalid")
            return None
        return value if isinstance(value, date) else None

    def performed(self, prefix: YamlPath, entries: list[Any]) -> tuple[PerformedWork, ...]:
        out: list[PerformedWork] = []
        for i, entry in enumerate(entries):
            try:
                out.append(parse_facts(PerformedWork, entry, name=f"performed[{i}]"))
            except FactsError as exc:
                for p in exc.problems:
                    path = (*prefix, "performed", i, *_fact_path(p.path))
                    self.problem(path, f"{p.path}: {p.message}", "facts")
        return tuple(out)


def load_case_file(path: str | Path, *, text: str | bytes | None = None) -> CaseFile:
    """Read and validate a case file.

    Raises :class:`~warrantykit.errors.PolicyError` listing every problem, each
    with the case file's name, line and column and the path inside the file
    (``cases[2].expect.costs.parts``).
    """
    return _Loader(Path(path), text).load()


# ---------------------------------------------------------------- expect validation


_Check = Callable[["_Loader", Any, YamlPath], None]

PAYERS: Final = ("vendor", "customer", "manufacturer", "seller", "repairer", "responsible_party")
OPTIONS: Final = tuple(OPTION_RANK)
TERM_KEYS: Final = (
    "id", "kind", "warranty", "clause", "length", "anchor", "start", "original_end",
    "extension_days", "end", "rolled_from", "lifetime", "applies", "inside", "in_effect",
    "meters", "missing",
)  # fmt: skip
REMEDY_KEYS: Final = (
    "option", "options", "rule", "clause", "replacement", "compensation", "borne_by",
    "window_end", "depreciation", "service_may_be_refused",
)  # fmt: skip
DEPRECIATION_KEYS: Final = ("days", "daily_rate_percent", "amount", "refund")
COST_KEYS: Final = (
    "line", "payer", "basis", "percent", "cap", "amount", "rule", "clause", "situation", "note",
)  # fmt: skip
LOANER_KEYS: Final = (
    "rule", "clause", "provides", "calendar", "due", "deliver_by", "state", "overdue", "missing",
)  # fmt: skip
METRIC_KEYS: Final = (
    "id", "kind", "clause", "calendar", "obligation", "state", "starts", "severity", "target",
    "target_clause", "target_seconds", "start", "start_event", "restarted_by", "due",
    "stopped_at", "stop_event", "ended_at", "breached_at", "fulfilled_at", "elapsed_seconds",
    "remaining_seconds", "paused_seconds", "percent_used", "pauses", "at_risk", "cycles",
    "missing", "warnings", "source",
)  # fmt: skip
METRIC_STATES: Final = (
    "pending", "running", "paused", "met", "breached", "ended", "not_due", "due",
    "fulfilled", "undetermined",
)  # fmt: skip
TICKET_STATUSES: Final = ("breached", "obligation_due", "undetermined", "at_risk", "on_track")
SEVERITY_KEYS: Final = (
    "level", "source", "initial", "initial_source", "rule", "clause", "missing", "changes",
)  # fmt: skip
OBLIGATION_STATUSES: Final = ("done_on_time", "done_late", "missed", "due", "upcoming")
OBLIGATION_KEYS: Final = (
    "id", "rule", "clause", "kind", "text", "due", "moved_from", "window", "season", "status",
    "performed",
)  # fmt: skip
UNMATCHED_KEYS: Final = ("index", "obligation", "on", "note", "reason")
SET_KEYS: Final = frozenset({"options", "missing", "still_provided"})
"""List-valued keys compared as sets wherever they appear."""


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | date | datetime)


def _any(loader: _Loader, value: Any, path: YamlPath) -> None:
    return None


def _text(loader: _Loader, value: Any, path: YamlPath) -> None:
    if not isinstance(value, str):
        loader.problem(path, f"expected text, got {_show(value)}", "invalid")


def _text_or_null(loader: _Loader, value: Any, path: YamlPath) -> None:
    if value is not None:
        _text(loader, value, path)


def _count(loader: _Loader, value: Any, path: YamlPath) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        loader.problem(path, f"expected a whole number, got {_show(value)}", "invalid")


def _one_of(choices: Sequence[str], *, null: bool = False) -> _Check:
    def check(loader: _Loader, value: Any, path: YamlPath) -> None:
        if value is None and null:
            return
        if not isinstance(value, str) or value not in choices:
            hint = _did_you_mean(value, choices) if isinstance(value, str) else ""
            shown = repr(value) if isinstance(value, str) else _show(value)
            loader.problem(path, f"{shown} is not one of {_known(choices)}{hint}", "invalid-value")

    return check


def _text_list(loader: _Loader, value: Any, path: YamlPath) -> None:
    if not isinstance(value, list):
        loader.problem(path, f"expected a list of texts, got {_show(value)}", "invalid")
        return
    for i, item in enumerate(value):
        _text(loader, item, (*path, i))


def _record(keys: Sequence[str], fields: Mapping[str, _Check] | None = None) -> _Check:
    """A partial mapping over ``keys`` (values checked by ``fields`` where given)."""

    def check(loader: _Loader, value: Any, path: YamlPath) -> None:
        if not isinstance(value, dict):
            loader.problem(path, f"expected a mapping, got {_show(value)}", "invalid")
            return
        for key, item in value.items():
            if key not in keys:
                loader.problem(
                    (*path, key),
                    f"unknown key {key!r}{_did_you_mean(key, keys)} (known: {_known(keys)})",
                    "unknown-key",
                    key=True,
                )
            elif fields and key in fields:
                fields[key](loader, item, (*path, key))
            else:
                _value(loader, item, (*path, key))

    return check


def _value(loader: _Loader, value: Any, path: YamlPath) -> None:
    """Any expected value: scalars, lists and mappings of them."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _value(loader, item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            _value(loader, item, (*path, key))
    elif not _is_scalar(value):  # pragma: no cover - the YAML reader gives only these
        loader.problem(path, f"unsupported value {value!r}", "invalid")


def _list_of(item: _Check) -> _Check:
    def check(loader: _Loader, value: Any, path: YamlPath) -> None:
        if not isinstance(value, list):
            loader.problem(path, f"expected a list, got {_show(value)}", "invalid")
            return
        for i, entry in enumerate(value):
            item(loader, entry, (*path, i))

    return check


def _map_of(item: _Check, *, null: bool = True) -> _Check:
    def check(loader: _Loader, value: Any, path: YamlPath) -> None:
        if not isinstance(value, dict):
            loader.problem(path, f"expected a mapping of ids, got {_show(value)}", "invalid")
            return
        for key, entry in value.items():
            if entry is None and null:
                continue
            item(loader, entry, (*path, key))

    return check


def _either(text: _Check, record: _Check, *, null: bool = True) -> _Check:
    def check(loader: _Loader, value: Any, path: YamlPath) -> None:
        if value is None and null:
            return
        if isinstance(value, dict):
            record(loader, value, path)
        else:
            text(loader, value, path)

    return check


_REMEDY_RECORD: Final = _record(
    REMEDY_KEYS,
    {
        "option": _one_of(OPTIONS),
        "options": _list_of(_one_of(OPTIONS)),
        "depreciation": _either(_any, _record(DEPRECIATION_KEYS)),
    },
)
_COST_RECORD: Final = _record(COST_KEYS, {"payer": _one_of(PAYERS)})


def _cost_line(loader: _Loader, value: Any, path: YamlPath) -> None:
    if value is None:
        return
    if isinstance(value, list):
        _list_of(_COST_RECORD)(loader, value, path)
    elif isinstance(value, dict):
        _COST_RECORD(loader, value, path)
    else:
        _one_of(PAYERS)(loader, value, path)


_COST_LINES: Final = ("parts", "labour", "call_out", "travel", "transport", "software_upgrade")


def _costs(loader: _Loader, value: Any, path: YamlPath) -> None:
    if not isinstance(value, dict):
        loader.problem(path, f"expected {{line: payer}}, got {_show(value)}", "invalid")
        return
    for line, entry in value.items():
        if line not in _COST_LINES:
            loader.problem(
                (*path, line),
                f"unknown cost line {line!r}{_did_you_mean(line, _COST_LINES)} "
                f"(known: {', '.join(_COST_LINES)})",
                "unknown-key",
                key=True,
            )
            continue
        _cost_line(loader, entry, (*path, line))


_OUTCOME_FIELDS: dict[str, _Check] = {
    "status": _one_of(STATUSES),
    "warranty": _text_or_null,
    "term": _text_or_null,
    "missing": _text_list,
    "remedy": _either(_one_of(OPTIONS), _REMEDY_RECORD),
    "options": _list_of(_one_of(OPTIONS)),
    "terms": _map_of(_record(TERM_KEYS)),
    "exclusions": _text_list,
    "loaners": _map_of(_record(LOANER_KEYS)),
    "costs": _costs,
    "customer_total": _text_or_null,
    "reasons": _text_list,
    "warnings": _text_list,
}
CLAIM_FIELDS: Final[dict[str, _Check]] = {
    **_OUTCOME_FIELDS,
    "alternatives": _list_of(_record(tuple(_OUTCOME_FIELDS), _OUTCOME_FIELDS)),
}
TICKET_FIELDS: Final[dict[str, _Check]] = {
    "status": _one_of(TICKET_STATUSES),
    "severity": _either(_text, _record(SEVERITY_KEYS)),
    "channel": _text_or_null,
    "region": _text_or_null,
    "metrics": _map_of(
        _either(_one_of(METRIC_STATES), _record(METRIC_KEYS, {"state": _one_of(METRIC_STATES)}))
    ),
    "not_applicable": _text_list,
    "reasons": _text_list,
    "warnings": _text_list,
}
_OBLIGATION_RECORD: Final = _record(
    OBLIGATION_KEYS,
    {"status": _one_of(OBLIGATION_STATUSES), "window": _record(("earliest", "latest"))},
)


def _obligations(loader: _Loader, value: Any, path: YamlPath) -> None:
    if isinstance(value, list):
        for i, entry in enumerate(value):
            if not isinstance(entry, dict) or "id" not in entry:
                loader.problem((*path, i), "each expected obligation needs its 'id'", "invalid")
                continue
            _OBLIGATION_RECORD(loader, entry, (*path, i))
    else:
        _map_of(_either(_one_of(OBLIGATION_STATUSES), _OBLIGATION_RECORD))(loader, value, path)


SCHEDULE_FIELDS: Final[dict[str, _Check]] = {
    "count": _count,
    "counts": _record(OBLIGATION_STATUSES, dict.fromkeys(OBLIGATION_STATUSES, _count)),
    "ids": _text_list,
    "obligations": _obligations,
    "unmatched": _list_of(_record(UNMATCHED_KEYS)),
    "reasons": _text_list,
}
_FIELDS: Final[dict[str, dict[str, _Check]]] = {
    "claim": CLAIM_FIELDS,
    "ticket": TICKET_FIELDS,
    "schedule": SCHEDULE_FIELDS,
}


def _check_expect(loader: _Loader, kind: Kind, expect: dict[str, Any], path: YamlPath) -> None:
    fields = _FIELDS[kind]
    if not expect:
        loader.problem(path, "'expect' is empty: give at least one expected key", "invalid")
    for key, value in expect.items():
        check = fields.get(key)
        if check is None:
            others = [k for k, f in _FIELDS.items() if k != kind and key in f]
            if others:
                what = "an asset (schedule)" if others[0] == "schedule" else f"a {others[0]}"
                message = f"{key!r} is expected of {what} case, not of a {kind} case"
            else:
                message = (
                    f"unknown expect key {key!r}{_did_you_mean(key, fields)} "
                    f"(known for a {kind} case: {_known(fields)})"
                )
            loader.problem((*path, key), message, "unknown-key", key=True)
            continue
        check(loader, value, (*path, key))


# ---------------------------------------------------------------- comparing


_MONEY = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z]{3})\s*$")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _same(expected: Any, actual: Any, key: str | None = None) -> bool:
    """Expected (from YAML) against actual (JSON from a decision), partially and by value."""
    if expected is None or isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, datetime):
        if not isinstance(actual, str):
            return False
        try:
            other = datetime.fromisoformat(actual)
        except ValueError:
            return False
        return other.tzinfo is not None and other == expected
    if isinstance(expected, date):
        return bool(actual == expected.isoformat())
    if isinstance(expected, int | float):
        number = _decimal(actual)
        return number is not None and number == Decimal(str(expected))
    if isinstance(expected, str):
        if actual == expected:
            return True
        if isinstance(actual, str):
            a, e = _MONEY.match(actual), _MONEY.match(expected)
            if a and e:
                return a.group(2) == e.group(2) and Decimal(a.group(1)) == Decimal(e.group(1))
            x, y = _decimal(actual), _decimal(expected)
            if x is not None and y is not None and not isinstance(actual, bool):
                return x == y
            if x is None and y is None:
                try:
                    return datetime.fromisoformat(actual) == datetime.fromisoformat(expected)
                except ValueError:
                    return False
            return False
        number = _decimal(actual)
        y = _decimal(expected)
        return number is not None and y is not None and number == y
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple):
            return False
        if key in SET_KEYS:
            return _same_set(expected, list(actual))
        return len(expected) == len(actual) and all(
            _same(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        return all(k in actual and _same(v, actual[k], k) for k, v in expected.items())
    return bool(expected == actual)  # pragma: no cover - no other YAML values


def _same_set(expected: list[Any], actual: list[Any]) -> bool:
    if len(expected) != len(actual):
        return False
    left = list(actual)
    for e in expected:
        for i, a in enumerate(left):
            if _same(e, a):
                del left[i]
                break
        else:
            return False
    return True


def _project(expected: Any, actual: Any) -> Any:
    """``actual`` cut down to the keys ``expected`` names (for a readable diff)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: _project(v, actual.get(k, "(absent)")) for k, v in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list) and expected:
        return [_project(expected[min(i, len(expected) - 1)], a) for i, a in enumerate(actual)]
    return actual


def _show(value: Any) -> str:
    """A value as YAML flow text, the way expectations are written."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        if value == "" or value != value.strip() or re.search(r"[:,\[\]{}#&*!|>'\"%@`]", value):
            return json.dumps(value, ensure_ascii=False)
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expected key that the decision does not satisfy."""

    key: str
    """Dotted path of the key under ``expect`` (``costs.parts``, ``terms.project.end``)."""
    expected: Any
    actual: Any
    """The actual value, cut down to the shape of the expectation."""
    line: int | None = None
    """Line of the key in the case file."""
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "line": self.line,
            "expected": _jsonable(self.expected),
            "actual": _jsonable(self.actual),
            "note": self.note,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    return value


class _Compare:
    """Collects mismatches of one case (or of one alternative outcome)."""

    def __init__(self, case: Case, prefix: tuple[str | int, ...] = ()) -> None:
        self.case = case
        self.prefix = prefix
        self.out: list[Mismatch] = []

    def add(
        self, path: tuple[str | int, ...], expected: Any, actual: Any, note: str | None = None
    ) -> None:
        full = (*self.prefix, *path)
        text = ""
        for part in full:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        self.out.append(
            Mismatch(text, expected, actual, self.case.line_of(*full), note)
        )

    def value(self, path: tuple[str | int, ...], expected: Any, actual: Any) -> None:
        key = str(path[-1]) if path and isinstance(path[-1], str) else None
        if not _same(expected, actual, key):
            self.add(path, expected, _project(expected, actual))

    def as_set(self, path: tuple[str | int, ...], expected: list[Any], actual: list[Any]) -> None:
        if not _same_set(expected, actual):
            extra = [a for a in actual if not any(_same(e, a) for e in expected)]
            lacking = [e for e in expected if not any(_same(e, a) for a in actual)]
            parts = []
            if lacking:
                parts.append("missing " + _show(lacking))
            if extra:
                parts.append("unexpected " + _show(extra))
            self.add(path, expected, actual, "; ".join(parts) or None)

    def reasons(self, expected: list[str], rules: list[str]) -> None:
        lacking = [r for r in expected if r not in rules]
        if lacking:
            self.add(
                ("reasons",), expected, list(dict.fromkeys(rules)),
                f"not in the reasons: {_show(lacking)}",
            )

    def warnings(self, expected: list[str], actual: list[str]) -> None:
        if not expected:
            if actual:
                self.add(("warnings",), expected, actual)
            return
        lacking = [w for w in expected if not any(w in a for a in actual)]
        if lacking:
            self.add(("warnings",), expected, actual, f"no warning contains {_show(lacking)}")

    def by_id(
        self,
        path: tuple[str | int, ...],
        expected: Mapping[str, Any],
        items: Mapping[str, Any],
        scalar_key: str | None,
        what: str,
    ) -> None:
        for ident, want in expected.items():
            got = items.get(ident)
            where = (*path, ident)
            if want is None:
                if got is not None:
                    self.add(where, None, _show_brief(got), f"{what} {ident!r} is present")
                continue
            if got is None:
                self.add(where, want, None, f"no {what} {ident!r} in the result")
                continue
            if isinstance(want, dict):
                for k, v in want.items():
                    self.value((*where, k), v, got.get(k))
            else:
                assert scalar_key is not None
                self.value(where, want, got.get(scalar_key))


def _show_brief(item: Any) -> Any:
    if isinstance(item, dict):
        for key in ("state", "status", "end", "option"):
            if key in item:
                return {key: item[key]}
    return item


def _compare_outcome(cmp: _Compare, expect: Mapping[str, Any], out: Mapping[str, Any]) -> None:
    remedy = out.get("remedy")
    for key, want in expect.items():
        if key in ("status", "warranty", "term"):
            cmp.value((key,), want, out.get(key))
        elif key == "missing":
            cmp.as_set((key,), want, list(out.get("missing", ())))
        elif key == "remedy":
            if isinstance(want, dict) and remedy is not None:
                for k, v in want.items():
                    if k == "depreciation" and isinstance(v, dict) and remedy.get(k) is not None:
                        for dk, dv in v.items():
                            cmp.value((key, k, dk), dv, remedy[k].get(dk))
                    else:
                        cmp.value((key, k), v, remedy.get(k))
            elif isinstance(want, dict):
                cmp.add((key,), want, None)
            else:
                cmp.value((key,), want, None if remedy is None else remedy["option"])
        elif key == "options":
            if remedy is None:
                cmp.add((key,), want, None, "no remedy")
            else:
                cmp.as_set((key,), want, list(remedy["options"]))
        elif key == "terms":
            cmp.by_id((key,), want, {t["id"]: t for t in out.get("terms", ())}, None, "term")
        elif key == "exclusions":
            cmp.as_set((key,), want, [e["id"] for e in out.get("exclusions", ())])
        elif key == "loaners":
            cmp.by_id((key,), want, {x["rule"]: x for x in out.get("loaners", ())}, None, "loaner")
        elif key == "costs":
            _compare_costs(cmp, want, list(out.get("costs", ())))
        elif key == "customer_total":
            cmp.value((key,), want, _customer_total(list(out.get("costs", ()))))
        elif key == "reasons":
            cmp.reasons(want, [r["rule"] for r in out.get("reasons", ())])
        elif key == "warnings":
            cmp.warnings(want, list(out.get("warnings", ())))
        elif key == "alternatives":
            alts = list(out.get("alternatives", ()))
            if len(alts) != len(want):
                cmp.add(
                    (key,), want, [_project(want[0] if want else {}, a) for a in alts],
                    f"{len(alts)} alternative(s), expected {len(want)}",
                )
                continue
            for i, (w, a) in enumerate(zip(want, alts, strict=True)):
                sub = _Compare(cmp.case, (*cmp.prefix, key, i))
                _compare_outcome(sub, w, a)
                cmp.out.extend(sub.out)


def _customer_total(costs: list[Mapping[str, Any]]) -> str | None:
    total: Decimal | None = None
    currency = ""
    for c in costs:
        if c["payer"] == "customer" and c.get("amount"):
            m = _MONEY.match(str(c["amount"]))
            if m:
                total = (total or Decimal(0)) + Decimal(m.group(1))
                currency = m.group(2)
    return None if total is None else f"{total} {currency}"


def _compare_costs(cmp: _Compare, expect: Mapping[str, Any], costs: list[dict[str, Any]]) -> None:
    for line, want in expect.items():
        entries = [c for c in costs if c["line"] == line]
        path = ("costs", line)
        if want is None:
            if entries:
                cmp.add(path, None, [_entry_brief(c) for c in entries])
        elif isinstance(want, str):
            payers = [c["payer"] for c in entries]
            if payers != [want]:
                actual: Any = payers[0] if len(payers) == 1 else payers or None
                note = None
                if len(entries) == 1:
                    note = f"basis {entries[0]['basis']}, rule {entries[0]['rule']}"
                elif len(entries) > 1:
                    note = "the line is split: " + _show([_entry_brief(c) for c in entries])
                cmp.add(path, want, actual, note)
        elif isinstance(want, dict):
            if len(entries) != 1:
                cmp.add(
                    path, want, [_project(want, c) for c in entries] or None,
                    f"{len(entries)} entries for {line}, expected one",
                )
            else:
                for k, v in want.items():
                    cmp.value((*path, k), v, entries[0].get(k))
        elif not _same_set(want, entries):
            # a split line: one entry per payer, in no promised order
            cmp.add(
                path, want, [_project(want[0] if want else {}, c) for c in entries],
                f"{len(entries)} entries for {line}, expected {len(want)}"
                if len(entries) != len(want) else None,
            )


def _entry_brief(c: Mapping[str, Any]) -> dict[str, Any]:
    out = {"payer": c["payer"], "basis": c["basis"]}
    if c.get("amount"):
        out["amount"] = c["amount"]
    return out


def _compare_ticket(cmp: _Compare, expect: Mapping[str, Any], out: Mapping[str, Any]) -> None:
    for key, want in expect.items():
        if key in ("status", "channel", "region"):
            cmp.value((key,), want, out.get(key))
        elif key == "severity":
            sev = out["severity"]
            if isinstance(want, dict):
                for k, v in want.items():
                    cmp.value((key, k), v, sev.get(k))
            else:
                cmp.value((key,), want, sev.get("level"))
        elif key == "metrics":
            cmp.by_id((key,), want, {m["id"]: m for m in out["metrics"]}, "state", "metric")
        elif key == "not_applicable":
            cmp.as_set((key,), want, [n["id"] for n in out["not_applicable"]])
        elif key == "reasons":
            cmp.reasons(want, [r["rule"] for r in out["reasons"]])
        elif key == "warnings":
            cmp.warnings(want, list(out["warnings"]))


def _compare_schedule(cmp: _Compare, expect: Mapping[str, Any], out: Mapping[str, Any]) -> None:
    obligations = list(out["obligations"])
    by_id = {o["id"]: o for o in obligations}
    for key, want in expect.items():
        if key == "count":
            cmp.value((key,), want, len(obligations))
        elif key == "counts":
            for k, v in want.items():
                cmp.value((key, k), v, out["counts"].get(k))
        elif key == "ids":
            cmp.as_set((key,), want, [o["id"] for o in obligations])
        elif key == "obligations":
            if isinstance(want, list):
                for i, item in enumerate(want):
                    got = by_id.get(item["id"])
                    if got is None:
                        near = difflib.get_close_matches(item["id"], list(by_id), n=3, cutoff=0.5)
                        cmp.add(
                            (key, i), item, None,
                            f"no obligation {item['id']!r} in the horizon"
                            + (f" (nearest: {', '.join(near)})" if near else ""),
                        )
                        continue
                    for k, v in item.items():
                        if k != "id":
                            cmp.value((key, i, k), v, got.get(k))
            else:
                cmp.by_id((key,), want, by_id, "status", "obligation")
        elif key == "unmatched":
            got_unmatched = list(out["unmatched"])
            if not _same(want, got_unmatched):
                cmp.add((key,), want, _project(want, got_unmatched))
        elif key == "reasons":
            rules = [r["rule"] for o in obligations for r in o["reasons"]]
            cmp.reasons(want, rules)


# ---------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class CaseResult:
    """The outcome of running one case."""

    case: Case
    outcome: Outcome
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None
    """An engine or policy error (outcome ``error``, or ``xfailed`` on an xfail case)."""
    reasons: tuple[Reason, ...] = ()
    trace: tuple[str, ...] = ()
    """Extra lines shown under the reasons (schedule obligations)."""
    policy_id: str | None = None
    policy_version: str | None = None
    exercised: frozenset[str] = frozenset()
    """Coverage keys (:class:`RuleItem` keys) of the rules this case exercised."""
    actual: Mapping[str, Any] | None = field(default=None, repr=False)
    """The decision / schedule JSON, when the case ran."""

    @property
    def ok(self) -> bool:
        """Passed, or failed as expected (``xfailed``)."""
        return self.outcome in ("passed", "xfailed")

    def diff(self) -> str:
        """Expected vs actual per key, then the reasons trace, headed by the case's file:line."""
        case = self.case
        clause = f"  [{case.clause}]" if case.clause else ""
        lines = [f"{case.location}: {case.name}{clause}"]
        when = case.as_of.isoformat() if case.as_of is not None else ""
        if case.kind == "schedule" and case.start and case.end:
            when = f"horizon {case.start.isoformat()}..{case.end.isoformat()}" + (
                f", as of {when}" if when else ""
            )
        else:
            when = f"as of {when}"
        who = f"{self.policy_id} {self.policy_version}" if self.policy_id else display_path(
            case.policy_path
        )
        lines.append(f"  {case.kind} under {who}, {when}")
        if self.outcome == "xpassed":
            lines.append(f"  passed, but is marked xfail: {case.xfail}")
            lines.append("  (the bug looks fixed: remove the 'xfail' line)")
        if case.xfail and self.outcome == "xfailed":
            lines.append(f"  expected to fail: {case.xfail}")
        if self.error:
            lines.append(f"  error: {self.error}")
        for m in self.mismatches:
            where = f"  (line {m.line})" if m.line else ""
            lines.append(f"  {m.key}{where}")
            lines.append(f"    expected: {_show(m.expected)}")
            lines.append(f"    actual:   {_show(m.actual)}")
            if m.note:
                lines.append(f"    ({m.note})")
        if self.reasons:
            lines.append("  reasons:")
            for i, r in enumerate(self.reasons, 1):
                lines.append(f"    {i}. [{r.clause}] {r.text}  ({r.rule} @ {r.source})")
        if self.trace:
            lines.extend(f"  {t}" for t in self.trace)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        case = self.case
        return {
            "file": case.file,
            "line": case.line,
            "name": case.name,
            "clause": case.clause,
            "kind": case.kind,
            "policy": self.policy_id,
            "outcome": self.outcome,
            "xfail": case.xfail,
            "error": self.error,
            "mismatches": [m.to_json() for m in self.mismatches],
            "reasons": [r.to_json() for r in self.reasons],
            "exercised": sorted(self.exercised),
        }


# ---------------------------------------------------------------- coverage


@dataclass(frozen=True, slots=True)
class RuleItem:
    """A rule of a policy that cases can exercise."""

    key: str
    """``terms.project``, ``costs.covered.parts``, ``sla.metrics.on-site.targets[1]``, ..."""
    kind: str
    """term, exclusion, remedy, cost, metric, target, severity_rule, schedule."""
    rule: str
    """The id that appears in reasons."""
    source: str
    """``file:line`` of the rule."""


def policy_rules(policy: Policy) -> tuple[RuleItem, ...]:
    """Every rule of ``policy`` that coverage counts, in document order."""
    doc = policy.document
    out: list[RuleItem] = []

    def src(rule_id: str, path: tuple[str | int, ...] | None = None) -> str:
        if path is not None:
            origin = policy.locations.locate(path)
            if origin is not None and origin.file is not None:
                return f"{origin.file}:{origin.line}" if origin.line else str(origin.file)
        return str(policy.source_of(rule_id))

    for t in doc.terms:
        out.append(RuleItem(f"terms.{t.id}", "term", t.id, src(t.id)))
    for x in doc.exclusions:
        out.append(RuleItem(f"exclusions.{x.id}", "exclusion", x.id, src(x.id)))
    for r in doc.remedies:
        out.append(RuleItem(f"remedies.{r.id}", "remedy", r.id, src(r.id)))
    for situation in ("covered", "excluded", "expired"):
        for line in getattr(doc.costs, situation):
            name = getattr(line, "value", str(line))
            key = f"costs.{situation}.{name}"
            out.append(RuleItem(key, "cost", key, src(key)))
    if doc.sla is not None:
        for i in range(len(doc.sla.severity_rules)):
            key = f"sla.severity_rules[{i}]"
            out.append(RuleItem(key, "severity_rule", key, src(key, ("sla", "severity_rules", i))))
        for i, m in enumerate(doc.sla.metrics):
            out.append(RuleItem(f"sla.metrics.{m.id}", "metric", m.id, src(m.id)))
            if len(m.targets) > 1:
                for j in range(len(m.targets)):
                    key = f"sla.metrics.{m.id}.targets[{j}]"
                    out.append(
                        RuleItem(key, "target", key, src(key, ("sla", "metrics", i, "targets", j)))
                    )
    for s in doc.schedule:
        out.append(RuleItem(f"schedule.{s.id}", "schedule", s.id, src(s.id)))
    return tuple(out)


def _target_keys(policy: Policy, decision: Mapping[str, Any]) -> set[str]:
    """Keys of the targets the ticket's clocks used (metrics with several targets)."""
    doc = policy.document
    if doc.sla is None:
        return set()
    metrics = {m.id: m for m in doc.sla.metrics}
    out: set[str] = set()
    for status in decision.get("metrics", ()):
        metric = metrics.get(status["id"])
        written = status.get("target")
        if metric is None or written is None or len(metric.targets) < 2:
            continue
        starts = str(status.get("starts") or "")
        channel = starts.split(":", 1)[1] if starts.startswith("escalated:") else decision.get("channel")
        region = decision.get("region")
        severity = status.get("severity")
        best: tuple[int, int] | None = None
        fallback: int | None = None
        for j, t in enumerate(metric.targets):
            if str(t.within) != written:
                continue
            if fallback is None:
                fallback = j
            if t.severity is not None and severity not in t.severity:
                continue
            if t.channel is not None and channel not in t.channel:
                continue
            if t.region is not None and region not in t.region:
                continue
            spec = (t.severity is not None) + (t.channel is not None) + (t.region is not None)
            if best is None or spec > best[0]:
                best = (spec, j)
        index = best[1] if best is not None else fallback
        if index is not None:
            out.add(f"sla.metrics.{metric.id}.targets[{index}]")
    return out


@dataclass(frozen=True)
class PolicyCoverage:
    """Which rules of one policy the cases exercised."""

    policy_id: str
    file: str
    rules: tuple[RuleItem, ...]
    exercised: frozenset[str]
    cases: int

    @property
    def total(self) -> int:
        return len(self.rules)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rules if r.key in self.exercised)

    @property
    def percent(self) -> float:
        return 100.0 if not self.rules else 100.0 * self.covered / self.total

    @property
    def uncovered(self) -> tuple[RuleItem, ...]:
        return tuple(r for r in self.rules if r.key not in self.exercised)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy_id,
            "file": self.file,
            "cases": self.cases,
            "rules": self.total,
            "covered": self.covered,
            "percent": round(self.percent, 1),
            "uncovered": [
                {"rule": r.key, "kind": r.kind, "source": r.source} for r in self.uncovered
            ],
        }


# ---------------------------------------------------------------- running


class CaseRunner:
    """Runs cases; loads each policy once and remembers the rules for coverage."""

    def __init__(self) -> None:
        self._policies: dict[Path, Policy | PolicyError] = {}
        self._rules: dict[Path, tuple[RuleItem, ...]] = {}
        self._index: dict[Path, dict[str, tuple[str, ...]]] = {}
        self.results: list[CaseResult] = []

    def policy(self, path: Path) -> Policy:
        """The policy at ``path`` (loaded once; a :class:`PolicyError` is re-raised)."""
        key = path.resolve()
        if key not in self._policies:
            try:
                policy = load_policy(display_path(path))
                self._policies[key] = policy
                rules = policy_rules(policy)
                self._rules[key] = rules
                index: dict[str, list[str]] = {}
                for item in rules:
                    index.setdefault(item.rule, []).append(item.key)
                self._index[key] = {k: tuple(v) for k, v in index.items()}
            except PolicyError as exc:
                self._policies[key] = exc
        found = self._policies[key]
        if isinstance(found, PolicyError):
            raise found
        return found

    def run_file(self, case_file: CaseFile) -> list[CaseResult]:
        return [self.run(case) for case in case_file.cases]

    def run(self, case: Case) -> CaseResult:
        """Run one case; the result is also kept in :attr:`results` (for coverage)."""
        result = self._run(case)
        self.results.append(result)
        return result

    def _run(self, case: Case) -> CaseResult:
        try:
            policy = self.policy(case.policy_path)
        except PolicyError as exc:
            return self._error(case, f"the policy is invalid:\n{exc}", None)
        try:
            actual, reasons, trace = _evaluate(policy, case)
        except WarrantykitError as exc:
            return self._error(case, f"{type(exc).__name__}: {exc}", policy)
        except Exception as exc:  # an engine crash is this case's error, not the run's
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return self._error(
                case,
                f"unexpected {type(exc).__name__}: {exc} "
                f"(at {where.filename}:{where.lineno} in {where.name})",
                policy,
            )
        cmp = _Compare(case)
        if case.kind == "claim":
            _compare_outcome(cmp, case.expect, actual)
        elif case.kind == "ticket":
            _compare_ticket(cmp, case.expect, actual)
        else:
            _compare_schedule(cmp, case.expect, actual)
        key = case.policy_path.resolve()
        index = self._index.get(key, {})
        exercised: set[str] = set()
        for rule in _reason_rules(case.kind, actual):
            exercised.update(index.get(rule, ()))
        if case.kind == "ticket":
            exercised |= _target_keys(policy, actual)
        failed = bool(cmp.out)
        outcome: Outcome
        if case.xfail:
            outcome = "xfailed" if failed else "xpassed"
        else:
            outcome = "failed" if failed else "passed"
        return CaseResult(
            case=case,
            outcome=outcome,
            mismatches=tuple(cmp.out),
            reasons=reasons,
            trace=trace,
            policy_id=policy.id,
            policy_version=policy.version,
            exercised=frozenset(exercised),
            actual=actual,
        )

    def _error(self, case: Case, message: str, policy: Policy | None) -> CaseResult:
        return CaseResult(
            case=case,
            outcome="xfailed" if case.xfail else "error",
            error=message,
            policy_id=policy.id if policy else None,
            policy_version=policy.version if policy else None,
        )

    def rules(self, path: Path) -> tuple[RuleItem, ...]:
        """The coverage rules of the policy at ``path`` (loading it when needed)."""
        self.policy(path)
        return self._rules[path.resolve()]


def _reason_rules(kind: Kind, actual: Mapping[str, Any]) -> Iterator[str]:
    if kind == "schedule":
        for ob in actual.get("obligations", ()):
            for r in ob.get("reasons", ()):
                yield r["rule"]
        return
    for r in actual.get("reasons", ()):
        yield r["rule"]
    for alt in actual.get("alternatives", ()):
        for r in alt.get("reasons", ()):
            yield r["rule"]


def _evaluate(
    policy: Policy, case: Case
) -> tuple[dict[str, Any], tuple[Reason, ...], tuple[str, ...]]:
    if case.kind == "claim":
        assert isinstance(case.facts, Claim) and isinstance(case.as_of, date)
        decision = policy.evaluate(case.facts, as_of=case.as_of)
        reasons = decision.reasons + tuple(r for a in decision.alternatives for r in a.reasons)
        return decision.to_json(), reasons, ()
    if case.kind == "ticket":
        assert isinstance(case.facts, Ticket) and isinstance(case.as_of, datetime)
        ticket = policy.evaluate_ticket(case.facts, as_of=case.as_of)
        return ticket.to_json(), tuple(ticket.reasons), ()
    assert isinstance(case.facts, Asset) and case.start is not None and case.end is not None
    as_of = case.as_of if isinstance(case.as_of, date) else None
    schedule = policy.schedule(
        case.facts, start=case.start, end=case.end, performed=case.performed, as_of=as_of
    )
    trace = ["obligations:"]
    for ob in schedule.obligations:
        moved = f" (moved from {ob.moved_from.isoformat()})" if ob.moved_from else ""
        trace.append(
            f"  {ob.due.isoformat()}  {ob.status.value:<12}  {ob.id}  window {ob.window}{moved}"
        )
    if not schedule.obligations:
        trace.append("  (none in the horizon)")
    for u in schedule.unmatched:
        trace.append(
            f"  unmatched performed[{u.index}] {u.work.obligation} on {u.work.on.isoformat()}: "
            f"{u.reason}"
        )
    return schedule.to_json(), (), tuple(trace)


def coverage(runner: CaseRunner, policy_paths: Iterable[Path] = ()) -> list[PolicyCoverage]:
    """Coverage per policy of the cases ``runner`` ran, in first-run order.

    ``policy_paths`` adds policies no case ran (reported with nothing exercised).
    """
    order: dict[Path, None] = {}
    exercised: dict[Path, set[str]] = {}
    counts: dict[Path, int] = {}
    for result in runner.results:
        key = result.case.policy_path.resolve()
        order.setdefault(key, None)
        exercised.setdefault(key, set()).update(result.exercised)
        counts[key] = counts.get(key, 0) + 1
    for path in policy_paths:
        order.setdefault(path.resolve(), None)
    out: list[PolicyCoverage] = []
    for key in order:
        try:
            policy = runner.policy(key)
        except PolicyError:
            continue
        out.append(
            PolicyCoverage(
                policy_id=policy.id,
                file=display_path(key),
                rules=runner.rules(key),
                exercised=frozenset(exercised.get(key, set())),
                cases=counts.get(key, 0),
            )
        )
    return out
