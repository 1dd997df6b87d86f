"""`summary`: dataset statistics and validation counts."""

from __future__ import annotations

import argparse

from cvm_core.analyses.sources import FrameSource
from cvm_core.cli.inputs import load_from_args
from cvm_core.intake.summary import customer_summary, dataset_overview


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options beyond the shared input ones."""


def run(args: argparse.Namespace) -> dict:
    dataset = load_from_args(args)
    summary = customer_summary(dataset.transactions, args.unit)
    validation = dataset.validation
    return {
        "dataset": dataset.name,
        "currency": dataset.currency,
        "mapping": dataset.mapping.roles,
        "overview": dataset_overview(FrameSource(dataset.transactions), summary).as_dict(),
        "validation": {
            "rows_read": validation.rows_read,
            "rows_kept": len(dataset.transactions),
            "rows_rejected": len(validation.rejected),
            "rejected_by_reason": {k: int(v) for k, v in validation.reason_counts().items()},
        },
        "notes": list(dataset.notes),
    }
