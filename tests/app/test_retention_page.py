"""AppTest of the Retention page: renders on demo-like data, reacts to its settings, explains
what it cannot show, and leaves its result for the Scorecard."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core.analyses.retention import analysis as retention_analysis
from cvm_core.analyses.retention import defaults as retention_defaults
from cvm_core.analyses.retention import gaps
from cvm_core.analyses.retention import run as retention_run
from cvm_core.analyses.retention.cohorts import cohort_tables
from cvm_core.intake import demo
from cvm_core.intake.dataset import Dataset, build_dataset, dataset_from_frame, guess_sheet_roles
from cvm_core.intake.io import RawTable, Workbook
from cvm_core.intake.summary import customer_summary
from tests.app.conftest import ROOT
from ui import session, state

PAGE = "pages/retention.py"


def run_page(page: str, dataset: Dataset | None = None, **session) -> AppTest:
    """Open the page through app.py, as a user would: page links (to Upload, to the CLV page)
    only resolve inside the app's navigation."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    return at.switch_page(page).run()


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """A smaller demo business (transactions, customers, service sheets), built in memory."""
    tables = demo.generate_demo_tables(n_customers=800, seed=5)
    workbook = Workbook(
        {
            name: RawTable(frame, np.arange(2, len(frame) + 2), 1, name)
            for name, frame in tables.items()
        },
        "xlsx",
    )
    return build_dataset(
        workbook, guess_sheet_roles(workbook), name="demo-800", fingerprint="ret-800"
    )


def expected(
    dataset: Dataset, window: int, clv: pd.DataFrame | None = None, **rule
) -> retention_analysis.RetentionResult:
    """What the page should show, computed straight from the core with the page's defaults."""
    summary = customer_summary(dataset.transactions, "week", dataset.observation_end)
    settings = retention_analysis.RetentionSettings(rule=gaps.ChurnRule(window, **rule))
    return retention_analysis.analyse_retention(
        dataset.transactions, summary, settings, dataset.customers, clv, dataset.observation_end
    )


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_shows_the_analysis_of_the_demo_data(dataset):
    at = run_page(PAGE, dataset)
    assert not at.exception
    assert not at.error
    window = gaps.gap_profile(dataset.transactions).suggested_window_days
    assert at.number_input[0].value == window
    result = expected(dataset, window)
    shown = metrics(at)
    assert shown["Active customers"] == result.active.share_text()
    assert shown["Annual retention"] == f"{result.annual_retention * 100:.1f}%"
    assert shown["Median lifetime"] == f"{result.median_lifetime_days:,.0f} days"
    assert shown["At risk"] == f"{len(result.at_risk):,}"
    assert shown["Win back"] == f"{len(result.win_back):,}"
    assert [t.label for t in at.tabs] == [
        "Cohorts", "Churn", "Survival", "At risk & win back", "Retention economics",
    ]  # fmt: skip
    captions = " ".join(c.value for c in at.caption)
    assert f"no purchase in the last {window} days" in captions
    assert "Fit the model on the Customer Lifetime Value page" in captions
    # Survival compares acquisition years by default and reads the log-rank test in words.
    assert any("Log-rank test" in m.value for m in at.markdown)
    assert any("Rule of thumb" in i.value for i in at.info)
    # The lists are tables the user can act on, with the reason on every row.
    lists = [df.value for df in at.dataframe if "reason" in df.value]
    assert len(lists) == 2
    assert lists[0]["reason"].str.len().min() > 10
    fingerprint, stored = at.session_state[session.RETENTION.key]
    assert fingerprint == dataset.fingerprint
    assert stored.annual_retention == pytest.approx(result.annual_retention)


def test_changing_the_churn_window_recomputes(dataset):
    at = run_page(PAGE, dataset)
    at.number_input[0].set_value(30).run()
    assert not at.exception
    result = expected(dataset, 30)
    assert metrics(at)["Active customers"] == result.active.share_text()
    assert any("no purchase in the last 30 days" in c.value for c in at.caption)


