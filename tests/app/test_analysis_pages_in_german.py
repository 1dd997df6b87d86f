"""The CLV, Retention and Scorecard pages in German: their own headings, labels and tables read in
German, and the money they show reads as German writes it ('1.234 €'); English stays the default
(the other page tests)."""

from __future__ import annotations

import contextvars
import re

import pytest
from streamlit.testing.v1 import AppTest

from cvm_core import i18n
from tests.app.conftest import open_in_app
from ui import state

GERMAN_MONEY = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?\u00a0€$")
"""'1.234 €': dots group thousands, the sign follows the amount after a non-breaking space."""


@pytest.fixture(autouse=True)
def german(monkeypatch):
    """German as the language of every thread: AppTest runs a page in its own thread, and a page
    run alone does not pass through app.py, which sets each run's language in the app."""
    monkeypatch.setattr(i18n, "_language", contextvars.ContextVar("cvm_language", default="de"))


def open_in_german(page: str, dataset) -> AppTest:
    return open_in_app(page, dataset, **{state.LANGUAGE: "de"})


def texts(at) -> str:
    """Every title, heading, caption and Markdown text of the run, in one string."""
    parts = [e.value for e in (*at.title, *at.subheader, *at.caption, *at.markdown)]
    return "\n".join(str(p) for p in parts)


def test_the_clv_page_reads_in_german(demo_dataset):
    at = open_in_german("pages/clv.py", demo_dataset)
    assert not at.exception and not at.error
    assert "Kundenlebenszeitwert (CLV)" in [t.value for t in at.title]
    assert [t.label for t in at.tabs][:4] == ["Validierung", "Kunden", "Wertstufen", "Wertmatrix"]
    metrics = {m.label: m.value for m in at.metric}
    assert "CLV gesamt, nächste 36 Monate" in metrics
    assert GERMAN_MONEY.match(metrics["Durchschnittlicher CLV je Kunde"]), metrics
    assert "Modellvergleich" in texts(at)
    assert "Jährlicher Diskontierungszins (%)" in [w.label for w in at.number_input]
    assert "Was-wäre-wenn: Wertstufen unterschiedlich behandeln" in [s.value for s in at.subheader]


def test_the_retention_page_reads_in_german(demo_dataset):
    at = open_in_german("pages/retention.py", demo_dataset)
    assert not at.exception and not at.error
    assert "Kundenbindung" in [t.value for t in at.title]
    assert [t.label for t in at.tabs][:5] == [
        "Kohorten", "Abwanderung", "Überleben", "Gefährdet & Rückgewinnung",
        "Wirtschaftlichkeit der Kundenbindung",
    ]  # fmt: skip
    assert {"Aktive Kunden", "Jährliche Bindungsrate", "Median der Kundenlebensdauer"} <= {
        m.label for m in at.metric
    }
    assert "Zahlt sich Treue aus?" in [s.value for s in at.subheader]
    formula = next(m.value for m in at.markdown if m.value.startswith("**Formel.**"))
    # "So a customer is worth 1.234 € today", in German.
    assert re.search(r"Ein Kunde ist heute also \d{1,3}(\.\d{3})*\u00a0€ wert", formula), formula


def test_the_scorecard_page_reads_in_german(demo_dataset):
    at = open_in_german("pages/scorecard.py", demo_dataset)
    assert not at.exception and not at.error
    assert "Kundenmanagement-Scorecard" in [t.value for t in at.title]
    assert {"Ziele und ihre Treiber", "Trends", "Aufschlüsselungen"} <= {
        s.value for s in at.subheader
    }
    metrics = {m.label: m.value for m in at.metric}
    assert GERMAN_MONEY.match(metrics["Umsatz je Kunde"]), metrics
    assert "Periode" in [w.label for w in at.radio]
    assert "**Finanzen**" in [m.value for m in at.markdown]


def test_the_pipeline_page_reads_in_german(demo_dataset):
    at = open_in_german("pages/pipeline.py", demo_dataset)
    assert not at.exception and not at.error
    assert "Vertriebspipeline" in [t.value for t in at.title]
    assert [t.label for t in at.tabs][:4] == [
        "Prognose", "Trichter", "Prognosegenauigkeit", "Gewonnene Abschlüsse",
    ]  # fmt: skip
    metrics = {m.label: m.value for m in at.metric}
    # Compact German money: '1,2 Mio. €' or '350 Tsd. €'.
    assert re.fullmatch(
        r"\d+(,\d)?\u00a0(Mio\.|Tsd\.|Mrd\.)\u00a0€", metrics["Gewichtete Pipeline"]
    ), metrics


def _open_customer():
    import streamlit as st

    from ui import customer_dialog, state

    customer_dialog.show_customer(st.session_state[state.DATASET], "C01160")


def test_the_customer_dialog_reads_in_german(demo_dataset):
    at = AppTest.from_function(_open_customer, default_timeout=120)
    at.session_state[state.DATASET] = demo_dataset
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs] == [
        "Käufe nach Monat", "Cost-to-Serve", "Letzte Käufe", "Merkmale und Segment",
    ]  # fmt: skip
    metrics = {m.label: m.value for m in at.metric}
    assert GERMAN_MONEY.match(metrics["Deckungsbeitrag nach Cost-to-Serve bisher"]), metrics
