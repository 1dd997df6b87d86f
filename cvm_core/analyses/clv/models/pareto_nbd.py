"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases while alive, an
exponential lifetime. Its likelihood (Fader & Hardie's 2005 note 009, eq. 18-20, as lifetimes
writes it) has no analytic gradient here: the optimiser differentiates it numerically."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import gammaln, hyp2f1

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
    def draw_alive_purchases(cls, params, x, age, horizon, rate, rng) -> np.ndarray:
        """Purchases within the remaining lifetime: mu ~ Gamma(s, beta + T) given survival to T,
        an exponential lifetime (memoryless), Poisson purchases while it lasts."""
        _, _, s, beta = params
        mu = rng.gamma(s, 1.0 / np.broadcast_to(beta + age, rate.shape))
        lifetime = rng.exponential(1.0 / np.maximum(mu, 1e-300))
        return rng.poisson(rate * np.minimum(lifetime, horizon))

    @classmethod
    def alive_purchases(cls, params, x, age, t, rate_factor, dropout_factor) -> np.ndarray:
        r, alpha, s, beta = params
        shape, rate = r + x, (alpha + age) / rate_factor
        with np.errstate(all="ignore"):
            return _pareto_alive(shape, rate, s, (beta + age) / dropout_factor, t)


def _pareto_loglik(params: np.ndarray, d: Scaled) -> float:
    """Weighted Pareto/NBD log-likelihood (note 009, eq. 18).

    Each term is computed once per distinct value it depends on: the gamma functions per
    frequency, the hypergeometric terms per (frequency, recency) and (frequency, T) pair. The
    optimiser evaluates this a few hundred times per fit (no analytic gradient), so that is what
    the comparison of models waits for.
    """
    r, alpha, s, beta = params
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a1 = (gammaln(r + d.ux) - gammaln(r))[d.x_code] + r * np.log(alpha) + s * np.log(beta)
        xT, xtx = d.x_T, d.x_tx
        dead_at_T = (-(r + xT.x) * np.log(alpha + xT.t) - s * np.log(beta + xT.t))[xT.code]
        log_a0 = _log_difference(
            _log_a0_term(params, xtx.x, xtx.t)[xtx.code], _log_a0_term(params, xT.x, xT.t)[xT.code]
        )
        a2 = np.logaddexp(dead_at_T, np.log(s) + log_a0 - np.log(r + s + d.x))
    return float(d.w @ (a1 + a2))


def _log_a0(params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """log A_0 of note 009, eq. (19)-(20)."""
    return _log_difference(_log_a0_term(params, x, tx), _log_a0_term(params, x, age))


def _log_a0_term(params: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """log of one term of A_0, 2F1(r+s+x, b; r+s+x+1; z(t)) / (high + t)^(r+s+x), written with
    the larger of alpha and beta so that the series argument z stays below 1."""
    r, alpha, s, beta = params
    if alpha < beta:
        low, high, second = alpha, beta, r + x
    else:
        low, high, second = beta, alpha, s + 1
    rsx = r + s + x
    return np.log(hyp2f1(rsx, second, rsx + 1.0, (high - low) / (high + t))) - rsx * np.log(
        high + t
    )


def _log_difference(log_a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """log(exp(log_a) - exp(log_b)) for log_a >= log_b (A_0's term at recency minus the one at
    T), without leaving log space. Equal terms (the last purchase at T) give log 0 = -inf: A_0 is
    zero then."""
    with np.errstate(divide="ignore"):
        return log_a + np.log(-np.expm1(log_b - log_a))


def _pareto_alive(shape, rate, s, beta, t) -> np.ndarray:
    """(shape/rate) * beta/(s-1) * (1 - (beta/(beta+t))^(s-1)); the limit beta*log(...) at s=1."""
    if abs(s - 1.0) < 1e-9:
        values = shape / rate * beta * np.log1p(t / beta)
    else:
        values = shape / rate * beta / (s - 1.0) * (1.0 - (beta / (beta + t)) ** (s - 1.0))
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
