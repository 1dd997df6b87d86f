"""The customer management scorecard (Kaplan & Norton, Strategy Maps, ch. 4).

Measures grouped by perspective: Financial, Customer outcomes and the four customer management
processes Selection, Acquisition, Retention and Growth. Each measure is computed per calendar
period (quarter or month) from the transactions where the data allows it, so every measure has a
value for the chosen period, the previous period's value, a trend and a status against a target.

Conventions, stated once:

* A customer is *active* in a period when they made a purchase in it (returns alone do not count).
* A customer is *new* in the period of their first purchase in the data. Customers who bought
  before the data starts look new in the first period, so the first period overstates acquisition.
* Profit measures need the customer P&L (revenue - returns - cost of goods - cost-to-serve) of the
  Whale Curve page. That P&L covers the whole observation window; it is spread over periods by
  what each customer did in each period: revenue and cost of goods by the customer's gross sales in
  the period, returns by their returns, cost-to-serve by their orders. The period values therefore
  add up exactly to the P&L the Whale Curve page shows.
* CLV measures are snapshots at the observation end (the CLV model predicts forward from there);
  they have no trend and no previous-period value, except "CLV of new customers", which groups
  today's CLV by the period each customer was acquired.
* A measure the data cannot support gets no value: the table says which column would enable it and
  takes a value the user types in (survey results, campaign statistics). Nothing is invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.analyses.scorecard.activity import Activity
from cvm_core.analyses.scorecard.bridge import bridge_of_pairs
from cvm_core.analyses.scorecard.formats import finite, short_value
from cvm_core.analyses.scorecard.inputs import ModelInputs, Scenarios, Scorecard, ScorecardSettings
from cvm_core.analyses.scorecard.periods import (
    check_frequency,
    choose_period,
    period_label,
)
from cvm_core.analyses.scorecard.pnl_measures import (
    group_table,
    period_pnl,
    pnl_measures,
    segment_trend,
)
from cvm_core.analyses.scorecard.specs import (
    HIGHER,
    MEASURES,
    NO_TARGET,
    NO_VALUE,
    OFF_TARGET,
    ON_TARGET,
    SCORECARD_COLUMNS,
    SPECS,
    TREND_COLUMNS,
    TREND_PERIODS,
    WATCH,
    WHALE_SCENARIO_MEASURES,
    source_text,
)
from cvm_core.analyses.scorecard.transaction_measures import (
    clv_measures,
    customer_table_measures,
    transaction_measures,
)
from cvm_core.analyses.sources import TransactionSource, source_of
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Date, Message

# --- assembling the scorecard --------------------------------------------------------------------

_INPUT_OF: dict[str, str] = {
    "profit_per_customer": "pnl", "cost_to_serve_share": "pnl", "unprofitable_share": "pnl",
    "segment_contribution": "segments", "strategic_accounts": "clv", "premium_customers": "clv",
    "average_clv": "clv", "new_customer_clv": "clv", "annual_retention": "retention",
    "active_share": "retention",
    "cost_per_new_customer": "customers", "share_of_wallet": "customers",
    "wallet_share_mean": "customers", "wallet_share_median": "customers",
    "wallet_over_100": "customers",
    "referral_revenue_share": "customers",
}  # fmt: skip
"""Which input a measure is computed from (the rest come from the transactions alone)."""


def measure_status(value: float | None, target: float | None, better: str, band: float) -> str:
    """On target, watch (within ``band`` x |target| of it) or off target.

    Examples
    --------
    >>> measure_status(96.0, 100.0, "higher", 0.05)
    'watch'
    """
    if not finite(value):
        return NO_VALUE
    if not finite(target):
        return NO_TARGET
    gap = value - target if better == HIGHER else target - value
    if gap >= 0:
        return ON_TARGET
    return WATCH if gap >= -abs(target) * band else OFF_TARGET


@dataclass
class _Values:
    """Work in progress: per-period arrays, snapshot values, labels, breakdowns, notes."""

    series: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    projected: dict[str, float] = field(default_factory=dict)
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> set[str]:
        return set(self.series) | set(self.snapshots)


def build_scorecard(
    transactions: pd.DataFrame | TransactionSource,
    summary: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    models: ModelInputs = ModelInputs(),  # noqa: B008 - frozen dataclasses, safe as defaults
    settings: ScorecardSettings = ScorecardSettings(),  # noqa: B008
    scenarios: Scenarios = Scenarios(),  # noqa: B008
    observation_end: pd.Timestamp | str | None = None,
    currency: str = "EUR",
) -> Scorecard:
    """Compute the customer management scorecard for one period.

    Parameters
    ----------
    transactions : DataFrame or TransactionSource
        Canonical transactions (customer_id, date, revenue, is_return; order_id, product,
        category when mapped), or where they are (:mod:`cvm_core.analyses.sources`).
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` up to ``observation_end``.
    customers : DataFrame, optional
        The customer table (acquisition_cost, acquisition_channel, category_spend enable measures).
    models : ModelInputs
        The other pages' results.
    settings : ScorecardSettings
    scenarios : Scenarios
        What-if treatments; affected measures get a projected value.
    observation_end : Timestamp or str, optional
        Later transactions are ignored; default the last date in the data.
    currency : str

    Returns
    -------
    Scorecard

    Raises
    ------
    ValidationError
        Unknown period length or period, no transactions up to the observation end, or a summary
        that does not match the transactions.
    """
    check_frequency(settings.frequency)
    source = source_of(transactions)
    end = pd.Timestamp(observation_end) if observation_end is not None else source.last_date()
    first = source.first_date()
    if pd.isna(first) or first > end:  # no rows at all (a summary file), or none by the end
        raise ValidationError(
            Message(
                N_("No transactions on or before {end}: choose a later observation end."),
                end=Date(end),
            )
        )
    tables = source.period_tables(summary, settings.frequency, end)
    periods, act = tables.periods, tables.activity
    index, start = periods.index, periods.data_start
    selected = choose_period(index, end, settings.period)
    values = _Values(series=transaction_measures(act))
    if tables.cross_sell is not None:
        values.series["cross_sell_rate"] = tables.cross_sell
    values.series |= customer_table_measures(customers, summary, act, periods.days())
    _add_clv(values, models.clv, summary, act)
    for key in ("annual_retention", "active_share"):
        figure = getattr(models, key)
        if figure is not None and finite(figure):
            values.snapshots[key] = float(figure)
    if models.pnl is not None:
        _add_pnl(values, act, source.main_channel(summary.index, end), summary, models, selected)
    _add_projections(values, act, summary, scenarios, models, selected)
    if selected == 0:
        values.notes.append(
            Message(
                N_("This is the first period in the data: customers who bought before the data "
                   "starts count as new here, and there is no previous period to compare with.")
            )
        )  # fmt: skip
    period = index[selected]
    return Scorecard(
        table=_table(values, selected, settings, dict(models.sources)),
        trends=_trends(values, index, selected, currency),
        breakdowns=values.breakdowns,
        frequency=settings.frequency,
        period=period_label(period),
        previous_period=period_label(index[selected - 1]) if selected > 0 else None,
        period_start=max(period.start_time, start),
        period_end=min(period.end_time.normalize(), end.normalize()),
        partial=bool(period.end_time.normalize() > end.normalize()),
        periods=tuple(period_label(p) for p in index),
        currency=currency,
        scenario_labels=tuple(s for s in (scenarios.whale_label, scenarios.clv_label) if s),
        notes=tuple(values.notes),
        bridge=bridge_of_pairs(act.customer, act.period, act.net, act.n, selected),
    )


def _add_clv(
    values: _Values, clv: pd.DataFrame | None, summary: pd.DataFrame, act: Activity
) -> None:
    for key, value in clv_measures(clv, summary, act).items():
        if isinstance(value, np.ndarray):
            values.series[key] = value
        elif finite(value):
            values.snapshots[key] = value


def _add_pnl(
    values: _Values,
    act: Activity,
    channels: pd.Series | None,
    summary: pd.DataFrame,
    models: ModelInputs,
    selected: int,
) -> None:
    pairs = period_pnl(act, models.pnl, summary.index)
    measures = pnl_measures(act, pairs)
    for key in ("profit_per_customer", "unprofitable_share", "cost_to_serve_share"):
        values.series[key] = measures[key]
    if channels is not None:
        values.breakdowns["channel"] = group_table(act, pairs, channels, selected)
    if models.segments is None:
        return
    segments = models.segments.reindex(summary.index)
    table = group_table(act, pairs, segments, selected)
    values.breakdowns["segment"] = table
    if table["profit_share"].notna().any():
        top = str(table.loc[table["profit"].idxmax(), "group"])
        values.series["segment_contribution"] = segment_trend(act, pairs, segments, top)
        values.names["segment_contribution"] = f"{SPECS['segment_contribution'].name} ({top})"
    else:
        values.notes.append(
            Message(
                N_("Total operating profit in the period is not positive, so segment shares of it "
                   "are not shown.")
            )
        )  # fmt: skip


def _add_projections(
    values: _Values,
    act: Activity,
    summary: pd.DataFrame,
    scenarios: Scenarios,
    models: ModelInputs,
    selected: int,
) -> None:
    if scenarios.whale_pnl is not None and models.pnl is not None:
        pairs = period_pnl(act, scenarios.whale_pnl, summary.index)
        measures = pnl_measures(act, pairs)
        for key in WHALE_SCENARIO_MEASURES:
            values.projected[key] = float(measures[key][selected])
    average = values.snapshots.get("average_clv")
    if scenarios.clv_incremental is not None and average is not None and models.clv is not None:
        customers = int(models.clv["clv"].notna().sum())
        values.projected["average_clv"] = average + scenarios.clv_incremental / customers


def _source(key: str, sources: dict[str, str]) -> str:
    group = _INPUT_OF.get(key, "transactions")
    given = N_("given")
    if group == "segments":
        return Message(
            N_("P&L: {pnl}; segments: {segments}"),
            pnl=source_text(sources.get("pnl", given)),
            segments=source_text(sources.get("segments", given)),
        )
    if group in ("transactions", "customers"):
        return Message(N_("transactions") if group == "transactions" else N_("customer table"))
    return source_text(sources.get(group, given))


def _current(values: _Values, key: str, selected: int) -> tuple[float, float]:
    if key in values.snapshots:
        return values.snapshots[key], math.nan
    series = values.series.get(key)
    if series is None:
        return math.nan, math.nan
    previous = float(series[selected - 1]) if selected > 0 else math.nan
    return float(series[selected]), previous


def _table(
    values: _Values, selected: int, settings: ScorecardSettings, sources: dict[str, str]
) -> pd.DataFrame:
    targets, typed = dict(settings.targets), dict(settings.typed)
    rows = []
    for spec in MEASURES:
        value, previous = _current(values, spec.key, selected)
        source = _source(spec.key, sources) if spec.key in values.available else ""
        if not finite(value) and finite(typed.get(spec.key)):
            value, source = float(typed[spec.key]), Message(N_("typed in"))
        change = value - previous if finite(value) and finite(previous) else math.nan
        target = targets.get(spec.key, math.nan)
        rows.append({
            "key": spec.key, "perspective": spec.perspective,
            "measure": values.names.get(spec.key, spec.name), "definition": spec.definition,
            "unit": spec.unit, "better": spec.better, "value": value, "previous": previous,
            "change": change,
            "change_pct": change / abs(previous) if finite(change) and previous != 0 else math.nan,
            "target": float(target) if finite(target) else math.nan,
            "status": measure_status(value, target, spec.better, settings.watch_band),
            "projected": values.projected.get(spec.key, math.nan),
            "source": source,
            "needs": "" if spec.key in values.available else spec.needs,
            "snapshot": spec.snapshot,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))


def _trends(values: _Values, index: pd.PeriodIndex, selected: int, currency: str) -> pd.DataFrame:
    first = max(0, selected - TREND_PERIODS + 1)
    window = index[first : selected + 1]
    frames = []
    for spec in MEASURES:
        series = values.series.get(spec.key)
        if series is None:
            continue
        frame = pd.DataFrame({
            "key": spec.key, "measure": values.names.get(spec.key, spec.name), "unit": spec.unit,
            "better": spec.better, "period": [period_label(p) for p in window],
            "period_start": window.start_time, "value": series[first : selected + 1],
        })  # fmt: skip
        frame = frame[np.isfinite(frame["value"].to_numpy(dtype=float))]
        frames.append(frame.assign(score=_scores(frame["value"].to_numpy(), spec.better)))
    if not frames:
        return pd.DataFrame(columns=TREND_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["label"] = [
        short_value(v, u, currency) for v, u in zip(out["value"], out["unit"], strict=True)
    ]
    return out[list(TREND_COLUMNS)]


def _scores(values: np.ndarray, better: str) -> np.ndarray:
    """How good each period was against the measure's own average: standard deviations from the
    mean, positive when better (for the trend heatmap's colour), clipped to +-2."""
    spread = float(np.std(values)) if len(values) else 0.0
    if spread <= 0:
        return np.zeros(len(values))
    sign = 1.0 if better == HIGHER else -1.0
    return np.clip(sign * (values - values.mean()) / spread, -2.0, 2.0)
