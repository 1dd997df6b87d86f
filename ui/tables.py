"""Showing tables: every read-only table goes through show_table, so missing values read alike."""

from __future__ import annotations

import streamlit as st

from cvm_core.formatting import MISSING


def show_table(data, **kwargs):
    """``st.dataframe`` with missing cells shown as '–' (Streamlit's default prints 'None', which
    a client reads as a value called None)."""
    return st.dataframe(data, placeholder=MISSING, **kwargs)


def edit_table(data, **kwargs):
    """``st.data_editor`` with empty cells shown as '–', like the read-only tables."""
    return st.data_editor(data, placeholder=MISSING, **kwargs)
