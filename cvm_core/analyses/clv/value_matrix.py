"""Today's profit against tomorrow's: the value matrix and the forward-looking whale curve.

Each customer has two numbers from one cost model: operating profit to date (the Whale Curve's
P&L: margin minus activity-based cost-to-serve) and CLV (expected discounted future margin minus
future cost-to-serve at the same activity rates). Their signs place the customer in one of four
cells, each with its own treatment:

* **Protect**: profitable today and expected to stay so.
* **Build**: losing money today (often new customers who have not ordered enough yet) but
  expected to earn: invest to develop them.
* **Fix**: profitable so far but expected to cost more than they bring (their buying is fading
  while their cost-to-serve runs on): fix cost-to-serve or pricing before they turn.
* **Part with**: losing money today and expected to keep losing: reprice, move them to cheaper
  channels or let them go.
* **Gone**: no material future either way (|CLV| under :data:`MATERIAL_SHARE` of the average
  customer's): almost certainly lapsed, so the sign of a few cents says nothing. Win back the
  ones who were valuable.

The forward-looking whale curve ranks customers by CLV the way the whale curve ranks them by
profit to date, so the two can be drawn side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.profitability.curve import (
    MAX_CHART_POINTS,
    WhaleCurve,
    downsample_ranks,
    whale_curve,
)
from cvm_core.i18n import N_, _

PROTECT, BUILD, FIX, PART_WITH, GONE = (
    N_("Protect"),
    N_("Build"),
    N_("Fix"),
    N_("Part with"),
    N_("Gone"),
)
QUADRANTS: dict[str, str] = {
    PROTECT: N_("Profitable today and expected to stay so: keep them served and retained."),
    BUILD: N_("Losing money today, expected to earn: invest to develop them."),
    FIX: N_("Profitable so far, expected to cost more than they bring: fix cost-to-serve or "
            "pricing before they turn."),
    PART_WITH: N_("Losing money today and expected to keep losing: reprice, move to cheaper "
                  "channels, or let go."),
    GONE: N_("No material future value either way (probably lapsed): win back the ones who were "
             "valuable, let the rest go."),
}  # fmt: skip
"""Cell -> what it means and what to do, in the order the page lists them. English in the
result (cached across languages); translated where shown."""
MATERIAL_SHARE = 0.01
"""A CLV smaller in size than this share of the mean absolute CLV counts as no future value."""

TODAY, FUTURE = "Profit to date", "Expected future profit (CLV)"
MATRIX_COLUMNS = (
    "quadrant", "customers", "customer_share", "profit_to_date", "future_value", "action",
)  # fmt: skip


@dataclass(frozen=True)
class ValueMatrix:
    """Every customer's cell, the cells summed, and both whale curves.

    Attributes
    ----------
    customers : DataFrame
        Indexed by customer_id: profit_to_date, future_value (CLV), quadrant (ordered).
    table : DataFrame
        One row per cell, columns :data:`MATRIX_COLUMNS` (money in the dataset's currency).
    today, future : WhaleCurve
        Customers ranked by profit to date, and by CLV.
    """

    customers: pd.DataFrame
    table: pd.DataFrame
    today: WhaleCurve
    future: WhaleCurve

    def counts(self) -> dict[str, int]:
        return {row.quadrant: int(row.customers) for row in self.table.itertuples()}

    def curves(self, max_points: int = MAX_CHART_POINTS) -> pd.DataFrame:
        """Both curves, long, for one chart: curve, customer_share, cum_value (money) and
        cum_pct (of the curve's own total; NaN where that total is not positive)."""
        parts = []
        for name, curve in ((TODAY, self.today), (FUTURE, self.future)):
            points = curve.points
            ranks = downsample_ranks(len(points) - 1, list(curve.key_ranks.values()), max_points)
            picked = points.iloc[ranks]
            total = float(points["cum_profit"].iloc[-1])
            parts.append(
                pd.DataFrame(
                    {
                        "curve": name,
                        "customer_share": picked["customer_share"].to_numpy(),
                        "cum_value": picked["cum_profit"].to_numpy(),
                        "cum_pct": picked["cum_profit"].to_numpy() / total if total > 0 else np.nan,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def takeaway(self, currency: str) -> str:
        """The matrix in one sentence: who to protect, and what the part-with cell costs."""
        rows = self.table.set_index("quadrant")
        n = int(rows["customers"].sum())
        protect, part = rows.loc[PROTECT], rows.loc[PART_WITH]
        money = formatting.money_short
        return _(
            "{share} of customers make money today and are expected to keep doing so ({future} of "
            "future profit); {losers} lose money today and are expected to lose {loss} more."
        ).format(
            share=formatting.pct(protect["customers"] / n, 0),
            future=money(protect["future_value"], currency),
            losers=formatting.count(int(part["customers"])), loss=money(-part["future_value"], currency),
        )  # fmt: skip


def material_value(future_value: pd.Series) -> float:
    """The smallest CLV, in size, that counts as future value (see :data:`MATERIAL_SHARE`)."""
    return MATERIAL_SHARE * float(future_value.abs().mean()) if len(future_value) else 0.0


def expected_losers(future_value: pd.Series) -> int:
    """Customers expected to cost more than they bring by a material amount (the Fix and Part
    with cells): the count every headline gives."""
    return int((future_value <= -material_value(future_value)).sum())


def value_matrix(profit_to_date: pd.Series, future_value: pd.Series) -> ValueMatrix:
    """Place every customer by the sign of their profit to date and of their CLV.

    Parameters
    ----------
    profit_to_date : Series
        Operating profit per customer (the customer P&L's ``profit``).
    future_value : Series
        CLV per customer, net of cost-to-serve at the same activity rates.

    Customers in only one of the two (none, when both come from one dataset) are left out.
    """
    both = profit_to_date.index.intersection(future_value.index)
    today = profit_to_date.reindex(both).astype(float)
    future = future_value.reindex(both).astype(float)
    earns_today = (today >= 0).to_numpy()
    earns_later = (future >= 0).to_numpy()
    gone = (future.abs() < material_value(future)).to_numpy()
    cell = np.select(
        [gone, earns_today & earns_later, ~earns_today & earns_later, earns_today],
        [GONE, PROTECT, BUILD, FIX],
        PART_WITH,
    )
    quadrant = pd.Categorical(cell, categories=list(QUADRANTS), ordered=True)
    customers = pd.DataFrame(
        {"profit_to_date": today, "future_value": future, "quadrant": quadrant}, index=both
    )
    grouped = customers.groupby("quadrant", observed=False)
    table = pd.DataFrame(
        {
            "quadrant": list(QUADRANTS),
            "customers": grouped.size().to_numpy(),
            "profit_to_date": grouped["profit_to_date"].sum().to_numpy(),
            "future_value": grouped["future_value"].sum().to_numpy(),
            "action": list(QUADRANTS.values()),
        }
    )
    table.insert(2, "customer_share", table["customers"] / max(len(customers), 1))
    return ValueMatrix(customers, table, whale_curve(today), whale_curve(future))
