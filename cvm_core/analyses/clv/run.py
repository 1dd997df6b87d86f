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

import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.clv.fit import CLVFit, FitSettings, fit_clv
from cvm_core.analyses.clv.values import CLVValues, ValueSettings, customer_values, default_margin
from cvm_core.analyses.inputs import AnalysisInputs


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
    """The fitted models (with holdout check and comparison) and every customer's value."""

    fit: CLVFit
    values: CLVValues


def fit(transactions: pd.DataFrame, summary: pd.DataFrame, settings: FitSettings) -> CLVFit:
    """Fit (and, with a calibration end, check on the holdout and compare) the models."""
    return fit_clv(transactions, settings, summary)


def value(fitted: CLVFit, settings: ValueSettings) -> CLVValues:
    """Every customer's P(alive), expected purchases and spend, CLV and tier.

    ``settings.margin`` None means "not chosen": see the module docstring.
    """
    if settings.margin is None:
        settings = dataclasses.replace(settings, margin=default_margin(fitted.summary))
    return customer_values(fitted, settings)


def run(inputs: AnalysisInputs, settings: CLVSettings = CLVSettings()) -> CLVResult:  # noqa: B008
    """Fit the models to the inputs' customer summary and value every customer."""
    fit_settings = dataclasses.replace(
        settings.fit, unit=inputs.unit, observation_end=inputs.observation_end
    )
    fitted = fit(inputs.transactions, inputs.summary, fit_settings)
    return CLVResult(fitted, value(fitted, settings.value))
