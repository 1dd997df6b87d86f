"""One analysis, two sources: the Retention analysis from transactions in memory and from a file
aggregated by DuckDB or Spark gives the same result, field by field."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from cvm_core.__main__ import main
from cvm_core.analyses.clv.fit import FitSettings, fit_clv
from cvm_core.analyses.profitability.pnl import customer_pnl
from cvm_core.analyses.retention.analysis import RetentionSettings, analyse_retention
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.analyses.scorecard.build import build_scorecard
from cvm_core.analyses.scorecard.inputs import ScorecardSettings
from cvm_core.analyses.segments.analysis import analyse_segments
from cvm_core.analyses.sources import FileSource, FrameSource
from cvm_core.intake import engines
from tests.unit.engine_files import SPARK, demo_transactions, sorted_orders, write_parquet

END = pd.Timestamp("2024-06-30")
COLUMNS = ["customer_id", "date", "revenue", "is_return", "order_id", "channel", "category"]
COLUMNS += ["cost", "quantity", "product"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    transactions = demo_transactions(COLUMNS)
    path = write_parquet(transactions, tmp_path_factory.mktemp("sources") / "demo.parquet")
    # The summary from the engine too, as a command reading the file would have it.
    summary = engines.summarize(path, "duckdb", "week", f"{END:%Y-%m-%d}")
    return path, transactions, summary


def assert_same(got, want, where: str = "result") -> None:
    """Equal results: frames and numbers to the last few bits of a double, the rest exactly."""
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, obj=where)
    elif isinstance(want, pd.Series):
        pd.testing.assert_series_equal(got, want, check_exact=False, rtol=1e-9, obj=where)
    elif isinstance(want, float) and not isinstance(got, str):
        assert got == pytest.approx(want, rel=1e-9, nan_ok=True), where
    elif dataclasses.is_dataclass(want) and not isinstance(want, type):
        for item in dataclasses.fields(want):
            assert_same(getattr(got, item.name), getattr(want, item.name), f"{where}.{item.name}")
    elif isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, pd.Index):
        assert got.equals(want), where
    elif isinstance(want, np.ndarray):
        np.testing.assert_allclose(got, want, rtol=1e-9, err_msg=where)
    else:
        assert got == want, where


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
@pytest.mark.parametrize("rule", [None, ChurnRule(60)], ids=["suggested window", "60 days"])
def test_retention_from_a_file_equals_retention_in_memory(engine, rule, demo):
    path, transactions, summary = demo
    settings = RetentionSettings(rule=rule, grouping="Main channel")
    want = analyse_retention(FrameSource(transactions), summary, settings, observation_end=END)
    got = analyse_retention(FileSource(path, engine), summary, settings, observation_end=END)
    assert want.cohorts is not None and want.groups["Main channel"].nunique() > 1
    assert_same(got, want)


def test_the_observation_end_defaults_to_the_files_last_date(demo):
    path, transactions, _summary = demo
    assert FileSource(path).last_date() == FrameSource(transactions).last_date()
    assert FileSource(path).last_date() == pd.Timestamp("2024-12-31")


def test_the_comparison_sees_a_difference(demo):
    """The helper above must not pass everything: a different window is a different result."""
    path, transactions, summary = demo
    first, other = [
        analyse_retention(
            transactions, summary, RetentionSettings(rule=ChurnRule(days)), observation_end=END
        )
        for days in (60, 61)
    ]
    with pytest.raises(AssertionError):
        assert_same(other, first)


def _command(command: str, path: str, capsys, *options: str) -> dict:
    assert main([command, path, "--json", "--observation-end", f"{END:%Y-%m-%d}", *options]) == 0
    return json.loads(capsys.readouterr().out)


def assert_close(got, want, where: str = "output") -> None:
    """Printed results alike: text and counts equal, numbers to 1e-5 relative (or the last printed
    digit of a share). The CLV models are fitted by an optimiser, which turns summaries equal to
    1e-12 into parameters equal to about 1e-6."""
    if isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for key in want:
            assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for k, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_close(a, b, f"{where}[{k}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-5, abs=1e-4), where
    else:
        assert got == want, where


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
@pytest.mark.parametrize("command", ["retention", "whale", "segments", "clv", "scorecard"])
def test_a_command_prints_the_same_with_an_engine(command, engine, demo, capsys):
    path = demo[0]
    options = ["--no-ranges"] if command == "clv" else []  # ranges simulate: slow, and random
    want = _command(command, path, capsys, *options)  # pandas: through the app's intake
    got = _command(command, path, capsys, *options, "--engine", engine)
    assert (got.pop("engine"), want.pop("engine")) == (engine, "pandas")
    if command in ("clv", "scorecard"):  # the CLV model's optimiser, and unrounded sums
        assert_close(got, want)
    else:
        assert got == want
    assert want["customers"] if command != "scorecard" else want["measures"]


def test_the_retention_command_keeps_its_options_with_an_engine(demo, capsys):
    got = _command("retention", demo[0], capsys, "--engine", "duckdb", "--churn-days", "60")
    assert got["churn_window_days"] == 60


def test_the_retention_command_with_duckdb_names_a_missing_column(tmp_path, capsys):
    path = write_parquet(pd.DataFrame({"who": ["A"], "date": [END], "revenue": [1.0]}), tmp_path / "t.parquet")  # fmt: skip
    assert main(["retention", path, "--engine", "duckdb"]) != 0
    assert "customer_id ('customer_id')" in capsys.readouterr().err


# --- the Whale P&L -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
@pytest.mark.parametrize("end", [END, None], ids=["mid-year end", "the last date"])
def test_the_customer_pnl_from_a_file_equals_the_pnl_in_memory(engine, end, demo):
    path, transactions, _summary = demo
    last = FrameSource(transactions).last_date()
    summary = engines.summarize(path, "duckdb", "week", f"{end or last:%Y-%m-%d}")
    want = customer_pnl(summary, FrameSource(transactions), observation_end=end)
    got = customer_pnl(summary, FileSource(path, engine), observation_end=end)
    pd.testing.assert_frame_equal(sorted_orders(got.orders), sorted_orders(want.orders))
    assert_same(dataclasses.replace(got, orders=None), dataclasses.replace(want, orders=None))
    assert want.pnl["cost_to_serve"].sum() > 0 and want.pnl["main_channel"].nunique() > 1


# --- the Segments analysis -------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_segments_from_a_file_equal_segments_in_memory(engine, demo):
    path, transactions, summary = demo
    want = analyse_segments(summary, FrameSource(transactions), observation_end=END)
    got = analyse_segments(summary, FileSource(path, engine), observation_end=END)
    assert set(want.contribution) >= {"RFM segment", "Main channel"}
    assert_same(got.contribution, want.contribution, "contribution")
    assert_same(got.membership, want.membership, "membership")
    assert_same(got.affinity, want.affinity, "affinity")
    assert_same(got.next_best, want.next_best, "next_best")
    assert want.next_best["next_best_category"].notna().any()


def test_segments_and_the_scorecard_share_one_query_per_table_on_a_kept_file(demo, monkeypatch):
    """An upload's source (keep_tables) asks DuckDB once for the categories each customer bought
    (Segments' baskets, the Scorecard's cross-sell) and once for the channel revenue (the main
    channel of both); the results equal the in-memory ones."""
    import cvm_core.analyses.sources as sources
    import cvm_core.intake.aggregations as aggregations

    path, transactions, summary = demo
    asked, channels = [], []
    real, real_channels = aggregations.aggregate, sources.main_channel_from_revenue
    monkeypatch.setattr(
        aggregations, "aggregate", lambda *a, **k: asked.append(a[1]) or real(*a, **k)
    )
    monkeypatch.setattr(
        sources, "main_channel_from_revenue", lambda *a: channels.append(1) or real_channels(*a)
    )
    source = FileSource(path, keep_tables=True)
    segments = analyse_segments(summary, source, observation_end=END)
    card = build_scorecard(source, summary, settings=ScorecardSettings(), observation_end=END)
    first = source.main_channel(summary.index, END)
    assert source.main_channel(summary.index, END) is not first  # the caller's own copy
    # Each once; the categories bought by the cross-sell's table, not a table of their own.
    assert asked == ["channel_revenue", "item_first_periods", "date_range", "period_activity"]
    assert len(channels) == 1
    want = analyse_segments(summary, FrameSource(transactions), observation_end=END)
    assert_same(segments.affinity, want.affinity, "affinity")
    want_card = build_scorecard(FrameSource(transactions), summary, observation_end=END)
    assert_same(card.table, want_card.table, "table")


# --- the CLV fit with a holdout ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_the_clv_holdout_from_a_file_counts_what_the_fit_in_memory_counts(engine, demo):
    path, transactions, summary = demo
    settings = FitSettings("bgnbd", "week", pd.Timestamp("2023-09-30"), END, compare=False)
    want = fit_clv(FrameSource(transactions), settings, summary)
    got = fit_clv(FileSource(path, engine), settings, summary)
    # Counts are counts: the holdout purchases and the actual repeat purchases, exactly.
    assert got.holdout.actual == want.holdout.actual > 0
    pd.testing.assert_series_equal(got.cumulative["actual"], want.cumulative["actual"])
    pd.testing.assert_frame_equal(
        got.holdout.by_frequency[["frequency", "customers", "actual"]],
        want.holdout.by_frequency[["frequency", "customers", "actual"]],
    )
    # The model is fitted to a calibration summary equal to 1e-12: its predictions to 1e-6.
    assert got.holdout.predicted == pytest.approx(want.holdout.predicted, rel=1e-6)
    pd.testing.assert_series_equal(
        pd.Series(got.calibration_model.params_),
        pd.Series(want.calibration_model.params_),
        rtol=1e-5,
    )


# --- the Scorecard -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
@pytest.mark.parametrize("frequency", ["Q", "M"])
def test_the_scorecard_from_a_file_equals_the_scorecard_in_memory(engine, frequency, demo):
    path, transactions, summary = demo
    settings = ScorecardSettings(frequency=frequency)
    want = build_scorecard(
        FrameSource(transactions), summary, settings=settings, observation_end=END
    )
    got = build_scorecard(FileSource(path, engine), summary, settings=settings, observation_end=END)
    assert_same(got.table, want.table, "table")
    assert_same(got.trends, want.trends, "trends")
    assert "cross_sell_rate" in set(want.table["key"])
    assert_same(got.bridge, want.bridge, "bridge")
    assert want.bridge.new_customers > 0 and want.bridge.lost_customers > 0


def test_a_large_files_scorecard_runs_its_period_table_in_parts(demo, monkeypatch):
    """Past LINES_PER_PART lines the period table is computed a share of the customers at a time
    (the server's memory peak at 10M lines); the Scorecard reads the same."""
    import cvm_core.analyses.sources as sources
    import cvm_core.intake.aggregations as aggregations

    path, transactions, summary = demo
    asked = []
    real = aggregations.aggregate
    monkeypatch.setattr(
        aggregations, "aggregate", lambda *a, **k: asked.append((a[1], a[6])) or real(*a, **k)
    )
    monkeypatch.setattr(sources, "LINES_PER_PART", len(transactions) // 3 + 1)
    settings = ScorecardSettings(frequency="Q")
    got = build_scorecard(FileSource(path), summary, settings=settings, observation_end=END)
    assert ("period_activity", 3) in asked
    assert {parts for table, parts in asked if table != "period_activity"} == {1}
    want = build_scorecard(
        FrameSource(transactions), summary, settings=settings, observation_end=END
    )
    assert_same(got.table, want.table, "table")
    assert_same(got.trends, want.trends, "trends")


@pytest.mark.parametrize("products", ["after the end", "none"])
def test_the_scorecard_counts_categories_where_no_product_is_known_by_the_end(
    products, demo, tmp_path
):
    """The in-memory path counts distinct products per period, else categories (the first
    with values up to the end); the file's query counts the same kind."""
    _path, transactions, summary = demo
    transactions = transactions.copy()
    kept = transactions["date"] > END  # products named only after the end, or nowhere
    transactions["product"] = transactions["product"].where(kept & (products != "none"), None)
    path = write_parquet(transactions, tmp_path / "late_products.parquet")
    want = FrameSource(transactions).period_tables(summary, "Q", END)
    got = FileSource(path, "duckdb").period_tables(summary, "Q", END)
    categories = transactions.loc[transactions["date"] <= END, "category"]
    # Categories, not products: never more distinct ones than lines, some with two or more.
    assert want.activity.items is not None and want.activity.items.max() >= 2
    assert want.activity.items.max() <= categories.nunique()
    order = np.lexsort((got.activity.period, got.activity.customer))
    expected = np.lexsort((want.activity.period, want.activity.customer))
    np.testing.assert_array_equal(got.activity.items[order], want.activity.items[expected])
    assert_same(got.cross_sell, want.cross_sell, "cross-sell")
