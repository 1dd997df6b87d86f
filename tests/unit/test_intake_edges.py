"""Edges that hold (issue 16): unusual input is caught at intake with a reason a business user can
act on (rows set aside, each with its reason and row number) or a note about the whole file; it is
never silently misread. Files are built here, tiny and readable; expected values are worked out by
hand in the comments."""

from __future__ import annotations

import datetime as dt
import io
import json
import warnings
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cvm_core.errors import CvmError, ReadError
from cvm_core.intake import dates
from cvm_core.intake import io as io_module
from cvm_core.intake import validate as V
from cvm_core.intake.amounts import parse_amounts
from cvm_core.intake.dataset import (
    attach_tables,
    load_file,
    match_note,
    prepare_cost_to_serve,
    prepare_customer_table,
)
from cvm_core.intake.excerpt import excerpt
from cvm_core.intake.formulas import formulas_without_results
from cvm_core.intake.io import read_workbook
from cvm_core.intake.schema import duplicate_header_notes
from tests.unit.conftest import replace_zip_part


def csv(text: str) -> bytes:
    return text.strip().encode() + b"\n"


def rejected_pairs(dataset) -> list[list]:
    return dataset.validation.rejected[["Row in file", "Reason"]].values.tolist()


# --- 1. dates outside the plausible range ------------------------------------------------------

DATES_CSV = """
Customer,Date,Amount
C1,2024-01-05,10
C2,2024-02-05,20
C1,2024-03-05,30
C3,1899-12-30,5
C4,2099-01-01,7
C5,1850-06-01,3
"""


def test_dates_before_1990_or_far_ahead_are_set_aside_naming_the_date():
    dataset = load_file(csv(DATES_CSV), "dates.csv")
    today = f"{dt.date.today():%Y-%m-%d}"
    assert rejected_pairs(dataset) == [
        [5, "date 1899-12-30 is before 1990: probably a blank or mistyped date"],
        [6, f"date 2099-01-01 is more than a year after today ({today}): probably a mistyped date"],
        [7, "date 1850-06-01 is before 1990: probably a blank or mistyped date"],
    ]
    assert dataset.transactions["source_row"].tolist() == [2, 3, 4]
    assert dataset.transactions["revenue"].sum() == 60.0  # 10 + 20 + 30, not 75


def test_date_limits_are_inclusive(build):
    today = dt.date.today()
    last_ok = today + dt.timedelta(days=dates.LATEST_DAYS_AHEAD)
    rows = [
        ["A", "1990-01-01", "1"],  # 2: the first plausible day
        ["A", "1989-12-31", "1"],  # 3: one day too early
        ["A", f"{last_ok:%Y-%m-%d}", "1"],  # 4: 366 days ahead: kept
        ["A", f"{last_ok + dt.timedelta(days=1):%Y-%m-%d}", "1"],  # 5: 367 days ahead
    ]
    result = V.validate_transactions(
        build.raw_table(["Customer ID", "Date", "Revenue"], rows),
        build.mapping(
            ["Customer ID", "Date", "Revenue"],
            customer_id="Customer ID",
            date="Date",
            revenue="Revenue",
        ),
    )
    assert result.transactions["source_row"].tolist() == [2, 4]
    assert result.rejected["Row in file"].tolist() == [3, 5]
    assert dates.EARLIEST_DATE == pd.Timestamp("1990-01-01")


def test_many_distinct_bad_dates_share_one_reason(build):
    # 25 different years before 1990: more than MAX_DATED_REASONS, so the reason names no date
    # (a reason table 25 lines long helps nobody); the dates are in the rows themselves.
    rows = [["A", "2024-01-01", "1"]] + [["A", f"{1900 + i}-01-01", "1"] for i in range(25)]
    columns = ["Customer ID", "Date", "Revenue"]
    result = V.validate_transactions(
        build.raw_table(columns, rows),
        build.mapping(columns, customer_id="Customer ID", date="Date", revenue="Revenue"),
    )
    assert result.reason_counts().to_dict() == {
        "date before 1990: probably a blank or mistyped date": 25
    }


