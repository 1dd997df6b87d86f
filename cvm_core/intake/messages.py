"""Texts the intake writes for the user, kept English and shown in the reader's language.

A loaded dataset is kept across language switches, so its notes, reasons and errors are
:class:`~cvm_core.i18n.Message` objects: the English text everywhere (tests, logs, downloads) that
the pages render again in the language on screen (:func:`cvm_core.i18n.shown`). Here: the pieces
several intake modules share.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cvm_core.i18n import N_, Message, _, current, shown


class Joined(Message):
    """Texts in a row, joined by a separator: each Message in the reader's language, each plain
    str looked up in the catalogs (a role label such as "Unit price" is a msgid)."""

    @classmethod
    def of(cls, parts: Iterable[str], separator: str = ", ") -> Joined:
        values = {f"part{i}": part for i, part in enumerate(parts)}
        return cls(separator.join(f"{{{name}}}" for name in values), **values)

    def in_language(self) -> str:
        def local(value: object) -> str:
            return shown(value) if isinstance(value, Message) else _(str(value))

        return self.template.format(**{k: local(v) for k, v in self.values.items()})


class Decimal(Message):
    """A number with decimals inside a note, written as the reader's language writes it: "1.5",
    in German "1,5". Its English text is the spelling given."""

    def __new__(cls, template: str, **values: object) -> Decimal:
        number = str.__new__(cls, template)
        number.template, number.values = template, {}
        return number

    def in_language(self) -> str:
        return self.template.translate(_GERMAN_SEPARATORS) if current() == "de" else self.template


_GERMAN_SEPARATORS = str.maketrans(",.", ".,")


DATE_ORDER_NOTES = {
    "day-first": Message(N_("Dates like 03/04/2024 were read day-first.")),
    "month-first": Message(N_("Dates like 03/04/2024 were read month-first.")),
    "day-first (dates with dots, like 03.04.2024, are written day-first)": Message(
        N_("Dates like 03/04/2024 were read day-first (dates with dots, like 03.04.2024, are "
           "written day-first).")
    ),
}  # fmt: skip
"""The note for each reading of a date column (its :attr:`ParsedColumn.note`)."""


def nothing_kept_message(reasons: pd.Series, names: list[str], n: int, table_name: str) -> Message:
    """Why none of the ``n`` rows of ``table_name`` could be used: the three commonest of the
    rows' ``reasons``, each one of ``names`` (Messages, read in the reader's language too)."""
    counts = reasons.value_counts().head(3)
    originals = {name: name for name in names}  # the Messages themselves, not equal plain strs
    parts = [
        Message(
            N_("{count} row: {reason}") if count == 1 else N_("{count} rows: {reason}"),
            count=int(count), reason=originals.get(reason, reason),
        )
        for reason, count in counts.items()
    ]  # fmt: skip
    if table_name.lower().endswith((".csv", ".tsv", ".txt", ".parquet")):  # a file, not a sheet
        template = N_("None of the {n} rows could be used ({reasons}). Check that the right columns are mapped; the rows set aside, each with its reason, are in the download below.")  # fmt: skip
    else:
        template = N_("None of the {n} rows could be used ({reasons}). Check that the right columns are mapped and the right sheet is chosen; the rows set aside, each with its reason, are in the download below.")  # fmt: skip
    return Message(template, n=n, reasons=Joined.of(parts, "; "))
