"""The transaction-level aggregations behind the pages, as SQL that DuckDB and Spark both run.

Past the customer summary (:mod:`cvm_core.intake.engines`), the analyses that still read
transaction rows (the Whale P&L's drivers and levers, Retention's gaps, cohorts, spells and
tenure profit, the CLV holdout, the Scorecard's period measures, Segments' cross-sell baskets)
read these tables: each one query, written once for both engines, from one row to one per order:

========================  =================================================================
table                     one row per
========================  =================================================================
``orders``                purchase order: customer_id, value (gross), channel (of its first
                          line; 'Unknown' when missing)
``channel_orders``        channel: purchase orders (the default activity table's channel rates)
``line_counts``           customer: order_lines, returned_lines, returns (return documents),
                          units (sum of |quantity| over purchase lines), known_quantities
``gap_counts``            gap length in days: repeat_purchases, customer_weight
``cohort_cells``          (cohort, age): active_customers, net_revenue, plus last_ord and end_day
``period_activity``       (customer, period): gross, returns, orders, lines, products (or
                          categories) bought (the Scorecard's measures)
``item_first_periods``    (customer, category or product) bought: the period first bought (the
                          Scorecard's cross-sell; Segments' baskets of the cross-sell affinity)
``channel_revenue``       (customer, channel): gross purchase revenue (main channel)
``activity_spells``       spell of activity: customer_id, start, lapse, returning (churn by
                          period and annual retention)
``tenure_values``         year of the relationship: net_revenue, gross_margin (profit by tenure)
``date_range``            (one row) first_day, last_day (the default observation end), lines,
                          known_<role>: values of each optional column
``monthly_activity``      calendar month: net_revenue, active_customers (the Upload page)
``channel_values``        channel written in the data (NULL when some lines have none)
``first_purchases``       customer: first purchase day's revenue, category, channel (Prospects)
``first_year``            customer: first day, net revenue of the 365 days from it (Prospects)
``customer_rows``         line of one customer (the customer dialog)
``holdout_days``          customer seen by a calibration end: purchase days after it (CLV)
``repeat_days``           day: repeat purchase days of those customers (CLV tracking chart)
========================  =================================================================

Transactions in memory get the same results from the analyses' numpy code (the reference); each
analysis finishes from these tables with functions that path uses too, and asks for them through
:mod:`cvm_core.analyses.sources` (``FileSource`` runs these queries). Tests assert that the
engines give the pandas results on hand-built fixtures and on the demo data.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from cvm_core.analyses.profitability.activities import UNKNOWN_CHANNEL
from cvm_core.errors import CvmError
from cvm_core.intake.engines import (
    DOCUMENT_COLUMNS,
    OPTIONAL_COLUMNS,
    Dialect,
    kept_transactions_sql,
    run_query,
)

PERIODS = ("month", "quarter", "week")
_EPOCH = "DATE '1970-01-01'"


def _document_key(dialect: Dialect) -> str:
    """An order: its order id, or for lines without one the customer's day (as in pandas)."""
    return f"COALESCE('o:' || order_id, 'd:' || CAST(day AS {dialect.text_type}))"


def orders_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """One row per purchase order: customer_id, value (gross) and channel (its first line's)."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect, row_order=True)}
SELECT customer_id, SUM(revenue) AS value,
       {dialect.min_by}(COALESCE(channel, '{UNKNOWN_CHANNEL}'), row_order) AS channel
FROM kept WHERE NOT is_return
GROUP BY customer_id, {DOCUMENT_COLUMNS}
"""


def channel_orders_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Purchase orders per channel (the orders table counted in the engine, not fetched)."""
    return f"""
SELECT channel, COUNT(*) AS orders FROM ({orders_sql(table, present, dialect, observation_end)})
GROUP BY channel ORDER BY channel
"""


def line_counts_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Per customer: purchase lines, returned lines, return documents and units bought."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT customer_id,
       SUM(CASE WHEN is_return THEN 0 ELSE 1 END) AS order_lines,
       SUM(CASE WHEN is_return THEN 1 ELSE 0 END) AS returned_lines,
       COUNT(DISTINCT CASE WHEN is_return THEN {_document_key(dialect)} END) AS returns,
       SUM(CASE WHEN NOT is_return THEN ABS(quantity) END) AS units,
       COUNT(quantity) AS known_quantities
FROM kept GROUP BY customer_id
"""


