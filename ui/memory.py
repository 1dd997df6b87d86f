"""Memory comes back when a session ends.

Streamlit keeps a closed tab's session (its st.session_state: the dataset, every published result)
for ``server.disconnectedSessionTTL`` seconds (120 by default), so that a dropped connection can
resume it. Streamlit 1.67 forgets such a session only when a later session disconnects after that
time (its store is a TTL cache reaped on writes); on a server nobody uses any more, never: tabs
closed at the end of a workshop kept their datasets in the server until the next visitor came and
went, or it restarted.

So every session holds a marker in a session-scoped resource cache. Streamlit releases it when the
session's connection closes, on its event loop; the release schedules a check just before the
session's time is up: if it has not reconnected, it is closed (Streamlit's own ``close_session``,
as on a server shutdown) and its state emptied (Streamlit's event loop keeps the last session it
served referenced until the next tab connects), and the memory is handed back to the OS.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import sys
from typing import Any

import streamlit as st
from streamlit import config, runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

EARLY_SECONDS = 5.0
"""How long before Streamlit's own timeout a closed session is closed: at the timeout Streamlit
stops finding it (and so cannot close it) but keeps it in memory."""

_disconnected: dict[str, float] = {}
"""Session id -> event-loop time of its last disconnect. Touched only on the event loop."""
_release_pending = False
log = logging.getLogger(__name__)


def watch_session() -> None:
    """Run on every rerun: make sure this session's marker is there (a reconnect drops it)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        _marker(ctx.session_id, ctx.session_state)


def _wait_seconds() -> float:
    ttl = float(config.get_option("server.disconnectedSessionTTL"))
    return max(ttl - EARLY_SECONDS, ttl / 2)


def _on_disconnect(marker: tuple[str, Any]) -> None:
    """The session's connection closed (or the session was shut down)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # shut down off the event loop (server stopping): nothing left to wait for
        return
    session_id, state = marker
    _disconnected[session_id] = loop.time()
    loop.call_later(_wait_seconds(), _close_if_still_gone, session_id, state)


@st.cache_resource(scope="session", max_entries=1, on_release=_on_disconnect, show_spinner=False)
def _marker(session_id: str, _state: Any) -> tuple[str, Any]:
    return session_id, _state


def _close_if_still_gone(session_id: str, state: Any) -> None:
    loop = asyncio.get_running_loop()
    since = _disconnected.get(session_id)
    if since is None or loop.time() - since < _wait_seconds() - 0.5:
        return  # it reconnected and disconnected again: the later timer decides
    del _disconnected[session_id]
    if not runtime.exists() or runtime.get_instance().is_active_session(session_id):
        return  # it reconnected and is in use
    try:
        runtime.get_instance().close_session(session_id)
        _empty(state)
    except Exception:  # noqa: BLE001 - never break Streamlit's event loop over a clean-up
        log.exception("Could not empty a closed session")
    global _release_pending
    if not _release_pending:  # tabs closed together are released together
        _release_pending = True
        loop.call_later(1.0, _release)


def _empty(state: Any) -> None:
    """Delete every key of a session's state (a SafeSessionState), as ``st.session_state.clear()``
    does inside a session."""
    for key in list(state.filtered_state):
        del state[key]


def _release() -> None:
    global _release_pending
    _release_pending = False
    release_memory()


_M_ARENA_MAX = -8  # glibc's mallopt parameter number
MALLOC_ARENAS = 2


def limit_malloc_arenas() -> None:
    """Let glibc's malloc use at most :data:`MALLOC_ARENAS` arenas (its default: 8 per core).

    Every thread that allocates may get an arena of its own, and memory freed in one stays
    there: each session's script thread and the background workers (ui/prefetch.py, the early
    build) kept their own. Measured with bench/bench_memory.py (10 tabs of 100k rows, background
    work on): +300 MB above idle after the tabs closed with the default arenas; two from the
    start (MALLOC_ARENA_MAX=2) gave +172 MB, this call in scripts/serve.py +204 MB (+127 MB with
    the background work off). It must come before the second thread starts: glibc fixes the
    limit when it makes its first extra arena, so calling it from the app (after Streamlit's
    threads) does nothing. Linux with glibc only, elsewhere a no-op.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
        except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to ask
            pass


def release_memory() -> None:
    """Free what closed sessions left and return the freed heap to the operating system.

    A closed session's objects form reference cycles (the session, its script runner, its state),
    so they wait for the garbage collector. And pandas and numpy give freed buffers back to glibc's
    malloc, which keeps them for reuse rather than returning them to the OS: measured with
    bench/bench_memory.py (10 tabs of 100k rows closed), the server stayed at 580 MB without
    ``malloc_trim(0)`` and went down to 430 MB with it (278 MB idle). gc ~20 ms, trim ~10 ms; on
    Linux with glibc only, elsewhere a no-op.
    """
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to ask
            pass
