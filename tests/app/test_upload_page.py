"""AppTest of the Upload page: the demo button, real files through ``file_uploader`` (the messy
German export, ambiguous dates), and bad files that must leave the previous dataset loaded."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from cvm_core import formatting
from cvm_core.intake.dataset import load_file
from tests.app.conftest import as_read, run_page
from tests.unit.conftest import MINIMAL_ROWS, add_zip_parts, entity_bomb, xlsxwriter_bytes
from ui import loaders, state

PAGE = "pages/upload.py"
FILES = Path(__file__).resolve().parents[1] / "files"
MESSY = (FILES / "messy_de_cp1252.csv").read_bytes()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(at, name: str, data: bytes, mime: str = "text/csv"):
    at.file_uploader(key="upload.file").set_value((name, data, mime))
    return at.run()


def button(at, label_start: str):
    return next(b for b in at.button if b.label.startswith(label_start))


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def still_loaded(at, dataset) -> bool:
    note = f"Still loaded: the previous dataset **{formatting.escape_markdown(dataset.name)}**"
    return any(i.value.startswith(note) for i in at.info)


def errors(at) -> list[str]:
    return [as_read(e.value) for e in at.error]


def test_demo_button_loads_the_demo_with_its_headline_figures(demo_dataset):
    at = run_page(PAGE)
    assert not at.exception
    assert state.DATASET not in at.session_state
    button(at, f"Load {loaders.DEMO_RETAIL}").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.name == loaders.DEMO_RETAIL
    # The same file through the same pipeline as the fixture: the same customers and rows.
    assert len(dataset.transactions) == len(demo_dataset.transactions)
    customers = demo_dataset.transactions["customer_id"].nunique()
    shown = metrics(at)
    assert shown["Customers"] == formatting.count(customers)
    assert shown["Transactions"] == formatting.count(len(demo_dataset.transactions))
    assert shown["Gross margin"].startswith("€")  # the demo has cost of goods
    assert at.subheader[0].value == f"Loaded: {formatting.escape_markdown(loaders.DEMO_RETAIL)}"


def test_messy_german_export_through_the_uploader():
    at = upload(run_page(PAGE), "messy.csv", MESSY)
    assert not at.exception and not at.error
    key = loaders.digest(MESSY)
    infos = [as_read(i.value) for i in at.info]
    assert "Read 'messy.csv' with the cp1252 encoding." in infos
    assert "Found the header in row 4; the 3 row(s) above it were skipped as titles." in infos
    # The guessed mapping is shown in the selectboxes, ready to be corrected.
    guessed = {
        role: at.selectbox(key=f"{key}.messy.csv.{role}").value
        for role in ("customer_id", "date", "revenue", "order_id", "return_flag", "quantity")
    }
    assert guessed == {
        "customer_id": "Kundennummer",
        "date": "Bestelldatum",
        "revenue": "Umsatz",
        "order_id": "Bestellnummer",
        "return_flag": "Retoure",
        "quantity": "(none)",
    }
    preview = at.dataframe[0].value
    assert list(preview.columns[:3]) == [
        "Customer ID ← Kundennummer",
        "Date ← Bestelldatum",
        "Revenue ← Umsatz",
    ]
    assert preview.iloc[0, :3].tolist() == ["K-1001", "31.12.2023", "1.234,50 €"]
    assert state.DATASET not in at.session_state  # nothing is loaded before "Use this data"

    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.name == "messy.csv"
    assert dataset.transactions["revenue"].tolist() == [1234.5, 89.9, -12.5, -45.0, -310.0, 2000.0]
    shown = metrics(at)
    assert shown["Customers"] == "3"
    assert shown["Transactions"] == "6"
    # Gross 1,234.50 + 89.90 + 2,000.00 = 3,324.40; returns 12.50 + 45 + 310 = 367.50 = 11.1 %.
    assert shown["Returns"] == "11.1%"
    quality = [e.label for e in at.expander if e.label.startswith("Data quality")]
    assert quality == ["Data quality: 6 of 11 rows kept, 5 set aside"]
    reasons = at.dataframe[-1].value
    assert dict(zip(reasons["Reason"], reasons["Rows"], strict=True)) == {
        "blank row": 1,
        "duplicate of an earlier row (same values in every column)": 1,
        "unreadable date": 1,
        "missing customer id": 1,
        "totals or subtotal row": 1,
    }


def test_ambiguous_dates_ask_and_load_once_the_order_is_chosen():
    data = b"Customer ID,Date,Revenue\nA,03/04/2024,10\nB,05/06/2024,20\n"
    at = upload(run_page(PAGE), "us.csv", data)
    key = loaders.digest(data)
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception
    assert state.DATASET not in at.session_state
    assert any("day-first or month-first" in e for e in errors(at))
    assert any("please choose day first or month first" in w.value for w in at.warning)
    at.radio(key=f"{key}.date_order").set_value("monthfirst")
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dates = at.session_state[state.DATASET].transactions["date"].dt.strftime("%Y-%m-%d")
    assert dates.tolist() == ["2024-03-04", "2024-05-06"]


def test_no_date_column_chosen_no_question_about_how_dates_are_written():
    data = b"Customer ID,Note,Revenue\nA,first,10\nB,second,20\n"
    at = upload(run_page(PAGE), "no_dates.csv", data)
    key = loaders.digest(data)
    assert not at.exception
    date = f"{key}.no_dates.csv.date"  # the mapping's keys carry the sheet: a CSV's name
    assert at.selectbox(key=date).value == "(none)"  # nothing looks like dates
    assert not [r for r in at.radio if r.key == f"{key}.date_order"]
    at.selectbox(key=date).set_value("Note").run()
    assert [r for r in at.radio if r.key == f"{key}.date_order"]


def encrypted_workbook() -> bytes:
    import msoffcrypto.format.ooxml

    book = openpyxl.Workbook()
    book.active.append(["Customer ID", "Date", "Revenue"])
    plain = io.BytesIO()
    book.save(plain)
    plain.seek(0)
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("secret", out)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A real workbook plus two 30 MB parts of zeros: about 120 kB on disk."""
    blob = b"\0" * 30_000_000
    return add_zip_parts(xlsxwriter_bytes(MINIMAL_ROWS), {"xl/media/a.bin": blob, "xl/b.bin": blob})


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.csv", lambda: b"", "'empty.csv' is empty (0 bytes). Export the data again"),
        ("locked.xlsx", encrypted_workbook, "'locked.xlsx' is password-protected."),
        ("photo.xlsx", lambda: bytes(range(256)) * 8, "not a spreadsheet or text file we can read"),
        ("bomb.xlsx", zip_bomb, "(a 'zip bomb'), so it was not opened"),
        (
            "laughs.xlsx",
            lambda: entity_bomb(xlsxwriter_bytes(MINIMAL_ROWS)),
            "contains XML entity declarations",
        ),
    ],
)
def test_unreadable_file_shows_the_error_and_keeps_the_previous_dataset(
    demo_dataset, name, make, message
):
    at = upload(run_page(PAGE, demo_dataset), name, make())
    assert not at.exception
    shown = errors(at)
    assert len(shown) == 1 and message in shown[0]
    assert f"The previously loaded dataset '{demo_dataset.name}' is still active." in shown[0]
    assert at.session_state[state.DATASET] is demo_dataset
    # Said to be still loaded, without its figures (they would read as the new file's).
    assert still_loaded(at, demo_dataset)
    assert not at.subheader and not at.metric