def gap_counts_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Gaps between a customer's consecutive purchase days, counted per length, each gap weighted
    1 / (its customer's number of gaps)."""
    diff = dialect.day_diff.format
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
days AS (SELECT DISTINCT customer_id, day FROM kept WHERE NOT is_return),
steps AS (
    SELECT customer_id, day,
           LAG(day) OVER (PARTITION BY customer_id ORDER BY day) AS previous_day
    FROM days
),
gaps AS (
    SELECT customer_id, {diff(start="previous_day", end="day")} AS gap_days
    FROM steps WHERE previous_day IS NOT NULL
),
weighted AS (
    SELECT gap_days, 1.0 / COUNT(*) OVER (PARTITION BY customer_id) AS weight FROM gaps
)
SELECT gap_days, COUNT(*) AS repeat_purchases, SUM(weight) AS customer_weight
FROM weighted GROUP BY gap_days ORDER BY gap_days
"""


def period_ordinal_sql(day: str, period: str, dialect: Dialect) -> str:
    """The SQL twin of :func:`cvm_core.analyses.retention.cohorts.period_ordinals`."""
    months = f"((year({day}) - 1970) * 12 + month({day}) - 1)"
    if period == "month":
        return months
    if period == "quarter":
        return f"CAST(floor({months} / 3.0) AS BIGINT)"
    if period == "week":  # weeks from Monday: 1970-01-01 was a Thursday
        days = dialect.day_diff.format(start=_EPOCH, end=day)
        return f"CAST(floor(({days} + 3) / 7.0) AS BIGINT)"
    raise CvmError(f"Unknown cohort period '{period}'; choose month, quarter or week.")


def cohort_cells_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    period: str = "month",
) -> str:
    """Per (acquisition period, periods since): buyers and net revenue, as cohort_tables counts.

    A customer's cohort is the period of their first purchase (returns-only customers have none);
    the acquisition period counts whole, later periods only up to the last complete one (last_ord,
    returned with end_day on every row). Lines are summed per customer and period first, so buyers
    are counted rows, not distinct ids over a join of every line (1.35 -> 0.57 s at 10M lines).
    """
    ordinal = partial(period_ordinal_sql, period=period, dialect=dialect)
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
periods AS (
    SELECT customer_id, {ordinal("day")} AS line_ord, SUM(revenue) AS net_revenue,
           MAX(CASE WHEN is_return THEN 0 ELSE 1 END) AS bought,
           MIN(CASE WHEN NOT is_return THEN day END) AS first_bought
    FROM kept GROUP BY customer_id, {ordinal("day")}
),
firsts AS (
    SELECT customer_id, {ordinal("MIN(first_bought)")} AS cohort FROM periods
    GROUP BY customer_id HAVING MIN(first_bought) IS NOT NULL
),
last AS (
    SELECT end_day, CASE WHEN {ordinal("end_day + 1")} > {ordinal("end_day")}
                         THEN {ordinal("end_day")} ELSE {ordinal("end_day")} - 1 END AS last_ord
    FROM bounds
)
SELECT f.cohort, p.line_ord - f.cohort AS age, SUM(p.bought) AS active_customers,
       SUM(p.net_revenue) AS net_revenue, MIN(last.last_ord) AS last_ord,
       MIN(last.end_day) AS end_day
FROM periods p JOIN firsts f ON p.customer_id = f.customer_id CROSS JOIN last
WHERE p.line_ord = f.cohort OR (p.line_ord > f.cohort AND p.line_ord <= last.last_ord)
GROUP BY f.cohort, p.line_ord - f.cohort
ORDER BY f.cohort, age
"""


def period_number_sql(day: str, frequency: str) -> str:
    """The SQL twin of :func:`cvm_core.analyses.scorecard.periods.period_numbers`: months (M) or
    quarters (Q) since year 0."""
    if frequency == "M":
        return f"(year({day}) * 12 + month({day}) - 1)"
    if frequency == "Q":
        return f"(year({day}) * 4 + CAST(floor((month({day}) - 1) / 3.0) AS BIGINT))"
    raise CvmError(f"Unknown period '{frequency}'; choose Q (quarter) or M (month).")


def period_activity_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    frequency: str = "Q",
    item: str = "product",
) -> str:
    """The Scorecard's (customer, period) table: gross, returns, orders, lines and the distinct
    ``item``s (products or categories) bought, how many lines name a product, a category and the
    item, the first and last day and the observation end. One kind of item is counted (the
    Scorecard's): each distinct count cost DuckDB ~1.2 s at 10M rows, and a hash table per group."""
    if item not in ("category", "product"):
        raise CvmError(f"Unknown item column '{item}'; choose category or product.")
    number = period_number_sql("day", frequency)
    bought = "CASE WHEN NOT is_return THEN {} END".format
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT customer_id, {number} AS period_number,
       SUM(CASE WHEN is_return THEN 0.0 ELSE revenue END) AS gross,
       SUM(CASE WHEN is_return THEN -revenue ELSE 0.0 END) AS returns,
       COUNT(DISTINCT {bought(_document_key(dialect))}) AS orders,
       COUNT(*) AS lines,
       COUNT(DISTINCT {bought(item)}) AS items,
       COUNT(product) AS known_products, COUNT(category) AS known_categories,
       COUNT({item}) AS known_items,
       MIN(day) AS first_day, MAX(day) AS last_day, MIN(bounds.end_day) AS end_day
