"""Command-line commands: one per analysis in the registry, plus the data and report commands.

:data:`COMMANDS` maps each command to its one-line help and its module. Modules are imported only
when their command runs (see ``cvm_core.__main__``): ``clv`` never loads scikit-learn or
python-pptx, and ``--help`` loads nothing heavy at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from cvm_core.analyses.registry import ANALYSES


@dataclass(frozen=True)
class Command:
    help: str
    module: str


COMMANDS: dict[str, Command] = {
    "summary": Command(
        "Read a sales file and print dataset statistics and validation counts.",
        "cvm_core.cli.summary",
    ),
    "summarize": Command(
        "Write the customer summary (one row per customer: frequency, recency, T, revenue, ...) "
        "to a Parquet file the app's Upload page accepts. --engine duckdb reads Parquet/CSV "
        "larger than memory; --engine spark runs on Apache Spark; pandas (default) reads any "
        "spreadsheet.",
        "cvm_core.cli.summarize",
    ),
    **{spec.command: Command(spec.help, spec.command_module) for spec in ANALYSES},
    "acquisition": Command(
        "The value of a new customer by source (--by acquisition_channel, region ...): CLV "
        "against acquisition cost, payback months, each source's CLV range and the chance it "
        "pays back, and --move FROM TO AMOUNT to move acquisition budget between sources.",
        "cvm_core.cli.acquisition",
    ),
    "customer": Command(
        "One customer's 360-degree view: purchases by month, P&L with cost-to-serve by activity, "
        "CLV, P(alive), value-matrix cell, segment and active/churned status, as the report "
        "computes them (--id ID).",
        "cvm_core.cli.customer",
    ),
    "report": Command(
        "Run every analysis (segments, customer P&L and whale curve, CLV, retention, scorecard) "
        "and write the PowerPoint deck and the Excel workbook; prints the scorecard.",
        "cvm_core.cli.report",
    ),
}
