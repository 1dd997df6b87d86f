"""The CLV page's value views: the value matrix (profit to date x CLV) with both whale curves,
and new customers against their acquisition cost. Read-only renderers of results the page
computed (ui.clv caches them)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cvm_core import formatting
from cvm_core.analyses.clv import acquisition, charts
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.value_matrix import QUADRANTS, ValueMatrix
from cvm_core.i18n import _
from cvm_core.intake.dataset import Dataset
from ui import data, downloads
from ui.charts import show_chart
from ui.clv import cost_basis_words
from ui.tables import show_table

MATRIX_POINTS = 5000
"""Customers drawn in the value matrix chart (a random sample above this; the table and the
download have every customer)."""


def show_value_matrix(matrix: ValueMatrix | None, dataset: Dataset, currency: str) -> None:
    """Profit to date x CLV: the five cells with counts and money, both whale curves, the lists."""
    if matrix is None:
        st.info(
            _(
                "The value matrix sets each customer's profit to date against their expected future "
                "profit, both after cost-to-serve: switch on 'Deduct future cost-to-serve' above "
                "(it needs the transactions, so a customer summary file cannot show it)."
            ),
            icon=":material/info:",
        )
        return
    table = matrix.table
    cols = st.columns(len(table))
    for col, row in zip(cols, table.itertuples(), strict=True):
        col.metric(_(row.quadrant), formatting.count(row.customers), help=_(row.action))
        col.caption(
            _("CLV {clv} · to date {profit}").format(
                clv=formatting.money_short(row.future_value, currency),
                profit=formatting.money_short(row.profit_to_date, currency),
            )
        )
    curves = matrix.curves()
    show_chart(charts.value_curves_chart(curves, currency),
               _("Customers ranked by profit to date (today's whale curve) and by expected future profit "
               "(CLV): where the future curve peaks lower or earlier, tomorrow's value is more spread."),
               name="Whale curve today and tomorrow", data=curves,
               takeaway=matrix.future.summary.takeaway(currency))  # fmt: skip
    points = matrix.customers
    sampled = len(points) > MATRIX_POINTS
    if sampled:
        points = points.sample(MATRIX_POINTS, random_state=0)
    points = points.reset_index(names="customer_id").assign(
        quadrant=lambda f: [_(q) for q in f["quadrant"].astype(str)]
    )
    show_chart(charts.value_matrix_chart(points, currency, [_(q) for q in QUADRANTS]),
               _("Right = profitable so far, up = expected to be profitable from now on.") + " "
               + (_("A random {sample} of {customers}.").format(sample=formatting.count(MATRIX_POINTS),
                  customers=formatting.counted(len(matrix.customers), "customer"))
                  if sampled else _("Every customer.")),
               name="Value matrix", data=table, takeaway=matrix.takeaway(currency))  # fmt: skip
    shown = pd.DataFrame({
        _("Cell"): [_(q) for q in table["quadrant"]],
        _("Customers"): table["customers"].map(formatting.count),
        _("Share of customers"): table["customer_share"].map(lambda v: formatting.pct(v, 1)),
        _("Profit to date"): table["profit_to_date"].map(lambda v: formatting.money(v, currency)),
        _("Expected future profit (CLV)"): table["future_value"].map(lambda v: formatting.money(v, currency)),
        _("What to do"): [_(a) for a in table["action"]],
    })  # fmt: skip
    show_table(shown, hide_index=True, width="stretch")
    st.caption(_("Every customer with their cell:"))
    listed = matrix.customers.assign(quadrant=matrix.customers["quadrant"].astype(str))
    names = data.customer_names(dataset)
    if names is not None:
        listed.insert(0, "customer_name", names.reindex(listed.index).fillna("").astype(str))
    downloads.csv_and_excel(
        listed.reset_index(), "customer_value_matrix", "clv.dl.matrix", _("Value matrix")
    )


def show_acquisition(result: clv_values.CLVValues, dataset: Dataset, currency: str) -> None:
    """New customers' CLV against what it cost to win them, per acquisition channel."""
    if not dataset.has_transactions:
        return
    summary = data.customer_summary(dataset)
    table = acquisition.acquisition_view(
        result.customers["clv"], summary["first_purchase"], dataset.customers,
        data.observation_end(dataset),
    )  # fmt: skip
    st.markdown("**" + _("New customers: worth what they cost to win?") + "**")
    if table is None:
        st.caption(
            _(
                "Map an 'Acquisition cost' column in the customer table (Upload page) to set each "
                "new customer's CLV against what it cost to win them."
            )
        )
        return
    st.caption(acquisition.acquisition_takeaway(table, currency))
    shown = pd.DataFrame({
        _("Acquisition channel"): [_(c) if c == acquisition.ALL_CHANNELS else c for c in table["channel"]],
        _("New customers"): table["customers"].map(formatting.count),
        _("Acquisition cost per customer"): table["acquisition_cost"].map(lambda v: formatting.money(v, currency)),
        _("CLV per customer"): table["clv"].map(lambda v: formatting.money(v, currency)),
        _("CLV minus acquisition cost"): table["clv_minus_cost"].map(lambda v: formatting.money(v, currency)),
        _("CLV per unit of acquisition cost"): table["clv_per_cost"].map(lambda v: formatting.number(v, 2)),
    })  # fmt: skip
    show_table(shown, hide_index=True, width="stretch")
    st.caption(
        _(
            "New = first purchase in the {days} before the observation end, with an acquisition cost "
            "in the customer table; CLV as above ({basis})."
        ).format(
            days=formatting.counted(acquisition.NEW_CUSTOMER_DAYS, "day"),
            basis=cost_basis_words(result.cost_basis),
        )
    )
