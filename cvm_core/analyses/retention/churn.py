"""Retention: who is still a customer, how long customers stay, and what keeping them is worth.

Non-contractual customers leave silently, so "churned" is a rule, stated and changeable:

* inactivity (default): no purchase within ``window_days`` of the observation end. The default
  window comes from the data: the 90th percentile of the gaps between a customer's consecutive
  purchase days, so nine in ten repeat purchases come sooner than that.
* P(alive): the CLV model's probability that the customer is still active is below a threshold.

Either way, a customer first seen less than ``window_days`` before the observation end is "too new
to tell" and never counted as churned: nobody could have seen them stay away that long.

Lifetimes for survival curves: a churned customer's lifetime ends at their last purchase (an
observed event); an active or too-new customer is still alive at the observation end (censored
there). Kaplan-Meier curves and the log-rank test come from lifelines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from cvm_core import formatting
from cvm_core.analyses.retention.cohorts import (
    DEFAULT_PERIOD,
    CohortTables,
    cohort_tables,
    customer_positions,
    distinct,
    last_complete_ordinal,
    ordinal_to_period,
    period_labels,
    period_ordinals,
)
from cvm_core.errors import CvmError, ValidationError

DAYS_PER_YEAR = 365.25
DEFAULT_GAP_QUANTILE = 0.9
"""The churn window suggested from the data: this quantile of the inter-purchase gaps."""
FALLBACK_WINDOW_DAYS = 90
"""Churn window used when the data has no repeat purchases to learn one from."""
MIN_WINDOW_DAYS = 7
DEFAULT_P_ALIVE_THRESHOLD = 0.5
DEFAULT_TOP_SHARE = 0.2
"""'Valuable' = the top 20% of customers by the chosen value measure."""
DEFAULT_OVERDUE_FACTOR = 2.0
"""Overdue = days since the last purchase above this multiple of the customer's own mean gap."""
DEFAULT_DISCOUNT_RATE = 0.10
DEFAULT_UPLIFT_POINTS: tuple[int, ...] = (1, 2, 3, 5)
TENURE_YEARS = 4
"""Relationship years shown separately; the last one collects that year and later (4+)."""
MIN_TENURE_CUSTOMER_YEARS = 5.0
"""A relationship year with less exposure than this is reported as not enough data."""
MIN_RETENTION_HORIZON_DAYS = 56
"""Annual retention is measured over at least this many days (8 weeks) before annualising."""
MAX_GROUP_LEVELS = 8
"""Groupings keep their largest levels and lump the rest into 'Other'."""
MAX_CURVE_POINTS = 4000
CONFIDENCE = 0.95
DOMAIN_CLAIM_RATIO = 3.0
"""DOMAIN.md: a customer kept four years can yield around three times their first year's profit."""

INACTIVITY = "inactivity"
P_ALIVE = "p_alive"
ACTIVE, CHURNED, TOO_NEW = "Active", "Churned", "Too new to tell"
VALUE_MEASURES = {"net_revenue": "net revenue", "margin": "gross margin", "clv": "CLV"}
GROUP_COLUMNS = {
    "acquisition_channel": "Acquisition channel",
    "region": "Region",
    "industry": "Industry",
}
SKIPPED_CUSTOMER_COLUMNS = {
    "customer_name",
    "acquisition_date",
    "acquisition_cost",
    "category_spend",
}
MAIN_CHANNEL = "Main channel"
ACQUISITION_YEAR = "Acquisition year"
LABELLED_GROUPINGS = {"rfm_segment": "RFM segment", "cluster": "Cluster", "tier": "CLV tier"}
"""Columns of the Segments page's and the CLV model's per-customer results used as groupings."""


# --------------------------------------------------------------------------------------------
# Inter-purchase gaps and the churn rule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapProfile:
    """The distribution of gaps between consecutive purchase days, and the window it suggests.

    Attributes
    ----------
    repeat_purchases : int
        Number of gaps (purchase days after a customer's first).
    quantiles : dict[float, float]
        Gap in days at the 50th, 75th, 90th and 95th percentile (empty without repeats).
    suggested_window_days : int
        The ``quantile`` percentile of the gaps, rounded up; the fallback without repeats.
    quantile : float
    histogram : DataFrame
        gap_from, gap_to (days; gap_from <= gap < gap_to), repeat_purchases, open_ended (the last
        bin, from about the 99th percentile on, holds every longer gap too), share,
        cumulative_share. Empty bins are left out.
    note : str
    """

    repeat_purchases: int
    quantiles: dict[float, float]
    suggested_window_days: int
    quantile: float
    histogram: pd.DataFrame
    note: str = ""


