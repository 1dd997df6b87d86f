"""The scorecard's measures: perspective, unit, direction and what each needs, and the statuses."""

from __future__ import annotations

from dataclasses import dataclass

PERSPECTIVES = (
    "Financial", "Customer outcomes", "Selection", "Acquisition", "Retention", "Growth",
)  # fmt: skip
FREQUENCIES: dict[str, str] = {"Q": "Quarter", "M": "Month"}
"""Period lengths the scorecard can compare (pandas period codes -> names)."""

DEFAULT_FREQUENCY = "Q"
DEFAULT_WATCH_BAND = 0.05
"""A measure within 5% of its target (relative to the target) is on watch rather than off target."""

TREND_PERIODS = 12
"""Periods shown in a trend (the chosen period and up to 11 before it)."""

HIGHER, LOWER = "higher", "lower"
MONEY, SHARE, COUNT, NUMBER, DAYS = "money", "share", "count", "number", "days"
ON_TARGET, WATCH, OFF_TARGET = "on target", "watch", "off target"
NO_TARGET, NO_VALUE = "no target set", "no value"
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


_PNL_NEEDS = "the customer P&L (Profitability Whale Curve page)"
_CLV_NEEDS = "CLV predictions (Customer Lifetime Value page)"
_CATEGORY_NEEDS = "a 'Product' or 'Category' column in the transactions"

MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("new_customer_revenue", "Financial", "Revenue from new customers",
                "Net revenue in the period from customers whose first purchase falls in it.", MONEY),
    MeasureSpec("revenue_per_customer", "Financial", "Revenue per customer",
                "Net revenue in the period divided by the customers who bought in it.", MONEY),
    MeasureSpec("profit_per_customer", "Financial", "Profit per customer",
                "Operating profit (after cost of goods and activity-based cost-to-serve) in the "
                "period per customer who bought in it.", MONEY, needs=_PNL_NEEDS),
    MeasureSpec("cost_to_serve_share", "Financial", "Cost-to-serve (% of net revenue)",
                "Activity-based cost of serving customers as a share of their net revenue; by "
                "channel below.", SHARE, LOWER, needs=_PNL_NEEDS),
    MeasureSpec("satisfaction", "Customer outcomes", "Customers highly satisfied",
                "Share of surveyed customers giving the top satisfaction score.", SHARE,
                needs="a customer satisfaction survey (type the result in)"),
    MeasureSpec("repeat_revenue_share", "Customer outcomes", "Revenue from repeat customers",
                "Share of the period's net revenue from customers who had bought before the period "
                "(depth of relationship).", SHARE),
    MeasureSpec("referral_revenue_share", "Customer outcomes", "Revenue from referred customers",
                "Share of the period's net revenue from customers acquired through referrals.",
                SHARE, needs="an 'Acquisition channel' column with a 'Referral' value in the "
                "customer table"),
    MeasureSpec("unprofitable_share", "Selection", "Unprofitable customers",
                "Share of the period's buying customers whose operating profit in the period is "
                "negative.", SHARE, LOWER, needs=_PNL_NEEDS),
    MeasureSpec("segment_contribution", "Selection", "Contribution of the top segment",
                "Share of the period's operating profit earned by the RFM segment that contributes "
                "most; every segment below.", SHARE, needs=_PNL_NEEDS + " and RFM segments"),
    MeasureSpec("strategic_accounts", "Selection", "Strategic accounts",
                "Customers in the top CLV tier, at the observation end.", COUNT,
                needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("new_customers", "Acquisition", "New customers",
                "Customers whose first purchase falls in the period.", COUNT),
    MeasureSpec("cost_per_new_customer", "Acquisition", "Cost per new customer",
                "Average acquisition cost of the customers acquired in the period.", MONEY, LOWER,
                needs="an 'Acquisition cost' column in the customer table"),
    MeasureSpec("new_customer_clv", "Acquisition", "CLV of new customers",
                "Average predicted lifetime value (today) of the customers acquired in the period.",
                MONEY, needs=_CLV_NEEDS),
    MeasureSpec("campaign_response", "Acquisition", "Campaign response rate",
                "Share of customers contacted by a campaign who responded.", SHARE,
                needs="campaign contacts and responses (type the rate in)"),
    MeasureSpec("retention_rate", "Retention", "Repeat purchase rate (period on period)",
                "Share of the previous period's buying customers who bought again in this period. "
                "Not customer retention: a customer who skips a period counts as not repeating "
                "though still a customer, so it runs below the annual retention.", SHARE),
    MeasureSpec("churn_rate", "Retention", "Lapse rate (period on period)",
                "Share of the previous period's buying customers who did not buy in this period "
                "(1 - the repeat purchase rate). Churn needs the churn window: see Active "
                "customers and Annual customer retention.", SHARE, LOWER),
    MeasureSpec("annual_retention", "Retention", "Annual customer retention",
                "Share of customers active a year before the observation end still active now "
                "(Retention page).", SHARE, needs="the Retention page's analysis", snapshot=True),
    MeasureSpec("active_share", "Retention", "Active customers",
                "Share of customers old enough to tell who are active under the Retention page's "
                "churn rule, at the observation end: the share every page and slide states.",
                SHARE, needs="the Retention page's analysis", snapshot=True),
    MeasureSpec("premium_customers", "Retention", "Premium customers",
                "Customers in the top two CLV tiers, at the observation end.", COUNT,
                needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("average_clv", "Retention", "Average customer lifetime value",
                "Mean predicted CLV per customer at the observation end: discounted future "
                "margin minus future cost-to-serve, as on the CLV page.", MONEY, needs=_CLV_NEEDS,
                snapshot=True),
    MeasureSpec("complaint_resolution", "Retention", "Complaint resolution time",
                "Average days from a complaint to its resolution.", DAYS, LOWER,
                needs="a complaint log with opening and closing dates (type the average in)"),
    MeasureSpec("products_per_customer", "Growth", "Products per customer",
                "Distinct products (or categories) bought per buying customer in the period.",
                NUMBER, needs=_CATEGORY_NEEDS),
    MeasureSpec("cross_sell_rate", "Growth", "Cross-sell rate",
                "Share of returning buyers (first purchase before the period) who bought a "
                "category in the period they had never bought before.", SHARE,
                needs=_CATEGORY_NEEDS),
    MeasureSpec("share_of_wallet", "Growth", "Share of wallet (all buyers together)",
                "The period's net revenue, annualised, as a share of the buying customers' annual "
                "category spend across all suppliers: a ratio of totals, led by the biggest "
                "wallets.", SHARE,
                needs="a 'Category spend' (wallet size) column in the customer table"),
    MeasureSpec("wallet_share_mean", "Growth", "Share of wallet, mean per customer",
                "Each buying customer's annualised net revenue over their annual category spend, "
                "capped at 100%, averaged over the buyers.", SHARE,
                needs="a 'Category spend' (wallet size) column in the customer table"),
    MeasureSpec("wallet_share_median", "Growth", "Share of wallet, median customer",
                "The middle buyer's share of wallet (capped at 100%).", SHARE,
                needs="a 'Category spend' (wallet size) column in the customer table"),
    MeasureSpec("wallet_over_100", "Growth", "Buyers above 100% of their wallet",
                "Buyers whose annualised net revenue exceeds their stated annual category spend "
                "(they count as 100% in the per-customer shares): their wallet size is likely out of date.", COUNT, LOWER,
                needs="a 'Category spend' (wallet size) column in the customer table"),
)  # fmt: skip
"""Every measure, in display order."""

SPECS: dict[str, MeasureSpec] = {m.key: m for m in MEASURES}

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
