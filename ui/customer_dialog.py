"""The one-customer dialog: opened from a customer list or the sidebar's search box.

It reads the results the pages published (the Whale page's cost model, the CLV page's values,
the Segments page's segments, the Retention page's churn rule) and shows what is there; a page
not opened yet leaves its part out with a word on how to add it, nothing is recomputed with other
settings. The customer's P&L comes from the same cached analysis as the Whale page, so it
reconciles with that page's figure for them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.clv.value_matrix import value_matrix
from cvm_core.analyses.customer_view import (
    MAX_MATCHES,
    CustomerView,
    customer_view,
    search_customers,
)
from cvm_core.analyses.inputs import dataset_source
from cvm_core.errors import CvmError
from cvm_core.i18n import _
from cvm_core.intake.dataset import Dataset
from ui import data, session
from ui.tables import show_table

SEARCH = "cvm.customer.search"
"""The sidebar's customer search box."""


def build_view(dataset: Dataset, customer_id: str) -> CustomerView:
    """The customer's view from this session's published results."""
    from ui import retention as retention_view
    from ui import whale as whale_view

    pnl = whale_view.cached_analysis(dataset, whale_view.model_in_use(dataset)).result
    clv = session.read(session.CLV_CUSTOMERS, dataset, ("clv", "p_alive", "tier"))
    quadrants = None
    if clv is not None:
        matrix = value_matrix(pnl.pnl["profit"], clv["clv"])
        quadrants = matrix.customers["quadrant"]
    segments = session.read(session.SEGMENTS, dataset)
    rule = retention_view.churn_rule(dataset)
    next_best = (
        segments["next_best_category"]
        if segments is not None and "next_best_category" in segments
        else None
    )
    return customer_view(
        customer_id, dataset_source(dataset).customer_rows(customer_id), data.customer_summary(dataset),
        data.observation_end(dataset), customers=dataset.customers, pnl=pnl, clv=clv,
        quadrants=quadrants, segments=segments, rule=rule, next_best=next_best,
    )  # fmt: skip


def show_customer(dataset: Dataset, customer_id: str) -> None:
    """The 360-degree view of one customer, in a dialog titled in the session's language (a
    decorator's title would be fixed at import)."""
    st.dialog(_("Customer"), width="large")(_customer)(dataset, customer_id)


def _customer(dataset: Dataset, customer_id: str) -> None:
    currency = data.currency(dataset)
    try:
        view = build_view(dataset, customer_id)
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/person_off:")
        return
    heading = view.customer_id + (f" · {view.name}" if view.name else "")
    st.subheader(formatting.escape_markdown(heading))
    for line in view.story(currency):
        st.markdown(formatting.escape_markdown(line))
    _metrics(view, currency)
    months, costs, recent, about = st.tabs(
        [
            _("Purchases by month"),
            _("Cost-to-serve"),
            _("Latest purchases"),
            _("Attributes and segment"),
        ]
    )
    with months:
        _monthly_chart(view, currency)
    with costs:
        _costs(view, currency)
    with recent:
        show_table(view.purchases, hide_index=True, width="stretch")
    with about:
        _about(view)


def _metrics(view: CustomerView, currency: str) -> None:
    money = formatting.money
    c1, c2, c3, c4 = st.columns(4)
    if view.pnl is not None:
        c1.metric(_("Operating profit to date"), money(view.pnl["profit"], currency),
                  help=_("As on the Whale Curve page: gross margin - cost-to-serve."))  # fmt: skip
    if view.value is not None:
        c2.metric(_("CLV (future profit)"), money(view.value["clv"], currency))
        c3.metric(_("P(alive)"), formatting.pct(view.value["p_alive"], 0))
    else:
        c2.caption(_("CLV and P(alive): open the Customer Lifetime Value page first."))
    if view.status is not None:
        c4.metric(_("Status"), view.status["status"])


def _monthly_chart(view: CustomerView, currency: str) -> None:
    if view.monthly.empty:
        st.info(_("No purchases in the period."))
        return
    revenue = _("Net revenue ({currency})").format(currency=currency)
    chart = (
        alt.Chart(view.monthly)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title=_("Month")),
            y=alt.Y("net_revenue:Q", title=revenue),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=_("Month")),
                alt.Tooltip("net_revenue:Q", title=revenue, format=",.2f"),
                alt.Tooltip("orders:Q", title=_("Orders")),
            ],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")


def _costs(view: CustomerView, currency: str) -> None:
    if view.costs is None or view.costs.empty:
        st.info(_("No cost-to-serve assigned to this customer."))
        return
    cost = _("Cost ({currency})").format(currency=currency)
    table = pd.DataFrame({_("Activity"): view.costs.index, cost: view.costs.to_numpy()})
    show_table(table, hide_index=True, width="stretch",
               column_config={cost: st.column_config.NumberColumn(format="%.2f")})  # fmt: skip


def _about(view: CustomerView) -> None:
    rows = {**view.attributes, **view.segment}
    if view.next_best:
        rows[_("Next best category")] = view.next_best
    if not rows:
        st.info(_("No attributes or segment yet: open the Segments page, or add a customer table."))
        return
    frame = pd.DataFrame({"": list(rows), _("Value"): [str(v) for v in rows.values()]})
    show_table(frame, hide_index=True, width="stretch")


def selectable_table(frame: pd.DataFrame, ids: pd.Series, dataset: Dataset, key: str, **kwargs):
    """A read-only table whose rows open the customer they show (``ids``: the row's customer)."""
    from ui.tables import show_table

    event = show_table(frame, on_select="rerun", selection_mode="single-row", key=key, **kwargs)
    open_on_select(event, ids, dataset, key)
    return event


def open_on_select(event, ids: pd.Series, dataset: Dataset, key: str) -> None:
    """Open the dialog for the row just selected in a table (``st.dataframe`` with
    ``on_select="rerun"``); a selection already opened does not reopen it on the next rerun."""
    rows = list(event.selection.rows) if event is not None else []
    picked = str(ids.iloc[rows[0]]) if rows else None
    seen = f"{key}.opened"
    if picked is not None and st.session_state.get(seen) != picked:
        st.session_state[seen] = picked
        show_customer(dataset, picked)
    elif picked is None:
        st.session_state.pop(seen, None)


def search_box(dataset: Dataset) -> None:
    """The sidebar's 'Open a customer' box: an id, or part of an id or a name."""
    query = st.text_input(_("Open a customer (id or name)"), key=SEARCH, persist_state="session", placeholder="e.g. C01160, Hotel",
                          help=_("Shows one customer's purchases, P&L, value and status."))  # fmt: skip
    if not query:
        return
    names = data.customer_names(dataset)
    found = search_customers(data.customer_summary(dataset).index, names, query)
    if not found:
        st.caption(_("No customer's id or name contains '{query}'.").format(
            query=formatting.escape_markdown(query)))  # fmt: skip
        return
    picked = found[0]
    if len(found) > 1:
        more = len(found) == MAX_MATCHES
        picked = st.selectbox(
            _("Which one?") + (" " + _("(the first {n}: type more to narrow it down)").format(n=MAX_MATCHES) if more else ""),
            found, key=f"{SEARCH}.pick", persist_state="session",
            format_func=lambda c: c if names is None or c not in names.index else f"{c} · {names[c]}",
        )  # fmt: skip
    if st.button(_("Open customer"), key=f"{SEARCH}.open", icon=":material/person_search:"):
        show_customer(dataset, picked)
