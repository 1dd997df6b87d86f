"""Cached reading and dataset building for the Upload page.

An upload's workbook and dataset are kept in the session that uploaded them (st.session_state), not
in a process-wide cache: they go when the session ends. (Kept with ``st.cache_resource``, every
session's last four files stayed in the server until it restarted: 20 tabs uploading a 100k-row
file each left 1.1 GB behind.) Kept as they are, not copied on every hit: they are large and the
core never mutates them. Keys are the upload's digest plus every setting that changes the result.
The demo data, the same for everyone, stay a shared cache.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import streamlit as st

from cvm_core.i18n import N_, Message, _
from cvm_core.intake import cdnow, demo_workbook, engines, large_files
from cvm_core.intake.dataset import (
    Dataset,
    SheetRoles,
    attach_tables,
    build_dataset,
    dataset_from_frame,
    dataset_from_summary,
)
from cvm_core.intake.fingerprint import fingerprint
from cvm_core.intake.io import RawTable, Workbook, read_workbook
from cvm_core.intake.schema import ColumnMapping
from cvm_core.intake.validate import ValidationOptions
from ui import data, prefetch, state

T = TypeVar("T")

DEMO_RETAIL = N_("Demo retail (4,000 customers, 3 years)")
DEMO_CDNOW = N_("CDNOW sample (real, 2,357 customers, 1997-98)")
"""The demo datasets' names: the dataset keeps the English one, the buttons show it translated."""


KEPT_PER_KIND = 2
"""Results kept per function in a session: the file being mapped, and one more (a header row typed
over the detected one reads the same file both ways on every rerun)."""


def digest(data: bytes) -> str:
    return fingerprint(data)


def upload_digest(upload) -> str:
    """The fingerprint of the file in the uploader (``None``: no file), hashed once per upload:
    the page asks for it on every run, and a 79 MB file took 90 ms a hash."""
    if upload is None:
        return digest(b"")
    file_id, known = st.session_state.get(state.UPLOAD_DIGEST, (None, ""))
    if file_id != upload.file_id:
        known = digest(upload.getvalue())
        st.session_state[state.UPLOAD_DIGEST] = (upload.file_id, known)
    return known


def _kept(kind: str, key: tuple, make: Callable[[], T], spinner: str) -> T:
    """``make()``, kept in this session under ``(kind, key)`` (at most :data:`KEPT_PER_KIND` per
    kind, the least recently used dropped first). Failures are not kept: the next run tries again.
    A result started early in the background (:func:`start_build`) is waited for, not made again.
    """
    kept = st.session_state.setdefault(state.UPLOAD_KEPT, {}).setdefault(kind, {})
    if key in kept:
        kept[key] = kept.pop(key)  # now the most recently used
        return kept[key]
    early = st.session_state.get(state.UPLOAD_EARLY, {})
    with st.spinner(_(spinner)):
        if (kind, key) in early:  # raises the build's error as make() would; a failed build
            value = early[(kind, key)].result()  # stays there, so it is not started again
            del early[(kind, key)]
        else:
            value = make()
    kept[key] = value
    while len(kept) > KEPT_PER_KIND:
        del kept[next(iter(kept))]
    return value


