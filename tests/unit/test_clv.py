"""Tests for cvm_core.analyses.clv.fit: published CDNOW estimates from raw transactions, agreement with lifetimes,
hand-checked spend and CLV figures, and the user-facing failures (too little data, non-convergence).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from cvm_core.__main__ import main
from cvm_core.analyses.clv import backend, likelihoods, spend_model, transaction_model
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import histories as clv_histories
from cvm_core.analyses.clv import holdout as clv_holdout
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.models import MODEL_SPECS
from cvm_core.analyses.clv.models.bgnbd import BGNBD
from cvm_core.errors import ModelError, ValidationError
from cvm_core.intake.cdnow import load_cdnow_transactions
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.summary import customer_summary

CAL_END = pd.Timestamp("1997-09-30")
OBS_END = pd.Timestamp("1998-06-30")


@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    """CDNOW transactions read through the same intake pipeline as an upload."""
    return dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD").transactions


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_tx) -> clv.CLVFit:
    settings = clv.FitSettings("bgnbd", "week", CAL_END, OBS_END, compare=True)
    return clv.fit_clv(cdnow_tx, settings)


@pytest.fixture(scope="module")
def calibration(cdnow_tx) -> pd.DataFrame:
    return customer_summary(cdnow_tx[cdnow_tx["date"] <= CAL_END], "week", CAL_END)


def _rounded(series: pd.Series, digits: int) -> dict[str, float]:
    return {name: round(float(value), digits) for name, value in series.items()}


# --- published CDNOW estimates (weekly unit, calibration 1997-01-01 .. 1997-09-30) -------------


def test_cdnow_calibration_summary_matches_the_paper(calibration):
    # Fader, Hardie & Lee (2005): 2,357 customers, 1,411 of them with no repeat purchase.
    assert len(calibration) == 2357
    assert int((calibration["frequency"] == 0).sum()) == 1411


def test_bgnbd_matches_fader_hardie_lee_2005(cdnow_fit):
    model = cdnow_fit.calibration_model
    assert _rounded(model.params_, 3) == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)  # the paper's LL
    assert model.penalizer_coef_ == 0.0 and model.notes_ == ()


def test_pareto_nbd_matches_published_estimates(cdnow_fit, calibration):
    row = cdnow_fit.comparison.set_index("model").loc["pareto"]
    assert row["parameters"] == "r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669"
    model = transaction_model.TransactionModel("pareto").fit(calibration)
    assert _rounded(model.params_, 3) == {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)


def test_gamma_gamma_matches_fader_hardie_2013(cdnow_fit):
    spend = cdnow_fit.calibration_spend
    assert _rounded(spend.params_, 2) == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert spend.n_customers_ == 946 and spend.excluded_ == 0


def test_cdnow_holdout_figures(cdnow_fit):
    check = cdnow_fit.holdout
    assert check.periods == pytest.approx(273 / 7)  # 1997-10-01 .. 1998-06-30: 39 weeks
    assert check.actual == float(cdnow_holdout_days())  # distinct purchase days in the holdout
    assert check.pct_error == pytest.approx((check.predicted - check.actual) / check.actual)
    assert list(check.by_frequency["frequency"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert check.by_frequency["customers"].sum() == 2357
    assert check.by_frequency["customers"].iloc[0] == 1411
    # The model under-predicts the holdout a little on CDNOW, as the paper's figure 3 shows.
    assert -0.2 < check.pct_error < 0.0


def cdnow_holdout_days() -> int:
    raw = load_cdnow_transactions()
    window = raw[(raw["Date"] > CAL_END) & (raw["Date"] <= OBS_END)]
    return len(window[["Customer ID", "Date"]].drop_duplicates())


def test_recommended_model_has_the_lowest_holdout_error(cdnow_fit):
    table = cdnow_fit.comparison
    assert list(table["model"]) == ["bgnbd", "pareto", "mbgnbd"]
    assert table["recommended"].sum() == 1
    best = table.loc[table["holdout_mae"].idxmin(), "model"]
    assert cdnow_fit.recommended == best


def test_cumulative_curve_is_monotone_and_ends_at_the_holdout_total(cdnow_fit, calibration):
    cumulative = cdnow_fit.cumulative
    assert len(cumulative) <= clv_holdout.MAX_CHART_POINTS + 2
    assert cumulative["actual"].is_monotonic_increasing
    assert cumulative["predicted"].is_monotonic_increasing
    at_cal = cumulative.loc[cumulative["date"] == CAL_END, "actual"].iloc[0]
    assert at_cal == calibration["frequency"].sum()  # all repeat purchases of the calibration
    assert cumulative["actual"].iloc[-1] == at_cal + cdnow_fit.holdout.actual
    assert set(cumulative["phase"]) == {"calibration", "holdout"}


def test_a_new_model_is_one_class_and_one_registry_line(monkeypatch, calibration):
    """The shared machinery calls only the ModelSpec interface: a class registered under a new
    key (here BG/NBD's formulas under another name) is fitted, scored and predicts like it."""

    class Clone(BGNBD):
        key, label = "clone", "BG/NBD clone"

    monkeypatch.setitem(MODEL_SPECS, Clone.key, Clone)
    clone = transaction_model.TransactionModel("clone").fit(calibration)
    original = transaction_model.TransactionModel("bgnbd").fit(calibration)
    assert clone.name == "BG/NBD clone"
    assert list(clone.params_.index) == ["r", "alpha", "a", "b"]
    np.testing.assert_allclose(clone.params_, original.params_)
    assert clone.log_likelihood_ == pytest.approx(original.log_likelihood_)
    np.testing.assert_allclose(clone.p_alive(calibration), original.p_alive(calibration))
    with pytest.raises(ValidationError, match="Unknown model 'gamma'; choose bgnbd, pareto"):
        transaction_model.TransactionModel("gamma").fit(calibration)


# --- agreement with lifetimes (the reference implementation) ----------------------------------


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "pareto"])
def test_weighted_likelihood_equals_the_per_customer_sum(model, calibration):
    lt = backend.lifetimes_module()
    rows = clv_histories.collapse_histories(calibration)
    scale = 1.0 / rows.T.max()
    params = {
        "bgnbd": [0.3, 0.1, 0.8, 2.4],
        "mbgnbd": [0.5, 0.15, 0.9, 1.6],
        "pareto": [0.55, 0.2, 0.6, 0.25],
    }[model]
    ours = likelihoods.weighted_loglik(
        model, np.array(params), likelihoods.Scaled.from_rows(rows, scale)
    )
    x = calibration["frequency"].to_numpy(float)
    tx = calibration["recency"].to_numpy(float) * scale
    age = calibration["T"].to_numpy(float) * scale
    if model == "pareto":
        theirs = lt.ParetoNBDFitter._conditional_log_likelihood(np.array(params), x, tx, age).sum()
    else:
        fitter = lt.BetaGeoFitter if model == "bgnbd" else lt.ModifiedBetaGeoFitter
        theirs = -fitter._negative_log_likelihood(
            np.log(params), x, tx, age, np.ones(len(x)), 0.0
        ) * len(x)
    assert ours == pytest.approx(theirs, rel=1e-10)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_analytic_gradient_is_right(model, calibration):
    rows = clv_histories.collapse_histories(calibration)
    data = likelihoods.Scaled.from_rows(rows, 1.0 / rows.T.max())
    objective, _ = likelihoods.log_space_objective(model, data, 0.01)
    theta = np.log([0.3, 0.1, 0.8, 2.4])
    error = check_grad(lambda t: objective(t)[0], lambda t: objective(t)[1], theta)
    assert error < 1e-5


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "pareto"])
def test_predictions_equal_lifetimes(model, cdnow_fit, calibration):
    lt = backend.lifetimes_module()
    fitted = transaction_model.TransactionModel(model).fit(calibration)
    reference = {
        "bgnbd": lt.BetaGeoFitter,
        "mbgnbd": lt.ModifiedBetaGeoFitter,
        "pareto": lt.ParetoNBDFitter,
    }[model]()
    reference.params_ = fitted.params_.copy()
    x, tx, age = (calibration[c] for c in ("frequency", "recency", "T"))
    if model != "pareto":
        expected_alive = reference.conditional_probability_alive(x, tx, age)
    else:  # lifetimes' Pareto/NBD P(alive) overflows on the unscaled data: compare on T <= 1
        scale = 1.0 / age.max()
        reference.params_ = fitted.params_ * [1, scale, 1, scale]
        expected_alive = reference.conditional_probability_alive(x, tx * scale, age * scale)
        reference.params_ = fitted.params_.copy()
    assert 0.05 < float(np.mean(expected_alive)) < 0.95  # a real spread, not all 0 or 1
    np.testing.assert_allclose(fitted.p_alive(calibration), expected_alive, rtol=1e-8)
    expected = reference.conditional_expected_number_of_purchases_up_to_time(39, x, tx, age)
    np.testing.assert_allclose(
        fitted.expected_purchases(calibration, 39), expected, rtol=1e-6, atol=1e-9
    )


