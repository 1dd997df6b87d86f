"""One typed store for what pages share: publish a result for a dataset, read it back.

A page that computes something another page or an export uses (the CLV page's per-customer
values, the Segments page's segments, the Whale Curve page's P&L ...) publishes it under a
:class:`Shared` slot; readers get it back only when it was made on the same dataset (the same
fingerprint) and has the columns they need, else None, and then fall back to the analysis's
defaults. Every slot is declared here, so what travels between pages is visible in one file.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from cvm_core.intake.dataset import Dataset

T = TypeVar("T")


@dataclass(frozen=True)
class Shared(Generic[T]):
    """A slot in the session: its state key and what it holds, for readers and reviewers."""

    key: str
    holds: str


CLV_CUSTOMERS: Shared[pd.DataFrame] = Shared(
    "cvm.clv.result",
    "The CLV page's per-customer predictions, indexed by customer_id: p_alive, clv, tier ...",
)
CLV_SCENARIO: Shared[Any] = Shared(
    "cvm.clv.scenario",
    "The CLV page's what-if treatments (a ScenarioProjection), for the Scorecard.",
)
SEGMENTS: Shared[pd.DataFrame] = Shared(
    "cvm.segments.result",
    "The Segments page's per-customer frame: rfm_segment (ordered), cluster (name or None), "
    "next_best_category (or None).",
)
WHALE_PNL: Shared[pd.DataFrame] = Shared(
    "cvm.whale.result",
    "The Whale Curve page's customer P&L: revenue, returns, cogs, cost_to_serve, profit.",
)
COST_MODEL: Shared[Any] = Shared(
    "cvm.whale.cost_model",
    "The Whale Curve page's CostModel (activity table and settings), so CLV deducts the same "
    "cost-to-serve.",
)
WHALE_SCENARIO: Shared[Any] = Shared(
    "cvm.whale.scenario", "The Whale Curve page's what-if fixes (a WhaleScenario)."
)
RETENTION: Shared[Any] = Shared(
    "cvm.retention.result",
    "The Retention page's RetentionResult: annual_retention, churn_by_period, churned_share ...",
)
SCORECARD: Shared[Any] = Shared(
    "cvm.scorecard.result", "The Scorecard as last shown, for the deck and the workbook."
)
PIPELINE: Shared[Any] = Shared(
    "cvm.pipeline.result",
    "The Sales Pipeline page's PipelineResult (coverage, forecast accuracy), for the Scorecard.",
)

PROSPECTS: Shared[Any] = Shared(
    "cvm.prospects.result",
    "The Segments page's traits of valuable customers (a ProspectsResult), for the workbook.",
)
SOURCES: Shared[Any] = Shared(
    "cvm.clv.sources",
    "The CLV page's value of a new customer by source (a SourceValue), for the workbook.",
)
CLV_RANGES: Shared[pd.DataFrame] = Shared(
    "cvm.clv.ranges", "The CLV page's ranges of each tier's CLV (80% and 95%), for the workbook."
)

PER_DATASET: tuple[Shared, ...] = (
    CLV_CUSTOMERS, CLV_SCENARIO, SEGMENTS, WHALE_PNL, COST_MODEL, WHALE_SCENARIO, RETENTION,
    SCORECARD, PIPELINE, PROSPECTS, SOURCES, CLV_RANGES,
)  # fmt: skip
"""Every slot: all of them belong to one dataset and are dropped when another one is loaded."""


def publish(slot: Shared[T], dataset: Dataset, value: T) -> None:
    """Store ``value`` as made on ``dataset``."""
    st.session_state[slot.key] = (dataset.fingerprint, value)


def read(slot: Shared[T], dataset: Dataset, columns: Iterable[str] = ()) -> T | None:
    """The value published for ``dataset``, or None (never published, another dataset's, or a
    frame without every one of ``columns``)."""
    stored = st.session_state.get(slot.key)
    if not isinstance(stored, tuple) or len(stored) != 2 or stored[0] != dataset.fingerprint:
        return None
    value = stored[1]
    if columns and not (isinstance(value, pd.DataFrame) and set(columns) <= set(value.columns)):
        return None
    return value


def read_column(slot: Shared[pd.DataFrame], dataset: Dataset, column: str) -> pd.Series | None:
    """One per-customer column of a published frame, or None when absent or entirely empty."""
    frame = read(slot, dataset, [column])
    if frame is None or not frame[column].notna().any():
        return None
    return frame[column]


def forget_all() -> None:
    """Drop every published result (a new dataset was loaded)."""
    for slot in PER_DATASET:
        st.session_state.pop(slot.key, None)


_CONTENT_KEYS = "cvm.content_keys"


def content_key(frame: pd.DataFrame | pd.Series | None) -> str:
    """A content hash of another page's result, for a cache key that follows it, computed once
    per object.

    Hashing 424k customers' P&L costs ~0.3 s, too much for every rerun, so the key is kept
    beside a weak reference to the object it belongs to: ``is`` stays an exact identity test,
    and a frame made for one run only (a replayed P&L) is not kept alive by its key. Series are
    hashed as text (segment labels of mixed types).
    """
    if frame is None:
        return ""
    known = st.session_state.setdefault(_CONTENT_KEYS, {})
    kept = known.get(id(frame))
    if kept is not None and kept[0]() is frame:
        return kept[1]
    values = frame.astype(str) if isinstance(frame, pd.Series) else frame
    digest = pd.util.hash_pandas_object(values, index=True).to_numpy()
    key = f"{len(frame)}:{int(digest.sum(dtype=np.uint64))}:{int(np.bitwise_xor.reduce(digest))}"
    for gone in [k for k, (ref, _key) in known.items() if ref() is None]:
        del known[gone]
    known[id(frame)] = (weakref.ref(frame), key)
    return key
