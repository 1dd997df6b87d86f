"""The retention analysis as every caller runs it: ``run(inputs, RetentionSettings) ->
RetentionResult`` (the page, the command line's ``retention``, the report and the Scorecard's
default annual retention). It reads the CLV and segments results from the inputs where they ran."""

from __future__ import annotations

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.retention.analysis import (
    RetentionResult,
    RetentionSettings,
    analyse_retention,
)


def run(
    inputs: AnalysisInputs,
    settings: RetentionSettings = RetentionSettings(),  # noqa: B008 - frozen, safe as a default
) -> RetentionResult:
    """Cohorts, churn by period, survival, tenure profit, at-risk and win-back lists."""
    return analyse_retention(
        inputs.transaction_source, inputs.summary, settings, inputs.customers, inputs.clv,
        inputs.observation_end, inputs.segments,
    )  # fmt: skip
