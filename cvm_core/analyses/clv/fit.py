"""Customer lifetime value with "buy till you die" models, validated on a holdout period.

Transactions: BG/NBD (Fader, Hardie & Lee 2005, the default), Pareto/NBD (Schmittlein, Morrison &
Colombo 1987) and MBG/NBD (Batislam, Denizel & Filiztekin 2007). Spend per purchase: Gamma-Gamma
(Fader, Hardie & Lee 2005; Fader & Hardie 2013). The ``lifetimes`` package sits underneath and is
imported here only (lazily, with its global side effects undone, see :func:`_lifetimes`).

Speed. Every model depends on a customer only through (frequency, recency, T), and the spend model
through (frequency, mean spend). The likelihoods are evaluated on the distinct histories with
weights; terms that depend on frequency alone (the log-gamma functions) once per distinct
frequency; predictions on distinct rows and broadcast back. BG/NBD, MBG/NBD and Gamma-Gamma are
optimised with analytic gradients (lifetimes' own autograd gradient and Hessian take seconds per
million customers); Pareto/NBD minimises lifetimes' likelihood with numerical gradients. Above
:data:`SUBSAMPLE_ABOVE` distinct rows a random subsample (``random_state``) gives the starting point,
so the full-data optimisation only polishes. Tests check every likelihood and prediction against
lifetimes and the published CDNOW estimates.

CLV. Expected purchases of a customer in the next ``t`` periods are P(alive) times the expected
purchases of a customer known to be alive, whose purchase rate and drop-out propensity follow their
posterior distributions (BG/NBD: lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x); MBG/NBD:
p ~ Beta(a, b + x + 1); Pareto/NBD: mu ~ Gamma(s, beta + T)). Monthly increments of that expectation,
times expected spend and margin, are discounted at the annual rate::

    CLV = margin * E[spend] * P(alive) * sum_{m=1..H} (E_m - E_(m-1)) / (1 + d) ** (m / 12)

where E_m is the alive-customer expectation up to m months from the observation end. Keeping the
posterior explicit is what lets :mod:`cvm_core.analyses.clv.scenario` change retention or purchase frequency.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from cvm_core.analyses.clv import tiers as tiering
from cvm_core.errors import ModelError, ValidationError
from cvm_core.intake.summary import UNIT_DAYS, customer_summary

MODELS: dict[str, str] = {"bgnbd": "BG/NBD", "pareto": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
"""Transaction models: key -> display name."""

PARAMETER_NAMES: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
}
SPEND_PARAMETER_NAMES = ("p", "q", "gamma")

DEFAULT_MODEL = "bgnbd"
MIN_CUSTOMERS = 100
"""Fewer customers than this give no meaningful population estimates."""
MIN_REPEAT_CUSTOMERS = 20
"""Repeat buyers needed to estimate purchase rates and drop-out."""
MIN_SPEND_CUSTOMERS = 10
"""Repeat buyers with positive mean spend needed by the spend model."""
PENALIZER_STEPS: tuple[float, ...] = (0.0, 0.001, 0.01, 0.1, 1.0)
"""Penalties on the (time-scaled) parameters, tried in turn when an optimisation fails."""
SUBSAMPLE_ABOVE = 100_000
"""Distinct rows above which a subsample fit provides the starting point."""
SUBSAMPLE_SIZE = 50_000
COMPARE_SAMPLE = 50_000
"""Above this many calibration customers, the models other than the chosen one are fitted to a
random sample of this size for the comparison table (and scored on every customer): Pareto/NBD has
no analytic gradient and takes about 40 s on 1M customers, too long to make the user wait for a
model they did not pick."""
SPEND_Q_MIN = 1.01
"""Lower bound of the Gamma-Gamma q: the population mean spend p*gamma/(q-1) needs q > 1."""
DEFAULT_HORIZON_MONTHS = 36
DEFAULT_DISCOUNT_RATE = 0.10
"""Annual discount rate."""
DEFAULT_MARGIN = 0.30
"""Margin on revenue when there is no cost column."""
MARGIN_RANGE = (0.0, 1.0)
"""Per-customer margins from the cost column are clipped to this range: a single odd order should
neither create a negative lifetime value nor one above revenue."""
HOLDOUT_SHARE = 1 / 3
"""Default holdout: the last third of the observation period."""
FREQUENCY_BUCKETS = 7
"""Validation by calibration frequency shows 0, 1, ..., 6 and 7+."""
MAX_CHART_POINTS = 200
DAYS_PER_MONTH = 365.25 / 12
_LOG_BOUND = 15.0  # log-parameters beyond +-15 mean the optimiser ran off to 0 or infinity

_LIFETIMES: ModuleType | None = None


def _single_blas_thread() -> contextlib.AbstractContextManager:
    """One BLAS thread for the likelihood's dot products.

    OpenBLAS splits every dot product of a few hundred thousand numbers across threads; on a busy
    two-core server the threads spin and wait for each other and a fit takes three times the CPU.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _lifetimes() -> ModuleType:
    """Import lifetimes once, undoing what it does to global state at import.

    It sets ``pd.options.mode.chained_assignment = None`` and adds a global filter ignoring every
    FutureWarning; both are restored, so importing this module changes nothing elsewhere.
    """
    global _LIFETIMES
    if _LIFETIMES is None:
        chained = pd.get_option("mode.chained_assignment")
        with warnings.catch_warnings():
            module = importlib.import_module("lifetimes")
        pd.set_option("mode.chained_assignment", chained)
        _LIFETIMES = module
    return _LIFETIMES


# ---------------------------------------------------------------------------------------------
# Distinct histories
# ---------------------------------------------------------------------------------------------


