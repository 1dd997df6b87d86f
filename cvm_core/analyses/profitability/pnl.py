"""Customer profitability: activity-based cost-to-serve and the customer P&L.

Customer operating profit = revenue - returns - cost of goods - cost-to-serve (DOMAIN.md).

Cost-to-serve is assigned through activities (activity-based costing): each activity has a cost
driver (orders, order lines, returns, service calls, ...) and a rate per driver unit. The rate is
either given directly or, in time-driven ABC (Kaplan & Anderson), as minutes per driver unit times
the cost per minute of the resource doing the work. A customer's cost for an activity is their
driver volume times the rate; nothing else is allocated, so the totals reconcile with the books
exactly when the rates are right.

Drivers come from two places:

* the transactions: ``Orders``, ``Order lines``, ``Units``, ``Returns`` (return documents),
  ``Returned lines``, ``Small orders`` (orders below a value threshold), ``Orders via <channel>``
  and ``Customers`` (one per customer, for per-account costs);
* the optional per-customer cost-to-serve table (``Dataset.cost_to_serve``), by column name
  (the demo has ``Service Calls``, ``Deliveries``, ``Sales Visits`` and ``Special Terms``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from cvm_core.errors import ValidationError

# --- drivers -------------------------------------------------------------------------------------

CUSTOMERS = "Customers"
ORDERS = "Orders"
ORDER_LINES = "Order lines"
UNITS = "Units"
RETURNS = "Returns"
RETURNED_LINES = "Returned lines"
SMALL_ORDERS = "Small orders"
CHANNEL_PREFIX = "Orders via "
UNKNOWN_CHANNEL = "Unknown"

DRIVER_HELP: dict[str, str] = {
    CUSTOMERS: "one per customer (account upkeep, credit checks, master data)",
    ORDERS: "purchase orders (distinct order ids; purchase days when there is no order id)",
    ORDER_LINES: "purchase rows (order lines)",
    UNITS: "units bought (needs a quantity column)",
    RETURNS: "return documents (distinct return order ids; return days without order ids)",
    RETURNED_LINES: "returned rows",
    SMALL_ORDERS: "orders worth less than the small-order threshold",
}
"""What each transaction driver counts, for the page's help text."""

SMALL_ORDER_THRESHOLD = 50.0
"""Orders with a gross value below this count as small orders (in the dataset's currency)."""

DEFAULT_GROSS_MARGIN = 0.30
"""Gross margin used for the cost of goods when the data has no cost column (30% of net revenue)."""

ORDER_SIZE_EDGES: tuple[float, ...] = (25.0, 50.0, 100.0, 250.0, 500.0)
"""Average-order-value bands for the profit-by-order-size view."""

# --- the activity table --------------------------------------------------------------------------

ACTIVITY_COLUMNS = ("activity", "driver", "cost_per_unit", "minutes_per_unit", "cost_per_minute")
"""Columns of an activity table. A rate is ``cost_per_unit``, or (time-driven) ``minutes_per_unit``
x ``cost_per_minute`` when minutes are given."""

ACTIVITY_LABELS: dict[str, str] = {
    "activity": "Activity",
    "driver": "Cost driver",
    "cost_per_unit": "Cost per driver unit",
    "minutes_per_unit": "Minutes per driver unit",
    "cost_per_minute": "Cost per minute",
}
"""Headers used in saved activity tables and on the page."""

