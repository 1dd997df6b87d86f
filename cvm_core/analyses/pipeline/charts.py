"""Charts of the Pipeline page: the weighted forecast by close month, the funnel, and the
forecast bias by rep. Inputs are the result's small frames (a few months, stages and reps)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cvm_core import chart_labels, formatting
from cvm_core.analyses.pipeline.accuracy import ABOUT_RIGHT, OPTIMISTIC, PESSIMISTIC, TOO_FEW
from cvm_core.analyses.pipeline.analysis import PipelineResult
from cvm_core.chart_style import MONEY_FORMAT, NEGATIVE, NEUTRAL, POSITIVE, money_title
from cvm_core.i18n import N_, _

VERDICT_COLOURS = {
    OPTIMISTIC: NEGATIVE,
    PESSIMISTIC: "#e07b39",
    ABOUT_RIGHT: POSITIVE,
    TOO_FEW: "#7f8c8d",
}
VERDICT_NAMES = {
    OPTIMISTIC: N_("optimistic"),
    PESSIMISTIC: N_("pessimistic"),
    ABOUT_RIGHT: N_("about right"),
    TOO_FEW: N_("too few months"),
}
"""The verdicts (English in the core's frames, which compare them) as the chart shows them."""
SOURCE_LABELS = (
    N_("from the file"),
    N_("from the file, some edited"),
    N_("learned from history"),
    N_("learned from history, some edited"),
)
"""Every :attr:`PipelineResult.source_label`, marked for the catalogs (whole phrases)."""


def forecast_chart(result: PipelineResult) -> alt.Chart:
    """Weighted pipeline (amount x probability) by expected close month, stacked by stage."""
    data = result.by("close_month", "stage")
    order = list(result.stages.index)
    data = data.assign(stage_order=data["stage"].map({s: i for i, s in enumerate(order)}))
    money = money_title(_("Weighted pipeline"), result.currency)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("close_month:O", title=_("Expected close month"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weighted:Q", title=money, axis=alt.Axis(format=MONEY_FORMAT)),
            color=alt.Color("stage:N", title=_("Stage"), sort=order),
            order=alt.Order("stage_order:Q"),
            tooltip=[
                alt.Tooltip("close_month:N", title=_("Close month")),
                alt.Tooltip("stage:N", title=_("Stage")),
                alt.Tooltip("opportunities:Q", title=_("Open opportunities")),
                alt.Tooltip(
                    "amount:Q", title=money_title(_("Amount"), result.currency), format=MONEY_FORMAT
                ),
                alt.Tooltip("weighted:Q", title=money, format=MONEY_FORMAT),
            ],
        )
        .properties(
            title=alt.TitleParams(
                _("Pipeline forecast by close month"),
                subtitle=_("Amount x probability ({source}), open opportunities").format(
                    source=_(result.source_label)),
            ),
            height=320,
        )
    )  # fmt: skip


def funnel_chart(result: PipelineResult) -> alt.LayerChart:
    """Opportunities that reached each stage (bars), labelled with the share that moved on."""
    data = result.funnel[["stage", "reached", "conversion", "median_days"]].copy()
    data["label"] = [
        _label(r, c, _("{count} · {share} move on"))
        for r, c in zip(data["reached"], data["conversion"], strict=True)
    ]
    data.loc[data.index[-1:], "label"] = [
        _label(r, c, _("{count} · {share} won"))
        for r, c in zip(data["reached"][-1:], data["conversion"][-1:], strict=True)
    ]
    base = alt.Chart(data).encode(
        y=alt.Y("stage:N", title=None, sort=list(data["stage"]), axis=alt.Axis(labelLimit=220)),
        x=alt.X("reached:Q", title=_("Opportunities that reached the stage")),
        tooltip=[
            alt.Tooltip("stage:N", title=_("Stage")),
            alt.Tooltip("reached:Q", title=_("Reached"), format=","),
            alt.Tooltip("conversion:Q", title=_("Moved on (of those decided)"), format=".0%"),
            alt.Tooltip("median_days:Q", title=_("Median days in stage"), format=".0f"),
        ],
    )
    bars = base.mark_bar(color=NEUTRAL)
    text = base.mark_text(align="left", dx=4, fontSize=13).encode(text="label:N")
    return (bars + text).properties(
        title=alt.TitleParams(
            _("Sales funnel"),
            subtitle=_("Opportunities reaching each stage; share moving on from it"),
        ),
        height=alt.Step(44),
    )


def _label(reached: int, conversion: float, words: str) -> str:
    """'1,234 · 45% move on' (``words`` the template), or the count alone with no share."""
    count = formatting.count(reached)
    if not np.isfinite(conversion):
        return count
    return words.format(count=count, share=formatting.pct(conversion, 0))


BIAS_HEIGHT = 340
BIAS_LABEL_SIZE = 13
_BIAS_TICKS = (0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)


def bias_chart(result: PipelineResult) -> alt.LayerChart:
    """Each rep's bias (forecast / won, on a log axis) against the share of months they
    over-forecast: consistently optimistic reps sit top right, pessimistic ones bottom left.

    The axis is drawn linear in log(bias) with the ratios as tick labels, so the reps' names can
    be placed without overlapping (:mod:`cvm_core.chart_labels`); a name with no room goes to
    the subtitle.
    """
    reps = result.reps if result.reps is not None else pd.DataFrame(columns=["bias"])
    data = reps[np.isfinite(reps["bias"].astype(float))].copy()
    if "verdict" in data:  # a copy: the core's frame keeps the English verdicts it compares
        data["verdict"] = data["verdict"].map(lambda v: _(VERDICT_NAMES.get(v, v)))
    tol = result.settings.bias_tolerance
    low, high = _bias_domain(data["bias"][data["bias"] > 0], tol)
    # A rep who forecast nothing (bias 0) sits at the left edge.
    data["log_bias"] = np.log(data["bias"].astype(float).clip(low, high))
    domain = (float(np.log(low)), float(np.log(high)))
    ticks = [float(np.log(t)) for t in _BIAS_TICKS if low <= t <= high]
    x_scale = alt.Scale(domain=list(domain), nice=False)
    # Every layer names the x axis alike: Vega-Lite joins different names and drops the name
    # when a layer has none.
    x_title = _("Forecast / won (1 = right on)")
    x = alt.X(
        "log_bias:Q", title=x_title, scale=x_scale,
        axis=alt.Axis(values=ticks, labelExpr="format(exp(datum.value), '.2~f')"),
    )  # fmt: skip
    y = alt.Y(
        "over_share:Q", title=_("Months over-forecast"),
        scale=alt.Scale(domain=[0, 1], nice=False), axis=alt.Axis(format=".0%"),
    )  # fmt: skip
    band = (
        alt.Chart(pd.DataFrame({"lo": [np.log(max(1 - tol, low))], "hi": [np.log(min(1 + tol, high))]}))
        .mark_rect(color=POSITIVE, opacity=0.12)
        .encode(x=alt.X("lo:Q", title=x_title, scale=x_scale), x2="hi:Q")
    )  # fmt: skip
    rule = alt.Chart(pd.DataFrame({"one": [0.0]})).mark_rule(color="#555", strokeDash=[4, 3]).encode(
        x=alt.X("one:Q", title=x_title, scale=x_scale)
    )  # fmt: skip
    base = alt.Chart(data).encode(
        x=x, y=y,
        tooltip=[
            alt.Tooltip("owner:N", title=_("Sales rep")),
            alt.Tooltip("verdict:N", title=_("Verdict")),
            alt.Tooltip("bias:Q", title=_("Forecast / won"), format=".2f"),
            alt.Tooltip("over_share:Q", title=_("Months over-forecast"), format=".0%"),
            alt.Tooltip("accuracy:Q", title=_("Accuracy"), format=".0%"),
            alt.Tooltip("months:Q", title=_("Months")),
        ],
    )  # fmt: skip
    colour = alt.Color(
        "verdict:N", title=_("Verdict"),
        scale=alt.Scale(domain=[_(VERDICT_NAMES[v]) for v in VERDICT_COLOURS],
                        range=list(VERDICT_COLOURS.values())),
    )  # fmt: skip
    dots = base.mark_circle(size=160, opacity=0.9).encode(color=colour)
    layout = _place_rep_labels(data, domain)
    names = chart_labels.text_layers(
        layout, x, y,
        rename={"x": "log_bias", "y": "over_share", "key": "owner"}, fontSize=BIAS_LABEL_SIZE,
    )  # fmt: skip
    subtitle = _(
        "Month-end forecast for the next month against what was won; green band: within "
        "±{tolerance}"
    ).format(tolerance=formatting.pct(tol, 0))
    if dropped := layout.for_slides().dropped:
        subtitle += ". " + _("Not labelled for lack of room: {labels}").format(
            labels=", ".join(d.text for d in dropped))  # fmt: skip
    return alt.layer(band, rule, dots, *names).properties(
        title=alt.TitleParams(_("Forecast bias by sales rep"), subtitle=subtitle),
        height=BIAS_HEIGHT,
    )


def _place_rep_labels(data: pd.DataFrame, x_domain: tuple[float, float]):
    """Each rep's name beside their dot; the furthest from 1 (the story) placed first."""
    order = data.assign(far=data["log_bias"].abs()).sort_values("far", ascending=False)
    labels = [
        chart_labels.Label(str(row.owner), str(row.owner), float(row.log_bias),
                           float(row.over_share), prefer=("right", "left"))
        for row in order.itertuples(index=False)
    ]  # fmt: skip
    return chart_labels.place_banded(
        labels, x_domain, (0.0, 1.0), BIAS_HEIGHT, font_size=BIAS_LABEL_SIZE, bold=False
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
