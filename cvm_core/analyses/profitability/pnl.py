"""The customer P&L: revenue - returns - cost of goods - activity-based cost-to-serve, per customer
(DOMAIN.md), with the statement, the breakdowns by group and the export table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability.activities import (
    DEFAULT_ACTIVITIES,
    DEFAULT_GROSS_MARGIN,
    ORDER_SIZE_EDGES,
    SMALL_ORDER_THRESHOLD,
    UNKNOWN_CHANNEL,
    activity_table,
    assumed_channel_rates,
    effective_rates,
    with_assumed_channel_rates,
)
from cvm_core.analyses.profitability.drivers import (
    OrderTable,
    channel_order_counts,
    order_counts_by_channel,
)
from cvm_core.analyses.sources import TransactionSource, source_of
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent

# --- the customer P&L ----------------------------------------------------------------------------

PNL_COLUMNS = (
    "revenue", "returns", "net_revenue", "cogs", "gross_margin", "cost_to_serve", "profit",
    "orders", "avg_order_value",
)  # fmt: skip
"""Money and activity columns of :attr:`CustomerPnL.pnl` (then main_channel, order_size_band)."""


@dataclass(frozen=True)
class CustomerPnL:
    """Per-customer operating profit and the cost-to-serve behind it.

    Attributes
    ----------
    pnl : DataFrame
        Indexed by customer_id: :data:`PNL_COLUMNS`, ``main_channel`` (the channel with most
        orders; ``Unknown`` without a channel column) and ``order_size_band``. profit =
        revenue - returns - cogs - cost_to_serve; gross_margin = revenue - returns - cogs.
    activity_costs : DataFrame
        Cost-to-serve per customer (rows) and activity (columns); rows sum to ``cost_to_serve``.
    driver_volumes : DataFrame
        The driver volume each activity was charged on, per customer and activity.
    activities : DataFrame
        The activity table with ``rate`` (cost per driver unit), ``method``, ``volume``,
        ``cost`` (total assigned), ``share`` (of all cost-to-serve), ``customers`` (with
        volume > 0) and ``status`` (why an activity costs nothing, else "").
    orders : OrderTable
    cogs_source : str
        "cost column", "margin setting" or "cost column + margin setting" (some customers
        without cost).
    gross_margin_setting : float
    small_order_threshold : float
    notes : tuple of str
    """

    pnl: pd.DataFrame
    activity_costs: pd.DataFrame
    driver_volumes: pd.DataFrame
    activities: pd.DataFrame
    orders: OrderTable
    cogs_source: str
    gross_margin_setting: float
    small_order_threshold: float
    notes: tuple[str, ...] = ()

    @property
    def assumed_channel_rates(self) -> dict[str, float]:
        """Channels charged an assumed (average) order rate: channel -> cost per order (see
        :func:`cvm_core.analyses.profitability.activities.assumed_channel_rates`)."""
        return assumed_channel_rates(self.activities)

    @property
    def total_profit(self) -> float:
        return float(self.pnl["profit"].sum())

    def reconciliation(self) -> dict[str, float]:
        """Totals: revenue - returns - cost of goods - cost-to-serve = operating profit."""
        totals = {k: float(self.pnl[k].sum()) for k in ("revenue", "returns", "cogs")}
        totals["cost_to_serve"] = float(self.activities["cost"].sum())
        totals["profit"] = self.total_profit
        return totals


def _cogs(summary: pd.DataFrame, gross_margin: float) -> tuple[np.ndarray, str, list[str]]:
    cost = summary["cost"].to_numpy(dtype=float)
    net = summary["net_revenue"].to_numpy(dtype=float)
    known = ~np.isnan(cost)
    from_margin = net * (1.0 - gross_margin)
    if known.all():
        return cost, "cost column", []
    if not known.any():
        return from_margin, "margin setting", []
    n = int((~known).sum())
    note = Message(
        N_("{n} customer has no cost of goods in the data; their cost of goods is estimated with "
           "the {margin} margin setting.")
        if n == 1
        else N_("{n} customers have no cost of goods in the data; their cost of goods is "
                "estimated with the {margin} margin setting."),
        n=n, margin=Percent(gross_margin, 0),
    )  # fmt: skip
    return np.where(known, cost, from_margin), "cost column + margin setting", [note]


def _service_drivers(
    cost_to_serve: pd.DataFrame | None, index: pd.Index
) -> tuple[pd.DataFrame, list[str]]:
    if cost_to_serve is None or cost_to_serve.empty:
        return pd.DataFrame(index=index), []
    table = cost_to_serve.copy()
    table.index = table.index.astype(str)
    table = table.groupby(level=0).sum(numeric_only=True)
    notes = []
    unknown = int((~table.index.isin(index)).sum())
    if unknown:
        notes.append(
            Message(
                N_("{n} customer of the cost-to-serve table has no transactions in the period "
                   "analysed; their activities are not counted.")
                if unknown == 1
                else N_("{n} customers of the cost-to-serve table have no transactions in the "
                        "period analysed; their activities are not counted."),
                n=unknown,
            )
        )  # fmt: skip
    missing = int((~index.isin(table.index)).sum())
    if missing:
        notes.append(
            Message(
                N_("{n} customer is missing from the cost-to-serve table; their service drivers "
                   "(calls, visits, ...) count as zero.")
                if missing == 1
                else N_("{n} customers are missing from the cost-to-serve table; their service "
                        "drivers (calls, visits, ...) count as zero."),
                n=missing,
            )
        )  # fmt: skip
    return table.reindex(index).fillna(0.0).astype(float), notes


def _assign_costs(
    activities: pd.DataFrame, drivers: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Charge each activity's rate on its driver volume; unknown drivers cost nothing."""
    rates = effective_rates(activities)
    volumes, status = {}, []
    for row in activities.itertuples(index=False):
        if row.driver in drivers:
            volumes[row.activity] = drivers[row.driver].to_numpy(dtype=float)
            rate_missing = np.isnan(row.cost_per_unit) and not row.minutes_per_unit > 0
            status.append("no rate given" if rate_missing else "")
        else:
            volumes[row.activity] = np.zeros(len(drivers))
            status.append("driver not in this dataset")
    volume = pd.DataFrame(volumes, index=drivers.index, columns=activities["activity"])
    costs = volume * rates.to_numpy()
    table = activities.copy()
    table["rate"] = rates.to_numpy()
    timed = table["minutes_per_unit"].notna() & (table["minutes_per_unit"] > 0)
    table["method"] = np.where(timed, "time-driven", "per driver unit")
    table["volume"] = volume.sum().to_numpy()
    table["cost"] = costs.sum().to_numpy()
    total = float(table["cost"].sum())
    table["share"] = table["cost"] / total if total > 0 else 0.0
    table["customers"] = (volume > 0).sum().to_numpy()
    table["status"] = status
    return costs, volume, table, _activity_notes(table)


