"""Charts: pure functions DataFrame -> alt.Chart. No streamlit here.

One theme for every chart (readable when projected: 14-16 px labels), registered once on import.
Each page's charts live in their own module (charts.upload, charts.clv, ...). Pre-aggregate in the
core before charting: a chart never embeds more than a few thousand rows.
"""

from __future__ import annotations

import altair as alt

from cvm_core import i18n

PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bbf", "#7f8c8d", "#d4ac0d", "#16a085"]
POSITIVE = "#3a9d5d"
NEGATIVE = "#c0392b"
NEUTRAL = "#1f5f8b"
FONT = "Inter, 'Noto Sans', 'Noto Sans CJK SC', Arial, sans-serif"
MAX_CHART_ROWS = 5000


_GERMAN_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                  "September", "Oktober", "November", "Dezember"]  # fmt: skip
CHART_LOCALES = {
    "de": {
        "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0€"]},
        "time": {
            "dateTime": "%A, %e. %B %Y, %X", "date": "%d.%m.%Y", "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
            "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
            "months": _GERMAN_MONTHS,
            "shortMonths": [m[:3] if m != "Mai" else m for m in _GERMAN_MONTHS],
        },
    },
    "zh": {
        "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]},
        "time": {
            "dateTime": "%x %A %X", "date": "%Y年%-m月%-d日", "time": "%H:%M:%S",
            "periods": ["上午", "下午"],
            "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
            "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
            "months": [f"{m}月" for m in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")],
            "shortMonths": [f"{m}月" for m in range(1, 13)],
        },
    },
}  # fmt: skip
"""d3 number and time locales (Vega-Lite's config.locale) per language: axes, tooltips and labels
formatted in the chart follow the language the text around them is in (English: d3's default)."""


@alt.theme.register("cvm", enable=True)
def cvm_theme() -> alt.theme.ThemeConfig:
    # Read at to_dict time, in the session's thread: each chart takes the current language.
    locale = CHART_LOCALES.get(i18n.current())
    return {
        "config": {
            **({"locale": locale} if locale else {}),
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
