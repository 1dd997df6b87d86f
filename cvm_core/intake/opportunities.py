"""Opportunities: the optional sales-pipeline tables, read and checked like the other tables.

Two tables, both optional and found by their headers (English, German, Chinese):

* the opportunities (one row per opportunity: id, customer, owner, stage, amount, probability,
  created, expected close, actual close, outcome won/lost/open), the CRM's current state;
* their history: periodic snapshots of the open opportunities (the "opportunity history" report
  CRMs export: snapshot date, opportunity id, owner, stage, probability, amount, close date).

They may sit in the sales workbook as extra sheets or come as a file of their own. Rows that
cannot be used are counted with the reason, never silently dropped.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.errors import AmbiguousDateOrderError, ValidationError
from cvm_core.i18n import N_, Message, error_message
from cvm_core.intake.amounts import parse_amounts
from cvm_core.intake.dates import parse_dates
from cvm_core.intake.io import RawTable, Workbook
from cvm_core.intake.schema import clean_ids, normalise_header

WON, LOST, OPEN = "won", "lost", "open"

OPPORTUNITY_ROLES: dict[str, str] = {
    "opportunity_id": "Opportunity ID",
    "customer_id": "Customer ID",
    "owner": "Sales rep",
    "stage": "Stage",
    "amount": "Amount",
    "probability": "Probability",
    "created": "Created date",
    "close_date": "Expected close date",
    "closed_on": "Actual close date",
    "outcome": "Outcome (won/lost)",
}
SNAPSHOT_ROLES: dict[str, str] = {
    "snapshot_date": "Snapshot date",
    "opportunity_id": "Opportunity ID",
    "owner": "Sales rep",
    "stage": "Stage",
    "probability": "Probability",
    "amount": "Amount",
    "close_date": "Expected close date",
}

SYNONYMS: dict[str, tuple[str, ...]] = {
    "opportunity_id": (
        "opportunityid", "opportunity", "opportunityno", "opportunitynumber", "oppid", "dealid",
        "deal", "chanceid", "verkaufschance", "verkaufschanceid", "chancennummer", "opportunitynr",
        "商机编号", "商机id", "商机", "机会编号", "销售机会编号", "销售机会",
    ),
    "customer_id": (
        "customerid", "customer", "customerno", "accountid", "account", "clientid", "client",
        "kundennummer", "kundennr", "kunde", "kundenid", "客户编号", "客户id", "客户",
    ),
    "owner": (
        "owner", "opportunityowner", "salesrep", "rep", "salesperson", "accountmanager",
        "salesmanager", "verkaufer", "vertriebsmitarbeiter", "betreuer", "verantwortlicher",
        "销售代表", "负责人", "销售员", "业务员", "销售",
    ),
    "stage": (
        "stage", "salesstage", "dealstage", "phase", "verkaufsphase", "stufe", "阶段", "销售阶段",
        "商机阶段",
    ),
    "amount": (
        "amount", "value", "dealvalue", "dealsize", "opportunityamount", "expectedrevenue",
        "betrag", "volumen", "auftragswert", "wert", "金额", "商机金额", "预计金额",
    ),
    "probability": (
        "probability", "probabilitypct", "winprobability", "chance", "likelihood",
        "wahrscheinlichkeit", "abschlusswahrscheinlichkeit", "概率", "赢单率", "成交概率",
    ),
    "created": (
        "createddate", "created", "createdon", "opendate", "erstelltam", "erstellt",
        "anlagedatum", "创建日期", "创建时间",
    ),
    "close_date": (
        "closedate", "expectedclosedate", "expectedclose", "forecastclosedate",
        "erwartetesabschlussdatum", "abschlussdatum", "geplantesabschlussdatum",
        "预计成交日期", "预计关闭日期", "成交日期",
    ),
    "closed_on": (
        "actualclosedate", "closedon", "closeddate", "wonlostdate", "tatsachlichesabschlussdatum",
        "abgeschlossenam", "实际成交日期", "关闭日期",
    ),
    "outcome": (
        "outcome", "status", "result", "wonlost", "ergebnis", "gewonnenverloren", "结果",
        "状态", "赢输",
    ),
    "snapshot_date": (
        "snapshotdate", "snapshot", "asof", "asofdate", "reportdate", "stichtag",
        "stand", "standdatum", "快照日期", "快照", "统计日期",
    ),
}  # fmt: skip

_WON = re.compile(r"(?i)\bwon\b|^win$|gewonnen|赢|成交")
_LOST = re.compile(r"(?i)\blost\b|verloren|输|丢|失败")
_CLOSED_STAGE = re.compile(r"(?i)closed|geschlossen|abgeschlossen|won|lost|gewonnen|verloren|赢|输")


def guess_roles(frame: pd.DataFrame, roles: dict[str, str]) -> dict[str, str]:
    """Role -> column from the headers only (exact synonym first, then a long one at either end).

    Each column is used once; the role listed first wins a tie.
    """
    scored = []
    for order, role in enumerate(roles):
        synonyms = [normalise_header(s) for s in SYNONYMS[role]]
        for position, column in enumerate(frame.columns):
            name = normalise_header(column)
            if name in synonyms:
                score = 3
            elif any(len(s) >= 5 and (name.startswith(s) or name.endswith(s)) for s in synonyms):
                score = 2
            else:
                continue
            scored.append((-score, order, position, role, column))
    chosen: dict[str, str] = {}
    for _, _, _, role, column in sorted(scored):
        if role not in chosen and column not in chosen.values():
            chosen[role] = column
    return chosen


def looks_like_opportunities(frame: pd.DataFrame) -> bool:
    """A table of opportunities: a stage, an amount and an opportunity id or owner, no snapshot date."""
    roles = guess_roles(frame, {**OPPORTUNITY_ROLES, "snapshot_date": ""})
    has_who = "opportunity_id" in roles or "owner" in roles
    return {"stage", "amount"} <= roles.keys() and has_who and "snapshot_date" not in roles


def looks_like_snapshots(frame: pd.DataFrame) -> bool:
    """A history of opportunities: a snapshot date, an opportunity id and a stage or probability."""
    roles = guess_roles(frame, SNAPSHOT_ROLES)
    return {"snapshot_date", "opportunity_id"} <= roles.keys() and bool(
        {"stage", "probability"} & roles.keys()
    )


def find_pipeline_sheets(workbook: Workbook) -> tuple[str | None, str | None]:
    """The workbook's opportunities sheet and snapshots sheet (None where there is none)."""
    opportunities = snapshots = None
    for name, table in workbook.tables.items():
        if snapshots is None and looks_like_snapshots(table.frame):
            snapshots = name
        elif opportunities is None and looks_like_opportunities(table.frame):
            opportunities = name
    return opportunities, snapshots


