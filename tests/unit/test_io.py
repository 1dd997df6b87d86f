"""Reading files (cvm_core.intake.io): formats, encodings, delimiters, header rows, and bad files.

Expected values are written out by hand from the file contents in each test.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cvm_core.errors import CvmError, ReadError
from cvm_core.intake import io as cio
from cvm_core.intake.dataset import guess_sheet_roles, load_file
from cvm_core.intake.io import detect_delimiter, find_header_row, read_workbook, sniff_format

FILES_DIR = Path(__file__).resolve().parents[1] / "files"


def only_table(workbook):
    assert len(workbook.tables) == 1
    return next(iter(workbook.tables.values()))


def cells(table) -> list[list[str]]:
    """The table's cells as text, as a person reads them off the screen."""
    return table.frame.astype(str).values.tolist()


# --- delimiters and encodings ------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(delimiter):
    text = delimiter.join(["Customer ID", "Date", "Revenue"]) + "\n"
    text += delimiter.join(["A", "2023-01-01", "10.5"]) + "\n"
    text += delimiter.join(["B", "2023-01-02", "20"]) + "\n"
    workbook = read_workbook(text.encode(), "sales.txt")
    table = only_table(workbook)
    assert workbook.file_format == "csv"
    assert workbook.delimiter == delimiter
    assert list(table.frame.columns) == ["Customer ID", "Date", "Revenue"]
    assert cells(table) == [["A", "2023-01-01", "10.5"], ["B", "2023-01-02", "20"]]
    assert table.source_rows.tolist() == [2, 3]


def test_delimiter_inside_quotes_does_not_count():
    # Semicolons in a quoted product name must not outvote the commas that separate fields.
    lines = ["Customer ID,Product,Revenue", 'A,"Tea; green; 100 bags",5', 'B,"Cups; 6; white",7']
    assert detect_delimiter(lines) == ","


def test_utf8_with_bom_keeps_first_header_clean():
    data = "Kundennummer;Bestelldatum;Umsatz\nMüller;31.12.2023;5\n".encode("utf-8-sig")
    workbook = read_workbook(data, "bom.csv")
    table = only_table(workbook)
    assert workbook.encoding == "utf-8-sig"
    # The BOM must not stick to the first header (it would break the column guess).
    assert list(table.frame.columns) == ["Kundennummer", "Bestelldatum", "Umsatz"]
    assert cells(table) == [["Müller", "31.12.2023", "5"]]
    assert workbook.notes == []


def test_utf8_without_bom():
    data = "Kunde,Datum,Betrag\nGroß & Söhne,2023-01-01,5\n".encode()
    workbook = read_workbook(data, "plain.csv")
    assert workbook.encoding == "utf-8"
    assert cells(only_table(workbook)) == [["Groß & Söhne", "2023-01-01", "5"]]


def test_cp1252_umlauts_and_euro_sign():
    text = "Kunde;Datum;Betrag\nMüller Bäckerei;31.12.2023;1.234,50 €\nÖztürk Straße;01.01.2024;9,99 €\n"
    workbook = read_workbook(text.encode("cp1252"), "export.csv")
    table = only_table(workbook)
    assert cells(table) == [
        ["Müller Bäckerei", "31.12.2023", "1.234,50 €"],
        ["Öztürk Straße", "01.01.2024", "9,99 €"],
    ]
    # The user is told which encoding was used.
    assert any("cp1252" in note for note in workbook.notes)


def test_gb18030_chinese_headers_and_values():
    data = (FILES_DIR / "sales_zh_gb18030.csv").read_bytes()
    workbook = read_workbook(data, "sales_zh.csv")
    table = only_table(workbook)
    assert workbook.encoding == "gb18030"
    assert list(table.frame.columns) == ["客户编号", "订单日期", "金额", "订单号", "是否退货"]
    assert cells(table)[0] == ["C001", "2023年3月12日", "¥1,200.00", "D1", "否"]
    assert cells(table)[3] == ["合计", "", "1,588.50", "", ""]


def test_encoding_guess_is_checked_on_the_whole_file():
    # A short GB18030 file that the statistical guess takes for cp1252, in which byte 0x90 is
    # undefined: the reader must fall back to an encoding that decodes it, not crash.
    data = "Customer ID,Date,Revenue\r\n\x08\U000103d6,2023-01-01,1\r\n".encode("gb18030")
    assert b"\x90" in data
    workbook = read_workbook(data, "short.csv")
    assert workbook.encoding != "cp1252"
    assert cells(only_table(workbook))[0][1:] == ["2023-01-01", "1"]


