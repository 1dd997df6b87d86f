"""Validation (cvm_core.intake.validate) and whole files through load_file: every row kept or rejected
with a reason and its row number in the source file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvm_core.errors import CvmError, ValidationError
from cvm_core.intake import validate as V
from cvm_core.intake.dataset import load_file
from cvm_core.intake.validate import ValidationOptions, validate_transactions

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
    assert "2 rows: unreadable date" in message
    assert "1 row: missing customer id" in message
    assert "1 row: amount is not a number" in message
    assert "Check that the right columns are mapped" in message
    # Nothing is lost: every row comes with the error, with its reason, to download.
    rejected = info.value.rejected
    assert rejected["Row in file"].tolist() == [2, 3, 4, 5]
    assert rejected["Reason"].tolist()[:2] == ["unreadable date", "unreadable date"]


def test_text_in_the_amount_column(build):
    with pytest.raises(ValidationError, match=r"2 rows: amount is not a number"):
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


# --- the fast paths equal the plain definitions -------------------------------------------------
# _duplicate_rows packs all columns into one integer key and _totals_labels skips the regex for
# values whose first two characters cannot begin a totals word (both for 10M-row files). These
# tests hold them to pandas' DataFrame.duplicated and to the regex run on every value.


def random_frame(rng: np.random.Generator, rows: int, columns: int, values: int) -> pd.DataFrame:
    """Columns of every kind an upload produces: categorical text, object text with blanks,
    floats with NaN, mixed objects (a workbook column holding numbers and text)."""
    out = {}
    for j in range(columns):
        draw = rng.integers(0, values, rows)
        kind = j % 4
        if kind == 0:
            out[f"c{j}"] = pd.Categorical([f"v{x}" for x in draw])
        elif kind == 1:
            out[f"c{j}"] = pd.Series([None if x == 0 else f"t{x}" for x in draw], dtype=object)
        elif kind == 2:
            out[f"c{j}"] = np.where(draw == 0, np.nan, draw / 4)
        else:
            out[f"c{j}"] = pd.Series([x if x % 2 else f"{x}" for x in draw], dtype=object)
    return pd.DataFrame(out)


@pytest.mark.parametrize(
    ("rows", "columns", "values"),
    [
        (400, 40, 3),  # 4^40 key values: the key is renumbered several times, copies remain
        (400, 3, 4),  # small key, many copies
        (300, 30, 200),  # every row distinct long before the last column (early exit)
        (1, 5, 2),
    ],
)
def test_duplicate_rows_equal_pandas_duplicated(rows, columns, values):
    rng = np.random.default_rng(rows * 1000 + columns)
    frame = random_frame(rng, rows, columns, values)
    if rows > 1:  # plant exact copies of earlier rows so that there is something to find
        copies = rng.integers(0, rows, rows // 5)
        frame = pd.concat([frame, frame.iloc[copies]], ignore_index=True)
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    expected = frame.duplicated().to_numpy()
    assert np.array_equal(V._duplicate_rows(frame), expected)
    assert np.array_equal(V._exact_duplicate_rows(frame), expected)  # what hash repeats go to
    if rows > 1:
        assert expected.sum() >= rows // 10  # planted copies found (repeats may hit one row)


def test_rows_differing_only_in_the_first_of_many_columns_are_not_duplicates():
    # 40 columns with 3 values each multiply the key by 4^40 = 2^80: without renumbering, the
    # first column's difference would be shifted out of 64 bits and row 1 called a copy of row 0.
    first = ["x", "y", "z", "z", "z"]
    rest = {f"c{j}": ["a", "a", "a", "b", "c"] for j in range(40)}
    frame = pd.DataFrame({"first": first, **rest})
    assert V._duplicate_rows(frame).tolist() == [False, False, False, False, False]
    frame.loc[5] = frame.loc[0]
    assert V._duplicate_rows(frame).tolist() == [False] * 5 + [True]
    assert V._exact_duplicate_rows(frame).tolist() == [False] * 5 + [True]


@pytest.mark.parametrize("multiplier", [0, 1, 2**63])
def test_duplicates_stay_exact_when_the_row_hash_collides(monkeypatch, multiplier):
    # A hash that ignores the earlier columns (x 0, x 2^63) or mixes poorly (x 1): rows with equal
    # hashes are compared cell by cell, so the answer does not depend on the hash.
    monkeypatch.setattr(V, "_HASH_MULTIPLIER", np.uint64(multiplier))
    rng = np.random.default_rng(7)
    frame = random_frame(rng, 300, 40, 3)
    frame = pd.concat([frame, frame.iloc[rng.integers(0, 300, 60)]], ignore_index=True)
    expected = frame.duplicated().to_numpy()
    assert expected.sum() >= 30
    assert np.array_equal(V._duplicate_rows(frame), expected)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda width: st.lists(
            st.lists(st.sampled_from([None, "a", "b", 1, 1.5, ""]), min_size=width, max_size=width),
            min_size=1,
            max_size=30,
        )
    )
)
def test_duplicate_rows_equal_pandas_duplicated_on_any_cells(rows):
    frame = pd.DataFrame(rows, dtype=object)
    assert np.array_equal(V._duplicate_rows(frame), frame.duplicated().to_numpy())


def regex_labels(values) -> tuple[np.ndarray, np.ndarray]:
    """The definition: both regexes on every value's text."""
    text = pd.Series(values, dtype=object).astype(str)
    return text.str.match(V._TOTALS).to_numpy(bool), text.str.match(V._TOTALS_ONLY).to_numpy(bool)


TRICKY_LABELS = [
    "Total", " total:", "\u3000合计", "\tSumme", "TOTALS", "Totalitarian", "Total Energies SE",
    "ſum", "ſumme:", "SO-000001", "Sub-Total", "subtotal", "Grand  Total", "grandtotal", "S", "",
    "  ", "合", "总计 ", "小计:", "zwischensumme", "Endsumme", "GESAMT", "Gesamtsumme x", "su",
    "tO", "sum2", "s\x00um", "\x00Total", "C00042", 12.0, 3,
]  # fmt: skip


def test_totals_labels_equal_the_regex_on_every_value():
    values = np.array(TRICKY_LABELS, dtype=object)
    starts, label_only = V._totals_labels(values)
    expected_starts, expected_only = regex_labels(values)
    assert np.array_equal(starts, expected_starts)
    assert np.array_equal(label_only, expected_only)
    assert starts.sum() >= 15  # the list is not all misses


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=" \t\u3000sSuUmMtToOaAlLgGrRſ:-合计x0", max_size=8), max_size=20))
def test_totals_labels_equal_the_regex_on_any_text(values):
    values = np.array(values, dtype=object)
    starts, label_only = V._totals_labels(values)
    expected_starts, expected_only = regex_labels(values)
    assert np.array_equal(starts, expected_starts)
    assert np.array_equal(label_only, expected_only)


def test_totals_prefix_filter_keeps_every_character_that_folds_to_a_totals_word():
    # Case-insensitive matching is not only ASCII (ſ matches s): swap each of the first two
    # characters of every word for every character of the Basic Multilingual Plane.
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    labels = []
    for word in ("grand total", "sub-total", "total", "sum", "gesamt", "zwischensumme"):
        labels += [c + word[1:] for c in chars] + [word[0] + c + word[2:] for c in chars]
    labels += [c + "计" for c in chars]
    values = np.array(labels, dtype=object)
    matches = pd.Series(values).str.match(V._TOTALS).to_numpy(bool)
    assert matches.sum() > 12  # the plain spellings at least
    assert not (matches & ~V._may_be_totals_label(values)).any()
