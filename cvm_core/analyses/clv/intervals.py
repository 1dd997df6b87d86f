"""Intervals around every customer's CLV and around the totals of groups of customers (value
tiers, acquisition channels): how far the figures the CLV page shows may be off.

Two sources of uncertainty, both drawn ``draws`` times:

* The parameters. The fitted log-parameters of the transaction and the spend model are
  approximately normal with the inverse of the observed information (the likelihood's curvature)
  as covariance. A draw moves each customer's expected purchases and spend by the first-order
  change (their gradients in the log-parameters, by finite differences on the distinct
  histories): the shift is shared by all customers in a draw, so it does not average out in a
  total.
* The process. Given the parameters, a customer is alive with their P(alive); if alive, their
  purchase rate is drawn from its posterior (gamma with shape r + x, so the count is negative
  binomial around the expected purchases), and the spend of those purchases from Gamma-Gamma
  (the customer's spend level from its posterior, then the purchases' total).

Each draw's value is discounted margin minus cost-to-serve exactly as the point estimate
(:func:`cvm_core.analyses.clv.values.predict_customer_value`), whose mean it has; totals are
centred on the point estimate, so the interval is always around the figure the page shows. A
customer's value has a point mass at zero (no further purchase); an interval whose lower end falls
on it starts at zero and ends where it holds the stated share of the draws, so its coverage is
the nominal one, not more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.clv.fit import CLVFit
from cvm_core.analyses.clv.histories import collapse_histories
from cvm_core.analyses.clv.likelihoods import Scaled, log_space_objective, numeric_hessian
from cvm_core.analyses.clv.models import MODEL_SPECS
from cvm_core.analyses.clv.spend_model import SpendModel, conditional_spend, spend_history
from cvm_core.analyses.clv.transaction_model import (
    TransactionModel,
    discounted_alive_purchases,
    month_grid,
    p_alive,
)
from cvm_core.analyses.clv.values import CLVValues

DEFAULT_LEVELS = (0.80, 0.95)
DEFAULT_DRAWS = 100
"""Draws per customer: enough for the 2.5% and 97.5% quantiles of a total (whose draws are
smooth), about 3 s for 100k customers on two busy cores (200 draws: twice that)."""
CHUNK = 10_000
"""Customers drawn at once: 10,000 x 100 draws keep each array at 8 MB."""
STEP = 1e-4
"""Finite-difference step in the log-parameters."""
ALL = "All customers"


@dataclass(frozen=True)
class CLVIntervals:
    """Intervals around each customer's CLV and each group's total.

    Attributes
    ----------
    customers : DataFrame
        Indexed like the values: clv, then low_<level> and high_<level> per level (e.g.
        low_80, high_80, low_95, high_95).
    groups : DataFrame
        One row per group and :data:`ALL` last: group, customers, clv (the point estimate's
        total) and low_/high_ per level.
    draws : DataFrame
        Each group's total per draw (rows: draws, columns: groups and :data:`ALL`), centred on
        the point estimate: for statements such as "pays back with probability p".
    levels : tuple of float
    """

    customers: pd.DataFrame
    groups: pd.DataFrame
    draws: pd.DataFrame
    levels: tuple[float, ...]

    def probability_above(self, group: str, threshold: float) -> float:
        """Share of the draws in which ``group``'s total exceeds ``threshold``."""
        return float((self.draws[group] > threshold).mean())


def level_name(level: float) -> str:
    return f"{round(level * 100):d}"


@dataclass(frozen=True)
class _Spread:
    """What the draws need per customer, and the parameter draws."""

    model: str
    params: np.ndarray
    horizon: float  # in the data's time unit
    alive: np.ndarray
    x: np.ndarray
    age: np.ndarray
    shape: np.ndarray  # the posterior purchase rate's: r + x
    rate: np.ndarray  # and alpha + T
    nu_shape: np.ndarray
    nu_rate: np.ndarray
    spend_p: float
    spend_scale: np.ndarray  # the page's expected spend over the posterior mean's
    discount: np.ndarray  # discounted / undiscounted expected purchases
    margin: np.ndarray
    unit_cost: np.ndarray  # cost-to-serve per (discounted) purchase
    purchase_gradient: np.ndarray  # (n, 4)
    spend_gradient: np.ndarray  # (n, 3)
    purchase_shifts: np.ndarray  # (draws, 4)
    spend_shifts: np.ndarray  # (draws, 3)


