"""The customer pyramid as the CLV page and the deck both show it: one title, one takeaway."""

from __future__ import annotations

import pandas as pd

from cvm_core.analyses.clv.charts import tier_shares_chart
from cvm_core.analyses.clv.tiers import tier_takeaway
from cvm_core.slides import ChartSlide

PYRAMID_TITLE = "CLV customer pyramid"


def pyramid_slide(tiers: pd.DataFrame) -> ChartSlide:
    """``tiers`` from :func:`cvm_core.analyses.clv.tiers.tier_summary`."""
    return ChartSlide(PYRAMID_TITLE, tier_takeaway(tiers), tier_shares_chart(tiers))
