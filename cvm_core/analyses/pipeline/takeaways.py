"""One-line takeaways of the Pipeline page's charts, from the numbers they show (page and deck)."""

from __future__ import annotations

import math

from cvm_core import formatting
from cvm_core.analyses.pipeline.accuracy import OPTIMISTIC, PESSIMISTIC
from cvm_core.analyses.pipeline.analysis import PipelineResult


def forecast(result: PipelineResult) -> str:
    """ "Weighted pipeline EUR 498k across 86 open opportunities; 2025-01 carries the most ..."."""
    total = result.weighted_total
    n = len(result.pipeline)
    if n == 0:
        return "No opportunity is open, so nothing is forecast."
    months = result.by("close_month").sort_values("weighted", ascending=False)
    top = months.iloc[0]
    cover = result.coverage
    text = (
        f"Weighted pipeline {formatting.money_short(total, result.currency)} across "
        f"{formatting.counted(n, 'open opportunity', plural='open opportunities')}; "
        f"{top['close_month']} carries the most "
        f"({formatting.money_short(top['weighted'], result.currency)})."
    )
    if cover.ratio is not None:
        text += (
            f" Pipeline to {cover.end:%d %b %Y} covers the target "
            f"{cover.ratio:.1f}x ({cover.weighted_ratio:.0%} expected)."
        )
    return text


def funnel(result: PipelineResult) -> str:
    """The share moving past the first stage, the weakest step and the win rate at the end."""
    steps = result.funnel.dropna(subset=["conversion"])
    if steps.empty:
        return "No opportunity has been decided at any stage yet."
    weakest = steps.loc[steps["conversion"].idxmin()]
    last = result.funnel.iloc[-1]
    text = (
        f"The weakest step is {weakest['stage']}: {formatting.pct(weakest['conversion'], 0)} "
        f"of the opportunities decided there move on"
    )
    if last["stage"] != weakest["stage"] and math.isfinite(last["conversion"]):
        text += (
            f"; {formatting.pct(last['conversion'], 0)} of those reaching {last['stage']} are won"
        )
    return text + "."


def bias(result: PipelineResult) -> str:
    """Who forecasts too high, who too low, against the tolerance."""
    if result.reps is None or result.reps.empty:
        return result.history_message or "No forecast history to judge."
    reps = result.reps
    parts = []
    for verdict, word in ((OPTIMISTIC, "optimistic"), (PESSIMISTIC, "pessimistic")):
        chosen = reps[reps["verdict"] == verdict].sort_values(
            "bias", ascending=verdict != OPTIMISTIC
        )
        for row in chosen.itertuples():
            parts.append(f"{row.owner} forecast {row.bias:.2f}x what was won ({word})")
    tol = formatting.pct(result.settings.bias_tolerance, 0)
    if not parts:
        return f"Every rep's forecast is within ±{tol} of what they won."
    rest = int((~reps["verdict"].isin([OPTIMISTIC, PESSIMISTIC])).sum())
    return "; ".join(parts) + (f"; the others are within ±{tol}." if rest else ".")
