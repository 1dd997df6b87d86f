"""Chart labels never overlap: the placement rule on hand-made anchors, then the real whale chart
rendered to SVG by vl-convert with every text box checked against every other."""

from __future__ import annotations

import numpy as np
import pytest
import vl_convert as vlc

from cvm_core import chart_labels
from cvm_core.analyses.profitability import curve as whale
from cvm_core.chart_labels import POSITIONS, Label, PlotArea, label_box, place_labels, text_width
from cvm_core.outputs import export
from tests.unit import svg_text

AREA = PlotArea((0.0, 1.0), (0.0, 1.0), widths=(300.0, 1600.0), heights=(420.0, 460.0))
SIZES = [(w, h) for w in (300.0, 520.0, 1000.0, 1600.0) for h in (420.0, 440.0, 460.0)]


def assert_apart_and_inside(layout: chart_labels.Layout, area: PlotArea = AREA) -> None:
    """At sizes between the extremes too, not only at the two the rule checks."""
    lo, hi = min(area.widths), max(area.widths)
    for width, height in [(w, h) for w, h in SIZES if lo <= w <= hi]:
        boxes = [
            label_box(p.label, p.position, area, width, height, 13, True) for p in layout.placed
        ]
        for i, a in enumerate(boxes):
            assert a[0] >= 0 and a[1] >= 0 and a[2] <= width and a[3] <= height, (width, a)
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (width, a, b)


def test_text_width_errs_wide():
    # 13 px bold digits and letters are at most ~0.7 em wide in the widest fallback font.
    assert text_width("100% reached at 93% of customers", 13, bold=True) > 0.62 * 13 * 32
    assert text_width("abc", 13) < text_width("abc", 13, bold=True)
    assert text_width("", 13) == 0.0


def test_two_labels_on_one_point_both_placed_apart():
    labels = [Label("a", "Peak 169%", 0.5, 0.5), Label("b", "Top 20% earn 147%", 0.5, 0.5)]
    layout = place_labels(labels, AREA)
    assert [p.label.key for p in layout.placed] == ["a", "b"] and layout.dropped == []
    assert layout.placed[0].position.name == "right-above"  # the first takes the first choice
    assert_apart_and_inside(layout)


def test_the_reported_collision_is_resolved():
    # Break-even at 93% and the tail at 100%, both at 100% of profit: side by side, same height.
    labels = [Label("end", "2.7% unprofitable: -€53", 1.0, 0.91, prefer=("left-below",)),
              Label("be", "100% reached at 93% of customers", 0.93, 0.91, prefer=("right-below",))]  # fmt: skip
    layout = place_labels(labels, AREA)
    assert layout.dropped == []
    assert_apart_and_inside(layout)


def test_label_at_the_right_edge_turns_left():
    layout = place_labels([Label("end", "Total -€1,234", 1.0, 0.5)], AREA)
    assert layout.placed[0].position.align == "right"
    assert_apart_and_inside(layout)


def test_boxes_apart_at_one_width_but_not_another_are_moved():
    # A's text runs right from 10%, B's runs left from 40%: apart on a 1600 px plot (480 px between
    # the points), crossed on a 520 px one (156 px). B must go elsewhere.
    a = Label("a", "A long label of thirty letters", 0.1, 0.5, prefer=("right-above",))
    b = Label("b", "Another label, also long", 0.4, 0.5, prefer=("left-above",))
    wide = PlotArea((0.0, 1.0), (0.0, 1.0), widths=(520.0, 1600.0), heights=(420.0, 460.0))
    assert place_labels([b], wide).placed[0].position.name == "left-above"  # alone it fits
    layout = place_labels([a, b], wide)
    assert layout.placed[1].position.name != "left-above"
    assert_apart_and_inside(layout, wide)


def test_crowded_point_drops_the_least_important_and_returns_them_in_order():
    labels = [Label(str(i), f"Label number {i} of many", 0.5, 0.5) for i in range(20)]
    layout = place_labels(labels, AREA)
    assert 4 <= len(layout.placed) < 20
    assert [p.label.key for p in layout.placed] == [str(i) for i in range(len(layout.placed))]
    assert [d.key for d in layout.dropped] == [str(i) for i in range(len(layout.placed), 20)]
    assert_apart_and_inside(layout)