def test_header_only_file_fails_on_use_and_keeps_the_previous_dataset(demo_dataset):
    data = b"Customer ID,Date,Revenue\n"
    at = upload(run_page(PAGE, demo_dataset), "header_only.csv", data)
    assert not at.exception and not at.error
    at.button(key=f"{loaders.digest(data)}.load").click()
    at.run()
    assert not at.exception
    shown = errors(at)
    assert len(shown) == 1 and "only a header row and no data rows" in shown[0]
    assert at.session_state[state.DATASET] is demo_dataset


def test_csv_named_xlsx_is_read_with_a_note():
    data = b"Customer ID,Date,Revenue\nA,2023-01-01,1\nA,2023-02-01,2\n"
    at = upload(run_page(PAGE), "really_a_csv.xlsx", data)
    assert not at.exception and not at.error
    infos = [as_read(i.value) for i in at.info]
    assert (
        "'really_a_csv.xlsx' is named like a workbook but holds plain text; read it as CSV."
        in infos
    )
    at.button(key=f"{loaders.digest(data)}.load").click()
    at.run()
    assert not at.exception and not at.error
    assert metrics(at)["Repeat customers"] == "100.0%"


def test_no_recognisable_columns_says_which_roles_to_pick(demo_dataset):
    data = b"foo,bar\nx,y\nz,w\n"
    at = upload(run_page(PAGE, demo_dataset), "odd.csv", data)
    # Said at once, before anyone clicks "Use this data":
    assert any("doesn't look like a table of sales" in w.value for w in at.warning)
    at.button(key=f"{loaders.digest(data)}.load").click()
    at.run()
    assert not at.exception
    shown = errors(at)
    assert len(shown) == 1 and "No column is chosen for: Customer ID, Date, Revenue." in shown[0]
    assert at.session_state[state.DATASET] is demo_dataset