def test_utf16_with_bom():
    data = "Kunde\tDatum\tBetrag\nA\t01.01.2023\t5\n".encode("utf-16")
    table = only_table(read_workbook(data, "utf16.txt"))
    assert list(table.frame.columns) == ["Kunde", "Datum", "Betrag"]
    assert cells(table) == [["A", "01.01.2023", "5"]]


# --- where the table starts --------------------------------------------------------------------


def test_title_rows_above_the_header_are_skipped_and_reported():
    data = (FILES_DIR / "messy_de_cp1252.csv").read_bytes()
    table = only_table(read_workbook(data, "messy.csv"))
    assert table.header_row == 4
    assert list(table.frame.columns) == [
        "Kundennummer", "Bestelldatum", "Umsatz", "Bestellnummer", "Retoure",
    ]  # fmt: skip
    # Lines 5..15 of the file are the 11 data rows, each with its own line number.
    assert table.source_rows.tolist() == list(range(5, 16))
    assert cells(table)[0] == ["K-1001", "31.12.2023", "1.234,50 €", "A-1", "Nein"]
    assert any("row 4" in note for note in table.notes)


def test_find_header_row_prefers_the_row_of_known_column_names():
    top = pd.DataFrame(
        [
            ["Quarterly report", None, None],
            ["Region: North", "Currency: EUR", None],
            ["Customer ID", "Order Date", "Revenue"],
            ["C1", "2023-01-01", "5"],
        ],
        dtype=object,
    )
    assert find_header_row(top) == 2


def test_blank_lines_keep_row_numbers_of_the_file():
    data = b"Customer ID,Date,Revenue\r\nA,2023-01-01,10\r\n\r\nB,2023-01-02,20\r\n"
    table = only_table(read_workbook(data, "gaps.csv"))
    assert table.source_rows.tolist() == [2, 3, 4]
    assert cells(table) == [["A", "2023-01-01", "10"], ["", "", ""], ["B", "2023-01-02", "20"]]


def test_quoted_line_break_in_a_cell_is_one_row():
    data = b'Customer ID,Date,Revenue,Note\nA,2023-01-01,10,"two\nlines"\nB,2023-01-02,20,x\n'
    table = only_table(read_workbook(data, "quoted.csv"))
    assert cells(table) == [["A", "2023-01-01", "10", "two\nlines"], ["B", "2023-01-02", "20", "x"]]
    # Excel shows the quoted cell in one row: row 2; the next record is row 3.
    assert table.source_rows.tolist() == [2, 3]


def test_title_cell_with_a_line_break_does_not_shift_the_header():
    data = (
        b'"Sales report\nQ1 2024",,\nCustomer ID,Date,Revenue\nA,2023-01-01,10\nB,2023-01-02,20\n'
    )
    table = only_table(read_workbook(data, "title.csv"))
    assert list(table.frame.columns) == ["Customer ID", "Date", "Revenue"]
    assert cells(table) == [["A", "2023-01-01", "10"], ["B", "2023-01-02", "20"]]


def test_unicode_line_separator_in_a_title_loses_no_row():
    data = "Report\u2028Q1;;\nCustomer ID;Date;Revenue\nA;2023-01-01;10\nB;2023-01-02;20\n"
    table = only_table(read_workbook(data.encode(), "sep.csv"))
    assert cells(table) == [["A", "2023-01-01", "10"], ["B", "2023-01-02", "20"]]


def test_ragged_rows_widen_the_table():
    data = b"Customer ID,Date,Revenue\nA,2023-01-01,10\nB,2023-01-02,20,late note\n"
    table = only_table(read_workbook(data, "ragged.csv"))
    assert table.frame.shape == (2, 4)
    assert cells(table)[1] == ["B", "2023-01-02", "20", "late note"]


# --- workbooks ---------------------------------------------------------------------------------


