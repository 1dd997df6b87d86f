"""Profitability Whale Curve: which customers make money once the cost of serving them is counted."""

import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.errors import CvmError
from cvm_core.i18n import _
from ui import assumed, data, whale_whatif
from ui import whale as view

PAGE = "pages/whale_curve.py"

st.title(_("Profitability whale curve"))
st.caption(
    _(
        "Customer operating profit = revenue - returns - cost of goods - cost-to-serve, with "
        "cost-to-serve assigned by activity (orders, lines, returns, deliveries, calls, visits, "
        "terms). Ranking customers by that profit shows how much the loss-makers destroy."
    )
)

dataset = data.require_dataset()
currency = data.currency(dataset)

top = st.container()
with st.expander(_("Cost-to-serve model: activities and rates"), icon=":material/tune:"):
    model = view.cost_model_form(dataset)

try:
    result = view.analysis(dataset, model)
except CvmError as error:
    st.error(formatting.escape_markdown(i18n.error_text(error)), icon=":material/error:")
    st.stop()

with top:
    view.show_headline(result, currency)
    assumed.show_strip(assumed.page_assumptions(dataset, assumed.COST_TOPICS, model), here=PAGE)
    span = view.show_curve(result, currency)
    if span is not None:
        view.show_slice(result, span, dataset, currency)

st.subheader(_("Drill down"))
loss_tab, group_tab, revenue_tab, cost_tab = st.tabs(
    [
        _("Loss-making customers"),
        _("By channel, segment, order size"),
        _("Profit vs revenue"),
        _("Cost-to-serve & P&L"),
    ]
)
with group_tab:  # first: the groups clicked there filter the loss-maker list
    picked_groups = view.show_segments(result, dataset, currency)
with loss_tab:
    view.show_loss_makers(result, dataset, currency, picked_groups)
with revenue_tab:
    view.show_profit_vs_revenue(result)
with cost_tab:
    view.show_cost_model_summary(result, currency)
    view.show_customer_pnl_download(result, dataset)

st.subheader(_("What if: fixing the tail"))
st.caption(
    _(
        "Pick who the fixes apply to and move the levers: the new curve is drawn over today's, and "
        "the waterfall shows what each lever is worth. Assumptions are listed below the charts."
    )
)
whale_whatif.what_if(result, dataset)
