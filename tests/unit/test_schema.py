"""Parsing cells and guessing column roles (cvm_core.intake.schema).

Every expected value is written out by hand next to its input.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cvm_core.errors import AmbiguousDateOrderError, ValidationError
from cvm_core.intake.amounts import CurrencyGuess, detect_currency, guess_currency, parse_amounts
from cvm_core.intake.dates import parse_dates
from cvm_core.intake.distinct import expand
from cvm_core.intake.schema import clean_ids, guess_mapping, id_counts, parse_flags


def text_column(values) -> pd.Series:
    return pd.Series(values, dtype=object)


def iso(parsed) -> list[str | None]:
    return [None if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in parsed.values]


def amounts(values) -> list[float | None]:
    return [
        None if np.isnan(v) else round(float(v), 6)
        for v in parse_amounts(text_column(values)).values
    ]


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2023-12-31", "2024-01-05"], ["2023-12-31", "2024-01-05"]),
        (["31.12.2023", "01.02.2024"], ["2023-12-31", "2024-02-01"]),
        (["31.12.23", "1.2.24"], ["2023-12-31", "2024-02-01"]),
        (["2023/12/31", "20240105"], ["2023-12-31", "2024-01-05"]),
        (["2023年3月12日", "2023年12月1日"], ["2023-03-12", "2023-12-01"]),
        # Excel serial numbers, as numbers and as text: 45000 is 15 March 2023.
        ([45000, 45000.75, "45000"], ["2023-03-15", "2023-03-15", "2023-03-15"]),
        (
            ["12 Mar 2023", "12. März 2023", "March 5, 2023", "5 Dezember 2023", "3 October 2023"],
            ["2023-03-12", "2023-03-12", "2023-03-05", "2023-12-05", "2023-10-03"],
        ),
        (
            [
                "2023-03-12 14:35:00",
                "2023-03-12T23:59",
                "12.03.2023 08:00",
                "2023-03-13 00:00:00.5",
            ],
            ["2023-03-12", "2023-03-12", "2023-03-12", "2023-03-13"],
        ),
        # Mixed spellings in one column (ISO beside German beside a workbook date).
        (
            ["2023-03-12", "13.03.2023", dt.datetime(2023, 3, 14, 18, 30), dt.date(2023, 3, 15)],
            ["2023-03-12", "2023-03-13", "2023-03-14", "2023-03-15"],
        ),
    ],
)
def test_date_spellings(cells, expected):
    parsed = parse_dates(text_column(cells))
    assert iso(parsed) == expected
    assert not parsed.invalid.any()


def test_month_first_is_detected_when_a_first_part_exceeds_12():
    parsed = parse_dates(text_column(["12/31/2023", "01/02/2023", "3/4/2023"]))
    assert iso(parsed) == ["2023-12-31", "2023-01-02", "2023-03-04"]
    assert parsed.note == "month-first"


def test_day_first_is_detected_when_a_first_part_exceeds_12():
    parsed = parse_dates(text_column(["31/12/2023", "01/02/2023", "3-4-2023"]))
    assert iso(parsed) == ["2023-12-31", "2023-02-01", "2023-04-03"]
    assert parsed.note == "day-first"


def test_dotted_dates_are_read_day_first_and_the_user_is_told():
    parsed = parse_dates(text_column(["01.02.2024", "03.04.2024"]))
    assert iso(parsed) == ["2024-02-01", "2024-04-03"]
    assert parsed.note.startswith("day-first (dates with dots")


def test_ambiguous_slash_dates_ask_the_user_then_read_both_ways():
    column = text_column(["03/04/2024", "05/06/2024", "03/04/2024"])
    with pytest.raises(AmbiguousDateOrderError) as info:
        parse_dates(column, "auto", "Order date")
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.column == "Order date"
    assert "03/04/2024" in error.examples
    assert "day-first or month-first" in str(error)
    assert iso(parse_dates(column, "dayfirst")) == ["2024-04-03", "2024-06-05", "2024-04-03"]
    assert iso(parse_dates(column, "monthfirst")) == ["2024-03-04", "2024-05-06", "2024-03-04"]


def test_same_day_and_month_everywhere_is_not_ambiguous():
    assert iso(parse_dates(text_column(["01/01/2024", "02/02/2024"]))) == [
        "2024-01-01",
        "2024-02-02",
    ]


def test_unreadable_dates_are_invalid_and_blanks_are_missing():
    parsed = parse_dates(text_column(["garbage", "2023-13-45", "31.02.2024", "12", "", None]))
    assert iso(parsed) == [None] * 6
    assert parsed.invalid.tolist() == [True, True, True, True, False, False]


def test_timezone_aware_datetimes_keep_their_local_day():
    column = pd.Series(
        pd.to_datetime(["2023-03-12 23:30", "2023-03-13 00:30"]).tz_localize("Europe/Berlin")
    )
    assert iso(parse_dates(column)) == ["2023-03-12", "2023-03-13"]


def test_german_month_abbreviations_and_mai():
    parsed = parse_dates(text_column(["1. Mai 2023", "3 Mär 2023", "7 Okt 2023", "24 Dez 2023"]))
    assert iso(parsed) == ["2023-05-01", "2023-03-03", "2023-10-07", "2023-12-24"]


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1.234,56", "12,50", "7"], [1234.56, 12.5, 7.0]),
        (["1,234.56", "12.50", "7"], [1234.56, 12.5, 7.0]),
        (["€ 1.234,56", "12,00 EUR", "3,5 €"], [1234.56, 12.0, 3.5]),
        (
            ["$1,234.56", "USD 12.00", "£3.50", "¥8.00", "100.50元", "CHF 5.25"],
            [1234.56, 12.0, 3.5, 8.0, 100.5, 5.25],
        ),
        (["12,50-", "(1.234,50)", "−4,50", "-3,00"], [-12.5, -1234.5, -4.5, -3.0]),
        (["12.50-", "(1,234.50)", "-3.00", "+2.00"], [-12.5, -1234.5, -3.0, 2.0]),
        (["1 234,56", "1\u00a0234,56", "99,90"], [1234.56, 1234.56, 99.9]),
        (["1'234.50", "12.00"], [1234.5, 12.0]),
        (["25%", "30.5%"], [25.0, 30.5]),
        (["abc", "12", "", None], [None, 12.0, None, None]),
    ],
)
def test_amount_spellings(cells, expected):
    assert amounts(cells) == expected


def test_amount_invalid_marks_text_but_not_blanks():
    parsed = parse_amounts(text_column(["abc", "12", "", None, "n/a"]))
    assert parsed.invalid.tolist() == [True, False, False, False, True]


def test_amounts_from_a_workbook_keep_their_numbers():
    parsed = parse_amounts(pd.Series([1.5, 2, None, "3,5"], dtype=object))
    assert parsed.values[:2].tolist() == [1.5, 2.0]
    assert np.isnan(parsed.values[2])
    assert parsed.values[3] == 3.5
    assert parsed.invalid.tolist() == [False, False, False, False]


def test_numeric_column_passes_straight_through():
    parsed = parse_amounts(pd.Series([1.25, -2.0, np.nan]))
    assert parsed.values[:2].tolist() == [1.25, -2.0]
    assert not parsed.invalid.any()


def test_decimal_comma_decision_is_reported():
    assert parse_amounts(text_column(["1.234,56", "12,50"])).note == "decimal comma"
    assert parse_amounts(text_column(["1,234.56", "12.50"])).note == ""


def test_german_percentages():
    assert amounts(["25,5 %", "30,0 %", "12 %"]) == [25.5, 30.0, 12.0]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1.500", "2.000", "12,50"], [1500.0, 2000.0, 12.5]),
        (["1.234.567", "12"], [1234567.0, 12.0]),
        (["1,234", "12,345", "1,234,567"], [1234.0, 12345.0, 1234567.0]),
        # A leading zero or four leading digits cannot be a thousands group: these are decimals.
        (["0,500", "1.000"], [0.5, 1000.0]),
        (["1234,567", "2.000"], [1234.567, 2000.0]),
    ],
)
def test_thousands_groups_with_unambiguous_evidence(cells, expected):
    assert amounts(cells) == expected


def test_infinite_amounts_are_invalid():
    parsed = parse_amounts(text_column(["inf", "-Infinity", "12"]))
    assert parsed.invalid.tolist() == [True, True, False]


def test_euro_spelled_out():
    assert amounts(["3,50 Euro", "12 Euro"]) == [3.5, 12.0]


# --- flags, ids, currency ----------------------------------------------------------------------


def test_return_flags():
    cells = ["Ja", "Nein", "Yes", "no", "1", "0", "X", "", None, "TRUE", "false", "是", "否", "y"]
    expected = [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        False,
        True,
        False,
        True,
        False,
        True,
    ]
    assert parse_flags(text_column(cells)).tolist() == expected
    assert parse_flags(pd.Series([1.0, 0.0, np.nan])).tolist() == [True, False, False]
    assert parse_flags(pd.Series([True, False])).tolist() == [True, False]


def test_clean_ids():
    column = pd.Series([1001.0, " K1 ", "", None, 12, np.nan, "007", 1.5], dtype=object)
    assert clean_ids(column).tolist() == ["1001", "K1", None, None, "12", None, "007", "1.5"]


def test_id_counts_count_each_cleaned_text_as_value_counts_would():
    # " Web" and "Web" are one channel, 1.0 and "1" one id; blanks and missing are not counted.
    # Web and 1 tie at 3 and keep their order of first appearance, as value_counts keeps it.
    column = text_column([" Web", 1.0, "Shop", "Web", "1", "", None, "Web ", "1", float("nan")])
    counts = id_counts(column)
    assert counts.to_dict() == {"Web": 3, "1": 3, "Shop": 1}
    assert list(counts.index) == ["Web", "1", "Shop"]
    expected = clean_ids(column).value_counts()
    pd.testing.assert_series_equal(counts, expected)
    pd.testing.assert_series_equal(id_counts(column.astype("category")), expected)


@pytest.mark.parametrize(
    ("cells", "header", "expected"),
    [
        (["1,00"], "Umsatz (EUR)", "EUR"),
        (["$5.00"], "Amount", "USD"),
        (["5 chf"], "Betrag", "CHF"),
        (["RMB 5"], "金额", "CNY"),
        (["¥5"], "金额", "CNY"),
        (["£5"], "Sales", "GBP"),
        (["3,50 Euro"], "Betrag", "EUR"),
        (["5.00"], "Sales", None),
    ],
)
def test_detect_currency(cells, header, expected):
    assert detect_currency(text_column(cells), header) == expected


@pytest.mark.parametrize(
    ("cells", "header", "code", "source"),
    [
        (["12.50"], "dollars", "USD", "from the column header 'dollars'"),
        (["12.50"], "Dollar", "USD", "from the column header 'Dollar'"),
        (["12,50"], "Umsatz (€)", "EUR", "from the column header 'Umsatz (€)'"),
        (["12.5"], "金额(元)", "CNY", "from the column header '金额(元)'"),
        (["12.5"], "金额(美元)", "USD", "from the column header '金额(美元)'"),
        (["12.5"], "金额(人民币)", "CNY", "from the column header '金额(人民币)'"),
        (["12.5"], "Revenue GBP", "GBP", "from the column header 'Revenue GBP'"),
        (["12.5"], "Sales in pounds", "GBP", "from the column header 'Sales in pounds'"),
        (["12.5"], "Betrag (Fr.)", "CHF", "from the column header 'Betrag (Fr.)'"),
        (["12.5"], "Umsatz in Franken", "CHF", "from the column header 'Umsatz in Franken'"),
        (["12.5"], "売上(円)", "JPY", "from the column header '売上(円)'"),
        (["12.5"], "Umsatz Euro", "EUR", "from the column header 'Umsatz Euro'"),
        (["$12.50", "3.00"], "Amount", "USD", "from the symbol $ in the amounts"),
        (["US$ 12.50"], "Amount", "USD", "from the symbol US$ in the amounts"),
        (["12,50 €"], "Umsatz", "EUR", "from the symbol € in the amounts"),
        (["EUR12,50"], "Umsatz", "EUR", "from the code EUR in the amounts"),
        (["¥30"], "金额", "CNY", "from the symbol ¥ in the amounts"),
        (["30元"], "金额", "CNY", "from the symbol 元 in the amounts"),
        (["RMB 30"], "金额", "CNY", "from the code RMB in the amounts"),
        (["CNY 30"], "金额", "CNY", "from the code CNY in the amounts"),
        (["£5"], "Sales", "GBP", "from the symbol £ in the amounts"),
        (["Fr. 12.50"], "Betrag", "CHF", "from the symbol Fr. in the amounts"),
        (["1200 JPY"], "Sales", "JPY", "from the code JPY in the amounts"),
        (["3,50 Euro"], "Betrag", "EUR", "from the word 'Euro' in the amounts"),
    ],
)
def test_guess_currency_says_where_it_was_read(cells, header, code, source):
    assert guess_currency(text_column(cells), header) == CurrencyGuess(code, source)


@pytest.mark.parametrize("header", ["Revenue", "Umsatz", "Europa-Umsatz", "Frankfurt", "金额"])
def test_no_currency_named(header):
    assert guess_currency(text_column(["12.50", "3"]), header) is None
    assert guess_currency(pd.Series([12.5, 3.0]), header) is None


@pytest.mark.parametrize(
    ("cells", "expected"),
    [(["EUR12,50"], 12.5), (["Fr. 12.50"], 12.5), (["12 yen"], 12.0), (["人民币30"], 30.0)],
)
def test_amounts_with_the_new_currency_marks_still_parse(cells, expected):
    assert amounts(cells) == [expected]


# --- column roles ------------------------------------------------------------------------------


def roles_of(columns, rows=None) -> dict[str, str]:
    frame = pd.DataFrame(rows or [[""] * len(columns)], columns=columns, dtype=object)
    return guess_mapping(frame).roles


def test_english_headers():
    columns = [
        "Order ID", "Order Date", "Customer ID", "Customer Name", "Product", "Category", "Channel",
        "Quantity", "Unit Price", "Revenue", "Cost of Goods", "Returned",
    ]  # fmt: skip
    assert roles_of(columns) == {
        "customer_id": "Customer ID",
        "date": "Order Date",
        "revenue": "Revenue",
        "order_id": "Order ID",
        "quantity": "Quantity",
        "unit_price": "Unit Price",
        "product": "Product",
        "category": "Category",
        "channel": "Channel",
        "cost": "Cost of Goods",
        "return_flag": "Returned",
    }


def test_german_headers():
    columns = [
        "Kundennummer", "Kundenname", "Bestelldatum", "Umsatz", "Bestellnummer", "Menge",
        "Einzelpreis", "Warengruppe", "Vertriebskanal", "Wareneinsatz", "Retoure",
    ]  # fmt: skip
    assert roles_of(columns) == {
        "customer_id": "Kundennummer",
        "date": "Bestelldatum",
        "revenue": "Umsatz",
        "order_id": "Bestellnummer",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
        "category": "Warengruppe",
        "channel": "Vertriebskanal",
        "cost": "Wareneinsatz",
        "return_flag": "Retoure",
    }


def test_chinese_headers():
    columns = [
        "客户编号",
        "客户名称",
        "订单日期",
        "金额",
        "订单号",
        "数量",
        "单价",
        "类别",
        "渠道",
        "成本",
        "是否退货",
    ]
    assert roles_of(columns) == {
        "customer_id": "客户编号",
        "date": "订单日期",
        "revenue": "金额",
        "order_id": "订单号",
        "quantity": "数量",
        "unit_price": "单价",
        "category": "类别",
        "channel": "渠道",
        "cost": "成本",
        "return_flag": "是否退货",
    }


def test_headers_with_units_and_margin_percent():
    assert roles_of(["Customer ID", "Date", "Revenue (EUR)", "Margin %"]) == {
        "customer_id": "Customer ID",
        "date": "Date",
        "revenue": "Revenue (EUR)",
        "margin_pct": "Margin %",
    }


def test_equal_headers_go_to_the_leftmost_column():
    # Two columns both called "Amount" are read as "Amount" and "Amount (2)"; both score as
    # revenue, and the first one in the file wins (it was the last in name order before).
    assert roles_of(["Customer", "Date", "Amount", "Amount (2)"])["revenue"] == "Amount"
    assert roles_of(["Customer", "Date", "Sales", "Amount"])["revenue"] == "Sales"


def test_customer_name_is_never_the_customer_id_by_header():
    assert (
        roles_of(["Customer Name", "Customer ID", "Date", "Sales"])["customer_id"] == "Customer ID"
    )
    assert roles_of(["Account Name", "Account Number", "Date", "Amount"])["customer_id"] == (
        "Account Number"
    )
    assert "customer_id" not in roles_of(["Customer Name", "Customer Email", "Date", "Revenue"])


def test_customer_name_is_never_the_customer_id_by_content():
    names = ["Anna Schmidt", "Bob Lee", "Chen Wei"]
    rows = [
        [names[i % 3], f"K{i % 3}", f"2023-01-{i + 1:02d}", f"{i * 1.5:.2f}"] for i in range(20)
    ]
    roles = roles_of(["Customer Name", "Kd", "Date", "Amount"], rows)
    assert roles["customer_id"] == "Kd"
    rows = [[names[i % 3], f"2023-01-{i + 1:02d}", f"{i * 1.5:.2f}"] for i in range(20)]
    assert roles_of(["Customer Name", "Date", "Amount"], rows).get("customer_id") != "Customer Name"


def test_quantity_and_unit_price_stand_in_for_revenue():
    frame = pd.DataFrame(columns=["cust_id", "date", "qty", "price"], dtype=object)
    mapping = guess_mapping(frame)
    assert mapping.roles == {
        "customer_id": "cust_id",
        "date": "date",
        "quantity": "qty",
        "unit_price": "price",
    }
    assert mapping.missing_required() == []


def test_roles_guessed_from_content_when_headers_mean_nothing():
    # col1: 7 customers repeating; col2: ISO dates; col3: money with cents; col4: a row counter.
    rows = [
        [f"C{i % 7}", f"2023-01-{i % 28 + 1:02d}", f"{(i * 13.37) % 100:.2f}", str(i)]
        for i in range(40)
    ]
    mapping = guess_mapping(pd.DataFrame(rows, columns=["col1", "col2", "col3", "col4"]))
    assert mapping.roles == {"customer_id": "col1", "date": "col2", "revenue": "col3"}
    assert mapping.attributes == ("col4",)


def test_german_dates_and_amounts_guessed_from_content():
    rows = [
        [
            str(i),
            f"{(i * 13.37) % 100:.2f}".replace(".", ","),
            f"K{i % 5}",
            f"{i % 28 + 1:02d}.01.2023",
        ]
        for i in range(40)
    ]
    mapping = guess_mapping(pd.DataFrame(rows, columns=["a", "b", "c", "d"]))
    assert mapping.roles == {"customer_id": "c", "date": "d", "revenue": "b"}


def test_every_column_is_used_at_most_once():
    roles = roles_of(["Customer", "Date", "Amount", "Value", "Sales"])
    assert len(set(roles.values())) == len(roles)
    assert roles["revenue"] in {"Amount", "Value", "Sales"}


# --- expand: values per distinct value back to rows ---------------------------------------------


@pytest.mark.parametrize(
    ("per_unique", "missing"),
    [
        (np.array(["a", " b", None], dtype=object), None),
        (np.array([True, False, True]), False),
        (np.array([False, False, True]), True),
        (np.array([1.5, -2.0, 3.0]), np.nan),
        (np.array([1, 2, 3]), np.nan),
        (np.array([1.5, 2.5, 3.5], dtype=np.float32), np.nan),
        (np.array([1, 2, 3]), None),
        (np.array(["x", "yy", "zzz"]), ""),
    ],
)
def test_expand_equals_the_where_definition(per_unique, missing):
    for codes in (np.array([2, -1, 0, 0, 1, -1, 2]), np.array([-3, 1]), np.array([], int)):
        expected = np.where(codes >= 0, per_unique[np.maximum(codes, 0)], missing)
        got = expand(codes, per_unique, missing)
        assert got.dtype == expected.dtype
        assert pd.Series(got).equals(pd.Series(expected))
    # By hand: code -1 is the missing value, the others index the distinct values.
    got = expand(np.array([1, -1]), per_unique, missing).tolist()
    assert got[0] == per_unique.tolist()[1]
    assert got[1] is None if missing is None else (got[1] == missing or np.isnan(got[1]))
