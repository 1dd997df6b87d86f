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

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.errors import ValidationError
from cvm_core.profitability import (
    CHANNEL_PREFIX,
    DEFAULT_GROSS_MARGIN,
    ORDERS,
    SMALL_ORDER_THRESHOLD,
    SMALL_ORDERS,
    UNKNOWN_CHANNEL,
    CustomerPnL,
    channel_order_counts,
    customer_pnl,
    operating_profit,
    profit_by,
    row_costs,
)

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
            what = "lose money" if self.total_profit < 0 else "break exactly even"
            return (
                f"Total operating profit is {money(self.total_profit, currency)}: taken together the "
                f"customers {what} once cost-to-serve is counted, so a share of 'total profit' "
                "means nothing (it would divide by zero or a negative number). The chart shows "
                f"cumulative profit in {currency} instead: it rises to "
                f"{money(self.peak_profit, currency)} over the first "
                f"{pct(self.peak_share)} of customers, then the loss-makers' "
                f"{money(self.tail_loss, currency)} pull it down."
            )
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
    """The labelled points of the chart: peak, break-even, top 20%, where profit turns negative.

    Returns
    -------
    DataFrame
        key, label, customer_share, cum_profit, cum_profit_pct (when meaningful).
    """
    s = curve.summary
    points = curve.points
    marks = []

    def add(key: str, label: str) -> None:
        if key in curve.key_ranks:
            row = points.iloc[curve.key_ranks[key]]
            marks.append({"key": key, "label": label, "customer_share": row["customer_share"],
                          "cum_profit": row["cum_profit"],
                          "cum_profit_pct": row.get("cum_profit_pct", np.nan)})  # fmt: skip

    pct, money = _pct, formatting.money_short
    if s.meaningful and not s.all_profitable:
        add("peak", f"Peak {pct(s.peak_pct)} at {pct(s.peak_share)} of customers")
        add("break_even", f"100% reached at {pct(s.break_even_share)} of customers")
    elif s.meaningful:
        add("end", "100%: every customer is profitable")
    else:
        add("peak", f"Peak {money(s.peak_profit, currency)} at {pct(s.peak_share)} of customers")
    if s.meaningful:
        add("top", f"Top {pct(s.top_share)} earn {pct(s.top_profit_pct)}")
    frame = pd.DataFrame(
        marks, columns=["key", "label", "customer_share", "cum_profit", "cum_profit_pct"]
    )
    return frame if s.meaningful else frame.drop(columns=["cum_profit_pct"])


# --- the analysis the page shows -----------------------------------------------------------------


@dataclass(frozen=True)
class WhaleAnalysis:
    """Customer P&L plus its whale curve: what the page computes once per cost model."""

    result: CustomerPnL
    curve: WhaleCurve
    chart: pd.DataFrame
    marks: pd.DataFrame


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
    """Customer P&L (:func:`cvm_core.profitability.customer_pnl`), whale curve and chart data.

    Parameters are those of :func:`cvm_core.profitability.customer_pnl`, plus ``currency`` for
    the labels and ``max_points`` per chart line.
    """
    result = customer_pnl(
        summary, transactions, activities, cost_to_serve, small_order_threshold, gross_margin,
        observation_end,
    )  # fmt: skip
    curve = whale_curve(result.pnl["profit"], result.pnl["net_revenue"])
    return WhaleAnalysis(
        result, curve, chart_points(curve, max_points), key_point_marks(curve, currency)
    )


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
        :func:`cvm_core.profitability.profit_by` plus peak_pct and peak_share per group.
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


# --- what-if -------------------------------------------------------------------------------------

TARGET_UNPROFITABLE = "unprofitable"
TARGET_ALL = "all"
TIER_PREFIX = "tier:"

SMALL_ORDER_POLICIES = ("none", "surcharge", "minimum")


