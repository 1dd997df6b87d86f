"""The page aggregations from DuckDB and Spark: hand-computed tables, and the pandas results.

Each engine's table, finished by the function the pandas path uses too, must give what the
analyses compute from the transactions in memory: the Whale P&L's drivers and orders, the gap
profile behind the churn window, and the cohort tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.profitability.drivers import drivers_from_tables, transaction_drivers
from cvm_core.analyses.retention.cohorts import cohort_tables, tables_from_cells
from cvm_core.analyses.retention.gaps import (
    ChurnRule,
    activity_spells,
    churn_status,
    gap_counts,
    gap_profile,
    profile_from_gap_counts,
    spells_from_table,
)
from cvm_core.analyses.retention.tenure import profit_by_tenure, tenure_from_table
from cvm_core.analyses.scorecard.activity import (
    activity_from_table,
    period_activity,
    periods_of_table,
)
from cvm_core.analyses.scorecard.periods import transaction_periods
from cvm_core.analyses.scorecard.transaction_measures import (
    cross_sell,
    cross_sell_from_table,
    transaction_measures,
)
from cvm_core.analyses.segments.affinity import baskets_from_pairs, category_baskets
from cvm_core.analyses.segments.contribution import main_channel, main_channel_from_revenue
from cvm_core.errors import CvmError
from cvm_core.intake import aggregations
from cvm_core.intake.summary import customer_summary
from tests.unit.engine_files import (
    SPARK,
    demo_transactions,
    parquet_and_csv,
    sorted_orders,
    write_parquet,
)

NAN = np.nan
# A: order O1 (two Online lines, 150), O2 (Phone, 20), a return R1 of O2.
# B: one order O3 whose first line is Field sales (500) and second Online (10).
# C: O4 (Phone, 30) and O5 (no channel, 25). D: two lines without an order id on one day (45).
# E: three Online orders of 60 on 1 Jan, 31 Jan and 1 Mar.
ROWS = [
    ("A", "2024-01-02", 100.0, 2, "O1", "Online"),
    ("A", "2024-01-02", 50.0, 1, "O1", "Online"),
    ("A", "2024-02-01", 20.0, 4, "O2", "Phone"),
    ("A", "2024-02-10", -20.0, -4, "R1", "Phone"),
    ("B", "2024-01-05", 500.0, 10, "O3", "Field sales"),
    ("B", "2024-01-05", 10.0, 1, "O3", "Online"),
    ("C", "2024-01-07", 30.0, 1, "O4", "Phone"),
    ("C", "2024-03-01", 25.0, 1, "O5", None),
    ("D", "2024-03-05", 40.0, NAN, None, "Online"),
    ("D", "2024-03-05", 5.0, 2, None, "Phone"),
    ("E", "2024-01-01", 60.0, 1, "E1", "Online"),
    ("E", "2024-01-31", 60.0, 1, "E2", "Online"),
    ("E", "2024-03-01", 60.0, 1, "E3", "Online"),
]
TRANSACTIONS = pd.DataFrame(
    ROWS, columns=["customer_id", "date", "revenue", "quantity", "order_id", "channel"]
).assign(date=lambda t: pd.to_datetime(t["date"]), is_return=lambda t: t["revenue"] < 0)
END = "2024-03-31"

# Worked by hand (small orders: gross value under 50).
EXPECTED_DRIVERS = pd.DataFrame(
    {
        "Customers": [1.0] * 5,
        "Orders": [2.0, 1.0, 2.0, 1.0, 3.0],
        "Order lines": [3.0, 2.0, 2.0, 2.0, 3.0],
        "Returns": [1.0, 0.0, 0.0, 0.0, 0.0],
        "Returned lines": [1.0, 0.0, 0.0, 0.0, 0.0],
        "Small orders": [1.0, 0.0, 2.0, 1.0, 0.0],  # O2 (20); O4, O5; D's 45
        "Units": [7.0, 11.0, 2.0, 2.0, 3.0],  # D's line without a quantity counts 0
        "Orders via Field sales": [0.0, 1.0, 0.0, 0.0, 0.0],
        "Orders via Online": [1.0, 0.0, 0.0, 1.0, 3.0],  # O3 is Field sales: its first line
        "Orders via Phone": [1.0, 0.0, 1.0, 0.0, 0.0],
        "Orders via Unknown": [0.0, 0.0, 1.0, 0.0, 0.0],
    },
    index=pd.Index(list("ABCDE"), name="customer_id"),
)
# Gaps: A 30 days (1 Jan..1 Feb; the return is no purchase), C 54 (7 Jan..1 Mar, 2024 is a leap
# year), E 30 and 30 (each half of E's vote).
EXPECTED_GAPS = pd.DataFrame(
    {"gap_days": [30, 54], "repeat_purchases": [3, 1], "customer_weight": [2.0, 1.0]}
)
# Monthly cohorts (Jan 2024 = month 648 since Jan 1970): A, B, C, E in January, D in March.
EXPECTED_CELLS = pd.DataFrame(
    {
        "cohort": [648, 648, 648, 650],
        "age": [0, 1, 2, 0],
        "active_customers": [4, 1, 2, 1],  # February: only A bought
        "net_revenue": [810.0, 0.0, 85.0, 45.0],  # A's February order was returned
    }
)

ENGINES = ["duckdb", SPARK]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return parquet_and_csv(TRANSACTIONS, tmp_path_factory.mktemp("aggregations"))


def _drivers(path: str, engine: str, summary: pd.DataFrame, end: str | None = END):
    orders = aggregations.aggregate(path, "orders", engine, end)
    lines = aggregations.aggregate(path, "line_counts", engine, end)
    return drivers_from_tables(summary.index, orders, lines, has_channel=True)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_hand_computed_drivers(engine, kind, files):
    summary = customer_summary(TRANSACTIONS, observation_end=END)
    drivers, orders = _drivers(files[kind], engine, summary)
    pd.testing.assert_frame_equal(drivers, EXPECTED_DRIVERS, check_names=False)
    assert sorted(orders.value.tolist()) == [20.0, 25.0, 30.0, 45.0, 60.0, 60.0, 60.0, 150.0, 510.0]


def test_the_pandas_drivers_are_the_hand_computed_ones():
    drivers, _ = transaction_drivers(TRANSACTIONS, customer_summary(TRANSACTIONS))
    pd.testing.assert_frame_equal(drivers, EXPECTED_DRIVERS, check_names=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_gap_counts(engine, files):
    got = aggregations.aggregate(files["parquet"], "gap_counts", engine, END)
    pd.testing.assert_frame_equal(got, EXPECTED_GAPS, check_dtype=False)
    pd.testing.assert_frame_equal(gap_counts(TRANSACTIONS, END), EXPECTED_GAPS)


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_cohort_cells(engine, files):
    got = aggregations.aggregate(files["parquet"], "cohort_cells", engine, END, period="month")
    assert (got["last_ord"] == 650).all()  # March 2024, complete on 31 March
    assert (pd.to_datetime(got["end_day"]) == pd.Timestamp(END)).all()
    cells = got[EXPECTED_CELLS.columns]
    pd.testing.assert_frame_equal(cells, EXPECTED_CELLS, check_dtype=False)
    tables = tables_from_cells(got, "month")
    assert tables.sizes.to_dict() == {"Jan 2024": 4, "Mar 2024": 1}
    assert tables.customer_retention.loc["Jan 2024"].tolist() == [1.0, 0.25, 0.5]


def test_an_unknown_table_or_period_says_which_exist(files):
    with pytest.raises(CvmError, match="orders, line_counts, gap_counts, cohort_cells"):
        aggregations.aggregate(files["parquet"], "baskets")
    with pytest.raises(CvmError, match="month, quarter or week"):
        aggregations.aggregate(files["parquet"], "cohort_cells", period="year")


def test_customers_the_summary_does_not_know_are_refused(files):
    summary = customer_summary(TRANSACTIONS[TRANSACTIONS["customer_id"] != "E"])
    with pytest.raises(CvmError, match="customers the customer summary does not know"):
        _drivers(files["parquet"], "duckdb", summary)


# --- the demo data: every engine gives the pandas results -------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    columns = ["customer_id", "date", "revenue", "is_return", "order_id", "quantity", "channel"]
    columns += ["product", "category", "cost"]
    transactions = demo_transactions(columns)
    path = write_parquet(transactions, tmp_path_factory.mktemp("demo") / "demo.parquet")
    return path, transactions


DEMO_END = "2024-06-30"


def _up_to_end(transactions: pd.DataFrame) -> pd.DataFrame:
    return transactions[transactions["date"] <= DEMO_END]


@pytest.mark.parametrize("engine", ENGINES)
def test_demo_drivers_and_orders_equal_pandas(engine, demo):
    path, transactions = demo
    kept = _up_to_end(transactions)
    summary = customer_summary(kept, observation_end=DEMO_END)
    expected, expected_orders = transaction_drivers(kept, summary)
    got, orders = _drivers(path, engine, summary, DEMO_END)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert orders.channels == expected_orders.channels
    pd.testing.assert_frame_equal(sorted_orders(orders), sorted_orders(expected_orders))


@pytest.mark.parametrize("engine", ENGINES)
def test_demo_gap_profile_equals_pandas(engine, demo):
    path, transactions = demo
    expected = gap_profile(transactions, DEMO_END)
    got = profile_from_gap_counts(aggregations.aggregate(path, "gap_counts", engine, DEMO_END))
    assert got.suggested_window_days == expected.suggested_window_days
    assert got.quantiles == expected.quantiles
    assert (got.repeat_purchases, got.repeat_customers) == (
        expected.repeat_purchases,
        expected.repeat_customers,
    )
    pd.testing.assert_frame_equal(got.histogram, expected.histogram, check_exact=False)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("period", ["month", "quarter", "week"])
def test_demo_cohort_tables_equal_pandas(engine, period, demo):
    path, transactions = demo
    summary = customer_summary(transactions, observation_end=DEMO_END)
    expected = cohort_tables(transactions, summary, period, DEMO_END)
    cells = aggregations.aggregate(path, "cohort_cells", engine, DEMO_END, period=period)
    got = tables_from_cells(cells, period)
    assert got.last_complete_period == expected.last_complete_period
    assert got.observation_end == expected.observation_end
    pd.testing.assert_series_equal(got.sizes, expected.sizes)
    for name in ("customer_retention", "revenue_retention", "net_revenue", "active_customers"):
        pd.testing.assert_frame_equal(
            getattr(got, name), getattr(expected, name), check_exact=False, rtol=1e-9
        )


# --- the Scorecard's period tables ------------------------------------------------------------


def _activity(path: str, engine: str, summary: pd.DataFrame, frequency: str, end: str):
    table = aggregations.aggregate(path, "period_activity", engine, end, frequency=frequency)
    periods = periods_of_table(table, frequency)
    return activity_from_table(table, summary, periods), periods


def _pairs(act) -> pd.DataFrame:
    """The (customer, period) rows in one order (pandas and SQL number them differently)."""
    columns = {"customer": act.customer, "period": act.period, "gross": act.gross}
    columns |= {"returns": act.returns, "orders": act.orders, "rows": act.rows}
    if act.items is not None:
        columns["items"] = act.items
    return pd.DataFrame(columns).sort_values(["customer", "period"]).reset_index(drop=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_period_activity(engine, files):
    summary = customer_summary(TRANSACTIONS, observation_end=END)
    act, periods = _activity(files["parquet"], engine, summary, "M", END)
    assert [str(p) for p in periods.index] == ["2024-01", "2024-02", "2024-03"]
    got = _pairs(act)
    # A bought 150 in January and 20 in February, returned 20 in February (R1 is a return, not
    # an order); B's order O3 has two lines; D's two lines without an order id are one order.
    assert got.values.tolist() == [
        [0, 0, 150.0, 0.0, 1.0, 2.0],
        [0, 1, 20.0, 20.0, 1.0, 2.0],
        [1, 0, 510.0, 0.0, 1.0, 2.0],
        [2, 0, 30.0, 0.0, 1.0, 1.0],
        [2, 2, 25.0, 0.0, 1.0, 1.0],
        [3, 2, 45.0, 0.0, 1.0, 2.0],
        [4, 0, 120.0, 0.0, 2.0, 2.0],
        [4, 2, 60.0, 0.0, 1.0, 1.0],
    ]
    assert act.first_period.tolist() == [0, 0, 0, 2, 0]


@pytest.fixture(scope="module")
def demo_summary(demo):
    _path, transactions = demo
    return customer_summary(transactions, observation_end=DEMO_END)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("frequency", ["Q", "M"])
def test_demo_scorecard_tables_equal_pandas(engine, frequency, demo, demo_summary):
    path, transactions = demo
    kept = _up_to_end(transactions)
    periods = transaction_periods(kept, frequency, pd.Timestamp(DEMO_END))
    expected = period_activity(kept, demo_summary, periods)
    act, got_periods = _activity(path, engine, demo_summary, frequency, DEMO_END)
    assert got_periods.index.equals(periods.index)
    assert (got_periods.data_start, got_periods.end) == (periods.data_start, periods.end)
    assert act.items is not None  # the demo has products
    pd.testing.assert_frame_equal(_pairs(act), _pairs(expected), check_exact=False, rtol=1e-12)
    np.testing.assert_array_equal(act.first_period, expected.first_period)
    measures, expected_measures = transaction_measures(act), transaction_measures(expected)
    assert measures.keys() == expected_measures.keys()
    for key, values in expected_measures.items():
        np.testing.assert_allclose(measures[key], values, rtol=1e-12, err_msg=key)
    firsts = aggregations.aggregate(
        path, "item_first_periods", engine, DEMO_END, frequency=frequency, item="category"
    )
    np.testing.assert_allclose(
        cross_sell_from_table(act, firsts, demo_summary.index, got_periods),
        cross_sell(kept, expected, periods),
        rtol=1e-12,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_demo_main_channels_equal_pandas(engine, demo, demo_summary):
    path, transactions = demo
    revenue = aggregations.aggregate(path, "channel_revenue", engine, DEMO_END)
    got = main_channel_from_revenue(revenue, demo_summary.index)
    expected = main_channel(_up_to_end(transactions), demo_summary.index)
    pd.testing.assert_series_equal(got, expected)
    assert got.nunique() > 1


# --- the Segments page's category baskets -----------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_demo_category_baskets_equal_pandas(engine, demo, demo_summary):
    path, transactions = demo
    pairs = aggregations.aggregate(
        path, "item_first_periods", engine, DEMO_END, frequency="Q", item="category"
    )
    got = baskets_from_pairs(pairs, demo_summary.index)
    expected = category_baskets(_up_to_end(transactions), demo_summary.index)
    assert got.categories.equals(expected.categories)
    np.testing.assert_array_equal(got.sets, expected.sets)
    np.testing.assert_array_equal(got.set_of_customer, expected.set_of_customer)
    assert len(got.sets) > 10


@pytest.mark.parametrize("engine", ENGINES)
def test_no_categorised_purchase_says_to_map_a_category(engine, files):
    pairs = aggregations.aggregate(
        files["parquet"], "item_first_periods", engine, END, frequency="Q", item="category"
    )
    with pytest.raises(CvmError, match="no product category column"):
        baskets_from_pairs(pairs, pd.Index(list("ABCDE")))


# --- Retention: spells of activity and profit by year of the relationship ---------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_spells(engine, files):
    table = aggregations.aggregate(files["parquet"], "activity_spells", engine, END, window_days=29)
    got = spells_from_table(table, pd.Index(list("ABCDE")))
    # Window 29 days: A's 30-day gap and C's 54 start new spells, as do E's 30-day gaps. A spell
    # lapses 30 days after its last purchase, if that is on or before 31 March (not D's).
    rows = [
        (0, "2024-01-02", "2024-02-01", False),
        (0, "2024-02-01", "2024-03-02", True),
        (1, "2024-01-05", "2024-02-04", False),
        (2, "2024-01-07", "2024-02-06", False),
        (2, "2024-03-01", "2024-03-31", True),
        (3, "2024-03-05", None, False),
        (4, "2024-01-01", "2024-01-31", False),
        (4, "2024-01-31", "2024-03-01", True),
        (4, "2024-03-01", "2024-03-31", True),
    ]
    expected = pd.DataFrame(rows, columns=["customer", "start", "lapse", "returning"])
    expected[["start", "lapse"]] = expected[["start", "lapse"]].apply(pd.to_datetime)
    pd.testing.assert_frame_equal(got, expected)
    tx = TRANSACTIONS
    pd.testing.assert_frame_equal(
        activity_spells(tx, 29, END, pd.Index(list("ABCDE"))), expected, check_dtype=False
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("window", [30, 120])
def test_demo_spells_and_tenure_equal_pandas(engine, window, demo, demo_summary):
    path, transactions = demo
    index = demo_summary.index
    table = aggregations.aggregate(path, "activity_spells", engine, DEMO_END, window_days=window)
    expected = activity_spells(transactions, window, DEMO_END, index)
    pd.testing.assert_frame_equal(spells_from_table(table, index), expected, check_dtype=False)
    status = churn_status(demo_summary, ChurnRule(window), DEMO_END)
    values = aggregations.aggregate(path, "tenure_values", engine, DEMO_END)
    got = tenure_from_table(values, status, window, pd.Timestamp(DEMO_END))
    want = profit_by_tenure(transactions, status, window, pd.Timestamp(DEMO_END))
    assert got.measure == want.measure == "gross margin"  # the demo has a cost on every line
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=False, rtol=1e-9)
    assert got.claim == want.claim


@pytest.mark.parametrize("engine", ENGINES)
def test_tenure_uses_the_margin_only_when_every_line_has_a_cost(engine, tmp_path):
    tx = TRANSACTIONS.assign(cost=TRANSACTIONS["revenue"] * 0.5)
    summary = customer_summary(tx, observation_end=END)
    status = churn_status(summary, ChurnRule(30), END)
    for costs, measure in ((tx, "gross margin"), (tx.assign(cost=tx["cost"].where(tx.index != 3)), "net revenue")):  # fmt: skip
        path = write_parquet(costs, tmp_path / f"{measure}.parquet")
        values = aggregations.aggregate(path, "tenure_values", engine, END)
        got = tenure_from_table(values, status, 30, pd.Timestamp(END))
        want = profit_by_tenure(costs, status, 30, pd.Timestamp(END))
        assert got.measure == want.measure == measure
        pd.testing.assert_frame_equal(got.table, want.table, check_exact=False, rtol=1e-12)


# --- in parts: a share of the customers at a time, the same rows -------------------------------

PART_OPTIONS = {
    "period_activity": {"frequency": "Q", "item": "product"},
    "item_first_periods": {"frequency": "M", "item": "category"},
    "holdout_days": {"calibration_end": "2024-03-31"},
}


def _in_one_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by their values (texts as text: each result lists its categories in the order
    it met them)."""
    texts = frame.select_dtypes("category").columns
    frame = frame.astype(dict.fromkeys(texts, object))
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("table", sorted(aggregations.PER_CUSTOMER))
def test_a_per_customer_table_in_parts_has_the_rows_of_the_whole(table, demo):
    path, _transactions = demo
    options = PART_OPTIONS.get(table, {})
    whole = aggregations.aggregate(path, table, "duckdb", DEMO_END, **options)
    parts = aggregations.aggregate(path, table, "duckdb", DEMO_END, parts=3, **options)
    assert len(whole) > 100
    pd.testing.assert_frame_equal(_in_one_order(parts), _in_one_order(whole))