def sales_workbook(build) -> bytes:
    return build.xlsx(
        {
            "Read me": [["This workbook holds the 2023 sales of ACME GmbH."]],
            "Kunden": [
                ["Kundennummer", "Kundenname", "Region", "Kunde seit", "Akquisitionskosten"],
                [1001, "Alpha AG", "Nord", dt.datetime(2020, 1, 1), 150.0],
                [1002, "Beta GmbH", "Süd", dt.datetime(2021, 6, 30), 90.0],
            ],
            "Umsatz 2023": [
                ["ACME GmbH – Umsatzliste 2023"],
                [],
                ["Kundennummer", "Bestelldatum", "Umsatz", "Bestellnummer"],
                [1001, dt.datetime(2023, 1, 5), 100.5, "A1"],
                [1002, dt.datetime(2023, 2, 5, 13, 30), 50, "A2"],
                [None, None, None, None],
                [1001, "15.03.2023", "1.234,50", "A3"],
                ["Summe", None, 1385.0, None],
            ],
            "Service": [
                ["Kundennummer", "Service Calls", "Deliveries"],
                [1001, 3, 5],
                [1002, 0, 1],
            ],
        }
    )


def test_xlsx_with_several_sheets_finds_every_table(build):
    workbook = read_workbook(sales_workbook(build), "sales.xlsx")
    assert workbook.file_format == "xlsx"
    assert list(workbook.tables) == ["Read me", "Kunden", "Umsatz 2023", "Service"]
    sales = workbook.tables["Umsatz 2023"]
    assert sales.header_row == 3
    assert sales.source_rows.tolist() == [4, 5, 6, 7, 8]
    # Workbook cells keep their types: numbers stay numbers, datetimes stay datetimes.
    assert sales.frame["Umsatz"].tolist()[:2] == [100.5, 50.0]
    assert sales.frame["Bestelldatum"].tolist()[1] == dt.datetime(2023, 2, 5, 13, 30)


def test_guess_sheet_roles_picks_transactions_customers_and_cost_to_serve(build):
    workbook = read_workbook(sales_workbook(build), "sales.xlsx")
    roles = guess_sheet_roles(workbook)
    assert (roles.transactions, roles.customers, roles.cost_to_serve) == (
        "Umsatz 2023",
        "Kunden",
        "Service",
    )


def test_xlsx_dataset_has_transactions_customers_and_drivers(build):
    dataset = load_file(sales_workbook(build), "sales.xlsx")
    tx = dataset.transactions
    assert tx["customer_id"].tolist() == ["1001", "1002", "1001"]  # 1001.0 -> "1001"
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-01-05", "2023-02-05", "2023-03-15"]
    assert tx["revenue"].tolist() == [100.5, 50.0, 1234.5]
    assert tx["source_row"].tolist() == [4, 5, 7]
    rejected = dataset.validation.rejected[["Row in file", "Reason"]].values.tolist()
    assert rejected == [[6, "blank row"], [8, "totals or subtotal row"]]

    customers = dataset.customers
    assert customers.index.tolist() == ["1001", "1002"]
    assert customers.loc["1002", "customer_name"] == "Beta GmbH"
    assert customers.loc["1002", "acquisition_date"] == pd.Timestamp("2021-06-30")
    assert customers.loc["1001", "acquisition_cost"] == 150.0

    drivers = dataset.cost_to_serve
    assert list(drivers.columns) == ["Service Calls", "Deliveries"]
    assert drivers.loc["1001"].tolist() == [3.0, 5.0]


def test_ods_is_read(build):
    data = build.ods(
        "Umsätze",
        [
            ["Kunde", "Datum", "Umsatz"],
            ["K1", ("date", "2023-03-01"), 10.5],
            ["K2", ("date", "2023-03-02"), 20.0],
        ],
    )
    workbook = read_workbook(data, "sales.ods")
    assert workbook.file_format == "ods"
    table = workbook.tables["Umsätze"]
    assert table.frame["Kunde"].tolist() == ["K1", "K2"]
    assert table.frame["Umsatz"].tolist() == [10.5, 20.0]
    dataset = load_file(data, "sales.ods")
    assert dataset.transactions["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-03-01",
        "2023-03-02",
    ]


