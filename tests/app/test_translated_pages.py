"""Every text a page shows goes through the translation catalogs (issue 20).

The pages run in the pseudo-language (cvm_core.i18n._pseudo): every text that passes through the
catalogs reads ⟦text⟧, so a text without the marks bypassed them and would stay English in German
and Chinese. The texts still English are listed in untranslated_texts.txt, page by page: the test
fails when a page shows an unmarked text that is not listed (new code must mark its texts) and
when a listed text is no longer shown (delete it from the list, which only shrinks).
"""

from __future__ import annotations

import contextvars
import json
import re
from pathlib import Path

import pytest

from cvm_core import i18n
from tests.app.conftest import open_in_app

PAGES = [
    "pages/upload.py", "pages/segments.py", "pages/whale_curve.py", "pages/clv.py",
    "pages/retention.py", "pages/scorecard.py", "pages/pipeline.py",
]  # fmt: skip
LAZY_TABS = [
    ("pages/clv.py", "clv.tab", "Value tiers"), ("pages/clv.py", "clv.tab", "Value matrix"),
    ("pages/segments.py", "segments.tab", "Traits of valuable customers"),
]  # fmt: skip
"""Tabs that run only when opened (ui/tabs.lazy_tabs): each is walked too."""
VIEWS = [*PAGES, *(f"{page} ({tab})" for page, _key, tab in LAZY_TABS)]
"""Every page as it opens, and each lazy tab open: the headings of untranslated_texts.txt."""
LISTED = Path(__file__).with_name("untranslated_texts.txt")
WORDS = re.compile(r"[A-Za-z]{3,}")
"""A text with a word in it; numbers, amounts, ids and dates alone are data, not text."""
WIDGETS = (
    "button", "download_button", "selectbox", "multiselect", "radio", "slider", "select_slider",
    "toggle", "checkbox", "number_input", "text_input", "date_input", "text_area",
)  # fmt: skip


def shown_texts(at) -> set[str]:
    """Headings, Markdown, captions, alerts, metric labels and help, widget labels and help, tab
    and expander labels, and the texts of every chart (see :func:`chart_texts`)."""
    texts = set()
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success"):  # fmt: skip
        texts |= {e.value for e in at.get(kind)}
    for metric in at.metric:
        texts |= {metric.label, metric.proto.help}
    for kind in WIDGETS:
        for widget in at.get(kind):
            texts |= {widget.label, getattr(widget, "help", "") or ""}
    for kind in ("tab", "expander"):
        texts |= {getattr(block, "label", "") or "" for block in at.get(kind)}
    for chart in at.get("vega_lite_chart"):
        texts |= chart_texts(json.loads(chart.proto.spec))
    return {t for t in texts if t}


ENCODED_TITLES = ("x", "y", "color", "size", "shape", "opacity", "theta", "radius")
"""Channels whose axis or legend shows a title: the field's name when the chart gives none (x2
and y2 share their partner's axis; a channel without a scale draws no legend)."""


def chart_texts(spec) -> set[str]:
    """A Vega-Lite spec's titles and subtitles (chart, axes, legends, tooltips), and the field
    names Vega-Lite would show as an axis or legend title because the chart gives none."""
    if isinstance(spec, list):
        return set().union(*(chart_texts(item) for item in spec))
    if not isinstance(spec, dict):
        return set()
    texts: set[str] = set()
    for key, value in spec.items():
        if key in ("title", "subtitle"):
            texts |= {_joined(value)} if isinstance(value, str | list) else chart_texts(value)
        elif key == "text" and isinstance(value, str | list) and "subtitle" in spec:
            texts.add(_joined(value))  # a title object's text
        elif key == "encoding" and isinstance(value, dict):
            texts |= _field_names_as_titles(value) | chart_texts(value)
        elif key not in ("data", "datasets"):  # data values are the user's, not the app's
            texts |= chart_texts(value)
    return texts


def _joined(text: str | list) -> str:
    return text if isinstance(text, str) else " ".join(map(str, text))


def _field_names_as_titles(encoding: dict) -> set[str]:
    found = set()
    for channel, definition in encoding.items():
        shows_title = (
            channel in ENCODED_TITLES and isinstance(definition, dict)
            and "field" in definition and "title" not in definition
            and all(definition.get(part, {}) is not None for part in ("axis", "legend", "scale"))
        )  # fmt: skip
        if shows_title:
            found.add(f"{definition['field']} (field name as title)")
    return found


