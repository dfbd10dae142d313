"""pytest plugin: collect ``*.cases.yaml`` files as test items.

Registered as the ``warrantykit`` entry point of group ``pytest11``, so it is
active wherever warrantykit is installed: ``pytest policies/`` runs every
case file below ``policies/``, one test item per case, named by the case
name. A failing case shows the same diff as ``warrantykit test`` (expected vs
actual per key, the reasons trace) and its location is the case's line in the
case file. ``xfail: <reason>`` becomes a strict ``xfail`` marker: the case is
expected to fail, and passing fails the run (remove the mark). An invalid case
file is a collection error listing every problem with its file:line.

``-p no:warrantykit`` disables the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from warrantykit.errors import PolicyError
from warrantykit.testing.cases import Case, CaseResult, CaseRunner, is_case_file, load_case_file

__all__ = ["CaseFailure", "CaseFileItem", "CasesFile", "pytest_collect_file"]

_RUNNER_KEY = pytest.StashKey[CaseRunner]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_case_file(file_path):
        collector: CasesFile = CasesFile.from_parent(parent, path=file_path)
        return collector
    return None


def _runner(config: pytest.Config) -> CaseRunner:
    runner = config.stash.get(_RUNNER_KEY, None)
    if runner is None:
        runner = config.stash[_RUNNER_KEY] = CaseRunner()
    return runner


class CaseFileError(Exception):
    """A case file could not be loaded (reported as a collection error)."""


class CasesFile(pytest.File):
    """A ``*.cases.yaml`` file: one :class:`CaseFileItem` per case."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            case_file = load_case_file(self.path)
        except PolicyError as exc:
            raise CaseFileError(str(exc)) from None
        for case in case_file.cases:
            item: CaseFileItem = CaseFileItem.from_parent(self, name=case.name, case=case)
            yield item

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str:
        if isinstance(excinfo.value, CaseFileError):
            return f"invalid case file:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))


class CaseFailure(Exception):
    """Raised by a failing case; carries the result for the report."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.diff())
        self.result = result


class CaseFileItem(pytest.Item):
    """One case of a case file."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        if case.xfail:
            self.add_marker(pytest.mark.xfail(reason=case.xfail, strict=True, raises=CaseFailure))

    def runtest(self) -> None:
        runner = _runner(self.config)
        result = runner.run(self.case)
        if result.outcome in ("failed", "error", "xfailed"):
            raise CaseFailure(result)

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str:
        if isinstance(excinfo.value, CaseFailure):
            return excinfo.value.result.diff()
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.file}:{self.case.line}: {self.case.name}"