def test_clv_equals_lifetimes_customer_lifetime_value(cdnow_tx):
    """Monthly unit: lifetimes steps one month at a time with a monthly discount rate."""
    summary = customer_summary(cdnow_tx, "month", OBS_END)
    model = transaction_model.TransactionModel("bgnbd").fit(summary)
    spend = spend_model.SpendModel().fit(summary)
    annual = 0.10
    ours = clv_values.predict_customer_value(summary, model, spend, "month", 12, annual, margin=1.0)
    lt = backend.lifetimes_module()
    bg, gg = lt.BetaGeoFitter(), lt.GammaGammaFitter()
    bg.params_ = model.params_.copy()
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # set by lifetimes' fit
    gg.params_ = pd.Series(spend.params_.to_numpy(), index=["p", "q", "v"])
    repeat = summary[summary["frequency"] > 0]
    theirs = gg.customer_lifetime_value(
        bg, repeat["frequency"], repeat["recency"], repeat["T"], repeat["monetary_value"],
        time=12, discount_rate=(1 + annual) ** (1 / 12) - 1, freq="M",
    )  # fmt: skip
    np.testing.assert_allclose(ours.loc[repeat.index, "clv"], theirs, rtol=1e-6)


# --- spend model ---------------------------------------------------------------------------------


