"""Browser test of the Scorecard page: load the demo data, open the page, read the headline, type
a target into the scorecard grid, switch to months, download the scorecard."""

import csv
import io
import re

import pytest

from cvm_core.analyses.scorecard.specs import SPECS
from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api")
expect, PlaywrightTimeout = sync_api.expect, sync_api.TimeoutError

# Column widths set in ui/scorecard.py (Measure, value, previous, change, trend), to find the
# Target cell on the grid's canvas.
TARGET_X = 290 + 95 + 95 + 85 + 80 + 47
ROW_Y = 35 + 17  # the first data row, below the header
TYPED_X = 290 + 420 + 55  # the "Your value" column of the typed-in values grid


def grid_cells(grid, waiting_for: str) -> list[str]:
    """The grid's cell texts (its accessible table mirrors the canvas), once ``waiting_for`` is
    among them: an edit gives the grid a new key, so it is drawn again after the rerun."""
    expect(grid.locator("td").filter(has_text=waiting_for).first).to_be_attached(timeout=30_000)
    cells = grid.locator("td")
    return [cells.nth(i).inner_text() for i in range(cells.count())]


def edit_cell(page, grid, x: float, text: str) -> None:
    """Type ``text`` into the first row's cell at ``x`` px from the grid's left edge."""
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # let the scroll settle before reading the position
    box = grid.bounding_box()
    editor = page.locator("textarea.gdg-input").first
    for _ in range(3):  # the first double click may only take the focus from another grid
        page.mouse.dblclick(box["x"] + x, box["y"] + ROW_Y)
        try:
            editor.wait_for(state="visible", timeout=2_000)
            break
        except PlaywrightTimeout:
            continue
    expect(editor).to_be_visible(timeout=10_000)
    editor.fill(text)
    with expect_rerun(page, timeout_ms=60_000):
        page.keyboard.press("Enter")


def test_scorecard_page_on_the_demo_data(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=180_000):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Scorecard").click()
    expect(page.get_by_role("heading", name="Customer management scorecard")).to_be_visible()
    expect(page.get_by_text("Q4 2024", exact=True).first).to_be_visible()

    metrics = page.get_by_test_id("stMetric")
    revenue = metrics.filter(has_text="Revenue per customer").get_by_test_id("stMetricValue")
    expect(revenue).to_have_text(re.compile(r"^€\d{3}$"))
    grids = page.get_by_test_id("stDataFrame")
    expect(grids).to_have_count(7)  # six perspectives and the typed-in values
    assert page.get_by_test_id("stVegaLiteChart").count() >= 3

    # Acquisition's first row is New customers (204 in Q4 2024): a target of 250 is off target.
    edit_cell(page, grids.nth(3), TARGET_X, "250")
    cells = grid_cells(page.get_by_test_id("stDataFrame").nth(3), "🔴 off target")
    row = cells[cells.index("New customers") : cells.index("New customers") + 8]
    assert row[1] == "204" and row[5] == "250" and row[6] == "🔴 off target"

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Scorecard (CSV)").click()
    download = info.value
    assert download.suggested_filename == "scorecard.csv"
    with open(download.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert len(rows) == len(SPECS)  # one row per measure (27)
    new = next(r for r in rows if r["Measure"] == "New customers")
    assert (new["Value (Q4 2024)"], new["Target"], new["Status"]) == ("204", "250", "off target")
    screenshot(page, "scorecard_demo")

    # A survey result typed in for a measure the data cannot support.
    edit_cell(page, page.get_by_test_id("stDataFrame").nth(6), TYPED_X, "72")  # satisfaction
    cells = grid_cells(page.get_by_test_id("stDataFrame").nth(1), "72.0%")  # Customer outcomes
    satisfied = cells.index("Customers highly satisfied")
    assert cells[satisfied + 1] == "72.0%"

    # Months: the period selector lists months, the latest complete one first.
    with expect_rerun(page, timeout_ms=60_000):
        page.get_by_text("Month", exact=True).click()
    expect(page.get_by_text("Dec 2024", exact=True).first).to_be_visible()
    cells = grid_cells(page.get_by_test_id("stDataFrame").nth(3), "New customers")
    assert cells[cells.index("New customers") + 5] == "250"  # the target stays
