"""The sidebar's Export and Workspace sections: the deck, the results workbook, saved workspaces.

Files are built only when a button is clicked (deferred download callables): everything the
callable needs is copied from session state while the script runs, because the callable runs
outside the script and cannot read session state or draw anything.

Workspaces. Saved: every per-dataset setting (session keys ending in ``.<dataset fingerprint>``,
written without that suffix, e.g. ``cvm.currency``, ``cvm.observation_end``, ``whale.margin``,
``whale.threshold``, the what-if levers ``whale.price`` ..., ``clv.model``, ``clv.horizon``,
``clv.discount``, ``clv.margin``, ``clv.tier.<tier>``, the CLV what-if sliders
``clv.whatif.<tier>.*``, ``cvm.segments.*``, ``cvm.retention.*``, ``cvm.scorecard.period.*``), the
activity-rate table as last edited (``whale.valid`` saved as ``whale.base``) and the global keys in
:data:`GLOBAL_KEYS` (time unit, scorecard targets, typed-in values, period length and watch band,
the deck's client name). Not saved: buttons, file uploads, table-editor deltas, results and models
(recomputed). Loading writes the same keys back for the active dataset (a workspace saved with
its data first makes that data active), then bumps the activity-table and scorecard editor
versions so their tables show the restored values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses import assumptions
from cvm_core.analyses.inputs import AnalysisInputs, on_file
from cvm_core.analyses.scorecard import defaults as scorecard_defaults
from cvm_core.analyses.scorecard import inputs as scorecard_inputs
from cvm_core.analyses.scorecard import presenting, specs
from cvm_core.analyses.scorecard import run as scorecard_run
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, Message, _
from cvm_core.intake.dataset import Dataset, load_file
from cvm_core.outputs import export, workbook, workspace
from cvm_core.slides import ChartSlide
from ui import assumed, data, deck_dialog, session, state, uploads
from ui import scorecard as scorecard_ui

CLIENT = "cvm.export.client"
"""Client name typed for the deck's title slide."""
WS_UPLOAD = "cvm.workspace.upload"
WS_INCLUDE_DATA = "cvm.workspace.include_data"
WS_MESSAGE = "cvm.workspace.message"
"""(kind, text) of the last workspace load: 'success' | 'warning' | 'error'."""
WS_PENDING = "cvm.workspace.pending"
"""A loaded workspace without data, waiting for a dataset to apply its settings to."""
WS_OPENED = "cvm.workspace.opened"
"""The last workspace opened without data: its column mapping can read the sales file."""
WS_DATA_UPLOAD = "cvm.workspace.data_upload"
DATA_FILE_TYPES = uploads.accepted(uploads.SALES_FILES)
GLOBAL_KEYS = (
    state.LANGUAGE,
    state.UNIT,
    CLIENT,
    scorecard_ui.TARGETS,
    scorecard_ui.TYPED,
    scorecard_ui.FREQUENCY,
    scorecard_ui.WATCH_BAND,
)
"""Settings that are not per dataset."""
_NOT_SETTINGS = re.compile(
    r"(^|\.)(upload|editor|editor_version|reset|loaded|version|valid|dl|csv|xlsx|use_recommended|"
    r"load|file|cust|cts|header|ambiguous)(\.|$)"
)
"""Session keys of buttons, uploads, table-editor deltas and bookkeeping: not restorable."""
_ACTIVITY_VERSION = "whale.version"
_SCORECARD_VERSION = getattr(scorecard_ui, "_VERSION", f"{scorecard_ui.KEY}.editor_version")


# --- workspace settings <-> session state ------------------------------------------------------


def collect_settings(session: dict[str, Any], dataset: Dataset | None) -> dict[str, Any]:
    """The saveable settings in ``session`` for ``dataset``, under their stable names."""
    settings = {k: session[k] for k in GLOBAL_KEYS if k in session and session[k] is not None}
    if dataset is None:
        return settings
    suffix = f".{dataset.fingerprint}"
    for key in sorted(session):
        if not isinstance(key, str) or not key.endswith(suffix):
            continue
        name = key[: -len(suffix)]
        if name == "whale.valid":  # the activity table as last edited and checked
            settings["whale.base"] = session[key]
        elif not _NOT_SETTINGS.search(name) and name not in settings:
            settings[name] = session[key]
    return settings


