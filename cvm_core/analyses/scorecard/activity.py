"""What each customer did in each period (sales, orders, items), counted without hash tables so it
scales to 10M transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability.drivers import (
    factorize_ids,
    factorize_small_ints,
    id_codes,
    index_positions,
    unknown_customers,
)
from cvm_core.analyses.scorecard.periods import Periods, period_number

# --- per customer and period ---------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """Transactions collapsed to (customer, period) pairs; customers in the summary's order."""

    n: int
    n_periods: int
    customer: np.ndarray  # per pair
    period: np.ndarray  # per pair
    gross: np.ndarray
    returns: np.ndarray
    orders: np.ndarray
    rows: np.ndarray
    items: np.ndarray | None  # distinct products (or categories) bought
    first_period: np.ndarray  # per customer
    row_customer: np.ndarray | None  # customer code of each transaction (None: built by SQL)

    @property
    def net(self) -> np.ndarray:
        return self.gross - self.returns

    @property
    def active(self) -> np.ndarray:
        return self.orders > 0

    def per_period(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        weights = values if mask is None else np.where(mask, values, 0.0)
        return np.bincount(self.period, weights, minlength=self.n_periods)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.period[mask], minlength=self.n_periods).astype(float)


_TABLE_BYTES_PER_ROW = 8  # memory per transaction allowed for a table indexed by (group, item)


def distinct_per_group(group: np.ndarray, item: np.ndarray, n: int) -> np.ndarray:
    """Distinct items per group (both non-negative integer codes).

    Hash tables of millions of keys outgrow the CPU cache and slow down more than linearly, so
    they are avoided where the codes allow: a table of flags when groups x items is small, else
    each item is counted once in one group that has it (any such group will do) and only the
    rows of its other groups are hashed; with order ids, which rarely span groups, that is few.
    """
    if not len(group):
        return np.zeros(n)
    group = group.astype(np.int64)
    width = int(item.max()) + 1
    if n * width <= _TABLE_BYTES_PER_ROW * len(group):  # one byte per flag
        seen = np.zeros(n * width, bool)
        seen[group * width + item] = True
        return np.count_nonzero(seen.reshape(n, width), axis=1).astype(float)
    owner = np.full(width, -1, np.int64)
    owner[item] = group  # one of the groups that has the item
    counts = np.bincount(owner[owner >= 0], minlength=n)
    other = owner[item] != group
    if other.any():
        unique = pd.unique(group[other] * width + item[other])
        counts += np.bincount(unique // width, minlength=n)
    return counts.astype(float)


def _documents(tx: pd.DataFrame) -> np.ndarray:
    """Order id codes; the day number where there is no order id (one order per customer-day)."""
    days = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    days = days - days.min(initial=0)
    if "order_id" not in tx:
        return days
    codes = id_codes(tx["order_id"])
    if (codes < 0).all():  # no order ids at all
        return days
    return np.where(codes >= 0, codes, codes.max(initial=0) + 1 + days)


def item_codes(tx: pd.DataFrame, prefer: tuple[str, ...]) -> np.ndarray | None:
    """Codes of the first of ``prefer`` columns the transactions have values in (-1 = missing)."""
    for column in prefer:
        if column in tx:
            codes = pd.factorize(tx[column].to_numpy())[0].astype(np.int64)
            if (codes >= 0).any():  # the codes tell missing values apart: no second pass
                return codes
    return None


def period_activity(tx: pd.DataFrame, summary: pd.DataFrame, periods: Periods) -> Activity:
    n, n_periods = len(summary), len(periods.index)
    cust = index_positions(summary.index, tx["customer_id"])
    if (cust < 0).any():
        raise unknown_customers()
    key = cust.astype(np.int64) * n_periods + periods.codes
    # int64 per (customer, period) in the hash-free path: up to twice the usual table allowance
    dense = n * n_periods * 8 <= 2 * _TABLE_BYTES_PER_ROW * len(key)
    found = factorize_small_ints(key, n * n_periods) if dense else None
    pair_of_row, pairs = found if found is not None else factorize_ids(key)
    revenue = tx["revenue"].to_numpy(dtype=float)
    buy = ~tx["is_return"].to_numpy(dtype=bool)
    m = len(pairs)
    items = item_codes(tx, ("product", "category"))
    bought = None
    if items is not None:
        rows = buy & (items >= 0)
        bought = distinct_per_group(pair_of_row[rows], items[rows], m)
    orders = distinct_per_group(pair_of_row[buy], _documents(tx)[buy], m)
    return Activity(
        n=n,
        n_periods=n_periods,
        customer=pairs // n_periods,
        period=pairs % n_periods,
        gross=np.bincount(pair_of_row, np.where(buy, revenue, 0.0), m),
        returns=np.bincount(pair_of_row, np.where(buy, 0.0, -revenue), m),
        orders=orders,
        rows=np.bincount(pair_of_row, minlength=m).astype(float),
        items=bought,
        first_period=periods.code_of(summary["first_purchase"]),
        row_customer=cust.astype(np.int64),
    )


def periods_of_table(table: pd.DataFrame, frequency: str) -> Periods:
    """The Scorecard's periods for a ``period_activity`` table of
    :mod:`cvm_core.intake.aggregations`: from its first day to its observation end."""
    start = pd.Timestamp(table["first_day"].min())
    end = pd.Timestamp(table["end_day"].iloc[0])
    index = pd.period_range(start, end, freq=frequency)
    return Periods(np.zeros(0, np.int64), index, start, end)  # no rows: no row codes


def activity_from_table(table: pd.DataFrame, summary: pd.DataFrame, periods: Periods) -> Activity:
    """:func:`period_activity` from the ``period_activity`` table (DuckDB or Spark)."""
    customer = index_positions(summary.index, table["customer_id"])
    if (customer < 0).any():
        raise unknown_customers()
    # The query counted products, else categories: the first with values, as item_codes picks.
    items = table["items"].to_numpy(dtype=float) if table["known_items"].sum() > 0 else None
    return Activity(
        n=len(summary),
        n_periods=len(periods.index),
        customer=customer.astype(np.int64),
        period=table["period_number"].to_numpy(dtype=np.int64) - period_number(periods.index[0]),
        gross=table["gross"].to_numpy(dtype=float),
        returns=table["returns"].to_numpy(dtype=float),
        orders=table["orders"].to_numpy(dtype=float),
        rows=table["lines"].to_numpy(dtype=float),
        items=items,
        first_period=periods.code_of(summary["first_purchase"]),
        row_customer=None,
    )


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio, NaN where the denominator is not positive."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out
