"""`scorecard`: the customer management scorecard for one period, with the other pages' models run
at their default settings, and the same scorecard read top down ("hierarchy": goals, process
measures, leading indicators)."""

from __future__ import annotations

import argparse

from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.analyses.scorecard import hierarchy, inputs, presenting, specs
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.cli.inputs import add_engine_arguments, inputs_from_args
from cvm_core.errors import CvmError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_engine_arguments(parser)
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


_UNITS = {**{k: m.unit for k, m in specs.SPECS.items()}, **{
    n.key: n.unit for n in hierarchy.NODES if n.key in hierarchy.CHAIN_KEYS}}  # fmt: skip
"""Every measure a target can be set for: the scorecard's and its chain's own."""


def _pairs(items: list[str], flag: str) -> tuple[tuple[str, float], ...]:
    out = []
    for item in items:
        key, _, text = item.partition("=")
        known = _UNITS if flag == "--target" else specs.SPECS
        if key not in known or not text:
            raise CvmError(
                f"{flag} takes MEASURE=VALUE with a measure among {', '.join(known)}; got '{item}'."
            )
        value = presenting.parse_value(text, _UNITS[key])
        if value is not None:
            out.append((key, value))
    return tuple(out)


def run(args: argparse.Namespace) -> dict:
    name, analysis_inputs = inputs_from_args(args)
    # The other analyses at their defaults; a model the data cannot support is left out.
    models, notes = scorecard_defaults.complete_models(analysis_inputs)
    settings = inputs.ScorecardSettings(
        frequency=args.period_length,
        period=args.period,
        targets=_pairs(args.target, "--target"),
        typed=_pairs(args.value, "--value"),
    )
    result = scorecard_run.run(analysis_inputs, settings, models)
    out = {"dataset": name, "engine": args.engine, **presenting.as_dict(result)}
    chain = scorecard_defaults.default_chain(analysis_inputs, result, settings, models)
    out["hierarchy"] = [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in chain.to_dict("records")
    ]
    out["notes"] = list(notes) + out["notes"]
    return out
