"""Holdout validation: the calibration/holdout split, purchases in the holdout per customer, the
error figures, and cumulative repeat purchases (actual vs model) for the tracking chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.analyses.clv.transaction_model import TransactionModel
from cvm_core.intake.summary import UNIT_DAYS

HOLDOUT_SHARE = 1 / 3
"""Default holdout: the last third of the observation period."""
FREQUENCY_BUCKETS = 7
"""Validation by calibration frequency shows 0, 1, ..., 6 and 7+."""
MAX_CHART_POINTS = 200


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
    rmse : float
        Root mean squared error per customer.
    baselines : DataFrame
        method, mae, rmse, total_pct_error for the model and the naive predictions it has to beat
        (:data:`BASELINES`), model first.
    deciles : DataFrame
        Customers in tenths by the model's prediction (decile 1 = lowest): decile, customers,
        predicted, actual (mean holdout purchases): a calibrated model has them close in every
        tenth, not only in total.
    """

    by_frequency: pd.DataFrame
    actual: float
    predicted: float
    pct_error: float
    mae: float
    periods: float
    rmse: float = np.nan
    baselines: pd.DataFrame = field(default_factory=pd.DataFrame)
    deciles: pd.DataFrame = field(default_factory=pd.DataFrame)

    def beats_baselines(self) -> bool:
        """Whether the model's error per customer is below every naive prediction's."""
        if self.baselines.empty:
            return True
        return bool((self.mae < self.baselines["mae"].iloc[1:]).all())


MODEL_ROW = "The model"
BASELINES = {
    "Nobody buys again (predict 0)": "zero",
    "Same pace as so far (repeat purchases x holdout / age)": "pace",
}
"""Naive holdout predictions a model must beat to be worth its assumptions."""


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
        rmse=float(np.sqrt(np.mean((predicted - observed) ** 2))),
        baselines=_baselines(predicted, observed, calibration, periods),
        deciles=_deciles(predicted, observed),
    )


def _baselines(
    predicted: np.ndarray, observed: np.ndarray, calibration: pd.DataFrame, periods: float
) -> pd.DataFrame:
    x = calibration["frequency"].to_numpy(dtype=float)
    age = calibration["T"].to_numpy(dtype=float)
    pace = np.divide(x * periods, age, out=np.zeros(len(x)), where=age > 0)
    guesses = {MODEL_ROW: predicted, **dict(zip(BASELINES, (np.zeros(len(x)), pace), strict=True))}
    total = observed.sum()
    return pd.DataFrame(
        [
            {
                "method": name,
                "mae": float(np.abs(guess - observed).mean()),
                "rmse": float(np.sqrt(np.mean((guess - observed) ** 2))),
                "total_pct_error": (guess.sum() - total) / total if total > 0 else np.nan,
            }
            for name, guess in guesses.items()
        ]
    )


def _deciles(predicted: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """Mean predicted and actual holdout purchases per tenth of customers by prediction (ties
    by position, so the tenths are equal in size)."""
    n = len(predicted)
    if n == 0:
        return pd.DataFrame(columns=["decile", "customers", "predicted", "actual"])
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(predicted, kind="stable")] = np.arange(n)
    decile = rank * 10 // n
    counts = np.bincount(decile, minlength=10)
    safe = np.maximum(counts, 1)
    table = pd.DataFrame(
        {
            "decile": np.arange(1, 11),
            "customers": counts,
            "predicted": np.bincount(decile, predicted, 10) / safe,
            "actual": np.bincount(decile, observed, 10) / safe,
        }
    )
    return table[table["customers"] > 0].reset_index(drop=True)


def cumulative_repeat_purchases(
    repeats: pd.Series,
    model: TransactionModel,
    calibration: pd.DataFrame,
    unit: str,
    calibration_end: pd.Timestamp,
    observation_end: pd.Timestamp,
    max_points: int = MAX_CHART_POINTS,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration customers: actual vs the model's expectation.

    ``repeats`` counts their repeat purchase days per day number
    (:func:`repeat_purchases_per_day`, or the ``repeat_days`` table of DuckDB or Spark).

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

    days = repeats.index.to_numpy(dtype=np.int64) - start
    per_day = np.bincount(days, repeats.to_numpy(dtype=float), minlength=end_day - start + 1)
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


def repeat_purchases_per_day(
    transactions: pd.DataFrame, calibration: pd.DataFrame, observation_end: pd.Timestamp
) -> pd.Series:
    """Repeat purchase days (not a customer's first) of the calibration customers up to the
    observation end, counted per day number (days since 1970)."""
    days, counts = np.unique(_repeat_purchase_days(transactions, calibration, observation_end),
                             return_counts=True)  # fmt: skip
    return pd.Series(counts.astype(np.int64), index=days, name="repeat_purchases")


def repeats_from_table(table: pd.DataFrame) -> pd.Series:
    """:func:`repeat_purchases_per_day` from the ``repeat_days`` table (DuckDB or Spark)."""
    days = pd.to_datetime(table["day"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    return pd.Series(table["repeat_purchases"].to_numpy(dtype=np.int64), index=days, name="repeat_purchases")  # fmt: skip


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
