"""Retention benchmark: our vectorised cohort matrices and churn analysis against the naive way.

Run: python3 bench/bench_retention.py [--rows 1000000]

Measures, side by side in one run on the same generated demo transactions:
- cohort matrices (customer retention, net revenue retention, cumulative revenue per customer):
  cvm_core.analyses.retention.cohorts.cohort_tables (one pass, bincount) vs a loop over cohorts with pandas groupby;
- gaps between purchases: ours (one sort of (customer, day) keys) vs groupby + diff;
- Kaplan-Meier: lifelines on (duration, event) counts with weights vs one row per customer;
- the whole page analysis (cvm_core.analyses.retention.churn.analyse_retention), once, for the budget, and a
  quick settings change (revise_retention: valuable share and discount rate), the page's second
  cache stage.
Both sides of each pair are checked to give the same numbers before their times are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifelines import KaplanMeierFitter  # noqa: E402

from cvm_core.analyses.retention import analysis as retention_analysis
from cvm_core.analyses.retention import gaps as retention_gaps
from cvm_core.analyses.retention import lists as retention_lists
from cvm_core.analyses.retention import survival
from cvm_core.analyses.retention.cohorts import cohort_tables  # noqa: E402
from cvm_core.intake import demo  # noqa: E402
from cvm_core.intake.dataset import build_dataset, guess_sheet_roles  # noqa: E402
from cvm_core.intake.io import RawTable, Workbook  # noqa: E402
from cvm_core.intake.summary import customer_summary  # noqa: E402

ROWS_PER_CUSTOMER = 22  # under the demo generator's ~24 a customer, so about --rows are kept


def dataset(rows: int):
    tables = demo.generate_demo_tables(n_customers=max(rows // ROWS_PER_CUSTOMER, 50), seed=11)
    tx = tables["Transactions"]
    # Whole customers, in order, up to `rows` rows: every kept customer keeps their full history
    # and the data still spans the generator's three years (cutting rows would cut the dates).
    per_customer = tx.groupby("Customer ID", sort=False).size().cumsum()
    kept = per_customer.index[per_customer <= rows]
    tables["Transactions"] = tx[tx["Customer ID"].isin(kept)]
    workbook = Workbook(
        {n: RawTable(f, np.arange(2, len(f) + 2), 1, n) for n, f in tables.items()}, "xlsx"
    )
    return build_dataset(workbook, guess_sheet_roles(workbook), name="bench")


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def naive_cohorts(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Per-cohort loop: filter the cohort's transactions, group by months since acquisition."""
    tx = tx[tx["date"] <= end]
    purchases = tx[~tx["is_return"]]
    first = purchases.groupby("customer_id")["date"].min().dt.to_period("M")
    month = tx["date"].dt.to_period("M")
    cohort_of = tx["customer_id"].map(first)
    last_complete = (end + pd.Timedelta(days=1)).to_period("M") - 1
    rows = {}
    for cohort, members in first.groupby(first):
        rows_of_cohort = cohort_of == cohort
        part = tx[rows_of_cohort]
        age = (month[rows_of_cohort].astype("int64") - cohort.ordinal).to_numpy()
        bought = part[~part["is_return"]]
        active = bought.groupby(age[~part["is_return"].to_numpy()])["customer_id"].nunique()
        revenue = part.groupby(age)["revenue"].sum()
        n_ages = (last_complete - first.min()).n + 1
        observed = [a == 0 or cohort + a <= last_complete for a in range(n_ages)]
        rows[cohort] = {
            "retention": [
                active.get(a, 0) / len(members) if observed[a] else np.nan for a in range(n_ages)
            ],
            "revenue": [revenue.get(a, 0.0) if observed[a] else np.nan for a in range(n_ages)],
        }
    return pd.DataFrame({c: r["retention"] for c, r in rows.items()}).T