def test_expected_spend_by_hand():
    spend = spend_model.SpendModel()
    spend.params_ = pd.Series([6.0, 4.0, 15.0], index=list(spend_model.SPEND_PARAMETER_NAMES))
    summary = pd.DataFrame({"frequency": [2, 0, 3], "monetary_value": [40.0, 0.0, -5.0]})
    # population mean p*gamma/(q-1) = 30; weight on own mean p*x / (p*x + q - 1):
    # x=2: 12/15 = 0.8 -> 0.2*30 + 0.8*40 = 38; x=0: 30; x=3, mean clipped to 0: 3/21*30 = 4.2857
    expected = [38.0, 30.0, 30.0 * 3.0 / 21.0]
    np.testing.assert_allclose(spend.expected_spend(summary), expected)


def test_non_positive_spend_is_left_out_with_a_note(calibration):
    summary = calibration.copy()
    repeaters = summary.index[summary["frequency"] > 0][:3]
    summary.loc[repeaters, "monetary_value"] = [0.0, -12.5, -0.01]
    spend = spend_model.SpendModel().fit(summary)
    assert spend.excluded_ == 3
    assert spend.n_customers_ == 946 - 3
    assert any("3 repeat buyers were left out of the spend model" in n for n in spend.notes_)
    predicted = spend.expected_spend(summary)
    assert (predicted >= 0).all() and np.isfinite(predicted).all()
    assert spend.params_["q"] > 1.0  # population mean spend p*gamma/(q-1) exists


def test_spend_model_needs_positive_spenders():
    summary = pd.DataFrame({"frequency": [1] * 12, "monetary_value": [0.0] * 12})
    with pytest.raises(ModelError, match="Only 0 repeat buyers have a positive spend"):
        spend_model.SpendModel().fit(summary)


# --- too little data, non-convergence ------------------------------------------------------------


def _summary(frequency, recency, age) -> pd.DataFrame:
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": age}, dtype=float)


