"""The whale curve: customers ranked by profit, cumulative profit as a share of the total.

Definitions used everywhere (page, command line, tests):

* Customers are ranked by operating profit, most profitable first (ties by customer id).
* **Cumulative profit %** after ``k`` customers = their summed profit / total profit. It ends at
  exactly 100% (the total is the last cumulative sum, so no rounding can move the end).
* **Peak**: the highest cumulative profit, reached where the profitable customers end; its height
  in % is (profit of all profitable customers) / (total profit). Peak - 100% is the profit the
  loss-making customers destroy, as a share of what is left.
* **Profit turns negative** (``loss_start_share``): the share of customers ranked before the first
  loss-making customer; every customer after it costs more to serve than they bring in.
* **Break-even point** (``break_even_share``): the smallest share of top customers that already
  earns 100% of the total profit. The customers after it, taken together, break even: the profit
  of the middle ones is exactly eaten up by the losses of the tail, so the curve, having risen
  above 100%, is back at 100% at the end.
* **Top 20%**: profit earned by the most profitable fifth of customers, as % of the total.
* **Profit lost in the tail**: the sum of the losses of the loss-making customers (a positive
  amount).

When total profit is zero or negative the percentages have no meaning (they would divide by zero
or flip sign), so they are ``None`` and the charts show cumulative profit in money instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.pnl import (
    CHANNEL_PREFIX,
    DEFAULT_GROSS_MARGIN,
    SMALL_ORDER_THRESHOLD,
    UNKNOWN_CHANNEL,
    CustomerPnL,
    channel_order_counts,
    customer_pnl,
    profit_by,
)
from cvm_core.errors import ValidationError

if TYPE_CHECKING:
    from cvm_core.analyses.profitability.whatif import ScenarioBase

TOP_SHARE = 0.2
"""The top slice of customers whose profit share is reported (the top 20%)."""

MAX_CHART_POINTS = 2000
"""Points per curve in a chart; the peak, zero crossings and end points are always kept."""

MAX_GROUPS = 8
"""Segments drawn as separate curves; smaller ones are combined into "Other"."""

PROFITABLE_ZONE = "Profitable customers"
LOSS_ZONE = "Loss-making customers"


def _pct(share: float | None) -> str:
    """Whole percentages, with one decimal where rounding would hide a difference (100.4%)."""
    if share is not None and (0.0 < abs(share) < 0.1 or 0.995 < share < 1.1):
        return formatting.pct(share, 1)
    return formatting.pct(share, 0)


# --- the curve -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhaleSummary:
    """Key points of a whale curve (see the module docstring for the definitions).

    Shares of customers and percentages are fractions (0.25 = 25%); money in the data's currency.
    Percentages of total profit are None when total profit is not positive.
    """

    customers: int
    total_profit: float
    peak_profit: float
    peak_share: float
    peak_pct: float | None
    break_even_share: float | None
    loss_start_share: float
    unprofitable: int
    unprofitable_share: float
    tail_loss: float
    top_share: float
    top_profit: float
    top_profit_pct: float | None
    all_profitable: bool
    meaningful: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def explanation(self, currency: str = "EUR") -> str:
        """One or two sentences saying what the curve shows (or why it is drawn in money)."""
        money, pct = formatting.money_short, _pct
        if not self.meaningful:
            return self._money_explanation(currency)
        if self.all_profitable:
            return (
                "Every customer is profitable: the curve rises steadily to 100% and never goes "
                "above it, so no profit is being destroyed by loss-making customers."
            )
        return (
            f"The most profitable {pct(self.peak_share)} of customers earn "
            f"{pct(self.peak_pct)} of total profit; the other "
            f"{pct(1 - self.loss_start_share)} lose "
            f"{money(self.tail_loss, currency)} and bring it back down to 100%. The top "
            f"{pct(self.break_even_share)} alone already earn everything: the "
            "customers after them break even as a group."
        )

    def _money_explanation(self, currency: str) -> str:
        money, pct = formatting.money_short, _pct
        what = "lose money" if self.total_profit < 0 else "break exactly even"
        why = (
            f"Total operating profit is {money(self.total_profit, currency)}: taken together the "
            f"customers {what} once cost-to-serve is counted, so a share of 'total profit' means "
            "nothing (it would divide by zero or a negative number). The chart shows cumulative "
            f"profit in {currency} instead: "
        )
        if self.peak_profit <= 0:
            return why + (
                "no customer makes a profit, so it only falls. Check the cost-to-serve rates, "
                "then the loss-making customers tab for the activities behind the losses."
            )
        return why + (
            f"it rises to {money(self.peak_profit, currency)} over the first "
            f"{pct(self.peak_share)} of customers, then the loss-makers' "
            f"{money(self.tail_loss, currency)} pull it down."
        )

    def takeaway(self, currency: str = "EUR") -> str:
        """The curve's message in one line (chart caption in the deck)."""
        money, pct = formatting.money_short, _pct
        if not self.meaningful and self.peak_profit <= 0:
            return f"Every customer loses money after cost-to-serve: {money(self.total_profit, currency)} in total"
        if not self.meaningful:
            return (
                f"The profitable {pct(self.peak_share)} of customers earn "
                f"{money(self.peak_profit, currency)}, but the other {pct(1 - self.peak_share)} lose "
                f"{money(self.tail_loss, currency)}: {money(self.total_profit, currency)} in total"
            )
        top = f"Top {pct(self.top_share)} of customers earn {pct(self.top_profit_pct)} of profit"
        if self.all_profitable:
            return f"{top}; every customer is profitable"
        return (
            f"{top}; the {pct(self.unprofitable_share)} who are unprofitable lose "
            f"{money(self.tail_loss, currency)}"
        )


