"""A rerun with nothing changed computes nothing: every analysis comes from a cache.

A widget click anywhere (opening an expander's download, a tab's button) reruns the whole page;
if an analysis ran again the page would lag by its full cost (issue 17). The spies count calls of
the core's analysis functions on a second run of each page with the same session.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.retention import active as retention_active
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.analyses.segments import run as segments_run
from cvm_core.analyses.sources import FrameSource
from cvm_core.intake import summary
from ui import data, state

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["pages/segments.py", "pages/whale_curve.py", "pages/clv.py", "pages/retention.py",
         "pages/scorecard.py"]  # fmt: skip
SPIED = [
    (summary, "customer_summary"),
    (segments_run, "run"),
    (profitability_run, "run"),
    (clv_run, "fit"),
    (clv_run, "value"),
    (retention_run, "run"),
    (scorecard_run, "run"),
    (retention_active, "active_customers"),
]
"""Each analysis's one run function (the registry's), as the pages call them, and the count of
active customers every headline shows."""


@pytest.fixture(scope="module")
def warm_app(demo_dataset) -> AppTest:
    """The app with every page visited once (results cached and shared)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[state.DATASET] = demo_dataset
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
    return at


@pytest.mark.parametrize("page", PAGES)
def test_a_plain_rerun_computes_no_analysis(warm_app, page, monkeypatch):
    warm_app.switch_page(page).run()  # the page as the user left it
    calls: list[str] = []
    for module, name in SPIED:
        original = getattr(module, name)

        def spy(*args, _original=original, _name=f"{module.__name__}.{name}", **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    warm_app.run()
    assert not warm_app.exception
    assert calls == []


def test_the_sidebar_counts_customers_once_per_dataset(demo_dataset, monkeypatch):
    """The sidebar's customer count (every run of every page) is kept per dataset: counting the
    distinct ids of 1M transactions cost 40 ms of each rerun."""
    data._distinct_customers.clear()
    rows = len(demo_dataset.transactions)
    passes: list[int] = []
    original = pd.Series.nunique

    def spy(self, *args, **kwargs):
        if len(self) == rows:
            passes.append(rows)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.Series, "nunique", spy)
    assert data.customer_count(demo_dataset) == 4000  # the demo's customers
    assert data.customer_count(demo_dataset) == 4000
    assert passes == [rows]


def test_a_cache_hit_starts_no_spinner(monkeypatch):
    """Each st.spinner starts a thread and sends a message even when it never shows (17 ms of a
    CLV slider move at 1M rows for the summary's alone): only work not found in the cache gets
    one, and work whose result was dropped from memory gets one again."""
    shown: list[str] = []

    @contextlib.contextmanager
    def spinner(text, *args, **kwargs):
        shown.append(text)
        yield

    monkeypatch.setattr(st, "spinner", spinner)
    made = {"table": pd.DataFrame({"x": [1]})}
    data.with_spinner("Working…", ("test", 1), lambda: made["table"])
    data.with_spinner("Working…", ("test", 1), lambda: made["table"])  # still alive: a hit
    data.with_spinner("Working…", ("test", 2), lambda: made["table"])  # another key
    assert shown == ["Working…", "Working…"]
    made.clear()  # the cache let it go: the next call computes, under a spinner
    gc.collect()
    data.with_spinner("Working…", ("test", 1), lambda: pd.DataFrame({"x": [2]}))
    assert shown == ["Working…"] * 3


def counted(monkeypatch, module, name: str) -> list[int]:
    """One entry per call of ``module.name`` from now on (the function still runs)."""
    calls: list[int] = []
    original = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_a_horizon_move_does_not_count_active_customers_again(demo_dataset, monkeypatch):
    """P(alive) comes from the fit alone: the active count under the churn rule is kept per fit
    (ui/clv.active_customers), so the horizon slider does not walk every customer again."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[state.DATASET] = demo_dataset
    at.switch_page("pages/clv.py").run()
    headline = [m.value for m in at.metric]
    calls = counted(monkeypatch, retention_active, "active_customers")
    horizon = next(s for s in at.slider if "horizon" in s.label.lower())
    horizon.set_value(horizon.value + 6).run()
    assert not at.exception
    assert calls == []
    assert [m.value for m in at.metric] != headline  # the values did follow the horizon


def test_no_page_writes_into_the_customer_summary_they_share(warm_app, demo_dataset, monkeypatch):
    """Every page reads one cached summary, each run a shallow copy of it (ui/data.py): a page
    may add columns to its copy, but a value written into it would reach every other page."""
    end = demo_dataset.observation_end

    def not_cached(*_args):
        pytest.fail("the summary the pages read is not in the cache")

    monkeypatch.setattr(data, "dataset_source", not_cached)
    shared = data._cached_summary(demo_dataset, demo_dataset.fingerprint, "week", end.date())
    monkeypatch.undo()
    pd.testing.assert_frame_equal(
        shared, FrameSource(demo_dataset.transactions).summary("week", end)
    )


def test_a_fit_that_failed_is_not_fitted_again_on_the_next_click(monkeypatch):
    """A cache keeps no exception: on data the models cannot fit (the German test export: 300
    customers, 279 of them repeat buyers, BG/NBD not identifiable) every click of the CLV page
    fitted again, 9 s each in the browser, to fail the same way. The failure is kept too."""
    from cvm_core.intake.dataset import load_file

    path = ROOT / "tests" / "files" / "german_export.xlsx"
    dataset = load_file(path.read_bytes(), path.name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[state.DATASET] = dataset
    at.switch_page("pages/clv.py").run()
    assert not at.exception
    failed = [e.value for e in at.error]
    assert any("not identifiable" in text for text in failed)
    fits = counted(monkeypatch, clv_run, "fit")
    horizon = next(s for s in at.slider if "horizon" in s.label.lower())
    horizon.set_value(horizon.value - 3).run()
    assert not at.exception
    assert fits == []
    assert [e.value for e in at.error] == failed  # the same message, in the same place
