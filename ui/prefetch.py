"""The other pages' first analyses, computed in the background while the user reads the overview.

Once a dataset is loaded, background threads run what the Segments, Whale Curve and CLV pages
compute first (their analyses at the settings their forms start with), through those pages' own
caches. Opening a page then finds its result ready, or waits for the run in progress (a Streamlit
cache computes a key once: a second caller waits for the first) instead of computing it again.
At 1M transactions that is ~3 s of CPU the user no longer waits for page by page.

Two threads (:data:`LANES`): Segments then the Whale Curve in one, the CLV fit in the other. The
fit is the longest wait (7-8 s at 10M lines) and most of it runs outside the interpreter lock
(numpy and scipy's vector maths over every customer, DuckDB's queries), so beside the other two
it uses the core they leave idle: at 10M lines, with the user reading 5 s, the CLV page went from
7.5 s to 1.4 s and the six pages from 27.4 to 23.1 s. More threads would only compete for the
lock. Nothing is published to the session here (pages publish their results when they run), and
nothing is shown: an analysis that fails is left for its page, which shows the error in the user's
language.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from cvm_core.intake.dataset import Dataset

ENV = "CVM_PREFETCH"
"""Set to 0 to turn the background work off: this prefetch and the Upload page's early build
(ui/loaders.start_build). The tests do, as they count core calls or time pages."""
_MAX_REMEMBERED = 8
LANES = (("segments", "whale"), ("clv",))
"""The pages' first analyses by thread, each lane in menu order: the page a user most likely opens
next is computed first."""
_threads: dict[tuple, tuple[threading.Thread, ...]] = {}
_lock = threading.Lock()
log = logging.getLogger(__name__)


class _NoContextWarnings(logging.Filter):
    """Streamlit warns "missing ScriptRunContext" when a cache is used outside a script run,
    which is what the background threads (named ``cvm-...``) do on purpose: their caches are
    the process-wide ones and they draw nothing. Other threads' warnings still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        ours = threading.current_thread().name.startswith("cvm-")
        return not (ours and "missing ScriptRunContext" in record.getMessage())


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _NoContextWarnings()
)


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def start(dataset: Dataset) -> tuple[threading.Thread, ...]:
    """Start computing the pages' first analyses of ``dataset`` (the active one, with the
    sidebar's unit and observation end), unless a prefetch of the same is still running.

    Call from a script run: the jobs read the session's settings here, in the script thread.
    Returns the threads, one per lane (tests join them); none when there is nothing to do.
    """
    if not enabled() or not dataset.has_transactions:  # a summary file: nothing heavy to do
        return ()
    from ui import clv, data, segments, whale  # the pages' modules: only once a dataset is in

    key = (dataset.fingerprint, data.unit(), data.observation_end(dataset))
    with _lock:
        running = _threads.get(key, ())
        if any(thread.is_alive() for thread in running):
            return running
        pages = {"segments": segments, "whale": whale, "clv": clv}
        threads = tuple(
            threading.Thread(
                target=_run,
                args=([pages[name].default_job(dataset) for name in lane],),
                name=f"cvm-prefetch-{'-'.join(lane)}",
                daemon=True,
            )
            for lane in LANES
        )
        _threads[key] = threads
        while len(_threads) > _MAX_REMEMBERED:
            _threads.pop(next(iter(_threads)))
    for thread in threads:
        thread.start()
    return threads


AFTER_SECONDS = 0.5
"""How long background work (this prefetch, the Upload page's early build) lets the run that
started it reach the browser first. Started at once, its analyses took the interpreter from the
run and from the server thread sending it and serving the page's scripts: the overview after "Use
this data" reached the browser 0.4 s later at 1M rows. The user reads the page for longer."""


def _run(jobs: list[Callable[[], object]]) -> None:
    time.sleep(AFTER_SECONDS)
    for job in jobs:
        try:
            job()
        except Exception:  # noqa: BLE001 - the page runs the same analysis and shows its error
            log.debug("Background analysis failed; its page will show why", exc_info=True)
