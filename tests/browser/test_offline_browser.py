"""The app works offline: loading it, the demo data and a page with charts fetches nothing from
the internet (the favicon used to come from fonts.gstatic.com and failed without a connection)."""

from urllib.parse import urlparse

from tests.browser.helpers import open_with_demo

LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}


def test_no_request_leaves_the_machine(page, app_server):
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    open_with_demo(page, app_server, "Profitability Whale Curve")
    page.wait_for_timeout(1000)  # late requests: the favicon, fonts of the charts
    icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert "gstatic" not in icon and "googleapis" not in icon, icon
    outside = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname not in LOCAL_HOSTS]  # fmt: skip
    assert outside == []
    assert len(urls) > 10  # the page did load its scripts, styles and data
