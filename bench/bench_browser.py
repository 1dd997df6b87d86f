"""What the user waits for in the browser, against the budgets of issue 17, at ~1M transactions.

    python3 bench/bench_browser.py                 # ~1M transactions (generated once into /tmp)
    python3 bench/bench_browser.py --rows 100000
    python3 bench/bench_browser.py --read 5        # the user reads mapping and overview 5 s each
    python3 bench/bench_browser.py --large 10000000  # beyond memory: a 10M-row Parquet file
    python3 bench/bench_browser.py --large 10000000 --read 5  # ... with the user reading

Starts the app (``streamlit run app.py`` on a free port, as bench_memory does) and drives Debian's
chromium with Playwright, one user doing, in order:

1. first session after a server start: open the app until the Upload page is drawn (the server
   was started 10 s before, as a workshop machine would be);
2. upload to overview: the CSV into the uploader, "Use this data", until the overview is drawn;
   split at the click, with ``--read`` seconds checking the mapping before it and reading the
   overview after (neither counted in any step);
3. each page's first render: click it in the menu until its run has finished and it is drawn;
4. a slider move: the CLV horizon one step with the keyboard, until the rerun has finished (the
   charts below redrawn), median of ``--moves`` moves;
5. the same page again with nothing changed (a plain rerun through the menu).

Each step is timed as wall time (Playwright sees the script's finished message on the websocket,
then the page idle) and as the server's CPU time (utime + stime of the server process from
/proc). Side by side, the same analyses from the command line (``python -m cvm_core report FILE``,
no deck or workbook) give the core's own cost on the same file; the difference is what the
Streamlit layer (charts, tables, widgets, session) adds. Prints a Markdown table.

The walk runs twice, side by side: with the background work off (``CVM_PREFETCH=0``, the naive
way: the dataset is built on "Use this data", each page computes when opened) and on (the
dataset built while the mapping is checked, the pages' first analyses after the load).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, stop_server  # noqa: E402

PAGES = [
    ("Segments", 2.0),
    ("Profitability Whale Curve", 2.0),
    ("Customer Lifetime Value", 2.0),
    ("Retention", 2.0),
    ("Scorecard", 2.0),
]
"""Menu entry and first-render budget (s); the Upload page is the sixth, measured by the upload."""
BUDGETS = {"first session": 2.0, "upload to overview": 3.0, "upload + all six pages": 10.0,
           "slider move": 0.3}  # fmt: skip
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Steps:
    """Wall and server-CPU seconds of each named step."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.rows: list[tuple[str, float, float, float | None]] = []

    def time(self, name: str, action, budget: float | None = None) -> tuple[float, float]:
        cpu, start = server_cpu(self.pid), time.perf_counter()
        action()
        wall, used = time.perf_counter() - start, server_cpu(self.pid) - cpu
        self.rows.append((name, wall, used, budget))
        print(f"  {name}: {wall:.2f} s wall, {used:.2f} s server CPU", file=sys.stderr)
        return wall, used