MARKED = re.compile(
    f"{re.escape(i18n.PSEUDO_OPEN)}[^{i18n.PSEUDO_OPEN}{i18n.PSEUDO_CLOSE}]*{re.escape(i18n.PSEUDO_CLOSE)}"
)
"""One marked text with no other marked text inside it."""


MARKUP = re.compile(r":[a-z]+\[|:material/[a-z_]+:|\b[A-Z]{2,}\b|\bExcel\b")
"""Streamlit markup (':orange[', ':material/info:'), codes and names the same in every language
('EUR', 'CSV', 'RFM', 'Excel')."""


def unmarked(texts: set[str]) -> set[str]:
    """The texts with words outside the marks, each on one line (as listed): an English sentence
    with a translated word in it ('Churned: no purchase in the last ⟦days⟧') is still English."""
    return {" ".join(t.split()) for t in texts if WORDS.search(_outside_marks(t))}


def _outside_marks(text: str) -> str:
    while (inner := MARKED.sub(" ", text)) != text:  # innermost first: a template's values
        text = inner
    return MARKUP.sub(" ", text)


def listed() -> dict[str, set[str]]:
    """page -> texts still English, from untranslated_texts.txt ('## page' then one per line)."""
    pages: dict[str, set[str]] = {}
    page = None
    for line in LISTED.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            page = line[3:].strip()
            pages[page] = set()
        elif line.strip() and not line.startswith("#") and page is not None:
            pages[page].add(line.strip())
    return pages


@pytest.fixture
def pseudo(monkeypatch):
    """The pseudo-language in every thread (the pages run in AppTest's own thread)."""
    monkeypatch.setattr(i18n, "_pseudo", contextvars.ContextVar("cvm_pseudo_test", default=True))


def test_the_pseudo_language_marks_what_goes_through_the_catalogs(pseudo):
    assert i18n._("Time unit") == "⟦Time unit⟧"
    assert unmarked({"⟦Time unit⟧", "Time unit", "4,000", "C01160", "€920k"}) == {"Time unit"}


def open_view(view: str, dataset, label=i18n._):
    """A page, or a page with one of its lazy tabs open (the tab's label as the page shows it)."""
    for page, key, tab in LAZY_TABS:
        if view == f"{page} ({tab})":
            return open_in_app(page, dataset, **{key: label(tab)})
    return open_in_app(view, dataset)


@pytest.mark.parametrize("view", VIEWS)
def test_every_text_on_the_page_goes_through_the_catalogs(view, pseudo, demo_dataset):
    at = open_view(view, demo_dataset)
    assert not at.exception, [e.value for e in at.exception]
    found = unmarked(shown_texts(at))
    known = listed().get(view, set())
    new = sorted(found - known)
    assert new == [], f"mark these texts with _() (or list them under '## {view}'): {new}"
    gone = sorted(known - found)
    assert gone == [], f"translated now: delete them from {LISTED.name}: {gone}"


@pytest.mark.parametrize("language", ["de", "zh"])
@pytest.mark.parametrize("view", VIEWS)
def test_every_page_runs_in_german_and_chinese(view, language, monkeypatch, demo_dataset):
    """Translated titles name widgets and files: two Chinese chart titles once made the same
    download key and stopped the Pipeline page (StreamlitDuplicateElementKey)."""
    monkeypatch.setattr(i18n, "_language", contextvars.ContextVar("cvm_language", default=language))
    at = open_view(view, demo_dataset)
    assert not at.exception, [e.value for e in at.exception]


def write_listed() -> None:
    """Rewrite untranslated_texts.txt from what the pages show now (after translating a page:
    ``python -m tests.app.test_translated_pages``, then read the diff)."""
    from cvm_core.intake import demo_workbook
    from cvm_core.intake.dataset import load_file

    i18n._pseudo = contextvars.ContextVar("cvm_pseudo_list", default=True)
    path = demo_workbook.DEMO_WORKBOOK_PATH
    dataset = load_file(path.read_bytes(), path.name)
    lines = [LISTED.read_text(encoding="utf-8").splitlines()[0]]
    for view in VIEWS:
        texts = sorted(unmarked(shown_texts(open_view(view, dataset))))
        lines += ["", f"## {view}", *texts]
    LISTED.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_listed()
