"""The gaps between purchases and the churn rule built on them.

Non-contractual customers leave silently, so "churned" is a rule, stated and changeable:

* inactivity (default): no purchase within ``window_days`` of the observation end. The default
  window comes from the data: the 90th percentile of the gaps between a customer's consecutive
  purchase days, each customer weighted equally (a customer's gaps share one vote), so for nine
  in ten customers a typical gap is shorter. Pooling the gaps instead lets the most frequent
  buyers decide: on CDNOW the top tenth of buyers bring 56% of the gaps and the pooled 90th
  percentile is 196 days against 304.
* P(alive): the CLV model's probability that the customer is still active is below a threshold.

Either way, a customer first seen less than ``window_days`` before the observation end is "too new
to tell" and never counted as churned: nobody could have seen them stay away that long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.profitability.drivers import index_positions
from cvm_core.analyses.retention.cohorts import (
    customer_positions,
    distinct,
)
from cvm_core.analyses.retention.days import dates_of_days, day_number, day_numbers, end_of, require
from cvm_core.analyses.retention.defaults import ACTIVE, CHURNED, INACTIVITY, P_ALIVE, TOO_NEW
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent, _

DEFAULT_GAP_QUANTILE = 0.9
"""The churn window suggested from the data: this quantile of the inter-purchase gaps."""
FALLBACK_WINDOW_DAYS = 90
"""Churn window used when the data has no repeat purchases to learn one from."""
MIN_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 3650
"""The longest churn window a user can set (ten years); a suggestion from data with decades
between purchases is capped here."""
DEFAULT_P_ALIVE_THRESHOLD = 0.5


# --------------------------------------------------------------------------------------------
# Inter-purchase gaps and the churn rule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapProfile:
    """The distribution of gaps between consecutive purchase days, and the window it suggests.

    Attributes
    ----------
    repeat_purchases : int
        Number of gaps (purchase days after a customer's first).
    quantiles : dict[float, float]
        Gap in days at the 50th, 75th, 90th and 95th percentile, each customer weighted equally
        (empty without repeats).
    suggested_window_days : int
        The ``quantile`` percentile of the gaps (customers weighted equally), rounded up; the
        fallback without repeats.
    quantile : float
    histogram : DataFrame
        gap_from, gap_to (days; gap_from <= gap < gap_to), repeat_purchases, open_ended (the last
        bin, from about the 99th percentile on, holds every longer gap too), share and
        cumulative_share (of the gaps, each customer's gaps weighing one customer in all). Empty
        bins are left out.
    repeat_customers : int
        Customers with at least one gap.
    note : str
    """

    repeat_purchases: int
    quantiles: dict[float, float]
    suggested_window_days: int
    quantile: float
    histogram: pd.DataFrame
    note: str = ""
    repeat_customers: int = 0


def purchase_day_pairs(
    transactions: pd.DataFrame,
    observation_end: pd.Timestamp | str | None = None,
    index: pd.Index | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (customer, purchase day) pairs, sorted by customer then day (returns ignored).

    Returns
    -------
    (customer, day) : int64 arrays; customer is the position in ``index`` (customers missing from
    it are dropped) or, without an index, a code per distinct customer id; day counts days since
    1970-01-01.
    """
    keep = ~transactions["is_return"].to_numpy()
    if observation_end is not None:
        keep &= (transactions["date"] <= pd.Timestamp(observation_end)).to_numpy()
    ids = transactions["customer_id"].to_numpy()[keep]
    codes = (pd.factorize(ids)[0] if index is None else customer_positions(index, ids)).astype(
        np.int64
    )
    days = day_numbers(transactions["date"])[keep]
    codes, days = codes[codes >= 0], days[codes >= 0]
    if days.size == 0:
        return codes, days
    low = days.min()
    # One sort of (customer, day) keys; same-day purchases collapse to one purchase day.
    key = distinct(codes * (1 << 32) + (days - low))
    return key >> 32, (key & ((1 << 32) - 1)) + low


def inter_purchase_gaps(
    transactions: pd.DataFrame, observation_end: pd.Timestamp | str | None = None
) -> np.ndarray:
    """Days between each customer's consecutive purchase days (returns and same-day buys ignored).

    Returns
    -------
    ndarray of int64, one value per repeat purchase day.
    """
    return _gaps_and_customers(transactions, observation_end)[0]


def _gaps_and_customers(
    transactions: pd.DataFrame, observation_end: pd.Timestamp | str | None
) -> tuple[np.ndarray, np.ndarray]:
    """The gaps (as above) and the customer code of each."""
    customer, day = purchase_day_pairs(transactions, observation_end)
    same = customer[1:] == customer[:-1]
    return np.diff(day)[same], customer[1:][same]


def customer_weights(customers: np.ndarray) -> np.ndarray:
    """Weight 1 / (the customer's number of gaps) per gap: every customer counts once."""
    _ids, inverse, counts = np.unique(customers, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse.reshape(-1)]


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, levels: tuple[float, ...]
) -> np.ndarray:
    """For each level q, the smallest value whose cumulative weight share reaches q."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    positions = np.searchsorted(cumulative, np.asarray(levels) * cumulative[-1] * (1 - 1e-12))
    return values[order][np.minimum(positions, len(values) - 1)].astype(float)


def activity_spells(
    transactions: pd.DataFrame,
    window_days: int,
    observation_end: pd.Timestamp | str | None = None,
    index: pd.Index | None = None,
) -> pd.DataFrame:
    """Spells of activity: from a (re)starting purchase until ``window_days`` pass without one.

    A customer lapses on the first day with more than ``window_days`` days since their last
    purchase (last purchase + window + 1 day); a later purchase starts a new spell. Judged only on
    what was known at each date, so every period is treated alike (a customer who lapsed and
    returned after the observation end still lapsed).

    Returns
    -------
    DataFrame
        customer (position in ``index``, or a code per customer id), start, lapse (Timestamp; NaT
        while the spell is still open at the observation end), returning (not the customer's
        first spell: a reactivation). Sorted by customer and start.
    """
    end = end_of(transactions, observation_end)
    customer, day = purchase_day_pairs(transactions, end, index)
    new_customer = np.ones(customer.size, bool)
    new_customer[1:] = customer[1:] != customer[:-1]
    gap_ok = np.zeros(customer.size, bool)
    gap_ok[1:] = (day[1:] - day[:-1]) <= window_days
    starts = new_customer | ~gap_ok
    spell_end = np.append(starts[1:], True)  # the last purchase day of each spell
    lapse = day[spell_end] + window_days + 1
    open_ = lapse > day_number(end)
    return pd.DataFrame(
        {
            "customer": customer[starts],
            "start": dates_of_days(day[starts]),
            "lapse": pd.Series(dates_of_days(lapse)).where(~open_).to_numpy(),
            "returning": ~new_customer[starts],
        }
    )


def spells_from_table(table: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """:func:`activity_spells` from the ``activity_spells`` table (DuckDB or Spark), for the
    customers of ``index``."""
    customer = index_positions(index, table["customer_id"])
    keep = customer >= 0
    out = pd.DataFrame(
        {
            "customer": customer[keep].astype(np.int64),
            "start": pd.to_datetime(table["start"]).to_numpy()[keep].astype("datetime64[ns]"),
            "lapse": pd.to_datetime(table["lapse"]).to_numpy()[keep].astype("datetime64[ns]"),
            "returning": table["returning"].to_numpy(dtype=bool)[keep],
        }
    )
    return out.sort_values(["customer", "start"], kind="stable").reset_index(drop=True)


GAP_COUNT_COLUMNS = ("gap_days", "repeat_purchases", "customer_weight")


def gap_counts(
    transactions: pd.DataFrame, observation_end: pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """The gaps between purchase days counted per length: all :func:`gap_profile` needs.

    Returns
    -------
    DataFrame
        gap_days (sorted), repeat_purchases (gaps of that length) and customer_weight (the sum of
        1 / (the customer's number of gaps) over them: each customer's gaps share one vote). The
        same table as :func:`cvm_core.intake.aggregations.gap_counts_sql`.
    """
    gaps, customers = _gaps_and_customers(transactions, observation_end)
    lengths, slot = np.unique(gaps, return_inverse=True)
    slot = slot.reshape(-1)
    weights = customer_weights(customers) if gaps.size else np.zeros(0)
    return pd.DataFrame(
        {
            "gap_days": lengths.astype(np.int64),
            "repeat_purchases": np.bincount(slot, minlength=len(lengths)).astype(np.int64),
            "customer_weight": np.bincount(slot, weights, minlength=len(lengths)),
        }
    )


def gap_profile(
    transactions: pd.DataFrame,
    observation_end: pd.Timestamp | str | None = None,
    quantile: float = DEFAULT_GAP_QUANTILE,
    bins: int = 40,
) -> GapProfile:
    """Summarise inter-purchase gaps and suggest a churn window (see :func:`inter_purchase_gaps`).

    Parameters
    ----------
    quantile : float, default 0.9
        The suggested window is this quantile of the gaps.
    bins : int
        Histogram bins up to the 99th percentile.
    """
    return profile_from_gap_counts(gap_counts(transactions, observation_end), quantile, bins)


def profile_from_gap_counts(
    counts: pd.DataFrame, quantile: float = DEFAULT_GAP_QUANTILE, bins: int = 40
) -> GapProfile:
    """:func:`gap_profile` from :func:`gap_counts` (or the same table from DuckDB or Spark)."""
    if not 0 < quantile < 1:
        raise ValidationError(
            Message(
                N_("The gap percentile for the churn window must be between {low} and {high}."),
                low=0, high=1,
            )
        )  # fmt: skip
    counts = counts.sort_values("gap_days")
    gaps = counts["gap_days"].to_numpy(dtype=np.int64)
    repeats = counts["repeat_purchases"].to_numpy(dtype=np.int64)
    weights = counts["customer_weight"].to_numpy(dtype=float)
    if repeats.sum() == 0:
        empty = pd.DataFrame(
            columns=[
                "gap_from",
                "gap_to",
                "repeat_purchases",
                "open_ended",
                "share",
                "cumulative_share",
            ]
        )
        note = (
            "No customer bought on two different days, so the data cannot suggest a churn window; "
            f"{formatting.counted(FALLBACK_WINDOW_DAYS, 'day')} is used. Set one that suits your business."
        )
        return GapProfile(0, {}, FALLBACK_WINDOW_DAYS, quantile, empty, note)
    levels = (0.5, 0.75, 0.9, 0.95)
    # Equal gaps summed into one value with their summed weight: the same quantiles.
    values = weighted_quantiles(gaps, weights, levels)
    window = weighted_quantiles(gaps, weights, (quantile,))[0]
    suggested = min(max(int(math.ceil(window)), MIN_WINDOW_DAYS), MAX_WINDOW_DAYS)
    note = ""
    if window > MAX_WINDOW_DAYS:
        note = (
            f"The gaps between purchases suggest a churn window of "
            f"{formatting.counted(int(math.ceil(window)), 'day')}, longer than the "
            f"{formatting.counted(MAX_WINDOW_DAYS, 'day')} the window can be set to; "
            f"{formatting.counted(MAX_WINDOW_DAYS, 'day')} is used. Check the dates: purchases "
            "decades apart often mean mistyped years."
        )
    return GapProfile(
        repeat_purchases=int(repeats.sum()),
        quantiles={q: float(v) for q, v in zip(levels, values, strict=True)},
        suggested_window_days=suggested,
        quantile=quantile,
        histogram=_gap_histogram(gaps, repeats, weights, bins),
        repeat_customers=int(weights.sum().round()),
        note=note,
    )


def _counted_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """np.quantile (linear) of the values each repeated its count times, without repeating them."""
    n = int(counts.sum())
    position = (n - 1) * q
    low = int(math.floor(position))
    ends = np.cumsum(counts)  # sorted rank k holds values[searchsorted(ends, k, "right")]
    at = values[np.searchsorted(ends, [low, min(low + 1, n - 1)], side="right")].astype(float)
    return float(at[0] + (position - low) * (at[1] - at[0]))


def _gap_histogram(
    gaps: np.ndarray, repeats: np.ndarray, weights: np.ndarray, bins: int
) -> pd.DataFrame:
    top = max(_counted_quantile(gaps, repeats, 0.99), 1.0)
    width = max(int(math.ceil(top / bins)), 1)
    edges = np.arange(0, top + width, width, dtype=float)
    slot = np.minimum(gaps // width, len(edges) - 1).astype(np.int64)
    counts = np.bincount(slot, repeats, minlength=len(edges))[: len(edges)]
    weight = np.bincount(slot, weights=weights, minlength=len(edges))[: len(edges)]
    out = pd.DataFrame(
        {
            "gap_from": edges,
            "gap_to": edges + width,
            "repeat_purchases": counts.astype(np.int64),
            "open_ended": np.arange(len(edges)) == len(edges) - 1,  # collects the longest gaps
        }
    )
    out["share"] = weight / weights.sum()
    out["cumulative_share"] = out["share"].cumsum()
    return out[out["repeat_purchases"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class ChurnRule(Settings):
    """When a customer counts as churned.

    Parameters
    ----------
    window_days : int
        Inactivity window: churned after this many days without a purchase. Also the minimum age
        before any customer can be called churned (under either method).
    method : {"inactivity", "p_alive"}
    p_alive_threshold : float
        With method "p_alive": churned when P(alive) is below this.
    """

    window_days: int = setting(FALLBACK_WINDOW_DAYS, low=1, high=MAX_WINDOW_DAYS)
    method: str = setting(INACTIVITY, choices=(INACTIVITY, P_ALIVE))
    p_alive_threshold: float = setting(DEFAULT_P_ALIVE_THRESHOLD, low=0.01, high=0.99)

    def __post_init__(self) -> None:
        if self.method not in (INACTIVITY, P_ALIVE):
            raise ValidationError(
                Message(N_("Unknown churn method '{method}'."), method=self.method)
            )
        if not (isinstance(self.window_days, int | np.integer) and self.window_days >= 1):
            raise ValidationError(
                Message(
                    N_("The churn window must be a whole number of days, at least {low}."), low=1
                )
            )
        if not 0 < self.p_alive_threshold < 1:
            raise ValidationError(
                Message(
                    N_("The P(alive) threshold must be between {low} and {high}."),
                    low=Percent(0, 0), high=Percent(1, 0),
                )
            )  # fmt: skip

    def describe(self) -> str:
        """The rule in one sentence, for the page and exports."""
        window = formatting.counted(self.window_days, "day")
        young = _(
            "Customers whose first purchase is less than {window} before the observation end are "
            "too new to tell and never counted as churned."
        ).format(window=window)
        if self.method == P_ALIVE:
            return _(
                "Churned: the CLV model's probability that the customer is still active, P(alive), "
                "is below {threshold}. {young}"
            ).format(threshold=formatting.pct(self.p_alive_threshold, 0), young=young)
        return _("Churned: no purchase in the last {window}. {young}").format(
            window=window, young=young
        )


def churn_status(
    summary: pd.DataFrame,
    rule: ChurnRule,
    observation_end: pd.Timestamp | str | None = None,
    p_alive: pd.Series | None = None,
) -> pd.DataFrame:
    """Each customer's status under the rule, and their lifetime for survival analysis.

    Parameters
    ----------
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` (first_purchase, last_purchase, purchase_days).
    rule : ChurnRule
    observation_end : Timestamp or str, optional
        Default: the latest last_purchase.
    p_alive : Series, optional
        P(alive) by customer_id; required with ``rule.method == "p_alive"``, where customers it
        lacks are judged by inactivity. Kept as a column either way (the at-risk list uses it).

    Returns
    -------
    DataFrame
        Indexed like ``summary``: first_purchase, last_purchase, days_since_last, tenure_days,
        mean_gap_days (NaN with one purchase day), old_enough, churned, status, churn_date (the
        first day without a purchase for more than the window, for inactivity churners; else NaT),
        lifetime_days, event (lifetime ended, i.e. churned), p_alive (when given).

    A churned customer's lifetime ends when churn is declared, on the first day with more than
    the window since their last purchase (at the observation end if a P(alive) rule declared it
    sooner), not at the last purchase: a one-time buyer who never came back was a customer for
    the window, not for 0 days, and with half the customers buying once the median lifetime
    would otherwise be 0 days. Active and too-new customers are followed up to the observation
    end (censored).
    """
    require(summary, ("first_purchase", "last_purchase", "purchase_days"), N_("customer summary"))
    end = (
        pd.Timestamp(observation_end)
        if observation_end is not None
        else summary["last_purchase"].max()
    )
    if rule.method == P_ALIVE and p_alive is None:
        raise ValidationError(
            Message(
                N_("Churn by P(alive) needs the CLV model: fit it on the Customer Lifetime Value "
                   "page.")
            )
        )  # fmt: skip
    first, last = summary["first_purchase"], summary["last_purchase"]
    since_last = (end - last).dt.days.to_numpy()
    tenure = (end - first).dt.days.to_numpy()
    old_enough = tenure >= rule.window_days
    inactive = old_enough & (since_last > rule.window_days)
    span = (last - first).dt.days.to_numpy().astype(float)
    repeats = summary["purchase_days"].to_numpy() - 1
    columns: dict[str, object] = {
        "first_purchase": first,
        "last_purchase": last,
        "days_since_last": since_last,
        "tenure_days": tenure,
        "mean_gap_days": np.divide(
            span, repeats, out=np.full(len(span), np.nan), where=repeats > 0
        ),
    }
    churned = inactive
    if p_alive is not None:
        prob = p_alive.reindex(summary.index).to_numpy(dtype=float)
        columns["p_alive"] = prob
        if rule.method == P_ALIVE:
            churned = np.where(
                np.isnan(prob), inactive, old_enough & (prob < rule.p_alive_threshold)
            )
    flagged = last + pd.Timedelta(days=rule.window_days + 1)
    columns |= {
        "old_enough": old_enough,
        "churned": churned,
        "status": np.where(churned, CHURNED, np.where(old_enough, ACTIVE, TOO_NEW)),
        "churn_date": flagged.where(pd.Series(inactive, index=summary.index)),
        "lifetime_days": np.where(
            churned, np.minimum(span + rule.window_days + 1, tenure), tenure
        ).astype(float),
        "event": churned,
    }
    return pd.DataFrame(columns, index=summary.index)
