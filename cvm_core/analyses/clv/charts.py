"""Charts of the Customer Lifetime Value page.

Every function takes a frame the core has already aggregated (:mod:`cvm_core.analyses.clv.fit`,
:mod:`cvm_core.analyses.clv.tiers`, :mod:`cvm_core.analyses.clv.scenario`; a few hundred rows at most) and returns an Altair
chart. Nothing here fits or predicts.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cvm_core import formatting
from cvm_core.chart_style import MONEY_FORMAT, NEUTRAL, PALETTE, POSITIVE, money_title
from cvm_core.i18n import N_, _

ACTUAL, PREDICTED = N_("Actual"), N_("Model")
"""The two series of the model checks (translated where drawn)."""
TIER_COLORS = ["#8e9eab", "#d4ac0d", "#7f8c8d", "#34495e", "#16a085", "#c0392b"]
UNIT_WORDS = {"day": "days", "week": "weeks", "month": "months"}
PHASES = {"calibration": N_("calibration"), "holdout": N_("holdout")}
"""The cumulative frame's phases, as the tooltip names them."""
HOLDOUT_SUBTITLES = {
    "day": N_("Mean purchases per customer in the {periods}-day holdout, by repeat purchases before it"),
    "week": N_("Mean purchases per customer in the {periods}-week holdout, by repeat purchases before it"),
    "month": N_("Mean purchases per customer in the {periods}-month holdout, by repeat purchases before it"),
}  # fmt: skip
"""Whole sentences per time unit: the unit word is not glued into a translated sentence."""
RECENCY_TITLES = {
    "day": N_("Time from first to last purchase (days)"),
    "week": N_("Time from first to last purchase (weeks)"),
    "month": N_("Time from first to last purchase (months)"),
}
LAST_PURCHASE_TITLES = {
    "day": N_("Last purchase after (days)"),
    "week": N_("Last purchase after (weeks)"),
    "month": N_("Last purchase after (months)"),
}
FIRST_BOUGHT_SUBTITLES = {
    "day": N_("For a customer who first bought {age} days ago"),
    "week": N_("For a customer who first bought {age} weeks ago"),
    "month": N_("For a customer who first bought {age} months ago"),
}


def _series_scale(actual: str, model: str) -> alt.Scale:
    return alt.Scale(domain=[actual, model], range=[PALETTE[0], PALETTE[1]])


def cumulative_chart(cumulative: pd.DataFrame, calibration_end: pd.Timestamp) -> alt.LayerChart:
    """Cumulative repeat purchases, actual vs model, with the calibration end marked.

    Parameters
    ----------
    cumulative : DataFrame
        :func:`cvm_core.analyses.clv.fit.cumulative_repeat_purchases` (date, actual, predicted, phase).
    """
    long = cumulative.melt(
        id_vars=["date", "phase"],
        value_vars=["actual", "predicted"],
        var_name="series",
        value_name="purchases",
    )
    actual, model = _(ACTUAL), _(PREDICTED)
    long["series"] = long["series"].map({"actual": actual, "predicted": model})
    long["phase"] = long["phase"].replace({phase: _(name) for phase, name in PHASES.items()})
    lines = (
        alt.Chart(long)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X(
                "date:T",
                title=_("Date"),
                axis=alt.Axis(
                    format="%b %Y",
                    labelOverlap="greedy",
                    tickCount={"interval": "month", "step": 3},
                ),
            ),
            y=alt.Y(
                "purchases:Q", title=_("Cumulative repeat purchases"), axis=alt.Axis(format="~s")
            ),
            color=alt.Color(
                "series:N",
                scale=_series_scale(actual, model),
                title=None,
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=[actual, model], range=[[1, 0], [7, 4]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("date:T", title=_("Date"), format="%d %b %Y"),
                alt.Tooltip("series:N", title=_("Series")),
                alt.Tooltip("purchases:Q", title=_("Repeat purchases"), format=",.0f"),
                alt.Tooltip("phase:N", title=_("Period")),
            ],
        )
    )
    rule = (
        alt.Chart(
            pd.DataFrame({"date": [pd.Timestamp(calibration_end)], "label": ["calibration end"]})
        )
        .mark_rule(color="#7f8c8d", strokeDash=[4, 4], strokeWidth=1.5)
        .encode(
            # The same title as the lines' axis: the layers share one.
            x=alt.X("date:T", title=_("Date")),
            tooltip=[alt.Tooltip("date:T", title=_("Calibration end"), format="%d %b %Y")],
        )
    )
    return alt.layer(lines, rule).properties(
        title=alt.Title(
            _("Repeat purchases: actual vs model"),
            subtitle=_("Left of the dashed line the model saw the data; right of it, it did not."),
        ),
        height=320,
    )


