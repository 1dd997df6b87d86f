"""`customer`: one customer's 360-degree view (history, P&L, value, segment, status) as JSON."""

from __future__ import annotations

import argparse

from cvm_core.analyses.customer_view import CustomerView, customer_view
from cvm_core.cli.report import add_workspace_arguments, dataset_and_settings
from cvm_core.outputs.report import Report, build_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument("--id", required=True, dest="customer", help="The customer's id.")


def view_of(result: Report, customer_id: str) -> CustomerView:
    """The customer's view from the report's results (the deck's and the workbook's numbers)."""
    dataset, clv = result.dataset, result.clv_result
    matrix = clv.value_matrix() if clv is not None else None
    retention = result.retention
    end = retention.observation_end if retention is not None else dataset.observation_end
    return customer_view(
        customer_id, dataset.transactions, result.summary, end,
        customers=dataset.customers,
        pnl=result.whale.result if result.whale is not None else None,
        clv=result.clv,
        quadrants=matrix.customers["quadrant"] if matrix is not None else None,
        segments=result.segments,
        rule=retention.active.rule if retention is not None else None,
    )  # fmt: skip


def run(args: argparse.Namespace) -> dict:
    dataset, settings = dataset_and_settings(args)
    result = build_report(dataset, settings)
    view = view_of(result, args.customer)
    return {"currency": result.currency, "story": view.story(result.currency), **view.to_dict()}
