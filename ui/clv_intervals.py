"""The CLV page's intervals: how far each tier's total (and each customer's CLV) may be from the
figure shown, from the models' parameter uncertainty and the purchases' own randomness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cvm_core import formatting
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import intervals as clv_intervals
from cvm_core.analyses.clv import values as clv_values
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import data, downloads, session
from ui.tables import show_table

ALL_WORDS = N_("All customers")  # clv_intervals.ALL, the table's last row


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _intervals(
    _fit: clv.CLVFit, _values: clv_values.CLVValues, key: tuple
) -> clv_intervals.CLVIntervals:
    return clv_intervals.intervals_of(_fit, _values)


def intervals(
    dataset: Dataset, fitted: clv.CLVFit, values: clv_values.CLVValues
) -> clv_intervals.CLVIntervals:
    """Cached intervals of the page's values (keyed by what made them)."""
    key = (dataset.fingerprint, fitted.settings, values.settings, round(values.total_clv, 6))
    with st.spinner(_("Drawing intervals around every CLV…")):
        return _intervals(fitted, values, key)


def _range(low: float, high: float, currency: str) -> str:
    return _("{low} to {high}").format(
        low=formatting.money(low, currency), high=formatting.money(high, currency)
    )


def show(dataset: Dataset, fitted: clv.CLVFit, values: clv_values.CLVValues, currency: str) -> None:
    """Each tier's CLV with its 80% and 95% ranges, and every customer's, to download."""
    result = intervals(dataset, fitted, values)
    table = result.groups
    session.publish(session.CLV_RANGES, dataset, table)
    st.markdown("**" + _("How sure are these figures?") + "**")
    shown = pd.DataFrame({
        _("Tier"): table["group"].astype(str).map(_),
        _("Customers"): table["customers"].map(formatting.count),
        _("CLV"): table["clv"].map(lambda v: formatting.money(v, currency)),
        _("80% range"): [_range(lo, hi, currency) for lo, hi in zip(table["low_80"], table["high_80"], strict=True)],
        _("95% range"): [_range(lo, hi, currency) for lo, hi in zip(table["low_95"], table["high_95"], strict=True)],
    })  # fmt: skip
    show_table(shown, hide_index=True, width="stretch")
    st.caption(interval_caption(result, currency))
    customers = result.customers
    names = data.customer_names(dataset)
    if names is not None:
        customers = customers.assign(customer_name=names.reindex(customers.index).fillna(""))
    downloads.csv_and_excel(
        customers.reset_index(), "clv_ranges", "clv.dl.ranges", _("Every customer's CLV range")
    )


def interval_caption(result: clv_intervals.CLVIntervals, currency: str) -> str:
    """What the ranges mean, with the total's, in one paragraph."""
    total = result.groups.iloc[-1]
    return _(
        "All customers: {clv}, 80% range {range}. Ranges include the uncertainty of the fitted "
        "models' parameters (from the likelihood's curvature) and the randomness of who buys "
        "again, how often and how much, drawn {draws} times; a tier's range is narrower for its "
        "size than a customer's, whose own range often starts at zero (no further purchase)."
    ).format(
        clv=formatting.money(total["clv"], currency),
        range=_range(total["low_80"], total["high_80"], currency),
        draws=formatting.count(len(result.draws)),
    )
