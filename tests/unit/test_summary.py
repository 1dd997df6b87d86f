"""The customer summary (cvm_core.intake.summary) on a hand-built fixture and against the published
CDNOW summary that ships with lifetimes."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from cvm_core.analyses.sources import FrameSource
from cvm_core.errors import ValidationError
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.summary import (
    SUMMARY_COLUMNS,
    customer_summary,
    dataset_overview,
    monthly_activity,
)

# Four customers, observation end 26 Feb 2023 (the last date), unit: week.
#   A: 1 Jan two orders (O1 with two lines 60+40, O2 20) -> one purchase day worth 120;
#      15 Jan O3 50; 12 Feb O4 30; 20 Feb returns 10 (R1).
#   B: one order on 8 Jan, 200.
#   C: only a return, 25 on 20 Jan.
#   D: 29 Jan 40 and 26 Feb 60; cost of goods unknown.
TRANSACTIONS = [
    ("A", "2023-01-01", 60.0, "O1", 36.0),
    ("A", "2023-01-01", 40.0, "O1", 24.0),
    ("A", "2023-01-01", 20.0, "O2", 12.0),
    ("A", "2023-01-15", 50.0, "O3", 30.0),
    ("A", "2023-02-12", 30.0, "O4", 18.0),
    ("A", "2023-02-20", -10.0, "R1", -6.0),
    ("B", "2023-01-08", 200.0, "O5", 120.0),
    ("C", "2023-01-20", -25.0, "R2", -15.0),
    ("D", "2023-01-29", 40.0, "O6", np.nan),
    ("D", "2023-02-26", 60.0, "O7", np.nan),
]


@pytest.fixture
def tx() -> pd.DataFrame:
    frame = pd.DataFrame(
        TRANSACTIONS, columns=["customer_id", "date", "revenue", "order_id", "cost"]
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["revenue"] < 0
    return frame


def expected_summary() -> pd.DataFrame:
    dates = pd.to_datetime
    return pd.DataFrame(
        {
            "first_purchase": dates(["2023-01-01", "2023-01-08", "2023-01-20", "2023-01-29"]),
            "last_purchase": dates(["2023-02-12", "2023-01-08", "2023-01-20", "2023-02-26"]),
            "orders": np.array([4, 1, 0, 2], dtype=np.int64),
            "purchase_days": np.array([3, 1, 0, 2], dtype=np.int64),
            "lines": np.array([5, 1, 0, 2], dtype=np.int64),
            "revenue": [200.0, 200.0, 0.0, 100.0],
            "returns": [10.0, 0.0, 25.0, 0.0],
            "net_revenue": [190.0, 200.0, -25.0, 100.0],
            # A: 36+24+12+30+18-6; B: 120; C: the returned goods' cost -15; D: unknown.
            "cost": [114.0, 120.0, -15.0, np.nan],
            "margin": [76.0, 80.0, -10.0, np.nan],
            "frequency": np.array([2, 0, 0, 1], dtype=np.int64),
            # A: 1 Jan -> 12 Feb = 42 days = 6 weeks; D: 28 days = 4 weeks.
            "recency": [6.0, 0.0, 0.0, 4.0],
            # Days to 26 Feb: A 56, B 49, C 37, D 28.
            "T": [8.0, 7.0, 37 / 7, 4.0],
            # Repeat purchase days only: A (50 + 30) / 2; D 60.
            "monetary_value": [40.0, 0.0, 0.0, 60.0],
            # Gross revenue / orders: A 200 / 4.
            "avg_order_value": [50.0, 200.0, 0.0, 50.0],
        },
        index=pd.Index(["A", "B", "C", "D"], name="customer_id", dtype=object),
    )


def test_summary_by_hand(tx):
    summary = customer_summary(tx, unit="week")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    pdt.assert_frame_equal(summary, expected_summary())


def test_summary_without_order_ids_counts_purchase_days(tx):
    summary = customer_summary(tx.drop(columns=["order_id", "cost"]))
    expected = expected_summary()
    expected["orders"] = np.array([3, 1, 0, 2], dtype=np.int64)
    expected["avg_order_value"] = [200 / 3, 200.0, 0.0, 50.0]
    expected["cost"] = np.nan
    expected["margin"] = np.nan
    pdt.assert_frame_equal(summary, expected)


def test_summary_in_days_and_months(tx):
    days = customer_summary(tx, unit="day")
    assert days["recency"].tolist() == [42.0, 0.0, 0.0, 28.0]
    assert days["T"].tolist() == [56.0, 49.0, 37.0, 28.0]
    months = customer_summary(tx, unit="month")
    month = 365.25 / 12
    np.testing.assert_allclose(
        months["T"].to_numpy(), [56 / month, 49 / month, 37 / month, 28 / month]
    )


def test_observation_end_cuts_later_rows_and_sets_T(tx):
    summary = customer_summary(tx, observation_end="2023-01-31")
    assert summary.index.tolist() == ["A", "B", "C", "D"]
    assert summary["frequency"].tolist() == [1, 0, 0, 0]  # A: 1 and 15 Jan; D: 29 Jan only
    assert summary["recency"].tolist() == [2.0, 0.0, 0.0, 0.0]
    assert summary["T"].tolist() == [30 / 7, 23 / 7, 11 / 7, 2 / 7]
    assert summary["returns"].tolist() == [0.0, 0.0, 25.0, 0.0]


def test_observation_end_before_all_data():
    frame = pd.DataFrame(
        {
            "customer_id": ["A"],
            "date": pd.to_datetime(["2023-05-01"]),
            "revenue": [1.0],
            "is_return": [False],
        }
    )
    with pytest.raises(
        ValidationError, match="No transactions on or before the observation end 2023-01-01"
    ):
        customer_summary(frame, observation_end="2023-01-01")


def test_unknown_unit(tx):
    with pytest.raises(ValidationError, match="choose day, week or month"):
        customer_summary(tx, unit="fortnight")


def test_summary_does_not_change_its_input(tx):
    before = tx.copy()
    customer_summary(tx)
    pdt.assert_frame_equal(tx, before)


def test_blank_order_ids_count_as_separate_purchases():
    frame = pd.DataFrame(
        {
            "customer_id": ["E", "E", "E"],
            "date": pd.to_datetime(["2023-01-01", "2023-01-05", "2023-01-09"]),
            "revenue": [1.0, 2.0, 3.0],
            "is_return": [False] * 3,
            "order_id": ["O1", None, None],
        }
    )
    assert customer_summary(frame)["orders"].tolist() == [3]


def test_overview_by_hand(tx):
    summary = customer_summary(tx)
    overview = dataset_overview(FrameSource(tx), summary)
    assert overview.as_dict() == {
        "customers": 4,
        "transactions": 10,
        "orders": 7,
        "first_date": "2023-01-01",
        "last_date": "2023-02-26",
        "revenue": 500.0,
        "returns": 35.0,
        "net_revenue": 465.0,
        "returns_share": 35.0 / 500.0,
        "repeat_customer_share": 0.5,  # A and D
        "margin": 146.0,  # 76 + 80 - 10; D's cost is unknown
    }


def test_monthly_activity_by_hand(tx):
    expected = pd.DataFrame(
        {
            "month": pd.to_datetime(["2023-01-01", "2023-02-01"]),
            # Jan: 60+40+20+50+200-25+40; Feb: 30-10+60.
            "net_revenue": [385.0, 80.0],
            "active_customers": [4, 2],
        }
    )
    pdt.assert_frame_equal(monthly_activity(tx), expected, check_dtype=False)


# --- edge cases --------------------------------------------------------------------------------


def test_a_single_customer():
    frame = pd.DataFrame(
        {
            "Customer ID": ["K1", "K1", "K1"],
            "Date": ["2024-01-01", "2024-01-01", "2024-01-22"],
            "Revenue": ["10,00", "5,00", "7,50"],
        }
    )
    dataset = dataset_from_frame(frame, "one customer")
    summary = customer_summary(dataset.transactions)
    assert summary.index.tolist() == ["K1"]
    row = summary.loc["K1"]
    assert (row["frequency"], row["recency"], row["T"]) == (1, 3.0, 3.0)
    assert (row["revenue"], row["monetary_value"]) == (22.5, 7.5)


def test_all_customers_buying_once():
    frame = pd.DataFrame(
        {
            "Customer ID": ["A", "B", "C"],
            "Date": ["2024-01-01", "2024-01-08", "2024-01-15"],
            "Revenue": ["10", "20", "30"],
        }
    )
    dataset = dataset_from_frame(frame, "one-off buyers")
    summary = customer_summary(dataset.transactions)
    assert summary["frequency"].tolist() == [0, 0, 0]
    assert summary["recency"].tolist() == [0.0, 0.0, 0.0]
    assert summary["T"].tolist() == [2.0, 1.0, 0.0]
    assert summary["monetary_value"].tolist() == [0.0, 0.0, 0.0]
    assert dataset_overview(FrameSource(dataset.transactions), summary).repeat_customer_share == 0.0


# --- CDNOW against its published summary --------------------------------------------------------


def lifetimes_datasets() -> Path:
    # Located without importing lifetimes (slow, and it changes pandas options at import).
    spec = importlib.util.find_spec("lifetimes")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


@pytest.fixture(scope="module")
def cdnow_calibration() -> pd.DataFrame:
    """Our summary of CDNOW to 30 Sep 1997 in weeks, indexed by the sample's customer number 1..2357."""
    from cvm_core.intake.cdnow import load_cdnow_transactions

    dataset = dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD")
    summary = customer_summary(dataset.transactions, unit="week", observation_end="1997-09-30")
    # The published files number customers 1..2357 (2nd column of CDNOW_sample.txt); the
    # transactions carry the master id (1st column).
    raw = pd.read_csv(
        lifetimes_datasets() / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        dtype=str,
        usecols=[0, 1],
    )
    number = dict(zip(raw[0], raw[1].astype(int), strict=False))
    summary.index = summary.index.map(number)
    return summary.sort_index()


