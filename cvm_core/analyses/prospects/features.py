"""The attributes that may tell valuable customers apart: who they are (the customer table's
acquisition channel, region, industry and further attribute columns) and how they started (first
order value, first category, first channel, from the transactions).

Every attribute is categorical text, so a model's rules read as plain sentences ("Industry =
Hospitality"); numbers are cut into quartiles with their ranges as labels. Missing values read
:data:`NOT_RECORDED`, a category of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability.drivers import index_positions

if TYPE_CHECKING:
    from cvm_core.analyses.sources import TransactionSource

NOT_RECORDED = "(not recorded)"
ATTRIBUTE_LABELS: dict[str, str] = {
    "acquisition_channel": "Acquisition channel",
    "region": "Region",
    "industry": "Industry",
    "first_order_value": "First order value",
    "first_category": "First category",
    "first_channel": "First channel",
}
"""Labels of the attributes this module knows; further customer-table columns keep their name."""
FIRST_PURCHASE = ("first_order_value", "first_category", "first_channel")
"""Attributes of a customer's first purchase (a prospect has none yet)."""
NOT_ATTRIBUTES = frozenset(
    {"customer_name", "acquisition_date", "acquisition_cost", "category_spend"}
)
"""Customer-table columns that are no trait: names, dates and money a prospect has no value for."""
MAX_LEVELS = 30
"""A text column with more distinct values than this is an identifier or free text, not a trait."""
NUMBER_BINS = 4


def label(attribute: str) -> str:
    """The attribute's name as users read it."""
    return ATTRIBUTE_LABELS.get(attribute, str(attribute).replace("_", " ").capitalize())


def customer_attributes(customers: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    """The customer table's trait columns for the customers of ``index``, as text categories.

    Numeric columns with many values are cut into quartiles; text columns with more than
    :data:`MAX_LEVELS` values (ids, names, free text) are left out.
    """
    out = pd.DataFrame(index=index)
    if customers is None:
        return out
    for column in customers.columns:
        if column in NOT_ATTRIBUTES:
            continue
        values = customers[column].reindex(index)
        text = _as_categories(values)
        if text is not None:
            out[column] = text
    return out


def _as_categories(values: pd.Series) -> pd.Series | None:
    if pd.api.types.is_datetime64_any_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_LEVELS:
        return quartiles(values)
    text = values.astype("string").str.strip()
    text = text.mask(text.isna() | (text == "") | text.str.lower().isin(["nan", "none"]))
    if text.nunique() > MAX_LEVELS or text.notna().sum() == 0:
        return None
    return text.fillna(NOT_RECORDED).astype(str)


def quartiles(values: pd.Series, edges: np.ndarray | None = None) -> pd.Series:
    """Numbers as quartile labels ("120 to 340"); ``edges`` from :func:`quartile_edges` to cut
    other numbers (a prospect's) the same way."""
    numbers = pd.to_numeric(values, errors="coerce")
    edges = quartile_edges(numbers) if edges is None else edges
    names = bin_labels(edges)
    codes = np.searchsorted(edges[1:-1], numbers.to_numpy(dtype=float), side="right")
    out = pd.Series(np.asarray(names, dtype=object)[codes], index=values.index)
    return out.where(numbers.notna(), NOT_RECORDED).astype(str)


def quartile_edges(numbers: pd.Series) -> np.ndarray:
    known = numbers.dropna().to_numpy(dtype=float)
    if len(known) == 0:
        return np.array([0.0, 0.0])
    edges = np.unique(np.quantile(known, np.linspace(0, 1, NUMBER_BINS + 1)))
    return edges if len(edges) > 1 else np.array([edges[0], edges[0]])


def bin_labels(edges: np.ndarray) -> list[str]:
    if len(edges) <= 2:
        return [f"{edges[0]:,.0f} to {edges[-1]:,.0f}"]
    inner = [f"{lo:,.0f} to {hi:,.0f}" for lo, hi in zip(edges[1:-2], edges[2:-1], strict=True)]
    return [f"under {edges[1]:,.0f}", *inner, f"{edges[-2]:,.0f} and more"]


def first_purchase(transactions: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Each customer's first purchase day: its value (quartiles), its main category (the largest
    revenue that day) and its channel, where the transactions have them."""
    return first_purchase_from_table(first_purchase_table(transactions), index)


def first_purchase_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """Per customer with a purchase: customer_id, first_order_value (the first purchase day's
    revenue) and, where the columns exist, first_category and first_channel (the one with the
    most revenue that day; ties to the first name). The table the engines' ``first_purchases``
    query returns."""
    if transactions.empty:
        return pd.DataFrame(columns=["customer_id", "first_order_value"])
    sales = transactions
    if "is_return" in sales:
        sales = sales[~sales["is_return"].astype(bool)]
    first_day = sales.groupby("customer_id", observed=True)["date"].transform("min")
    first = sales[sales["date"] == first_day]
    table = (
        first.groupby("customer_id", observed=True)["revenue"].sum().to_frame("first_order_value")
    )
    for column, name in (("category", "first_category"), ("channel", "first_channel")):
        if column in first:
            table[name] = _main_value(first, column).reindex(table.index)
    return table.reset_index()


def first_purchase_from_table(table: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """:func:`first_purchase` from :func:`first_purchase_table`'s table (either path's)."""
    out = pd.DataFrame(index=index)
    if table.empty:
        return out
    row = index_positions(index, table["customer_id"])
    known = row >= 0

    def per_customer(column: str) -> pd.Series:
        values = pd.Series(np.nan, index=index, dtype=object)
        values.iloc[row[known]] = table[column].to_numpy(dtype=object)[known]
        return values

    out["first_order_value"] = quartiles(per_customer("first_order_value").astype(float))
    for name in ("first_category", "first_channel"):
        if name in table and table[name].notna().any():
            out[name] = per_customer(name).fillna(NOT_RECORDED).astype(str)
    return out


def _main_value(first: pd.DataFrame, column: str) -> pd.Series:
    # Text, so that ties go to the first name whatever order a categorical's codes have.
    lines = first.assign(**{column: first[column].astype("string")})
    by_value = lines.groupby(["customer_id", column], observed=True)["revenue"].sum()
    top = by_value.reset_index().sort_values(
        ["customer_id", "revenue", column], ascending=[True, False, True], kind="stable"
    )
    return top.drop_duplicates("customer_id").set_index("customer_id")[column].astype(str)


def first_year_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """Per customer: first_day (their first transaction) and first_year_revenue (net revenue of
    the 365 days from it): the table the engines' ``first_year`` query returns."""
    if transactions.empty:
        return pd.DataFrame(columns=["customer_id", "first_day", "first_year_revenue"])
    first = transactions.groupby("customer_id", observed=True)["date"].transform("min")
    year = transactions["date"] < first + pd.Timedelta(days=365)
    grouped = transactions.assign(year_revenue=transactions["revenue"].where(year, 0.0)).groupby(
        "customer_id", observed=True
    )
    return pd.DataFrame(
        {"first_day": grouped["date"].min(), "first_year_revenue": grouped["year_revenue"].sum()}
    ).reset_index()