FROM kept CROSS JOIN bounds
GROUP BY customer_id, {number}
"""


def item_first_periods_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    frequency: str = "Q",
    item: str = "category",
) -> str:
    """Per customer and category (or product) bought: the period number of the first purchase."""
    if item not in ("category", "product"):
        raise CvmError(f"Unknown item column '{item}'; choose category or product.")
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT customer_id, {item} AS item, MIN({period_number_sql("day", frequency)}) AS first_period
FROM kept WHERE NOT is_return AND {item} IS NOT NULL
GROUP BY customer_id, {item}
"""


def channel_revenue_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Gross purchase revenue per customer and recorded channel (for each one's main channel)."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT customer_id, channel, SUM(revenue) AS revenue
FROM kept WHERE NOT is_return AND channel IS NOT NULL
GROUP BY customer_id, channel
"""


def activity_spells_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    window_days: int = 90,
) -> str:
    """Spells of activity (see :func:`cvm_core.analyses.retention.gaps.activity_spells`): a spell
    starts at a customer's first purchase day or one more than ``window_days`` after the previous;
    it lapses the day after the window following its last purchase day, if that is observed."""
    window = int(window_days)
    diff = dialect.day_diff.format
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
days AS (SELECT DISTINCT customer_id, day FROM kept WHERE NOT is_return),
marked AS (
    SELECT customer_id, day,
           CASE WHEN LAG(day) OVER (PARTITION BY customer_id ORDER BY day) IS NULL
                  OR {diff(start="LAG(day) OVER (PARTITION BY customer_id ORDER BY day)", end="day")}
                     > {window}
                THEN 1 ELSE 0 END AS starts
    FROM days
),
numbered AS (
    SELECT customer_id, day,
           SUM(starts) OVER (PARTITION BY customer_id ORDER BY day
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS spell
    FROM marked
),
spells AS (
    SELECT customer_id, spell, MIN(day) AS start, MAX(day) AS last_day
    FROM numbered GROUP BY customer_id, spell
)
SELECT customer_id, start,
       CASE WHEN last_day + {window + 1} > bounds.end_day THEN NULL
            ELSE last_day + {window + 1} END AS lapse,
       spell > 1 AS returning
FROM spells CROSS JOIN bounds
ORDER BY customer_id, start
"""


def tenure_values_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    max_year: int = 4,
) -> str:
    """Net revenue and gross margin per year of the relationship (year 0 = the first 365 days from
    the customer's first purchase, the last year collecting later ones), and the lines without a
    cost (any one means the margin is not known everywhere)."""
    diff = dialect.day_diff.format
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
firsts AS (
    SELECT customer_id,
           COALESCE(MIN(CASE WHEN NOT is_return THEN day END), MIN(day)) AS first_day
    FROM kept GROUP BY customer_id
),
years AS (
    SELECT k.revenue, k.cost,
           LEAST(GREATEST(CAST(floor({diff(start="f.first_day", end="k.day")} / 365.0) AS BIGINT),
                          0), {int(max_year) - 1}) AS year
    FROM kept k JOIN firsts f ON k.customer_id = f.customer_id
)
SELECT year, SUM(revenue) AS net_revenue, SUM(revenue - cost) AS gross_margin,
       SUM(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS lines_without_cost, COUNT(*) AS lines
FROM years GROUP BY year ORDER BY year
"""


def date_range_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """The first and the latest transaction date (one row; the latest is the default end), the
    lines kept and, per optional column, how many record a value (known_<role>; the same pass)."""
    known = ", ".join(f"COUNT({role}) AS known_{role}" for role in OPTIONAL_COLUMNS)
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS lines, {known}
FROM tx
"""


def monthly_activity_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Per calendar month (its first day): net revenue and active customers, over all the data."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT make_date(year(day), month(day), 1) AS month, SUM(revenue) AS net_revenue,
       COUNT(DISTINCT customer_id) AS active_customers
FROM tx GROUP BY make_date(year(day), month(day), 1) ORDER BY month
"""


def channel_values_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Each channel written in the data, NULL among them when some lines have none."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT DISTINCT channel FROM tx
"""


def _top_of_day(column: str) -> str:
    """CTE ``top_<column>``: each customer's ``column`` with the most revenue on their first
    purchase day (ties to the first name), among lines that record one."""
    return f"""top_{column} AS (
    SELECT customer_id, {column} FROM (
        SELECT customer_id, {column}, ROW_NUMBER() OVER (
            PARTITION BY customer_id ORDER BY SUM(revenue) DESC, {column}) AS place
        FROM first_lines WHERE {column} IS NOT NULL GROUP BY customer_id, {column}
    ) ranked WHERE place = 1
)"""


def first_purchases_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Per customer with a purchase: the revenue of their first purchase day and its main
    category and channel (the traits the Prospects analysis learns from)."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
sales AS (SELECT * FROM tx WHERE NOT is_return),
first_lines AS (
    SELECT s.* FROM sales s
    JOIN (SELECT customer_id, MIN(day) AS day FROM sales GROUP BY customer_id) f
      ON s.customer_id = f.customer_id AND s.day = f.day
),
{_top_of_day("category")},
{_top_of_day("channel")}
SELECT v.customer_id, v.first_order_value, c.category AS first_category,
       h.channel AS first_channel
FROM (SELECT customer_id, SUM(revenue) AS first_order_value FROM first_lines
      GROUP BY customer_id) v
LEFT JOIN top_category c ON v.customer_id = c.customer_id
LEFT JOIN top_channel h ON v.customer_id = h.customer_id
"""


def first_year_sql(
    table: str, present: Mapping[str, str], dialect: Dialect, observation_end: str | None = None
) -> str:
    """Per customer: the first transaction day and the net revenue of the 365 days from it."""
    diff = dialect.day_diff.format
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
firsts AS (SELECT customer_id, MIN(day) AS first_day FROM tx GROUP BY customer_id)
SELECT t.customer_id, MIN(f.first_day) AS first_day,
       SUM(CASE WHEN {diff(start="f.first_day", end="t.day")} < 365 THEN t.revenue ELSE 0 END)
           AS first_year_revenue
FROM tx t JOIN firsts f ON t.customer_id = f.customer_id GROUP BY t.customer_id
"""


def customer_rows_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    customer_id: str = "",
) -> str:
    """One customer's transaction lines by day (the customer dialog's history)."""
    key = str(customer_id).replace("'", "''")
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)}
SELECT customer_id, day, revenue, is_return, order_id, cost, channel, quantity, product,
       category
