"""The CLV analysis as every caller runs it: the page, the command line, the report, the Scorecard.

Two steps, because the page caches them apart (a new horizon or margin must not refit the
models): :func:`fit` the models, then :func:`value` the customers. :func:`run` does both. The one
rule for a margin that was not chosen lives here: each customer's own margin from the cost column
when the data has cost of goods, else :data:`DEFAULT_MARGIN` of revenue.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from cvm_core.analyses.clv.fit import CLVFit, FitSettings, fit_clv
from cvm_core.analyses.clv.values import CLVValues, ValueSettings, customer_values, default_margin


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


def run(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    fit_settings: FitSettings,
    value_settings: ValueSettings,
) -> tuple[CLVFit, CLVValues]:
    fitted = fit(transactions, summary, fit_settings)
    return fitted, value(fitted, value_settings)
