"""Work done in the background while the user reads: the dataset built for the mapping on screen
(ui/loaders.start_build), and after a load the pages' first analyses (ui/prefetch.py).

The tests that matter check what happens next: "Use this data" builds nothing, a page opened
afterwards computes nothing. They fail if a page's default settings (its form untouched) drift
from the ones the prefetch assumes, which would make it compute a result no page ever reads.
"""

from __future__ import annotations

import io
import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cvm_core.analyses import sources
from cvm_core.analyses.clv import run as clv_run
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.analyses.segments import run as segments_run
from tests.app.conftest import ROOT
from ui import loaders, prefetch, state

FILES = ROOT / "tests" / "files"

SPIED = {"segments": (segments_run, "run"), "whale": (profitability_run, "run"),
         "clv": (clv_run, "fit")}  # fmt: skip
PAGES = {"segments": "pages/segments.py", "whale": "pages/whale_curve.py", "clv": "pages/clv.py"}


def spy_on(monkeypatch, targets: dict) -> list[tuple[str, str]]:
    """(name, thread name) of every call of the functions ``targets`` names: name -> (module,
    function name)."""
    made: list[tuple[str, str]] = []
    for name, (module, function) in targets.items():
        original = getattr(module, function)

        def spy(*args, _original=original, _name=name, **kwargs):
            made.append((_name, threading.current_thread().name))
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, function, spy)
    return made


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, str]]:
    """(analysis, thread name) of every call of the pages' analyses."""
    return spy_on(monkeypatch, SPIED)


@pytest.fixture
def background_on(monkeypatch) -> None:
    """The background work on, and no analysis left in the caches by another test of the same
    data (the tests check what is computed, and where)."""
    monkeypatch.setenv(prefetch.ENV, "1")
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(autouse=True)
def _background_joined():
    """Each test's background analyses finished before the next test (and before the interpreter
    exits: a daemon thread stopped inside numpy or DuckDB at exit aborted the process, rc 134, in
    4 of 6 runs of this file alone, after every test had passed)."""
    yield
    join_prefetch()


def join_prefetch() -> None:
    for threads in list(prefetch._threads.values()):
        for thread in threads:
            thread.join(timeout=300)


def load_demo(at: AppTest) -> AppTest:
    at.switch_page("pages/upload.py").run()
    next(b for b in at.button if b.label.startswith(f"Load {loaders.DEMO_RETAIL}")).click()
    return at.run()


def test_pages_opened_after_a_load_find_their_first_analysis_computed(background_on, calls):
    at = load_demo(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300))
    assert not at.exception and not at.error
    join_prefetch()
    assert sorted(calls) == [
        ("clv", "cvm-prefetch-clv"), ("segments", "cvm-prefetch-segments-whale"),
        ("whale", "cvm-prefetch-segments-whale"),
    ]  # fmt: skip
    calls.clear()
    for name, page in PAGES.items():  # in menu order, as a user walks them
        at.switch_page(page).run()
        assert not at.exception and not at.error, name
    assert calls == []


def test_the_scorecard_opened_first_uses_the_prefetched_fit_and_pnl(background_on, calls):
    # Its default CLV comes from the CLV page's fit cache and its P&L from the Whale page's, at
    # the rates that page starts with: the prefetch has made both.
    at = load_demo(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300))
    join_prefetch()
    calls.clear()
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception and not at.error
    assert calls == []


def test_no_prefetch_when_turned_off(monkeypatch, calls):
    monkeypatch.setenv(prefetch.ENV, "0")
    at = load_demo(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300))
    assert not at.exception
    assert calls == []


@pytest.fixture
def builds(monkeypatch) -> list[tuple[str, str]]:
    """(step, thread name) of every dataset build and customer summary (the pages' summary is
    the transaction source's)."""
    return spy_on(
        monkeypatch,
        {
            "build": (loaders, "build_dataset"),
            "summary": (sources, "customer_summary"),
            "months": (sources, "monthly_activity"),
            "gaps": (sources, "gap_profile"),
        },
    )


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key="upload.file").set_value((name, data, "text/csv"))
    return at.run()


