"""Browser test of cross-filtering on the Segments page: click a segment's bar and the table
below keeps only that segment; the chip removes the filter."""

import re

import pytest

from tests.browser.helpers import (
    click_chart,
    expect_rerun,
    open_tab,
    open_with_demo,
    screenshot,
    wait_for_app,
)

expect = pytest.importorskip("playwright.sync_api").expect


def test_click_a_segment_bar_and_the_table_follows(page, app_server):
    open_with_demo(page, app_server, "Segments")
    open_tab(page, "Contribution")  # Segments draws only the open tab: a rerun
    panel = page.get_by_role("tabpanel", name="Contribution")
    # The first group's bars start at the zero line, left of the middle, in the first row.
    click_chart(page, panel, 0.3, 54)
    chip = panel.get_by_role("button", name="RFM segment:")
    expect(chip).to_be_visible(timeout=60_000)
    screenshot(page, "segment_filter")
    expect(page).to_have_url(re.compile(r"[?&]groups=RFM"))
    page.reload()  # the filter comes back from the address bar
    wait_for_app(page)
    open_tab(page, "Contribution")
    panel = page.get_by_role("tabpanel", name="Contribution")
    chip = panel.get_by_role("button", name="RFM segment:")
    expect(chip).to_be_visible(timeout=120_000)
    chip.scroll_into_view_if_needed()
    with expect_rerun(page, timeout_ms=60_000):
        chip.click()
    expect(panel.get_by_role("button", name="RFM segment:")).to_have_count(0)
