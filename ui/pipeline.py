"""Widgets, the cached core call and rendering of the Pipeline page.

The stage-probability editor sits in the Funnel tab but its edits are read from its widget key
before the one analysis call (as the Retention page does with its tab settings), so an edit
recomputes once.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.pipeline import charts, stages, takeaways
from cvm_core.analyses.pipeline.analysis import NO_PIPELINE, PipelineResult, PipelineSettings
from cvm_core.analyses.pipeline.run import run as run_pipeline
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Nn_, _
from cvm_core.intake.dataset import Dataset
from cvm_core.intake.fingerprint import fingerprint
from cvm_core.intake.io import read_workbook
from cvm_core.intake.opportunities import read_pipeline
from ui import data, session
from ui.charts import show_chart
from ui.downloads import csv_and_excel
from ui.tables import edit_table, show_table

KEY = "cvm.pipeline"
SOURCE_LABELS = {
    stages.AUTO: N_("From the file where it has them"),
    stages.FILE: N_("From the file"),
    stages.LEARNED: N_("Learned from history"),
}
UNIT_WORDS = (
    Nn_("open opportunity", "open opportunities"),
    Nn_("won deal", "won deals"),
    Nn_("opportunity row", "opportunity rows"),
)
"""Counted words of this page, in the catalogs with their plurals."""


def key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{KEY}.{name}", dataset)


def require_pipeline(dataset: Dataset) -> None:
    """Stop with what to add, and an uploader for a CRM export, when there are no opportunities."""
    if dataset.opportunities is not None:
        return
    st.info(NO_PIPELINE, icon=":material/info:")
    upload = st.file_uploader(
        _("Opportunities export (its sheets: the opportunities, optionally their history)"),
        type=["xlsx", "xls", "csv", "ods"],
        key=f"{KEY}.upload",
    )
    if upload is not None:
        try:
            attach(dataset, upload.getvalue(), upload.name)
        except CvmError as error:
            st.error(i18n.error_text(error), icon=":material/error:")
        else:
            st.rerun()
    st.stop()


def attach(dataset: Dataset, raw: bytes, name: str) -> None:
    """Make the active dataset carry the opportunities in ``raw`` (a file of their own)."""
    tables = read_pipeline(read_workbook(raw, name))
    if tables is None:
        raise CvmError(
            _(
                "No sheet of '{name}' reads as opportunities: it needs columns for the stage and "
                "the amount, and an opportunity id or sales rep."
            ).format(name=name)
        )
    key_ = fingerprint((dataset.fingerprint + fingerprint(raw)).encode())
    data.set_dataset(dataclasses.replace(dataset, opportunities=tables, fingerprint=key_))


@st.cache_data(max_entries=4, ttl="2h")
def _order(_dataset: Dataset, fingerprint_: str) -> list[str]:
    tables = _dataset.opportunities
    return stages.stage_order(tables.opportunities, tables.snapshots)


def settings_form(dataset: Dataset) -> PipelineSettings:
    """Probability source, target and horizon, tolerance; stage edits from the Funnel tab."""
    with st.expander(_("Forecast settings"), icon=":material/tune:"):
        c1, c2, c3, c4 = st.columns(4)
        source = c1.selectbox(
            _("Stage probabilities"), list(SOURCE_LABELS), format_func=lambda s: _(SOURCE_LABELS[s]),
            key=key("source", dataset), persist_state="session",
            help=_("From the file: the probability each opportunity carries. Learned: of the closed "
            "opportunities that reached a stage, the share that was won."),
        )  # fmt: skip
        months = c2.number_input(
            _("Coverage period (months)"),
            1,
            24,
            3,
            key=key("months", dataset),
            persist_state="session",
        )
        target = c3.number_input(
            _("Target for the period ({currency})").format(currency=data.currency(dataset)), 0.0, 1e15, 0.0, step=10_000.0,
            key=key("target", dataset), persist_state="session", help=_("0: what was won in the same number of months before."),
        )  # fmt: skip
        tolerance = c4.slider(
            _("Bias tolerance"), 0.0, 0.5, 0.15, 0.05, key=key("tolerance", dataset), persist_state="session",
            help=_("A rep whose forecast / won is above 1 + this is optimistic, below 1 - this pessimistic."),
        )  # fmt: skip
    return PipelineSettings(
        probability_source=source,
        stage_probabilities=_edits(dataset),
        target=float(target),
        horizon_months=int(months),
        bias_tolerance=float(tolerance),
    )


def _edits(dataset: Dataset) -> tuple[tuple[str, float], ...]:
    """Stage probabilities typed into the Funnel tab's editor (percent -> share)."""
    edited = st.session_state.get(key("editor", dataset), {}).get("edited_rows", {})
    order = _order(dataset, dataset.fingerprint)
    out = []
    for row, change in sorted(edited.items()):
        value = change.get("Used (%)")
        if value is not None and int(row) < len(order):
            out.append((order[int(row)], min(max(float(value), 0.0), 100.0) / 100))
    return tuple(out)


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _analyse(
    _inputs: AnalysisInputs,
    fingerprint_: str,
    currency: str,
    settings: PipelineSettings,
    clv_key: float = -1.0,
) -> PipelineResult:
    # A resource: shared, not copied per rerun; nothing on the page mutates the result.
    return run_pipeline(_inputs, settings)


