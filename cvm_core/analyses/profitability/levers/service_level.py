"""Lever: a lower service level, cutting the cost of chosen activities."""

from __future__ import annotations

import numpy as np

from cvm_core.analyses.profitability.levers.working import Working
from cvm_core.analyses.profitability.scenario_base import ScenarioBase
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario


def apply(w: Working, base: ScenarioBase, s: WhaleScenario) -> None:
    names = np.asarray(base.activities, dtype=object)
    chosen = np.isin(names, list(s.service_activities)) if s.service_activities else None
    w.set_service(s.service_cut, chosen)
