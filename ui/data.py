"""Access to the active dataset and cached core calls.

Heavy work is cached on the dataset's fingerprint (a hash of the uploaded bytes plus the mapping and
settings), never on the DataFrames themselves: Streamlit would hash a large frame from a sample only.
The leading underscore on ``_dataset`` tells Streamlit not to hash that argument.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cvm_core import summary
from cvm_core.dataset import Dataset
from ui import state


def active_dataset() -> Dataset | None:
    return st.session_state.get(state.DATASET)


def require_dataset() -> Dataset:
    """The page guard: stop with a pointer to the Upload page when nothing is loaded."""
    dataset = active_dataset()
    if dataset is None:
        st.info("No data is loaded yet. Upload a sales spreadsheet, or load the demo data, first.")
        st.page_link("pages/upload.py", label="Go to Upload", icon=":material/upload:")
        st.stop()
    return dataset


def unit() -> str:
    return st.session_state.get(state.UNIT, "week")


def setting_key(base: str, dataset: Dataset) -> str:
    """Widget key of a per-dataset setting: a new dataset starts from its own defaults."""
    return f"{base}.{dataset.fingerprint}"


def currency(dataset: Dataset) -> str:
    return st.session_state.get(setting_key(state.CURRENCY, dataset)) or dataset.currency


def observation_end(dataset: Dataset) -> pd.Timestamp:
    """The global observation end, clipped to the data's range."""
    chosen = st.session_state.get(setting_key(state.OBSERVATION_END, dataset))
    if chosen is None:
        return dataset.observation_end
    chosen = pd.Timestamp(chosen)
    return min(max(chosen, dataset.observation_start), dataset.observation_end)


@st.cache_data(max_entries=8, show_spinner="Summarising customers…")
def _cached_summary(_dataset: Dataset, fingerprint: str, unit: str, end: dt.date) -> pd.DataFrame:
    return summary.customer_summary(_dataset.transactions, unit, pd.Timestamp(end))


def customer_summary(dataset: Dataset) -> pd.DataFrame:
    """The one customer-summary table for the active dataset and global settings."""
    return _cached_summary(dataset, dataset.fingerprint, unit(), observation_end(dataset).date())


def set_dataset(dataset: Dataset) -> None:
    """Make a dataset active and reset settings that belong to the previous one."""
    st.session_state[state.DATASET] = dataset
    for key in (state.CLV_RESULT, state.CLV_SCENARIO, state.WHALE_SCENARIO, state.DECK_CHARTS):
        st.session_state.pop(key, None)
