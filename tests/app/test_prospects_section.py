"""AppTest of the Segments page's "Traits of valuable customers": the sentences, the held-out
check and the lift chart on the demo data, and a lead list uploaded, mapped and scored."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cvm_core import formatting
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.prospects import charts
from cvm_core.analyses.prospects import run as prospects
from tests.app.conftest import run_page
from ui import prospects as view

PAGE = "pages/segments.py"


@pytest.fixture(scope="module")
def page(demo_dataset):
    return run_page(PAGE, demo_dataset, **{"segments.tab": "Traits of valuable customers"})


def _tab(at):
    return next(t for t in at.tabs if t.label == "Traits of valuable customers")


def test_traits_read_as_sentences_with_the_held_out_check(page, demo_dataset):
    at = page
    assert not at.exception and not at.error
    tab = _tab(at)
    result = prospects.run(AnalysisInputs.of(demo_dataset))
    metrics = {m.label: m.value for m in tab.metric}
    assert metrics["Top-decile lift (held out)"] == f"{result.traits.top_decile_lift:.1f}x"
    assert metrics["AUC (held out)"] == f"{result.traits.auc:.2f}"
    shown = " ".join(m.value for m in tab.markdown)
    for sentence in result.traits.sentences():
        assert sentence.split(" are ")[1] in shown.replace("\\", "")
    takeaway = formatting.escape_markdown(charts.traits_takeaway(result.traits))
    assert takeaway in [c.value for c in tab.caption]
    assert tab.file_uploader  # the lead list


def test_a_lead_list_is_scored_and_downloadable(page, demo_dataset, downloads):
    at = page
    leads = pd.DataFrame(
        {
            "Company": ["=cmd|' /C calc'!A0", "Hotel Adler", "Mine GmbH"],
            "Branche": ["Private", "Hospitality", "Mining"],
            "Source": ["Paid search", "Referral", "Referral"],
        }
    )
    _tab(at).file_uploader[0].set_value(
        ("leads.csv", leads.to_csv(index=False).encode(), "text/csv")
    )
    at.run()
    assert not at.exception and not at.error
    tab = _tab(at)
    # German header guessed; "Source" is no known synonym, so the user picks it.
    industry = tab.selectbox(key=view.key("map.industry.leads.csv", demo_dataset))
    assert industry.value == "Branche"
    tab.selectbox(key=view.key("map.acquisition_channel.leads.csv", demo_dataset)).set_value(
        "Source"
    )
    at.run()
    tab = _tab(at)
    assert not at.error
    assert any("2 leads scored, 1 flagged" in s.value for s in tab.success)
    scored = tab.dataframe[-1].value
    assert scored["Company"].tolist()[-1] == "Mine GmbH"
    assert scored["note"].iloc[-1] == "Industry 'Mining' not seen among customers"
    assert scored["Company"].iloc[0] == "Hotel Adler"  # hospitality from referral is worth more
    assert "Scored leads (Excel)" in [b.label for b in tab.download_button]
    excel = pd.read_excel(io.BytesIO(downloads["scored_leads.xlsx"]()))
    assert excel["Company"].iloc[1].startswith("'=")  # neutralised, not a formula
