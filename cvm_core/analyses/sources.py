"""Where the transaction-level steps of an analysis run: in memory, or on a file by DuckDB or Spark.

Past the customer summary, an analysis needs the transaction rows for a few results only: the
Whale P&L's drivers and orders, the CLV models' calibration summary, holdout and repeat purchases,
Retention's gap profile, cohorts, spells and profit by tenure, the Scorecard's customer-by-period
activity and cross-sell, and Segments' category baskets and main channels. It asks a source for
them:

* :class:`FrameSource` computes them from a DataFrame with the numpy code of the analyses (small
  and medium data; what the app and the command line use for uploaded spreadsheets),
* :class:`FileSource` runs the SQL of :mod:`cvm_core.intake.aggregations` over a Parquet or CSV
  file of canonical transactions with DuckDB (beyond memory: the rows stay on disk) or Spark (a
  cluster), and finishes with the same functions.

Both give equal results (tests/unit/test_aggregations.py, test_sources.py), so an analysis is
written once, against this interface, whichever runs it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from cvm_core.analyses.clv.holdout import (
    holdout_purchases,
    repeat_purchases_per_day,
    repeats_from_table,
)
from cvm_core.analyses.profitability.drivers import (
    OrderTable,
    drivers_from_tables,
    index_positions,
    orders_per_channel,
    transaction_drivers,
)
from cvm_core.analyses.prospects.features import first_purchase_table, first_year_table
from cvm_core.analyses.retention.cohorts import CohortTables, cohort_tables, tables_from_cells
from cvm_core.analyses.retention.days import require
from cvm_core.analyses.retention.gaps import (
    GapProfile,
    activity_spells,
    gap_profile,
    profile_from_gap_counts,
    spells_from_table,
)
from cvm_core.analyses.retention.tenure import TenureProfit, profit_by_tenure, tenure_from_table
from cvm_core.analyses.scorecard.activity import (
    Activity,
    activity_from_table,
    period_activity,
    periods_of_table,
)
from cvm_core.analyses.scorecard.periods import Periods, transaction_periods
from cvm_core.analyses.scorecard.specs import DEFAULT_FREQUENCY
from cvm_core.analyses.scorecard.transaction_measures import cross_sell, cross_sell_from_table
from cvm_core.analyses.segments.affinity import (
    CategoryBaskets,
    baskets_from_pairs,
    category_baskets,
)
from cvm_core.analyses.segments.contribution import main_channel, main_channel_from_revenue
from cvm_core.i18n import N_
from cvm_core.intake.engines import OPTIONAL_COLUMNS
from cvm_core.intake.large_files import TransactionFile, mark_in_use
from cvm_core.intake.summary import customer_summary, monthly_activity


class TransactionSource(Protocol):
    """The transaction-level results analyses ask for (see the module's docstring)."""

    def last_date(self) -> pd.Timestamp:
        """The latest transaction date (the default observation end)."""

    def first_date(self) -> pd.Timestamp:
        """The first transaction date."""

    def summary(self, unit: str, end: pd.Timestamp) -> pd.DataFrame:
        """:func:`cvm_core.intake.summary.customer_summary` up to ``end``."""

    def holdout_purchases(
        self, customers: pd.Index, calibration_end: pd.Timestamp, end: pd.Timestamp
    ) -> pd.Series:
        """:func:`cvm_core.analyses.clv.holdout.holdout_purchases`."""

    def repeat_purchases(
        self, calibration: pd.DataFrame, calibration_end: pd.Timestamp, end: pd.Timestamp
    ) -> pd.Series:
        """:func:`cvm_core.analyses.clv.holdout.repeat_purchases_per_day` of the customers of
        ``calibration`` (the summary up to ``calibration_end``)."""

    def gap_profile(self, end: pd.Timestamp) -> GapProfile: ...

    def cohort_tables(self, summary: pd.DataFrame, period: str, end: pd.Timestamp) -> CohortTables:
        """Raises ValidationError as :func:`cohort_tables` does (too short, one cohort)."""

    def activity_spells(self, window_days: int, end: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
        """:func:`cvm_core.analyses.retention.gaps.activity_spells`."""

    def profit_by_tenure(
        self, status: pd.DataFrame, window_days: int, end: pd.Timestamp
    ) -> TenureProfit: ...

    def main_channel(self, index: pd.Index, end: pd.Timestamp | None) -> pd.Series | None:
        """Each customer's main channel up to ``end`` (None: the data records no channel)."""

    def category_baskets(self, index: pd.Index, end: pd.Timestamp) -> CategoryBaskets:
        """:func:`cvm_core.analyses.segments.affinity.category_baskets` up to ``end``."""

    def has_channel(self) -> bool:
        """Whether the data has a channel column (the Whale P&L then charges orders by channel)."""

    def transaction_drivers(
        self, summary: pd.DataFrame, small_order_threshold: float, end: pd.Timestamp | None
    ) -> tuple[pd.DataFrame, OrderTable]:
        """:func:`cvm_core.analyses.profitability.drivers.transaction_drivers` up to ``end``."""

    def orders_per_channel(self) -> pd.Series:
        """Purchase orders per channel over all the data (the default activity table's rates)."""

    def period_tables(
        self, summary: pd.DataFrame, frequency: str, end: pd.Timestamp
    ) -> PeriodTables:
        """The Scorecard's (customer, period) activity up to ``end`` and its cross-sell rates."""

    def line_count(self) -> int:
        """Transaction lines kept (all dates)."""

    def monthly_activity(self) -> pd.DataFrame:
        """:func:`cvm_core.intake.summary.monthly_activity` (the Upload page's chart)."""

    def channels(self) -> Channels | None:
        """The channels written in the data (None: no channel column)."""

    def has_quantities(self) -> bool:
        """Whether any line records a quantity (units are then a cost driver)."""

    def first_purchases(self) -> pd.DataFrame:
        """:func:`cvm_core.analyses.prospects.features.first_purchase_table`."""

    def first_year(self) -> pd.DataFrame:
        """:func:`cvm_core.analyses.prospects.features.first_year_table`."""

    def customer_rows(self, customer_id: str) -> pd.DataFrame:
        """One customer's lines (canonical columns; those the data lacks left out)."""


@dataclass(frozen=True)
class Channels:
    """The channel names written in the data, sorted as text, and whether some lines have none."""

    names: tuple[str, ...]
    some_missing: bool


@dataclass(frozen=True)
class PeriodTables:
    """What the Scorecard's period measures are computed from."""

    activity: Activity
    periods: Periods
    cross_sell: np.ndarray | None  # per period; None without categories or products


@dataclass(frozen=True, eq=False)
class FrameSource:
    """Transactions in memory (canonical columns)."""

    transactions: pd.DataFrame
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        require(self.transactions, ("customer_id", "date", "revenue", "is_return"), N_("transactions"))  # fmt: skip

    def last_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.transactions["date"].max())

    def first_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.transactions["date"].min())

    def summary(self, unit: str, end: pd.Timestamp) -> pd.DataFrame:
        return customer_summary(self._up_to(end), unit, end)

    def holdout_purchases(
        self, customers: pd.Index, calibration_end: pd.Timestamp, end: pd.Timestamp
    ) -> pd.Series:
        return holdout_purchases(self.transactions, customers, calibration_end, end)

    def repeat_purchases(
        self, calibration: pd.DataFrame, calibration_end: pd.Timestamp, end: pd.Timestamp
    ) -> pd.Series:
        return repeat_purchases_per_day(self.transactions, calibration, end)

    def gap_profile(self, end: pd.Timestamp) -> GapProfile:
        return gap_profile(self.transactions, end)

    def cohort_tables(self, summary: pd.DataFrame, period: str, end: pd.Timestamp) -> CohortTables:
        return cohort_tables(self.transactions, summary, period, end)

    def activity_spells(self, window_days: int, end: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
        return activity_spells(self.transactions, window_days, end, index)

    def profit_by_tenure(
        self, status: pd.DataFrame, window_days: int, end: pd.Timestamp
    ) -> TenureProfit:
        return profit_by_tenure(self.transactions, status, window_days, end)

    def main_channel(self, index: pd.Index, end: pd.Timestamp | None) -> pd.Series | None:
        tx = self._up_to(end)
        if "channel" not in tx or not tx["channel"].notna().any():
            return None
        return main_channel(tx, index, self._codes(index, end))

    def category_baskets(self, index: pd.Index, end: pd.Timestamp) -> CategoryBaskets:
        return category_baskets(self._up_to(end), index, customer_codes=self._codes(index, end))

    def _up_to(self, end: pd.Timestamp | None) -> pd.DataFrame:
        """The rows up to ``end``, kept for the next call (one filter for several results; no
        copy of millions of rows when nothing is later)."""
        if end is None:
            return self.transactions
        if self._cache.get("end") != end:
            tx = self.transactions
            kept = tx["date"] <= pd.Timestamp(end)
            self._cache.clear()
            self._cache.update(end=end, rows=tx if kept.all() else tx[kept])
        return self._cache["rows"]

    def _codes(self, index: pd.Index, end: pd.Timestamp | None) -> np.ndarray:
        """Each kept row's position in ``index``: looking up millions of ids is the slow part."""
        key = ("codes", id(index), end)
        if key not in self._cache:
            self._cache[key] = index.get_indexer(self._up_to(end)["customer_id"].to_numpy())
        return self._cache[key]

    def has_channel(self) -> bool:
        return "channel" in self.transactions

    def transaction_drivers(
        self, summary: pd.DataFrame, small_order_threshold: float, end: pd.Timestamp | None
    ) -> tuple[pd.DataFrame, OrderTable]:
        return transaction_drivers(self._up_to(end), summary, small_order_threshold)

    def orders_per_channel(self) -> pd.Series:
        return orders_per_channel(self.transactions)

    def period_tables(
        self, summary: pd.DataFrame, frequency: str, end: pd.Timestamp
    ) -> PeriodTables:
        tx = self._up_to(end)
        periods = transaction_periods(tx, frequency, end)
        act = period_activity(tx, summary, periods)
        # The rows' customer positions, for a main-channel breakdown asked for next.
        self._cache[("codes", id(summary.index), end)] = act.row_customer
        return PeriodTables(act, periods, cross_sell(tx, act, periods))

    def line_count(self) -> int:
        return len(self.transactions)

    def monthly_activity(self) -> pd.DataFrame:
        return monthly_activity(self.transactions)

    def channels(self) -> Channels | None:
        if "channel" not in self.transactions:
            return None
        # One factorize gives both the distinct channels and whether any is missing (code -1):
        # a third of dropna().unique() plus isna() on a million rows.
        codes, names = pd.factorize(self.transactions["channel"].to_numpy())
        return Channels(tuple(sorted(map(str, names))), bool((codes < 0).any()))

    def has_quantities(self) -> bool:
        tx = self.transactions
        return "quantity" in tx and bool(tx["quantity"].notna().any())

    def first_purchases(self) -> pd.DataFrame:
        return first_purchase_table(self.transactions)

    def first_year(self) -> pd.DataFrame:
        return first_year_table(self.transactions)

    def customer_rows(self, customer_id: str) -> pd.DataFrame:
        tx = self.transactions
        return tx[tx["customer_id"].astype(str) == str(customer_id)]


@dataclass(frozen=True, eq=False)
class FileSource:
    """Canonical transactions in a Parquet or CSV file (or a folder or glob of Parquet files),
    aggregated by DuckDB or Spark; the rows are never loaded into pandas.

    Attributes
    ----------
    path : str or Path
    engine : {"duckdb", "spark"}
    columns : mapping
        Canonical role -> column name in the file, where they differ.
    memory_limit : str
        DuckDB's cap; beyond it DuckDB spills to disk.
    keep_tables : bool
        Keep the tables several pages ask for (a file that never changes).
    upload : bool
        A file the app saved for an upload (:func:`cvm_core.intake.large_files.save_upload`):
        each query marks it in use, so the upload folder's clean-up keeps it while it is used.
    """

    path: str | Path
    engine: str = "duckdb"
    columns: Mapping[str, str] = field(default_factory=dict)
    memory_limit: str = "2GB"
    keep_tables: bool = False
    upload: bool = False
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str, end: pd.Timestamp | None, **options: str | int) -> pd.DataFrame:
        """One table of :mod:`cvm_core.intake.aggregations` up to ``end``.

        With ``keep_tables`` (a file that never changes, such as an upload saved under its
        digest) the tables several pages ask for (:data:`SHARED_TABLES`) are kept, the last
        :data:`KEPT_TABLES` of them, and one asked for by two threads at once is computed once.
        The others are each read by one analysis whose result the page caches: keeping them
        would only hold memory (~400 MB at 10M rows)."""
        day = None if end is None else f"{pd.Timestamp(end):%Y-%m-%d}"
        if not self.keep_tables or name not in SHARED_TABLES:
            return self._query(name, day, options)
        key = ("table", name, day, tuple(sorted(options.items())))
        with self._cache.setdefault(("lock", key), threading.Lock()):  # setdefault is atomic
            kept = self._cache.setdefault("tables", {})
            if key not in kept:
                kept[key] = self._query(name, day, options)
                while len(kept) > KEPT_TABLES:
                    kept.pop(next(iter(kept)))
            table = kept[key] = kept.pop(key)  # now the most recently used
        return table.copy(deep=False)  # a caller's new columns stay its own

    def _query(self, name: str, day: str | None, options: Mapping[str, str | int]) -> pd.DataFrame:
        from cvm_core.intake.aggregations import aggregate  # DuckDB/Spark only when asked

        self._in_use()
        parts = self._parts() if name in SPLIT_TABLES and day is not None else 1
        return aggregate(
            self.path, name, self.engine, day, self.columns, self.memory_limit, parts, **options
        )

    def _parts(self) -> int:
        """Shares of the customers a :data:`SPLIT_TABLES` query runs in: one per
        :data:`LINES_PER_PART` lines of the file."""
        return max(1, -(-int(self._date_row()["lines"]) // LINES_PER_PART))

    def _in_use(self) -> None:
        if self.upload:
            mark_in_use(Path(self.path))

    def last_date(self) -> pd.Timestamp:
        return self._date_range()[1]

    def first_date(self) -> pd.Timestamp:
        return self._date_range()[0]

    def _date_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        row = self._date_row()
        return pd.Timestamp(row["first_day"]), pd.Timestamp(row["last_day"])

    def _date_row(self) -> pd.Series:
        """First and last day, lines kept and each optional column's values: one pass, kept."""
        if "dates" not in self._cache:
            self._cache["dates"] = self.table("date_range", None).iloc[0]
        return self._cache["dates"]

    def summary(self, unit: str, end: pd.Timestamp) -> pd.DataFrame:
        from cvm_core.intake.engines import summarize

        self._in_use()
        return summarize(
            str(self.path), self.engine, unit, f"{end:%Y-%m-%d}", self.columns, self.memory_limit
        )

    def holdout_purchases(
        self, customers: pd.Index, calibration_end: pd.Timestamp, end: pd.Timestamp
    ) -> pd.Series:
        table = self.table("holdout_days", end, calibration_end=f"{calibration_end:%Y-%m-%d}")
        out = np.zeros(len(customers))
        row = index_positions(customers, table["customer_id"])
        out[row[row >= 0]] = table["holdout_purchases"].to_numpy(dtype=float)[row >= 0]
        return pd.Series(out, index=customers, name="holdout_purchases")

    def repeat_purchases(
        self, calibration: pd.DataFrame, calibration_end: pd.Timestamp, end: pd.Timestamp
    ) -> pd.Series:
        table = self.table("repeat_days", end, calibration_end=f"{calibration_end:%Y-%m-%d}")
        return repeats_from_table(table)

    def gap_profile(self, end: pd.Timestamp) -> GapProfile:
        return profile_from_gap_counts(self.table("gap_counts", end))

    def cohort_tables(self, summary: pd.DataFrame, period: str, end: pd.Timestamp) -> CohortTables:
        return tables_from_cells(self.table("cohort_cells", end, period=period), period)

    def activity_spells(self, window_days: int, end: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
        table = self.table("activity_spells", end, window_days=window_days)
        return spells_from_table(table, index)

    def profit_by_tenure(
        self, status: pd.DataFrame, window_days: int, end: pd.Timestamp
    ) -> TenureProfit:
        return tenure_from_table(self.table("tenure_values", end), status, window_days, end)

    def main_channel(self, index: pd.Index, end: pd.Timestamp | None) -> pd.Series | None:
        """Kept for the last (index, end) asked: Segments, Retention and the Scorecard each ask
        for the same customers' (0.25 s each at 10M lines)."""
        key = ("main_channel", None if end is None else pd.Timestamp(end))
        kept = self._cache.get(key)
        if kept is None or kept[0] is not index:
            revenue = self.table("channel_revenue", end)
            channels = main_channel_from_revenue(revenue, index) if len(revenue) else None
            kept = self._cache[key] = (index, channels)
        return None if kept[1] is None else kept[1].copy()  # a caller's changes stay its own

    def category_baskets(self, index: pd.Index, end: pd.Timestamp) -> CategoryBaskets:
        # The Scorecard's cross-sell table at its default period length: one query for both.
        firsts = self.table("item_first_periods", end, frequency=BASKET_FREQUENCY, item="category")
        return baskets_from_pairs(firsts, index)

    def has_channel(self) -> bool:
        return "channel" in self._roles()

    def transaction_drivers(
        self, summary: pd.DataFrame, small_order_threshold: float, end: pd.Timestamp | None
    ) -> tuple[pd.DataFrame, OrderTable]:
        orders, lines = self.table("orders", end), self.table("line_counts", end)
        return drivers_from_tables(
            summary.index, orders, lines, self.has_channel(), small_order_threshold
        )

    def orders_per_channel(self) -> pd.Series:
        if not self.has_channel():
            return pd.Series(dtype=float)
        if self.keep_tables:  # the orders up to the last date are all the orders: kept already
            channels = self.table("orders", self.last_date())["channel"].astype("category")
            # Counted by code: a text per order (3.7M at 10M lines) took 2.6 s to make.
            counts = np.bincount(channels.cat.codes, minlength=len(channels.cat.categories))
            names = pd.Index(channels.cat.categories.astype(str), name="channel")
            used = counts > 0
            return pd.Series(counts[used].astype(float), names[used], name="orders").sort_index()
        table = self.table("channel_orders", None)
        names = pd.Index(table["channel"].astype(str))  # plain text, as the pandas path names them
        return pd.Series(table["orders"].to_numpy(dtype=float), index=names, name="orders")

    def period_tables(
        self, summary: pd.DataFrame, frequency: str, end: pd.Timestamp
    ) -> PeriodTables:
        table = self._period_activity(end, frequency)
        periods = periods_of_table(table, frequency)
        act = activity_from_table(table, summary, periods)
        # Cross-sell counts categories, else products, as the in-memory path picks them.
        item = next((i for i, c in _ITEMS if table[f"known_{c}"].sum() > 0), None)
        cross = None
        if item is not None:
            firsts = self.table("item_first_periods", end, frequency=frequency, item=item)
            cross = cross_sell_from_table(act, firsts, summary.index, periods)
        return PeriodTables(act, periods, cross)

    def _period_activity(self, end: pd.Timestamp, frequency: str) -> pd.DataFrame:
        """The ``period_activity`` table counting distinct products per period, else categories:
        the first with values up to ``end``, as the in-memory path picks (item_codes). The file's
        known values choose which to count first; a second query only when its products all
        come after ``end``."""
        item = "product" if self._date_row()["known_product"] > 0 else "category"
        table = self.table("period_activity", end, frequency=frequency, item=item)
        if item == "product" and not table["known_items"].any() and table["known_categories"].any():
            table = self.table("period_activity", end, frequency=frequency, item="category")
        return table

    def line_count(self) -> int:
        return int(self._date_row()["lines"])

    def monthly_activity(self) -> pd.DataFrame:
        table = self.table("monthly_activity", None)
        table["month"] = pd.to_datetime(table["month"]).astype("datetime64[ns]")
        table["active_customers"] = table["active_customers"].astype(np.int64)
        return table

    def channels(self) -> Channels | None:
        if not self.has_channel():
            return None
        written = self.table("channel_values", None)["channel"]
        names = tuple(sorted(str(c) for c in written.dropna()))
        return Channels(names, bool(written.isna().any()))

    def has_quantities(self) -> bool:
        return int(self._date_row()["known_quantity"]) > 0

    def first_purchases(self) -> pd.DataFrame:
        table = self.table("first_purchases", None)
        # Columns the file lacks are NULL in SQL; the in-memory table has none of them.
        missing = {"category": "first_category", "channel": "first_channel"}
        return table.drop(columns=[c for r, c in missing.items() if r not in self._roles()])

    def first_year(self) -> pd.DataFrame:
        return self.table("first_year", None)

    def customer_rows(self, customer_id: str) -> pd.DataFrame:
        rows = self.table("customer_rows", None, customer_id=str(customer_id))
        rows = rows.rename(columns={"day": "date"})
        rows["date"] = pd.to_datetime(rows["date"]).astype("datetime64[ns]")
        rows["customer_id"] = rows["customer_id"].astype(str)
        optional = [c for c in OPTIONAL_COLUMNS if c not in self._roles() and c != "is_return"]
        return rows.drop(columns=optional)

    def _roles(self) -> dict[str, str]:
        """Canonical role -> column of the file (read from its schema once)."""
        if "roles" not in self._cache:
            from cvm_core.intake.engines import source_roles

            self._cache["roles"] = source_roles(self.path, self.engine, self.columns)
        return self._cache["roles"]


_ITEMS = (("category", "categories"), ("product", "products"))
KEPT_TABLES = 6
"""Tables a FileSource with ``keep_tables`` keeps (the orders: 93 MB at 10M rows)."""
SPLIT_TABLES = frozenset({"period_activity"})
"""Tables a FileSource computes in shares of the customers (aggregate's ``parts``), as the server's
memory peak: the Scorecard's period table (two distinct counts per customer and quarter) took
DuckDB 1.66 GB above the interpreter at 10M lines in one query, 0.73 GB in three (+0.7 s)."""
LINES_PER_PART = 3_500_000
SHARED_TABLES = frozenset({"orders", "channel_revenue", "date_range", "item_first_periods"})
"""Tables several pages ask for: the orders (the Whale's drivers and its default channel rates,
the CLV page's cost-to-serve), each customer's channel revenue (main channel on Segments,
Retention and the Scorecard), the date range, and the categories each customer bought with the
quarter of the first purchase (Segments' baskets, the Scorecard's cross-sell: 0.8 s at 10M)."""
BASKET_FREQUENCY = DEFAULT_FREQUENCY


def source_of(transactions: pd.DataFrame | TransactionSource) -> TransactionSource:
    """A source for either transactions in memory or a source already."""
    return FrameSource(transactions) if isinstance(transactions, pd.DataFrame) else transactions


@functools.lru_cache(maxsize=4)
def file_source(transaction_file: TransactionFile) -> FileSource:
    """One source per large upload in this process, so what it learnt of the file (date range,
    columns) is read once for every page and session."""
    tf = transaction_file
    return FileSource(
        tf.path, tf.engine, dict(tf.columns), tf.memory_limit, keep_tables=True, upload=True
    )
