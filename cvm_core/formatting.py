"""Numbers as people read them: money with currency, percentages, counts. UI-free, so the command
line, chart titles and slide takeaways format exactly like the pages do.

In the current language (:mod:`cvm_core.i18n`): English '€1,234.50', '25.3%', '€1.2M'; German
'1.234,50 €', '25,3 %', '1,2 Mio. €' (DIN 5008: the sign after the amount, a space before %);
Chinese '€1,234.50', '25.3%', '€120万' (compact amounts in 万 and 亿, as Chinese reports count).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re

from cvm_core import i18n

MISSING = "–"
"""What a missing or undefined number reads as, in text and in tables."""

CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "CNY": "¥", "JPY": "¥", "INR": "₹"}


def _finite(value: float | None) -> bool:
    # numbers.Real takes numpy integers and float32 too (a count from numpy must not read '–').
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


_GERMAN_SEPARATORS = str.maketrans(",.", ".,")


def _grouped(value: float, decimals: int) -> str:
    """'1,234,567.5' in English and Chinese, '1.234.567,5' in German."""
    text = f"{value:,.{decimals}f}"
    return text.translate(_GERMAN_SEPARATORS) if i18n.current() == "de" else text


def money(value: float | None, currency: str = "EUR", decimals: int = 0) -> str:
    """'€1,234' / '-€56' / 'CHF 1,234' (German '1.234 €', '-56 €', '1.234 CHF'); '–' for missing
    or infinite values (never 'nan')."""
    if not _finite(value):
        return "–"
    return _with_currency(_grouped(abs(value), decimals), value < 0, currency)


def _with_currency(number: str, negative: bool, currency: str) -> str:
    sign = "-" if negative else ""
    symbol = CURRENCY_SIGNS.get(currency)
    if i18n.current() == "de":
        return f"{sign}{number}\u00a0{symbol or currency}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"


_SHORT = {
    "en": ((1e9, "bn"), (1e6, "M"), (1e3, "k")),
    "de": ((1e9, "\u00a0Mrd."), (1e6, "\u00a0Mio."), (1e3, "\u00a0Tsd.")),
    "zh": ((1e8, "亿"), (1e4, "万")),
}
"""Compact units per language: Chinese counts in 万 (10^4) and 亿 (10^8)."""


def money_short(value: float | None, currency: str = "EUR") -> str:
    """Compact money for headlines: '€1.2M', '€350k', '€980' (German '1,2 Mio. €', Chinese
    '€120万')."""
    if not _finite(value):
        return "–"
    for threshold, suffix in _SHORT[i18n.current()]:
        if abs(value) >= threshold:
            digits = 1 if abs(value) < 100 * threshold else 0
            return _with_currency(
                _grouped(abs(value) / threshold, digits) + suffix, value < 0, currency
            )
    return money(value, currency)


def pct(share: float | None, decimals: int = 1) -> str:
    """A share (0.253) as a percentage ('25.3%'; German '25,3 %')."""
    if not _finite(share):
        return "–"
    space = "\u00a0" if i18n.current() == "de" else ""
    return f"{_grouped(share * 100, decimals)}{space}%"


def count(value: float | None) -> str:
    if not _finite(value):
        return "–"
    return _grouped(value, 0)


def counted(value: float | None, word: str, decimals: int = 0, plural: str | None = None) -> str:
    """A number with its unit word, singular for exactly one: '1 day', '3 days', '1,234 customers',
    '1.5 days'; '–' for a missing value. The word is translated (:func:`cvm_core.i18n.ngettext`).

    Parameters
    ----------
    value : float or None
    word : str
        The singular ('day', 'customer').
    decimals : int
        Decimals shown; the word is singular when the number shown reads "1".
    plural : str, optional
        When it is not ``word + 's'``.
    """
    if not _finite(value):
        return "–"
    shown = _grouped(value, decimals)
    one = shown in ("1", "-1")
    return f"{shown} {i18n.ngettext(word, plural or word + 's', 1 if one else 2)}"


def number(value: float | None, decimals: int = 2) -> str:
    if not _finite(value):
        return "–"
    return _grouped(value, decimals)


def date(value: dt.date | None) -> str:
    """A day as the language writes it: '31 Dec 2024', '31.12.2024', '2024年12月31日'."""
    if value is None or value != value:  # None, NaT
        return "–"
    language = i18n.current()
    if language == "de":
        return f"{value:%d.%m.%Y}"
    if language == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value:%d %b %Y}"


def month(value: dt.date | None) -> str:
    """A month as the language writes it: 'Sep 2024', 'Sept. 2024', '2024年9月'."""
    if value is None or value != value:  # None, NaT
        return "–"
    if i18n.current() == "en":
        return f"{value:%b %Y}"
    from babel.dates import format_skeleton  # German and Chinese only: Babel's CLDR data

    return format_skeleton("yMMM", value, locale=i18n.BABEL_LOCALES[i18n.current()])


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>~$|:#])")
"""Emphasis, code, links, HTML, maths, tables, Streamlit's :icon: / :color[...] and headings."""


_ENGLISH_MONTH = re.compile(r"^(?P<month>[A-Z][a-z]{2}) (?P<year>\d{4})$")


def period_label(label: str) -> str:
    """A stored period label as the language writes it: a month kept in English in a (cached)
    result, 'Dec 2024', reads 'Dez. 2024' in German and '2024年12月' in Chinese; other labels
    ('2024Q4', 'Q4 2024', '2024') as they are."""
    text = str(label)
    match = _ENGLISH_MONTH.match(text)
    if match is None or i18n.current() == "en":
        return text
    try:
        first = dt.datetime.strptime(text, "%b %Y").date()
    except ValueError:  # three letters that are not a month
        return text
    return month(first)


def escape_markdown(text: str) -> str:
    """User text (file, sheet and column names) shown in Markdown as typed, never as markup or
    links: 'Q1_**final**.xlsx' stays literal."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
