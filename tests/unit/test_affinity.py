"""Tests for cvm_core.analyses.segments.affinity: category co-purchase support, confidence, lift and next-best offers.

The tiny fixture (six customers, three categories) is worked out by hand:

    c1: A, B        c2: A, B, C     c3: A (plus a line with no category)
    c4: B, C        c5: C           c6: only a return in A -> bought nothing

Customers who bought something: n = 5. Buyers: A = {c1, c2, c3} = 3, B = {c1, c2, c4} = 3,
C = {c2, c4, c5} = 3. Both: AB = {c1, c2} = 2, AC = {c2} = 1, BC = {c2, c4} = 2.
support(A, B) = 2/5; confidence(A -> B) = 2/3; lift(A, B) = 2 * 5 / (3 * 3) = 10/9;
lift(A, C) = 1 * 5 / 9 = 5/9; lift(B, C) = 10/9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from cvm_core.analyses.segments import affinity
from cvm_core.errors import ValidationError


@pytest.fixture
def tiny() -> pd.DataFrame:
    rows = [
        ("c1", "A", False), ("c1", "B", False), ("c2", "A", False), ("c2", "B", False),
        ("c2", "C", False), ("c3", "A", False), ("c3", None, False), ("c4", "B", False),
        ("c4", "C", False), ("c4", "C", False), ("c5", "C", False), ("c6", "A", True),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["customer_id", "category", "is_return"])


@pytest.fixture
def baskets(tiny) -> affinity.CategoryBaskets:
    return affinity.category_baskets(tiny)


def test_customer_matrix_marks_any_purchase_line_and_ignores_returns(baskets):
    expected = pd.DataFrame(
        {
            "A": [True, True, True, False, False, False],
            "B": [True, True, False, True, False, False],
            "C": [False, True, False, True, True, False],
        },
        index=pd.Index(["c1", "c2", "c3", "c4", "c5", "c6"], name="customer_id"),
    )
    expected.columns = pd.Index(["A", "B", "C"], name="category")
    pdt.assert_frame_equal(baskets.customer_matrix(), expected)


def test_pair_metrics_match_the_hand_computation(baskets):
    pairs = affinity.pair_affinity(baskets, min_customers=1).set_index(["antecedent", "consequent"])
    assert len(pairs) == 6
    ab = pairs.loc[("A", "B")]
    assert ab["customers_both"] == 2
    assert ab["antecedent_customers"] == 3 and ab["consequent_customers"] == 3
    assert ab["support"] == pytest.approx(2 / 5)
    assert ab["confidence"] == pytest.approx(2 / 3)
    assert ab["lift"] == pytest.approx(10 / 9)
    assert pairs.loc[("A", "C"), "lift"] == pytest.approx(5 / 9)
    assert pairs.loc[("C", "A"), "confidence"] == pytest.approx(1 / 3)
    assert pairs.loc[("B", "C"), "lift"] == pytest.approx(10 / 9)


def test_pairs_are_sorted_by_lift_and_filtered_by_min_customers(baskets):
    pairs = affinity.pair_affinity(baskets, min_customers=2)
    assert list(zip(pairs["antecedent"], pairs["consequent"], strict=True)) == [
        ("A", "B"), ("B", "A"), ("B", "C"), ("C", "B"),
    ]  # fmt: skip
    assert affinity.pair_affinity(baskets, min_customers=3).empty


def test_pairs_within_a_segment_use_that_segment_as_the_base(baskets):
    # Segment {c1, c2, c4}: n = 3, A = 2, B = 3, C = 2, AB = 2, BC = 2, AC = 1.
    mask = baskets.customers.isin(["c1", "c2", "c4"])
    pairs = affinity.pair_affinity(baskets, mask, min_customers=1).set_index(
        ["antecedent", "consequent"]
    )
    assert pairs.loc[("A", "B"), "lift"] == pytest.approx(2 * 3 / (2 * 3))
    assert pairs.loc[("A", "C"), "lift"] == pytest.approx(1 * 3 / (2 * 2))
    assert pairs.loc[("C", "B"), "confidence"] == pytest.approx(1.0)
    assert pairs.loc[("A", "B"), "support"] == pytest.approx(2 / 3)


def test_top_pairs_lists_each_pair_once(baskets):
    top = affinity.top_pairs(affinity.pair_affinity(baskets, min_customers=1), 10)
    assert len(top) == 3
    assert set(map(frozenset, zip(top["antecedent"], top["consequent"], strict=True))) == {
        frozenset("AB"), frozenset("BC"), frozenset("AC"),
    }  # fmt: skip
    assert list(top["lift"]) == pytest.approx([10 / 9, 10 / 9, 5 / 9])


def test_categories_per_customer(baskets):
    dist = affinity.categories_per_customer(baskets)
    assert list(dist["categories"]) == [0, 1, 2, 3]
    assert list(dist["customers"]) == [1, 2, 2, 1]  # c6; c3, c5; c1, c4; c2
    assert list(dist["share"]) == pytest.approx([1 / 6, 2 / 6, 2 / 6, 1 / 6])


def test_next_best_category_is_the_highest_lift_category_not_yet_bought(baskets):
    best = affinity.next_best_categories(baskets, min_customers=1)
    # c1 {A,B}: only C is left; max(lift AC 5/9, lift BC 10/9) = 10/9, through B.
    # c3 {A}: B (10/9) beats C (5/9). c4 {B,C}: A through B (10/9). c5 {C}: B (10/9); A has 5/9.
    # c2 bought everything; c6 bought nothing.
    assert best["next_best_category"].to_dict() == {
        "c1": "C", "c2": None, "c3": "B", "c4": "A", "c5": "B", "c6": None,
    }  # fmt: skip
    assert best.loc["c1", "because_bought"] == "B"
    assert best.loc["c5", "because_bought"] == "C"
    assert best.loc["c3", "lift"] == pytest.approx(10 / 9)
    assert best.loc["c4", "confidence"] == pytest.approx(2 / 3)  # B -> A
    assert best.loc[["c2", "c6"], "lift"].isna().all()


def test_next_best_needs_a_lift_above_the_threshold(baskets):
    best = affinity.next_best_categories(baskets, min_customers=1, min_lift=1.2)
    assert best["next_best_category"].isna().all()


def test_no_category_column_says_so():
    tx = pd.DataFrame({"customer_id": ["a"], "is_return": [False]})
    with pytest.raises(ValidationError, match="no product category"):
        affinity.category_baskets(tx)
    with pytest.raises(ValidationError, match="no product category"):
        affinity.category_baskets(tx.assign(category=[None]))


def test_one_category_only_gives_no_pairs_and_no_recommendations():
    tx = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "category": ["X"] * 3, "is_return": [False] * 3}
    )
    baskets = affinity.category_baskets(tx)
    assert affinity.pair_affinity(baskets, min_customers=1).empty
    assert (
        affinity.next_best_categories(baskets, min_customers=1)["next_best_category"].isna().all()
    )
    assert list(affinity.categories_per_customer(baskets)["customers"]) == [0, 3]


def _random_lines(n_customers: int, n_categories: int, n_lines: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in rng.integers(0, n_customers, n_lines)],
            "category": [f"k{j:02d}" for j in rng.zipf(1.6, n_lines) % n_categories],
            "is_return": rng.random(n_lines) < 0.05,
        }
    )


@pytest.mark.parametrize("dense", [True, False])  # filled directly, or from distinct pairs
@pytest.mark.parametrize("n_categories", [6, 30, 70])  # counted rows, one 64-bit word, two
def test_matrix_and_lift_agree_with_a_plain_pandas_computation(n_categories, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(affinity, "_DENSE_CELLS", 0)
    tx = _random_lines(300, n_categories, 3000, seed=n_categories)
    baskets = affinity.category_baskets(tx)
    bought = (
        pd.crosstab(tx.loc[~tx["is_return"], "customer_id"], tx.loc[~tx["is_return"], "category"])
        > 0
    )
    matrix = baskets.customer_matrix()
    expected = bought.reindex(index=matrix.index, columns=matrix.columns, fill_value=False)
    pdt.assert_frame_equal(matrix, expected, check_names=False)
    active = expected[expected.any(axis=1)]
    n = len(active)
    pairs = affinity.pair_affinity(baskets, min_customers=3)
    for row in pairs.head(20).itertuples():
        a, b = active[row.antecedent], active[row.consequent]
        assert row.customers_both == (a & b).sum()
        assert row.lift == pytest.approx((a & b).sum() * n / (a.sum() * b.sum()))


@pytest.mark.parametrize("dense", [True, False])
def test_too_many_categories_keeps_the_most_bought(dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(affinity, "_DENSE_CELLS", 0)
    tx = _random_lines(200, 30, 2000, seed=3)
    baskets = affinity.category_baskets(tx, max_categories=5)
    buyers = tx[~tx["is_return"]].groupby("category")["customer_id"].nunique()
    top = buyers.sort_values(ascending=False, kind="stable").index[:5]
    assert set(baskets.categories) == set(top)
    assert baskets.dropped_categories == tx["category"].nunique() - 5


def test_recommendation_counts(baskets):
    counts = affinity.recommendation_counts(affinity.next_best_categories(baskets, min_customers=1))
    assert counts.set_index("category")["customers"].to_dict() == {
        "B": 2,
        "(none)": 2,
        "C": 1,
        "A": 1,
    }
    assert counts["share"].sum() == pytest.approx(1.0)


def test_next_best_needs_enough_confidence(baskets):
    # Every usable rule in the fixture has confidence 2/3 (A -> B, B -> C, C -> B, B -> A, ...).
    kept = affinity.next_best_categories(baskets, min_customers=1, min_confidence=2 / 3)
    assert kept["next_best_category"].notna().sum() == 4
    none = affinity.next_best_categories(baskets, min_customers=1, min_confidence=0.7)
    assert none["next_best_category"].isna().all()


def test_a_rare_category_of_heavy_buyers_does_not_win_everywhere():
    # 20 customers buy A only, 20 buy A and B, 2 heavy buyers buy A, B and R.
    # n = 42; lift(B, R) = 2 * 42 / (22 * 2) = 1.91 but confidence(B -> R) = 2/22 = 9%;
    # lift(A, B) = 22 * 42 / (42 * 22) = 1 (not above 1). So A-only buyers get no offer and
    # A+B buyers are not all sent R.
    rows = [(f"a{i}", "A") for i in range(20)]
    rows += [(f"b{i}", c) for i in range(20) for c in "AB"]
    rows += [(f"h{i}", c) for i in range(2) for c in "ABR"]
    tx = pd.DataFrame(rows, columns=["customer_id", "category"]).assign(is_return=False)
    baskets = affinity.category_baskets(tx)
    without = affinity.next_best_categories(baskets, min_customers=2, min_confidence=0.0)
    assert (without.loc[[f"b{i}" for i in range(20)], "next_best_category"] == "R").all()
    assert without.loc["b0", "lift"] == pytest.approx(2 * 42 / (22 * 2))
    default = affinity.next_best_categories(baskets, min_customers=2)
    assert default["next_best_category"].isna().all()


def test_takeaways_say_what_the_tiny_fixture_shows(baskets):
    pairs = affinity.pair_affinity(baskets, min_customers=1)
    assert affinity.lift_takeaway(pairs) == (
        "Buyers of A are 1.11x as likely as the average customer to also buy B (67% of them do)."
    )
    # Buyers: 2 bought one category, 2 bought two, 1 bought three: mean 9 / 5 = 1.8.
    assert affinity.categories_takeaway(affinity.categories_per_customer(baskets)) == (
        "Customers bought from 1.8 categories on average; 40% bought from only one, the first "
        "cross-sell target."
    )
    counts = affinity.recommendation_counts(affinity.next_best_categories(baskets, min_customers=1))
    assert affinity.next_best_takeaway(counts) == (
        "B is the next-best offer for 2 customers (33%); 2 have no offer that qualifies."
    )
    assert "No category pair" in affinity.lift_takeaway(pairs.head(0))
