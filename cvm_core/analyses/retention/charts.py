"""Charts of the Retention page: cohort heatmaps, gaps, churn rates, survival, tenure, economics.

All take frames the core already aggregated (cvm_core.analyses.retention.cohorts / cvm_core.analyses.retention.churn) and return
Altair charts; nothing here computes an analysis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core import formatting
from cvm_core.chart_style import (
    MAX_CHART_ROWS,
    MONEY_FORMAT,
    NEGATIVE,
    NEUTRAL,
    PALETTE,
    money_title,
)

DAYS_PER_MONTH = 365.25 / 12
HEATMAP_TEXT_MAX_COLUMNS = 40
"""Beyond this many periods the cell labels would overlap; the tooltip still has every value."""

HEATMAPS = {
    "customer_retention": ("Customer retention", "Customers who bought / cohort size", ".0%"),
    "revenue_retention": ("Net revenue retention", "Net revenue / first-period revenue", ".0%"),
    "cumulative_revenue_per_customer": (
        "Cumulative net revenue per acquired customer",
        "Net revenue to date / cohort size",
        MONEY_FORMAT,
    ),
}


def _check_rows(frame: pd.DataFrame) -> None:
    if len(frame) > MAX_CHART_ROWS:
        raise ValueError(f"{len(frame)} rows: aggregate before charting (max {MAX_CHART_ROWS}).")


def cohort_heatmap(long: pd.DataFrame, measure: str, period: str, currency: str) -> alt.LayerChart:
    """Cohorts (rows, with their size) x periods since acquisition, coloured and labelled.

    Parameters
    ----------
    long : DataFrame
        :meth:`cvm_core.analyses.retention.cohorts.CohortTables.to_long` (only observed cells).
    measure : {"customer_retention", "revenue_retention", "cumulative_revenue_per_customer"}
    """
    _check_rows(long)
    title, legend, fmt = HEATMAPS[measure]
    if measure == "cumulative_revenue_per_customer":
        legend = money_title(legend, currency)
    data = long.assign(
        row=long["cohort"] + "  (" + long["cohort_size"].map("{:,}".format) + ")",
        money_label=[formatting.money_short(v, currency) for v in long[measure]]
        if fmt == MONEY_FORMAT else "",
    )  # fmt: skip
    rows = list(dict.fromkeys(data.sort_values("cohort_order")["row"]))
    n_ages = int(data["age"].max()) + 1 if len(data) else 1
    # Scale on the later periods: period 0 (100% by construction) would wash out the rest.
    later = data.loc[data["age"] > 0, measure]
    high = float(later.quantile(0.95)) if later.notna().any() else 1.0
    domain = [0, max(high, 0.05)] if fmt == ".0%" else [0, max(high, 1.0)]
    base = alt.Chart(data).encode(
        x=alt.X(
            "age:O", title=f"{period.capitalize()}s since acquisition", axis=alt.Axis(labelAngle=0)
        ),
        y=alt.Y(
            "row:O", sort=rows, title=f"Cohort (customers acquired), by first-purchase {period}"
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            f"{measure}:Q",
            title=legend,
            scale=alt.Scale(scheme="blues", domain=domain, clamp=True),
            legend=alt.Legend(format=fmt, orient="bottom", gradientLength=300, titleLimit=600),
        ),
        tooltip=[
            alt.Tooltip("cohort:N", title="Cohort"),
            alt.Tooltip("cohort_size:Q", title="Customers acquired", format=","),
            alt.Tooltip("age:O", title=f"{period.capitalize()}s since acquisition"),
            alt.Tooltip("active_customers:Q", title="Customers who bought", format=","),
            alt.Tooltip("customer_retention:Q", title="Customer retention", format=".1%"),
            alt.Tooltip(
                "net_revenue:Q", title=money_title("Net revenue", currency), format=MONEY_FORMAT
            ),
            alt.Tooltip("revenue_retention:Q", title="Net revenue retention", format=".1%"),
            alt.Tooltip(
                "cumulative_revenue_per_customer:Q",
                title=money_title("Cumulative net revenue per customer", currency),
                format=MONEY_FORMAT,
            ),
        ],
    )
    layers = [cells]
    if n_ages <= HEATMAP_TEXT_MAX_COLUMNS:
        # Money short, with its currency ("€1.2k"): a full "€12,345" overflows the cell.
        text = alt.Text(f"{measure}:Q", format=".0%") if fmt == ".0%" else alt.Text("money_label:N")
        layers.append(
            base.mark_text(fontSize=_cell_font(n_ages)).encode(
                text=text,
                color=alt.condition(
                    alt.datum[measure] > 0.55 * domain[1], alt.value("white"), alt.value("#1b2631")
                ),
            )
        )
    cell_width = 36 if n_ages > 18 else 48
    return alt.layer(*layers).properties(
        title=alt.Title(title, subtitle=_heatmap_subtitle(measure)),
        width=alt.Step(cell_width),
        height=alt.Step(22),
    )


def _cell_font(n_ages: int) -> int:
    """Cell labels as large as the cells allow (14 px fits a 48 px cell's '100%')."""
    return 14 if n_ages <= 13 else 12 if n_ages <= 18 else 11


def _heatmap_subtitle(measure: str) -> str:
    if measure == "customer_retention":
        return "Share of each cohort who bought in that period; period 0 is 100% by construction."
    if measure == "revenue_retention":
        return "Above 100%: the cohort's survivors spend more than the whole cohort did at first."
    return "Net revenue from each cohort so far, divided by the customers it started with."


def gap_histogram_chart(
    histogram: pd.DataFrame, window_days: int, quantile_days: float
) -> alt.LayerChart:
    """Distribution of days between consecutive purchases, with the churn window marked."""
    _check_rows(histogram)
    labels = [
        f"{a:,.0f} or more" if tail else f"{a:,.0f} to {b - 1:,.0f}"
        for a, b, tail in zip(
            histogram["gap_from"], histogram["gap_to"], histogram["open_ended"], strict=True
        )
    ]
    bars = (
        alt.Chart(histogram.assign(bin=labels))
        .mark_bar(color=NEUTRAL, opacity=0.85)
        .encode(
            x=alt.X(
                "gap_from:Q",
                title="Days between consecutive purchases",
                bin="binned",
                axis=alt.Axis(labelOverlap="greedy", labelSeparation=8),
            ),
            x2="gap_to:Q",
            y=alt.Y(
                "share:Q",
                title="Share of gaps (each customer weighted equally)",
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                alt.Tooltip("bin:N", title="Days"),
                alt.Tooltip(
                    "share:Q", title="Share of gaps (customers weighted equally)", format=".1%"
                ),
                alt.Tooltip("cumulative_share:Q", title="Share up to here", format=".1%"),
                alt.Tooltip("repeat_purchases:Q", title="Repeat purchases", format=","),
            ],
        )
    )
    marks = pd.DataFrame(
        {"days": [window_days, quantile_days], "label": ["Churn window", "Suggested (90th pct)"]}
    )
    if window_days == quantile_days:  # one line, so one legend entry
        marks = pd.DataFrame(
            {"days": [window_days], "label": ["Churn window = suggested (90th pct)"]}
        )
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=2, strokeDash=[6, 4])
        .encode(
            x="days:Q",
            color=alt.Color(
                "label:N",
                title=None,
                scale=alt.Scale(domain=list(marks["label"]), range=[NEGATIVE, PALETTE[1]]),
                legend=alt.Legend(orient="top-right", labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=" "),
                alt.Tooltip("days:Q", title="Days", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, rules).properties(
        title="How long customers wait between purchases", height=260
    )


def churn_rate_chart(period_churn: pd.DataFrame, period: str) -> alt.LayerChart:
    """Churn rate per period (line) over the customers active at the period's start."""
    _check_rows(period_churn)
    base = alt.Chart(period_churn).encode(
        x=alt.X(
            "period_start:T",
            title=period.capitalize(),
            # Ticks on month starts: Vega's default ticks (weeks, on a short range) repeated each
            # month's name ("Nov 1997 Nov 1997"); greedy hides the ones that would not fit.
            axis=alt.Axis(
                format="%b %Y", tickCount={"interval": "month", "step": 1}, labelOverlap="greedy"
            ),
        ),
        tooltip=[
            alt.Tooltip("period:N", title=period.capitalize()),
            alt.Tooltip("customers_at_start:Q", title="Active at start", format=","),
            alt.Tooltip("churned:Q", title="Churned (lapsed)", format=","),
            alt.Tooltip("churn_rate:Q", title="Churn rate", format=".1%"),
            alt.Tooltip("new:Q", title="New customers", format=","),
            alt.Tooltip("reactivated:Q", title="Came back", format=","),
        ],
    )
    line = base.mark_line(color=NEGATIVE, strokeWidth=3, point=True).encode(
        y=alt.Y("churn_rate:Q", title="Churn rate", axis=alt.Axis(format="%")),
    )
    return alt.layer(line).properties(title=f"Churn rate per {period}", height=300)


def churn_by_group_chart(groups: pd.DataFrame, grouping: str) -> alt.Chart:
    """Churned share per level of one grouping (rows of :func:`cvm_core.analyses.retention.churn.churn_by_group`)."""
    _check_rows(groups)
    return (
        alt.Chart(groups)
        .mark_bar(color=NEGATIVE, opacity=0.85)
        .encode(
            y=alt.Y("group:N", title=grouping, sort="-x"),
            x=alt.X(
                "churn_rate:Q",
                title="Churned share of customers old enough to tell",
                axis=alt.Axis(format="%", tickCount=6),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=grouping),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("churned:Q", title="Churned", format=","),
                alt.Tooltip("churn_rate:Q", title="Churned share", format=".1%"),
            ],
        )
        .properties(title=f"Churn by {grouping.lower()}", height=alt.Step(28))
    )


def survival_chart(curves: pd.DataFrame, confidence: float) -> alt.LayerChart:
    """Kaplan-Meier survival curves (step lines) with confidence bands, one colour per group."""
    _check_rows(curves)
    data = curves.assign(months=curves["days"] / DAYS_PER_MONTH)
    color = alt.Color(
        "group:N", title="Group", legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=3)
    )
    base = alt.Chart(data).encode(
        x=alt.X("months:Q", title="Months since first purchase", scale=alt.Scale(nice=False))
    )
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y("lower:Q", title="Share of customers still active", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y2="upper:Q",
        color=alt.Color("group:N", legend=None),
    )  # fmt: skip
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        y="survival:Q",
        color=color,
        tooltip=[
            alt.Tooltip("group:N", title="Group"),
            alt.Tooltip("days:Q", title="Days since first purchase", format=",.0f"),
            alt.Tooltip("survival:Q", title="Still active", format=".1%"),
            alt.Tooltip("lower:Q", title=f"{confidence:.0%} band from", format=".1%"),
            alt.Tooltip("upper:Q", title="to", format=".1%"),
        ],
    )
    half = (
        alt.Chart(pd.DataFrame({"y": [0.5]}))
        .mark_rule(color="#7f8c8d", strokeDash=[4, 4])
        .encode(y="y:Q")
    )
    return (
        alt.layer(band, line, half)
        .resolve_legend(color="independent")
        .properties(
            title=alt.Title(
                "How long customers stay (Kaplan-Meier)",
                subtitle="Dashed line: 50% (median lifetime)",
            ),
            height=340,
        )
    )


