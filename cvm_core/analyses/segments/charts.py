"""Charts of the Segments page: the RFM map, contribution by segment, clusters, cross-sell."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cvm_core import chart_labels, formatting
from cvm_core.chart_style import MONEY_FORMAT, NEUTRAL, PALETTE, money_title
from cvm_core.i18n import N_, _

# Greens for the best customers, blues for new ones, ambers and reds for those slipping away,
# greys for the gone: the map reads like a traffic light.
SEGMENT_COLORS = {
    "Champions": "#1a6b3c",
    "Loyal": "#3a9d5d",
    "Potential loyalists": "#8cc9a0",
    "New": "#9ecae1",
    "Promising": "#4a90c2",
    "Need attention": "#f2c14e",
    "About to sleep": "#f4a259",
    "At risk": "#e07b39",
    "Can't lose them": "#c0392b",
    "Hibernating": "#b3b3b3",
    "Lost": "#7f8c8d",
}
_DARK = {"Champions", "Loyal", "Promising", "Can't lose them", "Lost", "At risk"}
MAX_HEATMAP_CATEGORIES = 25
NONE = N_("(none)")
"""The next-best chart's row of customers without an offer
(:func:`cvm_core.analyses.segments.affinity.recommendation_counts`)."""


def _segment_scale(segments: list[str]) -> alt.Scale:
    """Colours by the English names; the domain as the chart shows them (translated)."""
    extra = iter(PALETTE * 3)
    colors = [SEGMENT_COLORS.get(s) or next(extra) for s in segments]
    return alt.Scale(domain=[_(s) for s in segments], range=colors)


def rfm_map_chart(cells: pd.DataFrame, segments: list[str]) -> alt.LayerChart:
    """The R x FM grid: each cell coloured by its segment, with the share of customers in it.

    Parameters
    ----------
    cells : DataFrame
        From :func:`cvm_core.analyses.segments.rfm.grid_cells` (r_score, fm_score, segment, customers, share).
    segments : list of str
        Segment names in display order (legend order).
    """
    data = cells.assign(
        label=cells["share"].map(lambda s: formatting.pct(s, 1)),
        ink=cells["segment"].map(lambda s: "white" if s in _DARK else "#1b1b1b"),
        segment=[_(s) for s in cells["segment"]],  # after the colours, which go by English names
    )
    base = alt.Chart(data).encode(
        x=alt.X(
            "fm_score:O",
            title=_("Frequency & monetary score (FM, 5 = best)"),
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("r_score:O", title=_("Recency score (R, 5 = most recent)"), sort="descending"),
    )
    tooltip = [
        alt.Tooltip("segment:N", title=_("Segment")),
        alt.Tooltip("r_score:O", title=_("R score")),
        alt.Tooltip("fm_score:O", title=_("FM score")),
        alt.Tooltip("customers:Q", title=_("Customers"), format=","),
        alt.Tooltip("share:Q", title=_("Share of customers"), format=".1%"),
    ]
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "segment:N",
            scale=_segment_scale(segments),
            title=_("Segment"),
            legend=None,
        ),
        tooltip=tooltip,
    )
    name = base.mark_text(dy=-9, fontSize=11, fontWeight="bold").encode(
        text="segment:N", color=alt.Color("ink:N", scale=None), tooltip=tooltip
    )
    share = base.mark_text(dy=9, fontSize=12).encode(
        text="label:N", color=alt.Color("ink:N", scale=None), tooltip=tooltip
    )
    return alt.layer(rect, name, share).properties(
        title=_("RFM segment map: where your customers sit"), width=700, height=400
    )


def contribution_chart(table: pd.DataFrame, dimension: str, has_margin: bool) -> alt.LayerChart:
    """Share of customers next to share of net revenue (and margin) per group, as bars.

    Parameters
    ----------
    table : DataFrame
        From :func:`cvm_core.analyses.segments.rfm.segment_contribution`.
    dimension : str
        What the groups are ("RFM segment", "Region", ...), for the title: in English, translated
        here as the page's selectbox shows it (a column name of the user's file stays as it is).
    """
    groups = _(dimension)
    measures = {"customer_share": _("Customers"), "revenue_share": _("Net revenue")}
    if has_margin and "margin_share" in table:
        measures["margin_share"] = _("Margin")
    long = table.melt(
        id_vars=["segment"], value_vars=list(measures), var_name="measure", value_name="share"
    )
    long = long.dropna(subset=["share"])
    long["measure"] = long["measure"].map(measures)
    order = list(table["segment"])
    if dimension == "RFM segment":  # the app's own names, English in the result
        long["segment"] = [_(name) for name in long["segment"]]
        order = [_(name) for name in order]
    base = alt.Chart(long).encode(
        y=alt.Y("segment:N", sort=order, title=groups),
        x=alt.X("share:Q", title=_("Share of total"), axis=alt.Axis(format="%")),
        yOffset=alt.YOffset("measure:N", sort=list(measures.values())),
        color=alt.Color(
            "measure:N",
            title=_("Share of"),
            sort=list(measures.values()),
            scale=alt.Scale(
                domain=list(measures.values()), range=[PALETTE[5], NEUTRAL, PALETTE[2]]
            ),
        ),
        tooltip=[
            alt.Tooltip("segment:N", title=groups),
            alt.Tooltip("measure:N", title=_("Share of")),
            alt.Tooltip("share:Q", title=_("Share"), format=".1%"),
        ],
    )
    bars = base.mark_bar()
    labels = base.mark_text(align="left", dx=3, fontSize=11).encode(
        text=alt.Text("share:Q", format=".0%"), color=alt.value("#333333")
    )
    height = max(200, 16 * len(measures) * len(order))
    return alt.layer(bars, labels).properties(
        title=_("Share of customers vs share of value, by {groups}").format(groups=groups),
        height=height,
    )


def silhouette_chart(silhouette: pd.Series, chosen_k: int) -> alt.LayerChart:
    """Mean silhouette per number of clusters, the chosen k marked."""
    data = pd.DataFrame({"k": silhouette.index.astype(int), "silhouette": silhouette.to_numpy()})
    data["chosen"] = data["k"] == chosen_k
    top = float(data["silhouette"].max()) if len(data) else 1.0
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title=_("Number of clusters (k)"), axis=alt.Axis(labelAngle=0)),
        # Headroom above the best k so its marker is not cut by the plot edge.
        y=alt.Y(
            "silhouette:Q",
            title=_("Mean silhouette"),
            scale=alt.Scale(domain=[min(0.0, float(data["silhouette"].min())), top * 1.2]),
        ),
        tooltip=[
            alt.Tooltip("k:O", title="k"),
            alt.Tooltip("silhouette:Q", title=_("Silhouette"), format=".3f"),
        ],
    )
    line = base.mark_line(color=NEUTRAL, point=True)
    chosen = base.transform_filter(alt.datum.chosen).mark_point(
        size=250, color=PALETTE[1], filled=True
    )
    return alt.layer(line, chosen).properties(
        title=_("How well separated the clusters are, by k"), height=260
    )


def cluster_map_chart(profile: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Clusters as bubbles: days since last purchase vs net revenue per customer, size = customers.

    Parameters
    ----------
    profile : DataFrame
        From :func:`cvm_core.analyses.segments.rfm.segment_contribution` with avg_recency_days and
        avg_frequency (the cluster profile), highest value first.
    """
    revenue = money_title(_("Net revenue per customer"), currency)
    recency = _("Average days since last purchase")
    legend = _("Cluster (biggest bubble = most customers)")
    share_of = _("{share} of customers")
    data = profile[profile["segment"] != "(not recorded)"].assign(
        label=lambda d: d["customer_share"].map(
            lambda s: share_of.format(share=formatting.pct(s, 0))
        )
    )
    # Room around the extremes so the largest bubbles are not cut by the plot edge.
    x_max = float(data["avg_recency_days"].max()) * 1.15 + 10
    low, high = float(data["revenue_per_customer"].min()), float(data["revenue_per_customer"].max())
    y_domain = [min(0.0, low * 1.15), high * 1.2 + 1]
    base = alt.Chart(data).encode(
        x=alt.X(
            "avg_recency_days:Q",
            title=recency,
            scale=alt.Scale(domain=[0, x_max], nice=False),
            axis=alt.Axis(tickCount=8),
        ),
        y=alt.Y(
            "revenue_per_customer:Q",
            title=revenue,
            scale=alt.Scale(domain=y_domain, nice=False),
            axis=alt.Axis(format=MONEY_FORMAT),
        ),
        tooltip=[
            alt.Tooltip("segment:N", title=_("Cluster")),
            alt.Tooltip("customers:Q", title=_("Customers"), format=","),
            alt.Tooltip("customer_share:Q", title=_("Share of customers"), format=".1%"),
            alt.Tooltip("revenue_share:Q", title=_("Share of net revenue"), format=".1%"),
            alt.Tooltip("revenue_per_customer:Q", title=revenue, format=MONEY_FORMAT),
            alt.Tooltip("avg_frequency:Q", title=_("Average orders"), format=".1f"),
            alt.Tooltip("avg_recency_days:Q", title=recency, format=".0f"),
        ],
    )
    bubbles = base.mark_circle(opacity=0.85, stroke="white").encode(
        size=alt.Size("customers:Q", scale=alt.Scale(range=[150, 3000]), legend=None),
        color=alt.Color(
            "segment:N",
            title=legend,
            sort=list(data["segment"]),
            scale=alt.Scale(range=PALETTE),
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=400, titleLimit=400),
        ),
    )
    layout = _place_cluster_labels(data, (0.0, x_max), tuple(y_domain))
    # In the bubble's colour: a label pushed away from a crowd of bubbles still says whose it is.
    # The bubbles' titles again: the layers share one axis and legend, merged from every layer's.
    color = alt.Color(
        "segment:N", title=legend, sort=list(data["segment"]), scale=alt.Scale(range=PALETTE)
    )
    labels = chart_labels.text_layers(
        layout, alt.X("avg_recency_days:Q", title=recency),
        alt.Y("revenue_per_customer:Q", title=revenue), encodings={"color": color},
        rename={"x": "avg_recency_days", "y": "revenue_per_customer", "key": "segment"},
        fontSize=CLUSTER_LABEL_SIZE, fontWeight="bold",
    )  # fmt: skip
    title = alt.Title(_("Clusters by recency and value"))
    if dropped := layout.for_slides().dropped:
        # Bubbles too close to label each: their shares go to the subtitle, so none is lost.
        title = alt.Title(title.text, subtitle=_("Not labelled for lack of room: {labels}.").format(
            labels="; ".join(f"{label.key}: {label.text}" for label in dropped)
        ))  # fmt: skip
    return alt.layer(bubbles, *labels).properties(title=title, height=CLUSTER_HEIGHT)


