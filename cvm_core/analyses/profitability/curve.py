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
from cvm_core.i18n import N_, Message, _

TOP_SHARE = 0.2
"""The top slice of customers whose profit share is reported (the top 20%)."""

MAX_CHART_POINTS = 2000
"""Points per curve in a chart; the peak, zero crossings and end points are always kept."""

PROFITABLE_ZONE = "Profitable customers"
LOSS_ZONE = "Loss-making customers"


def whole_pct(share: float | None) -> str:
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
        money, pct = formatting.money_short, whole_pct
        if not self.meaningful:
            return self._money_explanation(currency)
        if self.all_profitable:
            return _(
                "Every customer is profitable: the curve rises steadily to 100% and never goes "
                "above it, so no profit is being destroyed by loss-making customers."
            )
        return _(
            "The most profitable {peak_share} of customers earn {peak_pct} of total profit; the "
            "other {loss_share} lose {tail_loss} and bring it back down to 100%. The top "
            "{break_even_share} alone already earn everything: the customers after them break "
            "even as a group."
        ).format(
            peak_share=pct(self.peak_share), peak_pct=pct(self.peak_pct),
            loss_share=pct(1 - self.loss_start_share), tail_loss=money(self.tail_loss, currency),
            break_even_share=pct(self.break_even_share),
        )  # fmt: skip

    def _money_explanation(self, currency: str) -> str:
        money, pct = formatting.money_short, whole_pct
        why = (
            _(
                "Total operating profit is {total}: taken together the customers lose money once "
                "cost-to-serve is counted, so a share of 'total profit' means nothing (it would "
                "divide by zero or a negative number). The chart shows cumulative profit in "
                "{currency} instead: "
            )
            if self.total_profit < 0
            else _(
                "Total operating profit is {total}: taken together the customers break exactly "
                "even once cost-to-serve is counted, so a share of 'total profit' means nothing "
                "(it would divide by zero or a negative number). The chart shows cumulative "
                "profit in {currency} instead: "
            )
        ).format(total=money(self.total_profit, currency), currency=currency)
        if self.peak_profit <= 0:
            return why + _(
                "no customer makes a profit, so it only falls. Check the cost-to-serve rates, "
                "then the loss-making customers tab for the activities behind the losses."
            )
        return why + _(
            "it rises to {peak} over the first {peak_share} of customers, then the loss-makers' "
            "{tail_loss} pull it down."
        ).format(
            peak=money(self.peak_profit, currency), peak_share=pct(self.peak_share),
            tail_loss=money(self.tail_loss, currency),
        )  # fmt: skip

    def takeaway(self, currency: str = "EUR") -> str:
        """The curve's message in one line (chart caption in the deck)."""
        money, pct = formatting.money_short, whole_pct
        if not self.meaningful and self.peak_profit <= 0:
            return _("Every customer loses money after cost-to-serve: {total} in total").format(
                total=money(self.total_profit, currency)
            )
        if not self.meaningful:
            return _(
                "The profitable {peak_share} of customers earn {peak}, but the other {rest} lose "
                "{tail_loss}: {total} in total"
            ).format(
                peak_share=pct(self.peak_share), peak=money(self.peak_profit, currency),
                rest=pct(1 - self.peak_share), tail_loss=money(self.tail_loss, currency),
                total=money(self.total_profit, currency),
            )  # fmt: skip
        top = dict(top_share=pct(self.top_share), top_pct=pct(self.top_profit_pct))
        if self.all_profitable:
            return _(
                "Top {top_share} of customers earn {top_pct} of profit; every customer is profitable"
            ).format(**top)
        return _(
            "Top {top_share} of customers earn {top_pct} of profit; the {unprofitable} who are "
            "unprofitable lose {tail_loss}"
        ).format(
            **top,
            unprofitable=pct(self.unprofitable_share),
            tail_loss=money(self.tail_loss, currency),
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
        raise ValidationError(
            Message(N_("There are no customers to rank: the profit table is empty."))
        )
    if not np.isfinite(values).all():
        raise ValidationError(
            Message(N_("Some customer profits are missing or infinite; check the cost data."))
        )
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
    summary, ranks = key_points(ranked, cum)
    if summary.meaningful:
        points["cum_profit_pct"] = cum / total
    if revenue is not None:
        rev = np.asarray(revenue.reindex(profit.index), dtype=float)[order]
        cum_rev = np.concatenate(([0.0], np.cumsum(np.nan_to_num(rev))))
        if cum_rev[-1] > 0:
            points["cum_revenue_share"] = cum_rev / cum_rev[-1]
    return WhaleCurve(points, summary, ranks)


def key_points(ranked: np.ndarray, cum: np.ndarray) -> tuple[WhaleSummary, dict[str, int]]:
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

    pct, money = whole_pct, formatting.money_short
    # Labels of points in the right half end left of the point, so none runs off the chart.
    side = {
        key: "right" if rank > 0.55 * s.customers else "left"
        for key, rank in curve.key_ranks.items()
    }
    if s.meaningful and not s.all_profitable:
        add("peak", _("Peak {peak} at {share} of customers").format(
            peak=pct(s.peak_pct), share=pct(s.peak_share)), side["peak"])  # fmt: skip
        add("break_even", _("100% reached at {share} of customers").format(
            share=pct(s.break_even_share)))  # fmt: skip
        add("end", _("{share} unprofitable: -{loss}").format(
            share=pct(s.unprofitable_share), loss=money(s.tail_loss, currency)), "right")  # fmt: skip
    elif s.meaningful:
        add("end", _("100%: every customer is profitable"), "right")
    else:
        if s.peak_profit > 0:
            add(
                "peak",
                _("Peak {peak} at {share} of customers").format(
                    peak=money(s.peak_profit, currency), share=pct(s.peak_share)
                ),
                side["peak"],
            )
        add("end", _("Total {total}").format(total=money(s.total_profit, currency)), "right")
    if s.meaningful:
        add("top", _("Top {share} earn {pct}").format(
            share=pct(s.top_share), pct=pct(s.top_profit_pct)), side["top"])  # fmt: skip
    columns = ["key", "label", "align", "customer_share", "cum_profit", "cum_profit_pct"]
    frame = pd.DataFrame(marks, columns=columns)
    return frame if s.meaningful else frame.drop(columns=["cum_profit_pct"])
