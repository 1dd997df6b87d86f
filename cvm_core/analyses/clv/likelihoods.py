"""Log-likelihoods of BG/NBD, MBG/NBD and Pareto/NBD on time scaled so the oldest customer has T = 1
(as lifetimes does), with analytic gradients where they exist, and the optimiser around them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from cvm_core.analyses.clv.backend import _lifetimes
from cvm_core.analyses.clv.constants import _LOG_BOUND
from cvm_core.analyses.clv.histories import HistoryRows

# ---------------------------------------------------------------------------------------------
# Likelihoods (on time scaled so the oldest customer has T = 1, as lifetimes does)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scaled:
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

    @classmethod
    def from_rows(cls, rows: HistoryRows, scale: float) -> _Scaled:
        x = rows.frequency.astype(float)
        x_code, ux = pd.factorize(x)
        T_code, uT = pd.factorize(rows.T * scale)
        tx_code, utx = pd.factorize(rows.recency * scale)
        wx = np.bincount(x_code, weights=rows.weights, minlength=len(ux))
        return cls(
            x, rows.recency * scale, rows.T * scale, rows.weights, scale, ux, wx, x_code,
            np.asarray(uT, dtype=float), T_code, np.asarray(utx, dtype=float), tx_code,
            rows.weights * x,
        )  # fmt: skip


def _bg_loglik(params: np.ndarray, d: _Scaled, modified: bool) -> tuple[float, np.ndarray]:
    """Weighted BG/NBD (``modified``: MBG/NBD) log-likelihood and its gradient in the parameters.

    Per row: A3 = -(r+x) log(alpha+T) and, for the "left after the last purchase" branch,
    A4 - A3 = c(x) + (r+x) (log(alpha+T) - log(alpha+t_x)), with c(x) = log a - log(b+x-1)
    (BG/NBD, only x > 0) or log a - log(b+x) (MBG/NBD, where leaving is also possible right after
    the first purchase). The row log-likelihood is A3 + softplus(A4 - A3) plus terms in x alone.
    """
    r, alpha, a, b = params
    ux, wx, extra = d.ux, d.wx, 1.0 if modified else 0.0
    per_x = (
        gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + gammaln(a + b)
        + gammaln(b + ux + extra) - gammaln(b) - gammaln(a + b + ux + extra)
    )  # fmt: skip
    grad = np.array(
        [
            wx @ (digamma(r + ux) - digamma(r) + np.log(alpha)),
            wx.sum() * r / alpha,
            wx @ (digamma(a + b) - digamma(a + b + ux + extra)),
            wx
            @ (digamma(a + b) + digamma(b + ux + extra) - digamma(b) - digamma(a + b + ux + extra)),
        ]
    )
    b_x = b + ux - (0.0 if modified else 1.0)  # b+x-1 (BG) or b+x (MBG)
    if modified:
        c = np.log(a) - np.log(b_x)
    else:
        c = np.where(ux > 0, np.log(a) - np.log(np.where(ux > 0, b_x, 1.0)), -np.inf)
    log_T, log_tx = np.log(alpha + d.uT)[d.T_code], np.log(alpha + d.utx)[d.tx_code]
    inv_T, inv_tx = (1.0 / (alpha + d.uT))[d.T_code], (1.0 / (alpha + d.utx))[d.tx_code]
    gap = log_T - log_tx
    rx = r + d.x
    diff = c[d.x_code] + rx * gap
    e = np.exp(-np.abs(diff))
    softplus = np.maximum(diff, 0.0) + np.log1p(e)
    share = np.where(diff > 0, 1.0 / (1.0 + e), e / (1.0 + e))
    w, ws = d.w, d.w * share
    w_rx = r * d.w + d.wx_rows
    ws_rx = ws * rx
    total = wx @ per_x - w_rx @ log_T + w @ softplus
    grad += np.array(
        [
            -(w @ log_T) + ws @ gap,
            -(w_rx @ inv_T) + ws_rx @ (inv_T - inv_tx),
            ws.sum() / a,
            -(np.bincount(d.x_code, ws, len(ux)) @ (1.0 / np.where(b_x > 0, b_x, 1.0))),
        ]
    )
    return float(total), grad


def _pareto_loglik(params: np.ndarray, d: _Scaled) -> float:
    """Weighted Pareto/NBD log-likelihood, by lifetimes' own formula."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = _lifetimes().ParetoNBDFitter._conditional_log_likelihood(params, d.x, d.tx, d.T)
    return float(d.w @ rows)


def _loglik(model: str, params: np.ndarray, d: _Scaled) -> float:
    if model == "pareto":
        return _pareto_loglik(params, d)
    return float(_bg_loglik(params, d, model == "mbgnbd")[0])


def _objective(model: str, d: _Scaled, penalizer: float) -> tuple[Callable, bool]:
    """Mean negative log-likelihood (plus lifetimes' L2 penalty) in log-parameters."""
    total_weight = d.w.sum()
    if model == "pareto":

        def pareto(theta: np.ndarray) -> float:
            params = np.exp(theta)
            value = -_pareto_loglik(params, d) / total_weight + penalizer * (params**2).sum()
            return value if np.isfinite(value) else 1e10

        return pareto, False

    def bg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            value, grad = _bg_loglik(params, d, model == "mbgnbd")
        value = -value / total_weight + penalizer * (params**2).sum()
        grad = (-grad / total_weight + 2 * penalizer * params) * params
        if not np.isfinite(value) or not np.isfinite(grad).all():
            return 1e10, np.zeros_like(theta)
        return value, grad

    return bg, True


def _minimise(function: Callable, start: np.ndarray, jac: bool, bounds: list | None = None):
    """L-BFGS-B on log-parameters. With numerical gradients (Pareto/NBD) the tolerances are
    tighter: its flat likelihood otherwise stops a few units in the fourth digit short (alpha
    10.5771 instead of 10.5777 on CDNOW)."""
    bounds = bounds or [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    tolerance = {"ftol": 1e-12, "gtol": 1e-7} if jac else {"ftol": 1e-15, "gtol": 1e-9}
    return minimize(
        function,
        start,
        jac=jac,
        method="L-BFGS-B",
        bounds=bounds,
        options={**tolerance, "maxiter": 2000, "maxfun": 20000},
    )


def _converged(result, bounds: list | None = None) -> bool:
    """Whether the optimiser reached an interior optimum.

    L-BFGS-B sometimes stops with an imprecise line search right at the optimum; a small gradient
    then still counts as converged. Parameters on the +-15 log bound mean 0 or infinity: failure.
    """
    if not np.isfinite(result.fun) or result.fun >= 1e10 or not np.isfinite(result.x).all():
        return False
    if np.any(np.abs(result.x) >= _LOG_BOUND - 1e-6):
        return False
    return bool(result.success) or float(np.max(np.abs(result.jac))) < 1e-5


def _subsample(rows: HistoryRows, size: int, random_state: int | None) -> HistoryRows:
    """``size`` customers drawn with replacement, as distinct rows with counts."""
    rng = np.random.default_rng(random_state)
    counts = rng.multinomial(size, rows.weights / rows.weights.sum()).astype(float)
    keep = counts > 0
    return HistoryRows(
        rows.frequency[keep], rows.recency[keep], rows.T[keep], counts[keep], np.empty(0, np.int64)
    )
