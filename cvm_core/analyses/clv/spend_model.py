"""The Gamma-Gamma spend model: expected spend per purchase from a customer's frequency and mean
spend (Fader, Hardie & Lee 2005), with an analytic gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from cvm_core.analyses.clv.backend import single_blas_thread
from cvm_core.analyses.clv.constants import PENALIZER_STEPS
from cvm_core.analyses.clv.likelihoods import LOG_BOUND, minimise
from cvm_core.errors import ModelError
from cvm_core.i18n import N_, Message

SPEND_PARAMETER_NAMES = ("p", "q", "gamma")
MIN_SPEND_CUSTOMERS = 10
"""Repeat buyers with positive mean spend needed by the spend model."""
SPEND_Q_MIN = 1.01
"""Lower bound of the Gamma-Gamma q: the population mean spend p*gamma/(q-1) needs q > 1."""


# ---------------------------------------------------------------------------------------------
# Spend model
# ---------------------------------------------------------------------------------------------


class SpendModel:
    """Gamma-Gamma model of the mean spend per repeat purchase.

    Only repeat buyers with a positive mean spend can be fitted; the others (a customer whose
    returns outweigh their repeat purchases) are counted in ``excluded_`` and predicted with their
    mean spend clipped at zero, so no prediction is negative. ``q`` is kept above
    :data:`SPEND_Q_MIN` (lifetimes' ``q_constraint``) so the population mean spend exists.

    Attributes
    ----------
    params_ : Series
        p, q, gamma (lifetimes calls gamma ``v``).
    n_customers_, excluded_ : int
    log_likelihood_ : float
    notes_ : tuple of str
    """

    def __init__(self, penalizer_coef: float = 0.0, random_state: int | None = 0):
        self.penalizer_coef = penalizer_coef
        self.random_state = random_state

    def fit(self, summary: pd.DataFrame) -> SpendModel:
        """Fit to repeat buyers (frequency > 0) with a positive ``monetary_value``."""
        x = summary["frequency"].to_numpy(dtype=float)
        m = summary["monetary_value"].to_numpy(dtype=float)
        repeat = x > 0
        usable = repeat & (m > 0) & np.isfinite(m)
        self.excluded_ = int((repeat & ~usable).sum())
        if usable.sum() < MIN_SPEND_CUSTOMERS:
            raise ModelError(
                Message(
                    N_("Only {buyers} repeat buyers have a positive spend; the spend model needs "
                       "at least {minimum}. Check the revenue column and returns."),
                    buyers=int(usable.sum()), minimum=MIN_SPEND_CUSTOMERS,
                )
            )  # fmt: skip
        x, m = x[usable], m[usable]
        for penalizer in [self.penalizer_coef] + [
            p for p in PENALIZER_STEPS if p > self.penalizer_coef
        ]:
            with single_blas_thread():
                theta = self._optimise(x, m, penalizer)
            if theta is not None:
                break
        else:
            raise ModelError(Message(N_("The spend model could not be fitted to this data.")))
        self.params_ = pd.Series(np.exp(theta), index=SPEND_PARAMETER_NAMES)
        self.log_likelihood_ = float(_gg_loglik(np.exp(theta), _SpendData.build(x, m))[0])
        self.n_customers_ = int(usable.sum())
        self.penalizer_coef_ = penalizer
        self.notes_ = self._notes(penalizer)
        return self

    def _optimise(self, x: np.ndarray, m: np.ndarray, penalizer: float) -> np.ndarray | None:
        bounds = [(-LOG_BOUND, LOG_BOUND), (np.log(SPEND_Q_MIN), LOG_BOUND), (-30.0, 30.0)]
        # Start where the population mean spend p * gamma / (q - 1) equals the observed mean.
        start = np.log([2.0, 3.0, max(float(np.mean(m)), 1e-6)])
        result = minimise(_gg_objective(_SpendData.build(x, m), penalizer), start, True, bounds)
        ok = np.isfinite(result.fun) and result.fun < 1e10
        ok = ok and bool(np.all(np.abs(result.x[:2]) < LOG_BOUND - 1e-6))
        return result.x if ok and (result.success or np.max(np.abs(result.jac)) < 1e-5) else None

    def _notes(self, penalizer: float) -> tuple[str, ...]:
        notes = []
        if self.excluded_:
            notes.append(
                Message(
                    N_("{n} repeat buyers were left out of the spend model because their returns "
                       "outweigh their repeat purchases (mean repeat spend of zero or less); their "
                       "expected spend leans on the average customer, scaled down by their own "
                       "record."),
                    n=int(self.excluded_),
                )
            )  # fmt: skip
        if penalizer > self.penalizer_coef:
            notes.append(
                Message(
                    N_("The spend model was refitted with a penalty of {penalty} to converge."),
                    penalty=f"{penalizer:g}",
                )
            )
        return tuple(notes)

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Expected spend per future purchase (Gamma-Gamma conditional mean, never negative)."""
        x, m = spend_history(summary)
        values = conditional_spend(self.params_.to_numpy(dtype=float), x, m)
        return pd.Series(values, index=summary.index, name="expected_spend")

    def information(self, summary: pd.DataFrame) -> np.ndarray:
        """Observed information of the fitted log-parameters (log p, log q, log gamma) from the
        repeat buyers the model was fitted to (``summary``); its inverse is their covariance."""
        from cvm_core.analyses.clv.likelihoods import numeric_hessian

        x, m = spend_history(summary)
        usable = (x > 0) & (m > 0)
        objective = _gg_objective(_SpendData.build(x[usable], m[usable]), self.penalizer_coef_)
        theta = np.log(self.params_.to_numpy(dtype=float))
        return numeric_hessian(objective, theta, True) * float(usable.sum())


def spend_history(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's repeat purchases and mean repeat spend (never negative)."""
    x = summary["frequency"].to_numpy(dtype=float)
    m = np.clip(np.nan_to_num(summary["monetary_value"].to_numpy(dtype=float)), 0.0, None)
    return x, m


def conditional_spend(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Gamma-Gamma's expected spend per purchase of customers with ``x`` repeat purchases of mean
    ``m``: their own mean and the population's, weighted by how much their record says."""
    p, q, gamma = params
    own = p * x / (p * x + q - 1.0)
    return (1.0 - own) * (p * gamma / (q - 1.0)) + own * m


@dataclass(frozen=True)
class _SpendData:
    x: np.ndarray
    m: np.ndarray
    ux: np.ndarray
    nx: np.ndarray
    sum_log_m: float
    sum_x_log_m: float

    @classmethod
    def build(cls, x: np.ndarray, m: np.ndarray) -> _SpendData:
        codes, ux = pd.factorize(x)
        log_m = np.log(m)
        return cls(x, m, ux, np.bincount(codes).astype(float), float(log_m.sum()), float(x @ log_m))


def _gg_loglik(params: np.ndarray, d: _SpendData) -> tuple[float, np.ndarray]:
    """Gamma-Gamma log-likelihood (lifetimes' formula) and gradient; per-frequency terms once."""
    p, q, v = params
    ux, nx = d.ux, d.nx
    px = p * ux
    per_x = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + px * np.log(ux)
    log_xmv = np.log(d.x * d.m + v)
    total = nx @ per_x + p * d.sum_x_log_m - d.sum_log_m - p * (d.x @ log_xmv) - q * log_xmv.sum()
    grad = np.array(
        [
            nx @ (ux * (digamma(px + q) - digamma(px) + np.log(ux)))
            + d.sum_x_log_m
            - d.x @ log_xmv,
            nx @ (digamma(px + q) - digamma(q) + np.log(v)) - log_xmv.sum(),
            nx.sum() * q / v - ((p * d.x + q) / (d.x * d.m + v)).sum(),
        ]
    )
    return float(total), grad


def _gg_objective(d: _SpendData, penalizer: float) -> Callable:
    n = d.nx.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            value, grad = _gg_loglik(params, d)
        value = -value / n + penalizer * (params**2).sum()
        grad = (-grad / n + 2 * penalizer * params) * params
        if not np.isfinite(value) or not np.isfinite(grad).all():
            return 1e10, np.zeros_like(theta)
        return value, grad

    return objective
