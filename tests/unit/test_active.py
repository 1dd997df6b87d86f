"""One meaning of "active customer" (issue 13): the Retention page's churn rule, counted the same
way by the CLV page, the Scorecard, the deck and the command line; and the churn window the data
suggests, with every repeat customer weighted equally."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.retention import active, gaps
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention.analysis import RetentionSettings
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.intake import demo_workbook
from cvm_core.intake.cdnow import load_cdnow_transactions
from cvm_core.intake.dataset import dataset_from_frame, load_file
from cvm_core.intake.summary import customer_summary

FILES = Path(__file__).resolve().parents[1] / "files"
END = pd.Timestamp("2024-06-30")


def _transactions(rows: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.assign(revenue=10.0, is_return=False)


# --- counting active customers -------------------------------------------------------------------


def test_active_customers_by_hand():
    # Window 30 days, end 30 Jun: A bought 20 Jun (active), B last on 1 Apr (churned), C first
    # bought on 15 Jun (15 days old: too new to tell), D last on 31 May = 30 days ago (active: churned
    # means more than 30 days).
    tx = _transactions(
        [("A", "2024-01-05"), ("A", "2024-06-20"), ("B", "2024-02-01"), ("B", "2024-04-01"),
         ("C", "2024-06-15"), ("D", "2024-03-01"), ("D", "2024-05-31")]
    )  # fmt: skip
    counts = active.active_customers(customer_summary(tx, "day", END), gaps.ChurnRule(30), END)
    assert (counts.active, counts.churned, counts.too_new) == (2, 1, 1)
    assert counts.share == pytest.approx(2 / 3)
    assert counts.sentence() == (
        "66.7% of customers are active (2 of 3 old enough to tell; active = bought in the last "
        "30 days)."
    )


def test_a_p_alive_rule_without_a_model_falls_back_to_inactivity():
    tx = _transactions([("A", "2024-01-05"), ("B", "2024-03-01")])
    rule = gaps.ChurnRule(30, "p_alive", 0.5)
    counts = active.active_customers(customer_summary(tx, "day", END), rule, END)
    assert counts.rule.method == "inactivity"
    p_alive = pd.Series({"A": 0.9, "B": 0.2})
    counts = active.active_customers(customer_summary(tx, "day", END), rule, END, p_alive)
    # A: 0.9 >= 0.5, active although silent since January; B: 0.2, churned although it bought
    # more recently.
    assert (counts.active, counts.churned) == (1, 1)
    assert counts.rule_words() == "active = P(alive) of at least 50% under the CLV model"


# --- the churn window: customers weighted equally -----------------------------------------------


def test_weighted_quantiles_give_each_customer_one_vote():
    # A: four gaps of 10 days (weight 1/4 each); B: one gap of 100 days (weight 1).
    values = np.array([10, 10, 100, 10, 10])
    weights = gaps.customer_weights(np.array([0, 0, 1, 0, 0]))
    np.testing.assert_allclose(weights, [0.25, 0.25, 1.0, 0.25, 0.25])
    # Cumulative weight shares in gap order: 1/8, 2/8, 3/8, 4/8 (the 10s), 1 (the 100).
    assert list(gaps.weighted_quantiles(values, weights, (0.5, 0.51, 0.9))) == [10, 100, 100]
    assert np.quantile(values, 0.9) == pytest.approx(64.0)  # pooled: A's many gaps dominate


def test_cdnow_churn_window_weights_customers_equally():
    # Issue 13: pooling the gaps gives 196 days on CDNOW, weighting customers equally 304.
    tx = dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD").transactions
    profile = gaps.gap_profile(tx)
    assert profile.suggested_window_days == 304
    assert np.quantile(gaps.inter_purchase_gaps(tx), 0.9) == pytest.approx(196.0)
    assert profile.histogram["share"].sum() == pytest.approx(1.0)
    assert profile.histogram["repeat_purchases"].sum() == profile.repeat_purchases


# --- one story on every dataset ----------------------------------------------------------------


def _datasets():
    yield load_file(demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), "demo_retail.xlsx")
    yield dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD")
    for path in sorted(FILES.glob("*.csv")):
        yield load_file(path.read_bytes(), path.name)


@pytest.mark.parametrize("dataset", list(_datasets()), ids=lambda d: d.name)
def test_every_output_states_the_same_active_share(dataset):
    inputs = AnalysisInputs.of(dataset, "week")
    retention = retention_run.run(inputs)
    rule = active.default_rule(inputs.transactions, inputs.observation_end)
    counts = active.active_customers(inputs.summary, rule, inputs.observation_end)
    assert retention.settings.rule == rule
    assert counts == retention.active
    if counts.share is None:  # nobody old enough to tell (a file of a few weeks)
        assert retention.churned_share is None
    else:
        assert counts.share == pytest.approx(1 - retention.churned_share)
    # The Scorecard's default measure is the same figure.
    _, scorecard_share = scorecard_defaults.default_retention(inputs)
    assert scorecard_share == counts.share
    # A lifetime ends when churn is declared: the median is never a meaningless 0 days.
    assert retention.median_lifetime_days is None or retention.median_lifetime_days > 0


def test_cdnow_lifetimes_and_annual_retention_as_issue_13_measured():
    ds = dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD")
    inputs = AnalysisInputs.of(ds, "week")
    result = retention_run.run(inputs, RetentionSettings(rule=gaps.ChurnRule(196)))
    # 1,218 of 2,357 customers bought once; with the 196-day window a one-time buyer's lifetime
    # is 197 days, and they are half the base: the median is 197 days, not 0.
    assert result.lifetimes.one_time_share == pytest.approx(1218 / 2357)
    assert result.median_lifetime_days == 197.0
    assert result.lifetimes.sentence().startswith(
        "52% of customers have not come back after their first purchase; repeat buyers stay "
        "about 16 months (median)."
    )
    # 18 months of history: annual retention measured directly over 365 days, 22.8% (half the
    # history annualised said 32.2%).
    assert result.annual_retention == pytest.approx(0.228, abs=5e-4)
    assert result.annual_retention_source.endswith("the share still active a year later")


def test_the_command_line_states_the_same_active_share(capsys):
    dataset = load_file(demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), "demo_retail.xlsx")
    retention = retention_run.run(AnalysisInputs.of(dataset, "week"))
    path = str(demo_workbook.DEMO_WORKBOOK_PATH)
    assert main(["clv", path, "--json", "--no-compare", "--model", "bgnbd"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["active_customers"]["share"] == pytest.approx(retention.active.share, abs=5e-5)
    assert out["active_customers"]["active"] == retention.active.active
