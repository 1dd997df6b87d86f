"""What the what-if levers need, prepared once per customer P&L: each activity's volumes and costs as
one contiguous row, orders per channel, orders sorted by value, today's ranking and curve; and the
masks that pick the target customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.analyses.profitability.curve import (
    WhaleSummary,
    key_points,
)
from cvm_core.analyses.profitability.drilldown import channel_order_costs
from cvm_core.analyses.profitability.drivers import channel_order_counts
from cvm_core.analyses.profitability.pnl import CustomerPnL
from cvm_core.analyses.profitability.whatif_settings import (
    TARGET_ALL,
    TARGET_UNPROFITABLE,
    TIER_PREFIX,
)
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message

_MEMO_SIZE = (
    8  # order-value limits remembered per P&L (each is two arrays of one float per customer)
)


# --- what is prepared once per P&L ---------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioBase:
    """Today's customer P&L in the shape the levers need (see the module docstring).

    Per-customer arrays are in the P&L's row order; ``volumes`` and ``costs`` have one row per
    activity (activities x customers) so that a lever reads one activity as one contiguous row.
    """

    index: pd.Index
    revenue: np.ndarray
    returns: np.ndarray
    cogs: np.ndarray
    cost_to_serve: np.ndarray
    profit: np.ndarray
    volumes: np.ndarray
    costs: np.ndarray
    rates: np.ndarray
    activities: tuple[str, ...]
    drivers: tuple[str, ...]
    activity_totals: np.ndarray  # cost assigned per activity, all customers
    channels: tuple[str, ...]
    channel_orders: np.ndarray  # channels x customers
    channel_costs: pd.DataFrame
    order_count: np.ndarray
    order_value_sorted: np.ndarray
    order_customer_sorted: np.ndarray
    small_order_threshold: float
    worst_first: np.ndarray  # customer positions by today's profit, lowest first (stable)
    today_cum: np.ndarray  # cumulative profit by rank, most profitable first, from 0
    today: WhaleSummary
    today_ranks: dict[str, int]
    _below: dict[float, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def customers(self) -> int:
        return len(self.profit)

    @property
    def total_profit(self) -> float:
        return self.today.total_profit

    def columns_with(self, driver: str) -> list[int]:
        """Activities charged on ``driver``."""
        return [j for j, d in enumerate(self.drivers) if d == driver]

    def below(self, limit: float) -> tuple[np.ndarray, np.ndarray]:
        """Per customer: the number and the total value of their orders worth less than ``limit``.

        Orders are sorted by value once, so the orders below a limit are a prefix; a few recent
        limits are remembered because a slider move elsewhere asks for the same one again.
        """
        key = float(limit)
        if key not in self._below:
            k = int(np.searchsorted(self.order_value_sorted, key, side="left"))
            who = self.order_customer_sorted[:k]
            n = self.customers
            counts = np.bincount(who, minlength=n).astype(float)
            values = np.bincount(who, self.order_value_sorted[:k], minlength=n)
            while len(self._below) >= _MEMO_SIZE:
                self._below.pop(next(iter(self._below)))
            self._below[key] = (counts, values)
        return self._below[key]


def _by_activity(frame: pd.DataFrame) -> np.ndarray:
    """Activities x customers, contiguous per activity (a view when pandas already stores it so)."""
    return np.ascontiguousarray(frame.to_numpy(dtype=float).T)


def prepare(result: CustomerPnL) -> ScenarioBase:
    """Everything :func:`apply_scenario` needs that does not depend on the lever settings.

    Parameters
    ----------
    result : CustomerPnL
        Today's customer P&L.

    Returns
    -------
    ScenarioBase
    """
    pnl = result.pnl
    profit = pnl["profit"].to_numpy(dtype=float)
    n = len(profit)
    orders = result.orders
    # Not stable: orders of equal value fall on the same side of any limit, so their order
    # changes no count or sum in below(); 0.16 against 0.36 s for 3.7M orders (10M lines).
    by_value = np.argsort(orders.value)
    worst_first = np.argsort(profit, kind="stable")
    # Sorting ascending and reading backwards gives the same sequence of values as ranking
    # descending, so the cumulative sums equal the whale curve's exactly.
    ranked = profit[worst_first][::-1]
    cum = np.concatenate(([0.0], np.cumsum(ranked)))
    today, ranks = key_points(ranked, cum)
    base = ScenarioBase(
        index=pnl.index,
        revenue=pnl["revenue"].to_numpy(dtype=float),
        returns=pnl["returns"].to_numpy(dtype=float),
        cogs=pnl["cogs"].to_numpy(dtype=float),
        cost_to_serve=pnl["cost_to_serve"].to_numpy(dtype=float),
        profit=profit,
        volumes=_by_activity(result.driver_volumes),
        costs=_by_activity(result.activity_costs),
        rates=result.activities["rate"].to_numpy(dtype=float),
        activities=tuple(result.activities["activity"]),
        drivers=tuple(result.activities["driver"]),
        activity_totals=result.activities["cost"].to_numpy(dtype=float),
        channels=orders.channels,
        channel_orders=np.ascontiguousarray(channel_order_counts(orders, n).T),
        channel_costs=channel_order_costs(result),
        order_count=np.bincount(orders.customer, minlength=n).astype(float),
        order_value_sorted=orders.value[by_value],
        order_customer_sorted=orders.customer[by_value],
        small_order_threshold=result.small_order_threshold,
        worst_first=worst_first,
        today_cum=cum,
        today=today,
        today_ranks=ranks,
    )
    # The minimum-order lever needs the orders below the small-order threshold whatever limit is
    # chosen: counted now, so that the first move of that lever counts only its own limit.
    base.below(result.small_order_threshold)
    return base


def target_mask(base: ScenarioBase, target: str, tiers: pd.Series | None = None) -> np.ndarray:
    """Which customers a scenario applies to (boolean, in the P&L's row order).

    Raises
    ------
    ValidationError
        For a tier target without tiers, or an unknown target.
    """
    if target == TARGET_UNPROFITABLE:
        return base.profit < 0
    if target == TARGET_ALL:
        return np.ones(base.customers, bool)
    if target.startswith(TIER_PREFIX):
        if tiers is None:
            raise ValidationError(
                Message(
                    N_("Value tiers come from the CLV page: run it first, or choose another group.")
                )
            )
        return _tier_mask(tiers, base.index, target[len(TIER_PREFIX) :])
    raise ValidationError(
        Message(
            N_("Unknown customer group '{target}'; choose unprofitable customers, all customers "
               "or a value tier."),
            target=target,
        )
    )  # fmt: skip


def _tier_mask(tiers: pd.Series, index: pd.Index, name: str) -> np.ndarray:
    aligned = tiers if tiers.index.equals(index) else tiers.reindex(index)
    if isinstance(aligned.dtype, pd.CategoricalDtype):
        # Compare the integer codes: a million strings compared one by one take ~100 ms.
        names = aligned.cat.categories.astype(str)
        code = names.get_loc(name) if name in names else -2
        return aligned.cat.codes.to_numpy() == code
    return aligned.astype(str).to_numpy() == name
