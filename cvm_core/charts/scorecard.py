"""Charts of the Scorecard page: small-multiple trends and the two breakdowns.

Inputs are the scorecard's own small frames (a dozen periods per measure, a handful of channels or
segments), so nothing here aggregates.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core.charts import MONEY_FORMAT, NEGATIVE, NEUTRAL, POSITIVE, money_title
from cvm_core.scorecard import COUNT, MONEY, NUMBER, SHARE, format_value

_AXIS_FORMAT = {MONEY: "~s", SHARE: ".0%", COUNT: ",.0f", NUMBER: ".1f"}
_COLUMNS = 3


def trend_chart(trends: pd.DataFrame, currency: str, frequency: str = "Q") -> alt.ConcatChart:
    """One small line chart per measure, four to a row, each with its own scale and unit.

    Parameters
    ----------
    trends : DataFrame
        :attr:`cvm_core.scorecard.Scorecard.trends` (key, measure, unit, period, period_start,
        value).
    currency : str
    frequency : {"Q", "M"}
        For the time axis labels.
    """
    data = trends.assign(
        shown=[
            format_value(v, u, currency)
            for v, u in zip(trends["value"], trends["unit"], strict=True)
        ]
    )[["key", "measure", "unit", "period", "period_start", "value", "shown"]]
    base = alt.Chart(data)
    time_format = "Q%q %y" if frequency == "Q" else "%b %y"
    panels = []
    for key, rows in data.groupby("key", sort=False):
        unit = rows["unit"].iloc[0]
        title = rows["measure"].iloc[0]
        y_title = (
            currency
            if unit == MONEY
            else {SHARE: "%", COUNT: "customers", NUMBER: "per customer"}.get(unit, "")
        )
        y = alt.Y(
            "value:Q",
            title=y_title,
            axis=alt.Axis(format=_AXIS_FORMAT.get(unit, ",.1f"), tickCount=3),
        )
        panel = (
            base.transform_filter(alt.datum.key == key)
            .mark_line(point=alt.OverlayMarkDef(size=28), color=NEUTRAL, strokeWidth=2)
            .encode(
                x=alt.X(
                    "period_start:T",
                    title=None,
                    axis=alt.Axis(format=time_format, labelAngle=0, tickCount=4),
                ),
                y=y,
                tooltip=[
                    alt.Tooltip("measure:N", title="Measure"),
                    alt.Tooltip("period:N", title="Period"),
                    alt.Tooltip("shown:N", title="Value"),
                ],
            )  # fmt: skip
            .properties(title=alt.TitleParams(title, fontSize=13), width=215, height=110)
        )
        panels.append(panel)
    if not panels:
        panels = [base.mark_text().encode()]
    return alt.concat(*panels, columns=_COLUMNS).properties(
        title=alt.TitleParams(
            "Scorecard trends", subtitle="Each measure by period, up to the chosen one"
        )
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