def clv_intervals(
    values: pd.DataFrame,
    summary: pd.DataFrame,
    model: TransactionModel,
    spend: SpendModel,
    unit: str,
    horizon_months: int,
    discount_rate: float,
    groups: pd.Series | None = None,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    draws: int = DEFAULT_DRAWS,
    random_state: int = 0,
) -> CLVIntervals:
    """Intervals around the CLV of every customer and the total of every group.

    Parameters
    ----------
    values : DataFrame
        :func:`cvm_core.analyses.clv.values.predict_customer_value` of ``summary`` (the
        ``customers`` of :class:`CLVValues`), with the same horizon and discount rate.
    summary : DataFrame
        The customer summary ``model`` and ``spend`` were fitted to.
    groups : Series, optional
        A group label per customer (the tier); totals are given per group and for everyone.
    """
    rng = np.random.default_rng(random_state)
    spread = _spread(values, summary, model, spend, unit, horizon_months, discount_rate, rng, draws)
    labels = pd.Series(ALL, index=values.index) if groups is None else groups.reindex(values.index)
    codes, names = pd.factorize(labels.astype(str), sort=False)
    if groups is not None and isinstance(groups.dtype, pd.CategoricalDtype):
        names = pd.Index([str(c) for c in groups.cat.categories])
        codes = groups.reindex(values.index).cat.codes.to_numpy()
    n = len(values)
    bounds = {level: (np.empty(n), np.empty(n)) for level in levels}
    totals = np.zeros((len(names), draws))
    for start in range(0, n, CHUNK):
        part = slice(start, min(start + CHUNK, n))
        drawn = _draw(spread, part, rng)
        for level in levels:
            low, high = _bounds(drawn, level)
            bounds[level][0][part], bounds[level][1][part] = low, high
        np.add.at(totals, codes[part], drawn)
    return _result(values["clv"], bounds, totals, codes, names, levels)


def _result(clv, bounds, totals, codes, names, levels) -> CLVIntervals:
    point = np.bincount(codes, weights=clv.to_numpy(dtype=float), minlength=len(names))
    everyone = totals.sum(axis=0)
    # Centre each total on the point estimate: the draws' mean differs only by simulation noise.
    centred = np.vstack([totals, everyone[None, :]])
    centred = centred - centred.mean(axis=1, keepdims=True) + np.r_[point, point.sum()][:, None]
    groups = pd.DataFrame(
        {
            "group": [*map(str, names), ALL],
            "customers": np.r_[np.bincount(codes, minlength=len(names)), len(codes)],
            "clv": np.r_[point, point.sum()],
        }
    )
    customers = pd.DataFrame({"clv": clv})
    for level in levels:
        name, tail = level_name(level), (1 - level) / 2
        # An interval always holds the figure the page shows: a customer almost surely gone has
        # the draws' interval [0, 0] around a small expected value, widened to reach it.
        low, high = bounds[level]
        customers[f"low_{name}"] = np.minimum(low, customers["clv"].to_numpy())
        customers[f"high_{name}"] = np.maximum(high, customers["clv"].to_numpy())
        groups[f"low_{name}"] = np.quantile(centred, tail, axis=1)
        groups[f"high_{name}"] = np.quantile(centred, 1 - tail, axis=1)
    if len(names) == 1 and names[0] == ALL:
        groups = groups.iloc[[-1]].reset_index(drop=True)
        centred = centred[[-1]]
    draws = pd.DataFrame(centred.T, columns=groups["group"].tolist())
    return CLVIntervals(customers, groups, draws, tuple(levels))


