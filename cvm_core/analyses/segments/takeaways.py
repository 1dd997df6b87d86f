"""One sentence per Segments chart: the message its slide carries, used by the page and the deck."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.segments.clustering import AUTO_MIN_K, CustomerClusters
from cvm_core.analyses.segments.defaults import NOT_RECORDED
from cvm_core.formatting import count, number, pct
from cvm_core.i18n import _

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
        return _(
            "Net revenue is zero or negative in total, so no {dimension} has a share of it."
        ).format(dimension=dimension)
    top = known.loc[known["revenue_share"].idxmax()]
    with_margin = "margin_share" in top and np.isfinite(top["margin_share"])
    text = (
        _(
            "{dimension} '{segment}': {customers} of customers bring {revenue} of net revenue and "
            "{margin} of margin."
        )
        if with_margin
        else _("{dimension} '{segment}': {customers} of customers bring {revenue} of net revenue.")
    )
    shown = _(dimension)  # the app's own groupings translate; a column of the user's file stays
    return text.format(
        dimension=f"{shown[:1].upper()}{shown[1:]}",
        # RFM segment names are the app's (English in the result); other groups are the user's.
        segment=_(top["segment"]) if dimension == "RFM segment" else top["segment"],
        customers=pct(top["customer_share"], 0),
        revenue=pct(top["revenue_share"], 0),
        margin=pct(top["margin_share"], 0) if with_margin else "",
    )


def silhouette_takeaway(model: CustomerClusters) -> str:
    """Which k separates customers best, and whether the user overrode it."""
    scores = model.silhouette_
    if scores.empty:
        return _("{k} clusters, as chosen.").format(k=model.n_clusters_)
    best = int(scores.idxmax())
    if model.n_clusters is None and model.n_clusters_ != best:
        return _(
            "{best} clusters separate customers best (silhouette {best_score}) but are too coarse "
            "to act on; Auto uses {k}, the best from {min_k} up (silhouette {k_score}, judged on "
            "{n} customers)."
        ).format(
            best=best,
            best_score=number(scores[best], 2),
            k=model.n_clusters_,
            min_k=AUTO_MIN_K,
            k_score=number(scores[model.n_clusters_], 2),
            n=count(model.sample_size_),
        )
    if model.n_clusters is not None and model.n_clusters_ != best:
        text = (
            _(
                "You chose {k} clusters; {best} would separate customers best (silhouette "
                "{best_score} against {k_score})."
            )
            if model.n_clusters_ in scores.index
            else _(
                "You chose {k} clusters; {best} would separate customers best (silhouette "
                "{best_score})."
            )
        )
        return text.format(
            k=model.n_clusters_,
            best=best,
            best_score=number(scores[best], 2),
            k_score=number(scores.get(model.n_clusters_, float("nan")), 2),
        )
    return _(
        "{best} clusters separate customers best (silhouette {score}, judged on {customers})."
    ).format(
        best=best,
        score=number(scores[best], 2),
        customers=formatting.counted(model.sample_size_, "customer"),
    )
