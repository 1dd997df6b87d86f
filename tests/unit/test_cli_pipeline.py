"""`python -m cvm_core pipeline FILE --json`: on an opportunities export alone (the hand-computed
fixture of test_pipeline.py), on the demo workbook, and on a file without opportunities."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.intake.demo_pipeline import PLANTED
from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH
from tests.unit.test_pipeline import OPPORTUNITIES, SNAPSHOTS


def run_json(capsys, *argv: str) -> dict:
    assert main(["pipeline", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A CRM export on its own: current opportunities and their history, no sales."""
    path = tmp_path / "crm_export.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        OPPORTUNITIES.to_excel(writer, sheet_name="Opportunities", index=False)
        SNAPSHOTS.to_excel(writer, sheet_name="History", index=False)
    return path


def test_an_opportunities_export_on_its_own(export, capsys):
    out = run_json(capsys, str(export), "--horizon-months", "1")
    assert out["dataset"] == "crm_export.xlsx"
    assert out["as_of"] == "2024-03-31"
    assert out["probabilities"] == "from the file"
    assert out["weighted_pipeline"] == 3200.0  # 4,000 x 50% + 1,000 x 80% + 2,000 x 20%
    assert [s["stage"] for s in out["stages"]] == ["Qualify", "Propose", "Negotiate"]
    assert [s["conversion"] for s in out["stages"]] == [0.8333, 0.75, 1.0]
    assert out["coverage"]["coverage"] == 2.0 and out["coverage"]["target"] == 3000.0
    reps = {r["owner"]: r for r in out["forecast_accuracy"]["reps"]}
    assert reps["Ann"]["bias"] == 2.3 and reps["Bob"]["bias"] == 0.8333
    assert out["won_deals"] == 2 and out["won_deals_with_customer_in_transactions"] == 0


def test_edited_and_learned_probabilities_from_the_command_line(export, capsys):
    out = run_json(capsys, str(export), "--stage-probability", "Propose=25%")
    assert out["weighted_pipeline"] == 2200.0
    assert out["probabilities"] == "from the file, some edited"
    learned = run_json(capsys, str(export), "--probabilities", "learned")
    assert learned["weighted_pipeline"] == pytest.approx(4000 * 2 / 3 + 2000, abs=0.01)


def test_the_demo_workbook_finds_the_planted_reps(capsys):
    out = run_json(capsys, str(DEMO_WORKBOOK_PATH))
    verdicts = {r["owner"]: r["verdict"] for r in out["forecast_accuracy"]["reps"]}
    assert verdicts[PLANTED["optimistic"]] == "optimistic"
    assert verdicts[PLANTED["pessimistic"]] == "pessimistic"
    assert out["currency"] == "EUR"
    assert out["won_deals_with_customer_in_transactions"] > 0.9 * out["won_deals"]


def test_a_file_without_opportunities_says_what_to_add(tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_text("Customer ID,Date,Revenue\nA,2024-01-02,10.00\n", encoding="utf-8")
    assert main(["pipeline", str(path), "--json"]) == 2
    assert "no opportunities" in capsys.readouterr().err


def test_a_bad_stage_probability_is_refused(export, capsys):
    assert main(["pipeline", str(export), "--stage-probability", "Propose=lots"]) == 2
    assert "--stage-probability takes STAGE=P" in capsys.readouterr().err


def test_the_scorecard_command_reads_top_down_with_the_pipelines_numbers(capsys):
    pipeline = run_json(capsys, str(DEMO_WORKBOOK_PATH))
    argv = ["scorecard", str(DEMO_WORKBOOK_PATH), "--json", "--target", "pipeline_coverage=3"]
    assert main(argv) == 0
    chain = {r["key"]: r for r in json.loads(capsys.readouterr().out)["hierarchy"]}
    assert [chain[k]["level"] for k in ("customer_equity", "new_customers", "forecast_accuracy")] == [
        "Goal", "Process measure", "Leading indicator",
    ]  # fmt: skip
    coverage = chain["pipeline_coverage"]
    assert round(coverage["value"], 3) == pipeline["coverage"]["coverage"]
    assert coverage["target"] == 3.0 and coverage["status"] == "off target"
    team = pipeline["forecast_accuracy"]["team"]["accuracy"]
    assert round(chain["forecast_accuracy"]["value"], 4) == team
