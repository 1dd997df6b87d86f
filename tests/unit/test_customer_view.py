"""The one-customer view (cvm_core.analyses.customer_view) on the hand-computed shop of
tests/unit/test_profitability.py: every figure is the analyses' own for that customer."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cvm_core.analyses.customer_view import customer_view, find_customer
from cvm_core.analyses.profitability.pnl import customer_pnl
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.errors import ValidationError
from cvm_core.intake.summary import customer_summary
from tests.unit.test_profitability import shop_activities, shop_service, shop_transactions

END = pd.Timestamp("2024-03-31")


@pytest.fixture(scope="module")
def shop():
    tx = shop_transactions()
    summary = customer_summary(tx, observation_end=END)
    pnl = customer_pnl(summary, tx, shop_activities(), shop_service())
    return tx, summary, pnl


def test_loss_maker_c_reconciles_with_the_whale_curve(shop):
    tx, summary, pnl = shop
    clv = pd.DataFrame(
        {"clv": [12.0, 40.0, -5.0], "p_alive": [0.9, 0.5, 0.7], "tier": ["Gold", "Platinum", "Lead"],
         "expected_purchases": [1.5, 0.4, 2.0]},
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )  # fmt: skip
    view = customer_view(
        "c", tx, summary, END, pnl=pnl, clv=clv,
        quadrants=pd.Series({"C": "Part with"}), rule=ChurnRule(60),
        segments=pd.DataFrame({"rfm_segment": ["Champions", "Loyal", "At risk"]}, index=clv.index),
        next_best=pd.Series({"C": "Coffee"}),
    )  # fmt: skip
    assert view.customer_id == "C"  # typed in lower case
    # C: gross margin 55 - 35 = 20, cost-to-serve 39 -> profit -19, the least profitable of 3
    assert view.pnl["profit"] == pytest.approx(-19.0) == pnl.pnl.loc["C", "profit"]
    assert view.pnl["gross_margin"] == pytest.approx(20.0)
    assert view.pnl["cost_to_serve"] == pytest.approx(39.0)
    assert (view.pnl["profit_rank"], view.pnl["customers"]) == (3, 3)
    # calls 20, phone 8, small orders 6, orders 4, picking 1 = 39
    assert view.costs.to_dict() == pytest.approx(
        {"Calls": 20.0, "Phone orders": 8.0, "Small orders": 6.0, "Order processing": 4.0,
         "Picking": 1.0}
    )  # fmt: skip
    assert view.value == {"clv": -5.0, "p_alive": 0.7, "tier": "Lead", "expected_purchases": 2.0,
                          "quadrant": "Part with"}  # fmt: skip
    assert view.segment == {"rfm_segment": "At risk"}
    assert view.next_best == "Coffee"
    # last purchase 1 Mar, 30 days before the end: within a 60-day window
    assert view.status["status"] == "Active" and view.status["days_since_last"] == 30
    assert view.status["reason"] == "Active: bought 30 days ago, within the 60-day window."
    assert view.history["orders"] == 2 and view.history["net_revenue"] == pytest.approx(55.0)
    assert view.monthly["net_revenue"].tolist() == [30.0, 25.0]  # January, March
    story = " ".join(view.story("EUR"))
    assert "Loses €19 after cost-to-serve" in story and "the largest cost is Calls (€20)" in story
    assert "Rank 3 of 3 by profit" in story
    json.dumps(view.to_dict())  # JSON-ready: dates, numpy numbers


def test_returns_and_months_for_a(shop):
    tx, summary, pnl = shop
    view = customer_view("A", tx, summary, END, pnl=pnl)
    # January 150, February 20 - 20 returned; returns shown positive
    assert view.monthly["net_revenue"].tolist() == [150.0, 0.0]
    assert view.monthly["returns"].tolist() == [0.0, 20.0]
    assert view.monthly["orders"].tolist() == [1, 1]
    assert view.value is None and view.status is None  # analyses not run: left out, not guessed
    assert view.purchases["order_id"].iloc[0] == "R1"  # newest first


def test_unknown_customer_is_a_clear_error(shop):
    _, summary, _ = shop
    with pytest.raises(ValidationError, match="No customer 'Z9'"):
        find_customer(summary, "Z9")


def test_search_finds_an_exact_id_or_every_id_and_name_containing_the_text():
    from cvm_core.analyses.customer_view import MAX_MATCHES, search_customers

    ids = pd.Index(["C1", "C10", "C2", "K7"])
    names = pd.Series({"C1": "Tinber Hotel", "C10": "Risen Bar", "C2": "Hotel Zur Post"})
    assert search_customers(ids, names, "C1") == ["C1"]  # exact: that one alone
    assert search_customers(ids, names, " hotel ") == ["C1", "C2"]  # names, any case
    assert search_customers(ids, names, "zurpost") == ["C2"]  # spaces ignored
    assert search_customers(ids, None, "c") == ["C1", "C10", "C2"]  # part of an id
    assert search_customers(ids, names, "nobody") == []
    many = pd.Index([f"C{i:03d}" for i in range(50)])
    assert len(search_customers(many, None, "C")) == MAX_MATCHES
