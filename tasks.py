#!/usr/bin/env python3
"""Project tasks that work on a fresh machine with only Python 3.11.

    python3 tasks.py demo   # set up .venv, check the shipped policies, evaluate a real example
    python3 tasks.py test   # set up .venv, then ruff, mypy --strict, policy check/fmt/test and the test suite

`.venv` is created when absent and reinstalled when pyproject.toml changes.
Under CI (CI=true) Hypothesis uses its small `ci` profile; locally the `dev` one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py runs on whatever python3 is
        sys.exit(f"warrantykit needs Python >= 3.11; this is {sys.version.split()[0]}")
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and PY.exists():
        return
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip", env=pip_env)
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[test,durable]", env=pip_env)
    stamp.write_text(wanted)


def demo() -> None:
    ensure_venv()
    run(BIN / "warrantykit", "check", "policies/")
    demo_script = ROOT / "examples" / "demo.py"
    if demo_script.exists():
        run(PY, demo_script)


def test() -> None:
    ensure_venv()
    env = dict(os.environ)
    if env.get("CI", "").lower() in ("1", "true", "yes"):
        env.setdefault("HYPOTHESIS_PROFILE", "ci")
    run(BIN / "ruff", "check", "src", "tests", "bench", "examples", "tasks.py")
    run(BIN / "mypy", "--strict", "src/")
    run(BIN / "warrantykit", "check", "--strict", "policies/")
    run(BIN / "warrantykit", "fmt", "--check", "policies/")
    # every case file passes and every rule of every shipped policy is exercised by one
    run(BIN / "warrantykit", "test", "--min-coverage", "100", "policies/")
    run(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", env=env)


TASKS = {"demo": demo, "test": test}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}}")
    TASKS[sys.argv[1]]()
