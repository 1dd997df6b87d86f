"""The revenue bridge (cvm_core/analyses/scorecard/bridge.py) on a hand-built shop."""

from __future__ import annotations

import pandas as pd
import pytest

from cvm_core.analyses.scorecard.bridge import revenue_bridge


def tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "revenue"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


def test_the_change_splits_into_new_lost_returning_and_existing_customers():
    shop = tx([
        ("A", "2024-01-10", 100), ("A", "2024-04-05", 150),   # existing: +50
        ("B", "2024-02-01", 80),                              # lost: -80
        ("C", "2023-11-20", 40), ("C", "2024-05-01", 60),     # back after a pause: +60
        ("D", "2024-06-30", 30), ("D", "2024-06-30", -10),    # new in Q2, net 20
        ("E", "2024-03-01", 50), ("E", "2024-05-20", 20),     # existing: -30
    ])  # fmt: skip
    bridge = revenue_bridge(shop, pd.Timestamp("2024-04-01"), "Q")
    # Q1 2024: A 100 + B 80 + E 50 = 230 ; Q2 2024: A 150 + C 60 + D 20 + E 20 = 250
    assert (bridge.before, bridge.now) == (230, 250)
    assert bridge.new_customers == 20
    assert bridge.lost_customers == 80
    assert bridge.returning_customers == 60
    assert bridge.existing_change == pytest.approx(50 - 30)
    assert bridge.contributions == {"Acquisition": 20, "Retention": -20, "Growth": 20}
    assert sum(bridge.contributions.values()) == pytest.approx(bridge.now - bridge.before)


def test_no_period_before_no_bridge():
    shop = tx([("A", "2024-04-10", 100)])
    assert revenue_bridge(shop, pd.Timestamp("2024-04-01"), "Q") is None
