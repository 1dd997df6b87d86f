"""`retention`: cohort retention matrix, churn rate by period, median lifetime and list sizes."""

from __future__ import annotations

import argparse
import math

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.retention import analysis
from cvm_core.analyses.retention import gaps as retention_gaps
from cvm_core.analyses.retention import lists as retention_lists
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention.cohorts import DEFAULT_PERIOD, PERIODS
from cvm_core.cli.inputs import add_engine_arguments, inputs_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)
    parser.add_argument(
        "--period", choices=list(PERIODS), default=DEFAULT_PERIOD, help="Cohort period."
    )
    parser.add_argument(
        "--churn-days",
        type=int,
        help="Churned after this many days without a purchase (default: the 90th percentile of "
        "the gaps between a customer's purchases).",
    )
    parser.add_argument(
        "--top-share",
        type=float,
        default=retention_lists.DEFAULT_TOP_SHARE,
        help="Valuable customers: this top share by net revenue (default 0.2).",
    )
    parser.add_argument(
        "--overdue-factor",
        type=float,
        default=retention_lists.DEFAULT_OVERDUE_FACTOR,
        help="At risk when days since the last purchase exceed this multiple of the usual gap.",
    )


def _share(value: float) -> float | None:
    """A share rounded for print; None (JSON null) for an empty cell."""
    return round(float(value), 4) if value is not None and math.isfinite(value) else None


def run(args: argparse.Namespace) -> dict:
    name, inputs = inputs_from_args(args)
    end = inputs.observation_end
    gaps = inputs.transaction_source.gap_profile(end)
    window = args.churn_days or gaps.suggested_window_days
    settings = analysis.RetentionSettings(
        period=args.period,
        rule=retention_gaps.ChurnRule(window),
        grouping=None,
        lists=retention_lists.ListSettings(
            top_share=args.top_share, overdue_factor=args.overdue_factor
        ),
    )
    result = retention_run.run(inputs, settings)
    return {
        "dataset": name,
        "engine": args.engine,
        "observation_end": end.strftime("%Y-%m-%d"),
        "churn_rule": result.settings.rule.describe(),
        "churn_window_days": window,
        "suggested_churn_window_days": gaps.suggested_window_days,
        "customers": result.counts,
        "churned_share": _share(result.churned_share) if result.churned_share is not None else None,
        "annual_retention": _share(result.annual_retention)
        if result.annual_retention is not None
        else None,
        "median_lifetime_days": result.median_lifetime_days,
        "one_time_share": _share(result.lifetimes.one_time_share),
        "repeat_buyer_median_lifetime_days": result.lifetimes.repeat_median_days,
        "lifetimes": result.lifetimes.sentence(),
        "median_lifetime": "not reached"
        if result.median_lifetime_days is None
        else formatting.counted(result.median_lifetime_days, "day"),
        "cohorts": _cohorts(result),
        "churn_by_period": [
            {
                "period": row.period,
                "customers_at_start": int(row.customers_at_start),
                "churned": int(row.churned),
                "churn_rate": _share(row.churn_rate),
            }
            for row in result.churn_by_period.itertuples()
        ],
        "at_risk_customers": len(result.at_risk),
        "win_back_customers": len(result.win_back),
    }


def _cohorts(result: analysis.RetentionResult) -> dict:
    if result.cohorts is None:
        return {"message": result.cohort_message}
    tables = result.cohorts
    matrix: pd.DataFrame = tables.customer_retention
    return {
        "period": tables.period,
        "sizes": {label: int(size) for label, size in tables.sizes.items()},
        "customer_retention": {
            label: [_share(v) for v in row]
            for label, row in zip(matrix.index, matrix.to_numpy(), strict=True)
        },
    }
