"""Browser test of the Retention page: load the demo data, open Retention, go through the tabs,
widen the 'valuable' share, and download the at-risk list. Expected figures come from the core on
the same demo workbook, with the page's defaults (week unit, data-suggested churn window)."""

import csv
import io

import pytest

from cvm_core.analyses.retention import analysis, gaps
from cvm_core.analyses.retention import lists as retention_lists
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from cvm_core.intake.summary import customer_summary
from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def expected() -> dict[str, analysis.RetentionResult]:
    dataset = load_file(
        demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), demo_workbook.DEMO_WORKBOOK_PATH.name
    )
    tx, end = dataset.transactions, dataset.observation_end
    summary = customer_summary(tx, "week", end)
    rule = gaps.ChurnRule(gaps.gap_profile(tx, end).suggested_window_days)
    results = {}
    for top in (20, 25):
        settings = analysis.RetentionSettings(
            rule=rule, lists=retention_lists.ListSettings(top_share=top / 100)
        )
        results[top] = analysis.analyse_retention(
            tx, summary, settings, dataset.customers, None, end
        )
    return results


def visible(page, selector: str):
    return page.locator(f"{selector} >> visible=true")


def test_retention_page_on_the_demo_data(page, app_server, expected):
    page.goto(app_server)
    wait_for_app(page)
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_role("button", name="Load Demo retail").click()
    with expect_rerun(page, timeout_ms=120_000):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", name="Retention", exact=True)).to_be_visible()

    base = expected[20]
    metrics = page.get_by_test_id("stMetric")

    def metric(label: str):
        return metrics.filter(has_text=label).first.get_by_test_id("stMetricValue")

    expect(metric("Active customers")).to_have_text(base.active.share_text())
    expect(metric("Median lifetime")).to_have_text(f"{base.median_lifetime_days:,.0f} days")
    expect(metric("At risk")).to_have_text(f"{len(base.at_risk):,}")
    expect(metric("Win back")).to_have_text(f"{len(base.win_back):,}")
    expect(page.get_by_text("Rows: customers grouped by the month").first).to_be_visible()
    expect(visible(page, '[data-testid="stVegaLiteChart"]')).to_have_count(1)  # the heatmap

    page.get_by_role("tab", name="Churn").click()
    expect(
        page.get_by_text("Each repeat customer weighs the same: half of the gaps").first
    ).to_be_visible()
    expect(visible(page, '[data-testid="stVegaLiteChart"]')).to_have_count(3)
    page.get_by_role("tab", name="Survival").click()
    expect(page.get_by_text("Log-rank test.").first).to_be_visible()
    page.get_by_role("tab", name="Retention economics").click()
    expect(page.get_by_text("CLV = m × (1 + d) / (1 + d − r)").first).to_be_visible()

    # Valuable = top 25% instead of 20%: more customers qualify for both lists.
    page.get_by_role("tab", name="At risk & win back").click()
    wider = expected[25]
    assert len(wider.at_risk) > len(base.at_risk)
    slider = page.get_by_test_id("stSlider").filter(has_text="Valuable = top % of customers")
    thumb = slider.get_by_role("slider")
    thumb.focus()
    for _ in range(5):
        with expect_rerun(page, timeout_ms=60_000):
            page.keyboard.press("ArrowRight")
    expect(thumb).to_have_value("25")
    expect(metric("At risk")).to_have_text(f"{len(wider.at_risk):,}")
    expect(metric("Win back")).to_have_text(f"{len(wider.win_back):,}")
    expect(page.get_by_text(f"At risk: {len(wider.at_risk):,} valuable customers")).to_be_visible()

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="CSV", exact=True).locator("visible=true").first.click()
    download = info.value
    assert download.suggested_filename == "at_risk.csv"
    with open(download.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert [r["Customer"] for r in rows] == wider.at_risk["customer_id"].tolist()
    assert all(len(r["Why"]) > 20 for r in rows)
    assert rows[0]["Why"] == wider.at_risk["reason"].iloc[0]
    screenshot(page, "retention_demo")
