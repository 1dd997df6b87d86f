"""Browser test of the Segments page: load the demo data, open Segments, change k, download a list."""

import csv
import io

import pytest

from tests.browser.helpers import expect_rerun, open_tab, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_segments_page_on_the_demo_data(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    expect(page.get_by_role("heading", name="Segments")).to_be_visible()
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Customers").get_by_test_id("stMetricValue")).to_have_text(
        "4,000"
    )
    expect(page.get_by_text("RFM segment map: where your customers sit").first).to_be_attached()

    # Ask for four clusters: the headline and the shared result follow.
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSelectbox").filter(has_text="Number of clusters").click()
        page.get_by_role("option", name="4", exact=True).click()
    expect(metrics.filter(has_text="Clusters").get_by_test_id("stMetricValue")).to_have_text("4")

    open_tab(page, "Download lists")
    button = page.get_by_role("button", name="Segment membership (CSV)")
    with page.expect_download(timeout=120_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "segment_membership.csv"
    with open(download.path(), encoding="utf-8-sig") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    assert rows[0][:5] == [
        "Customer ID",
        "Customer name",
        "RFM segment",
        "Cluster",
        "Next-best category",
    ]
    assert len(rows) == 1 + 4000
    assert len({r[3] for r in rows[1:]}) == 4
    champions = sum(r[2] == "Champions" for r in rows[1:])

    # A campaign for Champions only: the offers list keeps just them.
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stMultiSelect").filter(has_text="Only customers in these").click()
        page.get_by_role("option", name="Champions", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.get_by_text(f"Segment membership ({champions:,} customers)")).to_be_visible()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Next-best offers (CSV)").click()
    with open(info.value.path(), encoding="utf-8-sig") as f:
        offers = list(csv.reader(io.StringIO(f.read())))
    assert offers[0][:3] == ["Customer ID", "Customer name", "RFM segment"]
    assert 0 < len(offers) - 1 <= champions
    assert {r[2] for r in offers[1:]} == {"Champions"}
    screenshot(page, "segments_demo")