def test_observation_end_is_checked_after_the_plausible_range(build):
    # 2099 is after the end too, but "mistyped" tells the user more than "after the end".
    columns = ["Customer ID", "Date", "Revenue"]
    rows = [["A", "2024-01-01", "1"], ["A", "2024-06-01", "1"], ["A", "2099-01-01", "1"]]
    result = V.validate_transactions(
        build.raw_table(columns, rows),
        build.mapping(columns, customer_id="Customer ID", date="Date", revenue="Revenue"),
        V.ValidationOptions(observation_end=pd.Timestamp("2024-03-31")),
    )
    reasons = result.rejected["Reason"].tolist()
    assert reasons[0] == "date after the observation end"
    assert reasons[1].startswith("date 2099-01-01 is more than a year after today")


# --- 2. amounts that are not finite or absurdly large ------------------------------------------

HUGE_CSV = """
Customer,Date,Amount
C1,2024-01-05,10
C2,2024-02-05,20
C1,2024-03-05,30
C3,2024-04-01,1e308
C3,2024-04-02,1e308
C4,2024-04-03,inf
C4,2024-04-04,-1000000000001
C4,2024-04-05,-1000000000000
"""


def test_infinite_and_absurd_amounts_are_set_aside():
    dataset = load_file(csv(HUGE_CSV), "huge.csv")
    huge = (
        "amount over 1,000,000,000,000 (plus or minus): probably a mistyped number, or an id or "
        "a code in the amount column"
    )
    assert rejected_pairs(dataset) == [
        [5, huge],
        [6, huge],  # 1e308 + 1e308 would be inf in every sum
        [7, "amount is not a number"],
        [8, huge],  # one more than a trillion
    ]
    # 10 + 20 + 30 - 1,000,000,000,000 (exactly the limit is kept)
    assert dataset.transactions["revenue"].sum() == 60.0 - 1e12
    assert V.MAX_ABS_AMOUNT == 1e12


