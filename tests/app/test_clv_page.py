"""AppTest of the Customer Lifetime Value page on the demo data and on CDNOW: fit, headline figures,
published results for the Scorecard, model switch, a what-if slider, and errors shown not raised."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cvm_core import formatting
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import holdout as clv_holdout
from cvm_core.analyses.clv import scenario
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability import projection
from cvm_core.analyses.profitability.activities import DEFAULT_ACTIVITIES, CostModelSettings
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention.analysis import RetentionSettings
from cvm_core.analyses.retention.gaps import ChurnRule
from tests.app.conftest import run_page
from ui import session
from ui.clv import model_key

PAGE = "pages/clv.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def whatif_slider(at, tier: str, lever: str, dataset):
    return at.slider(key=f"clv.whatif.{tier}.{lever}.{dataset.fingerprint}")


def calibration_key(dataset) -> str:
    end = dataset.observation_end
    return f"clv.calibration_end.{end:%Y%m%d}.{dataset.fingerprint}"


@pytest.fixture(scope="module")
def demo_run(demo_dataset):
    return run_page(PAGE, demo_dataset)


def _page_fit(dataset) -> clv.CLVFit:
    """The fit the page makes with its default settings (Auto resolves to the recommended model)."""
    end = dataset.observation_end
    calibration_end = clv_holdout.default_calibration_end(dataset.observation_start, end)
    return clv.fit_clv(dataset.transactions, clv.FitSettings("auto", "week", calibration_end, end))


def test_demo_page_renders_the_headline(demo_run, demo_dataset):
    at = demo_run
    assert not at.exception and not at.error
    shown = metrics(at)
    # The headline equals the core's own figures for the page's default settings.
    fit = _page_fit(demo_dataset)
    costs = projection.service_costs(AnalysisInputs.of(demo_dataset, "week"))
    values = clv_values.customer_values(
        fit, clv_values.ValueSettings(margin=None), costs.rates, costs.source
    )
    n = len(values.customers)
    assert shown["Total CLV, next 36 months"] == formatting.money_short(values.total_clv, "EUR")
    assert shown["Average CLV per customer"] == formatting.money(values.total_clv / n, "EUR")
    # The active share is the Retention page's, under its default rule (one meaning of active).
    retention = retention_run.run(AnalysisInputs.of(demo_dataset, "week"))
    assert shown["Active customers"] == retention.active.share_text()
    assert shown["Holdout purchases: actual"] == formatting.count(fit.holdout.actual)
    for value in shown.values():
        assert "nan" not in value.lower() and "inf" not in value.lower()
    assert any("cost column" in c.value for c in at.caption)  # margin basis stated
    basis = next(c.value for c in at.caption if c.value.startswith("CLV is future profit"))
    assert formatting.money_short(values.future_cost_to_serve, "EUR") in basis
    assert "the default activity rates (edit them on the Whale Curve page)" in basis


def test_clv_deducts_the_whale_pages_rates_or_none_when_switched_off(demo_dataset):
    doubled = CostModel.from_table(
        DEFAULT_ACTIVITIES.assign(cost_per_unit=DEFAULT_ACTIVITIES["cost_per_unit"] * 2),
        CostModelSettings(),
    )
    fingerprint = demo_dataset.fingerprint
    at = run_page(PAGE, demo_dataset, **{session.COST_MODEL.key: (fingerprint, doubled)})
    assert not at.exception and not at.error
    basis = next(c.value for c in at.caption if c.value.startswith("CLV is future profit"))
    assert "the Whale Curve page's activity rates" in basis
    _, frame = at.session_state[session.CLV_CUSTOMERS.key]
    doubled_cost = frame["future_cost_to_serve"].sum()
    at.toggle(key=f"clv.net_of_cost.{fingerprint}").set_value(False)
    at.run()
    assert not at.exception and not at.error
    _, gross = at.session_state[session.CLV_CUSTOMERS.key]
    assert (gross["future_cost_to_serve"] == 0).all()
    np.testing.assert_allclose(gross["clv"], frame["future_margin"])
    assert any(c.value.startswith("CLV is future gross margin only") for c in at.caption)
    # The page deducted exactly the core's cost-to-serve at the doubled rates.
    inputs = AnalysisInputs.of(demo_dataset, "week")
    expected = clv_values.customer_values(
        _page_fit(demo_dataset), clv_values.ValueSettings(margin=None),
        projection.service_costs(inputs, doubled).rates,
    )  # fmt: skip
    assert doubled_cost == pytest.approx(expected.future_cost_to_serve, rel=1e-9)
    default = projection.service_costs(inputs).rates
    assert (projection.service_costs(inputs, doubled).rates >= default - 1e-9).all().all()


def test_demo_page_publishes_its_results(demo_run, demo_dataset):
    fingerprint, frame = demo_run.session_state[session.CLV_CUSTOMERS.key]
    assert fingerprint == demo_dataset.fingerprint
    assert {"p_alive", "clv", "tier"} <= set(frame.columns)
    assert len(frame) == demo_dataset.transactions["customer_id"].nunique()
    assert np.isfinite(frame[["p_alive", "clv"]].to_numpy()).all()
    assert list(frame["tier"].cat.categories) == ["Platinum", "Gold", "Iron", "Lead"]
    fingerprint, projection = demo_run.session_state[session.CLV_SCENARIO.key]
    assert fingerprint == demo_dataset.fingerprint
    assert isinstance(projection, scenario.ScenarioProjection)
    assert projection.total["incremental_value"] == 0.0  # no lever moved yet


def test_moving_a_what_if_slider_changes_the_scenario(demo_dataset):
    at = run_page(PAGE, demo_dataset)
    _, before = at.session_state[session.CLV_SCENARIO.key]
    baseline = before.total["baseline_clv"]
    whatif_slider(at, "Gold", "frequency", demo_dataset).set_value(20)
    at.number_input(key=f"clv.whatif.Gold.cost.{demo_dataset.fingerprint}").set_value(10.0)
    at.run()
    assert not at.exception and not at.error
    _, after = at.session_state[session.CLV_SCENARIO.key]
    gold = after.by_tier.set_index("tier").loc["Gold"]
    assert after.scenario.treatment("Gold").frequency_uplift == pytest.approx(0.20)
    assert gold["incremental_value"] > 0
    assert gold["treatment_cost"] == pytest.approx(10.0 * gold["customers"] * 36 / 12)
    assert after.total["baseline_clv"] == pytest.approx(baseline)
    shown = metrics(at)
    assert shown["Projected CLV with treatment"] == formatting.money_short(
        after.total["scenario_clv"], "EUR"
    )
    assert shown["Treatment cost"] == formatting.money_short(gold["treatment_cost"], "EUR")


def test_changing_the_model_refits(cdnow_dataset):
    at = run_page(PAGE, cdnow_dataset)
    assert not at.exception and not at.error
    at.date_input(key=calibration_key(cdnow_dataset)).set_value(dt.date(1997, 9, 30))
    at.run()
    # Auto: the published calibration period's comparison recommends Pareto/NBD (issue 13).
    assert any(
        "Pareto/NBD (chosen by Auto: the lowest holdout error per customer" in c.value
        for c in at.caption
    )
    at.selectbox(key=model_key(cdnow_dataset)).set_value("bgnbd")
    at.run()
    assert any("BG/NBD + Gamma-Gamma" in c.value for c in at.caption)
    # Under BG/NBD the page says why every one-time buyer is alive: 1,218 of 2,357 on CDNOW.
    assert any("calls all 1,218 one-time buyers (52% of customers)" in i.value for i in at.info)
    table = next(d.value for d in at.dataframe if "Parameters" in d.value).set_index("Parameters")
    assert "r = 0.243, alpha = 4.414, a = 0.793, b = 2.426" in table.index  # published CDNOW
    at.selectbox(key=model_key(cdnow_dataset)).set_value("pareto")
    at.run()
    assert not at.exception and not at.error
    assert any("Pareto/NBD + Gamma-Gamma" in c.value for c in at.caption)
    assert at.selectbox(key=model_key(cdnow_dataset)).value == "pareto"


def test_no_holdout_and_too_little_data(demo_dataset, cdnow_dataset):
    at = run_page(PAGE, cdnow_dataset)
    at.toggle(key=f"clv.holdout.{cdnow_dataset.fingerprint}").set_value(False)
    at.run()
    assert not at.exception and not at.error
    assert any("No holdout" in i.value for i in at.info)
    at.toggle(key=f"clv.holdout.{cdnow_dataset.fingerprint}").set_value(True)
    at.run()
    at.date_input(key=calibration_key(cdnow_dataset)).set_value(dt.date(1997, 1, 10))
    at.run()
    assert not at.exception
    assert any("bought more than once" in e.value for e in at.error)


def test_active_customers_follow_the_retention_pages_rule(demo_dataset):
    # The Retention page's rule (here a 30-day window) is the one the CLV headline counts by.
    inputs = AnalysisInputs.of(demo_dataset, "week")
    rule = ChurnRule(30)
    result = retention_run.run(inputs, RetentionSettings(rule=rule))
    published = {session.RETENTION.key: (demo_dataset.fingerprint, result)}
    at = run_page(PAGE, demo_dataset, **published)
    assert not at.exception and not at.error
    assert metrics(at)["Active customers"] == result.active.share_text()
    assert result.active.share != retention_run.run(inputs).active.share  # the rule matters
    headline = next(m for m in at.metric if m.label == "Active customers")
    assert "active = bought in the last 30 days" in headline.help


@pytest.fixture(scope="module")
def matrix_run(demo_dataset):
    return run_page(PAGE, demo_dataset, **{"clv.tab": "Value matrix"})


def test_the_value_matrix_tab_counts_every_cell(matrix_run, demo_dataset):
    from cvm_core.analyses.clv import run as clv_run

    inputs = AnalysisInputs.of(demo_dataset, "week")
    expected = clv_run.run(inputs, clv_run.CLVSettings(clv_run.default_fit_settings(inputs)))
    matrix = expected.value_matrix()
    shown = metrics(matrix_run)
    for cell, customers in matrix.counts().items():
        assert shown[cell] == formatting.count(customers)
    assert sum(matrix.counts().values()) == 4000


def test_new_customers_are_set_against_their_acquisition_cost(matrix_run, demo_dataset):
    demo_run = matrix_run
    from cvm_core.analyses.clv import acquisition

    _, frame = demo_run.session_state[session.CLV_CUSTOMERS.key]
    inputs = AnalysisInputs.of(demo_dataset, "week")
    table = acquisition.acquisition_view(
        frame["clv"], inputs.summary["first_purchase"], demo_dataset.customers,
        inputs.observation_end,
    )  # fmt: skip
    shown = next(d.value for d in demo_run.dataframe if "Acquisition channel" in d.value)
    total = shown.set_index("Acquisition channel").loc["All channels"]
    assert total["CLV per customer"] == formatting.money(table.iloc[-1]["clv"], "EUR")
    assert total["New customers"] == formatting.count(int(table.iloc[-1]["customers"]))
    assert any(c.value == acquisition.acquisition_takeaway(table, "EUR") for c in demo_run.caption)
