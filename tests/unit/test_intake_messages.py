"""The intake's notes, reasons and errors: English strs that read in the language on screen.

A loaded dataset is kept across language switches, so what the intake says is made once, in
English, as i18n.Message: the English text everywhere (these tests compare it as before) that the
pages render again through the catalogs. In the pseudo-language every text that went through the
catalogs reads ⟦text⟧, which shows the notes do, with their values filled in, without depending on
the translations in the .po files.
"""

from __future__ import annotations

import contextvars
import pickle
from pathlib import Path

import pandas as pd
import pytest

from cvm_core import i18n
from cvm_core.errors import AmbiguousDateOrderError, ReadError, ValidationError
from cvm_core.intake.dataset import load_file
from cvm_core.intake.io import read_workbook
from cvm_core.intake.schema import duplicate_header_notes, guess_mapping
from cvm_core.intake.validate import validate_transactions

FILES_DIR = Path(__file__).resolve().parents[1] / "files"


@pytest.fixture
def pseudo(monkeypatch):
    """The pseudo-language: a text that goes through the catalogs reads ⟦text⟧."""
    monkeypatch.setattr(i18n, "_pseudo", contextvars.ContextVar("cvm_pseudo_test", default=True))


@pytest.fixture(scope="module")
def messy():
    # A German export (cp1252, title rows, decimal commas, dotted dates); braces in the file
    # name must not upset the templates the name is filled into.
    data = (FILES_DIR / "messy_de_cp1252.csv").read_bytes()
    return load_file(data, "Umsätze {2024}.csv")


def test_notes_are_the_english_text_as_before(messy):
    assert list(messy.notes) == [
        "Read 'Umsätze {2024}.csv' with the cp1252 encoding.",
        "Found the header in row 4; the 3 row(s) above it were skipped as titles.",
        "Dates like 03/04/2024 were read day-first (dates with dots, like 03.04.2024, are "
        "written day-first).",
        "Amounts in 'Umsatz' use a decimal comma.",
        "3 return rows kept as negative revenue.",
    ]
    assert all(isinstance(note, i18n.Message) for note in messy.notes)


def test_notes_go_through_the_catalogs_with_their_values(messy, pseudo):
    shown = [i18n.shown(note) for note in messy.notes]
    assert shown == [
        "⟦Read 'Umsätze {2024}.csv' with the cp1252 encoding.⟧",
        "⟦Found the header in row 4; the 3 row(s) above it were skipped as titles.⟧",
        "⟦Dates like 03/04/2024 were read day-first (dates with dots, like 03.04.2024, are "
        "written day-first).⟧",
        "⟦Amounts in 'Umsatz' use a decimal comma.⟧",
        "⟦3 return rows kept as negative revenue.⟧",
    ]


def test_a_note_reads_in_german_with_its_numbers_grouped_the_german_way(messy, monkeypatch):
    # The real German text arrives with the catalogs; here one entry stands in for them.
    german = {"{n} rows have an amount of 0; they count as purchases with no revenue.": (
        "{n} Zeilen haben einen Betrag von 0; sie zählen als Käufe ohne Umsatz.")}  # fmt: skip
    monkeypatch.setattr(i18n, "_catalog", lambda language: german)
    frame = pd.DataFrame(
        {"Kunde": [f"K{i}" for i in range(1200)], "Datum": "2024-01-05", "Umsatz": "0"}
    )
    dataset = load_file(frame.to_csv(index=False).encode(), "null.csv")
    note = "1,200 rows have an amount of 0; they count as purchases with no revenue."
    assert note in dataset.notes
    zero = next(n for n in dataset.notes if n == note)
    i18n.use("de")
    try:
        assert i18n.shown(zero) == (
            "1.200 Zeilen haben einen Betrag von 0; sie zählen als Käufe ohne Umsatz."
        )
    finally:
        i18n.use("en")


def test_reasons_for_rows_set_aside_are_messages_kept_through_a_pickle(messy, pseudo):
    counts = pickle.loads(pickle.dumps(messy.validation)).reason_counts()
    assert list(counts.index) == [
        "blank row",
        "duplicate of an earlier row (same values in every column)",
        "unreadable date",
        "missing customer id",
        "totals or subtotal row",
    ]
    assert [i18n.shown(reason) for reason in counts.index][:2] == [
        "⟦blank row⟧",
        "⟦duplicate of an earlier row (same values in every column)⟧",
    ]


def test_a_file_that_cannot_be_read_says_so_in_the_reader_s_language(pseudo):
    with pytest.raises(ReadError) as caught:
        read_workbook(b"", "leer {0}.csv")
    english = "'leer {0}.csv' is empty (0 bytes). Export the data again and upload that file."
    assert str(caught.value) == english
    assert i18n.error_text(caught.value) == f"⟦{english}⟧"
    with pytest.raises(ReadError) as caught:
        read_workbook(b"%PDF-1.7 a report", "report.pdf")
    assert i18n.error_text(caught.value).startswith("⟦'report.pdf' is ⟦a PDF document⟧, not a")
    assert i18n.error_text(ValueError("plain")) == "plain"  # not a Message: as it is


def test_no_usable_row_names_its_reasons_in_the_reader_s_language(pseudo):
    frame = pd.DataFrame({"Kunde": ["", ""], "Datum": ["2024-01-05", "x"], "Umsatz": ["1", "2"]})
    workbook = read_workbook(frame.to_csv(index=False).encode(), "leer.csv")
    table = workbook.tables["leer.csv"]
    with pytest.raises(ValidationError) as caught:
        validate_transactions(table, guess_mapping(table.frame))
    assert str(caught.value) == (
        "None of the 2 rows could be used (2 rows: missing customer id). Check that the right "
        "columns are mapped; the rows set aside, each with its reason, are in the download below."
    )
    assert i18n.error_text(caught.value).startswith(
        "⟦None of the 2 rows could be used (⟦2 rows: ⟦missing customer id⟧⟧). Check"
    )


def test_the_date_order_question_is_a_message(pseudo):
    error = AmbiguousDateOrderError("Datum", ["03/04/2024", "05/06/2024"])
    assert str(error) == (
        "The dates in column 'Datum' can be read day-first or month-first (for example "
        "03/04/2024, 05/06/2024). Please choose which one your file uses."
    )
    assert i18n.error_text(error).startswith("⟦The dates in column 'Datum' can be read")


def test_words_the_code_chose_translate_with_the_sentence(pseudo):
    (note,) = duplicate_header_notes(["Betrag", "Betrag (2)"], {"unit_price": "Betrag"})
    assert note == (
        "Two columns are called 'Betrag'; used the first ('Betrag') as unit price; choose the "
        "other ('Betrag (2)') in the column mapping if that is the right one."
    )
    assert i18n.shown(note) == (
        "⟦⟦Two⟧ columns are called 'Betrag'; used the ⟦first⟧ ('Betrag') as ⟦Unit price⟧; choose "
        "the other ('Betrag (2)') in the column mapping if that is the right one.⟧"
    )
