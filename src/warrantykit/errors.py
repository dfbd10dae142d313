"""Every exception warrantykit raises, under one base class.

Callers catch :class:`WarrantykitError` to handle anything the library reports;
the subclasses say which boundary rejected the input:

* :class:`PolicyError`   -- a policy file (YAML) is invalid; carries every
  :class:`Problem` found in the file, each with file, line, column and field path.
* :class:`FactsError`    -- facts handed to the engine (a claim, a ticket, an
  asset) are invalid; carries problems with the field path inside the facts.
* :class:`EvaluationError` -- valid policy and facts that the engine cannot
  combine (a term needs an anchor date the asset lacks, an ambiguous month end
  when the policy asked for an error, ...).
* :class:`CalendarError`  -- a business-calendar operation got impossible input
  (a calendar with no working time, a negative duration).
* :class:`UnsupportedByBackend` -- an optional backend (durable-rules) cannot
  evaluate a feature the pure engine supports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CalendarError",
    "EvaluationError",
    "FactsError",
    "PolicyError",
    "Problem",
    "ReplayMismatch",
    "UnsupportedByBackend",
    "WarrantykitError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input, located as precisely as possible.

    ``path`` is the field path inside the document (``terms[2].length``);
    ``file``/``line``/``column`` locate it in a YAML file when there is one
    (1-based; ``None`` when the input did not come from a file).
    ``code`` is a stable identifier for the kind of problem (``unknown-key``).
    """

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    code: str = "invalid"

    def location(self) -> str:
        """``file:line:column`` (as much of it as is known)."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        head = f"{loc}: " if loc else ""
        field = f"{self.path}: " if self.path else ""
        return f"{head}{field}{self.message}"


class WarrantykitError(Exception):
    """Base class of every error warrantykit raises on purpose."""


class _ProblemsError(WarrantykitError):
    """An error that carries one or more located :class:`Problem` records."""

    def __init__(self, problems: Iterable[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("an error needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]


class PolicyError(_ProblemsError):
    """A policy document is invalid. ``problems`` lists everything found in it."""


class FactsError(_ProblemsError):
    """Facts (claim, ticket, asset, performed work) are invalid.

    Each problem's ``path`` is the field path inside the facts, e.g.
    ``claim.repairs[1].returned``.
    """


class EvaluationError(_ProblemsError):
    """Valid inputs the engine cannot combine into a decision."""


class CalendarError(WarrantykitError):
    """A calendar or date-arithmetic operation got input it cannot handle."""


class UnsupportedByBackend(WarrantykitError):
    """An optional engine backend does not support a feature of the policy."""

    def __init__(self, backend: str, feature: str) -> None:
        self.backend = backend
        self.feature = feature
        super().__init__(f"the {backend} backend does not support {feature}")


class ReplayMismatch(WarrantykitError):
    """Re-evaluating a recorded decision gave a different result."""

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = tuple(differences)
        super().__init__("replay differs:\n" + "\n".join(self.differences))
