"""The gate between scripts/serve.py's start-up warm-up and the first session.

serve.py imports every cvm_core module (and with them scikit-learn, scipy, pandas) in a background
thread while the server starts. A visitor arriving during that import made two threads import the
same packages at once, and Python's import locks then gave up on scikit-learn's circular imports
with ``_DeadlockError`` (the fresh-machine test's first page crashed once in CI). So app.py waits
here for the warm-up before it imports the core; the warm-up's imports are the ones it needs, so
the wait costs the visitor nothing. Without serve.py (``streamlit run``, the app tests) the gate
stands open.
"""

from __future__ import annotations

import threading

_WARM_UP_DONE = threading.Event()
_WARM_UP_DONE.set()
LONGEST_WAIT_S = 120.0
"""A warm-up stuck longer than this (a slow disk) no longer holds the page back."""


def warm_up_started() -> None:
    _WARM_UP_DONE.clear()


def warm_up_finished() -> None:
    _WARM_UP_DONE.set()


def wait_for_warm_up() -> None:
    """Return once no warm-up is importing (at once when none ran)."""
    _WARM_UP_DONE.wait(LONGEST_WAIT_S)