def test_the_parts_are_shares_of_the_customers(demo):
    """Each part is one query over its own customers: together all of them, none twice."""
    from cvm_core.intake.engines import run_query

    path, transactions = demo
    counted = run_query(path, "duckdb", lambda table, _present, _dialect: (
        f"SELECT COUNT(DISTINCT customer_id) AS customers FROM {table}"), parts=3)  # fmt: skip
    assert len(counted) == 3
    assert counted["customers"].sum() == transactions["customer_id"].nunique()
    assert counted["customers"].max() < transactions["customer_id"].nunique() * 0.5


def test_a_customer_written_with_blanks_around_the_id_stays_in_one_part(tmp_path):
    """Parts split the cleaned ids: 'A', ' A' and 'A\u3000' are one customer (as the intake reads
    them), so their lines must not land in different parts."""
    spellings = ["A", " A", "A ", "  A", "\tA", "A\t", "\u00a0A", "A\u00a0", "A\u3000", " A "]
    frame = pd.DataFrame({
        "customer_id": spellings + ["B", "C", "D"],
        "date": pd.to_datetime(["2024-01-01"] * 13) + pd.to_timedelta(range(13), unit="D"),
        "revenue": 10.0,
    })  # fmt: skip
    path = write_parquet(frame, tmp_path / "padded.parquet")
    counts = aggregations.aggregate(path, "line_counts", "duckdb", END, parts=4)
    lines = counts.set_index(counts["customer_id"].astype(str))["order_lines"]
    assert lines.to_dict() == {"A": 10, "B": 1, "C": 1, "D": 1}


def test_only_per_customer_tables_with_an_end_run_in_parts(files):
    with pytest.raises(CvmError, match="cannot be computed in parts"):
        aggregations.aggregate(files["parquet"], "gap_counts", "duckdb", END, parts=2)
    with pytest.raises(CvmError, match="cannot be computed in parts"):
        aggregations.aggregate(files["parquet"], "orders", "duckdb", None, parts=2)
