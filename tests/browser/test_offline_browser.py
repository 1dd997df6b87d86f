"""The app works offline: loading it, the demo data and a page with charts fetches nothing from
the internet (the favicon used to come from fonts.gstatic.com and failed without a connection)."""

from urllib.parse import urlparse

from tests.browser.helpers import expect_rerun, wait_for_app

LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}


def test_no_request_leaves_the_machine(page, app_server):
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name="Profitability Whale Curve"
        ).click()
    page.wait_for_timeout(1000)  # late requests: the favicon, fonts of the charts
    icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert "gstatic" not in icon and "googleapis" not in icon, icon
    outside = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname not in LOCAL_HOSTS]  # fmt: skip
    assert outside == []
    assert len(urls) > 10  # the page did load its scripts, styles and data
