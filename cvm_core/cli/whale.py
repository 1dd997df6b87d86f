"""`whale`: customer profitability after cost-to-serve, and the whale curve's key points."""

from __future__ import annotations

import argparse
from pathlib import Path

from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.cli.inputs import add_engine_arguments, inputs_from_args
from cvm_core.errors import CvmError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)
    parser.add_argument(
        "--activities",
        type=Path,
        help="Activity table (CSV or spreadsheet: Activity, Cost driver, Cost per driver unit, "
        "optionally Minutes per driver unit and Cost per minute). Default: the built-in rates.",
    )
    parser.add_argument(
        "--small-order",
        type=float,
        default=profitability_activities.SMALL_ORDER_THRESHOLD,
        help="Orders below this gross value count as small orders (default %(default)s).",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=profitability_activities.DEFAULT_GROSS_MARGIN * 100,
        help="Gross margin %% for the cost of goods when the file has no cost column "
        "(default %(default)s).",
    )


def _percent(share: float | None) -> float | None:
    """A share as a percentage number (1.612 -> 161.2); None when undefined (total profit <= 0)."""
    return None if share is None else round(float(share) * 100, 2)


def run(args: argparse.Namespace) -> dict:
    name, inputs = inputs_from_args(args)
    activities = None
    if args.activities:
        if not args.activities.exists():
            raise CvmError(f"No such activity file: {args.activities}")
        activities = profitability_activities.read_activity_table(
            args.activities.read_bytes(), args.activities.name
        )
    settings = profitability_activities.CostModelSettings(args.small_order, args.margin / 100)
    rows = None if activities is None else CostModel.from_table(activities, settings).activities
    analysis = profitability_run.run(inputs, CostModel(rows, settings))
    s = analysis.curve.summary
    result = analysis.result
    totals = result.reconciliation()
    return {
        "dataset": name,
        "engine": args.engine,
        "currency": inputs.currency,
        "customers": s.customers,
        "cost_of_goods_from": result.cogs_source,
        "total_profit": round(s.total_profit, 2),
        "peak_pct": _percent(s.peak_pct),
        "customers_at_peak_pct": _percent(s.peak_share),
        "break_even_pct": _percent(s.break_even_share),
        "unprofitable_pct": _percent(s.unprofitable_share),
        "unprofitable_customers": s.unprofitable,
        "top_20_profit_pct": _percent(s.top_profit_pct),
        "profit_lost_in_tail": round(s.tail_loss, 2),
        "totals": {k: round(v, 2) for k, v in totals.items()},
        "cost_to_serve_by_activity": {
            row.activity: round(float(row.cost), 2)
            for row in result.activities.itertuples(index=False)
        },
        "explanation": s.explanation(inputs.currency),
        "notes": list(result.notes),
    }
