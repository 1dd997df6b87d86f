"""Retention charts: valid Vega-Lite from the core's frames, titled axes with units, labels."""

from __future__ import annotations

import pandas as pd
import pytest

from cvm_core.analyses.retention import charts, economics, gaps
from cvm_core.analyses.retention import churn as R
from cvm_core.analyses.retention import survival as retention_survival
from tests.unit.test_cohorts import TINY, tables
from tests.unit.test_retention import CHURN_TX, SPELL_END, SPELL_TX, status_of


def chart_rows(spec: dict) -> list[dict]:
    """The rows embedded in a chart spec (one dataset per chart here)."""
    return list(spec["datasets"].values())[0]


@pytest.mark.parametrize("measure", list(charts.HEATMAPS))
def test_cohort_heatmap_labels_every_observed_cell(measure):
    long = tables(TINY, end="2024-03-31").to_long()
    spec = charts.cohort_heatmap(long, measure, "month", "EUR").to_dict()
    rows = chart_rows(spec)
    assert len(rows) == 6  # the observed cells of the 3 x 3 triangle
    assert {r["row"] for r in rows} == {"Jan 2024  (2)", "Feb 2024  (2)", "Mar 2024  (1)"}
    cells, text = spec["layer"]
    assert cells["encoding"]["x"]["title"] == "Months since acquisition"
    if measure == "cumulative_revenue_per_customer":
        # Money labels carry the currency: Jan cohort after 2 months 230, Feb after 1 month 120.
        labels = {(r["cohort"], r["age"]): r["money_label"] for r in rows}
        assert labels[("Jan 2024", 2)] == "€230" and labels[("Feb 2024", 1)] == "€120"
        assert "(EUR)" in cells["encoding"]["color"]["title"]
    else:
        assert text["encoding"]["text"]["format"] == ".0%"


