"""Scorecard: the Kaplan-Norton customer management scorecard, period on period, against targets."""

import streamlit as st

from cvm_core import i18n
from cvm_core.errors import CvmError
from cvm_core.i18n import _
from ui import assumed, data, scorecard_chain
from ui import scorecard as view

st.title(_("Customer management scorecard"))
st.caption(
    _(
        "Financial results, customer outcomes and the four customer management processes (selection, "
        "acquisition, retention, growth), after Kaplan & Norton. Each measure is computed from your "
        "data where it allows, compared with the previous period and with a target you set."
    )
)

dataset = data.require_dataset()
settings = view.settings_form(dataset)

try:
    result, defaults = view.scorecard(dataset, settings)
except CvmError as error:
    st.error(i18n.error_text(error), icon=":material/error:")
    st.stop()

view.show_period(result)
assumed.show_strip(assumed.page_assumptions(dataset, assumed.ALL_TOPICS))
view.show_headline(result)

st.subheader(_("Goals and what drives them"))
st.caption(
    _(
        "The scorecard read top down: the goals, the process measures under them and the leading "
        "indicators that move first. Pick the few measures this client steers by."
    )
)
scorecard_chain.show(scorecard_chain.chain(dataset, result, settings), result.currency)

st.subheader(_("Scorecard"))
st.caption(
    _(
        "Type targets in the Target column; the status compares the value with its target (watch: "
        "within the watch band). Snapshot measures are valued at the observation end."
    )
)
view.show_scorecard(result)
view.show_sources(defaults)

st.subheader(_("Trends"))
view.show_trends(result)

st.subheader(_("Breakdowns"))
view.show_breakdowns(result)

st.subheader(_("Measures your data cannot support yet"))
st.caption(
    _(
        "Each says which data would let the app compute it. Meanwhile type in a value you know (a "
        "survey result, a campaign's response rate); it is marked as typed in, never estimated."
    )
)
view.show_typed_inputs(result)

st.subheader(_("Download"))
view.show_downloads(result)
