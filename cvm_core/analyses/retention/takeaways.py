"""One-line takeaways of the Retention page's charts, computed from the same numbers they show.

Each line is what the chart's slide in the deck says ("On average 31% of a cohort buy again in
month 1 ..."), so it must be true of the data and never show NaN: every function falls back to a
plain description when the figure it needs is missing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.retention.cohorts import CohortTables
from cvm_core.analyses.retention.economics import RetentionEconomics
from cvm_core.analyses.retention.survival import LifetimeProfile, SurvivalResult
from cvm_core.analyses.retention.tenure import TenureProfit

YEAR_AGE = {"month": 12, "quarter": 4, "week": 52}
"""Periods since acquisition that make one year, per cohort period."""


def cohort_average(tables: CohortTables, measure: str, age: int) -> float | None:
    """Cohort-size-weighted average of a cohort measure at ``age`` periods since acquisition.

    Over the cohorts observed at that age: customer retention = buyers / customers acquired;
    revenue retention = net revenue at ``age`` / net revenue at age 0 (cohorts with positive
    first-period revenue); cumulative revenue per customer = cumulative net revenue / customers.
    None when no cohort is observed that long.
    """
    if age not in tables.customer_retention.columns:
        return None
    seen = tables.customer_retention[age].notna().to_numpy()
    sizes = tables.sizes.to_numpy(dtype=float)[seen]
    if measure == "customer_retention":
        top, bottom = tables.active_customers[age].to_numpy()[seen].sum(), sizes.sum()
    elif measure == "revenue_retention":
        base = tables.net_revenue[0].to_numpy()[seen]
        positive = base > 0
        top = tables.net_revenue[age].to_numpy()[seen][positive].sum()
        bottom = base[positive].sum()
    elif measure == "cumulative_revenue_per_customer":
        cumulative = tables.cumulative_revenue_per_customer[age].to_numpy()[seen]
        top, bottom = (cumulative * sizes).sum(), sizes.sum()
    else:
        raise ValueError(f"unknown cohort measure {measure!r}")
    return float(top / bottom) if bottom > 0 else None


def _reference_age(tables: CohortTables) -> int:
    """A year after acquisition, or the longest age any cohort was observed, if shorter."""
    return int(min(YEAR_AGE[tables.period], tables.customer_retention.columns.max()))


def cohort_takeaway(tables: CohortTables, measure: str, currency: str) -> str:
    """The heatmap's message: the size-weighted average a period and a year after acquisition."""
    period, age = tables.period, _reference_age(tables)
    n = int(tables.customer_retention[age].notna().sum())
    over = f"(average over {n} cohort{'s' if n != 1 else ''}, weighted by size)"
    if measure == "customer_retention":
        first = cohort_average(tables, measure, 1)
        later = cohort_average(tables, measure, age)
        return (
            f"On average {formatting.pct(first, 0)} of a cohort buy again in the {period} after "
            f"acquisition and {formatting.pct(later, 0)} in {period} {age} {over}."
        )
    value = cohort_average(tables, measure, age)
    if measure == "revenue_retention":
        return (
            f"In {period} {age} after acquisition, cohorts bring {formatting.pct(value, 0)} of "
            f"the net revenue of their first {period} {over}."
        )
    return (
        f"An acquired customer has brought {formatting.money(value, currency)} of net revenue "
        f"by {period} {age} after acquisition {over}."
    )


def gaps_takeaway(quantiles: dict[float, float], window_days: int) -> str:
    """The gap histogram's message: the median and 90th-percentile gap, and the window used."""
    if not quantiles:
        return f"No repeat purchases to learn from; the churn window is {formatting.counted(window_days, 'day')}."
    return (
        f"Weighting every repeat customer equally, half of the gaps between purchases are "
        f"within {formatting.counted(quantiles[0.5], 'day')} and 90% within {formatting.counted(quantiles[0.9], 'day')}; churned = "
        f"silent for more than {formatting.counted(window_days, 'day')}."
    )


def churn_period_takeaway(table: pd.DataFrame, period: str) -> str:
    """Average churn per period over the last year (churned / active at start), and the latest."""
    recent = table.tail(YEAR_AGE[period])
    if recent.empty:
        return f"No customer lapsed in any complete {period}."
    average = recent["churned"].sum() / recent["customers_at_start"].sum()
    last = table.iloc[-1]
    return (
        f"Churn averaged {formatting.pct(average)} per {period} over the last {len(recent)} "
        f"{period}s; {last['period']}: {formatting.pct(last['churn_rate'])}."
    )


