"""Charts of the Profitability Whale Curve page.

Every function takes frames already aggregated and downsampled by :mod:`cvm_core.analyses.profitability.whale` (at most a
few thousand rows) and returns an Altair chart; nothing here computes profit.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core import chart_labels, formatting
from cvm_core.analyses.profitability.curve import (
    LOSS_ZONE,
    PROFITABLE_ZONE,
    WhaleSummary,
    whole_pct,
)
from cvm_core.chart_style import MONEY_FORMAT, NEGATIVE, NEUTRAL, PALETTE, POSITIVE, money_title
from cvm_core.i18n import _

GREY = "#7f8c8d"
WHALE_HEIGHT = 420
_ZONES = alt.Scale(domain=[PROFITABLE_ZONE, LOSS_ZONE], range=[POSITIVE, NEGATIVE])
_SHARE_AXIS = alt.Axis(format="%", tickCount=10)


def _share_x(field: str = "customer_share", title: str | None = None) -> alt.X:
    return alt.X(
        f"{field}:Q", title=title or _("Customers, most profitable first (%)"), axis=_SHARE_AXIS,
        scale=alt.Scale(domain=[0, 1], nice=False),
    )  # fmt: skip


def whale_chart(
    points: pd.DataFrame, marks: pd.DataFrame, summary: WhaleSummary, currency: str
) -> alt.LayerChart:
    """The whale curve: cumulative profit (% of total, or money when total <= 0) by customer share.

    Parameters
    ----------
    points : DataFrame
        :func:`cvm_core.analyses.profitability.curve.chart_points` (customer_share, cum_profit, cum_profit_pct, zone, rank).
    marks : DataFrame
        :func:`cvm_core.analyses.profitability.curve.key_point_marks` (labelled key points).
    summary : WhaleSummary
    currency : str
    """
    percent = summary.meaningful
    y_field = "cum_profit_pct" if percent else "cum_profit"
    y_title = (
        _("Cumulative profit (% of total profit)")
        if percent
        else money_title(_("Cumulative profit"), currency)
    )
    y_axis = alt.Axis(format="%") if percent else alt.Axis(format="~s")
    columns = ["rank", "customer_share", "cum_profit", "profit", "zone"] + (
        ["cum_profit_pct"] if percent else []
    )
    tooltip = [
        alt.Tooltip("rank:Q", title="Customers counted", format=","),
        alt.Tooltip("customer_share:Q", title="Share of customers", format=".1%"),
        alt.Tooltip(
            "cum_profit:Q", title=money_title("Cumulative profit", currency), format=MONEY_FORMAT
        ),
        alt.Tooltip(
            "profit:Q", title=money_title("This customer's profit", currency), format=MONEY_FORMAT
        ),
    ]
    if percent:
        tooltip.insert(
            2, alt.Tooltip("cum_profit_pct:Q", title="Cumulative profit (% of total)", format=".1%")
        )
    # Area and line share one inline dataset, given to the layer once (not per mark); the other
    # layers bring their own small data. Rounded for the browser only (a third of the payload).
    data = points[columns].round(
        {"customer_share": 5, "cum_profit_pct": 5, "cum_profit": 2, "profit": 2}
    )
    area = (
        alt.Chart()
        .mark_area(opacity=0.12)
        .encode(
            x=_share_x(),
            # stack=None: the seam row is in both zones and must not be added up.
            y=alt.Y(
                f"{y_field}:Q",
                title=y_title,
                axis=y_axis,
                stack=None,
                scale=_headroom(points[y_field]),
            ),
            color=alt.Color("zone:N", scale=_ZONES, legend=None),
        )
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=3.5)
        .encode(
            x=_share_x(),
            y=f"{y_field}:Q",
            color=alt.Color("zone:N", scale=_ZONES, title=None, legend=alt.Legend(orient="bottom")),
            tooltip=tooltip,
        )
    )
    reference = (
        alt.Chart(pd.DataFrame({"y": [1.0 if percent else 0.0]}))
        .mark_rule(color=GREY, strokeDash=[6, 4], strokeWidth=1.5)
        .encode(y="y:Q")
    )
    # The end label goes below the end when the curve falls into it from above (loss-makers in
    # the tail), above it when the curve rises into it (every customer profitable) or it is the
    # lowest point (a total loss in money).
    end_below = percent and not summary.all_profitable
    scale = _headroom(points[y_field])
    layout = _layout_marks(marks, y_field, end_below, tuple(scale.domain), points)
    layers = [area, line, reference, *_mark_layers(marks, layout, y_field, percent)]
    subtitle = [_subtitle(summary)]
    if dropped := layout.for_slides().dropped:
        # Labels with no free place in the plot are still said, in the chart's own subtitle, so
        # the PNG and the deck's slide carry them too. (On a narrow window more may be left out;
        # their points keep the label as a tooltip.)
        subtitle.append(_("Not labelled for lack of room: {labels}.").format(
            labels="; ".join(label.text for label in dropped)))  # fmt: skip
    title = alt.Title(
        _("Whale curve: cumulative profit by customer, most profitable first"),
        subtitle=subtitle if len(subtitle) > 1 else subtitle[0],
    )
    return alt.layer(*layers, data=data).properties(title=title, height=WHALE_HEIGHT)


def _headroom(values: pd.Series) -> alt.Scale:
    """Room above the curve for the peak's label (and below it for a label at a low end)."""
    low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    span = (high - low) or 1.0
    return alt.Scale(domain=(low - 0.06 * span if low < 0 else 0.0, high + 0.1 * span), nice=False)


