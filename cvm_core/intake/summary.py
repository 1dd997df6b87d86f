"""The customer summary: one row per customer, the table every page builds on.

Frequency, recency and T follow the "buy till you die" conventions (Fader, Hardie & Lee 2005):
purchases on the same day count once; frequency is the number of repeat purchase days; recency is the
time from the first to the last purchase; T the time from the first purchase to the end of the
observation period; all measured from daily dates and divided by the unit's length in days (not by
rounding dates to weeks, which shifts customers between periods and breaks published results).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
"""Length of each time unit in days."""

SUMMARY_COLUMNS = (
    "first_purchase",
    "last_purchase",
    "orders",
    "purchase_days",
    "lines",
    "revenue",
    "returns",
    "net_revenue",
    "cost",
    "margin",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "avg_order_value",
)


def customer_summary(
    transactions: pd.DataFrame,
    unit: str = "week",
    observation_end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Summarise transactions per customer.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, date, revenue, is_return, optional order_id, cost).
    unit : {"day", "week", "month"}
        Unit of recency and T.
    observation_end : Timestamp or str, optional
        End of the observation period; default the last date in the data. Later rows are ignored.

    Returns
    -------
    DataFrame
        Indexed by customer_id (sorted), with columns :data:`SUMMARY_COLUMNS`:
        first_purchase/last_purchase (dates of the first and last purchase; a customer with only
        returns gets their first and last transaction), orders (distinct order ids, plus one per
        purchase day for rows without an order id), purchase_days, lines (purchase rows), revenue (gross sales),
        returns (positive amount returned), net_revenue, cost (cost of goods net of returns; NaN when
        unknown), margin (net_revenue - cost), frequency (purchase_days - 1), recency, T,
        monetary_value (mean spend per repeat purchase day; 0 without repeats), avg_order_value.
    """
    if unit not in UNIT_DAYS:
        raise ValidationError(Message(N_("Unknown time unit '{unit}'; choose day, week or month."), unit=unit))  # fmt: skip
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    tx = _up_to(transactions, end)
    if tx.empty:
        raise ValidationError(Message(N_("No transactions on or before the observation end {end}."), end=f"{end:%Y-%m-%d}"))  # fmt: skip
    codes, customers = pd.factorize(tx["customer_id"], sort=True)
    days = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    revenue = tx["revenue"].to_numpy(dtype=float)
    purchase = ~tx["is_return"].to_numpy()

    daily = _purchase_days(codes[purchase], days[purchase], revenue[purchase], len(customers))
    all_first = np.full(len(customers), np.iinfo(np.int64).max)
    np.minimum.at(all_first, codes, days)
    all_last = np.full(len(customers), np.iinfo(np.int64).min)
    np.maximum.at(all_last, codes, days)
    first = np.where(daily.count > 0, daily.first_day, all_first)
    last = np.where(daily.count > 0, daily.last_day, all_last)

    unit_days = UNIT_DAYS[unit]
    end_day = np.datetime64(end, "D").astype(np.int64)
    frequency = np.maximum(daily.count - 1, 0)
    gross = np.bincount(codes, np.where(purchase, revenue, 0.0), len(customers))
    returns = np.bincount(codes, np.where(purchase, 0.0, -revenue), len(customers))
    repeat_spend = daily.total - daily.first_amount
    orders = _orders(tx, codes, purchase, daily.count, len(customers))
    out = pd.DataFrame(
        {
            "first_purchase": _to_dates(first),
            "last_purchase": _to_dates(last),
            "orders": orders,
            "purchase_days": daily.count,
            "lines": np.bincount(codes, purchase.astype(float), len(customers)).astype(np.int64),
            "revenue": gross,
            "returns": returns,
            "net_revenue": gross - returns,
            "cost": _cost(tx, codes, len(customers)),
            "frequency": frequency,
            "recency": np.where(frequency > 0, (last - first) / unit_days, 0.0),
            "T": (end_day - first) / unit_days,
            "monetary_value": np.divide(
                repeat_spend, frequency, out=np.zeros(len(customers)), where=frequency > 0
            ),
            "avg_order_value": np.divide(
                gross, orders, out=np.zeros(len(customers)), where=orders > 0
            ),
        },
        index=pd.Index(customers, name="customer_id"),
    )
    out.insert(out.columns.get_loc("cost") + 1, "margin", out["net_revenue"] - out["cost"])
    return out


@dataclass(frozen=True)
class _DailyPurchases:
    count: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    total: np.ndarray
    first_amount: np.ndarray


def _purchase_days(
    codes: np.ndarray, days: np.ndarray, revenue: np.ndarray, n: int
) -> _DailyPurchases:
    """Collapse purchases to (customer, day) and take each customer's first/last day and spend."""
    order = np.lexsort((days, codes))
    codes, days, revenue = codes[order], days[order], revenue[order]
    new_day = np.ones(len(codes), bool)
    new_day[1:] = (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new_day)
    day_customer = codes[starts]
    day_value = np.add.reduceat(revenue, starts) if len(starts) else np.array([])
    day_date = days[starts]
    count = np.bincount(day_customer, minlength=n)
    first_of_customer = np.ones(len(starts), bool)
    first_of_customer[1:] = day_customer[1:] != day_customer[:-1]
    last_of_customer = np.ones(len(starts), bool)
    last_of_customer[:-1] = day_customer[1:] != day_customer[:-1]
    first_day = np.zeros(n, np.int64)
    first_day[day_customer[first_of_customer]] = day_date[first_of_customer]
    last_day = np.zeros(n, np.int64)
    last_day[day_customer[last_of_customer]] = day_date[last_of_customer]
    first_amount = np.zeros(n)
    first_amount[day_customer[first_of_customer]] = day_value[first_of_customer]
    total = np.bincount(day_customer, day_value, minlength=n)
    return _DailyPurchases(count, first_day, last_day, total, first_amount)