@dataclass(frozen=True)
class WhaleCurve:
    """Full-resolution curve and its key points.

    Attributes
    ----------
    points : DataFrame
        One row per rank, starting with the origin (rank 0): rank, customer_id, profit,
        customer_share, cum_profit, cum_profit_pct (only when total profit > 0),
        cum_revenue_share (only when revenue is given and its total is positive).
    summary : WhaleSummary
    """

    points: pd.DataFrame
    summary: WhaleSummary
    key_ranks: dict[str, int] = field(default_factory=dict)


def _check_profit(profit: pd.Series) -> np.ndarray:
    values = np.asarray(profit, dtype=float)
    if values.size == 0:
        raise ValidationError("There are no customers to rank: the profit table is empty.")
    if not np.isfinite(values).all():
        raise ValidationError("Some customer profits are missing or infinite; check the cost data.")
    return values


def whale_curve(profit: pd.Series, revenue: pd.Series | None = None) -> WhaleCurve:
    """Rank customers by profit and compute the cumulative curve and its key points.

    Parameters
    ----------
    profit : Series
        Operating profit per customer (index: customer_id).
    revenue : Series, optional
        Net revenue per customer, same index, for the profit-versus-revenue view.

    Returns
    -------
    WhaleCurve

    Raises
    ------
    ValidationError
        When there are no customers or a profit is missing.
    """
    values = _check_profit(profit)
    order = np.argsort(-values, kind="stable")  # ties keep the customer-id order
    ranked = values[order]
    cum = np.concatenate(([0.0], np.cumsum(ranked)))
    n = ranked.size
    total = float(cum[-1])
    points = pd.DataFrame(
        {
            "rank": np.arange(n + 1),
            "customer_id": np.concatenate(([None], np.asarray(profit.index, dtype=object)[order])),
            "profit": np.concatenate(([0.0], ranked)),
            "customer_share": np.arange(n + 1) / n,
            "cum_profit": cum,
        }
    )
    summary, ranks = _key_points(ranked, cum)
    if summary.meaningful:
        points["cum_profit_pct"] = cum / total
    if revenue is not None:
        rev = np.asarray(revenue.reindex(profit.index), dtype=float)[order]
        cum_rev = np.concatenate(([0.0], np.cumsum(np.nan_to_num(rev))))
        if cum_rev[-1] > 0:
            points["cum_revenue_share"] = cum_rev / cum_rev[-1]
    return WhaleCurve(points, summary, ranks)


