"""One sentence per Scorecard chart: the message its slide carries, used by the page and the deck."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.scorecard.formats import finite, format_change, format_value
from cvm_core.analyses.scorecard.inputs import Scorecard
from cvm_core.analyses.scorecard.specs import HIGHER, ON_TARGET, measure_name
from cvm_core.i18n import _, ngettext


def takeaway(result: Scorecard) -> str:
    """One line from the data: how many measures moved the right way, and the biggest mover."""
    t = result.table[np.isfinite(result.table["change"].to_numpy(dtype=float))]
    if t.empty or result.previous_period is None:
        on = int((result.table["status"] == ON_TARGET).sum())
        # English says "measures" for one too (as it always has); the translations count.
        return ngettext(
            "{period}: {n} measures on target; no previous period to compare with.",
            "{period}: {n} measures on target; no previous period to compare with.",
            on,
        ).format(period=result.period, n=formatting.count(on))
    sign = np.where(t["better"] == HIGHER, 1.0, -1.0)
    good = t["change"].to_numpy(dtype=float) * sign
    improved = int((good > 0).sum())
    # Biggest mover by relative change (percentage points count as percent of the previous share).
    relative = np.abs(np.nan_to_num(t["change_pct"].to_numpy(dtype=float)))
    top = t.iloc[int(np.argmax(relative))]
    move = format_change(top["change"], top["change_pct"], top["unit"], result.currency)
    return _(
        "{improved} of {n} measures improved on {previous}; biggest move: {measure} {move} "
        "({value})."
    ).format(
        improved=formatting.count(improved),
        n=formatting.count(len(t)),
        previous=result.previous_period,
        measure=measure_name(top["key"], top["measure"]),
        move=move,
        value=format_value(top["value"], top["unit"], result.currency),
    )


def channel_takeaway(table: pd.DataFrame, period: str) -> str:
    """'Field sales customers cost 68.2% of their net revenue to serve in Q4 2024, Store 6.2%.'"""
    rated = table[np.isfinite(table["cost_to_serve_share"].to_numpy(dtype=float))]
    if rated.empty:
        return _("No channel had net revenue in {period}.").format(period=period)
    ranked = rated.sort_values("cost_to_serve_share", ascending=False)
    high, low = ranked.iloc[0], ranked.iloc[-1]
    text = (
        _(
            "{high} customers cost {high_share} of their net revenue to serve in {period}, "
            "{low} {low_share}."
        )
        if len(ranked) > 1
        else _("{high} customers cost {high_share} of their net revenue to serve in {period}.")
    )
    return text.format(
        high=high["group"],
        high_share=formatting.pct(high["cost_to_serve_share"]),
        period=period,
        low=low["group"],
        low_share=formatting.pct(low["cost_to_serve_share"]),
    )


def segment_takeaway(table: pd.DataFrame, period: str, currency: str = "EUR") -> str:
    """'Champions earn 120% of operating profit in Q4 2024; 4 segments lose money (-€23k).'"""
    if table.empty:
        return _("No segment bought in {period}.").format(period=period)
    top = table.loc[table["profit"].idxmax()]
    losing = table[table["profit"] < 0]
    n = len(losing)
    if finite(top["profit_share"]):
        if losing.empty:
            text = _(
                "{top} earn {share} of operating profit in {period}; every segment is profitable."
            )
        else:
            # English has always said "1 segment lose money"; kept byte for byte.
            text = ngettext(
                "{top} earn {share} of operating profit in {period}; {n} segment lose money ({lost}).",
                "{top} earn {share} of operating profit in {period}; {n} segments lose money ({lost}).",
                n,
            )
    elif losing.empty:
        text = _(
            "{top} earn the most of operating profit in {period}; every segment is profitable."
        )
    else:
        text = ngettext(
            "{top} earn the most of operating profit in {period}; {n} segment lose money ({lost}).",
            "{top} earn the most of operating profit in {period}; {n} segments lose money ({lost}).",
            n,
        )
    return text.format(
        top=top["group"],
        share=formatting.pct(top["profit_share"], 0),
        period=period,
        n=formatting.count(n),
        lost=formatting.money_short(float(losing["profit"].sum()), currency),
    )
