"""The workshop deck (cvm_core.outputs.deck): reopened with python-pptx and checked slide by slide."""

from __future__ import annotations

import datetime as dt
import io

import altair as alt
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches, Pt

from cvm_core.outputs import deck, export
from cvm_core.slides import ChartSlide, StorySlide

MADE_ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def small_chart() -> alt.Chart:
    frame = pd.DataFrame({"share": [0.0, 0.2, 1.0], "profit": [0.0, 1.8, 1.0]})
    return (
        alt.Chart(frame, title="Whale curve")
        .mark_line()
        .encode(x=alt.X("share:Q", title="Customers (%)"), y=alt.Y("profit:Q", title="Profit (%)"))
    )


@pytest.fixture(scope="module")
def small_png(small_chart) -> bytes:
    return export.chart_png(small_chart)


def scorecard(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Measure": [f"Measure {i}" for i in range(rows)],
            "Value": [f"€{i},000" for i in range(rows)],
            "Change": (["-3.2%"] + ["+1.0%"] * (rows - 1))[:rows],
            "Target": [float(i) * 1.5 for i in range(rows)],
        }
    )


def reopen(data: bytes):
    return Presentation(io.BytesIO(data))


def texts(slide) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame]


def test_png_from_vl_convert_is_slide_sized_at_twice_the_resolution(small_png):
    width, height = deck.png_size(small_png)
    # the plot area is 660 x 210 px, rendered at 2x; axes and title add a margin around it
    assert 2 * export.SLIDE_CHART_WIDTH < width < 2 * export.SLIDE_CHART_WIDTH + 300
    assert 2 * export.SLIDE_CHART_HEIGHT < height < 2 * export.SLIDE_CHART_HEIGHT + 300


def test_png_size_refuses_other_bytes():
    with pytest.raises(ValueError, match="not a PNG"):
        deck.png_size(b"GIF89a" + b"\0" * 30)


def test_title_chart_and_scorecard_slides(small_chart, small_png):
    charts = [
        ChartSlide("Profitability whale curve", "Top 20% of customers earn 180% of profit",
                        chart=small_chart),
        ChartSlide("Monthly revenue", "Revenue grew 12% a year", image=small_png),
    ]  # fmt: skip
    calls = []
    pages = deck.scorecard_pages(scorecard(11))
    tables = [StorySlide("sc", f"Customer management scorecard ({k}/2)", table=page)
              for k, page in enumerate(pages, start=1)]  # fmt: skip
    data = deck.build_deck(
        "Acme GmbH", "sales 2024.xlsx", charts + tables, made_on=MADE_ON,
        progress=lambda done, total, what: calls.append((done, total, what)),
    )  # fmt: skip
    prs = reopen(data)
    slides = list(prs.slides)
    # title + 2 charts + 11 scorecard rows over two slides (8 + 3)
    assert len(slides) == 5
    # the progress bar names each slide before it is drawn, and ends at 5 of 5
    assert [c[:2] for c in calls] == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert calls[1][2] == "Profitability whale curve"
    assert prs.slide_width == Inches(13.333) and prs.slide_height == Inches(7.5)

    title = slides[0]
    assert title.shapes.title.text == "Customer value review: Acme GmbH"
    assert "Data: sales 2024.xlsx\n23 November 2026" in texts(title)

    assert [s.shapes.title.text for s in slides[1:]] == [
        "Profitability whale curve",
        "Monthly revenue",
        "Customer management scorecard (1/2)",
        "Customer management scorecard (2/2)",
    ]
    assert "Top 20% of customers earn 180% of profit" in texts(slides[1])
    assert "Revenue grew 12% a year" in texts(slides[2])
    for slide in slides[1:3]:
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        picture = pictures[0]
        assert picture.image.content_type == "image/png"
        width, height = deck.png_size(picture.image.blob)
        assert abs(picture.width / picture.height - width / height) < 0.01  # aspect kept
        assert picture.left + picture.width <= prs.slide_width
        assert picture.top + picture.height <= prs.slide_height
        assert "sales 2024.xlsx · 23 Nov 2026" in texts(slide)


def test_scorecard_is_a_native_table_with_the_values(small_png):
    table_frame = scorecard(3)
    table = StorySlide("sc", "Scorecard", table=table_frame)
    prs = reopen(deck.build_deck("", "demo", [table], made_on=MADE_ON))
    slides = list(prs.slides)
    assert len(slides) == 2
    assert slides[0].shapes.title.text == "Customer value review"
    tables = [s for s in slides[1].shapes if s.has_table]
    assert len(tables) == 1
    grid = tables[0].table
    cells = [[grid.cell(i, j).text for j in range(4)] for i in range(4)]
    assert cells == [
        ["Measure", "Value", "Change", "Target"],
        ["Measure 0", "€0,000", "-3.2%", "0.00"],  # no apostrophe: slides run no formulas
        ["Measure 1", "€1,000", "+1.0%", "1.50"],
        ["Measure 2", "€2,000", "+1.0%", "3.00"],
    ]
    run = grid.cell(1, 0).text_frame.paragraphs[0].runs[0]
    assert run.font.size == Pt(deck.TABLE_PT)
    assert grid.cell(0, 0).text_frame.paragraphs[0].runs[0].font.bold


