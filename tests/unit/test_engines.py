"""The customer summary from pandas, DuckDB and Spark: hand-computed values, and equal tables."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.errors import CvmError, ReadError
from cvm_core.intake import engines
from cvm_core.intake.summary import customer_summary
from tests.unit.engine_files import SPARK, demo_transactions, parquet_and_csv, write_parquet

NAN = np.nan

# A: two orders on 1 Jan (one day, 35), one on 15 Jan (30), a return of 10 on 20 Jan.
# B: one purchase, no cost known. C: only a return.
TRANSACTIONS = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "A", "A", "B", "C"],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-01",
                "2024-01-01",
                "2024-01-15",
                "2024-01-20",
                "2024-01-08",
                "2024-01-10",
            ]
        ),  # fmt: skip
        "revenue": [10.0, 5.0, 20.0, 30.0, -10.0, 50.0, -5.0],
        "is_return": [False, False, False, False, True, False, True],
        "order_id": ["o1", "o1", "o2", "o3", "o3", "o4", "o5"],
        "cost": [6.0, 2.0, 8.0, 12.0, -4.0, NAN, NAN],
    }
)
END = "2024-01-29"

# Worked by hand, weekly unit, observation end 29 Jan:
EXPECTED = pd.DataFrame(
    {
        "first_purchase": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-10"]),
        "last_purchase": pd.to_datetime(["2024-01-15", "2024-01-08", "2024-01-10"]),
        "orders": [3, 1, 0],
        "purchase_days": [2, 1, 0],
        "lines": [4, 1, 0],
        "revenue": [65.0, 50.0, 0.0],
        "returns": [10.0, 0.0, 5.0],
        "net_revenue": [55.0, 50.0, -5.0],
        "cost": [24.0, NAN, NAN],
        "margin": [31.0, NAN, NAN],
        "frequency": [1, 0, 0],
        "recency": [2.0, 0.0, 0.0],  # 14 days between the purchase days
        "T": [4.0, 3.0, 19 / 7],  # 28, 21 and 19 days to the end
        "monetary_value": [30.0, 0.0, 0.0],  # repeat spend / repeat days
        "avg_order_value": [65 / 3, 50.0, 0.0],
    },
    index=pd.Index(["A", "B", "C"], name="customer_id"),
)

ENGINES_HERE = ["pandas", "duckdb", SPARK]


@pytest.fixture(scope="module")
def fixture_files(tmp_path_factory):
    return parquet_and_csv(TRANSACTIONS, tmp_path_factory.mktemp("engines"))


@pytest.mark.parametrize("engine", ENGINES_HERE)
@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_hand_computed_summary(engine, kind, fixture_files):
    got = engines.summarize(fixture_files[kind], engine, "week", END)
    pd.testing.assert_frame_equal(got, EXPECTED, check_exact=False, rtol=1e-12, check_names=False)


def test_the_pandas_core_gives_the_same_hand_computed_table():
    got = customer_summary(TRANSACTIONS, "week", END)
    pd.testing.assert_frame_equal(got, EXPECTED, check_exact=False, rtol=1e-12, check_names=False)


@pytest.mark.parametrize("engine", ENGINES_HERE[1:])
def test_engines_equal_pandas_on_the_demo_data(engine, demo_transactions_file):
    path, transactions = demo_transactions_file
    expected = customer_summary(transactions, "month", "2024-06-30")
    expected.index = expected.index.astype(str)
    got = engines.summarize(path, engine, "month", "2024-06-30")
    # Sums run in another order in SQL: equal to the last few bits of a double, not bit for bit.
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, check_names=False)
    assert got.index.tolist() == expected.index.tolist()


@pytest.fixture(scope="module")
def demo_transactions_file(tmp_path_factory):
    columns = ["customer_id", "date", "revenue", "is_return", "order_id", "cost"]
    transactions = demo_transactions(columns)
    path = write_parquet(transactions, tmp_path_factory.mktemp("demo") / "demo.parquet")
    return path, transactions


def test_lines_without_order_id_count_one_order_per_purchase_day(tmp_path):
    tx = TRANSACTIONS.copy()
    tx.loc[tx["customer_id"] == "A", "order_id"] = None
    got = engines.summarize(write_parquet(tx, tmp_path / "t.parquet"), "duckdb", "week", END)
    assert got.loc["A", "orders"] == 2  # two purchase days, no order ids


def test_other_column_names_are_mapped(tmp_path):
    renamed = TRANSACTIONS.rename(columns={"customer_id": "Kunde", "revenue": "Umsatz"})
    path = write_parquet(renamed, tmp_path / "t.parquet")
    got = engines.summarize(
        path, "duckdb", "week", END, columns={"customer_id": "Kunde", "revenue": "Umsatz"}
    )
    assert got["net_revenue"].tolist() == [55.0, 50.0, -5.0]


def test_missing_required_column_says_which_and_how_to_map(tmp_path):
    path = write_parquet(TRANSACTIONS.drop(columns="revenue"), tmp_path / "t.parquet")
    with pytest.raises(CvmError, match=r"no column for revenue.*--map ROLE=COLUMN"):
        engines.summarize(path, "duckdb")


def test_a_spreadsheet_is_sent_to_the_pandas_engine():
    with pytest.raises(CvmError, match="not spreadsheets. Use --engine pandas"):
        engines.summarize("data/demo_retail.xlsx", "duckdb")


def test_unknown_engine_and_unreadable_file(tmp_path):
    with pytest.raises(CvmError, match="Unknown engine 'polars'"):
        engines.summarize("x.parquet", "polars")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(ReadError, match="DuckDB could not read"):
        engines.summarize(str(bad), "duckdb")


def cut_off_csv(path, rows: int) -> str:
    """A canonical CSV of ``rows`` lines whose last line stops mid-way, as an unfinished copy does."""
    lines = ["customer_id,date,revenue"] + [
        f"C{i % 50},2024-0{1 + i % 9}-1{i % 10},{i * 1.5:.2f}" for i in range(rows)
    ]
    lines[-1] = lines[-1][:8]  # "C49,2024": the rest of the date and the revenue are missing
    path.write_text("\n".join(lines))
    return str(path)


def test_duckdb_on_a_cut_off_csv_says_so_in_one_line(tmp_path, capsys):
    # 30,000 rows: past DuckDB's 20,480-row sample, so the cut line fails only when all rows are
    # read (it was a ConversionException traceback), not when the columns are sniffed.
    path = cut_off_csv(tmp_path / "cut.csv", 30_000)
    with pytest.raises(ReadError) as raised:
        engines.summarize(path, "duckdb")
    assert str(raised.value).startswith("DuckDB could not read cut.csv at line 30,001 (")
    assert "\n" not in str(raised.value)
    assert main(["summarize", path, str(tmp_path / "out.parquet"), "--engine", "duckdb"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: DuckDB could not read cut.csv")
    assert "If the file was cut off (an unfinished copy, download or export), make it again" in err


def test_duckdb_on_a_small_cut_off_csv_says_the_lines_disagree(tmp_path):
    with pytest.raises(ReadError) as raised:
        engines.summarize(cut_off_csv(tmp_path / "small.csv", 100), "duckdb")
    assert str(raised.value) == (
        "DuckDB read small.csv as one column ('customer_id,date,revenue'): its lines do not all "
        "have the same fields. If the file was cut off (an unfinished copy, download or export), "
        "make it again; otherwise check its last lines. Then run the command again."
    )


@pytest.mark.skipif(not shutil.which("java"), reason="no Java for PySpark")
def test_spark_on_a_cut_off_csv_says_so_instead_of_dropping_the_row(tmp_path):
    # Spark's default (PERMISSIVE) read the cut line with nulls and the summary left it out.
    with pytest.raises(ReadError) as raised:
        engines.summarize(cut_off_csv(tmp_path / "cut.csv", 100), "spark")
    assert str(raised.value).startswith(
        "Spark could not read cut.csv at the row 'C49,2024' (Malformed CSV record)."
    )


def test_summarize_command_writes_a_summary_file_with_its_settings(tmp_path, fixture_files, capsys):
    out = tmp_path / "summary.parquet"
    argv = ["summarize", fixture_files["parquet"], str(out), "--engine", "duckdb"]
    assert main([*argv, "--observation-end", END, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["customers"] == 3 and printed["net_revenue"] == 100.0
    summary, settings = engines.read_summary(out)
    assert settings == {
        "unit": "week", "observation_end": END, "engine": "duckdb", "source": "tx.parquet"
    }  # fmt: skip
    pd.testing.assert_frame_equal(summary, EXPECTED, check_exact=False, check_names=False)


def test_a_plain_parquet_file_is_not_taken_for_a_summary(fixture_files):
    with pytest.raises(ReadError, match="not a customer summary"):
        engines.read_summary(fixture_files["parquet"])
