"""`scorecard`: the customer management scorecard for one period, with the other pages' models run
at their default settings."""

from __future__ import annotations

import argparse

import pandas as pd

from cvm_core.analyses.scorecard import build, inputs, presenting, specs
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.cli.inputs import load_from_args
from cvm_core.errors import CvmError
from cvm_core.intake.summary import customer_summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--period-length",
        choices=list(specs.FREQUENCIES),
        default=specs.DEFAULT_FREQUENCY,
        help="Q (quarters, default) or M (months).",
    )
    parser.add_argument(
        "--period",
        help="Period to report, e.g. 'Q4 2024' or 'Dec 2024' (default: latest complete).",
    )
    for flag, what in (("--target", "a target"), ("--value", "a typed-in value")):
        parser.add_argument(
            flag,
            action="append",
            default=[],
            metavar="MEASURE=VALUE",
            help=f"Set {what} for a measure, e.g. retention_rate=65%% or revenue_per_customer=700. "
            f"Measures: {', '.join(specs.SPECS)}.",
        )


def _pairs(items: list[str], flag: str) -> tuple[tuple[str, float], ...]:
    out = []
    for item in items:
        key, _, text = item.partition("=")
        if key not in specs.SPECS or not text:
            raise CvmError(
                f"{flag} takes MEASURE=VALUE with a measure among {', '.join(specs.SPECS)}; "
                f"got '{item}'."
            )
        value = presenting.parse_value(text, specs.SPECS[key].unit)
        if value is not None:
            out.append((key, value))
    return tuple(out)


def _models(dataset, summary: pd.DataFrame, unit: str, end) -> tuple[inputs.ModelInputs, list]:
    """The other pages' models at their defaults; a model the data cannot support is left out."""
    tx = dataset.transactions[dataset.transactions["date"] <= end]
    notes, sources = [], []
    pnl = scorecard_defaults.default_pnl(summary, tx, dataset.cost_to_serve, end)
    sources.append(("pnl", scorecard_defaults.DEFAULT_SOURCE))
    try:
        clv = scorecard_defaults.default_clv(tx, summary, unit, end)
        sources.append(("clv", scorecard_defaults.DEFAULT_SOURCE))
    except CvmError as error:
        clv = None
        notes.append(f"CLV measures left out: {error}")
    segments = scorecard_defaults.default_segments(summary, end)
    annual = scorecard_defaults.default_retention(tx, summary, dataset.customers, end)
    sources += [
        ("segments", scorecard_defaults.DEFAULT_SOURCE),
        ("retention", scorecard_defaults.DEFAULT_SOURCE),
    ]
    return inputs.ModelInputs(pnl, clv, segments, annual, tuple(sources)), notes


def run(args: argparse.Namespace) -> dict:
    dataset = load_from_args(args)
    end = pd.Timestamp(args.observation_end or dataset.observation_end)
    summary = customer_summary(dataset.transactions, args.unit, end)
    models, notes = _models(dataset, summary, args.unit, end)
    settings = inputs.ScorecardSettings(
        frequency=args.period_length,
        period=args.period,
        targets=_pairs(args.target, "--target"),
        typed=_pairs(args.value, "--value"),
    )
    result = build.build_scorecard(
        dataset.transactions, summary, dataset.customers, models, settings,
        observation_end=end, currency=dataset.currency,
    )  # fmt: skip
    out = {"dataset": dataset.name, **presenting.as_dict(result)}
    out["notes"] = notes + out["notes"]
    return out
