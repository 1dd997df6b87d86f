"""Widgets, the cached core call and rendering of the Segments page."""

from __future__ import annotations

import datetime as dt
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.segments import affinity, campaigns, charts, defaults, takeaways
from cvm_core.analyses.segments import analysis as segments_analysis
from cvm_core.analyses.segments import clustering as segments_clustering
from cvm_core.analyses.segments import contribution as segments_contribution
from cvm_core.analyses.segments import rfm as core
from cvm_core.analyses.segments import run as segments_run
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from cvm_core.outputs import workspace_settings
from ui import data, downloads, selections, session
from ui.charts import show_chart
from ui.tables import edit_table, show_table

KEY = "cvm.segments"
AUTO_K = workspace_settings.AUTO_CLUSTERS  # the label is stored in workspaces
K_CHOICES = [AUTO_K, *range(segments_clustering.K_RANGE[0], segments_clustering.K_RANGE[1] + 1)]
N_("Auto (best silhouette)")  # AUTO_K, shown translated
FREQUENCY_LABELS = {"orders": N_("Orders"), "purchase_days": N_("Purchase days")}
"""The frequency measures' names on screen (the stored value stays the code)."""
BREAKDOWNS = (
    N_("RFM segment"),
    N_("Cluster"),
    N_("Main channel"),
    N_("Region"),
    N_("Industry"),
    N_("Acquisition channel"),
    N_("All customers"),
)
"""Breakdown and scope names from cvm_core's segment analysis, for the catalogs: the option stays
English (code, workspaces and the address bar use it), the label shown is translated."""


def key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{KEY}.{name}", dataset)


# --- settings and the one core call -----------------------------------------------------------


@st.cache_data(max_entries=8, ttl="2h", show_spinner=False)
def _numeric_attributes(_dataset: Dataset, fingerprint: str) -> list[str]:
    return list(
        segments_contribution.numeric_attributes(_dataset.customers, _dataset.cost_to_serve).columns
    )


def settings_form(dataset: Dataset) -> segments_analysis.SegmentSettings:
    """Frequency measure, number of clusters and extra clustering attributes."""
    left, middle, right = st.columns([1, 1, 2])
    frequency = left.radio(
        _("Frequency counts"),
        list(defaults.FREQUENCY_MEASURES),
        format_func=lambda f: _(
            FREQUENCY_LABELS.get(f) or defaults.FREQUENCY_MEASURES[f].capitalize()
        ),
        key=key("frequency", dataset),
        persist_state="session",
        help=_(
            "Orders: distinct order numbers (purchase days when no order column is mapped). "
            "Purchase days: days with at least one purchase."
        ),
    )
    k = middle.selectbox(
        _("Number of clusters"),
        K_CHOICES,
        format_func=lambda k: _(k) if k == AUTO_K else str(k),
        key=key("k", dataset),
        persist_state="session",
        help=_(
            "Auto picks the k from 3 to 8 whose clusters are best separated (silhouette); two "
            "clusters are usually just high vs low value, too coarse for campaigns."
        ),
    )
    options = _numeric_attributes(dataset, dataset.fingerprint)
    attributes = right.multiselect(
        _("Also cluster on"),
        options,
        format_func=segments_contribution.attribute_label,
        key=key("attributes", dataset),
        persist_state="session",
        placeholder=_("Recency, frequency and net revenue only")
        if options
        else _("No numeric customer attributes"),
        disabled=not options,
        help=_(
            "Numeric customer attributes (customer table, cost-to-serve drivers). Customers "
            "without a value get the median."
        ),
    )
    return segments_analysis.SegmentSettings(
        frequency=frequency,
        n_clusters=None if k == AUTO_K else int(k),
        cluster_attributes=tuple(attributes),
        grid=_segment_map(dataset),
    )


def _reset_map(editor_key: str) -> None:
    st.session_state.pop(editor_key, None)


