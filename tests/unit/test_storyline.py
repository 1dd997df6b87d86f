"""The deck's storyline (cvm_core.outputs.storyline) on the demo data: order, one story, text size."""

from __future__ import annotations

import io
import json

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from cvm_core import formatting
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from cvm_core.outputs import deck, export, report, storyline
from cvm_core.slides import ChartSlide

MIN_SLIDE_PT = 14


@pytest.fixture(scope="module")
def demo_report() -> report.Report:
    path = demo_workbook.DEMO_WORKBOOK_PATH
    return report.build_report(load_file(path.read_bytes(), path.name))


@pytest.fixture(scope="module")
def story(demo_report) -> list:
    return storyline.build_story(demo_report)


def test_story_order_questions_then_appendix(story):
    titles = [s.title for s in story]
    assert titles[0] == storyline.SUMMARY_TITLE
    cut = titles.index(storyline.APPENDIX_TITLE)
    assert 9 <= cut <= 13  # with the title slide: 10-14 slides before the appendix
    assert not any(s.appendix for s in story[:cut]) and all(s.appendix for s in story[cut:])
    questions = ["Who creates value", "Who destroys value", "What the future holds",
                 "Who is slipping away", "How we score", "What to do"]  # fmt: skip
    firsts = [next(i for i, t in enumerate(titles) if t.startswith(q)) for q in questions]
    assert firsts == sorted(firsts)  # asked in this order
    assert len({s.key for s in story}) == len(story)  # keys are unique (the slide picker's)


def test_summary_numbers_are_the_pages_numbers(demo_report, story):
    whale = demo_report.whale.curve.summary
    active = demo_report.retention.active
    values = demo_report.clv_result.values
    numbers = [number for number, _ in story[0].points]
    assert numbers[0] == formatting.pct(whale.top_profit_pct, 0)  # the whale curve's headline
    assert numbers[1] == formatting.pct(whale.unprofitable_share, 0)
    assert numbers[2] == formatting.money_short(values.total_clv, "EUR")  # the CLV page's total
    assert numbers[3] == active.share_text()  # one "active" on every page: 28.4%
    assert numbers[3] == "28.4%"
    assert numbers[4].startswith("+€")
    assert len(story[0].points) == 5
    # each sentence states its comparison
    sentences = [sentence for _, sentence in story[0].points]
    assert "of what the others earn" in sentences[1]
    assert "of it" in sentences[2] and "months" in sentences[2]


def test_best_fix_is_the_largest_profit_change(demo_report):
    fixes = storyline.fixes_table(demo_report)
    assert len(fixes) >= 5
    assert fixes["profit_change"].is_monotonic_decreasing
    # a fix that parts with a quarter of the loss-makers cannot lose money: they lose money
    parting = fixes.set_index("fix").loc["Part with the worst quarter", "profit_change"]
    assert parting > 0


def test_assumptions_are_on_the_summary_and_dependent_slides(story):
    summary = story[0]
    assert summary.assumed.startswith("Assumed: the built-in cost-to-serve rates")
    assert "amounts in EUR" in summary.assumed  # the demo file names no currency
    whale = next(s for s in story if s.key == "whale")
    assert whale.assumed == summary.assumed
    churn = next(s for s in story if s.key == "churn")
    assert churn.assumed == ""  # churn counts do not depend on margin or rates


def test_checked_refuses_missing_numbers():
    assert storyline.checked("€920k over 36 months") == "€920k over 36 months"
    for bad in ("lose – together", "a share of nan", "None of it", "inf% growth"):
        with pytest.raises(storyline.StoryError):
            storyline.checked(bad)


def test_viewed_charts_go_to_the_appendix_once(demo_report, story):
    viewed = [ChartSlide("Silhouette by k", "k = 4 fits best", chart=story[2].chart),
              ChartSlide("Silhouette by k", "k = 4 fits best", chart=story[2].chart),
              ChartSlide("Whale curve", "already in the story", chart=story[2].chart)]  # fmt: skip
    titles = [s.title for s in storyline.build_story(demo_report, viewed)]
    assert titles.count("Silhouette by k") == 1
    assert titles.index("Silhouette by k") > titles.index(storyline.APPENDIX_TITLE)
    assert "Whale curve" not in titles


def _smallest_font_px(spec: dict) -> float:
    """The smallest text size a chart's exported spec sets (config and explicit mark sizes)."""
    sizes = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("fontSize", "labelFontSize", "subtitleFontSize") and isinstance(
                    value, int | float
                ):
                    sizes.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return min(sizes)


def test_chart_text_is_at_least_14_pt_at_slide_size(story):
    pictures = [s for s in story if s.chart is not None and not s.appendix]
    data = deck.build_deck("", "demo", pictures)
    slides = list(Presentation(io.BytesIO(data)).slides)[1:]
    assert len(slides) == len(pictures) >= 6
    for item, slide in zip(pictures, slides, strict=True):
        picture = next(s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
        width_px = deck.png_size(picture.image.blob)[0] / 2  # rendered at 2x
        points_per_px = picture.width / 12700 / width_px  # 12,700 EMU per point
        smallest = _smallest_font_px(json.loads(export.slide_spec(item.chart, titled=False)))
        assert smallest * points_per_px >= MIN_SLIDE_PT, (item.title, smallest, points_per_px)


def test_a_churn_rule_set_on_the_retention_page_reaches_the_deck(demo_report):
    # The app's deck reads the session's settings as a workspace: a 60-day window chosen on the
    # Retention page is the deck's rule too, and is no longer listed as assumed.
    dataset = demo_report.dataset
    chosen = report.ReportSettings.from_workspace(
        {"cvm.retention.method": "inactivity", "cvm.retention.window": 60}
    )
    result = report.build_report(dataset, chosen)
    assert result.retention.active.rule_words() == "active = bought in the last 60 days"
    assert all(a.topic != "churn rule" for a in result.assumptions)
    churn = next(s for s in storyline.build_story(result) if s.key == "churn")
    assert "bought in the last 60 days" in churn.takeaway
    # the page's default window stored as is counts as the default, still assumed
    default = report.ReportSettings.from_workspace({"cvm.retention.window": 167})
    assert report._rule_chosen(default.retention.rule, dataset.transactions,
                               demo_report.retention.observation_end) is False  # fmt: skip


def test_the_scorecard_hierarchy_is_a_native_table_before_the_scorecard(demo_report, story):
    keys = [s.key for s in story]
    assert (
        keys.index("scorecard_chain_1") < keys.index("scorecard_chain_2") < keys.index("scorecard")
    )
    first, second = (
        next(s for s in story if s.key == k) for k in ("scorecard_chain_1", "scorecard_chain_2")
    )
    assert list(first.table.columns) == list(storyline.CHAIN_COLUMNS)
    assert first.table["Level"].tolist()[:2] == ["Goal", ""]  # each level named once
    assert second.table["Measure"].tolist()[0] == "Pipeline coverage (× target)"
    # The same numbers as the pipeline: coverage and the team's forecast accuracy.
    pipeline = demo_report.pipeline
    assert second.table["Value"].tolist()[:2] == [
        f"{pipeline.coverage.ratio:.2f}",
        formatting.pct(pipeline.team["accuracy"]),
    ]
    assert first.takeaway.startswith("3 goals, the process measures under them and 4 leading")
    prs = Presentation(io.BytesIO(deck.build_deck("Client", "demo", [first, second])))
    grids = [sh.table for slide in list(prs.slides)[1:] for sh in slide.shapes if sh.has_table]
    assert len(grids) == 2 and grids[0].cell(1, 1).text == "Profit per customer"