def _subtitle(summary: WhaleSummary) -> str:
    if not summary.meaningful:
        return _("Total profit is not positive, so the curve is shown in money.")
    if summary.all_profitable:
        return _("Every customer is profitable: the curve never rises above 100%.")
    # whole_pct, as the labels: "Peak 100%" above a label reading "Peak 100.1%" looked like a typo.
    return _(
        "Peak {peak} of total profit at {share} of customers; the remaining {rest} lose money."
    ).format(
        peak=whole_pct(summary.peak_pct), share=whole_pct(summary.peak_share),
        rest=whole_pct(1 - summary.loss_start_share),
    )  # fmt: skip


_BELOW = {"break_even", "top", "end"}
"""Key points whose label goes below the point: on the rising part of the curve and at a falling
end the curve runs above-right or above-left of them, so a label above would cross the line."""

LABEL_FONT_SIZE = 13
_PRIORITY = {"peak": 0, "end": 1, "break_even": 2, "top": 3}


def _layout_marks(
    marks: pd.DataFrame,
    y_field: str,
    end_below: bool,
    y_domain: tuple[float, float],
    points: pd.DataFrame,
) -> chart_labels.BandedLayout:
    """Place the key points' labels clear of each other, the most telling first: the peak, then
    what the loss-makers cost, then break-even and the top 20%."""
    below = _BELOW if end_below else _BELOW - {"end"}
    labels = []
    order = marks["key"].map(_PRIORITY).fillna(len(_PRIORITY)).sort_values(kind="stable").index
    for row in marks.loc[order].itertuples(index=False):
        side = "right" if row.align == "left" else "left"
        vertical = "below" if row.key in below else "above"
        labels.append(
            chart_labels.Label(
                row.key, row.label, float(row.customer_share), float(getattr(row, y_field)),
                prefer=(f"{side}-{vertical}", f"{side}-{vertical}-far"),
            )
        )  # fmt: skip
    curve = (points["customer_share"].to_numpy(), points[y_field].to_numpy())
    return chart_labels.place_banded(
        labels, (0.0, 1.0), y_domain, WHALE_HEIGHT, font_size=LABEL_FONT_SIZE, bold=True,
        lines=[curve],
    )  # fmt: skip


