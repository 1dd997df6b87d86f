"""The overview chart shared by the Upload page and the deck: revenue and buyers by month."""

from __future__ import annotations

import pandas as pd

from cvm_core import formatting
from cvm_core.analyses.overview.charts import monthly_activity_chart
from cvm_core.i18n import N_, _
from cvm_core.slides import ChartSlide

MONTHLY_TITLE = N_("Revenue and active customers by month")


def monthly_takeaway(monthly: pd.DataFrame, currency: str) -> str:
    """Total, best month and buyers a month; with two years of data, the last 12 months against
    the 12 before (the comparison that says whether the business grows).

    Parameters
    ----------
    monthly : DataFrame
        From :func:`cvm_core.intake.summary.monthly_activity`.
    currency : str
        ISO code for the money shown.
    """
    if monthly.empty:
        return _("No transactions in the period.")
    best = monthly.loc[monthly["net_revenue"].idxmax()]
    months = len(monthly)
    text = _(
        "{total} net revenue over {months}; best month {best} ({best_revenue}); on average "
        "{customers} buy each month."
    ).format(
        total=formatting.money_short(float(monthly["net_revenue"].sum()), currency),
        months=formatting.counted(months, "month"), best=formatting.month(best["month"]),
        best_revenue=formatting.money_short(float(best["net_revenue"]), currency),
        customers=formatting.counted(float(monthly["active_customers"].mean()), "customer"),
    )  # fmt: skip
    if months >= 24:
        last = float(monthly["net_revenue"].iloc[-12:].sum())
        before = float(monthly["net_revenue"].iloc[-24:-12].sum())
        if before > 0:
            change = last / before - 1
            sign = "+" if change >= 0 else ""
            text += " " + _("Last 12 months vs the 12 before: {change}.").format(
                change=sign + formatting.pct(change, 1)
            )
    return text


def monthly_slide(monthly: pd.DataFrame, currency: str) -> ChartSlide:
    return ChartSlide(
        MONTHLY_TITLE,
        monthly_takeaway(monthly, currency),
        monthly_activity_chart(monthly, currency),
    )
