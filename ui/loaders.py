"""Cached reading and dataset building for the Upload page.

Cached as resources (shared, not copied on every hit): workbooks and datasets are large and the core
never mutates them. Keys are the upload's digest plus every setting that changes the result.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from cvm_core.intake import cdnow, demo_workbook, engines
from cvm_core.intake.dataset import (
    Dataset,
    SheetRoles,
    attach_tables,
    build_dataset,
    dataset_from_frame,
    dataset_from_summary,
    load_file,
)
from cvm_core.intake.fingerprint import fingerprint
from cvm_core.intake.io import RawTable, Workbook, read_workbook
from cvm_core.intake.schema import ColumnMapping
from cvm_core.intake.validate import ValidationOptions

DEMO_RETAIL = "Demo retail (4,000 customers, 3 years)"
DEMO_CDNOW = "CDNOW sample (real, 2,357 customers, 1997-98)"


def digest(data: bytes) -> str:
    return fingerprint(data)


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def read(
    file_digest: str, filename: str, header_rows: tuple[tuple[str, int], ...], _data: bytes
) -> Workbook:
    return read_workbook(_data, filename, dict(header_rows))


@st.cache_resource(max_entries=4, show_spinner="Checking every row…")
def build(
    file_digest: str,
    filename: str,
    header_rows: tuple[tuple[str, int], ...],
    sheets: SheetRoles,
    mapping_items: tuple[tuple[str, str], ...],
    attributes: tuple[str, ...],
    options: ValidationOptions,
    _data: bytes,
    channel_items: tuple[tuple[str, str], ...] = (),
) -> Dataset:
    workbook = read(file_digest, filename, header_rows, _data)
    mapping = ColumnMapping(dict(mapping_items), attributes, dict(channel_items))
    # The same bytes read another way (header row, sheet, mapping, options) are another dataset.
    parts = (file_digest, header_rows, sheets, mapping_items, options)
    if channel_items:  # appended only when set, so earlier fingerprints stay valid
        parts += (channel_items,)
    key = fingerprint(repr(parts).encode())
    return build_dataset(workbook, sheets, mapping, options, name=filename, fingerprint=key)


def is_summary_file(filename: str, data: bytes) -> bool:
    """Whether an upload is a customer summary written by ``python -m cvm_core summarize``:
    a Parquet file whose metadata carries the summary's settings (a plain Parquet file of
    transactions has none and goes through the column mapping)."""
    return filename.lower().endswith(".parquet") and engines.is_summary_file(data)


@st.cache_resource(max_entries=2, show_spinner="Reading the customer summary…")
def load_summary(file_digest: str, filename: str, _data: bytes) -> Dataset:
    """A summary-only dataset from an uploaded summary file."""
    frame, settings = engines.read_summary(_data, filename)
    return dataset_from_summary(frame, settings, filename, fingerprint=f"summary-{file_digest}")


@st.cache_resource(max_entries=2, show_spinner="Loading the demo data…")
def load_demo(name: str) -> Dataset:
    if name == DEMO_CDNOW:
        return dataset_from_frame(
            cdnow.load_cdnow_transactions(), "CDNOW sample", currency="USD",
            currency_source="from the CDNOW sample's documentation (US dollars)",
        )  # fmt: skip
    data = demo_workbook.DEMO_WORKBOOK_PATH.read_bytes()
    return dataclasses.replace(
        load_file(data, demo_workbook.DEMO_WORKBOOK_PATH.name), name=DEMO_RETAIL
    )


@st.cache_resource(max_entries=4, show_spinner="Reading the extra table…")
def read_extra(file_digest: str, filename: str, _data: bytes) -> RawTable:
    """The first table of a separately uploaded customer or cost-to-serve file."""
    return next(iter(read_workbook(_data, filename).tables.values()))


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
