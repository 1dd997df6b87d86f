"""Validation: every row read is kept as a transaction or rejected with a reason and its row number.

Kept + rejected always equals the rows read; nothing is dropped silently. Returns are kept (as
negative revenue), not rejected: they are part of a customer's value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message
from cvm_core.intake.amount_columns import AmountColumns, other_currencies
from cvm_core.intake.dates import implausible_date_reasons, parse_dates
from cvm_core.intake.distinct import expand, factorize_column
from cvm_core.intake.formulas import unsaved_formula_rows
from cvm_core.intake.io import RawTable
from cvm_core.intake.messages import DATE_ORDER_NOTES, Joined, nothing_kept_message
from cvm_core.intake.schema import TRANSACTION_ROLES, ColumnMapping, clean_ids, parse_flags

MAX_ABS_AMOUNT = 1e12
"""Rows whose amount (or cost) is larger than this, either way, are set aside. No sales line is
worth a trillion: such a number is a slip, an id or a barcode in the wrong column, and 1e308 would
overflow every sum it enters to infinity."""

# Reasons, in the order they are checked: a row gets the first that applies. Each is a Message:
# the English text in the rows set aside (and their download), the reader's language on the page.
FORMULA = Message(
    N_("formula without a saved result (the file was not saved by Excel): open the file in Excel, "
       "save it, and upload again")
)  # fmt: skip
BLANK = Message(N_("blank row"))
TOTALS = Message(N_("totals or subtotal row"))
MISSING_ID = Message(N_("missing customer id"))
MISSING_DATE = Message(N_("missing date"))
BAD_DATE = Message(N_("unreadable date"))
# Then dates out of range, naming the date (see dates.implausible_date_reasons):
#   "date 1899-12-30 is before 1990: probably a blank or mistyped date"
#   "date 2099-01-01 is more than a year after today (2026-12-04): probably a mistyped date"
MISSING_AMOUNT = Message(N_("missing amount"))
BAD_AMOUNT = Message(N_("amount is not a number"))
HUGE_AMOUNT = Message(
    N_("amount over {limit} (plus or minus): probably a mistyped number, or an id or a code in "
       "the amount column"),
    limit=int(MAX_ABS_AMOUNT),
)  # fmt: skip
BAD_COST = Message(N_("cost of goods is not a number"))
HUGE_COST = Message(N_("cost of goods over {limit} (plus or minus): probably a mistyped number"), limit=int(MAX_ABS_AMOUNT))  # fmt: skip
AFTER_END = Message(N_("date after the observation end"))
DUPLICATE = Message(N_("duplicate of an earlier row (same values in every column)"))

_TOTALS_WORD_LIST = (
    r"grand\s*total",
    r"sub-?total",
    "total",
    "totals",
    "sum",
    "summe",
    "gesamt",
    "gesamtsumme",
    "zwischensumme",
    "endsumme",
    "合计",
    "总计",
    "小计",
)
_TOTALS_WORDS = "(?:" + "|".join(_TOTALS_WORD_LIST) + ")"
_TOTALS = re.compile(rf"(?i)^\s*{_TOTALS_WORDS}\b")
# The label alone (perhaps with a colon): "Summe", "Total:", "合计". "Total Energies SE" is a name.
_TOTALS_ONLY = re.compile(rf"(?i)^\s*{_TOTALS_WORDS}\s*:?\s*$")
# Every totals word starts with two literal letters, so a label whose first character is not a space
# can only match when its first two characters match one of these (same case folding as above).
# Millions of order ids ("SO-000001") are ruled out by their first two characters without a regex.
_TOTALS_PREFIXES = tuple(sorted({word[:2] for word in _TOTALS_WORD_LIST}))
assert all(prefix.isalpha() for prefix in _TOTALS_PREFIXES), (
    "a totals word must start with 2 letters"
)
_TOTALS_PREFIX = re.compile("(?i)(?:" + "|".join(_TOTALS_PREFIXES) + ")")
_TEXT_ROLES = ("order_id", "product", "category", "channel")
_NEEDED_ROLES = ("customer_id", "date", "revenue", "quantity", "unit_price")


@dataclass(frozen=True)
class ValidationOptions:
    """Settings that decide which rows are kept.

    Attributes
    ----------
    date_order : {"auto", "dayfirst", "monthfirst"}
        How to read dates like 03/04/2024 (see :func:`cvm_core.intake.schema.parse_dates`).
    observation_end : Timestamp, optional
        Rows after this date are rejected; default: keep all.
    drop_duplicates : {"auto", True, False}
        Reject rows identical in every cell to an earlier row (a copy-paste error). "auto" does so
        only when an order id is mapped: without one, two identical rows are as likely two real
        purchases of the same thing on the same day (CDNOW has 21 such rows).
    """

    date_order: str = "auto"
    observation_end: pd.Timestamp | None = None
    drop_duplicates: bool | str = "auto"


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of validation.

    Attributes
    ----------
    transactions : DataFrame
        Canonical columns: customer_id, date, revenue (negative for returns), is_return, source_row,
        and where mapped: order_id, quantity, unit_price, cost, product, category, channel, then the
        attribute columns under their own names.
    rejected : DataFrame
        ``Row in file``, ``Reason`` and the original cells of every rejected row.
    rows_read : int
    notes : tuple of str
    """

    transactions: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    notes: tuple[str, ...] = ()
    currency: str = ""
    """When the amount cells name more than one currency: the one kept (the header's, else the
    one most rows are in); the others' rows are rejected. "" otherwise."""

    def reason_counts(self) -> pd.Series:
        """Rejected rows per reason, most frequent first."""
        return self.rejected["Reason"].value_counts()


