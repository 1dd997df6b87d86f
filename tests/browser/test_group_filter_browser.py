"""Browser test of the group filter on the Whale page: click a channel's bar on 'Operating profit
by Main channel' and the loss-maker list keeps only that channel's customers."""

import re

import pytest

from tests.browser.helpers import click_chart, expect_rerun, open_with_demo, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


def test_click_a_channel_bar_and_the_loss_makers_follow(page, app_server):
    open_with_demo(page, app_server, "Profitability Whale Curve")
    loss_panel = page.get_by_role("tabpanel", name="Loss-making customers")
    total = loss_panel.get_by_text(re.compile(r"^[\d,]+ loss-making customers$"))
    expect(total).to_be_visible(timeout=120_000)
    all_count = int(total.inner_text().split()[0].replace(",", ""))
    page.get_by_role("tab", name="By channel, segment, order size").click()
    panel = page.get_by_role("tabpanel", name="By channel, segment, order size")
    # The right-hand chart's first bar (the largest group first), from the zero line.
    profit_chart = panel.get_by_test_id("stVegaLiteChart").nth(1)
    expect(profit_chart).to_be_visible(timeout=60_000)
    click_chart(page, panel.get_by_test_id("stColumn").nth(1), 0.55, 40)
    chip = panel.get_by_role("button", name="Main channel:")
    expect(chip).to_be_visible(timeout=60_000)
    expect(page).to_have_url(re.compile(r"[?&]group=Main"))
    chip.scroll_into_view_if_needed()
    screenshot(page, "group_filter")
    page.get_by_role("tab", name="Loss-making customers").click()
    picked = loss_panel.get_by_text(re.compile(r"loss-making customers in the picked groups"))
    expect(picked).to_be_visible()
    assert int(picked.inner_text().split()[0].replace(",", "")) < all_count
    with expect_rerun(page, timeout_ms=60_000):
        loss_panel.get_by_role("button", name="Main channel:").click()
    expect(page.get_by_role("button", name="Main channel:")).to_have_count(0)
