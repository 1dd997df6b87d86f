"""Browser test of the Customer Lifetime Value page: load the demo data, open the page, read the
headline, look at every tab, move a what-if slider and see the projection change."""

import re

import pytest

from tests.browser.helpers import expect_rerun, open_tab, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_clv_page_on_the_demo_data(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=180_000):
        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name="Customer Lifetime Value"
        ).click()
    expect(page.get_by_role("heading", name="Customer lifetime value")).to_be_visible()

    metrics = page.get_by_test_id("stMetric")
    total = metrics.filter(has_text="Total CLV, next 36 months").get_by_test_id("stMetricValue")
    expect(total).to_have_text(re.compile(r"^€[\d.]+[kM]?$"))
    expect(page.get_by_text("Model comparison")).to_be_visible()
    screenshot(page, "clv_validation")
    open_panel = page.locator('[role="tabpanel"]:visible')
    expect(open_panel.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # validation's
    for tab, charts in (("Customers", 2), ("Value tiers", 1)):
        open_tab(page, tab)  # CLV draws only the open tab: a rerun
        expect(open_panel.get_by_test_id("stVegaLiteChart")).to_have_count(charts)
        screenshot(page, f"clv_{tab.lower().replace(' ', '_')}")

    # A 10% purchase-frequency uplift for Platinum: the scenario gains value.
    projected = metrics.filter(has_text="Projected CLV with treatment").get_by_test_id(
        "stMetricDelta"
    )
    expect(projected).to_have_count(0)  # no treatment set: no "+€0" change shown
    slider = page.get_by_test_id("stSlider").filter(has_text="Platinum: purchase-frequency uplift")
    thumb = slider.get_by_role("slider")
    thumb.focus()
    for _ in range(10):
        with expect_rerun(page, timeout_ms=60_000):
            page.keyboard.press("ArrowRight")
    expect(thumb).to_have_value("10")
    expect(projected).to_have_text(re.compile(r"^€\d[\d.,]*[kM]?$"))
    expect(projected).not_to_have_text("€0")
    expect(page.get_by_text("ROI").first).to_be_visible()
    screenshot(page, "clv_demo")