def _segment_map(dataset: Dataset) -> tuple[tuple[str, ...], ...]:
    """The RFM segment map, shown and editable; an invalid edit falls back to the default map."""
    editor_key = key("grid", dataset)
    default = core.segment_grid_frame()
    with st.expander(_("RFM segment map: which scores make which segment (editable)")):
        st.caption(
            _(
                "Rows: recency score R (5 = bought most recently). Columns: FM, the rounded-up "
                "mean of the frequency and monetary scores (5 = buys most often and spends most). "
                "Type a new name into any cell to regroup customers; your own names are allowed."
            )
        )
        edited = edit_table(
            default,
            key=editor_key,
            column_config={c: st.column_config.TextColumn(c, required=True) for c in default},
            disabled=["Recency score"],
        )
        st.button(
            _("Reset to the default map"),
            on_click=_reset_map,
            args=(editor_key,),
            icon=":material/restart_alt:",
            key=f"{editor_key}.reset",
        )
        try:
            grid = core.grid_from_frame(edited)
        except CvmError as error:
            st.error(formatting.escape_markdown(f"{i18n.error_text(error)} " + _("Using the default map until then.")),
                     icon=":material/error:")  # fmt: skip
            grid = defaults.RFM_SEGMENT_GRID
    return tuple(tuple(grid[r]) for r in range(1, defaults.N_SCORES + 1))


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _analyse(
    _inputs: AnalysisInputs,
    fingerprint: str,
    unit: str,
    end: dt.date,
    settings: segments_analysis.SegmentSettings,
) -> segments_analysis.SegmentAnalysis:
    return segments_run.run(_inputs, settings)


def default_job(dataset: Dataset) -> partial:
    """The page's first analysis (its settings as the form starts) as a call for the background
    prefetch (ui/prefetch.py), through the same cache the page reads."""
    inputs = data.analysis_inputs(dataset)
    end = inputs.observation_end.date()
    settings = segments_analysis.SegmentSettings()  # what settings_form returns untouched
    return partial(_analyse, inputs, dataset.fingerprint, inputs.unit, end, settings)


def analyse(
    dataset: Dataset, settings: segments_analysis.SegmentSettings
) -> segments_analysis.SegmentAnalysis:
    """Run (or fetch) the analysis; stop the page with a message if the data cannot be segmented."""
    inputs = data.analysis_inputs(dataset)
    end = inputs.observation_end.date()
    try:
        with st.spinner(_("Scoring, clustering and pairing categories…")):
            result = _analyse(inputs, dataset.fingerprint, inputs.unit, end, settings)
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/error:")
        st.stop()
    session.publish(session.SEGMENTS, dataset, result.segment_frame())
    return result


# --- tables -----------------------------------------------------------------------------------


def _column_config(currency: str, dimension: str) -> dict:
    number = st.column_config.NumberColumn
    return {
        "segment": st.column_config.TextColumn(_(dimension)),
        "customers": number(_("Customers"), format="localized"),
        "customer_share": number(_("% of customers"), format="%.1f%%"),
        "net_revenue": number(
            _("Net revenue ({currency})").format(currency=currency), format="localized"
        ),
        "revenue_share": number(_("% of revenue"), format="%.1f%%"),
        "revenue_per_customer": number(
            _("Revenue / customer ({currency})").format(currency=currency), format="localized"
        ),
        "margin": number(_("Margin ({currency})").format(currency=currency), format="localized"),
        "margin_share": number(_("% of margin"), format="%.1f%%"),
        "avg_recency_days": number(_("Avg days since last buy"), format="%.0f"),
        "avg_frequency": number(_("Avg orders"), format="%.1f"),
        "avg_monetary": None,
    }


def _table(frame: pd.DataFrame, currency: str, dimension: str) -> None:
    """A contribution table with units in the headers, whole money amounts and every row visible."""
    shown = frame.dropna(axis=1, how="all")
    if dimension == "RFM segment":  # the app's own names, kept English in the result
        shown = shown.assign(segment=[_(s) for s in shown["segment"]])
    shares = [c for c in shown.columns if c.endswith("_share")]
    amounts = [c for c in shown.select_dtypes("number").columns if c not in shares]
    # Shares as 0-100 with one decimal, so every row reads alike ("15.4%", "62.0%").
    shown = shown.assign(**{c: shown[c] * 100 for c in shares})
    shown = shown.round({**dict.fromkeys(amounts, 0), **dict.fromkeys(shares, 1)})
    config = _column_config(currency, dimension)
    for column in shown.columns:
        if column.startswith("avg_") and column not in config:
            config[column] = st.column_config.NumberColumn(
                _("Avg {attribute}").format(
                    attribute=segments_contribution.attribute_label(column[4:]).lower()
                ),
                format="localized",
            )
    height = 35 * (len(shown) + 1) + 3 if len(shown) <= 30 else "auto"
    show_table(shown, hide_index=True, column_config=config, height=height)


