"""The Retention analysis in one call: cohorts, churn, survival, tenure profit, lists and
economics for the page, the report and the Scorecard (RetentionSettings -> RetentionResult).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.retention.active import ActiveCustomers, count_active
from cvm_core.analyses.retention.churn import (
    annual_retention,
    churn_by_group,
    churn_by_period,
    customer_groups,
)
from cvm_core.analyses.retention.cohorts import (
    DEFAULT_PERIOD,
    PERIODS,
    CohortTables,
)
from cvm_core.analyses.retention.days import require
from cvm_core.analyses.retention.defaults import (
    ACQUISITION_YEAR,
    ACTIVE,
    CHURNED,
    DEFAULT_DISCOUNT_RATE,
    DEFAULT_UPLIFT_POINTS,
    INACTIVITY,
    P_ALIVE,
    TOO_NEW,
)
from cvm_core.analyses.retention.economics import RetentionEconomics, retention_economics
from cvm_core.analyses.retention.gaps import ChurnRule, churn_status
from cvm_core.analyses.retention.lists import ListSettings, action_lists
from cvm_core.analyses.retention.survival import (
    LifetimeProfile,
    SurvivalResult,
    lifetime_profile,
    median_lifetime,
    survival_analysis,
)
from cvm_core.analyses.retention.tenure import TenureProfit
from cvm_core.analyses.sources import TransactionSource, source_of
from cvm_core.errors import CvmError, ValidationError
from cvm_core.i18n import N_, Message

# --------------------------------------------------------------------------------------------
# Everything for the page, in one call
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionSettings(Settings):
    """The Retention page's settings.

    ``rule`` None (the default) means inactivity with the window the data suggests
    (:func:`gap_profile`), as the page starts: callers that don't choose a rule (the Scorecard,
    the report command) then get the same churn and annual retention as the page shows.
    """

    period: str = setting(DEFAULT_PERIOD, choices=tuple(PERIODS))
    rule: ChurnRule | None = None
    grouping: str | None = ACQUISITION_YEAR
    lists: ListSettings = setting(default_factory=ListSettings)
    discount_rate: float = setting(DEFAULT_DISCOUNT_RATE, low=0.0, high=0.5)
    uplift_points: tuple[int, ...] = setting(DEFAULT_UPLIFT_POINTS, low=0, high=50)


@dataclass(frozen=True)
class RetentionResult:
    """Everything the Retention page shows (and the Scorecard reads: annual retention, churn).

    ``cohorts`` is None with ``cohort_message`` saying why (too short a history, one cohort);
    likewise ``economics`` / ``economics_message``. ``median_lifetime_days`` is over all
    customers (None: survival stays above 50%, "not reached"); ``survival`` is by
    ``settings.grouping``. ``groups`` holds each customer's groupings (see
    :func:`customer_groups`).
    """

    settings: RetentionSettings
    observation_end: pd.Timestamp
    status: pd.DataFrame
    groups: pd.DataFrame
    cohorts: CohortTables | None
    cohort_message: str | None
    churn_by_period: pd.DataFrame
    churn_by_group: pd.DataFrame
    survival: SurvivalResult
    median_lifetime_days: float | None
    lifetimes: LifetimeProfile
    tenure: TenureProfit
    annual_retention: float | None
    annual_retention_source: str
    at_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    win_back: pd.DataFrame = field(default_factory=pd.DataFrame)
    economics: RetentionEconomics | None = None
    economics_message: str | None = None
    notes: tuple[str, ...] = ()
    churn_by_period_message: str | None = None

    @property
    def group_names(self) -> tuple[str, ...]:
        """The groupings churn and survival can be compared by."""
        return tuple(self.groups.columns)

    @property
    def active(self) -> ActiveCustomers:
        """Active, churned and too-new customers under this result's rule: the one count every
        page and slide shows (:mod:`cvm_core.analyses.retention.active`)."""
        return count_active(self.status, self.settings.rule)

    @property
    def counts(self) -> dict[str, int]:
        """Customers by status."""
        active = self.active
        return {ACTIVE: active.active, CHURNED: active.churned, TOO_NEW: active.too_new}

    @property
    def longest_lifetime_days(self) -> float:
        """The longest lifetime followed (a median 'not reached' is beyond it)."""
        return float(self.status["lifetime_days"].max()) if len(self.status) else 0.0

    @property
    def churned_share(self) -> float | None:
        """Churned customers / customers old enough to tell."""
        return self.active.churned_share


def clv_columns(clv: pd.DataFrame | None) -> tuple[pd.Series | None, pd.Series | None]:
    """P(alive) and CLV from the CLV page's result frame (columns 'p_alive' and 'clv...')."""
    if clv is None:
        return None, None
    p_alive = clv["p_alive"].astype(float) if "p_alive" in clv else None
    value_col = next((c for c in clv.columns if str(c).lower().startswith("clv")), None)
    return p_alive, (clv[value_col].astype(float) if value_col is not None else None)


