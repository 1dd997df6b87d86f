"""Widgets, cached calls and renderers of the Profitability Whale Curve page.

The customer P&L is cached as a resource keyed on the dataset fingerprint, the global settings and
the cost model (activity table, small-order threshold, margin): it is read-only, and a slider move
must not unpickle it again. The what-if section is a fragment, so moving a lever reruns only that
section, and it only does vectorised arithmetic on the cached P&L.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.inputs import AnalysisInputs, dataset_source
from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import analysis as profitability_analysis
from cvm_core.analyses.profitability import charts, drilldown, takeaways
from cvm_core.analyses.profitability import drivers as profitability_drivers
from cvm_core.analyses.profitability import pnl as profitability
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.profitability import slides as profitability_slides
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Nn_, _
from cvm_core.intake.dataset import Dataset
from ui import customer_dialog, data, downloads, session, uploads
from ui import whale_filters as filters
from ui.charts import built_once, show_chart
from ui.tables import edit_table, show_table

_KEY = "whale"
MONEY = "%,.2f"
"""Money in tables: thousands separators and cents, the currency in the column header."""
COUNT = "%,.0f"
PERCENT = "%.1f%%"
"""Shares in tables, after :func:`as_percent` (Streamlit's "percent" varies the decimals)."""
ORDER_SIZE = "Order size (average order value)"
GROUPINGS = (
    N_("Main channel"),
    N_("Order size (average order value)"),
    N_("Value tier (CLV)"),
    N_("RFM segment"),
)
"""The ways to split customers named by cvm_core's drilldown.grouping_options, for the catalogs:
the option stays English (the code and the address bar use it), the label shown is translated."""
ACTIVITIES = Nn_("activity", "activities")


# --- cost model ----------------------------------------------------------------------------------


def _key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{_KEY}.{name}", dataset)


def activity_table_key(dataset: Dataset) -> str:
    """Session key of the activity table the editor starts from (tests pre-fill it)."""
    return _key("base", dataset)


def _activity_upload(dataset: Dataset) -> None:
    """Replace the editor's table with one read from a file (once per file)."""
    upload = st.file_uploader(
        _("Load an activity table (CSV or Excel)"), type=uploads.accepted(uploads.ACTIVITY_FILES), key=_key("upload", dataset),
        help=_("Columns: Activity, Cost driver, Cost per driver unit; for time-driven costing also "
        "Minutes per driver unit and Cost per minute. Save the table below to get a template."),
    )  # fmt: skip
    if upload is None:
        return
    raw = upload.getvalue()
    digest = f"{upload.name}:{hash(raw)}"
    if st.session_state.get(_key("loaded", dataset)) == digest:
        return
    st.session_state[_key("loaded", dataset)] = digest
    try:
        table = profitability_activities.read_activity_table(raw, upload.name)
    except CvmError as error:
        st.error(formatting.escape_markdown(_("Could not use '{name}': {error}").format(name=upload.name, error=i18n.error_text(error))),
                 icon=":material/error:")  # fmt: skip
        return
    _set_base(dataset, table)
    st.toast(_("Loaded {activities} from {name}").format(
                 activities=formatting.counted(len(table), ACTIVITIES, plural="activities"),
                 name=formatting.escape_markdown(upload.name)),
             icon=":material/check_circle:")  # fmt: skip


def _set_base(dataset: Dataset, table: pd.DataFrame) -> None:
    st.session_state[activity_table_key(dataset)] = table
    st.session_state[_key("valid", dataset)] = table
    st.session_state[_key("version", dataset)] = (
        st.session_state.get(_key("version", dataset), 0) + 1
    )


@st.cache_data(max_entries=4, ttl="2h", show_spinner=False)
def _available_drivers(_dataset: Dataset, fingerprint: str) -> list[str]:
    # Cached: listing the channels reads every row (72 ms at 1M rows; a query for a large file).
    return profitability_drivers.available_drivers(dataset_source(_dataset), _dataset.cost_to_serve)


@st.cache_data(max_entries=4, ttl="2h", show_spinner=False)
def _default_table(_dataset: Dataset, fingerprint: str) -> pd.DataFrame:
    return profitability.default_activity_table(dataset_source(_dataset))


def default_table(dataset: Dataset) -> pd.DataFrame:
    """The default rates plus an assumed (average) rate for each channel they do not price."""
    return _default_table(dataset, dataset.fingerprint)


def _editor(dataset: Dataset, drivers: list[str], currency: str) -> pd.DataFrame:
    base = st.session_state.get(activity_table_key(dataset))
    if base is None:
        base = default_table(dataset)
    options = list(dict.fromkeys([*drivers, *base["driver"].dropna().astype(str)]))
    money = _("{currency} per driver unit").format(currency=currency)
    edited = edit_table(
        base,
        key=f"{_key('editor', dataset)}.{st.session_state.get(_key('version', dataset), 0)}",
        num_rows="dynamic",
        hide_index=True,
        height=35 * (len(base) + 2) + 3,  # every activity visible, plus the row for a new one
        column_config={
            "activity": st.column_config.TextColumn(_("Activity"), required=True, width="medium"),
            "driver": st.column_config.SelectboxColumn(_("Cost driver"), options=options, required=True, width="medium"),
            "cost_per_unit": st.column_config.NumberColumn(_("Cost per driver unit"), min_value=0.0, format="%.2f", help=money),
            "minutes_per_unit": st.column_config.NumberColumn(
                _("Minutes per driver unit"), min_value=0.0, format="%.1f",
                help=_("Time-driven costing: minutes of work per driver unit (then the cost per unit is ignored)."),
            ),
            "cost_per_minute": st.column_config.NumberColumn(
                _("Cost per minute"), min_value=0.0, format="%.2f",
                help=_("{currency} per minute of the resource.").format(currency=currency),
            ),
        },
    )  # fmt: skip
    try:
        table = profitability_activities.activity_table(edited)
    except CvmError as error:
        st.error(
            f"{i18n.error_text(error)} " + _("Until this is fixed the last valid table is used."),
            icon=":material/error:",
        )
        valid = st.session_state.get(_key("valid", dataset))
        return default_table(dataset) if valid is None else valid
    st.session_state[_key("valid", dataset)] = table
    return table


def _assumed_note(table: pd.DataFrame, currency: str) -> None:
    """Say which channels are charged an assumed rate: a guess must not pass for a real rate."""
    assumed = profitability_activities.assumed_channel_rates(table)
    if not assumed:
        return
    listed = ", ".join(
        formatting.escape_markdown(
            _("{channel} ({rate}/order)").format(
                channel=channel, rate=formatting.money(rate, currency, 2)
            )
        )
        for channel, rate in assumed.items()
    )
    st.info(
        _(
            "No rate of their own for orders via {channels}: they are charged the average rate of "
            "the priced channels, weighted by their orders. Replace it with your rate in the table "
            "(the rows marked 'assumed')."
        ).format(channels=listed),
        icon=":material/info:",
    )


def cost_model_form(dataset: Dataset) -> CostModel:
    """Activity table editor (with load/save/reset), small-order threshold and margin setting."""
    currency = data.currency(dataset)
    drivers = _available_drivers(dataset, dataset.fingerprint)
    st.caption(
        _(
            "Each activity's cost is its driver volume times the cost per driver unit (or, "
            "time-driven, minutes per unit x cost per minute). Default rates are calibrated for the "
            "demo data: replace them with rates from your books (in {currency}). Drivers available "
            "here: {drivers}."
        ).format(currency=currency, drivers=", ".join(drivers))
    )
    _activity_upload(dataset)
    table = _editor(dataset, drivers, currency)
    _assumed_note(table, currency)
    left, middle, right = st.columns(3)
    threshold = left.number_input(
        _("Small-order threshold ({currency})").format(currency=currency), min_value=0.0, value=profitability_activities.SMALL_ORDER_THRESHOLD,
        step=5.0, key=_key("threshold", dataset), persist_state="session", help=_("Orders with a gross value below this count as 'Small orders'."),
    )  # fmt: skip
    has_cost = dataset.has("cost")
    margin = middle.slider(
        _("Gross margin for cost of goods (%)"), 0, 90, int(profitability_activities.DEFAULT_GROSS_MARGIN * 100),
        key=_key("margin", dataset), persist_state="session", disabled=has_cost,
        help=_("Used only where the data has no cost-of-goods column: cost of goods = net revenue x (1 - margin)."),
    )  # fmt: skip
    if right.button(
        _("Reset to default rates"), icon=":material/restart_alt:", key=_key("reset", dataset)
    ):
        _set_base(dataset, default_table(dataset))
        st.rerun()
    frame = profitability_activities.activity_table_for_export(table)
    downloads.csv_and_excel(
        frame, "activity_table", "whale.activities.dl", _("Save the activity table")
    )
    settings = profitability_activities.CostModelSettings(float(threshold), margin / 100)
    return CostModel.from_table(table, settings)


# --- the cached analysis -------------------------------------------------------------------------


@st.cache_resource(max_entries=6, ttl="2h", show_spinner=False)  # the caller's, translated
def _analysis(
    _inputs: AnalysisInputs,
    fingerprint: str,
    unit: str,
    end: dt.date,
    model: CostModel,
    currency: str,
) -> profitability_analysis.WhaleAnalysis:
    return profitability_run.run(_inputs, model)


def default_model(dataset: Dataset) -> CostModel:
    """The cost model :func:`cost_model_form` returns before the user touches it (kept per
    dataset: the CLV page, the assumptions strip and the customer dialog ask on every rerun)."""
    return _default_model(dataset, dataset.fingerprint)


@st.cache_resource(max_entries=8, ttl="2h", show_spinner=False)  # immutable: shared, not copied
def _default_model(_dataset: Dataset, fingerprint: str) -> CostModel:
    settings = profitability_activities.CostModelSettings(
        float(profitability_activities.SMALL_ORDER_THRESHOLD),
        int(profitability_activities.DEFAULT_GROSS_MARGIN * 100) / 100,  # the slider's whole %
    )
    table = profitability_activities.activity_table(default_table(_dataset))
    return CostModel.from_table(table, settings)


def model_in_use(dataset: Dataset) -> CostModel:
    """The cost model the pages cost customers with: this page's once it has run on the
    dataset, else the one it starts with. One model, so one cached P&L serves every page (the
    core's CostModel() gives the same figures under another cache key)."""
    published = session.read(session.COST_MODEL, dataset)
    return published if published is not None else default_model(dataset)


def default_job(dataset: Dataset) -> Callable[[], object]:
    """The page's first analysis as a call for the background prefetch (ui/prefetch.py), through
    the same cache the page reads. The default table is made in the call: it costs a pass over
    the orders, which the page's run should not wait for."""
    inputs = data.analysis_inputs(dataset)
    key = (dataset.fingerprint, inputs.unit, inputs.observation_end.date())
    return lambda: _analysis(inputs, *key, default_model(dataset), inputs.currency)


def cached_analysis(dataset: Dataset, model: CostModel) -> profitability_analysis.WhaleAnalysis:
    """The cached P&L and whale curve under ``model``, without publishing anything (the CLV page
    reads its cost-to-serve from here, so a P&L the Whale page made is not computed again)."""
    inputs = data.analysis_inputs(dataset)
    end = inputs.observation_end.date()
    key = (dataset.fingerprint, inputs.unit, end, model, inputs.currency)
    return data.with_spinner(
        _("Costing every customer's activities…"),
        ("whale.analysis", *key),
        lambda: _analysis(inputs, *key),
    )


def analysis(dataset: Dataset, model: CostModel) -> profitability_analysis.WhaleAnalysis:
    """:func:`cached_analysis`, also published for the Scorecard (session.WHALE_PNL), and its
    cost model for the CLV page's cost-to-serve (session.COST_MODEL)."""
    result = cached_analysis(dataset, model)
    session.publish(session.WHALE_PNL, dataset, profitability_run.shared_pnl(result))
    session.publish(session.COST_MODEL, dataset, model)
    return result


def tiers(dataset: Dataset) -> pd.Series | None:
    """CLV value tier per customer, when the CLV page has run on this dataset."""
    return session.read_column(session.CLV_CUSTOMERS, dataset, "tier")


def segments(dataset: Dataset) -> pd.Series | None:
    """RFM segment per customer, when the Segments page has run on this dataset."""
    return session.read_column(session.SEGMENTS, dataset, "rfm_segment")


# --- downloads -----------------------------------------------------------------------------------


# --- rendering -----------------------------------------------------------------------------------


def _pct(share: float | None) -> str:
    return formatting.pct(share, 0) if share is not None else "–"


def as_percent(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy with shares (0.25) as percentages (25.0) for a :data:`PERCENT` column."""
    present = [c for c in columns if c in frame]
    return frame.assign(**{c: frame[c] * 100 for c in present})


def show_headline(result: profitability_analysis.WhaleAnalysis, currency: str) -> None:
    """Five key figures and the one-sentence reading of the curve."""
    s = result.curve.summary
    money = formatting.money_short
    cols = st.columns(5)
    cols[0].metric(_("Operating profit"), money(s.total_profit, currency),
                   help=_("Revenue - returns - cost of goods - cost-to-serve, all customers."))  # fmt: skip
    cols[1].metric(_("Peak of the curve"), _pct(s.peak_pct) if s.meaningful else money(s.peak_profit, currency),
                   help=_("Profit of all profitable customers, as % of total profit."))  # fmt: skip
    cols[1].caption(_("at {share} of customers").format(share=_pct(s.peak_share)))
    cols[2].metric(_("Unprofitable customers"), _pct(s.unprofitable_share),
                   help=_("Customers whose cost-to-serve exceeds their gross margin."))  # fmt: skip
    cols[2].caption(
        _("{part} of {total}").format(
            part=formatting.count(s.unprofitable), total=formatting.count(s.customers)
        )
    )
    cols[3].metric(_("Profit lost in the tail"), money(s.tail_loss, currency),
                   help=_("Sum of the losses of all loss-making customers."))  # fmt: skip
    cols[4].metric(_("Top {share} earn").format(share=_pct(s.top_share)), _pct(s.top_profit_pct) if s.meaningful else money(s.top_profit, currency),
                   help=_("Profit of the most profitable fifth of customers, as % of total profit."))  # fmt: skip
    if s.meaningful:
        st.markdown(s.explanation(currency))
    else:
        st.warning(s.explanation(currency), icon=":material/warning:")


def show_curve(
    result: profitability_analysis.WhaleAnalysis, currency: str
) -> tuple[float, float] | None:
    """The whale curve, selectable; returns the selected range of customer shares, if any."""
    s = result.curve.summary
    caption = _("Each point adds one more customer, most profitable first.")
    if s.meaningful and not s.all_profitable:
        caption += " " + _(
            "The curve peaks where the profitable customers end; the drop after the peak is the "
            "profit the loss-makers destroy. The top {share} of customers already earn 100% of the "
            "profit: everyone after them breaks even as a group."
        ).format(share=_pct(s.break_even_share))
    caption += " " + _(
        "Drag across the curve to select a slice of customers and break it down below."
    )
    slide = built_once(
        "whale.curve", lambda: profitability_slides.whale_slide(result, currency), result, currency
    )
    event = show_chart(
        slide.chart, caption, name=slide.title, data=result.chart, takeaway=slide.takeaway,
        selection=alt.selection_interval(name=filters.SLICE.name, encodings=["x"]), key=filters.SLICE.widget_key(),
    )  # fmt: skip
    for note in result.result.notes:
        st.info(formatting.escape_markdown(i18n.shown(note)), icon=":material/info:")
    return filters.span_from(filters.SLICE.text(event))


def show_slice(
    result: profitability_analysis.WhaleAnalysis,
    span: tuple[float, float],
    dataset: Dataset,
    currency: str,
) -> None:
    """The customers of the selected slice of the curve: totals, a breakdown by any attribute,
    the list as a download; the active filter shown as a chip that removes it."""
    ids = drilldown.curve_slice(result.curve, *span)
    filters.SLICE.chip(
        _("Slice: customers {start} to {end} of the curve").format(
            start=_pct(span[0]), end=_pct(span[1])
        ),
        "whale.slice.clear",
    )
    if ids.empty:
        st.info(_("The selection covers no customer: drag across a wider part of the curve."))
        return
    pnl = result.result.pnl
    s = drilldown.slice_summary(pnl, ids)
    money = formatting.money_short
    cols = st.columns(4)
    cols[0].metric(_("Customers in the slice"), formatting.count(s["customers"]),
                   help=_("{share} of all customers").format(share=_pct(s["customer_share"])))  # fmt: skip
    cols[1].metric(_("Net revenue"), money(s["net_revenue"], currency))
    cols[2].metric(_("Cost-to-serve"), money(s["cost_to_serve"], currency))
    cols[3].metric(_("Operating profit"), money(s["profit"], currency),
                   help=_("{share} of total profit").format(share=_pct(s["profit_share"])))  # fmt: skip
    options = drilldown.grouping_options(pnl, dataset.customers, tiers(dataset), segments(dataset))
    by = st.selectbox(
        _("Break the slice down by"),
        list(options),
        format_func=_,
        key=_key("slice_by", dataset),
        persist_state="session",
    )
    table = profitability.profit_by(pnl.loc[ids], options[by].reindex(ids))
    show_table(as_percent(table, list(GROUP_SHARES)), hide_index=True, width="stretch",
               column_config=_group_columns(by, currency))  # fmt: skip
    sliced = dataclasses.replace(
        result.result, pnl=pnl.loc[ids], activity_costs=result.result.activity_costs.loc[ids]
    )
    downloads.csv_and_excel(profitability.customer_pnl_table(sliced, dataset.customers),
                            "whale_slice_customers", "whale.slice.dl", _("Customers of the slice"))  # fmt: skip


def show_cost_model_summary(result: profitability_analysis.WhaleAnalysis, currency: str) -> None:
    """Activity costs (chart + table) and the overall P&L to reconcile with the books."""
    r = result.result
    margin = (
        " " + _("({margin} gross margin)").format(margin=formatting.pct(r.gross_margin_setting, 0))
        if "margin" in r.cogs_source
        else ""
    )
    total = formatting.money(float(r.activities["cost"].sum()), currency)
    st.markdown(
        _("**Cost of goods** comes from the **{source}**{margin}. **Total cost-to-serve "
          "assigned: {total}**. Compare it with the matching cost lines of your books.").format(
            source=r.cogs_source, margin=margin, total=total)
    )  # fmt: skip
    left, right = st.columns([1, 1])
    with left:
        show_chart(
            charts.activity_cost_chart(r.activities, currency),
            _("Total cost assigned to customers by each activity over the period analysed."),
            name="Cost-to-serve by activity", data=profitability.readable(r.activities),
            takeaway=takeaways.activity_takeaway(r.activities, currency),
        )  # fmt: skip
    columns = [
        "activity",
        "driver",
        "method",
        "rate",
        "volume",
        "cost",
        "share",
        "customers",
        "status",
    ]
    table = r.activities[columns]
    with right:
        st.markdown(
            "**" + _("The P&L of all customers") + "**" + _(", to reconcile with your books")
        )
        statement = profitability.pnl_statement(r)
        show_table(
            statement, hide_index=True, width="stretch", height=35 * (len(statement) + 1) + 3,
            column_config={"line": _("Line"), "amount": st.column_config.NumberColumn(
                _("Amount ({currency})").format(currency=currency), format=MONEY), "basis": _("Basis")},
        )  # fmt: skip
    show_table(
        as_percent(table, ["share"]), hide_index=True, width="stretch",
        column_config={
            "activity": _("Activity"), "driver": _("Cost driver"), "method": _("Costing"),
            "rate": st.column_config.NumberColumn(_("Cost per unit ({currency})").format(currency=currency), format="%.2f"),
            "volume": st.column_config.NumberColumn(_("Driver volume"), format=COUNT),
            "cost": st.column_config.NumberColumn(_("Cost assigned ({currency})").format(currency=currency), format=MONEY),
            "share": st.column_config.NumberColumn(_("Share"), format=PERCENT),
            "customers": st.column_config.NumberColumn(_("Customers using it"), format=COUNT),
            "status": _("Note"),
        },
    )  # fmt: skip
    downloads.csv_and_excel(profitability.readable(table), "cost_to_serve_by_activity",
                  "whale.activity_totals.dl", _("Cost by activity"))  # fmt: skip


def show_customer_pnl_download(
    result: profitability_analysis.WhaleAnalysis, dataset: Dataset
) -> None:
    st.markdown(
        "**" + _("Customer P&L") + "**: " + _("one row per customer with every activity's cost.")
    )
    table = lambda: profitability.customer_pnl_table(result.result, dataset.customers)  # noqa: E731
    downloads.csv_and_excel(table, "customer_pnl", "whale.pnl.dl", _("Customer P&L"))


def show_loss_makers(
    result: profitability_analysis.WhaleAnalysis,
    dataset: Dataset,
    currency: str,
    only: filters.GroupPick | None = None,
) -> None:
    """The loss-makers (only those in the groups picked on the group chart, when given)."""
    r = result.result
    table = drilldown.loss_makers(r, dataset.customers)
    if only is not None:
        filters.group_filter(only.by).chip(only.label, "whale.group.clear.loss")
        table = table[table["customer_id"].isin(only.customer_ids)]
    if table.empty:
        st.success(_("No customer loses money with these rates."), icon=":material/check_circle:")
        return
    drivers = drilldown.loss_drivers(r)
    worst = drilldown.worst_customers_costs(r, 15)
    left, right = st.columns(2)
    with left:
        show_chart(
            charts.loss_drivers_chart(drivers, currency),
            _("Average cost-to-serve per customer: loss-makers (red) against profitable customers (green)."),
            name="Cost per customer by activity", data=drivers,
            takeaway=takeaways.loss_driver_takeaway(drivers, currency),
        )  # fmt: skip
    with right:
        show_chart(
            charts.worst_customers_chart(worst, currency),
            _("The customers losing most: their cost-to-serve by activity; the black tick is their gross margin."),
            name="Biggest loss-makers", data=worst,
            takeaway=takeaways.worst_customers_takeaway(worst, currency, result.curve.summary.total_profit),
        )  # fmt: skip
    if only is not None:
        heading = _("{count} loss-making customers in the picked groups")
    else:
        heading = _("{count} loss-making customers")
    heading = heading.format(count=formatting.count(len(table)))
    st.markdown("**" + heading + "**" + _(", worst first"))
    table = _with_future_value(table, dataset, currency)
    money_cols = {c: st.column_config.NumberColumn(f"{c} ({currency})", format=MONEY)
                  for c in r.activity_costs.columns}  # fmt: skip
    st.caption(
        _("Click a row to open that customer: purchases, P&L by activity, value and status.")
    )
    event = show_table(
        as_percent(table, ["biggest_cost_share"]), hide_index=True, width="stretch", height=360,
        on_select="rerun", selection_mode="single-row", key="whale.loss.table",
        column_config={
            "customer_id": _("Customer"), "customer_name": _("Name"), "main_channel": _("Main channel"),
            "orders": st.column_config.NumberColumn(_("Orders"), format=COUNT),
            "net_revenue": st.column_config.NumberColumn(_("Net revenue ({currency})").format(currency=currency), format=MONEY),
            "gross_margin": st.column_config.NumberColumn(_("Gross margin ({currency})").format(currency=currency), format=MONEY),
            "cost_to_serve": st.column_config.NumberColumn(_("Cost-to-serve ({currency})").format(currency=currency), format=MONEY),
            "profit": st.column_config.NumberColumn(_("Profit ({currency})").format(currency=currency), format=MONEY),
            "biggest_cost": _("Biggest cost"), "biggest_cost_share": st.column_config.NumberColumn(
                _("Its share of cost-to-serve"), format=PERCENT),
            "tier": _("CLV tier"), "clv": st.column_config.NumberColumn(
                _("Expected future profit, CLV ({currency})").format(currency=currency), format=MONEY),
            **money_cols,
        },
    )  # fmt: skip
    customer_dialog.open_on_select(event, table["customer_id"], dataset, "whale.loss.table")
    downloads.csv_and_excel(
        profitability.readable(table), "loss_making_customers", "whale.loss.dl", _("Loss-makers")
    )


def _with_future_value(table: pd.DataFrame, dataset: Dataset, currency: str) -> pd.DataFrame:
    """The loss-makers with their CLV tier and future profit once the CLV page has run, and why
    a loss-maker can sit in a top tier (its expected future profit outweighs today's loss)."""
    clv = session.read(session.CLV_CUSTOMERS, dataset, ["clv", "tier"])
    if clv is None:
        st.caption(_("Open the Customer Lifetime Value page to see which loss-makers are expected "
                   "to earn in future (their CLV, after the same cost-to-serve)."))  # fmt: skip
        return table
    table = table.join(clv[["tier", "clv"]], on="customer_id")
    table["tier"] = table["tier"].astype(str)
    earning = table["clv"] >= 0
    top_tiers = list(clv["tier"].cat.categories[:2])
    on_top = table["tier"].isin(top_tiers)
    if earning.any():
        st.info(
            _(
                "{count} of these loss-makers are expected to earn {amount} from now on (CLV after "
                "the same cost-to-serve): develop them rather than part with them"
            ).format(
                count=formatting.count(int(earning.sum())),
                amount=formatting.money_short(float(table.loc[earning, "clv"].sum()), currency),
            )
            + (
                _(
                    "; {count} are in the {tiers} tiers because their future profit outweighs "
                    "today's loss."
                ).format(
                    count=formatting.count(int((earning & on_top).sum())),
                    tiers=_(" and ").join(top_tiers),
                )
                if (earning & on_top).any()
                else "."
            ),
            icon=":material/trending_up:",
        )
    return table


def show_segments(
    result: profitability_analysis.WhaleAnalysis, dataset: Dataset, currency: str
) -> filters.GroupPick | None:
    """Each group's whale curve and operating profit; returns the groups clicked on the profit
    chart (they filter the loss-maker list)."""
    tier, segment = tiers(dataset), segments(dataset)
    options = drilldown.grouping_options(result.result.pnl, dataset.customers, tier, segment)
    default = list(options).index("Main channel") if "Main channel" in options else 0
    by = st.selectbox(
        _("Split customers by"),
        list(options),
        index=default,
        format_func=_,
        key=_key("group_by", dataset),
        persist_state="session",
    )
    if tier is None or segment is None:
        st.caption(
            _(
                "Value tiers appear here once the CLV page has run; RFM segments once the Segments "
                "page has."
            )
        )
    curves = drilldown.segment_curves(result.result.pnl, options[by], currency=currency)
    left, right = st.columns(2)
    with left:
        if curves.points.empty:
            st.info(
                _(
                    "No group makes a profit, so no group's curve can be drawn as a share of its "
                    "profit."
                )
            )
        else:
            show_chart(
                charts.segment_chart(curves.points, by),
                _("Each group's own whale curve: a high hump means a few customers carry the group."),
                name=f"Whale curves by {by}", data=curves.points,
                takeaway=takeaways.segment_curve_takeaway(curves.table),
            )  # fmt: skip
        for note in curves.notes:
            st.caption(note)
    group_filter = filters.group_filter(by)
    with right:
        event = show_chart(
            charts.profit_by_chart(curves.table, by, currency),
            _("Operating profit per group after cost-to-serve; red groups lose money. Click a bar "
              "to list only that group's loss-makers (shift-click for more)."),
            name=f"Operating profit by {by}", data=profitability.readable(curves.table),
            takeaway=takeaways.group_takeaway(curves.table, by, currency),
            selection=alt.selection_point(name=group_filter.name, fields=["group"]),
            key=group_filter.widget_key(),
        )  # fmt: skip
    picked = filters.picked_groups(group_filter.text(event), by, options[by])
    if picked is not None:
        group_filter.chip(picked.label, "whale.group.clear.groups")
        st.caption(_("{customers} in the picked groups; the 'Loss-making customers' tab lists "
                     "only theirs.").format(customers=formatting.counted(len(picked.customer_ids), "customer")))  # fmt: skip
    # Groups whose curve is not drawn have no peak: shown as "–", never as 0% or NaN. The other
    # shares are fractions: as percentages for the "%.1f%%" columns (19.0%, not 0.2%).
    shown = as_percent(curves.table, list(GROUP_SHARES)).assign(
        **{c: curves.table[c].map(_pct) for c in ("peak_pct", "peak_share")}
    )
    show_table(shown, hide_index=True, width="stretch", column_config=_group_columns(by, currency))
    downloads.csv_and_excel(profitability.readable(curves.table).rename(columns={"Group": by}),
                  "profit_by_group", "whale.groups.dl", _("Profit by group"))  # fmt: skip
    return picked


GROUP_SHARES = {
    "unprofitable_share": N_("Unprofitable"),
    "profit_share": N_("Share of total profit"),
    "cost_to_serve_share": N_("Cost-to-serve / revenue"),
}
"""The drill-down table's share columns (fractions in the core's table)."""


def _group_columns(by: str, currency: str) -> dict:
    money = {c: st.column_config.NumberColumn(f"{_(label)} ({currency})", format=MONEY) for c, label in (
        ("net_revenue", N_("Net revenue")), ("gross_margin", N_("Gross margin")), ("cost_to_serve", N_("Cost-to-serve")),
        ("profit", N_("Profit")), ("profit_per_customer", N_("Profit per customer")))}  # fmt: skip
    percent = {c: st.column_config.NumberColumn(_(label), format=PERCENT)
               for c, label in GROUP_SHARES.items()}  # fmt: skip
    counts = {c: st.column_config.NumberColumn(_(label), format=COUNT) for c, label in (
        ("customers", N_("Customers")), ("unprofitable", N_("Unprofitable customers")))}  # fmt: skip
    peaks = {
        "peak_pct": _("Curve peak (% of group profit)"),
        "peak_share": _("Peak at (% of group)"),
    }
    return {"group": _(by), **money, **percent, **counts, **peaks}


def show_profit_vs_revenue(result: profitability_analysis.WhaleAnalysis) -> None:
    points = result.chart
    if "cum_profit_pct" not in points or "cum_revenue_share" not in points:
        st.info(
            _(
                "This view needs positive total profit and revenue: with a total loss, a share of "
                "profit has no meaning. The whale curve above shows the profit in money instead."
            )
        )
        return
    show_chart(
        charts.profit_revenue_chart(points),
        _("Customers ranked by profit: how much of the revenue it takes to earn the profit. Where "
          "the curve moves right but falls, revenue is being bought at a loss."),
        name="Profit against revenue",
        data=points[["rank", "customer_share", "cum_revenue_share", "cum_profit_pct"]],
        takeaway=takeaways.revenue_takeaway(result.curve),
    )  # fmt: skip
