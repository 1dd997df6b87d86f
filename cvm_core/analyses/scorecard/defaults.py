"""The other pages' results with their default settings, for when the user has not opened them."""

from __future__ import annotations

import pandas as pd

# --- the other pages' models with default settings -----------------------------------------------

DEFAULT_SOURCE = "default settings"


def default_pnl(
    summary: pd.DataFrame,
    transactions: pd.DataFrame,
    cost_to_serve: pd.DataFrame | None,
    observation_end=None,
) -> pd.DataFrame:
    """The customer P&L with the default activity rates (what the Whale Curve page starts from)."""
    from cvm_core.analyses.profitability import pnl as profitability

    result = profitability.customer_pnl(
        summary, transactions, cost_to_serve=cost_to_serve, observation_end=observation_end
    )
    return result.pnl[["revenue", "returns", "cogs", "cost_to_serve", "profit"]]


def default_clv(
    transactions: pd.DataFrame, summary: pd.DataFrame, unit: str, observation_end=None
) -> pd.DataFrame:
    """CLV and tiers with the CLV page's default model and settings (no holdout, no comparison).

    Raises
    ------
    CvmError
        When the data cannot support a CLV model (too few customers or repeat buyers).
    """
    from cvm_core.analyses.clv import run as clv_run
    from cvm_core.analyses.clv.fit import FitSettings
    from cvm_core.analyses.clv.values import ValueSettings

    end = pd.Timestamp(observation_end) if observation_end is not None else None
    fit_settings = FitSettings(unit=unit, observation_end=end, compare=False)
    _, values = clv_run.run(transactions, summary, fit_settings, ValueSettings(margin=None))
    return values.customers[["p_alive", "clv", "tier"]]


def default_segments(summary: pd.DataFrame, observation_end=None) -> pd.Series:
    """RFM segment per customer with the Segments page's default grid."""
    from cvm_core.analyses.segments import rfm as segments

    return segments.rfm_scores(summary, observation_end).table["rfm_segment"]


def default_retention(
    transactions: pd.DataFrame, summary: pd.DataFrame, customers=None, observation_end=None
) -> float | None:
    """Annual retention with the Retention page's default settings, measured to the observation
    end (not to the last transaction before it, which may be days earlier)."""
    from cvm_core.analyses.retention import analysis as retention_analysis

    result = retention_analysis.analyse_retention(
        transactions, summary, customers=customers, observation_end=observation_end
    )
    return result.annual_retention
