"""Lever: a small-order surcharge, or a minimum order value that small orders grow to or are lost."""

from __future__ import annotations

import numpy as np

from cvm_core.analyses.profitability.activities import (
    CHANNEL_PREFIX,
    ORDERS,
    SMALL_ORDERS,
)
from cvm_core.analyses.profitability.levers.working import Working
from cvm_core.analyses.profitability.scenario_base import ScenarioBase
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario


def apply(w: Working, base: ScenarioBase, s: WhaleScenario) -> None:
    counts, values = base.below(s.order_limit)
    count = w.view(counts)
    if s.small_order_policy == "surcharge":
        w.revenue += s.surcharge * count
        return
    # Minimum order value: small orders are bundled into orders of the minimum value, same spend.
    bundled = w.view(values) / s.order_limit
    removed = count - bundled
    for j in base.columns_with(ORDERS):
        w.volume(base, j)[:] -= removed
    before = w.view(base.order_count)
    scale = np.divide(before - removed, before, out=np.ones(w.idx.size), where=before > 0)
    for channel in base.channels:
        for j in base.columns_with(f"{CHANNEL_PREFIX}{channel}"):
            w.volume(base, j)[:] *= scale
    small_after = np.zeros(w.idx.size)
    if s.order_limit < base.small_order_threshold:
        # Orders between the limit and the threshold stay small, and so do the bundles.
        still_small = w.view(base.below(base.small_order_threshold)[0]) - count
        small_after = still_small + bundled
    for j in base.columns_with(SMALL_ORDERS):
        w.volume(base, j)[:] = small_after
