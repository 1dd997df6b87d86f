"""The command line as a user runs it: cold processes, ours and the naive lifetimes script side by side.

    python3 bench/bench_cli.py                 # ~700k transactions (generated once into /tmp)
    python3 bench/bench_cli.py --rows 100000

Each figure is the wall time of a fresh ``python`` process, imports included, because that is
what a user waits for:
- ``--help``: the parser alone (only the command table is imported);
- ``clv`` on a small file (the demo workbook's first 2,000 customers as CSV);
- ``clv`` end to end on the big CSV against the naive pipeline a data scientist would write:
  pandas.read_csv, lifetimes' summary_data_from_transaction_data, BetaGeoFitter, GammaGamma,
  customer_lifetime_value. Ours also validates every row, fits on a calibration period, checks
  the holdout, compares three models (Auto picks one) and deducts cost-to-serve; the same
  command limited to the naive script's scope (:data:`NAIVE_SCOPE`) is timed too;
- the floor under any such command (:data:`FLOOR`): imports, an Arrow read, one group-by.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

NAIVE = """
import sys
import pandas as pd
import lifetimes
from lifetimes.utils import summary_data_from_transaction_data

frame = pd.read_csv(sys.argv[1])
frame["Order Date"] = pd.to_datetime(frame["Order Date"], format="mixed")
end = frame["Order Date"].max()
summ = summary_data_from_transaction_data(
    frame, "Customer ID", "Order Date", "Revenue", observation_period_end=end,
    freq="D", freq_multiplier=7,
)
bgf = lifetimes.BetaGeoFitter().fit(summ["frequency"], summ["recency"], summ["T"])
repeat = summ[(summ["frequency"] > 0) & (summ["monetary_value"] > 0)]
ggf = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
value = ggf.customer_lifetime_value(
    bgf, summ["frequency"], summ["recency"], summ["T"], summ["monetary_value"],
    time=36, discount_rate=(1.10 ** (1 / 12)) - 1, freq="W",
)
print(len(value), float(value.sum()))
"""


FLOOR = """
import sys
import numpy, pandas, scipy.optimize, scipy.special
import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pacsv

table = pacsv.read_csv(sys.argv[1], convert_options=pacsv.ConvertOptions(
    include_columns=["Customer ID", "Order Date", "Revenue"],
    column_types={"Order Date": pa.date32()}))
days = pa.table({"c": table["Customer ID"], "d": pc.cast(table["Order Date"], pa.int32()),
                 "r": table["Revenue"]})
daily = days.group_by(["c", "d"]).aggregate([("r", "sum")])
per_customer = daily.group_by("c").aggregate([("d", "min"), ("d", "max"), ("d", "count")])
print(per_customer.num_rows)
"""
"""The floor under any CLV command in Python on this machine: the imports a fit needs, the three
columns read by pyarrow and one group-by per customer in Arrow. No validation, no fit, no value:
what is left of naive / 3 after it is all the rest may take."""


NAIVE_SCOPE = ["--model", "bgnbd", "--no-compare", "--gross-margin-only", "--no-ranges"]
"""Our command doing what the naive script does: BG/NBD alone, gross-margin CLV, no CLV ranges
(still with validation, a calibration period and the holdout check)."""


def timed(command: list[str], repeat: int) -> float:
    """Median wall seconds of ``repeat`` runs; a failing run stops the benchmark."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return statistics.median(times)


def small_csv(folder: Path) -> Path:
    """The demo transactions of the first 2,000 customers, as a CSV a user might export."""
    from cvm_core.intake import demo

    tx = demo.generate_demo_tables(n_customers=2_000, seed=5)["Transactions"]
    path = folder / "small.csv"
    tx.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=700_000, help="target transaction rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per small measurement")
    args = parser.parse_args()
    import bench_pipeline  # the cached CSV generator, shared with the pipeline benchmark

    big = bench_pipeline.csv_path(args.rows)
    python = [sys.executable, "-m", "cvm_core"]
    with tempfile.TemporaryDirectory() as folder:
        small = small_csv(Path(folder))
        rows = [
            ("--help (cold)", timed([*python, "--help"], args.repeat), None, 1.5),
            ("clv --help (cold)", timed([*python, "clv", "--help"], args.repeat), None, 1.5),
            ("clv on 2,000 customers", timed([*python, "clv", str(small), "--json"], args.repeat),
             timed([sys.executable, "-c", NAIVE, str(small)], args.repeat), None),
            ("clv on 2,000 customers, the naive script's scope",
             timed([*python, "clv", str(small), "--json", *NAIVE_SCOPE], args.repeat), None, None),
        ]  # fmt: skip
    naive = timed([sys.executable, "-c", NAIVE, str(big)], 1)
    rows.append((f"clv on {big.name}", timed([*python, "clv", str(big), "--json"], 1), naive, None))
    rows.append(
        (
            f"clv on {big.name}, the naive script's scope",
            timed([*python, "clv", str(big), "--json", *NAIVE_SCOPE], 1),
            naive,
            None,
        )
    )
    floor = timed([sys.executable, "-c", FLOOR, str(big)], args.repeat)
    rows.append((f"floor on {big.name}: imports, Arrow read, one group-by", floor, naive, None))
    print("\n| command | ours (s) | naive lifetimes script (s) | ratio | budget (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, ours, naive_s, budget in rows:
        ratio = f"{naive_s / ours:.1f}x" if naive_s else ""
        naive_text = f"{naive_s:.2f}" if naive_s else ""
        budget_text = f"{budget:.1f}" if budget else ""
        print(f"| {name} | {ours:.2f} | {naive_text} | {ratio} | {budget_text} |")


if __name__ == "__main__":
    main()
