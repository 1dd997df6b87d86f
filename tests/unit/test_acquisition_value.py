"""Value of a new customer by source: the CLV view's figures plus payback months, ranges and a
budget what-if; the demo's channels tell apart (cheap referrals pay, field sales do not)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.analyses.clv import acquisition_value as av
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv.acquisition import ALL_CHANNELS, acquisition_view
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.errors import ValidationError
from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH, demo_dataset


@pytest.fixture(scope="module")
def demo():
    dataset = demo_dataset()
    inputs = AnalysisInputs.of(dataset)
    result = clv_run.run(inputs, clv_run.CLVSettings(fit=clv_run.default_fit_settings(inputs)))
    value = av.value_by_source(result.fit, result.values, dataset.customers, inputs.observation_end)
    return dataset, inputs, result, value


def test_sources_carry_the_clv_pages_acquisition_figures(demo):
    dataset, inputs, result, value = demo
    view = acquisition_view(
        result.values.customers["clv"], inputs.summary["first_purchase"], dataset.customers,
        inputs.observation_end,
    )  # fmt: skip
    pd.testing.assert_frame_equal(value.table[list(view.columns)], view)
    table = value.table.set_index("channel")
    assert (table["clv_low"] <= table["clv"]).all() and (table["clv"] <= table["clv_high"]).all()
    # The demo's story: referrals are cheap and valuable, field sales cost more than they bring.
    assert (
        table.loc["Referral", "clv_per_cost"] > 5 and table.loc["Referral", "payback_months"] <= 6
    )
    assert table.loc["Field sales", "clv_per_cost"] < 1
    assert np.isnan(table.loc["Field sales", "payback_months"])
    assert table.loc["Field sales", "pays_back_chance"] < 0.2
    assert table.loc["Referral", "pays_back_chance"] > 0.95


def test_payback_is_the_first_month_profit_covers_the_cost():
    cumulative = pd.DataFrame(
        [[10.0, 20.0, 30.0], [30.0, 60.0, 90.0], [1.0, 2.0, 3.0]],
        index=["a", "b", "c"],
        columns=[1, 2, 3],
    )
    new = pd.DataFrame(
        {"channel": ["X", "X", "Y"], "acquisition_cost": [40.0, 40.0, 5.0]}, index=["a", "b", "c"]
    )
    months = av.payback_months(cumulative, new)
    # X: average path 20, 40, 60 reaches 40 in month 2; Y never reaches 5 in 3 months; all three:
    # path 13.7, 27.3, 41 against cost 28.3 -> month 3.
    assert months["X"] == 2.0 and np.isnan(months["Y"]) and months[ALL_CHANNELS] == 3.0


def test_moving_budget_wins_and_loses_customers_at_each_sources_cost():
    table = pd.DataFrame(
        {"channel": ["A", "B", ALL_CHANNELS], "acquisition_cost": [100.0, 50.0, 75.0],
         "clv": [80.0, 120.0, 100.0]}
    )  # fmt: skip
    draws = pd.DataFrame({"A": [70.0, 90.0], "B": [60.0, 180.0], ALL_CHANNELS: [0.0, 0.0]})
    move = av.move_budget(av.SourceValue(table, draws, "acquisition_channel"), "A", "B", 1000)
    # 1000 buys 10 customers at A and 20 at B: 20 x 120 - 10 x 80 = 1,600 more.
    assert (move.customers_lost, move.customers_won) == (10.0, 20.0)
    assert move.value_change == pytest.approx(1600.0)
    # Draw 1: 20 x 60 - 10 x 70 = 500 > 0; draw 2: 3600 - 900 > 0.
    assert move.better_chance == 1.0
    assert "Moving €1,000 from A to B wins 20 customers" in move.sentence("EUR")
    with pytest.raises(ValidationError, match="No source called 'C'"):
        av.move_budget(av.SourceValue(table, draws, "x"), "A", "C", 10)


def test_cli_acquisition_by_region_with_a_budget_move(capsys):
    argv = [
        "acquisition",
        str(DEMO_WORKBOOK_PATH),
        "--by",
        "region",
        "--move",
        "North",
        "South",
        "5000",
    ]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source_column"] == "region"
    assert report["sources"][-1]["channel"] == ALL_CHANNELS
    assert {"North", "South"} <= {s["channel"] for s in report["sources"]}
    move = report["budget_move"]
    assert move["from"] == "North" and move["customers_won"] > 0
    assert move["sentence"].startswith("Moving €5,000 from North to South")
