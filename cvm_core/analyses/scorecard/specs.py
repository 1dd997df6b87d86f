"""The scorecard's measures: perspective, unit, direction and what each needs, and the statuses."""

from __future__ import annotations

from dataclasses import dataclass

from cvm_core.i18n import N_, Message, _, shown

PERSPECTIVES = (
    N_("Financial"), N_("Customer outcomes"), N_("Selection"), N_("Acquisition"), N_("Retention"),
    N_("Growth"),
)  # fmt: skip
"""The scorecard's perspectives, in English (translated where shown; measure names, definitions,
needs and statuses too: results are cached across languages, so they keep the English text)."""
FREQUENCIES: dict[str, str] = {"Q": N_("Quarter"), "M": N_("Month")}
"""Period lengths the scorecard can compare (pandas period codes -> names)."""

DEFAULT_FREQUENCY = "Q"
DEFAULT_WATCH_BAND = 0.05
"""A measure within 5% of its target (relative to the target) is on watch rather than off target."""

TREND_PERIODS = 12
"""Periods shown in a trend (the chosen period and up to 11 before it)."""

HIGHER, LOWER = "higher", "lower"
MONEY, SHARE, COUNT, NUMBER, DAYS = N_("money"), N_("share"), N_("count"), N_("number"), N_("days")
ON_TARGET, WATCH, OFF_TARGET = N_("on target"), N_("watch"), N_("off target")
NO_TARGET, NO_VALUE = N_("no target set"), N_("no value")
STATUSES = (ON_TARGET, WATCH, OFF_TARGET, NO_TARGET, NO_VALUE)

PNL_COLUMNS = ("revenue", "returns", "cogs", "cost_to_serve")
"""Money columns of a customer P&L the profit measures need (profit is recomputed from them)."""


@dataclass(frozen=True)
class MeasureSpec:
    """What a measure is.

    Attributes
    ----------
    key, perspective, name, definition : str
    unit : {"money", "share", "count", "number", "days"}
    better : {"higher", "lower"}
        Which direction is good, for the status.
    needs : str
        The data (column or page) that enables the measure; shown when it is missing.
    snapshot : bool
        Valued at the observation end (no trend, no previous period).
    """

    key: str
    perspective: str
    name: str
    definition: str
    unit: str
    better: str = HIGHER
    needs: str = ""
    snapshot: bool = False


_PNL_NEEDS = N_("the customer P&L (Profitability Whale Curve page)")
_CLV_NEEDS = N_("CLV predictions (Customer Lifetime Value page)")
_CATEGORY_NEEDS = N_("a 'Product' or 'Category' column in the transactions")

MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("new_customer_revenue", N_("Financial"), N_("Revenue from new customers"),
                N_("Net revenue in the period from customers whose first purchase falls in it."), MONEY),
    MeasureSpec("revenue_per_customer", N_("Financial"), N_("Revenue per customer"),
                N_("Net revenue in the period divided by the customers who bought in it."), MONEY),
    MeasureSpec("profit_per_customer", N_("Financial"), N_("Profit per customer"),
                N_("Operating profit (after cost of goods and activity-based cost-to-serve) in the "
                "period per customer who bought in it."), MONEY, needs=_PNL_NEEDS),
    MeasureSpec("cost_to_serve_share", N_("Financial"), N_("Cost-to-serve (% of net revenue)"),
                N_("Activity-based cost of serving customers as a share of their net revenue; by "
                "channel below."), SHARE, LOWER, needs=_PNL_NEEDS),
    MeasureSpec("satisfaction", N_("Customer outcomes"), N_("Customers highly satisfied"),
                N_("Share of surveyed customers giving the top satisfaction score."), SHARE,
                needs=N_("a customer satisfaction survey (type the result in)")),
    MeasureSpec("repeat_revenue_share", N_("Customer outcomes"), N_("Revenue from repeat customers"),
                N_("Share of the period's net revenue from customers who had bought before the period "
                "(depth of relationship)."), SHARE),
    MeasureSpec("referral_revenue_share", N_("Customer outcomes"), N_("Revenue from referred customers"),
                N_("Share of the period's net revenue from customers acquired through referrals."),
                SHARE, needs=N_("an 'Acquisition channel' column with a 'Referral' value in the "
                "customer table")),
    MeasureSpec("unprofitable_share", N_("Selection"), N_("Unprofitable customers"),
                N_("Share of the period's buying customers whose operating profit in the period is "
                "negative."), SHARE, LOWER, needs=_PNL_NEEDS),
    MeasureSpec("segment_contribution", N_("Selection"), N_("Contribution of the top segment"),
                N_("Share of the period's operating profit earned by the RFM segment that contributes "
                "most; every segment below."), SHARE, needs=N_("the customer P&L (Profitability Whale Curve page) and RFM segments")),
    MeasureSpec("strategic_accounts", N_("Selection"), N_("Strategic accounts"),
                N_("Customers in the top CLV tier, at the observation end."), COUNT,
                needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("new_customers", N_("Acquisition"), N_("New customers"),
                N_("Customers whose first purchase falls in the period."), COUNT),
    MeasureSpec("cost_per_new_customer", N_("Acquisition"), N_("Cost per new customer"),
                N_("Average acquisition cost of the customers acquired in the period."), MONEY, LOWER,
                needs=N_("an 'Acquisition cost' column in the customer table")),
    MeasureSpec("new_customer_clv", N_("Acquisition"), N_("CLV of new customers"),
                N_("Average predicted lifetime value (today) of the customers acquired in the period."),
                MONEY, needs=_CLV_NEEDS),
    MeasureSpec("campaign_response", N_("Acquisition"), N_("Campaign response rate"),
                N_("Share of customers contacted by a campaign who responded."), SHARE,
                needs=N_("campaign contacts and responses (type the rate in)")),
    MeasureSpec("retention_rate", N_("Retention"), N_("Repeat purchase rate (period on period)"),
                N_("Share of the previous period's buying customers who bought again in this period. "
                "Not customer retention: a customer who skips a period counts as not repeating "
                "though still a customer, so it runs below the annual retention."), SHARE),
    MeasureSpec("churn_rate", N_("Retention"), N_("Lapse rate (period on period)"),
                N_("Share of the previous period's buying customers who did not buy in this period "
                "(1 - the repeat purchase rate). Churn needs the churn window: see Active "
                "customers and Annual customer retention."), SHARE, LOWER),
    MeasureSpec("annual_retention", N_("Retention"), N_("Annual customer retention"),
                N_("Share of customers active a year before the observation end still active now "
                "(Retention page)."), SHARE, needs=N_("the Retention page's analysis"), snapshot=True),
    MeasureSpec("active_share", N_("Retention"), N_("Active customers"),
                N_("Share of customers old enough to tell who are active under the Retention page's "
                "churn rule, at the observation end: the share every page and slide states."),
                SHARE, needs=N_("the Retention page's analysis"), snapshot=True),
    MeasureSpec("premium_customers", N_("Retention"), N_("Premium customers"),
                N_("Customers in the top two CLV tiers, at the observation end."), COUNT,
                needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("average_clv", N_("Retention"), N_("Average customer lifetime value"),
                N_("Mean predicted CLV per customer at the observation end: discounted future "
                "margin minus future cost-to-serve, as on the CLV page."), MONEY, needs=_CLV_NEEDS,
                snapshot=True),
    MeasureSpec("complaint_resolution", N_("Retention"), N_("Complaint resolution time"),
                N_("Average days from a complaint to its resolution."), DAYS, LOWER,
                needs=N_("a complaint log with opening and closing dates (type the average in)")),
    MeasureSpec("products_per_customer", N_("Growth"), N_("Products per customer"),
                N_("Distinct products (or categories) bought per buying customer in the period."),
                NUMBER, needs=_CATEGORY_NEEDS),
    MeasureSpec("cross_sell_rate", N_("Growth"), N_("Cross-sell rate"),
                N_("Share of returning buyers (first purchase before the period) who bought a "
                "category in the period they had never bought before."), SHARE,
                needs=_CATEGORY_NEEDS),
    MeasureSpec("share_of_wallet", N_("Growth"), N_("Share of wallet (all buyers together)"),
                N_("The period's net revenue, annualised, as a share of the buying customers' annual "
                "category spend across all suppliers: a ratio of totals, led by the biggest "
                "wallets."), SHARE,
                needs=N_("a 'Category spend' (wallet size) column in the customer table")),
    MeasureSpec("wallet_share_mean", N_("Growth"), N_("Share of wallet, mean per customer"),
                N_("Each buying customer's annualised net revenue over their annual category spend, "
                "capped at 100%, averaged over the buyers."), SHARE,
                needs=N_("a 'Category spend' (wallet size) column in the customer table")),
    MeasureSpec("wallet_share_median", N_("Growth"), N_("Share of wallet, median customer"),
                N_("The middle buyer's share of wallet (capped at 100%)."), SHARE,
                needs=N_("a 'Category spend' (wallet size) column in the customer table")),
    MeasureSpec("wallet_over_100", N_("Growth"), N_("Buyers above 100% of their wallet"),
                N_("Buyers whose annualised net revenue exceeds their stated annual category spend "
                "(they count as 100% in the per-customer shares): their wallet size is likely out of date."), COUNT, LOWER,
                needs=N_("a 'Category spend' (wallet size) column in the customer table")),
)  # fmt: skip
"""Every measure, in display order."""

SPECS: dict[str, MeasureSpec] = {m.key: m for m in MEASURES}


def measure_name(key: str, name: str) -> str:
    """A measure's stored (English) name as shown in the current language. The top segment's
    contribution carries its segment in brackets: 'Contribution of the top segment (Champions)'."""
    spec = SPECS.get(key)
    if spec is not None and name != spec.name and name.startswith(f"{spec.name} ("):
        return f"{_(spec.name)} ({_(name[len(spec.name) + 2 : -1])})"
    return _(name)


def source_text(text: str) -> str:
    """Where a value comes from, named in English by the code ('transactions', 'CLV page'), kept
    as a Message: the result is cached across languages, and the name reads in the language on
    screen (:func:`shown_source`)."""
    return text if isinstance(text, Message) or "{" in text else Message(text)


def shown_source(text: str) -> str:
    """Where a value comes from, or 'Needs <what would enable it>', in the current language."""
    if isinstance(text, Message):  # a default that could not be computed: its error
        return shown(text)
    if text.startswith("Needs "):
        return _("Needs {needs}").format(needs=_(text[len("Needs ") :]))
    return _(text)


WHALE_SCENARIO_MEASURES = (
    "revenue_per_customer", "profit_per_customer", "cost_to_serve_share", "unprofitable_share",
)  # fmt: skip
CLV_SCENARIO_MEASURES = ("average_clv",)

SCORECARD_COLUMNS = (
    "key", "perspective", "measure", "definition", "unit", "better", "value", "previous", "change",
    "change_pct", "target", "status", "projected", "source", "needs", "snapshot",
)  # fmt: skip


TREND_COLUMNS = (
    "key", "measure", "unit", "better", "period", "period_start", "value", "label", "score",
)  # fmt: skip