def _spread(values, summary, model, spend, unit, horizon, rate, rng, draws) -> _Spread:
    n = len(values)
    alive = values["p_alive"].to_numpy(dtype=float)
    expected = values["expected_purchases"].to_numpy(dtype=float)
    discounted = values["discounted_purchases"].to_numpy(dtype=float)
    x, m = spend_history(summary)
    p, q, gamma = spend.params_.to_numpy(dtype=float)
    nu_shape, nu_rate = q + p * x, gamma + x * m
    posterior_mean = p * nu_rate / (nu_shape - 1.0)
    own_spend = values["expected_spend"].to_numpy(dtype=float)
    rate_alive = values["purchase_rate"].to_numpy(dtype=float)
    per_period = values["cost_per_period"].to_numpy(dtype=float)
    unit_cost = values["cost_per_purchase"].to_numpy(dtype=float) + np.divide(
        per_period, rate_alive, out=np.zeros(n), where=rate_alive > 0
    )
    purchase_cov = _covariance(_transaction_information(model))
    spend_cov = _covariance(spend.information(summary))
    return _Spread(
        model=model.model,
        params=model._params(),
        horizon=float(month_grid(horizon, unit)[-1]),
        alive=alive,
        x=x,
        age=summary["T"].to_numpy(dtype=float),
        shape=float(model.params_.iloc[0]) + x,
        rate=float(model.params_.iloc[1]) + summary["T"].to_numpy(dtype=float),
        nu_shape=nu_shape,
        nu_rate=nu_rate,
        spend_p=float(p),
        spend_scale=np.divide(own_spend, posterior_mean, out=np.ones(n), where=posterior_mean > 0),
        discount=np.divide(discounted, expected, out=np.zeros(n), where=expected > 0),
        margin=values["margin_rate"].to_numpy(dtype=float),
        unit_cost=unit_cost,
        purchase_gradient=_purchase_gradient(model, summary, horizon, rate, unit),
        spend_gradient=_spend_gradient(spend, x, m),
        purchase_shifts=rng.multivariate_normal(np.zeros(len(purchase_cov)), purchase_cov, draws),
        spend_shifts=rng.multivariate_normal(np.zeros(3), spend_cov, draws),
    )


def _draw(s: _Spread, part: slice, rng: np.random.Generator) -> np.ndarray:
    """CLV draws of the customers in ``part``: (customers, draws)."""
    moved = np.exp(np.clip(s.purchase_gradient[part] @ s.purchase_shifts.T, -5, 5))
    size = moved.shape
    # Only customers alive in a draw buy: draw the rest of their future for them alone.
    alive_at, draw_at = np.nonzero(rng.random(size) < s.alive[part, None])
    who = alive_at + part.start
    rate = rng.gamma(s.shape[who], moved[alive_at, draw_at] / s.rate[who])
    count = np.zeros(size, dtype=np.int64)
    count[alive_at, draw_at] = MODEL_SPECS[s.model].draw_alive_purchases(
        s.params, s.x[who], s.age[who], s.horizon, rate, rng
    )
    bought = count > 0
    rows = np.nonzero(bought)[0] + part.start
    level = rng.gamma(s.nu_shape[rows], 1.0 / s.nu_rate[rows])  # the customer's spend level
    spent = np.zeros(size)
    spent[bought] = rng.gamma(s.spend_p * count[bought], 1.0 / level) * s.spend_scale[rows]
    spent *= np.exp(np.clip(s.spend_gradient[part] @ s.spend_shifts.T, -5, 5))
    value = s.margin[part, None] * spent - count * s.unit_cost[part, None]
    return s.discount[part, None] * value


