"""Browser test of the Sales Pipeline page: load the demo data, open the page, read the headline,
walk the tabs, switch to learned probabilities, and download the forecast-vs-won table. Expected
figures come from the core on the same demo workbook."""

import csv
import time

import pytest

from cvm_core import formatting
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.pipeline.analysis import PipelineSettings
from cvm_core.analyses.pipeline.run import run
from cvm_core.intake import demo_workbook
from cvm_core.intake.demo_pipeline import PLANTED
from tests.browser.helpers import choose_option, expect_rerun, open_with_demo, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def expected():
    inputs = AnalysisInputs.of(demo_workbook.demo_dataset())
    return {
        "file": run(inputs),
        "learned": run(inputs, PipelineSettings(probability_source="learned")),
    }


def visible(page, selector: str):
    return page.locator(f"{selector} >> visible=true")


def test_pipeline_page_on_the_demo_data(page, app_server, expected):
    open_with_demo(page, app_server, "Sales Pipeline")
    expect(page.get_by_role("heading", name="Sales pipeline", exact=True)).to_be_visible()
    metrics = page.get_by_test_id("stMetric")

    def metric(label: str):
        return metrics.filter(has_text=label).first.get_by_test_id("stMetricValue")

    base = expected["file"]
    expect(metric("Weighted pipeline")).to_have_text(formatting.money_short(base.weighted_total))
    expect(metric("Coverage")).to_have_text(f"{base.coverage.ratio:.1f}x")
    expect(page.get_by_text("probabilities from the file").first).to_be_visible()
    expect(visible(page, '[data-testid="stVegaLiteChart"]')).to_have_count(1)
    screenshot(page, "pipeline_forecast")

    page.get_by_role("tab", name="Funnel").click()
    expect(page.get_by_text("The weakest step is").first).to_be_visible()
    expect(page.get_by_text("to change a stage's probability")).to_be_visible()
    screenshot(page, "pipeline_funnel")

    page.get_by_role("tab", name="Forecast accuracy").click()
    optimist, pessimist = PLANTED["optimistic"], PLANTED["pessimistic"]
    expect(page.get_by_text(f"{optimist} forecast").first).to_be_visible()
    expect(page.get_by_text(f"{pessimist} forecast").first).to_be_visible()
    screenshot(page, "pipeline_accuracy")

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Forecast vs won by month (CSV)").click()
    with open(info.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(base.monthly)
    assert {r["owner"] for r in rows} >= {optimist, pessimist}

    page.get_by_role("tab", name="Won deals").click()
    expect(page.get_by_text("won deals belong to a customer").first).to_be_visible()

    # Learned probabilities: a different forecast, named in the caption.
    page.get_by_text("Forecast settings").click()
    started = time.perf_counter()
    combo = page.get_by_role("combobox", name="Stage probabilities")
    expect(combo).to_be_in_viewport()  # the expander has opened (a click while it animates is lost)
    # Typed, not clicked in the list: the list's popover closed at random under load as the
    # expander's charts re-laid out. Tried again if the typed text is lost (see choose_option).
    choose_option(page, combo, "Learned", "Learned from history")
    print(f"probability source switched in {time.perf_counter() - started:.2f} s")
    learned = expected["learned"]
    expect(metric("Weighted pipeline")).to_have_text(formatting.money_short(learned.weighted_total))
    expect(page.get_by_text("probabilities learned from history").first).to_be_visible()
    screenshot(page, "pipeline_learned")

    # The Scorecard reads the pipeline as leading indicators in its chain of goals.
    with expect_rerun(page, timeout_ms=180_000):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Scorecard").click()
    expect(page.get_by_role("heading", name="Goals and what drives them")).to_be_visible()
    chain = page.get_by_test_id("stTable").first
    expect(chain).to_contain_text("Pipeline coverage")
    expect(chain).to_contain_text(f"{learned.coverage.ratio:.2f}")
    chain.scroll_into_view_if_needed()
    screenshot(page, "scorecard_chain")
