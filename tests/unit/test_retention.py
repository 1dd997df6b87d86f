"""Churn, survival, tenure profit, action lists and retention economics on hand-built fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from cvm_core.analyses.retention import analysis as retention_analysis
from cvm_core.analyses.retention import churn as R
from cvm_core.analyses.retention import defaults
from cvm_core.analyses.retention import economics as retention_economics
from cvm_core.analyses.retention import gaps as retention_gaps
from cvm_core.analyses.retention import lists as retention_lists
from cvm_core.analyses.retention import survival as retention_survival
from cvm_core.analyses.retention import tenure as retention_tenure
from cvm_core.errors import ValidationError
from cvm_core.intake.summary import customer_summary
from cvm_core.outputs import export


def transactions(rows: list[tuple], with_cost: bool = False) -> pd.DataFrame:
    columns = ["customer_id", "date", "revenue"] + (["cost"] if with_cost else [])
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["revenue"] < 0
    frame["source_row"] = np.arange(len(frame)) + 2
    return frame


def status_of(
    tx: pd.DataFrame, rule: retention_gaps.ChurnRule, end: str, p_alive=None
) -> pd.DataFrame:
    summary = customer_summary(tx, "day", pd.Timestamp(end))
    return retention_gaps.churn_status(summary, rule, pd.Timestamp(end), p_alive)


# ---------------------------------------------------------------------------------------------
# Gaps and the churn rule
# ---------------------------------------------------------------------------------------------


def test_gaps_count_purchase_days_once_and_ignore_returns():
    tx = transactions(
        [
            ("A", "2024-01-01", 10.0),
            ("A", "2024-01-01", 5.0),  # same day: one purchase day
            ("A", "2024-01-04", 10.0),
            ("A", "2024-01-06", -10.0),  # a return is no purchase
            ("A", "2024-01-14", 10.0),
            ("B", "2024-01-02", 10.0),
            ("C", "2024-01-03", 10.0),
            ("C", "2024-01-05", 10.0),
        ]
    )
    assert sorted(retention_gaps.inter_purchase_gaps(tx).tolist()) == [2, 3, 10]


def test_suggested_window_is_the_90th_percentile_of_gaps():
    # One customer with gaps of 1, 2, ..., 11 days: numpy's 90th percentile is 1 + 0.9 * 10 = 10.
    days = np.cumsum([0, *range(1, 12)])
    tx = transactions(
        [("A", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)), 1.0) for d in days]
    )
    profile = retention_gaps.gap_profile(tx)
    assert profile.repeat_purchases == 11
    assert profile.suggested_window_days == 10
    assert profile.quantiles[0.5] == 6.0
    assert profile.histogram["repeat_purchases"].sum() == 11
    assert profile.histogram["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_no_repeat_purchases_falls_back_with_a_note():
    profile = retention_gaps.gap_profile(
        transactions([("A", "2024-01-01", 1.0), ("B", "2024-02-01", 1.0)])
    )
    assert profile.suggested_window_days == retention_gaps.FALLBACK_WINDOW_DAYS
    assert "cannot suggest" in profile.note


def test_a_window_suggested_beyond_ten_years_is_capped_with_a_note():
    # Issue 16: purchases on 1990-01-01 and 2019-12-31 suggest a 10,956-day window; the page's
    # window input stops at 3,650 and raised StreamlitValueAboveMaxError.
    profile = retention_gaps.gap_profile(
        transactions([("A", "1990-01-01", 1.0), ("A", "2019-12-31", 1.0)])
    )
    assert profile.suggested_window_days == retention_gaps.MAX_WINDOW_DAYS == 3650
    assert "suggest a churn window of 10,956 days" in profile.note
    assert "3,650 days is used" in profile.note


CHURN_TX = transactions(
    [
        ("A", "2024-01-01", 10.0),
        ("A", "2024-02-15", 10.0),
        ("B", "2024-01-01", 10.0),
        ("B", "2024-03-20", 10.0),
        ("C", "2024-03-10", 10.0),  # acquired 21 days before the end: too new to tell
        ("D", "2024-01-10", 10.0),
    ]
)


def test_inactivity_churn_status_and_lifetimes():
    status = status_of(CHURN_TX, retention_gaps.ChurnRule(30), "2024-03-31")
    assert status["status"].to_dict() == {
        "A": defaults.CHURNED,
        "B": defaults.ACTIVE,
        "C": defaults.TOO_NEW,
        "D": defaults.CHURNED,
    }
    assert status["days_since_last"].tolist() == [45, 11, 21, 81]
    # Churned: lifetime from the first purchase until churn is declared, last purchase + window
    # + 1 day (observed): A 45 + 31 = 76, D (one purchase, 81 days ago) 0 + 31 = 31 - not 0.
    # Others: censored at the end (B 90, C 21).
    assert status["lifetime_days"].tolist() == [76.0, 90.0, 21.0, 31.0]
    assert status["event"].tolist() == [True, False, False, True]
    assert status.loc["A", "churn_date"] == pd.Timestamp("2024-03-17")  # 15 Feb + 31 days
    assert pd.isna(status.loc["B", "churn_date"])
    assert status.loc["A", "mean_gap_days"] == 45.0
    assert np.isnan(status.loc["D", "mean_gap_days"])


def test_p_alive_rule_never_churns_customers_acquired_at_the_end():
    p_alive = pd.Series({"A": 0.8, "B": 0.3, "C": 0.1})  # D unknown: judged by inactivity
    status = status_of(
        CHURN_TX, retention_gaps.ChurnRule(30, defaults.P_ALIVE, 0.5), "2024-03-31", p_alive
    )
    assert status["status"].to_dict() == {
        "A": defaults.ACTIVE,
        "B": defaults.CHURNED,
        "C": defaults.TOO_NEW,
        "D": defaults.CHURNED,
    }
    # B bought 11 days ago, so the window has not run out: churn is declared at the end, 1 Jan to
    # 31 Mar = 90 days (not at the last purchase, 79 days).
    assert status.loc["B", "lifetime_days"] == 90.0
    with pytest.raises(ValidationError, match="CLV"):
        status_of(CHURN_TX, retention_gaps.ChurnRule(30, defaults.P_ALIVE), "2024-03-31")


def test_rule_checks_its_settings():
    with pytest.raises(ValidationError, match="churn window"):
        retention_gaps.ChurnRule(0)
    with pytest.raises(ValidationError, match="threshold"):
        retention_gaps.ChurnRule(30, defaults.P_ALIVE, 1.5)
    assert "90 days" in retention_gaps.ChurnRule(90).describe()


# ---------------------------------------------------------------------------------------------
# Spells, churn by period, annual retention
# ---------------------------------------------------------------------------------------------

SPELL_TX = transactions(
    [
        ("W", "2024-01-15", 1.0),
        ("W", "2024-02-10", 1.0),
        ("W", "2024-03-05", 1.0),
        ("W", "2024-04-01", 1.0),
        ("W", "2024-04-25", 1.0),
        ("X", "2024-01-05", 1.0),
        ("X", "2024-03-20", 1.0),  # 75 days later: lapsed on 5 Feb, came back
        ("Y", "2024-01-10", 1.0),
        ("Y", "2024-01-25", 1.0),
        ("Y", "2024-04-28", 1.0),  # lapsed on 25 Feb, came back
        ("Z", "2024-02-03", 1.0),
        ("Z", "2024-02-20", 1.0),  # lapses on 22 Mar
    ]
)
SPELL_END = pd.Timestamp("2024-04-30")


def test_activity_spells():
    spells = retention_gaps.activity_spells(SPELL_TX, 30, SPELL_END)
    got = [
        (c, s.strftime("%m-%d"), None if pd.isna(lapse) else lapse.strftime("%m-%d"), r)
        for c, s, lapse, r in spells.itertuples(index=False)
    ]
    # Codes follow first appearance: W=0, X=1, Y=2, Z=3.
    assert got == [
        (0, "01-15", None, False),
        (1, "01-05", "02-05", False),
        (1, "03-20", "04-20", True),
        (2, "01-10", "02-25", False),
        (2, "04-28", None, True),
        (3, "02-03", "03-22", False),
    ]


def test_churn_by_period_hand_computed():
    spells = retention_gaps.activity_spells(SPELL_TX, 30, SPELL_END)
    table = R.churn_by_period(spells, "month", SPELL_END)
    assert table["period"].tolist() == ["Feb 2024", "Mar 2024", "Apr 2024"]
    # Feb: W, X, Y active on 1 Feb; X and Y lapse. Mar: W, Z; Z lapses. Apr: W, X; X lapses.
    assert table["customers_at_start"].tolist() == [3, 2, 2]
    assert table["churned"].tolist() == [2, 1, 1]
    assert table["churn_rate"].tolist() == pytest.approx([2 / 3, 0.5, 0.5])
    assert table["new"].tolist() == [1, 0, 0]
    assert table["reactivated"].tolist() == [0, 1, 1]


def test_annual_retention_annualises_a_short_history():
    summary = customer_summary(SPELL_TX, "day", SPELL_END)
    status = retention_gaps.churn_status(summary, retention_gaps.ChurnRule(30), SPELL_END)
    spells = retention_gaps.activity_spells(SPELL_TX, 30, SPELL_END, summary.index)
    rate, how = R.annual_retention(spells, status, SPELL_END)
    # History 5 Jan - 30 Apr = 116 days: measured over 58 days from 3 Mar, when Z and W were
    # active; W still is, Z churned. 1/2 over 58 days = 0.5 ** (365 / 58) a year.
    assert rate == pytest.approx(0.5 ** (365 / 58))
    assert "03 Mar 2024" in how and "annualised" in how


def test_annual_retention_over_a_full_year():
    tx = transactions(
        [
            ("A", "2022-01-01", 1.0),
            ("A", "2022-12-20", 1.0),  # back, active on 2 Jan 2023 ...
            ("A", "2023-01-15", 1.0),
            ("A", "2023-12-20", 1.0),  # ... and today (after a lapse in between)
            ("B", "2022-12-15", 1.0),  # active on 2 Jan 2023, churned since
            ("C", "2022-06-01", 1.0),  # lapsed before 2 Jan 2023: not counted
            ("D", "2023-06-01", 1.0),  # acquired since: not counted
        ]
    )
    end = pd.Timestamp("2024-01-02")
    summary = customer_summary(tx, "day", end)
    status = retention_gaps.churn_status(summary, retention_gaps.ChurnRule(30), end)
    spells = retention_gaps.activity_spells(tx, 30, end, summary.index)
    rate, how = R.annual_retention(spells, status, end)
    assert rate == 0.5
    assert "of the 2 customers active on 02 Jan 2023, the share still active a year later" == how


# ---------------------------------------------------------------------------------------------
# Survival
# ---------------------------------------------------------------------------------------------


def test_kaplan_meier_hand_computed_and_median():
    status = status_of(CHURN_TX, retention_gaps.ChurnRule(30), "2024-03-31")
    result = retention_survival.survival_analysis(status)
    curve = result.curves.set_index("days")["survival"]
    # Lifetimes A 76 (event), B 90 (censored), C 21 (censored), D 31 (event): nobody ends at 0;
    # C leaves the risk set at 21; S(31) = 1 - 1/3 = 2/3; S(76) = 2/3 * (1 - 1/2) = 1/3.
    assert curve.loc[0.0] == pytest.approx(1.0)
    assert curve.loc[31.0] == pytest.approx(2 / 3)
    assert curve.loc[76.0] == pytest.approx(1 / 3)
    assert result.groups["median_days"].iloc[0] == 76.0
    assert retention_survival.median_lifetime(status) == 76.0


def test_median_not_reached_when_survival_stays_above_half():
    status = pd.DataFrame(
        {"lifetime_days": [10.0, 50, 60, 70], "event": [True, False, False, False]}
    )
    assert retention_survival.median_lifetime(status) is None
    result = retention_survival.survival_analysis(status)
    assert np.isnan(result.groups["median_days"].iloc[0])


def test_survival_matches_lifelines_on_the_same_durations():
    rng = np.random.default_rng(3)
    n = 600
    status = pd.DataFrame(
        {
            "lifetime_days": rng.integers(0, 400, n).astype(float),
            "event": rng.random(n) < 0.6,
        },
        index=[f"C{i}" for i in range(n)],
    )
    groups = pd.Series(rng.choice(["North", "South"], n), index=status.index, name="Region")
    result = retention_survival.survival_analysis(status, groups)
    for name in ["North", "South"]:
        members = status[groups == name]
        kmf = KaplanMeierFitter().fit(members["lifetime_days"], members["event"])
        ours = result.curves[result.curves["group"] == name].set_index("days")
        expected = kmf.survival_function_.iloc[:, 0]
        band = kmf.confidence_interval_survival_function_
        np.testing.assert_allclose(ours["survival"].to_numpy(), expected.to_numpy())
        np.testing.assert_allclose(ours["lower"].to_numpy(), band.iloc[:, 0].to_numpy())
        np.testing.assert_allclose(ours["upper"].to_numpy(), band.iloc[:, 1].to_numpy())
        row = result.groups.set_index("group").loc[name]
        assert row["median_days"] == kmf.median_survival_time_
        assert row["customers"] == len(members)
    test = multivariate_logrank_test(status["lifetime_days"], groups, status["event"])
    assert result.logrank_p == pytest.approx(test.p_value)
    assert result.logrank_statistic == pytest.approx(test.test_statistic)


def test_logrank_reading_in_plain_words():
    assert "clearly differ" in retention_survival.logrank_reading(0.0001, 3)
    assert "p < 0.001" in retention_survival.logrank_reading(0.0001, 3)
    assert "probably differ" in retention_survival.logrank_reading(0.03, 2)
    assert "No clear difference" in retention_survival.logrank_reading(0.4, 2)
    assert "Choose a grouping" in retention_survival.logrank_reading(None, 1)


def test_long_curves_are_thinned_for_charts():
    n = 5000
    status = pd.DataFrame({"lifetime_days": np.arange(n, dtype=float), "event": np.ones(n, bool)})
    curves = retention_survival.survival_analysis(status).curves
    assert len(curves) <= retention_survival.MAX_CURVE_POINTS
    assert curves["days"].iloc[0] == 0 and curves["days"].iloc[-1] == n - 1


# ---------------------------------------------------------------------------------------------
# Groupings, tenure profit
# ---------------------------------------------------------------------------------------------


def test_customer_groups_main_channel_and_lumping():
    tx = transactions(
        [("A", "2024-01-01", 10.0), ("A", "2024-01-02", 30.0), ("B", "2024-02-01", 5.0)]
    )
    tx["channel"] = ["Store", "Online", "Phone"]
    summary = customer_summary(tx, "day")
    customers = pd.DataFrame(
        {"region": ["North", "South"], "customer_name": ["Ann", "Bob"]},
        index=pd.Index(["A", "B"], name="customer_id"),
    )
    groups = R.customer_groups(tx, summary, customers)
    assert groups.loc["A", R.MAIN_CHANNEL] == "Online"  # 30 online vs 10 in store
    assert groups.loc["B", R.MAIN_CHANNEL] == "Phone"
    assert groups["Region"].tolist() == ["North", "South"]
    assert "customer_name" not in groups and "Customer name" not in groups
    assert groups[defaults.ACQUISITION_YEAR].tolist() == ["2024", "2024"]
    lumped = R._lump(pd.Series(list("aaabbcd")), 3)
    assert lumped.tolist() == list("aaabb") + ["Other", "Other"]


def test_churn_by_group_counts_only_customers_old_enough():
    status = status_of(CHURN_TX, retention_gaps.ChurnRule(30), "2024-03-31")
    groups = pd.DataFrame({"Region": ["N", "N", "S", "S"]}, index=status.index)
    table = R.churn_by_group(status, groups).set_index("group")
    assert table.loc["N", "customers"] == 2 and table.loc["N", "churned"] == 1
    assert table.loc["S", "customers"] == 1 and table.loc["S", "churned"] == 1  # C too new


def test_profit_by_tenure_hand_computed():
    tx = transactions(
        [
            ("P", "2024-01-01", 100.0, 60.0),
            ("P", "2024-06-01", 100.0, 60.0),
            ("P", "2025-01-10", 200.0, 100.0),  # day 375: year 2
            ("Q", "2024-06-01", 50.0, 30.0),
        ],
        with_cost=True,
    )
    end = pd.Timestamp("2025-06-30")
    status = status_of(tx, retention_gaps.ChurnRule(30), "2025-06-30")
    result = retention_tenure.profit_by_tenure(
        tx, status, 30, end, max_year=2, min_customer_years=0
    )
    table = result.table
    assert result.measure == "gross margin"
    # P is active 1 Jan 2024 - 9 Feb 2025 (last purchase + 30 days): 405 days, 365 of them in
    # year 1 and 40 in year 2. Q: 30 days in year 1. Margin: year 1 40 + 40 + 20, year 2 100.
    assert table["value"].tolist() == [100.0, 100.0]
    assert table["customer_years"].tolist() == pytest.approx([395 / 365, 40 / 365])
    assert table["customers"].tolist() == [2, 1]
    assert table["value_per_customer_year"].tolist() == pytest.approx([100 / (395 / 365), 912.5])
    assert table["ratio_to_year1"].iloc[1] == pytest.approx(912.5 / (100 / (395 / 365)))
    assert "checked in part" in result.claim
    without_cost = retention_tenure.profit_by_tenure(tx.drop(columns="cost"), status, 30, end, 2, 0)
    assert without_cost.measure == "net revenue"
    assert without_cost.table["value"].tolist() == [250.0, 200.0]


def test_claim_text_is_honest_about_the_rule_of_thumb():
    table = pd.DataFrame(
        {
            "year": [1, 2, 3, 4],
            "label": ["Year 1", "Year 2", "Year 3", "Year 4+"],
            "value_per_customer_year": [100.0, 150, 220, 310],
            "ratio_to_year1": [1.0, 1.5, 2.2, 3.1],
        }
    )
    assert "in line with the rule of thumb" in retention_tenure._claim_text(table, "gross margin")
    low = table.assign(ratio_to_year1=[1.0, 0.9, 0.9, 1.1])
    assert "well below the rule of thumb" in retention_tenure._claim_text(low, "gross margin")
    short = table.assign(value_per_customer_year=[100.0, np.nan, np.nan, np.nan])
    assert "cannot be checked" in retention_tenure._claim_text(short, "gross margin")


# ---------------------------------------------------------------------------------------------
# Action lists
# ---------------------------------------------------------------------------------------------

LIST_TX = transactions(
    [
        # Big, regular (every 10 days), silent for 40 days: overdue (4x), at risk.
        *[("BIG", f"2024-0{m}-{d:02d}", 500.0) for m, d in [(1, 1), (1, 11), (1, 21), (1, 31)]],
        ("BIG", "2024-02-10", 500.0),
        # Big, regular, just bought: fine.
        ("STEADY", "2024-01-15", 400.0),
        ("STEADY", "2024-03-15", 400.0),
        # Big but gone for 80 days: churned, win back.
        ("GONE", "2024-01-01", 900.0),
        ("GONE", "2024-01-02", 100.0),
        # Small customers: never on the lists.
        ("SMALL1", "2024-01-05", 10.0),
        ("SMALL2", "2024-01-06", 10.0),
        ("SMALL3", "2024-03-10", 10.0),
    ]
)


def test_at_risk_and_win_back_lists_with_reasons():
    end = pd.Timestamp("2024-03-21")
    summary = customer_summary(LIST_TX, "day", end)
    rule = retention_gaps.ChurnRule(60)
    status = retention_gaps.churn_status(summary, rule, end)
    at_risk, win_back = retention_lists.action_lists(
        summary, status, rule, retention_lists.ListSettings("net_revenue", 0.5, 2.0)
    )
    assert at_risk["customer_id"].tolist() == ["BIG"]
    assert at_risk["overdue_ratio"].iloc[0] == pytest.approx(4.0)  # 40 days / mean gap 10
    assert at_risk["reason"].iloc[0] == (
        "Top 17% by net revenue; overdue: 40 days since the last purchase, 4.0× their usual gap "
        "of 10 days."
    )
    assert win_back["customer_id"].tolist() == ["GONE"]
    assert win_back["reason"].iloc[0] == (
        "Was top 34% by net revenue (2 orders); churned: no purchase for 79 days (churn window 60)."
    )
    assert at_risk.columns.tolist()[:4] == ["customer_id", "value", "value_rank", "orders"]


def test_p_alive_puts_low_probability_customers_on_the_lists():
    end = pd.Timestamp("2024-03-21")
    summary = customer_summary(LIST_TX, "day", end)
    p_alive = pd.Series(0.9, index=summary.index)
    p_alive["STEADY"] = 0.2
    settings = retention_lists.ListSettings("net_revenue", 0.5, 5.0)
    # Churn by inactivity: STEADY bought recently, but the model gives it little chance: at risk.
    rule = retention_gaps.ChurnRule(60, defaults.INACTIVITY, 0.5)
    status = retention_gaps.churn_status(summary, rule, end, p_alive)
    at_risk, win_back = retention_lists.action_lists(summary, status, rule, settings)
    assert at_risk["customer_id"].tolist() == ["STEADY"]
    assert at_risk["reason"].iloc[0] == "Top 50% by net revenue; P(alive) only 20%."
    assert at_risk["p_alive"].iloc[0] == 0.2
    assert win_back["customer_id"].tolist() == ["GONE"]
    # Churn by P(alive): STEADY counts as churned; GONE is alive by the model but 79x overdue
    # against its one-day rhythm.
    rule = retention_gaps.ChurnRule(60, defaults.P_ALIVE, 0.5)
    status = retention_gaps.churn_status(summary, rule, end, p_alive)
    at_risk, win_back = retention_lists.action_lists(summary, status, rule, settings)
    assert at_risk["customer_id"].tolist() == ["GONE"]
    assert win_back["customer_id"].tolist() == ["STEADY"]
    assert win_back["reason"].iloc[0] == (
        "Was top 50% by net revenue (2 orders); churned: P(alive) 20%, 6 days since the last "
        "purchase."
    )


def test_value_measure_needs_its_data():
    summary = customer_summary(LIST_TX, "day")
    with pytest.raises(ValidationError, match="cost-of-goods"):
        retention_lists.customer_value(summary, "margin")
    with pytest.raises(ValidationError, match="CLV"):
        retention_lists.customer_value(summary, "clv")


# ---------------------------------------------------------------------------------------------
# Economics and the whole analysis
# ---------------------------------------------------------------------------------------------


def test_lifetime_value_formula():
    # m (1 + d) / (1 + d - r) = 100 * 1.1 / 0.3
    assert retention_economics.lifetime_value(100, 0.8, 0.1) == pytest.approx(366.6667, rel=1e-6)
    # Equals the discounted sum of m r^t / (1 + d)^t.
    assert retention_economics.lifetime_value(100, 0.8, 0.1) == pytest.approx(
        sum(100 * (0.8 / 1.1) ** t for t in range(2000))
    )


def test_retention_economics_hand_computed():
    econ = retention_economics.retention_economics(0.8, 100.0, 1000, 0.1, (5, 30))
    row = econ.table.iloc[0]
    assert row["retention"] == pytest.approx(0.85)
    assert row["clv_per_customer"] == pytest.approx(440.0)  # 110 / 0.25
    assert row["uplift_per_customer"] == pytest.approx(440 - 110 / 0.3)
    assert row["uplift_total"] == pytest.approx((440 - 110 / 0.3) * 1000)
    capped = econ.table.iloc[1]
    assert capped["retention"] == 1.0  # never above 100%
    assert capped["clv_per_customer"] == pytest.approx(1100.0)


def test_analyse_retention_end_to_end_and_messages():
    tx = SPELL_TX
    summary = customer_summary(tx, "day", SPELL_END)
    settings = retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(30))
    result = retention_analysis.analyse_retention(tx, summary, settings, observation_end=SPELL_END)
    assert result.cohorts is not None
    assert result.churn_by_period["churned"].tolist() == [2, 1, 1]
    assert result.counts == {defaults.ACTIVE: 2, defaults.CHURNED: 2, defaults.TOO_NEW: 0}
    assert result.annual_retention == pytest.approx(0.5 ** (365 / 58))
    one_cohort = transactions(
        [("A", "2024-01-05", 1.0), ("B", "2024-01-06", 1.0), ("A", "2024-03-02", 1.0)]
    )
    short = retention_analysis.analyse_retention(
        one_cohort, customer_summary(one_cohort, "day"), retention_analysis.RetentionSettings()
    )
    assert short.cohorts is None and "only one cohort" in short.cohort_message
    asked = retention_analysis.RetentionSettings(
        rule=retention_gaps.ChurnRule(30, defaults.P_ALIVE)
    )
    fallback = retention_analysis.analyse_retention(tx, summary, asked, observation_end=SPELL_END)
    assert fallback.settings.rule.method == defaults.INACTIVITY
    assert "fit the CLV model" in fallback.notes[0]


def test_revising_the_quick_settings_equals_a_full_analysis():
    end = pd.Timestamp("2024-04-30")  # 120 days: long enough to measure annual retention
    summary = customer_summary(LIST_TX, "day", end)
    base = retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(20))
    first = retention_analysis.analyse_retention(LIST_TX, summary, base, observation_end=end)
    changed = retention_analysis.RetentionSettings(
        rule=retention_gaps.ChurnRule(20),
        grouping=None,
        lists=retention_lists.ListSettings(top_share=1.0),
        discount_rate=0.2,
    )
    revised = retention_analysis.revise_retention(first, summary, changed)
    full = retention_analysis.analyse_retention(LIST_TX, summary, changed, observation_end=end)
    assert revised.economics is not None
    pd.testing.assert_frame_equal(revised.at_risk, full.at_risk)
    pd.testing.assert_frame_equal(revised.win_back, full.win_back)
    pd.testing.assert_frame_equal(revised.economics.table, full.economics.table)
    pd.testing.assert_frame_equal(revised.survival.curves, full.survival.curves)
    assert len(revised.win_back) > len(first.win_back)
    with pytest.raises(ValidationError, match="run the whole analysis"):
        retention_analysis.revise_retention(
            first, summary, retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(40))
        )


def test_segments_and_clv_tiers_become_groupings():
    summary = customer_summary(CHURN_TX, "day", pd.Timestamp("2024-03-31"))
    segments = pd.DataFrame(
        {"rfm_segment": pd.Categorical(["Champions", "At risk", "Champions"]), "cluster": None},
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    clv = pd.DataFrame({"p_alive": [0.9, 0.2], "tier": ["Gold", "Iron"]}, index=["A", "D"])
    groups = R.customer_groups(CHURN_TX, summary, labelled=(segments, clv))
    assert groups["RFM segment"].tolist() == ["Champions", "At risk", "Champions", "Unknown"]
    assert groups["CLV tier"].tolist() == ["Gold", "Unknown", "Unknown", "Iron"]
    assert "Cluster" not in groups  # no cluster was found: not offered
    status = retention_gaps.churn_status(
        summary, retention_gaps.ChurnRule(30), pd.Timestamp("2024-03-31")
    )
    table = R.churn_by_group(status, groups)
    rfm = table[table["grouping"] == "RFM segment"].set_index("group")
    # A churned, C too new (not counted), B active, D churned.
    assert rfm.loc["Champions", ["customers", "churned"]].tolist() == [1, 1]
    assert rfm.loc["At risk", ["customers", "churned"]].tolist() == [1, 0]
    assert rfm.loc["Unknown", ["customers", "churned"]].tolist() == [1, 1]


def test_a_customer_acquired_on_the_last_day_is_censored_not_churned():
    tx = pd.concat([CHURN_TX, transactions([("NEW", "2024-03-31", 10.0)])], ignore_index=True)
    summary = customer_summary(tx, "day", pd.Timestamp("2024-03-31"))
    result = retention_analysis.analyse_retention(
        tx,
        summary,
        retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(30)),
        observation_end="2024-03-31",
    )
    new = result.status.loc["NEW"]
    assert new["status"] == defaults.TOO_NEW and not new["churned"] and not new["event"]
    assert new["lifetime_days"] == 0.0  # censored at the end: survival does not drop for it
    assert result.counts == {defaults.ACTIVE: 1, defaults.CHURNED: 2, defaults.TOO_NEW: 2}
    assert result.churned_share == pytest.approx(2 / 3)  # of A, B, D: the new ones don't count
    curve = result.survival.curves.set_index("days")["survival"]
    # NEW's 0 days are censored, so nothing ends at day 0; at 31 days D's lifetime ends with A, B
    # and D at risk (C, censored at 21, and NEW have left): 2/3.
    assert curve.loc[0.0] == pytest.approx(1.0)
    assert curve.loc[31.0] == pytest.approx(2 / 3)


def test_economics_explains_a_bad_discount_rate_instead_of_failing():
    summary = customer_summary(SPELL_TX, "day", SPELL_END)
    settings = retention_analysis.RetentionSettings(
        rule=retention_gaps.ChurnRule(30), discount_rate=0.0
    )
    result = retention_analysis.analyse_retention(
        SPELL_TX, summary, settings, observation_end=SPELL_END
    )
    assert result.economics is None
    assert (
        result.economics_message
        == "The discount rate must be above 0%: set it to your cost of capital, e.g. 10%."
    )
    assert result.cohorts is not None  # the rest of the analysis is there


def test_p_alive_reads_as_below_the_threshold_it_fell_under():
    assert retention_lists.p_alive_text(0.2, 0.5) == "20%"
    assert retention_lists.p_alive_text(0.496, 0.5) == "49.6%"  # not "50%" against a 50% threshold
    assert retention_lists.p_alive_text(0.4996, 0.5) == "49.96%"
    assert retention_lists.p_alive_text(0.003, 0.5) == "under 1%"


def test_lists_export_with_readable_unique_headings():
    end = pd.Timestamp("2024-03-21")
    summary = customer_summary(LIST_TX, "day", end)
    rule = retention_gaps.ChurnRule(60)
    status = retention_gaps.churn_status(summary, rule, end)
    at_risk, _ = retention_lists.action_lists(
        summary, status, rule, retention_lists.ListSettings("net_revenue", 0.5, 2.0)
    )
    out = retention_lists.list_for_export(at_risk, "net_revenue")
    assert out.columns.is_unique  # 'value' is the net revenue: not repeated under the same name
    assert out.columns.tolist()[:4] == ["Customer", "Why", "Net revenue", "Rank"]
    assert out["Net revenue"].tolist() == [2500.0]
    assert out["Why"].iloc[0].startswith("Top 17% by net revenue")
    assert (
        export.csv_bytes(out)
        .decode("utf-8-sig")
        .splitlines()[0]
        .startswith("Customer,Why,Net revenue,Rank")
    )


def test_too_short_a_history_gives_reasons_not_numbers():
    tx = transactions(
        [("A", "2024-03-04", 1.0), ("A", "2024-03-06", 1.0), ("B", "2024-03-05", 1.0)]
    )
    end = pd.Timestamp("2024-03-31")
    summary = customer_summary(tx, "day", end)
    result = retention_analysis.analyse_retention(
        tx,
        summary,
        retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(7)),
        None,
        None,
        end,
    )
    # 27 days of history: annual retention would extrapolate 13 days to a year.
    assert result.annual_retention is None
    assert result.annual_retention_source == "not measurable: it needs at least 16 weeks of history"
    assert "not measurable" in result.economics_message
    # Both lapsed in March (B on 13 Mar, A on 14 Mar), but March is the last, incomplete month.
    assert result.churn_by_period.empty
    assert result.churn_by_period_message.startswith("Customers first lapsed on 13 Mar 2024")
    quiet = retention_analysis.analyse_retention(
        tx,
        summary,
        retention_analysis.RetentionSettings(rule=retention_gaps.ChurnRule(60)),
        None,
        None,
        end,
    )
    assert quiet.churn_by_period_message.startswith(
        "No customer has gone 60 days without a purchase"
    )


def test_without_a_rule_the_window_comes_from_the_data_as_on_the_page():
    # Gaps 15, 17, 24, 24, 26, 27, 75, 94 days, each customer weighted equally (see
    # test_cli_retention's hand calculation): the 90th percentile is 94 days.
    summary = customer_summary(SPELL_TX, "day", SPELL_END)
    result = retention_analysis.analyse_retention(SPELL_TX, summary, observation_end=SPELL_END)
    assert result.settings.rule == retention_gaps.ChurnRule(94)
    revised = retention_analysis.revise_retention(
        result, summary, retention_analysis.RetentionSettings(discount_rate=0.2)
    )
    assert (
        revised.settings.rule == retention_gaps.ChurnRule(94)
        and revised.settings.discount_rate == 0.2
    )
