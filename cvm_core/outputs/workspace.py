"""Saved workspaces: settings (and optionally the data) in one file, to prepare before a workshop.

A workspace is a JSON document (version 2)::

    {"format": "cvm-workspace", "version": 2, "saved_at": "...", "dataset": {...},
     "analyses": {"clv": {"value": {"version": 1, "horizon_months": 24}}, "scorecard": {...}},
     "page": {"cvm.retention.grouping": "Region", "whale.base": {"$table": ...}, ...}}

``analyses`` holds each analysis's settings as its Settings class writes them
(:meth:`~cvm_core.analyses.base.Settings.to_dict`, only the fields the user set; see
:mod:`cvm_core.outputs.workspace_settings` for which class sits where). ``page`` holds the rest of
what a page remembers under its stable setting name (the tab or breakdown chosen, the activity
table): JSON scalars, lists, dicts, dates (``{"$date": "2024-12-31"}``) and small tables
(``{"$table": {"columns": [...], "rows": [[...], ...]}}``). Version-1 files kept everything under
``settings`` by stable name; they are still read. ``dataset`` holds the dataset's name, currency,
fingerprint and column mapping (with the user's channel choices), where the currency was read and
the channel values matched. Without the data the file is plain JSON (``.json``); with the data
it is a zip holding ``workspace.json`` and Parquet files of the validated transactions, the
customer and cost-to-serve tables and the rows set aside, each with its SHA-256 in the JSON so a
damaged file is refused rather than half-loaded.

Loading checks everything before anything is applied; every problem raises
:class:`WorkspaceError` with a message saying what is wrong and what to do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cvm_core.errors import CvmError, ValidationError
from cvm_core.i18n import N_, Message, error_message
from cvm_core.intake.dataset import Dataset, dataset_from_summary
from cvm_core.intake.fingerprint import fingerprint
from cvm_core.intake.opportunities import OpportunityTables
from cvm_core.intake.schema import ColumnMapping
from cvm_core.intake.validate import ValidationResult
from cvm_core.outputs.workspace_settings import (
    SettingError,
    check_settings,
    join_settings,
    split_settings,
)

FORMAT = "cvm-workspace"
VERSION = 2
"""2: each analysis's settings as its Settings.to_dict(); 1: the app's setting names (still read)."""
JSON_NAME = "workspace.json"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_SETTINGS_BYTES = 20 * 1024**2
"""The settings document itself (the data travels as Parquet beside it in a zip): the largest the
app writes, with a 5,000-row activity table, is well under 2 MB."""
"""Refuse zips that would unpack to more than this (a zip bomb), before reading a byte of them."""
MAX_TABLE_ROWS = 5_000
"""Tables kept as settings (activity rates, targets) are small; bigger ones are not settings."""
DATA_TABLES = (
    "transactions", "customers", "cost_to_serve", "rejected", "summary", "opportunities",
    "opportunity_history",
)  # fmt: skip
_SCALARS = (str, bool, int, float, type(None))


class WorkspaceError(CvmError):
    """A workspace file could not be saved or loaded; the message says why and what to do."""


@dataclass(frozen=True)
class Workspace:
    """The content of a workspace file.

    Attributes
    ----------
    settings : dict
        Stable setting name -> value (dates as ``datetime.date``, tables as DataFrames).
    dataset_name, currency, fingerprint : str
        The dataset the settings were made for.
    mapping : ColumnMapping, optional
        The transaction columns' roles as used for that dataset.
    saved_at : str
        ISO time of saving.
    dataset : Dataset, optional
        The data itself, when it was included.
    """

    settings: dict[str, Any]
    dataset_name: str = ""
    currency: str = ""
    fingerprint: str = ""
    mapping: ColumnMapping | None = None
    saved_at: str = ""
    dataset: Dataset | None = field(default=None, compare=False)


# --- values -----------------------------------------------------------------------------------


def encode_value(value: Any) -> Any:
    """A setting value as JSON; raises TypeError for values that are not settings."""
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError("not a finite number")
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dt.datetime | pd.Timestamp):
        return {"$datetime": pd.Timestamp(value).isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalar
        return encode_value(value.item())
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dict keys must be text")
        return {k: encode_value(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        if len(value) > MAX_TABLE_ROWS:
            raise TypeError("table too large for a setting")
        rows = [[encode_value(_plain(v)) for v in row] for row in value.itertuples(index=False)]
        return {"$table": {"columns": [str(c) for c in value.columns], "rows": rows}}
    raise TypeError(f"{type(value).__name__} is not a setting")


def _plain(value: Any) -> Any:
    """NaN / NA cells of a table become None (JSON null)."""
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`; raises ValueError on malformed tagged values."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"$date"}:
        return dt.date.fromisoformat(str(value["$date"]))
    if set(value) == {"$datetime"}:
        return pd.Timestamp(str(value["$datetime"])).to_pydatetime()
    if set(value) == {"$table"}:
        table = value["$table"]
        if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
            raise ValueError(Message(N_("malformed table")))
        rows = [[decode_value(v) for v in row] for row in table["rows"]]
        return pd.DataFrame(rows, columns=[str(c) for c in table.get("columns", [])])
    return {str(k): decode_value(v) for k, v in value.items()}


def encode_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Encodable settings, and the names of those left out (not settings, e.g. fitted models)."""
    encoded, skipped = {}, []
    for name, value in settings.items():
        try:
            encoded[str(name)] = encode_value(value)
        except TypeError:
            skipped.append(str(name))
    return encoded, skipped


