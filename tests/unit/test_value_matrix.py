"""The value matrix (profit to date x CLV), the forward-looking whale curve and the holdout
baselines (issue 13), on numbers worked by hand."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.analyses.clv import holdout
from cvm_core.analyses.clv import takeaways as clv_takeaways
from cvm_core.analyses.clv.value_matrix import (
    BUILD,
    FIX,
    GONE,
    PART_WITH,
    PROTECT,
    expected_losers,
    value_matrix,
)
from cvm_core.intake import demo_workbook

IDS = pd.Index(["A", "B", "C", "D", "E"], name="customer_id")


def test_cells_by_the_sign_of_profit_to_date_and_of_clv():
    profit = pd.Series([10.0, -5.0, 3.0, -2.0, 7.0], index=IDS)
    clv = pd.Series([20.0, 4.0, -1.0, -6.0, 0.01], index=IDS)
    matrix = value_matrix(profit, clv)
    # Mean |CLV| 31.01 / 5 = 6.202: below 1% of it (0.062) a CLV is no future value, so E (one
    # cent) is gone, while C's -1 is a real expected loss.
    assert matrix.customers["quadrant"].astype(str).to_dict() == {
        "A": PROTECT, "B": BUILD, "C": FIX, "D": PART_WITH, "E": GONE,
    }  # fmt: skip
    table = matrix.table.set_index("quadrant")
    assert table["customers"].tolist() == [1, 1, 1, 1, 1]
    # The headlines' "expected to cost more than they bring": Fix + Part with, C and D.
    assert expected_losers(clv) == 2
    assert table.loc[PART_WITH, "profit_to_date"] == -2.0
    assert table.loc[PART_WITH, "future_value"] == -6.0
    assert matrix.takeaway("EUR") == (
        "20% of customers make money today and are expected to keep doing so (€20 of future "
        "profit); 1 lose money today and are expected to lose €6 more."
    )
    # Today's curve: A 10, E 7, C 3, D -2, B -5 (total 13); tomorrow's: A 20, B 4, E 0.01,
    # C -1, D -6 (17.01).
    curves = matrix.curves()
    today = curves[curves["curve"] == "Profit to date"]["cum_value"].tolist()
    future = curves[curves["curve"] == "Expected future profit (CLV)"]["cum_value"].tolist()
    assert today == [0.0, 10.0, 17.0, 20.0, 18.0, 13.0]
    np.testing.assert_allclose(future, [0.0, 20.0, 24.0, 24.01, 23.01, 17.01])
    np.testing.assert_allclose(
        curves.loc[curves["curve"] == "Profit to date", "cum_pct"],
        [0, 10 / 13, 17 / 13, 20 / 13, 18 / 13, 1],
    )


def test_customers_missing_from_one_side_are_left_out():
    profit = pd.Series([1.0, 2.0], index=["A", "B"])
    clv = pd.Series([1.0, 2.0], index=["B", "C"])
    assert list(value_matrix(profit, clv).customers.index) == ["B"]


# --- holdout baselines ---------------------------------------------------------------------------


def test_the_model_is_compared_with_naive_predictions():
    # Three customers: repeat purchases 0, 2, 4 over ages 10, 10, 20; holdout of 5 periods in which
    # they bought 0, 1 and 3 times; the model predicted 0.2, 1.0 and 2.0.
    calibration = pd.DataFrame(
        {"frequency": [0, 2, 4], "T": [10.0, 10.0, 20.0]}, index=["a", "b", "c"]
    )
    model = SimpleNamespace(
        expected_purchases=lambda frame, t: pd.Series([0.2, 1.0, 2.0], index=frame.index)
    )
    actual = pd.Series([0.0, 1.0, 3.0], index=["a", "b", "c"])
    check = holdout.check_holdout(model, calibration, actual, 5.0)
    rows = check.baselines.set_index("method")
    # Model: errors 0.2, 0, 1 -> MAE 0.4, RMSE sqrt(1.04 / 3).
    assert rows.loc["The model", "mae"] == pytest.approx(0.4)
    assert check.rmse == pytest.approx(np.sqrt(1.04 / 3))
    # Predict 0: errors 0, 1, 3 -> MAE 4/3, RMSE sqrt(10/3); total error -100%.
    zero = rows.loc["Nobody buys again (predict 0)"]
    assert (zero["mae"], zero["rmse"], zero["total_pct_error"]) == pytest.approx(
        (4 / 3, np.sqrt(10 / 3), -1.0)
    )
    # Same pace: x * 5 / T = 0, 1, 1 -> errors 0, 0, 2: MAE 2/3, RMSE sqrt(4/3); total 2 of 4.
    pace = rows.loc["Same pace as so far (repeat purchases x holdout / age)"]
    assert (pace["mae"], pace["rmse"], pace["total_pct_error"]) == pytest.approx(
        (2 / 3, np.sqrt(4 / 3), -0.5)
    )
    assert check.beats_baselines()
    assert clv_takeaways.baseline_takeaway(check) == (
        "The model's error per customer is 40% lower than the best naive guess (same pace as so "
        "far (repeat purchases x holdout / age))."
    )
    # Three customers in tenths: ranks 0, 1, 2 -> tenths 1, 4, 7 (rank x 10 // 3, plus one).
    assert check.deciles["decile"].tolist() == [1, 4, 7]
    assert check.deciles["actual"].tolist() == [0.0, 1.0, 3.0]


def test_the_command_line_reports_the_matrix_baselines_and_cost_to_serve(capsys):
    assert main(["clv", str(demo_workbook.DEMO_WORKBOOK_PATH), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cells = out["value_matrix"]
    assert list(cells) == [PROTECT, BUILD, FIX, PART_WITH, GONE]
    assert sum(c["customers"] for c in cells.values()) == 4000
    future = sum(c["future_value"] for c in cells.values())
    assert future == pytest.approx(out["clv"]["total"], abs=0.1)
    assert out["clv"]["total"] == pytest.approx(
        out["clv"]["future_margin"] - out["clv"]["future_cost_to_serve"], abs=0.02
    )
    assert out["holdout"]["baselines"][0]["method"] == "The model"
    assert len(out["holdout"]["deciles"]) == 10
    assert out["holdout"]["by_calibration_frequency"][0]["frequency"] == "0"


# --- acquisition cost view -----------------------------------------------------------------------


def test_new_customers_clv_against_their_acquisition_cost():
    from cvm_core.analyses.clv.acquisition import acquisition_takeaway, acquisition_view

    end = pd.Timestamp("2024-12-31")
    ids = pd.Index(["A", "B", "C", "D", "E"], name="customer_id")
    clv = pd.Series([300.0, 100.0, 40.0, 500.0, 80.0], index=ids)
    first = pd.Series(pd.to_datetime(
        ["2024-03-01", "2024-06-01", "2024-09-01", "2022-01-01", "2024-11-01"]
    ), index=ids)  # fmt: skip
    customers = pd.DataFrame(
        {"acquisition_cost": [100.0, 60.0, 80.0, 50.0, None],
         "acquisition_channel": ["Referral", "Paid search", "Paid search", "Referral", "Fair"]},
        index=ids,
    )  # fmt: skip
    table = acquisition_view(clv, first, customers, end).set_index("channel")
    # New (first purchase within a year of 31 Dec 2024) with a known cost: A, B, C (D is old,
    # E's cost is unknown). Referral: A alone, 300 - 100 = 200. Paid search: B and C, cost
    # (60 + 80) / 2 = 70, CLV (100 + 40) / 2 = 70, net 0. All: cost 80, CLV 440 / 3.
    assert list(table.index) == ["Referral", "Paid search", "All channels"]
    assert table.loc["Referral", "clv_minus_cost"] == 200.0
    assert table.loc["Paid search", ["acquisition_cost", "clv", "clv_minus_cost"]].tolist() == [
        70.0, 70.0, 0.0,
    ]  # fmt: skip
    assert table.loc["All channels", "customers"] == 3
    assert table.loc["All channels", "clv"] == pytest.approx(440 / 3)
    assert table.loc["All channels", "clv_per_cost"] == pytest.approx(440 / 3 / 80)
    assert acquisition_takeaway(table.reset_index(), "EUR") == (
        "A customer won in the last year cost €80 to acquire and is expected to bring €147 of "
        "future profit; best channel Referral (€200 more than it costs), worst Paid search (€0)."
    )
    assert acquisition_view(clv, first, customers.drop(columns="acquisition_cost"), end) is None