def churn_group_takeaway(table: pd.DataFrame, grouping: str) -> str:
    """The groups with the highest and the lowest churned share."""
    rated = table[table["customers"] > 0].sort_values("churn_rate", ascending=False)
    if rated.empty:
        return f"No customer is old enough to tell churn by {grouping.lower()}."
    high, low = rated.iloc[0], rated.iloc[-1]
    if len(rated) == 1:
        return f"{high['group']}: {formatting.pct(high['churn_rate'])} churned."
    return (
        f"Highest churn: {high['group']} ({formatting.pct(high['churn_rate'])}); lowest: "
        f"{low['group']} ({formatting.pct(low['churn_rate'])})."
    )


def _days(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "not reached"
    return formatting.counted(value, "day")


SHORT_MEDIAN_DAYS = 30
"""A median lifetime below this is the one-time buyers speaking, not how long customers stay."""


def _median_clause(median_days: float | None, lifetimes: LifetimeProfile | None) -> str:
    """The median lifetime in words, unless it only restates that most bought once.

    Lifetime runs from the first purchase to the last, so one-time buyers live 0 days: with half
    of them bought once the median is 0-2 days, and "half have churned 2 days after their first
    purchase" would misread as a two-day relationship.
    """
    if median_days is None:
        return "More than half of all customers are still active (median lifetime not reached)"
    if lifetimes is not None and lifetimes.one_time_share >= 0.5:
        return ""  # the profile's sentence already says most never came back
    if median_days < SHORT_MEDIAN_DAYS:
        return (
            "Half of all customers stopped buying within a month of their first purchase "
            f"(median lifetime {_days(median_days)})"
        )
    return f"Half of all customers have churned {_days(median_days)} after their first purchase"


def survival_takeaway(
    survival: SurvivalResult, median_days: float | None, lifetimes: LifetimeProfile | None = None
) -> str:
    """How many never came back and how long repeat buyers stay, the median lifetime overall and,
    by group, which group stays longest and whether it's chance."""
    median = _median_clause(median_days, lifetimes)
    parts = [lifetimes.sentence()] if lifetimes is not None else []
    overall = " ".join(parts + ([median + "."] if median else []))
    groups = survival.groups
    if len(groups) < 2 or survival.logrank_p is None:
        return overall
    one_year = groups.dropna(subset=["survival_1y"]).sort_values("survival_1y")
    if len(one_year) < 2:
        return overall
    best, worst = one_year.iloc[-1], one_year.iloc[0]
    p = "p < 0.001" if survival.logrank_p < 0.001 else f"p = {survival.logrank_p:.3f}"
    return (
        f"{overall} After a year {formatting.pct(best['survival_1y'], 0)} of {best['group']} "
        f"are still active vs {formatting.pct(worst['survival_1y'], 0)} of {worst['group']} "
        f"(log-rank {p})."
    )


def tenure_takeaway(tenure: TenureProfit, currency: str) -> str:
    """How the yearly value of a kept customer grows from year 1 to the last year with data."""
    known = tenure.table[tenure.table["value_per_customer_year"].notna()]
    if known.empty:
        return f"Too few customer-years to measure {tenure.measure} by year of the relationship."
    first, last = known.iloc[0], known.iloc[-1]
    first_value = formatting.money(first["value_per_customer_year"], currency)
    if len(known) < 2 or not np.isfinite(last["ratio_to_year1"]):
        return f"A first-year customer yields {first_value} of {tenure.measure} per year."
    return (
        f"A kept customer in {last['label'].lower()} yields {last['ratio_to_year1']:.1f}× the "
        f"yearly {tenure.measure} of a first-year customer "
        f"({formatting.money(last['value_per_customer_year'], currency)} vs {first_value})."
    )


def economics_takeaway(economics: RetentionEconomics, currency: str) -> str:
    """The value of the largest uplift shown, on today's customers."""
    row = economics.table.iloc[-1]
    return (
        f"+{int(row['uplift_points'])} points of annual retention "
        f"({formatting.pct(economics.annual_retention)} → {formatting.pct(row['retention'])}) "
        f"are worth {formatting.money_short(row['uplift_total'], currency)} on today's "
        f"{formatting.counted(economics.active_customers, 'customer')}."
    )
