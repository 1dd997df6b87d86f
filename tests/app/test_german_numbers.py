"""No English number format on any page in German (issue 20): texts, metrics and chart texts write
numbers as German does (4.000; 7,3 Mio. €), and tables hand Streamlit no printf pattern that would
write 1,234.50 whatever the language (they format in the browser's locale instead, see
ui/tables.py)."""

from __future__ import annotations

import contextvars
import json
import re

import pytest

from cvm_core import i18n
from tests.app.test_translated_pages import VIEWS, chart_texts, open_view
from ui.tables import localized_columns

ENGLISH_GROUPING = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
"""1,234 or 12,345,678: English thousands (German writes 1.234)."""
ENGLISH_DECIMAL = re.compile(r"(?<![\d.,])\d+\.\d{1,2}(?![\d.])")
"""3.5 or 12.25: an English decimal point (German writes 3,5); a German 1.234 has three digits,
a date 31.12.2024 another point after them."""
PRINTF_WITH_SEPARATORS = re.compile(r"%,|%\.\d+f|%,?\.?\d*f")


@pytest.fixture
def german(monkeypatch):
    """German in every thread: a page run alone in AppTest's thread does not pass through app.py,
    which sets each run's language."""
    monkeypatch.setattr(i18n, "_language", contextvars.ContextVar("cvm_language", default="de"))


def english_numbers(text: str) -> list[str]:
    return ENGLISH_GROUPING.findall(text) + ENGLISH_DECIMAL.findall(text)


def test_the_patterns_tell_english_numbers_from_german_ones():
    assert english_numbers("4,000 Kunden; 3.5 Tage; 1,234.50 €") == ["4,000", "1,234", "3.5"]
    assert english_numbers("4.000 Kunden; 3,5 Tage; 1.234,50 €; am 31.12.2024; 7,3 Mio. €") == []


def page_texts(at) -> list[str]:
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "header",
                                   "subheader") for e in at.get(kind)]  # fmt: skip
    texts += [f"{m.label} {m.value} {m.proto.delta}" for m in at.metric]
    for chart in at.get("vega_lite_chart"):
        texts += sorted(chart_texts(json.loads(chart.proto.spec)))
    return texts


def printf_columns(at) -> list[str]:
    """Number columns of the page's tables formatted with a printf pattern that groups or has
    decimals (a plain '%d' writes the same in every language)."""
    found = []
    for kind in ("dataframe", "arrow_data_frame"):
        for table in at.get(kind):
            config = json.loads(getattr(table.proto, "columns", "") or "{}")
            for name, column in config.items():
                fmt = (column.get("type_config") or {}).get("format") or ""
                if PRINTF_WITH_SEPARATORS.search(fmt):
                    found.append(f"{name}: {fmt}")
    return found


@pytest.mark.parametrize("view", VIEWS)
def test_no_english_number_format_on_the_page_in_german(view, german, demo_dataset):
    at = open_view(view, demo_dataset)
    assert not at.exception, [e.value for e in at.exception]
    found = {t: english_numbers(t) for t in page_texts(at) if english_numbers(t)}
    assert found == {}
    assert printf_columns(at) == []


def test_a_table_in_german_gets_the_browser_locales_format_with_the_same_decimals():
    import pandas as pd
    import streamlit as st

    config = {
        "share": st.column_config.NumberColumn("Anteil", format="%.1f%%"),
        "revenue": st.column_config.NumberColumn("Umsatz (EUR)", format="%,.2f"),
        "orders": st.column_config.NumberColumn("Aufträge", format="%d"),
    }
    data = pd.DataFrame({"share": [12.5], "revenue": [1234.5], "orders": [3], "gap": [1.25]})
    out = localized_columns(data, config, "de")
    assert out["share"]["label"] == "Anteil (%)"
    assert {k: (v["type_config"]["format"], v["type_config"]["step"]) for k, v in out.items()} == {
        "share": ("localized", 0.1), "revenue": ("localized", 0.01),
        "orders": ("localized", 1.0), "gap": ("localized", None),
    }  # fmt: skip
    assert localized_columns(data, config, "en") is config
