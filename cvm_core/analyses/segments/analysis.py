"""The Segments analysis in one call: RFM, clusters, contribution and category affinity
(SegmentSettings -> SegmentAnalysis).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.segments import affinity
from cvm_core.analyses.segments.clustering import K_RANGE, CustomerClusters
from cvm_core.analyses.segments.contribution import (
    customer_groups,
    numeric_attributes,
    segment_contribution,
)
from cvm_core.analyses.segments.defaults import (
    FREQUENCY_MEASURES,
    N_SCORES,
    RFM_FEATURES,
    RFM_SEGMENT_GRID,
)
from cvm_core.analyses.segments.rfm import RFMResult, rfm_scores
from cvm_core.analyses.sources import TransactionSource, source_of
from cvm_core.errors import ModelError, ValidationError
from cvm_core.i18n import N_, Message

# --- the whole analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSettings(Settings):
    """What the user chose on the Segments page (or the command line)."""

    frequency: str = setting("orders", choices=tuple(FREQUENCY_MEASURES))
    n_clusters: int | None = setting(None, low=K_RANGE[0], high=K_RANGE[1])
    cluster_attributes: tuple[str, ...] = ()
    random_state: int = 0
    min_pair_customers: int = setting(affinity.MIN_PAIR_CUSTOMERS, low=1)
    min_confidence: float = setting(affinity.MIN_CONFIDENCE, low=0.0, high=1.0)
    grid: tuple[tuple[str, ...], ...] = tuple(RFM_SEGMENT_GRID[r] for r in range(1, N_SCORES + 1))
    """The RFM segment map as rows R = 1..5 of FM = 1..5 names (a tuple, so settings hash)."""

    @property
    def segment_grid(self) -> dict[int, tuple[str, ...]]:
        """``grid`` as the mapping R score -> names that :func:`rfm_scores` takes."""
        return {r: tuple(row) for r, row in enumerate(self.grid, start=1)}


@dataclass(frozen=True)
class SegmentAnalysis:
    """Everything the Segments page shows.

    Attributes
    ----------
    rfm : RFMResult
    clusters : CustomerClusters or None
        None when clustering was not possible; ``cluster_message`` says why.
    cluster_profile : DataFrame or None
        Contribution table per cluster with the mean of every clustering feature.
    contribution : dict
        Breakdown label ("RFM segment", "Cluster", "Region", ...) -> contribution table.
    membership : DataFrame
        Per customer: rfm_segment, cluster, next_best_category, scores and measures.
    baskets : CategoryBaskets or None
    affinity : dict
        Scope ("All customers", "RFM: Champions", "Cluster: ...") -> pair table.
    categories_per_customer : dict
        Scope -> distribution of categories bought per customer.
    next_best : DataFrame or None
        Per customer: next_best_category, lift, confidence, because_bought.
    affinity_message : str or None
        Why affinity is missing or empty.
    has_margin : bool
    notes : tuple of str
    """

    rfm: RFMResult
    clusters: CustomerClusters | None
    cluster_message: str | None
    cluster_profile: pd.DataFrame | None
    contribution: dict[str, pd.DataFrame]
    membership: pd.DataFrame
    baskets: affinity.CategoryBaskets | None
    affinity: dict[str, pd.DataFrame]
    categories_per_customer: dict[str, pd.DataFrame]
    next_best: pd.DataFrame | None
    affinity_message: str | None
    has_margin: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def segment_frame(self) -> pd.DataFrame:
        """rfm_segment, cluster (name) and next_best_category per customer, for other pages."""
        return self.membership[["rfm_segment", "cluster", "next_best_category"]]


ALL_CUSTOMERS = "All customers"


def analyse_segments(
    summary: pd.DataFrame,
    transactions: pd.DataFrame | TransactionSource,
    customers_table: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    settings: SegmentSettings = SegmentSettings(),  # noqa: B008 - frozen, safe as a default
    observation_end: pd.Timestamp | str | None = None,
) -> SegmentAnalysis:
    """RFM segments, clusters, contribution by segment and cross-sell affinity in one call.

    Parameters
    ----------
    summary : DataFrame
        The customer summary for the chosen unit and observation end.
    transactions : DataFrame or TransactionSource
        Canonical transactions (rows after ``observation_end`` are ignored), or where they are
        (:mod:`cvm_core.analyses.sources`).
    customers_table, cost_to_serve : DataFrame, optional
        The dataset's customer attributes and cost-to-serve drivers.
    settings : SegmentSettings
    observation_end : Timestamp or str, optional
        Default: the last date in ``transactions``.

    Returns
    -------
    SegmentAnalysis
    """
    source = source_of(transactions)
    end = pd.Timestamp(observation_end) if observation_end is not None else source.last_date()
    rfm = rfm_scores(summary, end, settings.frequency, settings.segment_grid)
    features = rfm.table[list(RFM_FEATURES)]
    clusters, cluster_message, features = _clusters(
        features, customers_table, cost_to_serve, settings
    )
    contribution = {
        "RFM segment": segment_contribution(summary, rfm.table["rfm_segment"], features)
    }
    cluster_profile = None
    if clusters is not None:
        cluster_profile = segment_contribution(summary, clusters.labels_, features)
        contribution["Cluster"] = cluster_profile
    channels = source.main_channel(summary.index, end)
    for label, groups in customer_groups(channels, customers_table, summary.index).items():
        contribution[label] = segment_contribution(summary, groups, features)
    scopes = {
        f"RFM: {s}": (rfm.table["rfm_segment"] == s).to_numpy()
        for s in rfm.table["rfm_segment"].cat.categories
    }
    if clusters is not None:
        scopes |= {f"Cluster: {c}": (clusters.labels_ == c).to_numpy() for c in clusters.order_}
    cross = _affinity(source, summary.index, end, scopes, settings)
    membership = _membership(rfm, clusters, cross.next_best, customers_table)
    return SegmentAnalysis(
        rfm=rfm,
        clusters=clusters,
        cluster_message=cluster_message,
        cluster_profile=cluster_profile,
        contribution=contribution,
        membership=membership,
        baskets=cross.baskets,
        affinity=cross.pairs,
        categories_per_customer=cross.per_customer,
        next_best=cross.next_best,
        affinity_message=cross.message,
        has_margin=bool(summary["cost"].notna().any()),
        notes=rfm.notes,
    )


def _membership(
    rfm: RFMResult,
    clusters: CustomerClusters | None,
    next_best: pd.DataFrame | None,
    customers_table: pd.DataFrame | None,
) -> pd.DataFrame:
    index = rfm.table.index
    out = pd.DataFrame(index=index)
    if customers_table is not None and "customer_name" in customers_table:
        names = customers_table["customer_name"][~customers_table.index.duplicated()]
        out["customer_name"] = names.reindex(index)
    out["rfm_segment"] = rfm.table["rfm_segment"]
    out["cluster"] = clusters.labels_ if clusters is not None else None
    out["next_best_category"] = next_best["next_best_category"] if next_best is not None else None
    return out.join(rfm.table.drop(columns="rfm_segment"))


def _clusters(
    features: pd.DataFrame,
    customers_table: pd.DataFrame | None,
    cost_to_serve: pd.DataFrame | None,
    settings: SegmentSettings,
) -> tuple[CustomerClusters | None, str | None, pd.DataFrame]:
    if settings.cluster_attributes:
        available = numeric_attributes(customers_table, cost_to_serve)
        unknown = [a for a in settings.cluster_attributes if a not in available.columns]
        if unknown:
            names = ", ".join(map(str, available.columns))
            template = (
                N_("Unknown customer attribute(s) {unknown}; numeric attributes available: "
                   "{available}.")
                if names
                else N_("Unknown customer attribute(s) {unknown}; numeric attributes available: "
                        "none.")
            )  # fmt: skip
            raise ValidationError(Message(template, unknown=", ".join(unknown), available=names))
        features = features.join(
            available[list(settings.cluster_attributes)].reindex(features.index)
        )
    model = CustomerClusters(n_clusters=settings.n_clusters, random_state=settings.random_state)
    try:
        return model.fit(features), None, features
    except ModelError as error:
        return None, str(error), features


@dataclass(frozen=True)
class _Affinity:
    baskets: affinity.CategoryBaskets | None = None
    pairs: dict[str, pd.DataFrame] = field(default_factory=dict)
    per_customer: dict[str, pd.DataFrame] = field(default_factory=dict)
    next_best: pd.DataFrame | None = None
    message: str | None = None


def _affinity(
    source: TransactionSource,
    index: pd.Index,
    end: pd.Timestamp,
    scopes: dict[str, np.ndarray],
    settings: SegmentSettings,
) -> _Affinity:
    min_customers = settings.min_pair_customers
    try:
        baskets = source.category_baskets(index, end)
    except ValidationError as error:
        return _Affinity(message=str(error))
    everyone = {ALL_CUSTOMERS: None} | {k: m for k, m in scopes.items() if m.any()}
    pairs = {k: affinity.pair_affinity(baskets, m, min_customers) for k, m in everyone.items()}
    per_customer = {k: affinity.categories_per_customer(baskets, m) for k, m in everyone.items()}
    next_best = affinity.next_best_categories(
        baskets, min_customers, min_confidence=settings.min_confidence
    )
    message = None
    if len(baskets.categories) == 0:
        message = (
            "No purchase line has a product category (only returns do), so cross-sell affinity "
            "cannot be computed. Check the category column mapping on the Upload page."
        )
    elif len(baskets.categories) < 2:
        message = (
            f"Only one product category ({baskets.categories[0]}) was bought, so there are no "
            "category pairs to compare. Map a more detailed category column to see cross-sell."
        )
    elif pairs[ALL_CUSTOMERS].empty:
        message = (
            f"No two categories were bought by at least {min_customers} of the same customers, "
            "so no lift can be trusted yet."
        )
    elif baskets.dropped_categories:
        message = (
            f"Only the {len(baskets.categories)} most bought categories are compared; "
            f"{baskets.dropped_categories} rarer ones were left out."
        )
    return _Affinity(baskets, pairs, per_customer, next_best, message)
