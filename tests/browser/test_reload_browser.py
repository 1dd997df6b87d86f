"""Browser test of a reload (F5): the uploaded file stays loaded on the page the user was on, and
an expired link says so instead of showing other data."""

import re
from pathlib import Path

import pytest

from tests.browser.helpers import expect_rerun, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect

FILES = Path(__file__).resolve().parents[1] / "files"


def test_reload_keeps_the_uploaded_file_and_an_unknown_token_says_so(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a sales spreadsheet")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(str(FILES / "chinese_gbk.csv"))
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Use this data").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("chinese_gbk.csv")).to_be_visible()
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", name="Retention")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]data=[\w-]{16,}"))

    page.reload()  # F5: a new session
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Retention")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("chinese_gbk.csv")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Demo retail")).to_have_count(0)

    page.goto(app_server + "/?data=no-such-token-0123456789")
    wait_for_app(page)
    expect(page.get_by_text("Your data is no longer loaded")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("chinese_gbk.csv")).to_have_count(0)
