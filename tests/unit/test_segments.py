"""Tests for cvm_core.analyses.segments.rfm: RFM scores and segments, clusters and their names, contribution.

The five-customer fixture, observation end 2024-01-31 (no order column, so orders = purchase days):

    customer  purchases                                  recency  orders  net revenue
    A         2024-01-10 300, 01-20 200, 01-30 100          1       3        600
    B         2023-12-01 50, 2024-01-25 50                  6       2        100
    C         2023-11-01 1000                               91      1       1000
    D         2023-06-01, 07-01, 08-01, 09-01 at 20         152      4         80
    E         2023-01-31 30, return of 40 on 2023-02-15     365      1        -10

With five customers the rank p (0 = worst) gets score (2p + 1) * 5 // 10 + 1 = p + 1:
R (most recent best): E 1, D 2, C 3, B 4, A 5.
F: C and E both bought once; E spent less, so E 1, C 2, then B 3, A 4, D 5.
M: E 1, D 2, B 3, A 4, C 5.
FM = ceil((F + M) / 2): A 4, B 3, C 4, D 4, E 1.
Segments from the default grid: A (5, 4) Champions, B (4, 3) Potential loyalists, C (3, 4) Loyal,
D (2, 4) At risk, E (1, 1) Lost.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from sklearn.metrics import silhouette_score

from cvm_core.__main__ import main
from cvm_core.analyses.segments import analysis as segments_analysis
from cvm_core.analyses.segments import campaigns, defaults, takeaways
from cvm_core.analyses.segments import clustering as segments_clustering
from cvm_core.analyses.segments import contribution as segments_contribution
from cvm_core.analyses.segments import rfm as segments
from cvm_core.errors import ModelError, ValidationError
from cvm_core.intake.summary import customer_summary

END = pd.Timestamp("2024-01-31")


def _transactions(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "revenue"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["revenue"] < 0
    return frame


@pytest.fixture
def five() -> pd.DataFrame:
    return _transactions(
        [
            ("A", "2024-01-10", 300.0), ("A", "2024-01-20", 200.0), ("A", "2024-01-30", 100.0),
            ("B", "2023-12-01", 50.0), ("B", "2024-01-25", 50.0),
            ("C", "2023-11-01", 1000.0),
            ("D", "2023-06-01", 20.0), ("D", "2023-07-01", 20.0), ("D", "2023-08-01", 20.0),
            ("D", "2023-09-01", 20.0),
            ("E", "2023-01-31", 30.0), ("E", "2023-02-15", -40.0),
        ]
    )  # fmt: skip


# --- quantile scores --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        (7, [1, 2, 2, 3, 4, 4, 5]),
        (4, [1, 2, 4, 5]),
        (3, [1, 3, 5]),
        (2, [2, 4]),
        (1, [3]),
    ],
)
def test_scores_are_balanced_quintiles_of_rank(n, expected):
    values = np.arange(n)[::-1]  # descending input: scores follow the values, not the positions
    assert list(segments.quantile_scores([values])) == expected[::-1]


def test_ties_are_broken_by_the_next_key_so_scores_stay_balanced():
    # Six of ten customers bought once; spend decides who among them scores higher.
    orders = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])
    spend = np.array([60, 10, 50, 20, 40, 30, 5, 5, 5, 5])
    scores = segments.quantile_scores([orders, spend])
    assert list(scores) == [3, 1, 3, 1, 2, 2, 4, 4, 5, 5]
    assert np.bincount(scores)[1:].tolist() == [2, 2, 2, 2, 2]


@pytest.mark.parametrize("seed", range(5))
def test_fast_ordering_is_exactly_lexsort(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    days = rng.integers(-50, 400, n)  # ties, negatives
    orders = rng.geometric(0.5, n)
    money = np.round(rng.normal(100, 80, n), 0)  # float with ties
    huge = rng.integers(0, 2**40, n)  # too wide to shift: ranked instead
    wide = rng.integers(0, 2**22 - 1, n)  # shifted; three of them overflow 62 bits -> lexsort
    wide[:2] = [0, 2**22 - 2]
    for keys in ([days, orders, money], [money, orders, days], [huge, huge[::-1], days],
                 [wide, wide[::-1], wide]):  # fmt: skip
        expected = np.lexsort(list(reversed(keys)))
        np.testing.assert_array_equal(segments._sort_order(keys), expected)


def test_equal_order_counts_share_an_f_score():
    # Six of ten bought once: all score 1 (rank 0); 2 orders at rank 6 -> 13 * 5 // 20 + 1 = 4,
    # 3 at rank 7 -> 4, 4 at rank 8 -> 5, 5 at rank 9 -> 5. Score 2 and 3 stay empty.
    orders = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])[::-1]
    assert list(segments.tied_quantile_scores(orders)) == [5, 5, 4, 4, 1, 1, 1, 1, 1, 1]
    # Without ties it is the balanced rank score.
    assert list(segments.tied_quantile_scores(np.arange(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(segments.tied_quantile_scores(np.array([7, 7, 7]))) == [3, 3, 3]


def test_everyone_equal_gets_the_middle_score():
    assert list(segments.quantile_scores([np.array([4, 4, 4, 4, 4, 4])])) == [3] * 6


# --- RFM --------------------------------------------------------------------------------------


def test_rfm_scores_match_the_hand_computation(five):
    rfm = segments.rfm_scores(customer_summary(five, "day", END), END)
    t = rfm.table
    assert t["recency_days"].to_dict() == {"A": 1, "B": 6, "C": 91, "D": 152, "E": 365}
    assert t["frequency"].to_dict() == {"A": 3, "B": 2, "C": 1, "D": 4, "E": 1}
    assert t["monetary"].to_dict() == {"A": 600.0, "B": 100.0, "C": 1000.0, "D": 80.0, "E": -10.0}
    assert t["r_score"].to_dict() == {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1}
    # F: C and E bought once and share the score of rank 0, 1; B (rank 2 of 5) 5*5//10+1 = 3.
    assert t["f_score"].to_dict() == {"A": 4, "B": 3, "C": 1, "D": 5, "E": 1}
    assert t["m_score"].to_dict() == {"A": 4, "B": 3, "C": 5, "D": 2, "E": 1}
    assert t["fm_score"].to_dict() == {"A": 4, "B": 3, "C": 3, "D": 4, "E": 1}
    assert t["rfm_code"].to_dict() == {"A": "544", "B": "433", "C": "315", "D": "252", "E": "111"}
    assert t["rfm_segment"].astype(str).to_dict() == {
        "A": "Champions", "B": "Potential loyalists", "C": "Need attention", "D": "At risk",
        "E": "Lost",
    }  # fmt: skip
    assert list(t["rfm_segment"].cat.categories) == list(segments.RFM_SEGMENT_ORDER)


def test_rfm_notes_explain_ties_and_returns(five):
    notes = segments.rfm_scores(customer_summary(five, "day", END), END).notes
    assert any(
        n.startswith("Only 4 of the 5 F scores are used (1, 3, 4, 5)")
        and "40% of customers have the lowest (1), so they all get F = 1" in n
        for n in notes
    )
    assert any(n.startswith("1 customer returned as much as they bought or more") for n in notes)
    assert not any("only returned goods" in n for n in notes)


def test_a_customer_with_only_returns_is_scored_last_on_f_and_m_and_explained(five):
    # F only returned 25 on 2023-12-01: recency 61, orders 0, net revenue -25. Six customers:
    # rank p scores (2p + 1) * 5 // 12 + 1 = 1, 2, 3, 3, 4, 5.
    # R: E 365, D 152, C 91, F 61, B 6, A 1 -> E 1, D 2, C 3, F 3, B 4, A 5.
    # F: F 0, then E and C (1 order each: both take rank 1's score), B 2, A 3, D 4
    #    -> F 1, E 2, C 2, B 3, A 4, D 5.
    # M: F -25, E -10, D 80, B 100, A 600, C 1000 -> F 1, E 2, D 3, B 3, A 4, C 5.
    tx = pd.concat([five, _transactions([("F", "2023-12-01", -25.0)])], ignore_index=True)
    rfm = segments.rfm_scores(customer_summary(tx, "day", END), END)
    t = rfm.table
    assert t["rfm_code"].to_dict() == {
        "A": "544", "B": "433", "C": "325", "D": "253", "E": "122", "F": "311",
    }  # fmt: skip
    assert t.loc["F", "fm_score"] == 1 and t.loc["F", "rfm_segment"] == "About to sleep"
    assert any(n.startswith("1 customer only returned goods in this period") for n in rfm.notes)


def test_only_returns_in_the_data_is_a_clear_error():
    tx = _transactions([("a", "2024-01-02", -10.0), ("b", "2024-01-03", -5.0)])
    with pytest.raises(ValidationError, match="Every transaction up to the observation end"):
        segments.rfm_scores(customer_summary(tx, "day", END), END)


def test_an_edited_segment_map_is_read_back_and_checked():
    frame = segments.segment_grid_frame()
    frame.iloc[0, 0] = "  Fresh  "  # R = 5, FM = 1
    grid = segments.grid_from_frame(frame)
    assert grid[5][0] == "Fresh" and grid[1] == defaults.RFM_SEGMENT_GRID[1]
    frame.iloc[2, 3] = " "
    with pytest.raises(ValidationError, match="no segment name for R = 3, FM = 4"):
        segments.grid_from_frame(frame)
    with pytest.raises(ValidationError, match="5 rows"):
        segments.grid_from_frame(frame.iloc[:4])


def test_the_analysis_uses_the_chosen_segment_map(five):
    # Everyone with R >= 4 is "Active", the rest "Dormant": A (R 5) and B (R 4) are active.
    grid = tuple(("Active",) * 5 if r >= 4 else ("Dormant",) * 5 for r in range(1, 6))
    settings = segments_analysis.SegmentSettings(grid=grid)
    result = segments_analysis.analyse_segments(
        customer_summary(five, "day", END), five, settings=settings
    )
    table = result.contribution["RFM segment"].set_index("segment")
    assert table["customers"].to_dict() == {"Active": 2, "Dormant": 3}
    assert table.loc["Active", "revenue_share"] == pytest.approx(700 / 1770)


def test_takeaways_are_computed_from_the_data(five):
    summary = customer_summary(five, "day", END)
    table = segments_contribution.segment_contribution(
        summary, segments.rfm_scores(summary, END).table["rfm_segment"]
    )
    # Need attention is C alone: 1 of 5 customers, 1000 of 1770 net revenue = 56.5%.
    assert takeaways.contribution_takeaway(table, "RFM segment") == (
        "RFM segment 'Need attention': 20% of customers bring 56% of net revenue."
    )
    negative = table.assign(revenue_share=np.nan)
    assert "zero or negative in total" in takeaways.contribution_takeaway(negative, "region")
    model = segments_clustering.CustomerClusters(n_clusters=4, random_state=0).fit(_three_groups())
    best = model.silhouette_.idxmax()
    assert takeaways.silhouette_takeaway(model).startswith(
        f"You chose 4 clusters; {best} would separate customers best (silhouette "
        f"{model.silhouette_[best]:.2f} against {model.silhouette_[4]:.2f})"
    )


def test_segment_map_is_a_parameter(five):
    everyone_vip = {r: ("VIP",) * 5 for r in range(1, 6)}
    rfm = segments.rfm_scores(customer_summary(five, "day", END), END, grid=everyone_vip)
    assert set(rfm.table["rfm_segment"].astype(str)) == {"VIP"}
    with pytest.raises(ValidationError, match="every R score"):
        segments.rfm_scores(customer_summary(five, "day", END), END, grid={5: ("x",) * 5})


def test_default_map_names_all_eleven_segments_and_fills_every_cell():
    grid = segments.segment_grid_frame()
    assert grid.shape == (5, 5)
    assert set(grid.to_numpy().ravel()) == set(segments.RFM_SEGMENT_ORDER)
    assert grid.loc["R = 5", "FM = 5"] == "Champions"
    assert grid.loc["R = 1", "FM = 1"] == "Lost"
    assert grid.loc["R = 1", "FM = 5"] == "Can't lose them"
    assert set(defaults.RFM_SEGMENT_DESCRIPTIONS) == set(segments.RFM_SEGMENT_ORDER)


def test_a_single_customer_is_scored_and_explained():
    tx = _transactions([("solo", "2024-01-02", 10.0)])
    rfm = segments.rfm_scores(customer_summary(tx, "day", END), END)
    assert rfm.table.loc["solo", "rfm_code"] == "333"
    assert rfm.table.loc["solo", "rfm_segment"] == "Need attention"
    assert any("Only 1 customer" in n for n in rfm.notes)


def test_one_identical_dimension_gives_everyone_the_middle_score():
    tx = _transactions([(f"c{i}", f"2024-01-{i + 1:02d}", 10.0 * (i + 1)) for i in range(6)])
    rfm = segments.rfm_scores(customer_summary(tx, "day", END), END)
    assert set(rfm.table["f_score"]) == {3}
    # Six customers: rank p scores (2p + 1) * 5 // 12 + 1.
    assert list(rfm.table["m_score"]) == [1, 2, 3, 3, 4, 5]
    assert any("All customers have the same orders (1)" in n and "F = 3" in n for n in rfm.notes)


def test_frequency_can_be_purchase_days_and_is_checked(five):
    summary = customer_summary(five, "day", END)
    rfm = segments.rfm_scores(summary, END, frequency="purchase_days")
    assert rfm.table["frequency"].to_dict() == summary["purchase_days"].to_dict()
    with pytest.raises(ValidationError, match="Frequency must be one of"):
        segments.rfm_scores(summary, END, frequency="visits")


def test_grid_cells_count_customers_per_cell(five):
    cells = segments.grid_cells(segments.rfm_scores(customer_summary(five, "day", END), END))
    assert len(cells) == 25
    assert cells["customers"].sum() == 5
    champions = cells[(cells["r_score"] == 5) & (cells["fm_score"] == 4)].iloc[0]
    assert champions["segment"] == "Champions" and champions["customers"] == 1


# --- clustering -------------------------------------------------------------------------------


def test_silhouette_matches_scikit_learn():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 3))
    labels = {2: (z[:, 0] > 0).astype(int), 3: np.digitize(z[:, 1], [-0.5, 0.5])}
    ours = segments_clustering.silhouette_by_k(z, labels)
    for k, lab in labels.items():
        assert ours[k] == pytest.approx(silhouette_score(z, lab), abs=1e-10)


def _three_groups(seed: int = 0, n: int = 60) -> pd.DataFrame:
    """Frequent big spenders who bought last week, occasional mid spenders, lapsed one-off buyers."""
    rng = np.random.default_rng(seed)
    groups = [
        (5, 20, 5000),  # days since last purchase, orders, net revenue
        (200, 4, 600),
        (700, 1, 40),
    ]
    parts = []
    for g, (days, orders, money) in enumerate(groups):
        parts.append(
            pd.DataFrame(
                {
                    "recency_days": np.maximum(days * rng.lognormal(0, 0.15, n), 0).round(),
                    "frequency": np.maximum(np.round(orders * rng.lognormal(0, 0.1, n)), 1)
                    if g < 2
                    else 1,
                    "monetary": money * rng.lognormal(0, 0.2, n),
                },
                index=[f"g{g}-{i:03d}" for i in range(n)],
            )
        )
    return pd.concat(parts)


def test_clusters_are_named_by_profile_and_sorted_by_value():
    model = segments_clustering.CustomerClusters(random_state=0).fit(_three_groups())
    assert model.n_clusters_ == 3
    assert model.order_ == [
        "High value, frequent, recent",
        "Mid value, occasional, lapsing",
        "Low value, one-off, lapsed",
    ]
    assert (
        model.labels_[model.labels_.index.str.startswith("g0")]
        .eq("High value, frequent, recent")
        .all()
    )
    assert (
        model.labels_[model.labels_.index.str.startswith("g2")]
        .eq("Low value, one-off, lapsed")
        .all()
    )
    assert model.silhouette_.idxmax() == 3
    assert list(model.silhouette_.index) == list(range(2, 9))


def test_cluster_names_are_stable_across_runs_seeds_and_row_order():
    features = _three_groups()
    first = segments_clustering.CustomerClusters(random_state=0).fit(features).labels_.astype(str)
    again = segments_clustering.CustomerClusters(random_state=0).fit(features).labels_.astype(str)
    other_seed = (
        segments_clustering.CustomerClusters(random_state=42).fit(features).labels_.astype(str)
    )
    shuffled = features.sample(frac=1.0, random_state=7)
    reordered = (
        segments_clustering.CustomerClusters(random_state=0).fit(shuffled).labels_.astype(str)
    )
    pdt.assert_series_equal(first, again)
    pdt.assert_series_equal(first, other_seed)
    pdt.assert_series_equal(first, reordered.reindex(first.index))


def test_clusters_with_the_same_profile_get_unique_qualified_names():
    features = _three_groups()
    # The top group splits in two on acquisition cost: same R/F/M words, told apart by cost.
    cost = np.where(features.index.str.startswith("g0"), 50.0, 200.0)
    cost[features.index.str.startswith("g0") & (np.arange(len(features)) % 2 == 0)] = 5000.0
    model = segments_clustering.CustomerClusters(n_clusters=4, random_state=0).fit(
        features.assign(acquisition_cost=cost)
    )
    assert len(set(model.order_)) == 4
    assert "High value, frequent, recent (higher acquisition cost)" in model.order_
    assert "High value, frequent, recent (lower acquisition cost)" in model.order_


def test_an_attribute_missing_for_some_customers_is_imputed_with_the_median():
    features = _three_groups()
    cost = pd.Series(np.where(features.index.str.startswith("g0"), 500.0, 50.0), features.index)
    cost.iloc[::7] = np.nan
    model = segments_clustering.CustomerClusters(n_clusters=3, random_state=0).fit(
        features.assign(acquisition_cost=cost)
    )
    assert "impute" in model.pipeline_.named_steps
    assert model.labels_.notna().all()
    plain = segments_clustering.CustomerClusters(n_clusters=3, random_state=0).fit(features)
    assert "impute" not in plain.pipeline_.named_steps  # nothing missing: no median pass


def test_predict_gives_the_training_labels():
    features = _three_groups()
    model = segments_clustering.CustomerClusters(random_state=0).fit(features)
    pdt.assert_series_equal(model.predict(features), model.labels_)


def test_large_data_uses_mini_batch_kmeans_from_the_sample():
    features = _three_groups(n=400)
    model = segments_clustering.CustomerClusters(
        sample_size=300, minibatch_above=500, random_state=0
    ).fit(features)
    assert model.algorithm_ == "mini-batch k-means"
    assert model.sample_size_ == 300
    assert model.order_[0] == "High value, frequent, recent"
    assert model.labels_.value_counts().tolist() == [400, 400, 400]


def test_fewer_customers_than_clusters_is_a_clear_error():
    features = _three_groups(n=2)
    with pytest.raises(ModelError, match="only 6 customers, fewer than the 7 clusters"):
        segments_clustering.CustomerClusters(n_clusters=7).fit(features)
    with pytest.raises(ModelError, match="at least 3 customers"):
        segments_clustering.CustomerClusters().fit(features.head(2))


def test_identical_customers_cannot_be_clustered():
    same = pd.DataFrame({"recency_days": [3] * 5, "frequency": [2] * 5, "monetary": [10.0] * 5})
    with pytest.raises(ModelError, match="look the same on every measure"):
        segments_clustering.CustomerClusters().fit(same)


def test_a_constant_dimension_is_left_out_and_said():
    features = _three_groups().assign(frequency=1)
    model = segments_clustering.CustomerClusters(random_state=0).fit(features)
    assert model.features_ == ["recency_days", "monetary"]
    assert any("same orders" in n for n in model.notes_)


# --- contribution, attributes -----------------------------------------------------------------


def test_contribution_shares_by_hand(five):
    summary = customer_summary(five, "day", END)
    groups = pd.Series({"A": "North", "B": "North", "C": "South", "D": None}, name="region")
    table = segments_contribution.segment_contribution(summary, groups).set_index("segment")
    # Net revenue: North 700, South 1000, not recorded (D, E) 70; total 1770.
    assert list(table.index) == ["South", "North", "(not recorded)"]
    assert table["customers"].to_dict() == {"South": 1, "North": 2, "(not recorded)": 2}
    assert table.loc["North", "customer_share"] == pytest.approx(2 / 5)
    assert table.loc["North", "revenue_share"] == pytest.approx(700 / 1770)
    assert table.loc["(not recorded)", "revenue_per_customer"] == pytest.approx(35.0)
    assert "margin" not in table  # no cost of goods in the data


def test_contribution_with_cost_and_ordered_groups(five):
    summary = customer_summary(five.assign(cost=five["revenue"] * 0.5), "day", END)
    rfm = segments.rfm_scores(summary, END)
    table = segments_contribution.segment_contribution(summary, rfm.table["rfm_segment"]).set_index(
        "segment"
    )
    assert list(table.index) == [
        "Champions", "Potential loyalists", "Need attention", "At risk", "Lost",
    ]  # fmt: skip
    assert table.loc["Champions", "margin"] == pytest.approx(300.0)
    assert table.loc["Lost", "margin"] == pytest.approx(-5.0)
    assert table["margin_share"].sum() == pytest.approx(1.0)


def test_main_channel_is_the_channel_with_most_purchase_revenue():
    tx = _transactions(
        [("a", "2024-01-01", 100.0), ("a", "2024-01-02", 150.0), ("a", "2024-01-03", -500.0),
         ("b", "2024-01-01", 80.0), ("b", "2024-01-02", 80.0), ("c", "2024-01-01", 10.0)]
    ).assign(channel=["Online", "Store", "Online", "Phone", "Online", None])  # fmt: skip
    channel = segments_contribution.main_channel(tx, pd.Index(["a", "b", "c", "d"]))
    # a: returns do not count, Store 150 > Online 100; b: tie, by name; c, d: nothing recorded.
    assert channel.to_dict() == {
        "a": "Store",
        "b": "Online",
        "c": "(not recorded)",
        "d": "(not recorded)",
    }


# --- the whole analysis -----------------------------------------------------------------------


def _shop(n: int = 40, with_category: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        for j in range(1 + i % 4):
            category = ["Coffee", "Tea", "Cups"][(i + j) % 3] if with_category else None
            rows.append(
                (
                    f"c{i:02d}",
                    f"2023-{1 + (i + 3 * j) % 12:02d}-15",
                    float(rng.integers(10, 500)),
                    category,
                )
            )
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "revenue", "category"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["is_return"] = False
    return tx if with_category else tx.drop(columns="category")


def test_analysis_without_a_category_column_says_so_and_still_segments():
    tx = _shop(with_category=False)
    result = segments_analysis.analyse_segments(customer_summary(tx, "day"), tx)
    assert result.baskets is None and result.next_best is None
    assert "no product category" in result.affinity_message
    assert result.clusters is not None
    frame = result.segment_frame()
    assert list(frame.columns) == ["rfm_segment", "cluster", "next_best_category"]
    assert len(frame) == 40 and frame["next_best_category"].isna().all()


def test_analysis_with_one_category_explains_why_there_is_no_cross_sell():
    tx = _shop().assign(category="Coffee")
    result = segments_analysis.analyse_segments(customer_summary(tx, "day"), tx)
    assert result.affinity_message.startswith("Only one product category (Coffee)")
    assert result.affinity["All customers"].empty


def test_analysis_keeps_rfm_when_clustering_is_impossible():
    tx = _shop(n=2)
    result = segments_analysis.analyse_segments(customer_summary(tx, "day"), tx)
    assert result.clusters is None
    assert "at least 3 customers" in result.cluster_message
    assert result.membership["cluster"].isna().all()
    assert len(result.contribution["RFM segment"]) >= 1


def test_analysis_rejects_unknown_attributes():
    tx = _shop()
    settings = segments_analysis.SegmentSettings(cluster_attributes=("wallet",))
    with pytest.raises(ValidationError, match="Unknown customer attribute"):
        segments_analysis.analyse_segments(customer_summary(tx, "day"), tx, settings=settings)


def test_analysis_scopes_and_exports():
    tx = _shop()
    customers = pd.DataFrame(
        {"customer_name": [f"=Name {i}" for i in range(40)], "region": ["N", "S"] * 20,
         "acquisition_cost": np.arange(40.0)},
        index=pd.Index([f"c{i:02d}" for i in range(40)], name="customer_id"),
    )  # fmt: skip
    settings = segments_analysis.SegmentSettings(
        n_clusters=3, cluster_attributes=("acquisition_cost",), min_pair_customers=1
    )
    result = segments_analysis.analyse_segments(
        customer_summary(tx, "day"), tx, customers, settings=settings
    )
    assert result.clusters.n_clusters_ == 3
    assert "acquisition_cost" in result.clusters.features_
    assert {"RFM segment", "Cluster", "Region"} <= set(result.contribution)
    assert "All customers" in result.affinity
    assert any(k.startswith("Cluster: ") for k in result.affinity)
    members = campaigns.membership_export(result, "EUR")
    assert list(members.columns[:5]) == [
        "Customer ID",
        "Customer name",
        "RFM segment",
        "Cluster",
        "Next-best category",
    ]
    assert len(members) == 40
    offers = campaigns.next_best_export(result, "EUR")
    assert offers["Lift"].is_monotonic_decreasing
    assert (offers["Lift"] > 1).all()
    # A campaign for two segments only: both lists keep just those customers.
    chosen = ("Champions", "Lost")
    in_chosen = result.membership["rfm_segment"].isin(chosen)
    picked = campaigns.membership_export(result, "EUR", chosen)
    assert len(picked) == in_chosen.sum() > 0
    assert set(picked["RFM segment"]) <= set(chosen)
    picked_offers = campaigns.next_best_export(result, "EUR", chosen)
    assert set(picked_offers["RFM segment"]) <= set(chosen)
    sizes = campaigns.export_sizes(result, chosen)
    assert (sizes.members, sizes.offers) == (len(picked), len(picked_offers))
    assert campaigns.export_sizes(result).members == 40


def test_command_line_without_categories(tmp_path, capsys):
    path = tmp_path / "sales.csv"
    _shop(with_category=False).drop(columns="is_return").to_csv(path, index=False)
    assert main(["segments", str(path), "--k", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["customers"] == 40
    assert sum(s["customers"] for s in out["rfm_segments"].values()) == 40
    assert out["clusters"]["k"] == 3 and out["clusters"]["k_chosen_by"] == "user"
    assert len(out["clusters"]["profiles"]) == 3
    assert out["affinity"]["available"] is False
    assert "no product category" in out["affinity"]["message"]


def test_command_line_with_an_own_segment_map(tmp_path, capsys):
    sales = tmp_path / "sales.csv"
    _shop().drop(columns="is_return").to_csv(sales, index=False)
    active = ["Active"] * 5
    rows = {"5": active, "4": active, "3": ["Dormant"] * 5, "2": ["Dormant"] * 5, "1": ["Gone"] * 5}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert main(["segments", str(sales), "--segment-map", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # R scores are quintiles of 40 customers: 8 per score, so 16 active, 16 dormant, 8 gone.
    assert {k: v["customers"] for k, v in out["rfm_segments"].items()} == {
        "Active": 16, "Dormant": 16, "Gone": 8,
    }  # fmt: skip
    assert out["segment_map"]["R=1"] == ["Gone"] * 5
    path.write_text(json.dumps({"5": active}), encoding="utf-8")
    assert main(["segments", str(sales), "--segment-map", str(path)]) == 2
    assert "Could not read the segment map" in capsys.readouterr().err


def test_no_one_time_cdnow_buyer_scores_above_f1():
    # Issue 13: ranking equal order counts by spend gave 275 one-order CDNOW customers F = 3.
    from cvm_core.intake.cdnow import load_cdnow_transactions
    from cvm_core.intake.dataset import dataset_from_frame

    tx = dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD").transactions
    table = segments.rfm_scores(customer_summary(tx, "week")).table
    once = table["frequency"] == 1
    assert int(once.sum()) == 1218  # the one-time buyers issue 13 counts
    assert set(table.loc[once, "f_score"]) == {1}
    # Every order count has exactly one F score, and more orders never score lower.
    per_count = table.groupby("frequency")["f_score"].agg(["min", "max"])
    assert (per_count["min"] == per_count["max"]).all()
    assert per_count["min"].is_monotonic_increasing


def test_auto_k_takes_the_best_silhouette_from_three_up():
    # Two far-apart groups: k = 2 separates best, but Auto must give at least three clusters.
    two = _three_groups().iloc[:120]
    model = segments_clustering.CustomerClusters(random_state=0).fit(two)
    scores = model.silhouette_
    assert scores.idxmax() == 2
    assert model.n_clusters_ == int(scores.loc[3:].idxmax()) >= 3
    assert takeaways.silhouette_takeaway(model).startswith(
        f"2 clusters separate customers best (silhouette {scores[2]:.2f}) but are too coarse to "
        f"act on; Auto uses {model.n_clusters_}, the best from 3 up"
    )
    assert segments_clustering.auto_k(pd.Series([0.9, 0.5, 0.7], index=[2, 3, 4])) == 4
    assert segments_clustering.auto_k(pd.Series([0.9], index=[2])) == 2  # only 2 possible


def test_auto_k_on_cdnow_is_at_least_three():
    from cvm_core.intake.cdnow import load_cdnow_transactions
    from cvm_core.intake.dataset import dataset_from_frame

    tx = dataset_from_frame(load_cdnow_transactions(), "CDNOW", currency="USD").transactions
    table = segments.rfm_scores(customer_summary(tx, "week")).table
    model = segments_clustering.CustomerClusters(random_state=0).fit(
        table[["recency_days", "frequency", "monetary"]]
    )
    assert model.n_clusters_ >= 3
    assert len(set(model.labels_)) == model.n_clusters_
