"""Pipeline benchmark: every stage behind the six pages, from a CSV, against the naive approach.

Run: python3 bench/bench_pipeline.py [--sizes 100000 1000000 10000000] [--naive-cap 180]

For each size a transactions CSV is generated once with the seeded demo generator
(cvm_core.intake.demo.generate_demo_tables, customers sized so the rows come close to the target, made in
chunks of customers with different seeds above 100,000 customers) and cached under
/tmp/cvm_bench/, never in the repository. Then, each in a fresh subprocess so that memory is
measured without anything left over from another size:

- ours: read (cvm_core.intake.io.read_workbook), validate (guess_sheet_roles + build_dataset), customer
  summary, the Upload page's overview and monthly activity, RFM scores, clustering, the Segments
  page's whole analysis, CLV fit (three models, holdout check, comparison, as the page does), CLV
  predict (values, tiers, what-if base), whale curve (P&L + curve + what-if base), gap profile,
  cohorts, survival (churn status + Kaplan-Meier), the Retention page's whole analysis, scorecard
  and deck export (python-pptx with four charts rendered to PNG and the scorecard table).
  Peak memory per stage is the process's peak resident set size during that stage (the kernel's
  high-water mark, VmHWM, is reset before each stage by writing 5 to /proc/self/clear_refs), so
  it includes pyarrow's and numpy's buffers and the data held from earlier stages.
- naive: pandas.read_csv + pd.to_datetime(format="mixed"); lifetimes'
  summary_data_from_transaction_data; BetaGeoFitter + GammaGammaFitter fitted on every customer,
  then conditional_probability_alive + customer_lifetime_value. A naive stage whose time,
  extrapolated linearly from the previous size, exceeds --naive-cap seconds is skipped.
- xlsx (sizes up to --xlsx-max): read_workbook (calamine) against pandas.read_excel (openpyxl).

Each of our stages runs --repeat times up to 1M rows (once above) and the fastest run is shown,
with its CPU time (process_time: all threads, so it can exceed the wall time; on a loaded shared
machine it is closer to what a lone server would need than the wall time). Naive stages run once.
The total
"behind all six pages" adds read, validate, summary, Upload extras, the Segments page, CLV fit +
predict, whale curve, gap profile, the Retention page and the scorecard: every number a user sees
after visiting each page once with default settings (the deck is a download and listed apart).
At the largest size up to 1M, the slowest stages are re-run under cProfile (after the timed run).
Budgets (DESIGN.md, issue 8): all six pages from a 1M-row CSV < 10 s; peak memory < 2 GB; no chart
payload > 1 MB.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path("/tmp/cvm_bench")
ROWS_PER_CUSTOMER = 23.6  # the demo generator's measured average over its three years
CHUNK_CUSTOMERS = 100_000  # customers per generator call (memory; different seed each)
TOTAL_BUDGET_S = 10.0
MEMORY_BUDGET_MB = 2048
CHART_BUDGET_BYTES = 1_000_000
CURRENCY = "EUR"

# Stages that make up "everything behind all six pages" (the others are parts of these or extras)
PAGE_STAGES = (
    "read CSV",
    "validate",
    "customer summary",
    "Upload page: overview + monthly activity",
    "Segments page (RFM + clusters + contribution + cross-sell)",
    "CLV fit (3 models, holdout, comparison)",
    "CLV predict (values, tiers, what-if base)",
    "whale curve (P&L + curve + what-if base)",
    "Retention: gap profile",
    "Retention page (cohorts, churn, survival, tenure, lists)",
    "scorecard",
)
SLIDERS = (
    "what-if slider move, CLV page (project + chart spec)",
    "what-if slider move, Whale page (apply_scenario + 2 chart specs)",
)
SLIDER_BUDGET_S = 0.200
PARTS = {  # stages timed on their own that also run inside a page's analysis (not added twice)
    "  RFM scores": "Segments page",
    "  clustering": "Segments page",
    "  cohorts": "Retention page",
    "  survival (churn status + Kaplan-Meier)": "Retention page",
}


# --- data ----------------------------------------------------------------------------------------


def demo_customers(rows: int) -> int:
    """Customers the demo generator needs for about ``rows`` transaction rows."""
    return max(round(rows / ROWS_PER_CUSTOMER), 50)


def demo_chunks(rows: int, pipeline: bool = True) -> Iterator[pd.DataFrame]:
    """The demo generator's Transactions sheet for about ``rows`` rows, generated in chunks of
    :data:`CHUNK_CUSTOMERS` customers (a seed each, to bound memory)."""
    from cvm_core.intake import demo

    customers = demo_customers(rows)
    for k, first in enumerate(range(0, customers, CHUNK_CUSTOMERS)):
        n = min(CHUNK_CUSTOMERS, customers - first)
        tx = demo.generate_demo_tables(n_customers=n, seed=11 + k, pipeline=pipeline)
        tx = tx["Transactions"]
        if k:  # each chunk numbers its customers and orders from 1: keep them apart
            for column in ("Customer ID", "Order ID"):
                tx[column] = f"K{k}-" + tx[column].astype(str)
        yield tx


def csv_path(rows: int) -> Path:
    """The cached CSV for ``rows`` target rows, generated on first use."""
    path = CACHE / f"transactions_{rows}.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    start = time.perf_counter()
    with partial.open("w", encoding="utf-8", newline="") as out:
        for k, tx in enumerate(demo_chunks(rows)):
            tx.to_csv(out, index=False, header=k == 0, date_format="%Y-%m-%d")
    partial.rename(path)
    print(
        f"generated {path} ({demo_customers(rows):,} customers) in "
        f"{time.perf_counter() - start:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return path


def xlsx_path(rows: int) -> Path:
    """The same transactions as an .xlsx workbook (xlsxwriter), cached."""
    path = CACHE / f"transactions_{rows}.xlsx"
    if not path.exists():
        frame = pd.read_csv(csv_path(rows), parse_dates=["Order Date"])
        frame.to_excel(path, index=False, sheet_name="Transactions", engine="xlsxwriter")
    return path


# --- measuring -----------------------------------------------------------------------------------


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Recorder:
    """Runs stages, timing each and recording the process's peak memory during it."""

    def __init__(self, repeat: int = 1) -> None:
        self.ctx: dict[str, object] = {}
        self.stages: dict[str, Callable[[], object]] = {}
        self.times: dict[str, float] = {}
        self.repeat = repeat
        if not _reset_peak():
            raise SystemExit("needs Linux's /proc/self/clear_refs to measure peak memory per stage")

    def run(self, name: str, fn: Callable[[], object], key: str | None = None) -> object:
        """Time ``fn`` (best of ``self.repeat`` runs, wall and CPU); peak memory of the first."""
        self.stages[name] = fn
        walls, cpus, peak, value = [], [], 0.0, None
        for attempt in range(self.repeat):
            value = None  # drop the previous result first: two copies would inflate the peak
            _reset_peak()
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                value = fn()
            except Exception as error:  # report and go on: one broken stage must not hide the rest
                emit(stage=name, error=f"{type(error).__name__}: {error}")
                return None
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - start_cpu)
            if attempt == 0:
                peak = _peak_mb()
        self.times[name] = min(walls)
        emit(stage=name, seconds=min(walls), cpu=min(cpus), peak_mb=peak)
        if key:
            self.ctx[key] = value
        return value

    def profile(self, names: list[str], out: Path, top: int = 14) -> None:
        """Re-run ``names`` under cProfile (after the timed run) and keep the hot spots."""
        for name in names:
            profiler = cProfile.Profile()
            profiler.runcall(self.stages[name])
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text).strip_dirs()
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
            safe = "".join(c if c.isalnum() else "_" for c in name.strip())[:40]
            path = out / f"profile_{safe}.txt"
            path.write_text(text.getvalue())
            lines = text.getvalue().splitlines()
            heads = [i for i, line in enumerate(lines) if "ncalls" in line]
            top = (
                lines[heads[0] : heads[0] + 11]
                + ["   (by own time)"]
                + lines[heads[1] + 1 : heads[1] + 8]
            )
            emit(profile=name, path=str(path), top="\n".join(top))


