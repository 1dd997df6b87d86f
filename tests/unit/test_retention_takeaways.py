"""Chart takeaways of the Retention page: the numbers in each line, computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.retention import churn as R
from cvm_core.analyses.retention import economics, gaps
from cvm_core.analyses.retention import survival as retention_survival
from cvm_core.analyses.retention import takeaways as T
from cvm_core.analyses.retention import tenure as retention_tenure
from tests.unit.test_cohorts import TINY, tables
from tests.unit.test_retention import CHURN_TX, SPELL_END, SPELL_TX, status_of


def test_cohort_averages_are_weighted_by_cohort_size():
    cohorts = tables(TINY, end="2024-03-31")
    # Month 1: Jan cohort 1 of 2 bought, Feb cohort 1 of 2: 2 / 4. Month 2: only Jan, 2 of 2.
    assert T.cohort_average(cohorts, "customer_retention", 1) == 0.5
    assert T.cohort_average(cohorts, "customer_retention", 2) == 1.0
    # Month 1 revenue: (50 + 60) / (300 + 180); month 2: 110 / 300.
    assert T.cohort_average(cohorts, "revenue_retention", 1) == pytest.approx(110 / 480)
    # Cumulative per customer at month 1: (175 x 2 + 120 x 2) / 4.
    assert T.cohort_average(cohorts, "cumulative_revenue_per_customer", 1) == 147.5
    assert T.cohort_average(cohorts, "customer_retention", 3) is None
    assert T.cohort_takeaway(cohorts, "customer_retention", "EUR") == (
        "On average 50% of a cohort buy again in the month after acquisition and 100% in month 2 "
        "(average over 1 cohort, weighted by size)."
    )
    assert T.cohort_takeaway(cohorts, "revenue_retention", "EUR") == (
        "In month 2 after acquisition, cohorts bring 37% of the net revenue of their first month "
        "(average over 1 cohort, weighted by size)."
    )
    assert T.cohort_takeaway(cohorts, "cumulative_revenue_per_customer", "USD").startswith(
        "An acquired customer has brought $230 of net revenue by month 2"
    )


def test_churn_takeaways():
    spells = gaps.activity_spells(SPELL_TX, 30, SPELL_END)
    table = R.churn_by_period(spells, "month", SPELL_END)
    # Churned 2 + 1 + 1 of 3 + 2 + 2 active at the starts; April: 1 of 2.
    assert T.churn_period_takeaway(table, "month") == (
        "Churn averaged 57.1% per month over the last 3 months; Apr 2024: 50.0%."
    )
    by_group = pd.DataFrame(
        {"group": ["N", "S", "E"], "customers": [4, 5, 0], "churned": [1, 4, 0]}
    ).assign(churn_rate=lambda f: f["churned"] / f["customers"].replace(0, np.nan))
    assert T.churn_group_takeaway(by_group, "Region") == (
        "Highest churn: S (80.0%); lowest: N (25.0%)."
    )
    assert T.gaps_takeaway({0.5: 6.0, 0.9: 10.0}, 12) == (
        "Weighting every repeat customer equally, half of the gaps between purchases are within "
        "6 days and 90% within 10 days; churned = silent for more than 12 days."
    )
    assert "No repeat purchases" in T.gaps_takeaway({}, 90)


def test_survival_tenure_and_economics_takeaways():
    status = status_of(CHURN_TX, gaps.ChurnRule(30), "2024-03-31")
    survival = retention_survival.survival_analysis(status)
    assert T.survival_takeaway(survival, 45.0) == (
        "Half of all customers have churned 45 days after their first purchase."
    )
    assert "median lifetime not reached" in T.survival_takeaway(survival, None)
    # A 2-day median is the one-time buyers speaking: said as such, never "churned 2 days after".
    assert T.survival_takeaway(survival, 2.0) == (
        "Half of all customers stopped buying within a month of their first purchase (median "
        "lifetime 2 days)."
    )
    mostly_once = retention_survival.LifetimeProfile(0.6, 300.0, 40)
    assert T.survival_takeaway(survival, 2.0, mostly_once) == (
        "60% of customers have not come back after their first purchase; repeat buyers stay "
        "about 10 months (median)."  # 300 days / 30.4
    )
    tenure = retention_tenure.TenureProfit(
        "gross margin",
        pd.DataFrame(
            {
                "label": ["Year 1", "Year 2"],
                "value_per_customer_year": [100.0, 250.0],
                "ratio_to_year1": [1.0, 2.5],
            }
        ),
        "",
    )
    assert T.tenure_takeaway(tenure, "EUR") == (
        "A kept customer in year 2 yields 2.5× the yearly gross margin of a first-year customer "
        "(€250 vs €100)."
    )
    econ = economics.retention_economics(0.8, 100.0, 1000, 0.1, (1, 5))
    # (110 / 0.25 - 110 / 0.3) x 1,000 = 73,333.
    assert T.economics_takeaway(econ, "EUR") == (
        "+5 points of annual retention (80.0% → 85.0%) are worth €73.3k on today's 1,000 customers."
    )
