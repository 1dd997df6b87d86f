"""Everything the exports need, computed from the core without the browser.

The command line (``python -m cvm_core report``) builds the whole deck and workbook here; the app's
"Download deck" uses :func:`key_chart_slides` to add the charts that open every client
conversation (revenue by month, the whale curve) when the user has not opened those pages yet, so
a deck made right after loading data is not empty.

Settings come from a saved workspace (:mod:`cvm_core.outputs.workspace`) by their stable names; see
:func:`ReportSettings.from_workspace` for which ones are read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cvm_core.analyses.clv import constants
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.slides import pyramid_slide
from cvm_core.analyses.clv.tiers import DEFAULT_TIER_NAMES
from cvm_core.analyses.overview.slides import MONTHLY_TITLE, monthly_slide
from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import analysis as profitability_analysis
from cvm_core.analyses.profitability.slides import WHALE_TITLE, whale_slide
from cvm_core.analyses.retention import analysis as retention_analysis
from cvm_core.analyses.retention.slides import churn_period_slide
from cvm_core.analyses.scorecard import build, inputs, specs
from cvm_core.analyses.segments import rfm as segments
from cvm_core.errors import CvmError
from cvm_core.intake.dataset import Dataset
from cvm_core.intake.summary import customer_summary, monthly_activity
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
        summary = customer_summary(dataset.transactions, unit, observation_end)
        analysis = profitability_analysis.analyse(
            summary, dataset.transactions, None, dataset.cost_to_serve,
            observation_end=observation_end, currency=currency,
        )  # fmt: skip
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
    clv_model: str = constants.DEFAULT_MODEL
    value: clv_values.ValueSettings = field(default_factory=clv_values.ValueSettings)
    scorecard: inputs.ScorecardSettings = field(default_factory=inputs.ScorecardSettings)

    @classmethod
    def from_workspace(cls, settings: Mapping[str, Any], **overrides) -> ReportSettings:
        """Read: cvm.unit, cvm.observation_end, cvm.currency, whale.base (activity table),
        whale.threshold, whale.margin (%), clv.model, clv.horizon, clv.discount (%), clv.margin
        (%), clv.margin_source, clv.tier.<name> (% of customers), and the Scorecard page's
        cvm.scorecard.frequency, cvm.scorecard.period.<frequency>, cvm.scorecard.targets and
        cvm.scorecard.typed (measure key -> value), cvm.scorecard.watch_band (%). Anything else
        is ignored."""
        get = settings.get
        end = get("cvm.observation_end")
        activities = get("whale.base")
        values = dict(
            unit=get("cvm.unit", "week"),
            observation_end=pd.Timestamp(end) if end else None,
            currency=get("cvm.currency") or None,
            activities=profitability_activities.activity_table(activities) if isinstance(activities, pd.DataFrame) else None,
            small_order_threshold=float(get("whale.threshold", profitability_activities.SMALL_ORDER_THRESHOLD)),
            gross_margin=float(get("whale.margin", profitability_activities.DEFAULT_GROSS_MARGIN * 100)) / 100,
            clv_model=get("clv.model", constants.DEFAULT_MODEL),
            value=_value_settings(settings),
            scorecard=_scorecard_settings(settings),
        )  # fmt: skip
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _value_settings(settings: Mapping[str, Any]) -> clv_values.ValueSettings:
    get = settings.get
    # As on the CLV page: each customer's own margin unless a percentage was chosen (or the data
    # has no cost column, where the page only offers the percentage; see _clv).
    source = get("clv.margin_source")
    margin: float | None = None
    if source == "Percent of revenue" or (source is None and "clv.margin" in settings):
        margin = float(get("clv.margin", clv_values.DEFAULT_MARGIN * 100)) / 100
    sizes = [get(f"clv.tier.{name}") for name in DEFAULT_TIER_NAMES[:-1]]
    cutoffs = clv_values.ValueSettings().tier_cutoffs
    if all(isinstance(s, int | float) for s in sizes):
        cutoffs = tuple(round(sum(sizes[: i + 1]) / 100.0, 6) for i in range(len(sizes)))
    return clv_values.ValueSettings(
        int(get("clv.horizon", clv_values.DEFAULT_HORIZON_MONTHS)),
        float(get("clv.discount", clv_values.DEFAULT_DISCOUNT_RATE * 100)) / 100,
        margin,
        cutoffs,
        DEFAULT_TIER_NAMES,
    )


SCORECARD_KEY = "cvm.scorecard"  # the Scorecard page's settings prefix (ui/scorecard.py)


def _scorecard_settings(settings: Mapping[str, Any]) -> inputs.ScorecardSettings:
    frequency = settings.get(f"{SCORECARD_KEY}.frequency") or specs.DEFAULT_FREQUENCY
    band = settings.get(f"{SCORECARD_KEY}.watch_band")
    return inputs.ScorecardSettings(
        frequency=frequency,
        period=settings.get(f"{SCORECARD_KEY}.period.{frequency}"),
        targets=_measure_values(settings.get(f"{SCORECARD_KEY}.targets")),
        typed=_measure_values(settings.get(f"{SCORECARD_KEY}.typed")),
        watch_band=band / 100 if _is_number(band) else specs.DEFAULT_WATCH_BAND,
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _measure_values(raw: object) -> tuple[tuple[str, float], ...]:
    """Measure key -> number, from a saved dict; keys the scorecard does not know are dropped."""
    if not isinstance(raw, Mapping):
        return ()
    return tuple(
        sorted((str(k), float(v)) for k, v in raw.items() if k in specs.SPECS and _is_number(v))
    )


# --- the whole report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Results for the deck and the workbook."""

    summary: pd.DataFrame
    segments: pd.DataFrame | None
    clv: pd.DataFrame | None
    pnl: pd.DataFrame | None
    retention: Any
    scorecard: inputs.Scorecard | None
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
    end = settings.observation_end
    tx = dataset.transactions
    summary = customer_summary(tx, settings.unit, end)
    notes: list[str] = []
    charts = [overview_slide(dataset, currency)]
    say("segments")
    rfm = segments.rfm_scores(summary, end).table[["rfm_segment"]]
    say("customer P&L and whale curve")
    analysis = profitability_analysis.analyse(
        summary, tx, settings.activities, dataset.cost_to_serve, settings.small_order_threshold,
        settings.gross_margin, end, currency,
    )  # fmt: skip
    pnl = analysis.result.pnl[["revenue", "returns", "cogs", "cost_to_serve", "profit"]]
    charts.append(whale_slide(analysis, currency))
    say("customer lifetime value")
    values = _clv(dataset, summary, settings, notes)
    if values is not None:
        charts.append(pyramid_slide(values.tiers))
    say("retention")
    retention = _retention(dataset, summary, values, end, notes)
    if retention is not None and not retention.churn_by_period.empty:
        period = retention.settings.period
        charts.append(churn_period_slide(retention.churn_by_period, period))
    say("scorecard")
    clv_frame = values.customers if values is not None else None
    card = _scorecard(dataset, summary, settings, currency, rfm, pnl, clv_frame, retention, notes)
    return Report(summary, rfm, clv_frame, pnl, retention, card, charts, currency, tuple(notes))