def holdout_by_frequency_chart(by_frequency: pd.DataFrame, periods: float, unit: str) -> alt.Chart:
    """Mean holdout purchases per customer by the number of repeat purchases in calibration.

    Parameters
    ----------
    by_frequency : DataFrame
        :attr:`cvm_core.analyses.clv.fit.HoldoutCheck.by_frequency` (frequency, customers, actual, predicted).
    """
    title = alt.Title(
        _("Holdout purchases by past frequency: actual vs model"),
        subtitle=_(HOLDOUT_SUBTITLES[unit]).format(periods=formatting.number(periods, 0)),
    )
    return _actual_vs_model_bars(
        by_frequency, "frequency", _("Repeat purchases in the calibration period"),
        _("Calibration repeat purchases"), title,
    )  # fmt: skip


def _actual_vs_model_bars(
    table: pd.DataFrame, group: str, axis_title: str, tooltip_title: str, title
) -> alt.Chart:
    """Mean holdout purchases, actual beside the model's, per group (columns ``group``,
    customers, actual, predicted)."""
    long = table.melt(
        id_vars=[group, "customers"],
        value_vars=["actual", "predicted"],
        var_name="series",
        value_name="mean",
    )
    actual, model = _(ACTUAL), _(PREDICTED)
    long["series"] = long["series"].map({"actual": actual, "predicted": model})
    long[group] = long[group].astype(str)
    order = [str(v) for v in table[group]]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(f"{group}:N", title=axis_title, sort=order, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", sort=[actual, model]),
            y=alt.Y("mean:Q", title=_("Purchases per customer")),
            color=alt.Color(
                "series:N",
                scale=_series_scale(actual, model),
                title=None,
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip(f"{group}:N", title=tooltip_title),
                alt.Tooltip("series:N", title=_("Series")),
                alt.Tooltip("mean:Q", title=_("Mean holdout purchases"), format=".2f"),
                alt.Tooltip("customers:Q", title=_("Customers"), format=","),
            ],
        )
        .properties(title=title, height=300)
    )


def clv_histogram_chart(
    distribution: pd.DataFrame, currency: str, horizon_months: int
) -> alt.Chart:
    """How many customers fall in each CLV band.

    Parameters
    ----------
    distribution : DataFrame
        :func:`cvm_core.analyses.clv.fit.clv_distribution` (lower, upper, customers, share).
    """
    title = money_title(
        _("CLV over {months}").format(months=formatting.counted(horizon_months, "month")), currency
    )
    return (
        alt.Chart(distribution)
        .mark_bar(color=NEUTRAL, binSpacing=1)
        .encode(
            x=alt.X("lower:Q", bin="binned", title=title, axis=alt.Axis(format="~s")),
            x2="upper:Q",
            y=alt.Y("customers:Q", title=_("Customers")),
            tooltip=[
                alt.Tooltip("lower:Q", title=money_title(_("From"), currency), format=MONEY_FORMAT),
                alt.Tooltip("upper:Q", title=money_title(_("To"), currency), format=MONEY_FORMAT),
                alt.Tooltip("customers:Q", title=_("Customers"), format=","),
                alt.Tooltip("share:Q", title=_("Share of customers"), format=".1%"),
            ],
        )
        .properties(title=_("Distribution of customer lifetime value"), height=300)
    )