_NAN = float("nan")
DEFAULT_ACTIVITIES = pd.DataFrame(
    [
        # Calibrated on the demo data (data/demo_retail.xlsx, 4,000 customers over three years) so
        # it shows a typical whale curve: about 29% of customers unprofitable, a peak near 170%.
        # Routine order work is cheap and automated; the costly activities are the ones a few
        # customers use a lot of: field visits (3 hours with travel), special terms, returns.
        ("Order processing", ORDERS, 1.5, _NAN, _NAN),
        ("Picking and packing", ORDER_LINES, 0.4, _NAN, _NAN),
        ("Small-order handling", SMALL_ORDERS, 1.0, _NAN, _NAN),
        ("Returns processing", RETURNS, _NAN, 12.5, 0.8),
        ("Phone order taking", f"{CHANNEL_PREFIX}Phone", _NAN, 4.0, 0.65),
        ("Store order handling", f"{CHANNEL_PREFIX}Store", 1.0, _NAN, _NAN),
        ("Web shop (per order)", f"{CHANNEL_PREFIX}Online", 0.25, _NAN, _NAN),
        ("Field-sales order entry", f"{CHANNEL_PREFIX}Field sales", 2.0, _NAN, _NAN),
        ("Deliveries", "Deliveries", 4.0, _NAN, _NAN),
        ("Customer service calls", "Service Calls", _NAN, 3.0, 0.65),
        ("Sales visits", "Sales Visits", _NAN, 180.0, 1.15),
        ("Special terms administration", "Special Terms", 150.0, _NAN, _NAN),
    ],
    columns=list(ACTIVITY_COLUMNS),
)
"""Default activity rates (in the dataset's currency), calibrated for the demo data. Replace them
with rates from your own books: the page lets you edit, load and save them."""

_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "activity": ("activity", "activityname", "process", "aktivitat", "aktivität", "作业", "活动"),
    "driver": ("driver", "costdriver", "kostentreiber", "成本动因", "动因"),
    "cost_per_unit": (
        "costperdriverunit", "costperunit", "rate", "costrate", "unitcost", "kostensatz",
        "单位成本", "费率",
    ),
    "minutes_per_unit": ("minutesperdriverunit", "minutesperunit", "minutes", "minuten", "分钟"),
    "cost_per_minute": ("costperminute", "minuterate", "kostenprominute", "每分钟成本"),
}  # fmt: skip


def _normalise_header(text: object) -> str:
    return re.sub(r"[\W_]+", "", str(text).lower())