def apply_settings(session, settings: dict[str, Any], dataset: Dataset) -> list[str]:
    """Write ``settings`` into ``session`` for ``dataset``; returns the names restored."""
    restored = []
    for name, value in settings.items():
        if _NOT_SETTINGS.search(name):  # values were checked when the file was read
            continue
        key = name if name in GLOBAL_KEYS else data.setting_key(name, dataset)
        session[key] = value
        restored.append(name)
    if isinstance(settings.get("whale.base"), pd.DataFrame):
        session[data.setting_key("whale.valid", dataset)] = settings["whale.base"]
        _bump(session, data.setting_key(_ACTIVITY_VERSION, dataset))
    if scorecard_ui.TARGETS in settings or scorecard_ui.TYPED in settings:
        _bump(session, _SCORECARD_VERSION)
    return restored


def _bump(session, key: str) -> None:
    """A new editor key, so a table editor starts from the restored table, not old edits."""
    session[key] = int(session.get(key, 0) or 0) + 1


def _on_workspace_upload() -> None:
    """Runs before the script (a widget callback), so restored widget values take effect."""
    upload = st.session_state.get(WS_UPLOAD)
    if upload is None:
        return
    try:
        loaded = workspace.load_workspace(upload.getvalue())
    except CvmError as error:
        st.session_state[WS_MESSAGE] = ("error", Message(
            N_("Could not open '{name}': {error}"), name=upload.name, error=i18n.error_message(error)))  # fmt: skip
        return
    if loaded.dataset is not None:
        data.set_dataset(loaded.dataset)
    elif loaded.mapping is not None and loaded.mapping.roles:
        st.session_state[WS_OPENED] = loaded
    dataset = data.active_dataset()
    if dataset is None:
        st.session_state[WS_PENDING] = loaded
        st.session_state[WS_MESSAGE] = ("warning", Message(
            N_("Workspace opened. Its settings apply as soon as data is loaded (it was saved for "
               "'{name}')."),
            name=loaded.dataset_name or Message(N_("unknown data")),
        ))  # fmt: skip
        return
    st.session_state[WS_MESSAGE] = _applied(loaded, dataset)


def _on_data_upload() -> None:
    """Read the sales file with the opened workspace's column mapping, then apply its settings."""
    upload, loaded = st.session_state.get(WS_DATA_UPLOAD), st.session_state.get(WS_OPENED)
    if upload is None or loaded is None:
        return
    try:
        dataset = load_file(upload.getvalue(), upload.name, loaded.mapping)
    except CvmError as error:
        st.session_state[WS_MESSAGE] = ("error", Message(
            N_("Could not read '{name}' with the workspace's column mapping: {error} Load it on "
               "the Upload page instead, then open the workspace again."),
            name=upload.name, error=i18n.error_message(error),
        ))  # fmt: skip
        return
    data.set_dataset(dataset)
    st.session_state.pop(WS_PENDING, None)
    st.session_state.pop(WS_OPENED, None)
    st.session_state[WS_MESSAGE] = _applied(loaded, dataset, same_data=True)


def _applied(
    loaded: workspace.Workspace, dataset: Dataset, same_data: bool = False
) -> tuple[str, str]:
    restored = apply_settings(st.session_state, loaded.settings, dataset)
    other = loaded.fingerprint and loaded.fingerprint != dataset.fingerprint
    if loaded.dataset is None and other and not same_data:
        return "warning", Message(
            N_("Workspace opened: {n} settings restored for '{name}'. They were saved for "
               "'{saved_for}', which is not the data loaded now: check the settings, or load that "
               "data and open the workspace again."),
            n=len(restored), name=dataset.name, saved_for=loaded.dataset_name,
        )  # fmt: skip
    return "success", Message(
        N_("Workspace opened: {n} settings restored for '{name}'."), n=len(restored), name=dataset.name
    )  # fmt: skip


