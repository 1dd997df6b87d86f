"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases while alive, an
exponential lifetime. Its likelihood (Fader & Hardie's 2005 note 009, eq. 18-20, as lifetimes
writes it) has no analytic gradient here: the optimiser differentiates it numerically."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import gammaln, hyp2f1, logsumexp

from cvm_core.analyses.clv.models.base import ModelSpec

if TYPE_CHECKING:
    from cvm_core.analyses.clv.likelihoods import Scaled


class ParetoNBD(ModelSpec):
    key = "pareto"
    label = "Pareto/NBD"
    parameter_names = ("r", "alpha", "s", "beta")
    time_parameters = (1, 3)
    analytic_gradient = False
    p_alive_on_unit_time = True

    @classmethod
    def p_alive(cls, params, x, tx, age) -> np.ndarray:
        """Note 009, eq. (36)-(37)."""
        r, alpha, s, beta = params
        log_a0 = _log_a0(params, x, tx, age)
        return 1.0 / (
            1.0
            + np.exp(
                np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + age)
                + s * np.log(beta + age) + log_a0
            )
        )  # fmt: skip

    @classmethod
    def loglik(cls, params: np.ndarray, d: Scaled) -> float:
        return _pareto_loglik(params, d)

    @classmethod
    def alive_purchases(cls, params, x, age, t, rate_factor, dropout_factor) -> np.ndarray:
        r, alpha, s, beta = params
        shape, rate = r + x, (alpha + age) / rate_factor
        with np.errstate(all="ignore"):
            return _pareto_alive(shape, rate, s, (beta + age) / dropout_factor, t)


def _pareto_loglik(params: np.ndarray, d: Scaled) -> float:
    """Weighted Pareto/NBD log-likelihood (note 009, eq. 18)."""
    r, alpha, s, beta = params
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a1 = gammaln(r + d.x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        a2 = np.logaddexp(
            -(r + d.x) * np.log(alpha + d.T) - s * np.log(beta + d.T),
            np.log(s) + _log_a0(params, d.x, d.tx, d.T) - np.log(r + s + d.x),
        )
    return float(d.w @ (a1 + a2))


def _log_a0(params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """log A_0 of note 009, eq. (19)-(20): the Gauss hypergeometric terms, written with the
    larger of alpha and beta so that the series argument stays below 1."""
    r, alpha, s, beta = params
    if alpha < beta:
        low, high, second = alpha, beta, r + x
    else:
        low, high, second = beta, alpha, s + 1
    gap = high - low
    rsx = r + s + x
    p1 = hyp2f1(rsx, second, rsx + 1.0, gap / (high + tx))
    q1 = high + tx
    p2 = hyp2f1(rsx, second, rsx + 1.0, gap / (high + age))
    q2 = high + age
    sign = np.ones(np.shape(x))
    return logsumexp(
        [np.log(p1) + rsx * np.log(q2), np.log(p2) + rsx * np.log(q1)], axis=0, b=[sign, -sign]
    ) - rsx * np.log(q1 * q2)


def _pareto_alive(shape, rate, s, beta, t) -> np.ndarray:
    """(shape/rate) * beta/(s-1) * (1 - (beta/(beta+t))^(s-1)); the limit beta*log(...) at s=1."""
    if abs(s - 1.0) < 1e-9:
        values = shape / rate * beta * np.log1p(t / beta)
    else:
        values = shape / rate * beta / (s - 1.0) * (1.0 - (beta / (beta + t)) ** (s - 1.0))
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