@dataclass(frozen=True)
class OpportunityTables:
    """The pipeline tables, canonical and typed.

    Attributes
    ----------
    opportunities : DataFrame
        One row per opportunity: opportunity_id, customer_id (None where not given), owner,
        stage, amount, probability (0-1, NaN where not given), created, close_date, closed_on
        (datetimes, NaT where not given), outcome ("won", "lost" or "open").
    snapshots : DataFrame, optional
        snapshot_date, opportunity_id, owner, stage, probability, amount, close_date.
    rejected : DataFrame
        Rows left out: "Sheet", "Row in file", "Reason".
    notes : tuple of str
    sheets : tuple of str
        The sheet names read (opportunities, then snapshots).
    """

    opportunities: pd.DataFrame
    snapshots: pd.DataFrame | None = None
    rejected: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["Sheet", "Row in file", "Reason"])
    )
    notes: tuple[str, ...] = ()
    sheets: tuple[str, ...] = ()

    @property
    def has_file_probabilities(self) -> bool:
        """Whether the file gives a probability for at least one open opportunity."""
        open_rows = self.opportunities["outcome"] == OPEN
        probability = self.opportunities["probability"]
        snap = self.snapshots
        in_history = snap is not None and bool(snap["probability"].notna().any())
        return bool(probability[open_rows].notna().any()) or in_history


def read_pipeline(
    workbook: Workbook, opportunities: str | None = None, snapshots: str | None = None
) -> OpportunityTables | None:
    """The pipeline tables of ``workbook`` (sheets guessed when not named); None without them.

    Raises
    ------
    ValidationError
        When an opportunities sheet is found but no row can be used.
    """
    if opportunities is None and snapshots is None:
        opportunities, snapshots = find_pipeline_sheets(workbook)
    if opportunities is None:
        return None
    rejected: list[pd.DataFrame] = []
    notes: list[str] = []
    opps = prepare_opportunities(workbook.tables[opportunities], rejected, notes)
    history = None
    if snapshots is not None:
        history = prepare_snapshots(workbook.tables[snapshots], rejected, notes)
        unknown = ~history["opportunity_id"].isin(opps["opportunity_id"])
        if unknown.any():
            notes.append(Message(
                N_("{n} snapshot rows name opportunities that are not in '{sheet}'; they count "
                   "for the forecasts but have no outcome."),
                n=int(unknown.sum()), sheet=opportunities,
            ))  # fmt: skip
    names = tuple(n for n in (opportunities, snapshots) if n)
    tables = OpportunityTables(opps, history, notes=tuple(notes), sheets=names)
    if rejected:
        return dataclasses.replace(tables, rejected=pd.concat(rejected, ignore_index=True))
    return tables


