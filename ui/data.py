"""Access to the active dataset and cached core calls.

Heavy work is cached on the dataset's fingerprint (a hash of the uploaded bytes plus the mapping and
settings), never on the DataFrames themselves: Streamlit would hash a large frame from a sample only.
The leading underscore on ``_dataset`` tells Streamlit not to hash that argument.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from cvm_core import formatting
from cvm_core.analyses.inputs import AnalysisInputs, dataset_source, on_file
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import DEFAULT_CURRENCY, Dataset
from cvm_core.intake.summary import summary_in_unit
from ui import session, state

NEEDS_TRANSACTIONS: dict[str, str] = {
    "segments": N_(
        "The segments need the transactions (the channel and category of each purchase, "
        "for cross-sell and the channel breakdowns)"
    ),
    "whale_curve": N_("The whale curve needs the transactions (orders, lines, channels)"),
    "retention": N_(
        "Retention needs the transactions (every purchase date, for cohorts, the gaps "
        "between purchases and survival)"
    ),
    "scorecard": N_(
        "The scorecard needs the transactions (sales, orders and customers per period)"
    ),
}
"""Per page file (stem): what it needs that a customer summary file does not have."""
T = TypeVar("T")


def active_dataset() -> Dataset | None:
    return st.session_state.get(state.DATASET)


def require_dataset(needs_transactions: bool = True) -> Dataset:
    """The page guard: stop with a pointer to the Upload page when nothing is loaded.

    With ``needs_transactions`` (the default) a customer summary file is not enough either: the
    page says what it needs and stops. Pages that work from the summary alone pass False.
    """
    dataset = active_dataset()
    if dataset is None:
        st.info(
            _("No data is loaded yet. Upload a sales spreadsheet, or load the demo data, first.")
        )
        st.page_link("pages/upload.py", label=_("Go to Upload"), icon=":material/upload:")
        st.stop()
    if needs_transactions and not dataset.has_transactions:
        st.info(
            _(
                "{needs}; this dataset is a customer summary made by `python -m cvm_core "
                "summarize`. Upload the transactions file to see it."
            ).format(needs=_(_what_the_page_needs()))
        )
        st.page_link("pages/upload.py", label=_("Go to Upload"), icon=":material/upload:")
        st.stop()
    return dataset


def _what_the_page_needs() -> str:
    """The calling page's sentence from :data:`NEEDS_TRANSACTIONS`.

    Streamlit runs each page file with ``__file__`` set to its path; reading it from the caller's
    frame keeps the guard a one-line call in every page.
    """
    frame = sys._getframe(2)  # 0: here, 1: require_dataset, 2: the page
    stem = Path(str(frame.f_globals.get("__file__", ""))).stem
    return NEEDS_TRANSACTIONS.get(
        stem, N_("This page needs the transactions (one row per order line or order)")
    )


def unit() -> str:
    return st.session_state.get(state.UNIT, "week")


def setting_key(base: str, dataset: Dataset) -> str:
    """Widget key of a per-dataset setting: a new dataset starts from its own defaults."""
    return f"{base}.{dataset.fingerprint}"


def customer_names(dataset: Dataset) -> pd.Series | None:
    """Customer id -> name, when the customer table has names."""
    customers = dataset.customers
    if customers is not None and "customer_name" in customers:
        return customers["customer_name"]
    return None


def currency(dataset: Dataset) -> str:
    return st.session_state.get(setting_key(state.CURRENCY, dataset)) or dataset.currency


def currency_caption(dataset: Dataset) -> str:
    """Where the dataset's currency comes from, in Markdown for the sidebar (user text escaped).

    "Detected USD from the column header 'dollars'." or "Assumed EUR: the file names no
    currency. Change it here."
    """
    code = formatting.escape_markdown(dataset.currency)
    if dataset.currency_source:
        return _("Detected {code} {source}.").format(
            code=code, source=formatting.escape_markdown(dataset.currency_source)
        )
    if dataset.currency == DEFAULT_CURRENCY:
        return _("Assumed {code}: the file names no currency. Change it here.").format(code=code)
    return _("{code} as set when the data was loaded. Change it here.").format(code=code)


def observation_end(dataset: Dataset) -> pd.Timestamp:
    """The global observation end, clipped to the data's range."""
    chosen = st.session_state.get(setting_key(state.OBSERVATION_END, dataset))
    if chosen is None or not dataset.has_transactions:  # a summary file is fixed at its own end
        return dataset.observation_end
    chosen = pd.Timestamp(chosen)
    return min(max(chosen, dataset.observation_start), dataset.observation_end)


