"""Dates as they come: ISO, day-first and month-first (asks when it cannot tell), Excel serial
numbers, German month names, with or without times.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from cvm_core.errors import AmbiguousDateOrderError
from cvm_core.i18n import N_, Message
from cvm_core.intake.amounts import ParsedColumn, is_filled
from cvm_core.intake.distinct import expand, factorize_column

# --- dates -------------------------------------------------------------------------------------

# Shape of a date's text -> strptime format; the two slash shapes depend on the day/month order.
_DATE_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"), "%Y/%m/%d"),
    (re.compile(r"^\d{4}\.\d{1,2}\.\d{1,2}$"), "%Y.%m.%d"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2}$"), "%d.%m.%y"),
    (re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$"), "%Y年%m月%d日"),
    (re.compile(r"^\d{1,2}[/-]\d{1,2}[/-]\d{4}$"), "slash4"),
    (re.compile(r"^\d{1,2}[/-]\d{1,2}[/-]\d{2}$"), "slash2"),
    (re.compile(r"^\d{5}(?:\.\d+)?$"), "serial"),
]
_TIME_PART = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?Z?)$")
# Lower case on purpose: the free-form parser's sanity check looks for three lower-case letters.
_GERMAN_MONTHS = {
    "januar": "january",
    "jänner": "january",
    "februar": "february",
    "märz": "march",
    "maerz": "march",
    "mai": "may",
    "juni": "june",
    "juli": "july",
    "oktober": "october",
    "dezember": "december",
    "okt": "oct",
    "dez": "dec",
    "mär": "mar",
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_ORDERS = ("auto", "dayfirst", "monthfirst")

EARLIEST_DATE = pd.Timestamp("1990-01-01")
"""Rows dated before this are set aside at validation. Sales exports hardly reach back this far,
while the dates a blank or slipped cell turns into do: Excel's day zero 1899-12-30, 1900-01-01,
a year typed 1024."""

LATEST_DAYS_AHEAD = 366
"""Rows dated more than this many days after today are set aside as mistyped (2099 for 2019, 2204
for 2024); orders booked a few months ahead for delivery stay in."""


MAX_DATED_REASONS = 20
"""Out-of-range dates each get a reason naming the date (the reason table then shows 1899-12-30 at
a glance), up to this many distinct dates; beyond that one reason without a date covers them."""


def latest_plausible_date(today: dt.date | None = None) -> pd.Timestamp:
    """The last date a row may carry: :data:`LATEST_DAYS_AHEAD` days after today."""
    return pd.Timestamp(today or dt.date.today()) + pd.Timedelta(days=LATEST_DAYS_AHEAD)


def implausible_date_reasons(
    dates: np.ndarray, candidates: np.ndarray, today: pd.Timestamp
) -> list[tuple[np.ndarray, Callable[[np.datetime64], str]]]:
    """Rows among ``candidates`` dated before :data:`EARLIEST_DATE` or after
    :func:`latest_plausible_date`: (rows, the reason for a row's date) for each of the two."""
    early = candidates & (dates < np.datetime64(EARLIEST_DATE, "ns"))  # NaT compares False
    late = candidates & (dates > np.datetime64(latest_plausible_date(today.date()), "ns"))
    out = []
    for rows, kind in ((early, "early"), (late, "late")):
        if rows.any():
            named = len(np.unique(dates[rows])) <= MAX_DATED_REASONS
            out.append((rows, partial(_reason_of, kind=kind, named=named, today=today)))
    return out


def _reason_of(value: np.datetime64, kind: str, named: bool, today: pd.Timestamp) -> str:
    return implausible_date_reason(kind, pd.Timestamp(value) if named else None, today)


def implausible_date_reason(kind: str, day: pd.Timestamp | None, today: pd.Timestamp) -> str:
    """Why a row's date is set aside: ``kind`` "early" (before :data:`EARLIEST_DATE`) or "late"
    (too far after ``today``), naming ``day`` when given.

    Examples
    --------
    >>> implausible_date_reason("early", pd.Timestamp("1899-12-30"), pd.Timestamp("2026-12-04"))
    'date 1899-12-30 is before 1990: probably a blank or mistyped date'
    >>> implausible_date_reason("early", None, pd.Timestamp("2026-12-04"))
    'date before 1990: probably a blank or mistyped date'
    """
    year, today_text = f"{EARLIEST_DATE:%Y}", f"{today:%Y-%m-%d}"
    if day is None:
        if kind == "early":
            return Message(N_("date before {year}: probably a blank or mistyped date"), year=year)
        return Message(N_("date more than a year after today ({today}): probably a mistyped date"), today=today_text)  # fmt: skip
    date = f"{day:%Y-%m-%d}"
    if kind == "early":
        return Message(N_("date {date} is before {year}: probably a blank or mistyped date"), date=date, year=year)  # fmt: skip
    return Message(N_("date {date} is more than a year after today ({today}): probably a mistyped date"), date=date, today=today_text)  # fmt: skip


def parse_dates(column: pd.Series, order: str = "auto", column_name: str = "") -> ParsedColumn:
    """Read dates in any of the usual spellings, one day-first/month-first decision per column.

    Parameters
    ----------
    column : Series
        Strings, datetimes, dates or Excel serial numbers, mixed freely.
    order : {"auto", "dayfirst", "monthfirst"}
        How to read 03/04/2024. With "auto" the column's own values decide (a first part above 12 means
        day-first); if nothing decides, :class:`AmbiguousDateOrderError` asks the user.

    Returns
    -------
    ParsedColumn
        ``values`` are datetime64 at day resolution (times of day dropped); unreadable cells are NaT.
    """
    if pd.api.types.is_datetime64_any_dtype(column):
        values = pd.to_datetime(column).dt.tz_localize(None) if column.dt.tz else column
        return ParsedColumn(values.dt.normalize().to_numpy(), np.zeros(len(column), bool))
    codes, uniques = factorize_column(column)
    parsed, note = _parse_date_uniques(pd.Series(uniques, dtype=object), order, column_name)
    values = np.where(
        codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else None, np.datetime64("NaT")
    )
    values = values.astype("datetime64[ns]")
    filled = expand(codes, is_filled(uniques), False).astype(bool)
    return ParsedColumn(values, filled & np.isnat(values), note)


def _parse_date_uniques(uniques: pd.Series, order: str, column_name: str) -> tuple[np.ndarray, str]:
    out = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    is_text = uniques.map(lambda v: isinstance(v, str))
    is_number = uniques.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    others = ~is_text & ~is_number
    if others.any():  # datetime / date objects from a workbook
        out[others] = pd.to_datetime(uniques[others], errors="coerce")
    if is_number.any():
        out[is_number] = _from_excel_serial(uniques[is_number].astype(float))
    note = ""
    if is_text.any():
        text = uniques[is_text].astype(str).str.strip().str.replace(_TIME_PART, "", regex=True)
        parsed, note = _parse_date_text(text, order, column_name)
        out[is_text] = parsed
    return out.dt.normalize().to_numpy(dtype="datetime64[ns]"), note


def _from_excel_serial(numbers: pd.Series) -> pd.Series:
    # 1954..2119 as serials; outside that a number is not a plausible sales date.
    plausible = numbers.between(20_000, 80_000)
    days = pd.to_timedelta(numbers.where(plausible), unit="D")
    return (_EXCEL_EPOCH + days).where(plausible)


def _parse_date_text(text: pd.Series, order: str, column_name: str) -> tuple[pd.Series, str]:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    remaining = pd.Series(True, index=text.index)
    note = ""
    for pattern, fmt in _DATE_SHAPES:
        matches = remaining & text.str.match(pattern)
        if not matches.any():
            continue
        remaining &= ~matches
        values = text[matches]
        if fmt == "serial":
            out[matches] = _from_excel_serial(values.astype(float))
            continue
        if fmt.startswith("slash"):
            day_first = _decide_day_first(values, order, column_name)
            note = "day-first" if day_first else "month-first"
            values = values.str.replace("-", "/", regex=False)
            year = "%Y" if fmt == "slash4" else "%y"
            fmt = f"%d/%m/{year}" if day_first else f"%m/%d/{year}"
        elif fmt.startswith("%d.%m") and not note:
            # Dotted dates are day-first wherever they are written (31.12.2024); say so rather
            # than ask, since a month-first dotted date is not a convention anywhere.
            note = "day-first (dates with dots, like 03.04.2024, are written day-first)"
        out[matches] = pd.to_datetime(values, format=fmt, errors="coerce")
    if remaining.any():  # text months and other free forms
        out[remaining] = _parse_free_form(text[remaining], order)
    return out, note


def _decide_day_first(values: pd.Series, order: str, column_name: str) -> bool:
    if order != "auto":
        return order == "dayfirst"
    parts = values.str.extract(r"^(\d{1,2})[/-](\d{1,2})").astype(int)
    first_is_day = int((parts[0] > 12).sum())
    second_is_day = int((parts[1] > 12).sum())
    if first_is_day or second_is_day:
        return first_is_day >= second_is_day
    if (parts[0] == parts[1]).all():
        return True  # 01/01, 02/02 ...: both readings give the same dates
    raise AmbiguousDateOrderError(column_name or "date", values.head(6).tolist())


def _parse_free_form(text: pd.Series, order: str) -> pd.Series:
    lowered = text.str.lower()
    for german, english in _GERMAN_MONTHS.items():
        lowered = lowered.str.replace(rf"\b{german}\b", english, regex=True)
    lowered = lowered.str.replace(r"(\d)\.(?=\s)", r"\1", regex=True)  # "12. März" -> "12 March"
    parsed = pd.to_datetime(
        lowered, format="mixed", dayfirst=order != "monthfirst", errors="coerce"
    )
    # Free-form parsing accepts bare numbers and words as dates; insist on a month or a year in them.
    sensible = lowered.str.contains(r"[a-z]{3}", regex=True) & lowered.str.contains(
        r"\d", regex=True
    )
    return parsed.where(sensible)
