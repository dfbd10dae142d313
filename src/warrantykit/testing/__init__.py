"""Tools for testing policies: YAML case files, coverage by rule, a pytest plugin.

* :mod:`warrantykit.testing.cases` -- load and run ``*.cases.yaml`` files
  (named cases with facts, ``as_of`` and the expected part of the decision),
  diff expected against actual, and compute which rules the cases exercised;
* :mod:`warrantykit.testing.pytest_plugin` -- collects case files as pytest
  items (registered as the ``warrantykit`` ``pytest11`` entry point).

``warrantykit test PATH...`` (:mod:`warrantykit.cli.test`) runs case files
from the command line. The format is documented in
:mod:`warrantykit.testing.cases`.
"""

from warrantykit.testing.cases import (
    Case,
    CaseFile,
    CaseResult,
    CaseRunner,
    Mismatch,
    PolicyCoverage,
    RuleItem,
    coverage,
    find_case_files,
    is_case_file,
    load_case_file,
    policy_rules,
)

__all__ = [
    "Case",
    "CaseFile",
    "CaseResult",
    "CaseRunner",
    "Mismatch",
    "PolicyCoverage",
    "RuleItem",
    "coverage",
    "find_case_files",
    "is_case_file",
    "load_case_file",
    "policy_rules",
]