_ALIVE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
"""What :func:`with_spinner` computed, by key, while anything (the cache) still holds it."""


def with_spinner(text: str, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, a cached call, under ``st.spinner(text)`` unless what it returned for
    ``key`` the last time is still alive, i.e. it is a cache hit.

    Each st.spinner starts a timer thread and sends a message to clear itself even when it never
    showed: the summary's alone cost 17 ms of a CLV slider move at 1M rows (called several times
    a run). ``key`` names what the cache keys on; a key that misses something only costs the
    spinner's text on a recomputation, never a wrong value.
    """
    with contextlib.suppress(TypeError):  # an unhashable key: the spinner every time
        if _ALIVE.get(key) is not None:
            return compute()
    with st.spinner(text):
        value = compute()
    with contextlib.suppress(TypeError):  # nor for a value no weak reference can point to
        _ALIVE[key] = value[0] if isinstance(value, tuple) else value
    return value


@st.cache_resource(max_entries=8, ttl="2h", show_spinner=False)  # the caller's, translated
def _cached_summary(_dataset: Dataset, fingerprint: str, unit: str, end: dt.date) -> pd.DataFrame:
    # A large upload's summary comes from DuckDB over its file; the rest from the rows in memory.
    return dataset_source(_dataset).summary(unit, pd.Timestamp(end))


def customer_summary(dataset: Dataset) -> pd.DataFrame:
    """The one customer-summary table for the active dataset and global settings.

    A summary file is returned as stored, with recency and T converted to the chosen unit.
    """
    if not dataset.has_transactions:
        return summary_in_unit(dataset.summary, dataset.summary_info.unit, unit())
    key = (dataset.fingerprint, unit(), observation_end(dataset).date())
    summary = with_spinner(
        _("Summarising customers…"), ("summary", *key), lambda: _cached_summary(dataset, *key)
    )
    # One table for every caller, each given a shallow copy: columns a page adds stay its own,
    # and no page writes into the values (tests/app/test_plain_rerun.py). A cache_data copy
    # (unpickled per call) cost 70 ms at 424k customers, several times a run.
    return summary.copy(deep=False)


@st.cache_resource(max_entries=8, ttl="2h", show_spinner=False)
def _distinct_customers(_dataset: Dataset, fingerprint: str) -> int:
    return int(_dataset.transactions["customer_id"].nunique())


def customer_count(dataset: Dataset) -> int:
    """Distinct customers among the dataset's transactions (the sidebar's count, every run):
    counted once per dataset, a pass over 1M ids cost 40 ms of each rerun. A large upload's come
    from its summary, which every page needs anyway."""
    if dataset.transaction_file is not None:  # its rows stay on disk
        return len(customer_summary(dataset))
    return _distinct_customers(dataset, dataset.fingerprint)


def summary_for_overview(dataset: Dataset, unit: str) -> pd.DataFrame:
    """The summary :func:`customer_summary` gives a dataset just loaded (its whole period, no end
    chosen yet), for the early build in the background (ui/loaders.start_build): no session state
    is read here, the caller passes the sidebar's unit."""
    return _cached_summary(dataset, dataset.fingerprint, unit, dataset.observation_end.date())


def analysis_inputs(dataset: Dataset) -> AnalysisInputs:
    """What every analysis's ``run`` reads, with the sidebar's unit, observation end and currency
    and the one customer summary above."""
    return AnalysisInputs(
        dataset.transactions, customer_summary(dataset), observation_end(dataset), unit(),
        dataset.customers, dataset.cost_to_serve, currency(dataset), source=on_file(dataset),
    )  # fmt: skip


def set_dataset(dataset: Dataset) -> None:
    """Make a dataset active and reset settings that belong to the previous one."""
    st.session_state[state.DATASET] = dataset
    session.forget_all()
    st.session_state.pop(state.DECK_CHARTS, None)
    from ui import reload  # imports this module

    reload.pin(dataset)
