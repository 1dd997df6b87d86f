"""Uploads too large for memory: kept on disk and analysed there by DuckDB.

A Parquet file of more than :data:`LARGE_FILE_ROWS` rows is not read into pandas (ten million
rows took the server to 5.4 GB that way). It is written to :func:`upload_folder` once, its column
mapping is checked on a sample of its first rows, and the dataset built from it carries a
:class:`TransactionFile`: every page then asks DuckDB for the per-customer and per-period tables
it needs (:mod:`cvm_core.intake.aggregations`), never for the rows.

Such a file must already be clean, as a data warehouse exports it: a date column of dates (or ISO
text), a numeric amount, one row per line. Spreadsheet clean-up (title rows, decimal commas,
totals rows) is for files small enough to read whole, which take the usual path.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cvm_core.errors import ReadError, ValidationError
from cvm_core.i18n import N_, Message
from cvm_core.intake.amounts import guess_currency
from cvm_core.intake.dataset import DEFAULT_CURRENCY, Dataset, empty_transactions
from cvm_core.intake.engine_ids import duckdb_clean_id
from cvm_core.intake.engines import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from cvm_core.intake.excerpt import excerpt
from cvm_core.intake.io import Workbook, parquet_workbook
from cvm_core.intake.schema import TRANSACTION_ROLES, ColumnMapping
from cvm_core.intake.validate import MISSING_AMOUNT, MISSING_DATE, MISSING_ID, ValidationResult

LARGE_FILE_ROWS = int(os.environ.get("CVM_LARGE_FILE_ROWS", "2000000"))
"""Parquet uploads with more rows than this stay on disk and are analysed by DuckDB (below it,
pandas is as fast and handles messier data). ``CVM_LARGE_FILE_ROWS`` sets another size."""

SAMPLE_ROWS = 2000
"""Rows read to guess and check the column mapping of a large file."""

KEEP_DAYS = 2
"""Uploads untouched for longer are deleted from the upload folder when the next one is saved."""


@dataclass(frozen=True)
class TransactionFile:
    """Transactions left on disk (a large upload) and analysed there by an engine.

    Attributes
    ----------
    path : str
        The Parquet file.
    columns : tuple of (role, column)
        Canonical role -> the file's column, as mapped.
    first_date, last_date : Timestamp
    lines : int
        Lines kept (every required value present).
    known : tuple of str
        The optional roles with at least one value (order_id, cost, channel, ...).
    engine, memory_limit : str
        Who reads it (DuckDB) and its memory cap, beyond which DuckDB spills to disk (1 GB made
        the Scorecard's largest query 2.5x slower at 10M rows and lowered the server's peak by
        only 0.3 GB: the rest is the pages' own tables).
    """

    path: str
    columns: tuple[tuple[str, str], ...]
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    lines: int
    known: tuple[str, ...] = ()
    engine: str = "duckdb"
    memory_limit: str = "2GB"


def parquet_rows(data: bytes) -> int | None:
    """Rows of a Parquet file from its footer (no data read); None when it is not Parquet."""
    try:
        return pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
    except Exception:  # noqa: BLE001 - not Parquet, or damaged: the usual reader says which
        return None


def is_large_upload(filename: str, data: bytes) -> bool:
    """Whether an upload goes to disk: a Parquet file of more than :data:`LARGE_FILE_ROWS` rows."""
    if not filename.lower().endswith(".parquet"):
        return False
    rows = parquet_rows(data)
    return rows is not None and rows > LARGE_FILE_ROWS


def upload_folder() -> Path:
    """Where large uploads are kept (``CVM_UPLOAD_DIR``, else a folder in the system's temp)."""
    folder = Path(os.environ.get("CVM_UPLOAD_DIR") or Path(tempfile.gettempdir()) / "cvm-uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_upload(data: bytes, digest: str) -> Path:
    """The upload written to :func:`upload_folder` under its digest (once: the same bytes are
    the same file), after deleting uploads nobody has used for :data:`KEEP_DAYS` days."""
    folder = upload_folder()
    path = folder / f"{digest}.parquet"
    _prune(folder, keep=path)
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # whole or absent: a reader never sees half a file
    path.touch()  # in use again
    return path


def mark_in_use(path: Path) -> None:
    """Mark a saved upload as used now: the clean-up (:func:`save_upload`) deletes only uploads
    nobody has used for :data:`KEEP_DAYS` days. One already deleted (a session left open longer,
    or another server's clean-up) is said so, not left to DuckDB's 'no files found'."""
    try:
        os.utime(path)
    except FileNotFoundError:
        raise ReadError(
            Message(
                N_("The uploaded file is no longer on the server (uploads nobody has used for "
                   "{days} days are deleted). Upload it again."),
                days=KEEP_DAYS,
            )
        ) from None  # fmt: skip


def _prune(folder: Path, keep: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    for old in folder.glob("*.parquet"):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another server process got there first
            continue


def sample_workbook(path: Path, filename: str) -> Workbook:
    """The file's first :data:`SAMPLE_ROWS` rows as a one-table workbook, for the mapping form
    (read as the usual Parquet intake reads the whole file; its column names as DuckDB sees them
    unless two are the same)."""

    def first_rows() -> pa.Table:
        batch = next(pq.ParquetFile(path).iter_batches(batch_size=SAMPLE_ROWS), None)
        return pa.Table.from_batches([batch]) if batch is not None else pa.table({})

    return parquet_workbook(first_rows, filename, [])


def dataset_from_file(
    path: Path, filename: str, mapping: ColumnMapping, fingerprint: str, rows: int
) -> Dataset:
    """A dataset whose transactions stay in ``path`` (see the module's docstring).

    Raises
    ------
    ValidationError
        A required role unmapped, a date or amount column of the wrong type, or no usable row.
    ReadError
        DuckDB cannot read the file.
    """
    from cvm_core.intake.aggregations import aggregate  # DuckDB only for large files

    columns, ignored = _columns(path, mapping)
    try:
        row = aggregate(path, "date_range", columns=columns).iloc[0]
    except ReadError as error:
        if "Conversion Error" not in str(error):
            raise
        # A text date far down the file that the sample did not show.
        raise ValidationError(Message(
            N_("A value of column '{column}' in '{filename}' is not a date DuckDB can read "
               "({error}). A file this large needs dates, or text dates written like 2024-03-31."),
            column=columns["date"], filename=filename, error=excerpt(str(error), 120),
        )) from error  # fmt: skip
    lines = int(row["lines"])
    if lines == 0:
        raise ValidationError(Message(N_("No row of '{filename}' has a customer, a date and an amount."), filename=filename))  # fmt: skip
    known = tuple(r for r in OPTIONAL_COLUMNS if r in columns and int(row[f"known_{r}"]) > 0)
    source = TransactionFile(
        str(path), tuple(columns.items()), pd.Timestamp(row["first_day"]),
        pd.Timestamp(row["last_day"]), lines, known,
    )  # fmt: skip
    notes = [_note(filename, rows, lines)]
    if ignored:
        notes.append(Message(
            N_("Not used for a file this large: {roles}. Returns are the lines with a negative "
               "amount unless a true/false return flag is mapped."),
            roles=", ".join(TRANSACTION_ROLES[r] for r in ignored),
        ))  # fmt: skip
    revenue = mapping.roles["revenue"]
    guess = guess_currency(None, revenue)
    return Dataset(
        name=filename,
        transactions=empty_transactions(),
        validation=ValidationResult(
            empty_transactions(),
            rows_set_aside(path, columns) if rows > lines else _none_set_aside(),
            rows,
        ),  # fmt: skip
        mapping=mapping,
        currency=guess.code if guess else DEFAULT_CURRENCY,
        currency_source=guess.source if guess else "",
        fingerprint=fingerprint,
        notes=tuple(notes),
        transaction_file=source,
    )


def _columns(path: Path, mapping: ColumnMapping) -> tuple[dict[str, str], list[str]]:
    """Canonical role -> column, after checking the types the engine needs, and the mapped roles
    it does not use (unit price, margin %, a return flag that is not true/false)."""
    roles = dict(mapping.roles)
    missing = [r for r in REQUIRED_COLUMNS if r not in roles]
    if missing:
        raise ValidationError(Message(N_("Choose the column for {roles}: a file this large needs an amount column (quantity x unit price is not computed on disk)."), roles=", ".join(missing)))  # fmt: skip
    schema = pq.read_schema(path)
    date_type, amount_type = schema.field(roles["date"]).type, schema.field(roles["revenue"]).type
    if not (pa.types.is_temporal(date_type) or pa.types.is_string(date_type)):
        raise ValidationError(_type_message(roles["date"], str(date_type), N_("dates")))
    if pa.types.is_string(date_type):
        _check_text_dates(path, roles["date"])
    if not (pa.types.is_integer(amount_type) or pa.types.is_floating(amount_type)
            or pa.types.is_decimal(amount_type)):  # fmt: skip
        raise ValidationError(_type_message(roles["revenue"], str(amount_type), N_("numbers")))
    flag = roles.pop("return_flag", None)
    if flag is not None and pa.types.is_boolean(schema.field(flag).type):
        roles["is_return"] = flag  # else returns are the negative amounts, as without a flag
    used = {r: c for r, c in roles.items() if r in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    ignored = [r for r in mapping.roles if r not in used and r != "return_flag"]
    if flag is not None and "is_return" not in used:
        ignored.append("return_flag")
    return used, ignored


def _check_text_dates(path: Path, column: str) -> None:
    """Text dates must be ISO (2024-03-31) for DuckDB: the first rows say whether they are."""
    batch = next(pq.ParquetFile(path).iter_batches(batch_size=SAMPLE_ROWS, columns=[column]), None)
    if batch is None:
        return
    text = batch.column(0).to_pandas().dropna()
    read = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if read.isna().any():
        raise ValidationError(Message(
            N_("Column '{column}' holds dates written as text like '{example}'; a file this large "
               "is analysed on disk and needs dates, or text dates written like 2024-03-31. "
               "Export it with that column as a date, or upload a smaller extract, which is "
               "cleaned on reading."),
            column=column, example=excerpt(str(text[read.isna()].iloc[0]), 30),
        ))  # fmt: skip


def _type_message(column: str, found: str, wanted: str) -> Message:
    return Message(
        N_("Column '{column}' holds {found} values; a file this large is analysed on disk and "
           "needs {wanted} there. Export it with that column typed, or upload a smaller extract, "
           "which is cleaned on reading."),
        column=column, found=found, wanted=wanted,
    )  # fmt: skip


def _note(filename: str, rows: int, lines: int) -> Message:
    return Message(
        N_("'{filename}' has {rows} rows, more than {limit}: it stays on the server's disk and "
           "DuckDB computes each page's tables from it ({lines} rows with a customer, a date and "
           "an amount). Its rows are not cleaned as a spreadsheet's are."),
        filename=filename, rows=f"{rows:,}", limit=f"{LARGE_FILE_ROWS:,}", lines=f"{lines:,}",
    )  # fmt: skip


def _none_set_aside() -> pd.DataFrame:
    return pd.DataFrame(columns=["Row in file", "Reason"])


MAX_SET_ASIDE = 100_000
"""Rows set aside listed at most (their count is always exact)."""


def rows_set_aside(path: Path, columns: Mapping[str, str]) -> pd.DataFrame:
    """The rows without a customer, a date or an amount, as the usual intake lists them: ``Row in
    file`` (counting from 1), ``Reason`` and their cells as text (the first :data:`MAX_SET_ASIDE`)."""
    import duckdb

    quoted = str(path).replace("'", "''")
    with duckdb.connect() as con:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{quoted}')").fetchall()
        types = {row[0]: row[1] for row in described}
        quoted_names = {
            role: '"' + columns[role].replace('"', '""') + '"' for role in REQUIRED_COLUMNS
        }
        values = dict(quoted_names)  # an id is missing as the engines read it: blank text too
        values["customer_id"] = duckdb_clean_id(
            quoted_names["customer_id"], types[columns["customer_id"]]
        )
        reasons = " ".join(
            f"WHEN {values[role]} IS NULL THEN '{reason}'"
            for role, reason in (
                ("customer_id", MISSING_ID),
                ("date", MISSING_DATE),
                ("revenue", MISSING_AMOUNT),
            )
        )
        query = f"""
SELECT file_row_number + 1 AS "Row in file", CASE {reasons} END AS "Reason",
       * EXCLUDE (file_row_number)
FROM read_parquet('{quoted}', file_row_number = true)
WHERE {" OR ".join(f"{values[r]} IS NULL" for r in REQUIRED_COLUMNS)}
ORDER BY file_row_number LIMIT {MAX_SET_ASIDE}
"""
        rows = con.execute(query).df()
    cells = rows.columns[2:]
    rows[cells] = rows[cells].astype(str).replace({"nan": "", "None": "", "NaT": "", "<NA>": ""})
    return rows
