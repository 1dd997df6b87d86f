"""A customer summary file as a dataset: dates, units, checks, and the CLV fit without transactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm_core.analyses.clv import fit as clv
from cvm_core.analyses.clv import values as clv_values
from cvm_core.errors import ReadError, ValidationError
from cvm_core.intake import cdnow as intake_cdnow
from cvm_core.intake import engines
from cvm_core.intake.dataset import (
    dataset_from_frame,
    dataset_from_summary,
    empty_transactions,
)
from cvm_core.intake.summary import SUMMARY_COLUMNS, summary_in_unit

# Two customers, weekly unit, summarised up to 29 Jan 2024 (see tests/unit/test_engines.py):
# A first bought 1 Jan (T = 28 days = 4 weeks), last 15 Jan (recency 14 days = 2 weeks);
# B bought once on 8 Jan (T = 21 days = 3 weeks). Neither bought after 15 Jan.
SUMMARY = pd.DataFrame(
    {
        "first_purchase": pd.to_datetime(["2024-01-01", "2024-01-08"]),
        "last_purchase": pd.to_datetime(["2024-01-15", "2024-01-08"]),
        "orders": [3, 1],
        "purchase_days": [2, 1],
        "lines": [4, 1],
        "revenue": [65.0, 50.0],
        "returns": [10.0, 0.0],
        "net_revenue": [55.0, 50.0],
        "cost": [24.0, np.nan],
        "margin": [31.0, np.nan],
        "frequency": [1, 0],
        "recency": [2.0, 0.0],
        "T": [4.0, 3.0],
        "monetary_value": [30.0, 0.0],
        "avg_order_value": [65 / 3, 50.0],
    },
    index=pd.Index(["A", "B"], name="customer_id"),
)
SETTINGS = {"unit": "week", "observation_end": "2024-01-29", "engine": "duckdb", "source": "s.csv"}


def test_summary_dataset_takes_its_period_from_the_summary():
    dataset = dataset_from_summary(SUMMARY, SETTINGS, "s.parquet", fingerprint="f1")
    assert not dataset.has_transactions
    assert dataset.observation_start == pd.Timestamp("2024-01-01")  # A's first purchase
    assert dataset.observation_end == pd.Timestamp("2024-01-29")  # the metadata's end
    assert dataset.summary_info.engine == "duckdb" and dataset.summary_info.unit == "week"
    assert dataset.has("cost") and not dataset.has("channel")
    assert dataset.currency == "EUR" and dataset.fingerprint == "f1"
    assert dataset.validation.rows_read == 2 and dataset.validation.rejected.empty
    pd.testing.assert_frame_equal(dataset.summary, SUMMARY)


def test_without_a_recorded_end_the_end_comes_from_the_ages_not_the_last_purchase():
    settings = {**SETTINGS, "observation_end": None}
    dataset = dataset_from_summary(SUMMARY, settings, "s.parquet")
    # 1 Jan + 4 weeks = 8 Jan + 3 weeks = 29 Jan; the last purchase (15 Jan) would cut 14 days.
    assert dataset.observation_end == pd.Timestamp("2024-01-29")


def test_summary_dataset_has_empty_canonical_transactions():
    tx = dataset_from_summary(SUMMARY, SETTINGS, "s.parquet").transactions
    assert tx.empty
    assert list(tx.columns) == ["customer_id", "date", "revenue", "is_return", "source_row"]
    assert str(tx["date"].dtype) == "datetime64[ns]" and tx["is_return"].dtype == bool
    pd.testing.assert_frame_equal(tx, empty_transactions())


def test_cost_unknown_for_every_customer_means_no_cost():
    summary = SUMMARY.assign(cost=np.nan, margin=np.nan)
    assert not dataset_from_summary(summary, SETTINGS, "s.parquet").has("cost")


def test_a_transactions_dataset_keeps_its_behaviour():
    frame = pd.DataFrame(
        {"customer": ["A", "B"], "date": ["2024-01-02", "2024-01-09"], "revenue": [10.0, 20.0]}
    )
    dataset = dataset_from_frame(frame, "tx")
    assert dataset.has_transactions and dataset.summary is None
    assert dataset.observation_start == pd.Timestamp("2024-01-02")
    assert dataset.observation_end == pd.Timestamp("2024-01-09")
    assert not dataset.has("cost")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.drop(columns=["T", "recency"]), "lacks the columns recency, T"),
        (lambda s: s.iloc[:0], "has no customers"),
    ],
)
def test_unusable_summaries_are_refused_with_what_to_do(change, message):
    with pytest.raises(ValidationError, match=message):
        dataset_from_summary(change(SUMMARY), SETTINGS, "s.parquet")


def test_unknown_unit_is_refused():
    with pytest.raises(ValidationError, match="'fortnight' is not day, week or month"):
        dataset_from_summary(SUMMARY, {**SETTINGS, "unit": "fortnight"}, "s.parquet")


def test_recency_and_age_convert_between_units_by_their_length_in_days():
    days = summary_in_unit(SUMMARY, "week", "day")
    assert days["recency"].tolist() == [14.0, 0.0] and days["T"].tolist() == [28.0, 21.0]
    months = summary_in_unit(SUMMARY, "week", "month")
    np.testing.assert_allclose(months["T"], [28 / 30.4375, 21 / 30.4375])  # 365.25 / 12 days
    np.testing.assert_allclose(summary_in_unit(days, "day", "week")["T"], [4.0, 3.0])
    assert SUMMARY["T"].tolist() == [4.0, 3.0]  # input unchanged
    assert summary_in_unit(SUMMARY, "week", "week") is SUMMARY
    pd.testing.assert_frame_equal(
        days.drop(columns=["recency", "T"]), SUMMARY.drop(columns=["recency", "T"])
    )


def test_summary_file_recognised_from_bytes_by_its_metadata(tmp_path):
    path = tmp_path / "summary.parquet"
    engines.write_summary(SUMMARY, path, **SETTINGS)
    data = path.read_bytes()
    assert engines.is_summary_file(data) and engines.is_summary_file(path)
    frame, settings = engines.read_summary(data, "summary.parquet")
    assert settings == SETTINGS
    pd.testing.assert_frame_equal(frame[list(SUMMARY_COLUMNS)], SUMMARY)
    plain = tmp_path / "plain.parquet"
    SUMMARY.reset_index().to_parquet(plain)
    assert not engines.is_summary_file(plain.read_bytes())
    assert not engines.is_summary_file(b"customer_id,date\nA,2024-01-01\n")
    with pytest.raises(ReadError, match="plain.parquet is not a customer summary"):
        engines.read_summary(plain.read_bytes(), "plain.parquet")


@pytest.fixture(scope="module")
def cdnow():
    """CDNOW summarised up to 30 Sep 1997: the calibration period of the published fit."""
    tx = dataset_from_frame(intake_cdnow.load_cdnow_transactions(), "CDNOW").transactions
    end = pd.Timestamp("1997-09-30")
    summary = engines.summarize(tx, "pandas", "week", str(end.date()))
    return tx, summary, end


def test_clv_fit_from_the_summary_alone_equals_the_fit_from_the_transactions(cdnow):
    tx, summary, end = cdnow
    settings = clv.FitSettings("bgnbd", "week", None, end)
    from_tx = clv.fit_clv(tx, settings)
    from_summary = clv.fit_clv(empty_transactions(), settings, summary)
    pd.testing.assert_series_equal(from_summary.model.params_, from_tx.model.params_)
    assert from_summary.holdout is None and from_summary.cumulative is None
    values = clv_values.customer_values(from_summary, clv_values.ValueSettings(margin=0.3))
    expected = clv_values.customer_values(from_tx, clv_values.ValueSettings(margin=0.3))
    assert values.total_clv == pytest.approx(expected.total_clv, rel=1e-12)
    # CDNOW's published BG/NBD fit (Fader, Hardie & Lee 2005, calibration to 30 Sep 1997).
    assert from_summary.model.params_["r"] == pytest.approx(0.243, abs=1e-3)
    assert from_summary.model.params_["alpha"] == pytest.approx(4.414, abs=1e-3)
    assert from_summary.model.params_["a"] == pytest.approx(0.793, abs=1e-3)
    assert from_summary.model.params_["b"] == pytest.approx(2.426, abs=1e-3)


def test_holdout_without_transactions_says_it_needs_them(cdnow):
    _, summary, end = cdnow
    settings = clv.FitSettings("bgnbd", "week", end - pd.Timedelta(days=100), end)
    with pytest.raises(ValidationError, match="Holdout validation needs the transactions"):
        clv.fit_clv(empty_transactions(), settings, summary)
    with pytest.raises(ValidationError, match="no transactions to fit"):
        clv.fit_clv(empty_transactions(), clv.FitSettings("bgnbd", "week", None, None), summary)
