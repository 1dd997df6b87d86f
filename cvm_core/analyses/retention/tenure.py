"""Profit by year of the relationship: what a customer earns in their first, second, ... year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.retention.cohorts import (
    customer_positions,
)
from cvm_core.analyses.retention.days import day_number, day_numbers, require
from cvm_core.i18n import N_, Message, Number

TENURE_YEARS = 4
"""Relationship years shown separately; the last one collects that year and later (4+)."""
MIN_TENURE_CUSTOMER_YEARS = 5.0
"""A relationship year with less exposure than this is reported as not enough data."""
DOMAIN_CLAIM_RATIO = 3.0
"""DOMAIN.md: a customer kept four years can yield around three times their first year's profit."""


# --------------------------------------------------------------------------------------------
# Profit by relationship year
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenureProfit:
    """Value per active customer-year in each year of the relationship.

    Attributes
    ----------
    measure : str
        "gross margin" (cost of goods known on every row) or "net revenue".
    table : DataFrame
        year (1, 2, ...), label ("Year 1", ..., "Year 4+"), customers (active at some point in that
        year), customer_years (time spent as active customers in that year), value,
        value_per_customer_year (NaN below MIN_TENURE_CUSTOMER_YEARS), ratio_to_year1.
    claim : str
        DOMAIN.md's "about three times the profit of the first year by year four", checked.
    """

    measure: str
    table: pd.DataFrame
    claim: str


