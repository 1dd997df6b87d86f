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

import numpy as np

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


def bridge_of_pairs(
    customer: np.ndarray, period: np.ndarray, net: np.ndarray, n: int, now: int
) -> RevenueBridge | None:
    """The bridge from the period before to period ``now``, from (customer, period) pairs with
    their net revenue (returns included): the Scorecard's period table, so the bridge explains the
    revenue the scorecard shows, cut off at the same observation end. Customer codes below ``n``,
    periods numbered alike; None when there is no period before."""
    if not (period < now).any():
        return None

    def per_customer(which: int) -> tuple[np.ndarray, np.ndarray]:
        rows = period == which
        return (
            np.bincount(customer[rows], net[rows], n),
            np.bincount(customer[rows], minlength=n) > 0,
        )

    now_revenue, bought_now = per_customer(now)
    before_revenue, bought_before = per_customer(now - 1)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, customer, period)  # the first period with any line, a return too
    new = first == now
    both = bought_now & bought_before
    return RevenueBridge(
        before=float(before_revenue.sum()),
        now=float(now_revenue.sum()),
        new_customers=float(now_revenue[new].sum()),
        lost_customers=float(before_revenue[bought_before & ~bought_now].sum()),
        returning_customers=float(now_revenue[bought_now & ~bought_before & ~new].sum()),
        existing_change=float(now_revenue[both].sum() - before_revenue[both].sum()),
    )
