"""Intake benchmark: our reader + validation + customer summary against the naive approach.

Run: python3 bench/bench_intake.py [--rows-csv 1000000] [--rows-xlsx 100000]

Measures, side by side in one run on the same files:
- Excel: cvm_core.io.read_workbook (python-calamine) vs pandas.read_excel (openpyxl), 100k rows.
- CSV, 1M rows: read + validate + customer summary (ours) vs pandas.read_csv with type inference,
  pd.to_datetime with format="mixed", and lifetimes' summary_data_from_transaction_data.
Budgets (DESIGN.md): Excel >= 5x faster than pandas+openpyxl; 1M-row CSV to summary <= 5 s.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cvm_core import demo  # noqa: E402
from cvm_core.dataset import load_file  # noqa: E402
from cvm_core.io import read_workbook  # noqa: E402
from cvm_core.summary import customer_summary  # noqa: E402

ROWS_PER_CUSTOMER = 25  # the demo generator's average, to size the customer count


def transactions(rows: int) -> pd.DataFrame:
    tables = demo.generate_demo_tables(n_customers=max(rows // ROWS_PER_CUSTOMER, 50), seed=11)
    return tables["Transactions"].head(rows)


def timed(label: str, fn, results: list[tuple[str, float]]):
    start = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - start))
    return value


def bench_excel(rows: int) -> list[tuple[str, float]]:
    frame = transactions(rows)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name="Transactions", engine="xlsxwriter")
    data = buffer.getvalue()
    results: list[tuple[str, float]] = []
    timed(
        f"xlsx {len(frame):,} rows: cvm_core.io.read_workbook (calamine)",
        lambda: read_workbook(data, "t.xlsx"),
        results,
    )
    timed(
        f"xlsx {len(frame):,} rows: pandas.read_excel (openpyxl)",
        lambda: pd.read_excel(io.BytesIO(data), engine="openpyxl"),
        results,
    )
    return results


def bench_csv(rows: int) -> list[tuple[str, float]]:
    frame = transactions(rows)
    frame = frame.assign(**{"Order Date": frame["Order Date"].dt.strftime("%d.%m.%Y")})
    data = frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8")
    results: list[tuple[str, float]] = []

    def ours():
        dataset = load_file(data, "t.csv")
        return customer_summary(dataset.transactions, "week")

    def naive():
        from lifetimes.utils import summary_data_from_transaction_data

        raw = pd.read_csv(io.BytesIO(data), sep=";", decimal=",")
        raw["Order Date"] = pd.to_datetime(raw["Order Date"], format="mixed", dayfirst=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return summary_data_from_transaction_data(
                raw, "Customer ID", "Order Date", "Revenue", freq="D"
            )

    tracemalloc.start()
    timed(f"csv {len(frame):,} rows: read + validate + summary (ours)", ours, results)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    timed(
        f"csv {len(frame):,} rows: read_csv + to_datetime(mixed) + lifetimes summary (naive)",
        naive,
        results,
    )
    print(f"peak traced memory (ours, csv): {peak / 1024**2:,.0f} MB")
    return results


def print_table(results: list[tuple[str, float]]) -> None:
    width = max(len(label) for label, _ in results)
    for label, seconds in results:
        print(f"{label:<{width}}  {seconds:8.2f} s")
    for i in range(0, len(results) - 1, 2):
        print(
            f"speed-up: {results[i + 1][1] / results[i][1]:.1f}x  ({results[i][0].split(':')[0]})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-xlsx", type=int, default=100_000)
    parser.add_argument("--rows-csv", type=int, default=1_000_000)
    args = parser.parse_args()
    results = bench_excel(args.rows_xlsx) + bench_csv(args.rows_csv)
    print_table(results)


if __name__ == "__main__":
    main()
