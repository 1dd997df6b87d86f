"""One-line takeaways of the Retention page's charts, computed from the same numbers they show.

Each line is what the chart's slide in the deck says ("On average 31% of a cohort buy again in
month 1 ..."), so it must be true of the data and never show NaN: every function falls back to a
plain description when the figure it needs is missing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cvm_core import formatting, i18n
from cvm_core.analyses.retention.cohorts import CohortTables
from cvm_core.analyses.retention.economics import RetentionEconomics
from cvm_core.analyses.retention.survival import LifetimeProfile, SurvivalResult
from cvm_core.analyses.retention.tenure import TenureProfit
from cvm_core.i18n import N_, Nn_, _

PERIOD_WORDS = (Nn_("quarter", "quarters"),)
"""The cohort period words the unit words (:data:`cvm_core.i18n.UNIT_WORDS`) lack."""
MEASURE_WORDS = (N_("gross margin"), N_("net revenue"))
"""What :class:`TenureProfit` measures, translated in its sentence."""

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
    over = i18n.ngettext(
        "(average over {n} cohort, weighted by size)",
        "(average over {n} cohorts, weighted by size)",
        n,
    ).format(n=formatting.count(n))
    words = {"period": _(period), "age": age, "over": over}
    if measure == "customer_retention":
        first = cohort_average(tables, measure, 1)
        later = cohort_average(tables, measure, age)
        return _(
            "On average {first} of a cohort buy again in the {period} after acquisition and "
            "{later} in {period} {age} {over}."
        ).format(first=formatting.pct(first, 0), later=formatting.pct(later, 0), **words)
    value = cohort_average(tables, measure, age)
    if measure == "revenue_retention":
        return _(
            "In {period} {age} after acquisition, cohorts bring {share} of the net revenue of "
            "their first {period} {over}."
        ).format(share=formatting.pct(value, 0), **words)
    return _(
        "An acquired customer has brought {value} of net revenue by {period} {age} after "
        "acquisition {over}."
    ).format(value=formatting.money(value, currency), **words)


def gaps_takeaway(quantiles: dict[float, float], window_days: int) -> str:
    """The gap histogram's message: the median and 90th-percentile gap, and the window used."""
    window = formatting.counted(window_days, "day")
    if not quantiles:
        return _("No repeat purchases to learn from; the churn window is {window}.").format(
            window=window
        )
    return _(
        "Weighting every repeat customer equally, half of the gaps between purchases are within "
        "{median} and {share} within {p90}; churned = silent for more than {window}."
    ).format(
        median=formatting.counted(quantiles[0.5], "day"),
        share=formatting.pct(0.9, 0),
        p90=formatting.counted(quantiles[0.9], "day"),
        window=window,
    )


def churn_period_takeaway(table: pd.DataFrame, period: str) -> str:
    """Average churn per period over the last year (churned / active at start), and the latest."""
    recent = table.tail(YEAR_AGE[period])
    if recent.empty:
        return _("No customer lapsed in any complete {period}.").format(period=_(period))
    average = recent["churned"].sum() / recent["customers_at_start"].sum()
    last = table.iloc[-1]
    return _(
        "Churn averaged {average} per {period} over the last {periods}; {last}: {rate}."
    ).format(
        average=formatting.pct(average),
        period=_(period),
        periods=formatting.counted(len(recent), period),
        last=formatting.period_label(last["period"]),
        rate=formatting.pct(last["churn_rate"]),
    )


def churn_group_takeaway(table: pd.DataFrame, grouping: str) -> str:
    """The groups with the highest and the lowest churned share."""
    rated = table[table["customers"] > 0].sort_values("churn_rate", ascending=False)
    if rated.empty:
        # German nouns keep their capital.
        grouping = grouping.lower() if i18n.current() == "en" else grouping
        return _("No customer is old enough to tell churn by {grouping}.").format(grouping=grouping)
    high, low = rated.iloc[0], rated.iloc[-1]
    if len(rated) == 1:
        return _("{group}: {rate} churned.").format(
            group=high["group"], rate=formatting.pct(high["churn_rate"])
        )
    return _("Highest churn: {high} ({high_rate}); lowest: {low} ({low_rate}).").format(
        high=high["group"],
        high_rate=formatting.pct(high["churn_rate"]),
        low=low["group"],
        low_rate=formatting.pct(low["churn_rate"]),
    )


