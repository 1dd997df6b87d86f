"""Whale curve, key points, downsampling, drill-down, what-if levers and the command line.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvm_core.__main__ import main
from cvm_core.analyses.profitability import curve as profitability_curve
from cvm_core.analyses.profitability import drilldown, scenario_base
from cvm_core.analyses.profitability import takeaways as profitability_takeaways
from cvm_core.analyses.profitability import whatif as whale_whatif
from cvm_core.analyses.profitability.curve import whale_curve
from cvm_core.analyses.profitability.pnl import customer_pnl
from cvm_core.analyses.profitability.whatif import apply_scenario
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.errors import ValidationError
from cvm_core.intake.summary import customer_summary
from tests.unit.test_profitability import NAN, shop_activities, shop_service, shop_transactions


def curve_of(values: list[float], ids: list[str] | None = None) -> profitability_curve.WhaleCurve:
    ids = ids or [f"c{i}" for i in range(len(values))]
    return whale_curve(pd.Series(values, index=ids, dtype=float))


# --- the curve -----------------------------------------------------------------------------------


def test_curve_points_and_key_figures_by_hand():
    # Given in scrambled order; ranked: 50, 30, 10, -5, -15. Total 70.
    # Cumulative 50, 80, 90, 85, 70 -> 71.4%, 114.3%, 128.6%, 121.4%, 100%.
    curve = curve_of([10, -15, 50, -5, 30], ["c", "e", "a", "d", "b"])
    points = curve.points
    assert list(points["customer_id"][1:]) == ["a", "b", "c", "d", "e"]
    np.testing.assert_allclose(points["cum_profit"], [0, 50, 80, 90, 85, 70])
    np.testing.assert_allclose(
        points["cum_profit_pct"], [0, 50 / 70, 80 / 70, 90 / 70, 85 / 70, 1.0]
    )
    np.testing.assert_allclose(points["customer_share"], [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    s = curve.summary
    assert s.total_profit == 70
    assert s.peak_profit == 90 and s.peak_share == 0.6
    assert s.peak_pct == pytest.approx(90 / 70)
    assert s.break_even_share == 0.4  # the top two (80) already earn all 70
    assert s.loss_start_share == 0.6  # the 4th customer is the first to lose money
    assert s.unprofitable == 2 and s.unprofitable_share == 0.4
    assert s.tail_loss == 20
    assert s.top_share == 0.2 and s.top_profit_pct == pytest.approx(50 / 70)
    assert not s.all_profitable and s.meaningful


def test_curve_ends_exactly_at_100_percent():
    rng = np.random.default_rng(3)
    profit = rng.normal(50, 400, 10_001)
    profit[0] = 1e7  # keep the total positive
    curve = curve_of(list(profit))
    assert curve.points["cum_profit_pct"].iloc[-1] == 1.0  # exactly, not approximately


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60).filter(
        lambda v: sum(v) > 0
    )
)
def test_all_profitable_never_exceeds_100_percent(values):
    curve = curve_of(values)
    assert curve.points["cum_profit_pct"].max() <= 1.0
    assert curve.points["cum_profit_pct"].iloc[-1] == 1.0
    assert curve.summary.all_profitable
    assert curve.summary.peak_pct == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e5, 1e5, allow_nan=False), min_size=1, max_size=60))
def test_key_points_are_consistent_for_any_profits(values):
    curve = curve_of(values)
    s = curve.summary
    assert s.unprofitable == sum(v < 0 for v in values)
    assert s.tail_loss >= 0
    assert s.peak_profit >= max(s.total_profit, 0.0) - 1e-6
    if s.meaningful:
        assert curve.points["cum_profit_pct"].iloc[-1] == 1.0
        assert s.break_even_share <= s.loss_start_share or s.all_profitable
    else:
        assert s.peak_pct is None and "cum_profit_pct" not in curve.points


def test_all_profitable_is_said_in_words():
    curve = curve_of([5, 3, 2])
    assert curve.summary.all_profitable
    assert "never goes above" in curve.summary.explanation()
    marks = profitability_curve.key_point_marks(curve)
    assert list(marks["key"]) == ["end", "top"]


def test_total_loss_is_explained_not_drawn_as_percentages():
    curve = curve_of([10, -30])
    s = curve.summary
    assert not s.meaningful
    assert s.peak_pct is None and s.break_even_share is None and s.top_profit_pct is None
    assert "cum_profit_pct" not in curve.points
    text = s.explanation("EUR")
    assert "-€20" in text and "lose money" in text and "in EUR instead" in text
    marks = profitability_curve.key_point_marks(curve)
    assert "cum_profit_pct" not in marks and marks.loc[0, "cum_profit"] == 10


@pytest.mark.parametrize("values", [[10, -10], [0, 0], [0]])
def test_zero_total_profit_does_not_divide_by_zero(values):
    curve = curve_of(values)
    assert not curve.summary.meaningful
    assert "break exactly even" in curve.summary.explanation()
    chart = profitability_curve.chart_points(curve)
    assert np.isfinite(chart["cum_profit"]).all()


def test_empty_or_missing_profits_are_refused():
    with pytest.raises(ValidationError, match="no customers"):
        whale_curve(pd.Series([], dtype=float))
    with pytest.raises(ValidationError, match="missing"):
        whale_curve(pd.Series([1.0, np.nan]))


def test_profit_versus_revenue_shares():
    # Ranked by profit: a (profit 50, revenue 100), b (30, 300), c (-10, 100). Revenue total 500.
    profit = pd.Series([30.0, 50.0, -10.0], index=["b", "a", "c"])
    revenue = pd.Series([100.0, 300.0, 100.0], index=["a", "b", "c"])
    points = whale_curve(profit, revenue).points
    np.testing.assert_allclose(points["cum_revenue_share"], [0, 0.2, 0.8, 1.0])


# --- downsampling --------------------------------------------------------------------------------


def test_downsampling_keeps_peak_zero_crossing_and_ends_exactly():
    rng = np.random.default_rng(11)
    profit = np.concatenate([rng.gamma(1.0, 400.0, 30_000), -rng.gamma(1.0, 150.0, 9_000)])
    curve = curve_of(list(profit))
    chart = profitability_curve.chart_points(curve, max_points=2000)
    assert len(chart) <= 2000
    full = curve.points.set_index("rank")
    for key in ("start", "end", "peak", "loss_start", "break_even", "top"):
        rank = curve.key_ranks[key]
        row = chart[chart["rank"] == rank].iloc[0]
        assert row["cum_profit"] == full.loc[rank, "cum_profit"]
        assert row["customer_share"] == full.loc[rank, "customer_share"]
    assert chart["cum_profit_pct"].max() == curve.summary.peak_pct
    assert chart["cum_profit_pct"].iloc[-1] == 1.0 and chart["customer_share"].iloc[-1] == 1.0
    # The seam between the green and red parts is in both zones.
    seam = chart[chart["rank"] == curve.key_ranks["loss_start"]]
    assert set(seam["zone"]) == {profitability_curve.PROFITABLE_ZONE, profitability_curve.LOSS_ZONE}


def test_downsampling_keeps_where_cumulative_profit_turns_negative():
    curve = curve_of([100.0] * 10 + [-1.0] * 5000)
    crossing = curve.key_ranks["zero_crossing"]
    assert crossing == 1011  # 10 x 100 of profit; the 1,001st loss of 1 takes it below zero
    ranks = profitability_curve.downsample_ranks(5010, list(curve.key_ranks.values()), 300)
    assert crossing in ranks and len(ranks) <= 300


def test_small_curves_are_not_downsampled():
    assert list(profitability_curve.downsample_ranks(4, [2], 2000)) == [0, 1, 2, 3, 4]


# --- segments and drill-down ---------------------------------------------------------------------


@pytest.fixture
def shop():
    tx = shop_transactions()
    return customer_pnl(customer_summary(tx), tx, shop_activities(), shop_service())


def test_segment_curves_by_channel(shop):
    curves = drilldown.segment_curves(shop.pnl, shop.pnl["main_channel"])
    # Phone (only C, -19) loses money: it is left out of the chart with a note, kept in the table.
    assert set(curves.points["group"]) == {"Field sales", "Online"}
    assert any("'Phone' is not drawn" in note for note in curves.notes)
    table = curves.table.set_index("group")
    assert table.loc["Phone", "profit"] == -19.0
    assert np.isnan(table.loc["Phone", "peak_pct"])
    assert table.loc["Online", "peak_pct"] == 1.0


def test_small_groups_are_combined_into_other(shop):
    groups = pd.Series(["x", "y", "z"], index=shop.pnl.index)
    curves = drilldown.segment_curves(shop.pnl, groups, max_groups=2)
    assert set(curves.table["group"]) == {"x", "Other"}


def test_grouping_options_use_attributes_tiers_and_segments(shop):
    customers = pd.DataFrame(
        {
            "region": ["North", "South", "North"],
            "customer_name": ["a", "b", "c"],
            "constant": ["k"] * 3,
        },
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    tiers = pd.Series(["Gold", "Gold", "Lead"], index=["A", "B", "C"])
    options = drilldown.grouping_options(shop.pnl, customers, tiers=tiers)
    assert list(options) == [
        "Main channel",
        "Order size (average order value)",
        "Value tier (CLV)",
        "Region",
    ]


def test_loss_makers_show_what_makes_them_unprofitable(shop):
    table = drilldown.loss_makers(shop)
    assert list(table["customer_id"]) == ["C"]
    row = table.iloc[0]
    assert row["biggest_cost"] == "Calls"
    assert row["biggest_cost_share"] == pytest.approx(20 / 39)
    assert row["Small orders"] == 6.0
    drivers = drilldown.loss_drivers(shop).set_index("activity")
    # Calls: C 20 for one loss-maker; A 8 + B 0 over two profitable customers = 4 each.
    assert drivers.loc["Calls", "per_loss_maker"] == 20.0
    assert drivers.loc["Calls", "per_profitable_customer"] == 4.0
    assert drivers.loc["Calls", "ratio"] == 5.0
    assert "Pallets" not in drivers.index


def test_worst_customers_long_frame(shop):
    long = drilldown.worst_customers_costs(shop, count=5)
    assert set(long["customer_id"]) == {"C"}
    assert long["cost"].sum() == 39.0
    assert (long["gross_margin"] == 20.0).all()


def test_channel_order_costs(shop):
    costs = drilldown.channel_order_costs(shop).set_index("channel")
    assert costs["cost_per_order"].to_dict() == {"Phone": 4.0, "Online": 1.0, "Field sales": 0.0}
    assert costs.loc["Phone", "orders"] == 3.0


# --- what-if -------------------------------------------------------------------------------------
# Today: A 28.5, B 97.5, C -19; total 107.


def test_unchanged_scenario_reproduces_today(shop):
    outcome = apply_scenario(shop, WhaleScenario())
    np.testing.assert_array_equal(outcome.pnl["profit"], shop.pnl["profit"])
    assert outcome.profit_after == outcome.profit_before == pytest.approx(107.0)
    assert list(outcome.steps["step"]) == ["Profit today", "Profit after the fixes"]


def test_price_increase_for_everyone(shop):
    # +10% on net revenue: A 150 -> +15, B 500 -> +50, C 55 -> +5.5; cost of goods unchanged.
    outcome = apply_scenario(shop, WhaleScenario(target="all", price_increase=0.10))
    assert outcome.profit_after == pytest.approx(107 + 70.5)
    assert outcome.pnl.loc["C", "profit"] == pytest.approx(-13.5)


def test_price_increase_for_the_unprofitable_only(shop):
    outcome = apply_scenario(shop, WhaleScenario(price_increase=0.10))
    assert outcome.target_customers == 1
    assert outcome.profit_after == pytest.approx(107 + 5.5)


def test_channel_migration(shop):
    # Half of the phone orders go online: A moves 0.5 (saves 0.5 x (4 - 1) = 1.5), C moves 1 (3).
    outcome = apply_scenario(
        shop,
        WhaleScenario(target="all", migrate_share=0.5, migrate_from="Phone", migrate_to="Online"),
    )
    assert outcome.profit_after == pytest.approx(107 + 4.5)
    assert outcome.pnl.loc["A", "cost_to_serve"] == pytest.approx(30.0)


def test_small_order_surcharge(shop):
    # 2 per order below 50: A has one (20), C two (30, 25) -> +6 of revenue.
    scenario = WhaleScenario(
        target="all", small_order_policy="surcharge", order_limit=50, surcharge=2
    )
    assert apply_scenario(shop, scenario).profit_after == pytest.approx(113.0)


def test_minimum_order_value_bundles_small_orders(shop):
    # C's orders of 30 and 25 become 55 / 50 = 1.1 orders: 0.9 fewer orders saves 0.9 x 2 on order
    # processing and 0.9 x 4 on phone orders; none is small any more, saving 2 x 3. Total 11.4.
    scenario = WhaleScenario(small_order_policy="minimum", order_limit=50)
    outcome = apply_scenario(shop, scenario)
    assert outcome.pnl.loc["C", "profit"] == pytest.approx(-19 + 11.4)
    assert outcome.pnl.loc["A", "profit"] == 28.5  # not in the target group


def test_minimum_below_the_small_order_threshold_keeps_bundles_small(shop):
    # Minimum 28: only C's order of 25 is bundled into 25/28 of an order, which is still below the
    # small-order threshold of 50: orders 2 -> 1 + 25/28, small orders 2 -> 1 + 25/28.
    outcome = apply_scenario(shop, WhaleScenario(small_order_policy="minimum", order_limit=28))
    saved = (1 - 25 / 28) * (2 + 4 + 3)
    assert outcome.pnl.loc["C", "profit"] == pytest.approx(-19 + saved)


def test_lower_service_level_on_chosen_activities(shop):
    scenario = WhaleScenario(service_cut=0.5, service_activities=("Calls",))
    assert apply_scenario(shop, scenario).pnl.loc["C", "cost_to_serve"] == pytest.approx(29.0)
    everything = apply_scenario(shop, WhaleScenario(service_cut=0.5))
    assert everything.pnl.loc["C", "cost_to_serve"] == pytest.approx(19.5)


def test_parting_with_the_unprofitable(shop):
    outcome = apply_scenario(shop, WhaleScenario(part_with=1.0))
    assert outcome.profit_after == pytest.approx(126.0)
    assert outcome.after.customers == 2 and outcome.after.all_profitable
    assert not outcome.pnl.loc["C", "kept"] and outcome.pnl.loc["C", "revenue"] == 0.0
    # The new curve ends earlier: two of today's three customers.
    after = outcome.curves[outcome.curves["curve"] == "After the fixes"]
    assert after["customer_share"].max() == pytest.approx(2 / 3)


def test_parting_with_the_bottom_share_of_everyone(shop):
    # Bottom third of all customers = C.
    outcome = apply_scenario(shop, WhaleScenario(target="all", part_with=1 / 3))
    assert outcome.profit_after == pytest.approx(126.0)


def test_churn_is_an_expected_value(shop):
    outcome = apply_scenario(shop, WhaleScenario(churn=0.5))
    assert outcome.pnl.loc["C", "profit"] == pytest.approx(-9.5)


def test_waterfall_adds_up_in_lever_order(shop):
    scenario = WhaleScenario(target="all", price_increase=0.10, churn=0.5)
    steps = apply_scenario(shop, scenario).steps
    assert list(steps["step"]) == [
        "Profit today",
        "Price increase",
        "Customers lost",
        "Profit after the fixes",
    ]
    # Price: 107 -> 177.5 (+70.5); then half of everyone's profit goes: -88.75.
    np.testing.assert_allclose(steps["delta"], [107.0, 70.5, -88.75, 88.75])
    assert steps["delta"].iloc[0] + steps["delta"].iloc[1:-1].sum() == pytest.approx(
        steps["end"].iloc[-1]
    )


def test_assumptions_cover_the_active_levers(shop):
    scenario = WhaleScenario(
        target="all", price_increase=0.05, small_order_policy="minimum", order_limit=40
    )
    text = " ".join(apply_scenario(shop, scenario, currency="EUR").assumptions)
    assert "same volumes" in text and "minimum order value of €40" in text
    assert "contribution is measured after" in text


def test_tier_target(shop):
    tiers = pd.Series(["Gold", "Gold", "Lead"], index=["A", "B", "C"])
    outcome = apply_scenario(shop, WhaleScenario(target="tier:Gold", price_increase=0.1), tiers)
    assert outcome.profit_after == pytest.approx(107 + 65)
    with pytest.raises(ValidationError, match="CLV page"):
        apply_scenario(shop, WhaleScenario(target="tier:Gold"))


@pytest.mark.parametrize(
    "scenario",
    [WhaleScenario(churn=1.5), WhaleScenario(price_increase=-0.1), WhaleScenario(small_order_policy="x"),
     WhaleScenario(surcharge=-1), WhaleScenario(target="nobody")],
)  # fmt: skip
def test_bad_scenarios_are_refused(shop, scenario):
    with pytest.raises(ValidationError):
        apply_scenario(shop, scenario)


# --- command line --------------------------------------------------------------------------------


def test_command_line_prints_the_key_figures(tmp_path, capsys):
    tx = shop_transactions().drop(columns=["is_return"])
    service = shop_service().reset_index()
    book = tmp_path / "shop.xlsx"
    with pd.ExcelWriter(book, engine="xlsxwriter") as writer:
        tx.rename(columns={"customer_id": "Customer ID", "date": "Date", "revenue": "Revenue",
                           "cost": "Cost of goods", "quantity": "Quantity", "order_id": "Order ID",
                           "channel": "Channel"}).to_excel(writer, sheet_name="Sales", index=False)  # fmt: skip
        service.rename(columns={"customer_id": "Customer ID"}).to_excel(
            writer, sheet_name="Service", index=False
        )
    rates = tmp_path / "rates.csv"
    shop_activities().to_csv(rates, index=False)
    assert main(["whale", str(book), "--activities", str(rates), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total_profit"] == 107.0
    assert out["peak_pct"] == round(126 / 107 * 100, 2)  # B 97.5 + A 28.5 = 126
    assert out["customers_at_peak_pct"] == round(200 / 3, 2)
    assert out["break_even_pct"] == round(200 / 3, 2)
    assert out["unprofitable_pct"] == round(100 / 3, 2)
    assert out["cost_to_serve_by_activity"]["Calls"] == 28.0
    assert out["totals"]["cost_to_serve"] == 173.0


def test_command_line_reports_a_bad_activity_file(tmp_path, capsys):
    tx = shop_transactions().drop(columns=["is_return"])
    sales = tmp_path / "sales.csv"
    tx.to_csv(sales, index=False)
    rates = tmp_path / "rates.csv"
    rates.write_text("Activity,Cost driver,Cost per driver unit\nOrders,Orders,-2\n")
    assert main(["whale", str(sales), "--activities", str(rates)]) == 2
    assert "negative" in capsys.readouterr().err


# --- edge cases and takeaways --------------------------------------------------------------------


def test_every_customer_unprofitable_is_explained():
    curve = curve_of([-10, -30, -5])
    s = curve.summary
    assert not s.meaningful and s.unprofitable == 3 and s.peak_profit == 0.0
    text = s.explanation("EUR")
    assert "-€45" in text and "no customer makes a profit" in text
    assert s.takeaway("EUR") == "Every customer loses money after cost-to-serve: -€45 in total"
    marks = profitability_curve.key_point_marks(curve)
    assert list(marks["key"]) == ["end"]  # no peak to mark: the curve only falls
    assert marks.loc[0, "label"] == "Total -€45" and marks.loc[0, "cum_profit"] == -45


def test_a_single_customer():
    s = curve_of([12.0]).summary
    assert s.meaningful and s.all_profitable and s.peak_pct == 1.0 and s.top_profit_pct == 1.0


def test_takeaways_by_hand(shop):
    curve = whale_curve(shop.pnl["profit"], shop.pnl["net_revenue"])
    # Top fifth of 3 customers = B alone: 97.5 / 107 = 91%; C (1 of 3) loses 19.
    assert curve.summary.takeaway("EUR") == (
        "Top 33% of customers earn 91% of profit; the 33% who are unprofitable lose €19"
    )
    # The profitable two (B, A) bring (500 + 150) / 705 = 92% of net revenue, 126 / 107 = 118%.
    assert profitability_takeaways.revenue_takeaway(curve) == (
        "The profitable 67% of customers bring 92% of revenue and 118% of profit"
    )
    table = drilldown.segment_curves(shop.pnl, shop.pnl["main_channel"]).table
    assert profitability_takeaways.group_takeaway(table, "Main channel", "EUR") == (
        "Phone (main channel) loses €19 after cost-to-serve; Field sales earns the most, €98 "
        "(91% of the total)"  # total profit 107: 97.5 / 107
    )
    assert profitability_takeaways.group_takeaway(table, "RFM segment", "EUR").startswith(
        "Phone (RFM segment) loses"
    )
    assert profitability_takeaways.activity_takeaway(shop.activities, "EUR") == (
        "Visits is 58% of cost-to-serve (€100 of €173)"
    )
    drivers = drilldown.loss_drivers(shop)  # C's largest cost is calls: 20 against 4 per other one
    assert profitability_takeaways.loss_driver_takeaway(drivers, "EUR") == (
        "Calls costs €20 per loss-making customer, against €4 per profitable one"
    )
    worst = drilldown.worst_customers_costs(shop)
    assert profitability_takeaways.worst_customers_takeaway(worst, "EUR", 107.0) == (
        "The loss-maker loses €19, 17.8% of the €107 operating profit; its largest cost "
        "is Calls"  # 19 / 107
    )


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2_001, 30_000),
    st.floats(0.05, 0.95),
    st.integers(0, 2**31 - 1),
)
def test_downsampled_chart_keeps_peak_and_ends_for_any_curve(n, profitable, seed):
    rng = np.random.default_rng(seed)
    k = int(n * profitable)
    profit = np.concatenate([rng.gamma(0.8, 300.0, k), -rng.gamma(0.8, 100.0, n - k)])
    curve = curve_of(list(profit))
    chart = profitability_curve.chart_points(curve, max_points=2000)
    assert len(chart) <= 2000
    full = curve.points["cum_profit"].to_numpy()
    assert chart["cum_profit"].max() == full.max()  # the peak, exactly
    assert chart["cum_profit"].iloc[0] == 0.0 and chart["rank"].iloc[-1] == n
    assert chart["cum_profit"].iloc[-1] == full[-1]
    if curve.summary.meaningful:
        assert chart["cum_profit_pct"].iloc[-1] == 1.0


def test_tier_target_with_categorical_tiers_and_customers_without_a_tier(shop):
    # Tiers as the CLV page publishes them: ordered categories; A has no tier.
    tiers = pd.Series(
        pd.Categorical(["Gold", "Lead"], categories=["Platinum", "Gold", "Lead"], ordered=True),
        index=["B", "C"],
    )
    outcome = apply_scenario(shop, WhaleScenario(target="tier:Gold", price_increase=0.1), tiers)
    assert outcome.target_customers == 1  # B only: +10% of 500
    assert outcome.profit_after == pytest.approx(157.0)
    empty = apply_scenario(shop, WhaleScenario(target="tier:Platinum", price_increase=0.1), tiers)
    assert empty.target_customers == 0 and empty.profit_after == 107.0


def test_no_loss_makers_leaves_the_default_target_empty():
    tx = shop_transactions()
    activities = shop_activities()
    activities.loc[activities["activity"] == "Calls", ["minutes_per_unit", "cost_per_unit"]] = [
        NAN,
        0.0,
    ]
    result = customer_pnl(customer_summary(tx), tx, activities, shop_service())
    assert (result.pnl["profit"] >= 0).all()  # C: 20 - (4 + 1 + 6 + 8) = 1
    outcome = apply_scenario(result, WhaleScenario(price_increase=0.1, part_with=0.5))
    assert outcome.target_customers == 0
    assert outcome.profit_after == outcome.profit_before
    assert list(outcome.steps["kind"]) == ["total", "total"]


def test_prepared_base_gives_the_same_result_as_the_pnl(shop):
    base = scenario_base.prepare(shop)
    scenario = WhaleScenario(target="all", small_order_policy="minimum", order_limit=50, churn=0.2)
    np.testing.assert_array_equal(
        apply_scenario(base, scenario).pnl["profit"], apply_scenario(shop, scenario).pnl["profit"]
    )
    assert base.today == whale_curve(shop.pnl["profit"]).summary
    np.testing.assert_array_equal(
        base.today_cum, whale_curve(shop.pnl["profit"]).points["cum_profit"]
    )


def test_scenario_takeaways(shop):
    outcome = apply_scenario(shop, WhaleScenario(target="all", price_increase=0.10, churn=0.5))
    assert whale_whatif.scenario_takeaway(outcome, "EUR") == (
        "Profit €107 today, €89 after the fixes (-€18)"
    )  # 177.5 x 0.5 = 88.75
    assert whale_whatif.waterfall_takeaway(outcome.steps, "EUR") == (
        "Biggest lever: customers lost, -€89"
    )


def test_command_line_on_a_total_loss_prints_no_percentages(tmp_path, capsys):
    tx = shop_transactions().drop(columns=["is_return"])
    sales = tmp_path / "sales.csv"
    tx.to_csv(sales, index=False)
    rates = tmp_path / "rates.csv"
    # 200 per order: A 2 orders, B 1, C 2 -> 1,000 of cost-to-serve against 280 of gross margin.
    rates.write_text("Activity,Cost driver,Cost per driver unit\nOrder handling,Orders,200\n")
    assert main(["whale", str(sales), "--activities", str(rates), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total_profit"] == 280.0 - 1000.0
    assert out["peak_pct"] is None and out["break_even_pct"] is None
    assert out["top_20_profit_pct"] is None
    # B's margin of 200 pays exactly its one order: it breaks even and is not loss-making.
    assert out["unprofitable_pct"] == round(200 / 3, 2)
    assert "no customer makes a profit" in out["explanation"]
    assert out["cost_to_serve_by_activity"] == {"Order handling": 1000.0}


def test_a_slice_of_the_curve_is_the_customers_it_covers(shop):
    # Ranked by profit: B 97.5, A 28.5, C -19 -> shares 1/3, 2/3, 1.
    curve = whale_curve(shop.pnl["profit"], shop.pnl["net_revenue"])
    tail = drilldown.curve_slice(curve, 0.9, 1.0)
    assert list(tail) == ["C"]
    assert list(drilldown.curve_slice(curve, 0.8, 0.5)) == ["A"]  # either direction
    summary = drilldown.slice_summary(shop.pnl, drilldown.curve_slice(curve, 0.0, 0.7))
    assert summary["customers"] == 2
    assert summary["profit"] == pytest.approx(126.0)  # 97.5 + 28.5
    assert summary["profit_share"] == pytest.approx(126.0 / 107.0)
    assert summary["customer_share"] == pytest.approx(2 / 3)
