"""Tests for cvm_core.analyses.clv.tiers: the customer pyramid on a ten-customer fixture computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from cvm_core.analyses.clv import tiers
from cvm_core.errors import ValidationError

NAMES = ("Platinum", "Gold", "Iron", "Lead")


def ten_customers() -> pd.DataFrame:
    """Ten customers, CLV from 100 (A) down to 10 (J), listed out of order; E and F tie at 50."""
    return pd.DataFrame(
        {
            "clv": [10.0, 100.0, 80.0, 90.0, 70.0, 50.0, 50.0, 30.0, 20.0, 40.0],
            "net_revenue": [5.0, 200.0, 100.0, 150.0, 50.0, 40.0, 30.0, 20.0, 5.0, 0.0],
        },
        index=pd.Index(list("JABCDEFGHI"), name="customer_id"),
    )


def test_tiers_by_rank_hand_computed():
    frame = ten_customers()
    # Cut-offs 10% / 30% / 60% of 10 customers: ranks 0 | 1-2 | 3-5 | 6-9.
    # Ranked: A 100, C 90, B 80, D 70, E 50, F 50 (tie: E before F by index order), I 40,
    # G 30, H 20, J 10.
    result = tiers.assign_tiers(frame["clv"], (0.1, 0.3, 0.6), NAMES)
    expected = {
        "A": "Platinum", "C": "Gold", "B": "Gold", "D": "Iron", "E": "Iron", "F": "Iron",
        "I": "Lead", "G": "Lead", "H": "Lead", "J": "Lead",
    }  # fmt: skip
    assert result.astype(str).to_dict() == expected
    assert list(result.index) == list(frame.index)  # input order kept
    assert list(result.cat.categories) == list(NAMES) and result.cat.ordered


def test_default_cut_offs_round_half_up():
    values = pd.Series(np.arange(30, 0, -1, dtype=float))
    counts = tiers.assign_tiers(values).value_counts().reindex(list(NAMES))
    # 5% of 30 = 1.5 -> 2; 20% = 6; 50% = 15.
    assert counts.tolist() == [2, 4, 9, 15]


def test_missing_values_rank_last():
    values = pd.Series([np.nan, 5.0, 1.0, 3.0], index=list("abcd"))
    result = tiers.assign_tiers(values, (0.25, 0.5), ("Top", "Middle", "Bottom"))
    assert result.astype(str).to_dict() == {"a": "Bottom", "b": "Top", "c": "Bottom", "d": "Middle"}


def test_tier_summary_hand_computed():
    frame = ten_customers()
    frame["tier"] = tiers.assign_tiers(frame["clv"], (0.1, 0.3, 0.6), NAMES)
    summary = tiers.tier_summary(frame)
    # CLV: Platinum 100; Gold 90+80 = 170; Iron 70+50+50 = 170; Lead 40+30+20+10 = 100; total 540.
    # Revenue: Platinum 200; Gold 150+100 = 250; Iron 50+40+30 = 120; Lead 0+20+5+5 = 30; total 600.
    expected = pd.DataFrame(
        {
            "tier": list(NAMES),
            "customers": [1, 2, 3, 4],
            "customer_share": [0.1, 0.2, 0.3, 0.4],
            "clv": [100.0, 170.0, 170.0, 100.0],
            "clv_share": [100 / 540, 170 / 540, 170 / 540, 100 / 540],
            "avg_clv": [100.0, 85.0, 170 / 3, 25.0],
            "revenue": [200.0, 250.0, 120.0, 30.0],
            "revenue_share": [200 / 600, 250 / 600, 120 / 600, 30 / 600],
        }
    )
    pdt.assert_frame_equal(summary, expected, check_dtype=False)


def test_empty_tier_is_listed_with_zeros():
    frame = ten_customers().iloc[:3]
    frame["tier"] = tiers.assign_tiers(frame["clv"], (0.1, 0.3, 0.6), NAMES)
    summary = tiers.tier_summary(frame).set_index("tier")
    # 3 customers: bounds round(0.3)=0, round(0.9)=1, round(1.8)=2 -> Platinum is empty.
    assert summary["customers"].tolist() == [0, 1, 1, 1]
    assert summary.loc["Platinum", "avg_clv"] == 0.0


def test_shares_are_nan_when_the_total_is_not_positive():
    frame = pd.DataFrame({"clv": [0.0, 0.0], "net_revenue": [1.0, 1.0]})
    frame["tier"] = tiers.assign_tiers(frame["clv"], (0.5,), ("Top", "Rest"))
    summary = tiers.tier_summary(frame)
    assert summary["clv_share"].isna().all()
    assert summary["revenue_share"].tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    ("cutoffs", "names", "message"),
    [
        ((0.2, 0.1, 0.5), NAMES, "must be above the previous one"),
        ((0.0, 0.2, 0.5), NAMES, "between 0% and 100%"),
        ((0.2, 0.5, 1.0), NAMES, "between 0% and 100%"),
        ((0.2, 0.5), NAMES, "4 tier names need 3 cut-offs; got 2"),
        ((0.2, 0.5, 0.7), ("A", "A", "B", "C"), "must differ"),
    ],
)
def test_bad_tiers_are_refused(cutoffs, names, message):
    with pytest.raises(ValidationError, match=message):
        tiers.assign_tiers(pd.Series([1.0, 2.0]), cutoffs, names)


def test_missing_column_is_named():
    with pytest.raises(ValidationError, match="no 'tier' column"):
        tiers.tier_summary(pd.DataFrame({"clv": [1.0], "net_revenue": [1.0]}))


def test_tier_takeaway_names_the_top_tier_and_its_shares():
    table = pd.DataFrame(
        {"tier": ["Platinum", "Gold"], "customer_share": [0.05, 0.95],
         "clv_share": [0.584, 0.416], "revenue_share": [0.3949, 0.6051]}
    )  # fmt: skip
    assert tiers.tier_takeaway(table) == (
        "Platinum: 5% of customers hold 58% of future value and 39% of past revenue."
    )
