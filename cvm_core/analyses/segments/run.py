"""The segments analysis as every caller runs it: ``run(inputs, SegmentSettings) -> SegmentAnalysis``
(the page, the command line's ``segments``, the report and the Scorecard's default segments)."""

from __future__ import annotations

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.segments.analysis import SegmentAnalysis, SegmentSettings, analyse_segments


def run(
    inputs: AnalysisInputs,
    settings: SegmentSettings = SegmentSettings(),  # noqa: B008 - frozen, safe as a default
) -> SegmentAnalysis:
    """RFM segments, clusters, contribution by segment and cross-sell affinity."""
    return analyse_segments(
        inputs.summary, inputs.transaction_source, inputs.customers, inputs.cost_to_serve, settings,
        inputs.observation_end,
    )  # fmt: skip
