"""Chart takeaways (page captions and slide messages) read in the user's language: whole
sentences with the figures where German and Chinese put them, in their number formats."""

from __future__ import annotations

import pandas as pd
import pytest

from cvm_core import i18n
from cvm_core.analyses.clv import takeaways as clv_takeaways
from cvm_core.analyses.profitability import takeaways as whale_takeaways
from cvm_core.analyses.retention import takeaways as retention_takeaways

NBSP = "\u00a0"


@pytest.fixture
def language():
    """Switch the language for one test, English again afterwards."""
    yield i18n.use
    i18n.use("en")


def _groups() -> pd.DataFrame:
    return pd.DataFrame(
        {"group": ["Phone", "Field sales", "Store"], "profit": [-2_000.0, 45_000.0, 7_000.0]}
    )


def _drivers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity": ["Calls", "Visits"],
            "loss_makers_cost": [5_000.0, 300.0],
            "per_loss_maker": [1_234.0, 80.0],
            "per_profitable_customer": [56.0, 75.0],
        }
    )


def _clv_values() -> pd.Series:
    return pd.Series([1_000.0, 1_234.0, 5_000.0])  # median 1234, mean 2411.33


def test_whale_and_clv_takeaways_read_the_same_in_english(language):
    assert whale_takeaways.loss_driver_takeaway(_drivers(), "EUR") == (
        "Calls costs €1,234 per loss-making customer, against €56 per profitable one"
    )
    assert whale_takeaways.group_takeaway(_groups(), "Main channel", "EUR") == (
        "Phone (main channel) loses €2.0k after cost-to-serve; Field sales earns the most, "
        "€45.0k (90% of the total)"
    )
    assert clv_takeaways.distribution_takeaway(_clv_values(), "EUR", 12) == (
        "Half the customers are worth less than €1,234 over 12 months; the average is €2,411."
    )


def test_whale_and_clv_takeaways_read_in_german(language):
    language("de")
    assert whale_takeaways.loss_driver_takeaway(_drivers(), "EUR") == (
        f"Calls kostet 1.234{NBSP}€ je Verlustkunde, gegenüber 56{NBSP}€ je profitablem Kunden"
    )
    # German nouns keep their capital; the share of the total with a space before %.
    assert whale_takeaways.group_takeaway(_groups(), "Hauptkanal", "EUR") == (
        f"Phone (Hauptkanal) verliert nach Cost-to-Serve 2,0{NBSP}Tsd.{NBSP}€; Field sales "
        f"erwirtschaftet am meisten, 45,0{NBSP}Tsd.{NBSP}€ (90{NBSP}% der Summe)"
    )
    assert clv_takeaways.distribution_takeaway(_clv_values(), "EUR", 12) == (
        f"Die Hälfte der Kunden ist über 12 Monate weniger als 1.234{NBSP}€ wert; der "
        f"Durchschnitt liegt bei 2.411{NBSP}€."
    )
    assert clv_takeaways.p_alive_takeaway(pd.Series([0.1, 0.2, 0.9, 0.8, 0.49])) == (
        f"60{NBSP}% der Kunden haben wahrscheinlich aufgehört zu kaufen (P(aktiv) unter 50{NBSP}%)."
    )


def test_whale_clv_and_retention_takeaways_read_in_chinese(language):
    language("zh")
    assert whale_takeaways.group_takeaway(_groups(), "主要渠道", "EUR") == (
        "Phone（主要渠道）扣除服务成本后亏损 €2,000；Field sales 盈利最多，为 €4.5万（占总额的 90%）"
    )
    assert clv_takeaways.distribution_takeaway(_clv_values(), "EUR", 12) == (
        "在未来 12 个月内，半数客户的价值低于 €1,234；平均值为 €2,411。"
    )
    churn = pd.DataFrame(
        {
            "period": ["2024-11", "2024-12"],
            "churned": [10, 30],
            "customers_at_start": [200, 200],
            "churn_rate": [0.05, 0.15],
        }
    )
    assert retention_takeaways.churn_period_takeaway(churn, "month") == (
        "过去 2 个月内，每个月平均流失率为 10.0%；2024-12：15.0%。"
    )


def test_the_deck_story_reads_in_german(language):
    from cvm_core.intake import demo_workbook
    from cvm_core.intake.dataset import load_file
    from cvm_core.outputs import report, storyline

    path = demo_workbook.DEMO_WORKBOOK_PATH
    demo = report.build_report(load_file(path.read_bytes(), path.name))
    language("de")
    story = storyline.build_story(demo)
    titles = [s.title for s in story]
    assert titles[0] == "Management Summary" and "Anhang" in titles
    assert "Wer Wert schafft: die Walkurve des Kundengewinns" in titles
    assert "Wer abwandert: Abwanderungsrate pro Monat" in titles
    numbers, sentences = zip(*story[0].points, strict=True)
    assert numbers[0].endswith(f"{NBSP}%")  # '147 %'
    assert sentences[0].startswith("des Deckungsbeitrags stammen von den besten ")
    loss = next(s for s in sentences if "sind unprofitabel" in s)
    assert f"{NBSP}Tsd.{NBSP}€" in loss  # German compact money: '685 Tsd. €'
    actions = next(s for s in story if s.key == "actions")
    assert list(actions.table.columns)[:2] == [
        "Maßnahme (für die heutigen Verlustkunden)",
        "Annahme",
    ]
