"""Properties of the intake that must hold for any input (hypothesis).

- Parsing amounts and dates, and reading arbitrary bytes, either succeeds or raises the project's
  own CvmError: never a pandas/zipfile/codec error and never an infinite amount.
- A whole CSV file through read -> map -> validate -> customer summary: every row read is kept or
  rejected (kept + rejected = rows read, each row once), every kept row carries exactly the amount
  written in the file, revenue is preserved from kept rows to the customer summary, and
  0 <= recency <= T for every customer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cvm_core.errors import CvmError
from cvm_core.intake.amounts import parse_amounts
from cvm_core.intake.dataset import load_file
from cvm_core.intake.dates import parse_dates
from cvm_core.intake.io import read_workbook
from cvm_core.intake.summary import customer_summary

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- cells -------------------------------------------------------------------------------------

money = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)


def german(value: Decimal) -> str:
    """1234567.5 -> '1.234.567,50' (always two decimals: the unambiguous German spelling)."""
    text = f"{abs(value):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return ("-" if value < 0 else "") + text


def english(value: Decimal) -> str:
    return f"{value:,.2f}"


def spelled(value: Decimal, style: str, decoration: int) -> str:
    """One of the spellings sales exports use; the decoration never changes the value."""
    text = german(value) if style == "de" else english(value)
    negative = text.startswith("-")
    body = text.lstrip("-")
    if decoration == 1:
        return ("-" if negative else "") + body + " €"
    if decoration == 2:
        return f"({body})" if negative else body
    if decoration == 3:
        return body + "-" if negative else body
    if decoration == 4:
        return ("-" if negative else "") + "EUR " + body
    return text


cell_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789.,-+()€$% eE'", max_size=15),
    st.sampled_from(["inf", "-Infinity", "nan", "NaN", "1e999", "∞", "١٢٣", "½", "", " "]),
)


@SETTINGS
@given(st.lists(st.one_of(cell_text, st.none(), st.floats(), st.integers()), max_size=30))
def test_parse_amounts_succeeds_or_raises_our_error(cells):
    try:
        parsed = parse_amounts(pd.Series(cells, dtype=object))
    except CvmError:
        return
    assert len(parsed.values) == len(cells)
    assert not np.isinf(parsed.values).any()
    # A cell is invalid only if it was filled and could not be read.
    assert not (parsed.invalid & ~np.isnan(parsed.values)).any()


@SETTINGS
@given(st.lists(money, min_size=1, max_size=20), st.sampled_from(["de", "en"]), st.integers(0, 4))
def test_amounts_read_back_exactly_in_either_convention(values, style, decoration):
    cells = [spelled(v, style, decoration) for v in values]
    parsed = parse_amounts(pd.Series(cells, dtype=object)).values
    assert parsed.tolist() == [float(v) for v in values], cells


date_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789./-: TZ年月日", max_size=20),
    st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.sampled_from(["31.02.2024", "0/0/0", "99999", "20231301", "1. Mai 2023", "Okt 2023"]),
)


@SETTINGS
@given(
    st.lists(
        st.one_of(date_text, st.none(), st.floats(), st.integers(), st.datetimes()), max_size=30
    ),
    st.sampled_from(["auto", "dayfirst", "monthfirst"]),
)
def test_parse_dates_succeeds_or_raises_our_error(cells, order):
    try:
        parsed = parse_dates(pd.Series(cells, dtype=object), order, "Date")
    except CvmError:
        return
    assert len(parsed.values) == len(cells)
    assert not (parsed.invalid & ~np.isnat(parsed.values)).any()


@SETTINGS
@given(
    st.sampled_from(["dayfirst", "monthfirst"]),
    st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)), min_size=1, max_size=20),
)
def test_dates_read_back_exactly_once_the_order_is_chosen(order, dates):
    fmt = "%d/%m/%Y" if order == "dayfirst" else "%m/%d/%Y"
    parsed = parse_dates(pd.Series([d.strftime(fmt) for d in dates], dtype=object), order)
    assert [pd.Timestamp(v).date() for v in parsed.values] == dates


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=300).map(lambda b: b"PAR1" + b),
        st.binary(max_size=300).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
        st.text(max_size=300).map(lambda t: t.encode("utf-8")),
        st.text(alphabet=';,\t|"\r\n abc123.-€', max_size=300).map(
            lambda t: t.encode("cp1252", errors="replace")
        ),
    ),
    st.sampled_from(["upload.csv", "upload.xlsx", "upload.parquet", "upload"]),
)
def test_reading_any_bytes_succeeds_or_raises_our_error(data, filename):
    try:
        read_workbook(data, filename)
    except CvmError:
        pass


# --- whole files -------------------------------------------------------------------------------

customer_ids = st.one_of(
    st.sampled_from(["K-1", "K-2", "Müller GmbH", "客户A", "007", "Total Energies SE"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
good_row = st.tuples(
    customer_ids,
    st.dates(dt.date(2020, 1, 1), dt.date(2024, 12, 31)),
    money,
    st.integers(0, 4),
)
bad_row = st.one_of(
    st.just(("", "", "", "")),  # blank
    st.tuples(customer_ids, st.just("someday"), st.just("1,00"), st.just("")),
    # Text with no numeral in it: text like "0" is a valid amount, not a bad row.
    st.tuples(
        customer_ids,
        st.just("01.01.2023"),
        st.text(max_size=6).filter(lambda t: not any(c.isnumeric() for c in t)),
        st.just(""),
    ),
)


@SETTINGS
@given(
    rows=st.lists(st.one_of(good_row, good_row, good_row, bad_row), min_size=1, max_size=40),
    style=st.sampled_from(["de", "en"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "gb18030"]),
    titles=st.integers(0, 2),
    unit=st.sampled_from(["day", "week", "month"]),
)
def test_file_to_customer_summary_accounts_for_every_row_and_cent(
    rows, style, delimiter, encoding, titles, unit
):
    written = []  # (cells, amount or None) per data row, in file order
    for row in rows:
        if isinstance(row[1], dt.date):
            cid, date, amount, decoration = row
            date_text = date.strftime("%d.%m.%Y" if style == "de" else "%Y-%m-%d")
            written.append(([cid, date_text, spelled(amount, style, decoration)], amount))
        else:
            written.append((list(row[:3]), None))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for i in range(titles):
        writer.writerow([f"Sales report {i + 1}", "", ""])
    writer.writerow(["Customer ID", "Date", "Revenue"])
    writer.writerows(cells for cells, _ in written)
    text = buffer.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    try:
        dataset = load_file(data, "sales.csv")
    except CvmError:
        return  # e.g. no usable row at all: our own message, never a crash
    validation = dataset.validation
    tx = dataset.transactions

    # Every row read is kept or rejected, once.
    assert validation.rows_read == len(written)
    assert len(tx) + len(validation.rejected) == validation.rows_read
    first = titles + 2  # row number of the first data row in the file
    seen = sorted(tx["source_row"].tolist() + validation.rejected["Row in file"].tolist())
    assert seen == list(range(first, first + len(written)))

    # Each kept row carries exactly the amount written in its row of the file.
    for source_row, revenue in zip(tx["source_row"], tx["revenue"], strict=True):
        amount = written[source_row - first][1]
        assert amount is not None, f"row {source_row} was not a valid row but was kept"
        assert revenue == float(amount)

    # Revenue is preserved from the kept rows to the customer summary; recency <= T.
    summary = customer_summary(tx, unit=unit)
    assert math.isclose(summary["net_revenue"].sum(), tx["revenue"].sum(), abs_tol=1e-6)
    assert math.isclose(
        summary["revenue"].sum(), tx.loc[~tx["is_return"], "revenue"].sum(), abs_tol=1e-6
    )
    assert (summary["recency"] >= 0).all()
    assert (summary["recency"] <= summary["T"] + 1e-9).all()
    assert set(summary.index) == set(tx["customer_id"])


@pytest.mark.parametrize("unit", ["day", "week", "month"])
@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from("ABCDE"),
            st.dates(dt.date(2022, 1, 1), dt.date(2023, 12, 31)),
            money.filter(lambda v: v != 0),
        ),
        min_size=1,
        max_size=60,
    ),
    st.one_of(st.none(), st.dates(dt.date(2022, 6, 1), dt.date(2024, 6, 1))),
)
def test_summary_preserves_revenue_and_recency_never_exceeds_t(unit, rows, end):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "revenue"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["revenue"] = frame["revenue"].astype(float)
    frame["is_return"] = frame["revenue"] < 0
    in_period = frame if end is None else frame[frame["date"] <= pd.Timestamp(end)]
    assume(not in_period.empty)
    summary = customer_summary(frame, unit=unit, observation_end=None if end is None else str(end))
    assert math.isclose(summary["net_revenue"].sum(), in_period["revenue"].sum(), abs_tol=1e-6)
    assert (summary["recency"] >= 0).all()
    assert (summary["recency"] <= summary["T"] + 1e-9).all()
    assert (summary["frequency"] == (summary["purchase_days"] - 1).clip(lower=0)).all()
