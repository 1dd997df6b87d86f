"""Prospect scoring: what a lead is likely worth, from the customers who share its attributes.

A lead list has any columns; the customer-table roles (acquisition channel, region, industry)
are guessed from its headers as for the Customers sheet (:func:`cvm_core.intake.schema.guess_mapping`),
and further columns named like a customer-table attribute are used too. A shallow regression tree
on the attributes the list has groups the customers by CLV; each lead gets the figures of its
group: expected tier, chance of the top tier, first-year margin and lifetime value with the range
(10th to 90th percentile) of the customers in it. A lead with a value no customer has (an
industry never sold to) or with no value is flagged and not scored: the customers say nothing
about it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeRegressor

from cvm_core import formatting
from cvm_core.analyses.prospects.features import (
    NOT_RECORDED,
    encode,
    first_year_revenue,
    label,
    one_hot,
)
from cvm_core.errors import MappingError, ValidationError
from cvm_core.i18n import N_, Message
from cvm_core.intake.io import read_workbook
from cvm_core.intake.schema import CUSTOMER_ROLES, guess_mapping

LEAD_ROLES = {
    role: CUSTOMER_ROLES[role]
    for role in ("customer_name", "acquisition_channel", "region", "industry")
}
"""The roles a lead list may have: a name, and the attributes it shares with customers."""
RANGE = (0.10, 0.90)
"""The range of a lead's value: these quantiles of its group's customers (80% of them)."""
MIN_GROUP = 20
SCORE_COLUMNS = (
    "expected_tier", "top_tier_chance", "first_year_value", "first_year_low", "first_year_high",
    "lifetime_value", "lifetime_low", "lifetime_high", "similar_customers", "note",
)  # fmt: skip
SCORED = ""


@dataclass(frozen=True)
class CustomerValues:
    """What the customers are worth, for scoring leads like them.

    Attributes
    ----------
    attributes : DataFrame
        The customer-table attributes per customer (text, :func:`.features.customer_attributes`).
    values : DataFrame
        Same index: clv, first_year_value (margin in the first 365 days; NaN for customers
        younger than that), lifetime_value (margin to date plus CLV), tier.
    tier_floor : Series
        The lowest CLV in each tier, by tier name, most valuable first.
    top_tiers : tuple of str
    """

    attributes: pd.DataFrame
    values: pd.DataFrame
    tier_floor: pd.Series
    top_tiers: tuple[str, ...]


def customer_values(
    clv: pd.DataFrame,
    summary: pd.DataFrame,
    first_year: pd.DataFrame,
    attributes: pd.DataFrame,
    observation_end: pd.Timestamp,
    top_tiers: tuple[str, ...],
) -> CustomerValues:
    """First-year and lifetime value of every customer, next to their CLV and tier
    (``first_year``: :func:`first_year_table`, or the engines' ``first_year`` query)."""
    margin = clv["margin_rate"].reindex(summary.index).fillna(0.0)
    to_date = summary["net_revenue"].reindex(clv.index).fillna(0.0) * margin.reindex(clv.index)
    values = pd.DataFrame(
        {
            "clv": clv["clv"],
            "first_year_value": first_year_revenue(first_year, clv.index, observation_end)
            * margin.reindex(clv.index),
            "lifetime_value": to_date + clv["clv"],
            "tier": clv["tier"].astype(str),
        }
    )
    tiers = list(clv["tier"].cat.categories) if hasattr(clv["tier"], "cat") else []
    floor = values.groupby("tier")["clv"].min().reindex(tiers).dropna()
    return CustomerValues(attributes, values, floor, top_tiers)


# --- the lead list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadList:
    """A lead list as read: its rows as given and the attributes mapped from its columns."""

    frame: pd.DataFrame
    attributes: pd.DataFrame  # same index; columns: customer-table attribute keys
    mapping: dict[str, str]  # attribute key -> the list's column
    notes: tuple[str, ...] = ()


def read_leads(
    data: bytes, filename: str, known: tuple[str, ...], mapping: dict[str, str] | None = None
) -> LeadList:
    """Read a lead list with the upload's reader and map its columns to ``known`` attributes.

    ``mapping`` (attribute -> column) overrides the guess. Raises :class:`MappingError` when
    no column matches an attribute the customers have.
    """
    workbook = read_workbook(data, filename)
    if not workbook.tables:
        raise ValidationError(
            Message(N_("'{filename}' holds no table of leads."), filename=filename)
        )
    frame = next(iter(workbook.tables.values())).frame.reset_index(drop=True)
    return map_leads(frame, known, mapping, tuple(workbook.notes))


def map_leads(
    frame: pd.DataFrame,
    known: tuple[str, ...],
    mapping: dict[str, str] | None = None,
    notes: tuple[str, ...] = (),
) -> LeadList:
    """The lead attributes of ``frame`` (see :func:`read_leads`)."""
    if mapping is None:
        guessed = guess_mapping(frame, LEAD_ROLES).roles
        mapping = {role: column for role, column in guessed.items() if role in known}
        by_name = {str(c).strip().lower(): c for c in frame.columns}
        for attribute in known:
            if attribute not in mapping and attribute.lower() in by_name:
                mapping[attribute] = by_name[attribute.lower()]
    mapping = {a: c for a, c in mapping.items() if a in known and c in frame.columns}
    if not mapping:
        wanted = ", ".join(label(a) for a in known) or "none"
        raise MappingError(
            Message(
                N_("No column of the lead list matches an attribute the customers have "
                   "({wanted}): name a column like one of them, or map it by hand."),
                wanted=wanted,
            )
        )  # fmt: skip
    attributes = pd.DataFrame({a: _clean(frame[c]) for a, c in mapping.items()}, index=frame.index)
    return LeadList(frame, attributes, mapping, notes)


def _clean(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "").astype(object).where(text.notna(), None)


# --- scoring --------------------------------------------------------------------------------------


def score_leads(
    leads: LeadList,
    customers: CustomerValues,
    max_depth: int = 3,
    random_state: int = 0,
) -> pd.DataFrame:
    """Every lead with its expected value, sorted for the sales team (highest lifetime value
    first, unscored leads last, with the reason in ``note``).

    Returns
    -------
    DataFrame
        The lead list's columns, then :data:`SCORE_COLUMNS`.
    """
    used = list(leads.attributes.columns)
    known = customers.attributes[used].astype(str)
    x, columns = one_hot(known)
    y = customers.values["lifetime_value"].reindex(known.index).to_numpy(dtype=float)
    leaf_size = max(MIN_GROUP, int(0.02 * len(known)))
    tree = DecisionTreeRegressor(
        max_depth=max_depth, min_samples_leaf=leaf_size, random_state=random_state
    ).fit(x, y)
    groups = _group_figures(tree.apply(x), customers)
    notes = _unseen(leads.attributes, known)
    scored = notes == SCORED
    leaf = np.full(len(leads.frame), -1)
    if scored.any():
        leaf[scored.to_numpy()] = tree.apply(encode(leads.attributes[scored], columns))
    figures = groups.reindex(leaf)
    figures.index = leads.frame.index
    figures["note"] = notes
    out = pd.concat([leads.frame, figures[list(SCORE_COLUMNS)]], axis=1)
    order = np.lexsort((-out["lifetime_value"].fillna(-np.inf).to_numpy(), ~scored.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _group_figures(leaves: np.ndarray, customers: CustomerValues) -> pd.DataFrame:
    values = customers.values.assign(
        leaf=leaves, top=customers.values["tier"].isin(customers.top_tiers)
    )
    low, high = RANGE
    grouped = values.groupby("leaf")
    figures = pd.DataFrame(
        {
            "similar_customers": grouped.size(),
            "top_tier_chance": grouped["top"].mean(),
            "first_year_value": grouped["first_year_value"].mean(),
            "first_year_low": grouped["first_year_value"].quantile(low),
            "first_year_high": grouped["first_year_value"].quantile(high),
            "lifetime_value": grouped["lifetime_value"].mean(),
            "lifetime_low": grouped["lifetime_value"].quantile(low),
            "lifetime_high": grouped["lifetime_value"].quantile(high),
            "clv": grouped["clv"].mean(),
        }
    )
    figures["expected_tier"] = [expected_tier(v, customers.tier_floor) for v in figures["clv"]]
    return figures


def expected_tier(clv: float, floor: pd.Series) -> str:
    """The most valuable tier whose lowest CLV the group's average CLV reaches."""
    for tier, lowest in floor.items():
        if clv >= lowest:
            return str(tier)
    return str(floor.index[-1]) if len(floor) else ""


def _unseen(leads: pd.DataFrame, known: pd.DataFrame) -> pd.Series:
    """Why each lead cannot be scored ("" when it can)."""
    notes = pd.Series(SCORED, index=leads.index, dtype=object)
    for attribute in leads.columns:
        seen = set(known[attribute].unique()) - {NOT_RECORDED}
        values = leads[attribute]
        missing = values.isna()
        new = ~missing & ~values.isin(seen)
        name = label(attribute)
        reason = pd.Series("", index=leads.index, dtype=object)
        reason[missing] = f"{name} not given"
        reason[new] = [f"{name} '{v}' not seen among customers" for v in values[new]]
        notes = np.where(
            reason == "", notes, np.where(notes == SCORED, reason, notes + "; " + reason)
        )
        notes = pd.Series(notes, index=leads.index, dtype=object)
    return notes


def summary_sentence(scored: pd.DataFrame, currency: str) -> str:
    """How many leads were scored, how many flagged, and the best one's figures."""
    ok = scored["note"] == SCORED
    text = f"{formatting.counted(int(ok.sum()), 'lead')} scored"
    if (~ok).any():
        text += f", {formatting.count(int((~ok).sum()))} flagged (attributes no customer has)"
    if ok.any():
        best = scored[ok].iloc[0]
        text += (
            f". The best are expected to be worth {formatting.money(best['lifetime_value'], currency)} "
            f"over their lifetime (range {formatting.money(best['lifetime_low'], currency)} to "
            f"{formatting.money(best['lifetime_high'], currency)}), tier {best['expected_tier']}"
        )
    return text + "."
