"""Everything the exports need, computed from the core without the browser.

The command line (``python -m cvm_core report``) builds the whole deck and workbook here; the app's
"Download deck" uses :func:`key_chart_slides` to add the charts that open every client
conversation (revenue by month, the whale curve) when the user has not opened those pages yet, so
a deck made right after loading data is not empty.

Settings come from a saved workspace (:mod:`cvm_core.outputs.workspace`) by their stable names; see
:func:`ReportSettings.from_workspace` for which ones are read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cvm_core.analyses.clv import constants
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.slides import pyramid_slide
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.overview.slides import MONTHLY_TITLE, monthly_slide
from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.profitability.activities import CostModelSettings
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.analyses.profitability.slides import WHALE_TITLE, whale_slide
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention.slides import churn_period_slide
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.analyses.scorecard import inputs as scorecard_inputs
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.errors import CvmError
from cvm_core.intake.dataset import Dataset
from cvm_core.intake.summary import monthly_activity
from cvm_core.outputs import workspace_settings
from cvm_core.slides import ChartSlide

DEFAULT_RATES_WHALE_TITLE = f"{WHALE_TITLE} (default cost-to-serve rates)"
"""The whale curve the app's deck adds when the Whale Curve page was not opened."""


def opening_rank(title: str) -> int:
    """0 for revenue by month, 1 for the whale curve, 2 for any other chart (deck order)."""
    title = title.lower()
    if title == MONTHLY_TITLE.lower():
        return 0
    return 1 if title in (WHALE_TITLE.lower(), DEFAULT_RATES_WHALE_TITLE.lower()) else 2


def overview_slide(dataset: Dataset, currency: str) -> ChartSlide:
    """Net revenue and active customers by month (the Upload page's chart)."""
    return monthly_slide(monthly_activity(dataset.transactions), currency)


def key_chart_slides(
    dataset: Dataset, unit: str, observation_end: pd.Timestamp | None, currency: str,
    skip_titles: frozenset[str] = frozenset(),
) -> list[ChartSlide]:  # fmt: skip
    """The monthly overview and the whale curve (default cost model), unless already in the deck.

    ``skip_titles`` are titles of charts the user has already viewed (lower case): those slides
    come from the pages, with the user's own settings.
    """
    slides = []
    if MONTHLY_TITLE.lower() not in skip_titles:
        slides.append(overview_slide(dataset, currency))
    if WHALE_TITLE.lower() not in skip_titles:
        inputs = AnalysisInputs.of(dataset, unit, observation_end)
        analysis = profitability_run.run(dataclasses.replace(inputs, currency=currency))
        slide = whale_slide(analysis, currency)
        slides.append(ChartSlide(DEFAULT_RATES_WHALE_TITLE, slide.takeaway, slide.chart))
    return slides


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
    value: clv_values.ValueSettings = field(default_factory=clv_values.ValueSettings)
    scorecard: scorecard_inputs.ScorecardSettings = field(
        default_factory=scorecard_inputs.ScorecardSettings
    )

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
    values = _clv(inputs, settings, notes)
    if values is not None:
        charts.append(pyramid_slide(values.tiers))
    say("retention")
    clv_frame = values.customers if values is not None else None
    retention = _retention(inputs.with_results(clv=clv_frame), notes)
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
    return Report(
        inputs.summary, rfm, clv_frame, pnl, retention, card, charts, currency, tuple(notes)
    )


def _clv(inputs: AnalysisInputs, settings: ReportSettings, notes: list[str]):
    try:
        return clv_run.run(inputs, settings.clv_settings(inputs)).values
    except CvmError as error:
        notes.append(f"CLV left out: {error}")
        return None


def _retention(inputs: AnalysisInputs, notes: list[str]):
    try:
        return retention_run.run(inputs)
    except CvmError as error:
        notes.append(f"Retention left out: {error}")
        return None


def _scorecard(inputs, settings: ReportSettings, models, notes: list[str]):
    # Every model the scorecard reads ran above, with the report's settings: nothing to default.
    try:
        return scorecard_run.run(inputs, settings.scorecard, models)
    except CvmError as error:
        notes.append(f"Scorecard left out: {error}")
        return None