def apply_pending() -> None:
    """Apply a workspace opened before any data was loaded, once data is there (call early)."""
    pending = st.session_state.get(WS_PENDING)
    dataset = data.active_dataset()
    if pending is None or dataset is None:
        return
    st.session_state.pop(WS_PENDING)
    st.session_state[WS_MESSAGE] = _applied(pending, dataset)


# --- snapshot for the deferred downloads -------------------------------------------------------


@dataclass(frozen=True)
class ExportInputs:
    """What the deck and the workbook are built from, copied out of session state."""

    dataset: Dataset
    unit: str
    end: pd.Timestamp
    currency: str
    client: str
    summary: pd.DataFrame
    """The customer summary of the active settings (the stored one for a summary-only dataset)."""
    charts: dict = field(default_factory=dict)
    """state.DECK_CHARTS itself, not a copy: the page drawn after the sidebar adds its charts."""
    segments: pd.DataFrame | None = None
    clv: pd.DataFrame | None = None
    pnl: pd.DataFrame | None = None
    retention: Any = None
    scorecard: Any = None
    scorecard_settings: scorecard_inputs.ScorecardSettings = field(
        default_factory=scorecard_inputs.ScorecardSettings
    )
    assumed: tuple = ()
    """What the figures assume (:mod:`cvm_core.analyses.assumptions`), for the About sheet."""
    prospects: Any = None
    sources: Any = None
    clv_ranges: pd.DataFrame | None = None


def _scorecard_settings(dataset: Dataset) -> scorecard_inputs.ScorecardSettings:
    """The Scorecard page's settings as it last had them (defaults if it has not run)."""
    get = st.session_state.get
    frequency = get(scorecard_ui.FREQUENCY) or specs.DEFAULT_FREQUENCY
    period = get(data.setting_key(f"{scorecard_ui.KEY}.period.{frequency}", dataset))
    band = get(scorecard_ui.WATCH_BAND)
    return scorecard_inputs.ScorecardSettings(
        frequency,
        period,
        tuple(sorted((get(scorecard_ui.TARGETS) or {}).items())),
        tuple(sorted((get(scorecard_ui.TYPED) or {}).items())),
        band / 100 if isinstance(band, int | float) else specs.DEFAULT_WATCH_BAND,
    )


def snapshot(dataset: Dataset) -> ExportInputs:
    """Everything the downloads need, read from session state now (cheap: references only)."""
    return ExportInputs(
        dataset=dataset,
        unit=data.unit(),
        end=data.observation_end(dataset),
        currency=data.currency(dataset),
        client=st.session_state.get(CLIENT) or "",
        summary=data.customer_summary(dataset),
        charts=st.session_state.setdefault(state.DECK_CHARTS, {}),
        segments=session.read(session.SEGMENTS, dataset),
        clv=session.read(session.CLV_CUSTOMERS, dataset),
        pnl=session.read(session.WHALE_PNL, dataset),
        retention=session.read(session.RETENTION, dataset),
        scorecard=session.read(session.SCORECARD, dataset),
        scorecard_settings=_scorecard_settings(dataset),
        prospects=session.read(session.PROSPECTS, dataset),
        sources=session.read(session.SOURCES, dataset),
        clv_ranges=session.read(session.CLV_RANGES, dataset),
        assumed=assumed.page_assumptions(dataset, assumed.ALL_TOPICS, compute=False)
        if dataset.has_transactions
        else (),
    )


# --- building the files (no st.* below: runs outside the script) --------------------------------


def build_scorecard(inputs: ExportInputs) -> scorecard_inputs.Scorecard | None:
    """The Scorecard page's result if published; else the same computation from the core, with
    the other pages' results where they ran and their default models where not. None for a
    summary-only dataset: the scorecard's measures are per period and need transactions."""
    if inputs.scorecard is not None:
        return inputs.scorecard
    if not inputs.dataset.has_transactions:
        return None
    ds = inputs.dataset
    analysis_inputs = AnalysisInputs(
        ds.transactions, inputs.summary, inputs.end, inputs.unit, ds.customers, ds.cost_to_serve,
        inputs.currency, source=on_file(ds),
    )  # fmt: skip
    known = scorecard_inputs.ModelInputs(
        inputs.pnl,
        inputs.clv,
        inputs.segments["rfm_segment"] if inputs.segments is not None else None,
        inputs.retention.annual_retention if inputs.retention is not None else None,
        active_share=inputs.retention.active.share if inputs.retention is not None else None,
    )
    models, _fallbacks = scorecard_defaults.complete_models(analysis_inputs, known)
    return scorecard_run.run(analysis_inputs, inputs.scorecard_settings, models)


