"""AppTest of the Segments page: demo data, a chosen k, no category column, too few customers."""

from __future__ import annotations

import pandas as pd
import pytest

from cvm_core.analyses.segments import rfm as segments
from cvm_core.intake.dataset import dataset_from_frame
from tests.app.conftest import run_page
from ui import session, state

PAGE = "pages/segments.py"


def _charts(at) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.fixture(scope="module")
def demo_page(demo_dataset):
    return run_page(PAGE, demo_dataset)


def test_demo_data_shows_every_section(demo_page, demo_dataset):
    at = demo_page
    assert not at.exception
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers"] == "4,000"
    assert metrics["Champions"].endswith("%")
    assert [t.label for t in at.tabs] == [
        "RFM segments",
        "Clusters",
        "Contribution",
        "Cross-sell",
        "Traits of valuable customers",
        "Download lists",
    ]
    # Map, cluster bubbles, silhouette, contribution, lift heatmap, categories per customer,
    # next-best offers; the traits tab's two wait until it is opened (a tree, a CLV fit).
    assert _charts(at) == 7
    assert session.PROSPECTS.key not in at.session_state
    labels = [b.label for b in at.download_button]
    for name in ("Segment membership", "Next-best offers"):
        assert f"{name} (CSV)" in labels and f"{name} (Excel)" in labels
    rfm_table = at.tabs[0].dataframe[0].value
    assert list(rfm_table["segment"]) == list(segments.RFM_SEGMENT_ORDER)
    assert rfm_table["customers"].sum() == 4000


def test_segments_are_shared_with_other_pages(demo_page, demo_dataset):
    fingerprint, frame = demo_page.session_state[session.SEGMENTS.key]
    assert fingerprint == demo_dataset.fingerprint
    assert list(frame.columns) == ["rfm_segment", "cluster", "next_best_category"]
    assert frame.index.name == "customer_id"
    assert len(frame) == demo_dataset.transactions["customer_id"].nunique()
    assert frame["cluster"].notna().all()
    assert set(frame["next_best_category"].dropna()) <= set(demo_dataset.transactions["category"])


def test_choosing_k_and_breakdowns_reruns_without_errors(demo_dataset):
    at = run_page(PAGE, demo_dataset)
    at.selectbox(key=f"cvm.segments.k.{demo_dataset.fingerprint}").set_value(4).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Clusters"] == "4"
    _, frame = at.session_state[session.SEGMENTS.key]
    assert frame["cluster"].nunique() == 4
    assert frame["cluster"].str.contains("value").all()  # descriptive names, not label numbers
    at.selectbox(key=f"cvm.segments.dimension.{demo_dataset.fingerprint}").set_value("Region").run()
    scope = at.selectbox(key=f"cvm.segments.scope.{demo_dataset.fingerprint}")
    scope.set_value("RFM: Champions").run()
    assert not at.exception and not at.error
    contribution, cross_sell = at.tabs[2], at.tabs[3]
    assert "North" in set(contribution.dataframe[0].value["segment"])
    assert (cross_sell.dataframe[0].value["lift"] > 0).all()


def _small_dataset(n_customers: int, with_category: bool):
    rows = []
    for i in range(n_customers):
        for j in range(1 + i % 3):
            rows.append(
                {
                    "Customer ID": f"K{i:03d}",
                    "Date": f"2024-{1 + (i + j) % 12:02d}-10",
                    "Revenue": 20.0 + 7 * i + j,
                    **(
                        {"Category": ["Tea", "Coffee", "Cups"][(i + j) % 3]}
                        if with_category
                        else {}
                    ),
                }
            )
    return dataset_from_frame(pd.DataFrame(rows), f"small-{n_customers}-{with_category}")


def test_without_a_category_column_the_page_says_so():
    at = run_page(PAGE, _small_dataset(30, with_category=False))
    assert not at.exception and not at.error
    messages = [i.value for i in at.info]
    assert any("no product category column" in m for m in messages)
    assert "Next-best offers (CSV)" not in [b.label for b in at.download_button]