def test_quantity_times_price_that_overflows_is_set_aside(build):
    columns = ["Customer ID", "Date", "Qty", "Price", "Cost"]
    rows = [
        ["A", "2024-01-01", "2", "5", "1"],  # 10, kept
        ["A", "2024-01-02", "1e200", "1e200", "1"],  # inf: set aside, no overflow warning
        ["A", "2024-01-03", "1", "5", "2e12"],  # absurd cost of goods
    ]
    mapping = build.mapping(
        columns, customer_id="Customer ID", date="Date", quantity="Qty", unit_price="Price",
        cost="Cost",
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = V.validate_transactions(build.raw_table(columns, rows), mapping)
    assert result.transactions["revenue"].tolist() == [10.0]
    assert result.rejected["Reason"].tolist() == [V.HUGE_AMOUNT, V.HUGE_COST]


def test_json_output_never_holds_bare_nan_or_infinity(capsys):
    from cvm_core.__main__ import json_text

    text = json_text(
        {"a": float("inf"), "b": [np.float64("nan"), 1.5], "c": np.int64(3), "d": np.array([2.0])}
    )
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": 3, "d": [2.0]}
    assert "Infinity" not in text and "NaN" not in text


def test_summary_json_of_a_file_with_huge_amounts_is_strict_json(capsys, tmp_path):
    from cvm_core.__main__ import main

    path = tmp_path / "huge.csv"
    path.write_bytes(csv(HUGE_CSV))
    assert main(["summary", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out, parse_constant=lambda name: pytest.fail(f"bare {name} in JSON"))
    assert result["overview"]["revenue"] == 60.0  # the return of -1e12 is not revenue
    assert result["validation"]["rows_rejected"] == 4


def test_absurd_values_in_the_customer_and_cost_tables_are_left_empty(build):
    customers = build.raw_table(
        ["Customer ID", "Region", "Acquisition cost"],
        [["A", "North", "150"], ["B", "South", "1e308"]],
    )
    table, notes = prepare_customer_table(customers)
    assert table["acquisition_cost"].tolist()[0] == 150.0
    assert np.isnan(table.loc["B", "acquisition_cost"])
    assert notes == [
        "1 value in column 'Acquisition cost' of 'sheet' is over 1,000,000,000,000 (plus or "
        "minus), probably mistyped, and left empty."
    ]
    drivers, notes = prepare_cost_to_serve(
        build.raw_table(["Customer ID", "Service calls"], [["A", "3"], ["A", "1e308"], ["B", "2"]])
    )
    assert drivers["Service calls"].to_dict() == {"A": 3.0, "B": 2.0}  # not inf for A
    assert len(notes) == 1


# --- 3. the same header twice ------------------------------------------------------------------

TWO_AMOUNTS_CSV = """
Customer,Date,Amount,Amount
C1,2024-01-05,10,1
C2,2024-02-05,20,2
C1,2024-03-05,30,3
"""


def test_the_first_of_two_columns_called_amount_is_revenue_with_a_note():
    dataset = load_file(csv(TWO_AMOUNTS_CSV), "twoamount.csv")
    assert dataset.mapping.roles["revenue"] == "Amount"
    assert dataset.transactions["revenue"].sum() == 60.0  # 10 + 20 + 30, not 1 + 2 + 3
    assert (
        "Two columns are called 'Amount'; used the first ('Amount') as revenue; choose the other "
        "('Amount (2)') in the column mapping if that is the right one."
    ) in dataset.notes


def test_repeated_header_note_follows_the_users_choice():
    columns = ["Customer", "Date", "Amount", "Amount (2)", "Amount (3)"]
    roles = {"customer_id": "Customer", "date": "Date", "revenue": "Amount (2)"}
    assert duplicate_header_notes(columns, roles) == [
        "Three columns are called 'Amount'; used the second ('Amount (2)') as revenue; choose "
        "another ('Amount', 'Amount (3)') in the column mapping if that is the right one."
    ]
    # Both mapped (one as revenue, one as cost of goods): nothing left to choose, no note.
    roles["cost"] = "Amount"
    roles["quantity"] = "Amount (3)"
    assert duplicate_header_notes(columns, roles) == []
    # A header that merely ends in a number in brackets is not a copy.
    assert duplicate_header_notes(["Revenue (2)", "Date"], {"revenue": "Revenue (2)"}) == []


# --- 4. "1.500": thousands or decimals? --------------------------------------------------------


def test_ambiguous_dots_in_a_german_file_are_thousands():
    # Semicolons and dotted dates: German. 1.500 + 2.250 + 3.000 = 6,750 (not 6.75).
    text = "Kunde;Datum;Betrag\nC1;05.01.2024;1.500\nC2;05.02.2024;2.250\nC1;05.03.2024;3.000\n"
    dataset = load_file(text.encode(), "thousands.csv")
    assert dataset.transactions["revenue"].tolist() == [1500.0, 2250.0, 3000.0]
    assert (
        "Amounts like 1.500 in 'Betrag' were read as 1,500 (the dot as a thousands separator, as "
        "in German files: its fields are separated by semicolons). If they mean 1.5, write them "
        "with a decimal comma (1,5) and upload the file again."
    ) in dataset.notes


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        (
            "Customer,Date,Amount\nC1,05.01.2024,2.250\nC2,05.02.2024,500\n",
            "its dates are written like 31.12.2024",
        ),
        (
            'Customer,Date,Amount,Discount\nC1,2024-01-05,2.250,"12,50"\nC2,2024-02-05,500,"0,5"\n',
            "column 'Discount' has decimal commas",
        ),
    ],
)
def test_other_german_evidence_reads_thousands(text, evidence):
    dataset = load_file(text.encode(), "sales.csv")
    assert dataset.transactions["revenue"].tolist() == [2250.0, 500.0]
    assert (
        f"Amounts like 2.250 in 'Amount' were read as 2,250 (the dot as a thousands separator, "
        f"as in German files: {evidence}). If they mean 2.25, write them with a decimal comma "
        "(2,25) and upload the file again."
    ) in dataset.notes


