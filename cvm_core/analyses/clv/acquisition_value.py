"""The value of a new customer by source, built on :mod:`.acquisition`'s view of the new
customers: CLV against acquisition cost (CLV/CAC), the months of expected profit it takes to earn
the cost back, the range of a source's average CLV and the chance it exceeds the cost, and a
what-if that moves acquisition budget from one source to another.

Payback months count forward from today: the first month in which the source's new customers'
expected profit (margin minus cost-to-serve, undiscounted, from the fitted model) adds up to
their average acquisition cost; none when that does not happen within the CLV horizon. Moving
budget assumes each source wins customers at its current average cost: moving X from A to B wins
X / CAC_B customers at B's average CLV and loses X / CAC_A at A's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.clv.acquisition import ALL_CHANNELS, acquisition_view, new_customers
from cvm_core.analyses.clv.fit import CLVFit
from cvm_core.analyses.clv.histories import factorize_rows
from cvm_core.analyses.clv.intervals import clv_intervals
from cvm_core.analyses.clv.transaction_model import alive_purchases, month_grid
from cvm_core.analyses.clv.values import CLVValues
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, _

OLDER = "(not new)"
LEVEL = 0.80
SOURCE_COLUMNS = (
    "channel", "customers", "acquisition_cost", "clv", "clv_low", "clv_high", "clv_minus_cost",
    "clv_per_cost", "payback_months", "pays_back_chance",
)  # fmt: skip


@dataclass(frozen=True)
class SourceValue:
    """New customers' value per source.

    Attributes
    ----------
    table : DataFrame
        :data:`SOURCE_COLUMNS`, sources by CLV minus cost, "All channels" last. ``clv_low`` /
        ``clv_high``: the 80% range of the source's average CLV; ``pays_back_chance``: share of
        draws in which that average exceeds the average acquisition cost.
    draws : DataFrame
        The average CLV of a new customer per source (columns) in each draw (rows).
    by : str
        The customer-table column the sources come from.
    """

    table: pd.DataFrame
    draws: pd.DataFrame
    by: str


def value_by_source(
    fit: CLVFit,
    values: CLVValues,
    customers: pd.DataFrame | None,
    observation_end: pd.Timestamp,
    by: str = "acquisition_channel",
    draws: int = 100,
    random_state: int = 0,
) -> SourceValue | None:
    """CLV/CAC, payback months and ranges per source; None without acquisition costs or new
    customers (see :func:`.acquisition.acquisition_view`)."""
    clv = values.customers["clv"]
    first = fit.summary["first_purchase"]
    table = acquisition_view(clv, first, customers, observation_end, by)
    new = new_customers(clv, first, customers, observation_end, by)
    if table is None or new is None:
        return None
    groups = pd.Series(OLDER, index=clv.index).astype(object)
    groups[new.index] = new["channel"]
    ranges = clv_intervals(
        values.customers, fit.summary, fit.model, fit.spend, fit.settings.unit,
        values.settings.horizon_months, values.settings.discount_rate, groups, (LEVEL,), draws,
        random_state,
    )  # fmt: skip
    sizes = new["channel"].value_counts()
    per_customer = pd.DataFrame(
        {c: ranges.draws[c] / sizes[c] for c in sizes.index}
        | {ALL_CHANNELS: ranges.draws[list(sizes.index)].sum(axis=1) / sizes.sum()}
    )
    cumulative = cumulative_profit(values.customers.loc[new.index], fit, values)
    months = payback_months(cumulative, new)
    table["clv_low"] = [per_customer[c].quantile((1 - LEVEL) / 2) for c in table["channel"]]
    table["clv_high"] = [per_customer[c].quantile((1 + LEVEL) / 2) for c in table["channel"]]
    table["payback_months"] = table["channel"].map(months)
    table["pays_back_chance"] = [
        float((per_customer[c] > cost).mean())
        for c, cost in zip(table["channel"], table["acquisition_cost"], strict=True)
    ]
    return SourceValue(table[list(SOURCE_COLUMNS)], per_customer, by)


def cumulative_profit(customers: pd.DataFrame, fit: CLVFit, values: CLVValues) -> pd.DataFrame:
    """Each customer's expected profit (undiscounted) by the end of each month from now, 1..H:
    expected purchases so far times what a purchase leaves after cost-to-serve, as in CLV."""
    model = fit.model
    horizon = values.settings.horizon_months
    summary = fit.summary.loc[customers.index]
    x, age = summary["frequency"].to_numpy(float), summary["T"].to_numpy(float)
    codes, (ux, uage) = factorize_rows(x, age)
    path = alive_purchases(
        model.model, model._params(), ux, uage, month_grid(horizon, fit.settings.unit)
    )
    purchases = customers["p_alive"].to_numpy()[:, None] * path[codes][:, 1:]
    rate = customers["purchase_rate"].to_numpy()
    per_purchase = (
        customers["margin_rate"].to_numpy() * customers["expected_spend"].to_numpy()
        - customers["cost_per_purchase"].to_numpy()
        - np.divide(customers["cost_per_period"].to_numpy(), rate, out=np.zeros(len(rate)), where=rate > 0)
    )  # fmt: skip
    return pd.DataFrame(
        purchases * per_purchase[:, None], index=customers.index, columns=range(1, horizon + 1)
    )


def payback_months(cumulative: pd.DataFrame, new: pd.DataFrame) -> dict[str, float]:
    """Per source (and all channels), the first month whose average cumulative profit reaches the
    average acquisition cost; NaN when it does not within the horizon."""
    out = {}
    labelled = new["channel"].reindex(cumulative.index)
    for channel, members in [*cumulative.groupby(labelled), (ALL_CHANNELS, cumulative)]:
        path = members.mean().to_numpy()
        cost = float(new.loc[members.index, "acquisition_cost"].mean())
        reached = np.nonzero(path >= cost)[0]
        out[str(channel)] = float(reached[0] + 1) if len(reached) else float("nan")
    return out


@dataclass(frozen=True)
class BudgetMove:
    """What moving ``amount`` of acquisition budget from ``source`` to ``target`` would do."""

    source: str
    target: str
    amount: float
    customers_lost: float
    customers_won: float
    value_change: float
    better_chance: float

    def sentence(self, currency: str) -> str:
        text = (
            _("Moving {amount} from {source} to {target} wins {won} customers there and {lost} "
              "fewer in {source}: {change} of future profit (more), better with probability "
              "{chance}.")
            if self.value_change >= 0 else
            _("Moving {amount} from {source} to {target} wins {won} customers there and {lost} "
              "fewer in {source}: {change} of future profit (less), better with probability "
              "{chance}.")
        )  # fmt: skip
        return text.format(
            amount=formatting.money(self.amount, currency), source=self.source, target=self.target,
            won=formatting.count(self.customers_won), lost=formatting.count(self.customers_lost),
            change=formatting.money(self.value_change, currency),
            chance=formatting.pct(self.better_chance, 0),
        )  # fmt: skip


def move_budget(value: SourceValue, source: str, target: str, amount: float) -> BudgetMove:
    """The customers and future profit gained and lost by moving ``amount`` between sources."""
    table = value.table.set_index("channel")
    for name in (source, target):
        if name not in table.index or name == ALL_CHANNELS:
            known = ", ".join(c for c in table.index if c != ALL_CHANNELS)
            raise ValidationError(
                Message(N_("No source called '{name}'; sources: {known}."), name=name, known=known)
            )
    if amount < 0:
        raise ValidationError(Message(N_("The budget to move is an amount of money above zero.")))
    cost = table["acquisition_cost"]
    if cost[source] <= 0 or cost[target] <= 0:
        raise ValidationError(
            Message(N_("Budget can only move between sources with an acquisition cost."))
        )
    lost, won = amount / cost[source], amount / cost[target]
    change = won * value.draws[target] - lost * value.draws[source]
    return BudgetMove(
        source, target, float(amount), float(lost), float(won),
        float(won * table.loc[target, "clv"] - lost * table.loc[source, "clv"]),
        float((change > 0).mean()) if amount > 0 else float("nan"),
    )  # fmt: skip


def source_takeaway(value: SourceValue, currency: str) -> str:
    """The best and worst source by CLV per unit of acquisition cost, with their payback."""
    rows = value.table[value.table["channel"] != ALL_CHANNELS].dropna(subset=["clv_per_cost"])
    if rows.empty:
        return _("No source has a known acquisition cost.")
    ranked = rows.sort_values("clv_per_cost", ascending=False)
    best, worst = ranked.iloc[0], ranked.iloc[-1]

    def payback(row) -> str:
        months = row["payback_months"]
        if not np.isfinite(months):
            return _("not within the horizon")
        return _("in {months}").format(months=formatting.counted(months, "month"))

    return _(
        "A new customer from {best} brings {best_ratio}x their acquisition cost of {cost} and "
        "pays it back {best_payback}; from {worst}, {worst_ratio}x, paid back {worst_payback}."
    ).format(
        best=best["channel"], best_ratio=formatting.number(best["clv_per_cost"], 1),
        cost=formatting.money(best["acquisition_cost"], currency), best_payback=payback(best),
        worst=worst["channel"], worst_ratio=formatting.number(worst["clv_per_cost"], 1),
        worst_payback=payback(worst),
    )  # fmt: skip