def analyse_retention(
    transactions: pd.DataFrame | TransactionSource,
    summary: pd.DataFrame,
    settings: RetentionSettings = RetentionSettings(),
    customers: pd.DataFrame | None = None,
    clv: pd.DataFrame | None = None,
    observation_end: pd.Timestamp | str | None = None,
    segments: pd.DataFrame | None = None,
) -> RetentionResult:
    """Cohorts, churn, survival, tenure profit, action lists and economics in one call.

    Parameters
    ----------
    transactions : DataFrame or TransactionSource
        Canonical transactions, or where they are (:mod:`cvm_core.analyses.sources`: a file
        DuckDB or Spark aggregates).
    summary : DataFrame
        Their :func:`cvm_core.intake.summary.customer_summary` (same observation end).
    settings : RetentionSettings
    customers : DataFrame, optional
        The dataset's customer table (groupings, names).
    clv : DataFrame, optional
        The CLV model's per-customer result: 'p_alive' and optionally 'clv' and 'tier' columns.
    segments : DataFrame, optional
        The Segments page's per-customer result ('rfm_segment', 'cluster'), as groupings.

    See Also
    --------
    revise_retention : cheaply redo the parts that depend on grouping, lists and discount rate.
    """
    source = source_of(transactions)
    require(summary, ("purchase_days",), N_("customer summary"))
    if not (summary["purchase_days"] > 0).any():
        raise ValidationError(
            Message(
                N_("Retention needs at least one sale: every row of this data is a return, so no "
                   "customer has a purchase to be retained from. Check the return flag or the "
                   "signs of the amounts on the Upload page.")
            )
        )  # fmt: skip
    end = pd.Timestamp(observation_end) if observation_end is not None else source.last_date()
    p_alive, _ = clv_columns(clv)
    notes = []
    rule = settings.rule or ChurnRule(source.gap_profile(end).suggested_window_days)
    if rule.method == P_ALIVE and p_alive is None:
        notes.append(
            Message(N_("P(alive) is not available (fit the CLV model first); churn uses "
                       "inactivity."))
        )  # fmt: skip
        rule = replace(rule, method=INACTIVITY)
    status = churn_status(summary, rule, end, p_alive)
    cohorts, cohort_message = _cohorts_or_message(source, summary, settings.period, end)
    spells = source.activity_spells(rule.window_days, end, summary.index)
    groups = customer_groups(source, summary, customers, labelled=(segments, clv), end=end)
    tenure = source.profit_by_tenure(status, rule.window_days, end)
    rate, rate_source = annual_retention(spells, status, end)
    by_period = churn_by_period(spells, settings.period, end)
    base = RetentionResult(
        settings=replace(settings, rule=rule, grouping=None),
        observation_end=end,
        status=status,
        groups=groups,
        cohorts=cohorts,
        cohort_message=cohort_message,
        churn_by_period=by_period,
        churn_by_period_message=_churn_period_message(by_period, spells, rule, settings.period),
        churn_by_group=churn_by_group(status, groups),
        survival=survival_analysis(status),
        median_lifetime_days=median_lifetime(status),
        lifetimes=lifetime_profile(status),
        tenure=tenure,
        annual_retention=rate,
        annual_retention_source=rate_source,
        notes=tuple(notes),
    )
    return revise_retention(base, summary, settings, customers, clv, _force=True)


