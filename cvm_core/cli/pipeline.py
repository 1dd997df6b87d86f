"""`pipeline`: weighted pipeline, coverage, funnel and forecast accuracy by sales rep.

FILE is the sales workbook with an opportunities sheet (and optionally the opportunity history),
or a CRM opportunities export on its own (its sheets: current opportunities, snapshots).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.pipeline import stages
from cvm_core.analyses.pipeline.analysis import NO_PIPELINE, PipelineResult, PipelineSettings
from cvm_core.analyses.pipeline.run import run as run_pipeline
from cvm_core.cli.inputs import load_from_args
from cvm_core.errors import CvmError
from cvm_core.intake.amounts import guess_currency
from cvm_core.intake.dataset import DEFAULT_CURRENCY, empty_transactions
from cvm_core.intake.io import read_workbook
from cvm_core.intake.opportunities import (
    OPPORTUNITY_ROLES,
    find_pipeline_sheets,
    guess_roles,
    read_pipeline,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probabilities",
        choices=list(stages.SOURCES),
        default=stages.AUTO,
        help="Stage probabilities from the file, learned from history (share of opportunities "
        "that reached a stage and were won), or auto (the file's where it has any).",
    )
    parser.add_argument(
        "--stage-probability",
        action="append",
        default=[],
        metavar="STAGE=P",
        help="Use this probability (0-1 or a percentage) for a stage; may be repeated.",
    )
    parser.add_argument(
        "--target",
        type=float,
        default=0.0,
        help="Target for the coverage period (default: what was won in the previous period).",
    )
    parser.add_argument(
        "--horizon-months", type=int, default=3, help="Coverage period after the as-of date."
    )
    parser.add_argument(
        "--bias-tolerance",
        type=float,
        default=0.15,
        help="A rep is optimistic above 1 + this bias (forecast / won), pessimistic below 1 - it.",
    )
    parser.add_argument("--currency", help="Currency of the amounts (default: from the file).")


def _stage_probabilities(items: list[str]) -> tuple[tuple[str, float], ...]:
    out = []
    for item in items:
        stage, _, text = item.rpartition("=")
        try:
            value = float(text.rstrip("%"))
        except ValueError:
            value = math.nan
        value = value / 100 if value > 1 or text.endswith("%") else value
        if not stage or not 0 <= value <= 1:
            raise CvmError(f"--stage-probability takes STAGE=P with P from 0 to 1; got '{item}'.")
        out.append((stage, value))
    return tuple(out)


def load_inputs(args: argparse.Namespace) -> tuple[str, AnalysisInputs]:
    """The inputs: a sales workbook's dataset, or an opportunities export on its own."""
    if not args.file.exists():
        raise CvmError(f"No such file: {args.file}")
    workbook = read_workbook(args.file.read_bytes(), args.file.name)
    sheets = find_pipeline_sheets(workbook)
    if sheets[0] is None:
        raise CvmError(NO_PIPELINE)
    if len({s for s in sheets if s}) < len(workbook.tables):
        dataset = load_from_args(args)
        inputs = AnalysisInputs.of(dataset, args.unit, args.observation_end)
        if args.currency:
            inputs = inputs.__class__(**{**inputs.__dict__, "currency": args.currency})
        return dataset.name, inputs
    tables = read_pipeline(workbook, *sheets)
    frame = workbook.tables[sheets[0]].frame
    amount = guess_roles(frame, OPPORTUNITY_ROLES).get("amount")
    guess = guess_currency(frame[amount], str(amount)) if amount else None
    currency = args.currency or (guess.code if guess else DEFAULT_CURRENCY)
    end = pd.Timestamp(args.observation_end) if args.observation_end else pd.Timestamp.now()
    inputs = AnalysisInputs(
        empty_transactions(), pd.DataFrame(), end, args.unit, currency=currency,
        opportunities=tables,
    )  # fmt: skip
    return args.file.name, inputs


def run(args: argparse.Namespace) -> dict:
    name, inputs = load_inputs(args)
    settings = PipelineSettings(
        probability_source=args.probabilities,
        stage_probabilities=_stage_probabilities(args.stage_probability),
        target=args.target,
        horizon_months=args.horizon_months,
        bias_tolerance=args.bias_tolerance,
        as_of=pd.Timestamp(args.observation_end) if args.observation_end else None,
    )
    result = run_pipeline(inputs, settings)
    return {"dataset": name, **summary(result)}


def _num(value: object, digits: int = 2) -> float | None:
    """A number rounded for print; None (JSON null) for an empty cell."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, int | np.integer):  # counts stay whole numbers
        return int(value)
    number = float(value)
    return round(number, digits) if math.isfinite(number) else None


def _records(frame: pd.DataFrame, key: str) -> list[dict]:
    return [
        {key: row[key], **{c: _num(row[c]) for c in frame.columns if c != key}}
        for row in frame.to_dict("records")
    ]


def summary(result: PipelineResult) -> dict:
    """The result as plain numbers: what the page shows, for JSON and the report."""
    cover = result.coverage
    funnel = result.funnel.set_index("stage")
    stage_rows = [
        {
            "stage": stage,
            "probability_file": _num(row["file"], 4),
            "probability_learned": _num(row["learned"], 4),
            "probability_used": _num(row["used"], 4),
            "reached": int(funnel.loc[stage, "reached"]),
            "conversion": _num(funnel.loc[stage, "conversion"], 4),
            "median_days_in_stage": _num(funnel.loc[stage, "median_days"], 1),
        }
        for stage, row in result.stages.iterrows()
    ]
    reps = result.reps if result.reps is not None else pd.DataFrame()
    won = result.won
    return {
        "as_of": result.as_of.strftime("%Y-%m-%d"),
        "currency": result.currency,
        "probabilities": result.source_label,
        "open_opportunities": len(result.pipeline),
        "open_pipeline": _num(result.pipeline["amount"].sum()),
        "weighted_pipeline": _num(result.weighted_total),
        "stages": stage_rows,
        "by_close_month": _records(result.by("close_month"), "close_month"),
        "by_rep": _records(result.by("owner"), "owner"),
        "coverage": {
            "period": f"{cover.start:%Y-%m-%d} to {cover.end:%Y-%m-%d}",
            "target": _num(cover.target),
            "target_source": cover.target_source,
            "pipeline": _num(cover.pipeline),
            "weighted": _num(cover.weighted),
            "coverage": _num(cover.ratio, 3),
            "weighted_coverage": _num(cover.weighted_ratio, 3),
        },
        "forecast_accuracy": {
            "message": result.history_message,
            "team": {k: (v if isinstance(v, str) else _num(v, 4)) for k, v in result.team.items()},
            "reps": [
                {
                    "owner": row["owner"],
                    "verdict": row["verdict"],
                    **{
                        c: _num(row[c], 4)
                        for c in ("months", "forecast", "won", "bias", "accuracy", "over_share")
                    },
                }
                for row in reps.to_dict("records")
            ],
        },
        "won_deals": int(len(won)),
        "won_deals_with_customer_in_transactions": int(won["in_transactions"].sum()),
        "rows_left_out": int(len(result.rejected)),
        "notes": list(result.notes),
    }
