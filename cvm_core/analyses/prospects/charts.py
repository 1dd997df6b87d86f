"""Charts and sentences of the traits of valuable customers: the lift by score decile on the
held-out customers, and the attribute values that raise the chance of the top tier most."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.prospects.traits import Traits
from cvm_core.chart_style import PALETTE
from cvm_core.i18n import _
from cvm_core.slides import ChartSlide


def lift_chart(traits: Traits) -> alt.LayerChart:
    """Lift per score decile of the held-out customers (1 = as often top tier as on average)."""
    table = traits.lift.assign(
        decile_label=[f"{d * 10 - 9}-{d * 10}%" for d in traits.lift["decile"]]
    )
    order = table["decile_label"].tolist()
    # The target is the top tier(s) as the analysis names them ("Platinum", "Platinum or Gold").
    target = traits.target
    y_title = _("Lift: times as likely to be {target}").format(target=target)
    bars = (
        alt.Chart(table)
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X(
                "decile_label:N", sort=order, title=_("Held-out customers by score, best first")
            ),
            y=alt.Y("lift:Q", title=y_title),
            tooltip=[
                alt.Tooltip("decile_label:N", title=_("Customers")),
                alt.Tooltip("lift:Q", title=_("Lift"), format=".2f"),
                alt.Tooltip("cumulative_lift:Q", title=_("Lift so far"), format=".2f"),
                alt.Tooltip(
                    "captured:Q",
                    title=_("Share of {target} found").format(target=target),
                    format=".0%",
                ),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"lift": [1.0]})).mark_rule(color=PALETTE[5], strokeDash=[4, 4])
    # The bars' title on the rule too: Vega-Lite joins different titles and drops a missing one.
    return (bars + rule.encode(y=alt.Y("lift:Q", title=y_title))).properties(
        title=_("Who is {target}: lift by score decile (held-out customers)").format(target=target),
        height=300,
    )


def attribute_chart(traits: Traits, top: int = 10) -> alt.Chart:
    """The attribute values with the highest lift on their own."""
    table = traits.attributes.head(top).assign(
        name=lambda t: t["attribute"] + ": " + t["value"].astype(str)
    )
    return (
        alt.Chart(table)
        .mark_bar(color=PALETTE[1])
        .encode(
            y=alt.Y("name:N", sort=table["name"].tolist(), title=None),
            x=alt.X(
                "lift:Q", title=_("Times as likely to be {target}").format(target=traits.target)
            ),
            tooltip=[
                alt.Tooltip("name:N", title=_("Attribute")),
                alt.Tooltip("customers:Q", title=_("Customers"), format=","),
                alt.Tooltip(
                    "rate:Q", title=_("Share {target}").format(target=traits.target), format=".1%"
                ),
                alt.Tooltip("lift:Q", title=_("Lift"), format=".2f"),
            ],
        )
        .properties(
            title=_("Attributes of {target} customers").format(target=traits.target), height=300
        )
    )


def traits_takeaway(traits: Traits) -> str:
    """The strongest trait and how well the model finds the top tier out of sample."""
    check = _(
        "the 10% of held-out customers scored highest hold {lift}x the average share of "
        "{target} (AUC {auc})"
    ).format(
        lift=formatting.number(traits.top_decile_lift, 1), target=traits.target,
        auc=formatting.number(traits.auc, 2),
    )  # fmt: skip
    if traits.rules.empty:
        return _("No group of customers stands out as {target}; {check}.").format(
            target=traits.target, check=check
        )
    best = traits.rules.iloc[0]
    return _(
        "Customers with {rule} are {lift}x as likely to be {target} ({rate} against {base}); "
        "{check}."
    ).format(
        rule=best["rule"], lift=formatting.number(best["lift"], 1), target=traits.target,
        rate=formatting.pct(best["rate"], 0), base=formatting.pct(traits.base_rate, 0), check=check,
    )  # fmt: skip


def lift_slide(traits: Traits) -> ChartSlide:
    """The lift chart with its sentence, for the page and the deck alike."""
    chart = lift_chart(traits)
    return ChartSlide(chart.title, traits_takeaway(traits), chart)
