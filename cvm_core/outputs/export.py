"""Files users take away: CSV and Excel downloads that open cleanly and cannot run formulas.

A cell that starts with = + - @ (or a tab / carriage return / line feed) is read by Excel and
LibreOffice as a formula; text from an uploaded file or a customer name could carry one
(CSV injection, OWASP). Such text is prefixed with an apostrophe. Numbers are left as numbers.
"""

from __future__ import annotations

import io
import re

import altair as alt
import numpy as np
import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_CELL_CHARS = 32_767  # Excel's limit; longer text corrupts the workbook
CUT_MARK = " [… cut here: an Excel cell holds at most 32,767 characters]"
"""Ends a text cut to fit an Excel cell, so that nobody takes the shortened text for all of it
(CSV has no such limit and keeps every character)."""
EXCEL_MAX_ROWS = 1_048_575


def file_stem(name: str) -> str:
    """A dataset's name as the start of a download's file name: 'Q1 sales.xlsx' -> 'q1_sales'."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", name.rsplit(".", 1)[0]).strip("_").lower()
    return stem[:40] or "data"


def neutralise_text(value: object, max_chars: int | None = MAX_CELL_CHARS) -> object:
    """Make one text cell inert and printable; non-text values pass through.

    Text longer than ``max_chars`` (default: Excel's limit; None for no limit, as in CSV) is cut
    and ends in :data:`CUT_MARK`.
    """
    if not isinstance(value, str):
        return value
    value = _CONTROL_CHARS.sub("", value)
    if value.startswith(_FORMULA_START):
        value = "'" + value
    if max_chars is not None and len(value) > max_chars:
        value = value[: max_chars - len(CUT_MARK)] + CUT_MARK
    return value


def neutralise_formulas(
    frame: pd.DataFrame, max_chars: int | None = MAX_CELL_CHARS
) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers cannot be run as formulas.

    Text is cut to ``max_chars`` (see :func:`neutralise_text`): Excel's limit by default, None
    for files without one (CSV).
    """
    out = frame.copy()
    out.columns = [neutralise_text(str(c), max_chars) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or isinstance(
            out[column].dtype, pd.StringDtype | pd.CategoricalDtype
        ):
            codes, uniques = pd.factorize(out[column], use_na_sentinel=True)
            cleaned = np.array([neutralise_text(u, max_chars) for u in uniques], dtype=object)
            out[column] = np.where(
                codes >= 0, cleaned[np.maximum(codes, 0)] if len(cleaned) else None, None
            )
    return out


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """UTF-8 with BOM so Excel opens umlauts and Chinese correctly; CRLF rows; formula-safe.

    Long text stays whole: CSV has no cell limit (Excel shows a cell's first 32,767 characters).
    """
    return (
        neutralise_formulas(frame.reset_index() if index else frame, max_chars=None)
        # CRLF, as Excel writes: the csv writer then quotes any cell holding a lone CR or LF.
        .to_csv(index=False, lineterminator="\r\n")
        .encode("utf-8-sig")
    )


def xlsx_bytes(sheets: dict[str, pd.DataFrame], index: bool = False) -> bytes:
    """An .xlsx with one sheet per frame: bold frozen header, sensible widths, no live formulas."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        for name, frame in sheets.items():
            table = neutralise_formulas(frame.reset_index() if index else frame).head(
                EXCEL_MAX_ROWS
            )
            sheet_name = re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet"
            table.to_excel(writer, sheet_name=sheet_name, index=False)
            _format_sheet(writer, sheet_name, table)
    return buffer.getvalue()


def _format_sheet(writer: pd.ExcelWriter, sheet_name: str, table: pd.DataFrame) -> None:
    sheet = writer.sheets[sheet_name]
    sheet.freeze_panes(1, 0)
    for j, column in enumerate(table.columns):
        sample = table[column].head(200).astype(str)
        width = min(max([len(str(column))] + sample.str.len().tolist()) + 2, 50)
        fmt = None
        if pd.api.types.is_float_dtype(table[column]):
            fmt = writer.book.add_format({"num_format": "#,##0.00"})
        elif pd.api.types.is_datetime64_any_dtype(table[column]):
            fmt = writer.book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.set_column(j, j, width, fmt)


# --- charts ------------------------------------------------------------------------------------

SLIDE_CHART_WIDTH = 660
SLIDE_CHART_HEIGHT = 210
"""Pixels of a chart's plot exported for a 16:9 slide (rendered at 2x for a sharp projection).

Small on purpose: the picture is stretched to the slide's 12.3 inches, so a chart about 780 px
wide overall shows its 14 px text at about 16 pt (a 1,100 px chart would show it at 9 pt)."""
SLIDE_FONT_PX = 14
"""Smallest text in an exported chart (axis and legend labels, text marks without a size)."""

_FONT_DIRS = ("/usr/share/fonts",)
_fonts_registered = False


def _register_fonts() -> None:
    """Let vl-convert use the machine's fonts (CJK headers and names render instead of boxes)."""
    global _fonts_registered
    if _fonts_registered:
        return
    import os

    import vl_convert as vlc

    for folder in _FONT_DIRS:
        if os.path.isdir(folder):
            vlc.register_font_directory(folder)
    _fonts_registered = True


def slide_sized(chart):
    """The chart at slide size; charts made of several panels keep their own panel sizes.

    Only single and layered charts take a top-level size: Altair accepts one on a concatenated or
    faceted chart too but fails later, when the spec is written, so check the type up front.
    """
    if isinstance(chart, alt.Chart | alt.LayerChart):
        return chart.properties(width=SLIDE_CHART_WIDTH, height=SLIDE_CHART_HEIGHT)
    return chart


def slide_spec(chart, titled: bool = True) -> str:
    """The chart's Vega-Lite JSON as exported: slide size, white background, slide-sized text.

    ``titled=False`` leaves the chart's own title out: on a slide, the slide's title and takeaway
    say it, and the room goes to the plot (and so to larger text).
    """
    if not titled:
        chart = chart.properties(title="")
    return (
        slide_sized(chart)
        .configure(background="white")
        .configure_axis(labelFontSize=SLIDE_FONT_PX, titleFontSize=SLIDE_FONT_PX + 1)
        .configure_legend(labelFontSize=SLIDE_FONT_PX, titleFontSize=SLIDE_FONT_PX)
        .configure_text(fontSize=SLIDE_FONT_PX)
        .configure_title(fontSize=SLIDE_FONT_PX + 4, subtitleFontSize=SLIDE_FONT_PX)
        .to_json(validate=False)  # the chart was validated when it was built
    )


def chart_png(chart, scale: float = 2.0, titled: bool = True) -> bytes:
    """PNG of an Altair chart at slide size, white background, rendered without a browser."""
    import vl_convert as vlc

    _register_fonts()
    return vlc.vegalite_to_png(slide_spec(chart, titled), scale=scale)


def slide_png(chart) -> bytes:
    """The chart as a deck's slide shows it: without its own title (see :func:`slide_spec`)."""
    return chart_png(chart, titled=False)


def chart_svg(chart) -> str:
    """SVG of an Altair chart at slide size (editable in PowerPoint / Illustrator)."""
    import vl_convert as vlc

    _register_fonts()
    return vlc.vegalite_to_svg(slide_spec(chart))
