"""Driver volumes from the data: orders, lines, units, returns, small orders and orders per channel
per customer from the transactions, plus the columns of the cost-to-serve table.

Ids are factorised once per call and equal ids counted with code-indexed arrays, so this scales
linearly to 10M transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from cvm_core.analyses.profitability.activities import (
    CHANNEL_PREFIX,
    CUSTOMERS,
    ORDER_LINES,
    ORDERS,
    RETURNED_LINES,
    RETURNS,
    SMALL_ORDER_THRESHOLD,
    SMALL_ORDERS,
    UNITS,
    UNKNOWN_CHANNEL,
)
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

if TYPE_CHECKING:
    from cvm_core.analyses.sources import TransactionSource

# --- drivers from the data -----------------------------------------------------------------------


@dataclass(frozen=True)
class OrderTable:
    """One entry per purchase order, for what-if levers that act on orders.

    Attributes
    ----------
    customer : ndarray of int
        Position of the customer in the P&L's index.
    value : ndarray of float
        Gross order value.
    channel : ndarray of int
        Position in ``channels`` (every order has one; missing channels are ``Unknown``).
    channels : tuple of str
    """

    customer: np.ndarray
    value: np.ndarray
    channel: np.ndarray
    channels: tuple[str, ...]


def _run_starts(values: np.ndarray) -> np.ndarray | None:
    """First position of each run of equal adjacent values (None if the values cannot be compared).

    Exports list the lines of an order together, so ids come in runs: hashing one value per run
    instead of every row keeps the hash table work proportional to the orders, not the lines.
    """
    if len(values) == 0:
        return np.zeros(0, np.int64)
    try:
        changed = np.asarray(values[1:] != values[:-1], dtype=bool)
    except (TypeError, ValueError):  # e.g. pd.NA, whose comparisons have no truth value
        return None
    return np.flatnonzero(np.r_[True, changed])


def _spread(starts: np.ndarray, head_values: np.ndarray, n: int) -> np.ndarray:
    """Repeat each run's value over the run."""
    return np.repeat(head_values, np.diff(np.r_[starts, n]))


def _encode_text(values: np.ndarray, uniques: bool) -> tuple[np.ndarray, np.ndarray | None] | None:
    """pd.factorize of an object array of str through Arrow (None if the values are not all str).

    Arrow's hash table keeps the strings in one buffer; the object hash table follows a pointer to
    each Python string, which is several times slower once millions of ids exceed the CPU cache.
    Both number values by first appearance and give missing values -1.
    """
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None  # bytes, numbers or mixed types: pandas' own equality decides
    try:
        encoded = pa.array(values, type=pa.string(), from_pandas=True).dictionary_encode()
    except (pa.ArrowException, TypeError, ValueError):
        return None
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    # Millions of unique ids back as Python strings cost a tenth of a second: only on request.
    return codes, encoded.dictionary.to_numpy(zero_copy_only=False) if uniques else None