def test_labels_avoid_a_drawn_line_when_they_can():
    # A line rising through the point: above-right of it the text would lie on the line.
    xs = np.linspace(0, 1, 50)
    label = Label("p", "Top 20% earn 35%", 0.5, 0.5, prefer=("right-above",))
    layout = place_labels([label], AREA, lines=[(xs, xs)])
    assert layout.placed[0].position.name != "right-above"
    assert POSITIONS[layout.placed[0].position.name].dy > 0  # below a rising line


def test_no_room_at_all_drops_the_label():
    tiny = PlotArea((0.0, 1.0), (0.0, 1.0), widths=(60.0,), heights=(20.0,))
    layout = place_labels([Label("x", "Far too long for this plot", 0.5, 0.5)], tiny)
    assert layout.placed == [] and [d.key for d in layout.dropped] == ["x"]


def test_detector_sees_overlapping_text():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><g transform="translate(10,20)">'
        '<text text-anchor="start" transform="translate(900,40)" font-size="13px">unprofitable</text>'
        '<text text-anchor="end" transform="translate(960,40)" font-size="13px">reached</text>'
        "</g></svg>"
    )
    boxes = svg_text.text_boxes(svg)
    assert [b.left for b in boxes][0] == pytest.approx(910)
    assert svg_text.overlapping(boxes) == [("unprofitable", "reached")]


def _svg_at(chart, width: int | None) -> str:
    if width is None:  # the slide export, as the PNG/SVG downloads and the deck render it
        return export.chart_svg(chart)
    return vlc.vegalite_to_svg(
        chart.properties(width=width).configure(background="white").to_json()
    )


@pytest.mark.parametrize("case", list(svg_text.whale_cases()))
@pytest.mark.parametrize("width", [300, None, 1600], ids=["page-narrow", "slide", "page-wide"])
def test_whale_chart_text_never_overlaps(case, width):
    profits = svg_text.whale_cases()[case]
    svg = _svg_at(svg_text.whale_case_chart(profits), width)
    boxes = svg_text.text_boxes(svg)
    assert svg_text.overlapping(boxes, annotations_only=True) == []
    if width == 300:
        return  # a narrow window may leave labels out; their points keep them as tooltips
    # Every key point's label is said: in the plot, or in the subtitle when it had no room.
    curve = whale.whale_curve(profits)
    shown = " ".join(b.text for b in boxes)
    for label in whale.key_point_marks(curve, "EUR")["label"]:
        assert label in shown


def _profile(recency: list[float], revenue: list[float], customers: list[int]):
    import pandas as pd

    n = sum(customers)
    return pd.DataFrame(
        {
            "segment": [f"Cluster {i + 1}" for i in range(len(customers))],
            "customers": customers,
            "customer_share": [c / n for c in customers],
            "revenue_share": [c / n for c in customers],
            "revenue_per_customer": revenue,
            "avg_frequency": [2.0] * len(customers),
            "avg_recency_days": recency,
        }
    )


@pytest.mark.parametrize(
    "profile",
    [
        _profile([30, 32, 35, 300], [500, 510, 490, 50], [1000, 900, 800, 50]),  # three on one spot
        _profile(
            [10, 100, 200, 300, 400, 500], [900, 700, 500, 300, 100, 20], [5, 50, 500, 800, 60, 9]
        ),
        _profile([5, 6, 7, 8, 9, 10, 11, 12], [100] * 8, [100] * 8),  # all crowded
    ],
    ids=["three-close", "spread", "eight-on-a-spot"],
)
@pytest.mark.parametrize("width", [300, None, 1600], ids=["page-narrow", "slide", "page-wide"])
def test_cluster_map_text_never_overlaps(profile, width):
    from cvm_core.analyses.segments.charts import cluster_map_chart

    boxes = svg_text.text_boxes(_svg_at(cluster_map_chart(profile, "EUR"), width))
    assert svg_text.overlapping(boxes, annotations_only=True) == []
    shown = " ".join(b.text for b in boxes)
    if width == 300:
        return  # a narrow window may leave labels out
    for share in profile["customer_share"]:
        assert f"{share:.0%} of customers" in shown


