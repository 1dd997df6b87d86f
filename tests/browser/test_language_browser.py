"""Browser test of the language switch: German in the sidebar and the menu, German dates, the
choice in the address bar, and back to English."""

import re

import pytest

from tests.browser.helpers import expect_rerun, open_with_demo, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


def choose(page, box: str, option: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    with expect_rerun(page, timeout_ms=60_000):
        sidebar.get_by_role("combobox", name=box).click()
        page.get_by_role("option", name=option).click()


def test_switch_the_app_to_german_and_back(page, app_server):
    open_with_demo(page, app_server, "Retention")
    choose(page, "Language", "Deutsch")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Zeiteinheit")).to_be_visible()
    expect(sidebar.get_by_text("01.01.2022 – 31.12.2024")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Kundenbindung")).to_be_visible()
    expect(page).to_have_url(re.compile(r"cvm\.lang=de"))
    screenshot(page, "language_german")
    choose(page, "Sprache", "English")
    expect(sidebar.get_by_text("Time unit")).to_be_visible()
    expect(page).to_have_url(re.compile(r"cvm\.lang=en"))
    # Choice widgets keep their values across the switch: the browser held the German labels,
    # and the page once stopped with "Unknown value measure 'Net revenue'".
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_role("tab", name="At risk & win back")).to_be_visible()
