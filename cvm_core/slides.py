"""A chart with the title and the one-line takeaway it carries, on its page and on its slide.

Each analysis builds the charts it shares between its page and the deck as :class:`ChartSlide`
(in its ``slides`` module), so the page, the app's deck and the command-line deck show the same
title and the same sentence for the same data. No python-pptx here: pages import this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChartSlide:
    """One chart slide: the chart (an Altair chart) or an already rendered PNG, with its texts."""

    title: str
    takeaway: str
    chart: Any = None
    image: bytes | None = None
