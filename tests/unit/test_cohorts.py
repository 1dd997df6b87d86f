"""Cohort matrices against tables computed by hand, and against a naive per-cohort loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvm_core.analyses.retention.cohorts import (
    cohort_of,
    cohort_tables,
    last_complete_ordinal,
    period_labels,
    period_ordinals,
)
from cvm_core.errors import ValidationError
from cvm_core.intake.summary import customer_summary


def transactions(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "revenue"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["revenue"] < 0
    frame["source_row"] = np.arange(len(frame)) + 2
    return frame


# Jan cohort: A, B. Feb cohort: C, D. Mar cohort: E.
TINY = transactions(
    [
        ("A", "2024-01-05", 100.0),
        ("A", "2024-02-10", 50.0),
        ("A", "2024-03-03", 30.0),
        ("B", "2024-01-20", 200.0),
        ("B", "2024-03-15", 100.0),
        ("B", "2024-03-20", -20.0),  # a return: revenue counts, but it is no purchase
        ("C", "2024-02-02", 80.0),
        ("C", "2024-02-25", 40.0),
        ("D", "2024-02-14", 60.0),
        ("D", "2024-03-31", 60.0),
        ("E", "2024-03-10", 10.0),
    ]
)


def tables(tx: pd.DataFrame, period: str = "month", end: str | None = None):
    end_ts = pd.Timestamp(end) if end else tx["date"].max()
    return cohort_tables(tx, customer_summary(tx, "day", end_ts), period, end_ts)


def frame(values: list[list[float]], labels: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(values, index=pd.Index(labels, name="cohort"), dtype=float)
    out.columns = pd.Index(np.arange(out.shape[1]), name="age")
    return out


def test_monthly_tables_match_hand_computed_values():
    result = tables(TINY, end="2024-03-31")
    labels = ["Jan 2024", "Feb 2024", "Mar 2024"]
    nan = np.nan
    pd.testing.assert_series_equal(
        result.sizes,
        pd.Series([2, 2, 1], index=pd.Index(labels, name="cohort"), name="cohort_size"),
    )
    pd.testing.assert_frame_equal(
        result.customer_retention,
        frame([[1.0, 0.5, 1.0], [1.0, 0.5, nan], [1.0, nan, nan]], labels),
    )
    # Jan: 300 at first, then 50, then 30 + 100 - 20 = 110. Feb: 80 + 40 + 60 = 180, then 60.
    pd.testing.assert_frame_equal(
        result.net_revenue, frame([[300, 50, 110], [180, 60, nan], [10, nan, nan]], labels)
    )
    pd.testing.assert_frame_equal(
        result.revenue_retention,
        frame([[1.0, 50 / 300, 110 / 300], [1.0, 60 / 180, nan], [1.0, nan, nan]], labels),
    )
    pd.testing.assert_frame_equal(
        result.cumulative_revenue_per_customer,
        frame([[150, 175, 230], [90, 120, nan], [10, nan, nan]], labels),
    )
    assert str(result.last_complete_period) == "2024-03"


def test_incomplete_last_period_is_left_empty_not_zero():
    # March is not over on the 30th: ages reaching into it are unobserved, the March cohort only
    # gets its acquisition column, and D's purchase on the 31st is ignored.
    result = tables(TINY, end="2024-03-30")
    labels = ["Jan 2024", "Feb 2024", "Mar 2024"]
    pd.testing.assert_frame_equal(
        result.customer_retention, frame([[1.0, 0.5], [1.0, np.nan], [1.0, np.nan]], labels)
    )
    pd.testing.assert_frame_equal(
        result.net_revenue, frame([[300, 50], [180, np.nan], [10, np.nan]], labels)
    )
    assert result.last_complete_label == "Feb 2024"


def test_to_long_has_one_row_per_observed_cell():
    long = tables(TINY, end="2024-03-31").to_long()
    assert len(long) == 3 + 2 + 1
    jan_2 = long[(long["cohort"] == "Jan 2024") & (long["age"] == 2)].iloc[0]
    assert jan_2["cohort_size"] == 2
    assert jan_2["active_customers"] == 2
    assert jan_2["revenue_retention"] == pytest.approx(110 / 300)
    recent = tables(TINY, end="2024-03-31").to_long(max_cohorts=1)
    assert list(recent["cohort"]) == ["Mar 2024"]


def test_quarter_and_week_periods():
    quarterly = tables(
        transactions(
            [("A", "2024-01-05", 10.0), ("A", "2024-04-02", 5.0), ("B", "2024-05-01", 20.0)]
        ),
        "quarter",
        "2024-06-30",
    )
    assert list(quarterly.sizes.index) == ["2024 Q1", "2024 Q2"]
    assert quarterly.customer_retention.to_numpy().tolist()[0] == [1.0, 1.0]
    # Weeks run Monday to Sunday: Sunday 7 Jan and Monday 8 Jan 2024 are in different weeks.
    days = np.array(["2024-01-07", "2024-01-08", "2024-01-14"], dtype="datetime64[D]")
    weeks = period_ordinals(days, "week")
    assert weeks[1] == weeks[0] + 1
    assert weeks[2] == weeks[1]
    weekly = tables(
        transactions(
            [("A", "2024-01-07", 1.0), ("B", "2024-01-08", 1.0), ("A", "2024-01-09", 1.0)]
        ),
        "week",
        "2024-01-14",
    )
    assert list(weekly.sizes.index) == ["wk 01 Jan 2024", "wk 08 Jan 2024"]
    assert weekly.customer_retention.iloc[0].tolist() == [1.0, 1.0]


def test_last_complete_period():
    assert (
        last_complete_ordinal(pd.Timestamp("2024-03-31"), "month")
        == period_ordinals(np.array(["2024-03-01"], dtype="datetime64[D]"), "month")[0]
    )
    assert (
        last_complete_ordinal(pd.Timestamp("2024-03-30"), "month")
        == period_ordinals(np.array(["2024-02-01"], dtype="datetime64[D]"), "month")[0]
    )
    assert period_labels(pd.PeriodIndex(["2024Q3"], freq="Q"), "quarter") == ["2024 Q3"]


def test_a_single_cohort_gets_a_clear_message():
    tx = transactions(
        [("A", "2024-01-05", 10.0), ("B", "2024-01-20", 10.0), ("A", "2024-03-02", 5.0)]
    )
    with pytest.raises(ValidationError, match="only one cohort"):
        tables(tx, "month", "2024-03-31")


def test_less_than_two_periods_gets_a_clear_message():
    tx = transactions([("A", "2024-01-05", 10.0), ("B", "2024-01-20", 10.0)])
    with pytest.raises(ValidationError, match="less than two complete months"):
        tables(tx, "month", "2024-01-31")
    with pytest.raises(ValidationError, match="Unknown cohort period"):
        tables(tx, "year", "2024-01-31")


def naive_customer_retention(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The obvious way: loop over cohorts, count distinct buyers per month since acquisition."""
    tx = tx[tx["date"] <= end]
    purchases = tx[~tx["is_return"]]
    first = purchases.groupby("customer_id")["date"].min().dt.to_period("M")
    last_complete = (end + pd.Timedelta(days=1)).to_period("M") - 1
    rows = {}
    for cohort, members in first.groupby(first):
        bought = purchases[purchases["customer_id"].isin(members.index)]
        months = bought["date"].dt.to_period("M")
        ages = (months - cohort).apply(lambda offset: offset.n)
        active = bought.groupby(ages)["customer_id"].nunique()
        n_ages = (last_complete - first.min()).n + 1
        row = [
            active.get(a, 0) / len(members) if cohort + a <= last_complete or a == 0 else np.nan
            for a in range(n_ages)
        ]
        rows[cohort.strftime("%b %Y")] = row
    return pd.DataFrame(rows).T


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ABCDEFG"), st.integers(0, 150), st.floats(-50, 200)),
        min_size=2,
        max_size=40,
    ),
    st.integers(0, 30),
)
def test_vectorised_matrix_equals_naive_loop(rows, extra_days):
    base = pd.Timestamp("2024-01-01")
    tx = transactions([(c, base + pd.Timedelta(days=d), round(v, 2)) for c, d, v in rows])
    end = tx["date"].max() + pd.Timedelta(days=extra_days)
    summary = customer_summary(tx, "day", end)
    try:
        result = cohort_tables(tx, summary, "month", end)
    except ValidationError:
        return  # too short or one cohort: covered by the message tests
    expected = naive_customer_retention(tx, end)
    got = result.customer_retention
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(dtype=float), equal_nan=True)
    assert (got[0] == 1.0).all()


