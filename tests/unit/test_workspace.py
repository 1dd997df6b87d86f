"""Saved workspaces (cvm_core.outputs.workspace): round trips, and clear messages for bad files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from cvm_core.intake.dataset import dataset_from_frame
from cvm_core.outputs import workspace
from cvm_core.outputs.workspace import WorkspaceError, load_workspace, save_workspace

ACTIVITIES = pd.DataFrame(
    {"activity": ["Order handling", "Returns"], "driver": ["orders", "returns"],
     "cost_per_unit": [4.5, 12.0], "minutes_per_unit": [np.nan, 6.0],
     "cost_per_minute": [np.nan, 0.9]}
)  # fmt: skip
SETTINGS = {
    "cvm.unit": "month",
    "cvm.currency": "USD",
    "cvm.observation_end": dt.date(2024, 6, 30),
    "whale.base": ACTIVITIES,
    "whale.margin": np.int64(35),
    "whale.service_acts": ["Returns"],
    "clv.tier.Platinum": 2.5,
    "clv.holdout": False,
    "scorecard.targets": {"churn_rate": 0.2, "satisfaction": None},
}


@pytest.fixture(scope="module")
def dataset():
    frame = pd.DataFrame(
        {"Customer": ["A", "A", "B", "C"],
         "Date": ["2024-01-03", "2024-02-10", "2024-01-20", "2024-03-01"],
         "Amount": [10.0, 20.5, 7.25, -3.0], "Region": ["Nord", "Nord", 1, None]}
    )  # fmt: skip
    return dataset_from_frame(frame, "tiny sales", currency="USD")


def test_settings_round_trip_as_json(dataset):
    data = save_workspace({**SETTINGS, "cvm.clv.result": object()}, dataset)
    document = json.loads(data)
    assert document["format"] == "cvm-workspace" and document["version"] == 2
    # each analysis's settings as its Settings class writes them, only the fields set
    assert document["analyses"] == {
        "view": {"view": {"version": 1, "unit": "month", "currency": "USD",
                          "observation_end": "2024-06-30"}},
        "profitability": {"cost_model": {"version": 1, "gross_margin": 0.35},
                          "what_if": {"version": 1, "service_activities": ["Returns"]}},
    }  # fmt: skip
    assert set(document["page"]) == {"whale.base", "clv.tier.Platinum", "clv.holdout",
                                     "scorecard.targets"}  # fmt: skip
    assert "cvm.clv.result" not in document["page"]  # not a setting: recomputed
    loaded = load_workspace(data)
    assert loaded.dataset is None
    assert loaded.dataset_name == "tiny sales" and loaded.currency == "USD"
    assert loaded.fingerprint == dataset.fingerprint
    assert loaded.mapping.roles == dataset.mapping.roles
    assert loaded.mapping.attributes == dataset.mapping.attributes
    settings = dict(loaded.settings)
    pd.testing.assert_frame_equal(settings.pop("whale.base"), ACTIVITIES)
    expected = {k: v for k, v in SETTINGS.items() if k != "whale.base"}
    assert settings == expected
    assert type(settings["whale.margin"]) is int


def test_data_round_trip_in_a_zip(dataset):
    data = save_workspace(SETTINGS, dataset, include_data=True)
    assert data[:2] == b"PK"
    loaded = load_workspace(data)
    restored = loaded.dataset
    # an attribute column mixing numbers and text is kept as text (Parquet columns have one type)
    assert restored.transactions["Region"].tolist() == ["Nord", "Nord", "1", None]
    pd.testing.assert_frame_equal(
        restored.transactions.drop(columns="Region"), dataset.transactions.drop(columns="Region")
    )
    assert restored.customers is None and restored.cost_to_serve is None
    assert restored.name == "tiny sales" and restored.currency == "USD"
    # The cache key comes from the verified data, not from what the file claims.
    assert restored.fingerprint.startswith("ws-") and restored.fingerprint != dataset.fingerprint
    assert load_workspace(data).dataset.fingerprint == restored.fingerprint
    assert restored.validation.rows_read == dataset.validation.rows_read
    assert restored.mapping.roles == dataset.mapping.roles
    assert loaded.settings["cvm.unit"] == "month"


def test_a_summary_only_dataset_round_trips_with_its_summary(dataset):
    from cvm_core.intake.dataset import dataset_from_summary
    from cvm_core.intake.summary import customer_summary

    summary = customer_summary(dataset.transactions, "week")
    summary.index = summary.index.astype(str)
    settings = {"unit": "week", "observation_end": "2024-03-01", "engine": "duckdb"}
    original = dataset_from_summary(summary, settings, "big sales", fingerprint="f1")
    restored = load_workspace(save_workspace(SETTINGS, original, include_data=True)).dataset
    assert not restored.has_transactions
    pd.testing.assert_frame_equal(restored.summary, original.summary)
    assert restored.summary_info == original.summary_info
    assert restored.name == "big sales" and restored.fingerprint.startswith("ws-")


def _rewrite(data: bytes, change, parts: dict[str, bytes] | None = None) -> bytes:
    """The zip with its JSON document changed by ``change`` and ``parts`` replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            payload = (parts or {}).get(info.filename) or source.read(info)
            if info.filename == workspace.JSON_NAME:
                document = json.loads(payload)
                change(document)
                payload = json.dumps(document).encode()
            target.writestr(info, payload)
    return out.getvalue()