def emit(**record: object) -> None:
    """One JSON line to the parent process."""
    print(json.dumps(record, default=str), flush=True)


# --- ours ----------------------------------------------------------------------------------------


def run_ours(path: Path, profile: int, repeat: int, named: tuple[str, ...] = ()) -> None:
    from cvm_core.analyses.clv import fit as clv
    from cvm_core.analyses.clv import holdout as clv_holdout
    from cvm_core.analyses.clv import scenario
    from cvm_core.analyses.clv import values as clv_values
    from cvm_core.analyses.profitability import analysis as profitability_analysis
    from cvm_core.analyses.retention import analysis as retention_analysis
    from cvm_core.analyses.retention import cohorts
    from cvm_core.analyses.retention import gaps as retention_gaps
    from cvm_core.analyses.retention import survival as retention_survival
    from cvm_core.analyses.scorecard import build as scorecard_build
    from cvm_core.analyses.scorecard import inputs as scorecard_inputs
    from cvm_core.analyses.segments import analysis as segments_analysis
    from cvm_core.analyses.segments import clustering as segments_clustering
    from cvm_core.analyses.segments import defaults
    from cvm_core.analyses.segments import rfm as segments
    from cvm_core.analyses.sources import FrameSource
    from cvm_core.intake import io as cvm_io
    from cvm_core.intake import summary
    from cvm_core.intake.dataset import build_dataset, guess_sheet_roles
    from cvm_core.intake.io import read_workbook

    rec = Recorder(repeat)
    data = path.read_bytes()
    if len(data) > cvm_io.MAX_FILE_BYTES:  # the app refuses such uploads; measure the core anyway
        emit(note=f"{path.name} is {len(data) / 1024**2:,.0f} MB, over the app's upload limit of "
             f"{cvm_io.MAX_FILE_BYTES / 1024**2:,.0f} MB: limit raised for this benchmark only")  # fmt: skip
        cvm_io.MAX_FILE_BYTES = len(data) + 1
    emit(baseline_mb=_peak_mb())
    held = {"book": rec.run("read CSV", lambda: read_workbook(data, path.name))}

    def validate():
        # The raw table is dropped after validation (as the app does); a profiling re-run reads it.
        book = held["book"] if held["book"] is not None else read_workbook(data, path.name)
        digest = hashlib.sha256(data).hexdigest()[:16]
        return build_dataset(book, guess_sheet_roles(book), name=path.name, fingerprint=digest)

    ds = rec.run("validate", validate)
    held["book"] = None
    if ds is None:
        return
    tx, end = ds.transactions, ds.observation_end
    emit(rows=len(tx), rejected=len(getattr(ds, "rejected", ()) or ()))
    summ = rec.run("customer summary", lambda: summary.customer_summary(tx, "week", end))
    emit(customers=len(summ))
    rec.run(
        "Upload page: overview + monthly activity",
        lambda: (summary.dataset_overview(FrameSource(tx), summ), summary.monthly_activity(tx)),
    )
    rfm = rec.run("  RFM scores", lambda: segments.rfm_scores(summ, end))
    features = rfm.table[list(defaults.RFM_FEATURES)]
    rec.run(
        "  clustering", lambda: segments_clustering.CustomerClusters(random_state=0).fit(features)
    )
    seg = rec.run(
        "Segments page (RFM + clusters + contribution + cross-sell)",
        lambda: segments_analysis.analyse_segments(summ, tx, ds.customers, ds.cost_to_serve, observation_end=end),
    )  # fmt: skip
    settings = clv.FitSettings(
        unit="week",
        calibration_end=clv_holdout.default_calibration_end(ds.observation_start, end),
        observation_end=end,
        compare=True,
    )
    fit = rec.run(
        "CLV fit (3 models, holdout, comparison)", lambda: clv.fit_clv(tx, settings, summ)
    )
    value_settings = clv_values.ValueSettings()

    def predict():
        values = clv_values.customer_values(fit, value_settings)
        base = scenario.prepare(
            values.customers, fit.model, "week", value_settings.horizon_months,
            value_settings.discount_rate,
        )  # fmt: skip
        return values, base

    values, base = rec.run("CLV predict (values, tiers, what-if base)", predict) or (None, None)
    wh = rec.run(
        "whale curve (P&L + curve + what-if base)",
        lambda: profitability_analysis.analyse(summ, tx, None, ds.cost_to_serve, observation_end=end, currency=CURRENCY),
    )  # fmt: skip
    gaps = rec.run("Retention: gap profile", lambda: retention_gaps.gap_profile(tx, end))
    window = gaps.suggested_window_days
    rec.run("  cohorts", lambda: cohorts.cohort_tables(tx, summ, "month", end))
    rec.run(
        "  survival (churn status + Kaplan-Meier)",
        lambda: retention_survival.survival_analysis(
            retention_gaps.churn_status(summ, retention_gaps.ChurnRule(window), end)
        ),
    )
    clv_frame = values.customers if values is not None else None
    seg_frame = seg.segment_frame() if seg is not None else None
    ret_settings = retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(window))
    ret = rec.run(
        "Retention page (cohorts, churn, survival, tenure, lists)",
        lambda: retention_analysis.analyse_retention(tx, summ, ret_settings, ds.customers, clv_frame, end, seg_frame),
    )  # fmt: skip
    pnl_cols = ["revenue", "returns", "cogs", "cost_to_serve", "profit"]
    inputs = scorecard_inputs.ModelInputs(
        wh.result.pnl[pnl_cols] if wh is not None else None,
        clv_frame[["p_alive", "clv", "tier"]] if clv_frame is not None else None,
        seg_frame["rfm_segment"] if seg_frame is not None else None,
        ret.annual_retention if ret is not None else None,
    )
    card = rec.run(
        "scorecard",
        lambda: scorecard_build.build_scorecard(
            tx, summ, ds.customers, inputs, scorecard_inputs.ScorecardSettings(), scorecard_inputs.Scenarios(),
            end, CURRENCY,
        ),
    )  # fmt: skip
    run_sliders(rec, wh, base)
    c = {"tx": tx, "summary": summ, "seg": seg, "fit": fit, "values": values, "whale": wh}
    c.update({"gaps": gaps, "window": window, "retention": ret, "card": card})
    charts = build_charts(c)
    for page, name, chart in charts:
        size = len(chart.to_json()) if not isinstance(chart, str) else None
        emit(chart=name, page=page, bytes=size, error=chart if isinstance(chart, str) else None)
    rec.run("deck export (4 charts + scorecard table)", lambda: deck_bytes(charts, card))
    chosen = [name for name in rec.times if any(w.lower() in name.lower() for w in named)]
    if profile:
        timed = {k: v for k, v in rec.times.items() if k in PAGE_STAGES}
        slowest = sorted(timed, key=timed.get, reverse=True)[:profile]
        chosen += [*slowest, "deck export (4 charts + scorecard table)"]
    if chosen:
        rec.profile(list(dict.fromkeys(chosen)), path.parent)


