"""Browser test of cross-filtering on the whale curve: drag across the tail, the slice's customers
are totalled and broken down; the chip removes the filter."""

import re

import pytest

from tests.browser.helpers import expect_rerun, open_with_demo, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_drag_a_slice_of_the_whale_curve_and_break_it_down(page, app_server):
    open_with_demo(page, app_server, "Profitability Whale Curve")
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible(timeout=60_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = chart.bounding_box()
    y = box["y"] + box["height"] * 0.5
    with expect_rerun(page, timeout_ms=60_000):
        page.mouse.move(box["x"] + box["width"] * 0.78, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.88, y, steps=8)
        page.mouse.move(box["x"] + box["width"] * 0.97, y, steps=8)
        page.mouse.up()
    chip = page.get_by_role("button", name="Slice: customers")
    expect(chip).to_be_visible(timeout=60_000)
    metric = page.get_by_test_id("stMetric").filter(has_text="Customers in the slice")
    expect(metric).to_be_visible()
    expect(page.get_by_text("Break the slice down by")).to_be_visible()
    screenshot(page, "whale_slice")
    # The slice is in the address bar: a reload (or the link) opens the same filtered view.
    expect(page).to_have_url(re.compile(r"[?&]slice=0\.\d{4}-0\.\d{4}"))
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Slice: customers")).to_be_visible(timeout=120_000)
    expect(
        page.get_by_test_id("stMetric").filter(has_text="Customers in the slice")
    ).to_be_visible()
    chip = page.get_by_role("button", name="Slice: customers")
    chip.scroll_into_view_if_needed()
    with expect_rerun(page, timeout_ms=60_000):
        chip.click()
    expect(page.get_by_role("button", name="Slice: customers")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"slice="))
