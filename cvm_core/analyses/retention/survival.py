"""Survival: Kaplan-Meier curves of customer lifetimes, overall and per group, with the log-rank
test (:mod:`cvm_core.analyses.retention.kaplan_meier`; the same figures as lifelines).

A churned customer's lifetime ends when churn is declared (an observed event; see
:func:`cvm_core.analyses.retention.gaps.churn_status`); an active or too-new customer is still alive
at the observation end (censored there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.retention.days import require
from cvm_core.analyses.retention.kaplan_meier import KaplanMeier, kaplan_meier, logrank_test
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, _

MAX_CURVE_POINTS = 4000
CONFIDENCE = 0.95
DAYS_PER_MONTH = 365.25 / 12


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
) -> KaplanMeier:
    """Kaplan-Meier fit on (duration, event) counts instead of one row per customer: identical
    estimates and Greenwood bands, much less work at a million customers."""
    frame = pd.DataFrame({"d": np.asarray(durations, float), "e": np.asarray(events, bool)})
    counts = frame.value_counts().reset_index()
    return kaplan_meier(counts["d"], counts["e"], alpha, weights=counts["count"].to_numpy())


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
    require(status, ("lifetime_days", "event"), N_("churn status"))
    if status.empty:
        raise ValidationError(
            Message(N_("No customers to follow: the survival curve needs customers."))
        )
    labels = (
        pd.Series("All customers", index=status.index)
        if groups is None
        else groups.reindex(status.index).fillna("Unknown").astype(str)
    )
    curves, rows = [], []
    for name, members in status.groupby(labels, sort=True):
        kmf = fit_kaplan_meier(members["lifetime_days"], members["event"], 1 - confidence)
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
        statistic, p_value = logrank_test(
            counts["d"], counts["g"], counts["e"], weights=counts["count"].to_numpy()
        )
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
    median = fit_kaplan_meier(status["lifetime_days"], status["event"]).median
    return median if math.isfinite(median) else None


@dataclass(frozen=True)
class LifetimeProfile:
    """What a manager can use of the lifetimes: how many customers never came back, and how long
    the ones who did stay.

    Attributes
    ----------
    one_time_share : float
        Customers with a single purchase day so far, as a share of all customers.
    repeat_median_days : float or None
        Kaplan-Meier median lifetime of customers with two or more purchase days (None: more
        than half of them are still active at the longest lifetime followed).
    repeat_customers : int
    """

    one_time_share: float
    repeat_median_days: float | None
    repeat_customers: int

    def sentence(self) -> str:
        """E.g. '52% of customers have not come back after their first purchase; repeat buyers
        stay about 10 months (median).'"""
        once = formatting.pct(self.one_time_share, 0)
        if self.repeat_customers == 0:
            return _("{share} of customers have not come back after their first purchase.").format(
                share=once
            )
        if self.repeat_median_days is None:
            return _(
                "{share} of customers have not come back after their first purchase; more than "
                "half of the repeat buyers are still active."
            ).format(share=once)
        months = self.repeat_median_days / DAYS_PER_MONTH
        stay = (
            _("about {months}").format(months=formatting.counted(months, "month"))
            if months >= 2
            else formatting.counted(self.repeat_median_days, "day")
        )
        return _(
            "{share} of customers have not come back after their first purchase; repeat buyers "
            "stay {stay} (median)."
        ).format(share=once, stay=stay)


def lifetime_profile(status: pd.DataFrame) -> LifetimeProfile:
    """:class:`LifetimeProfile` of a :func:`churn_status` frame (repeat buyers: a mean gap)."""
    repeat = status["mean_gap_days"].notna().to_numpy()
    median = None
    if repeat.any():
        members = status.loc[repeat]
        found = fit_kaplan_meier(members["lifetime_days"], members["event"]).median
        median = found if math.isfinite(found) else None
    share = float((~repeat).mean()) if len(status) else 0.0
    return LifetimeProfile(share, median, int(repeat.sum()))


def _curve_frame(kmf: KaplanMeier, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"group": name, "days": kmf.timeline, "survival": kmf.survival, "lower": kmf.lower,
         "upper": kmf.upper}
    )  # fmt: skip


def _group_row(kmf: KaplanMeier, name: str, members: pd.DataFrame) -> dict:
    median = kmf.median
    longest = float(members["lifetime_days"].max())
    return {
        "group": name,
        "customers": len(members),
        "churned": int(members["event"].sum()),
        "median_days": median if math.isfinite(median) else np.nan,
        "survival_1y": kmf.at(365.0) if longest >= 365 else np.nan,
    }


def _thin(curves: pd.DataFrame, per_group: int) -> pd.DataFrame:
    """Keep at most ``per_group`` steps per curve (evenly spaced, first and last always kept)."""
    parts = []
    for _group, curve in curves.groupby("group", sort=False):
        if len(curve) > per_group:
            picks = np.unique(np.linspace(0, len(curve) - 1, max(per_group, 2)).round().astype(int))
            curve = curve.iloc[picks]
        parts.append(curve)
    return pd.concat(parts, ignore_index=True)


def logrank_reading(p_value: float | None, n_groups: int) -> str:
    """What a log-rank p-value means, in words a business user can act on."""
    if p_value is None or n_groups < 2:
        return _("Choose a grouping to compare how long different kinds of customers stay.")
    shown = "p < 0.001" if p_value < 0.001 else f"p = {formatting.number(p_value, 3)}"
    if p_value < 0.01:
        text = _(
            "The groups clearly differ in how long customers stay ({p}): a difference this large "
            "would almost never arise by chance. With many customers even small differences are "
            "detected, so judge the size of the gap between the curves too."
        )
    elif p_value < 0.05:
        text = _(
            "The groups probably differ in how long customers stay ({p}): a difference this large "
            "would arise by chance less than one time in twenty."
        )
    else:
        text = _(
            "No clear difference between the groups ({p}): the gaps between the curves could "
            "well be chance. Don't treat these groups differently on this evidence alone."
        )
    return text.format(p=shown)
