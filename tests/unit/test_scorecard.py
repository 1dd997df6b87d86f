"""The customer management scorecard on a four-customer shop, every number worked out by hand.

The shop (two quarters of 2024):

=====  ==========  =====  =======  ========  ==========================================
 who   date        order  revenue  category  note
=====  ==========  =====  =======  ========  ==========================================
 A     2024-01-10  a1        100   X         new in Q1
 B     2024-02-01  b1        200   X         new in Q1, never back
 A     2024-04-05  a2         50   Y         back in Q2, buys a new category (cross-sell)
 A     2024-05-01  a3        -20   Y         a return
 C     2024-04-20  c1         80   X         new in Q2, one order with two categories
 C     2024-04-20  c1         40   Z
 D     2024-06-30  d1         30   X         new in Q2; the last day of the data
=====  ==========  =====  =======  ========  ==========================================

Q1: buyers A, B; net revenue 300, all from new customers. Q2 (the default period, complete on
30 Jun): buyers A, C, D; net revenue 50 - 20 + 120 + 30 = 180, of which 150 from new customers
(C, D) and 30 from A, who bought before.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.scorecard import (
    activity,
    defaults,
    formats,
    inputs,
    pnl_measures,
    specs,
    takeaways,
)
from cvm_core.analyses.scorecard import build as scorecard_build
from cvm_core.analyses.scorecard import periods as scorecard_periods
from cvm_core.analyses.scorecard import presenting as scorecard_presenting
from cvm_core.errors import ValidationError
from cvm_core.intake.summary import customer_summary


def shop() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-10", "a1", 100.0, "X", "Online"),
        ("B", "2024-02-01", "b1", 200.0, "X", "Phone"),
        ("A", "2024-04-05", "a2", 50.0, "Y", "Online"),
        ("A", "2024-05-01", "a3", -20.0, "Y", "Online"),
        ("C", "2024-04-20", "c1", 80.0, "X", "Phone"),
        ("C", "2024-04-20", "c1", 40.0, "Z", "Phone"),
        ("D", "2024-06-30", "d1", 30.0, "X", "Online"),
    ]
    columns = ["customer_id", "date", "order_id", "revenue", "category", "channel"]
    tx = pd.DataFrame(rows, columns=columns)
    tx["date"] = pd.to_datetime(tx["date"])
    tx["is_return"] = tx["revenue"] < 0
    return tx


def shop_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "acquisition_cost": [10.0, 30.0, 50.0, np.nan],
            "category_spend": [1000.0, 0.0, 360.0, np.nan],
            "acquisition_channel": ["Referral", "Paid search", "Referral", "Organic"],
        },
        index=pd.Index(["A", "B", "C", "D"], name="customer_id"),
    )


def shop_pnl() -> pd.DataFrame:
    """Whole-window P&L: A 150-20-65-40 = 25, B 200-100-10 = 90, C 120-60-50 = 10, D 30-15-5 = 10."""
    return pd.DataFrame(
        {
            "revenue": [150.0, 200.0, 120.0, 30.0],
            "returns": [20.0, 0.0, 0.0, 0.0],
            "cogs": [65.0, 100.0, 60.0, 15.0],
            "cost_to_serve": [40.0, 10.0, 50.0, 5.0],
            "profit": [25.0, 90.0, 10.0, 10.0],
        },
        index=pd.Index(["A", "B", "C", "D"], name="customer_id"),
    )


def shop_clv() -> pd.DataFrame:
    return pd.DataFrame(
        {"clv": [100.0, 50.0, 300.0, 10.0], "tier": ["Gold", "Iron", "Platinum", "Lead"]},
        index=pd.Index(["A", "B", "C", "D"], name="customer_id"),
    )


def shop_segments() -> pd.Series:
    return pd.Series(["Champions", "Loyal", "Champions", "Lost"], index=list("ABCD"))


def build(
    settings: inputs.ScorecardSettings | None = None, full: bool = True, **kw
) -> inputs.Scorecard:
    settings = settings or inputs.ScorecardSettings()
    tx = kw.pop("tx", shop())
    summary = customer_summary(tx, "week")
    models = (
        inputs.ModelInputs(shop_pnl(), shop_clv(), shop_segments(), 0.55, (("pnl", "test P&L"),))
        if full
        else inputs.ModelInputs()
    )
    customers = shop_customers() if full else None
    return scorecard_build.build_scorecard(tx, summary, customers, models, settings, **kw)


@pytest.fixture(scope="module")
def card() -> inputs.Scorecard:
    return build()


def value(card: inputs.Scorecard, key: str) -> float:
    return float(card.row(key)["value"])


def previous(card: inputs.Scorecard, key: str) -> float:
    return float(card.row(key)["previous"])


# --- periods -------------------------------------------------------------------------------------


def test_default_period_is_the_latest_complete_one(card):
    assert card.period == "Q2 2024" and card.previous_period == "Q1 2024"
    assert card.periods == ("Q1 2024", "Q2 2024")
    assert not card.partial
    assert card.period_end == pd.Timestamp("2024-06-30")


def test_a_cut_off_quarter_is_not_the_default():
    # Observation end 15 May: Q2 is partial, so Q1 is reported (compared with nothing).
    cut = build(observation_end="2024-05-15")
    assert cut.period == "Q1 2024" and cut.previous_period is None
    assert (
        scorecard_periods.default_period(
            pd.Timestamp("2024-01-10"), pd.Timestamp("2024-05-15"), "Q"
        )
        == "Q1 2024"
    )
    chosen = build(inputs.ScorecardSettings(period="Q2 2024"), observation_end="2024-05-15")
    assert chosen.partial and chosen.period_end == pd.Timestamp("2024-05-15")
    # Only A (50, return on 1 May) and C (120) bought by 15 May.
    assert value(chosen, "revenue_per_customer") == pytest.approx((50 - 20 + 120) / 2)


def test_unknown_period_or_length_is_refused_with_the_choices():
    with pytest.raises(ValidationError, match="no period 'Q3 2025'.*Q1 2024 to Q2 2024"):
        build(inputs.ScorecardSettings(period="Q3 2025"))
    with pytest.raises(ValidationError, match="choose Q .quarter. or M .month."):
        build(inputs.ScorecardSettings(frequency="W"))


# --- measures from the transactions --------------------------------------------------------------


def test_revenue_from_new_customers_and_per_customer(card):
    assert value(card, "new_customer_revenue") == pytest.approx(150.0)  # C 120 + D 30
    assert previous(card, "new_customer_revenue") == pytest.approx(300.0)  # A 100 + B 200
    assert value(card, "revenue_per_customer") == pytest.approx(60.0)  # 180 / 3 buyers
    assert previous(card, "revenue_per_customer") == pytest.approx(150.0)  # 300 / 2
    assert value(card, "new_customers") == 2 and previous(card, "new_customers") == 2


def test_retention_and_churn(card):
    # Q1 buyers A and B; only A bought again in Q2.
    assert value(card, "retention_rate") == pytest.approx(0.5)
    assert value(card, "churn_rate") == pytest.approx(0.5)
    assert math.isnan(previous(card, "retention_rate"))  # no quarter before Q1


def test_repeat_revenue_share(card):
    assert value(card, "repeat_revenue_share") == pytest.approx(30 / 180)  # A: 50 - 20
    assert previous(card, "repeat_revenue_share") == pytest.approx(0.0)


def test_products_per_customer_and_cross_sell(card):
    # Q2 categories bought: A {Y} (the return does not count), C {X, Z}, D {X}.
    assert value(card, "products_per_customer") == pytest.approx(4 / 3)
    assert previous(card, "products_per_customer") == pytest.approx(1.0)
    # Returning buyers in Q2: A only, and A bought Y for the first time.
    assert value(card, "cross_sell_rate") == pytest.approx(1.0)
    assert math.isnan(previous(card, "cross_sell_rate"))


def test_previous_period_change(card):
    row = card.row("revenue_per_customer")
    assert row["change"] == pytest.approx(-90.0)
    assert row["change_pct"] == pytest.approx(-0.6)
    assert formats.format_change(row["change"], row["change_pct"], "money") == "-60.0%"
    share = card.row("repeat_revenue_share")
    assert formats.format_change(share["change"], share["change_pct"], "share") == "+16.7 pts"


# --- measures from the customer table ------------------------------------------------------------


def test_cost_per_new_customer_share_of_wallet_and_referrals(card):
    assert value(card, "cost_per_new_customer") == pytest.approx(50.0)  # C; D's cost unknown
    assert previous(card, "cost_per_new_customer") == pytest.approx(20.0)  # (10 + 30) / 2
    # Q2: A 30 + C 120 net revenue, annualised over Q2's 91 days, against wallets 1000 + 360.
    assert value(card, "share_of_wallet") == pytest.approx(150 * 365.25 / 91 / 1360)
    # Q1: B's wallet is 0 (unknown), so only A: 100 over the 82 days from 10 Jan.
    assert previous(card, "share_of_wallet") == pytest.approx(100 * 365.25 / 82 / 1000)
    # Per customer (capped at 100%): Q2 A 30 x 365.25 / 91 / 1000 = 12.0%; C 120 x 365.25 / 91
    # / 360 = 133.8%, counted as 100% and counted as above its wallet. Mean = median of the two.
    a_share = 30 * 365.25 / 91 / 1000
    assert value(card, "wallet_share_mean") == pytest.approx((a_share + 1.0) / 2)
    assert value(card, "wallet_share_median") == pytest.approx((a_share + 1.0) / 2)
    assert value(card, "wallet_over_100") == 1.0
    assert previous(card, "wallet_share_median") == pytest.approx(100 * 365.25 / 82 / 1000)
    assert previous(card, "wallet_over_100") == 0.0
    assert value(card, "referral_revenue_share") == pytest.approx(150 / 180)  # A and C
    assert previous(card, "referral_revenue_share") == pytest.approx(100 / 300)


def test_unsupported_measures_name_the_enabling_column():
    bare = build(full=False, tx=shop().drop(columns=["category"]))
    needs = bare.table.set_index("key")["needs"]
    assert "Acquisition cost" in needs["cost_per_new_customer"]
    assert "Category spend" in needs["share_of_wallet"]
    assert "'Product' or 'Category'" in needs["products_per_customer"]
    assert "'Product' or 'Category'" in needs["cross_sell_rate"]
    assert "Whale Curve" in needs["profit_per_customer"]
    assert "Customer Lifetime Value page" in needs["average_clv"]
    for key in ("cost_per_new_customer", "share_of_wallet", "products_per_customer", "average_clv"):
        assert math.isnan(value(bare, key))
        assert bare.row(key)["status"] == specs.NO_VALUE
    assert needs["revenue_per_customer"] == ""
    table = scorecard_presenting.scorecard_table(bare)
    row = table[table["Measure"] == "Share of wallet (all buyers together)"].iloc[0]
    assert row["Value (Q2 2024)"] == "–"
    assert row["Source / how to enable"].startswith("Needs a 'Category spend'")


def test_typed_value_is_used_only_where_the_data_has_none():
    typed = build(
        inputs.ScorecardSettings(typed=(("satisfaction", 0.72), ("revenue_per_customer", 1.0)))
    )
    assert value(typed, "satisfaction") == pytest.approx(0.72)
    assert typed.row("satisfaction")["source"] == "typed in"
    assert value(typed, "revenue_per_customer") == pytest.approx(60.0)  # computed wins


# --- measures from the other pages' models -------------------------------------------------------


def test_profit_measures_spread_the_pnl_over_periods(card):
    # A: sales 100 in Q1 and 50 in Q2 (cogs 2/3 and 1/3), the return in Q2, one order each (cost-
    # to-serve 20 and 20): Q1 100 - 43.33 - 20 = 36.67, Q2 30 - 21.67 - 20 = -11.67.
    # Q2: A -11.67, C 10, D 10 -> 8.33 over 3 buyers; Q1: A 36.67 + B 90 over 2.
    assert value(card, "profit_per_customer") == pytest.approx((30 - 65 / 3 - 20 + 10 + 10) / 3)
    assert previous(card, "profit_per_customer") == pytest.approx((100 - 130 / 3 - 20 + 90) / 2)
    assert value(card, "unprofitable_share") == pytest.approx(1 / 3)  # A
    assert previous(card, "unprofitable_share") == pytest.approx(0.0)
    assert value(card, "cost_to_serve_share") == pytest.approx((20 + 50 + 5) / 180)
    assert previous(card, "cost_to_serve_share") == pytest.approx((20 + 10) / 300)


def test_period_profit_adds_up_to_the_pnl():
    tx = shop()
    summary = customer_summary(tx, "week")
    start = tx["date"].min()
    index = pd.period_range(start, tx["date"].max(), freq="Q")
    codes = scorecard_periods.period_numbers(tx["date"], "Q") - scorecard_periods.period_number(
        index[0]
    )
    act = activity.period_activity(
        tx, summary, scorecard_periods.Periods(codes, index, start, tx["date"].max())
    )
    pairs = pnl_measures.period_pnl(act, shop_pnl(), summary.index)
    assert pairs["profit"].sum() == pytest.approx(shop_pnl()["profit"].sum())
    assert pairs["net_revenue"].sum() == pytest.approx(480.0)  # 500 sales - 20 returned


def test_segment_contribution_and_breakdowns(card):
    # Q2 profit by segment: Champions A -11.67 + C 10 = -1.67, Lost D 10; total 8.33.
    assert card.row("segment_contribution")["measure"] == "Contribution of the top segment (Lost)"
    assert value(card, "segment_contribution") == pytest.approx(10 / (25 / 3))
    segments = card.breakdowns["segment"].set_index("group")
    assert segments.loc["Champions", "profit"] == pytest.approx(-5 / 3)
    assert segments.loc["Lost", "customers"] == 1
    # Main channels: A and D Online, B and C Phone. Q2 cost-to-serve: A 20 + D 5 on 30 + 30 net
    # revenue, C 50 on 120.
    channel = card.breakdowns["channel"].set_index("group")
    assert channel.loc["Online", "cost_to_serve"] == pytest.approx(25.0)
    assert channel.loc["Online", "cost_to_serve_share"] == pytest.approx(25 / 60)
    assert channel.loc["Phone", "cost_to_serve_share"] == pytest.approx(50 / 120)
    shares = pd.DataFrame({"group": ["Store", "Field"], "cost_to_serve_share": [0.062, 0.682]})
    assert takeaways.channel_takeaway(shares, "Q2 2024") == (
        "Field customers cost 68.2% of their net revenue to serve in Q2 2024, Store 6.2%."
    )


def test_clv_measures(card):
    assert value(card, "average_clv") == pytest.approx(115.0)
    assert value(card, "strategic_accounts") == 1  # Platinum: C
    assert value(card, "premium_customers") == 2  # Platinum and Gold: C, A
    assert value(card, "new_customer_clv") == pytest.approx(155.0)  # C 300, D 10
    assert previous(card, "new_customer_clv") == pytest.approx(75.0)  # A 100, B 50
    assert value(card, "annual_retention") == pytest.approx(0.55)
    assert card.row("average_clv")["snapshot"] and math.isnan(previous(card, "average_clv"))


def test_sources_say_where_numbers_come_from(card):
    assert card.row("profit_per_customer")["source"] == "test P&L"
    assert card.row("new_customers")["source"] == "transactions"
    assert card.row("cost_per_new_customer")["source"] == "customer table"


# --- targets and status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value_", "target", "better", "expected"),
    [
        (100.0, 100.0, "higher", specs.ON_TARGET),
        (96.0, 100.0, "higher", specs.WATCH),
        (95.0, 100.0, "higher", specs.WATCH),  # exactly at the 5% band
        (94.0, 100.0, "higher", specs.OFF_TARGET),
        (0.20, 0.25, "lower", specs.ON_TARGET),
        (0.26, 0.25, "lower", specs.WATCH),  # within 5% of 0.25 = 0.0125
        (0.27, 0.25, "lower", specs.OFF_TARGET),
        (-4.0, -5.0, "higher", specs.ON_TARGET),
        (-5.2, -5.0, "higher", specs.WATCH),
        (50.0, math.nan, "higher", specs.NO_TARGET),
        (math.nan, 10.0, "higher", specs.NO_VALUE),
    ],
)
def test_status_logic(value_, target, better, expected):
    assert scorecard_build.measure_status(value_, target, better, 0.05) == expected


def test_targets_give_statuses_in_the_table():
    targets = (("revenue_per_customer", 62.0), ("churn_rate", 0.5), ("new_customers", 3.0))
    card = build(inputs.ScorecardSettings(targets=targets))
    assert card.row("revenue_per_customer")["status"] == specs.WATCH  # 60 vs 62, within 3.1
    assert card.row("churn_rate")["status"] == specs.ON_TARGET  # lower is better, 0.5 <= 0.5
    assert card.row("new_customers")["status"] == specs.OFF_TARGET  # 2 < 3 * 0.95
    assert card.row("profit_per_customer")["status"] == specs.NO_TARGET
    wide = build(inputs.ScorecardSettings(targets=targets, watch_band=0.5))
    assert wide.row("new_customers")["status"] == specs.WATCH


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("35%", "share", 0.35), ("35", "share", 0.35), ("€1,200", "money", 1200.0),
     ("4.5 days", "days", 4.5), ("-3", "money", -3.0), ("", "money", None), (None, "share", None)],
)  # fmt: skip
def test_parse_value(text, unit, expected):
    assert scorecard_presenting.parse_value(text, unit) == (
        pytest.approx(expected) if expected is not None else None
    )


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("1.200", "money", 1200.0), ("1.234,50 €", "money", 1234.5), ("35,5 %", "share", 0.355),
     ("4,5 Tage", "days", 4.5), ("-3", "money", -3.0)],
)  # fmt: skip
def test_parse_value_reads_german_as_the_german_page_shows_numbers(text, unit, expected):
    from cvm_core import i18n

    i18n.use("de")
    try:
        assert scorecard_presenting.parse_value(text, unit) == pytest.approx(expected)
    finally:
        i18n.use("en")


def test_parse_value_refuses_text_without_a_number():
    with pytest.raises(ValidationError, match="'lots' is not a number"):
        scorecard_presenting.parse_value("lots", "money")


# --- scenarios -----------------------------------------------------------------------------------


def test_scenarios_project_affected_measures():
    # The fixes cut C's cost-to-serve from 50 to 0 (profit 10 -> 60); the CLV treatments add 40.
    after = shop_pnl().assign(kept=True)
    after.loc["C", ["cost_to_serve", "profit"]] = [0.0, 60.0]
    what_if = inputs.Scenarios(
        whale_pnl=after, whale_label="fixes", clv_incremental=40.0, clv_label="t"
    )
    card = build(scenarios=what_if)
    assert card.row("profit_per_customer")["projected"] == pytest.approx(
        (30 - 65 / 3 - 20 + 60 + 10) / 3
    )
    assert card.row("cost_to_serve_share")["projected"] == pytest.approx(25 / 180)
    assert card.row("average_clv")["projected"] == pytest.approx(115.0 + 40.0 / 4)
    assert math.isnan(card.row("new_customers")["projected"])  # not affected
    assert card.scenario_labels == ("fixes", "t")


def test_parting_with_customers_drops_them_from_the_projection():
    after = shop_pnl().assign(kept=True)
    after.loc["A", ["revenue", "returns", "cogs", "cost_to_serve", "profit"]] = 0.0
    after.loc["A", "kept"] = False
    card = build(scenarios=inputs.Scenarios(whale_pnl=after))
    assert card.row("profit_per_customer")["projected"] == pytest.approx(20 / 2)  # C 10, D 10
    assert card.row("unprofitable_share")["projected"] == pytest.approx(0.0)


def test_replay_pnl_adds_the_change_to_the_pages_pnl():
    base = shop_pnl().assign(cost_to_serve=lambda f: f["cost_to_serve"] * 2)  # edited rates
    before = shop_pnl()
    after = before.assign(profit=before["profit"] + 5.0, kept=[True, True, False, True])
    replayed = pnl_measures.replay_pnl(base, before, after)
    assert replayed["profit"].tolist() == pytest.approx((before["profit"] + 5.0).tolist())
    assert replayed["cost_to_serve"].tolist() == base["cost_to_serve"].tolist()
    assert replayed["kept"].tolist() == [True, True, False, True]
    assert pnl_measures.replay_pnl(before, before, after)["profit"].equals(after["profit"])


# --- presenting ----------------------------------------------------------------------------------


def test_scorecard_table_for_slides_and_workbooks(card):
    table = scorecard_presenting.scorecard_table(card)
    assert list(table.columns) == [
        "Perspective", "Measure", "Definition", "Value (Q2 2024)", "Previous (Q1 2024)", "Change",
        "Target", "Status", "Scenario", "Source / how to enable",
    ]  # fmt: skip
    assert len(table) == len(specs.MEASURES)
    row = table.set_index("Measure").loc["Revenue per customer"]
    assert (row["Value (Q2 2024)"], row["Previous (Q1 2024)"], row["Change"]) == (
        "€60",
        "€150",
        "-60.0%",
    )
    assert (
        table.set_index("Measure").loc["Average customer lifetime value", "Previous (Q1 2024)"]
        == "snapshot"
    )
    assert not table.astype(str).apply(lambda c: c.str.contains(r"\bnan\b|\binf\b")).any().any()
    numbers = scorecard_presenting.scorecard_table(card, formatted=False).set_index("Measure")
    assert numbers.loc["Revenue per customer", "Value (Q2 2024)"] == pytest.approx(60.0)
    assert numbers.loc["Revenue per customer", "Unit"] == "EUR"
    assert numbers.loc["Customers highly satisfied", "Value (Q2 2024)"] is None


def test_trends_and_takeaway(card):
    trend = card.trends[card.trends["key"] == "revenue_per_customer"]
    assert trend["period"].tolist() == ["Q1 2024", "Q2 2024"]
    assert trend["value"].tolist() == pytest.approx([150.0, 60.0])
    assert trend["label"].tolist() == ["€150", "€60"]
    assert trend["score"].tolist() == pytest.approx([1.0, -1.0])  # higher is better: Q2 worse
    churn = card.trends[card.trends["key"] == "churn_rate"]
    assert churn["score"].tolist() == [0.0]  # one period: no spread
    assert np.isfinite(card.trends["value"]).all()
    text = takeaways.takeaway(card)
    assert "improved on Q1 2024" in text and "biggest move" in text


def test_monthly_periods():
    monthly = build(inputs.ScorecardSettings(frequency="M"))
    assert monthly.period == "Jun 2024" and monthly.previous_period == "May 2024"
    assert value(monthly, "revenue_per_customer") == pytest.approx(30.0)  # D only
    # May has only A's return and no buyer: no revenue per customer, no one to retain in June.
    assert math.isnan(previous(monthly, "revenue_per_customer"))
    assert math.isnan(value(monthly, "retention_rate"))
    assert previous(monthly, "new_customers") == 0


# --- command line --------------------------------------------------------------------------------


def test_command_line_json(tmp_path, capsys):
    frame = shop().drop(columns=["is_return"])
    frame.columns = ["Customer ID", "Date", "Order ID", "Revenue", "Category", "Channel"]
    path = tmp_path / "shop.csv"
    frame.to_csv(path, index=False)
    code = main(
        [
            "scorecard",
            str(path),
            "--json",
            "--target",
            "retention_rate=40%",
            "--value",
            "satisfaction=72",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"] == "Q2 2024" and out["previous_period"] == "Q1 2024"
    rows = {m["key"]: m for m in out["measures"]}
    assert rows["revenue_per_customer"]["value"] == pytest.approx(60.0)
    assert rows["retention_rate"]["target"] == pytest.approx(0.4)
    assert rows["retention_rate"]["status"] == specs.ON_TARGET
    assert rows["satisfaction"]["value"] == pytest.approx(0.72)
    assert rows["satisfaction"]["source"] == "typed in"
    assert rows["cost_per_new_customer"]["value"] is None
    assert "Acquisition cost" in rows["cost_per_new_customer"]["needs"]
    assert any(n.startswith("CLV measures left out") for n in out["notes"])  # 4 customers


def test_command_line_refuses_an_unknown_measure(tmp_path, capsys):
    path = tmp_path / "shop.csv"
    shop().drop(columns=["is_return"]).to_csv(path, index=False)
    assert main(["scorecard", str(path), "--target", "happiness=3"]) == 2
    assert "--target takes MEASURE=VALUE" in capsys.readouterr().err


def test_charts_build_from_the_scorecard(card):
    from cvm_core.analyses.scorecard import charts

    spec = charts.trend_heatmap(card.trends).to_dict()
    assert spec["layer"][0]["mark"]["type"] == "rect"
    assert spec["layer"][1]["encoding"]["text"]["field"] == "label"
    channel = charts.channel_chart(card.breakdowns["channel"], "EUR").to_dict()
    assert channel["layer"][0]["encoding"]["x"]["axis"]["format"] == "%"
    segment = charts.segment_chart(card.breakdowns["segment"], "EUR").to_dict()
    assert segment["encoding"]["x"]["title"] == "Operating profit in the period (EUR)"
    assert "Lost earn 120% of operating profit in Q2 2024" in takeaways.segment_takeaway(
        card.breakdowns["segment"], card.period
    )


# --- the fast counting used at millions of rows (issue 8) ----------------------------------------


@pytest.mark.parametrize("cells", [0, 8], ids=["hashed", "table of flags"])
def test_distinct_items_per_group_by_hand(monkeypatch, cells):
    # Group 0 has items 4, 4, 2 (2 distinct); group 1 has 4, 4 (1); group 2 has 2, 7, 7 (2);
    # group 3 has none. Item 4 spans groups 0 and 1, item 2 groups 0 and 2.
    monkeypatch.setattr(activity, "_TABLE_BYTES_PER_ROW", cells)
    group = np.array([0, 0, 1, 2, 0, 1, 2, 2])
    item = np.array([4, 4, 4, 2, 2, 4, 7, 7])
    assert activity.distinct_per_group(group, item, 4).tolist() == [2.0, 1.0, 2.0, 0.0]
    assert activity.distinct_per_group(group[:0], item[:0], 3).tolist() == [0.0, 0.0, 0.0]


_DEMO_Q4_2024 = {  # written down from the code before the counting was made linear (aa0b876)
    "new_customer_revenue": (79055.08999999997, 133581.92999999996),
    "revenue_per_customer": (718.6793078324241, 695.6112000000021),
    "profit_per_customer": (108.8462645810566, 115.89082771911112),
    "cost_to_serve_share": (0.19235986526621413, 0.17618950486093632),
    "repeat_revenue_share": (0.8998173866483591, 0.8293019242166703),
    "referral_revenue_share": (0.22420048776983967, 0.2340086531096676),
    "unprofitable_share": (0.2887067395264117, 0.2773333333333333),
    "new_customers": (204.0, 247.0),
    "cost_per_new_customer": (178.6175490196078, 156.0216194331984),
    "retention_rate": (0.6506666666666666, 0.644901610017889),
    "churn_rate": (0.3493333333333334, 0.35509838998211096),
    "products_per_customer": (6.2076502732240435, 6.091555555555556),
    "cross_sell_rate": (0.26174496644295303, 0.2835990888382688),
    "share_of_wallet": (0.2706756687645095, 0.24336709738139),
}


@pytest.mark.parametrize("table_bytes", [0, 8], ids=["hashed", "tables indexed by code"])
def test_scorecard_on_the_demo_data_is_unchanged_by_the_fast_counting(monkeypatch, table_bytes):
    from cvm_core.analyses.profitability import analysis
    from cvm_core.intake import demo_workbook
    from cvm_core.intake.dataset import load_file

    monkeypatch.setattr(activity, "_TABLE_BYTES_PER_ROW", table_bytes)
    dataset = load_file(
        demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), demo_workbook.DEMO_WORKBOOK_PATH.name
    )
    tx = dataset.transactions
    summary = customer_summary(tx)
    pnl = analysis.analyse(summary, tx, None, dataset.cost_to_serve).result.pnl
    models = inputs.ModelInputs(pnl[["revenue", "returns", "cogs", "cost_to_serve", "profit"]])
    card = scorecard_build.build_scorecard(tx, summary, dataset.customers, models)
    assert card.period == "Q4 2024"
    table = card.table.set_index("key")
    measured = table.loc[table["value"].notna(), ["value", "previous"]]
    # Measures added since (the per-customer share of wallet) have hand-computed tests above.
    measured = measured.loc[[k for k in measured.index if k in _DEMO_Q4_2024]]
    assert {k: tuple(v) for k, v in measured.iterrows()} == _DEMO_Q4_2024


def test_default_retention_is_measured_to_the_observation_end():
    # Two customers buying monthly through March 2024; the end is three months later. Measured
    # to the end, nobody has bought within the churn window, so nobody active a year earlier is
    # retained; measured to the last purchase (the old behaviour) both were.
    dates = pd.date_range("2023-01-15", "2024-03-15", freq="MS") + pd.Timedelta(days=14)
    tx = pd.DataFrame(
        {
            "customer_id": np.repeat(["A", "B"], len(dates)),
            "date": np.tile(dates, 2),
            "revenue": 10.0,
            "is_return": False,
        }
    )
    end = pd.Timestamp("2024-06-30")
    summary = customer_summary(tx, "week", end)
    # Both are churned too (silent since mid-March, the window is a month): active share 0.
    assert defaults.default_retention(AnalysisInputs(tx, summary, end)) == (0.0, 0.0)
    last = tx["date"].max()
    # Measured to the last purchase both are retained and active.
    assert defaults.default_retention(AnalysisInputs(tx, customer_summary(tx, "week"), last)) == (
        1.0,
        1.0,
    )


def test_one_default_retention_run_serves_the_figures_and_the_at_risk_list():
    # The Scorecard page runs the default retention once, with the CLV (the at-risk list shows
    # each customer's P(alive) from it), and reads annual retention and the active share from that run. The default churn
    # rule is inactivity, so those figures must not move with the CLV given.
    from cvm_core.intake import demo_workbook

    inputs = AnalysisInputs.of(demo_workbook.demo_dataset())
    ids = inputs.summary.index
    clv = pd.DataFrame(
        {"p_alive": 0.25, "clv": np.arange(len(ids), dtype=float), "tier": "Top"}, index=ids
    )
    with_clv = defaults.default_retention_result(inputs.with_results(clv=clv))
    assert (with_clv.annual_retention, with_clv.active.share) == defaults.default_retention(inputs)
    assert len(with_clv.at_risk) > 0
    assert set(with_clv.at_risk["p_alive"]) == {0.25}
