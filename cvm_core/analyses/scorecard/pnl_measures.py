"""Measures from the customer P&L, spread over periods by what each customer did in each period, so
the period values add up exactly to the P&L the Whale Curve page shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.analyses.scorecard.activity import Activity, safe_ratio
from cvm_core.analyses.scorecard.specs import PNL_COLUMNS

# --- measures from the customer P&L --------------------------------------------------------------


def _allocation(act: Activity) -> dict[str, np.ndarray]:
    """Each pair's share of its customer's gross sales, returns and orders (rows where a customer
    has none of them, so every customer's shares add up to 1)."""

    def share(values: np.ndarray) -> np.ndarray:
        total = np.bincount(act.customer, values, minlength=act.n)[act.customer]
        rows = np.bincount(act.customer, act.rows, minlength=act.n)[act.customer]
        return np.where(total > 0, values / np.where(total > 0, total, 1.0), act.rows / rows)

    return {"sales": share(act.gross), "returns": share(act.returns), "orders": share(act.orders)}


def period_pnl(act: Activity, pnl: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The customer P&L spread over (customer, period) pairs (see the module docstring)."""
    frame = pnl.reindex(index)
    money = {c: np.nan_to_num(frame[c].to_numpy(dtype=float))[act.customer] for c in PNL_COLUMNS}
    kept = (
        frame["kept"].fillna(True).to_numpy(dtype=bool)
        if "kept" in frame
        else np.ones(len(index), bool)
    )
    share = _allocation(act)
    revenue = money["revenue"] * share["sales"] - money["returns"] * share["returns"]
    cost_to_serve = money["cost_to_serve"] * share["orders"]
    profit = revenue - money["cogs"] * share["sales"] - cost_to_serve
    return pd.DataFrame(
        {
            "net_revenue": revenue,
            "cost_to_serve": cost_to_serve,
            "profit": np.round(profit, 6) + 0.0,
            "active": act.active & kept[act.customer],
        }
    )


def pnl_measures(act: Activity, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    active = pairs["active"].to_numpy()
    customers = act.count(active)
    profit = pairs["profit"].to_numpy()
    return {
        "revenue_per_customer": safe_ratio(
            act.per_period(pairs["net_revenue"].to_numpy()), customers
        ),
        "profit_per_customer": safe_ratio(act.per_period(profit), customers),
        "unprofitable_share": safe_ratio(act.count(active & (profit < 0)), customers),
        "cost_to_serve_share": safe_ratio(
            act.per_period(pairs["cost_to_serve"].to_numpy()),
            act.per_period(pairs["net_revenue"].to_numpy()),
        ),
    }


def group_table(act: Activity, pairs: pd.DataFrame, groups: pd.Series, period: int) -> pd.DataFrame:
    """Customers, net revenue, cost-to-serve and profit per group in one period."""
    labels = groups.astype(object).where(groups.notna(), "(none)").astype(str).to_numpy()
    here = act.period == period
    frame = pd.DataFrame(
        {
            "group": labels[act.customer[here]],
            "customers": pairs["active"].to_numpy()[here].astype(int),
            "net_revenue": pairs["net_revenue"].to_numpy()[here],
            "cost_to_serve": pairs["cost_to_serve"].to_numpy()[here],
            "profit": pairs["profit"].to_numpy()[here],
        }
    )
    out = frame.groupby("group", sort=False).sum()
    if isinstance(groups.dtype, pd.CategoricalDtype):  # e.g. RFM segments, best first
        order = [str(c) for c in groups.cat.categories]
        out = out.reindex(
            [c for c in order if c in out.index] + [c for c in out.index if c not in order]
        )
    else:
        out = out.sort_values("profit", ascending=False)
    total = float(out["profit"].sum())
    out["profit_share"] = out["profit"] / total if total > 0 else np.nan
    out["cost_to_serve_share"] = safe_ratio(
        out["cost_to_serve"].to_numpy(), out["net_revenue"].to_numpy()
    )
    return out.reset_index()


def segment_trend(act: Activity, pairs: pd.DataFrame, segments: pd.Series, top: str) -> np.ndarray:
    """The ``top`` segment's share of each period's operating profit (NaN where it is not positive)."""
    mine = (segments.astype(str).to_numpy() == top)[act.customer]
    profit = pairs["profit"].to_numpy()
    return safe_ratio(act.per_period(profit, mine), act.per_period(profit))


def replay_pnl(base: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """A what-if P&L on top of ``base``: base + (after - before) per customer and column.

    The Whale Curve page's fixes are replayed on a P&L the scorecard can compute (``before``,
    giving ``after``); adding the change to the page's own P&L (``base``) keeps the scorecard's
    baseline equal to what the page shows. When ``base`` is ``before`` the result is ``after``.

    Returns
    -------
    DataFrame
        :data:`PNL_COLUMNS`, profit and ``kept`` (customers the fixes part with are not kept).
    """
    columns = [*PNL_COLUMNS, "profit"]
    aligned = before[columns].reindex(base.index).fillna(0.0)
    changed = after[columns].reindex(base.index).fillna(0.0)
    out = base[columns].astype(float) + (changed - aligned)
    kept = (
        after["kept"].reindex(base.index) if "kept" in after else pd.Series(True, index=base.index)
    )
    out["kept"] = kept.fillna(True).astype(bool)
    return out
