"""The target customers' numbers while the levers are applied one after another."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cvm_core.analyses.profitability.pnl import operating_profit
from cvm_core.analyses.profitability.scenario_base import ScenarioBase

# --- the levers ----------------------------------------------------------------------------------


@dataclass
class Working:
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
    def start(cls, base: ScenarioBase, target: np.ndarray) -> Working:
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