def test_parquet_is_read_with_types():
    frame = pd.DataFrame(
        {
            "Customer ID": ["A", "B"],
            "Date": pd.to_datetime(["2023-01-01", "2023-01-02"]),
            "Revenue": [1.5, 2.5],
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    workbook = read_workbook(buffer.getvalue(), "sales.parquet")
    table = only_table(workbook)
    assert workbook.file_format == "parquet"
    pd.testing.assert_frame_equal(table.frame, frame)
    assert table.source_rows.tolist() == [2, 3]


def test_csv_renamed_to_xlsx_is_read_as_csv_with_a_note():
    data = b"Customer ID,Date,Revenue\nA,2023-01-01,1\n"
    workbook = read_workbook(data, "really_a_csv.xlsx")
    assert workbook.file_format == "csv"
    assert cells(only_table(workbook)) == [["A", "2023-01-01", "1"]]
    assert workbook.notes == [
        "'really_a_csv.xlsx' is named like a workbook but holds plain text; read it as CSV."
    ]


def test_format_is_told_by_bytes_not_name(build, minimal_xlsx):
    assert sniff_format(minimal_xlsx, "sales.csv") == "xlsx"
    assert sniff_format(b"PAR1....", "x.csv") == "parquet"
    assert sniff_format(b"a,b\n1,2\n", "x.xlsx") == "csv"
    assert sniff_format(build.ods("S", [["a"]]), "x.xlsx") == "ods"


def test_header_row_override(build):
    data = build.xlsx({"S": [["Customer ID", "Date", "Revenue"], ["A", "2023-01-01", 1.0]]})
    table = read_workbook(data, "x.xlsx", header_rows={"S": 2}).tables["S"]
    assert list(table.frame.columns) == ["A", "2023-01-01", "1.0"]
    assert table.header_row == 2


# --- bad files ---------------------------------------------------------------------------------

# An instruction starts a sentence: "Export the data again...", "Open it in Excel...".
TELLS_WHAT_TO_DO = re.compile(r"(?:^|[.:;] )(Export|Save|Open|Upload|Remove|Unzip|Pick|Check)\b")


def read_error(data: bytes, filename: str) -> str:
    with pytest.raises(ReadError) as info:
        read_workbook(data, filename)
    message = str(info.value)
    assert TELLS_WHAT_TO_DO.search(message), message
    return message


def test_empty_file():
    assert "is empty (0 bytes)" in read_error(b"", "empty.csv")


def test_whitespace_only_file():
    assert "has no text in it" in read_error(b"\r\n  \n\t\n", "blank.csv")


def test_password_protected_xlsx(encrypted_xlsx):
    assert encrypted_xlsx.startswith(b"\xd0\xcf\x11\xe0")  # encrypted OOXML is an OLE container
    message = read_error(encrypted_xlsx, "locked.xlsx")
    assert "password-protected" in message
    assert "remove the password" in message


def test_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(cio, "MAX_FILE_BYTES", 1024)
    message = read_error(b"Customer ID,Date,Revenue\n" + b"A,2023-01-01,1\n" * 100, "big.csv")
    assert "the limit is" in message


def test_random_binary_named_xlsx():
    data = bytes(range(256)) * 8
    assert "not a spreadsheet or text file we can read" in read_error(data, "photo.xlsx")


def test_damaged_zip_named_xlsx():
    with pytest.raises(ReadError, match="damaged"):
        read_workbook(b"PK\x03\x04" + b"\x00" * 200, "broken.xlsx")


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.pdf", b"%PDF-1.4")
    assert "not an Excel or OpenDocument workbook" in read_error(buffer.getvalue(), "x.xlsx")


def test_damaged_parquet():
    with pytest.raises(ReadError, match="could not be read as Parquet"):
        read_workbook(b"PAR1 this is not parquet", "x.parquet")


def test_parquet_without_rows():
    with pytest.raises(ReadError, match="holds no rows"):
        read_workbook(empty_parquet(), "empty.parquet")


def test_workbook_whose_sheets_are_all_empty(build):
    with pytest.raises(ReadError, match="Every sheet in 'blank.xlsx' is empty"):
        read_workbook(build.xlsx({"Sheet1": [], "Sheet2": [[None, None]]}), "blank.xlsx")


def empty_parquet() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"Customer ID": pd.Series([], dtype=str)}).to_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "case", ["damaged zip", "damaged parquet", "empty parquet", "empty sheets"]
)
def test_every_read_error_says_what_to_do(case, build):
    data, name = {
        "damaged zip": (b"PK\x03\x04" + b"\x00" * 200, "broken.xlsx"),
        "damaged parquet": (b"PAR1 this is not parquet", "x.parquet"),
        "empty parquet": (empty_parquet(), "empty.parquet"),
        "empty sheets": (build.xlsx({"Sheet1": []}), "blank.xlsx"),
    }[case]
    read_error(data, name)