def run_sliders(rec: Recorder, wh, base) -> None:
    """One what-if slider move on each page that has them: the recompute plus its charts' specs
    (budget: 200 ms of server time). Not part of the page total: it happens after the page."""
    from cvm_core.analyses.clv import charts as clv_charts
    from cvm_core.analyses.clv import scenario
    from cvm_core.analyses.profitability import charts as whale_charts
    from cvm_core.analyses.profitability import whatif as whale_whatif
    from cvm_core.analyses.profitability import whatif_settings

    if base is not None:
        move = scenario.Scenario.from_dict({"Gold": scenario.Treatment(0.1, 0.1, 0.1, 5.0)})

        def clv_move():
            projection = scenario.project(base, move)
            return clv_charts.scenario_chart(projection.by_tier, CURRENCY).to_dict()

        rec.run(SLIDERS[0], clv_move)
    if wh is not None:
        fixes = whatif_settings.WhaleScenario(price_increase=0.05, service_cut=0.1)

        def whale_move():
            outcome = whale_whatif.apply_scenario(wh.what_if, fixes, currency=CURRENCY)
            whale_charts.scenario_chart(outcome.curves, CURRENCY).to_dict()
            return whale_charts.waterfall_chart(outcome.steps, CURRENCY).to_dict()

        rec.run(SLIDERS[1], whale_move)


