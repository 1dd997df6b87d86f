"""The results workbook (cvm_core.outputs.workbook): reopened with openpyxl, values computed by hand."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cvm_core.outputs import workbook
from cvm_core.outputs.export import MAX_CELL_CHARS

MADE_ON = dt.date(2026, 11, 23)
IDS = pd.Index(["A", "B", "C"], name="customer_id")


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "first_purchase": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-10"]),
            "last_purchase": pd.to_datetime(["2024-06-01", "2024-02-01", "2024-05-01"]),
            "orders": [4, 1, 3],
            "frequency": [3, 0, 2],
            "net_revenue": [100.0, 50.0, 120.0],
            "returns": [0.0, 5.0, 0.0],
        },
        index=IDS,
    )


@pytest.fixture
def segments() -> pd.DataFrame:
    order = pd.CategoricalDtype(["Champions", "At risk"], ordered=True)
    return pd.DataFrame(
        {"rfm_segment": pd.Series(["Champions", "Champions", "At risk"], dtype=order).values,
         "cluster": ["Loyal big spenders", "Occasional", None]}, index=IDS,
    )  # fmt: skip


@pytest.fixture
def clv() -> pd.DataFrame:
    return pd.DataFrame(
        {"clv": [50.0, 20.0, 10.0], "tier": pd.Categorical(["Gold", "Iron", "Lead"]),
         "p_alive": [0.9, 0.25, 0.5], "expected_purchases": [2.5, 0.1, 0.7]}, index=IDS,
    )  # fmt: skip


@pytest.fixture
def pnl() -> pd.DataFrame:
    return pd.DataFrame(
        {"cost_to_serve": [20.0, 35.0, 30.0], "profit": [30.0, -10.0, 40.0]}, index=IDS
    )


def reopen(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def column(sheet, header: str) -> list:
    headers = [c.value for c in sheet[1]]
    j = headers.index(header) + 1
    return [sheet.cell(i, j).value for i in range(2, sheet.max_row + 1)]


def test_every_result_table_with_headers_and_number_formats(summary, segments, clv, pnl):
    names = pd.Series(["Müller GmbH", '=HYPERLINK("http://x")', "李\x00明"], index=IDS)
    data = workbook.build_workbook(
        "sales.xlsx", summary, segments=segments, clv=clv, pnl=pnl, names=names,
        scorecard=pd.DataFrame({"Measure": ["Churn rate"], "Value": ["-3.2%"]}), made_on=MADE_ON,
    )  # fmt: skip
    book = reopen(data)
    assert book.sheetnames == ["About", "Customers", "Segments", "Scorecard"]
    customers = book["Customers"]
    assert [c.value for c in customers[1]] == [
        "Customer ID", "Customer name", "First purchase", "Last purchase", "Orders",
        "Repeat purchases", "Net revenue (EUR)", "Returns (EUR)", "RFM segment", "Cluster",
        "Cost-to-serve (EUR)", "Operating profit (EUR)", "CLV (EUR)", "Value tier", "P(alive)",
        "Expected purchases",
    ]  # fmt: skip
    assert rows(customers)[1] == [
        "A", "Müller GmbH", dt.datetime(2024, 1, 5), dt.datetime(2024, 6, 1), 4, 3, 100, 0,
        "Champions", "Loyal big spenders", 20, 30, 50, "Gold", 0.9, 2.5,
    ]  # fmt: skip
    assert column(customers, "Customer name")[1:] == ['\'=HYPERLINK("http://x")', "李明"]
    assert column(customers, "Cluster")[2] is None
    formats = {c.value: customers.cell(2, c.column).number_format for c in customers[1]}
    assert formats["Net revenue (EUR)"] == "#,##0.00"
    assert formats["P(alive)"] == "0.0%"
    assert formats["Orders"] == "#,##0"
    assert formats["First purchase"] == "yyyy-mm-dd"
    header = customers["A1"]
    assert header.font.bold and header.fill.fgColor.rgb.endswith("1F4E79")
    assert customers.freeze_panes == "B2"
    assert customers.auto_filter.ref == "A1:P4"
    assert rows(book["Scorecard"]) == [["Measure", "Value"], ["Churn rate", "'-3.2%"]]


def test_segment_contribution_computed_by_hand(summary, segments, clv, pnl):
    sheet = workbook.segment_table(summary, segments, clv=clv, pnl=pnl, currency="USD")
    table = sheet.frame
    # Champions: A + B = 2 customers, revenue 150 of 270, profit 30 - 10 = 20 of 60, CLV 70.
    # At risk: C = 1 customer, revenue 120, profit 40, CLV 10. Sorted by revenue.
    expected = pd.DataFrame(
        {
            "Segment": ["Champions", "At risk"],
            "Customers": [2, 1],
            "Share of customers": [2 / 3, 1 / 3],
            "Net revenue (USD)": [150.0, 120.0],
            "Share of revenue": [150 / 270, 120 / 270],
            "Revenue per customer (USD)": [75.0, 120.0],
            "Operating profit (USD)": [20.0, 40.0],
            "Share of profit": [20 / 60, 40 / 60],
            "Unprofitable customers": [0.5, 0.0],
            "CLV (USD)": [70.0, 10.0],
            "Average CLV (USD)": [35.0, 10.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected)
    assert sheet.formats["Share of profit"] == workbook.PCT


def test_no_cell_is_a_formula_and_odd_text_survives(summary):
    names = pd.Series(["=cmd|' /C calc'!A0", "@SUM(A1:A9)", "x" * 40_000], index=IDS)
    scorecard = pd.DataFrame(
        {"+1": ["-1+2", "\t=1+1", "\r=1+1", "bell\x07"], "Value": [1.0, np.inf, np.nan, -2.0]}
    )
    book = reopen(workbook.build_workbook("d", summary, names=names, scorecard=scorecard))
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    customers = book["Customers"]
    assert column(customers, "Customer name")[:2] == ["'=cmd|' /C calc'!A0", "'@SUM(A1:A9)"]
    assert len(column(customers, "Customer name")[2]) == MAX_CELL_CHARS
    # xlsxwriter stores the carriage return as _x000D_ (Excel reads it back as CR; openpyxl not)
    assert rows(book["Scorecard"]) == [
        ["'+1", "Value"],
        ["'-1+2", 1],
        ["'\t=1+1", None],
        ["'_x000D_=1+1", None],
        ["bell", -2],
    ]


def test_about_sheet_says_what_is_missing(summary):
    book = reopen(
        workbook.build_workbook(
            "sales.xlsx", summary, made_on=MADE_ON,
            missing={"CLV, value tiers and P(alive)": "open the Customer Lifetime Value page"},
        )
    )  # fmt: skip
    assert book.sheetnames == ["About", "Customers"]
    about = rows(book["About"])
    assert about[:4] == [["Item", "Value"], ["Dataset", "sales.xlsx"], ["Made on", "2026-11-23"],
                         ["Currency", "EUR"]]  # fmt: skip
    notes = [r[1] for r in about[4:]]
    assert "Sheets: Customers." in notes
    assert (
        "Not included - CLV, value tiers and P(alive): open the Customer Lifetime Value page"
        in notes
    )
    assert "Not included - RFM segments and clusters: not computed" in notes


def test_cohort_and_churn_sheets_from_a_retention_result(summary):
    cohorts = SimpleNamespace(
        period="month",
        sizes=pd.Series([10, 4], index=["2024-01", "2024-02"]),
        customer_retention=pd.DataFrame(
            {0: [1.0, 1.0], 1: [0.4, 0.25], 2: [0.3, np.nan]}, index=["2024-01", "2024-02"]
        ),
        revenue_retention=pd.DataFrame(
            {0: [1.0, 1.0], 1: [0.5, 0.1], 2: [0.2, np.nan]}, index=["2024-01", "2024-02"]
        ),
    )
    churn = pd.DataFrame(
        {"period": ["2024-02"], "period_start": pd.to_datetime(["2024-02-01"]),
         "customers_at_start": [10], "churned": [3], "new": [4], "reactivated": [0],
         "churn_rate": [0.3], "retention_rate": [0.7]}
    )  # fmt: skip
    retention = SimpleNamespace(cohorts=cohorts, cohort_message=None, churn_by_period=churn)
    book = reopen(workbook.build_workbook("d", summary, retention=retention))
    assert book.sheetnames == [
        "About", "Customers", "Cohort retention", "Cohort revenue retention", "Churn by period"
    ]  # fmt: skip
    sheet = book["Cohort retention"]
    assert rows(sheet) == [
        ["Cohort", "Customers acquired", "Month 0", "Month 1", "Month 2"],
        ["2024-01", 10, 1, 0.4, 0.3],
        ["2024-02", 4, 1, 0.25, None],  # not yet observed: empty, not 0%
    ]
    assert sheet["D2"].number_format == "0.0%"
    assert rows(book["Churn by period"]) == [
        ["Period", "Active at start", "Churned", "New", "Reactivated", "Churn rate",
         "Retention rate"],
        ["2024-02", 10, 3, 4, 0, 0.3, 0.7],
    ]  # fmt: skip


def test_sheet_names_are_made_legal_and_unique():
    taken: set[str] = set()
    assert workbook.sheet_name("Profit/loss [2024]: all?", taken) == "Profit loss  2024   all"
    assert workbook.sheet_name("Profit/loss [2024]: all?", taken) == "Profit loss  2024   all 2"
    assert len(workbook.sheet_name("x" * 40, taken)) == 31


def test_scorecard_cells_take_the_number_format_of_their_row_unit(summary):
    table = pd.DataFrame(
        {
            "Perspective": ["Financial", "Retention", "Selection"],
            "Measure": ["Revenue per customer", "Churn rate", "Strategic accounts"],
            "Definition": ["Net revenue / buyers", "Lapsed / active at start", "Top tier"],
            "Unit": ["USD", "share", "count"],
            "Value (Q4 2024)": [718.68, 0.192, 200.0],
            "Previous (Q3 2024)": [695.61, 0.176, 190.0],
            "Change": [23.07, 0.016, 10.0],
            "Target": [750.0, 0.15, None],
            "Status": ["off target", "off target", "no target set"],
            "Scenario": [None, None, None],
        }
    )
    book = reopen(workbook.build_workbook("d", summary, scorecard=table, currency="USD"))
    sheet = book["Scorecard"]
    formats = [[sheet.cell(r, c).number_format for c in (5, 6, 7, 8)] for r in (2, 3, 4)]
    assert formats == [["#,##0.00"] * 4, ["0.0%"] * 4, ["#,##0"] * 3 + ["General"]]
    assert [sheet.cell(r, 5).value for r in (2, 3, 4)] == [718.68, 0.192, 200]
    assert sheet.freeze_panes == "C2"


def test_assumed_margin_fills_the_margin_column_and_the_about_sheet_says_so():
    summary = pd.DataFrame(
        {"net_revenue": [100.0, 40.0], "margin": [float("nan")] * 2},
        index=pd.Index(["A", "B"], name="customer_id"),
    )
    pnl = pd.DataFrame({"cost_to_serve": [10.0, 20.0], "profit": [20.0, -8.0]}, index=summary.index)
    sheet = workbook.customer_table(summary, pnl=pnl)
    # profit = gross margin - cost-to-serve: 20 + 10 = 30 (30% of 100), -8 + 20 = 12 (30% of 40)
    assert sheet.frame["Gross margin (EUR)"].tolist() == [30.0, 12.0]
    about = workbook.about_sheet("d", "EUR", dt.date(2026, 12, 4), ["n"], ["Assumed margin: 30%."])
    assert about.frame.values.tolist()[3] == ["Assumed", "Assumed margin: 30%."]


@pytest.mark.parametrize(
    ("language", "sheets", "headers", "about"),
    [
        ("de", ["Über diese Datei", "Kunden"], ["Kunden-ID", "Erstkauf", "Nettoumsatz (EUR)"],
         [["Eintrag", "Wert"], ["Datensatz", "sales.xlsx"]]),
        ("zh", ["关于本文件", "客户"], ["客户 ID", "首次购买", "净收入 (EUR)"],
         [["项目", "价值"], ["数据集", "sales.xlsx"]]),
    ],
)  # fmt: skip
def test_sheet_names_and_headers_in_the_current_language(summary, language, sheets, headers, about):
    from cvm_core import i18n

    i18n.use(language)
    try:
        data = workbook.build_workbook("sales.xlsx", summary, made_on=MADE_ON)
    finally:
        i18n.use("en")
    book = reopen(data)
    assert book.sheetnames == sheets
    header = rows(book[sheets[1]])[0]
    assert all(h in header for h in headers), header
    assert rows(book[sheets[0]])[:2] == about
    # Numbers stay numbers with Excel's formats, which Excel shows in the reader's own locale.
    assert book[sheets[1]]["G2"].number_format == workbook.NUMBER_FORMATS[workbook.MONEY]
