"""Widgets, cached core calls and rendering of the Retention page.

Settings that sit in a tab (survival grouping, list and economics settings) are read from their
widget keys before the one analysis call, so the page computes once per change; the widgets are
drawn later, in their tab, with the same keys and defaults.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from cvm_core import formatting
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.retention import analysis as retention_analysis
from cvm_core.analyses.retention import charts, takeaways
from cvm_core.analyses.retention import defaults as retention_defaults
from cvm_core.analyses.retention import gaps as retention_gaps
from cvm_core.analyses.retention import lists as retention_lists
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention import slides as retention_slides
from cvm_core.analyses.retention.cohorts import PERIODS, cohort_of
from cvm_core.errors import CvmError
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import export
from ui import customer_dialog, data, selections, session
from ui.charts import show_chart
from ui.tables import show_table

ROOT = Path(__file__).resolve().parent.parent
NO_GROUPING = "(all customers)"
HEATMAP_MAX_COHORTS = {"month": 36, "quarter": 24, "week": 52}
HEATMAP_MAX_AGE = {"month": 24, "quarter": 12, "week": 26}
"""Beyond ~25 columns the cell labels no longer fit the page's width; the Excel file has all."""
RULE_LABELS = {
    retention_defaults.INACTIVITY: "No purchase within N days",
    retention_defaults.P_ALIVE: "P(alive) below a threshold",
}
KEY = "cvm.retention"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLV_KEY_MEMO = f"{KEY}.clv_key"
"""(CLV result frame, its content hash): see _frame_key."""
SEGMENTS_KEY_MEMO = f"{KEY}.segments_key"


def key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{KEY}.{name}", dataset)


# ------------------------------------------------------------------------------------------
# Inputs and cached core calls
# ------------------------------------------------------------------------------------------


@st.cache_data(max_entries=8, ttl="2h", show_spinner="Measuring the gaps between purchases…")
def _gap_profile(_dataset: Dataset, fingerprint: str, end: dt.date) -> retention_gaps.GapProfile:
    return retention_gaps.gap_profile(_dataset.transactions, pd.Timestamp(end))


def gap_profile(dataset: Dataset) -> retention_gaps.GapProfile:
    return _gap_profile(dataset, dataset.fingerprint, data.observation_end(dataset).date())


def default_rule(dataset: Dataset) -> retention_gaps.ChurnRule:
    """The page's starting rule: inactivity for the window the data suggests."""
    return retention_gaps.ChurnRule(gap_profile(dataset).suggested_window_days)


def churn_rule(dataset: Dataset) -> retention_gaps.ChurnRule:
    """The one rule that says who is active: this page's once it ran on the dataset, else its
    default (every page, headline and dialog counts by it)."""
    published = session.read(session.RETENTION, dataset)
    return published.settings.rule if published is not None else default_rule(dataset)


def clv_frame(dataset: Dataset) -> pd.DataFrame | None:
    """The CLV page's per-customer result, only if it was fitted on this very dataset."""
    return session.read(session.CLV_CUSTOMERS, dataset, ["p_alive"])


def segments_frame(dataset: Dataset) -> pd.DataFrame | None:
    """The Segments page's per-customer result (RFM segment, cluster), if made on this dataset."""
    return session.read(session.SEGMENTS, dataset)


def _frame_key(frame: pd.DataFrame | None, memo: str) -> str:
    """A content hash of another page's result, computed once per object.

    Hashing a million rows costs ~0.1 s, too much for every rerun, so the key is kept next to
    the frame it belongs to; holding the frame keeps ``is`` an exact identity test.
    """
    if frame is None:
        return ""
    known = st.session_state.get(memo)
    if known is not None and known[0] is frame:
        return known[1]
    digest = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    key = f"{len(frame)}:{int(digest.sum(dtype=np.uint64))}:{int(np.bitwise_xor.reduce(digest))}"
    st.session_state[memo] = (frame, key)
    return key


