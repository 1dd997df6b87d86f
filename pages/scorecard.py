"""Scorecard: the Kaplan-Norton customer management scorecard, period on period, against targets."""

import streamlit as st

from cvm_core.errors import CvmError
from ui import assumed, data, scorecard_chain
from ui import scorecard as view

st.title("Customer management scorecard")
st.caption(
    "Financial results, customer outcomes and the four customer management processes (selection, "
    "acquisition, retention, growth), after Kaplan & Norton. Each measure is computed from your "
    "data where it allows, compared with the previous period and with a target you set."
)

dataset = data.require_dataset()
settings = view.settings_form(dataset)

try:
    result, defaults = view.scorecard(dataset, settings)
except CvmError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

view.show_period(result)
assumed.show_strip(assumed.page_assumptions(dataset, assumed.ALL_TOPICS))
view.show_headline(result)

st.subheader("Goals and what drives them")
st.caption(
    "The scorecard read top down: the goals, the process measures under them and the leading "
    "indicators that move first. Pick the few measures this client steers by."
)
scorecard_chain.show(scorecard_chain.chain(dataset, result, settings), result.currency)

st.subheader("Scorecard")
st.caption(
    "Type targets in the Target column; the status compares the value with its target (watch: "
    "within the watch band). Snapshot measures are valued at the observation end."
)
view.show_scorecard(result)
view.show_sources(defaults)

st.subheader("Trends")
view.show_trends(result)

st.subheader("Breakdowns")
view.show_breakdowns(result)

st.subheader("Measures your data cannot support yet")
st.caption(
    "Each says which data would let the app compute it. Meanwhile type in a value you know (a "
    "survey result, a campaign's response rate); it is marked as typed in, never estimated."
)
view.show_typed_inputs(result)

st.subheader("Download")
view.show_downloads(result)
