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
from cvm_core.analyses.profitability.curve import (
    MAX_CHART_POINTS,
    WhaleSummary,
    downsample_ranks,
    key_points,
)
from cvm_core.analyses.profitability.levers.registry import LEVERS, lever_active
from cvm_core.analyses.profitability.levers.working import Working
from cvm_core.analyses.profitability.pnl import CustomerPnL
from cvm_core.analyses.profitability.scenario_base import ScenarioBase, prepare, target_mask
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.i18n import _

TODAY = "Today"
AFTER = "After the fixes"


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
    _work: Working = field(repr=False, compare=False)
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
    w = Working.start(base, target_mask(base, scenario.target, tiers))
    today_sum = float(w.view(base.profit).sum())
    before = base.total_profit
    steps = [("Profit today", before, 0.0, before, "total")]
    active = [(label, lever) for label, attribute, lever in LEVERS
              if lever_active(scenario, attribute) and w.idx.size]  # fmt: skip
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
    base: ScenarioBase, w: Working, profit: np.ndarray, moved: bool
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
    summary, ranks = key_points(ranked, cum)
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
    """The assumptions behind the active levers, in words, for the page (in its language)."""
    s, money = scenario, formatting.money
    pct = formatting.pct
    out = [
        _("Activity costs are treated as variable: when customers order, call or buy less, that "
          "cost goes away with them (in practice some capacity cost stays until it is cut).")
    ]  # fmt: skip
    if lever_active(s, "migrate_share"):
        out.append(_(
            "{share} of the chosen customers' {source} orders move to {target} with the same value "
            "and lines; only the per-channel order costs change (deliveries and service counts "
            "stay as they are)."
        ).format(share=pct(s.migrate_share, 0), source=s.migrate_from, target=s.migrate_to))  # fmt: skip
    if lever_active(s, "small_order_policy") and s.small_order_policy == "surcharge":
        out.append(_(
            "A surcharge of {fee} on every order below {limit} is paid in full; nobody orders less "
            "because of it unless you set customers lost below."
        ).format(fee=money(s.surcharge, currency, 2), limit=money(s.order_limit, currency)))  # fmt: skip
    if lever_active(s, "small_order_policy") and s.small_order_policy == "minimum":
        out.append(_(
            "With a minimum order value of {limit}, customers bundle their smaller orders into "
            "orders of that value with the same total spend: fewer orders, the same goods. "
            "Per-order costs fall with the number of orders; deliveries and service counts from "
            "the cost-to-serve table stay as they are."
        ).format(limit=money(s.order_limit, currency)))  # fmt: skip
    if s.service_cut:
        which = ", ".join(s.service_activities) if s.service_activities else _("every activity")
        out.append(_(
            "A lower service level cuts the cost per driver unit of {which} by {cut} for the "
            "chosen customers, without losing sales."
        ).format(which=which, cut=pct(s.service_cut, 0)))  # fmt: skip
    if s.price_increase:
        out.append(_(
            "Prices rise (or discounts shrink) by {rise} for the chosen customers with the same "
            "volumes and cost of goods: no volume loss unless you set customers lost."
        ).format(rise=pct(s.price_increase, 1)))  # fmt: skip
    if s.churn:
        out.append(_(
            "{lost} of the chosen customers leave because of the changes: each one's revenue and "
            "costs count at {kept} (an expected value, not a list of who leaves)."
        ).format(lost=pct(s.churn, 0), kept=pct(1 - s.churn, 0)))  # fmt: skip
    if s.part_with:
        out.append(_(
            "Parting with the least profitable {share} of the chosen customers (by today's "
            "profit) removes their revenue, cost of goods and cost-to-serve entirely."
        ).format(share=pct(s.part_with, 0)))  # fmt: skip
    if sum(lever_active(s, attribute) for _label, attribute, _kind in LEVERS) > 1:
        out.append(_(
            "Each lever's contribution is measured after the levers before it (in the order "
            "shown), so the contributions add up to the total change."
        ))  # fmt: skip
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