def _key_points(ranked: np.ndarray, cum: np.ndarray) -> tuple[WhaleSummary, dict[str, int]]:
    n = ranked.size
    total = float(cum[-1])
    meaningful = total > 0
    peak = int(np.argmax(cum))  # first maximum: zero-profit customers do not move the peak
    non_negative = int((ranked >= 0).sum())
    top = max(1, math.ceil(TOP_SHARE * n - 1e-9))
    ranks = {"start": 0, "end": n, "peak": peak, "loss_start": non_negative, "top": top}
    break_even = None
    if meaningful:
        # Tolerance: the running sum may miss the total by rounding in the last digits.
        tolerance = 1e-9 * max(float(np.abs(ranked).sum()), 1.0)
        ranks["break_even"] = int(np.argmax(cum >= total - tolerance))
        break_even = ranks["break_even"] / n
    below = np.flatnonzero(cum[1:] < 0)
    if below.size:
        ranks["zero_crossing"] = int(below[0]) + 1  # cumulative profit first goes below zero
    losses = ranked[ranked < 0]
    summary = WhaleSummary(
        customers=n,
        total_profit=total,
        peak_profit=float(cum[peak]),
        peak_share=peak / n,
        peak_pct=float(cum[peak] / total) if meaningful else None,
        break_even_share=break_even,
        loss_start_share=non_negative / n,
        unprofitable=int(losses.size),
        unprofitable_share=losses.size / n,
        tail_loss=float(-losses.sum()) if losses.size else 0.0,
        top_share=top / n,
        top_profit=float(cum[top]),
        top_profit_pct=float(cum[top] / total) if meaningful else None,
        all_profitable=losses.size == 0,
        meaningful=meaningful,
    )
    return summary, ranks


def downsample_ranks(n: int, keep: list[int] | tuple[int, ...], max_points: int) -> np.ndarray:
    """At most ``max_points`` ranks out of 0..n, evenly spread, always including ``keep``.

    The whale curve is concave on the profitable side and on the loss side (sorted profits), so
    evenly spaced points plus the exact key points draw it faithfully.
    """
    required = np.unique(np.clip(np.asarray([0, n, *keep], dtype=np.int64), 0, n))
    if n + 1 <= max_points:
        return np.arange(n + 1)
    spare = max(max_points - required.size, 0)
    grid = np.unique(np.linspace(0, n, spare + 2).round().astype(np.int64)) if spare else required
    ranks = np.union1d(required, grid)
    while ranks.size > max_points:  # rounding collisions are rare; thin the grid, never keys
        extra = np.setdiff1d(ranks, required)
        ranks = np.union1d(required, extra[::2])
    return ranks


def chart_points(curve: WhaleCurve, max_points: int = MAX_CHART_POINTS) -> pd.DataFrame:
    """Downsampled curve for charts, with a ``zone`` column and a ``key`` label on key points.

    The row where profit turns negative is repeated, once in each zone, so the two coloured parts
    of the line meet.
    """
    # One row is kept free for the repeated seam row, so the chart never exceeds max_points.
    ranks = downsample_ranks(len(curve.points) - 1, list(curve.key_ranks.values()), max_points - 1)
    out = curve.points.iloc[ranks].drop(columns=["customer_id"]).reset_index(drop=True)
    boundary = curve.key_ranks["loss_start"]
    out["zone"] = np.where(out["rank"] <= boundary, PROFITABLE_ZONE, LOSS_ZONE)
    seam = out[out["rank"] == boundary].assign(zone=LOSS_ZONE)
    if boundary < len(curve.points) - 1:
        out = pd.concat([out, seam], ignore_index=True).sort_values(["rank", "zone"], kind="stable")
    labels = {rank: name for name, rank in curve.key_ranks.items()}
    out["key"] = out["rank"].map(labels).fillna("")
    return out.reset_index(drop=True)


