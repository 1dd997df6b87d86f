"""What-if fixes for the tail of the whale curve, recomputed in milliseconds at a million customers.

Levers, applied in this order (each one's contribution is measured after the ones before it, so the
contributions add up to the total change): channel migration, small-order policy (surcharge or
minimum order value), lower service level, price increase, customers lost, parting with the least
profitable. They act on one group of customers (the *target*): today's loss-makers, everyone, or a
value tier from the CLV page.

Why it is fast: everything that does not depend on the lever settings is prepared once per customer
P&L by :func:`prepare` (and cached by the page with the P&L): each activity's volumes and costs as one
contiguous row, orders per channel, orders sorted by value, today's ranking and today's curve. A
slider move then does arithmetic on the target customers' arrays only, and only for the activities a
lever touches. No pass over transactions, no customers x activities matrix, no per-customer
DataFrame (:attr:`ScenarioResult.pnl` builds one only when asked). The largest remaining cost is
sorting the new profits to draw the new curve; with no lever moved even that is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.pnl import (
    CHANNEL_PREFIX,
    ORDERS,
    SMALL_ORDER_THRESHOLD,
    SMALL_ORDERS,
    CustomerPnL,
    channel_order_counts,
    operating_profit,
)
from cvm_core.analyses.profitability.whale import (
    MAX_CHART_POINTS,
    WhaleSummary,
    _key_points,
    channel_order_costs,
    downsample_ranks,
)
from cvm_core.errors import ValidationError

TARGET_UNPROFITABLE = "unprofitable"
TARGET_ALL = "all"
TIER_PREFIX = "tier:"
SMALL_ORDER_POLICIES = ("none", "surcharge", "minimum")

TODAY = "Today"
AFTER = "After the fixes"

_MEMO_SIZE = (
    8  # order-value limits remembered per P&L (each is two arrays of one float per customer)
)


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhaleScenario:
    """What-if fixes, applied to one group of customers (``target``).

    Attributes
    ----------
    target : str
        "unprofitable" (customers losing money today), "all", or "tier:<name>" (a CLV tier).
    migrate_share, migrate_from, migrate_to
        Share (0-1) of the target's orders moved from one ordering channel to another.
    small_order_policy : {"none", "surcharge", "minimum"}
        A surcharge per order below ``order_limit``, or a minimum order value of ``order_limit``.
    order_limit, surcharge : float
        Money in the data's currency.
    service_cut : float
        Cut (0-1) in the cost per driver unit of ``service_activities`` (all when empty).
    price_increase : float
        Price increase or discount cut (0-1) on the target's revenue.
    churn : float
        Share (0-1) of the target expected to leave because of the changes.
    part_with : float
        Share (0-1) of the target, least profitable first, the business parts with.
    """

    target: str = TARGET_UNPROFITABLE
    migrate_share: float = 0.0
    migrate_from: str | None = None
    migrate_to: str | None = None
    small_order_policy: str = "none"
    order_limit: float = SMALL_ORDER_THRESHOLD
    surcharge: float = 0.0
    service_cut: float = 0.0
    service_activities: tuple[str, ...] = ()
    price_increase: float = 0.0
    churn: float = 0.0
    part_with: float = 0.0

    def check(self) -> None:
        """Raise ValidationError for shares outside 0-100%, a bad policy or a negative amount."""
        for name in ("migrate_share", "service_cut", "churn", "part_with", "price_increase"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValidationError(
                    f"'{name.replace('_', ' ').capitalize()}' must be between 0% and 100%."
                )
        if self.small_order_policy not in SMALL_ORDER_POLICIES:
            raise ValidationError(
                f"Unknown small-order policy '{self.small_order_policy}'; choose one of "
                f"{', '.join(SMALL_ORDER_POLICIES)}."
            )
        if self.order_limit < 0 or self.surcharge < 0:
            raise ValidationError("Order values and surcharges must be zero or more.")


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
    by_value = np.argsort(orders.value, kind="stable")
    worst_first = np.argsort(profit, kind="stable")
    # Sorting ascending and reading backwards gives the same sequence of values as ranking
    # descending, so the cumulative sums equal the whale curve's exactly.
    ranked = profit[worst_first][::-1]
    cum = np.concatenate(([0.0], np.cumsum(ranked)))
    today, ranks = _key_points(ranked, cum)
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
                "Value tiers come from the CLV page: run it first, or choose another group."
            )
        return _tier_mask(tiers, base.index, target[len(TIER_PREFIX) :])
    raise ValidationError(
        f"Unknown customer group '{target}'; choose unprofitable customers, all customers or a "
        "value tier."
    )


def _tier_mask(tiers: pd.Series, index: pd.Index, name: str) -> np.ndarray:
    aligned = tiers if tiers.index.equals(index) else tiers.reindex(index)
    if isinstance(aligned.dtype, pd.CategoricalDtype):
        # Compare the integer codes: a million strings compared one by one take ~100 ms.
        names = aligned.cat.categories.astype(str)
        code = names.get_loc(name) if name in names else -2
        return aligned.cat.codes.to_numpy() == code
    return aligned.astype(str).to_numpy() == name


# --- the levers ----------------------------------------------------------------------------------


@dataclass
class _Working:
    """The target customers' numbers while the levers are applied one after another (internal).

    Per-customer arrays hold the target customers only (positions ``idx`` of the P&L). Volumes are
    copied on first change, per activity; the cost-to-serve is today's plus the changes. When the
    target is everyone, today's arrays are read as they are (no gather of a million positions).
    """

    idx: np.ndarray
    target: np.ndarray  # all customers, boolean
    everyone: bool
    revenue: np.ndarray
    returns: np.ndarray
    cogs: np.ndarray
    weight: np.ndarray
    kept: np.ndarray
    volumes: dict[int, np.ndarray] = field(default_factory=dict)
    base_volumes: dict[int, np.ndarray] = field(default_factory=dict)
    service_cut: float = 0.0
    service_columns: np.ndarray | None = None
    _cts: np.ndarray | None = None  # cost-to-serve as of the last change of volumes or service

    @classmethod
    def start(cls, base: ScenarioBase, target: np.ndarray) -> _Working:
        idx = np.flatnonzero(target)
        w = cls(idx, target, idx.size == base.customers, *(np.empty(0),) * 3, np.ones(idx.size),
                np.ones(idx.size, bool))  # fmt: skip
        w.revenue, w.returns, w.cogs = (w.take(a) for a in (base.revenue, base.returns, base.cogs))
        return w

    def view(self, values: np.ndarray) -> np.ndarray:
        """The target customers' values, to read only (today's array itself for everyone)."""
        return values if self.everyone else values[self.idx]

    def take(self, values: np.ndarray) -> np.ndarray:
        """The target customers' values as a new array, to change."""
        return values.copy() if self.everyone else values[self.idx]

    def volume(self, base: ScenarioBase, j: int) -> np.ndarray:
        """Activity ``j``'s volumes of the target customers, to change in place."""
        self._cts = None
        if j not in self.volumes:
            self.base_volumes[j] = self.view(base.volumes[j])
            self.volumes[j] = self.base_volumes[j].copy()
        return self.volumes[j]

    def set_service(self, cut: float, columns: np.ndarray | None) -> None:
        self.service_cut, self.service_columns, self._cts = cut, columns, None

    def cost_to_serve(self, base: ScenarioBase) -> np.ndarray:
        # Price, churn and parting do not change it: computed again only after a change.
        if self._cts is None:
            cts = self.take(base.cost_to_serve)
            for j, volume in self.volumes.items():
                cts += (volume - self.base_volumes[j]) * base.rates[j]
            if self.service_cut:
                cts -= self.service_cut * self._chosen_cost(base, cts)
            self._cts = cts
        return self._cts

    def _chosen_cost(self, base: ScenarioBase, cts: np.ndarray) -> np.ndarray:
        """Cost of the activities whose service level is lowered (all: the whole cost-to-serve)."""
        if self.service_columns is None or self.service_columns.all():
            return cts.copy()
        chosen = np.zeros(self.idx.size)
        for j in np.flatnonzero(self.service_columns):
            if j in self.volumes:
                chosen += self.volumes[j] * base.rates[j]
            else:
                chosen += self.view(base.costs[j])
        return chosen

    def _factor(self) -> np.ndarray | None:
        """Expected share of each target customer that stays (None: all of everyone)."""
        if self.kept.all() and (self.weight == 1.0).all():
            return None
        return np.where(self.kept, self.weight, 0.0)

    def total(self, base: ScenarioBase) -> float:
        """The target's expected operating profit in total (between levers: a sum is enough)."""
        margin = self.revenue - self.returns - self.cogs - self.cost_to_serve(base)
        factor = self._factor()
        return float(margin.sum() if factor is None else np.dot(factor, margin))

    def profit(self, base: ScenarioBase) -> np.ndarray:
        """Expected operating profit of each target customer (0 for those parted with)."""
        gross = self.revenue - self.returns - self.cogs
        profit = operating_profit(gross, self.cost_to_serve(base))
        factor = self._factor()
        return profit if factor is None else factor * profit


