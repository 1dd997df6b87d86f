"""Forecast accuracy by sales rep, from the opportunity history.

At each past month-end (the last snapshot of a month) a rep's forecast for the following month
is the amount x probability of their open opportunities expected to close in it; against it
stands what they actually won in that month. Bias = forecast / won over all months (above 1:
over-forecast, optimistic; below 1: under-forecast, pessimistic); accuracy = 1 - sum of the
monthly misses / sum won (weighted absolute percentage error, floored at 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.intake.opportunities import WON

OPTIMISTIC, PESSIMISTIC, ABOUT_RIGHT, TOO_FEW = (
    "optimistic",
    "pessimistic",
    "about right",
    "too few months",
)
MIN_MONTHS = 3
"""A rep needs at least this many months with a forecast or a win to be judged."""


def monthly_forecasts(
    snapshots: pd.DataFrame,
    opportunities: pd.DataFrame,
    stage_probability: pd.Series,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Forecast at each month-end for the following month against what was won in it, by rep.

    Parameters
    ----------
    snapshots, opportunities : DataFrame
        :class:`cvm_core.intake.opportunities.OpportunityTables` tables.
    stage_probability : Series
        Used where a snapshot row has no probability of its own.
    as_of : Timestamp
        Only months that ended by then count (a month still running has not been won yet).

    Returns
    -------
    DataFrame
        owner, month (a "YYYY-MM" string), forecast, won, snapshot_date; one row per rep and month
        in which they forecast or won something.
    """
    owners = opportunities.set_index("opportunity_id")["owner"]
    snaps = snapshots.assign(
        owner=snapshots["owner"].fillna(snapshots["opportunity_id"].map(owners)),
        month=snapshots["snapshot_date"].dt.to_period("M"),
    )
    month_end = snaps.groupby("month")["snapshot_date"].transform("max")
    snaps = snaps[snaps["snapshot_date"] == month_end]
    target = snaps["month"] + 1
    complete = (target.dt.end_time.dt.normalize() <= as_of).to_numpy()
    due = (snaps["close_date"].dt.to_period("M") == target).to_numpy()
    rows = snaps[complete & due]
    p = rows["probability"].fillna(rows["stage"].map(stage_probability)).fillna(0.0)
    forecast = (
        pd.DataFrame(
            {
                "owner": rows["owner"],
                "month": (rows["month"] + 1).astype(str),
                "forecast": rows["amount"].fillna(0.0) * p,
                "snapshot_date": rows["snapshot_date"],
            }
        )
        .groupby(["owner", "month"], as_index=False)
        .agg(forecast=("forecast", "sum"), snapshot_date=("snapshot_date", "max"))
    )
    months = (snaps["month"] + 1)[complete].astype(str).unique()
    won = opportunities[(opportunities["outcome"] == WON) & opportunities["closed_on"].notna()]
    won = won.assign(month=won["closed_on"].dt.to_period("M").astype(str))
    won = won[won["month"].isin(months)]
    actual = won.groupby(["owner", "month"], as_index=False).agg(won=("amount", "sum"))
    out = forecast.merge(actual, on=["owner", "month"], how="outer")
    out[["forecast", "won"]] = out[["forecast", "won"]].fillna(0.0)
    return out.sort_values(["owner", "month"]).reset_index(drop=True)[
        ["owner", "month", "forecast", "won", "snapshot_date"]
    ]


def bias_by_rep(
    monthly: pd.DataFrame, tolerance: float, min_months: int = MIN_MONTHS
) -> pd.DataFrame:
    """Per rep: months, forecast, won, bias (forecast / won), accuracy, share of months
    over-forecast and the verdict (optimistic when bias > 1 + tolerance, pessimistic when
    below 1 - tolerance)."""
    rows = []
    for owner, group in monthly.groupby("owner", sort=True):
        rows.append({"owner": owner, **_judge(group, tolerance, min_months)})
    columns = ["owner", "months", "forecast", "won", "bias", "accuracy", "over_share", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def overall(monthly: pd.DataFrame, tolerance: float, min_months: int = MIN_MONTHS) -> dict:
    """The same measures over every rep together (the team's forecast)."""
    team = monthly.groupby("month", as_index=False)[["forecast", "won"]].sum()
    return _judge(team, tolerance, min_months)


def _judge(group: pd.DataFrame, tolerance: float, min_months: int) -> dict:
    forecast, won = float(group["forecast"].sum()), float(group["won"].sum())
    miss = float(np.abs(group["forecast"] - group["won"]).sum())
    bias = forecast / won if won > 0 else np.nan
    months = len(group)
    if months < min_months or not np.isfinite(bias):
        verdict = TOO_FEW
    elif bias > 1 + tolerance:
        verdict = OPTIMISTIC
    elif bias < 1 - tolerance:
        verdict = PESSIMISTIC
    else:
        verdict = ABOUT_RIGHT
    return {
        "months": months,
        "forecast": forecast,
        "won": won,
        "bias": bias,
        "accuracy": max(0.0, 1.0 - miss / won) if won > 0 else np.nan,
        "over_share": float((group["forecast"] > group["won"]).mean()) if months else np.nan,
        "verdict": verdict,
    }