def activity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise an activity table.

    Parameters
    ----------
    frame : DataFrame
        Columns :data:`ACTIVITY_COLUMNS` (or their labels from :data:`ACTIVITY_LABELS`, or common
        synonyms). ``minutes_per_unit`` and ``cost_per_minute`` may be missing.

    Returns
    -------
    DataFrame
        A new frame with exactly :data:`ACTIVITY_COLUMNS`, rates as floats, fully blank rows removed.

    Raises
    ------
    ValidationError
        No activity or driver column, a rate that is not a number or is negative, minutes without a
        cost per minute, or an activity name used twice.
    """
    table = _rename_activity_columns(frame)
    for column in ("minutes_per_unit", "cost_per_minute", "cost_per_unit"):
        if column not in table:
            table[column] = np.nan
    table = table[list(ACTIVITY_COLUMNS)].copy()
    for column in ("activity", "driver"):
        text = table[column].astype("string").str.strip()
        table[column] = text.where(text.notna() & (text != ""), None).astype(object)
    for column in ("cost_per_unit", "minutes_per_unit", "cost_per_minute"):
        table[column] = _numeric_rates(table, column)
    rates = table[["cost_per_unit", "minutes_per_unit", "cost_per_minute"]]
    blank = table["activity"].isna() & table["driver"].isna() & rates.isna().all(axis=1)
    table = table[~blank].reset_index(drop=True)
    _check_activity_rows(table)
    return table


def _rename_activity_columns(frame: pd.DataFrame) -> pd.DataFrame:
    lookup = {_normalise_header(k): k for k in ACTIVITY_COLUMNS}
    lookup |= {_normalise_header(label): k for k, label in ACTIVITY_LABELS.items()}
    lookup |= {_normalise_header(s): k for k, words in _HEADER_SYNONYMS.items() for s in words}
    renamed: dict[object, str] = {}
    for column in frame.columns:
        key = lookup.get(_normalise_header(column))
        if key and key not in renamed.values():
            renamed[column] = key
    table = frame.rename(columns=renamed)[list(renamed.values())]
    missing = [ACTIVITY_LABELS[c] for c in ("activity", "driver") if c not in table]
    if missing:
        raise ValidationError(
            f"The activity table needs the columns {', '.join(ACTIVITY_LABELS.values())}; "
            f"'{' and '.join(missing)}' not found (it has: {', '.join(map(str, frame.columns))})."
        )
    return table


def _numeric_rates(table: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = values.isna() & table[column].notna() & (table[column].astype(str).str.strip() != "")
    if bad.any():
        row = table.loc[bad.idxmax()]
        raise ValidationError(
            f"'{ACTIVITY_LABELS[column]}' of activity '{row['activity']}' is not a number "
            f"('{row[column]}'). Type a plain number such as 12.5."
        )
    if (values < 0).any():
        row = table.loc[(values < 0).idxmax()]
        raise ValidationError(
            f"'{ACTIVITY_LABELS[column]}' of activity '{row['activity']}' is negative; rates must "
            "be zero or more."
        )
    return values.astype(float)


def _check_activity_rows(table: pd.DataFrame) -> None:
    unnamed = table["activity"].isna() | table["driver"].isna()
    if unnamed.any():
        i = int(np.flatnonzero(unnamed)[0])
        raise ValidationError(
            f"Row {i + 1} of the activity table needs both an activity name and a cost driver."
        )
    duplicated = table["activity"].duplicated()
    if duplicated.any():
        name = table.loc[duplicated, "activity"].iloc[0]
        raise ValidationError(
            f"The activity '{name}' appears twice; give each activity its own name."
        )
    timed = table["minutes_per_unit"].notna() & (table["minutes_per_unit"] > 0)
    no_price = timed & table["cost_per_minute"].isna()
    if no_price.any():
        name = table.loc[no_price, "activity"].iloc[0]
        raise ValidationError(
            f"Activity '{name}' has minutes per driver unit but no cost per minute: fill in both "
            "(time-driven costing), or clear the minutes and give a cost per driver unit."
        )


def effective_rates(table: pd.DataFrame) -> pd.Series:
    """Cost per driver unit of each activity of a checked table (time-driven where minutes given)."""
    timed = table["minutes_per_unit"].notna() & (table["minutes_per_unit"] > 0)
    rate = np.where(
        timed, table["minutes_per_unit"] * table["cost_per_minute"], table["cost_per_unit"]
    )
    return pd.Series(np.nan_to_num(rate.astype(float)), index=table["activity"], name="rate")


def read_activity_table(data: bytes, filename: str) -> pd.DataFrame:
    """Read an activity table saved as CSV or a spreadsheet (the first sheet that has one).

    Raises
    ------
    ValidationError
        When no sheet has activity and driver columns, or a rate is not a valid number.
    """
    from cvm_core.intake.io import read_workbook  # io pulls in the readers; only needed for uploads

    workbook = read_workbook(data, filename)
    errors = []
    for table in workbook.tables.values():
        try:
            return activity_table(table.frame)
        except ValidationError as error:
            errors.append(str(error))
    raise ValidationError(errors[0] if errors else f"'{filename}' holds no table.")


def activity_table_for_export(table: pd.DataFrame) -> pd.DataFrame:
    """The activity table with readable headers, as saved to CSV/XLSX (and read back)."""
    return table[list(ACTIVITY_COLUMNS)].rename(columns=ACTIVITY_LABELS)


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
    """Exactly ``index.get_indexer(values)``, looking each run of equal adjacent values up once."""
    values = np.asarray(values)
    starts = _run_starts(values) if values.dtype.kind in "Oiub" else None
    if starts is None:
        return index.get_indexer(values)
    return _spread(starts, index.get_indexer(values[starts]), len(values))


def _customer_codes(transactions: pd.DataFrame, index: pd.Index) -> np.ndarray:
    codes = index_positions(index, transactions["customer_id"])
    if (codes < 0).any():
        raise ValidationError(
            "The transactions contain customers the customer summary does not know; recompute "
            "the summary with the same observation end."
        )
    return codes


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
    out = {
        CUSTOMERS: np.ones(n),
        ORDERS: np.bincount(orders.customer, minlength=n).astype(float),
        ORDER_LINES: np.bincount(codes[purchase], minlength=n).astype(float),
        RETURNS: _return_documents(codes, ~purchase, n, keys),
        RETURNED_LINES: np.bincount(codes[~purchase], minlength=n).astype(float),
        SMALL_ORDERS: np.bincount(
            orders.customer, orders.value < small_order_threshold, minlength=n
        ).astype(float),
    }
    if "quantity" in transactions and transactions["quantity"].notna().any():
        quantity = np.nan_to_num(transactions["quantity"].to_numpy(dtype=float))
        out[UNITS] = np.bincount(codes[purchase], np.abs(quantity[purchase]), minlength=n)
    if "channel" in transactions:
        per_channel = channel_order_counts(orders, n)
        for j, name in enumerate(orders.channels):
            out[f"{CHANNEL_PREFIX}{name}"] = per_channel[:, j]
    return pd.DataFrame(out, index=summary.index), orders


def channel_order_counts(orders: OrderTable, n: int) -> np.ndarray:
    """Orders per customer (rows) and channel (columns)."""
    k = len(orders.channels)
    flat = np.bincount(orders.customer * k + orders.channel, minlength=n * k)
    return flat.reshape(n, k).astype(float)


def available_drivers(transactions: pd.DataFrame, cost_to_serve: pd.DataFrame | None) -> list[str]:
    """Names of every driver this dataset offers, for the activity editor's choice list."""
    names = [CUSTOMERS, ORDERS, ORDER_LINES, RETURNS, RETURNED_LINES, SMALL_ORDERS]
    if "quantity" in transactions and transactions["quantity"].notna().any():
        names.append(UNITS)
    if "channel" in transactions:
        channels = transactions["channel"].dropna().unique()
        names += [f"{CHANNEL_PREFIX}{c}" for c in sorted(map(str, channels))]
        if transactions["channel"].isna().any():
            names.append(f"{CHANNEL_PREFIX}{UNKNOWN_CHANNEL}")
    if cost_to_serve is not None:
        names += [str(c) for c in cost_to_serve.columns if str(c) not in names]
    return names


