"""The what-if section of the Profitability Whale Curve page: levers, new curve, waterfall.

It runs as a fragment, so moving a lever reruns only this section, and the only work it does is
:func:`cvm_core.analyses.profitability.whatif.apply_scenario` on the P&L prepared once and cached with it
(``WhaleAnalysis.what_if``): arithmetic on arrays, no pass over the transactions.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.profitability import analysis, charts, whatif_settings
from cvm_core.analyses.profitability import whatif as whale_whatif
from cvm_core.analyses.profitability.activities import ASSUMED_CHANNEL_SUFFIX
from cvm_core.analyses.profitability.levers import channel_migration
from cvm_core.analyses.profitability.scenario_base import ScenarioBase
from cvm_core.analyses.profitability.whatif import ScenarioResult
from cvm_core.analyses.profitability.whatif_settings import WhaleScenario
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import data, session
from ui.charts import show_chart
from ui.whale import tiers


def _key(name: str, dataset: Dataset) -> str:
    return data.setting_key(f"whale.{name}", dataset)


def _pct(share: float | None) -> str:
    return formatting.pct(share, 0) if share is not None else "–"


def _target_options(base: ScenarioBase, tier: pd.Series | None) -> dict[str, str]:
    """Target code -> label with the number of customers in it (codes keep the choice stable)."""
    count = formatting.count
    options = {
        whatif_settings.TARGET_UNPROFITABLE: _("Unprofitable customers ({count})").format(
            count=count(base.today.unprofitable)
        ),
        whatif_settings.TARGET_ALL: _("All customers ({count})").format(
            count=count(base.customers)
        ),
    }
    if tier is not None:
        counts = tier.reindex(base.index).value_counts(sort=False)
        for name, n in counts.items():
            if n:
                options[f"{whatif_settings.TIER_PREFIX}{name}"] = _(
                    "CLV tier {tier} ({count})"
                ).format(tier=name, count=count(n))
    return options


def _channel_lever(base: ScenarioBase, dataset: Dataset, currency: str) -> dict:
    costs = base.channel_costs
    channels = channel_migration.offered_channels(base)
    if len(channels) < 2:
        st.caption(
            _(
                "Channel migration needs a channel column with at least two channels that have a "
                "cost per order in the activity table."
            )
        )
        return {}
    assumed = {a[: -len(ASSUMED_CHANNEL_SUFFIX)] for a in base.activities
               if a.endswith(ASSUMED_CHANNEL_SUFFIX)}  # fmt: skip
    label = {row.channel: (_("{channel} ({rate}/order, assumed)") if row.channel in assumed
                           else _("{channel} ({rate}/order)")).format(
                 channel=row.channel, rate=formatting.money(row.cost_per_order, currency, 2))
             for row in costs.itertuples()}  # fmt: skip
    source = st.selectbox(
        _("Move orders from"),
        channels,
        index=0,
        format_func=label.get,
        key=_key("from", dataset),
        persist_state="session",
    )
    rest = [c for c in channels if c != source]
    target = st.selectbox(
        _("to"),
        rest,
        index=len(rest) - 1,
        format_func=label.get,
        key=_key("to", dataset),
        persist_state="session",
    )
    share = st.slider(
        _("Share of those orders moved"),
        0,
        100,
        0,
        5,
        format="%d%%",
        key=_key("migrate", dataset),
        persist_state="session",
    )
    return {"migrate_from": source, "migrate_to": target, "migrate_share": share / 100}


def _small_order_lever(base: ScenarioBase, dataset: Dataset, currency: str) -> dict:
    labels = {
        "none": N_("No change"),
        "surcharge": N_("Small-order surcharge"),
        "minimum": N_("Minimum order value"),
    }
    policy = st.radio(
        _("Small orders"),
        list(labels),
        format_func=lambda code: _(labels[code]),
        key=_key("policy", dataset),
        persist_state="session",
    )
    limit = st.number_input(_("Order value limit ({currency})").format(currency=currency), min_value=1.0,
                            value=float(base.small_order_threshold or 50.0), step=5.0,
                            key=_key("limit", dataset), persist_state="session", disabled=policy == "none")  # fmt: skip
    fee = st.slider(_("Surcharge per order below the limit ({currency})").format(currency=currency), 0.0, 25.0, 0.0, 0.5, format="%.2f",
                    key=_key("fee", dataset), persist_state="session", disabled=policy != "surcharge")  # fmt: skip
    return {"small_order_policy": policy, "order_limit": float(limit), "surcharge": float(fee)}


def _service_lever(base: ScenarioBase, dataset: Dataset) -> dict:
    costly = [a for a, cost in zip(base.activities, base.activity_totals, strict=True) if cost > 0]
    cut = st.slider(_("Lower service level: cut in cost per driver unit"), 0, 50, 0, 5, format="%d%%",
                    key=_key("service", dataset), persist_state="session")  # fmt: skip
    chosen = st.multiselect(
        _("…for these activities (none = all)"),
        costly,
        key=_key("service_acts", dataset),
        persist_state="session",
    )
    return {"service_cut": cut / 100, "service_activities": tuple(chosen)}


def _price_levers(dataset: Dataset) -> dict:
    price = st.slider(_("Price increase / discount cut"), 0.0, 20.0, 0.0, 0.5, format="%.1f%%",
                      key=_key("price", dataset), persist_state="session")  # fmt: skip
    churn = st.slider(_("Customers lost because of the changes"), 0, 50, 0, 5, format="%d%%", key=_key("churn", dataset), persist_state="session",
                      help=_("Without this, price rises and surcharges are assumed to cost no volume."))  # fmt: skip
    part = st.slider(_("Part with the least profitable (share of the group)"), 0, 100, 0, 5, format="%d%%",
                     key=_key("part", dataset), persist_state="session",
                     help=_("Ranked by today's profit; their revenue and all their costs go."))  # fmt: skip
    return {"price_increase": price / 100, "churn": churn / 100, "part_with": part / 100}


def scenario_form(base: ScenarioBase, dataset: Dataset, tier: pd.Series | None) -> WhaleScenario:
    currency = data.currency(dataset)
    options = _target_options(base, tier)
    target = st.selectbox(_("Apply the fixes to"), list(options), format_func=options.get, key=_key("target", dataset), persist_state="session",
                          help=_("Value tiers appear once the CLV page has run on this dataset."))  # fmt: skip
    cols = st.columns(4, gap="medium")
    settings: dict = {"target": target}
    with cols[0]:
        st.markdown("**" + _("Channel") + "**")
        settings |= _channel_lever(base, dataset, currency)
    with cols[1]:
        st.markdown("**" + _("Small orders") + "**")
        settings |= _small_order_lever(base, dataset, currency)
    with cols[2]:
        st.markdown("**" + _("Service level") + "**")
        settings |= _service_lever(base, dataset)
    with cols[3]:
        st.markdown("**" + _("Price and portfolio") + "**")
        settings |= _price_levers(dataset)
    return WhaleScenario(**settings)


def show_scenario(outcome: ScenarioResult, currency: str) -> None:
    before, after = outcome.before, outcome.after
    money = formatting.money_short
    change = after.total_profit - before.total_profit
    cols = st.columns(4)
    cols[0].metric(_("Operating profit after the fixes"), money(after.total_profit, currency),
                   delta=("+" if change > 0 else "") + money(change, currency) if change else None)  # fmt: skip
    peak = _pct(after.peak_pct) if after.meaningful else "–"
    cols[1].metric(_("Peak of the curve"), peak, delta=_("today {share}").format(share=_pct(before.peak_pct)), delta_color="off",
                   delta_arrow="off", help=_("'–' when total profit after the fixes is not positive."))  # fmt: skip
    cols[2].metric(_("Unprofitable customers"), formatting.count(after.unprofitable),
                   delta=formatting.count(after.unprofitable - before.unprofitable), delta_color="inverse")  # fmt: skip
    cols[3].metric(_("Customers kept"), formatting.count(after.customers),
                   delta=formatting.count(after.customers - before.customers), delta_color="off")  # fmt: skip
    moved = bool(change) or after.customers != before.customers  # else nothing for the deck
    left, right = st.columns(2)
    with left:
        show_chart(
            charts.scenario_chart(outcome.curves, currency),
            _("Cumulative profit in money, today (dashed) and after the fixes; the end of each line is total profit."),
            name="Whale curve today and after the fixes", data=outcome.curves,
            takeaway=whale_whatif.scenario_takeaway(outcome, currency), for_deck=moved,
        )  # fmt: skip
    with right:
        show_chart(
            charts.waterfall_chart(outcome.steps, currency),
            _("Profit today, what each lever adds or costs, and profit after the fixes."),
            name="Where the change in profit comes from", data=outcome.steps,
            takeaway=whale_whatif.waterfall_takeaway(outcome.steps, currency), for_deck=moved,
        )  # fmt: skip
    st.markdown("**" + _("Assumptions") + "**\n" + "\n".join(f"- {a}" for a in outcome.assumptions))


@st.fragment
def what_if(result: analysis.WhaleAnalysis, dataset: Dataset) -> None:
    """Levers -> scenario -> new curve; reruns alone when a lever moves."""
    currency = data.currency(dataset)
    tier = tiers(dataset)
    scenario = scenario_form(result.what_if, dataset, tier)
    try:
        outcome = whale_whatif.apply_scenario(result.what_if, scenario, tier, currency=currency)
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/error:")
        return
    session.publish(session.WHALE_SCENARIO, dataset, scenario)
    if outcome.target_customers == 0:
        st.info(
            _(
                "The chosen group has no customers (with these rates nobody loses money, for "
                "example), so the fixes change nothing. Choose all customers or a value tier."
            ),
            icon=":material/info:",
        )
    show_scenario(outcome, currency)
