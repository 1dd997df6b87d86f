"""AppTest of a large upload: a Parquet file over the stated size is saved to disk, mapped on a
sample and analysed by DuckDB; the Upload page's figures and every page work from it as from the
same rows in memory (the size is lowered here so that the demo data counts as large)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pptx import Presentation

from cvm_core import formatting
from cvm_core.intake import large_files
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.schema import ColumnMapping
from cvm_core.outputs import deck
from tests.app.conftest import open_app, open_in_app, run_page
from tests.unit.engine_files import write_parquet
from ui import deck_dialog, exports, loaders, state

COLUMNS = ["customer_id", "date", "revenue", "is_return", "order_id", "channel", "category"]
COLUMNS += ["cost", "quantity", "product"]
PARQUET = "application/octet-stream"


@pytest.fixture(scope="module")
def demo_parquet(demo_dataset) -> bytes:
    buffer = io.BytesIO()
    demo_dataset.transactions[COLUMNS].to_parquet(buffer)
    return buffer.getvalue()


@pytest.fixture
def small_limit(monkeypatch, tmp_path):
    """Files of more than 1,000 rows count as large; uploads are kept in a test folder."""
    monkeypatch.setattr(large_files, "LARGE_FILE_ROWS", 1000)
    monkeypatch.setenv("CVM_UPLOAD_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def file_dataset(demo_dataset, tmp_path_factory):
    path = write_parquet(
        demo_dataset.transactions[COLUMNS], tmp_path_factory.mktemp("large") / "demo.parquet"
    )
    rows = len(demo_dataset.transactions)
    mapping = ColumnMapping(
        {c: c for c in COLUMNS if c != "is_return"} | {"return_flag": "is_return"}
    )
    return large_files.dataset_from_file(path, "demo.parquet", mapping, "large-demo", rows)


def test_a_large_parquet_is_mapped_on_a_sample_and_loaded_from_disk(
    small_limit, demo_parquet, demo_dataset
):
    at = run_page("pages/upload.py")
    at.file_uploader(key="upload.file").set_value(("sales.parquet", demo_parquet, PARQUET))
    at.run()
    assert not at.exception and not at.error
    rows = formatting.count(len(demo_dataset.transactions))
    assert f"This file has {rows} rows, more than 1,000" in at.info[0].value
    assert not at.radio  # typed dates: no date-order question
    key = loaders.digest(demo_parquet)
    assert [p.name for p in small_limit.iterdir()] == [f"{key}.parquet"]  # on disk already
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.transaction_file is not None and dataset.transactions.empty
    shown = {m.label: m.value for m in at.metric}
    assert shown["Customers"] == "4,000"
    assert shown["Transactions"] == rows
    assert shown["Gross margin"].startswith("€")
    texts = [e.value for e in [*at.info, *at.markdown, *at.caption]]
    assert any("stays on the server's disk and DuckDB computes" in t for t in texts)


def test_a_large_file_with_a_text_amount_says_why(small_limit, demo_dataset):
    frame = demo_dataset.transactions[["customer_id", "date", "revenue"]].astype({"revenue": str})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    raw = buffer.getvalue()
    at = run_page("pages/upload.py", demo_dataset)
    at.file_uploader(key="upload.file").set_value(("text.parquet", raw, PARQUET))
    at.run()
    at.button(key=f"{loaders.digest(raw)}.load").click()
    at.run()
    assert not at.exception
    assert "Column 'revenue' holds string values" in at.error[0].value
    assert at.session_state[state.DATASET] is demo_dataset  # the previous data stays loaded


@pytest.mark.parametrize(
    "page",
    [
        "pages/segments.py",
        "pages/whale_curve.py",
        "pages/clv.py",
        "pages/retention.py",
        "pages/scorecard.py",
        "pages/pipeline.py",
    ],
)
def test_every_page_runs_on_a_large_file(page, file_dataset):
    at = open_in_app(page, file_dataset)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title or at.header or at.subheader


def test_the_deck_workbook_and_workspace_of_a_large_file(file_dataset, demo_dataset, downloads):
    """The exports read the file through DuckDB and tell the story the same rows in memory tell."""
    memory = dataset_from_frame(demo_dataset.transactions[COLUMNS], "demo.parquet")
    titles = {}
    for name, dataset in (("file", file_dataset), ("memory", memory)):
        at = open_app(dataset)
        assert not at.exception
        settings = exports.collect_settings(at.session_state.to_dict(), dataset)
        story = deck_dialog._build_story(dataset, settings, [], None)
        prs = Presentation(io.BytesIO(deck.build_deck("", dataset.name, story)))
        titles[name] = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    assert titles["file"] == titles["memory"]
    assert "Where we stand: revenue and active customers by month" in titles["file"]
    at = open_app(file_dataset)
    book = next(f for name, f in downloads.items() if name.endswith(".xlsx"))()
    assert openpyxl.load_workbook(io.BytesIO(book)).sheetnames[0] == "About"
    # A file this large is not packed into a workspace: the box is off and says why.
    assert at.sidebar.checkbox(key=exports.WS_INCLUDE_DATA).disabled
    assert any("too large to pack into a workspace" in c.value for c in at.sidebar.caption)
