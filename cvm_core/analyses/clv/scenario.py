"""What-if treatments per value tier, projected through the fitted CLV model.

A treatment changes what the model assumes about the customers of a tier from now on; it does not
change who is still active today (P(alive) stays as estimated):

* retention uplift u: the expected drop-out falls by u. BG/NBD and MBG/NBD: the mean of each
  customer's posterior drop-out probability p, a / (a + b'), is multiplied by (1 - u) by raising
  b' (a unchanged). Pareto/NBD: the drop-out rate mu is multiplied by (1 - u).
* frequency uplift f: the purchase rate lambda of every customer is multiplied by (1 + f) (its
  posterior Gamma(r + x, alpha + T) becomes Gamma(r + x, (alpha + T) / (1 + f))).
* spend uplift s: expected spend per purchase is multiplied by (1 + s).
* cost c per customer per year, paid for every customer of the tier over the horizon.

For each tier::

    D'             = P(alive) * sum_{m=1..H} (E'_m - E'_(m-1)) / (1 + d) ** (m / 12)
    scenario CLV   = sum over customers of D' * (margin * E[spend] * (1 + s) - cost per purchase)
                     - cost per time unit * D' / (purchase rate * (1 + f))
    incremental    = scenario CLV - baseline CLV
    treatment cost = c * customers * H / 12
    ROI            = (incremental - treatment cost) / treatment cost

where E'_m are the alive-customer expected purchases up to month m under the changed parameters
(:func:`cvm_core.analyses.clv.fit.alive_purchases`). The cost-to-serve terms are those of the
CLV itself (:func:`cvm_core.analyses.clv.values.predict_customer_value`): a treatment that brings
more purchases also brings their cost per purchase, and one that keeps customers longer brings
their cost per time unit for longer; with no treatment the scenario CLV is the CLV table's.
:class:`Scenario` and :class:`ScenarioProjection` are plain
frozen objects, so other pages (the Scorecard) can show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.clv import histories, transaction_model
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent

UPLIFT_LIMITS = {
    "retention_uplift": (0.0, 0.9),
    "frequency_uplift": (0.0, 2.0),
    "spend_uplift": (0.0, 2.0),
}
"""Allowed range of each uplift (shares): 0.9 = 90% less drop-out at most."""
UPLIFT_LABELS = {
    "retention_uplift": N_("retention uplift"),
    "frequency_uplift": N_("frequency uplift"),
    "spend_uplift": N_("spend uplift"),
}

MEMO_ENTRIES = 64
"""Lever pairs remembered per scenario base (each holds one array per distinct tier history)."""

PROJECTION_COLUMNS = (
    "tier", "customers", "baseline_clv", "scenario_clv", "incremental_value", "treatment_cost",
    "net_value", "roi",
)  # fmt: skip


@dataclass(frozen=True)
class Treatment(Settings):
    """What a tier's customers get, as changes to the model's assumptions.

    Attributes
    ----------
    retention_uplift : float
        Share by which expected drop-out falls (0.1 = 10% less).
    frequency_uplift : float
        Share by which the purchase rate rises.
    spend_uplift : float
        Share by which spend per purchase rises.
    cost_per_customer_year : float
        Cost of the treatment per customer of the tier per year, in the dataset's currency.
    """

    retention_uplift: float = setting(0.0, low=0.0, high=UPLIFT_LIMITS["retention_uplift"][1])
    frequency_uplift: float = setting(0.0, low=0.0, high=UPLIFT_LIMITS["frequency_uplift"][1])
    spend_uplift: float = setting(0.0, low=0.0, high=UPLIFT_LIMITS["spend_uplift"][1])
    cost_per_customer_year: float = setting(0.0, low=0.0)

    def __post_init__(self) -> None:
        for name, (low, high) in UPLIFT_LIMITS.items():
            value = getattr(self, name)
            if not (np.isfinite(value) and low <= value <= high):
                raise ValidationError(
                    Message(
                        N_("The {label} must be between {low} and {high}."),
                        label=Message(UPLIFT_LABELS[name]), low=Percent(low, 0),
                        high=Percent(high, 0),
                    )
                )  # fmt: skip
        if not (np.isfinite(self.cost_per_customer_year) and self.cost_per_customer_year >= 0):
            raise ValidationError(
                Message(N_("The treatment cost per customer and year cannot be negative."))
            )

    @property
    def changes_behaviour(self) -> bool:
        return self.retention_uplift > 0 or self.frequency_uplift > 0


@dataclass(frozen=True)
class Scenario:
    """Treatments per tier; tiers not listed get no treatment."""

    treatments: tuple[tuple[str, Treatment], ...] = ()
    name: str = "What-if"

    def treatment(self, tier: str) -> Treatment:
        return dict(self.treatments).get(tier, Treatment())

    @classmethod
    def from_dict(cls, treatments: dict[str, Treatment], name: str = "What-if") -> Scenario:
        return cls(tuple(treatments.items()), name)


@dataclass(frozen=True)
class _TierGroup:
    """A tier's customers collapsed to distinct (frequency, T), with each pair's sums over its
    customers of P(alive) * expected spend * margin (``margin``), P(alive) * cost per purchase
    (``per_purchase``) and P(alive) * cost per time unit / purchase rate (``per_time``; the rate
    is one per pair), and its baseline discounted alive purchases."""

    tier: str
    customers: int
    frequency: np.ndarray
    age: np.ndarray
    margin: np.ndarray
    per_purchase: np.ndarray
    per_time: np.ndarray
    baseline: np.ndarray

    def value(self, discounted: np.ndarray, treatment: Treatment) -> float:
        """The tier's CLV when its pairs' discounted alive purchases are ``discounted``."""
        margin = (1.0 + treatment.spend_uplift) * self.margin - self.per_purchase
        time_cost = self.per_time / (1.0 + treatment.frequency_uplift)
        return float(margin @ discounted - time_cost @ discounted)


@dataclass(frozen=True)
class ScenarioBase:
    """What the projection needs from a CLV result, prepared once so a slider move is cheap."""

    model: str
    params: tuple[float, ...]
    unit: str
    horizon_months: int
    discount_rate: float
    groups: tuple[_TierGroup, ...]
    # Each tier's discounted purchases per (retention, frequency) lever pair already projected: a
    # slider move then recomputes only the tier whose lever moved (~0.1 s at 1M customers, not
    # ~0.35 s for all four). Not part of the value: equal bases compare equal.
    _memo: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(g.tier for g in self.groups)


def prepare(
    customers: pd.DataFrame,
    model: transaction_model.TransactionModel,
    unit: str,
    horizon_months: int,
    discount_rate: float,
) -> ScenarioBase:
    """Collapse a CLV result per tier for :func:`project`.

    Parameters
    ----------
    customers : DataFrame
        From :func:`cvm_core.analyses.clv.fit.customer_values` (frequency, T, p_alive, expected_spend,
        margin_rate, tier; cost_per_purchase, cost_per_period and purchase_rate when CLV is net
        of cost-to-serve).
    model : TransactionModel
        The fitted model that produced ``customers``.
    """
    needed = ["frequency", "T", "p_alive", "expected_spend", "margin_rate", "tier"]
    missing = [c for c in needed if c not in customers]
    if missing:
        raise ValidationError(
            Message(N_("The CLV table lacks {columns}."), columns=", ".join(missing))
        )
    tiers = customers["tier"]
    names = (
        list(tiers.cat.categories)
        if isinstance(tiers.dtype, pd.CategoricalDtype)
        else sorted(tiers.unique())
    )
    values = _value_terms(customers)
    # Every customer's untreated discounted purchases in one evaluation (the CLV values just made
    # the same one, so it is found again), each tier taking its customers' share.
    baseline = _discounted(
        model.model, model.params_.to_numpy(), customers["frequency"].to_numpy(dtype=float),
        customers["T"].to_numpy(dtype=float), unit, horizon_months, discount_rate,
    )  # fmt: skip
    groups = []
    for name in names:
        mask = (tiers == name).to_numpy()
        groups.append(_group(name, customers.loc[mask], values[mask], baseline[mask]))
    params = tuple(float(v) for v in model.params_.to_numpy())
    return ScenarioBase(
        model.model, params, unit, int(horizon_months), float(discount_rate), tuple(groups)
    )


def _value_terms(customers: pd.DataFrame) -> np.ndarray:
    """Per customer, the three value terms of :class:`_TierGroup` (margin, per purchase, per
    time), as columns; a CLV table without cost-to-serve has zero costs."""
    alive = customers["p_alive"].to_numpy(dtype=float)
    zero = pd.Series(0.0, index=customers.index)
    per_period = customers.get("cost_per_period", zero).to_numpy(dtype=float)
    rate = customers.get("purchase_rate", zero).to_numpy(dtype=float)
    per_time = np.divide(per_period, rate, out=np.zeros(len(alive)), where=rate > 0)
    return np.column_stack(
        [
            alive * (customers["expected_spend"] * customers["margin_rate"]).to_numpy(dtype=float),
            alive * customers.get("cost_per_purchase", zero).to_numpy(dtype=float),
            alive * per_time,
        ]
    )


def _group(name, frame, values, discounted) -> _TierGroup:
    """One tier collapsed to its distinct (frequency, age) pairs; ``discounted`` is each of its
    customers' untreated discounted alive purchases (equal within a pair)."""
    x = frame["frequency"].to_numpy(dtype=float)
    age = frame["T"].to_numpy(dtype=float)
    codes, (ux, uage) = histories.factorize_rows(x, age) if len(x) else (np.empty(0, int), [x, age])
    sums = [
        np.bincount(codes, weights=values[:, k], minlength=len(ux)) if len(x) else np.empty(0)
        for k in range(3)
    ]
    baseline = np.zeros(len(ux))
    baseline[codes] = discounted
    return _TierGroup(name, len(x), np.asarray(ux, float), np.asarray(uage, float), *sums, baseline)