def validate_transactions(
    table: RawTable, mapping: ColumnMapping, options: ValidationOptions | None = None
) -> ValidationResult:
    """Turn a raw table into canonical transactions, accounting for every row.

    Raises
    ------
    MappingError-like ValidationError
        When a required role has no column, or when no row survives (the message names the
        most common reasons).
    AmbiguousDateOrderError
        When the date column reads equally well day-first and month-first.
    """
    options = options or ValidationOptions()
    _check_required(mapping, table)
    frame = table.frame
    checks = _RowChecks(len(frame))
    notes: list[str] = []

    if frame.empty:
        raise ValidationError(Message(
            N_("'{name}' has only a header row and no data rows below it. Export the data "
               "again with its rows, or pick the sheet that holds the transactions."),
            name=table.name,
        ))  # fmt: skip
    dates = parse_dates(frame[mapping.roles["date"]], options.date_order, mapping.roles["date"])
    unsaved, formula_notes = unsaved_formula_rows(table, mapping.roles, _NEEDED_ROLES)
    checks.reject(unsaved, FORMULA)
    notes += formula_notes
    checks.reject(_blank_rows(frame, mapping), BLANK)
    checks.reject(_totals_rows(frame, mapping, np.isnat(dates.values)), TOTALS)
    customer_id = clean_ids(frame[mapping.roles["customer_id"]])
    checks.reject(customer_id.isna().to_numpy(), MISSING_ID)

    checks.reject(np.isnat(dates.values) & ~dates.invalid, MISSING_DATE)
    checks.reject(dates.invalid, BAD_DATE)
    today = pd.Timestamp(dt.date.today())
    for rows, reason_of in implausible_date_reasons(dates.values, checks.kept(), today):
        checks.reject_each(rows, dates.values, reason_of)
    if dates.note:
        notes.append(DATE_ORDER_NOTES[dates.note])

    amounts = AmountColumns(table, dates.note)
    revenue, revenue_invalid, revenue_notes = _revenue(frame, mapping, amounts)
    notes += revenue_notes
    checks.reject(np.isnan(revenue) & ~revenue_invalid, MISSING_AMOUNT)
    checks.reject(revenue_invalid, BAD_AMOUNT)
    checks.reject(np.abs(revenue) > MAX_ABS_AMOUNT, HUGE_AMOUNT)  # NaN compares False
    currency, currency_notes = _reject_other_currencies(checks, mapping, amounts)
    notes += currency_notes
    cost = _cost(frame, mapping, revenue, amounts)
    checks.reject(cost.invalid, BAD_COST)
    checks.reject(np.abs(cost.values) > MAX_ABS_AMOUNT, HUGE_COST)

    if options.observation_end is not None:
        end = np.datetime64(pd.Timestamp(options.observation_end).normalize(), "ns")
        checks.reject(dates.values > end, AFTER_END)
    duplicates = _duplicate_rows(frame) & checks.kept()
    drop = options.drop_duplicates
    if drop is True or (drop == "auto" and "order_id" in mapping.roles):
        checks.reject(duplicates, DUPLICATE)
    elif duplicates.any():
        notes.append(Message(
            N_("{n} rows are identical to an earlier row; they were kept as repeat purchases "
               "because there is no order id to tell them from copies."),
            n=int(duplicates.sum()),
        ))  # fmt: skip

    kept = checks.kept()
    if not kept.any():
        raise ValidationError(
            nothing_kept_message(pd.Series(checks.reasons()), checks.names, len(frame), table.name),
            rejected=_rejected_rows(frame, checks, table.source_rows),
        )
    notes += amounts.notes
    transactions = _canonical(
        frame,
        mapping,
        kept,
        customer_id,
        dates.values,
        revenue,
        cost.values,
        table.source_rows,
        amounts,
    )
    n_returns = int(transactions["is_return"].sum())
    if n_returns:
        notes.append(Message(N_("{n} return rows kept as negative revenue."), n=n_returns))
    n_zero = int((transactions["revenue"] == 0).sum())
    if n_zero == 1:
        notes.append(Message(N_("1 row has an amount of 0; it counts as a purchase with no revenue.")))  # fmt: skip
    elif n_zero:
        notes.append(Message(N_("{n} rows have an amount of 0; they count as purchases with no revenue."), n=n_zero))  # fmt: skip
    rejected = _rejected_rows(frame, checks, table.source_rows)
    return ValidationResult(transactions, rejected, len(frame), tuple(notes), currency)