def test_week_cohorts(dataset):
    at = run_page(PAGE, dataset)
    at.segmented_control[0].set_value("week").run()
    assert not at.exception
    weekly = cohort_tables(
        dataset.transactions,
        customer_summary(dataset.transactions, "week", dataset.observation_end),
        "week",
        dataset.observation_end,
    )
    shown = (
        f"Showing the latest 52 of {len(weekly.sizes)} cohorts and the first 26 weeks after "
        "acquisition; the Excel download holds them all."
    )
    assert shown in [c.value for c in at.caption]
    assert any("week of their first purchase" in c.value for c in at.caption)


def test_p_alive_rule_once_the_clv_model_is_fitted(dataset):
    customers = customer_summary(dataset.transactions).index
    p_alive = pd.DataFrame({"p_alive": np.linspace(0.01, 0.99, len(customers))}, index=customers)
    stale = run_page(PAGE, dataset, **{session.CLV_CUSTOMERS.key: ("another-dataset", p_alive)})
    assert stale.radio[0].disabled  # fitted on other data: not used

    at = run_page(PAGE, dataset, **{session.CLV_CUSTOMERS.key: (dataset.fingerprint, p_alive)})
    assert not at.radio[0].disabled
    at.radio[0].set_value(retention_defaults.P_ALIVE).run()
    assert not at.exception
    window = at.number_input[0].value
    result = expected(
        dataset, window, p_alive, method=retention_defaults.P_ALIVE, p_alive_threshold=0.5
    )
    assert metrics(at)["Active customers"] == result.active.share_text()
    assert any("P(alive), is below 50%" in c.value for c in at.caption)


def test_single_cohort_data_gets_a_message_not_a_crash():
    frame = pd.DataFrame(
        {
            "Customer": ["A", "B", "A", "B", "C"],
            "Date": pd.to_datetime(
                ["2024-01-03", "2024-01-09", "2024-02-05", "2024-03-01", "2024-01-20"]
            ),
            "Revenue": [10.0, 20.0, 15.0, 5.0, 8.0],
        }
    )
    at = run_page(PAGE, dataset_from_frame(frame, "one cohort"))
    assert not at.exception
    assert any("only one cohort" in w.value for w in at.warning)


def test_without_data_the_page_points_to_upload():
    at = run_page(PAGE)
    assert not at.exception
    assert "No data is loaded yet" in at.info[0].value


def test_quick_settings_do_not_redo_the_heavy_analysis(dataset, monkeypatch):
    """Grouping, list and discount settings only redo their own small part (two-stage cache)."""
    calls = {"analyse": 0, "revise": 0}
    analyse, revise = retention_run.run, retention_analysis.revise_retention

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(retention_run, "run", counting("analyse", analyse))
    monkeypatch.setattr(retention_analysis, "revise_retention", counting("revise", revise))
    fresh = dataclasses.replace(dataset, fingerprint="ret-800-cache")  # nothing cached yet
    at = run_page(PAGE, fresh)
    assert calls == {"analyse": 1, "revise": 1}  # the full run revises once for the defaults
    at.slider(key=f"cvm.retention.top.{fresh.fingerprint}").set_value(40).run()
    at.slider(key=f"cvm.retention.discount.{fresh.fingerprint}").set_value(15).run()
    at.selectbox(key=f"cvm.retention.grouping.{fresh.fingerprint}").set_value(
        "(all customers)"
    ).run()
    assert not at.exception
    assert calls == {"analyse": 1, "revise": 4}
    stored = at.session_state[session.RETENTION.key][1]
    assert stored.settings.lists.top_share == 0.4
    assert stored.settings.discount_rate == 0.15
    assert stored.survival.grouping is None
    # A new combination is revised once; going back to one seen before is served from the cache.
    at.slider(key=f"cvm.retention.top.{fresh.fingerprint}").set_value(20).run()
    assert calls == {"analyse": 1, "revise": 5}
    at.slider(key=f"cvm.retention.top.{fresh.fingerprint}").set_value(40).run()
    assert calls == {"analyse": 1, "revise": 5}
    # The churn window is a heavy setting: the whole analysis runs again.
    at.number_input[0].set_value(45).run()
    assert calls["analyse"] == 2