def tenure_chart(table: pd.DataFrame, measure: str, currency: str) -> alt.LayerChart:
    """Value per active customer-year in each year of the relationship."""
    _check_rows(table)
    data = table[table["value_per_customer_year"].notna()]
    title = money_title("Per customer-year", currency)
    base = alt.Chart(data).encode(
        x=alt.X(
            "label:N",
            title="Year of the relationship",
            sort=list(data["label"]),
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("value_per_customer_year:Q", title=title, axis=alt.Axis(format="~s")),
    )
    bars = base.mark_bar(color=NEUTRAL, opacity=0.85).encode(
        tooltip=[
            alt.Tooltip("label:N", title="Year"),
            alt.Tooltip("value_per_customer_year:Q", title=title, format=MONEY_FORMAT),
            alt.Tooltip("ratio_to_year1:Q", title="× year 1", format=".2f"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            alt.Tooltip("customer_years:Q", title="Active customer-years", format=",.0f"),
        ]
    )
    text = base.mark_text(dy=-8, fontSize=13).encode(
        text=alt.Text("ratio_to_year1:Q", format=".2f")
    )
    return alt.layer(bars, text).properties(
        title=alt.Title(f"{measure.capitalize()} per kept customer, by year of the relationship",
                        subtitle="Label: multiple of year 1"),
        height=300,
    )  # fmt: skip


def economics_chart(table: pd.DataFrame, currency: str) -> alt.Chart:
    """Value of +N points of annual retention on the current customer base."""
    _check_rows(table)
    data = table.assign(label="+" + table["uplift_points"].astype(str) + " pts")
    title = money_title("Added value", currency)
    return (
        alt.Chart(data)
        .mark_bar(color=PALETTE[2], opacity=0.9)
        .encode(
            x=alt.X(
                "label:N",
                title="Annual retention uplift",
                sort=list(data["label"]),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("uplift_total:Q", title=title, axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("label:N", title="Uplift"),
                alt.Tooltip("retention:Q", title="Annual retention", format=".1%"),
                alt.Tooltip(
                    "clv_per_customer:Q",
                    title=money_title("CLV per customer", currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "uplift_per_customer:Q",
                    title=money_title("Gain per customer", currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip("uplift_total:Q", title=title, format=MONEY_FORMAT),
            ],
        )
        .properties(title="What more retention is worth", height=300)
    )