def test_ambiguous_dots_without_german_evidence_are_decimals():
    text = "Customer,Date,Amount\nC1,2024-01-05,1.500\nC2,2024-02-05,2.250\n"
    dataset = load_file(text.encode(), "sales.csv")
    assert dataset.transactions["revenue"].tolist() == [1.5, 2.25]
    assert (
        "Amounts like 1.500 in 'Amount' were read as 1.5 (the dot as a decimal point: nothing "
        "else in the file looks German). If they mean 1,500, write them without the dot (1500) "
        "and upload the file again."
    ) in dataset.notes


@pytest.mark.parametrize(
    ("cells", "ambiguous"),
    [
        (["1.500", "2.250", "500", ""], "1.500"),
        (["€ 1.500", "2.250 €"], "1.500"),
        (["1.500", "12.50"], ""),  # 12.50 settles it: decimal point
        (["1.500", "1.234,50"], ""),  # decimal comma
        (["1.500", "1.250.000"], ""),  # two dots group thousands
        (["0.500", "1.500"], ""),  # a leading zero is never a thousands group
        (["10", "20"], ""),
    ],
)
def test_which_columns_are_ambiguous(cells, ambiguous):
    assert parse_amounts(pd.Series(cells, dtype=object)).ambiguous_dots == ambiguous


def test_the_caller_decides_an_ambiguous_column():
    column = pd.Series(["1.500", "2.250", "500"], dtype=object)
    assert parse_amounts(column).values.tolist() == [1.5, 2.25, 500.0]
    assert parse_amounts(column, dots_group_thousands=True).values.tolist() == [
        1500.0, 2250.0, 500.0,
    ]  # fmt: skip
    # An unambiguous column ignores the hint.
    settled = pd.Series(["1.500", "12.50"], dtype=object)
    assert parse_amounts(settled, dots_group_thousands=True).values.tolist() == [1.5, 12.5]


# --- 5. more than one currency in the amount column --------------------------------------------


def test_rows_in_the_minority_currency_are_set_aside():
    text = (
        "Customer,Date,Amount\nC1,2024-01-05,EUR 10.00\nC2,2024-02-05,USD 10.00\n"
        "C1,2024-03-05,EUR 30.00\nC3,2024-03-06,5.00\nC3,2024-03-07,£ 2.00\n"
    )
    dataset = load_file(text.encode(), "mixedcur.csv")
    assert rejected_pairs(dataset) == [
        [3, "amount in USD in a EUR column"],
        [6, "amount in GBP in a EUR column"],
    ]
    # 10 + 30 EUR, and 5.00 (no currency written: the column's)
    assert dataset.transactions["revenue"].tolist() == [10.0, 30.0, 5.0]
    assert dataset.currency == "EUR"
    assert (
        "Rows of 'Amount' in another currency than EUR were set aside, so that they are not added "
        "up with EUR amounts: 1 in USD, 1 in GBP. Convert them to EUR in the file, or upload each "
        "currency as a file of its own."
    ) in dataset.notes


def test_the_currency_most_rows_are_in_wins_even_when_another_comes_first():
    text = "Customer,Date,Amount\nC1,2024-01-05,$5\nC2,2024-02-05,€10\nC1,2024-03-05,€30\n"
    dataset = load_file(text.encode(), "sales.csv")
    assert dataset.currency == "EUR"  # not USD, although $ is the first mark in the column
    assert dataset.currency_source == "from the currency most amounts are in"
    assert rejected_pairs(dataset) == [[2, "amount in USD in a EUR column"]]


def test_the_header_names_the_columns_currency():
    text = "Customer,Date,Amount (USD)\nC1,2024-01-05,EUR 5\nC2,2024-02-05,EUR 6\nC2,2024-02-06,7\n"
    dataset = load_file(text.encode(), "sales.csv")
    assert dataset.currency == "USD"
    assert dataset.transactions["revenue"].tolist() == [7.0]
    assert dataset.validation.reason_counts().to_dict() == {"amount in EUR in a USD column": 2}


