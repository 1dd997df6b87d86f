"""AppTest fixtures: datasets built once per session, and a page runner with the dataset loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cvm_core.intake import cdnow, demo_workbook
from cvm_core.intake.dataset import Dataset, dataset_from_frame, load_file
from ui import state

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def background_work_starts_at_once(monkeypatch):
    """In the server, background work waits for the run that started it to reach the browser
    (ui/prefetch.AFTER_SECONDS, ui/reload.PACK_AFTER_SECONDS); AppTest has no browser, and the
    tests that wait for that work would wait out every delay queued before them."""
    from ui import prefetch, reload

    monkeypatch.setattr(prefetch, "AFTER_SECONDS", 0.0)
    monkeypatch.setattr(reload, "PACK_AFTER_SECONDS", 0.0)


@pytest.fixture(scope="session")
def demo_dataset() -> Dataset:
    """The committed demo workbook, read through the same pipeline as an upload."""
    return load_file(
        demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), demo_workbook.DEMO_WORKBOOK_PATH.name
    )


@pytest.fixture(scope="session")
def cdnow_dataset() -> Dataset:
    return dataset_from_frame(cdnow.load_cdnow_transactions(), "CDNOW sample", currency="USD")


def run_page(page: str, dataset: Dataset | None = None, timeout: float = 120, **session) -> AppTest:
    """Run one page file (e.g. "pages/clv.py") with a dataset active and extra session state."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    return at.run()


def open_app(dataset: Dataset, **params: str) -> AppTest:
    """app.py's first run (sidebar and Upload page) with ``dataset`` active and the address
    bar's query parameters ``params`` (a link or a reload)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[state.DATASET] = dataset
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def open_in_app(page: str, dataset: Dataset, timeout: float = 180, **session) -> AppTest:
    """``page`` reached through app.py, as a user would: page links only resolve inside the app's
    navigation, so a page that links to others cannot run alone (see :func:`run_page`)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    return at.switch_page(page).run()


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """file name -> the callable its deferred download button would run when clicked (latest run)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    registered: dict = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        registered[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return registered


def as_read(markdown: str) -> str:
    """A message as the user reads it: user text (file and dataset names, quoted cells) reaches
    Markdown escaped, 'demo\\_retail.xlsx' renders as 'demo_retail.xlsx'."""
    import re

    return re.sub(r"\\([\\`*_\[\]<>~$|:#])", r"\1", markdown)
