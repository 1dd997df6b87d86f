"""Charts of the Profitability Whale Curve page.

Every function takes frames already aggregated and downsampled by :mod:`cvm_core.analyses.profitability.whale` (at most a
few thousand rows) and returns an Altair chart; nothing here computes profit.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core import chart_labels, formatting, i18n
from cvm_core.analyses.profitability.curve import (
    LOSS_ZONE,
    PROFITABLE_ZONE,
    WhaleSummary,
    whole_pct,
)
from cvm_core.chart_style import MONEY_FORMAT, NEGATIVE, NEUTRAL, PALETTE, POSITIVE, money_title
from cvm_core.i18n import N_, _

GREY = "#7f8c8d"
WHALE_HEIGHT = 420
_SHARE_AXIS = alt.Axis(format="%", tickCount=10)
_ZONE_NAMES = {PROFITABLE_ZONE: N_("Profitable customers"), LOSS_ZONE: N_("Loss-making customers")}
"""The curve's zones (English in the core's frames; green, red) as the legend names them."""
_STEP_NAMES = (N_("Profit today"), N_("Channel migration"), N_("Small-order policy"),
               N_("Lower service level"), N_("Price increase"), N_("Customers lost"),
               N_("Parting with the worst"), N_("Profit after the fixes"))  # fmt: skip
"""The what-if's waterfall steps (English in its frame: the totals and levers.registry.LEVERS),
marked for the catalogs; the chart shows them translated."""


def _zones() -> alt.Scale:
    """The zones' colours, keyed by their names in the current language."""
    return alt.Scale(domain=[_(n) for n in _ZONE_NAMES.values()], range=[POSITIVE, NEGATIVE])


def _zone_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its zone column in the current language (a copy; the core's stays English)."""
    return frame.assign(zone=frame["zone"].map(lambda z: _(_ZONE_NAMES.get(z, z))))


def _group_name(group_title: str) -> str:
    """The grouping inside a title: 'Main channel' -> 'main channel' in English (as the titles
    always read), as written in German (nouns keep their capital) and Chinese."""
    name = _(group_title)
    return name.lower() if i18n.current() == "en" else name


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
        alt.Tooltip("rank:Q", title=_("Customers counted"), format=","),
        alt.Tooltip("customer_share:Q", title=_("Share of customers"), format=".1%"),
        alt.Tooltip(
            "cum_profit:Q", title=money_title(_("Cumulative profit"), currency), format=MONEY_FORMAT
        ),
        alt.Tooltip(
            "profit:Q",
            title=money_title(_("This customer's profit"), currency),
            format=MONEY_FORMAT,
        ),
    ]
    if percent:
        tooltip.insert(
            2,
            alt.Tooltip(
                "cum_profit_pct:Q", title=_("Cumulative profit (% of total)"), format=".1%"
            ),
        )
    # Area and line share one inline dataset, given to the layer once (not per mark); the other
    # layers bring their own small data. Rounded for the browser only (a third of the payload).
    data = _zone_names(
        points[columns].round(
            {"customer_share": 5, "cum_profit_pct": 5, "cum_profit": 2, "profit": 2}
        )
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
            color=alt.Color("zone:N", scale=_zones(), legend=None),
        )
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=3.5)
        .encode(
            x=_share_x(),
            y=alt.Y(f"{y_field}:Q", title=y_title),
            color=alt.Color(
                "zone:N", scale=_zones(), title=None, legend=alt.Legend(orient="bottom")
            ),
            tooltip=tooltip,
        )
    )
    reference = (
        alt.Chart(pd.DataFrame({"y": [1.0 if percent else 0.0]}))
        .mark_rule(color=GREY, strokeDash=[6, 4], strokeWidth=1.5)
        .encode(y=alt.Y("y:Q", title=y_title))
    )
    # The end label goes below the end when the curve falls into it from above (loss-makers in
    # the tail), above it when the curve rises into it (every customer profitable) or it is the
    # lowest point (a total loss in money).
    end_below = percent and not summary.all_profitable
    scale = _headroom(points[y_field])
    layout = _layout_marks(marks, y_field, end_below, tuple(scale.domain), points)
    layers = [area, line, reference, *_mark_layers(marks, layout, y_field, y_title, percent)]
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
    marks: pd.DataFrame,
    layout: chart_labels.BandedLayout,
    y_field: str,
    y_title: str,
    percent: bool,
) -> list[alt.Chart]:
    if marks.empty:
        return []
    # The curve's titles on every layer: Vega-Lite joins different ones ("Customers ...,
    # customer_share") and drops the title when a layer has none.
    x = alt.X("customer_share:Q", title=_("Customers, most profitable first (%)"))
    y = alt.Y(f"{y_field}:Q", title=y_title)
    base = alt.Chart(marks).encode(x=x, y=y)
    tooltip = [alt.Tooltip("label:N", title=_("Point"))]
    layers = [base.mark_point(filled=True, size=110, color="#2c3e50").encode(tooltip=tooltip)]
    layers += chart_labels.text_layers(
        layout, x, y, rename={"x": "customer_share", "y": y_field},
        fontSize=LABEL_FONT_SIZE, fontWeight="bold", color="#2c3e50",
    )  # fmt: skip
    peak = marks[marks["key"] == "peak"]
    if not peak.empty:
        drop = (
            alt.Chart(peak)
            .mark_rule(color=NEGATIVE, strokeDash=[3, 3])
            .encode(x=x, y=y, y2=alt.datum(1.0 if percent else 0.0))
        )
        layers.insert(0, drop)
    return layers