FROM tx WHERE customer_id = '{key}' ORDER BY day
"""


def _calibration_firsts(calibration_end: str) -> str:
    """CTE ``firsts``: each customer seen by the calibration end and their first purchase day in
    it (a first return's day when they only returned then, as the customer summary dates it)."""
    return f"""firsts AS (
    SELECT customer_id,
           COALESCE(MIN(CASE WHEN NOT is_return THEN day END), MIN(day)) AS first_day
    FROM kept WHERE day <= DATE '{pd.Timestamp(calibration_end):%Y-%m-%d}' GROUP BY customer_id
)"""


def holdout_days_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    calibration_end: str = "",
) -> str:
    """Per customer seen by the calibration end: purchase days after it, up to the observation
    end (what the CLV models' holdout check compares predictions with)."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
{_calibration_firsts(calibration_end)}
SELECT f.customer_id, COUNT(DISTINCT k.day) AS holdout_purchases
FROM firsts f JOIN kept k ON f.customer_id = k.customer_id
WHERE NOT k.is_return AND k.day > DATE '{pd.Timestamp(calibration_end):%Y-%m-%d}'
GROUP BY f.customer_id
"""


def repeat_days_sql(
    table: str,
    present: Mapping[str, str],
    dialect: Dialect,
    observation_end: str | None = None,
    calibration_end: str = "",
) -> str:
    """Per day: repeat purchase days (after the customer's first) of the customers seen by the
    calibration end (the CLV page's cumulative repeat purchases, actual)."""
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
{_calibration_firsts(calibration_end)},
days AS (SELECT DISTINCT customer_id, day FROM kept WHERE NOT is_return)
SELECT d.day, COUNT(*) AS repeat_purchases
FROM days d JOIN firsts f ON d.customer_id = f.customer_id
WHERE d.day > f.first_day
GROUP BY d.day ORDER BY d.day
"""


TABLES = {
    "orders": orders_sql,
    "channel_orders": channel_orders_sql,
    "line_counts": line_counts_sql,
    "gap_counts": gap_counts_sql,
    "cohort_cells": cohort_cells_sql,
    "period_activity": period_activity_sql,
    "item_first_periods": item_first_periods_sql,
    "channel_revenue": channel_revenue_sql,
    "activity_spells": activity_spells_sql,
    "tenure_values": tenure_values_sql,
    "date_range": date_range_sql,
    "monthly_activity": monthly_activity_sql,
    "channel_values": channel_values_sql,
    "first_purchases": first_purchases_sql,
    "first_year": first_year_sql,
    "customer_rows": customer_rows_sql,
    "holdout_days": holdout_days_sql,
    "repeat_days": repeat_days_sql,
}

PER_CUSTOMER = frozenset({"orders", "line_counts", "period_activity", "item_first_periods",
                          "channel_revenue", "first_purchases", "first_year", "holdout_days"})  # fmt: skip
"""Tables whose every row comes from one customer's lines, in no set order: computable in parts."""


