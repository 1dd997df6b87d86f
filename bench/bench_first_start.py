"""First contact as a new user meets it: a clean clone, README command 1, the demo in a browser.

    python3 bench/bench_first_start.py                  # pip's cache as it is on this machine
    python3 bench/bench_first_start.py --no-pip-cache   # every package downloaded, as on a new machine
    python3 bench/bench_first_start.py --python /usr/bin/python3   # e.g. Debian's PEP 668 Python

Clones this repository (its last commit) into a temporary folder and runs ``bash scripts/run.sh``
there with a Python that is not a virtualenv, so the command creates the clone's own ``.venv``
and installs ``requirements.txt`` into it. Reports: install + start time until the server
answers, the size of ``.venv``, the time until the Upload page shows the demo in headless
chromium (first visit), and the same two times for a second start (installed already), opened
at once and 10 s after the server answers (when scripts/serve.py's warm-up has finished).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import free_port, stop_server  # noqa: E402  (the browser tests' own)


def base_python() -> str:
    """A Python that is not a virtualenv: Debian's own when there is one (it refuses global
    installs, PEP 668: the hardest case for a first command), else the one under this script's
    environment (which may be the repository's .venv)."""
    debian = Path("/usr/bin/python3")
    if list(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED")) and debian.exists():
        version = subprocess.run([str(debian), "-c", "import sys; print(sys.version_info >= (3, 11))"],
                                 capture_output=True, text=True).stdout.strip()  # fmt: skip
        if version == "True":
            return str(debian)
    return getattr(sys, "_base_executable", sys.executable)


def start(clone: Path, python: str, port: int, log: Path, env_extra: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(PYTHON=python, **env_extra)
    command = ["bash", "scripts/run.sh", "--server.port", str(port), "--server.address",
               "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]  # fmt: skip
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> float:
    """Seconds until the server answers its health check (RuntimeError with the log if not)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"run.sh exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"no answer from {url} within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def demo_page_seconds(url: str) -> float:
    """Seconds from opening the address until the Upload page shows the demo, fully drawn."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.helpers import wait_for_app

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        started = time.perf_counter()
        page.goto(url)
        expect(page.get_by_text("Loaded: Demo retail")).to_be_visible(timeout=120_000)
        wait_for_app(page, 120_000)
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=base_python(), help="Python the command starts from")
    parser.add_argument("--no-pip-cache", action="store_true", help="download every package")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for install")
    args = parser.parse_args()
    env_extra = {"PIP_NO_CACHE_DIR": "1"} if args.no_pip_cache else {}
    with tempfile.TemporaryDirectory(prefix="cvm-first-start-") as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        rows = []
        runs = [("first start (creates .venv, installs)", 0.0), ("second start (installed)", 0.0),
                ("third start, opened 10 s after the server answers", 10.0)]  # fmt: skip
        for label, delay in runs:
            port, log = free_port(), Path(folder) / f"run-{len(rows)}.log"
            proc = start(clone, args.python, port, log, env_extra)
            try:
                answered = wait_healthy(f"http://127.0.0.1:{port}", proc, log, args.timeout)
                time.sleep(delay)  # a workshop starts the app before the client arrives
                page = demo_page_seconds(f"http://127.0.0.1:{port}")
            finally:
                stop_server(proc)
            rows.append((label, answered, page))
        size = folder_mb(clone / ".venv")
        shutil.rmtree(clone, ignore_errors=True)
    cache = "no pip cache" if args.no_pip_cache else "pip cache as found"
    print(f"\nPython: {args.python} ({cache}); .venv: {size:,.0f} MB\n")
    print("| run | command until the server answers (s) | open -> Upload page with the demo (s) |")
    print("|---|---:|---:|")
    for label, answered, page in rows:
        print(f"| {label} | {answered:.1f} | {page:.1f} |")


if __name__ == "__main__":
    main()