def not_prefetch(builds: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The calls outside the pages' prefetch (an earlier test's may still be finishing)."""
    return [(step, thread) for step, thread in builds if not thread.startswith("cvm-prefetch")]


def wait_for_early_builds(at: AppTest) -> None:
    for future in list(at.session_state[state.UPLOAD_EARLY].values()):
        future.exception(timeout=120)  # done, whether it failed or not


def built_early(first: str) -> list[tuple[str, str]]:
    """What the early build does before any click, in its thread: ``first`` (the build or the
    large file's check), the summary, the overview's months and the gaps between purchases the
    sidebar's churn-rule assumption comes from."""
    return [(step, "cvm-early-build_0") for step in (first, "summary", "months", "gaps")]


def test_use_this_data_finds_the_dataset_built_while_the_mapping_was_checked(background_on, builds):
    messy = (FILES / "messy_de_cp1252.csv").read_bytes()
    at = upload(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300), "messy.csv", messy)
    assert not at.exception and not at.error
    wait_for_early_builds(at)
    assert not_prefetch(builds) == built_early("build")
    builds.clear()
    at.button(key=f"{loaders.digest(messy)}.load").click()
    at.run()
    assert not at.exception and not at.error
    assert at.session_state[state.DATASET].transactions["revenue"].tolist() == [
        1234.5, 89.9, -12.5, -45.0, -310.0, 2000.0,
    ]  # fmt: skip
    assert {m.label: m.value for m in at.metric}["Customers"] == "3"
    assert [step for step, _thread in builds if step == "build"] == []  # nothing built again
    in_the_run = [step for step, thread in builds if thread == "ScriptRunner.scriptThread"]
    assert in_the_run == []  # no summary, months or gaps made between the click and the overview


def test_a_large_file_is_checked_and_summarised_by_duckdb_while_the_mapping_is_checked(
    background_on, monkeypatch, tmp_path, demo_dataset
):
    """A file too large for memory: DuckDB's check of the file, the summary, the months and the
    gaps (6.3 s after the click at 10M lines) run while the user reads the mapping form."""
    from cvm_core.intake import large_files

    monkeypatch.setattr(large_files, "LARGE_FILE_ROWS", 1000)  # the demo data counts as large
    monkeypatch.setenv("CVM_UPLOAD_DIR", str(tmp_path))
    builds = spy_on(monkeypatch, {
        "check": (large_files, "dataset_from_file"),
        "summary": (sources.FileSource, "summary"),
        "months": (sources.FileSource, "monthly_activity"),
        "gaps": (sources.FileSource, "gap_profile"),
    })  # fmt: skip
    buffer = io.BytesIO()
    demo_dataset.transactions[["customer_id", "date", "revenue", "order_id"]].to_parquet(buffer)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at = upload(app, "big.parquet", buffer.getvalue())
    assert not at.exception and not at.error
    wait_for_early_builds(at)
    assert not_prefetch(builds) == built_early("check")
    builds.clear()
    at.button(key=f"{loaders.digest(buffer.getvalue())}.load").click()
    at.run()
    assert not at.exception and not at.error
    assert at.session_state[state.DATASET].transaction_file is not None
    assert {m.label: m.value for m in at.metric}["Customers"] == "4,000"
    in_the_run = [step for step, thread in builds if thread == "ScriptRunner.scriptThread"]
    assert in_the_run == []  # nothing checked or summarised between the click and the overview


def test_an_early_build_that_fails_is_reported_on_use_and_not_started_again(monkeypatch, builds):
    # Day and month cannot be told apart: the build asks which it is, as without the prefetch.
    monkeypatch.setenv(prefetch.ENV, "1")
    data = b"Customer ID,Date,Revenue\nA,03/04/2024,10\nB,05/06/2024,20\n"
    at = upload(AppTest.from_file(str(ROOT / "app.py"), default_timeout=300), "us.csv", data)
    wait_for_early_builds(at)
    assert not_prefetch(builds) == [("build", "cvm-early-build_0")]
    key = loaders.digest(data)
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception
    assert state.DATASET not in at.session_state
    assert any("please choose day first or month first" in w.value for w in at.warning)
    at.radio(key=f"{key}.date_order").set_value("monthfirst").run()
    wait_for_early_builds(at)
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dates = at.session_state[state.DATASET].transactions["date"].dt.strftime("%Y-%m-%d")
    assert dates.tolist() == ["2024-03-04", "2024-05-06"]
    # The failing mapping was built once; the chosen order once more, in the background.
    assert [b for b in builds if b[0] == "build"] == [("build", "cvm-early-build_0")] * 2
