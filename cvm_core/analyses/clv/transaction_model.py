"""The transaction model (BG/NBD, Pareto/NBD, MBG/NBD): fitting with penalizer retries, P(alive) and
expected purchases of customers known to be alive, discounted over a horizon.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.clv.backend import single_blas_thread
from cvm_core.analyses.clv.constants import DEFAULT_MODEL, PENALIZER_STEPS
from cvm_core.analyses.clv.histories import HistoryRows, collapse_histories, factorize_rows
from cvm_core.analyses.clv.likelihoods import (
    IDENTIFIABLE_LOG,
    Scaled,
    identifiable,
    log_space_objective,
    minimise,
    on_flat_ridge,
    reached_optimum,
    subsample_histories,
    weighted_loglik,
)
from cvm_core.analyses.clv.models import MODEL_SPECS
from cvm_core.errors import ModelError, ValidationError
from cvm_core.i18n import N_, Message
from cvm_core.intake.summary import UNIT_DAYS

PARAMETER_NAMES: dict[str, tuple[str, ...]] = {
    key: spec.parameter_names for key, spec in MODEL_SPECS.items()
}
"""Parameter names by model, for readers; the code asks the model's spec."""
MIN_CUSTOMERS = 100
"""Fewer customers than this give no meaningful population estimates."""
MIN_REPEAT_CUSTOMERS = 20
"""Repeat buyers needed to estimate purchase rates and drop-out."""
SUBSAMPLE_ABOVE = 100_000
"""Distinct rows above which a subsample fit provides the starting point."""
SUBSAMPLE_SIZE = 50_000
DAYS_PER_MONTH = 365.25 / 12


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
        return MODEL_SPECS[self.model].label

    def fit(
        self, summary: pd.DataFrame, near: pd.Series | None = None, precise: bool = False
    ) -> TransactionModel:
        """Fit to a customer summary (columns frequency, recency, T).

        ``near``: parameters (in the summary's time unit) the optimum is expected close to, e.g.
        the same model's fit to the calibration period when refitting to the whole period; the
        optimiser starts there instead of at 1 (Pareto/NBD, with its numeric gradient, needs a
        fraction of the iterations: 3.3 -> 1.4 s on 700k transactions). The optimum is the same.
        ``precise``: start at ``near`` but stop only where a cold start would (a sample's optimum
        is less near than the calibration period's: the usual stop then left Pareto/NBD's beta
        in CDNOW's fourth decimal).

        Raises
        ------
        ModelError
            Too few customers or repeat buyers, or no convergence even with a penalty.
        """
        if self.model not in MODEL_SPECS:
            raise ValidationError(
                Message(
                    N_("Unknown model '{model}'; choose {choices}."),
                    model=self.model, choices=", ".join(MODEL_SPECS),
                )
            )  # fmt: skip
        rows = collapse_histories(summary)
        _check_enough_data(rows)
        scale = 1.0 / float(rows.T.max())
        steps = [p for p in PENALIZER_STEPS if p > self.penalizer_coef]
        unidentified = False
        for penalizer in [self.penalizer_coef, *steps]:
            with single_blas_thread():
                theta, pinned_down = self._optimise(
                    rows, scale, penalizer, _start(self.model, near, scale), precise
                )
            # An optimum with a parameter run off to 0 or infinity is no estimate: try a penalty.
            if not pinned_down:
                unidentified, theta = True, None
            if theta is not None:
                break
        else:
            raise ModelError(_failure_message(self.name, rows, unidentified))
        scaled = np.exp(theta)
        self.params_ = pd.Series(
            _unscale(self.model, scaled, scale), index=MODEL_SPECS[self.model].parameter_names
        )
        data = Scaled.from_rows(rows, scale)
        # The likelihood was evaluated on scaled time; each purchase contributes log(scale) when
        # going back to the data's time unit (the density of purchase times scales with 1/scale).
        self.log_likelihood_ = weighted_loglik(self.model, scaled, data) + float(
            rows.weights @ rows.frequency
        ) * np.log(scale)
        self.penalizer_coef_ = penalizer
        self.n_customers_, self.n_rows_ = rows.n_customers, len(rows.weights)
        self.histories_ = rows
        self.notes_ = ()
        if penalizer > self.penalizer_coef:
            self.notes_ = (_penalised_note(self.name, penalizer, unidentified),)
        return self

    def _optimise(
        self,
        rows: HistoryRows,
        scale: float,
        penalizer: float,
        start: np.ndarray | None = None,
        precise: bool = False,
    ) -> tuple[np.ndarray | None, bool]:
        """The fitted log-parameters (None: no optimum reached), and whether the data pin every
        parameter down where the optimiser stopped (not run off to 0 or infinity, not on a flat
        ridge)."""
        warm = start is not None
        start = np.zeros(4) if start is None else start
        if len(rows.weights) > SUBSAMPLE_ABOVE and not warm:
            sample = subsample_histories(rows, SUBSAMPLE_SIZE, self.random_state)
            function, jac = log_space_objective(
                self.model, Scaled.from_rows(sample, scale), penalizer
            )
            first = minimise(function, start, jac)
            if reached_optimum(first):
                start = first.x
        function, jac = log_space_objective(self.model, Scaled.from_rows(rows, scale), penalizer)
        result = minimise(function, start, jac, near_optimum=warm and not precise)
        stopped_at = np.nan_to_num(np.asarray(result.x, dtype=float))
        if not reached_optimum(result):
            return None, identifiable(stopped_at)
        # A stop the optimiser itself did not call converged (a small gradient let it pass) may be
        # a crawl along a ridge: accept it only where the likelihood is curved in every direction.
        pinned_down = identifiable(stopped_at) and (
            result.success or not on_flat_ridge(function, result.x, jac, rows.n_customers)
        )
        return result.x, pinned_down

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
        # MBG/NBD customers may leave right after their first purchase.
        values = values * MODEL_SPECS[self.model].population_share_alive(self._params())
        return values.reshape(t.shape)