def test_missing_values_and_odd_text_survive(small_png):
    odd = pd.DataFrame(
        {
            "Measure": ["Bell\x07 and NUL\x00 removed", "x" * 500],
            "Value": [float("nan"), None],
            "Count": [1234, 5],
        }
    )
    charts = [ChartSlide("Title\x1b with escape", "=cmd|' /C calc'!A0 " + "y" * 400,
                              image=small_png)]  # fmt: skip
    table = StorySlide("odd", "Odd table", table=odd)
    prs = reopen(deck.build_deck("Client\x0c", "d", [*charts, table], made_on=MADE_ON))
    slides = list(prs.slides)
    assert slides[1].shapes.title.text == "Title with escape"
    takeaway = next(t for t in texts(slides[1]) if t.startswith("=cmd"))
    assert len(takeaway) == deck.MAX_TAKEAWAY_CHARS and takeaway.endswith("…")
    grid = next(s for s in slides[2].shapes if s.has_table).table
    assert grid.cell(1, 0).text == "Bell and NUL removed"
    assert len(grid.cell(2, 0).text) == deck.MAX_CELL_CHARS
    assert [grid.cell(1, 1).text, grid.cell(2, 1).text] == ["–", "–"]
    assert [grid.cell(1, 2).text, grid.cell(2, 2).text] == ["1,234", "5"]


def test_deck_without_scorecard_has_only_chart_slides(small_png):
    charts = [ChartSlide(f"Chart {i}", f"Takeaway {i}", image=small_png) for i in range(3)]
    prs = reopen(deck.build_deck("A", "d", charts, made_on=MADE_ON))
    assert len(prs.slides) == 4
    assert not any(s.has_table for slide in prs.slides for s in slide.shapes)


def test_scorecard_pages_split_by_rows():
    assert [len(p) for p in deck.scorecard_pages(scorecard(20))] == [8, 8, 4]
    assert deck.scorecard_pages(scorecard(0)) == []


def test_scorecard_slides_leave_out_long_text_and_name_each_perspective_once():
    table = pd.DataFrame(
        {
            "Perspective": ["Financial"] * 3 + ["Retention"] * 7,
            "Measure": [f"M{i}" for i in range(10)],
            "Definition": ["A long definition that would not fit a projected table."] * 10,
            "Value (Q4 2024)": [f"{i}%" for i in range(10)],
            "Scenario": ["–"] * 10,
            "Source / how to enable": ["transactions"] * 10,
        }
    )
    pages = deck.scorecard_pages(deck.scorecard_for_slides(table))
    story = [StorySlide(f"sc{k}", "Scorecard", table=page) for k, page in enumerate(pages)]
    prs = reopen(deck.build_deck("", "d", story, made_on=MADE_ON))
    grids = [sh.table for slide in list(prs.slides)[1:] for sh in slide.shapes if sh.has_table]
    assert len(grids) == 2
    cells = [[[g.cell(i, j).text for j in range(3)] for i in range(len(g.rows))] for g in grids]
    assert cells[0][0] == ["Perspective", "Measure", "Value (Q4 2024)"]  # no scenario set
    assert [row[0] for row in cells[0][1:]] == ["Financial", "", "", "Retention", "", "", "", ""]
    # the second slide names its perspective again on its first row
    assert [row[0] for row in cells[1][1:]] == ["Retention", ""]
    assert len(grids[0].columns) == 3


def test_scenario_column_kept_when_a_treatment_is_set():
    table = pd.DataFrame({"Measure": ["A", "B"], "Scenario": ["–", "€1,200"]})
    assert list(deck.scorecard_for_slides(table).columns) == ["Measure", "Scenario"]


def test_summary_divider_and_assumed_line(small_png):
    story = [
        StorySlide("summary", "Executive summary", points=(("147%", "of profit from the top 20%"),
                   ("29%", "of customers are unprofitable")), assumed="Assumed: 30% margin."),
        StorySlide("appendix", "Appendix", appendix=True),
        StorySlide("c", "A chart", "Its message", image=small_png, assumed="Assumed: EUR."),
    ]  # fmt: skip
    slides = list(reopen(deck.build_deck("", "d", story, made_on=MADE_ON)).slides)
    summary = texts(slides[1])
    for text in ("147%", "of profit from the top 20%", "29%", "Assumed: 30% margin."):
        assert text in summary
    assert texts(slides[2]) == ["Appendix"]  # a divider: the title alone
    assert "Assumed: EUR." in texts(slides[3])
    picture = next(s for s in slides[3].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
    line = next(
        s for s in slides[3].shapes if s.has_text_frame and s.text_frame.text == "Assumed: EUR."
    )
    assert picture.top + picture.height <= line.top  # the picture stops above the line
    assert line.text_frame.paragraphs[0].runs[0].font.size >= Pt(14)


@pytest.mark.parametrize(
    ("language", "title", "subtitle"),
    [
        ("en", "Customer value review: Acme GmbH", "Data: sales.xlsx\n23 November 2026"),
        ("de", "Kundenwert-Analyse: Acme GmbH", "Daten: sales.xlsx\n23.11.2026"),
        ("zh", "客户价值评估：Acme GmbH", "数据：sales.xlsx\n2026年11月23日"),
    ],
)
def test_title_slide_in_the_current_language(language, title, subtitle):
    from cvm_core import i18n

    i18n.use(language)
    try:
        prs = reopen(deck.build_deck("Acme GmbH", "sales.xlsx", [], made_on=MADE_ON))
    finally:
        i18n.use("en")
    first = prs.slides[0]
    assert first.shapes.title.text == title
    assert first.placeholders[1].text_frame.text.replace("\x0b", "\n") == subtitle
