"""Builders for the intake tests: workbooks, bad files and raw tables, made in memory.

Bad files (encrypted, bombs, damaged) are generated here rather than committed, so every one of
them is small, reviewable and obviously what it claims to be.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import escape

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cvm_core.intake.io import RawTable
from cvm_core.intake.schema import ColumnMapping

FILES_DIR = Path(__file__).resolve().parents[1] / "files"

MINIMAL_ROWS = [
    ["Customer ID", "Date", "Revenue"],
    ["A", "2023-01-01", 5.5],
    ["B", "2023-01-02", 7.0],
]


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx with one sheet per entry, cells written as given (None = empty cell)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsxwriter_bytes(rows: list[list]) -> bytes:
    """An .xlsx written by xlsxwriter, which (unlike openpyxl) stores text in sharedStrings.xml."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("Sales")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def replace_zip_part(data: bytes, part: str, content: bytes) -> bytes:
    """The same zip archive with one member's content replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, content if name == part else source.read(name))
    return out.getvalue()


def add_zip_parts(data: bytes, parts: dict[str, bytes], level: int = 9) -> bytes:
    """The same zip archive with extra members, deflated at ``level``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def ods_bytes(sheet: str, rows: list[list]) -> bytes:
    """A minimal OpenDocument spreadsheet, written by hand (odfpy is not installed).

    Floats become float cells, ``("date", "2023-03-01")`` date cells, anything else text cells.
    """

    def cell(value: object) -> str:
        if isinstance(value, float | int):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        if isinstance(value, tuple):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value[1]}">'
                f"<text:p>{value[1]}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
            "</table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def raw_table(columns: list[str], rows: list[list], first_row: int = 2) -> RawTable:
    """A RawTable as the reader would produce it for a CSV (text cells), header in row 1."""
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return RawTable(frame, np.arange(first_row, first_row + len(frame)), first_row - 1, "sheet")


def mapping(columns: list[str], **roles: str) -> ColumnMapping:
    """An explicit mapping; every other column becomes an attribute."""
    return ColumnMapping(dict(roles), tuple(c for c in columns if c not in roles.values()))


@pytest.fixture(scope="session")
def minimal_xlsx() -> bytes:
    return xlsxwriter_bytes(MINIMAL_ROWS)


@pytest.fixture(scope="session")
def encrypted_xlsx() -> bytes:
    """A real password-protected workbook (Excel's agile encryption) made with msoffcrypto-tool."""
    import msoffcrypto.format.ooxml

    plain = xlsx_bytes({"Sales": MINIMAL_ROWS})
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(plain)).encrypt("secret", out)
    return out.getvalue()


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE sst [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def entity_bomb(data: bytes, padding: int = 0) -> bytes:
    """``data`` (an xlsxwriter workbook) with billion laughs in xl/sharedStrings.xml.

    ``padding`` puts an XML comment of that many characters before the DOCTYPE (allowed by XML).
    """
    shared = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml").decode()
    declaration, body = shared.split("?>", 1)
    comment = f"<!--{'x' * padding}-->" if padding else ""
    bomb = declaration + "?>" + comment + BILLION_LAUGHS_DTD + body.replace(">A<", ">&lol9;<")
    return replace_zip_part(data, "xl/sharedStrings.xml", bomb.encode())


@pytest.fixture(scope="session")
def build() -> SimpleNamespace:
    """The builders above, for the test modules (conftest modules are not importable by name)."""
    return SimpleNamespace(
        xlsx=xlsx_bytes,
        xlsxwriter=xlsxwriter_bytes,
        ods=ods_bytes,
        raw_table=raw_table,
        mapping=mapping,
        replace_zip_part=replace_zip_part,
        add_zip_parts=add_zip_parts,
        entity_bomb=entity_bomb,
        minimal_rows=MINIMAL_ROWS,
    )
