"""`python -m cvm_core summary FILE [--sheet S] [--map role=col] [--json]`.

Two runs go through a real subprocess (exit codes, stdout/stderr as a user sees them); the option
handling is checked in-process through ``main(argv)``, which is what ``python -m`` calls.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cvm_core.__main__ import main

REPO = Path(__file__).resolve().parents[2]
MESSY = REPO / "tests" / "files" / "messy_de_cp1252.csv"


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Both subprocess runs, started together: each pays ~3 s of imports (see the report)."""
    empty = tmp_path_factory.mktemp("cli") / "empty.csv"
    empty.write_bytes(b"")
    commands = {"messy": [str(MESSY), "--json"], "empty": [str(empty), "--json"]}
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "cvm_core", "summary", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


def test_summary_json_of_the_messy_export(cli_runs):
    result = cli_runs["messy"]
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["dataset"] == "messy_de_cp1252.csv"
    assert out["currency"] == "EUR"
    assert out["mapping"] == {
        "customer_id": "Kundennummer",
        "date": "Bestelldatum",
        "revenue": "Umsatz",
        "order_id": "Bestellnummer",
        "return_flag": "Retoure",
    }
    assert out["validation"] == {
        "rows_read": 11,
        "rows_kept": 6,
        "rows_rejected": 5,
        "rejected_by_reason": {
            "blank row": 1,
            "duplicate of an earlier row (same values in every column)": 1,
            "unreadable date": 1,
            "missing customer id": 1,
            "totals or subtotal row": 1,
        },
    }
    overview = out["overview"]
    # Purchases 1.234,50 + 89,90 + 2.000,00; returns 12,50 + 45,00 + 310,00 (flagged "Ja").
    assert overview["customers"] == 3
    assert overview["transactions"] == 6
    assert (overview["first_date"], overview["last_date"]) == ("2023-12-31", "2024-02-29")
    assert overview["revenue"] == pytest.approx(3324.4)
    assert overview["returns"] == pytest.approx(367.5)
    assert overview["net_revenue"] == pytest.approx(2956.9)
    assert overview["repeat_customer_share"] == pytest.approx(1 / 3)  # only K-1001
    assert overview["margin"] is None
    assert result.stderr == ""


def test_bad_file_exits_2_with_a_message_on_stderr(cli_runs):
    result = cli_runs["empty"]
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "error: 'empty.csv' is empty (0 bytes). Export the data again and upload that file."
    )


def in_process(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["summary", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_observation_end_and_map_override(capsys, tmp_path):
    code, out, err = in_process(capsys, str(MESSY), "--observation-end", "2024-01-31", "--json")
    assert code == 0, err
    validation = json.loads(out)["validation"]
    # Rows 10, 11 and 12 (20 and 29 Feb) fall after the end; row 12 is no longer "a duplicate".
    assert validation["rows_kept"] == 4
    assert validation["rejected_by_reason"]["date after the observation end"] == 3
    assert (
        "duplicate of an earlier row (same values in every column)"
        not in validation["rejected_by_reason"]
    )

    # Unmapping the return flag by mapping its column elsewhere: 310,00 is then a purchase.
    code, out, err = in_process(capsys, str(MESSY), "--map", "product=Retoure", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["mapping"]["product"] == "Retoure"
    assert "return_flag" not in result["mapping"]
    assert result["overview"]["revenue"] == pytest.approx(3324.4 + 310.0)


def test_sheet_option_on_a_workbook(capsys, tmp_path, build):
    path = tmp_path / "book.xlsx"
    path.write_bytes(
        build.xlsx(
            {
                "Big": [["Customer ID", "Date", "Revenue"]]
                + [["A", dt.datetime(2023, 1, d), 1.0] for d in range(1, 11)],
                "Small": [["Customer ID", "Date", "Revenue"], ["B", dt.datetime(2023, 2, 1), 2.0]],
            }
        )
    )
    code, out, _ = in_process(capsys, str(path), "--json")
    assert json.loads(out)["overview"]["transactions"] == 10  # the bigger sheet is guessed
    code, out, _ = in_process(capsys, str(path), "--sheet", "Small", "--json")
    assert code == 0
    assert json.loads(out)["overview"]["transactions"] == 1
    code, _, err = in_process(capsys, str(path), "--sheet", "Nope")
    assert code == 2
    assert err.strip() == "error: No sheet 'Nope'; the file has: Big, Small."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "No such file"),
        (["{messy}", "--map", "revenue=Nope"], "not in 'messy_de_cp1252.csv': ['Nope']"),
        (["{messy}", "--map", "shoe_size=Umsatz"], "--map takes ROLE=COLUMN"),
    ],
)
def test_user_errors_exit_2(capsys, tmp_path, args, message):
    args = [a.format(missing=tmp_path / "nope.csv", messy=MESSY) for a in args]
    code, out, err = in_process(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err


def test_readable_output_without_json(capsys):
    code, out, _ = in_process(capsys, str(MESSY))
    assert code == 0
    lines = out.splitlines()
    assert "overview:" in lines
    assert "  customers: 3" in lines
    assert "  rows_rejected: 5" in lines
