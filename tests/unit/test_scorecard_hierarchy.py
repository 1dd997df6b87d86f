"""The scorecard read top down on the four-customer shop of test_scorecard.py: goals, the
process measures under them and the leading indicators, with values worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cvm_core.analyses.scorecard import charts, hierarchy, inputs
from tests.unit.test_scorecard import build, shop_clv


@pytest.fixture(scope="module")
def card() -> inputs.Scorecard:
    return build()


def test_goals_process_measures_and_leading_indicators(card):
    at_risk = pd.DataFrame({"value": [100.0, 25.0]})
    extra = hierarchy.indicators(card, shop_clv(), at_risk, None, {"clv": "test CLV"})
    settings = inputs.ScorecardSettings(
        targets=(("customer_equity", 500.0), ("revenue_growth", 0.0), ("new_customers", 2.0))
    )
    chain = hierarchy.build_hierarchy(card, settings, extra).set_index("key")
    assert list(chain["level"].unique()) == list(hierarchy.LEVELS)
    # Equity: 100 + 50 + 300 + 10 CLV; growth: Q2 net revenue 180 against Q1's 300.
    assert chain.loc["customer_equity", "value"] == 460.0
    assert chain.loc["customer_equity", "source"] == "test CLV"
    assert chain.loc["revenue_growth", "value"] == pytest.approx(180 / 300 - 1)
    assert chain.loc["at_risk_value", "value"] == 125.0
    # Scorecard measures keep the scorecard's values and targets.
    assert chain.loc["new_customers", "value"] == card.row("new_customers")["value"] == 2
    assert chain.loc["profit_per_customer", "value"] == card.row("profit_per_customer")["value"]
    assert chain.loc["customer_equity", "status"] == "off target"  # 460 < 500, beyond 5%
    assert chain.loc["revenue_growth", "status"] == "off target"
    # No opportunities: the pipeline's indicators say what would enable them.
    assert math.isnan(chain.loc["pipeline_coverage", "value"])
    assert chain.loc["pipeline_coverage", "source"].startswith("Needs an opportunities sheet")
    assert chain.loc["pipeline_coverage", "drives"] == "new_customers"


def test_a_client_picks_fewer_measures(card):
    extra = hierarchy.indicators(card, shop_clv())
    picked = ("customer_equity", "new_customers", "cross_sell_rate")
    chain = hierarchy.build_hierarchy(card, inputs.ScorecardSettings(), extra, picked)
    assert list(chain["key"]) == list(picked)
    assert chain.set_index("key")["drives"].to_dict() == {
        "customer_equity": "", "new_customers": "customer_equity", "cross_sell_rate": "",
    }  # fmt: skip


def test_the_chain_as_a_table_and_a_picture(card):
    extra = hierarchy.indicators(card, shop_clv())
    chain = hierarchy.build_hierarchy(card, inputs.ScorecardSettings(), extra)
    table = hierarchy.hierarchy_table(chain, "EUR")
    assert list(table.columns) == [
        "Level",
        "Area",
        "Measure",
        "Value",
        "Target",
        "Status",
        "Drives",
        "Revenue change explained",
    ]
    assert table.set_index("Measure").loc["Customer equity (sum of CLV)", "Value"] == "€460"
    assert (
        "Customer equity (sum of CLV)" in table.set_index("Measure").loc["New customers", "Drives"]
    )
    boxes, links = charts.chain_layout(chain, table)
    assert len(boxes) == len(chain) and len(links) == sum(
        d.count(",") + 1 for d in chain["drives"] if d
    )
    spec = charts.chain_chart(chain, table).to_dict()
    assert spec["title"]["text"] == "What drives the goals"


def test_chain_targets_and_pipeline_settings_reach_the_report_from_a_workspace():
    from cvm_core.outputs import workspace_settings
    from cvm_core.outputs.report import ReportSettings

    stored = {
        "cvm.scorecard.targets": {"customer_equity": 1e6, "new_customers": 50, "unknown": 1},
        "cvm.pipeline.source": "learned",
        "cvm.pipeline.months": 6,
        "cvm.pipeline.target": 250_000.0,
        "cvm.pipeline.tolerance": 0.2,
    }
    workspace_settings.check_settings(stored)
    settings = ReportSettings.from_workspace(stored)
    assert dict(settings.scorecard.targets) == {"customer_equity": 1e6, "new_customers": 50}
    assert settings.pipeline.to_dict() | {"version": 0} == {
        "version": 0, "probability_source": "learned", "stage_probabilities": [],
        "target": 250_000.0, "horizon_months": 6, "bias_tolerance": 0.2, "min_months": 3,
        "as_of": None,
    }  # fmt: skip
    with pytest.raises(workspace_settings.SettingError, match="cvm.pipeline.months"):
        workspace_settings.check_settings({"cvm.pipeline.months": 99})


def test_each_process_area_carries_its_part_of_the_revenue_change(card):
    """The bridge (hand-checked in test_revenue_bridge.py) on the chain: acquisition, retention
    and growth add up to the change on the growth goal; selection explains no revenue."""
    extra = hierarchy.indicators(card, shop_clv())
    chain = hierarchy.build_hierarchy(card, inputs.ScorecardSettings(), extra).set_index("key")
    areas = chain[chain["level"] == hierarchy.PROCESS].groupby("group")["contribution"]
    parts = areas.sum(min_count=1)
    assert math.isnan(parts["Selection"])
    assert (areas.count() <= 1).all()  # once per area, not on every measure of it
    total = chain.loc["revenue_growth", "contribution"]
    assert parts[["Acquisition", "Retention", "Growth"]].sum() == pytest.approx(total)


def test_the_bridge_in_one_sentence():
    chain = pd.DataFrame({
        "key": ["revenue_growth", "new_customers", "active_share", "products_per_customer"],
        "level": [hierarchy.GOAL, hierarchy.PROCESS, hierarchy.PROCESS, hierarchy.PROCESS],
        "group": ["Growth", "Acquisition", "Retention", "Growth"],
        "contribution": [20.0, 30.0, -25.0, 15.0],
    })  # fmt: skip
    assert hierarchy.bridge_sentence(chain, "EUR") == (
        "Net revenue +€20 on the period before: acquisition +€30, retention -€25, growth +€15."
    )


def test_the_charts_texts_go_through_the_catalogs(card, monkeypatch):
    """In the pseudo-language every title reads ⟦title⟧; statuses are coloured by their shown
    (translated) names."""
    import contextvars

    from cvm_core import i18n
    from tests.app.test_translated_pages import chart_texts, unmarked

    chain = hierarchy.build_hierarchy(card, inputs.ScorecardSettings(), hierarchy.indicators(card, shop_clv()))  # fmt: skip
    table = hierarchy.hierarchy_table(chain, "EUR")
    monkeypatch.setattr(i18n, "_pseudo", contextvars.ContextVar("pseudo", default=True))
    specs = [
        charts.trend_heatmap(card.trends).to_dict(),
        charts.channel_chart(card.breakdowns["channel"], "EUR").to_dict(),
        charts.segment_chart(card.breakdowns["segment"], "EUR").to_dict(),
        charts.chain_chart(chain, table).to_dict(),
    ]
    assert set().union(*(unmarked(chart_texts(spec)) for spec in specs)) == set()
    rects = specs[-1]["layer"][1]
    shown = {row["status"] for row in specs[-1]["datasets"][rects["data"]["name"]]}
    assert shown and shown <= set(rects["encoding"]["color"]["scale"]["domain"])
    assert all(s.startswith("⟦") for s in shown)
