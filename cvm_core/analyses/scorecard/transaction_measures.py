"""Measures computed from the transactions and the customer table: customers, retention, cross-sell,
acquisition, share of wallet, referrals, and the CLV snapshot measures.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability.drivers import (
    factorize_ids,
    index_positions,
)
from cvm_core.analyses.scorecard import activity
from cvm_core.analyses.scorecard.activity import (
    Activity,
    distinct_per_group,
    item_codes,
    safe_ratio,
)
from cvm_core.analyses.scorecard.periods import Periods, period_number

_REFERRAL = re.compile(r"(?i)referr|recommend|empfehl|weiterempf|推荐|介绍")


# --- measures from the transactions --------------------------------------------------------------


def transaction_measures(act: Activity) -> dict[str, np.ndarray]:
    active = act.active
    customers = act.count(active)
    net = act.per_period(act.net)
    is_new = act.period == act.first_period[act.customer]
    new_revenue = act.per_period(act.net, is_new)
    retention = _retention(act)
    out = {
        "new_customer_revenue": new_revenue,
        "revenue_per_customer": safe_ratio(net, customers),
        "repeat_revenue_share": safe_ratio(net - new_revenue, net),
        "new_customers": np.bincount(act.first_period, minlength=act.n_periods).astype(float),
        "retention_rate": retention,
        "churn_rate": 1.0 - retention,
    }
    if act.items is not None:
        out["products_per_customer"] = safe_ratio(act.per_period(act.items, active), customers)
    return out


def _retention(act: Activity) -> np.ndarray:
    """Share of each period's previous-period buyers who bought again (NaN for the first)."""
    active = act.active
    keys = act.customer[active] * act.n_periods + act.period[active]
    has_next = act.period[active] < act.n_periods - 1  # else key + 1 is the next customer's
    again = np.isin(keys + 1, keys) & has_next
    retained = np.bincount(act.period[active][again] + 1, minlength=act.n_periods)
    previous = np.r_[np.nan, act.count(active)[:-1]]
    return safe_ratio(retained.astype(float), previous)


def cross_sell(tx: pd.DataFrame, act: Activity, periods: Periods) -> np.ndarray | None:
    """Share of returning buyers who bought a category (else product) new to them in the period."""
    items = item_codes(tx, ("category", "product"))
    if items is None:
        return None
    buy = ~tx["is_return"].to_numpy(dtype=bool) & (items >= 0)
    width = int(items.max()) + 1
    owner, first = _first_purchase_periods(act, buy, items, width, periods.codes)
    return cross_sell_rate(act, owner, first)


