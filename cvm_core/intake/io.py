"""Reading uploaded files into raw tables.

A raw table is what the user's file holds below its header row, with every data row kept (blank and
totals rows too: validation accounts for them) and each row's number in the source file, so that a
rejected row can be found again in Excel. Nothing is interpreted here beyond finding the table:
parsing dates and amounts is the schema's job.

Formats are recognised by their bytes, not their names, because users rename files. Workbooks are read
with python-calamine (Rust, many times faster than openpyxl); zip archives are checked for bombs and
XML entity declarations before any parser sees them.

The table types and the header search live in :mod:`cvm_core.intake.tables`, the look for formulas
saved without results in :mod:`cvm_core.intake.formulas`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from cvm_core.errors import ReadError
from cvm_core.i18n import N_, Message
from cvm_core.intake.excerpt import excerpt
from cvm_core.intake.formulas import formulas_without_results
from cvm_core.intake.tables import (  # RawTable, Workbook, find_header_row: importers use io
    HEADER_SEARCH_ROWS,
    RawTable,
    Workbook,
    cell_filled,
    column_has_values,
    find_header_row,
    header_found_notes,
    long_header_notes,
    table_from_grid,
    unique_names,
)

MAX_FILE_BYTES = 200 * 1024**2
"""Largest upload accepted; matches server.maxUploadSize in .streamlit/config.toml."""

MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
"""A workbook whose parts unpack to more than this is refused (zip bomb guard)."""

MAX_COMPRESSION_RATIO = 200
"""Genuine xlsx parts compress 5-20x; parts packed much tighter than this are suspicious."""

MAX_TIGHTLY_PACKED_BYTES = 50 * 1024**2
"""A workbook whose parts packed tighter than MAX_COMPRESSION_RATIO unpack to more than this, in
total, is a bomb (however many parts it is split into)."""

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARQUET_MAGIC = b"PAR1"
_ENCRYPTED_OOXML_MARK = "EncryptionInfo".encode("utf-16-le")
_DELIMITERS = (",", ";", "\t", "|")


def read_workbook(
    data: bytes, filename: str, header_rows: dict[str, int] | None = None
) -> Workbook:
    """Read every table in an uploaded file.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The name the user gave it; used only for messages and as a hint.
    header_rows : dict, optional
        Sheet name to 1-based header row, overriding the detected one.

    Returns
    -------
    Workbook

    Raises
    ------
    ReadError
        Empty, too large, damaged, password-protected or unsafe files, with a message saying what to do.
    """
    _check_size(data, filename)
    kind = sniff_format(data, filename)
    notes: list[str] = []
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind == "csv" and suffix in {"xlsx", "xlsm", "xls", "xlsb", "ods"}:
        notes.append(Message(N_("'{filename}' is named like a workbook but holds plain text; read it as CSV."), filename=filename))  # fmt: skip
    if kind == "csv":
        return _read_text(data, filename, header_rows or {}, notes)
    if kind == "parquet":
        return _read_parquet(data, filename, notes)
    if data.startswith(_ZIP_MAGIC):
        # Every zip-based workbook, xlsb included: an xlsx with a stray xl/workbook.bin would
        # otherwise pass as xlsb unchecked while the reader still unpacks its XML parts.
        _check_zip_safety(data, filename)
    return _read_spreadsheet(data, filename, kind, header_rows or {}, notes)


_NOT_TABLES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", Message(N_("a PDF document"))),
    (b"\x89PNG", Message(N_("a PNG image"))),
    (b"\xff\xd8\xff", Message(N_("a JPEG image"))),
    (b"GIF8", Message(N_("a GIF image"))),
    (b"\x1f\x8b", Message(N_("a gzip archive"))),
    (b"7z\xbc\xaf", Message(N_("a 7-Zip archive"))),
    (b"Rar!", Message(N_("a RAR archive"))),
)
"""Formats people upload by mistake (a report instead of its data) whose bytes may decode as
text: a PDF read in a legacy encoding looked like a one-column CSV."""


def sniff_format(data: bytes, filename: str) -> str:
    """Tell the file format from its first bytes (names lie; bytes don't)."""
    if data.startswith(_PARQUET_MAGIC):
        return "parquet"
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_OOXML_MARK in data[:1_000_000] or _ENCRYPTED_OOXML_MARK in data:
            raise ReadError(Message(
                N_("'{filename}' is password-protected. Open it in Excel, remove the password "
                   "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, and upload again."),
                filename=filename,
            ))  # fmt: skip
        return "xls"
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data, filename)
    kind = next((k for magic, k in _NOT_TABLES if data.startswith(magic)), None)
    if kind is not None:
        raise ReadError(Message(
            N_("'{filename}' is {kind}, not a table of sales. Export the data from the system it "
               "came from as Excel or CSV, and upload that."),
            filename=filename, kind=kind,
        ))  # fmt: skip
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError(Message(
            N_("'{filename}' is not a spreadsheet or text file we can read. "
               "Upload CSV, TSV, TXT, Excel (xlsx, xlsm, xls, xlsb), OpenDocument (ods) or Parquet."),
            filename=filename,
        ))  # fmt: skip
    return "csv"


