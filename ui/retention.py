"""Widgets, cached core calls and rendering of the Retention page.

Settings that sit in a tab (survival grouping, list and economics settings) are read from their
widget keys before the one analysis call, so the page computes once per change; the widgets are
drawn later, in their tab, with the same keys and defaults.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.inputs import AnalysisInputs, dataset_source
from cvm_core.analyses.retention import analysis as retention_analysis
from cvm_core.analyses.retention import charts, takeaways
from cvm_core.analyses.retention import defaults as retention_defaults
from cvm_core.analyses.retention import gaps as retention_gaps
from cvm_core.analyses.retention import lists as retention_lists
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention import slides as retention_slides
from cvm_core.analyses.retention import survival as retention_survival
from cvm_core.analyses.retention.cohorts import PERIODS, cohort_of
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Nn_, _, ngettext
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import export
from ui import customer_dialog, data, selections, session
from ui.charts import show_chart
from ui.tables import show_table

ROOT = Path(__file__).resolve().parent.parent
NO_GROUPING = N_("(all customers)")
HEATMAP_MAX_COHORTS = {"month": 36, "quarter": 24, "week": 52}
HEATMAP_MAX_AGE = {"month": 24, "quarter": 12, "week": 26}
"""Beyond ~25 columns the cell labels no longer fit the page's width; the Excel file has all."""
RULE_LABELS = {
    retention_defaults.INACTIVITY: N_("No purchase within N days"),
    retention_defaults.P_ALIVE: N_("P(alive) below a threshold"),
}
SHOWN_WORDS = (
    N_("Month"), N_("Quarter"), N_("Week"),  # cohort periods, capitalised
    Nn_("quarter", "quarters"),
    N_("Net revenue"), N_("Gross margin"), N_("CLV"),  # retention_lists.VALUE_MEASURES, capitalised
    N_("net revenue"), N_("gross margin"),  # the economics' measure, mid-sentence
    N_("Customer retention"), N_("Net revenue retention"),  # charts.HEATMAPS titles
    N_("Cumulative net revenue per acquired customer"),
    # retention_lists.LIST_COLUMN_LABELS
    N_("Customer"), N_("Name"), N_("Why"), N_("Value"), N_("Rank"), N_("Orders"),
    N_("First purchase"), N_("Last purchase"), N_("Days since last purchase"),
    N_("Usual gap (days)"), N_("× usual gap"), N_("P(alive)"), N_("Status"),
)  # fmt: skip
"""Texts defined in cvm_core that this page shows, translated with ``_(text)`` where shown."""


def _period_word(period: str) -> str:
    """'month' in the current language ('Monat', '月')."""
    return ngettext(period, period + "s", 1)


KEY = "cvm.retention"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{KEY}.{name}", dataset)


# ------------------------------------------------------------------------------------------
# Inputs and cached core calls
# ------------------------------------------------------------------------------------------


@st.cache_data(max_entries=8, ttl="2h", show_spinner=False)
def _gap_profile(_dataset: Dataset, fingerprint: str, end: dt.date) -> retention_gaps.GapProfile:
    return dataset_source(_dataset).gap_profile(pd.Timestamp(end))


def gap_profile(dataset: Dataset) -> retention_gaps.GapProfile:
    with st.spinner(_("Measuring the gaps between purchases…")):
        return _gap_profile(dataset, dataset.fingerprint, data.observation_end(dataset).date())


def gap_profile_at_load(dataset: Dataset) -> retention_gaps.GapProfile:
    """:func:`gap_profile` of a dataset just loaded (its whole period; no session state is read:
    the Upload page's early build calls it in the background, ui/loaders)."""
    return _gap_profile(dataset, dataset.fingerprint, dataset.observation_end.date())


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


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
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
    other_pages = (session.content_key(clv), session.content_key(segments))
    end = inputs.observation_end.date()
    key = (dataset.fingerprint, inputs.unit, end, heavy, other_pages)
    try:
        with st.spinner(_("Analysing retention…")):
            base = _analyse(inputs, *key)
        if settings == heavy:
            return base
        return _revise(base, dataset, inputs.summary, clv, key, settings)
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/error:")
        st.stop()


