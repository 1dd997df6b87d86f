"""Pipeline page: weighted forecast, coverage, funnel and forecast accuracy by sales rep."""

import streamlit as st

from cvm_core.i18n import _
from ui import data
from ui import pipeline as view

st.title(_("Sales pipeline"))
st.caption(
    _(
        "What the open opportunities are worth (amount x probability), whether they cover the target, "
        "where deals are lost, and which sales reps forecast too high or too low."
    )
)

dataset = data.require_dataset(needs_transactions=False)
view.require_pipeline(dataset)
settings = view.settings_form(dataset)
result = view.analyse(dataset, settings)
view.show_headline(result)

forecast, funnel, accuracy, won = st.tabs(
    [_("Forecast"), _("Funnel"), _("Forecast accuracy"), _("Won deals")]
)
with forecast:
    view.show_forecast(result)
with funnel:
    view.show_funnel(result, dataset)
with accuracy:
    view.show_accuracy(result)
with won:
    view.show_won(result)
