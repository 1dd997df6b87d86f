"""One sentence per Profitability chart: the message its slide carries, used by the page and the deck."""

from __future__ import annotations

import pandas as pd

from cvm_core import formatting, i18n
from cvm_core.analyses.profitability.curve import WhaleCurve, whole_pct
from cvm_core.i18n import _

# --- one-line takeaways (chart captions in the deck) ---------------------------------------------


def revenue_takeaway(curve: WhaleCurve) -> str:
    """What share of revenue the profitable customers bring, against their share of profit."""
    s = curve.summary
    if not s.meaningful or "cum_revenue_share" not in curve.points:
        return _("Profit against revenue needs positive total profit and revenue")
    revenue = float(curve.points["cum_revenue_share"].iloc[curve.key_ranks["peak"]])
    if s.all_profitable:
        text = _("All customers bring {revenue} of revenue and {profit} of profit")
    else:
        text = _(
            "The profitable {share} of customers bring {revenue} of revenue and {profit} of profit"
        )
    return text.format(
        share=whole_pct(s.peak_share), revenue=whole_pct(revenue), profit=whole_pct(s.peak_pct)
    )


def _lower_first(title: str) -> str:
    """'Main channel' -> 'main channel', but 'RFM segment' stays (an acronym keeps its case);
    as given in German (nouns keep their capital) and Chinese."""
    if i18n.current() != "en":
        return title
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
    if worst["profit"] < 0:
        text = (
            _(
                "{worst} ({title}) loses {loss} after cost-to-serve; {best} earns the most, "
                "{profit} ({share} of the total)"
            )
            if total > 0
            else _(
                "{worst} ({title}) loses {loss} after cost-to-serve; {best} earns the most, {profit}"
            )
        )
    else:
        text = (
            _(
                "Every {title} group is profitable; {best} earns the most, {profit} ({share} of the total)"
            )
            if total > 0
            else _("Every {title} group is profitable; {best} earns the most, {profit}")
        )
    return text.format(
        worst=worst["group"],
        title=title,
        loss=money(-worst["profit"], currency),
        best=best["group"],
        profit=money(best["profit"], currency),
        share=formatting.pct(best["profit"] / total, 0) if total > 0 else "",
    )


def segment_curve_takeaway(table: pd.DataFrame) -> str:
    """The group whose own whale curve has the highest hump (table: :attr:`SegmentCurves.table`)."""
    peaks = table.dropna(subset=["peak_pct"])
    if peaks.empty:
        return _("No group makes a profit, so no group's curve can be drawn")
    top = peaks.loc[peaks["peak_pct"].idxmax()]
    return _(
        "{group} has the highest hump: its profitable customers earn {share} of the group's profit"
    ).format(group=top["group"], share=whole_pct(top["peak_pct"]))


def activity_takeaway(activities: pd.DataFrame, currency: str = "EUR") -> str:
    """The largest activity's share of the cost-to-serve (activities: CustomerPnL.activities)."""
    money = formatting.money_short
    total = float(activities["cost"].sum())
    if total <= 0:
        return _("No cost-to-serve is assigned with these rates")
    top = activities.loc[activities["cost"].idxmax()]
    return _("{activity} is {share} of cost-to-serve ({cost} of {total})").format(
        activity=top["activity"],
        share=whole_pct(top["share"]),
        cost=money(top["cost"], currency),
        total=money(total, currency),
    )


def loss_driver_takeaway(drivers: pd.DataFrame, currency: str = "EUR") -> str:
    """The activity whose cost per loss-maker exceeds the cost per profitable customer the most
    (what makes them unprofitable), or, when none does, that their margin is the difference."""
    if drivers.empty or drivers["loss_makers_cost"].iloc[0] <= 0:
        return _("No activity cost falls on loss-making customers")
    excess = drivers["per_loss_maker"] - drivers["per_profitable_customer"]
    money = formatting.money
    if excess.max() <= 0:
        return _(
            "Loss-makers cost no more to serve than profitable customers in any activity: they "
            "lose money because their gross margin is too small to carry the same costs"
        )
    top = drivers.loc[excess.idxmax()]
    return _(
        "{activity} costs {loss_maker} per loss-making customer, against {profitable} per "
        "profitable one"
    ).format(
        activity=top["activity"],
        loss_maker=money(top["per_loss_maker"], currency),
        profitable=money(top["per_profitable_customer"], currency),
    )


def worst_customers_takeaway(
    long: pd.DataFrame, currency: str = "EUR", total_profit: float | None = None
) -> str:
    """How much the worst customers lose, against total operating profit when given (so a loss
    of EUR 26 reads as the trifle it is), and their largest cost (long: worst_customers_costs)."""
    if long.empty:
        return _("No customer loses money")
    money = formatting.money_short
    customers = long.drop_duplicates("customer_id")
    biggest = long.groupby("activity")["cost"].sum().idxmax()
    loss = -float(customers["profit"].sum())
    one = len(customers) == 1
    if total_profit is not None and total_profit > 0:
        text = (
            _(
                "The loss-maker loses {loss}, {share} of the {profit} operating profit; its "
                "largest cost is {activity}"
            )
            if one
            else _(
                "The {n} biggest loss-makers lose {loss} together, {share} of the {profit} "
                "operating profit; their largest cost is {activity}"
            )
        )
    elif total_profit is not None:
        text = (
            _(
                "The loss-maker loses {loss}; operating profit is {profit} in total; its largest "
                "cost is {activity}"
            )
            if one
            else _(
                "The {n} biggest loss-makers lose {loss} together; operating profit is {profit} "
                "in total; their largest cost is {activity}"
            )
        )
    else:
        text = (
            _("The loss-maker loses {loss}; its largest cost is {activity}")
            if one
            else _(
                "The {n} biggest loss-makers lose {loss} together; their largest cost is {activity}"
            )
        )
    return text.format(
        n=len(customers),
        loss=money(loss, currency),
        share=formatting.pct(loss / total_profit, 1) if total_profit else "",
        profit=money(total_profit, currency),
        activity=biggest,
    )