def _discounted(
    model, params, x, age, unit, horizon_months, discount_rate, treatment=None
) -> np.ndarray:
    if len(x) == 0:
        return np.empty(0)
    rate = 1.0 + (treatment.frequency_uplift if treatment else 0.0)
    dropout = 1.0 - (treatment.retention_uplift if treatment else 0.0)
    discounted, _ = transaction_model.discounted_alive_purchases(
        model, np.asarray(params, float), x, age, horizon_months, discount_rate, unit, rate, dropout
    )
    return discounted


@dataclass(frozen=True)
class ScenarioProjection:
    """Baseline vs scenario per tier and in total.

    Attributes
    ----------
    scenario : Scenario
    by_tier : DataFrame
        Columns :data:`PROJECTION_COLUMNS`, one row per tier and a last row "Total". ``roi`` is
        NaN where nothing is spent.
    horizon_months : int
    discount_rate : float
    """

    scenario: Scenario
    by_tier: pd.DataFrame
    horizon_months: int
    discount_rate: float

    @property
    def total(self) -> pd.Series:
        return self.by_tier.iloc[-1]

    def as_dict(self) -> dict:
        """JSON-friendly summary (NaN as None) for the command line and the Scorecard."""
        rows = self.by_tier.astype(object).where(self.by_tier.notna(), None)
        return {
            "scenario": self.scenario.name,
            "horizon_months": self.horizon_months,
            "discount_rate": self.discount_rate,
            "treatments": {tier: vars(t) for tier, t in self.scenario.treatments},
            "by_tier": rows.to_dict(orient="records"),
        }


