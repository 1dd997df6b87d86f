"""Tests for cvm_core.intake.demo: the synthetic retail generator, the demo workbook and CDNOW."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from python_calamine import CalamineWorkbook

from cvm_core.intake.cdnow import load_cdnow_transactions
from cvm_core.intake.demo import generate_demo_tables
from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH, write_demo_workbook
from cvm_core.intake.demo_world import CATALOG

TRANSACTION_COLUMNS = [
    "Order ID", "Order Date", "Customer ID", "Product", "Category", "Channel", "Quantity",
    "Unit Price", "Revenue", "Cost of Goods",
]  # fmt: skip
CUSTOMER_COLUMNS = [
    "Customer ID", "Customer Name", "Acquisition Date", "Acquisition Channel",
    "Acquisition Cost", "Region", "Industry", "Category Spend",
]  # fmt: skip
SERVICE_COLUMNS = ["Customer ID", "Service Calls", "Deliveries", "Sales Visits", "Special Terms"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_demo_tables()


@pytest.fixture(scope="module")
def sales(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    tx = tables["Transactions"]
    return tx[tx["Quantity"] > 0]


# --- shape and determinism -------------------------------------------------------------------


def test_tables_have_exactly_the_export_columns(tables):
    assert list(tables)[:3] == ["Transactions", "Customers", "Service"]  # then the pipeline
    assert list(tables["Transactions"].columns) == TRANSACTION_COLUMNS
    assert list(tables["Customers"].columns) == CUSTOMER_COLUMNS
    assert list(tables["Service"].columns) == SERVICE_COLUMNS
    tx = tables["Transactions"]
    assert tx["Order Date"].dtype == "datetime64[ns]"
    assert (tx["Order Date"] == tx["Order Date"].dt.normalize()).all()
    assert tx["Quantity"].dtype.kind == "i"
    assert tx["Order ID"].str.fullmatch(r"(SO|RT)-\d{6,}").all()
    assert tx["Customer ID"].str.fullmatch(r"C\d{5,}").all()


def test_same_seed_gives_identical_tables_and_another_seed_differs():
    first = generate_demo_tables(n_customers=300, seed=3)
    second = generate_demo_tables(n_customers=300, seed=3)
    for name in first:
        pdt.assert_frame_equal(first[name], second[name])
    other = generate_demo_tables(n_customers=300, seed=4)
    assert not first["Transactions"].equals(other["Transactions"])
    assert not first["Customers"].equals(other["Customers"])


def test_default_volume_and_repeat_share(tables, sales):
    assert 90_000 <= len(tables["Transactions"]) <= 120_000
    orders = sales.groupby("Customer ID")["Order ID"].nunique()
    assert len(orders) == 4000
    assert 0.60 <= (orders >= 2).mean() <= 0.80
    # Customers are acquired throughout the period, more of them early on.
    per_year = tables["Customers"]["Acquisition Date"].dt.year.value_counts()
    assert per_year[2022] > per_year[2023] > per_year[2024] > 0


def test_volume_scales_with_customers():
    rows = len(generate_demo_tables(n_customers=20_000, seed=1)["Transactions"])
    assert 450_000 <= rows <= 600_000


def test_tiny_and_invalid_arguments():
    one = generate_demo_tables(n_customers=1, seed=0)
    assert len(one["Customers"]) == 1 and len(one["Transactions"]) >= 1
    with pytest.raises(ValueError, match="n_customers"):
        generate_demo_tables(n_customers=0)
    with pytest.raises(ValueError, match="after start"):
        generate_demo_tables(start="2024-01-01", end="2023-01-01")


# --- transactions ----------------------------------------------------------------------------


def test_revenue_is_quantity_times_unit_price_in_cents(tables):
    tx = tables["Transactions"]
    expected = (tx["Quantity"] * tx["Unit Price"]).round(2)
    pdt.assert_series_equal(tx["Revenue"], expected, check_names=False, rtol=0, atol=0)
    assert (tx["Unit Price"] == tx["Unit Price"].round(2)).all()
    assert (tx["Unit Price"] > 0).all()


def test_products_belong_to_one_catalogue_category(tables):
    tx = tables["Transactions"]
    catalogue = {name: category for category, items in CATALOG.items() for name, _ in items}
    assert (tx["Product"].map(catalogue) == tx["Category"]).all()
    assert tx["Category"].nunique() == 8
    assert set(tx["Channel"]) == {"Online", "Store", "Phone", "Field sales"}
    margin = (
        1 - tx.groupby("Category")["Cost of Goods"].sum() / tx.groupby("Category")["Revenue"].sum()
    )
    assert margin["Machines"] < margin["Coffee"] < margin["Spare parts"]


def test_returns_reverse_an_earlier_purchase_of_the_same_product(tables, sales):
    tx = tables["Transactions"]
    returns = tx[tx["Quantity"] < 0]
    assert len(returns) > 0
    assert returns["Order ID"].str.startswith("RT-").all()
    assert (tx.loc[tx["Quantity"] > 0, "Order ID"].str.startswith("SO-")).all()
    assert (returns["Revenue"] < 0).all() and (returns["Cost of Goods"] < 0).all()
    assert (sales["Revenue"] > 0).all() and (sales["Cost of Goods"] > 0).all()
    keys = ["Customer ID", "Product"]
    candidates = returns.reset_index().merge(
        sales[keys + ["Order Date", "Quantity"]], on=keys, suffixes=("", " bought")
    )
    delay = (candidates["Order Date"] - candidates["Order Date bought"]).dt.days
    fits = delay.between(3, 30) & (candidates["Quantity bought"] >= -candidates["Quantity"])
    assert set(candidates.loc[fits, "index"]) == set(returns.index)


def test_return_propensity_differs_between_customers(sales, tables):
    tx = tables["Transactions"]
    lines = sales.groupby("Customer ID").size()
    returned = tx[tx["Quantity"] < 0].groupby("Customer ID").size()
    rate = (returned.reindex(lines.index, fill_value=0) / lines)[lines >= 30]
    assert rate.median() < 0.05
    assert rate.quantile(0.95) > 0.12


def test_rows_are_in_date_order(tables):
    assert tables["Transactions"]["Order Date"].is_monotonic_increasing


# --- customers and service -------------------------------------------------------------------


def test_every_transaction_customer_is_in_customers_and_service(tables):
    ids = tables["Customers"]["Customer ID"]
    assert ids.is_unique
    assert tables["Service"]["Customer ID"].tolist() == ids.tolist()
    assert set(tables["Transactions"]["Customer ID"]) <= set(ids)


def test_acquisition_date_is_the_first_order_date(tables, sales):
    first = sales.groupby("Customer ID")["Order Date"].min()
    customers = tables["Customers"].set_index("Customer ID")
    pdt.assert_series_equal(
        customers["Acquisition Date"], first.reindex(customers.index), check_names=False
    )


def test_customer_attributes(tables):
    customers = tables["Customers"]
    assert set(customers["Acquisition Channel"]) == {
        "Paid search", "Referral", "Trade fair", "Field sales", "Organic",
    }  # fmt: skip
    assert set(customers["Region"]) <= {"North", "South", "East", "West", "International"}
    assert set(customers["Industry"]) == {"Hospitality", "Office", "Retail", "Private", "Education"}
    assert customers["Customer Name"].str.len().gt(3).all()
    cost = customers.groupby("Acquisition Channel")["Acquisition Cost"].mean()
    assert cost["Referral"] < cost["Paid search"] < cost["Field sales"]
    assert (customers["Acquisition Cost"] > 0).all()


def test_category_spend_covers_the_customers_own_annual_spend(tables, sales):
    spend = tables["Customers"].set_index("Customer ID")["Category Spend"]
    by_year = sales.groupby(["Customer ID", sales["Order Date"].dt.year])["Revenue"].sum()
    assert (spend.reindex(by_year.index.get_level_values(0)).to_numpy() >= by_year).all()
    recent = sales[sales["Order Date"] > "2023-12-31"].groupby("Customer ID")["Revenue"].sum()
    assert (spend.reindex(recent.index) >= recent).all()


def test_service_drivers(tables, sales):
    service = tables["Service"].set_index("Customer ID")
    assert (service >= 0).all().all()
    assert set(service["Special Terms"]) == {0, 1}
    shipped = sales[sales["Channel"] != "Store"].groupby("Customer ID")["Order ID"].nunique()
    assert (service["Deliveries"].reindex(shipped.index) >= shipped).all()
    channel = tables["Customers"].set_index("Customer ID")["Acquisition Channel"]
    visits = service["Sales Visits"].groupby(channel).mean()
    assert visits["Field sales"] > 3 * visits[["Paid search", "Organic", "Referral"]].max()


def test_some_customers_lose_money_once_cost_to_serve_is_counted(tables, sales):
    """With plausible activity rates, a sizeable minority of customers is unprofitable."""
    tx = tables["Transactions"]
    service = tables["Service"].set_index("Customer ID")
    margin = (tx["Revenue"] - tx["Cost of Goods"]).groupby(tx["Customer ID"]).sum()
    returns = tx[tx["Quantity"] < 0].groupby("Customer ID")["Order ID"].nunique()
    cost_to_serve = (
        5 * sales.groupby("Customer ID")["Order ID"].nunique()
        + 10 * service["Deliveries"]
        + 20 * returns.reindex(service.index, fill_value=0)
        + 12 * service["Service Calls"]
        + 120 * service["Sales Visits"]
    )
    profit = margin.reindex(service.index) - cost_to_serve
    assert 0.10 <= (profit < 0).mean() <= 0.60
    assert profit.sum() > 0


# --- workbook --------------------------------------------------------------------------------


def test_committed_workbook_matches_a_fresh_generation(tables):
    assert DEMO_WORKBOOK_PATH.is_file(), "run: python scripts/make_demo_data.py"
    assert DEMO_WORKBOOK_PATH.stat().st_size < 8_000_000
    workbook = CalamineWorkbook.from_path(str(DEMO_WORKBOOK_PATH))
    assert workbook.sheet_names == [
        "Transactions", "Customers", "Service", "Opportunities", "Opportunity History",
    ]  # fmt: skip
    sheet = workbook.get_sheet_by_name("Transactions")
    assert sheet.height - 1 == len(tables["Transactions"])
    header, first_row = sheet.to_python(nrows=2)
    assert header == TRANSACTION_COLUMNS
    first = tables["Transactions"].iloc[0]
    assert first_row[0] == first["Order ID"]
    assert first_row[1] == first["Order Date"].date()  # a real Excel date, not text
    assert workbook.get_sheet_by_name("Customers").height - 1 == len(tables["Customers"])


def test_written_workbook_round_trips_with_formats(tmp_path: Path):
    small = generate_demo_tables(n_customers=60, seed=5)
    path = write_demo_workbook(tmp_path / "demo.xlsx", small)
    workbook = CalamineWorkbook.from_path(str(path))
    for name, frame in small.items():
        rows = workbook.get_sheet_by_name(name).to_python()
        back = pd.DataFrame(rows[1:], columns=rows[0])
        for column in frame.columns:
            expected = frame[column]
            if expected.dtype.kind == "M":
                back[column] = pd.to_datetime(back[column])
            pdt.assert_series_equal(back[column], expected, check_dtype=False)

    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=False)["Transactions"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet["I2"].number_format == "#,##0.00"
    assert sheet.column_dimensions["D"].width > 10


def test_write_demo_workbook_rejects_tables_with_generator_arguments(tmp_path: Path):
    with pytest.raises(TypeError):
        write_demo_workbook(tmp_path / "x.xlsx", {"Transactions": pd.DataFrame()}, seed=1)


# --- CDNOW -----------------------------------------------------------------------------------


def _cdnow_file() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"


def test_cdnow_sample_loads_completely():
    cdnow = load_cdnow_transactions()
    assert list(cdnow.columns) == ["Customer ID", "Date", "Quantity", "Amount"]
    assert len(cdnow) == 6919
    assert cdnow["Customer ID"].nunique() == 2357
    assert cdnow["Date"].min() == pd.Timestamp("1997-01-01")
    assert cdnow["Date"].max() == pd.Timestamp("1998-06-30")
    assert cdnow["Quantity"].dtype.kind == "i"
    fields = [line.split() for line in _cdnow_file().read_text().splitlines() if line.strip()]
    assert cdnow["Amount"].sum() == pytest.approx(sum(float(f[4]) for f in fields), abs=1e-6)
    assert cdnow["Quantity"].sum() == sum(int(f[3]) for f in fields)
    assert cdnow["Customer ID"].iloc[0] == fields[0][0]


def test_cdnow_loader_does_not_import_lifetimes(monkeypatch):
    # Importing lifetimes changes pandas options, so the loader must only locate its folder.
    for name in [m for m in sys.modules if m == "lifetimes" or m.startswith("lifetimes.")]:
        monkeypatch.delitem(sys.modules, name)
    load_cdnow_transactions()
    assert "lifetimes" not in sys.modules


def test_generation_uses_vectorised_arrays_not_python_objects_per_row(tables):
    # Guards against a slow path sneaking back in: numeric columns stay numpy dtypes.
    tx = tables["Transactions"]
    for column in ["Quantity", "Unit Price", "Revenue", "Cost of Goods"]:
        assert isinstance(tx[column].dtype, np.dtype) and tx[column].dtype.kind in "if"


def test_the_demo_dataset_is_read_once_per_process_as_an_upload_reads_it():
    from cvm_core.intake import demo_workbook
    from cvm_core.intake.dataset import load_file

    first = demo_workbook.demo_dataset()
    assert demo_workbook.demo_dataset() is first  # the warm-up and every session share it
    uploaded = load_file(demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), "demo_retail.xlsx")
    assert first.fingerprint == uploaded.fingerprint
    assert len(first.transactions) == len(uploaded.transactions) == 94_906
