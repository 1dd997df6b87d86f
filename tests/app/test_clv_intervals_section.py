"""AppTest of the CLV page's ranges: each tier's CLV with its 80% and 95% range, around the very
figure the tier table shows, and every customer's range to download."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cvm_core import formatting
from tests.app.conftest import run_page
from ui import session

PAGE = "pages/clv.py"


@pytest.fixture(scope="module")
def page(demo_dataset):
    return run_page(PAGE, demo_dataset, **{"clv.tab": "Value tiers"})


@pytest.fixture(scope="module")
def matrix_page(demo_dataset):
    return run_page(PAGE, demo_dataset, **{"clv.tab": "Value matrix"})


def test_ranges_and_sources_wait_until_their_tab_is_opened(demo_dataset):
    """Every customer's range and the sources' payback are simulated: not on page open."""
    at = run_page(PAGE, demo_dataset)
    assert not at.exception
    assert session.CLV_CUSTOMERS.key in at.session_state  # the page itself ran
    assert session.CLV_RANGES.key not in at.session_state
    assert session.SOURCES.key not in at.session_state


def test_tier_ranges_sit_around_the_tier_figures(page, demo_dataset, downloads):
    at = page
    assert not at.exception and not at.error
    tab = next(t for t in at.tabs if t.label == "Value tiers")
    frames = [t.value for t in tab.dataframe]
    ranges = next(f for f in frames if "95% range" in f.columns)
    _, customers = at.session_state[session.CLV_CUSTOMERS.key]
    by_tier = customers.groupby("tier", observed=False)["clv"].sum()
    for row in ranges.itertuples():
        if row.Tier in by_tier.index:
            assert row.CLV == formatting.money(by_tier[row.Tier], "EUR")
    assert ranges["Tier"].iloc[-1] == "All customers"
    assert ranges["CLV"].iloc[-1] == formatting.money(customers["clv"].sum(), "EUR")
    assert any(c.value.startswith("All customers:") for c in tab.caption)
    assert len(ranges) == customers["tier"].cat.categories.size + 1
    at.run()  # the download is registered on the rerun the fixture watches
    table = pd.read_excel(io.BytesIO(downloads["clv_ranges.xlsx"]()))
    assert {"clv", "low_80", "high_80", "low_95", "high_95"} <= set(table.columns)
    assert (table["low_95"] <= table["high_95"]).all()
    assert len(table) == len(customers)


def test_new_customers_by_source_with_payback_and_a_budget_move(matrix_page, demo_dataset):
    at = matrix_page
    tab = next(t for t in at.tabs if t.label == "Value matrix")
    sources = next(t.value for t in tab.dataframe if "CLV / CAC" in t.value.columns)
    table = sources.set_index("Acquisition channel")
    assert table.loc["Field sales", "Payback"] == "not within horizon"
    assert table.loc["Referral", "CLV / CAC"].endswith("x")
    assert table.index[-1] == "All channels"
    # The what-if starts from the worst source towards the best by CLV per cost.
    moved = [m.value for m in tab.markdown if m.value.startswith("Moving")]
    assert moved and "from Field sales to Organic" in moved[0].replace("\\", "")
    tab.radio(key=f"clv.acquisition.by.{demo_dataset.fingerprint}").set_value("region")
    at.run()
    assert not at.exception and not at.error
    tab = next(t for t in at.tabs if t.label == "Value matrix")
    sources = next(t.value for t in tab.dataframe if "CLV / CAC" in t.value.columns)
    assert "North" in sources["Region"].tolist()


def test_a_what_if_with_a_cost_states_the_chance_it_pays_back(demo_dataset):
    at = run_page(PAGE, demo_dataset)
    fingerprint = demo_dataset.fingerprint
    at.slider(key=f"clv.whatif.Gold.frequency.{fingerprint}").set_value(20)
    at.number_input(key=f"clv.whatif.Gold.cost.{fingerprint}").set_value(10.0)
    at.run()
    assert not at.exception and not at.error
    sentence = next(m.value for m in at.markdown if m.value.startswith("The treatments pay back"))
    assert "with probability **" in sentence
    table = next(d.value for d in at.dataframe if "Pays back (probability)" in d.value.columns)
    gold = table.set_index("Tier").loc["Gold", "Pays back (probability)"]
    assert gold.endswith("%")
