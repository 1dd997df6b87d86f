"""The acquisition cost view: is a newly won customer worth what it cost to win them?

For customers acquired in the last :data:`NEW_CUSTOMER_DAYS` before the observation end whose
acquisition cost the customer table gives, their CLV (future profit after cost-to-serve) is set
against that cost, overall and per acquisition channel. The acquisition cost is already spent, so
it does not enter CLV itself; the view says which channels bring customers worth more than they
cost to win.
"""

from __future__ import annotations

import pandas as pd

from cvm_core import formatting
from cvm_core.i18n import N_, _

NEW_CUSTOMER_DAYS = 365
"""Customers whose first purchase lies within this many days of the observation end are new."""
ALL_CHANNELS = N_("All channels")
ACQUISITION_COLUMNS = (
    "channel", "customers", "acquisition_cost", "clv", "clv_minus_cost", "clv_per_cost",
)  # fmt: skip


def new_customers(
    clv: pd.Series,
    first_purchase: pd.Series,
    customers: pd.DataFrame | None,
    observation_end: pd.Timestamp,
    by: str = "acquisition_channel",
) -> pd.DataFrame | None:
    """The new customers with a known acquisition cost: their source (the ``by`` column of the
    customer table: acquisition channel, region ...), cost and CLV. None without costs or
    without new customers."""
    if customers is None or "acquisition_cost" not in customers:
        return None
    cost = pd.to_numeric(customers["acquisition_cost"], errors="coerce").reindex(clv.index)
    since = pd.Timestamp(observation_end) - pd.Timedelta(days=NEW_CUSTOMER_DAYS)
    new = (first_purchase.reindex(clv.index) > since) & cost.notna()
    if not new.any():
        return None
    channel = (
        customers[by].reindex(clv.index).fillna("(not recorded)").astype(str)
        if by in customers
        else pd.Series(ALL_CHANNELS, index=clv.index)
    )
    return pd.DataFrame({"channel": channel, "acquisition_cost": cost, "clv": clv})[new]


def acquisition_view(
    clv: pd.Series,
    first_purchase: pd.Series,
    customers: pd.DataFrame | None,
    observation_end: pd.Timestamp,
    by: str = "acquisition_channel",
) -> pd.DataFrame | None:
    """Average acquisition cost and CLV of the new customers, per source and in total.

    ``by``: the customer-table column that names the source (acquisition channel by default;
    region, campaign ...). The column keeps the name ``channel`` whatever the source.

    Returns
    -------
    DataFrame or None
        Columns :data:`ACQUISITION_COLUMNS` (averages per customer, in the dataset's currency;
        clv_per_cost NaN where nothing was spent), channels by CLV minus cost, the total last.
        None when the customer table has no acquisition cost or no customer is new.
    """
    frame = new_customers(clv, first_purchase, customers, observation_end, by)
    if frame is None:
        return None
    by_channel = frame.groupby("channel", sort=False).agg(
        customers=("clv", "size"),
        acquisition_cost=("acquisition_cost", "mean"),
        clv=("clv", "mean"),
    )
    by_channel.loc[ALL_CHANNELS] = [
        len(frame),
        frame["acquisition_cost"].mean(),
        frame["clv"].mean(),
    ]
    table = by_channel.reset_index()
    table["clv_minus_cost"] = table["clv"] - table["acquisition_cost"]
    table["clv_per_cost"] = table["clv"] / table["acquisition_cost"].where(
        table["acquisition_cost"] > 0
    )
    channels = table[table["channel"] != ALL_CHANNELS].sort_values(
        "clv_minus_cost", ascending=False, kind="stable"
    )
    total = table[table["channel"] == ALL_CHANNELS]
    out = pd.concat([channels, total], ignore_index=True)
    out["customers"] = out["customers"].astype(int)
    return out[list(ACQUISITION_COLUMNS)]


def acquisition_takeaway(table: pd.DataFrame, currency: str) -> str:
    """Whether a new customer is worth their acquisition cost, and the best and worst channel."""
    total = table.iloc[-1]
    money = formatting.money
    cost, clv = money(total["acquisition_cost"], currency), money(total["clv"], currency)
    channels = table.iloc[:-1]
    if len(channels) < 2:
        return _(
            "A customer won in the last year cost {cost} to acquire and is expected to bring "
            "{clv} of future profit."
        ).format(cost=cost, clv=clv)
    best, worst = channels.iloc[0], channels.iloc[-1]
    return _(
        "A customer won in the last year cost {cost} to acquire and is expected to bring {clv} "
        "of future profit; best channel {best} ({best_gain} more than it costs), worst {worst} "
        "({worst_gain})."
    ).format(
        cost=cost, clv=clv, best=best["channel"], worst=worst["channel"],
        best_gain=money(best["clv_minus_cost"], currency),
        worst_gain=money(worst["clv_minus_cost"], currency),
    )  # fmt: skip