def test_one_currency_throughout_is_not_reported():
    text = "Customer,Date,Amount\nC1,2024-01-05,10 €\nC2,2024-02-05,12\n"
    dataset = load_file(text.encode(), "sales.csv")
    assert dataset.validation.rejected.empty
    assert dataset.validation.currency == ""
    assert parse_amounts(pd.Series(["10 €", "12", "$1"], dtype=object)).currencies.tolist() == [
        "EUR", None, "USD",
    ]  # fmt: skip


# --- 6. zero amounts ---------------------------------------------------------------------------


def test_zero_amounts_are_kept_and_counted_in_a_note():
    text = (
        "Customer,Date,Amount\nC1,2024-01-05,10\nC2,2024-02-05,20\nC1,2024-03-05,30\n"
        'C3,2024-04-01,0\nC4,2024-04-02,"0,00"\n'
    )
    dataset = load_file(text.encode(), "zeros.csv")
    assert dataset.validation.rejected.empty
    assert dataset.transactions["revenue"].tolist() == [10.0, 20.0, 30.0, 0.0, 0.0]
    assert not dataset.transactions["is_return"].any()  # a purchase, not a return
    assert "2 rows have an amount of 0; they count as purchases with no revenue." in dataset.notes


def test_one_zero_amount_is_counted_in_the_singular():
    dataset = load_file(csv("Customer,Date,Amount\nC1,2024-01-05,0\nC2,2024-01-06,1"), "z.csv")
    assert "1 row has an amount of 0; it counts as a purchase with no revenue." in dataset.notes
    dataset = load_file(csv("Customer,Date,Amount\nC1,2024-01-05,3\nC2,2024-01-06,1"), "z.csv")
    assert not any("amount of 0" in note for note in dataset.notes)


# --- 7. formulas without saved results ---------------------------------------------------------


