"""Browser test of the sidebar exports: load the demo data, name the client, download the deck and
the workbook, save the workspace and open it again; every file is reopened and checked."""

import io
import json
import re

import openpyxl
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from tests.browser.helpers import expect_rerun, open_with_demo, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def download(page, label: str):
    sidebar = page.get_by_test_id("stSidebar")
    with page.expect_download(timeout=180_000) as info:
        sidebar.get_by_role("button", name=label).click()
    return info.value


def test_deck_workbook_and_workspace_from_the_sidebar(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name="Make deck…")).to_be_visible()
    client = sidebar.get_by_label("Client name (title slide)")
    with expect_rerun(page):
        client.fill("Acme GmbH")
        client.press("Enter")

    # The deck: a dialog lists the story's slides with checkboxes; untick one, build, download.
    sidebar.get_by_role("button", name="Make deck…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Executive summary")).to_be_visible(timeout=120_000)
    dialog.get_by_text("How we score: key customer measures").click()  # untick
    dialog.get_by_role("button", name="Build the deck").click()
    get = dialog.get_by_role("button", name=re.compile(r"Download deck \(\d+ slides"))
    expect(get).to_be_visible(timeout=120_000)
    screenshot(page, "deck_dialog")
    with page.expect_download(timeout=60_000) as info:
        get.click()
    deck = info.value
    assert deck.suggested_filename.endswith(".pptx")
    with open(deck.path(), "rb") as f:
        prs = Presentation(io.BytesIO(f.read()))
    slides = list(prs.slides)
    titles = [s.shapes.title.text for s in slides]
    assert titles[0] == "Customer value review: Acme GmbH"
    assert titles[1] == "Executive summary"
    assert titles[2] == "Where we stand: revenue and active customers by month"
    assert "How we score: key customer measures" not in titles  # unticked
    assert "Appendix" in titles
    assert titles[-1].startswith("Customer management scorecard")
    for slide in slides[2:4]:
        assert sum(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in slide.shapes) == 1
    assert any(sh.has_table for sh in slides[-1].shapes)
    page.keyboard.press("Escape")

    book = download(page, "Download workbook")
    assert book.suggested_filename.endswith(".xlsx")
    with open(book.path(), "rb") as f:
        workbook = openpyxl.load_workbook(io.BytesIO(f.read()))
    assert workbook.sheetnames[:2] == ["About", "Customers"]
    assert workbook["Customers"].max_row == 4001

    sidebar.get_by_text("Workspace", exact=True).click()
    saved = download(page, "Save workspace")
    assert saved.suggested_filename.endswith("_workspace.json")
    with open(saved.path(), "rb") as f:
        content = f.read()
    document = json.loads(content)
    assert document["format"] == "cvm-workspace"
    assert document["version"] == 2
    assert document["page"]["cvm.export.client"] == "Acme GmbH"

    # Open it again: the settings come back and the sidebar says so.
    with expect_rerun(page):
        client.fill("Someone else")
        client.press("Enter")
    uploader = sidebar.get_by_test_id("stFileUploader")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(
            {"name": "workshop.json", "mimeType": "application/json", "buffer": content}
        )
    expect(sidebar.get_by_test_id("stAlert").filter(has_text="Workspace opened")).to_be_visible()
    expect(client).to_have_value("Acme GmbH")
    screenshot(page, "exports_sidebar")


def clv_total(book_download) -> float:
    """The sum of the workbook's CLV column (Customers sheet)."""
    with open(book_download.path(), "rb") as f:
        customers = openpyxl.load_workbook(io.BytesIO(f.read()))["Customers"]
    headers = [c.value for c in customers[1]]
    assert "CLV (EUR)" in headers, headers
    j = headers.index("CLV (EUR)")
    return sum(row[j] for row in customers.iter_rows(min_row=2, values_only=True))


def test_the_workbook_has_the_clv_the_page_shows(page, app_server):
    """The sidebar is drawn before the page: a workbook built from what it saw lacked the CLV on
    a first visit of the CLV page, and kept the old values after a horizon move."""
    open_with_demo(page, app_server, "Customer Lifetime Value")
    expect(page.get_by_role("heading", name="Customer lifetime value")).to_be_visible()
    at_36 = clv_total(download(page, "Download workbook"))  # the first visit: CLV is there
    slider = page.get_by_role("slider", name="CLV horizon (months)")
    with expect_rerun(page, timeout_ms=120_000):
        slider.press("Home")  # the shortest horizon
    expect(page.get_by_text(re.compile(r"Total CLV, next \d month"))).to_be_visible()
    shorter = clv_total(download(page, "Download workbook"))
    assert 0 < shorter < at_36  # fewer months ahead hold less future value
