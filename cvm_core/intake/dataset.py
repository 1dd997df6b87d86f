"""The Dataset: validated transactions plus the optional customer and cost-to-serve tables.

Also where a workbook's sheets are assigned to those three roles, so that the upload page, the
command line and the demo loader all build datasets the same way.

A dataset can also be a precomputed customer summary without transactions (a file written by
``python -m cvm_core summarize`` over data too large for one machine): the summary is then the
only table, its transactions frame is empty, and pages that need single transactions say so.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message
from cvm_core.intake.amounts import CurrencyGuess, ParsedColumn, guess_currency, parse_amounts
from cvm_core.intake.channels import map_channels
from cvm_core.intake.dates import parse_dates
from cvm_core.intake.fingerprint import fingerprint
from cvm_core.intake.io import RawTable, Workbook, read_workbook
from cvm_core.intake.opportunities import OpportunityTables, find_pipeline_sheets, optional_pipeline
from cvm_core.intake.schema import (
    CUSTOMER_ROLES,
    ColumnMapping,
    clean_ids,
    duplicate_header_notes,
    guess_mapping,
)
from cvm_core.intake.summary import SUMMARY_COLUMNS, UNIT_DAYS
from cvm_core.intake.validate import (
    MAX_ABS_AMOUNT,
    ValidationOptions,
    ValidationResult,
    validate_transactions,
)

if TYPE_CHECKING:
    from cvm_core.intake.large_files import TransactionFile

DEFAULT_CURRENCY = "EUR"
_COST_DRIVER_WORDS = re.compile(
    r"(?i)service|call|deliver|visit|ticket|complain|terms|shipment|anruf|liefer|besuch|reklam|"
    r"kondition|服务|配送|拜访|投诉|送货"
)


@dataclass(frozen=True)
class SheetRoles:
    """Which table of a workbook holds transactions, customer attributes and cost-to-serve drivers."""

    transactions: str
    customers: str | None = None
    cost_to_serve: str | None = None
    opportunities: str | None = None  # the sales pipeline and its history (snapshots)
    snapshots: str | None = None


@dataclass(frozen=True)
class SummaryInfo:
    """How a precomputed customer summary was made (from its file's metadata).

    Attributes
    ----------
    unit : str
        Unit of its recency and T ("day", "week" or "month").
    observation_end : Timestamp, optional
        End of its observation period (from the metadata, else from the customers' ages).
    engine, source : str
        The engine that computed it and what it read, for the overview.
    """

    unit: str = "week"
    observation_end: pd.Timestamp | None = None
    engine: str = ""
    source: str = ""


@dataclass(frozen=True)
class Dataset:
    """Everything the analyses need, validated.

    Attributes
    ----------
    name : str
        What the user calls it (file name or demo name).
    transactions : DataFrame
        See :class:`cvm_core.intake.validate.ValidationResult`.
    validation : ValidationResult
        Rows read, rejected rows with reasons, notes.
    customers : DataFrame, optional
        Indexed by customer_id; role columns under role keys (acquisition_date, acquisition_cost,
        category_spend, ...) and further attributes under their own names.
    cost_to_serve : DataFrame, optional
        Indexed by customer_id; one numeric column per activity driver (service calls, visits, ...).
    currency : str
        ISO code shown beside money.
    mapping : ColumnMapping
        The transaction columns' roles, as used.
    fingerprint : str
        Identifies source bytes + settings, for caching.
    summary : DataFrame, optional
        A precomputed customer summary (columns :data:`cvm_core.intake.summary.SUMMARY_COLUMNS`) when the
        dataset is only that; ``transactions`` is then empty. See :func:`dataset_from_summary`.
    summary_info : SummaryInfo, optional
        Unit and observation end of ``summary``.
    currency_source : str
        Where ``currency`` was read, as a phrase for the user ("from the column header
        'dollars'", "from the symbol $ in the amounts"); "" when nothing named a currency and
        :data:`DEFAULT_CURRENCY` was assumed.
    opportunities : OpportunityTables, optional
        The sales pipeline (:mod:`cvm_core.intake.opportunities`), when the file has one.
    transaction_file : TransactionFile, optional
        Set for an upload too large to hold in memory: its transactions stay in that file and
        the analyses aggregate them there (``transactions`` is then empty).
    channel_mapping : dict[str, str]
        Each channel value as written in the file -> the channel the transactions hold: the cost
        model's name where a synonym matched or the user chose one ("Telefon" -> "Phone"), else
        the value itself. Empty without a channel column.
    """

    name: str
    transactions: pd.DataFrame
    validation: ValidationResult
    mapping: ColumnMapping
    customers: pd.DataFrame | None = None
    cost_to_serve: pd.DataFrame | None = None
    currency: str = DEFAULT_CURRENCY
    fingerprint: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    summary: pd.DataFrame | None = None
    summary_info: SummaryInfo | None = None
    currency_source: str = ""
    channel_mapping: dict[str, str] = field(default_factory=dict)
    opportunities: OpportunityTables | None = None
    transaction_file: TransactionFile | None = None
    # First and last transaction date, found once: every page's run asks for them several times
    # (33 ms a rerun at 1M rows). Not an init field: dataclasses.replace starts it afresh.
    _dates: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def has_transactions(self) -> bool:
        """False for a dataset that is only a precomputed customer summary."""
        return (
            self.transaction_file is not None or self.summary is None or len(self.transactions) > 0
        )

    @property
    def observation_end(self) -> pd.Timestamp:
        """The last date in the data: the default end of the observation period.

        For a summary file: the end it was computed to.
        """
        if not self.has_transactions:
            info = self.summary_info or SummaryInfo()
            if info.observation_end is not None:
                return pd.Timestamp(info.observation_end)
            return pd.Timestamp(self.summary["last_purchase"].max())
        if self.transaction_file is not None:
            return self.transaction_file.last_date
        return self._transaction_dates()[1]

    @property
    def observation_start(self) -> pd.Timestamp:
        if not self.has_transactions:
            return pd.Timestamp(self.summary["first_purchase"].min())
        if self.transaction_file is not None:
            return self.transaction_file.first_date
        return self._transaction_dates()[0]

    def _transaction_dates(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        if "range" not in self._dates:
            dates = self.transactions["date"]
            self._dates["range"] = (pd.Timestamp(dates.min()), pd.Timestamp(dates.max()))
        return self._dates["range"]

    def has(self, column: str) -> bool:
        """Whether the transactions (for a summary file: the summary) carry this column with any
        value in it."""
        if self.transaction_file is not None:
            return column in ("customer_id", "date", "revenue", *self.transaction_file.known)
        table = self.transactions if self.has_transactions else self.summary
        return bool(column in table and table[column].notna().any())


def guess_sheet_roles(workbook: Workbook) -> SheetRoles:
    """Pick the transactions sheet (most required roles found, then most rows) and the extra tables."""
    opportunities, snapshots = find_pipeline_sheets(workbook)
    pipeline = {opportunities, snapshots} - {None}
    scored = []
    for name, table in workbook.tables.items():
        if name in pipeline and len(pipeline) < len(workbook.tables):
            continue
        mapping = guess_mapping(table.frame)
        found = 3 - len(mapping.missing_required())
        scored.append((found, len(table.frame), name))
    transactions = max(scored)[2]
    others = [n for n in workbook.tables if n != transactions and n not in pipeline]
    customers = next((n for n in others if _looks_like_customer_table(workbook.tables[n])), None)
    cost = next(
        (n for n in others if n != customers and _looks_like_cost_table(workbook.tables[n])), None
    )
    return SheetRoles(transactions, customers, cost, opportunities, snapshots)


def _looks_like_customer_table(table: RawTable) -> bool:
    roles = guess_mapping(table.frame, CUSTOMER_ROLES).roles
    return "customer_id" in roles and len(roles) >= 2


def _looks_like_cost_table(table: RawTable) -> bool:
    roles = guess_mapping(table.frame, CUSTOMER_ROLES).roles
    drivers = [c for c in table.frame.columns if _COST_DRIVER_WORDS.search(str(c))]
    return "customer_id" in roles and bool(drivers)


def build_dataset(
    workbook: Workbook,
    sheets: SheetRoles,
    mapping: ColumnMapping | None = None,
    options: ValidationOptions | None = None,
    name: str = "",
    currency: str | None = None,
    fingerprint: str = "",
    currency_source: str = "",
) -> Dataset:
    """Validate the transactions sheet and attach the optional tables.

    Parameters
    ----------
    mapping : ColumnMapping, optional
        Defaults to :func:`cvm_core.intake.schema.guess_mapping` on the transactions sheet.
    currency : str, optional
        Defaults to the currency named in the revenue (else unit price, cost) column's header or
        cells, else EUR; where it was found goes to ``Dataset.currency_source``.
    currency_source : str
        Where a given ``currency`` comes from, for the user ("from the CDNOW documentation").

    Channel values are matched to the cost model's channels (``mapping.channels`` first, then the
    synonyms of :mod:`cvm_core.intake.channels`); ``Dataset.channel_mapping`` keeps what was used.
    """
    table = workbook.tables[sheets.transactions]
    mapping = mapping or guess_mapping(table.frame)
    validation = validate_transactions(table, mapping, options)
    notes = list(workbook.notes) + list(table.notes)
    notes += duplicate_header_notes(table.frame.columns, mapping.roles)
    notes += validation.notes
    customers = cost = None
    buyers = validation.transactions["customer_id"]
    if sheets.customers:
        customers, more = prepare_customer_table(workbook.tables[sheets.customers])
        notes += more + [match_note(customers.index, buyers, "attributes", sheets.customers)]
    if sheets.cost_to_serve:
        cost, more = prepare_cost_to_serve(workbook.tables[sheets.cost_to_serve])
        notes += more + [match_note(cost.index, buyers, "cost-to-serve", sheets.cost_to_serve)]
    validation, channels = _map_channels(validation, mapping)
    pipeline = optional_pipeline(workbook, (sheets.opportunities, sheets.snapshots), notes)
    guess = None if currency else _currency_of(table.frame, mapping)
    if (
        not currency
        and validation.currency
        and (guess is None or guess.code != validation.currency)
    ):
        # Cells in more than one currency: the rows kept are in this one (see validation).
        guess = CurrencyGuess(validation.currency, "from the currency most amounts are in")
    return Dataset(
        name=name or sheets.transactions,
        transactions=validation.transactions,
        validation=validation,
        mapping=mapping,
        customers=customers,
        cost_to_serve=cost,
        currency=currency or (guess.code if guess else DEFAULT_CURRENCY),
        fingerprint=fingerprint,
        notes=tuple(notes),
        currency_source=currency_source if currency else (guess.source if guess else ""),
        channel_mapping=channels,
        opportunities=pipeline,
    )


def _currency_of(frame: pd.DataFrame, mapping: ColumnMapping) -> CurrencyGuess | None:
    """The currency the money columns name: revenue first, then unit price and cost."""
    for role in ("revenue", "unit_price", "cost"):
        column = mapping.roles.get(role)
        if column and column in frame:
            guess = guess_currency(frame[column], str(column))
            if guess is not None:
                return guess
    return None


def _map_channels(
    validation: ValidationResult, mapping: ColumnMapping
) -> tuple[ValidationResult, dict[str, str]]:
    """The transactions with the cost model's channel names (see :mod:`cvm_core.intake.channels`)."""
    tx = validation.transactions
    if "channel" not in tx:
        return validation, {}
    column, used = map_channels(tx["channel"], mapping.channels)
    if any(raw != channel for raw, channel in used.items()):  # no copy when nothing changes
        tx = tx.assign(channel=column)
        validation = dataclasses.replace(validation, transactions=tx)
    return validation, used


def load_file(
    data: bytes,
    filename: str,
    mapping: ColumnMapping | None = None,
    options: ValidationOptions | None = None,
    sheets: SheetRoles | None = None,
) -> Dataset:
    """Read, map and validate a file in one call (the command line and tests use this)."""
    workbook = read_workbook(data, filename)
    sheets = sheets or guess_sheet_roles(workbook)
    key = fingerprint(data)
    if mapping is not None and mapping.channels:  # other channel choices, other results
        key = fingerprint((key + repr(sorted(mapping.channels.items()))).encode())
    return build_dataset(workbook, sheets, mapping, options, name=filename, fingerprint=key)


def dataset_from_frame(
    frame: pd.DataFrame,
    name: str,
    mapping: ColumnMapping | None = None,
    currency: str | None = None,
    currency_source: str = "",
) -> Dataset:
    """Build a dataset from an in-memory transactions frame (demo data, tests, Parquet)."""
    table = RawTable(frame.reset_index(drop=True), np.arange(2, len(frame) + 2), 1, name)
    workbook = Workbook({name: table}, "frame")
    rows = pd.util.hash_pandas_object(frame, index=False).values.tobytes()
    if mapping is not None and mapping.channels:  # other channel choices, other results
        rows += repr(sorted(mapping.channels.items())).encode()
    return build_dataset(
        workbook,
        SheetRoles(name),
        mapping,
        name=name,
        currency=currency,
        fingerprint=fingerprint(rows),
        currency_source=currency_source,
    )


def attach_tables(
    dataset: Dataset,
    customers: RawTable | None = None,
    cost_to_serve: RawTable | None = None,
    fingerprint_suffix: str = "",
) -> Dataset:
    """A copy of ``dataset`` with customer attributes and/or cost-to-serve drivers from separate files.

    A table given here replaces one found in the transactions workbook.
    """
    notes = list(dataset.notes)
    changes: dict = {}
    buyers = (
        dataset.transactions["customer_id"] if dataset.has_transactions else dataset.summary.index
    )
    if customers is not None:
        changes["customers"], more = prepare_customer_table(customers)
        notes += more
        notes.append(match_note(changes["customers"].index, buyers, "attributes", customers.name))
    if cost_to_serve is not None:
        changes["cost_to_serve"], more = prepare_cost_to_serve(cost_to_serve)
        notes += more
        notes.append(
            match_note(changes["cost_to_serve"].index, buyers, "cost-to-serve", cost_to_serve.name)
        )
    if not changes:
        return dataset
    key = fingerprint((dataset.fingerprint + fingerprint_suffix).encode())
    return dataclasses.replace(dataset, notes=tuple(notes), fingerprint=key, **changes)


class Attention(Message):
    """A note the user must act on (shown as a warning, not among the other notes): e.g. a
    customer table whose ids mostly match no transaction. Still a str everywhere else."""


MIN_ID_MATCH_SHARE = 0.5
"""Below this share of a customer or cost-to-serve table's ids found among the transactions'
customers, the note about it is a warning: the tables probably use different ids."""


def match_note(
    table_ids: pd.Index | pd.Series, customer_ids: pd.Index | pd.Series, kind: str, name: str
) -> str:
    """How many of a side table's customer ids appear among the transactions' customers.

    Parameters
    ----------
    table_ids : Index or Series
        The side table's customer ids (cleaned like the transactions').
    customer_ids : Index or Series
        The transactions' customer ids (repeats allowed).
    kind : str
        "attributes" or "cost-to-serve", as the note names the table.
    name : str
        The table's sheet or file name.
    """
    ids = pd.Index(table_ids).unique()
    n = len(ids)
    matched = int(ids.isin(pd.Index(customer_ids).unique()).sum())
    table = Message(N_("attributes")) if kind == "attributes" else Message(N_("cost-to-serve"))
    if n == 0:
        return Message(N_("The {table} table ('{name}') lists no customer ids, so it adds nothing."), table=table, name=name)  # fmt: skip
    if matched / n < MIN_ID_MATCH_SHARE:
        return Attention(
            N_("Only {matched} of {n} customer ids in the {table} table ('{name}') appear in the "
               "transactions; check that the same customer ids are used."),
            matched=matched, n=n, table=table, name=name,
        )  # fmt: skip
    if matched == n:
        return Message(N_("All {n} customer ids in the {table} table ('{name}') appear in the transactions."), n=n, table=table, name=name)  # fmt: skip
    share = int(100 * matched / n)  # rounded down: 99.6% is not "100%"
    return Message(
        N_("{matched} of {n} customer ids in the {table} table ('{name}') ({share}%) appear in the transactions."),
        matched=matched, n=n, table=table, name=name, share=share,
    )  # fmt: skip


def _table_ids(table: RawTable, id_column: str) -> tuple[pd.Series, list[str]]:
    ids = clean_ids(table.frame[id_column])
    notes = []
    if ids.isna().any():
        notes.append(Message(N_("{n} rows of '{name}' have no customer id and were left out."), n=int(ids.isna().sum()), name=table.name))  # fmt: skip
    return ids, notes


def prepare_customer_table(
    table: RawTable, mapping: ColumnMapping | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Customer attributes indexed by customer id, typed: dates as dates, money as numbers."""
    mapping = mapping or guess_mapping(table.frame, CUSTOMER_ROLES)
    ids, notes = _table_ids(table, mapping.roles["customer_id"])
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    for role, column in mapping.roles.items():
        if role == "customer_id":
            continue
        values = table.frame[column]
        if role == "acquisition_date":
            out[role] = parse_dates(values, "auto", column).values
        elif role in {"acquisition_cost", "category_spend"}:
            out[role] = _plausible_amounts(values, column, table.name, notes)
        else:
            out[role] = values.astype(str).to_numpy()
    for column in mapping.attributes:
        out[column] = table.frame[column].to_numpy()
    out = out[out.index.notna()]
    if out.index.duplicated().any():
        notes.append(Message(N_("'{name}' lists some customers twice; the first row of each was used."), name=table.name))  # fmt: skip
        out = out[~out.index.duplicated()]
    return out, notes


def prepare_cost_to_serve(table: RawTable) -> tuple[pd.DataFrame, list[str]]:
    """Per-customer activity drivers: every column that reads as numbers, indexed by customer id."""
    id_column = guess_mapping(table.frame, CUSTOMER_ROLES).roles.get(
        "customer_id", table.frame.columns[0]
    )
    ids, notes = _table_ids(table, id_column)
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    for column in table.frame.columns:
        if column == id_column:
            continue
        parsed = parse_amounts(table.frame[column])
        if (~np.isnan(parsed.values)).mean() >= 0.9:
            out[column] = np.nan_to_num(_plausible_amounts(parsed, column, table.name, notes))
        else:
            notes.append(Message(N_("Column '{column}' of '{name}' is not numeric; not used as a cost driver."), column=column, name=table.name))  # fmt: skip
    out = out[out.index.notna()]
    return out.groupby(level=0).sum(), notes


def _plausible_amounts(
    values: pd.Series | ParsedColumn, column: str, table: str, notes: list[str]
) -> np.ndarray:
    """Amounts of a customer or cost-to-serve column with the absurd ones (beyond
    :data:`~cvm_core.intake.validate.MAX_ABS_AMOUNT`) left empty and counted in a note: 1e308 in one
    cell would make every sum over the column infinite."""
    parsed = values if isinstance(values, ParsedColumn) else parse_amounts(values)
    out = parsed.values.copy()
    absurd = np.abs(out) > MAX_ABS_AMOUNT
    if absurd.any():
        out[absurd] = np.nan
        n = int(absurd.sum())
        one = N_("{n} value in column '{column}' of '{name}' is over {limit} (plus or minus), probably mistyped, and left empty.")  # fmt: skip
        more = N_("{n} values in column '{column}' of '{name}' are over {limit} (plus or minus), probably mistyped, and left empty.")  # fmt: skip
        notes.append(Message(one if n == 1 else more, n=n, column=column, name=table, limit=int(MAX_ABS_AMOUNT)))  # fmt: skip
    return out


def empty_transactions() -> pd.DataFrame:
    """Canonical transactions without rows, with the dtypes validation produces."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype=object),
            "date": pd.Series(dtype="datetime64[ns]"),
            "revenue": pd.Series(dtype=float),
            "is_return": pd.Series(dtype=bool),
            "source_row": pd.Series(dtype=np.int64),
        }
    )


def dataset_from_summary(
    summary: pd.DataFrame,
    settings: dict,
    name: str,
    fingerprint: str = "",
    currency: str | None = None,
) -> Dataset:
    """A dataset that is only a precomputed customer summary (no transactions).

    Parameters
    ----------
    summary : DataFrame
        Indexed by customer_id with the columns :data:`cvm_core.intake.summary.SUMMARY_COLUMNS`, as
        :func:`cvm_core.intake.engines.read_summary` returns it.
    settings : dict
        The file's metadata: unit (required), observation_end, engine, source.
    name, fingerprint, currency
        As for :class:`Dataset`; currency defaults to the metadata's, else EUR.

    Raises
    ------
    ValidationError
        When columns are missing, the unit is unknown, or the summary has no customers.
    """
    missing = [c for c in SUMMARY_COLUMNS if c not in summary]
    if missing:
        raise ValidationError(Message(N_("The summary file lacks the columns {columns}; write it again with `python -m cvm_core summarize`."), columns=", ".join(missing)))  # fmt: skip
    unit = str(settings.get("unit", ""))
    if unit not in UNIT_DAYS:
        raise ValidationError(Message(N_("The summary file's time unit '{unit}' is not day, week or month; write it again with `python -m cvm_core summarize --unit week`."), unit=unit))  # fmt: skip
    if summary.empty:
        raise ValidationError(Message(N_("The summary file has no customers; summarise a period with sales.")))  # fmt: skip
    end = settings.get("observation_end")
    info = SummaryInfo(
        unit=unit,
        observation_end=pd.Timestamp(end).normalize() if end else _end_from_ages(summary, unit),
        engine=str(settings.get("engine") or ""),
        source=str(settings.get("source") or ""),
    )
    frame = summary[list(SUMMARY_COLUMNS)]
    frame.index = frame.index.astype(str).rename("customer_id")
    validation = ValidationResult(
        empty_transactions(), pd.DataFrame(columns=["Row in file", "Reason"]), len(frame)
    )
    known = N_("A customer summary of {n} customers made by the {engine} engine; pages that need single transactions say so.")  # fmt: skip
    unknown = N_("A customer summary of {n} customers made by the unknown engine; pages that need single transactions say so.")  # fmt: skip
    note = Message(known if info.engine else unknown, n=len(frame), engine=info.engine)
    stored = str(settings.get("currency") or "")
    return Dataset(
        name=name,
        transactions=validation.transactions,
        validation=validation,
        mapping=ColumnMapping({}),
        currency=currency or stored or DEFAULT_CURRENCY,
        fingerprint=fingerprint,
        notes=(note,),
        summary=frame,
        summary_info=info,
        currency_source=(
            str(settings.get("currency_source") or "from the summary file's settings")
            if stored and not currency
            else ""
        ),
    )


def _end_from_ages(summary: pd.DataFrame, unit: str) -> pd.Timestamp:
    """The observation end a summary was computed to, from T = (end - first purchase) / unit.

    Used when the file does not record it (summarised "up to the last date in the data"): the last
    purchase would miss a later return, every customer's first purchase plus their age does not.
    """
    days = np.round(summary["T"].to_numpy(dtype=float) * UNIT_DAYS[unit])
    ends = pd.to_datetime(summary["first_purchase"]) + pd.to_timedelta(days, unit="D")
    return pd.Timestamp(ends.max()).normalize()
