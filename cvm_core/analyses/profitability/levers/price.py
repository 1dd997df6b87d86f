"""Lever: a price increase on the target customers' revenue."""

from __future__ import annotations

from cvm_core.analyses.profitability.levers.working import Working
from cvm_core.analyses.profitability.scenario_base import ScenarioBase
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario


def apply(w: Working, base: ScenarioBase, s: WhaleScenario) -> None:
    w.revenue *= 1.0 + s.price_increase
    w.returns *= 1.0 + s.price_increase
