"""How much each customer process contributed to the change in revenue (the growth goal).

Revenue this period minus revenue the period before splits exactly into:

- acquisition: what customers whose first purchase falls in this period bought;
- retention: minus what customers of the period before who bought nothing now had bought, plus
  what customers who came back after a pause (bought before, not in the period before) bought;
- growth: the change in what customers of both periods bought (more orders, more products).

The three add up to the change, so the scorecard's process measures each carry a number in the
currency that explains the goal above them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

AREAS = ("Acquisition", "Retention", "Growth")


@dataclass(frozen=True)
class RevenueBridge:
    """Net revenue of two periods and the change split by process area (same currency)."""

    before: float
    now: float
    new_customers: float
    lost_customers: float
    returning_customers: float
    existing_change: float

    @property
    def contributions(self) -> dict[str, float]:
        """Area -> its part of ``now - before``."""
        return {
            "Acquisition": self.new_customers,
            "Retention": self.returning_customers - self.lost_customers,
            "Growth": self.existing_change,
        }


def revenue_bridge(
    transactions: pd.DataFrame, period_start: pd.Timestamp, frequency: str
) -> RevenueBridge | None:
    """The bridge from the period before to the period starting at ``period_start`` ("Q" or
    "M"), from net revenue (returns included); None when there is no period before."""
    if transactions.empty:
        return None
    periods = transactions["date"].dt.to_period(frequency)
    now_period = pd.Period(period_start, freq=frequency)
    if (periods < now_period).sum() == 0:
        return None
    by_customer = transactions.groupby([transactions["customer_id"], periods])["revenue"].sum()
    now = by_customer.xs(now_period, level=1) if now_period in periods.values else _empty()
    before_period = now_period - 1
    before = by_customer.xs(before_period, level=1) if before_period in periods.values else _empty()
    first = transactions.groupby("customer_id")["date"].min().dt.to_period(frequency)
    new_ids = first.index[first == now_period]
    both = now.index.intersection(before.index)
    returning = now.index.difference(before.index).difference(new_ids)
    lost = before.index.difference(now.index)
    return RevenueBridge(
        before=float(before.sum()),
        now=float(now.sum()),
        new_customers=float(now.reindex(new_ids).fillna(0).sum()),
        lost_customers=float(before.reindex(lost).sum()),
        returning_customers=float(now.reindex(returning).sum()),
        existing_change=float(now.reindex(both).sum() - before.reindex(both).sum()),
    )


def _empty() -> pd.Series:
    return pd.Series(dtype=float)