def test_single_customer_buying_once_loads_with_zero_repeat_share():
    data = b"Customer ID,Date,Revenue\nA,2023-01-01,10\n"
    at = upload(run_page(PAGE), "one.csv", data)
    at.button(key=f"{loaders.digest(data)}.load").click()
    at.run()
    assert not at.exception and not at.error
    shown = metrics(at)
    assert (shown["Customers"], shown["Transactions"], shown["Repeat customers"]) == (
        "1",
        "1",
        "0.0%",
    )
    assert shown["Gross revenue"] == "€10"


def test_demo_workbook_through_the_uploader_finds_its_sheets():
    from cvm_core.intake import demo_workbook

    data = demo_workbook.DEMO_WORKBOOK_PATH.read_bytes()
    at = upload(run_page(PAGE), "demo_retail.xlsx", data, XLSX)
    assert not at.exception and not at.error
    key = loaders.digest(data)
    sheets = [at.selectbox(key=f"{key}.sheet.{k}").value for k in ("tx", "cust", "cts")]
    assert sheets == ["Transactions", "Customers", "Service"]
    pipeline = [at.selectbox(key=f"{key}.sheet.{k}").value for k in ("opp", "hist")]
    assert pipeline == ["Opportunities", "Opportunity History"]
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.customers is not None and dataset.cost_to_serve is not None
    assert dataset.opportunities is not None  # the Sales Pipeline page reads it
    assert metrics(at)["Customers"] == formatting.count(
        dataset.transactions["customer_id"].nunique()
    )


def test_when_no_row_is_usable_the_rows_and_reasons_are_still_downloadable(demo_dataset):
    data = b"Customer ID,Date,Revenue\nA,someday,10\nB,never,20\n"
    at = upload(run_page(PAGE, demo_dataset), "bad_dates.csv", data)
    at.button(key=f"{loaders.digest(data)}.load").click()
    at.run()
    assert not at.exception
    shown = errors(at)
    assert (
        len(shown) == 1 and "None of the 2 rows could be used (2 rows: unreadable date)" in shown[0]
    )
    assert "sheet" not in shown[0]  # a CSV has no sheets to choose
    labels = [b.label for b in at.get("download_button")]
    assert "Download the rows set aside (CSV)" in labels
    assert at.session_state[state.DATASET] is demo_dataset


# --- client files: channels and currency --------------------------------------------------------

GERMAN = (FILES / "german_export.xlsx").read_bytes()
CHINESE = (FILES / "chinese_gbk.csv").read_bytes()


