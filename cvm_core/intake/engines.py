"""The customer summary beyond one machine's memory: the same table from DuckDB or Apache Spark.

The customer summary is the only step whose cost grows with the number of transactions; everything
after it works on one row per customer. So for data too large for pandas (or living in a cluster)
only this step has to move: DuckDB streams Parquet/CSV files larger than memory from disk, Spark runs
where the data lives. Both run one SQL query, written once below, that reproduces
:func:`cvm_core.intake.summary.customer_summary` column for column (tests assert equality with pandas).

The engines read *canonical* transactions, the shape a data warehouse export has after cleaning:
one row per line with customer_id, date, revenue (negative for returns) and optionally is_return,
order_id and cost (other column names via ``columns``). Messy spreadsheets go through the app's
intake instead, which then uses the pandas engine.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cvm_core.errors import CvmError, ReadError
from cvm_core.i18n import N_, Message
from cvm_core.intake.engine_ids import spark_clean_id, text_ids_need_cleaning, with_clean_ids
from cvm_core.intake.excerpt import excerpt
from cvm_core.intake.io import check_parquet_size
from cvm_core.intake.schema import clean_ids
from cvm_core.intake.summary import SUMMARY_COLUMNS, UNIT_DAYS, customer_summary

ENGINES = ("pandas", "duckdb", "spark")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
REQUIRED_COLUMNS = ("customer_id", "date", "revenue")
OPTIONAL_COLUMNS = (
    "is_return", "order_id", "cost", "channel", "quantity", "product", "category",
)  # fmt: skip
SUMMARY_METADATA_KEY = b"cvm.summary"
"""Parquet key-value metadata of a summary file: unit, observation end and engine, as JSON."""

_INSTALL_HINT = {
    "duckdb": "pip install duckdb==1.5.6",
    "spark": "pip install pyspark==4.1.4 (and Java 17+)",
}


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines' SQL: quoting, one date function, two names."""

    quote: str  # around column names
    day_diff: str  # format string with {start} and {end}
    text_type: str
    min_by: str  # the aggregate "value of the row with the smallest key"

    def column(self, name: str) -> str:
        return f"{self.quote}{name}{self.quote}"


DUCKDB = Dialect(
    quote='"', day_diff="date_diff('day', {start}, {end})", text_type="VARCHAR", min_by="arg_min"
)
SPARK = Dialect(quote="`", day_diff="datediff({end}, {start})", text_type="STRING", min_by="min_by")
_DUCKDB_TURN = threading.Lock()
DOCUMENT_COLUMNS = "order_id, CASE WHEN order_id IS NULL THEN day END"
"""A purchase order in SQL: its order id, or for lines without one the customer's day."""
ROW_ORDER = "cvm_row"
"""Column the runners add to the source: each row's place in it (the first line of an order
names its channel, as in pandas)."""


def kept_transactions_sql(
    table: str,
    present: Mapping[str, str],
    observation_end: str | None,
    dialect: Dialect,
    row_order: bool = False,
) -> str:
    """The CTEs ``tx`` (canonical columns, rows missing a required value dropped), ``bounds``
    (end_day) and ``kept`` (tx up to the observation end) that every aggregation starts from.

    ``kept`` has customer_id (text), day, revenue, is_return, order_id, cost, channel, quantity,
    product, category (NULL when missing or not in the source) and, with ``row_order``, each
    row's place in the source (NULL without: numbering a CSV's rows costs DuckDB a pass).
    """

    def col(role: str) -> str:
        return dialect.column(present[role])

    text = dialect.text_type
    is_return = (
        f"CAST({col('is_return')} AS BOOLEAN)"
        if "is_return" in present
        else f"({col('revenue')} < 0)"
    )

    def optional(role: str, sql_type: str) -> str:
        return (
            f"CAST({col(role)} AS {sql_type})" if role in present else f"CAST(NULL AS {sql_type})"
        )

    # One row either way: a literal end needs no FROM (with one it would repeat per transaction).
    end = (
        f"DATE '{pd.Timestamp(observation_end):%Y-%m-%d}' AS end_day"
        if observation_end
        else "MAX(day) AS end_day FROM tx"
    )
    return f"""
tx AS (
    SELECT CAST({col("customer_id")} AS {text}) AS customer_id,
           CAST({col("date")} AS DATE) AS day,
           CAST({col("revenue")} AS DOUBLE) AS revenue,
           {is_return} AS is_return, {optional("order_id", text)} AS order_id,
           {optional("cost", "DOUBLE")} AS cost,
           {optional("channel", text)} AS channel, {optional("quantity", "DOUBLE")} AS quantity,
           {optional("product", text)} AS product, {optional("category", text)} AS category,
           {ROW_ORDER if row_order else "CAST(NULL AS BIGINT)"} AS row_order
    FROM {table}
    WHERE {col("customer_id")} IS NOT NULL AND {col("date")} IS NOT NULL
      AND {col("revenue")} IS NOT NULL
),
bounds AS (SELECT {end}),
kept AS (SELECT tx.* FROM tx CROSS JOIN bounds WHERE tx.day <= bounds.end_day)"""


