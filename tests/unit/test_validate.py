"""Validation (cvm_core.validate) and whole files through load_file: every row kept or rejected
with a reason and its row number in the source file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cvm_core.dataset import load_file
from cvm_core.errors import CvmError, ValidationError
from cvm_core.validate import ValidationOptions, validate_transactions

FILES_DIR = Path(__file__).resolve().parents[1] / "files"
BASIC = ["Customer ID", "Date", "Revenue"]


def validate(build, columns, rows, roles=None, **options):
    table = build.raw_table(columns, rows)
    mapping = build.mapping(
        columns, **(roles or dict(zip(("customer_id", "date", "revenue"), columns, strict=False)))
    )
    return validate_transactions(table, mapping, ValidationOptions(**options))


def rejected_pairs(result) -> list[list]:
    return result.rejected[["Row in file", "Reason"]].values.tolist()


def assert_accounts_for_every_row(result):
    assert len(result.transactions) + len(result.rejected) == result.rows_read
    rows = sorted(
        result.transactions["source_row"].tolist() + result.rejected["Row in file"].tolist()
    )
    assert rows == sorted(set(rows)), "a row was both kept and rejected, or counted twice"


# --- the messy German export, end to end -------------------------------------------------------


@pytest.fixture(scope="module")
def messy():
    return load_file((FILES_DIR / "messy_de_cp1252.csv").read_bytes(), "messy.csv")


def test_messy_export_keeps_the_right_rows(messy):
    tx = messy.transactions
    assert messy.mapping.roles == {
        "customer_id": "Kundennummer",
        "date": "Bestelldatum",
        "revenue": "Umsatz",
        "order_id": "Bestellnummer",
        "return_flag": "Retoure",
    }
    assert tx["source_row"].tolist() == [5, 6, 7, 8, 10, 11]
    assert tx["customer_id"].tolist() == [
        "K-1001",
        "K-1002",
        "K-1003",
        "K-1001",
        "K-1002",
        "K-1001",
    ]
    assert tx["date"].dt.strftime("%d.%m.%Y").tolist() == [
        "31.12.2023", "02.01.2024", "02.01.2024", "15.01.2024", "20.02.2024", "29.02.2024",
    ]  # fmt: skip
    # 1.234,50 € ; 89,90 € ; 12,50- (trailing minus) ; (45,00 €) ; 310,00 € flagged Ja ; 2.000,00 €
    assert tx["revenue"].tolist() == [1234.5, 89.9, -12.5, -45.0, -310.0, 2000.0]
    assert tx["is_return"].tolist() == [False, False, True, True, True, False]
    assert tx["order_id"].tolist() == ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"]
    assert messy.currency == "EUR"


def test_messy_export_rejects_with_reasons_and_line_numbers(messy):
    assert rejected_pairs(messy.validation) == [
        [9, "blank row"],
        [12, "duplicate of an earlier row (same values in every column)"],
        [13, "unreadable date"],
        [14, "missing customer id"],
        [15, "totals or subtotal row"],
    ]
    assert messy.validation.rows_read == 11
    assert_accounts_for_every_row(messy.validation)
    # The rejected rows carry their original cells so the user can find and fix them.
    totals = messy.validation.rejected.iloc[-1]
    assert (totals["Kundennummer"], totals["Umsatz"]) == ("Summe", "3.577,40 €")


def test_messy_export_notes(messy):
    assert "Found the header in row 4; the 3 row(s) above it were skipped as titles." in messy.notes
    assert "Amounts in 'Umsatz' use a decimal comma." in messy.notes
    assert "3 return rows kept as negative revenue." in messy.notes


def test_chinese_export_with_totals_row():
    dataset = load_file((FILES_DIR / "sales_zh_gb18030.csv").read_bytes(), "sales_zh.csv")
    tx = dataset.transactions
    assert tx["customer_id"].tolist() == ["C001", "C002", "C001"]
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-03-12", "2023-03-13", "2023-04-01"]
    assert tx["revenue"].tolist() == [1200.0, 88.5, -300.0]  # 是 = returned
    assert rejected_pairs(dataset.validation) == [[5, "totals or subtotal row"]]
    assert dataset.currency == "CNY"


@pytest.mark.parametrize(
    "label", ["Total", "Grand Total", "Subtotal", "Summe", "Gesamtsumme", "合计", "总计", "小计"]
)
def test_totals_labels(build, label):
    result = validate(build, BASIC, [["A", "2023-01-01", "5"], [label, "", "5"]])
    assert rejected_pairs(result) == [[3, "totals or subtotal row"]]


def test_totals_label_in_the_first_column_when_ids_are_elsewhere(build):
    columns = ["Region", "Customer ID", "Date", "Revenue"]
    rows = [["Nord", "A", "2023-01-01", "5"], ["Total", "", "", "5"]]
    result = validate(
        build,
        columns,
        rows,
        roles={"customer_id": "Customer ID", "date": "Date", "revenue": "Revenue"},
    )
    assert rejected_pairs(result) == [[3, "totals or subtotal row"]]


def test_customer_named_total_is_not_a_totals_row(build):
    columns = ["Customer Name", "Customer ID", "Date", "Revenue"]
    rows = [
        ["Total Energies SE", "C1", "2023-01-01", "10"],
        ["Summit Ltd", "C2", "2023-01-01", "5"],
    ]
    result = validate(
        build,
        columns,
        rows,
        roles={"customer_id": "Customer ID", "date": "Date", "revenue": "Revenue"},
    )
    assert result.transactions["customer_id"].tolist() == ["C1", "C2"]


def test_bare_totals_label_is_a_totals_row_even_with_a_date(build):
    # Some exports date their totals line with the period end; the label alone still says "total".
    rows = [["A", "2023-01-01", "5"], ["Summe:", "2023-12-31", "5"], ["Total Q4", "", "5"]]
    assert rejected_pairs(validate(build, BASIC, rows)) == [
        [3, "totals or subtotal row"],
        [4, "totals or subtotal row"],
    ]


# --- reasons, one at a time --------------------------------------------------------------------


def test_each_reason_with_its_row_number(build):
    rows = [
        ["A", "2023-01-01", "10"],  # 2 kept
        ["", "", ""],  # 3 blank
        ["", "2023-01-02", "10"],  # 4 missing id
        ["B", "", "10"],  # 5 missing date
        ["B", "someday", "10"],  # 6 unreadable date
        ["B", "2023-01-03", ""],  # 7 missing amount
        ["B", "2023-01-03", "ten"],  # 8 not a number
        ["C", "2023-01-04", "-4"],  # 9 kept as a return
    ]
    result = validate(build, BASIC, rows)
    assert rejected_pairs(result) == [
        [3, "blank row"],
        [4, "missing customer id"],
        [5, "missing date"],
        [6, "unreadable date"],
        [7, "missing amount"],
        [8, "amount is not a number"],
    ]
    assert result.transactions["source_row"].tolist() == [2, 9]
    assert result.transactions["revenue"].tolist() == [10.0, -4.0]
    assert result.reason_counts().to_dict() == {
        "blank row": 1,
        "missing customer id": 1,
        "missing date": 1,
        "unreadable date": 1,
        "missing amount": 1,
        "amount is not a number": 1,
    }
    assert_accounts_for_every_row(result)


def test_first_reason_wins(build):
    # No id AND no date AND text amount: reported once, as the first check that fails.
    result = validate(build, BASIC, [["A", "2023-01-01", "1"], ["", "", "abc"]])
    assert rejected_pairs(result) == [[3, "missing customer id"]]


def test_source_rows_follow_a_header_lower_down(build):
    table = build.raw_table(BASIC, [["A", "2023-01-01", "1"], ["B", "x", "1"]], first_row=7)
    result = validate_transactions(
        table, build.mapping(BASIC, customer_id="Customer ID", date="Date", revenue="Revenue")
    )
    assert result.transactions["source_row"].tolist() == [7]
    assert rejected_pairs(result) == [[8, "unreadable date"]]


# --- duplicates --------------------------------------------------------------------------------

DUP_COLUMNS = ["Customer ID", "Date", "Revenue", "Order ID"]
DUP_ROWS = [
    ["A", "2023-01-01", "10", "O1"],
    ["A", "2023-01-01", "10", "O1"],  # exact copy
    ["A", "2023-01-01", "10", "O2"],  # same purchase again, another order
]


def test_exact_duplicates_rejected_when_an_order_id_is_mapped(build):
    roles = {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue",
        "order_id": "Order ID",
    }
    result = validate(build, DUP_COLUMNS, DUP_ROWS, roles=roles)
    assert result.transactions["source_row"].tolist() == [2, 4]
    assert rejected_pairs(result) == [
        [3, "duplicate of an earlier row (same values in every column)"]
    ]


def test_identical_rows_kept_without_an_order_id(build):
    rows = [r[:3] for r in DUP_ROWS]  # now rows 2, 3, 4 are all identical
    result = validate(build, BASIC, rows)
    assert result.transactions["source_row"].tolist() == [2, 3, 4]
    assert result.rejected.empty
    assert any("2 rows are identical to an earlier row" in note for note in result.notes)


def test_duplicates_can_be_forced_either_way(build):
    rows = [r[:3] for r in DUP_ROWS]
    assert len(validate(build, BASIC, rows, drop_duplicates=True).transactions) == 1
    roles = {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue",
        "order_id": "Order ID",
    }
    assert (
        len(validate(build, DUP_COLUMNS, DUP_ROWS, roles=roles, drop_duplicates=False).transactions)
        == 3
    )


def test_rows_differing_in_an_unmapped_column_are_not_duplicates(build):
    columns = ["Customer ID", "Date", "Revenue", "Order ID", "Line"]
    rows = [["A", "2023-01-01", "5", "O1", "1"], ["A", "2023-01-01", "5", "O1", "2"]]
    roles = {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue",
        "order_id": "Order ID",
    }
    result = validate(build, columns, rows, roles=roles)
    assert result.transactions["revenue"].sum() == 10.0


# --- returns, cost, observation end ------------------------------------------------------------


@pytest.mark.parametrize("yes", ["Ja", "Yes", "1", "x", "TRUE", "是"])
def test_return_flag_turns_amounts_negative(build, yes):
    columns = ["Customer ID", "Date", "Revenue", "Return"]
    rows = [
        ["A", "2023-01-01", "10", "Nein"],
        ["A", "2023-01-02", "4", yes],
        ["A", "2023-01-03", "-3", yes],
    ]
    roles = {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue",
        "return_flag": "Return",
    }
    tx = validate(build, columns, rows, roles=roles).transactions
    # A flagged amount is a return whether it was written positive or already negative.
    assert tx["revenue"].tolist() == [10.0, -4.0, -3.0]
    assert tx["is_return"].tolist() == [False, True, True]


def test_margin_percent_gives_cost_of_goods(build):
    columns = ["Customer ID", "Date", "Revenue", "Margin %"]
    rows = [
        ["A", "2023-01-01", "100", "40"],  # cost 100 x (1 - 0.40) = 60
        ["A", "2023-01-02", "-50", "40"],  # a return reverses its cost: -30
        ["B", "2023-01-03", "10", "25.5"],  # 10 x 0.745 = 7.45
    ]
    roles = {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue",
        "margin_pct": "Margin %",
    }
    tx = validate(build, columns, rows, roles=roles).transactions
    np.testing.assert_allclose(tx["cost"].to_numpy(), [60.0, -30.0, 7.45])


def test_margin_as_a_share(build):
    columns = ["Customer ID", "Date", "Revenue", "Margin %"]
    rows = [["A", "2023-01-01", "200", "0.25"], ["A", "2023-01-02", "80", "0.5"]]
    roles = {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue",
        "margin_pct": "Margin %",
    }
    tx = validate(build, columns, rows, roles=roles).transactions
    np.testing.assert_allclose(tx["cost"].to_numpy(), [150.0, 40.0])


def test_cost_column_follows_the_sign_of_revenue(build):
    columns = ["Customer ID", "Date", "Revenue", "Cost"]
    rows = [
        ["A", "2023-01-01", "100", "60"],
        ["A", "2023-01-02", "-100", "60"],
        ["A", "2023-01-03", "100", "n/a"],
    ]
    roles = {"customer_id": "Customer ID", "date": "Date", "revenue": "Revenue", "cost": "Cost"}
    result = validate(build, columns, rows, roles=roles)
    assert result.transactions["cost"].tolist() == [60.0, -60.0]
    assert rejected_pairs(result) == [[4, "cost of goods is not a number"]]


def test_observation_end_rejects_later_rows(build):
    rows = [["A", "2023-12-31", "1"], ["A", "2024-01-01", "2"], ["B", "31.12.2023", "3"]]
    result = validate(build, BASIC, rows, observation_end=pd.Timestamp("2023-12-31 18:00"))
    assert result.transactions["source_row"].tolist() == [2, 4]
    assert rejected_pairs(result) == [[3, "date after the observation end"]]


def test_revenue_from_quantity_times_unit_price(build):
    columns = ["cust_id", "date", "qty", "price"]
    rows = [
        ["A", "2023-01-01", "3", "2,50"],
        ["A", "2023-01-02", "-1", "2,50"],
        ["B", "2023-01-02", "2", "x"],
    ]
    roles = {"customer_id": "cust_id", "date": "date", "quantity": "qty", "unit_price": "price"}
    result = validate(build, columns, rows, roles=roles)
    tx = result.transactions
    assert tx["revenue"].tolist() == [7.5, -2.5]
    assert tx["quantity"].tolist() == [3.0, -1.0]
    assert tx["unit_price"].tolist() == [2.5, 2.5]
    assert rejected_pairs(result) == [[4, "amount is not a number"]]
    assert (
        "Revenue computed as quantity x unit price (no revenue column was chosen)." in result.notes
    )


def test_attribute_columns_travel_with_the_rows(build):
    columns = ["Customer ID", "Date", "Revenue", "Region"]
    rows = [
        ["A", "2023-01-01", "1", "Nord"],
        ["B", "bad", "1", "Süd"],
        ["C", "2023-01-02", "1", "Ost"],
    ]
    tx = validate(build, columns, rows).transactions
    assert tx["Region"].tolist() == ["Nord", "Ost"]


# --- nothing usable ----------------------------------------------------------------------------


def test_nothing_usable_names_the_top_reasons(build):
    rows = [["A", "x", "1"], ["B", "y", "1"], ["", "2023-01-01", "1"], ["C", "2023-01-01", "abc"]]
    with pytest.raises(ValidationError) as info:
        validate(build, BASIC, rows)
    message = str(info.value)
    assert "None of the 4 rows could be used" in message
    assert "2 unreadable date" in message
    assert "1 missing customer id" in message
    assert "1 amount is not a number" in message
    assert "Check that the right columns are mapped" in message


def test_text_in_the_amount_column(build):
    with pytest.raises(ValidationError, match=r"2 amount is not a number"):
        validate(build, BASIC, [["A", "2023-01-01", "abc"], ["B", "2023-01-02", "n/a"]])


def test_no_recognisable_columns():
    data = b"foo,bar,baz\nx,y,z\nq,w,e\n"
    with pytest.raises(ValidationError) as info:
        load_file(data, "mystery.csv")
    assert str(info.value) == (
        "No column is chosen for: Customer ID, Date, Revenue. Pick the matching columns of "
        "'mystery.csv' in the column mapping (revenue can also come from quantity x unit price)."
    )


def test_mapping_a_column_that_does_not_exist(build):
    table = build.raw_table(BASIC, [["A", "2023-01-01", "1"]])
    mapping = build.mapping(BASIC, customer_id="Kunde", date="Date", revenue="Revenue")
    with pytest.raises(ValidationError, match="not in 'sheet'"):
        validate_transactions(table, mapping)


def test_header_only_file_is_our_error():
    with pytest.raises(CvmError):
        load_file(b"Customer ID,Date,Revenue\n", "header_only.csv")


def test_header_only_file_says_there_are_no_data_rows():
    with pytest.raises(CvmError) as info:
        load_file(b"Customer ID,Date,Revenue\n", "header_only.csv")
    message = str(info.value)
    assert "()" not in message
    assert "no data rows" in message.lower() or "only a header" in message.lower()


def test_ambiguous_dates_raise_until_the_user_chooses(build):
    rows = [["A", "03/04/2024", "1"], ["B", "05/06/2024", "2"]]
    with pytest.raises(ValidationError, match="day-first or month-first"):
        validate(build, BASIC, rows)
    tx = validate(build, BASIC, rows, date_order="dayfirst").transactions
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-03", "2024-06-05"]
    tx = validate(build, BASIC, rows, date_order="monthfirst").transactions
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-04", "2024-05-06"]


def test_input_table_is_not_changed(build):
    table = build.raw_table(BASIC, [["A", "2023-01-01", "1,5"], ["", "", ""]])
    before = table.frame.copy()
    validate_transactions(
        table, build.mapping(BASIC, customer_id="Customer ID", date="Date", revenue="Revenue")
    )
    pd.testing.assert_frame_equal(table.frame, before)
