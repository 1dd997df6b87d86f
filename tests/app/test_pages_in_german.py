"""The Upload, Whale Curve and Segments pages in German: headings, labels and tabs in German, money
and counts as German writes them (1.234 €, 4.000). The Upload page through app.py with German asked
for in the address bar, as a link opens it; the other pages run alone with the language set first
(what app.py does on every run: AppTest reaches a page through app.py only on its first run)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from streamlit.testing.v1 import AppTest

from cvm_core import i18n
from tests.app.conftest import ROOT, open_app
from tests.app.test_whale_page import shop_activities, shop_dataset
from ui import loaders, state
from ui.whale import activity_table_key

NBSP = "\u00a0"


def run_in_german(page: str, dataset, **session) -> AppTest:
    """``page`` run alone with German as the run's language and ``dataset`` active."""
    script = (
        "import runpy\n"
        "from cvm_core import i18n\n"
        "i18n.use('de')\n"
        f"runpy.run_path({str(ROOT / page)!r}, run_name='__main__')\n"
    )
    at = AppTest.from_string(script, default_timeout=180)
    at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    return at.run()


@pytest.fixture(autouse=True)
def back_to_english():
    yield
    i18n.use("en")


def test_the_upload_page_reads_in_german(demo_dataset):
    # Named as the demo button names it (ui.loaders): an English Message, shown translated.
    demo = dataclasses.replace(demo_dataset, name=i18n.Message(loaders.DEMO_RETAIL))
    at = open_app(demo, **{"cvm.lang": "de"})
    assert not at.exception
    assert at.title[0].value == "Verkaufsdaten hochladen"
    buttons = [b.label for b in at.button]
    assert "Demo Einzelhandel (4.000 Kunden, 3 Jahre) laden" in buttons
    shown = {m.label: m.value for m in at.metric}
    assert shown["Kunden"] == "4.000"  # German grouping
    assert re.fullmatch(rf"[\d.,]+{NBSP}(Mio\.|Tsd\.){NBSP}€", shown["Bruttoumsatz"])
    assert "Wiederkäufer" in shown and "Bruttomarge" in shown
    captions = " ".join(c.value for c in at.main.caption)
    assert "Aufträge · Nettoumsatz" in captions
    assert at.main.expander[0].label.startswith("Datenqualität:")
    # The demo's name is kept English in the (shared) dataset and shown in the reader's language.
    assert "**Demo Einzelhandel (4.000 Kunden, 3 Jahre)**" in [m.value for m in at.sidebar.markdown]


def test_the_whale_page_reads_in_german():
    dataset = shop_dataset()
    session = {activity_table_key(dataset): shop_activities()}
    at = run_in_german("pages/whale_curve.py", dataset, **session)
    assert not at.exception and not at.error
    assert at.title[0].value == "Walkurve (Kundenprofitabilität)"  # as in the menu
    shown = {m.label: m.value for m in at.metric[:5]}
    # The hand-computed shop of test_whale_page: 107 € profit, 19 € lost in the tail.
    assert shown["Deckungsbeitrag nach Cost-to-Serve"] == f"107{NBSP}€"
    assert shown["Gewinnverlust im Kurvenende"] == f"19{NBSP}€"
    assert shown["Verlustkunden"] == f"33{NBSP}%"
    assert [t.label for t in at.tabs][:4] == [
        "Verlustkunden",
        "Nach Kanal, Segment, Auftragsgröße",
        "Gewinn vs. Umsatz",
        "Cost-to-Serve & GuV",
    ]
    assert "Was-wäre-wenn: das Ende der Kurve sanieren" in [s.value for s in at.subheader]


def test_the_segments_page_reads_in_german(demo_dataset):
    at = run_in_german("pages/segments.py", demo_dataset)
    assert not at.exception
    assert at.title[0].value == "Segmente"
    assert [t.label for t in at.tabs][:2] == ["RFM-Segmente", "Cluster"]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Kunden"] == "4.000"
    assert "Anzahl der Cluster" in [s.label for s in at.selectbox]
