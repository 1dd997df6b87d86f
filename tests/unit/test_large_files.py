"""Large uploads left on disk: the dataset built from the file, the tables the Upload page, the
Whale's driver list, the customer dialog and the Prospects analysis read from it, and every
analysis run through AnalysisInputs from it, equal to the same rows in memory."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from cvm_core.analyses import registry
from cvm_core.analyses.inputs import AnalysisInputs, dataset_source
from cvm_core.analyses.profitability.drivers import available_drivers
from cvm_core.analyses.prospects import features as feats
from cvm_core.analyses.sources import Channels, FileSource, FrameSource
from cvm_core.errors import ReadError, ValidationError
from cvm_core.intake import engine_ids, engines, large_files
from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.intake.schema import ColumnMapping, clean_ids
from cvm_core.intake.summary import dataset_overview
from tests.unit.engine_files import SPARK, demo_transactions, write_parquet
from tests.unit.test_sources import assert_same

COLUMNS = ["customer_id", "date", "revenue", "is_return", "order_id", "channel", "category"]
COLUMNS += ["cost", "quantity", "product"]
ROLES = {c: c for c in COLUMNS}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    transactions = demo_transactions(COLUMNS)
    path = write_parquet(transactions, tmp_path_factory.mktemp("large") / "demo.parquet")
    return path, transactions


# -- the source's new tables, hand-computed ---------------------------------------------------

# A buys twice on 2 Jan (Books 30 Online, Toys 30 Phone: a tie) and returns 10 on 5 Jan;
# B's first day (3 Jan) has Garden 20 (Phone) and Books 50 (no channel); C has one line without
# a category or channel on 1 Feb 2025, and a second one 400 days later.
HAND = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "B", "B", "C", "C"],
        "date": pd.to_datetime(
            [
                "2024-01-02",
                "2024-01-02",
                "2024-01-05",
                "2024-01-03",
                "2024-01-03",
                "2024-02-01",
                "2025-03-06",
            ]
        ),  # fmt: skip
        "revenue": [30.0, 30.0, -10.0, 20.0, 50.0, 5.0, 7.0],
        "is_return": [False, False, True, False, False, False, False],
        "category": ["Toys", "Books", "Books", "Garden", "Books", None, None],
        "channel": ["Phone", "Online", "Online", "Phone", None, None, None],
    }
)


@pytest.fixture(scope="module")
def hand_file(tmp_path_factory):
    return write_parquet(HAND, tmp_path_factory.mktemp("hand") / "hand.parquet")


@pytest.mark.parametrize("engine", ["memory", "duckdb", SPARK])
def test_first_purchases_by_hand(engine, hand_file):
    source = FrameSource(HAND) if engine == "memory" else FileSource(hand_file, engine)
    got = source.first_purchases().set_index("customer_id").sort_index()
    assert got["first_order_value"].tolist() == [60.0, 70.0, 5.0]
    # A: a tie between Books and Toys goes to the first name; B: Books has the most revenue.
    assert got["first_category"].tolist()[:2] == ["Books", "Books"]
    assert pd.isna(got["first_category"].iloc[2])
    # A: Online and Phone tie at 30; B: Phone is the only channel recorded that day.
    assert got["first_channel"].tolist()[:2] == ["Online", "Phone"]


@pytest.mark.parametrize("engine", ["memory", "duckdb", SPARK])
def test_first_year_by_hand(engine, hand_file):
    source = FrameSource(HAND) if engine == "memory" else FileSource(hand_file, engine)
    got = source.first_year().set_index("customer_id").sort_index()
    # A: 30 + 30 - 10; B: 70; C: 5 (the second line is 399 days later).
    assert got["first_year_revenue"].tolist() == [50.0, 70.0, 5.0]
    index = pd.Index(["A", "B", "C", "D"])
    values = feats.first_year_revenue(got.reset_index(), index, pd.Timestamp("2025-01-15"))
    # C started under a year before the end: its first year is unknown; D has no purchase.
    assert values.tolist()[:2] == [50.0, 70.0] and values.iloc[2:].isna().all()


@pytest.mark.parametrize("engine", ["memory", "duckdb", SPARK])
def test_monthly_activity_channels_and_rows_by_hand(engine, hand_file):
    source = FrameSource(HAND) if engine == "memory" else FileSource(hand_file, engine)
    monthly = source.monthly_activity()
    assert monthly["month"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2025-03"]
    assert monthly["net_revenue"].tolist() == [120.0, 5.0, 7.0]
    assert monthly["active_customers"].tolist() == [2, 1, 1]
    assert source.channels() == Channels(("Online", "Phone"), some_missing=True)
    assert source.line_count() == 7
    rows = source.customer_rows("B")
    assert rows["revenue"].tolist() == [20.0, 50.0]
    assert rows["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-03"] * 2


def test_customer_rows_quote_the_id(hand_file):
    """An id with a quote is a value, not SQL."""
    assert FileSource(hand_file).customer_rows("A' OR '1'='1").empty


# -- the demo data: the file's tables equal the pandas ones ------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_new_tables_equal_pandas_on_the_demo(engine, demo):
    path, transactions = demo
    memory, disk = FrameSource(transactions), FileSource(path, engine)
    assert disk.line_count() == memory.line_count() == len(transactions)
    assert_same(disk.monthly_activity(), memory.monthly_activity(), "monthly")
    assert disk.channels() == memory.channels()
    assert disk.has_quantities() and memory.has_quantities()
    index = pd.Index(sorted(transactions["customer_id"].astype(str).unique()))
    assert_same(feats.first_purchase_from_table(disk.first_purchases(), index),
                feats.first_purchase(transactions, index), "first purchase")  # fmt: skip
    end = transactions["date"].max()
    assert_same(
        feats.first_year_revenue(disk.first_year(), index, end),
        feats.first_year_revenue(memory.first_year(), index, end),
        "first year",
    )
    one = index[7]
    want = memory.customer_rows(one).sort_values(["date", "revenue"]).reset_index(drop=True)
    got = disk.customer_rows(one).sort_values(["date", "revenue"]).reset_index(drop=True)
    assert_same(got[["date", "revenue", "is_return"]], want[["date", "revenue", "is_return"]])
    assert available_drivers(disk, None) == available_drivers(memory, None)


# -- the dataset from a large file --------------------------------------------------------------


def file_dataset(path, roles=ROLES, rows=None):
    rows = rows if rows is not None else len(pd.read_parquet(path))
    return large_files.dataset_from_file(
        path, "sales.parquet", ColumnMapping(dict(roles)), "fp", rows
    )


def test_the_file_dataset_knows_dates_lines_and_columns(demo):
    path, transactions = demo
    dataset = file_dataset(path)
    assert dataset.has_transactions and dataset.transactions.empty
    assert dataset.observation_start == transactions["date"].min()
    assert dataset.observation_end == transactions["date"].max()
    assert dataset.transaction_file.lines == len(transactions)
    assert dataset.has("channel") and dataset.has("cost") and not dataset.has("unit_price")
    assert dataset.validation.rejected.empty


def test_rows_without_a_customer_date_or_amount_are_listed(tmp_path):
    frame = pd.DataFrame(
        {
            "kunde": ["A", None, "B", "C"],
            "datum": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-04"]),
            "umsatz": [10.0, 20.0, 30.0, None],
        }
    )
    path = write_parquet(frame, tmp_path / "t.parquet")
    roles = {"customer_id": "kunde", "date": "datum", "revenue": "umsatz"}
    dataset = file_dataset(path, roles)
    rejected = dataset.validation.rejected
    assert rejected["Row in file"].tolist() == [2, 3, 4]
    assert rejected["Reason"].tolist() == ["missing customer id", "missing date", "missing amount"]
    assert rejected["umsatz"].tolist() == ["20.0", "30.0", ""]
    assert dataset.transaction_file.lines == 1 and dataset.validation.rows_read == 4


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
@pytest.mark.parametrize(
    ("ids", "customers"),
    [
        ([1001.0, 1001.0, 1002.0, None, 1003.5], ["1001", "1002", "1003.5"]),
        ([" A1", "A1 ", "\u3000B2\xa0", "", " \t"], ["A1", "B2"]),
    ],
    ids=["whole numbers stored as floats", "text with blanks"],
)
def test_customer_ids_on_disk_are_read_as_the_intake_reads_them(engine, ids, customers, tmp_path):
    """A workbook's 1001.0 is customer '1001' and ' A1' is 'A1' (schema.clean_ids): the same
    file on disk gives the same customers, and blank ids are set aside as missing."""
    days = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"])
    frame = pd.DataFrame({"kunde": ids, "datum": days, "umsatz": [10.0, 20.0, 30.0, 40.0, 50.0]})
    path = write_parquet(frame, tmp_path / "ids.parquet")
    assert sorted(clean_ids(frame["kunde"]).dropna().unique()) == customers  # in memory
    roles = {"customer_id": "kunde", "date": "datum", "revenue": "umsatz"}
    source = FileSource(path, engine, columns=roles)
    summary = source.summary("week", days[-1])
    assert sorted(summary.index) == customers
    pandas_engine = engines.summarize(path, "pandas", "week", f"{days[-1]:%Y-%m-%d}", roles)
    assert sorted(pandas_engine.index) == customers  # the command line's in-memory engine
    dataset = file_dataset(path, roles)
    blank = [i + 1 for i, value in enumerate(ids) if clean_ids(pd.Series([value])).isna().all()]
    assert dataset.validation.rejected["Row in file"].tolist() == blank
    assert set(dataset.validation.rejected["Reason"]) == {"missing customer id"}
    assert dataset.transaction_file.lines == len(ids) - len(blank)


def test_only_a_file_with_padded_or_blank_text_ids_is_cleaned_in_every_query(tmp_path):
    import duckdb

    for ids, expected in ((["A1", "B2"], False), (["A1", "B2 "], True), (["A1", ""], True)):
        path = write_parquet(pd.DataFrame({"kunde": ids}), tmp_path / f"{expected}{len(ids[1])}.pq")
        source = f"read_parquet('{path}')"
        with duckdb.connect() as con:
            assert engine_ids.text_ids_need_cleaning(con, source, str(path), '"kunde"') is expected


def test_a_text_amount_column_is_refused_with_a_reason(tmp_path):
    frame = pd.DataFrame({"c": ["A"], "d": pd.to_datetime(["2024-01-01"]), "r": ["1.234,50"]})
    path = write_parquet(frame, tmp_path / "t.parquet")
    with pytest.raises(ValidationError, match="'r' holds string values.*numbers"):
        file_dataset(path, {"customer_id": "c", "date": "d", "revenue": "r"})


def test_text_dates_must_be_iso(tmp_path):
    roles = {"customer_id": "c", "date": "d", "revenue": "r"}
    german = pd.DataFrame({"c": ["A", "B"], "d": ["05.01.2023", "06.01.2023"], "r": [1.0, 2.0]})
    path = write_parquet(german, tmp_path / "de.parquet")
    with pytest.raises(ValidationError, match="'d' holds dates written as text like '05.01.2023'"):
        file_dataset(path, roles)
    # ISO text is read as dates; one bad date past the sample gets its own message.
    iso = pd.DataFrame({"c": ["A"] * 2001 + ["B"], "d": ["2023-01-05"] * 2001 + ["31.12.2023"],
                        "r": [1.0] * 2002})  # fmt: skip
    path = write_parquet(iso, tmp_path / "iso.parquet")
    with pytest.raises(
        ValidationError, match="A value of column 'd' in 'sales.parquet' is not a date"
    ):
        file_dataset(path, roles)
    dataset = file_dataset(write_parquet(iso.head(2001), tmp_path / "ok.parquet"), roles)
    assert dataset.observation_end == pd.Timestamp("2023-01-05")


def test_only_parquet_over_the_stated_size_goes_to_disk(demo, monkeypatch):
    path, transactions = demo
    data = open(path, "rb").read()
    monkeypatch.setattr(large_files, "LARGE_FILE_ROWS", len(transactions) - 1)
    assert large_files.is_large_upload("x.parquet", data)
    assert not large_files.is_large_upload("x.csv", data)
    monkeypatch.setattr(large_files, "LARGE_FILE_ROWS", len(transactions))
    assert not large_files.is_large_upload("x.parquet", data)


def test_saved_once_under_its_digest(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("CVM_UPLOAD_DIR", str(tmp_path))
    data = open(demo[0], "rb").read()
    first = large_files.save_upload(data, "abc")
    assert first == tmp_path / "abc.parquet" and first.read_bytes() == data
    assert large_files.save_upload(data, "abc") == first
    assert [p.name for p in tmp_path.iterdir()] == ["abc.parquet"]


def test_an_upload_in_use_is_kept_and_one_deleted_is_explained(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("CVM_UPLOAD_DIR", str(tmp_path))
    data = open(demo[0], "rb").read()
    used, idle = large_files.save_upload(data, "used"), large_files.save_upload(data, "idle")
    three_days_ago = time.time() - 3 * 86400
    for path in (used, idle):
        os.utime(path, (three_days_ago, three_days_ago))
    source = FileSource(used, upload=True)
    source.table("date_range", None)  # a page reads the upload: it is in use
    large_files.save_upload(data, "next")  # the next upload cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.parquet", "used.parquet"]
    used.unlink()  # e.g. by another server's clean-up
    with pytest.raises(ReadError, match="no longer on the server.*Upload it again"):
        source.table("date_range", None)


# -- every analysis from the file dataset equals the one from the same rows in memory ----------


def _key_table(name: str, result) -> pd.DataFrame:
    """The per-customer (or per-measure) table each analysis's page leads with."""
    if name == "segments":
        return result.membership
    if name == "profitability":
        return result.result.pnl
    if name == "clv":
        return result.values.customers[["clv", "p_alive"]]
    if name == "retention":
        return result.status
    if name == "scorecard":
        return result.table.select_dtypes("number")
    # Prospects: the traits learnt from (its values carry the CLV fit's ~1e-5, checked above).
    return result.features


