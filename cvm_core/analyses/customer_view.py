"""One customer, everything the analyses know about them: the 360-degree customer view.

Built from the results the pages (or the report) already computed, never recomputed here, so a
customer's profit in this view is the whale curve's figure for them, their CLV the CLV page's and
their status the one churn rule's: an account manager who opens C01160 from the loss-maker list
sees why they are there, in the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.retention.defaults import ACTIVE, CHURNED
from cvm_core.analyses.retention.gaps import ChurnRule, churn_status
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

RECENT_PURCHASES = 20
"""Rows of the purchase list (the monthly table has every month)."""


@dataclass(frozen=True)
class CustomerView:
    """Everything known about one customer.

    Attributes
    ----------
    customer_id : str
    name : str or None
    attributes : dict
        The customer table's row (industry, region, acquisition channel, ...).
    history : dict
        first_purchase, last_purchase, days_since_last, orders, purchase_days, net_revenue,
        returns, margin (None without a cost column).
    monthly : DataFrame
        month, net_revenue, returns (positive), orders.
    purchases : DataFrame
        The latest rows: date, order_id, category, channel, revenue, is_return (when present).
    pnl : dict or None
        revenue, returns, cogs, gross_margin, cost_to_serve, profit, profit_rank (1 = most
        profitable), customers (ranked), quadrant share of customers above them.
    costs : Series or None
        Cost-to-serve by activity (only activities that cost this customer something).
    value : dict or None
        clv, p_alive, tier, expected_purchases, quadrant (value matrix cell).
    segment : dict
        rfm_segment and cluster when known.
    status : dict or None
        status (active / churned / too new), days_since_last, window_days, reason.
    next_best : str or None
        Next best category from the Segments page.
    """

    customer_id: str
    name: str | None
    attributes: dict
    history: dict
    monthly: pd.DataFrame
    purchases: pd.DataFrame
    pnl: dict | None = None
    costs: pd.Series | None = None
    value: dict | None = None
    segment: dict = field(default_factory=dict)
    status: dict | None = None
    next_best: str | None = None

    def story(self, currency: str) -> list[str]:
        """The customer in a few sentences: where they stand and why."""
        money = formatting.money
        lines = [
            f"Customer since {self.history['first_purchase']:%d %b %Y}: "
            f"{formatting.counted(self.history['orders'], 'order')}, "
            f"{money(self.history['net_revenue'], currency)} net revenue; last purchase "
            f"{formatting.counted(self.history['days_since_last'], 'day')} ago."
        ]
        if self.pnl is not None:
            lines.append(self._pnl_sentence(currency))
        if self.value is not None:
            quadrant = f" ({self.value['quadrant']})" if self.value.get("quadrant") else ""
            lines.append(
                f"Expected future profit {money(self.value['clv'], currency)}{quadrant}; "
                f"P(alive) {formatting.pct(self.value['p_alive'], 0)}; tier "
                f"{self.value['tier']}."
            )
        if self.status is not None:
            lines.append(self.status["reason"])
        return lines

    def _pnl_sentence(self, currency: str) -> str:
        p, money = self.pnl, formatting.money
        verb = "earns" if p["profit"] >= 0 else "loses"
        biggest = ""
        if self.costs is not None and len(self.costs):
            top = self.costs.idxmax()
            biggest = f"; the largest cost is {top} ({money(self.costs[top], currency)})"
        return (
            f"{verb.capitalize()} {money(abs(p['profit']), currency)} after cost-to-serve: gross "
            f"margin {money(p['gross_margin'], currency)} - cost-to-serve "
            f"{money(p['cost_to_serve'], currency)}{biggest}. Rank {formatting.count(p['profit_rank'])} "
            f"of {formatting.count(p['customers'])} by profit."
        )

    def to_dict(self) -> dict:
        """JSON-ready (dates as ISO text, NaN as None)."""
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "attributes": _plain(self.attributes),
            "history": _plain(self.history),
            "pnl": _plain(self.pnl) if self.pnl is not None else None,
            "cost_to_serve_by_activity": _plain(self.costs.to_dict())
            if self.costs is not None
            else None,
            "value": _plain(self.value) if self.value is not None else None,
            "segment": _plain(self.segment),
            "status": _plain(self.status) if self.status is not None else None,
            "next_best_category": self.next_best,
            "monthly": [_plain(r) for r in self.monthly.to_dict("records")],
            "recent_purchases": [_plain(r) for r in self.purchases.to_dict("records")],
        }


def _plain(mapping: dict) -> dict:
    def one(value):
        if isinstance(value, pd.Timestamp | np.datetime64):
            return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating | float):  # cents and shares: no float noise in JSON
            return round(float(value), 4) if math.isfinite(value) else None
        if isinstance(value, np.bool_):
            return bool(value)
        if value is pd.NA or value is pd.NaT:
            return None
        return value

    return {str(k): one(v) for k, v in mapping.items()}


def find_customer(summary: pd.DataFrame, query: str) -> str:
    """The customer id a user typed, matched exactly or ignoring case and spaces."""
    wanted = str(query).strip()
    ids = summary.index.astype(str)
    if wanted in set(ids):
        return wanted
    folded = ids.str.replace(r"\s+", "", regex=True).str.lower()
    hits = ids[folded == wanted.replace(" ", "").lower()]
    if len(hits):
        return str(hits[0])
    raise ValidationError(
        Message(
            N_("No customer '{wanted}' in the data ({n} customers)."), wanted=wanted, n=len(ids)
        )
    )


MAX_MATCHES = 20
"""Customers a search lists at most (the box suggests narrowing it down beyond that)."""


def search_customers(ids: pd.Index, names: pd.Series | None, query: str) -> list[str]:
    """Customer ids for what a user typed in the search box: an exact id alone; else every id
    or name that contains the text, ignoring case and spaces (at most :data:`MAX_MATCHES`, ids
    in their order)."""
    wanted = str(query).strip()
    ids = ids.astype(str)
    if not wanted:
        return []
    if wanted in set(ids):
        return [wanted]
    folded = wanted.replace(" ", "").lower()
    by_id = ids.str.replace(r"\s+", "", regex=True).str.lower().str.contains(folded, regex=False)
    hits = by_id
    if names is not None:
        named = names.reindex(ids).fillna("").astype(str)
        by_name = (
            named.str.replace(r"\s+", "", regex=True).str.lower().str.contains(folded, regex=False)
        )
        hits = by_id | by_name.to_numpy()
    return list(ids[hits][:MAX_MATCHES])


def customer_view(
    customer_id: str,
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    observation_end: pd.Timestamp,
    *,
    customers: pd.DataFrame | None = None,
    pnl=None,
    clv: pd.DataFrame | None = None,
    quadrants: pd.Series | None = None,
    segments: pd.DataFrame | None = None,
    rule: ChurnRule | None = None,
    next_best: pd.Series | None = None,
) -> CustomerView:
    """Build one customer's view from the analyses' results (each optional).

    Parameters
    ----------
    customer_id : str
    transactions, summary, observation_end
        The dataset's transactions and its customer summary (indexed by customer_id).
    customers : DataFrame, optional
        Customer attributes indexed by customer_id (customer_name among them when known).
    pnl : CustomerPnL, optional
        The whale curve's P&L (same cost model as the page's figures).
    clv : DataFrame, optional
        The CLV page's per-customer values (clv, p_alive, tier, expected_purchases).
    quadrants : Series, optional
        Value-matrix cell per customer.
    segments : DataFrame, optional
        rfm_segment (and cluster) per customer.
    rule : ChurnRule, optional
        The churn rule that says who is active.
    next_best : Series, optional
        Next best category per customer.
    """
    key = find_customer(summary, customer_id)
    index_key = summary.index[summary.index.astype(str) == key][0]
    row = summary.loc[index_key]
    mine = transactions[transactions["customer_id"].astype(str) == key]
    attributes = _attributes(customers, index_key)
    name = attributes.pop("customer_name", None)
    return CustomerView(
        customer_id=key,
        name=str(name) if name is not None and not pd.isna(name) else None,
        attributes=attributes,
        history=_history(row, observation_end),
        monthly=_monthly(mine),
        purchases=_recent(mine),
        pnl=_pnl(pnl, index_key),
        costs=_costs(pnl, index_key),
        value=_value(clv, quadrants, index_key),
        segment=_segment(segments, index_key),
        status=_status(summary, rule, observation_end, index_key),
        next_best=_lookup(next_best, index_key),
    )


def _attributes(customers: pd.DataFrame | None, key) -> dict:
    if customers is None or key not in customers.index:
        return {}
    return {k: v for k, v in customers.loc[key].items() if not _missing(v)}


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _history(row: pd.Series, end: pd.Timestamp) -> dict:
    margin = row.get("margin")
    return {
        "first_purchase": row["first_purchase"],
        "last_purchase": row["last_purchase"],
        "days_since_last": int((pd.Timestamp(end) - row["last_purchase"]).days),
        "orders": int(row["orders"]),
        "purchase_days": int(row["purchase_days"]),
        "net_revenue": float(row["net_revenue"]),
        "returns": float(row.get("returns", 0.0)),
        "margin": None if margin is None or pd.isna(margin) else float(margin),
    }


def _monthly(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=["month", "net_revenue", "returns", "orders"])
    month = rows["date"].dt.to_period("M").dt.to_timestamp()
    returns = rows["is_return"] if "is_return" in rows else pd.Series(False, index=rows.index)
    key = rows["order_id"] if "order_id" in rows else rows["date"]
    frame = pd.DataFrame(
        {
            "month": month,
            "net_revenue": rows["revenue"],
            "returns": np.where(returns, -rows["revenue"], 0.0),
            "order": np.where(returns, None, key.astype(str)),
        }
    )
    out = frame.groupby("month").agg(
        net_revenue=("net_revenue", "sum"), returns=("returns", "sum"), orders=("order", "nunique")
    )
    return out.reset_index()


def _recent(rows: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in ("date", "order_id", "category", "channel", "revenue", "is_return")
               if c in rows]  # fmt: skip
    return rows.sort_values("date", ascending=False, kind="stable")[columns].head(RECENT_PURCHASES)


def _pnl(pnl, key) -> dict | None:
    if pnl is None or key not in pnl.pnl.index:
        return None
    frame = pnl.pnl
    row = frame.loc[key]
    rank = int((frame["profit"] > row["profit"]).sum()) + 1
    out = {c: float(row[c]) for c in ("revenue", "returns", "cogs", "gross_margin",
                                      "cost_to_serve", "profit")}  # fmt: skip
    out.update(profit_rank=rank, customers=len(frame), main_channel=str(row.get("main_channel")))
    return out


def _costs(pnl, key) -> pd.Series | None:
    if pnl is None or key not in pnl.activity_costs.index:
        return None
    costs = pnl.activity_costs.loc[key]
    return costs[costs > 0].sort_values(ascending=False)


def _value(clv: pd.DataFrame | None, quadrants: pd.Series | None, key) -> dict | None:
    if clv is None or key not in clv.index:
        return None
    row = clv.loc[key]
    return {
        "clv": float(row["clv"]),
        "p_alive": float(row["p_alive"]),
        "tier": str(row["tier"]),
        "expected_purchases": float(row["expected_purchases"]),
        "quadrant": _lookup(quadrants, key),
    }


def _segment(segments: pd.DataFrame | None, key) -> dict:
    if segments is None or key not in segments.index:
        return {}
    return {c: str(segments.loc[key, c]) for c in ("rfm_segment", "cluster") if c in segments}


def _lookup(series: pd.Series | None, key) -> str | None:
    if series is None or key not in series.index or _missing(series.loc[key]):
        return None
    return str(series.loc[key])


def _status(summary: pd.DataFrame, rule: ChurnRule | None, end, key) -> dict | None:
    if rule is None:
        return None
    row = churn_status(summary.loc[[key]], rule, end).iloc[0]
    days, window = int(row["days_since_last"]), rule.window_days
    words = {
        ACTIVE: f"Active: bought {formatting.counted(days, 'day')} ago, within the "
        f"{window}-day window.",
        CHURNED: f"Churned: silent for {formatting.counted(days, 'day')}, longer than the "
        f"{window}-day window.",
    }
    status = str(row["status"])
    reason = words.get(status, f"Too new to tell: first purchase less than {window} days ago.")
    return {"status": status, "days_since_last": days, "window_days": window, "reason": reason}
