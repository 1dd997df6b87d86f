"""The whale curve as the page and the deck both show it: one title, one takeaway."""

from __future__ import annotations

from cvm_core.analyses.profitability.analysis import WhaleAnalysis
from cvm_core.analyses.profitability.charts import whale_chart
from cvm_core.slides import ChartSlide

WHALE_TITLE = "Whale curve"


def whale_slide(analysis: WhaleAnalysis, currency: str) -> ChartSlide:
    summary = analysis.curve.summary
    chart = whale_chart(analysis.chart, analysis.marks, summary, currency)
    return ChartSlide(WHALE_TITLE, summary.takeaway(currency), chart)