def naive_gaps(tx: pd.DataFrame) -> np.ndarray:
    days = tx.loc[~tx["is_return"], ["customer_id", "date"]].drop_duplicates()
    days = days.sort_values(["customer_id", "date"])
    return days.groupby("customer_id")["date"].diff().dropna().dt.days.to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    data = dataset(rows)
    tx, end = data.transactions, data.observation_end
    summary = customer_summary(tx, "week", end)
    print(
        f"{len(tx):,} transactions, {len(summary):,} customers, {tx['date'].min():%Y-%m-%d} to {end:%Y-%m-%d}\n"
    )
    results: list[tuple[str, float, float]] = []

    ours_t, ours = timed(lambda: cohort_tables(tx, summary, "month", end), repeat=3)
    naive_t, naive = timed(lambda: naive_cohorts(tx, end))
    np.testing.assert_allclose(
        ours.customer_retention.to_numpy(), naive.to_numpy(float), equal_nan=True
    )
    results.append(("cohort matrices, monthly (ours vs loop over cohorts)", ours_t, naive_t))

    ours_t, gaps = timed(lambda: retention_gaps.inter_purchase_gaps(tx, end), repeat=3)
    naive_t, slow_gaps = timed(lambda: naive_gaps(tx))
    assert np.array_equal(np.sort(gaps), np.sort(slow_gaps))
    results.append(("gaps between purchases (ours vs groupby diff)", ours_t, naive_t))

    status = retention_gaps.churn_status(
        summary,
        retention_gaps.ChurnRule(retention_gaps.gap_profile(tx, end).suggested_window_days),
        end,
    )
    ours_t, kmf = timed(
        lambda: survival.fit_kaplan_meier(status["lifetime_days"], status["event"]), repeat=3
    )
    raw = KaplanMeierFitter()
    naive_t, _ = timed(lambda: raw.fit(status["lifetime_days"], status["event"]))
    np.testing.assert_allclose(kmf.survival_function_.to_numpy(), raw.survival_function_.to_numpy())
    results.append(("Kaplan-Meier (counts + weights vs one row per customer)", ours_t, naive_t))

    rng = np.random.default_rng(5)  # a million customers' lifetimes: where counts pay off
    many = pd.DataFrame(
        {"d": rng.integers(0, 1100, 1_000_000).astype(float), "e": rng.random(1_000_000) < 0.7}
    )
    ours_t, kmf = timed(lambda: survival.fit_kaplan_meier(many["d"], many["e"]), repeat=3)
    naive_t, _ = timed(lambda: raw.fit(many["d"], many["e"]))
    np.testing.assert_allclose(kmf.survival_function_.to_numpy(), raw.survival_function_.to_numpy())
    results.append(("Kaplan-Meier, 1,000,000 synthetic customers", ours_t, naive_t))

    window = retention_gaps.gap_profile(tx, end).suggested_window_days
    settings = retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(window))
    whole_t, _ = timed(
        lambda: retention_analysis.analyse_retention(
            tx, summary, settings, data.customers, None, end
        )
    )

    result = retention_analysis.analyse_retention(tx, summary, settings, data.customers, None, end)
    quick = retention_analysis.RetentionSettings(
        rule=retention_gaps.ChurnRule(window),
        lists=retention_lists.ListSettings(top_share=0.3),
        discount_rate=0.12,
    )
    revise_t, _ = timed(
        lambda: retention_analysis.revise_retention(result, summary, quick, data.customers), 3
    )

    width = max(len(r[0]) for r in results)
    print(f"{'step':<{width}}  {'ours (s)':>9}  {'naive (s)':>9}  {'speed-up':>8}")
    for label, ours_s, naive_s in results:
        print(f"{label:<{width}}  {ours_s:>9.3f}  {naive_s:>9.3f}  {naive_s / ours_s:>7.1f}x")
    print(f"\nwhole Retention analysis (analyse_retention, {len(tx):,} rows): {whole_t:.2f} s")
    print(f"quick setting change (revise_retention: lists + discount rate): {revise_t:.3f} s")


if __name__ == "__main__":
    main()
