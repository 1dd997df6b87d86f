"""Calendar periods (quarters or months): numbering, labels and the default period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.scorecard.specs import FREQUENCIES
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Periods:
    codes: np.ndarray  # period code of each transaction
    index: pd.PeriodIndex  # code -> period
    data_start: pd.Timestamp
    end: pd.Timestamp

    def code_of(self, dates: pd.Series) -> np.ndarray:
        return period_numbers(dates, self.index.freqstr) - period_number(self.index[0])

    def days(self) -> np.ndarray:
        """Days covered by each period within the data (first and last may be partial)."""
        day = "datetime64[D]"
        starts = self.index.start_time.to_numpy().astype(day)
        ends = self.index.end_time.to_numpy().astype(day)
        starts = np.maximum(starts, np.datetime64(self.data_start.date(), "D"))
        ends = np.minimum(ends, np.datetime64(self.end.date(), "D"))
        return ((ends - starts).astype(np.int64) + 1).astype(float)


def transaction_periods(tx: pd.DataFrame, frequency: str, end: pd.Timestamp) -> Periods:
    """Every period from the first transaction's to ``end``, and each transaction's period code."""
    start = pd.Timestamp(tx["date"].min())
    index = pd.period_range(start, end, freq=frequency)
    codes = period_numbers(tx["date"], frequency) - period_number(index[0])
    return Periods(codes, index, start, end)


def period_numbers(dates: pd.Series, freq: str) -> np.ndarray:
    """Quarter or month number since year 0 (fast on a million rows, unlike to_period)."""
    values = dates.to_numpy()
    if values.dtype.kind == "M" and not np.isnat(values).any():
        # months since 1970 from the datetime64 values directly (no year and month columns)
        month = values.astype("datetime64[M]").astype(np.int64) + 1970 * 12
        return month // 3 if freq.startswith("Q") else month
    year = dates.dt.year.to_numpy(dtype=np.int64)
    month = dates.dt.month.to_numpy(dtype=np.int64) - 1
    return year * 4 + month // 3 if freq.startswith("Q") else year * 12 + month


def period_number(period: pd.Period) -> int:
    return period_numbers(pd.Series([period.start_time]), period.freqstr)[0]


def period_label(period: pd.Period) -> str:
    """'Q4 2024' or 'Dec 2024'."""
    if period.freqstr.startswith("Q"):
        return f"Q{period.quarter} {period.year}"
    return period.start_time.strftime("%b %Y")


def period_labels(start: pd.Timestamp, end: pd.Timestamp, frequency: str) -> list[str]:
    """Labels of every period from ``start`` to ``end``, oldest first."""
    return [period_label(p) for p in pd.period_range(start, end, freq=frequency)]


def check_frequency(frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise ValidationError(
            Message(
                N_("Unknown period '{frequency}'; choose Q (quarter) or M (month)."),
                frequency=frequency,
            )
        )


def choose_period(index: pd.PeriodIndex, end: pd.Timestamp, wanted: str | None) -> int:
    labels = [period_label(p) for p in index]
    if wanted is not None:
        if wanted not in labels:
            raise ValidationError(
                Message(
                    N_("There is no period '{wanted}' in the data; choose one of {first} to "
                       "{last}."),
                    wanted=wanted, first=labels[0], last=labels[-1],
                )
            )  # fmt: skip
        return labels.index(wanted)
    complete = index.end_time.normalize() <= end.normalize()
    return int(np.flatnonzero(complete)[-1]) if complete.any() else len(index) - 1


def default_period(start: pd.Timestamp, end: pd.Timestamp, frequency: str) -> str:
    """Label of the latest period that ends by ``end`` (else the latest, partial, period)."""
    check_frequency(frequency)
    index = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=frequency)
    return period_label(index[choose_period(index, pd.Timestamp(end), None)])
