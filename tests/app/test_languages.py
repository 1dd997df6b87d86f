"""The language switch (ui/languages.py): the sidebar and the menu in German or Chinese, numbers
and dates as the language writes them, the choice in the address bar."""

from __future__ import annotations

from cvm_core import i18n
from tests.app.conftest import open_app


def test_a_link_in_german_shows_the_sidebar_in_german(demo_dataset):
    at = open_app(demo_dataset, **{"cvm.lang": "de"})
    assert not at.exception
    labels = [w.label for w in at.sidebar.selectbox]
    assert "Sprache" in labels and "Zeiteinheit" in labels
    unit = next(w for w in at.sidebar.selectbox if w.label == "Zeiteinheit")
    assert "Woche" in unit.options  # the units' names too
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "01.01.2022 – 31.12.2024" in captions  # German dates
    assert "4.000 Kunden" in captions  # German grouping and the plural
    assert at.query_params["cvm.lang"] == "de"
    i18n.use("en")


def test_a_link_in_chinese_shows_the_sidebar_in_chinese(demo_dataset):
    at = open_app(demo_dataset, **{"cvm.lang": "zh"})
    assert not at.exception
    assert "语言" in [w.label for w in at.sidebar.selectbox]
    assert "2022年1月1日" in " ".join(c.value for c in at.sidebar.caption)
    i18n.use("en")
