"""Browser test of the one-customer view: open a loss-maker from the Whale page's table and from
the sidebar's search box; the profit shown is the whale curve's figure for that customer."""

import re

import pytest

from cvm_core import formatting
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability import drilldown
from cvm_core.analyses.profitability import run as profitability_run
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from tests.browser.helpers import expect_rerun, open_with_demo, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def worst_loss_maker() -> tuple[str, float, str]:
    """The Whale page's first loss-maker under the default cost model, computed by the core,
    with its name."""
    path = demo_workbook.DEMO_WORKBOOK_PATH
    dataset = load_file(path.read_bytes(), path.name)
    analysis = profitability_run.run(AnalysisInputs.of(dataset, "week", None))
    first = drilldown.loss_makers(analysis.result).iloc[0]
    customer = str(first["customer_id"])
    return customer, float(first["profit"]), str(dataset.customers.loc[customer, "customer_name"])


def test_open_a_loss_maker_and_search_a_customer(page, app_server, worst_loss_maker):
    customer, profit, name = worst_loss_maker
    open_with_demo(page, app_server, "Profitability Whale Curve")
    expect(page.get_by_text("Click a row to open that customer")).to_be_visible(timeout=60_000)

    # Select the first row of the loss-maker table (the row-selection column at its left edge).
    grid = page.get_by_test_id("stDataFrame").filter(has=page.locator("canvas")).first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    with expect_rerun(page, timeout_ms=120_000):
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(customer, exact=False).first).to_be_visible(timeout=60_000)
    shown = dialog.get_by_test_id("stMetric").filter(has_text="Operating profit to date")
    expect(shown.get_by_test_id("stMetricValue")).to_have_text(formatting.money(profit, "EUR"))
    expect(dialog.get_by_text(re.compile(r"Loses €[\d,]+ after cost-to-serve"))).to_be_visible()
    screenshot(page, "customer_dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # The sidebar's search box opens the same view, typed in lower case.
    sidebar = page.get_by_test_id("stSidebar")
    search = sidebar.get_by_role("textbox", name="Open a customer (id or name)")
    with expect_rerun(page):
        search.fill(customer.lower())
        search.press("Enter")
    with expect_rerun(page, timeout_ms=60_000):
        sidebar.get_by_role("button", name="Open customer", exact=True).click()
    expect(page.get_by_role("dialog").get_by_text("Operating profit to date")).to_be_visible()
    page.keyboard.press("Escape")

    # ... and by name, typed in lower case; when several customers share it, the box lists them.
    with expect_rerun(page):
        search.fill(name.lower())
        search.press("Enter")
    which = sidebar.get_by_role("combobox", name="Which one?")
    if which.count():
        with expect_rerun(page):
            which.click()
            page.get_by_role("option", name=re.compile(re.escape(customer))).click()
    with expect_rerun(page, timeout_ms=60_000):
        sidebar.get_by_role("button", name="Open customer", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(customer, exact=False).first).to_be_visible()
    expect(dialog.get_by_text("Operating profit to date")).to_be_visible()
