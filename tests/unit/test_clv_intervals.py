"""CLV intervals: on data simulated from known BG/NBD and Gamma-Gamma parameters, the 80% and 95%
intervals hold the value each customer (and each group of customers) really brought in the
following months about 80% and 95% of the time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.clv.intervals import ALL, clv_intervals
from cvm_core.analyses.clv.spend_model import SpendModel
from cvm_core.analyses.clv.transaction_model import DAYS_PER_MONTH, TransactionModel
from cvm_core.analyses.clv.values import predict_customer_value

TRUE = {"r": 0.8, "alpha": 2.8, "a": 0.5, "b": 1.8, "p": 6.0, "q": 4.0, "gamma": 15.0}
HORIZON_MONTHS, RATE, MARGIN = 12, 0.10, 0.30
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers' calibration summary (weeks) and the discounted margin they bring in the
    ``HORIZON_MONTHS`` after it, from the BG/NBD and Gamma-Gamma processes themselves."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    drop = rng.beta(TRUE["a"], TRUE["b"], n)
    nu = rng.gamma(TRUE["q"], 1 / TRUE["gamma"], n)
    age = 78.0 - np.floor(rng.uniform(0, 52, n))
    end = age + HORIZON_MONTHS * WEEKS_PER_MONTH
    t, x, tx, spent = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    future = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        t = t + rng.exponential(1 / lam)
        alive &= t <= end
        spend = rng.gamma(TRUE["p"], 1 / nu)
        past, later = alive & (t <= age), alive & (t > age)
        x += past
        tx = np.where(past, t, tx)
        spent += np.where(past, spend, 0.0)
        month = np.ceil((t - age) / WEEKS_PER_MONTH)
        future += np.where(later, MARGIN * spend * (1 + RATE) ** (-month / 12), 0.0)
        alive &= rng.random(n) >= drop  # BG/NBD: may leave after each repeat purchase
    summary = pd.DataFrame(
        {
            "frequency": x,
            "recency": tx,
            "T": age,
            "monetary_value": np.divide(spent, x, out=np.zeros(n), where=x > 0),
        },
        index=pd.Index([f"C{i}" for i in range(n)], name="customer_id"),
    )
    return summary, future


def fitted_intervals(summary: pd.DataFrame, groups: pd.Series | None = None, seed: int = 0):
    model = TransactionModel("bgnbd").fit(summary)
    spend = SpendModel().fit(summary)
    values = predict_customer_value(
        summary, model, spend, "week", HORIZON_MONTHS, RATE, MARGIN, model.histories_
    )
    return values, clv_intervals(
        values, summary, model, spend, "week", HORIZON_MONTHS, RATE, groups, random_state=seed
    )


def test_customer_intervals_cover_what_customers_really_bring():
    summary, future = simulate(6000, seed=3)
    values, intervals = fitted_intervals(summary)
    table = intervals.customers
    for level, name in ((0.80, "80"), (0.95, "95")):
        low, high = table[f"low_{name}"], table[f"high_{name}"]
        inside = (future >= low - 1e-9) & (future <= high + 1e-9)
        # A customer whose chance of buying nothing more exceeds the level gets the interval
        # [0, 0]: it holds more than the level (that chance), and no honest interval holds less.
        point = (low == 0) & (high <= table["clv"])  # [0, 0] widened to the small CLV
        assert inside[~point].mean() == pytest.approx(level, abs=0.025), (name, inside.mean())
        assert inside[point].mean() >= level
    assert (table["low_95"] <= table["low_80"]).all() and (
        table["high_80"] <= table["high_95"]
    ).all()
    # Around the page's figure: the point estimate is the CLV the values table holds.
    assert table["clv"].equals(values["clv"])
    assert ((table["low_95"] <= table["clv"]) & (table["clv"] <= table["high_95"])).all()


def test_group_totals_cover_what_groups_really_bring():
    """Random groups of 100 customers over a few simulated datasets: the group totals' intervals
    (parameter and process uncertainty) hold the realised totals at about the nominal rate."""
    inside = {"80": [], "95": []}
    for seed in range(4):
        summary, future = simulate(4000, seed=10 + seed)
        groups = pd.Series(np.arange(len(summary)) % 40, index=summary.index).astype(str)
        _, intervals = fitted_intervals(summary, groups, seed)
        table = intervals.groups.set_index("group").drop(index=ALL)
        realised = pd.Series(future, index=summary.index).groupby(groups).sum()
        for name in inside:
            low, high = table[f"low_{name}"], table[f"high_{name}"]
            inside[name] += list(
                (realised >= low.reindex(realised.index))
                & (realised <= high.reindex(realised.index))
            )
    assert np.mean(inside["80"]) == pytest.approx(0.80, abs=0.07)
    assert np.mean(inside["95"]) == pytest.approx(0.95, abs=0.04)


def test_totals_are_centred_on_the_point_estimate_and_probabilities_read_from_draws():
    summary, _ = simulate(3000, seed=5)
    groups = pd.Series(np.where(np.arange(3000) < 1000, "A", "B"), index=summary.index)
    values, intervals = fitted_intervals(summary, groups)
    table = intervals.groups.set_index("group")
    assert table.loc[ALL, "clv"] == pytest.approx(values["clv"].sum())
    assert table.loc["A", "clv"] == pytest.approx(values["clv"].iloc[:1000].sum())
    assert intervals.draws[ALL].mean() == pytest.approx(values["clv"].sum())
    for name in ("A", "B", ALL):
        assert table.loc[name, "low_95"] < table.loc[name, "clv"] < table.loc[name, "high_95"]
    assert intervals.probability_above(ALL, 0.0) == 1.0
    assert intervals.probability_above(ALL, table.loc[ALL, "clv"]) == pytest.approx(0.5, abs=0.1)


@pytest.fixture(scope="module")
def demo_clv_result():
    from cvm_core.analyses.clv import run as clv_run
    from cvm_core.analyses.inputs import AnalysisInputs
    from cvm_core.intake.demo_workbook import demo_dataset

    inputs = AnalysisInputs.of(demo_dataset())
    return clv_run.run(inputs, clv_run.CLVSettings(fit=clv_run.default_fit_settings(inputs)))


def test_intervals_of_a_clv_run_give_tier_totals_around_the_page_figures(demo_clv_result):
    from cvm_core.analyses.clv.intervals import intervals_of

    result = demo_clv_result
    intervals = intervals_of(result.fit, result.values)
    tiers = intervals.groups.set_index("group")
    page = result.values.tiers.set_index("tier")
    for tier in page.index:
        assert tiers.loc[tier, "clv"] == pytest.approx(page.loc[tier, "clv"])
        assert tiers.loc[tier, "low_95"] <= tiers.loc[tier, "low_80"] <= page.loc[tier, "clv"]
        assert page.loc[tier, "clv"] <= tiers.loc[tier, "high_80"] <= tiers.loc[tier, "high_95"]
    assert tiers.loc[ALL, "clv"] == pytest.approx(result.values.total_clv)
    assert len(intervals.customers) == len(result.values.customers)


def test_payback_chance_reads_the_what_if_against_the_tier_draws():
    from cvm_core.analyses.clv.intervals import CLVIntervals, payback_chance

    groups = pd.DataFrame({"group": ["Gold", ALL], "customers": [10, 10], "clv": [100.0, 100.0]})
    draws = pd.DataFrame({"Gold": [50.0, 100.0, 150.0, 200.0], ALL: [50.0, 100.0, 150.0, 200.0]})
    intervals = CLVIntervals(pd.DataFrame(), groups, draws, (0.8,))
    by_tier = pd.DataFrame(
        {
            "tier": ["Gold", "Total"],
            "incremental_value": [20.0, 20.0],
            "treatment_cost": [25.0, 0.0],
        }
    )
    chance = payback_chance(intervals, by_tier)
    # Incremental 20 scales to 10, 20, 30, 40: above the cost of 25 in 2 draws of 4.
    assert chance["Gold"] == 0.5
    assert np.isnan(chance["Total"])  # nothing spent, nothing to pay back


def test_the_clv_command_prints_the_tier_ranges(capsys, demo_clv_result):
    import json

    from cvm_core.__main__ import main
    from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH

    assert main(["clv", str(DEMO_WORKBOOK_PATH), "--json"]) == 0
    ranges = json.loads(capsys.readouterr().out)["clv_ranges"]
    tiers = demo_clv_result.values.tiers.set_index("tier")
    assert list(ranges) == [*tiers.index, ALL]
    for tier, row in tiers.iterrows():
        assert ranges[tier]["clv"] == pytest.approx(row["clv"], abs=1e-3)
        assert ranges[tier]["low_95"] <= ranges[tier]["clv"] <= ranges[tier]["high_95"]


def test_the_clv_command_leaves_the_ranges_out_when_asked(capsys):
    import json

    from cvm_core.__main__ import main
    from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH

    assert main(["clv", str(DEMO_WORKBOOK_PATH), "--json", "--no-ranges"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "clv_ranges" not in report
    assert report["clv"]["total"] > 0  # the rest of the report is still there
