"""Distinct (frequency, recency, T) histories with weights: every model depends on a customer only
through them, so likelihoods and predictions run once per distinct history and are broadcast back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

# ---------------------------------------------------------------------------------------------
# Distinct histories
# ---------------------------------------------------------------------------------------------


def factorize_rows(*columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
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
    inverse, (x, tx, age) = factorize_rows(
        summary["frequency"].to_numpy(dtype=float),
        summary["recency"].to_numpy(dtype=float),
        summary["T"].to_numpy(dtype=float),
    )
    weights = np.bincount(inverse, minlength=len(x)).astype(float)
    return HistoryRows(x, tx, age, weights, inverse)


def _check_summary(summary: pd.DataFrame) -> None:
    missing = [c for c in ("frequency", "recency", "T") if c not in summary]
    if missing:
        raise ValidationError(
            Message(N_("The customer summary lacks {columns}."), columns=", ".join(missing))
        )
    x, tx, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(age).all()):
        raise ValidationError(
            Message(N_("The customer summary has missing frequency, recency or T values."))
        )
    if (x < 0).any() or (tx < 0).any() or (tx > age + 1e-9).any():
        raise ValidationError(
            Message(
                N_("Recency must lie between 0 and the customer's age T; check the observation "
                   "end.")
            )
        )  # fmt: skip