def first_year_revenue(
    table: pd.DataFrame, index: pd.Index, observation_end: pd.Timestamp
) -> pd.Series:
    """Each customer's first-year net revenue (:func:`first_year_table`), NaN for customers whose
    first year is not over by ``observation_end``."""
    out = pd.Series(np.nan, index=index)
    if table.empty:
        return out
    row = index_positions(index, table["customer_id"])
    known = row >= 0
    revenue = out.copy()
    revenue.iloc[row[known]] = table["first_year_revenue"].to_numpy(dtype=float)[known]
    started = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    started.iloc[row[known]] = pd.to_datetime(table["first_day"]).to_numpy()[known]
    whole_year = started <= pd.Timestamp(observation_end) - pd.Timedelta(days=365)
    return revenue.fillna(0.0).where(whole_year)


def customer_features(
    source: TransactionSource, customers: pd.DataFrame | None, index: pd.Index
) -> pd.DataFrame:
    """Every trait of every customer of ``index``: the customer table's attributes, then the
    first purchase's (from the transactions' ``source``: in memory or on a file). Columns are
    attribute keys (see :func:`label`), values text."""
    firsts = first_purchase_from_table(source.first_purchases(), index)
    return pd.concat([customer_attributes(customers, index), firsts], axis=1)


def one_hot(features: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """0/1 columns per attribute value, and the (attribute, value) each column stands for."""
    columns: list[tuple[str, str]] = []
    blocks = []
    for attribute in features.columns:
        codes, levels = pd.factorize(features[attribute], sort=True)
        block = np.zeros((len(features), len(levels)), dtype=np.float32)
        block[np.arange(len(features)), codes] = 1.0
        blocks.append(block)
        columns += [(attribute, str(level)) for level in levels]
    if not blocks:
        return np.zeros((len(features), 0), dtype=np.float32), []
    return np.hstack(blocks), columns


def encode(features: pd.DataFrame, columns: list[tuple[str, str]]) -> np.ndarray:
    """0/1 columns of ``features`` laid out as ``columns`` (a fitted model's)."""
    out = np.zeros((len(features), len(columns)), dtype=np.float32)
    for j, (attribute, value) in enumerate(columns):
        if attribute in features:
            out[:, j] = (features[attribute].astype(str) == value).to_numpy()
    return out
