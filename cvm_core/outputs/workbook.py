"""The results workbook: every result table in one .xlsx for business users who continue in Excel.

Sheets: About (what is in the file and what is missing), Customers (one row per customer with
segment, CLV, tier, P(alive), cost-to-serve and profit, as far as those analyses have run),
Segments (contribution by RFM segment), cohort retention (customers and revenue), churn by period
and the Scorecard. Headers are formatted, money / percent / count / date columns carry Excel number
formats (percentages are stored as shares, 0.253, shown as 25.3%), and no cell can run as a formula:
text goes through :func:`cvm_core.outputs.export.neutralise_formulas` and strings are written as strings.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xlsxwriter

from cvm_core import i18n
from cvm_core.i18n import N_, _
from cvm_core.outputs import export

MONEY, PCT, COUNT, NUMBER, DATE, TEXT = "money", "pct", "count", "number", "date", "text"
NUMBER_FORMATS = {
    MONEY: "#,##0.00",
    PCT: "0.0%",
    COUNT: "#,##0",
    NUMBER: "#,##0.00",
    DATE: "yyyy-mm-dd",
}
WORKBOOK_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Sheet:
    """One sheet: a frame (written without its index) and the number format of each column.

    ``formats`` maps column name -> MONEY | PCT | COUNT | NUMBER | DATE | TEXT; columns not listed
    get a format from their dtype (floats NUMBER, integers COUNT, datetimes DATE).
    """

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    freeze_columns: int = 0
    row_kinds: tuple[str, ...] | None = None
    """Per row, a number format kind for the columns in ``row_kind_columns`` (a table whose rows
    carry different units, like the scorecard: money, shares, counts)."""
    row_kind_columns: tuple[str, ...] = ()


# --- result tables ----------------------------------------------------------------------------

HEADERS = (
    N_("Customer ID"), N_("Customer name"), N_("Segment"), N_("Share of customers"),
    N_("Share of revenue"), N_("Revenue per customer"), N_("Share of profit"),
    N_("Unprofitable customers"), N_("Average CLV"),
)  # fmt: skip
"""Column names the tables below write as literals, marked for the catalogs: the header row shows
them translated (:func:`cvm_core.i18n.header_text`), the frames keep them in English."""

_SUMMARY_COLUMNS = {
    "first_purchase": (N_("First purchase"), DATE),
    "last_purchase": (N_("Last purchase"), DATE),
    "orders": (N_("Orders"), COUNT),
    "frequency": (N_("Repeat purchases"), COUNT),
    "net_revenue": (N_("Net revenue"), MONEY),
    "returns": (N_("Returns"), MONEY),
    "margin": (N_("Gross margin"), MONEY),
}
_SEGMENT_COLUMNS = {"rfm_segment": (N_("RFM segment"), TEXT), "cluster": (N_("Cluster"), TEXT)}
_CLV_COLUMNS = {
    "clv": (N_("CLV"), MONEY),
    "tier": (N_("Value tier"), TEXT),
    "p_alive": (N_("P(alive)"), PCT),
    "expected_purchases": (N_("Expected purchases"), NUMBER),
}
_PNL_COLUMNS = {
    "cost_to_serve": (N_("Cost-to-serve"), MONEY),
    "profit": (N_("Operating profit"), MONEY),
}


def _label(name: str, kind: str, currency: str) -> str:
    return f"{name} ({currency})" if kind == MONEY else name


def _take(
    frame: pd.DataFrame | None, spec: dict[str, tuple[str, str]], index: pd.Index, currency: str
) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """The columns of ``spec`` that ``frame`` has, aligned to ``index``, under readable names."""
    columns: dict[str, pd.Series] = {}
    formats: dict[str, str] = {}
    if frame is None:
        return columns, formats
    for column, (name, kind) in spec.items():
        if column not in frame:
            continue
        values = frame[column].reindex(index)
        if kind == TEXT:
            values = (
                values.astype(object)
                .where(values.notna(), None)
                .map(lambda v: None if v is None else str(v))
            )
        label = _label(name, kind, currency)
        columns[label], formats[label] = values, kind
    return columns, formats


def customer_table(
    summary: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    clv: pd.DataFrame | None = None,
    pnl: pd.DataFrame | None = None,
    names: pd.Series | None = None,
    currency: str = "EUR",
) -> Sheet:
    """One row per customer of ``summary``, with whatever other analyses have produced.

    Parameters
    ----------
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary`, indexed by customer_id.
    segments : DataFrame, optional
        Indexed by customer_id with rfm_segment and cluster (the Segments page's result).
    clv : DataFrame, optional
        Indexed by customer_id with clv, tier, p_alive, expected_purchases (the CLV page's result).
    pnl : DataFrame, optional
        Indexed by customer_id with cost_to_serve and profit (the whale curve's customer P&L).
    names : Series, optional
        Customer names by customer_id.
    """
    index = summary.index
    columns: dict[str, pd.Series] = {"Customer ID": pd.Series(index.astype(str), index=index)}
    formats = {"Customer ID": TEXT}
    if names is not None:
        part, kinds = _take(names.to_frame("n"), {"n": ("Customer name", TEXT)}, index, currency)
        columns |= part
        formats |= kinds
    for frame, spec in (
        (summary, _SUMMARY_COLUMNS),
        (segments, _SEGMENT_COLUMNS),
        (pnl, _PNL_COLUMNS),
        (clv, _CLV_COLUMNS),
    ):
        part, kinds = _take(frame, spec, index, currency)
        columns |= part
        formats |= kinds
    margin = _label(N_("Gross margin"), MONEY, currency)
    if margin in columns and columns[margin].isna().all() and pnl is not None and "profit" in pnl:
        # No cost column: the P&L assumed a margin; show the one its profit is computed from
        # (profit = gross margin - cost-to-serve), not an empty column beside filled profits.
        columns[margin] = (pnl["profit"] + pnl["cost_to_serve"]).reindex(index)
    table = pd.DataFrame(columns).reset_index(drop=True)
    return Sheet(N_("Customers"), table, formats, freeze_columns=1)


def segment_table(
    summary: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    clv: pd.DataFrame | None = None,
    pnl: pd.DataFrame | None = None,
    currency: str = "EUR",
) -> Sheet:
    """Contribution by RFM segment: customers, revenue, profit and CLV with their shares.

    Shares are of the whole customer base; a segment's profit share can exceed 100% when other
    segments lose money.
    """
    frame = pd.DataFrame(
        {
            "segment": segments["rfm_segment"].reindex(summary.index),
            "net_revenue": summary["net_revenue"],
        }
    )
    if pnl is not None and "profit" in pnl:
        frame["profit"] = pnl["profit"].reindex(summary.index)
        frame["unprofitable"] = (frame["profit"] < 0).astype(float)
    if clv is not None and "clv" in clv:
        frame["clv"] = clv["clv"].reindex(summary.index)
    frame = frame.dropna(subset=["segment"])
    frame["segment"] = frame["segment"].astype(str)
    grouped = frame.groupby("segment", sort=False)
    table = pd.DataFrame({"customers": grouped.size(), "net_revenue": grouped["net_revenue"].sum()})
    table = table.sort_values("net_revenue", ascending=False)
    money = lambda name: f"{name} ({currency})"  # noqa: E731
    out = pd.DataFrame(
        {
            "Segment": table.index,
            "Customers": table["customers"].to_numpy(),
            "Share of customers": _share(table["customers"]),
            money("Net revenue"): table["net_revenue"].to_numpy(),
            "Share of revenue": _share(table["net_revenue"]),
            money("Revenue per customer"): (table["net_revenue"] / table["customers"]).to_numpy(),
        }
    )
    formats = {
        "Segment": TEXT,
        "Customers": COUNT,
        "Share of customers": PCT,
        money("Net revenue"): MONEY,
        "Share of revenue": PCT,
        money("Revenue per customer"): MONEY,
    }
    if "profit" in frame:
        profit = grouped["profit"].sum().reindex(table.index)
        out[money("Operating profit")] = profit.to_numpy()
        out["Share of profit"] = _share(profit)
        out["Unprofitable customers"] = (
            grouped["unprofitable"].mean().reindex(table.index).to_numpy()
        )
        formats |= {money("Operating profit"): MONEY, "Share of profit": PCT}
        formats["Unprofitable customers"] = PCT
    if "clv" in frame:
        clv_sum = grouped["clv"].sum().reindex(table.index)
        out[money("CLV")] = clv_sum.to_numpy()
        out[money("Average CLV")] = (clv_sum / table["customers"]).to_numpy()
        formats |= {money("CLV"): MONEY, money("Average CLV"): MONEY}
    return Sheet(N_("Segments"), out, formats)


def _share(values: pd.Series) -> np.ndarray:
    total = float(values.sum())
    if total == 0 or not math.isfinite(total):
        return np.full(len(values), np.nan)
    return (values / total).to_numpy(dtype=float)


def cohort_sheets(cohorts, currency: str = "EUR") -> list[Sheet]:
    """Customer and revenue retention by acquisition cohort (a :class:`cvm_core.analyses.retention.cohorts.
    CohortTables`): one row per cohort, one column per period since acquisition, as shares."""
    unit = cohorts.period.capitalize()
    sheets = []
    for name, matrix in (
        (N_("Cohort retention"), cohorts.customer_retention),
        (N_("Cohort revenue retention"), cohorts.revenue_retention),
    ):
        table = pd.DataFrame(
            {
                N_("Cohort"): [str(c) for c in matrix.index],
                N_("Customers acquired"): cohorts.sizes.reindex(matrix.index).to_numpy(),
            }
        )
        formats = {"Cohort": TEXT, "Customers acquired": COUNT}
        for period in matrix.columns:
            label = f"{unit} {period}"
            table[label] = matrix[period].to_numpy(dtype=float)
            formats[label] = PCT
        sheets.append(Sheet(name, table, formats, freeze_columns=2))
    return sheets


def churn_sheet(churn_by_period: pd.DataFrame) -> Sheet:
    """Customers at the start of each period, how many lapsed, joined and came back; churn rate."""
    spec = {
        "period": (N_("Period"), TEXT),
        "customers_at_start": (N_("Active at start"), COUNT),
        "churned": (N_("Churned"), COUNT),
        "new": (N_("New"), COUNT),
        "reactivated": (N_("Reactivated"), COUNT),
        "churn_rate": (N_("Churn rate"), PCT),
        "retention_rate": (N_("Retention rate"), PCT),
    }
    present = {c: v for c, v in spec.items() if c in churn_by_period}
    table = churn_by_period[list(present)].copy()
    if "period" in table:
        table["period"] = table["period"].astype(str)
    table.columns = [name for name, _kind in present.values()]
    return Sheet(N_("Churn by period"), table, {name: kind for name, kind in present.values()})


UNIT_KINDS = {"share": PCT, "count": COUNT, "number": NUMBER, "days": NUMBER}
"""Scorecard units -> number format; the currency code (money) -> MONEY."""


def scorecard_sheet(table: pd.DataFrame, currency: str = "EUR") -> Sheet:
    """The scorecard with numbers (see :func:`cvm_core.analyses.scorecard.presenting.scorecard_table`,
    ``formatted=False``): each row's Value, Previous, Change, Target and Scenario cells carry the
    number format of the row's unit (money, %, count), since one column mixes units."""
    table = table.reset_index(drop=True)
    if "Unit" not in table:
        return Sheet(N_("Scorecard"), table)
    kinds = tuple(
        MONEY if unit == currency else UNIT_KINDS.get(str(unit), NUMBER) for unit in table["Unit"]
    )
    numeric = tuple(
        c for c in table.columns
        if c.startswith(("Value", "Previous")) or c in ("Change", "Target", "Scenario")
    )  # fmt: skip
    return Sheet(N_("Scorecard"), table, {"Definition": TEXT}, 2, kinds, numeric)


def about_sheet(
    dataset_name: str,
    currency: str,
    made_on: dt.date,
    lines: list[str],
    assumed: Sequence[str] = (),
) -> Sheet:
    """A first sheet that says where the numbers come from, what they assume and what is (not
    yet) included."""
    rows = [
        (_("Dataset"), i18n.shown(dataset_name)),
        (_("Made on"), f"{made_on:%Y-%m-%d}"),
        (_("Currency"), currency),
        *((_("Assumed"), line) for line in assumed),
        *((_("Note"), line) for line in lines),
    ]
    return Sheet(
        N_("About"), pd.DataFrame(rows, columns=[N_("Item"), N_("Value")]), {"Value": TEXT}
    )


# --- writing ----------------------------------------------------------------------------------


def _kind(series: pd.Series, declared: str | None) -> str:
    if declared:
        return declared
    if pd.api.types.is_bool_dtype(series):
        return TEXT
    if pd.api.types.is_integer_dtype(series):
        return COUNT
    if pd.api.types.is_float_dtype(series):
        return NUMBER
    if pd.api.types.is_datetime64_any_dtype(series):
        return DATE
    return TEXT


def _cell(value: object) -> object:
    """A value xlsxwriter writes as-is: None for missing / inf, Python scalars otherwise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-legal, unique sheet name (31 characters, none of []:*?/\\)."""
    base = _SHEET_NAME_BAD.sub(" ", name).strip("' ")[:31].strip() or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        candidate = f"{base[: 31 - len(str(n)) - 1]} {n}"
        n += 1
    taken.add(candidate.lower())
    return candidate


def write_workbook(sheets: list[Sheet]) -> bytes:
    """The sheets as .xlsx bytes: styled header row, autofilter, frozen header, number formats.

    Text is neutralised (formula prefixes, control characters, Excel's 32,767-character limit) and
    written with ``write_string``, so nothing is ever stored as a formula or a link.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False},
    )  # fmt: skip
    header = book.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79", "text_wrap": True,
         "valign": "top", "border": 1}
    )  # fmt: skip
    formats = {kind: book.add_format({"num_format": f}) for kind, f in NUMBER_FORMATS.items()}
    formats[TEXT] = None
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(book, sheet, sheet_name(_(sheet.name), taken), header, formats)
    book.close()
    return buffer.getvalue()


def _write_sheet(book, sheet: Sheet, name: str, header, formats: dict) -> None:
    worksheet = book.add_worksheet(name)
    declared = {export.neutralise_text(str(k)): v for k, v in sheet.formats.items()}
    table = export.neutralise_formulas(sheet.frame).head(export.EXCEL_MAX_ROWS)
    by_row = {export.neutralise_text(str(c)) for c in sheet.row_kind_columns}
    for j, column in enumerate(table.columns):
        kind = _kind(table[column], declared.get(column))
        worksheet.write_string(0, j, i18n.header_text(str(column)), header)
        if column in by_row and sheet.row_kinds is not None:
            row_formats = [formats[k] for k in sheet.row_kinds]
            _write_column(worksheet, table[column], j, kind, None, row_formats)
            worksheet.set_column(j, j, _width(table[column], str(column), NUMBER))
            continue
        _write_column(worksheet, table[column], j, kind, formats[kind])
        worksheet.set_column(j, j, _width(table[column], str(column), kind), formats[kind])
    worksheet.freeze_panes(1, sheet.freeze_columns)
    if len(table.columns):
        worksheet.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)
        worksheet.set_row(0, 32)


def _write_column(
    worksheet, values: pd.Series, j: int, kind: str, fmt, row_formats: list | None = None
) -> None:
    """One column's cells; numbers and dates take a fast path (a million rows must not crawl)."""
    dtype = values.dtype
    if (
        row_formats is None
        and pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
    ):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        write = worksheet.write_number
        rows = np.flatnonzero(np.isfinite(numbers))
        for i, value in zip(rows.tolist(), numbers[rows].tolist(), strict=True):
            write(i + 1, j, value, fmt)
        return
    if row_formats is None and pd.api.types.is_datetime64_any_dtype(dtype):
        present = values.notna().to_numpy()
        rows = np.flatnonzero(present)
        stamps = pd.DatetimeIndex(values[present]).to_pydatetime()
        for i, value in zip(rows.tolist(), stamps, strict=True):
            worksheet.write_datetime(i + 1, j, value, fmt)
        return
    for i, value in enumerate(values.tolist(), start=1):
        value = _cell(value)
        if value is None:
            continue
        if row_formats is not None:
            fmt = row_formats[i - 1]
        if isinstance(value, str):
            worksheet.write_string(i, j, value, fmt)
        elif isinstance(value, bool):
            worksheet.write_boolean(i, j, value, fmt)
        elif isinstance(value, int | float):
            worksheet.write_number(i, j, value, fmt)
        elif isinstance(value, dt.datetime | dt.date):
            worksheet.write_datetime(i, j, value, fmt)
        else:
            worksheet.write_string(i, j, export.neutralise_text(str(value)), fmt)


def _width(values: pd.Series, header: str, kind: str) -> float:
    if kind in (MONEY, NUMBER):
        return max(14, min(len(header) + 2, 24))
    if kind in (PCT, COUNT, DATE):
        return max(11, min(len(header) + 2, 20))
    sample = values.head(200).dropna().astype(str).str.len()
    longest = int(sample.max()) if len(sample) else 0
    return min(max(longest, len(header)) + 2, 60)


def build_workbook(
    dataset_name: str,
    summary: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    clv: pd.DataFrame | None = None,
    pnl: pd.DataFrame | None = None,
    retention=None,
    scorecard: pd.DataFrame | None = None,
    names: pd.Series | None = None,
    currency: str = "EUR",
    made_on: dt.date | None = None,
    missing: dict[str, str] | None = None,
    assumed: Sequence[str] = (),
    extra: Sequence[Sheet] = (),
) -> bytes:
    """The results workbook as .xlsx bytes.

    Parameters
    ----------
    dataset_name : str
    summary : DataFrame
        The customer summary (one row per customer); always there.
    segments, clv, pnl : DataFrame, optional
        Per-customer results indexed by customer_id (see :func:`customer_table`).
    retention : cvm_core.analyses.retention.churn.RetentionResult, optional
        Gives the cohort and churn sheets.
    scorecard : DataFrame, optional
        The scorecard table as shown.
    names : Series, optional
        Customer names by customer_id.
    missing : dict, optional
        What is not included -> how to add it (e.g. {"CLV": "open the CLV page"}); listed on the
        About sheet. Parts passed as None without an entry here are listed as not computed.
    assumed : sequence of str, optional
        Inputs the figures assume (:func:`cvm_core.analyses.assumptions.about_lines`), one row
        each on the About sheet.
    extra : sequence of Sheet, optional
        Further sheets after the others (:func:`cvm_core.outputs.growth.growth_sheets`).
    """
    made_on = made_on or dt.date.today()
    missing = dict(missing or {})
    parts = {
        N_("RFM segments and clusters"): segments,
        N_("CLV, value tiers and P(alive)"): clv,
        N_("Cost-to-serve and operating profit"): pnl,
        N_("Cohorts and churn"): retention,
        N_("Scorecard"): scorecard,
    }
    for part, value in parts.items():
        if value is None:
            missing.setdefault(part, N_("not computed"))
    sheets = [customer_table(summary, segments=segments, clv=clv, pnl=pnl, names=names,
                             currency=currency)]  # fmt: skip
    if segments is not None and "rfm_segment" in segments:
        sheets.append(segment_table(summary, segments, clv=clv, pnl=pnl, currency=currency))
    if retention is not None:
        if getattr(retention, "cohorts", None) is not None:
            sheets += cohort_sheets(retention.cohorts, currency)
        elif getattr(retention, "cohort_message", None):
            missing[N_("Cohort tables")] = retention.cohort_message
        churn = getattr(retention, "churn_by_period", None)
        if churn is not None and not churn.empty:
            sheets.append(churn_sheet(churn))
    if scorecard is not None:
        sheets.append(scorecard_sheet(scorecard, currency))
    sheets += list(extra)
    # Written now, in the language of the download (part and hint texts are marked English).
    lines = [_("Sheets: {names}.").format(names=", ".join(_(s.name) for s in sheets))]
    lines += [
        _("Not included - {part}: {how}").format(
            part=_(part), how=i18n.shown(how) if isinstance(how, i18n.Message) else _(how)
        )
        for part, how in missing.items()
    ]
    lines.append(_("Percentages are stored as shares (0.25) and shown as 25.0%."))
    about = about_sheet(dataset_name, currency, made_on, lines, assumed)
    return write_workbook([about, *sheets])