def _migrate(w: _Working, base: ScenarioBase, s: WhaleScenario) -> None:
    if s.migrate_from == s.migrate_to or s.migrate_from not in base.channels:
        return
    moved = s.migrate_share * w.view(base.channel_orders[base.channels.index(s.migrate_from)])
    for j in base.columns_with(f"{CHANNEL_PREFIX}{s.migrate_from}"):
        w.volume(base, j)[:] -= moved
    for j in base.columns_with(f"{CHANNEL_PREFIX}{s.migrate_to}"):
        w.volume(base, j)[:] += moved


def _small_orders(w: _Working, base: ScenarioBase, s: WhaleScenario) -> None:
    counts, values = base.below(s.order_limit)
    count = w.view(counts)
    if s.small_order_policy == "surcharge":
        w.revenue += s.surcharge * count
        return
    # Minimum order value: small orders are bundled into orders of the minimum value, same spend.
    bundled = w.view(values) / s.order_limit
    removed = count - bundled
    for j in base.columns_with(ORDERS):
        w.volume(base, j)[:] -= removed
    before = w.view(base.order_count)
    scale = np.divide(before - removed, before, out=np.ones(w.idx.size), where=before > 0)
    for channel in base.channels:
        for j in base.columns_with(f"{CHANNEL_PREFIX}{channel}"):
            w.volume(base, j)[:] *= scale
    small_after = np.zeros(w.idx.size)
    if s.order_limit < base.small_order_threshold:
        # Orders between the limit and the threshold stay small, and so do the bundles.
        still_small = w.view(base.below(base.small_order_threshold)[0]) - count
        small_after = still_small + bundled
    for j in base.columns_with(SMALL_ORDERS):
        w.volume(base, j)[:] = small_after