def profit_by_tenure(
    transactions: pd.DataFrame,
    status: pd.DataFrame,
    window_days: int,
    observation_end: pd.Timestamp | None = None,
    max_year: int = TENURE_YEARS,
    min_customer_years: float = MIN_TENURE_CUSTOMER_YEARS,
) -> TenureProfit:
    """Profit per active customer-year by year of the relationship (year 1 = first 365 days).

    A customer counts as active from the first purchase until ``window_days`` after the last one
    (or the observation end, if sooner). Each year's value (gross margin, else net revenue) is
    divided by the time customers spent active in that year, so partly observed years count pro
    rata and lapsed customers don't dilute the figure: it is the yearly value of a customer who
    is kept, as in the retention literature's "profit per customer by year of tenure".

    Parameters
    ----------
    max_year : int
        Years 1 .. max_year - 1 separately, the last one collecting year max_year and later.
    min_customer_years : float
        Years with less active time than this get no figure (NaN): too little data.
    """
    require(status, ("first_purchase", "last_purchase"), N_("churn status"))
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    in_time = (transactions["date"] <= end).to_numpy()
    cost = transactions["cost"].to_numpy(float)[in_time] if "cost" in transactions else None
    use_margin = cost is not None and cost.size > 0 and not np.isnan(cost).any()
    value = transactions["revenue"].to_numpy(float)[in_time] - (cost if use_margin else 0.0)
    position = customer_positions(status.index, transactions["customer_id"].to_numpy()[in_time])
    keep = position >= 0
    first_day = day_numbers(status["first_purchase"])
    tenure = day_numbers(transactions["date"])[in_time][keep] - first_day[position[keep]]
    year = np.clip(tenure // 365, 0, max_year - 1)
    totals = np.bincount(year, value[keep], minlength=max_year)[:max_year]
    return tenure_profit(totals, use_margin, status, window_days, end, max_year, min_customer_years)


def tenure_from_table(
    values: pd.DataFrame,
    status: pd.DataFrame,
    window_days: int,
    observation_end: pd.Timestamp,
    max_year: int = TENURE_YEARS,
    min_customer_years: float = MIN_TENURE_CUSTOMER_YEARS,
) -> TenureProfit:
    """:func:`profit_by_tenure` from the ``tenure_values`` table (DuckDB or Spark)."""
    use_margin = bool(values["lines"].sum() > 0 and values["lines_without_cost"].sum() == 0)
    column = "gross_margin" if use_margin else "net_revenue"
    totals = np.zeros(max_year)
    totals[values["year"].to_numpy(dtype=np.int64)] = values[column].to_numpy(dtype=float)
    return tenure_profit(totals, use_margin, status, window_days, observation_end, max_year,
                         min_customer_years)  # fmt: skip


def tenure_profit(
    totals: np.ndarray,
    use_margin: bool,
    status: pd.DataFrame,
    window_days: int,
    end: pd.Timestamp,
    max_year: int,
    min_customer_years: float,
) -> TenureProfit:
    """The table from each relationship year's value and every customer's time as active."""
    first_day = day_numbers(status["first_purchase"])
    stop = np.minimum(day_numbers(status["last_purchase"]) + window_days, day_number(end) + 1)
    active_days = np.maximum(stop - first_day, 0).astype(float)
    starts = np.arange(max_year) * 365.0
    lengths = np.append(np.full(max_year - 1, 365.0), np.inf)
    exposure = np.clip(active_days[:, None] - starts[None, :], 0, lengths[None, :])
    table = _tenure_table(totals, exposure, max_year, min_customer_years)
    measure = "gross margin" if use_margin else "net revenue"
    return TenureProfit(measure, table, _claim_text(table, measure))


def _tenure_table(
    totals: np.ndarray, exposure: np.ndarray, max_year: int, min_customer_years: float
) -> pd.DataFrame:
    years = exposure.sum(axis=0) / 365.0
    table = pd.DataFrame(
        {
            "year": np.arange(1, max_year + 1),
            "label": [f"Year {y}" for y in range(1, max_year)] + [f"Year {max_year}+"],
            "customers": (exposure > 0).sum(axis=0).astype(np.int64),
            "customer_years": years,
            "value": totals,
        }
    )
    enough = (years >= min_customer_years) & (years > 0)
    table["value_per_customer_year"] = np.where(enough, totals / np.maximum(years, 1e-9), np.nan)
    base = table["value_per_customer_year"].iloc[0]
    table["ratio_to_year1"] = table["value_per_customer_year"] / base if base > 0 else np.nan
    return table


def _claim_text(table: pd.DataFrame, measure: str) -> str:
    """The rule of thumb checked on this data, as a Message: the result is cached across
    language switches, so the page renders it in the language on screen (i18n.shown)."""
    known = table[table["value_per_customer_year"].notna()]
    what = Message(measure)  # 'gross margin' or 'net revenue', translated where shown
    if len(known) < 2 or not np.isfinite(known["ratio_to_year1"].iloc[-1]):
        return Message(
            N_("Rule of thumb: a customer kept for four years can yield around three times the "
               "profit of their first year. This data does not follow enough customers beyond "
               "their first year (or has no positive first-year {measure}), so it cannot be "
               "checked."),
            measure=what,
        )  # fmt: skip
    last = known.iloc[-1]
    ratio = Number(float(last["ratio_to_year1"]))
    year = str(last["label"]).removeprefix("Year ")  # '3', or '5+' for the last, open year
    if int(last["year"]) < TENURE_YEARS:
        return Message(
            N_("Rule of thumb: a customer kept for four years can yield around three times the "
               "profit of their first year. Here a kept customer in year {year} of the "
               "relationship yields {ratio}× the yearly {measure} of a first-year customer. The "
               "data does not reach year {years} for enough customers, so the claim can only be "
               "checked in part."),
            year=year, ratio=ratio, measure=what, years=TENURE_YEARS,
        )  # fmt: skip
    if ratio >= DOMAIN_CLAIM_RATIO * 1.25:
        verdict = Message(N_("more than the rule of thumb says"))
    elif ratio >= DOMAIN_CLAIM_RATIO * 0.75:
        verdict = Message(N_("in line with the rule of thumb"))
    else:
        verdict = Message(N_("well below the rule of thumb: in this business, loyalty pays less"))
    return Message(
        N_("Rule of thumb: a customer kept for four years can yield around three times the profit "
           "of their first year. Here a kept customer in year {year} of the relationship yields "
           "{ratio}× the yearly {measure} of a first-year customer: {verdict}."),
        year=year, ratio=ratio, measure=what, verdict=verdict,
    )  # fmt: skip
