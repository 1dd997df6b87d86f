"""AppTest of the Profitability Whale Curve page: the hand-computed shop, levers, a total loss, a
bad rate, and the demo data."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from cvm_core import formatting
from cvm_core.analyses.profitability import activities as profitability_activities
from cvm_core.analyses.profitability import analysis, whatif_settings
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.summary import customer_summary
from cvm_core.outputs import export
from tests.app.conftest import run_page
from tests.unit.test_profitability import shop_activities, shop_service, shop_transactions
from ui import session, state
from ui.whale import activity_table_key

PAGE = "pages/whale_curve.py"


def shop_dataset():
    """The three-customer shop of tests/unit/test_profitability.py, through the upload pipeline."""
    frame = shop_transactions().drop(columns=["is_return"]).rename(
        columns={"customer_id": "Customer ID", "date": "Date", "revenue": "Revenue", "cost": "Cost of goods",
                 "quantity": "Quantity", "order_id": "Order ID", "channel": "Channel"}
    )  # fmt: skip
    dataset = dataset_from_frame(frame, "shop", currency="EUR")
    return dataclasses.replace(dataset, cost_to_serve=shop_service())


def run_shop(activities=None, **session):
    dataset = shop_dataset()
    table = shop_activities() if activities is None else activities
    return dataset, run_page(PAGE, dataset, **{activity_table_key(dataset): table}, **session)


def metrics(at) -> dict[str, str]:
    """The five headline figures."""
    return {m.label: m.value for m in at.metric[:5]}


def scenario_metrics(at) -> dict[str, str]:
    """The what-if section's figures (some labels repeat the headline's)."""
    return {m.label: m.value for m in at.metric[5:]}


def lever(at, name: str, dataset):
    return at.slider(key=f"whale.{name}.{dataset.fingerprint}")


def test_shop_headline_matches_the_hand_calculation():
    # A 28.5, B 97.5, C -19 -> total 107; peak (97.5 + 28.5) / 107 = 117.8% at 2 of 3 customers.
    dataset, at = run_shop()
    assert not at.exception and not at.error
    shown = metrics(at)
    assert shown["Operating profit"] == "€107"
    assert shown["Peak of the curve"] == "118%"
    assert shown["Unprofitable customers"] == "33%"
    assert shown["Profit lost in the tail"] == "€19"
    assert shown["Top 33% earn"] == "91%"  # the top fifth of 3 customers is B alone: 97.5 / 107
    notes = " ".join(i.value for i in at.info)
    assert "Pallets (Pallets)" in notes  # the activity with an unknown driver is explained
    fingerprint, pnl = at.session_state[session.WHALE_PNL.key]
    assert fingerprint == dataset.fingerprint
    assert list(pnl.columns) == ["revenue", "returns", "cogs", "cost_to_serve", "profit"]
    assert pnl["profit"].to_dict() == {"A": 28.5, "B": 97.5, "C": -19.0}


def test_moving_a_lever_updates_profit_and_the_scenario():
    dataset, at = run_shop()
    at.selectbox(key=f"whale.target.{dataset.fingerprint}").set_value(whatif_settings.TARGET_ALL)
    lever(at, "price", dataset).set_value(10.0)
    at.run()
    assert not at.exception and not at.error
    # +10% on net revenue of 705 = +70.5 -> 177.5.
    assert scenario_metrics(at)["Operating profit after the fixes"] == formatting.money_short(177.5)
    fingerprint, scenario = at.session_state[session.WHALE_SCENARIO.key]
    assert fingerprint == dataset.fingerprint
    assert (
        scenario.target == whatif_settings.TARGET_ALL
        and scenario.price_increase == pytest.approx(0.10)
    )
    assert any("same volumes" in m.value for m in at.markdown)  # the assumption is stated


def test_parting_with_the_loss_makers():
    dataset, at = run_shop()
    lever(at, "part", dataset).set_value(100)
    at.run()
    shown = scenario_metrics(at)
    assert shown["Operating profit after the fixes"] == "€126"
    assert shown["Customers kept"] == "2"
    assert shown["Unprofitable customers"] == "0"


def test_total_loss_is_explained_in_words():
    activities = shop_activities()
    activities.loc[activities["activity"] == "Visits", "cost_per_unit"] = (
        1000.0  # B now loses 702.5
    )
    _, at = run_shop(activities)
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "lose money" in warning and "in EUR instead" in warning
    assert metrics(at)["Top 33% earn"].startswith("€")  # money, not a meaningless percentage


def test_an_invalid_activity_table_edit_is_reported():
    activities = shop_activities()
    activities.loc[0, "cost_per_unit"] = -5.0
    _, at = run_shop(activities)
    assert not at.exception
    assert any("negative" in e.value for e in at.error)
    assert metrics(at)["Operating profit"]  # the page still renders with the last valid table


def test_demo_data_page_and_a_lever(demo_dataset):
    at = run_page(PAGE, demo_dataset)
    assert not at.exception and not at.error
    tx = demo_dataset.transactions
    expected = analysis.analyse(
        customer_summary(tx), tx, None, demo_dataset.cost_to_serve
    ).curve.summary
    shown = metrics(at)
    assert shown["Peak of the curve"] == formatting.pct(expected.peak_pct, 0)
    assert shown["Unprofitable customers"] == formatting.pct(expected.unprofitable_share, 0)
    assert len(at.get("vega_lite_chart")) >= 6
    labels = [b.label for b in at.download_button]
    for name in ("Customer P&L", "Save the activity table", "Loss-makers"):
        assert f"{name} (CSV)" in labels and f"{name} (Excel)" in labels
    lever(at, "migrate", demo_dataset).set_value(100)
    lever(at, "part", demo_dataset).set_value(100)
    at.run()
    assert not at.exception and not at.error
    _, scenario = at.session_state[session.WHALE_SCENARIO.key]
    assert scenario.migrate_share == 1.0 and scenario.migrate_from != scenario.migrate_to
    after = scenario_metrics(at)
    assert after["Customers kept"] == formatting.count(expected.customers - expected.unprofitable)
    assert after["Unprofitable customers"] == "0"


def test_loading_an_activity_table_from_a_file():
    dataset, at = run_shop()
    rates = shop_activities()
    rates.loc[rates["activity"] == "Visits", "cost_per_unit"] = 50.0  # B's visit costs 50 less
    data = export.csv_bytes(profitability_activities.activity_table_for_export(rates))
    at.file_uploader(key=f"whale.upload.{dataset.fingerprint}").set_value(
        ("rates.csv", data, "text/csv")
    )
    at.run()
    assert not at.exception and not at.error
    assert metrics(at)["Operating profit"] == "€157"  # 107 + 50
    assert any("Loaded 10 activities" in t.value for t in at.toast)


def test_a_bad_activity_file_is_explained_and_the_table_kept():
    dataset, at = run_shop()
    bad = b"Activity,Cost driver,Cost per driver unit\nOrders,Orders,-2\n"
    at.file_uploader(key=f"whale.upload.{dataset.fingerprint}").set_value(
        ("rates.csv", bad, "text/csv")
    )
    at.run()
    assert not at.exception
    assert any("rates.csv" in e.value and "negative" in e.value for e in at.error)
    assert metrics(at)["Operating profit"] == "€107"


def test_editing_a_rate_in_the_table():
    dataset, at = run_shop()
    # Calls (row 7) to 10 minutes at 0.8 per minute: 8 per call instead of 4; 7 calls -> -28.
    editor = f"whale.editor.{dataset.fingerprint}.0"
    at.session_state[editor] = {
        "edited_rows": {7: {"minutes_per_unit": 10.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception and not at.error
    assert metrics(at)["Operating profit"] == "€79"


def test_fixes_for_a_clv_value_tier():
    dataset = shop_dataset()
    tiers = pd.DataFrame(
        {"tier": pd.Categorical(["Gold", "Gold", "Lead"], categories=["Gold", "Lead"])},
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    at = run_page(
        PAGE, dataset, **{activity_table_key(dataset): shop_activities()},
        **{session.CLV_CUSTOMERS.key: (dataset.fingerprint, tiers)},
    )  # fmt: skip
    target = at.selectbox(key=f"whale.target.{dataset.fingerprint}")
    assert "CLV tier Gold (2)" in target.options
    target.set_value("tier:Gold")
    lever(at, "price", dataset).set_value(10.0)
    at.run()
    assert not at.exception and not at.error
    # A and B: +10% of (150 + 500) = +65 -> 172.
    assert scenario_metrics(at)["Operating profit after the fixes"] == "€172"
    assert at.session_state[session.WHALE_SCENARIO.key][1].target == "tier:Gold"


def test_every_customer_unprofitable():
    activities = shop_activities()
    activities.loc[activities["activity"] == "Order processing", "cost_per_unit"] = 200.0
    _, at = run_shop(activities)
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "no customer makes a profit" in warning
    assert metrics(at)["Unprofitable customers"] == "100%"
    assert any("needs positive total profit" in i.value for i in at.info)


def test_every_chart_is_registered_for_the_deck_with_a_takeaway():
    _, at = run_shop()
    deck = at.session_state[state.DECK_CHARTS]
    assert deck["whale_curve"].takeaway == (
        "Top 33% of customers earn 91% of profit; the 33% who are unprofitable lose €19"
    )
    assert (
        deck["cost_to_serve_by_activity"].takeaway
        == "Visits is 58% of cost-to-serve (€100 of €173)"
    )
    assert all(chart.takeaway for chart in deck.values())
    assert len(deck) >= 7


def test_what_if_charts_join_the_deck_only_once_a_lever_moves():
    dataset, at = run_shop()
    what_if = {"whale_curve_today_and_after_the_fixes", "where_the_change_in_profit_comes_from"}
    assert not what_if & set(at.session_state[state.DECK_CHARTS])  # "no lever moved" slides
    at.selectbox(key=f"whale.target.{dataset.fingerprint}").set_value(whatif_settings.TARGET_ALL)
    lever(at, "price", dataset).set_value(10.0)
    at.run()
    assert what_if <= set(at.session_state[state.DECK_CHARTS])
    lever(at, "price", dataset).set_value(0.0)
    at.run()
    assert not what_if & set(at.session_state[state.DECK_CHARTS])  # taken back out


def test_a_loss_maker_in_a_top_tier_is_explained_by_its_future_profit():
    # C loses 19 today (see test_profitability); say the CLV page expects it to earn 250 and
    # ranks it Platinum: the loss-maker list says why it sits in the top tier.
    dataset = shop_dataset()
    tiers = pd.Categorical(
        ["Gold", "Iron", "Platinum"], categories=["Platinum", "Gold", "Iron", "Lead"], ordered=True
    )
    clv = pd.DataFrame({"clv": [30.0, 5.0, 250.0], "tier": tiers}, index=["A", "B", "C"])
    _, at = run_shop(**{session.CLV_CUSTOMERS.key: (dataset.fingerprint, clv)})
    assert not at.exception and not at.error
    assert any(
        i.value.startswith("1 of these loss-makers are expected to earn €250 from now on")
        and "1 are in the Platinum and Gold tiers because their future profit outweighs" in i.value
        for i in at.info
    )


def test_group_table_shows_shares_as_percentages():
    # Issue 14: "Field sales 500 of 591 unprofitable" showed 0.8% for 84.6%. On the shop, by main
    # channel: A's is Online (150 of its 170), B's Field sales, C's Phone; only C loses money, so
    # Phone is 1 of 1 unprofitable = 100% and the others 0%.
    _, at = run_shop()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "unprofitable_share" in d.value)
    shares = table.set_index("group")["unprofitable_share"].to_dict()
    assert shares == {"Field sales": 0.0, "Online": 0.0, "Phone": 100.0}
    # Share of total profit: B 97.5 / 107 = 91.1% (in percent, not 0.911).
    assert table.set_index("group").loc["Field sales", "profit_share"] == pytest.approx(9750 / 107)


def _strip(at) -> str:
    shown = [m.value.replace("\\", "") for m in at.markdown]  # user text arrives escaped
    return " ".join(text for text in shown if "Assumed:" in text)


def test_assumptions_strip_names_what_the_profit_rests_on(demo_dataset):
    # The demo has a cost column but runs on the built-in rates and names no currency.
    at = run_page(PAGE, demo_dataset)
    assert not at.exception
    strip = _strip(at)
    assert "the built-in cost-to-serve rates" in strip and "amounts in EUR" in strip
    assert "gross margin" not in strip
    # Without a cost column the 30% margin is assumed too; a typed currency is not.
    frame = shop_transactions().drop(columns=["is_return", "cost"])
    no_cost = dataset_from_frame(frame, "no cost", currency="EUR")
    at = run_page(PAGE, no_cost, **{f"{state.CURRENCY}.{no_cost.fingerprint}": "CHF"})
    assert not at.exception
    strip = _strip(at)
    assert "30% gross margin (no cost column in the file)" in strip
    assert "amounts in" not in strip
    # Own rates: the rates drop out of the strip.
    _, at = run_shop()
    assert "built-in cost-to-serve rates" not in _strip(at)


def test_the_strip_follows_a_change_in_the_same_session(demo_dataset):
    """The strip is kept per session by what it depends on (ui/assumed.page_assumptions): a
    currency typed after the first run takes "amounts in EUR" out of it on the next."""
    at = run_page(PAGE, demo_dataset)
    assert "amounts in EUR" in _strip(at)
    at.session_state[f"{state.CURRENCY}.{demo_dataset.fingerprint}"] = "CHF"
    at.run()
    assert not at.exception
    assert "amounts in" not in _strip(at)
    assert "the built-in cost-to-serve rates" in _strip(at)


def test_a_channel_without_a_rate_is_charged_the_average_and_said_so():
    # The shop's Field sales order (B) comes in as "Kiosk", which no default rate prices. The
    # default table gets "Kiosk orders (assumed: ...)" at the order-weighted average of the priced
    # channels: Phone 3 orders x 2.60 and Online 1 x 0.25 -> (7.80 + 0.25) / 4 = 2.0125.
    frame = shop_transactions().drop(columns=["is_return"])
    frame["channel"] = frame["channel"].replace({"Field sales": "Kiosk"})
    dataset = dataset_from_frame(frame, "kiosk shop", currency="EUR")
    at = run_page(PAGE, dataset)
    assert not at.exception and not at.error
    note = next(i.value for i in at.info if i.value.startswith("No rate of their own"))
    assert "Kiosk (€2.01/order)" in note
    table = at.session_state[f"whale.valid.{dataset.fingerprint}"]
    assumed = profitability_activities.assumed_channel_rates(table)
    assert assumed == {"Kiosk": pytest.approx(2.0125)}
    # The channel what-if offers Kiosk at that rate, and marks it as assumed.
    source = at.selectbox(key=f"whale.from.{dataset.fingerprint}")
    assert source.options == [
        "Phone (€2.60/order)", "Kiosk (€2.01/order, assumed)", "Online (€0.25/order)",
    ]  # fmt: skip


def test_missing_cells_read_as_a_dash_not_none():
    # The activity table leaves rates that do not apply empty (cost per minute of a per-order
    # activity): Streamlit would print those as "None".
    _, at = run_shop()
    tables = list(at.dataframe)
    assert tables
    assert {t.proto.placeholder for t in tables} == {"–"}
    assert any(t.value.isna().any().any() for t in tables)
