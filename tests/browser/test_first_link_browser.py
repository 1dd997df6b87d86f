"""Browser test: the first visitor after a server start opens a link to a page (not the Upload
page). Streamlit ran that page alone in its old pages-folder mode (no sidebar, the file names as
the menu) until some session had run app.py; scripts/serve.py routes it through app.py."""

import pytest

from tests.browser.conftest import REPO_ROOT
from tests.browser.helpers import track_runs, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_link_to_a_page_is_the_first_request_after_a_start(make_app_server, browser):
    base_url = make_app_server(
        REPO_ROOT / "app.py", serve=True
    )  # a server of its own: no visit yet
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    track_runs(page)
    page.goto(base_url + "/retention?cvm.lang=de")
    wait_for_app(page, 120_000)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Kundenbindung")).to_be_visible(timeout=60_000)
    expect(nav.get_by_role("link", name="app")).to_have_count(0)  # not the pages-folder menu
    guard = page.get_by_text("Es sind noch keine Daten geladen")  # the page's guard, in German
    expect(guard).to_be_visible()
    context.close()
