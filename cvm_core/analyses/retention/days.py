"""Day numbers and small checks shared by the retention modules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    """Refuse ``frame`` without ``columns``; ``what`` names the table, marked with N_."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            Message(
                N_("The {what} lacks the column(s) {columns}."),
                what=Message(what), columns=", ".join(missing),
            )
        )  # fmt: skip


def day_numbers(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def dates_of_days(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def end_of(transactions: pd.DataFrame, observation_end: pd.Timestamp | str | None) -> pd.Timestamp:
    if observation_end is not None:
        return pd.Timestamp(observation_end)
    return pd.Timestamp(transactions["date"].max())


def day_number(date: pd.Timestamp) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))
