"""The CLV page's value of a new customer by source: CLV against acquisition cost with its range,
payback months and the chance it pays back, and a what-if moving budget between sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.clv import acquisition, acquisition_value
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import values as clv_values
from cvm_core.analyses.clv.acquisition import ALL_CHANNELS
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import clv_value, data, session
from ui.clv import clv_key, cost_basis_words
from ui.tables import show_table

SOURCES = ("acquisition_channel", "region", "industry")
SOURCE_WORDS = {
    "acquisition_channel": N_("Acquisition channel"),
    "region": N_("Region"),
    "industry": N_("Industry"),
}


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _value(_fit: clv.CLVFit, _values: clv_values.CLVValues, _dataset: Dataset, key: tuple, by: str):
    return acquisition_value.value_by_source(
        _fit, _values, _dataset.customers, data.observation_end(_dataset), by
    )


def show(dataset: Dataset, fitted: clv.CLVFit, values: clv_values.CLVValues, currency: str) -> None:
    """Sources with CLV/CAC, payback and ranges; the budget what-if below."""
    customers = dataset.customers
    if not dataset.has_transactions:
        return
    options = [s for s in SOURCES if customers is not None and s in customers]
    if customers is None or "acquisition_cost" not in customers or not options:
        clv_value.show_acquisition(values, dataset, currency)  # says what would enable it
        return
    st.markdown("**" + _("New customers: worth what they cost to win?") + "**")
    by = st.radio(
        _("Source"), options, horizontal=True, key=clv_key("acquisition.by", dataset), persist_state="session",
        format_func=_label,
    )  # fmt: skip
    key = (dataset.fingerprint, fitted.settings, values.settings, round(values.total_clv, 6))
    with st.spinner(_("Valuing new customers by source…")):
        value = _value(fitted, values, dataset, key, by)
    if value is None:
        clv_value.show_acquisition(values, dataset, currency)
        return
    session.publish(session.SOURCES, dataset, value)
    if by == "acquisition_channel":  # the CLV command's sentence, channel by channel
        st.caption(acquisition.acquisition_takeaway(value.table, currency))
    st.caption(formatting.escape_markdown(acquisition_value.source_takeaway(value, currency)))
    show_table(_shown(value.table, currency, _label(by)), hide_index=True, width="stretch")
    st.caption(
        _(
            "New = first purchase in the {days} before the observation end, with an acquisition "
            "cost in the customer table. CLV per new customer ({basis}) with its 80% range; payback: "
            "months of expected profit after cost-to-serve until the acquisition cost is earned "
            "back; chance: share of the drawn outcomes in which the average CLV exceeds the "
            "cost."
        ).format(
            days=formatting.counted(acquisition.NEW_CUSTOMER_DAYS, "day"),
            basis=cost_basis_words(values.cost_basis),
        )
    )
    _budget_move(value, dataset, currency)


def _label(source: str) -> str:
    if source in SOURCE_WORDS:
        return _(SOURCE_WORDS[source])
    return source.replace("_", " ").capitalize()


def _shown(table: pd.DataFrame, currency: str, source: str) -> pd.DataFrame:
    money = lambda v: formatting.money(v, currency)  # noqa: E731
    return pd.DataFrame({
        source: [_(c) if c == ALL_CHANNELS else c for c in table["channel"]],
        _("New customers"): table["customers"].map(formatting.count),
        _("Acquisition cost per customer"): table["acquisition_cost"].map(money),
        _("CLV per customer"): table["clv"].map(money),
        _("CLV 80% range"): [_("{low} to {high}").format(low=money(lo), high=money(hi)) for lo, hi in zip(table["clv_low"], table["clv_high"], strict=True)],
        "CLV / CAC": table["clv_per_cost"].map(lambda v: f"{formatting.number(v, 1)}x" if np.isfinite(v) else "–"),
        _("Payback"): table["payback_months"].map(lambda m: formatting.counted(m, "month") if np.isfinite(m) else _("not within horizon")),
        _("Chance it pays back"): table["pays_back_chance"].map(lambda v: formatting.pct(v, 0)),
    })  # fmt: skip


def _budget_move(value: acquisition_value.SourceValue, dataset: Dataset, currency: str) -> None:
    sources = [c for c in value.table["channel"] if c != ALL_CHANNELS]
    if len(sources) < 2:
        return
    ranked = value.table.set_index("channel").loc[sources].sort_values("clv_per_cost")
    left, middle, right = st.columns(3)
    source = left.selectbox(_("Move budget from"), sources, index=sources.index(ranked.index[0]),
                            key=clv_key("acquisition.from", dataset), persist_state="session")  # fmt: skip
    target = middle.selectbox(_("to"), sources, index=sources.index(ranked.index[-1]),
                              key=clv_key("acquisition.to", dataset), persist_state="session")  # fmt: skip
    amount = right.number_input(_("Amount ({currency})").format(currency=currency), 0.0, 1e9, 10_000.0, 1_000.0,
                                key=clv_key("acquisition.amount", dataset), persist_state="session")  # fmt: skip
    if source == target:
        return
    try:
        move = acquisition_value.move_budget(value, source, target, float(amount))
    except CvmError as error:
        st.info(i18n.error_text(error), icon=":material/info:")
        return
    st.markdown(formatting.escape_markdown(move.sentence(currency)))
    st.caption(
        _(
            "Assumes each source wins further customers at its current average cost and CLV; the "
            "probability is the share of drawn outcomes in which the move adds future profit."
        )
    )
