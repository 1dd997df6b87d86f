"""The Segments page's "Traits of valuable customers": what the top tier has in common (checked on
held-out customers), and a lead list scored by the customers like each lead."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.inputs import AnalysisInputs
from cvm_core.analyses.prospects import charts, scoring
from cvm_core.analyses.prospects import run as prospects
from cvm_core.analyses.prospects.features import label
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import data, downloads, session, uploads
from ui.charts import show_chart
from ui.tables import show_table

KEY = "cvm.prospects"
TOP_CHOICES = {1: N_("The top tier"), 2: N_("The top two tiers"), 3: N_("The top three tiers")}
NOT_USED = "(not used)"
N_("(not used)")  # NOT_USED, shown translated


def key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"{KEY}.{name}", dataset)


@st.cache_resource(max_entries=4, ttl="2h", show_spinner=False)
def _run(
    _inputs: AnalysisInputs,
    fingerprint: str,
    unit: str,
    end: dt.date,
    clv_key: tuple,
    settings: prospects.ProspectSettings,
) -> prospects.ProspectsResult:
    return prospects.run(_inputs, settings)


def analyse(dataset: Dataset, settings: prospects.ProspectSettings):
    """The cached analysis on the CLV page's values when it has published them (else CLV at its
    defaults), or None after showing why it cannot run."""
    inputs = data.analysis_inputs(dataset)
    clv = session.read(session.CLV_CUSTOMERS, dataset, prospects.CLV_COLUMNS)
    # The CLV table is keyed by what tells two of them apart cheaply: size and total value.
    clv_key = () if clv is None else (len(clv), round(float(clv["clv"].sum()), 6))
    try:
        with st.spinner(_("Finding what valuable customers have in common…")):
            return _run(
                inputs.with_results(clv=clv), dataset.fingerprint, inputs.unit,
                inputs.observation_end.date(), clv_key, settings,
            )  # fmt: skip
    except CvmError as error:
        st.info(i18n.error_text(error), icon=":material/info:")
        return None


def show_traits(dataset: Dataset, currency: str) -> None:
    """Settings, headline, sentences, lift chart, attribute lifts and the lead scoring."""
    top = st.segmented_control(
        _("Valuable customers are"),
        list(TOP_CHOICES),
        format_func=lambda n: _(TOP_CHOICES[n]),
        default=1,
        key=key("top", dataset),
        persist_state="session",
        help=_(
            "The value tiers of the CLV page (by CLV rank: top 5% Platinum, next 15% Gold ...)."
        ),
    )
    settings = prospects.ProspectSettings(top_tiers=int(top or 1))
    result = analyse(dataset, settings)
    if result is None:
        return
    session.publish(session.PROSPECTS, dataset, result)
    traits = result.traits
    for note in result.notes:
        st.caption(formatting.escape_markdown(note))
    left, middle, right = st.columns(3)
    left.metric(
        formatting.escape_markdown(_("Share {target}").format(target=traits.target)),
        formatting.pct(traits.base_rate, 1),
    )
    middle.metric(
        _("Top-decile lift (held out)"), formatting.number(traits.top_decile_lift, 1) + "x"
    )
    right.metric(_("AUC (held out)"), formatting.number(traits.auc, 2))
    attributes = ", ".join(label(c) for c in result.features.columns)
    st.caption(
        _(
            "A shallow decision tree learnt from {customers} and was checked on {others} others "
            "it had not seen. Attributes: {attributes}."
        ).format(
            customers=formatting.counted(traits.n_train, "customer"),
            others=formatting.count(traits.n_test),
            attributes=formatting.escape_markdown(attributes),
        )
    )
    nothing = _("No group of customers stands out as {target}.").format(target=traits.target)
    for sentence in traits.sentences() or [nothing]:
        st.markdown(f"- {formatting.escape_markdown(sentence)}")
    slide = charts.lift_slide(traits)
    caption = formatting.escape_markdown(slide.takeaway)
    show_chart(slide.chart, caption, data=traits.lift, takeaway=slide.takeaway)
    show_chart(charts.attribute_chart(traits), data=traits.attributes, for_deck=False)
    show_leads(result, dataset, currency)


# --- leads ----------------------------------------------------------------------------------------


@st.cache_data(max_entries=4, ttl="2h", show_spinner=False)
def _read(data_bytes: bytes, name: str, known: tuple[str, ...]) -> scoring.LeadList:
    return scoring.read_leads(data_bytes, name, known)


def show_leads(result: prospects.ProspectsResult, dataset: Dataset, currency: str) -> None:
    """Upload a lead list, check its columns, download it scored and sorted."""
    st.subheader(_("Score a lead list"))
    known = result.lead_attributes
    if not known:
        st.info(
            _(
                "Scoring leads needs customer attributes a lead list can share (acquisition "
                "channel, region, industry): add a Customers sheet to the sales file."
            ),
            icon=":material/info:",
        )
        return
    upload = st.file_uploader(
        formatting.escape_markdown(
            _("Lead list with any of: {attributes}").format(
                attributes=", ".join(label(a) for a in known)
            )
        ),
        type=uploads.accepted(uploads.SALES_FILES),
        key=key("leads", dataset),
        help=_("CSV or spreadsheet, any other columns are kept as they are."),
    )
    if upload is None:
        return
    try:
        leads = _read(upload.getvalue(), upload.name, known)
        leads = scoring.map_leads(
            leads.frame, known, _mapping(leads, known, dataset, upload.name), leads.notes
        )
        scored = result.score(leads)
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/error:")
        return
    st.success(
        formatting.escape_markdown(scoring.summary_sentence(scored, currency)),
        icon=":material/check:",
    )
    show_table(scored, hide_index=True, column_config=_columns(currency))
    downloads.csv_and_excel(scored, "scored_leads", key("download", dataset), _("Scored leads"))
    st.caption(
        _(
            "Each lead carries the figures of the customers who share its attributes: first-year "
            "margin, lifetime value (margin to date plus CLV) and their 10th to 90th percentile. "
            "Leads with an attribute no customer has are flagged in 'note', not scored."
        )
    )


def _mapping(
    leads: scoring.LeadList, known: tuple[str, ...], dataset: Dataset, name: str
) -> dict[str, str]:
    """The guessed columns, each changeable (keys per file: another list starts from its guess)."""
    options = [NOT_USED, *map(str, leads.frame.columns)]
    chosen: dict[str, str] = {}
    for column, attribute in zip(st.columns(len(known)), known, strict=True):
        guess = leads.mapping.get(attribute, NOT_USED)
        picked = column.selectbox(
            formatting.escape_markdown(label(attribute)),
            options,
            index=options.index(str(guess)) if str(guess) in options else 0,
            format_func=lambda option: _(option) if option == NOT_USED else option,
            key=key(f"map.{attribute}.{name}", dataset),
            persist_state="session",
        )
        if picked != NOT_USED:
            chosen[attribute] = picked
    return chosen


def _columns(currency: str) -> dict:
    number = st.column_config.NumberColumn
    money = {
        "first_year_value": N_("First-year margin"), "first_year_low": N_("First year: low"),
        "first_year_high": N_("First year: high"), "lifetime_value": N_("Lifetime value"),
        "lifetime_low": N_("Lifetime: low"), "lifetime_high": N_("Lifetime: high"),
    }  # fmt: skip
    config = {c: number(f"{_(t)} ({currency})", format="%.0f") for c, t in money.items()}
    config["expected_tier"] = st.column_config.TextColumn(_("Expected tier"))
    config["top_tier_chance"] = number(_("Chance of top tier"), format="percent")
    config["similar_customers"] = number(_("Similar customers"), format="%d")
    config["note"] = st.column_config.TextColumn(_("Note"))
    return config
