"""The CLV page's what-if section: treatments per value tier, projected through the fitted model.
It is a fragment, so a slider move reruns only this section, which projects the cached per-tier
base (milliseconds)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from cvm_core import formatting, i18n
from cvm_core.analyses.clv import charts, scenario
from cvm_core.analyses.clv import intervals as clv_intervals
from cvm_core.analyses.clv import takeaways as clv_takeaways
from cvm_core.errors import CvmError
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import downloads, session
from ui.charts import show_chart
from ui.clv import clv_key
from ui.tables import show_table

WHAT_IF_FORMULA = N_(
    "Per tier, the treatment changes the model's parameters from today on: **retention uplift** u "
    "multiplies each customer's expected drop-out (BG/MBG: the posterior mean of the drop-out "
    "probability p; Pareto/NBD: the drop-out rate) by (1 − u); **frequency uplift** f multiplies the "
    "purchase rate λ by (1 + f); **spend uplift** s multiplies expected spend by (1 + s). Scenario CLV "
    "re-runs the CLV formula with those parameters (P(alive) today is unchanged). Incremental value = "
    "scenario − baseline CLV (more purchases bring their cost-to-serve too); treatment cost = cost per customer per year × customers × H/12; "
    "**ROI** = (incremental value − cost) ÷ cost."
)


def treatment_form(
    base: scenario.ScenarioBase, dataset: Dataset, currency: str
) -> scenario.Scenario:
    """One tab per tier with the four levers."""
    treatments = {}
    for tab, tier in zip(st.tabs([_(t) for t in base.tiers]), base.tiers, strict=True):
        with tab:
            c1, c2, c3, c4 = st.columns(4)
            key = f"whatif.{tier}"
            shown = _(tier)
            retention = c1.slider(_("{tier}: retention uplift (%)").format(tier=shown), 0, 50, 0, 1, key=clv_key(f"{key}.retention", dataset), persist_state="session",
                                  help=_("How much less customers of this tier drop out."))  # fmt: skip
            frequency = c2.slider(_("{tier}: purchase-frequency uplift (%)").format(tier=shown), 0, 50, 0, 1, key=clv_key(f"{key}.frequency", dataset), persist_state="session",
                                  help=_("How much more often active customers buy."))  # fmt: skip
            spend = c3.slider(_("{tier}: spend uplift (%)").format(tier=shown), 0, 50, 0, 1, key=clv_key(f"{key}.spend", dataset), persist_state="session",
                              help=_("How much more they spend per purchase."))  # fmt: skip
            cost = c4.number_input(_("{tier}: cost per customer per year ({currency})").format(tier=shown, currency=currency), 0.0, 1e6, 0.0, 5.0,
                                   key=clv_key(f"{key}.cost", dataset), persist_state="session")  # fmt: skip
            treatments[tier] = scenario.Treatment(
                retention / 100, frequency / 100, spend / 100, float(cost)
            )
    return scenario.Scenario.from_dict(treatments)


@st.fragment
def what_if(
    base: scenario.ScenarioBase,
    dataset: Dataset,
    currency: str,
    ranges: Callable[[], clv_intervals.CLVIntervals] | None = None,
) -> None:
    """Levers -> projection -> table and chart; reruns alone when a lever moves. ``ranges``: makes
    the CLV intervals, for the chance that the treatments pay back (simulated only once a
    treatment costs something)."""
    chosen = treatment_form(base, dataset, currency)
    try:
        projection = scenario.project(base, chosen)
    except CvmError as error:
        st.error(i18n.error_text(error), icon=":material/error:")
        return
    session.publish(session.CLV_SCENARIO, dataset, projection)
    total = projection.total
    c1, c2, c3, c4 = st.columns(4)
    incremental = total["incremental_value"]
    treated = bool(incremental) or bool(total["treatment_cost"])  # else nothing for the deck
    c1.metric(_("Projected CLV with treatment"), formatting.money_short(total["scenario_clv"], currency),
              formatting.money_short(incremental, currency) if incremental else None)  # fmt: skip
    c2.metric(_("Treatment cost"), formatting.money_short(total["treatment_cost"], currency))
    c3.metric(_("Net value"), formatting.money_short(total["net_value"], currency))
    c4.metric(
        _("ROI"),
        formatting.pct(total["roi"], 0),
        help=_("(incremental value − cost) ÷ cost; – when nothing is spent."),
    )
    show_chart(charts.scenario_chart(projection.by_tier, currency),
               _("Grey: what each tier is worth on today's course; green: with the treatment you set."),
               name="CLV what-if by tier", data=projection.by_tier,
               takeaway=clv_takeaways.scenario_takeaway(total, currency), for_deck=treated)  # fmt: skip
    table = projection.by_tier
    shown = pd.DataFrame({
        _("Tier"): table["tier"].astype(str).map(_),
        _("Customers"): table["customers"].map(formatting.count),
        _("Baseline CLV"): table["baseline_clv"].map(lambda v: formatting.money(v, currency)),
        _("Scenario CLV"): table["scenario_clv"].map(lambda v: formatting.money(v, currency)),
        _("Incremental value"): table["incremental_value"].map(lambda v: formatting.money(v, currency)),
        _("Treatment cost"): table["treatment_cost"].map(lambda v: formatting.money(v, currency)),
        _("Net value"): table["net_value"].map(lambda v: formatting.money(v, currency)),
        _("ROI"): table["roi"].map(lambda v: formatting.pct(v, 0)),
    })  # fmt: skip
    if ranges is not None and total["treatment_cost"] > 0:
        chance = clv_intervals.payback_chance(ranges(), table)
        shown[_("Pays back (probability)")] = (
            chance.reindex(table["tier"]).map(lambda v: formatting.pct(v, 0)).to_numpy()
        )
        st.markdown(
            _(
                "The treatments pay back with probability **{chance}**: in that share of the drawn "
                "outcomes (model parameters and customers' purchases) the incremental value exceeds "
                "the cost."
            ).format(chance=formatting.pct(chance["Total"], 0))
        )
    show_table(shown, hide_index=True, width="stretch")
    downloads.csv_and_excel(table, "clv_what_if", "clv.dl.whatif", _("What-if by tier"))
    st.caption(_(WHAT_IF_FORMULA))