def test_gap_histogram_marks_one_line_when_window_equals_suggestion():
    profile = gaps.gap_profile(SPELL_TX)
    same = charts.gap_histogram_chart(profile.histogram, 30, 30).to_dict()
    assert chart_rows(same)  # bars present
    rules = same["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert rules == ["Churn window = suggested (90th pct)"]
    differ = charts.gap_histogram_chart(profile.histogram, 20, 30).to_dict()
    assert differ["layer"][1]["encoding"]["color"]["scale"]["domain"] == [
        "Churn window",
        "Suggested (90th pct)",
    ]


def test_other_charts_build_with_titled_axes():
    spells = gaps.activity_spells(SPELL_TX, 30, SPELL_END)
    churn = R.churn_by_period(spells, "month", SPELL_END)
    spec = charts.churn_rate_chart(churn, "month").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Churn rate"
    status = status_of(CHURN_TX, gaps.ChurnRule(30), "2024-03-31")
    groups = pd.DataFrame({"Region": ["N", "N", "S", "S"]}, index=status.index)
    by_group = R.churn_by_group(status, groups)
    assert charts.churn_by_group_chart(by_group, "Region").to_dict()["encoding"]["y"]["title"] == (
        "Region"
    )
    survival = retention_survival.survival_analysis(status, groups["Region"])
    spec = charts.survival_chart(survival.curves, survival.confidence).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Share of customers still active"
    econ = economics.retention_economics(0.8, 100.0, 1000, 0.1, (1, 5))
    spec = charts.economics_chart(econ.table, "USD").to_dict()
    assert spec["encoding"]["y"]["title"] == "Added value (USD)"
    too_big = pd.DataFrame({"group": ["a"] * 6000, "churn_rate": 0.1})
    with pytest.raises(ValueError, match="aggregate"):
        charts.churn_by_group_chart(too_big, "Region")


def test_churn_rate_axis_names_each_month_once():
    import re

    from cvm_core.outputs import export

    # Seven months (the CDNOW sample's span): Vega's default ticks fall on weeks and printed
    # "Nov 1997" three times.
    starts = pd.date_range("1997-11-01", periods=7, freq="MS")
    table = pd.DataFrame(
        {"period_start": starts, "period": starts.strftime("%b %Y"), "customers_at_start": 100,
         "churned": 10, "churn_rate": 0.1, "new": 5, "reactivated": 1}
    )  # fmt: skip
    svg = export.chart_svg(charts.churn_rate_chart(table, "month"))
    shown = re.findall(r'<text[^>]*opacity="1"[^>]*>([A-Z][a-z]{2} \d{4})</text>', svg)
    assert shown and len(shown) == len(set(shown))


def test_every_chart_text_goes_through_the_catalogs(monkeypatch):
    """In the pseudo-language each title reads ⟦title⟧; the data's names stay as they are."""
    import contextvars

    from cvm_core import i18n
    from tests.app.test_translated_pages import chart_texts, unmarked

    monkeypatch.setattr(i18n, "_pseudo", contextvars.ContextVar("pseudo", default=True))
    long = tables(TINY, end="2024-03-31").to_long()
    built = [charts.cohort_heatmap(long, m, p, "EUR") for m in charts.HEATMAPS for p in charts.PERIOD_NAMES]  # fmt: skip
    profile = gaps.gap_profile(SPELL_TX)
    built += [charts.gap_histogram_chart(profile.histogram, 20, d) for d in (20, 30)]
    spells = gaps.activity_spells(SPELL_TX, 30, SPELL_END)
    built += [charts.churn_rate_chart(R.churn_by_period(spells, p, SPELL_END), p) for p in ("month", "week")]  # fmt: skip
    status = status_of(CHURN_TX, gaps.ChurnRule(30), "2024-03-31")
    groups = pd.DataFrame({"Sales rep": ["Ann", "Ann", "Bo", "Bo"]}, index=status.index)
    by_group = R.churn_by_group(status, groups)
    built.append(charts.churn_by_group_chart(by_group, "Sales rep"))
    survival = retention_survival.survival_analysis(status, groups["Sales rep"])
    built.append(charts.survival_chart(survival.curves, survival.confidence))
    tenure = pd.DataFrame(
        {"year": [1, 2], "label": ["Year 1", "Year 2+"], "customers": [4, 3],
         "customer_years": [3.5, 2.0], "value": [350.0, 260.0],
         "value_per_customer_year": [100.0, 130.0], "ratio_to_year1": [1.0, 1.3]}
    )  # fmt: skip
    for measure in charts.TENURE_TITLES:
        built.append(charts.tenure_chart(tenure, measure, "EUR"))
    econ = economics.retention_economics(0.8, 100.0, 1000, 0.1, (1, 5))
    built.append(charts.economics_chart(econ.table, "USD"))
    specs = [chart.to_dict() for chart in built]
    # The customer table's column 'Sales rep' names the axis as the file has it.
    assert set().union(*(unmarked(chart_texts(spec)) for spec in specs)) == {"Sales rep"}
    tenure_rows = chart_rows(specs[-2])
    assert [r["label"] for r in tenure_rows] == ["⟦Year 1⟧", "⟦Year 2+⟧"]


def test_code_named_groupings_are_marked_for_the_catalogs():
    assert set(charts.GROUPING_WORDS) == charts.BUILT_GROUPINGS


def test_churn_by_group_names_code_built_groupings_in_the_language(monkeypatch):
    from cvm_core import i18n

    status = status_of(CHURN_TX, gaps.ChurnRule(30), "2024-03-31")
    groups = pd.DataFrame({"RFM segment": ["A", "A", "B", "B"]}, index=status.index)
    by_group = R.churn_by_group(status, groups)
    spec = charts.churn_by_group_chart(by_group, "RFM segment").to_dict()
    assert spec["title"] == "Churn by rfm segment"  # English: lower case mid-title, as before
    monkeypatch.setattr(i18n, "_catalog", lambda language: {"RFM segment": "RFM-Segment",
                                                            "Churn by {grouping}": "Abwanderung nach {grouping}"})  # fmt: skip
    i18n.use("de")
    try:
        spec = charts.churn_by_group_chart(by_group, "RFM segment").to_dict()
    finally:
        i18n.use("en")
    assert spec["title"] == "Abwanderung nach RFM-Segment"
    assert spec["encoding"]["y"]["title"] == "RFM-Segment"