def _service(w: _Working, base: ScenarioBase, s: WhaleScenario) -> None:
    names = np.asarray(base.activities, dtype=object)
    chosen = np.isin(names, list(s.service_activities)) if s.service_activities else None
    w.set_service(s.service_cut, chosen)


def _price(w: _Working, base: ScenarioBase, s: WhaleScenario) -> None:
    w.revenue *= 1.0 + s.price_increase
    w.returns *= 1.0 + s.price_increase


def _churn(w: _Working, base: ScenarioBase, s: WhaleScenario) -> None:
    w.weight *= 1.0 - s.churn


def _part_with(w: _Working, base: ScenarioBase, s: WhaleScenario) -> None:
    count = int(round(s.part_with * w.idx.size))
    if count <= 0:
        return
    # Today's ranking, lowest profit first, restricted to the target: no sort per slider move.
    if w.everyone:
        w.kept[base.worst_first[:count]] = False
        return
    worst = base.worst_first[w.target[base.worst_first]][:count]
    kept = np.ones(base.customers, bool)
    kept[worst] = False
    w.kept &= kept[w.idx]


_LEVERS = (
    ("Channel migration", "migrate_share", _migrate),
    ("Small-order policy", "small_order_policy", _small_orders),
    ("Lower service level", "service_cut", _service),
    ("Price increase", "price_increase", _price),
    ("Customers lost", "churn", _churn),
    ("Parting with the worst", "part_with", _part_with),
)
"""Levers in the order they are applied; each contribution is measured after the ones before."""


def _lever_active(scenario: WhaleScenario, attribute: str) -> bool:
    value = getattr(scenario, attribute)
    if attribute == "small_order_policy":
        if scenario.order_limit <= 0:
            return False
        return value == "minimum" or (value == "surcharge" and scenario.surcharge > 0)
    return bool(value)