def cross_sell_rate(act: Activity, owner: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cross-sell per period from each (customer, item) bought: its customer and first period."""
    new_to_them = first > act.first_period[owner]
    crossed = distinct_per_group(first[new_to_them], owner[new_to_them], act.n_periods)
    returning = act.count(act.active & (act.period > act.first_period[act.customer]))
    return safe_ratio(crossed, returning)


def cross_sell_from_table(
    act: Activity, table: pd.DataFrame, customers: pd.Index, periods: Periods
) -> np.ndarray:
    """:func:`cross_sell` from the ``item_first_periods`` table (DuckDB or Spark)."""
    owner = index_positions(customers, table["customer_id"]).astype(np.int64)
    first = table["first_period"].to_numpy(dtype=np.int64) - period_number(periods.index[0])
    return cross_sell_rate(act, owner, first)


def _first_purchase_periods(
    act: Activity, buy: np.ndarray, items: np.ndarray, width: int, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Customer and first period of each (customer, item) bought (order does not matter).

    A cell per customer and item when that table is small (no hash table over millions of
    combinations), else the combinations are hashed.
    """
    combo = act.row_customer[buy] * width + items[buy]
    small = np.min_scalar_type(act.n_periods)  # period codes are below n_periods
    # Read through the module: the limit is one setting for all the counting (tests lower it).
    if act.n * width * small.itemsize <= activity._TABLE_BYTES_PER_ROW * len(combo):
        first = np.full(act.n * width, act.n_periods, dtype=small)
        np.minimum.at(first, combo, codes[buy].astype(small))
        cells = np.flatnonzero(first < act.n_periods)  # every bought cell has a period code
        return cells // width, first[cells].astype(np.int64)
    inverse, unique = factorize_ids(combo)
    first = np.full(len(unique), act.n_periods, dtype=np.int64)
    np.minimum.at(first, inverse, codes[buy])
    return unique // width, first


def _customer_column(
    customers: pd.DataFrame | None, column: str, index: pd.Index
) -> pd.Series | None:
    if customers is None or column not in customers or customers[column].notna().sum() == 0:
        return None
    return customers[column].reindex(index)


def customer_table_measures(
    customers: pd.DataFrame | None, summary: pd.DataFrame, act: Activity, days: np.ndarray
) -> dict[str, np.ndarray]:
    """Measures that need a column of the customer table; each only when that column has values."""
    builders = (
        ("cost_per_new_customer", "acquisition_cost", _acquisition_cost),
        ("share_of_wallet", "category_spend", lambda a, c: _share_of_wallet(a, c, days)),
        ("referral_revenue_share", "acquisition_channel", _referral_share),
    )
    out = {}
    for key, column, build in builders:
        values = _customer_column(customers, column, summary.index)
        result = build(act, values) if values is not None else None
        if result is not None:
            out[key] = result
    wallet = _customer_column(customers, "category_spend", summary.index)
    if wallet is not None:
        out |= _wallet_per_customer(act, wallet, days)
    return out


def _acquisition_cost(act: Activity, cost: pd.Series) -> np.ndarray:
    known = cost.notna().to_numpy()
    first = act.first_period[known]
    spent = np.bincount(first, cost.to_numpy(dtype=float)[known], minlength=act.n_periods)
    return safe_ratio(spent, np.bincount(first, minlength=act.n_periods).astype(float))


def _share_of_wallet(act: Activity, wallet: pd.Series, days: np.ndarray) -> np.ndarray:
    """Net revenue of buyers with a known wallet, scaled to a year, over their annual wallets."""
    size = np.nan_to_num(wallet.to_numpy(dtype=float))[act.customer]
    has = act.active & (size > 0)
    annualised = act.per_period(act.net, has) * 365.25 / days
    return safe_ratio(annualised, act.per_period(size, has))


def _wallet_per_customer(
    act: Activity, wallet: pd.Series, days: np.ndarray
) -> dict[str, np.ndarray]:
    """Each buyer's own share of wallet (annualised net revenue / annual category spend), capped
    at 100%: its mean and median per period, and how many buyers were capped.

    The ratio of totals (:func:`_share_of_wallet`) is dominated by the biggest wallets; the
    per-customer figures say what a typical customer gives the business. A buyer above 100% has
    a stated wallet too small for what they bought (an outdated estimate, or spend outside the
    categories): counted as 100% and counted."""
    size = np.nan_to_num(wallet.to_numpy(dtype=float))[act.customer]
    has = act.active & (size > 0)
    own = np.divide(act.net * 365.25 / days[act.period], size, out=np.zeros(len(size)), where=has)
    capped = has & (own > 1.0)
    shares = pd.Series(np.clip(own, 0.0, 1.0)[has]).groupby(act.period[has])
    periods = pd.RangeIndex(act.n_periods)
    return {
        "wallet_share_mean": shares.mean().reindex(periods).to_numpy(dtype=float),
        "wallet_share_median": shares.median().reindex(periods).to_numpy(dtype=float),
        "wallet_over_100": act.count(capped),
    }


def _referral_share(act: Activity, channel: pd.Series) -> np.ndarray | None:
    """Net revenue share of customers acquired through referrals (None: no referral channel)."""
    text = channel.astype("string")
    referred = text.str.contains(_REFERRAL, na=False).to_numpy()
    if not referred.any():
        return None
    known = text.notna().to_numpy()[act.customer]
    return safe_ratio(
        act.per_period(act.net, referred[act.customer]), act.per_period(act.net, known)
    )


def clv_measures(clv: pd.DataFrame | None, summary: pd.DataFrame, act: Activity) -> dict:
    """CLV of new customers per acquisition period, and the snapshot counts."""
    if clv is None or "clv" not in clv:
        return {}
    values = clv["clv"].reindex(summary.index).to_numpy(dtype=float)
    known = ~np.isnan(values)
    first = act.first_period[known]
    total = np.bincount(first, values[known], minlength=act.n_periods)
    out: dict = {
        "new_customer_clv": safe_ratio(
            total, np.bincount(first, minlength=act.n_periods).astype(float)
        ),
        "average_clv": float(np.nanmean(values)) if known.any() else math.nan,
    }
    if "tier" in clv:
        order = tier_order(clv)
        tiers = clv["tier"].astype(str)
        out["strategic_accounts"] = float((tiers == order[0]).sum())
        out["premium_customers"] = float(tiers.isin(order[:2]).sum())
    return out


def tier_order(clv: pd.DataFrame) -> list[str]:
    """Tier names from the most to the least valuable (by mean CLV, so any tier names work)."""
    means = clv.groupby(clv["tier"].astype(str))["clv"].mean()
    return list(means.sort_values(ascending=False).index)