def _zip_kind(data: bytes, filename: str) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile as exc:
        raise ReadError(_damaged(filename, exc)) from exc
    if "mimetype" in names and any(n == "content.xml" for n in names):
        return "ods"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise ReadError(Message(
        N_("'{filename}' is a zip archive but not an Excel or OpenDocument workbook. "
           "Unzip it and upload the spreadsheet inside."),
        filename=filename,
    ))  # fmt: skip


def _damaged(filename: str, error: Exception) -> Message:
    return Message(
        N_("'{filename}' looks like a workbook but is damaged ({error}). Open it in Excel, "
           "save a copy, and upload that; or export the sheet as CSV."),
        filename=filename, error=excerpt(error),
    )  # fmt: skip


def _check_size(data: bytes, filename: str) -> None:
    if len(data) == 0:
        raise ReadError(Message(N_("'{filename}' is empty (0 bytes). Export the data again and upload that file."), filename=filename))  # fmt: skip
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(Message(
            N_("'{filename}' is {size} MB; the limit is {limit} MB. Save it as CSV or Parquet (much "
               "smaller), or make its customer summary with `python -m cvm_core summarize FILE "
               "summary.parquet --engine duckdb` and upload that."),
            filename=filename, size=round(len(data) / 1024**2), limit=round(MAX_FILE_BYTES / 1024**2),
        ))  # fmt: skip


def _check_zip_safety(data: bytes, filename: str) -> None:
    """Refuse zip bombs, XML entity declarations and damaged archives before a parser sees them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        _check_unpacked_size(infos, filename)
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                _check_no_entities(archive, info, filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        # Bad checksums, encrypted members, unknown compression: zipfile's own errors.
        raise ReadError(_damaged(filename, exc)) from exc


def _check_unpacked_size(infos: list[zipfile.ZipInfo], filename: str) -> None:
    """Too much data in total, or too much of it packed far tighter than real workbook parts.

    Tightly packed parts are summed, so a bomb split into many parts below any per-part
    threshold is caught as well as one big part.
    """
    total = tight = 0
    for info in infos:
        total += info.file_size
        if info.file_size / max(info.compress_size, 1) > MAX_COMPRESSION_RATIO:
            tight += info.file_size
    if total > MAX_UNCOMPRESSED_BYTES or tight > MAX_TIGHTLY_PACKED_BYTES:
        raise ReadError(Message(
            N_("'{filename}' unpacks to far more data than a real workbook of its size "
               "(a 'zip bomb'), so it was not opened. Save the sheet again from Excel, or as CSV."),
            filename=filename,
        ))  # fmt: skip


_PROLOG_ITEMS = re.compile(rb"(?:\s|\xef\xbb\xbf|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
MAX_PROLOG_BYTES = 1024**2
"""Excel writes a one-line prolog; a part whose root element starts later than this is refused."""


def _check_no_entities(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> None:
    """Refuse a DOCTYPE (entity declarations) anywhere in the prolog, however long its comments."""
    head = b""
    with archive.open(info) as part:
        while True:
            chunk = part.read(max(4096, len(head)))  # doubling reads: linear in the prolog length
            head += chunk
            rest = head[_PROLOG_ITEMS.match(head).end() :]
            if rest[:9].upper() == b"<!DOCTYPE" or b"<!ENTITY" in rest[:4096].upper():
                raise ReadError(Message(
                    N_("'{filename}' contains XML entity declarations, which Excel never writes and "
                       "which can be used to attack the reader, so it was not opened. Save it again "
                       "from Excel or export it as CSV."),
                    filename=filename,
                ))  # fmt: skip
            unfinished = rest.startswith((b"<!--", b"<?")) or len(rest) < 9
            if not unfinished or not chunk:
                return  # the root element (or not XML at all: the workbook reader will say so)
            if len(head) > MAX_PROLOG_BYTES:
                raise ReadError(Message(
                    N_("'{filename}' holds an XML part with over 1 MB of comments before its content, "
                       "which Excel never writes, so it was not opened. Save it again from Excel or "
                       "export it as CSV."),
                    filename=filename,
                ))  # fmt: skip


# --- text files --------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """Pick the text encoding: BOMs first, then strict UTF-8, then a statistical guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    # Exports from European Excel are cp1252; Chinese ones GB18030 (a superset of GBK).
    candidates = ["cp1252", "gb18030", "latin_1"]
    best = from_bytes(data[:400_000], cp_isolation=candidates).best()
    # The guess comes from a sample; take the first candidate that decodes the whole file.
    # latin_1 decodes any bytes, so one always does.
    ordered = ([best.encoding] if best is not None else []) + candidates
    for encoding in ordered:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin_1"