def _factorize_rows(*columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes of the distinct rows of several columns, and each column's value per distinct row.

    Hash-based (no sort): each column is factorised, the codes combined into one integer key and
    that key factorised again.
    """
    key = np.zeros(len(columns[0]), dtype=np.int64)
    uniques = []
    for column in columns:
        codes, values = pd.factorize(column)
        key = key * len(values) + codes
        uniques.append((codes, values))
    row_codes, first = _first_positions(key)
    return row_codes, [values[codes[first]] for codes, values in uniques]


def _first_positions(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = pd.factorize(key)
    first = np.empty(len(distinct), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(key) - 1, -1, -1)
    return codes, first


@dataclass(frozen=True)
class HistoryRows:
    """Customers collapsed to their distinct (frequency, recency, T) histories.

    Attributes
    ----------
    frequency, recency, T, weights : ndarray
        One entry per distinct history; ``weights`` counts its customers.
    inverse : ndarray
        Row of each customer (in input order).
    """

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray

    @property
    def n_customers(self) -> int:
        return int(self.weights.sum())


def collapse_histories(summary: pd.DataFrame) -> HistoryRows:
    """Distinct (frequency, recency, T) rows of a customer summary, with customer counts."""
    _check_summary(summary)
    inverse, (x, tx, age) = _factorize_rows(
        summary["frequency"].to_numpy(dtype=float),
        summary["recency"].to_numpy(dtype=float),
        summary["T"].to_numpy(dtype=float),
    )
    weights = np.bincount(inverse, minlength=len(x)).astype(float)
    return HistoryRows(x, tx, age, weights, inverse)


def _check_summary(summary: pd.DataFrame) -> None:
    missing = [c for c in ("frequency", "recency", "T") if c not in summary]
    if missing:
        raise ValidationError(f"The customer summary lacks {', '.join(missing)}.")
    x, tx, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(age).all()):
        raise ValidationError("The customer summary has missing frequency, recency or T values.")
    if (x < 0).any() or (tx < 0).any() or (tx > age + 1e-9).any():
        raise ValidationError(
            "Recency must lie between 0 and the customer's age T; check the observation end."
        )


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


# ---------------------------------------------------------------------------------------------
# Transaction model
# ---------------------------------------------------------------------------------------------


class TransactionModel:
    """A "buy till you die" model of repeat purchases: BG/NBD, Pareto/NBD or MBG/NBD.

    Parameters
    ----------
    model : {"bgnbd", "pareto", "mbgnbd"}
    penalizer_coef : float
        L2 penalty on the time-scaled parameters (lifetimes' convention). When the optimiser fails,
        :meth:`fit` retries with the larger values of :data:`PENALIZER_STEPS`.
    random_state : int, optional
        Seed of the subsample that gives the starting point on large data.

    Attributes
    ----------
    params_ : Series
        Fitted parameters under their conventional names (r, alpha, a, b / r, alpha, s, beta), in
        the time unit of the data.
    histories_ : HistoryRows
        The distinct histories fitted (reused by :func:`predict_customer_value` on the same
        summary).
    log_likelihood_ : float
        Total log-likelihood of the data at ``params_`` (without penalty).
    penalizer_coef_ : float
        The penalty that was used.
    n_customers_, n_rows_ : int
        Customers, and distinct (frequency, recency, T) histories, fitted.
    notes_ : tuple of str
        What the user should know about the fit (retries with a penalty).
    """

    def __init__(
        self, model: str = DEFAULT_MODEL, penalizer_coef: float = 0.0, random_state: int | None = 0
    ):
        self.model = model
        self.penalizer_coef = penalizer_coef
        self.random_state = random_state

    @property
    def name(self) -> str:
        return MODELS[self.model]

    def fit(self, summary: pd.DataFrame) -> TransactionModel:
        """Fit to a customer summary (columns frequency, recency, T).

        Raises
        ------
        ModelError
            Too few customers or repeat buyers, or no convergence even with a penalty.
        """
        if self.model not in MODELS:
            raise ValidationError(f"Unknown model '{self.model}'; choose {', '.join(MODELS)}.")
        rows = collapse_histories(summary)
        _check_enough_data(rows)
        scale = 1.0 / float(rows.T.max())
        steps = [p for p in PENALIZER_STEPS if p > self.penalizer_coef]
        for penalizer in [self.penalizer_coef, *steps]:
            with _single_blas_thread():
                theta = self._optimise(rows, scale, penalizer)
            if theta is not None:
                break
        else:
            raise ModelError(
                f"The {self.name} model could not be fitted to this data, even with a penalty on "
                "its parameters. Try another model, another time unit or a longer history."
            )
        scaled = np.exp(theta)
        self.params_ = pd.Series(
            _unscale(self.model, scaled, scale), index=PARAMETER_NAMES[self.model]
        )
        data = _Scaled.from_rows(rows, scale)
        # The likelihood was evaluated on scaled time; each purchase contributes log(scale) when
        # going back to the data's time unit (the density of purchase times scales with 1/scale).
        self.log_likelihood_ = _loglik(self.model, scaled, data) + float(
            rows.weights @ rows.frequency
        ) * np.log(scale)
        self.penalizer_coef_ = penalizer
        self.n_customers_, self.n_rows_ = rows.n_customers, len(rows.weights)
        self.histories_ = rows
        self.notes_ = ()
        if penalizer > self.penalizer_coef:
            self.notes_ = (
                f"The {self.name} optimiser did not converge on its own, so it was refitted with "
                f"a penalty of {penalizer:g} on the parameters (this shrinks them slightly). "
                "Read its figures with some care.",
            )
        return self

    def _optimise(self, rows: HistoryRows, scale: float, penalizer: float) -> np.ndarray | None:
        start = np.zeros(4)
        if len(rows.weights) > SUBSAMPLE_ABOVE:
            sample = _subsample(rows, SUBSAMPLE_SIZE, self.random_state)
            function, jac = _objective(self.model, _Scaled.from_rows(sample, scale), penalizer)
            first = _minimise(function, start, jac)
            if _converged(first):
                start = first.x
        function, jac = _objective(self.model, _Scaled.from_rows(rows, scale), penalizer)
        result = _minimise(function, start, jac)
        return result.x if _converged(result) else None

    # -- predictions ----------------------------------------------------------------------------

    def _params(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise ModelError("The model has not been fitted yet.")
        return self.params_.to_numpy(dtype=float)

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active at the end of their observation."""
        rows = collapse_histories(summary)
        values = p_alive(self.model, self._params(), rows.frequency, rows.recency, rows.T)
        return pd.Series(values[rows.inverse], index=summary.index, name="p_alive")

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected repeat purchases of each customer in the next ``t`` periods (conditional)."""
        rows = collapse_histories(summary)
        alive = p_alive(self.model, self._params(), rows.frequency, rows.recency, rows.T)
        later = alive_purchases(self.model, self._params(), rows.frequency, rows.T, np.array([t]))
        return pd.Series((alive * later[:, 0])[rows.inverse], index=summary.index)

    def population_purchases(self, t: np.ndarray) -> np.ndarray:
        """Expected repeat purchases of a new customer within ``t`` periods of their first one."""
        t = np.asarray(t, dtype=float)
        zero = np.zeros(1)
        values = alive_purchases(self.model, self._params(), zero, zero, t.ravel())[0]
        if self.model == "mbgnbd":
            # MBG/NBD customers may leave right after their first purchase.
            _, _, a, b = self._params()
            values = values * b / (a + b)
        return values.reshape(t.shape)


def log_likelihood(model: TransactionModel, summary: pd.DataFrame) -> float:
    """Total log-likelihood of a customer summary under a fitted model (in the data's time unit),
    e.g. to score a model fitted on a sample against every customer."""
    rows = collapse_histories(summary)
    scale = 1.0 / float(rows.T.max())
    scaled = model._params().copy()
    scaled[1] *= scale
    if model.model == "pareto":
        scaled[3] *= scale
    with np.errstate(all="ignore"):
        value = _loglik(model.model, scaled, _Scaled.from_rows(rows, scale))
    return value + float(rows.weights @ rows.frequency) * np.log(scale)


def _check_enough_data(rows: HistoryRows) -> None:
    n = rows.n_customers
    repeaters = int(rows.weights[rows.frequency > 0].sum())
    if n < MIN_CUSTOMERS:
        raise ModelError(
            f"Only {n:,} customers to learn from; lifetime-value models need at least "
            f"{MIN_CUSTOMERS} to estimate how customers buy and leave. Use a longer period or more "
            "data."
        )
    if repeaters < MIN_REPEAT_CUSTOMERS:
        who = "No customer" if repeaters == 0 else f"Only {repeaters:,} customers"
        raise ModelError(
            f"{who} bought more than once (on different days). The models learn purchase rates "
            "and drop-out from repeat purchases and need at least "
            f"{MIN_REPEAT_CUSTOMERS} repeat buyers: use a longer period, a later calibration end, "
            "or check that the customer id column identifies customers across orders."
        )


def _unscale(model: str, scaled: np.ndarray, scale: float) -> np.ndarray:
    """Back from time scaled to [0, 1] to the data's unit: alpha (and Pareto's beta) are times."""
    params = scaled.astype(float).copy()
    params[1] /= scale
    if model == "pareto":
        params[3] /= scale
    return params


def p_alive(
    model: str, params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """P(alive) by lifetimes' formulas. Pareto/NBD is evaluated on time scaled to [0, 1]
    (the probability does not depend on the unit), where its hypergeometric terms stay finite."""
    lt = _lifetimes()
    fitter = {
        "bgnbd": lt.BetaGeoFitter,
        "pareto": lt.ParetoNBDFitter,
        "mbgnbd": lt.ModifiedBetaGeoFitter,
    }
    instance = fitter[model]()
    scale = 1.0 / max(float(np.max(age, initial=1.0)), 1e-12) if model == "pareto" else 1.0
    scaled = params.astype(float).copy()
    if model == "pareto":
        scaled[1] *= scale
        scaled[3] *= scale
    instance.params_ = pd.Series(scaled, index=PARAMETER_NAMES[model])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = instance.conditional_probability_alive(
            np.asarray(x, dtype=float), np.asarray(tx) * scale, np.asarray(age) * scale
        )
    return np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0), 0.0, 1.0)


def alive_purchases(
    model: str,
    params: np.ndarray,
    x: np.ndarray,
    age: np.ndarray,
    t: np.ndarray,
    rate_factor: float = 1.0,
    dropout_factor: float = 1.0,
) -> np.ndarray:
    """Expected purchases in the next ``t`` periods of customers known to be alive.

    Parameters
    ----------
    x, age : ndarray, shape (n,)
        Frequency and age T of each customer.
    t : ndarray, shape (k,)
        Horizons, in the data's time unit.
    rate_factor : float
        Multiplies every purchase rate lambda (a frequency uplift of 10% is 1.1).
    dropout_factor : float
        Multiplies the expected drop-out (BG/MBG: the mean of the posterior drop-out probability
        p; Pareto/NBD: the drop-out rate mu). 0.9 means 10% less drop-out.

    Returns
    -------
    ndarray, shape (n, k)
    """
    x = np.asarray(x, dtype=float)[:, None]
    age = np.asarray(age, dtype=float)[:, None]
    t = np.asarray(t, dtype=float)[None, :]
    r, alpha, third, fourth = params
    shape, rate = r + x, (alpha + age) / rate_factor
    with np.errstate(all="ignore"):
        if model == "pareto":
            return _pareto_alive(shape, rate, third, (fourth + age) / dropout_factor, t)
        b_post = fourth + x + (1.0 if model == "mbgnbd" else 0.0)
        if dropout_factor != 1.0:
            # Keep a, move b so that the posterior mean a / (a + b) is scaled by dropout_factor.
            b_post = (third + b_post) / dropout_factor - third
        return _bg_alive(shape, rate, third, b_post, t)


def _bg_alive(shape, rate, a, b, t) -> np.ndarray:
    """(a+b-1)/(a-1) * (1 - (rate/(rate+t))^shape * 2F1(shape, b; a+b-1; t/(rate+t))).

    Evaluated through Euler's transformation, (1-z)^shape 2F1(shape, b; c; z) =
    (1-z)^(a-1) 2F1(c-shape, a-1; c; z) with c = a+b-1: its first two arguments do not grow with
    the customer's frequency, so the series stays small and fast where the direct form overflows
    (lifetimes switches forms only after an overflow). The direct form is the fallback.
    """
    a = a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7  # removable singularity at a = 1
    c = a + b - 1.0
    z = t / (rate + t)
    term = (1.0 - z) ** (a - 1.0) * hyp2f1(c - shape, a - 1.0, c, z)
    bad = ~np.isfinite(term)
    if bad.any():
        direct = np.exp(shape * np.log1p(-z)) * hyp2f1(shape, b, c, z)
        term = np.where(bad, direct, term)
    return np.nan_to_num(c / (a - 1.0) * (1.0 - term), nan=0.0, posinf=0.0, neginf=0.0)


def _pareto_alive(shape, rate, s, beta, t) -> np.ndarray:
    """(shape/rate) * beta/(s-1) * (1 - (beta/(beta+t))^(s-1)); the limit beta*log(...) at s=1."""
    if abs(s - 1.0) < 1e-9:
        values = shape / rate * beta * np.log1p(t / beta)
    else:
        values = shape / rate * beta / (s - 1.0) * (1.0 - (beta / (beta + t)) ** (s - 1.0))
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


def month_grid(horizon_months: int, unit: str) -> np.ndarray:
    """Times 0, 1, ..., H months in the data's time unit."""
    return np.arange(horizon_months + 1) * DAYS_PER_MONTH / UNIT_DAYS[unit]


def discount_factors(horizon_months: int, discount_rate: float) -> np.ndarray:
    """1 / (1 + d)^(m/12) for months m = 1..H."""
    return (1.0 + discount_rate) ** (-np.arange(1, horizon_months + 1) / 12.0)


def discounted_alive_purchases(
    model: str,
    params: np.ndarray,
    x: np.ndarray,
    age: np.ndarray,
    horizon_months: int,
    discount_rate: float,
    unit: str,
    rate_factor: float = 1.0,
    dropout_factor: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Alive customers' purchases over the horizon: (discounted sum of monthly increments, total).

    Evaluated on the distinct (frequency, T) pairs: recency only enters through P(alive).
    """
    codes, (ux, uage) = _factorize_rows(np.asarray(x, dtype=float), np.asarray(age, dtype=float))
    path = alive_purchases(
        model, params, ux, uage, month_grid(horizon_months, unit), rate_factor, dropout_factor
    )
    increments = np.diff(path, axis=1)
    discounted = increments @ discount_factors(horizon_months, discount_rate)
    return discounted[codes], path[:, -1][codes]


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
                f"Only {int(usable.sum())} repeat buyers have a positive spend; the spend model "
                f"needs at least {MIN_SPEND_CUSTOMERS}. Check the revenue column and returns."
            )
        x, m = x[usable], m[usable]
        for penalizer in [self.penalizer_coef] + [
            p for p in PENALIZER_STEPS if p > self.penalizer_coef
        ]:
            with _single_blas_thread():
                theta = self._optimise(x, m, penalizer)
            if theta is not None:
                break
        else:
            raise ModelError("The spend model could not be fitted to this data.")
        self.params_ = pd.Series(np.exp(theta), index=SPEND_PARAMETER_NAMES)
        self.log_likelihood_ = float(_gg_loglik(np.exp(theta), _SpendData.build(x, m))[0])
        self.n_customers_ = int(usable.sum())
        self.penalizer_coef_ = penalizer
        self.notes_ = self._notes(penalizer)
        return self

    def _optimise(self, x: np.ndarray, m: np.ndarray, penalizer: float) -> np.ndarray | None:
        bounds = [(-_LOG_BOUND, _LOG_BOUND), (np.log(SPEND_Q_MIN), _LOG_BOUND), (-30.0, 30.0)]
        # Start where the population mean spend p * gamma / (q - 1) equals the observed mean.
        start = np.log([2.0, 3.0, max(float(np.mean(m)), 1e-6)])
        result = _minimise(_gg_objective(_SpendData.build(x, m), penalizer), start, True, bounds)
        ok = np.isfinite(result.fun) and result.fun < 1e10
        ok = ok and bool(np.all(np.abs(result.x[:2]) < _LOG_BOUND - 1e-6))
        return result.x if ok and (result.success or np.max(np.abs(result.jac)) < 1e-5) else None

    def _notes(self, penalizer: float) -> tuple[str, ...]:
        notes = []
        if self.excluded_:
            notes.append(
                f"{self.excluded_:,} repeat buyers were left out of the spend model because their "
                "returns outweigh their repeat purchases (mean repeat spend of zero or less); their "
                "expected spend leans on the average customer, scaled down by their own record."
            )
        if penalizer > self.penalizer_coef:
            notes.append(
                f"The spend model was refitted with a penalty of {penalizer:g} to converge."
            )
        return tuple(notes)

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Expected spend per future purchase (Gamma-Gamma conditional mean, never negative)."""
        p, q, gamma = self.params_.to_numpy(dtype=float)
        x = summary["frequency"].to_numpy(dtype=float)
        m = np.clip(np.nan_to_num(summary["monetary_value"].to_numpy(dtype=float)), 0.0, None)
        own = p * x / (p * x + q - 1.0)
        values = (1.0 - own) * (p * gamma / (q - 1.0)) + own * m
        return pd.Series(values, index=summary.index, name="expected_spend")


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


# ---------------------------------------------------------------------------------------------
# Per-customer value
# ---------------------------------------------------------------------------------------------


def default_margin(summary: pd.DataFrame) -> float | None:
    """The CLV page's default margin: each customer's own (None) when the summary has cost of goods,
    else :data:`DEFAULT_MARGIN`. Shared so the Scorecard and the report value customers alike."""
    known = "cost" in summary and bool(summary["cost"].notna().any())
    return None if known else DEFAULT_MARGIN


def margin_rates(summary: pd.DataFrame, margin: float | None) -> tuple[np.ndarray, str]:
    """Margin on revenue per customer, and how it was obtained.

    ``margin`` given: that share for everyone. ``None``: each customer's margin / net revenue from
    the cost column, clipped to :data:`MARGIN_RANGE`; customers without cost or without positive
    net revenue get the overall margin of those with both.
    """
    n = len(summary)
    if margin is not None:
        if not 0.0 <= margin <= 1.0:
            raise ValidationError("The margin is a percentage of revenue between 0% and 100%.")
        return np.full(n, float(margin)), f"{margin:.0%} of revenue for every customer"
    cost = summary["cost"].to_numpy(dtype=float)
    net = summary["net_revenue"].to_numpy(dtype=float)
    known = np.isfinite(cost) & (net > 0)
    if not known.any():
        raise ValidationError(
            "No cost of goods is mapped for these customers, so margins cannot come from it; "
            "enter a margin percentage instead."
        )
    overall = float(np.clip((net[known] - cost[known]).sum() / net[known].sum(), *MARGIN_RANGE))
    own = np.divide(net - np.nan_to_num(cost), net, out=np.full(n, overall), where=known)
    rates = np.where(known, np.clip(own, *MARGIN_RANGE), overall)
    return rates, (
        f"each customer's own margin from the cost column (overall {overall:.1%}; clipped to "
        f"{MARGIN_RANGE[0]:.0%}-{MARGIN_RANGE[1]:.0%})"
    )


def predict_customer_value(
    summary: pd.DataFrame,
    model: TransactionModel,
    spend: SpendModel,
    unit: str,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    margin: float | None = DEFAULT_MARGIN,
    histories: HistoryRows | None = None,
) -> pd.DataFrame:
    """P(alive), expected purchases, expected spend and CLV per customer.

    Parameters
    ----------
    summary : DataFrame
        Customer summary over the observation period the models were fitted to.
    unit : {"day", "week", "month"}
        Time unit of the summary and the models.
    horizon_months, discount_rate, margin
        CLV horizon, annual discount rate and margin share (None: from the cost column).
    histories : HistoryRows, optional
        :func:`collapse_histories` of ``summary`` if already at hand (``model.histories_`` when the
        model was fitted to this summary), to save collapsing it again.

    Returns
    -------
    DataFrame
        Indexed like ``summary``: frequency, recency, T, monetary_value, net_revenue, p_alive,
        expected_purchases (within the horizon), expected_spend, margin_rate, discounted_purchases
        (P(alive) times the discounted alive purchases) and clv. All finite.
    """
    _check_value_settings(horizon_months, discount_rate, unit)
    rows = histories if histories is not None else collapse_histories(summary)
    if len(rows.inverse) != len(summary):
        raise ValidationError("The customer histories do not belong to this customer summary.")
    params = model._params()
    with _single_blas_thread():
        alive_rows = p_alive(model.model, params, rows.frequency, rows.recency, rows.T)
        discounted_rows, total_rows = discounted_alive_purchases(
            model.model, params, rows.frequency, rows.T, horizon_months, discount_rate, unit
        )
    alive = alive_rows[rows.inverse]
    discounted = alive * discounted_rows[rows.inverse]
    spend_values = spend.expected_spend(summary).to_numpy()
    rates, _ = margin_rates(summary, margin)
    n = len(summary)
    predicted = {
        "p_alive": alive,
        "expected_purchases": alive * total_rows[rows.inverse],
        "expected_spend": spend_values,
        "margin_rate": rates,
        "discounted_purchases": discounted,
        "clv": discounted * spend_values * rates,
    }
    # No NaN or infinity may reach a page; the formulas only produce them on overflow.
    for values in predicted.values():
        np.nan_to_num(values, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    observed = {
        "frequency": summary["frequency"].to_numpy(),
        "recency": summary["recency"].to_numpy(),
        "T": summary["T"].to_numpy(),
        "monetary_value": summary["monetary_value"].to_numpy(),
        "net_revenue": summary["net_revenue"].to_numpy()
        if "net_revenue" in summary
        else np.zeros(n),
    }
    return pd.DataFrame({**observed, **predicted}, index=summary.index, copy=False)


def _check_value_settings(horizon_months: int, discount_rate: float, unit: str) -> None:
    if unit not in UNIT_DAYS:
        raise ValidationError(f"Unknown time unit '{unit}'; choose day, week or month.")
    if not 1 <= int(horizon_months) <= 240:
        raise ValidationError("The CLV horizon must be between 1 and 240 months.")
    if not 0.0 <= discount_rate < 1.0:
        raise ValidationError("The annual discount rate must be between 0% and 100%.")


# ---------------------------------------------------------------------------------------------
# Holdout validation
# ---------------------------------------------------------------------------------------------


def default_calibration_end(start: pd.Timestamp, end: pd.Timestamp) -> pd.Timestamp:
    """The calibration end that leaves the last :data:`HOLDOUT_SHARE` of the period as holdout."""
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    return pd.Timestamp(start) + pd.Timedelta(days=int(round(days * (1 - HOLDOUT_SHARE))))


def holdout_purchases(
    transactions: pd.DataFrame,
    customers: pd.Index,
    calibration_end: pd.Timestamp,
    observation_end: pd.Timestamp,
) -> pd.Series:
    """Distinct purchase days of each calibration customer in (calibration_end, observation_end]."""
    tx = transactions
    window = (tx["date"] > calibration_end) & (tx["date"] <= observation_end) & ~tx["is_return"]
    days = tx.loc[window, ["customer_id", "date"]].drop_duplicates()
    counts = days["customer_id"].value_counts()
    return counts.reindex(customers, fill_value=0).astype(float).rename("holdout_purchases")


@dataclass(frozen=True)
class HoldoutCheck:
    """How well a model fitted on the calibration period predicts the holdout period.

    Attributes
    ----------
    by_frequency : DataFrame
        Columns frequency ("0" .. "7+"), customers, actual, predicted (mean holdout purchases).
    actual, predicted : float
        Total holdout purchases of the calibration customers.
    pct_error : float
        (predicted - actual) / actual.
    mae : float
        Mean absolute error per customer.
    periods : float
        Holdout length in the time unit.
    """

    by_frequency: pd.DataFrame
    actual: float
    predicted: float
    pct_error: float
    mae: float
    periods: float


def check_holdout(
    model: TransactionModel, calibration: pd.DataFrame, actual: pd.Series, periods: float
) -> HoldoutCheck:
    """Compare conditional expected holdout purchases with what customers actually bought."""
    predicted = model.expected_purchases(calibration, periods).to_numpy()
    observed = actual.reindex(calibration.index, fill_value=0).to_numpy(dtype=float)
    bucket = np.minimum(calibration["frequency"].to_numpy(dtype=int), FREQUENCY_BUCKETS)
    counts = np.bincount(bucket, minlength=FREQUENCY_BUCKETS + 1)
    safe = np.maximum(counts, 1)
    labels = [str(k) for k in range(FREQUENCY_BUCKETS)] + [f"{FREQUENCY_BUCKETS}+"]
    by_frequency = pd.DataFrame(
        {
            "frequency": labels,
            "customers": counts,
            "actual": np.bincount(bucket, observed, FREQUENCY_BUCKETS + 1) / safe,
            "predicted": np.bincount(bucket, predicted, FREQUENCY_BUCKETS + 1) / safe,
        }
    )
    total_actual, total_predicted = float(observed.sum()), float(predicted.sum())
    return HoldoutCheck(
        by_frequency=by_frequency[by_frequency["customers"] > 0].reset_index(drop=True),
        actual=total_actual,
        predicted=total_predicted,
        pct_error=(total_predicted - total_actual) / total_actual if total_actual > 0 else np.nan,
        mae=float(np.abs(predicted - observed).mean()),
        periods=float(periods),
    )


def cumulative_repeat_purchases(
    transactions: pd.DataFrame,
    model: TransactionModel,
    calibration: pd.DataFrame,
    unit: str,
    calibration_end: pd.Timestamp,
    observation_end: pd.Timestamp,
    max_points: int = MAX_CHART_POINTS,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration customers: actual vs the model's expectation.

    The expectation sums, over customers, the expected repeat purchases of a new customer within
    the time since their first purchase (the model's unconditional curve).

    Returns
    -------
    DataFrame
        Columns date, actual, predicted, phase ("calibration" / "holdout"); at most
        ``max_points`` + 2 rows.
    """
    unit_days = UNIT_DAYS[unit]
    first = calibration["first_purchase"].to_numpy().astype("datetime64[D]").astype(np.int64)
    start, cal_day = int(first.min()), _day(calibration_end)
    end_day = _day(observation_end)
    step = max(unit_days, unit_days * np.ceil((end_day - start) / unit_days / max_points))
    grid = np.unique(
        np.r_[np.arange(start + step, end_day, step).round(), cal_day, end_day]
    ).astype(np.int64)

    repeat_days = _repeat_purchase_days(transactions, calibration, observation_end) - start
    per_day = np.bincount(repeat_days, minlength=end_day - start + 1)
    actual = np.cumsum(per_day)[grid - start]

    births, counts = np.unique(first, return_counts=True)
    elapsed = np.clip(grid[:, None] - births[None, :], 0, None) / unit_days
    predicted = model.population_purchases(elapsed) @ counts
    return pd.DataFrame(
        {
            "date": grid.astype("datetime64[D]").astype("datetime64[ns]"),
            "actual": actual.astype(float),
            "predicted": predicted,
            "phase": np.where(grid <= cal_day, "calibration", "holdout"),
        }
    )


def _day(value: pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def _repeat_purchase_days(
    transactions: pd.DataFrame, calibration: pd.DataFrame, observation_end: pd.Timestamp
) -> np.ndarray:
    """Day numbers of every repeat purchase day (not a customer's first) up to observation end."""
    tx = transactions
    keep = (tx["date"] <= observation_end) & ~tx["is_return"]
    days = tx.loc[keep, ["customer_id", "date"]].drop_duplicates()
    first = calibration["first_purchase"].reindex(days["customer_id"]).to_numpy()
    mask = ~pd.isna(first)
    dates = days["date"].to_numpy()[mask]
    repeat = dates > first[mask].astype("datetime64[ns]")
    return dates[repeat].astype("datetime64[D]").astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The whole analysis: fit, validate, compare
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitSettings:
    """What to fit: model, time unit, calibration end (None: no holdout), observation end."""

    model: str = DEFAULT_MODEL
    unit: str = "week"
    calibration_end: pd.Timestamp | None = None
    observation_end: pd.Timestamp | None = None
    compare: bool = True


@dataclass(frozen=True)
class CLVFit:
    """Fitted models, holdout validation and model comparison.

    Attributes
    ----------
    settings : FitSettings
        With the observation end filled in.
    summary : DataFrame
        Customer summary over the whole observation period.
    model, spend : TransactionModel, SpendModel
        Fitted to the whole observation period; they make the forward-looking predictions.
    calibration_model, calibration_spend : TransactionModel, SpendModel
        Fitted to the calibration period (the same objects as ``model``/``spend`` without holdout).
    holdout : HoldoutCheck or None
    cumulative : DataFrame or None
        See :func:`cumulative_repeat_purchases`.
    comparison : DataFrame
        One row per model: model, name, parameters, log_likelihood (on every calibration
        customer), holdout_pct_error, holdout_mae, penalizer, fitted_customers (fewer than the
        calibration's when fitted to a sample, see :data:`COMPARE_SAMPLE`), recommended, error.
    recommended : str
        Model key with the lowest holdout MAE (without holdout: the highest log-likelihood).
    notes : tuple of str
    """

    settings: FitSettings
    summary: pd.DataFrame
    model: TransactionModel
    spend: SpendModel
    calibration_model: TransactionModel
    calibration_spend: SpendModel
    holdout: HoldoutCheck | None
    cumulative: pd.DataFrame | None
    comparison: pd.DataFrame
    recommended: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def fit_clv(
    transactions: pd.DataFrame, settings: FitSettings, summary: pd.DataFrame | None = None
) -> CLVFit:
    """Fit the CLV models, validate them on the holdout and compare them.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, date, revenue, is_return, ...). May be empty when
        ``summary`` is a precomputed customer summary (a summary file): the models are then fitted
        to the whole period, without holdout, and ``settings.observation_end`` must be given.
    settings : FitSettings
    summary : DataFrame, optional
        The customer summary for ``settings.unit`` up to the observation end, if already computed.

    Raises
    ------
    ModelError, ValidationError
        With a message for the user (too little data, a calibration end outside the data, ...).
    """
    if settings.model not in MODELS:
        raise ValidationError(f"Unknown model '{settings.model}'; choose {', '.join(MODELS)}.")
    if transactions.empty:
        _check_summary_only(settings, summary)
    end = pd.Timestamp(settings.observation_end or transactions["date"].max())
    settings = FitSettings(
        settings.model, settings.unit, settings.calibration_end, end, settings.compare
    )
    summary = summary if summary is not None else customer_summary(transactions, settings.unit, end)
    cal_end = _check_calibration_end(transactions, settings)
    if cal_end is None:
        calibration, actual, periods = summary, None, 0.0
    else:
        tx = transactions[transactions["date"] <= cal_end]
        calibration = customer_summary(tx, settings.unit, cal_end)
        actual = holdout_purchases(transactions, calibration.index, cal_end, end)
        periods = (end - cal_end).days / UNIT_DAYS[settings.unit]
    fits, comparison = _compare(calibration, actual, periods, settings)
    chosen = fits[settings.model]
    where = "" if cal_end is None else f"In the calibration period (up to {cal_end:%Y-%m-%d}): "
    calibration_spend = _with_context(lambda: SpendModel().fit(calibration), where)
    if cal_end is None:
        model, spend = chosen, calibration_spend
    else:
        model = _with_context(lambda: TransactionModel(settings.model).fit(summary), "")
        spend = _with_context(lambda: SpendModel().fit(summary), "")
    holdout = cumulative = None
    if cal_end is not None:
        holdout = check_holdout(chosen, calibration, actual, periods)
        cumulative = cumulative_repeat_purchases(
            transactions, chosen, calibration, settings.unit, cal_end, end
        )
    recommended = str(comparison.loc[comparison["recommended"], "model"].iloc[0])
    notes = tuple(dict.fromkeys(chosen.notes_ + model.notes_ + spend.notes_))
    return CLVFit(
        settings, summary, model, spend, chosen, calibration_spend, holdout, cumulative,
        comparison, recommended, notes,
    )  # fmt: skip


def _check_summary_only(settings: FitSettings, summary: pd.DataFrame | None) -> None:
    """Without transactions only the precomputed summary can be fitted, and only without holdout:
    the holdout's actual purchases are single transactions after the calibration end."""
    if summary is None or settings.observation_end is None:
        raise ValidationError(
            "There are no transactions to fit; upload the transactions or a customer summary file."
        )
    if settings.calibration_end is not None:
        raise ValidationError(
            "Holdout validation needs the transactions (the purchases after the calibration end); "
            "this dataset is a customer summary. Switch the holdout off, or upload the "
            "transactions file."
        )


def _with_context(build: Callable, prefix: str):
    try:
        return build()
    except ModelError as error:
        raise ModelError(prefix + str(error)) from error


def _check_calibration_end(
    transactions: pd.DataFrame, settings: FitSettings
) -> pd.Timestamp | None:
    if settings.calibration_end is None:
        return None
    cal_end = pd.Timestamp(settings.calibration_end)
    start, end = transactions["date"].min(), settings.observation_end
    if cal_end >= end:
        raise ValidationError(
            f"The calibration end {cal_end:%Y-%m-%d} leaves no holdout period before the "
            f"observation end {end:%Y-%m-%d}; choose an earlier date or 'no holdout'."
        )
    if cal_end <= start:
        raise ValidationError(
            f"The calibration end {cal_end:%Y-%m-%d} is before the first transaction "
            f"({start:%Y-%m-%d}); choose a later date."
        )
    return cal_end


def _compare(
    calibration: pd.DataFrame, actual: pd.Series | None, periods: float, settings: FitSettings
) -> tuple[dict[str, TransactionModel], pd.DataFrame]:
    """Fit every model (or only the chosen one) to the calibration data and score it."""
    where = "" if actual is None else "In the calibration period: "
    keys = list(MODELS) if settings.compare else [settings.model]
    fits, rows = {}, []
    for key in keys:
        data = calibration
        if key != settings.model and len(calibration) > COMPARE_SAMPLE:
            data = calibration.sample(COMPARE_SAMPLE, random_state=0)
        try:
            fitted = TransactionModel(key).fit(data)
        except ModelError as error:
            if key == settings.model:
                raise ModelError(where + str(error)) from error
            rows.append({"model": key, "name": MODELS[key], "error": str(error)})
            continue
        fits[key] = fitted
        rows.append(_score(fitted, calibration, actual, periods))
    table = pd.DataFrame(rows)
    for column in (
        "parameters",
        "log_likelihood",
        "holdout_pct_error",
        "holdout_mae",
        "penalizer",
        "fitted_customers",
        "error",
    ):
        if column not in table:
            table[column] = np.nan if column != "parameters" and column != "error" else ""
    ok = table["log_likelihood"].notna()
    score = table["holdout_mae"] if actual is not None else -table["log_likelihood"]
    best = score.where(ok).idxmin()
    table["recommended"] = table.index == best
    table["error"] = table["error"].fillna("")
    table["parameters"] = table["parameters"].fillna("")
    return fits, table[
        ["model", "name", "parameters", "log_likelihood", "holdout_pct_error", "holdout_mae",
         "penalizer", "fitted_customers", "recommended", "error"]
    ]  # fmt: skip


def _score(
    fitted: TransactionModel, calibration: pd.DataFrame, actual: pd.Series | None, periods: float
) -> dict:
    whole = fitted.n_customers_ == len(calibration)
    row = {
        "model": fitted.model,
        "name": fitted.name,
        "parameters": ", ".join(f"{k} = {v:.3f}" for k, v in fitted.params_.items()),
        "log_likelihood": fitted.log_likelihood_ if whole else log_likelihood(fitted, calibration),
        "penalizer": fitted.penalizer_coef_,
        "fitted_customers": fitted.n_customers_,
        "error": "",
    }
    if actual is not None:
        check = check_holdout(fitted, calibration, actual, periods)
        row.update(holdout_pct_error=check.pct_error, holdout_mae=check.mae)
    return row


# ---------------------------------------------------------------------------------------------
# Customer values, tiers and chart data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueSettings:
    """How to turn predictions into money: horizon, discount rate, margin and tier cut-offs."""

    horizon_months: int = DEFAULT_HORIZON_MONTHS
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    margin: float | None = DEFAULT_MARGIN
    tier_cutoffs: tuple[float, ...] = tiering.DEFAULT_TIER_CUTOFFS
    tier_names: tuple[str, ...] = tiering.DEFAULT_TIER_NAMES


@dataclass(frozen=True)
class CLVValues:
    """Per-customer values and their summaries.

    Attributes
    ----------
    customers : DataFrame
        Indexed by customer_id; the columns of :func:`predict_customer_value` plus ``tier``.
    tiers : DataFrame
        :func:`cvm_core.analyses.clv.tiers.tier_summary` of ``customers``.
    total_clv, mean_p_alive, expected_purchases : float
    margin_basis : str
        How margins were obtained, in words.
    settings : ValueSettings
    """

    customers: pd.DataFrame
    tiers: pd.DataFrame
    total_clv: float
    mean_p_alive: float
    expected_purchases: float
    margin_basis: str
    settings: ValueSettings


def customer_values(fit: CLVFit, settings: ValueSettings) -> CLVValues:
    """CLV per customer from a fit, with tiers by CLV rank."""
    frame = predict_customer_value(
        fit.summary, fit.model, fit.spend, fit.settings.unit,
        settings.horizon_months, settings.discount_rate, settings.margin, fit.model.histories_,
    )  # fmt: skip
    frame["tier"] = tiering.assign_tiers(frame["clv"], settings.tier_cutoffs, settings.tier_names)
    _, basis = margin_rates(fit.summary, settings.margin)
    return CLVValues(
        customers=frame,
        tiers=tiering.tier_summary(frame),
        total_clv=float(frame["clv"].sum()),
        mean_p_alive=float(frame["p_alive"].mean()),
        expected_purchases=float(frame["expected_purchases"].sum()),
        margin_basis=basis,
        settings=settings,
    )


def clv_distribution(clv: pd.Series, bins: int = 40, upper_quantile: float = 0.99) -> pd.DataFrame:
    """Histogram of CLV for charting: columns lower, upper, customers, share.

    Values above the ``upper_quantile`` fall into the last bin, so a few very large customers do not
    squash the rest into one bar.
    """
    values = clv.to_numpy(dtype=float)
    if len(values) == 0:
        return pd.DataFrame(columns=["lower", "upper", "customers", "share"])
    low, high = float(values.min()), float(np.quantile(values, upper_quantile))
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    counts = np.bincount(
        np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1), minlength=bins
    )
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "customers": counts,
            "share": counts / len(values),
        }
    )


def p_alive_matrix(
    model: TransactionModel, summary: pd.DataFrame, max_frequency: int = 20, recency_steps: int = 24
) -> pd.DataFrame:
    """P(alive) for a customer of typical age (the median T) by frequency and recency.

    Returns
    -------
    DataFrame
        Columns frequency, recency, T, p_alive; at most (max_frequency + 1) x (recency_steps + 1)
        rows. Frequency 0 has only recency 0 (no repeat purchase yet).
    """
    age = float(np.round(summary["T"].median(), 1))
    top = int(min(max_frequency, max(int(summary["frequency"].max()), 1)))
    recency = np.linspace(0.0, age, recency_steps + 1)
    x, tx = np.meshgrid(np.arange(1, top + 1, dtype=float), recency, indexing="ij")
    x, tx = np.r_[0.0, x.ravel()], np.r_[0.0, tx.ravel()]
    values = p_alive(model.model, model._params(), x, tx, np.full(len(x), age))
    return pd.DataFrame({"frequency": x.astype(int), "recency": tx, "T": age, "p_alive": values})


def top_customers(
    customers: pd.DataFrame, n: int = 25, names: pd.Series | None = None
) -> pd.DataFrame:
    """The ``n`` customers with the highest CLV, with their name when a customer table has one."""
    top = customers.nlargest(n, "clv")
    if names is not None:
        top.insert(0, "customer_name", names.reindex(top.index).fillna("").astype(str))
    return top
