"""Charts of the Scorecard page: the trend heatmap and the two breakdowns.

Inputs are the scorecard's own small frames (a dozen periods per measure, a handful of channels or
segments), so nothing here aggregates.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core.chart_style import MONEY_FORMAT, NEGATIVE, NEUTRAL, POSITIVE, money_title

_BETTER = "#7cc492"  # a light shade of the project's positive green
_WORSE = "#e3867a"  # and of its negative red


def trend_heatmap(trends: pd.DataFrame) -> alt.LayerChart:
    """Every measure (rows) by period (columns): the value written in each cell, coloured by how
    good the period was against the measure's own average (green better, red worse).

    One chart rather than a panel per measure, so it fits a slide and exports as one picture.

    Parameters
    ----------
    trends : DataFrame
        :attr:`cvm_core.analyses.scorecard.inputs.Scorecard.trends` (measure, period, period_start, label, score).
    """
    data = trends[["measure", "period", "period_start", "label", "score"]]
    rows = list(dict.fromkeys(data["measure"]))
    periods = list(dict.fromkeys(data.sort_values("period_start")["period"]))
    base = alt.Chart(data).encode(
        x=alt.X("period:O", title=None, sort=periods, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("measure:N", title=None, sort=rows, axis=alt.Axis(labelLimit=320)),
        tooltip=[alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("label:N", title="Value"),
                 alt.Tooltip("score:Q", title="Against its average (std. dev., + = better)", format="+.1f")],
    )  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "score:Q", title="Against the measure's average", legend=None,
            # Light ends keep the black figures readable; straight RGB blending avoids purple tints.
            scale=alt.Scale(domain=[-2, 0, 2], range=[_WORSE, "#f4f6f8", _BETTER], interpolate="rgb"),
        )
    )  # fmt: skip
    text = base.mark_text(fontSize=12).encode(text="label:N")
    return (cells + text).properties(
        title=alt.TitleParams(
            "Scorecard trends",
            subtitle="Each measure by period; green: better than its own average, red: worse",
        ),
        width=alt.Step(62),
        height=alt.Step(24),
    )


def channel_chart(table: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Cost-to-serve as a share of net revenue, by customers' main channel (bars, labelled).

    Parameters
    ----------
    table : DataFrame
        ``Scorecard.breakdowns["channel"]`` (group, customers, net_revenue, cost_to_serve, ...).
    """
    data = table[["group", "customers", "net_revenue", "cost_to_serve", "cost_to_serve_share"]]
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", title="Main channel", sort="-x"),
        x=alt.X("cost_to_serve_share:Q", title="Cost-to-serve (% of net revenue)", axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("group:N", title="Main channel"),
            alt.Tooltip("customers:Q", title="Buying customers", format=","),
            alt.Tooltip("net_revenue:Q", title=money_title("Net revenue", currency), format=MONEY_FORMAT),
            alt.Tooltip("cost_to_serve:Q", title=money_title("Cost-to-serve", currency), format=MONEY_FORMAT),
            alt.Tooltip("cost_to_serve_share:Q", title="Cost-to-serve / net revenue", format=".1%"),
        ],
    )  # fmt: skip
    bars = base.mark_bar(color=NEUTRAL)
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(
        text=alt.Text("cost_to_serve_share:Q", format=".1%")
    )
    return (bars + labels).properties(
        title=alt.TitleParams("Cost-to-serve by channel", subtitle="Customers grouped by the channel they buy through most"),
        height=alt.Step(34),
    )  # fmt: skip


def segment_chart(table: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Operating profit by RFM segment in the period (bars, green for profit, red for loss).

    Parameters
    ----------
    table : DataFrame
        ``Scorecard.breakdowns["segment"]`` (group, customers, net_revenue, profit, profit_share).
    """
    data = table[["group", "customers", "net_revenue", "profit", "profit_share"]].assign(
        result=lambda f: ["Profit" if p >= 0 else "Loss" for p in f["profit"]]
    )
    order = list(data["group"])
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", title="RFM segment", sort=order),
        x=alt.X("profit:Q", title=money_title("Operating profit in the period", currency), axis=alt.Axis(format="~s")),
        tooltip=[
            alt.Tooltip("group:N", title="Segment"),
            alt.Tooltip("customers:Q", title="Buying customers", format=","),
            alt.Tooltip("net_revenue:Q", title=money_title("Net revenue", currency), format=MONEY_FORMAT),
            alt.Tooltip("profit:Q", title=money_title("Operating profit", currency), format=MONEY_FORMAT),
            alt.Tooltip("profit_share:Q", title="Share of total profit", format=".1%"),
        ],
    )  # fmt: skip
    bars = base.mark_bar().encode(
        color=alt.Color(
            "result:N",
            scale=alt.Scale(domain=["Profit", "Loss"], range=[POSITIVE, NEGATIVE]),
            legend=None,
        )
    )
    return bars.properties(
        title=alt.TitleParams(
            "Profit contribution by segment", subtitle="Operating profit of each RFM segment"
        ),
        height=alt.Step(26),
    )
