"""The Profitability analysis in one call: the customer P&L, its whale curve and the what-if base,
computed once per cost model so that a slider move only does arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core.analyses.profitability.activities import (
    DEFAULT_GROSS_MARGIN,
    SMALL_ORDER_THRESHOLD,
)
from cvm_core.analyses.profitability.curve import (
    MAX_CHART_POINTS,
    WhaleCurve,
    chart_points,
    key_point_marks,
    whale_curve,
)
from cvm_core.analyses.profitability.pnl import CustomerPnL, customer_pnl
from cvm_core.analyses.profitability.scenario_base import ScenarioBase, prepare
from cvm_core.analyses.sources import TransactionSource

# --- the analysis the page shows -----------------------------------------------------------------


@dataclass(frozen=True)
class WhaleAnalysis:
    """Customer P&L plus its whale curve: what the page computes once per cost model.

    ``what_if`` is the P&L prepared for the what-if levers (:func:`cvm_core.analyses.profitability.whatif.prepare`),
    so that a slider move only does arithmetic.
    """

    result: CustomerPnL
    curve: WhaleCurve
    chart: pd.DataFrame
    marks: pd.DataFrame
    what_if: ScenarioBase


def analyse(
    summary: pd.DataFrame,
    transactions: pd.DataFrame | TransactionSource,
    activities: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
    observation_end: pd.Timestamp | str | None = None,
    currency: str = "EUR",
    max_points: int = MAX_CHART_POINTS,
) -> WhaleAnalysis:
    """Customer P&L (:func:`cvm_core.analyses.profitability.pnl.customer_pnl`), whale curve and chart data.

    Parameters are those of :func:`cvm_core.analyses.profitability.pnl.customer_pnl`, plus ``currency`` for
    the labels and ``max_points`` per chart line.
    """
    result = customer_pnl(
        summary, transactions, activities, cost_to_serve, small_order_threshold, gross_margin,
        observation_end,
    )  # fmt: skip
    curve = whale_curve(result.pnl["profit"], result.pnl["net_revenue"])
    chart = chart_points(curve, max_points)
    return WhaleAnalysis(result, curve, chart, key_point_marks(curve, currency), prepare(result))
