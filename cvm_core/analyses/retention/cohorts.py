"""Acquisition cohorts: how each group of new customers keeps buying and spending over time.

A customer's cohort is the period (month, quarter or week) of their first purchase, as in the
customer summary. For every cohort and every period since acquisition the tables hold:

* customer retention: customers who bought in that period / customers acquired (the cohort size),
* net revenue retention: the cohort's net revenue in that period / its net revenue in the
  acquisition period (returns included; above 100% when survivors spend more than at first),
* cumulative net revenue per acquired customer, up to and including that period.

Period 0 is the acquisition period, so customer retention is 100% there by construction. Periods
that end after the observation end are not (fully) observed and are left empty (NaN), not 0%.
Everything is computed on whole arrays: one pass over the transactions, no loop per cohort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

PERIODS: dict[str, str] = {"month": "M", "quarter": "Q", "week": "W-SUN"}
"""Cohort period -> pandas period frequency (weeks run Monday to Sunday)."""

DEFAULT_PERIOD = "month"
PERIOD_LABEL_FORMATS: dict[str, str] = {
    "month": "%b %Y",
    "quarter": "%Y Q%q",
    "week": "wk %d %b %Y",
}
"""How a cohort is named on charts and in exports (a week by its Monday)."""

_EPOCH_MONDAY_OFFSET = 3  # 1970-01-01 was a Thursday: day + 3 counts weeks from Monday


@dataclass(frozen=True)
class CohortTables:
    """Cohort matrices: rows are cohorts (oldest first), columns are periods since acquisition.

    Attributes
    ----------
    period : {"month", "quarter", "week"}
    cohorts : PeriodIndex
        The acquisition periods, oldest first.
    sizes : Series
        Customers acquired per cohort (index: cohort label).
    customer_retention, revenue_retention, cumulative_revenue_per_customer : DataFrame
        Shares (0.25 = 25%) and money; index cohort label, columns 0, 1, ... (periods since
        acquisition); NaN where the period is not fully observed (or, for revenue retention, where
        the acquisition period's net revenue is not positive).
    active_customers, net_revenue : DataFrame
        The counts and sums behind the shares (0 where observed and nobody bought, NaN if not
        observed).
    observation_end : Timestamp
    last_complete_period : Period
        The last period that ends on or before the observation end.
    """

    period: str
    cohorts: pd.PeriodIndex
    sizes: pd.Series
    customer_retention: pd.DataFrame
    revenue_retention: pd.DataFrame
    cumulative_revenue_per_customer: pd.DataFrame
    active_customers: pd.DataFrame
    net_revenue: pd.DataFrame
    observation_end: pd.Timestamp
    last_complete_period: pd.Period

    @property
    def last_complete_label(self) -> str:
        """The last complete period, named like the cohorts ('Dec 2024')."""
        return period_labels(pd.PeriodIndex([self.last_complete_period]), self.period)[0]

    def to_long(self, max_cohorts: int | None = None, max_age: int | None = None) -> pd.DataFrame:
        """One row per observed (cohort, period since acquisition) cell, for charts and downloads.

        Parameters
        ----------
        max_cohorts : int, optional
            Keep only the most recent cohorts (a weekly table over years would be unreadable).
        max_age : int, optional
            Keep periods since acquisition 0..max_age.

        Returns
        -------
        DataFrame
            cohort (label), cohort_start (Timestamp), cohort_order (0 = oldest shown), age,
            cohort_size, active_customers, customer_retention, net_revenue, revenue_retention,
            cumulative_revenue_per_customer. Cells beyond the observation end are left out.
        """
        labels = list(self.sizes.index)
        keep = labels[-max_cohorts:] if max_cohorts else labels
        ages = [a for a in self.customer_retention.columns if max_age is None or a <= max_age]
        frames = {
            "active_customers": self.active_customers,
            "customer_retention": self.customer_retention,
            "net_revenue": self.net_revenue,
            "revenue_retention": self.revenue_retention,
            "cumulative_revenue_per_customer": self.cumulative_revenue_per_customer,
        }
        stacked = {name: frame.loc[keep, ages].to_numpy().ravel() for name, frame in frames.items()}
        out = pd.DataFrame(
            {
                "cohort": np.repeat(keep, len(ages)),
                "cohort_start": np.repeat(self.cohorts[-len(keep) :].to_timestamp(), len(ages)),
                "cohort_order": np.repeat(np.arange(len(keep)), len(ages)),
                "age": np.tile(np.asarray(ages, dtype=np.int64), len(keep)),
                "cohort_size": np.repeat(self.sizes.loc[keep].to_numpy(), len(ages)),
                **stacked,
            }
        )
        return out[out["active_customers"].notna()].reset_index(drop=True)


def customer_positions(index: pd.Index, ids: pd.Series | np.ndarray) -> np.ndarray:
    """Position of each id in ``index`` (-1 if absent), looking up each distinct id only once.

    Hashing a million id strings once (factorize) and then the few distinct ids against the index
    is several times faster than ``index.get_indexer`` on the full column.
    """
    codes, uniques = pd.factorize(np.asarray(ids, dtype=object))
    lookup = np.append(index.get_indexer(uniques), -1)  # code -1 (missing id) -> -1
    return lookup[codes]


def distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (a sort and a mask: faster than np.unique here)."""
    keys = np.sort(keys)
    return keys[np.append(True, keys[1:] != keys[:-1])] if keys.size else keys


def period_ordinals(dates: pd.Series | np.ndarray, period: str) -> np.ndarray:
    """Integer period numbers (consecutive periods differ by 1) of daily dates, vectorised.

    Parameters
    ----------
    dates : Series or ndarray of datetime64
    period : {"month", "quarter", "week"}
    """
    _check_period(period)
    values = np.asarray(dates, dtype="datetime64[D]")
    if period == "week":
        return (values.astype(np.int64) + _EPOCH_MONDAY_OFFSET) // 7
    months = values.astype("datetime64[M]").astype(np.int64)
    return months if period == "month" else months // 3


def ordinal_to_period(ordinals: np.ndarray, period: str) -> pd.PeriodIndex:
    """Inverse of :func:`period_ordinals`, as pandas Periods (for labels and start dates)."""
    ordinals = np.asarray(ordinals, dtype=np.int64)
    if period == "week":
        mondays = (ordinals * 7 - _EPOCH_MONDAY_OFFSET).astype("datetime64[D]")
        return pd.PeriodIndex(pd.DatetimeIndex(mondays), freq=PERIODS["week"])
    months = ordinals if period == "month" else ordinals * 3
    starts = pd.DatetimeIndex(months.astype("datetime64[M]").astype("datetime64[D]"))
    return pd.PeriodIndex(starts, freq=PERIODS[period])


def period_labels(periods: pd.PeriodIndex, period: str) -> list[str]:
    """Readable cohort names: 'Jan 2024', '2024 Q1', 'wk 01 Jan 2024' (week of that Monday)."""
    if period == "week":
        return [p.start_time.strftime(PERIOD_LABEL_FORMATS["week"]) for p in periods]
    return [p.strftime(PERIOD_LABEL_FORMATS[period]) for p in periods]


def cohort_of(first_purchase: pd.Series, period: str) -> pd.Series:
    """Each customer's cohort, labelled as the cohort tables label it, from their first purchase
    (a customer list filtered by the cohorts picked on the heatmap)."""
    dates = pd.to_datetime(first_purchase)
    known = dates.notna().to_numpy()
    ordinals = period_ordinals(dates.to_numpy()[known], period)
    distinct_ordinals, codes = np.unique(ordinals, return_inverse=True)
    labels = np.array(period_labels(ordinal_to_period(distinct_ordinals, period), period), object)
    out = np.full(len(dates), None, dtype=object)
    out[known] = labels[codes]
    return pd.Series(out, index=first_purchase.index, name="cohort")


def last_complete_ordinal(observation_end: pd.Timestamp, period: str) -> int:
    """The last period that ends on or before the observation end."""
    end = np.array([np.datetime64(observation_end, "D")])
    current = int(period_ordinals(end, period)[0])
    next_day = int(period_ordinals(end + 1, period)[0])
    return current if next_day > current else current - 1


def cohort_tables(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    period: str = DEFAULT_PERIOD,
    observation_end: pd.Timestamp | str | None = None,
) -> CohortTables:
    """Build the cohort matrices from the transactions and the customer summary.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, date, revenue, is_return).
    summary : DataFrame
        :func:`cvm_core.intake.summary.customer_summary` of the same transactions (its first_purchase
        defines the cohort; customers with returns only are left out).
    period : {"month", "quarter", "week"}
    observation_end : Timestamp or str, optional
        Default: the last date in the transactions. Later transactions are ignored.

    Returns
    -------
    CohortTables

    Raises
    ------
    ValidationError
        If the data spans fewer than two complete periods, or all customers fall in one cohort.
    """
    _check_period(period)
    _check_columns(transactions, summary)
    end = (
        pd.Timestamp(observation_end) if observation_end is not None else transactions["date"].max()
    )
    buyers = summary[summary["purchase_days"] > 0]
    if buyers.empty:
        raise ValidationError(
            Message(N_("No customer has a purchase (only returns); cohorts need purchases."))
        )
    cohort_ord = period_ordinals(buyers["first_purchase"].to_numpy(), period)
    first_ord = int(cohort_ord.min())
    last_ord = last_complete_ordinal(end, period)
    _check_enough(last_ord - first_ord + 1, np.unique(cohort_ord).size, period)
    # Rows: every period from the first cohort on (a cohort acquired in a last, partial period
    # keeps its acquisition column); columns: ages up to the last complete period.
    shape = (int(cohort_ord.max()) - first_ord + 1, last_ord - first_ord + 1)
    customer_cohort = cohort_ord - first_ord

    in_time = (transactions["date"] <= end).to_numpy()
    position = customer_positions(buyers.index, transactions["customer_id"].to_numpy()[in_time])
    known = position >= 0  # rows of return-only customers have no cohort
    position = position[known]
    tx_ord = period_ordinals(transactions["date"].to_numpy()[in_time][known], period)
    row_cohort = customer_cohort[position]
    age = tx_ord - first_ord - row_cohort
    keep = (age == 0) | ((age > 0) & (tx_ord <= last_ord))
    cell = row_cohort[keep] * shape[1] + age[keep]
    revenue = transactions["revenue"].to_numpy(dtype=float)[in_time][known][keep]
    net = np.bincount(cell, revenue, minlength=shape[0] * shape[1]).reshape(shape)
    purchase = ~transactions["is_return"].to_numpy()[in_time][known][keep]
    active = _distinct_buyers(position[keep][purchase], cell[purchase], shape, len(buyers))
    sizes = np.bincount(customer_cohort, minlength=shape[0])

    present = np.flatnonzero(sizes > 0)  # periods in which nobody was acquired are no cohort
    observed = _observed_mask(shape)[present]
    return _assemble(
        period, first_ord + present, end, last_ord, sizes[present], active[present], net[present],
        observed,
    )  # fmt: skip


def tables_from_cells(cells: pd.DataFrame, period: str = DEFAULT_PERIOD) -> CohortTables:
    """:func:`cohort_tables` from the ``cohort_cells`` table of :mod:`cvm_core.intake.aggregations`
    (DuckDB or Spark): cohort and age (period ordinals), active_customers, net_revenue, and the
    last complete period (last_ord) and observation end (end_day) on every row."""
    _check_period(period)
    if cells.empty:
        raise ValidationError(
            Message(N_("No customer has a purchase (only returns); cohorts need purchases."))
        )
    cohort = cells["cohort"].to_numpy(dtype=np.int64)
    age = cells["age"].to_numpy(dtype=np.int64)
    first_ord, last_ord = int(cohort.min()), int(cells["last_ord"].iloc[0])
    ordinals = np.unique(cohort)
    _check_enough(last_ord - first_ord + 1, ordinals.size, period)
    shape = (int(cohort.max()) - first_ord + 1, last_ord - first_ord + 1)
    active = np.zeros(shape)
    net = np.zeros(shape)
    active[cohort - first_ord, age] = cells["active_customers"].to_numpy(dtype=float)
    net[cohort - first_ord, age] = cells["net_revenue"].to_numpy(dtype=float)
    present = ordinals - first_ord
    sizes = active[present, 0].astype(np.int64)  # every buyer bought in their first period
    return _assemble(
        period, ordinals, pd.Timestamp(cells["end_day"].iloc[0]), last_ord, sizes,
        active[present], net[present], _observed_mask(shape)[present],
    )  # fmt: skip


def _distinct_buyers(
    customer: np.ndarray, cell: np.ndarray, shape: tuple[int, int], n_customers: int
) -> np.ndarray:
    """Customers who bought in each (cohort, age) cell, each counted once per cell."""
    pairs = distinct(cell.astype(np.int64) * n_customers + customer)
    return np.bincount(pairs // n_customers, minlength=shape[0] * shape[1]).reshape(shape)


def _observed_mask(shape: tuple[int, int]) -> np.ndarray:
    """Cohort i (0 = oldest) is fully observed for ages 0 .. n_columns - 1 - i; age 0 always."""
    cohort = np.arange(shape[0])[:, None]
    age = np.arange(shape[1])[None, :]
    return (cohort + age < shape[1]) | (age == 0)


def _assemble(
    period: str,
    ordinals: np.ndarray,
    end: pd.Timestamp,
    last_ord: int,
    sizes: np.ndarray,
    active: np.ndarray,
    net: np.ndarray,
    observed: np.ndarray,
) -> CohortTables:
    cohorts = ordinal_to_period(ordinals, period)
    index = pd.Index(period_labels(cohorts, period), name="cohort")
    columns = pd.Index(np.arange(observed.shape[1]), name="age")

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(np.where(observed, values, np.nan), index=index, columns=columns)

    size_col = sizes[:, None].astype(float)
    base = net[:, :1]
    nrr = np.divide(net, base, out=np.full(net.shape, np.nan), where=base > 0)
    return CohortTables(
        period=period,
        cohorts=cohorts,
        sizes=pd.Series(sizes.astype(np.int64), index=index, name="cohort_size"),
        customer_retention=frame(active / size_col),
        revenue_retention=frame(nrr),
        cumulative_revenue_per_customer=frame(np.cumsum(net, axis=1) / size_col),
        active_customers=frame(active.astype(float)),
        net_revenue=frame(net),
        observation_end=pd.Timestamp(end),
        last_complete_period=ordinal_to_period(np.array([last_ord]), period)[0],
    )


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValidationError(
            Message(N_("Unknown cohort period '{period}'; choose month, quarter or week."), period=period)
        )  # fmt: skip


def _check_columns(transactions: pd.DataFrame, summary: pd.DataFrame) -> None:
    missing = {"customer_id", "date", "revenue", "is_return"} - set(transactions.columns)
    if missing:
        raise ValidationError(
            Message(
                N_("The transactions lack the column(s) {columns}."),
                columns=", ".join(sorted(missing)),
            )
        )
    if not {"first_purchase", "purchase_days"} <= set(summary.columns):
        raise ValidationError(
            Message(N_("The customer summary lacks first_purchase / purchase_days."))
        )


_TOO_SHORT = {
    "month": N_(
        "The data covers less than two complete months, so no cohort can be followed beyond its "
        "first month. Choose a shorter period (e.g. week) or load a longer history."
    ),
    "quarter": N_(
        "The data covers less than two complete quarters, so no cohort can be followed beyond its "
        "first quarter. Choose a shorter period (e.g. week) or load a longer history."
    ),
    "week": N_(
        "The data covers less than two complete weeks, so no cohort can be followed beyond its "
        "first week. Choose a shorter period (e.g. week) or load a longer history."
    ),
}
_ONE_COHORT = {
    "month": N_(
        "All customers made their first purchase in the same month: there is only one cohort to "
        "show. Choose a shorter period (e.g. week) or load data with customers acquired at "
        "different times."
    ),
    "quarter": N_(
        "All customers made their first purchase in the same quarter: there is only one cohort to "
        "show. Choose a shorter period (e.g. week) or load data with customers acquired at "
        "different times."
    ),
    "week": N_(
        "All customers made their first purchase in the same week: there is only one cohort to "
        "show. Choose a shorter period (e.g. week) or load data with customers acquired at "
        "different times."
    ),
}


def _check_enough(n_periods: int, n_cohorts: int, period: str) -> None:
    if n_periods < 2:
        raise ValidationError(Message(_TOO_SHORT[period]))
    if n_cohorts < 2:
        raise ValidationError(Message(_ONE_COHORT[period]))


def coarser_cohorts(long: pd.DataFrame, max_rows: int = 8, max_age: int = 12) -> pd.DataFrame:
    """Cohorts merged into quarters (or years, when more than ``max_rows`` quarters) for a
    heatmap that can be read on a slide: 36 monthly cohorts by 25 months cannot.

    Each merged cell is size-weighted: customers who bought / customers acquired, over the
    cohorts of the group observed at that age.

    Parameters
    ----------
    long : DataFrame
        :meth:`CohortTables.to_long` of every cohort.

    Returns
    -------
    DataFrame
        cohort (label, e.g. "2023" or "2023 Q2"), cohort_order, age, cohort_size (customers
        acquired in the group), active_customers, customer_retention; ages 0..``max_age``.
    """
    starts = pd.to_datetime(long["cohort_start"])
    group = starts.dt.to_period("Q")
    if group.nunique() > max_rows:
        group = starts.dt.to_period("Y")
    labels = group.astype(str).str.replace("Q", " Q", regex=False)
    frame = long.assign(group=labels)
    sizes = frame.drop_duplicates("cohort").groupby("group", sort=False)["cohort_size"].sum()
    cells = (
        frame[frame["age"] <= max_age]
        .groupby(["group", "age"], sort=False)[["active_customers", "cohort_size"]]
        .sum()
        .reset_index()
    )
    cells["customer_retention"] = cells["active_customers"] / cells["cohort_size"]
    order = {name: k for k, name in enumerate(dict.fromkeys(labels))}
    kept = list(order)[-max_rows:]
    cells = cells[cells["group"].isin(kept)]
    return pd.DataFrame(
        {
            "cohort": cells["group"].to_numpy(),
            "cohort_order": cells["group"].map(order).to_numpy(),
            "age": cells["age"].to_numpy(),
            "cohort_size": cells["group"].map(sizes).to_numpy(),
            "active_customers": cells["active_customers"].to_numpy(),
            "customer_retention": cells["customer_retention"].to_numpy(),
        }
    )
