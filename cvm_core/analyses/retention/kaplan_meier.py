"""Kaplan-Meier survival with exponential Greenwood bands, and the multivariate log-rank test,
written with numpy on (duration, event) counts.

They give lifelines' figures (tests compare them on the same data) without lifelines in the
app: lifelines brings matplotlib, fontTools and autograd-gamma (built from source at install)
for the two estimators the Retention page uses, about 85 MB of the install and 0.8 s of imports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc, ndtri


@dataclass(frozen=True)
class KaplanMeier:
    """A fitted survival curve: one value per time in ``timeline`` (0 and every duration)."""

    timeline: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def median(self) -> float:
        """The first time at which survival is at or below one half (inf: never within the data)."""
        below = np.flatnonzero(self.survival <= 0.5)
        return float(self.timeline[below[0]]) if below.size else float("inf")

    def at(self, time: float) -> float:
        """Survival at ``time`` (the step curve's value at the last timeline point before it)."""
        position = int(np.searchsorted(self.timeline, time, side="right")) - 1
        return float(self.survival[position]) if position >= 0 else 1.0


def _risk_table(durations: np.ndarray, events: np.ndarray, weights: np.ndarray):
    """Timeline (0 and the distinct durations), and at each time: at risk, events, removed."""
    timeline, position = np.unique(np.concatenate([[0.0], durations]), return_inverse=True)
    position = position[1:]
    removed = np.bincount(position, weights=weights, minlength=len(timeline))
    deaths = np.bincount(position, weights=weights * events, minlength=len(timeline))
    at_risk = weights.sum() - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    return timeline, at_risk, deaths


def kaplan_meier(
    durations, events, alpha: float = 0.05, weights: np.ndarray | None = None
) -> KaplanMeier:
    """Product-limit estimate with the exponential ("log-log") Greenwood band of level
    1 - ``alpha``, as lifelines' KaplanMeierFitter computes them."""
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool).astype(float)
    weights = np.ones(len(durations)) if weights is None else np.asarray(weights, dtype=float)
    timeline, at_risk, deaths = _risk_table(durations, events, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_survival = np.cumsum(np.log(at_risk - deaths) - np.log(at_risk))
        survival = np.exp(log_survival)
        variance = deaths / (at_risk * (at_risk - deaths))
        greenwood = np.cumsum(np.where(np.isinf(variance), 0.0, np.nan_to_num(variance)))
        z, v = ndtri(1 - alpha / 2), log_survival
        lower = np.exp(-np.exp(np.log(-v) - z * np.sqrt(greenwood) / v))
        upper = np.exp(-np.exp(np.log(-v) + z * np.sqrt(greenwood) / v))
    return KaplanMeier(
        timeline, survival, np.nan_to_num(lower, nan=1.0), np.nan_to_num(upper, nan=1.0)
    )


def logrank_test(
    durations, groups, events, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """Multivariate log-rank test that the groups' survival curves are equal: (chi-square
    statistic with groups - 1 degrees of freedom, p-value)."""
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool).astype(float)
    weights = np.ones(len(durations)) if weights is None else np.asarray(weights, dtype=float)
    labels, group = np.unique(np.asarray(groups), return_inverse=True)
    times, position = np.unique(durations, return_inverse=True)
    shape = (len(times), len(labels))
    removed = np.zeros(shape)
    deaths = np.zeros(shape)
    np.add.at(removed, (position, group), weights)
    np.add.at(deaths, (position, group), weights * events)
    at_risk = removed.sum(0) - np.vstack([np.zeros(len(labels)), np.cumsum(removed, 0)[:-1]])
    n, d = at_risk.sum(1), deaths.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = at_risk * (d / n)[:, None]
        factor = np.nan_to_num((n - d) / (n - 1), nan=1.0, posinf=1.0, neginf=1.0) * d / n**2
    observed_minus_expected = (deaths - np.nan_to_num(expected)).sum(0)
    scaled = at_risk * np.sqrt(np.nan_to_num(factor))[:, None]
    covariance = np.diag((at_risk * np.nan_to_num(factor * n)[:, None]).sum(0)) - scaled.T @ scaled
    keep = slice(0, len(labels) - 1)
    statistic = float(
        observed_minus_expected[keep]
        @ np.linalg.pinv(covariance[keep, keep])
        @ observed_minus_expected[keep]
    )
    return statistic, float(chdtrc(len(labels) - 1, statistic))
