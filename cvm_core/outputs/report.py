"""Everything the exports need, computed from the core without the browser.

Every analysis run once with one set of settings: the command line (``python -m cvm_core
report``) and the app's deck dialog both build a :class:`Report` here and tell its story
(:mod:`cvm_core.outputs.storyline`), so the two decks carry the same slides and sentences.

Settings come from a saved workspace (:mod:`cvm_core.outputs.workspace`) by their stable names; see
:func:`ReportSettings.from_workspace` for which ones are read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cvm_core.analyses import assumptions
from cvm_core.analyses.assumptions import Assumption
from cvm_core.analyses.clv import constants
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.slides import pyramid_slide
from cvm_core.analyses.inputs import AnalysisInputs, dataset_source, on_file
from cvm_core.analyses.overview.slides import monthly_slide
from cvm_core.analyses.pipeline import run as pipeline_run
from cvm_core.analyses.pipeline.analysis import PipelineSettings
from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.profitability.activities import CostModelSettings
from cvm_core.analyses.profitability.analysis import WhaleAnalysis
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.analyses.profitability.slides import whale_slide
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention.active import default_rule
from cvm_core.analyses.retention.analysis import RetentionSettings
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.analyses.retention.slides import churn_period_slide
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.analyses.scorecard import hierarchy
from cvm_core.analyses.scorecard import inputs as scorecard_inputs
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.analyses.sources import TransactionSource
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Message, error_message
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import workspace_settings
from cvm_core.slides import ChartSlide


def overview_slide(dataset: Dataset, currency: str) -> ChartSlide:
    """Net revenue and active customers by month (the Upload page's chart)."""
    return monthly_slide(dataset_source(dataset).monthly_activity(), currency)


# --- settings from a workspace -----------------------------------------------------------------


@dataclass(frozen=True)
class ReportSettings:
    """The settings the report uses; defaults are the pages' defaults."""

    unit: str = "week"
    observation_end: pd.Timestamp | None = None
    currency: str | None = None
    activities: pd.DataFrame | None = field(default=None, compare=False)
    small_order_threshold: float = profitability_activities.SMALL_ORDER_THRESHOLD
    gross_margin: float = profitability_activities.DEFAULT_GROSS_MARGIN
    clv_model: str = constants.DEFAULT_CHOICE
    value: clv_values.ValueSettings = field(
        default_factory=lambda: clv_values.ValueSettings(
            margin=None
        )  # each customer's own, as the page
    )
    scorecard: scorecard_inputs.ScorecardSettings = field(
        default_factory=scorecard_inputs.ScorecardSettings
    )
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)

    @classmethod
    def from_workspace(cls, settings: Mapping[str, Any], **overrides) -> ReportSettings:
        """From a workspace's checked settings (:mod:`cvm_core.outputs.workspace_settings` reads
        them); ``overrides`` that are not None (the command line's options) win."""
        read = workspace_settings.analysis_settings(settings)
        activities = settings.get(workspace_settings.ACTIVITY_TABLE)
        values = dict(
            unit=read.view.unit,
            observation_end=read.view.observation_end,
            currency=read.view.currency or None,
            activities=profitability_activities.activity_table(activities)
            if isinstance(activities, pd.DataFrame)
            else None,
            small_order_threshold=read.cost_model.small_order_threshold,
            gross_margin=read.cost_model.gross_margin,
            clv_model=read.clv_fit.model,
            value=read.clv_value,
            scorecard=read.scorecard,
            retention=read.retention,
            pipeline=read.pipeline,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def cost_model(self) -> CostModel:
        """The profitability analysis's settings (None activities: the default rates)."""
        cost = CostModelSettings(self.small_order_threshold, self.gross_margin)
        if self.activities is None:
            return CostModel(None, cost)
        return CostModel.from_table(self.activities, cost)

    def clv_settings(self, inputs: AnalysisInputs) -> clv_run.CLVSettings:
        """The CLV analysis's settings: the chosen model (default Auto) fitted as the page fits
        it, with its holdout, so Auto picks the model the page picks."""
        return clv_run.CLVSettings(clv_run.default_fit_settings(inputs, self.clv_model), self.value)


# --- the whole report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Results for the deck and the workbook."""

    summary: pd.DataFrame
    segments: pd.DataFrame | None
    clv: pd.DataFrame | None
    pnl: pd.DataFrame | None
    retention: Any
    scorecard: scorecard_inputs.Scorecard | None
    charts: list[ChartSlide]
    currency: str
    notes: tuple[str, ...] = ()
    whale: WhaleAnalysis | None = None
    clv_result: clv_run.CLVResult | None = None
    cost_model: CostModel | None = None
    dataset: Dataset | None = None
    assumptions: tuple[Assumption, ...] = ()
    pipeline: Any = None
    chain: pd.DataFrame | None = None
    """The scorecard read top down (:func:`cvm_core.analyses.scorecard.hierarchy.build_hierarchy`)."""


def build_report(
    dataset: Dataset,
    settings: ReportSettings = ReportSettings(),  # noqa: B008 - frozen, safe as a default
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run every analysis with ``settings`` (segments, P&L, CLV, retention, scorecard) and make
    the chart slides. An analysis the data cannot support is left out with a note.
    """
    say = progress or (lambda _: None)
    currency = settings.currency or dataset.currency
    inputs = dataclasses.replace(
        AnalysisInputs.of(dataset, settings.unit, settings.observation_end), currency=currency
    )
    notes: list[str] = []
    charts = [overview_slide(dataset, currency)]
    say("segments")
    rfm = scorecard_defaults.default_segments(inputs).to_frame()
    say("customer P&L and whale curve")
    analysis = profitability_run.run(inputs, settings.cost_model())
    pnl = profitability_run.shared_pnl(analysis)
    charts.append(whale_slide(analysis, currency))
    say("customer lifetime value")
    clv_result = _clv(inputs, settings, notes)
    values = clv_result.values if clv_result is not None else None
    if values is not None:
        charts.append(pyramid_slide(values.tiers))
    say("retention")
    clv_frame = values.customers if values is not None else None
    retention = _retention(inputs.with_results(clv=clv_frame), settings.retention, notes)
    if retention is not None and not retention.churn_by_period.empty:
        period = retention.settings.period
        charts.append(churn_period_slide(retention.churn_by_period, period))
    say("scorecard")
    models = scorecard_inputs.ModelInputs(
        pnl=pnl,
        clv=clv_frame,
        segments=rfm["rfm_segment"],
        annual_retention=retention.annual_retention if retention is not None else None,
        active_share=retention.active.share if retention is not None else None,
        sources=(("pnl", "report settings"), ("clv", "report settings")),
    )
    card = _scorecard(inputs, settings, models, notes)
    say("sales pipeline")
    pipeline = _pipeline(inputs, settings.pipeline, notes)
    chain = None
    if card is not None:
        at_risk = retention.at_risk if retention is not None else None
        told = {"clv": "report settings", "pipeline": "Sales Pipeline"}
        extra = hierarchy.indicators(card, clv_frame, at_risk, pipeline, told)
        chain = hierarchy.build_hierarchy(card, settings.scorecard, extra)
    return Report(
        inputs.summary, rfm, clv_frame, pnl, retention, card, charts, currency, tuple(notes),
        analysis, clv_result, settings.cost_model(), dataset,
        report_assumptions(dataset, settings, inputs.summary, retention, analysis),
        pipeline=pipeline, chain=chain,
    )  # fmt: skip


def _rule_chosen(
    rule: ChurnRule | None, transactions: pd.DataFrame | TransactionSource, end: pd.Timestamp
) -> bool:
    """A stored rule counts as chosen only when it differs from the data's default one (the
    page stores its window even when nobody moved it)."""
    return rule is not None and rule != default_rule(transactions, end)


def report_assumptions(
    dataset: Dataset,
    settings: ReportSettings,
    summary: pd.DataFrame,
    retention,
    analysis: WhaleAnalysis | None = None,
) -> tuple[Assumption, ...]:
    """What the report's figures assume that the file did not give (see
    :mod:`cvm_core.analyses.assumptions`)."""
    return assumptions.for_inputs(
        summary,
        gross_margin=settings.gross_margin,
        activities=settings.activities,
        currency=settings.currency or dataset.currency,
        dataset_currency=dataset.currency,
        currency_source=dataset.currency_source,
        rule_words=retention.active.rule_words() if retention is not None else None,
        rule_chosen=_rule_chosen(
            settings.retention.rule,
            on_file(dataset) or dataset.transactions,
            retention.observation_end if retention is not None else dataset.observation_end,
        ),
        assumed_channel_rates=analysis.result.assumed_channel_rates if analysis else None,
    )


def _clv(inputs: AnalysisInputs, settings: ReportSettings, notes: list[str]):
    try:
        return clv_run.run(inputs, settings.clv_settings(inputs))
    except CvmError as error:
        notes.append(Message(N_("CLV left out: {reason}"), reason=error_message(error)))
        return None


def _retention(inputs: AnalysisInputs, settings: RetentionSettings, notes: list[str]):
    try:
        return retention_run.run(inputs, settings)
    except CvmError as error:
        notes.append(Message(N_("Retention left out: {reason}"), reason=error_message(error)))
        return None


def _pipeline(inputs: AnalysisInputs, settings: PipelineSettings, notes: list[str]):
    """The sales pipeline, where the dataset has opportunities (else None)."""
    if inputs.opportunities is None:
        return None
    try:
        return pipeline_run.run(inputs, settings)
    except CvmError as error:
        notes.append(Message(N_("Sales pipeline left out: {reason}"), reason=error_message(error)))
        return None


def _scorecard(inputs, settings: ReportSettings, models, notes: list[str]):
    # Every model the scorecard reads ran above, with the report's settings: nothing to default.
    try:
        return scorecard_run.run(inputs, settings.scorecard, models)
    except CvmError as error:
        notes.append(Message(N_("Scorecard left out: {reason}"), reason=error_message(error)))
        return None
