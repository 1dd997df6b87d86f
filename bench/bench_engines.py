"""Beyond memory: the analyses of the six pages from a Parquet file, in pandas against DuckDB.

Run: python3 bench/bench_engines.py [--sizes 1000000 10000000] [--memory-limit 1GB] [--spark]

For each size, one canonical Parquet file of demo transactions (cached under /tmp/cvm_bench/).

1. Every page's analysis in one process, as the app server would run them (customer summary,
   Segments, Whale P&L, CLV fit and values, Retention, Scorecard at their defaults), seconds per
   stage and the process's peak RSS: pandas (the file through the app's intake into memory)
   against DuckDB (a FileSource: the rows stay on disk). Key figures of both must agree.
2. The ``retention`` command run three ways in fresh processes, wall time and peak RSS each:

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

from bench_pipeline import CACHE, demo_chunks  # noqa: E402 - the same generated demo data

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
    CACHE.mkdir(parents=True, exist_ok=True)
    partial, writer = path.with_suffix(".part"), None
    for chunk in demo_chunks(rows, pipeline=False):
        tx = chunk[list(CANONICAL)].rename(columns=CANONICAL)
        tx["date"] = tx["date"].astype("datetime64[us]")  # Spark cannot read nanoseconds
        tx["is_return"] = tx["revenue"] < 0
        table = pa.Table.from_pandas(tx, preserve_index=False)
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


def run_all(path: Path, engine: str, memory_limit: str) -> dict:
    """Every page's analysis at its defaults in this process: seconds per stage, key figures."""
    import resource

    from cvm_core.analyses.clv import run as clv_run
    from cvm_core.analyses.profitability import run as whale_run
    from cvm_core.analyses.retention import run as retention_run
    from cvm_core.analyses.scorecard import run as scorecard_run
    from cvm_core.analyses.scorecard.defaults import complete_models
    from cvm_core.analyses.scorecard.inputs import ModelInputs
    from cvm_core.analyses.segments import run as segments_run
    from cvm_core.cli.inputs import inputs_from_args

    seconds: dict[str, float] = {}

    def stage(name, fn):
        started = time.perf_counter()
        value = fn()
        seconds[name] = round(time.perf_counter() - started, 2)
        return value

    args = argparse.Namespace(
        file=path, engine=engine, map=[], memory_limit=memory_limit, unit="week",
        observation_end=END, sheet=None, date_order="auto",
    )  # fmt: skip
    _name, inputs = stage("read + customer summary", lambda: inputs_from_args(args))
    segments = stage("Segments", lambda: segments_run.run(inputs))
    whale = stage("Whale P&L + curve", lambda: whale_run.run(inputs))
    clv_settings = clv_run.CLVSettings(fit=clv_run.default_fit_settings(inputs))
    clv = stage("CLV fit + values", lambda: clv_run.run(inputs, clv_settings))
    retention = stage("Retention", lambda: retention_run.run(inputs))
    known = ModelInputs(
        pnl=whale.result.pnl, clv=clv.values.customers, segments=segments.membership["rfm_segment"],
        annual_retention=retention.annual_retention, active_share=retention.active.share,
    )  # fmt: skip
    models, _notes = complete_models(inputs, known)
    card = stage("Scorecard", lambda: scorecard_run.run(inputs, models=models))
    figures = {
        "customers": len(inputs.summary),
        "total profit": round(float(whale.result.pnl["profit"].sum()), 2),
        "future value": round(float(clv.values.customers["clv"].sum()), 0),
        "annual retention": round(float(retention.annual_retention), 4),
        "churned": int(retention.active.churned),
        "scorecard rows": len(card.table),
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "figures": figures, "peak_mb": round(peak)}


def all_in_one(path: Path, engine: str, memory_limit: str) -> dict:
    """:func:`run_all` in a fresh process (its own peak memory)."""
    code = (
        "import json, sys; sys.path.insert(0, 'bench'); import bench_engines as b; "
        f"print(json.dumps(b.run_all(b.Path({str(path)!r}), {engine!r}, {memory_limit!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{engine} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_all_in_one(sizes: list[int], memory_limit: str) -> None:
    print("Every page's analysis in one process (seconds; peak RSS in MB):\n")
    runs = {}
    for size in sizes:
        path = parquet_path(size)
        runs[size] = {e: all_in_one(path, e, memory_limit) for e in ("pandas", "duckdb")}
        pandas_figures, duckdb_figures = (runs[size][e]["figures"] for e in ("pandas", "duckdb"))
        print(f"{size:,} rows: {json.dumps(runs[size])}", file=sys.stderr, flush=True)
        # The CLV model is fitted by an optimiser: summaries equal to 1e-12 give a future value
        # equal to about 1e-5 (10M rows: 180,027,656 against 180,030,121). Counts must be equal.
        for key, value in pandas_figures.items():
            other = duckdb_figures[key]
            if abs(other - value) > 1e-4 * max(abs(value), 1):
                raise SystemExit(f"{key}: pandas {value} against DuckDB {other} at {size:,} rows")
    stages = list(runs[sizes[0]]["pandas"]["seconds"])
    head = " | ".join(f"{s:,} pandas | {s:,} DuckDB" for s in sizes)
    print(f"| stage | {head} |")
    print("|---|" + "---:|" * (2 * len(sizes)))
    for name in [*stages, "total", "peak RSS (MB)"]:
        cells = []
        for size in sizes:
            for engine in ("pandas", "duckdb"):
                run = runs[size][engine]
                value = (
                    run["peak_mb"] if name == "peak RSS (MB)"
                    else sum(run["seconds"].values()) if name == "total"
                    else run["seconds"][name]
                )  # fmt: skip
                cells.append(f"{value:,.0f}" if name == "peak RSS (MB)" else f"{value:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nKey figures (equal both ways):", json.dumps(runs[sizes[-1]]["duckdb"]["figures"]))
    print()


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
    print_all_in_one(args.sizes, args.memory_limit)
    print("The retention command in fresh processes:\n")
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