class _RowChecks:
    """First reason wins: a row rejected as blank is not also counted as missing its id.

    Reasons are kept as small integer codes (0 = kept): comparing an object array of strings on
    every check cost about 0.5 s at 10M rows.
    """

    def __init__(self, n: int):
        self.codes = np.zeros(n, np.uint16)
        self.names = [""]

    def code(self, reason: str) -> int:
        if reason not in self.names:
            self.names.append(reason)
        return self.names.index(reason)

    def reject(self, mask: np.ndarray, reason: str) -> None:
        self.codes[(self.codes == 0) & mask] = self.code(reason)

    def reject_each(self, mask: np.ndarray, values: np.ndarray, reason_of) -> None:
        """Reject the rows in ``mask`` with a reason naming each row's value: ``reason_of(value)``.

        One pass over the rows whatever the number of distinct values (they are few: the same
        mistyped dates repeat).
        """
        open_rows = (self.codes == 0) & mask
        if not open_rows.any():
            return
        distinct, inverse = np.unique(values[open_rows], return_inverse=True)
        codes = np.array([self.code(reason_of(v)) for v in distinct], np.uint16)
        self.codes[open_rows] = codes[inverse]

    def kept(self) -> np.ndarray:
        return self.codes == 0

    def reasons(self, mask: np.ndarray | None = None) -> np.ndarray:
        """The reason of each row ("" when kept), for the rows in ``mask`` (default: all)."""
        codes = self.codes if mask is None else self.codes[mask]
        return np.array(self.names, dtype=object)[codes]


