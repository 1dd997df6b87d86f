"""Prospect scoring: leads get the figures of the customers like them; leads with attributes no
customer has are flagged, not guessed; the command line scores a lead file and writes it safely."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.analyses.prospects.scoring import (
    SCORED,
    CustomerValues,
    expected_tier,
    map_leads,
    score_leads,
)
from cvm_core.errors import MappingError
from cvm_core.intake.demo_workbook import DEMO_WORKBOOK_PATH


def planted_customers(n: int = 2000, seed: int = 2) -> CustomerValues:
    """Hotels are worth 1,000 a customer, everyone else 100 (plus noise)."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"C{i}" for i in range(n)], name="customer_id")
    industry = rng.choice(["Hotels", "Office", "Retail"], n)
    region = rng.choice(["North", "South"], n)
    clv = np.where(industry == "Hotels", 1000.0, 100.0) + rng.normal(0, 10, n)
    tier = np.where(clv > 500, "Platinum", "Lead")
    values = pd.DataFrame(
        {"clv": clv, "first_year_value": clv / 4, "lifetime_value": clv * 2, "tier": tier},
        index=index,
    )
    attributes = pd.DataFrame({"industry": industry, "region": region}, index=index)
    floor = values.groupby("tier")["clv"].min().reindex(["Platinum", "Lead"])
    return CustomerValues(attributes, values, floor, ("Platinum",))


def test_leads_get_their_groups_figures_and_unseen_ones_are_flagged():
    customers = planted_customers()
    leads = pd.DataFrame(
        {
            "Company": ["Office Co", "Hotel Co", "Mine Co", "Blank Co"],
            "Branche": ["Office", "Hotels", "Mining", None],  # German header for industry
            "Gebiet": ["North", "South", "North", "North"],
        }
    )
    mapped = map_leads(leads, ("industry", "region"))
    assert mapped.mapping == {"industry": "Branche", "region": "Gebiet"}
    scored = score_leads(mapped, customers)
    assert scored["Company"].tolist() == ["Hotel Co", "Office Co", "Mine Co", "Blank Co"]
    hotel = scored.iloc[0]
    hotels = customers.values[customers.attributes["industry"] == "Hotels"]
    assert hotel["lifetime_value"] == pytest.approx(hotels["lifetime_value"].mean(), rel=0.02)
    assert hotel["lifetime_low"] < hotel["lifetime_value"] < hotel["lifetime_high"]
    assert hotel["expected_tier"] == "Platinum" and hotel["top_tier_chance"] > 0.95
    assert scored.iloc[1]["expected_tier"] == "Lead"
    assert scored.iloc[1]["note"] == SCORED
    assert scored.iloc[2]["note"] == "Industry 'Mining' not seen among customers"
    assert scored.iloc[3]["note"] == "Industry not given"
    assert scored.iloc[2:][["lifetime_value", "expected_tier"]].isna().all().all()


def test_a_lead_list_without_any_known_attribute_gets_a_clear_message():
    with pytest.raises(MappingError, match="No column of the lead list matches"):
        map_leads(pd.DataFrame({"Phone": ["1"]}), ("industry", "region"))


def test_expected_tier_is_the_highest_tier_the_average_reaches():
    floor = pd.Series({"Platinum": 900.0, "Gold": 300.0, "Lead": -50.0})
    assert expected_tier(950.0, floor) == "Platinum"
    assert expected_tier(300.0, floor) == "Gold"
    assert expected_tier(-100.0, floor) == "Lead"


def test_cli_scores_a_lead_file_and_writes_it_formula_safe(tmp_path, capsys):
    leads = tmp_path / "leads.csv"
    pd.DataFrame(
        {
            "Lead": ["=HYPERLINK(1)", "Bistro", "Mine"],
            "Industry": ["Hospitality", "Private", "Mining"],
            "Acquisition channel": ["Referral", "Paid search", "Referral"],
        }
    ).to_csv(leads, index=False)
    out = tmp_path / "scored.xlsx"
    argv = ["prospects", str(DEMO_WORKBOOK_PATH), "--prospects", str(leads), "--output", str(out)]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valuable_means"] == "Platinum"
    assert 0.5 < report["auc"] <= 1.0 and report["top_decile_lift"] > 1.0
    assert report["traits"] and report["traits"][0].startswith("Customers with ")
    prospects = report["prospects"]
    assert prospects["mapped_columns"] == {
        "acquisition_channel": "Acquisition channel",
        "industry": "Industry",
    }
    assert (prospects["scored"], prospects["flagged"]) == (2, 1)
    assert prospects["leads"][-1]["note"] == "Industry 'Mining' not seen among customers"
    written = pd.read_excel(io.BytesIO(out.read_bytes()))
    assert len(written) == 3
    assert "'=HYPERLINK(1)" in written["Lead"].tolist()  # neutralised, not a formula