# --- tabs -------------------------------------------------------------------------------------


def show_headline(result: segments_analysis.SegmentAnalysis) -> None:
    table = result.contribution["RFM segment"].set_index("segment")
    cols = st.columns(4)
    cols[0].metric(_("Customers"), formatting.count(int(table["customers"].sum())))
    for col, name in zip(cols[1:3], ("Champions", "At risk"), strict=True):
        if name in table.index:
            row = table.loc[name]
            col.metric(
                _(name),
                formatting.pct(row["customer_share"]),
                help=_("Share of customers; they bring {share} of net revenue.").format(
                    share=formatting.pct(row["revenue_share"])
                ),
            )
    clusters = result.clusters
    cols[3].metric(_("Clusters"), formatting.count(clusters.n_clusters_) if clusters else "–")


def show_rfm(result: segments_analysis.SegmentAnalysis, currency: str) -> None:
    for note in result.rfm.notes:
        st.info(i18n.shown(note), icon=":material/info:")
    cells = core.grid_cells(result.rfm)
    order = list(result.rfm.table["rfm_segment"].cat.categories)
    table = result.contribution["RFM segment"]
    show_chart(
        charts.rfm_map_chart(cells, order),
        _(
            "Each customer scores 1-5 on recency (R) and on frequency and spend combined (FM), by "
            "fifths of your customer base; the cell decides the segment (edit the map above). "
            "Percentages: share of customers."
        ),
        name="RFM segment map",
        data=cells,
        takeaway=takeaways.contribution_takeaway(table, "RFM segment"),
    )
    _table(table.drop(columns=["avg_monetary"]), currency, "RFM segment")
    with st.expander(_("What each segment means, and what to do")):
        meaning = pd.DataFrame(
            {
                _("Segment"): [_(s) for s in order],
                _("What it means"): [
                    _(
                        defaults.RFM_SEGMENT_DESCRIPTIONS.get(
                            s, "Your own segment (from the edited map)."
                        )
                    )
                    for s in order
                ],
            }
        )
        show_table(meaning, hide_index=True, height=35 * (len(meaning) + 1) + 3)
        st.caption(
            _(
                "Scores are quintiles: 5 = the best fifth of customers. Equal values are ordered "
                "by the other measures so each score still holds a fifth."
            )
        )


def show_clusters(result: segments_analysis.SegmentAnalysis, currency: str) -> None:
    clusters = result.clusters
    if clusters is None:
        st.warning(
            result.cluster_message or _("Clustering was not possible."), icon=":material/warning:"
        )
        return
    for note in clusters.notes_:
        st.info(i18n.shown(note), icon=":material/info:")
    how = (
        _("chosen by you")
        if clusters.n_clusters is not None
        else _("Auto: the best-separated k from {low} to {high}").format(
            low=segments_clustering.AUTO_MIN_K, high=segments_clustering.K_RANGE[1]
        )
    )
    everyone = clusters.sample_size_ >= len(result.membership)
    sampled = formatting.counted(clusters.sample_size_, "customer")
    judged = (
        _("k was judged on all {customers}").format(customers=sampled)
        if everyone
        else _("k was judged on a random sample of {customers}").format(customers=sampled)
    )
    features = ", ".join(
        segments_contribution.attribute_label(f).lower() for f in clusters.features_
    )
    st.markdown(
        _("**{n} clusters** ({how}) from k-means on log-scaled, standardised {features}. ").format(
            n=formatting.count(clusters.n_clusters_), how=how, features=features
        )
        + judged
        + _("; the final model is {algorithm} on all customers.").format(
            algorithm=clusters.algorithm_
        )
    )
    if clusters.n_clusters is None and clusters.n_clusters_ < segments_clustering.AUTO_MIN_K:
        st.caption(
            _(
                "These customers have fewer than three distinct profiles, so two clusters is all "
                "there is to find."
            )
        )
    profile = result.cluster_profile
    show_chart(
        charts.cluster_map_chart(profile, currency),
        _(
            "Each bubble is a cluster: further left = bought more recently, higher = more net "
            "revenue per customer, bigger = more customers. Names describe the cluster's typical "
            "customer."
        ),
        name="Clusters by recency and value",
        data=profile,
        takeaway=takeaways.contribution_takeaway(profile, N_("cluster")),
    )
    _table(profile.drop(columns=["avg_monetary"]), currency, "Cluster")
    if len(clusters.silhouette_) > 1:
        show_chart(
            charts.silhouette_chart(clusters.silhouette_, clusters.n_clusters_),
            _(
                "Silhouette: how much closer customers are to their own cluster than to the next "
                "one (1 = perfectly separated, 0 = overlapping). The orange dot is the k used."
            ),
            name="Cluster separation by k",
            data=clusters.silhouette_.reset_index(),
            takeaway=takeaways.silhouette_takeaway(clusters),
        )