MISSING_HINTS = {
    N_("RFM segments and clusters"): N_("open the Segments page, then download again"),
    N_("CLV, value tiers and P(alive)"): N_("open the Customer Lifetime Value page, then download again"),
    N_("Cost-to-serve and operating profit"): N_("open the Profitability Whale Curve page, then download again"),
    N_("Cohorts and churn"): N_("open the Retention page, then download again"),
    N_("Traits of valuable customers"): N_("open the Segments page's 'Traits of valuable customers' tab, then download again"),
    N_("CLV ranges and new customers by source"): N_("open the Customer Lifetime Value page's 'Value tiers' and 'Value matrix' tabs, then download again"),
}  # fmt: skip
"""What the workbook's About sheet says to do for each part it lacks (translated when written)."""


def workbook_bytes(inputs: ExportInputs) -> bytes:
    """Every result table of this session's pages, with the scorecard."""
    # Here, not at the top: growth imports scikit-learn (the traits' tree), which the sidebar
    # and the first page do not need.
    from cvm_core.outputs import growth

    ds, summary = inputs.dataset, inputs.summary
    try:
        scorecard = build_scorecard(inputs)
        numbers = presenting.scorecard_table(scorecard, formatted=False) if scorecard else None
    except CvmError:
        numbers = None
    present = {
        "RFM segments and clusters": inputs.segments,
        "CLV, value tiers and P(alive)": inputs.clv,
        "Cost-to-serve and operating profit": inputs.pnl,
        "Cohorts and churn": inputs.retention,
        "Traits of valuable customers": inputs.prospects,
        "CLV ranges and new customers by source": inputs.clv_ranges,
    }
    missing = {part: MISSING_HINTS[part] for part, value in present.items() if value is None}
    names = None
    if ds.customers is not None and "customer_name" in ds.customers:
        names = ds.customers["customer_name"]
    return workbook.build_workbook(
        ds.name, summary, segments=inputs.segments, clv=inputs.clv, pnl=inputs.pnl,
        retention=inputs.retention, scorecard=numbers, names=names, currency=inputs.currency,
        missing=missing, assumed=assumptions.about_lines(inputs.assumed),
        extra=growth.sheets_of(inputs.prospects, inputs.sources, inputs.clv_ranges),
    )  # fmt: skip


# --- sidebar sections --------------------------------------------------------------------------


def _viewed_charts() -> list[ChartSlide]:
    """The charts shown on the pages this session, for the deck's appendix."""
    shown = st.session_state.get(state.DECK_CHARTS) or {}
    here = i18n.current()
    return [ChartSlide(c.title, c.takeaway, c.chart) for c in shown.values() if c.language == here]


@dataclass
class _LatestInputs:
    inputs: ExportInputs | None = None


_LATEST = "cvm.export.latest_inputs"


def _latest_inputs() -> _LatestInputs:
    """The session's holder of what the workbook button builds from (one object per session,
    so the button's callable sees what :func:`refresh_after_page` puts in it)."""
    return st.session_state.setdefault(_LATEST, _LatestInputs())


def refresh_after_page(dataset: Dataset | None) -> None:
    """Take the workbook's inputs again once the page has run (app.py calls this).

    The sidebar is drawn before the page, so the snapshot it takes holds what the pages published
    up to the run before: on a first visit of the CLV page the workbook had no CLV, and after a
    horizon move it had the old horizon's values. The button's file is built when clicked, from
    the holder, so it gets this run's results.
    """
    latest = st.session_state.get(_LATEST)
    if dataset is not None and latest is not None and latest.inputs is not None:
        latest.inputs = snapshot(dataset)


