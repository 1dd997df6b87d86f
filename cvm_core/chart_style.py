"""Charts: pure functions DataFrame -> alt.Chart. No streamlit here.

One theme for every chart (readable when projected: 14-16 px labels), registered once on import.
Each page's charts live in their own module (charts.upload, charts.clv, ...). Pre-aggregate in the
core before charting: a chart never embeds more than a few thousand rows.
"""

from __future__ import annotations

import altair as alt

PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bbf", "#7f8c8d", "#d4ac0d", "#16a085"]
POSITIVE = "#3a9d5d"
NEGATIVE = "#c0392b"
NEUTRAL = "#1f5f8b"
FONT = "Inter, 'Noto Sans', 'Noto Sans CJK SC', Arial, sans-serif"
MAX_CHART_ROWS = 5000


@alt.theme.register("cvm", enable=True)
def cvm_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None, "continuousWidth": 640, "continuousHeight": 320},
            "axis": {
                "labelFontSize": 13,
                "titleFontSize": 14,
                "titleFontWeight": "normal",
                "gridColor": "#e5e8ec",
            },
            "legend": {"labelFontSize": 13, "titleFontSize": 13},
            "title": {
                "fontSize": 17,
                "anchor": "start",
                "fontWeight": "bold",
                "subtitleFontSize": 13,
            },
            "range": {"category": PALETTE},
        }
    }


MONEY_FORMAT = ",.0f"
"""d3 format for money on axes and tooltips; the currency goes in the title (d3's '$' is always $)."""


def money_title(label: str, currency: str) -> str:
    return f"{label} ({currency})"
