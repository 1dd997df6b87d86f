"""Showing charts: every chart goes through show_chart, so all charts look and export alike."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import altair as alt
import pandas as pd
import streamlit as st

from cvm_core import i18n
from cvm_core.i18n import _
from cvm_core.outputs import export
from ui import state


@dataclass(frozen=True)
class DeckChart:
    """A chart as it was last shown, with the takeaway its slide will carry."""

    title: str
    chart: alt.TopLevelMixin
    takeaway: str
    language: str = "en"
    """The language it was drawn in: the deck takes the charts drawn in the current one (after a
    switch, a chart seen in both would otherwise be on two slides, one per language)."""


_drawing = threading.local()


def _validated_unless_drawing(to_dict):
    @functools.wraps(to_dict)
    def wrapper(self, *args, validate=None, **kwargs):
        if validate is None:
            validate = not getattr(_drawing, "active", False)
        return to_dict(self, *args, validate=validate, **kwargs)

    return wrapper


for _cls in (alt.TopLevelMixin, alt.Chart):  # the classes that define to_dict (Altair 6)
    _cls.to_dict = _validated_unless_drawing(_cls.__dict__["to_dict"])


@contextlib.contextmanager
def _unvalidated() -> Iterator[None]:
    """Draw without Altair's JSON-schema check of the whole spec: 20-25% of a plain rerun of
    the CLV, Whale and Retention pages (0.275 -> 0.227 s, 0.543 -> 0.418 s, 0.286 -> 0.224 s,
    AppTest, demo data). The specs come from cvm_core's chart functions, whose unit tests
    validate them (``to_dict()`` outside this block still validates, in this thread and every
    other)."""
    _drawing.active = True
    try:
        yield
    finally:
        _drawing.active = False


T = TypeVar("T")
_BUILT = "cvm.charts.built"
"""Session key: chart name -> (the inputs it was built from, the chart)."""


def built_once(name: str, build: Callable[[], T], *inputs: Any) -> T:
    """``build()``, or what it returned last time for ``name`` when every input is the same
    object as then (a cached result) or an equal plain value (a currency code).

    A plain rerun (any click) rebuilds every chart from its result; charts with placed labels
    cost 0.1-0.2 s each (the whale curve, the cluster map), more than drawing them.
    """
    inputs = (*inputs, i18n.current())  # labels in the chart are written in the language
    built = st.session_state.setdefault(_BUILT, {})
    kept = built.get(name)
    if kept is not None and _same_inputs(kept[0], inputs):
        return kept[1]
    value = build()
    built[name] = (inputs, value)
    return value


def _same_inputs(old: tuple, new: tuple) -> bool:
    plain = (str, int, float, bool, type(None))
    return len(old) == len(new) and all(
        a is b or (isinstance(a, plain) and type(a) is type(b) and a == b)
        for a, b in zip(old, new, strict=True)
    )


def _file_stem(title: str) -> str:
    """A chart's file name and widget keys from its title: ASCII letters and digits. A title with
    other letters (Chinese, German umlauts) also gets a short hash of itself: two Chinese titles
    would otherwise both be "chart" and their download buttons share a key."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_").lower()[:60]
    if title.isascii():
        return stem or "chart"
    digest = hashlib.sha1(title.encode()).hexdigest()[:8]
    return f"{stem[:51]}_{digest}" if stem else f"chart_{digest}"


def show_chart(
    chart: alt.TopLevelMixin,
    caption: str | None = None,
    *,
    name: str | None = None,
    data: pd.DataFrame | None = None,
    takeaway: str | None = None,
    for_deck: bool = True,
    selection: alt.Parameter | None = None,
    key: str | None = None,
):
    """Render with the project's Altair theme (not Streamlit's), then PNG / SVG / CSV downloads.

    The downloads are generated only when clicked (deferred callables), so a page with many charts
    stays fast while sliders move. ``takeaway`` is the one-line message computed from the data
    ("Top 20% of customers earn 180% of profit") that the chart's slide in the deck carries; the
    chart is remembered for the deck under state.DECK_CHARTS; ``for_deck=False`` (a what-if chart
    with nothing moved) keeps it, or takes it back, out of the deck.

    ``selection`` (an Altair selection parameter) makes the page's copy selectable and returns
    Streamlit's selection event (``key`` names the widget); the deck and the downloads keep the
    chart without it.
    """
    event = None
    with _unvalidated():
        if selection is None:
            st.altair_chart(chart, width="stretch", theme=None)
        else:
            event = st.altair_chart(
                chart.add_params(selection), width="stretch", theme=None, on_select="rerun", key=key
            )
    if caption:
        st.caption(caption)
    stem = _file_stem(name or _title_of(chart))
    if for_deck:
        _remember_for_deck(stem, name or _title_of(chart), chart, takeaway or caption or "")
    else:
        st.session_state.get(state.DECK_CHARTS, {}).pop(stem, None)
    # A horizontal container sizes each button to its label; fixed columns squeezed the labels
    # away in two-column layouts.
    with st.container(horizontal=True):
        st.download_button(
            _("PNG"), lambda: export.chart_png(chart), f"{stem}.png", "image/png",
            key=f"png.{stem}", on_click="ignore", icon=":material/image:", help=_("Picture for slides (16:9)."),
        )  # fmt: skip
        st.download_button(
            _("SVG"), lambda: export.chart_svg(chart), f"{stem}.svg", "image/svg+xml",
            key=f"svg.{stem}", on_click="ignore", icon=":material/draw:", help=_("Vector picture, editable."),
        )  # fmt: skip
        if data is not None:
            st.download_button(
                _("Data"), lambda: export.csv_bytes(data), f"{stem}.csv", "text/csv",
                key=f"csv.{stem}", on_click="ignore", icon=":material/table:", help=_("The chart's numbers (CSV)."),
            )  # fmt: skip
    return event


def _remember_for_deck(stem: str, title: str, chart: alt.TopLevelMixin, takeaway: str) -> None:
    """Keep the latest version of each chart shown, in order of first appearance, for the deck."""
    charts = st.session_state.setdefault(state.DECK_CHARTS, {})
    charts[stem] = DeckChart(title=title, chart=chart, takeaway=takeaway, language=i18n.current())


def _title_of(chart: alt.TopLevelMixin) -> str:
    title = getattr(chart, "title", None)
    if isinstance(title, str):
        return title
    text = getattr(title, "text", None)
    return text if isinstance(text, str) else "chart"
