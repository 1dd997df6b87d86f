"""The at-risk and win-back lists: valuable customers slipping away, and lapsed ones worth a call,
each with the reason they are on the list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.base import Settings, setting
from cvm_core.analyses.retention.defaults import CHURNED, P_ALIVE
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.errors import ValidationError
from cvm_core.i18n import N_, Message, Percent

DEFAULT_TOP_SHARE = 0.2
"""'Valuable' = the top 20% of customers by the chosen value measure."""
DEFAULT_OVERDUE_FACTOR = 2.0
"""Overdue = days since the last purchase above this multiple of the customer's own mean gap."""
VALUE_MEASURES = {"net_revenue": "net revenue", "margin": "gross margin", "clv": "CLV"}


def _unknown_measure(measure: str) -> ValidationError:
    return ValidationError(
        Message(
            N_("Unknown value measure '{measure}'; choose {choices}."),
            measure=measure, choices=", ".join(VALUE_MEASURES),
        )
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# At-risk and win-back lists
# --------------------------------------------------------------------------------------------


def customer_value(
    summary: pd.DataFrame, measure: str = "net_revenue", clv: pd.Series | None = None
) -> pd.Series:
    """The value customers are ranked by: net revenue, gross margin or CLV (by customer_id)."""
    if measure not in VALUE_MEASURES:
        raise _unknown_measure(measure)
    if measure == "clv":
        if clv is None:
            raise ValidationError(
                Message(N_("Ranking by CLV needs the CLV model: fit it on the CLV page."))
            )
        return clv.reindex(summary.index).astype(float).rename("value")
    if measure == "margin" and summary["margin"].isna().all():
        raise ValidationError(
            Message(
                N_("Margin needs a cost-of-goods (or margin %) column; map one on the Upload page "
                   "or rank by net revenue.")
            )
        )  # fmt: skip
    return summary[measure].astype(float).rename("value")


@dataclass(frozen=True)
class ListSettings(Settings):
    """Who is valuable and who is at risk.

    Parameters
    ----------
    value_measure : {"net_revenue", "margin", "clv"}
    top_share : float
        Valuable = the top share of customers by value.
    overdue_factor : float
        Overdue = days since last purchase > factor x the customer's mean gap between purchases.
    """

    value_measure: str = setting("net_revenue", choices=tuple(VALUE_MEASURES))
    top_share: float = setting(DEFAULT_TOP_SHARE, low=0.01, high=1.0)
    overdue_factor: float = setting(DEFAULT_OVERDUE_FACTOR, low=0.1, high=20.0)

    def __post_init__(self) -> None:
        if not 0 < self.top_share <= 1:
            raise ValidationError(
                Message(
                    N_("The share of valuable customers must be between {low} and {high}."),
                    low=Percent(0, 0), high=Percent(1, 0),
                )
            )  # fmt: skip
        if self.overdue_factor <= 0:
            raise ValidationError(Message(N_("The overdue factor must be positive.")))


LIST_COLUMNS = [
    "customer_id", "customer_name", "value", "value_rank", "orders", "net_revenue", "margin",
    "first_purchase", "last_purchase", "days_since_last", "mean_gap_days", "overdue_ratio",
    "p_alive", "status", "reason",
]  # fmt: skip


LIST_COLUMN_LABELS = {
    "customer_id": "Customer", "customer_name": "Name", "reason": "Why", "value": "Value",
    "value_rank": "Rank", "orders": "Orders", "net_revenue": "Net revenue", "margin": "Gross margin",
    "first_purchase": "First purchase", "last_purchase": "Last purchase",
    "days_since_last": "Days since last purchase", "mean_gap_days": "Usual gap (days)",
    "overdue_ratio": "× usual gap", "p_alive": "P(alive)", "status": "Status",
}  # fmt: skip
"""Column headings of the lists as people read them (screen and downloads)."""


def list_for_export(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """An at-risk or win-back list with readable headings, ready for CSV / Excel.

    The value column is named after the measure ('Net revenue'); the measure's own column, the
    same numbers under the same name, is left out rather than repeated. The reason comes right
    after the customer, as on screen.
    """
    if measure not in VALUE_MEASURES:
        raise _unknown_measure(measure)
    columns = [c for c in LIST_COLUMN_LABELS if c in frame.columns and c != measure]
    labels = LIST_COLUMN_LABELS | {"value": VALUE_MEASURES[measure].capitalize()}
    return frame[columns].rename(columns=labels)


def action_lists(
    summary: pd.DataFrame,
    status: pd.DataFrame,
    rule: ChurnRule,
    settings: ListSettings = ListSettings(),
    clv: pd.Series | None = None,
    customers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The at-risk list and the win-back list, most valuable first, each row with its reason.

    At risk: valuable, not churned (too-new customers included), with P(alive) below the rule's threshold (when
    ``status`` has it; under the P(alive) rule such customers are churned instead) or overdue
    against their own rhythm. Win-back: valuable and churned.

    Returns
    -------
    (at_risk, win_back) : DataFrames with :data:`LIST_COLUMNS` (customer_name, margin and p_alive
    only when known).
    """
    value = customer_value(summary, settings.value_measure, clv)
    rank = value.rank(ascending=False, method="min")
    n = int(value.notna().sum())
    valuable = ((rank <= settings.top_share * n) & value.gt(0)).to_numpy()
    base = _list_base(
        summary[valuable], status[valuable], value[valuable], rank[valuable], customers
    )
    measure = VALUE_MEASURES[settings.value_measure]
    # Too-new customers are never churned, but they can already be slipping away.
    not_churned = base["status"] != CHURNED
    overdue = base["overdue_ratio"] > settings.overdue_factor
    low_alive = base["p_alive"] < rule.p_alive_threshold if "p_alive" in base else False
    at_risk = base[not_churned & (overdue | low_alive)].copy()
    at_risk["reason"] = _at_risk_reasons(at_risk, measure, n, settings, rule)
    win_back = base[base["status"] == CHURNED].copy()
    win_back["reason"] = _win_back_reasons(win_back, measure, n, rule)
    return _finish_list(at_risk), _finish_list(win_back)


def _list_base(
    summary: pd.DataFrame,
    status: pd.DataFrame,
    value: pd.Series,
    rank: pd.Series,
    customers: pd.DataFrame | None,
) -> pd.DataFrame:
    columns: dict[str, object] = {}
    if customers is not None and "customer_name" in customers:
        columns["customer_name"] = customers["customer_name"].reindex(summary.index)
    columns |= {
        "value": value,
        "value_rank": rank.astype(np.int64),
        "orders": summary["orders"],
        "net_revenue": summary["net_revenue"],
    }
    if summary["margin"].notna().any():
        columns["margin"] = summary["margin"]
    for column in ("first_purchase", "last_purchase", "days_since_last", "mean_gap_days", "status"):
        columns[column] = status[column]
    columns["overdue_ratio"] = status["days_since_last"] / status["mean_gap_days"]
    if "p_alive" in status:
        columns["p_alive"] = status["p_alive"]
    return pd.DataFrame(columns, index=summary.index)


def p_alive_text(p: float, threshold: float) -> str:
    """P(alive) as a percentage that reads as below the threshold it fell under ('49.6%', not
    '50%' against a 50% threshold) and never as a flat '0%' for a small positive chance."""
    if 0 < p < 0.005:
        return "under 1%"
    for decimals in (0, 1, 2):
        if round(p * 100, decimals) < threshold * 100:
            return formatting.pct(p, decimals)
    return formatting.pct(p, 3)


def _top(rank: int, n: int) -> str:
    """'top 1%' for the very best too (never 'top 0%')."""
    return f"top {max(math.ceil(100 * rank / max(n, 1)), 1)}%"


def _at_risk_reasons(
    rows: pd.DataFrame, measure: str, n: int, settings: ListSettings, rule: ChurnRule
) -> list[str]:
    reasons = []
    for r in rows.itertuples():
        parts = [f"{_top(r.value_rank, n).capitalize()} by {measure}"]
        if math.isfinite(r.overdue_ratio) and r.overdue_ratio > settings.overdue_factor:
            parts.append(
                f"overdue: {formatting.counted(r.days_since_last, 'day')} since the last purchase, "
                f"{r.overdue_ratio:.1f}× their usual gap of {formatting.counted(r.mean_gap_days, 'day')}"
            )
        p = getattr(r, "p_alive", np.nan)
        if isinstance(p, float) and math.isfinite(p) and p < rule.p_alive_threshold:
            parts.append(f"P(alive) only {p_alive_text(p, rule.p_alive_threshold)}")
        reasons.append("; ".join(parts) + ".")
    return reasons


def _win_back_reasons(rows: pd.DataFrame, measure: str, n: int, rule: ChurnRule) -> list[str]:
    reasons = []
    for r in rows.itertuples():
        p = getattr(r, "p_alive", np.nan)
        why = (
            f"P(alive) {p_alive_text(p, rule.p_alive_threshold)}, {formatting.counted(r.days_since_last, 'day')} since "
            "the last purchase"
            if rule.method == P_ALIVE and isinstance(p, float) and math.isfinite(p)
            else f"no purchase for {formatting.counted(r.days_since_last, 'day')} (churn window {rule.window_days})"
        )
        reasons.append(
            f"Was {_top(r.value_rank, n)} by {measure} ({formatting.counted(r.orders, 'order')}); churned: {why}."
        )
    return reasons


def _finish_list(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.sort_values("value", ascending=False).reset_index()
    return out[[c for c in LIST_COLUMNS if c in out.columns]]
