"""Amounts as people type them: currency symbols and codes, thousands separators, decimal commas,
trailing minus and bracketed negatives; the decimal separator is decided only by unambiguous cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.intake.distinct import expand, factorize_column

# --- amounts -----------------------------------------------------------------------------------

_CURRENCY = re.compile(r"(?i)[€$£¥₹\s\u00a0']|\b(?:euros?|eur|usd|gbp|chf|cny|rmb|jpy)\b|元")
# Unambiguous evidence only. "1.500" and "1,234" (one separator, three digits after it, at most
# three before) read either way and count for neither side, so whole thousands cannot outvote
# the cents of "12,50". Two of the same separator mark thousands ("1.234.567": the decimal is
# the comma); both separators mean the last one is the decimal.
_DECIMAL_COMMA_EVIDENCE = re.compile(
    r"^\d{1,3}(?:\.\d{3})+,\d*$"  # 1.234,5
    r"|^\d{1,3}(?:\.\d{3}){2,}$"  # 1.234.567
    r"|^\d*,(?:\d{1,2}|\d{4,})$"  # 12,5  12,50  0,1234  ,5
    r"|^(?:\d{4,}|0),\d{3}$"  # 1234,567  0,500
)
_DECIMAL_POINT_EVIDENCE = re.compile(
    r"^\d{1,3}(?:,\d{3})+\.\d*$"
    r"|^\d{1,3}(?:,\d{3}){2,}$"
    r"|^\d*\.(?:\d{1,2}|\d{4,})$"
    r"|^(?:\d{4,}|0)\.\d{3}$"
)
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "CNY", "₹": "INR"}


@dataclass(frozen=True)
class ParsedColumn:
    """Values parsed from a column, with which cells were filled but could not be read."""

    values: np.ndarray
    invalid: np.ndarray
    note: str = ""


def parse_amounts(column: pd.Series) -> ParsedColumn:
    """Read money or counts written as numbers or as text.

    Handles currency symbols and codes, thousands separators, decimal commas (decided once per column
    from the evidence, so 1.234 is not read as 1234 in one row and 1.234 in another), trailing minus
    (``12,50-``) and parentheses for negatives (``(12.50)``).
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, copy=True)
        infinite = np.isinf(values)
        values[infinite] = np.nan  # no inf may reach a sum or the screen
        return ParsedColumn(values, infinite)
    codes, uniques = factorize_column(column)
    parsed, note = _parse_amount_uniques(pd.Series(uniques, dtype=object))
    parsed[~np.isfinite(parsed)] = np.nan  # "inf", "Infinity", "1e999" are not amounts
    values = expand(codes, parsed, np.nan).astype(float)
    filled = expand(codes, is_filled(uniques), False).astype(bool)
    return ParsedColumn(values, filled & np.isnan(values), note)


def is_filled(uniques: np.ndarray | pd.Index) -> np.ndarray:
    text = pd.Series(uniques, dtype=object).astype(str).str.strip()
    return (text != "").to_numpy() & ~pd.isna(pd.Series(uniques, dtype=object)).to_numpy()


def _parse_amount_uniques(uniques: pd.Series) -> tuple[np.ndarray, str]:
    is_text = uniques.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    values = pd.to_numeric(uniques.where(~is_text), errors="coerce").to_numpy(dtype=float)
    if not is_text.any():
        return values, ""
    text = uniques[is_text].astype(str).str.strip()
    decimal_comma = _uses_decimal_comma(text)
    if decimal_comma:
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        plain = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(plain, errors="coerce")  # fast path: most cells are plain numbers
    messy = numbers.isna() & (text != "")
    if messy.any():
        numbers[messy] = _parse_messy_amounts(plain[messy])
    values[is_text] = numbers.to_numpy(dtype=float)
    return values, "decimal comma" if decimal_comma else ""


def _uses_decimal_comma(text: pd.Series) -> bool:
    """One decision per column, from a sample: 1.234,50 and 12,5 say comma; 1,234.50 and 12.5 say point."""
    sample = text.sample(min(len(text), 5000), random_state=0) if len(text) > 5000 else text
    sample = sample.str.replace(_CURRENCY, "", regex=True).str.strip("()+-−%")
    commas = sample.str.match(_DECIMAL_COMMA_EVIDENCE).sum()
    points = sample.str.match(_DECIMAL_POINT_EVIDENCE).sum()
    return bool(commas > points)


def _parse_messy_amounts(plain: pd.Series) -> pd.Series:
    """Currency symbols and codes, (12.50) and 12.50- negatives, percent signs."""
    cleaned = plain.str.replace(_CURRENCY, "", regex=True).str.replace("−", "-", regex=False)
    negative = (
        cleaned.str.match(r"^\(.*\)$") | cleaned.str.endswith("-") | cleaned.str.startswith("-")
    )
    numbers = pd.to_numeric(cleaned.str.strip("()+-").str.rstrip("%"), errors="coerce")
    return numbers.where(~negative, -numbers)


def detect_currency(column: pd.Series, header: str = "") -> str | None:
    """The currency written in a column's cells or its header, if any (EUR, USD, ...)."""
    head = " ".join(column.head(200).astype(str).tolist()) + " " + header
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in head:
            return code
    found = re.search(r"(?i)\b(EUR|EUROS?|USD|GBP|CHF|CNY|RMB|JPY)\b", head)
    if found:
        code = found.group(1).upper()
        return {"RMB": "CNY", "EURO": "EUR", "EUROS": "EUR"}.get(code, code)
    return None