@st.cache_resource(max_entries=4, ttl="2h", show_spinner="Analysing retention…")
def _analyse(
    _inputs: AnalysisInputs,
    fingerprint: str,
    unit: str,
    end: dt.date,
    settings: retention_analysis.RetentionSettings,
    other_pages: tuple[str, str],
) -> retention_analysis.RetentionResult:
    # Cached as a resource: shared, not copied per rerun (a copy of the per-customer tables
    # would cost more than a slider move may); nothing on the page mutates the result.
    return retention_run.run(_inputs, settings)


@st.cache_resource(max_entries=16, ttl="2h", show_spinner=False)
def _revise(
    _base: retention_analysis.RetentionResult,
    _dataset: Dataset,
    _summary: pd.DataFrame,
    _clv: pd.DataFrame | None,
    base_key: tuple,
    settings: retention_analysis.RetentionSettings,
) -> retention_analysis.RetentionResult:
    return retention_analysis.revise_retention(_base, _summary, settings, _dataset.customers, _clv)


def analyse(
    dataset: Dataset, settings: retention_analysis.RetentionSettings, clv: pd.DataFrame | None
) -> retention_analysis.RetentionResult:
    """The page's analysis in two cached stages: the heavy one keyed on the period and the churn
    rule only, so the quick settings (survival grouping, lists, discount rate) redo only their
    own small part."""
    segments = segments_frame(dataset)
    inputs = data.analysis_inputs(dataset).with_results(clv=clv, segments=segments)
    heavy = retention_analysis.RetentionSettings(period=settings.period, rule=settings.rule)
    other_pages = (_frame_key(clv, CLV_KEY_MEMO), _frame_key(segments, SEGMENTS_KEY_MEMO))
    end = inputs.observation_end.date()
    key = (dataset.fingerprint, inputs.unit, end, heavy, other_pages)
    try:
        base = _analyse(inputs, *key)
        if settings == heavy:
            return base
        return _revise(base, dataset, inputs.summary, clv, key, settings)
    except CvmError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()


def settings_form(
    dataset: Dataset, gaps: retention_gaps.GapProfile, clv: pd.DataFrame | None
) -> retention_analysis.RetentionSettings:
    """Period and churn rule (drawn here) plus the tab settings (read from their widget keys)."""
    c1, c2, c3 = st.columns([1, 1.4, 1.2])
    period = c1.segmented_control("Cohort period", list(PERIODS), default="month", key=key("period", dataset), persist_state="session",
                                  format_func=str.capitalize, required=True)  # fmt: skip
    method = c2.radio("Churned means", list(RULE_LABELS), format_func=RULE_LABELS.get, key=key("method", dataset), persist_state="session",
                      disabled=clv is None, horizontal=True)  # fmt: skip
    window = c2.number_input(
        "Churn window (days without a purchase)", min_value=retention_gaps.MIN_WINDOW_DAYS,
        max_value=retention_gaps.MAX_WINDOW_DAYS,
        value=gaps.suggested_window_days, step=1, key=key("window", dataset), persist_state="session",
        help=f"Suggested from your data: {formatting.counted(gaps.suggested_window_days, 'day')}, the 90th percentile of the "
             "gaps between a customer's purchases, each customer weighted equally (see the Churn tab).",
    )  # fmt: skip
    threshold = retention_gaps.DEFAULT_P_ALIVE_THRESHOLD
    if clv is None:
        c3.caption("Fit the model on the Customer Lifetime Value page to judge churn by P(alive) and "
                   "rank customers by CLV.")  # fmt: skip
        if (ROOT / "pages" / "clv.py").exists():
            c3.page_link(
                "pages/clv.py", label="Go to Customer Lifetime Value", icon=":material/trending_up:"
            )
    elif method == retention_defaults.P_ALIVE:
        threshold = (
            c3.slider(
                "P(alive) threshold",
                5,
                95,
                50,
                5,
                format="%d%%",
                key=key("threshold", dataset),
                persist_state="session",
            )
            / 100
        )
    for note in [gaps.note] if gaps.note else []:
        st.info(note)
    rule = retention_gaps.ChurnRule(int(window), method or retention_defaults.INACTIVITY, threshold)
    lists = retention_lists.ListSettings(
        value_measure=st.session_state.get(key("measure", dataset), "net_revenue"),
        top_share=st.session_state.get(key("top", dataset), 20) / 100,
        overdue_factor=float(
            st.session_state.get(key("overdue", dataset), retention_lists.DEFAULT_OVERDUE_FACTOR)
        ),
    )
    grouping = st.session_state.get(key("grouping", dataset), retention_defaults.ACQUISITION_YEAR)
    return retention_analysis.RetentionSettings(
        period=period or "month",
        rule=rule,
        grouping=None if grouping == NO_GROUPING else grouping,
        lists=lists,
        discount_rate=st.session_state.get(key("discount", dataset), 10) / 100,
    )


