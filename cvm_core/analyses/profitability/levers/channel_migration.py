"""Lever: move a share of orders from one channel to a cheaper one."""

from __future__ import annotations

from cvm_core.analyses.profitability.activities import (
    CHANNEL_PREFIX,
)
from cvm_core.analyses.profitability.levers.working import Working
from cvm_core.analyses.profitability.scenario_base import ScenarioBase
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario


def offered_channels(base: ScenarioBase) -> list[str]:
    """Channels orders can be moved between: those the activity table gives a rate (an assumed
    average rate included), most costly first; never ``Unknown``."""
    return list(base.channel_costs["channel"])


def apply(w: Working, base: ScenarioBase, s: WhaleScenario) -> None:
    offered = offered_channels(base)
    if s.migrate_from == s.migrate_to or s.migrate_from not in offered:
        return
    if s.migrate_to not in offered:  # a channel without a rate would make the move look free
        return
    moved = s.migrate_share * w.view(base.channel_orders[base.channels.index(s.migrate_from)])
    for j in base.columns_with(f"{CHANNEL_PREFIX}{s.migrate_from}"):
        w.volume(base, j)[:] -= moved
    for j in base.columns_with(f"{CHANNEL_PREFIX}{s.migrate_to}"):
        w.volume(base, j)[:] += moved
