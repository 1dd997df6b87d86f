"""Charts of the Pipeline page: the weighted forecast by close month, the funnel, and the
forecast bias by rep. Inputs are the result's small frames (a few months, stages and reps)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cvm_core.analyses.pipeline.accuracy import ABOUT_RIGHT, OPTIMISTIC, PESSIMISTIC, TOO_FEW
from cvm_core.analyses.pipeline.analysis import PipelineResult
from cvm_core.chart_style import MONEY_FORMAT, NEGATIVE, NEUTRAL, POSITIVE, money_title

VERDICT_COLOURS = {
    OPTIMISTIC: NEGATIVE,
    PESSIMISTIC: "#e07b39",
    ABOUT_RIGHT: POSITIVE,
    TOO_FEW: "#7f8c8d",
}


def forecast_chart(result: PipelineResult) -> alt.Chart:
    """Weighted pipeline (amount x probability) by expected close month, stacked by stage."""
    data = result.by("close_month", "stage")
    order = list(result.stages.index)
    data = data.assign(stage_order=data["stage"].map({s: i for i, s in enumerate(order)}))
    money = money_title("Weighted pipeline", result.currency)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("close_month:O", title="Expected close month", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weighted:Q", title=money, axis=alt.Axis(format=MONEY_FORMAT)),
            color=alt.Color("stage:N", title="Stage", sort=order),
            order=alt.Order("stage_order:Q"),
            tooltip=[
                alt.Tooltip("close_month:N", title="Close month"),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("opportunities:Q", title="Open opportunities"),
                alt.Tooltip("amount:Q", title=money_title("Amount", result.currency), format=MONEY_FORMAT),
                alt.Tooltip("weighted:Q", title=money, format=MONEY_FORMAT),
            ],
        )
        .properties(
            title=alt.TitleParams(
                "Pipeline forecast by close month",
                subtitle=f"Amount x probability ({result.source_label}), open opportunities",
            ),
            height=320,
        )
    )  # fmt: skip


def funnel_chart(result: PipelineResult) -> alt.LayerChart:
    """Opportunities that reached each stage (bars), labelled with the share that moved on."""
    data = result.funnel[["stage", "reached", "conversion", "median_days"]].copy()
    data["label"] = [
        f"{r:,} · {c:.0%} move on" if np.isfinite(c) else f"{r:,}"
        for r, c in zip(data["reached"], data["conversion"], strict=True)
    ]
    data.loc[data.index[-1:], "label"] = [
        f"{r:,} · {c:.0%} won" if np.isfinite(c) else f"{r:,}"
        for r, c in zip(data["reached"][-1:], data["conversion"][-1:], strict=True)
    ]
    base = alt.Chart(data).encode(
        y=alt.Y("stage:N", title=None, sort=list(data["stage"]), axis=alt.Axis(labelLimit=220)),
        x=alt.X("reached:Q", title="Opportunities that reached the stage"),
        tooltip=[
            alt.Tooltip("stage:N", title="Stage"),
            alt.Tooltip("reached:Q", title="Reached", format=","),
            alt.Tooltip("conversion:Q", title="Moved on (of those decided)", format=".0%"),
            alt.Tooltip("median_days:Q", title="Median days in stage", format=".0f"),
        ],
    )
    bars = base.mark_bar(color=NEUTRAL)
    text = base.mark_text(align="left", dx=4, fontSize=13).encode(text="label:N")
    return (bars + text).properties(
        title=alt.TitleParams(
            "Sales funnel", subtitle="Opportunities reaching each stage; share moving on from it"
        ),
        height=alt.Step(44),
    )


def bias_chart(result: PipelineResult) -> alt.LayerChart:
    """Each rep's bias (forecast / won, log scale) against the share of months they
    over-forecast: consistently optimistic reps sit top right, pessimistic ones bottom left."""
    reps = result.reps if result.reps is not None else pd.DataFrame()
    data = reps[np.isfinite(reps["bias"].astype(float))].copy() if len(reps) else reps
    tol = result.settings.bias_tolerance
    positive = data["bias"][data["bias"] > 0] if len(data) else pd.Series([1.0])
    low, high = _bias_domain(positive, tol)
    if len(data):  # a rep who forecast nothing (bias 0) sits at the left edge of the log scale
        data["shown"] = data["bias"].clip(low, high)
    x = alt.X(
        "shown:Q", title="Forecast / won (1 = right on)",
        scale=alt.Scale(type="log", domain=[low, high]), axis=alt.Axis(format=".2~f"),
    )  # fmt: skip
    y = alt.Y(
        "over_share:Q", title="Months over-forecast",
        scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"),
    )  # fmt: skip
    band = (
        alt.Chart(pd.DataFrame({"lo": [1 - tol], "hi": [1 + tol]}))
        .mark_rect(color=POSITIVE, opacity=0.12)
        .encode(x=alt.X("lo:Q", scale=alt.Scale(type="log", domain=[low, high])), x2="hi:Q")
    )
    rule = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(color="#555", strokeDash=[4, 3]).encode(
        x=alt.X("one:Q", scale=alt.Scale(type="log", domain=[low, high]))
    )  # fmt: skip
    base = alt.Chart(data).encode(
        x=x, y=y,
        tooltip=[
            alt.Tooltip("owner:N", title="Sales rep"), alt.Tooltip("verdict:N", title="Verdict"),
            alt.Tooltip("bias:Q", title="Forecast / won", format=".2f"),
            alt.Tooltip("over_share:Q", title="Months over-forecast", format=".0%"),
            alt.Tooltip("accuracy:Q", title="Accuracy", format=".0%"),
            alt.Tooltip("months:Q", title="Months"),
        ],
    )  # fmt: skip
    colour = alt.Color(
        "verdict:N", title="Verdict",
        scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
    )  # fmt: skip
    dots = base.mark_circle(size=160, opacity=0.9).encode(color=colour)
    names = base.mark_text(align="left", dx=10, fontSize=13).encode(text="owner:N")
    return (band + rule + dots + names).properties(
        title=alt.TitleParams(
            "Forecast bias by sales rep",
            subtitle="Month-end forecast for the next month against what was won; "
            f"green band: within ±{tol:.0%}",
        ),
        height=340,
    )


def _bias_domain(bias: pd.Series, tolerance: float) -> tuple[float, float]:
    """A log-scale range around 1 that holds every rep and the tolerance band, symmetric."""
    values = bias.astype(float).to_numpy()
    spread = max(
        float(np.max(np.abs(np.log(values)))) if values.size else 0.0,
        abs(np.log(1 + tolerance)),
        abs(np.log(max(1 - tolerance, 1e-3))),
    )
    spread = spread * 1.25 + 0.05
    return float(np.exp(-spread)), float(np.exp(spread))