def optional_pipeline(
    workbook: Workbook, sheets: tuple[str | None, str | None], notes: list[str]
) -> OpportunityTables | None:
    """:func:`read_pipeline` for a sales workbook: a pipeline sheet that cannot be read must not
    stop the sales analyses, so its problem becomes a note (and its notes join ``notes``)."""
    if sheets[0] is None:
        return None
    try:
        tables = read_pipeline(workbook, *sheets)
    except ValidationError as error:
        notes.append(
            Message(N_("The opportunities were not read: {error}"), error=error_message(error))
        )
        return None
    gone = len(tables.rejected)
    if gone:
        notes.append(Message(N_("{n} opportunity rows were left out (see the Pipeline page)."), n=gone))  # fmt: skip
    notes.extend(tables.notes)
    return tables


def _column(table: RawTable, roles: dict[str, str], role: str) -> pd.Series | None:
    column = roles.get(role)
    return None if column is None else table.frame[column]


def _dates(values: pd.Series | None, column: str, n: int, notes: list[str]) -> np.ndarray:
    if values is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    try:
        return parse_dates(values, "auto", column).values
    except AmbiguousDateOrderError:
        notes.append(Message(N_("Dates in '{column}' could be read either way; read day first."), column=column))  # fmt: skip
        return parse_dates(values, "dayfirst", column).values


def _probabilities(values: pd.Series | None, n: int) -> np.ndarray:
    """Shares 0-1: '40%', 40 and 0.4 all read as 0.4 (a column with any value over 1 is in %)."""
    if values is None:
        return np.full(n, np.nan)
    text = (
        values.astype(str).str.replace("%", "", regex=False) if values.dtype == object else values
    )
    parsed = parse_amounts(text).values.astype(float)
    if np.nanmax(parsed, initial=0.0) > 1.0:
        parsed = parsed / 100.0
    parsed[(parsed < 0) | (parsed > 1)] = np.nan
    return parsed


def _outcomes(outcome: pd.Series | None, stage: pd.Series, closed_on: np.ndarray) -> np.ndarray:
    """won / lost / open from the outcome column, else from a closing stage ("Closed Won")."""
    words = (outcome if outcome is not None else stage).astype(str).fillna("")
    out = np.full(len(stage), OPEN, dtype=object)
    out[words.str.contains(_LOST).to_numpy()] = LOST
    out[words.str.contains(_WON).to_numpy() & (out == OPEN)] = WON
    if outcome is not None:  # "Closed Won" in the stage column says it too
        stage_text = stage.astype(str)
        out[(out == OPEN) & stage_text.str.contains(_LOST).to_numpy()] = LOST
        out[(out == OPEN) & stage_text.str.contains(r"(?i)\bwon\b|gewonnen").to_numpy()] = WON
    return out


def _reject(table: RawTable, bad: np.ndarray, reason: str, rejected: list[pd.DataFrame]) -> None:
    if bad.any():
        rows = np.asarray(table.source_rows)[bad]
        rejected.append(pd.DataFrame({"Sheet": table.name, "Row in file": rows, "Reason": reason}))


def _kept(table: RawTable, checks: tuple, rejected: list[pd.DataFrame]) -> np.ndarray:
    """Rows passing every (bad rows, reason) check; each row left out is counted once, with the
    first reason that applies."""
    keep = np.ones(len(table.frame), dtype=bool)
    for bad, reason in checks:
        bad = bad & keep
        _reject(table, bad, reason, rejected)
        keep &= ~bad
    return keep


def _require(table: RawTable, roles: dict[str, str], needed: tuple[str, ...], labels: dict) -> None:
    missing = [labels[r] for r in needed if r not in roles]
    if missing:
        raise ValidationError(Message(
            N_("The sheet '{name}' has no column for {missing}; name the column(s) e.g. {examples}."),
            name=table.name, missing=", ".join(missing),
            examples=", ".join(repr(labels[r]) for r in needed),
        ))  # fmt: skip


