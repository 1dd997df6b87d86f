"""Placing text annotations on charts so that no two labels ever overlap.

A chart is drawn at more than one size: stretched to the page's width in the browser and at the
slide size in the PNG, SVG and deck. Labels are anchored at data points with fixed pixel offsets,
so a layout that is clear at one width can collide at another. The rule here checks every
candidate position at the extreme plot sizes of a band of widths: a label's box moves linearly
with the plot's width (and height), so two boxes apart at both extremes are apart at every size
in between, and a box inside the plot at both extremes is inside it at every size. Widths are
split into bands (:data:`WIDTH_BANDS`), each with its own layout, shown by Vega while the plot's
width is in the band.

The rule, in short: labels are placed one by one in the caller's order (most important first);
each takes the first of its candidate positions (beside, above, below the point, then further
out) that stays inside the plot and clears every label already placed and every marker, avoiding
the drawn line where it can. A label with no free position is not drawn; it is returned, so the
caller puts its text into the chart's subtitle or caption instead.

Text widths are estimated, not measured (no browser in the core): per character, from the widths
of DejaVu Sans, the widest of the fonts the charts fall back to, so the estimate errs wide.

Public: :func:`place_labels` (one size range), :func:`place_banded` (the page's and the slide's
widths), :func:`text_layers` (Altair layers of a layout), :func:`text_width`, :func:`label_box`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd

from cvm_core.outputs.export import SLIDE_CHART_HEIGHT, SLIDE_CHART_WIDTH

# --- text size --------------------------------------------------------------------------------

_NARROW = set(" .,:;'!|()[]ijlI")
_SEMI_NARROW = set("frt-/")
_WIDE = set("mwMW%@€")
_EM = {"narrow": 0.36, "semi": 0.5, "wide": 1.05, "upper": 0.8, "other": 0.7}
"""Bold widths in em, rounded up from DejaVu Sans Bold; regular text is about 8% narrower."""


def text_width(text: str, font_size: float, bold: bool = False) -> float:
    """Estimated width in pixels of ``text`` at ``font_size``; errs on the wide side.

    Parameters
    ----------
    text : str
    font_size : float
        In pixels.
    bold : bool
        Bold text is wider.

    Returns
    -------
    float
    """
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += _EM["narrow"]
        elif char in _SEMI_NARROW:
            ems += _EM["semi"]
        elif char in _WIDE:
            ems += _EM["wide"]
        elif char.isupper():
            ems += _EM["upper"]
        elif ord(char) > 0x2E7F:  # CJK and the like: a full em
            ems += 1.0
        else:
            ems += _EM["other"]
    return ems * font_size * (1.0 if bold else 0.92)


HALF_HEIGHT_EM = 0.65
"""Half the height of a line of text, in em, around the point Vega centres it on (baseline
'middle'): ascenders above, descenders below, rounded up."""


# --- positions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a label sits relative to its anchor: Vega's ``align`` and pixel offsets dx, dy
    (dy positive downwards). ``align='left'`` means the text starts right of the point."""

    name: str
    align: str
    dx: float
    dy: float


POSITIONS: dict[str, Position] = {
    p.name: p
    for p in (
        Position("right-above", "left", 9, -12),
        Position("right-below", "left", 9, 16),
        Position("left-above", "right", -9, -12),
        Position("left-below", "right", -9, 16),
        Position("above", "center", 0, -17),
        Position("below", "center", 0, 20),
        Position("right", "left", 12, 0),
        Position("left", "right", -12, 0),
        Position("right-above-far", "left", 9, -32),
        Position("right-below-far", "left", 9, 36),
        Position("left-above-far", "right", -9, -32),
        Position("left-below-far", "right", -9, 36),
        Position("above-far", "center", 0, -37),
        Position("below-far", "center", 0, 40),
    )
}
"""Candidate positions, near ones first. The offsets clear a marker of :data:`MARKER_RADIUS`;
a far position stacks a 13 px label clear of one at the near position on the same side."""

MARKER_RADIUS = 6.0
"""Pixels: a filled point of size 110, the marker the charts draw at labelled points."""


