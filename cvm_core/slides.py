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


@dataclass(frozen=True)
class StorySlide:
    """One slide of the deck's storyline (:mod:`cvm_core.outputs.storyline`).

    Exactly one of ``chart`` / ``image`` (a picture), ``table`` (a native, editable table) or
    ``points`` (numbered statements: the executive summary) carries the content; a slide with
    none of them is a section divider. ``key`` is stable across datasets (for the slide picker);
    ``appendix`` slides come after the "Appendix" divider; ``assumed`` is the "Assumed: ..."
    line the slide's numbers depend on ('' when nothing was assumed or it does not matter).
    """

    key: str
    title: str
    takeaway: str = ""
    chart: Any = None
    image: bytes | None = None
    table: Any = None
    points: tuple[tuple[str, str], ...] = ()
    appendix: bool = False
    assumed: str = ""

    @property
    def is_picture(self) -> bool:
        return self.chart is not None or self.image is not None