def aggregate(
    path: str | Path,
    table: str,
    engine: str = "duckdb",
    observation_end: str | None = None,
    columns: Mapping[str, str] | None = None,
    memory_limit: str = "2GB",
    parts: int = 1,
    **options: str | int,
) -> pd.DataFrame:
    """One of :data:`TABLES` over a Parquet or CSV file of canonical transactions (customer ids
    as a categorical from DuckDB: look them up with ``profitability.drivers.index_positions``).

    Parameters
    ----------
    path : str or Path
        As for :func:`cvm_core.intake.engines.summarize` (a file, a folder or a glob).
    table : str
        A key of :data:`TABLES`.
    engine : {"duckdb", "spark"}
    observation_end : str, optional
        Later transactions are left out; default the last date in the file.
    columns : mapping, optional
        Canonical role -> column name in the file.
    parts : int
        For :data:`PER_CUSTOMER` tables with an ``observation_end``: DuckDB computes this many
        shares of the customers one after another (less memory; see engines.run_query).
    options
        The query's own settings: ``period`` for cohort_cells; ``frequency`` ("Q" or "M") and
        ``item`` for period_activity and item_first_periods; ``window_days`` for activity_spells;
        ``max_year`` for tenure_values; ``calibration_end`` for holdout_days and repeat_days;
        ``customer_id`` for customer_rows.
    """
    if table not in TABLES:
        raise CvmError(f"Unknown table '{table}'; choose one of {', '.join(TABLES)}.")
    if parts > 1 and (table not in PER_CUSTOMER or observation_end is None):
        raise CvmError(f"'{table}' cannot be computed in parts (without an observation end).")
    query = TABLES[table]

    def build(source: str, present: Mapping[str, str], dialect: Dialect) -> str:
        return query(source, present, dialect, observation_end, **options)

    frame = run_query(path, engine, build, columns, memory_limit, parts)
    if "customer_id" in frame and not isinstance(frame["customer_id"].dtype, pd.CategoricalDtype):
        frame["customer_id"] = frame["customer_id"].astype(str)  # Spark's, as text
    return frame
