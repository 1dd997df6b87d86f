"""Languages (cvm_core/i18n): every marked text is translated, numbers and dates read as each
language writes them, and the glossary holds every domain term in its three forms."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from pathlib import Path

import pytest

from cvm_core import formatting, i18n

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture
def language():
    """Switch the language for one test, English again afterwards."""
    yield i18n.use
    i18n.use("en")


def test_every_marked_text_has_a_german_and_a_chinese_translation():
    from babel.messages.pofile import read_po
    from update_catalogs import marked_texts

    wanted = {m.id for m in marked_texts() if m.id}
    for language in ("de", "zh"):
        with (ROOT / "cvm_core" / "i18n" / f"{language}.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        have = {m.id: m for m in catalog if m.id}
        missing = sorted(str(t) for t in wanted if t not in have)
        assert missing == [], f"{language}.po lacks (run scripts/update_catalogs.py): {missing}"
        for text in wanted:
            message = have[text]
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(forms) and not message.fuzzy, f"{language}: untranslated {text!r}"
            source = text[0] if isinstance(text, tuple) else text
            for placeholder in re.findall(r"\{\w+\}", source):
                assert placeholder in forms[0], f"{language}: {placeholder} lost in {text!r}"


def test_texts_read_in_the_current_language(language):
    assert i18n._("Time unit") == "Time unit"
    language("de")
    assert i18n._("Time unit") == "Zeiteinheit"
    assert i18n._("No such text") == "No such text"  # untranslated: the English text
    assert i18n._("day") == "Tag"  # a unit word alone
    language("zh")
    assert i18n._("Customer Lifetime Value") == "客户终身价值 (CLV)"


def test_the_browser_language_picks_the_start_language():
    assert i18n.language_of("de-DE") == "de"
    assert i18n.language_of("zh-Hans-CN") == "zh"
    assert i18n.language_of("fr-FR") == "en"
    assert i18n.language_of(None) == "en"


def test_numbers_money_and_dates_per_language(language):
    day = dt.date(2024, 12, 31)
    english = (formatting.money(1234.5, "EUR", 2), formatting.money_short(1_234_567, "EUR"),
               formatting.pct(0.253), formatting.count(1_234_567), formatting.date(day),
               formatting.counted(1, "customer"), formatting.counted(1234, "customer"))  # fmt: skip
    assert english == ("€1,234.50", "€1.2M", "25.3%", "1,234,567", "31 Dec 2024",
                       "1 customer", "1,234 customers")  # fmt: skip
    language("de")
    nbsp = "\u00a0"
    assert formatting.money(1234.5, "EUR", 2) == f"1.234,50{nbsp}€"
    assert formatting.money(-56, "CHF") == f"-56{nbsp}CHF"
    assert formatting.money_short(1_234_567, "EUR") == f"1,2{nbsp}Mio.{nbsp}€"
    assert formatting.money_short(350_000, "EUR") == f"350{nbsp}Tsd.{nbsp}€"
    assert formatting.pct(0.253) == f"25,3{nbsp}%"
    assert formatting.count(1_234_567) == "1.234.567"
    assert formatting.date(day) == "31.12.2024"
    assert formatting.counted(1, "customer") == "1 Kunde"
    assert formatting.counted(1234, "customer") == "1.234 Kunden"
    language("zh")
    assert formatting.money(1234.56, "CNY", 2) == "¥1,234.56"
    assert formatting.money_short(1_234_567, "CNY") == "¥123万"
    assert formatting.money_short(12_345, "CNY") == "¥1.2万"
    assert formatting.money_short(250_000_000, "CNY") == "¥2.5亿"
    assert formatting.date(day) == "2024年12月31日"
    assert formatting.counted(1234, "customer") == "1,234 位客户"


def test_the_glossary_gives_every_domain_term_three_forms():
    with (ROOT / "cvm_core" / "i18n" / "glossary.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(r["english"] and r["deutsch"] and r["中文"] for r in rows)
    terms = {r["english"].split(" (")[0] for r in rows}
    for term in ("customer lifetime value", "whale curve", "customer profitability curve",
                 "cost-to-serve", "customer value", "churn", "cohort", "P(alive)", "value tier",
                 "retention", "scorecard", "activity-based costing"):  # fmt: skip
        assert term in terms, term


def test_a_month_reads_as_each_language_writes_it(language):
    september = dt.date(2024, 9, 1)
    assert formatting.month(september) == "Sep 2024"
    language("de")
    assert formatting.month(september) == "Sept. 2024"
    language("zh")
    assert formatting.month(september) == "2024年9月"


def test_a_message_is_english_text_that_reads_in_the_language_it_is_shown_in():
    import pickle

    from cvm_core.intake.dataset import Attention, match_note

    note = i18n.Message("{n} return rows kept as negative revenue.", n=4741)
    assert note == "4,741 return rows kept as negative revenue."  # a str, in English
    i18n.use("de")
    try:
        assert i18n.shown(note) == "4.741 Retourenzeilen als negativer Umsatz übernommen."
        warning = match_note(["a", "b", "c"], ["a"], "cost-to-serve", "Service")
        assert isinstance(warning, Attention)
        assert i18n.shown(pickle.loads(pickle.dumps(warning))) == (
            "Nur 1 von 3 Kundennummern der Cost-to-Serve-Tabelle („Service“) kommen in den "
            "Transaktionen vor; prüfen Sie, ob dieselben Kundennummern verwendet werden."
        )
        assert i18n.shown("plain text") == "plain text"
    finally:
        i18n.use("en")


def test_a_stored_english_month_label_reads_as_the_language_writes_it():
    assert formatting.period_label("Dec 2024") == "Dec 2024"
    i18n.use("de")
    try:
        assert formatting.period_label("Dec 2024") == "Dez. 2024"
        assert formatting.period_label("Mar 2024") == "März 2024"
        assert formatting.period_label("Q4 2024") == "Q4 2024"  # not a month: as it is
        i18n.use("zh")
        assert formatting.period_label("Dec 2024") == "2024年12月"
    finally:
        i18n.use("en")