def test_coarser_cohorts_merge_by_quarter_weighted_by_size():
    from cvm_core.analyses.retention.cohorts import coarser_cohorts

    long = pd.DataFrame(
        {
            "cohort": ["Jan 2024", "Jan 2024", "Feb 2024", "Feb 2024", "Apr 2024"],
            "cohort_start": pd.to_datetime(
                ["2024-01-01"] * 2 + ["2024-02-01"] * 2 + ["2024-04-01"]
            ),
            "age": [0, 1, 0, 1, 0],
            "cohort_size": [10, 10, 30, 30, 5],
            "active_customers": [10, 5, 30, 3, 5],
        }
    )
    out = coarser_cohorts(long)
    assert out["cohort"].tolist() == ["2024 Q1", "2024 Q1", "2024 Q2"]
    assert out["cohort_size"].tolist() == [40, 40, 5]
    # month 1 of Q1: (5 + 3) / (10 + 30) = 20%, not the mean of 50% and 10%
    assert out["customer_retention"].tolist() == [1.0, 0.2, 1.0]
    # more quarters than rows: merged by year
    years = coarser_cohorts(long, max_rows=1)
    assert years["cohort"].unique().tolist() == ["2024"]


def test_cohort_of_labels_customers_as_the_tables_label_their_rows():
    first = pd.Series(
        pd.to_datetime(["2024-01-31", "2024-02-01", "2024-03-31", None]), index=list("abcd")
    )
    assert cohort_of(first, "month").tolist() == ["Jan 2024", "Feb 2024", "Mar 2024", None]
    assert cohort_of(first, "quarter").tolist() == ["2024 Q1", "2024 Q1", "2024 Q1", None]
    # 2024-01-31 is a Wednesday: the week of Monday 29 Jan
    assert cohort_of(first, "week").iloc[0] == "wk 29 Jan 2024"
