"""The CLV, Retention and Scorecard pages in German: their own headings, labels and tables read in
German, and the money they show reads as German writes it ('1.234 €'); English stays the default
(the other page tests)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from cvm_core import i18n
from tests.app.conftest import ROOT
from ui import state

GERMAN_MONEY = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?\u00a0€$")
"""'1.234 €': dots group thousands, the sign follows the amount after a non-breaking space."""


@pytest.fixture(autouse=True)
def back_to_english():
    yield
    i18n.use("en")


def open_in_german(page: str, dataset) -> AppTest:
    """``page`` run as app.py runs it, after the language choice, with German chosen (a page run
    alone by AppTest would not pass through app.py, which sets the language of the run)."""
    script = (
        "import runpy\n"
        "from ui import languages\n"
        "languages.choose()\n"
        f"runpy.run_path({str(ROOT / page)!r}, run_name='__main__')\n"
    )
    at = AppTest.from_string(script, default_timeout=180)
    at.session_state[state.DATASET] = dataset
    at.session_state[state.LANGUAGE] = "de"
    return at.run()


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