def log_likelihood(model: TransactionModel, summary: pd.DataFrame) -> float:
    """Total log-likelihood of a customer summary under a fitted model (in the data's time unit),
    e.g. to score a model fitted on a sample against every customer."""
    rows = collapse_histories(summary)
    scale = 1.0 / float(rows.T.max())
    scaled = model._params().copy()
    scaled[list(MODEL_SPECS[model.model].time_parameters)] *= scale
    with np.errstate(all="ignore"):
        value = weighted_loglik(model.model, scaled, Scaled.from_rows(rows, scale))
    return value + float(rows.weights @ rows.frequency) * np.log(scale)


def _start(model: str, near: pd.Series | None, scale: float) -> np.ndarray | None:
    """``near`` as log-parameters on time scaled by ``scale`` (None: start at 1)."""
    if near is None:
        return None
    values = near.reindex(list(MODEL_SPECS[model].parameter_names)).to_numpy(dtype=float)
    values[list(MODEL_SPECS[model].time_parameters)] *= scale
    theta = np.log(np.maximum(values, 1e-300))
    return np.clip(theta, -IDENTIFIABLE_LOG, IDENTIFIABLE_LOG) if np.isfinite(theta).all() else None


def _failure_message(name: str, rows: HistoryRows, unidentified: bool) -> str:
    if not unidentified:
        return Message(
            N_("The {name} model could not be fitted to this data, even with a penalty on its "
               "parameters. Try another model, another time unit or a longer history."),
            name=name,
        )  # fmt: skip
    return Message(
        N_("The {name} model is not identifiable from these data: with {repeaters} repeat buyers "
           "among {customers} its parameters run off to zero or infinity (the data cannot tell "
           "how customers differ or when they drop out), even with a penalty. Its P(alive) and "
           "CLV would mean nothing. Use a longer history or more customers, or another model."),
        name=name, repeaters=int(rows.weights[rows.frequency > 0].sum()),
        customers=formatting.counted(rows.n_customers, "customer"),
    )  # fmt: skip


def _check_enough_data(rows: HistoryRows) -> None:
    n = rows.n_customers
    repeaters = int(rows.weights[rows.frequency > 0].sum())
    if n < MIN_CUSTOMERS:
        raise ModelError(
            Message(
                N_("Only {customers} to learn from; lifetime-value models need at least {minimum} "
                   "to estimate how customers buy and leave. Use a longer period or more data."),
                customers=formatting.counted(n, "customer"), minimum=MIN_CUSTOMERS,
            )
        )  # fmt: skip
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise ModelError(
            Message(
                N_("No customer bought more than once (on different days). The models learn "
                   "purchase rates and drop-out from repeat purchases and need at least {minimum} "
                   "repeat buyers: use a longer period, a later calibration end, or check that "
                   "the customer id column identifies customers across orders."),
                minimum=MIN_REPEAT_CUSTOMERS,
            )
            if repeaters == 0
            else Message(
                N_("Only {customers} bought more than once (on different days). The models learn "
                   "purchase rates and drop-out from repeat purchases and need at least {minimum} "
                   "repeat buyers: use a longer period, a later calibration end, or check that "
                   "the customer id column identifies customers across orders."),
                customers=formatting.counted(repeaters, "customer"), minimum=MIN_REPEAT_CUSTOMERS,
            )
        )  # fmt: skip


