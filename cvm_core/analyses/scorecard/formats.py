"""Scorecard values as text: money, shares, counts and changes in the measure's unit."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cvm_core import formatting
from cvm_core.analyses.scorecard.specs import COUNT, DAYS, MONEY, NUMBER, SHARE
from cvm_core.i18n import _


def finite(value: object) -> bool:
    return isinstance(value, int | float | np.floating) and math.isfinite(value)


# --- presenting ----------------------------------------------------------------------------------

DISPLAY_SCALE: dict[str, float] = {SHARE: 100.0}
"""Factor from a measure's value to what users type and read (shares as percent: 0.35 -> 35)."""


def format_value(value: float | None, unit: str, currency: str = "EUR") -> str:
    """A measure's value with its unit ('€1,234', '35.2%', '1,200', '2.35', '4.5 days'); '–' if none."""
    if not finite(value):
        return "–"
    formats: dict[str, Callable[[float], str]] = {
        MONEY: lambda v: formatting.money(v, currency),
        SHARE: lambda v: formatting.pct(v, 1),
        COUNT: formatting.count,
        NUMBER: lambda v: formatting.number(v, 2),
        DAYS: lambda v: formatting.counted(v, "day", 1),
    }
    return formats[unit](float(value))


def _signed(text: str) -> str:
    """'+3.3%' for a rise: a change shows its sign either way."""
    return text if text.startswith(("-", "−")) else f"+{text}"


def short_value(value: float | None, unit: str, currency: str = "EUR") -> str:
    """Compact form for chart labels: '€79k', '65%', '204', '6.2'."""
    if not finite(value):
        return "–"
    if unit == MONEY:
        return formatting.money_short(float(value), currency)
    if unit == SHARE:
        return formatting.pct(float(value), 0)
    return (
        format_value(value, unit, currency).replace(" days", "d")
        if unit != NUMBER
        else formatting.number(value, 1)
    )


def format_change(
    change: float | None, change_pct: float | None, unit: str, currency: str = "EUR"
) -> str:
    """Change on the previous period: percentage points for shares, percent for the rest."""
    if not finite(change):
        return "–"
    if unit == SHARE:
        return _("{change} pts").format(change=_signed(formatting.number(change * 100, 1)))
    if finite(change_pct):
        return _signed(formatting.pct(change_pct, 1))
    sign = "+" if change >= 0 else "-"
    return sign + format_value(abs(change), unit, currency)
