"""Text from a file is shown as text on every page (issue 16, item 4): customer ids, product,
category, region and industry names and the file name are written as Markdown links, images and
emphasis, and no element that renders Markdown (messages, captions, headings, widget labels and
help, radio and pill options, tab and expander labels) may receive one of them unescaped."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cvm_core.intake import demo
from cvm_core.intake.dataset import load_file
from tests.app.conftest import ROOT
from ui import state

PAGES = ["pages/upload.py", "pages/segments.py", "pages/whale_curve.py", "pages/clv.py",
         "pages/retention.py", "pages/scorecard.py", "pages/pipeline.py"]  # fmt: skip
HOST = "http://127.0.0.1:9"
FILE_NAME = f"![p]({HOST}/file.png) [re-login]({HOST}/login) **Q1**.xlsx"
UNESCAPED = re.compile(r"(?<!\\)\]\(http://127\.0\.0\.1:9|(?<!\\)\*\*(?:Snacks|Coffee|Q1)")
"""A link or image target right after an unescaped ']', or unescaped bold around our names."""
MARKDOWN_FIELDS = {"body", "label", "help", "caption"}
"""Proto string fields Streamlit renders as Markdown (checked on every element)."""
MARKDOWN_OPTIONS = {"radio", "button_group"}
"""Elements whose options are Markdown too (a selectbox's options are plain text)."""


def _hostile_workbook() -> bytes:
    tables = demo.generate_demo_tables(n_customers=300, seed=5)
    link = lambda value: f"[{value}]({HOST}/{value})"  # noqa: E731
    for frame in tables.values():
        if "Customer ID" in frame:  # the opportunity history names opportunities only
            frame["Customer ID"] = frame["Customer ID"].map(link)
    for column in ("Sales Rep", "Stage"):
        tables["Opportunities"][column] = tables["Opportunities"][column].map(link)
    tx = tables["Transactions"]
    tx["Product"] = tx["Product"].map(lambda p: f"![p]({HOST}/p.png) {p}")
    tx["Category"] = "**" + tx["Category"] + "**"
    for column in ("Region", "Industry"):
        tables["Customers"][column] = tables["Customers"][column].map(link)
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile_dataset():
    return load_file(_hostile_workbook(), FILE_NAME)


def _strings(message, fields: set[str]):
    """(field, text) of every string field named in ``fields``, at any depth of a proto."""
    for descriptor, value in message.ListFields():
        if descriptor.message_type is not None:
            items = value if descriptor.is_repeated else [value]
            for item in items:
                yield from _strings(item, fields)
        elif descriptor.name in fields:
            items = value if descriptor.is_repeated else [value]
            yield from ((descriptor.name, item) for item in items if isinstance(item, str))


def _elements(node):
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from _elements(child)
    elif getattr(node, "proto", None) is not None:
        yield node


def unescaped_markdown(at: AppTest) -> list[tuple[str, str]]:
    found = []
    for root in at._tree.children.values():  # main, sidebar, event (dialogs) and bottom
        for element in _elements(root):
            fields = MARKDOWN_FIELDS | ({"options"} if element.type in MARKDOWN_OPTIONS else set())
            for field, text in _strings(element.proto, fields):
                if UNESCAPED.search(text):
                    found.append((f"{element.type}.{field}", text[:200]))
    return found


def test_the_probe_finds_raw_markdown():
    """The check itself: an unescaped name in a caption is caught, an escaped one is not."""
    at = AppTest.from_string(
        "import streamlit as st\n"
        f"st.caption('Top customer [C1]({HOST}/C1)')\n"
        f"st.caption('Top customer \\\\[C2\\\\]\\\\({HOST}/C2)')\n"
    ).run()
    assert [text for _, text in unescaped_markdown(at)] == [f"Top customer [C1]({HOST}/C1)"]


def _app(dataset, page: str) -> AppTest:
    """The app on ``page``. The Upload page is the app's first page: reached without switching,
    so the sidebar (dataset name, settings, search) is in the tree too; AppTest keeps no sidebar
    after ``switch_page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[state.DATASET] = dataset
    if page != PAGES[0]:
        at.switch_page(page)
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_names_from_the_file_never_reach_markdown_unescaped(hostile_dataset, page):
    at = _app(hostile_dataset, page)
    assert not at.exception, [e.value for e in at.exception]
    if page == PAGES[0]:  # the probe saw the file name, escaped, in the sidebar
        assert any("re-login" in m.value for m in at.sidebar.markdown)
    assert unescaped_markdown(at) == []


def _open_customer():
    import streamlit as st

    from ui import customer_dialog, state

    customer_dialog.show_customer(
        st.session_state[state.DATASET], "[C00001](http://127.0.0.1:9/C00001)"
    )


def test_the_customer_view_shows_a_hostile_id_as_text(hostile_dataset):
    # AppTest drops the sidebar on a rerun under st.navigation, so the view the sidebar's search
    # opens is opened directly, as the search and every customer list do.
    at = AppTest.from_function(_open_customer, default_timeout=120)
    at.session_state[state.DATASET] = hostile_dataset
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [m.value for m in (*at.markdown, *at.caption, *at.subheader, *at.title)]
    assert any("C00001" in text for text in shown), shown  # the view opened on that customer
    assert unescaped_markdown(at) == []
