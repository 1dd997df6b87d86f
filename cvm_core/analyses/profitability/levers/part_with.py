"""Lever: parting with the least profitable target customers."""

from __future__ import annotations

import numpy as np

from cvm_core.analyses.profitability.levers.working import Working
from cvm_core.analyses.profitability.scenario_base import ScenarioBase
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario


def apply(w: Working, base: ScenarioBase, s: WhaleScenario) -> None:
    count = int(round(s.part_with * w.idx.size))
    if count <= 0:
        return
    # Today's ranking, lowest profit first, restricted to the target: no sort per slider move.
    if w.everyone:
        w.kept[base.worst_first[:count]] = False
        return
    worst = base.worst_first[w.target[base.worst_first]][:count]
    kept = np.ones(base.customers, bool)
    kept[worst] = False
    w.kept &= kept[w.idx]
