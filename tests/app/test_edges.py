"""Every page survives small, odd datasets that load without complaint (issue 16, item 2): one
day of sales, only returns, dates decades apart. Each page runs inside the app's navigation
(as a user reaches it) and must say what it needs instead of raising."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core.intake.dataset import dataset_from_frame
from tests.app.conftest import ROOT
from ui import state

PAGES = ["pages/segments.py", "pages/whale_curve.py", "pages/clv.py", "pages/retention.py",
         "pages/scorecard.py", "pages/pipeline.py"]  # fmt: skip
ROWS = {
    "one day": [("A", "2024-01-02", 10.0), ("B", "2024-01-02", 20.0), ("C", "2024-01-02", 5.0)],
    "only returns": [
        ("A", "2024-01-02", -10.0),
        ("B", "2024-02-02", -20.0),
        ("C", "2024-03-02", -5.0),
    ],  # fmt: skip
    "far dates": [
        ("A", "2024-01-02", 10.0),
        ("B", "2026-11-30", 20.0),  # the intake sets aside dates before 1990 or a year ahead;
        ("C", "1990-01-02", 5.0),  # these are as far apart as it lets through
        ("A", "2024-03-01", 7.0),
    ],  # fmt: skip
}


def odd_dataset(name: str):
    frame = pd.DataFrame(ROWS[name], columns=["Customer ID", "Date", "Revenue"])
    return dataset_from_frame(frame, name, currency="EUR")


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("page", PAGES)
def test_no_page_raises_on_odd_data(name, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[state.DATASET] = odd_dataset(name)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_retention_says_it_needs_a_sale():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[state.DATASET] = odd_dataset("only returns")
    at.switch_page("pages/retention.py")
    at.run()
    assert any("Retention needs at least one sale" in e.value for e in at.error)


def test_one_day_of_data_switches_the_holdout_off():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    dataset = odd_dataset("one day")
    at.session_state[state.DATASET] = dataset
    at.switch_page("pages/clv.py")
    at.run()
    holdout = next(t for t in at.toggle if t.label == "Validate on a holdout")
    assert holdout.value is False and holdout.disabled
