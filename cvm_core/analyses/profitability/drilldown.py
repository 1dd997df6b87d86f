"""Drill-down behind the whale curve: curves per segment or channel, the loss-makers and the
activities that make them so, and cost per order by channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.activities import (
    CHANNEL_PREFIX,
    UNKNOWN_CHANNEL,
)
from cvm_core.analyses.profitability.curve import (
    MAX_CHART_POINTS,
    WhaleCurve,
    downsample_ranks,
    whale_curve,
)
from cvm_core.analyses.profitability.drivers import channel_order_counts
from cvm_core.analyses.profitability.pnl import CustomerPnL, profit_by
from cvm_core.i18n import _

MAX_GROUPS = 8
"""Segments drawn as separate curves; smaller ones are combined into "Other"."""


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
                _(
                    "'{name}' is not drawn: its customers make {total} in total, so a share of "
                    "its profit has no meaning."
                ).format(
                    name=name, total=formatting.money_short(curve.summary.total_profit, currency)
                )
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

    Only channels the table prices (an activity driven by ``Orders via <channel>``, an assumed
    average rate included) are listed, and not ``Unknown``: the channel-migration what-if offers
    these, and moving orders to a channel without a rate would look like saving its whole cost.

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
        if channel == UNKNOWN_CHANNEL or not driven.any():
            continue
        rows.append((channel, float(counts[j]), float(activities.loc[driven, "rate"].sum())))
    out = pd.DataFrame(rows, columns=["channel", "orders", "cost_per_order"])
    return out.sort_values("cost_per_order", ascending=False, kind="stable").reset_index(drop=True)


# --- a slice of the whale curve ------------------------------------------------------------------


def curve_slice(curve: WhaleCurve, start_share: float, end_share: float) -> pd.Index:
    """The customers a range of the whale curve's x axis covers (shares of customers, most
    profitable first): e.g. 0.7-1.0 is the tail after a peak at 70%.

    A customer belongs to the slice when the curve's point after adding them lies in the range.
    """
    low, high = sorted((float(start_share), float(end_share)))
    points = curve.points.iloc[1:]  # rank 0 is the origin, no customer
    share = points["customer_share"].to_numpy()
    inside = (share >= low) & (share <= high)
    return pd.Index(points.loc[inside, "customer_id"], name="customer_id")


def slice_summary(pnl: pd.DataFrame, ids: pd.Index) -> dict[str, float]:
    """Customers, net revenue, cost-to-serve and profit of a slice, with its share of the
    customers and of total profit (NaN when total profit is not positive)."""
    part = pnl.loc[pnl.index.intersection(ids)]
    total = float(pnl["profit"].sum())
    profit = float(part["profit"].sum())
    return {
        "customers": len(part),
        "customer_share": len(part) / len(pnl) if len(pnl) else float("nan"),
        "net_revenue": float(part["net_revenue"].sum()),
        "cost_to_serve": float(part["cost_to_serve"].sum()),
        "profit": profit,
        "profit_share": profit / total if total > 0 else float("nan"),
    }
