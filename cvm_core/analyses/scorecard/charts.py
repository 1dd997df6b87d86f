"""Charts of the Scorecard page: the trend heatmap and the two breakdowns.

Inputs are the scorecard's own small frames (a dozen periods per measure, a handful of channels or
segments), so nothing here aggregates.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.scorecard.specs import measure_name
from cvm_core.chart_style import MONEY_FORMAT, NEGATIVE, NEUTRAL, POSITIVE, money_title
from cvm_core.i18n import N_, _

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
    data = trends[["measure", "period", "period_start", "label", "score"]].assign(
        measure=[measure_name(k, m) for k, m in zip(trends["key"], trends["measure"], strict=True)],
        period=[formatting.period_label(p) for p in trends["period"]],
    )  # the result keeps English names (cached across languages); the chart shows them translated
    rows = list(dict.fromkeys(data["measure"]))
    periods = list(dict.fromkeys(data.sort_values("period_start")["period"]))
    base = alt.Chart(data).encode(
        x=alt.X("period:O", title=None, sort=periods, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("measure:N", title=None, sort=rows, axis=alt.Axis(labelLimit=320)),
        tooltip=[alt.Tooltip("measure:N", title=_("Measure")), alt.Tooltip("period:N", title=_("Period")),
                 alt.Tooltip("label:N", title=_("Value")),
                 alt.Tooltip("score:Q", title=_("Against its average (std. dev., + = better)"), format="+.1f")],
    )  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "score:Q", title=_("Against the measure's average"), legend=None,
            # Light ends keep the black figures readable; straight RGB blending avoids purple tints.
            scale=alt.Scale(domain=[-2, 0, 2], range=[_WORSE, "#f4f6f8", _BETTER], interpolate="rgb"),
        )
    )  # fmt: skip
    text = base.mark_text(fontSize=12).encode(text="label:N")
    return (cells + text).properties(
        title=alt.TitleParams(
            _("Scorecard trends"),
            subtitle=_("Each measure by period; green: better than its own average, red: worse"),
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
        y=alt.Y("group:N", title=_("Main channel"), sort="-x"),
        x=alt.X("cost_to_serve_share:Q", title=_("Cost-to-serve (% of net revenue)"), axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("group:N", title=_("Main channel")),
            alt.Tooltip("customers:Q", title=_("Buying customers"), format=","),
            alt.Tooltip("net_revenue:Q", title=money_title(_("Net revenue"), currency), format=MONEY_FORMAT),
            alt.Tooltip("cost_to_serve:Q", title=money_title(_("Cost-to-serve"), currency), format=MONEY_FORMAT),
            alt.Tooltip("cost_to_serve_share:Q", title=_("Cost-to-serve / net revenue"), format=".1%"),
        ],
    )  # fmt: skip
    bars = base.mark_bar(color=NEUTRAL)
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(
        text=alt.Text("cost_to_serve_share:Q", format=".1%")
    )
    return (bars + labels).properties(
        title=alt.TitleParams(_("Cost-to-serve by channel"), subtitle=_("Customers grouped by the channel they buy through most")),
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
        y=alt.Y("group:N", title=_("RFM segment"), sort=order),
        x=alt.X("profit:Q", title=money_title(_("Operating profit in the period"), currency), axis=alt.Axis(format="~s")),
        tooltip=[
            alt.Tooltip("group:N", title=_("Segment")),
            alt.Tooltip("customers:Q", title=_("Buying customers"), format=","),
            alt.Tooltip("net_revenue:Q", title=money_title(_("Net revenue"), currency), format=MONEY_FORMAT),
            alt.Tooltip("profit:Q", title=money_title(_("Operating profit"), currency), format=MONEY_FORMAT),
            alt.Tooltip("profit_share:Q", title=_("Share of total profit"), format=".1%"),
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
            _("Profit contribution by segment"), subtitle=_("Operating profit of each RFM segment")
        ),
        height=alt.Step(26),
    )


_STATUS_COLOURS = {
    N_("on target"): "#cfe8d6", N_("watch"): "#f6e2b3", N_("off target"): "#f3c7c1",
    N_("no target set"): "#e9edf1", N_("no value"): "#f7f8fa",
}  # fmt: skip
"""The chain's statuses (cvm_core.analyses.scorecard.specs), in English; shown translated."""
_HALF_HEIGHT = 0.3
_WIDTH = 900