def factorize_ids(values: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Exactly ``pd.factorize(values)`` (codes as int64), fast on millions of id-like values.

    Only the first value of each run of equal adjacent values is hashed (ids come in runs: the
    lines of an order, the rows of a customer), and strings are hashed by Arrow. Shared by the
    customer P&L and the scorecard, which both group millions of rows by customer and order.

    Parameters
    ----------
    values : ndarray or Series
        Ids (str, int, ...); missing values get code -1 as in pandas.

    Returns
    -------
    codes : ndarray of int64
        Position of each value in ``uniques``, numbered by first appearance.
    uniques : ndarray
    """
    codes, uniques = _factorize_ids(values, uniques=True)
    return codes, np.asarray(uniques)


def id_codes(values: np.ndarray | pd.Series) -> np.ndarray:
    """The codes of :func:`factorize_ids` alone (the distinct values are not materialised)."""
    return _factorize_ids(values, uniques=False)[0]


def _factorize_ids(
    values: np.ndarray | pd.Series, uniques: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    values = np.asarray(values)
    starts = _run_starts(values) if values.dtype.kind in "Oiub" else None
    if starts is None:
        codes, uniques = pd.factorize(values)
        return codes.astype(np.int64), np.asarray(uniques)
    heads = values[starts]
    encoded = _encode_text(heads, uniques) if heads.dtype == object else None
    if encoded is None:
        head_codes, uniques = pd.factorize(heads)
        encoded = head_codes.astype(np.int64), np.asarray(uniques)
    return _spread(starts, encoded[0], len(values)), encoded[1]


def index_positions(index: pd.Index, values: np.ndarray | pd.Series) -> np.ndarray:
    """Exactly ``index.get_indexer(values)``, looking each run of equal adjacent values up once
    (each distinct value once for a categorical, as the engines return customer ids)."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        categorical = pd.Categorical(values)
        lookup = np.append(index.get_indexer(categorical.categories), -1)  # code -1: missing
        return lookup[categorical.codes]
    values = np.asarray(values)
    starts = _run_starts(values) if values.dtype.kind in "Oiub" else None
    if starts is None:
        return index.get_indexer(values)
    return _spread(starts, index.get_indexer(values[starts]), len(values))


def _customer_codes(transactions: pd.DataFrame, index: pd.Index) -> np.ndarray:
    codes = index_positions(index, transactions["customer_id"])
    if (codes < 0).any():
        raise unknown_customers()
    return codes


def unknown_customers() -> ValidationError:
    """The error for transactions of customers missing from the customer summary."""
    return ValidationError(
        Message(
            N_("The transactions contain customers the customer summary does not know; "
               "recompute the summary with the same observation end.")
        )
    )  # fmt: skip


def _pair_codes(customer: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group code of each (customer, key) row, numbered by first appearance, and each group's
    first row. One int64 key per pair keeps a million rows fast (no MultiIndex)."""
    key = key - key.min() if len(key) else key
    width = int(key.max(initial=0)) + 1
    if width <= _DENSE_KEYS_PER_ROW * len(key):
        code = _first_appearance_codes(_dense_pair_labels(customer, key, width))
    else:
        code = id_codes(customer.astype(np.int64) * width + key)
    # codes number groups in order of first appearance, so a group starts where the running
    # maximum of the codes goes up.
    running = np.maximum.accumulate(code) if len(code) else code
    is_first = np.ones(len(code), bool)
    is_first[1:] = running[1:] > running[:-1]
    return code, np.flatnonzero(is_first)


_DENSE_KEYS_PER_ROW = 4  # keys (order codes) per row up to which arrays indexed by key are used


def _dense_pair_labels(customer: np.ndarray, key: np.ndarray, width: int) -> np.ndarray:
    """A distinct non-negative label per (customer, key) pair, for keys in [0, width).

    An order id nearly always belongs to one customer: each key's pair with one of its customers
    is labelled by the key itself, and only the rare rows of other customers with the same key
    are hashed. This avoids a hash table over millions of pairs, which outgrows the CPU cache.
    """
    customer = customer.astype(np.int64)
    owner = np.full(width, -1, np.int64)
    owner[key] = customer  # one of the customers with the key
    other = owner[key] != customer
    labels = key.astype(np.int64)
    if other.any():
        labels[other] = width + id_codes(customer[other] * width + key[other])
    return labels


def factorize_small_ints(values: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Exactly ``pd.factorize`` of non-negative integers below ``limit``, without a hash table
    (None if some value is not below ``limit``). For keys such as customer x period codes, whose
    range is known and small next to the number of rows."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) and (values.min() < 0 or values.max() >= limit):
        return None
    codes = _first_appearance_codes(values)
    uniques = np.zeros(int(codes.max(initial=-1)) + 1, np.int64)
    uniques[codes] = values  # every row of a code holds the same value
    return codes, uniques


def _first_appearance_codes(labels: np.ndarray) -> np.ndarray:
    """Non-negative labels renumbered 0, 1, ... in order of first appearance (as pd.factorize)."""
    n = len(labels)
    first = np.full(int(labels.max(initial=-1)) + 1, n, np.int64)
    np.minimum.at(first, labels, np.arange(n))
    is_first = np.zeros(n + 1, np.int64)
    is_first[first] = 1  # labels that do not occur point at the sentinel n
    return (np.cumsum(is_first[:n]) - 1)[first[labels]]


def _document_keys(tx: pd.DataFrame) -> np.ndarray:
    """Order id codes of every row; the day instead where there is no order id.

    Computed once for all rows: grouping by (customer, key) only needs equal ids to get equal
    keys, so purchases and returns can share one factorization.
    """
    days = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    if "order_id" not in tx:
        return days
    ids = id_codes(tx["order_id"])
    if (ids < 0).all():  # no order ids at all
        return days
    # Rows without an order id count as one order per customer and day (negative keys so they
    # never collide with an id's code).
    return np.where(ids < 0, -1 - (days - days.min(initial=0)), ids)


def _channels(tx: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Channel of the given rows as positions in the sorted channel names (missing: Unknown).

    The column is factorized once (few distinct values: fast) and only the distinct names are
    turned into text and sorted, instead of converting every order's channel to text.
    """
    codes, uniques = pd.factorize(tx["channel"].to_numpy())
    labels = np.array([str(u) for u in uniques] + [UNKNOWN_CHANNEL], dtype=object)
    picked = codes[rows]
    picked = np.where(picked < 0, len(uniques), picked)
    present = np.flatnonzero(np.bincount(picked, minlength=len(labels)))
    names = sorted(set(labels[present]))  # distinct values may share a text (1 and "1")
    position = np.full(len(labels), -1, np.int64)
    position[present] = [names.index(label) for label in labels[present]]
    return position[picked], tuple(names)


def _orders(
    tx: pd.DataFrame, codes: np.ndarray, purchase: np.ndarray, keys: np.ndarray
) -> OrderTable:
    """Purchase orders: by (customer, order id), or by (customer, day) without order ids."""
    rows = np.flatnonzero(purchase)
    order_code, first = _pair_codes(codes[rows], keys[rows])
    revenue = tx["revenue"].to_numpy(dtype=float)[rows]
    value = np.bincount(order_code, revenue, minlength=len(first))
    if "channel" in tx:
        channel, channels = _channels(tx, rows[first])
    else:
        channel, channels = np.zeros(len(first), np.int64), (UNKNOWN_CHANNEL,)
    return OrderTable(codes[rows[first]], value, channel.astype(np.int64), channels)


def _return_documents(
    codes: np.ndarray, returned: np.ndarray, n: int, keys: np.ndarray
) -> np.ndarray:
    rows = np.flatnonzero(returned)
    if not len(rows):
        return np.zeros(n)
    _, first = _pair_codes(codes[rows], keys[rows])
    return np.bincount(codes[rows[first]], minlength=n).astype(float)


def transaction_drivers(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
) -> tuple[pd.DataFrame, OrderTable]:
    """Driver volumes per customer computed from the transactions.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions, already limited to the observation period of ``summary``.
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` of the same transactions.
    small_order_threshold : float
        Orders with a gross value below this count as ``Small orders``.

    Returns
    -------
    drivers : DataFrame
        Indexed like ``summary``; columns ``Customers``, ``Orders``, ``Order lines``, ``Returns``,
        ``Returned lines``, ``Small orders``, ``Units`` (with a quantity column) and
        ``Orders via <channel>`` (with a channel column).
    orders : OrderTable
    """
    n = len(summary)
    codes = _customer_codes(transactions, summary.index)
    purchase = ~transactions["is_return"].to_numpy()
    keys = _document_keys(transactions)
    orders = _orders(transactions, codes, purchase, keys)
    units = None
    if "quantity" in transactions and transactions["quantity"].notna().any():
        quantity = np.nan_to_num(transactions["quantity"].to_numpy(dtype=float))
        units = np.bincount(codes[purchase], np.abs(quantity[purchase]), minlength=n)
    lines = LineCounts(
        order_lines=np.bincount(codes[purchase], minlength=n).astype(float),
        returned_lines=np.bincount(codes[~purchase], minlength=n).astype(float),
        returns=_return_documents(codes, ~purchase, n, keys),
        units=units,
    )
    drivers = driver_frame(
        summary.index, orders, lines, "channel" in transactions, small_order_threshold
    )
    return drivers, orders


@dataclass(frozen=True)
class LineCounts:
    """Per customer (aligned with the P&L's index): purchase lines, returned lines, return
    documents, and units bought (None when the data has no quantities)."""

    order_lines: np.ndarray
    returned_lines: np.ndarray
    returns: np.ndarray
    units: np.ndarray | None


def driver_frame(
    index: pd.Index,
    orders: OrderTable,
    lines: LineCounts,
    has_channel: bool,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
) -> pd.DataFrame:
    """The drivers table of :func:`transaction_drivers` from orders and line counts, however
    they were computed (numpy here, or SQL: :func:`drivers_from_tables`)."""
    n = len(index)
    out = {
        CUSTOMERS: np.ones(n),
        ORDERS: np.bincount(orders.customer, minlength=n).astype(float),
        ORDER_LINES: lines.order_lines,
        RETURNS: lines.returns,
        RETURNED_LINES: lines.returned_lines,
        SMALL_ORDERS: np.bincount(
            orders.customer, orders.value < small_order_threshold, minlength=n
        ).astype(float),
    }
    if lines.units is not None:
        out[UNITS] = lines.units
    if has_channel:
        per_channel = channel_order_counts(orders, n)
        for j, name in enumerate(orders.channels):
            out[f"{CHANNEL_PREFIX}{name}"] = per_channel[:, j]
    return pd.DataFrame(out, index=index)


def drivers_from_tables(
    index: pd.Index,
    orders: pd.DataFrame,
    line_counts: pd.DataFrame,
    has_channel: bool,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
) -> tuple[pd.DataFrame, OrderTable]:
    """:func:`transaction_drivers` from the ``orders`` and ``line_counts`` tables of
    :mod:`cvm_core.intake.aggregations` (DuckDB or Spark), for the customers of ``index``."""
    customer = index_positions(index, orders["customer_id"])
    if (customer < 0).any():
        raise unknown_customers()
    channels, channel = _used_channels(orders["channel"])
    table = OrderTable(
        customer.astype(np.int64),
        orders["value"].to_numpy(dtype=float),
        channel,
        channels if len(orders) else (UNKNOWN_CHANNEL,),
    )
    row = index_positions(index, line_counts["customer_id"])
    if (row < 0).any():
        raise unknown_customers()

    def column(name: str) -> np.ndarray:
        out = np.zeros(len(index))
        out[row] = line_counts[name].fillna(0).to_numpy(dtype=float)
        return out

    has_units = line_counts["known_quantities"].sum() > 0
    lines = LineCounts(
        order_lines=column("order_lines"),
        returned_lines=column("returned_lines"),
        returns=column("returns"),
        units=column("units") if has_units else None,
    )
    return driver_frame(index, table, lines, has_channel, small_order_threshold), table


def _used_channels(labels: pd.Series) -> tuple[tuple[str, ...], np.ndarray]:
    """The channels the orders name, sorted, and each order's position among them. Counted by
    category code: remove_unused_categories sorted 3.7M codes (0.28 s at 10M lines)."""
    if not isinstance(labels.dtype, pd.CategoricalDtype):  # Spark's: text per order
        labels = labels.astype(str).astype("category")
    codes = labels.cat.codes.to_numpy()  # every order has a channel ('Unknown' when missing)
    used = np.flatnonzero(np.bincount(codes, minlength=len(labels.cat.categories)))
    names = np.asarray(labels.cat.categories.astype(str), dtype=object)[used]
    order = np.argsort(names.astype(str), kind="stable")
    position = np.zeros(len(labels.cat.categories), dtype=np.int64)
    position[used[order]] = np.arange(len(order))
    return tuple(str(name) for name in names[order]), position[codes]


def channel_order_counts(orders: OrderTable, n: int) -> np.ndarray:
    """Orders per customer (rows) and channel (columns)."""
    k = len(orders.channels)
    flat = np.bincount(orders.customer * k + orders.channel, minlength=n * k)
    return flat.reshape(n, k).astype(float)


def orders_per_channel(transactions: pd.DataFrame) -> pd.Series:
    """Purchase orders per channel, counted as the ``Orders via <channel>`` drivers count them.

    Returns
    -------
    Series
        Indexed by channel name (missing channels as ``Unknown``), sorted by name; empty without
        a channel column.
    """
    if "channel" not in transactions or transactions.empty:
        return pd.Series(dtype=float)
    codes = id_codes(transactions["customer_id"])
    purchase = ~transactions["is_return"].to_numpy()
    orders = _orders(transactions, codes, purchase, _document_keys(transactions))
    return order_counts_by_channel(orders)


def order_counts_by_channel(orders: OrderTable) -> pd.Series:
    """Orders per channel of an :class:`OrderTable`, indexed by channel name."""
    counts = np.bincount(orders.channel, minlength=len(orders.channels)).astype(float)
    return pd.Series(counts, index=list(orders.channels), name="orders")


def available_drivers(source: TransactionSource, cost_to_serve: pd.DataFrame | None) -> list[str]:
    """Names of every driver this dataset offers, for the activity editor's choice list (from the
    transactions' source: in memory or on a file)."""
    names = [CUSTOMERS, ORDERS, ORDER_LINES, RETURNS, RETURNED_LINES, SMALL_ORDERS]
    if source.has_quantities():
        names.append(UNITS)
    channels = source.channels()
    if channels is not None:
        names += [f"{CHANNEL_PREFIX}{c}" for c in channels.names]
        if channels.some_missing:
            names.append(f"{CHANNEL_PREFIX}{UNKNOWN_CHANNEL}")
    if cost_to_serve is not None:
        names += [str(c) for c in cost_to_serve.columns if str(c) not in names]
    return names