# --- the customer P&L ----------------------------------------------------------------------------

PNL_COLUMNS = (
    "revenue", "returns", "net_revenue", "cogs", "gross_margin", "cost_to_serve", "profit",
    "orders", "avg_order_value",
)  # fmt: skip
"""Money and activity columns of :attr:`CustomerPnL.pnl` (then main_channel, order_size_band)."""


@dataclass(frozen=True)
class CustomerPnL:
    """Per-customer operating profit and the cost-to-serve behind it.

    Attributes
    ----------
    pnl : DataFrame
        Indexed by customer_id: :data:`PNL_COLUMNS`, ``main_channel`` (the channel with most
        orders; ``Unknown`` without a channel column) and ``order_size_band``. profit =
        revenue - returns - cogs - cost_to_serve; gross_margin = revenue - returns - cogs.
    activity_costs : DataFrame
        Cost-to-serve per customer (rows) and activity (columns); rows sum to ``cost_to_serve``.
    driver_volumes : DataFrame
        The driver volume each activity was charged on, per customer and activity.
    activities : DataFrame
        The activity table with ``rate`` (cost per driver unit), ``method``, ``volume``,
        ``cost`` (total assigned), ``share`` (of all cost-to-serve), ``customers`` (with
        volume > 0) and ``status`` (why an activity costs nothing, else "").
    orders : OrderTable
    cogs_source : str
        "cost column", "margin setting" or "cost column + margin setting" (some customers
        without cost).
    gross_margin_setting : float
    small_order_threshold : float
    notes : tuple of str
    """

    pnl: pd.DataFrame
    activity_costs: pd.DataFrame
    driver_volumes: pd.DataFrame
    activities: pd.DataFrame
    orders: OrderTable
    cogs_source: str
    gross_margin_setting: float
    small_order_threshold: float
    notes: tuple[str, ...] = ()

    @property
    def total_profit(self) -> float:
        return float(self.pnl["profit"].sum())

    def reconciliation(self) -> dict[str, float]:
        """Totals: revenue - returns - cost of goods - cost-to-serve = operating profit."""
        totals = {k: float(self.pnl[k].sum()) for k in ("revenue", "returns", "cogs")}
        totals["cost_to_serve"] = float(self.activities["cost"].sum())
        totals["profit"] = self.total_profit
        return totals


