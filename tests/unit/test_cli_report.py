"""`python -m cvm_core report FILE [--workspace W] --deck out.pptx --workbook out.xlsx [--json]`.

One run goes through a real subprocess (what a user types); the others call ``main(argv)``.
Outputs are reopened with python-pptx and openpyxl.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation

from cvm_core.__main__ import main
from cvm_core.analyses.scorecard import specs
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from cvm_core.outputs import deck, workspace

REPO = Path(__file__).resolve().parents[2]
DEMO = demo_workbook.DEMO_WORKBOOK_PATH


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    deck, book = out / "deck.pptx", out / "results.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "cvm_core", "report", str(DEMO), "--deck", str(deck),
         "--workbook", str(book), "--client", "Acme GmbH", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return proc, deck, book


def test_report_writes_a_deck_and_a_workbook_and_prints_the_scorecard(cli_run):
    proc, deck_path, book_path = cli_run
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    card = result["scorecard"]
    assert card["period"] == "Q4 2024" and card["previous_period"] == "Q3 2024"
    assert [m["key"] for m in card["measures"]] == [m.key for m in specs.MEASURES]
    assert result["notes"] == []

    prs = Presentation(str(deck_path))
    slides = list(prs.slides)
    titles = result["deck"]["titles"]
    assert len(slides) == result["deck"]["slides"] == 1 + len(titles)
    assert slides[0].shapes.title.text == "Customer value review: Acme GmbH"
    assert [s.shapes.title.text for s in slides[1:]] == titles
    # the storyline: summary first, 10-14 slides to the appendix, the full scorecard after it
    assert titles[0] == "Executive summary"
    appendix = titles.index("Appendix")
    assert 10 <= 1 + appendix <= 14  # title slide + the story
    assert "Whale curve" not in result["deck"]["charts"]  # story titles ask the client's question
    assert any(t.startswith("Who creates value") for t in titles[:appendix])
    for slide in slides[1 : 1 + appendix]:
        pictures = sum(sh.shape_type == 13 for sh in slide.shapes)
        assert pictures <= 1
    measures = len(specs.MEASURES)
    full = [
        s for s in slides[1 + appendix :] if s.shapes.title.text.startswith("Customer management")
    ]
    assert len(full) == math.ceil(measures / deck.TABLE_ROWS_PER_SLIDE)
    tables = [sh.table for s in full for sh in s.shapes if sh.has_table]
    measure_cells = [t.cell(i, 1).text for t in tables for i in range(1, len(t.rows))]
    assert measure_cells == [m["measure"] for m in card["measures"]]
    assert "deck: slide 3 of" in proc.stderr  # progress names the slide being drawn

    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == [
        "About", "Customers", "Segments", "Cohort retention", "Cohort revenue retention",
        "Churn by period", "Scorecard", "Traits of valuable", "Attribute lifts",
        "New customers by source", "CLV ranges by tier",
    ]  # fmt: skip
    customers = book["Customers"]
    assert customers.max_row == 4001  # header + 4,000 demo customers
    headers = [c.value for c in customers[1]]
    for header in ("RFM segment", "Operating profit (EUR)", "CLV (EUR)", "Value tier", "P(alive)"):
        assert header in headers
    for sheet in book:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_workspace_settings_and_mapping_are_used(tmp_path, capsys):
    dataset = load_file(DEMO.read_bytes(), DEMO.name)
    settings = {
        "cvm.unit": "month",
        "clv.tier.Platinum": 10.0,  # 10% / 20% / 30% / rest 40% of 4,000 customers
        "clv.tier.Gold": 20.0,
        "clv.tier.Iron": 30.0,
        "whale.margin": 35,
        "cvm.scorecard.frequency": "M",
        "cvm.scorecard.targets": {"churn_rate": 0.1, "not_a_measure": 5.0},
        "cvm.scorecard.typed": {"satisfaction": 0.72},
    }
    saved = tmp_path / "workshop.json"
    saved.write_bytes(workspace.save_workspace(settings, dataset))
    book_path = tmp_path / "out.xlsx"
    argv = ["report", str(DEMO), "--workspace", str(saved), "--workbook", str(book_path), "--json"]
    assert main(argv) == 0
    card = json.loads(capsys.readouterr().out)["scorecard"]
    assert card["period"] == "Dec 2024"  # months, as the workspace says
    measures = {m["key"]: m for m in card["measures"]}
    assert measures["churn_rate"]["target"] == 0.1
    assert measures["churn_rate"]["status"] in {"on target", "watch", "off target"}
    assert measures["satisfaction"]["value"] == 0.72
    assert measures["satisfaction"]["source"] == "typed in"
    customers = openpyxl.load_workbook(book_path)["Customers"]
    headers = [c.value for c in customers[1]]
    j = headers.index("Value tier") + 1
    tiers = [customers.cell(i, j).value for i in range(2, customers.max_row + 1)]
    assert {t: tiers.count(t) for t in set(tiers)} == {
        "Platinum": 400, "Gold": 800, "Iron": 1200, "Lead": 1600
    }  # fmt: skip


def test_workspace_with_data_can_be_the_input(tmp_path, capsys):
    dataset = load_file(DEMO.read_bytes(), DEMO.name)
    saved = tmp_path / "workshop.zip"
    saved.write_bytes(workspace.save_workspace({}, dataset, include_data=True))
    book_path = tmp_path / "out.xlsx"
    assert main(["report", str(saved), "--workbook", str(book_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dataset"] == "demo_retail.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(book_path.read_bytes()))["Customers"].max_row == 4001


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--deck", "out.ppt"], "should end in .pptx"),
        (["--workbook", "/no/such/folder/out.xlsx"], "does not exist"),
        (["--workspace", "missing.json"], "No such workspace file"),
    ],
)
def test_bad_options_are_explained(argv, message, capsys):
    assert main(["report", str(DEMO), *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_workspace_without_data_is_not_a_data_file(tmp_path, capsys):
    saved = tmp_path / "settings.json"
    saved.write_bytes(workspace.save_workspace({"cvm.unit": "week"}))
    assert main(["report", str(saved)]) == 2
    assert "workspace without data" in capsys.readouterr().err


def test_customer_view_reconciles_with_the_workbook(cli_run):
    """`customer --id` shows the profit and CLV the report's workbook has for that customer."""
    _, _, book_path = cli_run
    proc = subprocess.run(
        [sys.executable, "-m", "cvm_core", "customer", str(DEMO), "--id", "c01160", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    view = json.loads(proc.stdout)
    assert view["customer_id"] == "C01160" and view["name"] == "Dobelcor Academy"
    pnl = view["pnl"]
    assert pnl["gross_margin"] - pnl["cost_to_serve"] == pytest.approx(pnl["profit"], abs=0.01)
    costs = view["cost_to_serve_by_activity"]
    assert sum(costs.values()) == pytest.approx(pnl["cost_to_serve"], abs=0.01)
    sheet = openpyxl.load_workbook(book_path)["Customers"]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "C01160")
    assert row[headers.index("Operating profit (EUR)")] == pytest.approx(pnl["profit"], abs=0.01)
    assert row[headers.index("CLV (EUR)")] == pytest.approx(view["value"]["clv"], abs=0.01)
    assert view["status"]["status"] in ("Active", "Churned")
    bad = subprocess.run(
        [sys.executable, "-m", "cvm_core", "customer", str(DEMO), "--id", "nobody"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "No customer 'nobody'" in bad.stderr


def test_lang_writes_the_workbook_in_german(tmp_path, capsys):
    from cvm_core import i18n

    book_path = tmp_path / "out.xlsx"
    try:
        assert (
            main(["report", str(DEMO), "--workbook", str(book_path), "--json", "--lang", "de"]) == 0
        )
    finally:
        i18n.use("en")  # main() sets the language for the process, as a command run does
    result = json.loads(capsys.readouterr().out)
    assert "scorecard" in result  # the JSON keeps its English keys
    book = openpyxl.load_workbook(io.BytesIO(book_path.read_bytes()))
    assert book.sheetnames[:3] == ["Über diese Datei", "Kunden", "Segmente"]
    assert book["Kunden"].max_row == 4001
    assert "Nettoumsatz (EUR)" in [c.value for c in book["Kunden"][1]]
