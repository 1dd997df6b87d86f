"""Every analysis by name, with its command-line entry.

Today the command line builds its command table from :data:`ANALYSES`; the report, workbook and
workspace are meant to loop over it too once every analysis has a ``run(dataset, settings)``
(issue 12). Entries hold dotted module paths, not modules: reading the registry imports nothing
heavy, so ``python -m cvm_core --help`` stays fast and a command imports only what it runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis and its command-line entry.

    Attributes
    ----------
    name : str
        Stable key of the analysis.
    command : str
        The ``python -m cvm_core`` command that runs it.
    help : str
        One paragraph for ``--help``: what the command prints.
    command_module : str
        Dotted path of the CLI module (``add_arguments(parser)``, ``run(args) -> dict``).
    """

    name: str
    command: str
    help: str
    command_module: str


ANALYSES: tuple[AnalysisSpec, ...] = (
    AnalysisSpec(
        name="segments",
        command="segments",
        help="Customer segments: RFM segment sizes and shares of revenue, k-means cluster "
        "profiles and the category pairs most often bought together.",
        command_module="cvm_core.cli.segments",
    ),
    AnalysisSpec(
        name="profitability",
        command="whale",
        help="Customer P&L with activity-based cost-to-serve: total profit, whale-curve peak, "
        "break-even point, share of unprofitable customers and cost-to-serve by activity.",
        command_module="cvm_core.cli.whale",
    ),
    AnalysisSpec(
        name="clv",
        command="clv",
        help="Fit BG/NBD, Pareto/NBD or MBG/NBD with Gamma-Gamma spend on a calibration period, "
        "check them on the holdout, and print parameters, holdout errors, CLV and value-tier "
        "counts.",
        command_module="cvm_core.cli.clv",
    ),
    AnalysisSpec(
        name="retention",
        command="retention",
        help="Retention: cohort retention matrix, churn rate by period, median customer lifetime "
        "and the sizes of the at-risk and win-back lists.",
        command_module="cvm_core.cli.retention",
    ),
    AnalysisSpec(
        name="scorecard",
        command="scorecard",
        help="Customer management scorecard (Kaplan-Norton): every measure for a quarter or "
        "month, the previous period, the change, and the status against targets given with "
        "--target.",
        command_module="cvm_core.cli.scorecard",
    ),
)
