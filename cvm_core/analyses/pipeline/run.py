"""The pipeline analysis as every caller runs it: ``run(inputs, PipelineSettings) ->
PipelineResult`` (the page, the command line's ``pipeline`` and the Scorecard's leading
indicators). It reads the dataset's optional opportunities; the transactions only to put won
deals beside their customers' purchases."""

from __future__ import annotations

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.pipeline.analysis import PipelineResult, PipelineSettings, analyse_pipeline


def run(
    inputs: AnalysisInputs,
    settings: PipelineSettings = PipelineSettings(),  # noqa: B008 - frozen, safe as a default
) -> PipelineResult:
    """Weighted pipeline, coverage, funnel and forecast accuracy by rep."""
    return analyse_pipeline(
        inputs.opportunities, settings, inputs.transactions, inputs.currency, inputs.clv
    )
