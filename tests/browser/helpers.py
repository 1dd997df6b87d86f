"""Driving a running Streamlit app from Playwright.

Streamlit renders asynchronously over a websocket: after ``page.goto`` or any widget interaction the
script reruns on the server and the page updates later. Two signals say when a run is over:
- ``<div data-testid="stApp">`` carries ``data-test-connection-state`` and
  ``data-test-script-state``; ``wait_for_app`` waits for CONNECTED + notRunning. That is enough after
  ``page.goto`` (the state reads "initial" until the first run starts), but not after an interaction:
  a fast rerun (~15 ms) can come and go without the attribute ever reading "running", so "not running"
  may be the state from before the rerun.
- So ``track_runs`` (the ``page`` fixture calls it) counts the server's ``script_finished`` messages
  on the websocket, and ``expect_rerun`` waits for one more of them than before the interaction.
``test_smoke_browser.py`` shows each kind of widget being driven.
"""

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

APP = '[data-testid="stApp"]'
APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)

_finished_runs: "weakref.WeakKeyDictionary[object, list[int]]" = weakref.WeakKeyDictionary()


def _ends_a_run(payload: bytes | str) -> bool:
    if isinstance(payload, str):
        return False
    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:  # not a ForwardMsg: not ours to count
        return False
    return (
        msg.WhichOneof("type") == "script_finished"
        and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


def track_runs(page) -> None:
    """Count finished script runs on ``page``'s Streamlit websockets. Call before ``page.goto``."""
    counter = [0]
    _finished_runs[page] = counter

    def on_frame(payload: bytes | str) -> None:
        if _ends_a_run(payload):
            counter[0] += 1

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


def finished_runs(page) -> int:
    """How many script runs have finished on ``page`` since ``track_runs``."""
    if page not in _finished_runs:
        raise RuntimeError("call track_runs(page) before page.goto (the page fixture does)")
    return _finished_runs[page][0]


def wait_for_app(page, timeout_ms: float = 60_000) -> None:
    """Wait until the app is connected, its script is not running and nothing is loading."""
    page.wait_for_selector(APP, timeout=timeout_ms)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
    page.locator('[data-testid="stStatusWidget"]').get_by_text("Running").wait_for(
        state="hidden", timeout=timeout_ms
    )
    page.locator('[data-testid="stSkeleton"]').first.wait_for(state="detached", timeout=timeout_ms)


@contextmanager
def expect_rerun(page, timeout_ms: float = 60_000) -> Iterator[None]:
    """Wrap a widget interaction; on exit, wait until the rerun it caused has finished.

    Assertions after it should still use ``expect(...)``, which retries: the last message of a run
    can reach the test a moment before the page has drawn it.
    """
    wait_for_app(page, timeout_ms)
    before = finished_runs(page)
    yield
    deadline = time.monotonic() + timeout_ms / 1000
    while finished_runs(page) == before:
        if time.monotonic() > deadline:
            app = page.locator(APP)
            shot = screenshot(page, "no_rerun")
            raise AssertionError(
                f"the interaction caused no finished script run within {timeout_ms / 1000:.0f} s "
                f"(connection {app.get_attribute('data-test-connection-state')}, "
                f"script {app.get_attribute('data-test-script-state')}; screenshot {shot})"
            )
        page.wait_for_timeout(20)  # also lets Playwright deliver the websocket events
    wait_for_app(page, timeout_ms)


def open_tab(page, name: str, timeout_ms: float = 120_000) -> None:
    """Open the tab ``name`` on a page whose tabs rerun it (ui/tabs.lazy_tabs: Segments, CLV) and
    wait for that run: a click on a button inside the tab while the run still draws it can be lost
    (the download it asked for never came, in full runs under load)."""
    tab = page.get_by_role("tab", name=name)
    wait_for_app(page, timeout_ms)
    if tab.get_attribute("aria-selected") == "true":
        return  # already open (a reload keeps the session's tab): a click would not rerun
    with expect_rerun(page, timeout_ms=timeout_ms):
        tab.click()


def choose_option(page, combo, typed: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the select box ``combo`` by typing ``typed`` and pressing Enter once the
    filtered list shows it, and wait for the rerun it causes. Tried again when the list resets
    before the option shows or the box does not take it (under load the popover re-filtered and
    the typed text was lost)."""
    from playwright.sync_api import expect  # here: the module imports without playwright

    wanted = page.get_by_role("option", name=option)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        wait_for_app(page)
        before = finished_runs(page)
        combo.click()
        combo.press("ControlOrMeta+a")  # a retry types over what the last attempt left
        combo.press_sequentially(typed)
        try:
            expect(wanted).to_be_visible(timeout=10_000)
            combo.press("Enter")
            expect(combo).to_have_value(option, timeout=10_000)
        except AssertionError:
            if last:
                raise
            page.keyboard.press("Escape")
            continue
        deadline = time.monotonic() + 60
        while finished_runs(page) == before and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        wait_for_app(page)
        return


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as tests/browser/artifacts/NAME.png and return its path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_with_demo(page, base_url: str, link: str, timeout_ms: float = 180_000) -> None:
    """Open the app, load the demo retail data and go to the page whose menu entry is ``link``."""
    page.goto(base_url)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=timeout_ms):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()


def click_chart(page, panel, x_share: float, y: float, timeout_ms: float = 120_000) -> None:
    """Click the first chart in ``panel`` at ``x_share`` of its width and ``y`` (pixels from its
    top, or a share of its height when below 1), and wait for the rerun the selection starts."""
    from playwright.sync_api import expect  # here: the module imports without playwright

    chart = panel.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible(timeout=timeout_ms)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the chart settles after scrolling
    box = chart.bounding_box()
    with expect_rerun(page, timeout_ms=60_000):
        page.mouse.click(
            box["x"] + box["width"] * x_share, box["y"] + (y if y >= 1 else box["height"] * y)
        )
