"""Customer ids in the engines' SQL read as the intake reads them.

The intake (:func:`cvm_core.intake.schema.clean_ids`) trims text ids, takes blank ones as
missing and writes a whole number stored as a float without its '.0' (a workbook's 1001.0 is
customer '1001'). DuckDB and Spark read a file's id column the same way, so one file gives the
same customers on disk as in memory; other column types are read as they are. Text ids are
looked at once per file: only a file with a blank or padded id pays for the cleaning in every
query.
"""

from __future__ import annotations

from pathlib import Path

BLANKS = " \t\n\r\x0b\x0c\xa0\u3000"
"""Blank characters trimmed off text ids: Python's str.strip() (the intake's) strips these and
rarer Unicode spaces."""


def duckdb_clean_id(name: str, sql_type: str) -> str:
    """DuckDB SQL for the id column ``name`` (quoted) of DuckDB type ``sql_type``."""
    if sql_type in ("FLOAT", "DOUBLE"):
        whole = f"isfinite({name}) AND {name} = floor({name}) AND abs({name}) < 1e38"
        return (
            f"CASE WHEN isnan({name}) THEN NULL WHEN {whole} THEN "
            f"CAST(CAST({name} AS HUGEINT) AS VARCHAR) ELSE CAST({name} AS VARCHAR) END"
        )
    if sql_type == "VARCHAR":
        # Trimming every id costs DuckDB 1.5 s at 10M lines; looking at both ends first 0.2 s.
        blanks = " || ".join(f"chr({ord(c)})" for c in BLANKS)
        return (
            f"CASE WHEN {duckdb_unclean_text_id(name)} THEN NULLIF(trim({name}, {blanks}), '') "
            f"ELSE {name} END"
        )
    return name


def duckdb_unclean_text_id(name: str) -> str:
    """DuckDB condition: the text id ``name`` is blank or has blanks at either end."""
    codes = "(" + ", ".join(str(ord(c)) for c in BLANKS) + ")"
    return f"({name} = '' OR ord({name}) IN {codes} OR ord(right({name}, 1)) IN {codes})"


def spark_clean_id(name: str, spark_type: str) -> str | None:
    """The same in Spark SQL for Spark type ``spark_type`` (None: nothing to clean)."""
    if spark_type in ("float", "double"):
        return (
            f"CASE WHEN isnan({name}) THEN NULL WHEN {name} = floor({name}) AND abs({name}) < 1e38 "
            f"THEN CAST(CAST({name} AS DECIMAL(38, 0)) AS STRING) ELSE CAST({name} AS STRING) END"
        )
    if spark_type == "string":
        blanks = "".join(f"\\u{ord(c):04x}" for c in BLANKS)
        return f"NULLIF(trim(BOTH '{blanks}' FROM {name}), '')"
    return None


_TEXT_ID_CHECKS: dict[tuple, bool] = {}


def text_ids_need_cleaning(con, source: str, path: str, name: str) -> bool:
    """Whether any text id in the source is blank or has blanks around it, asked once per file:
    the check reads the id column alone (0.05-0.3 s at 10M lines) where cleaning the ids in every
    query costs 0.2-0.3 s a query. A file is known by its path, size and inode, not its time:
    an upload's is touched whenever it is used (large_files.mark_in_use)."""
    file = Path(path)
    if not file.is_file():  # a folder or glob: its files may change between queries
        return True
    info = file.stat()
    key = (str(file.resolve()), info.st_size, info.st_ino, name)
    if key not in _TEXT_ID_CHECKS:  # the engine runs one query at a time: one check at a time
        found = con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {source} WHERE {duckdb_unclean_text_id(name)})"
        )
        _TEXT_ID_CHECKS[key] = bool(found.fetchone()[0])
    return _TEXT_ID_CHECKS[key]


def with_clean_ids(source: str, name: str, sql_type: str) -> str:
    """The source with its customer id column ``name`` (quoted) read as the intake reads ids."""
    cleaned = duckdb_clean_id(name, sql_type)
    return source if cleaned == name else f"(SELECT * REPLACE ({cleaned} AS {name}) FROM {source})"
