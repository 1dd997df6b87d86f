"""`acquisition`: the value of a new customer by source (acquisition channel, region ...): CLV
against acquisition cost, payback months, the range of each source's CLV, and a what-if moving
budget between sources."""

from __future__ import annotations

import argparse

import numpy as np

from cvm_core.analyses.clv import acquisition_value
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.cli.inputs import load_from_args
from cvm_core.errors import CvmError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        default="acquisition_channel",
        help="Customer-table column naming the source (default %(default)s; e.g. region).",
    )
    parser.add_argument(
        "--move",
        nargs=3,
        metavar=("FROM", "TO", "AMOUNT"),
        help="What if AMOUNT of acquisition budget moved from source FROM to source TO.",
    )


def run(args: argparse.Namespace) -> dict:
    dataset = load_from_args(args)
    inputs = AnalysisInputs.of(dataset, args.unit, args.observation_end)
    result = clv_run.run(inputs, clv_run.CLVSettings(fit=clv_run.default_fit_settings(inputs)))
    value = acquisition_value.value_by_source(
        result.fit, result.values, dataset.customers, inputs.observation_end, args.by
    )
    if value is None:
        raise CvmError(
            "No new customer has an acquisition cost: map an 'Acquisition cost' column in the "
            "customer table (customers whose first purchase is within the last year count as new)."
        )
    settings = result.values.settings
    report = {
        "dataset": dataset.name,
        "currency": dataset.currency,
        "source_column": args.by,
        "clv": {
            "horizon_months": settings.horizon_months,
            "discount_rate_pct": settings.discount_rate * 100,
            "cost_to_serve": result.values.cost_basis,
        },
        "takeaway": acquisition_value.source_takeaway(value, dataset.currency),
        "sources": [_row(row) for row in value.table.to_dict(orient="records")],
    }
    if args.move:
        source, target, amount = args.move
        try:
            money = float(amount)
        except ValueError as error:
            raise CvmError(f"--move takes FROM TO AMOUNT; '{amount}' is not an amount.") from error
        move = acquisition_value.move_budget(value, source, target, money)
        report["budget_move"] = {
            "from": source, "to": target, "amount": money,
            "customers_lost": round(move.customers_lost, 1),
            "customers_won": round(move.customers_won, 1),
            "value_change": round(move.value_change, 2),
            "better_chance": _number(move.better_chance),
            "sentence": move.sentence(dataset.currency),
        }  # fmt: skip
    return report


def _row(row: dict) -> dict:
    return {k: _number(v) if isinstance(v, float) else v for k, v in row.items()}


def _number(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