def test_a_claimed_fingerprint_cannot_borrow_another_datasets_cache(dataset):
    data = save_workspace(SETTINGS, dataset, include_data=True)
    honest = load_workspace(data).dataset.fingerprint
    forged = _rewrite(data, lambda d: d["dataset"].update(fingerprint="someone-elses"))
    assert load_workspace(forged).dataset.fingerprint == honest


def test_transactions_without_the_validated_columns_are_refused(dataset):
    # A consistent but hand-made file: right checksum, wrong table.
    payload = workspace._parquet(dataset.transactions.drop(columns="revenue"))
    digest = hashlib.sha256(payload).hexdigest()
    data = _rewrite(
        save_workspace(SETTINGS, dataset, include_data=True),
        lambda d: d["data"]["files"].update(transactions=digest),
        {"data/transactions.parquet": payload},
    )
    with pytest.raises(WorkspaceError, match=r"bad columns \(revenue"):
        load_workspace(data)


def test_including_data_needs_a_dataset():
    with pytest.raises(WorkspaceError, match="load a dataset first"):
        save_workspace({}, None, include_data=True)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n not a workspace", "not a workspace saved by this app"),
        (b'{"format": "something-else", "version": 1}', "not a workspace saved by this app"),
        (b"[1, 2, 3]", "not a workspace saved by this app"),
        (b'{"format": "cvm-workspace", "version": 99, "settings": {}}', "newer version"),
        (b'{"format": "cvm-workspace", "version": "1"}', "no valid version"),
        (b'{"format": "cvm-workspace", "version": 1, "settings": [1]}', "settings are not"),
        (b'{"format": "cvm-workspace", "version": 1, "settings": {"x": {"$date": "soon"}}}',
         "a setting is unreadable"),
        (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
         "not a workspace saved by this app"),
    ],
)  # fmt: skip
def test_damaged_or_foreign_files_get_a_clear_message(data, message):
    with pytest.raises(WorkspaceError, match=message):
        load_workspace(data)


def test_truncated_zip_is_damaged(dataset):
    data = save_workspace(SETTINGS, dataset, include_data=True)
    with pytest.raises(WorkspaceError, match="damaged"):
        load_workspace(data[: len(data) // 2])


def test_changed_table_fails_its_checksum(dataset):
    members = _members(save_workspace(SETTINGS, dataset, include_data=True))
    other = dataset.transactions.assign(revenue=dataset.transactions["revenue"] * 2, Region="x")
    members["data/transactions.parquet"] = other.to_parquet()
    with pytest.raises(WorkspaceError, match="transactions table does not match its checksum"):
        load_workspace(_zip(members))


def test_unknown_table_is_refused(dataset):
    members = _members(save_workspace(SETTINGS, dataset, include_data=True))
    document = json.loads(members["workspace.json"])
    document["data"]["files"]["../../etc/passwd"] = "0" * 64
    members["workspace.json"] = json.dumps(document).encode()
    with pytest.raises(WorkspaceError, match="unknown table"):
        load_workspace(_zip(members))


def test_zip_bomb_is_refused_before_unpacking(monkeypatch, dataset):
    monkeypatch.setattr(workspace, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(WorkspaceError, match="unpack to more than"):
        load_workspace(_zip({"workspace.json": b"{}", "data/transactions.parquet": b"0" * 5000}))


def test_values_that_are_not_settings_are_left_out():
    encoded, skipped = workspace.encode_settings(
        {"ok": 1.5, "inf": float("inf"), "model": object(), "keys": {1: "x"}}
    )
    assert encoded == {"ok": 1.5}
    assert sorted(skipped) == ["inf", "keys", "model"]


# --- hand-edited settings are checked against the analyses' Settings (issue 12) ----------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "clv.horizon",
            100000,
            r"'clv.horizon' \(CLV horizon \(months\)\) = 100000: "
            r"horizon_months 100000 is outside the allowed range 1 to 120",
        ),
        (
            "whale.margin",
            "ten",
            r"'whale.margin' \(gross margin \(%\)\) = 'ten': gross_margin "
            r"expected a number, got 'ten'",
        ),
        ("cvm.scorecard.watch_band", "x", r"'cvm.scorecard.watch_band' .* expected a number"),
        ("cvm.scorecard.watch_band", 40, r"watch_band 0.4 is outside the allowed range 0 to 0.25"),
        ("clv.model", "gamma", r"model 'gamma' is not one of 'auto', 'bgnbd', 'pareto', 'mbgnbd'"),
        ("cvm.unit", "fortnight", r"'cvm.unit' \(time unit\) = 'fortnight'"),
        ("cvm.retention.window", 0, r"window_days 0 is outside the allowed range 1 to 3650"),
        ("cvm.retention.threshold", True, r"p_alive_threshold expected a number, got True"),
        (
            "clv.whatif.Gold.retention",
            300,
            r"retention_uplift 3 is outside the allowed range 0 to 0.9",
        ),
        ("cvm.scorecard.targets", {"churn_rate": "low"}, r"targets\[0\]\[1\] expected a number"),
        ("clv.margin_source", "Guess", r"'clv.margin_source' = 'Guess': not one of"),
        ("clv.holdout", "yes", r"'clv.holdout' = 'yes': expected true or false"),
    ],
)
def test_a_hand_edited_setting_is_refused_naming_it(dataset, name, value, message):
    """Version-1 files stored every setting under its name: still read, and checked."""
    data = {"format": "cvm-workspace", "version": 1, "settings": {"cvm.unit": "week", name: value}}
    with pytest.raises(WorkspaceError, match=message):
        load_workspace(json.dumps(data).encode())


