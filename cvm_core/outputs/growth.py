"""The prospects-and-acquisition views in the deck and the workbook: what valuable customers have
in common (the lift chart and its sentence), what a new customer is worth by source, and the
ranges around each tier's CLV.

Computed from a :class:`cvm_core.outputs.report.Report`'s CLV run, so the figures are those of
the CLV page and the ``prospects`` / ``acquisition`` commands at the same settings. A view the
data cannot support (no customer attributes, no acquisition costs) is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.clv import acquisition_value
from cvm_core.analyses.clv.intervals import intervals_of
from cvm_core.analyses.inputs import AnalysisInputs, on_file
from cvm_core.analyses.prospects import charts as prospect_charts
from cvm_core.analyses.prospects import run as prospects
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _
from cvm_core.outputs.report import Report
from cvm_core.outputs.workbook import COUNT, MONEY, NUMBER, PCT, TEXT, Sheet
from cvm_core.slides import StorySlide

TRAITS_TITLE = N_("Who to win: what valuable customers have in common")
SOURCES_TITLE = N_("Who to win: what a new customer is worth by source")


def _prospects(report: Report) -> prospects.ProspectsResult | None:
    if report.clv_result is None or report.dataset is None or not report.dataset.has_transactions:
        return None
    fit = report.clv_result.fit
    dataset = report.dataset
    inputs = AnalysisInputs(
        dataset.transactions, report.summary, fit.settings.observation_end, fit.settings.unit,
        dataset.customers, dataset.cost_to_serve, report.currency,
        clv=report.clv_result.values.customers, source=on_file(dataset),
    )  # fmt: skip
    try:
        return prospects.run(inputs)
    except CvmError:
        return None


def _sources(report: Report) -> acquisition_value.SourceValue | None:
    if report.clv_result is None or report.dataset is None or not report.dataset.has_transactions:
        return None
    fit, values = report.clv_result.fit, report.clv_result.values
    return acquisition_value.value_by_source(
        fit, values, report.dataset.customers, fit.settings.observation_end
    )


def source_table(value: acquisition_value.SourceValue, currency: str) -> pd.DataFrame:
    """The sources as the deck's native table shows them."""
    money = lambda v: formatting.money(v, currency)  # noqa: E731
    table = value.table
    span = _("{clv} ({low} to {high})")
    return pd.DataFrame({
        _("Source"): [_(c) if c == acquisition_value.ALL_CHANNELS else c for c in table["channel"]],
        _("New customers"): table["customers"].map(formatting.count),
        _("Acquisition cost"): table["acquisition_cost"].map(money),
        _("CLV (80% range)"): [span.format(clv=money(c), low=money(lo), high=money(hi)) for c, lo, hi in zip(table["clv"], table["clv_low"], table["clv_high"], strict=True)],
        _("CLV / CAC"): table["clv_per_cost"].map(lambda v: formatting.number(v, 1) + "x" if np.isfinite(v) else "–"),
        _("Payback"): table["payback_months"].map(lambda m: formatting.counted(m, "month") if np.isfinite(m) else _("not within horizon")),
    })  # fmt: skip


def growth_slides(report: Report) -> list[StorySlide]:
    """The traits' lift chart and the sources table, where the data have them."""
    slides = []
    found = _prospects(report)
    if found is not None:
        slide = prospect_charts.lift_slide(found.traits)
        slides.append(StorySlide("traits", _(TRAITS_TITLE), slide.takeaway, chart=slide.chart,
                                 appendix=True))  # fmt: skip
    sources = _sources(report)
    if sources is not None:
        takeaway = acquisition_value.source_takeaway(sources, report.currency)
        slides.append(StorySlide("acquisition_sources", _(SOURCES_TITLE), takeaway,
                                 table=source_table(sources, report.currency), appendix=True))  # fmt: skip
    return slides


def growth_sheets(report: Report) -> list[Sheet]:
    """Sheets for the workbook: traits (rules and attribute lifts), sources, tier ranges."""
    ranges = None
    if report.clv_result is not None:
        ranges = intervals_of(report.clv_result.fit, report.clv_result.values).groups
    return sheets_of(_prospects(report), _sources(report), ranges)


def sheets_of(
    found: prospects.ProspectsResult | None,
    sources: acquisition_value.SourceValue | None,
    ranges: pd.DataFrame | None,
) -> list[Sheet]:
    """The workbook's sheets for the results there are (the report's, or the pages' as the
    app's workbook download finds them)."""
    sheets = []
    if found is not None:
        traits = found.traits
        rules = traits.rules.assign(sentence=traits.sentences())
        sheets.append(
            Sheet(N_("Traits of valuable"), rules, {"rate": PCT, "lift": NUMBER, "sentence": TEXT})
        )
        sheets.append(
            Sheet(N_("Attribute lifts"), traits.attributes, {"rate": PCT, "lift": NUMBER})
        )
    if sources is not None:
        formats = {
            c: MONEY for c in ("acquisition_cost", "clv", "clv_low", "clv_high", "clv_minus_cost")
        }
        formats |= {"clv_per_cost": NUMBER, "payback_months": NUMBER, "pays_back_chance": PCT}
        sheets.append(Sheet(N_("New customers by source"), sources.table, formats))
    if ranges is not None:
        money = {c: MONEY for c in ranges.columns if c not in ("group", "customers")}
        sheets.append(Sheet(N_("CLV ranges by tier"), ranges, money | {"customers": COUNT}))
    return sheets