def p_alive_heatmap(matrix: pd.DataFrame, unit: str) -> alt.Chart:
    """P(alive) by frequency and recency for a customer of typical age.

    Parameters
    ----------
    matrix : DataFrame
        :func:`cvm_core.analyses.clv.fit.p_alive_matrix` (frequency, recency, T, p_alive).
    """
    age = float(matrix["T"].iloc[0]) if len(matrix) else 0.0
    frame = matrix.assign(recency=matrix["recency"].round(2), p_alive=matrix["p_alive"].round(4))
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(
                "recency:O",
                title=_(RECENCY_TITLES[unit]),
                axis=alt.Axis(format=".0f", labelAngle=0, labelOverlap=True),
            ),
            y=alt.Y("frequency:O", title=_("Repeat purchases"), sort="descending"),
            color=alt.Color(
                "p_alive:Q",
                title=_("P(alive)"),
                scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                alt.Tooltip("frequency:O", title=_("Repeat purchases")),
                alt.Tooltip("recency:Q", title=_(LAST_PURCHASE_TITLES[unit]), format=".1f"),
                alt.Tooltip("p_alive:Q", title=_("P(alive)"), format=".1%"),
            ],
        )
        .properties(
            title=alt.Title(
                _("Probability a customer is still active"),
                subtitle=_(FIRST_BOUGHT_SUBTITLES[unit]).format(age=formatting.number(age, 0)),
            ),
            height=340,
        )
    )


def tier_shares_chart(tiers: pd.DataFrame) -> alt.Chart:
    """Share of customers, CLV and past revenue per tier.

    Parameters
    ----------
    tiers : DataFrame
        :func:`cvm_core.analyses.clv.tiers.tier_summary`.
    """
    labels = {
        "customer_share": _("Customers"),
        "clv_share": _("Future value (CLV)"),
        "revenue_share": _("Past revenue"),
    }
    long = tiers.melt(
        id_vars=["tier"], value_vars=list(labels), var_name="measure", value_name="share"
    )
    long["measure"] = long["measure"].map(labels)
    long["share"] = long["share"].fillna(0.0)
    # Tier names are kept English in the result (settings name them); a user's own stay as typed.
    long["tier"] = [_(str(t)) for t in long["tier"]]
    order = [_(str(t)) for t in tiers["tier"]]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("tier:N", title=None, sort=order),
            yOffset=alt.YOffset("measure:N", sort=list(labels.values())),
            x=alt.X("share:Q", title=_("Share of the total (%)"), axis=alt.Axis(format="%")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=list(labels.values()),
                scale=alt.Scale(range=PALETTE[:3]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("tier:N", title=_("Tier")),
                alt.Tooltip("measure:N", title=_("Measure")),
                alt.Tooltip("share:Q", title=_("Share"), format=".1%"),
            ],
        )
        .properties(
            title=_("Customer pyramid: customers, future value and past revenue by tier"),
            height=320,
        )
    )


def scenario_chart(by_tier: pd.DataFrame, currency: str) -> alt.Chart:
    """Baseline vs scenario CLV per tier (the Total row left out).

    Parameters
    ----------
    by_tier : DataFrame
        :attr:`cvm_core.analyses.clv.scenario.ScenarioProjection.by_tier`.
    """
    rows = by_tier[by_tier["tier"] != "Total"]
    labels = {"baseline_clv": _("Today's course"), "scenario_clv": _("With treatment")}
    long = rows.melt(
        id_vars=["tier", "treatment_cost"],
        value_vars=list(labels),
        var_name="case",
        value_name="clv",
    )
    long["case"] = long["case"].map(labels)
    long["tier"] = [_(str(t)) for t in long["tier"]]  # English in the result, as the tabs show
    title = money_title(_("Projected CLV"), currency)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(
                "tier:N",
                title=None,
                sort=[_(str(t)) for t in rows["tier"]],
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("case:N", sort=list(labels.values())),
            y=alt.Y(
                "clv:Q", title=title, axis=alt.Axis(format="~s"), scale=_bar_headroom(long["clv"])
            ),
            color=alt.Color(
                "case:N",
                title=None,
                sort=list(labels.values()),
                scale=alt.Scale(range=[PALETTE[5], PALETTE[2]]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("tier:N", title=_("Tier")),
                alt.Tooltip("case:N", title=_("Case")),
                alt.Tooltip("clv:Q", title=title, format=MONEY_FORMAT),
                alt.Tooltip(
                    "treatment_cost:Q",
                    title=money_title(_("Treatment cost"), currency),
                    format=MONEY_FORMAT,
                ),
            ],
        )
        .properties(
            title=_("What-if: projected CLV per tier, today's course vs with treatment"),
            height=320,
        )
    )


