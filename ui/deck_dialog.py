"""The deck dialog: the storyline's slides with checkboxes, a progress bar, the download.

The story comes from the core (:func:`cvm_core.outputs.storyline.build_story`) run with this
session's settings, the same as ``python -m cvm_core report`` run with a saved workspace; the
charts viewed on the pages go to its appendix. Computed once per dataset and settings and kept in
the session, so ticking slides does not rerun the analyses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.errors import CvmError
from cvm_core.i18n import _, ngettext
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import deck, export, report, storyline
from cvm_core.outputs.workspace_settings import check_settings
from cvm_core.slides import ChartSlide, StorySlide

STORY = "cvm.deck.story"
"""(settings key, list of StorySlide) of the last story built."""
FILE = "cvm.deck.file"
"""(settings key, (picked slide keys, client name), pptx bytes) of the last deck built."""
PICK = "cvm.deck.pick"
"""Prefix of the slide checkboxes' keys (one per slide key)."""


def _settings_key(
    dataset: Dataset, settings: Mapping[str, Any], viewed: Sequence[ChartSlide]
) -> str:
    """A digest of everything the story depends on (tables by their CSV text)."""

    def plain(value):
        return value.to_csv() if isinstance(value, pd.DataFrame) else value

    text = json.dumps({k: plain(v) for k, v in settings.items()}, sort_keys=True, default=str)
    charts = "|".join(f"{c.title}:{c.takeaway}" for c in viewed)
    return hashlib.sha256(f"{dataset.fingerprint}|{text}|{charts}".encode()).hexdigest()


def _build_story(
    dataset: Dataset, settings: Mapping[str, Any], viewed: Sequence[ChartSlide], scorecard: Any
) -> list[StorySlide]:
    if not dataset.has_transactions:  # a summary file: only the charts its pages could draw
        return [
            StorySlide(f"viewed_{n}", c.title, c.takeaway, c.chart, c.image)
            for n, c in enumerate(viewed)
        ]
    check_settings(settings)
    chosen = report.ReportSettings.from_workspace(settings)
    result = report.build_report(dataset, chosen)
    if scorecard is not None:  # the table the Scorecard page showed, with its targets
        result = dataclasses.replace(result, scorecard=scorecard)
    return storyline.build_story(result, viewed)


def _story(dataset, settings, viewed, scorecard) -> tuple[str, list[StorySlide]] | None:
    key = _settings_key(dataset, settings, viewed)
    cached = st.session_state.get(STORY)
    if cached is not None and cached[0] == key:
        return cached
    try:
        with st.spinner(_("Running the analyses with your settings…")):
            story = _build_story(dataset, settings, viewed, scorecard)
    except CvmError as error:
        st.error(formatting.escape_markdown(_("The deck cannot be built: {error}").format(error=i18n.error_text(error))),
                 icon=":material/error:")  # fmt: skip
        return None
    st.session_state[STORY] = (key, story)
    return key, story


def _pick(story: list[StorySlide]) -> list[StorySlide]:
    """Checkboxes with every slide's title, the story's ticked first, then the appendix."""
    picked = []
    main = [s for s in story if not s.appendix]
    extra = [s for s in story if s.appendix and s.key != "appendix"]
    st.markdown(
        "**"
        + _("The story")
        + "** "
        + ngettext("({n} slide after the title)", "({n} slides after the title)", len(main)).format(
            n=formatting.count(len(main))
        )
    )
    for slide in main:
        if st.checkbox(slide.title, value=True, key=f"{PICK}.{slide.key}", persist_state="session"):
            picked.append(slide)
    if extra:
        st.markdown(
            "**" + _("Appendix") + "** "
            + ngettext("({n} slide: model checks, the full scorecard, charts you looked at)",
                       "({n} slides: model checks, the full scorecard, charts you looked at)",
                       len(extra)).format(n=formatting.count(len(extra))))  # fmt: skip
        chosen = [
            s
            for s in extra
            if st.checkbox(s.title, value=True, key=f"{PICK}.{s.key}", persist_state="session")
        ]
        if chosen:
            picked += [next(s for s in story if s.key == "appendix"), *chosen]
    return picked


def deck_dialog(
    dataset: Dataset,
    settings: Mapping[str, Any],
    viewed: Sequence[ChartSlide],
    client: str,
    scorecard: Any = None,
) -> None:
    """The slide picker and the build; opened by the sidebar's "Make deck" button, in a dialog
    titled in the session's language (a decorator's title would be fixed at import)."""
    st.dialog(_("Deck for the client"), width="large")(_deck)(
        dataset, settings, viewed, client, scorecard
    )


def _deck(
    dataset: Dataset,
    settings: Mapping[str, Any],
    viewed: Sequence[ChartSlide],
    client: str,
    scorecard: Any = None,
) -> None:
    built = _story(dataset, settings, viewed, scorecard)
    if built is None:
        return
    key, story = built
    st.caption(_("Untick the slides you do not want. Titles ask the client's questions; each slide "
               "carries its answer in one sentence and, where figures rest on assumptions, an "
               "'Assumed: ...' line."))  # fmt: skip
    picked = _pick(story)
    names = tuple(s.key for s in picked)
    if st.button(_("Build the deck"), type="primary", icon=":material/slideshow:",
                 disabled=not picked):  # fmt: skip
        bar = st.progress(0.0, text=_("Title slide…"))

        def progress(done: int, total: int, what: str) -> None:
            text = (
                _("Slide {n} of {total}: {what}").format(
                    n=min(done + 1, total), total=total, what=what
                )
                if done < total
                else _("Done")
            )
            bar.progress(done / total, text=text)

        data = deck.build_deck(client, dataset.name, picked, progress=progress)
        st.session_state[FILE] = (key, (names, client), data)
    saved = st.session_state.get(FILE)
    if saved is not None and saved[0] == key and saved[1] == (names, client):
        st.download_button(
            _("Download deck ({n} slides, {size} MB)").format(
                n=formatting.count(1 + len(picked)), size=formatting.number(len(saved[2]) / 1e6, 1)), saved[2],
            f"{export.file_stem(dataset.name)}_deck_{dt.date.today():%Y%m%d}.pptx", deck.DECK_MIME,
            key="cvm.export.deck", icon=":material/download:", type="primary",
        )  # fmt: skip
