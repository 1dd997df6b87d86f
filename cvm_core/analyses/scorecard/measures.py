"""The customer management scorecard (Kaplan & Norton, Strategy Maps, ch. 4).

Measures grouped by perspective: Financial, Customer outcomes and the four customer management
processes Selection, Acquisition, Retention and Growth. Each measure is computed per calendar
period (quarter or month) from the transactions where the data allows it, so every measure has a
value for the chosen period, the previous period's value, a trend and a status against a target.

Conventions, stated once:

* A customer is *active* in a period when they made a purchase in it (returns alone do not count).
* A customer is *new* in the period of their first purchase in the data. Customers who bought
  before the data starts look new in the first period, so the first period overstates acquisition.
* Profit measures need the customer P&L (revenue - returns - cost of goods - cost-to-serve) of the
  Whale Curve page. That P&L covers the whole observation window; it is spread over periods by
  what each customer did in each period: revenue and cost of goods by the customer's gross sales in
  the period, returns by their returns, cost-to-serve by their orders. The period values therefore
  add up exactly to the P&L the Whale Curve page shows.
* CLV measures are snapshots at the observation end (the CLV model predicts forward from there);
  they have no trend and no previous-period value, except "CLV of new customers", which groups
  today's CLV by the period each customer was acquired.
* A measure the data cannot support gets no value: the table says which column would enable it and
  takes a value the user types in (survey results, campaign statistics). Nothing is invented.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.pnl import (
    factorize_ids,
    factorize_small_ints,
    id_codes,
    index_positions,
)
from cvm_core.errors import ValidationError

PERSPECTIVES = (
    "Financial", "Customer outcomes", "Selection", "Acquisition", "Retention", "Growth",
)  # fmt: skip
FREQUENCIES: dict[str, str] = {"Q": "Quarter", "M": "Month"}
"""Period lengths the scorecard can compare (pandas period codes -> names)."""

DEFAULT_FREQUENCY = "Q"
DEFAULT_WATCH_BAND = 0.05
"""A measure within 5% of its target (relative to the target) is on watch rather than off target."""

TREND_PERIODS = 12
"""Periods shown in a trend (the chosen period and up to 11 before it)."""

HIGHER, LOWER = "higher", "lower"
MONEY, SHARE, COUNT, NUMBER, DAYS = "money", "share", "count", "number", "days"
ON_TARGET, WATCH, OFF_TARGET = "on target", "watch", "off target"
NO_TARGET, NO_VALUE = "no target set", "no value"
STATUSES = (ON_TARGET, WATCH, OFF_TARGET, NO_TARGET, NO_VALUE)

PNL_COLUMNS = ("revenue", "returns", "cogs", "cost_to_serve")
"""Money columns of a customer P&L the profit measures need (profit is recomputed from them)."""

_REFERRAL = re.compile(r"(?i)referr|recommend|empfehl|weiterempf|推荐|介绍")


@dataclass(frozen=True)
class MeasureSpec:
    """What a measure is.

    Attributes
    ----------
    key, perspective, name, definition : str
    unit : {"money", "share", "count", "number", "days"}
    better : {"higher", "lower"}
        Which direction is good, for the status.
    needs : str
        The data (column or page) that enables the measure; shown when it is missing.
    snapshot : bool
        Valued at the observation end (no trend, no previous period).
    """

    key: str
    perspective: str
    name: str
    definition: str
    unit: str
    better: str = HIGHER
    needs: str = ""
    snapshot: bool = False


_PNL_NEEDS = "the customer P&L (Profitability Whale Curve page)"
_CLV_NEEDS = "CLV predictions (Customer Lifetime Value page)"
_CATEGORY_NEEDS = "a 'Product' or 'Category' column in the transactions"

MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("new_customer_revenue", "Financial", "Revenue from new customers",
                "Net revenue in the period from customers whose first purchase falls in it.", MONEY),
    MeasureSpec("revenue_per_customer", "Financial", "Revenue per customer",
                "Net revenue in the period divided by the customers who bought in it.", MONEY),
    MeasureSpec("profit_per_customer", "Financial", "Profit per customer",
                "Operating profit (after cost of goods and activity-based cost-to-serve) in the "
                "period per customer who bought in it.", MONEY, needs=_PNL_NEEDS),
    MeasureSpec("cost_to_serve_share", "Financial", "Cost-to-serve (% of net revenue)",
                "Activity-based cost of serving customers as a share of their net revenue; by "
                "channel below.", SHARE, LOWER, needs=_PNL_NEEDS),
    MeasureSpec("satisfaction", "Customer outcomes", "Customers highly satisfied",
                "Share of surveyed customers giving the top satisfaction score.", SHARE,
                needs="a customer satisfaction survey (type the result in)"),
    MeasureSpec("repeat_revenue_share", "Customer outcomes", "Revenue from repeat customers",
                "Share of the period's net revenue from customers who had bought before the period "
                "(depth of relationship).", SHARE),
    MeasureSpec("referral_revenue_share", "Customer outcomes", "Revenue from referred customers",
                "Share of the period's net revenue from customers acquired through referrals.",
                SHARE, needs="an 'Acquisition channel' column with a 'Referral' value in the "
                "customer table"),
    MeasureSpec("unprofitable_share", "Selection", "Unprofitable customers",
                "Share of the period's buying customers whose operating profit in the period is "
                "negative.", SHARE, LOWER, needs=_PNL_NEEDS),
    MeasureSpec("segment_contribution", "Selection", "Contribution of the top segment",
                "Share of the period's operating profit earned by the RFM segment that contributes "
                "most; every segment below.", SHARE, needs=_PNL_NEEDS + " and RFM segments"),
    MeasureSpec("strategic_accounts", "Selection", "Strategic accounts",
                "Customers in the top CLV tier, at the observation end.", COUNT,
                needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("new_customers", "Acquisition", "New customers",
                "Customers whose first purchase falls in the period.", COUNT),
    MeasureSpec("cost_per_new_customer", "Acquisition", "Cost per new customer",
                "Average acquisition cost of the customers acquired in the period.", MONEY, LOWER,
                needs="an 'Acquisition cost' column in the customer table"),
    MeasureSpec("new_customer_clv", "Acquisition", "CLV of new customers",
                "Average predicted lifetime value (today) of the customers acquired in the period.",
                MONEY, needs=_CLV_NEEDS),
    MeasureSpec("campaign_response", "Acquisition", "Campaign response rate",
                "Share of customers contacted by a campaign who responded.", SHARE,
                needs="campaign contacts and responses (type the rate in)"),
    MeasureSpec("retention_rate", "Retention", "Customer retention (period on period)",
                "Share of the previous period's buying customers who bought again in this period.",
                SHARE),
    MeasureSpec("churn_rate", "Retention", "Churn rate (period on period)",
                "Share of the previous period's buying customers who did not buy in this period.",
                SHARE, LOWER),
    MeasureSpec("annual_retention", "Retention", "Annual customer retention",
                "Share of customers active a year before the observation end still active now "
                "(Retention page).", SHARE, needs="the Retention page's analysis", snapshot=True),
    MeasureSpec("premium_customers", "Retention", "Premium customers",
                "Customers in the top two CLV tiers, at the observation end.", COUNT,
                needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("average_clv", "Retention", "Average customer lifetime value",
                "Mean predicted CLV (discounted future margin) per customer, at the observation "
                "end.", MONEY, needs=_CLV_NEEDS, snapshot=True),
    MeasureSpec("complaint_resolution", "Retention", "Complaint resolution time",
                "Average days from a complaint to its resolution.", DAYS, LOWER,
                needs="a complaint log with opening and closing dates (type the average in)"),
    MeasureSpec("products_per_customer", "Growth", "Products per customer",
                "Distinct products (or categories) bought per buying customer in the period.",
                NUMBER, needs=_CATEGORY_NEEDS),
    MeasureSpec("cross_sell_rate", "Growth", "Cross-sell rate",
                "Share of returning buyers (first purchase before the period) who bought a "
                "category in the period they had never bought before.", SHARE,
                needs=_CATEGORY_NEEDS),
    MeasureSpec("share_of_wallet", "Growth", "Share of wallet",
                "The period's net revenue, annualised, as a share of the buying customers' annual "
                "category spend across all suppliers.", SHARE,
                needs="a 'Category spend' (wallet size) column in the customer table"),
)  # fmt: skip
"""Every measure, in display order."""

SPECS: dict[str, MeasureSpec] = {m.key: m for m in MEASURES}

WHALE_SCENARIO_MEASURES = (
    "revenue_per_customer", "profit_per_customer", "cost_to_serve_share", "unprofitable_share",
)  # fmt: skip
CLV_SCENARIO_MEASURES = ("average_clv",)

SCORECARD_COLUMNS = (
    "key", "perspective", "measure", "definition", "unit", "better", "value", "previous", "change",
    "change_pct", "target", "status", "projected", "source", "needs", "snapshot",
)  # fmt: skip


# --- settings and inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardSettings:
    """What the user chose: period length, period, targets, typed-in values, watch band.

    Attributes
    ----------
    frequency : {"Q", "M"}
    period : str, optional
        Label of the period to report (see :func:`period_labels`); default the latest complete one.
    targets, typed : tuple of (measure key, value)
        Values in the measure's unit (shares as fractions: 0.35 for 35%).
    watch_band : float
        Relative distance to the target (0.05 = 5%) that counts as "watch".
    """

    frequency: str = DEFAULT_FREQUENCY
    period: str | None = None
    targets: tuple[tuple[str, float], ...] = ()
    typed: tuple[tuple[str, float], ...] = ()
    watch_band: float = DEFAULT_WATCH_BAND


@dataclass(frozen=True)
class ModelInputs:
    """Results of the other pages' models (None where unavailable), and where each came from.

    Attributes
    ----------
    pnl : DataFrame, optional
        Customer P&L indexed by customer_id with :data:`PNL_COLUMNS` (the Whale Curve page's).
    clv : DataFrame, optional
        Indexed by customer_id with ``clv`` and ``tier``.
    segments : Series, optional
        RFM segment per customer.
    annual_retention : float, optional
    sources : tuple of (input, description)
        e.g. ("pnl", "Whale Curve page"), ("clv", "default settings").
    """

    pnl: pd.DataFrame | None = None
    clv: pd.DataFrame | None = None
    segments: pd.Series | None = None
    annual_retention: float | None = None
    sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scenarios:
    """What-if treatments set on other pages, as the scorecard needs them.

    Attributes
    ----------
    whale_pnl : DataFrame, optional
        The customer P&L after the Whale Curve page's fixes (:data:`PNL_COLUMNS` and ``kept``).
    whale_label, clv_label : str
        What the scenario is, in words.
    clv_incremental : float, optional
        Total CLV the CLV page's treatments add (before treatment cost).
    """

    whale_pnl: pd.DataFrame | None = None
    whale_label: str = ""
    clv_incremental: float | None = None
    clv_label: str = ""


@dataclass(frozen=True)
class Scorecard:
    """The scorecard for one period.

    Attributes
    ----------
    table : DataFrame
        One row per measure, columns :data:`SCORECARD_COLUMNS`: value, previous (the period
        before), change (value - previous), change_pct (change / |previous|), target, status,
        projected (value under the what-if scenarios, for affected measures), source (where the
        value comes from), needs (what would enable a measure without a value).
    trends : DataFrame
        Long, :data:`TREND_COLUMNS`: key, measure, unit, better, period, period_start, value,
        label (compact, with unit) and score (standard deviations from the measure's own mean,
        positive = better, clipped to +-2), for up to :data:`TREND_PERIODS` periods ending with
        the chosen one; measures with values only.
    breakdowns : dict of DataFrame
        "channel": cost-to-serve by main channel; "segment": profit contribution by segment (for
        the chosen period), when the inputs allow.
    frequency, period, previous_period : str
    period_start, period_end : Timestamp
    partial : bool
        The chosen period is cut off by the observation end.
    periods : tuple of str
        Every period label in the data, oldest first.
    currency : str
    scenario_labels : tuple of str
    notes : tuple of str
    """

    table: pd.DataFrame
    trends: pd.DataFrame
    breakdowns: Mapping[str, pd.DataFrame]
    frequency: str
    period: str
    previous_period: str | None
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    partial: bool
    periods: tuple[str, ...]
    currency: str = "EUR"
    scenario_labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def row(self, key: str) -> pd.Series:
        return self.table.set_index("key").loc[key]


# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Periods:
    codes: np.ndarray  # period code of each transaction
    index: pd.PeriodIndex  # code -> period
    data_start: pd.Timestamp
    end: pd.Timestamp

    def code_of(self, dates: pd.Series) -> np.ndarray:
        return _period_numbers(dates, self.index.freqstr) - _period_number(self.index[0])

    def days(self) -> np.ndarray:
        """Days covered by each period within the data (first and last may be partial)."""
        day = "datetime64[D]"
        starts = self.index.start_time.to_numpy().astype(day)
        ends = self.index.end_time.to_numpy().astype(day)
        starts = np.maximum(starts, np.datetime64(self.data_start.date(), "D"))
        ends = np.minimum(ends, np.datetime64(self.end.date(), "D"))
        return ((ends - starts).astype(np.int64) + 1).astype(float)


def _period_numbers(dates: pd.Series, freq: str) -> np.ndarray:
    """Quarter or month number since year 0 (fast on a million rows, unlike to_period)."""
    values = dates.to_numpy()
    if values.dtype.kind == "M" and not np.isnat(values).any():
        # months since 1970 from the datetime64 values directly (no year and month columns)
        month = values.astype("datetime64[M]").astype(np.int64) + 1970 * 12
        return month // 3 if freq.startswith("Q") else month
    year = dates.dt.year.to_numpy(dtype=np.int64)
    month = dates.dt.month.to_numpy(dtype=np.int64) - 1
    return year * 4 + month // 3 if freq.startswith("Q") else year * 12 + month


def _period_number(period: pd.Period) -> int:
    return _period_numbers(pd.Series([period.start_time]), period.freqstr)[0]


def period_label(period: pd.Period) -> str:
    """'Q4 2024' or 'Dec 2024'."""
    if period.freqstr.startswith("Q"):
        return f"Q{period.quarter} {period.year}"
    return period.start_time.strftime("%b %Y")


def period_labels(start: pd.Timestamp, end: pd.Timestamp, frequency: str) -> list[str]:
    """Labels of every period from ``start`` to ``end``, oldest first."""
    return [period_label(p) for p in pd.period_range(start, end, freq=frequency)]


def _check_frequency(frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise ValidationError(f"Unknown period '{frequency}'; choose Q (quarter) or M (month).")


def _choose_period(index: pd.PeriodIndex, end: pd.Timestamp, wanted: str | None) -> int:
    labels = [period_label(p) for p in index]
    if wanted is not None:
        if wanted not in labels:
            raise ValidationError(
                f"There is no period '{wanted}' in the data; choose one of {labels[0]} to {labels[-1]}."
            )
        return labels.index(wanted)
    complete = index.end_time.normalize() <= end.normalize()
    return int(np.flatnonzero(complete)[-1]) if complete.any() else len(index) - 1


# --- per customer and period ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Activity:
    """Transactions collapsed to (customer, period) pairs; customers in the summary's order."""

    n: int
    n_periods: int
    customer: np.ndarray  # per pair
    period: np.ndarray  # per pair
    gross: np.ndarray
    returns: np.ndarray
    orders: np.ndarray
    rows: np.ndarray
    items: np.ndarray | None  # distinct products (or categories) bought
    first_period: np.ndarray  # per customer
    row_customer: np.ndarray  # customer code of each transaction

    @property
    def net(self) -> np.ndarray:
        return self.gross - self.returns

    @property
    def active(self) -> np.ndarray:
        return self.orders > 0

    def per_period(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        weights = values if mask is None else np.where(mask, values, 0.0)
        return np.bincount(self.period, weights, minlength=self.n_periods)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.period[mask], minlength=self.n_periods).astype(float)


_TABLE_BYTES_PER_ROW = 8  # memory per transaction allowed for a table indexed by (group, item)


def _distinct(group: np.ndarray, item: np.ndarray, n: int) -> np.ndarray:
    """Distinct items per group (both non-negative integer codes).

    Hash tables of millions of keys outgrow the CPU cache and slow down more than linearly, so
    they are avoided where the codes allow: a table of flags when groups x items is small, else
    each item is counted once in one group that has it (any such group will do) and only the
    rows of its other groups are hashed; with order ids, which rarely span groups, that is few.
    """
    if not len(group):
        return np.zeros(n)
    group = group.astype(np.int64)
    width = int(item.max()) + 1
    if n * width <= _TABLE_BYTES_PER_ROW * len(group):  # one byte per flag
        seen = np.zeros(n * width, bool)
        seen[group * width + item] = True
        return np.count_nonzero(seen.reshape(n, width), axis=1).astype(float)
    owner = np.full(width, -1, np.int64)
    owner[item] = group  # one of the groups that has the item
    counts = np.bincount(owner[owner >= 0], minlength=n)
    other = owner[item] != group
    if other.any():
        unique = pd.unique(group[other] * width + item[other])
        counts += np.bincount(unique // width, minlength=n)
    return counts.astype(float)


def _documents(tx: pd.DataFrame) -> np.ndarray:
    """Order id codes; the day number where there is no order id (one order per customer-day)."""
    days = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    days = days - days.min(initial=0)
    if "order_id" not in tx:
        return days
    codes = id_codes(tx["order_id"])
    if (codes < 0).all():  # no order ids at all
        return days
    return np.where(codes >= 0, codes, codes.max(initial=0) + 1 + days)


def _item_codes(tx: pd.DataFrame, prefer: tuple[str, ...]) -> np.ndarray | None:
    """Codes of the first of ``prefer`` columns the transactions have values in (-1 = missing)."""
    for column in prefer:
        if column in tx:
            codes = pd.factorize(tx[column].to_numpy())[0].astype(np.int64)
            if (codes >= 0).any():  # the codes tell missing values apart: no second pass
                return codes
    return None


def _activity(tx: pd.DataFrame, summary: pd.DataFrame, periods: _Periods) -> _Activity:
    n, n_periods = len(summary), len(periods.index)
    cust = index_positions(summary.index, tx["customer_id"])
    if (cust < 0).any():
        raise ValidationError(
            "The transactions contain customers the customer summary does not know; recompute the "
            "summary with the same observation end."
        )
    key = cust.astype(np.int64) * n_periods + periods.codes
    # int64 per (customer, period) in the hash-free path: up to twice the usual table allowance
    dense = n * n_periods * 8 <= 2 * _TABLE_BYTES_PER_ROW * len(key)
    found = factorize_small_ints(key, n * n_periods) if dense else None
    pair_of_row, pairs = found if found is not None else factorize_ids(key)
    revenue = tx["revenue"].to_numpy(dtype=float)
    buy = ~tx["is_return"].to_numpy(dtype=bool)
    m = len(pairs)
    items = _item_codes(tx, ("product", "category"))
    bought = None
    if items is not None:
        rows = buy & (items >= 0)
        bought = _distinct(pair_of_row[rows], items[rows], m)
    orders = _distinct(pair_of_row[buy], _documents(tx)[buy], m)
    return _Activity(
        n=n,
        n_periods=n_periods,
        customer=pairs // n_periods,
        period=pairs % n_periods,
        gross=np.bincount(pair_of_row, np.where(buy, revenue, 0.0), m),
        returns=np.bincount(pair_of_row, np.where(buy, 0.0, -revenue), m),
        orders=orders,
        rows=np.bincount(pair_of_row, minlength=m).astype(float),
        items=bought,
        first_period=periods.code_of(summary["first_purchase"]),
        row_customer=cust.astype(np.int64),
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio, NaN where the denominator is not positive."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


# --- measures from the transactions --------------------------------------------------------------


def _transaction_measures(act: _Activity) -> dict[str, np.ndarray]:
    active = act.active
    customers = act.count(active)
    net = act.per_period(act.net)
    is_new = act.period == act.first_period[act.customer]
    new_revenue = act.per_period(act.net, is_new)
    retention = _retention(act)
    out = {
        "new_customer_revenue": new_revenue,
        "revenue_per_customer": _ratio(net, customers),
        "repeat_revenue_share": _ratio(net - new_revenue, net),
        "new_customers": np.bincount(act.first_period, minlength=act.n_periods).astype(float),
        "retention_rate": retention,
        "churn_rate": 1.0 - retention,
    }
    if act.items is not None:
        out["products_per_customer"] = _ratio(act.per_period(act.items, active), customers)
    return out


def _retention(act: _Activity) -> np.ndarray:
    """Share of each period's previous-period buyers who bought again (NaN for the first)."""
    active = act.active
    keys = act.customer[active] * act.n_periods + act.period[active]
    has_next = act.period[active] < act.n_periods - 1  # else key + 1 is the next customer's
    again = np.isin(keys + 1, keys) & has_next
    retained = np.bincount(act.period[active][again] + 1, minlength=act.n_periods)
    previous = np.r_[np.nan, act.count(active)[:-1]]
    return _ratio(retained.astype(float), previous)


def _cross_sell(tx: pd.DataFrame, act: _Activity, periods: _Periods) -> np.ndarray | None:
    """Share of returning buyers who bought a category (else product) new to them in the period."""
    items = _item_codes(tx, ("category", "product"))
    if items is None:
        return None
    buy = ~tx["is_return"].to_numpy(dtype=bool) & (items >= 0)
    width = int(items.max()) + 1
    owner, first = _first_purchase_periods(act, buy, items, width, periods.codes)
    new_to_them = first > act.first_period[owner]
    crossed = _distinct(first[new_to_them], owner[new_to_them], act.n_periods)
    returning = act.count(act.active & (act.period > act.first_period[act.customer]))
    return _ratio(crossed, returning)


def _first_purchase_periods(
    act: _Activity, buy: np.ndarray, items: np.ndarray, width: int, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Customer and first period of each (customer, item) bought (order does not matter).

    A cell per customer and item when that table is small (no hash table over millions of
    combinations), else the combinations are hashed.
    """
    combo = act.row_customer[buy] * width + items[buy]
    small = np.min_scalar_type(act.n_periods)  # period codes are below n_periods
    if act.n * width * small.itemsize <= _TABLE_BYTES_PER_ROW * len(combo):
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


def _customer_table_measures(
    customers: pd.DataFrame | None, summary: pd.DataFrame, act: _Activity, days: np.ndarray
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
    return out


def _acquisition_cost(act: _Activity, cost: pd.Series) -> np.ndarray:
    known = cost.notna().to_numpy()
    first = act.first_period[known]
    spent = np.bincount(first, cost.to_numpy(dtype=float)[known], minlength=act.n_periods)
    return _ratio(spent, np.bincount(first, minlength=act.n_periods).astype(float))


def _share_of_wallet(act: _Activity, wallet: pd.Series, days: np.ndarray) -> np.ndarray:
    """Net revenue of buyers with a known wallet, scaled to a year, over their annual wallets."""
    size = np.nan_to_num(wallet.to_numpy(dtype=float))[act.customer]
    has = act.active & (size > 0)
    annualised = act.per_period(act.net, has) * 365.25 / days
    return _ratio(annualised, act.per_period(size, has))


def _referral_share(act: _Activity, channel: pd.Series) -> np.ndarray | None:
    """Net revenue share of customers acquired through referrals (None: no referral channel)."""
    text = channel.astype("string")
    referred = text.str.contains(_REFERRAL, na=False).to_numpy()
    if not referred.any():
        return None
    known = text.notna().to_numpy()[act.customer]
    return _ratio(act.per_period(act.net, referred[act.customer]), act.per_period(act.net, known))


def _clv_measures(clv: pd.DataFrame | None, summary: pd.DataFrame, act: _Activity) -> dict:
    """CLV of new customers per acquisition period, and the snapshot counts."""
    if clv is None or "clv" not in clv:
        return {}
    values = clv["clv"].reindex(summary.index).to_numpy(dtype=float)
    known = ~np.isnan(values)
    first = act.first_period[known]
    total = np.bincount(first, values[known], minlength=act.n_periods)
    out: dict = {
        "new_customer_clv": _ratio(
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


# --- measures from the customer P&L --------------------------------------------------------------


def _allocation(act: _Activity) -> dict[str, np.ndarray]:
    """Each pair's share of its customer's gross sales, returns and orders (rows where a customer
    has none of them, so every customer's shares add up to 1)."""

    def share(values: np.ndarray) -> np.ndarray:
        total = np.bincount(act.customer, values, minlength=act.n)[act.customer]
        rows = np.bincount(act.customer, act.rows, minlength=act.n)[act.customer]
        return np.where(total > 0, values / np.where(total > 0, total, 1.0), act.rows / rows)

    return {"sales": share(act.gross), "returns": share(act.returns), "orders": share(act.orders)}


def period_pnl(act: _Activity, pnl: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The customer P&L spread over (customer, period) pairs (see the module docstring)."""
    frame = pnl.reindex(index)
    money = {c: np.nan_to_num(frame[c].to_numpy(dtype=float))[act.customer] for c in PNL_COLUMNS}
    kept = (
        frame["kept"].fillna(True).to_numpy(dtype=bool)
        if "kept" in frame
        else np.ones(len(index), bool)
    )
    share = _allocation(act)
    revenue = money["revenue"] * share["sales"] - money["returns"] * share["returns"]
    cost_to_serve = money["cost_to_serve"] * share["orders"]
    profit = revenue - money["cogs"] * share["sales"] - cost_to_serve
    return pd.DataFrame(
        {
            "net_revenue": revenue,
            "cost_to_serve": cost_to_serve,
            "profit": np.round(profit, 6) + 0.0,
            "active": act.active & kept[act.customer],
        }
    )


def _pnl_measures(act: _Activity, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    active = pairs["active"].to_numpy()
    customers = act.count(active)
    profit = pairs["profit"].to_numpy()
    return {
        "revenue_per_customer": _ratio(act.per_period(pairs["net_revenue"].to_numpy()), customers),
        "profit_per_customer": _ratio(act.per_period(profit), customers),
        "unprofitable_share": _ratio(act.count(active & (profit < 0)), customers),
        "cost_to_serve_share": _ratio(
            act.per_period(pairs["cost_to_serve"].to_numpy()),
            act.per_period(pairs["net_revenue"].to_numpy()),
        ),
    }


def _group_table(
    act: _Activity, pairs: pd.DataFrame, groups: pd.Series, period: int
) -> pd.DataFrame:
    """Customers, net revenue, cost-to-serve and profit per group in one period."""
    labels = groups.astype(object).where(groups.notna(), "(none)").astype(str).to_numpy()
    here = act.period == period
    frame = pd.DataFrame(
        {
            "group": labels[act.customer[here]],
            "customers": pairs["active"].to_numpy()[here].astype(int),
            "net_revenue": pairs["net_revenue"].to_numpy()[here],
            "cost_to_serve": pairs["cost_to_serve"].to_numpy()[here],
            "profit": pairs["profit"].to_numpy()[here],
        }
    )
    out = frame.groupby("group", sort=False).sum()
    if isinstance(groups.dtype, pd.CategoricalDtype):  # e.g. RFM segments, best first
        order = [str(c) for c in groups.cat.categories]
        out = out.reindex(
            [c for c in order if c in out.index] + [c for c in out.index if c not in order]
        )
    else:
        out = out.sort_values("profit", ascending=False)
    total = float(out["profit"].sum())
    out["profit_share"] = out["profit"] / total if total > 0 else np.nan
    out["cost_to_serve_share"] = _ratio(
        out["cost_to_serve"].to_numpy(), out["net_revenue"].to_numpy()
    )
    return out.reset_index()


def _segment_trend(
    act: _Activity, pairs: pd.DataFrame, segments: pd.Series, top: str
) -> np.ndarray:
    """The ``top`` segment's share of each period's operating profit (NaN where it is not positive)."""
    mine = (segments.astype(str).to_numpy() == top)[act.customer]
    profit = pairs["profit"].to_numpy()
    return _ratio(act.per_period(profit, mine), act.per_period(profit))


# --- assembling the scorecard --------------------------------------------------------------------

_INPUT_OF: dict[str, str] = {
    "profit_per_customer": "pnl", "cost_to_serve_share": "pnl", "unprofitable_share": "pnl",
    "segment_contribution": "segments", "strategic_accounts": "clv", "premium_customers": "clv",
    "average_clv": "clv", "new_customer_clv": "clv", "annual_retention": "retention",
    "cost_per_new_customer": "customers", "share_of_wallet": "customers",
    "referral_revenue_share": "customers",
}  # fmt: skip
"""Which input a measure is computed from (the rest come from the transactions alone)."""


def measure_status(value: float | None, target: float | None, better: str, band: float) -> str:
    """On target, watch (within ``band`` x |target| of it) or off target.

    Examples
    --------
    >>> measure_status(96.0, 100.0, "higher", 0.05)
    'watch'
    """
    if not _finite(value):
        return NO_VALUE
    if not _finite(target):
        return NO_TARGET
    gap = value - target if better == HIGHER else target - value
    if gap >= 0:
        return ON_TARGET
    return WATCH if gap >= -abs(target) * band else OFF_TARGET


def _finite(value: object) -> bool:
    return isinstance(value, int | float | np.floating) and math.isfinite(value)


@dataclass
class _Values:
    """Work in progress: per-period arrays, snapshot values, labels, breakdowns, notes."""

    series: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    projected: dict[str, float] = field(default_factory=dict)
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> set[str]:
        return set(self.series) | set(self.snapshots)


def build_scorecard(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    models: ModelInputs = ModelInputs(),
    settings: ScorecardSettings = ScorecardSettings(),
    scenarios: Scenarios = Scenarios(),
    observation_end: pd.Timestamp | str | None = None,
    currency: str = "EUR",
) -> Scorecard:
    """Compute the customer management scorecard for one period.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, date, revenue, is_return; order_id, product,
        category when mapped).
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` up to ``observation_end``.
    customers : DataFrame, optional
        The customer table (acquisition_cost, acquisition_channel, category_spend enable measures).
    models : ModelInputs
        The other pages' results.
    settings : ScorecardSettings
    scenarios : Scenarios
        What-if treatments; affected measures get a projected value.
    observation_end : Timestamp or str, optional
        Later transactions are ignored; default the last date in the data.
    currency : str

    Returns
    -------
    Scorecard

    Raises
    ------
    ValidationError
        Unknown period length or period, no transactions up to the observation end, or a summary
        that does not match the transactions.
    """
    _check_frequency(settings.frequency)
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    later = transactions["date"] > end
    tx = transactions[~later] if later.any() else transactions  # no copy when nothing is later
    if tx.empty:
        raise ValidationError(
            f"No transactions on or before {end:%d %b %Y}: choose a later observation end."
        )
    start = pd.Timestamp(tx["date"].min())
    index = pd.period_range(start, end, freq=settings.frequency)
    codes = _period_numbers(tx["date"], settings.frequency) - _period_number(index[0])
    periods = _Periods(codes, index, start, end)
    act = _activity(tx, summary, periods)
    selected = _choose_period(index, end, settings.period)
    values = _Values(series=_transaction_measures(act))
    cross = _cross_sell(tx, act, periods)
    if cross is not None:
        values.series["cross_sell_rate"] = cross
    values.series |= _customer_table_measures(customers, summary, act, periods.days())
    _add_clv(values, models.clv, summary, act)
    if models.annual_retention is not None and _finite(models.annual_retention):
        values.snapshots["annual_retention"] = float(models.annual_retention)
    if models.pnl is not None:
        _add_pnl(values, act, tx, summary, models, selected)
    _add_projections(values, act, summary, scenarios, models, selected)
    if selected == 0:
        values.notes.append(
            "This is the first period in the data: customers who bought before the data starts "
            "count as new here, and there is no previous period to compare with."
        )
    period = index[selected]
    return Scorecard(
        table=_table(values, selected, settings, dict(models.sources)),
        trends=_trends(values, index, selected, currency),
        breakdowns=values.breakdowns,
        frequency=settings.frequency,
        period=period_label(period),
        previous_period=period_label(index[selected - 1]) if selected > 0 else None,
        period_start=max(period.start_time, start),
        period_end=min(period.end_time.normalize(), end.normalize()),
        partial=bool(period.end_time.normalize() > end.normalize()),
        periods=tuple(period_label(p) for p in index),
        currency=currency,
        scenario_labels=tuple(s for s in (scenarios.whale_label, scenarios.clv_label) if s),
        notes=tuple(values.notes),
    )


def _add_clv(
    values: _Values, clv: pd.DataFrame | None, summary: pd.DataFrame, act: _Activity
) -> None:
    for key, value in _clv_measures(clv, summary, act).items():
        if isinstance(value, np.ndarray):
            values.series[key] = value
        elif _finite(value):
            values.snapshots[key] = value


def _add_pnl(
    values: _Values,
    act: _Activity,
    tx: pd.DataFrame,
    summary: pd.DataFrame,
    models: ModelInputs,
    selected: int,
) -> None:
    from cvm_core.analyses.segments.rfm import (
        main_channel,  # segments is heavy; only needed with a P&L
    )

    pairs = period_pnl(act, models.pnl, summary.index)
    measures = _pnl_measures(act, pairs)
    for key in ("profit_per_customer", "unprofitable_share", "cost_to_serve_share"):
        values.series[key] = measures[key]
    if "channel" in tx and tx["channel"].notna().any():
        channels = main_channel(tx, summary.index, act.row_customer)
        values.breakdowns["channel"] = _group_table(act, pairs, channels, selected)
    if models.segments is None:
        return
    segments = models.segments.reindex(summary.index)
    table = _group_table(act, pairs, segments, selected)
    values.breakdowns["segment"] = table
    if table["profit_share"].notna().any():
        top = str(table.loc[table["profit"].idxmax(), "group"])
        values.series["segment_contribution"] = _segment_trend(act, pairs, segments, top)
        values.names["segment_contribution"] = f"{SPECS['segment_contribution'].name} ({top})"
    else:
        values.notes.append(
            "Total operating profit in the period is not positive, so segment shares of it are not shown."
        )


def _add_projections(
    values: _Values,
    act: _Activity,
    summary: pd.DataFrame,
    scenarios: Scenarios,
    models: ModelInputs,
    selected: int,
) -> None:
    if scenarios.whale_pnl is not None and models.pnl is not None:
        pairs = period_pnl(act, scenarios.whale_pnl, summary.index)
        measures = _pnl_measures(act, pairs)
        for key in WHALE_SCENARIO_MEASURES:
            values.projected[key] = float(measures[key][selected])
    average = values.snapshots.get("average_clv")
    if scenarios.clv_incremental is not None and average is not None and models.clv is not None:
        customers = int(models.clv["clv"].notna().sum())
        values.projected["average_clv"] = average + scenarios.clv_incremental / customers


def _source(key: str, sources: dict[str, str]) -> str:
    group = _INPUT_OF.get(key, "transactions")
    if group == "segments":
        return f"P&L: {sources.get('pnl', 'given')}; segments: {sources.get('segments', 'given')}"
    if group in ("transactions", "customers"):
        return "transactions" if group == "transactions" else "customer table"
    return sources.get(group, "given")


def _current(values: _Values, key: str, selected: int) -> tuple[float, float]:
    if key in values.snapshots:
        return values.snapshots[key], math.nan
    series = values.series.get(key)
    if series is None:
        return math.nan, math.nan
    previous = float(series[selected - 1]) if selected > 0 else math.nan
    return float(series[selected]), previous


def _table(
    values: _Values, selected: int, settings: ScorecardSettings, sources: dict[str, str]
) -> pd.DataFrame:
    targets, typed = dict(settings.targets), dict(settings.typed)
    rows = []
    for spec in MEASURES:
        value, previous = _current(values, spec.key, selected)
        source = _source(spec.key, sources) if spec.key in values.available else ""
        if not _finite(value) and _finite(typed.get(spec.key)):
            value, source = float(typed[spec.key]), "typed in"
        change = value - previous if _finite(value) and _finite(previous) else math.nan
        target = targets.get(spec.key, math.nan)
        rows.append({
            "key": spec.key, "perspective": spec.perspective,
            "measure": values.names.get(spec.key, spec.name), "definition": spec.definition,
            "unit": spec.unit, "better": spec.better, "value": value, "previous": previous,
            "change": change,
            "change_pct": change / abs(previous) if _finite(change) and previous != 0 else math.nan,
            "target": float(target) if _finite(target) else math.nan,
            "status": measure_status(value, target, spec.better, settings.watch_band),
            "projected": values.projected.get(spec.key, math.nan),
            "source": source,
            "needs": "" if spec.key in values.available else spec.needs,
            "snapshot": spec.snapshot,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))


def _trends(values: _Values, index: pd.PeriodIndex, selected: int, currency: str) -> pd.DataFrame:
    first = max(0, selected - TREND_PERIODS + 1)
    window = index[first : selected + 1]
    frames = []
    for spec in MEASURES:
        series = values.series.get(spec.key)
        if series is None:
            continue
        frame = pd.DataFrame({
            "key": spec.key, "measure": values.names.get(spec.key, spec.name), "unit": spec.unit,
            "better": spec.better, "period": [period_label(p) for p in window],
            "period_start": window.start_time, "value": series[first : selected + 1],
        })  # fmt: skip
        frame = frame[np.isfinite(frame["value"].to_numpy(dtype=float))]
        frames.append(frame.assign(score=_scores(frame["value"].to_numpy(), spec.better)))
    if not frames:
        return pd.DataFrame(columns=TREND_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["label"] = [
        short_value(v, u, currency) for v, u in zip(out["value"], out["unit"], strict=True)
    ]
    return out[list(TREND_COLUMNS)]


TREND_COLUMNS = (
    "key", "measure", "unit", "better", "period", "period_start", "value", "label", "score",
)  # fmt: skip


def _scores(values: np.ndarray, better: str) -> np.ndarray:
    """How good each period was against the measure's own average: standard deviations from the
    mean, positive when better (for the trend heatmap's colour), clipped to +-2."""
    spread = float(np.std(values)) if len(values) else 0.0
    if spread <= 0:
        return np.zeros(len(values))
    sign = 1.0 if better == HIGHER else -1.0
    return np.clip(sign * (values - values.mean()) / spread, -2.0, 2.0)


# --- presenting ----------------------------------------------------------------------------------

DISPLAY_SCALE: dict[str, float] = {SHARE: 100.0}
"""Factor from a measure's value to what users type and read (shares as percent: 0.35 -> 35)."""


def format_value(value: float | None, unit: str, currency: str = "EUR") -> str:
    """A measure's value with its unit ('€1,234', '35.2%', '1,200', '2.35', '4.5 days'); '–' if none."""
    if not _finite(value):
        return "–"
    formats: dict[str, Callable[[float], str]] = {
        MONEY: lambda v: formatting.money(v, currency),
        SHARE: lambda v: formatting.pct(v, 1),
        COUNT: formatting.count,
        NUMBER: lambda v: formatting.number(v, 2),
        DAYS: lambda v: f"{formatting.number(v, 1)} days",
    }
    return formats[unit](float(value))


def short_value(value: float | None, unit: str, currency: str = "EUR") -> str:
    """Compact form for chart labels: '€79k', '65%', '204', '6.2'."""
    if not _finite(value):
        return "–"
    if unit == MONEY:
        return formatting.money_short(float(value), currency)
    if unit == SHARE:
        return formatting.pct(float(value), 0)
    return (
        format_value(value, unit, currency).replace(" days", "d")
        if unit != NUMBER
        else formatting.number(value, 1)
    )


def format_change(
    change: float | None, change_pct: float | None, unit: str, currency: str = "EUR"
) -> str:
    """Change on the previous period: percentage points for shares, percent for the rest."""
    if not _finite(change):
        return "–"
    if unit == SHARE:
        return f"{change * 100:+,.1f} pts"
    if _finite(change_pct):
        return f"{change_pct * 100:+,.1f}%"
    sign = "+" if change >= 0 else "-"
    return sign + format_value(abs(change), unit, currency)


TABLE_HEADERS = (
    "Perspective", "Measure", "Definition", "Value", "Previous period", "Change", "Target",
    "Status", "Scenario", "Source / how to enable",
)  # fmt: skip


def scorecard_table(result: Scorecard, formatted: bool = True) -> pd.DataFrame:
    """The scorecard as a plain table, for slides, workbooks and downloads.

    Parameters
    ----------
    result : Scorecard
    formatted : bool
        True: values as text with units (for a slide's native table). False: numbers (shares as
        fractions, money in ``result.currency``) with a Unit column, for a workbook.

    Returns
    -------
    DataFrame
        Columns :data:`TABLE_HEADERS` (formatted) or Perspective, Measure, Definition, Unit, Value,
        Previous period, Change, Target, Status, Scenario, Source / how to enable. The Value and
        Previous period headers name the periods.
    """
    t = result.table
    how = [s if s else f"Needs {n}" for s, n in zip(t["source"], t["needs"], strict=True)]
    value_header = f"Value ({result.period})"
    previous_header = f"Previous ({result.previous_period or 'none'})"
    if not formatted:
        out = pd.DataFrame({
            "Perspective": t["perspective"], "Measure": t["measure"], "Definition": t["definition"],
            "Unit": [result.currency if u == MONEY else u for u in t["unit"]], value_header: t["value"],
            previous_header: t["previous"], "Change": t["change"], "Target": t["target"],
            "Status": t["status"], "Scenario": t["projected"], "Source / how to enable": how,
        })  # fmt: skip
        return out.astype(object).where(out.notna(), None)
    cur = result.currency
    rows = zip(t["value"], t["previous"], t["target"], t["projected"], t["unit"], strict=True)
    text = [[format_value(x, u, cur) for x in (v, p, g, s)] for v, p, g, s, u in rows]
    value, previous, target, projected = (list(c) for c in zip(*text, strict=True))
    changes = [
        format_change(c, p, u, cur)
        for c, p, u in zip(t["change"], t["change_pct"], t["unit"], strict=True)
    ]
    snapshot = t["snapshot"].to_numpy()
    return pd.DataFrame({
        "Perspective": t["perspective"], "Measure": t["measure"], "Definition": t["definition"],
        value_header: value, previous_header: np.where(snapshot, "snapshot", previous),
        "Change": changes, "Target": target, "Status": t["status"], "Scenario": projected,
        "Source / how to enable": how,
    })  # fmt: skip


def takeaway(result: Scorecard) -> str:
    """One line from the data: how many measures moved the right way, and the biggest mover."""
    t = result.table[np.isfinite(result.table["change"].to_numpy(dtype=float))]
    if t.empty or result.previous_period is None:
        on = int((result.table["status"] == ON_TARGET).sum())
        return f"{result.period}: {on} measures on target; no previous period to compare with."
    sign = np.where(t["better"] == HIGHER, 1.0, -1.0)
    good = t["change"].to_numpy(dtype=float) * sign
    improved = int((good > 0).sum())
    # Biggest mover by relative change (percentage points count as percent of the previous share).
    relative = np.abs(np.nan_to_num(t["change_pct"].to_numpy(dtype=float)))
    top = t.iloc[int(np.argmax(relative))]
    move = format_change(top["change"], top["change_pct"], top["unit"], result.currency)
    return (
        f"{improved} of {len(t)} measures improved on {result.previous_period}; biggest move: "
        f"{top['measure']} {move} ({format_value(top['value'], top['unit'], result.currency)})."
    )


def as_dict(result: Scorecard) -> dict:
    """JSON-friendly scorecard (NaN as None) for the command line."""
    table = result.table.drop(columns=["snapshot"])
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return {
        "period": result.period,
        "previous_period": result.previous_period,
        "period_start": f"{result.period_start:%Y-%m-%d}",
        "period_end": f"{result.period_end:%Y-%m-%d}",
        "partial_period": result.partial,
        "currency": result.currency,
        "takeaway": takeaway(result),
        "measures": rows,
        "notes": list(result.notes),
    }


# --- the other pages' models with default settings -----------------------------------------------

DEFAULT_SOURCE = "default settings"


def default_pnl(
    summary: pd.DataFrame,
    transactions: pd.DataFrame,
    cost_to_serve: pd.DataFrame | None,
    observation_end=None,
) -> pd.DataFrame:
    """The customer P&L with the default activity rates (what the Whale Curve page starts from)."""
    from cvm_core.analyses.profitability import pnl as profitability

    result = profitability.customer_pnl(
        summary, transactions, cost_to_serve=cost_to_serve, observation_end=observation_end
    )
    return result.pnl[["revenue", "returns", "cogs", "cost_to_serve", "profit"]]


def default_clv(
    transactions: pd.DataFrame, summary: pd.DataFrame, unit: str, observation_end=None
) -> pd.DataFrame:
    """CLV and tiers with the CLV page's default model and settings (no holdout, no comparison).

    Raises
    ------
    CvmError
        When the data cannot support a CLV model (too few customers or repeat buyers).
    """
    from cvm_core.analyses.clv import fit as clv

    end = pd.Timestamp(observation_end) if observation_end is not None else None
    fit = clv.fit_clv(
        transactions, clv.FitSettings(unit=unit, observation_end=end, compare=False), summary
    )
    values = clv.customer_values(fit, clv.ValueSettings(margin=clv.default_margin(summary)))
    return values.customers[["p_alive", "clv", "tier"]]


def default_segments(summary: pd.DataFrame, observation_end=None) -> pd.Series:
    """RFM segment per customer with the Segments page's default grid."""
    from cvm_core.analyses.segments import rfm as segments

    return segments.rfm_scores(summary, observation_end).table["rfm_segment"]


def default_retention(
    transactions: pd.DataFrame, summary: pd.DataFrame, customers=None, observation_end=None
) -> float | None:
    """Annual retention with the Retention page's default settings, measured to the observation
    end (not to the last transaction before it, which may be days earlier)."""
    from cvm_core.analyses.retention import churn as retention

    result = retention.analyse_retention(
        transactions, summary, customers=customers, observation_end=observation_end
    )
    return result.annual_retention


def default_period(start: pd.Timestamp, end: pd.Timestamp, frequency: str) -> str:
    """Label of the latest period that ends by ``end`` (else the latest, partial, period)."""
    _check_frequency(frequency)
    index = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=frequency)
    return period_label(index[_choose_period(index, pd.Timestamp(end), None)])


def replay_pnl(base: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """A what-if P&L on top of ``base``: base + (after - before) per customer and column.

    The Whale Curve page's fixes are replayed on a P&L the scorecard can compute (``before``,
    giving ``after``); adding the change to the page's own P&L (``base``) keeps the scorecard's
    baseline equal to what the page shows. When ``base`` is ``before`` the result is ``after``.

    Returns
    -------
    DataFrame
        :data:`PNL_COLUMNS`, profit and ``kept`` (customers the fixes part with are not kept).
    """
    columns = [*PNL_COLUMNS, "profit"]
    aligned = before[columns].reindex(base.index).fillna(0.0)
    changed = after[columns].reindex(base.index).fillna(0.0)
    out = base[columns].astype(float) + (changed - aligned)
    kept = (
        after["kept"].reindex(base.index) if "kept" in after else pd.Series(True, index=base.index)
    )
    out["kept"] = kept.fillna(True).astype(bool)
    return out


def channel_takeaway(table: pd.DataFrame, period: str) -> str:
    """'Field sales customers cost 68.2% of their net revenue to serve in Q4 2024, Store 6.2%.'"""
    rated = table[np.isfinite(table["cost_to_serve_share"].to_numpy(dtype=float))]
    if rated.empty:
        return f"No channel had net revenue in {period}."
    ranked = rated.sort_values("cost_to_serve_share", ascending=False)
    high, low = ranked.iloc[0], ranked.iloc[-1]
    text = f"{high['group']} customers cost {formatting.pct(high['cost_to_serve_share'])} of their net revenue to serve in {period}"
    return text + (
        f", {low['group']} {formatting.pct(low['cost_to_serve_share'])}."
        if len(ranked) > 1
        else "."
    )


def segment_takeaway(table: pd.DataFrame, period: str, currency: str = "EUR") -> str:
    """'Champions earn 120% of operating profit in Q4 2024; 4 segments lose money (-€23k).'"""
    if table.empty:
        return f"No segment bought in {period}."
    top = table.loc[table["profit"].idxmax()]
    losing = table[table["profit"] < 0]
    share = formatting.pct(top["profit_share"], 0) if _finite(top["profit_share"]) else "the most"
    text = f"{top['group']} earn {share} of operating profit in {period}"
    if losing.empty:
        return text + "; every segment is profitable."
    lost = formatting.money_short(float(losing["profit"].sum()), currency)
    return text + f"; {len(losing)} segment{'s' if len(losing) > 1 else ''} lose money ({lost})."


def parse_value(text: object, unit: str) -> float | None:
    """A target or typed-in value as people write it ('€1,200', '35%', '35', '4.5 days').

    Shares are read as percentages ('35' and '35%' both mean 0.35). Empty text means no value.

    Raises
    ------
    ValidationError
        When the text holds no number.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, int | float):
        number = float(text)
    else:
        cleaned = re.sub(r"[^0-9.\-]", "", str(text).replace(",", ""))
        if not str(text).strip():
            return None
        try:
            number = float(cleaned)
        except ValueError:
            raise ValidationError(
                f"'{text}' is not a number. Type a plain number such as 1200, or 35 for 35%."
            ) from None
    return number / DISPLAY_SCALE.get(unit, 1.0)
