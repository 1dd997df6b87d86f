"""The scorecard as every caller runs it: ``run(inputs, ScorecardSettings, models, scenarios) ->
Scorecard`` (the page, the command line's ``scorecard``, the report and the exports).

``models`` are the other analyses' results the measures use (complete them with
:func:`cvm_core.analyses.scorecard.defaults.complete_models`); ``scenarios`` the what-ifs set on
other pages, projected on the scorecard.
"""

from __future__ import annotations

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.scorecard.build import build_scorecard
from cvm_core.analyses.scorecard.inputs import ModelInputs, Scenarios, Scorecard, ScorecardSettings


def run(
    inputs: AnalysisInputs,
    settings: ScorecardSettings = ScorecardSettings(),  # noqa: B008 - frozen, safe as defaults
    models: ModelInputs = ModelInputs(),  # noqa: B008
    scenarios: Scenarios = Scenarios(),  # noqa: B008
) -> Scorecard:
    """Every measure for the chosen period, the previous one, trends and status against targets."""
    return build_scorecard(
        inputs.transaction_source, inputs.summary, inputs.customers, models, settings, scenarios,
        inputs.observation_end, inputs.currency,
    )  # fmt: skip