def show_contribution(
    result: segments_analysis.SegmentAnalysis, dataset: Dataset, currency: str
) -> None:
    dimension = st.selectbox(
        _("Break down by"),
        list(result.contribution),
        format_func=_,
        key=key("dimension", dataset),
        persist_state="session",
    )
    table = result.contribution[dimension]
    pick = selections.names_filter("pick", "groups", "segment", dimension)
    event = show_chart(
        charts.contribution_chart(table, dimension, result.has_margin),
        (
            _("Grey: share of customers; blue: share of net revenue; green: share of gross margin.")
            if result.has_margin
            else _("Grey: share of customers; blue: share of net revenue.")
        )
        + " "
        + _(
            "A blue bar far longer than the grey one marks a group worth more than its size. "
            "Click bars to filter the table below (shift-click for more)."
        ),
        name=f"Contribution by {dimension}",
        data=table,
        takeaway=takeaways.contribution_takeaway(table, dimension),
        selection=alt.selection_point(name=pick.name, fields=["segment"]),
        key=pick.widget_key(dimension),
    )
    if not result.has_margin:
        st.caption(
            _("Map a cost-of-goods or margin % column on the Upload page to see margin shares.")
        )
    # ?groups=RFM segment:Champions|Loyal keeps the filter over a reload or in a link
    picked = selections.picked_names(pick.text(event), dimension, set(table["segment"].astype(str)))
    if picked:
        pick.chip(f"{_(dimension)}: {', '.join(picked)}", "seg.pick.clear")
        table = table[table["segment"].astype(str).isin(picked)]
        if dimension == RFM_DIMENSION:  # the campaign lists follow the chosen segments
            _follow(key("export_segments", dataset), picked)
    _table(table, currency, dimension)


RFM_DIMENSION = "RFM segment"


def _follow(widget_key: str, picked: list[str]) -> None:
    """Set a filter widget to the chart's selection once per new selection (the user may change
    the widget afterwards)."""
    seen = f"{widget_key}.from_chart"
    if st.session_state.get(seen) != picked:
        st.session_state[seen] = picked
        st.session_state[widget_key] = picked


_PAIR_COLUMNS = {
    "antecedent": N_("Bought"),
    "consequent": N_("Also bought"),
    "customers_both": (N_("Customers with both"), "localized"),
    "antecedent_customers": (N_("Bought the first"), "localized"),
    "consequent_customers": (N_("Bought the second"), "localized"),
    "support": (N_("Support"), "%.1f%%"),
    "confidence": (N_("Confidence"), "%.1f%%"),
    "lift": (N_("Lift"), "%.2f"),
}
"""The cross-sell table's columns: header (translated when shown) and number format."""


def _pair_columns() -> dict:
    """The cross-sell table's column configuration in the current language."""
    return {
        column: _(spec)
        if isinstance(spec, str)
        else st.column_config.NumberColumn(_(spec[0]), format=spec[1])
        for column, spec in _PAIR_COLUMNS.items()
    }


