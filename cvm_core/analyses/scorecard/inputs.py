"""The scorecard's settings, the other pages' results it uses, the what-if scenarios it projects,
and the result it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.scorecard.bridge import RevenueBridge
from cvm_core.analyses.scorecard.specs import (
    DEFAULT_FREQUENCY,
    DEFAULT_WATCH_BAND,
    FREQUENCIES,
)

# --- settings and inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardSettings(Settings):
    """What the user chose: period length, period, targets, typed-in values, watch band.

    Attributes
    ----------
    frequency : {"Q", "M"}
    period : str, optional
        Label of the period to report (see :func:`period_labels`); default the latest complete one.
    targets, typed : tuple of (measure key, value)
        Values in the measure's unit (shares as fractions: 0.35 for 35%).
    watch_band : float
        Relative distance to the target (0.05 = 5%) that counts as "watch".
    """

    frequency: str = setting(DEFAULT_FREQUENCY, choices=tuple(FREQUENCIES))
    period: str | None = None
    targets: tuple[tuple[str, float], ...] = ()
    typed: tuple[tuple[str, float], ...] = ()
    watch_band: float = setting(DEFAULT_WATCH_BAND, low=0.0, high=0.25)


@dataclass(frozen=True)
class ModelInputs:
    """Results of the other pages' models (None where unavailable), and where each came from.

    Attributes
    ----------
    pnl : DataFrame, optional
        Customer P&L indexed by customer_id with :data:`PNL_COLUMNS` (the Whale Curve page's).
    clv : DataFrame, optional
        Indexed by customer_id with ``clv`` and ``tier``.
    segments : Series, optional
        RFM segment per customer.
    annual_retention : float, optional
    sources : tuple of (input, description)
        e.g. ("pnl", "Whale Curve page"), ("clv", "default settings").
    active_share : float, optional
        Active customers / customers old enough to tell, under the Retention page's churn rule
        (:class:`cvm_core.analyses.retention.active.ActiveCustomers`).
    """

    pnl: pd.DataFrame | None = None
    clv: pd.DataFrame | None = None
    segments: pd.Series | None = None
    annual_retention: float | None = None
    sources: tuple[tuple[str, str], ...] = ()
    active_share: float | None = None


@dataclass(frozen=True)
class Scenarios:
    """What-if treatments set on other pages, as the scorecard needs them.

    Attributes
    ----------
    whale_pnl : DataFrame, optional
        The customer P&L after the Whale Curve page's fixes (:data:`PNL_COLUMNS` and ``kept``).
    whale_label, clv_label : str
        What the scenario is, in words.
    clv_incremental : float, optional
        Total CLV the CLV page's treatments add (before treatment cost).
    """

    whale_pnl: pd.DataFrame | None = None
    whale_label: str = ""
    clv_incremental: float | None = None
    clv_label: str = ""


@dataclass(frozen=True)
class Scorecard:
    """The scorecard for one period.

    Attributes
    ----------
    table : DataFrame
        One row per measure, columns :data:`SCORECARD_COLUMNS`: value, previous (the period
        before), change (value - previous), change_pct (change / |previous|), target, status,
        projected (value under the what-if scenarios, for affected measures), source (where the
        value comes from), needs (what would enable a measure without a value).
    trends : DataFrame
        Long, :data:`TREND_COLUMNS`: key, measure, unit, better, period, period_start, value,
        label (compact, with unit) and score (standard deviations from the measure's own mean,
        positive = better, clipped to +-2), for up to :data:`TREND_PERIODS` periods ending with
        the chosen one; measures with values only.
    breakdowns : dict of DataFrame
        "channel": cost-to-serve by main channel; "segment": profit contribution by segment (for
        the chosen period), when the inputs allow.
    frequency, period, previous_period : str
    period_start, period_end : Timestamp
    partial : bool
        The chosen period is cut off by the observation end.
    periods : tuple of str
        Every period label in the data, oldest first.
    currency : str
    scenario_labels : tuple of str
    notes : tuple of str
    bridge : RevenueBridge, optional
        The change in net revenue from the period before split by process area, from the same
        period table as the measures (None in the first period).
    """

    table: pd.DataFrame
    trends: pd.DataFrame
    breakdowns: Mapping[str, pd.DataFrame]
    frequency: str
    period: str
    previous_period: str | None
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    partial: bool
    periods: tuple[str, ...]
    currency: str = "EUR"
    scenario_labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    bridge: RevenueBridge | None = None

    def row(self, key: str) -> pd.Series:
        return self.table.set_index("key").loc[key]
