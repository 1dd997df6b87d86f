"""Retention page: cohorts, churn, survival, at-risk and win-back lists, retention economics."""

import streamlit as st

from cvm_core.analyses import assumptions
from cvm_core.i18n import _
from ui import assumed, data
from ui import retention as view

RULE_TOPICS = (assumptions.CHURN_RULE, assumptions.CURRENCY)

st.title(_("Retention"))
st.caption(
    _(
        "How each group of new customers holds up, how long customers stay, who is slipping away now "
        "and which valuable customers to win back."
    )
)

dataset = data.require_dataset()
gaps = view.gap_profile(dataset)
clv = view.clv_frame(dataset)
settings = view.settings_form(dataset, gaps, clv)
result = view.analyse(dataset, settings, clv)
view.remember(dataset, result)
view.show_headline(result)
assumed.show_strip(assumed.page_assumptions(dataset, RULE_TOPICS), here="pages/retention.py")

currency = data.currency(dataset)
cohorts, churn, survival, lists, economics = st.tabs(
    [_("Cohorts"), _("Churn"), _("Survival"), _("At risk & win back"), _("Retention economics")]
)
with cohorts:
    picked_cohorts = view.show_cohorts(result, currency)
with churn:
    view.show_churn(result, gaps)
with survival:
    view.show_survival(result, dataset)
with lists:
    view.show_lists(result, dataset, clv, picked_cohorts)
with economics:
    view.show_economics(result, dataset)
