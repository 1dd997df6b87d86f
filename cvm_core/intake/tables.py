"""The tables read from a file, and finding a table in a grid of cells.

A grid is what a sheet holds, title rows and all; the table is the header row found in it and the
rows below. Shared by every reader in :mod:`cvm_core.intake.io`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.i18n import N_, Message
from cvm_core.intake.distinct import factorize_column
from cvm_core.intake.schema import header_keyword_hits

HEADER_SEARCH_ROWS = 30
"""How far below the top we look for the header row (title rows, logos, notes above it)."""

MAX_HEADER_CHARS = 80
"""Column names are cut to this length (ending in '…'): a "header" of kilobytes is a damaged or
mislabelled file, and every message and form that names the column would repeat it."""


@dataclass(frozen=True)
class RawTable:
    """One table found in a file: the rows below the header, untouched.

    Attributes
    ----------
    frame : DataFrame
        One column per header cell (names made unique and never empty). CSV cells are strings;
        workbook cells keep the type the workbook gave them (float, datetime, str, ...).
    source_rows : ndarray of int
        The 1-based row (line) number of each frame row in the source sheet or file.
    header_row : int
        The 1-based row number of the header; rows above it were titles or notes.
    name : str
        Sheet name, or the file name for single-table formats.
    """

    frame: pd.DataFrame
    source_rows: np.ndarray
    header_row: int
    name: str
    notes: tuple[str, ...] = ()
    delimiter: str | None = None
    """The field separator of a text file (None for workbooks): a semicolon is German usage,
    which decides how amounts like 1.500 are read."""
    formula_cells: dict[str, np.ndarray] = field(default_factory=dict)
    """Column name -> frame rows (0-based) whose cell holds a formula without a saved result
    (an xlsx written by a program, not by Excel): the reader sees those cells as empty."""


@dataclass(frozen=True)
class Workbook:
    """Every table in an uploaded file, in file order.

    Attributes
    ----------
    tables : dict[str, RawTable]
        Sheet name (or file name) to table. Empty sheets are left out.
    file_format : str
        What the bytes turned out to be: csv, xlsx, xls, xlsb, ods or parquet.
    notes : list[str]
        Things the user should know about how the file was read.
    """

    tables: dict[str, RawTable]
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)


def cell_filled(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def _is_label(value: object) -> bool:
    """A header cell is text that doesn't read as a number or a date."""
    if not isinstance(value, str) or not value.strip():
        return False
    stripped = value.strip()
    return not re.fullmatch(r"[-+(]?[\d.,\s%€$£¥)]+", stripped) and not re.fullmatch(
        r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}.*", stripped
    )


def find_header_row(top: pd.DataFrame) -> int:
    """Index (0-based) of the header row among the first rows of a grid.

    The header is the row with the most label cells, weighted towards words we know as column
    names, among rows at least half as wide as the widest; title rows above it are narrower.
    """
    filled = top.map(cell_filled)
    width = int(filled.sum(axis=1).max()) if len(top) else 0
    best, best_score = 0, -1.0
    for i in range(len(top)):
        values = top.iloc[i].tolist()
        labels = sum(_is_label(v) for v in values)
        if labels < min(2, width) or filled.iloc[i].sum() < width / 2:
            continue
        score = labels + 3 * header_keyword_hits([str(v) for v in values if cell_filled(v)])
        if score > best_score:
            best, best_score = i, score
    return best


def unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        name = " ".join(str(raw).split()) or f"column_{i + 1}"
        if len(name) > MAX_HEADER_CHARS:
            name = name[: MAX_HEADER_CHARS - 1] + "…"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def long_header_notes(names: list[str]) -> tuple[str, ...]:
    """A note when some column names were cut to :data:`MAX_HEADER_CHARS`."""
    n = sum(len(" ".join(str(raw).split())) > MAX_HEADER_CHARS for raw in names)
    if not n:
        return ()
    one = N_("{n} column name longer than {limit} characters was shortened (ending in '…'). If this is not the header row, choose the right one.")  # fmt: skip
    more = N_("{n} column names longer than {limit} characters were shortened (ending in '…'). If this is not the header row, choose the right one.")  # fmt: skip
    return (Message(one if n == 1 else more, n=n, limit=str(MAX_HEADER_CHARS)),)


def header_found_notes(header_idx: int) -> tuple[str, ...]:
    """A note when the header is not in the first row: the rows above it were skipped."""
    if not header_idx:
        return ()
    return (
        Message(
            N_("Found the header in row {row}; the {n} row(s) above it were skipped as titles."),
            row=str(header_idx + 1),
            n=str(header_idx),
        ),
    )


def table_from_grid(
    grid: pd.DataFrame,
    name: str,
    header_row: int | None,
    formulas: set[tuple[int, int]] | None = None,
) -> RawTable:
    """Cut a grid into header + data rows, dropping columns that are empty all the way down.

    ``formulas`` are the grid cells (row, column; 0-based) holding formulas without results.
    """
    header_idx = header_row - 1 if header_row else find_header_row(grid.head(HEADER_SEARCH_ROWS))
    header = ["" if not cell_filled(v) else str(v) for v in grid.iloc[header_idx].tolist()]
    body = grid.iloc[header_idx + 1 :]
    keep = [j for j, h in enumerate(header) if h or column_has_values(body.iloc[:, j])]
    body = body.iloc[:, keep].reset_index(drop=True)
    body.columns = unique_names([header[j] for j in keep])
    notes = long_header_notes([header[j] for j in keep]) + header_found_notes(header_idx)
    source_rows = np.arange(header_idx + 2, header_idx + 2 + len(body))
    formula_cells: dict[str, list[int]] = {}
    position = {j: k for k, j in enumerate(keep)}
    for row, col in sorted(formulas or ()):
        if row > header_idx and col in position and row - header_idx - 1 < len(body):
            formula_cells.setdefault(body.columns[position[col]], []).append(row - header_idx - 1)
    cells = {column: np.array(rows) for column, rows in formula_cells.items()}
    return RawTable(body, source_rows, header_idx + 1, name, notes, formula_cells=cells)


def column_has_values(column: pd.Series) -> bool:
    if column.dtype == object or isinstance(column.dtype, pd.CategoricalDtype):
        codes, uniques = factorize_column(column)
        used = np.unique(codes[codes >= 0])
        return any(cell_filled(uniques[i]) for i in used)
    return bool(column.notna().any())
