"""Chart text measured by a browser: the whale chart's SVG (as downloaded and put on slides) loaded
into chromium, every text line's box taken from getBoundingClientRect, no two may overlap; and the
core's width estimate must not be narrower than what chromium draws."""

from __future__ import annotations

import pytest
import vl_convert as vlc

from cvm_core.chart_labels import text_width
from cvm_core.outputs import export
from tests.browser.helpers import open_with_demo, screenshot
from tests.unit import svg_text

MEASURE = """([ascent, descent, root]) => {
  // Widths as chromium lays the glyphs out; heights from the font size around the baseline
  // (the font's own line box is taller than its letters and than Vega's line spacing).
  const out = [];
  for (const t of document.querySelector(root).querySelectorAll('text')) {
    const spans = t.querySelectorAll('tspan');
    const parts = spans.length ? Array.from(spans) : [t];
    const style = getComputedStyle(t);
    if (style.opacity === '0' || style.display === 'none') continue;  // hidden, not drawn
    const size = parseFloat(style.fontSize);
    const ctm = t.getScreenCTM();
    for (const p of parts) {
      const n = p.getNumberOfChars();
      if (!p.textContent.trim() || n === 0) continue;
      const a = p.getStartPositionOfChar(0), b = p.getEndPositionOfChar(n - 1);
      const corners = [[a.x, a.y - ascent * size], [b.x, a.y - ascent * size],
                       [a.x, a.y + descent * size], [b.x, a.y + descent * size]]
        .map(([x, y]) => new DOMPoint(x, y).matrixTransform(ctm));
      const xs = corners.map((c) => c.x), ys = corners.map((c) => c.y);
      out.push({text: p.textContent, left: Math.min(...xs), top: Math.min(...ys),
                right: Math.max(...xs), bottom: Math.max(...ys), width: b.x - a.x,
                size: size, bold: parseInt(style.fontWeight) >= 600});
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def svg_page(browser):
    context = browser.new_context(viewport={"width": 1800, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def _measure(page, svg: str) -> list[dict]:
    page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
    page.evaluate("document.fonts.ready")
    return page.evaluate(MEASURE, [svg_text.ASCENT, svg_text.DESCENT, "body"])


@pytest.mark.parametrize("case", list(svg_text.whale_cases()))
@pytest.mark.parametrize("width", [300, None], ids=["page-narrow", "slide"])
def test_whale_chart_text_boxes_measured_in_chromium_never_overlap(svg_page, case, width):
    chart = svg_text.whale_case_chart(svg_text.whale_cases()[case])
    svg = (
        export.chart_svg(chart)
        if width is None
        else vlc.vegalite_to_svg(
            chart.properties(width=width).configure(background="white").to_json()
        )
    )
    measured = _measure(svg_page, svg)
    boxes = [
        svg_text.TextBox(m["text"], m["left"], m["top"], m["right"], m["bottom"]) for m in measured
    ]
    assert len(boxes) > 20  # axis labels, titles and the key points' labels
    assert svg_text.overlapping(boxes) == []
    for m in measured:  # the placement rule's estimate errs wide of the drawn text
        assert m["width"] <= text_width(m["text"], m["size"], m["bold"]) + 0.5, m


@pytest.fixture(scope="module")
def cdnow_deck_charts():
    from cvm_core.intake import cdnow
    from cvm_core.intake.dataset import dataset_from_frame
    from cvm_core.outputs import report

    dataset = dataset_from_frame(cdnow.load_cdnow_transactions(), "CDNOW sample", currency="USD")
    return [c for c in report.build_report(dataset).charts if c.chart is not None]


def test_deck_charts_of_real_data_have_no_overlapping_text(svg_page, cdnow_deck_charts):
    # The slides the command-line deck makes from the CDNOW sample, as measured by chromium.
    assert len(cdnow_deck_charts) >= 4
    for slide in cdnow_deck_charts:
        measured = _measure(svg_page, export.chart_svg(slide.chart))
        boxes = [
            svg_text.TextBox(m["text"], m["left"], m["top"], m["right"], m["bottom"])
            for m in measured
        ]
        assert svg_text.overlapping(boxes) == [], slide.title


CLIENT_FILES = [
    "data/demo_retail.xlsx",
    "tests/files/german_export.xlsx",
    "tests/files/chinese_gbk.csv",
]


@pytest.mark.parametrize("path", CLIENT_FILES, ids=["demo", "german", "chinese"])
def test_story_slides_of_client_files_have_no_overlapping_text(svg_page, path):
    """Issue 14's files: every picture of the deck's story, drawn as the slide shows it (slide
    size, no chart title), measured in chromium."""
    from pathlib import Path

    from cvm_core.intake.dataset import load_file
    from cvm_core.outputs import report, storyline

    file = Path(__file__).resolve().parents[2] / path
    dataset = load_file(file.read_bytes(), file.name)
    story = storyline.build_story(report.build_report(dataset))
    pictures = [s for s in story if s.chart is not None]
    assert any(s.key == "whale" for s in pictures)
    for slide in pictures:
        svg = vlc.vegalite_to_svg(export.slide_spec(slide.chart, titled=False))
        measured = _measure(svg_page, svg)
        boxes = [
            svg_text.TextBox(m["text"], m["left"], m["top"], m["right"], m["bottom"])
            for m in measured
        ]
        assert svg_text.overlapping(boxes) == [], (path, slide.title)


def test_whale_chart_on_the_page_has_no_overlapping_text(page, app_server):
    # As Streamlit draws it (Vega's SVG renderer), on a wide window and on a narrow one, where
    # the chart switches to its narrow layout.
    open_with_demo(page, app_server, "Profitability Whale Curve")
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    seen = {}
    for width in (1400, 900):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(1000)  # Vega re-lays the chart out on resize
        measured = page.evaluate(
            MEASURE, [svg_text.ASCENT, svg_text.DESCENT, '[data-testid="stVegaLiteChart"]']
        )
        boxes = [
            svg_text.TextBox(m["text"], m["left"], m["top"], m["right"], m["bottom"])
            for m in measured
        ]
        overlaps = svg_text.overlapping(boxes)
        if overlaps:
            screenshot(page, f"whale_labels_{width}")
        assert overlaps == [], width
        seen[width] = {b.text for b in boxes}
    assert any(t.startswith("Peak ") and "customers" in t for t in seen[1400])  # the demo's peak


PAGES = ["pages/whale_curve.py", "pages/clv.py", "pages/segments.py", "pages/retention.py",
         "pages/scorecard.py"]  # fmt: skip


@pytest.fixture(scope="module")
def page_chart_specs():
    """Every chart the analysis pages show for the demo data, as Vega-Lite specs (AppTest)."""
    import json

    from cvm_core.intake import demo_workbook
    from cvm_core.intake.dataset import load_file
    from tests.app.test_retention_page import run_page

    path = demo_workbook.DEMO_WORKBOOK_PATH
    dataset = load_file(path.read_bytes(), path.name)
    specs = []
    for name in PAGES:
        at = run_page(name, dataset)
        assert not at.exception, name
        specs += [(name, json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")]
    return specs


def _at_width(spec: dict, width: int) -> str:
    """The spec as JSON at a plot width (panels of concatenated charts keep their own)."""
    import json

    sized = {**spec, "config": {**spec.get("config", {}), "background": "white"}}
    if not any(key in spec for key in ("hconcat", "vconcat", "concat", "facet")):
        sized["width"] = width
    return json.dumps(sized)


def test_every_chart_of_every_page_has_no_overlapping_text(svg_page, page_chart_specs):
    # The demo data on the five analysis pages (about 35 charts), on a narrow window's plot and
    # at slide width, measured by chromium.
    export._register_fonts()
    assert len(page_chart_specs) >= 25
    problems = []
    for name, spec in page_chart_specs:
        for width in (340, export.SLIDE_CHART_WIDTH):
            measured = _measure(svg_page, vlc.vegalite_to_svg(_at_width(spec, width)))
            boxes = [
                svg_text.TextBox(m["text"], m["left"], m["top"], m["right"], m["bottom"])
                for m in measured
            ]
            if overlaps := svg_text.overlapping(boxes):
                problems.append((name, str(spec.get("title"))[:60], width, overlaps[:3]))
    assert problems == []
