"""Downloads (cvm_core.outputs.export): CSV and XLSX that open cleanly and cannot run formulas."""

from __future__ import annotations

import csv
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cvm_core.outputs.export import (
    CUT_MARK,
    MAX_CELL_CHARS,
    csv_bytes,
    neutralise_formulas,
    neutralise_text,
    xlsx_bytes,
)

DANGEROUS = ["=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "\n=1+1"]


def frame_with_dangerous_text() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Customer": DANGEROUS + ["Müller GmbH", None],
            "Revenue": [1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.25, np.nan],
            "Orders": list(range(-4, 5)),
        }
    )


def read_csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd", "'=cmd"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("a\x00b\x07c\x1bd", "abcd"),  # control characters removed
        ("\x01=cmd", "'=cmd"),  # ... before the formula check, so they cannot hide an '='
        ("plain text", "plain text"),
        ("1+1=2", "1+1=2"),  # only the first character matters
    ],
)
def test_neutralise_text(text, expected):
    assert neutralise_text(text) == expected


def test_non_text_values_pass_through():
    for value in (1.5, -3, None, pd.Timestamp("2024-01-01")):
        assert neutralise_text(value) is value


def test_neutralise_formulas_covers_headers_and_does_not_change_the_input():
    frame = pd.DataFrame({"=HYPERLINK()": ["=1"], "n": [-1]})
    before = frame.copy()
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=HYPERLINK()", "n"]
    assert out["'=HYPERLINK()"].tolist() == ["'=1"]
    assert out["n"].tolist() == [-1]
    pd.testing.assert_frame_equal(frame, before)


def test_categorical_text_is_neutralised():
    frame = pd.DataFrame({"c": pd.Categorical(["=1", "ok", "=1"])})
    assert neutralise_formulas(frame)["c"].tolist() == ["'=1", "ok", "'=1"]


def test_csv_neutralises_text_and_keeps_numbers():
    rows = read_csv_cells(csv_bytes(frame_with_dangerous_text()))
    assert rows[0] == ["Customer", "Revenue", "Orders"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in DANGEROUS] + ["Müller GmbH", ""]
    # Numbers, negative ones included, are written as plain numbers, not neutralised text.
    assert [r[1] for r in rows[1:]] == [
        "1.5",
        "-2.0",
        "3.0",
        "4.0",
        "5.0",
        "6.0",
        "7.0",
        "8.25",
        "",
    ]
    assert [r[2] for r in rows[1:]] == ["-4", "-3", "-2", "-1", "0", "1", "2", "3", "4"]


def test_csv_with_index():
    frame = pd.DataFrame({"v": [1]}, index=pd.Index(["=evil"], name="customer_id"))
    assert read_csv_cells(csv_bytes(frame, index=True)) == [["customer_id", "v"], ["'=evil", "1"]]


def test_csv_cell_with_a_carriage_return_stays_one_row():
    frame = pd.DataFrame({"note": ["first\rsecond", "ok"], "n": [1, 2]})
    rows = read_csv_cells(csv_bytes(frame))
    assert rows == [["note", "n"], ["first\rsecond", "1"], ["ok", "2"]]


def test_xlsx_has_no_formula_cells_and_numbers_stay_numbers():
    data = xlsx_bytes(
        {"Rows set aside": frame_with_dangerous_text(), "Second": pd.DataFrame({"=x": ["+y"]})}
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Rows set aside", "Second"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    sheet = book["Rows set aside"]
    customers = [sheet.cell(row=r, column=1).value for r in range(2, 9)]
    # openpyxl shows a carriage return as Excel stores it (_x000D_).
    assert customers == ["'" + t.replace("\r", "_x000D_") for t in DANGEROUS]
    revenue = [sheet.cell(row=r, column=2) for r in range(2, 10)]
    assert [c.value for c in revenue] == [1.5, -2, 3, 4, 5, 6, 7, 8.25]
    assert {c.data_type for c in revenue} == {"n"}
    assert sheet.cell(row=2, column=3).value == -4
    assert book["Second"]["A1"].value == "'=x"
    assert book["Second"]["A2"].value == "'+y"
    assert sheet.freeze_panes == "A2"


def test_xlsx_sheet_names_are_made_legal():
    data = xlsx_bytes({"a/b:c?d*e[f]" + "x" * 40: pd.DataFrame({"v": [1]})})
    name = openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0]
    assert name == "a b c d e f " + "x" * 19
    assert len(name) == 31


def test_xlsx_dates_are_dates():
    frame = pd.DataFrame({"date": pd.to_datetime(["2024-01-31"]), "v": [1.0]})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"S": frame}))).active
    assert sheet["A2"].value == pd.Timestamp("2024-01-31").to_pydatetime()
    assert sheet["A2"].is_date


def test_long_text_is_cut_to_the_excel_limit_and_says_so():
    # Was: cut to 32,767 x's without a word, in the CSV download too.
    frame = pd.DataFrame({"note": ["x" * 40_000]})
    cut = "x" * (MAX_CELL_CHARS - len(CUT_MARK)) + CUT_MARK
    assert CUT_MARK == " [… cut here: an Excel cell holds at most 32,767 characters]"
    assert neutralise_formulas(frame)["note"].iloc[0] == cut
    assert len(cut) == MAX_CELL_CHARS
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"S": frame}))).active
    assert sheet["A2"].value == cut


def test_csv_keeps_long_text_whole():
    frame = pd.DataFrame({"note": ["x" * 40_000, "=" + "y" * 40_000]})
    rows = read_csv_cells(csv_bytes(frame))
    assert rows[1] == ["x" * 40_000]
    assert rows[2] == ["'=" + "y" * 40_000]  # still formula-safe


def test_text_at_the_limit_is_not_cut():
    assert neutralise_text("x" * MAX_CELL_CHARS) == "x" * MAX_CELL_CHARS
    assert neutralise_text("=" + "x" * (MAX_CELL_CHARS - 2)) == "'=" + "x" * (MAX_CELL_CHARS - 2)


def test_long_formula_like_text_stays_within_the_excel_limit():
    cut = neutralise_text("=" + "x" * 40_000)
    assert len(cut) == MAX_CELL_CHARS
    assert cut.startswith("'=x") and cut.endswith(CUT_MARK)
