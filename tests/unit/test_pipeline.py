"""The Pipeline analysis on a small fixture whose numbers were worked out by hand.

Stages Qualify (20%), Propose (50%), Negotiate (80%); two reps. Ann forecast 500 for January
(won nothing) and 1,800 for February (won 1,000): optimistic. Bob forecast 100 for January
(won nothing) and 2,400 for March (won 3,000): pessimistic. See the comments for each figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.pipeline.analysis import PipelineSettings, analyse_pipeline
from cvm_core.errors import ValidationError
from cvm_core.intake.io import RawTable, Workbook
from cvm_core.intake.opportunities import find_pipeline_sheets, read_pipeline

NAN = float("nan")
D = pd.Timestamp

OPPORTUNITIES = pd.DataFrame(
    [
        ["O1", "C1", "Ann", "Closed Won", 1000, 100, D("2023-12-01"), D("2024-02-15"), D("2024-02-15"), "Won"],
        ["O2", "C2", "Ann", "Closed Lost", 2000, 0, D("2023-12-05"), D("2024-02-20"), D("2024-02-20"), "Lost"],
        ["O3", "C3", "Bob", "Closed Won", 3000, 100, D("2023-12-10"), D("2024-03-10"), D("2024-03-10"), "Won"],
        ["O4", "P9", "Bob", "Closed Lost", 500, 0, D("2023-12-12"), D("2024-01-20"), D("2024-01-20"), "Lost"],
        ["O5", "C4", "Ann", "Propose", 4000, 50, D("2024-02-01"), D("2024-04-15"), None, ""],
        ["O6", "C5", "Bob", "Negotiate", 1000, 80, D("2024-03-01"), D("2024-05-10"), None, ""],
        ["O7", "C6", "Bob", "Qualify", 2000, None, D("2024-03-20"), D("2024-04-30"), None, ""],
    ],
    columns=[
        "Opportunity ID", "Customer ID", "Sales Rep", "Stage", "Amount", "Probability (%)",
        "Created Date", "Expected Close Date", "Actual Close Date", "Outcome",
    ],
)  # fmt: skip

SNAPSHOTS = pd.DataFrame(
    [
        [D("2023-12-31"), "O1", "Ann", "Propose", 0.5, 1000, D("2024-01-31")],
        [D("2023-12-31"), "O2", "Ann", "Qualify", 0.2, 2000, D("2024-02-28")],
        [D("2023-12-31"), "O3", "Bob", "Qualify", 0.2, 3000, D("2024-03-15")],
        [D("2023-12-31"), "O4", "Bob", "Qualify", 0.2, 500, D("2024-01-31")],
        [D("2024-01-31"), "O1", "Ann", "Negotiate", 0.8, 1000, D("2024-02-15")],
        [D("2024-01-31"), "O2", "Ann", "Propose", 0.5, 2000, D("2024-02-20")],
        [D("2024-01-31"), "O3", "Bob", "Propose", 0.5, 3000, D("2024-03-10")],
        [D("2024-02-29"), "O3", "Bob", "Negotiate", 0.8, 3000, D("2024-03-10")],
        [D("2024-02-29"), "O5", "Ann", "Qualify", 0.2, 4000, D("2024-04-15")],
        [D("2024-03-31"), "O5", "Ann", "Propose", 0.5, 4000, D("2024-04-15")],
        [D("2024-03-31"), "O6", "Bob", "Negotiate", 0.8, 1000, D("2024-05-10")],
        [D("2024-03-31"), "O7", "Bob", "Qualify", None, 2000, D("2024-04-30")],
    ],
    columns=[
        "Snapshot Date", "Opportunity ID", "Owner", "Stage", "Probability", "Amount", "Close Date",
    ],
)  # fmt: skip

TRANSACTIONS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C1", "C9"],
        "date": pd.to_datetime(["2024-01-10", "2024-02-20", "2024-03-05", "2024-03-01"]),
        "revenue": [100.0, 500.0, 200.0, 50.0],
    }
)


def workbook(**frames: pd.DataFrame) -> Workbook:
    tables = {
        name: RawTable(frame, np.arange(2, len(frame) + 2), 1, name)
        for name, frame in frames.items()
    }
    return Workbook(tables, "fixture")


@pytest.fixture(scope="module")
def tables():
    book = workbook(Opportunities=OPPORTUNITIES, History=SNAPSHOTS)
    assert find_pipeline_sheets(book) == ("Opportunities", "History")
    return read_pipeline(book)


@pytest.fixture(scope="module")
def result(tables):
    settings = PipelineSettings(horizon_months=1, min_months=2)
    return analyse_pipeline(tables, settings, TRANSACTIONS, "EUR")


def test_tables_are_read_with_outcomes_and_probabilities_as_shares(tables):
    opps = tables.opportunities.set_index("opportunity_id")
    assert list(opps["outcome"]) == ["won", "lost", "won", "lost", "open", "open", "open"]
    assert opps.loc["O5", "probability"] == 0.5  # 50 in a "%" column
    assert np.isnan(opps.loc["O7", "probability"])
    assert len(tables.snapshots) == 12 and tables.rejected.empty


def test_stage_order_and_probabilities_from_file_and_learned(result):
    table = result.stages
    assert list(table.index) == ["Qualify", "Propose", "Negotiate"]
    assert list(table["file"]) == [0.2, 0.5, 0.8]  # median of what the CRM showed at each stage
    # Closed opportunities that reached each stage: Qualify O1-O4 (2 won), Propose O1-O3
    # (O2 was seen at Propose before it was lost; 2 won), Negotiate O1, O3 (both won).
    assert table["learned"].tolist() == pytest.approx([2 / 4, 2 / 3, 1.0])
    assert result.probability_source == "file"
    assert result.source_label == "from the file"


def test_weighted_pipeline_by_month_stage_and_rep(result):
    # O5 4,000 x 50% + O6 1,000 x 80% + O7 2,000 x 20% (no own probability: the stage's).
    assert result.weighted_total == pytest.approx(2000 + 800 + 400)
    by_month = result.by("close_month").set_index("close_month")["weighted"]
    assert by_month.to_dict() == pytest.approx({"2024-04": 2400.0, "2024-05": 800.0})
    by_rep = result.by("owner").set_index("owner")["weighted"]
    assert by_rep.to_dict() == pytest.approx({"Ann": 2000.0, "Bob": 1200.0})
    by_stage = result.by("stage").set_index("stage")["amount"]
    assert by_stage.to_dict() == {"Negotiate": 1000, "Propose": 4000, "Qualify": 2000}


def test_coverage_of_the_run_rate(result):
    cover = result.coverage
    assert result.as_of == D("2024-03-31")
    # Closing by 30 April: O5 and O7, 6,000 (weighted 2,400); no target given: won in March, 3,000.
    assert (cover.pipeline, cover.weighted, cover.target) == (6000.0, 2400.0, 3000.0)
    assert cover.ratio == 2.0 and cover.weighted_ratio == pytest.approx(0.8)
    assert cover.target_source == "won in the previous 1 months"


def test_stage_conversion_and_time_in_stage(result):
    funnel = result.funnel.set_index("stage")
    # Qualify: 7 reached, O7 still open there, 5 of the other 6 moved on.
    # Propose: 5 reached, O5 still open there, 3 of 4 moved on. Negotiate: O6 open, 2 of 2 won.
    assert funnel["reached"].tolist() == [7, 5, 3]
    assert funnel["decided"].tolist() == [6, 4, 2]
    assert funnel["conversion"].tolist() == pytest.approx([5 / 6, 3 / 4, 1.0])
    # Days from the first snapshot at a stage to the first at a later one (or the close):
    # Qualify O2 31, O4 20, O3 31, O5 31 -> 31; Propose O1 31, O2 20, O3 29 -> 29;
    # Negotiate O1 15, O3 10 -> 12.5.
    assert funnel["median_days"].tolist() == [31.0, 29.0, 12.5]


def test_forecast_against_won_by_rep(result):
    monthly = result.monthly.set_index(["owner", "month"])[["forecast", "won"]]
    assert monthly.to_dict("index") == {
        ("Ann", "2024-01"): {"forecast": 500.0, "won": 0.0},  # O1 1,000 x 50%
        ("Ann", "2024-02"): {"forecast": 1800.0, "won": 1000.0},  # O1 800 + O2 1,000
        ("Bob", "2024-01"): {"forecast": 100.0, "won": 0.0},  # O4 500 x 20%
        ("Bob", "2024-03"): {"forecast": 2400.0, "won": 3000.0},  # O3 3,000 x 80%
    }
    reps = result.reps.set_index("owner")
    assert reps.loc["Ann", "bias"] == pytest.approx(2300 / 1000)
    assert reps.loc["Bob", "bias"] == pytest.approx(2500 / 3000)
    assert reps.loc["Ann", "accuracy"] == 0.0  # misses 500 + 800 exceed what was won
    assert reps.loc["Bob", "accuracy"] == pytest.approx(1 - 700 / 3000)
    assert reps["verdict"].to_dict() == {"Ann": "optimistic", "Bob": "pessimistic"}
    assert result.team["bias"] == pytest.approx(4800 / 4000)
    assert result.team["accuracy"] == pytest.approx(1 - 2000 / 4000)


def test_won_deals_sit_beside_the_customers_purchases(result):
    won = result.won.set_index("opportunity_id")
    assert won["in_transactions"].to_dict() == {"O1": True, "O3": False}
    assert won.loc["O1", "first_purchase"] == D("2024-01-10")
    assert won.loc["O1", "revenue_since_close"] == 700.0  # 500 + 200 on or after 15 Feb
    assert np.isnan(won.loc["O3", "revenue_since_close"])


def test_learned_and_edited_probabilities(tables):
    learned = analyse_pipeline(tables, PipelineSettings(probability_source="learned"))
    # O5 4,000 x 2/3 + O6 1,000 x 1.0 + O7 2,000 x 1/2
    assert learned.weighted_total == pytest.approx(4000 * 2 / 3 + 1000 + 1000)
    assert learned.source_label == "learned from history"
    edited = analyse_pipeline(tables, PipelineSettings(stage_probabilities=(("Propose", 0.25),)))
    assert edited.weighted_total == pytest.approx(1000 + 800 + 400)
    assert edited.source_label == "from the file, some edited"
    assert list(edited.stages.index) == ["Qualify", "Propose", "Negotiate"]  # order kept


def test_german_headers_and_rows_left_out_with_reasons():
    german = OPPORTUNITIES.rename(
        columns={
            "Opportunity ID": "Verkaufschance", "Customer ID": "Kunde",
            "Sales Rep": "Vertriebsmitarbeiter", "Stage": "Phase", "Amount": "Betrag",
            "Probability (%)": "Wahrscheinlichkeit (%)", "Created Date": "Erstellt am",
            "Expected Close Date": "Abschlussdatum", "Actual Close Date": "Abgeschlossen am",
            "Outcome": "Ergebnis",
        }
    ).replace({"Won": "Gewonnen", "Lost": "Verloren"})  # fmt: skip
    german["Betrag"] = german["Betrag"].astype(object)
    german.loc[6, "Betrag"] = "viel"
    read = read_pipeline(workbook(Chancen=german))
    assert list(read.opportunities["outcome"][:4]) == ["won", "lost", "won", "lost"]
    assert read.rejected[["Row in file", "Reason"]].values.tolist() == [
        [8, "amount missing or not a number"]
    ]


def test_no_opportunities_is_a_clear_message():
    with pytest.raises(ValidationError, match="no opportunities"):
        analyse_pipeline(None)
    assert read_pipeline(workbook(Sales=TRANSACTIONS)) is None


def test_takeaways_say_what_the_charts_show(result):
    from cvm_core.analyses.pipeline import charts, takeaways

    assert takeaways.forecast(result) == (
        "Weighted pipeline €3.2k across 3 open opportunities; 2024-04 carries the most (€2.4k). "
        "Pipeline to 30 Apr 2024 covers the target 2.0x (80% expected)."
    )
    assert takeaways.funnel(result) == (
        "The weakest step is Propose: 75% of the opportunities decided there move on; "
        "100% of those reaching Negotiate are won."
    )
    assert takeaways.bias(result) == (
        "Ann forecast 2.30x what was won (optimistic); Bob forecast 0.83x what was won "
        "(pessimistic)."
    )
    for chart in (
        charts.forecast_chart(result),
        charts.funnel_chart(result),
        charts.bias_chart(result),
    ):
        assert chart.to_dict()["title"]["text"]


def test_won_deals_carry_the_customers_clv_where_known(tables):
    clv = pd.DataFrame({"clv": [250.0, 99.0]}, index=pd.Index(["C1", "C9"], name="customer_id"))
    won = analyse_pipeline(tables, transactions=TRANSACTIONS, clv=clv).won.set_index(
        "opportunity_id"
    )
    assert won.loc["O1", "clv"] == 250.0
    assert np.isnan(won.loc["O3", "clv"])  # C3 has no CLV (not a buying customer yet)
    assert "clv" not in analyse_pipeline(tables, transactions=TRANSACTIONS).won
