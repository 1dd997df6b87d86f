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

_CURRENCY = re.compile(
    r"(?i)[€$£¥₹円\s\u00a0']|(?<![a-z])fr\.|人民币|元"
    r"|(?<![a-z])(?:euros?|eur|usd|gbp|chf|cny|rmb|jpy|inr|us|dollars?|yuan|yen|franken)(?![a-z])"
)
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


# "1.500" alone: 1500 in a German file, 1.5 in an English one (see parse_amounts).
_DOT_THREE_DIGITS = re.compile(r"^\d{1,3}\.\d{3}$")
_WHOLE_NUMBER = re.compile(r"^\d+$")


@dataclass(frozen=True)
class ParsedColumn:
    """Values parsed from a column, with which cells were filled but could not be read.

    ``ambiguous_dots`` is one of the column's cells (e.g. "1.500") when every amount written
    with a separator had one dot and three digits after it: nothing in the column says whether the
    dot groups thousands or marks decimals, so the caller's ``dots_group_thousands`` decided.
    """

    values: np.ndarray
    invalid: np.ndarray
    note: str = ""
    ambiguous_dots: str = ""
    currencies: np.ndarray | None = None
    """Per row, the ISO code of the currency its cell names ("EUR 10.00" -> "EUR"), None where
    the cell names none; None as a whole when no cell names one."""


