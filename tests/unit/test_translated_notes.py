"""Notes the analyses attach to their results (penalised fits, activities without a rate, missing
cost of goods, analyses left out of a deck): English text as before, read in the language on
screen where a page or slide shows them (cached results outlive a language switch)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core import i18n
from cvm_core.analyses.clv.transaction_model import _penalised_note
from cvm_core.analyses.profitability.pnl import _cogs
from cvm_core.analyses.segments.clustering import CustomerClusters
from cvm_core.outputs.storyline import _left_out


@pytest.fixture
def german():
    i18n.use("de")
    yield
    i18n.use("en")


def test_missing_cost_of_goods_is_counted_with_the_margin_in_the_reader_s_format(german):
    summary = pd.DataFrame({"cost": [10.0, np.nan, np.nan], "net_revenue": [20.0, 30.0, 1_000.0]})
    cogs, basis, (note,) = _cogs(summary, 0.3)
    assert cogs.tolist() == pytest.approx([10.0, 21.0, 700.0])  # 70% of net revenue where missing
    assert basis == "cost column + margin setting"
    assert note == (
        "2 customers have no cost of goods in the data; their cost of goods is estimated with the "
        "30% margin setting."
    )
    assert i18n.shown(note) == (
        "2 Kunden haben in den Daten keinen Wareneinsatz; ihr Wareneinsatz wird mit der "
        "eingestellten Marge von 30\u00a0% geschätzt."  # Babel: a no-break space before %
    )


def test_a_penalised_fit_says_so_in_german(german):
    note = _penalised_note("BG/NBD", 0.001, unidentified=False)
    assert note.startswith("Penalised fit: the BG/NBD model did not converge on its own")
    assert "penalty of 0.001 on the parameters" in note
    assert i18n.shown(note).startswith(
        "Anpassung mit Strafterm: Das Modell BG/NBD konvergierte nicht von selbst"
    )


def test_a_measure_left_out_of_clustering_is_named_as_each_language_writes_it(german):
    summary = pd.DataFrame(
        {"recency_days": [5.0, 40.0, 90.0, 200.0, 7.0, 33.0], "frequency": [3.0] * 6,
         "monetary": [100.0, 20.0, 300.0, 5.0, 80.0, 60.0]},
        index=[f"C{i}" for i in range(6)],
    )  # fmt: skip
    model = CustomerClusters(n_clusters=2, random_state=0).fit(summary)
    (note,) = model.notes_
    assert note == "All customers have the same orders, so it was left out of clustering."
    assert i18n.shown(note) == (
        "Alle Kunden haben denselben Wert bei „Aufträge“, daher wurde es beim Clustering "
        "nicht berücksichtigt."
    )


def test_the_summary_slide_names_left_out_analyses_in_the_deck_s_language(german):
    reason = i18n.Message("There are no customers to score.")
    note = i18n.Message("CLV left out: {reason}", reason=reason)
    assert _left_out([note]) == "CLV weggelassen: Es gibt keine Kunden zu bewerten."
    i18n.use("en")
    assert _left_out([note]) == "CLV left out: There are no customers to score."
    i18n.use("zh")  # '：' after the name: the note is kept whole, not cut at an English ': '
    assert _left_out([note]).startswith("已省略 CLV：")
