"""The other analyses' results with their default settings, for when the user has not opened
their pages: one place that completes the Scorecard's :class:`ModelInputs`, used by the page, the
command line, the report and the exports alike."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pandas as pd

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.scorecard.inputs import ModelInputs
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Message, error_message

if TYPE_CHECKING:  # imported where run: the retention analysis only when it is needed
    from cvm_core.analyses.retention.analysis import RetentionResult

DEFAULT_SOURCE = N_("default settings")


def default_pnl(inputs: AnalysisInputs) -> pd.DataFrame:
    """The customer P&L with the default activity rates (what the Whale Curve page starts from)."""
    from cvm_core.analyses.profitability import run as profitability

    return profitability.shared_pnl(profitability.run(inputs))


def default_clv(inputs: AnalysisInputs) -> pd.DataFrame:
    """CLV and tiers with the CLV page's default model and settings (Auto with its holdout).

    Raises
    ------
    CvmError
        When the data cannot support a CLV model (too few customers or repeat buyers).
    """
    from cvm_core.analyses.clv import run as clv_run

    settings = clv_run.CLVSettings(fit=clv_run.default_fit_settings(inputs))
    return clv_run.run(inputs, settings).values.customers[["p_alive", "clv", "tier"]]


def default_segments(inputs: AnalysisInputs) -> pd.Series:
    """RFM segment per customer with the Segments page's default grid (RFM alone: the clusters
    and baskets of the full analysis are not needed here)."""
    from cvm_core.analyses.segments import rfm as segments

    return segments.rfm_scores(inputs.summary, inputs.observation_end).table["rfm_segment"]


def default_retention_result(inputs: AnalysisInputs) -> RetentionResult:
    """The retention analysis with the Retention page's default settings, measured to the
    observation end (not to the last transaction before it, which may be days earlier).

    The inputs' CLV, where given, ranks the at-risk list. The default churn rule is inactivity,
    so annual retention and the active share are the same with or without it: one run serves
    both the scorecard's figures and the chain's at-risk list.
    """
    from cvm_core.analyses.retention import run as retention

    return retention.run(dataclasses.replace(inputs, segments=None))


def default_retention(inputs: AnalysisInputs) -> tuple[float | None, float | None]:
    """Annual retention and the active share of :func:`default_retention_result`."""
    result = default_retention_result(dataclasses.replace(inputs, clv=None))
    return result.annual_retention, result.active.share


def default_chain(inputs: AnalysisInputs, card, settings, models: ModelInputs) -> pd.DataFrame:
    """The scorecard read top down (:mod:`cvm_core.analyses.scorecard.hierarchy`) with the
    at-risk list and the sales pipeline at their defaults (the pipeline where the dataset has
    opportunities), for callers without pages (the command line)."""
    from cvm_core.analyses.pipeline import run as pipeline_run
    from cvm_core.analyses.scorecard import hierarchy

    try:
        at_risk = default_retention_result(dataclasses.replace(inputs, clv=models.clv)).at_risk
    except CvmError:
        at_risk = None
    pipeline = None
    if inputs.opportunities is not None:
        try:
            pipeline = pipeline_run.run(inputs)
        except CvmError:
            pipeline = None
    sources = {"clv": dict(models.sources).get("clv", DEFAULT_SOURCE), "pipeline": "Sales Pipeline"}
    extra = hierarchy.indicators(card, models.clv, at_risk, pipeline, sources)
    return hierarchy.build_hierarchy(card, settings, extra)


def complete_models(
    inputs: AnalysisInputs,
    known: ModelInputs = ModelInputs(),  # noqa: B008 - frozen
) -> tuple[ModelInputs, tuple[str, ...]]:
    """``known`` with every missing result computed at its defaults, and the notes to show.

    A result given in ``known`` keeps its source; a default one is marked
    :data:`DEFAULT_SOURCE`. A CLV or retention model the data cannot support is left out with a
    note.
    """
    sources = dict(known.sources)
    notes: list[str] = []
    pnl, clv, segments = known.pnl, known.clv, known.segments
    annual, active = known.annual_retention, known.active_share
    if pnl is None:
        pnl, sources["pnl"] = default_pnl(inputs), DEFAULT_SOURCE
    if clv is None:
        try:
            clv, sources["clv"] = default_clv(inputs), DEFAULT_SOURCE
        except CvmError as error:
            notes.append(
                Message(N_("CLV measures left out: {reason}"), reason=error_message(error))
            )
    if segments is None:
        segments, sources["segments"] = default_segments(inputs), DEFAULT_SOURCE
    if annual is None and active is None:
        try:
            (annual, active), sources["retention"] = default_retention(inputs), DEFAULT_SOURCE
        except CvmError as error:
            notes.append(
                Message(
                    N_("Annual retention and active customers left out: {reason}"),
                    reason=error_message(error),
                )
            )
    models = ModelInputs(pnl, clv, segments, annual, tuple(sources.items()), active)
    return models, tuple(notes)
