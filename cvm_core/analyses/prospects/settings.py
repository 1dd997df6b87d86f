"""The prospects analysis's settings, apart from its models so that reading them (workspaces, the
command table) imports no scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass

from cvm_core.analyses.base import Settings, setting


@dataclass(frozen=True)
class ProspectSettings(Settings):
    """Which tiers count as valuable and how the tree is grown and checked.

    ``top_tiers``: the first so many value tiers (1: Platinum; 2: Platinum and Gold).
    ``max_depth``: conditions per rule. ``min_leaf_share``: the smallest group a rule may describe,
    as a share of the training customers. ``test_share``: customers held out to check the model.
    """

    top_tiers: int = setting(1, low=1, high=3, label="Top tiers")
    max_depth: int = setting(3, low=1, high=5, label="Conditions per rule")
    min_leaf_share: float = setting(0.02, low=0.005, high=0.2, label="Smallest group")
    test_share: float = setting(0.3, low=0.1, high=0.5, label="Held-out share")
    random_state: int = setting(0, low=0, high=2**31 - 1)
