"""Browser test of the cohort filter on the Retention page: click a heatmap row and the at-risk
and win-back lists keep only that cohort's customers; the chip removes the filter."""

import re

import pytest

from tests.browser.helpers import click_chart, expect_rerun, open_with_demo, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


def test_click_a_cohort_row_and_the_lists_follow(page, app_server):
    open_with_demo(page, app_server, "Retention")
    panel = page.get_by_role("tabpanel", name="Cohorts")
    # A cell in the middle of the heatmap, on a number label (clicks on labels count too).
    click_chart(page, panel, 0.45, 0.5)
    chip = panel.get_by_role("button", name="Cohort:")
    expect(chip).to_be_visible(timeout=60_000)
    expect(page).to_have_url(re.compile(r"[?&]cohorts=\w+"))
    screenshot(page, "cohort_filter")
    page.get_by_role("tab", name="At risk & win back").click()
    lists = page.get_by_role("tabpanel", name="At risk & win back")
    expect(lists.get_by_role("button", name="Cohort:")).to_be_visible()
    expect(
        lists.get_by_text(re.compile(r"At risk: [\d,]+ valuable customers? of [\d,]+"))
    ).to_be_visible()
    with expect_rerun(page, timeout_ms=60_000):
        lists.get_by_role("button", name="Cohort:").click()
    expect(page.get_by_role("button", name="Cohort:")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"[?&]cohorts="))
