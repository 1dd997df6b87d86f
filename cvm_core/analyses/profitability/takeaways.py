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


def _lower_first(title: str) -> str:
    """'Main channel' -> 'main channel', but 'RFM segment' stays (an acronym keeps its case)."""
    first = title.split(" ")[0]
    return title if first.isupper() else title[:1].lower() + title[1:]


def group_takeaway(table: pd.DataFrame, group_title: str, currency: str = "EUR") -> str:
    """The best and the worst group by operating profit (table: :func:`profit_by`), the best
    one's profit against the total so the reader sees how much rests on it."""
    money = formatting.money_short
    best = table.loc[table["profit"].idxmax()]
    worst = table.loc[table["profit"].idxmin()]
    title = _lower_first(group_title)
    total = float(table["profit"].sum())
    share = f" ({formatting.pct(best['profit'] / total, 0)} of the total)" if total > 0 else ""
    if worst["profit"] < 0:
        return (
            f"{worst['group']} ({title}) loses {money(-worst['profit'], currency)} after "
            f"cost-to-serve; {best['group']} earns the most, {money(best['profit'], currency)}{share}"
        )
    return f"Every {title} group is profitable; {best['group']} earns the most, {money(best['profit'], currency)}{share}"


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
    """The activity whose cost per loss-maker exceeds the cost per profitable customer the most
    (what makes them unprofitable), or, when none does, that their margin is the difference."""
    if drivers.empty or drivers["loss_makers_cost"].iloc[0] <= 0:
        return "No activity cost falls on loss-making customers"
    excess = drivers["per_loss_maker"] - drivers["per_profitable_customer"]
    money = formatting.money
    if excess.max() <= 0:
        return (
            "Loss-makers cost no more to serve than profitable customers in any activity: they "
            "lose money because their gross margin is too small to carry the same costs"
        )
    top = drivers.loc[excess.idxmax()]
    return (
        f"{top['activity']} costs {money(top['per_loss_maker'], currency)} per loss-making customer, "
        f"against {money(top['per_profitable_customer'], currency)} per profitable one"
    )


def worst_customers_takeaway(
    long: pd.DataFrame, currency: str = "EUR", total_profit: float | None = None
) -> str:
    """How much the worst customers lose, against total operating profit when given (so a loss
    of EUR 26 reads as the trifle it is), and their largest cost (long: worst_customers_costs)."""
    if long.empty:
        return "No customer loses money"
    money = formatting.money_short
    customers = long.drop_duplicates("customer_id")
    biggest = long.groupby("activity")["cost"].sum().idxmax()
    loss = -float(customers["profit"].sum())
    who = (
        "loss-maker loses" if len(customers) == 1 else f"{len(customers)} biggest loss-makers lose"
    )
    against = ""
    if total_profit is not None and total_profit > 0:
        against = f", {formatting.pct(loss / total_profit, 1)} of the {money(total_profit, currency)} operating profit"
    elif total_profit is not None:
        against = f"; operating profit is {money(total_profit, currency)} in total"
    largest = "its largest cost" if len(customers) == 1 else "their largest cost"
    together = "" if len(customers) == 1 else " together"
    return f"The {who} {money(loss, currency)}{together}{against}; {largest} is {biggest}"
