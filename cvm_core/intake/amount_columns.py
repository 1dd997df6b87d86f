"""The number columns of one table, read one way: "1.500" as the file's other columns suggest,
and the currency each amount cell names.

A column whose only separators are like "1.500" cannot say whether that is 1500 or 1.5; the
file can. Semicolons between fields, dates like 31.12.2024 or decimal commas in another column are
German usage, where the dot groups thousands: then 1500, else 1.5 (what the column alone would
give). Either way a note says which reading was taken and how to get the other. This is the
smallest change that reads German files right: a column with any unambiguous cell ("12,50",
"1.500,00", "12.50") still decides for itself, exactly as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core.i18n import N_, Message
from cvm_core.intake.amounts import ParsedColumn, guess_currency, parse_amounts, uses_decimal_comma
from cvm_core.intake.distinct import factorize_column
from cvm_core.intake.messages import Decimal, Joined
from cvm_core.intake.tables import RawTable


class AmountColumns:
    """The number columns of one table, each parsed once, with one reading of "1.500" for all.

    A column whose only separators are like "1.500" cannot say whether that is 1500 or 1.5; the
    file can. Semicolons between fields, dates like 31.12.2024 or decimal commas in another
    column are German usage, where the dot groups thousands: then 1500, else 1.5. Either way a
    note says which reading was taken and how to get the other.
    """

    def __init__(self, table: RawTable, dates_note: str):
        self.table = table
        self.dates_note = dates_note
        self.notes: list[str] = []
        self._parsed: dict[str, ParsedColumn] = {}
        self._german: str | None = None  # the evidence, once looked for ("" = none)

    def __call__(self, column: str) -> ParsedColumn:
        if column not in self._parsed:
            parsed = parse_amounts(self.table.frame[column])
            if parsed.ambiguous_dots:
                german = self.german_evidence(column)
                parsed = parse_amounts(self.table.frame[column], dots_group_thousands=bool(german))
                self.notes.append(dots_note(column, parsed.ambiguous_dots, german))
            self._parsed[column] = parsed
        return self._parsed[column]

    def german_evidence(self, column: str) -> str:
        """What in the file says German number format, as a phrase; "" when nothing does."""
        if self._german is None:
            self._german = self._find_german_evidence(column)
        return self._german

    def _find_german_evidence(self, column: str) -> str:
        if self.table.delimiter == ";":
            return Message(N_("its fields are separated by semicolons"))
        if self.dates_note.startswith("day-first (dates with dots"):
            return Message(N_("its dates are written like 31.12.2024"))
        for other in self.table.frame.columns:
            values = self.table.frame[other]
            if other == column or not (
                values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype)
            ):
                continue
            _, uniques = factorize_column(values)
            text = pd.Series(uniques[:5000], dtype=object)
            text = text[text.map(lambda v: isinstance(v, str))].str.strip()
            if len(text) and uses_decimal_comma(text):
                return Message(N_("column '{column}' has decimal commas"), column=other)
        return ""


def dots_note(column: str, example: str, german: str) -> str:
    """Which reading of "1.500" was taken and how to get the other."""
    whole = int(example.replace(".", ""))  # 1.500 -> 1500, "1,500" in English
    decimal = Decimal(f"{float(example):g}")  # 1.500 -> "1.5" ("1,5" in German)
    if german:
        return Message(
            N_("Amounts like {example} in '{column}' were read as {whole} (the dot as a thousands "
               "separator, as in German files: {german}). If they mean {decimal}, write them with a "
               "decimal comma ({comma}) and upload the file again."),
            example=example, column=column, whole=whole, german=german, decimal=decimal,
            comma=decimal.replace(".", ","),
        )  # fmt: skip
    return Message(
        N_("Amounts like {example} in '{column}' were read as {decimal} (the dot as a decimal "
           "point: nothing else in the file looks German). If they mean {whole}, write them "
           "without the dot ({plain}) and upload the file again."),
        example=example, column=column, decimal=decimal, whole=whole,
        plain=example.replace(".", ""),
    )  # fmt: skip


def other_currencies(
    marks: np.ndarray, open_rows: np.ndarray, column: str
) -> tuple[str, dict[str, int], str]:
    """The column's currency, the rows in each other currency, and a note; ("", {}, "") when
    the amounts name one currency or none.

    The column's currency is the one its header names ("Amount (USD)"), else the one most of
    ``open_rows`` name (ties: the first seen). ``marks`` are the cells' codes
    (:attr:`~cvm_core.intake.amounts.ParsedColumn.currencies`).
    """
    counts = pd.Series(marks[open_rows]).value_counts()
    header = guess_currency(None, str(column))
    main = header.code if header else (str(counts.index[0]) if len(counts) else "")
    others = {str(code): int(n) for code, n in counts.items() if code != main}
    if not others:
        return "", {}, ""
    listed = Joined.of([Message(N_("{n} in {code}"), n=n, code=code) for code, n in others.items()])
    note = Message(
        N_("Rows of '{column}' in another currency than {main} were set aside, so that they are "
           "not added up with {main} amounts: {listed}. Convert them to {main} in the file, or "
           "upload each currency as a file of its own."),
        column=column, main=main, listed=listed,
    )  # fmt: skip
    return main, others, note