def key_point_marks(curve: WhaleCurve, currency: str = "EUR") -> pd.DataFrame:
    """The labelled points of the chart: peak, break-even, top 20%, the loss in the tail.

    Returns
    -------
    DataFrame
        key, label, align ("left": the label starts right of the point, "right": it ends left of
        it, so labels near the right edge stay inside the chart), customer_share, cum_profit,
        cum_profit_pct (when meaningful).
    """
    s = curve.summary
    points = curve.points
    marks = []

    def add(key: str, label: str, align: str = "left") -> None:
        if key in curve.key_ranks:
            row = points.iloc[curve.key_ranks[key]]
            marks.append({"key": key, "label": label, "align": align,
                          "customer_share": row["customer_share"], "cum_profit": row["cum_profit"],
                          "cum_profit_pct": row.get("cum_profit_pct", np.nan)})  # fmt: skip

    pct, money = _pct, formatting.money_short
    # Labels of points in the right half end left of the point, so none runs off the chart.
    side = {
        key: "right" if rank > 0.55 * s.customers else "left"
        for key, rank in curve.key_ranks.items()
    }
    if s.meaningful and not s.all_profitable:
        add("peak", f"Peak {pct(s.peak_pct)} at {pct(s.peak_share)} of customers", side["peak"])
        add("break_even", f"100% reached at {pct(s.break_even_share)} of customers")
        add(
            "end",
            f"{pct(s.unprofitable_share)} unprofitable: -{money(s.tail_loss, currency)}",
            "right",
        )
    elif s.meaningful:
        add("end", "100%: every customer is profitable", "right")
    else:
        if s.peak_profit > 0:
            add(
                "peak",
                f"Peak {money(s.peak_profit, currency)} at {pct(s.peak_share)} of customers",
                side["peak"],
            )
        add("end", f"Total {money(s.total_profit, currency)}", "right")
    if s.meaningful:
        add("top", f"Top {pct(s.top_share)} earn {pct(s.top_profit_pct)}", side["top"])
    columns = ["key", "label", "align", "customer_share", "cum_profit", "cum_profit_pct"]
    frame = pd.DataFrame(marks, columns=columns)
    return frame if s.meaningful else frame.drop(columns=["cum_profit_pct"])


# --- the analysis the page shows -----------------------------------------------------------------


@dataclass(frozen=True)
class WhaleAnalysis:
    """Customer P&L plus its whale curve: what the page computes once per cost model.

    ``what_if`` is the P&L prepared for the what-if levers (:func:`cvm_core.analyses.profitability.whatif.prepare`),
    so that a slider move only does arithmetic.
    """

    result: CustomerPnL
    curve: WhaleCurve
    chart: pd.DataFrame
    marks: pd.DataFrame
    what_if: ScenarioBase


def analyse(
    summary: pd.DataFrame,
    transactions: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
    observation_end: pd.Timestamp | str | None = None,
    currency: str = "EUR",
    max_points: int = MAX_CHART_POINTS,
) -> WhaleAnalysis:
    """Customer P&L (:func:`cvm_core.analyses.profitability.pnl.customer_pnl`), whale curve and chart data.

    Parameters are those of :func:`cvm_core.analyses.profitability.pnl.customer_pnl`, plus ``currency`` for
    the labels and ``max_points`` per chart line.
    """
    result = customer_pnl(
        summary, transactions, activities, cost_to_serve, small_order_threshold, gross_margin,
        observation_end,
    )  # fmt: skip
    # Imported here: the what-if module builds on this one's curve functions.
    from cvm_core.analyses.profitability.whatif import prepare

    curve = whale_curve(result.pnl["profit"], result.pnl["net_revenue"])
    chart = chart_points(curve, max_points)
    return WhaleAnalysis(result, curve, chart, key_point_marks(curve, currency), prepare(result))


# --- segments ------------------------------------------------------------------------------------


def grouping_options(
    pnl: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    tiers: pd.Series | None = None,
    segments: pd.Series | None = None,
    max_distinct: int = 30,
) -> dict[str, pd.Series]:
    """Ways to split customers: main channel, order size, customer attributes, CLV tier, RFM segment.

    Returns
    -------
    dict
        Label -> group per customer (aligned on ``pnl``'s index). Only usable splits appear: a
        channel column, customer attributes with 2..``max_distinct`` values, tiers/segments given.
    """
    options: dict[str, pd.Series] = {}
    if (pnl["main_channel"] != UNKNOWN_CHANNEL).any():
        options["Main channel"] = pnl["main_channel"]
    options["Order size (average order value)"] = pnl["order_size_band"]
    if tiers is not None:
        options["Value tier (CLV)"] = tiers.reindex(pnl.index)
    if segments is not None:
        options["RFM segment"] = segments.reindex(pnl.index)
    if customers is not None:
        for column in customers.columns:
            values = customers[column]
            if column == "customer_name" or not (
                values.dtype == object or isinstance(values.dtype, pd.StringDtype)
            ):
                continue
            aligned = values.reindex(pnl.index)
            if 2 <= aligned.nunique() <= max_distinct:
                options[str(column).replace("_", " ").capitalize()] = aligned
    return options


