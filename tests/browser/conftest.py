"""Browser layer: Playwright driving Debian's chromium against ``streamlit run`` on a free port.

Fixtures:
- ``make_app_server(app_path, cwd=REPO_ROOT) -> str`` (session): start ``streamlit run app_path``
  once per path and return its base URL, e.g. ``http://127.0.0.1:43127``; stopped at session end.
- ``app_server -> str`` (session): the repo's own ``app.py``.
- ``browser`` (session): a headless chromium ``playwright.sync_api.Browser``.
- ``page`` (function): a fresh context (1400x900, downloads accepted) and page in it.
Helpers for waiting on Streamlit and saving screenshots are in ``helpers.py``.
"""

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.helpers import track_runs

BROWSER_DIR = Path(__file__).resolve().parent
REPO_ROOT = BROWSER_DIR.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT_S = 60


def _skip_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found: install Debian's chromium (scripts/test.sh does it with apt)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed: pip install -r requirements-dev.txt"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason and os.environ.get("CI"):
        # In CI a missing browser is a broken set-up, not a reason to pass without browser tests.
        raise pytest.UsageError(f"CI needs the browser tests: {reason}")
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(could not read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server and anything it started: it leads its own process group."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class _AppServers:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: dict[tuple[Path, Path, bool], str] = {}
        self.procs: list[subprocess.Popen] = []

    def start(self, app_path: Path | str, cwd: Path | str = REPO_ROOT, serve: bool = False) -> str:
        app_path, cwd = Path(app_path).resolve(), Path(cwd).resolve()
        key = (app_path, cwd, serve)
        if key in self.running:
            return self.running[key]
        if not app_path.is_file():
            pytest.fail(f"no Streamlit app at {app_path}")
        port = free_port()
        log_path = self.log_dir / f"streamlit-{len(self.procs)}-{app_path.stem}-{port}.log"
        launcher = (
            [sys.executable, str(REPO_ROOT / "scripts" / "serve.py")]
            if serve
            else [sys.executable, "-m", "streamlit", "run", str(app_path)]
        )
        cmd = [
            *launcher,
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(f"{base_url}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {proc.returncode} before serving {app_path}; "
                    f"log {log_path}:\n{_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                stop_server(proc)
                pytest.fail(
                    f"streamlit did not answer {base_url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S} s; log {log_path}:\n{_tail(log_path)}"
                )
            time.sleep(0.2)
        self.running[key] = base_url
        return base_url

    def stop_all(self) -> None:
        for proc in self.procs:
            stop_server(proc)


@pytest.fixture(scope="session")
def make_app_server(request):
    """Factory: ``make_app_server(app_path, cwd=REPO_ROOT, serve=False)`` returns the base URL of
    a running ``streamlit run app_path`` (one server per path, shared by the session); ``serve``
    starts the project's app as README command 1 does (scripts/serve.py). ``cwd`` decides which
    ``.streamlit/config.toml`` applies; the default is the project's."""
    log_dir = Path(tempfile.mkdtemp(prefix="cvm-streamlit-logs-"))
    servers = _AppServers(log_dir)
    yield servers.start
    servers.stop_all()
    if request.session.testsfailed:
        print(f"\nstreamlit server logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app_server(make_app_server) -> str:
    """Base URL of the project's own app.py, served from the repo root."""
    return make_app_server(REPO_ROOT / "app.py")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    track_runs(page)
    yield page
    context.close()
