"""Shared test configuration: Hypothesis profiles.

``ci`` keeps the whole suite well under 10 minutes on 2 cores; ``dev`` (the
local default) explores more. Choose with HYPOTHESIS_PROFILE=ci|dev|thorough.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
