"""Numbers as people read them: money with currency, percentages, counts. UI-free, so the command
line, chart titles and slide takeaways format exactly like the pages do."""

from __future__ import annotations

import math

CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "CNY": "¥", "JPY": "¥", "INR": "₹"}


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


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


def number(value: float | None, decimals: int = 2) -> str:
    if not _finite(value):
        return "–"
    return f"{value:,.{decimals}f}"