def project(base: ScenarioBase, scenario: Scenario) -> ScenarioProjection:
    """Projected CLV, incremental value, treatment cost and ROI per tier under ``scenario``."""
    unknown = [tier for tier, _ in scenario.treatments if tier not in base.tiers]
    if unknown:
        raise ValidationError(
            Message(
                N_("No tier called {unknown}; tiers: {tiers}."),
                unknown=", ".join(unknown), tiers=", ".join(base.tiers),
            )
        )  # fmt: skip
    rows = [_project_tier(base, group, scenario.treatment(group.tier)) for group in base.groups]
    table = pd.DataFrame(rows, columns=list(PROJECTION_COLUMNS))
    total = table.drop(columns=["tier", "roi"]).sum()
    total["tier"] = "Total"
    total["roi"] = _roi(total["net_value"], total["treatment_cost"])
    table = pd.concat([table, total.to_frame().T[list(PROJECTION_COLUMNS)]], ignore_index=True)
    table = table.astype({c: float for c in PROJECTION_COLUMNS[2:]} | {"customers": int})
    return ScenarioProjection(scenario, table, base.horizon_months, base.discount_rate)


def _project_tier(base: ScenarioBase, group: _TierGroup, treatment: Treatment) -> list:
    baseline = group.value(group.baseline, Treatment())
    if treatment.changes_behaviour:
        key = (group.tier, treatment.retention_uplift, treatment.frequency_uplift)
        changed = base._memo.get(key)
        if changed is None:
            changed = _discounted(
                base.model, base.params, group.frequency, group.age, base.unit,
                base.horizon_months, base.discount_rate, treatment,
            )  # fmt: skip
            if len(base._memo) >= MEMO_ENTRIES:
                base._memo.clear()
            base._memo[key] = changed
    else:
        changed = group.baseline
    projected = group.value(changed, treatment)
    cost = treatment.cost_per_customer_year * group.customers * base.horizon_months / 12.0
    incremental = projected - baseline
    net = incremental - cost
    return [
        group.tier,
        group.customers,
        baseline,
        projected,
        incremental,
        cost,
        net,
        _roi(net, cost),
    ]


def _roi(net: float, cost: float) -> float:
    return float(net / cost) if cost > 0 else np.nan
