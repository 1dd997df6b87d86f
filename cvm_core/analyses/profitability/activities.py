"""The cost model: cost drivers and the activity table (activity-based costing).

Each activity has a cost driver (orders, order lines, returns, service calls, ...) and a rate per
driver unit. The rate is either given directly or, in time-driven ABC (Kaplan & Anderson), as
minutes per driver unit times the cost per minute of the resource doing the work. A customer's cost
for an activity is their driver volume times the rate; nothing else is allocated, so the totals
reconcile with the books exactly when the rates are right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, error_message

# --- drivers -------------------------------------------------------------------------------------

CUSTOMERS = "Customers"
ORDERS = "Orders"
ORDER_LINES = "Order lines"
UNITS = "Units"
RETURNS = "Returns"
RETURNED_LINES = "Returned lines"
SMALL_ORDERS = "Small orders"
CHANNEL_PREFIX = "Orders via "
UNKNOWN_CHANNEL = "Unknown"

DRIVER_HELP: dict[str, str] = {
    CUSTOMERS: "one per customer (account upkeep, credit checks, master data)",
    ORDERS: "purchase orders (distinct order ids; purchase days when there is no order id)",
    ORDER_LINES: "purchase rows (order lines)",
    UNITS: "units bought (needs a quantity column)",
    RETURNS: "return documents (distinct return order ids; return days without order ids)",
    RETURNED_LINES: "returned rows",
    SMALL_ORDERS: "orders worth less than the small-order threshold",
}
"""What each transaction driver counts, for the page's help text."""

SMALL_ORDER_THRESHOLD = 50.0
"""Orders with a gross value below this count as small orders (in the dataset's currency)."""

DEFAULT_GROSS_MARGIN = 0.30
"""Gross margin used for the cost of goods when the data has no cost column (30% of net revenue)."""

ORDER_SIZE_EDGES: tuple[float, ...] = (25.0, 50.0, 100.0, 250.0, 500.0)
"""Average-order-value bands for the profit-by-order-size view."""

# --- the activity table --------------------------------------------------------------------------

ACTIVITY_COLUMNS = ("activity", "driver", "cost_per_unit", "minutes_per_unit", "cost_per_minute")
"""Columns of an activity table. A rate is ``cost_per_unit``, or (time-driven) ``minutes_per_unit``
x ``cost_per_minute`` when minutes are given."""

ACTIVITY_LABELS: dict[str, str] = {
    "activity": "Activity",
    "driver": "Cost driver",
    "cost_per_unit": "Cost per driver unit",
    "minutes_per_unit": "Minutes per driver unit",
    "cost_per_minute": "Cost per minute",
}
"""Headers used in saved activity tables and on the page."""

_NAN = float("nan")
DEFAULT_ACTIVITIES = pd.DataFrame(
    [
        # Calibrated on the demo data (data/demo_retail.xlsx, 4,000 customers over three years) so
        # it shows a typical whale curve: about 29% of customers unprofitable, a peak near 170%.
        # Routine order work is cheap and automated; the costly activities are the ones a few
        # customers use a lot of: field visits (3 hours with travel), special terms, returns.
        ("Order processing", ORDERS, 1.5, _NAN, _NAN),
        ("Picking and packing", ORDER_LINES, 0.4, _NAN, _NAN),
        ("Small-order handling", SMALL_ORDERS, 1.0, _NAN, _NAN),
        ("Returns processing", RETURNS, _NAN, 12.5, 0.8),
        ("Phone order taking", f"{CHANNEL_PREFIX}Phone", _NAN, 4.0, 0.65),
        ("Store order handling", f"{CHANNEL_PREFIX}Store", 1.0, _NAN, _NAN),
        ("Web shop (per order)", f"{CHANNEL_PREFIX}Online", 0.25, _NAN, _NAN),
        ("Field-sales order entry", f"{CHANNEL_PREFIX}Field sales", 2.0, _NAN, _NAN),
        ("Deliveries", "Deliveries", 4.0, _NAN, _NAN),
        ("Customer service calls", "Service Calls", _NAN, 3.0, 0.65),
        ("Sales visits", "Sales Visits", _NAN, 180.0, 1.15),
        ("Special terms administration", "Special Terms", 150.0, _NAN, _NAN),
    ],
    columns=list(ACTIVITY_COLUMNS),
)
"""Default activity rates (in the dataset's currency), calibrated for the demo data. Replace them
with rates from your own books: the page lets you edit, load and save them."""

_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "activity": ("activity", "activityname", "process", "aktivitat", "aktivität", "作业", "活动"),
    "driver": ("driver", "costdriver", "kostentreiber", "成本动因", "动因"),
    "cost_per_unit": (
        "costperdriverunit", "costperunit", "rate", "costrate", "unitcost", "kostensatz",
        "单位成本", "费率",
    ),
    "minutes_per_unit": ("minutesperdriverunit", "minutesperunit", "minutes", "minuten", "分钟"),
    "cost_per_minute": ("costperminute", "minuterate", "kostenprominute", "每分钟成本"),
}  # fmt: skip


