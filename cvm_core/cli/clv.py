"""`clv`: fit the lifetime-value models, validate them on a holdout and value every customer."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from cvm_core.analyses.clv import acquisition, constants
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import holdout as clv_holdout
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.intervals import intervals_of
from cvm_core.analyses.clv.value_matrix import expected_losers
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.retention import active
from cvm_core.cli.inputs import add_engine_arguments, inputs_from_args
from cvm_core.errors import CvmError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)
    parser.add_argument(
        "--model",
        choices=list(constants.MODEL_CHOICES),
        default=constants.DEFAULT_CHOICE,
        help="auto (default): the model the comparison recommends (lowest holdout error per "
        "customer; without a holdout, the highest likelihood).",
    )
    parser.add_argument(
        "--calibration-end",
        default="auto",
        help="Last day of the calibration period (YYYY-MM-DD); 'auto' keeps the last third of the "
        "period as holdout, 'none' fits on everything without holdout.",
    )
    parser.add_argument("--horizon-months", type=int, default=clv_values.DEFAULT_HORIZON_MONTHS)
    parser.add_argument(
        "--margin",
        type=float,
        help="Margin in percent of revenue (default: from the cost column when mapped, else "
        f"{clv_values.DEFAULT_MARGIN * 100:.0f}%%).",  # %% : argparse %-formats help
    )
    parser.add_argument(
        "--discount-rate",
        type=float,
        default=clv_values.DEFAULT_DISCOUNT_RATE * 100,
        help="Annual discount rate in percent.",
    )
    parser.add_argument(
        "--gross-margin-only",
        action="store_true",
        help="Value customers by future gross margin alone (default: future margin minus future "
        "cost-to-serve at the default activity rates).",
    )
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="Fit only the chosen model (faster); with --model auto the models are always "
        "compared, as Auto chooses by the comparison.",
    )
    parser.add_argument(
        "--no-ranges",
        action="store_true",
        help="Leave out the 80%% and 95%% CLV ranges per tier (faster: they simulate every "
        "customer's purchases many times over).",
    )


def _calibration_end(text: str, inputs: AnalysisInputs) -> pd.Timestamp | None:
    if text.lower() == "none":
        return None
    if text.lower() == "auto":
        start = inputs.transaction_source.first_date() if inputs.has_transactions else pd.NaT
        return clv_holdout.default_calibration_end(start, inputs.observation_end)
    try:
        return pd.Timestamp(text)
    except ValueError as error:
        raise CvmError(
            f"--calibration-end takes a date like 1997-09-30, 'auto' or 'none'; got '{text}'."
        ) from error


def run(args: argparse.Namespace) -> dict:
    name, inputs = inputs_from_args(args)
    fit_settings = clv.FitSettings(
        model=args.model,
        calibration_end=_calibration_end(args.calibration_end, inputs),
        compare=not args.no_compare,
    )
    margin = None if args.margin is None else args.margin / 100  # None: as the page defaults
    value_settings = clv_values.ValueSettings(
        args.horizon_months,
        args.discount_rate / 100,
        margin,
        net_of_cost_to_serve=not args.gross_margin_only,
    )
    result = clv_run.run(inputs, clv_run.CLVSettings(fit_settings, value_settings))
    report = {"engine": args.engine, **_report(name, result.fit, result.values)}
    new = acquisition.acquisition_view(
        result.values.customers["clv"], inputs.summary["first_purchase"], inputs.customers,
        inputs.observation_end,
    ) if inputs.has_transactions else None  # fmt: skip
    if new is not None:
        report["new_customers_vs_acquisition_cost"] = _records(new)
    if not args.no_ranges:
        ranges = intervals_of(result.fit, result.values).groups  # the CLV page's ranges
        report["clv_ranges"] = {row.pop("group"): row for row in _records(ranges)}
    matrix = result.value_matrix()
    if matrix is not None:
        report["value_matrix"] = {
            row.quadrant: {
                "customers": int(row.customers),
                "profit_to_date": _number(row.profit_to_date, 2),
                "future_value": _number(row.future_value, 2),
            }
            for row in matrix.table.itertuples()
        }
    if inputs.has_transactions:  # the Retention page's default rule, as every page counts
        rule = active.default_rule(inputs.transaction_source, inputs.observation_end)
        report["active_customers"] = _active(
            active.active_customers(inputs.summary, rule, inputs.observation_end)
        )
    return report


def _active(counts: active.ActiveCustomers) -> dict:
    return {
        "share": _number(counts.share, 4),
        "active": counts.active,
        "churned": counts.churned,
        "too_new_to_tell": counts.too_new,
        "rule": counts.rule_words(),
    }


def _number(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with numbers rounded (NaN as None), for JSON."""
    return [
        {k: _number(v, 4) if isinstance(v, float) else v for k, v in row.items()}
        for row in frame.astype(object).to_dict(orient="records")
    ]


