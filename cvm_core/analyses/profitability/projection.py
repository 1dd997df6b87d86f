"""Each customer's cost-to-serve as rates a CLV model can project forward (issue 13).

Customer value is future profit: expected margin minus the expected cost of serving the customer.
The Whale Curve's activity costs are split by what drives them:

* per purchase: activities whose driver is counted from the transactions (orders, order lines,
  units, returns, small orders, orders per channel) recur with every purchase, so a customer's
  cost per purchase occasion is their cost of these activities over their purchase occasions
  (repeat purchases + the first);
* per unit of time: activities whose driver comes from the cost-to-serve sheet (visits, service
  calls, deliveries, special terms) or is the customer itself run while the customer is active,
  so their cost per time unit is their cost of these activities over the time observed as a
  customer (T), shrunk towards the average rate of all customers by :data:`PRIOR_MONTHS` of
  average behaviour: (own cost + average rate x prior) / (T + prior). A customer of three years
  keeps nearly their own rate; a customer of three weeks with one visit (or a one-off special
  terms set-up) is not projected to cost that every three weeks for years.

The CLV analysis multiplies the first by the customer's expected discounted purchases and the
second by their expected discounted time alive; the rates come from the same activity table as the
whale curve, so value tiers and the whale curve rest on one cost model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.profitability.activities import (
    CHANNEL_PREFIX,
    ORDER_LINES,
    ORDERS,
    RETURNED_LINES,
    RETURNS,
    SMALL_ORDERS,
    UNITS,
)
from cvm_core.analyses.profitability.pnl import CustomerPnL
from cvm_core.analyses.profitability.run import CostModel, run
from cvm_core.intake.summary import UNIT_DAYS

PER_PURCHASE_DRIVERS = frozenset(
    {ORDERS, ORDER_LINES, UNITS, RETURNS, RETURNED_LINES, SMALL_ORDERS}
)
"""Transaction drivers (plus "Orders via <channel>"): their cost recurs with every purchase."""

PRIOR_MONTHS = 6.0
"""Weight of the all-customer average in a customer's time-driven cost rate, as months of
observation: half a year of average behaviour is added to each customer's own record."""

SERVICE_COST_COLUMNS = ("cost_per_purchase", "cost_per_period")


def scales_with_purchases(driver: str) -> bool:
    """Whether an activity's cost recurs with each purchase (else it runs with time)."""
    return driver in PER_PURCHASE_DRIVERS or driver.startswith(CHANNEL_PREFIX)


def service_cost_rates(result: CustomerPnL, summary: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Cost-to-serve per purchase occasion and per time unit, per customer.

    Parameters
    ----------
    result : CustomerPnL
        The customer P&L (any activity table: the page's or the default rates).
    summary : DataFrame
        The customer summary (frequency, T in ``unit``) the CLV model is fitted to.

    Returns
    -------
    DataFrame
        Indexed like ``summary``: :data:`SERVICE_COST_COLUMNS`, in the dataset's currency;
        customers without a P&L row cost nothing.
    """
    drivers = result.activities.set_index("activity")["driver"]
    costs = result.activity_costs.reindex(summary.index).fillna(0.0)
    per_purchase = [a for a in costs.columns if scales_with_purchases(str(drivers[a]))]
    per_time = [a for a in costs.columns if a not in per_purchase]
    occasions = summary["frequency"].to_numpy(dtype=float) + 1.0
    prior = PRIOR_MONTHS * UNIT_DAYS["month"] / UNIT_DAYS[unit]
    observed = summary["T"].to_numpy(dtype=float)
    time_cost = costs[per_time].sum(axis=1).to_numpy()
    average = time_cost.sum() / observed.sum() if observed.sum() > 0 else 0.0
    return pd.DataFrame(
        {
            "cost_per_purchase": costs[per_purchase].sum(axis=1).to_numpy() / occasions,
            "cost_per_period": (time_cost + average * prior) / (observed + prior),
        },
        index=summary.index,
    )


DEFAULT_RATES_SOURCE = "the default activity rates"


@dataclass(frozen=True)
class ServiceCosts:
    """Per-customer cost-to-serve rates (:func:`service_cost_rates`), which activity rates they
    come from, in words ("the Whale Curve page's activity rates"), and each customer's operating
    profit to date under the same rates (the value matrix sets it against CLV)."""

    rates: pd.DataFrame
    source: str
    profit_to_date: pd.Series | None = None


def service_costs(
    inputs: AnalysisInputs,
    model: CostModel = CostModel(),  # noqa: B008 - frozen, safe as a default
    source: str = DEFAULT_RATES_SOURCE,
) -> ServiceCosts:
    """The customers' cost-to-serve rates under ``model`` (default: the default activity rates)."""
    return costs_of(run(inputs, model).result, inputs.summary, inputs.unit, source)


def costs_of(result: CustomerPnL, summary: pd.DataFrame, unit: str, source: str) -> ServiceCosts:
    """:class:`ServiceCosts` from a customer P&L already at hand (the Whale page's cached one)."""
    return ServiceCosts(service_cost_rates(result, summary, unit), source, result.pnl["profit"])