def test_zip_bomb_over_the_total_limit(monkeypatch, minimal_xlsx, build):
    # A 2 MB part against a 1 MB budget: the limits are patched so the bomb stays tiny.
    monkeypatch.setattr(cio, "MAX_UNCOMPRESSED_BYTES", 1024**2)
    data = build.add_zip_parts(minimal_xlsx, {"xl/media/pad.bin": b"\0" * 2 * 1024**2})
    assert len(data) < 20_000
    assert "zip bomb" in read_error(data, "bomb.xlsx")


def test_zip_bomb_with_one_genuinely_high_ratio_part(minimal_xlsx, build):
    # 60 MB of zeros deflate to ~60 kB: a ratio near 1000:1, far beyond any real workbook part.
    data = build.add_zip_parts(minimal_xlsx, {"xl/worksheets/sheet2.xml": b"\0" * 60_000_000})
    assert len(data) < 200_000
    assert "zip bomb" in read_error(data, "bomb.xlsx")


def test_zip_bomb_split_into_parts_below_50_mb(minimal_xlsx, build):
    blob = b"\0" * 30_000_000
    data = build.add_zip_parts(minimal_xlsx, {"xl/media/a.bin": blob, "xl/media/b.bin": blob})
    assert len(data) < 200_000
    assert "zip bomb" in read_error(data, "bomb.xlsx")


def test_zip_bomb_dressed_as_xlsb_is_still_refused(minimal_xlsx, build):
    # An empty xl/workbook.bin makes the file look like xlsb; the safety check must still run.
    parts = {"xl/workbook.bin": b"", "xl/worksheets/sheet2.xml": b"\0" * 60_000_000}
    data = build.add_zip_parts(minimal_xlsx, parts)
    assert "zip bomb" in read_error(data, "bomb.xlsx")


def test_parquet_that_unpacks_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(cio, "MAX_UNCOMPRESSED_BYTES", 1024**2)
    frame = pd.DataFrame({"customer": ["A"] * 100_000, "amount": [0.0] * 100_000})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    assert len(buffer.getvalue()) < 100_000  # small on disk, 1.6 MB as cells
    assert "customer summary instead" in read_error(buffer.getvalue(), "big.parquet")


def test_xml_entity_bomb_in_shared_strings(build):
    data = build.entity_bomb(build.xlsxwriter(build.minimal_rows))
    assert "<!ENTITY" in zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml").decode()
    assert "XML entity declarations" in read_error(data, "laughs.xlsx")


def test_xml_entity_bomb_behind_a_long_comment_is_still_refused(build):
    # XML allows a comment of any length before the DOCTYPE: the check reads the whole prolog.
    data = build.entity_bomb(build.xlsxwriter(build.minimal_rows), padding=50_000)
    assert "XML entity declarations" in read_error(data, "laughs.xlsx")


def test_megabytes_of_comments_before_the_root_element_are_refused(build):
    data = build.entity_bomb(build.xlsxwriter(build.minimal_rows), padding=2 * 1024**2)
    assert "over 1 MB of comments" in read_error(data, "padded.xlsx")


@pytest.mark.parametrize("damage", ["bad crc", "encrypted member", "unknown compression"])
def test_damaged_workbook_parts_raise_read_error(damage, build):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    if damage == "bad crc":
        at = data.find(b"<workbook/>")
        data[at + 1] = ord("W")
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        while at >= 0:
            if damage == "encrypted member":
                data[at + flag_at] |= 1
            if damage == "unknown compression":
                data[at + method_at : at + method_at + 2] = (99).to_bytes(2, "little")
            at = data.find(signature, at + 4)
    with pytest.raises(ReadError, match="damaged"):
        read_workbook(bytes(data), "damaged.xlsx")


def test_read_errors_are_cvm_errors():
    # The page and the command line catch CvmError: a ReadError must be one.
    assert issubclass(ReadError, CvmError)


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"), (b"\x89PNG\r\n\x1a\n", "a PNG image"),
     (b"\xff\xd8\xff\xe0", "a JPEG image"), (b"\x1f\x8b\x08\x00", "a gzip archive")],
)  # fmt: skip
def test_reports_and_images_are_named_not_read_as_text(head, kind):
    # A PDF's bytes decode as GB18030 'text' and became a one-column CSV.
    with pytest.raises(ReadError, match=f"'q1.csv' is {kind}, not a table of sales"):
        sniff_format(head + b"binary tail " * 100, "q1.csv")
