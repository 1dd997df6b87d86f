"""Customer P&L and activity-based cost-to-serve, checked against numbers computed by hand.

The small shop below (three customers) is worked through in the comments; every expected value in
these tests comes from that hand calculation, not from the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import analysis
from cvm_core.analyses.profitability import drivers as profitability_drivers
from cvm_core.analyses.profitability import pnl as profitability
from cvm_core.analyses.profitability.activities import activity_table, read_activity_table
from cvm_core.analyses.profitability.pnl import customer_pnl, profit_by
from cvm_core.errors import ValidationError
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from cvm_core.intake.summary import customer_summary
from cvm_core.outputs import export

NAN = float("nan")


def shop_transactions() -> pd.DataFrame:
    """A: orders O1 (Online, 2 lines, 150) and O2 (Phone, 20, small) and returns O2 (R1, -20).
    B: one big field-sales order O3 (500). C: two small phone orders O4 (30) and O5 (25)."""
    rows = [
        # customer, date, revenue, cost, quantity, order, channel
        ("A", "2024-01-02", 100.0, 60.0, 2, "O1", "Online"),
        ("A", "2024-01-02", 50.0, 30.0, 1, "O1", "Online"),
        ("A", "2024-02-01", 20.0, 12.0, 4, "O2", "Phone"),
        ("A", "2024-02-10", -20.0, -12.0, -4, "R1", "Phone"),
        ("B", "2024-01-05", 500.0, 300.0, 10, "O3", "Field sales"),
        ("C", "2024-01-07", 30.0, 20.0, 1, "O4", "Phone"),
        ("C", "2024-03-01", 25.0, 15.0, 1, "O5", "Phone"),
    ]
    frame = pd.DataFrame(
        rows, columns=["customer_id", "date", "revenue", "cost", "quantity", "order_id", "channel"]
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["revenue"] < 0
    return frame


def shop_service() -> pd.DataFrame:
    """Service drivers; D has no transactions and must be left out with a note."""
    return pd.DataFrame(
        {"Service Calls": [2.0, 0.0, 5.0, 9.0], "Sales Visits": [0.0, 1.0, 0.0, 3.0]},
        index=pd.Index(["A", "B", "C", "D"], name="customer_id"),
    )


def shop_activities() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Order processing", "Orders", 2.0, NAN, NAN),
            ("Picking", "Order lines", 0.5, NAN, NAN),
            ("Returns", "Returns", 99.0, 10.0, 1.0),  # time-driven: 10 min x 1.0 = 10 (99 ignored)
            ("Small orders", "Small orders", 3.0, NAN, NAN),
            ("Phone orders", "Orders via Phone", 4.0, NAN, NAN),
            ("Web orders", "Orders via Online", 1.0, NAN, NAN),
            # Priced at zero on purpose (the rep's visits carry the cost): a channel without a
            # row would be charged the average channel rate.
            ("Field orders", "Orders via Field sales", 0.0, NAN, NAN),
            ("Calls", "Service Calls", NAN, 5.0, 0.8),  # 4.0 per call
            ("Visits", "Sales Visits", 100.0, NAN, NAN),
            ("Pallets", "Pallets", 7.0, NAN, NAN),  # no such driver in the data
        ],
        columns=list(profitability_activities.ACTIVITY_COLUMNS),
    )


# Hand calculation (small-order threshold 50):
#   A: orders 2 x 2 = 4, lines 3 x 0.5 = 1.5, returns 1 x 10 = 10, small orders 1 (O2) x 3 = 3,
#      phone 1 x 4 = 4, web 1 x 1 = 1, calls 2 x 4 = 8                       -> cost-to-serve 31.5
#      revenue 170, returns 20, cost of goods 60 + 30 + 12 - 12 = 90, gross margin 60 -> profit 28.5
#   B: orders 2, lines 0.5, visits 100                                         -> 102.5
#      revenue 500, cost 300, gross margin 200                                 -> profit 97.5
#   C: orders 4, lines 1, small orders 2 x 3 = 6, phone 2 x 4 = 8, calls 5 x 4 = 20 -> 39
#      revenue 55, cost 35, gross margin 20                                    -> profit -19
#   Total: 725 - 20 - 425 - 173 = 107.
EXPECTED = pd.DataFrame(
    {
        "revenue": [170.0, 500.0, 55.0],
        "returns": [20.0, 0.0, 0.0],
        "net_revenue": [150.0, 500.0, 55.0],
        "cogs": [90.0, 300.0, 35.0],
        "gross_margin": [60.0, 200.0, 20.0],
        "cost_to_serve": [31.5, 102.5, 39.0],
        "profit": [28.5, 97.5, -19.0],
    },
    index=pd.Index(["A", "B", "C"], name="customer_id"),
)


@pytest.fixture
def shop():
    tx = shop_transactions()
    return customer_pnl(customer_summary(tx), tx, shop_activities(), shop_service())


def test_customer_pnl_matches_hand_calculation(shop):
    pd.testing.assert_frame_equal(shop.pnl[EXPECTED.columns], EXPECTED)
    assert shop.cogs_source == "cost column"


def test_activity_costs_per_customer(shop):
    costs = shop.activity_costs
    assert costs.loc["A"].to_dict() == {
        "Order processing": 4.0, "Picking": 1.5, "Returns": 10.0, "Small orders": 3.0,
        "Phone orders": 4.0, "Web orders": 1.0, "Field orders": 0.0, "Calls": 8.0, "Visits": 0.0,
        "Pallets": 0.0,
    }  # fmt: skip
    assert costs.loc["C", "Small orders"] == 6.0
    assert costs.loc["B", "Visits"] == 100.0
    np.testing.assert_allclose(costs.sum(axis=1), shop.pnl["cost_to_serve"])


def test_totals_reconcile(shop):
    totals = shop.reconciliation()
    assert totals["cost_to_serve"] == pytest.approx(173.0)
    assert totals["profit"] == pytest.approx(107.0)
    expected = totals["revenue"] - totals["returns"] - totals["cogs"] - totals["cost_to_serve"]
    assert shop.pnl["profit"].sum() == pytest.approx(expected)


def test_activity_totals_and_unknown_driver(shop):
    table = shop.activities.set_index("activity")
    assert table.loc["Returns", "rate"] == 10.0  # minutes x cost per minute, not the 99
    assert table.loc["Returns", "method"] == "time-driven"
    assert table.loc["Calls", "volume"] == 7.0
    assert table.loc["Calls", "cost"] == 28.0
    assert table.loc["Visits", "share"] == pytest.approx(100.0 / 173.0)
    assert table.loc["Pallets", "cost"] == 0.0
    assert table.loc["Pallets", "status"] == "driver not in this dataset"
    assert any("Pallets (Pallets)" in note for note in shop.notes)
    assert any("1 customer of the cost-to-serve table has" in note for note in shop.notes)


def test_main_channel_and_order_size_band(shop):
    # A: one Online and one Phone order -> the first channel in alphabetical order wins the tie.
    assert shop.pnl["main_channel"].to_dict() == {"A": "Online", "B": "Field sales", "C": "Phone"}
    bands = shop.pnl["order_size_band"].astype(str).to_dict()
    assert bands == {"A": "50–100", "B": "500 and more", "C": "25–50"}  # AOV 85, 500, 27.5


def test_profit_by_channel(shop):
    table = profit_by(shop.pnl, shop.pnl["main_channel"]).set_index("group")
    assert list(table.index) == ["Field sales", "Online", "Phone"]  # by profit, descending
    assert table.loc["Phone", "profit"] == -19.0
    assert table.loc["Phone", "unprofitable_share"] == 1.0
    assert table.loc["Field sales", "profit_share"] == pytest.approx(97.5 / 107)
    assert table.loc["Phone", "cost_to_serve_share"] == pytest.approx(39 / 55)


def test_margin_setting_when_there_is_no_cost_column():
    tx = shop_transactions().drop(columns=["cost"])
    result = customer_pnl(customer_summary(tx), tx, shop_activities(), gross_margin=0.4)
    # cost of goods = net revenue x (1 - 40%): A 150 x 0.6 = 90, B 300, C 33.
    np.testing.assert_allclose(result.pnl["cogs"], [90.0, 300.0, 33.0])
    assert result.cogs_source == "margin setting"
    # Without the service table, calls and visits cost nothing: A 31.5 - 8 = 23.5.
    assert result.pnl.loc["A", "cost_to_serve"] == 23.5


def test_partly_missing_cost_uses_the_margin_for_those_customers():
    tx = shop_transactions()
    tx.loc[tx["customer_id"] == "C", "cost"] = np.nan
    result = customer_pnl(customer_summary(tx), tx, shop_activities(), gross_margin=0.5)
    assert result.pnl.loc["C", "cogs"] == 27.5
    assert result.pnl.loc["B", "cogs"] == 300.0
    assert result.cogs_source == "cost column + margin setting"
    assert any("1 customer has no cost of goods" in note for note in result.notes)


def test_orders_are_purchase_days_without_order_ids():
    tx = shop_transactions().drop(columns=["order_id"])
    drivers, orders = profitability_drivers.transaction_drivers(tx, customer_summary(tx))
    # A bought on two days (O1 on 2 Jan, O2 on 1 Feb) and returned on a third: 2 orders, 1 return.
    assert drivers.loc["A", "Orders"] == 2.0
    assert drivers.loc["A", "Returns"] == 1.0
    assert drivers.loc["A", "Units"] == 7.0
    assert sorted(orders.value.tolist()) == [20.0, 25.0, 30.0, 150.0, 500.0]


def test_small_order_threshold_is_a_parameter():
    tx = shop_transactions()
    drivers, _ = profitability_drivers.transaction_drivers(
        tx, customer_summary(tx), small_order_threshold=26.0
    )
    assert drivers["Small orders"].to_dict() == {"A": 1.0, "B": 0.0, "C": 1.0}  # 20 and 25


def test_observation_end_drops_later_transactions():
    tx = shop_transactions()
    summary = customer_summary(tx, observation_end="2024-01-31")
    result = customer_pnl(summary, tx, shop_activities(), observation_end="2024-01-31")
    # Only O1, O3 and O4 remain: C has one phone order of 30 (small), no return for A.
    assert result.pnl.loc["C", "orders"] == 1
    assert result.activity_costs.loc["C", "Small orders"] == 3.0
    assert result.activity_costs.loc["A", "Returns"] == 0.0


def test_activity_table_reads_labels_and_german_headers():
    frame = pd.DataFrame(
        {"Aktivität": ["Auftrag"], "Kostentreiber": ["Orders"], "Kostensatz": ["2.5"]}
    )
    table = activity_table(frame)
    assert table.loc[0, "cost_per_unit"] == 2.5
    assert profitability_activities.effective_rates(table).to_dict() == {"Auftrag": 2.5}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("A", "Orders", -1.0, NAN, NAN)], "negative"),
        ([("A", "Orders", "abc", NAN, NAN)], "not a number"),
        ([("A", "Orders", NAN, 5.0, NAN)], "no cost per minute"),
        ([("A", "Orders", 1.0, NAN, NAN), ("A", "Order lines", 1.0, NAN, NAN)], "appears twice"),
        ([("A", None, 1.0, NAN, NAN)], "needs both an activity name and a cost driver"),
    ],
)
def test_bad_activity_tables_are_explained(rows, message):
    with pytest.raises(ValidationError, match=message):
        activity_table(pd.DataFrame(rows, columns=list(profitability_activities.ACTIVITY_COLUMNS)))


def test_activity_table_without_driver_column_is_explained():
    with pytest.raises(ValidationError, match="Cost driver"):
        activity_table(pd.DataFrame({"Activity": ["x"], "Rate": [1.0]}))


def test_blank_editor_rows_are_dropped_and_unpriced_rows_noted():
    frame = pd.concat(
        [shop_activities(), pd.DataFrame([(None, None, NAN, NAN, NAN), ("New", "Orders", NAN, NAN, NAN)],
                                         columns=list(profitability_activities.ACTIVITY_COLUMNS))],
        ignore_index=True,
    )  # fmt: skip
    tx = shop_transactions()
    result = customer_pnl(customer_summary(tx), tx, frame, shop_service())
    assert list(result.activities["activity"])[-1] == "New"
    assert result.activities.iloc[-1]["cost"] == 0.0
    assert any("No rate given yet for: New" in note for note in result.notes)


def test_activity_table_round_trips_through_csv_and_xlsx():
    table = activity_table(shop_activities())
    exported = profitability_activities.activity_table_for_export(table)
    from_csv = read_activity_table(export.csv_bytes(exported), "rates.csv")
    from_xlsx = read_activity_table(export.xlsx_bytes({"Activities": exported}), "rates.xlsx")
    pd.testing.assert_frame_equal(from_csv, table)
    pd.testing.assert_frame_equal(from_xlsx, table)


def test_inputs_are_not_mutated():
    tx, service, activities = shop_transactions(), shop_service(), shop_activities()
    copies = tx.copy(), service.copy(), activities.copy()
    customer_pnl(customer_summary(tx), tx, activities, service)
    for original, copy in zip((tx, service, activities), copies, strict=True):
        pd.testing.assert_frame_equal(original, copy)


def test_bad_settings_are_explained():
    tx = shop_transactions()
    with pytest.raises(ValidationError, match="between 0% and 100%"):
        customer_pnl(customer_summary(tx), tx, gross_margin=1.5)
    with pytest.raises(ValidationError, match="zero or more"):
        customer_pnl(customer_summary(tx), tx, small_order_threshold=-1)


def test_pnl_statement_adds_up(shop):
    statement = profitability.pnl_statement(shop).set_index("line")
    assert statement.loc["Gross margin", "amount"] == pytest.approx(280.0)
    assert statement.loc["Cost-to-serve", "amount"] == pytest.approx(-173.0)
    assert statement.loc["Operating profit", "amount"] == pytest.approx(107.0)
    activity_lines = statement.index.str.startswith("  ")
    assert statement.loc[activity_lines, "amount"].sum() == pytest.approx(-173.0)


def test_default_rates_give_a_whale_curve_on_the_demo_data():
    """The calibration the brief asks for: 10-30% unprofitable, peak between 130% and 250%."""
    dataset = load_file(
        demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), demo_workbook.DEMO_WORKBOOK_PATH.name
    )
    tx = dataset.transactions
    result = analysis.analyse(customer_summary(tx), tx, None, dataset.cost_to_serve)
    summary = result.curve.summary
    assert 0.10 <= summary.unprofitable_share <= 0.30
    assert 1.30 <= summary.peak_pct <= 2.50
    assert (
        result.result.activities["status"] == ""
    ).all()  # every default driver exists in the demo


def test_customer_pnl_table_for_download(shop):
    names = pd.DataFrame(
        {"customer_name": ["=cmd", "Beta GmbH"]}, index=pd.Index(["A", "B"], name="customer_id")
    )
    table = profitability.customer_pnl_table(shop, names)
    assert list(table.columns[:10]) == [
        "Customer ID", "Customer name", "Revenue", "Returns", "Net revenue", "Cost of goods",
        "Gross margin", "Cost-to-serve", "Operating profit", "Orders",
    ]  # fmt: skip
    assert list(table["Customer ID"]) == ["B", "A", "C"]  # most profitable first
    assert list(table["Customer name"]) == ["Beta GmbH", "=cmd", ""]  # C has no name
    assert table.loc[2, "Cost: Calls"] == 20.0
    assert table["Operating profit"].sum() == pytest.approx(107.0)
    # The download path neutralises the formula-like name.
    assert b"'=cmd" in export.csv_bytes(table)


def test_totals_reconcile_exactly(shop):
    # Every amount of the shop is a multiple of 0.5, so the sums are exact in floating point: the
    # customers' profits add up to the P&L's totals with no rounding at all.
    totals = shop.reconciliation()
    assert (totals["revenue"], totals["returns"], totals["cogs"]) == (725.0, 20.0, 425.0)
    assert totals["cost_to_serve"] == 173.0 == shop.pnl["cost_to_serve"].sum()
    assert shop.pnl["profit"].sum() == 107.0 == totals["profit"]
    lines = profitability.pnl_statement(shop).set_index("line")["amount"]
    assert lines.loc["Operating profit"] == 725.0 - 20.0 - 425.0 - 173.0


def test_totals_reconcile_to_the_cent_on_the_demo_data():
    dataset = load_file(
        demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), demo_workbook.DEMO_WORKBOOK_PATH.name
    )
    tx = dataset.transactions
    result = customer_pnl(customer_summary(tx), tx, None, dataset.cost_to_serve)
    t = result.reconciliation()
    books = t["revenue"] - t["returns"] - t["cogs"] - t["cost_to_serve"]
    # Each profit is rounded to a millionth (so break-even is not noise): 4,000 of them stay
    # far below half a cent in total.
    assert abs(result.pnl["profit"].sum() - books) < 0.005
    assert abs(result.activity_costs.to_numpy().sum() - t["cost_to_serve"]) < 0.005
    # The revenue and cost of goods are the transactions' own totals.
    purchases = tx[~tx["is_return"]]
    assert abs(t["revenue"] - purchases["revenue"].sum()) < 0.005
    assert abs(t["returns"] + tx.loc[tx["is_return"], "revenue"].sum()) < 0.005
    assert abs(t["cogs"] - tx["cost"].sum()) < 0.005


# --- the fast grouping used at millions of rows (issue 8) ----------------------------------------

_IDS = {
    "runs of text": np.array(["b", "b", "a", "b", "c", "c", "a"], dtype=object),
    "missing values": np.array(["x", None, None, "x", NAN, NAN, "y", None], dtype=object),
    "pd.NA (not comparable: pandas decides)": np.array(["x", pd.NA, "x", "y"], dtype=object),
    "numbers and text": np.array([1, "1", 1, 1.0, "1", 2], dtype=object),
    "bytes and text": np.array([b"a", "a", b"a", "a"], dtype=object),
    "integers": np.array([7, 7, 3, 7, 3, 3, 9]),
    "floats": np.array([0.5, NAN, 0.5, 2.0]),
    "empty": np.array([], dtype=object),
}


@pytest.mark.parametrize("values", _IDS.values(), ids=_IDS.keys())
def test_factorize_ids_is_exactly_pandas_factorize(values):
    codes, uniques = profitability_drivers.factorize_ids(values)
    expected_codes, expected_uniques = pd.factorize(values)
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(uniques) == list(expected_uniques)
    np.testing.assert_array_equal(profitability_drivers.id_codes(values), expected_codes)


def test_factorize_ids_numbers_by_first_appearance_by_hand():
    codes, uniques = profitability_drivers.factorize_ids(_IDS["runs of text"])
    assert codes.tolist() == [0, 0, 1, 0, 2, 2, 1]
    assert list(uniques) == ["b", "a", "c"]


@pytest.mark.parametrize("values", _IDS.values(), ids=_IDS.keys())
def test_index_positions_is_exactly_get_indexer(values):
    index = pd.Index(["c", "x", "b", "a", 7, 3])
    expected = index.get_indexer(values)
    np.testing.assert_array_equal(profitability_drivers.index_positions(index, values), expected)


@pytest.mark.parametrize("offset", [0, 10**9], ids=["dense order codes", "sparse keys (hashed)"])
def test_pair_codes_keep_an_order_id_of_two_customers_apart(offset):
    # Rows: (customer, key) = (0,5) (0,5) (1,5) (0,6) (1,5) (2,5): key 5 is used by customers 0,
    # 1 and 2, so it makes three orders; numbered by first appearance: 0 0 1 2 1 3.
    customer = np.array([0, 0, 1, 0, 1, 2])
    key = np.array([5, 5, 5, 6, 5, 5]) + np.array([0, 0, 0, offset, 0, 0])
    code, first = profitability_drivers._pair_codes(customer, key)
    assert code.tolist() == [0, 0, 1, 2, 1, 3]
    assert first.tolist() == [0, 2, 3, 5]


def test_whale_curve_on_the_demo_data_is_unchanged_by_the_fast_grouping():
    """Numbers written down from the code before the grouping was made linear (commit aa0b876):
    the P&L, the orders and the curve must not move."""
    dataset = load_file(
        demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), demo_workbook.DEMO_WORKBOOK_PATH.name
    )
    tx = dataset.transactions
    result = analysis.analyse(customer_summary(tx), tx, None, dataset.cost_to_serve)
    pnl, orders = result.result.pnl, result.result.orders
    assert pnl["profit"].sum() == 988179.34
    assert result.curve.summary.peak_pct == 1.6936364000485904
    assert result.curve.summary.unprofitable_share == 0.28925
    assert result.result.driver_volumes.sum().to_dict() == {
        "Order processing": 35212.0, "Picking and packing": 90165.0,
        "Small-order handling": 9381.0, "Returns processing": 3970.0,
        "Phone order taking": 7131.0, "Store order handling": 7644.0,
        "Web shop (per order)": 16356.0, "Field-sales order entry": 4081.0, "Deliveries": 28932.0,
        "Customer service calls": 26721.0, "Sales visits": 4770.0,
        "Special terms administration": 626.0,
    }  # fmt: skip
    assert len(orders.value) == 35212
    assert orders.value.sum() == 7256233.04
    assert orders.channels == ("Field sales", "Online", "Phone", "Store")
    assert np.bincount(orders.channel).tolist() == [4081, 16356, 7131, 7644]
    assert orders.customer[:5].tolist() == [0, 1, 2, 3, 6]
    assert orders.value[:5].tolist() == [23.88, 41.5, 55.6, 1661.39, 97.8]
    assert pnl["main_channel"].value_counts().to_dict() == {
        "Online": 1928, "Store": 754, "Phone": 727, "Field sales": 591,
    }  # fmt: skip