def prepare_opportunities(
    table: RawTable, rejected: list[pd.DataFrame], notes: list[str]
) -> pd.DataFrame:
    """The opportunities sheet as canonical columns; unusable rows go to ``rejected``."""
    roles = guess_roles(table.frame, OPPORTUNITY_ROLES)
    _require(table, roles, ("stage", "amount"), OPPORTUNITY_ROLES)
    n = len(table.frame)
    stage = _column(table, roles, "stage").astype(str).str.strip()
    ids_raw = _column(table, roles, "opportunity_id")
    ids = clean_ids(ids_raw) if ids_raw is not None else pd.Series(
        [f"row {r}" for r in table.source_rows], dtype=object
    )  # fmt: skip
    customers = _column(table, roles, "customer_id")
    owner = _column(table, roles, "owner")
    closed_on = _dates(_column(table, roles, "closed_on"), roles.get("closed_on", ""), n, notes)
    frame = pd.DataFrame(
        {
            "opportunity_id": ids.to_numpy(dtype=object),
            "customer_id": (clean_ids(customers) if customers is not None else pd.Series(
                [None] * n, dtype=object)).to_numpy(dtype=object),
            "owner": (owner.astype(str).str.strip() if owner is not None else pd.Series(
                ["(no owner)"] * n)).to_numpy(dtype=object),
            "stage": stage.to_numpy(dtype=object),
            "amount": parse_amounts(_column(table, roles, "amount")).values,
            "probability": _probabilities(_column(table, roles, "probability"), n),
            "created": _dates(_column(table, roles, "created"), roles.get("created", ""), n, notes),
            "close_date": _dates(
                _column(table, roles, "close_date"), roles.get("close_date", ""), n, notes
            ),
            "closed_on": closed_on,
            "outcome": _outcomes(_column(table, roles, "outcome"), stage, closed_on),
        }
    )  # fmt: skip
    closed = frame["outcome"] != OPEN
    frame["closed_on"] = frame["closed_on"].fillna(frame["close_date"].where(closed))
    checks = (
        (frame["opportunity_id"].isna().to_numpy(), Message(N_("no opportunity id"))),
        (np.isnan(frame["amount"].to_numpy()), Message(N_("amount missing or not a number"))),
        (frame["amount"].to_numpy() < 0, Message(N_("negative amount"))),
        ((stage.isin(["", "nan", "None"])).to_numpy(), Message(N_("no stage"))),
    )
    keep = _kept(table, checks, rejected)
    twice = frame["opportunity_id"].duplicated().to_numpy() & keep
    listed_twice = Message(N_("opportunity listed twice (the first row was used)"))
    _reject(table, twice, listed_twice, rejected)
    keep &= ~twice
    if not keep.any():
        raise ValidationError(Message(
            N_("No row of '{name}' is a usable opportunity (each needs an id, a stage and an "
               "amount); see the rows left out."),
            name=table.name,
        ))  # fmt: skip
    return frame[keep].reset_index(drop=True)


def prepare_snapshots(
    table: RawTable, rejected: list[pd.DataFrame], notes: list[str]
) -> pd.DataFrame:
    """The opportunity history as canonical columns; unusable rows go to ``rejected``."""
    roles = guess_roles(table.frame, SNAPSHOT_ROLES)
    _require(table, roles, ("snapshot_date", "opportunity_id"), SNAPSHOT_ROLES)
    n = len(table.frame)
    stage = _column(table, roles, "stage")
    owner = _column(table, roles, "owner")
    amount = _column(table, roles, "amount")
    frame = pd.DataFrame(
        {
            "snapshot_date": _dates(
                _column(table, roles, "snapshot_date"), roles["snapshot_date"], n, notes
            ),
            "opportunity_id": clean_ids(_column(table, roles, "opportunity_id")).to_numpy(object),
            "owner": (owner.astype(str).str.strip() if owner is not None else pd.Series(
                [None] * n, dtype=object)).to_numpy(dtype=object),
            "stage": (stage.astype(str).str.strip() if stage is not None else pd.Series(
                [None] * n, dtype=object)).to_numpy(dtype=object),
            "probability": _probabilities(_column(table, roles, "probability"), n),
            "amount": parse_amounts(amount).values if amount is not None else np.full(n, np.nan),
            "close_date": _dates(
                _column(table, roles, "close_date"), roles.get("close_date", ""), n, notes
            ),
        }
    )  # fmt: skip
    checks = (
        (
            frame["snapshot_date"].isna().to_numpy(),
            Message(N_("snapshot date missing or not a date")),
        ),
        (frame["opportunity_id"].isna().to_numpy(), Message(N_("no opportunity id"))),
    )
    keep = _kept(table, checks, rejected)
    return frame[keep].reset_index(drop=True)


def is_closed_stage(stage: str) -> bool:
    """Whether a stage name says the opportunity is closed ("Closed Won", "Verloren")."""
    return bool(_CLOSED_STAGE.search(str(stage)))
