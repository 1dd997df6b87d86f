"""Upload page: get a spreadsheet (or the demo data) in, map its columns, see what was loaded."""

import dataclasses
import logging

import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.errors import AmbiguousDateOrderError, CvmError
from cvm_core.i18n import _
from cvm_core.intake import large_files
from ui import data, loaders, prefetch, state, uploads
from ui.upload import (
    JUST_LOADED,
    large_file_form,
    mapping_form,
    rows_set_aside_download,
    show_overview,
    show_still_loaded,
    summary_file_form,
)

UPLOADER = "upload.file"
FILE_TYPES = uploads.accepted(uploads.SALES_FILES)
log = logging.getLogger(__name__)

st.title(_("Upload sales data"))
st.caption(
    _(
        "Drop a sales export (one row per order line or order: customer, date, amount). Excel, CSV "
        "and Parquet work; title rows, decimal commas, German and Chinese headers are handled. A "
        "customer summary written by `python -m cvm_core summarize` (Parquet) loads directly. "
        "The data stays on this server."
    )
)


def activate(dataset) -> None:
    """Make the dataset active and run again, so the sidebar (drawn before this page) shows it."""
    data.set_dataset(dataset)
    held = st.session_state.get(UPLOADER)  # the demo buttons run before the uploader is drawn
    st.session_state[state.UPLOAD_SHOWN] = loaders.upload_digest(held) if held else ""
    st.session_state.pop(state.UPLOAD_LOAD_ERROR, None)
    st.session_state[JUST_LOADED] = dataset.name
    st.rerun()


if loaded := st.session_state.pop(JUST_LOADED, None):
    st.toast(
        _("Loaded {name}").format(name=formatting.escape_markdown(loaded)),
        icon=":material/check_circle:",
    )


def report_failure(error: Exception, key: str) -> None:
    """Show what went wrong and that the previous dataset is still there; never a traceback."""
    if isinstance(error, CvmError):
        message = i18n.error_text(error)  # in the language on screen
    else:
        log.exception("Unexpected error while loading a file")
        message = _(
            "Something unexpected went wrong while reading the file ({error_type}: {error})."
        ).format(error_type=type(error).__name__, error=error)
    previous = data.active_dataset()
    kept = (
        " "
        + _("The previously loaded dataset '{name}' is still active.").format(name=previous.name)
        if previous
        else ""
    )
    rejected = getattr(error, "rejected", None)  # every row set aside, when none could be used
    st.session_state[state.UPLOAD_LOAD_ERROR] = (key, message + kept, rejected)


demos = st.container(horizontal=True)  # the two buttons side by side
if demos.button(
    _("Load {name}").format(name=_(loaders.DEMO_RETAIL)),
    type="primary",
    icon=":material/storefront:",
):
    activate(loaders.load_demo(loaders.DEMO_RETAIL))
if demos.button(_("Load {name}").format(name=_(loaders.DEMO_CDNOW)), icon=":material/album:"):
    activate(loaders.load_demo(loaders.DEMO_CDNOW))

upload = st.file_uploader(
    _("Upload a sales spreadsheet"), type=FILE_TYPES, key=UPLOADER,
    help=_("CSV, TSV, TXT, Excel (xlsx, xlsm, xls, xlsb), OpenDocument or Parquet, up to 200 MB. "
    "Larger files: save them as Parquet (about a sixth of the size; Parquet of more than 2 million "
    "rows stays on the server's disk and is analysed there), or summarise them first "
    "with `python -m cvm_core summarize FILE summary.parquet --engine duckdb` and upload the summary."),
)  # fmt: skip
raw = upload.getvalue() if upload is not None else b""
key = loaders.upload_digest(upload)
if upload is not None and loaders.is_summary_file(upload.name, raw):
    try:  # a customer summary file: nothing to map, the whole file is the dataset
        summary_dataset = loaders.load_summary(key, upload.name, raw)
    except Exception as error:  # noqa: BLE001 - every failure becomes a message in the page
        report_failure(error, key)
    else:
        if summary_file_form(summary_dataset, key):
            activate(summary_dataset)