def revise_retention(
    result: RetentionResult,
    summary: pd.DataFrame,
    settings: RetentionSettings,
    customers: pd.DataFrame | None = None,
    clv: pd.DataFrame | None = None,
    _force: bool = False,
) -> RetentionResult:
    """Redo only what the survival grouping, the list settings and the discount rate change.

    Those are the page's quick what-if controls: moving one of them should not recompute cohorts
    and churn over every transaction. ``settings.period`` and ``settings.rule`` must be the ones
    ``result`` was computed with (else call :func:`analyse_retention`).
    """
    old = result.settings
    settings = replace(settings, rule=settings.rule or old.rule)  # None: the rule in use
    same_rule = (settings.rule.window_days, settings.rule.p_alive_threshold) == (
        old.rule.window_days, old.rule.p_alive_threshold,
    ) and (settings.rule.method == old.rule.method or "p_alive" not in result.status)  # fmt: skip
    if settings.period != old.period or not same_rule:
        raise ValidationError(
            Message(N_("The period or churn rule changed: run the whole analysis again."))
        )
    changes: dict[str, object] = {}
    grouping = settings.grouping if settings.grouping in result.groups.columns else None
    if _force or grouping != old.grouping:
        groups = result.groups[grouping] if grouping else None
        changes["survival"] = survival_analysis(result.status, groups)
    if _force or settings.lists != old.lists:
        _, clv_value = clv_columns(clv)
        changes["at_risk"], changes["win_back"] = action_lists(
            summary, result.status, old.rule, settings.lists, clv_value, customers
        )
    if _force or (settings.discount_rate, settings.uplift_points) != (
        old.discount_rate,
        old.uplift_points,
    ):
        changes["economics"], changes["economics_message"] = _economics_or_message(
            result.annual_retention,
            result.annual_retention_source,
            result.status,
            result.tenure,
            settings,
        )
    revised = replace(settings, rule=old.rule, grouping=grouping)
    return replace(result, settings=revised, **changes)


def _churn_period_message(
    table: pd.DataFrame, spells: pd.DataFrame, rule: ChurnRule, period: str
) -> str | None:
    """Why there are no churn rates per period, in words that say what to change."""
    if not table.empty:
        return None
    if spells["lapse"].notna().any():
        first = pd.Timestamp(spells["lapse"].min())
        return (
            f"Customers first lapsed on {first:%d %b %Y}, and no complete {period} of data follows "
            f"the first {period} with a lapse. Choose a shorter period (e.g. week) or load a "
            "longer history."
        )
    return (
        f"No customer has gone {formatting.counted(rule.window_days, 'day')} without a purchase within the data, so "
        "nobody has lapsed yet. Shorten the churn window to see churn by period."
    )


def _cohorts_or_message(
    source: TransactionSource, summary: pd.DataFrame, period: str, end: pd.Timestamp
) -> tuple[CohortTables | None, str | None]:
    try:
        return source.cohort_tables(summary, period, end), None
    except CvmError as error:
        return None, str(error)


def _economics_or_message(
    rate: float | None,
    source: str,
    status: pd.DataFrame,
    tenure: TenureProfit,
    settings: RetentionSettings,
) -> tuple[RetentionEconomics | None, str | None]:
    if rate is None:
        return None, f"Annual retention is {source}, so its value cannot be worked out."
    table = tenure.table
    years = float(table["customer_years"].sum())
    value = float(table["value"].sum()) / years if years > 0 else float("nan")
    if not math.isfinite(value) or value <= 0:
        return (
            None,
            f"The customers' {tenure.measure} is not positive, so keeping them adds no value.",
        )
    active = int((status["status"] != CHURNED).sum())
    try:
        economics = retention_economics(
            rate,
            value,
            active,
            settings.discount_rate,
            settings.uplift_points,
            tenure.measure,
            source,
        )
    except CvmError as error:  # a setting out of range must not take the rest of the page down
        return None, str(error)
    return economics, None
