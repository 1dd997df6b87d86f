"""The transaction models by key: one module each, one line each here (the order is the order
the page offers them)."""

from __future__ import annotations

from cvm_core.analyses.clv.models.base import ModelSpec
from cvm_core.analyses.clv.models.bgnbd import BGNBD
from cvm_core.analyses.clv.models.mbgnbd import MBGNBD
from cvm_core.analyses.clv.models.pareto_nbd import ParetoNBD

MODEL_SPECS: dict[str, type[ModelSpec]] = {spec.key: spec for spec in (BGNBD, ParetoNBD, MBGNBD)}
