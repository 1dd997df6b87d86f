"""AppTest of the Pipeline page: the demo against the core, a changed probability source, an
edited stage, and a dataset without opportunities (the page says what to add, takes a CRM export
on its own, and every other page is untouched)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core import formatting
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.pipeline.analysis import PipelineSettings
from cvm_core.analyses.pipeline.run import run
from cvm_core.intake.dataset import Dataset, dataset_from_frame
from cvm_core.intake.demo_pipeline import PLANTED
from tests.app.conftest import open_in_app
from tests.unit.test_pipeline import OPPORTUNITIES, SNAPSHOTS

PAGE = "pages/pipeline.py"


def open_page(dataset: Dataset, **session) -> AppTest:
    return open_in_app(PAGE, dataset, **session)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def expected(demo_dataset):
    return run(AnalysisInputs.of(demo_dataset))


def test_the_demo_pipeline_reads_as_the_core_computes_it(demo_dataset, expected):
    at = open_page(demo_dataset)
    assert not at.exception
    assert at.title[0].value == "Sales pipeline"
    assert metric(at, "Weighted pipeline") == formatting.money_short(expected.weighted_total, "EUR")
    assert metric(at, "Coverage") == f"{expected.coverage.ratio:.1f}x"
    assert metric(at, "Forecast accuracy") == formatting.pct(expected.team["accuracy"], 0)
    assert [t.label for t in at.tabs] == ["Forecast", "Funnel", "Forecast accuracy", "Won deals"]
    reps = next(df.value for df in at.dataframe if "Verdict" in df.value.columns)
    verdicts = dict(zip(reps["Sales rep"], reps["Verdict"], strict=True))
    assert verdicts[PLANTED["optimistic"]] == "optimistic"
    assert verdicts[PLANTED["pessimistic"]] == "pessimistic"
    assert any("from the file" in c.value for c in at.caption)


def test_learned_probabilities_change_the_forecast(demo_dataset):
    at = open_page(demo_dataset)
    at.selectbox[0].select("learned").run()
    assert not at.exception
    learned = run(AnalysisInputs.of(demo_dataset), PipelineSettings(probability_source="learned"))
    assert metric(at, "Weighted pipeline") == formatting.money_short(learned.weighted_total, "EUR")
    assert any("learned from history" in c.value for c in at.caption)


def test_an_edited_stage_probability_is_used(demo_dataset):
    editor = f"cvm.pipeline.editor.{demo_dataset.fingerprint}"
    at = open_page(demo_dataset, **{editor: {"edited_rows": {3: {"Used (%)": 100.0}}}})
    assert not at.exception
    edited = run(
        AnalysisInputs.of(demo_dataset),
        PipelineSettings(stage_probabilities=(("Negotiation", 1.0),)),
    )
    assert metric(at, "Weighted pipeline") == formatting.money_short(edited.weighted_total, "EUR")
    assert any("some edited" in c.value for c in at.caption)


def test_without_opportunities_the_page_says_what_to_add_and_takes_an_export():
    sales = pd.DataFrame(
        {"Customer ID": ["C1", "C2"], "Date": ["2024-01-02", "2024-02-03"], "Revenue": [10.0, 20.0]}
    )
    dataset = dataset_from_frame(sales, "sales.csv")
    at = open_page(dataset)
    assert not at.exception
    assert "no opportunities" in at.info[0].value
    export = io.BytesIO()
    with pd.ExcelWriter(export, engine="xlsxwriter") as writer:
        OPPORTUNITIES.to_excel(writer, sheet_name="Opportunities", index=False)
        SNAPSHOTS.to_excel(writer, sheet_name="History", index=False)
    from ui import pipeline as view

    view_dataset = dataset
    # The upload itself is a browser action; the page's handler is what it calls.
    with pytest.MonkeyPatch.context() as patch:
        held = {}
        patch.setattr(view.data, "set_dataset", lambda d: held.setdefault("d", d))
        view.attach(view_dataset, export.getvalue(), "crm.xlsx")
    attached = held["d"]
    assert attached.opportunities is not None and attached.fingerprint != dataset.fingerprint
    at = open_page(attached)
    assert not at.exception
    assert metric(at, "Weighted pipeline") == formatting.money_short(3200.0, "EUR")


def test_the_scorecard_chain_reads_the_pipeline_and_takes_a_target(demo_dataset, expected):
    at = open_page(demo_dataset)  # the Pipeline page publishes its result for the Scorecard
    at.switch_page("pages/scorecard.py").run()
    assert not at.exception
    chain = at.table[0].value.set_index("Measure")
    coverage = chain.loc["Pipeline coverage (× target)"]
    assert coverage["Value"] == f"{expected.coverage.ratio:.2f}"
    assert coverage["Status"] == "no target set"
    assert chain.loc["Forecast accuracy", "Value"] == formatting.pct(expected.team["accuracy"])
    at.number_input(key="cvm.scorecard.chain.picked.target.pipeline_coverage").set_value(3.0).run()
    assert not at.exception
    chain = at.table[0].value.set_index("Measure")
    assert chain.loc["Pipeline coverage (× target)", "Status"] == "off target"  # 1.79 < 3
    assert chain.loc["Pipeline coverage (× target)", "Target"] == "3.00"


def test_a_restored_chain_target_is_kept_across_reruns(demo_dataset):
    from ui import scorecard as scorecard_view

    at = open_in_app(
        "pages/scorecard.py", demo_dataset, **{scorecard_view.TARGETS: {"pipeline_coverage": 1.5}}
    )
    for _ in range(2):  # the empty-looking input must not clear a target set elsewhere
        assert not at.exception
        chain = at.table[0].value.set_index("Measure")
        assert chain.loc["Pipeline coverage (× target)", "Status"] == "on target"  # 1.79 >= 1.5
        at.run()
    assert at.session_state[scorecard_view.TARGETS] == {"pipeline_coverage": 1.5}


def test_won_deals_show_the_clv_page_values_once_it_ran(demo_dataset, expected):
    from ui import session

    customers = expected.won["customer_id"].dropna().unique()
    clv = pd.DataFrame(
        {"clv": 100.0, "p_alive": 0.5}, index=pd.Index(customers, name="customer_id")
    )
    at = open_page(demo_dataset, **{session.CLV_CUSTOMERS.key: (demo_dataset.fingerprint, clv)})
    assert not at.exception
    won = next(df.value for df in at.dataframe if "Opportunity" in df.value.columns)
    assert (won["CLV (EUR)"] == 100.0).all()
    assert any("with their CLV" in c.value for c in at.caption)