def _activity_notes(table: pd.DataFrame) -> list[str]:
    notes = []
    unknown = table[table["status"] == "driver not in this dataset"]
    if len(unknown):
        listed = "; ".join(
            f"{a} ({d})" for a, d in zip(unknown["activity"], unknown["driver"], strict=True)
        )
        notes.append(
            Message(
                N_("{n} activity uses a driver this dataset does not have, so it costs nothing "
                   "here: {listed}. Pick another driver or map the column.")
                if len(unknown) == 1
                else N_("{n} activities use drivers this dataset does not have, so they cost "
                        "nothing here: {listed}. Pick another driver or map the column."),
                n=len(unknown), listed=listed,
            )
        )  # fmt: skip
    unpriced = table[table["status"] == "no rate given"]
    if len(unpriced):
        notes.append(
            Message(
                N_("No rate given yet for: {activities}; these cost nothing until you fill in a "
                   "cost per driver unit (or minutes and cost per minute)."),
                activities=", ".join(unpriced["activity"]),
            )
        )  # fmt: skip
    return notes


def row_costs(volumes: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Cost-to-serve per customer: driver volumes (customers x activities) times rates.

    The what-if scenarios use the same function, so an unchanged scenario reproduces every
    customer's profit exactly (a matrix product's rounding depends on the memory layout).
    """
    return np.ascontiguousarray(volumes, dtype=float) @ np.asarray(rates, dtype=float)


def operating_profit(gross_margin: np.ndarray, cost_to_serve: np.ndarray) -> np.ndarray:
    """Gross margin - cost-to-serve, rounded to a millionth so that a customer who exactly breaks
    even is not counted as loss-making because of floating-point noise (-1e-15)."""
    return np.round(gross_margin - cost_to_serve, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def order_size_band(
    avg_order_value: pd.Series, edges: tuple[float, ...] = ORDER_SIZE_EDGES
) -> pd.Series:
    """Band of each customer's average order value, as an ordered categorical ("50–100", ...)."""
    bounds = [-np.inf, *edges, np.inf]
    labels = [f"under {edges[0]:,.0f}"]
    labels += [f"{lo:,.0f}–{hi:,.0f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels += [f"{edges[-1]:,.0f} and more"]
    band = pd.cut(avg_order_value, bounds, labels=labels, right=False)
    return band.rename("order_size_band")


def _main_channel(orders: OrderTable, n: int, has_channel: bool) -> np.ndarray:
    if not has_channel:
        return np.full(n, UNKNOWN_CHANNEL, dtype=object)
    counts = channel_order_counts(orders, n)
    names = np.array(orders.channels, dtype=object)
    main = names[counts.argmax(axis=1)] if len(names) else np.full(n, UNKNOWN_CHANNEL, object)
    return np.where(counts.sum(axis=1) > 0, main, "(returns only)")


def default_activity_table(transactions: pd.DataFrame | TransactionSource) -> pd.DataFrame:
    """The default activity table for a dataset: :data:`DEFAULT_ACTIVITIES` plus an assumed row
    (average channel rate) for each channel in the data the defaults do not price.

    The table the Whale page's editor starts from; :func:`customer_pnl` without an activity table
    uses the same, so the page, the CLV page, the command line and the report charge the same.

    Parameters
    ----------
    transactions : DataFrame or TransactionSource
        Canonical transactions (``Dataset.transactions``), or where they are.

    Returns
    -------
    DataFrame
        A checked activity table (:func:`activity_table`).
    """
    table = activity_table(DEFAULT_ACTIVITIES)
    return with_assumed_channel_rates(table, source_of(transactions).orders_per_channel())


def customer_pnl(
    summary: pd.DataFrame,
    transactions: pd.DataFrame | TransactionSource,
    activities: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    small_order_threshold: float = SMALL_ORDER_THRESHOLD,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
    observation_end: pd.Timestamp | str | None = None,
) -> CustomerPnL:
    """Operating profit per customer after activity-based cost-to-serve.

    Parameters
    ----------
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` (revenue, returns, net_revenue, cost, orders).
    transactions : DataFrame or TransactionSource
        Canonical transactions (customer_id, date, revenue, is_return; order_id, quantity and
        channel when mapped), or where they are (:mod:`cvm_core.analyses.sources`).
    activities : DataFrame, optional
        Activity table (see :func:`activity_table`); default :data:`DEFAULT_ACTIVITIES`. A
        channel in the data that it does not price is charged the average channel rate (see
        :func:`cvm_core.analyses.profitability.activities.with_assumed_channel_rates`).
    cost_to_serve : DataFrame, optional
        Per-customer driver counts indexed by customer_id (``Dataset.cost_to_serve``).
    small_order_threshold : float
        Gross order value below which an order counts as a small order.
    gross_margin : float
        Gross margin (0-1) of net revenue, used for the cost of goods of customers without cost.
    observation_end : Timestamp or str, optional
        The end used for ``summary``; later transactions are ignored. Default: the last date.

    Returns
    -------
    CustomerPnL

    Raises
    ------
    ValidationError
        Bad activity table, margin outside 0-100%, negative threshold, or transactions of
        customers missing from the summary.
    """
    if not 0.0 <= gross_margin <= 1.0:
        raise ValidationError(
            Message(
                N_("The gross margin must be between {low} and {high} (got {margin})."),
                low=Percent(0, 0), high=Percent(1, 0), margin=Percent(gross_margin, 0),
            )
        )  # fmt: skip
    if small_order_threshold < 0:
        raise ValidationError(Message(N_("The small-order threshold must be zero or more.")))
    table = activity_table(DEFAULT_ACTIVITIES if activities is None else activities)
    source = source_of(transactions)
    end = None if observation_end is None else pd.Timestamp(observation_end)
    tx_drivers, orders = source.transaction_drivers(summary, small_order_threshold, end)
    has_channel = source.has_channel()
    if has_channel:
        # The default table is completed from all the data, as default_activity_table does for
        # the page, so the rates agree whatever the observation end; a given table from the
        # orders it is charged on.
        whole = activities is None and end is not None and source.last_date() > end
        counts = source.orders_per_channel() if whole else order_counts_by_channel(orders)
        table = with_assumed_channel_rates(table, counts)
    service, notes = _service_drivers(cost_to_serve, summary.index)
    extra = [c for c in service.columns if str(c) not in tx_drivers.columns]
    drivers = pd.concat([tx_drivers, service[extra]], axis=1)
    costs, volumes, table, activity_notes = _assign_costs(table, drivers)
    cogs, source, cogs_notes = _cogs(summary, gross_margin)
    cost_to_serve_total = row_costs(volumes.to_numpy(), table["rate"].to_numpy())
    revenue = summary["revenue"].to_numpy(dtype=float)
    returns = summary["returns"].to_numpy(dtype=float)
    gross = revenue - returns - cogs
    pnl = pd.DataFrame(
        {
            "revenue": revenue,
            "returns": returns,
            "net_revenue": revenue - returns,
            "cogs": cogs,
            "gross_margin": gross,
            "cost_to_serve": cost_to_serve_total,
            "profit": operating_profit(gross, cost_to_serve_total),
            "orders": summary["orders"].to_numpy(),
            "avg_order_value": summary["avg_order_value"].to_numpy(dtype=float),
            "main_channel": _main_channel(orders, len(summary), has_channel),
        },
        index=summary.index,
    )
    pnl["order_size_band"] = order_size_band(pnl["avg_order_value"])
    return CustomerPnL(
        pnl=pnl,
        activity_costs=costs,
        driver_volumes=volumes,
        activities=table,
        orders=orders,
        cogs_source=source,
        gross_margin_setting=gross_margin,
        small_order_threshold=small_order_threshold,
        notes=tuple(notes + activity_notes + cogs_notes),
    )


def profit_by(pnl: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Customers, revenue, margin, cost-to-serve and profit per group (channel, segment, band).

    Parameters
    ----------
    pnl : DataFrame
        :attr:`CustomerPnL.pnl` (or any frame with its money columns).
    groups : Series
        Group label per customer, aligned on ``pnl``'s index (missing labels become "(none)").

    Returns
    -------
    DataFrame
        One row per group (in the categorical order, else by profit descending): group,
        customers, net_revenue, gross_margin, cost_to_serve, profit, profit_per_customer,
        unprofitable (customers), unprofitable_share, profit_share (of the total profit; only
        when the total is positive), cost_to_serve_share (of net revenue).
    """
    labels = groups.reindex(pnl.index)
    if isinstance(labels.dtype, pd.CategoricalDtype):
        labels = labels.cat.add_categories(["(none)"]).fillna("(none)")
        labels = labels.cat.remove_unused_categories()
    else:
        labels = labels.astype(object).where(labels.notna(), "(none)").astype(str)
    frame = pnl[["net_revenue", "gross_margin", "cost_to_serve", "profit"]].assign(
        unprofitable=(pnl["profit"] < 0).astype(int), customers=1
    )
    out = frame.groupby(labels.to_numpy(), observed=True, sort=False).sum()
    if isinstance(labels.dtype, pd.CategoricalDtype):
        out = out.reindex([c for c in labels.cat.categories if c in out.index])
    else:
        out = out.sort_values("profit", ascending=False)
    out["profit_per_customer"] = out["profit"] / out["customers"]
    out["unprofitable_share"] = out["unprofitable"] / out["customers"]
    total = float(pnl["profit"].sum())
    if total > 0:
        out["profit_share"] = out["profit"] / total
    out["cost_to_serve_share"] = np.divide(
        out["cost_to_serve"].to_numpy(),
        out["net_revenue"].to_numpy(),
        out=np.zeros(len(out)),
        where=out["net_revenue"].to_numpy() > 0,
    )
    out.index.name = "group"
    columns = ["customers", "net_revenue", "gross_margin", "cost_to_serve", "profit",
               "profit_per_customer", "unprofitable", "unprofitable_share"]  # fmt: skip
    columns += ["profit_share"] if total > 0 else []
    return out[[*columns, "cost_to_serve_share"]].reset_index()


def pnl_statement(result: CustomerPnL) -> pd.DataFrame:
    """The P&L of all customers together, to reconcile with the books.

    Returns
    -------
    DataFrame
        line, amount (costs negative), basis (where the number comes from). Cost-to-serve is
        listed per activity; the lines add up to the operating profit.
    """
    totals = result.reconciliation()
    rows = [
        ("Revenue (gross sales)", totals["revenue"], "transactions"),
        ("Returns", -totals["returns"], "transactions"),
        ("Cost of goods", -totals["cogs"], result.cogs_source),
        ("Gross margin", totals["revenue"] - totals["returns"] - totals["cogs"], "subtotal"),
    ]
    for row in result.activities.itertuples(index=False):
        if row.cost:
            rows.append(
                (f"  {row.activity}", -float(row.cost), f"{row.volume:,.0f} x {row.driver}")
            )
    rows.append(("Cost-to-serve", -totals["cost_to_serve"], "sum of the activities above"))
    rows.append(("Operating profit", totals["profit"], "gross margin - cost-to-serve"))
    return pd.DataFrame(rows, columns=["line", "amount", "basis"])


EXPORT_LABELS: dict[str, str] = {
    "customer_id": "Customer ID", "customer_name": "Customer name", "revenue": "Revenue",
    "returns": "Returns", "net_revenue": "Net revenue", "cogs": "Cost of goods",
    "gross_margin": "Gross margin", "cost_to_serve": "Cost-to-serve", "profit": "Operating profit",
    "orders": "Orders", "avg_order_value": "Average order value", "main_channel": "Main channel",
    "order_size_band": "Order size band", "biggest_cost": "Biggest cost",
    "biggest_cost_share": "Biggest cost, share of cost-to-serve", "group": "Group",
    "customers": "Customers", "profit_per_customer": "Profit per customer",
    "unprofitable": "Unprofitable customers", "unprofitable_share": "Unprofitable share",
    "profit_share": "Share of total profit", "cost_to_serve_share": "Cost-to-serve / net revenue",
    "peak_pct": "Curve peak (% of group profit)", "peak_share": "Peak at (share of group)",
    "activity": "Activity", "driver": "Cost driver", "method": "Costing", "rate": "Cost per driver unit",
    "volume": "Driver volume", "cost": "Cost assigned", "share": "Share of cost-to-serve",
    "status": "Note",
}  # fmt: skip
"""Readable headers for downloads (money in the dataset's currency, shares as fractions)."""


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with :data:`EXPORT_LABELS` headers, for files users open in Excel."""
    return frame.rename(columns=EXPORT_LABELS)


def customer_pnl_table(result: CustomerPnL, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer, most profitable first: the P&L, then every activity's cost.

    Returns
    -------
    DataFrame
        Readable headers (:data:`EXPORT_LABELS`); activity columns as "Cost: <activity>".
    """
    frame = result.pnl.join(result.activity_costs.add_prefix("Cost: "))
    frame["order_size_band"] = frame["order_size_band"].astype(str)
    if customers is not None and "customer_name" in customers:
        names = customers["customer_name"].reindex(frame.index).fillna("").astype(str)
        frame.insert(0, "customer_name", names.to_numpy())
    frame = frame.sort_values("profit", ascending=False, kind="stable")
    return readable(frame.reset_index())