@pytest.mark.parametrize(
    ("analysis", "part", "field", "value", "message"),
    [
        ("clv", "value", "horizon_months", 100000,
         r"clv.value.horizon_months: 100000 is outside the allowed range 1 to 120"),
        ("profitability", "cost_model", "gross_margin", "ten",
         r"profitability.cost_model.gross_margin: expected a number, got 'ten'"),
        ("scorecard", "settings", "watch_band", "x", r"scorecard.settings.watch_band: expected a"),
        ("retention", "rule", "window_days", 2.5, r"retention.rule.window_days: expected a whole"),
        ("clv", "fit", "compare", False, r"'clv.fit.compare' is not a setting a workspace keeps"),
        ("clv", "value", "colour", 1, r"clv.value: unknown setting 'colour'"),
    ],
)  # fmt: skip
def test_a_hand_edited_analysis_setting_is_refused_naming_the_field(
    dataset, analysis, part, field, value, message
):
    data = json.loads(save_workspace(SETTINGS, dataset))
    data["analyses"].setdefault(analysis, {}).setdefault(part, {})[field] = value
    with pytest.raises(WorkspaceError, match=message):
        load_workspace(json.dumps(data).encode())


def test_a_version_1_workspace_still_opens_with_the_same_settings(dataset):
    version_1 = {
        "format": "cvm-workspace", "version": 1, "saved_at": "2026-11-30T10:00:00+00:00",
        "dataset": {"name": "tiny sales", "currency": "USD", "fingerprint": dataset.fingerprint},
        "settings": {"cvm.unit": "month", "whale.margin": 35, "clv.horizon": 24,
                     "cvm.observation_end": {"$date": "2024-06-30"}},
    }  # fmt: skip
    loaded = load_workspace(json.dumps(version_1).encode())
    assert loaded.settings == {
        "cvm.unit": "month", "whale.margin": 35, "clv.horizon": 24,
        "cvm.observation_end": dt.date(2024, 6, 30),
    }  # fmt: skip
    # and saved again as version 2, it reads back to the same settings
    again = load_workspace(save_workspace(loaded.settings, dataset))
    assert again.settings == loaded.settings
    assert type(again.settings["whale.margin"]) is int


def test_every_setting_the_app_saves_passes_the_check(dataset):
    """The values the pages' widgets hold, at their limits, are accepted."""
    settings = {
        **SETTINGS,
        "clv.model": "mbgnbd", "clv.horizon": 120, "clv.discount": 50.0, "clv.margin": 0.0,
        "clv.margin_source": "Percent of revenue", "clv.tier.Platinum": 90.0,
        "clv.whatif.Gold.retention": 50, "clv.whatif.Gold.cost": 1e6,
        "cvm.segments.k": "Auto (best silhouette)", "cvm.retention.window": 3650,
        "cvm.retention.threshold": 95, "cvm.retention.overdue": 6.0, "whale.part": 100,
        "whale.price": 20.0, "cvm.scorecard.watch_band": 25, "cvm.scorecard.period.Q": "Q4 2024",
    }  # fmt: skip
    loaded = load_workspace(save_workspace(settings, dataset))
    back = dict(loaded.settings)
    pd.testing.assert_frame_equal(back.pop("whale.base"), ACTIVITIES)
    assert back == {k: v for k, v in settings.items() if k != "whale.base"}


