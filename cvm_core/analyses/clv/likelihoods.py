"""Log-likelihoods of BG/NBD, MBG/NBD and Pareto/NBD on time scaled so the oldest customer has T = 1
(as lifetimes does), with analytic gradients where they exist, and the optimiser around them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from cvm_core.analyses.clv.histories import HistoryRows
from cvm_core.analyses.clv.models import MODEL_SPECS

LOG_BOUND = 15.0  # log-parameters beyond +-15 mean the optimiser ran off to 0 or infinity
IDENTIFIABLE_LOG = 9.0
"""A fitted log-parameter (time scaled to [0, 1]) beyond +-9, a factor of 8,100 from 1, means
the data cannot pin it down: the likelihood is flat in that direction (r and alpha running off
together when buyers hardly differ, a or b to 0 when nobody seems to drop out). Well-determined
fits stay far inside (CDNOW: within +-2.7 for all three models)."""


FLAT_STANDARD_ERROR = 5.0
"""A log-parameter whose standard error (from the likelihood's curvature) exceeds this, a 95%
interval wider than a factor of e^20, is not pinned down by the data: the optimiser stopped
somewhere on a ridge (Pareto/NBD's s and beta growing together when nobody seems to drop out)."""


def identifiable(theta: np.ndarray) -> bool:
    """Whether every fitted log-parameter is inside :data:`IDENTIFIABLE_LOG`."""
    return bool(np.all(np.abs(theta) < IDENTIFIABLE_LOG))


def on_flat_ridge(objective: Callable, theta: np.ndarray, jac: bool, n_customers: float) -> bool:
    """Whether the likelihood is flat in some direction at ``theta``: a log-parameter's standard
    error above :data:`FLAT_STANDARD_ERROR`. ``objective`` is the mean negative log-likelihood of
    :func:`log_space_objective`; its curvature, by central differences, times the number of
    customers is the observed information."""
    try:
        variances = np.diag(np.linalg.inv(numeric_hessian(objective, theta, jac) * n_customers))
    except np.linalg.LinAlgError:
        return True
    return bool(np.any(~(variances < FLAT_STANDARD_ERROR**2)))


def numeric_hessian(objective: Callable, theta: np.ndarray, jac: bool) -> np.ndarray:
    """The curvature of ``objective`` (returning the value, or (value, gradient) when ``jac``) at
    ``theta``, by central differences of its gradient (else of its values). Times the number of customers, a mean
    negative log-likelihood's is the observed information: its inverse is the covariance of the
    fitted log-parameters."""
    step, size = 1e-3, len(theta)
    if jac:  # central differences of the analytic gradient: 2 evaluations per parameter
        columns = [
            (objective(theta + e)[1] - objective(theta - e)[1]) / (2 * step)
            for e in np.eye(size) * step
        ]
        hessian = np.column_stack(columns)
        return (hessian + hessian.T) / 2
    value = objective
    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(i, size):
            e_i, e_j = np.eye(size)[i] * step, np.eye(size)[j] * step
            hessian[i, j] = hessian[j, i] = (
                value(theta + e_i + e_j) - value(theta + e_i - e_j)
                - value(theta - e_i + e_j) + value(theta - e_i - e_j)
            ) / (4 * step * step)  # fmt: skip
    return hessian


# ---------------------------------------------------------------------------------------------
# Likelihoods (on time scaled so the oldest customer has T = 1, as lifetimes does)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pairs:
    """Distinct (frequency, time) pairs of the rows and each row's pair: Pareto/NBD's
    hypergeometric terms depend on a frequency and one time only, so they are computed once per
    pair (about half the rows on 700k transactions)."""

    x: np.ndarray
    t: np.ndarray
    code: np.ndarray  # each row's pair

    @classmethod
    def of(cls, x_code, ux, t_code, ut) -> Pairs:
        code, combined = pd.factorize(x_code.astype(np.int64) * len(ut) + t_code)
        combined = np.asarray(combined)
        return cls(
            np.asarray(ux, dtype=float)[combined // len(ut)],
            np.asarray(ut, dtype=float)[combined % len(ut)],
            code,
        )


@dataclass(frozen=True)
class Scaled:
    """Distinct histories on scaled time, laid out for fast likelihoods: each row points into the
    distinct frequencies, ages and recencies, so logarithms are taken once per distinct value."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray
    scale: float
    ux: np.ndarray  # distinct frequencies
    wx: np.ndarray  # customers per distinct frequency
    x_code: np.ndarray
    uT: np.ndarray
    T_code: np.ndarray
    utx: np.ndarray
    tx_code: np.ndarray
    wx_rows: np.ndarray  # w * x per row
    x_T: Pairs  # distinct (frequency, T) pairs
    x_tx: Pairs  # distinct (frequency, recency) pairs

    @classmethod
    def from_rows(cls, rows: HistoryRows, scale: float) -> Scaled:
        x = rows.frequency.astype(float)
        x_code, ux = pd.factorize(x)
        T_code, uT = pd.factorize(rows.T * scale)
        tx_code, utx = pd.factorize(rows.recency * scale)
        wx = np.bincount(x_code, weights=rows.weights, minlength=len(ux))
        return cls(
            x, rows.recency * scale, rows.T * scale, rows.weights, scale, ux, wx, x_code,
            np.asarray(uT, dtype=float), T_code, np.asarray(utx, dtype=float), tx_code,
            rows.weights * x, Pairs.of(x_code, ux, T_code, uT), Pairs.of(x_code, ux, tx_code, utx),
        )  # fmt: skip


def weighted_loglik(model: str, params: np.ndarray, d: Scaled) -> float:
    return float(MODEL_SPECS[model].loglik(params, d))


def log_space_objective(model: str, d: Scaled, penalizer: float) -> tuple[Callable, bool]:
    """Mean negative log-likelihood (plus lifetimes' L2 penalty) in log-parameters."""
    total_weight = d.w.sum()
    spec = MODEL_SPECS[model]
    if not spec.analytic_gradient:

        def numeric(theta: np.ndarray) -> float:
            params = np.exp(theta)
            value = -spec.loglik(params, d) / total_weight + penalizer * (params**2).sum()
            return value if np.isfinite(value) else 1e10

        return numeric, False

    def analytic(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            value, grad = spec.loglik_and_gradient(params, d)
        value = -value / total_weight + penalizer * (params**2).sum()
        grad = (-grad / total_weight + 2 * penalizer * params) * params
        if not np.isfinite(value) or not np.isfinite(grad).all():
            return 1e10, np.zeros_like(theta)
        return value, grad

    return analytic, True


def minimise(
    function: Callable,
    start: np.ndarray,
    jac: bool,
    bounds: list | None = None,
    near_optimum: bool = False,
):
    """L-BFGS-B on log-parameters. With numerical gradients (Pareto/NBD) the tolerances are
    tighter: its flat likelihood otherwise stops a few units in the fourth digit short (alpha
    10.5771 instead of 10.5777 on CDNOW) when it starts far away. ``near_optimum``: the start
    is a fit of nearly the same data (the calibration period's, for the whole period); from
    there the usual tolerances reach the optimum to ~1e-6 relative, while the tight ones spend
    two thirds of the evaluations on line searches that no longer move (65 instead of 190)."""
    bounds = bounds or [(-LOG_BOUND, LOG_BOUND)] * len(start)
    tight = not jac and not near_optimum
    tolerance = {"ftol": 1e-15, "gtol": 1e-9} if tight else {"ftol": 1e-12, "gtol": 1e-7}
    return minimize(
        function,
        start,
        jac=jac,
        method="L-BFGS-B",
        bounds=bounds,
        options={**tolerance, "maxiter": 2000, "maxfun": 20000},
    )


def reached_optimum(result, bounds: list | None = None) -> bool:
    """Whether the optimiser reached an interior optimum.

    L-BFGS-B sometimes stops with an imprecise line search right at the optimum; a small gradient
    then still counts as converged. Parameters on the +-15 log bound mean 0 or infinity: failure.
    """
    if not np.isfinite(result.fun) or result.fun >= 1e10 or not np.isfinite(result.x).all():
        return False
    if np.any(np.abs(result.x) >= LOG_BOUND - 1e-6):
        return False
    return bool(result.success) or float(np.max(np.abs(result.jac))) < 1e-5


def subsample_histories(rows: HistoryRows, size: int, random_state: int | None) -> HistoryRows:
    """``size`` customers drawn with replacement, as distinct rows with counts."""
    rng = np.random.default_rng(random_state)
    counts = rng.multinomial(size, rows.weights / rows.weights.sum()).astype(float)
    keep = counts > 0
    return HistoryRows(
        rows.frequency[keep], rows.recency[keep], rows.T[keep], counts[keep], np.empty(0, np.int64)
    )
