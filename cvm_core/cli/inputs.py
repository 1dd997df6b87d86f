"""Input options every command shares (file, sheet, column mapping, dates) and readable output."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from cvm_core.errors import CvmError
from cvm_core.intake.dataset import Dataset, build_dataset, guess_sheet_roles
from cvm_core.intake.fingerprint import fingerprint
from cvm_core.intake.io import read_workbook
from cvm_core.intake.schema import TRANSACTION_ROLES, ColumnMapping, guess_mapping
from cvm_core.intake.validate import ValidationOptions

if TYPE_CHECKING:
    from cvm_core.analyses.inputs import AnalysisInputs


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="Transactions file: CSV/TSV/TXT, xlsx/xls/xlsb/ods or Parquet."
    )
    parser.add_argument("--sheet", help="Sheet holding the transactions (default: guessed).")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help=f"Override a guessed column role; roles: {', '.join(TRANSACTION_ROLES)}.",
    )
    parser.add_argument("--date-order", choices=["auto", "dayfirst", "monthfirst"], default="auto")
    parser.add_argument(
        "--observation-end", help="Ignore transactions after this date (YYYY-MM-DD)."
    )
    parser.add_argument("--unit", choices=["day", "week", "month"], default="week")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """--engine and --memory-limit: read a Parquet/CSV file of canonical transactions with DuckDB
    (beyond memory) or Spark instead of loading it into pandas."""
    parser.add_argument(
        "--engine",
        choices=("pandas", "duckdb", "spark"),
        default="pandas",
        help="pandas (default) reads any spreadsheet; duckdb reads Parquet/CSV of cleaned "
        "transactions larger than memory from disk; spark runs on Apache Spark.",
    )
    parser.add_argument(
        "--memory-limit", default="2GB", help="DuckDB's memory cap before it spills to disk."
    )


def engine_columns(items: list[str]) -> dict[str, str]:
    """--map ROLE=COLUMN items as the engines take them: canonical role -> column."""
    names = {}
    for item in items:
        role, _, column = item.partition("=")
        if not column:
            raise CvmError(f"--map takes ROLE=COLUMN; got '{item}'.")
        names[role] = column
    return names


def inputs_from_args(args: argparse.Namespace) -> tuple[str, AnalysisInputs]:
    """The dataset's name and analysis inputs: the file loaded into pandas through the intake
    (--engine pandas), or left on disk for DuckDB or Spark, which then compute the customer summary
    and every aggregation the analysis asks its source for."""
    from cvm_core.analyses.inputs import AnalysisInputs

    if args.engine == "pandas":
        dataset = load_from_args(args)
        return dataset.name, AnalysisInputs.of(dataset, args.unit, args.observation_end)
    import pandas as pd

    from cvm_core.analyses.sources import FileSource
    from cvm_core.intake import engines

    columns = engine_columns(args.map)
    source = FileSource(args.file, args.engine, columns, args.memory_limit)
    end = pd.Timestamp(args.observation_end) if args.observation_end else source.last_date()
    summary = engines.summarize(
        args.file, args.engine, args.unit, f"{end:%Y-%m-%d}", columns, args.memory_limit
    )
    return args.file.name, AnalysisInputs(pd.DataFrame(), summary, end, args.unit, source=source)


def load_from_args(args: argparse.Namespace) -> Dataset:
    """Read and validate the file named on the command line, applying --sheet and --map."""
    if not args.file.exists():
        raise CvmError(f"No such file: {args.file}")
    data = args.file.read_bytes()
    workbook = read_workbook(data, args.file.name)
    sheets = guess_sheet_roles(workbook)
    if args.sheet:
        if args.sheet not in workbook.tables:
            raise CvmError(f"No sheet '{args.sheet}'; the file has: {', '.join(workbook.tables)}.")
        sheets = dataclasses.replace(sheets, transactions=args.sheet)  # keeps the other sheets
    roles = dict(guess_mapping(workbook.tables[sheets.transactions].frame).roles)
    for item in args.map:
        role, _, column = item.partition("=")
        if role not in TRANSACTION_ROLES or not column:
            raise CvmError(
                f"--map takes ROLE=COLUMN with a role among {', '.join(TRANSACTION_ROLES)}; got '{item}'."
            )
        roles = {r: c for r, c in roles.items() if c != column}
        roles[role] = column
    columns = workbook.tables[sheets.transactions].frame.columns
    mapping = ColumnMapping(roles, tuple(c for c in columns if c not in roles.values()))
    options = ValidationOptions(date_order=args.date_order, observation_end=args.observation_end)
    # The workbook is already read: validate it rather than reading the file a second time.
    return build_dataset(
        workbook, sheets, mapping, options, args.file.name, fingerprint=fingerprint(data)
    )


def print_readable(result: dict, indent: str = "") -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            print_readable(value, indent + "  ")
        else:
            print(f"{indent}{key}: {value}")
