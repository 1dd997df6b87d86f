"""Intake benchmark: our reader, validation and customer summary against the naive approach.

Run: python3 bench/bench_intake.py [--sizes 100000 1000000] [--xlsx-sizes 100000] [--repeat 2]

Measures, side by side in one run on the same files (made by the seeded demo generator):
- Reading xlsx: cvm_core.intake.io.read_workbook (python-calamine) vs pandas.read_excel (openpyxl).
- Reading CSV: cvm_core.intake.io.read_workbook (pyarrow, detection of encoding/delimiter/header) vs
  pandas.read_csv told the delimiter and decimal comma.
- The whole intake of the CSV: read + map + validate every row + customer summary (ours) vs
  pandas.read_csv + to_datetime(format="mixed") + lifetimes' summary_data_from_transaction_data.
- Peak memory of our whole intake, measured in a separate process (peak RSS, which includes
  pyarrow's buffers that tracemalloc cannot see), never inside a timed run.
Each timing is the best of --repeat runs (the machine is shared; the minimum is the least
disturbed). Budgets (DESIGN.md): xlsx >= 5x faster than pandas+openpyxl; 1M-row CSV to customer
summary <= 5 s; peak memory at 1M transactions <= 2 GB.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cvm_core.intake import demo  # noqa: E402
from cvm_core.intake.dataset import load_file  # noqa: E402
from cvm_core.intake.io import read_workbook  # noqa: E402
from cvm_core.intake.summary import customer_summary  # noqa: E402

OUT = ROOT / "bench" / "out"
ROWS_PER_CUSTOMER = 25  # the demo generator's average, to size the customer count
PIPELINE_BUDGET_S = 5.0
XLSX_SPEEDUP_BUDGET = 5.0
MEMORY_BUDGET_MB = 2048

Row = tuple[str, float, float | None]  # what, ours (s), naive (s)


def transactions(rows: int) -> pd.DataFrame:
    tables = demo.generate_demo_tables(n_customers=max(rows // ROWS_PER_CUSTOMER, 50), seed=11)
    frame = tables["Transactions"]
    while len(frame) < rows:  # the generator's row count varies around the target
        frame = pd.concat([frame, frame.head(rows - len(frame))], ignore_index=True)
    return frame.head(rows)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def german_csv(frame: pd.DataFrame) -> bytes:
    """The export a German Excel user makes: semicolons, decimal commas, day-first dates."""
    dated = frame.assign(**{"Order Date": frame["Order Date"].dt.strftime("%d.%m.%Y")})
    return dated.to_csv(index=False, sep=";", decimal=",").encode("utf-8")


def bench_xlsx(rows: int, repeat: int) -> list[Row]:
    frame = transactions(rows)
    path = OUT / f"transactions_{rows}.xlsx"
    if not path.exists():  # writing 1M rows takes minutes; keep the file between runs
        frame.to_excel(path, index=False, sheet_name="Transactions", engine="xlsxwriter")
    data = path.read_bytes()
    ours = best_of(repeat, lambda: read_workbook(data, "t.xlsx"))
    slow = 1 if rows > 200_000 else repeat  # openpyxl on 1M rows takes minutes: run it once
    naive = best_of(slow, lambda: pd.read_excel(io.BytesIO(data), engine="openpyxl"))
    return [(f"read xlsx, {rows:,} rows", ours, naive)]


def naive_pipeline(data: bytes) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    raw = pd.read_csv(io.BytesIO(data), sep=";", decimal=",")
    raw["Order Date"] = pd.to_datetime(raw["Order Date"], format="mixed", dayfirst=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return summary_data_from_transaction_data(
            raw, "Customer ID", "Order Date", "Revenue", freq="D"
        )


def our_pipeline(data: bytes) -> pd.DataFrame:
    dataset = load_file(data, "t.csv")
    return customer_summary(dataset.transactions, "week")


def bench_csv(rows: int, repeat: int) -> list[Row]:
    data = german_csv(transactions(rows))
    (OUT / f"transactions_{rows}.csv").write_bytes(data)
    read_ours = best_of(repeat, lambda: read_workbook(data, "t.csv"))
    read_naive = best_of(repeat, lambda: pd.read_csv(io.BytesIO(data), sep=";", decimal=","))
    whole_ours = best_of(repeat, lambda: our_pipeline(data))
    whole_naive = best_of(1, lambda: naive_pipeline(data))
    return [
        (f"read csv, {rows:,} rows", read_ours, read_naive),
        (f"csv -> validated -> customer summary, {rows:,} rows", whole_ours, whole_naive),
    ]


_MEMORY_PROBE = """
import sys
sys.path.insert(0, {root!r})
from cvm_core.intake.dataset import load_file
from cvm_core.intake.summary import customer_summary


def peak_mb():
    # VmHWM: this process's own peak RSS. (ru_maxrss would also count the parent's memory,
    # which Linux carries over into a child started by fork + exec.)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


before = peak_mb()
data = open({path!r}, "rb").read()
customer_summary(load_file(data, "t.csv").transactions, "week")
print(before, peak_mb())
"""


def peak_memory_mb(rows: int) -> tuple[float, float]:
    """(MB after imports, peak MB) of a fresh process running our whole CSV intake."""
    code = _MEMORY_PROBE.format(root=str(ROOT), path=str(OUT / f"transactions_{rows}.csv"))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    baseline, peak = (float(v) for v in out.split())
    return baseline, peak


def print_table(rows: list[Row]) -> None:
    width = max(len(what) for what, _, _ in rows)
    print(f"| {'step':<{width}} | ours (s) | naive (s) | speed-up |")
    print(f"|{'-' * (width + 2)}|---------:|----------:|---------:|")
    for what, ours, naive in rows:
        ratio = f"{naive / ours:.1f}x" if naive else ""
        naive_text = f"{naive:.2f}" if naive else ""
        print(f"| {what:<{width}} | {ours:8.2f} | {naive_text:>9} | {ratio:>8} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--xlsx-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for size in args.xlsx_sizes:
        rows += bench_xlsx(size, args.repeat)
    for size in args.sizes:
        rows += bench_csv(size, args.repeat)
    print_table(rows)
    largest = max(args.sizes)
    whole = next(r for r in rows if r[0].startswith("csv ->") and f"{largest:,}" in r[0])
    print(
        f"\nbudget: {largest:,}-row CSV to customer summary {whole[1]:.2f} s "
        f"(<= {PIPELINE_BUDGET_S:.0f} s: {'met' if whole[1] <= PIPELINE_BUDGET_S else 'MISSED'})"
    )
    for what, ours, naive in rows:
        if what.startswith("read xlsx"):
            ok = naive / ours >= XLSX_SPEEDUP_BUDGET
            print(
                f"budget: {what} {naive / ours:.1f}x faster than openpyxl "
                f"(>= {XLSX_SPEEDUP_BUDGET:.0f}x: {'met' if ok else 'MISSED'})"
            )
    baseline, peak = peak_memory_mb(largest)
    print(
        f"peak memory, {largest:,}-row CSV intake in a fresh process: {peak:,.0f} MB "
        f"({baseline:,.0f} MB of it imports; <= {MEMORY_BUDGET_MB:,} MB: "
        f"{'met' if peak <= MEMORY_BUDGET_MB else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
