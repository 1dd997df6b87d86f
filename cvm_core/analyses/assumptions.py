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
from cvm_core.i18n import N_, _

MARGIN = N_("margin")
ACTIVITY_RATES = N_("activity rates")
CURRENCY = N_("currency")
CHURN_RULE = N_("churn rule")
CHANNEL_RATES = N_("channel rates")
WHALE_COST_MODEL = N_("Profitability Whale Curve page, Cost model")


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
        _("{margin} gross margin (no cost column in the file)").format(
            margin=formatting.pct(gross_margin, 0)
        ),
        _(WHALE_COST_MODEL),
    )


def rates_assumption(default_rates: bool) -> Assumption | None:
    if not default_rates:
        return None
    return Assumption(
        ACTIVITY_RATES,
        _("the built-in cost-to-serve rates (set for the demo data, not your books)"),
        _(WHALE_COST_MODEL),
    )


def currency_assumption(currency: str, currency_source: str, chosen: bool) -> Assumption | None:
    """None when the file names the currency or the user typed one."""
    if currency_source or chosen:
        return None
    return Assumption(
        CURRENCY,
        _("amounts in {currency} (the file names no currency)").format(currency=currency),
        _("sidebar, Currency"),
    )


def churn_assumption(rule_words: str | None, chosen: bool) -> Assumption | None:
    if not rule_words or chosen:
        return None
    return Assumption(
        CHURN_RULE,
        _("{rule} (the data's usual gap between purchases)").format(rule=rule_words),
        _("Retention page, Churn rule"),
    )


def channel_assumption(assumed_rates: Mapping[str, float], currency: str) -> Assumption | None:
    """Channels with no rate of their own, charged the average channel rate."""
    if not assumed_rates:
        return None
    named = ", ".join(
        _("{channel} {amount}/order").format(
            channel=name, amount=formatting.money(rate, currency, 2)
        )
        for name, rate in sorted(assumed_rates.items())
    )
    return Assumption(
        CHANNEL_RATES,
        _("channels without a rate cost the average ({rates})").format(rates=named),
        _(WHALE_COST_MODEL),
    )


def is_default_rates(activities: pd.DataFrame | None) -> bool:
    """Whether the activity table is the built-in one (None counts as the built-in one).

    Rows the app added for channels without a rate of their own do not count as the user's:
    they are assumed too, and listed under :data:`CHANNEL_RATES`.
    """
    from cvm_core.analyses.profitability.activities import ACTIVITY_COLUMNS, DEFAULT_ACTIVITIES

    if activities is None:
        return True
    own = activities[
        ~activities["activity"].astype(str).str.contains(ASSUMED_ROW_MARK, regex=False)
    ]
    columns = list(ACTIVITY_COLUMNS)
    if len(own) != len(DEFAULT_ACTIVITIES) or not set(columns) <= set(own.columns):
        return False
    mine = (
        own[columns]
        .reset_index(drop=True)
        .astype(object)
        .where(own[columns].notna().to_numpy(), None)
    )
    built_in = (
        DEFAULT_ACTIVITIES[columns].astype(object).where(DEFAULT_ACTIVITIES[columns].notna(), None)
    )
    return mine.equals(built_in)


ASSUMED_ROW_MARK = "(assumed"
"""Activities whose name holds this were added by the app, not typed by the user."""


def for_inputs(
    summary: pd.DataFrame,
    *,
    gross_margin: float,
    activities: pd.DataFrame | None,
    currency: str,
    dataset_currency: str,
    currency_source: str,
    rule_words: str | None = None,
    rule_chosen: bool = False,
    assumed_channel_rates: Mapping[str, float] | None = None,
    topics: tuple[str, ...] = (MARGIN, ACTIVITY_RATES, CHANNEL_RATES, CURRENCY, CHURN_RULE),
) -> tuple[Assumption, ...]:
    """The assumptions behind one page's (or the deck's) figures, limited to ``topics``.

    ``currency`` is the one shown; it counts as chosen when it differs from the dataset's.
    """
    every = {
        MARGIN: margin_assumption(summary, gross_margin),
        ACTIVITY_RATES: rates_assumption(is_default_rates(activities)),
        CHANNEL_RATES: channel_assumption(assumed_channel_rates or {}, currency),
        CURRENCY: currency_assumption(currency, currency_source, currency != dataset_currency),
        CHURN_RULE: churn_assumption(rule_words, rule_chosen),
    }
    return collect(*(every[topic] for topic in topics))


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
    """'Assumed: 30% gross margin ...; amounts in EUR ...' ('' when nothing was assumed)."""
    if not items:
        return ""
    return _("Assumed: {assumptions}.").format(assumptions="; ".join(item.text for item in items))


def about_lines(items: tuple[Assumption, ...]) -> list[str]:
    """One line per assumption with where to change it, for the workbook's About sheet."""
    return [
        _("Assumed {topic}: {assumption}. Change it: {where}.").format(
            topic=_(item.topic), assumption=item.text, where=item.change
        )
        for item in items
    ]
