"""A rerun with nothing changed computes nothing: every analysis comes from a cache.

A widget click anywhere (opening an expander's download, a tab's button) reruns the whole page;
if an analysis ran again the page would lag by its full cost (issue 17). The spies count calls of
the core's analysis functions on a second run of each page with the same session.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.profitability import run as profitability_run
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
]
"""Each analysis's one run function (the registry's), as the pages call them."""


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