def summary_sql(
    table: str,
    present: Mapping[str, str],
    unit: str,
    observation_end: str | None,
    dialect: Dialect,
) -> str:
    """The customer summary as one SQL query over ``table``.

    ``present`` maps the canonical roles found in the table to its column names. Semantics follow
    customer_summary: purchases on one day count once; a customer with only returns gets the dates
    of their first and last transaction; orders are distinct order ids plus, for lines without an
    order id, distinct purchase days. (The first day's amount by min_by, not by numbering each
    customer's days, and the orders as one distinct grouping, not two distinct counts per
    customer: 3.1 -> 2.3 s at 10M lines in DuckDB.)
    """
    if unit not in UNIT_DAYS:
        raise CvmError(f"Unknown time unit '{unit}'; choose day, week or month.")
    days = 1.0 / UNIT_DAYS[unit]
    diff = dialect.day_diff.format
    return f"""
WITH {kept_transactions_sql(table, present, observation_end, dialect)},
daily AS (
    SELECT customer_id, day, SUM(revenue) AS value
    FROM kept WHERE NOT is_return GROUP BY customer_id, day
),
per_day AS (
    SELECT customer_id, COUNT(*) AS purchase_days, MIN(day) AS first_day, MAX(day) AS last_day,
           SUM(value) AS total, {dialect.min_by}(value, day) AS first_amount
    FROM daily GROUP BY customer_id
),
per_line AS (
    SELECT customer_id, MIN(day) AS any_first, MAX(day) AS any_last,
           SUM(CASE WHEN is_return THEN 0 ELSE 1 END) AS lines,
           SUM(CASE WHEN is_return THEN 0.0 ELSE revenue END) AS revenue,
           SUM(CASE WHEN is_return THEN -revenue ELSE 0.0 END) AS returns,
           SUM(cost) AS cost
    FROM kept GROUP BY customer_id
),
per_order AS (
    SELECT customer_id, COUNT(*) AS orders
    FROM (SELECT DISTINCT customer_id, {DOCUMENT_COLUMNS} FROM kept WHERE NOT is_return) documents
    GROUP BY customer_id
),
joined AS (
    SELECT l.customer_id, COALESCE(d.first_day, l.any_first) AS first_purchase,
           COALESCE(d.last_day, l.any_last) AS last_purchase, COALESCE(o.orders, 0) AS orders,
           COALESCE(d.purchase_days, 0) AS purchase_days, l.lines, l.revenue, l.returns, l.cost,
           GREATEST(COALESCE(d.purchase_days, 0) - 1, 0) AS frequency,
           COALESCE(d.total - d.first_amount, 0.0) AS repeat_spend, b.end_day
    FROM per_line l LEFT JOIN per_day d ON l.customer_id = d.customer_id
    LEFT JOIN per_order o ON l.customer_id = o.customer_id CROSS JOIN bounds b
)
SELECT customer_id, first_purchase, last_purchase, orders, purchase_days, lines, revenue, returns,
       revenue - returns AS net_revenue, cost, revenue - returns - cost AS margin, frequency,
       CASE WHEN frequency > 0 THEN {diff(start="first_purchase", end="last_purchase")} * {days!r}
            ELSE 0.0 END AS recency,
       {diff(start="first_purchase", end="end_day")} * {days!r} AS T,
       CASE WHEN frequency > 0 THEN repeat_spend / frequency ELSE 0.0 END AS monetary_value,
       CASE WHEN orders > 0 THEN revenue / orders ELSE 0.0 END AS avg_order_value
FROM joined ORDER BY customer_id
"""


