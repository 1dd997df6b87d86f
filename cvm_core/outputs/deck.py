"""The workshop deck: a PowerPoint file (python-pptx) made from the charts and the scorecard.

A title slide (client, dataset, date), one slide per chart (title, a one-line takeaway computed from
the data, the chart as a 16:9 picture) and the scorecard as a native PowerPoint table, so a
consultant can edit numbers and wording in the meeting. Slides are 16:9 (13.33 x 7.5 in); text
sizes are chosen to stay readable on a projector (titles 30 pt, takeaways 20 pt, tables 14 pt).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from cvm_core import formatting, i18n
from cvm_core.i18n import _
from cvm_core.outputs import export
from cvm_core.slides import ChartSlide, StorySlide

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
TITLE_PT = 30
TAKEAWAY_PT = 20
TABLE_PT = 14
FOOTER_PT = 11
ASSUMED_PT = 14
TAKEAWAY_CHARS_PER_LINE = 76
ASSUMED_CHARS_PER_LINE = 110
"""Characters of 20 pt text on a 12.3-inch line, counted low (wide letters, CJK) so the content
below a long takeaway moves down instead of being overlapped."""
SUMMARY_NUMBER_PT = 32
SUMMARY_TEXT_PT = 18
TABLE_ROWS_PER_SLIDE = 8
"""Scorecard rows per slide: 8 rows of 14 pt text (two lines each at most) fill a 16:9 slide."""
SLIDE_DROPPED_COLUMNS = ("Definition", "Source / how to enable")
"""Scorecard columns left off the slides (too long to read projected; the workbook has them)."""
MAX_TITLE_CHARS = 120
MAX_TAKEAWAY_CHARS = 300
MAX_CELL_CHARS = 160
SCORECARD_TITLE = "Customer management scorecard"
DECK_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

_DARK = RGBColor(0x1F, 0x2D, 0x3D)
_MUTED = RGBColor(0x5D, 0x6D, 0x7E)
_HEADER_FILL = RGBColor(0x1F, 0x4E, 0x79)
_WHITE = RGBColor(0xFF, 0xFF, 0xFF)
_ASSUMED = RGBColor(0x9A, 0x5B, 0x00)  # amber: an assumption, not a finding
# XML 1.0 forbids these; python-pptx refuses strings that hold them.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_TITLE_LAYOUT, _TITLE_ONLY_LAYOUT = 0, 5


ProgressCallback = Callable[[int, int, str], None]
"""Called as ``progress(done, total, what)`` while slides are built (for a progress bar)."""


def clean_text(value: object, limit: int = MAX_CELL_CHARS) -> str:
    """Text fit for a slide: no control characters, at most ``limit`` characters (with an ellipsis).

    No apostrophe is added in front of ``=`` or ``-``: PowerPoint never evaluates formulas, and a
    scorecard change such as "-3.2%" must read as it is.
    """
    text = _XML_UNSAFE.sub("", str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if value is pd.NA or value is pd.NaT:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return formatting.count(value)
    if isinstance(value, float):
        return formatting.number(value, 0 if abs(value) >= 100 else 2)
    if isinstance(value, pd.Timestamp | dt.date):
        return formatting.date(value)
    return clean_text(value)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's header (IHDR), without decoding the picture."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        raise ValueError("not a PNG picture")
    return struct.unpack(">II", png[16:24])


def _textbox(slide, left, top, width, height, text: str, size: int, *, bold=False, color=_DARK):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = color
    return box


def _set_title(slide, text: str) -> None:
    """Fill the layout's title placeholder (kept, so the outline view lists every slide)."""
    title = slide.shapes.title
    title.left, title.top = MARGIN, Inches(0.3)
    title.width, title.height = SLIDE_WIDTH - 2 * MARGIN, Inches(0.9)
    title.text_frame.word_wrap = True
    title.text_frame.text = clean_text(text, MAX_TITLE_CHARS)
    for paragraph in title.text_frame.paragraphs:
        paragraph.alignment = 1  # left
        for run in paragraph.runs:
            run.font.size = Pt(TITLE_PT)
            run.font.bold = True
            run.font.color.rgb = _DARK


def _footer(slide, text: str) -> None:
    _textbox(
        slide, MARGIN, SLIDE_HEIGHT - Inches(0.45), SLIDE_WIDTH - 2 * MARGIN, Inches(0.35),
        clean_text(text), FOOTER_PT, color=_MUTED,
    )  # fmt: skip


def _title_slide(prs, client: str, dataset_name: str, made_on: dt.date) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_LAYOUT])
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    title.left, title.top = MARGIN, Inches(2.2)
    title.width, title.height = SLIDE_WIDTH - 2 * MARGIN, Inches(1.6)
    subtitle.left, subtitle.top = MARGIN, Inches(4.0)
    subtitle.width, subtitle.height = SLIDE_WIDTH - 2 * MARGIN, Inches(1.4)
    heading = (
        _("Customer value review: {client}").format(client=client)
        if client.strip()
        else _("Customer value review")
    )
    title.text_frame.text = clean_text(heading, MAX_TITLE_CHARS)
    day = f"{made_on:%d %B %Y}" if i18n.current() == "en" else formatting.date(made_on)
    subtitle.text_frame.text = (
        _("Data: {name}").format(name=clean_text(i18n.shown(dataset_name))) + f"\n{day}"
    )
    for shape, size in ((title, 40), (subtitle, 22)):
        for paragraph in shape.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(size)