def profit_revenue_chart(points: pd.DataFrame) -> alt.LayerChart:
    """Cumulative profit % against cumulative revenue %, customers ranked by profit.

    The diagonal is where profit would accrue in proportion to revenue.
    """
    x_title, y_title = _("Cumulative net revenue (% of total)"), _("Cumulative profit (% of total)")
    base = alt.Chart(_zone_names(points)).encode(x=_share_x("cum_revenue_share", x_title))
    line = base.mark_line(strokeWidth=3).encode(
        y=alt.Y("cum_profit_pct:Q", title=y_title, axis=alt.Axis(format="%")),
        color=alt.Color("zone:N", scale=_zones(), title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[
            alt.Tooltip("customer_share:Q", title=_("Share of customers"), format=".1%"),
            alt.Tooltip("cum_revenue_share:Q", title=_("Share of revenue"), format=".1%"),
            alt.Tooltip("cum_profit_pct:Q", title=_("Share of profit"), format=".1%"),
        ],
    )
    # Every layer names the axes alike (Vega-Lite joins different names).
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
        .mark_line(color=GREY, strokeDash=[6, 4])
        .encode(x=alt.X("x:Q", title=x_title), y=alt.Y("y:Q", title=y_title))
    )
    hundred = (
        alt.Chart(pd.DataFrame({"y": [1.0]}))
        .mark_rule(color=GREY, strokeDash=[2, 4])
        .encode(y=alt.Y("y:Q", title=y_title))
    )
    return alt.layer(diagonal, hundred, line).properties(
        title=alt.Title(
            _("Profit against revenue"),
            subtitle=_("Dashed diagonal: profit in proportion to revenue."),
        ),
        height=380,
    )


def segment_chart(points: pd.DataFrame, group_title: str) -> alt.LayerChart:
    """One whale curve per group, each as % of that group's own profit."""
    y_title = _("Cumulative profit (% of the group's profit)")
    base = alt.Chart(points).encode(
        x=_share_x("customer_share", _("Customers of the group, most profitable first (%)"))
    )
    lines = base.mark_line(strokeWidth=2.5).encode(
        y=alt.Y(
            "cum_profit_pct:Q",
            title=y_title,
            axis=alt.Axis(format="%"),
        ),
        color=alt.Color("group:N", title=_(group_title), scale=alt.Scale(range=PALETTE)),
        tooltip=[
            alt.Tooltip("group:N", title=_(group_title)),
            alt.Tooltip("customers:Q", title=_("Customers in group"), format=","),
            alt.Tooltip("customer_share:Q", title=_("Share of the group"), format=".1%"),
            alt.Tooltip(
                "cum_profit_pct:Q", title=_("Cumulative profit (% of group)"), format=".1%"
            ),
        ],
    )
    hundred = (
        alt.Chart(pd.DataFrame({"y": [1.0]}))
        .mark_rule(color=GREY, strokeDash=[6, 4])
        .encode(y=alt.Y("y:Q", title=y_title))  # as the lines: Vega-Lite joins different titles
    )
    return alt.layer(hundred, lines).properties(
        title=_("Whale curves by {group}").format(group=_group_name(group_title)), height=380
    )