def _cogs(summary: pd.DataFrame, gross_margin: float) -> tuple[np.ndarray, str, list[str]]:
    cost = summary["cost"].to_numpy(dtype=float)
    net = summary["net_revenue"].to_numpy(dtype=float)
    known = ~np.isnan(cost)
    from_margin = net * (1.0 - gross_margin)
    if known.all():
        return cost, "cost column", []
    if not known.any():
        return from_margin, "margin setting", []
    note = (
        f"{int((~known).sum()):,} customers have no cost of goods in the data; their cost of goods "
        f"is estimated with the {gross_margin:.0%} margin setting."
    )
    return np.where(known, cost, from_margin), "cost column + margin setting", [note]


def _service_drivers(
    cost_to_serve: pd.DataFrame | None, index: pd.Index
) -> tuple[pd.DataFrame, list[str]]:
    if cost_to_serve is None or cost_to_serve.empty:
        return pd.DataFrame(index=index), []
    table = cost_to_serve.copy()
    table.index = table.index.astype(str)
    table = table.groupby(level=0).sum(numeric_only=True)
    notes = []
    unknown = int((~table.index.isin(index)).sum())
    if unknown:
        notes.append(
            f"{unknown:,} customers of the cost-to-serve table have no transactions in the "
            "period analysed; their activities are not counted."
        )
    missing = int((~index.isin(table.index)).sum())
    if missing:
        notes.append(
            f"{missing:,} customers are missing from the cost-to-serve table; their service "
            "drivers (calls, visits, ...) count as zero."
        )
    return table.reindex(index).fillna(0.0).astype(float), notes