def drive(page, base_url: str, csv: Path, steps: Steps, moves: int, read: float) -> None:
    from playwright.sync_api import expect

    from tests.browser.helpers import expect_rerun, wait_for_app

    def first_session() -> None:
        page.goto(base_url)
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Upload").first).to_be_visible()

    def upload() -> None:
        uploader = page.get_by_test_id("stFileUploader").filter(
            has_text="Upload a sales spreadsheet"
        )
        with expect_rerun(page, timeout_ms=900_000):
            uploader.locator('input[type="file"]').set_input_files(str(csv))

    def use_this_data() -> None:
        with expect_rerun(page, timeout_ms=900_000):
            page.get_by_role("button", name="Use this data").click()
        expect(page.get_by_role("heading", name=f"Loaded: {csv.name}")).to_be_visible()

    def pause(what: str) -> None:
        """The user reads; the CPU meanwhile is the background work's (if on), not a step's."""
        if read:
            steps.time(f"{what} for {read:g} s (not a step)", lambda: time.sleep(read))

    def visit(name: str):
        def go() -> None:
            with expect_rerun(page, timeout_ms=900_000):
                page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
            expect(page.get_by_role("heading", name=name).first).to_be_visible()

        return go

    steps.time("first session", first_session, BUDGETS["first session"])
    to_form = steps.time("upload to the mapping form", upload)
    pause("checking the mapping")
    to_overview = steps.time("'Use this data' to the overview", use_this_data)
    upload_wall, upload_cpu = to_form[0] + to_overview[0], to_form[1] + to_overview[1]
    steps.rows.append(
        ("upload to overview", upload_wall, upload_cpu, BUDGETS["upload to overview"])
    )
    walls, cpus = [upload_wall], [upload_cpu]
    pause("reading the overview")
    for name, budget in PAGES:
        wall, used = steps.time(f"first render: {name}", visit(name), budget)
        walls.append(wall)
        cpus.append(used)
    steps.rows.append(
        ("upload + all six pages", sum(walls), sum(cpus), BUDGETS["upload + all six pages"])
    )
    if not moves:
        return
    visit("Customer Lifetime Value")()
    for label, kind in (
        ("CLV horizon (months)", "the whole page reruns"),
        ("Platinum: retention uplift (%)", "what-if, a fragment"),
    ):
        slider_moves(page, steps, label, kind, moves)
    steps.time("Customer Lifetime Value again, nothing changed", visit("Customer Lifetime Value"))


def slider_moves(page, steps: Steps, label: str, kind: str, moves: int) -> None:
    """Move the slider ``label`` one step with the keyboard, ``moves`` times (right, left, ...),
    each until the rerun has finished; one row with the medians."""
    from tests.browser.helpers import expect_rerun

    slider = page.get_by_role("slider", name=label)
    slider.scroll_into_view_if_needed()
    walls, cpus = [], []
    for k in range(moves):

        def move(key="ArrowRight" if k % 2 == 0 else "ArrowLeft") -> None:
            with expect_rerun(page, timeout_ms=120_000):
                slider.press(key)

        wall, used = steps.time(f"{label} move {k + 1}", move)
        walls.append(wall)
        cpus.append(used)
    steps.rows = steps.rows[:-moves]
    steps.rows.append((f"slider move: {label} ({kind}; median of {moves})",
                       statistics.median(walls), statistics.median(cpus), BUDGETS["slider move"]))  # fmt: skip


def command_line(csv: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the same analyses from the command line (imports included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cvm_core", "report", str(csv)], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(
    rows: int, moves: int, read: float, prefetch: bool
) -> tuple[Steps, tuple[float, float], Path]:
    import bench_pipeline  # the cached CSV generator, shared with the pipeline benchmark

    csv = bench_pipeline.csv_path(rows)
    os.environ["CVM_PREFETCH"] = "1" if prefetch else "0"  # the server inherits it
    steps, _peak = walk(csv, moves, read, timeout_ms=300_000)
    return steps, command_line(csv), csv


def walk(path: Path, moves: int, read: float, timeout_ms: int) -> tuple[Steps, float]:
    """One user's walk (:func:`drive`) on a fresh server started with this process's
    environment: the steps and the server's peak RSS (MB)."""
    from bench_memory import start_server
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="cvm-bench-browser-")) / "streamlit.log"
    port = free_port()
    server = start_server(port, 120, log, warm_up=True)
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(timeout_ms)
        page = context.new_page()
        from tests.browser.helpers import track_runs

        track_runs(page)
        time.sleep(10)  # the server's warm-up (scripts/serve.py) as on a workshop machine
        steps = Steps(server.pid)
        drive(page, f"http://127.0.0.1:{port}", path, steps, moves, read)
        peak = peak_rss_mb(server.pid)
        browser.close()
    finally:
        pw.stop()
        stop_server(server)
    return steps, peak


