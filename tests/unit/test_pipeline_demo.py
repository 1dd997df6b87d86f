"""The demo's sales pipeline: drawn apart from the sales tables, with its planted reps found."""

from __future__ import annotations

import pandas.testing as pdt
import pytest

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.pipeline.run import run
from cvm_core.intake import demo_workbook
from cvm_core.intake.demo import generate_demo_tables
from cvm_core.intake.demo_pipeline import PLANTED, REPS


@pytest.fixture(scope="module")
def demo():
    return demo_workbook.demo_dataset()


def test_the_pipeline_changes_no_other_demo_table():
    with_pipeline = generate_demo_tables(n_customers=300, seed=3)
    without = generate_demo_tables(n_customers=300, seed=3, pipeline=False)
    assert set(with_pipeline) - set(without) == {"Opportunities", "Opportunity History"}
    for name, frame in without.items():
        pdt.assert_frame_equal(with_pipeline[name], frame)


def test_the_demo_workbook_carries_the_pipeline_beside_the_sales(demo):
    assert demo.opportunities is not None
    assert demo.opportunities.sheets == ("Opportunities", "Opportunity History")
    assert len(demo.opportunities.opportunities) == 1440
    assert demo.opportunities.rejected.empty
    assert len(demo.transactions) == 94_906  # the sales data is what it was
    assert demo.customers is not None and demo.cost_to_serve is not None


def test_the_planted_optimistic_and_pessimistic_reps_are_found(demo):
    result = run(AnalysisInputs.of(demo))
    reps = result.reps.set_index("owner")
    assert set(reps.index) == set(REPS)
    verdicts = reps["verdict"]
    assert verdicts[PLANTED["optimistic"]] == "optimistic"
    assert verdicts[PLANTED["pessimistic"]] == "pessimistic"
    others = verdicts.drop(list(PLANTED.values()))
    assert (others == "about right").all()
    assert reps.loc[PLANTED["optimistic"], "bias"] > 1.25
    assert reps.loc[PLANTED["pessimistic"], "bias"] < 0.65
    assert result.probability_source == "file"
    # Won deals go to customers acquired after the close: most link to the transactions.
    assert result.won["in_transactions"].mean() > 0.9
