"""The deck and the workbook carry the prospects and acquisition views, with the figures the
CLV page and the prospects / acquisition commands show."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from cvm_core.analyses.clv import acquisition_value
from cvm_core.intake import demo_workbook
from cvm_core.intake.dataset import load_file
from cvm_core.outputs import growth, report, storyline, workbook


@pytest.fixture(scope="module")
def demo_report() -> report.Report:
    path = demo_workbook.DEMO_WORKBOOK_PATH
    return report.build_report(load_file(path.read_bytes(), path.name))


def test_the_deck_appendix_has_the_traits_and_the_sources(demo_report):
    story = storyline.build_story(demo_report)
    by_key = {s.key: s for s in story}
    traits, sources = by_key["traits"], by_key["acquisition_sources"]
    assert traits.appendix and sources.appendix
    assert traits.title == growth.TRAITS_TITLE and traits.chart is not None
    assert "as likely to be Platinum" in traits.takeaway
    fit, values = demo_report.clv_result.fit, demo_report.clv_result.values
    value = acquisition_value.value_by_source(
        fit, values, demo_report.dataset.customers, fit.settings.observation_end
    )
    assert sources.takeaway == acquisition_value.source_takeaway(value, "EUR")
    assert sources.table["Source"].tolist() == value.table["channel"].tolist()
    assert len({s.key for s in story}) == len(story)


def test_the_workbook_gets_the_growth_sheets(demo_report):
    sheets = growth.growth_sheets(demo_report)
    names = [s.name for s in sheets]
    assert names == [
        "Traits of valuable", "Attribute lifts", "New customers by source", "CLV ranges by tier",
    ]  # fmt: skip
    data = workbook.build_workbook(
        "demo", demo_report.summary, clv=demo_report.clv, currency="EUR", extra=sheets
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert set(names) <= set(book.sheetnames)
    ranges = pd.read_excel(io.BytesIO(data), sheet_name="CLV ranges by tier")
    tiers = demo_report.clv_result.values.tiers
    assert ranges["clv"].iloc[:-1].round(2).tolist() == tiers["clv"].round(2).tolist()
