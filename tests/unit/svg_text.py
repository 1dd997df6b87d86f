"""Text boxes of a chart rendered to SVG by vl-convert, and whale-curve data that is hard to label.

Shared by the unit layer (boxes from estimated widths) and the browser layer (boxes measured by
chromium), so both check the same charts.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability import curve as whale
from cvm_core.analyses.profitability.charts import whale_chart
from cvm_core.chart_labels import text_width

SVG_NS = "{http://www.w3.org/2000/svg}"
ASCENT, DESCENT = 0.8, 0.22
"""How far letters reach above and below the baseline, in em: capitals, digits and accents up to
0.8, descenders down to 0.22 (DejaVu, Noto, Inter). The font's own line box is taller (Noto CJK:
1.45 em), but that is spacing, not ink: Vega sets axis labels closer than that."""


@dataclass(frozen=True)
class TextBox:
    text: str
    left: float
    top: float
    right: float
    bottom: float
    annotation: bool = False
    """A text mark of the chart (placed by our rule), not an axis, legend or title text."""

    def overlap(self, other: TextBox) -> tuple[float, float]:
        """How far the two boxes overlap left-right and top-bottom (negative: apart)."""
        return (
            min(self.right, other.right) - max(self.left, other.left),
            min(self.bottom, other.bottom) - max(self.top, other.top),
        )


def _matrix(transform: str | None) -> np.ndarray:
    out = np.eye(3)
    for name, args in re.findall(r"(\w+)\(([^)]*)\)", transform or ""):
        values = [float(v) for v in re.split(r"[\s,]+", args.strip()) if v]
        m = np.eye(3)
        if name == "translate":
            m[0, 2], m[1, 2] = values[0], values[1] if len(values) > 1 else 0.0
        elif name == "rotate":
            a = math.radians(values[0])
            m[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
        elif name == "scale":
            m[0, 0], m[1, 1] = values[0], values[-1]
        else:
            raise AssertionError(f"transform {name} not handled")
        out = out @ m
    return out


def _font_size(element: ET.Element) -> float:
    return float(element.get("font-size", "11px").removesuffix("px"))


def _line_box(text: str, x: float, y: float, element: ET.Element, matrix: np.ndarray) -> TextBox:
    annotation = element.get("aria-roledescription") == "text mark"
    size = _font_size(element)
    width = text_width(text, size, element.get("font-weight") == "bold")
    left = {"start": 0.0, "middle": -width / 2, "end": -width}[element.get("text-anchor", "start")]
    corners = np.array(
        [[x + left, y - ASCENT * size, 1], [x + left + width, y + DESCENT * size, 1],
         [x + left, y + DESCENT * size, 1], [x + left + width, y - ASCENT * size, 1]]
    ).T  # fmt: skip
    xs, ys, _ = matrix @ corners
    return TextBox(text, xs.min(), ys.min(), xs.max(), ys.max(), annotation)


def text_boxes(svg: str) -> list[TextBox]:
    """Every line of text in the SVG with its box in the page, widths estimated (erring wide)."""
    boxes: list[TextBox] = []

    def walk(element: ET.Element, matrix: np.ndarray) -> None:
        matrix = matrix @ _matrix(element.get("transform"))
        if element.get("opacity") == "0" or element.get("display") == "none":
            return  # hidden by Vega's label-overlap rule: not drawn
        if element.tag == f"{SVG_NS}text":
            x = float(element.get("x", 0)) + float(element.get("dx", 0))
            y = float(element.get("y", 0)) + float(element.get("dy", 0))
            if element.text and element.text.strip():
                boxes.append(_line_box(element.text, x, y, element, matrix))
            for span in element.iter(f"{SVG_NS}tspan"):  # a multi-line title: one line a span
                y += float(span.get("dy", 0))
                if span.text and span.text.strip():
                    boxes.append(_line_box(span.text, x, y, element, matrix))
            return
        for child in element:
            walk(child, matrix)

    walk(ET.fromstring(svg), np.eye(3))
    return boxes


def overlapping(
    boxes: list[TextBox], tolerance: float = 1.0, annotations_only: bool = False
) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than ``tolerance`` pixels both ways.

    ``annotations_only``: only pairs with a chart annotation in them. With estimated widths,
    which err wide, axis labels seem to reach into the axis title that Vega placed by their real
    width; Vega's own layout is checked with measured widths, in the browser layer.
    """
    return [
        (a.text, b.text)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if (a.annotation or b.annotation or not annotations_only) and min(a.overlap(b)) > tolerance
    ]


# --- whale curves that are hard to label ------------------------------------------------------


def _ids(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def narrow_profits() -> pd.Series:
    """The reported case: 2.7% unprofitable losing EUR 53, peak ~100% at 97%, 100% at 93%."""
    values = np.concatenate(
        [np.linspace(200, 20, 930), np.full(43, 53 / 43), np.full(27, -53 / 27)]
    )
    return pd.Series(values, index=_ids(1000))


def wide_profits() -> pd.Series:
    """Peak 300% of total profit at 60% of customers; 40% unprofitable."""
    gains = np.linspace(2.0, 0.5, 600) * 3.0 / np.linspace(2.0, 0.5, 600).sum()
    losses = -np.linspace(0.1, 4.0, 400) * 2.0 / np.linspace(0.1, 4.0, 400).sum()
    return pd.Series(np.concatenate([gains, losses]), index=_ids(1000))


def whale_cases() -> dict[str, pd.Series]:
    """Named profit distributions, from the reported collision to the extremes."""
    rng = np.random.default_rng(7)
    large = rng.lognormal(3, 1.2, 10_000) - rng.lognormal(2.5, 1.0, 10_000)
    return {
        "narrow": narrow_profits(),
        "wide": wide_profits(),
        "tiny": pd.Series([120.0, 40.0, -15.0], index=_ids(3)),
        "tiny_all_profitable": pd.Series([5.0, 3.0, 1.0], index=_ids(3)),
        "large": pd.Series(large, index=_ids(10_000)),
        "all_profitable": pd.Series(np.linspace(100, 1, 500), index=_ids(500)),
        "total_loss": pd.Series(np.concatenate([[50.0, 20.0], np.full(98, -3.0)]), index=_ids(100)),
        "one_whale": pd.Series(np.concatenate([[1e6], np.full(999, -900.0)]), index=_ids(1000)),
    }


def whale_case_chart(profits: pd.Series):
    """The whale chart of these profits, exactly as the page and the deck build it."""
    curve = whale.whale_curve(profits)
    return whale_chart(
        whale.chart_points(curve), whale.key_point_marks(curve, "EUR"), curve.summary, "EUR"
    )