# --- inputs and outputs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """A text to place at a point given in data coordinates.

    ``prefer`` names positions (keys of :data:`POSITIONS`) to try first, in order; the others
    follow in the order of :data:`POSITIONS`. ``radius`` is the pixel radius of the marker drawn
    at the point when it is not the layout's usual one (a bubble): offsets grow by the
    difference, so the label clears the bubble.
    """

    key: str
    text: str
    x: float
    y: float
    prefer: tuple[str, ...] = ()
    radius: float | None = None


@dataclass(frozen=True)
class PlotArea:
    """The plot's data domains and the pixel sizes it is drawn at.

    ``widths`` and ``heights`` are the plot sizes (inside the axes) the chart is shown at; give
    the smallest and the largest, the rule checks both.
    """

    x_domain: tuple[float, float]
    y_domain: tuple[float, float]
    widths: tuple[float, ...]
    heights: tuple[float, ...]

    def px(self, x: float | np.ndarray, width: float) -> float | np.ndarray:
        lo, hi = self.x_domain
        return (np.asarray(x, dtype=float) - lo) / ((hi - lo) or 1.0) * width

    def py(self, y: float | np.ndarray, height: float) -> float | np.ndarray:
        lo, hi = self.y_domain
        return (1.0 - (np.asarray(y, dtype=float) - lo) / ((hi - lo) or 1.0)) * height


WIDTH_BANDS = ((300.0, 600.0), (600.0, 1600.0))
"""Plot widths (pixels inside the axes) a full-width chart is drawn at, in two bands laid out
separately: a narrow window or tablet (a 900 px window with the sidebar open leaves about 340 px),
and a laptop up to a wide screen, which includes the slide export. One layout for both would drop
labels on a wide screen because they would not fit on a phone."""


def drawn_area(
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    page_height: float,
    widths: tuple[float, float] = (WIDTH_BANDS[0][0], WIDTH_BANDS[-1][1]),
) -> PlotArea:
    """The plot area of a full-width chart as the page and the slide export draw it.

    Parameters
    ----------
    x_domain, y_domain : tuple of float
        The scales' domains (fix them in the chart with ``nice=False`` so they are these).
    page_height : float
        The chart's own height, used in the page; slides use the export's height.
    widths : tuple of float
        The narrowest and widest plot; by default every width of :data:`WIDTH_BANDS`.
    """
    heights = (float(page_height), float(SLIDE_CHART_HEIGHT))
    return PlotArea(x_domain, y_domain, widths, (min(heights), max(heights)))


@dataclass(frozen=True)
class BandedLayout:
    """One :class:`Layout` per band of plot widths (see :data:`WIDTH_BANDS`)."""

    bands: tuple[tuple[tuple[float, float], Layout], ...]

    def at(self, width: float) -> Layout:
        """The layout used when the plot is ``width`` pixels wide."""
        for (_, high), layout in self.bands[:-1]:
            if width < high:
                return layout
        return self.bands[-1][1]

    def for_slides(self) -> Layout:
        """The layout of the slide export (and of most screens)."""
        return self.at(float(SLIDE_CHART_WIDTH))

    def dropped_somewhere(self) -> list[Label]:
        """Labels left out at some width, in their order."""
        seen: dict[str, Label] = {}
        for _, layout in self.bands:
            for label in layout.dropped:
                seen.setdefault(label.key, label)
        return list(seen.values())


def place_banded(
    labels: Sequence[Label],
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    page_height: float,
    **options,
) -> BandedLayout:
    """:func:`place_labels` for each band of :data:`WIDTH_BANDS`; ``options`` go to it."""
    return BandedLayout(
        tuple(
            (
                band,
                place_labels(labels, drawn_area(x_domain, y_domain, page_height, band), **options),
            )
            for band in WIDTH_BANDS
        )
    )


@dataclass(frozen=True)
class Placed:
    """A label with the position it was given."""

    label: Label
    position: Position


@dataclass(frozen=True)
class Layout:
    """The result of :func:`place_labels`: labels drawn, and labels left for the caption."""

    placed: list[Placed] = field(default_factory=list)
    dropped: list[Label] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """One row per placed label: key, text, x, y, align, dx, dy, position."""
        rows = [
            {"key": p.label.key, "text": p.label.text, "x": p.label.x, "y": p.label.y,
             "align": p.position.align, "dx": p.position.dx, "dy": p.position.dy,
             "position": p.position.name}
            for p in self.placed
        ]  # fmt: skip
        columns = ["key", "text", "x", "y", "align", "dx", "dy", "position"]
        return pd.DataFrame(rows, columns=columns)


# --- geometry ---------------------------------------------------------------------------------

_Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels


def label_box(
    label: Label,
    position: Position,
    area: PlotArea,
    width: float,
    height: float,
    font_size: float,
    bold: bool,
) -> _Box:
    """The pixel box of ``label`` at ``position`` in a plot ``width`` x ``height`` pixels."""
    w = text_width(label.text, font_size, bold)
    x = float(area.px(label.x, width)) + position.dx
    y = float(area.py(label.y, height)) + position.dy
    left = {"left": x, "right": x - w, "center": x - w / 2}[position.align]
    half = HALF_HEIGHT_EM * font_size
    return (left, y - half, left + w, y + half)


def _apart(a: _Box, b: _Box, gap: float) -> tuple[bool, bool]:
    """(apart left-right, apart top-bottom), with ``gap`` pixels to spare."""
    return (a[2] + gap <= b[0] or b[2] + gap <= a[0], a[3] + gap <= b[1] or b[3] + gap <= a[1])


def _inside(box: _Box, width: float, height: float) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def _crosses(box: _Box, xs: np.ndarray, ys: np.ndarray) -> bool:
    """Whether the polyline through (xs, ys) (pixels) passes through ``box`` (Liang-Barsky)."""
    if xs.size == 0:
        return False
    if xs.size == 1:
        return bool(box[0] <= xs[0] <= box[2] and box[1] <= ys[0] <= box[3])
    x0, y0 = xs[:-1], ys[:-1]
    dx, dy = np.diff(xs), np.diff(ys)
    t_lo, t_hi = np.zeros_like(x0), np.ones_like(x0)
    ok = np.ones_like(x0, dtype=bool)
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        parallel = p == 0
        ok &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        t_lo = np.where(~parallel & (p < 0), np.maximum(t_lo, t), t_lo)
        t_hi = np.where(~parallel & (p > 0), np.minimum(t_hi, t), t_hi)
    return bool((ok & (t_lo <= t_hi)).any())


# --- the rule ---------------------------------------------------------------------------------


def _candidates(label: Label, marker_radius: float) -> list[Position]:
    names = list(dict.fromkeys([*label.prefer, *POSITIONS]))
    extra = max((label.radius or marker_radius) - MARKER_RADIUS, 0.0)
    return [
        Position(p.name, p.align, p.dx + float(np.sign(p.dx)) * extra,
                 p.dy + float(np.sign(p.dy)) * extra)
        for p in (POSITIONS[name] for name in names)
    ]  # fmt: skip


def place_labels(
    labels: Sequence[Label],
    area: PlotArea,
    *,
    font_size: float = 13,
    bold: bool = True,
    lines: Sequence[tuple[Sequence[float], Sequence[float]]] = (),
    marker_radius: float = MARKER_RADIUS,
    gap: float = 2.0,
) -> Layout:
    """Place labels so that none overlaps another, a marker or the plot's edge, at every size.

    Parameters
    ----------
    labels : sequence of Label
        In order of importance: earlier labels get the better positions, later ones are dropped
        first.
    area : PlotArea
        Data domains and the plot sizes the chart is drawn at.
    font_size : float
        Pixels; the labels' font size in the chart.
    bold : bool
        Whether the labels are bold.
    lines : sequence of (xs, ys)
        Lines drawn in the plot, in data coordinates. A label avoids crossing them when it has a
        free position that does not; it never gets dropped for them.
    marker_radius : float
        Radius in pixels of the marker drawn at every label's point; no label covers one.
    gap : float
        Pixels kept free between two labels.

    Returns
    -------
    Layout
        The placed labels and, in their order, the ones with no free position.
    """
    sizes = [(w, h) for w in area.widths for h in area.heights]
    paths = [
        [(area.px(np.asarray(xs), w), area.py(np.asarray(ys), h)) for w, h in sizes]
        for xs, ys in lines
    ]
    markers = {
        id(label): [
            (float(area.px(label.x, w)), float(area.py(label.y, h)), w, h) for w, h in sizes
        ]
        for label in labels
    }
    placed: list[tuple[Placed, list[_Box]]] = []
    dropped: list[Label] = []

    def boxes(label: Label, position: Position) -> list[_Box]:
        return [label_box(label, position, area, w, h, font_size, bold) for w, h in sizes]

    def clear(candidate: list[_Box]) -> bool:
        if not all(_inside(box, w, h) for box, (w, h) in zip(candidate, sizes, strict=True)):
            return False
        for _, other in placed:
            # Apart left-right at every width, or apart top-bottom at every height: the two
            # conditions are linear in the size, so both extremes decide (see the module doc).
            pairs = [_apart(a, b, gap) for a, b in zip(candidate, other, strict=True)]
            if not (all(p[0] for p in pairs) or all(p[1] for p in pairs)):
                return False
        for other, points in zip(labels, markers.values(), strict=True):
            r = other.radius or marker_radius
            for box, (mx, my, _, _) in zip(candidate, points, strict=True):
                if not any(_apart(box, (mx - r, my - r, mx + r, my + r), 0.0)):
                    return False
        return True

    def off_lines(candidate: list[_Box]) -> bool:
        return not any(
            _crosses(box, xs, ys)
            for path in paths
            for box, (xs, ys) in zip(candidate, path, strict=True)
        )

    for label in labels:
        options = [(pos, boxes(label, pos)) for pos in _candidates(label, marker_radius)]
        free = [(pos, bx) for pos, bx in options if clear(bx)]
        best = next(((pos, bx) for pos, bx in free if off_lines(bx)), free[0] if free else None)
        if best is None:
            dropped.append(label)
        else:
            placed.append((Placed(label, best[0]), best[1]))
    return Layout([p for p, _ in placed], dropped)


def text_layers(
    layout: Layout | BandedLayout,
    x: str,
    y: str,
    text: str = "text:N",
    encodings: dict | None = None,
    rename: dict[str, str] | None = None,
    **style,
) -> list[alt.Chart]:
    """Altair text layers drawing a layout (one layer per position used, per band).

    A banded layout shows each band's labels only while the plot's width (Vega's ``width``
    signal, which follows the container) is in that band, so the page switches layouts as the
    window is resized and the slide export shows the band of its own width.

    Parameters
    ----------
    layout : Layout or BandedLayout
    x, y, text : str
        Encodings, e.g. ``"customer_share:Q"``; the layout's columns are key, text, x, y.
    encodings : dict, optional
        More encodings, e.g. ``{"color": alt.Color(...)}``.
    rename : dict, optional
        Renames of the layout's columns, so the encodings can use the chart's own field names.
    **style
        Mark properties: fontSize, fontWeight, color... (use the ``font_size`` and ``bold`` the
        layout was computed with).
    """
    if isinstance(layout, Layout):
        return _band_layers(layout, None, x, y, text, encodings, rename, style)
    last = len(layout.bands) - 1
    layers = []
    for i, ((low, high), band) in enumerate(layout.bands):
        # The outer bands reach beyond their edges: a plot narrower or wider than any band
        # still shows one layout.
        conditions = ([f"width >= {low}"] if i > 0 else []) + (
            [f"width < {high}"] if i < last else []
        )
        shown = " && ".join(conditions) or "true"
        layers += _band_layers(band, shown, x, y, text, encodings, rename, style)
    return layers


def _band_layers(layout, shown, x, y, text, encodings, rename, style) -> list[alt.Chart]:
    frame = layout.frame().rename(columns=rename or {})
    layers = []
    for (align, dx, dy), rows in frame.groupby(["align", "dx", "dy"], sort=False):
        visible = {} if shown is None else {"opacity": alt.expr(f"{shown} ? 1 : 0")}
        layers.append(
            alt.Chart(rows.drop(columns=["align", "dx", "dy"]))
            .mark_text(
                align=align, dx=float(dx), dy=float(dy), baseline="middle", **visible, **style
            )
            .encode(x=x, y=y, text=text, **(encodings or {}))
        )
    return layers
