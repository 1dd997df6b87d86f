"""Contribution by segment, cluster or customer attribute, and the customer attributes and main
channel that the breakdowns group by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability.drivers import index_positions
from cvm_core.analyses.segments.defaults import FEATURE_LABELS, NOT_RECORDED
from cvm_core.intake.schema import CUSTOMER_ROLES

CATEGORICAL_ROLES = ("region", "industry", "acquisition_channel")
MAX_GROUP_LEVELS = 30
"""Attributes with more distinct values than this are not offered as a breakdown."""


def segment_contribution(
    summary: pd.DataFrame, groups: pd.Series, features: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Customers, net revenue and margin of each group, with their shares of the total.

    Parameters
    ----------
    summary : DataFrame
        The customer summary (net_revenue, cost, margin).
    groups : Series
        Group of each customer (indexed by customer_id); missing -> "(not recorded)". An ordered
        categorical keeps its order; otherwise groups are sorted by net revenue, largest first.
    features : DataFrame, optional
        Per-customer measures (e.g. recency_days, frequency, monetary) whose means are added as
        ``avg_<column>``.

    Returns
    -------
    DataFrame
        segment, customers, customer_share, net_revenue, revenue_share, revenue_per_customer, and
        margin, margin_share when cost of goods is known. Shares are NaN when the total is not
        positive.
    """
    keys = groups.reindex(summary.index)
    ordered = isinstance(keys.dtype, pd.CategoricalDtype) and keys.cat.ordered
    if isinstance(keys.dtype, pd.CategoricalDtype):
        keys = (
            keys.cat.add_categories([NOT_RECORDED])
            if NOT_RECORDED not in keys.cat.categories
            else keys
        )
    keys = keys.fillna(NOT_RECORDED)
    has_margin = bool(summary["cost"].notna().any()) if "cost" in summary else False
    values = pd.DataFrame(
        {"customers": 1, "net_revenue": summary["net_revenue"]}, index=summary.index
    )
    if has_margin:
        values["margin"] = summary["margin"]
    if features is not None:
        for column in features.columns:
            values[f"avg_{column}"] = features[column].reindex(summary.index)
    grouped = values.groupby(keys.to_numpy(), observed=True, sort=False)
    out = grouped[["customers", "net_revenue", *(["margin"] if has_margin else [])]].sum()
    means = grouped[[c for c in values.columns if c.startswith("avg_")]].mean()
    out = out.join(means)
    out.index.name = "segment"
    if ordered:
        out = out.reindex([c for c in keys.cat.categories if c in out.index])
    else:
        out = out.sort_values("net_revenue", ascending=False, kind="stable")
    out["customer_share"] = out["customers"] / len(summary)
    out["revenue_share"] = _share(out["net_revenue"])
    out["revenue_per_customer"] = out["net_revenue"] / out["customers"]
    if has_margin:
        out["margin_share"] = _share(out["margin"])
    first = ["customers", "customer_share", "net_revenue", "revenue_share", "revenue_per_customer"]
    first += ["margin", "margin_share"] if has_margin else []
    out = out[first + [c for c in out.columns if c not in first]]
    out["customers"] = out["customers"].astype(np.int64)
    return out.reset_index()


def _share(values: pd.Series) -> pd.Series:
    total = values.sum()
    return values / total if total > 0 else values * np.nan


def main_channel(
    transactions: pd.DataFrame, customers: pd.Index, customer_codes: np.ndarray | None = None
) -> pd.Series:
    """Each customer's main channel: the one with the most gross purchase revenue (ties: by name).

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, revenue, is_return, channel).
    customers : Index
        The customers to report on.
    customer_codes : ndarray of int, optional
        Position of each transaction's customer in ``customers`` (-1 if absent), if known.

    Returns
    -------
    Series
        Indexed like ``customers``; "(not recorded)" where a customer has no channel.
    """
    if "channel" not in transactions:
        return _main_channels(customers, np.zeros(0, np.int64), pd.Series(), np.zeros(0))
    selected = ~transactions["is_return"].to_numpy() & transactions["channel"].notna().to_numpy()
    if customer_codes is None:
        cust = customers.get_indexer(transactions["customer_id"].to_numpy()[selected])
    else:
        cust = np.asarray(customer_codes)[selected]
    channels = transactions["channel"][selected].astype(str)
    return _main_channels(
        customers, cust, channels, transactions["revenue"].to_numpy(float)[selected]
    )


