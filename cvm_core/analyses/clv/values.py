"""Per-customer value from a fitted CLV model: margins, discounted CLV, value tiers and the chart
data (CLV distribution, P(alive) by recency x frequency, top customers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.clv import tiers as tiering
from cvm_core.analyses.clv.backend import single_blas_thread
from cvm_core.analyses.clv.fit import CLVFit
from cvm_core.analyses.clv.histories import HistoryRows, collapse_histories
from cvm_core.analyses.clv.spend_model import SpendModel
from cvm_core.analyses.clv.transaction_model import (
    TransactionModel,
    discounted_alive_purchases,
    p_alive,
)
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent
from cvm_core.intake.summary import UNIT_DAYS

DEFAULT_HORIZON_MONTHS = 36
DEFAULT_DISCOUNT_RATE = 0.10
"""Annual discount rate."""
DEFAULT_MARGIN = 0.30
"""Margin on revenue when there is no cost column."""
MARGIN_RANGE = (0.0, 1.0)
"""Per-customer margins from the cost column are clipped to this range: a single odd order should
neither create a negative lifetime value nor one above revenue."""


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
            raise ValidationError(
                Message(
                    N_("The margin is a percentage of revenue between {low} and {high}."),
                    low=Percent(0, 0), high=Percent(1, 0),
                )
            )  # fmt: skip
        return np.full(n, float(margin)), Message(
            N_("{margin} of revenue for every customer"), margin=Percent(margin, 0)
        )
    cost = summary["cost"].to_numpy(dtype=float)
    net = summary["net_revenue"].to_numpy(dtype=float)
    known = np.isfinite(cost) & (net > 0)
    if not known.any():
        raise ValidationError(
            Message(
                N_("No cost of goods is mapped for these customers, so margins cannot come from "
                   "it; enter a margin percentage instead.")
            )
        )  # fmt: skip
    overall = float(np.clip((net[known] - cost[known]).sum() / net[known].sum(), *MARGIN_RANGE))
    own = np.divide(net - np.nan_to_num(cost), net, out=np.full(n, overall), where=known)
    rates = np.where(known, np.clip(own, *MARGIN_RANGE), overall)
    return rates, Message(
        N_("each customer's own margin from the cost column (overall {overall}; clipped to "
           "{low}-{high})"),
        overall=Percent(overall), low=Percent(MARGIN_RANGE[0], 0), high=Percent(MARGIN_RANGE[1], 0),
    )  # fmt: skip


def predict_customer_value(
    summary: pd.DataFrame,
    model: TransactionModel,
    spend: SpendModel,
    unit: str,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    margin: float | None = DEFAULT_MARGIN,
    histories: HistoryRows | None = None,
    service_costs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """P(alive), expected purchases, expected spend and CLV per customer.

    CLV is future profit: the expected discounted margin minus, when ``service_costs`` are given,
    the expected discounted cost-to-serve (each customer's cost per purchase times their
    discounted expected purchases, plus their cost per time unit times their discounted expected
    time alive). The time alive is the expected purchases over the customer's expected purchase
    rate (r + x) / (alpha + T): exact when purchases and drop-out are independent, as in
    Pareto/NBD, a close approximation for the BG models.

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
    service_costs : DataFrame, optional
        Indexed by customer: cost_per_purchase and cost_per_period (per time unit), from
        :func:`cvm_core.analyses.profitability.projection.service_cost_rates`. None: gross-margin
        CLV (no cost-to-serve).

    Returns
    -------
    DataFrame
        Indexed like ``summary``: frequency, recency, T, monetary_value, net_revenue, p_alive,
        expected_purchases (within the horizon), expected_spend, margin_rate, discounted_purchases
        (P(alive) times the discounted alive purchases), purchase_rate, cost_per_purchase,
        cost_per_period, future_margin, future_cost_to_serve and clv (their difference). All
        finite.
    """
    _check_value_settings(horizon_months, discount_rate, unit)
    rows = histories if histories is not None else collapse_histories(summary)
    if len(rows.inverse) != len(summary):
        raise ValidationError(
            Message(N_("The customer histories do not belong to this customer summary."))
        )
    params = model._params()
    with single_blas_thread():
        alive_rows = p_alive(model.model, params, rows.frequency, rows.recency, rows.T)
        discounted_rows, total_rows = discounted_alive_purchases(
            model.model, params, rows.frequency, rows.T, horizon_months, discount_rate, unit
        )
    alive = alive_rows[rows.inverse]
    discounted = alive * discounted_rows[rows.inverse]
    spend_values = spend.expected_spend(summary).to_numpy()
    rates, _ = margin_rates(summary, margin)
    n = len(summary)
    purchase_rate = _purchase_rate(params, summary)
    per_purchase, per_period = _service_costs(service_costs, summary.index)
    future_margin = discounted * spend_values * rates
    time_alive = np.divide(discounted, purchase_rate, out=np.zeros(n), where=purchase_rate > 0)
    future_cost = per_purchase * discounted + per_period * time_alive
    predicted = {
        "p_alive": alive,
        "expected_purchases": alive * total_rows[rows.inverse],
        "expected_spend": spend_values,
        "margin_rate": rates,
        "discounted_purchases": discounted,
        "purchase_rate": purchase_rate,
        "cost_per_purchase": per_purchase,
        "cost_per_period": per_period,
        "future_margin": future_margin,
        "future_cost_to_serve": future_cost,
        "clv": future_margin - future_cost,
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


def _purchase_rate(params: np.ndarray, summary: pd.DataFrame) -> np.ndarray:
    """Each customer's expected purchase rate while alive, (r + x) / (alpha + T): the posterior
    mean of lambda in every model here (their first two parameters are r and alpha)."""
    r, alpha = float(params[0]), float(params[1])
    x = summary["frequency"].to_numpy(dtype=float)
    return (r + x) / (alpha + summary["T"].to_numpy(dtype=float))


def _service_costs(costs: pd.DataFrame | None, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    if costs is None:
        return np.zeros(len(index)), np.zeros(len(index))
    aligned = costs.reindex(index)[["cost_per_purchase", "cost_per_period"]].fillna(0.0)
    return (
        aligned["cost_per_purchase"].to_numpy(dtype=float),
        aligned["cost_per_period"].to_numpy(dtype=float),
    )


def _check_value_settings(horizon_months: int, discount_rate: float, unit: str) -> None:
    if unit not in UNIT_DAYS:
        raise ValidationError(
            Message(N_("Unknown time unit '{unit}'; choose day, week or month."), unit=unit)
        )
    if not 1 <= int(horizon_months) <= 240:
        raise ValidationError(
            Message(N_("The CLV horizon must be between {low} and {high} months."), low=1, high=240)
        )
    if not 0.0 <= discount_rate < 1.0:
        raise ValidationError(
            Message(
                N_("The annual discount rate must be between {low} and {high}."),
                low=Percent(0, 0), high=Percent(1, 0),
            )
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Customer values, tiers and chart data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueSettings(Settings):
    """How to turn predictions into money: horizon, discount rate, margin, cost-to-serve and
    tier cut-offs.

    ``margin`` None: each customer's own margin from the cost column (see
    :mod:`cvm_core.analyses.clv.run` for the default when the data has none).
    ``net_of_cost_to_serve``: CLV is future margin minus future cost-to-serve (the Whale Curve's
    activity rates); False values gross margin only.
    """

    horizon_months: int = setting(DEFAULT_HORIZON_MONTHS, low=1, high=120)
    discount_rate: float = setting(DEFAULT_DISCOUNT_RATE, low=0.0, high=0.5)
    margin: float | None = setting(DEFAULT_MARGIN, low=0.0, high=1.0)
    tier_cutoffs: tuple[float, ...] = setting(tiering.DEFAULT_TIER_CUTOFFS, low=0.0, high=1.0)
    tier_names: tuple[str, ...] = tiering.DEFAULT_TIER_NAMES
    net_of_cost_to_serve: bool = True


GROSS_MARGIN_ONLY = "gross margin only: no cost-to-serve deducted"


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
    cost_basis : str
        The activity rates the deducted cost-to-serve comes from, in words ("the default activity
        rates"); :data:`GROSS_MARGIN_ONLY` when none was deducted.
    """

    customers: pd.DataFrame
    tiers: pd.DataFrame
    total_clv: float
    mean_p_alive: float
    expected_purchases: float
    margin_basis: str
    settings: ValueSettings
    cost_basis: str = GROSS_MARGIN_ONLY

    @property
    def future_margin(self) -> float:
        return float(self.customers["future_margin"].sum())

    @property
    def future_cost_to_serve(self) -> float:
        return float(self.customers["future_cost_to_serve"].sum())


def customer_values(
    fit: CLVFit,
    settings: ValueSettings,
    service_costs: pd.DataFrame | None = None,
    cost_basis: str = GROSS_MARGIN_ONLY,
) -> CLVValues:
    """CLV per customer from a fit, with tiers by CLV rank; ``service_costs`` (see
    :func:`predict_customer_value`) and their description when CLV is net of cost-to-serve."""
    frame = predict_customer_value(
        fit.summary, fit.model, fit.spend, fit.settings.unit,
        settings.horizon_months, settings.discount_rate, settings.margin, fit.model.histories_,
        service_costs,
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
        cost_basis=cost_basis if service_costs is not None else GROSS_MARGIN_ONLY,
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