def _unscale(model: str, scaled: np.ndarray, scale: float) -> np.ndarray:
    """Back from time scaled to [0, 1] to the data's unit: alpha (and Pareto's beta) are times."""
    params = scaled.astype(float).copy()
    params[list(MODEL_SPECS[model].time_parameters)] /= scale
    return params


def p_alive(
    model: str, params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """P(alive) by the model's formula. Pareto/NBD is evaluated on time scaled to [0, 1]
    (the probability does not depend on the unit), where its hypergeometric terms stay finite."""
    spec = MODEL_SPECS[model]
    scale = 1.0
    if spec.p_alive_on_unit_time:
        scale = 1.0 / max(float(np.max(age, initial=1.0)), 1e-12)
    scaled = params.astype(float).copy()
    scaled[list(spec.time_parameters)] *= scale
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = spec.p_alive(
            scaled,
            np.asarray(x, dtype=float),
            np.asarray(tx, dtype=float) * scale,
            np.asarray(age, dtype=float) * scale,
        )
    values = np.atleast_1d(np.asarray(values, dtype=float))
    return np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0)


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
    return MODEL_SPECS[model].alive_purchases(params, x, age, t, rate_factor, dropout_factor)


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
    codes, (ux, uage) = factorize_rows(np.asarray(x, dtype=float), np.asarray(age, dtype=float))
    if rate_factor == 1.0 and dropout_factor == 1.0:
        path = _BASELINE_PATHS.path(model, params, ux, uage, horizon_months, unit)
    else:  # a what-if's: the scenario keeps its own
        grid = month_grid(horizon_months, unit)
        path = alive_purchases(model, params, ux, uage, grid, rate_factor, dropout_factor)
    increments = np.diff(path, axis=1)
    discounted = increments @ discount_factors(horizon_months, discount_rate)
    return discounted[codes], path[:, -1][codes]


class _MonthlyPaths:
    """The untreated alive purchases by month of the last fits' customers, kept across horizons.

    Each month's value depends on nothing but the month, so a longer horizon only adds months: the
    CLV page's horizon slider reran every month of every customer twice per move (its values and
    its what-if base), 0.18 s of each in-process rerun at 1M transactions. Keyed by the model, its
    parameters, the unit and the set of distinct (frequency, age) pairs (in a fixed order, so the
    CLV table's histories and the what-if's customers find the same entry); a few entries only
    (each at most pairs x 241 months of floats).
    """

    KEPT = 2

    def __init__(self) -> None:
        self._paths: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def path(
        self, model: str, params: np.ndarray, x: np.ndarray, age: np.ndarray, months: int, unit: str
    ) -> np.ndarray:
        """Alive purchases at 0, 1, ..., ``months`` months (as :func:`alive_purchases`)."""
        order = np.lexsort((age, x))
        x, age = np.ascontiguousarray(x[order], float), np.ascontiguousarray(age[order], float)
        pairs = hashlib.blake2b(x.tobytes() + age.tobytes(), digest_size=16).digest()
        key = (model, np.asarray(params, float).tobytes(), unit, pairs)
        with self._lock:
            known = self._paths.pop(key, None)
        grid = month_grid(months, unit)
        done = 0 if known is None else known.shape[1]
        if done < len(grid):
            later = alive_purchases(model, params, x, age, grid[done:])
            known = later if known is None else np.hstack([known, later])
        with self._lock:  # back in as the most recently used
            self._paths[key] = known
            while len(self._paths) > self.KEPT:
                self._paths.popitem(last=False)
        path = np.empty((len(order), len(grid)))
        path[order] = known[:, : len(grid)]
        return path


_BASELINE_PATHS = _MonthlyPaths()


def _penalised_note(name: str, penalizer: float, unidentified: bool) -> Message:
    """What a penalised refit means for the figures, shown above them on the CLV page."""
    if unidentified:
        template = N_(
            "Penalised fit: the {name} model could not pin down its parameters from these data "
            "alone (they ran off to zero or infinity), so it was refitted with a penalty of "
            "{penalty} on the parameters, which pulls them towards moderate values. Its figures "
            "lean on that penalty as much as on the data: read them with care."
        )
    else:
        template = N_(
            "Penalised fit: the {name} model did not converge on its own, so it was refitted with "
            "a penalty of {penalty} on the parameters, which pulls them towards moderate values. "
            "Its figures lean on that penalty as much as on the data: read them with care."
        )
    return Message(template, name=name, penalty=f"{penalizer:g}")
