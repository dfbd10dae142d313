"""Hypothesis profiles: `ci` is small and reproducible, `local` explores more.

Choose one with HYPOTHESIS_PROFILE=ci|local|nightly (default: local).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,  # a fixed, small budget per test
    derandomize=True,  # the same examples on every run: no flaky builds
    database=None,  # nothing to keep between CI runs
    deadline=None,  # shared runners have noisy timings
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,  # a failure prints a @reproduce_failure line
)
settings.register_profile("local", max_examples=200, deadline=None)
settings.register_profile("nightly", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "local"))
