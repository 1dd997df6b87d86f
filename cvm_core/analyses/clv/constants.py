"""Model names, defaults and limits shared by the CLV modules."""

from __future__ import annotations

MODELS: dict[str, str] = {"bgnbd": "BG/NBD", "pareto": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
"""Transaction models: key -> display name."""

DEFAULT_MODEL = "bgnbd"
PENALIZER_STEPS: tuple[float, ...] = (0.0, 0.001, 0.01, 0.1, 1.0)
"""Penalties on the (time-scaled) parameters, tried in turn when an optimisation fails."""
_LOG_BOUND = 15.0  # log-parameters beyond +-15 mean the optimiser ran off to 0 or infinity
