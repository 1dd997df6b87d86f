"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases while alive, an
exponential lifetime. Its likelihood has no analytic gradient here (lifetimes' formula is used)."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from cvm_core.analyses.clv.backend import _lifetimes
from cvm_core.analyses.clv.models.base import ModelSpec

if TYPE_CHECKING:
    from cvm_core.analyses.clv.likelihoods import _Scaled


class ParetoNBD(ModelSpec):
    key = "pareto"
    label = "Pareto/NBD"
    parameter_names = ("r", "alpha", "s", "beta")
    time_parameters = (1, 3)
    analytic_gradient = False
    p_alive_on_unit_time = True

    @classmethod
    def lifetimes_fitter(cls, lifetimes: ModuleType) -> type:
        return lifetimes.ParetoNBDFitter

    @classmethod
    def loglik(cls, params: np.ndarray, d: _Scaled) -> float:
        return _pareto_loglik(params, d)

    @classmethod
    def alive_purchases(cls, params, x, age, t, rate_factor, dropout_factor) -> np.ndarray:
        r, alpha, s, beta = params
        shape, rate = r + x, (alpha + age) / rate_factor
        with np.errstate(all="ignore"):
            return _pareto_alive(shape, rate, s, (beta + age) / dropout_factor, t)


def _pareto_loglik(params: np.ndarray, d: _Scaled) -> float:
    """Weighted Pareto/NBD log-likelihood, by lifetimes' own formula."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = _lifetimes().ParetoNBDFitter._conditional_log_likelihood(params, d.x, d.tx, d.T)
    return float(d.w @ rows)


def _pareto_alive(shape, rate, s, beta, t) -> np.ndarray:
    """(shape/rate) * beta/(s-1) * (1 - (beta/(beta+t))^(s-1)); the limit beta*log(...) at s=1."""
    if abs(s - 1.0) < 1e-9:
        values = shape / rate * beta * np.log1p(t / beta)
    else:
        values = shape / rate * beta / (s - 1.0) * (1.0 - (beta / (beta + t)) ** (s - 1.0))
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
