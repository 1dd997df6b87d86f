"""One sentence per Segments chart: the message its slide carries, used by the page and the deck."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.segments.clustering import AUTO_MIN_K, CustomerClusters
from cvm_core.analyses.segments.defaults import NOT_RECORDED
from cvm_core.formatting import count, pct

# --- one-line takeaways (the message a chart's slide carries) ---------------------------------


def contribution_takeaway(table: pd.DataFrame, dimension: str) -> str:
    """The group with the largest share of net revenue, against its share of customers.

    Parameters
    ----------
    table : DataFrame
        From :func:`segment_contribution`.
    dimension : str
        What the groups are, in lower case for the sentence ("RFM segment", "cluster", "region").
    """
    known = table[(table["segment"] != NOT_RECORDED) & table["revenue_share"].notna()]
    if known.empty:
        return f"Net revenue is zero or negative in total, so no {dimension} has a share of it."
    top = known.loc[known["revenue_share"].idxmax()]
    text = (
        f"{dimension[:1].upper()}{dimension[1:]} '{top['segment']}': {pct(top['customer_share'], 0)} of "
        f"customers bring {pct(top['revenue_share'], 0)} of net revenue"
    )
    if "margin_share" in top and np.isfinite(top["margin_share"]):
        text += f" and {pct(top['margin_share'], 0)} of margin"
    return text + "."


def silhouette_takeaway(model: CustomerClusters) -> str:
    """Which k separates customers best, and whether the user overrode it."""
    scores = model.silhouette_
    if scores.empty:
        return f"{model.n_clusters_} clusters, as chosen."
    best = int(scores.idxmax())
    if model.n_clusters is None and model.n_clusters_ != best:
        return (
            f"{best} clusters separate customers best (silhouette {scores[best]:.2f}) but are too "
            f"coarse to act on; Auto uses {model.n_clusters_}, the best from {AUTO_MIN_K} up "
            f"(silhouette {scores[model.n_clusters_]:.2f}, judged on {count(model.sample_size_)} "
            "customers)."
        )
    if model.n_clusters is not None and model.n_clusters_ != best:
        yours = (
            f" against {scores[model.n_clusters_]:.2f}" if model.n_clusters_ in scores.index else ""
        )
        return (
            f"You chose {model.n_clusters_} clusters; {best} would separate customers best "
            f"(silhouette {scores[best]:.2f}{yours})."
        )
    return (
        f"{best} clusters separate customers best (silhouette {scores[best]:.2f}, judged on "
        f"{formatting.counted(model.sample_size_, 'customer')})."
    )