HEADROOM = 0.1
"""Share of the value range left free above the tallest bar (and below the lowest negative one)."""


def _bar_headroom(values: pd.Series) -> alt.Scale:
    """A bar scale from zero with room above the tallest bar, so it never touches the plot's top
    edge (Vega's 'nice' rounding leaves none when the maximum is already a round number)."""
    finite = values[np.isfinite(values)] if len(values) else values
    low = min(float(finite.min()), 0.0) if len(finite) else 0.0
    high = max(float(finite.max()), 0.0) if len(finite) else 1.0
    span = (high - low) or 1.0
    return alt.Scale(
        domain=(low - HEADROOM * span if low < 0 else 0.0, high + HEADROOM * span), nice=False
    )


def decile_chart(deciles: pd.DataFrame) -> alt.Chart:
    """Mean holdout purchases, predicted and actual, per tenth of customers by prediction."""
    return _actual_vs_model_bars(
        deciles, "decile", _("Tenth of customers by the model's prediction (1 = lowest)"),
        _("Tenth"), _("Holdout purchases by tenth of prediction"),
    )  # fmt: skip


def value_curves_chart(curves: pd.DataFrame, currency: str) -> alt.Chart:
    """Today's whale curve and the forward-looking one (customers ranked by CLV), as shares of
    their own totals when both are positive, else in money."""
    in_pct = bool(curves["cum_pct"].notna().all())
    field, title = (
        ("cum_pct", _("Cumulative share of the curve's total"))
        if in_pct
        else ("cum_value", money_title(_("Cumulative profit"), currency))
    )
    # The curves' names (the value matrix's "Profit to date", "Expected future profit (CLV)") in
    # the language: nothing reads them after the chart.
    curves = curves.assign(curve=curves["curve"].map(_))
    names = list(dict.fromkeys(curves["curve"]))
    return (
        alt.Chart(curves)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X(
                "customer_share:Q",
                title=_("Customers, most valuable first (% of customers)"),
                # Tens, as on the Whale page: in 5% steps the labels touch on a narrow page.
                axis=alt.Axis(format="%", tickCount=10),
            ),
            y=alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format="%" if in_pct else "~s")),
            color=alt.Color(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=names, range=[PALETTE[5], POSITIVE]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "curve:N", scale=alt.Scale(domain=names, range=[[6, 4], [1, 0]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("curve:N", title=_("Curve")),
                alt.Tooltip("customer_share:Q", title=_("Customers"), format=".1%"),
                alt.Tooltip("cum_pct:Q", title=_("Share of total"), format=".1%"),
                alt.Tooltip(
                    "cum_value:Q", title=money_title(_("Cumulative"), currency), format=MONEY_FORMAT
                ),
            ],
        )
        .properties(title=_("Whale curve: profit to date and expected future profit"), height=340)
    )


QUADRANT_COLORS = ["#16a085", "#2e86c1", "#d4ac0d", "#c0392b", "#95a5a6"]
"""Protect, Build, Fix, Part with, Gone."""


def value_matrix_chart(points: pd.DataFrame, currency: str, quadrants: list[str]) -> alt.Chart:
    """Each customer at (profit to date, future profit), coloured by cell; axes on a symmetric
    log scale so the many small customers and the few whales both show."""
    return (
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.55)
        .encode(
            x=alt.X(
                "profit_to_date:Q",
                title=money_title(_("Profit to date"), currency),
                scale=alt.Scale(type="symlog"),
                axis=alt.Axis(format="~s"),
            ),
            y=alt.Y(
                "future_value:Q",
                title=money_title(_("Expected future profit (CLV)"), currency),
                scale=alt.Scale(type="symlog"),
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(
                "quadrant:N",
                title=None,
                scale=alt.Scale(domain=quadrants, range=QUADRANT_COLORS),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("customer_id:N", title=_("Customer")),
                alt.Tooltip("quadrant:N", title=_("Cell")),
                alt.Tooltip("profit_to_date:Q", title=_("Profit to date"), format=MONEY_FORMAT),
                alt.Tooltip("future_value:Q", title=_("CLV"), format=MONEY_FORMAT),
            ],
        )
        .properties(title=_("Value matrix: profit to date x expected future profit"), height=380)
    )
