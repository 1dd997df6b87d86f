"""`prospects`: what the top value tier has in common (checked out of sample), and, with
--prospects, a lead list scored and sorted for the sales team."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.prospects import run as prospects
from cvm_core.analyses.prospects.scoring import SCORED, read_leads, summary_sentence
from cvm_core.cli.inputs import load_from_args
from cvm_core.errors import CvmError
from cvm_core.outputs.export import csv_bytes, xlsx_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prospects",
        type=Path,
        metavar="LEADS_FILE",
        help="A lead list (CSV or spreadsheet; any columns): each lead is scored by the customers "
        "who share its acquisition channel, region and industry.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="Write the scored lead list here (.csv or .xlsx; formula-safe).",
    )
    parser.add_argument(
        "--top-tiers",
        type=int,
        default=1,
        help="How many value tiers count as valuable (1: the top tier; default %(default)s).",
    )
    parser.add_argument(
        "--max-depth", type=int, default=3, help="Conditions per rule (default %(default)s)."
    )


def run(args: argparse.Namespace) -> dict:
    dataset = load_from_args(args)
    inputs = AnalysisInputs.of(dataset, args.unit, args.observation_end)
    settings = prospects.ProspectSettings.from_dict(
        {"top_tiers": args.top_tiers, "max_depth": args.max_depth}, "options"
    )
    result = prospects.run(inputs, settings)
    traits = result.traits
    report = {
        "dataset": dataset.name,
        "valuable_means": traits.target,
        "valuable_share": _number(traits.base_rate),
        "notes": list(result.notes),
        "held_out_customers": traits.n_test,
        "auc": _number(traits.auc),
        "top_decile_lift": _number(traits.top_decile_lift),
        "traits": traits.sentences(),
        "attribute_importance": {k: _number(v) for k, v in traits.importance.items()},
        "attributes": _records(traits.attributes.head(15)),
        "lift_by_decile": _records(traits.lift),
    }
    if args.prospects is not None:
        report["prospects"] = _score(args, result, dataset.currency)
    return report


def _score(args: argparse.Namespace, result: prospects.ProspectsResult, currency: str) -> dict:
    if not args.prospects.exists():
        raise CvmError(f"No such file: {args.prospects}")
    leads = read_leads(args.prospects.read_bytes(), args.prospects.name, result.lead_attributes)
    scored = result.score(leads)
    if args.output is not None:
        write_scored(scored, args.output)
    return {
        "file": args.prospects.name,
        "mapped_columns": leads.mapping,
        "summary": summary_sentence(scored, currency),
        "scored": int((scored["note"] == SCORED).sum()),
        "flagged": int((scored["note"] != SCORED).sum()),
        "currency": currency,
        "leads": _records(scored),
        **({"written_to": str(args.output)} if args.output is not None else {}),
    }


def write_scored(scored: pd.DataFrame, path: Path) -> None:
    """The scored list as CSV or Excel, formula-safe."""
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(xlsx_bytes({"Scored leads": scored}))
    elif path.suffix.lower() == ".csv":
        path.write_bytes(csv_bytes(scored))
    else:
        raise CvmError(f"--output takes a .csv or .xlsx file name; got '{path.name}'.")


def _number(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {str(k): _number(v, 4) if isinstance(v, float) else v for k, v in row.items()}
        for row in frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    ]