def _check_required(mapping: ColumnMapping, table: RawTable) -> None:
    missing = mapping.missing_required()
    if missing:
        labels = Joined.of(TRANSACTION_ROLES[m] for m in missing)
        raise ValidationError(Message(
            N_("No column is chosen for: {labels}. Pick the matching columns of '{name}' in the "
               "column mapping (revenue can also come from quantity x unit price)."),
            labels=labels, name=table.name,
        ))  # fmt: skip
    unknown = [c for c in mapping.roles.values() if c not in table.frame.columns]
    if unknown:
        raise ValidationError(Message(
            N_("The mapping names columns that are not in '{name}': {columns}."),
            name=table.name, columns=str(unknown),
        ))  # fmt: skip


def _blank_mask(column: pd.Series) -> np.ndarray:
    if column.dtype != object and not isinstance(column.dtype, pd.CategoricalDtype):
        return column.isna().to_numpy()
    codes, uniques = factorize_column(column)
    blank_uniques = pd.Series(uniques, dtype=object).astype(str).str.strip().eq("").to_numpy()
    return expand(codes, blank_uniques, True).astype(bool)


def _blank_rows(frame: pd.DataFrame, mapping: ColumnMapping) -> np.ndarray:
    """Rows with no value in any cell: checked on the required columns first, the rest only there."""
    blank = np.ones(len(frame), bool)
    for name in [c for c in mapping.roles.values() if c in frame] + list(frame.columns):
        candidates = np.flatnonzero(blank)
        if len(candidates) == 0:
            break
        blank[candidates] = _blank_mask(frame[name].iloc[candidates])
    return blank


def _totals_rows(frame: pd.DataFrame, mapping: ColumnMapping, no_date: np.ndarray) -> np.ndarray:
    """Rows labelled Total / Summe / 合计 ... in the first column or the customer-id column.

    A label that starts with a totals word but says more ("Total Energies SE") is only a totals
    row when the row has no date: a dated row with a name in it is a real purchase.
    """
    mask = np.zeros(len(frame), bool)
    for name in {frame.columns[0], mapping.roles["customer_id"]}:
        column = frame[name]
        if column.dtype != object and not isinstance(column.dtype, pd.CategoricalDtype):
            continue
        codes, uniques = factorize_column(column)
        starts, label_only = _totals_labels(uniques)
        if starts.any() or label_only.any():
            mask |= expand(codes, label_only, False).astype(bool)
            mask |= expand(codes, starts, False).astype(bool) & no_date
    return mask