def test_charts_carry_data_driven_takeaways_and_segments_become_groupings(dataset):
    customers = customer_summary(dataset.transactions).index
    rfm = np.where(np.arange(len(customers)) % 3 == 0, "Champions", "Hibernating")
    segments = pd.DataFrame({"rfm_segment": rfm, "cluster": None}, index=customers)
    at = run_page(PAGE, dataset, **{session.SEGMENTS.key: (dataset.fingerprint, segments)})
    assert not at.exception
    assert (
        "RFM segment" in at.selectbox(key=f"cvm.retention.grouping.{dataset.fingerprint}").options
    )
    deck = at.session_state[state.DECK_CHARTS]
    result = expected(dataset, at.number_input[0].value)
    cohorts = result.cohorts
    takeaways = {chart.title: chart.takeaway for chart in deck.values()}
    assert set(takeaways) >= {
        "Customer retention by cohort", "Days between purchases", "Churn rate per month",
        "Churn by group", "Customer survival", "Value by year of the relationship",
        "What more retention is worth",
    }  # fmt: skip
    month_1 = (
        cohorts.active_customers[1].sum() / cohorts.sizes[cohorts.active_customers[1].notna()].sum()
    )
    assert (
        f"On average {month_1:.0%} of a cohort buy again"
        in takeaways["Customer retention by cohort"]
    )
    assert f"{result.median_lifetime_days:,.0f} days" in takeaways["Customer survival"]
    for text in takeaways.values():
        assert "nan" not in text.lower() and "–" not in text and len(text) > 30


def test_a_history_shorter_than_two_periods_is_explained_in_every_tab():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "Customer": rng.choice([f"C{i}" for i in range(30)], 200),
            "Date": pd.Timestamp("2024-03-04") + pd.to_timedelta(rng.integers(0, 20, 200), "D"),
            "Revenue": rng.uniform(5, 50, 200).round(2),
        }
    )
    at = run_page(PAGE, dataset_from_frame(frame, "three weeks"))
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "less than two complete months" in warnings  # the cohorts
    assert "Choose a shorter period (e.g. week)" in warnings
    infos = " ".join(i.value for i in at.info)
    assert "no complete month of data follows the first month with a lapse" in infos
    assert "needs at least 16 weeks of history" in " ".join(w.value for w in at.warning)
    shown = " ".join(m.value for m in at.metric)
    assert "nan" not in shown.lower() and "inf" not in shown.lower()


def test_cohorts_picked_on_the_heatmap_filter_the_lists_and_a_link_keeps_them(dataset):
    """A link (or a reload) with ?cohorts= opens the lists filtered to those cohorts; the chip
    says so and removes the filter."""
    window = gaps.gap_profile(dataset.transactions).suggested_window_days
    result = expected(dataset, window)
    first = result.at_risk["first_purchase"]
    cohort = first.min().strftime("%b %Y")  # the oldest cohort with someone at risk (months)
    in_cohort = (first.dt.to_period("M") == first.min().to_period("M")).sum()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[state.DATASET] = dataset
    at.query_params["cohorts"] = f"{cohort}|no such cohort"
    at.switch_page(PAGE).run()
    assert not at.exception
    chips = [b for b in at.button if b.label.startswith("Cohort: ")]
    assert [b.label for b in chips] == [f"Cohort: {cohort}  ✕"] * 2  # heatmap and lists tabs
    texts = " ".join(m.value for m in at.markdown)
    assert f"At risk: {in_cohort:,} valuable customer" in texts
    assert f"of {len(result.at_risk):,}**" in texts
    chips[0].click().run()
    assert not [b for b in at.button if b.label.startswith("Cohort: ")]
    assert "cohorts" not in at.query_params
