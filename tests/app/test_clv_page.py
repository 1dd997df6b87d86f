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


def test_demo_page_renders_the_headline(demo_run, demo_dataset):
    at = demo_run
    assert not at.exception and not at.error
    shown = metrics(at)
    # The headline equals the core's own figures for the page's default settings.
    fit = clv.fit_clv(
        demo_dataset.transactions,
        clv.FitSettings(
            "bgnbd",
            "week",
            clv_holdout.default_calibration_end(
                demo_dataset.observation_start, demo_dataset.observation_end
            ),
            demo_dataset.observation_end,
        ),
    )
    values = clv_values.customer_values(fit, clv_values.ValueSettings(margin=None))
    n = len(values.customers)
    assert shown["Total CLV, next 36 months"] == formatting.money_short(values.total_clv, "EUR")
    assert shown["Average CLV per customer"] == formatting.money(values.total_clv / n, "EUR")
    assert shown["Probably still active"] == formatting.pct(
        float((values.customers["p_alive"] >= 0.5).mean()), 0
    )
    assert shown["Holdout purchases: actual"] == formatting.count(fit.holdout.actual)
    for value in shown.values():
        assert "nan" not in value.lower() and "inf" not in value.lower()
    assert any("cost column" in c.value for c in at.caption)  # margin basis stated


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
    assert any("BG/NBD + Gamma-Gamma" in c.value for c in at.caption)
    table = at.dataframe[0].value.set_index("Parameters")
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