def build_charts(c: dict) -> list[tuple[str, str, object]]:
    """The main charts of each page, built the way the pages build them (errors as strings)."""
    from cvm_core.analyses.clv import charts as clv_charts
    from cvm_core.analyses.clv import values as clv_values
    from cvm_core.analyses.overview.charts import monthly_activity_chart
    from cvm_core.analyses.profitability import charts as whale_charts
    from cvm_core.analyses.retention import charts as ret_charts
    from cvm_core.analyses.scorecard import charts as card_charts
    from cvm_core.analyses.segments import charts as seg_charts
    from cvm_core.analyses.segments.rfm import grid_cells
    from cvm_core.intake import summary

    seg, fit, values, wh, ret = c["seg"], c["fit"], c["values"], c["whale"], c["retention"]
    specs: list[tuple[str, str, Callable[[], object]]] = [
        ("Upload", "Revenue and active customers by month",
         lambda: monthly_activity_chart(summary.monthly_activity(c["tx"]), CURRENCY)),
        ("Segments", "RFM map", lambda: seg_charts.rfm_map_chart(
            grid_cells(seg.rfm), list(seg.rfm.table["rfm_segment"].cat.categories))),
        ("Segments", "Cluster map", lambda: seg_charts.cluster_map_chart(seg.cluster_profile, CURRENCY)),
        ("Segments", "Contribution by RFM segment", lambda: seg_charts.contribution_chart(
            seg.contribution["RFM segment"], "RFM segment", seg.has_margin)),
        ("Segments", "Cross-sell lift", lambda: seg_charts.lift_heatmap(
            next(iter(seg.affinity.values())), list(seg.baskets.categories))),
        ("Whale Curve", "Whale curve", lambda: whale_charts.whale_chart(
            wh.chart, wh.marks, wh.curve.summary, CURRENCY)),
        ("Whale Curve", "Cost-to-serve by activity",
         lambda: whale_charts.activity_cost_chart(wh.result.activities, CURRENCY)),
        ("CLV", "Repeat purchases actual vs model", lambda: clv_charts.cumulative_chart(
            fit.cumulative, fit.settings.calibration_end)),
        ("CLV", "CLV distribution", lambda: clv_charts.clv_histogram_chart(
            clv_values.clv_distribution(values.customers["clv"], upper_quantile=0.95), CURRENCY,
            clv_values.ValueSettings().horizon_months)),
        ("CLV", "Probability still active", lambda: clv_charts.p_alive_heatmap(
            clv_values.p_alive_matrix(fit.model, fit.summary), "week")),
        ("CLV", "Customer pyramid", lambda: clv_charts.tier_shares_chart(values.tiers)),
        ("Retention", "Customer retention by cohort", lambda: ret_charts.cohort_heatmap(
            ret.cohorts.to_long(36, 24), next(iter(ret_charts.HEATMAPS)), ret.cohorts.period, CURRENCY)),
        ("Retention", "Gaps between purchases", lambda: ret_charts.gap_histogram_chart(
            c["gaps"].histogram, c["window"], c["gaps"].suggested_window_days)),
        ("Retention", "Customer survival", lambda: ret_charts.survival_chart(
            ret.survival.curves, ret.survival.confidence)),
        ("Scorecard", "Scorecard trends", lambda: card_charts.trend_heatmap(c["card"].trends)),
    ]  # fmt: skip
    out = []
    for page, name, make in specs:
        try:
            out.append((page, name, make()))
        except Exception as error:  # a chart that cannot be built is reported, not fatal
            out.append((page, name, f"{type(error).__name__}: {error}"))
    return out


