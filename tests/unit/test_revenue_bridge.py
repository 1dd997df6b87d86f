"""The revenue bridge (cvm_core/analyses/scorecard/bridge.py) on a hand-built shop, as the
scorecard computes it from its own period table."""

from __future__ import annotations

import pandas as pd
import pytest

from cvm_core.analyses.scorecard.build import build_scorecard
from cvm_core.analyses.scorecard.inputs import Scorecard, ScorecardSettings
from cvm_core.intake.summary import customer_summary


def card(rows, end: str, period: str | None = None) -> Scorecard:
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "revenue"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["is_return"] = tx["revenue"] < 0
    tx["order_id"] = [f"o{i}" for i in range(len(tx))]
    summary = customer_summary(tx, "week", pd.Timestamp(end))
    settings = ScorecardSettings(period=period)
    return build_scorecard(tx, summary, settings=settings, observation_end=end)


SHOP = [
    ("A", "2024-01-10", 100), ("A", "2024-04-05", 150),   # existing: +50
    ("B", "2024-02-01", 80),                              # lost: -80
    ("C", "2023-11-20", 40), ("C", "2024-05-01", 60),     # back after a pause: +60
    ("D", "2024-06-30", 30), ("D", "2024-06-30", -10),    # new in Q2, net 20
    ("E", "2024-03-01", 50), ("E", "2024-05-20", 20),     # existing: -30
]  # fmt: skip


def test_the_change_splits_into_new_lost_returning_and_existing_customers():
    bridge = card(SHOP, "2024-06-30").bridge
    # Q1 2024: A 100 + B 80 + E 50 = 230 ; Q2 2024: A 150 + C 60 + D 20 + E 20 = 250
    assert (bridge.before, bridge.now) == (230, 250)
    assert bridge.new_customers == 20
    assert bridge.lost_customers == 80
    assert bridge.returning_customers == 60
    assert bridge.existing_change == pytest.approx(50 - 30)
    assert bridge.contributions == {"Acquisition": 20, "Retention": -20, "Growth": 20}
    assert sum(bridge.contributions.values()) == pytest.approx(bridge.now - bridge.before)


def test_the_bridge_stops_at_the_observation_end_as_the_measures_do():
    """Ended on 15 May, the (partial) Q2 holds A 150 and C 60: D (new, June) and E's May 20
    purchase come after it, so E counts as lost. The bridge's revenue is the scorecard's: 210 over
    2 buyers."""
    scored = card(SHOP, "2024-05-15", period="Q2 2024")
    bridge = scored.bridge
    assert (bridge.before, bridge.now) == (230, 210)
    assert bridge.new_customers == 0
    assert bridge.lost_customers == 80 + 50
    assert bridge.returning_customers == 60
    assert bridge.existing_change == 50
    assert float(scored.row("revenue_per_customer")["value"]) == 210 / 2


def test_no_period_before_no_bridge():
    assert card([("A", "2024-04-10", 100)], "2024-06-30").bridge is None
