"""Value tiers: the customer pyramid (Zeithaml, Rust & Lemon 2001).

Customers are ranked by a value measure (usually CLV) and cut into tiers by their rank: by default
the top 5% are Platinum, the next 15% Gold, the next 30% Iron and the bottom half Lead. Tiers drive
differentiated treatment (service levels, offers), so the cut-offs are parameters the user edits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent, _

DEFAULT_TIER_NAMES: tuple[str, ...] = ("Platinum", "Gold", "Iron", "Lead")
"""Tier names from the most to the least valuable."""

DEFAULT_TIER_CUTOFFS: tuple[float, ...] = (0.05, 0.20, 0.50)
"""Cumulative share of customers (ranked by value, highest first) at the lower edge of each tier
but the last: top 5% Platinum, next 15% Gold, next 30% Iron, the rest Lead."""

TIER_SUMMARY_COLUMNS = (
    "tier", "customers", "customer_share", "clv", "clv_share", "avg_clv", "revenue", "revenue_share",
)  # fmt: skip


def check_tiers(cutoffs: tuple[float, ...], names: tuple[str, ...]) -> None:
    """Raise :class:`ValidationError` unless the cut-offs rise strictly inside (0, 1) and there is
    one more name than cut-offs."""
    if len(names) != len(cutoffs) + 1:
        raise ValidationError(
            Message(
                N_("{names} tier names need {needed} cut-offs; got {got}."),
                names=len(names), needed=len(names) - 1, got=len(cutoffs),
            )
        )  # fmt: skip
    if len(set(names)) != len(names):
        raise ValidationError(Message(N_("Tier names must differ from each other.")))
    edges = np.asarray(cutoffs, dtype=float)
    if np.any(~np.isfinite(edges)) or np.any(edges <= 0) or np.any(edges >= 1):
        raise ValidationError(
            Message(
                N_("Tier cut-offs are shares of customers between {low} and {high}."),
                low=Percent(0, 0), high=Percent(1, 0),
            )
        )  # fmt: skip
    if np.any(np.diff(edges) <= 0):
        raise ValidationError(
            Message(
                N_("Each tier cut-off must be above the previous one (e.g. top 5%, top 20%, top "
                   "50%).")
            )
        )  # fmt: skip


def assign_tiers(
    values: pd.Series,
    cutoffs: tuple[float, ...] = DEFAULT_TIER_CUTOFFS,
    names: tuple[str, ...] = DEFAULT_TIER_NAMES,
) -> pd.Series:
    """Tier of each customer by value rank.

    Parameters
    ----------
    values : Series
        Value per customer (e.g. CLV), indexed by customer id. NaN ranks last.
    cutoffs : tuple of float
        Cumulative customer shares where each tier ends (see :data:`DEFAULT_TIER_CUTOFFS`). The
        tier of rank ``k`` (0 = most valuable) of ``n`` is the number of cut-offs with
        ``floor(cutoff * n + 0.5) <= k`` (shares rounded half up to whole customers).
    names : tuple of str
        Tier names, most valuable first.

    Returns
    -------
    Series
        Ordered categorical with categories ``names``, same index as ``values``. Ties in value are
        broken by the order of the index, so the tier sizes are exactly as the cut-offs say.
    """
    check_tiers(tuple(cutoffs), tuple(names))
    n = len(values)
    score = np.nan_to_num(values.to_numpy(dtype=float), nan=-np.inf)
    order = np.argsort(-score, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # Half up, not numpy's half-to-even: 5% of 30 customers is 1.5 -> 2, and 25% of 10 -> 3.
    bounds = np.floor(np.asarray(cutoffs) * n + 0.5 + 1e-9).astype(np.int64)
    codes = np.searchsorted(bounds, rank, side="right")
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(names), ordered=True),
        index=values.index,
        name="tier",
    )


def tier_summary(
    frame: pd.DataFrame, value: str = "clv", revenue: str = "net_revenue", tier: str = "tier"
) -> pd.DataFrame:
    """Customers, value and revenue per tier, with shares of the total.

    Parameters
    ----------
    frame : DataFrame
        One row per customer with the tier (categorical), value and revenue columns.

    Returns
    -------
    DataFrame
        One row per tier (all categories, empty ones with zeros), columns
        :data:`TIER_SUMMARY_COLUMNS`. A share is NaN when its total is not positive.
    """
    for column in (value, revenue, tier):
        if column not in frame:
            raise ValidationError(
                Message(N_("The customer table has no '{column}' column."), column=column)
            )
    grouped = frame.groupby(tier, observed=False)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "clv": grouped[value].sum(),
            "revenue": grouped[revenue].sum(),
        }
    )
    out.index = out.index.astype(str)
    out.index.name = "tier"
    out["customer_share"] = _share(out["customers"])
    out["clv_share"] = _share(out["clv"])
    out["revenue_share"] = _share(out["revenue"])
    out["avg_clv"] = np.divide(
        out["clv"], out["customers"], out=np.zeros(len(out)), where=out["customers"] > 0
    )
    return out.reset_index()[list(TIER_SUMMARY_COLUMNS)]


def _share(column: pd.Series) -> pd.Series:
    total = float(column.sum())
    return column / total if total > 0 else column * np.nan


def tier_takeaway(tiers: pd.DataFrame) -> str:
    """The pyramid's message in one line, for the page and the deck alike: how much of the future
    value (and of past revenue) the top tier holds."""
    top = tiers.iloc[0]
    return _(
        "{tier}: {customers} of customers hold {future} of future value and {past} of past revenue."
    ).format(
        tier=_(str(top["tier"])), customers=formatting.pct(top["customer_share"], 0),
        future=formatting.pct(top["clv_share"], 0), past=formatting.pct(top["revenue_share"], 0),
    )  # fmt: skip