def _bounds(drawn: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed interval of each row's draws; where the lower tail ends on the point mass at
    zero, the interval runs from zero to the quantile that holds ``level`` of the draws."""
    size = drawn.shape[1]
    ordered = np.sort(drawn, axis=1)
    tail = (1 - level) / 2
    below = (drawn < 0).mean(axis=1)
    at_zero = (drawn == 0).mean(axis=1)
    on_zero = (below <= tail) & (tail < below + at_zero)
    low_q = np.full(len(drawn), tail)
    high_q = np.where(on_zero, np.minimum(level + below, 1.0), 1 - tail)

    def at(q: np.ndarray) -> np.ndarray:
        index = np.clip(np.ceil(q * size - 1e-9).astype(int) - 1, 0, size - 1)
        return np.take_along_axis(ordered, index[:, None], axis=1)[:, 0]

    return np.where(on_zero, 0.0, at(low_q)), at(high_q)


def _transaction_information(model: TransactionModel) -> np.ndarray:
    rows = model.histories_
    scale = 1.0 / float(rows.T.max())
    params = model._params().copy()
    params[list(MODEL_SPECS[model.model].time_parameters)] *= scale
    objective, jac = log_space_objective(
        model.model, Scaled.from_rows(rows, scale), model.penalizer_coef_
    )
    return numeric_hessian(objective, np.log(params), jac) * rows.n_customers


def _covariance(information: np.ndarray) -> np.ndarray:
    """Inverse of the information, made symmetric and positive semi-definite (a flat direction
    the optimiser stopped in gives no spread rather than a negative variance)."""
    sym = (information + information.T) / 2
    values, vectors = np.linalg.eigh(sym)
    inverse = np.where(values > 1e-12, 1.0 / np.where(values > 1e-12, values, 1.0), 0.0)
    return (vectors * inverse) @ vectors.T


def _purchase_gradient(model, summary, horizon, rate, unit) -> np.ndarray:
    """d log(discounted expected purchases) / d log-parameter, per customer."""
    rows = collapse_histories(summary)
    params = model._params()

    def log_purchases(p: np.ndarray) -> np.ndarray:
        alive = p_alive(model.model, p, rows.frequency, rows.recency, rows.T)
        later, _ = discounted_alive_purchases(
            model.model, p, rows.frequency, rows.T, horizon, rate, unit
        )
        return np.log(np.maximum(alive * later, 1e-300))

    base = log_purchases(params)
    columns = []
    for j in range(len(params)):
        moved = params.copy()
        moved[j] *= np.exp(STEP)
        columns.append((log_purchases(moved) - base) / STEP)
    gradient = np.nan_to_num(np.column_stack(columns))
    return gradient[rows.inverse]


def _spend_gradient(spend: SpendModel, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """d log(expected spend) / d log-parameter, per customer."""
    params = spend.params_.to_numpy(dtype=float)
    base = np.log(np.maximum(conditional_spend(params, x, m), 1e-300))
    columns = []
    for j in range(3):
        moved = params.copy()
        moved[j] *= np.exp(STEP)
        columns.append((np.log(np.maximum(conditional_spend(moved, x, m), 1e-300)) - base) / STEP)
    return np.nan_to_num(np.column_stack(columns))


def intervals_of(
    fit: CLVFit,
    values: CLVValues,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    draws: int = DEFAULT_DRAWS,
    random_state: int = 0,
) -> CLVIntervals:
    """Intervals around a CLV run's values (the CLV page's), with totals per value tier."""
    settings = values.settings
    return clv_intervals(
        values.customers, fit.summary, fit.model, fit.spend, fit.settings.unit,
        settings.horizon_months, settings.discount_rate, values.customers["tier"], levels, draws,
        random_state,
    )  # fmt: skip


def payback_chance(intervals: CLVIntervals, by_tier: pd.DataFrame) -> pd.Series:
    """Per row of a what-if projection (tiers and "Total"): the share of draws in which the
    treatment's incremental value exceeds its cost; NaN where nothing is spent.

    The incremental value is taken to vary with its tier's CLV in proportion (an uplift scales
    what the tier is worth): in each draw it is the projected incremental value times the tier
    total's draw over its point estimate.
    """
    groups = intervals.groups.set_index("group")["clv"]
    out = {}
    for row in by_tier.itertuples():
        column = ALL if row.tier == "Total" or row.tier not in intervals.draws else row.tier
        point = float(groups.get(column, np.nan))
        scale = (
            intervals.draws[column] / point if point > 0 else pd.Series(1.0, intervals.draws.index)
        )
        cost = float(row.treatment_cost)
        out[row.tier] = float((row.incremental_value * scale > cost).mean()) if cost > 0 else np.nan
    return pd.Series(out, name="payback_chance")