def _inputs(dataset: Dataset) -> tuple[AnalysisInputs, float]:
    """The analysis inputs with the opportunities, and the CLV page's values where it ran on this
    dataset (won deals show them), with a key that tells CLV results apart for the cache."""
    clv = session.read(session.CLV_CUSTOMERS, dataset, ["clv"])
    inputs = dataclasses.replace(
        data.analysis_inputs(dataset), opportunities=dataset.opportunities, clv=clv
    )
    return inputs, (-1.0 if clv is None else float(clv["clv"].sum()) + len(clv))


def analyse(dataset: Dataset, settings: PipelineSettings) -> PipelineResult:
    inputs, clv_key = _inputs(dataset)
    try:
        with st.spinner(_("Forecasting the pipeline…")):
            result = _analyse(
                inputs, dataset.fingerprint, data.currency(dataset), settings, clv_key
            )
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/error:")
        st.stop()
    session.publish(session.PIPELINE, dataset, result)  # the Scorecard's leading indicators
    return result


def pipeline_for_scorecard(dataset: Dataset) -> PipelineResult | None:
    """The page's result as last shown, else the pipeline at its defaults; None without
    opportunities or when they cannot be analysed."""
    if dataset.opportunities is None:
        return None
    shown = session.read(session.PIPELINE, dataset)
    if shown is not None:
        return shown
    inputs, clv_key = _inputs(dataset)
    try:
        with st.spinner(_("Forecasting the pipeline…")):
            return _analyse(
                inputs, dataset.fingerprint, data.currency(dataset), PipelineSettings(), clv_key
            )
    except CvmError:
        return None


def _money(value: float | None, result: PipelineResult) -> str:
    return formatting.money_short(value, result.currency)


def show_headline(result: PipelineResult) -> None:
    cover = result.coverage
    cols = st.columns(4)
    cols[0].metric(_("Weighted pipeline"), _money(result.weighted_total, result),
                   help=_("Amount x probability over the open opportunities; probabilities {source}.").format(
                       source=result.source_label))  # fmt: skip
    cols[1].metric(_("Open pipeline"), _money(float(result.pipeline["amount"].sum()), result),
                   help=formatting.counted(len(result.pipeline), "open opportunity", plural="open opportunities"))  # fmt: skip
    ratio = "–" if cover.ratio is None else f"{formatting.number(cover.ratio, 1)}x"
    cols[2].metric(_("Coverage"), ratio,
                   help=_("Open pipeline expected by {end} / target {target} ({source}).").format(
                       end=formatting.date(cover.end), target=_money(cover.target, result), source=cover.target_source))  # fmt: skip
    team = result.team
    cols[3].metric(_("Forecast accuracy"), formatting.pct(team.get("accuracy"), 0) if team else "–",
                   help=_("1 - monthly misses / won, all reps together; bias (forecast / won) {bias}.").format(
                       bias=formatting.number(team["bias"], 2) if team and team.get("bias") == team.get("bias") else "–"))  # fmt: skip
    st.caption(
        formatting.escape_markdown(
            _(
                "As of {date} · amounts in {currency} · probabilities {source} · target {target} "
                "({target_source})."
            ).format(
                date=formatting.date(result.as_of),
                currency=result.currency,
                source=result.source_label,
                target=_money(cover.target, result),
                target_source=cover.target_source,
            )
        )
    )
    for note in result.notes:
        st.info(formatting.escape_markdown(i18n.shown(note)))


