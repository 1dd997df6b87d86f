"""`report`: the workshop deck and the results workbook, built without the browser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from cvm_core.analyses import assumptions
from cvm_core.analyses.scorecard import presenting
from cvm_core.cli.inputs import load_from_args
from cvm_core.errors import CvmError
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import deck, growth, report, storyline, workbook, workspace

WORKSPACE_SUFFIXES = (".json", ".zip")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument("--deck", type=Path, help="Write the PowerPoint deck here (.pptx).")
    parser.add_argument("--workbook", type=Path, help="Write the Excel workbook here (.xlsx).")
    parser.add_argument("--client", default="", help="Client name for the title slide.")


def _workspace(path: Path | None) -> workspace.Workspace | None:
    if path is None:
        return None
    if not path.exists():
        raise CvmError(f"No such workspace file: {path}")
    return workspace.load_workspace(path.read_bytes())


def _file_as_workspace(args: argparse.Namespace) -> workspace.Workspace | None:
    """FILE may itself be a workspace saved with its data (.json / .zip)."""
    if args.file.suffix.lower() not in WORKSPACE_SUFFIXES or not args.file.exists():
        return None
    own = workspace.load_workspace(args.file.read_bytes())
    if own.dataset is None:
        raise CvmError(
            f"{args.file.name} is a workspace without data: give the sales file as FILE and this "
            "workspace with --workspace."
        )
    return own


def _dataset(args: argparse.Namespace, saved: workspace.Workspace | None) -> Dataset:
    """Read FILE with the workspace's column mapping unless --map is given."""
    if saved is not None and saved.mapping is not None and saved.mapping.roles and not args.map:
        args.map = [f"{role}={column}" for role, column in saved.mapping.roles.items()]
    return load_from_args(args)


def _check_outputs(args: argparse.Namespace) -> None:
    for path, suffix in ((args.deck, ".pptx"), (args.workbook, ".xlsx")):
        if path is not None and path.suffix.lower() != suffix:
            raise CvmError(f"{path} should end in {suffix}.")
        if path is not None and not path.parent.exists():
            raise CvmError(f"The folder {path.parent} does not exist: create it or choose another.")


def _settings(args: argparse.Namespace, saved: workspace.Workspace | None) -> report.ReportSettings:
    """Workspace settings, with the command line's --unit, --observation-end and --currency on top.

    --unit overrides the workspace only when given with a value other than its default (week).
    """
    unit = args.unit if saved is None or args.unit != "week" else None
    end = pd.Timestamp(args.observation_end) if args.observation_end else None
    return report.ReportSettings.from_workspace(
        saved.settings if saved else {}, unit=unit, observation_end=end, currency=args.currency
    )


def _write_deck(args: argparse.Namespace, dataset: Dataset, result: report.Report) -> dict:
    """The default storyline, as the app's deck builds it before the user unticks slides."""
    slides = storyline.build_story(result)
    data = deck.build_deck(args.client, dataset.name, slides, progress=_progress_line)
    args.deck.write_bytes(data)
    return {
        "path": str(args.deck),
        "slides": 1 + len(slides),
        "titles": [s.title for s in slides],
        "charts": [s.title for s in slides if s.is_picture],
    }


def _progress_line(done: int, total: int, what: str) -> None:
    """Which slide is being drawn, on stderr (stdout carries the JSON)."""
    if done < total:
        print(f"deck: slide {done + 1} of {total}: {what}", file=sys.stderr, flush=True)


def _write_workbook(args: argparse.Namespace, dataset: Dataset, result: report.Report) -> str:
    numbers = None
    if result.scorecard is not None:
        numbers = presenting.scorecard_table(result.scorecard, formatted=False)
    customers = dataset.customers
    names = (
        customers["customer_name"]
        if customers is not None and "customer_name" in customers
        else None
    )
    data = workbook.build_workbook(
        dataset.name, result.summary, segments=result.segments, clv=result.clv, pnl=result.pnl,
        retention=result.retention, scorecard=numbers, names=names, currency=result.currency,
        assumed=assumptions.about_lines(result.assumptions), extra=growth.growth_sheets(result),
    )  # fmt: skip
    args.workbook.write_bytes(data)
    return str(args.workbook)


def dataset_and_settings(args: argparse.Namespace) -> tuple[Dataset, report.ReportSettings]:
    """FILE (or the workspace it is) read with the workspace's mapping, and the settings to run
    every analysis with (shared with the ``customer`` command)."""
    own = _file_as_workspace(args)
    saved = _workspace(args.workspace) or own
    dataset = own.dataset if own is not None else _dataset(args, saved)
    return dataset, _settings(args, saved)


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", type=Path,
        help="A workspace saved in the app: its column mapping (unless --map is given) and settings "
        "(activity rates, margins, CLV horizon and tiers, targets) are used.",
    )  # fmt: skip
    parser.add_argument("--currency", help="Currency code shown beside money (default: detected).")


def run(args: argparse.Namespace) -> dict:
    _check_outputs(args)
    dataset, settings = dataset_and_settings(args)
    result = report.build_report(dataset, settings)
    out: dict = {"dataset": dataset.name, "currency": result.currency}
    if args.deck is not None:
        out["deck"] = _write_deck(args, dataset, result)
    if args.workbook is not None:
        out["workbook"] = _write_workbook(args, dataset, result)
    out["scorecard"] = (
        presenting.as_dict(result.scorecard) if result.scorecard is not None else None
    )
    out["notes"] = list(result.notes)
    return out