# ------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------


def downloads(frames: dict[str, pd.DataFrame], name: str, xlsx: bool = False) -> None:
    """CSV (of the first frame) and optionally XLSX (all frames) downloads, built when clicked."""
    first = next(iter(frames.values()))
    row = st.container(horizontal=True)
    row.download_button(
        "CSV", lambda: export.csv_bytes(first), f"{name}.csv", "text/csv",
        icon=":material/download:", on_click="ignore", key=f"{KEY}.dl.{name}.csv",
    )  # fmt: skip
    if xlsx:
        row.download_button(
            "Excel", lambda: export.xlsx_bytes(frames), f"{name}.xlsx", XLSX_MIME,
            icon=":material/download:", on_click="ignore", key=f"{KEY}.dl.{name}.xlsx",
        )  # fmt: skip


def show_headline(result: retention_analysis.RetentionResult) -> None:
    counts = result.counts
    median = result.median_lifetime_days
    cols = st.columns(5)
    active = result.active
    cols[0].metric("Active customers", active.share_text(),
                   help=f"{active.sentence()} Plus {formatting.count(counts[retention_defaults.TOO_NEW])} "
                   "too new to tell. The CLV page, the Scorecard and the deck count active customers "
                   "with this same rule.")  # fmt: skip
    cols[1].metric("Churned", formatting.pct(result.churned_share),
                   help="Churned customers as a share of those old enough to tell.")  # fmt: skip
    cols[2].metric(
        "Annual retention",
        formatting.pct(result.annual_retention),
        help=result.annual_retention_source,
    )
    longest = result.longest_lifetime_days
    cols[3].metric("Median lifetime", f"> {formatting.counted(longest, 'day')}" if median is None else f"{formatting.counted(median, 'day')}",
                   help="Half of all customers have churned by this many days after their first purchase "
                        "(Kaplan-Meier; a lifetime ends when churn is declared, not at the last purchase). "
                        f"'> {formatting.counted(longest, 'day')}': more than half are still active after the longest "
                        f"lifetime the data follows, so the median is not reached yet. {result.lifetimes.sentence()}")  # fmt: skip
    cols[4].metric("At risk / win back", f"{len(result.at_risk):,} / {len(result.win_back):,}")
    st.caption(f"{result.settings.rule.describe()} {result.lifetimes.sentence()}")
    for note in result.notes:
        st.info(note)


def _encode_cohorts(chosen: list) -> str | None:
    names = [str(point["cohort"]) for point in chosen if "cohort" in point]
    return "|".join(dict.fromkeys(names)) or None


COHORTS = selections.ChartFilter("cohort", "cohorts", _encode_cohorts)
"""The heatmap's point selection of cohorts (rows), kept in the address bar as 'Jan 2024|Feb 2024'."""


def picked_cohorts(result: retention_analysis.RetentionResult, text: str | None) -> list[str]:
    """The cohorts a selection or link names that this result has (another cohort period's names,
    or hand-edited ones, are ignored)."""
    if result.cohorts is None or not text:
        return []
    known = set(result.cohorts.sizes.index)
    return [name for name in str(text).split("|") if name in known]


