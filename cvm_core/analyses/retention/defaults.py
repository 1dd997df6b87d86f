"""Defaults and limits shared by the retention modules (churn rule, lists, groupings)."""

from __future__ import annotations

DAYS_PER_YEAR = 365.25
DEFAULT_DISCOUNT_RATE = 0.10
DEFAULT_UPLIFT_POINTS: tuple[int, ...] = (1, 2, 3, 5)

INACTIVITY = "inactivity"
P_ALIVE = "p_alive"
ACTIVE, CHURNED, TOO_NEW = "Active", "Churned", "Too new to tell"
ACQUISITION_YEAR = "Acquisition year"