def report(steps: Steps, cli: tuple[float, float], csv: Path, title: str) -> None:
    print(f"\n{csv.name} ({csv.stat().st_size / 1e6:.1f} MB), {title}\n")
    print("| step | wall (s) | server CPU (s) | budget (s) | within |")
    print("|---|---:|---:|---:|:---:|")
    for name, wall, cpu, budget in steps.rows:
        within = "" if budget is None else ("yes" if wall <= budget else "no")
        budget_text = f"{budget:.1f}" if budget is not None else ""
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {budget_text} | {within} |")
    total = next(r for r in steps.rows if r[0] == "upload + all six pages")
    print(f"| the same analyses, command line (`report`, imports included) | {cli[0]:.2f} | "
          f"{cli[1]:.2f} (its own CPU) | | |")  # fmt: skip
    # The background work while the user reads belongs to the steps: counted in the share.
    reading = sum(r[2] for r in steps.rows if r[0].endswith("(not a step)"))
    used = total[2] + reading
    outside = max(used - cli[1], 0.0) / used if used else 0.0
    print(
        "\nServer CPU for upload + six pages (and the background work while reading) beyond the "
        f"command line's: {outside:.0%} (target: under a third)."
    )


def measure_large(rows: int, on_disk: bool, read: float = 0.0) -> tuple[Steps, float, Path]:
    """Upload + six pages with ``rows`` transactions as a Parquet file, the server's peak RSS (MB)
    and the file: ``on_disk`` as the app does it (DuckDB over the file), else the naive way (the
    size for large files raised, so the rows are read into pandas as a small file's are).
    ``read``: seconds the user checks the mapping and reads the overview, as in :func:`drive`."""
    import bench_engines  # the canonical Parquet generator, shared with the engines benchmark

    path = bench_engines.parquet_path(rows)
    os.environ["CVM_PREFETCH"] = "1"  # the app's default
    os.environ["CVM_LARGE_FILE_ROWS"] = "2000000" if on_disk else str(10**12)
    steps, peak = walk(path, moves=0, read=read, timeout_ms=900_000)
    return steps, peak, path


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report_large(rows: int, read: float) -> None:
    """Beyond memory (issue 17 item 5): the naive way and the app's, side by side."""
    runs = []
    for on_disk in (False, True):
        how = "on disk (DuckDB)" if on_disk else "naive (read into pandas)"
        print(f"{rows:,} rows from Parquet, {how}", file=sys.stderr)
        runs.append((how, *measure_large(rows, on_disk, read)))
    path = runs[0][3]
    pause = f"mapping and overview read for {read:g} s each" if read else "no pause to read"
    print(f"\n{path.name} ({path.stat().st_size / 1e6:.1f} MB), upload + six pages, {pause}\n")
    print("| step | " + " | ".join(f"{how}: wall (s) / server CPU (s)" for how, *_ in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    names = [row[0] for row in runs[0][1].rows]
    for name in names:
        cells = []
        for _how, steps, _peak, _path in runs:
            row = next((r for r in steps.rows if r[0] == name), None)
            cells.append(f"{row[1]:.2f} / {row[2]:.2f}" if row else "")
        budget = " (budget 30 s)" if name == "upload + all six pages" else ""
        print(f"| {name}{budget} | " + " | ".join(cells) + " |")
    peaks = " | ".join(f"{peak:,.0f}" for _how, _steps, peak, _path in runs)
    print(f"| server peak RSS, MB (budget 2,500) | {peaks} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="target transaction rows")
    parser.add_argument("--large", type=int, default=0, metavar="ROWS",
                        help="instead: upload + six pages from a Parquet file of ROWS rows, "
                        "naive (pandas) and on disk (DuckDB), with the server's peak memory")  # fmt: skip
    parser.add_argument("--moves", type=int, default=5, help="slider moves to time")
    parser.add_argument("--read", type=float, default=0.0,
                        help="seconds the user checks the mapping, and reads the overview")  # fmt: skip
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    if args.large:
        report_large(args.large, args.read)
        return
    reading = (
        f"the mapping and the overview read for {args.read:g} s each" if args.read else "no pause"
    )
    for prefetch in (False, True):
        state = "on" if prefetch else "off (built on the click, each page computes when opened)"
        print(f"background work {state}", file=sys.stderr)
        title = f"background work {state}, {reading}"
        report(*measure(args.rows, args.moves, args.read, prefetch), title)


if __name__ == "__main__":
    main()