def _cohort_chip(picked: list[str], key_suffix: str) -> None:
    shown = ", ".join(picked[:3]) + (f" and {len(picked) - 3} more" if len(picked) > 3 else "")
    COHORTS.chip(f"Cohort: {shown}", f"{KEY}.cohorts.clear.{key_suffix}")


def show_cohorts(result: retention_analysis.RetentionResult, currency: str) -> list[str]:
    """The cohort heatmap, selectable by row; returns the cohorts picked (they filter the lists)."""
    if result.cohorts is None:
        st.warning(result.cohort_message, icon=":material/warning:")
        return []
    tables = result.cohorts
    period = tables.period
    long = tables.to_long(HEATMAP_MAX_COHORTS[period], HEATMAP_MAX_AGE[period])
    measure = st.radio("Show", list(charts.HEATMAPS), format_func=lambda m: charts.HEATMAPS[m][0],
                       horizontal=True, key=f"{KEY}.heatmap", persist_state="session")  # fmt: skip
    event = show_chart(charts.cohort_heatmap(long, measure, period, currency),
               f"Rows: customers grouped by the {period} of their first purchase (cohort size in brackets). "
               f"Empty cells lie beyond the last complete {period} ({tables.last_complete_label}). "
               "Click a row to list only that cohort's customers under 'At risk & win back' "
               "(shift-click for more than one).",
               name=charts.HEATMAPS[measure][0] + " by cohort", data=long,
               takeaway=takeaways.cohort_takeaway(tables, measure, currency),
               selection=alt.selection_point(name=COHORTS.name, fields=["cohort"], nearest=True),
               key=COHORTS.widget_key())  # fmt: skip
    picked = picked_cohorts(result, COHORTS.text(event))
    if picked:
        _cohort_chip(picked, "heatmap")
        acquired = int(tables.sizes.loc[picked].sum())
        st.caption(f"{formatting.counted(acquired, 'customer')} acquired in the selected "
                   f"cohort{'s' if len(picked) > 1 else ''}; the 'At risk & win back' tab lists only them.")  # fmt: skip
    hidden = []
    if len(tables.sizes) > HEATMAP_MAX_COHORTS[period]:
        hidden.append(f"the latest {HEATMAP_MAX_COHORTS[period]} of {len(tables.sizes)} cohorts")
    if tables.customer_retention.columns.max() > HEATMAP_MAX_AGE[period]:
        hidden.append(f"the first {HEATMAP_MAX_AGE[period]} {period}s after acquisition")
    if hidden:
        st.caption(f"Showing {' and '.join(hidden)}; the Excel download holds them all.")
    sheets = {"Cohort cells": tables.to_long(), "Cohort sizes": tables.sizes.reset_index()}
    for measure_name, (title, _, _) in charts.HEATMAPS.items():
        sheets[title[:31]] = getattr(tables, measure_name).reset_index()
    st.download_button(
        "All cohorts (Excel)", lambda: export.xlsx_bytes(sheets), "cohorts.xlsx", XLSX_MIME,
        icon=":material/download:", on_click="ignore", key=f"{KEY}.dl.cohorts.xlsx",
    )  # fmt: skip
    return picked