def _scope_label(scope: str) -> str:
    """'RFM: Champions' -> 'RFM: Champions' with the breakdown's name translated."""
    group, sep, name = str(scope).partition(": ")
    return f"{_(group)}{sep}{name}" if sep else _(scope)


def show_cross_sell(result: segments_analysis.SegmentAnalysis, dataset: Dataset) -> None:
    if result.affinity_message:
        st.info(result.affinity_message, icon=":material/info:")
    if result.baskets is None or len(result.baskets.categories) < 2:
        return
    scope = st.selectbox(
        _("Customers"),
        list(result.affinity),
        format_func=_scope_label,
        key=key("scope", dataset),
        persist_state="session",
        help=_("Lift within a segment compares its customers with each other, not with everyone."),
    )
    pairs = result.affinity[scope]
    if pairs.empty:
        st.info(
            _(
                "No category pair was bought by at least {customers} customers in this group; "
                "choose a larger group."
            ).format(customers=formatting.count(affinity.MIN_PAIR_CUSTOMERS)),
            icon=":material/info:",
        )
    else:
        show_chart(
            charts.lift_heatmap(pairs, list(result.baskets.categories)),
            _(
                "Lift: how many times more likely buyers of the row category are to also buy the "
                "column category than customers in general. Blue: bought together more than "
                "chance."
            ),
            name="Lift between categories",
            data=pairs,
            takeaway=affinity.lift_takeaway(pairs),
        )
        top = affinity.top_pairs(pairs, 15)
        # Percent columns as 0-100 so the table shows one decimal throughout.
        top = top.assign(support=top["support"] * 100, confidence=top["confidence"] * 100)
        show_table(
            top, hide_index=True, height=35 * (len(top) + 1) + 3, column_config=_pair_columns()
        )
    spread = result.categories_per_customer[scope]
    show_chart(
        charts.categories_per_customer_chart(spread),
        _("Products per customer: how many different categories each customer has bought."),
        name="Products per customer",
        data=spread,
        takeaway=affinity.categories_takeaway(spread),
    )
    counts = affinity.recommendation_counts(result.next_best)
    show_chart(
        charts.next_best_chart(counts),
        _(
            "For each customer, the not-yet-bought category with the highest lift to something "
            "they bought (lift above 1, and at least {share} of those buyers also bought it). The "
            "full list is under Download lists."
        ).format(share=formatting.pct(affinity.MIN_CONFIDENCE, 0)),
        name="Next-best category",
        data=counts,
        takeaway=affinity.next_best_takeaway(counts),
    )


def show_downloads(
    result: segments_analysis.SegmentAnalysis, dataset: Dataset, currency: str
) -> None:
    order = list(result.rfm.table["rfm_segment"].cat.categories)
    chosen = st.multiselect(
        _("Only customers in these RFM segments"),
        order,
        key=key("export_segments", dataset),
        persist_state="session",
        placeholder=_("All segments"),
        help=_("Leave empty for every customer."),
    )
    members = partial(campaigns.membership_export, result, currency, tuple(chosen))
    offers = partial(campaigns.next_best_export, result, currency, tuple(chosen))
    sizes = campaigns.export_sizes(result, tuple(chosen))
    st.markdown(
        "**"
        + _("Segment membership")
        + "** "
        + _("({customers}): RFM segment, cluster, scores and next-best category.").format(
            customers=formatting.counted(sizes.members, "customer")
        )
    )
    downloads.csv_and_excel(
        members,
        "segment_membership",
        "seg.members",
        _("Segment membership"),
        sheet="Segment membership",
    )
    st.markdown(
        "**"
        + _("Next-best offers")
        + "** "
        + _(
            "({customers} with an offer): strongest lift first, with the category that triggered "
            "it."
        ).format(customers=formatting.counted(sizes.offers, "customer"))
    )
    if result.next_best is None:
        st.info(result.affinity_message, icon=":material/info:")
        return
    downloads.csv_and_excel(
        offers, "next_best_offers", "seg.offers", _("Next-best offers"), sheet="Next-best offers"
    )
    st.caption(
        _("Files are safe to open in Excel: cells that could run as formulas are neutralised.")
    )
