"""AppTest of the sidebar's Export and Workspace sections.

The download buttons build their files only when clicked (deferred callables registered with
Streamlit's media file manager); the tests record those callables as the app registers them and
run them, so the files checked are exactly what a click would download.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import openpyxl
import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from cvm_core.analyses.scorecard import build as scorecard_build
from cvm_core.analyses.scorecard import inputs, presenting, specs
from cvm_core.intake import demo_workbook
from cvm_core.intake.summary import customer_summary
from cvm_core.outputs import deck, growth, workspace
from cvm_core.slides import ChartSlide
from tests.app.conftest import ROOT, as_read
from ui import deck_dialog, exports, session, state
from ui import scorecard as scorecard_ui

WHALE_PAGE = "pages/whale_curve.py"
SCORECARD_PAGES = math.ceil(len(specs.MEASURES) / deck.TABLE_ROWS_PER_SLIDE)


def app(dataset=None, page: str | None = None, **session) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    for key, value in session.items():
        at.session_state[key] = value
    if page:
        at.switch_page(page)
    return at.run()


def again(at, *keys: str) -> AppTest:
    """A fresh run of the app with ``keys`` of ``at``'s session state.

    AppTest draws app.py's sidebar on the first run only (later runs, and switch_page, run the
    page alone), so what the sidebar shows after an interaction is checked on a fresh run.
    """
    return app(**{k: at.session_state[k] for k in keys if k in at.session_state})


def sidebar_buttons(at) -> list[str]:
    return [b.label for b in at.sidebar.get("download_button")]


def built(downloads: dict, prefix: str) -> bytes:
    name = next(n for n in downloads if n.startswith(prefix))
    return downloads[name]()


def sidebar_deck_button(at) -> list[str]:
    return [b.label for b in at.sidebar.button if b.label.startswith("Make deck")]


def test_sidebar_offers_deck_workbook_and_workspace(demo_dataset, downloads):
    at = app(demo_dataset, **{exports.CLIENT: "Acme GmbH"})
    assert not at.exception
    assert sidebar_buttons(at) == ["Download workbook", "Save workspace"]
    assert sidebar_deck_button(at) == ["Make deck…"]  # opens the slide picker
    assert at.sidebar.text_input(key=exports.CLIENT).value == "Acme GmbH"

    # Right after loading: the storyline from the core with the session's (default) settings.
    settings = exports.collect_settings(at.session_state.to_dict(), demo_dataset)
    story = deck_dialog._build_story(demo_dataset, settings, [], None)
    prs = Presentation(io.BytesIO(deck.build_deck("Acme GmbH", demo_dataset.name, story)))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[:3] == [
        "Customer value review: Acme GmbH",
        "Executive summary",
        "Where we stand: revenue and active customers by month",
    ]
    tables = [sh.table for s in list(prs.slides)[titles.index("Appendix") :] for sh in s.shapes
              if sh.has_table and s.shapes.title.text != growth.SOURCES_TITLE]  # fmt: skip
    measures = [t.cell(i, 1).text for t in tables for i in range(1, len(t.rows))]
    assert len(measures) == len(specs.MEASURES)
    for shown, spec in zip(measures, specs.MEASURES, strict=True):
        assert shown.startswith(spec.name)  # e.g. "Contribution of the top segment (Champions)"


def test_deck_and_workbook_follow_the_pages_opened(demo_dataset, downloads):
    # AppTest runs a page alone (no sidebar) after switch_page: visit the whale page, then carry
    # its session over to the app, as a user coming back to the sidebar would have it.
    visit = app(demo_dataset, page=WHALE_PAGE)
    assert not visit.exception
    carried = {k: visit.session_state[k] for k in (state.DECK_CHARTS, session.WHALE_PNL.key)}
    whale_charts = len(carried[state.DECK_CHARTS])
    assert whale_charts >= 6
    at = app(demo_dataset, **carried)
    assert not at.exception
    charts = at.session_state[state.DECK_CHARTS]  # plus the Upload page's monthly chart
    assert len(charts) == whale_charts + 1
    # the charts looked at go to the appendix, except those the story already tells
    viewed = [ChartSlide(c.title, c.takeaway, c.chart) for c in charts.values()]
    settings = exports.collect_settings(at.session_state.to_dict(), demo_dataset)
    story = deck_dialog._build_story(demo_dataset, settings, viewed, None)
    titles = [s.title for s in story]
    appendix = titles[titles.index("Appendix") :]
    assert "Cost-to-serve by activity" in appendix
    assert "Whale curve" not in titles  # the story's own whale slide tells it
    takeaways = {c.title: c.takeaway for c in charts.values()}
    for slide in story[titles.index("Appendix") + 1 :]:
        if slide.title in takeaways:
            assert slide.takeaway == takeaways[slide.title]

    book = openpyxl.load_workbook(io.BytesIO(built(downloads, "demo_retail_results_")))
    assert book.sheetnames == ["About", "Customers", "Scorecard"]
    customers = book["Customers"]
    headers = [c.value for c in customers[1]]
    assert "Operating profit (EUR)" in headers and "CLV (EUR)" not in headers
    j = headers.index("Operating profit (EUR)") + 1
    fingerprint, pnl = at.session_state[session.WHALE_PNL.key]
    first_id = customers.cell(2, 1).value
    assert customers.cell(2, j).value == pytest.approx(pnl.loc[first_id, "profit"])
    notes = [r[1] for r in book["About"].iter_rows(values_only=True)]
    assert (
        "Not included - CLV, value tiers and P(alive): open the Customer Lifetime Value page, then "
        "download again" in notes
    )


def test_the_app_and_the_command_line_decks_tell_the_same_story(demo_dataset, tmp_path):
    """The app's storyline is the command line's: same slides, same sentences; and every page
    chart the story carries says there what it says on its page (issue 12, issue 14)."""
    deck_path = tmp_path / "cli.pptx"
    proc = subprocess.run(
        [sys.executable, "-m", "cvm_core", "report", str(demo_workbook.DEMO_WORKBOOK_PATH),
         "--deck", str(deck_path), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cli = {}
    for slide in Presentation(str(deck_path)).slides:
        title = slide.shapes.title.text
        cli[title] = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)

    at = app(demo_dataset)
    settings = exports.collect_settings(at.session_state.to_dict(), demo_dataset)
    story = deck_dialog._build_story(demo_dataset, settings, [], None)
    assert [s.title for s in story] == list(cli)[1:]
    for slide in story:
        assert slide.takeaway in cli[slide.title], slide.title

    shown = dict(at.session_state[state.DECK_CHARTS])  # the Upload page
    for page, tab in ((WHALE_PAGE, {}), ("pages/clv.py", {"clv.tab": "Value tiers"}),
                      ("pages/retention.py", {})):  # fmt: skip
        visit = app(demo_dataset, page=page, **tab)
        assert not visit.exception
        shown.update(visit.session_state[state.DECK_CHARTS])
    in_app = {c.title: c.takeaway for c in shown.values()}
    story_text = {s.key: s.takeaway for s in story}
    assert in_app["Revenue and active customers by month"] == story_text["monthly"]
    assert in_app["Whale curve"] == story_text["whale"]
    assert in_app["CLV customer pyramid"] == story_text["pyramid"]
    assert in_app["Churn rate per month"] in story_text["churn"]


def test_workspace_saved_and_opened_in_a_new_session(demo_dataset, downloads):
    fp = demo_dataset.fingerprint
    targets = {"churn_rate": 0.1}
    at = app(
        demo_dataset,
        **{state.UNIT: "month", f"{state.CURRENCY}.{fp}": "USD", f"whale.margin.{fp}": 40,
           scorecard_ui.TARGETS: targets},
    )  # fmt: skip
    assert not at.exception
    saved = built(downloads, "demo_retail_workspace.json")
    document = json.loads(saved)
    analyses = document["analyses"]  # each analysis's Settings.to_dict(), fields set only
    assert analyses["view"]["view"] == {  # the language too: a German workshop reopens in German
        "version": 1, "language": "en", "unit": "month", "currency": "USD",
        "observation_end": "2024-12-31",
    }  # fmt: skip
    assert analyses["profitability"]["cost_model"] == {"version": 1, "gross_margin": 0.4}
    assert analyses["scorecard"]["settings"] == {"version": 1, "targets": [["churn_rate", 0.1]]}
    assert document["dataset"]["mapping"]["roles"] == demo_dataset.mapping.roles

    fresh = app(demo_dataset)
    assert fresh.session_state[f"{state.CURRENCY}.{fp}"] == demo_dataset.currency
    fresh.sidebar.file_uploader(key=exports.WS_UPLOAD).set_value(
        ("workshop.json", saved, "application/json")
    )
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state[state.UNIT] == "month"
    assert fresh.session_state[f"{state.CURRENCY}.{fp}"] == "USD"
    assert fresh.session_state[f"whale.margin.{fp}"] == 40
    assert fresh.session_state[scorecard_ui.TARGETS] == targets
    kind, text = fresh.session_state[exports.WS_MESSAGE]
    assert kind == "success" and text.startswith("Workspace opened:")
    shown = again(fresh, state.DATASET, state.UNIT, f"{state.CURRENCY}.{fp}", exports.WS_MESSAGE)
    assert shown.sidebar.text_input(key=f"{state.CURRENCY}.{fp}").value == "USD"
    assert shown.sidebar.selectbox(key=state.UNIT).value == "month"
    assert [as_read(m.value) for m in shown.sidebar.success] == [text]


def test_damaged_workspace_gets_a_message_and_changes_nothing(demo_dataset):
    at = app(demo_dataset)
    at.sidebar.file_uploader(key=exports.WS_UPLOAD).set_value(
        ("workshop.json", b'{"format": "cvm-workspace", "version": 7}', "application/json")
    )
    at.run()
    assert not at.exception
    shown = again(at, state.DATASET, exports.WS_MESSAGE)
    assert [as_read(e.value) for e in shown.sidebar.error] == [
        "Could not open 'workshop.json': This workspace was saved by a newer version of the app "
        "(format 7; this app reads up to 2). Update the app, or save the workspace again from this one."
    ]
    assert at.session_state[state.DATASET] is demo_dataset


def test_workspace_with_data_loads_the_data_without_an_upload(demo_dataset):
    saved = workspace.save_workspace({"cvm.unit": "day"}, demo_dataset, include_data=True)
    at = app()
    assert state.DATASET not in at.session_state
    assert sidebar_buttons(at) == []  # nothing to export yet; the workspace can still be opened
    at.sidebar.file_uploader(key=exports.WS_UPLOAD).set_value(("w.zip", saved, "application/zip"))
    at.run()
    assert not at.exception
    loaded = at.session_state[state.DATASET]
    assert loaded.name == demo_dataset.name and len(loaded.transactions) == len(
        demo_dataset.transactions
    )
    assert at.session_state[state.UNIT] == "day"
    shown = again(at, state.DATASET, state.UNIT)
    assert sidebar_buttons(shown) == ["Download workbook", "Save workspace"]
    assert sidebar_deck_button(shown) == ["Make deck…"]


def test_settings_only_workspace_reads_the_sales_file_with_its_mapping(demo_dataset):
    fp = demo_dataset.fingerprint
    session = {f"{state.CURRENCY}.{fp}": "CHF", f"whale.threshold.{fp}": 25.0}
    saved = workspace.save_workspace(exports.collect_settings(session, demo_dataset), demo_dataset)
    at = app()
    at.sidebar.file_uploader(key=exports.WS_UPLOAD).set_value(("w.json", saved, "application/json"))
    at.run()
    kind, text = at.session_state[exports.WS_MESSAGE]
    assert kind == "warning" and "apply as soon as data is loaded" in text
    shown = again(at, exports.WS_OPENED, exports.WS_PENDING)
    uploader = shown.sidebar.file_uploader(key=exports.WS_DATA_UPLOAD)
    assert uploader.label == "Sales file for it ('demo_retail.xlsx')"
    uploader.set_value(
        (demo_workbook.DEMO_WORKBOOK_PATH.name, demo_workbook.DEMO_WORKBOOK_PATH.read_bytes(), "x")
    )
    shown.run()
    assert not shown.exception
    loaded = shown.session_state[state.DATASET]
    assert loaded.fingerprint == fp  # the same bytes read with the same mapping
    assert loaded.mapping.roles == demo_dataset.mapping.roles
    assert shown.session_state[f"{state.CURRENCY}.{fp}"] == "CHF"
    assert shown.session_state[f"whale.threshold.{fp}"] == 25.0
    assert exports.WS_OPENED not in shown.session_state
    assert shown.session_state[exports.WS_MESSAGE][0] == "success"


def test_collect_and_apply_settings_by_stable_name(demo_dataset):
    fp = demo_dataset.fingerprint
    table = workspace.decode_value(
        {"$table": {"columns": ["activity", "driver"], "rows": [["Orders", "orders"]]}}
    )
    session = {
        state.UNIT: "day",
        exports.CLIENT: "Acme",
        f"cvm.currency.{fp}": "USD",
        f"whale.valid.{fp}": table,  # the activity table as last edited
        f"whale.reset.{fp}": False,  # a button: not a setting
        f"whale.editor.{fp}.3": {"edited_rows": {}},  # editor deltas: not a setting
        f"whale.version.{fp}": 3,
        "cvm.currency.otherdataset": "GBP",  # another dataset's
        f"cvm.segments.k.{fp}": 4,
    }
    settings = exports.collect_settings(session, demo_dataset)
    assert set(settings) == {
        state.UNIT,
        exports.CLIENT,
        "cvm.currency",
        "whale.base",
        "cvm.segments.k",
    }
    assert settings["whale.base"] is table

    fresh = {f"whale.version.{fp}": 7}
    restored = exports.apply_settings(fresh, settings, demo_dataset)
    assert sorted(restored) == sorted(settings)
    assert fresh[state.UNIT] == "day" and fresh[f"cvm.currency.{fp}"] == "USD"
    assert fresh[f"whale.base.{fp}"] is table and fresh[f"whale.valid.{fp}"] is table
    assert fresh[f"whale.version.{fp}"] == 8  # the editor starts again from the restored table
    assert fresh[f"cvm.segments.k.{fp}"] == 4


def test_a_hand_edited_setting_is_refused_in_the_page_and_nothing_is_restored(demo_dataset):
    document = json.loads(workspace.save_workspace({"cvm.unit": "month"}, demo_dataset))
    document["analyses"]["view"]["view"]["unit"] = "fortnight"
    at = app(demo_dataset)
    at.sidebar.file_uploader(key=exports.WS_UPLOAD).set_value(
        ("workshop.json", json.dumps(document).encode(), "application/json")
    )
    at.run()
    assert not at.exception
    shown = again(at, state.DATASET, exports.WS_MESSAGE)
    [message] = [as_read(e.value) for e in shown.sidebar.error]
    assert message.startswith(
        "Could not open 'workshop.json': The workspace cannot be opened: view.view.unit: "
        "'fortnight' is not one of 'day', 'week', 'month'."
    )
    assert at.session_state[state.UNIT] == "week"  # the default: the file's "month" was not applied


def test_deck_uses_the_scorecard_the_scorecard_page_showed(demo_dataset):
    summary = customer_summary(demo_dataset.transactions, "week")
    shown = scorecard_build.build_scorecard(
        demo_dataset.transactions, summary, demo_dataset.customers,
        settings=inputs.ScorecardSettings(targets=(("churn_rate", 0.1),)),
    )  # fmt: skip
    story = deck_dialog._build_story(demo_dataset, {}, [], shown)
    prs = Presentation(io.BytesIO(deck.build_deck("", demo_dataset.name, story)))
    full = [s for s in prs.slides if s.shapes.title.text.startswith("Customer management")]
    tables = [sh.table for s in full for sh in s.shapes if sh.has_table]
    header = [tables[0].cell(0, j).text for j in range(len(tables[0].columns))]
    rows = {t.cell(i, 1).text: t for t in tables for i in range(1, len(t.rows))}
    expected = presenting.scorecard_table(shown).set_index("Measure")
    churn = "Lapse rate (period on period)"
    table = rows[churn]
    i = next(i for i in range(1, len(table.rows)) if table.cell(i, 1).text == churn)
    assert table.cell(i, header.index("Target")).text == expected.loc[churn, "Target"]
    assert table.cell(i, header.index("Status")).text == expected.loc[churn, "Status"]
    assert expected.loc[churn, "Status"] != "no target set"


def test_a_workspace_name_with_markdown_is_shown_as_text(demo_dataset):
    """A dataset name crafted as an image and a link must not render as either (issue 16)."""
    import dataclasses

    name = "![p](http://127.0.0.1:9/pixel.png) [Click here to re-login](http://127.0.0.1:9/x)"
    saved = workspace.save_workspace(
        {"cvm.unit": "day"}, dataclasses.replace(demo_dataset, name=name), include_data=True
    )
    at = app()
    at.sidebar.file_uploader(key=exports.WS_UPLOAD).set_value(("w.zip", saved, "application/zip"))
    at.run()
    assert not at.exception
    shown = again(at, state.DATASET, exports.WS_MESSAGE)
    texts = [
        e.value for e in [*shown.sidebar.success, *shown.sidebar.warning, *shown.sidebar.error]
    ]
    assert texts, "the workspace message is shown"
    assert all("![p](" not in t and "[Click here to re-login](" not in t for t in texts)
    assert any(r"!\[p\](http" in t for t in texts)  # escaped: printed as typed


def test_workbook_carries_the_traits_sources_and_ranges_of_the_pages_opened(
    demo_dataset, downloads
):
    """The app's workbook has the same growth sheets as `report --workbook` once the Segments
    page's traits and the CLV page's ranges and sources have been shown (issue 18)."""
    carried = {}
    for page, tab, slots in (
        ("pages/clv.py", {"clv.tab": "Value tiers"}, (session.CLV_CUSTOMERS, session.CLV_RANGES)),
        ("pages/clv.py", {"clv.tab": "Value matrix"}, (session.SOURCES,)),
        (
            "pages/segments.py",
            {"segments.tab": "Traits of valuable customers"},
            (session.PROSPECTS,),
        ),
    ):  # each computed when its tab is opened
        visit = app(demo_dataset, page=page, **carried, **tab)
        assert not visit.exception
        carried |= {slot.key: visit.session_state[slot.key] for slot in slots}
    at = app(demo_dataset, **carried)
    assert not at.exception
    book = openpyxl.load_workbook(io.BytesIO(built(downloads, "demo_retail_results_")))
    for sheet in ("Traits of valuable", "Attribute lifts", "New customers by source",
                  "CLV ranges by tier"):  # fmt: skip
        assert sheet in book.sheetnames
    _, ranges = carried[session.CLV_RANGES.key]
    rows = list(book["CLV ranges by tier"].iter_rows(values_only=True))
    platinum = next(r for r in rows if r[0] == "Platinum")
    expected = ranges.set_index("group").loc["Platinum"]
    assert platinum[1:3] == (expected["customers"], pytest.approx(expected["clv"]))
    notes = [r[1] for r in book["About"].iter_rows(values_only=True)]
    assert not any("Traits of valuable customers" in str(n) for n in notes)