def read(
    file_digest: str, filename: str, header_rows: tuple[tuple[str, int], ...], _data: bytes
) -> Workbook:
    return _kept(
        "read", (file_digest, filename, header_rows),
        lambda: read_workbook(_data, filename, dict(header_rows)), N_("Reading the file…"),
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class BuildChoices:
    """What makes a dataset of an upload: the file (its bytes and their digest) and the choices
    made on the Upload page."""

    file_digest: str
    filename: str
    header_rows: tuple[tuple[str, int], ...]
    sheets: SheetRoles
    mapping_items: tuple[tuple[str, str], ...]
    attributes: tuple[str, ...]
    options: ValidationOptions
    data: bytes = dataclasses.field(repr=False, compare=False)  # the digest stands for the bytes
    channel_items: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple:
        """Everything but the bytes: the session keeps results under it, not the file."""
        return (self.file_digest, self.filename, self.header_rows, self.sheets,
                self.mapping_items, self.attributes, self.options, self.channel_items)  # fmt: skip


def build(choices: BuildChoices) -> Dataset:
    return _kept("build", choices.key, lambda: _build(choices), N_("Checking every row…"))


_EARLY_BUILDS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cvm-early-build")
"""One worker for every session: an early build uses one core, the other stays the users'."""


def start_build(choices: BuildChoices) -> None:
    """Start :func:`build` for the mapping on screen in the background, with the customer summary
    the overview shows next, while the user checks the mapping: "Use this data" then finds the
    dataset built (or waits for the build in progress) instead of starting it then, ~2.5 s at 1M
    rows. Nothing starts while an earlier early build of this session runs (a mapping being
    edited), for a result already kept, or with the background work off (``CVM_PREFETCH=0``,
    :func:`ui.prefetch.enabled`).
    """
    _start_early("build", choices.key, lambda: _build(choices))


def start_build_large(
    file_digest: str, filename: str, path: Path, rows: int, mapping: ColumnMapping
) -> None:
    """:func:`start_build` for a large upload (:func:`build_large`): DuckDB checks the file and
    computes the overview's tables while the user checks the mapping (6.3 s at 10M lines)."""
    key = _large_key(file_digest, mapping)
    _start_early(
        "large-dataset", key, lambda: _build_large(file_digest, filename, path, rows, mapping)
    )


def _start_early(kind: str, key: tuple, make: Callable[[], Dataset]) -> None:
    full = (kind, key)
    early = st.session_state.setdefault(state.UPLOAD_EARLY, {})
    kept = st.session_state.get(state.UPLOAD_KEPT, {}).get(kind, {})
    if not prefetch.enabled() or full in early or key in kept:
        return
    if any(not future.done() for future in early.values()):
        return
    early.clear()  # builds for a mapping since changed
    early[full] = _EARLY_BUILDS.submit(_build_and_summarise, make, data.unit())


def _build_and_summarise(make: Callable[[], Dataset], unit: str) -> Dataset:
    # Started at once, the build held the interpreter while the browser fetched the table
    # widgets' code from this server for the mapping form: the form settled 0.45 s later (1M rows).
    time.sleep(prefetch.AFTER_SECONDS)
    dataset = make()
    data.summary_for_overview(dataset, unit)
    _warm_overview(dataset)
    return dataset


def _warm_overview(dataset: Dataset) -> None:
    """The rest of what the first run after "Use this data" asks for, through the same caches:
    the sidebar's customer count, the overview's months and the gaps between purchases the
    default churn rule comes from (the sidebar's assumptions name it). Made there, they were
    0.3 s of server CPU between the click and the overview at 1M rows."""
    from ui import retention, upload  # pages' modules: they import this one

    data.customer_count(dataset)
    upload.monthly_activity(dataset)
    retention.gap_profile_at_load(dataset)


def _build(choices: BuildChoices) -> Dataset:
    workbook = read(choices.file_digest, choices.filename, choices.header_rows, choices.data)
    mapping = ColumnMapping(
        dict(choices.mapping_items), choices.attributes, dict(choices.channel_items)
    )
    # The same bytes read another way (header row, sheet, mapping, options) are another dataset.
    parts = (
        choices.file_digest, choices.header_rows, choices.sheets, choices.mapping_items,
        choices.options,
    )  # fmt: skip
    if choices.channel_items:  # appended only when set, so earlier fingerprints stay valid
        parts += (choices.channel_items,)
    return build_dataset(
        workbook,
        choices.sheets,
        mapping,
        choices.options,
        name=choices.filename,
        fingerprint=fingerprint(repr(parts).encode()),
    )


def large_sample(file_digest: str, filename: str, _data: bytes) -> tuple[Path, Workbook]:
    """A large upload (:mod:`cvm_core.intake.large_files`) saved to disk once, and its first
    rows as a workbook for the mapping form; nothing else of it is read into memory."""

    def make() -> tuple[Path, Workbook]:
        path = large_files.save_upload(_data, file_digest)
        return path, large_files.sample_workbook(path, filename)

    return _kept("large", (file_digest, filename), make, N_("Saving the file to disk…"))


def build_large(
    file_digest: str, filename: str, path: Path, rows: int, mapping: ColumnMapping
) -> Dataset:
    """The dataset of a large upload: its transactions stay in ``path``, DuckDB reads them."""
    return _kept(
        "large-dataset", _large_key(file_digest, mapping),
        lambda: _build_large(file_digest, filename, path, rows, mapping),
        N_("Checking the file with DuckDB…"),
    )  # fmt: skip


def _large_key(file_digest: str, mapping: ColumnMapping) -> tuple:
    return (file_digest, tuple(mapping.roles.items()))


def _build_large(
    file_digest: str, filename: str, path: Path, rows: int, mapping: ColumnMapping
) -> Dataset:
    key = _large_key(file_digest, mapping)
    return large_files.dataset_from_file(
        path, filename, mapping, fingerprint(repr(key).encode()), rows
    )


def is_summary_file(filename: str, data: bytes) -> bool:
    """Whether an upload is a customer summary written by ``python -m cvm_core summarize``:
    a Parquet file whose metadata carries the summary's settings (a plain Parquet file of
    transactions has none and goes through the column mapping)."""
    return filename.lower().endswith(".parquet") and engines.is_summary_file(data)


def load_summary(file_digest: str, filename: str, _data: bytes) -> Dataset:
    """A summary-only dataset from an uploaded summary file."""

    def make() -> Dataset:
        frame, settings = engines.read_summary(_data, filename)
        return dataset_from_summary(frame, settings, filename, fingerprint=f"summary-{file_digest}")

    return _kept("summary", (file_digest, filename), make, N_("Reading the customer summary…"))


def load_demo(name: str) -> Dataset:
    """The demo dataset ``name`` (:data:`DEMO_RETAIL` or :data:`DEMO_CDNOW`), shared by sessions."""
    with st.spinner(_("Loading the demo data…")):  # shown after 0.5 s only
        return _load_demo(name)


@st.cache_resource(max_entries=2, ttl="2h", show_spinner=False)
def _load_demo(name: str) -> Dataset:
    if name == DEMO_CDNOW:
        return dataset_from_frame(
            cdnow.load_cdnow_transactions(), "CDNOW sample", currency="USD",
            currency_source="from the CDNOW sample's documentation (US dollars)",
        )  # fmt: skip
    # A Message: the sidebar, headings, deck and workbook show the name in the language on screen.
    return dataclasses.replace(demo_workbook.demo_dataset(), name=Message(DEMO_RETAIL))


def read_extra(file_digest: str, filename: str, _data: bytes) -> RawTable:
    """The first table of a separately uploaded customer or cost-to-serve file."""
    return _kept(
        "extra", (file_digest, filename),
        lambda: next(iter(read_workbook(_data, filename).tables.values())), N_("Reading the extra table…"),
    )  # fmt: skip


def with_extra_tables(dataset: Dataset, customers_file, cost_file) -> Dataset:
    """Attach separately uploaded customer-attribute and cost-to-serve files (either may be None)."""
    if customers_file is None and cost_file is None:
        return dataset
    tables, suffix = {}, ""
    for role, upload in (("customers", customers_file), ("cost_to_serve", cost_file)):
        if upload is not None:
            data = upload.getvalue()
            tables[role] = read_extra(digest(data), upload.name, data)
            suffix += digest(data)
    return attach_tables(dataset, fingerprint_suffix=suffix, **tables)