def _clv(dataset, summary, settings: ReportSettings, notes: list[str]):
    try:
        fit_settings = clv.FitSettings(
            settings.clv_model, settings.unit, None, settings.observation_end, False
        )
        return clv_run.run(dataset.transactions, summary, fit_settings, settings.value)[1]
    except CvmError as error:
        notes.append(f"CLV left out: {error}")
        return None


def _retention(dataset, summary, values, end, notes: list[str]):
    try:
        clv_frame = values.customers if values is not None else None
        return retention_analysis.analyse_retention(
            dataset.transactions, summary, customers=dataset.customers, clv=clv_frame,
            observation_end=end,
        )  # fmt: skip
    except CvmError as error:
        notes.append(f"Retention left out: {error}")
        return None


def _scorecard(dataset, summary, settings, currency, rfm, pnl, clv_frame, retention, notes):
    models = inputs.ModelInputs(
        pnl=pnl,
        clv=clv_frame,
        segments=rfm["rfm_segment"],
        annual_retention=retention.annual_retention if retention is not None else None,
        sources=(("pnl", "report settings"), ("clv", "report settings")),
    )
    try:
        return build.build_scorecard(
            dataset.transactions, summary, dataset.customers, models,
            settings.scorecard, observation_end=settings.observation_end,
            currency=currency,
        )  # fmt: skip
    except CvmError as error:
        notes.append(f"Scorecard left out: {error}")
        return None