def test_cdnow_has_2357_customers(cdnow_calibration):
    assert len(cdnow_calibration) == 2357
    assert cdnow_calibration.index.tolist() == list(range(1, 2358))


def test_cdnow_matches_the_published_summary(cdnow_calibration):
    published = pd.read_csv(lifetimes_datasets() / "cdnow_customers_summary_with_transactions.csv")
    published = published.set_index("ID").sort_index()
    ours = cdnow_calibration
    assert (ours["frequency"].to_numpy() == published["x"].to_numpy()).all()
    # The published recency and T are rounded to 2 decimals; ours must round to the same.
    assert (ours["recency"].round(2).to_numpy() == published["t_x"].to_numpy()).all()
    assert (ours["T"].round(2).to_numpy() == published["T"].to_numpy()).all()
    # zbar: mean spend per repeat transaction (0 without repeats), also rounded to cents.
    np.testing.assert_allclose(
        ours["monetary_value"].to_numpy(), published["zbar"].to_numpy(), atol=0.005 + 1e-9
    )


def test_cdnow_matches_lifetimes_plain_summary_file(cdnow_calibration):
    published = (
        pd.read_csv(lifetimes_datasets() / "cdnow_customers_summary.csv")
        .set_index("ID")
        .sort_index()
    )
    assert (cdnow_calibration["frequency"].to_numpy() == published["frequency"].to_numpy()).all()
    assert (
        cdnow_calibration["recency"].round(2).to_numpy() == published["recency"].to_numpy()
    ).all()


def test_cdnow_bg_nbd_reproduces_fader_hardie_lee(cdnow_calibration):
    from lifetimes import BetaGeoFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BetaGeoFitter().fit(
            cdnow_calibration["frequency"], cdnow_calibration["recency"], cdnow_calibration["T"]
        )
    # Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426.
    params = model.params_
    assert params["r"] == pytest.approx(0.243, abs=0.001)
    assert params["alpha"] == pytest.approx(4.414, abs=0.001)
    assert params["a"] == pytest.approx(0.793, abs=0.001)
    assert params["b"] == pytest.approx(2.426, abs=0.001)


def test_monthly_takeaway_by_hand(tx):
    # January: 120 + 50 (A) + 200 (B) - 25 (C) + 40 (D) = 385, 4 buyers; February: 30 - 10 + 60 = 80,
    # 2 buyers (A, D). Total 465; 3 customers a month on average.
    from cvm_core.analyses.overview.slides import monthly_takeaway

    assert monthly_takeaway(monthly_activity(tx), "EUR") == (
        "€465 net revenue over 2 months; best month Jan 2023 (€385); "
        "on average 3 customers buy each month."
    )
