"""Memory benchmark: does the Streamlit server give memory back after its sessions end?

Run: python3 bench/bench_memory.py [--sessions 10] [--rows 100000] [--ttl 30] [--max-wait 300]
     [--serve]

Starts the app (``python -m streamlit run app.py``, or with ``--serve`` scripts/serve.py as README
command 1 does, on a free 127.0.0.1 port, from the repository
root so .streamlit/config.toml applies) with ``server.disconnectedSessionTTL`` shortened to
``--ttl`` seconds (the default is 120 s: how long Streamlit keeps a closed tab's session for a
reconnect), then drives Debian's chromium (/usr/bin/chromium, launched as tests/browser does)
with Playwright:

1. cold idle: the server started, no session yet;
2. warm idle: one tab opened the Upload page (the app's imports are loaded) and was closed, and
   the session timeout has passed;
3. peak: N tabs, each its own browser context (a separate user), each uploading its own
   generated transactions CSV (about ``--rows`` rows, seeded demo data, cached under
   /tmp/cvm_bench/memory/) through the Upload page and clicking "Use this data"; optionally
   opening more pages (``--visit``) so the per-dataset results are made too. All N tabs stay
   open until the last one has loaded its file;
4. after: every tab closed; the resident memory is polled until the session timeout has passed
   and it has been stable (within 10 MB) for 30 s, or ``--max-wait`` seconds after the close.

The server's resident set size (VmRSS of the server process plus any children, from /proc) is
sampled every 0.25 s throughout, so the peak is the highest sample. Prints a Markdown table; the
budget (issue 16) is to be back within 300 MB of the warm idle figure after the timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, stop_server  # noqa: E402

CACHE = Path("/tmp/cvm_bench/memory")
ROWS_PER_CUSTOMER = 23.9  # the demo generator's average over its three years
MAX_SESSIONS = 40  # one machine, 2 cores: more tabs measure the browser, not the server
BUDGET_MB = 300
STABLE_MB, STABLE_S = 10.0, 30.0
PAGES = {
    "segments": "Segments",
    "whale": "Profitability Whale Curve",
    "clv": "Customer Lifetime Value",
    "retention": "Retention",
    "scorecard": "Scorecard",
}


# --- the data ------------------------------------------------------------------------------------


def csv_file(rows: int, index: int) -> Path:
    """A transactions CSV of about ``rows`` rows, different for every ``index`` (its own seed)."""
    path = CACHE / f"transactions_{rows}_{index:02d}.csv"
    if not path.exists():
        from cvm_core.intake import demo

        CACHE.mkdir(parents=True, exist_ok=True)
        customers = max(round(rows / ROWS_PER_CUSTOMER), 50)
        tx = demo.generate_demo_tables(n_customers=customers, seed=1000 + index)["Transactions"]
        partial = path.with_suffix(".part")
        tx.to_csv(partial, index=False, date_format="%Y-%m-%d")
        partial.rename(path)
    return path


# --- the server and its memory --------------------------------------------------------------------


def start_server(port: int, ttl: int, log: Path, warm_up: bool = False) -> subprocess.Popen:
    """The app's server, answering its health check; ``warm_up`` starts it as README command 1
    does (scripts/serve.py: the core imported in the background while the server starts)."""
    start = (
        [sys.executable, "scripts/serve.py"]
        if warm_up
        else [sys.executable, "-m", "streamlit", "run", "app.py"]
    )
    cmd = [
        *start,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.disconnectedSessionTTL", str(ttl),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited ({proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit(f"streamlit did not start within 60 s; see {log}")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (VmRSS from /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += _children(current)
    return total / 1024


class Sampler(threading.Thread):
    """Samples the server's RSS every 0.25 s; ``peak`` is the highest sample since ``reset``."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.last = pid, 0.0, 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.last = rss_mb(self.pid)
            self.peak = max(self.peak, self.last)
            self.stopped.wait(0.25)

    def reset(self) -> None:
        self.peak = rss_mb(self.pid)


def settle(pid: int, not_before: float, max_wait: float, started: float) -> tuple[float, float]:
    """Poll until ``not_before`` (monotonic) has passed and the RSS has stayed within STABLE_MB
    for STABLE_S seconds, or ``max_wait`` seconds after ``started``. Returns (MB, seconds since
    ``started``)."""
    samples: list[tuple[float, float]] = []
    while True:
        now = time.monotonic()
        samples.append((now, rss_mb(pid)))
        recent = [mb for t, mb in samples if t >= now - STABLE_S]
        steady = samples[0][0] <= now - STABLE_S and max(recent) - min(recent) <= STABLE_MB
        if (now >= not_before and steady) or now - started >= max_wait:
            return samples[-1][1], now - started
        time.sleep(2)