def formula_workbook(formula_rows: int) -> bytes:
    """Two typed revenues, then ``formula_rows`` revenues as =C*2 written by openpyxl, which
    saves formulas without their results (only Excel computes them)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Customer", "Date", "Qty", "Revenue"])
    sheet.append(["A", dt.datetime(2024, 1, 2), 1, 10.0])
    sheet.append(["B", dt.datetime(2024, 1, 3), 1, 20.0])
    for i in range(formula_rows):
        row = i + 4
        sheet.append([f"C{i}", dt.datetime(2024, 2, 1), 2, f"=C{row}*2"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_formulas_without_results_are_named_not_read_as_missing():
    dataset = load_file(formula_workbook(40), "formulas.xlsx")
    assert (
        "Column 'Revenue' holds formulas without saved results in 40 rows: open the file in "
        "Excel, save it, and upload again."
    ) in dataset.notes
    assert dataset.validation.reason_counts().to_dict() == {V.FORMULA: 40}
    assert dataset.validation.rejected["Row in file"].tolist() == list(range(4, 44))
    assert dataset.transactions["revenue"].tolist() == [10.0, 20.0]


def test_formula_cells_are_found_in_the_sheet_xml():
    # Rows 4 and 5 of the sheet (0-based 3, 4), column D (3).
    assert formulas_without_results(formula_workbook(2)) == {"Sales": {(3, 3), (4, 3)}}
    table = read_workbook(formula_workbook(2), "f.xlsx").tables["Sales"]
    assert {k: v.tolist() for k, v in table.formula_cells.items()} == {"Revenue": [2, 3]}


def test_formulas_with_saved_results_are_not_reported(build):
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("Sales")
    for j, header in enumerate(["Customer", "Date", "Revenue", "Label"]):
        sheet.write(0, j, header)
    sheet.write(1, 0, "A")
    sheet.write(1, 1, "2024-01-02")
    sheet.write_formula(1, 2, "=2*5", None, 10)  # saved result 10, as Excel would keep it
    sheet.write(1, 3, "x")
    book.close()
    data = buffer.getvalue()
    assert formulas_without_results(data) == {}
    dataset = load_file(data, "saved.xlsx")
    assert dataset.transactions["revenue"].tolist() == [10.0]
    assert not any("formulas" in note for note in dataset.notes)
    # Excel saves a formula whose result is the empty text as t="str" with an empty <v>: a
    # result, not a missing one. (xlsxwriter leaves the t="str" out; that reads as missing.)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    label = b'<c r="D2" t="s"><v>6</v></c>'
    assert label in sheet_xml
    excel_like = replace_zip_part(
        data,
        "xl/worksheets/sheet1.xml",
        sheet_xml.replace(label, b'<c r="D2" t="str"><f>""</f><v></v></c>'),
    )
    assert read_workbook(excel_like, "e.xlsx").tables["Sales"].frame["Label"].tolist() == [""]
    assert formulas_without_results(excel_like) == {}


def test_a_damaged_workbook_part_does_not_stop_the_formula_look():
    data = formula_workbook(1)
    damaged = replace_zip_part(data, "xl/_rels/workbook.xml.rels", b"<not xml")
    assert formulas_without_results(damaged) == {}


def test_shared_and_prefixed_formulas_without_results_are_found():
    data = formula_workbook(2)  # formulas in D4 and D5
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b'<c r="D4"><f>C4*2</f><v></v></c>' in sheet_xml
    shared = sheet_xml.replace(
        b'<c r="D4"><f>C4*2</f><v></v></c>',
        b'<c r="D4"><f t="shared" ref="D4:D5" si="0">C4*2</f></c>',
    ).replace(b'<c r="D5"><f>C5*2</f><v></v></c>', b'<x:c r="D5"><x:f t="shared" si="0"/></x:c>')
    found = formulas_without_results(replace_zip_part(data, "xl/worksheets/sheet1.xml", shared))
    assert found == {"Sales": {(3, 3), (4, 3)}}


# --- 8. long text ------------------------------------------------------------------------------


def test_csv_cells_longer_than_an_excel_cell_are_read_whole():
    long_name = "x" * 40_000  # over Excel's 32,767: CSV has no such limit
    text = f"Customer,Date,Amount,Product\nC1,2024-01-05,10,{long_name}\nC2,2024-01-06,5,short\n"
    dataset = load_file(text.encode(), "long.csv")
    assert dataset.transactions["product"].str.len().tolist() == [40_000, 5]


# --- 9. customer ids of the side tables matched to the transactions ----------------------------


def side_tables_workbook(build) -> bytes:
    sales = [["Customer ID", "Date", "Revenue"]] + [
        [cid, dt.datetime(2024, 1, 2), 10.0] for cid in ("K1", "K2", "K2", "K3", "K4")
    ]
    # Attribute ids in another numbering: only K1 and K2 of 10 are customers in the sales.
    customers = [["Customer ID", "Region"], ["K1", "N"], ["K2", "S"]] + [
        [f"C-{i}", "N"] for i in range(8)
    ]
    service = [["Customer ID", "Service calls"], ["K1", 2], ["K2", 1], ["K3", 4], ["X9", 1]]
    return build.xlsx({"Sales": sales, "Kunden": customers, "Service": service})


def test_side_tables_say_how_many_ids_match_the_transactions(build):
    dataset = load_file(side_tables_workbook(build), "book.xlsx")
    assert len(dataset.customers) == 10 and len(dataset.cost_to_serve) == 4
    assert (
        "Only 2 of 10 customer ids in the attributes table ('Kunden') appear in the "
        "transactions; check that the same customer ids are used."
    ) in dataset.notes
    assert (
        "3 of 4 customer ids in the cost-to-serve table ('Service') (75%) appear in the "
        "transactions."
    ) in dataset.notes


def test_match_note_wording():
    buyers = pd.Series(["A", "B", "B", "C"])
    assert match_note(pd.Index(["A", "B", "C"]), buyers, "attributes", "K") == (
        "All 3 customer ids in the attributes table ('K') appear in the transactions."
    )
    # 1 of 2 is 50%: not below the limit, so no warning.
    assert match_note(pd.Index(["A", "Z"]), buyers, "attributes", "K") == (
        "1 of 2 customer ids in the attributes table ('K') (50%) appear in the transactions."
    )
    assert match_note(pd.Index(["Y", "Z", "A"]), buyers, "cost-to-serve", "S").startswith(
        "Only 1 of 3 customer ids in the cost-to-serve table ('S')"
    )


def test_tables_attached_later_are_matched_too(build):
    dataset = load_file(csv("Customer ID,Date,Revenue\nK1,2024-01-02,10\nK2,2024-01-03,5"), "s.csv")
    customers = build.raw_table(["Customer ID", "Region"], [["K1", "N"], ["Q", "S"], ["R", "S"]])
    attached = attach_tables(dataset, customers=customers)
    assert attached.notes[-1] == (
        "Only 1 of 3 customer ids in the attributes table ('sheet') appear in the transactions; "
        "check that the same customer ids are used."
    )


# --- 10. errors in our words, never a library's ------------------------------------------------


def test_parquet_with_nested_columns_loads_with_them_as_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "Customer": ["C1", "C2", "C1"],
            "Date": ["2024-01-05", "2024-02-05", "2024-03-05"],
            "Amount": [10.0, 20.0, 30.0],
            "Meta": [{"a": 1}, {"a": 2}, None],
            "Tags": [[1], [2, 3], []],
            "Props": pa.array([[("k", 1)], [], None], pa.map_(pa.string(), pa.int64())),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    dataset = load_file(buffer.getvalue(), "nested.parquet")  # was: unhashable type: 'dict'
    assert dataset.transactions["revenue"].tolist() == [10.0, 20.0, 30.0]
    assert dataset.transactions["Meta"].tolist() == ['{"a": 1}', '{"a": 2}', None]
    assert dataset.transactions["Tags"].tolist() == ["[1]", "[2, 3]", "[]"]
    assert dataset.transactions["Props"].tolist() == ['[["k", 1]]', "[]", None]
    assert (
        "Columns 'Meta', 'Tags', 'Props' of 'nested.parquet' hold lists or records (nested "
        "data) and were read as text."
    ) in dataset.notes


def test_excerpt_keeps_quotes_short_and_on_one_line():
    assert excerpt("a\nb\tc") == "a b c"
    assert excerpt("x" * 200) == "x" * 79 + "…"
    assert excerpt("\x00\x07ok") == "??ok"


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + bytes(range(256)) * 20,  # a "zip" that is not one
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 20,  # an "xls" that is not
        b"PAR1" + bytes(range(256)) * 20,  # a "parquet" that is not
        bytes(range(1, 256)) * 20,  # no NUL byte: read as text
    ],
)
def test_garbage_named_xlsb_gets_a_short_message(data):
    try:
        load_file(data, "garbage.xlsb")
    except CvmError as error:
        message = str(error)
        assert len(message) < 400, message
        assert "\n" not in message
        assert "\x00" not in message
    else:
        pytest.fail("random bytes were read as sales")


def test_headers_of_kilobytes_are_shortened_with_a_note():
    header = "Kunde," + "x" * 5000
    workbook = read_workbook(f"{header}\nA,1\nB,2\n".encode(), "odd.csv")
    table = workbook.tables["odd.csv"]
    assert list(table.frame.columns) == ["Kunde", "x" * 79 + "…"]
    assert table.notes == (
        "1 column name longer than 80 characters was shortened (ending in '…'). If this is not "
        "the header row, choose the right one.",
    )


def test_a_file_over_the_size_limit_points_to_the_summarize_command(monkeypatch):
    monkeypatch.setattr(io_module, "MAX_FILE_BYTES", 10)
    with pytest.raises(ReadError) as raised:
        read_workbook(b"Customer,Date,Amount\n", "big.csv")
    assert "`python -m cvm_core summarize FILE summary.parquet --engine duckdb`" in str(
        raised.value
    )
    assert "cvm_core summary`" not in str(raised.value)