def _fit_picture(png: bytes, top: int, max_height: int) -> tuple[int, int, int, int]:
    """Left, top, width, height of the picture: as large as fits, aspect kept, centred."""
    width_px, height_px = png_size(png)
    max_width = SLIDE_WIDTH - 2 * MARGIN
    width = max_width
    height = int(width * height_px / width_px)
    if height > max_height:
        height = max_height
        width = int(height * width_px / height_px)
    return int((SLIDE_WIDTH - width) / 2), top, width, height


def _chart_slide(prs, item: StorySlide, png: bytes, footer: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    _set_title(slide, item.title)
    top = _takeaway(slide, item.takeaway)
    bottom = _assumed(slide, item.assumed)
    left, top, width, height = _fit_picture(png, top, bottom - top)
    slide.shapes.add_picture(io.BytesIO(png), left, top, width, height)
    _footer(slide, footer)


def _takeaway(slide, text: str) -> int:
    """The slide's message under its title; returns where the content below may start."""
    if not text:
        return Inches(1.3)
    takeaway = clean_text(text, MAX_TAKEAWAY_CHARS)
    lines = _lines(takeaway, TAKEAWAY_CHARS_PER_LINE)
    height = Inches(0.36) * lines + Inches(0.1)
    _textbox(
        slide, MARGIN, Inches(1.2), SLIDE_WIDTH - 2 * MARGIN, height, takeaway, TAKEAWAY_PT,
        color=_DARK,
    )  # fmt: skip
    return Inches(1.25) + height


def _lines(text: str, per_line: int) -> int:
    """Lines ``text`` wraps to, counted generously (CJK glyphs are twice as wide)."""
    return max(1, math.ceil(sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text) / per_line))


def _assumed(slide, text: str) -> int:
    """The "Assumed: ..." lines above the footer; returns where the content above must end."""
    if not text:
        return SLIDE_HEIGHT - Inches(0.55)
    text = clean_text(text, MAX_TAKEAWAY_CHARS)
    height = Inches(0.25) * _lines(text, ASSUMED_CHARS_PER_LINE) + Inches(0.1)
    top = SLIDE_HEIGHT - Inches(0.5) - height
    _textbox(slide, MARGIN, top, SLIDE_WIDTH - 2 * MARGIN, height, text, ASSUMED_PT,
             color=_ASSUMED)  # fmt: skip
    return top - Inches(0.05)


def _summary_slide(prs, item: StorySlide, footer: str) -> None:
    """The executive summary: each number large on the left, its sentence beside it."""
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    _set_title(slide, item.title)
    top, bottom = Inches(1.35), _assumed(slide, item.assumed)
    if item.takeaway:  # what the data could not support, said where the numbers are
        bottom -= Inches(0.6)
        _textbox(slide, MARGIN, bottom, SLIDE_WIDTH - 2 * MARGIN, Inches(0.55),
                 clean_text(item.takeaway, MAX_TAKEAWAY_CHARS), ASSUMED_PT, color=_MUTED)  # fmt: skip
    row = min(Inches(1.0), int((bottom - top) / max(len(item.points), 1)))
    number_width = Inches(2.4)
    for k, (number, sentence) in enumerate(item.points):
        y = top + k * row
        _textbox(slide, MARGIN, y, number_width, row, clean_text(number, 12), SUMMARY_NUMBER_PT,
                 bold=True, color=_HEADER_FILL)  # fmt: skip
        _textbox(
            slide, MARGIN + number_width, y + Inches(0.08), SLIDE_WIDTH - 2 * MARGIN - number_width,
            row, clean_text(sentence, MAX_TAKEAWAY_CHARS), SUMMARY_TEXT_PT,
        )  # fmt: skip
    _footer(slide, footer)


def _divider_slide(prs, title: str) -> None:
    """A section divider ("Appendix"): the title alone, large."""
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    _set_title(slide, title)
    slide.shapes.title.top = Inches(3.0)


def _column_widths(table: pd.DataFrame, total: int) -> list[int]:
    """Share the width by each column's longest text (bounded), so definitions get room."""
    lengths = []
    for column in table.columns:
        cells = max((len(t) for t in table[column].head(50).astype(str)), default=0)
        # Headers are bold: their longest word gets ~40% more room, so "Target" never breaks.
        header = max(len(word) for word in str(column).split()) * 1.4
        lengths.append(min(max(cells, header), 60) + 4)
    scale = total / sum(lengths)
    widths = [int(n * scale) for n in lengths]
    widths[-1] += total - sum(widths)
    return widths