def _days(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return _("not reached")
    return formatting.counted(value, "day")


SHORT_MEDIAN_DAYS = 30
"""A median lifetime below this is the one-time buyers speaking, not how long customers stay."""


def _median_clause(median_days: float | None, lifetimes: LifetimeProfile | None) -> str:
    """The median lifetime in a sentence, unless it only restates that most bought once.

    Lifetime runs from the first purchase to the last, so one-time buyers live 0 days: with half
    of them bought once the median is 0-2 days, and "half have churned 2 days after their first
    purchase" would misread as a two-day relationship.
    """
    if median_days is None:
        return _("More than half of all customers are still active (median lifetime not reached).")
    if lifetimes is not None and lifetimes.one_time_share >= 0.5:
        return ""  # the profile's sentence already says most never came back
    if median_days < SHORT_MEDIAN_DAYS:
        return _(
            "Half of all customers stopped buying within a month of their first purchase "
            "(median lifetime {days})."
        ).format(days=_days(median_days))
    return _("Half of all customers have churned {days} after their first purchase.").format(
        days=_days(median_days)
    )


def survival_takeaway(
    survival: SurvivalResult, median_days: float | None, lifetimes: LifetimeProfile | None = None
) -> str:
    """How many never came back and how long repeat buyers stay, the median lifetime overall and,
    by group, which group stays longest and whether it's chance."""
    median = _median_clause(median_days, lifetimes)
    parts = [lifetimes.sentence()] if lifetimes is not None else []
    overall = " ".join(parts + ([median] if median else []))
    groups = survival.groups
    if len(groups) < 2 or survival.logrank_p is None:
        return overall
    one_year = groups.dropna(subset=["survival_1y"]).sort_values("survival_1y")
    if len(one_year) < 2:
        return overall
    best, worst = one_year.iloc[-1], one_year.iloc[0]
    p = (
        f"p < {formatting.number(0.001, 3)}"
        if survival.logrank_p < 0.001
        else f"p = {formatting.number(survival.logrank_p, 3)}"
    )
    after = _(
        "After a year {best_share} of {best} are still active vs {worst_share} of {worst} "
        "(log-rank {p})."
    ).format(
        best_share=formatting.pct(best["survival_1y"], 0),
        best=best["group"],
        worst_share=formatting.pct(worst["survival_1y"], 0),
        worst=worst["group"],
        p=p,
    )
    return f"{overall} {after}"


def tenure_takeaway(tenure: TenureProfit, currency: str) -> str:
    """How the yearly value of a kept customer grows from year 1 to the last year with data."""
    known = tenure.table[tenure.table["value_per_customer_year"].notna()]
    measure = _(tenure.measure)
    if known.empty:
        return _("Too few customer-years to measure {measure} by year of the relationship.").format(
            measure=measure
        )
    first, last = known.iloc[0], known.iloc[-1]
    first_value = formatting.money(first["value_per_customer_year"], currency)
    if len(known) < 2 or not np.isfinite(last["ratio_to_year1"]):
        return _("A first-year customer yields {value} of {measure} per year.").format(
            value=first_value, measure=measure
        )
    # The label reads 'Year 3' or 'Year 4+' (the last year gathers the later ones).
    year = _("year {year}").format(year=str(last["label"]).split(" ", 1)[-1])
    return _(
        "A kept customer in {year} yields {ratio}× the yearly {measure} of a first-year customer "
        "({value} vs {first_value})."
    ).format(
        year=year,
        ratio=formatting.number(last["ratio_to_year1"], 1),
        measure=measure,
        value=formatting.money(last["value_per_customer_year"], currency),
        first_value=first_value,
    )


def economics_takeaway(economics: RetentionEconomics, currency: str) -> str:
    """The value of the largest uplift shown, on today's customers."""
    row = economics.table.iloc[-1]
    return _(
        "+{points} points of annual retention ({before} → {after}) are worth {value} on today's "
        "{customers}."
    ).format(
        points=int(row["uplift_points"]),
        before=formatting.pct(economics.annual_retention),
        after=formatting.pct(row["retention"]),
        value=formatting.money_short(row["uplift_total"], currency),
        customers=formatting.counted(economics.active_customers, "customer"),
    )
