"""Charts of the Retention page: cohort heatmaps, gaps, churn rates, survival, tenure, economics.

All take frames the core already aggregated (cvm_core.analyses.retention.cohorts / cvm_core.analyses.retention.churn) and return
Altair charts; nothing here computes an analysis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cvm_core import formatting, i18n
from cvm_core.analyses.retention.churn import GROUP_COLUMNS, LABELLED_GROUPINGS, MAIN_CHANNEL
from cvm_core.analyses.retention.defaults import ACQUISITION_YEAR
from cvm_core.chart_style import (
    MAX_CHART_ROWS,
    MONEY_FORMAT,
    NEGATIVE,
    NEUTRAL,
    PALETTE,
    money_title,
)
from cvm_core.i18n import N_, _

DAYS_PER_MONTH = 365.25 / 12
HEATMAP_TEXT_MAX_COLUMNS = 40
"""Beyond this many periods the cell labels would overlap; the tooltip still has every value."""

HEATMAPS = {
    "customer_retention": (
        N_("Customer retention"),
        N_("Customers who bought / cohort size"),
        ".0%",
    ),
    "revenue_retention": (
        N_("Net revenue retention"),
        N_("Net revenue / first-period revenue"),
        ".0%",
    ),
    "cumulative_revenue_per_customer": (
        N_("Cumulative net revenue per acquired customer"),
        N_("Net revenue to date / cohort size"),
        MONEY_FORMAT,
    ),
}
"""measure -> (title, legend title, value format); the texts in English, translated where shown."""
PERIOD_NAMES = {"month": N_("Month"), "quarter": N_("Quarter"), "week": N_("Week")}
"""Cohort period -> its name as an axis title (whole words: each language has its own)."""
SINCE_ACQUISITION = {
    "month": N_("Months since acquisition"),
    "quarter": N_("Quarters since acquisition"),
    "week": N_("Weeks since acquisition"),
}
COHORT_AXIS = {
    "month": N_("Cohort (customers acquired), by first-purchase month"),
    "quarter": N_("Cohort (customers acquired), by first-purchase quarter"),
    "week": N_("Cohort (customers acquired), by first-purchase week"),
}
CHURN_RATE_TITLES = {
    "month": N_("Churn rate per month"),
    "quarter": N_("Churn rate per quarter"),
    "week": N_("Churn rate per week"),
}
TENURE_TITLES = {
    "gross margin": N_("Gross margin per kept customer, by year of the relationship"),
    "net revenue": N_("Net revenue per kept customer, by year of the relationship"),
}
"""The tenure's measure (cvm_core.analyses.retention.tenure) -> the chart's title."""
BUILT_GROUPINGS = frozenset(
    [ACQUISITION_YEAR, MAIN_CHANNEL, *GROUP_COLUMNS.values(), *LABELLED_GROUPINGS.values()]
)
"""Groupings the code names (translated where shown); others are the customer table's columns,
shown as the file names them."""
GROUPING_WORDS = (
    N_("Acquisition year"), N_("Main channel"), N_("Acquisition channel"), N_("Region"),
    N_("Industry"), N_("RFM segment"), N_("Cluster"), N_("CLV tier"),
)  # fmt: skip
"""BUILT_GROUPINGS marked for the catalogs (a test keeps the two alike)."""
BUILT_GROUPS = {
    "All customers": N_("All customers"),
    "Other": N_("Other"),
    "Unknown": N_("Unknown"),
}
"""Group levels the code makes (no grouping; lumped small levels; missing values)."""


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
    legend = _(legend)
    if measure == "cumulative_revenue_per_customer":
        legend = money_title(legend, currency)
    since = _(SINCE_ACQUISITION[period])
    data = long.assign(
        # 'cohort' stays as stored (the page's row selection filters by it); this one is shown
        cohort_shown=[formatting.period_label(c) for c in long["cohort"]],
        row=[f"{formatting.period_label(c)}  ({formatting.count(n)})"
             for c, n in zip(long["cohort"], long["cohort_size"], strict=True)],
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
        x=alt.X("age:O", title=since, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("row:O", sort=rows, title=_(COHORT_AXIS[period])),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            f"{measure}:Q",
            title=legend,
            scale=alt.Scale(scheme="blues", domain=domain, clamp=True),
            legend=alt.Legend(format=fmt, orient="bottom", gradientLength=300, titleLimit=600),
        ),
        tooltip=[
            alt.Tooltip("cohort_shown:N", title=_("Cohort")),
            alt.Tooltip("cohort_size:Q", title=_("Customers acquired"), format=","),
            alt.Tooltip("age:O", title=since),
            alt.Tooltip("active_customers:Q", title=_("Customers who bought"), format=","),
            alt.Tooltip("customer_retention:Q", title=_("Customer retention"), format=".1%"),
            alt.Tooltip(
                "net_revenue:Q", title=money_title(_("Net revenue"), currency), format=MONEY_FORMAT
            ),
            alt.Tooltip("revenue_retention:Q", title=_("Net revenue retention"), format=".1%"),
            alt.Tooltip(
                "cumulative_revenue_per_customer:Q",
                title=money_title(_("Cumulative net revenue per customer"), currency),
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
        title=alt.Title(_(title), subtitle=_heatmap_subtitle(measure)),
        width=alt.Step(cell_width),
        height=alt.Step(22),
    )


def _cell_font(n_ages: int) -> int:
    """Cell labels as large as the cells allow (14 px fits a 48 px cell's '100%')."""
    return 14 if n_ages <= 13 else 12 if n_ages <= 18 else 11


def _heatmap_subtitle(measure: str) -> str:
    if measure == "customer_retention":
        return _(
            "Share of each cohort who bought in that period; period 0 is 100% by construction."
        )
    if measure == "revenue_retention":
        return _(
            "Above 100%: the cohort's survivors spend more than the whole cohort did at first."
        )
    return _("Net revenue from each cohort so far, divided by the customers it started with.")


def gap_histogram_chart(
    histogram: pd.DataFrame, window_days: int, quantile_days: float
) -> alt.LayerChart:
    """Distribution of days between consecutive purchases, with the churn window marked."""
    _check_rows(histogram)
    days_title = _("Days between consecutive purchases")
    count = formatting.count
    labels = [
        _("{low} or more").format(low=count(a))
        if tail
        else _("{low} to {high}").format(low=count(a), high=count(b - 1))
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
                title=days_title,
                bin="binned",
                axis=alt.Axis(labelOverlap="greedy", labelSeparation=8),
            ),
            x2="gap_to:Q",
            y=alt.Y(
                "share:Q",
                title=_("Share of gaps (each customer weighted equally)"),
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                alt.Tooltip("bin:N", title=_("Days")),
                alt.Tooltip(
                    "share:Q", title=_("Share of gaps (customers weighted equally)"), format=".1%"
                ),
                alt.Tooltip("cumulative_share:Q", title=_("Share up to here"), format=".1%"),
                alt.Tooltip("repeat_purchases:Q", title=_("Repeat purchases"), format=","),
            ],
        )
    )
    marks = pd.DataFrame(
        {"days": [window_days, quantile_days],
         "label": [_("Churn window"), _("Suggested (90th pct)")]}
    )  # fmt: skip
    if window_days == quantile_days:  # one line, so one legend entry
        marks = pd.DataFrame(
            {"days": [window_days], "label": [_("Churn window = suggested (90th pct)")]}
        )
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=2, strokeDash=[6, 4])
        .encode(
            x=alt.X("days:Q", title=days_title),  # the bars' title: one axis title, not two
            color=alt.Color(
                "label:N",
                title=None,
                scale=alt.Scale(domain=list(marks["label"]), range=[NEGATIVE, PALETTE[1]]),
                legend=alt.Legend(orient="top-right", labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=" "),
                alt.Tooltip("days:Q", title=_("Days"), format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, rules).properties(
        title=_("How long customers wait between purchases"), height=260
    )


def churn_rate_chart(period_churn: pd.DataFrame, period: str) -> alt.LayerChart:
    """Churn rate per period (line) over the customers active at the period's start."""
    _check_rows(period_churn)
    name = _(PERIOD_NAMES[period])
    period_churn = period_churn.assign(
        period=[formatting.period_label(p) for p in period_churn["period"]]
    )  # month labels are kept English in the (cached) result
    base = alt.Chart(period_churn).encode(
        x=alt.X(
            "period_start:T",
            title=name,
            # Ticks on month starts: Vega's default ticks (weeks, on a short range) repeated each
            # month's name ("Nov 1997 Nov 1997"); greedy hides the ones that would not fit.
            axis=alt.Axis(
                format="%b %Y", tickCount={"interval": "month", "step": 1}, labelOverlap="greedy"
            ),
        ),
        tooltip=[
            alt.Tooltip("period:N", title=name),
            alt.Tooltip("customers_at_start:Q", title=_("Active at start"), format=","),
            alt.Tooltip("churned:Q", title=_("Churned (lapsed)"), format=","),
            alt.Tooltip("churn_rate:Q", title=_("Churn rate"), format=".1%"),
            alt.Tooltip("new:Q", title=_("New customers"), format=","),
            alt.Tooltip("reactivated:Q", title=_("Came back"), format=","),
        ],
    )
    line = base.mark_line(color=NEGATIVE, strokeWidth=3, point=True).encode(
        y=alt.Y("churn_rate:Q", title=_("Churn rate"), axis=alt.Axis(format="%")),
    )
    return alt.layer(line).properties(title=_(CHURN_RATE_TITLES[period]), height=300)


def churn_by_group_chart(groups: pd.DataFrame, grouping: str) -> alt.Chart:
    """Churned share per level of one grouping (rows of :func:`cvm_core.analyses.retention.churn.churn_by_group`)."""
    _check_rows(groups)
    shown = grouping_name(grouping)
    # Lower case inside the English title ('Churn by acquisition year'); German nouns keep theirs.
    in_title = shown.lower() if i18n.current() == "en" else shown
    return (
        alt.Chart(groups.assign(group=_group_names(groups["group"])))
        .mark_bar(color=NEGATIVE, opacity=0.85)
        .encode(
            y=alt.Y("group:N", title=shown, sort="-x"),
            x=alt.X(
                "churn_rate:Q",
                title=_("Churned share of customers old enough to tell"),
                axis=alt.Axis(format="%", tickCount=6),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=shown),
                alt.Tooltip("customers:Q", title=_("Customers"), format=","),
                alt.Tooltip("churned:Q", title=_("Churned"), format=","),
                alt.Tooltip("churn_rate:Q", title=_("Churned share"), format=".1%"),
            ],
        )
        .properties(title=_("Churn by {grouping}").format(grouping=in_title), height=alt.Step(28))
    )


def grouping_name(grouping: str) -> str:
    """A grouping's name as shown: translated when the code named it ('Acquisition year'), as the
    customer table names it otherwise."""
    return _(grouping) if grouping in BUILT_GROUPINGS else grouping


def _group_names(groups: pd.Series) -> pd.Series:
    """Group levels as shown: the code's own ('Other', 'Unknown', 'All customers') translated,
    the data's as they are."""
    return groups.map(lambda g: _(BUILT_GROUPS[g]) if g in BUILT_GROUPS else g)


def survival_chart(curves: pd.DataFrame, confidence: float) -> alt.LayerChart:
    """Kaplan-Meier survival curves (step lines) with confidence bands, one colour per group."""
    _check_rows(curves)
    level = formatting.pct(confidence, 0)
    data = curves.assign(
        months=curves["days"] / DAYS_PER_MONTH, group=_group_names(curves["group"])
    )
    color = alt.Color(
        "group:N", title=_("Group"), legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=3)
    )
    base = alt.Chart(data).encode(
        x=alt.X("months:Q", title=_("Months since first purchase"), scale=alt.Scale(nice=False))
    )
    # Every layer's y titled alike: the layered axis would list each layer's title (or field).
    share = _("Share of customers still active")
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y("lower:Q", title=share, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y2="upper:Q",
        color=alt.Color("group:N", legend=None),
    )  # fmt: skip
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        y=alt.Y("survival:Q", title=share),
        color=color,
        tooltip=[
            alt.Tooltip("group:N", title=_("Group")),
            alt.Tooltip("days:Q", title=_("Days since first purchase"), format=",.0f"),
            alt.Tooltip("survival:Q", title=_("Still active"), format=".1%"),
            alt.Tooltip("lower:Q", title=_("{confidence} band from").format(confidence=level),
                        format=".1%"),
            alt.Tooltip("upper:Q", title=_("{confidence} band to").format(confidence=level),
                        format=".1%"),
        ],
    )  # fmt: skip
    half = (
        alt.Chart(pd.DataFrame({"y": [0.5]}))
        .mark_rule(color="#7f8c8d", strokeDash=[4, 4])
        .encode(y=alt.Y("y:Q", title=share))
    )
    return (
        alt.layer(band, line, half)
        .resolve_legend(color="independent")
        .properties(
            title=alt.Title(
                _("How long customers stay (Kaplan-Meier)"),
                subtitle=_("Dashed line: 50% (median lifetime)"),
            ),
            height=340,
        )
    )


