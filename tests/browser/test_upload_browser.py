"""Browser test of the Upload page in real chromium: upload the messy German cp1252 export through
the file input, check the column mapping and its preview, load it, download the rows set aside;
then upload a password-protected workbook and see the message while the dataset stays loaded."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect

MESSY = Path(__file__).resolve().parents[1] / "files" / "messy_de_cp1252.csv"


def locked_workbook(path: Path) -> Path:
    import msoffcrypto.format.ooxml

    book = openpyxl.Workbook()
    book.active.append(["Customer ID", "Date", "Revenue"])
    book.active.append(["A", "2023-01-01", 1.0])
    plain = io.BytesIO()
    book.save(plain)
    plain.seek(0)
    with open(path, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("secret", out)
    return path


def choose_file(page, path: Path) -> None:
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a sales spreadsheet")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(str(path))


def test_upload_messy_export_then_a_locked_workbook(page, app_server, tmp_path):
    # Without the File System Access API the grid's CSV export is a plain download (as in
    # Firefox and Safari), which Playwright can catch.
    page.add_init_script(
        "delete Window.prototype.showSaveFilePicker; delete window.showSaveFilePicker;"
    )
    page.goto(app_server)
    wait_for_app(page)
    choose_file(page, MESSY)
    expect(page.get_by_text("Read 'messy_de_cp1252.csv' with the cp1252 encoding.")).to_be_visible()

    # The guessed mapping, one selectbox per role, shows the German headers.
    for label, column in [
        ("Customer ID *", "Kundennummer"),
        ("Date *", "Bestelldatum"),
        ("Revenue *", "Umsatz"),
        ("Order ID", "Bestellnummer"),
        ("Return flag", "Retoure"),
    ]:
        box = page.get_by_role("combobox", name=label, exact=True)
        expect(box).to_have_value(column)
    # The preview grid (drawn on a canvas) shows the mapped columns with the file's own cells;
    # read it the way a user can take it away: the grid's own "Download as CSV".
    expect(page.get_by_text("Preview of the mapped columns")).to_be_visible()
    preview = page.get_by_test_id("stDataFrame").first
    preview.hover()
    with page.expect_download(timeout=30_000) as info:
        preview.get_by_role("button", name="Download as CSV").click()
    with open(info.value.path(), encoding="utf-8-sig", newline="") as f:
        grid = list(csv.reader(f))
    assert grid[0][:3] == ["Customer ID ← Kundennummer", "Date ← Bestelldatum", "Revenue ← Umsatz"]
    assert grid[1][:3] == ["K-1001", "31.12.2023", "1.234,50 €"]
    assert len(grid) == 12  # header + the 11 data rows (fewer than 15)

    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Use this data").click()
    expect(page.get_by_role("heading", name="Loaded: messy_de_cp1252.csv")).to_be_visible()
    customers = page.get_by_test_id("stMetric").filter(has_text="Customers").first
    expect(customers.get_by_test_id("stMetricValue")).to_have_text("3")
    expect(page.get_by_text("Data quality: 6 of 11 rows kept, 5 set aside")).to_be_visible()

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download the rows set aside (CSV)").click()
    download = info.value
    assert download.suggested_filename == "rows_set_aside.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["Row in file"], r["Reason"]) for r in rows] == [
        ("9", "blank row"),
        ("12", "duplicate of an earlier row (same values in every column)"),
        ("13", "unreadable date"),
        ("14", "missing customer id"),
        ("15", "totals or subtotal row"),
    ]
    assert rows[-1]["Kundennummer"] == "Summe"
    screenshot(page, "upload_messy")

    # A bad file: the message says what to do, and the messy export stays loaded.
    choose_file(page, locked_workbook(tmp_path / "locked.xlsx"))
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("'locked.xlsx' is password-protected.")
    expect(error).to_contain_text("remove the password")
    expect(error).to_contain_text(
        "The previously loaded dataset 'messy_de_cp1252.csv' is still active."
    )
    # Still active, and said so, but its figures are not shown under another file's name.
    expect(
        page.get_by_text("Still loaded: the previous dataset messy_de_cp1252.csv")
    ).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_text("messy_de_cp1252.csv")).to_be_visible()
    screenshot(page, "upload_locked")
