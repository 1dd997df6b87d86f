"""Campaign lists: the customers of chosen segments, with their segment, cluster and next best
category, ready to download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.segments.analysis import SegmentAnalysis
from cvm_core.analyses.segments.defaults import FREQUENCY_MEASURES

# --- campaign lists ---------------------------------------------------------------------------


def _in_segments(analysis: SegmentAnalysis, segments: Sequence[str]) -> np.ndarray:
    """Customers in any of the RFM ``segments`` (everyone when none are given)."""
    m = analysis.membership
    if not segments:
        return np.ones(len(m), dtype=bool)
    return m["rfm_segment"].isin(list(segments)).to_numpy()


@dataclass(frozen=True)
class ExportSizes:
    members: int
    offers: int


def export_sizes(analysis: SegmentAnalysis, segments: Sequence[str] = ()) -> ExportSizes:
    """Rows of the two campaign lists for the chosen RFM segments (all when none are chosen)."""
    keep = _in_segments(analysis, segments)
    has_offer = analysis.membership["next_best_category"].notna().to_numpy()
    return ExportSizes(members=int(keep.sum()), offers=int((keep & has_offer).sum()))


def membership_export(
    analysis: SegmentAnalysis, currency: str, segments: Sequence[str] = ()
) -> pd.DataFrame:
    """Segment membership per customer, with readable headers, ready for a campaign tool.

    Parameters
    ----------
    analysis : SegmentAnalysis
    currency : str
        Shown in the net revenue header.
    segments : sequence of str
        Only customers in these RFM segments; default everyone.
    """
    m = analysis.membership[_in_segments(analysis, segments)]
    frequency = FREQUENCY_MEASURES[analysis.rfm.frequency].capitalize()
    out = pd.DataFrame({"Customer ID": m.index.astype(str)})
    if "customer_name" in m:
        out["Customer name"] = m["customer_name"].to_numpy()
    out["RFM segment"] = m["rfm_segment"].astype(str).to_numpy()
    out["Cluster"] = m["cluster"].astype(object).to_numpy()
    out["Next-best category"] = m["next_best_category"].to_numpy()
    out["R score"] = m["r_score"].to_numpy()
    out["F score"] = m["f_score"].to_numpy()
    out["M score"] = m["m_score"].to_numpy()
    out["RFM code"] = m["rfm_code"].to_numpy()
    out["Days since last purchase"] = m["recency_days"].to_numpy()
    out[frequency] = m["frequency"].to_numpy()
    out[f"Net revenue ({currency})"] = m["monetary"].round(2).to_numpy()
    return out


def next_best_export(
    analysis: SegmentAnalysis, currency: str, segments: Sequence[str] = ()
) -> pd.DataFrame:
    """Customers with a next-best category, strongest lift first, with why it was chosen (only
    those in the RFM ``segments`` when given)."""
    columns = ["Customer ID", "Customer name", "RFM segment", "Cluster", "Next-best category",
               "Because they bought", "Lift", "Confidence (%)", f"Net revenue ({currency})"]  # fmt: skip
    if analysis.next_best is None:
        return pd.DataFrame(columns=columns)
    m = analysis.membership
    nb = analysis.next_best
    has = nb["next_best_category"].notna().to_numpy() & _in_segments(analysis, segments)
    out = pd.DataFrame(
        {
            "Customer ID": m.index[has].astype(str),
            "Customer name": m["customer_name"].to_numpy()[has] if "customer_name" in m else None,
            "RFM segment": m["rfm_segment"].astype(str).to_numpy()[has],
            "Cluster": m["cluster"].astype(object).to_numpy()[has],
            "Next-best category": nb["next_best_category"].to_numpy()[has],
            "Because they bought": nb["because_bought"].to_numpy()[has],
            "Lift": nb["lift"].to_numpy(dtype=float)[has].round(2),
            "Confidence (%)": (nb["confidence"].to_numpy(dtype=float)[has] * 100).round(1),
            f"Net revenue ({currency})": m["monetary"].to_numpy()[has].round(2),
        }
    )
    if "customer_name" not in m:
        out = out.drop(columns="Customer name")
    return out.sort_values(
        ["Lift", f"Net revenue ({currency})", "Customer ID"],
        ascending=[False, False, True],
        kind="stable",
    ).reset_index(drop=True)