def test_a_new_file_is_mapped_without_the_previous_datasets_figures(demo_dataset):
    at = upload(run_page(PAGE, demo_dataset), "german_export.xlsx", GERMAN, XLSX)
    assert not at.exception and not at.error
    # The demo's KPIs must not sit under the German file's mapping form as if they were its own.
    assert not at.metric and not at.subheader
    assert still_loaded(at, demo_dataset)
    at.button(key=f"{loaders.digest(GERMAN)}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.name == "german_export.xlsx"
    assert at.subheader[0].value == "Loaded: german\\_export.xlsx"  # its own figures now
    assert metrics(at)["Customers"] == "300"


def test_german_channels_are_matched_and_shown_for_correction():
    at = upload(run_page(PAGE), "german_export.xlsx", GERMAN, XLSX)
    assert not at.exception and not at.error
    assert any(m.value.startswith("**Channels**") for m in at.markdown)
    at.button(key=f"{loaders.digest(GERMAN)}.load").click()
    at.run()
    dataset = at.session_state[state.DATASET]
    assert dataset.channel_mapping == {
        "Online": "Online", "Filiale": "Store", "Außendienst": "Field sales", "Telefon": "Phone",
    }  # fmt: skip
    assert set(dataset.transactions["channel"]) == {"Online", "Store", "Field sales", "Phone"}
    shown = " ".join(m.value for m in at.markdown)
    assert "Channels read as the cost model's: Filiale → Store, Außendienst → Field sales" in shown
    assert dataset.currency == "EUR"
    assert dataset.currency_source == "from the column header 'Umsatz (€)'"


def test_chinese_gbk_file_reads_cny_from_the_header():
    at = upload(run_page(PAGE), "chinese_gbk.csv", CHINESE)
    at.button(key=f"{loaders.digest(CHINESE)}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.currency == "CNY"
    assert dataset.currency_source == "from the column header '金额(元)'"
    assert set(dataset.transactions["channel"]) == {"Online", "Store", "Phone"}
    assert metrics(at)["Gross revenue"].startswith("¥")  # money shown in yuan, not euros


def test_sidebar_currency_caption_says_where_the_currency_came_from(demo_dataset):
    from ui.data import currency_caption

    german = load_file(GERMAN, "german_export.xlsx")
    assert currency_caption(german) == "Detected EUR from the column header 'Umsatz (€)'."
    dollars = load_file((FILES / "cdnow_dollars.csv").read_bytes(), "cdnow_dollars.csv")
    assert currency_caption(dollars) == "Detected USD from the column header 'dollars'."
    assert currency_caption(demo_dataset) == (
        "Assumed EUR: the file names no currency. Change it here."
    )


def test_a_channel_corrected_in_the_table_is_loaded_and_kept_with_the_mapping():
    from cvm_core.intake.channels import KEEP_AS_WRITTEN, channel_choices
    from cvm_core.intake.io import read_workbook

    frame = read_workbook(GERMAN, "german_export.xlsx").tables["Umsätze"].frame
    row = channel_choices(frame["Kanal"])["value"].tolist().index("Außendienst")
    at = upload(run_page(PAGE), "german_export.xlsx", GERMAN, XLSX)
    key = loaders.digest(GERMAN)
    # The user says Außendienst is a store and keeps nothing else different.
    at.session_state[f"{key}.Umsätze.channels.Kanal"] = {
        "edited_rows": {row: {"channel": "Store"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=f"{key}.load").click()
    at.run()
    assert not at.exception and not at.error
    dataset = at.session_state[state.DATASET]
    assert dataset.mapping.channels == {"Außendienst": "Store"}
    assert dataset.channel_mapping["Außendienst"] == "Store"
    assert set(dataset.transactions["channel"]) == {"Online", "Store", "Phone"}
    assert KEEP_AS_WRITTEN not in dataset.channel_mapping.values()


def test_a_csv_without_an_extension_is_read_by_its_content():
    """Issue 16: Streamlit re-checked the extension on the server and raised before the page ran
    (the whole page became 'This app has encountered an error'); the file is now read by its
    content, as every other upload."""
    text = "\n".join(",".join(map(str, row)) for row in MINIMAL_ROWS)
    at = upload(run_page(PAGE), "sales", text.encode())
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert any(b.label.startswith("Use this data") for b in at.button)


def test_a_file_streamlit_would_refuse_by_its_name_gets_our_message(demo_dataset):
    """Issue 16: Streamlit re-checks the extension on the server and raised before the page ran
    (the whole page became 'This app has encountered an error'); then the PDF decoded as GB18030
    'text'. It is now told apart by its bytes, and the previous dataset stays loaded."""
    at = upload(run_page(PAGE, demo_dataset), "board pack.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" * 50,
                "application/pdf")  # fmt: skip
    assert not at.exception, [e.value for e in at.exception]
    shown = errors(at)
    assert (
        len(shown) == 1 and "'board pack.pdf' is a PDF document, not a table of sales" in shown[0]
    )
    assert at.session_state[state.DATASET] is demo_dataset


def test_a_customer_table_whose_ids_mostly_match_nothing_is_a_warning_not_a_note():
    """Issue 16: attributes for customers who never bought were accepted silently."""
    import pandas as pd

    sales = pd.DataFrame({"Customer ID": ["A", "B", "A"], "Date": ["2024-01-02", "2024-02-03",
                          "2024-03-04"], "Revenue": [10.0, 20.0, 30.0]})  # fmt: skip
    customers = pd.DataFrame({"Customer ID": ["A", "X1", "X2", "X3", "X4"],
                              "Region": ["North", "South", "South", "West", "East"]})  # fmt: skip
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        sales.to_excel(writer, sheet_name="Transactions", index=False)
        customers.to_excel(writer, sheet_name="Customers", index=False)
    data = out.getvalue()
    at = upload(run_page(PAGE), "sales.xlsx", data, XLSX)
    at.button(key=f"{loaders.digest(data)}.load").click()
    at.run()
    assert not at.exception and not at.error
    warnings = [as_read(w.value) for w in at.warning]
    assert any(
        "Only 1 of 5 customer ids in the attributes table ('Customers') appear in the "
        "transactions" in w
        for w in warnings
    ), warnings
