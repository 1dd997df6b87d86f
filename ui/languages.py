"""The language switch: the sidebar's choice, first taken from the browser's language."""

from __future__ import annotations

import streamlit as st

from cvm_core import i18n
from cvm_core.i18n import _
from ui import state

SHOWN = "cvm.lang.shown"
"""The language the last run was drawn in."""

DATE_INPUT_FORMATS = {"en": "YYYY/MM/DD", "de": "DD.MM.YYYY", "zh": "YYYY/MM/DD"}
"""How a date field writes its date in each language (of the orders st.date_input offers)."""


def date_input_format() -> str:
    """``format=`` for every st.date_input, so that all date fields read alike in one language."""
    return DATE_INPUT_FORMATS[i18n.current()]


def choose() -> None:
    """Make this run's language the session's choice; a new session starts in the browser's
    language (st.context.locale, e.g. 'de-DE') when the app speaks it, else in English."""
    if state.LANGUAGE not in st.session_state:
        st.session_state[state.LANGUAGE] = i18n.language_of(st.context.locale)
    language = st.session_state[state.LANGUAGE]
    if st.session_state.get(SHOWN, language) != language:
        _keep_choices()
    st.session_state[SHOWN] = language
    i18n.use(language)


def _keep_choices() -> None:
    """Keep every choice widget's value across a language switch.

    A selectbox, radio, multiselect or segmented control lives in the browser as its shown label.
    After a switch the browser sends the old language's label, the new labels do not contain it,
    and Streamlit hands the page that label as the value: the Retention page read 'Net revenue'
    where it expects net_revenue and stopped with an error. Read before any widget is drawn, each
    value is still the option (decoded with the last run's labels); written back, it wins over
    the stale label. Only text values are written back: buttons, uploads and editors, which
    refuse writes, hold other types.
    """
    for key in list(st.session_state.keys()):
        try:
            value = st.session_state[key]
        except KeyError:  # a widget state without its metadata (after a server restart)
            continue
        texts = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        if isinstance(value, str) or (texts and value):
            st.session_state[key] = value


def switch() -> None:
    """The sidebar's language box (a change reruns the app in the new language)."""
    st.selectbox(
        _("Language"),
        list(i18n.LANGUAGES),
        format_func=i18n.LANGUAGES.get,
        key=state.LANGUAGE,
        persist_state="session",
        help=_(
            "The pages, the takeaways, the deck and the workbook follow it, numbers and dates "
            "too; most chart axes and names from your data stay as they are."
        ),
    )
