"""Charts of the upload page."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cvm_core.chart_style import MONEY_FORMAT, NEUTRAL, PALETTE, money_title
from cvm_core.i18n import _


def monthly_activity_chart(monthly: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Net revenue per month as bars, active customers as a line on a second axis.

    Parameters
    ----------
    monthly : DataFrame
        From :func:`cvm_core.intake.summary.monthly_activity` (month, net_revenue, active_customers).
    """
    # One tick per month, or per quarter/half-year on longer data: without an explicit interval,
    # a few months of data get ticks every week, each labelled with the same month name.
    step = max(1, math.ceil(len(monthly) / 12))
    axis = alt.Axis(
        format="%b %Y",
        # The year only on January (and the first label): "Jan 2023 Feb Mar ..." never runs
        # "Jan 2023Feb 2023" together when every month has a label.
        labelExpr=(
            "month(datum.value) == 0 || datum.index == 0 ? timeFormat(datum.value, '%b %Y') "
            ": timeFormat(datum.value, '%b')"
        ),
        tickCount=alt.TickCount(interval="month", step=step),
        labelAngle=0,
        labelOverlap="greedy",  # on a narrow screen, drop labels rather than overprint them
    )
    base = alt.Chart(monthly)
    revenue_title, month = money_title(_("Net revenue"), currency), _("Month")
    bars = base.mark_bar(color=NEUTRAL, opacity=0.85, width=alt.RelativeBandSize(0.8)).encode(
        x=alt.X("yearmonth(month):T", title=month, axis=axis),
        y=alt.Y("net_revenue:Q", title=revenue_title, axis=alt.Axis(format="~s")),
        tooltip=[
            alt.Tooltip("month:T", title=month, format="%B %Y"),
            alt.Tooltip("net_revenue:Q", title=revenue_title, format=MONEY_FORMAT),
            alt.Tooltip("active_customers:Q", title=_("Active customers"), format=","),
        ],
    )
    line = base.mark_line(
        color=PALETTE[1], strokeWidth=3, point=alt.OverlayMarkDef(color=PALETTE[1])
    ).encode(
        # The middle of each month's bar. Every layer names the axis alike: Vega-Lite joins
        # different names ("Month, month") and drops the name when one layer has none.
        x=alt.X("yearmonth(month):T", title=month, bandPosition=0.5),
        y=alt.Y(
            "active_customers:Q", title=_("Active customers"), axis=alt.Axis(titleColor=PALETTE[1])
        ),
    )
    return (
        alt.layer(bars, line)
        .resolve_scale(y="independent")
        .properties(title=_("Revenue and active customers by month"), height=260)
    )
