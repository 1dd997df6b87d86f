"""Browser tests on client-style files (tests/files/make_client_files.py): a German Excel export
whose Telefon orders must cost what the cost model charges phone orders, and a GBK Chinese CSV
whose amounts are in yuan."""

from pathlib import Path

import pytest

from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect

FILES = Path(__file__).resolve().parents[1] / "files"


def load_file(page, path: Path) -> None:
    """Choose ``path`` in the Upload page's uploader and load it with the guessed mapping."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a sales spreadsheet")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(str(path))
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Use this data").click()
    expect(page.get_by_role("heading", name=f"Loaded: {path.name}")).to_be_visible()


def test_german_export_telefon_orders_carry_the_phone_rate(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    # The demo first: its figures must not stay under the German file's mapping form.
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a sales spreadsheet")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(str(FILES / "german_export.xlsx"))
    expect(page.get_by_text("Still loaded: the previous dataset")).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_text("Channels", exact=False).first).to_be_visible()
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Use this data").click()
    expect(page.get_by_role("heading", name="Loaded: german_export.xlsx")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Detected EUR from the column header 'Umsatz (€)'.")).to_be_visible()

    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name="Profitability Whale Curve"
        ).click()
    expect(page.get_by_role("heading", name="Profitability whale curve")).to_be_visible()
    # Telefon is read as Phone and priced as phone orders (4 min x €0.65), most costly first;
    # before channels were matched it was "Telefon (€0.00/order)".
    source = page.get_by_role("combobox", name="Move orders from")
    expect(source).to_have_value("Phone (€2.60/order)")
    # The cheapest channel is the default target: Online at the web-shop rate.
    expect(page.get_by_role("combobox", name="to", exact=True)).to_have_value(
        "Online (€0.25/order)"
    )
    expect(page.get_by_text("Telefon")).to_have_count(0)
    # The export has no cost column: the assumed margin is said beside the headline figures.
    strip = page.get_by_text("Assumed: 30% gross margin (no cost column in the file)")
    expect(strip).to_be_visible()
    screenshot(page, "client_german_whale")


def test_chinese_gbk_file_is_read_in_yuan(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    load_file(page, FILES / "chinese_gbk.csv")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("textbox", name="Currency")).to_have_value("CNY")
    expect(sidebar.get_by_text("Detected CNY from the column header '金额(元)'.")).to_be_visible()
    revenue = page.get_by_test_id("stMetric").filter(has_text="Gross revenue").first
    expect(revenue.get_by_test_id("stMetricValue")).to_contain_text("¥")
    screenshot(page, "client_chinese_upload")
    # 线上 / 门店 / 电话 are read as Online / Store / Phone and carry those order costs.
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name="Profitability Whale Curve"
        ).click()
    expect(page.get_by_role("combobox", name="Move orders from")).to_have_value(
        "Phone (¥2.60/order)"
    )
    expect(page.get_by_role("combobox", name="to", exact=True)).to_have_value(
        "Online (¥0.25/order)"
    )
    expect(page.get_by_text("线上")).to_have_count(0)
