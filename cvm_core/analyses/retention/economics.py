"""Retention economics: what a few points more retention are worth (margin, retention, discount)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core.analyses.retention.defaults import DEFAULT_DISCOUNT_RATE, DEFAULT_UPLIFT_POINTS
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent

# --------------------------------------------------------------------------------------------
# Retention economics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionEconomics:
    """What a few points more annual retention are worth on the current customer base.

    Expected lifetime value of a customer paying margin m at the start of each year, kept with
    probability r per year, discounted at d: CLV = m (1 + d) / (1 + d - r).

    Attributes
    ----------
    table : DataFrame
        uplift_points, retention, clv_per_customer, uplift_per_customer, uplift_total.
    """

    annual_retention: float
    retention_source: str
    value_per_customer_year: float
    measure: str
    discount_rate: float
    active_customers: int
    base_clv: float
    table: pd.DataFrame
    formula: str = "CLV = m × (1 + d) / (1 + d − r)"


def lifetime_value(margin: float, retention: float, discount_rate: float) -> float:
    """m (1 + d) / (1 + d - r): the discounted sum of m r^t / (1 + d)^t over t = 0, 1, 2, ..."""
    if not 0 <= retention <= 1:
        raise ValidationError(
            Message(
                N_("Annual retention must be between {low} and {high}."),
                low=Percent(0, 0), high=Percent(1, 0),
            )
        )  # fmt: skip
    if discount_rate <= 0:
        raise ValidationError(
            Message(
                N_("The discount rate must be above {low}: set it to your cost of capital, e.g. "
                   "{example}."),
                low=Percent(0, 0), example=Percent(0.1, 0),
            )
        )  # fmt: skip
    return margin * (1 + discount_rate) / (1 + discount_rate - retention)


def retention_economics(
    annual_retention: float,
    value_per_customer_year: float,
    active_customers: int,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    uplift_points: tuple[int, ...] = DEFAULT_UPLIFT_POINTS,
    measure: str = "gross margin",
    retention_source: str = "",
) -> RetentionEconomics:
    """Value of +N points of annual retention: (CLV at r + N points - CLV at r) x active customers.

    Retention is capped at 100%.
    """
    base = lifetime_value(value_per_customer_year, annual_retention, discount_rate)
    rows = []
    for points in uplift_points:
        r = min(annual_retention + points / 100, 1.0)
        clv = lifetime_value(value_per_customer_year, r, discount_rate)
        rows.append((points, r, clv, clv - base, (clv - base) * active_customers))
    table = pd.DataFrame(
        rows,
        columns=[
            "uplift_points",
            "retention",
            "clv_per_customer",
            "uplift_per_customer",
            "uplift_total",
        ],
    )
    return RetentionEconomics(
        annual_retention, retention_source, value_per_customer_year, measure, discount_rate,
        int(active_customers), base, table,
    )  # fmt: skip
