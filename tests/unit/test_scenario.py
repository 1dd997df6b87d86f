"""Tests for cvm_core.analyses.clv.scenario: the what-if projection on customers whose figures are worked out by
hand with the Pareto/NBD closed form, and the BG/NBD drop-out lever."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.clv import scenario, transaction_model
from cvm_core.errors import ValidationError


def pareto_model() -> transaction_model.TransactionModel:
    """r=1, alpha=1, s=2, beta=11. A customer with x=1 and T=1 month has purchase rate
    (r+x)/(alpha+T) = 1 a month and drop-out rate ~ Gamma(s=2, beta+T=12): while alive they are
    expected to buy E(t) = 1 * 12 t / (12 + t) times in t months, 6 in 12 months."""
    model = transaction_model.TransactionModel("pareto")
    model.params_ = pd.Series(
        [1.0, 1.0, 2.0, 11.0], index=transaction_model.PARAMETER_NAMES["pareto"]
    )
    return model


def customers() -> pd.DataFrame:
    """Gold: one customer (x=1, T=1), P(alive) 0.5, spend 100, margin 30% -> weight 15.
    Lead: two such customers with P(alive) 0.2, spend 50, margin 30% -> weight 3 each."""
    return pd.DataFrame(
        {
            "frequency": [1.0, 1.0, 1.0],
            "T": [1.0, 1.0, 1.0],
            "p_alive": [0.5, 0.2, 0.2],
            "expected_spend": [100.0, 50.0, 50.0],
            "margin_rate": [0.3, 0.3, 0.3],
            "tier": pd.Categorical(["Gold", "Lead", "Lead"], categories=["Gold", "Lead"]),
        },
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )


@pytest.fixture
def base() -> scenario.ScenarioBase:
    # No discounting over 12 months: CLV = weight * E(12) = weight * 6.
    return scenario.prepare(customers(), pareto_model(), "month", 12, 0.0)


def test_baseline_by_hand(base):
    table = scenario.project(base, scenario.Scenario()).by_tier.set_index("tier")
    assert table.loc["Gold", "baseline_clv"] == pytest.approx(15 * 6)
    assert table.loc["Lead", "baseline_clv"] == pytest.approx(2 * 3 * 6)
    assert table.loc["Total", "baseline_clv"] == pytest.approx(126)
    assert (table["scenario_clv"] == table["baseline_clv"]).all()
    assert table["roi"].isna().all()  # nothing spent


def test_projection_formula_by_hand(base):
    # Gold: retention +50% -> drop-out rate halves: Gamma(2, 24), E(12) = 24*12/36 = 8;
    # frequency +50% -> rate 1.5: E(12) = 12; spend +10% -> x1.1. Scenario = 15 * 12 * 1.1 = 198.
    # Cost 10 a customer a year, 1 customer, 12 months -> 10. Incremental 108, net 98, ROI 9.8.
    gold = scenario.Treatment(0.5, 0.5, 0.1, 10.0)
    # Lead: frequency +100% only: E(12) = 12 -> 3 * 12 * 2 = 72; cost 2 * 5 = 10; net 36 - 10.
    lead = scenario.Treatment(frequency_uplift=1.0, cost_per_customer_year=5.0)
    plan = scenario.Scenario.from_dict({"Gold": gold, "Lead": lead})
    projection = scenario.project(base, plan)
    table = projection.by_tier.set_index("tier")
    assert list(table.index) == ["Gold", "Lead", "Total"]
    assert table.loc["Gold"].to_dict() == pytest.approx(
        {
            "customers": 1,
            "baseline_clv": 90.0,
            "scenario_clv": 198.0,
            "incremental_value": 108.0,
            "treatment_cost": 10.0,
            "net_value": 98.0,
            "roi": 9.8,
        }  # fmt: skip
    )
    assert table.loc["Lead"].to_dict() == pytest.approx(
        {
            "customers": 2,
            "baseline_clv": 36.0,
            "scenario_clv": 72.0,
            "incremental_value": 36.0,
            "treatment_cost": 10.0,
            "net_value": 26.0,
            "roi": 2.6,
        }  # fmt: skip
    )
    assert table.loc["Total"].to_dict() == pytest.approx(
        {
            "customers": 3,
            "baseline_clv": 126.0,
            "scenario_clv": 270.0,
            "incremental_value": 144.0,
            "treatment_cost": 20.0,
            "net_value": 124.0,
            "roi": 6.2,
        }  # fmt: skip
    )
    assert projection.total["scenario_clv"] == pytest.approx(270.0)
    summary = projection.as_dict()
    assert summary["treatments"]["Gold"]["retention_uplift"] == 0.5
    assert summary["by_tier"][-1]["tier"] == "Total"


def test_retention_alone_by_hand(base):
    plan = scenario.Scenario.from_dict({"Gold": scenario.Treatment(retention_uplift=0.5)})
    gold = scenario.project(base, plan).by_tier.set_index("tier").loc["Gold"]
    assert gold["scenario_clv"] == pytest.approx(15 * 8)  # E(12) = 24 * 12 / 36 = 8


def test_discounting_and_horizon_in_the_cost():
    base = scenario.prepare(customers(), pareto_model(), "month", 24, 0.10)
    months = np.arange(0, 25)
    path = 12 * months / (12 + months)
    discounted = sum(np.diff(path)[m - 1] / 1.1 ** (m / 12) for m in range(1, 25))
    plan = scenario.Scenario.from_dict({"Lead": scenario.Treatment(cost_per_customer_year=6.0)})
    table = scenario.project(base, plan).by_tier.set_index("tier")
    assert table.loc["Gold", "baseline_clv"] == pytest.approx(15 * discounted)
    assert table.loc["Lead", "treatment_cost"] == pytest.approx(6.0 * 2 * 24 / 12)
    assert table.loc["Lead", "roi"] == pytest.approx(-1.0)  # money spent, no behaviour change


def test_bgnbd_retention_lever_scales_the_posterior_drop_out_mean():
    # a=1, b=3, x=1: posterior p ~ Beta(1, 4), mean 1/5. 50% less drop-out: mean 1/10, i.e.
    # Beta(1, 9), the same as a customer with b = 8.
    params = np.array([0.5, 2.0, 1.0, 3.0])
    x, age, t = np.array([1.0]), np.array([10.0]), np.array([5.0, 20.0])
    treated = transaction_model.alive_purchases("bgnbd", params, x, age, t, dropout_factor=0.5)
    same = transaction_model.alive_purchases("bgnbd", np.array([0.5, 2.0, 1.0, 8.0]), x, age, t)
    np.testing.assert_allclose(treated, same)
    assert (treated > transaction_model.alive_purchases("bgnbd", params, x, age, t)).all()


def test_frequency_lever_scales_the_purchase_rate():
    # lambda ~ Gamma(r + x, alpha + T); +100% frequency = Gamma(r + x, (alpha + T) / 2).
    params = np.array([0.5, 2.0, 1.0, 3.0])
    x, age, t = np.array([2.0]), np.array([10.0]), np.array([8.0])
    doubled = transaction_model.alive_purchases("bgnbd", params, x, age, t, rate_factor=2.0)
    by_hand = transaction_model.alive_purchases("bgnbd", np.array([0.5, -4.0, 1.0, 3.0]), x, age, t)
    np.testing.assert_allclose(doubled, by_hand)  # alpha + T = 6 = 12 / 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retention_uplift": 0.95}, "retention uplift must be between 0% and 90%"),
        ({"spend_uplift": -0.1}, "spend uplift must be between 0% and 200%"),
        ({"cost_per_customer_year": -1.0}, "cannot be negative"),
        ({"frequency_uplift": float("nan")}, "frequency uplift"),
    ],
)
def test_bad_treatments_are_refused(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        scenario.Treatment(**kwargs)


def test_unknown_tier_is_refused(base):
    plan = scenario.Scenario.from_dict({"Diamond": scenario.Treatment(0.1)})
    with pytest.raises(ValidationError, match="No tier called Diamond; tiers: Gold, Lead"):
        scenario.project(base, plan)


def test_prepare_names_missing_columns():
    with pytest.raises(ValidationError, match="lacks p_alive"):
        scenario.prepare(customers().drop(columns="p_alive"), pareto_model(), "month", 12, 0.0)


def test_remembered_projections_are_not_stale(base):
    def gold(retention: float) -> float:
        plan = scenario.Scenario.from_dict({"Gold": scenario.Treatment(retention_uplift=retention)})
        return scenario.project(base, plan).by_tier.set_index("tier").loc["Gold", "scenario_clv"]

    assert gold(0.5) == pytest.approx(120.0)  # 15 * 8, computed
    assert gold(0.0) == pytest.approx(90.0)
    assert gold(0.5) == pytest.approx(120.0)  # remembered
    # 20% less drop-out: Gamma(2, 15), E(12) = 15 * 12 / 27 = 6.667.
    assert gold(0.2) == pytest.approx(15 * 15 * 12 / 27)
    assert len(base._memo) == 2  # (Gold, 0.5) and (Gold, 0.2); no treatment needs none


def test_a_longer_horizon_after_a_shorter_one_adds_months_by_hand():
    # x=1, T=1 month: E(t) = 12 t / (12 + t) while alive (see pareto_model); x=3: rate
    # (1+3)/(1+1) = 2 a month, so twice that. No discounting: the totals are E(H).
    params = pareto_model().params_.to_numpy()
    x, age = np.array([1.0, 3.0, 1.0]), np.array([1.0, 1.0, 1.0])
    for months in (6, 12, 3, 12):
        discounted, total = transaction_model.discounted_alive_purchases(
            "pareto", params, x, age, months, 0.0, "month"
        )
        expected = 12 * months / (12 + months) * np.array([1.0, 2.0, 1.0])
        assert total == pytest.approx(expected)
        assert discounted == pytest.approx(expected)


def test_tiers_take_their_customers_baseline_by_hand():
    # Gold: A (x=1, weight 15, E(12) = 6) and D (x=3, P(alive) 0.5, spend 100, margin 30%:
    # weight 15, E(12) = 12); Lead as before. Gold = 15 * 6 + 15 * 12 = 270; Lead 36.
    table = customers()
    table.loc["D"] = [3.0, 1.0, 0.5, 100.0, 0.3, "Gold"]
    table = table.loc[["D", "B", "A", "C"]]  # D's pair first: the order must not matter
    base = scenario.prepare(table, pareto_model(), "month", 12, 0.0)
    by_tier = scenario.project(base, scenario.Scenario()).by_tier.set_index("tier")
    assert by_tier.loc["Gold", "baseline_clv"] == pytest.approx(270)
    assert by_tier.loc["Lead", "baseline_clv"] == pytest.approx(36)
