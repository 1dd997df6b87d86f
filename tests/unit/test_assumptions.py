"""The "Assumed: ..." strip (cvm_core.analyses.assumptions): what is assumed, in the same words
everywhere, and nothing when the data or the user gave it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.analyses import assumptions as A
from cvm_core.analyses.profitability.activities import DEFAULT_ACTIVITIES

NO_COST = pd.DataFrame({"net_revenue": [100.0, 50.0], "cost": [np.nan, np.nan]})
WITH_COST = pd.DataFrame({"net_revenue": [100.0, 50.0], "cost": [60.0, np.nan]})


def every(summary=NO_COST, **changes):
    args = dict(
        gross_margin=0.30, activities=None, currency="EUR", dataset_currency="EUR",
        currency_source="", rule_words="active = bought in the last 167 days",
    )  # fmt: skip
    args.update(changes)
    return A.for_inputs(summary, **args)


def test_everything_assumed_reads_as_one_line():
    items = every(assumed_channel_rates={"Kiosk": 1.1875})
    assert [i.topic for i in items] == [
        A.MARGIN, A.ACTIVITY_RATES, A.CHANNEL_RATES, A.CURRENCY, A.CHURN_RULE,
    ]  # fmt: skip
    assert A.strip_text(items) == (
        "Assumed: 30% gross margin (no cost column in the file); the built-in cost-to-serve "
        "rates (set for the demo data, not your books); channels without a rate cost the "
        "average (Kiosk €1.19/order); amounts in EUR (the file names no currency); active = "
        "bought in the last 167 days (the data's usual gap between purchases)."
    )
    assert A.about_lines(items)[0] == (
        "Assumed margin: 30% gross margin (no cost column in the file). Change it: "
        "Profitability Whale Curve page, Cost model."
    )


def test_nothing_assumed_when_the_data_or_the_user_says_it():
    own_rates = DEFAULT_ACTIVITIES.assign(cost_per_unit=DEFAULT_ACTIVITIES["cost_per_unit"] * 2)
    items = every(
        WITH_COST, activities=own_rates, currency="USD", dataset_currency="EUR",
        rule_chosen=True,
    )  # fmt: skip
    assert items == ()
    assert A.strip_text(items) == ""
    # the currency read from the file needs no flag either
    assert every(WITH_COST, activities=own_rates, currency_source="from the header 'dollars'",
                 rule_words=None) == ()  # fmt: skip


def test_default_rates_recognised_with_or_without_added_channel_rows():
    assert A.is_default_rates(None)
    assert A.is_default_rates(DEFAULT_ACTIVITIES.copy())
    added = pd.concat(
        [DEFAULT_ACTIVITIES, pd.DataFrame([{"activity": "Kiosk orders (assumed: average channel "
                                            "rate)", "driver": "Orders via Kiosk",
                                            "cost_per_unit": 1.19}])],
        ignore_index=True,
    )  # fmt: skip
    assert A.is_default_rates(added)
    edited = DEFAULT_ACTIVITIES.copy()
    edited.loc[0, "cost_per_unit"] = 1.75
    assert not A.is_default_rates(edited)
    assert not A.is_default_rates(DEFAULT_ACTIVITIES.iloc[:-1])


def test_topics_limit_what_a_page_shows():
    items = every(topics=(A.CHURN_RULE, A.CURRENCY))
    assert [i.topic for i in items] == [A.CHURN_RULE, A.CURRENCY]