def _labelled(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return frame[list(names)].rename(columns=names)


def _chart(chart, takeaway: str, table: pd.DataFrame) -> None:
    """A chart with its takeaway: escaped on the page (stage and rep names come from the file),
    as written on the slide."""
    show_chart(chart, formatting.escape_markdown(takeaway), takeaway=takeaway, data=table)


def show_forecast(result: PipelineResult) -> None:
    _chart(
        charts.forecast_chart(result), takeaways.forecast(result), result.by("close_month", "stage")
    )
    money = f"({result.currency})"
    left, right = st.columns(2)
    names = {
        "opportunities": _("Open"),
        "amount": _("Amount") + f" {money}",
        "weighted": _("Weighted") + f" {money}",
    }
    with left:
        st.markdown("**" + _("By sales rep") + "**")
        show_table(_labelled(result.by("owner"), {"owner": _("Sales rep"), **names}),
                   hide_index=True, width="stretch")  # fmt: skip
    with right:
        st.markdown("**" + _("By stage") + "**")
        by_stage = result.by("stage").set_index("stage").reindex(result.stages.index).dropna()
        show_table(_labelled(by_stage.reset_index(), {"stage": _("Stage"), **names}),
                   hide_index=True, width="stretch")  # fmt: skip
    csv_and_excel(result.pipeline, "open_pipeline", f"{KEY}.open", _("Open opportunities"))


def show_funnel(result: PipelineResult, dataset: Dataset) -> None:
    _chart(charts.funnel_chart(result), takeaways.funnel(result), result.funnel)
    st.markdown(_("**Stage probabilities** — type over *Used* to change a stage's probability."))
    table = result.stages.reset_index()
    shown = pd.DataFrame(
        {
            "Stage": table["stage"],
            "From the file (%)": (100 * table["file"]).round(1),
            "Learned (%)": (100 * table["learned"]).round(1),
            "Used (%)": (100 * table["used"]).round(1),
            "Median days in stage": result.funnel["median_days"].to_numpy(),
        }
    )
    edit_table(
        shown, key=key("editor", dataset), hide_index=True, width="stretch",
        disabled=[c for c in shown.columns if c != "Used (%)"],
        column_config={
            "Stage": _("Stage"), "From the file (%)": _("From the file (%)"), "Learned (%)": _("Learned (%)"),
            "Used (%)": st.column_config.NumberColumn(_("Used (%)"), min_value=0.0, max_value=100.0),
            "Median days in stage": _("Median days in stage"),
        },
    )  # fmt: skip
    st.caption(
        _(
            "Learned: of the closed opportunities that reached a stage (seen there in the history, "
            "or won), the share that was won. Time in stage is measured between snapshots."
        )
    )


def show_accuracy(result: PipelineResult) -> None:
    if result.reps is None:
        st.info(result.history_message, icon=":material/info:")
        return
    _chart(charts.bias_chart(result), takeaways.bias(result), result.reps)
    reps = result.reps.assign(
        verdict=result.reps["verdict"].map(lambda v: _(charts.VERDICT_NAMES.get(v, v))),
        bias=result.reps["bias"].map(lambda b: f"{formatting.number(b, 2)}x" if b == b else "–"),
        accuracy=result.reps["accuracy"].map(lambda a: formatting.pct(a, 0)),
        over_share=result.reps["over_share"].map(lambda a: formatting.pct(a, 0)),
    )
    money = f"({result.currency})"
    show_table(_labelled(reps, {
        "owner": _("Sales rep"), "verdict": _("Verdict"), "bias": _("Forecast / won"), "accuracy": _("Accuracy"),
        "over_share": _("Months over-forecast"), "months": _("Months"), "forecast": _("Forecast") + f" {money}",
        "won": _("Won") + f" {money}",
    }), hide_index=True, width="stretch")  # fmt: skip
    csv_and_excel(
        result.monthly, "forecast_vs_won", f"{KEY}.monthly", _("Forecast vs won by month")
    )


def show_won(result: PipelineResult) -> None:
    won = result.won
    matched = int(won["in_transactions"].sum())
    st.caption(
        (
            _(
                "{matched} of {deals} belong to a customer in the transactions: their purchases since "
                "the deal closed sit beside it with their CLV (CLV page)."
            )
            if "clv" in won
            else _(
                "{matched} of {deals} belong to a customer in the transactions: their purchases since "
                "the deal closed sit beside it; fit the CLV page to see their CLV."
            )
        ).format(matched=formatting.count(matched), deals=formatting.counted(len(won), "won deal"))
    )
    money = f"({result.currency})"
    show_table(_labelled(won, {
        "opportunity_id": _("Opportunity"), "customer_id": _("Customer"), "owner": _("Sales rep"),
        "amount": _("Won") + f" {money}", "closed_on": _("Closed"), "first_purchase": _("First purchase"),
        "revenue_since_close": _("Revenue since close") + f" {money}",
        **({"clv": f"CLV {money}"} if "clv" in won else {}),
    }), hide_index=True, width="stretch")  # fmt: skip
    csv_and_excel(result.won, "won_deals", f"{KEY}.won", _("Won deals"))
    if len(result.rejected):
        st.warning(
            _("{rows} left out.").format(
                rows=formatting.counted(len(result.rejected), "opportunity row")
            ),
            icon=":material/warning:",
        )
        csv_and_excel(
            result.rejected, "opportunity_rows_left_out", f"{KEY}.rejected", _("Rows left out")
        )