def test_deeply_nested_json_is_refused_with_a_message():
    with pytest.raises(WorkspaceError, match="nests too deeply"):
        load_workspace(b"[" * 100_000)


def test_channel_choices_and_currency_source_survive_a_round_trip():
    frame = pd.DataFrame(
        {"Kunde": ["A", "A", "B"], "Datum": ["2024-01-02", "2024-02-03", "2024-01-05"],
         "dollars": [10.0, 20.0, 30.0], "Kanal": ["Telefon", "Kiosk", "Filiale"]}
    )  # fmt: skip
    guessed = dataset_from_frame(frame, "de.csv").mapping
    mapping = type(guessed)(guessed.roles, guessed.attributes, {"Kiosk": "Store"})
    original = dataset_from_frame(frame, "de.csv", mapping)
    assert original.currency == "USD"
    assert original.currency_source == "from the column header 'dollars'"
    with_data = load_workspace(save_workspace({}, original, include_data=True))
    restored = with_data.dataset
    assert restored.currency_source == "from the column header 'dollars'"
    assert restored.channel_mapping == {"Telefon": "Phone", "Kiosk": "Store", "Filiale": "Store"}
    assert restored.transactions["channel"].tolist() == ["Phone", "Store", "Store"]
    # Without the data, the user's channel choices come back with the column mapping.
    settings_only = load_workspace(save_workspace({}, original))
    assert settings_only.mapping.channels == {"Kiosk": "Store"}


def test_workspaces_saved_before_channel_choices_still_open(dataset):
    document = json.loads(save_workspace(SETTINGS, dataset))
    del document["dataset"]["mapping"]["channels"]
    loaded = load_workspace(json.dumps(document).encode())
    assert loaded.mapping.channels == {}


def _with_transactions(dataset, frame: pd.DataFrame) -> bytes:
    """A data workspace whose transactions table is ``frame``, with its checksum recomputed (as
    a hand-editor would)."""
    payload = workspace._parquet(frame)
    return _rewrite(
        save_workspace(SETTINGS, dataset, include_data=True),
        lambda d: d["data"]["files"].update(transactions=hashlib.sha256(payload).hexdigest()),
        {"data/transactions.parquet": payload},
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.assign(revenue=t["revenue"].astype(str)), r"revenue \(not numbers\)"),
        (lambda t: t.assign(revenue="ten"), r"revenue \(not numbers\)"),
        (lambda t: t.assign(is_return=t["is_return"].map({True: "yes", False: "no"})),
         r"is_return \(not true/false\)"),
        (lambda t: t.assign(is_return=~t["is_return"]), r"does not match the sign of revenue"),
        (lambda t: t.assign(quantity="2"), r"quantity \(not numbers\)"),
        (lambda t: t.assign(revenue=np.inf), r"revenue \(not finite numbers\)"),
    ],
)  # fmt: skip
def test_a_data_table_with_a_recomputed_checksum_is_still_checked(dataset, change, message):
    """Issue 16: text in revenue or is_return, with a matching checksum, opened 'successfully'
    and then crashed the pages."""
    with pytest.raises(WorkspaceError, match=message):
        load_workspace(_with_transactions(dataset, change(dataset.transactions)))


def test_an_untouched_data_table_passes_the_checks(dataset):
    restored = load_workspace(_with_transactions(dataset, dataset.transactions)).dataset
    checked = ["customer_id", "date", "revenue", "is_return"]
    pd.testing.assert_frame_equal(restored.transactions[checked], dataset.transactions[checked])


def test_an_oversized_settings_document_is_refused_before_parsing():
    padding = " " * (workspace.MAX_SETTINGS_BYTES + 1)
    data = ('{"format": "cvm-workspace", "version": 2,' + padding + '"page": {}}').encode()
    with pytest.raises(WorkspaceError, match="settings are larger than 20 MB"):
        load_workspace(data)


def test_the_sales_pipeline_survives_a_round_trip_with_the_data(dataset):
    from cvm_core.intake.opportunities import read_pipeline
    from tests.unit.test_pipeline import OPPORTUNITIES, SNAPSHOTS, workbook

    pipeline = read_pipeline(workbook(Opportunities=OPPORTUNITIES, History=SNAPSHOTS))
    with_pipeline = dataclasses.replace(dataset, opportunities=pipeline)
    restored = load_workspace(save_workspace(SETTINGS, with_pipeline, include_data=True)).dataset
    pd.testing.assert_frame_equal(
        restored.opportunities.opportunities, pipeline.opportunities, check_dtype=False
    )
    pd.testing.assert_frame_equal(
        restored.opportunities.snapshots, pipeline.snapshots, check_dtype=False
    )
    assert (
        load_workspace(save_workspace(SETTINGS, dataset, include_data=True)).dataset.opportunities
        is None
    )
