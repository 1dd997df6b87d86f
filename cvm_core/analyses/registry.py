"""Every analysis by name: its one ``run`` function, the Settings classes a workspace stores for
it, and its command-line entry.

The command line builds its command table from :data:`ANALYSES`, and the workspace format its
``analyses.<name>.<part>`` sections (:data:`cvm_core.outputs.workspace_settings.PARTS`). Each
``run`` takes :class:`cvm_core.analyses.inputs.AnalysisInputs` and its settings and returns its
result; the pages, the command line, the report and the Scorecard's defaults call it and nothing
else. Entries hold dotted paths ("module:name"), not objects: reading the registry imports
nothing heavy, so ``python -m cvm_core --help`` stays fast and a command imports only what it
runs; :func:`resolve` imports one when it is needed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


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
    run : str
        "module:function" of ``run(inputs, settings) -> result``.
    settings : tuple of (part, "module:Class")
        The Settings classes a workspace stores for this analysis, under
        ``analyses.<name>.<part>``.
    """

    name: str
    command: str
    help: str
    command_module: str
    run: str
    settings: tuple[tuple[str, str], ...]


def resolve(path: str) -> Any:
    """The object a "module:name" path names (imports the module)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


ANALYSES: tuple[AnalysisSpec, ...] = (
    AnalysisSpec(
        name="segments",
        command="segments",
        help="Customer segments: RFM segment sizes and shares of revenue, k-means cluster "
        "profiles and the category pairs most often bought together.",
        command_module="cvm_core.cli.segments",
        run="cvm_core.analyses.segments.run:run",
        settings=(("settings", "cvm_core.analyses.segments.analysis:SegmentSettings"),),
    ),
    AnalysisSpec(
        name="profitability",
        command="whale",
        help="Customer P&L with activity-based cost-to-serve: total profit, whale-curve peak, "
        "break-even point, share of unprofitable customers and cost-to-serve by activity.",
        command_module="cvm_core.cli.whale",
        run="cvm_core.analyses.profitability.run:run",
        settings=(
            ("cost_model", "cvm_core.analyses.profitability.activities:CostModelSettings"),
            ("what_if", "cvm_core.analyses.profitability.whatif_settings:WhaleScenario"),
        ),
    ),
    AnalysisSpec(
        name="clv",
        command="clv",
        help="Fit BG/NBD, Pareto/NBD or MBG/NBD with Gamma-Gamma spend on a calibration period, "
        "check them on the holdout, and print parameters, holdout errors, CLV and value-tier "
        "counts.",
        command_module="cvm_core.cli.clv",
        run="cvm_core.analyses.clv.run:run",
        settings=(
            ("fit", "cvm_core.analyses.clv.fit:FitSettings"),
            ("value", "cvm_core.analyses.clv.values:ValueSettings"),
        ),
    ),
    AnalysisSpec(
        name="prospects",
        command="prospects",
        help="Traits of valuable customers: the attributes and first purchases that set the top "
        "value tier apart (a shallow tree, AUC and top-decile lift on held-out customers, as "
        "sentences); with --prospects LEADS_FILE, every lead's expected tier, first-year and "
        "lifetime value with a range, sorted for the sales team.",
        command_module="cvm_core.cli.prospects",
        run="cvm_core.analyses.prospects.run:run",
        settings=(("settings", "cvm_core.analyses.prospects.settings:ProspectSettings"),),
    ),
    AnalysisSpec(
        name="retention",
        command="retention",
        help="Retention: cohort retention matrix, churn rate by period, median customer lifetime "
        "and the sizes of the at-risk and win-back lists.",
        command_module="cvm_core.cli.retention",
        run="cvm_core.analyses.retention.run:run",
        settings=(
            ("rule", "cvm_core.analyses.retention.gaps:ChurnRule"),
            ("lists", "cvm_core.analyses.retention.lists:ListSettings"),
            ("settings", "cvm_core.analyses.retention.analysis:RetentionSettings"),
        ),
    ),
    AnalysisSpec(
        name="scorecard",
        command="scorecard",
        help="Customer management scorecard (Kaplan-Norton): every measure for a quarter or "
        "month, the previous period, the change, and the status against targets given with "
        "--target.",
        command_module="cvm_core.cli.scorecard",
        run="cvm_core.analyses.scorecard.run:run",
        settings=(("settings", "cvm_core.analyses.scorecard.inputs:ScorecardSettings"),),
    ),
    AnalysisSpec(
        name="pipeline",
        command="pipeline",
        help="Sales pipeline from an opportunities sheet (or a CRM export on its own): weighted "
        "pipeline by close month, stage and rep, coverage of a target, the funnel, and from "
        "the opportunity history each rep's forecast against what they won (bias, accuracy).",
        command_module="cvm_core.cli.pipeline",
        run="cvm_core.analyses.pipeline.run:run",
        settings=(("settings", "cvm_core.analyses.pipeline.analysis:PipelineSettings"),),
    ),
)
