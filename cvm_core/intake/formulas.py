"""Formulas saved without their results, found in an xlsx file's sheet XML.

Excel saves each formula's result beside it; files written by programs (openpyxl, some exports)
often do not. python-calamine reads saved results only, so such a cell reads as empty, and a row
would be set aside as "missing amount" with nothing to say why. Here the sheet XML is searched
for those cells, so that validation can name them and say what to do.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from xml.etree import ElementTree

import numpy as np

from cvm_core.i18n import N_, Message
from cvm_core.intake.tables import RawTable

# A cell with a formula and no saved result: <c r="D2"><f>C2*2</f></c> or <f>..</f><v></v>,
# as openpyxl and other libraries write them (Excel always saves the result in <v>).
_NO_RESULT_FORMULA = re.compile(
    rb"<(?:\w+:)?c\s([^>]*?)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')


def formulas_without_results(
    data: bytes, sheet: str | None = None
) -> dict[str, set[tuple[int, int]]]:
    """Sheet name -> (row, column), 0-based, of the cells holding a formula without a saved result.

    python-calamine reads saved results only, so such a cell reads as empty; this looks at the
    sheet XML itself (the archive has passed the zip and entity checks). A sheet without formulas
    costs one byte search. Only ``sheet`` when given; {} when the parts cannot be found.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = _sheet_parts(archive)
        out: dict[str, set[tuple[int, int]]] = {}
        for name, part in parts.items():
            if sheet is not None and name != sheet:
                continue
            xml = archive.read(part)
            if b"f>" not in xml:  # every formula has a </f> (or </x:f>) somewhere in its sheet
                continue
            cells = set()
            for found in _NO_RESULT_FORMULA.finditer(xml):
                attributes = found.group(1)
                if found.group(2) and b't="str"' in attributes:
                    continue  # a formula whose saved result is the empty text
                ref = _CELL_REF.search(attributes)
                if ref:
                    cells.add((int(ref.group(2)) - 1, _column_index(ref.group(1).decode())))
            if cells:
                out[name] = cells
        return out
    except (KeyError, zipfile.BadZipFile, zlib.error, ValueError, ElementTree.ParseError):
        return {}


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part, from xl/workbook.xml and its relationships."""
    from defusedxml.ElementTree import fromstring

    targets = {}
    for rel in fromstring(archive.read("xl/_rels/workbook.xml.rels")):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.get("Id")] = posixpath.normpath(path)
    parts = {}
    for sheet in fromstring(archive.read("xl/workbook.xml")).iter():
        if sheet.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        if rel_id in targets and targets[rel_id] in archive.NameToInfo:
            parts[sheet.get("name")] = targets[rel_id]
    return parts


def _column_index(letters: str) -> int:
    """'A' -> 0, 'Z' -> 25, 'AA' -> 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def unsaved_formula_rows(
    table: RawTable, roles: dict[str, str], needed: tuple[str, ...]
) -> tuple[np.ndarray, list[str]]:
    """Rows whose cell in a ``needed`` role's column is a formula without a saved result (so it
    reads as empty), and a note for each mapped column holding such formulas."""
    unsaved = np.zeros(len(table.frame), bool)
    notes = []
    for role, column in roles.items():
        rows = table.formula_cells.get(column)
        if rows is None or not len(rows):
            continue
        if role in needed:
            unsaved[rows] = True
        n = len(rows)
        one = N_("Column '{column}' holds formulas without saved results in {n} row: open the file in Excel, save it, and upload again.")  # fmt: skip
        more = N_("Column '{column}' holds formulas without saved results in {n} rows: open the file in Excel, save it, and upload again.")  # fmt: skip
        notes.append(Message(one if n == 1 else more, column=column, n=n))
    return unsaved, notes