def test_too_few_customers_gets_a_clear_message():
    summary = _summary([1, 2, 0] * 20, [3, 5, 0] * 20, [10] * 60)
    with pytest.raises(ModelError, match=r"Only 60 customers to learn from; .* at least 100"):
        transaction_model.TransactionModel().fit(summary)


def test_everyone_buying_once_gets_a_clear_message():
    summary = _summary([0] * 500, [0] * 500, np.linspace(1, 50, 500))
    with pytest.raises(ModelError, match="No customer bought more than once"):
        transaction_model.TransactionModel().fit(summary)


def test_fit_clv_names_the_calibration_period_in_errors(cdnow_tx):
    early = pd.Timestamp("1997-01-10")  # 217 customers by then, only 6 of them bought again
    with pytest.raises(ModelError, match="^In the calibration period: Only 6 customers bought"):
        clv.fit_clv(cdnow_tx, clv.FitSettings("bgnbd", "week", early, OBS_END, compare=False))


def test_calibration_end_outside_the_data_is_refused(cdnow_tx):
    with pytest.raises(ValidationError, match="leaves no holdout period"):
        clv.fit_clv(cdnow_tx, clv.FitSettings("bgnbd", "week", OBS_END, OBS_END))
    with pytest.raises(ValidationError, match="before the first transaction"):
        clv.fit_clv(cdnow_tx, clv.FitSettings("bgnbd", "week", pd.Timestamp("1996-12-01"), OBS_END))


def test_failed_optimisation_is_retried_with_a_penalty(monkeypatch, calibration):
    real = transaction_model.TransactionModel._optimise
    tried = []

    def fails_without_penalty(self, rows, scale, penalizer, start=None, precise=False):
        tried.append(penalizer)
        if penalizer < 0.01:
            return None, True  # no optimum, stopped where the parameters are pinned down
        return real(self, rows, scale, penalizer, start, precise)

    monkeypatch.setattr(transaction_model.TransactionModel, "_optimise", fails_without_penalty)
    model = transaction_model.TransactionModel("bgnbd").fit(calibration)
    assert tried == [0.0, 0.001, 0.01]
    assert model.penalizer_coef_ == 0.01
    assert model.notes_ and model.notes_[0].startswith(
        "Penalised fit: the BG/NBD model did not converge on its own"
    )
    assert "penalty of 0.01" in model.notes_[0]
    # The penalty shrinks the (time-scaled) parameters: the fit still describes the data.
    assert 0.1 < model.params_["r"] < 0.5


def test_no_drop_out_at_all_fails_with_advice():
    # Every customer bought every week up to today: drop-out cannot be estimated (a -> 0).
    age = np.arange(10, 210) % 42 + 10.0
    summary = _summary(age, age, age)
    with pytest.raises(ModelError, match="not identifiable from these data: with 200 repeat"):
        transaction_model.TransactionModel("bgnbd").fit(summary)


def test_a_fit_whose_parameters_run_off_is_not_reported_as_normal():
    # Issue 13: 100 customers, 20 of them repeat buyers (1-3 repeats): BG/NBD gave r = 320,743
    # and alpha = 79 million with P(alive) 3e-12 as if nothing were wrong. Every model's
    # log-parameters run past +-9 here, penalty or not: each says it is not identifiable.
    rng = np.random.default_rng(1)
    freq = np.zeros(100)
    freq[:20] = rng.integers(1, 4, 20)
    age = rng.uniform(20, 52, 100)
    summary = _summary(freq, np.where(freq > 0, age * rng.uniform(0.3, 1.0, 100), 0), age)
    for key in ("bgnbd", "pareto", "mbgnbd"):
        with pytest.raises(
            ModelError, match="not identifiable from these data: with 20 repeat buyers among 100"
        ):
            transaction_model.TransactionModel(key).fit(summary)


# --- distinct histories, values, settings -------------------------------------------------------


def test_collapse_histories_counts_customers():
    summary = _summary([0, 1, 1, 0, 1], [0, 2, 2, 0, 3], [5, 5, 5, 5, 5])
    rows = clv_histories.collapse_histories(summary)
    assert rows.n_customers == 5 and len(rows.weights) == 3
    restored = np.c_[rows.frequency, rows.recency, rows.T][rows.inverse]
    np.testing.assert_array_equal(restored, summary.to_numpy())
    assert sorted(rows.weights) == [1.0, 2.0, 2.0]


