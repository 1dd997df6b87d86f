"""Every analysis by name: what it is, what it needs, and where its code lives.

The command line, the report (deck and workbook), workspaces and the Scorecard loop over
:data:`ANALYSES` instead of naming each analysis. Entries hold dotted module paths, not modules:
reading the registry imports nothing heavy, so ``python -m cvm_core --help`` stays fast and a
command imports only the analysis it runs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis: its name, the page that shows it, and its command-line entry.

    Attributes
    ----------
    name : str
        Stable key, used in workspaces and session state.
    title : str
        The page title a user sees.
    command : str
        The ``python -m cvm_core`` command that runs it.
    help : str
        One paragraph for ``--help``: what the command prints.
    command_module : str
        Dotted path of the CLI module (``add_arguments(parser)``, ``run(args) -> dict``).
    needs_transactions : bool
        False when a customer summary file (``summarize``) is enough.
    """

    name: str
    title: str
    command: str
    help: str
    command_module: str
    needs_transactions: bool = True

    def load_command(self) -> ModuleType:
        return importlib.import_module(self.command_module)


ANALYSES: tuple[AnalysisSpec, ...] = (
    AnalysisSpec(
        name="segments",
        title="Segments",
        command="segments",
        help="Customer segments: RFM segment sizes and shares of revenue, k-means cluster "
        "profiles and the category pairs most often bought together.",
        command_module="cvm_core.cli.segments",
    ),
    AnalysisSpec(
        name="profitability",
        title="Profitability Whale Curve",
        command="whale",
        help="Customer P&L with activity-based cost-to-serve: total profit, whale-curve peak, "
        "break-even point, share of unprofitable customers and cost-to-serve by activity.",
        command_module="cvm_core.cli.whale",
    ),
    AnalysisSpec(
        name="clv",
        title="Customer Lifetime Value",
        command="clv",
        help="Fit BG/NBD, Pareto/NBD or MBG/NBD with Gamma-Gamma spend on a calibration period, "
        "check them on the holdout, and print parameters, holdout errors, CLV and value-tier "
        "counts.",
        command_module="cvm_core.cli.clv",
        needs_transactions=False,
    ),
    AnalysisSpec(
        name="retention",
        title="Retention",
        command="retention",
        help="Retention: cohort retention matrix, churn rate by period, median customer lifetime "
        "and the sizes of the at-risk and win-back lists.",
        command_module="cvm_core.cli.retention",
    ),
    AnalysisSpec(
        name="scorecard",
        title="Scorecard",
        command="scorecard",
        help="Customer management scorecard (Kaplan-Norton): every measure for a quarter or "
        "month, the previous period, the change, and the status against targets given with "
        "--target.",
        command_module="cvm_core.cli.scorecard",
    ),
)


def get(name: str) -> AnalysisSpec:
    """The analysis called ``name``; KeyError names the ones that exist."""
    for spec in ANALYSES:
        if spec.name == name:
            return spec
    raise KeyError(f"No analysis '{name}'; there are: {', '.join(s.name for s in ANALYSES)}.")