# --- saving -----------------------------------------------------------------------------------


def _document(settings: dict[str, Any], dataset: Dataset | None) -> dict:
    encoded, _ = encode_settings(settings)
    # Plain Python values (numpy scalars and dates as the pages hold them, decoded once) so each
    # analysis's Settings can check and store its own fields.
    plain = {name: decode_value(value) for name, value in encoded.items()}
    try:
        analyses, page = split_settings(plain)
    except SettingError as error:
        raise WorkspaceError(
            Message(N_("The workspace cannot be saved: {error}"), error=error_message(error))
        ) from error
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "analyses": analyses,
        "page": {name: encoded[name] for name in page},
    }
    if dataset is not None:
        document["dataset"] = {
            "name": dataset.name,
            "currency": dataset.currency,
            "currency_source": dataset.currency_source,
            "fingerprint": dataset.fingerprint,
            "mapping": {
                "roles": dict(dataset.mapping.roles),
                "attributes": list(dataset.mapping.attributes),
                "channels": dict(dataset.mapping.channels),
            },
            "channel_mapping": dict(dataset.channel_mapping),
        }
    return document


def save_workspace(
    settings: dict[str, Any], dataset: Dataset | None = None, include_data: bool = False
) -> bytes:
    """The workspace file: JSON, or (``include_data``) a zip with the JSON and the data as Parquet.

    Settings whose values are not settings (models, results) are left out silently: they are
    recomputed from the settings and the data.
    """
    document = _document(settings, dataset)
    if not include_data:
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    if dataset is None:
        raise WorkspaceError(Message(N_("There is no data to include: load a dataset first.")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        files = {}
        for name, frame in _data_tables(dataset).items():
            payload = _parquet(frame)
            archive.writestr(f"data/{name}.parquet", payload)
            files[name] = hashlib.sha256(payload).hexdigest()
        document["data"] = {
            "files": files,
            "rows_read": int(dataset.validation.rows_read),
            "validation_notes": list(dataset.validation.notes),
            "notes": list(dataset.notes),
        }
        if not dataset.has_transactions:
            info = dataset.summary_info
            document["data"]["summary_info"] = {
                "unit": info.unit,
                "observation_end": f"{info.observation_end:%Y-%m-%d}",
                "engine": info.engine,
                "source": info.source,
            }
        archive.writestr(JSON_NAME, json.dumps(document, ensure_ascii=False, indent=1))
    return buffer.getvalue()


def _data_tables(dataset: Dataset) -> dict[str, pd.DataFrame]:
    if dataset.has_transactions:
        tables = {"transactions": dataset.transactions, "rejected": dataset.validation.rejected}
    else:  # a customer-summary dataset: the summary is its data
        tables = {"summary": dataset.summary}
    if dataset.customers is not None:
        tables["customers"] = dataset.customers
    if dataset.cost_to_serve is not None:
        tables["cost_to_serve"] = dataset.cost_to_serve
    if dataset.opportunities is not None:  # the sales pipeline, as read (canonical columns)
        tables["opportunities"] = dataset.opportunities.opportunities
        if dataset.opportunities.snapshots is not None:
            tables["opportunity_history"] = dataset.opportunities.snapshots
    return tables


def _parquet(frame: pd.DataFrame) -> bytes:
    """Parquet bytes; object columns mixing types (an attribute column) are stored as text."""
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    try:
        return frame.to_parquet(index=True)
    except (TypeError, ValueError, ArithmeticError, ImportError) as error:
        if isinstance(error, ImportError):
            raise WorkspaceError(
                Message(N_("Saving the data needs pyarrow; save without the data."))
            ) from error
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: None if _plain(v) is None else str(v))
    return frame.to_parquet(index=True)


# --- loading ----------------------------------------------------------------------------------

_FOREIGN = N_(
    "This file is not a workspace saved by this app. Choose a .json or .zip file made with "
    "'Save workspace'."
)


def load_workspace(data: bytes) -> Workspace:
    """Read a workspace file made by :func:`save_workspace`; check everything first.

    Raises
    ------
    WorkspaceError
        Empty, too large, damaged, foreign or newer-version files, with what to do.
    """
    if not data:
        raise WorkspaceError(
            Message(N_("The workspace file is empty. Choose the file made with 'Save workspace'."))
        )
    if len(data) > MAX_FILE_BYTES:
        raise WorkspaceError(
            Message(
                N_("The workspace file is larger than {mb} MB; save the workspace without the "
                   "data and upload the data file instead."),
                mb=str(MAX_FILE_BYTES // 2**20),
            )
        )  # fmt: skip
    if data[:2] == b"PK":
        return _load_zip(data)
    return _from_document(_parse_json(data), None)


def _parse_json(data: bytes) -> dict:
    if len(data) > MAX_SETTINGS_BYTES:
        raise WorkspaceError(
            Message(
                N_("The workspace's settings are larger than {mb} MB, far more than the app "
                   "writes; the file is refused. Save the workspace again from the app."),
                mb=str(MAX_SETTINGS_BYTES // 2**20),
            )
        )  # fmt: skip
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WorkspaceError(
            Message(N_("{foreign} (It is not readable JSON: {error}.)"), foreign=Message(_FOREIGN), error=str(error))
        ) from error  # fmt: skip
    except RecursionError as error:  # thousands of nested brackets: no workspace looks like that
        raise WorkspaceError(
            Message(N_("{foreign} (It nests too deeply to be one.)"), foreign=Message(_FOREIGN))
        ) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise WorkspaceError(Message(_FOREIGN))
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise WorkspaceError(
            Message(N_("The workspace file has no valid version number; it is damaged."))
        )
    if version > VERSION:
        raise WorkspaceError(
            Message(
                N_("This workspace was saved by a newer version of the app (format {version}; "
                   "this app reads up to {newest}). Update the app, or save the workspace again "
                   "from this one."),
                version=str(version), newest=str(VERSION),
            )
        )  # fmt: skip
    for part in ("settings", "page", "analyses"):
        if not isinstance(document.get(part, {}), dict):
            raise WorkspaceError(
                Message(N_("The workspace file is damaged: its settings are not readable."))
            )
    return document


def _from_document(document: dict, dataset: Dataset | None) -> Workspace:
    stored = document.get("settings" if document["version"] == 1 else "page", {})
    try:
        settings = {str(k): decode_value(v) for k, v in stored.items()}
    except (ValueError, TypeError, AttributeError) as error:
        raise WorkspaceError(
            Message(
                N_("The workspace file is damaged: a setting is unreadable ({error})."),
                error=error_message(error),
            )
        ) from error
    try:  # before anything reaches a page: a hand-edited value must not break one later
        if document["version"] == 1:
            check_settings(settings)
        else:
            settings = join_settings(document.get("analyses", {}), settings)
    except SettingError as error:
        raise WorkspaceError(
            Message(
                N_("The workspace cannot be opened: {error} Correct or remove it in the file, or "
                   "save the workspace again from the app."),
                error=error_message(error),
            )
        ) from error  # fmt: skip
    info = document.get("dataset") or {}
    if not isinstance(info, dict):
        raise WorkspaceError(
            Message(N_("The workspace file is damaged: its dataset description is unreadable."))
        )
    return Workspace(
        settings=settings,
        dataset_name=str(info.get("name", "")),
        currency=str(info.get("currency", "")),
        fingerprint=str(info.get("fingerprint", "")),
        mapping=_mapping(info.get("mapping")),
        saved_at=str(document.get("saved_at", "")),
        dataset=dataset,
    )


def _mapping(raw: Any) -> ColumnMapping | None:
    if not isinstance(raw, dict):
        return None
    roles = raw.get("roles", {})
    attributes = raw.get("attributes", [])
    channels = raw.get("channels", {})  # absent in files saved before channels were matched
    if not all(isinstance(x, t) for x, t in ((roles, dict), (attributes, list), (channels, dict))):
        raise WorkspaceError(
            Message(N_("The workspace file is damaged: its column mapping is unreadable."))
        )
    return ColumnMapping(
        {str(k): str(v) for k, v in roles.items()},
        tuple(map(str, attributes)),
        {str(k): str(v) for k, v in channels.items()},
    )


def _text_dict(raw: Any) -> dict[str, str]:
    """A stored {text: text} table (the channel mapping); anything else reads as empty."""
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _load_zip(data: bytes) -> Workspace:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise WorkspaceError(
            Message(
                N_("The workspace file is damaged (not a readable zip: {error})."), error=str(error)
            )
        ) from error
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise WorkspaceError(
            Message(N_("The workspace file would unpack to more than 2 GB; it is refused."))
        )
    names = {i.filename for i in infos}
    if JSON_NAME not in names:
        raise WorkspaceError(Message(_FOREIGN))
    try:
        document = _parse_json(archive.read(JSON_NAME))
        dataset = _read_dataset(archive, document)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as error:
        raise WorkspaceError(
            Message(N_("The workspace file is damaged ({error}); save it again."), error=error_message(error))
        ) from error  # fmt: skip
    return _from_document(document, dataset)


def _data_fingerprint(files: dict[str, str], mapping: ColumnMapping) -> str:
    """The dataset's cache key, derived from the verified table checksums, never taken from the
    file: a hand-edited fingerprint could otherwise fetch another dataset's cached results."""
    text = json.dumps([sorted(files.items()), sorted(mapping.roles.items())])
    return fingerprint(text.encode(), prefix="ws-")


def _check_transactions(frame: pd.DataFrame) -> None:
    """The restored transactions have the validated shape the pages rely on: a table whose
    checksum was recomputed by hand is no proof of good data, so types and values are checked as
    the intake left them (numbers as numbers, returns as true/false matching the amount's sign)."""
    problems = [c for c in ("customer_id", "date", "revenue", "is_return") if c not in frame]
    if not problems:
        problems = _bad_columns(frame)
    if problems:
        raise WorkspaceError(
            Message(
                N_("The workspace file is damaged: its transactions table has bad columns "
                   "({columns}). Save the workspace again, or open the sales file instead."),
                columns=", ".join(problems),
            )
        )  # fmt: skip


def _bad_columns(frame: pd.DataFrame) -> list[str]:
    problems = []
    if not pd.api.types.is_datetime64_any_dtype(frame["date"]):
        problems.append("date (not dates)")
    for column in ("revenue", "quantity", "unit_price", "cost"):
        if column not in frame:
            continue
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            problems.append(f"{column} (not numbers)")
        elif column == "revenue" and not np.isfinite(values.to_numpy(dtype=float)).all():
            problems.append("revenue (not finite numbers)")
    if not pd.api.types.is_bool_dtype(frame["is_return"]):
        problems.append("is_return (not true/false)")
    elif (
        "revenue (not numbers)" not in problems
        and (frame["is_return"].to_numpy() != (frame["revenue"].to_numpy(dtype=float) < 0)).any()
    ):
        problems.append("is_return (does not match the sign of revenue)")
    if frame["customer_id"].isna().any() or frame["date"].isna().any():
        problems.append("customer_id/date (blanks)")
    return problems


def _summary_dataset(tables: dict, meta: dict, info: dict) -> Dataset:
    try:
        dataset = dataset_from_summary(
            tables["summary"],
            meta.get("summary_info") or {},
            name=str(info.get("name", "workspace data")),
            fingerprint=_data_fingerprint(meta["files"], ColumnMapping()),
            currency=str(info.get("currency") or "EUR"),
        )
        return dataclasses.replace(dataset, currency_source=str(info.get("currency_source") or ""))
    except ValidationError as error:
        raise WorkspaceError(
            Message(N_("The workspace file is damaged: {error}"), error=error_message(error))
        ) from error


def _read_dataset(archive: zipfile.ZipFile, document: dict) -> Dataset | None:
    meta = document.get("data")
    if not isinstance(meta, dict) or not isinstance(meta.get("files"), dict):
        return None
    tables = {}
    for name, digest in meta["files"].items():
        if name not in DATA_TABLES:
            raise WorkspaceError(
                Message(
                    N_("The workspace file holds an unknown table '{name}'; it is refused."),
                    name=name,
                )
            )
        payload = archive.read(f"data/{name}.parquet")
        if hashlib.sha256(payload).hexdigest() != digest:
            raise WorkspaceError(
                Message(
                    N_("The workspace file is damaged: its {name} table does not match its "
                       "checksum. Save the workspace again."),
                    name=name,
                )
            )  # fmt: skip
        try:
            tables[name] = pd.read_parquet(io.BytesIO(payload))
        except Exception as error:  # noqa: BLE001 - pyarrow raises many kinds for damaged bytes
            raise WorkspaceError(
                Message(N_("The workspace file is damaged: its {name} table is unreadable."), name=name)
            ) from error  # fmt: skip
    info = document.get("dataset") or {}
    if "transactions" not in tables and "summary" in tables:
        return _summary_dataset(tables, meta, info)
    if "transactions" not in tables:
        raise WorkspaceError(
            Message(N_("The workspace file is damaged: it has no transactions table."))
        )
    _check_transactions(tables["transactions"])
    mapping = _mapping(info.get("mapping")) or ColumnMapping()
    rejected = tables.get("rejected", pd.DataFrame(columns=["Row in file", "Reason"]))
    validation = ValidationResult(
        tables["transactions"], rejected, int(meta.get("rows_read", len(tables["transactions"]))),
        tuple(map(str, meta.get("validation_notes", []))),
    )  # fmt: skip
    return Dataset(
        name=str(info.get("name", "workspace data")),
        transactions=tables["transactions"],
        validation=validation,
        mapping=mapping,
        customers=tables.get("customers"),
        cost_to_serve=tables.get("cost_to_serve"),
        currency=str(info.get("currency") or "EUR"),
        fingerprint=_data_fingerprint(meta["files"], mapping),
        notes=tuple(map(str, meta.get("notes", []))),
        currency_source=str(info.get("currency_source") or ""),
        channel_mapping=_text_dict(info.get("channel_mapping")),
        opportunities=OpportunityTables(tables["opportunities"], tables.get("opportunity_history"))
        if "opportunities" in tables
        else None,
    )
