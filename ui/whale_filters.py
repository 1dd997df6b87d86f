"""The Whale page's chart filters: the slice of the curve and the groups picked on the profit chart.

Both live in the address bar (ui/selections.py), so a reload or a link keeps them.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from cvm_core.i18n import _
from ui import selections


def _encode_span(chosen: dict) -> str | None:
    span = chosen.get("customer_share")
    if not span or len(span) != 2:
        return None
    return f"{float(min(span)):.4f}-{float(max(span)):.4f}"


SLICE = selections.ChartFilter("slice", "slice", _encode_span)
"""The whale chart's interval selection (a range of the customer-share axis), kept in the address
bar as '0.7800-0.9700'."""


def span_from(text: str | None) -> tuple[float, float] | None:
    """'0.78-0.97' -> (0.78, 0.97); anything else (hand-edited, out of range) -> None."""
    try:
        low, high = (float(part) for part in str(text).split("-"))
    except (TypeError, ValueError):
        return None
    if not 0.0 <= low < high <= 1.0:
        return None
    return low, high


@dataclasses.dataclass(frozen=True)
class GroupPick:
    """Groups clicked on the 'Operating profit by group' chart and their customers."""

    by: str
    names: list[str]
    customer_ids: pd.Index

    @property
    def label(self) -> str:
        return f"{_(self.by)}: {', '.join(self.names)}"


def group_filter(by: str) -> selections.ChartFilter:
    """The profit-by-group chart's point selection, kept in the address bar as
    'Main channel:Online|Phone' (names of another split are ignored)."""
    return selections.names_filter("group", "group", "group", by)


def picked_groups(text: str | None, by: str, groups: pd.Series) -> GroupPick | None:
    picked = selections.picked_names(text, by, set(groups.dropna().astype(str)))
    if not picked:
        return None
    ids = groups.index[groups.astype(str).isin(picked).to_numpy()]
    return GroupPick(by, picked, ids)