def summarize(
    source: str | Path | pd.DataFrame,
    engine: str = "pandas",
    unit: str = "week",
    observation_end: str | None = None,
    columns: Mapping[str, str] | None = None,
    memory_limit: str = "2GB",
) -> pd.DataFrame:
    """The customer summary of canonical transactions with the chosen engine.

    Parameters
    ----------
    source : path or DataFrame
        A Parquet file, a folder of Parquet files, a glob ("sales/*.parquet") or a CSV file;
        DataFrames only for the pandas engine.
    engine : {"pandas", "duckdb", "spark"}
    unit, observation_end
        As for :func:`cvm_core.intake.summary.customer_summary`.
    columns : mapping, optional
        Canonical role -> column name in the source, for sources with other names.
    memory_limit : str
        DuckDB's memory cap; beyond it DuckDB spills to a temporary folder instead of failing.

    Returns
    -------
    DataFrame
        Indexed by customer_id (text, sorted), columns :data:`cvm_core.intake.summary.SUMMARY_COLUMNS`.
    """
    if engine not in ENGINES:
        raise CvmError(f"Unknown engine '{engine}'; choose one of {', '.join(ENGINES)}.")
    if engine == "pandas":
        return _summarize_pandas(source, unit, observation_end, columns or {})
    if isinstance(source, pd.DataFrame):
        raise CvmError(f"The {engine} engine reads files; write the table to Parquet first.")
    return _tidy(
        run_query(
            source,
            engine,
            lambda table, present, dialect: summary_sql(
                table, present, unit, observation_end, dialect
            ),
            columns,
            memory_limit,
        )
    )


QueryBuilder = Callable[[str, Mapping[str, str], Dialect], str]
"""(table, canonical role -> column, dialect) -> one SQL query over the table."""