def test_recency_beyond_age_is_refused():
    with pytest.raises(ValidationError, match="Recency must lie between 0"):
        clv_histories.collapse_histories(_summary([1], [6], [5]))


def test_discount_factors_by_hand():
    factors = transaction_model.discount_factors(24, 0.10)
    assert factors[11] == pytest.approx(1 / 1.1)
    assert factors[23] == pytest.approx(1 / 1.21)
    assert factors[0] == pytest.approx(1.1 ** (-1 / 12))


def test_clv_formula_on_a_hand_checked_pareto_customer():
    """Pareto/NBD r=1, alpha=1, s=2, beta=11; a customer with x=1, T=1 month: posterior purchase
    rate (r+x)/(alpha+T) = 1 a month, drop-out Gamma(2, 12), so E_m = 12 m / (12 + m)."""
    model = transaction_model.TransactionModel("pareto")
    model.params_ = pd.Series(
        [1.0, 1.0, 2.0, 11.0], index=transaction_model.PARAMETER_NAMES["pareto"]
    )
    spend = spend_model.SpendModel()
    spend.params_ = pd.Series([1.0, 2.0, 50.0], index=list(spend_model.SPEND_PARAMETER_NAMES))
    summary = pd.DataFrame(
        {"frequency": [1.0], "recency": [0.5], "T": [1.0], "monetary_value": [50.0],
         "net_revenue": [100.0]},
        index=pd.Index(["A"], name="customer_id"),
    )  # fmt: skip
    # spend: own weight p*x/(p*x+q-1) = 1/2, population mean p*gamma/(q-1) = 50 -> 50.
    out = clv_values.predict_customer_value(summary, model, spend, "month", 12, 0.10, margin=0.3)
    alive = out["p_alive"].iloc[0]
    months = np.arange(1, 13)
    path = 12 * np.r_[0, months] / (12 + np.r_[0, months])
    discounted = sum(np.diff(path)[m - 1] / 1.1 ** (m / 12) for m in months)
    assert out["expected_purchases"].iloc[0] == pytest.approx(alive * 6.0)
    assert out["expected_spend"].iloc[0] == pytest.approx(50.0)
    assert out["clv"].iloc[0] == pytest.approx(0.3 * 50.0 * alive * discounted)
    assert 0 < alive < 1


def test_customer_values_are_finite_and_tiered(cdnow_fit):
    values = clv_values.customer_values(cdnow_fit, clv_values.ValueSettings())
    frame = values.customers
    numeric = frame.select_dtypes("number").to_numpy()
    assert np.isfinite(numeric).all()
    assert (frame["clv"] >= 0).all() and frame["p_alive"].between(0, 1).all()
    # Bounds 5/20/50% of 2,357 rounded half up: 118, 471, 1179.
    assert list(values.tiers["customers"]) == [118, 353, 708, 1178]
    assert values.total_clv == pytest.approx(frame["clv"].sum())
    platinum = frame.loc[frame["tier"] == "Platinum", "clv"].min()
    gold = frame.loc[frame["tier"] == "Gold", "clv"].max()
    assert platinum >= gold


def test_margin_from_the_cost_column_by_hand():
    summary = pd.DataFrame(
        {"net_revenue": [100.0, 200.0, 50.0, 0.0], "cost": [60.0, 250.0, np.nan, 10.0]}
    )
    rates, basis = clv_values.margin_rates(summary, None)
    # known: rows 0 and 1 -> overall (300 - 310) / 300 < 0, clipped to 0; own 40%, -25% -> 0%
    np.testing.assert_allclose(rates, [0.4, 0.0, 0.0, 0.0])
    assert "cost column" in basis
    with pytest.raises(ValidationError, match="between 0% and 100%"):
        clv_values.margin_rates(summary, 1.5)


