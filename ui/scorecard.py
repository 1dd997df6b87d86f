"""Widgets, cached calls and rendering of the Scorecard page.

The scorecard reads what the other pages published in session state (each tagged with the
fingerprint of the dataset it was computed on; a result for another dataset is ignored). Where a
page has not run yet, its model is computed here with that page's default settings, cached, and the
page says so with a link to the page where the settings can be tuned.

Targets and typed-in values live in session state under :data:`TARGETS` and :data:`TYPED` (measure
key -> value in the measure's unit, shares as fractions), so they survive page changes and a saved
workspace can carry them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.clv import fit as clv_fit
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.clv.scenario import Treatment
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability import projection, whatif
from cvm_core.analyses.profitability.analysis import WhaleAnalysis
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.analyses.retention.analysis import RetentionResult
from cvm_core.analyses.scorecard import (
    charts,
    formats,
    pnl_measures,
    presenting,
    specs,
    takeaways,
)
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.analyses.scorecard import inputs as scorecard_inputs
from cvm_core.analyses.scorecard import periods as scorecard_periods
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Message, _, ngettext
from cvm_core.intake.dataset import Dataset
from ui import clv as clv_view
from ui import data, downloads, session
from ui import whale as whale_view
from ui.charts import show_chart
from ui.tables import edit_table

KEY = "cvm.scorecard"
TARGETS = f"{KEY}.targets"
"""dict measure key -> target (measure's unit; shares as fractions)."""
TYPED = f"{KEY}.typed"
"""dict measure key -> value the user typed in for a measure the data cannot support."""
FREQUENCY = f"{KEY}.frequency"
WATCH_BAND = f"{KEY}.watch_band"
_VERSION = f"{KEY}.editor_version"
"""(dataset fingerprint, cvm_core.analyses.scorecard.inputs.Scorecard) as last shown, for the deck and workbook."""
PAGES = {
    "pnl": ("pages/whale_curve.py", N_("Profitability Whale Curve"), N_("the default activity rates")),
    "clv": ("pages/clv.py", N_("Customer Lifetime Value"), N_("the default CLV model and tiers")),
    "segments": ("pages/segments.py", N_("Segments"), N_("the default RFM grid")),
    "retention": ("pages/retention.py", N_("Retention"), N_("the default churn rule")),
}  # fmt: skip
STATUS_MARKS = {
    specs.ON_TARGET: N_("🟢 on target"), specs.WATCH: N_("🟡 watch"), specs.OFF_TARGET: N_("🔴 off target"),
    specs.NO_TARGET: N_("⚪ no target"), specs.NO_VALUE: N_("– no value"),
}  # fmt: skip
SHOWN_WORDS = (
    N_("Quarter"), N_("Month"),  # specs.FREQUENCIES
    # specs.PERSPECTIVES
    N_("Financial"), N_("Customer outcomes"), N_("Selection"), N_("Acquisition"), N_("Retention"), N_("Growth"),
)  # fmt: skip
"""Texts defined in cvm_core that this page shows, translated with ``_(text)`` where shown."""


# --- settings ------------------------------------------------------------------------------------


def settings_form(dataset: Dataset) -> scorecard_inputs.ScorecardSettings:
    """Period length, period and watch band; targets and typed values from session state."""
    start, end = dataset.observation_start, data.observation_end(dataset)
    left, middle, right = st.columns([1, 1, 2])
    frequency = left.radio(
        _("Period"), list(specs.FREQUENCIES), format_func=lambda f: _(specs.FREQUENCIES[f]), horizontal=True,
        key=FREQUENCY, persist_state="session", help=_("Compare quarters or months."),
    )  # fmt: skip
    labels = scorecard_periods.period_labels(start, end, frequency)
    default = scorecard_periods.default_period(start, end, frequency)
    period = middle.selectbox(
        _("Show period"), labels[::-1], index=labels[::-1].index(default),
        key=data.setting_key(f"{KEY}.period.{frequency}", dataset), persist_state="session",
        help=_("Default: the latest complete period. It is compared with the period before it."),
    )  # fmt: skip
    band = right.slider(
        _("Watch band (% of target)"), 0, 25, int(specs.DEFAULT_WATCH_BAND * 100), key=WATCH_BAND, persist_state="session",
        help=_("A measure this close to its target (but not there) shows 'watch' instead of 'off target'."),
    )  # fmt: skip
    targets = tuple(sorted(st.session_state.get(TARGETS, {}).items()))
    typed = tuple(sorted(st.session_state.get(TYPED, {}).items()))
    return scorecard_inputs.ScorecardSettings(frequency, period, targets, typed, band / 100)


def _whale_analysis(dataset: Dataset) -> WhaleAnalysis:
    """The P&L at the rates the other pages use (the Whale page's once it has run, else the
    default rates) and its what-if base, from the Whale page's cache: that page and the CLV page's
    cost-to-serve have usually computed it already (a copy of its own cost ~1 s at 1M
    transactions)."""
    with st.spinner(_("Costing every customer with the default rates…")):
        return whale_view.cached_analysis(dataset, clv_view.cost_model(dataset)[0])


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _default_clv(
    _fitted: clv_fit.CLVFit,
    _costs: projection.ServiceCosts | None,
    fingerprint: str,
    fit_settings: clv_fit.FitSettings,
    cost_model: CostModel,
) -> pd.DataFrame:
    values = clv_run.value(_fitted, clv_run.CLVSettings().value, _costs)
    return values.customers[["p_alive", "clv", "tier"]]


def _default_clv_of(dataset: Dataset) -> tuple[pd.DataFrame | None, str]:
    """The CLV page's default result, from that page's fit cache (which the background prefetch
    after a load fills) and with cost-to-serve from the Whale page's cached P&L at the rates the
    CLV page would use: nothing here is fitted or costed a second time."""
    settings = clv_view.default_fit_settings(dataset)
    try:
        fitted = clv_view.fit(dataset, settings)
    except CvmError as error:
        return None, i18n.error_message(error)
    costs = clv_view.service_costs(dataset, clv_run.CLVSettings().value)
    cost_model = clv_view.cost_model(dataset)[0]
    return _default_clv(fitted, costs, dataset.fingerprint, settings, cost_model), ""


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _default_segments(
    _inputs: AnalysisInputs, fingerprint: str, unit: str, end: dt.date
) -> tuple[pd.Series | None, str]:
    try:
        return scorecard_defaults.default_segments(_inputs), ""
    except CvmError as error:
        return None, i18n.error_message(error)


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _default_retention(
    _inputs: AnalysisInputs, fingerprint: str, unit: str, end: dt.date, clv_key: float
) -> tuple[RetentionResult | None, str]:
    try:
        return scorecard_defaults.default_retention_result(_inputs), ""
    except CvmError as error:
        return None, i18n.error_message(error)


def _clv_key(clv: pd.DataFrame | None) -> float:
    """Tells CLV results apart for the cache: the at-risk list ranks customers by their CLV."""
    return -1.0 if clv is None else float(clv["clv"].sum()) + len(clv)


def default_retention(
    dataset: Dataset, clv: pd.DataFrame | None
) -> tuple[RetentionResult | None, str]:
    """The Retention page's default result, with ``clv`` ranking its at-risk list: one run for
    the scorecard's annual retention and active share and for the chain's at-risk list (the
    default churn rule is inactivity, so the figures do not depend on the CLV)."""
    inputs = data.analysis_inputs(dataset).with_results(clv=clv)
    with st.spinner(_("Measuring retention with the Retention page's defaults…")):
        return _default_retention(inputs, dataset.fingerprint, inputs.unit, inputs.observation_end.date(), _clv_key(clv))  # fmt: skip


def models(dataset: Dataset) -> tuple[scorecard_inputs.ModelInputs, dict[str, str]]:
    """The other pages' results for this dataset, or their defaults; plus what fell back and why."""
    inputs = data.analysis_inputs(dataset)
    args = (inputs, dataset.fingerprint, inputs.unit, inputs.observation_end.date())
    defaults, sources = {}, {}
    pnl = session.read(session.WHALE_PNL, dataset)
    if pnl is None:
        pnl, defaults["pnl"] = _whale_analysis(dataset).result.pnl, ""
    clv = session.read(session.CLV_CUSTOMERS, dataset)
    if clv is None:  # the fit shows the CLV page's spinner
        clv, defaults["clv"] = _default_clv_of(dataset)
    segments_frame = session.read(session.SEGMENTS, dataset)
    segments = segments_frame["rfm_segment"] if segments_frame is not None else None
    if segments is None:
        with st.spinner(_("Scoring RFM segments…")):
            segments, defaults["segments"] = _default_segments(*args)
    retention = session.read(session.RETENTION, dataset)
    if retention is None:
        retention, defaults["retention"] = default_retention(dataset, clv)
    figures = (
        (retention.annual_retention, retention.active.share)
        if retention is not None
        else (None, None)
    )
    for name, (_path, title, default) in PAGES.items():
        sources[name] = (  # Messages: the scorecard is cached across languages
            Message(N_("{page} page"), page=Message(title)) if name not in defaults else specs.source_text(default)
        )  # fmt: skip
    annual, active = figures
    known = scorecard_inputs.ModelInputs(pnl, clv, segments, annual, tuple(sources.items()), active)
    return known, defaults


def scenarios(dataset: Dataset, inputs: scorecard_inputs.ModelInputs) -> scorecard_inputs.Scenarios:
    """The Whale Curve page's fixes replayed on the P&L, and the CLV page's treatments' value."""
    whale_pnl, whale_label = None, ""
    fixes = session.read(session.WHALE_SCENARIO, dataset)
    if fixes is not None and inputs.pnl is not None:
        whale = _whale_analysis(dataset)  # the Whale page's own (cached) P&L
        pnl_result = whale.result
        tiers = inputs.clv["tier"] if inputs.clv is not None and "tier" in inputs.clv else None
        try:
            # On the page's prepared base: preparing it again took 0.7 s at 10M lines.
            outcome = whatif.apply_scenario(whale.what_if, fixes, tiers)
        except CvmError:
            outcome = None
        levers = outcome.steps[outcome.steps["kind"] == "lever"]["step"].tolist() if outcome else []
        if levers:
            whale_pnl = pnl_measures.replay_pnl(inputs.pnl, pnl_result.pnl, outcome.pnl)
            whale_label = f"Whale Curve fixes ({', '.join(levers).lower()}) for {formatting.counted(outcome.target_customers, 'customer')}"
            if not inputs.pnl["profit"].equals(pnl_result.pnl["profit"]):
                # Only where the P&L shown is not the one the fixes were replayed on: their
                # effect is added to it (see pnl_measures.replay_pnl).
                whale_label += " (effect measured with the default activity rates)"
    clv_increment, clv_label = None, ""
    projection = session.read(session.CLV_SCENARIO, dataset)
    if projection is not None and inputs.clv is not None:
        treated = [tier for tier, t in projection.scenario.treatments if t != Treatment()]
        if treated:
            clv_increment = float(projection.total["incremental_value"])
            clv_label = f"CLV treatments for {', '.join(treated)}"
    return scorecard_inputs.Scenarios(whale_pnl, whale_label, clv_increment, clv_label)


def _digest(*parts: object) -> str:
    """A content hash of frames and values, so the cached scorecard follows the other pages
    (each frame hashed once: :func:`ui.session.content_key`)."""
    h = hashlib.sha1()
    for part in parts:
        is_frame = isinstance(part, pd.DataFrame | pd.Series)
        h.update((session.content_key(part) if is_frame else repr(part)).encode())
    return h.hexdigest()


@st.cache_data(max_entries=16, ttl="2h", show_spinner=False)
def _build(
    _inputs: AnalysisInputs, _models: scorecard_inputs.ModelInputs, _scenarios: scorecard_inputs.Scenarios,
    key: str, settings: scorecard_inputs.ScorecardSettings, end: dt.date, currency: str,
) -> scorecard_inputs.Scorecard:  # fmt: skip
    return scorecard_run.run(_inputs, settings, _models, _scenarios)


def scorecard(
    dataset: Dataset, settings: scorecard_inputs.ScorecardSettings
) -> tuple[scorecard_inputs.Scorecard, dict[str, str]]:
    """The cached scorecard, and which pages' models fell back to defaults (with any error)."""
    inputs, defaults = models(dataset)
    what_if = scenarios(dataset, inputs)
    key = _digest(
        dataset.fingerprint, data.unit(), inputs.pnl, inputs.clv, inputs.segments, inputs.annual_retention, inputs.active_share,
        inputs.sources, what_if.whale_pnl, what_if.whale_label, what_if.clv_incremental, what_if.clv_label,
    )  # fmt: skip
    end = data.observation_end(dataset).date()
    analysis_inputs = data.analysis_inputs(dataset)
    with st.spinner(_("Scoring the period…")):
        result = _build(
            analysis_inputs, inputs, what_if, key, settings, end, analysis_inputs.currency
        )
    session.publish(session.SCORECARD, dataset, result)
    return result, defaults


# --- rendering -----------------------------------------------------------------------------------


def show_sources(defaults: dict[str, str]) -> None:
    """Which measures use another page's defaults, with links to tune them there."""
    if not defaults:
        return
    with st.expander(
        _("{n} model(s) use default settings: open their pages to tune them").format(
            n=formatting.count(len(defaults))
        ),
        icon=":material/info:",
    ):
        for name, message in defaults.items():
            path, title, default = PAGES[name]
            text = _("Measures from the {page} page use {default}.").format(
                page=_(title), default=_(default)
            )
            if message:
                text = _("The {page} model could not be computed here: {message}").format(
                    page=_(title), message=message
                )
            st.markdown(text)
            st.page_link(
                path,
                label=_("Open the {page} page").format(page=_(title)),
                icon=":material/arrow_forward:",
            )


def show_period(result: scorecard_inputs.Scorecard) -> None:
    span = f"{formatting.date(result.period_start)} – {formatting.date(result.period_end)}"
    partial = " " + _("(partial: cut off by the observation end)") if result.partial else ""
    versus = (
        _(", compared with {period}").format(period=result.previous_period)
        if result.previous_period
        else ""
    )
    st.caption(
        _("**{period}**: {span}{partial}{versus}.").format(
            period=result.period, span=span, partial=partial, versus=versus
        )
    )
    for note in result.notes:
        st.info(formatting.escape_markdown(i18n.shown(note)), icon=":material/info:")
    if result.scenario_labels:
        st.info(
            _("Scenario column: projected values with {scenarios}.").format(
                scenarios="; ".join(result.scenario_labels)
            ),
            icon=":material/science:",
        )


HEADLINE = {
    "revenue_per_customer": N_("Revenue per customer"), "profit_per_customer": N_("Profit per customer"),
    "retention_rate": N_("Customer retention"), "new_customers": N_("New customers"),
}  # fmt: skip


def show_headline(result: scorecard_inputs.Scorecard) -> None:
    table = result.table.set_index("key")
    for column, (key, label) in zip(st.columns(len(HEADLINE)), HEADLINE.items(), strict=True):
        row = table.loc[key]
        delta = formats.format_change(
            row["change"], row["change_pct"], row["unit"], result.currency
        )
        column.metric(
            _(label), formats.format_value(row["value"], row["unit"], result.currency),
            None if delta == "–" else delta, delta_color="normal" if row["better"] == specs.HIGHER else "inverse",
            help=_(row["definition"]),
        )  # fmt: skip
        if math.isfinite(row["projected"]):
            column.caption(
                _("Scenario: {value}").format(
                    value=formats.format_value(row["projected"], row["unit"], result.currency)
                )
            )


def _editor_key() -> str:
    return f"{KEY}.editor.{st.session_state.get(_VERSION, 0)}"


_EDIT_ERROR = f"{KEY}.edit_error"


def _save_edits(
    editor_key: str, store: str, column: str, keys: list[str], units: list[str]
) -> None:
    """Fold the editor's changes into the stored targets / typed values (in the measure's unit)."""
    values = dict(st.session_state.get(store, {}))
    for row, change in st.session_state[editor_key]["edited_rows"].items():
        if column not in change:
            continue
        key = keys[int(row)]
        try:
            value = presenting.parse_value(change[column], units[int(row)])
        except CvmError as error:
            st.session_state[_EDIT_ERROR] = i18n.error_message(error)
            continue
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    st.session_state[store] = values
    st.session_state[_VERSION] = st.session_state.get(_VERSION, 0) + 1


def _shown(value: float, unit: str, currency: str) -> str:
    """A stored value as the editor shows it ('' when none), readable back by parse_value."""
    return formats.format_value(value, unit, currency) if math.isfinite(value) else ""


def show_edit_error() -> None:
    message = st.session_state.pop(_EDIT_ERROR, None)
    if message:
        shown = formatting.escape_markdown(i18n.shown(message))  # it quotes what the user typed
        st.error(shown, icon=":material/error:")


def _scorecard_frame(result: scorecard_inputs.Scorecard) -> pd.DataFrame:
    t, cur = result.table, result.currency
    trends = result.trends.groupby("key")["value"].apply(list)
    units = t["unit"].tolist()
    frame = pd.DataFrame({
        "Measure": [specs.measure_name(k, m) for k, m in zip(t["key"], t["measure"], strict=True)],
        "Value": [formats.format_value(v, u, cur) for v, u in zip(t["value"], units, strict=True)],
        "Previous": [_("snapshot") if s else formats.format_value(v, u, cur) for v, u, s in zip(t["previous"], units, t["snapshot"], strict=True)],
        "Change": [formats.format_change(c, p, u, cur) for c, p, u in zip(t["change"], t["change_pct"], units, strict=True)],
        "Trend": [trends.get(k, []) for k in t["key"]],
        "Target": [_shown(v, u, cur) for v, u in zip(t["target"], units, strict=True)],
        "Status": [_(STATUS_MARKS[s]) for s in t["status"]],
        "Scenario": [formats.format_value(v, u, cur) for v, u in zip(t["projected"], units, strict=True)],
        "Definition": [_(d) if not n else _("{definition} Needs {needs}.").format(definition=_(d), needs=_(n)) for d, n in zip(t["definition"], t["needs"], strict=True)],
    })  # fmt: skip
    return frame if result.scenario_labels else frame.drop(columns=["Scenario"])


def show_scorecard(result: scorecard_inputs.Scorecard) -> None:
    """One editable table per perspective: everything read-only except the targets."""
    show_edit_error()
    frame, t = _scorecard_frame(result), result.table
    config = {
        "Measure": st.column_config.TextColumn(_("Measure"), width=290),
        "Value": st.column_config.TextColumn(result.period, width=95, help=_("Value in the chosen period")),
        "Previous": st.column_config.TextColumn(result.previous_period or _("Previous"), width=95, help=_("Value in the previous period")),
        "Change": st.column_config.TextColumn(_("Change"), width=85, help=_("Percentage points for shares, percent otherwise")),
        "Trend": st.column_config.LineChartColumn(_("Trend"), width=80, help=_("Up to {n} periods to {period}").format(n=specs.TREND_PERIODS, period=result.period)),
        "Target": st.column_config.TextColumn(_("Target ✎"), width=95, help=_("Type a target in the measure's unit: 1200, €1,200, 35% (or 35 for 35%). Clear it to remove.")),
        "Status": st.column_config.TextColumn(_("Status"), width=115),
        "Scenario": st.column_config.TextColumn(_("Scenario"), width=95, help=_("Projected value with the what-if treatments")),
        "Definition": st.column_config.TextColumn(_("Definition"), width="large"),
    }  # fmt: skip
    for perspective in specs.PERSPECTIVES:
        rows = (t["perspective"] == perspective).to_numpy()
        part = frame[rows].reset_index(drop=True)
        key = f"{_editor_key()}.{perspective}"
        st.markdown(f"**{_(perspective)}**")
        edit_table(
            part, key=key, hide_index=True, height=35 * (len(part) + 1) + 3, column_config=config,
            disabled=[c for c in part.columns if c != "Target"],
            on_change=_save_edits, args=(key, TARGETS, "Target", list(t["key"][rows]), list(t["unit"][rows])),
        )  # fmt: skip


def show_typed_inputs(result: scorecard_inputs.Scorecard) -> None:
    """Measures the data cannot support: what would enable each, and a value the user types in."""
    t = result.table
    show_edit_error()
    rows = t[(t["needs"] != "") | (t["source"] == "typed in")]
    if rows.empty:
        st.caption(_("Every measure is computed from the data."))
        return
    frame = pd.DataFrame({
        "Measure": [specs.measure_name(k, m) for k, m in zip(rows["key"], rows["measure"], strict=True)],
        "Would be computed from": [_(n)[:1].upper() + _(n)[1:] for n in rows["needs"]],
        "Your value": [_shown(v, u, result.currency) if s == "typed in" else "" for v, u, s in zip(rows["value"], rows["unit"], rows["source"], strict=True)],
        "Unit": ["%" if u == specs.SHARE else result.currency if u == specs.MONEY else _(u) for u in rows["unit"]],
    })  # fmt: skip
    key = f"{_editor_key()}.typed"
    edit_table(
        frame, key=key, hide_index=True, disabled=["Measure", "Would be computed from", "Unit"],
        column_config={
            "Measure": st.column_config.TextColumn(_("Measure"), width=290),
            "Would be computed from": st.column_config.TextColumn(_("Would be computed from"), width=420),
            "Your value": st.column_config.TextColumn(_("Your value ✎"), width=110, help=_("From a survey or your CRM: 72% (or 72), 4.5 days. Clear it to remove.")),
            "Unit": st.column_config.TextColumn(_("Unit"), width=70),
        },
        on_change=_save_edits, args=(key, TYPED, "Your value", list(rows["key"]), list(rows["unit"])),
    )  # fmt: skip


def show_trends(result: scorecard_inputs.Scorecard) -> None:
    if result.trends.empty:
        st.info(_("No measure has values to chart yet."))
        return
    chart = charts.trend_heatmap(result.trends)
    takeaway = takeaways.takeaway(result)
    show_chart(chart, takeaway + " " + _("Colour compares each period with the measure's own average over the periods shown."),
               name="Scorecard trends", data=result.trends, takeaway=takeaway)  # fmt: skip


def show_breakdowns(result: scorecard_inputs.Scorecard) -> None:
    channel, segment = result.breakdowns.get("channel"), result.breakdowns.get("segment")
    left, right = st.columns(2)
    if channel is not None and not channel.empty:
        with left:
            takeaway = takeaways.channel_takeaway(channel, result.period)
            show_chart(charts.channel_chart(channel, result.currency), takeaway,
                       name="Cost-to-serve by channel", data=channel, takeaway=takeaway)  # fmt: skip
    if segment is not None and not segment.empty:
        with right:
            takeaway = takeaways.segment_takeaway(segment, result.period, result.currency)
            show_chart(charts.segment_chart(segment, result.currency), takeaway,
                       name="Profit contribution by segment", data=segment, takeaway=takeaway)  # fmt: skip


def show_downloads(result: scorecard_inputs.Scorecard) -> None:
    table = presenting.scorecard_table(result)
    numbers = presenting.scorecard_table(result, formatted=False)
    downloads.csv_and_excel(
        table, "scorecard", KEY, _("Scorecard"), sheet="Scorecard", excel=numbers
    )
    st.caption(
        ngettext(
            "{n} measure; the deck and workbook exports include this table.",
            "{n} measures; the deck and workbook exports include this table.",
            len(table),
        ).format(n=formatting.count(len(table)))
    )