def source_roles(
    path: str | Path, engine: str, columns: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Canonical role -> column name for the roles a transactions file has (its schema only)."""
    found: dict[str, str] = {}

    def build(table: str, present: Mapping[str, str], dialect: Dialect) -> str:
        found.update(present)
        return f"SELECT 1 AS one FROM {table} LIMIT 0"

    run_query(path, engine, build, columns)
    return found


def run_query(
    path: str | Path,
    engine: str,
    build: QueryBuilder,
    columns: Mapping[str, str] | None = None,
    memory_limit: str = "2GB",
    parts: int = 1,
) -> pd.DataFrame:
    """Run the query ``build`` writes over a Parquet or CSV file of canonical transactions.

    The table the query reads has the file's columns plus :data:`ROW_ORDER` (DuckDB numbers the
    rows only for a query that reads it). With ``parts`` > 1 DuckDB runs the query once per share
    of the customers (by a hash of the id) and stacks the results: for a query whose every row
    comes from one customer's lines, the same rows in another order, with a fraction of the memory
    (its hash tables hold one share's groups). Spark ignores it. Raises our
    ReadError (one line) for files the engine cannot read, CvmError for a missing column.
    """
    if engine not in ("duckdb", "spark"):
        raise CvmError(f"Unknown engine '{engine}'; choose duckdb or spark.")
    path = str(path)
    if path.lower().endswith(_SPREADSHEET_SUFFIXES):
        raise CvmError(
            f"The {engine} engine reads Parquet or CSV files of cleaned transactions, not "
            "spreadsheets. Use --engine pandas for a spreadsheet (it maps and validates it)."
        )
    if engine == "duckdb":
        return _run_duckdb(path, build, columns or {}, memory_limit, parts)
    return _run_spark(path, build, columns or {})


def _present_roles(available: list[str], columns: Mapping[str, str]) -> dict[str, str]:
    """Canonical role -> source column, checking that the required ones exist."""
    names = {role: columns.get(role, role) for role in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    missing = [
        f"{role} ('{names[role]}')" for role in REQUIRED_COLUMNS if names[role] not in available
    ]
    if missing:
        raise CvmError(
            f"The source has no column for {', '.join(missing)}; it has: {', '.join(available)}. "
            "Name the columns with --map ROLE=COLUMN."
        )
    return {role: name for role, name in names.items() if name in available}


def _summarize_pandas(
    source: str | Path | pd.DataFrame, unit: str, end: str | None, columns: Mapping[str, str]
) -> pd.DataFrame:
    frame = source if isinstance(source, pd.DataFrame) else _read_canonical(Path(source))
    present = _present_roles(list(frame.columns), columns)
    tx = frame[list(present.values())].rename(columns={v: k for k, v in present.items()})
    tx = tx.assign(customer_id=clean_ids(tx["customer_id"]))  # as DuckDB and Spark read them
    tx = tx.dropna(subset=list(REQUIRED_COLUMNS))
    tx["date"] = pd.to_datetime(tx["date"]).dt.floor("D")
    tx["revenue"] = tx["revenue"].astype(float)
    tx["is_return"] = tx["is_return"].astype(bool) if "is_return" in tx else tx["revenue"] < 0
    if "order_id" in tx:
        tx["order_id"] = tx["order_id"].astype("string")
    summary = customer_summary(tx, unit, end)
    summary.index = summary.index.astype(str)
    return summary


def _read_canonical(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ReadError(f"No such file or folder: {path}")
    if path.suffix.lower() in (".csv", ".txt"):
        return pd.read_csv(path)
    return pd.read_parquet(path)


def _run_duckdb(
    path: str, build: QueryBuilder, columns: Mapping[str, str], memory_limit: str, parts: int = 1
) -> pd.DataFrame:
    duckdb = _import_engine("duckdb")
    quoted = path.replace(chr(39), chr(39) * 2)
    if path.lower().endswith((".csv", ".txt")):
        # DuckDB keeps a CSV's rows in file order (insertion order is preserved by default).
        source = f"read_csv_auto('{quoted}')"
        numbered = f"(SELECT *, ROW_NUMBER() OVER () AS {ROW_ORDER} FROM {source})"
    else:
        source = f"read_parquet('{quoted}')"
        # Each row's place: its row number in one file (an integer: 0.5 s less for the orders of
        # 10M rows than a pair), else (file name, row number) across a folder's or glob's files.
        if Path(path).is_file():
            numbered = (
                f"(SELECT * EXCLUDE (file_row_number), file_row_number AS {ROW_ORDER} "
                f"FROM read_parquet('{quoted}', file_row_number=true))"
            )
        else:
            numbered = (
                f"(SELECT * EXCLUDE (cvm_file, file_row_number), "
                f"(cvm_file, file_row_number) AS {ROW_ORDER} "
                f"FROM read_parquet('{quoted}', filename='cvm_file', file_row_number=true))"
            )
    # One query at a time in a process: each uses every core, and two at once (the app's
    # pages and their prefetch) would each take up to the memory cap.
    with _DUCKDB_TURN, duckdb.connect() as con:
        # Larger-than-memory input: cap memory and let DuckDB spill sorted/hashed runs to disk.
        con.execute(f"SET memory_limit = '{memory_limit}'")
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            available, types = [row[0] for row in described], [row[1] for row in described]
        except duckdb.Error as error:
            raise _engine_error("DuckDB", path, error) from error
        if len(available) == 1 and any(sep in available[0] for sep in ",;\t|"):
            # The sniffer found no delimiter that splits every line alike: the lines disagree.
            raise ReadError(
                f"DuckDB read {Path(path).name} as one column ('{excerpt(available[0], 40)}'): "
                "its lines do not all have the same fields. If the file was cut off (an "
                "unfinished copy, download or export), make it again; otherwise check its last "
                "lines. Then run the command again."
            )
        present = _present_roles(available, columns)
        id_name = DUCKDB.column(present["customer_id"])
        id_type = types[available.index(present["customer_id"])]
        try:  # reads the id column: a line cut off at the end of a CSV fails here already
            unclean = id_type != "VARCHAR" or text_ids_need_cleaning(con, source, path, id_name)
        except duckdb.Error as error:
            raise _engine_error("DuckDB", path, error) from error
        if unclean:
            source, numbered = (with_clean_ids(s, id_name, id_type) for s in (source, numbered))
        if ROW_ORDER in build(f"{source} AS source", present, DUCKDB):  # the rows' order is read
            source = numbered  # number them
        results = []
        try:
            for part in range(parts):
                # The share filters the (cleaned) id: one customer's lines all land in one part.
                share = f"(SELECT * FROM {source} WHERE hash({id_name}) % {parts} = {part})"
                sql = build(f"{share if parts > 1 else source} AS source", present, DUCKDB)
                # Rows are read here, not at DESCRIBE (a sample): a line cut off at the end of
                # the file, or a value of another type far down, fails only now.
                results.append(con.execute(sql).to_arrow_table())
            return _to_frame(pa.concat_tables(results))
        except duckdb.OutOfMemoryException as error:
            raise CvmError(
                f"DuckDB ran out of memory reading {Path(path).name} within its cap of "
                f"{memory_limit}; run again with a larger --memory-limit (e.g. 4GB)."
            ) from error
        except duckdb.Error as error:
            raise _engine_error("DuckDB", path, error) from error


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """A DuckDB result in pandas, with text columns (customer ids, channels) as categoricals.

    An aggregation returns up to one row per order (2.9M at 10M lines): that many ids as Python
    strings cost seconds to build and again to look up, while their distinct values are a few
    hundred thousand. Decimals become int64 (whole-number sums: DuckDB's HUGEINT, decimal(38, 0)
    in Arrow) or float64 (days times a unit's fraction), not Python Decimals (0.3 s for the
    summary's recency and T at 424k customers); dates become datetime64.
    """
    texts = {}
    for position, column in enumerate(table.columns):
        name = table.column_names[position]
        if pa.types.is_string(column.type):  # ids, channels, categories: few distinct values
            texts[position] = (name, _categorical(column))
        elif pa.types.is_decimal(column.type):
            number = pa.int64() if column.type.scale == 0 else pa.float64()
            table = table.set_column(position, name, pc.cast(column, number))
    frame = table.drop_columns([name for name, _ in texts.values()]).to_pandas(date_as_object=False)
    for position, (name, values) in texts.items():  # in column order: each lands in its place
        frame.insert(position, name, values)
    return frame


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """Text as a pandas categorical, built from Arrow's codes and distinct values: pyarrow's own
    conversion of a dictionary column took 0.65 s for 3.7M order rows' customer ids, this 0.3 s
    with the encoding. Categories in order of first appearance, as pyarrow's; missing values are
    code -1."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    categories = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)|Malformed CSV record: ([^\n]*?)(?: SQLSTATE|$)")


def _engine_error(engine: str, path: str, error: Exception) -> ReadError:
    """One line about a file an engine could not read, instead of its pages of diagnostics.

    DuckDB and Spark describe a bad CSV row in many lines (with the row itself); the user needs
    which file, where, and what to do. The first line of the engine's own message is kept, cut
    to a readable length, for whoever has to look closer.
    """
    text = str(error)
    found = _CSV_LINE.search(text)
    where = ""
    if found and found.group(1):
        where = f" at line {int(found.group(1)):,}"
    elif found:
        where = f" at the row '{excerpt(found.group(2), 40)}'"
    first = next((line for line in text.splitlines() if line.strip()), type(error).__name__)
    if found and found.group(2) is not None:  # Spark's first line names only its Java call
        first = "Malformed CSV record"
    check = "that row" if where else "that it is a CSV or Parquet file of transactions"
    return ReadError(
        f"{engine} could not read {Path(path).name}{where} ({excerpt(first.rstrip('. '))}). If "
        "the file was cut off (an unfinished copy, download or export), make it again; "
        f"otherwise check {check}. Then run the command again."
    )


def _run_spark(path: str, build: QueryBuilder, columns: Mapping[str, str]) -> pd.DataFrame:
    _import_engine("spark")
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession() or (
        SparkSession.builder.master("local[2]")
        .appName("cvm-summary")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    from pyspark.errors import AnalysisException

    try:
        if path.lower().endswith((".csv", ".txt")):
            # FAILFAST: a row cut short (the last line of an unfinished copy) is an error, where
            # Spark's default fills the missing cells with nulls and the row is quietly dropped.
            frame = spark.read.csv(path, header=True, inferSchema=True, mode="FAILFAST")
        else:
            frame = spark.read.parquet(path)
    except AnalysisException as error:
        hint = (
            " Spark cannot read nanosecond timestamps (pandas' default): write the file with "
            "to_parquet(..., coerce_timestamps='us', allow_truncated_timestamps=True)."
            if "TIMESTAMP(NANOS" in str(error)
            else ""
        )
        raise ReadError(f"Spark could not read {path}.{hint}") from error
    from pyspark.sql.functions import monotonically_increasing_id

    present = _present_roles(frame.columns, columns)
    id_column = present["customer_id"]
    cleaned = spark_clean_id(SPARK.column(id_column), dict(frame.dtypes)[id_column])
    if cleaned is not None:  # the ids as DuckDB and the intake read them
        from pyspark.sql.functions import expr

        frame = frame.withColumn(id_column, expr(cleaned))
    # Increasing in file order: partitions follow the file, ids increase within each.
    numbered = frame.withColumn(ROW_ORDER, monotonically_increasing_id())
    numbered.createOrReplaceTempView("cvm_transactions")
    sql = build("cvm_transactions", present, SPARK)
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    try:
        return spark.sql(sql).toPandas()
    except (Py4JJavaError, PySparkException) as error:  # rows are read (and fail) only here
        raise _engine_error("Spark", path, error) from error


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes and index as the pandas engine's table."""
    out = frame.set_index("customer_id")
    out.index = out.index.astype(str)
    for name in ("first_purchase", "last_purchase"):
        out[name] = pd.to_datetime(out[name]).astype("datetime64[ns]")
    for name in ("orders", "purchase_days", "lines", "frequency"):
        out[name] = out[name].astype("int64")
    return out[list(SUMMARY_COLUMNS)].astype({c: float for c in _FLOAT_COLUMNS})


_FLOAT_COLUMNS = (
    "revenue", "returns", "net_revenue", "cost", "margin", "recency", "T", "monetary_value",
    "avg_order_value",
)  # fmt: skip


def _import_engine(engine: str):
    try:
        if engine == "duckdb":
            import duckdb

            return duckdb
        import pyspark

        return pyspark
    except ImportError as error:
        raise CvmError(
            f"The {engine} engine is not installed. Install it with: {_INSTALL_HINT[engine]}"
        ) from error


def write_summary(summary: pd.DataFrame, path: str | Path, **settings: object) -> None:
    """Write a summary as Parquet with its settings (unit, observation end, engine) as metadata."""
    table = pa.Table.from_pandas(summary.reset_index(), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[SUMMARY_METADATA_KEY] = json.dumps(settings, default=str).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _parquet_source(source: str | Path | bytes):
    """What pyarrow reads: a path, or an in-memory buffer for uploaded bytes."""
    return pa.BufferReader(source) if isinstance(source, bytes) else source


def is_summary_file(source: str | Path | bytes) -> bool:
    """Whether ``source`` is a Parquet file carrying the summary metadata (reads only the footer)."""
    try:
        schema = pq.read_schema(_parquet_source(source))
    except (OSError, pa.ArrowInvalid, pa.ArrowException):
        return False
    return SUMMARY_METADATA_KEY in (schema.metadata or {})


def read_summary(source: str | Path | bytes, name: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Read a summary file written by :func:`write_summary`: (summary, settings).

    Parameters
    ----------
    source : path or bytes
        The file, or its bytes (an upload).
    name : str, optional
        The file name used in messages (default: the path's name, or "The file").
    """
    name = name or (Path(source).name if not isinstance(source, bytes) else "The file")
    if isinstance(source, bytes):  # an upload: refuse a Parquet bomb before unpacking it
        check_parquet_size(source, name)
    try:
        table = pq.read_table(_parquet_source(source))
    except (OSError, pa.ArrowInvalid) as error:
        raise ReadError(Message(N_("{name} is not a readable Parquet file ({error})."), name=name, error=excerpt(error))) from error  # fmt: skip
    raw = (table.schema.metadata or {}).get(SUMMARY_METADATA_KEY)
    if raw is None or "customer_id" not in table.column_names:
        raise ReadError(Message(N_("{name} is not a customer summary written by `python -m cvm_core summarize`; upload the transactions instead."), name=name))  # fmt: skip
    try:
        settings = json.loads(raw)
    except ValueError as error:
        raise ReadError(Message(N_("{name} has unreadable summary metadata; write it again with `python -m cvm_core summarize`."), name=name)) from error  # fmt: skip
    frame = table.to_pandas().set_index("customer_id")
    return frame, settings
