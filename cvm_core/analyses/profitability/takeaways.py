"""One sentence per Profitability chart: the message its slide carries, used by the page and the deck."""

from __future__ import annotations

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.curve import WhaleCurve, whole_pct

# --- one-line takeaways (chart captions in the deck) ---------------------------------------------


def revenue_takeaway(curve: WhaleCurve) -> str:
    """What share of revenue the profitable customers bring, against their share of profit."""
    s = curve.summary
    if not s.meaningful or "cum_revenue_share" not in curve.points:
        return "Profit against revenue needs positive total profit and revenue"
    revenue = float(curve.points["cum_revenue_share"].iloc[curve.key_ranks["peak"]])
    who = (
        "All customers"
        if s.all_profitable
        else f"The profitable {whole_pct(s.peak_share)} of customers"
    )
    return f"{who} bring {whole_pct(revenue)} of revenue and {whole_pct(s.peak_pct)} of profit"


def group_takeaway(table: pd.DataFrame, group_title: str, currency: str = "EUR") -> str:
    """The best and the worst group by operating profit (table: :func:`profit_by`)."""
    money = formatting.money_short
    best = table.loc[table["profit"].idxmax()]
    worst = table.loc[table["profit"].idxmin()]
    title = group_title.lower()
    if worst["profit"] < 0:
        return (
            f"{worst['group']} ({title}) loses {money(-worst['profit'], currency)} after "
            f"cost-to-serve; {best['group']} earns the most, {money(best['profit'], currency)}"
        )
    return f"Every {title} group is profitable; {best['group']} earns the most, {money(best['profit'], currency)}"


def segment_curve_takeaway(table: pd.DataFrame) -> str:
    """The group whose own whale curve has the highest hump (table: :attr:`SegmentCurves.table`)."""
    peaks = table.dropna(subset=["peak_pct"])
    if peaks.empty:
        return "No group makes a profit, so no group's curve can be drawn"
    top = peaks.loc[peaks["peak_pct"].idxmax()]
    return (
        f"{top['group']} has the highest hump: its profitable customers earn "
        f"{whole_pct(top['peak_pct'])} of the group's profit"
    )


def activity_takeaway(activities: pd.DataFrame, currency: str = "EUR") -> str:
    """The largest activity's share of the cost-to-serve (activities: CustomerPnL.activities)."""
    money = formatting.money_short
    total = float(activities["cost"].sum())
    if total <= 0:
        return "No cost-to-serve is assigned with these rates"
    top = activities.loc[activities["cost"].idxmax()]
    return (
        f"{top['activity']} is {whole_pct(top['share'])} of cost-to-serve "
        f"({money(top['cost'], currency)} of {money(total, currency)})"
    )


def loss_driver_takeaway(drivers: pd.DataFrame, currency: str = "EUR") -> str:
    """The activity costing the loss-makers most, per customer against profitable customers."""
    if drivers.empty or drivers["loss_makers_cost"].iloc[0] <= 0:
        return "No activity cost falls on loss-making customers"
    top = drivers.iloc[0]
    money = formatting.money
    return (
        f"{top['activity']} costs {money(top['per_loss_maker'], currency)} per loss-making customer, "
        f"against {money(top['per_profitable_customer'], currency)} per profitable one"
    )


def worst_customers_takeaway(long: pd.DataFrame, currency: str = "EUR") -> str:
    """How much the worst customers lose and their largest cost (long: worst_customers_costs)."""
    if long.empty:
        return "No customer loses money"
    money = formatting.money_short
    customers = long.drop_duplicates("customer_id")
    biggest = long.groupby("activity")["cost"].sum().idxmax()
    return (
        f"The {len(customers)} biggest loss-makers lose {money(-customers['profit'].sum(), currency)} "
        f"together; their largest cost is {biggest}"
    )
