"""Churn by period as the Retention page and the deck both show it: one title, one takeaway."""

from __future__ import annotations

import pandas as pd

from cvm_core.analyses.retention.charts import CHURN_RATE_TITLES, churn_rate_chart
from cvm_core.analyses.retention.takeaways import churn_period_takeaway
from cvm_core.i18n import _
from cvm_core.slides import ChartSlide


def churn_period_title(period: str) -> str:
    """'Churn rate per month', in the current language (the chart's own title)."""
    return _(CHURN_RATE_TITLES[period])


def churn_period_slide(churn_by_period: pd.DataFrame, period: str) -> ChartSlide:
    return ChartSlide(
        churn_period_title(period),
        churn_period_takeaway(churn_by_period, period),
        churn_rate_chart(churn_by_period, period),
    )