def _top_groups(groups: pd.Series, max_groups: int) -> pd.Series:
    labels = groups.astype(object).where(groups.notna(), "(none)").astype(str)
    counts = labels.value_counts()
    if len(counts) <= max_groups:
        return labels
    keep = set(counts.index[: max_groups - 1])
    return labels.where(labels.isin(keep), "Other")


@dataclass(frozen=True)
class SegmentCurves:
    """Whale curves per group.

    Attributes
    ----------
    points : DataFrame
        group, customer_share (within the group), cum_profit_pct (of the group's profit), rank.
    table : DataFrame
        :func:`cvm_core.analyses.profitability.pnl.profit_by` plus peak_pct and peak_share per group.
    notes : tuple of str
        Groups left out of the chart and why.
    """

    points: pd.DataFrame
    table: pd.DataFrame
    notes: tuple[str, ...]


def segment_curves(
    pnl: pd.DataFrame,
    groups: pd.Series,
    max_points: int = MAX_CHART_POINTS,
    max_groups: int = MAX_GROUPS,
    currency: str = "EUR",
) -> SegmentCurves:
    """One whale curve per group (each as % of that group's own profit), plus the profit table."""
    labels = _top_groups(groups.reindex(pnl.index), max_groups)
    table = profit_by(pnl, groups if isinstance(groups.dtype, pd.CategoricalDtype) else labels)
    frames, notes, peaks = [], [], {}
    per_line = max(max_points // max(labels.nunique(), 1), 50)
    for name, profit in pnl["profit"].groupby(labels.to_numpy(), sort=False):
        curve = whale_curve(profit)
        if not curve.summary.meaningful:
            notes.append(
                f"'{name}' is not drawn: its customers make {formatting.money_short(curve.summary.total_profit, currency)} "
                "in total, so a share of its profit has no meaning."
            )
            continue
        peaks[name] = (curve.summary.peak_pct, curve.summary.peak_share)
        ranks = downsample_ranks(len(profit), list(curve.key_ranks.values()), per_line)
        part = curve.points.iloc[ranks][["rank", "customer_share", "cum_profit_pct"]]
        frames.append(part.assign(group=str(name), customers=len(profit)))
    columns = ["group", "customers", "rank", "customer_share", "cum_profit_pct"]
    points = (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )
    table["peak_pct"] = table["group"].map(lambda g: peaks.get(g, (np.nan, np.nan))[0])
    table["peak_share"] = table["group"].map(lambda g: peaks.get(g, (np.nan, np.nan))[1])
    return SegmentCurves(points, table, tuple(notes))


# --- drill-down ----------------------------------------------------------------------------------


def loss_makers(
    result: CustomerPnL, customers: pd.DataFrame | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Unprofitable customers, worst first, with their cost-to-serve by activity.

    Returns
    -------
    DataFrame
        customer_id, customer_name (when known), main_channel, orders, net_revenue, gross_margin,
        cost_to_serve, profit, biggest_cost (activity), biggest_cost_share (of their
        cost-to-serve), then one column per activity.
    """
    pnl = result.pnl
    losing = pnl.index[pnl["profit"].to_numpy() < 0]
    frame = pnl.loc[losing, ["main_channel", "orders", "net_revenue", "gross_margin",
                             "cost_to_serve", "profit"]]  # fmt: skip
    costs = result.activity_costs.loc[losing]
    if customers is not None and "customer_name" in customers:
        frame.insert(
            0, "customer_name", customers["customer_name"].reindex(losing).fillna("").to_numpy()
        )
    if costs.shape[1]:
        frame["biggest_cost"] = costs.idxmax(axis=1) if len(costs) else pd.Series(dtype=object)
        biggest = costs.max(axis=1).to_numpy() if len(costs) else np.zeros(0)
        frame["biggest_cost_share"] = np.divide(
            biggest, frame["cost_to_serve"].to_numpy(), out=np.zeros(len(frame)),
            where=frame["cost_to_serve"].to_numpy() > 0,
        )  # fmt: skip
    frame = pd.concat([frame, costs], axis=1).sort_values("profit", kind="stable")
    frame = frame.head(limit) if limit else frame
    return frame.reset_index()


def loss_drivers(result: CustomerPnL) -> pd.DataFrame:
    """What makes loss-makers unprofitable: cost-to-serve per customer, loss-makers vs the rest.

    Returns
    -------
    DataFrame
        activity, loss_makers_cost (total), per_loss_maker, per_profitable_customer, ratio
        (per loss-maker / per profitable customer; 0 when the latter is 0), sorted by
        loss_makers_cost, descending. Activities with no cost are left out.
    """
    losing = result.pnl["profit"].to_numpy() < 0
    costs = result.activity_costs
    n_loss, n_rest = int(losing.sum()), int((~losing).sum())
    total_loss = costs[losing].sum()
    out = pd.DataFrame(
        {
            "activity": costs.columns,
            "loss_makers_cost": total_loss.to_numpy(),
            "per_loss_maker": (total_loss / n_loss).to_numpy() if n_loss else 0.0,
            "per_profitable_customer": (costs[~losing].sum() / n_rest).to_numpy()
            if n_rest
            else 0.0,
        }
    )
    out["ratio"] = np.divide(
        out["per_loss_maker"].to_numpy(), out["per_profitable_customer"].to_numpy(),
        out=np.zeros(len(out)), where=out["per_profitable_customer"].to_numpy() > 0,
    )  # fmt: skip
    out = out[(out["loss_makers_cost"] > 0) | (out["per_profitable_customer"] > 0)]
    return out.sort_values("loss_makers_cost", ascending=False).reset_index(drop=True)


def worst_customers_costs(result: CustomerPnL, count: int = 15) -> pd.DataFrame:
    """Long frame for a stacked bar chart: the ``count`` worst customers' costs by activity.

    Returns
    -------
    DataFrame
        customer_id, activity, cost, gross_margin, profit, position (1 = worst).
    """
    worst = result.pnl["profit"].nsmallest(count)
    worst = worst[worst < 0]
    costs = result.activity_costs.loc[worst.index]
    costs = costs.loc[:, costs.sum() > 0]
    long = costs.reset_index().melt(id_vars="customer_id", var_name="activity", value_name="cost")
    position = pd.Series(np.arange(1, len(worst) + 1), index=worst.index)
    long["gross_margin"] = long["customer_id"].map(result.pnl["gross_margin"])
    long["profit"] = long["customer_id"].map(result.pnl["profit"])
    long["position"] = long["customer_id"].map(position)
    return long[long["cost"] > 0].reset_index(drop=True)


def channel_order_costs(result: CustomerPnL) -> pd.DataFrame:
    """Per-order cost of each ordering channel from the channel activities of the activity table.

    Returns
    -------
    DataFrame
        channel, orders, cost_per_order (sum of the rates of activities driven by
        ``Orders via <channel>``), sorted from most to least costly.
    """
    activities = result.activities
    rows = []
    counts = channel_order_counts(result.orders, len(result.pnl)).sum(axis=0)
    for j, channel in enumerate(result.orders.channels):
        driven = activities["driver"] == f"{CHANNEL_PREFIX}{channel}"
        rows.append((channel, float(counts[j]), float(activities.loc[driven, "rate"].sum())))
    out = pd.DataFrame(rows, columns=["channel", "orders", "cost_per_order"])
    return out.sort_values("cost_per_order", ascending=False, kind="stable").reset_index(drop=True)


# --- one-line takeaways (chart captions in the deck) ---------------------------------------------


def revenue_takeaway(curve: WhaleCurve) -> str:
    """What share of revenue the profitable customers bring, against their share of profit."""
    s = curve.summary
    if not s.meaningful or "cum_revenue_share" not in curve.points:
        return "Profit against revenue needs positive total profit and revenue"
    revenue = float(curve.points["cum_revenue_share"].iloc[curve.key_ranks["peak"]])
    who = (
        "All customers" if s.all_profitable else f"The profitable {_pct(s.peak_share)} of customers"
    )
    return f"{who} bring {_pct(revenue)} of revenue and {_pct(s.peak_pct)} of profit"


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
        f"{_pct(top['peak_pct'])} of the group's profit"
    )


def activity_takeaway(activities: pd.DataFrame, currency: str = "EUR") -> str:
    """The largest activity's share of the cost-to-serve (activities: CustomerPnL.activities)."""
    money = formatting.money_short
    total = float(activities["cost"].sum())
    if total <= 0:
        return "No cost-to-serve is assigned with these rates"
    top = activities.loc[activities["cost"].idxmax()]
    return (
        f"{top['activity']} is {_pct(top['share'])} of cost-to-serve "
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
