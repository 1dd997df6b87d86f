"""One-line takeaways of the Pipeline page's charts, from the numbers they show (page and deck)."""

from __future__ import annotations

import math

from cvm_core import formatting
from cvm_core.analyses.pipeline.accuracy import OPTIMISTIC, PESSIMISTIC
from cvm_core.analyses.pipeline.analysis import PipelineResult
from cvm_core.i18n import Nn_, _

UNIT_WORDS = (Nn_("open opportunity", "open opportunities"),)
"""Counted in the forecast's sentence (:func:`cvm_core.formatting.counted` translates it)."""


def forecast(result: PipelineResult) -> str:
    """ "Weighted pipeline EUR 498k across 86 open opportunities; 2025-01 carries the most ..."."""
    total = result.weighted_total
    n = len(result.pipeline)
    if n == 0:
        return _("No opportunity is open, so nothing is forecast.")
    months = result.by("close_month").sort_values("weighted", ascending=False)
    top = months.iloc[0]
    cover = result.coverage
    text = _(
        "Weighted pipeline {total} across {open}; {month} carries the most ({weighted})."
    ).format(
        total=formatting.money_short(total, result.currency),
        open=formatting.counted(n, "open opportunity", plural="open opportunities"),
        month=top["close_month"],
        weighted=formatting.money_short(top["weighted"], result.currency),
    )
    if cover.ratio is not None:
        text += " " + _(
            "Pipeline to {end} covers the target {ratio}x ({expected} expected)."
        ).format(
            end=formatting.date(cover.end),
            ratio=formatting.number(cover.ratio, 1),
            expected=formatting.pct(cover.weighted_ratio, 0),
        )
    return text


def funnel(result: PipelineResult) -> str:
    """The share moving past the first stage, the weakest step and the win rate at the end."""
    steps = result.funnel.dropna(subset=["conversion"])
    if steps.empty:
        return _("No opportunity has been decided at any stage yet.")
    weakest = steps.loc[steps["conversion"].idxmin()]
    last = result.funnel.iloc[-1]
    text = (
        _(
            "The weakest step is {stage}: {share} of the opportunities decided there move on; "
            "{won} of those reaching {last} are won."
        )
        if last["stage"] != weakest["stage"] and math.isfinite(last["conversion"])
        else _("The weakest step is {stage}: {share} of the opportunities decided there move on.")
    )
    return text.format(
        stage=weakest["stage"],
        share=formatting.pct(weakest["conversion"], 0),
        won=formatting.pct(last["conversion"], 0),
        last=last["stage"],
    )


def bias(result: PipelineResult) -> str:
    """Who forecasts too high, who too low, against the tolerance."""
    if result.reps is None or result.reps.empty:
        return result.history_message or _("No forecast history to judge.")
    reps = result.reps
    parts = []
    for verdict, words in (
        (OPTIMISTIC, _("{owner} forecast {bias}x what was won (optimistic)")),
        (PESSIMISTIC, _("{owner} forecast {bias}x what was won (pessimistic)")),
    ):
        chosen = reps[reps["verdict"] == verdict].sort_values(
            "bias", ascending=verdict != OPTIMISTIC
        )
        for row in chosen.itertuples():
            parts.append(words.format(owner=row.owner, bias=formatting.number(row.bias, 2)))
    tol = formatting.pct(result.settings.bias_tolerance, 0)
    if not parts:
        return _("Every rep's forecast is within ±{tolerance} of what they won.").format(
            tolerance=tol
        )
    rest = int((~reps["verdict"].isin([OPTIMISTIC, PESSIMISTIC])).sum())
    if rest:
        parts.append(_("the others are within ±{tolerance}").format(tolerance=tol))
    # The clauses of one sentence: '; ' and '.' in English and German, '；' and '。' in Chinese.
    return _("; ").join(parts) + _(".")