def test_too_few_customers_for_clusters_is_a_warning_not_a_crash():
    at = run_page(PAGE, _small_dataset(2, with_category=True))
    assert not at.exception and not at.error
    assert any("at least 3 customers" in w.value for w in at.warning)
    assert any("Only 2 customers" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Clusters"] == "–"


def test_every_chart_goes_to_the_deck_with_a_takeaway_from_the_data(demo_page):
    deck = demo_page.session_state[state.DECK_CHARTS]
    names = {stem: chart.title for stem, chart in deck.items()}
    assert {
        "rfm_segment_map",
        "clusters_by_recency_and_value",
        "cluster_separation_by_k",
        "contribution_by_rfm_segment",
        "lift_between_categories",
        "products_per_customer",
        "next_best_category",
    } <= set(names)
    shown = demo_page.tabs[0].dataframe[0].value.set_index("segment")
    table = shown.filter(like="_share") / 100  # shown as percentages with one decimal
    top = table["revenue_share"].idxmax()
    assert deck["rfm_segment_map"].takeaway == (
        f"RFM segment '{top}': {table.loc[top, 'customer_share']:.0%} of customers bring "
        f"{table.loc[top, 'revenue_share']:.0%} of net revenue and "
        f"{table.loc[top, 'margin_share']:.0%} of margin."
    )
    assert deck["lift_between_categories"].takeaway.startswith("Buyers of ")
    assert "next-best offer for" in deck["next_best_category"].takeaway


def test_one_category_and_returns_only_customers_are_explained():
    rows = [
        {"Customer ID": f"K{i:03d}", "Date": f"2024-{1 + i % 12:02d}-10", "Revenue": 10.0 + i,
         "Category": "Tea"}
        for i in range(30)
    ] + [{"Customer ID": "R1", "Date": "2024-06-01", "Revenue": -15.0, "Category": "Tea"}]  # fmt: skip
    at = run_page(PAGE, dataset_from_frame(pd.DataFrame(rows), "one-category"))
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert any(m.startswith("Only one product category (Tea)") for m in infos)
    assert any(m.startswith("1 customer only returned goods") for m in infos)
    assert {m.label: m.value for m in at.metric}["Customers"] == "31"


def test_ticked_customer_attributes_join_the_clustering(demo_dataset):
    at = run_page(PAGE, demo_dataset)
    fp = demo_dataset.fingerprint
    at.multiselect(key=f"cvm.segments.attributes.{fp}").select("acquisition_cost").run()
    at.selectbox(key=f"cvm.segments.k.{fp}").set_value(3).run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.tabs[1].markdown)
    assert "acquisition cost" in text.lower()
    profile = at.tabs[1].dataframe[0].value
    assert len(profile) == 3 and "avg_acquisition_cost" in profile.columns
    dimensions = at.selectbox(key=f"cvm.segments.dimension.{fp}").options
    assert {"RFM segment", "Cluster", "Region", "Industry", "Main channel"} <= set(dimensions)


def test_data_with_only_returns_is_an_error_message_not_a_traceback():
    rows = [
        {"Customer ID": f"K{i}", "Date": f"2024-03-{i + 1:02d}", "Revenue": -10.0 - i}
        for i in range(5)
    ]
    at = run_page(PAGE, dataset_from_frame(pd.DataFrame(rows), "returns-only"))
    assert not at.exception
    assert any(
        "Every transaction up to the observation end is a return" in e.value for e in at.error
    )
    assert not at.tabs


def test_asking_for_more_clusters_than_customers_says_how_many_are_possible():
    dataset = _small_dataset(5, with_category=True)
    at = run_page(PAGE, dataset)
    at.selectbox(key=f"cvm.segments.k.{dataset.fingerprint}").set_value(8).run()
    assert not at.exception and not at.error
    assert any(
        "only 5 customers, fewer than the 8 clusters asked for. Choose at most 5" in w.value
        for w in at.warning
    )
    assert {m.label: m.value for m in at.metric}["Clusters"] == "–"
