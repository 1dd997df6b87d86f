"""AppTest of a customer summary file (``python -m cvm_core summarize``) as the whole dataset.

Uploaded on the Upload page it loads without column mapping; the CLV page values customers from it
exactly as the core does from the same summary; the pages that need single transactions say what
they need instead of failing; a plain Parquet file of transactions still goes through the mapping.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core import formatting
from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import values as clv_values
from cvm_core.intake import engines
from cvm_core.intake.dataset import (
    Dataset,
    dataset_from_summary,
    empty_transactions,
)
from cvm_core.intake.summary import customer_summary, summary_in_unit
from tests.app.conftest import ROOT
from ui import data, loaders, session, state

PARQUET = "application/octet-stream"
TRANSACTION_PAGES = {
    "pages/segments.py": "segments",
    "pages/whale_curve.py": "whale_curve",
    "pages/retention.py": "retention",
    "pages/scorecard.py": "scorecard",
}


def app(page: str | None, dataset: Dataset | None = None, **session) -> AppTest:
    """Open a page through app.py (page links resolve only inside the app's navigation).

    ``page`` None: the default page (Upload) on a first run, the only run where AppTest draws the
    sidebar."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    if page is not None:
        at.switch_page(page)
    return at.run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def summary(demo_dataset) -> pd.DataFrame:
    """The demo's weekly customer summary, as the pandas engine writes it."""
    out = customer_summary(demo_dataset.transactions, "week")
    out.index = out.index.astype(str)
    return out


@pytest.fixture(scope="module")
def summary_bytes(summary, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("summary") / "demo_summary.parquet"
    engines.write_summary(
        summary, path, unit="week", observation_end=None, engine="duckdb", source="demo.parquet"
    )
    return path.read_bytes()


@pytest.fixture(scope="module")
def summary_dataset(summary_bytes) -> Dataset:
    frame, settings = engines.read_summary(summary_bytes, "demo_summary.parquet")
    return dataset_from_summary(frame, settings, "demo_summary.parquet", fingerprint="sum-demo")


def test_upload_page_loads_a_summary_file_without_mapping(summary_bytes, summary, demo_dataset):
    at = app("pages/upload.py", demo_dataset)
    at.file_uploader(key="upload.file").set_value(("demo_summary.parquet", summary_bytes, PARQUET))
    at.run()
    assert not at.exception and not at.error
    key = loaders.digest(summary_bytes)
    assert (
        "customer summary made by `python -m cvm_core summarize` (duckdb engine)"
        in at.info[0].value
    )
    assert not at.selectbox  # no column mapping for a summary
    assert at.button(key=f"{key}.load").label == "Use this summary"
    assert at.session_state[state.DATASET] is demo_dataset  # nothing replaced before the click

    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.name == "demo_summary.parquet" and not dataset.has_transactions
    assert dataset.observation_end == demo_dataset.observation_end  # from the customers' ages
    shown = metrics(at)
    assert shown["Customers"] == formatting.count(len(summary)) == "4,000"
    assert shown["Net revenue"] == formatting.money_short(
        float(summary["net_revenue"].sum()), "EUR"
    )
    assert shown["Period"] == "36 months"  # 1 Jan 2022 - 31 Dec 2024: 1,095 days / 30.44
    assert [b.label for b in at.button if b.label == "Use this summary"] == []  # loaded already
    assert shown["Engine"] == "duckdb"


def test_a_plain_parquet_of_transactions_still_goes_through_the_mapping(demo_dataset):
    tx = demo_dataset.transactions[["customer_id", "date", "revenue"]].head(500)
    buffer = io.BytesIO()
    tx.to_parquet(buffer)
    raw = buffer.getvalue()
    assert not loaders.is_summary_file("plain.parquet", raw)
    at = app("pages/upload.py")
    at.file_uploader(key="upload.file").set_value(("plain.parquet", raw, PARQUET))
    at.run()
    assert not at.exception and not at.error
    key = loaders.digest(raw)
    assert at.selectbox(key=f"{key}.plain.parquet.customer_id").value == "customer_id"
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.has_transactions and len(dataset.transactions) == 500


def expected_values(dataset: Dataset, unit: str, margin: float | None) -> clv_values.CLVValues:
    """The core's CLV from the same summary, with the page's defaults (Auto, no holdout: a summary
    file has no purchases after a calibration end; no cost-to-serve: it has no orders to cost)."""
    summary = summary_in_unit(dataset.summary, "week", unit)
    settings = clv.FitSettings("auto", unit, None, dataset.observation_end)
    fit = clv.fit_clv(empty_transactions(), settings, summary)
    return clv_values.customer_values(fit, clv_values.ValueSettings(margin=margin))


def test_clv_page_values_customers_from_the_summary(summary_dataset):
    at = app("pages/clv.py", summary_dataset)
    assert not at.exception and not at.error
    values = expected_values(summary_dataset, "week", None)  # margin from the summary's cost
    n = len(values.customers)
    shown = metrics(at)
    assert shown["Total CLV, next 36 months"] == formatting.money_short(values.total_clv, "EUR")
    assert shown["Average CLV per customer"] == formatting.money(values.total_clv / n, "EUR")
    assert shown["Probably still active"] == formatting.pct(
        float((values.customers["p_alive"] >= 0.5).mean()), 0
    )
    assert "Holdout purchases: actual" not in shown
    assert any("Holdout validation needs the transactions" in i.value for i in at.info)
    toggle = at.toggle(key=f"clv.holdout.{summary_dataset.fingerprint}")
    assert toggle.value is False and toggle.disabled
    published = at.session_state[session.CLV_CUSTOMERS.key]
    assert published[0] == "sum-demo"
    pd.testing.assert_series_equal(published[1]["clv"], values.customers["clv"])


def test_clv_page_converts_the_summary_to_the_chosen_unit(summary_dataset):
    margin_key = data.setting_key("clv.margin_source", summary_dataset)
    at = app(
        "pages/clv.py", summary_dataset, **{state.UNIT: "month", margin_key: "Percent of revenue"}
    )
    assert not at.exception and not at.error
    values = expected_values(summary_dataset, "month", 0.30)
    assert metrics(at)["Total CLV, next 36 months"] == formatting.money_short(
        values.total_clv, "EUR"
    )
    assert any("margin: 30% of revenue for every customer" in c.value for c in at.caption)


@pytest.mark.parametrize("page", list(TRANSACTION_PAGES))
def test_pages_that_need_transactions_say_what_they_need(page, summary_dataset):
    at = app(page, summary_dataset)
    assert not at.exception and not at.error
    message = at.info[0].value
    assert message.startswith(data.NEEDS_TRANSACTIONS[TRANSACTION_PAGES[page]])
    assert message.endswith(
        "this dataset is a customer summary made by `python -m cvm_core summarize`. "
        "Upload the transactions file to see it."
    )
    assert not at.metric and not at.get("vega_lite_chart")


def test_whale_page_message_is_the_one_asked_for(summary_dataset):
    at = app("pages/whale_curve.py", summary_dataset)
    assert at.info[0].value == (
        "The whale curve needs the transactions (orders, lines, channels); this dataset is a "
        "customer summary made by `python -m cvm_core summarize`. Upload the transactions file "
        "to see it."
    )


def test_sidebar_draws_for_a_summary_dataset(summary_dataset):
    at = app(None, summary_dataset)
    assert not at.exception and not at.error
    assert [b.label for b in at.sidebar.get("download_button")][:1] == ["Download workbook"]
    assert metrics(at)["Customers"] == "4,000"  # the Upload page's summary overview


def test_sidebar_counts_the_customers_of_a_summary_file(summary_dataset):
    at = app(None, summary_dataset)
    assert any(c.value.startswith("4,000 customers (summary file)") for c in at.sidebar.caption)
    # The deck promises only what a summary can give.
    assert any("open the CLV page" in c.value for c in at.sidebar.caption)


def test_sidebar_exports_build_for_a_summary_dataset(summary_dataset, downloads):
    app(None, summary_dataset)
    name = next(n for n in downloads if n.startswith("demo_summary_results"))
    assert len(downloads[name]()) > 0


def test_a_summary_deck_carries_the_charts_its_pages_drew(summary_dataset):
    from cvm_core.slides import ChartSlide
    from ui import deck_dialog

    viewed = [ChartSlide("CLV customer pyramid", "Platinum: 5% hold 40%", image=b"png")]
    story = deck_dialog._build_story(summary_dataset, {}, viewed, None)
    assert [(s.title, s.takeaway, s.appendix) for s in story] == [
        ("CLV customer pyramid", "Platinum: 5% hold 40%", False)
    ]
