"""Traits of valuable customers: a planted trait is found, with its lift, and checked out of sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.prospects import features as feats
from cvm_core.analyses.prospects.traits import find_traits, lift_table
from cvm_core.errors import ValidationError


def planted(n: int = 4000, seed: int = 1) -> tuple[pd.DataFrame, pd.Series, float]:
    """Customers whose chance of being top tier is 4x as high with Field sales in Hotels.

    Returns the attributes, the top-tier flag and the planted lift (rate in the cell over the
    overall rate, both as drawn).
    """
    rng = np.random.default_rng(seed)
    index = pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id")
    channel = rng.choice(["Field sales", "Online", "Referral", "Trade fair"], n)
    industry = rng.choice(["Hotels", "Office", "Retail", "Private"], n)
    region = rng.choice(["North", "South", "East"], n)
    cell = (channel == "Field sales") & (industry == "Hotels")
    p = np.where(cell, 0.40, 0.06)
    top = rng.random(n) < p
    frame = pd.DataFrame(
        {"acquisition_channel": channel, "industry": industry, "region": region}, index=index
    )
    lift = top[cell].mean() / top.mean()
    return frame, pd.Series(top, index=index), float(lift)


def test_the_planted_trait_is_found_with_its_lift():
    frame, top, planted_lift = planted()
    traits = find_traits(frame, top, "Platinum")
    best = traits.rules.iloc[0]
    # Exactly the planted cell: the noise splits below it (on Region) are pruned away.
    assert best["rule"] == "Acquisition channel = Field sales and Industry = Hotels"
    assert best["lift"] == pytest.approx(planted_lift, rel=0.05)
    # Out of sample: the cell is 1/16 of customers, so the top decile holds most of it.
    assert traits.auc > 0.58  # only 1 customer in 16 is in the cell
    assert traits.top_decile_lift > 2.5
    sentence = traits.sentences()[0]
    assert sentence.startswith(
        "Customers with Acquisition channel = Field sales and Industry = Hotels"
    )
    assert f"are {best['lift']:.1f}x as likely to be Platinum" in sentence
    # Region was planted with nothing: it does not separate anything.
    assert traits.importance.get("Region", 0.0) < 0.05
    assert set(traits.importance.index[:2]) == {"Acquisition channel", "Industry"}


def test_single_attribute_lifts_are_counted_exactly():
    frame = pd.DataFrame({"industry": ["A"] * 10 + ["B"] * 30})
    y = np.array([True] * 5 + [False] * 5 + [True] * 5 + [False] * 25)
    from cvm_core.analyses.prospects.traits import attribute_lifts

    table = attribute_lifts(frame, y).set_index("value")
    assert table.loc["A", "top"] == 5 and table.loc["A", "customers"] == 10
    assert table.loc["A", "lift"] == pytest.approx(0.5 / 0.25)
    assert table.loc["B", "lift"] == pytest.approx((5 / 30) / 0.25)


def test_lift_table_splits_ties_evenly():
    # Two scores: 20 customers at 0.9 (10 top), 80 at 0.1 (10 top). The first decile is half of
    # the tied block: 5 top of 10, against 20% overall -> lift 2.5.
    score = np.r_[np.full(20, 0.9), np.full(80, 0.1)]
    y = np.r_[np.arange(20) < 10, np.arange(80) < 10]
    table = lift_table(score, y)
    assert table["top"].iloc[0] == pytest.approx(5.0)
    assert table["cumulative_lift"].iloc[0] == pytest.approx(2.5)
    assert table["captured"].iloc[-1] == pytest.approx(1.0)
    assert table["top"].sum() == pytest.approx(20.0)


def test_too_few_top_customers_is_a_clear_error():
    frame, top, _ = planted(200)
    with pytest.raises(ValidationError, match="too few to tell"):
        find_traits(frame, top & (np.arange(200) < 30), "Platinum")
    with pytest.raises(ValidationError, match="no customer attributes"):
        find_traits(frame[[]], top, "Platinum")


def test_first_purchase_features_and_quartiles():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-05", "2024-01-09"]
            ),
            "revenue": [10.0, 30.0, 500.0, 7.0, 1.0],
            "category": ["Tea", "Coffee", "Machines", "Tea", "Coffee"],
            "channel": ["Online", "Online", "Store", "Phone", "Online"],
        }
    )
    out = feats.first_purchase(tx, pd.Index(["a", "b", "c"]))
    assert out.loc["a", "first_category"] == "Coffee"
    assert out.loc["b", "first_channel"] == "Phone"
    assert out.loc["c", "first_category"] == feats.NOT_RECORDED
    assert out.loc["c", "first_order_value"] == feats.NOT_RECORDED
    labels = feats.quartiles(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8]))
    assert labels.iloc[0].startswith("under") and labels.iloc[-1].endswith("and more")
