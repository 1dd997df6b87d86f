"""AppTest of the Scorecard page: the demo data against the core, targets and typed values from
session state, other pages' results and what-if scenarios, monthly periods, and a dataset too small
for a CLV model."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability import whatif_settings
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.analyses.scorecard import formats, inputs, specs
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.intake.dataset import Dataset, dataset_from_frame
from tests.app.conftest import ROOT
from tests.unit.test_scorecard import shop
from ui import scorecard as view
from ui import session, state

PAGE = "pages/scorecard.py"


def open_page(dataset: Dataset, **session) -> AppTest:
    """Through app.py, as a user would: the page links to other pages only resolve there."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    return at.switch_page(PAGE).run()


def headline(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def table(at: AppTest, perspective: str) -> pd.DataFrame:
    """The editor of one perspective (they come in PERSPECTIVES order, then the typed-in one)."""
    return at.dataframe[specs.PERSPECTIVES.index(perspective)].value.set_index("Measure")


def expected(dataset: Dataset, **settings) -> inputs.Scorecard:
    """The page's defaults computed straight from the core."""
    analysis_inputs = AnalysisInputs.of(dataset)
    models, notes = scorecard_defaults.complete_models(analysis_inputs)
    assert notes == ()  # every default model runs on these datasets
    return scorecard_run.run(analysis_inputs, inputs.ScorecardSettings(**settings), models)


@pytest.fixture(scope="module")
def demo_card(demo_dataset) -> inputs.Scorecard:
    return expected(demo_dataset)


def test_demo_scorecard_matches_the_core(demo_dataset, demo_card):
    at = open_page(demo_dataset)
    assert not at.exception and not at.error
    assert at.title[0].value == "Customer management scorecard"
    row = demo_card.row("revenue_per_customer")
    shown = headline(at)["Revenue per customer"]
    assert shown[0] == formats.format_value(row["value"], "money")
    assert shown[1] == formats.format_change(row["change"], row["change_pct"], "money")
    assert len(at.dataframe) == len(specs.PERSPECTIVES) + 1  # plus the typed-in values
    for perspective in specs.PERSPECTIVES:
        part = table(at, perspective)
        rows = demo_card.table[demo_card.table["perspective"] == perspective]
        assert list(part.index) == list(rows["measure"])
        assert list(part["Value"]) == [
            formats.format_value(v, u, "EUR")
            for v, u in zip(rows["value"], rows["unit"], strict=True)
        ]
    assert len(at.get("vega_lite_chart")) == 4  # the goals' chain, trends, channel, segment
    chain = at.table[0].value  # the scorecard read top down (issue 19)
    assert list(dict.fromkeys(chain.index)) == ["Goal", "Process measure", "Leading indicator"]
    revenue = chain.set_index("Measure").loc["New customers", "Value"]
    assert revenue == formats.format_value(demo_card.row("new_customers")["value"], "count")
    # Models of pages not visited are computed with defaults, with links to tune them there.
    assert any("use default settings" in e.label for e in at.expander)
    assert "Scenario" not in table(at, "Financial").columns  # no what-if set


def test_opened_first_it_computes_each_default_model_once(demo_dataset, monkeypatch):
    # No other page visited: the scorecard needs the default P&L (its own measures and the CLV's
    # cost-to-serve) and the default retention (annual retention, active share and the chain's
    # at-risk list). Each used to run twice, ~1 s of a 4 s first render at 1M transactions.
    from cvm_core.analyses.clv import run as clv_run
    from cvm_core.analyses.profitability import run as profitability_run
    from cvm_core.analyses.retention import run as retention_run

    calls: list[str] = []
    for module, name in (
        (profitability_run, "analyse"), (retention_run, "analyse_retention"), (clv_run, "fit"),
    ):  # fmt: skip
        original = getattr(module, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    # A fingerprint of its own: the page's caches hold nothing for it yet.
    dataset = dataclasses.replace(demo_dataset, fingerprint="scorecard-opened-first")
    at = open_page(dataset)
    assert not at.exception and not at.error
    assert sorted(calls) == ["analyse", "analyse_retention", "fit"]


def test_after_the_whale_page_it_reuses_that_pages_pnl(demo_dataset, monkeypatch):
    # The Whale page publishes its cost model and its what-if (also with no fix set); the
    # scorecard replays the fixes on that page's cached P&L instead of costing every customer
    # again at the default rates (1.1 s of a 2.3 s render at 1M transactions).
    from cvm_core.analyses.profitability import run as profitability_run

    calls: list[str] = []
    original = profitability_run.analyse

    def spy(*args, **kwargs):
        calls.append("analyse")
        return original(*args, **kwargs)

    monkeypatch.setattr(profitability_run, "analyse", spy)
    dataset = dataclasses.replace(demo_dataset, fingerprint="scorecard-after-whale")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[state.DATASET] = dataset
    at.switch_page("pages/whale_curve.py").run()
    assert not at.exception and calls == ["analyse"]
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert calls == ["analyse"]


def test_targets_and_typed_values_from_session_state(demo_dataset, demo_card):
    new = demo_card.row("new_customers")["value"]
    targets = {
        "new_customers": new,
        "churn_rate": 0.10,
        "revenue_per_customer": demo_card.row("revenue_per_customer")["value"] * 1.02,
    }
    at = open_page(demo_dataset, **{view.TARGETS: targets, view.TYPED: {"satisfaction": 0.72}})
    assert not at.exception
    assert table(at, "Acquisition").loc["New customers", "Status"] == "🟢 on target"
    assert table(at, "Acquisition").loc["New customers", "Target"] == formats.format_value(
        new, "count"
    )
    assert table(at, "Retention").loc["Lapse rate (period on period)", "Status"] == "🔴 off target"
    assert table(at, "Financial").loc["Revenue per customer", "Status"] == "🟡 watch"
    assert table(at, "Customer outcomes").loc["Customers highly satisfied", "Value"] == "72.0%"
    typed = at.dataframe[-1].value.set_index("Measure")
    assert typed.loc["Customers highly satisfied", "Your value"] == "72.0%"
    assert "Complaint resolution time" in typed.index


def test_other_pages_results_and_scenarios(demo_dataset, demo_card):
    fingerprint = demo_dataset.fingerprint
    pnl = scorecard_defaults.default_pnl(AnalysisInputs.of(demo_dataset))
    stale = ("another dataset", pnl.assign(profit=0.0))
    fixes = whatif_settings.WhaleScenario(
        target=whatif_settings.TARGET_UNPROFITABLE, price_increase=0.05
    )
    at = open_page(
        demo_dataset,
        **{session.WHALE_PNL.key: stale, session.WHALE_SCENARIO.key: (fingerprint, fixes)},
    )
    assert not at.exception and not at.error
    financial = table(at, "Financial")
    # The stale P&L (another fingerprint) is ignored: profit is the default P&L's.
    baseline = demo_card.row("profit_per_customer")["value"]
    assert financial.loc["Profit per customer", "Value"] == formats.format_value(baseline, "money")
    projected = float(
        financial.loc["Profit per customer", "Scenario"].replace("€", "").replace(",", "")
    )
    assert projected > baseline  # a price rise for the loss-makers
    assert financial.loc["Revenue from new customers", "Scenario"] == "–"
    assert any("Whale Curve fixes (price increase)" in i.value for i in at.info)
    assert f"Scenario: {financial.loc['Profit per customer', 'Scenario']}" in [
        c.value for c in at.caption
    ]
    # The Whale Curve page's own P&L for this dataset is used when present.
    own = (
        fingerprint,
        pnl.assign(
            cost_to_serve=pnl["cost_to_serve"] * 0, profit=pnl["profit"] + pnl["cost_to_serve"]
        ),
    )
    at = open_page(demo_dataset, **{session.WHALE_PNL.key: own})
    assert table(at, "Financial").loc["Cost-to-serve (% of net revenue)", "Value"] == "0.0%"


def test_monthly_periods_and_period_choice(demo_dataset):
    at = open_page(demo_dataset)
    at.radio(key=view.FREQUENCY).set_value("M").run()
    assert not at.exception
    monthly = expected(demo_dataset, frequency="M")
    assert headline(at)["New customers"][0] == formats.format_value(
        monthly.row("new_customers")["value"], "count"
    )
    at.selectbox(key=f"{view.KEY}.period.M.{demo_dataset.fingerprint}").set_value("Mar 2023").run()
    march = expected(demo_dataset, frequency="M", period="Mar 2023")
    assert headline(at)["New customers"][0] == formats.format_value(
        march.row("new_customers")["value"], "count"
    )
    assert any("Mar 2023" in c.value and "compared with Feb 2023" in c.value for c in at.caption)


def test_a_shop_too_small_for_clv_still_gets_a_scorecard():
    frame = shop().drop(columns=["is_return"])
    frame.columns = ["Customer ID", "Date", "Order ID", "Revenue", "Category", "Channel"]
    dataset = dataset_from_frame(frame, "shop", currency="EUR")
    at = open_page(dataset)
    assert not at.exception and not at.error
    assert headline(at)["Revenue per customer"] == ("€60", "-60.0%")
    assert table(at, "Retention").loc["Average customer lifetime value", "Value"] == "–"
    assert any("could not be computed here" in m.value for m in at.markdown)


def test_no_dataset_points_to_upload():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page(PAGE).run()
    assert not at.exception
    assert "No data is loaded yet" in at.info[0].value


def test_clv_treatments_project_the_average_clv(demo_dataset, demo_card):
    from cvm_core.analyses.clv.scenario import (
        PROJECTION_COLUMNS,
        Scenario,
        ScenarioProjection,
        Treatment,
    )

    # The CLV page's projection: treatments add 40,000 of CLV over the 4,000 customers.
    total = dict.fromkeys(PROJECTION_COLUMNS, 0.0) | {
        "tier": "Total",
        "customers": 4000,
        "incremental_value": 40_000.0,
    }
    projection = ScenarioProjection(
        Scenario.from_dict({"Gold": Treatment(retention_uplift=0.1)}),
        pd.DataFrame([total]),
        36,
        0.1,
    )
    at = open_page(
        demo_dataset, **{session.CLV_SCENARIO.key: (demo_dataset.fingerprint, projection)}
    )
    assert not at.exception and not at.error
    retention = table(at, "Retention")
    base = demo_card.row("average_clv")["value"]
    assert retention.loc["Average customer lifetime value", "Scenario"] == formats.format_value(
        base + 10.0, "money"
    )
    assert retention.loc["Premium customers", "Scenario"] == "–"
    assert any("CLV treatments for Gold" in i.value for i in at.info)
    # A projection with no treatment set is not a scenario.
    idle = dataclasses.replace(projection, scenario=Scenario.from_dict({"Gold": Treatment()}))
    at = open_page(demo_dataset, **{session.CLV_SCENARIO.key: (demo_dataset.fingerprint, idle)})
    assert "Scenario" not in table(at, "Retention").columns