# --- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's effect.

    Attributes
    ----------
    steps : DataFrame
        Waterfall: step, delta, start, end, kind ("total" or "lever").
    before, after : WhaleSummary
        Key points of the curve today and after the fixes (kept customers only).
    curves : DataFrame
        curve ("Today" / "After the fixes"), rank, customer_share (of today's customers),
        cum_profit (money), downsampled.
    target_customers : int
    assumptions : tuple of str
    """

    steps: pd.DataFrame
    before: WhaleSummary
    after: WhaleSummary
    curves: pd.DataFrame
    target_customers: int
    assumptions: tuple[str, ...]
    _base: ScenarioBase = field(repr=False, compare=False)
    _work: _Working = field(repr=False, compare=False)
    _profit: np.ndarray = field(repr=False, compare=False)

    @property
    def profit_before(self) -> float:
        return self.before.total_profit

    @property
    def profit_after(self) -> float:
        return self.after.total_profit

    @property
    def pnl(self) -> pd.DataFrame:
        """Per customer after the fixes (built on request: a million rows take a moment).

        revenue, returns, cogs, cost_to_serve (expected, 0 for customers parted with), profit,
        baseline_profit, target, kept; indexed like the P&L.
        """
        b, w = self._base, self._work

        def scatter(today: np.ndarray, changed: np.ndarray) -> np.ndarray:
            out = today.copy()
            out[w.idx] = changed
            return out

        factor = scatter(np.ones(b.customers), np.where(w.kept, w.weight, 0.0))
        return pd.DataFrame(
            {
                "revenue": scatter(b.revenue, w.revenue) * factor,
                "returns": scatter(b.returns, w.returns) * factor,
                "cogs": scatter(b.cogs, w.cogs) * factor,
                "cost_to_serve": scatter(b.cost_to_serve, w.cost_to_serve(b)) * factor,
                "profit": scatter(b.profit, self._profit),
                "baseline_profit": b.profit,
                "target": w.target,
                "kept": scatter(np.ones(b.customers, bool), w.kept),
            },
            index=b.index,
        )


def apply_scenario(
    base: ScenarioBase | CustomerPnL,
    scenario: WhaleScenario,
    tiers: pd.Series | None = None,
    max_points: int = MAX_CHART_POINTS,
    currency: str = "EUR",
) -> ScenarioResult:
    """Apply what-if fixes to the target customers and recompute profit and the whale curve.

    Parameters
    ----------
    base : ScenarioBase or CustomerPnL
        Today's P&L, prepared by :func:`prepare` (a CustomerPnL is prepared on the fly; the page
        passes the cached base so a slider move does not prepare it again).
    scenario : WhaleScenario
    tiers : Series, optional
        CLV tier per customer, for "tier:<name>" targets.
    max_points : int
        Points per chart: each of the two curves gets a quarter of it.
    currency : str
        For the amounts in the assumptions.

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ValidationError
        Settings outside their range, or a tier target without tiers.
    """
    scenario.check()
    base = base if isinstance(base, ScenarioBase) else prepare(base)
    w = _Working.start(base, target_mask(base, scenario.target, tiers))
    today_sum = float(w.view(base.profit).sum())
    before = base.total_profit
    steps = [("Profit today", before, 0.0, before, "total")]
    active = [(label, lever) for label, attribute, lever in _LEVERS
              if _lever_active(scenario, attribute) and w.idx.size]  # fmt: skip
    profit, running = w.view(base.profit), before
    for i, (label, lever) in enumerate(active):
        lever(w, base, scenario)
        # Customers outside the target do not change: only the target's sum is recomputed. The
        # last step uses the rounded profits the new curve is drawn from, so the steps add up to it.
        if i == len(active) - 1:
            profit = w.profit(base)
            now = before + (float(profit.sum()) - today_sum)
        else:
            now = before + (w.total(base) - today_sum)
        steps.append((label, now - running, running, now, "lever"))
        running = now
    steps.append(("Profit after the fixes", running, 0.0, running, "total"))
    moved = bool(active)
    after, after_cum, after_ranks = _after_curve(base, w, profit, moved)
    curves = pd.concat(
        [
            _curve_frame(TODAY, base.today_cum, base.today_ranks, base.customers, max_points),
            _curve_frame(AFTER, after_cum, after_ranks, base.customers, max_points),
        ],
        ignore_index=True,
    )
    return ScenarioResult(
        steps=pd.DataFrame(steps, columns=["step", "delta", "start", "end", "kind"]),
        before=base.today,
        after=after,
        curves=curves,
        target_customers=int(w.idx.size),
        assumptions=tuple(scenario_assumptions(scenario, currency)),
        _base=base,
        _work=w,
        _profit=profit,
    )


_NOBODY = WhaleSummary(0, 0.0, 0.0, 0.0, None, None, 0.0, 0, 0.0, 0.0, 0.0, 0.0, None, True, False)


def _after_curve(
    base: ScenarioBase, w: _Working, profit: np.ndarray, moved: bool
) -> tuple[WhaleSummary, np.ndarray, dict[str, int]]:
    """Key points and cumulative profit of the kept customers after the fixes."""
    if not moved:
        return base.today, base.today_cum, base.today_ranks
    if w.everyone:
        values = profit if w.kept.all() else profit[w.kept]
    else:
        values = base.profit.copy()
        values[w.idx] = profit
        if not w.kept.all():
            keep = np.ones(base.customers, bool)
            keep[w.idx] = w.kept
            values = values[keep]
    if not values.size:
        return _NOBODY, np.zeros(1), {"start": 0, "end": 0}
    ranked = np.sort(values)[::-1]  # no customer ids needed: the values alone draw the curve
    cum = np.concatenate(([0.0], np.cumsum(ranked)))
    summary, ranks = _key_points(ranked, cum)
    return summary, cum, ranks


def _curve_frame(
    name: str, cum: np.ndarray, key_ranks: dict[str, int], n_today: int, max_points: int
) -> pd.DataFrame:
    """One curve in money against the share of today's customers (parting shortens it).

    A quarter of ``max_points`` per curve: two smooth lines need no more, and every slider move
    sends this chart to the browser again.
    """
    ranks = downsample_ranks(len(cum) - 1, list(key_ranks.values()), max(max_points // 4, 2))
    return pd.DataFrame(
        {
            "curve": name,
            "rank": ranks,
            "customer_share": ranks / max(n_today, 1),
            "cum_profit": cum[ranks],
        }
    )


def scenario_assumptions(scenario: WhaleScenario, currency: str = "EUR") -> list[str]:
    """The assumptions behind the active levers, in words, for the page."""
    s, money = scenario, formatting.money
    out = [
        "Activity costs are treated as variable: when customers order, call or buy less, that "
        "cost goes away with them (in practice some capacity cost stays until it is cut)."
    ]
    if _lever_active(s, "migrate_share"):
        out.append(
            f"{s.migrate_share:.0%} of the chosen customers' {s.migrate_from} orders move to "
            f"{s.migrate_to} with the same value and lines; only the per-channel order costs change "
            "(deliveries and service counts stay as they are)."
        )
    if _lever_active(s, "small_order_policy") and s.small_order_policy == "surcharge":
        out.append(
            f"A surcharge of {money(s.surcharge, currency, 2)} on every order below "
            f"{money(s.order_limit, currency)} is paid in full; nobody orders less because of it "
            "unless you set customers lost below."
        )
    if _lever_active(s, "small_order_policy") and s.small_order_policy == "minimum":
        out.append(
            f"With a minimum order value of {money(s.order_limit, currency)}, customers bundle their "
            "smaller orders into orders of that value with the same total spend: fewer orders, the "
            "same goods. Per-order costs fall with the number of orders; deliveries and service "
            "counts from the cost-to-serve table stay as they are."
        )
    if s.service_cut:
        which = ", ".join(s.service_activities) if s.service_activities else "every activity"
        out.append(
            f"A lower service level cuts the cost per driver unit of {which} by {s.service_cut:.0%} "
            "for the chosen customers, without losing sales."
        )
    if s.price_increase:
        out.append(
            f"Prices rise (or discounts shrink) by {s.price_increase:.1%} for the chosen customers "
            "with the same volumes and cost of goods: no volume loss unless you set customers lost."
        )
    if s.churn:
        out.append(
            f"{s.churn:.0%} of the chosen customers leave because of the changes: each one's "
            f"revenue and costs count at {1 - s.churn:.0%} (an expected value, not a list of who "
            "leaves)."
        )
    if s.part_with:
        out.append(
            f"Parting with the least profitable {s.part_with:.0%} of the chosen customers (by "
            "today's profit) removes their revenue, cost of goods and cost-to-serve entirely."
        )
    if sum(_lever_active(s, a) for _, a, _ in _LEVERS) > 1:
        out.append(
            "Each lever's contribution is measured after the levers before it (in the order shown), "
            "so the contributions add up to the total change."
        )
    return out


def scenario_takeaway(outcome: ScenarioResult, currency: str = "EUR") -> str:
    """Profit before and after the fixes, in one line."""
    money = formatting.money_short
    before, after = outcome.profit_before, outcome.profit_after
    change = after - before
    sign = "+" if change >= 0 else ""
    return (
        f"Profit {money(before, currency)} today, {money(after, currency)} after the fixes "
        f"({sign}{money(change, currency)})"
    )


def waterfall_takeaway(steps: pd.DataFrame, currency: str = "EUR") -> str:
    """The lever that moves profit most."""
    levers = steps[steps["kind"] == "lever"]
    if levers.empty:
        return "No lever moved: profit after the fixes equals profit today"
    top = levers.loc[levers["delta"].abs().idxmax()]
    sign = "+" if top["delta"] >= 0 else ""
    return f"Biggest lever: {top['step'].lower()}, {sign}{formatting.money_short(top['delta'], currency)}"
