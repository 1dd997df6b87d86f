"""Channel values matched to the cost model at intake, and the assumed rate of an unpriced channel.

Expected values are written out by hand next to their inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.profitability import drilldown, scenario_base
from cvm_core.analyses.profitability.activities import (
    ASSUMED_CHANNEL_SUFFIX,
    DEFAULT_ACTIVITIES,
    activity_table,
    assumed_channel_rates,
    channel_rates,
    with_assumed_channel_rates,
)
from cvm_core.analyses.profitability.levers import channel_migration
from cvm_core.analyses.profitability.pnl import customer_pnl, default_activity_table
from cvm_core.analyses.profitability.whatif import apply_scenario
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.intake.channels import (
    CHANNELS,
    KEEP_AS_WRITTEN,
    channel_choices,
    channel_mapping,
    guess_channel,
    map_channels,
    normalise_channel,
    overrides_from_choices,
)
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.schema import ColumnMapping
from cvm_core.intake.summary import customer_summary

# --- synonyms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "channel"),
    [
        ("Filiale", "Store"),
        ("LADEN", "Store"),
        ("Geschäft", "Store"),
        ("Geschaeft", "Store"),
        ("Markt", "Store"),
        ("门店", "Store"),
        ("店铺", "Store"),
        ("实体店", "Store"),
        ("Telefon", "Phone"),
        ("  hotline ", "Phone"),
        ("Call-Center", "Phone"),
        ("电话", "Phone"),
        ("电话订购", "Phone"),
        ("online", "Online"),
        ("Web", "Online"),
        ("Webshop", "Online"),
        ("E-Commerce", "Online"),
        ("Internet", "Online"),
        ("线上", "Online"),
        ("网店", "Online"),
        ("网上", "Online"),
        ("电商", "Online"),
        ("Außendienst", "Field sales"),
        ("AUSSENDIENST", "Field sales"),
        ("Vertreter", "Field sales"),
        ("Sales rep", "Field sales"),
        ("field", "Field sales"),
        ("外勤", "Field sales"),
        ("销售代表", "Field sales"),
        ("地推", "Field sales"),
        ("Field sales", "Field sales"),
    ],
)
def test_synonyms_map_to_the_cost_model_channels(written, channel):
    assert guess_channel(written) == channel


@pytest.mark.parametrize("written", ["Kiosk", "Katalog", "", "12", "Messe"])
def test_unknown_values_have_no_channel(written):
    assert guess_channel(written) is None


def test_normalise_ignores_case_space_punctuation_and_accents():
    assert normalise_channel(" E-Commerce ") == normalise_channel("ecommerce") == "ecommerce"
    assert normalise_channel("Geschäft") == "geschaft"
    assert normalise_channel("Außendienst") == "aussendienst"


def test_mapping_keeps_unknown_values_and_the_users_choice_wins():
    values = ["Filiale", "Telefon", "Kiosk", None, "Filiale", np.nan]
    assert channel_mapping(values) == {"Filiale": "Store", "Telefon": "Phone", "Kiosk": "Kiosk"}
    # The user says Kiosk is a store and wants Telefon kept as written.
    chosen = channel_mapping(values, {"Kiosk": "Store", "Telefon": "Telefon"})
    assert chosen == {"Filiale": "Store", "Telefon": "Telefon", "Kiosk": "Store"}
    # An empty choice is no choice.
    assert channel_mapping(["Telefon"], {"Telefon": " "}) == {"Telefon": "Phone"}


def test_map_channels_keeps_missing_values_missing():
    column = pd.Series(["线上", None, "门店", "线上"], index=[10, 11, 12, 13])
    mapped, used = map_channels(column)
    assert mapped.tolist() == ["Online", None, "Store", "Online"]
    assert list(mapped.index) == [10, 11, 12, 13]
    assert used == {"线上": "Online", "门店": "Store"}


def german_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Kunde": ["a", "a", "b", "c", "c", "d"],
            "Datum": ["2024-01-02", "2024-02-03", "2024-01-05", "2024-01-07", "2024-03-01",
                      "2024-03-02"],
            "Umsatz": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "Kanal": ["Filiale", "Telefon", "Online", "Kiosk", "Telefon", "Außendienst"],
        }
    )  # fmt: skip


def test_dataset_holds_the_cost_model_names_and_the_mapping_used():
    dataset = dataset_from_frame(german_frame(), "de")
    assert dataset.transactions["channel"].tolist() == [
        "Store", "Phone", "Online", "Kiosk", "Phone", "Field sales",
    ]  # fmt: skip
    assert dataset.channel_mapping == {
        "Filiale": "Store", "Telefon": "Phone", "Online": "Online", "Kiosk": "Kiosk",
        "Außendienst": "Field sales",
    }  # fmt: skip


def test_dataset_applies_the_users_channel_choices():
    frame = german_frame()
    guessed = dataset_from_frame(frame, "de").mapping
    mapping = ColumnMapping(guessed.roles, guessed.attributes, {"Kiosk": "Store"})
    dataset = dataset_from_frame(frame, "de", mapping)
    assert dataset.transactions["channel"].tolist()[3] == "Store"
    assert dataset.channel_mapping["Kiosk"] == "Store"


def test_a_dataset_without_channels_has_no_mapping():
    dataset = dataset_from_frame(german_frame().drop(columns="Kanal"), "de")
    assert dataset.channel_mapping == {}


# --- an unpriced channel is charged the average channel rate --------------------------------------

# Default rates: Phone 4 min x 0.65 = 2.60, Store 1.00, Online 0.25, Field sales 2.00.


def test_channel_rates_of_the_default_table():
    rates = channel_rates(activity_table(DEFAULT_ACTIVITIES))
    assert rates.to_dict() == pytest.approx(
        {"Phone": 2.60, "Store": 1.00, "Online": 0.25, "Field sales": 2.00}
    )


def test_unpriced_channel_gets_the_order_weighted_average_rate():
    # Phone 2 orders at 2.60, Online 6 orders at 0.25; Store and Field sales have no orders.
    # Kiosk: (2 x 2.60 + 6 x 0.25) / (2 + 6) = (5.20 + 1.50) / 8 = 0.8375 per order.
    orders = pd.Series({"Kiosk": 3.0, "Online": 6.0, "Phone": 2.0})
    table = with_assumed_channel_rates(activity_table(DEFAULT_ACTIVITIES), orders)
    added = table.iloc[-1]
    assert added["activity"] == "Kiosk orders (assumed: average channel rate)"
    assert added["driver"] == "Orders via Kiosk"
    assert added["cost_per_unit"] == pytest.approx(0.8375)
    assert len(table) == len(DEFAULT_ACTIVITIES) + 1
    assert assumed_channel_rates(table) == {"Kiosk": pytest.approx(0.8375)}


def test_without_orders_in_priced_channels_the_plain_average_is_used():
    # (2.60 + 1.00 + 0.25 + 2.00) / 4 = 5.85 / 4 = 1.4625
    table = with_assumed_channel_rates(
        activity_table(DEFAULT_ACTIVITIES), pd.Series({"Katalog": 4.0})
    )
    assert assumed_channel_rates(table) == {"Katalog": pytest.approx(1.4625)}


def test_priced_channels_and_tables_without_channel_rates_are_left_alone():
    table = activity_table(DEFAULT_ACTIVITIES)
    assert with_assumed_channel_rates(table, pd.Series({"Phone": 5.0})) is table
    no_channels = table[~table["driver"].str.startswith("Orders via ")].reset_index(drop=True)
    assert with_assumed_channel_rates(no_channels, pd.Series({"Kiosk": 5.0})) is no_channels
    assert assumed_channel_rates(table) == {}


def test_the_pnl_charges_an_unpriced_channel_and_the_default_table_shows_it():
    dataset = dataset_from_frame(german_frame(), "de")
    tx = dataset.transactions
    # Orders (one per customer and day): Store 1, Phone 2, Online 1, Kiosk 1, Field sales 1.
    # Kiosk = (1 x 1.00 + 2 x 2.60 + 1 x 0.25 + 1 x 2.00) / 5 = 8.45 / 5 = 1.69.
    table = default_activity_table(tx)
    assert assumed_channel_rates(table) == {"Kiosk": pytest.approx(1.69)}
    result = customer_pnl(customer_summary(tx, "week"), tx)
    assert result.assumed_channel_rates == {"Kiosk": pytest.approx(1.69)}
    kiosk = f"Kiosk{ASSUMED_CHANNEL_SUFFIX}"
    assert result.activity_costs.loc["c", kiosk] == pytest.approx(1.69)
    assert result.activity_costs[kiosk].sum() == pytest.approx(1.69)
    # A table the user gave without the Kiosk row is completed the same way.
    given = customer_pnl(customer_summary(tx, "week"), tx, DEFAULT_ACTIVITIES)
    assert given.assumed_channel_rates == {"Kiosk": pytest.approx(1.69)}


def test_channel_migration_offers_only_channels_with_a_rate():
    frame = german_frame()
    frame.loc[5, "Kanal"] = None  # an order without a channel: Unknown, never offered
    dataset = dataset_from_frame(frame, "de")
    tx = dataset.transactions
    result = customer_pnl(customer_summary(tx, "week"), tx)
    base = scenario_base.prepare(result)
    offered = channel_migration.offered_channels(base)
    assert "Unknown" not in offered
    assert set(offered) == {"Phone", "Store", "Online", "Kiosk"}  # Kiosk at its assumed rate
    costs = drilldown.channel_order_costs(result).set_index("channel")["cost_per_order"]
    assert costs["Phone"] == pytest.approx(2.60)
    # Moving orders to a channel with no rate changes nothing.
    moved = apply_scenario(
        base, WhaleScenario(target="all", migrate_share=1.0, migrate_from="Phone",
                            migrate_to="Unknown"),
    )  # fmt: skip
    assert moved.after.total_profit == pytest.approx(moved.before.total_profit)


def test_the_cost_model_channels_are_the_default_tables():
    drivers = set(DEFAULT_ACTIVITIES["driver"])
    assert all(f"Orders via {channel}" in drivers for channel in CHANNELS)


# --- the table the user corrects ----------------------------------------------------------------


def test_choices_list_values_by_frequency_with_their_guess():
    choices = channel_choices(pd.Series(["Filiale", " Telefon", "Kiosk", "Filiale", None]))
    assert choices.to_dict("list") == {
        "value": ["Filiale", "Telefon", "Kiosk"],  # cleaned as validation cleans the column
        "rows": [2, 1, 1],
        "guess": ["Store", "Phone", KEEP_AS_WRITTEN],
        "channel": ["Store", "Phone", KEEP_AS_WRITTEN],
    }


def test_only_corrections_become_overrides_and_come_back_as_choices():
    choices = channel_choices(pd.Series(["Filiale", "Telefon", "Kiosk"]))
    choices["channel"] = [KEEP_AS_WRITTEN, "Phone", "Store"]  # Filiale kept, Kiosk is a store
    overrides = overrides_from_choices(choices)
    assert overrides == {"Filiale": "Filiale", "Kiosk": "Store"}
    again = channel_choices(pd.Series(["Filiale", "Telefon", "Kiosk"]), overrides)
    assert again["channel"].tolist() == [KEEP_AS_WRITTEN, "Phone", "Store"]


def test_other_channel_choices_make_another_dataset_for_the_caches():
    frame = german_frame()
    guessed = dataset_from_frame(frame, "de")
    mapping = ColumnMapping(guessed.mapping.roles, guessed.mapping.attributes, {"Kiosk": "Store"})
    assert dataset_from_frame(frame, "de", mapping).fingerprint != guessed.fingerprint
