"""Writing the demo tables as an Excel workbook that reads like a real export (dates, widths)."""

from __future__ import annotations

import functools
import threading
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cvm_core.intake.demo import generate_demo_tables

DEMO_WORKBOOK_PATH = Path(__file__).resolve().parents[2] / "data" / "demo_retail.xlsx"


_DEMO_LOCK = threading.Lock()


def demo_dataset():
    """The committed demo workbook read through the upload pipeline, once per process: the app's
    demo button, its ``--demo`` start and scripts/serve.py's warm-up (which reads it while the
    server starts, ~2 s a first visitor no longer waits for) share this one frozen Dataset. A
    session asking while the warm-up reads waits for that read instead of starting a second."""
    with _DEMO_LOCK:
        return _read_demo()


@functools.cache
def _read_demo():
    from cvm_core.intake.dataset import load_file  # dataset's own imports stay off this module

    return load_file(DEMO_WORKBOOK_PATH.read_bytes(), DEMO_WORKBOOK_PATH.name)


# ---------------------------------------------------------------------------------------------
# Excel output
# ---------------------------------------------------------------------------------------------

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's 1900 date system
_EXCEL_MAX_ROWS = 1_048_576


def _column_width(header: str, values: pd.Series) -> float:
    """A width that fits the header and typical values, capped so one long name can't dominate."""
    sample = values.iloc[:2000]
    if pd.api.types.is_datetime64_any_dtype(values):
        longest = 10
    elif pd.api.types.is_float_dtype(values):
        longest = len(f"{sample.abs().max():,.2f}") + 1 if sample.size else 4
    else:
        longest = int(sample.astype(str).str.len().max()) if sample.size else 4
    return float(min(max(len(header), longest) + 2, 40))


def _write_sheet(workbook, name: str, frame: pd.DataFrame, formats: dict) -> None:
    """Write one frame column by column with typed cells (numbers, dates, strings)."""
    if len(frame) + 1 > _EXCEL_MAX_ROWS:
        raise ValueError(
            f"Sheet '{name}' has {len(frame):,} rows; Excel allows at most "
            f"{_EXCEL_MAX_ROWS - 1:,}. Generate fewer customers or write a CSV instead."
        )
    sheet = workbook.add_worksheet(name)
    for c, header in enumerate(frame.columns):
        sheet.write_string(0, c, str(header), formats["header"])
        sheet.set_column(c, c, _column_width(str(header), frame[header]))
    # Shared strings are numbered in order of first use: writing the columns with few distinct
    # values first gives their millions of cells short index numbers, a smaller file.
    order = sorted(range(frame.shape[1]), key=lambda c: frame.iloc[:, c].nunique())
    for c in order:
        _write_column(sheet, c, frame.iloc[:, c], formats)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)


def _write_column(sheet, c: int, values: pd.Series, formats: dict) -> None:
    """Cells of one column; dates go out as Excel serial numbers, which is much faster."""
    if pd.api.types.is_datetime64_any_dtype(values):
        days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        cells, write, fmt = (days - _EXCEL_EPOCH).astype(float), sheet.write_number, formats["date"]
        missing = values.isna().to_numpy()
    elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        cells, write, fmt = values.astype(float).to_numpy(), sheet.write_number, None
        missing = values.isna().to_numpy()
    elif pd.api.types.is_float_dtype(values):
        cells, write, fmt = values.to_numpy(), sheet.write_number, formats["money"]
        missing = ~np.isfinite(cells)
    else:
        # write_string never turns text into a formula, so '=...' cells stay harmless text.
        cells, write, fmt = values.astype(str).to_numpy(), sheet.write_string, None
        missing = values.isna().to_numpy()
    for r, (value, skip) in enumerate(zip(cells.tolist(), missing.tolist(), strict=True), 1):
        if not skip:
            write(r, c, value, fmt)


def write_demo_workbook(
    path: str | Path,
    tables: dict[str, pd.DataFrame] | None = None,
    **kwargs,
) -> Path:
    """Write the demo tables to an Excel workbook, one sheet per table.

    Parameters
    ----------
    path : str or pathlib.Path
        Where to write the ``.xlsx`` file (``DEMO_WORKBOOK_PATH`` for the committed demo);
        missing folders are created and an existing file is replaced.
    tables : dict[str, pandas.DataFrame], optional
        Sheet name -> table, e.g. the result of :func:`generate_demo_tables`. When omitted the
        tables are generated with ``**kwargs``.
    **kwargs
        Passed to :func:`generate_demo_tables` when ``tables`` is omitted.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If both ``tables`` and generator arguments are given.
    ValueError
        If a table has more rows than an Excel sheet can hold.

    Notes
    -----
    Dates are real Excel dates (``yyyy-mm-dd``), money columns (floats) use a two-decimal
    format, the header row is bold, frozen and filterable. Written with xlsxwriter, which is
    several times faster than openpyxl and compresses well (4,000 customers take a few MB).
    """
    import xlsxwriter  # only needed here; keeps importing the module cheap

    if tables is not None and kwargs:
        raise TypeError("Pass either tables or generator arguments, not both.")
    if tables is None:
        tables = generate_demo_tables(**kwargs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as workbook:
        # A fixed creation time makes the file byte-for-byte reproducible (no noise in git).
        workbook.set_properties({"created": datetime(2025, 1, 1)})
        formats = {
            "header": workbook.add_format({"bold": True, "bottom": 1}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
        }
        for name, frame in tables.items():
            _write_sheet(workbook, name, frame, formats)
    return path
