"""Showing charts: every chart goes through show_chart, so all charts look and export alike."""

from __future__ import annotations

import altair as alt
import streamlit as st


def show_chart(chart: alt.TopLevelMixin, caption: str | None = None) -> None:
    """Render with the project's Altair theme (not Streamlit's), so the page matches the exports."""
    st.altair_chart(chart, width="stretch", theme=None)
    if caption:
        st.caption(caption)
