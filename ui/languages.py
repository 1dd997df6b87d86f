"""The language switch: the sidebar's choice, first taken from the browser's language."""

from __future__ import annotations

import streamlit as st

from cvm_core import i18n
from cvm_core.i18n import _
from ui import state


def choose() -> None:
    """Make this run's language the session's choice; a new session starts in the browser's
    language (st.context.locale, e.g. 'de-DE') when the app speaks it, else in English."""
    if state.LANGUAGE not in st.session_state:
        st.session_state[state.LANGUAGE] = i18n.language_of(st.context.locale)
    i18n.use(st.session_state[state.LANGUAGE])


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