def purchase_day_pairs(
    transactions: pd.DataFrame,
    observation_end: pd.Timestamp | str | None = None,
    index: pd.Index | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (customer, purchase day) pairs, sorted by customer then day (returns ignored).

    Returns
    -------
    (customer, day) : int64 arrays; customer is the position in ``index`` (customers missing from
    it are dropped) or, without an index, a code per distinct customer id; day counts days since
    1970-01-01.
    """
    keep = ~transactions["is_return"].to_numpy()
    if observation_end is not None:
        keep &= (transactions["date"] <= pd.Timestamp(observation_end)).to_numpy()
    ids = transactions["customer_id"].to_numpy()[keep]
    codes = (pd.factorize(ids)[0] if index is None else customer_positions(index, ids)).astype(
        np.int64
    )
    days = _days(transactions["date"])[keep]
    codes, days = codes[codes >= 0], days[codes >= 0]
    if days.size == 0:
        return codes, days
    low = days.min()
    # One sort of (customer, day) keys; same-day purchases collapse to one purchase day.
    key = distinct(codes * (1 << 32) + (days - low))
    return key >> 32, (key & ((1 << 32) - 1)) + low


def inter_purchase_gaps(
    transactions: pd.DataFrame, observation_end: pd.Timestamp | str | None = None
) -> np.ndarray:
    """Days between each customer's consecutive purchase days (returns and same-day buys ignored).

    Returns
    -------
    ndarray of int64, one value per repeat purchase day.
    """
    customer, day = purchase_day_pairs(transactions, observation_end)
    return np.diff(day)[customer[1:] == customer[:-1]]


def activity_spells(
    transactions: pd.DataFrame,
    window_days: int,
    observation_end: pd.Timestamp | str | None = None,
    index: pd.Index | None = None,
) -> pd.DataFrame:
    """Spells of activity: from a (re)starting purchase until ``window_days`` pass without one.

    A customer lapses on the first day with more than ``window_days`` days since their last
    purchase (last purchase + window + 1 day); a later purchase starts a new spell. Judged only on
    what was known at each date, so every period is treated alike (a customer who lapsed and
    returned after the observation end still lapsed).

    Returns
    -------
    DataFrame
        customer (position in ``index``, or a code per customer id), start, lapse (Timestamp; NaT
        while the spell is still open at the observation end), returning (not the customer's
        first spell: a reactivation). Sorted by customer and start.
    """
    end = _end_of(transactions, observation_end)
    customer, day = purchase_day_pairs(transactions, end, index)
    new_customer = np.ones(customer.size, bool)
    new_customer[1:] = customer[1:] != customer[:-1]
    gap_ok = np.zeros(customer.size, bool)
    gap_ok[1:] = (day[1:] - day[:-1]) <= window_days
    starts = new_customer | ~gap_ok
    spell_end = np.append(starts[1:], True)  # the last purchase day of each spell
    lapse = day[spell_end] + window_days + 1
    open_ = lapse > _day(end)
    return pd.DataFrame(
        {
            "customer": customer[starts],
            "start": _dates(day[starts]),
            "lapse": pd.Series(_dates(lapse)).where(~open_).to_numpy(),
            "returning": ~new_customer[starts],
        }
    )


def gap_profile(
    transactions: pd.DataFrame,
    observation_end: pd.Timestamp | str | None = None,
    quantile: float = DEFAULT_GAP_QUANTILE,
    bins: int = 40,
) -> GapProfile:
    """Summarise inter-purchase gaps and suggest a churn window (see :func:`inter_purchase_gaps`).

    Parameters
    ----------
    quantile : float, default 0.9
        The suggested window is this quantile of the gaps.
    bins : int
        Histogram bins up to the 99th percentile.
    """
    if not 0 < quantile < 1:
        raise ValidationError("The gap percentile for the churn window must be between 0 and 1.")
    gaps = inter_purchase_gaps(transactions, observation_end)
    if gaps.size == 0:
        empty = pd.DataFrame(
            columns=[
                "gap_from",
                "gap_to",
                "repeat_purchases",
                "open_ended",
                "share",
                "cumulative_share",
            ]
        )
        note = (
            "No customer bought on two different days, so the data cannot suggest a churn window; "
            f"{FALLBACK_WINDOW_DAYS} days is used. Set one that suits your business."
        )
        return GapProfile(0, {}, FALLBACK_WINDOW_DAYS, quantile, empty, note)
    levels = (0.5, 0.75, 0.9, 0.95)
    values = np.quantile(gaps, levels)
    suggested = max(int(math.ceil(np.quantile(gaps, quantile))), MIN_WINDOW_DAYS)
    return GapProfile(
        repeat_purchases=int(gaps.size),
        quantiles={q: float(v) for q, v in zip(levels, values, strict=True)},
        suggested_window_days=suggested,
        quantile=quantile,
        histogram=_gap_histogram(gaps, bins),
    )


def _gap_histogram(gaps: np.ndarray, bins: int) -> pd.DataFrame:
    top = max(float(np.quantile(gaps, 0.99)), 1.0)
    width = max(int(math.ceil(top / bins)), 1)
    edges = np.arange(0, top + width, width, dtype=float)
    counts = np.bincount(np.minimum(gaps // width, len(edges) - 1).astype(np.int64))
    counts = np.pad(counts, (0, max(len(edges) - len(counts), 0)))[: len(edges)]
    out = pd.DataFrame(
        {
            "gap_from": edges,
            "gap_to": edges + width,
            "repeat_purchases": counts.astype(np.int64),
            "open_ended": np.arange(len(edges)) == len(edges) - 1,  # collects the longest gaps
        }
    )
    out["share"] = out["repeat_purchases"] / gaps.size
    out["cumulative_share"] = out["share"].cumsum()
    return out[out["repeat_purchases"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class ChurnRule:
    """When a customer counts as churned.

    Parameters
    ----------
    window_days : int
        Inactivity window: churned after this many days without a purchase. Also the minimum age
        before any customer can be called churned (under either method).
    method : {"inactivity", "p_alive"}
    p_alive_threshold : float
        With method "p_alive": churned when P(alive) is below this.
    """

    window_days: int = FALLBACK_WINDOW_DAYS
    method: str = INACTIVITY
    p_alive_threshold: float = DEFAULT_P_ALIVE_THRESHOLD

    def __post_init__(self) -> None:
        if self.method not in (INACTIVITY, P_ALIVE):
            raise ValidationError(f"Unknown churn method '{self.method}'.")
        if not (isinstance(self.window_days, int | np.integer) and self.window_days >= 1):
            raise ValidationError("The churn window must be a whole number of days, at least 1.")
        if not 0 < self.p_alive_threshold < 1:
            raise ValidationError("The P(alive) threshold must be between 0% and 100%.")

    def describe(self) -> str:
        """The rule in one sentence, for the page and exports."""
        young = (
            f"Customers whose first purchase is less than {self.window_days} days before the "
            "observation end are too new to tell and never counted as churned."
        )
        if self.method == P_ALIVE:
            return (
                "Churned: the CLV model's probability that the customer is still active, P(alive), "
                f"is below {formatting.pct(self.p_alive_threshold, 0)}. {young}"
            )
        return f"Churned: no purchase in the last {self.window_days} days. {young}"


def churn_status(
    summary: pd.DataFrame,
    rule: ChurnRule,
    observation_end: pd.Timestamp | str | None = None,
    p_alive: pd.Series | None = None,
) -> pd.DataFrame:
    """Each customer's status under the rule, and their lifetime for survival analysis.

    Parameters
    ----------
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` (first_purchase, last_purchase, purchase_days).
    rule : ChurnRule
    observation_end : Timestamp or str, optional
        Default: the latest last_purchase.
    p_alive : Series, optional
        P(alive) by customer_id; required with ``rule.method == "p_alive"``, where customers it
        lacks are judged by inactivity. Kept as a column either way (the at-risk list uses it).

    Returns
    -------
    DataFrame
        Indexed like ``summary``: first_purchase, last_purchase, days_since_last, tenure_days,
        mean_gap_days (NaN with one purchase day), old_enough, churned, status, churn_date (the
        first day without a purchase for more than the window, for inactivity churners; else NaT),
        lifetime_days, event (lifetime ended, i.e. churned), p_alive (when given).
    """
    _require(summary, ("first_purchase", "last_purchase", "purchase_days"), "customer summary")
    end = (
        pd.Timestamp(observation_end)
        if observation_end is not None
        else summary["last_purchase"].max()
    )
    if rule.method == P_ALIVE and p_alive is None:
        raise ValidationError(
            "Churn by P(alive) needs the CLV model: fit it on the Customer Lifetime Value page."
        )
    first, last = summary["first_purchase"], summary["last_purchase"]
    since_last = (end - last).dt.days.to_numpy()
    tenure = (end - first).dt.days.to_numpy()
    old_enough = tenure >= rule.window_days
    inactive = old_enough & (since_last > rule.window_days)
    span = (last - first).dt.days.to_numpy().astype(float)
    repeats = summary["purchase_days"].to_numpy() - 1
    columns: dict[str, object] = {
        "first_purchase": first,
        "last_purchase": last,
        "days_since_last": since_last,
        "tenure_days": tenure,
        "mean_gap_days": np.divide(
            span, repeats, out=np.full(len(span), np.nan), where=repeats > 0
        ),
    }
    churned = inactive
    if p_alive is not None:
        prob = p_alive.reindex(summary.index).to_numpy(dtype=float)
        columns["p_alive"] = prob
        if rule.method == P_ALIVE:
            churned = np.where(
                np.isnan(prob), inactive, old_enough & (prob < rule.p_alive_threshold)
            )
    flagged = last + pd.Timedelta(days=rule.window_days + 1)
    columns |= {
        "old_enough": old_enough,
        "churned": churned,
        "status": np.where(churned, CHURNED, np.where(old_enough, ACTIVE, TOO_NEW)),
        "churn_date": flagged.where(pd.Series(inactive, index=summary.index)),
        "lifetime_days": np.where(churned, span, tenure.astype(float)),
        "event": churned,
    }
    return pd.DataFrame(columns, index=summary.index)


# --------------------------------------------------------------------------------------------
# Churn rates
# --------------------------------------------------------------------------------------------


def churn_by_period(
    spells: pd.DataFrame, period: str = DEFAULT_PERIOD, observation_end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Share of the customers active at a period's start who lapsed during the period.

    Parameters
    ----------
    spells : DataFrame
        From :func:`activity_spells` (start, lapse).
    period : {"month", "quarter", "week"}
    observation_end : Timestamp, optional
        Default: the latest spell start. Only periods that end by then are reported.

    Returns
    -------
    DataFrame
        period (label), period_start, customers_at_start (active at the start), churned (lapsed
        during the period), new (first purchase in the period), reactivated (bought again after
        having lapsed), churn_rate, retention_rate; from the first period in which anyone lapsed
        to the last complete one. customers_at_start - churned + new + reactivated is the next
        period's customers_at_start (up to customers who join and lapse within one period).
    """
    _require(spells, ("start", "lapse"), "activity spells")
    end = pd.Timestamp(observation_end) if observation_end is not None else spells["start"].max()
    start_ord = np.sort(period_ordinals(spells["start"].to_numpy(), period))
    lapsed = spells[spells["lapse"].notna()]
    lapse_ord = period_ordinals(lapsed["lapse"].to_numpy(), period)
    lapse_start_ord = period_ordinals(lapsed["start"].to_numpy(), period)
    last = last_complete_ordinal(end, period)
    first = min(int(lapse_ord.min()), last + 1) if lapse_ord.size else last + 1
    ords = np.arange(first, last + 1)
    # Active at the start of period P: spell started before P and not lapsed before P.
    at_start = np.searchsorted(start_ord, ords) - np.searchsorted(np.sort(lapse_ord), ords)
    counted = lapse_ord[(lapse_start_ord < lapse_ord) & (lapse_ord <= last)] - first
    churned = np.bincount(counted, minlength=len(ords))[: len(ords)]
    spell_ord = period_ordinals(spells["start"].to_numpy(), period)
    returning = spells["returning"].to_numpy()
    new = _count_in(spell_ord[~returning], first, len(ords))
    reactivated = _count_in(spell_ord[returning], first, len(ords))
    periods = ordinal_to_period(ords, period)
    out = pd.DataFrame(
        {
            "period": period_labels(periods, period),
            "period_start": periods.to_timestamp(),
            "customers_at_start": at_start.astype(np.int64),
            "churned": churned.astype(np.int64),
            "new": new,
            "reactivated": reactivated,
        }
    )
    out = out[out["customers_at_start"] > 0].reset_index(drop=True)
    out["churn_rate"] = out["churned"] / out["customers_at_start"]
    out["retention_rate"] = 1 - out["churn_rate"]
    return out


def _count_in(ordinals: np.ndarray, first: int, n: int) -> np.ndarray:
    """How many of ``ordinals`` fall in each of the periods first .. first + n - 1."""
    inside = ordinals[(ordinals >= first) & (ordinals < first + n)] - first
    return np.bincount(inside, minlength=n).astype(np.int64)


def churn_by_group(status: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Churned share of the customers old enough to tell, per level of each grouping.

    Parameters
    ----------
    status : DataFrame
        From :func:`churn_status`.
    groups : DataFrame
        From :func:`customer_groups`: one column per grouping, indexed by customer_id.

    Returns
    -------
    DataFrame
        grouping, group, customers (old enough to tell), churned, churn_rate.
    """
    judged = status[status["old_enough"]]
    frames = []
    for grouping in groups.columns:
        level = groups[grouping].reindex(judged.index)
        counts = judged.groupby(level, observed=True)["churned"].agg(["size", "sum"])
        frames.append(
            pd.DataFrame(
                {
                    "grouping": grouping,
                    "group": counts.index.astype(str),
                    "customers": counts["size"].to_numpy(np.int64),
                    "churned": counts["sum"].to_numpy(np.int64),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["grouping", "group", "customers", "churned", "churn_rate"])
    out = pd.concat(frames, ignore_index=True)
    out["churn_rate"] = out["churned"] / out["customers"]
    return out


def customer_groups(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    max_levels: int = MAX_GROUP_LEVELS,
    labelled: tuple[pd.DataFrame | None, ...] = (),
) -> pd.DataFrame:
    """Groupings to compare churn and survival by, one column each, indexed like ``summary``.

    Acquisition year (of the first purchase); main channel (the channel with the most purchase
    revenue per customer) when the transactions carry a channel; the customer table's
    categorical columns (acquisition channel, region, industry, other attributes with at most 50
    distinct values); and, from the frames in ``labelled`` (the Segments page's and the CLV
    model's results, by customer_id), the columns of :data:`LABELLED_GROUPINGS` (RFM segment,
    cluster, CLV tier). Each keeps its ``max_levels - 1`` largest levels plus 'Other'.
    """
    out = pd.DataFrame(index=summary.index)
    out[ACQUISITION_YEAR] = summary["first_purchase"].dt.year.astype(str)
    if "channel" in transactions and transactions["channel"].notna().any():
        out[MAIN_CHANNEL] = _main_channel(transactions, summary.index)
    if customers is not None:
        for column in customers.columns:
            if column in SKIPPED_CUSTOMER_COLUMNS or pd.api.types.is_numeric_dtype(
                customers[column]
            ):
                continue
            values = customers[column].reindex(summary.index)
            if 2 <= values.nunique() <= 50:
                out[GROUP_COLUMNS.get(column, str(column).replace("_", " ").capitalize())] = values
    for frame in labelled:
        for column, name in LABELLED_GROUPINGS.items():
            if frame is not None and column in frame and frame[column].notna().any():
                out[name] = frame[column].reindex(summary.index)
    return out.apply(lambda col: _lump(col, max_levels))


def _main_channel(transactions: pd.DataFrame, index: pd.Index) -> pd.Series:
    keep = ~transactions["is_return"].to_numpy() & transactions["channel"].notna().to_numpy()
    customer = customer_positions(index, transactions["customer_id"].to_numpy()[keep])
    known = customer >= 0
    channel_code, channels = pd.factorize(transactions["channel"].to_numpy()[keep][known])
    # Customers x channels is small (channels are few); one bincount fills it.
    flat = customer[known] * len(channels) + channel_code
    revenue = transactions["revenue"].to_numpy(dtype=float)[keep][known]
    spend = np.bincount(flat, revenue, minlength=len(index) * len(channels))
    spend = spend.reshape(len(index), max(len(channels), 1))
    best = np.where(spend.max(axis=1) > 0, spend.argmax(axis=1), -1)
    labels = np.asarray(channels, dtype=object)
    return pd.Series(np.where(best >= 0, labels[np.maximum(best, 0)], None), index=index)


def _lump(values: pd.Series, max_levels: int) -> pd.Series:
    values = values.astype(object).where(values.notna(), "Unknown").astype(str)
    counts = values.value_counts()
    if len(counts) <= max_levels:
        return values
    keep = set(counts.index[: max_levels - 1])
    return values.where(values.isin(keep), "Other")


def annual_retention(
    spells: pd.DataFrame, status: pd.DataFrame, observation_end: pd.Timestamp
) -> tuple[float | None, str]:
    """Annual customer retention r: of the customers active a year ago, the share active today.

    With less than two years of history the same share is measured over the second half of the
    history (h days) and annualised as share^(365 / h); below MIN_RETENTION_HORIZON_DAYS of
    look-back that extrapolation says more about chance than about customers, so none is given.

    Parameters
    ----------
    spells : DataFrame
        :func:`activity_spells` with customer positions in ``status.index``.
    status : DataFrame
        :func:`churn_status` (first_purchase, status).

    Returns
    -------
    (rate or None, how it was measured)
    """
    first = status["first_purchase"].min()
    horizon = min(365, int((observation_end - first).days) // 2)
    since = observation_end - pd.Timedelta(days=horizon)
    covering = (spells["start"] <= since) & ~(spells["lapse"] <= since)
    on_books = distinct(spells.loc[covering, "customer"].to_numpy())
    if horizon < MIN_RETENTION_HORIZON_DAYS or on_books.size == 0:
        weeks = 2 * MIN_RETENTION_HORIZON_DAYS // 7
        return None, f"not measurable: it needs at least {weeks} weeks of history"
    kept = int((status["status"].to_numpy()[on_books] != CHURNED).sum()) / on_books.size
    how = (
        f"of the {formatting.count(int(on_books.size))} customers active on {since:%d %b %Y}, the "
        f"share still active {'a year' if horizon == 365 else f'{horizon} days'} later"
    )
    if horizon == 365:
        return kept, how
    return kept ** (365 / horizon), how + ", annualised (less than two years of history)"


# --------------------------------------------------------------------------------------------
# Survival
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurvivalResult:
    """Kaplan-Meier survival of customer lifetimes, overall or by group.

    Attributes
    ----------
    grouping : str or None
    curves : DataFrame
        group, days, survival, lower, upper (confidence band), at most MAX_CURVE_POINTS rows.
    groups : DataFrame
        group, customers, churned, median_days (NaN when survival stays above 50%),
        survival_1y (survival at 365 days; NaN beyond the longest lifetime observed).
    logrank_statistic, logrank_p : float or None
        Multivariate log-rank test across groups (None with one group).
    reading : str
        The p-value in plain words.
    """

    grouping: str | None
    curves: pd.DataFrame
    groups: pd.DataFrame
    logrank_statistic: float | None
    logrank_p: float | None
    reading: str
    confidence: float = CONFIDENCE


def fit_kaplan_meier(
    durations: np.ndarray | pd.Series,
    events: np.ndarray | pd.Series,
    alpha: float = 1 - CONFIDENCE,
    label: str = "All customers",
) -> KaplanMeierFitter:
    """lifelines' Kaplan-Meier fit on (duration, event) counts instead of one row per customer.

    Identical estimates and Greenwood confidence bands, much less work at a million customers.
    """
    frame = pd.DataFrame({"d": np.asarray(durations, float), "e": np.asarray(events, bool)})
    counts = frame.value_counts().reset_index()
    return KaplanMeierFitter(alpha=alpha, label=label).fit(
        counts["d"], counts["e"], weights=counts["count"]
    )


def survival_analysis(
    status: pd.DataFrame, groups: pd.Series | None = None, confidence: float = CONFIDENCE
) -> SurvivalResult:
    """Kaplan-Meier curves (with confidence bands), medians and a log-rank test between groups.

    Parameters
    ----------
    status : DataFrame
        From :func:`churn_status` (lifetime_days, event).
    groups : Series, optional
        A grouping by customer_id (a column of :func:`customer_groups`).
    """
    _require(status, ("lifetime_days", "event"), "churn status")
    if status.empty:
        raise ValidationError("No customers to follow: the survival curve needs customers.")
    labels = (
        pd.Series("All customers", index=status.index)
        if groups is None
        else groups.reindex(status.index).fillna("Unknown").astype(str)
    )
    curves, rows = [], []
    for name, members in status.groupby(labels, sort=True):
        kmf = fit_kaplan_meier(members["lifetime_days"], members["event"], 1 - confidence, name)
        curves.append(_curve_frame(kmf, name))
        rows.append(_group_row(kmf, name, members))
    table = pd.DataFrame(rows)
    statistic = p_value = None
    if len(table) > 1:
        counts = (
            pd.DataFrame({"d": status["lifetime_days"], "g": labels, "e": status["event"]})
            .value_counts()
            .reset_index()
        )
        test = multivariate_logrank_test(
            counts["d"], counts["g"], counts["e"], weights=counts["count"]
        )
        statistic, p_value = float(test.test_statistic), float(test.p_value)
    curve = _thin(pd.concat(curves, ignore_index=True), MAX_CURVE_POINTS // max(len(table), 1))
    return SurvivalResult(
        grouping=None if groups is None else str(groups.name),
        curves=curve,
        groups=table,
        logrank_statistic=statistic,
        logrank_p=p_value,
        reading=logrank_reading(p_value, len(table)),
        confidence=confidence,
    )


def median_lifetime(status: pd.DataFrame) -> float | None:
    """Kaplan-Meier median lifetime in days over all customers; None when not reached."""
    median = float(fit_kaplan_meier(status["lifetime_days"], status["event"]).median_survival_time_)
    return median if math.isfinite(median) else None


def _curve_frame(kmf: KaplanMeierFitter, name: str) -> pd.DataFrame:
    band = kmf.confidence_interval_survival_function_
    return pd.DataFrame(
        {
            "group": name,
            "days": kmf.survival_function_.index.to_numpy(dtype=float),
            "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
            "lower": band.iloc[:, 0].to_numpy(),
            "upper": band.iloc[:, 1].to_numpy(),
        }
    )


def _group_row(kmf: KaplanMeierFitter, name: str, members: pd.DataFrame) -> dict:
    median = float(kmf.median_survival_time_)
    longest = float(members["lifetime_days"].max())
    return {
        "group": name,
        "customers": len(members),
        "churned": int(members["event"].sum()),
        "median_days": median if math.isfinite(median) else np.nan,
        "survival_1y": float(kmf.predict(365.0)) if longest >= 365 else np.nan,
    }


def _thin(curves: pd.DataFrame, per_group: int) -> pd.DataFrame:
    """Keep at most ``per_group`` steps per curve (evenly spaced, first and last always kept)."""
    parts = []
    for _, curve in curves.groupby("group", sort=False):
        if len(curve) > per_group:
            picks = np.unique(np.linspace(0, len(curve) - 1, max(per_group, 2)).round().astype(int))
            curve = curve.iloc[picks]
        parts.append(curve)
    return pd.concat(parts, ignore_index=True)


def logrank_reading(p_value: float | None, n_groups: int) -> str:
    """What a log-rank p-value means, in words a business user can act on."""
    if p_value is None or n_groups < 2:
        return "Choose a grouping to compare how long different kinds of customers stay."
    shown = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    if p_value < 0.01:
        return (
            f"The groups clearly differ in how long customers stay ({shown}): a difference this "
            "large would almost never arise by chance. With many customers even small differences "
            "are detected, so judge the size of the gap between the curves too."
        )
    if p_value < 0.05:
        return (
            f"The groups probably differ in how long customers stay ({shown}): a difference this "
            "large would arise by chance less than one time in twenty."
        )
    return (
        f"No clear difference between the groups ({shown}): the gaps between the curves could "
        "well be chance. Don't treat these groups differently on this evidence alone."
    )


# --------------------------------------------------------------------------------------------
# Profit by relationship year
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenureProfit:
    """Value per active customer-year in each year of the relationship.

    Attributes
    ----------
    measure : str
        "gross margin" (cost of goods known on every row) or "net revenue".
    table : DataFrame
        year (1, 2, ...), label ("Year 1", ..., "Year 4+"), customers (active at some point in that
        year), customer_years (time spent as active customers in that year), value,
        value_per_customer_year (NaN below MIN_TENURE_CUSTOMER_YEARS), ratio_to_year1.
    claim : str
        DOMAIN.md's "about three times the profit of the first year by year four", checked.
    """

    measure: str
    table: pd.DataFrame
    claim: str


def profit_by_tenure(
    transactions: pd.DataFrame,
    status: pd.DataFrame,
    window_days: int,
    observation_end: pd.Timestamp | None = None,
    max_year: int = TENURE_YEARS,
    min_customer_years: float = MIN_TENURE_CUSTOMER_YEARS,
) -> TenureProfit:
    """Profit per active customer-year by year of the relationship (year 1 = first 365 days).

    A customer counts as active from the first purchase until ``window_days`` after the last one
    (or the observation end, if sooner). Each year's value (gross margin, else net revenue) is
    divided by the time customers spent active in that year, so partly observed years count pro
    rata and lapsed customers don't dilute the figure: it is the yearly value of a customer who
    is kept, as in the retention literature's "profit per customer by year of tenure".

    Parameters
    ----------
    max_year : int
        Years 1 .. max_year - 1 separately, the last one collecting year max_year and later.
    min_customer_years : float
        Years with less active time than this get no figure (NaN): too little data.
    """
    _require(status, ("first_purchase", "last_purchase"), "churn status")
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    in_time = (transactions["date"] <= end).to_numpy()
    cost = transactions["cost"].to_numpy(float)[in_time] if "cost" in transactions else None
    use_margin = cost is not None and cost.size > 0 and not np.isnan(cost).any()
    value = transactions["revenue"].to_numpy(float)[in_time] - (cost if use_margin else 0.0)
    position = customer_positions(status.index, transactions["customer_id"].to_numpy()[in_time])
    keep = position >= 0
    first_day = _days(status["first_purchase"])
    tenure = _days(transactions["date"])[in_time][keep] - first_day[position[keep]]
    year = np.clip(tenure // 365, 0, max_year - 1)
    totals = np.bincount(year, value[keep], minlength=max_year)[:max_year]

    stop = np.minimum(_days(status["last_purchase"]) + window_days, _day(end) + 1)
    active_days = np.maximum(stop - first_day, 0).astype(float)
    starts = np.arange(max_year) * 365.0
    lengths = np.append(np.full(max_year - 1, 365.0), np.inf)
    exposure = np.clip(active_days[:, None] - starts[None, :], 0, lengths[None, :])
    table = _tenure_table(totals, exposure, max_year, min_customer_years)
    measure = "gross margin" if use_margin else "net revenue"
    return TenureProfit(measure, table, _claim_text(table, measure))


def _tenure_table(
    totals: np.ndarray, exposure: np.ndarray, max_year: int, min_customer_years: float
) -> pd.DataFrame:
    years = exposure.sum(axis=0) / 365.0
    table = pd.DataFrame(
        {
            "year": np.arange(1, max_year + 1),
            "label": [f"Year {y}" for y in range(1, max_year)] + [f"Year {max_year}+"],
            "customers": (exposure > 0).sum(axis=0).astype(np.int64),
            "customer_years": years,
            "value": totals,
        }
    )
    enough = (years >= min_customer_years) & (years > 0)
    table["value_per_customer_year"] = np.where(enough, totals / np.maximum(years, 1e-9), np.nan)
    base = table["value_per_customer_year"].iloc[0]
    table["ratio_to_year1"] = table["value_per_customer_year"] / base if base > 0 else np.nan
    return table


def _claim_text(table: pd.DataFrame, measure: str) -> str:
    known = table[table["value_per_customer_year"].notna()]
    claim = (
        "Rule of thumb: a customer kept for four years can yield around three times the profit of "
        "their first year."
    )
    if len(known) < 2 or not np.isfinite(known["ratio_to_year1"].iloc[-1]):
        return (
            f"{claim} This data does not follow enough customers beyond their first year (or has "
            f"no positive first-year {measure}), so it cannot be checked."
        )
    last = known.iloc[-1]
    ratio = float(last["ratio_to_year1"])
    found = (
        f"Here a kept customer in {last['label'].lower()} of the relationship yields {ratio:.1f}× "
        f"the yearly {measure} of a first-year customer"
    )
    if int(last["year"]) < TENURE_YEARS:
        return (
            f"{claim} {found}. The data does not reach year {TENURE_YEARS} for enough customers, so "
            "the claim can only be checked in part."
        )
    if ratio >= DOMAIN_CLAIM_RATIO * 1.25:
        verdict = "more than the rule of thumb says"
    elif ratio >= DOMAIN_CLAIM_RATIO * 0.75:
        verdict = "in line with the rule of thumb"
    else:
        verdict = "well below the rule of thumb: in this business, loyalty pays less"
    return f"{claim} {found}: {verdict}."


# --------------------------------------------------------------------------------------------
# At-risk and win-back lists
# --------------------------------------------------------------------------------------------


def customer_value(
    summary: pd.DataFrame, measure: str = "net_revenue", clv: pd.Series | None = None
) -> pd.Series:
    """The value customers are ranked by: net revenue, gross margin or CLV (by customer_id)."""
    if measure not in VALUE_MEASURES:
        raise ValidationError(
            f"Unknown value measure '{measure}'; choose {', '.join(VALUE_MEASURES)}."
        )
    if measure == "clv":
        if clv is None:
            raise ValidationError("Ranking by CLV needs the CLV model: fit it on the CLV page.")
        return clv.reindex(summary.index).astype(float).rename("value")
    if measure == "margin" and summary["margin"].isna().all():
        raise ValidationError(
            "Margin needs a cost-of-goods (or margin %) column; map one on the Upload page or rank "
            "by net revenue."
        )
    return summary[measure].astype(float).rename("value")


@dataclass(frozen=True)
class ListSettings:
    """Who is valuable and who is at risk.

    Parameters
    ----------
    value_measure : {"net_revenue", "margin", "clv"}
    top_share : float
        Valuable = the top share of customers by value.
    overdue_factor : float
        Overdue = days since last purchase > factor x the customer's mean gap between purchases.
    """

    value_measure: str = "net_revenue"
    top_share: float = DEFAULT_TOP_SHARE
    overdue_factor: float = DEFAULT_OVERDUE_FACTOR

    def __post_init__(self) -> None:
        if not 0 < self.top_share <= 1:
            raise ValidationError("The share of valuable customers must be between 0% and 100%.")
        if self.overdue_factor <= 0:
            raise ValidationError("The overdue factor must be positive.")


LIST_COLUMNS = [
    "customer_id", "customer_name", "value", "value_rank", "orders", "net_revenue", "margin",
    "first_purchase", "last_purchase", "days_since_last", "mean_gap_days", "overdue_ratio",
    "p_alive", "status", "reason",
]  # fmt: skip


LIST_COLUMN_LABELS = {
    "customer_id": "Customer", "customer_name": "Name", "reason": "Why", "value": "Value",
    "value_rank": "Rank", "orders": "Orders", "net_revenue": "Net revenue", "margin": "Gross margin",
    "first_purchase": "First purchase", "last_purchase": "Last purchase",
    "days_since_last": "Days since last purchase", "mean_gap_days": "Usual gap (days)",
    "overdue_ratio": "× usual gap", "p_alive": "P(alive)", "status": "Status",
}  # fmt: skip
"""Column headings of the lists as people read them (screen and downloads)."""


def list_for_export(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """An at-risk or win-back list with readable headings, ready for CSV / Excel.

    The value column is named after the measure ('Net revenue'); the measure's own column, the
    same numbers under the same name, is left out rather than repeated. The reason comes right
    after the customer, as on screen.
    """
    if measure not in VALUE_MEASURES:
        raise ValidationError(
            f"Unknown value measure '{measure}'; choose {', '.join(VALUE_MEASURES)}."
        )
    columns = [c for c in LIST_COLUMN_LABELS if c in frame.columns and c != measure]
    labels = LIST_COLUMN_LABELS | {"value": VALUE_MEASURES[measure].capitalize()}
    return frame[columns].rename(columns=labels)


def action_lists(
    summary: pd.DataFrame,
    status: pd.DataFrame,
    rule: ChurnRule,
    settings: ListSettings = ListSettings(),
    clv: pd.Series | None = None,
    customers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The at-risk list and the win-back list, most valuable first, each row with its reason.

    At risk: valuable, not churned (too-new customers included), with P(alive) below the rule's threshold (when
    ``status`` has it; under the P(alive) rule such customers are churned instead) or overdue
    against their own rhythm. Win-back: valuable and churned.

    Returns
    -------
    (at_risk, win_back) : DataFrames with :data:`LIST_COLUMNS` (customer_name, margin and p_alive
    only when known).
    """
    value = customer_value(summary, settings.value_measure, clv)
    rank = value.rank(ascending=False, method="min")
    n = int(value.notna().sum())
    valuable = ((rank <= settings.top_share * n) & value.gt(0)).to_numpy()
    base = _list_base(
        summary[valuable], status[valuable], value[valuable], rank[valuable], customers
    )
    measure = VALUE_MEASURES[settings.value_measure]
    # Too-new customers are never churned, but they can already be slipping away.
    not_churned = base["status"] != CHURNED
    overdue = base["overdue_ratio"] > settings.overdue_factor
    low_alive = base["p_alive"] < rule.p_alive_threshold if "p_alive" in base else False
    at_risk = base[not_churned & (overdue | low_alive)].copy()
    at_risk["reason"] = _at_risk_reasons(at_risk, measure, n, settings, rule)
    win_back = base[base["status"] == CHURNED].copy()
    win_back["reason"] = _win_back_reasons(win_back, measure, n, rule)
    return _finish_list(at_risk), _finish_list(win_back)


def _list_base(
    summary: pd.DataFrame,
    status: pd.DataFrame,
    value: pd.Series,
    rank: pd.Series,
    customers: pd.DataFrame | None,
) -> pd.DataFrame:
    columns: dict[str, object] = {}
    if customers is not None and "customer_name" in customers:
        columns["customer_name"] = customers["customer_name"].reindex(summary.index)
    columns |= {
        "value": value,
        "value_rank": rank.astype(np.int64),
        "orders": summary["orders"],
        "net_revenue": summary["net_revenue"],
    }
    if summary["margin"].notna().any():
        columns["margin"] = summary["margin"]
    for column in ("first_purchase", "last_purchase", "days_since_last", "mean_gap_days", "status"):
        columns[column] = status[column]
    columns["overdue_ratio"] = status["days_since_last"] / status["mean_gap_days"]
    if "p_alive" in status:
        columns["p_alive"] = status["p_alive"]
    return pd.DataFrame(columns, index=summary.index)


def p_alive_text(p: float, threshold: float) -> str:
    """P(alive) as a percentage that reads as below the threshold it fell under ('49.6%', not
    '50%' against a 50% threshold) and never as a flat '0%' for a small positive chance."""
    if 0 < p < 0.005:
        return "under 1%"
    for decimals in (0, 1, 2):
        if round(p * 100, decimals) < threshold * 100:
            return formatting.pct(p, decimals)
    return formatting.pct(p, 3)


def _top(rank: int, n: int) -> str:
    """'top 1%' for the very best too (never 'top 0%')."""
    return f"top {max(math.ceil(100 * rank / max(n, 1)), 1)}%"


def _at_risk_reasons(
    rows: pd.DataFrame, measure: str, n: int, settings: ListSettings, rule: ChurnRule
) -> list[str]:
    reasons = []
    for r in rows.itertuples():
        parts = [f"{_top(r.value_rank, n).capitalize()} by {measure}"]
        if math.isfinite(r.overdue_ratio) and r.overdue_ratio > settings.overdue_factor:
            parts.append(
                f"overdue: {r.days_since_last:,} days since the last purchase, "
                f"{r.overdue_ratio:.1f}× their usual gap of {r.mean_gap_days:,.0f} days"
            )
        p = getattr(r, "p_alive", np.nan)
        if isinstance(p, float) and math.isfinite(p) and p < rule.p_alive_threshold:
            parts.append(f"P(alive) only {p_alive_text(p, rule.p_alive_threshold)}")
        reasons.append("; ".join(parts) + ".")
    return reasons


def _win_back_reasons(rows: pd.DataFrame, measure: str, n: int, rule: ChurnRule) -> list[str]:
    reasons = []
    for r in rows.itertuples():
        p = getattr(r, "p_alive", np.nan)
        why = (
            f"P(alive) {p_alive_text(p, rule.p_alive_threshold)}, {r.days_since_last:,} days since "
            "the last purchase"
            if rule.method == P_ALIVE and isinstance(p, float) and math.isfinite(p)
            else f"no purchase for {r.days_since_last:,} days (churn window {rule.window_days})"
        )
        reasons.append(
            f"Was {_top(r.value_rank, n)} by {measure} ({r.orders:,} orders); churned: {why}."
        )
    return reasons


def _finish_list(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.sort_values("value", ascending=False).reset_index()
    return out[[c for c in LIST_COLUMNS if c in out.columns]]


# --------------------------------------------------------------------------------------------
# Retention economics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionEconomics:
    """What a few points more annual retention are worth on the current customer base.

    Expected lifetime value of a customer paying margin m at the start of each year, kept with
    probability r per year, discounted at d: CLV = m (1 + d) / (1 + d - r).

    Attributes
    ----------
    table : DataFrame
        uplift_points, retention, clv_per_customer, uplift_per_customer, uplift_total.
    """

    annual_retention: float
    retention_source: str
    value_per_customer_year: float
    measure: str
    discount_rate: float
    active_customers: int
    base_clv: float
    table: pd.DataFrame
    formula: str = "CLV = m × (1 + d) / (1 + d − r)"


def lifetime_value(margin: float, retention: float, discount_rate: float) -> float:
    """m (1 + d) / (1 + d - r): the discounted sum of m r^t / (1 + d)^t over t = 0, 1, 2, ..."""
    if not 0 <= retention <= 1:
        raise ValidationError("Annual retention must be between 0% and 100%.")
    if discount_rate <= 0:
        raise ValidationError(
            "The discount rate must be above 0%: set it to your cost of capital, e.g. 10%."
        )
    return margin * (1 + discount_rate) / (1 + discount_rate - retention)


def retention_economics(
    annual_retention: float,
    value_per_customer_year: float,
    active_customers: int,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    uplift_points: tuple[int, ...] = DEFAULT_UPLIFT_POINTS,
    measure: str = "gross margin",
    retention_source: str = "",
) -> RetentionEconomics:
    """Value of +N points of annual retention: (CLV at r + N points - CLV at r) x active customers.

    Retention is capped at 100%.
    """
    base = lifetime_value(value_per_customer_year, annual_retention, discount_rate)
    rows = []
    for points in uplift_points:
        r = min(annual_retention + points / 100, 1.0)
        clv = lifetime_value(value_per_customer_year, r, discount_rate)
        rows.append((points, r, clv, clv - base, (clv - base) * active_customers))
    table = pd.DataFrame(
        rows,
        columns=[
            "uplift_points",
            "retention",
            "clv_per_customer",
            "uplift_per_customer",
            "uplift_total",
        ],
    )
    return RetentionEconomics(
        annual_retention, retention_source, value_per_customer_year, measure, discount_rate,
        int(active_customers), base, table,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Everything for the page, in one call
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionSettings:
    """The Retention page's settings.

    ``rule`` None (the default) means inactivity with the window the data suggests
    (:func:`gap_profile`), as the page starts: callers that don't choose a rule (the Scorecard,
    the report command) then get the same churn and annual retention as the page shows.
    """

    period: str = DEFAULT_PERIOD
    rule: ChurnRule | None = None
    grouping: str | None = ACQUISITION_YEAR
    lists: ListSettings = field(default_factory=ListSettings)
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    uplift_points: tuple[int, ...] = DEFAULT_UPLIFT_POINTS


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
    def counts(self) -> dict[str, int]:
        """Customers by status."""
        counts = self.status["status"].value_counts()
        return {s: int(counts.get(s, 0)) for s in (ACTIVE, CHURNED, TOO_NEW)}

    @property
    def longest_lifetime_days(self) -> float:
        """The longest lifetime followed (a median 'not reached' is beyond it)."""
        return float(self.status["lifetime_days"].max()) if len(self.status) else 0.0

    @property
    def churned_share(self) -> float | None:
        """Churned customers / customers old enough to tell."""
        judged = int(self.status["old_enough"].sum())
        return self.counts[CHURNED] / judged if judged else None


def clv_columns(clv: pd.DataFrame | None) -> tuple[pd.Series | None, pd.Series | None]:
    """P(alive) and CLV from the CLV page's result frame (columns 'p_alive' and 'clv...')."""
    if clv is None:
        return None, None
    p_alive = clv["p_alive"].astype(float) if "p_alive" in clv else None
    value_col = next((c for c in clv.columns if str(c).lower().startswith("clv")), None)
    return p_alive, (clv[value_col].astype(float) if value_col is not None else None)


def analyse_retention(
    transactions: pd.DataFrame,
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
    transactions, summary : DataFrame
        Canonical transactions and their :func:`cvm_core.intake.summary.customer_summary` (same
        observation end).
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
    _require(transactions, ("customer_id", "date", "revenue", "is_return"), "transactions")
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    p_alive, _ = clv_columns(clv)
    notes = []
    rule = settings.rule or ChurnRule(gap_profile(transactions, end).suggested_window_days)
    if rule.method == P_ALIVE and p_alive is None:
        notes.append("P(alive) is not available (fit the CLV model first); churn uses inactivity.")
        rule = replace(rule, method=INACTIVITY)
    status = churn_status(summary, rule, end, p_alive)
    cohorts, cohort_message = _cohorts_or_message(transactions, summary, settings.period, end)
    spells = activity_spells(transactions, rule.window_days, end, summary.index)
    groups = customer_groups(transactions, summary, customers, labelled=(segments, clv))
    tenure = profit_by_tenure(transactions, status, rule.window_days, end)
    rate, source = annual_retention(spells, status, end)
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
        tenure=tenure,
        annual_retention=rate,
        annual_retention_source=source,
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
        raise ValidationError("The period or churn rule changed: run the whole analysis again.")
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
        f"No customer has gone {rule.window_days} days without a purchase within the data, so "
        "nobody has lapsed yet. Shorten the churn window to see churn by period."
    )


def _cohorts_or_message(
    transactions: pd.DataFrame, summary: pd.DataFrame, period: str, end: pd.Timestamp
) -> tuple[CohortTables | None, str | None]:
    try:
        return cohort_tables(transactions, summary, period, end), None
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


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(f"The {what} lacks the column(s) {', '.join(missing)}.")


def _days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def _end_of(transactions: pd.DataFrame, observation_end: pd.Timestamp | str | None) -> pd.Timestamp:
    if observation_end is not None:
        return pd.Timestamp(observation_end)
    return pd.Timestamp(transactions["date"].max())


def _day(date: pd.Timestamp) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))