def _mark_layers(
    marks: pd.DataFrame, layout: chart_labels.BandedLayout, y_field: str, percent: bool
) -> list[alt.Chart]:
    if marks.empty:
        return []
    base = alt.Chart(marks).encode(x="customer_share:Q", y=f"{y_field}:Q")
    tooltip = [alt.Tooltip("label:N", title="Point")]
    layers = [base.mark_point(filled=True, size=110, color="#2c3e50").encode(tooltip=tooltip)]
    layers += chart_labels.text_layers(
        layout, "customer_share:Q", f"{y_field}:Q", rename={"x": "customer_share", "y": y_field},
        fontSize=LABEL_FONT_SIZE, fontWeight="bold", color="#2c3e50",
    )  # fmt: skip
    peak = marks[marks["key"] == "peak"]
    if not peak.empty:
        drop = (
            alt.Chart(peak)
            .mark_rule(color=NEGATIVE, strokeDash=[3, 3])
            .encode(x="customer_share:Q", y=f"{y_field}:Q", y2=alt.datum(1.0 if percent else 0.0))
        )
        layers.insert(0, drop)
    return layers


def profit_revenue_chart(points: pd.DataFrame) -> alt.LayerChart:
    """Cumulative profit % against cumulative revenue %, customers ranked by profit.

    The diagonal is where profit would accrue in proportion to revenue.
    """
    base = alt.Chart(points).encode(
        x=_share_x("cum_revenue_share", "Cumulative net revenue (% of total)"),
    )
    line = base.mark_line(strokeWidth=3).encode(
        y=alt.Y(
            "cum_profit_pct:Q", title="Cumulative profit (% of total)", axis=alt.Axis(format="%")
        ),
        color=alt.Color("zone:N", scale=_ZONES, title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[
            alt.Tooltip("customer_share:Q", title="Share of customers", format=".1%"),
            alt.Tooltip("cum_revenue_share:Q", title="Share of revenue", format=".1%"),
            alt.Tooltip("cum_profit_pct:Q", title="Share of profit", format=".1%"),
        ],
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
        .mark_line(color=GREY, strokeDash=[6, 4])
        .encode(x="x:Q", y="y:Q")
    )
    hundred = (
        alt.Chart(pd.DataFrame({"y": [1.0]}))
        .mark_rule(color=GREY, strokeDash=[2, 4])
        .encode(y="y:Q")
    )
    return alt.layer(diagonal, hundred, line).properties(
        title=alt.Title(
            "Profit against revenue", subtitle="Dashed diagonal: profit in proportion to revenue."
        ),
        height=380,
    )


def segment_chart(points: pd.DataFrame, group_title: str) -> alt.LayerChart:
    """One whale curve per group, each as % of that group's own profit."""
    base = alt.Chart(points).encode(
        x=_share_x("customer_share", "Customers of the group, most profitable first (%)")
    )
    lines = base.mark_line(strokeWidth=2.5).encode(
        y=alt.Y(
            "cum_profit_pct:Q",
            title="Cumulative profit (% of the group's profit)",
            axis=alt.Axis(format="%"),
        ),
        color=alt.Color("group:N", title=group_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[
            alt.Tooltip("group:N", title=group_title),
            alt.Tooltip("customers:Q", title="Customers in group", format=","),
            alt.Tooltip("customer_share:Q", title="Share of the group", format=".1%"),
            alt.Tooltip("cum_profit_pct:Q", title="Cumulative profit (% of group)", format=".1%"),
        ],
    )
    hundred = (
        alt.Chart(pd.DataFrame({"y": [1.0]}))
        .mark_rule(color=GREY, strokeDash=[6, 4])
        .encode(y="y:Q")
    )
    return alt.layer(hundred, lines).properties(
        title=f"Whale curves by {group_title.lower()}", height=380
    )


def profit_by_chart(table: pd.DataFrame, group_title: str, currency: str) -> alt.Chart:
    """Operating profit per group as bars (green profit, red loss), in the table's order."""
    frame = table.assign(sign=table["profit"].ge(0).map({True: "Profit", False: "Loss"}))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=group_title, sort=list(frame["group"])),
            x=alt.X(
                "profit:Q",
                title=money_title("Operating profit", currency),
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(
                "sign:N",
                scale=alt.Scale(domain=["Profit", "Loss"], range=[POSITIVE, NEGATIVE]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("group:N", title=group_title),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip(
                    "net_revenue:Q", title=money_title("Net revenue", currency), format=MONEY_FORMAT
                ),
                alt.Tooltip(
                    "cost_to_serve:Q",
                    title=money_title("Cost-to-serve", currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "profit:Q", title=money_title("Operating profit", currency), format=MONEY_FORMAT
                ),
                alt.Tooltip("unprofitable_share:Q", title="Unprofitable customers", format=".0%"),
            ],
        )
        .properties(title=f"Operating profit by {group_title.lower()}", height=alt.Step(34))
    )


def activity_cost_chart(activities: pd.DataFrame, currency: str) -> alt.Chart:
    """Total cost-to-serve assigned per activity, largest first."""
    frame = activities[activities["cost"] > 0]
    return (
        alt.Chart(frame)
        .mark_bar(color=NEUTRAL)
        .encode(
            y=alt.Y("activity:N", title="Activity", sort="-x"),
            x=alt.X(
                "cost:Q", title=money_title("Cost assigned", currency), axis=alt.Axis(format="~s")
            ),
            tooltip=[
                alt.Tooltip("activity:N", title="Activity"),
                alt.Tooltip("driver:N", title="Cost driver"),
                alt.Tooltip("volume:Q", title="Driver volume", format=",.0f"),
                alt.Tooltip(
                    "rate:Q", title=money_title("Cost per driver unit", currency), format=",.2f"
                ),
                alt.Tooltip(
                    "cost:Q", title=money_title("Cost assigned", currency), format=MONEY_FORMAT
                ),
                alt.Tooltip("share:Q", title="Share of cost-to-serve", format=".1%"),
            ],
        )
        .properties(title="Cost-to-serve by activity", height=alt.Step(28))
    )


def loss_drivers_chart(drivers: pd.DataFrame, currency: str) -> alt.Chart:
    """Cost per customer by activity: loss-making customers against profitable ones."""
    long = drivers.melt(
        id_vars="activity",
        value_vars=["per_loss_maker", "per_profitable_customer"],
        var_name="who",
        value_name="cost",
    )
    long["who"] = long["who"].map(
        {
            "per_loss_maker": "Loss-makers",
            "per_profitable_customer": "Profitable",
        }
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("activity:N", title="Activity", sort=list(drivers["activity"])),
            yOffset=alt.YOffset("who:N"),
            x=alt.X("cost:Q", title=money_title("Cost-to-serve per customer", currency)),
            color=alt.Color(
                "who:N",
                title=None,
                scale=alt.Scale(
                    domain=["Loss-makers", "Profitable"],
                    range=[NEGATIVE, POSITIVE],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("activity:N", title="Activity"),
                alt.Tooltip("who:N", title="Customers"),
                alt.Tooltip(
                    "cost:Q", title=money_title("Cost per customer", currency), format=",.2f"
                ),
            ],
        )
        .properties(title="Cost per customer by activity", height=alt.Step(14))
    )


def worst_customers_chart(long: pd.DataFrame, currency: str) -> alt.LayerChart:
    """The worst customers' cost-to-serve stacked by activity, with their gross margin as a tick."""
    order = list(long.sort_values("position")["customer_id"].drop_duplicates())
    y = alt.Y("customer_id:N", title="Customer (worst first)", sort=order)
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "sum(cost):Q",
                # Two lines: on one, the title is wider than a narrow plot and runs into the
                # y axis's title.
                title=[
                    money_title("Cost-to-serve (bars)", currency),
                    "and gross margin (black tick)",
                ],
            ),
            color=alt.Color(
                "activity:N",
                title="Activity",
                scale=alt.Scale(range=PALETTE + ["#34495e", "#a04000", "#5d6d7e", "#117a65"]),
            ),
            tooltip=[
                alt.Tooltip("customer_id:N", title="Customer"),
                alt.Tooltip("activity:N", title="Activity"),
                alt.Tooltip("cost:Q", title=money_title("Cost", currency), format=MONEY_FORMAT),
                alt.Tooltip(
                    "profit:Q", title=money_title("Operating profit", currency), format=MONEY_FORMAT
                ),
            ],
        )
    )
    margins = long.drop_duplicates("customer_id")
    ticks = (
        alt.Chart(margins)
        .mark_tick(color="black", thickness=3, size=22)
        .encode(
            y=y,
            x="gross_margin:Q",
            tooltip=[
                alt.Tooltip("customer_id:N", title="Customer"),
                alt.Tooltip(
                    "gross_margin:Q",
                    title=money_title("Gross margin", currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "profit:Q", title=money_title("Operating profit", currency), format=MONEY_FORMAT
                ),
            ],
        )
    )
    return alt.layer(bars, ticks).properties(
        title=f"The {len(order)} biggest loss-makers", height=alt.Step(24)
    )


def scenario_chart(curves: pd.DataFrame, currency: str) -> alt.Chart:
    """Cumulative profit today and after the fixes, in money, against today's customer count."""
    return (
        alt.Chart(curves)
        .mark_line(strokeWidth=3)
        .encode(
            x=_share_x(
                "customer_share", "Customers, most profitable first (% of today's customers)"
            ),
            y=alt.Y(
                "cum_profit:Q",
                title=money_title("Cumulative profit", currency),
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=["Today", "After the fixes"], range=[GREY, NEUTRAL]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "curve:N",
                scale=alt.Scale(domain=["Today", "After the fixes"], range=[[6, 4], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("curve:N", title="Curve"),
                alt.Tooltip("rank:Q", title="Customers counted", format=","),
                alt.Tooltip(
                    "cum_profit:Q",
                    title=money_title("Cumulative profit", currency),
                    format=MONEY_FORMAT,
                ),
            ],
        )
        .properties(title="Whale curve today and after the fixes", height=360)
    )


def waterfall_chart(steps: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Profit today, each lever's contribution, profit after: a horizontal waterfall (long labels)."""
    frame = steps.assign(
        low=steps[["start", "end"]].min(axis=1),
        high=steps[["start", "end"]].max(axis=1),
        kind_label=[
            "Total" if k == "total" else ("Adds profit" if d >= 0 else "Costs profit")
            for k, d in zip(steps["kind"], steps["delta"], strict=True)
        ],
        # Levers are changes (+/-), totals are levels: the label says which.
        label=[
            formatting.money_short(d, currency) if k == "total"
            else ("+" if d >= 0 else "") + formatting.money_short(d, currency)
            for k, d in zip(steps["kind"], steps["delta"], strict=True)
        ],
    )  # fmt: skip
    base = alt.Chart(frame).encode(
        y=alt.Y("step:N", title=None, sort=list(frame["step"]), axis=alt.Axis(labelLimit=220))
    )
    bars = base.mark_bar(height=alt.RelativeBandSize(0.7)).encode(
        x=alt.X(
            "low:Q",
            title=money_title("Operating profit", currency),
            axis=alt.Axis(format="~s", tickCount=5, labelOverlap=True),
        ),
        x2="high:Q",
        color=alt.Color(
            "kind_label:N",
            title=None,
            scale=alt.Scale(
                domain=["Total", "Adds profit", "Costs profit"], range=[NEUTRAL, POSITIVE, NEGATIVE]
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("step:N", title="Step"),
            alt.Tooltip(
                "delta:Q", title=money_title("Change / total", currency), format=MONEY_FORMAT
            ),
            alt.Tooltip(
                "end:Q", title=money_title("Profit after this step", currency), format=MONEY_FORMAT
            ),
        ],
    )
    text = base.mark_text(align="left", dx=5, fontSize=12).encode(x="high:Q", text="label:N")
    return alt.layer(bars, text).properties(
        title="Where the change in profit comes from", height=alt.Step(34)
    )