def _table_slide(
    prs, title: str, table: pd.DataFrame, footer: str, takeaway: str = "", assumed: str = ""
) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    _set_title(slide, title)
    top = _takeaway(slide, takeaway)
    _assumed(slide, assumed)
    rows, cols = len(table) + 1, len(table.columns)
    width = SLIDE_WIDTH - 2 * MARGIN
    shape = slide.shapes.add_table(rows, cols, MARGIN, top, width, Inches(0.45) * rows)
    grid = shape.table
    for j, column_width in enumerate(_column_widths(table, width)):
        grid.columns[j].width = Emu(column_width)
    for j, column in enumerate(table.columns):
        _fill_cell(grid.cell(0, j), clean_text(i18n.header_text(str(column))), header=True)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            _fill_cell(grid.cell(i, j), _cell_text(value))
    _footer(slide, footer)


def _fill_cell(cell, text: str, header: bool = False) -> None:
    cell.text = text
    for paragraph in cell.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(TABLE_PT)
            run.font.bold = header
            if header:
                run.font.color.rgb = _WHITE
    if header:
        cell.fill.solid()
        cell.fill.fore_color.rgb = _HEADER_FILL


def scorecard_for_slides(table: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as it reads best projected: long text columns left out, and a Scenario
    column only when a what-if treatment gives some measure a projected value."""
    out = table.drop(columns=[c for c in SLIDE_DROPPED_COLUMNS if c in table])
    if "Scenario" in out:
        text = out["Scenario"].fillna("").astype(str).str.strip()
        if text.isin(["", "–"]).all():
            out = out.drop(columns="Scenario")
    return out.reset_index(drop=True)


def _name_groups_once(page: pd.DataFrame) -> pd.DataFrame:
    """Each perspective named on its first row of the slide only (a grouped table reads faster)."""
    if "Perspective" not in page:
        return page
    page = page.copy()
    repeated = page["Perspective"].eq(page["Perspective"].shift())
    page["Perspective"] = page["Perspective"].where(~repeated, "")
    return page


def scorecard_pages(table: pd.DataFrame, rows: int = TABLE_ROWS_PER_SLIDE) -> list[pd.DataFrame]:
    """The scorecard split into slide-sized pieces (a 25-row table at 14 pt does not fit one)."""
    if table.empty:
        return []
    return [_name_groups_once(table.iloc[i : i + rows]) for i in range(0, len(table), rows)]


def build_deck(
    client: str,
    dataset_name: str,
    slides: Sequence[StorySlide | ChartSlide],
    *,
    made_on: dt.date | None = None,
    render: Callable[[Any], bytes] = export.slide_png,
    progress: ProgressCallback | None = None,
) -> bytes:
    """The deck as .pptx bytes: a title slide, then ``slides`` in order.

    Parameters
    ----------
    client : str
        Client name typed by the user, on the title slide (may be empty).
    dataset_name : str
        The data the numbers come from, on the title slide and every footer.
    slides : sequence of StorySlide (or ChartSlide)
        Usually :func:`cvm_core.outputs.storyline.build_story`. A picture slide with ``image``
        uses that PNG; otherwise ``chart`` is rendered with ``render`` (default
        :func:`cvm_core.outputs.export.slide_png`: 16:9 at 2x, without the chart's own title); ``table`` becomes a native,
        editable table (long tables are split over several slides); ``points`` the executive
        summary; a slide with none of these is a section divider.
    made_on : date, optional
        Date on the title slide; default today.
    progress : callable, optional
        ``progress(done, total, what)`` before each slide is drawn (``what`` names it).

    Returns
    -------
    bytes
        The .pptx file.
    """
    made_on = made_on or dt.date.today()
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    footer = f"{clean_text(dataset_name, 80)} · {formatting.date(made_on)}"
    items = [_as_story(item) for item in slides]
    total = 1 + len(items)
    _report(progress, 0, total, "title slide")
    _title_slide(prs, client, dataset_name, made_on)
    for n, item in enumerate(items, start=1):
        _report(progress, n, total, item.title)
        _add_slide(prs, item, footer, render)
    _report(progress, total, total, "done")
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def _as_story(item: StorySlide | ChartSlide) -> StorySlide:
    if isinstance(item, StorySlide):
        return item
    return StorySlide("chart", item.title, item.takeaway, item.chart, item.image)


def _add_slide(prs, item: StorySlide, footer: str, render: Callable[[Any], bytes]) -> None:
    if item.points:
        _summary_slide(prs, item, footer)
    elif item.table is not None:
        _table_slide(prs, item.title, item.table, footer, item.takeaway, item.assumed)
    elif item.is_picture:
        png = item.image if item.image is not None else render(item.chart)
        _chart_slide(prs, item, png, footer)
    else:
        _divider_slide(prs, item.title)


def _report(progress: ProgressCallback | None, done: int, total: int, what: str) -> None:
    if progress is not None:
        progress(done, total, what)