CLUSTER_HEIGHT = 360
CLUSTER_LABEL_SIZE = 11
_BUBBLE_AREA = (150.0, 3000.0)
"""Pixel areas of the smallest and largest bubble (the size scale's range)."""


def _place_cluster_labels(
    data: pd.DataFrame, x_domain: tuple[float, float], y_domain: tuple[float, float]
) -> chart_labels.BandedLayout:
    """Each bubble's share label above it (else wherever it fits), biggest clusters first."""
    lo, hi = _BUBBLE_AREA
    # Vega's size scale starts at zero customers: area = lo + (hi - lo) * customers / max.
    most = float(data["customers"].max()) or 1.0
    labels = [
        chart_labels.Label(
            str(row.segment), row.label, float(row.avg_recency_days),
            float(row.revenue_per_customer), prefer=("above", "below"),
            radius=math.sqrt((lo + (hi - lo) * float(row.customers) / most) / math.pi),
        )
        for row in data.sort_values("customers", ascending=False).itertuples(index=False)
    ]  # fmt: skip
    return chart_labels.place_banded(
        labels, x_domain, y_domain, CLUSTER_HEIGHT, font_size=CLUSTER_LABEL_SIZE, bold=True
    )


def categories_per_customer_chart(distribution: pd.DataFrame) -> alt.Chart:
    """Share of customers by the number of categories they bought."""
    return (
        alt.Chart(distribution)
        .mark_bar(color=NEUTRAL)
        .encode(
            x=alt.X("categories:O", title=_("Categories bought"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", title=_("Share of customers"), axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("categories:O", title=_("Categories bought")),
                alt.Tooltip("customers:Q", title=_("Customers"), format=","),
                alt.Tooltip("share:Q", title=_("Share of customers"), format=".1%"),
            ],
        )
        .properties(title=_("Products (categories) per customer"), height=260)
    )


def lift_heatmap(pairs: pd.DataFrame, categories: list[str]) -> alt.LayerChart:
    """Lift of every category pair: blue above 1 (bought together more than chance), orange below.

    Parameters
    ----------
    pairs : DataFrame
        From :func:`cvm_core.analyses.segments.affinity.pair_affinity`.
    categories : list of str
        Categories in display order; only the first :data:`MAX_HEATMAP_CATEGORIES` are drawn.
    """
    shown = categories[:MAX_HEATMAP_CATEGORIES]
    data = pairs[pairs["antecedent"].isin(shown) & pairs["consequent"].isin(shown)]
    base = alt.Chart(data).encode(
        x=alt.X("consequent:N", sort=shown, title=_("…also bought"), axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("antecedent:N", sort=shown, title=_("Customers who bought…")),
        tooltip=[
            alt.Tooltip("antecedent:N", title=_("Bought")),
            alt.Tooltip("consequent:N", title=_("Also bought")),
            alt.Tooltip("customers_both:Q", title=_("Customers who bought both"), format=","),
            alt.Tooltip("support:Q", title=_("Support (share of customers)"), format=".1%"),
            alt.Tooltip("confidence:Q", title=_("Confidence"), format=".1%"),
            alt.Tooltip("lift:Q", title=_("Lift"), format=".2f"),
        ],
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "lift:Q",
            title=_("Lift"),
            scale=alt.Scale(scheme="blueorange", reverse=True, domainMid=1.0),
        )
    )
    # White figures on the darkest cells, so they stay readable when projected.
    far = float(data["lift"].sub(1).abs().max()) if len(data) else 0.0
    dark = alt.expr.abs(alt.datum.lift - 1) > 0.6 * far
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("lift:Q", format=".2f"),
        color=alt.condition(dark, alt.value("white"), alt.value("#1b1b1b")),
    )
    return alt.layer(rect, text).properties(
        title=_("Lift between categories (1 = as often as chance)"),
        width=alt.Step(70),
        height=alt.Step(36),
    )


def next_best_chart(counts: pd.DataFrame) -> alt.LayerChart:
    """How many customers each category is the next-best offer for ("(none)" last, in grey)."""
    none = _(NONE)  # the app's own label; the categories are the user's and stay as they are
    order = [c for c in counts["category"] if c != NONE] + [none]
    data = counts.assign(
        category=counts["category"].where(counts["category"] != NONE, none),
        label=counts["share"].map(lambda s: formatting.pct(s, 0)),
        offered=counts["category"] != NONE,
    )
    base = alt.Chart(data).encode(
        y=alt.Y("category:N", sort=order, title=_("Next-best category")),
        x=alt.X("customers:Q", title=_("Customers"), axis=alt.Axis(format=",.0f")),
        tooltip=[
            alt.Tooltip("category:N", title=_("Category")),
            alt.Tooltip("customers:Q", title=_("Customers"), format=","),
            alt.Tooltip("share:Q", title=_("Share of customers"), format=".1%"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.condition(alt.datum.offered, alt.value(PALETTE[2]), alt.value("#b3b3b3"))
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11, color="#333333").encode(text="label:N")
    return alt.layer(bars, labels).properties(
        title=_("Next-best category: how many customers each would be offered to"),
        height=alt.Step(26),
    )
