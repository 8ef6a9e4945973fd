"""Shared test setup: Hypothesis profiles.

``ci`` (the default) keeps the whole suite fast; set ``RUNFSM_HYPOTHESIS_PROFILE=thorough``
for many more examples and deeper stateful runs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, stateful_step_count=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("RUNFSM_HYPOTHESIS_PROFILE", "ci"))
