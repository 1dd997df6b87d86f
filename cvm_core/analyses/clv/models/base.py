"""What every transaction model provides, as a class per model (the way lifetimes and
pymc-marketing organise their models): a new model is one module in this package plus one line
in :data:`cvm_core.analyses.clv.models.MODEL_SPECS`.

The shared machinery around a model (distinct histories, time scaling, the optimiser, penalizer
retries, P(alive) and discounting over a horizon) lives in :mod:`~cvm_core.analyses.clv.likelihoods`
and :mod:`~cvm_core.analyses.clv.transaction_model` and calls only what is declared here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from cvm_core.analyses.clv.likelihoods import Scaled


class ModelSpec:
    """A transaction model's formulas. Subclasses set the class attributes and implement the
    methods; they hold no state (the fitted parameters live on the estimator).

    Attributes
    ----------
    key, label : str
        Stable name (settings, workspaces, the CLI) and display name.
    parameter_names : tuple of str
        The four parameters, in the order every method takes them.
    time_parameters : tuple of int
        Positions of the parameters measured in time (scaled with the time unit).
    analytic_gradient : bool
        Whether :meth:`loglik_and_gradient` exists (else the optimiser differentiates numerically).
    p_alive_on_unit_time : bool
        Evaluate P(alive) on time scaled so the oldest customer has T = 1 (keeps the
        hypergeometric terms finite; the probability does not depend on the unit).
    """

    key: ClassVar[str]
    label: ClassVar[str]
    parameter_names: ClassVar[tuple[str, str, str, str]]
    time_parameters: ClassVar[tuple[int, ...]] = (1,)
    analytic_gradient: ClassVar[bool] = True
    p_alive_on_unit_time: ClassVar[bool] = False

    @classmethod
    def p_alive(
        cls, params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        """Probability that a customer with history (x, t_x, T) is still alive: the same formula
        lifetimes uses for this model (tests compare them), computed here so that a run does not
        import lifetimes (about 0.8 s of a command-line run's start)."""
        raise NotImplementedError

    @classmethod
    def loglik(cls, params: np.ndarray, d: Scaled) -> float:
        """Weighted log-likelihood of the histories ``d`` (on scaled time)."""
        return cls.loglik_and_gradient(params, d)[0]

    @classmethod
    def loglik_and_gradient(cls, params: np.ndarray, d: Scaled) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    @classmethod
    def alive_purchases(
        cls,
        params: np.ndarray,
        x: np.ndarray,
        age: np.ndarray,
        t: np.ndarray,
        rate_factor: float,
        dropout_factor: float,
    ) -> np.ndarray:
        """Expected purchases within ``t`` of customers known to be alive; ``x`` and ``age`` are
        columns (n, 1), ``t`` a row (1, k). See :func:`transaction_model.alive_purchases`."""
        raise NotImplementedError

    @classmethod
    def population_share_alive(cls, params: np.ndarray) -> float:
        """Share of new customers still alive right after their first purchase."""
        return 1.0

    @classmethod
    def draw_alive_purchases(
        cls,
        params: np.ndarray,
        x: np.ndarray,
        age: np.ndarray,
        horizon: float,
        rate: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """One draw of the purchases within ``horizon`` of customers known to be alive, whose
        purchase rates (drawn from their posterior) are ``rate``; ``x`` and ``age`` are columns
        of the same shape as ``rate``. Drop-out is drawn from its posterior given survival to ``age``."""
        raise NotImplementedError
