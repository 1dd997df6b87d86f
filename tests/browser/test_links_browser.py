"""Browser test of settings in the address bar (ui/links.py): a page's settings are written to the
URL as the user changes them, and opening that URL in a new session shows the same view."""

import re

import pytest

from tests.browser.helpers import open_with_demo, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_copied_link_reopens_the_clv_page_with_its_settings(page, app_server):
    open_with_demo(page, app_server, "Customer Lifetime Value")
    expect(page.get_by_role("heading", name="Customer Lifetime Value")).to_be_visible()
    expect(page).to_have_url(re.compile(r"clv\.horizon=36"), timeout=120_000)
    expect(page).to_have_url(re.compile(r"cvm\.unit=week"))

    # A colleague's link: the same data token, another horizon and model, typed by hand.
    link = page.url.replace("clv.horizon=36", "clv.horizon=24").replace(
        "clv.model=auto", "clv.model=bgnbd"
    )
    assert link != page.url
    page.goto(link)  # a new session
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Customer Lifetime Value")).to_be_visible(
        timeout=120_000
    )
    slider = page.get_by_test_id("stSlider").filter(has_text="CLV horizon (months)")
    expect(slider.get_by_test_id("stSliderThumbValue")).to_have_text("24", timeout=120_000)
    expect(page.get_by_role("combobox", name="Model")).to_have_value("BG/NBD")
    expect(page.get_by_text("next 24 months").first).to_be_visible(timeout=120_000)
    expect(page).to_have_url(re.compile(r"clv\.horizon=24"))
    screenshot(page, "links_clv_reopened")
