"""Beyond memory: the Retention analysis from a Parquet file, in pandas against DuckDB.

Run: python3 bench/bench_engines.py [--sizes 1000000 10000000] [--memory-limit 1GB] [--spark]

For each size, one canonical Parquet file of demo transactions (cached under /tmp/cvm_bench/)
and the same command run three ways in fresh processes, wall time and peak memory (RSS) each:

- naive: ``retention FILE --engine pandas``: the file through the app's intake into pandas, then
  the analysis on the transaction rows (what the app does with an upload today);
- ours: ``retention FILE --engine duckdb``: the customer summary and the five aggregations the
  analysis needs run in DuckDB over the file; pandas holds per-customer tables only;
- optionally ``--engine spark`` (local mode; needs Java).

The printed JSON of every run must be identical apart from the engine's name, or the benchmark
stops: a faster wrong answer is no result. Then each aggregation alone, timed in DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path("/tmp/cvm_bench")
ROWS_PER_CUSTOMER = 23.6  # the demo generator's average over its three years
CHUNK_CUSTOMERS = 100_000
END = "2024-06-30"
CANONICAL = {
    "Order ID": "order_id", "Order Date": "date", "Customer ID": "customer_id",
    "Product": "product", "Category": "category", "Channel": "channel", "Quantity": "quantity",
    "Revenue": "revenue", "Cost of Goods": "cost",
}  # fmt: skip


def parquet_path(rows: int) -> Path:
    """Canonical transactions (the columns the engines read), about ``rows`` rows, cached."""
    path = CACHE / f"canonical_{rows}.parquet"
    if path.exists():
        return path
    from cvm_core.intake import demo

    CACHE.mkdir(parents=True, exist_ok=True)
    customers = max(round(rows / ROWS_PER_CUSTOMER), 50)
    partial, writer = path.with_suffix(".part"), None
    for k, first in enumerate(range(0, customers, CHUNK_CUSTOMERS)):
        n = min(CHUNK_CUSTOMERS, customers - first)
        tx = demo.generate_demo_tables(n_customers=n, seed=11 + k, pipeline=False)["Transactions"]
        tx = tx[list(CANONICAL)].rename(columns=CANONICAL)
        for column in ("customer_id", "order_id"):  # each chunk numbers from 1: keep them apart
            tx[column] = f"K{k}-" + tx[column].astype(str)
        tx["is_return"] = tx["revenue"] < 0
        table = pa.Table.from_pandas(tx, preserve_index=False).cast(
            pa.schema([f.with_type(pa.timestamp("us")) if f.name == "date" else f
                       for f in pa.Table.from_pandas(tx, preserve_index=False).schema])
        )  # fmt: skip
        writer = writer or pq.ParquetWriter(partial, table.schema)
        writer.write_table(table)
    writer.close()
    partial.rename(path)
    return path


def run_command(path: Path, engine: str, memory_limit: str) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS in MB and the printed JSON of one retention command."""
    argv = [sys.executable, "-m", "cvm_core", "retention", str(path), "--json",
            "--observation-end", END, "--engine", engine, "--memory-limit", memory_limit]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{engine} failed:\n{done.stderr[-2000:]}")
    peak_kb = float(done.stderr.strip().splitlines()[-1])
    return wall, peak_kb / 1024, json.loads(done.stdout)


def time_aggregations(path: Path, memory_limit: str) -> list[tuple[str, float, int]]:
    from cvm_core.intake import aggregations

    options = {
        "cohort_cells": {"period": "month"},
        "period_activity": {"frequency": "Q"},
        "item_first_periods": {"frequency": "Q"},
        "activity_spells": {"window_days": 120},
        "holdout_days": {"calibration_end": "2023-06-30"},
        "repeat_days": {"calibration_end": "2023-06-30"},
    }
    out = []
    for name in aggregations.TABLES:
        started = time.perf_counter()
        table = aggregations.aggregate(
            path, name, "duckdb", END, memory_limit=memory_limit, **options.get(name, {})
        )
        out.append((name, time.perf_counter() - started, len(table)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's cap")
    parser.add_argument("--spark", action="store_true", help="also run the Spark engine")
    args = parser.parse_args()
    engines = ["pandas", "duckdb", *(["spark"] if args.spark else [])]
    print(f"load average before: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}\n")
    print("| rows | file (MB) | engine | wall (s) | peak RSS (MB) | speed-up | memory |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for size in args.sizes:
        path = parquet_path(size)
        rows = pq.ParquetFile(path).metadata.num_rows
        results = {e: run_command(path, e, args.memory_limit) for e in engines}
        reference = dict(results["pandas"][2], engine=None)
        for engine, (_wall, _peak, printed) in results.items():
            if dict(printed, engine=None) != reference:
                raise SystemExit(f"{engine} printed another result than pandas at {rows:,} rows")
        base_wall, base_peak = results["pandas"][:2]
        for engine, (wall, peak, _printed) in results.items():
            # Spark's work runs in a JVM that /usr/bin/time does not see: its peak is the driver's.
            memory = "(JVM not counted)" if engine == "spark" else f"{base_peak / peak:.1f}x less"
            print(
                f"| {rows:,} | {path.stat().st_size / 1e6:.0f} | {engine} | {wall:.2f} | "
                f"{peak:,.0f} | {base_wall / wall:.1f}x | {memory} |"
            )
    print("\nEach aggregation alone in DuckDB (largest size), in this process:\n")
    print("| table | seconds | rows returned |")
    print("|---|---:|---:|")
    for name, seconds, count in time_aggregations(parquet_path(args.sizes[-1]), args.memory_limit):
        print(f"| {name} | {seconds:.2f} | {count:,} |")


if __name__ == "__main__":
    main()
