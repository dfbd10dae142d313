"""A durable-rules worker process for the tests (see ``worker.py``) and shared paths."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
WORKER = Path(__file__).with_name("worker.py")

SHIPPED = tuple(
    p
    for p in sorted(POLICIES.rglob("*.yaml"))
    if not p.name.endswith((".cases.yaml", ".inc.yaml"))
)
"""Every shipped policy file."""

UNSUPPORTED_FEATURES = (
    "a substring test",
    "significant digits",
    "is not a list or mapping",
    "comparing",
)
"""What the backend documents as unsupported (``warrantykit.engine.durable``); any other
``UnsupportedByBackend`` on a generated claim fails the differential test."""


def _signal_name(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Worker:
    """``tests/durable/worker.py`` in a subprocess; restarted after it dies."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None
        self.stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self.asked = 0

    def _start(self) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.stderr.seek(0)
        self.stderr.truncate()
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            encoding="utf-8",
            cwd=ROOT,
            env=env,
        )
        return self.proc

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the worker's answer; a dead or hung worker fails the test."""
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        assert proc.stdin is not None and proc.stdout is not None
        self.asked += 1
        line = ""
        try:
            proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                if sel.select(self.timeout):
                    line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if line:
            answer: dict[str, Any] = json.loads(line)
            return answer
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            how = f"did not answer within {self.timeout:.0f} s (killed)"
        else:
            how = f"died ({_signal_name(proc.returncode)})"
        self.stderr.seek(0)
        tail = self.stderr.read()[-2000:]
        self.proc = None
        pytest.fail(
            f"the durable-rules worker {how} on request #{self.asked}:\n"
            f"{json.dumps(request, ensure_ascii=False)[:2000]}\n--- worker stderr ---\n{tail}",
            pytrace=False,
        )

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.stderr.close()


def differences(pure: Any, durable: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (paths and both values), at most a few."""
    out: list[str] = []
    if isinstance(pure, dict) and isinstance(durable, dict):
        for key in list(dict.fromkeys([*pure, *durable])):
            out += differences(pure.get(key), durable.get(key), f"{path}.{key}")
    elif isinstance(pure, list) and isinstance(durable, list) and len(pure) == len(durable):
        for i, (a, b) in enumerate(zip(pure, durable, strict=True)):
            out += differences(a, b, f"{path}[{i}]")
    elif pure != durable:
        out.append(f"{path or '.'}: pure {json.dumps(pure, ensure_ascii=False)[:400]} != "
                   f"durable {json.dumps(durable, ensure_ascii=False)[:400]}")
    return out[:8]
