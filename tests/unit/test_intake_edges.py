"""Edges that hold (issue 16): unusual input is caught at intake with a reason a business user can
act on (rows set aside, each with its reason and row number) or a note about the whole file; it is
never silently misread. Files are built here, tiny and readable; expected values are worked out by
hand in the comments."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cvm_core.intake import validate as V
from cvm_core.intake.dataset import load_file


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
    last_ok = today + dt.timedelta(days=V.LATEST_DAYS_AHEAD)
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
    assert V.EARLIEST_DATE == pd.Timestamp("1990-01-01")


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