def chain_layout(chain: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Boxes (one per measure: centre, half width, label lines) and links (child -> parent) of
    the hierarchy, goals on the top row; ``table`` is its text version (Measure, Level, Value,
    Target: what the boxes show)."""
    levels = list(dict.fromkeys(chain["level"]))
    boxes = chain[["key", "level", "measure", "status"]].copy()
    boxes["row"] = boxes["level"].map({lv: i for i, lv in enumerate(levels)})
    boxes["slot"] = boxes.groupby("row").cumcount()
    per_row = boxes.groupby("row")["key"].transform("size")
    boxes["x"] = (boxes["slot"] + 0.5) / per_row
    boxes["half"] = 0.48 / per_row
    # Measures and levels as the table shows them (in the current language); rows by the chain's.
    boxes["measure"] = table["Measure"].to_numpy()
    boxes["level"] = table["Level"].to_numpy()
    boxes["value_text"] = [
        _("{value} (target {target})").format(value=v, target=t) if t != "–" else f"{v}"
        for v, t in zip(table["Value"], table["Target"], strict=True)
    ]
    where = boxes.set_index("key")[["x", "row"]]
    links = [
        {"x": where.loc[k, "x"], "y": where.loc[k, "row"] - _HALF_HEIGHT,
         "x2": where.loc[p, "x"], "y2": where.loc[p, "row"] + _HALF_HEIGHT}
        for k, drives in zip(chain["key"], chain["drives"], strict=True)
        for p in drives.split(", ") if p
    ]  # fmt: skip
    return boxes, pd.DataFrame(links, columns=["x", "y", "x2", "y2"])


def chain_chart(chain: pd.DataFrame, table: pd.DataFrame) -> alt.LayerChart:
    """The hierarchy as a picture: goals on top, process measures below them, leading indicators
    at the bottom, each box coloured by its status and linked to what it drives."""
    boxes, links = chain_layout(chain, table)
    rows = int(boxes["row"].max()) + 1 if len(boxes) else 1
    x = alt.Scale(domain=[0, 1])
    y = alt.Scale(domain=[rows - 0.5, -0.5])
    plain = {"axis": None}
    edges = alt.Chart(links).mark_rule(color="#9aa5b1", strokeWidth=1.5).encode(
        x=alt.X("x:Q", scale=x, **plain), y=alt.Y("y:Q", scale=y, **plain), x2="x2:Q", y2="y2:Q"
    )  # fmt: skip
    data = boxes.assign(
        x1=boxes["x"] - boxes["half"], x2=boxes["x"] + boxes["half"],
        y1=boxes["row"] - _HALF_HEIGHT, y2=boxes["row"] + _HALF_HEIGHT,
        status=[_(s) if s in _STATUS_COLOURS else s for s in boxes["status"]],
    )  # fmt: skip
    tooltip = [alt.Tooltip("measure:N", title=_("Measure")), alt.Tooltip("value_text:N", title=_("Value")),
               alt.Tooltip("status:N", title=_("Status")), alt.Tooltip("level:N", title=_("Level"))]  # fmt: skip
    rects = alt.Chart(data).mark_rect(stroke="#7f8c8d", cornerRadius=4).encode(
        x=alt.X("x1:Q", scale=x, **plain), x2="x2:Q", y=alt.Y("y1:Q", scale=y, **plain), y2="y2:Q",
        color=alt.Color("status:N", title=_("Status"), scale=alt.Scale(
            domain=[_(s) for s in _STATUS_COLOURS], range=list(_STATUS_COLOURS.values()))),
        tooltip=tooltip,
    )  # fmt: skip
    texts = []
    for _row, row in data.groupby("row"):  # a row of many boxes has narrower ones: cut its text
        limit = float(2 * row["half"].iloc[0] * _WIDTH - 10)
        base = alt.Chart(row).encode(
            x=alt.X("x:Q", scale=x, **plain), y=alt.Y("row:Q", scale=y, **plain), tooltip=tooltip
        )
        texts.append(base.mark_text(fontSize=11, fontWeight="bold", limit=limit, dy=-9).encode(
            text="measure:N"))  # fmt: skip
        texts.append(base.mark_text(fontSize=11, limit=limit, dy=9).encode(text="value_text:N"))
    levels = list(dict.fromkeys(chain["level"]))
    subtitle = " → ".join(_(level) for level in reversed(levels)) if levels else ""
    return alt.layer(edges, rects, *texts).properties(
        title=alt.TitleParams(
            _("What drives the goals"),
            subtitle=_("Read bottom up: {levels}").format(levels=subtitle),
        ),
        width=_WIDTH,
        height=110 * rows,
    )