def _value_curves(today, future):
    import pandas as pd

    parts = []
    for name, profits in (("Profit to date", today), ("Expected future profit", future)):
        points = whale.chart_points(whale.whale_curve(profits))
        total = float(points["cum_profit"].iloc[-1])
        parts.append(
            pd.DataFrame(
                {
                    "curve": name,
                    "customer_share": points["customer_share"],
                    "cum_value": points["cum_profit"],
                    "cum_pct": points["cum_profit"] / total if total > 0 else np.nan,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(
    ("today", "future"), [("narrow", "wide"), ("tiny", "large"), ("total_loss", "one_whale")]
)
def test_clv_value_curves_text_never_overlaps(today, future):
    from cvm_core.analyses.clv.charts import value_curves_chart

    cases = svg_text.whale_cases()
    chart = value_curves_chart(_value_curves(cases[today], cases[future]), "EUR")
    for width in (300, None, 1600):
        assert (
            svg_text.overlapping(svg_text.text_boxes(_svg_at(chart, width)), annotations_only=True)
            == []
        )


def test_clv_whatif_tallest_bar_leaves_room_under_the_top_edge():
    import re

    import pandas as pd

    from cvm_core.analyses.clv.charts import scenario_chart

    # A round maximum: Vega's nice rounding alone would put it exactly on the top edge.
    by_tier = pd.DataFrame(
        {"tier": ["Gold", "Silver", "Total"], "treatment_cost": [10.0, 5.0, 15.0],
         "baseline_clv": [80_000.0, 20_000.0, 100_000.0], "scenario_clv": [100_000.0, 25_000.0, 125_000.0]}
    )  # fmt: skip
    svg = export.chart_svg(scenario_chart(by_tier, "EUR"))
    bars = re.findall(r'aria-roledescription="bar"[^>]*d="M[\d.-]+,([\d.-]+)', svg)
    assert len(bars) == 4
    # Plot height 460 at slide size: the tallest bar stops at least 5% below the top.
    assert min(float(y) for y in bars) >= 0.05 * export.SLIDE_CHART_HEIGHT


def test_wide_screens_keep_labels_that_only_a_narrow_window_has_no_room_for():
    # The demo's peak: a long label at 71%, with the curve's flat top around it.
    peak = Label("peak", "Peak 169% at 71% of customers", 0.71, 0.94, prefer=("left-above",))
    banded = chart_labels.place_banded([peak], (0.0, 1.0), (0.0, 1.0), 420)
    assert [p.label.key for p in banded.for_slides().placed] == ["peak"]
    assert banded.at(1600) is banded.for_slides()
    assert [d.key for d in banded.at(300).dropped] == ["peak"]
    assert [d.key for d in banded.dropped_somewhere()] == ["peak"]
    # Each band's text shows only while the plot's width is in that band.
    specs = [layer.to_dict()["mark"] for layer in chart_labels.text_layers(banded, "x:Q", "y:Q")]
    assert [m["opacity"]["expr"] for m in specs] == ["width >= 600.0 ? 1 : 0"]


@pytest.mark.parametrize("seed", range(6))
def test_whale_labels_never_overlap_on_random_distributions(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([3, 7, 50, 400, 3000]))
    gains = rng.lognormal(rng.uniform(0, 4), rng.uniform(0.2, 2), n)
    costs = rng.lognormal(rng.uniform(0, 4), rng.uniform(0.2, 2), n) * rng.uniform(0, 1.5)
    import pandas as pd

    chart = svg_text.whale_case_chart(pd.Series(gains - costs, index=[f"c{i}" for i in range(n)]))
    for width in (300, 599, 600, None, 1600):  # both sides of the band edge too
        boxes = svg_text.text_boxes(_svg_at(chart, width))
        assert svg_text.overlapping(boxes, annotations_only=True) == [], width
