"""One sentence per Scorecard chart: the message its slide carries, used by the page and the deck."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.scorecard.formats import finite, format_change, format_value
from cvm_core.analyses.scorecard.inputs import Scorecard
from cvm_core.analyses.scorecard.specs import HIGHER, ON_TARGET


def takeaway(result: Scorecard) -> str:
    """One line from the data: how many measures moved the right way, and the biggest mover."""
    t = result.table[np.isfinite(result.table["change"].to_numpy(dtype=float))]
    if t.empty or result.previous_period is None:
        on = int((result.table["status"] == ON_TARGET).sum())
        return f"{result.period}: {on} measures on target; no previous period to compare with."
    sign = np.where(t["better"] == HIGHER, 1.0, -1.0)
    good = t["change"].to_numpy(dtype=float) * sign
    improved = int((good > 0).sum())
    # Biggest mover by relative change (percentage points count as percent of the previous share).
    relative = np.abs(np.nan_to_num(t["change_pct"].to_numpy(dtype=float)))
    top = t.iloc[int(np.argmax(relative))]
    move = format_change(top["change"], top["change_pct"], top["unit"], result.currency)
    return (
        f"{improved} of {len(t)} measures improved on {result.previous_period}; biggest move: "
        f"{top['measure']} {move} ({format_value(top['value'], top['unit'], result.currency)})."
    )


def channel_takeaway(table: pd.DataFrame, period: str) -> str:
    """'Field sales customers cost 68.2% of their net revenue to serve in Q4 2024, Store 6.2%.'"""
    rated = table[np.isfinite(table["cost_to_serve_share"].to_numpy(dtype=float))]
    if rated.empty:
        return f"No channel had net revenue in {period}."
    ranked = rated.sort_values("cost_to_serve_share", ascending=False)
    high, low = ranked.iloc[0], ranked.iloc[-1]
    text = f"{high['group']} customers cost {formatting.pct(high['cost_to_serve_share'])} of their net revenue to serve in {period}"
    return text + (
        f", {low['group']} {formatting.pct(low['cost_to_serve_share'])}."
        if len(ranked) > 1
        else "."
    )


def segment_takeaway(table: pd.DataFrame, period: str, currency: str = "EUR") -> str:
    """'Champions earn 120% of operating profit in Q4 2024; 4 segments lose money (-€23k).'"""
    if table.empty:
        return f"No segment bought in {period}."
    top = table.loc[table["profit"].idxmax()]
    losing = table[table["profit"] < 0]
    share = formatting.pct(top["profit_share"], 0) if finite(top["profit_share"]) else "the most"
    text = f"{top['group']} earn {share} of operating profit in {period}"
    if losing.empty:
        return text + "; every segment is profitable."
    lost = formatting.money_short(float(losing["profit"].sum()), currency)
    return text + f"; {len(losing)} segment{'s' if len(losing) > 1 else ''} lose money ({lost})."