def main_channel_from_revenue(revenue: pd.DataFrame, customers: pd.Index) -> pd.Series:
    """:func:`main_channel` from the ``channel_revenue`` table (DuckDB or Spark)."""
    cust = index_positions(customers, revenue["customer_id"])
    return _main_channels(
        customers, cust, revenue["channel"].astype(str), revenue["revenue"].to_numpy(float)
    )


def _main_channels(
    customers: pd.Index, cust: np.ndarray, channels: pd.Series, revenue: np.ndarray
) -> pd.Series:
    """Each customer's top channel by revenue from rows of (customer position, channel, revenue)."""
    out = pd.Series(NOT_RECORDED, index=customers, name="main_channel", dtype=object)
    keep = cust >= 0
    if not keep.any():
        return out
    channel, names = pd.factorize(channels, sort=True)
    key = cust[keep].astype(np.int64) * len(names) + channel[keep]
    who, which = _top_channel(key, revenue[keep], len(customers), len(names))
    out.iloc[who] = np.asarray(names, dtype=object)[which]
    return out


def _top_channel(
    key: np.ndarray, revenue: np.ndarray, n: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customers with a channel and the index of their top channel by revenue (channel index order
    breaks ties). ``key`` is customer * k + channel per line."""
    if n * k <= 10_000_000:
        # Few channels: a dense customer x channel table by counting, no sort.
        lines = np.bincount(key, minlength=n * k).reshape(-1, k)
        totals = np.bincount(key, weights=revenue, minlength=n * k).reshape(-1, k)
        totals[lines == 0] = -np.inf
        who = np.flatnonzero(lines.any(axis=1))
        return who, totals[who].argmax(axis=1)
    unique, inverse = np.unique(key, return_inverse=True)
    totals = np.bincount(inverse.reshape(-1), weights=revenue)
    who, which = np.divmod(unique, k)
    order = np.lexsort((which, -totals, who))
    first = order[np.r_[True, who[order][1:] != who[order][:-1]]]
    return who[first], which[first]


def attribute_label(column: str) -> str:
    """How a customer attribute is called on screen."""
    return FEATURE_LABELS.get(column) or CUSTOMER_ROLES.get(column) or str(column)


def customer_groups(
    channels: pd.Series | None, customers_table: pd.DataFrame | None, index: pd.Index
) -> dict[str, pd.Series]:
    """Categorical breakdowns of customers: main channel (``channels``, from :func:`main_channel`;
    None without one) and the customer table's categories.

    Returns
    -------
    dict
        Label -> Series of group names indexed like ``index`` ("(not recorded)" where unknown).
        Attributes with a single value or more than :data:`MAX_GROUP_LEVELS` values are skipped.
    """
    groups: dict[str, pd.Series] = {}
    if channels is not None:
        groups["Main channel"] = channels
    if customers_table is None:
        return groups
    table = customers_table[~customers_table.index.duplicated()]
    candidates = [c for c in CATEGORICAL_ROLES if c in table] + [
        c
        for c in table.columns
        if c not in CUSTOMER_ROLES
        and (table[c].dtype == object or isinstance(table[c].dtype, pd.CategoricalDtype))
    ]
    for column in candidates:
        values = table[column].reindex(index)
        values = values.where(values.notna() & (values.astype(str).str.strip() != ""), NOT_RECORDED)
        values = values.astype(str)
        levels = values[values != NOT_RECORDED].nunique()
        if 2 <= levels <= MAX_GROUP_LEVELS:
            groups[attribute_label(column)] = values
    return groups


def numeric_attributes(
    customers_table: pd.DataFrame | None, cost_to_serve: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Numeric per-customer attributes that can join the clustering (acquisition cost, wallet,
    cost-to-serve drivers, numeric extra columns), indexed by customer_id."""
    parts = []
    for table in (customers_table, cost_to_serve):
        if table is None:
            continue
        table = table[~table.index.duplicated()]
        numeric = {}
        for column in table.columns:
            if pd.api.types.is_bool_dtype(table[column]) or pd.api.types.is_datetime64_any_dtype(
                table[column]
            ):
                continue
            values = pd.to_numeric(table[column], errors="coerce")
            if values.notna().mean() >= 0.9 and values.nunique() > 1:
                numeric[column] = values
        parts.append(pd.DataFrame(numeric, index=table.index))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, axis=1)
    return out.loc[:, ~out.columns.duplicated()]
