"""The forecast from the open pipeline: amount x probability by close month, stage and rep, its
coverage of a target, and the funnel (conversion from stage to stage and the time spent in each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.intake.opportunities import OPEN, WON

NO_DATE = "no close date"


def open_pipeline(
    opportunities: pd.DataFrame, used: pd.Series, as_of: pd.Timestamp, row_probability: bool
) -> pd.DataFrame:
    """The open opportunities with the probability used and amount x probability.

    Parameters
    ----------
    used : Series
        Probability per stage (:func:`cvm_core.analyses.pipeline.stages.stage_table` "used").
    row_probability : bool
        True: each row's own probability where the file gives one and its stage was not edited
        (probabilities "from the file"); False: the stage's probability for every row.

    Opportunities whose expected close date has passed count in the month of ``as_of`` (they
    are still open, so still expected now).
    """
    rows = opportunities[opportunities["outcome"] == OPEN]
    stage_p = rows["stage"].map(used)
    p = rows["probability"].where(rows["probability"].notna() & row_probability, stage_p)
    close = rows["close_date"]
    month = close.where(close > as_of, as_of).dt.to_period("M").astype(str)
    out = pd.DataFrame(
        {
            "opportunity_id": rows["opportunity_id"],
            "customer_id": rows["customer_id"],
            "owner": rows["owner"],
            "stage": rows["stage"],
            "close_date": close,
            "close_month": month.where(close.notna(), NO_DATE),
            "overdue": (close <= as_of).to_numpy(),
            "amount": rows["amount"],
            "probability": p.fillna(0.0).astype(float),
        }
    )
    out["weighted"] = out["amount"] * out["probability"]
    return out.reset_index(drop=True)


def weighted_by(pipeline: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Opportunities, amount and weighted amount grouped by ``keys``."""
    return (
        pipeline.groupby(keys, sort=True)
        .agg(
            opportunities=("opportunity_id", "size"),
            amount=("amount", "sum"),
            weighted=("weighted", "sum"),
        )
        .reset_index()
    )


@dataclass(frozen=True)
class Coverage:
    """Pipeline closing in the target period against the target.

    ``target_source`` says where the target came from ("given", or won in the previous months);
    ratios are None when the target is zero.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    target: float
    target_source: str
    pipeline: float
    weighted: float

    @property
    def ratio(self) -> float | None:
        """Open pipeline / target (the sales manager's "coverage", e.g. 3x)."""
        return self.pipeline / self.target if self.target > 0 else None

    @property
    def weighted_ratio(self) -> float | None:
        """Weighted pipeline / target: the share of the target the forecast expects."""
        return self.weighted / self.target if self.target > 0 else None


def coverage(
    pipeline: pd.DataFrame,
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp,
    months: int,
    target: float,
) -> Coverage:
    """Open pipeline expected to close within ``months`` after ``as_of`` against ``target``.

    Without a target (0), the target is what was won in the ``months`` before ``as_of`` (the run
    rate to keep up).
    """
    end = as_of + pd.DateOffset(months=months)
    inside = pipeline["close_date"].notna() & (pipeline["close_date"] <= end)
    source = "given"
    if target <= 0:
        won = opportunities[opportunities["outcome"] == WON]
        since = as_of - pd.DateOffset(months=months)
        target = float(
            won.loc[(won["closed_on"] > since) & (won["closed_on"] <= as_of), "amount"].sum()
        )
        source = f"won in the previous {months} months"
    return Coverage(
        as_of, end, float(target), source,
        float(pipeline.loc[inside, "amount"].sum()), float(pipeline.loc[inside, "weighted"].sum()),
    )  # fmt: skip


def funnel(opportunities: pd.DataFrame, reached: pd.Series, order: list[str]) -> pd.DataFrame:
    """Per stage: opportunities that reached it, and the share of those whose fate there is known
    that moved on (to the next stage; from the last stage: won).

    An opportunity still open at a stage has not converted or failed yet, so it is left out of
    that stage's conversion.
    """
    info = opportunities.set_index("opportunity_id")[["outcome"]].reindex(reached.index)
    k = reached.to_numpy()
    is_open = (info["outcome"] == OPEN).to_numpy()
    won = (info["outcome"] == WON).to_numpy()
    rows = []
    for i, stage in enumerate(order):
        at = k >= i
        known = at & ~(is_open & (k == i))
        moved = (k >= i + 1) if i + 1 < len(order) else won
        n_known = int(known.sum())
        rows.append(
            {
                "stage": stage,
                "reached": int(at.sum()),
                "decided": n_known,
                "moved_on": int((known & moved).sum()),
                "conversion": (known & moved).sum() / n_known if n_known else np.nan,
            }
        )
    return pd.DataFrame(rows)


def time_in_stage(
    snapshots: pd.DataFrame | None, opportunities: pd.DataFrame, order: list[str]
) -> pd.Series:
    """Median days an opportunity spent in each stage, from the history (NaN without one).

    Time in a stage runs from the first snapshot at it to the first snapshot at a later stage,
    or to the close date when it closed from there; with monthly snapshots it is accurate to
    about a month.
    """
    if snapshots is None or snapshots.empty:
        return pd.Series(np.nan, index=order, dtype=float)
    index = {s: i for i, s in enumerate(order)}
    seen = snapshots.assign(k=snapshots["stage"].map(index)).dropna(subset=["k"])
    first = seen.groupby(["opportunity_id", "k"])["snapshot_date"].min().reset_index()
    first = first.sort_values(["opportunity_id", "k"])
    closed = opportunities.set_index("opportunity_id")["closed_on"]
    following = first.groupby("opportunity_id")["snapshot_date"].shift(-1)
    left = following.fillna(first["opportunity_id"].map(closed))
    days = (left - first["snapshot_date"]).dt.days
    medians = days.groupby(first["k"].astype(int)).median()
    return pd.Series([medians.get(i, np.nan) for i in range(len(order))], index=order, dtype=float)