def parse_amounts(column: pd.Series, dots_group_thousands: bool = False) -> ParsedColumn:
    """Read money or counts written as numbers or as text.

    Handles currency symbols and codes, thousands separators, decimal commas (decided once per column
    from the evidence, so 1.234 is not read as 1234 in one row and 1.234 in another), trailing minus
    (``12,50-``) and parentheses for negatives (``(12.50)``).

    Parameters
    ----------
    column : Series
    dots_group_thousands : bool
        How to read a column whose only separators are single dots with three digits after them
        ("1.500", "2.250"): True reads 1500 and 2250 (a German file), False 1.5 and 2.25. The
        column cannot tell; the rest of the file can (see
        :func:`cvm_core.intake.validate.validate_transactions`). Such a column is flagged in
        ``ParsedColumn.ambiguous_dots``.
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, copy=True)
        infinite = np.isinf(values)
        values[infinite] = np.nan  # no inf may reach a sum or the screen
        return ParsedColumn(values, infinite)
    codes, uniques = factorize_column(column)
    parsed, note, ambiguous, marks = _parse_amount_uniques(
        pd.Series(uniques, dtype=object), dots_group_thousands
    )
    parsed[~np.isfinite(parsed)] = np.nan  # "inf", "Infinity", "1e999" are not amounts
    values = expand(codes, parsed, np.nan).astype(float)
    filled = expand(codes, is_filled(uniques), False).astype(bool)
    currencies = expand(codes, marks, None) if marks is not None else None
    return ParsedColumn(values, filled & np.isnan(values), note, ambiguous, currencies)


def is_filled(uniques: np.ndarray | pd.Index) -> np.ndarray:
    text = pd.Series(uniques, dtype=object).astype(str).str.strip()
    return (text != "").to_numpy() & ~pd.isna(pd.Series(uniques, dtype=object)).to_numpy()


def _parse_amount_uniques(
    uniques: pd.Series, dots_group_thousands: bool
) -> tuple[np.ndarray, str, str, np.ndarray | None]:
    """Values, decimal-comma note, ambiguous example and currency codes of distinct cells."""
    is_text = uniques.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    values = pd.to_numeric(uniques.where(~is_text), errors="coerce").to_numpy(dtype=float)
    if not is_text.any():
        return values, "", "", None
    text = uniques[is_text].astype(str).str.strip()
    decimal_comma, ambiguous = _decimal_separator(text)
    if ambiguous:
        decimal_comma = dots_group_thousands  # a dot that groups thousands is German usage
    if decimal_comma:
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        plain = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(plain, errors="coerce")  # fast path: most cells are plain numbers
    messy = numbers.isna() & (text != "")
    marks = None
    if messy.any():
        numbers[messy] = _parse_messy_amounts(plain[messy])
        found = _currency_codes(text[messy])
        if found.notna().any():
            marks = np.full(len(uniques), None, dtype=object)
            marks[np.flatnonzero(is_text)[messy.to_numpy()]] = found.to_numpy(dtype=object)
    values[is_text] = numbers.to_numpy(dtype=float)
    note = "decimal comma" if decimal_comma and not ambiguous else ""
    return values, note, ambiguous, marks


def _currency_codes(cells: pd.Series) -> pd.Series:
    """The currency each cell names (None where none), looked for once per shape: without its
    digits "1.234,50 €" is ".,  €", and a column of a million amounts has a handful of shapes."""
    shapes = cells.str.replace(r"\d+", "", regex=True)
    codes, distinct = pd.factorize(shapes)
    per_shape = np.array([(_find_mark(shape) or (None,))[0] for shape in distinct], dtype=object)
    return pd.Series(expand(codes, per_shape, None), index=cells.index, dtype=object)


def uses_decimal_comma(text: pd.Series) -> bool:
    """One decision per column, from a sample: 1.234,50 and 12,5 say comma; 1,234.50 and 12.5 say point."""
    return _decimal_separator(text)[0]


def _decimal_separator(text: pd.Series) -> tuple[bool, str]:
    """Whether the column uses a decimal comma (one decision per column, from a sample: 1.234,50
    and 12,5 say comma; 1,234.50 and 12.5 say point), and an example cell when it cannot tell.

    Without evidence either way a column is read with a decimal point, except when every cell
    with a separator is like "1.500" (see :data:`_DOT_THREE_DIGITS`): then the example is
    returned and the caller decides from the rest of the file.
    """
    sample = text.sample(min(len(text), 5000), random_state=0) if len(text) > 5000 else text
    sample = sample.str.replace(_CURRENCY, "", regex=True).str.strip("()+-−%")
    commas = sample.str.match(_DECIMAL_COMMA_EVIDENCE).sum()
    points = sample.str.match(_DECIMAL_POINT_EVIDENCE).sum()
    if commas or points:
        return bool(commas > points), ""
    dotted = sample.str.match(_DOT_THREE_DIGITS)
    filled = sample != ""
    if dotted.any() and (dotted | sample.str.match(_WHOLE_NUMBER) | ~filled).all():
        return False, str(sample[dotted].iloc[0])
    return False, ""


def _parse_messy_amounts(plain: pd.Series) -> pd.Series:
    """Currency symbols and codes, (12.50) and 12.50- negatives, percent signs."""
    cleaned = plain.str.replace(_CURRENCY, "", regex=True).str.replace("−", "-", regex=False)
    negative = (
        cleaned.str.match(r"^\(.*\)$") | cleaned.str.endswith("-") | cleaned.str.startswith("-")
    )
    numbers = pd.to_numeric(cleaned.str.strip("()+-").str.rstrip("%"), errors="coerce")
    return numbers.where(~negative, -numbers)


# Leftmost match wins, and at one position the alternatives are tried in order: "US$" before
# "$", "美元" (US dollar) before "元" (yuan). Latin words and codes must stand alone ("EUR12,50"
# counts, "Europa" and "Eurasia" do not), hence letter lookarounds instead of \b, which is not a
# boundary between a code and a digit.
_CURRENCY_MARKS: tuple[tuple[str, str, str], ...] = (
    # (pattern, ISO code, kind: "symbol" | "code" | "word")
    (r"US\$", "USD", "symbol"),
    (r"美元", "USD", "symbol"),
    (r"欧元", "EUR", "symbol"),
    (r"英镑", "GBP", "symbol"),
    (r"日元|円", "JPY", "symbol"),
    (r"人民币", "CNY", "word"),
    (r"元", "CNY", "symbol"),
    (r"€", "EUR", "symbol"),
    (r"\$", "USD", "symbol"),
    (r"£", "GBP", "symbol"),
    (r"¥", "CNY", "symbol"),
    (r"₹", "INR", "symbol"),
    (r"(?<![A-Za-z])Fr\.", "CHF", "symbol"),
    (r"(?i:(?<![a-z])(?:eur|usd|gbp|chf|cny|rmb|jpy|inr)(?![a-z]))", "", "code"),
    (r"(?i:(?<![a-z])(?:euros?|dollars?|pounds?|franken|yuan|yen)(?![a-z]))", "", "word"),
)
_WORD_CODES = {
    "euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD", "pound": "GBP",
    "pounds": "GBP", "franken": "CHF", "yuan": "CNY", "yen": "JPY", "rmb": "CNY",
}  # fmt: skip
_CURRENCY_MARK = re.compile("|".join(f"({pattern})" for pattern, _, _ in _CURRENCY_MARKS))


@dataclass(frozen=True)
class CurrencyGuess:
    """A currency found in a file, and where: ``source`` is a phrase for the user, e.g.
    "from the column header 'dollars'" or "from the symbol $ in the amounts"."""

    code: str
    source: str


def _find_mark(text: str) -> tuple[str, str, str] | None:
    """(ISO code, the text found, its kind) of the first currency mark in ``text``."""
    found = _CURRENCY_MARK.search(text)
    if found is None:
        return None
    index = found.lastindex - 1
    pattern_code, kind = _CURRENCY_MARKS[index][1:]
    token = found.group(0)
    code = pattern_code or _WORD_CODES.get(token.lower(), token.upper())
    return code, token, kind


def guess_currency(column: pd.Series | None, header: str = "") -> CurrencyGuess | None:
    """The currency a money column names in its header or its cells, and where it was read.

    The header counts first ("Umsatz (€)", "金额(元)", "dollars"): it names the whole column,
    while a symbol in a cell may be a stray one. Cells are read from the first 200 filled text
    cells (numbers carry no currency).

    Parameters
    ----------
    column : Series, optional
        The column's cells as read from the file.
    header : str
        The column's header as written.

    Returns
    -------
    CurrencyGuess or None
        None when neither names a currency.

    Examples
    --------
    >>> guess_currency(None, "dollars")
    CurrencyGuess(code='USD', source="from the column header 'dollars'")
    """
    mark = _find_mark(str(header)) if header else None
    if mark is not None:
        return CurrencyGuess(mark[0], f"from the column header '{header}'")
    if column is None or pd.api.types.is_numeric_dtype(column):
        return None
    cells = column.dropna().head(200).astype(str)
    mark = _find_mark(" ".join(cells.tolist()))
    if mark is None:
        return None
    code, token, kind = mark
    what = f"the {kind} {token}" if kind != "word" else f"the word '{token}'"
    return CurrencyGuess(code, f"from {what} in the amounts")


def detect_currency(column: pd.Series, header: str = "") -> str | None:
    """The currency written in a column's cells or its header, if any (EUR, USD, ...).

    See :func:`guess_currency`, which also says where it was read.
    """
    guess = guess_currency(column, header)
    return guess.code if guess else None