def settings_form(
    dataset: Dataset, gaps: retention_gaps.GapProfile, clv: pd.DataFrame | None
) -> retention_analysis.RetentionSettings:
    """Period and churn rule (drawn here) plus the tab settings (read from their widget keys)."""
    c1, c2, c3 = st.columns([1, 1.4, 1.2])
    period = c1.segmented_control(_("Cohort period"), list(PERIODS), default="month", key=key("period", dataset), persist_state="session",
                                  format_func=lambda p: _(p.capitalize()), required=True)  # fmt: skip
    method = c2.radio(_("Churned means"), list(RULE_LABELS), format_func=lambda m: _(RULE_LABELS[m]), key=key("method", dataset), persist_state="session",
                      disabled=clv is None, horizontal=True)  # fmt: skip
    window = c2.number_input(
        _("Churn window (days without a purchase)"), min_value=retention_gaps.MIN_WINDOW_DAYS,
        max_value=retention_gaps.MAX_WINDOW_DAYS,
        value=gaps.suggested_window_days, step=1, key=key("window", dataset), persist_state="session",
        help=_("Suggested from your data: {days}, the 90th percentile of the gaps between a customer's "
               "purchases, each customer weighted equally (see the Churn tab).").format(
            days=formatting.counted(gaps.suggested_window_days, "day")),
    )  # fmt: skip
    threshold = retention_gaps.DEFAULT_P_ALIVE_THRESHOLD
    if clv is None:
        c3.caption(_("Fit the model on the Customer Lifetime Value page to judge churn by P(alive) and "
                   "rank customers by CLV."))  # fmt: skip
        if (ROOT / "pages" / "clv.py").exists():
            c3.page_link(
                "pages/clv.py",
                label=_("Go to Customer Lifetime Value"),
                icon=":material/trending_up:",
            )
    elif method == retention_defaults.P_ALIVE:
        threshold = (
            c3.slider(
                _("P(alive) threshold"),
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
        _("CSV"), lambda: export.csv_bytes(first), f"{name}.csv", "text/csv",
        icon=":material/download:", on_click="ignore", key=f"{KEY}.dl.{name}.csv",
    )  # fmt: skip
    if xlsx:
        row.download_button(
            _("Excel"), lambda: export.xlsx_bytes(frames), f"{name}.xlsx", XLSX_MIME,
            icon=":material/download:", on_click="ignore", key=f"{KEY}.dl.{name}.xlsx",
        )  # fmt: skip


def show_headline(result: retention_analysis.RetentionResult) -> None:
    counts = result.counts
    median = result.median_lifetime_days
    cols = st.columns(6)  # the lists' counts apart: "10,555 / 2,871" was cut off at 424k customers
    active = result.active
    cols[0].metric(_("Active customers"), active.share_text(),
                   help=active.sentence() + " " + _("Plus {n} too new to tell. The CLV page, the Scorecard "
                   "and the deck count active customers with this same rule.").format(
                       n=formatting.count(counts[retention_defaults.TOO_NEW])))  # fmt: skip
    cols[1].metric(_("Churned"), formatting.pct(result.churned_share),
                   help=_("Churned customers as a share of those old enough to tell."))  # fmt: skip
    cols[2].metric(
        _("Annual retention"),
        formatting.pct(result.annual_retention),
        help=i18n.shown(result.annual_retention_source),
    )
    longest = result.longest_lifetime_days
    cols[3].metric(_("Median lifetime"), f"> {formatting.counted(longest, 'day')}" if median is None else f"{formatting.counted(median, 'day')}",
                   help=_("Half of all customers have churned by this many days after their first purchase "
                        "(Kaplan-Meier; a lifetime ends when churn is declared, not at the last purchase). "
                        "'> {days}': more than half are still active after the longest lifetime the data "
                        "follows, so the median is not reached yet.").format(days=formatting.counted(longest, "day"))
                        + " " + result.lifetimes.sentence())  # fmt: skip
    cols[4].metric(_("At risk"), formatting.count(len(result.at_risk)))
    cols[5].metric(_("Win back"), formatting.count(len(result.win_back)))
    st.caption(f"{result.settings.rule.describe()} {result.lifetimes.sentence()}")
    for note in result.notes:
        st.info(formatting.escape_markdown(i18n.shown(note)))


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
    more = " " + _("and {n} more").format(n=formatting.count(len(picked) - 3))
    shown = ", ".join(picked[:3]) + (more if len(picked) > 3 else "")
    COHORTS.chip(_("Cohort: {cohorts}").format(cohorts=shown), f"{KEY}.cohorts.clear.{key_suffix}")


def show_cohorts(result: retention_analysis.RetentionResult, currency: str) -> list[str]:
    """The cohort heatmap, selectable by row; returns the cohorts picked (they filter the lists)."""
    if result.cohorts is None:
        st.warning(result.cohort_message, icon=":material/warning:")
        return []
    tables = result.cohorts
    period = tables.period
    long = tables.to_long(HEATMAP_MAX_COHORTS[period], HEATMAP_MAX_AGE[period])
    measure = st.radio(_("Show"), list(charts.HEATMAPS), format_func=lambda m: _(charts.HEATMAPS[m][0]),
                       horizontal=True, key=f"{KEY}.heatmap", persist_state="session")  # fmt: skip
    event = show_chart(charts.cohort_heatmap(long, measure, period, currency),
               _("Rows: customers grouped by the {period} of their first purchase (cohort size in brackets). "
                 "Empty cells lie beyond the last complete {period} ({last}). "
                 "Click a row to list only that cohort's customers under 'At risk & win back' "
                 "(shift-click for more than one).").format(period=_period_word(period), last=formatting.period_label(tables.last_complete_label)),
               name=charts.HEATMAPS[measure][0] + " by cohort", data=long,
               takeaway=takeaways.cohort_takeaway(tables, measure, currency),
               selection=alt.selection_point(name=COHORTS.name, fields=["cohort"], nearest=True),
               key=COHORTS.widget_key())  # fmt: skip
    picked = picked_cohorts(result, COHORTS.text(event))
    if picked:
        _cohort_chip(picked, "heatmap")
        acquired = int(tables.sizes.loc[picked].sum())
        st.caption(ngettext("{customers} acquired in the selected cohort; the 'At risk & win back' tab lists only them.",
                            "{customers} acquired in the selected cohorts; the 'At risk & win back' tab lists only them.",
                            len(picked)).format(customers=formatting.counted(acquired, "customer")))  # fmt: skip
    hidden = []
    if len(tables.sizes) > HEATMAP_MAX_COHORTS[period]:
        hidden.append(
            _("the latest {shown} of {total} cohorts").format(
                shown=formatting.count(HEATMAP_MAX_COHORTS[period]),
                total=formatting.count(len(tables.sizes)),
            )
        )
    if tables.customer_retention.columns.max() > HEATMAP_MAX_AGE[period]:
        hidden.append(
            _("the first {periods} after acquisition").format(
                periods=f"{HEATMAP_MAX_AGE[period]} {ngettext(period, period + 's', HEATMAP_MAX_AGE[period])}"
            )
        )
    if hidden:
        st.caption(
            _("Showing {parts}; the Excel download holds them all.").format(
                parts=(" " + _("and") + " ").join(hidden)
            )
        )
    sheets = {"Cohort cells": tables.to_long(), "Cohort sizes": tables.sizes.reset_index()}
    for measure_name, (title, *_unused) in charts.HEATMAPS.items():
        sheets[title[:31]] = getattr(tables, measure_name).reset_index()
    st.download_button(
        _("All cohorts (Excel)"), lambda: export.xlsx_bytes(sheets), "cohorts.xlsx", XLSX_MIME,
        icon=":material/download:", on_click="ignore", key=f"{KEY}.dl.cohorts.xlsx",
    )  # fmt: skip
    return picked


def show_churn(result: retention_analysis.RetentionResult, gaps: retention_gaps.GapProfile) -> None:
    rule = result.settings.rule
    if rule.method == retention_defaults.P_ALIVE:
        st.markdown(
            "**" + _("Churned today: P(alive) below {threshold}.").format(threshold=formatting.pct(rule.p_alive_threshold, 0))
            + "** " + _("The churn rates per {period} below use the inactivity window ({days}), because "
            "the model's P(alive) is known for today only, not for each past period.").format(
                period=_period_word(result.settings.period), days=formatting.counted(rule.window_days, "day"))
        )  # fmt: skip
    else:
        st.markdown(
            _("**Churn window: {days}** without a purchase (change it above). The data suggests "
              "{suggested}: the 90th percentile of the gaps below, each of the {customers} repeat "
              "customers weighted equally (so the most frequent buyers, who make most of the gaps, "
              "do not decide it alone).").format(
                days=formatting.counted(rule.window_days, "day"),
                suggested=formatting.counted(gaps.suggested_window_days, "day"),
                customers=formatting.count(gaps.repeat_customers))
        )  # fmt: skip
    if gaps.repeat_purchases:
        q = gaps.quantiles
        show_chart(charts.gap_histogram_chart(gaps.histogram, rule.window_days, gaps.suggested_window_days),
                   _("Each repeat customer weighs the same: half of the gaps are within {half} of the "
                     "previous purchase, 90% within {most}; a customer silent for longer than that "
                     "is unlikely to be coming back. The suggested churn window is the 90th percentile, "
                     "{suggested}.").format(half=formatting.counted(q[0.5], "day"), most=formatting.counted(q[0.9], "day"),
                                           suggested=formatting.counted(gaps.suggested_window_days, "day")),
                   name="Days between purchases", data=gaps.histogram,
                   takeaway=takeaways.gaps_takeaway(q, rule.window_days))  # fmt: skip
    period = result.settings.period
    if result.churn_by_period.empty:
        st.info(result.churn_by_period_message, icon=":material/info:")
    else:
        slide = retention_slides.churn_period_slide(result.churn_by_period, period)
        show_chart(slide.chart,
                   _("Of the customers active at the start of each {period}, the share who passed {days} "
                     "without a purchase during it (some come back later; see the tooltip).").format(
                       period=_period_word(period), days=formatting.counted(rule.window_days, "day")),
                   name=slide.title, data=result.churn_by_period, takeaway=slide.takeaway)  # fmt: skip
    by_group = result.churn_by_group
    if by_group.empty:
        return
    grouping = st.selectbox(
        _("Churn by"),
        list(dict.fromkeys(by_group["grouping"])),
        format_func=_,  # the app's own groupings translate; a column of the user's file stays
        key=f"{KEY}.churn_group",
        persist_state="session",
    )
    part = by_group[by_group["grouping"] == grouping]
    show_chart(charts.churn_by_group_chart(part, grouping),
               _("Churned share of the customers old enough to tell, per group. Groups of older customers have "
               "had more time to churn; the Survival tab compares them fairly, month by month."),
               name="Churn by group", data=part,
               takeaway=takeaways.churn_group_takeaway(part, grouping))  # fmt: skip


def show_survival(result: retention_analysis.RetentionResult, dataset: Dataset) -> None:
    options = [NO_GROUPING, *result.group_names]
    st.selectbox(_("Compare by"), options, format_func=_, index=options.index(result.survival.grouping or NO_GROUPING),
                 key=key("grouping", dataset), persist_state="session")  # fmt: skip
    survival = result.survival
    st.markdown(f"**{result.lifetimes.sentence()}**")
    show_chart(charts.survival_chart(survival.curves, survival.confidence),
               _("Lifetime: from the first purchase until churn is declared (the first day past the churn window "
               "without a purchase) for churned customers; customers still active count until today without "
               "an end (censored). Shaded: {confidence} confidence band.").format(
                   confidence=formatting.pct(survival.confidence, 0)),
               name="Customer survival", data=survival.curves,
               takeaway=takeaways.survival_takeaway(survival, result.median_lifetime_days, result.lifetimes))  # fmt: skip
    table = survival.groups.assign(
        median=[
            f"{formatting.counted(d, 'day')}" if pd.notna(d) else _("not reached")
            for d in survival.groups["median_days"]
        ],
        one_year=[formatting.pct(v) for v in survival.groups["survival_1y"]],
    )[["group", "customers", "churned", "median", "one_year"]]
    show_table(table, hide_index=True, column_config={
        "group": _("Group"), "customers": st.column_config.NumberColumn(_("Customers"), format="%,d"),
        "churned": st.column_config.NumberColumn(_("Churned"), format="%,d"),
        "median": _("Median lifetime"), "one_year": _("Still active after 1 year")})  # fmt: skip
    if survival.logrank_p is not None:
        # Read again here: the stored reading is in the language the (cached) result was made in.
        reading = retention_survival.logrank_reading(survival.logrank_p, len(survival.groups))
        st.markdown("**" + _("Log-rank test.") + "** " + reading)
    downloads(
        {"Survival curves": survival.curves, "Groups": survival.groups}, "survival", xlsx=True
    )
    tenure = result.tenure
    st.subheader(_("Does loyalty pay?"))
    currency = data.currency(dataset)
    show_chart(charts.tenure_chart(tenure.table, tenure.measure, currency),
               _("{measure} earned in each year of a relationship, per year customers spent active "
                 "in it (until their churn window ran out), so lapsed customers don't dilute it.").format(
                   measure=_(tenure.measure.capitalize())),
               name="Value by year of the relationship", data=tenure.table,
               takeaway=takeaways.tenure_takeaway(tenure, currency))  # fmt: skip
    st.info(i18n.shown(tenure.claim), icon=":material/fact_check:")


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
    c1.selectbox(_("Value measure"), list(measures), format_func=lambda m: _(measures[m].capitalize()),
                 key=key("measure", dataset), persist_state="session")  # fmt: skip
    c2.slider(
        _("Valuable = top % of customers"),
        1,
        100,
        20,
        format="%d%%",
        key=key("top", dataset),
        persist_state="session",
    )
    c3.slider(_("Overdue = days since last purchase above × usual gap"), 1.0, 6.0, retention_lists.DEFAULT_OVERDUE_FACTOR, 0.5,
              format="%.1f×", key=key("overdue", dataset), persist_state="session")  # fmt: skip
    currency = data.currency(dataset)
    at_risk, win_back = result.at_risk, result.win_back
    if cohorts:
        _cohort_chip(cohorts, "lists")
        at_risk, win_back = (_in_cohorts(frame, cohorts, result.cohorts.period)
                             for frame in (at_risk, win_back))  # fmt: skip
    st.markdown(
        (_("**At risk: {customers}** still active but overdue against their own purchase rhythm or with a low P(alive).")
         if "p_alive" in at_risk else
         _("**At risk: {customers}** still active but overdue against their own purchase rhythm.")
         ).format(customers=_customers(at_risk, result.at_risk)))  # fmt: skip
    measure = result.settings.lists.value_measure
    _list_table(at_risk, currency, "at_risk", measure, dataset)
    st.markdown(
        _("**Win back: {customers}** who have churned.").format(
            customers=_customers(win_back, result.win_back)
        )
    )
    _list_table(win_back, currency, "win_back", measure, dataset)


def _in_cohorts(frame: pd.DataFrame, cohorts: list[str], period: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[cohort_of(frame["first_purchase"], period).isin(cohorts).to_numpy()]


def _customers(shown: pd.DataFrame, whole: pd.DataFrame) -> str:
    n = len(shown)
    if n == len(whole):
        return ngettext("{n} valuable customer", "{n} valuable customers", n).format(
            n=formatting.count(n)
        )
    return ngettext(
        "{n} valuable customer of {total}", "{n} valuable customers of {total}", n
    ).format(n=formatting.count(n), total=formatting.count(len(whole)))


def _list_table(
    frame: pd.DataFrame, currency: str, name: str, measure: str, dataset: Dataset
) -> None:
    if frame.empty:
        st.caption(_("Nobody on this list with the current settings."))
        return
    money = f"{formatting.CURRENCY_SIGNS.get(currency, currency + ' ')}%,.0f"
    config = {c: st.column_config.NumberColumn(_(retention_lists.LIST_COLUMN_LABELS[c]), format=money)
              for c in ("value", "net_revenue", "margin")}  # fmt: skip
    config |= {"value": st.column_config.NumberColumn(_(retention_lists.VALUE_MEASURES[measure].capitalize()), format=money),
               "p_alive": st.column_config.NumberColumn(_("P(alive)"), format="percent"),
               "overdue_ratio": st.column_config.NumberColumn(_("× usual gap"), format="%.1f"),
               "mean_gap_days": st.column_config.NumberColumn(_("Usual gap (days)"), format="%.0f"),
               "first_purchase": st.column_config.DateColumn(_("First purchase")),
               "last_purchase": st.column_config.DateColumn(_("Last purchase")),
               "reason": st.column_config.TextColumn(_("Why"), width="large")}  # fmt: skip
    config |= {
        c: _(label)
        for c, label in retention_lists.LIST_COLUMN_LABELS.items()
        if c in frame and c not in config
    }
    # The reason right after the name; the value column already shows the chosen measure.
    order = ["customer_id", "customer_name", "reason", "value", "value_rank", "orders",
             *[c for c in ("net_revenue", "margin") if c != measure], "last_purchase", "days_since_last",
             "mean_gap_days", "overdue_ratio", "p_alive", "first_purchase"]  # fmt: skip
    st.caption(_("Click a row to open that customer."))
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
    return _("the {active} active customers of the headline plus {new} too new to tell").format(
        active=formatting.count(counts[retention_defaults.ACTIVE]),
        new=formatting.count(counts[retention_defaults.TOO_NEW]),
    )


def show_economics(result: retention_analysis.RetentionResult, dataset: Dataset) -> None:
    st.slider(
        _("Discount rate per year"), 1, 30, 10, format="%d%%", key=key("discount", dataset), persist_state="session",
        help=_("Your cost of capital: money a year from now is worth this much less than today."),
    )  # fmt: skip
    econ = result.economics
    if econ is None:
        st.warning(result.economics_message, icon=":material/warning:")
        return
    currency = data.currency(dataset)
    st.markdown(
        _("**Formula.** A customer who brings margin *m* at the start of each year and stays with annual "
          "retention *r*, discounted at *d*, is worth **{formula}**. From your data: *r* = {retention} "
          "({source}); *m* = {value} {measure} per active customer-year; *d* = {discount}. So a customer "
          "is worth {clv} today. The gain of +N points is (CLV at *r* + N − CLV at *r*) × {customers} "
          "not churned today ({parts}).").format(
            formula=econ.formula, retention=formatting.pct(econ.annual_retention),
            source=i18n.shown(econ.retention_source), value=formatting.money(econ.value_per_customer_year, currency),
            measure=_(econ.measure), discount=formatting.pct(econ.discount_rate, 0),
            clv=formatting.money(econ.base_clv, currency),
            customers=formatting.counted(econ.active_customers, "customer"), parts=_not_churned_parts(result))
    )  # fmt: skip
    show_chart(
        charts.economics_chart(econ.table, currency),
        _(
            "Added lifetime value of today's customer base if annual retention were higher by that many points."
        ),
        name="What more retention is worth",
        data=econ.table,
        takeaway=takeaways.economics_takeaway(econ, currency),
    )
    table = econ.table.assign(retention=[formatting.pct(r) for r in econ.table["retention"]])
    show_table(table, hide_index=True, column_config={
        "uplift_points": st.column_config.NumberColumn(_("Uplift (points)"), format="+%d"),
        "retention": _("Annual retention"),
        "clv_per_customer": st.column_config.NumberColumn(_("CLV per customer ({currency})").format(currency=currency), format="%,.0f"),
        "uplift_per_customer": st.column_config.NumberColumn(_("Gain per customer ({currency})").format(currency=currency), format="%,.0f"),
        "uplift_total": st.column_config.NumberColumn(_("Gain on the base ({currency})").format(currency=currency), format="%,.0f")})  # fmt: skip


def remember(dataset: Dataset, result: retention_analysis.RetentionResult) -> None:
    """Leave the result for the Scorecard, tagged with the dataset it belongs to."""
    session.publish(session.RETENTION, dataset, result)
