"""Browser test of the Profitability Whale Curve page: load the demo data, open the page, read the
headline, move a what-if lever, download the customer P&L."""

import csv
import io
import re

import pytest

from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_whale_page_on_the_demo_data(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name="Profitability Whale Curve"
        ).click()
    expect(page.get_by_role("heading", name="Profitability whale curve")).to_be_visible()

    metrics = page.get_by_test_id("stMetric")
    peak = metrics.filter(has_text="Peak of the curve").first.get_by_test_id("stMetricValue")
    expect(peak).to_have_text(re.compile(r"^\d{3}%$"))  # a hump above 100%
    expect(page.get_by_text("Each point adds one more customer").first).to_be_visible()
    assert page.get_by_test_id("stVegaLiteChart").count() >= 6

    # A 5% price rise for the loss-makers: the scenario's profit moves off today's.
    after = metrics.filter(has_text="Operating profit after the fixes")
    expect(after.get_by_test_id("stMetricDelta")).to_have_count(0)  # no lever moved: no change
    slider = page.get_by_test_id("stSlider").filter(has_text="Price increase / discount cut")
    thumb = slider.get_by_role("slider")
    thumb.focus()
    for _ in range(10):  # 10 steps of 0.5%
        with expect_rerun(page, timeout_ms=60_000):
            page.keyboard.press("ArrowRight")
    expect(thumb).to_have_value("5")
    expect(after.get_by_test_id("stMetricDelta")).to_have_text(re.compile(r"^\+€\d"))  # profit up
    expect(page.get_by_text("same volumes and cost of goods").first).to_be_visible()

    page.get_by_role("tab", name="Cost-to-serve & P&L").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Customer P&L (CSV)").click()
    download = info.value
    assert download.suggested_filename == "customer_pnl.csv"
    with open(download.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert len(rows) == 4000
    assert list(rows[0])[:3] == ["Customer ID", "Customer name", "Revenue"]
    profits = [float(r["Operating profit"]) for r in rows]
    assert profits == sorted(profits, reverse=True)
    screenshot(page, "whale_demo")