def tenure_chart(table: pd.DataFrame, measure: str, currency: str) -> alt.LayerChart:
    """Value per active customer-year in each year of the relationship."""
    _check_rows(table)
    data = table[table["value_per_customer_year"].notna()]
    data = data.assign(label=_year_labels(data))
    title = money_title(_("Per customer-year"), currency)
    base = alt.Chart(data).encode(
        x=alt.X(
            "label:N",
            title=_("Year of the relationship"),
            sort=list(data["label"]),
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("value_per_customer_year:Q", title=title, axis=alt.Axis(format="~s")),
    )
    bars = base.mark_bar(color=NEUTRAL, opacity=0.85).encode(
        tooltip=[
            alt.Tooltip("label:N", title=_("Year")),
            alt.Tooltip("value_per_customer_year:Q", title=title, format=MONEY_FORMAT),
            alt.Tooltip("ratio_to_year1:Q", title=_("× year 1"), format=".2f"),
            alt.Tooltip("customers:Q", title=_("Customers"), format=","),
            alt.Tooltip("customer_years:Q", title=_("Active customer-years"), format=",.0f"),
        ]
    )
    text = base.mark_text(dy=-8, fontSize=13).encode(
        text=alt.Text("ratio_to_year1:Q", format=".2f")
    )
    return alt.layer(bars, text).properties(
        title=alt.Title(_(TENURE_TITLES[measure]), subtitle=_("Label: multiple of year 1")),
        height=300,
    )


def _year_labels(table: pd.DataFrame) -> list[str]:
    """The tenure's year labels ('Year 1' .. 'Year 4+') in the current language."""
    return [
        _("Year {year}+").format(year=year) if str(label).endswith("+")
        else _("Year {year}").format(year=year)
        for year, label in zip(table["year"], table["label"], strict=True)
    ]  # fmt: skip


def economics_chart(table: pd.DataFrame, currency: str) -> alt.Chart:
    """Value of +N points of annual retention on the current customer base."""
    _check_rows(table)
    data = table.assign(
        label=[_("+{points} pts").format(points=p) for p in table["uplift_points"].astype(str)]
    )
    title = money_title(_("Added value"), currency)
    return (
        alt.Chart(data)
        .mark_bar(color=PALETTE[2], opacity=0.9)
        .encode(
            x=alt.X(
                "label:N",
                title=_("Annual retention uplift"),
                sort=list(data["label"]),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("uplift_total:Q", title=title, axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("label:N", title=_("Uplift")),
                alt.Tooltip("retention:Q", title=_("Annual retention"), format=".1%"),
                alt.Tooltip(
                    "clv_per_customer:Q",
                    title=money_title(_("CLV per customer"), currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip(
                    "uplift_per_customer:Q",
                    title=money_title(_("Gain per customer"), currency),
                    format=MONEY_FORMAT,
                ),
                alt.Tooltip("uplift_total:Q", title=title, format=MONEY_FORMAT),
            ],
        )
        .properties(title=_("What more retention is worth"), height=300)
    )
