"""The "Assumed: ..." strip beside a page's headline figures, with links to where each is set.

The words come from :mod:`cvm_core.analyses.assumptions`, the same ones the deck and the workbook
print. The cost model is the Whale Curve page's as last run (else the built-in rates and margin,
which is what every page then uses); the churn rule the Retention page's (else its default).
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from cvm_core import formatting, i18n
from cvm_core.analyses import assumptions
from cvm_core.analyses.profitability.run import CostModel
from cvm_core.analyses.retention.active import ActiveCustomers
from cvm_core.analyses.retention.gaps import ChurnRule
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import data, session
from ui import retention as retention_view

WHALE_PAGE = "pages/whale_curve.py"
RETENTION_PAGE = "pages/retention.py"
PAGE_NAMES = {WHALE_PAGE: N_("Profitability Whale Curve"), RETENTION_PAGE: N_("Retention")}
_LINKS = {
    assumptions.MARGIN: (WHALE_PAGE, N_("Set margin and activity rates")),
    assumptions.ACTIVITY_RATES: (WHALE_PAGE, N_("Set margin and activity rates")),
    assumptions.CHANNEL_RATES: (WHALE_PAGE, N_("Set margin and activity rates")),
    assumptions.CHURN_RULE: (RETENTION_PAGE, N_("Choose the churn rule")),
}


COST_TOPICS = (
    assumptions.MARGIN, assumptions.ACTIVITY_RATES, assumptions.CHANNEL_RATES, assumptions.CURRENCY,
)  # fmt: skip
"""What profit figures rest on."""
ALL_TOPICS = (*COST_TOPICS, assumptions.CHURN_RULE)


_MEMO = "cvm.assumed.memo"
"""Session key: what :func:`page_assumptions` found, by everything it depends on."""


def page_assumptions(
    dataset: Dataset,
    topics: tuple[str, ...],
    model: CostModel | None = None,
    compute: bool = True,
) -> tuple[assumptions.Assumption, ...]:
    """The assumptions behind this page's figures (``model``: the page's own cost model).

    ``compute=False`` (the sidebar, drawn on every page) names channel rates only when the
    Whale page's P&L is already cached, rather than costing every customer to find out.
    Kept per session by what they depend on: every page and the sidebar ask on every run, and
    finding them (the summary's cost column, the activity table against the built-in one, the
    channels without a rate) cost 25-35 ms of each rerun at 1M rows.
    """
    published = session.read(session.COST_MODEL, dataset)
    shown_model = model or published or CostModel()  # CostModel(): worded as the built-in rates
    costed = None  # the P&L whose added channel rates are named
    if assumptions.CHANNEL_RATES in topics and dataset.has_transactions:
        if compute or published is not None:
            from ui import whale as whale_view  # the P&L the page shows (cached): its added rates

            costed = model or whale_view.model_in_use(dataset)
    rule = default = None
    if assumptions.CHURN_RULE in topics and dataset.has_transactions:
        default, rule = retention_view.default_rule(dataset), retention_view.churn_rule(dataset)
    currency = data.currency(dataset)
    key = (dataset.fingerprint, data.unit(), data.observation_end(dataset), shown_model, costed,
           currency, rule, default, topics, i18n.current())  # fmt: skip
    memo = st.session_state.setdefault(_MEMO, {})
    if key not in memo:
        if len(memo) >= 16:
            memo.clear()
        memo[key] = _find(dataset, topics, shown_model, costed, currency, rule, default)
    return memo[key]


def _find(
    dataset: Dataset,
    topics: tuple[str, ...],
    model: CostModel,
    costed: CostModel | None,
    currency: str,
    rule: ChurnRule | None,
    default: ChurnRule | None,
) -> tuple[assumptions.Assumption, ...]:
    channels = None
    if costed is not None:
        from ui import whale as whale_view

        channels = whale_view.cached_analysis(dataset, costed).result.assumed_channel_rates
    return assumptions.for_inputs(
        data.customer_summary(dataset),
        gross_margin=model.settings.gross_margin,
        activities=model.frame(),
        currency=currency,
        dataset_currency=dataset.currency,
        currency_source=dataset.currency_source,
        rule_words=None if rule is None else ActiveCustomers(0, 0, 0, rule).rule_words(),
        rule_chosen=rule is not None and rule != default,
        assumed_channel_rates=channels,
        topics=topics,
    )


def _link(column, page: str, label: str) -> None:
    """A link to the page; its name in words where the app has no navigation (a page run alone,
    as the page tests do)."""
    try:
        column.page_link(page, label=_(label), icon=":material/tune:")
    except StreamlitAPIException:
        column.caption(
            _("{action}: {page} page.").format(action=_(label), page=_(PAGE_NAMES[page]))
        )


def show_strip(items: tuple[assumptions.Assumption, ...], here: str | None = None) -> None:
    """One amber line under the headline, and a link to each page where an assumption is set
    (none to the page the user is on: its settings are on screen)."""
    if not items:
        return
    st.markdown(
        f":orange[:material/info: {formatting.escape_markdown(assumptions.strip_text(items))}]"
    )
    links = dict.fromkeys(_LINKS[i.topic] for i in items if i.topic in _LINKS)
    if any(link[0] == here for link in links):
        st.caption(_("Change them in the settings on this page."))
    links = [link for link in links if link[0] != here]
    currency = any(i.topic == assumptions.CURRENCY for i in items)
    if not links and not currency:
        return
    columns = st.columns(len(links) + 1)
    for column, (page, label) in zip(columns, links, strict=False):
        _link(column, page, label)
    if currency:
        columns[-1].caption(_("Currency: change it in the sidebar."))
