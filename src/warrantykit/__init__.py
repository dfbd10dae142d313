"""warrantykit: after-sales commitments as declarative YAML policies.

    >>> import warrantykit
    >>> policy = warrantykit.load_policy("policies/hvac-project-36-months.yaml")  # doctest: +SKIP
    >>> decision = policy.evaluate(claim, as_of=date(2025, 3, 1))                # doctest: +SKIP
    >>> print(decision.explain())                                                # doctest: +SKIP

The public surface is small: :func:`load_policy`, the :class:`Policy` it
returns, the fact models in :mod:`warrantykit.facts` and the errors in
:mod:`warrantykit.errors`.
"""

from warrantykit.engine.compiled import Policy, load_policy
from warrantykit.errors import (
    CalendarError,
    EvaluationError,
    FactsError,
    PolicyError,
    Problem,
    UnsupportedByBackend,
    WarrantykitError,
)
from warrantykit.facts import (
    Asset,
    AssetDates,
    Claim,
    Evidence,
    PerformedWork,
    RepairRecord,
    Ticket,
    TicketEvent,
    WarrantyCard,
)
from warrantykit.money import Money

__version__ = "0.1.0"

__all__ = [
    "Asset",
    "AssetDates",
    "CalendarError",
    "Claim",
    "EvaluationError",
    "Evidence",
    "FactsError",
    "Money",
    "PerformedWork",
    "Policy",
    "PolicyError",
    "Problem",
    "RepairRecord",
    "Ticket",
    "TicketEvent",
    "UnsupportedByBackend",
    "WarrantyCard",
    "WarrantykitError",
    "__version__",
    "load_policy",
]
