"""Numbers as people read them: money with currency, percentages, counts. UI-free, so the command
line, chart titles and slide takeaways format exactly like the pages do."""

from __future__ import annotations

import math
import numbers
import re

MISSING = "–"
"""What a missing or undefined number reads as, in text and in tables."""

CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "CNY": "¥", "JPY": "¥", "INR": "₹"}


def _finite(value: float | None) -> bool:
    # numbers.Real takes numpy integers and float32 too (a count from numpy must not read '–').
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def money(value: float | None, currency: str = "EUR", decimals: int = 0) -> str:
    """'€1,234' / '-€56' / 'CHF 1,234'; '–' for missing or infinite values (never 'nan')."""
    if not _finite(value):
        return "–"
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SIGNS.get(currency)
    number = f"{abs(value):,.{decimals}f}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"


def money_short(value: float | None, currency: str = "EUR") -> str:
    """Compact money for headlines: '€1.2M', '€350k', '€980'."""
    if not _finite(value):
        return "–"
    for threshold, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            digits = 1 if abs(value) < 100 * threshold else 0
            return money(value / threshold, currency, digits) + suffix
    return money(value, currency)


def pct(share: float | None, decimals: int = 1) -> str:
    """A share (0.253) as a percentage ('25.3%')."""
    if not _finite(share):
        return "–"
    return f"{share * 100:,.{decimals}f}%"


def count(value: float | None) -> str:
    if not _finite(value):
        return "–"
    return f"{value:,.0f}"


def counted(value: float | None, word: str, decimals: int = 0, plural: str | None = None) -> str:
    """A number with its unit word, singular for exactly one: '1 day', '3 days', '1,234 customers',
    '1.5 days'; '–' for a missing value.

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
    shown = f"{value:,.{decimals}f}"
    return f"{shown} {word if shown in ('1', '-1') else plural or word + 's'}"


def number(value: float | None, decimals: int = 2) -> str:
    if not _finite(value):
        return "–"
    return f"{value:,.{decimals}f}"


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>~$|:#])")
"""Emphasis, code, links, HTML, maths, tables, Streamlit's :icon: / :color[...] and headings."""


def escape_markdown(text: str) -> str:
    """User text (file, sheet and column names) shown in Markdown as typed, never as markup or
    links: 'Q1_**final**.xlsx' stays literal."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
