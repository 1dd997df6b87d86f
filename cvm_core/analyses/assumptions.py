"""What the figures rest on that the file did not say: the "Assumed: ..." strip.

Profit, CLV and "active" depend on a gross margin, activity rates, a currency and a churn rule.
When the data gives them (a cost column, the client's own activity table, a currency in the
file, a rule the user chose), nothing is shown. When the app filled them in, each one is listed
here once, and the pages (beside the headline figures), the deck (executive summary and the
slides whose numbers depend on them) and the workbook's About sheet all print the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from cvm_core import formatting

MARGIN = "margin"
ACTIVITY_RATES = "activity rates"
CURRENCY = "currency"
CHURN_RULE = "churn rule"
CHANNEL_RATES = "channel rates"


@dataclass(frozen=True)
class Assumption:
    """One assumed input.

    Attributes
    ----------
    topic : str
        One of :data:`MARGIN`, :data:`ACTIVITY_RATES`, :data:`CURRENCY`, :data:`CHURN_RULE`,
        :data:`CHANNEL_RATES`.
    text : str
        The assumption in a few words ("30% gross margin: the file has no cost column").
    change : str
        Where the user changes it ("Profitability Whale Curve page, Cost model").
    """

    topic: str
    text: str
    change: str


def has_cost_column(summary: pd.DataFrame) -> bool:
    """Whether cost of goods came from the file (else the P&L assumes a gross margin)."""
    return "cost" in summary and bool(summary["cost"].notna().any())


def margin_assumption(summary: pd.DataFrame, gross_margin: float) -> Assumption | None:
    if has_cost_column(summary):
        return None
    return Assumption(
        MARGIN,
        f"{formatting.pct(gross_margin, 0)} gross margin on net revenue (the file has no cost "
        "column)",
        "Profitability Whale Curve page, Cost model",
    )


def rates_assumption(default_rates: bool) -> Assumption | None:
    if not default_rates:
        return None
    return Assumption(
        ACTIVITY_RATES,
        "the built-in activity rates for cost-to-serve (calibrated on the demo data, not your "
        "books)",
        "Profitability Whale Curve page, Cost model",
    )


def currency_assumption(currency: str, currency_source: str, chosen: bool) -> Assumption | None:
    """None when the file names the currency or the user typed one."""
    if currency_source or chosen:
        return None
    return Assumption(
        CURRENCY, f"amounts are in {currency} (the file names no currency)", "sidebar, Currency"
    )


def churn_assumption(rule_words: str | None, chosen: bool) -> Assumption | None:
    if not rule_words or chosen:
        return None
    return Assumption(
        CHURN_RULE,
        f"{rule_words} (the usual gap between purchases in the data)",
        "Retention page, Churn rule",
    )


def channel_assumption(assumed_rates: Mapping[str, float], currency: str) -> Assumption | None:
    """Channels with no rate of their own, charged the average channel rate."""
    if not assumed_rates:
        return None
    named = ", ".join(
        f"{name} {formatting.money(rate, currency, 2)}/order"
        for name, rate in sorted(assumed_rates.items())
    )
    return Assumption(
        CHANNEL_RATES,
        f"orders via channels without a rate cost the average channel rate ({named})",
        "Profitability Whale Curve page, Cost model",
    )


def collect(*items: Assumption | None) -> tuple[Assumption, ...]:
    """The assumptions that apply, each topic once, in the order given."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item is not None and item.topic not in seen:
            seen.add(item.topic)
            out.append(item)
    return tuple(out)


def strip_text(items: tuple[Assumption, ...]) -> str:
    """'Assumed: 30% gross margin ...; amounts are in EUR ...' ('' when nothing was assumed)."""
    if not items:
        return ""
    return "Assumed: " + "; ".join(item.text for item in items) + "."


def about_lines(items: tuple[Assumption, ...]) -> list[str]:
    """One line per assumption with where to change it, for the workbook's About sheet."""
    return [f"Assumed {item.topic}: {item.text}. Change it: {item.change}." for item in items]