def export_section(dataset: Dataset) -> None:
    """Client name, Make deck (the slide picker), Download workbook."""
    st.markdown("### " + _("Export"))
    st.text_input(
        _("Client name (title slide)"),
        key=CLIENT,
        persist_state="session",
        max_chars=80,
        placeholder="e.g. Acme GmbH",
    )
    inputs = snapshot(dataset)
    latest = _latest_inputs()
    latest.inputs = inputs
    stem, today = export.file_stem(dataset.name), f"{dt.date.today():%Y%m%d}"
    viewed = _viewed_charts()
    if not dataset.has_transactions and not viewed:
        st.caption("Deck: open the CLV page to add its charts (a customer-summary file has no "
                   "months, orders or costs for the rest of the story).")  # fmt: skip
    elif st.button(
        _("Make deck…"), key="cvm.export.make_deck", icon=":material/slideshow:", width="stretch",
        help=_("PowerPoint: executive summary, one slide per question (who creates value, who "
        "destroys it, what the future holds, who is slipping away, how we score, what to do), an "
        "appendix; pick the slides, then download. About 5-10 seconds."),
    ):  # fmt: skip
        settings = collect_settings(dict(st.session_state), dataset)
        deck_dialog.deck_dialog(dataset, settings, viewed, inputs.client, inputs.scorecard)
    st.download_button(
        _("Download workbook"), lambda: workbook_bytes(latest.inputs), f"{stem}_results_{today}.xlsx",
        workbook.WORKBOOK_MIME, key="cvm.export.workbook", on_click="ignore",
        icon=":material/table_view:", width="stretch",
        help=_("Excel: customers with segment, CLV, tier, P(alive) and profit; segments; cohorts; "
        "scorecard. Results of pages not opened yet are listed as missing on the About sheet."),
    )  # fmt: skip


def workspace_section(dataset: Dataset | None) -> None:
    """Save the settings (optionally with the data) and open a saved workspace."""
    with st.expander(_("Workspace"), icon=":material/save:"):
        if dataset is not None:
            on_disk = dataset.transaction_file is not None  # millions of rows: not in a zip
            include = st.checkbox(
                _("Include the data"), key=WS_INCLUDE_DATA, persist_state="session",
                disabled=on_disk,
                help=_("Off: only the settings (a small .json; load the same data file, then open "
                "it). On: a .zip with the data too, so the workshop needs nothing else."),
            ) and not on_disk  # fmt: skip
            if on_disk:
                st.caption(_("This file is too large to pack into a workspace: the workspace "
                             "keeps the settings; upload the file with it."))  # fmt: skip
            settings = collect_settings(dict(st.session_state), dataset)
            suffix = "zip" if include else "json"
            st.download_button(
                _("Save workspace"), lambda: workspace.save_workspace(settings, dataset, include),
                f"{export.file_stem(dataset.name)}_workspace.{suffix}",
                "application/zip" if include else "application/json",
                key="cvm.workspace.save", on_click="ignore", icon=":material/download:",
                width="stretch",
                help=_("Column mapping, settings, activity rates, tier sizes, targets and what-if levers."),
            )  # fmt: skip
        st.file_uploader(
            _("Open a workspace"), type=uploads.accepted(uploads.WORKSPACE_FILES), key=WS_UPLOAD, on_change=_on_workspace_upload,
            help=_("A .json or .zip saved with 'Save workspace'."),
        )  # fmt: skip
        opened = st.session_state.get(WS_OPENED)
        if opened is not None and (dataset is None or dataset.fingerprint != opened.fingerprint):
            st.file_uploader(
                _("Sales file for it ('{name}')").format(name=opened.dataset_name), type=DATA_FILE_TYPES,
                key=WS_DATA_UPLOAD, on_change=_on_data_upload,
                help=_("Read with the column mapping saved in the workspace: {pairs}").format(
                    pairs=", ".join(f"{role} ← {column}" for role, column in opened.mapping.roles.items())),
            )  # fmt: skip
        message = st.session_state.get(WS_MESSAGE)
        if message:
            kind, text = message
            # The text names files and datasets from the workspace: shown as text, never markup.
            show = {"success": st.success, "warning": st.warning}.get(kind, st.error)
            show(formatting.escape_markdown(i18n.shown(text)))