def profit_by_chart(table: pd.DataFrame, group_title: str, currency: str) -> alt.Chart:
    """Operating profit per group as bars (green profit, red loss), in the table's order."""
    frame = table.assign(sign=table["profit"].ge(0).map({True: "Profit", False: "Loss"}))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=_(group_title), sort=list(frame["group"])),
            x=alt.X(
                "profit:Q",
                title=money_title(_("Operating profit"), currency),
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(
                "sign:N",
                scale=alt.Scale(domain=["Profit", "Loss"], range=[POSITIVE, NEGATIVE]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("group:N", title=_(group_title)),
                alt.Tooltip("customers:Q", title=_("Customers"), format=","),
                alt.Tooltip(
                    "net_revenue:Q",
                    title=money_title(_("Net revenue"), currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "cost_to_serve:Q",
                    title=money_title(_("Cost-to-serve"), currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "profit:Q",
                    title=money_title(_("Operating profit"), currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "unprofitable_share:Q", title=_("Unprofitable customers"), format=".0%"
                ),
            ],
        )
        .properties(
            title=_("Operating profit by {group}").format(group=_group_name(group_title)),
            height=alt.Step(34),
        )
    )


def activity_cost_chart(activities: pd.DataFrame, currency: str) -> alt.Chart:
    """Total cost-to-serve assigned per activity, largest first."""
    frame = activities[activities["cost"] > 0]
    return (
        alt.Chart(frame)
        .mark_bar(color=NEUTRAL)
        .encode(
            y=alt.Y("activity:N", title=_("Activity"), sort="-x"),
            x=alt.X(
                "cost:Q",
                title=money_title(_("Cost assigned"), currency),
                axis=alt.Axis(format="~s"),
            ),
            tooltip=[
                alt.Tooltip("activity:N", title=_("Activity")),
                alt.Tooltip("driver:N", title=_("Cost driver")),
                alt.Tooltip("volume:Q", title=_("Driver volume"), format=",.0f"),
                alt.Tooltip(
                    "rate:Q", title=money_title(_("Cost per driver unit"), currency), format=",.2f"
                ),
                alt.Tooltip(
                    "cost:Q", title=money_title(_("Cost assigned"), currency), format=MONEY_FORMAT
                ),
                alt.Tooltip("share:Q", title=_("Share of cost-to-serve"), format=".1%"),
            ],
        )
        .properties(title=_("Cost-to-serve by activity"), height=alt.Step(28))
    )


def loss_drivers_chart(drivers: pd.DataFrame, currency: str) -> alt.Chart:
    """Cost per customer by activity: loss-making customers against profitable ones."""
    long = drivers.melt(
        id_vars="activity",
        value_vars=["per_loss_maker", "per_profitable_customer"],
        var_name="who",
        value_name="cost",
    )
    loss_makers, profitable = _("Loss-makers"), _("Profitable")
    long["who"] = long["who"].map(
        {"per_loss_maker": loss_makers, "per_profitable_customer": profitable}
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("activity:N", title=_("Activity"), sort=list(drivers["activity"])),
            yOffset=alt.YOffset("who:N"),
            x=alt.X("cost:Q", title=money_title(_("Cost-to-serve per customer"), currency)),
            color=alt.Color(
                "who:N",
                title=None,
                scale=alt.Scale(domain=[loss_makers, profitable], range=[NEGATIVE, POSITIVE]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("activity:N", title=_("Activity")),
                alt.Tooltip("who:N", title=_("Customers")),
                alt.Tooltip(
                    "cost:Q", title=money_title(_("Cost per customer"), currency), format=",.2f"
                ),
            ],
        )
        .properties(title=_("Cost per customer by activity"), height=alt.Step(14))
    )


def worst_customers_chart(long: pd.DataFrame, currency: str) -> alt.LayerChart:
    """The worst customers' cost-to-serve stacked by activity, with their gross margin as a tick."""
    order = list(long.sort_values("position")["customer_id"].drop_duplicates())
    y = alt.Y("customer_id:N", title=_("Customer (worst first)"), sort=order)
    # Two lines: on one, the title is wider than a narrow plot and runs into the y axis's title.
    # Both layers carry it (Vega-Lite cannot merge a two-line title with an empty one).
    x_title = [money_title(_("Cost-to-serve (bars)"), currency), _("and gross margin (black tick)")]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("sum(cost):Q", title=x_title),
            color=alt.Color(
                "activity:N",
                title=_("Activity"),
                scale=alt.Scale(range=PALETTE + ["#34495e", "#a04000", "#5d6d7e", "#117a65"]),
            ),
            tooltip=[
                alt.Tooltip("customer_id:N", title=_("Customer")),
                alt.Tooltip("activity:N", title=_("Activity")),
                alt.Tooltip("cost:Q", title=money_title(_("Cost"), currency), format=MONEY_FORMAT),
                alt.Tooltip(
                    "profit:Q",
                    title=money_title(_("Operating profit"), currency),
                    format=MONEY_FORMAT,
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
            x=alt.X("gross_margin:Q", title=x_title),
            tooltip=[
                alt.Tooltip("customer_id:N", title=_("Customer")),
                alt.Tooltip(
                    "gross_margin:Q",
                    title=money_title(_("Gross margin"), currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "profit:Q",
                    title=money_title(_("Operating profit"), currency),
                    format=MONEY_FORMAT,
                ),
            ],
        )
    )
    return alt.layer(bars, ticks).properties(
        title=_("The {count} biggest loss-makers").format(count=len(order)), height=alt.Step(24)
    )


def scenario_chart(curves: pd.DataFrame, currency: str) -> alt.Chart:
    """Cumulative profit today and after the fixes, in money, against today's customer count."""
    # The curves' names (whatif.TODAY, AFTER) in the language; the core's frame keeps English.
    names = {"Today": _("Today"), "After the fixes": _("After the fixes")}
    domain = list(names.values())
    return (
        alt.Chart(curves.assign(curve=curves["curve"].map(lambda c: names.get(c, c))))
        .mark_line(strokeWidth=3)
        .encode(
            x=_share_x(
                "customer_share", _("Customers, most profitable first (% of today's customers)")
            ),
            y=alt.Y(
                "cum_profit:Q",
                title=money_title(_("Cumulative profit"), currency),
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[GREY, NEUTRAL]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "curve:N",
                scale=alt.Scale(domain=domain, range=[[6, 4], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("curve:N", title=_("Curve")),
                alt.Tooltip("rank:Q", title=_("Customers counted"), format=","),
                alt.Tooltip(
                    "cum_profit:Q",
                    title=money_title(_("Cumulative profit"), currency),
                    format=MONEY_FORMAT,
                ),
            ],
        )
        .properties(title=_("Whale curve today and after the fixes"), height=360)
    )


def waterfall_chart(steps: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Profit today, each lever's contribution, profit after: a horizontal waterfall (long labels)."""
    total, adds, costs = _("Total"), _("Adds profit"), _("Costs profit")
    steps = steps.assign(step=steps["step"].map(_))  # a copy: the core's frame stays English
    frame = steps.assign(
        low=steps[["start", "end"]].min(axis=1),
        high=steps[["start", "end"]].max(axis=1),
        kind_label=[
            total if k == "total" else (adds if d >= 0 else costs)
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
    x_title = money_title(_("Operating profit"), currency)
    bars = base.mark_bar(height=alt.RelativeBandSize(0.7)).encode(
        x=alt.X(
            "low:Q",
            title=x_title,
            axis=alt.Axis(format="~s", tickCount=5, labelOverlap=True),
        ),
        x2="high:Q",
        color=alt.Color(
            "kind_label:N",
            title=None,
            scale=alt.Scale(domain=[total, adds, costs], range=[NEUTRAL, POSITIVE, NEGATIVE]),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("step:N", title=_("Step")),
            alt.Tooltip(
                "delta:Q", title=money_title(_("Change / total"), currency), format=MONEY_FORMAT
            ),
            alt.Tooltip(
                "end:Q",
                title=money_title(_("Profit after this step"), currency),
                format=MONEY_FORMAT,
            ),
        ],
    )
    text = base.mark_text(align="left", dx=5, fontSize=12).encode(
        x=alt.X("high:Q", title=x_title),
        text="label:N",  # the bars' title
    )
    return alt.layer(bars, text).properties(
        title=_("Where the change in profit comes from"), height=alt.Step(34)
    )