def show_churn(result: retention_analysis.RetentionResult, gaps: retention_gaps.GapProfile) -> None:
    rule = result.settings.rule
    if rule.method == retention_defaults.P_ALIVE:
        st.markdown(
            f"**Churned today: P(alive) below {formatting.pct(rule.p_alive_threshold, 0)}.** The churn rates "
            f"per {result.settings.period} below use the inactivity window ({formatting.counted(rule.window_days, 'day')}), because "
            "the model's P(alive) is known for today only, not for each past period."
        )  # fmt: skip
    else:
        st.markdown(
            f"**Churn window: {formatting.counted(rule.window_days, 'day')}** without a purchase (change it above). The data "
            f"suggests {formatting.counted(gaps.suggested_window_days, 'day')}: the 90th percentile of the gaps below, each "
            f"of the {formatting.count(gaps.repeat_customers)} repeat customers weighted equally (so "
            "the most frequent buyers, who make most of the gaps, do not decide it alone)."
        )  # fmt: skip
    if gaps.repeat_purchases:
        q = gaps.quantiles
        show_chart(charts.gap_histogram_chart(gaps.histogram, rule.window_days, gaps.suggested_window_days),
                   f"Each repeat customer weighs the same: half of the gaps are within {formatting.counted(q[0.5], 'day')} of the "
                   f"previous purchase, 90% within {formatting.counted(q[0.9], 'day')}; a customer silent for longer than that "
                   f"is unlikely to be coming back. The suggested churn window is the 90th percentile, "
                   f"{formatting.counted(gaps.suggested_window_days, 'day')}.",
                   name="Days between purchases", data=gaps.histogram,
                   takeaway=takeaways.gaps_takeaway(q, rule.window_days))  # fmt: skip
    period = result.settings.period
    if result.churn_by_period.empty:
        st.info(result.churn_by_period_message, icon=":material/info:")
    else:
        slide = retention_slides.churn_period_slide(result.churn_by_period, period)
        show_chart(slide.chart,
                   f"Of the customers active at the start of each {period}, the share who passed {rule.window_days} "
                   "days without a purchase during it (some come back later; see the tooltip).",
                   name=slide.title, data=result.churn_by_period, takeaway=slide.takeaway)  # fmt: skip
    by_group = result.churn_by_group
    if by_group.empty:
        return
    grouping = st.selectbox(
        "Churn by",
        list(dict.fromkeys(by_group["grouping"])),
        key=f"{KEY}.churn_group",
        persist_state="session",
    )
    part = by_group[by_group["grouping"] == grouping]
    show_chart(charts.churn_by_group_chart(part, grouping),
               "Churned share of the customers old enough to tell, per group. Groups of older customers have "
               "had more time to churn; the Survival tab compares them fairly, month by month.",
               name="Churn by group", data=part,
               takeaway=takeaways.churn_group_takeaway(part, grouping))  # fmt: skip


def show_survival(result: retention_analysis.RetentionResult, dataset: Dataset) -> None:
    options = [NO_GROUPING, *result.group_names]
    st.selectbox("Compare by", options, index=options.index(result.survival.grouping or NO_GROUPING),
                 key=key("grouping", dataset), persist_state="session")  # fmt: skip
    survival = result.survival
    st.markdown(f"**{result.lifetimes.sentence()}**")
    show_chart(charts.survival_chart(survival.curves, survival.confidence),
               "Lifetime: from the first purchase until churn is declared (the first day past the churn window "
               "without a purchase) for churned customers; customers still active count until today without "
               f"an end (censored). Shaded: {survival.confidence:.0%} confidence band.",
               name="Customer survival", data=survival.curves,
               takeaway=takeaways.survival_takeaway(survival, result.median_lifetime_days, result.lifetimes))  # fmt: skip
    table = survival.groups.assign(
        median=[
            f"{formatting.counted(d, 'day')}" if pd.notna(d) else "not reached"
            for d in survival.groups["median_days"]
        ],
        one_year=[formatting.pct(v) for v in survival.groups["survival_1y"]],
    )[["group", "customers", "churned", "median", "one_year"]]
    show_table(table, hide_index=True, column_config={
        "group": "Group", "customers": st.column_config.NumberColumn("Customers", format="%,d"),
        "churned": st.column_config.NumberColumn("Churned", format="%,d"),
        "median": "Median lifetime", "one_year": "Still active after 1 year"})  # fmt: skip
    if survival.logrank_p is not None:
        st.markdown(f"**Log-rank test.** {survival.reading}")
    downloads(
        {"Survival curves": survival.curves, "Groups": survival.groups}, "survival", xlsx=True
    )
    tenure = result.tenure
    st.subheader("Does loyalty pay?")
    currency = data.currency(dataset)
    show_chart(charts.tenure_chart(tenure.table, tenure.measure, currency),
               f"{tenure.measure.capitalize()} earned in each year of a relationship, per year customers spent active "
               "in it (until their churn window ran out), so lapsed customers don't dilute it.",
               name="Value by year of the relationship", data=tenure.table,
               takeaway=takeaways.tenure_takeaway(tenure, currency))  # fmt: skip
    st.info(tenure.claim, icon=":material/fact_check:")


