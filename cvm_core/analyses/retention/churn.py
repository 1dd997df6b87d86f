"""Churn rates: churned share per acquisition period and per customer group (segment, channel, tier,
acquisition year), and annual retention measured over the observation window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.analyses.retention.cohorts import (
    DEFAULT_PERIOD,
    distinct,
    last_complete_ordinal,
    ordinal_to_period,
    period_labels,
    period_ordinals,
)
from cvm_core.analyses.retention.days import require
from cvm_core.analyses.retention.defaults import ACQUISITION_YEAR, CHURNED
from cvm_core.analyses.segments.defaults import NOT_RECORDED
from cvm_core.analyses.sources import TransactionSource, source_of
from cvm_core.i18n import N_, Date, Message

MIN_RETENTION_HORIZON_DAYS = 56
"""Annual retention is measured over at least this many days (8 weeks) before annualising."""
MAX_GROUP_LEVELS = 8
"""Groupings keep their largest levels and lump the rest into 'Other'."""
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
LABELLED_GROUPINGS = {"rfm_segment": "RFM segment", "cluster": "Cluster", "tier": "CLV tier"}
"""Columns of the Segments page's and the CLV model's per-customer results used as groupings."""


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
    require(spells, ("start", "lapse"), N_("activity spells"))
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
    transactions: pd.DataFrame | TransactionSource,
    summary: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    max_levels: int = MAX_GROUP_LEVELS,
    labelled: tuple[pd.DataFrame | None, ...] = (),
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Groupings to compare churn and survival by, one column each, indexed like ``summary``.

    Acquisition year (of the first purchase); main channel (the channel with the most purchase
    revenue per customer) when the transactions carry a channel; the customer table's
    categorical columns (acquisition channel, region, industry, other attributes with at most 50
    distinct values); and, from the frames in ``labelled`` (the Segments page's and the CLV
    model's results, by customer_id), the columns of :data:`LABELLED_GROUPINGS` (RFM segment,
    cluster, CLV tier). Each keeps its ``max_levels - 1`` largest levels plus 'Other'. The main
    channel counts purchases up to ``end`` (default: all), as on the Segments page.
    """
    out = pd.DataFrame(index=summary.index)
    out[ACQUISITION_YEAR] = summary["first_purchase"].dt.year.astype(str)
    channels = source_of(transactions).main_channel(summary.index, end)
    if channels is not None:
        # Segments' and the Scorecard's definition, so a customer is in one channel everywhere.
        out[MAIN_CHANNEL] = channels.where(channels != NOT_RECORDED, None).rename(None)
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

    Measured directly over 365 days whenever the history reaches back a year plus
    MIN_RETENTION_HORIZON_DAYS (so there are customers a year ago to follow): annualising a shorter
    look-back assumes customers leave at a constant rate, and they do not (most leave early; on
    CDNOW, with a 196-day window, half the history annualised gave 32.2% where the year measured
    gives 22.8%). With a shorter
    history the share is measured over the second half of it (h days) and annualised as
    share^(365 / h); below MIN_RETENTION_HORIZON_DAYS of look-back none is given.

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
    span = int((observation_end - first).days)
    horizon = 365 if span >= 365 + MIN_RETENTION_HORIZON_DAYS else min(365, span // 2)
    since = observation_end - pd.Timedelta(days=horizon)
    covering = (spells["start"] <= since) & ~(spells["lapse"] <= since)
    on_books = distinct(spells.loc[covering, "customer"].to_numpy())
    if horizon < MIN_RETENTION_HORIZON_DAYS or on_books.size == 0:
        weeks = 2 * MIN_RETENTION_HORIZON_DAYS // 7
        return None, Message(
            N_("not measurable: it needs at least {weeks} weeks of history"), weeks=weeks
        )
    kept = int((status["status"].to_numpy()[on_books] != CHURNED).sum()) / on_books.size
    # Messages: the result is cached across languages; the page shows them in the one on screen.
    customers, since = int(on_books.size), Date(since)
    if horizon == 365:
        return kept, Message(
            N_("of the {customers} customers active on {since}, the share still active a year "
               "later"),
            customers=customers, since=since,
        )  # fmt: skip
    return kept ** (365 / horizon), Message(
        N_("of the {customers} customers active on {since}, the share still active {days} days "
           "later, annualised (less than a year of history to look back on)"),
        customers=customers, since=since, days=horizon,
    )  # fmt: skip
