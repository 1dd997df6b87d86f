"""The background prefetch after a load (ui/prefetch.py): the pages' first analyses are computed
while the user reads the overview, and the pages then find them in their own caches.

The test that matters is the second half: a page opened afterwards computes nothing. It fails if
a page's default settings (its form untouched) drift from the ones the prefetch assumes, which
would make the prefetch compute a result no page ever reads.
"""

from __future__ import annotations

import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.segments import run as segments_run
from tests.app.conftest import ROOT
from ui import loaders, prefetch

SPIED = {"segments": (segments_run, "run"), "whale": (profitability_run, "run"),
         "clv": (clv_run, "fit")}  # fmt: skip
PAGES = {"segments": "pages/segments.py", "whale": "pages/whale_curve.py", "clv": "pages/clv.py"}


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, str]]:
    """(analysis, thread name) of every call of the pages' analyses."""
    made: list[tuple[str, str]] = []
    for name, (module, function) in SPIED.items():
        original = getattr(module, function)

        def spy(*args, _original=original, _name=name, **kwargs):
            made.append((_name, threading.current_thread().name))
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, function, spy)
    return made


def load_demo(at: AppTest) -> AppTest:
    at.switch_page("pages/upload.py").run()
    next(b for b in at.button if b.label.startswith(f"Load {loaders.DEMO_RETAIL}")).click()
    return at.run()


def test_pages_opened_after_a_load_find_their_first_analysis_computed(monkeypatch, calls):
    monkeypatch.setenv(prefetch.ENV, "1")
    st.cache_resource.clear()  # nothing left from other tests of the same demo data
    st.cache_data.clear()
    at = load_demo(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300))
    assert not at.exception and not at.error
    for thread in list(prefetch._threads.values()):
        thread.join(timeout=300)
    assert sorted(calls) == [
        ("clv", "cvm-prefetch"), ("segments", "cvm-prefetch"), ("whale", "cvm-prefetch"),
    ]  # fmt: skip
    calls.clear()
    for name, page in PAGES.items():  # in menu order, as a user walks them
        at.switch_page(page).run()
        assert not at.exception and not at.error, name
    assert calls == []


def test_the_scorecard_opened_first_uses_the_prefetched_fit_and_pnl(monkeypatch, calls):
    # Its default CLV comes from the CLV page's fit cache and its P&L from the Whale page's, at
    # the rates that page starts with: the prefetch has made both.
    monkeypatch.setenv(prefetch.ENV, "1")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = load_demo(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300))
    for thread in list(prefetch._threads.values()):
        thread.join(timeout=300)
    calls.clear()
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception and not at.error
    assert calls == []


def test_no_prefetch_when_turned_off(monkeypatch, calls):
    monkeypatch.setenv(prefetch.ENV, "0")
    at = load_demo(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300))
    assert not at.exception
    assert calls == []