def show_lists(
    result: retention_analysis.RetentionResult,
    dataset: Dataset,
    clv: pd.DataFrame | None,
    cohorts: list[str] | None = None,
) -> None:
    """The at-risk and win-back lists, only the ``cohorts`` picked on the heatmap when given."""
    measures = {m: label for m, label in retention_lists.VALUE_MEASURES.items()
                if not (m == "clv" and (clv is None or retention_analysis.clv_columns(clv)[1] is None))
                and not (m == "margin" and not dataset.has("cost"))}  # fmt: skip
    c1, c2, c3 = st.columns(3)
    c1.selectbox("Value measure", list(measures), format_func=lambda m: measures[m].capitalize(),
                 key=key("measure", dataset), persist_state="session")  # fmt: skip
    c2.slider(
        "Valuable = top % of customers",
        1,
        100,
        20,
        format="%d%%",
        key=key("top", dataset),
        persist_state="session",
    )
    c3.slider("Overdue = days since last purchase above × usual gap", 1.0, 6.0, retention_lists.DEFAULT_OVERDUE_FACTOR, 0.5,
              format="%.1f×", key=key("overdue", dataset), persist_state="session")  # fmt: skip
    currency = data.currency(dataset)
    at_risk, win_back = result.at_risk, result.win_back
    if cohorts:
        _cohort_chip(cohorts, "lists")
        at_risk, win_back = (_in_cohorts(frame, cohorts, result.cohorts.period)
                             for frame in (at_risk, win_back))  # fmt: skip
    st.markdown(f"**At risk: {_customers(at_risk, result.at_risk)}** still active but overdue against their own "
                "purchase rhythm" + (" or with a low P(alive)." if "p_alive" in at_risk else "."))  # fmt: skip
    measure = result.settings.lists.value_measure
    _list_table(at_risk, currency, "at_risk", measure, dataset)
    st.markdown(f"**Win back: {_customers(win_back, result.win_back)}** who have churned.")
    _list_table(win_back, currency, "win_back", measure, dataset)


