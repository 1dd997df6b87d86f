"""The Scorecard page's hierarchy: goals, the process measures that drive them and the leading
indicators, as a picture of the chain and a table, with the measures and targets a client picks.

Values come from the scorecard itself and from the other pages' results as last shown (CLV for
customer equity, Retention's at-risk list, the Sales Pipeline), else from their defaults.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cvm_core.analyses.scorecard import charts, hierarchy, specs
from cvm_core.analyses.scorecard.formats import format_value
from cvm_core.analyses.scorecard.inputs import Scorecard, ScorecardSettings
from cvm_core.analyses.scorecard.specs import SHARE
from cvm_core.i18n import N_, _
from cvm_core.intake.dataset import Dataset
from ui import pipeline as pipeline_view
from ui import scorecard as scorecard_view
from ui import session
from ui.charts import show_chart

PICKED = f"{scorecard_view.KEY}.chain.picked"
_OWN = {n.key: n for n in hierarchy.NODES if n.needs or n.key == "revenue_growth"}
"""Measures of the chain the scorecard table does not hold: their targets are set here."""
TABLE_TITLES = (
    N_("Level"), N_("Area"), N_("Measure"), N_("Value"), N_("Target"), N_("Status"), N_("Drives"),
    N_("Revenue change explained"), N_("Source"),
)  # fmt: skip
"""Column titles of the chain's table (hierarchy.hierarchy_table), translated where shown."""


def chain(dataset: Dataset, card: Scorecard, settings: ScorecardSettings) -> pd.DataFrame:
    """The hierarchy for the scorecard shown, with the measures the user picked."""
    known = scorecard_view.models(dataset)[0]  # cached: the scorecard just asked for them
    retention = session.read(session.RETENTION, dataset)
    sources = {"clv": dict(known.sources).get("clv", ""), "pipeline": "Sales Pipeline page"}
    if retention is not None:
        at_risk, sources["at_risk"] = retention.at_risk, N_("Retention page's at-risk list")
    else:  # the run that gave the scorecard its annual retention (cached)
        default = scorecard_view.default_retention(dataset, known.clv)[0]
        at_risk = default.at_risk if default is not None else None
        sources["at_risk"] = N_("at-risk list with the Retention page's defaults")
    pipeline = pipeline_view.pipeline_for_scorecard(dataset)
    extra = hierarchy.indicators(card, known.clv, at_risk, pipeline, sources)
    options = [n.key for n in hierarchy.NODES]
    names = {n.key: f"{_(n.level)}: {_(n.name)}" for n in hierarchy.NODES}
    with st.expander(_("Measures in the chain"), icon=":material/checklist:"):
        picked = _pick(options, names)
    return hierarchy.build_hierarchy(card, settings, extra, tuple(picked))


def _pick(options: list[str], names: dict[str, str]) -> list[str]:
    return st.multiselect(
        _("Measures in the chain"), options, default=list(hierarchy.DEFAULT_PICKED),
        format_func=names.get, key=PICKED, persist_state="session",
        help=_("What you measure is what you get: keep the few measures this client steers by."),
    )  # fmt: skip


def show(chain_table: pd.DataFrame, currency: str) -> None:
    """The chain as a picture, then as a table with where each value comes from."""
    if chain_table.empty:
        st.info(_("Pick at least one measure for the chain."))
        return
    table = hierarchy.hierarchy_table(chain_table, currency)
    off = [
        specs.measure_name(k, m)
        for k, m in chain_table.loc[chain_table["status"] == specs.OFF_TARGET, ["key", "measure"]].itertuples(index=False)
    ]  # fmt: skip
    if off:
        takeaway = _("Off target: {measures}.").format(measures=", ".join(off))
    elif chain_table["target"].notna().any():
        takeaway = _("Every measure with a target meets it or is within the watch band.")
    else:
        takeaway = _("No targets set yet: set them below and in the scorecard's table.")
    bridge = hierarchy.bridge_sentence(chain_table, currency)
    takeaway += f" {bridge}" if bridge else ""
    show_chart(charts.chain_chart(chain_table, table), takeaway, data=table)
    shown = table.assign(Source=[specs.shown_source(s) for s in chain_table["source"]])
    # A static table (a dozen rows of text): the scorecard's own tables below stay the page's
    # dataframes, in their order.
    st.table(shown.set_index("Level").rename(columns=_).rename_axis(_("Level")))
    _targets(chain_table, currency)


def _targets(chain_table: pd.DataFrame, currency: str) -> None:
    """Targets for the chain's own measures (the scorecard's are typed in its table below).

    The inputs show the stored targets (a workspace may have restored them) and write back only
    when the user changes one, so a restored target is never overwritten by an empty box.
    """
    own = [k for k in chain_table["key"] if k in _OWN]
    if not own:
        return
    stored = st.session_state.get(scorecard_view.TARGETS, {})
    with st.expander(_("Targets for the goals and leading indicators"), icon=":material/flag:"):
        for col, key in zip(st.columns(len(own)), own, strict=True):
            node = _OWN[key]
            scale = 100.0 if node.unit == SHARE else 1.0
            widget = f"{PICKED}.target.{key}"
            now = stored.get(key)
            st.session_state[widget] = None if now is None else now * scale
            unit = " (%)" if scale == 100 else f" ({currency})" if node.unit == "money" else ""
            col.number_input(
                _(node.name) + unit, key=widget, persist_state="session", placeholder=_("no target"),
                on_change=_set_target, args=(key, widget, scale),
            )  # fmt: skip
        st.caption(_("Current values:") + " " + "; ".join(
            f"{_(_OWN[k].name)} {format_value(v, _OWN[k].unit, currency)}"
            for k, v in zip(chain_table["key"], chain_table["value"], strict=True) if k in _OWN
        ))  # fmt: skip


def _set_target(key: str, widget: str, scale: float) -> None:
    targets = dict(st.session_state.get(scorecard_view.TARGETS, {}))
    value = st.session_state.get(widget)
    if value is None:
        targets.pop(key, None)
    else:
        targets[key] = float(value) / scale
    st.session_state[scorecard_view.TARGETS] = targets