def deck_bytes(charts: list[tuple[str, str, object]], card) -> bytes:
    from cvm_core.analyses.scorecard import presenting
    from cvm_core.outputs import deck
    from cvm_core.slides import ChartSlide

    wanted = ("Whale curve", "CLV distribution", "Customer retention by cohort", "RFM map")
    slides = [
        ChartSlide(name, f"{page} page", chart)
        for page, name, chart in charts
        if name in wanted and not isinstance(chart, str)
    ]
    table = presenting.scorecard_table(card) if card is not None else None
    return deck.build_deck("Benchmark", "transactions.csv", slides, table)


# --- naive ---------------------------------------------------------------------------------------


def run_naive(path: Path, skip: set[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run_naive(path, skip)


def _naive_stage(name: str, skip: set[str], fn: Callable[[], object]) -> object:
    if name in skip:
        return None
    _reset_peak()
    start = time.perf_counter()
    value = fn()
    emit(naive=name, seconds=time.perf_counter() - start, peak_mb=_peak_mb())
    return value


def _run_naive(path: Path, skip: set[str]) -> None:
    import lifetimes
    from lifetimes.utils import summary_data_from_transaction_data

    def read():
        frame = pd.read_csv(path)
        frame["Order Date"] = pd.to_datetime(frame["Order Date"], format="mixed")
        return frame

    frame = _naive_stage("read CSV", skip, read)
    if frame is None:
        return
    end = frame["Order Date"].max()
    summ = _naive_stage(
        "customer summary",
        skip,
        lambda: summary_data_from_transaction_data(
            frame, "Customer ID", "Order Date", "Revenue", observation_period_end=end,
            freq="D", freq_multiplier=7,
        ),
    )  # fmt: skip
    if summ is None:
        return

    def fit():
        bgf = lifetimes.BetaGeoFitter().fit(summ["frequency"], summ["recency"], summ["T"])
        repeat = summ[(summ["frequency"] > 0) & (summ["monetary_value"] > 0)]
        ggf = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        return bgf, ggf

    models = _naive_stage("CLV fit (3 models, holdout, comparison)", skip, fit)
    if models is None:
        return
    bgf, ggf = models

    def predict():
        alive = bgf.conditional_probability_alive(summ["frequency"], summ["recency"], summ["T"])
        value = ggf.customer_lifetime_value(
            bgf, summ["frequency"], summ["recency"], summ["T"], summ["monetary_value"],
            time=36, discount_rate=(1.10 ** (1 / 12)) - 1, freq="W",
        )  # fmt: skip
        return alive, value

    _naive_stage("CLV predict (values, tiers, what-if base)", skip, predict)


def run_xlsx(path: Path) -> None:
    from cvm_core.intake.io import read_workbook

    data = path.read_bytes()
    start = time.perf_counter()
    read_workbook(data, path.name)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    pd.read_excel(io.BytesIO(data), engine="openpyxl")
    emit(xlsx=True, ours=ours, naive=time.perf_counter() - start)


# --- parent --------------------------------------------------------------------------------------


def worker(args: list[str], timeout: float) -> list[dict]:
    """Run this script as a worker subprocess and collect its JSON lines (until ``timeout``)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    records: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        out, _ = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        proc.kill()  # our own child only
        out, _ = proc.communicate()
        records.append({"timeout": timeout})
    for line in out.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    if proc.returncode not in (0, None) and not any("timeout" in r for r in records):
        records.append({"crash": proc.returncode})
    return records


def naive_skips(size: int, previous: dict[int, dict[str, float]], cap: float) -> dict[str, float]:
    """Naive stages expected to exceed ``cap`` s (linear in rows from the last measured size)."""
    skips = {}
    measured = [s for s in previous if s < size]
    if not measured:
        return skips
    ref = max(measured)
    for stage, seconds in previous[ref].items():
        expected = seconds * size / ref
        if expected > cap:
            skips[stage] = expected
    return skips


def fmt_s(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def print_size(size: int, ours: list[dict], naive: dict[str, dict], skipped: dict[str, float],
               xlsx: dict | None) -> tuple[float, float]:  # fmt: skip
    info = {k: v for r in ours for k, v in r.items() if k in ("rows", "customers", "baseline_mb")}
    print(
        f"\n### {size:,} target rows: {info.get('rows', 0):,} transactions, "
        f"{info.get('customers', 0):,} customers\n"
    )
    print("| stage | ours (s) | naive (s) | ratio | peak MB | ours CPU (s) | naive peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    total, cpu, peak = 0.0, 0.0, info.get("baseline_mb", 0.0)
    for r in ours:
        if "stage" not in r:
            continue
        name = r["stage"]
        if "error" in r:
            print(f"| {name} | error: {r['error'][:120]} | | | | | |")
            continue
        n = naive.get(name)
        if name in skipped:
            naive_text, ratio, npeak = f"skipped (> {skipped[name]:.0f} s expected)", "", ""
        elif n:
            naive_text = fmt_s(n["seconds"])
            ratio, npeak = f"{n['seconds'] / r['seconds']:.1f}x", f"{n['peak_mb']:,.0f}"
        else:
            naive_text, ratio, npeak = "", "", ""
        label = name if name not in PARTS else f"↳ {name.strip()} (inside {PARTS[name]})"
        print(
            f"| {label} | {r['seconds']:.2f} | {naive_text} | {ratio} | {r['peak_mb']:,.0f} "
            f"| {r['cpu']:.2f} | {npeak} |"
        )
        if name in PAGE_STAGES:
            total += r["seconds"]
            cpu += r["cpu"]
            peak = max(peak, r["peak_mb"])
    if xlsx:
        print(
            f"| read xlsx (calamine vs pandas.read_excel/openpyxl) | {xlsx['ours']:.2f} "
            f"| {xlsx['naive']:.2f} | {xlsx['naive'] / xlsx['ours']:.1f}x | | | |"
        )
    print(
        f"| **all six pages from the CSV** | **{total:.2f}** | | | **{peak:,.0f}** | {cpu:.2f} | |"
    )
    print()
    for r in ours:
        if r.get("stage") in SLIDERS and "seconds" in r:
            ok = "met" if r["seconds"] <= SLIDER_BUDGET_S else "MISSED"
            print(f"- {r['stage']}: {r['seconds'] * 1000:.0f} ms (<= 200 ms: {ok})")
    print(
        "\nnaive CLV = lifetimes BG/NBD + Gamma-Gamma on every customer, no holdout and no model "
        "comparison (ours fits three models twice: calibration and full period)."
    )
    print_notes(ours)
    return total, cpu, peak


def print_notes(ours: list[dict]) -> None:
    for r in ours:
        if "note" in r:
            print(f"\nnote: {r['note']}")
        if "timeout" in r or "crash" in r:
            print(f"\nour worker stopped early: {r}")


def print_charts(ours: list[dict]) -> None:
    charts = [r for r in ours if "chart" in r]
    if not charts:
        return
    print("\n| page | chart | payload (bytes of chart.to_json()) | <= 1 MB |")
    print("|---|---|---:|---|")
    for r in charts:
        if r.get("error"):
            print(f"| {r['page']} | {r['chart']} | error: {r['error'][:100]} | |")
        else:
            ok = "met" if r["bytes"] <= CHART_BUDGET_BYTES else "MISSED"
            print(f"| {r['page']} | {r['chart']} | {r['bytes']:,} | {ok} |")


def naive_side(
    size: int, path: Path, naive_times: dict[int, dict[str, float]], args: argparse.Namespace
) -> tuple[dict[str, dict], dict[str, float]]:
    """The naive worker's records by stage, and the stages skipped with their expected time."""
    skipped = naive_skips(size, naive_times, args.naive_cap)
    naive: dict[str, dict] = {}
    if not args.no_naive:
        skip_args = ["--skip", *skipped] if skipped else []
        records = worker(["--worker", "naive", "--path", str(path), *skip_args], 4 * args.naive_cap)
        naive = {r["naive"]: r for r in records if "naive" in r}
        if any("timeout" in r for r in records):
            print(f"naive worker at {size:,} stopped after {4 * args.naive_cap:.0f} s")
    naive_times[size] = {k: v["seconds"] for k, v in naive.items()}
    for stage, expected in skipped.items():  # keep the estimate chain for the next size
        naive_times[size][stage] = expected
    return naive, skipped


def print_budgets(totals: dict[int, tuple[float, float, float]]) -> None:
    print("\n## Budgets")
    for size, (total, cpu, peak) in totals.items():
        if size == 1_000_000:
            t_ok = "met" if total <= TOTAL_BUDGET_S else f"MISSED by {total - TOTAL_BUDGET_S:.1f} s"
            c_ok = "met" if cpu <= TOTAL_BUDGET_S else f"MISSED by {cpu - TOTAL_BUDGET_S:.1f} s"
            m_ok = (
                "met"
                if peak <= MEMORY_BUDGET_MB
                else f"MISSED by {peak - MEMORY_BUDGET_MB:,.0f} MB"
            )
            print(
                f"- all six pages from a 1M-row CSV: {total:.1f} s (<= {TOTAL_BUDGET_S:.0f} s: {t_ok})"
            )
            print(f"  in CPU time: {cpu:.1f} s (<= {TOTAL_BUDGET_S:.0f} s: {c_ok})")
            print(f"- peak memory at 1M rows: {peak:,.0f} MB (<= {MEMORY_BUDGET_MB:,} MB: {m_ok})")
        else:
            print(
                f"- {size:,} rows: all six pages {total:.1f} s ({cpu:.1f} s CPU), "
                f"peak memory {peak:,.0f} MB"
            )
    print(f"\nload average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--naive-cap", type=float, default=180.0, help="skip naive stages over this"
    )
    parser.add_argument("--xlsx-max", type=int, default=100_000)
    parser.add_argument("--profile", type=int, default=3, help="slowest stages to cProfile")
    parser.add_argument(
        "--profile-stages", nargs="*", default=[],
        help="also cProfile the stages whose names contain these words (worker: --worker ours)",
    )  # fmt: skip
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=2,
        help="runs of each of our stages up to 1M rows; the fastest is shown (the machine is shared)",
    )  # fmt: skip
    parser.add_argument("--worker", choices=["ours", "naive", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--skip", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "ours":
        return run_ours(Path(args.path), args.profile, args.repeat, tuple(args.profile_stages))
    if args.worker == "naive":
        return run_naive(Path(args.path), set(args.skip))
    if args.worker == "xlsx":
        return run_xlsx(Path(args.path))

    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    naive_times: dict[int, dict[str, float]] = {}
    totals = {}
    profile_size = max((s for s in args.sizes if s <= 1_000_000), default=None)
    for size in sorted(args.sizes):
        path = csv_path(size)
        prof = args.profile if size == profile_size else 0
        repeat = str(args.repeat if size <= 1_000_000 else 1)
        ours = worker(
            ["--worker", "ours", "--path", str(path), "--profile", str(prof), "--repeat", repeat],
            3600,
        )
        naive, skipped = naive_side(size, path, naive_times, args)
        xlsx = None
        if size <= args.xlsx_max and not args.no_naive:
            recs = worker(["--worker", "xlsx", "--path", str(xlsx_path(size))], 1800)
            xlsx = next((r for r in recs if r.get("xlsx")), None)
        totals[size] = print_size(size, ours, naive, skipped, xlsx)
        if size == profile_size:
            print_charts(ours)
            for r in ours:
                if "profile" in r:
                    print(f"\ncProfile of '{r['profile'].strip()}' ({r['path']}):\n```")
                    print(r["top"] + "\n```")
    print_budgets(totals)


if __name__ == "__main__":
    main()
