"""Tabs that run only the open tab's code.

Streamlit runs every tab's code on every run and hides all but one, so a page paid for its
slowest tab (the traits tree, every customer's CLV range) before it could show the first. These
tabs rerun the page when the user opens another, and the page draws only the open one
(``if tab.open:``). The widgets inside keep their values while their tab is closed because they
persist them for the session (``persist_state="session"``, checked in test_architecture.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def lazy_tabs(labels: Sequence[str], key: str) -> Sequence:
    """``st.tabs`` whose ``.open`` says which one to draw; ``st.session_state[key]`` holds the
    open tab's label (tests open a tab by setting it before the run)."""
    return st.tabs(list(labels), key=key, on_change="rerun")