@pytest.fixture(scope="module")
def both_inputs(demo):
    path, transactions = demo
    return (
        AnalysisInputs.of(file_dataset(path)),
        AnalysisInputs.of(dataset_from_frame(transactions, "demo")),
    )


@pytest.mark.parametrize(
    "name", ["segments", "profitability", "clv", "retention", "scorecard", "prospects"]
)
def test_every_analysis_from_a_file_dataset_equals_memory(name, both_inputs):
    on_disk, memory = both_inputs
    assert isinstance(on_disk.transaction_source, FileSource)
    pd.testing.assert_frame_equal(on_disk.summary, memory.summary, check_index_type=False)
    run = registry.resolve(next(a.run for a in registry.ANALYSES if a.name == name))
    got, want = _key_table(name, run(on_disk)), _key_table(name, run(memory))
    assert len(want) > 0
    # CLV and the Scorecard's CLV measures: an optimiser's parameters equal to ~1e-6.
    rtol = 1e-5 if name in ("clv", "scorecard") else 1e-9
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=rtol, check_index_type=False)


def test_overview_from_the_file(demo):
    path, transactions = demo
    dataset = file_dataset(path)
    inputs = AnalysisInputs.of(dataset)
    source = dataset_source(dataset)
    assert isinstance(source, FileSource)
    overview = dataset_overview(source, inputs.summary)
    memory = dataset_overview(FrameSource(transactions), inputs.summary)
    assert overview == memory and overview.transactions == len(transactions)


def test_a_source_that_keeps_its_tables_gives_the_same_results(demo):
    path, transactions = demo
    kept, fresh = FileSource(path, keep_tables=True), FileSource(path)
    # Orders per channel from the kept orders table, not the channel_orders query.
    pd.testing.assert_series_equal(kept.orders_per_channel(), fresh.orders_per_channel())
    pd.testing.assert_series_equal(  # the in-memory path leaves its index unnamed
        kept.orders_per_channel(), FrameSource(transactions).orders_per_channel(), check_names=False
    )
    end = transactions["date"].max()
    first = kept.table("channel_revenue", end)
    first["added by a caller"] = 1.0
    again = kept.table("channel_revenue", end)
    assert "added by a caller" not in again

    def in_order(table: pd.DataFrame) -> pd.DataFrame:  # SQL returns the rows in any order
        table = table.astype({"customer_id": str, "channel": str})
        return table.sort_values(["customer_id", "channel"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(in_order(again), in_order(fresh.table("channel_revenue", end)))
    assert [key[1] for key in kept._cache["tables"]] == ["date_range", "orders", "channel_revenue"]
