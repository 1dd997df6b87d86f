"""Model names, defaults and limits shared by the CLV modules."""

from __future__ import annotations

from cvm_core.analyses.clv.models import MODEL_SPECS

MODELS: dict[str, str] = {key: spec.label for key, spec in MODEL_SPECS.items()}
"""Transaction models: key -> display name (models/ holds one module per model)."""

DEFAULT_MODEL = "bgnbd"
"""The transaction model a bare TransactionModel() fits."""
AUTO = "auto"
"""Model choice: whichever model the comparison recommends (holdout error, else likelihood)."""
MODEL_CHOICES: dict[str, str] = {AUTO: "Auto (recommended by the comparison)", **MODELS}
"""What a user can choose: Auto or one model; Auto is the default everywhere."""
DEFAULT_CHOICE = AUTO
PENALIZER_STEPS: tuple[float, ...] = (0.0, 0.001, 0.01, 0.1, 1.0)
"""Penalties on the (time-scaled) parameters, tried in turn when an optimisation fails."""