def _in_cohorts(frame: pd.DataFrame, cohorts: list[str], period: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[cohort_of(frame["first_purchase"], period).isin(cohorts).to_numpy()]


def _customers(shown: pd.DataFrame, whole: pd.DataFrame) -> str:
    n = len(shown)
    text = f"{n:,} valuable customer{'' if n == 1 else 's'}"
    return text if n == len(whole) else f"{text} of {len(whole):,}"


def _list_table(
    frame: pd.DataFrame, currency: str, name: str, measure: str, dataset: Dataset
) -> None:
    if frame.empty:
        st.caption("Nobody on this list with the current settings.")
        return
    money = f"{formatting.CURRENCY_SIGNS.get(currency, currency + ' ')}%,.0f"
    config = {c: st.column_config.NumberColumn(retention_lists.LIST_COLUMN_LABELS[c], format=money)
              for c in ("value", "net_revenue", "margin")}  # fmt: skip
    config |= {"value": st.column_config.NumberColumn(retention_lists.VALUE_MEASURES[measure].capitalize(), format=money),
               "p_alive": st.column_config.NumberColumn("P(alive)", format="percent"),
               "overdue_ratio": st.column_config.NumberColumn("× usual gap", format="%.1f"),
               "mean_gap_days": st.column_config.NumberColumn("Usual gap (days)", format="%.0f"),
               "first_purchase": st.column_config.DateColumn("First purchase"),
               "last_purchase": st.column_config.DateColumn("Last purchase"),
               "reason": st.column_config.TextColumn("Why", width="large")}  # fmt: skip
    config |= {
        c: label
        for c, label in retention_lists.LIST_COLUMN_LABELS.items()
        if c in frame and c not in config
    }
    # The reason right after the name; the value column already shows the chosen measure.
    order = ["customer_id", "customer_name", "reason", "value", "value_rank", "orders",
             *[c for c in ("net_revenue", "margin") if c != measure], "last_purchase", "days_since_last",
             "mean_gap_days", "overdue_ratio", "p_alive", "first_purchase"]  # fmt: skip
    st.caption("Click a row to open that customer.")
    customer_dialog.selectable_table(
        frame, frame["customer_id"], dataset, f"retention.{name}.table", hide_index=True,
        column_config=config, column_order=[c for c in order if c in frame],
        height=min(38 + 35 * len(frame), 400),
    )  # fmt: skip
    export_frame = retention_lists.list_for_export(frame, measure)
    downloads({name.replace("_", " ").capitalize(): export_frame}, name, xlsx=True)


def _not_churned_parts(result: retention_analysis.RetentionResult) -> str:
    """Ties the economics' customer count to the headline's 'Active customers'."""
    counts = result.counts
    return (
        f"the {formatting.count(counts[retention_defaults.ACTIVE])} active customers of the headline plus "
        f"{formatting.count(counts[retention_defaults.TOO_NEW])} too new to tell"
    )


def show_economics(result: retention_analysis.RetentionResult, dataset: Dataset) -> None:
    st.slider(
        "Discount rate per year", 1, 30, 10, format="%d%%", key=key("discount", dataset), persist_state="session",
        help="Your cost of capital: money a year from now is worth this much less than today.",
    )  # fmt: skip
    econ = result.economics
    if econ is None:
        st.warning(result.economics_message, icon=":material/warning:")
        return
    currency = data.currency(dataset)
    st.markdown(
        f"**Formula.** A customer who brings margin *m* at the start of each year and stays with annual "
        f"retention *r*, discounted at *d*, is worth **{econ.formula}**. "
        f"From your data: *r* = {formatting.pct(econ.annual_retention)} ({econ.retention_source}); "
        f"*m* = {formatting.money(econ.value_per_customer_year, currency)} {econ.measure} per active customer-year; "
        f"*d* = {formatting.pct(econ.discount_rate, 0)}. So a customer is worth "
        f"{formatting.money(econ.base_clv, currency)} today. The gain of +N points is "
        f"(CLV at *r* + N − CLV at *r*) × {formatting.counted(econ.active_customers, 'customer')} not churned "
        f"today ({_not_churned_parts(result)})."
    )  # fmt: skip
    show_chart(
        charts.economics_chart(econ.table, currency),
        "Added lifetime value of today's customer base if annual retention were higher by that many points.",
        name="What more retention is worth",
        data=econ.table,
        takeaway=takeaways.economics_takeaway(econ, currency),
    )
    table = econ.table.assign(retention=[formatting.pct(r) for r in econ.table["retention"]])
    show_table(table, hide_index=True, column_config={
        "uplift_points": st.column_config.NumberColumn("Uplift (points)", format="+%d"),
        "retention": "Annual retention",
        "clv_per_customer": st.column_config.NumberColumn(f"CLV per customer ({currency})", format="%,.0f"),
        "uplift_per_customer": st.column_config.NumberColumn(f"Gain per customer ({currency})", format="%,.0f"),
        "uplift_total": st.column_config.NumberColumn(f"Gain on the base ({currency})", format="%,.0f")})  # fmt: skip


def remember(dataset: Dataset, result: retention_analysis.RetentionResult) -> None:
    """Leave the result for the Scorecard, tagged with the dataset it belongs to."""
    session.publish(session.RETENTION, dataset, result)