def _params(series: pd.Series) -> dict:
    return {name: _number(value) for name, value in series.items()}


def _report(name: str, fit: clv.CLVFit, values: clv_values.CLVValues) -> dict:
    settings = fit.settings
    calibration = fit.calibration_model
    result = {
        "dataset": name,
        "model": constants.MODELS[settings.model],
        "model_choice": "auto" if fit.auto else settings.model,
        "unit": settings.unit,
        "calibration_end": None
        if settings.calibration_end is None
        else f"{settings.calibration_end:%Y-%m-%d}",
        "observation_end": f"{settings.observation_end:%Y-%m-%d}",
        "parameters": _params(calibration.params_),
        "log_likelihood": _number(calibration.log_likelihood_, 3),
        "penalizer": calibration.penalizer_coef_,
        "customers": calibration.n_customers_,
        "spend_parameters": _params(fit.calibration_spend.params_),
        "spend_customers_excluded": fit.calibration_spend.excluded_,
    }
    if fit.holdout is not None:
        check = fit.holdout
        result["holdout"] = {
            "periods": _number(check.periods, 3),
            "actual_purchases": check.actual,
            "predicted_purchases": _number(check.predicted, 2),
            "total_pct_error": _number(check.pct_error * 100, 2),
            "mae_per_customer": _number(check.mae, 4),
            "rmse_per_customer": _number(check.rmse, 4),
            "by_calibration_frequency": _records(check.by_frequency),
            "baselines": _records(check.baselines),
            "model_beats_baselines": check.beats_baselines(),
            "deciles": _records(check.deciles),
        }
        result["prediction_parameters"] = _params(fit.model.params_)
    result["comparison"] = {
        row.name: {
            "log_likelihood": _number(row.log_likelihood, 3),
            "holdout_pct_error": _number(row.holdout_pct_error * 100, 2),
            "holdout_mae": _number(row.holdout_mae, 4),
            "recommended": bool(row.recommended),
            **({"error": row.error} if row.error else {}),
        }
        for row in fit.comparison.itertuples()
    }
    result["recommended"] = constants.MODELS[fit.recommended]
    result["clv"] = {
        "horizon_months": values.settings.horizon_months,
        "discount_rate_pct": values.settings.discount_rate * 100,
        "margin": values.margin_basis,
        "cost_to_serve": values.cost_basis,
        "future_margin": _number(values.future_margin, 2),
        "future_cost_to_serve": _number(values.future_cost_to_serve, 2),
        "total": _number(values.total_clv, 2),
        "customers_expected_to_lose_money": expected_losers(values.customers["clv"]),
        "mean_per_customer": _number(values.total_clv / max(len(values.customers), 1), 2),
        "mean_p_alive": _number(values.mean_p_alive, 4),
    }
    result["tiers"] = {row.tier: int(row.customers) for row in values.tiers.itertuples()}
    result["notes"] = list(fit.notes)
    return result