def test_value_settings_are_checked(cdnow_fit):
    with pytest.raises(ValidationError, match="horizon must be between 1 and 240"):
        clv_values.customer_values(cdnow_fit, clv_values.ValueSettings(horizon_months=0))
    with pytest.raises(ValidationError, match="discount rate"):
        clv_values.customer_values(cdnow_fit, clv_values.ValueSettings(discount_rate=1.5))


def test_clv_distribution_and_p_alive_matrix_are_chart_sized(cdnow_fit):
    values = clv_values.customer_values(cdnow_fit, clv_values.ValueSettings())
    dist = clv_values.clv_distribution(values.customers["clv"], bins=40)
    assert len(dist) == 40 and dist["customers"].sum() == 2357
    assert dist["share"].sum() == pytest.approx(1.0)
    matrix = clv_values.p_alive_matrix(cdnow_fit.model, cdnow_fit.summary)
    assert len(matrix) <= 21 * 25 and matrix["p_alive"].between(0, 1).all()
    # More recent last purchase -> more likely alive, at equal frequency.
    five = matrix[matrix["frequency"] == 5].sort_values("recency")
    assert five["p_alive"].is_monotonic_increasing


# --- command line --------------------------------------------------------------------------------


def test_command_line_prints_the_published_estimates(tmp_path, capsys):
    path = tmp_path / "cdnow.csv"
    load_cdnow_transactions().to_csv(path, index=False)
    code = main(
        ["clv", str(path), "--calibration-end", "1997-09-30", "--observation-end", "1998-06-30",
         "--model", "pareto", "--margin", "25", "--horizon-months", "12", "--json"]
    )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "Pareto/NBD"
    assert {k: round(v, 3) for k, v in result["parameters"].items()} == {
        "r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669,
    }  # fmt: skip
    assert {k: round(v, 2) for k, v in result["spend_parameters"].items()} == {
        "p": 6.25, "q": 3.74, "gamma": 15.44,
    }  # fmt: skip
    assert result["holdout"]["periods"] == 39.0
    assert result["comparison"]["BG/NBD"]["log_likelihood"] == pytest.approx(-9582.43, abs=0.01)
    assert result["clv"]["margin"] == "25% of revenue for every customer"
    assert sum(result["tiers"].values()) == 2357


def test_command_line_help_and_bad_date(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["clv", "--help"])
    assert exit_info.value.code == 0
    assert "else 30%)" in capsys.readouterr().out
    path = tmp_path / "cdnow.csv"
    load_cdnow_transactions().to_csv(path, index=False)
    assert main(["clv", str(path), "--calibration-end", "soon"]) == 2
    assert "--calibration-end takes a date like 1997-09-30" in capsys.readouterr().err


# --- model comparison on large data --------------------------------------------------------------


@pytest.mark.parametrize("model", ["bgnbd", "pareto", "mbgnbd"])
def test_log_likelihood_of_a_summary_equals_the_fitted_one(model, calibration):
    fitted = transaction_model.TransactionModel(model).fit(calibration)
    assert transaction_model.log_likelihood(fitted, calibration) == pytest.approx(
        fitted.log_likelihood_
    )


def test_large_data_compares_the_other_models_on_a_sample(monkeypatch, cdnow_tx, cdnow_fit):
    monkeypatch.setattr(clv, "COMPARE_SAMPLE", 1000)
    settings = clv.FitSettings("bgnbd", "week", CAL_END, OBS_END, compare=True)
    sampled = clv.fit_clv(cdnow_tx, settings).comparison.set_index("model")
    full = cdnow_fit.comparison.set_index("model")
    assert sampled["fitted_customers"].to_dict() == {"bgnbd": 2357, "pareto": 1000, "mbgnbd": 1000}
    # The chosen model is fitted to everyone; the others are scored on everyone, so a sample's
    # parameters can only do worse on the whole calibration than the full maximum-likelihood fit.
    assert sampled.loc["bgnbd", "log_likelihood"] == full.loc["bgnbd", "log_likelihood"]
    for other in ("pareto", "mbgnbd"):
        assert sampled.loc[other, "log_likelihood"] < full.loc[other, "log_likelihood"]
        assert sampled.loc[other, "log_likelihood"] > full.loc[other, "log_likelihood"] - 50


