"""Widgets, the cached core call and rendering of the Segments page."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from cvm_core import affinity, export, formatting
from cvm_core import segments as core
from cvm_core.charts import segments as charts
from cvm_core.dataset import Dataset
from cvm_core.errors import CvmError
from ui import data, state
from ui.charts import show_chart

KEY = "cvm.segments"
AUTO_K = "Auto (best silhouette)"
K_CHOICES = [AUTO_K, *range(core.K_RANGE[0], core.K_RANGE[1] + 1)]


def key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{KEY}.{name}", dataset)


# --- settings and the one core call -----------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def _numeric_attributes(_dataset: Dataset, fingerprint: str) -> list[str]:
    return list(core.numeric_attributes(_dataset.customers, _dataset.cost_to_serve).columns)


def settings_form(dataset: Dataset) -> core.SegmentSettings:
    """Frequency measure, number of clusters and extra clustering attributes."""
    left, middle, right = st.columns([1, 1, 2])
    frequency = left.radio(
        "Frequency counts",
        list(core.FREQUENCY_MEASURES),
        format_func=lambda f: core.FREQUENCY_MEASURES[f].capitalize(),
        key=key("frequency", dataset),
        help="Orders: distinct order numbers (purchase days when no order column is mapped). "
        "Purchase days: days with at least one purchase.",
    )
    k = middle.selectbox(
        "Number of clusters",
        K_CHOICES,
        key=key("k", dataset),
        help="Auto picks the k from 2 to 8 whose clusters are best separated (silhouette).",
    )
    options = _numeric_attributes(dataset, dataset.fingerprint)
    attributes = right.multiselect(
        "Also cluster on",
        options,
        format_func=core.attribute_label,
        key=key("attributes", dataset),
        placeholder="Recency, frequency and net revenue only"
        if options
        else "No numeric customer attributes",
        disabled=not options,
        help="Numeric customer attributes (customer table, cost-to-serve drivers). Customers "
        "without a value get the median.",
    )
    return core.SegmentSettings(
        frequency=frequency,
        n_clusters=None if k == AUTO_K else int(k),
        cluster_attributes=tuple(attributes),
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _analyse(
    _dataset: Dataset,
    _summary: pd.DataFrame,
    fingerprint: str,
    unit: str,
    end: dt.date,
    settings: core.SegmentSettings,
) -> core.SegmentAnalysis:
    return core.analyse_segments(
        _summary,
        _dataset.transactions,
        _dataset.customers,
        _dataset.cost_to_serve,
        settings,
        pd.Timestamp(end),
    )


def analyse(dataset: Dataset, settings: core.SegmentSettings) -> core.SegmentAnalysis:
    """Run (or fetch) the analysis; stop the page with a message if the data cannot be segmented."""
    summary = data.customer_summary(dataset)
    end = data.observation_end(dataset)
    try:
        with st.spinner("Scoring, clustering and pairing categories…"):
            result = _analyse(
                dataset, summary, dataset.fingerprint, data.unit(), end.date(), settings
            )
    except CvmError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    st.session_state[state.SEGMENTS_RESULT] = (dataset.fingerprint, result.segment_frame())
    return result


# --- tables -----------------------------------------------------------------------------------


def _column_config(currency: str, dimension: str) -> dict:
    money = st.column_config.NumberColumn
    return {
        "segment": st.column_config.TextColumn(dimension),
        "description": st.column_config.TextColumn("What it means", width="large"),
        "customers": money("Customers", format="localized"),
        "customer_share": money("Share of customers", format="percent"),
        "net_revenue": money(f"Net revenue ({currency})", format="localized"),
        "revenue_share": money("Share of revenue", format="percent"),
        "revenue_per_customer": money(f"Revenue per customer ({currency})", format="localized"),
        "margin": money(f"Margin ({currency})", format="localized"),
        "margin_share": money("Share of margin", format="percent"),
        "avg_recency_days": money("Avg days since last purchase", format="%.0f"),
        "avg_frequency": money("Avg orders", format="%.1f"),
        "avg_monetary": None,
    }


def _table(frame: pd.DataFrame, currency: str, dimension: str) -> None:
    """A contribution table with units in the headers, whole money amounts and every row visible."""
    shown = frame.dropna(axis=1, how="all")
    shares = [c for c in shown.columns if c.endswith("_share")]
    amounts = [c for c in shown.select_dtypes("number").columns if c not in shares]
    shown = shown.round({**dict.fromkeys(amounts, 0), **dict.fromkeys(shares, 4)})
    config = _column_config(currency, dimension)
    for column in shown.columns:
        if column.startswith("avg_") and column not in config:
            config[column] = st.column_config.NumberColumn(
                f"Avg {core.attribute_label(column[4:]).lower()}", format="localized"
            )
    height = 35 * (len(shown) + 1) + 3 if len(shown) <= 30 else "auto"
    st.dataframe(shown, hide_index=True, column_config=config, height=height)


# --- tabs -------------------------------------------------------------------------------------


def show_headline(result: core.SegmentAnalysis) -> None:
    table = result.contribution["RFM segment"].set_index("segment")
    cols = st.columns(4)
    cols[0].metric("Customers", formatting.count(int(table["customers"].sum())))
    for col, name in zip(cols[1:3], ("Champions", "At risk"), strict=True):
        if name in table.index:
            row = table.loc[name]
            col.metric(
                name,
                formatting.pct(row["customer_share"]),
                help=f"Share of customers; they bring {formatting.pct(row['revenue_share'])} of net revenue.",
            )
    clusters = result.clusters
    cols[3].metric("Clusters", formatting.count(clusters.n_clusters_) if clusters else "–")


def show_rfm(result: core.SegmentAnalysis, currency: str) -> None:
    for note in result.rfm.notes:
        st.info(note, icon=":material/info:")
    cells = core.grid_cells(result.rfm)
    order = list(result.rfm.table["rfm_segment"].cat.categories)
    show_chart(
        charts.rfm_map_chart(cells, order),
        "Each customer scores 1-5 on recency (R) and on frequency and spend combined (FM), by "
        "fifths of your customer base; the cell decides the segment. Percentages: share of customers.",
        data=cells,
    )
    table = result.contribution["RFM segment"]
    _table(table.drop(columns=["avg_monetary"]), currency, "RFM segment")
    with st.expander("The segment map: which scores make which segment, and what to do"):
        st.dataframe(core.segment_grid_frame(result.rfm.grid))
        meaning = pd.DataFrame(
            {
                "Segment": order,
                "What it means": [core.RFM_SEGMENT_DESCRIPTIONS.get(s, "") for s in order],
            }
        )
        st.dataframe(meaning, hide_index=True, height=35 * (len(meaning) + 1) + 3)
        st.caption(
            "R = recency score, FM = the rounded-up mean of the frequency and monetary scores. "
            "Scores are quintiles: 5 = the best fifth of customers. Equal values are ordered by "
            "the other measures so each score holds a fifth."
        )


def show_clusters(result: core.SegmentAnalysis, currency: str) -> None:
    clusters = result.clusters
    if clusters is None:
        st.warning(
            result.cluster_message or "Clustering was not possible.", icon=":material/warning:"
        )
        return
    for note in clusters.notes_:
        st.info(note, icon=":material/info:")
    how = "chosen by you" if clusters.n_clusters is not None else "the best-separated k from 2 to 8"
    st.markdown(
        f"**{clusters.n_clusters_} clusters** ({how}) from k-means on log-scaled, standardised "
        f"{', '.join(core.attribute_label(f).lower() for f in clusters.features_)}. "
        f"k was judged on a random sample of {formatting.count(clusters.sample_size_)} customers; "
        f"the final model is {clusters.algorithm_} on all customers."
    )
    profile = result.cluster_profile
    show_chart(
        charts.cluster_map_chart(profile, currency),
        "Each bubble is a cluster: further left = bought more recently, higher = more net revenue "
        "per customer, bigger = more customers. Names describe the cluster's typical customer.",
        data=profile,
    )
    _table(profile.drop(columns=["avg_monetary"]), currency, "Cluster")
    if len(clusters.silhouette_) > 1:
        show_chart(
            charts.silhouette_chart(clusters.silhouette_, clusters.n_clusters_),
            "Silhouette: how much closer customers are to their own cluster than to the next one "
            "(1 = perfectly separated, 0 = overlapping). The orange dot is the k used.",
            data=clusters.silhouette_.reset_index(),
        )


def show_contribution(result: core.SegmentAnalysis, dataset: Dataset, currency: str) -> None:
    dimension = st.selectbox(
        "Break down by", list(result.contribution), key=key("dimension", dataset)
    )
    table = result.contribution[dimension]
    show_chart(
        charts.contribution_chart(table, dimension, result.has_margin),
        "Grey: share of customers; blue: share of net revenue"
        + ("; green: share of gross margin" if result.has_margin else "")
        + ". A blue bar far longer than the grey one marks a group worth more than its size.",
        data=table,
    )
    if not result.has_margin:
        st.caption(
            "Map a cost-of-goods or margin % column on the Upload page to see margin shares."
        )
    _table(table, currency, dimension)


def show_cross_sell(result: core.SegmentAnalysis, dataset: Dataset) -> None:
    if result.baskets is None:
        st.info(result.affinity_message, icon=":material/info:")
        return
    if result.affinity_message:
        st.info(result.affinity_message, icon=":material/info:")
    scope = st.selectbox("Customers", list(result.affinity), key=key("scope", dataset))
    pairs = result.affinity[scope]
    if pairs.empty:
        st.info(
            f"No category pair was bought by at least {affinity.MIN_PAIR_CUSTOMERS} customers in this group."
        )
    else:
        show_chart(
            charts.lift_heatmap(pairs, list(result.baskets.categories)),
            "Lift: how many times more likely buyers of the row category are to also buy the "
            "column category than customers in general. Blue: bought together more than chance.",
            data=pairs,
        )
        top = affinity.top_pairs(pairs, 15)
        st.dataframe(
            top, hide_index=True, height=35 * (len(top) + 1) + 3,
            column_config={
                "antecedent": "Bought", "consequent": "Also bought",
                "customers_both": st.column_config.NumberColumn("Customers with both", format="localized"),
                "antecedent_customers": st.column_config.NumberColumn("Bought the first", format="localized"),
                "consequent_customers": st.column_config.NumberColumn("Bought the second", format="localized"),
                "support": st.column_config.NumberColumn("Support", format="percent"),
                "confidence": st.column_config.NumberColumn("Confidence", format="percent"),
                "lift": st.column_config.NumberColumn("Lift", format="%.2f"),
            },
        )  # fmt: skip
    show_chart(
        charts.categories_per_customer_chart(result.categories_per_customer[scope]),
        "Products per customer: how many different categories each customer has bought.",
        data=result.categories_per_customer[scope],
    )
    counts = affinity.recommendation_counts(result.next_best)
    show_chart(
        charts.next_best_chart(counts),
        "For each customer, the not-yet-bought category with the highest lift to something they "
        "bought (only lifts above 1). The full list is under Download lists.",
        data=counts,
    )


def show_downloads(result: core.SegmentAnalysis, dataset: Dataset, currency: str) -> None:
    st.markdown(
        "**Segment membership**: every customer with RFM segment, cluster, scores and next-best category."
    )
    members = partial(core.membership_export, result, currency)
    _downloads(members, "Segment membership", "segment_membership", "seg.members")
    st.markdown(
        "**Next-best offers**: customers with a recommended category, strongest lift first."
    )
    if result.next_best is None:
        st.info(result.affinity_message, icon=":material/info:")
        return
    offers = partial(core.next_best_export, result, currency)
    _downloads(offers, "Next-best offers", "next_best_offers", "seg.offers")
    st.caption("Files are safe to open in Excel: cells that could run as formulas are neutralised.")


def _downloads(build, title: str, name: str, key_: str) -> None:
    left, right = st.columns(2)
    # Built only when clicked: a million-row workbook takes a while and most visits download nothing.
    left.download_button(
        f"{title} (CSV)", lambda: export.csv_bytes(build()), file_name=f"{name}.csv", mime="text/csv",
        icon=":material/download:", key=f"{key_}.csv", on_click="ignore",
    )  # fmt: skip
    right.download_button(
        f"{title} (Excel)", lambda: export.xlsx_bytes({title: build()}), file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:", key=f"{key_}.xlsx", on_click="ignore",
    )  # fmt: skip