def detect_delimiter(lines: list[str]) -> str:
    """Pick the delimiter that splits the most lines into the same number (>1) of fields."""
    best, best_score = ",", (-1.0, 0)
    sample = [line for line in lines if line.strip()]
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode = max(set(multi), key=multi.count)
        score = (sum(c == mode for c in counts) / len(counts), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_text(
    data: bytes, filename: str, header_rows: dict[str, int], notes: list[str]
) -> Workbook:
    encoding = detect_encoding(data)
    if encoding not in {"utf-8", "utf-8-sig"}:
        notes.append(Message(N_("Read '{filename}' with the {encoding} encoding."), filename=filename, encoding=encoding))  # fmt: skip
    head_text = data[:200_000].decode(encoding, errors="replace")
    # Only CR and LF end a line in a CSV file; str.splitlines() would also split on U+2028, form
    # feeds and other separators that may sit inside a cell, shifting every row number after them.
    head_lines = io.StringIO(head_text, newline="").readlines()[:200]
    if not any(line.strip() for line in head_lines):
        raise ReadError(Message(N_("'{filename}' has no text in it. Export the data again and upload that file."), filename=filename))  # fmt: skip
    delimiter = detect_delimiter(head_lines)
    # Records, not lines: a quoted title cell may hold a line break (Excel's Alt+Enter).
    records, ends = _head_records(head_lines, delimiter)
    width = max((len(r) for r in records), default=1)
    head_grid = pd.DataFrame(records[:HEADER_SEARCH_ROWS], dtype=object)
    header_idx = (
        header_rows[filename] - 1 if filename in header_rows else find_header_row(head_grid)
    )
    table = None
    if header_idx < len(records) and "\ufffd" not in head_text[: ends[header_idx]]:
        body_start = len(head_text[: ends[header_idx]].encode(encoding))
        table = _read_body_fast(
            data, body_start, encoding, delimiter, header_idx, records[header_idx], filename
        )
    if table is None:  # ragged rows, blank lines or quoted line breaks: the tolerant reader
        text = data.decode(encoding, errors="replace")
        if "\ufffd" in text:
            notes.append(Message(N_("Some characters could not be decoded and show as '\ufffd'.")))
        grid = _read_csv_grid(text, delimiter, width)
        table = table_from_grid(grid.astype("category"), filename, header_idx + 1)
    table = dataclasses.replace(table, delimiter=delimiter)
    return Workbook({filename: table}, "csv", encoding, delimiter, notes)


def _head_records(lines: list[str], delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The CSV records in ``lines`` and, for each, how many characters of text end with it."""
    consumed = 0

    def counted():
        nonlocal consumed
        for line in lines:
            consumed += len(line)
            yield line

    records, ends = [], []
    try:
        for record in csv.reader(counted(), delimiter=delimiter):
            records.append(record)
            ends.append(consumed)
    except csv.Error:  # an unterminated quote at the cut-off of the sample: stop there
        pass
    return records, ends


def _read_body_fast(
    data: bytes,
    body_start: int,
    encoding: str,
    delimiter: str,
    header_idx: int,
    header: list[str],
    filename: str,
) -> RawTable | None:
    """Read a well-formed CSV body with pyarrow (multi-threaded, ~4x pandas' C parser).

    ``body_start`` is the byte offset just after the header record: pyarrow's own ``skip_rows``
    counts physical lines, which a quoted line break in a title would throw off. Columns come back
    dictionary-encoded (pandas categoricals): sales exports repeat the same ids, dates and amounts,
    so every later step works on the distinct values. Returns None when the file needs the
    tolerant reader (blank lines would shift row numbers; ragged rows fail here).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not header or b"\n\n" in data or b"\r\n\r\n" in data or b"\r\r" in data:
        return None
    names = unique_names(header)
    text_type = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            pa.py_buffer(memoryview(data)[body_start:]),
            read_options=pacsv.ReadOptions(
                column_names=names,
                encoding=_arrow_encoding(encoding, data),
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={n: text_type for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, LookupError, UnicodeDecodeError):
        return None
    # Each dictionary already holds distinct strings: pyarrow's default de-duplication of them
    # only costs time (0.9-1.9 s of 1M rows, against 0.3 s without; the frames are equal).
    frame = table.to_pandas(deduplicate_objects=False)
    keep = [c for c in frame.columns if not c.startswith("column_") or column_has_values(frame[c])]
    frame = frame[keep]
    notes = long_header_notes(header) + header_found_notes(header_idx)
    rows = np.arange(header_idx + 2, header_idx + 2 + len(frame))
    return RawTable(frame, rows, header_idx + 1, filename, notes)


def _read_csv_grid(text: str, delimiter: str, width: int) -> pd.DataFrame:
    """Read all lines as strings, widening when a later line has more fields than the sample."""
    for _ in range(10):
        try:
            return pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                names=range(width),
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
            )
        except pd.errors.ParserError as exc:
            found = re.search(r"saw (\d+)", str(exc))
            if not found:
                raise ReadError(Message(
                    N_("The file could not be read as a table ({error}). Save it again as "
                       "CSV from the program that made it, and upload that."),
                    error=excerpt(exc),
                )) from exc  # fmt: skip
            width = int(found.group(1))
    raise ReadError(Message(N_("The file's rows have too many different numbers of fields to read as a table.")))  # fmt: skip


def _arrow_encoding(encoding: str, data: bytes) -> str:
    if encoding == "utf-16":  # the body is read without the byte-order mark, so name the order
        return "utf-16-be" if data.startswith(b"\xfe\xff") else "utf-16-le"
    return {"utf-8-sig": "utf8", "utf-8": "utf8"}.get(encoding, encoding)


# --- workbooks ---------------------------------------------------------------------------------


def _read_spreadsheet(
    data: bytes, filename: str, kind: str, header_rows: dict[str, int], notes: list[str]
) -> Workbook:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several internal types for damaged files
        raise ReadError(Message(
            N_("'{filename}' could not be opened as a {kind} workbook ({error}). It may be damaged "
               "or password-protected: open it in Excel, save a copy, and upload that."),
            filename=filename, kind=kind, error=excerpt(exc),
        )) from exc  # fmt: skip
    tables: dict[str, RawTable] = {}
    for name in book.sheet_names:
        try:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # a chart sheet or a damaged sheet: say so, read the rest
            notes.append(Message(N_("Sheet '{name}' could not be read ({error}); skipped."), name=name, error=excerpt(exc)))  # fmt: skip
            continue
        if not any(any(cell_filled(v) for v in row) for row in rows):
            continue
        formulas = None
        # A formula without a saved result reads as "" (like an empty cell): only a sheet with
        # empty cells can hold one, and a dense export is spared unpacking its XML again.
        if kind == "xlsx" and any("" in row for row in rows):
            formulas = formulas_without_results(data, name).get(name)
        tables[name] = table_from_grid(
            pd.DataFrame(rows, dtype=object), name, header_rows.get(name), formulas
        )
    if not tables:
        raise ReadError(Message(
            N_("Every sheet in '{filename}' is empty. Open it in Excel, check that the sales data "
               "is in this file, save, and upload again."),
            filename=filename,
        ))  # fmt: skip
    return Workbook(tables, kind, notes=notes)


def check_parquet_size(data: bytes, filename: str) -> None:
    """Refuse Parquet that unpacks to far more than fits: its footer says how much, before reading."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception:  # noqa: BLE001 - damaged files get their message from the reader below
        return
    encoded = sum(
        meta.row_group(i).column(j).total_uncompressed_size
        for i in range(meta.num_row_groups)
        for j in range(meta.num_columns)
    )
    # Dictionary and run-length encoding hide repeated values from the sizes above, so also
    # count at least 8 bytes per cell: what the cells take once they are in memory.
    unpacked = max(encoded, meta.num_rows * meta.num_columns * 8)
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise ReadError(Message(
            N_("'{filename}' unpacks to about {size} MB, more than this app reads at once. Upload "
               "its customer summary instead, made with `python -m cvm_core summarize FILE "
               "summary.parquet --engine duckdb`."),
            filename=filename, size=round(unpacked / 1024**2),
        ))  # fmt: skip


def _read_parquet(data: bytes, filename: str, notes: list[str]) -> Workbook:
    import pyarrow.parquet as pq

    check_parquet_size(data, filename)
    return parquet_workbook(lambda: pq.read_table(io.BytesIO(data)), filename, notes)


def parquet_workbook(read: Callable[[], object], filename: str, notes: list[str]) -> Workbook:
    """The one-table workbook of the Arrow table ``read()`` returns (all of a Parquet file, or
    its first rows), with nested columns as text; our ReadError when it fails or is empty."""
    try:
        table, nested = _nested_as_text(read())
        frame = table.to_pandas()
    except Exception as exc:
        raise ReadError(Message(
            N_("'{filename}' could not be read as Parquet ({error}). Export it again, or save "
               "the data as CSV and upload that."),
            filename=filename, error=excerpt(exc),
        )) from exc  # fmt: skip
    if frame.empty:
        raise ReadError(Message(N_("'{filename}' holds no rows. Export the data again with its rows and upload that file."), filename=filename))  # fmt: skip
    if nested:
        names = ", ".join(f"'{excerpt(c)}'" for c in nested[:5]) + (
            ", ..." if len(nested) > 5 else ""
        )
        one = N_("Column {names} of '{filename}' holds lists or records (nested data) and was read as text.")  # fmt: skip
        more = N_("Columns {names} of '{filename}' hold lists or records (nested data) and were read as text.")  # fmt: skip
        notes.append(Message(one if len(nested) == 1 else more, names=names, filename=filename))
    frame = frame.reset_index(drop=frame.index.name is None)
    raw_names = [str(c) for c in frame.columns]
    frame.columns = unique_names(raw_names)
    rows = np.arange(2, len(frame) + 2)
    table = RawTable(frame, rows, 1, filename, long_header_notes(raw_names))
    return Workbook({filename: table}, "parquet", notes=notes)


def _nested_as_text(table):
    """The table with its list, struct and map columns as JSON text ({"a": 1}, [1, 2]), and
    their names. Their cells would arrive as dicts and arrays, which cannot be compared or
    counted like the values of a sales table (pandas fails on them: "unhashable type")."""
    import pyarrow as pa

    nested = []
    for i, column in enumerate(table.schema):
        if not pa.types.is_nested(column.type):
            continue
        texts = [
            None if value is None else json.dumps(value, ensure_ascii=False, default=str)
            for value in table.column(i).to_pylist()
        ]
        table = table.set_column(i, column.name, pa.array(texts, pa.string()))
        nested.append(column.name)
    return table, nested