elif upload is not None and large_files.is_large_upload(upload.name, raw):
    try:  # too large for memory: saved to disk, mapped on a sample, analysed by DuckDB
        path, sample = loaders.large_sample(key, upload.name, raw)
    except Exception as error:  # noqa: BLE001 - every failure becomes a message in the page
        report_failure(error, key)
    else:
        rows = large_files.parquet_rows(raw) or 0
        choice, clicked = large_file_form(sample, rows, key)
        if clicked:
            try:
                dataset = loaders.build_large(key, upload.name, path, rows, choice.mapping)
            except Exception as error:  # noqa: BLE001 - every failure becomes a message in the page
                report_failure(error, key)
            else:
                activate(dataset)
        else:  # checked by DuckDB in the background while the user checks the mapping
            loaders.start_build_large(key, upload.name, path, rows, choice.mapping)
elif upload is not None:
    with st.expander(_("Reading options")):
        header_row = st.number_input(
            _("Header row (0 = detect)"),
            min_value=0,
            max_value=500,
            value=0,
            key=f"{key}.header",
            persist_state="session",
            help=_("The row number of the column headers in the file, if we picked the wrong one."),
        )
    try:
        workbook = loaders.read(key, upload.name, (), raw)
        if header_row:
            headers = tuple((name, int(header_row)) for name in workbook.tables)
            workbook = loaders.read(key, upload.name, headers, raw)
        else:
            headers = ()
    except Exception as error:  # noqa: BLE001 - every failure becomes a message in the page
        report_failure(error, key)
    else:
        for note in workbook.notes:
            st.info(formatting.escape_markdown(i18n.shown(note)))
        needs_order = isinstance(st.session_state.get(f"{key}.ambiguous"), str)
        choice = mapping_form(workbook, key, needs_order)
        with st.expander(
            _("Optional: customer attributes or cost-to-serve drivers in separate files")
        ):
            st.caption(
                _(
                    "Customer attributes: customer id plus columns such as acquisition date, "
                    "acquisition channel, acquisition cost, region, industry, total category "
                    "spend. Cost-to-serve: customer id plus activity counts such as service "
                    "calls, deliveries, sales visits."
                )
            )
            extra_customers = st.file_uploader(
                _("Customer attributes file"), type=FILE_TYPES, key=f"{key}.cust"
            )
            extra_cost = st.file_uploader(
                _("Cost-to-serve file"), type=FILE_TYPES, key=f"{key}.cts"
            )
        choices = loaders.BuildChoices(
            key, upload.name, headers, choice.sheets, tuple(choice.mapping.roles.items()),
            choice.mapping.attributes, choice.options, raw, tuple(choice.mapping.channels.items()),
        )  # fmt: skip
        if st.button(
            _("Use this data"), type="primary", icon=":material/check:", key=f"{key}.load"
        ):
            try:
                dataset = loaders.build(choices)
                dataset = loaders.with_extra_tables(dataset, extra_customers, extra_cost)
            except AmbiguousDateOrderError as error:
                st.session_state[f"{key}.ambiguous"] = str(error)
                report_failure(error, key)
                st.rerun()  # so the date-order question shows its warning at once
            except Exception as error:  # noqa: BLE001 - every failure becomes a message in the page
                report_failure(error, key)
            else:
                activate(dataclasses.replace(dataset, name=upload.name))
        else:  # built in the background while the user checks the mapping
            loaders.start_build(choices)

failure = st.session_state.get(state.UPLOAD_LOAD_ERROR)
if failure and upload is not None and failure[0] == key:
    st.error(formatting.escape_markdown(failure[1]), icon=":material/error:")
    if failure[2] is not None:
        rows_set_aside_download(failure[2])

active = data.active_dataset()
if active is not None and st.session_state.get(state.UPLOAD_SHOWN, "") == (key if upload else ""):
    show_overview(active)
    if loaded:  # just activated: the other pages' first analyses start while the user reads
        prefetch.start(active)
elif active is not None:  # a new file is being mapped: the figures above it are not its own
    show_still_loaded(active)
