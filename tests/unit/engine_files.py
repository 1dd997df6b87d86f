"""What the engine tests share: the Spark case (skipped, and said so, without Java) and Parquet
files Spark can read."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

SPARK = pytest.param(
    "spark", marks=pytest.mark.skipif(not shutil.which("java"), reason="no Java for PySpark")
)


def write_parquet(frame: pd.DataFrame, path) -> str:
    """``frame`` as Parquet at ``path`` with microsecond timestamps (Spark cannot read pandas'
    default nanoseconds); returns the path as text."""
    frame.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    return str(path)


def demo_transactions(columns: list[str]) -> pd.DataFrame:
    """The demo workbook's transactions, through the app's own intake."""
    from cvm_core.intake.dataset import load_file
    from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH

    dataset = load_file(DEMO_WORKBOOK_PATH.read_bytes(), DEMO_WORKBOOK_PATH.name)
    return dataset.transactions[columns]


def parquet_and_csv(frame: pd.DataFrame, folder) -> dict[str, str]:
    """``frame`` written as tx.parquet and tx.csv in ``folder``: {"parquet": path, "csv": path}."""
    csv = folder / "tx.csv"
    frame.to_csv(csv, index=False)
    return {"parquet": write_parquet(frame, folder / "tx.parquet"), "csv": str(csv)}


def sorted_orders(table) -> pd.DataFrame:
    """An OrderTable's rows in one order (SQL returns orders in another sequence). Values are
    rounded first: sums in another order differ in the last bits, which would reorder equal ones."""
    frame = pd.DataFrame({"customer": table.customer, "value": table.value.round(6)})
    frame["channel"] = np.asarray(table.channels, dtype=object)[table.channel]
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)