def test_auto_uses_the_model_the_comparison_recommends(cdnow_tx):
    # Issue 13: on the published calibration period the holdout comparison recommends
    # Pareto/NBD; Auto fits it and says so.
    fitted = clv.fit_clv(cdnow_tx, clv.FitSettings("auto", "week", CAL_END, OBS_END, compare=False))
    assert fitted.auto
    assert fitted.settings.model == fitted.recommended == "pareto"
    assert fitted.calibration_model.model == fitted.model.model == "pareto"
    assert fitted.calibration_model.n_customers_ == 2357  # every calibration customer
    assert len(fitted.comparison) == 3  # Auto always compares
    from cvm_core.analyses.clv import takeaways

    assert takeaways.model_words(fitted) == (
        "Pareto/NBD (chosen by Auto: the lowest holdout error per customer of the models compared)"
    )
    assert takeaways.one_time_buyers_note(fitted) is None


def test_auto_refits_the_sampled_winner_to_everyone_from_the_samples_optimum(
    monkeypatch, cdnow_tx, calibration
):
    """Large data: the comparison fits Pareto/NBD to a sample; Auto refits it to every
    calibration customer starting at the sample's optimum, and reaches the optimum a cold fit
    reaches: the same likelihood and the published parameters."""
    monkeypatch.setattr(clv, "COMPARE_SAMPLE", 1000)
    starts = []
    real_fit = transaction_model.TransactionModel.fit

    def fit(self, summary, near=None, precise=False):
        starts.append((self.model, len(summary), near is not None))
        return real_fit(self, summary, near, precise)

    monkeypatch.setattr(transaction_model.TransactionModel, "fit", fit)
    fitted = clv.fit_clv(cdnow_tx, clv.FitSettings("auto", "week", CAL_END, OBS_END))
    assert fitted.calibration_model.model == "pareto"
    assert ("pareto", 1000, False) in starts and ("pareto", 2357, True) in starts
    cold = real_fit(transaction_model.TransactionModel("pareto"), calibration)
    assert fitted.calibration_model.log_likelihood_ == pytest.approx(cold.log_likelihood_, rel=1e-9)
    assert _rounded(fitted.calibration_model.params_, 3) == _rounded(cold.params_, 3) == {
        "r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669,
    }  # fmt: skip


def test_auto_falls_back_to_the_next_best_model_when_the_recommended_one_fails(
    cdnow_tx, monkeypatch
):
    # The German test file: every model fits the calibration sample, the recommended one then
    # runs off on the whole period. Auto takes the next best by holdout error and says why.
    from cvm_core.analyses.clv import fit as fit_module
    from cvm_core.analyses.clv import takeaways
    from cvm_core.errors import ModelError

    real = fit_module._refit

    def failing(key, summary, chosen):
        if key == "pareto":
            raise ModelError("The Pareto/NBD model is not identifiable from these data.")
        return real(key, summary, chosen)

    monkeypatch.setattr(fit_module, "_refit", failing)
    fitted = clv.fit_clv(cdnow_tx, clv.FitSettings("auto", "week", CAL_END, OBS_END))
    ranked = fitted.comparison.sort_values("holdout_mae")["model"].tolist()
    assert ranked[0] == fitted.recommended == "pareto"
    assert fitted.settings.model == fitted.model.model == ranked[1]
    assert fitted.notes[0] == (
        "Auto skipped Pareto/NBD: The Pareto/NBD model is not identifiable from these data."
    )
    assert "could not be fitted" in takeaways.model_words(fitted)


def test_the_bgnbd_note_counts_the_one_time_buyers_it_calls_alive(cdnow_fit):
    from cvm_core.analyses.clv import takeaways

    note = takeaways.one_time_buyers_note(cdnow_fit)
    once = int((cdnow_fit.summary["frequency"] == 0).sum())
    assert once == 1218
    assert "calls all 1,218 one-time buyers (52% of customers)" in note
    # BG/NBD's P(alive) is exactly 1 for every one of them (the note's claim).
    values = clv_values.customer_values(cdnow_fit, clv_values.ValueSettings(margin=0.3))
    assert (values.customers.loc[cdnow_fit.summary["frequency"] == 0, "p_alive"] == 1.0).all()