# --- the browser ----------------------------------------------------------------------------------


def open_tab(browser, base_url: str):
    from tests.browser.helpers import track_runs, wait_for_app

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(120_000)
    page = context.new_page()
    track_runs(page)
    page.goto(base_url)
    wait_for_app(page)
    return context, page


def upload(page, path: Path, visit: list[str]) -> None:
    from playwright.sync_api import expect

    from tests.browser.helpers import expect_rerun

    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a sales spreadsheet")
    with expect_rerun(page, timeout_ms=180_000):
        uploader.locator('input[type="file"]').set_input_files(str(path))
    with expect_rerun(page, timeout_ms=180_000):
        page.get_by_role("button", name="Use this data").click()
    expect(page.get_by_role("heading", name=f"Loaded: {path.name}")).to_be_visible(timeout=180_000)
    for name in visit:
        with expect_rerun(page, timeout_ms=300_000):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=PAGES[name]).click()
        expect(page.get_by_role("heading", name=PAGES[name]).first).to_be_visible(timeout=300_000)


# --- the run ---------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    files = [csv_file(args.rows, i) for i in range(args.sessions)]
    log = Path(tempfile.mkdtemp(prefix="cvm-bench-memory-")) / "streamlit.log"
    port = free_port()
    server = start_server(port, args.ttl, log, warm_up=args.serve)
    base_url = f"http://127.0.0.1:{port}"
    result: dict[str, float] = {}
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        time.sleep(2)
        result["cold"] = rss_mb(server.pid)
        context, _ = open_tab(browser, base_url)  # imports the app's modules
        context.close()
        started = time.monotonic()
        result["warm"], _ = settle(server.pid, started + args.ttl + 5, args.max_wait, started)

        sampler = Sampler(server.pid)
        sampler.reset()
        sampler.start()
        tabs, begun = [], time.perf_counter()
        for i, path in enumerate(files):
            context, page = open_tab(browser, base_url)
            upload(page, path, args.visit)
            tabs.append(context)
            print(f"  tab {i + 1}/{len(files)} loaded, RSS {sampler.last:,.0f} MB", file=sys.stderr)
        result["load_s"] = time.perf_counter() - begun
        result["open"] = rss_mb(server.pid)
        for context in tabs:
            context.close()
        closed = time.monotonic()
        time.sleep(1)
        result["peak"] = sampler.peak
        sampler.stopped.set()
        result["after"], result["after_s"] = settle(
            server.pid, closed + args.ttl + 10, args.max_wait, closed
        )
        browser.close()
    finally:
        pw.stop()
        stop_server(server)
    return result


def report(args: argparse.Namespace, r: dict[str, float]) -> None:
    def row(moment: str, mb: float) -> str:
        return f"| {moment} | {mb:,.0f} | {mb - r['warm']:+,.0f} |"

    visits = f", then {', '.join(args.visit)}" if args.visit else ""
    print(
        f"\n{args.sessions} sessions x {args.rows:,}-row CSV{visits}; session timeout "
        f"(server.disconnectedSessionTTL) {args.ttl} s; load average "
        f"{os.getloadavg()[0]:.1f}; loading all tabs took {r['load_s']:.0f} s\n"
    )
    print("| moment | server RSS (MB) | vs warm idle (MB) |")
    print("|---|---:|---:|")
    print(row("idle, cold (server started, no session yet)", r["cold"]))
    print(row("idle, warm (one tab opened and closed, timeout passed)", r["warm"]))
    print(row(f"peak ({args.sessions} tabs loading)", r["peak"]))
    print(row(f"{args.sessions} tabs open, all loaded", r["open"]))
    print(row(f"after: tabs closed, {r['after_s']:.0f} s later", r["after"]))
    verdict = "met" if r["after"] - r["warm"] <= BUDGET_MB else "NOT met"
    print(f"\nBudget (back within {BUDGET_MB} MB of warm idle after the timeout): {verdict}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help=f"tabs, 1-{MAX_SESSIONS}")
    parser.add_argument("--rows", type=int, default=100_000, help="rows per uploaded CSV")
    parser.add_argument("--ttl", type=int, default=30, help="server.disconnectedSessionTTL (s)")
    parser.add_argument("--max-wait", type=float, default=300, help="longest wait after close (s)")
    parser.add_argument("--visit", nargs="*", default=[], choices=sorted(PAGES),
                        help="pages each tab opens after loading its file")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--serve", action="store_true",
                        help="start as README command 1 does (scripts/serve.py), not streamlit run")  # fmt: skip
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1-{MAX_SESSIONS}")
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    result = measure(args)
    report(args, result)
    if args.json:
        args.json.write_text(json.dumps({**vars(args), "json": None, **result}, indent=1))


if __name__ == "__main__":
    main()
