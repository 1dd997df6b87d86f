"""Stages: their order, how far each opportunity got, and the probability of winning from each.

Stage probabilities come from the file (the median probability the CRM shows at each stage) or
are learned from history: of the closed opportunities that reached a stage, the share that was
won. "Reached" is the furthest open stage an opportunity was seen at (its snapshots and its
current stage); a won opportunity passed every stage, and every opportunity reached the first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.intake.opportunities import LOST, OPEN, WON, is_closed_stage

FILE, LEARNED, AUTO = "file", "learned", "auto"
SOURCES = (AUTO, FILE, LEARNED)
SOURCE_LABELS = {FILE: "from the file", LEARNED: "learned from history"}


def stage_order(
    opportunities: pd.DataFrame, snapshots: pd.DataFrame | None, given: tuple[str, ...] = ()
) -> list[str]:
    """The open stages from first to last.

    Stages named in ``given`` come first in that order; the others by their median probability in
    the file (lowest first), then in the order they first appear. Closing stages ("Closed Won",
    "Lost") are not open stages.
    """
    frames = [opportunities[["stage", "probability"]]]
    if snapshots is not None:
        frames.append(snapshots[["stage", "probability"]].dropna(subset=["stage"]))
    both = pd.concat(frames, ignore_index=True)
    closed = [s for s in pd.unique(both["stage"]) if is_closed_stage(s)]  # a few names, many rows
    both = both[~both["stage"].isin(closed)]
    first_seen = {s: i for i, s in enumerate(pd.unique(both["stage"]))}
    median = both.groupby("stage", sort=False)["probability"].median()
    rest = sorted(
        (s for s in first_seen if s not in given),
        key=lambda s: (np.nan_to_num(median.get(s, np.nan), nan=2.0), first_seen[s]),
    )
    return [s for s in given if s in first_seen] + rest


def furthest_stage(
    opportunities: pd.DataFrame, snapshots: pd.DataFrame | None, order: list[str]
) -> pd.Series:
    """Index (0 = first stage) of the furthest stage each opportunity reached, by opportunity id."""
    index = {s: i for i, s in enumerate(order)}
    ids = opportunities["opportunity_id"]
    current = opportunities["stage"].map(index).fillna(0).to_numpy(dtype=int)
    reached = pd.Series(current, index=ids.to_numpy())
    if snapshots is not None and len(snapshots):
        seen = snapshots.assign(k=snapshots["stage"].map(index)).dropna(subset=["k"])
        best = seen.groupby("opportunity_id")["k"].max().astype(int)
        reached = np.maximum(reached, best.reindex(reached.index).fillna(0).astype(int))
    won = (opportunities["outcome"] == WON).to_numpy()
    reached[won] = len(order) - 1
    return reached


def learned_probabilities(
    opportunities: pd.DataFrame, reached: pd.Series, order: list[str]
) -> pd.Series:
    """Share of closed opportunities that reached each stage and were won (NaN: none closed)."""
    outcome = opportunities.set_index("opportunity_id")["outcome"].reindex(reached.index)
    closed = outcome.isin([WON, LOST]).to_numpy()
    won = (outcome == WON).to_numpy()
    k = reached.to_numpy()
    shares = []
    for i in range(len(order)):
        at = closed & (k >= i)
        shares.append(won[at].sum() / at.sum() if at.any() else np.nan)
    return pd.Series(shares, index=order, dtype=float)


def file_probabilities(
    opportunities: pd.DataFrame, snapshots: pd.DataFrame | None, order: list[str]
) -> pd.Series:
    """The median probability the file shows at each stage (open opportunities and history)."""
    frames = [opportunities.loc[opportunities["outcome"] == OPEN, ["stage", "probability"]]]
    if snapshots is not None:
        frames.append(snapshots[["stage", "probability"]])
    both = pd.concat(frames, ignore_index=True)
    return both.groupby("stage")["probability"].median().reindex(order).astype(float)


def stage_table(
    opportunities: pd.DataFrame,
    snapshots: pd.DataFrame | None,
    order: list[str],
    source: str,
    overrides: dict[str, float],
    reached: pd.Series | None = None,
) -> pd.DataFrame:
    """Per stage: the file's probability, the learned one, and the one used (an override, else
    the chosen source, else the other one). ``reached``: :func:`furthest_stage`, when the caller
    has it."""
    if reached is None:
        reached = furthest_stage(opportunities, snapshots, order)
    table = pd.DataFrame(
        {
            "file": file_probabilities(opportunities, snapshots, order),
            "learned": learned_probabilities(opportunities, reached, order),
        },
        index=pd.Index(order, name="stage"),
    )
    other = LEARNED if source == FILE else FILE
    used = table[source].fillna(table[other])
    for stage, value in overrides.items():
        if stage in used.index:
            used[stage] = value
    table["used"] = used.fillna(0.0)
    table["edited"] = table.index.isin(list(overrides))
    return table
