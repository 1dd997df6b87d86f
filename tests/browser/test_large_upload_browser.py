"""Browser test of a large upload in real chromium: a Parquet file over the size for large files
(lowered to 1,000 rows on a server of its own) is mapped on its first rows, loaded from disk,
and shows its figures; the customer view opens from the file's rows."""

import io
import os
import tempfile
from pathlib import Path

import pytest

from cvm_core import formatting
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from tests.browser.conftest import REPO_ROOT, _AppServers
from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect

COLUMNS = ["customer_id", "date", "revenue", "is_return", "order_id", "channel", "category"]


@pytest.fixture(scope="module")
def demo_transactions():
    path = demo_workbook.DEMO_WORKBOOK_PATH
    return load_file(path.read_bytes(), path.name).transactions[COLUMNS]


@pytest.fixture(scope="module")
def large_server():
    """The app with files of more than 1,000 rows counted as large, uploads in a test folder."""
    uploads = tempfile.mkdtemp(prefix="cvm-large-uploads-")
    changed = {"CVM_LARGE_FILE_ROWS": "1000", "CVM_UPLOAD_DIR": uploads}
    before = {name: os.environ.get(name) for name in changed}
    os.environ.update(changed)  # the server copies the environment when it starts
    servers = _AppServers(Path(tempfile.mkdtemp(prefix="cvm-large-logs-")))
    try:
        url = servers.start(REPO_ROOT / "app.py")
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    yield url, Path(uploads)
    servers.stop_all()


def test_a_large_parquet_loads_from_disk_and_opens_a_customer(
    page, large_server, demo_transactions, tmp_path
):
    url, uploads = large_server
    parquet = tmp_path / "sales.parquet"
    buffer = io.BytesIO()
    demo_transactions.to_parquet(buffer)
    parquet.write_bytes(buffer.getvalue())
    rows = formatting.count(len(demo_transactions))

    page.goto(url)
    wait_for_app(page)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a sales spreadsheet")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(str(parquet))
    expect(page.get_by_text(f"This file has {rows} rows, more than 1,000")).to_be_visible()
    assert len(list(uploads.glob("*.parquet"))) == 1  # on the server's disk before the click
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Use this data").click()
    expect(page.get_by_role("heading", name="Loaded: sales.parquet")).to_be_visible()
    customers = page.get_by_test_id("stMetric").filter(has_text="Customers").first
    expect(customers.get_by_test_id("stMetricValue")).to_have_text("4,000")
    transactions = page.get_by_test_id("stMetric").filter(has_text="Transactions").first
    expect(transactions.get_by_test_id("stMetricValue")).to_have_text(rows)
    screenshot(page, "large_upload_overview")

    # One customer's history comes from the file (a DuckDB query), as in memory.
    customer = str(demo_transactions["customer_id"].iloc[0])
    sidebar = page.get_by_test_id("stSidebar")
    search = sidebar.get_by_role("textbox", name="Open a customer (id or name)")
    with expect_rerun(page):
        search.fill(customer)
        search.press("Enter")
    with expect_rerun(page, timeout_ms=120_000):
        sidebar.get_by_role("button", name="Open customer", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Operating profit to date")).to_be_visible(timeout=60_000)
    expect(dialog.get_by_text(customer, exact=False).first).to_be_visible()
    screenshot(page, "large_upload_customer")
