"""CLV as future profit (issue 13): expected margin minus expected cost-to-serve.

The cost rates are checked on the hand-worked shop of test_profitability; the projection of the
time-driven costs is checked against the Pareto/NBD survival function integrated in closed form,
which does not go through the code's purchase paths.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv import scenario, transaction_model
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability import projection
from cvm_core.analyses.profitability.pnl import customer_pnl
from cvm_core.intake.cdnow import load_cdnow_transactions
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.summary import customer_summary
from tests.unit.test_profitability import shop_activities, shop_service, shop_transactions

# --- the split of cost-to-serve into per-purchase and per-day rates (the shop, unit = day) ----
#
# Purchase occasions (repeat purchases + 1): A 2 (2 Jan, 1 Feb), B 1, C 2 (7 Jan, 1 Mar).
# Days observed, T, to the last date 1 Mar 2024: A 59, B 56, C 54.
#   A: per purchase: orders 4 + lines 1.5 + returns 10 + small 3 + phone 4 + web 1 = 23.5 / 2
#      per time: calls 8 over 59 days
#   B: per purchase: orders 2 + lines 0.5 = 2.5 / 1; per time: visits 100 over 56 days
#   C: per purchase: orders 4 + lines 1 + small 6 + phone 8 = 19 / 2; per time: calls 20 over 54
# Time costs are shrunk towards the average rate (8 + 100 + 20) / (59 + 56 + 54) = 128 / 169 a
# day by a prior of six months (182.625 days): (own cost + 128/169 x 182.625) / (T + 182.625).
AVERAGE = 128 / 169
PRIOR = 182.625


def test_service_cost_rates_split_activities_by_what_drives_them():
    tx = shop_transactions()
    summary = customer_summary(tx, "day")
    pnl = customer_pnl(summary, tx, shop_activities(), shop_service())
    rates = projection.service_cost_rates(pnl, summary, "day")
    assert list(summary["frequency"]) == [1, 0, 1]
    assert list(summary["T"]) == [59, 56, 54]
    np.testing.assert_allclose(rates["cost_per_purchase"], [11.75, 2.5, 9.5])
    expected = [
        (cost + AVERAGE * PRIOR) / (t + PRIOR) for cost, t in [(8, 59), (100, 56), (20, 54)]
    ]
    np.testing.assert_allclose(rates["cost_per_period"], expected)
    # In total the shrunk rates still charge what was spent, as if everyone were average.
    assert (rates["cost_per_period"] * (summary["T"] + PRIOR)).sum() == pytest.approx(
        128 + AVERAGE * PRIOR * 3
    )


def test_a_new_customer_leans_on_the_average_rate():
    tx = shop_transactions()
    summary = customer_summary(tx, "day", observation_end="2024-01-08")
    pnl = customer_pnl(summary, tx, shop_activities(), shop_service(), observation_end="2024-01-08")
    rates = projection.service_cost_rates(pnl, summary, "day")
    # To 8 Jan: A observed 6 days (2 calls = 8), B 3 days (1 visit = 100), C 1 day (5 calls = 20).
    # Average 128 / 10 a day; B's own rate, 100 / 3 a day, is pulled almost all the way to it.
    average = 128 / 10
    b_rate = (100 + average * PRIOR) / (3 + PRIOR)
    assert list(summary["T"]) == [6, 3, 1]
    assert rates.loc["B", "cost_per_period"] == pytest.approx(b_rate)
    assert b_rate < 100 / 3


# --- the projection (CDNOW, weekly) ------------------------------------------------------------


@pytest.fixture(scope="module")
def pareto_fit() -> clv.CLVFit:
    tx = dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD").transactions
    settings = clv.FitSettings("pareto", "week", compare=False)
    return clv.fit_clv(tx, settings)


def _costs(index: pd.Index, per_purchase: float, per_week: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"cost_per_purchase": per_purchase, "cost_per_period": per_week}, index=index
    )


def _discounted_weeks_alive(s: float, beta: float, age: np.ndarray, months: int) -> np.ndarray:
    """Pareto/NBD: an alive customer's survival to t beyond T is ((beta+T)/(beta+T+t))^s, so the
    time alive within [t0, t1] integrates to (beta+T)/(s-1) * (S(t0)^((s-1)/s) - S(t1)^...)."""
    grid = transaction_model.month_grid(months, "week")
    base = beta + age[:, None]
    weeks = base / (s - 1.0) * (1.0 - (base / (base + grid[None, :])) ** (s - 1.0))
    return np.diff(weeks, axis=1) @ transaction_model.discount_factors(months, 0.10)


def test_clv_is_future_margin_minus_cost_per_purchase_and_per_week_alive(pareto_fit):
    settings = clv_values.ValueSettings(horizon_months=36, margin=0.3)
    costs = _costs(pareto_fit.summary.index, 2.0, 0.5)
    values = clv_values.customer_values(pareto_fit, settings, costs, "test rates")
    table = values.customers
    params = pareto_fit.model.params_
    weeks_alive = table["p_alive"] * _discounted_weeks_alive(
        params["s"], params["beta"], table["T"].to_numpy(), 36
    )
    expected_cost = 2.0 * table["discounted_purchases"] + 0.5 * weeks_alive
    np.testing.assert_allclose(table["future_cost_to_serve"], expected_cost, rtol=1e-6)
    np.testing.assert_allclose(
        table["future_margin"], 0.3 * table["discounted_purchases"] * table["expected_spend"]
    )
    np.testing.assert_allclose(table["clv"], table["future_margin"] - expected_cost, rtol=1e-6)
    assert values.cost_basis == "test rates"
    assert values.total_clv == pytest.approx(values.future_margin - values.future_cost_to_serve)


def test_a_customer_costing_more_than_their_margin_has_negative_clv_and_the_bottom_tier(
    pareto_fit,
):
    settings = clv_values.ValueSettings(margin=0.3)
    gross = clv_values.customer_values(pareto_fit, settings).customers
    best = gross["clv"].idxmax()
    assert gross.loc[best, "tier"] == "Platinum"
    costs = _costs(gross.index, 0.0, 0.0)
    # Each of the best customer's purchases costs 10 more to serve than its expected margin.
    row = gross.loc[best]
    costs.loc[best, "cost_per_purchase"] = row["expected_spend"] * row["margin_rate"] + 10.0
    net = clv_values.customer_values(pareto_fit, settings, costs, "test rates").customers
    assert net.loc[best, "clv"] == pytest.approx(-10.0 * row["discounted_purchases"])
    assert net.loc[best, "clv"] < 0
    assert net.loc[best, "tier"] == settings.tier_names[-1]  # Lead, the bottom tier
    others = gross.index != best
    np.testing.assert_allclose(net.loc[others, "clv"], gross.loc[others, "clv"])


def test_gross_margin_only_is_an_option_and_says_so(pareto_fit):
    inputs = AnalysisInputs.of(
        dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD"), "week"
    )
    settings = clv_run.CLVSettings(
        clv.FitSettings("pareto", compare=False), clv_values.ValueSettings(margin=0.3)
    )
    net = clv_run.run(inputs, settings).values
    gross_settings = dataclasses.replace(
        settings, value=clv_values.ValueSettings(margin=0.3, net_of_cost_to_serve=False)
    )
    gross = clv_run.run(inputs, gross_settings).values
    assert gross.cost_basis == clv_values.GROSS_MARGIN_ONLY
    assert gross.future_cost_to_serve == 0.0
    np.testing.assert_allclose(gross.customers["clv"], gross.customers["future_margin"])
    assert net.cost_basis == "the default activity rates"
    assert net.future_cost_to_serve > 0
    assert net.future_margin == pytest.approx(gross.future_margin)
    assert net.total_clv == pytest.approx(gross.total_clv - net.future_cost_to_serve)


def test_what_ifs_start_from_the_net_clv_and_charge_costs_for_extra_purchases(pareto_fit):
    settings = clv_values.ValueSettings(margin=0.3)
    costs = _costs(pareto_fit.summary.index, 2.0, 0.5)
    values = clv_values.customer_values(pareto_fit, settings, costs, "test rates")
    base = scenario.prepare(values.customers, pareto_fit.model, "week", 36, 0.10)
    untreated = scenario.project(base, scenario.Scenario()).by_tier.set_index("tier")
    by_tier = values.customers.groupby("tier", observed=True)["clv"].sum()
    np.testing.assert_allclose(untreated.loc[by_tier.index, "baseline_clv"], by_tier, rtol=1e-9)
    # Pareto/NBD: 20% more purchases per alive week adds 20% more purchases (with their margin
    # and their cost per purchase) but no time alive, so the time cost is unchanged.
    treated = scenario.project(
        base, scenario.Scenario.from_dict({"Gold": scenario.Treatment(frequency_uplift=0.2)})
    ).by_tier.set_index("tier")
    gold = values.customers[values.customers["tier"] == "Gold"]
    purchase_part = (gold["future_margin"] - 2.0 * gold["discounted_purchases"]).sum()
    assert treated.loc["Gold", "incremental_value"] == pytest.approx(0.2 * purchase_part, rel=1e-6)