def _normalise_header(text: object) -> str:
    return re.sub(r"[\W_]+", "", str(text).lower())


def activity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise an activity table.

    Parameters
    ----------
    frame : DataFrame
        Columns :data:`ACTIVITY_COLUMNS` (or their labels from :data:`ACTIVITY_LABELS`, or common
        synonyms). ``minutes_per_unit`` and ``cost_per_minute`` may be missing.

    Returns
    -------
    DataFrame
        A new frame with exactly :data:`ACTIVITY_COLUMNS`, rates as floats, fully blank rows removed.

    Raises
    ------
    ValidationError
        No activity or driver column, a rate that is not a number or is negative, minutes without a
        cost per minute, or an activity name used twice.
    """
    table = _rename_activity_columns(frame)
    for column in ("minutes_per_unit", "cost_per_minute", "cost_per_unit"):
        if column not in table:
            table[column] = np.nan
    table = table[list(ACTIVITY_COLUMNS)].copy()
    for column in ("activity", "driver"):
        text = table[column].astype("string").str.strip()
        table[column] = text.where(text.notna() & (text != ""), None).astype(object)
    for column in ("cost_per_unit", "minutes_per_unit", "cost_per_minute"):
        table[column] = _numeric_rates(table, column)
    rates = table[["cost_per_unit", "minutes_per_unit", "cost_per_minute"]]
    blank = table["activity"].isna() & table["driver"].isna() & rates.isna().all(axis=1)
    table = table[~blank].reset_index(drop=True)
    _check_activity_rows(table)
    return table


def _rename_activity_columns(frame: pd.DataFrame) -> pd.DataFrame:
    lookup = {_normalise_header(k): k for k in ACTIVITY_COLUMNS}
    lookup |= {_normalise_header(label): k for k, label in ACTIVITY_LABELS.items()}
    lookup |= {_normalise_header(s): k for k, words in _HEADER_SYNONYMS.items() for s in words}
    renamed: dict[object, str] = {}
    for column in frame.columns:
        key = lookup.get(_normalise_header(column))
        if key and key not in renamed.values():
            renamed[column] = key
    table = frame.rename(columns=renamed)[list(renamed.values())]
    missing = [ACTIVITY_LABELS[c] for c in ("activity", "driver") if c not in table]
    if missing:
        raise ValidationError(
            Message(
                N_("The activity table needs the columns {columns}; '{missing}' not found (it "
                   "has: {found})."),
                columns=", ".join(ACTIVITY_LABELS.values()), missing=" and ".join(missing),
                found=", ".join(map(str, frame.columns)),
            )
        )  # fmt: skip
    return table


def _numeric_rates(table: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = values.isna() & table[column].notna() & (table[column].astype(str).str.strip() != "")
    if bad.any():
        row = table.loc[bad.idxmax()]
        raise ValidationError(
            Message(
                N_("'{column}' of activity '{activity}' is not a number ('{value}'). Type a plain "
                   "number such as 12.5."),
                column=ACTIVITY_LABELS[column], activity=row["activity"], value=row[column],
            )
        )  # fmt: skip
    if (values < 0).any():
        row = table.loc[(values < 0).idxmax()]
        raise ValidationError(
            Message(
                N_("'{column}' of activity '{activity}' is negative; rates must be zero or more."),
                column=ACTIVITY_LABELS[column], activity=row["activity"],
            )
        )  # fmt: skip
    return values.astype(float)


def _check_activity_rows(table: pd.DataFrame) -> None:
    unnamed = table["activity"].isna() | table["driver"].isna()
    if unnamed.any():
        i = int(np.flatnonzero(unnamed)[0])
        raise ValidationError(
            Message(
                N_("Row {row} of the activity table needs both an activity name and a cost "
                   "driver."),
                row=i + 1,
            )
        )  # fmt: skip
    duplicated = table["activity"].duplicated()
    if duplicated.any():
        name = table.loc[duplicated, "activity"].iloc[0]
        raise ValidationError(
            Message(
                N_("The activity '{name}' appears twice; give each activity its own name."),
                name=name,
            )
        )  # fmt: skip
    timed = table["minutes_per_unit"].notna() & (table["minutes_per_unit"] > 0)
    no_price = timed & table["cost_per_minute"].isna()
    if no_price.any():
        name = table.loc[no_price, "activity"].iloc[0]
        raise ValidationError(
            Message(
                N_("Activity '{name}' has minutes per driver unit but no cost per minute: fill in "
                   "both (time-driven costing), or clear the minutes and give a cost per driver "
                   "unit."),
                name=name,
            )
        )  # fmt: skip


def effective_rates(table: pd.DataFrame) -> pd.Series:
    """Cost per driver unit of each activity of a checked table (time-driven where minutes given)."""
    timed = table["minutes_per_unit"].notna() & (table["minutes_per_unit"] > 0)
    rate = np.where(
        timed, table["minutes_per_unit"] * table["cost_per_minute"], table["cost_per_unit"]
    )
    return pd.Series(np.nan_to_num(rate.astype(float)), index=table["activity"], name="rate")


# --- channels the activity table does not price ---------------------------------------------

ASSUMED_CHANNEL_SUFFIX = " orders (assumed: average channel rate)"
"""Activity name of an assumed channel rate: "Kiosk orders (assumed: average channel rate)"."""


def channel_rates(table: pd.DataFrame) -> pd.Series:
    """Cost per order of each channel a checked activity table prices (its "Orders via X" rows
    summed per channel), indexed by channel."""
    channel = table["driver"].astype(str)
    priced = channel.str.startswith(CHANNEL_PREFIX)
    rates = effective_rates(table).to_numpy()[priced.to_numpy()]
    names = channel[priced].str.slice(len(CHANNEL_PREFIX)).to_numpy()
    return pd.Series(rates, index=names, dtype=float).groupby(level=0, sort=False).sum()


def with_assumed_channel_rates(table: pd.DataFrame, orders: pd.Series) -> pd.DataFrame:
    """The activity table plus a row for every channel in the data that it does not price.

    An order through a channel nobody priced is not free: it is charged the average rate of the
    priced channels, weighted by their orders in the data (unweighted when none of them has
    orders), in a row named "<channel> orders (assumed: average channel rate)" so the user sees
    the assumption and can replace it.

    Parameters
    ----------
    table : DataFrame
        A checked activity table (:func:`activity_table`).
    orders : Series
        Orders per channel in the data, indexed by channel name
        (:func:`cvm_core.analyses.profitability.drivers.orders_per_channel`).

    Returns
    -------
    DataFrame
        ``table`` itself when every channel is priced or the table prices no channel at all (then
        orders are costed by other drivers on purpose); else a new table with the rows added.

    Examples
    --------
    Phone at 2.60 with 2 orders and Online at 0.25 with 6 orders give an unpriced Kiosk
    (2 x 2.60 + 6 x 0.25) / 8 = 0.8375 per order.
    """
    rates = channel_rates(table)
    missing = [str(c) for c in orders.index if str(c) not in rates.index]
    if not missing or rates.empty:
        return table
    weights = orders.reindex(rates.index).fillna(0.0).to_numpy(dtype=float)
    if weights.sum() > 0:
        average = float(np.average(rates.to_numpy(), weights=weights))
    else:
        average = float(rates.mean())
    rows = pd.DataFrame(
        [
            (f"{c}{ASSUMED_CHANNEL_SUFFIX}", f"{CHANNEL_PREFIX}{c}", round(average, 4), _NAN, _NAN)
            for c in missing
        ],
        columns=list(ACTIVITY_COLUMNS),
    )
    return pd.concat([table[list(ACTIVITY_COLUMNS)], rows], ignore_index=True)


def assumed_channel_rates(table: pd.DataFrame) -> dict[str, float]:
    """Channels whose order rate is an assumption, and that rate.

    Read from the rows :func:`with_assumed_channel_rates` added (recognised by their name), so
    it works on any activity table: the page's, the default one for a dataset
    (:func:`cvm_core.analyses.profitability.pnl.default_activity_table`) or the one a P&L used
    (``CustomerPnL.activities``).

    Returns
    -------
    dict
        Channel -> cost per order, in table order; empty when every channel has a real rate.
    """
    names = table["activity"].astype(str)
    assumed = names.str.endswith(ASSUMED_CHANNEL_SUFFIX) & table["driver"].astype(
        str
    ).str.startswith(CHANNEL_PREFIX)
    rates = effective_rates(table).to_numpy()
    return {
        str(driver)[len(CHANNEL_PREFIX) :]: float(rate)
        for driver, rate in zip(table["driver"][assumed], rates[assumed.to_numpy()], strict=True)
    }


def read_activity_table(data: bytes, filename: str) -> pd.DataFrame:
    """Read an activity table saved as CSV or a spreadsheet (the first sheet that has one).

    Raises
    ------
    ValidationError
        When no sheet has activity and driver columns, or a rate is not a valid number.
    """
    from cvm_core.intake.io import read_workbook  # io pulls in the readers; only needed for uploads

    workbook = read_workbook(data, filename)
    errors = []
    for table in workbook.tables.values():
        try:
            return activity_table(table.frame)
        except ValidationError as error:
            errors.append(error_message(error))
    raise ValidationError(
        errors[0] if errors else Message(N_("'{filename}' holds no table."), filename=filename)
    )


def activity_table_for_export(table: pd.DataFrame) -> pd.DataFrame:
    """The activity table with readable headers, as saved to CSV/XLSX (and read back)."""
    return table[list(ACTIVITY_COLUMNS)].rename(columns=ACTIVITY_LABELS)


@dataclass(frozen=True)
class CostModelSettings(Settings):
    """The cost model's settings beside the activity table: what counts as a small order, and the
    gross margin that stands in for cost of goods when the data has no cost column."""

    small_order_threshold: float = setting(SMALL_ORDER_THRESHOLD, low=0.0)
    gross_margin: float = setting(DEFAULT_GROSS_MARGIN, low=0.0, high=1.0)
