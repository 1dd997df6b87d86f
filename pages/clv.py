"""Customer Lifetime Value: who is worth what over the coming months, who is probably gone, which
customers form the top tiers, and what a tiered treatment would be worth."""

import streamlit as st

from cvm_core import i18n
from cvm_core.errors import CvmError
from cvm_core.i18n import _
from ui import assumed, clv_acquisition, clv_intervals, clv_value, clv_whatif, data, tabs
from ui import clv as view

st.title(_("Customer lifetime value"))
st.caption(
    _(
        "Buy-till-you-die models (BG/NBD, Pareto/NBD, MBG/NBD) learn from each customer's number of "
        "repeat purchases, the time of the last one and their age how often customers buy and how likely "
        "they are to have left; Gamma-Gamma learns how much they spend. Checked on a holdout period."
    )
)
st.caption(_(view.FORMULA))

dataset = data.require_dataset(needs_transactions=False)  # works from a summary file too
currency = data.currency(dataset)

with st.container(border=True):
    fit_settings = view.fit_settings_form(dataset)
    value_settings = view.value_settings_form(dataset)

try:
    fitted = view.fit(dataset, fit_settings)
    values, base, matrix = view.values(dataset, fitted, value_settings)
except CvmError as error:
    st.error(i18n.error_text(error), icon=":material/error:")
    st.stop()

view.show_notes(fitted)
active = view.active_customers(dataset, fitted, values)
view.show_headline(values, fitted, currency, active)
assumed.show_strip(assumed.page_assumptions(dataset, view.assumed_topics(values)))

validation_tab, customers_tab, tiers_tab, matrix_tab = tabs.lazy_tabs(
    [_("Validation"), _("Customers"), _("Value tiers"), _("Value matrix")], key="clv.tab"
)
# Only the open tab is drawn: a horizon move redrew every tab's charts in the browser.
if validation_tab.open:
    with validation_tab:
        view.show_validation(fitted, dataset)
if customers_tab.open:
    with customers_tab:
        view.show_customers(values, fitted, dataset, currency, active)
if tiers_tab.open:  # every customer's CLV range is simulated: only once looked at
    with tiers_tab:
        view.show_tiers(values, currency)
        clv_intervals.show(dataset, fitted, values, currency)
if matrix_tab.open:  # CLV by acquisition source with payback simulated: only once looked at
    with matrix_tab:
        clv_value.show_value_matrix(matrix, dataset, currency)
        clv_acquisition.show(dataset, fitted, values, currency)  # new customers by source

st.subheader(_("What if: treat tiers differently"))
st.caption(
    _(
        "Set per tier what a treatment (better service, a loyalty offer, a win-back campaign) would "
        "change and cost; the projection runs through the fitted model."
    )
)
clv_whatif.what_if(
    base, dataset, currency, lambda: clv_intervals.intervals(dataset, fitted, values)
)