SUMMARY_INPUTS = ("customer_id", "date", "revenue", "is_return", "order_id", "cost")
"""The transaction columns the summary reads."""


def _up_to(transactions: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The rows on or before ``end``, with only :data:`SUMMARY_INPUTS`.

    Filtering the whole frame would copy every text column (product, category, ...) and make
    pandas consolidate them: 0.9 s of a 700k-row CLI run that this avoids.
    """
    within = (transactions["date"] <= end).to_numpy()
    columns = [c for c in SUMMARY_INPUTS if c in transactions.columns]
    if within.all():
        return transactions[columns]
    return pd.DataFrame({c: transactions[c].to_numpy()[within] for c in columns})


def _orders(
    tx: pd.DataFrame, codes: np.ndarray, purchase: np.ndarray, purchase_days: np.ndarray, n: int
) -> np.ndarray:
    """Distinct order ids per customer; purchase rows without an order id count once per day."""
    if "order_id" not in tx or tx["order_id"].isna().all():
        return purchase_days
    order_codes = pd.factorize(tx["order_id"].to_numpy()[purchase])[0]
    days = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)[purchase]
    has_id = order_codes >= 0
    # Key (order code, 0) for an order; (-1, day) for a purchase day without an order id.
    pairs = pd.DataFrame(
        {
            "c": codes[purchase],
            "o": order_codes,
            "d": np.where(has_id, 0, days),
        }
    ).drop_duplicates()
    return np.bincount(pairs["c"].to_numpy(), minlength=n)


def _cost(tx: pd.DataFrame, codes: np.ndarray, n: int) -> np.ndarray:
    if "cost" not in tx:
        return np.full(n, np.nan)
    cost = tx["cost"].to_numpy(dtype=float)
    known = np.bincount(codes, ~np.isnan(cost), n) > 0
    return np.where(known, np.bincount(codes, np.nan_to_num(cost), n), np.nan)


def _to_dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


@dataclass(frozen=True)
class DatasetOverview:
    """Headline figures for the upload page and the command line."""

    customers: int
    transactions: int
    orders: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    revenue: float
    returns: float
    net_revenue: float
    returns_share: float
    repeat_customer_share: float
    margin: float | None

    def as_dict(self) -> dict:
        return {
            k: (v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v)
            for k, v in self.__dict__.items()
        }


class TransactionCounts(Protocol):
    """The part of a transaction source the overview reads."""

    def line_count(self) -> int: ...
    def first_date(self) -> pd.Timestamp: ...
    def last_date(self) -> pd.Timestamp: ...


def dataset_overview(source: TransactionCounts, summary: pd.DataFrame) -> DatasetOverview:
    """Customers, transactions, date range, revenue, returns share and repeat share.

    ``source``: where the transactions are (:mod:`cvm_core.analyses.sources`: in memory or in a
    file), for their number and dates."""
    revenue = float(summary["revenue"].sum())
    returns = float(summary["returns"].sum())
    margin = float(summary["margin"].sum()) if summary["cost"].notna().any() else None
    return DatasetOverview(
        customers=len(summary),
        transactions=source.line_count(),
        orders=int(summary["orders"].sum()),
        first_date=source.first_date(),
        last_date=source.last_date(),
        revenue=revenue,
        returns=returns,
        net_revenue=revenue - returns,
        returns_share=returns / revenue if revenue > 0 else 0.0,
        repeat_customer_share=float((summary["frequency"] > 0).mean()),
        margin=margin,
    )


def monthly_activity(transactions: pd.DataFrame) -> pd.DataFrame:
    """Net revenue and active customers per calendar month (for the upload page's chart)."""
    month = transactions["date"].dt.to_period("M").dt.to_timestamp()
    grouped = transactions.groupby(month)
    out = pd.DataFrame(
        {
            "net_revenue": grouped["revenue"].sum(),
            "active_customers": grouped["customer_id"].nunique(),
        }
    )
    out.index.name = "month"
    return out.reset_index()


def summary_in_unit(summary: pd.DataFrame, from_unit: str, to_unit: str) -> pd.DataFrame:
    """A summary's recency and T re-expressed in another time unit (days = value x unit length).

    The summary itself when the units agree; otherwise a copy, the input is never changed.
    """
    for unit in (from_unit, to_unit):
        if unit not in UNIT_DAYS:
            raise ValidationError(Message(N_("Unknown time unit '{unit}'; choose day, week or month."), unit=unit))  # fmt: skip
    if from_unit == to_unit:
        return summary
    out = summary.copy()
    for column in ("recency", "T"):
        out[column] = (
            summary[column].to_numpy(dtype=float) * UNIT_DAYS[from_unit] / UNIT_DAYS[to_unit]
        )
    return out