@dataclass(frozen=True)
class WhaleScenario:
    """What-if fixes, applied to one group of customers (``target``).

    Attributes
    ----------
    target : str
        "unprofitable" (customers losing money today), "all", or "tier:<name>" (a CLV tier).
    migrate_share, migrate_from, migrate_to
        Share (0-1) of the target's orders moved from one ordering channel to another.
    small_order_policy : {"none", "surcharge", "minimum"}
        A surcharge per order below ``order_limit``, or a minimum order value of ``order_limit``.
    order_limit, surcharge : float
        Money in the data's currency.
    service_cut : float
        Cut (0-1) in the cost per driver unit of ``service_activities`` (all when empty).
    price_increase : float
        Price increase or discount cut (0-1) on the target's revenue.
    churn : float
        Share (0-1) of the target expected to leave because of the changes.
    part_with : float
        Share (0-1) of the target, least profitable first, the business parts with.
    """

    target: str = TARGET_UNPROFITABLE
    migrate_share: float = 0.0
    migrate_from: str | None = None
    migrate_to: str | None = None
    small_order_policy: str = "none"
    order_limit: float = SMALL_ORDER_THRESHOLD
    surcharge: float = 0.0
    service_cut: float = 0.0
    service_activities: tuple[str, ...] = ()
    price_increase: float = 0.0
    churn: float = 0.0
    part_with: float = 0.0

    def check(self) -> None:
        """Raise ValidationError for shares outside 0-100%, a bad policy or a negative amount."""
        for name in ("migrate_share", "service_cut", "churn", "part_with"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValidationError(f"'{name.replace('_', ' ')}' must be between 0% and 100%.")
        if not 0.0 <= self.price_increase <= 1.0:
            raise ValidationError("The price increase must be between 0% and 100%.")
        if self.small_order_policy not in SMALL_ORDER_POLICIES:
            raise ValidationError(f"Unknown small-order policy '{self.small_order_policy}'.")
        if self.order_limit < 0 or self.surcharge < 0:
            raise ValidationError("Order values and surcharges must be zero or more.")


def target_mask(pnl: pd.DataFrame, target: str, tiers: pd.Series | None = None) -> np.ndarray:
    """Which customers a scenario applies to.

    Raises
    ------
    ValidationError
        For a tier target without tiers, or an unknown target.
    """
    if target == TARGET_UNPROFITABLE:
        return pnl["profit"].to_numpy() < 0
    if target == TARGET_ALL:
        return np.ones(len(pnl), bool)
    if target.startswith(TIER_PREFIX):
        if tiers is None:
            raise ValidationError(
                "Value tiers come from the CLV page: run it first, or choose another group."
            )
        return (tiers.reindex(pnl.index).astype(str) == target[len(TIER_PREFIX) :]).to_numpy()
    raise ValidationError(f"Unknown customer group '{target}'.")


@dataclass
class _Working:
    """Mutable per-customer arrays while levers are applied one after another (internal)."""

    revenue: np.ndarray
    returns: np.ndarray
    cogs: np.ndarray
    volumes: np.ndarray  # customers x activities
    rate_factor: np.ndarray  # customers x activities
    weight: np.ndarray  # expected share of the customer that stays
    kept: np.ndarray

    def cost_to_serve(self, rates: np.ndarray) -> np.ndarray:
        return row_costs(self.volumes * self.rate_factor, rates)

    def profit(self, rates: np.ndarray) -> np.ndarray:
        gross = self.revenue - self.returns - self.cogs
        profit = operating_profit(gross, self.cost_to_serve(rates))
        return np.where(self.kept, self.weight * profit, 0.0)


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's effect.

    Attributes
    ----------
    pnl : DataFrame
        Per customer after the fixes: revenue, returns, cogs, cost_to_serve, profit (expected),
        baseline_profit, target, kept.
    steps : DataFrame
        Waterfall: step, delta, start, end, kind ("total" or "lever").
    before, after : WhaleSummary
        Key points of the curve today and after the fixes (kept customers only).
    curves : DataFrame
        curve ("Today" / "After the fixes"), customer_share (of today's customers),
        cum_profit (money), downsampled.
    target_customers : int
    assumptions : tuple of str
    """

    pnl: pd.DataFrame
    steps: pd.DataFrame
    before: WhaleSummary
    after: WhaleSummary
    curves: pd.DataFrame
    target_customers: int
    assumptions: tuple[str, ...]

    @property
    def profit_before(self) -> float:
        return self.before.total_profit

    @property
    def profit_after(self) -> float:
        return self.after.total_profit


def _columns_with(result: CustomerPnL, driver: str) -> np.ndarray:
    return np.flatnonzero(result.activities["driver"].to_numpy() == driver)


def _migrate(w: _Working, result: CustomerPnL, s: WhaleScenario, target: np.ndarray) -> None:
    channels = result.orders.channels
    if not s.migrate_share or s.migrate_from == s.migrate_to or s.migrate_from not in channels:
        return
    counts = channel_order_counts(result.orders, len(target))
    moved = s.migrate_share * counts[:, channels.index(s.migrate_from)] * target
    for j in _columns_with(result, f"{CHANNEL_PREFIX}{s.migrate_from}"):
        w.volumes[:, j] -= moved
    for j in _columns_with(result, f"{CHANNEL_PREFIX}{s.migrate_to}"):
        w.volumes[:, j] += moved


def _small_orders(w: _Working, result: CustomerPnL, s: WhaleScenario, target: np.ndarray) -> None:
    if s.small_order_policy == "none" or s.order_limit <= 0:
        return
    orders, n = result.orders, len(target)
    below = orders.value < s.order_limit
    count = np.bincount(orders.customer, below, minlength=n) * target
    if s.small_order_policy == "surcharge":
        w.revenue += s.surcharge * count
        return
    # Minimum order value: small orders are bundled into orders of the minimum value.
    bundled = np.bincount(orders.customer, orders.value * below, minlength=n) / s.order_limit
    removed = np.where(target, count - bundled * target, 0.0)
    order_cols = _columns_with(result, ORDERS)
    before = np.bincount(orders.customer, minlength=n).astype(float)
    after = before - removed
    scale = np.divide(after, before, out=np.ones(n), where=before > 0)
    for j in order_cols:
        w.volumes[:, j] -= removed
    for channel in orders.channels:
        for j in _columns_with(result, f"{CHANNEL_PREFIX}{channel}"):
            w.volumes[:, j] *= scale
    threshold = result.small_order_threshold
    still_small = (orders.value >= s.order_limit) & (orders.value < threshold)
    small_after = np.bincount(orders.customer, still_small, minlength=n).astype(float)
    small_after += bundled if s.order_limit < threshold else 0.0
    for j in _columns_with(result, SMALL_ORDERS):
        w.volumes[:, j] = np.where(target, small_after, w.volumes[:, j])


def _service(w: _Working, result: CustomerPnL, s: WhaleScenario, target: np.ndarray) -> None:
    if not s.service_cut:
        return
    names = result.activities["activity"].to_numpy()
    chosen = (
        np.isin(names, s.service_activities) if s.service_activities else np.ones(len(names), bool)
    )
    w.rate_factor[np.ix_(target, chosen)] *= 1.0 - s.service_cut


def _price(w: _Working, result: CustomerPnL, s: WhaleScenario, target: np.ndarray) -> None:
    factor = np.where(target, 1.0 + s.price_increase, 1.0)
    w.revenue *= factor
    w.returns *= factor


def _churn(w: _Working, result: CustomerPnL, s: WhaleScenario, target: np.ndarray) -> None:
    w.weight *= np.where(target, 1.0 - s.churn, 1.0)


def _part_with(w: _Working, result: CustomerPnL, s: WhaleScenario, target: np.ndarray) -> None:
    count = int(round(s.part_with * target.sum()))
    if count <= 0:
        return
    profit = result.pnl["profit"].to_numpy()
    candidates = np.flatnonzero(target)
    worst = candidates[np.argsort(profit[candidates], kind="stable")[:count]]
    w.kept[worst] = False


_LEVERS = (
    ("Channel migration", "migrate_share", _migrate),
    ("Small-order policy", "small_order_policy", _small_orders),
    ("Lower service level", "service_cut", _service),
    ("Price increase", "price_increase", _price),
    ("Customers lost", "churn", _churn),
    ("Parting with the worst", "part_with", _part_with),
)
"""Levers in the order they are applied; each contribution is measured after the ones before."""


def _lever_active(scenario: WhaleScenario, attribute: str) -> bool:
    value = getattr(scenario, attribute)
    if attribute == "small_order_policy":
        return value == "minimum" or (value == "surcharge" and scenario.surcharge > 0)
    return bool(value)


def apply_scenario(
    result: CustomerPnL,
    scenario: WhaleScenario,
    tiers: pd.Series | None = None,
    max_points: int = MAX_CHART_POINTS,
    currency: str = "EUR",
) -> ScenarioResult:
    """Apply what-if fixes to the target customers and recompute profit and the whale curve.

    Pure arithmetic on the customer P&L's arrays (no pass over transactions beyond the order table
    for the small-order lever), so a slider move takes milliseconds.

    Parameters
    ----------
    result : CustomerPnL
        Today's P&L.
    scenario : WhaleScenario
    tiers : Series, optional
        CLV tier per customer, for "tier:<name>" targets.
    max_points : int
        Points per curve in ``curves``.
    currency : str
        For the amounts in the assumptions.

    Returns
    -------
    ScenarioResult
    """
    scenario.check()
    target = target_mask(result.pnl, scenario.target, tiers)
    pnl = result.pnl
    n = len(pnl)
    rates = result.activities["rate"].to_numpy(dtype=float)
    w = _Working(
        revenue=pnl["revenue"].to_numpy(dtype=float).copy(),
        returns=pnl["returns"].to_numpy(dtype=float).copy(),
        cogs=pnl["cogs"].to_numpy(dtype=float).copy(),
        volumes=result.driver_volumes.to_numpy(dtype=float).copy(),
        rate_factor=np.ones((n, len(rates))),
        weight=np.ones(n),
        kept=np.ones(n, bool),
    )
    before = float(pnl["profit"].sum())
    steps = [("Profit today", before, 0.0, before, "total")]
    running = before
    for label, attribute, lever in _LEVERS:
        if not _lever_active(scenario, attribute):
            continue
        lever(w, result, scenario, target)
        now = float(w.profit(rates).sum())
        steps.append((label, now - running, running, now, "lever"))
        running = now
    steps.append(("Profit after the fixes", running, 0.0, running, "total"))
    return _scenario_result(result, scenario, w, rates, target, steps, max_points, currency)


def _scenario_result(
    result: CustomerPnL,
    scenario: WhaleScenario,
    w: _Working,
    rates: np.ndarray,
    target: np.ndarray,
    steps: list[tuple],
    max_points: int,
    currency: str,
) -> ScenarioResult:
    pnl = result.pnl
    cts = w.cost_to_serve(rates)
    after = pd.DataFrame(
        {
            "revenue": w.revenue * w.weight,
            "returns": w.returns * w.weight,
            "cogs": w.cogs * w.weight,
            "cost_to_serve": cts * w.weight,
            "profit": w.profit(rates),
            "baseline_profit": pnl["profit"].to_numpy(),
            "target": target,
            "kept": w.kept,
        },
        index=pnl.index,
    )
    after.loc[~w.kept, ["revenue", "returns", "cogs", "cost_to_serve"]] = 0.0
    base_curve = whale_curve(pnl["profit"])
    kept = after.loc[w.kept, "profit"]
    new_curve = whale_curve(kept) if len(kept) else None
    curves = _overlay(base_curve, new_curve, len(pnl), max_points)
    frame = pd.DataFrame(steps, columns=["step", "delta", "start", "end", "kind"])
    empty = WhaleSummary(
        0, 0.0, 0.0, 0.0, None, None, 0.0, 0, 0.0, 0.0, 0.0, 0.0, None, True, False
    )
    return ScenarioResult(
        pnl=after,
        steps=frame,
        before=base_curve.summary,
        after=new_curve.summary if new_curve else empty,
        curves=curves,
        target_customers=int(target.sum()),
        assumptions=tuple(scenario_assumptions(scenario, currency)),
    )


def _overlay(
    base: WhaleCurve, new: WhaleCurve | None, n_base: int, max_points: int
) -> pd.DataFrame:
    """Both curves in money against the share of today's customers (parting shortens the new one).

    A quarter of ``max_points`` per curve: two smooth lines need no more, and a slider move
    re-sends this chart.
    """
    frames = []
    for name, curve in (("Today", base), ("After the fixes", new)):
        if curve is None:
            continue
        n = len(curve.points) - 1
        ranks = downsample_ranks(n, list(curve.key_ranks.values()), max_points // 4)
        part = curve.points.iloc[ranks][["rank", "cum_profit"]]
        frames.append(part.assign(curve=name, customer_share=part["rank"] / n_base))
    return pd.concat(frames, ignore_index=True)[["curve", "rank", "customer_share", "cum_profit"]]


def scenario_assumptions(scenario: WhaleScenario, currency: str = "EUR") -> list[str]:
    """The assumptions behind the active levers, in words, for the page."""
    s, money = scenario, formatting.money
    out = [
        "Activity costs are treated as variable: when customers order, call or buy less, that "
        "cost goes away with them (in practice some capacity cost stays until it is cut)."
    ]
    if _lever_active(s, "migrate_share"):
        out.append(
            f"{s.migrate_share:.0%} of the chosen customers' {s.migrate_from} orders move to "
            f"{s.migrate_to} with the same value and lines; only the per-channel order costs change "
            "(deliveries and service counts stay as they are)."
        )
    if s.small_order_policy == "surcharge" and s.surcharge > 0:
        out.append(
            f"A surcharge of {money(s.surcharge, currency, 2)} on every order below "
            f"{money(s.order_limit, currency)} is paid in full; nobody orders less because of it "
            "unless you set customers lost below."
        )
    if s.small_order_policy == "minimum":
        out.append(
            f"With a minimum order value of {money(s.order_limit, currency)}, customers bundle their "
            "smaller orders into orders of that value with the same total spend: fewer orders, the "
            "same goods. Per-order costs fall with the number of orders; deliveries and service "
            "counts from the cost-to-serve table stay as they are."
        )
    if s.service_cut:
        which = ", ".join(s.service_activities) if s.service_activities else "every activity"
        out.append(
            f"A lower service level cuts the cost per driver unit of {which} by {s.service_cut:.0%} "
            "for the chosen customers, without losing sales."
        )
    if s.price_increase:
        out.append(
            f"Prices rise (or discounts shrink) by {s.price_increase:.0%} for the chosen customers "
            "with the same volumes and cost of goods: no volume loss unless you set customers lost."
        )
    if s.churn:
        out.append(
            f"{s.churn:.0%} of the chosen customers leave because of the changes: each one's "
            f"revenue and costs count at {1 - s.churn:.0%} (an expected value, not a list of who "
            "leaves)."
        )
    if s.part_with:
        out.append(
            f"Parting with the least profitable {s.part_with:.0%} of the chosen customers removes "
            "their revenue, cost of goods and cost-to-serve entirely."
        )
    if sum(_lever_active(s, a) for _, a, _ in _LEVERS) > 1:
        out.append(
            "Each lever's contribution is measured after the levers before it (in the order shown), "
            "so the contributions add up to the total change."
        )
    return out
