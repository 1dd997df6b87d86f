"""The CLV page's chart sentences, now in the core so the deck can use them too."""

from __future__ import annotations

import pandas as pd

from cvm_core.analyses.clv import takeaways


def test_p_alive_takeaway_counts_customers_below_one_half():
    p_alive = pd.Series([0.1, 0.2, 0.9, 0.8, 0.49])
    assert takeaways.p_alive_takeaway(p_alive) == (
        "60% of customers have probably stopped buying (P(alive) below 50%)."
    )


def test_distribution_takeaway_gives_median_and_mean():
    values = pd.Series([10.0, 20.0, 90.0])
    text = takeaways.distribution_takeaway(values, "EUR", 36)
    assert text.startswith("Half the customers are worth less than ")
    assert "20" in text and "40" in text and "over 36 months" in text


def test_scenario_takeaway_without_a_treatment_says_so():
    total = pd.Series(
        {"treatment_cost": 0.0, "incremental_value": 0.0, "net_value": 0.0, "roi": 0.0}
    )
    assert takeaways.scenario_takeaway(total, "EUR") == (
        "No treatment set: projected CLV equals today's course."
    )
