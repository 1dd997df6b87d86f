"""The CLV analysis as every caller runs it: the page, the command line, the report, the Scorecard.

:func:`run` is the analysis: ``run(inputs, CLVSettings) -> CLVResult``. The page calls its two
steps apart, because it caches them apart (a new horizon or margin must not refit the models):
:func:`fit` the models, then :func:`value` the customers. The one
rule for a margin that was not chosen lives here: each customer's own margin from the cost column
when the data has cost of goods, else :data:`DEFAULT_MARGIN` of revenue.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.clv.constants import DEFAULT_CHOICE
from cvm_core.analyses.clv.fit import CLVFit, FitSettings, fit_clv
from cvm_core.analyses.clv.holdout import default_calibration_end
from cvm_core.analyses.clv.value_matrix import ValueMatrix, value_matrix
from cvm_core.analyses.clv.values import (
    GROSS_MARGIN_ONLY,
    CLVValues,
    ValueSettings,
    customer_values,
    default_margin,
)
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.sources import TransactionSource

if TYPE_CHECKING:
    from cvm_core.analyses.profitability.projection import ServiceCosts


@dataclass(frozen=True)
class CLVSettings(Settings):
    """The CLV analysis's settings: what to fit, and how to value customers.

    ``fit.unit`` and ``fit.observation_end`` come from the :class:`AnalysisInputs` (they made the
    customer summary the models are fitted to); the values given here are replaced.
    """

    fit: FitSettings = setting(default_factory=FitSettings)
    value: ValueSettings = setting(default_factory=lambda: ValueSettings(margin=None))


@dataclass(frozen=True)
class CLVResult:
    """The fitted models (with holdout check and comparison), every customer's value, and the
    cost-to-serve it deducted (None: gross-margin CLV)."""

    fit: CLVFit
    values: CLVValues
    costs: ServiceCosts | None = None

    def value_matrix(self) -> ValueMatrix | None:
        """Profit to date against CLV (None without cost-to-serve: no profit to compare)."""
        return matrix_of(self.values, self.costs)


def matrix_of(values: CLVValues, costs: ServiceCosts | None) -> ValueMatrix | None:
    """The value matrix of a net CLV and the P&L its costs came from."""
    if costs is None or costs.profit_to_date is None or values.cost_basis == GROSS_MARGIN_ONLY:
        return None
    return value_matrix(costs.profit_to_date, values.customers["clv"])


def fit(
    transactions: pd.DataFrame | TransactionSource, summary: pd.DataFrame, settings: FitSettings
) -> CLVFit:
    """Fit (and, with a calibration end, check on the holdout and compare) the models."""
    return fit_clv(transactions, settings, summary)


def value(fitted: CLVFit, settings: ValueSettings, costs: ServiceCosts | None = None) -> CLVValues:
    """Every customer's P(alive), expected purchases and spend, CLV and tier.

    ``settings.margin`` None means "not chosen": see the module docstring. ``costs``: the
    cost-to-serve rates CLV deducts when ``settings.net_of_cost_to_serve`` (see
    :func:`service_costs`).
    """
    if settings.margin is None:
        settings = dataclasses.replace(settings, margin=default_margin(fitted.summary))
    if not settings.net_of_cost_to_serve or costs is None:
        return customer_values(fitted, settings)
    return customer_values(fitted, settings, costs.rates, costs.source)


def service_costs(inputs: AnalysisInputs, settings: ValueSettings) -> ServiceCosts | None:
    """The cost-to-serve rates CLV deducts: the inputs' (the Whale Curve page's activity table),
    else the default activity rates; None for gross-margin CLV or a customer summary file (it
    has no activities to cost)."""
    if not settings.net_of_cost_to_serve or not inputs.has_transactions:
        return None
    if inputs.service_costs is not None:
        return inputs.service_costs
    from cvm_core.analyses.profitability import projection  # the P&L only when it is needed

    return projection.service_costs(inputs)


def default_fit_settings(inputs: AnalysisInputs, model: str = DEFAULT_CHOICE) -> FitSettings:
    """The CLV page's defaults: Auto (the compared models' recommendation) with the last third
    of the period as holdout. The Scorecard's default CLV and the report fit the same way, so
    they value customers with the model the page shows."""
    end = inputs.observation_end
    calibration_end = None
    if inputs.has_transactions:
        calibration_end = default_calibration_end(inputs.transaction_source.first_date(), end)
    return FitSettings(model, inputs.unit, calibration_end, end, compare=True)


def run(inputs: AnalysisInputs, settings: CLVSettings = CLVSettings()) -> CLVResult:  # noqa: B008
    """Fit the models to the inputs' customer summary and value every customer."""
    fit_settings = dataclasses.replace(
        settings.fit, unit=inputs.unit, observation_end=inputs.observation_end
    )
    # A customer summary file has no transactions: the empty frame says so to fit_clv.
    transactions = inputs.transaction_source if inputs.has_transactions else inputs.transactions
    fitted = fit(transactions, inputs.summary, fit_settings)
    costs = service_costs(inputs, settings.value)
    return CLVResult(fitted, value(fitted, settings.value, costs), costs)
