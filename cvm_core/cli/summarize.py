"""`summarize`: write the customer summary to Parquet with pandas, DuckDB or Spark."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cvm_core.cli.inputs import add_engine_arguments, engine_columns, load_from_args
from cvm_core.intake import engines
from cvm_core.intake.summary import customer_summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path, help="Parquet file to write, e.g. summary.parquet.")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    if args.engine == "pandas":
        dataset = load_from_args(args)
        summary = customer_summary(dataset.transactions, args.unit, args.observation_end)
        summary.index = summary.index.astype(str)
    else:
        # DuckDB and Spark read canonical columns; --map ROLE=COLUMN names them when they differ.
        summary = engines.summarize(
            args.file,
            args.engine,
            args.unit,
            args.observation_end,
            columns=engine_columns(args.map),
            memory_limit=args.memory_limit,
        )
    seconds = time.perf_counter() - started
    engines.write_summary(
        summary,
        args.output,
        unit=args.unit,
        observation_end=args.observation_end,
        engine=args.engine,
        source=args.file.name,
    )
    return {
        "output": str(args.output),
        "engine": args.engine,
        "customers": len(summary),
        "net_revenue": round(float(summary["net_revenue"].sum()), 2),
        "seconds": round(seconds, 2),
    }