def _assign_costs(
    activities: pd.DataFrame, drivers: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Charge each activity's rate on its driver volume; unknown drivers cost nothing."""
    rates = effective_rates(activities)
    volumes, status = {}, []
    for row in activities.itertuples(index=False):
        if row.driver in drivers:
            volumes[row.activity] = drivers[row.driver].to_numpy(dtype=float)
            rate_missing = np.isnan(row.cost_per_unit) and not row.minutes_per_unit > 0
            status.append("no rate given" if rate_missing else "")
        else:
            volumes[row.activity] = np.zeros(len(drivers))
            status.append("driver not in this dataset")
    volume = pd.DataFrame(volumes, index=drivers.index, columns=activities["activity"])
    costs = volume * rates.to_numpy()
    table = activities.copy()
    table["rate"] = rates.to_numpy()
    timed = table["minutes_per_unit"].notna() & (table["minutes_per_unit"] > 0)
    table["method"] = np.where(timed, "time-driven", "per driver unit")
    table["volume"] = volume.sum().to_numpy()
    table["cost"] = costs.sum().to_numpy()
    total = float(table["cost"].sum())
    table["share"] = table["cost"] / total if total > 0 else 0.0
    table["customers"] = (volume > 0).sum().to_numpy()
    table["status"] = status
    return costs, volume, table, _activity_notes(table)


def _activity_notes(table: pd.DataFrame) -> list[str]:
    notes = []
    unknown = table[table["status"] == "driver not in this dataset"]
    if len(unknown):
        listed = "; ".join(
            f"{a} ({d})" for a, d in zip(unknown["activity"], unknown["driver"], strict=True)
        )
        notes.append(
            f"{len(unknown)} activit{'y uses a driver' if len(unknown) == 1 else 'ies use drivers'} "
            f"this dataset does not have, so {'it costs' if len(unknown) == 1 else 'they cost'} "
            f"nothing here: {listed}. Pick another driver or map the column."
        )
    unpriced = table[table["status"] == "no rate given"]
    if len(unpriced):
        notes.append(
            f"No rate given yet for: {', '.join(unpriced['activity'])}; these cost nothing until "
            "you fill in a cost per driver unit (or minutes and cost per minute)."
        )
    return notes


def row_costs(volumes: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Cost-to-serve per customer: driver volumes (customers x activities) times rates.

    The what-if scenarios use the same function, so an unchanged scenario reproduces every
    customer's profit exactly (a matrix product's rounding depends on the memory layout).
    """
    return np.ascontiguousarray(volumes, dtype=float) @ np.asarray(rates, dtype=float)


def operating_profit(gross_margin: np.ndarray, cost_to_serve: np.ndarray) -> np.ndarray:
    """Gross margin - cost-to-serve, rounded to a millionth so that a customer who exactly breaks
    even is not counted as loss-making because of floating-point noise (-1e-15)."""
    return np.round(gross_margin - cost_to_serve, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def order_size_band(
    avg_order_value: pd.Series, edges: tuple[float, ...] = ORDER_SIZE_EDGES
) -> pd.Series:
    """Band of each customer's average order value, as an ordered categorical ("50–100", ...)."""
    bounds = [-np.inf, *edges, np.inf]
    labels = [f"under {edges[0]:,.0f}"]
    labels += [f"{lo:,.0f}–{hi:,.0f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels += [f"{edges[-1]:,.0f} and more"]
    band = pd.cut(avg_order_value, bounds, labels=labels, right=False)
    return band.rename("order_size_band")


def _main_channel(orders: OrderTable, n: int, has_channel: bool) -> np.ndarray:
    if not has_channel:
        return np.full(n, UNKNOWN_CHANNEL, dtype=object)
    counts = channel_order_counts(orders, n)
    names = np.array(orders.channels, dtype=object)
    main = names[counts.argmax(axis=1)] if len(names) else np.full(n, UNKNOWN_CHANNEL, object)
    return np.where(counts.sum(axis=1) > 0, main, "(returns only)")


def customer_pnl(
    summary: pd.DataFrame,
    transactions: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
    observation_end: pd.Timestamp | str | None = None,
) -> CustomerPnL:
    """Operating profit per customer after activity-based cost-to-serve.

    Parameters
    ----------
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` (revenue, returns, net_revenue, cost, orders).
    transactions : DataFrame
        Canonical transactions (customer_id, date, revenue, is_return; order_id, quantity and
        channel when mapped).
    activities : DataFrame, optional
        Activity table (see :func:`activity_table`); default :data:`DEFAULT_ACTIVITIES`.
    cost_to_serve : DataFrame, optional
        Per-customer driver counts indexed by customer_id (``Dataset.cost_to_serve``).
    small_order_threshold : float
        Gross order value below which an order counts as a small order.
    gross_margin : float
        Gross margin (0-1) of net revenue, used for the cost of goods of customers without cost.
    observation_end : Timestamp or str, optional
        The end used for ``summary``; later transactions are ignored. Default: the last date.

    Returns
    -------
    CustomerPnL

    Raises
    ------
    ValidationError
        Bad activity table, margin outside 0-100%, negative threshold, or transactions of
        customers missing from the summary.
    """
    if not 0.0 <= gross_margin <= 1.0:
        raise ValidationError(
            f"The gross margin must be between 0% and 100% (got {gross_margin:.0%})."
        )
    if small_order_threshold < 0:
        raise ValidationError("The small-order threshold must be zero or more.")
    table = activity_table(DEFAULT_ACTIVITIES if activities is None else activities)
    if observation_end is not None:
        kept = transactions["date"] <= pd.Timestamp(observation_end)
        if not kept.all():  # no copy of millions of rows when nothing is later
            transactions = transactions[kept]
    tx_drivers, orders = transaction_drivers(transactions, summary, small_order_threshold)
    service, notes = _service_drivers(cost_to_serve, summary.index)
    extra = [c for c in service.columns if str(c) not in tx_drivers.columns]
    drivers = pd.concat([tx_drivers, service[extra]], axis=1)
    costs, volumes, table, activity_notes = _assign_costs(table, drivers)
    cogs, source, cogs_notes = _cogs(summary, gross_margin)
    cost_to_serve_total = row_costs(volumes.to_numpy(), table["rate"].to_numpy())
    revenue = summary["revenue"].to_numpy(dtype=float)
    returns = summary["returns"].to_numpy(dtype=float)
    gross = revenue - returns - cogs
    pnl = pd.DataFrame(
        {
            "revenue": revenue,
            "returns": returns,
            "net_revenue": revenue - returns,
            "cogs": cogs,
            "gross_margin": gross,
            "cost_to_serve": cost_to_serve_total,
            "profit": operating_profit(gross, cost_to_serve_total),
            "orders": summary["orders"].to_numpy(),
            "avg_order_value": summary["avg_order_value"].to_numpy(dtype=float),
            "main_channel": _main_channel(orders, len(summary), "channel" in transactions),
        },
        index=summary.index,
    )
    pnl["order_size_band"] = order_size_band(pnl["avg_order_value"])
    return CustomerPnL(
        pnl=pnl,
        activity_costs=costs,
        driver_volumes=volumes,
        activities=table,
        orders=orders,
        cogs_source=source,
        gross_margin_setting=gross_margin,
        small_order_threshold=small_order_threshold,
        notes=tuple(notes + activity_notes + cogs_notes),
    )


def profit_by(pnl: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Customers, revenue, margin, cost-to-serve and profit per group (channel, segment, band).

    Parameters
    ----------
    pnl : DataFrame
        :attr:`CustomerPnL.pnl` (or any frame with its money columns).
    groups : Series
        Group label per customer, aligned on ``pnl``'s index (missing labels become "(none)").

    Returns
    -------
    DataFrame
        One row per group (in the categorical order, else by profit descending): group,
        customers, net_revenue, gross_margin, cost_to_serve, profit, profit_per_customer,
        unprofitable (customers), unprofitable_share, profit_share (of the total profit; only
        when the total is positive), cost_to_serve_share (of net revenue).
    """
    labels = groups.reindex(pnl.index)
    if isinstance(labels.dtype, pd.CategoricalDtype):
        labels = labels.cat.add_categories(["(none)"]).fillna("(none)")
        labels = labels.cat.remove_unused_categories()
    else:
        labels = labels.astype(object).where(labels.notna(), "(none)").astype(str)
    frame = pnl[["net_revenue", "gross_margin", "cost_to_serve", "profit"]].assign(
        unprofitable=(pnl["profit"] < 0).astype(int), customers=1
    )
    out = frame.groupby(labels.to_numpy(), observed=True, sort=False).sum()
    if isinstance(labels.dtype, pd.CategoricalDtype):
        out = out.reindex([c for c in labels.cat.categories if c in out.index])
    else:
        out = out.sort_values("profit", ascending=False)
    out["profit_per_customer"] = out["profit"] / out["customers"]
    out["unprofitable_share"] = out["unprofitable"] / out["customers"]
    total = float(pnl["profit"].sum())
    if total > 0:
        out["profit_share"] = out["profit"] / total
    out["cost_to_serve_share"] = np.divide(
        out["cost_to_serve"].to_numpy(),
        out["net_revenue"].to_numpy(),
        out=np.zeros(len(out)),
        where=out["net_revenue"].to_numpy() > 0,
    )
    out.index.name = "group"
    columns = ["customers", "net_revenue", "gross_margin", "cost_to_serve", "profit",
               "profit_per_customer", "unprofitable", "unprofitable_share"]  # fmt: skip
    columns += ["profit_share"] if total > 0 else []
    return out[[*columns, "cost_to_serve_share"]].reset_index()


def pnl_statement(result: CustomerPnL) -> pd.DataFrame:
    """The P&L of all customers together, to reconcile with the books.

    Returns
    -------
    DataFrame
        line, amount (costs negative), basis (where the number comes from). Cost-to-serve is
        listed per activity; the lines add up to the operating profit.
    """
    totals = result.reconciliation()
    rows = [
        ("Revenue (gross sales)", totals["revenue"], "transactions"),
        ("Returns", -totals["returns"], "transactions"),
        ("Cost of goods", -totals["cogs"], result.cogs_source),
        ("Gross margin", totals["revenue"] - totals["returns"] - totals["cogs"], "subtotal"),
    ]
    for row in result.activities.itertuples(index=False):
        if row.cost:
            rows.append(
                (f"  {row.activity}", -float(row.cost), f"{row.volume:,.0f} x {row.driver}")
            )
    rows.append(("Cost-to-serve", -totals["cost_to_serve"], "sum of the activities above"))
    rows.append(("Operating profit", totals["profit"], "gross margin - cost-to-serve"))
    return pd.DataFrame(rows, columns=["line", "amount", "basis"])


EXPORT_LABELS: dict[str, str] = {
    "customer_id": "Customer ID", "customer_name": "Customer name", "revenue": "Revenue",
    "returns": "Returns", "net_revenue": "Net revenue", "cogs": "Cost of goods",
    "gross_margin": "Gross margin", "cost_to_serve": "Cost-to-serve", "profit": "Operating profit",
    "orders": "Orders", "avg_order_value": "Average order value", "main_channel": "Main channel",
    "order_size_band": "Order size band", "biggest_cost": "Biggest cost",
    "biggest_cost_share": "Biggest cost, share of cost-to-serve", "group": "Group",
    "customers": "Customers", "profit_per_customer": "Profit per customer",
    "unprofitable": "Unprofitable customers", "unprofitable_share": "Unprofitable share",
    "profit_share": "Share of total profit", "cost_to_serve_share": "Cost-to-serve / net revenue",
    "peak_pct": "Curve peak (% of group profit)", "peak_share": "Peak at (share of group)",
    "activity": "Activity", "driver": "Cost driver", "method": "Costing", "rate": "Cost per driver unit",
    "volume": "Driver volume", "cost": "Cost assigned", "share": "Share of cost-to-serve",
    "status": "Note",
}  # fmt: skip
"""Readable headers for downloads (money in the dataset's currency, shares as fractions)."""


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with :data:`EXPORT_LABELS` headers, for files users open in Excel."""
    return frame.rename(columns=EXPORT_LABELS)


def customer_pnl_table(result: CustomerPnL, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer, most profitable first: the P&L, then every activity's cost.

    Returns
    -------
    DataFrame
        Readable headers (:data:`EXPORT_LABELS`); activity columns as "Cost: <activity>".
    """
    frame = result.pnl.join(result.activity_costs.add_prefix("Cost: "))
    frame["order_size_band"] = frame["order_size_band"].astype(str)
    if customers is not None and "customer_name" in customers:
        names = customers["customer_name"].reindex(frame.index).fillna("").astype(str)
        frame.insert(0, "customer_name", names.to_numpy())
    frame = frame.sort_values("profit", ascending=False, kind="stable")
    return readable(frame.reset_index())