def _totals_labels(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct value: starts with a totals word; is a totals word alone.

    The regexes run only on the values whose first two characters could begin a totals word: the
    first column is often an order id with millions of distinct values, none of them a label.
    """
    text = (
        uniques
        if pd.api.types.infer_dtype(uniques, skipna=False) == "string"
        else pd.Series(uniques, dtype=object).astype(str).to_numpy(dtype=object)
    )
    starts = np.zeros(len(text), bool)
    label_only = np.zeros(len(text), bool)
    candidates = np.flatnonzero(_may_be_totals_label(text))
    if len(candidates):
        labels = pd.Series(text[candidates], dtype=object)
        starts[candidates] = labels.str.match(_TOTALS).to_numpy(dtype=bool)
        label_only[candidates] = labels.str.match(_TOTALS_ONLY).to_numpy(dtype=bool)
    return starts, label_only


def _may_be_totals_label(text: np.ndarray) -> np.ndarray:
    """False only for strings that cannot match ``_TOTALS``: the regex is run on the rest.

    Vectorised over the first two characters (as UCS-4 code points); the few distinct two-character
    prefixes are then checked in Python. A prefix that starts with a space, or a string shorter
    than two characters, stays a candidate.
    """
    if len(text) == 0:
        return np.zeros(0, bool)
    pairs = np.asarray(text).astype("U2").view(np.uint32).reshape(-1, 2).astype(np.uint64)
    prefix_codes, prefixes = pd.factorize((pairs[:, 0] << np.uint64(32)) | pairs[:, 1])
    keep = np.array([_prefix_may_start_label(int(p)) for p in prefixes], dtype=bool)
    return keep[prefix_codes]


def _prefix_may_start_label(packed: int) -> bool:
    prefix = "".join(chr(c) for c in (packed >> 32, packed & 0xFFFFFFFF) if c)
    return len(prefix) < 2 or prefix[0].isspace() or _TOTALS_PREFIX.match(prefix) is not None


def _duplicate_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows equal to an earlier row in every column of the file.

    Every column, not only the mapped ones: two order lines that differ only in a line number or
    a product code the user did not map are two real lines, not a copy.

    One integer key per row stands for all its cells, so that one hash pass over one column finds
    the copies (DataFrame.duplicated hashes every column again; 7x slower at 10M rows). While the
    columns' codes fit into 64 bits the key is exact; beyond that it is a hash, and the rows whose
    hash repeats are compared cell by cell.
    """
    key, exact = _row_keys(frame)
    candidates = _rows_with_repeated_key(key)
    duplicate = np.zeros(len(frame), bool)
    if len(candidates) == 0:
        return duplicate
    # Every copy and the row it copies are among the candidates, in file order.
    duplicate[candidates] = (
        pd.Series(key[candidates]).duplicated().to_numpy()
        if exact
        else _exact_duplicate_rows(frame.iloc[candidates])
    )
    return duplicate


def _rows_with_repeated_key(key: np.ndarray) -> np.ndarray:
    """Positions of the rows whose key occurs more than once, ascending.

    A sort of the bare keys (SIMD, about 10x faster than hashing 10M distinct keys) shows which
    keys repeat; clean files have none and stop there.
    """
    ordered = np.sort(key)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if len(repeated) == 0:
        return np.zeros(0, np.intp)
    return np.flatnonzero(pd.Series(key, copy=False).isin(np.unique(repeated)).to_numpy())


_KEY_LIMIT = 2**64
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, so each step keeps every bit in play


def _row_keys(frame: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """A uint64 key per row and whether it is exact (equal keys if and only if equal rows).

    Exact while the product of the columns' sizes fits: key * n_values + code (mixed radix, the
    code of a missing cell is 0). From the first column that does not fit on, the key is
    multiplied by a large odd number (wrapping around) instead: equal rows still get equal keys.
    """
    key = np.zeros(len(frame), np.uint64)
    size = 1  # while exact, the key is in [0, size)
    for name in frame.columns:
        codes, uniques = factorize_column(frame[name])
        radix = len(uniques) + 1
        if size and size * radix <= _KEY_LIMIT:
            size *= radix
            key *= np.uint64(radix)
        else:
            size = 0
            key *= _HASH_MULTIPLIER
        key += (codes + 1).astype(np.uint64)
    return key, size > 0


def _exact_duplicate_rows(frame: pd.DataFrame) -> np.ndarray:
    """The same as :func:`_duplicate_rows`, exactly: the mixed-radix key is renumbered densely
    whenever the next column would overflow it."""
    n = len(frame)
    key = np.zeros(n, np.int64)
    size = 1  # the key is in [0, size)
    for name in frame.columns:
        codes, uniques = factorize_column(frame[name])
        radix = len(uniques) + 1  # code -1 (missing) becomes 0
        if size * radix >= 2**63:
            key, size = _renumber(key)
            if size == n:  # every row already differs from every other
                return np.zeros(n, bool)
        key *= radix
        key += codes
        key += 1
        size *= radix
    return pd.Series(key, copy=False).duplicated().to_numpy()


def _renumber(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense codes 0..k-1 for the distinct keys (equal keys stay equal), and k."""
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64, copy=False), len(uniques)


def _reject_other_currencies(
    checks: _RowChecks, mapping: ColumnMapping, amounts: AmountColumns
) -> tuple[str, list[str]]:
    """Set aside rows whose amount names another currency than the column's ("USD 10.00" among
    "EUR ..."), so that they are not added up as if they were the same money (see
    :func:`cvm_core.intake.amount_columns.other_currencies`)."""
    column = mapping.roles.get("revenue") or mapping.roles.get("unit_price")
    marks = amounts(column).currencies
    if marks is None:
        return "", []
    open_rows = checks.kept()
    main, others, note = other_currencies(marks, open_rows, column)
    for code in others:
        reason = Message(N_("amount in {code} in a {main} column"), code=code, main=main)
        checks.reject(open_rows & (marks == code), reason)
    return main, [note] if note else []


def _revenue(
    frame: pd.DataFrame, mapping: ColumnMapping, amounts: AmountColumns
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    notes = []
    if "revenue" in mapping.roles:
        parsed = amounts(mapping.roles["revenue"])
        revenue, invalid = parsed.values, parsed.invalid
        if parsed.note:  # "decimal comma", the only note an amount column gets
            notes.append(Message(N_("Amounts in '{column}' use a decimal comma."), column=mapping.roles["revenue"]))  # fmt: skip
    else:
        quantity = amounts(mapping.roles["quantity"])
        price = amounts(mapping.roles["unit_price"])
        with np.errstate(over="ignore", invalid="ignore"):  # 1e200 x 1e200 is set aside below
            revenue = quantity.values * price.values
        invalid = quantity.invalid | price.invalid
        notes.append(Message(N_("Revenue computed as quantity x unit price (no revenue column was chosen).")))  # fmt: skip
    if "return_flag" in mapping.roles:
        flagged = parse_flags(frame[mapping.roles["return_flag"]])
        revenue = np.where(flagged, -np.abs(revenue), revenue)
    return revenue, invalid, notes


@dataclass(frozen=True)
class _Cost:
    values: np.ndarray
    invalid: np.ndarray


def _cost(
    frame: pd.DataFrame, mapping: ColumnMapping, revenue: np.ndarray, amounts: AmountColumns
) -> _Cost:
    """Cost of goods with the sign of the revenue (a return reverses its cost)."""
    n = len(frame)
    if "cost" in mapping.roles:
        parsed = amounts(mapping.roles["cost"])
        return _Cost(np.abs(parsed.values) * np.sign(revenue), parsed.invalid)
    if "margin_pct" in mapping.roles:
        parsed = amounts(mapping.roles["margin_pct"])
        share = (
            parsed.values / 100
            if np.nanmax(np.abs(parsed.values), initial=0) > 1
            else parsed.values
        )
        with np.errstate(over="ignore", invalid="ignore"):
            return _Cost(revenue * (1 - share), parsed.invalid)
    return _Cost(np.full(n, np.nan), np.zeros(n, bool))


def _canonical(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    kept: np.ndarray,
    customer_id: pd.Series,
    dates: np.ndarray,
    revenue: np.ndarray,
    cost: np.ndarray,
    source_rows: np.ndarray,
    amounts: AmountColumns,
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "customer_id": customer_id.to_numpy()[kept],
            "date": dates[kept],
            "revenue": revenue[kept],
            "is_return": revenue[kept] < 0,
            "source_row": source_rows[kept],
        }
    )
    for role in ("quantity", "unit_price"):
        if role in mapping.roles:
            out[role] = amounts(mapping.roles[role]).values[kept]
    if "quantity" in out:
        out["quantity"] = np.abs(out["quantity"]) * np.sign(out["revenue"])
    if "cost" in mapping.roles or "margin_pct" in mapping.roles:
        out["cost"] = cost[kept]
    for role in _TEXT_ROLES:
        if role in mapping.roles:
            out[role] = clean_ids(frame[mapping.roles[role]]).to_numpy()[kept]
    for name in mapping.attributes:
        if name not in out.columns and name in frame.columns:
            out[name] = frame[name].to_numpy()[kept]
    return out


def _rejected_rows(
    frame: pd.DataFrame, checks: _RowChecks, source_rows: np.ndarray
) -> pd.DataFrame:
    mask = ~checks.kept()
    rows = frame.loc[mask].astype(str).replace({"nan": "", "None": "", "NaT": ""})
    rows.insert(0, "Reason", checks.reasons(mask))
    rows.insert(0, "Row in file", source_rows[mask])
    return rows.reset_index(drop=True)
