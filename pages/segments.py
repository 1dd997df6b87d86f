"""Segments page: RFM segments, behavioural clusters, contribution by segment and cross-sell."""

import streamlit as st

from cvm_core.i18n import _
from ui import data, prospects, tabs
from ui import segments as view

st.title(_("Segments"))
st.caption(
    _(
        "Who your customers are by behaviour, how much each group contributes, and what else each "
        "group is likely to buy."
    )
)

dataset = data.require_dataset()
settings = view.settings_form(dataset)
result = view.analyse(dataset, settings)
view.show_headline(result)

currency = data.currency(dataset)
rfm, clusters, contribution, cross_sell, traits, downloads = tabs.lazy_tabs(
    [_("RFM segments"), _("Clusters"), _("Contribution"), _("Cross-sell"),
     _("Traits of valuable customers"), _("Download lists")], key="segments.tab",
)  # fmt: skip
with rfm:
    view.show_rfm(result, currency)
with clusters:
    view.show_clusters(result, currency)
with contribution:
    view.show_contribution(result, dataset, currency)
with cross_sell:
    view.show_cross_sell(result, dataset)
if traits.open:  # a tree, and a CLV fit when the CLV page has not run: only once looked at
    with traits:
        prospects.show_traits(dataset, currency)
with downloads:
    view.show_downloads(result, dataset, currency)
